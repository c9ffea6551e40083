"""The sandbox for declarative finding rules: small arithmetic and logic over named values.

A ``[[findings]]`` rule's ``when`` and ``evidence`` are expressions such as
``execution_rate > reason_above and not has_execution_reason``. They are parsed with
:mod:`ast` and checked node by node against a whitelist: literals, names from the rule's
scope, arithmetic, comparisons, ``and``/``or``/``not``, ``x if c else y`` and calls to a few
functions (:data:`FUNCTIONS`). Attribute access, subscripts, imports, lambdas,
comprehensions and every other construct are refused, as are texts over
:data:`MAX_CHARS` characters or :data:`MAX_NODES` nodes and powers with a large exponent,
so a rule can neither reach into Python objects nor run for long. Numbers are
:class:`~decimal.Decimal`. A missing value (``None``) makes arithmetic ``None`` and
comparisons false, so a rule over a figure the unit did not report simply does not fire.

This module is the sandbox alone: the names a rule may use are listed in
:mod:`perfscore.rules.variables`, and a ruleset's rules are checked at load by
:mod:`perfscore.rules.validate`.
"""

from __future__ import annotations

import ast
import decimal
import operator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Mapping

MAX_CHARS = 500
MAX_NODES = 120
MAX_EXPONENT = 8


class ExpressionError(ValueError):
    """An expression is not allowed in the sandbox (or cannot be parsed)."""


@dataclass(frozen=True, slots=True)
class Tagged:
    """A value with its unit of measure, made by ``percent()``, ``yuan()`` and friends."""

    value: Any
    unit: str


def _numeric(value: Any) -> Any:
    return value.value if isinstance(value, Tagged) else value


def _round(value: Any, places: Any = 0) -> Any:
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-int(places)), rounding=decimal.ROUND_HALF_UP)


def _percent(ratio: Any) -> Tagged:
    return Tagged(None if ratio is None else _round(ratio * 100, 2), "%")


def _unit(unit: str) -> Callable[[Any], Tagged]:
    return lambda value: Tagged(value, unit)


def _min(*values: Any) -> Any:
    values = tuple(v for v in values if v is not None)
    return min(values) if values else None


def _max(*values: Any) -> Any:
    values = tuple(v for v in values if v is not None)
    return max(values) if values else None


#: the only callables a rule may use; ``percent``… tag evidence with its unit
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": lambda value: None if value is None else abs(value),
    "min": _min,
    "max": _max,
    "round": _round,
    "percent": _percent,
    "wanyuan": _unit("万元"),
    "yuan": _unit("元"),
    "count": lambda value, unit="": Tagged(value, unit),
}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.Compare, ast.Is, ast.IsNot, ast.IfExp, ast.Call, ast.Name, ast.Load, ast.Constant,
    *_BINARY, *_COMPARE,
)


class Expression:
    """A checked expression, ready to evaluate against a mapping of names."""

    def __init__(self, text: str, names: set[str] | None = None):
        self.text = text
        self.tree = compile_checked(text, names)
        self.names = sorted({node.id for node in ast.walk(self.tree) if isinstance(node, ast.Name) and node.id not in FUNCTIONS})
        # The checked tree becomes a tree of closures once, so that evaluating a rule for
        # each of thousands of units does no node-type dispatch (docs/performance.md).
        self._run = _compile(self.tree.body)

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        """Evaluate against ``context``, whose numbers must be Decimal (see :func:`as_context`)."""
        return self._run(context)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def compile_checked(text: str, names: set[str] | None = None) -> ast.Expression:
    """Parse ``text`` and refuse anything outside the whitelist; ``names`` are the allowed variables."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("an expression is required")
    if len(text) > MAX_CHARS:
        raise ExpressionError(f"expression is {len(text)} characters long; at most {MAX_CHARS} are allowed")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"not a valid expression: {error.msg} (column {error.offset})") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ExpressionError(f"expression has {len(nodes)} parts; at most {MAX_NODES} are allowed")
    for node in nodes:
        if not isinstance(node, _ALLOWED):
            raise ExpressionError(f"{_describe(node)} is not allowed in a rule (only arithmetic, comparisons, and/or/not and {', '.join(sorted(FUNCTIONS))}())")
        if isinstance(node, ast.Constant) and not (node.value is None or isinstance(node.value, (bool, int, float, str))):
            raise ExpressionError(f"literal {node.value!r} is not allowed")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 200:
            raise ExpressionError("string literals are limited to 200 characters")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                called = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise ExpressionError(f"function {called}() is not allowed; allowed: {', '.join(sorted(FUNCTIONS))}")
            if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
                raise ExpressionError(f"{node.func.id}() takes positional arguments only")
        if isinstance(node, ast.Name) and names is not None and node.id not in names and node.id not in FUNCTIONS:
            raise ExpressionError(f"unknown name {node.id!r}; available here: {', '.join(sorted(names))}")
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and not _is_called(node, nodes):
            raise ExpressionError(f"function {node.id} must be called, not used as a value")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = node.right
            if not (isinstance(exponent, ast.Constant) and isinstance(exponent.value, int) and not isinstance(exponent.value, bool) and abs(exponent.value) <= MAX_EXPONENT):
                raise ExpressionError(f"** needs a whole-number literal exponent of at most {MAX_EXPONENT}")
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators):
                if isinstance(op, (ast.Is, ast.IsNot)) and not (isinstance(right, ast.Constant) and right.value is None):
                    raise ExpressionError("'is' and 'is not' may only compare with None")
    return tree


def _is_called(name: ast.Name, nodes: list[ast.AST]) -> bool:
    return any(isinstance(node, ast.Call) and node.func is name for node in nodes)


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Attribute: "attribute access (a.b)",
        ast.Subscript: "indexing (a[b])",
        ast.Lambda: "lambda",
        ast.ListComp: "a comprehension",
        ast.GeneratorExp: "a generator",
        ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.NamedExpr: "assignment (:=)",
        ast.List: "a list",
        ast.Tuple: "a tuple",
        ast.Dict: "a dict",
        ast.Set: "a set",
        ast.JoinedStr: "an f-string",
        ast.Starred: "unpacking (*)",
        ast.Await: "await",
        ast.Yield: "yield",
    }
    return kinds.get(type(node), type(node).__name__)


def _constant(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


_TAGGING = ("percent", "wanyuan", "yuan", "count")


def _may_tag(node: ast.AST) -> bool:
    """Whether a node can yield a Tagged value (only calls of the tagging functions can)."""
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id in _TAGGING
    if isinstance(node, ast.IfExp):
        return _may_tag(node.body) or _may_tag(node.orelse)
    if isinstance(node, ast.BoolOp):
        return any(_may_tag(value) for value in node.values)
    return False


def _numeric_part(node: ast.AST) -> Callable[[Mapping[str, Any]], Any]:
    """A compiled operand of arithmetic or a comparison: Tagged values unwrapped to numbers,
    with the unwrapping left out where the node cannot produce one."""
    part = _compile(node)
    if not _may_tag(node):
        return part
    return lambda context: _numeric(part(context))


def _compile(node: ast.AST) -> Callable[[Mapping[str, Any]], Any]:
    """Turn a checked node into a closure over the context. Semantics: a missing value
    (None) makes arithmetic None and comparisons false; x ÷ 0 is None; numbers are Decimal."""
    if isinstance(node, ast.Constant):
        value = _constant(node.value)
        return lambda context: value
    if isinstance(node, ast.Name):
        # contexts hold Decimal, bool, str or None (see Expression.evaluate), so a name is
        # a plain lookup
        return operator.itemgetter(node.id)
    if isinstance(node, ast.BoolOp):
        parts = [_compile(value) for value in node.values]
        if isinstance(node.op, ast.And):
            def all_of(context: Mapping[str, Any]) -> Any:
                result: Any = True
                for part in parts:
                    result = part(context)
                    if not result:
                        return result
                return result

            return all_of

        def any_of(context: Mapping[str, Any]) -> Any:
            result: Any = False
            for part in parts:
                result = part(context)
                if result:
                    return result
            return result

        return any_of
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda context: not _numeric(operand(context))
        negate = isinstance(node.op, ast.USub)

        def sign(context: Mapping[str, Any]) -> Any:
            value = _numeric(operand(context))
            if value is None:
                return None
            return -value if negate else +value

        return sign
    if isinstance(node, ast.BinOp):
        left_part, right_part = _numeric_part(node.left), _numeric_part(node.right)
        apply = _BINARY[type(node.op)]
        divides = isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod))
        source = ast.unparse(node)

        def binary(context: Mapping[str, Any]) -> Any:
            left, right = left_part(context), right_part(context)
            if left is None or right is None:
                return None
            if divides and right == 0:
                return None  # a ratio over nothing is not a number: the rule does not fire
            try:
                return apply(left, right)
            except (TypeError, decimal.InvalidOperation) as error:
                raise ExpressionError(f"cannot compute {source}: {error}") from None

        return binary
    if isinstance(node, ast.Compare):
        first = _numeric_part(node.left)
        steps = [(type(op), _COMPARE.get(type(op)), _numeric_part(comparator)) for op, comparator in zip(node.ops, node.comparators)]
        source = ast.unparse(node)
        only_test = steps[0][1] if len(steps) == 1 else None  # None for `is` / `is not`
        if only_test is not None:
            # the usual shape, `a > b`, without the loop
            test, second = only_test, steps[0][2]

            def compare_one(context: Mapping[str, Any]) -> bool:
                left, right = first(context), second(context)
                if left is None or right is None:
                    return False
                try:
                    return test(left, right)
                except TypeError as error:
                    raise ExpressionError(f"cannot compare in {source}: {error}") from None

            return compare_one

        def compare(context: Mapping[str, Any]) -> bool:
            left = first(context)
            for kind, step_test, part in steps:
                right = part(context)
                if step_test is None:  # `is None` / `is not None`
                    ok = left is None if kind is ast.Is else left is not None
                elif left is None or right is None:
                    return False
                else:
                    try:
                        ok = step_test(left, right)
                    except TypeError as error:
                        raise ExpressionError(f"cannot compare in {source}: {error}") from None
                if not ok:
                    return False
                left = right
            return True

        return compare
    if isinstance(node, ast.IfExp):
        condition, body, orelse = _compile(node.test), _compile(node.body), _compile(node.orelse)
        return lambda context: body(context) if condition(context) else orelse(context)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):  # checked: only FUNCTIONS are called
        arguments = [_compile(arg) for arg in node.args]
        function = FUNCTIONS[node.func.id]
        tagging = node.func.id in _TAGGING
        source = ast.unparse(node)

        def call(context: Mapping[str, Any]) -> Any:
            values = [argument(context) for argument in arguments]
            if not tagging:
                values = [_numeric(value) for value in values]
            try:
                return function(*values)
            except (TypeError, ValueError, decimal.InvalidOperation) as error:
                raise ExpressionError(f"cannot compute {source}: {error}") from None

        return call
    raise ExpressionError(f"{_describe(node)} is not allowed")  # unreachable after checking


def evaluate(text: str, context: Mapping[str, Any]) -> Any:
    """Check and evaluate one expression against ``context`` (its keys are the allowed names)."""
    return Expression(text, set(context)).evaluate(as_context(context))


def as_context(values: Mapping[str, Any]) -> dict[str, Any]:
    """A context for :meth:`Expression.evaluate`: ints and floats become Decimal."""
    return {name: _constant(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value for name, value in values.items()}
