"""Plugins: the four area plugins and accessibility on the seed, the finding rules, isolation,
duplicate ids, discovery, the scaffold, and order independence.

Each test builds a fresh host with make_host(entry_points=False, extra=[...]) so that what
is installed on the machine does not leak in, except the one test of the entry-point path.
"""

from __future__ import annotations

import importlib
import json
import sys
from decimal import Decimal
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from perfscore_accessibility import AccessibilityPlugin
from perfscore_employment import EmploymentPlugin
from perfscore_rehabilitation import RehabilitationPlugin
from perfscore_rights import RightsPlugin
from perfscore_secretary import SecretaryPlugin

from perfscore import hookimpl
from perfscore.cli import main
from perfscore.engine import Engine
from perfscore.errors import ExitCode, PluginError
from perfscore.find import Evaluation
from perfscore.scoring.methods import BUILTIN_METHODS
from perfscore.plugin.manager import make_host

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "district-canlian-2022.toml"
AREA_PLUGINS = [
    ("accessibility", AccessibilityPlugin),
    ("employment", EmploymentPlugin),
    ("rehabilitation", RehabilitationPlugin),
    ("rights", RightsPlugin),
    ("secretary", SecretaryPlugin),
]


def plugin_evaluate(extra=None, path: Path = SEED, ruleset: str | None = None) -> Evaluation:
    """Score ``path`` with a fresh host holding the built-ins and ``extra`` (default: all area plugins)."""
    if extra is None:
        extra = [(name, cls()) for name, cls in AREA_PLUGINS]
    return Engine(make_host(entry_points=False, extra=extra), ruleset).evaluate(path)


@pytest.fixture(scope="module")
def seed() -> Evaluation:
    return plugin_evaluate()


def one(evaluation: Evaluation, finding_id: str, project: str | None = None):
    matches = [f for f in evaluation.findings if f.id == finding_id and (project is None or f.project == project)]
    assert len(matches) == 1, [f.id for f in evaluation.findings]
    return matches[0]


def value(finding, name: str) -> Decimal:
    return round(Decimal(finding.evidence[name].value), 2)


# --------------------------------------------------------------------------- the area plugins on the seed


def test_rehabilitation_months_per_child(seed):
    """1944 months over 205 children is 9.48 per child (planned 1440/180 = 8), above the minimum 6."""
    finding = one(seed, "rehabilitation.months_per_child")
    assert finding.severity == "info" and finding.source == "rehabilitation"
    assert value(finding, "per_child") == Decimal("9.48")
    assert value(finding, "planned_per_child") == Decimal("8.00")
    assert value(finding, "minimum") == Decimal("6")
    assert "9.48月/人" in finding.title.zh


def test_rehabilitation_counts_and_costs(seed):
    """365 children trained vs 205 aided is noted; cost per child and per device person come from budget items."""
    counts = one(seed, "rehabilitation.children_counts_differ")
    assert value(counts, "free_training") == 365 and value(counts, "aided") == 205 and value(counts, "difference") == 160
    cost = one(seed, "rehabilitation.cost_per_child")
    assert value(cost, "per_child") == Decimal("11707.32")
    assert value(cost, "per_month") == Decimal("1234.57")
    devices = one(seed, "rehabilitation.devices_per_person")
    assert value(devices, "per_person") == Decimal("1.55")
    assert value(devices, "cost_per_person") == Decimal("300.75")
    surgery = one(seed, "rehabilitation.surgery_cost")
    assert value(surgery, "surgeries") == 76 and value(surgery, "per_person") == Decimal("657.89")


def test_rehabilitation_area_score(seed):
    """Two rows plus three derived checks, all met: 80 ÷ 80 × 100."""
    area = seed.areas["rehabilitation"]
    assert (area.earned, area.possible, area.score) == (Decimal("80.00"), Decimal("80.00"), Decimal("100.00"))
    assert area.source == "rehabilitation"
    assert "rehabilitation.months_per_child" in area.indicators


def test_rehabilitation_months_below_minimum_is_a_problem(tmp_path):
    """Raising min_months_per_child above 9.48 turns the note into a problem and lowers the score."""
    ruleset = tmp_path / "strict.toml"
    ruleset.write_text('[ruleset]\nid = "strict"\nname = "s"\nversion = "1"\nextends = "canlian"\n\n[areas.rehabilitation]\nname = "康复"\nname_en = "Rehabilitation"\nmin_months_per_child = 10\ncheck_weight = 10\n', encoding="utf-8")
    evaluation = plugin_evaluate(ruleset=str(ruleset))
    finding = one(evaluation, "rehabilitation.months_per_child_below")
    assert finding.severity == "problem"
    assert evaluation.areas["rehabilitation"].score < 100


def test_employment_rate_cannot_come_from_counts(seed):
    """75% of 7 graduates is 5.25 people: 5 would be 71.43%, 6 would be 85.71%."""
    finding = one(seed, "employment.graduate_rate_inconsistent")
    assert finding.severity == "problem"
    assert value(finding, "implied") == Decimal("5.25")
    assert value(finding, "lower_rate") == Decimal("71.43")
    assert value(finding, "upper_rate") == Decimal("85.71")


def test_employment_care_insurance_and_aid(seed):
    """387 in care, 324 insured incl. staff: coverage at most 83.72%; aid 75.6万 ÷ 250 = 3024 元/人."""
    gap = one(seed, "employment.care_insurance_gap")
    assert value(gap, "recipients") == 387 and value(gap, "insured") == 324
    assert value(gap, "coverage") == Decimal("83.72")
    aid = one(seed, "employment.education_aid_per_person")
    assert value(aid, "per_person") == Decimal("3024.00")
    over = one(seed, "employment.education_aid_over_budget")
    assert value(over, "share") == Decimal("210.00")
    assert one(seed, "employment.training_without_pass_rate").severity == "warning"


def test_employment_area_score(seed):
    """Rate check 0/10, insurance check 8.37/10: 8.37 ÷ 20 × 100 = 41.85."""
    area = seed.areas["employment"]
    assert (area.earned, area.possible, area.score) == (Decimal("8.37"), Decimal("20.00"), Decimal("41.85"))


def test_rights_relief_average_and_petitions(seed):
    """95685 元 over 219 person-times is 436.92 元/人次; "60余" petitions cannot be assessed."""
    relief = one(seed, "rights.relief_per_person")
    assert value(relief, "per_person") == Decimal("436.92")
    assert value(relief, "budget_share") == Decimal("95.69")
    petitions = one(seed, "rights.petitions_not_assessable")
    assert petitions.evidence["petitions"].value == "60余"
    assert seed.areas["rights"].score == Decimal("100.00")


def test_secretary_contracted_vs_served(seed):
    """298 people contracted in the funds table, 297 households served in §7: one quantity, two numbers."""
    finding = one(seed, "secretary.contracted_vs_served")
    assert value(finding, "contracted") == 298 and value(finding, "served") == 297
    assert value(finding, "share") == Decimal("99.66")


def test_secretary_hours_and_cost(seed):
    """35640 h ÷ 297 = 120.00 h per household; 140.68万 ÷ 35640 h = 39.47 元/小时."""
    finding = one(seed, "secretary.service_intensity")
    assert value(finding, "per_household") == Decimal("120.00")
    assert value(finding, "per_hour") == Decimal("39.47")
    assert value(finding, "cost_per_household") == Decimal("4736.70")
    area = seed.areas["secretary"]
    assert (area.earned, area.possible, area.score) == (Decimal("19.97"), Decimal("20.00"), Decimal("99.85"))
    assert not any(f.id == "secretary.satisfaction_below" for f in seed.findings)


def test_accessibility_cost_unknown(seed):
    """99 retrofits with no itemised funds: the cost is estimated at 6000 元/户, 59.40 万元."""
    finding = one(seed, "accessibility.cost_unknown")
    assert value(finding, "estimate") == Decimal("59.40")
    retrofits = one(seed, "accessibility.retrofits")
    assert value(retrofits, "completion") == Decimal("110.00")


# --------------------------------------------------------------------------- cross-cutting rules on the seed


def test_rules_find_the_seed_inconsistencies(seed):
    """9 projects stated vs 5 listed; months 135% with no reason; work funds 85.36% executed."""
    count = one(seed, "projects_budgeted_mismatch")
    assert count.severity == "problem" and count.source == "rule projects_budgeted_mismatch"
    assert value(count, "stated") == 9 and value(count, "listed") == 5
    over = one(seed, "over_completion_unexplained")
    assert over.severity == "warning" and over.indicator == "rehabilitation.children_rehab_months"
    assert value(over, "completion") == Decimal("135.00")
    below = one(seed, "execution_rate_below", "work-funds")
    assert value(below, "execution_rate") == Decimal("85.36")
    above = one(seed, "execution_rate_above", "rehabilitation")
    assert value(above, "execution_rate") == Decimal("186.64")
    assert one(seed, "outputs_without_target", "employment-care").evidence["outputs"].value == 18


def test_rules_do_not_fire_on_consistent_totals(seed):
    """The seed's stated totals (977.58, 1616.99, 830.075, 82.8 + 1534.19) agree with the parts."""
    ids = {f.id for f in seed.findings}
    assert not ids & {"stated_budget_mismatch", "stated_spending_mismatch", "stated_own_level_mismatch", "stated_parts_mismatch", "budget_items_mismatch", "projects_spent_mismatch"}


SMALL = """
format = "perfscore-submission/1"
ruleset = "canlian"
[unit]
id = "small"
name = "小单位"
year = 2022
[stated]
budget = 12
spending = 10
[[projects]]
id = "p"
name = "康复"
area = "secretary"
[[projects.funds]]
budget = 10
spending = 10
[[projects.budget_items]]
name = "a"
amount = 9
[[projects.indicators]]
indicator = "secretary.service_hours"
target = 100
actual = 80
"""


def test_rules_on_a_small_submission(tmp_path):
    """Shortfall without reason, totals that don't add up and a missing required indicator are found."""
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    evaluation = plugin_evaluate(extra=[], path=path)
    shortfall = one(evaluation, "shortfall_unexplained")
    assert shortfall.severity == "warning" and value(shortfall, "completion") == Decimal("80.00")
    assert value(one(evaluation, "stated_budget_mismatch"), "difference") == Decimal("2.00")
    assert value(one(evaluation, "budget_items_mismatch"), "difference") == Decimal("-1.00")
    missing = one(evaluation, "required_indicators_missing")
    assert "上门服务户数" in missing.evidence["names"].value
    # each language names them in its own words
    assert "上门服务户数" in missing.problem.zh and "Households served at home" in missing.problem.en
    assert "上门服务户数" not in missing.problem.en
    # no benefit or satisfaction row: one finding, with the points those categories cost
    levels = one(evaluation, "levels_missing")
    assert levels.severity == "problem"
    assert "效益指标" in levels.problem.zh and "满意度指标" in levels.problem.zh and "失分40分" in levels.problem.zh
    assert not [f for f in evaluation.findings if f.id == "indicator_kinds_missing"]


def test_rule_with_reason_is_info_not_warning(tmp_path):
    """A large over-completion with a written reason is an info finding, not a warning."""
    text = SMALL.replace("actual = 80", 'actual = 140\nreason = "需求增加"')
    path = tmp_path / "reason.toml"
    path.write_text(text, encoding="utf-8")
    evaluation = plugin_evaluate(extra=[], path=path)
    assert one(evaluation, "over_completion_explained").severity == "info"
    assert not any(f.id == "over_completion_unexplained" for f in evaluation.findings)


def test_bad_rule_is_an_error_naming_it(tmp_path):
    """A rule using attribute access fails at ruleset load with its id in the message."""
    from perfscore.errors import RulesetError
    from perfscore.engine import load_ruleset

    path = tmp_path / "bad.toml"
    path.write_text(
        '[ruleset]\nid = "bad"\nname = "b"\nversion = "1"\nextends = "national"\n\n'
        '[[findings]]\nid = "sneaky"\nscope = "project"\nwhen = "budget.__class__"\ntemplate = "execution_rate_above"\n',
        encoding="utf-8",
    )
    with pytest.raises(RulesetError) as error:
        load_ruleset(str(path))
    assert "sneaky" in str(error.value) and "attribute" in str(error.value)


def test_rule_with_unknown_name_names_the_scope(tmp_path):
    """A misspelled variable is refused with the names available in the rule's scope."""
    from perfscore.errors import RulesetError
    from perfscore.engine import load_ruleset

    path = tmp_path / "typo.toml"
    path.write_text(
        '[ruleset]\nid = "typo"\nname = "t"\nversion = "1"\nextends = "national"\n\n'
        '[[findings]]\nid = "typo_rule"\nscope = "unit"\nwhen = "execution_rat > 1"\ntemplate = "project_count_mismatch"\nevidence = { stated = "projects", listed = "projects" }\n',
        encoding="utf-8",
    )
    with pytest.raises(RulesetError, match="typo_rule.*execution_rat"):
        load_ruleset(str(path))


# --------------------------------------------------------------------------- isolation and duplicates


class Exploding:
    """A plugin that raises in every per-unit hook."""

    @hookimpl
    def perfscore_register_areas(self, register):
        register("general")

    @hookimpl
    def perfscore_score_area(self, area, unit):
        raise RuntimeError("boom in score")

    @hookimpl
    def perfscore_findings(self, unit, areas):
        raise ValueError("boom in findings")


def test_failing_plugin_is_isolated():
    """A raising plugin is named with its error; the other areas are still scored; the result is incomplete."""
    evaluation = plugin_evaluate(extra=[*((n, c()) for n, c in AREA_PLUGINS), ("exploding", Exploding())])
    assert evaluation.incomplete
    rendered = [f.render() for f in evaluation.failures]
    assert any('"exploding"' in text and "boom in findings" in text for text in rendered)
    assert any("perfscore_score_area(general)" in f.hook and f.plugin == "exploding" for f in evaluation.failures)
    assert evaluation.areas["rehabilitation"].score == Decimal("100.00")
    assert any(f.id == "secretary.contracted_vs_served" for f in evaluation.findings)


def test_failing_plugin_gives_a_non_zero_exit(tmp_path, capsys):
    """perfscore score exits PARTIAL (1) and names the plugin when one raises."""
    plugin_dir = tmp_path / "loose"
    plugin_dir.mkdir()
    (plugin_dir / "broken_checks.py").write_text(
        "from perfscore import hookimpl\n\n@hookimpl\ndef perfscore_findings(unit, areas):\n    raise RuntimeError('loose plugin failed')\n",
        encoding="utf-8",
    )
    status = main(["score", str(SEED), "--plugins-dir", str(plugin_dir)])
    assert status == ExitCode.PARTIAL
    assert 'plugin "broken_checks" failed' in capsys.readouterr().err


def test_two_plugins_claiming_one_area_is_an_error():
    """Claiming an area another plugin claimed names both plugins."""

    class Rival:
        @hookimpl
        def perfscore_register_areas(self, register):
            register("rehabilitation")

    host = make_host(entry_points=False, extra=[("rehabilitation", RehabilitationPlugin()), ("rival", Rival())])
    with pytest.raises(PluginError, match='"rehabilitation".*"rival"'):
        host.area_owners()


def test_duplicate_indicator_id_names_both_sources():
    """A plugin registering an indicator id the ruleset has is refused, naming the ruleset file and the plugin."""

    class Clash:
        @hookimpl
        def perfscore_register_indicators(self, register):
            register({"id": "rights.petitions", "name": "x", "name_en": "x", "area": "rights", "level1": "output", "level2": "quantity", "unit": "次", "comparison": ">="})

    host = make_host(entry_points=False, extra=[("clash", Clash())])
    with pytest.raises(PluginError, match='rights.petitions.*canlian.toml.*"clash"'):
        Engine(host).ruleset("canlian")


def test_duplicate_method_name_names_both_plugins():
    """perfscore_register_methods: a second "ratio" method is refused naming both plugins."""

    class Methods:
        @hookimpl
        def perfscore_register_methods(self, register):
            register(BUILTIN_METHODS[0])

    host = make_host(entry_points=False, extra=[("zz_methods", Methods())])
    with pytest.raises(PluginError, match='"ratio".*"methods".*"zz_methods"'):
        host.methods()


def test_disabled_plugin_is_not_loaded(monkeypatch):
    """A name in PERFSCORE_DISABLE_PLUGINS is blocked."""
    monkeypatch.setenv("PERFSCORE_DISABLE_PLUGINS", "rights, secretary")
    host = make_host(entry_points=False, extra=[(n, c()) for n, c in AREA_PLUGINS])
    assert {"rights", "secretary"}.isdisjoint(info.name for info in host.describe())
    assert "rehabilitation" in {info.name for info in host.describe()}


def test_misspelled_hook_fails_at_load():
    """check_pending(): a perfscore_ hook that does not exist is an error at load."""

    class Typo:
        @hookimpl
        def perfscore_findngs(self, unit, areas):
            return []

    with pytest.raises(PluginError, match="misspelled"):
        make_host(entry_points=False, extra=[("typo", Typo())])


# --------------------------------------------------------------------------- discovery and the CLI


def test_area_plugins_load_through_the_entry_point():
    """The installed packages declare the perfscore entry point and make_host() loads them."""
    names = {ep.name for ep in metadata.entry_points(group="perfscore")}
    assert {"rehabilitation", "employment", "rights", "secretary", "accessibility"} <= names
    host = make_host()
    owners = host.area_owners()
    assert owners["rehabilitation"] == "rehabilitation" and owners["accessibility"] == "accessibility"
    info = {i.name: i for i in host.describe()}
    assert info["secretary"].origin == "entry point (perfscore-secretary)"


def test_plugins_command_lists_name_version_hooks_areas(capsys):
    """perfscore plugins --format json lists each plugin's name, version, hooks and areas."""
    assert main(["plugins", "--format", "json"]) == 0
    data = {item["name"]: item for item in json.loads(capsys.readouterr().out)}
    assert data["employment"]["version"] == "0.1.0"
    assert data["employment"]["areas"] == ["employment"]
    assert "perfscore_score_area" in data["employment"]["hooks"]
    assert data["methods"]["hooks"] == ["perfscore_register_methods"]


def test_score_json_has_areas_and_findings(capsys):
    """perfscore score --format json carries the area scores and findings with evidence."""
    assert main(["score", str(SEED), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["areas"]["employment"]["score"] == 41.85
    finding = next(f for f in data["findings"] if f["id"] == "rights.relief_per_person")
    assert finding["evidence"]["per_person"]["text"] == "436.92元/人次"


def test_scaffolded_plugin_scores_end_to_end(tmp_path, monkeypatch):
    """new-plugin writes a package that loads, claims its area, and scores a submission unedited."""
    assert main(["new-plugin", "school-aid", "--dir", str(tmp_path), "--area", "school_aid"]) == 0
    root = tmp_path / "perfscore-school-aid"
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert 'school_aid = "perfscore_school_aid:SchoolAidPlugin"' in pyproject
    monkeypatch.syspath_prepend(str(root / "src"))
    module = importlib.import_module("perfscore_school_aid")
    submission = tmp_path / "unit.toml"
    submission.write_text(
        'format = "perfscore-submission/1"\nruleset = "canlian"\n[unit]\nid = "u"\nname = "单位"\nyear = 2022\n'
        '[[projects]]\nid = "p"\nname = "助学"\narea = "school_aid"\n[[projects.funds]]\nbudget = 10\nspending = 10\n'
        '[[projects.indicators]]\nindicator = "school_aid.people_served"\ntarget = 10\nactual = 5\n',
        encoding="utf-8",
    )
    evaluation = plugin_evaluate(extra=[("school_aid", module.SchoolAidPlugin())], path=submission)
    area = evaluation.areas["school_aid"]
    assert area.source == "school_aid" and area.score == Decimal("50.00")
    assert not evaluation.failures
    # and its own generated test passes
    import subprocess

    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")], capture_output=True, text=True, env={**__import__("os").environ, "PYTHONPATH": str(root / "src")})
    assert result.returncode == 0, result.stdout + result.stderr


def test_scaffold_refuses_an_existing_folder(tmp_path):
    """new-plugin never overwrites a folder."""
    (tmp_path / "perfscore-demo").mkdir()
    assert main(["new-plugin", "demo", "--dir", str(tmp_path)]) == ExitCode.USAGE_ERROR


# --------------------------------------------------------------------------- order independence


def _summary(evaluation: Evaluation):
    areas = {key: (a.earned, a.possible, a.score, a.source) for key, a in evaluation.areas.items()}
    findings = [(f.id, f.project, f.indicator, f.severity, f.source, tuple(sorted((k, str(q.value)) for k, q in f.evidence.items()))) for f in evaluation.findings]
    return areas, findings


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.permutations(AREA_PLUGINS))
def test_results_do_not_depend_on_registration_order(order):
    """Findings and area scores are the same whichever order the plugins register in."""
    baseline = _summary(plugin_evaluate())
    assert _summary(plugin_evaluate(extra=[(name, cls()) for name, cls in order])) == baseline


def test_plugin_templates_are_merged_and_ruleset_wording_wins(tmp_path):
    """perfscore_register_templates: a plugin's wording is added; a ruleset's own template of the same id wins."""
    templates = tmp_path / "templates.toml"
    templates.write_text(
        '[templates."demo.note"]\nevidence = ["n"]\ntitle = "{n}"\ntitle_en = "{n}"\nproblem = "p"\nproblem_en = "p"\nimprovement = "i"\nimprovement_en = "i"\n\n'
        '[templates.execution_rate_above]\nevidence = []\ntitle = "plugin"\ntitle_en = "plugin"\nproblem = "p"\nproblem_en = "p"\nimprovement = "i"\nimprovement_en = "i"\n',
        encoding="utf-8",
    )

    class Wording:
        @hookimpl
        def perfscore_register_templates(self, register):
            register(templates)

    ruleset = Engine(make_host(entry_points=False, extra=[("wording", Wording())])).ruleset("canlian")
    assert ruleset.templates["demo.note"].source == "plugin wording"
    assert ruleset.templates["execution_rate_above"].title != "plugin"


def test_employment_qualitative_graduates_row_does_not_fail(tmp_path):
    """A qualitative graduates-employed row (no count) leaves the rate checked against the counts alone."""
    text = SEED.read_text(encoding="utf-8").replace(
        '[[projects.outputs]]\nindicator = "employment.graduates_served"\nactual = 7',
        '[[projects.indicators]]\nindicator = "employment.graduates_employed"\ncomparison = "qualitative"\n'
        'tier = "met"\ndescription = "毕业生就业服务基本达成。"\n\n[[projects.outputs]]\nindicator = "employment.graduates_served"\nactual = 8',
        1,
    )
    assert "employment.graduates_employed" in text
    path = tmp_path / "unit.toml"
    path.write_text(text, encoding="utf-8")
    evaluation = plugin_evaluate(path=path)
    assert not evaluation.failures, [failure.render() for failure in evaluation.failures]
    # 75% of 8 graduates is 6: consistent, and the count comes from the rate
    assert one(evaluation, "employment.graduate_employment").evidence["employed"].value == Decimal(6)


def test_equal_row_shortfall_and_missing_actual_are_findings(tmp_path):
    """An "=" row short of its target, and a row with a target but no actual, are reported."""
    marker = "# ------------------------------------------------------------------ 其他残疾人事业"
    rows = (
        '[[projects.indicators]]\nindicator = "secretary.contract_lots"\ntarget = 4\nactual = 3\n\n'
        '[[projects.indicators]]\nindicator = "secretary.hours_per_household"\ntarget = 100\n\n'
    )
    text = SEED.read_text(encoding="utf-8").replace(marker, rows + marker, 1)
    path = tmp_path / "unit.toml"
    path.write_text(text, encoding="utf-8")
    evaluation = plugin_evaluate(path=path)
    shortfall = [f for f in evaluation.findings if f.id == "shortfall_unexplained" and f.indicator == "secretary.contract_lots"]
    assert len(shortfall) == 1 and shortfall[0].evidence["completion"].value == Decimal("75.00")
    missing = [f for f in evaluation.findings if f.id == "actual_missing"]
    assert [f.indicator for f in missing] == ["secretary.hours_per_household"] and missing[0].severity == "problem"
