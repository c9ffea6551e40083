"""Workbooks out (output stage): the ranked table as .xlsx, and a scored unit in the national layout.

:func:`table_xlsx` writes ``perfscore table --format xlsx``: the table sheet (frozen header
row, numbers as numbers with two decimals, column widths measured with wcwidth so that
Chinese text fits), a summary sheet with a bar chart of the grade distribution, and an
errors sheet. :func:`export_xlsx` writes ``perfscore export``: one sheet a project in the
layout of the 自评表 (:func:`perfscore.workbook.template.write_form`) with the unit's own
得分 beside the computed score and their difference, rows that differ shaded, and the
findings on a second sheet. Both return the file's bytes; the CLI writes them atomically.
Scores are rounded here as every table rounds them (two places, half up).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any, Sequence

from wcwidth import wcswidth

from perfscore.arithmetic import quantize
from perfscore.batch.table import TWO, Table
from perfscore.find import Evaluation
from perfscore.messages import message, pick, render_problem
from perfscore.models import FundLine
from perfscore.numbers import DASH
from perfscore.output.table import GRADE_COLUMNS, MACHINE_ONLY
from perfscore.workbook.template import Form, FormRow, write_form

_HEADER_FILL = "DDEBF7"


def _cell(value: Any) -> Any:
    """A table value as Excel holds it: a Decimal as a number rounded to 2 places."""
    if isinstance(value, Decimal):
        rounded = quantize(value, TWO)
        return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)
    return value


def _width(values: list[str]) -> float:
    """A column's width in Excel's character units: the widest text, a wide character counting 2."""
    widest = max((wcswidth(text) if not text.isascii() else len(text) for text in values if text), default=4)
    return min(max(widest, 4) + 2, 60)


def _save(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def table_xlsx(table: Table) -> bytes:
    """The ranked table, its summary with a grade chart, and its errors, as .xlsx bytes."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font, PatternFill

    lang = table.lang
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = message("workbook.sheet_table", lang)
    columns = [column for column in table.columns if column.key not in MACHINE_ONLY or column.key == "file"]
    grade_names: dict[Any, str] = {None: ""}
    for info in table.rulesets:
        for grade, name_en, _ in info.grades:
            grade_names[grade] = pick((grade, name_en), lang)
    sheet.append([column.header for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
    for row in table.rows:
        values = []
        for column in columns:
            value = row.get(column.key)
            if column.key in GRADE_COLUMNS:
                values.append(grade_names.get(value, value))
            else:
                values.append(_cell(value))
        sheet.append(values)
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(1, index).column_letter
        shown = [column.header] + [str(_cell(row.get(column.key))) for row in table.rows if row.get(column.key) is not None]
        sheet.column_dimensions[letter].width = _width(shown)
        if column.numeric:
            for cells in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                for cell in cells:
                    if isinstance(cell.value, float):
                        cell.number_format = "0.00"
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions
    # the summary and its chart
    summary = book.create_sheet(message("workbook.sheet_summary", lang))
    figures = table.summary
    summary.append([message("table.summary", lang), ""])
    summary.append([message("table.count", lang), figures["count"]])
    for key in ("mean", "median", "min", "max"):
        summary.append([message(f"table.{key}", lang), _cell(figures.get(key))])
    summary.append([])
    start = summary.max_row + 1
    summary.append([message("table.header_grade", lang), message("table.count", lang)])
    for grade, count in figures["grades"].items():
        summary.append([grade_names.get(grade, str(grade)), count])
    end = summary.max_row
    for row in summary.iter_rows(min_row=1, max_row=end):
        for cell in row:
            if isinstance(cell.value, float):
                cell.number_format = "0.00"
    summary["A1"].font = Font(bold=True)
    summary.column_dimensions["A"].width = 16
    summary.column_dimensions["B"].width = 12
    chart = BarChart()
    chart.type = "col"
    chart.title = message("workbook.chart_title", lang)
    chart.legend = None
    chart.add_data(Reference(summary, min_col=2, min_row=start, max_row=end), titles_from_data=True)
    chart.set_categories(Reference(summary, min_col=1, min_row=start + 1, max_row=end))
    summary.add_chart(chart, "D2")
    # the errors
    errors = book.create_sheet(message("workbook.sheet_errors", lang))
    errors.append([message("workbook.file", lang), message("workbook.problem", lang)])
    for failure in table.failures:
        for problem in failure.problems:
            errors.append([failure.file, render_problem(problem, lang)])
    for file, reasons in table.incomplete:
        for reason in reasons:
            errors.append([file, reason])
    errors.freeze_panes = "A2"
    errors.column_dimensions["A"].width = 40
    errors.column_dimensions["B"].width = 100
    return _save(book)


def export_xlsx(evaluation: Evaluation, lang: str) -> bytes:
    """A scored unit in the 自评表 layout, its own scores beside the computed ones, findings on a second sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    unit = evaluation.unit
    submission = unit.submission
    book = Workbook()
    first = True
    computed_header = message("workbook.export_computed", lang)
    difference_header = message("workbook.export_difference", lang)
    for number, project in enumerate(unit.projects, start=1):
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = f"项目{number}"
        data = project.project
        totals = [sum((line.budget for line in data.funds), Decimal(0)), _spent(data.funds)]
        funds: list[tuple[Any, Any, Any]] = [(None, totals[0], totals[1])]
        for source in ("fiscal", "carry_over", "other"):
            lines = [line for line in data.funds if line.source == source]
            funds.append((None, sum((line.budget for line in lines), Decimal(0)), _spent(lines)) if lines else (None, None, None))
        stated = data.self_scores
        own_budget = stated.budget if stated is not None else None
        own_total = stated.total if stated is not None else None
        rows = []
        for scored in project.indicators:
            row = scored.row
            own = row.self_score
            difference = None if own is None else quantize(own - scored.score, TWO)
            rows.append(
                FormRow(
                    level1=pick((unit.ruleset.levels[scored.definition.level1].name, unit.ruleset.levels[scored.definition.level1].name_en), lang) if scored.definition.level1 in unit.ruleset.levels else scored.definition.level1,
                    level2=_level2_name(unit.ruleset, scored.definition.level1, scored.definition.level2, lang),
                    name=row.name or pick((scored.definition.name, scored.definition.name_en), lang),
                    nature=_nature(row.comparison or scored.definition.comparison),
                    target=_cell(scored.target),
                    unit=row.unit or scored.definition.unit or None,
                    actual=_cell(scored.actual),
                    weight=_cell(scored.weight),
                    score=_cell(own) if own is not None else None,
                    reason=row.reason,
                    extra=(_cell(scored.score), _cell(difference) if difference is not None else None),
                    marked=difference is not None and difference != 0,
                )
            )
        budget_difference = None if own_budget is None or project.budget.score is None else quantize(own_budget - project.budget.score, TWO)
        total_difference = None if own_total is None or project.total is None else quantize(own_total - project.total, TWO)
        form = Form(
            year=submission.unit.year,
            project=data.name,
            department=submission.unit.name,
            unit=submission.unit.name,
            funds=funds,
            budget_weight=_cell(project.budget.weight),
            budget_rate=float(quantize(project.budget.spending / project.budget.budget, 4)) if project.budget.budget else None,
            budget_score=_cell(own_budget) if own_budget is not None else None,
            budget_extra=(_cell(project.budget.score), _cell(budget_difference) if budget_difference is not None else None),
            budget_marked=budget_difference is not None and budget_difference != 0,
            rows=rows,
            total_score=_cell(own_total) if own_total is not None else None,
            total_extra=(_cell(project.total), _cell(total_difference) if total_difference is not None else None),
            extra_headers=(computed_header, difference_header),
            notes=[message("workbook.export_legend", lang)],
        )
        write_form(sheet, form)
    findings = book.create_sheet(message("workbook.export_findings", lang))
    findings.append([message("workbook.severity", lang), message("workbook.project", lang), message("workbook.finding", lang), message("workbook.problem", lang)])
    for cell in findings[1]:
        cell.font = Font(bold=True)
    severities = {"info": "ℹ", "warning": "⚠", "problem": "✖"}
    for finding in evaluation.findings:
        findings.append([f"{severities.get(finding.severity, '')} {message(f'severity.{finding.severity}', lang)}", finding.project or DASH, pick((finding.title.zh, finding.title.en), lang), pick((finding.problem.zh, finding.problem.en), lang)])
    if not evaluation.findings:
        findings.append([message("workbook.no_findings", lang)])
    findings.freeze_panes = "A2"
    for letter, width in (("A", 12), ("B", 24), ("C", 40), ("D", 100)):
        findings.column_dimensions[letter].width = width
    return _save(book)


def _level2_name(ruleset: Any, level1: str, level2: str, lang: str) -> str:
    level = ruleset.levels.get(level1)
    if level is None or level2 not in level.level2:
        return level2
    entry = level.level2[level2]
    return str(pick((entry.name, entry.name_en), lang))


def _nature(comparison: str | None) -> str | None:
    return {">=": "≥", "<=": "≤", "=": "="}.get(comparison or "")


__all__ = ["export_xlsx", "table_xlsx"]


def _spent(lines: Sequence[FundLine]) -> Decimal | None:
    """The lines' spending added up; None (a blank cell) when one of them is unknown."""
    if any(line.spending is None for line in lines):
        return None
    return sum((line.spending for line in lines if line.spending is not None), Decimal(0))
