"""Hypothesis properties a user relies on: bounds, monotonicity, round-trips, order independence, determinism."""

from __future__ import annotations

import json
import tempfile
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w
from conftest import ROOT, build_submission, national_raw
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_core_rules import AREAS, LIBRARY, ruleset

from perfscore.engine import load_ruleset
from perfscore.scoring.weights import derive_weights
from perfscore.models import IndicatorRow, Ruleset, Submission
from perfscore.plugin.manager import make_host
from perfscore.scoring.score import score_indicator, score_submission

D = Decimal
HOST = make_host(entry_points=False)  # one host for all examples: hypothesis reruns a test body many times
METHODS = HOST.methods()
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

amounts = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)
figures = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)
LIBRARY_IDS = [entry["id"] for entry in LIBRARY]


@st.composite
def level_weights(draw) -> dict[str, Decimal]:
    """First-level weights adding up to 100 over budget, output, benefit, satisfaction."""
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=3, max_size=3)))
    parts = [cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1], 100 - cuts[2]]
    return dict(zip(("budget", "output", "benefit", "satisfaction"), map(D, parts)))


@st.composite
def rulesets(draw) -> Ruleset:
    """The test library under randomly chosen rule settings."""
    return ruleset(
        over_completion={"action": draw(st.sampled_from(["cap", "require_reason", "reduce"])), "threshold": draw(st.sampled_from([D("1.1"), D("1.3"), D(2)])), "reduce_factor": draw(st.sampled_from([D("0.5"), D(1), D(3)]))},
        methods={"<=": draw(st.sampled_from(["lower_linear", "lower_inverse"]))},
        missing_targets=draw(st.sampled_from(["zero", "assessable"])),
        not_applicable_redistribute=draw(st.booleans()),
        combine=draw(st.sampled_from(["budget_weighted", "mean"])),
        budget={"places": draw(st.sampled_from([0, 2])), "basis": draw(st.sampled_from(["all", "own_level"]))},
    )


@st.composite
def rows(draw, indicator: str) -> dict[str, Any]:
    row: dict[str, Any] = {"indicator": indicator}
    if indicator == "t.qual":
        row["description"] = "已完成"
        tier = draw(st.sampled_from([None, "met", "partly", "not_met"]))
        if tier is not None:
            row["tier"] = tier
    else:
        target, actual = draw(st.one_of(st.none(), figures)), draw(st.one_of(st.none(), figures))
        if target is not None:
            row["target"] = target
        if actual is not None:
            row["actual"] = actual
    if draw(st.integers(0, 9)) == 0:
        row["not_applicable"] = True
    return row


@st.composite
def projects(draw, project_id: str) -> dict[str, Any]:
    indicators = draw(st.lists(st.sampled_from(LIBRARY_IDS), unique=True, max_size=len(LIBRARY_IDS)))
    budget, spending = draw(amounts), draw(amounts)
    own_budget = draw(st.decimals(min_value=0, max_value=budget, places=2))
    fund = {"budget": budget, "spending": spending, "own_level_budget": own_budget, "own_level_spending": draw(amounts)}
    project: dict[str, Any] = {"id": project_id, "name": f"项目{project_id}", "funds": [fund], "indicators": [draw(rows(indicator)) for indicator in indicators]}
    if draw(st.booleans()):
        project["level1_weights"] = draw(level_weights())
    return project


@st.composite
def submissions(draw) -> dict[str, Any]:
    count = draw(st.integers(1, 4))
    return {
        "unit": {"id": "u", "name": "单位", "year": 2022},
        "projects": [draw(projects(f"p{index}")) for index in range(count)],
    }


# --------------------------------------------------------------------------- bounds


@FAST
@given(rulesets(), submissions())
def test_scores_within_bounds(rules, data):
    """Every indicator score lies in [0, weight]; every project and unit total in [0, 100]."""
    result = score_submission(build_submission(data), rules, METHODS)
    for project in result.projects:
        for indicator in project.indicators:
            assert D(0) <= indicator.score <= indicator.weight, indicator.definition.id
        assert project.total is None or D(0) <= project.total <= 100
        assert D(0) <= project.assessable <= 100
        if project.budget.score is not None:
            assert D(0) <= project.budget.score <= project.budget.weight
    # no total only when no project had anything to assess (budget 0, no rows, policy "assessable")
    if result.total is None:
        assert all(project.total is None for project in result.projects)
    else:
        assert D(0) <= result.total <= 100


@FAST
@given(
    st.sampled_from(LIBRARY_IDS[:8]),
    st.decimals(min_value=0, max_value=100, places=2),
    st.one_of(st.none(), figures),
    st.one_of(st.none(), figures),
    rulesets(),
)
def test_single_row_score_within_weight(indicator, weight, target, actual, rules):
    """Any target, actual and weight give a row score in [0, weight], for every rule shape."""
    row = IndicatorRow(indicator=indicator, target=target, actual=actual, description="已完成")
    result = score_indicator("p", row, rules.indicator(indicator), weight, rules, METHODS)
    assert D(0) <= result.score <= weight


# --------------------------------------------------------------------------- monotonicity


@FAST
@given(
    st.decimals(min_value=0, max_value=10_000, places=2),
    figures,
    figures,
    st.decimals(min_value=0, max_value=100, places=2),
    st.sampled_from(["cap", "require_reason"]),
)
def test_ge_score_never_falls_when_actual_rises(target, first, second, weight, action):
    """A ≥ score never falls when the actual rises (over-completion capped, not reduced)."""
    rules = ruleset(over_completion={"action": action})
    low, high = sorted((first, second))
    definition = rules.indicator("t.ge")
    scores = [score_indicator("p", IndicatorRow(indicator="t.ge", target=target, actual=actual), definition, weight, rules, METHODS).score for actual in (low, high)]
    assert scores[0] <= scores[1]


@FAST
@given(st.decimals(min_value=0, max_value=10_000, places=2), figures, figures, st.sampled_from(["lower_linear", "lower_inverse"]))
def test_le_score_never_rises_when_actual_rises(target, first, second, method):
    """A ≤ score never rises when the actual (a cost) rises, under either ≤ method."""
    rules = ruleset(methods={"<=": method})
    low, high = sorted((first, second))
    definition = rules.indicator("t.le")
    scores = [score_indicator("p", IndicatorRow(indicator="t.le", target=target, actual=actual), definition, D(10), rules, METHODS).score for actual in (low, high)]
    assert scores[0] >= scores[1]


# --------------------------------------------------------------------------- derived weights


@FAST
@given(
    st.lists(st.sampled_from(LIBRARY_IDS), unique=True, min_size=1),
    st.lists(st.integers(1, 10), min_size=len(LIBRARY_IDS), max_size=len(LIBRARY_IDS)),
    level_weights(),
)
def test_derived_weights_add_up_to_level_weight(indicators, defaults, weights):
    """Derived row weights add up exactly to each level-1 weight and none is negative."""
    rules = ruleset()
    by_id = dict(zip(LIBRARY_IDS, defaults))
    definitions = [rules.indicator(i).model_copy(update={"default_weight": D(by_id[i])}) for i in indicators]
    levels = {key: value for key, value in weights.items() if key != "budget"}
    derived = derive_weights([IndicatorRow(indicator=i) for i in indicators], definitions, levels, 2)
    for level in {definition.level1 for definition in definitions}:
        assert sum((w for w, d in zip(derived, definitions) if d.level1 == level), D(0)) == levels[level]
    assert all(weight >= 0 for weight in derived)


# --------------------------------------------------------------------------- round-trips


def _round_trip(model: Any) -> dict[str, Any]:
    text = tomli_w.dumps(model.model_dump(mode="python", exclude_none=True))
    return tomllib.loads(text, parse_float=Decimal)


@FAST
@given(submissions())
def test_submission_round_trips_through_toml(data):
    """A submission written with tomli-w and read back is the same model."""
    submission = build_submission(data)
    assert Submission.model_validate(_round_trip(submission)) == submission


def test_seed_submission_round_trips_through_toml(seed_path):
    """The seed submission written with tomli-w and read back is the same model."""
    from perfscore.load import load_submission

    submission = load_submission(seed_path)
    assert Submission.model_validate(_round_trip(submission)) == submission


def test_shipped_rulesets_round_trip_through_toml():
    """Every shipped ruleset, resolved, written with tomli-w and read back is the same model."""
    for name in sorted(path.stem for path in (ROOT / "rulesets").glob("*.toml")):
        resolved = load_ruleset(name, HOST)
        assert Ruleset.model_validate(_round_trip(resolved)) == resolved, name


@FAST
@given(rulesets())
def test_generated_ruleset_round_trips_through_toml(rules):
    """A ruleset with any rule settings written with tomli-w and read back is the same model."""
    assert Ruleset.model_validate(_round_trip(rules)) == rules


# --------------------------------------------------------------------------- order independence


@FAST
@given(rulesets(), submissions(), st.randoms(use_true_random=False))
def test_order_of_rows_and_projects_never_changes_a_total(rules, data, random):
    """Shuffling indicator rows and projects changes no project total and not the unit total."""
    before = score_submission(build_submission(data), rules, METHODS)
    shuffled = {**data, "projects": [{**project, "indicators": random.sample(project["indicators"], len(project["indicators"]))} for project in data["projects"]]}
    random.shuffle(shuffled["projects"])
    after = score_submission(build_submission(shuffled), rules, METHODS)
    assert {p.id: (p.total, p.assessable) for p in before.projects} == {p.id: (p.total, p.assessable) for p in after.projects}
    assert (before.total, before.grade, before.assessable) == (after.total, after.grade, after.assessable)
    assert before.budget.execution_rate == after.budget.execution_rate


# --------------------------------------------------------------------------- determinism


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_same_input_gives_same_json(data):
    """The same submission scored twice through the engine gives the same JSON text."""
    from perfscore.output import result as render
    from perfscore.engine import Engine

    raw = national_raw()
    raw.update(indicators=LIBRARY, areas=AREAS)
    with tempfile.TemporaryDirectory() as folder:
        ruleset_path = Path(folder) / "test-rules.toml"
        ruleset_path.write_text(tomli_w.dumps(raw), encoding="utf-8")
        submission_path = Path(folder) / "unit.toml"
        submission_path.write_text(tomli_w.dumps(build_submission(data).model_dump(mode="python", exclude_none=True)), encoding="utf-8")
        texts = []
        for _ in range(2):
            evaluation = Engine(make_host(entry_points=False), str(ruleset_path)).evaluate(submission_path)
            texts.append(render.to_json(render.evaluation_dict(evaluation, "zh")))
    assert texts[0] == texts[1]
    assert json.loads(texts[0])["unit"]["id"] == "u"


# --------------------------------------------------------------------------- reading numbers exactly

numerals = st.builds(
    lambda whole, fraction, exponent: whole + (f".{fraction}" if fraction else "") + (f"e{exponent}" if exponent is not None else ""),
    st.from_regex(r"(0|[1-9][0-9]{0,17})", fullmatch=True),
    st.from_regex(r"[0-9]{0,12}", fullmatch=True),
    st.none() | st.integers(min_value=-400, max_value=400).map(lambda exponent: f"{exponent}" if abs(exponent) < 100 else f"{exponent // 10}_{abs(exponent) % 10}"),
)


@settings(max_examples=200, deadline=None)
@given(numerals)
# numerals a double cannot hold: 16+ digits, a tiny or huge exponent (with underscores too)
@example("0.1000000000000000055511")
@example("12345678901234567.5")
@example("5e-33_6")
@example("1.5e3_1_0")
@example("4.9e-324")
def test_a_figure_reads_as_the_exact_value_it_is_written_as(numeral: str) -> None:
    """Whichever parser reads it, a number in a submission is the decimal its text says, to
    the last digit, both as read and after validation (a double would round 0.1 + 16 digits)."""
    from pydantic import TypeAdapter

    from perfscore.files import read_toml

    # as a key's value, and as an array element on a line of its own after a comment
    text = f'note = "info Hunan 9374e0261d 1234567890123456789"\nx = {numeral}\ny = [ # {numeral}\n  {numeral},\n]\n'
    exact = tomllib.loads(text, parse_float=Decimal)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "n.toml"
        path.write_text(text, encoding="utf-8")
        as_decimal = read_toml(path)
        for_pydantic = read_toml(path, floats_for_pydantic=True)
    for read, expected in ((as_decimal["x"], exact["x"]), (as_decimal["y"][0], exact["y"][0])):
        assert read == expected and isinstance(read, (Decimal, int))
    for read, expected in ((for_pydantic["x"], exact["x"]), (for_pydantic["y"][0], exact["y"][0])):
        assert TypeAdapter(Decimal).validate_python(read) == expected


def test_words_and_hashes_in_strings_do_not_decide_the_parser():
    """Which parser reads a file depends on its numbers, not on words such as "info" or a
    hash in a file name: the seed and the shipped rulesets are read by the fast parser."""
    from perfscore.files import _exact_as_doubles

    for path in [ROOT / "seeds" / "district-canlian-2022.toml", *sorted((ROOT / "rulesets").glob("*.toml"))]:
        assert _exact_as_doubles(path.read_text(encoding="utf-8")), path
