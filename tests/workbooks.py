"""Workbooks built in code for the workbook tests: the 自评表 families and their variants.

Each builder writes a real .xlsx with openpyxl, cell by cell as a unit's office software
would, so that the importer is tested on files and not on a model of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet


@dataclass
class Row:
    level1: str
    level2: str
    name: str
    target: Any
    actual: Any
    weight: Any = None
    score: Any = None
    reason: str | None = None
    nature: str | None = None
    unit: str | None = None


@dataclass
class ProjectSheet:
    title: str = "项目1"
    project: str = "学前教育资助项目"
    department: str = "区教育局"
    unit: str = "区第一幼儿园"
    year: int = 2023
    initial: Any = 100
    budget: Any = 120
    spending: Any = 110
    fiscal: tuple[Any, Any, Any] | None = None  # (initial, budget, spending) on the 其中 row
    budget_weight: Any = 10
    budget_score: Any = 9.17
    rows: list[Row] = field(default_factory=list)
    total_score: Any = None
    # variants
    merged: bool = True
    two_line_headers: bool = False
    level1_points: bool = False
    nature_and_unit: bool = False
    score_column: bool = True
    notes: bool = True
    blank_rows: bool = False
    template_rows: bool = False
    percent_cells: tuple[str, ...] = ()


def default_rows() -> list[Row]:
    return [
        Row("产出指标", "数量指标", "资助幼儿人数", "≥90人", "99人", 20, 20),
        Row("产出指标", "数量指标", "资助标准", "=1500元/人", "1500元/人", 10, 10),
        Row("产出指标", "质量指标", "资助对象认定准确率", "≥95%", "96%", 10, 10),
        Row("产出指标", "时效指标", "资金发放及时率", "=100%", "100%", 10, 10),
        Row("效益指标", "社会效益指标", "家庭经济负担减轻", "有效减轻", "有效减轻", 30, 30),
        Row("满意度指标", "服务对象满意度指标", "受助家庭满意度", "≥90%", "95%", 10, 10),
    ]


def put(ws: Worksheet, row: int, column: int, value: Any) -> None:
    """Write a value; a text starting with "=" ("=100%") stays text, as Excel keeps it when typed with '."""
    cell = ws.cell(row, column, value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def write_national(ws: Worksheet, spec: ProjectSheet) -> None:
    """The national annex layout (财预〔2020〕10号) with the variants ``spec`` asks for."""
    header_break = "\n" if spec.two_line_headers else ""
    ws["A1"] = "项目支出绩效自评表"
    ws.merge_cells("A1:I1")
    ws["A2"] = f"（{spec.year}年度）"
    ws.merge_cells("A2:I2")
    ws["A3"], ws["C3"] = "项目名称", spec.project
    ws.merge_cells("A3:B3")
    ws.merge_cells("C3:I3")
    ws["A4"], ws["C4"], ws["E4"], ws["G4"] = "主管部门", spec.department, "实施单位", spec.unit
    ws.merge_cells("A4:B4")
    ws["A5"] = "项目资金（万元）"
    ws.merge_cells("A5:A9")
    for column, text in zip("CDEFGH", ("年初预算数", f"全年{header_break}预算数", "全年执行数", "分值", "执行率", "得分")):
        ws[f"{column}5"] = text
    ws["B6"], ws["B7"], ws["B8"], ws["B9"] = "年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金"
    if spec.fiscal is None:
        ws["C6"], ws["D6"], ws["E6"] = spec.initial, spec.budget, spec.spending
    else:
        ws["C6"], ws["D6"], ws["E6"] = 0, 0, 0
        ws["C7"], ws["D7"], ws["E7"] = spec.fiscal
    ws["F6"], ws["H6"] = spec.budget_weight, spec.budget_score
    ws["A10"], ws["B10"], ws["F10"] = "年度总体目标", "预期目标", "实际完成情况"
    ws["B11"], ws["F11"] = "资助幼儿不少于90人", "资助幼儿99人"
    ws.merge_cells("B11:E11")
    ws.merge_cells("F11:I11")
    headers = ["一级指标", "二级指标", "三级指标"]
    if spec.nature_and_unit:
        headers += ["指标性质"]
    headers += [f"年度{header_break}指标值"]
    if spec.nature_and_unit:
        headers += ["度量单位"]
    headers += [f"实际{header_break}完成值", "分值"]
    if spec.score_column:
        headers += ["得分"]
    headers += [f"偏差原因分析{header_break}及改进措施"]
    start = 12
    ws.cell(start, 1, "绩效指标")
    for offset, text in enumerate(headers):
        ws.cell(start, 2 + offset, text)
    row = start + 1
    groups: dict[tuple[str, str], list[int]] = {}
    level1_rows: dict[str, list[int]] = {}
    sums: dict[str, float] = {}
    for r in spec.rows:
        sums[r.level1] = sums.get(r.level1, 0) + float(r.weight or 0)
    for index, r in enumerate(spec.rows):
        if spec.blank_rows and index == 2:
            row += 1  # a blank row inside the table
        level1 = f"{r.level1}({sums[r.level1]:g}分)" if spec.level1_points else r.level1
        values: list[Any] = [level1, r.level2, r.name]
        if spec.nature_and_unit:
            values.append(r.nature)
        values.append(r.target)
        if spec.nature_and_unit:
            values.append(r.unit)
        values += [r.actual, r.weight]
        if spec.score_column:
            values.append(r.score)
        values.append(r.reason)
        for offset, value in enumerate(values):
            if spec.merged and offset < 2 and level1_rows.get(r.level1) and offset == 0:
                continue
            if spec.merged and offset == 1 and groups.get((r.level1, r.level2)):
                continue
            if value is not None:
                put(ws, row, 2 + offset, value)
        level1_rows.setdefault(r.level1, []).append(row)
        groups.setdefault((r.level1, r.level2), []).append(row)
        row += 1
    if spec.template_rows:
        for n in (1, 2):
            ws.cell(row, 2, "产出指标")
            ws.cell(row, 3, "数量指标")
            ws.cell(row, 4, f"指标{n}")
            row += 1
    if spec.merged:
        for rows in level1_rows.values():
            if len(rows) > 1 and rows[-1] - rows[0] == len(rows) - 1:
                ws.merge_cells(start_row=rows[0], start_column=2, end_row=rows[-1], end_column=2)
        for rows in groups.values():
            if len(rows) > 1 and rows[-1] - rows[0] == len(rows) - 1:
                ws.merge_cells(start_row=rows[0], start_column=3, end_row=rows[-1], end_column=3)
    ws.merge_cells(start_row=start, start_column=1, end_row=row - 1, end_column=1)
    ws.cell(row, 1, "总分")
    weight_column = headers.index("分值") + 2
    ws.cell(row, weight_column, 100)
    if spec.score_column and spec.total_score is not None:
        ws.cell(row, weight_column + 1, spec.total_score)
    if spec.notes:
        ws.cell(row + 2, 1, "注：1.得分一档最高不能超过该指标分值上限。")
        ws.cell(row + 3, 1, "2.定性指标根据指标完成情况分为三档。")
    for address in spec.percent_cells:
        ws[address].number_format = "0%"


def national_workbook(path: Path, *specs: ProjectSheet, extra: dict[str, list[list[Any]]] | None = None) -> Path:
    """A workbook of national-layout project sheets, then the ``extra`` sheets (name → rows)."""
    book = openpyxl.Workbook()
    first = True
    for spec in specs:
        ws = book.active if first else book.create_sheet()
        assert ws is not None
        ws.title = spec.title
        first = False
        write_national(ws, spec)
    for name, rows in (extra or {}).items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path
