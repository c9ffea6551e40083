"""The seed unit scored end to end through the real CLI: its own figures in the JSON and in explain."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from perfscore.cli import main


@pytest.fixture
def seed_json(seed_path, capsys):
    assert main(["score", str(seed_path), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def _indicator(result, indicator_id):
    rows = [row for project in result["projects"] for row in project["indicators"] if row["id"] == indicator_id]
    assert len(rows) == 1, indicator_id
    return rows[0]


def test_household_retrofits_99_of_90_is_110_percent_and_full_weight(seed_json):
    """99 of 90 households retrofitted: completion 110.00% and the full weight."""
    row = _indicator(seed_json, "accessibility.household_retrofits")
    assert (row["target"], row["actual"]) == (90, 99)
    assert row["completion"] == 110.00
    assert row["score"] == row["weight"] > 0


def test_children_rehab_205_of_180_is_113_89_percent(seed_json):
    """205 of 180 children given rehabilitation aid: completion 113.89%, over-completion capped at the weight."""
    row = _indicator(seed_json, "rehabilitation.children_rehab_people")
    assert (row["target"], row["actual"]) == (180, 205)
    assert row["completion"] == 113.89
    assert row["score"] == row["weight"]


def test_unit_execution_rates_all_funds_and_own_level(seed_json):
    """The unit's execution rate is 165.41% on all funds and 84.91% on district (own-level) funds."""
    assert seed_json["execution_rate"] == 165.41
    assert seed_json["own_level_execution_rate"] == 84.91
    assert seed_json["budget"] == 977.58
    assert seed_json["spending"] == 1616.99


def test_unit_has_total_and_grade(seed_json):
    """The JSON carries the unit's total, its grade and how many points were assessable."""
    assert 0 <= seed_json["total"] <= 100
    assert seed_json["grade"] in {"优", "良", "中", "差"}
    assert 0 <= seed_json["assessable_points"] <= 100


def test_every_project_has_total_and_both_execution_rates(seed_json):
    """Every project reports its total and its execution rates on all funds and own-level funds."""
    assert len(seed_json["projects"]) == 5
    for project in seed_json["projects"]:
        assert 0 <= project["total"] <= 100
        assert project["execution_rate"] is not None
        assert "own_level_execution_rate" in project
    rates = {project["id"]: project["execution_rate"] for project in seed_json["projects"]}
    assert rates["life-secretary"] == 96.90  # 140.68 ÷ 145.18


def test_indicator_rows_carry_the_documented_fields(seed_json):
    """Each indicator row has id, name, target, actual, completion, weight, score and an explanation."""
    rows = [row for project in seed_json["projects"] for row in project["indicators"]]
    assert rows
    for row in rows:
        for key in ("id", "name", "target", "actual", "completion", "weight", "score", "explanation"):
            assert key in row, key
        assert set(row["explanation"]) >= {"rule", "inputs", "formula", "result"}
        assert row["explanation"]["formula"]


def test_outputs_without_target_are_not_scored(seed_json):
    """Figures reported without an annual target stay outputs; they are never scored rows."""
    rehab = next(project for project in seed_json["projects"] if project["id"] == "rehabilitation")
    assert {row["id"] for row in rehab["indicators"]} == {"rehabilitation.children_rehab_people", "rehabilitation.children_rehab_months"}
    assert any(output["id"] == "rehabilitation.cataract_surgeries" for output in rehab["outputs"])


def test_explain_one_indicator_prints_its_formula(seed_path, capsys):
    """`perfscore explain --indicator ID` prints that row's inputs and the formula applied."""
    assert main(["explain", str(seed_path), "--indicator", "accessibility.household_retrofits"]) == 0
    out = capsys.readouterr().out
    assert "accessibility.household_retrofits" in out
    assert "110.00%" in out
    assert "99" in out and "90" in out
    assert "rehabilitation.children_rehab_people" not in out


def test_explain_english(seed_path, capsys):
    """`explain --lang en` gives the formula in English."""
    assert main(["explain", str(seed_path), "--indicator", "rehabilitation.children_rehab_people", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "113.89%" in out
    assert "capped" in out


def test_explain_unknown_indicator_exits_2(seed_path, capsys):
    """`explain --indicator` with an id the unit does not score exits 2 and names the id."""
    assert main(["explain", str(seed_path), "--indicator", "no.such_indicator"]) == 2
    captured = capsys.readouterr()
    assert "no.such_indicator" in captured.err
    assert "Traceback" not in captured.err


def test_check_seed_is_valid(seed_path, capsys):
    """`perfscore check` accepts the seed."""
    assert main(["check", str(seed_path)]) == 0
    assert "区残联" in capsys.readouterr().out


def test_score_table_prints(seed_path, capsys):
    """`perfscore score` prints the table with the unit's execution rates."""
    assert main(["score", str(seed_path)]) == 0
    out = capsys.readouterr().out
    assert "165.41%" in out and "84.91%" in out


def test_same_json_across_processes(seed_path):
    """Two runs in separate processes (different hash seeds) print byte-identical JSON."""
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-m", "perfscore.cli", "score", str(seed_path), "--format", "json"],
            capture_output=True, env=env, check=True,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["execution_rate"] == 165.41
