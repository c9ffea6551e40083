"""Hooks run through pluggy: wrappers (new and old style) around the per-unit hooks, failures
isolated and named, and the meta-tests that keep docs/plugins.md and the tests in step with
plugin/hookspecs.py.
"""

from __future__ import annotations

import inspect
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from perfscore_rehabilitation import RehabilitationPlugin
from perfscore_rights import RightsPlugin

from perfscore import Engine, Evaluation, Finding, hookimpl, make_host
from perfscore.cli import main
from perfscore.errors import ExitCode, PluginError
from perfscore.plugin import hookspecs

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "district-canlian-2022.toml"
HOOKS = [name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("perfscore_")]


def evaluate(*extra: tuple[str, object]) -> Evaluation:
    """The seed scored with the built-ins, the rights and rehabilitation plugins and ``extra``."""
    plugins = [("rights", RightsPlugin()), ("rehabilitation", RehabilitationPlugin()), *extra]
    return Engine(make_host(entry_points=False, extra=plugins)).evaluate(SEED)


# --------------------------------------------------------------------------- wrappers around perfscore_findings

NEW_STYLE = """
from perfscore import hookimpl

seen = []

@hookimpl(wrapper=True)
def perfscore_findings(unit, areas):
    results = yield
    seen.append(sum(len(findings) for findings in results))
    return results
"""

OLD_STYLE = """
from perfscore import hookimpl

seen = []

@hookimpl(hookwrapper=True)
def perfscore_findings(unit, areas):
    outcome = yield
    seen.append(sum(len(findings) for findings in outcome.get_result()))
"""


@pytest.mark.parametrize(("module", "text"), [("observer_new", NEW_STYLE), ("observer_old", OLD_STYLE)])
def test_wrapper_observes_findings_and_the_run_exits_0(tmp_path, capsys, module, text):
    """perfscore_findings: a wrapper=True and a hookwrapper=True plugin see every plugin's findings; nothing fails."""
    folder = tmp_path / "loose"
    folder.mkdir()
    (folder / f"{module}.py").write_text(text, encoding="utf-8")
    assert main(["score", str(SEED), "--plugins-dir", str(folder)]) == ExitCode.OK
    assert "failed" not in capsys.readouterr().err
    seen = sys.modules[f"perfscore_local_{module}"].seen
    assert len(seen) == 1 and seen[0] > 0


class DropRelief:
    """A new-style wrapper that takes one finding out of what the plugins returned."""

    @hookimpl(wrapper=True)
    def perfscore_findings(self, unit, areas):
        results = yield
        return [[finding for finding in findings if finding.id != "rights.relief_per_person"] for findings in results]


class ForceDropRelief:
    """The same as an old-style hookwrapper, through force_result."""

    @hookimpl(hookwrapper=True)
    def perfscore_findings(self, unit, areas):
        outcome = yield
        outcome.force_result([[finding for finding in findings if finding.id != "rights.relief_per_person"] for findings in outcome.get_result()])


@pytest.mark.parametrize("wrapper", [DropRelief, ForceDropRelief])
def test_wrapper_modifies_findings_which_keep_their_source(wrapper):
    """perfscore_findings: what a wrapper returns is the result; each finding still names the plugin that made it."""
    plain = evaluate()
    wrapped = evaluate(("dropper", wrapper()))
    assert not wrapped.failures
    assert any(f.id == "rights.relief_per_person" for f in plain.findings)
    assert not any(f.id == "rights.relief_per_person" for f in wrapped.findings)
    assert len(wrapped.findings) == len(plain.findings) - 1
    assert {f.source for f in wrapped.findings if f.id.startswith("rights.")} == {"rights"}
    assert {f.source for f in wrapped.findings if f.id.startswith("rehabilitation.")} == {"rehabilitation"}


class AddNote:
    """A wrapper that adds a finding of its own: its source is the wrapper."""

    @hookimpl(wrapper=True)
    def perfscore_findings(self, unit, areas):
        results = yield
        [relief] = [finding for findings in results for finding in findings if finding.id == "rights.relief_per_person"]
        note = relief.model_copy(update={"id": "rights.relief_note", "source": ""})
        return [*results, [note]]


def test_wrapper_adds_a_finding_of_its_own():
    """perfscore_findings: a finding a wrapper adds is credited to the wrapper."""
    evaluation = evaluate(("noter", AddNote()))
    assert not evaluation.failures
    [note] = [f for f in evaluation.findings if f.id == "rights.relief_note"]
    assert isinstance(note, Finding) and note.source == "noter"


# --------------------------------------------------------------------------- wrappers around perfscore_score_area


class Halve:
    """A wrapper around perfscore_score_area that halves the rights score (firstresult: one result)."""

    @hookimpl(wrapper=True)
    def perfscore_score_area(self, area, unit):
        score = yield
        if area != "rights" or score is None:
            return score
        return score.model_copy(update={"score": score.score / 2})


def test_wrapper_replaces_an_area_score():
    """perfscore_score_area: firstresult gives the owner's score to the wrapper, whose replacement is kept and credited."""
    plain = evaluate().areas
    wrapped = evaluate(("halve", Halve())).areas
    assert plain["rights"].source == "rights"
    assert wrapped["rights"].score == plain["rights"].score / 2 and wrapped["rights"].source == "halve"
    assert wrapped["rehabilitation"] == plain["rehabilitation"]


class Fallback:
    """A trylast scorer that notes which areas reach it and scores none."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @hookimpl(trylast=True)
    def perfscore_score_area(self, area, unit):
        self.asked.append(area)


def test_firstresult_stops_at_the_owner():
    """perfscore_score_area: the first score stops the call (the area plugin's, else the built-in default's)."""
    fallback = Fallback()
    evaluation = evaluate(("fallback", fallback))
    assert evaluation.areas["rights"].source == "rights" and evaluation.areas["employment"].source == "checks"
    assert not {"rights", "rehabilitation", "employment"} & set(fallback.asked)
    assert not evaluation.failures


# --------------------------------------------------------------------------- failures stay isolated and named


class Raises:
    @hookimpl
    def perfscore_findings(self, unit, areas):
        raise ValueError("plain boom")


class RaisingWrapper:
    @hookimpl(wrapper=True)
    def perfscore_findings(self, unit, areas):
        yield
        raise RuntimeError("wrapper boom")


class SilentWrapper:
    @hookimpl(wrapper=True)
    def perfscore_findings(self, unit, areas):
        if False:  # a generator that never yields
            yield
        return []


def test_raising_plugin_is_isolated_beside_a_wrapper():
    """perfscore_findings: a plugin that raises is recorded by name; the wrapper and the other plugins still run."""
    evaluation = evaluate(("raises", Raises()), ("dropper", DropRelief()))
    assert [(f.plugin, f.hook, f.error) for f in evaluation.failures] == [("raises", "perfscore_findings", "ValueError: plain boom")]
    assert any(f.id == "rehabilitation.months_per_child" for f in evaluation.findings)
    assert not any(f.id == "rights.relief_per_person" for f in evaluation.findings)


@pytest.mark.parametrize(("wrapper", "error"), [(RaisingWrapper, "RuntimeError: wrapper boom"), (SilentWrapper, "the wrapper did not yield")])
def test_failing_wrapper_is_isolated(wrapper, error):
    """perfscore_findings: a wrapper that raises (or never yields) is recorded; the others' findings are kept."""
    plain = evaluate()
    evaluation = evaluate(("bad", wrapper()))
    assert [(f.plugin, f.hook, f.error) for f in evaluation.failures] == [("bad", "perfscore_findings", error)]
    assert [f.key for f in evaluation.findings] == [f.key for f in plain.findings]


def test_failing_wrapper_gives_a_non_zero_exit(tmp_path, capsys):
    """A wrapper that raises makes the run incomplete: exit 1, the plugin named."""
    folder = tmp_path / "loose"
    folder.mkdir()
    (folder / "bad_wrapper.py").write_text(
        "from perfscore import hookimpl\n\n@hookimpl(wrapper=True)\ndef perfscore_findings(unit, areas):\n    yield\n    raise RuntimeError('late')\n",
        encoding="utf-8",
    )
    assert main(["score", str(SEED), "--plugins-dir", str(folder)]) == ExitCode.PARTIAL
    assert 'plugin "bad_wrapper" failed in perfscore_findings: RuntimeError: late' in capsys.readouterr().err


# --------------------------------------------------------------------------- wrappers around contribution hooks


class CountMethods:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl(wrapper=True)
    def perfscore_register_methods(self, register):
        self.calls += 1
        return (yield)


def test_wrapper_around_a_register_hook():
    """perfscore_register_methods: a wrapper runs once and the built-in methods still register."""
    counter = CountMethods()
    host = make_host(entry_points=False, extra=[("counter", counter)])
    assert "ratio" in host.methods() and counter.calls == 1


def test_raising_wrapper_around_a_register_hook_stops_the_run():
    """perfscore_register_areas: a wrapper that raises while contributions register is an error naming it."""

    class Broken:
        @hookimpl(wrapper=True)
        def perfscore_register_areas(self, register):
            yield
            raise KeyError("oops")

    host = make_host(entry_points=False, extra=[("broken", Broken()), ("rights", RightsPlugin())])
    with pytest.raises(PluginError, match='plugin "broken" failed in perfscore_register_areas'):
        host.area_owners()


def test_score_area_returning_the_wrong_type_is_a_failure():
    """perfscore_score_area: a result that is not an AreaScore is recorded and counts as None: the area's owner scores it."""

    class Wrong:
        @hookimpl(tryfirst=True)
        def perfscore_score_area(self, area, unit):
            return Decimal(1) if area == "rights" else None

    evaluation = evaluate(("wrong", Wrong()))
    assert evaluation.areas["rights"].source == "rights"
    assert [(f.plugin, f.hook) for f in evaluation.failures] == [("wrong", "perfscore_score_area(rights)")]


# --------------------------------------------------------------------------- the hooks, the docs and the tests in step


def signature(name: str) -> str:
    """A hook's signature as written in hookspecs.py (its annotations are strings there)."""
    spec = inspect.signature(getattr(hookspecs, name))
    parameters = ", ".join(f"{parameter.name}: {parameter.annotation}" for parameter in spec.parameters.values())
    return f"def {name}({parameters}) -> {spec.return_annotation}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_is_documented_with_its_signature(hook):
    """docs/plugins.md has a section per hook quoting its exact signature."""
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert re.search(rf"^## `{hook}\(", docs, re.MULTILINE), f"no section for {hook}"
    assert signature(hook) in docs, f"docs/plugins.md does not quote {signature(hook)}"


def test_every_hook_is_exercised_by_a_test():
    """Each hook is implemented by a plugin some test defines (a def of that name, in code or
    in a plugin module a test writes), under tests/ or plugins/; a mention in prose does not count."""
    assert len(HOOKS) >= 6
    files = [*ROOT.joinpath("tests").rglob("test_*.py"), *ROOT.joinpath("plugins").glob("*/tests/**/test_*.py")]
    sources = "".join(path.read_text(encoding="utf-8") for path in files)
    for hook in HOOKS:
        assert re.search(rf"def {hook}\(", sources), f"{hook} is not implemented by any test's plugin"


# --------------------------------------------------------------------------- the SDK's money helper

IN_YUAN = """
format = "perfscore-submission/1"
ruleset = "canlian"
[unit]
id = "yuan"
name = "以元填报的单位"
year = 2022
money_unit = "{money_unit}"
[[projects]]
id = "retrofits"
name = "无障碍改造"
area = "accessibility"
[[projects.funds]]
budget = {amount}
spending = {amount}
[[projects.budget_items]]
name = "困难残疾人家庭无障碍改造"
amount = {amount}
[[projects.indicators]]
indicator = "accessibility.household_retrofits"
target = 90
actual = 99
"""


@pytest.mark.parametrize(("money_unit", "amount"), [("万元", "60"), ("元", "600000")])
def test_money_is_quoted_in_the_submissions_money_unit(tmp_path, money_unit, amount):
    """perfscore.money: the same funds are quoted in 万元 for a unit reporting in 万元 and in 元 for one in 元."""
    from perfscore_accessibility import AccessibilityPlugin

    path = tmp_path / "unit.toml"
    path.write_text(IN_YUAN.format(money_unit=money_unit, amount=amount), encoding="utf-8")
    evaluation = Engine(make_host(entry_points=False, extra=[("accessibility", AccessibilityPlugin())])).evaluate(path)
    [cost] = [f for f in evaluation.findings if f.id == "accessibility.cost_per_household"]
    assert cost.evidence["amount"].unit == money_unit and cost.evidence["amount"].value == Decimal(amount)
    assert round(cost.evidence["per_household"].value, 2) == Decimal("6060.61")


@pytest.mark.parametrize(("money_unit", "budget", "spending"), [("万元", "60", "30"), ("元", "600000", "300000")])
def test_rule_evidence_quotes_money_in_the_submissions_money_unit(tmp_path, money_unit, budget, spending):
    """A [[findings]] rule's money evidence (computed in 万元) is quoted in the unit's own money unit, never 0.01万元 for 100元."""
    text = IN_YUAN.format(money_unit=money_unit, amount=budget).replace(f"spending = {budget}", f"spending = {spending}")
    path = tmp_path / "unit.toml"
    path.write_text(text, encoding="utf-8")
    evaluation = Engine(make_host(entry_points=False)).evaluate(path)
    [below] = [f for f in evaluation.findings if f.id == "execution_rate_below"]
    assert below.evidence["budget"].unit == money_unit and below.evidence["budget"].value == Decimal(budget)
    assert below.evidence["spending"].unit == money_unit and below.evidence["spending"].value == Decimal(spending)
    assert f"{budget}.00{money_unit}" in below.problem.zh
