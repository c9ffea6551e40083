"""Score stage: a validated submission → indicator, level, project and unit scores.

The heart of the score stage: row weights come from :mod:`.weights`, each row's raw score
from its :mod:`.methods` entry. Every number is kept with what produced it (method, formula
key, inputs), and :meth:`IndicatorScore.explain` and friends hand that to :mod:`.explain`,
which writes the rule, the inputs, the formula and the result. Text is built only when
asked for, which keeps the scoring loop cheap. All arithmetic is Decimal and rounds half-up (by default) at the
places the ruleset names: each indicator score, the budget score and each total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Callable, Mapping, NamedTuple

from perfscore.arithmetic import (
    _QUANTUMS,
    HUNDRED,
    ROUNDING_MODES,
    ZERO,
    quantize,
)
from perfscore.errors import InputError, Problem, fill
from perfscore.messages import DEFAULT_LANGUAGE
from perfscore.models import (
    MONEY_UNITS_IN_YUAN,
    IndicatorDef,
    IndicatorRow,
    Project,
    Ruleset,
    Submission,
)
from perfscore.scoring.explain import (
    Explanation,
    explain_budget,
    explain_indicator,
    explain_project,
    explain_unit,
)
from perfscore.scoring.methods import ScoringMethod
from perfscore.scoring.status import (
    ASSESSABLE,
    LOST,
    MISSING_ACTUAL,
    MISSING_TARGET,
    NOT_APPLICABLE,
    SCORED,
)
from perfscore.scoring.weights import project_level_weights, row_definitions, row_in_library_unit, row_weights

_UNBUILT = object()


class IndicatorScore(NamedTuple):
    """One scored row. A NamedTuple, built with ``tuple.__new__`` on the hot path: it is the
    one object made per row, and this is the cheapest immutable record CPython offers."""

    project_id: str
    definition: IndicatorDef
    row: IndicatorRow
    target: Decimal | None
    actual: Decimal | None
    weight: Decimal
    score: Decimal
    completion: Decimal | None
    status: str
    method: ScoringMethod | None
    formula_key: str
    ruleset: Ruleset

    @property
    def assessable(self) -> bool:
        return self.status in ASSESSABLE

    @property
    def name(self) -> str:
        return self.row.name or self.definition.name

    @property
    def comparison(self) -> str:
        return self.row.comparison or self.definition.comparison

    def explain(self, lang: str = DEFAULT_LANGUAGE) -> Explanation:
        """The row's rule, inputs, formula and result (:func:`~perfscore.scoring.explain.explain_indicator`)."""
        return explain_indicator(self, lang)


@dataclass(slots=True)
class BudgetScore:
    """预算执行率 and its score for one project (or rates only, for the unit)."""

    weight: Decimal
    budget: Decimal
    spending: Decimal
    own_level_budget: Decimal | None
    own_level_spending: Decimal | None
    score: Decimal | None
    basis: str
    cap: Decimal
    places: int
    #: False when a counted fund line's spending is unknown: no rate, no score
    spending_known: bool = True
    #: Σ 年初预算数, when every counted line gives it
    initial_budget: Decimal | None = None
    #: the rate's denominator: "full_year" (全年预算数) or "initial" (年初预算数)
    base: str = "full_year"

    @property
    def rate_base(self) -> Decimal:
        """The rate's denominator: 年初预算数 when the rules say so and it is given, else 全年预算数."""
        return self.initial_budget if self.base == "initial" and self.initial_budget is not None else self.budget

    @property
    def execution_rate(self) -> Decimal | None:
        base = self.rate_base
        return self.spending / base if base > ZERO and self.spending_known else None

    @property
    def own_level_execution_rate(self) -> Decimal | None:
        if not self.spending_known or self.own_level_budget is None or self.own_level_spending is None or self.own_level_budget <= ZERO:
            return None
        return self.own_level_spending / self.own_level_budget

    @property
    def scored_rate(self) -> Decimal | None:
        return self.execution_rate if self.basis == "all" else self.own_level_execution_rate

    def explain(self, lang: str = DEFAULT_LANGUAGE, money_unit: str = "万元") -> Explanation:
        """Amounts, rates and weight × capped rate, money in ``money_unit`` (:func:`~perfscore.scoring.explain.explain_budget`)."""
        return explain_budget(self, lang, money_unit)


@dataclass(slots=True)
class LevelScore:
    """A level-1 category (产出/效益/满意度…) of one project; level-2 sums inside."""

    id: str
    name: str
    name_en: str
    weight: Decimal
    score: Decimal
    assessable: Decimal
    level2: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # id -> (weight, score)


@dataclass(slots=True)
class ProjectScore:
    project: Project
    money_unit: str
    budget: BudgetScore
    indicators: list[IndicatorScore]
    levels: list[LevelScore]
    earned: Decimal
    assessable: Decimal
    total: Decimal | None
    grade: str | None
    policy: str
    places: int

    @property
    def id(self) -> str:
        return self.project.id

    @property
    def self_total(self) -> Decimal | None:
        """The total the unit's 自评表 prints for this project, if it states one."""
        stated = self.project.self_scores
        return None if stated is None else stated.total

    def explain(self, lang: str = DEFAULT_LANGUAGE) -> Explanation:
        """How the project's total adds up (:func:`~perfscore.scoring.explain.explain_project`)."""
        return explain_project(self, lang)


@dataclass(slots=True)
class UnitScore:
    """The unit's result over all its projects; the score stage's output."""

    submission: Submission
    ruleset: Ruleset
    projects: list[ProjectScore]
    budget: BudgetScore
    total: Decimal | None
    grade: str | None
    assessable: Decimal
    source: str = ""
    _derived: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def indicators(self) -> list[IndicatorScore]:
        return [indicator for project in self.projects for indicator in project.indicators]

    @property
    def self_total(self) -> Decimal | None:
        """The unit's own total: the one it states, else its projects' stated totals combined
        as the computed total combines projects (None unless every project states one)."""
        stated = self.submission.stated
        if stated is not None and stated.self_score is not None:
            return stated.self_score
        totals = [project.self_total for project in self.projects]
        if not totals or any(total is None for total in totals):
            return None
        return _combine([(total, project.budget.budget) for total, project in zip(totals, self.projects) if total is not None], self.ruleset)

    @property
    def self_difference(self) -> Decimal | None:
        """The unit's own total minus the computed one (positive: the unit scored itself higher)."""
        own, total = self.self_total, self.total
        return None if own is None or total is None else own - total

    def level_points(self) -> dict[str, Decimal]:
        """The unit's budget score and level-1 scores, each combined over its projects the
        way the total is (budget-weighted or mean, over the projects the total counts)."""
        combined = [project for project in self.projects if project.total is not None] or self.projects
        pooled = "indicators" in self.ruleset.weights
        level_ids = ["budget", *(["indicators"] if pooled else self.ruleset.indicator_levels)]
        budget_sum = sum((project.budget.budget for project in combined), ZERO)
        weighted = self.ruleset.combine == "budget_weighted" and budget_sum > ZERO
        places = self.ruleset.arithmetic.places
        each = [(project_points(project), project.budget.budget) for project in combined]  # once a project
        points = {}
        for level_id in level_ids:
            values = [(project_level.get(level_id, ZERO), budget) for project_level, budget in each]
            if weighted:
                value = sum((v * b for v, b in values), ZERO) / budget_sum
            else:
                value = sum((v for v, _ in values), ZERO) / len(values) if values else ZERO
            points[level_id] = quantize(value, places)
        return points

    def derived(self, key: str, build: Callable[[UnitScore], object]) -> object:
        """A lookup built once from this (finished) result and kept with it, so that each
        area plugin does not scan every row again: figures by indicator, rows by area."""
        value = self._derived.get(key, _UNBUILT)
        if value is _UNBUILT:
            value = self._derived[key] = build(self)
        return value

    def explain(self, lang: str = DEFAULT_LANGUAGE) -> Explanation:
        """How the unit's total combines its projects (:func:`~perfscore.scoring.explain.explain_unit`)."""
        return explain_unit(self, lang)


def project_points(project: ProjectScore) -> dict[str, Decimal]:
    """A project's budget score and level-1 scores by id (what a table row shows)."""
    points = {"budget": project.budget.score if project.budget.score is not None else ZERO}
    for level in project.levels:
        points[level.id] = level.score
    return points


# --------------------------------------------------------------------------- the engine


def score_submission(submission: Submission, ruleset: Ruleset, methods: Mapping[str, ScoringMethod], source: str = "") -> UnitScore:
    """Score every project of a submission and combine them into the unit's score."""
    places, rounding = ruleset.arithmetic.places, ruleset.arithmetic.rounding
    projects = [score_project(project, submission, ruleset, methods) for project in submission.projects]
    budget = _sum_budgets([project.budget for project in projects], ruleset)
    # A project with nothing assessable has no total (policy "assessable"); it is left out
    # of the unit's total rather than counted as 0.
    total = _combine([(project.total, project.budget.budget) for project in projects if project.total is not None], ruleset)
    all_budget = sum((project.budget.budget for project in projects), ZERO)
    if ruleset.combine == "budget_weighted" and all_budget > ZERO:
        assessable = sum((p.assessable * p.budget.budget for p in projects), ZERO) / all_budget
    else:
        assessable = sum((p.assessable for p in projects), ZERO) / len(projects)
    return UnitScore(submission, ruleset, projects, budget, total, ruleset.grade_for(total), quantize(assessable, places, rounding), source)


def _combine(scored: list[tuple[Decimal, Decimal]], ruleset: Ruleset) -> Decimal | None:
    """Project totals (each with its budget) combined into the unit's, as the ruleset says."""
    if not scored:
        return None
    places, rounding = ruleset.arithmetic.places, ruleset.arithmetic.rounding
    weight_sum = sum((budget for _, budget in scored), ZERO)
    if ruleset.combine == "budget_weighted" and weight_sum > ZERO:
        return quantize(sum((project_total * budget for project_total, budget in scored), ZERO) / weight_sum, places, rounding)
    return quantize(sum((project_total for project_total, _ in scored), ZERO) / len(scored), places, rounding)


def _sum_budgets(budgets: list[BudgetScore], ruleset: Ruleset) -> BudgetScore:
    # the own-level sums are known only if every project's are
    own_budget = [b.own_level_budget for b in budgets if b.own_level_budget is not None]
    own_spending = [b.own_level_spending for b in budgets if b.own_level_spending is not None]
    initial = [b.initial_budget for b in budgets if b.initial_budget is not None]
    return BudgetScore(
        weight=ZERO,
        budget=sum((b.budget for b in budgets), ZERO),
        spending=sum((b.spending for b in budgets), ZERO),
        own_level_budget=None if len(own_budget) < len(budgets) else sum(own_budget, ZERO),
        own_level_spending=None if len(own_spending) < len(budgets) else sum(own_spending, ZERO),
        score=None,
        basis=ruleset.budget.basis,
        cap=ruleset.budget.cap,
        places=ruleset.budget.places,
        spending_known=all(b.spending_known for b in budgets),
        initial_budget=None if len(initial) < len(budgets) else sum(initial, ZERO),
        base=ruleset.budget.base,
    )


def budget_score(project: Project, money_unit: str, weight: Decimal, ruleset: Ruleset) -> BudgetScore:
    """预算执行率 over the fund lines the ruleset counts; amounts kept in 元."""
    rules = ruleset.budget
    to_yuan = MONEY_UNITS_IN_YUAN[money_unit]
    budget = spending = own_budget = own_spending = initial = ZERO
    counted, own_known, spending_known, initial_known = 0, True, True, True
    for line in project.funds:  # one pass over the fund lines the ruleset counts
        if line.source not in rules.counted_sources:
            continue
        counted += 1
        budget += line.budget
        if line.spending is None:
            spending_known = False
        else:
            spending += line.spending
        if line.initial_budget is None:
            initial_known = False
        else:
            initial += line.initial_budget
        if line.own_level_budget is None or line.own_level_spending is None:
            own_known = False
        elif own_known:
            own_budget += line.own_level_budget
            own_spending += line.own_level_spending
    own_known = own_known and counted > 0
    result = BudgetScore(
        weight=weight,
        budget=budget * to_yuan,
        spending=spending * to_yuan,
        own_level_budget=own_budget * to_yuan if own_known else None,
        own_level_spending=own_spending * to_yuan if own_known else None,
        score=None,
        basis=rules.basis,
        cap=rules.cap,
        places=rules.places,
        spending_known=spending_known,
        initial_budget=initial * to_yuan if initial_known and counted > 0 else None,
        base=rules.base,
    )
    rate = result.scored_rate
    if rate is not None:
        result.score = quantize(weight * min(rate, rules.cap), rules.places, ruleset.arithmetic.rounding)
    return result


def score_project(project: Project, submission: Submission, ruleset: Ruleset, methods: Mapping[str, ScoringMethod]) -> ProjectScore:
    places, rounding = ruleset.arithmetic.places, ruleset.arithmetic.rounding
    level_weights = project_level_weights(project, ruleset)
    money_unit = submission.money_unit_of(project)
    budget = budget_score(project, money_unit, level_weights.get("budget", ZERO), ruleset)
    rows = project.indicators
    definitions = row_definitions(project, ruleset)
    weights = row_weights(project, ruleset, definitions, level_weights)

    project_id = project.id
    scores = [
        score_indicator(project_id, row, definition, weight, ruleset, methods)
        for row, definition, weight in zip(rows, definitions, weights)
    ]

    levels = _level_scores(scores, level_weights, ruleset)
    budget_points = budget.score if budget.score is not None else ZERO
    earned = quantize(budget_points + sum((level.score for level in levels), ZERO), places, rounding)
    assessable = quantize((budget.weight if budget.score is not None else ZERO) + sum((level.assessable for level in levels), ZERO), places, rounding)
    if ruleset.missing_targets == "assessable":
        total = quantize(earned / assessable * HUNDRED, places, rounding) if assessable > ZERO else None
    else:
        total = quantize(earned, places, rounding)
    return ProjectScore(project, money_unit, budget, scores, levels, earned, assessable, total, ruleset.grade_for(total), ruleset.missing_targets, places)


def score_indicator(project_id: str, row: IndicatorRow, definition: IndicatorDef, weight: Decimal, ruleset: Ruleset, methods: Mapping[str, ScoringMethod]) -> IndicatorScore:
    """Score one row. The hot path of the engine: no text is built here, and each attribute
    is read once (docs/performance.md has the figures behind each choice)."""
    if row.not_applicable:
        return IndicatorScore(project_id, definition, row, row.target, row.actual, weight, ZERO, None, NOT_APPLICABLE, None, "", ruleset)
    if row.lost:
        return IndicatorScore(project_id, definition, row, row.target, row.actual, weight, ZERO, None, LOST, None, "", ruleset)
    method = methods.get(definition.method or ruleset.methods[row.comparison or definition.comparison])
    if method is None:
        method_name = definition.method or ruleset.methods[row.comparison or definition.comparison]
        raise InputError(Problem(f"scoring method {method_name!r} is not registered", location=f"indicator {definition.id}", expected=f"one of {', '.join(sorted(methods))} (perfscore plugins)", key="method_not_registered", expected_key="expected_registered_method", fields=fill(method=repr(method_name), known=", ".join(sorted(methods)))))
    unit = row.unit
    if unit is None or unit == definition.unit:  # the common case: no 元 ↔ 万元 conversion
        target, actual = row.target, row.actual
    else:
        target, actual = row_in_library_unit(row, definition)
    if method.needs_target and (target is None or actual is None):
        status = MISSING_TARGET if target is None else MISSING_ACTUAL
        return IndicatorScore(project_id, definition, row, target, actual, weight, ZERO, None, status, method, "", ruleset)
    # None reaches only a method with needs_target = False, whose function accepts it
    raw, completion, formula_key = method.function(target, actual, weight, row, definition, ruleset)  # type: ignore[arg-type]
    if row.deduction is not None:
        raw = raw - row.deduction
    # clamp to [0, weight], then round as the ruleset says
    if raw < ZERO:
        raw = ZERO
    elif raw > weight:
        raw = weight
    arithmetic = ruleset.arithmetic
    score = raw.quantize(_QUANTUMS[arithmetic.places], ROUNDING_MODES[arithmetic.rounding])
    return _new_score((project_id, definition, row, target, actual, weight, score, completion, SCORED, method, formula_key, ruleset))


_new_score = partial(tuple.__new__, IndicatorScore)


POOL = ("indicators", "绩效指标", "Indicators")


def _level_scores(scores: list[IndicatorScore], level_weights: dict[str, Decimal], ruleset: Ruleset) -> list[LevelScore]:
    """Level-1 scores with their level-2 sums. With a pooled indicator weight (budget 20 +
    indicators 80) the indicators are one level, "indicators", as those tables print them;
    its level-2 keys are then "<level1>.<level2>"."""
    # runs once per project, in one pass over the rows: a level's score is the sum of its
    # level-2 sums (exact Decimal additions, so the order does not matter), and rounding
    # calls Decimal.quantize directly
    quantum, half_up = _QUANTUMS[ruleset.arithmetic.places], ROUNDING_MODES["half_up"]
    pooled = "indicators" in level_weights
    # level-1 id → level-2 key → [weight sum, score sum]; level-1 id → assessable weight
    sums: dict[str, dict[str, list[Decimal]]] = {}
    assessable_sums: dict[str, Decimal] = {}
    for s in scores:
        definition = s.definition
        if pooled:
            level_id, key = "indicators", f"{definition.level1}.{definition.level2}"
        else:
            level_id, key = definition.level1, definition.level2
        level2 = sums.get(level_id)
        if level2 is None:
            level2 = sums[level_id] = {}
            assessable_sums[level_id] = ZERO
        weight = s.weight
        pair = level2.get(key)
        if pair is None:
            level2[key] = [weight, s.score]
        else:
            pair[0] += weight
            pair[1] += s.score
        if s.status in ASSESSABLE:  # IndicatorScore.assessable, inlined
            assessable_sums[level_id] += weight
    if pooled:
        layout = [(POOL[0], POOL[1], POOL[2], level_weights["indicators"])]
    else:
        levels_by_id = ruleset.levels
        layout = [(level_id, levels_by_id[level_id].name, levels_by_id[level_id].name_en, level_weights[level_id]) for level_id in ruleset.indicator_levels if level_id in level_weights]
    levels = []
    for level_id, name, name_en, weight in layout:
        level2 = sums.get(level_id, {})
        score_sum = ZERO
        for _, level_score in level2.values():
            score_sum += level_score
        levels.append(
            LevelScore(
                level_id,
                name,
                name_en,
                weight.quantize(quantum, half_up),
                score_sum.quantize(quantum, half_up),
                assessable_sums.get(level_id, ZERO).quantize(quantum, half_up),
                {key: (w.quantize(quantum, half_up), sc.quantize(quantum, half_up)) for key, (w, sc) in sorted(level2.items())},
            )
        )
    return levels
