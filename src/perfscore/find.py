"""Find stage: a scored unit → area scores and findings.

Area plugins score their areas and emit findings through the hooks; declarative
``[[findings]]`` rules from the ruleset add cross-cutting ones. Wording always comes from
templates (ruleset or plugin TOML), filled from the finding's evidence and formatted as
the domain writes numbers: 万元 and 元 with 2 decimals, percentages with 2 decimals,
counts as integers. A plugin that raises is reported by name; the rest still run and the
result is marked incomplete.

Rules are run by :mod:`perfscore.rules.matches`, in the sandbox of
:mod:`perfscore.rules.expressions`, over the values :mod:`perfscore.rules.variables` fills.
The helpers at the end (:func:`figure`, :func:`budget_item`, :func:`setting`, :class:`Check`) are for area
plugins, so that each reads a unit's figures the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, Callable, Mapping

from perfscore.arithmetic import ZERO, quantize
from perfscore.errors import PluginError, Problem
from perfscore.rules.matches import RuleMatch, rule_matches
from perfscore.plugin.hookspecs import hookimpl
from perfscore.numbers import quantity_text
from perfscore.models import (
    MONEY_UNITS_IN_YUAN,
    SEVERITY_ORDER,
    AreaScore,
    DeferredText,
    Finding,
    LocalText,
    Quantity,
    Ruleset,
)
from perfscore.plugin.manager import PluginFailure, PluginHost
from perfscore.scoring.score import (
    NOT_APPLICABLE,
    IndicatorScore,
    ProjectScore,
    UnitScore,
)

def render_template(ruleset: Ruleset, finding_id: str, evidence: Mapping[str, Quantity]) -> tuple[LocalText, LocalText, LocalText]:
    """A finding's title, problem and improvement in zh and en, filled from its evidence.

    The template and the evidence it needs are checked now; the texts are filled when
    first read (:class:`~perfscore.models.DeferredText`), the evidence formatted once for
    all six. A template's placeholders are checked when it loads, so filling cannot fail.
    """
    template = ruleset.templates.get(finding_id)
    if template is None:
        raise PluginError(Problem(f"no template for finding {finding_id!r}", expected="a [templates.\"<id>\"] table in the ruleset or a plugin's templates TOML"))
    missing = [name for name in template.evidence if name not in evidence]
    if missing:
        raise PluginError(Problem(f"finding {finding_id!r} lacks evidence {missing} that its template uses"))
    formatted: dict[str, str] = {}

    def fill(zh: str, en: str) -> Callable[[], tuple[str, str]]:
        def make() -> tuple[str, str]:
            if not formatted:
                formatted.update((name, quantity_text(quantity)) for name, quantity in evidence.items())
            return zh.format_map(formatted), en.format_map(formatted)

        return make

    return (
        DeferredText(fill(template.title, template.title_en)),
        DeferredText(fill(template.problem, template.problem_en)),
        DeferredText(fill(template.improvement, template.improvement_en)),
    )


def quantity(value: Decimal | int | str, unit: str = "") -> Quantity:
    return Quantity(value=value if isinstance(value, str) else Decimal(value), unit=str(unit))


def make_finding(
    ruleset: Ruleset,
    finding_id: str,
    severity: str,
    evidence: Mapping[str, Quantity],
    *,
    area: str | None = None,
    project: str | None = None,
    indicator: str | None = None,
    template: str | None = None,
    source: str = "",
) -> Finding:
    """Build a finding whose wording comes from the template registered for ``finding_id``.

    ``template`` names another template when several findings share one wording.
    """
    evidence = dict(sorted(evidence.items()))  # the finding's own copy, which its texts are filled from
    title, problem, improvement = render_template(ruleset, template or finding_id, evidence)
    return Finding(
        id=finding_id,
        area=area,
        severity=severity,
        project=project,
        indicator=indicator,
        evidence=evidence,
        title=title,
        problem=problem,
        improvement=improvement,
        source=source,
    )


@dataclass(slots=True)
class Evaluation:
    """Everything perfscore knows about one unit: scores, area scores and findings.

    ``found`` holds what was found, in report order: the plugins' findings and the
    ruleset rules that fired (:class:`RuleMatch`), one per key. A rule match is written
    up as a :class:`Finding` (evidence quoted, wording filled) when ``findings`` is first
    read; a batch that only counts them by severity never pays for that.
    """

    unit: UnitScore
    areas: dict[str, AreaScore] = field(default_factory=dict)
    found: list[Finding | RuleMatch] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)
    _findings: list[Finding] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def findings(self) -> list[Finding]:
        if self._findings is None:
            self._findings = [item if isinstance(item, Finding) else item.finding() for item in self.found]
        return self._findings

    @property
    def incomplete(self) -> bool:
        return bool(self.failures)


def finding_sort_key(finding: Finding | RuleMatch) -> tuple[Any, ...]:
    return (SEVERITY_ORDER[finding.severity], finding.area or "", finding.id, finding.project or "", finding.indicator or "")


def find(unit: UnitScore, host: PluginHost) -> Evaluation:
    """Score the areas and collect findings; a failing plugin is recorded, not fatal."""
    failures_before = len(host.failures)
    areas: dict[str, AreaScore] = {}
    for area_id in sorted(unit.ruleset.areas):
        scored = host.score_area(area_id, unit)
        if scored is not None:
            plugin, area_score = scored
            areas[area_id] = area_score.model_copy(update={"source": plugin})
    found: dict[tuple[str, str, str], Finding | RuleMatch] = {}
    for plugin, emitted in host.call_isolated("perfscore_findings", unit=unit, areas=areas):
        for finding in emitted or []:
            if not isinstance(finding, Finding):
                host.failures.append(PluginFailure(plugin, "perfscore_findings", f"returned {type(finding).__name__}, expected perfscore.Finding"))
                continue
            if not finding.source:
                finding = finding.model_copy(update={"source": plugin})
            # the same finding from two sources is one finding; keep the first by source name
            existing = found.get(finding.key)
            if existing is None or finding.source < existing.source:
                found[finding.key] = finding
    for match in rule_matches(unit, host):
        found.setdefault(match.key, match)  # a plugin's finding of the same key wins
    ordered = sorted(found.values(), key=finding_sort_key)
    return Evaluation(unit, areas, ordered, host.failures[failures_before:])


def _rows_by_area(unit: UnitScore) -> dict[str, tuple[list[IndicatorScore], list[Any], bool]]:
    """Area → (its scored rows, its outputs without a target, whether a project names it)."""
    index: dict[str, tuple[list[IndicatorScore], list[Any], bool]] = {}
    library = unit.ruleset.indicator_index

    def entry(area: str) -> tuple[list[IndicatorScore], list[Any], bool]:
        if area not in index:
            index[area] = ([], [], False)
        return index[area]

    for score in unit.indicators:
        entry(score.definition.area)[0].append(score)
    for project in unit.submission.projects:
        for output in project.outputs:
            entry(library[output.indicator].area)[1].append(output)
        if project.area is not None:
            rows, outputs, _ = entry(project.area)
            index[project.area] = (rows, outputs, True)
    return index


def area_score_from_indicators(unit: UnitScore, area: str, extra: list[tuple[str, Decimal, Decimal]] = ()) -> AreaScore | None:
    """Earned ÷ possible × 100 over the unit's assessable rows of ``area`` plus ``extra``.

    ``extra`` holds (indicator id, earned, possible) for checks an area plugin scores from
    the ruleset's standards. Returns None when the unit has nothing in this area at all.
    """
    definition = unit.ruleset.areas[area]
    rows, outputs, has_project = unit.derived("by_area", _rows_by_area).get(area, ([], [], False))
    if not rows and not outputs and not extra and not has_project:
        return None
    assessable = [s for s in rows if s.assessable]
    earned = sum((s.score for s in assessable), ZERO) + sum((e for _, e, _ in extra), ZERO)
    possible = sum((s.weight for s in assessable), ZERO) + sum((p for _, _, p in extra), ZERO)
    score = quantize(earned / possible * 100, unit.ruleset.arithmetic.places) if possible > ZERO else None
    ids = sorted({s.definition.id for s in assessable} | {i for i, _, _ in extra})
    if score is None:
        explanation = LocalText(
            zh=f"本领域无可评价指标（{len(rows)} 项指标缺少目标或不适用，{len(outputs)} 项产出未设定目标）",
            en=f"nothing in this area could be assessed ({len(rows)} rows without a target or not applicable, {len(outputs)} outputs reported without a target)",
        )
    else:
        explanation = DeferredText(partial(_area_explanation, earned, possible, score, len(assessable), sorted(extra)))
    return AreaScore(
        area=area, name=definition.name, name_en=definition.name_en, earned=quantize(earned, 2), possible=quantize(possible, 2),
        score=score, indicators=ids, explanation=explanation,
    )


def _area_explanation(earned: Decimal, possible: Decimal, score: Decimal, rows: int, checks: list[tuple[str, Decimal, Decimal]]) -> tuple[str, str]:
    """Name every part of an area score, so that it can be traced: the rows (whose scores
    `perfscore explain` shows) and each standard check with what it earned."""
    rows_zh = f"指标 {rows} 项" if rows else ""
    rows_en = f"{rows} rows" if rows else ""
    checks_zh = "规则集标准检查：" + "，".join(f"{check_id} {quantize(e, 2)}/{quantize(p, 2)}" for check_id, e, p in checks) if checks else ""
    checks_en = "ruleset standard checks: " + ", ".join(f"{check_id} {quantize(e, 2)}/{quantize(p, 2)}" for check_id, e, p in checks) if checks else ""
    return (
        f"{quantize(earned, 2)} ÷ {quantize(possible, 2)} × 100 = {score}（{'；'.join(part for part in (rows_zh, checks_zh) if part)}）",
        f"{quantize(earned, 2)} ÷ {quantize(possible, 2)} × 100 = {score} ({'; '.join(part for part in (rows_en, checks_en) if part)})",
    )


# --------------------------------------------------------------------------- helpers for area plugins

@dataclass(frozen=True, slots=True)
class Figure:
    """A figure a unit reported for an indicator: as a scored row or as an output without a target.

    Values are in the library's unit (元 ↔ 万元 converted). ``qualifier`` is how the report
    hedges it: 约 about, 近 nearly (an upper bound), 余/以上 more than (a lower bound).
    """

    indicator: str
    project: str
    actual: Decimal | None
    target: Decimal | None
    unit: str
    qualifier: str | None = None
    has_target: bool = False

    @property
    def is_lower_bound(self) -> bool:
        return self.qualifier in ("余", "以上")

    @property
    def is_exact(self) -> bool:
        return self.qualifier is None

    def quantity(self) -> Quantity:
        return quantity(self.actual if self.actual is not None else "—", self.unit)


def figure(unit: UnitScore, indicator_id: str) -> Figure | None:
    """The first figure reported for ``indicator_id`` (projects in report order), or None."""
    return unit.derived("figures", _index_figures).get(indicator_id)


def _index_figures(unit: UnitScore) -> dict[str, Figure]:
    """Every indicator's first reported figure: a scored row before an output of the same
    project, projects in report order."""
    library = unit.ruleset.indicator_index
    figures: dict[str, Figure] = {}
    for project in unit.projects:
        for score in project.indicators:
            indicator_id = score.definition.id
            if indicator_id not in figures and score.status != NOT_APPLICABLE:
                figures[indicator_id] = Figure(indicator_id, project.id, score.actual, score.target, score.definition.unit, score.row.qualifier, score.target is not None)
        for output in project.project.outputs:
            definition = library.get(output.indicator)
            if definition is None or output.indicator in figures:
                continue
            actual = output.actual
            if output.unit is not None and output.unit != definition.unit and output.unit in MONEY_UNITS_IN_YUAN and definition.unit in MONEY_UNITS_IN_YUAN:
                actual = actual * MONEY_UNITS_IN_YUAN[output.unit] / MONEY_UNITS_IN_YUAN[definition.unit]
            figures[output.indicator] = Figure(output.indicator, project.id, actual, None, definition.unit, output.qualifier, False)
    return figures


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """A budget item (资金用途) found by keyword, with its amount in 元."""

    project: str
    name: str
    amount_yuan: Decimal


def budget_item(unit: UnitScore, keyword: str | None, area: str | None = None) -> BudgetLine | None:
    """The first budget item whose name contains ``keyword`` (a ruleset setting), or None.

    Projects of ``area`` are searched first, so a keyword shared by two areas' items finds
    the area's own.
    """
    if not keyword:
        return None
    for project in sorted(unit.projects, key=lambda project: project.project.area != area):
        for item in project.project.budget_items:
            if keyword in item.name:
                return BudgetLine(project.id, item.name, item.amount * MONEY_UNITS_IN_YUAN[project.money_unit])
    return None


def project_of_area(unit: UnitScore, area: str) -> ProjectScore | None:
    """The first project that names ``area`` as its work area."""
    return next((project for project in unit.projects if project.project.area == area), None)


@dataclass(frozen=True, slots=True)
class Check:
    """A derived check an area plugin scores from ruleset settings: (id, earned, possible)."""

    id: str
    earned: Decimal
    possible: Decimal

    def as_extra(self) -> tuple[str, Decimal, Decimal]:
        return (self.id, self.earned, self.possible)


def at_least_check(check_id: str, value: Decimal, minimum: Decimal, weight: Decimal) -> Check:
    """Full weight when ``value`` ≥ ``minimum``, else weight × value ÷ minimum."""
    if minimum <= ZERO or value >= minimum:
        return Check(check_id, weight, weight)
    return Check(check_id, quantize(weight * max(value, ZERO) / minimum, 2), weight)


def pass_fail_check(check_id: str, passed: bool, weight: Decimal) -> Check:
    return Check(check_id, weight if passed else ZERO, weight)


def percent_quantity(ratio: Decimal) -> Quantity:
    """A ratio as percent evidence: 1.1389 → 113.89 %."""
    return Quantity(value=quantize(ratio * 100, 2), unit="%")


def setting(unit: UnitScore, area: str, key: str) -> Any:
    """An area setting from the ruleset (``[areas.<area>] key = …``) as Decimal, or None."""
    definition = unit.ruleset.areas.get(area)
    value = None if definition is None else definition.setting(key)
    if value is None or isinstance(value, (bool, str)):
        return value
    return Decimal(str(value)) if not isinstance(value, Decimal) else value


class Measurement:
    """What an area plugin's ``measure(unit)`` collects for one unit.

    ``weight`` is the area's ``check_weight`` setting (None: the ruleset scores no derived
    checks). :meth:`check` keeps a derived check only when checks are weighed and the unit
    did not report that indicator as a row itself, so nothing is counted twice.
    """

    def __init__(self, unit: UnitScore, area: str):
        self.unit = unit
        self.weight = setting(unit, area, "check_weight")
        self.checks: list[Check] = []
        self.findings: list[Finding] = []

    def check(self, item: Check) -> None:
        if self.weight is not None and figure(self.unit, item.id) is None:
            self.checks.append(item)

    @property
    def result(self) -> tuple[list[Check], list[Finding]]:
        return self.checks, self.findings


class AreaPlugin:
    """Base class for an area plugin: the five hooks every area plugin implements alike.

    A subclass sets ``area`` (an ``[areas]`` id) and ``folder`` (where its
    ``indicators.toml`` and ``templates.toml`` lie) and writes ``measure(unit)``, which
    returns the area's derived checks and its findings. The base claims the area, registers
    the two files (each only if present), scores the area over its rows plus the checks,
    and emits the findings, measuring each unit once for both (and not at all when the
    unit's ruleset has no such area).
    """

    area: str
    folder: Path

    def measure(self, unit: UnitScore) -> tuple[list[Check], list[Finding]]:
        raise NotImplementedError(f"{type(self).__name__}.measure")

    def _measured(self, unit: UnitScore) -> tuple[list[Check], list[Finding]]:
        if self.area not in unit.ruleset.areas:  # a ruleset without this area: nothing to measure
            return [], []
        return unit.derived(f"{self.area}.measure", self.measure)

    @hookimpl
    def perfscore_register_areas(self, register: Callable[[str], None]) -> None:
        register(self.area)

    @hookimpl
    def perfscore_register_indicators(self, register: Callable[[Any], None]) -> None:
        if (self.folder / "indicators.toml").is_file():
            register(self.folder / "indicators.toml")

    @hookimpl
    def perfscore_register_templates(self, register: Callable[[Path], None]) -> None:
        if (self.folder / "templates.toml").is_file():
            register(self.folder / "templates.toml")

    @hookimpl
    def perfscore_score_area(self, area: str, unit: UnitScore) -> AreaScore | None:
        if area != self.area:
            return None
        checks, _ = self._measured(unit)
        return area_score_from_indicators(unit, area, [check.as_extra() for check in checks])

    @hookimpl
    def perfscore_findings(self, unit: UnitScore, areas: Mapping[str, AreaScore]) -> list[Finding]:
        return self._measured(unit)[1]
