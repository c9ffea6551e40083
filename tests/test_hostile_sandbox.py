"""Hostile finding rules: the sandbox refuses text formatting and bounds every value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile import RULESET_HEAD, SEED, run, run_process

from perfscore.errors import ExitCode


def rules_ruleset(tmp_path: Path, when: str, evidence: str = "{}") -> Path:
    """A ruleset on canlian with one unit-scope finding rule (and its wording)."""
    path = tmp_path / "rules.toml"
    path.write_text(
        RULESET_HEAD
        + 'extends = "canlian"\n\n[[findings]]\nid = "hostile"\nscope = "unit"\n'
        + f"when = {json.dumps(when)}\n"
        + 'severity = "warning"\n'
        + f"evidence = {evidence}\n\n"
        + '[templates.hostile]\nevidence = []\ntitle = "t"\ntitle_en = "t"\nproblem = "p"\nproblem_en = "p"\nimprovement = "i"\nimprovement_en = "i"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "when",
    [
        "'%999999999s' % budget == 'x'",
        "'x' * 999999999 == 'x'",
        "'{}' % budget == 'x'",
        "percent('a') == 'x'",
        "percent('%999999999s' % budget) == 'x'",
    ],
    ids=["format", "repeat", "format-braces", "percent-text", "percent-format"],
)
def test_the_sandbox_refuses_text_arithmetic_at_load(capsys: pytest.CaptureFixture[str], tmp_path: Path, when: str) -> None:
    """Strings take part only in comparisons: formatting, repetition or arithmetic on text is refused at load, named by rule."""
    path = rules_ruleset(tmp_path, when)
    code, _, err = run(capsys, "check", str(SEED), "--ruleset", str(path))
    assert code == ExitCode.USAGE_ERROR
    assert str(path) in err and "hostile" in err and "findings" in err


@pytest.mark.parametrize("when", ["budget ** 8 ** 8 ** 8 > 0", "(budget * 99999999) ** 8 ** 8 > 0", "budget ** 8 ** 8 ** 8 ** 8 ** 8 > 0"])
def test_nested_powers_are_bounded(capsys: pytest.CaptureFixture[str], tmp_path: Path, when: str) -> None:
    """Nested powers never overflow or run long: refused at load or stopped with a named, bounded error."""
    path = rules_ruleset(tmp_path, when)
    result = run_process("score", str(SEED), "--ruleset", str(path), timeout=30)
    assert result.returncode in (ExitCode.PARTIAL, ExitCode.USAGE_ERROR)
    assert "hostile" in result.stderr
    assert "Overflow" not in result.stderr
