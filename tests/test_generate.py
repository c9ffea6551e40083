"""``perfscore generate``: deterministic, realistic, marked synthetic, and always valid."""

from __future__ import annotations

from pathlib import Path

from perfscore.cli import main
from perfscore.files import read_toml
from perfscore.generate import make_submission, write_submissions


def test_same_seed_writes_the_same_bytes(tmp_path):
    """Two runs with one seed write identical files; another seed writes others."""
    first = write_submissions(5, 42, tmp_path / "a")
    second = write_submissions(5, 42, tmp_path / "b")
    other = write_submissions(5, 43, tmp_path / "c")
    assert [path.read_bytes() for path in first] == [path.read_bytes() for path in second]
    assert [path.read_bytes() for path in first] != [path.read_bytes() for path in other]


def test_a_smaller_run_is_a_prefix_of_a_larger_one():
    """Unit i of a seed does not depend on how many units are generated."""
    assert make_submission(3, seed=1) == make_submission(3, seed=1)
    assert make_submission(3, seed=1)["unit"]["id"] == "synthetic-1-00004"


def test_generated_units_are_marked_synthetic_and_plausible(tmp_path):
    """synthetic = true, 合成 in the name, 3–8 projects, canlian indicator ids, budgets in 万元."""
    from perfscore.load import load_ruleset

    library = {indicator.id for indicator in load_ruleset("canlian").indicators}
    for path in write_submissions(30, 3, tmp_path):
        data = read_toml(path)
        assert data["unit"]["synthetic"] is True and "合成" in data["unit"]["name"]
        assert data["unit"]["money_unit"] == "万元"
        assert 3 <= len(data["projects"]) <= 8
        for project in data["projects"]:
            assert all(row["indicator"] in library for row in project.get("indicators", []) + project.get("outputs", []))
            assert all(0 < line["budget"] < 1000 for line in project["funds"])


def test_the_mix_has_shortfalls_overcompletion_qualitative_rows_and_outputs(tmp_path):
    """Across 60 units: shortfalls with and without reasons, over-completion, tiers, outputs, missing own-level funds."""
    rows, projects = [], []
    for index in range(60):
        for project in make_submission(index, seed=8)["projects"]:
            projects.append(project)
            rows += project["indicators"]
    quantitative = [row for row in rows if "target" in row and row["target"] > 0]
    short = [row for row in quantitative if row["actual"] < row["target"] and row.get("comparison") is None]
    assert any("reason" in row for row in short) and any("reason" not in row for row in short)
    assert any(row["actual"] >= row["target"] * 13 / 10 for row in quantitative)
    assert any(row.get("comparison") == "qualitative" and row.get("tier") for row in rows)
    assert any(project.get("outputs") for project in projects)
    assert any("own_level_budget" not in line for project in projects for line in project["funds"])


def test_every_generated_file_passes_check(tmp_path, capsys):
    """perfscore check accepts every generated submission."""
    paths = write_submissions(40, 17, tmp_path)
    assert main(["check", *map(str, paths)]) == 0
    assert capsys.readouterr().err == ""


def test_generate_command_writes_n_files(tmp_path, capsys):
    """perfscore generate 4 --seed 2 -o DIR writes four .toml files and says so."""
    assert main(["generate", "4", "--seed", "2", "-o", str(tmp_path / "units"), "--year", "2023"]) == 0
    files = sorted(Path(tmp_path / "units").glob("*.toml"))
    assert len(files) == 4
    assert read_toml(files[0])["unit"]["year"] == 2023
    assert "4" in capsys.readouterr().out


def test_generate_into_a_file_is_a_clear_error(tmp_path, capsys):
    """-o naming something that cannot be a folder is exit status 2 with the path, not a traceback."""
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    assert main(["generate", "2", "-o", str(tmp_path / "a-file" / "units")]) == 2
    error = capsys.readouterr().err
    assert "a-file" in error and "cannot create the output folder" in error and "Traceback" not in error
