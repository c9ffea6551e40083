"""The documents a bureau sends back and publishes (issue 14), read back as a person would.

`perfscore report --format docx` and `perfscore opinion` are run through the CLI on the seed
unit; each .docx is opened with python-docx and its headings, tables, fonts, chart,
page-number field and text are checked. The opinion is checked in both languages and
against golden texts; the CLI's own language (help, errors) is checked with and without
--lang and LANG.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from perfscore.cli import main
from perfscore.messages import interface_language
from perfscore.output.docx import BAR_CELLS, BODY_FONT, HEADING_FONTS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = bool(os.environ.get("PERFSCORE_UPDATE_GOLDEN"))


def _run(*argv: str) -> int:
    return main(list(argv))


def _docx(seed_path: Path, tmp_path: Path, command: str, lang: str = "zh") -> docx.document.Document:
    out = tmp_path / f"{command}.{lang}.docx"
    assert _run(command, str(seed_path), "--format", "docx", "--lang", lang, "-o", str(out)) == 0
    return docx.Document(str(out))


def _text(document: docx.document.Document) -> str:
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def _east_asian_fonts(document: docx.document.Document) -> set[str]:
    fonts = set()
    for element in document.element.body.iter(qn("w:rFonts")):
        name = element.get(qn("w:eastAsia"))
        if name:
            fonts.add(name)
    return fonts


def test_report_docx_has_sections_one_to_six(seed_path, tmp_path):
    """The Word report has the title and the headings 一 to 六, at heading levels 1 and 2."""
    document = _docx(seed_path, tmp_path, "report")
    assert document.paragraphs[0].style.name == "Title"
    assert document.paragraphs[0].text == "区残联2022年度项目支出绩效自评报告"
    level1 = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert [h[:2] for h in level1] == ["一、", "二、", "三、", "四、", "五、", "六、"]
    assert "（一）项目支出资金概况" in [p.text for p in document.paragraphs if p.style.name == "Heading 2"]


def test_report_docx_tables_hold_funds_and_self_score_beside_computed(seed_path, tmp_path):
    """The funds table lists every project and the total; the indicator table has 自评得分 beside 计算得分."""
    document = _docx(seed_path, tmp_path, "report")
    funds = document.tables[0]
    assert funds.rows[0].cells[0].text == "项目名称"
    assert [row.cells[0].text for row in funds.rows][-1] == "合计"
    assert "165.41%" in [cell.text for cell in funds.rows[-1].cells]
    targets = next(t for t in document.tables if t.rows[0].cells[0].text == "项目" and "计算得分" in [c.text for c in t.rows[0].cells])
    headers = [cell.text for cell in targets.rows[0].cells]
    assert headers.index("自评得分") + 1 == headers.index("计算得分")


def test_report_docx_uses_official_fonts_for_chinese(seed_path, tmp_path):
    """Body text is 仿宋_GB2312 and headings 黑体, set for East Asian text (w:eastAsia); tables 宋体."""
    document = _docx(seed_path, tmp_path, "report")
    fonts = _east_asian_fonts(document)
    assert {BODY_FONT, HEADING_FONTS[1], "宋体"} <= fonts
    heading = next(p for p in document.paragraphs if p.style.name == "Heading 1")
    assert heading.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"


def test_report_docx_numbers_its_pages(seed_path, tmp_path):
    """The footer holds a PAGE field, so Word numbers every page."""
    document = _docx(seed_path, tmp_path, "report")
    footer = document.sections[0].footer._element
    instructions = [node.text for node in footer.iter(qn("w:instrText"))]
    assert [text.strip() for text in instructions] == ["PAGE"]
    kinds = [node.get(qn("w:fldCharType")) for node in footer.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"]


def test_report_docx_has_the_chart_of_the_score_by_level(seed_path, tmp_path):
    """The chart shows each level with its earned/full and a bar shaded in proportion."""
    document = _docx(seed_path, tmp_path, "report")
    assert "图1 单位各一级指标得分（实得分/满分）" in _text(document)
    chart = next(t for t in document.tables if len(t.columns) == BAR_CELLS + 2)
    rows = {row.cells[0].text: row for row in chart.rows[1:]}
    assert set(rows) == {"预算执行率", "产出指标", "效益指标", "满意度指标"}

    def shaded(row) -> int:
        return sum(1 for cell in row.cells[1:-1] if cell._tc.tcPr is not None and cell._tc.tcPr.find(qn("w:shd")) is not None)

    assert rows["预算执行率"].cells[-1].text.startswith("9.81/10.00")
    assert shaded(rows["预算执行率"]) == 20  # 98.10% → 20 of 20 cells
    assert shaded(rows["产出指标"]) == 11  # 53.44% → 11 of 20
    assert shaded(rows["效益指标"]) == 0


def test_report_docx_holds_the_narrative_of_the_markdown(seed_path, tmp_path):
    """Word and Markdown are two renderings of one narrative: every problem item is in both."""
    document = _docx(seed_path, tmp_path, "report")
    out = tmp_path / "r.json"
    assert _run("report", str(seed_path), "--format", "json", "-o", str(out)) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    problems = next(s for s in data["sections"] if s["id"] == "problems")
    text = _text(document)
    for item in problems["blocks"][1]["items"]:
        assert item["text"] in text


def test_opinion_docx_reads_as_the_bureau(seed_path, tmp_path):
    """The opinion is addressed to the unit, speaks of it in the third person and has 一 to 四."""
    document = _docx(seed_path, tmp_path, "opinion")
    text = _text(document)
    assert document.paragraphs[0].text == "关于区残联2022年度项目支出绩效自评的评价意见"
    assert "该单位" in text and "我单位" not in text
    level1 = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert level1 == ["一、评价结论", "二、存在的问题", "三、整改要求", "四、评价依据"]
    assert "36.53" in text and "差" in text
    assert document.tables and document.tables[0].rows[-1].cells[0].text == "单位综合"
    assert [n.text.strip() for n in document.sections[0].footer._element.iter(qn("w:instrText"))] == ["PAGE"]


def test_opinion_asks_for_corrections_by_a_deadline_with_evidence(seed_path, tmp_path):
    """Each problem gets a requirement: what to correct, by when, and what to send back."""
    out = tmp_path / "o.json"
    assert _run("opinion", str(seed_path), "--format", "json", "--deadline", "2023-06-30", "-o", str(out)) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["format"] == "perfscore-opinion/1" and data["deadline"] == "2023-06-30"
    sections = {s["id"]: s for s in data["sections"]}
    problems = [item for sub in sections["problems"]["subsections"] for block in sub["blocks"] for item in block["items"]]
    requirements = sections["requirements"]["blocks"][1]["items"]
    assert "2023-06-30前" in sections["requirements"]["blocks"][0]["text"]
    assert [r["refers_to"] for r in requirements] == [p["number"] for p in problems] == list(range(1, len(problems) + 1))
    for requirement in requirements:
        assert "整改：" in requirement["body"] and "报送材料：" in requirement["body"]
    overspent = next(r for r in requirements if r["finding_id"] == "execution_rate_above")
    assert "超支部分的资金来源文件" in overspent["body"]
    basis = sections["basis"]["blocks"][0]["text"]
    assert data["ruleset"]["fingerprint"] in basis and data["ruleset"]["version"] in basis


def test_opinion_groups_problems_by_theme(seed_path, tmp_path):
    """存在的问题 is grouped by theme: budget and targets first, then each work area."""
    out = tmp_path / "o.json"
    assert _run("opinion", str(seed_path), "--format", "json", "-o", str(out)) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    themes = [s["heading"] for s in next(s for s in data["sections"] if s["id"] == "problems")["subsections"]]
    assert themes[0] == "（一）预算编制、执行与绩效目标"
    assert any("康复" in theme for theme in themes) and len(themes) == len(set(themes))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_golden_seed_opinion(seed_path, tmp_path, lang):
    """The seed's opinion matches tests/golden/seed_opinion.<lang>.md byte for byte."""
    out = tmp_path / f"o.{lang}.md"
    assert _run("opinion", str(seed_path), "--lang", lang, "--deadline", "2023-06-30", "-o", str(out)) == 0
    text = out.read_text(encoding="utf-8")
    golden = GOLDEN / f"seed_opinion.{lang}.md"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
        pytest.skip(f"regenerated {golden.name}")
    assert text == golden.read_text(encoding="utf-8"), f"{golden.name} differs; review, then regenerate with PERFSCORE_UPDATE_GOLDEN=1"


def test_english_opinion_speaks_of_the_unit(seed_path, tmp_path):
    """The English opinion is in the third person too, with English units."""
    document = _docx(seed_path, tmp_path, "opinion", "en")
    text = _text(document)
    assert "The unit" in text or "the unit" in text
    assert "Opinion on the 2022" in document.paragraphs[0].text
    assert "ten-thousand yuan" in text


def test_missing_file_is_explained_in_chinese_by_default(tmp_path, capsys, monkeypatch):
    """`perfscore score nosuchfile` says 文件不存在 with no --lang and no LANG; English with --lang en."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    assert _run("score", str(tmp_path / "nosuchfile")) == 2
    assert "文件不存在" in capsys.readouterr().err
    assert _run("score", str(tmp_path / "nosuchfile"), "--lang", "en") == 2
    assert "file not found" in capsys.readouterr().err


def test_language_follows_the_flag_then_the_environment():
    """--lang wins; else LC_ALL, LC_MESSAGES or LANG; else zh."""
    assert interface_language(["score", "x", "--lang", "en"], {"LANG": "zh_CN.UTF-8"}) == "en"
    assert interface_language(["score", "--lang=zh"], {"LANG": "en_US.UTF-8"}) == "zh"
    assert interface_language(["score"], {"LANG": "en_US.UTF-8"}) == "en"
    assert interface_language(["score"], {"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US"}) == "zh"
    assert interface_language(["score"], {"LANG": "C.UTF-8"}) == "zh"
    assert interface_language(["score"], {}) == "zh"


def test_help_is_in_the_users_language(capsys, monkeypatch):
    """--help is written in the tool's language, known before parsing."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    with pytest.raises(SystemExit):
        main(["report", "--help", "--lang", "zh"])
    out = capsys.readouterr().out
    assert "用法：" in out and "显示本帮助并退出" in out and "生成完整的自评报告" in out
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = capsys.readouterr().out
    assert "usage:" in out and "show this help message and exit" in out


def test_schema_errors_are_worded_in_chinese(data_dir, capsys, monkeypatch):
    """A schema error (pydantic's type) reads in Chinese, its key path kept; --lang en keeps pydantic's English."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    assert _run("check", str(data_dir / "schema_errors.toml")) == 2
    zh = capsys.readouterr().err
    assert "缺少必填项" in zh or "应为" in zh or "未知的键" in zh
    assert _run("check", str(data_dir / "schema_errors.toml"), "--lang", "en") == 2
    en = capsys.readouterr().err
    assert en.count("perfscore:") == zh.count("perfscore:")
    assert "缺少必填项" not in en and "应为" not in en
