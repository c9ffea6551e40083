"""Hostile finding rules: the sandbox refuses text formatting and bounds every value."""

from __future__ import annotations

import ast
import decimal
import json
import operator
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hostile import RULESET_HEAD, SEED, run, run_process
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfscore.errors import ExitCode
from perfscore.rules.expressions import (
    ARITHMETIC,
    FUNCTIONS,
    MAX_DIGITS,
    MAX_EXPONENT,
    MAX_MAGNITUDE,
    MAX_TEXT_CHARS,
    Expression,
    ExpressionError,
    Tagged,
    evaluate,
)


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


def test_a_value_past_the_bounds_is_a_named_rule_failure(tmp_path: Path) -> None:
    """A rule whose value overflows as it runs is a failure naming the rule, file and key path: exit 1, the report still made."""
    path = rules_ruleset(tmp_path, "((budget * 99999999) ** 8) ** 8 > 0")
    result = run_process("score", str(SEED), "--ruleset", str(path), "--format", "json", timeout=30)
    assert result.returncode == ExitCode.PARTIAL
    assert "rule hostile" in result.stderr and str(path) in result.stderr and "(rule 'hostile').when" in result.stderr
    assert "1e100" in result.stderr and "Overflow" not in result.stderr and "decimal" not in result.stderr
    report = json.loads(result.stdout)
    assert report["findings"], "the ruleset's other rules still ran"


def test_text_from_a_variable_never_reaches_an_operator(tmp_path: Path) -> None:
    """A variable holding text (missing_required_names) used in arithmetic stops that rule as it runs, named; every unit of a batch is still scored."""
    path = tmp_path / "rules.toml"
    rules_ruleset(tmp_path, "budget > 0")
    text = path.read_text(encoding="utf-8").replace('scope = "unit"\nwhen = "budget > 0"', 'scope = "project"\nwhen = "(missing_required_names % budget) == \'x\'"')
    path.write_text(text, encoding="utf-8")
    batch = tmp_path / "batch"
    batch.mkdir()
    for name in ("a.toml", "b.toml"):
        (batch / name).write_text(SEED.read_text(encoding="utf-8").replace('id = "', f'id = "{name[0]}-', 1), encoding="utf-8")
    result = run_process("table", str(batch), "--ruleset", str(path), "--allow-mixed", "--format", "json", timeout=60)
    assert result.returncode == ExitCode.PARTIAL
    table = json.loads(result.stdout)
    assert len(table["incomplete"]) == 2 and not table["errors"]
    for entry in table["incomplete"]:
        assert any("rule hostile" in reason and "(rule 'hostile').when" in reason and "text" in reason for reason in entry["failures"])


# --------------------------------------------------------------------------- the corpus

#: what a corpus expression may use: numbers, text, true/false and a missing value
NAMES = {"budget", "spending", "names", "flag", "missing"}
#: each corpus expression runs against each of these; text and true/false stand where numbers are expected too
CONTEXTS = [
    {"budget": Decimal("1234.56"), "spending": Decimal("0"), "names": "%999999999s", "flag": True, "missing": None},
    {"budget": Decimal("9.999999999999999999999999999E+99"), "spending": Decimal("-1E-99"), "names": "", "flag": False, "missing": None},
    {"budget": None, "spending": "{0.__class__}", "names": "x" * 10_000, "flag": Decimal(7), "missing": True},
    {"budget": Decimal("NaN"), "spending": Decimal("Infinity"), "names": Decimal(1), "flag": None, "missing": Decimal("1E+999999")},
]

#: escape attempts, each refused when its rule loads
REFUSED_AT_LOAD = [
    # reaching into Python objects
    "budget.__class__",
    "budget.__class__.__mro__[1].__subclasses__()",
    "().__class__.__bases__[0]",
    "names[0]",
    "budget['x']",
    "__import__('os').system('true')",
    "open('/etc/passwd')",
    "eval('1')",
    "exec('import os')",
    "getattr(budget, 'real')",
    "globals()",
    "type(budget)",
    "budget()",
    "abs",
    "(lambda: 1)()",
    "lambda: 1",
    "[x for x in (1, 2)]",
    "{x for x in (1, 2)}",
    "{x: 1 for x in (1, 2)}",
    "min(x for x in (1, 2))",
    "(budget := 1)",
    "budget in (1, 2)",
    "[budget]",
    "{'a': budget}",
    "budget @ spending",
    "budget << 999999999",
    "~budget",
    "budget & 1",
    "budget is 1",
    "b'x' == names",
    "1j == budget",
    "... == budget",
    "yield budget",
    "await budget",
    "budget; import os",
    "percent(x=budget)",
    "min(*budget)",
    # text formatting and building
    "f'{budget}'",
    "f'{budget!r:>999999999}'",
    "'{}'.format(budget)",
    "'%s' % budget",
    "'%999999999s' % budget == 'x'",
    "percent('%999999999s' % budget)",
    "'x' * 999999999",
    "999999999 * 'x'",
    "'x' + 'y' == names",
    "-'x'",
    "'a' < 'b'",
    "names > 'a'",
    "(names if flag else 'x') + 1",
    "(budget or 'x') * 2",
    "percent('a')",
    "abs('a')",
    "min('a', 'b')",
    "round('1.5')",
    "wanyuan('x')",
    "count('x', '个')",
    "count(budget, 'x' * 10**6)",
    "count(budget, names)",
    "'" + "x" * 300 + "' == names",
    # true/false is not a number
    "True + 1",
    "(budget > 0) * 5",
    "(not flag) ** 8",
    # huge literals and powers
    "1e999999 > budget",
    "-1e999999 < budget",
    "9" * 40 + " > budget",
    "1e-150 < budget",
    "9**9**9",
    "budget ** 8 ** 8 ** 8",
    "budget ** 9",
    "budget ** spending",
    "budget ** 0.5",
    "budget ** -1",
    "budget ** True",
    "round(budget, 10**9)",
    "round(budget, 1000000000)",
    "round(budget, spending)",
    "round(budget, -2)",
    "round(budget, 2, 3)",
    "min()",
    "abs(budget, spending)",
    "wanyuan()",
    # sizes: characters, nodes, nesting
    "-" * 10000 + "budget",
    "-" * 490 + "budget",
    "not " * 110 + "budget",
    "(" * 240 + "budget" + ")" * 240,
    "a" * 10000,
    "a" * 499,
    "budget" + " + budget" * 60,
    "min(" + "1, " * 150 + "1)",
    " < ".join(["budget"] * 70),
    "",
    "   ",
    "budget\x00",
]

#: allowed by their form, each evaluating within bounds: to a value, None, or a named error
BOUNDED = [
    "names % budget == 'x'",
    "names * 999999999",
    "names + names",
    "-names",
    "percent(names)",
    "names > budget",
    "min(names, budget)",
    "flag + flag",
    "flag ** 8",
    "spending * names",
    "((budget * 99999999) ** 8) ** 8 > 0",
    "(" * 30 + "budget" + " ** 8)" * 30,
    "budget * 1e99 * 1e99",
    "9999999999999999999999999999 * 9999999999999999999999999999",
    "1e-99 * 1e-99 * budget",
    "budget / 0",
    "budget // 0",
    "budget % 0",
    "0 / 0",
    "budget / spending",
    "budget // 1e-90",
    "budget % 1e-90",
    "missing + 1",
    "missing > 1",
    "None + 1",
    "-missing",
    "abs(missing)",
    "percent(missing)",
    "min(missing, missing)",
    "round(budget * 1e30, 2)",
    "round(budget, 10)",
    "percent(budget * 1e97)",
    "wanyuan(budget ** 8)",
    "count(budget, '个')",
    "budget < 1e99 < 1e99 * 10 < budget",
    "9e99 < budget * 9e99 < 9e99 * 9e99",
    "min(" + ", ".join(["budget * 1e90"] * 20) + ")",
    "max(" + ", ".join(["1"] * 50) + ")",
    "max(" + ", ".join(["budget ** 8"] * 20) + ")",
    "'x' == 'x'",
    "names == 'x'",
    "names != budget",
    "budget == names",
    "'%s' if flag else 'x'",
    "budget or names",
    "not names",
    "budget is None",
    "missing is not None",
    "budget ** 0",
    "spending ** 8",
    "-" * 50 + "budget",
    "abs(budget - spending) > 0.005",
]


def _within_bounds(value: Any) -> bool:
    """A corpus result: None, true/false, text that was already there, or a number."""
    if isinstance(value, Tagged):
        return _within_bounds(value.value) and len(value.unit) <= MAX_TEXT_CHARS
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, str):
        return len(value) <= 10_000  # only a variable's own text or a literal, never built
    return isinstance(value, Decimal)


@pytest.mark.parametrize("text", REFUSED_AT_LOAD, ids=[text[:40] for text in REFUSED_AT_LOAD])
def test_escape_attempts_are_refused_at_load(text: str) -> None:
    """Every escape attempt of the corpus is an ExpressionError when the rule loads."""
    with pytest.raises(ExpressionError):
        Expression(text, NAMES)


@pytest.mark.parametrize("text", BOUNDED, ids=[text[:40] for text in BOUNDED])
def test_allowed_expressions_evaluate_within_bounds(text: str) -> None:
    """An expression the sandbox allows gives a bounded value, None or an ExpressionError, whatever the variables hold."""
    expression = Expression(text, NAMES)
    for context in CONTEXTS:
        try:
            value = expression.evaluate(context)
        except ExpressionError as error:
            assert "Overflow" not in str(error) and "decimal." not in str(error)
            continue
        assert _within_bounds(value), value


def test_computed_numbers_stay_within_the_decimal_bounds() -> None:
    """What a rule computes has at most MAX_DIGITS digits and a magnitude below 1e(MAX_MAGNITUDE + 1), or stops named."""
    context = {"budget": Decimal("1234.56"), "spending": Decimal("0.001"), "names": "n", "flag": True, "missing": None}
    assert evaluate("budget * 1e90", context) == Decimal("1.23456E+93")
    assert evaluate("1e-99 * 1e-99", context) == 0  # below the bound a number fades to 0
    big = evaluate("9999999999999999999999999999 * 9999999999999999999999999999", context)
    assert len(big.as_tuple().digits) <= MAX_DIGITS and big.adjusted() <= MAX_MAGNITUDE
    for text in ("budget * 1e99", "(budget ** 8) ** 8", "round(budget * 1e30, 2)", "-(budget * 9e96)"):
        with pytest.raises(ExpressionError, match="cannot compute"):
            evaluate(text, context)
    assert evaluate("budget / 0", context) is None and evaluate("missing + 1", context) is None


def test_the_whole_corpus_runs_in_bounded_time() -> None:
    """Loading every corpus expression and running each allowed one against every context takes well under a few seconds."""
    started = time.perf_counter()
    for text in REFUSED_AT_LOAD + BOUNDED:
        try:
            expression = Expression(text, NAMES)
        except ExpressionError:
            continue
        for context in CONTEXTS:
            try:
                expression.evaluate(context)
            except ExpressionError:
                pass
    assert time.perf_counter() - started < 5


# --------------------------------------------------------------------------- random expressions

_LEAVES = st.one_of(
    st.sampled_from(["a", "b", "c", "t", "s", "n"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).map(lambda number: f"{number:e}" if number.is_finite() else "1"),
    st.sampled_from(["1e999999", "1e-999", "0", "0.0", "None", "True", "False", "'x'", "'%999999999s'", "''"]),
)
_BINARY = ["+", "-", "*", "/", "//", "%"]
_COMPARE = ["==", "!=", "<", "<=", ">", ">=", "is", "is not"]


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(children, children)
    return st.one_of(
        st.tuples(children, st.sampled_from(_BINARY), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, st.integers(min_value=-2, max_value=MAX_EXPONENT + 2)).map(lambda t: f"({t[0]} ** {t[1]})"),
        st.tuples(st.sampled_from(["-", "+", "not "]), children).map(lambda t: f"({t[0]}{t[1]})"),
        st.tuples(children, st.lists(st.tuples(st.sampled_from(_COMPARE), children), min_size=1, max_size=3)).map(
            lambda t: "(" + t[0] + "".join(f" {op} {right}" for op, right in t[1]) + ")"
        ),
        st.tuples(st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=4)).map(lambda t: "(" + f" {t[0]} ".join(t[1]) + ")"),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.tuples(st.sampled_from(sorted(FUNCTIONS)), st.lists(children, min_size=0, max_size=4)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        pair.map(lambda t: f"round({t[0]}, {len(t[1]) % 12})"),
        pair.map(lambda t: f"count({t[0]}, '个')"),
    )


_EXPRESSIONS = st.recursive(_LEAVES, _extend, max_leaves=40)
_VALUES = st.one_of(
    st.none(),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: len(d.as_tuple().digits) <= MAX_DIGITS and abs(d.adjusted()) <= MAX_MAGNITUDE),
)
_WILD_VALUES = st.one_of(_VALUES, st.decimals(), st.booleans(), st.text(max_size=20), st.sampled_from(["%999999999s", "{0.__class__}", Decimal("sNaN"), Decimal("-Infinity")]))


def _check_random(text: str, context: dict[str, Any]) -> Any:
    started = time.perf_counter()
    try:
        expression = Expression(text, set(context))
    except ExpressionError:
        return None
    try:
        value = expression.evaluate(context)
    except ExpressionError:
        value = None
    assert time.perf_counter() - started < 2
    return value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_EXPRESSIONS, st.fixed_dictionaries({name: _VALUES for name in ("a", "b", "c")}), st.booleans(), st.none())
def test_random_expressions_fail_validation_or_evaluate_within_bounds(text: str, numbers: dict[str, Any], flag: bool, missing: None) -> None:
    """A random expression over the grammar is refused with ExpressionError or evaluates, quickly, to a bounded value or an ExpressionError."""
    value = _check_random(text, {**numbers, "t": flag, "s": "%999999999s", "n": missing})
    assert _within_bounds(value), value
    if isinstance(value, Tagged):
        value = value.value
    if isinstance(value, Decimal) and value not in numbers.values():  # computed, not a variable passed through
        assert len(value.as_tuple().digits) <= MAX_DIGITS and value.adjusted() <= MAX_MAGNITUDE


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_EXPRESSIONS, st.fixed_dictionaries({name: _WILD_VALUES for name in ("a", "b", "c", "t", "s", "n")}))
def test_random_expressions_over_wild_values_raise_only_the_documented_error(text: str, context: dict[str, Any]) -> None:
    """Whatever a variable holds (text, true/false, NaN, infinities, huge exponents), nothing but ExpressionError escapes."""
    _check_random(text, context)


# --------------------------------------------------------------------------- compiled = read plainly

_PLAIN_BINARY = {"Add": operator.add, "Sub": operator.sub, "Mult": operator.mul, "Div": operator.truediv, "FloorDiv": operator.floordiv, "Mod": operator.mod, "Pow": operator.pow}
_PLAIN_COMPARE = {"Eq": operator.eq, "NotEq": operator.ne, "Lt": operator.lt, "LtE": operator.le, "Gt": operator.gt, "GtE": operator.ge}


class _Refused(Exception):
    """The plain reading refuses a value (where the sandbox raises ExpressionError)."""


def _plain(node: ast.AST, context: dict[str, Any]) -> Any:
    """The sandbox's documented semantics, read node by node with no compilation: the oracle
    for the closures a rule is compiled into once (specialised for the common shapes)."""

    def number(value: Any) -> Any:
        value = value.value if isinstance(value, Tagged) else value
        if value is not None and value.__class__ is not Decimal:
            raise _Refused
        return value

    if isinstance(node, ast.Constant):
        value = node.value
        return value if value is None or isinstance(value, (bool, str)) else Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(node, ast.Name):
        return context[node.id]
    if isinstance(node, ast.BoolOp):
        result: Any = None
        for operand in node.values:
            result = _plain(operand, context)
            if isinstance(node.op, ast.And) != bool(result):
                return result
        return result
    if isinstance(node, ast.UnaryOp):
        value = _plain(node.operand, context)
        if isinstance(node.op, ast.Not):
            return not (value.value if isinstance(value, Tagged) else value)
        value = number(value)
        return None if value is None else -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp):
        left, right = _plain(node.left, context), _plain(node.right, context)
        left, right = (value.value if isinstance(value, Tagged) else value for value in (left, right))
        if left is None or right is None:
            return None
        number(left), number(right)
        if isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)) and right == 0:
            return None
        try:
            return _PLAIN_BINARY[type(node.op).__name__](left, right)
        except decimal.DivisionByZero:
            return None
        except decimal.DecimalException:
            raise _Refused from None
    if isinstance(node, ast.Compare):
        unwrap = lambda value: value.value if isinstance(value, Tagged) else value  # noqa: E731
        left = unwrap(_plain(node.left, context))
        for op, comparator in zip(node.ops, node.comparators):
            right = unwrap(_plain(comparator, context))
            if isinstance(op, (ast.Is, ast.IsNot)):
                holds = (left is None) == isinstance(op, ast.Is)
            elif left is None or right is None:
                return False
            else:
                if isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                    number(left), number(right)
                holds = _PLAIN_COMPARE[type(op).__name__](left, right)
            if not holds:
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return _plain(node.body, context) if _plain(node.test, context) else _plain(node.orelse, context)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    name = node.func.id
    numbers = node.args[:1] if name in ("round", "count") else node.args
    values = [number(_plain(argument, context)) for argument in numbers] + [_plain(argument, context) for argument in node.args[len(numbers):]]
    try:
        return FUNCTIONS[name](*values)
    except decimal.DecimalException:
        raise _Refused from None


def _read_plainly(expression: Expression, context: dict[str, Any]) -> tuple[str, Any]:
    with decimal.localcontext(ARITHMETIC):
        try:
            return "value", _plain(expression.tree.body, context)
        except (_Refused, ArithmeticError, TypeError):
            return "refused", None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_EXPRESSIONS, st.fixed_dictionaries({name: _WILD_VALUES for name in ("a", "b", "c", "t", "s", "n")}))
def test_a_compiled_rule_yields_what_a_plain_reading_of_it_yields(text: str, context: dict[str, Any]) -> None:
    """The closures a rule is compiled into give the value (or the refusal) its syntax, read plainly node by node, gives."""
    try:
        expression = Expression(text, set(context))
    except ExpressionError:
        return
    try:
        compiled: tuple[str, Any] = ("value", expression.evaluate(context))
    except ExpressionError:
        compiled = ("refused", None)
    plain = _read_plainly(expression, context)
    assert compiled[0] == plain[0], (text, context, compiled, plain)
    assert repr(compiled[1]) == repr(plain[1]), (text, context, compiled, plain)


@pytest.mark.parametrize(
    "text",
    [
        "a > 0", "a > b", "abs(a - b) >= 0.01", "a is None", "a is not None", "percent(a) is None", "not t", "not percent(a)",
        "t and a > 0 and not s and b < 1", "t or a or b or c", "a - b", "a / b", "abs(a)", "wanyuan(a)", "(a + b) + c == 0", "0 < a",
        "count(a, '个')", "round(a, 2)", "round(a - b, 1)",
    ],
)
@pytest.mark.parametrize("values", [(Decimal("1.5"), Decimal(0), True, "x", None), (None, Decimal("-2"), False, "", None), (Decimal(3), Decimal(3), True, True, None), ("t", Decimal(1), False, Decimal(2), None)])
def test_the_common_rule_shapes_yield_what_a_plain_reading_yields(text: str, values: tuple[Any, ...]) -> None:
    """Each shape compiled to a shortcut (a variable against a literal, two variables, one-argument calls, and/or chains) agrees with the plain reading."""
    context = dict(zip(("a", "b", "t", "s", "c"), values)) | {"n": None}
    expression = Expression(text, set(context))
    try:
        compiled: tuple[str, Any] = ("value", expression.evaluate(context))
    except ExpressionError:
        compiled = ("refused", None)
    plain = _read_plainly(expression, context)
    assert (compiled[0], repr(compiled[1])) == (plain[0], repr(plain[1]))
