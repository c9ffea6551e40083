"""The national 自评表 layout written with openpyxl: the blank template, and the sheet export fills.

:func:`write_form` draws one project sheet in the layout of the annex to 财预〔2020〕10号, with
the 指标性质 and 度量单位 columns (family 1 of docs/excel.md, so :mod:`.convert` reads it
back), from a :class:`Form` of plain values; ``perfscore export`` (:mod:`perfscore.output.excel`)
fills it with a scored unit and extra columns. :func:`template` makes the blank workbook a
unit fills: ``--projects`` project sheets, drop-downs for the 一级/二级 categories of a
ruleset and for the comparators (lists on a hidden sheet, which the importer passes over),
and a 填表说明 sheet. A text starting with "=" (a target "=100%") is written as text, never
as a formula.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from perfscore.messages import message, pick
from perfscore.models import Ruleset

#: the indicator block's headers, in order (columns B onwards; A holds 绩效指标)
HEADERS = ("一级指标", "二级指标", "三级指标", "指标性质", "年度指标值", "度量单位", "实际完成值", "分值", "得分", "偏差原因分析及改进措施")
COMPARATORS = ("≥", "≤", "=", ">", "<")
_FUND_LABELS = ("年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金")
_LAST_COLUMN = 1 + len(HEADERS)  # K
#: the first row of the indicator block's rows (the header is the row above)
FIRST_ROW = 13


@dataclass
class FormRow:
    level1: Any = None
    level2: Any = None
    name: Any = None
    nature: Any = None
    target: Any = None
    unit: Any = None
    actual: Any = None
    weight: Any = None
    score: Any = None
    reason: Any = None
    #: values of the extra columns (export: the computed score, the difference)
    extra: tuple[Any, ...] = ()
    #: shade the row (export: the unit's score differs from the computed one)
    marked: bool = False


@dataclass
class Form:
    year: int | None = None
    project: str = ""
    department: str = ""
    unit: str = ""
    #: the four fund rows (total, fiscal, carry-over, other): (年初预算数, 全年预算数, 全年执行数)
    funds: list[tuple[Any, Any, Any]] = field(default_factory=lambda: [(None, None, None)] * 4)
    budget_weight: Any = None
    budget_rate: Any = None
    budget_score: Any = None
    budget_extra: tuple[Any, ...] = ()
    budget_marked: bool = False
    goal: str = ""
    achieved: str = ""
    rows: list[FormRow] = field(default_factory=list)
    total_score: Any = None
    total_extra: tuple[Any, ...] = ()
    extra_headers: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def _put(ws: Any, row: int, column: int, value: Any, number_format: str | None = None) -> Any:
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # "=100%" is a target, not a formula
    if number_format is not None:
        cell.number_format = number_format
    return cell


def write_form(ws: Any, form: Form) -> tuple[int, int]:
    """Draw one project sheet; returns the first and last rows of its indicator rows."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    last = _LAST_COLUMN + len(form.extra_headers)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    mark = PatternFill("solid", fgColor="FFF2CC")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    _put(ws, 1, 1, "项目支出绩效自评表").font = Font(bold=True, size=14)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last)
    _put(ws, 2, 1, f"（{form.year}年度）" if form.year else "（    年度）")
    for cell in (ws.cell(1, 1), ws.cell(2, 1)):
        cell.alignment = Alignment(horizontal="center")
    _put(ws, 3, 1, "项目名称")
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=2)
    _put(ws, 3, 3, form.project)
    ws.merge_cells(start_row=3, start_column=3, end_row=3, end_column=last)
    _put(ws, 4, 1, "主管部门")
    ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=2)
    _put(ws, 4, 3, form.department)
    ws.merge_cells(start_row=4, start_column=3, end_row=4, end_column=5)
    _put(ws, 4, 6, "实施单位")
    _put(ws, 4, 7, form.unit)
    ws.merge_cells(start_row=4, start_column=7, end_row=4, end_column=last)
    # the budget block
    _put(ws, 5, 1, "项目资金（万元）")
    ws.merge_cells(start_row=5, start_column=1, end_row=9, end_column=1)
    for offset, text in enumerate(("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", *form.extra_headers)):
        _put(ws, 5, 3 + offset, text).font = Font(bold=True)
    for offset, (label, (initial, budget, spending)) in enumerate(zip(_FUND_LABELS, form.funds)):
        _put(ws, 6 + offset, 2, label)
        for column, value in ((3, initial), (4, budget), (5, spending)):
            if value is not None:
                _put(ws, 6 + offset, column, value, "0.00")
    if form.budget_weight is not None:
        _put(ws, 6, 6, form.budget_weight)
    if form.budget_rate is not None:
        _put(ws, 6, 7, form.budget_rate, "0.00%")
    if form.budget_score is not None:
        _put(ws, 6, 8, form.budget_score, "0.00")
    for offset, value in enumerate(form.budget_extra):
        if value is not None:
            cell = _put(ws, 6, 9 + offset, value, "0.00")
            if form.budget_marked:
                cell.fill = mark
    # the overall goal
    _put(ws, 10, 1, "年度总体目标")
    ws.merge_cells(start_row=10, start_column=1, end_row=11, end_column=1)
    _put(ws, 10, 2, "预期目标")
    ws.merge_cells(start_row=10, start_column=2, end_row=10, end_column=6)
    _put(ws, 10, 7, "实际完成情况")
    ws.merge_cells(start_row=10, start_column=7, end_row=10, end_column=_LAST_COLUMN)
    _put(ws, 11, 2, form.goal)
    ws.merge_cells(start_row=11, start_column=2, end_row=11, end_column=6)
    _put(ws, 11, 7, form.achieved)
    ws.merge_cells(start_row=11, start_column=7, end_row=11, end_column=_LAST_COLUMN)
    # the indicator block
    header = FIRST_ROW - 1
    _put(ws, header, 1, "绩效指标")
    for offset, text in enumerate((*HEADERS, *form.extra_headers)):
        cell = _put(ws, header, 2 + offset, text)
        cell.font = Font(bold=True)
    row = FIRST_ROW
    for line in form.rows:
        values = (line.level1, line.level2, line.name, line.nature, line.target, line.unit, line.actual, line.weight, line.score, line.reason, *line.extra)
        for offset, value in enumerate(values):
            if value is not None:
                cell = _put(ws, row, 2 + offset, value)
                if line.marked:
                    cell.fill = mark
        row += 1
    last_row = row - 1
    if last_row >= header:
        ws.merge_cells(start_row=header, start_column=1, end_row=max(last_row, header), end_column=1)
    _put(ws, row, 1, "总分")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=8)
    _put(ws, row, 9, 100)
    if form.total_score is not None:
        _put(ws, row, 10, form.total_score, "0.00")
    for offset, value in enumerate(form.total_extra):
        if value is not None:
            _put(ws, row, 12 + offset, value, "0.00")
    for line_row in range(1, row + 1):
        for column in range(1, last + 1):
            cell = ws.cell(line_row, column)
            cell.border = box
            if line_row > 2:
                cell.alignment = wrap
    for offset, note in enumerate(form.notes):
        _put(ws, row + 2 + offset, 1, note)
    widths = {1: 10, 2: 12, 3: 14, 4: 24, 5: 8, 6: 14, 7: 8, 8: 14, 9: 8, 10: 8, 11: 30}
    for column, width in widths.items():
        ws.column_dimensions[_letter(column)].width = width
    for offset in range(len(form.extra_headers)):
        ws.column_dimensions[_letter(12 + offset)].width = 12
    ws.freeze_panes = f"A{FIRST_ROW}"
    return FIRST_ROW, last_row


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(column))


def template(ruleset: Ruleset, projects: int = 1, rows: int = 12, lang: str = "zh") -> bytes:
    """The blank 自评表 workbook: ``projects`` project sheets, drop-downs, notes; as .xlsx bytes."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    lists = book.active
    assert lists is not None
    lists.title = "lists"
    levels = [ruleset.levels[level] for level in ruleset.indicator_levels]
    level1 = [level.name for level in levels]
    level2 = [sub.name for level in levels for sub in level.level2.values()]
    for index, name in enumerate(level1, start=1):
        lists.cell(index, 1, name)
    for index, name in enumerate(level2, start=1):
        lists.cell(index, 2, name)
    for index, symbol in enumerate(COMPARATORS, start=1):
        _put(lists, index, 3, symbol)
    lists.sheet_state = "hidden"
    weights = ruleset.weights
    notes = [message(f"workbook.note_{n}", lang) for n in range(1, 7)]
    shown = "，".join(f"{pick((ruleset.levels[key].name, ruleset.levels[key].name_en), lang) if key in ruleset.levels else key} {value}" for key, value in weights.items())
    notes.append(message("workbook.note_weights", lang, ruleset=ruleset.ruleset.id, weights=shown))
    for number in range(1, projects + 1):
        ws = book.create_sheet(f"项目{number}")
        form = Form(budget_weight=weights.get("budget"), rows=[FormRow() for _ in range(rows)], notes=["注：" + notes[4]])
        first, last = write_form(ws, form)
        for column, source in ((2, f"lists!$A$1:$A${max(1, len(level1))}"), (3, f"lists!$B$1:$B${max(1, len(level2))}"), (5, f"lists!$C$1:$C${len(COMPARATORS)}")):
            validation = DataValidation(type="list", formula1=source, allow_blank=True)
            ws.add_data_validation(validation)
            validation.add(f"{_letter(column)}{first}:{_letter(column)}{last}")
    instructions = book.create_sheet(message("workbook.notes_title", lang))
    instructions.cell(1, 1, message("workbook.notes_title", lang))
    for index, note in enumerate(notes, start=2):
        instructions.cell(index, 1, f"{index - 1}. {note}")
    instructions.column_dimensions["A"].width = 100
    book.move_sheet(lists, offset=len(book.sheetnames))
    book.active = 0
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


__all__ = ["COMPARATORS", "FIRST_ROW", "HEADERS", "Form", "FormRow", "template", "write_form"]
