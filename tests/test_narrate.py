"""The report (narrate stage): golden seed reports, the wording file's checks, numbering, length, -o.

Regenerate the golden files after a deliberate change to findings, wording or layout with
one command, then review the diff before keeping it:

    PERFSCORE_UPDATE_GOLDEN=1 python -m pytest tests/test_narrate.py -k golden

The golden reports are rendered exactly as ``perfscore report seeds/district-canlian-2022.toml
[--lang en]`` renders them, with the plugins installed in the environment.
"""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from perfscore.output import report as narrate
from perfscore.cli import main
from perfscore.errors import InputError
from perfscore.models import Finding, LocalText, Quantity
from perfscore.narrate import (
    build_narrative,
    chinese_numeral,
    load_report_template,
    shorten,
)
from perfscore.output.report import render_report

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("PERFSCORE_UPDATE_GOLDEN") == "1"


def _report_via_cli(seed_path: Path, tmp_path: Path, *args: str) -> str:
    out = tmp_path / "report.out"
    status = main(["report", str(seed_path), "-o", str(out), *args])
    assert status in (0, 1)
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_evaluation():
    from perfscore.engine import Engine
    from perfscore.plugin.manager import make_host

    seed = Path(__file__).resolve().parent.parent / "seeds" / "district-canlian-2022.toml"
    return Engine(make_host()).evaluate(seed)


def finding(fid: str = "demo.finding", severity: str = "warning", project: str | None = "p1", indicator: str | None = None,
            problem: str = "问题说明。", problem_en: str = "The problem.", title: str = "标题", title_en: str = "Title",
            improvement: str = "改进措施。", improvement_en: str = "The measure.", area: str | None = None,
            evidence: dict[str, Quantity] | None = None) -> Finding:
    return Finding(
        id=fid, severity=severity, project=project, indicator=indicator, area=area, evidence=evidence or {},
        title=LocalText(zh=title, en=title_en), problem=LocalText(zh=problem, en=problem_en),
        improvement=LocalText(zh=improvement, en=improvement_en),
    )


# --------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_golden_seed_report(seed_path, tmp_path, lang):
    """The seed's markdown report matches tests/golden/seed_report.<lang>.md byte for byte."""
    text = _report_via_cli(seed_path, tmp_path, "--lang", lang)
    golden = GOLDEN / f"seed_report.{lang}.md"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        pytest.skip(f"regenerated {golden.name}")
    assert golden.exists(), f"{golden} is missing; create it with PERFSCORE_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8"), f"{golden.name} differs; review, then regenerate with PERFSCORE_UPDATE_GOLDEN=1"


def test_seed_report_has_the_six_sections_in_order(seed_evaluation):
    """The zh report has headings 一 to 六 in the standard order."""
    text = render_report(seed_evaluation, "markdown", "zh")
    headings = re.findall(r"^## (.)、", text, flags=re.M)
    assert headings == ["一", "二", "三", "四", "五", "六"]


def test_seed_report_cites_the_funds_and_the_score(seed_evaluation):
    """一 has the funds total (977.58 / 1616.99 万元, 165.41%) and 三 the unit score and grade."""
    text = render_report(seed_evaluation, "markdown", "zh")
    assert "977.58万元" in text and "1616.99万元" in text and "165.41%" in text
    total = seed_evaluation.unit.total
    assert f"综合得分为{total}分" in text
    assert f"评价等级为“{seed_evaluation.unit.grade}”" in text


def test_seed_report_lists_the_over_completed_months_with_no_reason(seed_evaluation):
    """1944 of 1440 months (135.00%) is past the 130% threshold and its reason is 未说明."""
    text = render_report(seed_evaluation, "markdown", "zh")
    row = next(line for line in text.splitlines() if "残疾儿童康复救助月数" in line and "超额完成" in line)
    assert "135.00%" in row and "未说明" in row


def test_seed_report_english_has_the_same_numbers(seed_evaluation):
    """zh and en reports quote the same multiset of numbers in sections 一 to 三 (tables and score)."""
    zh = render_report(seed_evaluation, "json", "zh")
    en = render_report(seed_evaluation, "json", "en")

    def table_cells(text):
        data = json.loads(text)
        cells = []

        def walk(section):
            for block in section["blocks"]:
                if block["type"] == "table":
                    # each language writes its own units (205人, 205 people): compare the figures
                    cells.extend(number for row in block["rows"] for cell in row if re.match(r"[≥≤=]?(about |nearly |more than |约|近)?\d", cell)
                                 for number in re.findall(r"\d+(?:\.\d+)?%?", cell))
            for child in section["subsections"]:
                walk(child)

        for section in data["sections"]:
            walk(section)
        return sorted(cells)

    assert table_cells(zh) == table_cells(en)
    assert json.loads(zh)["total"] == json.loads(en)["total"]


def test_seed_report_json_mirrors_the_markdown(seed_evaluation):
    """The JSON report holds every problem and measure item the markdown prints."""
    data = json.loads(render_report(seed_evaluation, "json", "zh"))
    sections = {section["id"]: section for section in data["sections"]}
    assert list(sections) == ["basic", "work", "conclusion", "problems", "measures", "other"]
    markdown = render_report(seed_evaluation, "markdown", "zh")
    for section_id in ("problems", "measures"):
        for block in sections[section_id]["blocks"]:
            for item in block.get("items", []):
                assert item["label"] in markdown and item["body"] in markdown.replace("\\", "")


def test_every_format_is_deterministic(seed_evaluation):
    """Rendering the same evaluation twice gives identical bytes in every format and language."""
    for fmt in narrate.FORMATS:
        for lang in narrate.LANGS:
            assert render_report(seed_evaluation, fmt, lang) == render_report(seed_evaluation, fmt, lang)


def test_shuffled_findings_render_identically(seed_evaluation):
    """The order findings arrive in does not change the report."""
    import dataclasses
    import random

    shuffled = list(seed_evaluation.findings)
    random.Random(7).shuffle(shuffled)
    other = dataclasses.replace(seed_evaluation, found=shuffled)
    assert render_report(other, "markdown", "zh") == render_report(seed_evaluation, "markdown", "zh")


def test_text_format_has_no_markdown(seed_evaluation):
    """--format text prints no markdown headings, bold or pipes."""
    text = render_report(seed_evaluation, "text", "zh")
    assert "**" not in text and not re.search(r"^#", text, flags=re.M) and "|" not in text


def test_unknown_format_is_refused(seed_evaluation):
    """A format other than markdown, text or json is a ValueError."""
    with pytest.raises(ValueError, match="format"):
        render_report(seed_evaluation, "docx", "zh")


# --------------------------------------------------------------------------- -o is atomic


def test_failed_render_leaves_no_file(seed_path, tmp_path, monkeypatch, capsys):
    """When rendering raises, -o creates no output and no temporary file."""
    def broken(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(narrate, "render_report", broken)
    out = tmp_path / "report.md"
    with pytest.raises(RuntimeError):
        main(["report", str(seed_path), "-o", str(out)])
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_file(seed_path, tmp_path, monkeypatch, capsys):
    """A write that fails at the rename leaves the old report intact and no temporary file,
    and is a clear error with exit status 2, not a traceback."""
    out = tmp_path / "report.md"
    out.write_text("old report\n", encoding="utf-8")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("perfscore.files.os.replace", failing_replace)
    assert main(["report", str(seed_path), "-o", str(out)]) == 2
    assert f"{out}: cannot write the output: disk full" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


@pytest.mark.parametrize("command", ["report", "score", "table"])
def test_output_into_a_missing_folder_is_a_clear_error(command, seed_path, tmp_path, capsys):
    """-o into a folder that does not exist (or is a file) names the path; exit status 2."""
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    for out in (tmp_path / "missing" / "out.md", tmp_path / "a-file" / "out.md"):
        assert main([command, str(seed_path), "-o", str(out)]) == 2
        error = capsys.readouterr().err
        assert f"{out}: cannot write the output" in error and "Traceback" not in error


def test_output_file_equals_stdout(seed_path, tmp_path, capsys):
    """-o writes exactly what stdout would show."""
    main(["report", str(seed_path)])
    printed = capsys.readouterr().out
    assert _report_via_cli(seed_path, tmp_path) == printed


# --------------------------------------------------------------------------- the wording file


def _template_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = narrate.DEFAULT_TEMPLATE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "report.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_shipped_template_loads():
    """The shipped report.toml passes every load check."""
    template = load_report_template()
    assert set(template.texts) == set(narrate.TEXT_KEYS)
    assert set(template.headers) == set(narrate.HEADER_KEYS)


def test_unsupplied_placeholder_is_an_error_at_load(tmp_path):
    """A template naming a value the code does not supply fails at load, naming file and key."""
    path = _template_copy(tmp_path, 'zh = "{unit}{year}年度项目支出绩效自评报告"', 'zh = "{unit}{year}年度{department}自评报告"')
    with pytest.raises(InputError) as error:
        load_report_template(path)
    message = str(error.value)
    assert "title.zh" in message and "{department}" in message and str(path) in message


def test_placeholder_with_format_spec_is_an_error(tmp_path):
    """Numbers arrive formatted, so a {name:.2f} spec is refused at load."""
    path = _template_copy(tmp_path, "预算执行率{execution_rate}。", "预算执行率{execution_rate:.2f}。")
    with pytest.raises(InputError, match="funds_summary.zh"):
        load_report_template(path)


def test_unbalanced_brace_is_an_error(tmp_path):
    """A lone brace is reported with the key it is in."""
    path = _template_copy(tmp_path, 'zh = "合计"', 'zh = "合计{"')
    with pytest.raises(InputError, match="total_row.zh"):
        load_report_template(path)


def test_missing_and_unknown_keys_are_errors(tmp_path):
    """A misspelt table is both unknown and leaves its real key missing; both are reported."""
    path = _template_copy(tmp_path, "[total_row]", "[totl_row]")
    with pytest.raises(InputError) as error:
        load_report_template(path)
    locations = {problem.location for problem in error.value.problems}
    assert {"totl_row", "total_row"} <= locations


def test_header_with_wrong_column_count_is_an_error(tmp_path):
    """A header list must have as many columns as the table the code builds."""
    path = _template_copy(tmp_path, 'zh = ["项目", "产出", "实际完成值"]', 'zh = ["项目", "产出"]')
    with pytest.raises(InputError, match="outputs_headers.zh"):
        load_report_template(path)


def test_missing_language_is_an_error(tmp_path):
    """Every text needs both zh and en."""
    path = _template_copy(tmp_path, 'en = "Total"\n', "")
    with pytest.raises(InputError, match="total_row.en"):
        load_report_template(path)


def test_edited_wording_appears_in_the_report(tmp_path, seed_evaluation):
    """A bureau's edit to the wording file changes the report without touching code."""
    path = _template_copy(tmp_path, 'zh = "四、存在的问题"', 'zh = "四、主要问题"')
    text = render_report(seed_evaluation, "markdown", "zh", template=load_report_template(path))
    assert "## 四、主要问题" in text


# --------------------------------------------------------------------------- numbering and length


@pytest.mark.parametrize(("n", "numeral"), [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (21, "二十一"), (99, "九十九"), (100, "一百"), (105, "一百零五"), (110, "一百一十")])
def test_chinese_numerals(n, numeral):
    """Item numbers are written as reports write them."""
    assert chinese_numeral(n) == numeral


def test_shorten_cuts_at_a_clause_break():
    """A long text is cut at the last clause break that fits, with an ellipsis."""
    text = "执行率 186.64%，超出预算，且未说明超支原因及资金来源。"
    assert shorten(text, 18, "zh", "……") == "执行率 186.64%，超出预算……"


def test_shorten_never_splits_a_number():
    """With no clause break in reach, the cut falls before the number, not inside it or its unit."""
    text = "项目支出 522.59 万元远超预算数"
    result = shorten(text, 12, "zh", "……")
    assert result == "项目支出……" or "522.59 万元" in result
    assert not re.search(r"\d……", result)


def test_english_decimal_point_is_not_a_break():
    """In English, a period is a break only when a space or the end follows it."""
    text = "Spent 522.59 of 280.00 budgeted, far above the budget."
    assert shorten(text, 32, "en", "…") == "Spent 522.59 of 280.00 budgeted…"
    # no break in reach: cut between words, and not between a figure and what follows it
    assert shorten(text, 30, "en", "…") == "Spent 522.59 of…"


def test_trailing_evidence_is_dropped_before_the_text_is_cut():
    """Over the limit, evidence clauses go first and the problem text stays whole."""
    evidence = {f"e{i}": Quantity(value=Decimal(1000 + i), unit="人") for i in range(30)}
    narrative = build_narrative([finding(evidence=evidence)], "zh", max_chars=60, project_names={"p1": "项目一"})
    item = narrative.problems[0]
    assert len(item.text) <= 60
    assert item.body.startswith("问题说明。") and not item.truncated
    assert item.dropped_evidence > 0
    english = build_narrative([finding(evidence=evidence)], "en", max_chars=60, project_names={"p1": "项目一"})
    assert english.problems[0].dropped_evidence == item.dropped_evidence


def test_evidence_quoted_in_the_text_is_not_repeated():
    """A value the problem text already cites (in zh and en) gets no evidence clause; 0 is not found in 100."""
    evidence = {"execution_rate": Quantity(value=Decimal("186.64"), unit="%"), "count": Quantity(value=Decimal(0), unit="")}
    item = build_narrative([finding(problem="执行率 186.64%，超过100%。", problem_en="Rate 186.64%, above 100%.", evidence=evidence)], "zh").problems[0]
    assert item.body.count("186.64%") == 1
    assert "count 0" in item.body


def test_duplicates_across_projects_merge_into_one_item():
    """Same id and same problem text in two projects: one item citing both, one measure."""
    findings = [finding(project="p2"), finding(project="p1"), finding(fid="other.one", problem="别的问题。")]
    narrative = build_narrative(findings, "zh", project_names={"p1": "项目一", "p2": "项目二"})
    assert [item.label for item in narrative.problems] == ["（一）", "（二）"]
    merged = next(item for item in narrative.problems if item.finding_id == "demo.finding")
    assert merged.projects == ("p1", "p2") and "项目一、项目二" in merged.body
    assert [m.refers_to for m in narrative.measures] == [1, 2]


def test_problems_come_before_warnings_and_info_goes_to_notes():
    """Severity orders the items; info findings are notes for 六, not problems."""
    findings = [finding(fid="a.warning", severity="warning"), finding(fid="z.problem", severity="problem"), finding(fid="m.info", severity="info")]
    narrative = build_narrative(findings, "en")
    assert [item.finding_id for item in narrative.problems] == ["z.problem", "a.warning"]
    assert [item.finding_id for item in narrative.notes] == ["m.info"]
    assert narrative.problems[0].label == "(1)" and len(narrative.measures) == 2


def test_measure_heading_names_its_problem():
    """Measure N names problem N by number and title."""
    narrative = build_narrative([finding(title="执行率偏低")], "zh")
    assert narrative.measures[0].heading.startswith("（一）针对问题（一）执行率偏低")


def test_no_findings_says_so(seed_evaluation):
    """With no findings, 四 and 五 say there is nothing to list rather than staying empty."""
    import dataclasses

    text = render_report(dataclasses.replace(seed_evaluation, found=[]), "markdown", "zh")
    assert "未发现需要列明的问题" in text and "（一）针对问题" not in text


def test_failed_plugins_are_named_under_six(seed_evaluation):
    """A plugin that failed is named in 六, since the list of problems may be incomplete."""
    import dataclasses

    from perfscore.plugin.manager import PluginFailure

    broken = dataclasses.replace(seed_evaluation, failures=[PluginFailure("perfscore-broken", "perfscore_findings", "boom")])
    text = render_report(broken, "markdown", "zh")
    other = text.split("## 六、")[1]
    assert "perfscore-broken" in other and "可能不完整" in other
    assert json.loads(render_report(broken, "json", "zh"))["incomplete"] is True


def test_info_findings_are_notes_not_problems(seed_evaluation):
    """Every info finding of the seed is listed under 六 and none under 四."""
    data = json.loads(render_report(seed_evaluation, "json", "zh"))
    sections = {section["id"]: section for section in data["sections"]}

    def severities(section_id):
        return {item["severity"] for block in sections[section_id]["blocks"] for item in block.get("items", [])}

    assert "info" not in severities("problems")
    assert severities("other") <= {"info"}


def _seed_items(seed_evaluation, lang, section_id):
    data = json.loads(render_report(seed_evaluation, "json", lang))
    section = next(s for s in data["sections"] if s["id"] == section_id)
    return [item for block in section["blocks"] for item in block.get("items", [])]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_seed_problems_are_one_item_a_kind(seed_evaluation, lang):
    """No kind of problem is listed twice: overspending projects are one item naming each with its rate."""
    problems = _seed_items(seed_evaluation, lang, "problems")
    kinds = [item["finding_id"] for item in problems]
    assert len(kinds) == len(set(kinds))
    overspent = next(item for item in problems if item["finding_id"] == "execution_rate_above")
    for rate in ("186.64%", "254.80%", "135.39%"):
        assert rate in overspent["body"]
    assert len(overspent["projects"]) == 3


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_seed_measures_share_no_sentence(seed_evaluation, lang):
    """Every measure is its own: no sentence appears in two measures of the seed report."""
    measures = _seed_items(seed_evaluation, lang, "measures")
    breaks = r"[。；]" if lang == "zh" else r"(?<=[.;])\s+"
    seen: dict[str, int] = {}
    for item in measures:
        for sentence in {part.strip() for part in re.split(breaks, item["body"]) if part.strip()}:
            assert sentence not in seen, f"measures {seen.get(sentence)} and {item['number']} share {sentence!r}"
            seen[sentence] = item["number"]


def test_seed_wording_slips_are_fixed(seed_evaluation):
    """60余次, not 60次余; no space after a closing quote in Chinese; English has no 个 or 人 in its sentences."""
    zh = render_report(seed_evaluation, "markdown", "zh")
    en = render_report(seed_evaluation, "markdown", "en")
    assert "60余次" in zh and "60次余" not in zh
    assert "” " not in zh
    sentences = [line for line in en.splitlines() if line.startswith("**(")]
    assert sentences and not any(re.search(r"\d(个|人|户)", line) for line in sentences)
    assert "1 indicators" not in en and "states 9 projects" in en
