"""Hostile submissions and rulesets: malformed, deep, huge or contradictory input gets a located error."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hostile import RULESET_HEAD, SEED, run

from perfscore.errors import ExitCode


@pytest.mark.parametrize("opening,closing", [("[", "]"), ("{a=", "}")], ids=["arrays", "inline tables"])
def test_deep_nesting_is_refused_with_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, opening: str, closing: str) -> None:
    """Thousands of nested arrays or inline tables: exit 2 naming the file, line and the depth limit."""
    path = tmp_path / "deep.toml"
    path.write_text('format = "perfscore-submission/1"\nx = ' + opening * 5000 + "1" + closing * 5000 + "\n", encoding="utf-8")
    code, out, err = run(capsys, "check", str(path))
    assert code == ExitCode.USAGE_ERROR
    assert str(path) in err and "line 2" in err and "nest" in err
    assert out == ""


def test_deep_nesting_in_a_batch_is_an_input_error_not_a_bug(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """In a table, a deeply nested file is one error row (not 'a bug'); the other units are scored."""
    (tmp_path / "deep.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    (tmp_path / "seed.toml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = run(capsys, "table", str(tmp_path))
    assert code == ExitCode.PARTIAL
    assert "区残联" in out
    assert "deep.toml" in out + err and "nest" in out + err
    assert "bug" not in out + err


def test_extends_of_the_wrong_type_names_the_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`extends = 5` in a ruleset: exit 2 naming the file and the key `extends`, expecting a name or path."""
    ruleset = tmp_path / "bad.toml"
    ruleset.write_text(RULESET_HEAD + "extends = 5\n", encoding="utf-8")
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(ruleset))
    assert code == ExitCode.USAGE_ERROR
    assert str(ruleset) in err and "extends" in err


def test_a_submission_given_as_ruleset_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    """A submission passed as --ruleset: exit 2 saying the file is not a ruleset."""
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(SEED))
    assert code == ExitCode.USAGE_ERROR
    assert str(SEED) in err and "ruleset" in err


def test_missing_parent_ruleset_names_child_file_and_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A ruleset extending a parent that does not exist names the child file and its `extends` key."""
    child = tmp_path / "child.toml"
    child.write_text(RULESET_HEAD + 'extends = "no-such-parent"\n', encoding="utf-8")
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(child))
    assert code == ExitCode.USAGE_ERROR
    assert str(child) in err and "extends" in err and "no-such-parent" in err


def test_unknown_scoring_method_is_found_by_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An unknown scoring method fails `check` once, naming the ruleset file and the key path."""
    ruleset = tmp_path / "rules.toml"
    ruleset.write_text(RULESET_HEAD + 'extends = "canlian"\n\n[methods]\n">=" = "no_such_method"\n', encoding="utf-8")
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(ruleset))
    assert code == ExitCode.USAGE_ERROR
    assert str(ruleset) in err and "no_such_method" in err
    assert err.count("no_such_method") == 1


def test_overlapping_qualitative_tiers_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Tiers whose ranges overlap are refused when the ruleset loads, naming the tiers' key path."""
    ruleset = tmp_path / "rules.toml"
    ruleset.write_text(
        textwrap.dedent(
            """
            [ruleset]
            id = "t"
            name = "t"
            version = "1"
            extends = "canlian"

            [qualitative]
            tiers = [
              { id = "met", name = "达成年度指标", name_en = "met", min = 0.7, max = 1.0 },
              { id = "partly", name = "部分达成年度指标并具有一定效果", name_en = "partly met", min = 0.6, max = 0.8 },
              { id = "not_met", name = "未达成年度指标且效果较差", name_en = "not met", min = 0, max = 0.6 },
            ]
            """
        ),
        encoding="utf-8",
    )
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(ruleset))
    assert code == ExitCode.USAGE_ERROR
    assert str(ruleset) in err and "qualitative.tiers" in err and "overlap" in err


def test_a_huge_submission_is_refused_before_parsing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A file over the size limit is refused at once, naming the file, its size and the limit."""
    path = tmp_path / "huge.toml"
    project = '[[projects]]\nid = "p{n}"\nname = "项目"\nfunds = [{{ budget = 1, spending = 1 }}]\n'
    path.write_text(SEED.read_text(encoding="utf-8") + "".join(project.format(n=n) for n in range(60000)), encoding="utf-8")
    code, _, err = run(capsys, "check", str(path))
    assert code == ExitCode.USAGE_ERROR
    assert str(path) in err and "PERFSCORE_MAX_FILE_BYTES" in err


def test_too_many_projects_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More projects than the limit: exit 2 naming the key `projects` and the limit's setting."""
    monkeypatch.setenv("PERFSCORE_MAX_PROJECTS", "3")
    path = tmp_path / "many.toml"
    project = '\n[[projects]]\nid = "x{n}"\nname = "项目"\nfunds = [{{ budget = 1, spending = 1 }}]\n'
    path.write_text(SEED.read_text(encoding="utf-8") + "".join(project.format(n=n) for n in range(3)), encoding="utf-8")
    code, _, err = run(capsys, "check", str(path))
    assert code == ExitCode.USAGE_ERROR
    assert "projects" in err and "PERFSCORE_MAX_PROJECTS" in err


def test_a_bad_limit_setting_is_a_clear_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A limit set to something that is not a positive number is named with what was expected."""
    monkeypatch.setenv("PERFSCORE_MAX_PROJECTS", "many")
    code, _, err = run(capsys, "check", str(SEED))
    assert code == ExitCode.USAGE_ERROR
    assert "PERFSCORE_MAX_PROJECTS" in err


# --------------------------------------------------------------------------- further cases


DATA = Path(__file__).resolve().parent / "data"


def test_deep_nesting_on_the_exact_parser_path_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A long numeral sends the file to tomllib; deep nesting there is refused the same way, with its line."""
    path = tmp_path / "deep.toml"
    path.write_text("precise = 1.23456789012345678901\n\nx = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    code, out, err = run(capsys, "check", str(path))
    assert code == ExitCode.USAGE_ERROR
    assert str(path) in err and "line 3" in err and "PERFSCORE_MAX_NESTING" in err


def test_a_deep_dotted_key_is_refused_at_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A dotted key a hundred thousand parts long (tomllib's cost grows with its square) is refused by its line."""
    path = tmp_path / "dotted.toml"
    path.write_text('format = "perfscore-submission/1"\na' + ".a" * 100_000 + " = 1\n", encoding="utf-8")
    code, _, err = run(capsys, "check", str(path))
    assert code == ExitCode.USAGE_ERROR
    assert str(path) in err and "line 2" in err and "PERFSCORE_MAX_NESTING" in err


def test_nesting_in_a_ruleset_within_the_parser_is_refused_by_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A ruleset's free-form tables deeper than the limit are refused at their key path."""
    ruleset = tmp_path / "deep.toml"
    ruleset.write_text(RULESET_HEAD + 'extends = "canlian"\n[areas.rights]\nname = "维权"\nname_en = "rights"\nx = ' + "[" * 40 + "]" * 40 + "\n", encoding="utf-8")
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(ruleset))
    assert code == ExitCode.USAGE_ERROR
    assert f"{ruleset}: areas.rights.x[0]" in err and "PERFSCORE_MAX_NESTING" in err


def test_a_lower_size_limit_applies(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """PERFSCORE_MAX_FILE_BYTES lowers the size limit: the seed is then refused, naming its size."""
    monkeypatch.setenv("PERFSCORE_MAX_FILE_BYTES", "1000")
    code, _, err = run(capsys, "check", str(SEED))
    assert code == ExitCode.USAGE_ERROR
    assert f"{SEED}: file too large: {SEED.stat().st_size:,} bytes" in err and "PERFSCORE_MAX_FILE_BYTES" in err


def test_too_many_rows_in_a_project_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More fund lines in one project than the rows limit: exit 2 naming the project's key path and PERFSCORE_MAX_ROWS."""
    monkeypatch.setenv("PERFSCORE_MAX_ROWS", "2")
    path = tmp_path / "rows.toml"
    path.write_text(
        '[unit]\nid = "u"\nname = "单位"\nyear = 2022\n\n[[projects]]\nid = "p"\nname = "项目"\n' + "[[projects.funds]]\nbudget = 1\nspending = 1\n" * 3,
        encoding="utf-8",
    )
    code, _, err = run(capsys, "check", str(path))
    assert code == ExitCode.USAGE_ERROR
    assert f"{path}: projects[0].funds: 3 funds rows" in err and "PERFSCORE_MAX_ROWS" in err


def test_a_bad_limit_setting_stops_a_table_before_any_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a table a bad limit is one error and exit 2, not a failure of every file."""
    monkeypatch.setenv("PERFSCORE_MAX_ROWS", "lots")
    (tmp_path / "seed.toml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = run(capsys, "table", str(tmp_path))
    assert code == ExitCode.USAGE_ERROR
    assert err.count("PERFSCORE_MAX_ROWS") == 1 and "positive whole number" in err
    assert out == ""


def test_a_ruleset_without_ruleset_table_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A TOML file with no [ruleset] table given as --ruleset: exit 2, 'not a ruleset'."""
    ruleset = tmp_path / "plain.toml"
    ruleset.write_text("x = 1\n", encoding="utf-8")
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(ruleset))
    assert code == ExitCode.USAGE_ERROR
    assert f"{ruleset}: not a ruleset" in err


def test_extends_list_with_a_number_names_the_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`extends = ["canlian", 5]`: exit 2 at ruleset.extends."""
    ruleset = tmp_path / "bad.toml"
    ruleset.write_text(RULESET_HEAD + 'extends = ["canlian", 5]\n', encoding="utf-8")
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(ruleset))
    assert code == ExitCode.USAGE_ERROR
    assert f"{ruleset}: ruleset.extends" in err and "a ruleset name or path" in err


def test_unknown_indicator_method_is_found_by_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An indicator naming an unregistered method fails `check` at its key path in the library."""
    ruleset = tmp_path / "rules.toml"
    ruleset.write_text(
        RULESET_HEAD
        + 'extends = "canlian"\n\n[[indicators]]\nid = "rights.petitions"\nname = "来信来访"\nname_en = "petitions"\narea = "rights"\n'
        + 'level1 = "output"\nlevel2 = "quantity"\nunit = "次"\ncomparison = ">="\nmethod = "made_up"\n',
        encoding="utf-8",
    )
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(ruleset))
    assert code == ExitCode.USAGE_ERROR
    assert str(ruleset) in err and ".method (indicator rights.petitions" in err and "made_up" in err
    assert err.count("made_up") == 1


def test_touching_tiers_are_accepted(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Tiers that only touch (0.6 and 0.6, as the national tiers do) load as before."""
    ruleset = tmp_path / "rules.toml"
    ruleset.write_text(
        RULESET_HEAD
        + 'extends = "canlian"\n\n[qualitative]\ntiers = [\n'
        + '  { id = "met", name = "达成", name_en = "met", min = 0.8, max = 1.0 },\n'
        + '  { id = "partly", name = "部分", name_en = "partly", min = 0.6, max = 0.8 },\n'
        + '  { id = "not_met", name = "未达成", name_en = "not met", min = 0, max = 0.6 },\n]\n',
        encoding="utf-8",
    )
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(ruleset))
    assert code == ExitCode.OK, err


@pytest.mark.parametrize("ruleset", ["national", "hubei"])
def test_weighted_rows_unknown_to_the_ruleset_are_unknown_indicators(capsys: pytest.CaptureFixture[str], ruleset: str) -> None:
    """Every row weighted, one indicator unknown to the ruleset: the 'unknown indicator' problem, not a KeyError."""
    code, _, err = run(capsys, "check", str(DATA / "weights_mismatch.toml"), "--ruleset", ruleset)
    assert code == ExitCode.USAGE_ERROR
    assert "projects[0].indicators[0].indicator: unknown indicator" in err


def test_generated_units_under_another_ruleset_are_checked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Generated units scored with --ruleset hubei: exit 2 with unknown indicators (a KeyError before)."""
    assert run(capsys, "generate", "3", "--seed", "3", "-o", str(tmp_path))[0] == ExitCode.OK
    for path in sorted(tmp_path.glob("*.toml")):
        code, _, err = run(capsys, "score", str(path), "--ruleset", "hubei")
        assert code == ExitCode.USAGE_ERROR
        assert f"{path}: projects[" in err and "unknown indicator" in err


def test_a_ruleset_without_levels_is_its_own_fault(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A ruleset lacking [levels] is named at its own key, not blamed on the plugins' indicators."""
    ruleset = tmp_path / "bare.toml"
    ruleset.write_text(RULESET_HEAD, encoding="utf-8")
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(ruleset))
    assert code == ExitCode.USAGE_ERROR
    assert f"{ruleset}: levels: required key is missing" in err
    assert "plugin" not in err


@pytest.mark.parametrize(
    "numeral,expected",
    [("9" * 5000, "4,300 digits"), ("9e99999999", "exponent"), ("1e-99999999", "exponent")],
    ids=["a 5000-digit integer", "a huge exponent", "a tiny exponent"],
)
def test_numbers_no_figure_can_be_are_located(capsys: pytest.CaptureFixture[str], tmp_path: Path, numeral: str, expected: str) -> None:
    """A numeral past Python's integer or Decimal's exponent range is an error naming its line, not a traceback."""
    path = tmp_path / "unit.toml"
    path.write_text(SEED.read_text(encoding="utf-8").replace("budget = 977.58", f"budget = {numeral}", 1), encoding="utf-8")
    code, _, err = run(capsys, "check", str(path))
    assert code == ExitCode.USAGE_ERROR
    assert str(path) in err and "line 20" in err and "out of range" in err and expected in err


def test_a_huge_exponent_in_a_ruleset_is_located(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A ruleset setting of 9e99999999 is named with the ruleset file and line."""
    ruleset = tmp_path / "rules.toml"
    ruleset.write_text(RULESET_HEAD + 'extends = "canlian"\n\n[budget]\nreason_above = 9e99999999\n', encoding="utf-8")
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(ruleset))
    assert code == ExitCode.USAGE_ERROR
    assert f"{ruleset}: line 8: number out of range" in err


def test_a_fifo_given_as_input_is_refused_not_waited_on(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A FIFO named as a submission or as a ruleset's parent is refused at once (no writer would mean a hang)."""
    fifo = tmp_path / "unit.toml"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "score", str(fifo))
    assert code == ExitCode.USAGE_ERROR and "not a regular file" in err
    ruleset = tmp_path / "rules.toml"
    ruleset.write_text(RULESET_HEAD + f'extends = "{fifo}"\n', encoding="utf-8")
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(ruleset))
    assert code == ExitCode.USAGE_ERROR and "not a regular file" in err


@pytest.mark.parametrize("command", [["plugins"], ["generate", "1", "-o", "units"]])
def test_a_bad_limit_is_refused_by_every_command(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    """Even commands that read no submission refuse a bad limit setting, naming it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PERFSCORE_MAX_ROWS", "lots")
    code, _, err = run(capsys, *command)
    assert code == ExitCode.USAGE_ERROR and "PERFSCORE_MAX_ROWS" in err


def test_a_hook_time_limit_past_a_day_is_refused(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """PERFSCORE_HOOK_SECONDS beyond what the system timer takes is a clear error, not an overflow."""
    monkeypatch.setenv("PERFSCORE_HOOK_SECONDS", "1e20")
    code, _, err = run(capsys, "score", str(SEED))
    assert code == ExitCode.USAGE_ERROR and "PERFSCORE_HOOK_SECONDS" in err and "86400" in err


def test_a_file_of_countless_errors_lists_a_hundred_and_counts_the_rest(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Thousands of schema errors in one file: 100 are listed with their key paths, then one line counts the rest."""
    path = tmp_path / "unit.toml"
    rows = "".join("\n[[projects.indicators]]\nwrong = 1\n" for _ in range(900))
    path.write_text(SEED.read_text(encoding="utf-8") + '\n[[projects]]\nid = "many"\nname = "项目"\n' + rows, encoding="utf-8")
    code, _, err = run(capsys, "check", str(path))
    lines = err.strip().splitlines()
    assert code == ExitCode.USAGE_ERROR
    assert len(lines) == 101 and "more schema errors" in lines[-1]
    assert all(str(path) in line for line in lines)
