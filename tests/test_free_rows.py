"""Any department's 自评表 under the national rules (issue 11): free rows, text values, the
unit's own figures checked, missing targets and categories, paths beside the submission.

The 教育局 example is the one docs/formats.md prints, read from the doc itself, so the
documentation cannot drift from what perfscore scores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfscore.engine import Engine
from perfscore.errors import InputError
from perfscore.load import submission_from_raw
from perfscore.plugin.manager import make_host
from perfscore.values import Comparator, Number, format_value

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "district-canlian-2022.toml"


def education_example() -> str:
    text = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    return text.split("<!-- education example -->\n```toml\n", 1)[1].split("```", 1)[0]


def perfscore(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).with_name("perfscore")), *args], capture_output=True, text=True, cwd=cwd, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(make_host([]))


@pytest.fixture
def education(tmp_path: Path) -> Path:
    path = tmp_path / "education.toml"
    path.write_text(education_example(), encoding="utf-8")
    return path


def write(tmp_path: Path, text: str, name: str = "unit.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def by_id(evaluation, finding_id: str, project: str | None = None):
    return [f for f in evaluation.findings if f.id == finding_id and (project is None or f.project == project)]


# --------------------------------------------------------------------------- the example


def test_the_education_unit_scores_under_national_with_free_rows_only(engine: Engine, education: Path) -> None:
    evaluation = engine.evaluate(education)
    unit = evaluation.unit
    assert unit.ruleset.ruleset.id == "national"
    totals = {project.id: project.total for project in unit.projects}
    # 9.17 + 30 × 96/100 + 20 + 30 + 10; 8.20 + 25 + 25 + 30 + 10 (full scores as weights);
    # no spending and a lost row: budget 0, 40 + 0 + 30 + 0 (satisfaction has no target)
    assert totals == {"preschool-aid": Decimal("97.97"), "teacher-training": Decimal("98.20"), "school-safety": Decimal("70.00")}
    assert unit.total == Decimal("82.88")  # budget-weighted: (97.97×120 + 98.20×50 + 70×200) ÷ 370
    assert unit.self_total == Decimal("95") and unit.self_difference == Decimal("12.12")


def test_it_ranks_beside_the_seed_without_allow_mixed_and_says_by_which_rules(tmp_path: Path, education: Path) -> None:
    shutil.copy(SEED, tmp_path / "seed.toml")
    result = perfscore("table", str(tmp_path), "--format", "json")
    assert result.returncode == 0, result.stderr
    table = json.loads(result.stdout)
    assert [row["unit_id"] for row in table["rows"]] == ["district-education", "district-canlian"]
    education_row = table["rows"][0]
    assert education_row["self_total"] == 95 and education_row["self_difference"] == 12.12
    assert any("评分规则相同" in note for note in table["notes"])
    assert not any("各行未必可比" in note for note in table["notes"])


def test_a_ruleset_that_changes_scoring_is_still_refused(tmp_path: Path, education: Path) -> None:
    rules = tmp_path.parent / f"{tmp_path.name}-rules"
    rules.mkdir()
    write(rules, 'grades = [{ grade = "优", name_en = "excellent", min = 95 }, { grade = "差", name_en = "poor", min = 0 }]\n[ruleset]\nid = "strict"\nname = "严格等级"\nversion = "1"\nextends = "national"\n', "strict.toml")
    write(tmp_path, education_example().replace('ruleset = "national"', f'ruleset = "{rules / "strict.toml"}"'), "strict-unit.toml")
    result = perfscore("table", str(tmp_path))
    assert result.returncode == 2
    assert "not comparable" in result.stderr


# --------------------------------------------------------------------------- text values


def test_explain_shows_what_each_text_value_was_read_as(education: Path) -> None:
    result = perfscore("explain", str(education), "--indicator", "培训教师人次")
    assert result.returncode == 0, result.stderr
    assert "“不少于800人次” → 比较 ≥，数值 800，单位 人次" in result.stdout
    assert "“约820人次” → 数值 约820，单位 人次" in result.stdout
    english = perfscore("explain", str(education), "--indicator", "家长满意度", "--lang", "en")
    assert "“≥90%” → comparison ≥, number 90, unit %" in english.stdout


@pytest.mark.parametrize(
    ("target", "actual", "fragment"),
    [
        ('"≥九十户"', "95", "understood comparator ≥, then '九十户'"),
        ('"≥90户"', '"95人"', "the text says '人' and the row's unit is '户'"),
    ],
)
def test_unreadable_or_contradictory_text_is_a_located_error(tmp_path: Path, target: str, actual: str, fragment: str) -> None:
    path = write(tmp_path, education_example().replace('target = "≥100人"\nactual = "96人"', f"target = {target}\nactual = {actual}\nunit = \"户\"" if "人" in actual else f"target = {target}\nactual = {actual}"))
    result = perfscore("check", str(path))
    assert result.returncode == 2
    assert "projects[0].indicators[0]" in result.stderr and fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_a_comparison_contradicting_the_text_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, education_example().replace('target = "≥100人"', 'target = "≥100人"\ncomparison = "<="'))
    result = perfscore("check", str(path))
    assert result.returncode == 2
    assert "projects[0].indicators[0].target" in result.stderr and "comparison" in result.stderr


def test_an_error_names_the_excel_cell_its_value_came_from(tmp_path: Path) -> None:
    text = education_example().replace('target = "≥100人"\nactual = "96人"', 'target = "≥100人"\nactual = "九十六人"\norigins = { actual = "学前教育!E12" }')
    result = perfscore("check", str(write(tmp_path, text)))
    assert result.returncode == 2
    assert "projects[0].indicators[0].actual (学前教育!E12)" in result.stderr


@settings(max_examples=200, deadline=None)
@given(
    number=st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
    comparator=st.sampled_from([Comparator.AT_LEAST, Comparator.AT_MOST, Comparator.EQUAL]),
    unit=st.sampled_from(["人", "户", "%", "万元", "个工作日", "人次"]),
)
def test_a_row_written_as_text_loads_as_the_same_row_written_in_fields(number: Decimal, comparator: Comparator, unit: str) -> None:
    """Formatting a value and loading it gives the figure, comparison and unit of the fields."""
    text = format_value(Number(number, unit, comparator))
    comparison = {Comparator.AT_LEAST: ">=", Comparator.AT_MOST: "<=", Comparator.EQUAL: "="}[comparator]

    def submission(row: dict[str, object]):
        raw = {"format": "perfscore-submission/2", "unit": {"id": "u", "name": "单位", "year": 2022}, "projects": [{"id": "p", "name": "项目", "funds": [{"budget": 1, "spending": 1}], "indicators": [row]}]}
        return submission_from_raw(raw, "test.toml").projects[0].indicators[0]

    from_text = submission({"name": "指标", "level1": "产出指标", "level2": "数量指标", "target": text})
    from_fields = submission({"name": "指标", "level1": "产出指标", "level2": "数量指标", "target": number, "comparison": comparison, "unit": unit})
    assert (from_text.target, from_text.comparison, from_text.unit) == (from_fields.target, from_fields.comparison, from_fields.unit)
    assert from_text.target_text == text


# --------------------------------------------------------------------------- rows and levels


def test_a_free_row_named_as_a_library_indicator_is_linked_to_it(engine: Engine, tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace('indicator = "rehabilitation.children_rehab_people"', 'name = "残疾儿童康复救助人数"\nlevel1 = "产出指标"\nlevel2 = "数量指标"', 1)
    evaluation = engine.evaluate(write(tmp_path, text))
    row = next(score for score in evaluation.unit.indicators if score.name == "残疾儿童康复救助人数")
    assert row.definition.id == "rehabilitation.children_rehab_people" and row.definition.area == "rehabilitation"
    assert evaluation.unit.total == engine.evaluate(SEED).unit.total


def test_a_free_row_matching_an_alias_is_linked(tmp_path: Path) -> None:
    write(tmp_path, 'indicators = [{ id = "edu.aided", name = "资助幼儿人数", name_en = "Children aided", area = "edu", level1 = "output", level2 = "quantity", unit = "人", comparison = ">=", aliases = ["受助幼儿人数"] }]\n[ruleset]\nid = "edu"\nname = "教育"\nversion = "1"\nextends = "national"\n[areas.edu]\nname = "教育"\nname_en = "Education"\n', "edu.toml")
    text = education_example().replace('ruleset = "national"', 'ruleset = "edu.toml"').replace('name = "资助幼儿人数"', 'name = "受助幼儿人数"')
    unit_file = write(tmp_path, text, "unit.toml")
    evaluation = Engine(make_host([])).evaluate(unit_file)
    assert {score.definition.id for score in evaluation.unit.indicators} >= {"edu.aided"}
    assert evaluation.unit.ruleset.scoring_fingerprint == Engine(make_host([])).ruleset("national").scoring_fingerprint


def test_a_free_row_with_an_unknown_category_says_which_exist(tmp_path: Path) -> None:
    result = perfscore("check", str(write(tmp_path, education_example().replace('level2 = "数量指标"', 'level2 = "规模指标"', 1))))
    assert result.returncode == 2
    assert "level2 '规模指标'" in result.stderr and "数量指标" in result.stderr


def test_satisfaction_printed_under_benefit_counts_as_satisfaction(engine: Engine, education: Path) -> None:
    evaluation = engine.evaluate(education)
    project = next(p for p in evaluation.unit.projects if p.id == "teacher-training")
    row = next(score for score in project.indicators if score.name == "参训教师满意度")
    assert row.definition.level1 == "benefit" and evaluation.unit.ruleset.counts_as(row.definition) == "satisfaction"
    assert not by_id(evaluation, "levels_missing", "teacher-training")


# --------------------------------------------------------------------------- the unit's own figures


def test_a_stated_total_that_differs_is_a_finding_broken_down(engine: Engine, education: Path) -> None:
    evaluation = engine.evaluate(education)
    (finding,) = by_id(evaluation, "self_total_differs", "preschool-aid")
    # the budget row's own score is stated; 产出 is not (one of its rows has no self-score)
    assert finding.problem.zh == "单位自评总分98分，按规则计算97.97分，相差0.03分：预算执行0.83分、其他−0.8分。"
    (unit_finding,) = by_id(evaluation, "unit_self_total_differs")
    assert "报告所述自评总分95分，按规则计算82.88分，相差12.12分" in unit_finding.problem.zh


def test_a_claim_that_every_target_was_met_is_checked(engine: Engine, education: Path) -> None:
    (finding,) = by_id(engine.evaluate(education), "all_met_claim_contradicted", "preschool-aid")
    assert "资助幼儿人数（实际96人，目标≥100人）" in finding.problem.zh


def test_unknown_spending_leaves_the_budget_row_unscored_and_says_so(engine: Engine, education: Path) -> None:
    evaluation = engine.evaluate(education)
    project = next(p for p in evaluation.unit.projects if p.id == "school-safety")
    assert project.budget.score is None and project.budget.execution_rate is None
    assert by_id(evaluation, "spending_unknown", "school-safety")


def test_a_reason_on_the_fund_row_counts_as_the_execution_reason(engine: Engine, education: Path) -> None:
    evaluation = engine.evaluate(education)
    assert not by_id(evaluation, "execution_rate_below", "teacher-training")  # 82% with a reason on the row


def test_the_initial_budget_is_the_base_when_the_ruleset_says_so(tmp_path: Path, education: Path) -> None:
    write(tmp_path, '[ruleset]\nid = "initial"\nname = "年初预算口径"\nversion = "1"\nextends = "national"\n[budget]\nbase = "initial"\n', "initial.toml")
    text = education_example().replace('ruleset = "national"', 'ruleset = "initial.toml"')
    evaluation = Engine(make_host([])).evaluate(write(tmp_path, text, "unit.toml"))
    preschool = evaluation.unit.projects[0]
    assert preschool.budget.execution_rate == Decimal(110) / Decimal(100)
    assert preschool.budget.score == Decimal("10.00")  # capped at the weight


def test_lost_rows_are_listed_not_invented(engine: Engine, education: Path) -> None:
    evaluation = engine.evaluate(education)
    lost = next(score for score in evaluation.unit.indicators if score.name == "改造完成时间")
    assert lost.status == "lost" and lost.score == 0 and not lost.assessable
    (finding,) = by_id(evaluation, "rows_lost", "school-safety")
    assert "10分" in finding.problem.zh


# --------------------------------------------------------------------------- missing targets and categories


def test_missing_targets_and_categories_are_problems_with_their_points(engine: Engine, education: Path) -> None:
    evaluation = engine.evaluate(education)
    (targets,) = by_id(evaluation, "targets_missing", "school-safety")
    assert "师生满意度" in targets.problem.zh and "10分" in targets.problem.zh
    seed = engine.evaluate(SEED)
    levels = by_id(seed, "levels_missing", "rehabilitation")
    assert levels and "效益指标" in levels[0].title.zh and "失分40分" in levels[0].title.zh


def test_check_warns_and_strict_check_fails(education: Path) -> None:
    result = perfscore("check", str(education))
    assert result.returncode == 0
    assert "3条警告" in result.stdout and "1项指标未设定年度指标值" in result.stdout
    strict = perfscore("check", "--strict", str(education))
    assert strict.returncode == 2


# --------------------------------------------------------------------------- paths and compatibility


def test_a_ruleset_path_resolves_against_the_submission_folder(tmp_path: Path) -> None:
    folder, rules = tmp_path / "units", tmp_path / "rules"
    folder.mkdir()
    rules.mkdir()
    write(rules, '[ruleset]\nid = "local"\nname = "本地规则"\nversion = "1"\nextends = "national"\n', "local.toml")
    write(folder, education_example().replace('ruleset = "national"', 'ruleset = "../rules/local.toml"'), "unit.toml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = perfscore("table", str(folder), "--format", "json", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert [row["unit_id"] for row in json.loads(result.stdout)["rows"]] == ["district-education"]


def test_format_one_files_still_score_exactly_as_before(engine: Engine) -> None:
    evaluation = engine.evaluate(SEED)
    assert evaluation.unit.submission.format == "perfscore-submission/1"
    assert evaluation.unit.total == Decimal("36.53")  # as published in README and the golden report
    assert evaluation.unit.self_total is None and not by_id(evaluation, "self_total_differs")


def test_a_row_needs_an_indicator_or_a_name(tmp_path: Path) -> None:
    raw = {"unit": {"id": "u", "name": "单位", "year": 2022}, "projects": [{"id": "p", "name": "项目", "funds": [{"budget": 1, "spending": 1}], "indicators": [{"target": 1}]}]}
    with pytest.raises(InputError, match="names a library indicator"):
        submission_from_raw(raw, "x.toml")
