"""Workbooks in: 自评表 .xlsx/.xls/.ods files → raw ``perfscore-submission/2`` dicts.

Sits just below ``load`` (docs/architecture.md): :mod:`.cells` reads a file into cell grids
(python-calamine), :mod:`.layout` finds the header cells by their text, :mod:`.convert` turns
a sheet into a project dict with each value's cell in ``origins``; this module puts a
workbook's project sheets together. :func:`workbook_submission` makes ONE unit of all the
project sheets (what ``score``/``table`` read directly); :func:`sheet_submissions` makes one
submission a project sheet (what ``perfscore import`` writes). The unit's name is the
实施单位 (else the 主管部门) and its year the （YYYY年度） of the title, both overridable
(:class:`UnitOverrides`); the unit id is its name unless given. A 部门整体 sheet is not a
project: it is listed, not scored. :mod:`.template` writes the blank workbook a unit fills.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from perfscore.errors import InputError, Parts, Problem, fill
from perfscore.workbook.cells import WORKBOOK_SUFFIXES, Sheet, read_workbook, sheets_from_bytes
from perfscore.workbook.convert import FORMAT, SheetResult, convert_sheet


@dataclass(frozen=True)
class UnitOverrides:
    """What ``perfscore import`` may set where the workbook does not say it (or says it wrong)."""

    unit_id: str | None = None
    unit_name: str | None = None
    year: int | None = None
    ruleset: str | None = None


@dataclass(frozen=True)
class WorkbookRead:
    """A workbook read: every sheet's result, in workbook order."""

    file: str
    sheets: list[SheetResult]

    @property
    def projects(self) -> list[SheetResult]:
        return [sheet for sheet in self.sheets if sheet.kind == "project"]

    @property
    def skipped(self) -> list[SheetResult]:
        return [sheet for sheet in self.sheets if sheet.kind != "project"]


def is_workbook(path: Path) -> bool:
    """Whether ``path`` is read as a workbook (by its suffix)."""
    return Path(path).suffix.lower() in WORKBOOK_SUFFIXES


def read(path: Path) -> WorkbookRead:
    """Every sheet of the workbook at ``path`` converted; an error when no sheet is a 自评表."""
    return from_sheets(read_workbook(Path(path)), str(path))


def from_sheets(sheets: list[Sheet], file: str) -> WorkbookRead:
    """The sheets of a workbook converted (pure: the tests hand in grids)."""
    results = [convert_sheet(sheet, file) for sheet in sheets]
    book = WorkbookRead(file, results)
    if not book.projects:
        raise InputError(Problem(f"no 自评表 sheet in the workbook: {describe_skipped(book) or 'no sheets'}", file=file, expected="a sheet with the 三级指标 header of a 项目支出绩效自评表 (docs/excel.md)", key="no_self_evaluation_sheet", expected_key="expected_self_evaluation_sheet", fields=fill(skipped=skipped_parts(book) or [("no_sheets", {})])))
    return book


def describe_skipped(book: WorkbookRead) -> str:
    """One line a skipped sheet: what it is, and for another kind of sheet the headers found."""
    parts = []
    for sheet in book.skipped:
        if sheet.kind == "empty":
            parts.append(f"sheet {sheet.sheet!r} is empty")
        elif sheet.kind == "notes":
            parts.append(f"sheet {sheet.sheet!r} holds instructions (填表说明)")
        elif sheet.kind == "department":
            parts.append(f"sheet {sheet.sheet!r} is a 部门整体 (whole-department) table, not scored as a project")
        else:
            found = ", ".join(sheet.headers) or "no header"
            parts.append(f"sheet {sheet.sheet!r} is not a 自评表 (found: {found}; expected 三级指标, 年度指标值, 实际完成值)")
    return "; ".join(parts)


def skipped_parts(book: WorkbookRead) -> Parts:
    """The skipped sheets as :func:`describe_skipped` says them, each as its catalogue entry (errors.skipped_*)."""
    parts: Parts = []
    for sheet in book.skipped:
        kind = sheet.kind if sheet.kind in ("empty", "notes", "department") else "other"
        parts.append((f"skipped_{kind}", {"sheet": repr(sheet.sheet), "found": ", ".join(sheet.headers)}))
    return parts


def _unit(projects: list[SheetResult], file: str, overrides: UnitOverrides) -> dict[str, Any]:
    first = projects[0]
    name = overrides.unit_name or first.unit_name or first.department
    if not name:
        raise InputError(Problem("no unit name: the 实施单位 and 主管部门 cells are empty", file, first.sheet, "the unit's name in 实施单位 (or 主管部门), or --unit-name", key="no_unit_name", expected_key="expected_unit_name"))
    year = overrides.year or first.year
    if year is None:
        raise InputError(Problem("no year: the title has no （YYYY年度）", file, first.sheet, "the year in the title, as （2023年度）, or --year", key="no_year", expected_key="expected_year"))
    unit: dict[str, Any] = {"id": overrides.unit_id or name, "name": name, "year": year, "money_unit": first.money_unit, "source": Path(file).name}
    return unit


def _projects(projects: list[SheetResult]) -> list[dict[str, Any]]:
    """The projects, each with a unique id (its name; a repeated name gets （2）…) and its
    own money unit where it differs from the first project's."""
    out = []
    seen: dict[str, int] = {}
    for sheet in projects:
        assert sheet.project is not None
        project = dict(sheet.project)
        name = str(project["name"])
        seen[name] = seen.get(name, 0) + 1
        project["id"] = name if seen[name] == 1 else f"{name}（{seen[name]}）"
        if sheet.money_unit != projects[0].money_unit:
            project["money_unit"] = sheet.money_unit
        out.append(project)
    return out


def workbook_submission(book: WorkbookRead, overrides: UnitOverrides = UnitOverrides()) -> dict[str, Any]:
    """ONE unit with every project sheet as a project (what ``score x.xlsx`` reads)."""
    raw: dict[str, Any] = {"format": FORMAT}
    if overrides.ruleset:
        raw["ruleset"] = overrides.ruleset
    raw["unit"] = _unit(book.projects, book.file, overrides)
    raw["projects"] = _projects(book.projects)
    return raw


def sheet_submissions(book: WorkbookRead, overrides: UnitOverrides = UnitOverrides()) -> list[tuple[str, dict[str, Any]]]:
    """One submission a project sheet, with the sheet's name (what ``perfscore import`` writes)."""
    out = []
    for sheet in book.projects:
        raw: dict[str, Any] = {"format": FORMAT}
        if overrides.ruleset:
            raw["ruleset"] = overrides.ruleset
        raw["unit"] = _unit([sheet], book.file, overrides)
        raw["projects"] = _projects([sheet])
        out.append((sheet.sheet, raw))
    return out


def output_name(workbook: Path, sheet: str) -> str:
    """The file ``perfscore import`` writes a sheet to: ``WORKBOOK-SHEET.toml``, with the
    characters a file name cannot hold replaced by _."""
    stem = f"{Path(workbook).stem}-{sheet}"
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", stem).strip(" .") + ".toml"


def _plain(value: Any) -> Any:
    """A raw value ready for TOML: a whole Decimal as an int, containers walked."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def to_toml(raw: dict[str, Any]) -> str:
    """A raw submission as the TOML text ``perfscore import`` writes (tomli-w)."""
    import tomli_w

    return str(tomli_w.dumps(_plain(raw)))


def load_raw(path: Path) -> dict[str, Any]:
    """The raw submission of a workbook used directly: one unit, every project sheet."""
    return workbook_submission(read(path))


__all__ = [
    "FORMAT",
    "WORKBOOK_SUFFIXES",
    "SheetResult",
    "UnitOverrides",
    "WorkbookRead",
    "describe_skipped",
    "skipped_parts",
    "from_sheets",
    "is_workbook",
    "load_raw",
    "output_name",
    "read",
    "sheet_submissions",
    "sheets_from_bytes",
    "to_toml",
    "workbook_submission",
]
