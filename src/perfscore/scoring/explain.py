"""Explanations: why a score is what it is, in the reader's language.

The last step of the score stage, run only when asked (``perfscore explain``, the score
JSON): a row, budget line, project or unit score keeps what produced it (method, formula
key, inputs) and the functions here turn that into the rule, the inputs, the formula and
the result. Every text is in the message catalogue (``messages/explain.toml``) and every
number is written by :mod:`perfscore.numbers`, so the scoring loop itself builds no text.
The score classes' ``.explain(lang)`` methods call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from perfscore.arithmetic import HUNDRED, ZERO
from perfscore.messages import catalogue, message, pick
from perfscore.numbers import COMPARISON_SYMBOLS, DASH, as_written, figure, hedged, money, percent, plain
from perfscore.scoring.status import SCORED

if TYPE_CHECKING:
    from perfscore.scoring.score import BudgetScore, IndicatorScore, ProjectScore, UnitScore


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a number is what it is."""

    rule: str
    inputs: dict[str, str]
    formula: str
    result: str

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "inputs": self.inputs, "formula": self.formula, "result": self.result}


def explain_indicator(score: IndicatorScore, lang: str) -> Explanation:
    """A row's rule (its method, or why it was not scored), inputs, formula and result."""
    values = formula_values(score)
    definition, row = score.definition, score.row
    inputs = {
        message("explain.indicator", lang): pick((score.name, definition.name_en), lang) if definition.source == "submission" else f"{definition.id} {pick((score.name, definition.name_en), lang)}",
        message("explain.comparison", lang): score.comparison,
        message("explain.target", lang): values["target"],
        message("explain.actual", lang): values["actual"],
        message("explain.weight", lang): values["weight"],
    }
    for key, text, number in (("target", row.target_text, row.target), ("actual", row.actual_text, row.actual)):
        if text is not None:
            inputs[message(f"explain.{key}_text", lang)] = message("explain.read_value", lang, text=text, read=_read_as(score, key, number, lang))
    if row.deduction is not None:
        inputs[message("explain.deduction", lang)] = message("explain.deduction_value", lang, points=as_written(row.deduction), reason=row.deduction_reason)
    method = score.method
    if score.status == SCORED and method is not None:
        rule = message("explain.rule_scored", lang, method=method.name, comparison=score.comparison, description=method.description)
        template = method.formulas.get(score.formula_key, {}).get(lang)
        formula = template.format(**values) if template else f"{method.name}:{score.formula_key}"
        if row.deduction is not None:
            formula += message("explain.formula_deduction", lang, points=as_written(row.deduction))
    else:
        rule = message(f"explain.rule_{score.status}", lang)
        formula = message(f"explain.formula_{score.status}", lang)
    return Explanation(rule, inputs, formula, message("explain.of_weight", lang, score=values["score"], weight=values["weight"]))


def _read_as(score: IndicatorScore, key: str, number: Decimal | None, lang: str) -> str:
    """What a text value was read as: its comparator (targets), number and unit, or a statement."""
    if score.row.not_applicable:
        return message("explain.read_not_applicable", lang)
    if number is None:
        return message("explain.read_qualitative", lang)
    unit = score.row.unit or score.definition.unit or DASH
    if key == "actual":
        return message("explain.read_actual", lang, number=hedged(number, score.row.qualifier), unit=unit)
    return message("explain.read_figure", lang, comparison=COMPARISON_SYMBOLS.get(score.comparison, DASH), number=figure(number), unit=unit)


def formula_values(score: IndicatorScore) -> dict[str, str]:
    """The fields a method's formula templates may name, each already written as text."""
    ruleset, row, definition = score.ruleset, score.row, score.definition
    places = ruleset.arithmetic.places
    unit = definition.unit
    tier = next((t for t in ruleset.qualitative.tiers if row.tier in (t.id, t.name)), None)
    rules = ruleset.over_completion
    deduction = definition.deduction
    # both languages, whichever a template is written in: methods name them {met_zero}, {met_zero_en}
    met_zero, met_zero_en = catalogue()["explain.zero_target_met" if score.score > 0 else "explain.zero_target_not_met"]
    return {
        "target": DASH if score.target is None else f"{figure(score.target)} {unit}",
        "actual": DASH if score.actual is None else f"{figure(score.actual)} {unit}",
        "weight": plain(score.weight, places),
        "score": plain(score.score, places),
        "completion": percent(score.completion),
        "threshold": percent(rules.threshold),
        "reduce_factor": as_written(rules.reduce_factor),
        "tier": tier.name if tier else (row.tier or ""),
        "tier_min": plain(tier.min * score.weight, places) if tier else "",
        "tier_max": plain(tier.max * score.weight, places) if tier else "",
        "description": row.description or "",
        "met_zero": met_zero,
        "met_zero_en": met_zero_en,
        "step": as_written(deduction.step) if deduction else "",
        "points": as_written(deduction.points) if deduction else "",
        "floor": as_written(deduction.floor) if deduction else "",
    }


def explain_budget(budget: BudgetScore, lang: str, money_unit: str) -> Explanation:
    """预算执行率: the amounts, both rates, the basis scored on, and weight × capped rate."""
    inputs = {
        message("explain.budget", lang): money(budget.budget, money_unit, unit_separator=" "),
        message("explain.spending", lang): money(budget.spending, money_unit, unit_separator=" ") if budget.spending_known else message("explain.unknown", lang),
        message("explain.execution_rate_all", lang): percent(budget.execution_rate),
        message("explain.execution_rate_own_level", lang): percent(budget.own_level_execution_rate),
        message("explain.scored_on", lang): message(f"explain.basis_{budget.basis}", lang),
        message("explain.weight", lang): as_written(budget.weight),
    }
    if budget.base == "initial" and budget.initial_budget is not None:
        inputs[message("explain.rate_base", lang)] = message("explain.base_initial", lang, amount=money(budget.initial_budget, money_unit, unit_separator=" "))
    if budget.score is None:
        return Explanation(message("explain.budget_rule_no_rate", lang), inputs, message("explain.budget_formula_no_rate", lang), DASH)
    rate = budget.scored_rate
    weight, score = as_written(budget.weight), as_written(budget.score)
    formula = message("explain.budget_formula", lang, weight=weight, rate=percent(rate), cap=percent(budget.cap), score=score, places=as_written(budget.places))
    if rate is not None and rate > budget.cap:
        formula += message("explain.budget_capped", lang)
    return Explanation(message("explain.budget_rule", lang), inputs, formula, message("explain.of_weight", lang, score=score, weight=weight))


def explain_project(project: ProjectScore, lang: str) -> Explanation:
    """A project's total: budget and level scores added, scaled to the assessable points if the ruleset says so."""
    budget_score = project.budget.score
    parts = " + ".join([as_written(budget_score if budget_score is not None else ZERO), *(as_written(level.score) for level in project.levels)])
    inputs = {message("explain.project_budget", lang): as_written(budget_score)}
    for level in project.levels:
        inputs[pick((level.name, level.name_en), lang)] = message("explain.of_weight", lang, score=as_written(level.score), weight=as_written(level.weight))
    inputs[message("explain.assessable_points", lang)] = message("explain.of_weight", lang, score=as_written(project.assessable), weight=as_written(HUNDRED))
    total = as_written(project.total)
    partial = project.assessable < HUNDRED
    if project.policy == "assessable" and partial:
        formula = message("explain.project_formula_scaled", lang, parts=parts, assessable=as_written(project.assessable), total=total)
        rule = message("explain.project_rule_scaled", lang)
    else:
        formula = message("explain.project_formula_sum", lang, parts=parts, total=total)
        rule = message("explain.project_rule_unassessed_zero" if partial else "explain.project_rule_sum", lang)
    return Explanation(rule, inputs, formula, message("explain.total_with_grade", lang, total=total, grade=project.grade))


def explain_unit(unit: UnitScore, lang: str) -> Explanation:
    """The unit's total: its projects' totals weighted by budget, or their mean."""
    weighted = unit.ruleset.combine == "budget_weighted"
    inputs = {
        project.project.name: (
            message("explain.project_total_by_budget", lang, total=as_written(project.total), budget=money(project.budget.budget, project.money_unit, unit_separator=" "))
            if weighted
            else as_written(project.total)
        )
        for project in unit.projects
    }
    total = as_written(unit.total)
    if weighted and unit.budget.budget > ZERO:
        rule = message("explain.unit_rule_weighted", lang)
        formula = message("explain.unit_formula_weighted", lang, total=total)
    else:
        rule = message("explain.unit_rule_mean", lang)
        formula = message("explain.unit_formula_mean", lang, count=as_written(len(unit.projects)), total=total)
    return Explanation(rule, inputs, formula, message("explain.total_with_grade", lang, total=total, grade=unit.grade))


__all__ = ["Explanation", "explain_budget", "explain_indicator", "explain_project", "explain_unit", "formula_values"]
