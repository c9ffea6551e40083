"""perfscore import and direct use of workbooks: every 自评表 family and variant, built in code."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import rtoml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbooks import ProjectSheet, Row, default_rows, national_workbook, put

from perfscore import workbook
from perfscore.cli import main
from perfscore.errors import InputError
from perfscore.load import load_ruleset
from perfscore.workbook.template import FIRST_ROW, template


def _read(path: Path) -> workbook.WorkbookRead:
    return workbook.read(path)


def _project(book: workbook.WorkbookRead, index: int = 0) -> dict[str, Any]:
    project = book.projects[index].project
    assert project is not None
    return project


def test_national_layout_with_merged_cells_and_two_sheets(tmp_path: Path) -> None:
    """Two project sheets with merged 一级/二级 cells become one unit of two projects, rows as printed."""
    path = national_workbook(tmp_path / "a.xlsx", ProjectSheet(rows=default_rows(), total_score=99.17), ProjectSheet(title="项目2", project="校舍维修", rows=default_rows()))
    raw = workbook.workbook_submission(_read(path))
    assert raw["format"] == "perfscore-submission/2"
    assert raw["unit"] == {"id": "区第一幼儿园", "name": "区第一幼儿园", "year": 2023, "money_unit": "万元", "source": "a.xlsx"}
    assert [project["id"] for project in raw["projects"]] == ["学前教育资助项目", "校舍维修"]
    first = raw["projects"][0]
    assert first["funds"] == [{"source": "unspecified", "initial_budget": 100, "budget": 120, "spending": 110, "origins": {"initial_budget": "项目1!C6", "budget": "项目1!D6", "spending": "项目1!E6"}}]
    assert first["self_scores"] == {"budget": Decimal("9.17"), "total": Decimal("99.17")}
    assert first["level1_weights"] == {"benefit": 30, "budget": 10, "output": 50, "satisfaction": 10}
    rows = first["indicators"]
    assert [(row["level1"], row["level2"], row["name"]) for row in rows][:3] == [("产出指标", "数量指标", "资助幼儿人数"), ("产出指标", "数量指标", "资助标准"), ("产出指标", "质量指标", "资助对象认定准确率")]
    assert rows[1]["target"] == "=1500元/人" and rows[1]["actual"] == "1500元/人"
    # a merged cell names the top-left cell of its range
    assert rows[1]["origins"]["level1"] == "项目1!B13" and rows[1]["origins"]["target"] == "项目1!E14"
    assert raw["projects"][1]["indicators"][0]["origins"]["name"] == "项目2!D13"


def test_workbooks_of_one_template_read_one_after_another(tmp_path: Path) -> None:
    """Workbooks filled in from one template each give their own heading and figures, and
    one whose heading differs (another year, headings over two lines) is read as itself: the
    layout kept from an earlier workbook of the same shape is never used for it."""
    first = national_workbook(tmp_path / "a.xlsx", ProjectSheet(rows=default_rows()))
    second = national_workbook(tmp_path / "b.xlsx", ProjectSheet(unit="区第二幼儿园", project="校舍维修", year=2024, budget=80, spending=70, rows=default_rows()))
    third = national_workbook(tmp_path / "c.xlsx", ProjectSheet(unit="区第三幼儿园", department="区民政局", budget=60, spending=50, rows=default_rows()[:4]))
    fourth = national_workbook(tmp_path / "d.xlsx", ProjectSheet(unit="区第四幼儿园", rows=default_rows(), two_line_headers=True))
    seen = []
    for path in (first, second, third, fourth, first):
        raw = workbook.workbook_submission(_read(path))
        project = raw["projects"][0]
        seen.append((raw["unit"]["name"], raw["unit"]["year"], project["id"], project["funds"][0]["budget"], len(project["indicators"]), project["indicators"][0]["target"]))
    assert seen == [
        ("区第一幼儿园", 2023, "学前教育资助项目", 120, len(default_rows()), "≥90人"),
        ("区第二幼儿园", 2024, "校舍维修", 80, len(default_rows()), "≥90人"),
        ("区第三幼儿园", 2023, "学前教育资助项目", 60, 4, "≥90人"),
        ("区第四幼儿园", 2023, "学前教育资助项目", 120, len(default_rows()), "≥90人"),
        ("区第一幼儿园", 2023, "学前教育资助项目", 120, len(default_rows()), "≥90人"),
    ]


def test_header_variants_two_lines_points_nature_and_unit(tmp_path: Path) -> None:
    """Headers broken over two lines, "产出指标(50分)" and 指标性质/度量单位 columns are read."""
    rows = [
        Row("产出指标", "数量指标", "资助幼儿人数", 90, 99, 50, 50, nature="≥", unit="人"),
        Row("效益指标", "社会效益指标", "负担减轻", "有效减轻", "有效减轻", 30, 30, nature="定性"),
        Row("满意度指标", "服务对象满意度指标", "满意度", 90, 95, 10, 10, nature="﹦", unit="%"),
    ]
    path = national_workbook(tmp_path / "v.xlsx", ProjectSheet(rows=rows, two_line_headers=True, level1_points=True, nature_and_unit=True))
    found = _project(_read(path))["indicators"]
    assert [row["level1"] for row in found] == ["产出指标", "效益指标", "满意度指标"]
    assert [(row["target"], row["actual"]) for row in found] == [("≥90人", "99人"), ("有效减轻", "有效减轻"), ("=90%", "95%")]


def test_no_score_column_blank_rows_template_rows_and_notes(tmp_path: Path) -> None:
    """A table without 得分, with blank rows, template rows (指标1) and 注 notes gives just its rows."""
    path = national_workbook(tmp_path / "b.xlsx", ProjectSheet(rows=default_rows(), score_column=False, blank_rows=True, template_rows=True, notes=True))
    project = _project(_read(path))
    assert [row["name"] for row in project["indicators"]] == [row.name for row in default_rows()]
    assert all("self_score" not in row for row in project["indicators"])


def test_percent_cells_and_full_width_digits(tmp_path: Path) -> None:
    """0.95 in a %-formatted cell reads as 95%; full-width digits in a weight read as the number."""
    rows = [Row("产出指标", "质量指标", "合格率", 0.9, 0.95, "５０", "４８．５"), Row("效益指标", "社会效益指标", "效果", "明显", "明显", 40, 40)]
    path = national_workbook(tmp_path / "p.xlsx", ProjectSheet(rows=rows, percent_cells=("E13", "F13")))
    found = _project(_read(path))["indicators"][0]
    assert (found["target"], found["actual"], found["weight"], found["self_score"]) == ("90%", "95%", Decimal(50), Decimal("48.5"))


def test_money_in_a_fiscal_row_under_an_empty_total(tmp_path: Path) -> None:
    """A 0/0/0 total row with the money in 其中：当年财政拨款 gives one fiscal fund line."""
    path = national_workbook(tmp_path / "f.xlsx", ProjectSheet(rows=default_rows(), fiscal=(50, 60, 58)))
    funds = _project(_read(path))["funds"]
    assert [(line["source"], line["budget"], line["spending"]) for line in funds] == [("fiscal", 60, 58)]
    assert funds[0]["origins"]["budget"] == "项目1!D7"


def test_other_sheets_are_named_with_what_they_hold(tmp_path: Path) -> None:
    """An empty Sheet2, a 部门整体 sheet, instructions and an unrelated sheet are named, not imported."""
    extra = {
        "Sheet2": [],
        "部门整体": [["部门整体支出绩效自评表"], ["（2023年度）"], ["部门名称", "区教育局"]],
        "填表说明": [["填表说明"], ["1. 每个项目一页"]],
        "人员名单": [["姓名", "岗位", "联系电话"], ["张三", "会计", "123"]],
    }
    book = _read(national_workbook(tmp_path / "s.xlsx", ProjectSheet(rows=default_rows()), extra=extra))
    assert [sheet.kind for sheet in book.sheets] == ["project", "empty", "department", "notes", "other"]
    said = workbook.describe_skipped(book)
    assert "'Sheet2' is empty" in said and "部门整体" in said and "'人员名单' is not a 自评表 (found: 姓名, 岗位, 联系电话" in said


def test_a_workbook_without_a_table_is_an_error_naming_its_sheets(tmp_path: Path) -> None:
    """A workbook with no 自评表 sheet is refused, naming each sheet and its headers."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "岗位"])
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="'Sheet' is not a 自评表 .found: 姓名, 岗位"):
        workbook.read(tmp_path / "x.xlsx")


def _hubei(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "项目支出"
    for row in (
        ["项目支出绩效自评表"],
        ["（2022年度）"],
        ["项目名称", "老旧小区改造"],
        ["主管部门", "襄阳市住建局", "实施单位", "襄阳市房屋中心"],
        ["预算执行情况(万元)(20分)", "预算数(A)", "执行数(B)", "执行率(B/A)", "得分"],
        [None, 200, 190, 0.95, 19],
        ["年度绩效目标(80分)", "一级指标", "二级指标", "三级指标", "年初目标值(A)", "实际完成值(B)", "得分"],
        [None, "产出指标", "数量指标", "改造面积(≥**平方米)(40分)", 1000, 1200, 40],
        [None, None, "时效指标", "按期完工率（20分）", "100%", "100%", 20],
        [None, "效益指标", "社会效益指标", "居民满意度（20分）", "≥90%", "93%", 20],
        ["备注", "数量指标：实际完成值/年初目标值×分值"],
    ):
        ws.append(row)
    ws.merge_cells("A5:A6")
    ws.merge_cells("A7:A10")
    ws.merge_cells("B8:B9")
    book.save(path)
    return path


def test_hubei_layout_without_a_weight_column(tmp_path: Path) -> None:
    """The Hubei form: budget scored of 20, full scores and comparators inside the 三级 names."""
    project = _project(_read(_hubei(tmp_path / "h.xlsx")))
    assert [(line["budget"], line["spending"]) for line in project["funds"]] == [(200, 190)]
    assert project["self_scores"] == {"budget": 19}
    rows = project["indicators"]
    assert [(row["name"], row["level1"], row.get("full_score"), row["target"], row["actual"]) for row in rows] == [
        ("改造面积", "产出指标", Decimal(40), "≥1000平方米", "1200平方米"),
        ("按期完工率", "产出指标", Decimal(20), "100%", "100%"),
        ("居民满意度", "效益指标", Decimal(20), "≥90%", "93%"),
    ]
    assert "level1_weights" in project and project["level1_weights"]["budget"] == 20


def _sichuan(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "项目1"
    for row in (
        ["部门预算项目支出绩效自评表"],
        ["（2023年度）"],
        ["项目名称", "残疾人康复", None, "主管部门", "市残联", "实施单位", "市康复中心"],
        ["预算执行情况（10分）", None, "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分", "原因"],
        [None, "总额", 100, 100, 85, "85%", 10, 8.5, "部分资金年底才下达"],
        [None, "其中：财政资金", 100, 100, 85, "85%", "/", "/", "/"],
        [None, "财政专户管理资金", "/", "/", "/", "/", "/", "/", "/"],
        [None, "单位资金", "/", "/", "/", "/", "/", "/", "/"],
        [None, "其他资金", "/", "/", "/", "/", "/", "/", "/"],
        ["绩效指标（90分）", "一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分", "未完成原因分析"],
        [None, "产出指标", "数量指标", "康复人数", "≥", 200, "人", 210, 22.5, 22.5, None],
        [None, None, "质量指标", "康复有效率", "≥", 90, "%", 88, 22.5, 22, "部分重度残疾儿童进展慢"],
        [None, "效益指标", "社会效益指标", "家庭负担减轻", "定性", "有效减轻", None, "有效减轻", 22.5, 22.5, None],
        [None, None, "服务对象满意度指标", "家长满意度", "≥", 90, "%", 96, 22.5, 22.5, None],
        ["合计", None, None, None, None, None, None, None, 90, 87.5, None],
        ["评价结论", "良好"],
    ):
        ws.append(row)
    ws.merge_cells("A4:A9")
    ws.merge_cells("A10:A14")
    ws.merge_cells("B11:B12")
    ws.merge_cells("B13:B14")
    book.save(path)
    return path


def test_sichuan_layout(tmp_path: Path) -> None:
    """Sichuan's form: "/" cells, 其中：财政资金, 权重 22.5, the 合计 row and 评价结论 under it."""
    project = _project(_read(_sichuan(tmp_path / "s.xlsx")))
    assert project["funds"] == [{"source": "fiscal", "initial_budget": 100, "budget": 100, "spending": 85, "reason": "部分资金年底才下达", "origins": {"initial_budget": "项目1!C6", "budget": "项目1!D6", "spending": "项目1!E6", "reason": "项目1!I5"}}]
    assert project["self_scores"] == {"budget": Decimal("8.5"), "total": Decimal("87.5")}
    rows = project["indicators"]
    assert [(row["target"], row["actual"], row["weight"]) for row in rows] == [("≥200人", "210人", Decimal("22.5")), ("≥90%", "88%", Decimal("22.5")), ("有效减轻", "有效减轻", Decimal("22.5")), ("≥90%", "96%", Decimal("22.5"))]
    assert rows[1]["reason"] == "部分重度残疾儿童进展慢" and rows[1]["level1"] == "产出指标"
    # satisfaction under 效益 counts as satisfaction
    assert project["level1_weights"] == {"benefit": Decimal("22.5"), "budget": 10, "output": 45, "satisfaction": Decimal("22.5")}


# --------------------------------------------------------------------------- bad workbooks


def _import(*args: str | Path) -> int:
    return main(["import", *map(str, args)])


def _replaced(pattern: bytes, replacement: bytes, xml: bytes) -> bytes:
    """``xml`` with the one match of ``pattern`` replaced (a test whose edit missed would prove nothing)."""
    changed, count = re.subn(pattern, replacement, xml, count=1, flags=re.S)
    assert count == 1, pattern
    return changed


def _rewrite(path: Path, member: str, change: Any) -> None:
    """Rewrite one member of a zip, as a hand-edited or oddly written workbook would hold it."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, change(data) if info.filename == member else data)
        if member not in source.namelist():
            target.writestr(member, change(b""))
    path.write_bytes(out.getvalue())


def _bad(tmp_path: Path, capsys: pytest.CaptureFixture[str], path: Path, expected: str) -> None:
    out = tmp_path / "out"
    assert _import(path, "-o", out) == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


def test_not_a_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is neither a zip nor an Excel 97 file is refused, nothing written."""
    path = tmp_path / "x.xlsx"
    path.write_text("名称,数值\n")
    _bad(tmp_path, capsys, path, "not a workbook")


def test_encrypted_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An encrypted workbook (a compound file holding EncryptedPackage) is named as such."""
    path = tmp_path / "e.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512) + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le") + bytes(512))
    _bad(tmp_path, capsys, path, "encrypted")


def test_zip_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A workbook that unpacks past the limit is refused from the zip's directory."""
    path = national_workbook(tmp_path / "z.xlsx", ProjectSheet(rows=default_rows()))
    _rewrite(path, "xl/media/padding.bin", lambda _: bytes(8 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    monkeypatch.setenv("PERFSCORE_MAX_UNZIPPED_BYTES", str(4 * 1024 * 1024))
    _bad(tmp_path, capsys, path, "PERFSCORE_MAX_UNZIPPED_BYTES")


def test_a_million_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A sheet reaching row 1,000,000 is refused before the reader builds its grid."""
    path = national_workbook(tmp_path / "m.xlsx", ProjectSheet(rows=default_rows()))
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"</sheetData>", b'<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    _bad(tmp_path, capsys, path, "PERFSCORE_MAX_SHEET_ROWS")


def test_formula_error_in_a_value_cell_names_the_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """#DIV/0! in an actual is an error naming the sheet and cell."""
    path = national_workbook(tmp_path / "d.xlsx", ProjectSheet(rows=default_rows()))
    # the cell as openpyxl wrote it, whichever XML writer it used (lxml writes 人 as &#20154;)
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda xml: _replaced(rb'<c r="F13"[^>]*>.*?</c>', b'<c r="F13" t="e"><f>E13/0</f><v>#DIV/0!</v></c>', xml))
    _bad(tmp_path, capsys, path, "项目1!F13: no value: the formula gives the error #DIV/0!")


def test_formula_without_a_saved_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A formula saved without its value (openpyxl writes them so) is an error naming the cell."""
    path = national_workbook(tmp_path / "n.xlsx", ProjectSheet(rows=default_rows()))
    book = openpyxl.load_workbook(path)
    book["项目1"]["G13"] = "=10+10"
    book.save(path)
    _bad(tmp_path, capsys, path, "项目1!G13: no value: a formula saved without its value")


def test_external_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A workbook linking to other workbooks is refused: its values are not all here."""
    path = national_workbook(tmp_path / "l.xlsx", ProjectSheet(rows=default_rows()))
    _rewrite(path, "xl/externalLinks/externalLink1.xml", lambda _: b"<externalLink/>")
    _bad(tmp_path, capsys, path, "links to other workbooks")


def test_one_bad_workbook_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """import of a good and a bad workbook writes neither."""
    good = national_workbook(tmp_path / "g.xlsx", ProjectSheet(rows=default_rows()))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 broken")
    out = tmp_path / "out"
    assert _import(good, bad, "-o", out) == 2
    assert not out.exists()


# --------------------------------------------------------------------------- import writes TOML


def test_import_writes_one_toml_a_project_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """import writes WORKBOOK-SHEET.toml for each project sheet and names the other sheets."""
    path = national_workbook(tmp_path / "单位.xlsx", ProjectSheet(rows=default_rows()), ProjectSheet(title="项目2", project="校舍维修", rows=default_rows()), extra={"Sheet2": []})
    out = tmp_path / "out"
    assert _import(path, "-o", out, "--unit-id", "kindergarten-1", "--year", "2024") == 0
    assert sorted(p.name for p in out.iterdir()) == ["单位-项目1.toml", "单位-项目2.toml"]
    assert "'Sheet2' is empty" in capsys.readouterr().err
    written = rtoml.load(out / "单位-项目2.toml")
    assert written["unit"]["id"] == "kindergarten-1" and written["unit"]["year"] == 2024
    assert written["projects"][0]["indicators"][0]["origins"]["target"] == "项目2!E13"


def test_an_ods_workbook(tmp_path: Path) -> None:
    """An OpenDocument spreadsheet is read as a workbook too."""
    rows = [
        ["项目支出绩效自评表"], ["（2023年度）"], ["项目名称", "项目甲"], ["主管部门", "区局", "实施单位", "区中心"],
        ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        ["", "年度资金总额", "10", "10", "9", "10", "", "9"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        ["产出指标", "数量指标", "人数", "≥10人", "12人", "90", "90", ""],
    ]
    path = tmp_path / "a.ods"
    path.write_bytes(_ods(rows))
    project = _project(workbook.read(path))
    assert project["indicators"][0]["target"] == "≥10人" and project["funds"][0]["budget"] == 10


def _ods(rows: list[list[str]]) -> bytes:
    """A minimal OpenDocument spreadsheet: numbers as float cells, the rest as strings."""
    from xml.sax.saxutils import escape

    def cell(value: str) -> str:
        if value.replace(".", "", 1).isdigit():
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        if not value:
            return "<table:table-cell/>"
        return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(cell(value) for value in row) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="项目1">{body}</table:table></office:spreadsheet></office:body></office:document-content>'
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return out.getvalue()


# --------------------------------------------------------------------------- the template, filled


def _fill(path: Path, rows: list[tuple[Any, ...]], year: int = 2023) -> None:
    """Fill the template's first sheet as a unit would, cell by cell with openpyxl."""
    book = openpyxl.load_workbook(path)
    ws = book["项目1"]
    ws["A2"] = f"（{year}年度）"
    ws["C3"], ws["C4"], ws["G4"] = "学前教育资助", "区教育局", "区幼儿园"
    ws["C6"], ws["D6"], ws["E6"], ws["H6"] = 100, 120, 110, 9.17
    for index, row in enumerate(rows):
        for offset, value in enumerate(row):
            if value is not None:
                put(ws, FIRST_ROW + index, 2 + offset, value)
    if "项目2" in book.sheetnames:
        del book["项目2"]
    book.save(path)


_FILLED = [
    ("产出指标", "数量指标", "资助幼儿人数", "≥", 90, "人", 99, 50, 50),
    ("效益指标", "社会效益指标", "家庭负担减轻", None, "有效减轻", None, "有效减轻", 30, 30),
    ("满意度指标", "服务对象满意度指标", "受助家庭满意度", "≥", "90%", None, "95%", 10, 10),
]


def test_template_fills_and_imports(tmp_path: Path) -> None:
    """A filled template imports to the rows the unit typed, with comparators and units joined."""
    path = tmp_path / "自评表.xlsx"
    assert main(["template", "-o", str(path), "--ruleset", "national", "--projects", "2"]) == 0
    _fill(path, _FILLED)
    book = workbook.read(path)
    assert [sheet.kind for sheet in book.sheets] == ["project", "notes"]
    rows = _project(book)["indicators"]
    assert [(row["name"], row["target"], row["actual"], row["weight"]) for row in rows] == [
        ("资助幼儿人数", "≥90人", "99人", 50),
        ("家庭负担减轻", "有效减轻", "有效减轻", 30),
        ("受助家庭满意度", "≥90%", "95%", 10),
    ]


_names = st.text(alphabet="资助幼儿人数培训合格率康复服务户次", min_size=2, max_size=8)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_names, st.integers(0, 10_000), st.integers(0, 10_000), st.sampled_from(["≥", "≤", "="]), st.sampled_from(["人", "户", "%", "万元"])), min_size=1, max_size=8, unique_by=lambda row: row[0]))
def test_template_round_trip(tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, int, int, str, str]]) -> None:
    """Whatever rows a unit types into the template come back as the same names, targets and actuals."""
    path = tmp_path_factory.mktemp("rt") / "t.xlsx"
    path.write_bytes(template(load_ruleset("national"), 2))
    _fill(path, [("产出指标", "数量指标", name, comparator, target, unit, actual, 10, 10) for name, target, actual, comparator, unit in rows])
    found = _project(workbook.read(path))["indicators"]
    assert [(row["name"], row["target"], row["actual"]) for row in found] == [(name, f"{comparator}{target}{unit}", f"{actual}{unit}") for name, target, actual, comparator, unit in rows]


_HAND_WRITTEN = """
format = "perfscore-submission/2"
[unit]
id = "区幼儿园"
name = "区幼儿园"
year = 2023
money_unit = "万元"
[[projects]]
id = "学前教育资助"
name = "学前教育资助"
level1_weights = { budget = 10, output = 50, benefit = 30, satisfaction = 10 }
self_scores = { budget = 9.17 }
[[projects.funds]]
source = "unspecified"
initial_budget = 100
budget = 120
spending = 110
[[projects.indicators]]
name = "资助幼儿人数"
level1 = "产出指标"
level2 = "数量指标"
target = "≥90人"
actual = "99人"
weight = 50
self_score = 50
[[projects.indicators]]
name = "家庭负担减轻"
level1 = "效益指标"
level2 = "社会效益指标"
target = "有效减轻"
actual = "有效减轻"
weight = 30
self_score = 30
[[projects.indicators]]
name = "受助家庭满意度"
level1 = "满意度指标"
level2 = "服务对象满意度指标"
target = "≥90%"
actual = "95%"
weight = 10
self_score = 10
"""


def test_filled_template_scores_as_the_hand_written_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A filled template scores exactly as the same unit written by hand in TOML."""
    path = tmp_path / "自评表.xlsx"
    assert main(["template", "-o", str(path), "--ruleset", "national"]) == 0
    _fill(path, _FILLED)
    toml = tmp_path / "unit.toml"
    toml.write_text(_HAND_WRITTEN, encoding="utf-8")
    assert main(["score", str(toml), "--ruleset", "national", "--format", "json"]) in (0, 1)
    by_hand = capsys.readouterr().out
    assert main(["score", str(path), "--ruleset", "national", "--format", "json"]) in (0, 1)
    from_workbook = capsys.readouterr().out
    assert from_workbook.replace(str(path), "F") == by_hand.replace(str(toml), "F")


def test_two_project_workbook_scores_as_its_toml_and_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A national workbook of two project sheets scores as the TOML import writes, and table DIR ranks workbooks."""
    units = tmp_path / "units"
    units.mkdir()
    national_workbook(units / "a.xlsx", ProjectSheet(rows=default_rows()), ProjectSheet(title="项目2", project="校舍维修", rows=default_rows()))
    national_workbook(units / "b.xlsx", ProjectSheet(unit="区第二幼儿园", rows=default_rows(), spending=60))
    raw = workbook.workbook_submission(workbook.read(units / "a.xlsx"))
    toml = tmp_path / "a.toml"
    toml.write_text(workbook.to_toml(raw), encoding="utf-8")
    assert main(["score", str(toml), "--ruleset", "national", "--format", "json"]) in (0, 1)
    by_toml = capsys.readouterr().out
    assert main(["score", str(units / "a.xlsx"), "--ruleset", "national", "--format", "json"]) in (0, 1)
    assert capsys.readouterr().out.replace(str(units / "a.xlsx"), "F") == by_toml.replace(str(toml), "F")
    assert main(["table", str(units), "--ruleset", "national", "--format", "csv"]) in (0, 1)
    table = capsys.readouterr().out
    assert "区第一幼儿园" in table and "区第二幼儿园" in table


# --------------------------------------------------------------------------- a real-looking workbook against hand-written TOML

_ACCESS = ProjectSheet(
    title="项目1",
    project="无障碍改造",
    department="区残联",
    unit="区康复中心",
    initial=100,
    budget=120,
    spending=110,
    budget_score=9.17,
    total_score=99.17,
    rows=[
        Row("产出指标", "数量指标", "改造户数", "≥90户", "95户", 20, 20),
        Row("产出指标", "质量指标", "验收合格率", "≥95%", "98%", 15, 15),
        Row("产出指标", "时效指标", "完成及时率", "=100%", "100%", 15, 15),
        Row("效益指标", "社会效益指标", "出行便利程度", "明显改善", "明显改善", 30, 30),
        Row("满意度指标", "服务对象满意度指标", "受益户满意度", "≥90%", "93%", 10, 10),
    ],
)
_REHABILITATION = ProjectSheet(
    title="项目2",
    project="康复救助",
    department="区残联",
    unit="区康复中心",
    initial=80,
    budget=80,
    spending=72.5,
    budget_score=9.06,
    rows=[
        Row("产出指标", "数量指标", "康复训练人次", "≥300人次", "280人次", 25, 23),
        Row("产出指标", "数量指标", "辅具发放", "≥60件", "60件", 10, 10),
        Row("产出指标", "质量指标", "康复有效率", "≥85%", 0.9, 15, 15),  # 0.9 in a cell formatted as %
        Row("效益指标", "社会效益指标", "生活自理能力", "有效提高", "部分提高", 30, 20),
        Row("满意度指标", "服务对象满意度指标", "家属满意度", "≥90%", "91%", 10, 10),
    ],
    percent_cells=("F15",),
)

_ACCESS_TOML = """
format = "perfscore-submission/2"

[unit]
id = "区康复中心"
name = "区康复中心"
year = 2023
money_unit = "万元"

[[projects]]
id = "无障碍改造"
name = "无障碍改造"
level1_weights = { budget = 10, output = 50, benefit = 30, satisfaction = 10 }
self_scores = { budget = 9.17, total = 99.17 }
funds = [{ source = "unspecified", initial_budget = 100, budget = 120, spending = 110 }]
indicators = [
  { level1 = "产出指标", level2 = "数量指标", name = "改造户数", target = "≥90户", actual = "95户", weight = 20, self_score = 20 },
  { level1 = "产出指标", level2 = "质量指标", name = "验收合格率", target = "≥95%", actual = "98%", weight = 15, self_score = 15 },
  { level1 = "产出指标", level2 = "时效指标", name = "完成及时率", target = "=100%", actual = "100%", weight = 15, self_score = 15 },
  { level1 = "效益指标", level2 = "社会效益指标", name = "出行便利程度", target = "明显改善", actual = "明显改善", weight = 30, self_score = 30 },
  { level1 = "满意度指标", level2 = "服务对象满意度指标", name = "受益户满意度", target = "≥90%", actual = "93%", weight = 10, self_score = 10 },
]
"""

_REHABILITATION_PROJECT = """
[[projects]]
id = "康复救助"
name = "康复救助"
level1_weights = { budget = 10, output = 50, benefit = 30, satisfaction = 10 }
self_scores = { budget = 9.06 }
funds = [{ source = "unspecified", initial_budget = 80, budget = 80, spending = 72.5 }]
indicators = [
  { level1 = "产出指标", level2 = "数量指标", name = "康复训练人次", target = "≥300人次", actual = "280人次", weight = 25, self_score = 23 },
  { level1 = "产出指标", level2 = "数量指标", name = "辅具发放", target = "≥60件", actual = "60件", weight = 10, self_score = 10 },
  { level1 = "产出指标", level2 = "质量指标", name = "康复有效率", target = "≥85%", actual = "90%", weight = 15, self_score = 15 },
  { level1 = "效益指标", level2 = "社会效益指标", name = "生活自理能力", target = "有效提高", actual = "部分提高", weight = 30, self_score = 20 },
  { level1 = "满意度指标", level2 = "服务对象满意度指标", name = "家属满意度", target = "≥90%", actual = "91%", weight = 10, self_score = 10 },
]
"""

_REHABILITATION_TOML = _ACCESS_TOML.split("[[projects]]")[0] + _REHABILITATION_PROJECT


def _scored(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """``score PATH --format json`` with the file's own name taken out."""
    assert main(["score", str(path), "--ruleset", "national", "--format", "json"]) in (0, 1)
    return capsys.readouterr().out.replace(str(path), "FILE")


def test_real_looking_workbook_imports_to_toml_that_scores_as_the_hand_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two project sheets with merged 一级/二级 cells and text values import to TOML files that score exactly as the same projects written by hand."""
    path = national_workbook(tmp_path / "区康复中心.xlsx", _ACCESS, _REHABILITATION)
    out = tmp_path / "imported"
    assert _import(path, "-o", out) == 0
    capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["区康复中心-项目1.toml", "区康复中心-项目2.toml"]
    for imported, written in ((out / "区康复中心-项目1.toml", _ACCESS_TOML), (out / "区康复中心-项目2.toml", _REHABILITATION_TOML)):
        by_hand = tmp_path / f"hand-{imported.name}"
        by_hand.write_text(written, encoding="utf-8")
        expected = _scored(by_hand, capsys)
        assert '"total"' in expected
        assert _scored(imported, capsys) == expected


def test_real_looking_workbook_scores_directly_as_the_hand_written_unit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """score on the workbook itself gives exactly what the unit's two projects written by hand in one TOML give."""
    path = national_workbook(tmp_path / "区康复中心.xlsx", _ACCESS, _REHABILITATION)
    by_hand = tmp_path / "unit.toml"
    by_hand.write_text(_ACCESS_TOML + _REHABILITATION_PROJECT, encoding="utf-8")
    assert _scored(path, capsys) == _scored(by_hand, capsys)


# --------------------------------------------------------------------------- damaged zips

def _member_data(data: bytes, name: str) -> tuple[int, int]:
    """Where a member's compressed bytes start in the zip, and how many there are."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    name_length, extra_length = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little"), int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    return info.header_offset + 30 + name_length + extra_length, info.compress_size


def test_a_damaged_compressed_sheet_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A workbook whose sheet's compressed bytes are damaged is refused as a damaged zip, nothing written."""
    path = national_workbook(tmp_path / "d.xlsx", ProjectSheet(rows=default_rows()))
    data = bytearray(path.read_bytes())
    start, size = _member_data(bytes(data), "xl/worksheets/sheet1.xml")
    data[start + size // 3 : start + size // 3 + 16] = bytes(range(200, 216))
    path.write_bytes(bytes(data))
    _bad(tmp_path, capsys, path, "not a workbook: a damaged zip")


_GOOD_WORKBOOK: list[bytes] = []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=4), st.booleans())
def test_a_corrupted_workbook_is_read_or_refused_never_a_crash(tmp_path_factory: pytest.TempPathFactory, changes: list[tuple[float, int]], near_the_end: bool) -> None:
    """Whatever bytes of a workbook are changed (the zip's directory at its end included), it is read or refused with an InputError."""
    if not _GOOD_WORKBOOK:
        _GOOD_WORKBOOK.append(national_workbook(tmp_path_factory.mktemp("good") / "g.xlsx", ProjectSheet(rows=default_rows(), percent_cells=("F13",))).read_bytes())
    data = bytearray(_GOOD_WORKBOOK[0])
    start = len(data) - 1500 if near_the_end else 0
    for where, byte in changes:
        data[start + int(where * (len(data) - start))] = byte
    try:
        workbook.from_sheets(workbook.sheets_from_bytes(bytes(data), "c.xlsx"), "c.xlsx")
    except InputError:
        pass


def test_percent_cells_read_the_same_with_a_formula_in_the_sheet(tmp_path: Path) -> None:
    """A %-formatted 0.95 reads as 95% whether or not the sheet also holds a formula (two ways of finding the cells)."""
    rows = [Row("产出指标", "质量指标", "合格率", "≥90%", 0.95, 50, 50), Row("效益指标", "社会效益指标", "效果", "明显", "明显", 40, 40)]
    plain = national_workbook(tmp_path / "p.xlsx", ProjectSheet(rows=rows, percent_cells=("F13",)))
    with_formula = national_workbook(tmp_path / "f.xlsx", ProjectSheet(rows=rows, percent_cells=("F13",)))
    book = openpyxl.load_workbook(with_formula)
    book["项目1"]["K30"] = "=1+1"  # a formula outside the table: flagged, never read
    book.save(with_formula)
    assert _project(workbook.read(plain)) == _project(workbook.read(with_formula))
    assert _project(workbook.read(plain))["indicators"][0]["actual"] == "95%"
