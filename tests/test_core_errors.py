"""Bad input through the CLI: exit 2, every problem with its file and location, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ROOT

from perfscore.cli import main
from perfscore.errors import ExitCode


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", ["score", "check", "explain"])
def test_toml_syntax_error_names_file_line_and_column(capsys, data_dir, command):
    """A TOML syntax error exits 2 and names the file, the line and the column."""
    path = data_dir / "syntax_error.toml"
    code, out, err = run(capsys, command, str(path))
    assert code == ExitCode.USAGE_ERROR == 2
    assert str(path) in err
    assert "line 5, column 11" in err
    assert "TOML" in err
    assert out == ""


def test_schema_errors_all_reported_with_key_paths(capsys, data_dir):
    """Every schema error of a file is reported at once, each with the file and its key path."""
    path = data_dir / "schema_errors.toml"
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert any(str(path) in line and "projects[0].indicators[0].actual" in line for line in lines)
    assert any(str(path) in line and "projects[0].indicators[1].weigth" in line and "unknown key" in line for line in lines)


def test_schema_error_says_what_was_expected(capsys, data_dir):
    """A wrong-typed value says what kind of value was expected (a number)."""
    _, _, err = run(capsys, "score", str(data_dir / "schema_errors.toml"))
    line = next(line for line in err.splitlines() if "indicators[0].actual" in line)
    assert "decimal" in line or "number" in line or "figure" in line


def test_missing_required_key_names_its_path(capsys, tmp_path):
    """A missing required key is named with its key path (unit.year)."""
    path = tmp_path / "unit.toml"
    path.write_text('[unit]\nid = "u"\nname = "单位"\n\n[[projects]]\nid = "p"\nname = "项目"\nfunds = [{ budget = 1, spending = 1 }]\n', encoding="utf-8")
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert "unit.year" in err and "missing" in err


def test_gbk_file_is_named_not_utf8_with_iconv_hint(capsys, data_dir):
    """A GBK-encoded file is named as not UTF-8, with the iconv command that converts it."""
    path = data_dir / "gbk.toml"
    code, _, err = run(capsys, "score", str(path))
    assert code == 2
    assert str(path) in err
    assert "not UTF-8" in err
    assert "GBK" in err
    assert "iconv -f GBK -t UTF-8" in err


def test_gbk_file_written_now_is_recognised(capsys, tmp_path):
    """Chinese text saved as GBK (as office software does) is refused as not UTF-8 on its line."""
    path = tmp_path / "单位.toml"
    path.write_bytes('format = "perfscore-submission/1"\n[unit]\nid = "u"\nname = "区残联康复中心"\nyear = 2022\n'.encode("gbk"))
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert "not UTF-8" in err and "line 4" in err and "iconv" in err


def test_utf8_bom_is_accepted(capsys, data_dir, tmp_path):
    """A UTF-8 file with a byte-order mark (saved by Notepad) is read normally."""
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (data_dir / "valid_minimal.toml").read_bytes())
    code, _, err = run(capsys, "check", str(path))
    assert (code, err) == (0, "")


def test_unknown_indicator_id(capsys, data_dir):
    """An indicator id the ruleset does not define exits 2 with its key path and the id."""
    code, _, err = run(capsys, "check", str(data_dir / "unknown_indicator.toml"))
    assert code == 2
    assert "projects[0].indicators[0].indicator" in err
    assert "accessibility.no_such_indicator" in err


def test_unknown_ruleset_name(capsys, data_dir):
    """An unknown --ruleset name exits 2 and lists the rulesets that exist."""
    code, _, err = run(capsys, "score", str(data_dir / "valid_minimal.toml"), "--ruleset", "no-such-ruleset")
    assert code == 2
    assert "no-such-ruleset" in err and "not found" in err
    assert "national" in err and "hubei" in err


def test_ruleset_extends_cycle(capsys, data_dir):
    """A ruleset whose extends chain comes back to itself exits 2 and shows the cycle."""
    ruleset = data_dir / "rulesets" / "cycle-a.toml"
    code, _, err = run(capsys, "check", str(data_dir / "valid_minimal.toml"), "--ruleset", str(ruleset))
    assert code == 2
    assert "extends" in err
    assert "cycle-a.toml" in err and "cycle-b.toml" in err


def test_ruleset_weights_not_100(capsys, data_dir):
    """A ruleset whose first-level weights add up to 95 exits 2, naming the file and weights."""
    ruleset = data_dir / "rulesets" / "weights-95.toml"
    code, _, err = run(capsys, "score", str(data_dir / "valid_minimal.toml"), "--ruleset", str(ruleset))
    assert code == 2
    assert "weights-95.toml" in err
    assert "weights" in err and "95" in err and "100" in err


def test_row_weights_not_adding_up(capsys, data_dir):
    """Row weights that do not add up to their level-1 weight exit 2 with the key path and both sums."""
    code, _, err = run(capsys, "score", str(data_dir / "weights_mismatch.toml"))
    assert code == 2
    assert "projects[0].indicators" in err
    assert "45" in err and "50" in err


def test_project_level1_weights_not_adding_up(capsys, data_dir):
    """A project's adjusted first-level weights adding up to 90 exit 2 at projects[0].level1_weights."""
    code, _, err = run(capsys, "check", str(data_dir / "level1_weights_mismatch.toml"))
    assert code == 2
    assert "projects[0].level1_weights" in err and "90" in err


def test_qualitative_score_outside_tier(capsys, data_dir):
    """`perfscore check` refuses a qualitative self_score outside its tier, at its key path."""
    code, _, err = run(capsys, "check", str(data_dir / "qualitative_outside_tier.toml"))
    assert code == 2
    assert "projects[0].indicators[0].self_score" in err
    assert "6.00" in err and "8.00" in err


def test_qualitative_score_outside_tier_with_derived_weight(capsys, tmp_path):
    """A self_score outside its tier is refused even when the row's weight comes from the ruleset."""
    path = tmp_path / "unit.toml"
    path.write_text(
        (Path(__file__).parent / "data" / "qualitative_outside_tier.toml").read_text(encoding="utf-8")
        .replace("weight = 10\n", "").replace('tier = "partly"', 'tier = "not_met"'),
        encoding="utf-8",
    )
    # the satisfaction level weighs 10, so the derived weight is 10 and 未达成 allows 0–6; 9 is outside
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert "projects[0].indicators[0].self_score" in err


def test_unit_mismatch(capsys, data_dir):
    """A row whose unit of measure differs from the indicator's exits 2 and names the expected unit."""
    code, _, err = run(capsys, "check", str(data_dir / "unit_mismatch.toml"))
    assert code == 2
    assert "projects[0].indicators[0].unit" in err
    assert "'户'" in err


def test_file_not_found(capsys, tmp_path):
    """A missing file exits 2 and is named."""
    path = tmp_path / "nowhere.toml"
    code, _, err = run(capsys, "score", str(path))
    assert code == 2
    assert str(path) in err and "not found" in err


def test_directory_instead_of_file(capsys, tmp_path):
    """A directory given as the file exits 2 with a message, not a traceback."""
    code, _, err = run(capsys, "check", str(tmp_path))
    assert code == 2
    assert str(tmp_path) in err


def test_check_reports_every_file(capsys, data_dir, seed_path):
    """`check` with several files reports the bad ones and still validates the good one."""
    code, out, err = run(capsys, "check", str(data_dir / "unknown_indicator.toml"), str(seed_path), str(data_dir / "unit_mismatch.toml"))
    assert code == 2
    assert "unknown_indicator.toml" in err and "unit_mismatch.toml" in err
    assert str(seed_path) in out


def test_bad_input_in_a_real_process_prints_no_traceback(data_dir):
    """The installed command exits 2 on a GBK file and prints one message, no traceback."""
    done = subprocess.run([sys.executable, "-m", "perfscore.cli", "score", str(data_dir / "gbk.toml")], capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("perfscore: ")
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("target", "-90", "greater than or equal to 0"),
        ("actual", "1e20", "no more than 15 digits before the decimal point"),
        ("target", "1e-20", "no more than 6 decimal places"),
    ],
)
def test_out_of_range_figures_exit_2(tmp_path, capsys, key, value, message):
    """Negative, huge or over-precise figures are refused with their key path, not scored."""
    text = (ROOT / "seeds" / "district-canlian-2022.toml").read_text(encoding="utf-8")
    text = text.replace("target = 180\nactual = 205", "target = 180\nactual = 205".replace(f"{key} = ", f"{key} = {value} #"), 1)
    path = tmp_path / "unit.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["score", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"projects[1].indicators[0].{key}" in err and message in err and "Traceback" not in err


def test_negative_level1_weight_exit_2(tmp_path, capsys):
    """A negative first-level weight is refused even when the weights add up to 100."""
    text = (ROOT / "seeds" / "district-canlian-2022.toml").read_text(encoding="utf-8")
    text = text.replace('area = "rehabilitation"\n', 'area = "rehabilitation"\nlevel1_weights = { budget = -10, output = 70, benefit = 30, satisfaction = 10 }\n', 1)
    path = tmp_path / "unit.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["score", str(path)]) == 2
    assert "projects[1].level1_weights.budget" in capsys.readouterr().err


def test_numbers_in_quotes_exit_2(tmp_path, capsys):
    """A number written as text ("280", "2022") is refused with its key path, not converted."""
    text = (ROOT / "seeds" / "district-canlian-2022.toml").read_text(encoding="utf-8")
    text = text.replace("year = 2022 ", 'year = "2022" ', 1).replace("budget = 280\n", 'budget = "280"\n', 1)
    path = tmp_path / "unit.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "unit.year" in err and "projects[1].funds[0].budget" in err


def test_figures_from_numpy_like_numbers_are_bounded_too():
    """A float or int subclass (numpy's float64, say) is held to the same 15 + 6 digits."""
    from perfscore.models import FundLine

    class Float(float):
        pass

    class Int(int):
        pass

    for value in (Float(1e16), Float(0.1234567), Int(10**16)):
        with pytest.raises(ValueError, match="digits before the decimal point|decimal places"):
            FundLine(budget=value, spending=0)
    assert FundLine(budget=Float(2.5), spending=Int(2)).budget == Decimal("2.5")


def test_a_copied_ruleset_grades_by_its_own_bands():
    """Ruleset.model_copy(update=...) does not reuse what was derived from the original."""
    from perfscore.load import load_ruleset
    from perfscore.models import GradeBand

    original = load_ruleset("canlian")
    assert original.grade_for(Decimal(85)) == "良"
    strict = original.model_copy(update={"grades": [GradeBand(grade="优", name_en="Excellent", min=95), GradeBand(grade="差", name_en="Poor", min=0)]})
    assert strict.grade_for(Decimal(85)) == "差" and original.grade_for(Decimal(85)) == "良"


def test_evidence_of_any_size_can_be_written_up():
    """Finding texts are filled when read, outside the plugin: quoting a huge figure must not fail."""
    from perfscore.numbers import quantity_text as format_quantity
    from perfscore.models import Quantity

    huge = Decimal("999999999999999") * Decimal("999999999999999")
    assert format_quantity(Quantity(huge, "项")) == f"{huge:f}项"  # every digit, no exponent
    assert format_quantity(Quantity(Decimal("1E+60"), "元")) == "1" + "0" * 60 + ".00元"


def test_a_deferred_text_behaves_as_the_text_it_stands_for():
    """A finding's wording is filled on first read, and is then a LocalText in every way a
    plugin author uses one: equal, hashable, replaceable, picklable."""
    import dataclasses
    import pickle

    from perfscore.models import DeferredText, LocalText

    made = []
    text = DeferredText(lambda: (made.append(1) or "中文", "English"))
    assert made == []  # nothing is filled until read
    assert text == LocalText("中文", "English") and hash(text) == hash(LocalText("中文", "English")) and made == [1]
    assert dataclasses.replace(text, en="Other") == LocalText("中文", "Other")
    assert pickle.loads(pickle.dumps(text)) == LocalText("中文", "English")
