"""Where a 自评表's parts are on a sheet: header cells found by their text, not by position.

Pure functions of a :class:`~perfscore.workbook.cells.Sheet`. A header's text is normalised
first (spaces and line breaks removed, full-width brackets folded, a trailing "(A)",
"(B/A)", "(50分)" or "（万元）" cut off) and then matched against the wording variants of
the four families of 自评表 that units hand in (docs/excel.md): the national annex to
财预〔2020〕10号, Sichuan's 部门预算项目支出绩效自评表, the Hubei (襄阳) / Yunnan form without a
分值 column, and the older 决策/管理/产出/效益 form. The anchor of the indicator block is its
三级指标 header; the budget block is found by its 全年预算数 (调整后预算数, 预算数) header. A
sheet without the anchor is not a 自评表, and :func:`headers_found` says what it did hold.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field

from perfscore.workbook.cells import Sheet

_FOLD = str.maketrans({"（": "(", "）": ")", "：": ":", "，": ",", "\u3000": "", "﹦": "="})
_SPACES = re.compile(r"\s+")
_TRAILING_BRACKETS = re.compile(r"(?:\([^()]*\))+$")
_POINTS = re.compile(r"\(\s*([0-9]+(?:\.[0-9]+)?)\s*分\s*\)")


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """A header's text without spaces, breaks and trailing brackets: "年度指标值\\n(A)" → "年度指标值"."""
    folded = _SPACES.sub("", text.translate(_FOLD))
    cut = _TRAILING_BRACKETS.sub("", folded)
    return cut or folded


def points_in(text: str) -> str | None:
    """The points a header or name carries in brackets, "产出指标(50分)" → "50"; None without."""
    match = _POINTS.search(text.translate(_FOLD))
    return match.group(1) if match else None


#: the indicator block's columns: role → the header texts (normalised) that name it
INDICATOR_HEADERS: dict[str, tuple[str, ...]] = {
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "name": ("三级指标", "三级指标名称", "指标名称"),
    "nature": ("指标性质", "指标方向", "比较方式"),
    "target": ("年度指标值", "指标值", "年初目标值", "年度目标值", "预期指标值", "目标值", "年度绩效指标值", "计划指标值"),
    "unit": ("度量单位", "计量单位", "单位"),
    "actual": ("实际完成值", "完成值", "全年实际值", "实际值", "全年完成值", "实际完成情况"),
    "weight": ("分值", "权重", "参考分值", "指标分值", "标准分值"),
    "score": ("得分", "自评得分", "评分", "实际得分"),
    "reason": ("偏差原因分析及改进措施", "未完成原因分析及改进措施", "未完成原因分析", "偏差原因分析", "偏差原因", "原因分析", "未完成原因", "原因"),
}
#: the budget block's columns
BUDGET_HEADERS: dict[str, tuple[str, ...]] = {
    "initial": ("年初预算数", "年初预算"),
    "budget": ("全年预算数", "调整后预算数", "调整后预算", "预算数", "全年预算"),
    "spending": ("全年执行数", "预算执行数", "执行数", "全年执行", "实际支出数", "实际执行数"),
    "weight": ("分值", "权重"),
    "rate": ("执行率", "预算执行率"),
    "score": ("得分",),
    "reason": ("原因", "偏差原因", "偏差原因分析", "未完成原因分析"),
}
#: the budget block's rows: fund source → the row labels (normalised, without "其中:")
FUND_ROWS: dict[str, tuple[str, ...]] = {
    "total": ("年度资金总额", "总额", "资金总额", "合计", "年度资金总额:"),
    "fiscal": ("当年财政拨款", "财政拨款", "财政资金", "其中:当年财政拨款"),
    "carry_over": ("上年结转资金", "上年结转"),
    "other": ("其他资金", "财政专户管理资金", "单位资金", "其他"),
}
#: words that end the indicator block (the 总分 row, notes, the Sichuan conclusion)
END_WORDS = ("总分", "合计", "得分合计", "注", "说明", "备注", "填表说明", "评价结论", "存在问题", "改进措施", "自评结论")
#: the labels of the heading cells
LABELS = {"project": ("项目名称",), "department": ("主管部门", "主管单位"), "unit": ("实施单位", "预算单位", "单位名称")}


def _role(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    key = normalise(text)
    for role, words in table.items():
        if key in words:
            return role
    return None


@dataclass
class IndicatorBlock:
    """The header row of the indicator block and the column of each role found in it."""

    header_row: int
    columns: dict[str, int] = field(default_factory=dict)
    #: the points the block's heading gives it, "绩效指标（90分）" / "年度绩效目标(80分)"
    points: str | None = None


@dataclass
class BudgetBlock:
    """The budget block: its header row, its columns, and the row of each fund source."""

    header_row: int
    columns: dict[str, int] = field(default_factory=dict)
    rows: dict[str, list[int]] = field(default_factory=dict)
    #: the points its heading gives it, "预算执行情况（10分）"
    points: str | None = None
    #: the money unit of its figures, from "（万元）" or "（元）" in a heading
    money_unit: str = "万元"


@dataclass
class Layout:
    """Where a 自评表's parts are on one sheet."""

    kind: str  # "project", "department", "notes", "empty", "other"
    indicators: IndicatorBlock | None = None
    budget: BudgetBlock | None = None
    labels: dict[str, tuple[int, int]] = field(default_factory=dict)
    title_year: tuple[int, int, int] | None = None  # (year, row, column)


_YEAR = re.compile(r"[（(]\s*([12][0-9]{3})\s*年度?\s*[)）]|([12][0-9]{3})\s*年度")


def find_layout(sheet: Sheet) -> Layout:
    """The parts of a 自评表 on ``sheet``, or what kind of other sheet it is."""
    if not any(value is not None for cells in sheet.rows for value in cells):
        return Layout("empty")
    indicators = _indicator_block(sheet)
    title = " ".join(sheet.text(row, column) for row in range(min(4, len(sheet.rows))) for column in range(sheet.width))
    if "填表说明" in title or "填报说明" in title:
        return Layout("notes")
    if "部门整体" in title or "整体支出" in title:
        return Layout("department", indicators)
    if indicators is None:
        return Layout("other")
    layout = Layout("project", indicators, _budget_block(sheet, indicators.header_row))
    layout.labels = _labels(sheet, indicators.header_row)
    layout.title_year = _year(sheet, indicators.header_row)
    return layout


def _indicator_block(sheet: Sheet) -> IndicatorBlock | None:
    for row in range(len(sheet.rows)):
        columns: dict[str, int] = {}
        for column in range(len(sheet.rows[row])):
            text = sheet.text(row, column)
            if text and normalise(text) in INDICATOR_HEADERS["name"] and "name" not in columns:
                columns["name"] = column
        if "name" not in columns:
            continue
        block = IndicatorBlock(row)
        for scan in (row, row - 1, row + 1):  # a heading may be split over two rows
            for column in range(sheet.width):
                text = sheet.text(scan, column)
                role = _role(text, INDICATOR_HEADERS) if text else None
                if role is not None and role not in block.columns and column not in block.columns.values():
                    block.columns[role] = column
        if "target" not in block.columns and "actual" not in block.columns:
            continue
        for scan in range(max(0, row - 2), row + 1):
            for column in range(sheet.width):
                points = points_in(sheet.text(scan, column))
                if points is not None and any(word in sheet.text(scan, column) for word in ("绩效指标", "绩效目标", "指标")):
                    block.points = points
        # a second header row (sub-headings under the split ones) is skipped by the reader
        if _role(sheet.text(row + 1, block.columns["name"]), INDICATOR_HEADERS) == "name":
            block.header_row = row + 1
        return block
    return None


def _budget_block(sheet: Sheet, before: int) -> BudgetBlock | None:
    for row in range(before):
        columns: dict[str, int] = {}
        for column in range(sheet.width):
            text = sheet.text(row, column)
            role = _role(text, BUDGET_HEADERS) if text else None
            if role is not None and role not in columns and column not in columns.values():
                columns[role] = column
        if "budget" not in columns or "spending" not in columns:
            continue
        block = BudgetBlock(row, columns)
        left = min(columns.values())
        for scan in range(max(0, row - 1), row + 1):
            for column in range(sheet.width):
                text = sheet.text(scan, column)
                if "元" in text and ("资金" in text or "预算" in text):
                    block.money_unit = "元" if "万元" not in text else "万元"
                points = points_in(text)
                if points is not None and ("预算" in text or "资金" in text):
                    block.points = points
        for data_row in range(row + 1, before):
            label = next((normalise(sheet.text(data_row, column)) for column in range(left) if _fund_label(sheet.text(data_row, column))), "")
            source = _fund_label(label) if label else None
            if source is None:
                if any(normalise(sheet.text(data_row, column)).startswith(("年度总体目标", "绩效指标", "年度绩效目标")) for column in range(sheet.width)):
                    break
                continue
            block.rows.setdefault(source, []).append(data_row)
        if not block.rows and sheet.value(row + 1, columns["budget"]) is not None:
            block.rows["total"] = [row + 1]  # the Hubei form: one unlabelled row under the heading
        return block
    return None


def _fund_label(text: str) -> str | None:
    key = normalise(text)
    if key.startswith("其中"):
        key = key.removeprefix("其中").lstrip(":")
    for source, words in FUND_ROWS.items():
        if key in words:
            return source
    return None


def _labels(sheet: Sheet, before: int) -> dict[str, tuple[int, int]]:
    """The cell holding each heading's value: the first cell right of its label that is not
    the label again (a merged label repeats across its range)."""
    found: dict[str, tuple[int, int]] = {}
    for row in range(before):
        for column in range(sheet.width):
            text = sheet.text(row, column)
            key = normalise(text).split(":", 1)[0]
            for name, words in LABELS.items():
                if name in found or key not in words:
                    continue
                if ":" in normalise(text) and normalise(text).split(":", 1)[1]:
                    found[name] = (row, column)  # "项目名称：…" in one cell
                    continue
                for right in range(column + 1, sheet.width):
                    value = sheet.text(row, right)
                    if not value or value == text:
                        continue
                    if _role(value, LABELS_FLAT) is None:
                        found[name] = (row, right)
                    break  # the next label: this one's value is empty
    return found


LABELS_FLAT = {name: words for name, words in LABELS.items()}


def _year(sheet: Sheet, before: int) -> tuple[int, int, int] | None:
    for row in range(before):
        for column in range(sheet.width):
            match = _YEAR.search(sheet.text(row, column))
            if match is not None:
                return int(match.group(1) or match.group(2)), row, column
    return None


def headers_found(sheet: Sheet, most: int = 8) -> list[str]:
    """The header-like texts of a sheet that is not a 自评表 (its first rows' short texts)."""
    seen: list[str] = []
    for row in range(min(len(sheet.rows), 6)):
        for column in range(sheet.width):
            text = sheet.text(row, column)
            if text and len(text) <= 20 and text not in seen:
                seen.append(text)
            if len(seen) >= most:
                return seen
    return seen


__all__ = ["BudgetBlock", "IndicatorBlock", "Layout", "END_WORDS", "find_layout", "headers_found", "normalise", "points_in"]
