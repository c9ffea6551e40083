"""docs/security.md states the limits the code enforces: each variable and its default."""

from __future__ import annotations

import re

from conftest import ROOT

from perfscore.limits import LIMITS
from perfscore.rules import expressions


def _limits_table() -> dict[str, str]:
    doc = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    section = doc.split("## Limits on input", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|") for line in section.splitlines() if line.startswith("| ") and "`PERFSCORE_" in line]
    return {row[3].strip().strip("`"): row[2].strip().replace(",", "") for row in rows}


def test_every_limit_is_documented_with_its_default() -> None:
    """The limits table lists every limit's environment variable with the default in force."""
    expected = {limit.variable: str(limit.default) for limit in LIMITS.values()}
    assert _limits_table() == expected


def test_the_sandbox_bounds_are_those_documented() -> None:
    """The sandbox table quotes the bounds the sandbox enforces."""
    doc = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    section = doc.split("## The expression sandbox", 1)[1].split("\n## ", 1)[0]
    for value in (expressions.MAX_CHARS, expressions.MAX_NODES, expressions.MAX_TEXT_CHARS, expressions.MAX_EXPONENT, expressions.MAX_DIGITS):
        assert re.search(rf"\|[^|\n]*\| [^|\n]*\b{value}\b", section), f"{value} is not in the sandbox table"
