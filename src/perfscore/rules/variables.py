"""The variables a finding rule sees: one table of every scope's names, meanings and fillers.

A ``[[findings]]`` rule (:mod:`perfscore.rules.matches`) runs once per subject of its scope,
the unit, each project or each indicator row, against a context of named values built from
that subject's scores (:mod:`perfscore.scoring`). :data:`SCOPES` is the one table of them:
for each scope, the variables with the unit a bare variable is quoted in and what it means,
and the function that fills every context of the scope. Rule validation takes the allowed
names from it (:mod:`perfscore.rules.validate`), docs/plugins.md's list of variables is
printed from it (``python -m perfscore.rules``), and a test holds every filler to
exactly the names of its scope. The fillers are written out by hand, one dict literal each,
because they run per unit, project and row of every batch (docs/performance.md); the texts
only evidence quotes (names of rows, parts of a difference) are written when a rule first
reads one (:class:`Context`). Money is in 万元, rates and completions are ratios (1.1 =
110%), counts are numbers of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, Callable

from perfscore.arithmetic import ONE, ZERO, quantize
from perfscore.messages import message, pick
from perfscore.models import MONEY_UNITS_IN_YUAN, IndicatorDef, Quantity, Ruleset
from perfscore.numbers import bound, money_factor, quantity_text, signed_figure, unrounded_in_money_unit
from perfscore.scoring.score import BudgetScore, IndicatorScore, ProjectScore, UnitScore
from perfscore.scoring.status import LOST, MISSING_ACTUAL, MISSING_TARGET, NOT_APPLICABLE, SCORED
from perfscore.scoring.weights import project_level_weights

class Context(dict[str, Any]):
    """A subject's values, as a rule reads them. The texts that only evidence quotes (the
    names of short rows or missing indicators, the parts of a score difference) are written
    when a rule first reads one, all at once: most subjects fire no rule that quotes them."""

    __slots__ = ("_deferred",)

    def __init__(self, values: dict[str, Any], deferred: Callable[[], dict[str, Any]] | None = None):
        super().__init__(values)
        self._deferred = deferred

    def __missing__(self, name: str) -> Any:
        deferred = self._deferred
        if deferred is None:
            raise KeyError(name)
        self._deferred = None
        self.update(deferred())
        return dict.__getitem__(self, name)

    def filled(self) -> dict[str, Any]:
        """Every value, the deferred texts written."""
        if self._deferred is not None:
            deferred, self._deferred = self._deferred, None
            self.update(deferred())
        return dict(self)


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


def unit_context(unit: UnitScore) -> Context:
    """The values a ``scope = "unit"`` rule sees (:data:`UNIT_VARIABLES`)."""
    stated = unit.submission.stated
    to_rule_money = _TO_RULE_MONEY[unit.submission.unit.money_unit]

    def given(value: Decimal | None) -> Decimal | None:
        return None if value is None else value * to_rule_money

    work = given(stated.work_funds_spending) if stated else None
    special = given(stated.special_funds_spending) if stated else None
    claimed = bool(stated and stated.all_targets_met)
    short = [score for project in unit.projects for score in _short_rows(project)]
    return Context({
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
        "stated_self_score": stated.self_score if stated else None,
        "self_difference": None if stated is None or stated.self_score is None or unit.total is None else stated.self_score - unit.total,
        "claims_all_met": claimed,
        "rows_short": _count(len(short)),
        **unit.ruleset.derived("rule_thresholds", _shared),
    }, partial(_unit_texts, unit, short, claimed))


def _unit_texts(unit: UnitScore, short: list[IndicatorScore], claimed: bool) -> dict[str, Any]:
    """The unit's texts that only evidence quotes (:class:`Context`)."""
    return {
        "self_difference_parts": _project_differences(unit, "zh"),
        "self_difference_parts_en": _project_differences(unit, "en"),
        **_short_names(short, claimed),
    }


def _short_rows(project: ProjectScore) -> list[IndicatorScore]:
    """Rows assessed short of their target (or over a lower-is-better one)."""
    short = []
    for score in project.indicators:
        completion = score.completion
        if score.status != SCORED or completion is None:
            continue
        comparison = score.comparison
        if (comparison == "<=" and completion > ONE) or (comparison != "<=" and completion < ONE):
            short.append(score)
    return short


def _short_names(rows: list[IndicatorScore], claimed: bool) -> dict[str, Any]:
    """The short rows' names with figures: written only where the unit claims every target
    was met (the one rule that quotes them), so most units build no text here."""
    return {
        "rows_short_names": "、".join(_short_text(score, "zh") for score in rows) if claimed else "",
        "rows_short_names_en": "; ".join(_short_text(score, "en") for score in rows) if claimed else "",
    }


def _short_text(score: IndicatorScore, lang: str) -> str:
    """A short row with its figures: 资助幼儿人数（实际99人，目标≥100人）."""
    unit = score.row.unit or score.definition.unit
    actual = quantity_text(Quantity(score.row.actual if score.row.actual is not None else ZERO, unit))
    target = bound(score.comparison, Quantity(score.row.target if score.row.target is not None else ZERO, unit))
    name = pick((score.name, score.row.name_en or score.definition.name_en or score.name), lang)
    return message("rules.short_row", lang, name=name, actual=actual, target=target)


def _differences(parts: list[tuple[str, Decimal]], difference: Decimal, lang: str) -> str:
    """The parts of a difference between the unit's scores and the computed ones, each in the
    difference's direction (the rest, if the parts the unit stated do not cover it, as 其他)."""
    direction = -1 if difference < 0 else 1
    known = [(name, value) for name, value in parts if value != ZERO]
    rest = difference - sum((value for _, value in parts), ZERO)
    if rest != ZERO and parts:
        known.append((message("rules.difference_rest", lang), rest))
    if not known:
        return ""
    listed = message("rules.list_separator", lang).join(message("rules.difference_part", lang, part=name, points=signed_figure(value * direction)) for name, value in known)
    return message("rules.parts_lead", lang, parts=listed)


def _project_parts(project: ProjectScore, ruleset: Ruleset, lang: str) -> str:
    """Where a project's stated total departs from the computed one: budget row and levels."""
    stated = project.project.self_scores
    if stated is None or stated.total is None or project.total is None:
        return ""
    parts: list[tuple[str, Decimal]] = []
    if stated.budget is not None and project.budget.score is not None:
        parts.append((message("table.header_budget_score", lang), stated.budget - project.budget.score))
    stated_levels = {ruleset.level1_id(key): value for key, value in stated.levels.items()}
    for level in project.levels:
        own = stated_levels.get(level.id)
        if own is None:
            rows = [score.row.self_score for score in project.indicators if score.definition.level1 == level.id or level.id == "indicators"]
            if not rows or any(value is None for value in rows):
                continue
            own = sum((value for value in rows if value is not None), ZERO)
        parts.append((pick((level.name, level.name_en), lang), own - level.score))
    return _differences(parts, stated.total - project.total, lang)


def _project_differences(unit: UnitScore, lang: str) -> str:
    """Where the unit's stated total departs from the computed one, project by project."""
    stated = unit.submission.stated
    if stated is None or stated.self_score is None or unit.total is None:
        return ""
    # each project's difference counts as its share of the unit's total does
    combined = [project for project in unit.projects if project.total is not None]
    budget_sum = sum((project.budget.budget for project in combined), ZERO)
    weighted = unit.ruleset.combine == "budget_weighted" and budget_sum > ZERO
    parts = [
        (project.project.name, (project.self_total - project.total) * (project.budget.budget / budget_sum if weighted else ONE / len(combined)))
        for project in combined
        if project.self_total is not None and project.total is not None
    ]
    places = unit.ruleset.arithmetic.places
    return _differences([(name, quantize(value, places)) for name, value in parts], stated.self_score - unit.total, lang) if parts else ""


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


def project_context(project: ProjectScore, unit: UnitScore) -> Context:
    """The values a ``scope = "project"`` rule sees (:data:`PROJECT_VARIABLES`)."""
    ruleset = unit.ruleset
    reported_project = project.project
    indicators = 0
    counts: dict[Any, int] = {}
    weighted_levels: set[str] = set()
    no_target: list[IndicatorScore] = []
    lost: list[IndicatorScore] = []
    for s in project.indicators:  # one pass: rows per level-1 and per (level-1, level-2)
        status = s.status
        if status == NOT_APPLICABLE:
            continue
        indicators += 1
        definition = s.definition
        weighted_levels.add(definition.level1)
        level1 = ruleset.counts_as(definition)  # satisfaction printed under 效益 counts as satisfaction
        level2 = (level1, definition.level2)
        counts[level1] = counts.get(level1, 0) + 1
        counts[level2] = counts.get(level2, 0) + 1
        if status == MISSING_TARGET:
            no_target.append(s)
        elif status == LOST:
            lost.append(s)
    missing_levels, missing_points = _missing_levels(project, ruleset, counts, weighted_levels)
    area = reported_project.area
    required: list[IndicatorDef] = ruleset.derived("required_by_area", _required_by_area).get(area, []) if area is not None else []
    if required:  # already in id order
        reported = {score.definition.id for score in project.indicators} | {row.indicator for row in reported_project.outputs}
        required = [definition for definition in required if definition.id not in reported]
    items = reported_project.budget_items
    short = _short_rows(project)
    return Context({
        **_budget_values(project.budget),
        "has_execution_reason": reported_project.execution_reason_given is not None,
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
        "total": project.total,
        "has_area": area is not None,
        "self_total": project.self_total,
        "self_difference": None if project.self_total is None or project.total is None else project.self_total - project.total,
        "missing_targets": _count(len(no_target)),
        "missing_target_points": sum((s.weight for s in no_target), ZERO),
        "missing_levels": _count(len(missing_levels)),
        "missing_level_points": missing_points,
        "lost_rows": _count(len(lost)),
        "lost_points": sum((s.weight for s in lost), ZERO),
        "spending_unknown": not project.budget.spending_known,
        "budget_weight": project.budget.weight,
        "claims_all_met": reported_project.all_targets_met,
        "rows_short": _count(len(short)),
        **ruleset.derived("rule_thresholds", _shared),
    }, partial(_project_texts, project, ruleset, required, no_target, missing_levels, short))


def _project_texts(project: ProjectScore, ruleset: Ruleset, required: list[IndicatorDef], no_target: list[IndicatorScore], missing_levels: list[str], short: list[IndicatorScore]) -> dict[str, Any]:
    """A project's texts that only evidence quotes (:class:`Context`)."""
    return {
        "missing_required_names": "、".join(definition.name for definition in required),
        "missing_required_names_en": ", ".join(definition.name_en for definition in required),
        "self_difference_parts": _project_parts(project, ruleset, "zh"),
        "self_difference_parts_en": _project_parts(project, ruleset, "en"),
        "missing_target_names": "、".join(score.name for score in no_target),
        "missing_target_names_en": ", ".join(score.row.name_en or score.definition.name_en or score.name for score in no_target),
        "missing_level_names": "、".join(ruleset.levels[level].name for level in missing_levels),
        "missing_level_names_en": ", ".join(ruleset.levels[level].name_en for level in missing_levels),
        **_short_names(short, project.project.all_targets_met),
    }


def _missing_levels(project: ProjectScore, ruleset: Ruleset, counts: dict[Any, int], weighted_levels: set[str]) -> tuple[list[str], Decimal]:
    """Level-1 categories with a weight but no row (效益 included), and the points they cost:
    a category's weight, when no row carries it and the ruleset scores missing targets as 0."""
    level_weights = project_level_weights(project.project, ruleset)
    if "indicators" in level_weights:
        return [], ZERO  # one pooled weight: no category is owed rows of its own
    missing = [level for level in ruleset.indicator_levels if level_weights.get(level, ZERO) > ZERO and not counts.get(level)]
    points = ZERO
    if ruleset.missing_targets == "zero":
        points = sum((level_weights[level] for level in missing if level not in weighted_levels), ZERO)
    return missing, points


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
    Variable("stated_self_score", "分", "the unit's own stated total (stated.self_score), None if not stated"),
    Variable("self_difference", "分", "stated self-score minus the computed total, None without one"),
    Variable("self_difference_parts", "", "that difference by project, e.g. 康复项目3分、就业项目5分"),
    Variable("self_difference_parts_en", "", "the same in English"),
    Variable("claims_all_met", "", "the report claims every target was met (stated.all_targets_met)"),
    Variable("rows_short", "项", "rows assessed short of target, in every project"),
    Variable("rows_short_names", "", "those rows with actual and target, separated by 、 (written only when claims_all_met)"),
    Variable("rows_short_names_en", "", "the same in English"),
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
    Variable("self_total", "分", "the total the project's 自评表 prints (self_scores.total), None if not stated"),
    Variable("self_difference", "分", "that total minus the computed one"),
    Variable("self_difference_parts", "", "the difference by budget row and level-1 category, e.g. 预算执行1分、产出指标5分"),
    Variable("self_difference_parts_en", "", "the same in English"),
    Variable("missing_targets", "项", "rows without an annual target (年度指标值)"),
    Variable("missing_target_points", "分", "the weight of those rows"),
    Variable("missing_target_names", "", "their names, separated by 、"),
    Variable("missing_target_names_en", "", "their English names (the Chinese when none), comma-separated"),
    Variable("missing_levels", "项", "level-1 categories with a weight but no row, 效益 included (a satisfaction row under 效益 counts as satisfaction)"),
    Variable("missing_level_points", "分", "the points those categories cost (their weight, when no row carries it and missing_targets = \"zero\")"),
    Variable("missing_level_names", "", "their names, separated by 、"),
    Variable("missing_level_names_en", "", "their English names, comma-separated"),
    Variable("lost_rows", "项", "rows marked lost from a truncated source"),
    Variable("lost_points", "分", "their weight, which could not be assessed"),
    Variable("spending_unknown", "", "a counted fund line's spending is unknown: no execution rate"),
    Variable("budget_weight", "分", "the budget row's weight"),
    Variable("claims_all_met", "", "the project claims every target was met (all_targets_met)"),
    Variable("rows_short", "项", "rows assessed short of target (or over a lower-is-better one)"),
    Variable("rows_short_names", "", "those rows with actual and target, separated by 、 (written only when claims_all_met)"),
    Variable("rows_short_names_en", "", "the same in English"),
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
