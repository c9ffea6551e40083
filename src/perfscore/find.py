"""Find stage: a scored unit → area scores and findings.

Area plugins score their areas and emit findings through the hooks; declarative
``[[findings]]`` rules from the ruleset add cross-cutting ones. Wording always comes from
templates (ruleset or plugin TOML), filled from the finding's evidence and formatted as
the domain writes numbers: 万元 and 元 with 2 decimals, percentages with 2 decimals,
counts as integers. A plugin that raises is reported by name; the rest still run and the
result is marked incomplete.

Rules run in the sandbox of :mod:`perfscore.rules.expressions` over per-scope values built here
(:func:`unit_context`, :func:`project_context`, :func:`indicator_context`). The helpers
area plugins read a unit with are the plugin SDK's (:mod:`perfscore.plugin.sdk`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from perfscore.arithmetic import ZERO
from perfscore.rules.expressions import SCOPE_VARIABLES, Expression, ExpressionError, Tagged
from perfscore.models import (
    MONEY_UNITS_IN_YUAN,
    SEVERITY_ORDER,
    AreaScore,
    Finding,
    FindingRule,
    Quantity,
    Ruleset,
)
from perfscore.plugin.manager import PluginFailure, PluginHost
from perfscore.plugin.sdk import make_finding
from perfscore.scoring.score import (
    MISSING_ACTUAL,
    NOT_APPLICABLE,
    SCORED,
    IndicatorScore,
    ProjectScore,
    UnitScore,
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


# --------------------------------------------------------------------------- declarative rules


#: factor from a money unit to 万元
_TO_WAN = {unit: MONEY_UNITS_IN_YUAN[unit] / MONEY_UNITS_IN_YUAN["万元"] for unit in MONEY_UNITS_IN_YUAN}


def _wan(value_in_yuan: Decimal | None) -> Decimal | None:
    return None if value_in_yuan is None else value_in_yuan / MONEY_UNITS_IN_YUAN["万元"]


def _rate(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None or denominator is None or denominator == ZERO:
        return None
    return numerator / denominator


def _thresholds(ruleset: Ruleset) -> dict[str, Any]:
    return {
        "reason_below": ruleset.budget.reason_below,
        "reason_above": ruleset.budget.reason_above,
        "over_completion_threshold": ruleset.over_completion.threshold,
    }


def _budget_values(budget: Any) -> dict[str, Any]:
    """Budget, spending and execution rates (all funds and own-level) as rules see them: in 万元."""
    return {
        "budget": _wan(budget.budget),
        "spending": _wan(budget.spending),
        "own_level_budget": _wan(budget.own_level_budget),
        "own_level_spending": _wan(budget.own_level_spending),
        "execution_rate": budget.execution_rate,
        "own_level_execution_rate": budget.own_level_execution_rate,
    }


def unit_context(unit: UnitScore) -> dict[str, Any]:
    """The values a ``scope = "unit"`` rule sees (names: expressions.SCOPE_VARIABLES)."""
    stated = unit.submission.stated
    to_wan = _TO_WAN[unit.submission.unit.money_unit]

    def given(value: Decimal | None) -> Decimal | None:
        return None if value is None else value * to_wan

    work = given(stated.work_funds_spending) if stated else None
    special = given(stated.special_funds_spending) if stated else None
    budget = unit.budget
    return {
        **_budget_values(budget),
        "projects": Decimal(len(unit.projects)),
        "total": unit.total,
        "stated_budget": given(stated.budget) if stated else None,
        "stated_spending": given(stated.spending) if stated else None,
        "stated_own_level_budget": given(stated.own_level_budget) if stated else None,
        "stated_own_level_spending": given(stated.own_level_spending) if stated else None,
        "stated_projects_budgeted": None if stated is None or stated.projects_budgeted is None else Decimal(stated.projects_budgeted),
        "stated_projects_spent": None if stated is None or stated.projects_spent is None else Decimal(stated.projects_spent),
        "stated_work_funds_spending": work,
        "stated_special_funds_spending": special,
        "stated_parts_spending": None if work is None or special is None else work + special,
        **unit.ruleset.derived("rule_thresholds", _thresholds),
    }


def _required_by_area(ruleset: Ruleset) -> dict[str, list[Any]]:
    """The library's required indicators, by area, in id order."""
    by_area: dict[str, list[Any]] = {}
    for definition in sorted(ruleset.indicators, key=lambda d: d.id):
        if definition.required:
            by_area.setdefault(definition.area, []).append(definition)
    return by_area


#: small counts as Decimal, made once: rule values are Decimal, and counts repeat
_COUNTS = [Decimal(count) for count in range(64)]


def _count(value: int) -> Decimal:
    return _COUNTS[value] if value < 64 else Decimal(value)


def project_context(project: ProjectScore, unit: UnitScore) -> dict[str, Any]:
    """The values a ``scope = "project"`` rule sees."""
    ruleset = unit.ruleset
    reported_project = project.project
    budget = project.budget
    indicators = 0
    counts: dict[Any, int] = {}
    for s in project.indicators:  # one pass: rows per level-1 and per (level-1, level-2)
        if s.status == NOT_APPLICABLE:
            continue
        indicators += 1
        definition = s.definition
        level1, level2 = definition.level1, (definition.level1, definition.level2)
        counts[level1] = counts.get(level1, 0) + 1
        counts[level2] = counts.get(level2, 0) + 1
    area = reported_project.area
    required = ruleset.derived("required_by_area", _required_by_area).get(area, ()) if area is not None else ()
    if required:  # already in id order
        reported = {row.indicator for row in reported_project.indicators} | {row.indicator for row in reported_project.outputs}
        required = [definition for definition in required if definition.id not in reported]
    items = reported_project.budget_items
    return {
        **_budget_values(budget),
        "has_execution_reason": bool((reported_project.execution_reason or "").strip()),
        "budget_items": _count(len(items)),
        "budget_items_total": sum((item.amount for item in items), ZERO) * _TO_WAN[project.money_unit] if items else None,
        "indicators": _count(indicators),
        "outputs": _count(len(reported_project.outputs)),
        "quantity_indicators": _count(counts.get(("output", "quantity"), 0)),
        "quality_indicators": _count(counts.get(("output", "quality"), 0)),
        "timeliness_indicators": _count(counts.get(("output", "timeliness"), 0)),
        "cost_indicators": _count(counts.get(("output", "cost"), 0)),
        "benefit_indicators": _count(counts.get("benefit", 0)),
        "satisfaction_indicators": _count(counts.get("satisfaction", 0)),
        "missing_required": _count(len(required)),
        "missing_required_names": "、".join(definition.name for definition in required),
        "missing_required_names_en": ", ".join(definition.name_en for definition in required),
        "total": project.total,
        "has_area": area is not None,
        **ruleset.derived("rule_thresholds", _thresholds),
    }


def indicator_context(score: IndicatorScore, ruleset: Ruleset) -> dict[str, Any]:
    """The values a ``scope = "indicator"`` rule sees."""
    row, target, status = score.row, score.target, score.status
    comparison = row.comparison or score.definition.comparison
    completion = score.completion
    return {
        "target": target,
        "actual": score.actual,
        "completion": completion if completion is not None else _rate(score.actual, target),
        "weight": score.weight,
        "score": score.score,
        "self_score": row.self_score,
        "has_reason": bool(row.reason and row.reason.strip()),
        # an "=" row with a target above 0 is scored like "≥", so it is judged like one
        "higher_is_better": comparison == ">=" or (comparison == "=" and target is not None and target > 0),
        "lower_is_better": comparison == "<=",
        "scored": status == SCORED,
        "missing_actual": status == MISSING_ACTUAL,
        **ruleset.derived("rule_thresholds", _thresholds),
    }


def _evidence_quantity(value: Any, unit: str) -> Quantity:
    if isinstance(value, Tagged):
        value, unit = value.value, value.unit
    if value is None:
        return Quantity(value="—", unit="")
    if isinstance(value, bool):
        return Quantity(value="是" if value else "否", unit="")
    if isinstance(value, str):
        return Quantity(value=value, unit=unit)
    return Quantity(value=Decimal(value), unit=unit)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A ``[[findings]]`` rule parsed and checked once per ruleset, for the batch to evaluate."""

    rule: FindingRule
    condition: Expression
    #: (name, expression, unit of a plain variable; None: the row's own unit, for target and actual)
    evidence: tuple[tuple[str, Expression, str | None], ...]


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A ``[[findings]]`` rule that fired for one subject, with its evidence evaluated.

    It has what a table counts and sorts by (id, severity, area, project, indicator);
    :meth:`finding` writes it up as the :class:`Finding` a report quotes.
    """

    id: str
    severity: str
    area: str | None
    project: str | None
    indicator: str | None
    template: str | None
    #: (name, value, unit): each evidence expression's value and the unit it is quoted in
    evidence: tuple[tuple[str, Any, str], ...]
    ruleset: Ruleset = field(repr=False, compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.id, self.project or "", self.indicator or "")

    @property
    def source(self) -> str:
        return f"rule {self.id}"

    def finding(self) -> Finding:
        quantities = {name: _evidence_quantity(value, unit) for name, value, unit in self.evidence}
        return make_finding(
            self.ruleset, self.id, self.severity, quantities, area=self.area, project=self.project,
            indicator=self.indicator, template=self.template, source=self.source,
        )


def rule_matches(unit: UnitScore, host: PluginHost | None = None) -> list[RuleMatch]:
    """Evaluate the ruleset's ``[[findings]]`` rules in the sandbox, one match per subject.

    A rule that fails while evaluating (say, a comparison of a number with text) is
    recorded as a failure of ``rule <id>`` when a host is given, and the others still run.
    Evidence is evaluated here, so that such a failure shows in a batch as in a report.
    """
    ruleset = unit.ruleset
    found: list[RuleMatch] = []
    subjects: dict[str, list[tuple[dict[str, Any], ProjectScore | None, IndicatorScore | None]]] = {}
    for compiled in ruleset.derived("compiled_findings", _compile_rules):
        rule, condition = compiled.rule, compiled.condition
        if rule.scope not in subjects:  # contexts are built once per scope, not once per rule
            subjects[rule.scope] = _rule_subjects(rule.scope, unit)
        for context, project, score in subjects[rule.scope]:
            try:
                if not condition.evaluate(context):
                    continue
                row_unit = score.definition.unit if score is not None else ""
                evidence = tuple((name, expression.evaluate(context), row_unit if quoted is None else quoted) for name, expression, quoted in compiled.evidence)
            except ExpressionError as error:
                if host is None:
                    raise
                host.failures.append(PluginFailure(f"rule {rule.id}", "[[findings]]", str(error)))
                break
            found.append(
                RuleMatch(
                    id=rule.id,
                    severity=rule.severity,
                    area=rule.area or (score.definition.area if score is not None else None) or (project.project.area if project is not None else None),
                    project=project.id if project is not None else None,
                    indicator=score.definition.id if score is not None else None,
                    template=rule.template,
                    evidence=evidence,
                    ruleset=ruleset,
                )
            )
    return found


def _compile_rules(ruleset: Ruleset) -> list[CompiledRule]:
    """Parse and check every rule once per ruleset; the batch then only evaluates them."""
    compiled = []
    for rule in sorted(ruleset.findings, key=lambda rule: rule.id):
        variables = SCOPE_VARIABLES[rule.scope]
        names = set(variables)
        evidence = []
        for name, text in rule.evidence.items():
            variable = text.strip()
            # a plain variable is quoted in its own unit; target and actual in the row's
            plain_unit = None if variable in ("target", "actual") else variables.get(variable, ("", ""))[0]
            evidence.append((name, Expression(text, names), plain_unit))
        compiled.append(CompiledRule(rule, Expression(rule.when, names), tuple(evidence)))
    return compiled


def _rule_subjects(scope: str, unit: UnitScore) -> list[tuple[dict[str, Any], ProjectScore | None, IndicatorScore | None]]:
    if scope == "unit":
        return [(unit_context(unit), None, None)]
    if scope == "project":
        return [(project_context(project, unit), project, None) for project in unit.projects]
    return [(indicator_context(score, unit.ruleset), project, score) for project in unit.projects for score in project.indicators if score.status != NOT_APPLICABLE]
