"""A 自评表 sheet → the raw dict of a ``perfscore-submission/2`` project, every value with its cell.

The importer proper, a pure function of the cell grid (:class:`~perfscore.workbook.cells.Sheet`)
and its :class:`~perfscore.workbook.layout.Layout`, so that it is tested without files. It
reads the heading (项目名称, 主管部门, 实施单位, （YYYY年度）), the budget block (one fund line a
其中 row that holds money, else the 年度资金总额 row; 分值 and 得分 from the total row) and the
indicator block: free rows with 一级/二级 as printed (merged cells carried down, "(50分)" cut
off), 三级 as written, target and actual as the cell text (a comparator from 指标性质 and a
unit from 度量单位 joined to a bare number, a %-formatted 0.95 written "95%"), 分值 as
``weight`` (or a "(10分)" in the name as ``full_score`` where there is no 分值 column), 得分 as
``self_score`` and the reason. Blank rows, template rows (指标1, ……), "—" or "/" in a score
cell and the notes under the 总分 row are passed over. Texts stay texts: the load stage
parses them (perfscore.values), and each key's cell goes in ``origins`` so that its errors
and findings name the cell. A value cell whose formula has no value is an error naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from decimal import Decimal
from typing import Any

from perfscore.arithmetic import HUNDRED, ZERO
from perfscore.errors import InputError, Problem, fill
from perfscore.values import COMPARATOR_WORDS, Comparator, Number, NotApplicable, ValueTextError, format_value, parse_value
from perfscore.workbook.cells import CellValue, Sheet
from perfscore.workbook.layout import END_WORDS, Layout, find_layout, headers_found, normalise, points_in

#: the format every importer writes
FORMAT = "perfscore-submission/2"

#: level-1 names of the 自评表 → the level ids of the shipped rulesets (for level1_weights only)
LEVEL_IDS = {"产出指标": "output", "产出": "output", "效益指标": "benefit", "效益": "benefit", "满意度指标": "satisfaction", "满意度": "satisfaction"}
_NATURE_WORDS = {"正向": Comparator.AT_LEAST, "正向指标": Comparator.AT_LEAST, "反向": Comparator.AT_MOST, "反向指标": Comparator.AT_MOST}
_TEMPLATE_ROW = re.compile(r"^(?:指标[0-9０-９一二三四五六七八九十]*|…+|\.{3,}|。{3,})$")
_BARE_NUMBER = re.compile(r"^[0-9０-９][0-9０-９,，]*(?:[.．][0-9０-９]+)?$")
_NAME_COMPARATOR = re.compile(r"[（(]\s*(?P<comparator>" + "|".join(re.escape(word) for word in sorted(COMPARATOR_WORDS, key=len, reverse=True)) + r")\s*[*＊xX×]+\s*(?P<unit>[^()（）]{0,8})[)）]")
_POINTS_TEXT = re.compile(r"[（(]\s*[0-9]+(?:\.[0-9]+)?\s*分\s*[)）]")
_DIGIT = re.compile(r"[0-9０-９]")
_SPACES = re.compile(r"\s+")
_OPEN_RANGE = re.compile(r"(以上|以下|以内)$")
_FUND_KEYS = ("initial_budget", "budget", "spending")
_FUND_COLUMNS = {"initial_budget": "initial", "budget": "budget", "spending": "spending"}


@dataclass
class SheetResult:
    """What one sheet was: a project (with its heading) or something else, named."""

    sheet: str
    kind: str  # project, department, empty, other
    project: dict[str, Any] | None = None
    unit_name: str | None = None
    department: str | None = None
    year: int | None = None
    money_unit: str = "万元"
    headers: list[str] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)


def convert_sheet(sheet: Sheet, file: str) -> SheetResult:
    """One sheet read: a project sheet's project dict and heading, or what else it is."""
    layout = find_layout(sheet)
    if layout.kind != "project":
        return SheetResult(sheet.name, layout.kind, headers=headers_found(sheet) if layout.kind == "other" else [])
    return _Reader(sheet, layout, file).result()


class _Reader:
    def __init__(self, sheet: Sheet, layout: Layout, file: str):
        self.sheet = sheet
        self.layout = layout
        self.file = file

    # -- cells

    def _check(self, row: int, column: int) -> None:
        position = self.sheet.anchors.get((row, column), (row, column))
        reason = self.sheet.flagged.get(position)
        if reason is not None:
            raise InputError(Problem(f"no value: {reason}", self.file, self.sheet.address(row, column), "a value, or a formula whose value was saved (open and save the workbook in Excel or LibreOffice)", key="cell_no_value", expected_key="expected_saved_value", fields=fill(reason=reason)))

    def _cell(self, row: int, column: int) -> CellValue:
        """A value cell's content, after refusing a cell whose formula left no usable value."""
        if self.sheet.flagged:
            self._check(row, column)
        return self.sheet.value(row, column)

    def _number(self, row: int, column: int | None, what: str) -> Decimal | None:
        """A figure cell (money, a weight, a score): a number, or a text that is one; None when empty or marked "/"."""
        if column is None:
            return None
        value = self._cell(row, column)
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            parsed = parse_value(value.replace("分", "") if value.endswith("分") else value)
        except ValueTextError as error:
            raise error.located(self.file, self.sheet.address(row, column)) from None
        if isinstance(parsed, NotApplicable):
            return None
        if isinstance(parsed, Number) and parsed.comparator is None and parsed.upper is None and parsed.unit in ("", "万元", "元"):
            return parsed.number
        raise InputError(Problem(f"{what} {value!r} is not a number", self.file, self.sheet.address(row, column), f"a number for the {what}", key="cell_not_number", expected_key="expected_number_for", fields=fill(what=what, value=repr(value))))

    def _value(self, row: int, column: int | None, comparator: Comparator | None, unit: str) -> Decimal | str | None:
        """A target or actual: a number, or the text as printed, with the row's comparator and unit joined."""
        if column is None:
            return None
        value = self._cell(row, column)
        if value is None:
            return None
        if isinstance(value, Decimal):
            if self.sheet.is_percent(self.sheet.anchors.get((row, column), (row, column))):
                value, unit = (value * HUNDRED).normalize(), "%"
                value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value
            if comparator is None and not unit:
                return value
            try:
                return format_value(Number(value, unit, comparator))
            except ValueError:  # a negative figure or a unit values does not know: as printed
                return format_value(Number(abs(value), "", comparator)) + unit if value >= 0 else str(value)
        text = value.strip()
        if unit and _BARE_NUMBER.match(text):
            text += unit
        if comparator is not None and _DIGIT.search(text) and not _starts_with_comparator(text):
            text = comparator.value + text
        return text

    # -- the parts

    def result(self) -> SheetResult:
        sheet, layout = self.sheet, self.layout
        origins: dict[str, str] = {}
        heading: dict[str, str] = {}
        for name, (row, column) in layout.labels.items():
            text = sheet.text(row, column)
            if ":" in normalise(text) and normalise(text).split(":", 1)[0] in ("项目名称", "主管部门", "主管单位", "实施单位", "预算单位", "单位名称"):
                text = re.split(r"[:：]", text, maxsplit=1)[1].strip()
            heading[name] = text
            origins[name] = sheet.address(row, column)
        project: dict[str, Any] = {"id": "", "name": heading.get("project") or sheet.name}
        project_origins = {"name": origins["project"]} if "project" in origins else {}
        money_unit = layout.budget.money_unit if layout.budget is not None else "万元"
        funds, budget_weight, budget_score = self._funds()
        project["funds"] = funds
        indicators, total_score, level_sums, more_budget = self._indicators()
        if more_budget is not None:  # the 决策/管理 form: 预算执行率 as an indicator row
            budget_weight = budget_weight if budget_weight is not None else more_budget[0]
            budget_score = budget_score if budget_score is not None else more_budget[1]
        self_scores = {key: value for key, value in (("budget", budget_score), ("total", total_score)) if value is not None}
        if self_scores:
            project["self_scores"] = self_scores
        weights = _level1_weights(budget_weight, level_sums)
        if weights is not None:
            project["level1_weights"] = weights
        project["indicators"] = indicators
        if project_origins:
            project["origins"] = project_origins
        year = layout.title_year
        return SheetResult(
            sheet.name,
            "project",
            project,
            unit_name=heading.get("unit") or None,
            department=heading.get("department") or None,
            year=year[0] if year else None,
            money_unit=money_unit,
            origins={**origins, **({"year": sheet.address(year[1], year[2])} if year else {})},
        )

    def _funds(self) -> tuple[list[dict[str, Any]], Decimal | None, Decimal | None]:
        block = self.layout.budget
        if block is None:
            raise InputError(Problem("no budget block: no header 全年预算数 (调整后预算数, 预算数) with 全年执行数 (执行数) above the indicators", self.file, self.sheet.name, "the 项目资金 block of the 自评表 (docs/excel.md)", key="no_budget_block", expected_key="expected_budget_block"))
        columns = block.columns
        lines: list[dict[str, Any]] = []
        for source in ("fiscal", "carry_over", "other"):
            for row in block.rows.get(source, []):
                line = self._fund_line(row, source)
                if line is not None:
                    lines.append(line)
        total_rows = block.rows.get("total", [])
        if not lines and total_rows:
            line = self._fund_line(total_rows[0], "unspecified")
            if line is not None:
                lines.append(line)
        if not lines:
            raise InputError(Problem("no budget figures: the 年度资金总额 row and its 其中 rows are empty", self.file, self.sheet.address(block.header_row, columns["budget"]), "the 全年预算数 of the project", key="no_budget_figures", expected_key="expected_project_budget"))
        weight = score = None
        if total_rows:
            weight = self._number(total_rows[0], columns.get("weight"), "budget weight (分值)")
            score = self._number(total_rows[0], columns.get("score"), "budget score (得分)")
            reason_column = columns.get("reason")
            if reason_column is not None and "reason" not in lines[0]:
                reason = self.sheet.text(total_rows[0], reason_column)
                if reason and reason not in ("/", "—", "-"):
                    lines[0]["reason"] = reason
                    lines[0].setdefault("origins", {})["reason"] = self.sheet.address(total_rows[0], reason_column)
        if weight is None and block.points is not None:
            weight = Decimal(block.points)
        return lines, weight, score

    def _fund_line(self, row: int, source: str) -> dict[str, Any] | None:
        columns = self.layout.budget.columns if self.layout.budget is not None else {}
        line: dict[str, Any] = {"source": source}
        origins: dict[str, str] = {}
        for key in _FUND_KEYS:
            column = columns.get(_FUND_COLUMNS[key])
            value = self._number(row, column, "amount")
            if value is not None and column is not None:
                line[key] = value
                origins[key] = self.sheet.address(row, column)
        if not any(line.get(key) for key in ("budget", "spending", "initial_budget")):
            return None  # an empty (or all-zero) 其中 row: no fund line
        if "budget" not in line:
            raise InputError(Problem("a fund row with spending but no 全年预算数", self.file, self.sheet.address(row, columns["budget"]), "the row's budget", key="fund_row_no_budget", expected_key="expected_row_budget"))
        if "spending" not in line:
            line["spending_unknown"] = True
        line["origins"] = origins
        return line

    def _indicators(self) -> tuple[list[dict[str, Any]], Decimal | None, dict[str, Decimal] | None, tuple[Decimal | None, Decimal | None] | None]:
        """The rows, the 总分 row's score, the weight of each level-1 (None unless every row
        has one) and the 预算执行率 row's weight and score where the budget is scored as a row."""
        block = self.layout.indicators
        assert block is not None
        sheet, columns = self.sheet, block.columns
        rows: list[dict[str, Any]] = []
        level1 = level2 = ""
        total_score: Decimal | None = None
        sums: dict[str, Decimal] | None = {}
        budget_row: tuple[Decimal | None, Decimal | None] | None = None
        name_column = columns["name"]
        level1_column, level2_column = columns.get("level1"), columns.get("level2")
        texts = sheet.texts
        for row in range(block.header_row + 1, len(sheet.rows)):
            cells = texts[row]
            first = next((text for text in cells if text), "")
            if not first:
                continue  # a blank row
            if normalise(first).startswith(END_WORDS):
                if normalise(first).startswith(("总分", "合计", "得分合计")):
                    total_score = self._number(row, columns.get("score"), "total score (总分)")
                break
            name = cells[name_column]
            level1 = _without_points(cells[level1_column]) if level1_column is not None and cells[level1_column] else level1
            level2 = _without_points(cells[level2_column]) if level2_column is not None and cells[level2_column] else level2
            if not name or (_TEMPLATE_ROW.match(name) and all(sheet.value(row, columns[key]) is None for key in ("target", "actual") if key in columns)):
                continue  # a row with no 三级 name, or an empty template row (指标1, ……)
            if normalise(name).startswith("预算执行") or normalise(level1).startswith("预算执行"):
                budget_row = (self._number(row, columns.get("weight"), "weight (分值)"), self._number(row, columns.get("score"), "score (得分)"))
                continue
            rows.append(self._row(row, name, level1, level2))
            weight = rows[-1].get("weight", rows[-1].get("full_score"))
            if sums is not None:
                if weight is None:
                    sums = None
                else:
                    level = "satisfaction" if "满意度" in level2 else LEVEL_IDS.get(normalise(level1), "")
                    if not level:
                        sums = None
                    else:
                        sums[level] = sums.get(level, ZERO) + weight
        if not rows:
            raise InputError(Problem("no indicator rows under the 三级指标 header", self.file, sheet.address(block.header_row, name_column), "at least one 三级指标 row with a target or an actual", key="no_indicator_rows", expected_key="expected_indicator_rows"))
        return rows, total_score, sums or None, budget_row

    def _row(self, row: int, name: str, level1: str, level2: str) -> dict[str, Any]:
        sheet, columns = self.sheet, self.layout.indicators.columns if self.layout.indicators else {}
        origins: dict[str, str] = {"name": sheet.address(row, columns["name"])}
        comparator: Comparator | None = None
        unit = ""
        if "nature" in columns:
            comparator = _comparator(sheet.text(row, columns["nature"]))
        if "unit" in columns:
            unit = sheet.text(row, columns["unit"])
            if unit in ("/", "—", "-", "无"):
                unit = ""
        full_score = points_in(name) if "weight" not in columns else None
        # the patterns need a 分 and a bracket: most names have neither
        written = (_POINTS_TEXT.sub("", name).strip() or name) if "分" in name else name
        in_name = _NAME_COMPARATOR.search(written) if "(" in written or "（" in written else None
        if in_name is not None:  # Hubei: "改造面积(≥**平方米)"
            comparator = comparator or COMPARATOR_WORDS.get(in_name["comparator"].replace("＞", ">").replace("＜", "<"))
            unit = unit or in_name["unit"].strip()
            written = (written[: in_name.start()] + written[in_name.end():]).strip() or written
        entry: dict[str, Any] = {"name": written}
        if level1:
            entry["level1"] = level1
            if "level1" in columns:
                origins["level1"] = sheet.address(row, columns["level1"])
        if level2:
            entry["level2"] = level2
            if "level2" in columns:
                origins["level2"] = sheet.address(row, columns["level2"])
        for key in ("target", "actual"):
            value = self._value(row, columns.get(key), comparator if key == "target" else None, unit)
            if value is not None:
                entry[key] = value
                origins[key] = sheet.address(row, columns[key])
        weight = self._number(row, columns.get("weight"), "weight (分值)")
        if weight is not None:
            entry["weight"] = weight
            origins["weight"] = sheet.address(row, columns["weight"])
        elif full_score is not None:
            entry["full_score"] = Decimal(full_score)
            origins["full_score"] = sheet.address(row, columns["name"])
        score = self._number(row, columns.get("score"), "score (得分)")
        if score is not None:
            entry["self_score"] = score
            origins["self_score"] = sheet.address(row, columns["score"])
        if "reason" in columns:
            reason = sheet.text(row, columns["reason"])
            if reason and reason not in ("/", "—", "-", "无", "0"):
                entry["reason"] = reason
                origins["reason"] = sheet.address(row, columns["reason"])
        entry["origins"] = origins
        return entry


def _starts_with_comparator(text: str) -> bool:
    folded = text.replace("﹦", "=").replace("＝", "=").replace("＞", ">").replace("＜", "<").lstrip()
    return any(folded.startswith(word) for word in COMPARATOR_WORDS) or bool(_OPEN_RANGE.search(folded))


def _comparator(text: str) -> Comparator | None:
    folded = text.replace("﹦", "=").replace("＝", "=").replace("＞", ">").replace("＜", "<").strip()
    return COMPARATOR_WORDS.get(folded) or _NATURE_WORDS.get(folded)


@lru_cache(maxsize=1024)
def _without_points(text: str) -> str:
    """A level name without the points it carries: "产出指标(50分)" → "产出指标"."""
    return _SPACES.sub("", _POINTS_TEXT.sub("", text)) or text


def _level1_weights(budget: Decimal | None, sums: dict[str, Decimal] | None) -> dict[str, Decimal] | None:
    """The project's level-1 weights as its table gives them, when they add up to 100."""
    if budget is None or not sums:
        return None
    weights = {"budget": budget, **sums}
    if sum(weights.values(), ZERO) != HUNDRED:
        return None
    return dict(sorted(weights.items()))


__all__ = ["FORMAT", "LEVEL_IDS", "SheetResult", "convert_sheet"]
