"""Workbooks out, read back with openpyxl: table --format xlsx, CSV for Excel, export, the template."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from perfscore.cli import main


def test_table_xlsx_has_summary_chart_and_errors(tmp_path: Path, seed_path: Path) -> None:
    """table --format xlsx: a frozen header, numbers as numbers, a summary sheet with its chart, an errors sheet."""
    bad = tmp_path / "bad.toml"
    bad.write_text("not toml at all = = =", encoding="utf-8")
    out = tmp_path / "table.xlsx"
    assert main(["table", str(seed_path), str(bad), "--format", "xlsx", "-o", str(out)]) == 1
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["排名表", "汇总", "错误"]
    table = book["排名表"]
    assert table.freeze_panes == "A2" and table["A1"].value == "名次"
    totals = [cell.value for cell in table[2] if isinstance(cell.value, float)]
    assert totals, "the scores are numbers, not text"
    assert table.column_dimensions["B"].width >= 6
    assert len(book["汇总"]._charts) == 1
    assert any("bad.toml" in str(cell.value) for row in book["错误"].iter_rows() for cell in row)


def test_table_xlsx_needs_an_output_file(capsys: pytest.CaptureFixture[str], seed_path: Path) -> None:
    """A workbook is not written to a terminal: without -o, exit 2 with the reason."""
    assert main(["table", str(seed_path), "--format", "xlsx"]) == 2
    assert "-o table.xlsx" in capsys.readouterr().err


def test_csv_for_excel_has_a_bom_and_blank_empty_cells(tmp_path: Path, seed_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """CSV written to a file starts with a BOM; to stdout it does not; an absent value is an empty cell."""
    out = tmp_path / "t.csv"
    assert main(["table", str(seed_path), "--format", "csv", "-o", str(out)]) in (0, 1)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert "—" not in data.decode("utf-8-sig")
    assert main(["table", str(seed_path), "--format", "csv"]) in (0, 1)
    assert not capsys.readouterr().out.startswith("\ufeff")


def test_export_marks_differences_and_lists_findings(tmp_path: Path, seed_path: Path) -> None:
    """export: the national layout with computed scores beside the unit's, differences shaded, findings on their own sheet."""
    out = tmp_path / "unit.xlsx"
    assert main(["export", str(seed_path), "-o", str(out)]) in (0, 1)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[-1] == "发现的问题"
    sheet = book[book.sheetnames[0]]
    headers = [cell.value for cell in sheet[12]]
    assert headers[-2:] == ["计算得分", "差异"] and "年度指标值" in headers
    findings = book["发现的问题"]
    assert findings.max_row >= 2
    marked = [cell for row in sheet.iter_rows(min_row=13) for cell in row if cell.fill is not None and cell.fill.fgColor.rgb == "00FFF2CC"]
    stated = [row for row in sheet.iter_rows(min_row=13) if row[9].value is not None and row[11].value is not None and row[9].value != row[11].value]
    assert bool(marked) == bool(stated)


def test_template_has_drop_downs_and_notes(tmp_path: Path) -> None:
    """The template: N project sheets, drop-downs for 一级/二级/指标性质, a notes sheet, lists hidden."""
    out = tmp_path / "自评表.xlsx"
    assert main(["template", "-o", str(out), "--ruleset", "national", "--projects", "3"]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["项目1", "项目2", "项目3", "填表说明", "lists"]
    assert book["lists"].sheet_state == "hidden"
    assert [book["lists"].cell(row, 1).value for row in range(1, 4)] == ["产出指标", "效益指标", "满意度指标"]
    validations = book["项目1"].data_validations.dataValidation
    assert sorted(str(v.sqref) for v in validations) == ["B13:B24", "C13:C24", "E13:E24"]
    assert "（YYYY年度）" in str(book["填表说明"]["A3"].value)
