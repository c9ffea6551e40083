"""The sandbox for declarative finding rules: small arithmetic and logic over named values.

A ``[[findings]]`` rule's ``when`` and ``evidence`` are expressions such as
``execution_rate > reason_above and not has_execution_reason``. They are parsed with
:mod:`ast` and checked node by node against a whitelist: literals, names from the rule's
scope, arithmetic, comparisons, ``and``/``or``/``not``, ``x if c else y`` and calls to a few
functions (:data:`FUNCTIONS`). Attribute access, subscripts, imports, lambdas,
comprehensions and every other construct are refused, so a rule cannot reach into Python
objects. Text is data, never computed: arithmetic (``+ - * / // % **``, so ``%``
formatting and ``*`` repetition too), signs, ordering comparisons (``< <= > >=``) and the
functions take numbers only, and a string may only be compared with ``==``/``!=``, be a
rule's value (through ``x if c else y`` or ``and``/``or``) or be ``count()``'s unit literal.
This is checked when a rule loads, for literals and comparisons (true/false is not a number
either), and again as a rule runs, for variables, whose values come from a unit's data. So
that a rule can never run for long or grow without bound, everything is bounded: a text of
at most :data:`MAX_CHARS` characters and :data:`MAX_NODES` nodes; string literals of at most
:data:`MAX_TEXT_CHARS` characters; ``**`` only with a whole literal exponent of at most
:data:`MAX_EXPONENT`; ``round()`` to a literal 0 to :data:`MAX_ROUND_PLACES` places; and
every number, literal or computed, :class:`~decimal.Decimal` with at most :data:`MAX_DIGITS`
significant digits and a magnitude below 10**(:data:`MAX_MAGNITUDE` + 1) (smaller than
10**-:data:`MAX_MAGNITUDE` it fades towards 0), because rules run under the decimal context
:data:`ARITHMETIC`. A literal outside these bounds is refused at load; a value that leaves
them while a rule runs (``(budget * 1e60) ** 8``) stops that rule with an
:class:`ExpressionError`, which the find stage reports as a failure of the rule. A missing
value (``None``) makes arithmetic ``None`` and comparisons false, and ``x / 0`` is ``None``,
so a rule over a figure the unit did not report simply does not fire.

This module is the sandbox alone: the names a rule may use are listed in
:mod:`perfscore.rules.variables`, and a ruleset's rules are checked at load by
:mod:`perfscore.rules.validate`.
"""

from __future__ import annotations

import ast
import decimal
import operator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Mapping

#: characters in one expression
MAX_CHARS = 500
#: syntax nodes in one expression (this also bounds nesting, arguments and chained comparisons)
MAX_NODES = 120
#: the largest whole literal exponent of ``**``
MAX_EXPONENT = 8
#: significant digits of every number: the precision of :data:`ARITHMETIC` (Python's default)
MAX_DIGITS = 28
#: every number's adjusted exponent is at most this: its magnitude stays below 10**100
MAX_MAGNITUDE = 99
#: characters in one string literal
MAX_TEXT_CHARS = 200
#: the most decimal places ``round()`` rounds to
MAX_ROUND_PLACES = 10

#: the decimal context rules run under: Python's default precision and rounding, with the
#: exponent bounded, so that no result grows past MAX_DIGITS digits or 10**(MAX_MAGNITUDE+1)
ARITHMETIC = decimal.Context(
    prec=MAX_DIGITS,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=MAX_MAGNITUDE,
    Emin=-MAX_MAGNITUDE,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def bounded_arithmetic() -> AbstractContextManager[decimal.Context]:
    """Enter :data:`ARITHMETIC`; :meth:`Expression.run` expects it entered (once per unit)."""
    return decimal.localcontext(ARITHMETIC)


class ExpressionError(ValueError):
    """An expression is not allowed in the sandbox, cannot be parsed, or failed as it ran."""


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
    # places is a checked literal (0 … MAX_ROUND_PLACES), so this exponent is small
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
#: how many arguments each function takes (None: any number)
_ARITY: dict[str, tuple[int, int | None]] = {
    "abs": (1, 1), "min": (1, None), "max": (1, None), "round": (1, 2),
    "percent": (1, 1), "wanyuan": (1, 1), "yuan": (1, 1), "count": (1, 2),
}
_SIGNATURES = "abs(x), min(x, …), max(x, …), round(x[, places]), percent(x), wanyuan(x), yuan(x), count(x[, 'unit'])"

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
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.Compare, ast.Is, ast.IsNot, ast.IfExp, ast.Call, ast.Name, ast.Load, ast.Constant,
    *_BINARY, *_COMPARE,
)
_NUMBERS_ONLY = "arithmetic, signs, < <= > >= and the functions take numbers; text may only be compared with == or !=, be a rule's value or be count()'s unit"


class Expression:
    """A checked expression, ready to evaluate against a mapping of names."""

    def __init__(self, text: str, names: set[str] | frozenset[str] | None = None):
        self.text = text
        self.tree = compile_checked(text, names)
        self.names = sorted({node.id for node in ast.walk(self.tree) if isinstance(node, ast.Name) and node.id not in FUNCTIONS})
        # The checked tree becomes a tree of closures once, so that evaluating a rule for
        # each of thousands of units does no node-type dispatch (docs/performance.md).
        #: the closure itself, for a caller that evaluates it many times under
        #: bounded_arithmetic() and turns what it raises into an ExpressionError with
        #: :meth:`failure` (what :meth:`run` does, one call fewer a rule and subject)
        self.function = _compile(self.tree.body)

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        """Evaluate against ``context`` (numbers Decimal, see :func:`as_context`) under
        :data:`ARITHMETIC`; raises only :class:`ExpressionError`."""
        with decimal.localcontext(ARITHMETIC):
            return self.run(context)

    def run(self, context: Mapping[str, Any]) -> Any:
        """Evaluate inside :func:`bounded_arithmetic`, entered once for many evaluations
        (the find stage enters it once per unit: entering costs more than a small rule)."""
        try:
            return self.function(context)
        except (ArithmeticError, TypeError) as error:
            # the nodes report what they expect; this catches the rest (a NaN compared,
            # a value beyond the bounds in a sign or a function) so that nothing escapes
            raise self.failure(error) from None

    def failure(self, error: ArithmeticError | TypeError) -> ExpressionError:
        """What :meth:`run` raises when :attr:`function` raised ``error``."""
        return ExpressionError(f"cannot compute {self.text}: {_reason(error)}")

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def compile_checked(text: str, names: set[str] | frozenset[str] | None = None) -> ast.Expression:
    """Parse ``text`` and refuse anything outside the whitelist; ``names`` are the allowed variables."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("an expression is required")
    if len(text) > MAX_CHARS:
        raise ExpressionError(f"expression is {len(text)} characters long; at most {MAX_CHARS} are allowed")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"not a valid expression: {error.msg} (column {error.offset})") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("not a valid expression (too deeply nested, or not text)") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ExpressionError(f"expression has {len(nodes)} parts; at most {MAX_NODES} are allowed")
    for node in nodes:
        if not isinstance(node, _ALLOWED):
            raise ExpressionError(f"{_describe(node)} is not allowed in a rule (only arithmetic, comparisons, and/or/not and {', '.join(sorted(FUNCTIONS))}())")
        if isinstance(node, ast.Constant):
            _check_literal(node.value, ast.get_source_segment(text.strip(), node) or repr(node.value))
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
    for node in nodes:
        _check_operands(node)
    return tree


def _check_literal(value: Any, source: str) -> None:
    """Refuse a literal that is not a bounded number, a short string, a boolean or None."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        if len(value) > MAX_TEXT_CHARS:
            raise ExpressionError(f"string literals are limited to {MAX_TEXT_CHARS} characters")
        return
    if not isinstance(value, (int, float)):
        raise ExpressionError(f"literal {value!r} is not allowed")
    number = _constant(value)
    if not number.is_finite() or len(number.as_tuple().digits) > MAX_DIGITS or (number and abs(number.adjusted()) > MAX_MAGNITUDE):
        raise ExpressionError(
            f"number {source} is out of range: numbers have at most {MAX_DIGITS} significant digits and a magnitude "
            f"from 1e-{MAX_MAGNITUDE} to below 1e{MAX_MAGNITUDE + 1} (or are 0)"
        )


# --------------------------------------------------------------------------- kinds of values

#: what a node may yield, as bits: a number (or a tagged one), true/false, text, None, or
#: anything (a variable, whose value comes from the data and is checked as the rule runs)
_NUMBER, _BOOL, _TEXT, _NONE, _ANY = 1, 2, 4, 8, 16


def _kind(node: ast.AST) -> int:
    """What ``node`` may yield, known from the tree alone."""
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None:
            return _NONE
        if isinstance(value, bool):
            return _BOOL
        return _TEXT if isinstance(value, str) else _NUMBER
    if isinstance(node, ast.Name):
        return _ANY
    if isinstance(node, (ast.Compare, ast.UnaryOp)) and (isinstance(node, ast.Compare) or isinstance(node.op, ast.Not)):
        return _BOOL
    if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Call)):
        return _NUMBER | _NONE  # their operands are checked to be numbers; functions give numbers
    if isinstance(node, ast.IfExp):
        return _kind(node.body) | _kind(node.orelse)
    if isinstance(node, ast.BoolOp):
        kind = 0
        for operand in node.values:
            kind |= _kind(operand)
        return kind
    return _ANY


def _check_number(operand: ast.AST, where: str) -> None:
    """Refuse an operand that is text or true/false by its form (a literal, a comparison)."""
    kind = _kind(operand)
    if kind & _TEXT:
        raise ExpressionError(f"{ast.unparse(operand)} is text, which {where} cannot take: {_NUMBERS_ONLY}")
    if kind & _BOOL:
        raise ExpressionError(f"{ast.unparse(operand)} is true/false, not a number, which {where} needs: {_NUMBERS_ONLY}")


def _check_operands(node: ast.AST) -> None:
    """The typing discipline: numbers where numbers are computed, text only where harmless."""
    if isinstance(node, ast.BinOp):
        where = f"{_OPERATORS[type(node.op)]} in {ast.unparse(node)}"
        _check_number(node.left, where)
        _check_number(node.right, where)
    elif isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
        _check_number(node.operand, f"the sign in {ast.unparse(node)}")
    elif isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for position, op in enumerate(node.ops):
            if isinstance(op, _ORDERING):
                where = f"the comparison {ast.unparse(node)}"
                _check_number(operands[position], where)
                _check_number(operands[position + 1], where)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name, arguments = node.func.id, node.args
        least, most = _ARITY[name]
        if len(arguments) < least or (most is not None and len(arguments) > most):
            raise ExpressionError(f"{name}() takes {least if least == most else f'{least} to {most}' if most else f'{least} or more'} argument(s), not {len(arguments)}; the functions: {_SIGNATURES}")
        numbers = arguments
        if name == "round" and len(arguments) == 2:
            places = arguments[1]
            if not (isinstance(places, ast.Constant) and isinstance(places.value, int) and not isinstance(places.value, bool) and 0 <= places.value <= MAX_ROUND_PLACES):
                raise ExpressionError(f"round()'s places must be a whole-number literal from 0 to {MAX_ROUND_PLACES}, not {ast.unparse(places)}")
            numbers = arguments[:1]
        if name == "count" and len(arguments) == 2:
            unit = arguments[1]
            if not (isinstance(unit, ast.Constant) and isinstance(unit.value, str)):
                raise ExpressionError(f"count()'s unit must be a string literal such as '个', not {ast.unparse(unit)}")
            numbers = arguments[:1]
        for argument in numbers:
            _check_number(argument, f"{name}()")


_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}


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


# --------------------------------------------------------------------------- running

def _reason(error: BaseException) -> str:
    """Why a computation stopped, in the sandbox's terms (never a decimal class name)."""
    if isinstance(error, decimal.Overflow):
        return f"a value reaches 1e{MAX_MAGNITUDE + 1} or more; numbers in a rule stay below it"
    if isinstance(error, decimal.DivisionByZero):
        return "division by zero"
    if isinstance(error, decimal.InvalidOperation):
        return f"the result is undefined or needs more than {MAX_DIGITS} digits"
    if isinstance(error, TypeError):
        return f"values of the wrong type ({error})"
    return type(error).__name__


def _not_numbers(source: str, *values: Any) -> ExpressionError:
    kinds = ", ".join(sorted({"text" if isinstance(value, str) else "true/false" if isinstance(value, bool) else type(value).__name__ for value in values if value is not None and value.__class__ is not Decimal}))
    return ExpressionError(f"cannot compute {source}: a value is {kinds}, not a number; {_NUMBERS_ONLY}")


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


def _unchecked(node: ast.AST) -> bool:
    """Whether an operand needs no check as the rule runs: its form proves it a number or
    None (a literal, arithmetic, a function); only values from variables can be text."""
    return not _kind(node) & _ANY


#: how a compiled node reads one of its operands (:func:`_operand`)
_LITERAL, _VARIABLE, _COMPUTED = 0, 1, 2


def _operand(node: ast.AST) -> tuple[int, Any]:
    """An operand as its parent reads it: a literal's value, a variable's name (read from the
    context in the parent's own closure, without a call) or the operand's compiled closure
    (Tagged values unwrapped, as :func:`_numeric_part`). The common shapes of rules, ``a > 0``,
    ``a - b``, ``abs(x)``, thus cost one closure call instead of three."""
    if isinstance(node, ast.Constant):
        return _LITERAL, _constant(node.value)
    if isinstance(node, ast.Name):
        return _VARIABLE, node.id
    return _COMPUTED, _numeric_part(node)


def _compile(node: ast.AST) -> Callable[[Mapping[str, Any]], Any]:
    """Turn a checked node into a closure over the context. Semantics: a missing value
    (None) makes arithmetic None and comparisons false; x ÷ 0 is None; numbers are Decimal,
    and only Decimal (never text, true/false or an int) reaches an operator or a function."""
    if isinstance(node, ast.Constant):
        value = _constant(node.value)
        return lambda context: value
    if isinstance(node, ast.Name):
        # contexts hold Decimal, bool, str or None (see Expression.evaluate), so a name is
        # a plain lookup
        return operator.itemgetter(node.id)
    if isinstance(node, ast.BoolOp):
        parts = [_compile(value) for value in node.values]
        # Python's own and/or, written out: the first falsy (and) or truthy (or) operand, else the last
        return _bool_chain(isinstance(node.op, ast.And), parts)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            if isinstance(node.operand, ast.Name):  # `not has_reason`: a variable is never Tagged
                negated = node.operand.id
                return lambda context: not context[negated]
            operand = _compile(node.operand)
            if not _may_tag(node.operand):
                return lambda context: not operand(context)
            return lambda context: not _numeric(operand(context))
        signed = _numeric_part(node.operand)
        negate = isinstance(node.op, ast.USub)
        checked = not _unchecked(node.operand)
        source = ast.unparse(node)

        def sign(context: Mapping[str, Any]) -> Any:
            value = signed(context)
            if value is None:
                return None
            if checked and value.__class__ is not Decimal:
                raise _not_numbers(source, value)
            return -value if negate else +value

        return sign
    if isinstance(node, ast.BinOp):
        left_part, right_part = _numeric_part(node.left), _numeric_part(node.right)
        apply = _BINARY[type(node.op)]
        divides = isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod))
        check_left, check_right = not _unchecked(node.left), not _unchecked(node.right)
        source = ast.unparse(node)
        if isinstance(node.left, ast.Name) and isinstance(node.right, ast.Name):
            return _binary_of_variables(node.left.id, node.right.id, apply, divides, source)

        def binary(context: Mapping[str, Any]) -> Any:
            left, right = left_part(context), right_part(context)
            if left is None or right is None:
                return None
            # only Decimal may reach the operator: `%` on text formats, `*` repeats, and
            # bools make ints, whose powers the decimal context does not bound
            if (check_left and left.__class__ is not Decimal) or (check_right and right.__class__ is not Decimal):
                raise _not_numbers(source, left, right)
            if divides and right == 0:
                return None  # a ratio over nothing is not a number: the rule does not fire
            try:
                return apply(left, right)
            except decimal.DivisionByZero:
                return None  # 0 ** -n, a ratio over nothing too
            except decimal.DecimalException as error:
                raise ExpressionError(f"cannot compute {source}: {_reason(error)}") from None

        return binary
    if isinstance(node, ast.Compare):
        first = _numeric_part(node.left)
        operands = [node.left, *node.comparators]
        steps = [
            # (kind, test, compiled right operand, check the left, check the right)
            (type(op), _COMPARE.get(type(op)), _numeric_part(comparator),
             isinstance(op, _ORDERING) and not _unchecked(operands[position]),
             isinstance(op, _ORDERING) and not _unchecked(comparator))
            for position, (op, comparator) in enumerate(zip(node.ops, node.comparators))
        ]
        source = ast.unparse(node)
        only_test = steps[0][1] if len(steps) == 1 else None  # None for `is` / `is not`
        if len(steps) == 1 and only_test is None and _is_none(node.comparators[0]):
            # `x is None`, `x is not None`: the loop below, for one step
            is_none = steps[0][0] is ast.Is
            if isinstance(node.left, ast.Name):
                tested = node.left.id
                if is_none:
                    return lambda context: context[tested] is None
                return lambda context: context[tested] is not None
            if is_none:
                return lambda context: first(context) is None
            return lambda context: first(context) is not None
        if only_test is not None:
            # the usual shape, `a > b`, without the loop
            test, second, check_left, check_right = only_test, steps[0][2], steps[0][3], steps[0][4]
            special = _compare_operands(_operand(node.left), _operand(node.comparators[0]), test, check_left, check_right, source)
            if special is not None:
                return special

            def compare_one(context: Mapping[str, Any]) -> bool:
                left, right = first(context), second(context)
                if left is None or right is None:
                    return False
                if (check_left and left.__class__ is not Decimal) or (check_right and right.__class__ is not Decimal):
                    raise _not_numbers(source, left, right)
                return test(left, right)

            return compare_one

        def compare(context: Mapping[str, Any]) -> bool:
            left = first(context)
            for kind, step_test, part, check_left, check_right in steps:
                right = part(context)
                if step_test is None:  # `is None` / `is not None`
                    ok = left is None if kind is ast.Is else left is not None
                elif left is None or right is None:
                    return False
                else:
                    if (check_left and left.__class__ is not Decimal) or (check_right and right.__class__ is not Decimal):
                        raise _not_numbers(source, left, right)
                    ok = step_test(left, right)
                if not ok:
                    return False
                left = right
            return True

        return compare
    if isinstance(node, ast.IfExp):
        condition, body, orelse = _compile(node.test), _compile(node.body), _compile(node.orelse)
        return lambda context: body(context) if condition(context) else orelse(context)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):  # checked: only FUNCTIONS are called
        name = node.func.id
        function = FUNCTIONS[name]
        # the numbers: every argument but round()'s places and count()'s unit, both literals
        numbers = node.args[:1] if name in ("round", "count") else node.args
        arguments = [_numeric_part(arg) for arg in numbers] + [_compile(arg) for arg in node.args[len(numbers):]]
        check_arguments = [not _unchecked(arg) for arg in numbers]
        check_any = any(check_arguments)
        source = ast.unparse(node)
        if len(node.args) == 1:
            return _call_one(function, _operand(node.args[0]), check_arguments[0], source)
        if len(numbers) == 1 and len(node.args) == 2 and isinstance(node.args[1], ast.Constant):
            # count(x, '个'), round(x, 2): the second argument is a literal, checked at load
            return _call_one(function, _operand(node.args[0]), check_arguments[0], source, (_constant(node.args[1].value),))

        def call(context: Mapping[str, Any]) -> Any:
            values = [argument(context) for argument in arguments]
            if check_any:
                for value, check in zip(values, check_arguments):
                    if check and value is not None and value.__class__ is not Decimal:
                        raise _not_numbers(source, value)
            try:
                return function(*values)
            except decimal.DecimalException as error:
                raise ExpressionError(f"cannot compute {source}: {_reason(error)}") from None

        return call
    raise ExpressionError(f"{_describe(node)} is not allowed")  # unreachable after checking


Compiled = Callable[[Mapping[str, Any]], Any]


def _bool_chain(conjunction: bool, parts: list[Compiled]) -> Compiled:
    """``a and b and …`` / ``a or b or …`` of two or more compiled operands: two or three in
    one closure, more as ``a and b and (c and …)``, which yields the same operand."""
    if len(parts) > 3:
        parts = [*parts[:2], _bool_chain(conjunction, parts[2:])]
    if len(parts) == 2:
        first, second = parts
        if conjunction:
            return lambda context: first(context) and second(context)
        return lambda context: first(context) or second(context)
    first, second, third = parts
    if conjunction:
        return lambda context: first(context) and second(context) and third(context)
    return lambda context: first(context) or second(context) or third(context)


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _binary_of_variables(left_name: str, right_name: str, apply: Callable[[Any, Any], Any], divides: bool, source: str) -> Compiled:
    """``a - b`` of two variables: :func:`_compile`'s ``binary`` with both read in place
    (variables are checked to be numbers, as there)."""

    def binary_of_variables(context: Mapping[str, Any]) -> Any:
        left, right = context[left_name], context[right_name]
        if left is None or right is None:
            return None
        if left.__class__ is not Decimal or right.__class__ is not Decimal:
            raise _not_numbers(source, left, right)
        if divides and right == 0:
            return None
        try:
            return apply(left, right)
        except decimal.DivisionByZero:
            return None
        except decimal.DecimalException as error:
            raise ExpressionError(f"cannot compute {source}: {_reason(error)}") from None

    return binary_of_variables


def _compare_operands(left: tuple[int, Any], right: tuple[int, Any], test: Callable[[Any, Any], bool], check_left: bool, check_right: bool, source: str) -> Compiled | None:
    """``a > 0``, ``a > b``, ``abs(x) >= 0.01``: :func:`_compile`'s ``compare_one`` with a
    variable read in place and a literal (not None) held as its value; None for other shapes."""
    (left_kind, left_value), (right_kind, right_value) = left, right
    if right_kind == _LITERAL and right_value is not None and left_kind != _LITERAL:
        literal = right_value  # a literal operand is never checked: its kind is known at load
        if left_kind == _VARIABLE:
            name = left_value

            def variable_against_literal(context: Mapping[str, Any]) -> bool:
                value = context[name]
                if value is None:
                    return False
                if check_left and value.__class__ is not Decimal:
                    raise _not_numbers(source, value, literal)
                return test(value, literal)

            return variable_against_literal
        part = left_value

        def computed_against_literal(context: Mapping[str, Any]) -> bool:
            value = part(context)
            if value is None:
                return False
            if check_left and value.__class__ is not Decimal:
                raise _not_numbers(source, value, literal)
            return test(value, literal)

        return computed_against_literal
    if left_kind == _VARIABLE and right_kind == _VARIABLE:
        left_name, right_name = left_value, right_value

        def variables(context: Mapping[str, Any]) -> bool:
            first, second = context[left_name], context[right_name]
            if first is None or second is None:
                return False
            if (check_left and first.__class__ is not Decimal) or (check_right and second.__class__ is not Decimal):
                raise _not_numbers(source, first, second)
            return test(first, second)

        return variables
    return None


def _call_one(function: Callable[..., Any], argument: tuple[int, Any], check: bool, source: str, literals: tuple[Any, ...] = ()) -> Compiled:
    """A function of one number (``abs(x)``, ``percent(x)``, and ``count(x, '个')`` or
    ``round(x, 2)``, whose second argument is a literal): :func:`_compile`'s ``call`` without
    the argument list, a variable read in place."""
    kind, value = argument
    if kind == _LITERAL:
        literal = value
        part: Compiled = lambda context: literal
    elif kind == _VARIABLE:
        part = operator.itemgetter(value)
    else:
        part = value
    second = literals[0] if literals else None

    def call_one(context: Mapping[str, Any]) -> Any:
        value = part(context)
        if check and value is not None and value.__class__ is not Decimal:
            raise _not_numbers(source, value)
        try:
            return function(value, second) if literals else function(value)
        except decimal.DecimalException as error:
            raise ExpressionError(f"cannot compute {source}: {_reason(error)}") from None

    return call_one


def evaluate(text: str, context: Mapping[str, Any]) -> Any:
    """Check and evaluate one expression against ``context`` (its keys are the allowed names)."""
    return Expression(text, set(context)).evaluate(as_context(context))


def as_context(values: Mapping[str, Any]) -> dict[str, Any]:
    """A context for :meth:`Expression.evaluate`: ints and floats become Decimal."""
    return {name: _constant(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value for name, value in values.items()}
