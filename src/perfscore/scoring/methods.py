"""Built-in scoring methods, registered through the same hook as third-party methods.

A method turns one indicator row into a raw score (the engine rounds it) plus the
completion ratio and the key of the formula it applied. Each formula key has a zh and an
en template, so ``perfscore explain`` can print the rule, the inputs and the arithmetic.
Methods are pure functions of their inputs: no I/O, no state, no dependence on order.

Named in rulesets: ``[methods]`` maps each comparison to a method, and an indicator may
name its own with ``method = "..."``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Callable

from perfscore.arithmetic import ONE, ZERO

if TYPE_CHECKING:
    from perfscore.models import IndicatorDef, IndicatorRow, Ruleset


#: (raw score, completion ratio or None, formula key)
Outcome = tuple[Decimal, "Decimal | None", str]

#: ``function(target, actual, weight, row, definition, ruleset) -> Outcome``.
#: Target and actual are in the library's unit of measure (元 ↔ 万元 already converted),
#: and both present unless the method says ``needs_target = False`` (its function then
#: takes ``Decimal | None`` for them, as :func:`_qualitative` does);
#: ``row`` is the submission's IndicatorRow, ``definition`` its IndicatorDef. The arguments
#: are positional rather than one input object because a method runs once per scored row
#: and building that object cost a tenth of the scoring core's time (docs/performance.md).
MethodFunction = Callable[[Decimal, Decimal, Decimal, "IndicatorRow", "IndicatorDef", "Ruleset"], Outcome]


@dataclass(frozen=True, slots=True)
class ScoringMethod:
    """A named scoring method with the zh/en text of each formula it may apply.

    Formula templates are ``str.format`` strings over: weight, target, actual, completion
    (a percentage), score, threshold, and any extra names documented by the method.
    """

    name: str
    function: MethodFunction
    formulas: dict[str, dict[str, str]] = field(default_factory=dict)
    needs_target: bool = True
    description: str = ""


def _ratio(target: Decimal, actual: Decimal, weight: Decimal, row: IndicatorRow, definition: IndicatorDef, ruleset: Ruleset) -> Outcome:
    if target <= ZERO:
        return (weight if actual >= target else ZERO), None, "zero_target"
    completion = actual / target
    if completion >= ONE:
        rules = ruleset.over_completion
        if rules.action == "reduce" and completion >= rules.threshold:
            share = ONE - (completion - rules.threshold) * rules.reduce_factor
            return weight * max(share, ZERO), completion, "reduced"
        return weight, completion, ("met" if completion == ONE else "capped")
    return weight * completion, completion, "shortfall"


def _lower_linear(target: Decimal, actual: Decimal, weight: Decimal, row: IndicatorRow, definition: IndicatorDef, ruleset: Ruleset) -> Outcome:
    if target <= ZERO:
        return (weight if actual <= ZERO else ZERO), None, "zero_target"
    completion = actual / target
    if actual <= target:
        return weight, completion, "met"
    if actual >= 2 * target:
        return ZERO, completion, "double"
    return weight * (ONE - (actual - target) / target), completion, "excess"


def _lower_inverse(target: Decimal, actual: Decimal, weight: Decimal, row: IndicatorRow, definition: IndicatorDef, ruleset: Ruleset) -> Outcome:
    if target <= ZERO:
        return (weight if actual <= ZERO else ZERO), None, "zero_target"
    completion = actual / target
    if actual <= target:
        return weight, completion, "met"
    return weight * target / actual, completion, "excess"


def _equal(target: Decimal, actual: Decimal, weight: Decimal, row: IndicatorRow, definition: IndicatorDef, ruleset: Ruleset) -> Outcome:
    if target == ZERO:
        return (weight if actual <= ZERO else ZERO), None, "zero_target"
    return _ratio(target, actual, weight, row, definition, ruleset)


def _qualitative(target: Decimal | None, actual: Decimal | None, weight: Decimal, row: IndicatorRow, definition: IndicatorDef, ruleset: Ruleset) -> Outcome:
    tier = ruleset.tier_index.get(row.tier) if row.tier is not None else None
    if tier is None:
        # Published tables give full marks to a row that only states "达成预期指标".
        return weight * max(t.max for t in ruleset.qualitative.tiers), None, "statement_only"
    if row.self_score is not None:
        return row.self_score, None, "self_scored"
    return weight * tier.max, None, "tier_top"


def _completion_for_bands(target: Decimal, actual: Decimal, row: IndicatorRow, definition: IndicatorDef) -> Decimal:
    if (row.comparison or definition.comparison) == "<=":
        return ONE if actual <= target else (target / actual if actual > ZERO else ZERO)
    return actual / target if target > ZERO else ONE


def _banded(target: Decimal, actual: Decimal, weight: Decimal, row: IndicatorRow, definition: IndicatorDef, ruleset: Ruleset) -> Outcome:
    bands = definition.bands or []
    completion = _completion_for_bands(target, actual, row, definition)
    for band in sorted(bands, key=lambda band: band.min, reverse=True):
        if completion >= band.min:
            return weight * band.share, completion, "band"
    return ZERO, completion, "below_bands"


def _deduction(target: Decimal, actual: Decimal, weight: Decimal, row: IndicatorRow, definition: IndicatorDef, ruleset: Ruleset) -> Outcome:
    rule = definition.deduction
    assert rule is not None, f"indicator {definition.id}: the deduction method needs a [deduction] rule"
    gap = (actual - target) if (row.comparison or definition.comparison) == "<=" else (target - actual)
    completion = actual / target if target > ZERO else None
    if gap <= ZERO:
        return weight, completion, "met"
    return max(rule.floor, weight - gap / rule.step * rule.points), completion, "deducted"


_COMMON = {
    "zero_target": {
        "zh": "目标值为 0：实际 {actual} {met_zero}，得 {score} 分",
        "en": "target is 0: actual {actual} {met_zero_en}, score {score}",
    },
}

BUILTIN_METHODS: tuple[ScoringMethod, ...] = (
    ScoringMethod(
        "ratio",
        _ratio,
        {
            **_COMMON,
            "met": {"zh": "实际 {actual} 达到目标 {target}（完成 {completion}），得满分 {weight}", "en": "actual {actual} meets target {target} ({completion}): full weight {weight}"},
            "capped": {"zh": "实际 {actual} 超过目标 {target}（完成 {completion}），超额完成不加分，得满分 {weight}", "en": "actual {actual} exceeds target {target} ({completion}); over-completion is capped at the weight {weight}"},
            "reduced": {"zh": "完成 {completion} 达到超额阈值 {threshold}，目标可能偏低，按偏离度扣减：{weight} × (1 − ({completion} − {threshold}) × {reduce_factor}) = {score}", "en": "completion {completion} reaches the over-completion threshold {threshold}; the target may be too low, reduced by the deviation: {weight} × (1 − ({completion} − {threshold}) × {reduce_factor}) = {score}"},
            "shortfall": {"zh": "未达目标：{weight} × {actual} ÷ {target} = {score}", "en": "short of target: {weight} × {actual} ÷ {target} = {score}"},
        },
        description="higher is better (≥): full weight when met, weight × actual ÷ target below, capped above",
    ),
    ScoringMethod(
        "lower_linear",
        _lower_linear,
        {
            **_COMMON,
            "met": {"zh": "实际 {actual} 不高于目标 {target}，得满分 {weight}", "en": "actual {actual} is within target {target}: full weight {weight}"},
            "excess": {"zh": "超出目标：{weight} × (1 − ({actual} − {target}) ÷ {target}) = {score}", "en": "above target: {weight} × (1 − ({actual} − {target}) ÷ {target}) = {score}"},
            "double": {"zh": "实际 {actual} 达到目标 {target} 的 2 倍及以上，得 0 分", "en": "actual {actual} is at least twice the target {target}: 0"},
        },
        description="lower is better (≤), linear: 0 at twice the target",
    ),
    ScoringMethod(
        "lower_inverse",
        _lower_inverse,
        {
            **_COMMON,
            "met": {"zh": "实际 {actual} 不高于目标 {target}，得满分 {weight}", "en": "actual {actual} is within target {target}: full weight {weight}"},
            "excess": {"zh": "超出目标：{weight} × {target} ÷ {actual} = {score}", "en": "above target: {weight} × {target} ÷ {actual} = {score}"},
        },
        description="lower is better (≤), weight × target ÷ actual (a Hubei table's formula)",
    ),
    ScoringMethod(
        "equal",
        _equal,
        {},  # filled below: same texts as ratio
        description="equal (=): scored like ≥ when target > 0; target 0 needs actual ≤ 0",
    ),
    ScoringMethod(
        "qualitative",
        _qualitative,
        {
            "self_scored": {"zh": "定性指标，档次「{tier}」（{tier_min}–{tier_max}），单位自评 {score} 分", "en": "qualitative, tier “{tier}” ({tier_min}–{tier_max}); the unit's own score {score}"},
            "tier_top": {"zh": "定性指标，档次「{tier}」，未自评分数，取该档上限 {score} 分", "en": "qualitative, tier “{tier}”, no own score: the tier's top, {score}"},
            "statement_only": {"zh": "定性指标仅有表述（{description}），按公开表格惯例视为达成，得 {score} 分", "en": "qualitative row with a statement only ({description}); scored as met, as published tables do: {score}"},
        },
        needs_target=False,
        description="qualitative: a tier and an optional score inside the tier's range",
    ),
    ScoringMethod(
        "banded",
        _banded,
        {
            "band": {"zh": "完成 {completion}，落入分档，得 {score} 分", "en": "completion {completion} falls in a band: {score}"},
            "below_bands": {"zh": "完成 {completion}，低于最低分档，得 0 分", "en": "completion {completion} is below every band: 0"},
        },
        description="banded points by completion (bands in the indicator definition)",
    ),
    ScoringMethod(
        "deduction",
        _deduction,
        {
            "met": {"zh": "实际 {actual} 达到目标 {target}，得满分 {weight}", "en": "actual {actual} meets target {target}: full weight {weight}"},
            "deducted": {"zh": "每差 {step} 扣 {points} 分，扣完为止（下限 {floor}）：得 {score} 分", "en": "{points} deducted per {step} off target, floor {floor}: {score}"},
        },
        description="deduction per unit off target, with a floor (扣完为止)",
    ),
)
BUILTIN_METHODS[3].formulas.update(BUILTIN_METHODS[0].formulas)

