"""Text cells of a submission read into what the schema holds: "≥90人" → target 90, ≥, 人.

Part of the load stage, run on the raw TOML before the schema (:mod:`.submissions`). A row's
``target`` or ``actual`` may be text as a 自评表 prints it; :func:`perfscore.values.parse_value`
reads it, and this module puts the parts where the schema wants them: the figure in
``target``/``actual`` (the text kept in ``target_text``/``actual_text``), the comparator in
``comparison``, the unit in ``unit``, a qualifier in ``qualifier``. A comparison written as a
symbol (≥, ＝, ﹦) is read the same way. Text that disagrees with what the row says elsewhere
is a located problem, never a guess.

Choices (docs/values.md): > and < score as ≥ and ≤ (a table's strictness is not a scoring
rule); a range ("90%-95%") is a target at its lower bound; a qualitative text, a date, or a
qualitative actual against a numeric target makes the row qualitative, described by the
actual's text, as published tables score statements; a not-applicable mark makes the row
not applicable.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perfscore.errors import Problem, fill
from perfscore.values import (
    MONEY_UNITS,
    Comparator,
    DateValue,
    NotApplicable,
    Number,
    Qualitative,
    ValueTextError,
    parse_value,
)

#: how a comparator reads as a scoring comparison
_COMPARISONS = {
    Comparator.AT_LEAST: ">=",
    Comparator.MORE_THAN: ">=",
    Comparator.AT_MOST: "<=",
    Comparator.LESS_THAN: "<=",
    Comparator.EQUAL: "=",
}
#: a comparison as tables print it (指标性质 column) → the schema's
COMPARISON_WORDS = {
    **{symbol: comparison for symbol, comparison in ((">=", ">="), ("<=", "<="), ("=", "="), ("qualitative", "qualitative"))},
    "≥": ">=", "＞": ">=", ">": ">=", "≧": ">=", "大于等于": ">=", "不低于": ">=", "不少于": ">=",
    "≤": "<=", "＜": "<=", "<": "<=", "≦": "<=", "小于等于": "<=", "不高于": "<=", "不超过": "<=",
    "＝": "=", "﹦": "=", "==": "=", "等于": "=",
    "定性": "qualitative",
}


def origin_of(table: Any, key: str) -> str | None:
    """The cell a value came from, when its table carries ``origins`` (written by import)."""
    if isinstance(table, dict):
        origins = table.get("origins")
        if isinstance(origins, dict):
            cell = origins.get(key)
            return cell if isinstance(cell, str) else None
    return None


def located(where: str, table: Any, key: str) -> str:
    """A key path, with the cell it came from when known: ``projects[0].indicators[2].target (项目1!D12)``."""
    return cell_path(where, key, table.get("origins") if isinstance(table, dict) else None)


def cell_path(where: str, key: str, origins: Any) -> str:
    """``where.key``, followed by the cell ``origins`` names for ``key``, if any."""
    path = f"{where}.{key}"
    cell = origins.get(key) if isinstance(origins, dict) else None
    return f"{path} ({cell})" if isinstance(cell, str) and cell else path


def read_text_cells(raw: dict[str, Any], file: str) -> list[Problem]:
    """Read every text target and actual (and symbol comparison) of ``raw`` in place; the
    problems found, each at its key path. Rows that are not tables are the schema's to report."""
    projects = raw.get("projects")
    if type(projects) is not list:
        return []
    problems: list[Problem] = []
    for p_index, project in enumerate(projects):
        rows = project.get("indicators") if type(project) is dict else None
        if type(rows) is not list:
            continue
        for r_index, row in enumerate(rows):
            if type(row) is dict and (type(row.get("target")) is str or type(row.get("actual")) is str or type(row.get("comparison")) is str):
                problems += _read_row(row, f"projects[{p_index}].indicators[{r_index}]", file)
    return problems


def _read_row(row: dict[str, Any], where: str, file: str) -> list[Problem]:
    problems: list[Problem] = []
    comparison = row.get("comparison")
    if type(comparison) is str and comparison not in (">=", "<=", "=", "qualitative"):
        read = COMPARISON_WORDS.get(comparison.strip())
        if read is None:
            return [Problem(f"comparison {comparison!r} is not one this reads", file, located(where, row, "comparison"), "≥, ≤, =, qualitative (or >=, <=, 定性)", key="comparison_unread", expected_key="expected_comparison", fields=fill(comparison=repr(comparison)))]
        row["comparison"] = read
    values: dict[str, object] = {}
    for key in ("target", "actual"):
        text = row.get(key)
        if type(text) is not str:
            continue
        try:
            values[key] = parse_value(text)
        except ValueTextError as error:
            problems.append(error.located(file, located(where, row, key)).problems[0])
            del row[key]  # reported here: the schema would only repeat it
            continue
        row[f"{key}_text"] = text
        del row[key]
    if problems:
        return problems
    target, actual = values.get("target"), values.get("actual")
    if isinstance(target, NotApplicable) or isinstance(actual, NotApplicable):
        row["not_applicable"] = True
        return []
    qualitative = any(isinstance(value, (Qualitative, DateValue)) for value in (target, actual))
    if qualitative:
        return _qualitative(row)
    if isinstance(target, Number):
        problems += _number(row, "target", target, where, file)
    if isinstance(actual, Number):
        problems += _number(row, "actual", actual, where, file)
    return problems


def _qualitative(row: dict[str, Any]) -> list[Problem]:
    """A row with a statement, a date or a qualitative actual: scored by tier or statement."""
    row["comparison"] = "qualitative"
    for key in ("target", "actual"):
        row.pop(key, None)  # a figure beside a statement is kept as text only
    statement = row.get("actual_text") or row.get("target_text")
    if statement and not str(row.get("description") or "").strip():
        row["description"] = statement
    return []


def _number(row: dict[str, Any], key: str, value: Number, where: str, file: str) -> list[Problem]:
    problems: list[Problem] = []
    figure = value.number
    if value.unit:
        written = row.get("unit")
        if written is None or written == value.unit:
            row["unit"] = value.unit
        elif isinstance(written, str) and written in MONEY_UNITS and value.unit in MONEY_UNITS:
            figure = figure * MONEY_UNITS[value.unit] / MONEY_UNITS[written]  # exact: powers of ten
        else:
            problems.append(Problem(f"the text says {value.unit!r} and the row's unit is {written!r}", file, located(where, row, key), f"a figure in {written!r}, or no unit key", key="text_unit_differs", expected_key="expected_figure_in_unit", fields=fill(said=repr(value.unit), written=repr(written))))
    if key == "target" and value.comparator is not None:
        comparison = _COMPARISONS[value.comparator]
        written = row.get("comparison")
        if written is None:
            row["comparison"] = comparison
        elif written != comparison:
            problems.append(Problem(f"the text says {value.comparator.value} and the row's comparison is {written!r}", file, located(where, row, key), f"a target whose comparator agrees with comparison = {written!r}", key="text_comparison_differs", expected_key="expected_agreeing_comparator", fields=fill(said=value.comparator.value, written=repr(written))))
    if key == "actual" and value.qualifier is not None and row.get("qualifier") is None:
        row["qualifier"] = value.qualifier.value
    elif key == "actual" and value.comparator in (Comparator.AT_LEAST, Comparator.MORE_THAN) and row.get("qualifier") is None:
        row["qualifier"] = "以上"
    row[key] = figure.normalize() if figure != figure.to_integral_value() else Decimal(int(figure))
    return problems
