"""The batch table's formats: text grid, GitHub grid, Markdown, CSV and JSON (output stage).

``perfscore table`` flows :mod:`perfscore.batch.run` → :mod:`perfscore.batch.table` → this
module, which turns a ranked :class:`~perfscore.batch.table.Table` into text and nothing
else: cells through :mod:`perfscore.numbers`, words through the message catalogue
(``messages/table.toml``). Writing the text to a file or stdout is :mod:`perfscore.cli`'s.
The grid is drawn here (:func:`draw_grid`), the characters tabulate draws, at a fraction of
its cost for a province's table.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, Protocol

from tabulate import tabulate as render_table
from wcwidth import wcswidth

from perfscore.arithmetic import quantize
from perfscore.batch.run import RulesetInfo
from perfscore.batch.table import TWO, Column, Table, ruleset_label
from perfscore.messages import message, pick, render_problem
from perfscore.numbers import DASH, table_cell, whole


class Writable(Protocol):
    """Where a table is written a piece at a time: a text file, ``io.StringIO``, an atomic writer."""

    def write(self, text: str, /) -> int: ...


#: the ``format`` field of a table's JSON
TABLE_FORMAT = "perfscore-table/1"
#: the formats :func:`render` writes (``perfscore table --format``)
FORMATS = ("table", "github", "csv", "json", "markdown")
#: columns only machine formats (csv, json) carry: they would make a terminal table too wide
MACHINE_ONLY = {"unit_id", "project_id", "missing_ids", "file"}
#: columns holding a grade, written with the grade's name in the table's language
GRADE_COLUMNS = ("grade", "previous_grade")


def _heading(table: Table) -> list[str]:
    lang = table.lang
    title = message("table.title", lang)
    by = message(f"table.by_{table.by}", lang)
    lines = [f"{title} · {by} · {message('table.rows', lang)} {whole(len(table.rows))} · {message('table.files', lang)} {whole(table.files)}"]
    for info in table.rulesets:
        name = pick((info.name, info.name_en), lang)
        lines.append(f"{message('table.ruleset', lang)}: {info.id} {info.version} · {name} · {message('table.fingerprint', lang)} {info.fingerprint}")
    lines.append(f"{message('table.year', lang)}: {', '.join(whole(year) for year in table.years) or DASH}")
    if table.previous is not None:
        rules = "; ".join(f"{rid} {version} ({fingerprint[:12]})" for rid, version, fingerprint in table.previous["rulesets"])
        years = ", ".join(whole(year) for year in table.previous["years"])
        lines.append(f"{message('table.compared', lang)}: {years or DASH} · {message('table.ruleset', lang)} {rules or DASH}")
    return lines


def _grade_names(table: Table) -> dict[Any, str]:
    """How grades are printed: 优/良/中/差 in Chinese, the ruleset's English names in English."""
    names: dict[Any, str] = {None: DASH}
    for info in table.rulesets:
        for grade, name_en, _ in info.grades:
            names[grade] = pick((grade, name_en), table.lang)
    return names


def _summary_lines(table: Table) -> list[str]:
    lang, summary = table.lang, table.summary
    grade_names = _grade_names(table)
    grades = " · ".join(f"{grade_names.get(grade, grade)} {whole(count)}" for grade, count in summary["grades"].items())
    stats = " · ".join(f"{message(f'table.{key}', lang)} {table_cell(summary[key])}" for key in ("mean", "median", "min", "max"))
    return [f"{message('table.count', lang)} {whole(summary['count'])} · {grades}", stats]


def _error_lines(table: Table) -> list[str]:
    """The errors section, in the table's language (the JSON keeps the English it was raised with)."""
    lines = []
    for failure in table.failures:
        for problem in failure.problems:
            lines.append(f"- {render_problem(problem, table.lang)}")
    return lines


def draw_grid(rows: list[list[str]], headers: list[str], alignment: list[str], tablefmt: str) -> str:
    """The grid tabulate draws for text cells in its "simple" or "github" format, drawn here.

    tabulate measures and type-checks every cell several times; for a province's table of
    10,000 rows that was a fifteenth of the whole batch (docs/performance.md). This draws
    the same characters (tests/test_table_properties.py compares the two) measuring each
    cell once, with len() for printable ASCII and wcwidth, as tabulate does, otherwise.
    A table with a line break or an escape sequence in any cell or header is left to
    tabulate itself.
    """
    if any("\n" in value or "\r" in value or "\x1b" in value for row in (headers, *rows) for value in row):
        return str(render_table(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True, colalign=alignment))
    columns = [[value.strip() for value in column] for column in zip(*rows)]  # tabulate strips cells, not headers
    drawn = []
    for column, header, align in zip(columns, headers, alignment):
        joined = "".join(column)
        if joined.isascii() and joined.isprintable():  # numbers, dates, ids: the usual column
            width = max(max(map(len, column)), _display_width(header) + 2)
            cells = [value.rjust(width) for value in column] if align == "right" else [value.ljust(width) for value in column]
        else:
            measured = [_display_width(value) for value in column]
            width = max(max(measured), _display_width(header) + 2)
            cells = [_pad(value, w, width, align) for value, w in zip(column, measured)]
        drawn.append((_pad(header, _display_width(header), width, align), width, cells))
    header_cells = [head for head, _, _ in drawn]
    widths = [width for _, width, _ in drawn]
    body = zip(*[cells for _, _, cells in drawn])
    if tablefmt == "github":
        lines = ["| " + " | ".join(header_cells) + " |", "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in body]
    else:
        lines = ["  ".join(header_cells).rstrip(), "  ".join("-" * width for width in widths).rstrip()]
        lines += ["  ".join(row).rstrip() for row in body]
    return "\n".join(lines)


def write_grid(out: Writable, rows: Callable[[], Iterable[list[str]]], headers: list[str], alignment: list[str], tablefmt: str) -> None:
    """:func:`draw_grid`'s lines written to ``out``, each with its newline, without holding the grid.

    ``rows`` is called twice: once to measure the columns, once to draw them, so that a
    table of a million rows costs its widths in memory, not its text. The same characters
    as :func:`draw_grid` (a test compares them); a cell with a line break or an escape
    sequence sends the table to tabulate, whole, as there.
    """
    widths = [_display_width(header) + 2 for header in headers]
    for row in rows():
        for index, value in enumerate(row):
            if "\n" in value or "\r" in value or "\x1b" in value:
                out.write(draw_grid([list(row) for row in rows()], headers, alignment, tablefmt) + "\n")
                return
            width = _display_width(value.strip())
            if width > widths[index]:
                widths[index] = width
    if any("\n" in header or "\r" in header or "\x1b" in header for header in headers):
        out.write(draw_grid([list(row) for row in rows()], headers, alignment, tablefmt) + "\n")
        return
    header_cells = [_pad(header, _display_width(header), width, align) for header, width, align in zip(headers, widths, alignment)]
    github = tablefmt == "github"
    if github:
        out.write("| " + " | ".join(header_cells) + " |\n" + "|" + "|".join("-" * (width + 2) for width in widths) + "|\n")
    else:
        out.write("  ".join(header_cells).rstrip() + "\n" + "  ".join("-" * width for width in widths).rstrip() + "\n")
    shape = list(zip(widths, alignment))
    for row in rows():
        cells = []
        for value, (width, align) in zip(row, shape):
            value = value.strip()
            if value.isascii() and value.isprintable():
                cells.append(value.rjust(width) if align == "right" else value.ljust(width))
            else:
                cells.append(_pad(value, _display_width(value), width, align))
        out.write("| " + " | ".join(cells) + " |\n" if github else "  ".join(cells).rstrip() + "\n")


def _pad(value: str, measured_width: int, width: int, align: str) -> str:
    padding = " " * (width - measured_width)
    return padding + value if align == "right" else value + padding


#: the wide characters of Chinese text: CJK punctuation (not its combining marks 〪–〯), the
#: unified ideographs and the full-width forms, each two columns wide as wcwidth counts them
_WIDE = "\u3000-\u3029\u3030-\u303e\u4e00-\u9fff\uff01-\uff60"
#: printable ASCII, the dash of an empty cell and the middle dot: one column each
_ASCII_OR_WIDE = re.compile(f"[\\x20-\\x7e\u00b7\u2014{_WIDE}]*")
_WIDE_CHARACTER = re.compile(f"[{_WIDE}]")


def _display_width(value: str) -> int:
    """Columns a text takes in a terminal, as tabulate counts them (wcwidth for wide characters).

    Unit names, grades and headers are printable ASCII and Chinese: counted here without
    calling wcwidth once per character, which took most of the drawing of a province's
    table (tests/test_table_properties.py compares with wcwidth)."""
    if value.isascii() and value.isprintable():
        return len(value)
    if _ASCII_OR_WIDE.fullmatch(value):
        return len(value) + len(_WIDE_CHARACTER.findall(value))
    return wcswidth(value)


def render(table: Table, fmt: str) -> str:
    """The table in ``fmt`` (one of :data:`FORMATS`), ending with a newline."""
    buffer = io.StringIO()
    write_table(table, fmt, buffer)
    return buffer.getvalue()


def write_table(table: Table, fmt: str, out: Writable) -> None:
    """Write the table in ``fmt`` to ``out`` a line at a time (the same text as :func:`render`).

    A province's table is written without its text ever being whole in memory: the rows'
    cells are made as they are written (twice for the grid, whose widths need every row).
    """
    if fmt == "json":
        write_json(table, out)
        return
    if fmt == "csv":
        write_csv(table, out)
        return
    columns = [column for column in table.columns if column.key not in MACHINE_ONLY]
    grade_names = _grade_names(table)

    def body() -> Iterator[list[str]]:
        for row in table.rows:
            yield [grade_names.get(row.get(column.key), DASH) if column.key in GRADE_COLUMNS else table_cell(row.get(column.key)) for column in columns]

    alignment = ["right" if column.numeric else "left" for column in columns]
    tablefmt = {"table": "simple", "github": "github", "markdown": "github"}[fmt]
    lang = table.lang
    markdown = fmt == "markdown"
    heading = _heading(table)
    summary = message("table.summary", lang)
    out_lines: list[str] = []
    if markdown:
        out_lines += [f"# {heading[0]}", ""] + [f"- {line}" for line in heading[1:]]
    else:
        out_lines += heading
    out_lines += [""]
    out.write("\n".join(out_lines) + "\n")
    if table.rows:
        write_grid(out, body, [column.header for column in columns], alignment, tablefmt)
    else:
        out.write(message("table.none", lang) + "\n")
    out_lines = [""]
    out_lines += [f"## {summary}", ""] if markdown else [summary]
    out_lines += [f"- {line}" for line in _summary_lines(table)] if markdown else _summary_lines(table)
    for note in table.notes:
        out_lines += ["", f"> {note}" if markdown else note]
    if table.incomplete:
        incomplete = message("table.incomplete", lang)
        out_lines += ["", f"## {incomplete}" if markdown else f"{incomplete}:"]
        out_lines += [f"- {file}: {'; '.join(reasons)}" for file, reasons in table.incomplete]
    if table.failures:
        title = message("table.errors_count", lang, count=whole(len(table.failures)))
        out_lines += ["", f"## {title}" if markdown else f"{title}:"]
        out_lines += _error_lines(table)
    out.write("\n".join(out_lines) + "\n")


def render_csv(table: Table) -> str:
    """Rows only, one header line, every column; the ruleset and fingerprint on each row;
    an absent value is an empty cell."""
    buffer = io.StringIO()
    write_csv(table, buffer)
    return buffer.getvalue()


def write_csv(table: Table, out: Writable) -> None:
    """:func:`render_csv` written to ``out`` a row at a time."""
    write_csv_rows(out, table.lang, table.columns, table.rulesets, table.rows)


def write_csv_rows(out: Writable, lang: str, columns: list[Column], rulesets: list[RulesetInfo], rows: Iterable[Any]) -> None:
    """The CSV of ``rows`` (mappings by column key), read once: a streamed table's too."""
    writer = csv.writer(out, lineterminator="\n")
    extra = [] if any(column.key == "ruleset" for column in columns) else [message("table.header_ruleset", lang)]
    writer.writerow([column.header for column in columns] + extra + [message("table.fingerprint", lang)])
    single = rulesets[0] if len(rulesets) == 1 else None
    tail = ([ruleset_label(single) if single else ""] if extra else []) + [single.fingerprint if single else ""]
    keys = [column.key for column in columns]
    for row in rows:
        # an empty cell stays empty (not —), so that Excel reads a numeric column as numbers
        values = ["" if (value := row.get(key)) is None else table_cell(value) for key in keys]
        writer.writerow(values + tail)


def _json_value(value: Any) -> Any:
    """A cell as JSON holds it: a Decimal as a number rounded to 2 places, anything else as is."""
    if isinstance(value, Decimal):
        return float(quantize(value, TWO))
    return value


def render_json(table: Table) -> str:
    """The whole table as ``perfscore-table/1`` JSON (docs/table.md)."""
    buffer = io.StringIO()
    write_json(table, buffer)
    return buffer.getvalue()


#: stands for the rows while the rest of the JSON is dumped; \0 never occurs in a table's text
_ROWS_MARK = "\0rows\0"


def write_json(table: Table, out: Writable) -> None:
    """:func:`render_json`'s text written to ``out`` a row at a time.

    The document is dumped with one marker for the rows, then written with each row dumped
    alone and indented as ``json.dumps`` indents it inside the whole (a test compares them).
    """
    previous = table.previous
    data = {
        "format": TABLE_FORMAT,
        "by": table.by,
        "rulesets": [{"id": info.id, "name": info.name, "version": info.version, "fingerprint": info.fingerprint} for info in table.rulesets],
        "years": table.years,
        "previous": previous and {"years": previous["years"], "rulesets": [{"id": rid, "version": version, "fingerprint": fingerprint} for rid, version, fingerprint in previous["rulesets"]]},
        "mixed": table.mixed,
        "files": table.files,
        "columns": [{"key": column.key, "header": column.header} for column in table.columns],
        "rows": [_ROWS_MARK] if table.rows else [],
        "summary": {key: (_json_value(value) if key != "grades" else value) for key, value in table.summary.items()},
        "notes": table.notes,
        "incomplete": [{"file": file, "failures": list(reasons)} for file, reasons in table.incomplete],
        "errors": [{"file": failure.file, "problems": [problem.render() for problem in failure.problems]} for failure in table.failures],
    }
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if not table.rows:
        out.write(text)
        return
    before, after = text.split("    " + json.dumps(_ROWS_MARK), 1)
    out.write(before)
    keys = [column.key for column in table.columns]
    first = True
    for row in table.rows:
        item = json.dumps({key: _json_value(row.get(key)) for key in keys}, ensure_ascii=False, indent=2)
        out.write(("    " if first else ",\n    ") + item.replace("\n", "\n    "))
        first = False
    out.write(after)


__all__ = ["FORMATS", "MACHINE_ONLY", "TABLE_FORMAT", "Writable", "draw_grid", "render", "render_csv", "render_json", "write_csv", "write_csv_rows", "write_grid", "write_json", "write_table"]
