"""The expression sandbox of finding rules, and the docs meta-test for hooks."""

from __future__ import annotations

import inspect
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfscore.plugin import hookspecs
from perfscore.rules.expressions import (
    MAX_CHARS,
    Expression,
    ExpressionError,
    Tagged,
    evaluate,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "text",
    [
        "budget.__class__",
        "budget['x']",
        "__import__('os')",
        "open('/etc/passwd')",
        "(lambda: 1)()",
        "[x for x in budget]",
        "budget ** 100000",
        "budget ** spending",
        "max",
        "f'{budget}'",
        "budget := 1",
    ],
)
def test_sandbox_refuses(text):
    """Attribute access, indexing, imports, other functions, lambdas, comprehensions and big powers are refused."""
    with pytest.raises(ExpressionError):
        Expression(text, {"budget", "spending"})


def test_sandbox_refuses_huge_input():
    """Expressions are bounded in characters and in parts."""
    with pytest.raises(ExpressionError, match="characters"):
        Expression("1 + " * (MAX_CHARS // 4 + 1) + "1")
    with pytest.raises(ExpressionError, match="parts"):
        Expression("+".join(["a"] * 150)[: MAX_CHARS - 1], {"a"})


def test_sandbox_computes_with_decimal():
    """Arithmetic is Decimal, so 0.1 + 0.2 == 0.3 exactly."""
    assert evaluate("a + b == 0.3", {"a": Decimal("0.1"), "b": Decimal("0.2")}) is True
    assert evaluate("round(x / y, 2)", {"x": Decimal(1944), "y": Decimal(205)}) == Decimal("9.48")
    assert evaluate("max(a, b) - min(a, b)", {"a": Decimal(3), "b": Decimal(5)}) == 2


def test_sandbox_missing_values_do_not_fire():
    """None in arithmetic gives None, a comparison with None is false, and x / 0 is None."""
    assert evaluate("a + 1 > 0", {"a": None}) is False
    assert evaluate("a / b > 1", {"a": Decimal(1), "b": Decimal(0)}) is False
    assert evaluate("a is None", {"a": None}) is True


def test_sandbox_tags_units():
    """percent() makes a percent number of a ratio, with its unit."""
    assert evaluate("percent(r)", {"r": Decimal("1.13888")}) == Tagged(Decimal("113.89"), "%")
    assert evaluate("wanyuan(x)", {"x": Decimal(5)}) == Tagged(Decimal(5), "万元")


@given(st.decimals(min_value=-10**6, max_value=10**6, places=2), st.decimals(min_value=-10**6, max_value=10**6, places=2))
def test_sandbox_agrees_with_python_decimal(a, b):
    """For plain arithmetic and comparisons the sandbox gives Python's Decimal results."""
    context = {"a": a, "b": b}
    assert evaluate("a + b * 2 - abs(a)", context) == a + b * 2 - abs(a)
    assert evaluate("a >= b and not a == b", context) == (a >= b and not a == b)


def test_every_hook_is_documented_and_tested():
    """Each hook in hookspecs has a section in docs/plugins.md and is named in a plugin test."""
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    tests = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").glob("test_plugins*.py"))
    hooks = [name for name, item in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("perfscore_")]
    assert len(hooks) >= 6
    for hook in hooks:
        assert re.search(rf"^## `{hook}", docs, re.MULTILINE), f"{hook} is not documented in docs/plugins.md"
        assert hook in tests.replace("test_every_hook_is_documented_and_tested", ""), f"{hook} is not exercised by a test"
