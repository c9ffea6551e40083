"""Each rule shape of domain.md against hand-worked examples.

A small test library (one indicator per rule shape) is laid on the shipped national
ruleset; each test states one published rule and the numbers it must give.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import build_ruleset, build_submission, national_raw
from pydantic import ValidationError

from perfscore.errors import InputError
from perfscore.engine import load_checked
from perfscore.load import load_ruleset, load_submission
from perfscore.scoring.weights import derive_weights
from perfscore.models import IndicatorRow, Ruleset
from perfscore.scoring.score import (
    MISSING_TARGET,
    NOT_APPLICABLE,
    SCORED,
    score_indicator,
    score_submission,
)

D = Decimal

AREAS = {"test": {"name": "测试", "name_en": "Test"}}

BANDS = [
    {"min": D("0.9"), "share": D("1")},
    {"min": D("0.8"), "share": D("0.8")},
    {"min": D("0.7"), "share": D("0.6")},
    {"min": D("0.6"), "share": D("0.4")},
]

LIBRARY = [
    {"id": "t.ge", "name": "数量甲", "name_en": "Quantity A", "area": "test", "level1": "output", "level2": "quantity", "unit": "人", "comparison": ">="},
    {"id": "t.ge2", "name": "数量乙", "name_en": "Quantity B", "area": "test", "level1": "output", "level2": "quantity", "unit": "人", "comparison": ">="},
    {"id": "t.ge3", "name": "数量丙", "name_en": "Quantity C", "area": "test", "level1": "output", "level2": "quantity", "unit": "人", "comparison": ">="},
    {"id": "t.le", "name": "成本", "name_en": "Cost", "area": "test", "level1": "output", "level2": "cost", "unit": "元", "comparison": "<="},
    {"id": "t.eq", "name": "风险户数", "name_en": "Risk households", "area": "test", "level1": "benefit", "level2": "social", "unit": "户", "comparison": "="},
    {"id": "t.qual", "name": "社会效益", "name_en": "Social benefit", "area": "test", "level1": "benefit", "level2": "social", "unit": "", "comparison": "qualitative"},
    {"id": "t.band", "name": "覆盖率", "name_en": "Coverage", "area": "test", "level1": "benefit", "level2": "social", "unit": "%", "comparison": ">=", "method": "banded", "bands": BANDS},
    {"id": "t.deduct", "name": "超支率", "name_en": "Overspend rate", "area": "test", "level1": "output", "level2": "cost", "unit": "%", "comparison": "<=", "method": "deduction", "deduction": {"step": D(1), "points": D("0.5")}},
    {"id": "t.sat", "name": "满意度", "name_en": "Satisfaction", "area": "test", "level1": "satisfaction", "level2": "beneficiaries", "unit": "%", "comparison": ">="},
]


def ruleset(**overrides: Any) -> Ruleset:
    """National rules with the test library; table overrides are merged key by key."""
    raw = national_raw()
    raw.update(indicators=LIBRARY, areas=AREAS)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict) and key != "weights":
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return build_ruleset(raw)


def score_row(rules: Ruleset, host, indicator: str, weight: Any = 10, **row: Any):
    definition = rules.indicator(indicator)
    return score_indicator("p", IndicatorRow(indicator=indicator, **row), definition, D(str(weight)), rules, host.methods())


def project(indicators: list[dict[str, Any]] | None = None, budget: Any = 100, spending: Any = 100, **extra: Any) -> dict[str, Any]:
    return {"id": extra.pop("id", "p"), "name": extra.pop("name", "项目"), "funds": extra.pop("funds", [{"budget": budget, "spending": spending}]), "indicators": indicators or [], **extra}


def unit(rules: Ruleset, host, *projects: dict[str, Any]):
    submission = build_submission({"unit": {"id": "u", "name": "单位", "year": 2022}, "projects": list(projects)})
    return score_submission(submission, rules, host.methods())


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- ≥ higher is better


def test_ge_met_scores_full_weight(host):
    """≥: actual equal to the target earns the full weight."""
    result = score_row(ruleset(), host, "t.ge", 10, target=100, actual=100)
    assert (result.score, result.completion, result.status) == (D("10.00"), D(1), SCORED)


def test_ge_shortfall_is_weight_times_actual_over_target(host):
    """≥ shortfall: weight × actual ÷ target, 10 × 81 ÷ 90 = 9.00."""
    assert score_row(ruleset(), host, "t.ge", 10, target=90, actual=81).score == D("9.00")


def test_ge_shortfall_rounds_two_places_half_up(host):
    """≥ shortfall rounds half-up to 2 places: 1 × 1 ÷ 8 = 0.125 → 0.13, and 10 × 2 ÷ 3 → 6.67."""
    assert score_row(ruleset(), host, "t.ge", 1, target=8, actual=1).score == D("0.13")
    assert score_row(ruleset(), host, "t.ge", 10, target=3, actual=2).score == D("6.67")


def test_ge_rounding_mode_is_a_setting(host):
    """arithmetic.rounding = half_even rounds 0.125 to 0.12."""
    rules = ruleset(arithmetic={"rounding": "half_even"})
    assert score_row(rules, host, "t.ge", 1, target=8, actual=1).score == D("0.12")


def test_ge_over_completion_is_capped(host):
    """≥ over-completion (99 of 90) is capped at the weight, completion still 110%."""
    result = score_row(ruleset(), host, "t.ge", 10, target=90, actual=99)
    assert result.score == D("10.00")
    assert result.completion == D(99) / D(90)


def test_ge_over_completion_reduce_past_threshold(host):
    """over_completion.action = reduce: 150% of target with threshold 130% → 10 × (1 − 0.2) = 8.00."""
    rules = ruleset(over_completion={"action": "reduce", "threshold": D("1.3"), "reduce_factor": D(1)})
    assert score_row(rules, host, "t.ge", 10, target=100, actual=150).score == D("8.00")


def test_ge_over_completion_reduce_not_below_threshold(host):
    """action = reduce leaves rows below the threshold at the full weight (120% → 10)."""
    rules = ruleset(over_completion={"action": "reduce", "threshold": D("1.3")})
    assert score_row(rules, host, "t.ge", 10, target=100, actual=120).score == D("10.00")


def test_ge_over_completion_reduce_floors_at_zero(host):
    """action = reduce never goes below 0 (300% of target → 0)."""
    rules = ruleset(over_completion={"action": "reduce", "threshold": D("1.3")})
    assert score_row(rules, host, "t.ge", 10, target=100, actual=300).score == D("0.00")


def test_ge_reduce_explanation_names_the_threshold(host):
    """A reduced row's explanation shows the threshold and the deviation formula."""
    rules = ruleset(over_completion={"action": "reduce", "threshold": D("1.3")})
    formula = score_row(rules, host, "t.ge", 10, target=100, actual=150).explain("en").formula
    assert "130.00%" in formula and "8.00" in formula


# --------------------------------------------------------------------------- ≤ lower is better


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(80, "10.00"), (100, "10.00"), (125, "7.50"), (150, "5.00"), (199, "0.10"), (200, "0.00"), (250, "0.00")],
)
def test_le_lower_linear(host, actual, expected):
    """≤ lower_linear: full at or under target, weight × (1 − excess ÷ target) between, 0 at twice the target."""
    assert score_row(ruleset(), host, "t.le", 10, target=100, actual=actual).score == D(expected)


@pytest.mark.parametrize(("actual", "expected"), [(90, "10.00"), (125, "8.00"), (300, "3.33"), (400, "2.50")])
def test_le_lower_inverse(host, actual, expected):
    """≤ lower_inverse (a Hubei table's formula): weight × target ÷ actual, capped at the weight."""
    rules = ruleset(methods={"<=": "lower_inverse"})
    assert score_row(rules, host, "t.le", 10, target=100, actual=actual).score == D(expected)


def test_hubei_ruleset_uses_lower_inverse(host):
    """The shipped hubei ruleset scores ≤ rows with weight × target ÷ actual."""
    assert load_ruleset("hubei").methods["<="] == "lower_inverse"


# --------------------------------------------------------------------------- = equal


@pytest.mark.parametrize(("actual", "expected"), [(0, "10.00"), (1, "0.00"), (D("0.5"), "0.00")])
def test_eq_zero_target(host, actual, expected):
    """= with target 0: full weight when actual ≤ 0 (figures are never negative, so 0), else 0."""
    assert score_row(ruleset(), host, "t.eq", 10, target=0, actual=actual).score == D(expected)


@pytest.mark.parametrize(("actual", "expected"), [(5, "10.00"), (4, "8.00"), (6, "10.00")])
def test_eq_positive_target_scored_like_ge(host, actual, expected):
    """= with target > 0 is scored like ≥ (4 of 5 → 8.00 of 10; 6 of 5 capped)."""
    assert score_row(ruleset(), host, "t.eq", 10, target=5, actual=actual).score == D(expected)


def test_ge_zero_target_is_not_a_division_by_zero(host):
    """≥ with target 0 scores the full weight for any actual ≥ 0 instead of dividing by zero."""
    assert score_row(ruleset(), host, "t.ge", 10, target=0, actual=3).score == D("10.00")


# --------------------------------------------------------------------------- qualitative


def test_qualitative_self_score_inside_tier(host):
    """Qualitative: the unit's own score inside its tier (7 in 部分达成 6–8) is kept."""
    result = score_row(ruleset(), host, "t.qual", 10, tier="partly", self_score=7, description="部分完成")
    assert result.score == D("7.00")


def test_qualitative_tier_named_in_chinese(host):
    """A tier may be named by its Chinese name as well as its id."""
    result = score_row(ruleset(), host, "t.qual", 10, tier="部分达成年度指标并具有一定效果", description="部分完成")
    assert result.score == D("8.00")


def test_qualitative_default_is_top_of_tier(host):
    """Qualitative with a tier and no own score gets the tier's top (部分达成 → 80% of 10 = 8)."""
    assert score_row(ruleset(), host, "t.qual", 10, tier="partly", description="部分完成").score == D("8.00")
    assert score_row(ruleset(), host, "t.qual", 10, tier="not_met", description="未完成").score == D("6.00")


def test_qualitative_statement_only_gets_full_marks(host):
    """A qualitative row with a statement only (达成预期指标) gets full marks, as published tables do."""
    assert score_row(ruleset(), host, "t.qual", 10, description="达成预期指标").score == D("10.00")


def test_qualitative_tier_ranges_are_settings(host):
    """The tier ranges come from the ruleset (a local 100–80/80–50/50–0 variant)."""
    tiers = [
        {"id": "met", "name": "达成", "name_en": "met", "min": D("0.8"), "max": D(1)},
        {"id": "partly", "name": "部分达成", "name_en": "partly", "min": D("0.5"), "max": D("0.8")},
        {"id": "not_met", "name": "未达成", "name_en": "not met", "min": D(0), "max": D("0.5")},
    ]
    rules = ruleset(qualitative={"tiers": tiers})
    assert score_row(rules, host, "t.qual", 10, tier="not_met", description="x").score == D("5.00")


def _qualitative_submission(self_score: Any) -> dict[str, Any]:
    rows = [
        {"indicator": "t.ge", "target": 1, "actual": 1, "weight": 50},
        {"indicator": "t.qual", "weight": 30, "tier": "partly", "self_score": self_score, "description": "部分完成"},
        {"indicator": "t.sat", "target": 90, "actual": 95, "weight": 10},
    ]
    return {"unit": {"id": "u", "name": "单位", "year": 2022}, "projects": [project(rows)]}


def test_qualitative_self_score_outside_tier_is_input_error(tmp_path):
    """A self_score outside its tier's range (25 for 部分达成 18–24 of 30) is an InputError at its key path."""
    path = write_toml(tmp_path / "unit.toml", _qualitative_submission(25))
    with pytest.raises(InputError) as caught:
        load_checked(path, None, ruleset=ruleset())
    locations = [problem.location for problem in caught.value.problems]
    assert "projects[0].indicators[1].self_score" in locations


def test_qualitative_self_score_inside_tier_passes_check(tmp_path):
    """A self_score inside its tier's range passes the checks."""
    path = write_toml(tmp_path / "unit.toml", _qualitative_submission(20))
    submission, _ = load_checked(path, None, ruleset=ruleset())
    assert submission.projects[0].indicators[1].self_score == 20


def test_qualitative_row_needs_a_description(tmp_path):
    """A qualitative row without a description of what was achieved is an InputError."""
    data = _qualitative_submission(20)
    del data["projects"][0]["indicators"][1]["description"]
    path = write_toml(tmp_path / "unit.toml", data)
    with pytest.raises(InputError) as caught:
        load_checked(path, None, ruleset=ruleset())
    assert any(problem.location == "projects[0].indicators[1].description" for problem in caught.value.problems)


# --------------------------------------------------------------------------- banded points and deductions


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(100, "5.00"), (95, "5.00"), (90, "5.00"), (D("89.99"), "4.00"), (85, "4.00"), (80, "4.00"), (75, "3.00"), (65, "2.00"), (60, "2.00"), (59, "0.00")],
)
def test_banded_points(host, actual, expected):
    """Banded points of weight 5: ≥90% → 5, 80–90% → 4, 70–80% → 3, 60–70% → 2, below → 0."""
    assert score_row(ruleset(), host, "t.band", 5, target=100, actual=actual).score == D(expected)


@pytest.mark.parametrize(("actual", "expected"), [(4, "5.00"), (5, "5.00"), (8, "3.50"), (D("5.5"), "4.75"), (15, "0.00"), (40, "0.00")])
def test_deduction_half_point_per_percentage_point_with_floor(host, actual, expected):
    """每超过一个百分点扣0.5分，扣完为止: weight 5, target 5%, actual 8% → 3.50; far over → 0."""
    assert score_row(ruleset(), host, "t.deduct", 5, target=5, actual=actual).score == D(expected)


def test_deduction_floor_is_a_setting(host):
    """A deduction rule's floor keeps a minimum score (floor 1 → never below 1)."""
    library = [dict(entry) for entry in LIBRARY]
    library[7] = {**library[7], "deduction": {"step": D(1), "points": D("0.5"), "floor": D(1)}}
    rules = ruleset(indicators=library)
    assert score_row(rules, host, "t.deduct", 5, target=5, actual=40).score == D("1.00")


def test_manual_deduction_is_subtracted(host):
    """A manual deduction (扣减分数) with a reason is taken off the row's score: 10 − 2 = 8."""
    result = score_row(ruleset(), host, "t.ge", 10, target=100, actual=100, deduction=2, deduction_reason="资料不全")
    assert result.score == D("8.00")
    assert "资料不全" in "".join(result.explain("zh").inputs.values())


def test_manual_deduction_needs_a_reason():
    """A manual deduction without deduction_reason is refused by the model."""
    with pytest.raises(ValidationError, match="deduction_reason"):
        IndicatorRow(indicator="t.ge", target=1, actual=1, deduction=2)


def test_manual_deduction_without_reason_names_key_path(tmp_path):
    """Loading a submission whose deduction has no reason names the row's key path."""
    data = {"unit": {"id": "u", "name": "单位", "year": 2022}, "projects": [project([{"indicator": "t.ge", "target": 1, "actual": 1, "deduction": 2}])]}
    path = write_toml(tmp_path / "unit.toml", data)
    with pytest.raises(InputError) as caught:
        load_submission(path)
    assert [problem.location for problem in caught.value.problems] == ["projects[0].indicators[0]"]


# --------------------------------------------------------------------------- not applicable


def _na_project() -> dict[str, Any]:
    return project([
        {"indicator": "t.ge", "target": 10, "actual": 10, "weight": 25},
        {"indicator": "t.ge2", "not_applicable": True, "weight": 25},
        {"indicator": "t.eq", "target": 0, "actual": 0, "weight": 30},
        {"indicator": "t.sat", "target": 90, "actual": 95, "weight": 10},
    ])


def test_not_applicable_row_is_left_out(host):
    """A not-applicable (/) row is not scored and its weight is not counted as assessable."""
    result = unit(ruleset(), host, _na_project()).projects[0]
    row = next(score for score in result.indicators if score.definition.id == "t.ge2")
    assert row.status == NOT_APPLICABLE and row.score == 0
    output = next(level for level in result.levels if level.id == "output")
    assert (output.score, output.assessable) == (D("25.00"), D("25.00"))
    assert result.assessable == D("75.00")


def test_not_applicable_weight_redistributed_when_ruleset_says_so(host):
    """With not_applicable_redistribute = true the level's other rows share the freed weight."""
    result = unit(ruleset(not_applicable_redistribute=True), host, _na_project()).projects[0]
    row = next(score for score in result.indicators if score.definition.id == "t.ge")
    assert (row.weight, row.score) == (D(50), D("50.00"))
    assert result.total == D("100.00")
    assert result.assessable == D("100.00")


# --------------------------------------------------------------------------- budget execution


def test_hubei_20_percent_execution_scores_4_of_20(host):
    """Hubei: 20% execution at budget weight 20 → 4 points (a published table)."""
    result = unit(load_ruleset("hubei"), host, project(budget=100, spending=20)).projects[0]
    assert result.budget.weight == 20
    assert result.budget.execution_rate == D("0.2")
    assert result.budget.score == D("4.00")


def test_budget_score_capped_at_weight(host):
    """An execution rate above 100% scores the weight, no more (150% → 10 of 10)."""
    result = unit(ruleset(), host, project(budget=100, spending=150)).projects[0]
    assert result.budget.execution_rate == D("1.5")
    assert result.budget.score == D("10.00")


def test_budget_partial_execution_is_linear(host):
    """Budget score = weight × rate, no bands: 85.36% of weight 10 → 8.54."""
    assert unit(ruleset(), host, project(budget=97, spending=D("82.8"))).projects[0].budget.score == D("8.54")


def test_budget_places_zero_rounds_to_whole_points(host):
    """budget.places = 0 rounds the budget score to whole points (45.6% × 10 → 5, 44% × 10 → 4)."""
    rules = ruleset(budget={"places": 0})
    assert unit(rules, host, project(budget=1000, spending=456)).projects[0].budget.score == D(5)
    assert unit(rules, host, project(budget=100, spending=44)).projects[0].budget.score == D(4)
    assert unit(rules, host, project(budget=100, spending=45)).projects[0].budget.score == D(5)


def test_budget_counted_sources_excludes_a_fund_line(host):
    """counted_sources = [fiscal] leaves other funds out of the rate (fiscal 50 of 100 → 50%)."""
    funds = [{"source": "fiscal", "budget": 100, "spending": 50}, {"source": "other", "budget": 100, "spending": 100}]
    rules = ruleset(budget={"counted_sources": ["fiscal"]})
    result = unit(rules, host, project(funds=funds)).projects[0]
    assert result.budget.execution_rate == D("0.5")
    assert result.budget.score == D("5.00")
    assert unit(ruleset(), host, project(funds=funds)).projects[0].budget.execution_rate == D("0.75")


def test_budget_basis_own_level(host):
    """basis = own_level scores the own-level rate (40 of 80 → 50%) while all funds are 100%."""
    funds = [{"budget": 100, "spending": 100, "own_level_budget": 80, "own_level_spending": 40}]
    result = unit(ruleset(budget={"basis": "own_level"}), host, project(funds=funds)).projects[0]
    assert result.budget.execution_rate == D(1)
    assert result.budget.own_level_execution_rate == D("0.5")
    assert result.budget.score == D("5.00")


def test_budget_money_units_do_not_change_the_rate(host):
    """A project in 元 and the same project in 万元 have the same execution rate."""
    in_yuan = unit(ruleset(), host, project(budget=1_000_000, spending=850_000, money_unit="元")).projects[0]
    in_wan = unit(ruleset(), host, project(budget=100, spending=85)).projects[0]
    assert in_yuan.budget.execution_rate == in_wan.budget.execution_rate == D("0.85")


# --------------------------------------------------------------------------- missing targets


def _missing_target_project() -> dict[str, Any]:
    return project([
        {"indicator": "t.ge", "target": 10, "actual": 10, "weight": 50},
        {"indicator": "t.eq", "actual": 3, "weight": 30},
        {"indicator": "t.sat", "target": 90, "actual": 95, "weight": 10},
    ])


def test_missing_target_policy_zero(host):
    """missing_targets = zero: a row without a target earns 0; total 70, 70 points assessable."""
    result = unit(ruleset(missing_targets="zero"), host, _missing_target_project()).projects[0]
    assert next(s for s in result.indicators if s.definition.id == "t.eq").status == MISSING_TARGET
    assert (result.total, result.assessable) == (D("70.00"), D("70.00"))


def test_missing_target_policy_assessable(host):
    """missing_targets = assessable: total scaled over the assessable points (70 of 70 → 100), 70 reported."""
    result = unit(ruleset(missing_targets="assessable"), host, _missing_target_project()).projects[0]
    assert (result.total, result.assessable) == (D("100.00"), D("70.00"))
    assert "70" in result.explain("en").inputs["assessable points"]


def test_missing_level_counts_as_unassessable(host):
    """A project with output rows only: benefit and satisfaction points are not assessable (60 of 100)."""
    result = unit(ruleset(), host, project([{"indicator": "t.ge", "target": 1, "actual": 1, "weight": 50}])).projects[0]
    assert (result.total, result.assessable) == (D("60.00"), D("60.00"))
    scaled = unit(ruleset(missing_targets="assessable"), host, project([{"indicator": "t.ge", "target": 1, "actual": 1, "weight": 50}])).projects[0]
    assert (scaled.total, scaled.assessable) == (D("100.00"), D("60.00"))


# --------------------------------------------------------------------------- weights


def test_derived_weights_add_up_exactly(host):
    """Weights derived from default weights add up exactly to the level-1 weight (50 over 3 rows)."""
    rows = [{"indicator": name, "target": 1, "actual": 1} for name in ("t.ge", "t.ge2", "t.ge3")]
    result = unit(ruleset(), host, project(rows)).projects[0]
    weights = sorted(score.weight for score in result.indicators)
    assert sum(weights) == D(50)
    assert weights == [D("16.66"), D("16.67"), D("16.67")]
    assert next(level for level in result.levels if level.id == "output").score == D("50.00")


def test_derived_weights_follow_default_weights():
    """Derived weights are in proportion to the library's default weights (2 : 1 of 30 → 20, 10)."""
    rules = ruleset()
    rows = [IndicatorRow(indicator="t.ge"), IndicatorRow(indicator="t.ge2")]
    definitions = [rules.indicator("t.ge").model_copy(update={"default_weight": D(2)}), rules.indicator("t.ge2")]
    assert derive_weights(rows, definitions, {"output": D(30)}, 2) == [D("20.00"), D("10.00")]


def test_level1_weights_adjusted_per_project(host):
    """A project's level1_weights replace the ruleset's first-level weights (budget 20)."""
    weights = {"budget": D(20), "output": D(50), "benefit": D(20), "satisfaction": D(10)}
    result = unit(ruleset(), host, project(level1_weights=weights, budget=100, spending=50)).projects[0]
    assert result.budget.score == D("10.00")


def test_ruleset_weights_must_add_to_100():
    """A ruleset whose first-level weights add to 95 is refused, naming weights."""
    raw = national_raw()
    raw["weights"] = {"budget": D(10), "output": D(50), "benefit": D(30), "satisfaction": D(5)}
    with pytest.raises(ValidationError, match="weights: first-level weights add up to 95"):
        build_ruleset(raw)


# --------------------------------------------------------------------------- grades


@pytest.mark.parametrize(
    ("total", "grade"),
    [("100", "优"), ("90", "优"), ("89.99", "良"), ("80", "良"), ("79.99", "中"), ("60", "中"), ("59.99", "差"), ("0", "差")],
)
def test_grade_band_edges(total, grade):
    """Grades: 优 ≥ 90, 良 80–<90, 中 60–<80, 差 < 60, at the band edges."""
    assert ruleset().grade_for(D(total)) == grade


def test_unit_total_is_budget_weighted(host):
    """The unit total weights project totals by budget: (100 × 300 + 60 × 100) ÷ 400 = 90.00."""
    full = project([
        {"indicator": "t.ge", "target": 1, "actual": 1, "weight": 50},
        {"indicator": "t.eq", "target": 0, "actual": 0, "weight": 30},
        {"indicator": "t.sat", "target": 90, "actual": 90, "weight": 10},
    ], budget=300, spending=300, id="a")
    partial = project([{"indicator": "t.ge", "target": 1, "actual": 1, "weight": 50}], id="b")
    result = unit(ruleset(), host, full, partial)
    assert [p.total for p in result.projects] == [D("100.00"), D("60.00")]
    assert (result.total, result.grade) == (D("90.00"), "优")
    assert unit(ruleset(combine="mean"), host, full, partial).total == D("80.00")


def test_unit_total_mean_of_projects(host):
    """combine = mean averages project totals without regard to budget."""
    a = project([{"indicator": "t.ge", "target": 1, "actual": 1, "weight": 50}], id="a")
    b = project([{"indicator": "t.ge", "target": 2, "actual": 1, "weight": 50}], id="b", budget=1000, spending=1000)
    result = unit(ruleset(combine="mean"), host, a, b)
    assert [p.total for p in result.projects] == [D("60.00"), D("35.00")]
    assert result.total == D("47.50")


def test_unassessable_project_is_not_counted_as_zero(host):
    """A project with no assessable points (total None) is left out of the unit's mean, not counted as 0."""
    a = project([{"indicator": "t.ge", "target": 1, "actual": 1, "weight": 50}], id="a")
    b = project(budget=0, spending=0, id="b")  # no budget, no rows: nothing can be assessed
    result = unit(ruleset(missing_targets="assessable", combine="mean"), host, a, b)
    assert [p.total for p in result.projects] == [D("100.00"), None]
    assert result.total == D("100.00")


def test_derived_weights_never_negative():
    """Derived weights are never negative, whatever the default weights."""
    rules = ruleset()
    ids = ["t.deduct", "t.ge", "t.ge2", "t.ge3"]
    definitions = [rules.indicator(i).model_copy(update={"default_weight": w}) for i, w in zip(ids, [D(1), D(1), D(1), D("0.0001")])]
    weights = derive_weights([IndicatorRow(indicator=i) for i in ids], definitions, {"output": D(50)}, 2)
    assert sum(weights) == D(50)
    assert all(weight >= 0 for weight in weights)


def test_extends_overrides_parent_settings():
    """A ruleset extending two others takes the later parent's weights whole and keeps the library."""
    rules = load_ruleset("canlian-hubei")
    assert rules.weights == {"budget": D(20), "indicators": D(80)}
    assert rules.methods["<="] == "lower_inverse"
    assert rules.indicator("accessibility.household_retrofits") is not None
    assert rules.ruleset.extends == ["canlian", "hubei"]


def test_seed_under_hubei_rules(host, seed_path):
    """The seed under canlian-hubei: 残疾人工作经费 executed 85.36% scores 20 × 85.36% = 17.07 of 20."""
    from perfscore.engine import load_checked

    submission, rules = load_checked(seed_path, "canlian-hubei", host)
    result = score_submission(submission, rules, host.methods())
    work = next(p for p in result.projects if p.id == "work-funds")
    assert (work.budget.weight, work.budget.score) == (D(20), D("17.07"))
    retrofits = next(s for s in result.indicators if s.definition.id == "accessibility.household_retrofits")
    assert (retrofits.weight, retrofits.score) == (D(80), D("80.00"))


def test_row_in_wanyuan_scored_in_library_yuan(host):
    """A money row written in 万元 against a library in 元 is converted before scoring (1.25 of 1 万元 → 7.50)."""
    result = score_row(ruleset(), host, "t.le", 10, target=1, actual=D("1.25"), unit="万元")
    assert (result.target, result.actual) == (D(10000), D(12500))
    assert result.score == D("7.50")
