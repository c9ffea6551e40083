"""The variables a finding rule sees: one table of every scope's names, meanings and fillers.

A ``[[findings]]`` rule (:mod:`perfscore.rules.matches`) runs once per subject of its scope,
the unit, each project or each indicator row, against a context of named values built from
that subject's scores (:mod:`perfscore.scoring`). :data:`SCOPES` is the one table of them:
for each scope, the variables with the unit a bare variable is quoted in and what it means,
and the function that fills every context of the scope. Rule validation takes the allowed
names from it (:mod:`perfscore.rules.validate`), docs/plugins.md's list of variables is
printed from it (``python -m perfscore.rules``), and a test holds every filler to
exactly the names of its scope. The fillers are written out by hand, one dict literal each,
because they run per unit, project and row of every batch (docs/performance.md). Money is
in 万元, rates and completions are ratios (1.1 = 110%), counts are numbers of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from perfscore.arithmetic import ZERO
from perfscore.models import MONEY_UNITS_IN_YUAN, IndicatorDef, Ruleset
from perfscore.numbers import money_factor, unrounded_in_money_unit
from perfscore.scoring.score import BudgetScore, IndicatorScore, ProjectScore, UnitScore
from perfscore.scoring.status import MISSING_ACTUAL, NOT_APPLICABLE, SCORED

#: what a rule is evaluated against: its context, and the project and row it is about
Subject = tuple[dict[str, Any], ProjectScore | None, IndicatorScore | None]

#: the unit rules compare amounts in
RULE_MONEY_UNIT = "万元"


@dataclass(frozen=True, slots=True)
class Variable:
    """One name a rule may use, as docs/plugins.md lists it."""

    name: str
    #: the unit an evidence expression that is just this name is quoted in; None: the row's
    #: own unit (the library's unit of its indicator)
    unit: str | None
    meaning: str


@dataclass(frozen=True, slots=True)
class Scope:
    """A rule scope: its own variables, and how one context per subject is filled.

    Every context also holds the :data:`SHARED` variables.
    """

    name: str
    #: one subject per unit, project or row, each with its context filled
    subjects: Callable[[UnitScore], list[Subject]]
    own: tuple[Variable, ...]

    @property
    def variables(self) -> tuple[Variable, ...]:
        return self.own + SHARED

    @property
    def names(self) -> frozenset[str]:
        return frozenset(variable.name for variable in self.variables)

    @property
    def units(self) -> dict[str, str | None]:
        return {variable.name: variable.unit for variable in self.variables}


# --------------------------------------------------------------------------- filling contexts

#: factor from a money unit to 万元, made once (the conversion itself is perfscore.numbers')
_TO_RULE_MONEY = {money_unit: money_factor(money_unit, RULE_MONEY_UNIT) for money_unit in MONEY_UNITS_IN_YUAN}


def _in_rule_money(value_in_yuan: Decimal | None) -> Decimal | None:
    return None if value_in_yuan is None else unrounded_in_money_unit(value_in_yuan, RULE_MONEY_UNIT)


def _rate(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None or denominator is None or denominator == ZERO:
        return None
    return numerator / denominator


def _shared(ruleset: Ruleset) -> dict[str, Any]:
    """The :data:`SHARED` variables; built once per ruleset (``Ruleset.derived``)."""
    return {
        "reason_below": ruleset.budget.reason_below,
        "reason_above": ruleset.budget.reason_above,
        "over_completion_threshold": ruleset.over_completion.threshold,
    }


def _budget_values(budget: BudgetScore) -> dict[str, Any]:
    """Budget, spending and execution rates (all funds and own-level) as rules see them: in 万元."""
    return {
        "budget": _in_rule_money(budget.budget),
        "spending": _in_rule_money(budget.spending),
        "own_level_budget": _in_rule_money(budget.own_level_budget),
        "own_level_spending": _in_rule_money(budget.own_level_spending),
        "execution_rate": budget.execution_rate,
        "own_level_execution_rate": budget.own_level_execution_rate,
    }


def unit_context(unit: UnitScore) -> dict[str, Any]:
    """The values a ``scope = "unit"`` rule sees (:data:`UNIT_VARIABLES`)."""
    stated = unit.submission.stated
    to_rule_money = _TO_RULE_MONEY[unit.submission.unit.money_unit]

    def given(value: Decimal | None) -> Decimal | None:
        return None if value is None else value * to_rule_money

    work = given(stated.work_funds_spending) if stated else None
    special = given(stated.special_funds_spending) if stated else None
    return {
        **_budget_values(unit.budget),
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
        **unit.ruleset.derived("rule_thresholds", _shared),
    }


def _required_by_area(ruleset: Ruleset) -> dict[str, list[IndicatorDef]]:
    """The library's required indicators, by area, in id order."""
    by_area: dict[str, list[IndicatorDef]] = {}
    for definition in sorted(ruleset.indicators, key=lambda d: d.id):
        if definition.required:
            by_area.setdefault(definition.area, []).append(definition)
    return by_area


#: small counts as Decimal, made once: rule values are Decimal, and counts repeat
_COUNTS = [Decimal(count) for count in range(64)]


def _count(value: int) -> Decimal:
    return _COUNTS[value] if value < 64 else Decimal(value)


def project_context(project: ProjectScore, unit: UnitScore) -> dict[str, Any]:
    """The values a ``scope = "project"`` rule sees (:data:`PROJECT_VARIABLES`)."""
    ruleset = unit.ruleset
    reported_project = project.project
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
    required: list[IndicatorDef] = ruleset.derived("required_by_area", _required_by_area).get(area, []) if area is not None else []
    if required:  # already in id order
        reported = {row.indicator for row in reported_project.indicators} | {row.indicator for row in reported_project.outputs}
        required = [definition for definition in required if definition.id not in reported]
    items = reported_project.budget_items
    return {
        **_budget_values(project.budget),
        "has_execution_reason": bool((reported_project.execution_reason or "").strip()),
        "budget_items": _count(len(items)),
        "budget_items_total": sum((item.amount for item in items), ZERO) * _TO_RULE_MONEY[project.money_unit] if items else None,
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
        **ruleset.derived("rule_thresholds", _shared),
    }


def indicator_context(score: IndicatorScore, ruleset: Ruleset) -> dict[str, Any]:
    """The values a ``scope = "indicator"`` rule sees (:data:`INDICATOR_VARIABLES`)."""
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
        **ruleset.derived("rule_thresholds", _shared),
    }


def _unit_subjects(unit: UnitScore) -> list[Subject]:
    return [(unit_context(unit), None, None)]


def _project_subjects(unit: UnitScore) -> list[Subject]:
    return [(project_context(project, unit), project, None) for project in unit.projects]


def _indicator_subjects(unit: UnitScore) -> list[Subject]:
    ruleset = unit.ruleset
    return [(indicator_context(score, ruleset), project, score) for project in unit.projects for score in project.indicators if score.status != NOT_APPLICABLE]


# --------------------------------------------------------------------------- the table

#: in every scope: the ruleset's thresholds
SHARED = (
    Variable("reason_below", "", "execution rate below which a reason is required (`[budget].reason_below`)"),
    Variable("reason_above", "", "execution rate above which a reason is required (`[budget].reason_above`)"),
    Variable("over_completion_threshold", "", "completion at which over-completion needs a reason (`[over_completion].threshold`)"),
)

UNIT_VARIABLES = (
    Variable("budget", "万元", "Σ project budgets"),
    Variable("spending", "万元", "Σ project spending"),
    Variable("own_level_budget", "万元", "Σ own-level (本级) budgets, None if not given"),
    Variable("own_level_spending", "万元", "Σ own-level spending, None if not given"),
    Variable("execution_rate", "", "spending ÷ budget"),
    Variable("own_level_execution_rate", "", "own-level spending ÷ own-level budget"),
    Variable("projects", "个", "number of projects listed"),
    Variable("total", "", "the engine's unit score"),
    Variable("stated_budget", "万元", "the budget total the report states (None if not stated)"),
    Variable("stated_spending", "万元", "the spending total the report states"),
    Variable("stated_own_level_budget", "万元", "the stated own-level budget total"),
    Variable("stated_own_level_spending", "万元", "the stated own-level spending total"),
    Variable("stated_projects_budgeted", "个", "the number of budgeted projects the report states"),
    Variable("stated_projects_spent", "个", "the number of projects with spending the report states"),
    Variable("stated_work_funds_spending", "万元", "stated 工作经费 spending"),
    Variable("stated_special_funds_spending", "万元", "stated 专项经费 spending"),
    Variable("stated_parts_spending", "万元", "stated work funds + special funds spending"),
)

PROJECT_VARIABLES = (
    Variable("budget", "万元", "the project's budget over the counted fund lines"),
    Variable("spending", "万元", "the project's spending"),
    Variable("own_level_budget", "万元", "own-level budget, None if not given"),
    Variable("own_level_spending", "万元", "own-level spending, None if not given"),
    Variable("execution_rate", "", "spending ÷ budget"),
    Variable("own_level_execution_rate", "", "own-level spending ÷ own-level budget"),
    Variable("has_execution_reason", "", "the unit gave an execution_reason"),
    Variable("budget_items", "项", "number of budget items (资金用途) listed"),
    Variable("budget_items_total", "万元", "Σ budget items, None when none are listed"),
    Variable("indicators", "项", "indicator rows with a target (绩效指标)"),
    Variable("outputs", "项", "outputs reported without a target"),
    Variable("quantity_indicators", "项", "rows of level-2 quantity"),
    Variable("quality_indicators", "项", "rows of level-2 quality"),
    Variable("timeliness_indicators", "项", "rows of level-2 timeliness"),
    Variable("cost_indicators", "项", "rows of level-2 cost"),
    Variable("benefit_indicators", "项", "rows of level-1 benefit"),
    Variable("satisfaction_indicators", "项", "rows of level-1 satisfaction"),
    Variable("missing_required", "项", "required indicators of the project's area not reported at all"),
    Variable("missing_required_names", "", "their names, separated by 、"),
    Variable("missing_required_names_en", "", "their English names, comma-separated"),
    Variable("total", "", "the engine's project score"),
    Variable("has_area", "", "the project names its work area"),
)

INDICATOR_VARIABLES = (
    Variable("target", None, "annual target, in the library's unit"),
    Variable("actual", None, "actual, in the library's unit"),
    Variable("completion", "", "actual ÷ target (None without a target)"),
    Variable("weight", "", "the row's weight"),
    Variable("score", "", "the engine's score for the row"),
    Variable("self_score", "", "the unit's own score, None if not given"),
    Variable("has_reason", "", "the row gives a deviation reason"),
    Variable("higher_is_better", "", "comparison is ≥, or = with a target above 0 (scored like ≥)"),
    Variable("lower_is_better", "", "comparison is ≤"),
    Variable("scored", "", "the row could be assessed"),
    Variable("missing_actual", "", "the row has a target but no actual"),
)

#: every rule scope by name, in the order docs/plugins.md lists them
SCOPES: dict[str, Scope] = {
    scope.name: scope
    for scope in (
        Scope("unit", _unit_subjects, UNIT_VARIABLES),
        Scope("project", _project_subjects, PROJECT_VARIABLES),
        Scope("indicator", _indicator_subjects, INDICATOR_VARIABLES),
    )
}


# --------------------------------------------------------------------------- the docs

DOCS_BEGIN = "<!-- rule variables: printed by `python -m perfscore.rules`; edit src/perfscore/rules/variables.py, not this list -->"
DOCS_END = "<!-- end of rule variables -->"


def _rows(variables: tuple[Variable, ...]) -> list[str]:
    rows = ["| variable | quoted in | meaning |", "|---|---|---|"]
    for variable in variables:
        unit = "the row's unit" if variable.unit is None else variable.unit
        rows.append(f"| `{variable.name}` | {unit} | {variable.meaning} |")
    return rows


def markdown() -> str:
    """docs/plugins.md's list of rule variables, between its two markers."""
    lines = [
        DOCS_BEGIN,
        "",
        "Variables (money in 万元, rates and completions as ratios, 1.1 = 110%). An evidence",
        "expression that is just a variable's name is quoted in the unit given here.",
        "",
        "**every scope**",
        "",
        *_rows(SHARED),
    ]
    for scope in SCOPES.values():
        lines += ["", f"**{scope.name}**", "", *_rows(scope.own)]
    lines += ["", DOCS_END]
    return "\n".join(lines) + "\n"
