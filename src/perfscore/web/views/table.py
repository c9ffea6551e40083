"""The ranked table (:mod:`perfscore.web.views`): a year and ruleset, sorted and filtered, paged, and downloaded as xlsx or csv."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from perfscore.batch.table import Table
from perfscore.messages import pick
from perfscore.numbers import table_cell
from perfscore.output.excel import table_xlsx
from perfscore.output.table import GRADE_COLUMNS, MACHINE_ONLY, render_csv
from perfscore.web.data import PAGE_ROWS, NotFound, View
from perfscore.web.pages import Page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def home(page: Page) -> Response:
    return RedirectResponse("/table" if page.state.tables.years() else "/upload", status_code=303)


def _year(page: Page) -> int | None:
    text = page.param("year")
    if text is None:
        years = page.state.tables.years()
        return years[-1] if years else None
    if not text.isdigit() or len(text) > 4:
        raise NotFound("no_year", year=text[:20])
    return int(text)


def _view(page: Page) -> View:
    number = page.param("page") or "1"
    return View(
        sort=page.param("sort"),
        descending=page.param("order") != "asc",
        grade=page.param("grade"),
        area=page.param("area"),
        query=(page.param("q") or "")[:100] or None,
        page=int(number) if number.isdigit() and 0 < len(number) < 7 else 1,
    )


def _table(page: Page) -> tuple[int, Table, Table]:
    year = _year(page)
    if year is None:
        raise NotFound("empty_store")
    table = page.state.tables.table(year, page.param("ruleset"), page.lang)
    return year, table, page.state.tables.viewed(table, _view(page))


def table_page(page: Page) -> Response:
    if not page.state.tables.years():
        return page.render("empty.html")
    year, whole_table, shown = _table(page)
    view = _view(page)
    columns = [column for column in shown.columns if column.key not in MACHINE_ONLY]
    pages = max(1, -(-len(shown.rows) // PAGE_ROWS))
    number = min(view.page, pages)
    rows = shown.rows[(number - 1) * PAGE_ROWS : number * PAGE_ROWS]
    grade_names: dict[object, str] = {grade: pick((grade, name_en), page.lang) for info in shown.rulesets for grade, name_en, _ in info.grades}
    cells = [
        {"unit_id": row.get("unit_id"), "cells": [(grade_names.get(row.get(column.key), "—") if column.key in GRADE_COLUMNS else table_cell(row.get(column.key)), column.numeric, column.key) for column in columns]}
        for row in rows
    ]
    year_tables = page.state.tables.year(year)
    areas = sorted({(area, pick((zh, en), page.lang)) for info in whole_table.rulesets for area, zh, en in info.areas})
    grades = [(grade, pick((grade, name_en), page.lang)) for info in whole_table.rulesets[:1] for grade, name_en, _ in info.grades]
    rulesets = [(info.fingerprint[:12], f"{info.id} {info.version} · {pick((info.name, info.name_en), page.lang)} · {count}") for info, count in year_tables.rulesets]
    return page.render(
        "table.html", year=year, years=page.state.tables.years(), table=shown, columns=columns, rows=cells, view=view, number=number, pages=pages,
        areas=areas, grades=grades, rulesets=rulesets, ruleset=page.param("ruleset") or (rulesets[0][0] if rulesets else ""),
        count=len(shown.rows), total_count=len(whole_table.rows), grade_names=grade_names,
    )  # fmt: skip


def table_xlsx_download(page: Page) -> Response:
    year, _, shown = _table(page)
    return Response(table_xlsx(shown), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="perfscore-{year}.xlsx"'})


def table_csv_download(page: Page) -> Response:
    year, _, shown = _table(page)
    return Response("\ufeff" + render_csv(shown), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="perfscore-{year}.csv"'})
