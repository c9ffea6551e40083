"""Where a 自评表's parts are on a sheet: header cells found by their text, not by position.

Functions of a :class:`~perfscore.workbook.cells.Sheet` (the layout found for a project sheet
is kept by the shape of its heading rows, for the next sheet of that shape: the end of
this module). A header's text is normalised first (spaces and line breaks removed,
full-width brackets folded, a trailing "(A)",
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


def _reverse(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """A table of role → words as word → role, the first role naming a word winning (as the
    tables are read in order)."""
    found: dict[str, str] = {}
    for role, words in table.items():
        for word in words:
            found.setdefault(word, role)
    return found


_INDICATOR_ROLES = _reverse(INDICATOR_HEADERS)
_BUDGET_ROLES = _reverse(BUDGET_HEADERS)
_FUND_SOURCES = _reverse(FUND_ROWS)
_LABEL_ROLES = _reverse(LABELS)
_NAME_WORDS = frozenset(INDICATOR_HEADERS["name"])


class _Grid:
    """A sheet's texts and, made once a row when first asked for, their normalised form and
    the row's text run together without spaces: finding the layout reads the rows above the
    indicators several times, and a row that lacks a header's characters is passed over
    without normalising its cells (normalising only removes spaces and folds brackets, so a
    word in a normalised cell is in the row's run-together text too)."""

    __slots__ = ("texts", "height", "width", "_normalised", "_joined", "found_at", "read_values")

    def __init__(self, sheet: Sheet):
        self.texts = sheet.texts
        self.height = len(self.texts)
        self.width = sheet.width
        self._normalised: dict[int, list[str]] = {}
        self._joined: dict[int, str] = {}
        #: the row whose 三级指标 heading anchors the indicator block (None: not found)
        self.found_at: int | None = None
        #: whether a cell's value (not only its text) was read: the layout is then not kept
        self.read_values = False

    def joined(self, row: int) -> str:
        """The row's texts run together, spaces removed ("" outside the sheet)."""
        text = self._joined.get(row)
        if text is None:
            text = _SPACES.sub("", "".join(self.texts[row])) if 0 <= row < self.height else ""
            self._joined[row] = text
        return text

    def normalised(self, row: int) -> list[str]:
        """The row's texts normalised ("" for an empty cell); [] outside the sheet."""
        keys = self._normalised.get(row)
        if keys is None:
            keys = [normalise(text) if text else "" for text in self.texts[row]] if 0 <= row < self.height else []
            self._normalised[row] = keys
        return keys


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
    """The parts of a 自评表 on ``sheet``, or what kind of other sheet it is. A project
    sheet's layout may be one found before for a sheet of the same shape (:class:`_Shape`):
    it is shared, not to be changed."""
    texts = sheet.texts
    for shape in _SHAPES:
        if shape.fits(texts, sheet.width):
            return shape.layout
    grid = _Grid(sheet)
    layout = _find_layout(sheet, grid)
    if layout.kind == "project" and grid.found_at is not None and not grid.read_values:
        if len(_SHAPES) >= _SHAPES_KEPT:
            _SHAPES.pop()  # the least recently found
        _SHAPES.insert(0, _Shape(texts, sheet.width, grid.found_at, layout))
    return layout


def _find_layout(sheet: Sheet, grid: _Grid) -> Layout:
    if all(cells.count(None) == len(cells) for cells in sheet.rows):
        return Layout("empty")
    indicators = _indicator_block(grid)
    title = " ".join(text for cells in grid.texts[:4] for text in cells)
    if "填表说明" in title or "填报说明" in title:
        return Layout("notes")
    if "部门整体" in title or "整体支出" in title:
        return Layout("department", indicators)
    if indicators is None:
        return Layout("other")
    layout = Layout("project", indicators, _budget_block(sheet, grid, indicators.header_row))
    layout.labels = _labels(grid, indicators.header_row)
    layout.title_year = _year(grid, indicators.header_row)
    return layout


def _indicator_block(grid: _Grid) -> IndicatorBlock | None:
    for row in range(grid.height):
        if "标" not in grid.joined(row) or _NAME_WORDS.isdisjoint(grid.normalised(row)):
            continue  # every 三级指标 heading has 标
        block = IndicatorBlock(row)
        for scan in (row, row - 1, row + 1):  # a heading may be split over two rows
            for column, key in enumerate(grid.normalised(scan)):
                role = _INDICATOR_ROLES.get(key)
                if role is not None and role not in block.columns and column not in block.columns.values():
                    block.columns[role] = column
        if "target" not in block.columns and "actual" not in block.columns:
            continue
        for scan in range(max(0, row - 2), row + 1):
            for text in grid.texts[scan]:
                points = points_in(text) if "分" in text else None  # no 分, no points: the pattern is not tried
                if points is not None and any(word in text for word in ("绩效指标", "绩效目标", "指标")):
                    block.points = points
        # a second header row (sub-headings under the split ones) is skipped by the reader
        below = grid.normalised(row + 1)
        if below and _INDICATOR_ROLES.get(below[block.columns["name"]]) == "name":
            block.header_row = row + 1
        grid.found_at = row
        return block
    return None


def _budget_block(sheet: Sheet, grid: _Grid, before: int) -> BudgetBlock | None:
    texts = grid.texts
    for row in range(before):
        joined = grid.joined(row)
        if "预算" not in joined or ("执行" not in joined and "支出" not in joined):
            continue  # every budget heading has 预算 and every spending heading 执行 or 支出
        columns: dict[str, int] = {}
        for column, key in enumerate(grid.normalised(row)):
            role = _BUDGET_ROLES.get(key)
            if role is not None and role not in columns and column not in columns.values():
                columns[role] = column
        if "budget" not in columns or "spending" not in columns:
            continue
        block = BudgetBlock(row, columns)
        left = min(columns.values())
        for scan in range(max(0, row - 1), row + 1):
            for text in texts[scan]:
                if "元" in text and ("资金" in text or "预算" in text):
                    block.money_unit = "元" if "万元" not in text else "万元"
                points = points_in(text) if "分" in text else None
                if points is not None and ("预算" in text or "资金" in text):
                    block.points = points
        for data_row in range(row + 1, before):
            cells = texts[data_row]
            label = next((normalise(cells[column]) for column in range(left) if cells[column] and _fund_label(cells[column])), "")
            source = _fund_label(label) if label else None
            if source is None:
                if any(key.startswith(("年度总体目标", "绩效指标", "年度绩效目标")) for key in grid.normalised(data_row)):
                    break
                continue
            block.rows.setdefault(source, []).append(data_row)
        if not block.rows:
            grid.read_values = True
        if not block.rows and sheet.value(row + 1, columns["budget"]) is not None:
            block.rows["total"] = [row + 1]  # the Hubei form: one unlabelled row under the heading
        return block
    return None


def _fund_label(text: str) -> str | None:
    key = normalise(text)
    if key.startswith("其中"):
        key = key.removeprefix("其中").lstrip(":")
    return _FUND_SOURCES.get(key) if key else None


def _labels(grid: _Grid, before: int) -> dict[str, tuple[int, int]]:
    """The cell holding each heading's value: the first cell right of its label that is not
    the label again (a merged label repeats across its range)."""
    found: dict[str, tuple[int, int]] = {}
    width = grid.width
    for row in range(before):
        joined = grid.joined(row)
        if "名称" not in joined and "部门" not in joined and "单位" not in joined:
            continue  # every label has one of these
        texts = grid.texts[row]
        for column, whole in enumerate(grid.normalised(row)):
            key, colon, rest = whole.partition(":")
            name = _LABEL_ROLES.get(key)
            if name is None or name in found:
                continue
            if rest:
                found[name] = (row, column)  # "项目名称：…" in one cell
                continue
            text = texts[column]
            for right in range(column + 1, width):
                value = texts[right]
                if not value or value == text:
                    continue
                if normalise(value) not in _LABEL_ROLES:
                    found[name] = (row, right)
                break  # the next label: this one's value is empty
    return found


def _year(grid: _Grid, before: int) -> tuple[int, int, int] | None:
    for row in range(before):
        if "年" not in grid.joined(row):
            continue
        for column, text in enumerate(grid.texts[row]):
            match = _YEAR.search(text) if text else None
            if match is not None:
                return int(match.group(1) or match.group(2)), row, column
    return None


# ---------------------------------------------------------------- layouts kept by shape
#
# The workbooks of a folder are mostly filled in from one template: their heading rows are
# the same but for the unit's own values (its name, its figures, its goals). What
# :func:`_find_layout` makes of a sheet depends only on the texts of its rows up to the one
# under the 三级指标 heading (and on the first four, the title), and of those only on the
# texts that could be a heading, a label or a marker (:func:`_telling`), and on which cells
# are empty: every other test it makes on a row's text is a quick pass-over of a row that
# cannot hold a heading (each heading word holds the characters tested). So a sheet whose
# rows there are the same, but for cells that are, in both, non-empty and telling nothing,
# has the same layout: it is used again rather than looked for.

#: the telling words: every heading, label and fund-row word, normalised
_TELLING_WORDS = frozenset(_INDICATOR_ROLES) | frozenset(_BUDGET_ROLES) | frozenset(_LABEL_ROLES) | frozenset(_FUND_SOURCES)
_TELLING_CHARACTERS = ("分", "元", "年", "填表说明", "填报说明", "部门整体", "整体支出")
_TELLING_STARTS = ("年度总体目标", "绩效指标", "年度绩效目标")


@lru_cache(maxsize=4096)
def _telling(text: str) -> bool:
    """Whether :func:`_find_layout` could read anything in ``text`` (not empty) beyond its
    being there: a heading, label or fund word, a label with its value ("项目名称：…"), the
    start of the goals or indicators, points (分), a money unit (元), a year (年), or a
    word that makes the sheet notes or a 部门整体 table."""
    if any(word in text for word in _TELLING_CHARACTERS):
        return True
    key = normalise(text)
    return key in _TELLING_WORDS or key.startswith(_TELLING_STARTS) or key.partition(":")[0] in _LABEL_ROLES or _fund_label(text) is not None


class _Shape:
    """A project sheet's layout with the rows it was found from (see above)."""

    __slots__ = ("texts", "width", "height", "layout")

    def __init__(self, texts: list[list[str]], width: int, found_at: int, layout: Layout):
        span = max(found_at + 2, 4)  # the rows read: to the one under the heading; the title's four
        self.texts = [list(cells) for cells in texts[:span]]
        self.width = width
        #: a sheet shorter than the rows read must be as short (its missing rows were read as empty)
        self.height = len(texts) if len(texts) < span else None
        self.layout = layout

    def fits(self, texts: list[list[str]], width: int) -> bool:
        """Whether a sheet with these texts has this layout."""
        if width != self.width or (len(texts) != self.height if self.height is not None else len(texts) < len(self.texts)):
            return False
        for kept, cells in zip(self.texts, texts):
            if kept == cells:
                continue
            for old, new in zip(kept, cells):
                if old != new and (not old or not new or _telling(old) or _telling(new)):
                    return False
        return True


_SHAPES: list[_Shape] = []
_SHAPES_KEPT = 8


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
