"""Output stage, Word: a built document (the unit's report or the bureau's opinion) as .docx bytes.

The narrate stage builds the document once (:class:`~perfscore.narrate.report.Report`, the
same structure the Markdown rendering lays out); this module only sets it in Word with
python-docx, following the 公文 conventions a finance bureau expects (GB/T 9704 in spirit):
a centred title in 宋体, first-level headings in 黑体, second-level in 楷体, body text in
仿宋_GB2312 at 三号 (16 pt) with a two-character first-line indent, tables in 宋体 五号, and
the page number centred in the footer as a PAGE field. Chinese font names are set for East
Asian text through ``w:eastAsia`` (python-docx's ``font.name`` sets only the Latin ones),
Latin text in Times New Roman. A fresh machine without these fonts shows Word's fallback;
nothing here needs a font installed to write the file.

The chart of the score by level is drawn as a table whose cells are shaded in proportion
(one cell a twentieth of full marks): Word draws it from the document itself, so its
Chinese labels render with whatever fonts the reader has, and no image, plotting library
or CJK font file is needed to make it (docs/report.md, "The Word documents").
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import cast

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from perfscore.arithmetic import quantize
from perfscore.narrate.report import Chart, Items, Paragraph, Report, Section, Table
from perfscore.numbers import percent, plain

#: East Asian font of each part of the document (公文: 仿宋 body, 黑体 and 楷体 headings, 宋体 title and tables)
BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "宋体"
HEADING_FONTS = {1: "黑体", 2: "楷体_GB2312", 3: "仿宋_GB2312"}
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
#: sizes: 二号 title, 三号 body and headings, 五号 tables
TITLE_SIZE = Pt(22)
BODY_SIZE = Pt(16)
TABLE_SIZE = Pt(10.5)
#: cells of a full bar in the chart, and the colour of a filled one
BAR_CELLS = 20
BAR_FILL = "4472C4"


def render_docx(report: Report) -> bytes:
    """The document as .docx bytes; the same report gives the same text, tables and chart."""
    document = Document()
    _page_setup(document)
    _styles(document)
    title = document.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(title.add_run(report.title), TITLE_FONT, TITLE_SIZE, bold=True)
    for paragraph in report.preface:
        _body(document, paragraph.text)
    for section in report.sections:
        _section(document, section, 1)
    _page_number_footer(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- the page


def _page_setup(document: DocumentObject) -> None:
    # GB/T 9704: A4, top 3.7 cm, bottom 3.5 cm, left 2.8 cm, right 2.6 cm
    for section in document.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)


def _styles(document: DocumentObject) -> None:
    normal = document.styles["Normal"]
    _style_fonts(normal, BODY_FONT, BODY_SIZE)
    _style_fonts(document.styles["Title"], TITLE_FONT, TITLE_SIZE)
    for level, font in HEADING_FONTS.items():
        _style_fonts(document.styles[f"Heading {level}"], font, BODY_SIZE)


def _style_fonts(style: object, east_asian: str, size: Pt) -> None:
    font = style.font  # type: ignore[attr-defined]
    font.name = LATIN_FONT
    font.size = size
    font.color.rgb = RGBColor(0, 0, 0)
    r_pr = style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    _east_asian(r_pr, east_asian)


def _east_asian(r_pr: object, name: str) -> None:
    fonts = r_pr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)  # type: ignore[attr-defined]
    for attribute in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attribute), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), name)
    # a theme's East Asian font would win over the name in Word: drop it
    for attribute in ("w:eastAsiaTheme", "w:asciiTheme", "w:hAnsiTheme"):
        if fonts.get(qn(attribute)) is not None:
            del fonts.attrib[qn(attribute)]


def _fonts(run: Run, east_asian: str, size: Pt, bold: bool | None = None) -> Run:
    run.font.name = LATIN_FONT
    run.font.size = size
    if bold is not None:
        run.bold = bold
    _east_asian(run._element.get_or_add_rPr(), east_asian)
    return run


def _page_number_footer(document: DocumentObject) -> None:
    """— 1 — centred in the footer: a PAGE field, so Word numbers every page."""
    for section in document.sections:
        paragraph = section.footer.paragraphs[0] if section.footer.paragraphs else section.footer.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _fonts(paragraph.add_run("— "), TABLE_FONT, Pt(14))
        # begin, instruction, separate, the shown number, end: each in its own run, as Word writes them
        for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
            run = _fonts(paragraph.add_run(), TABLE_FONT, Pt(14))
            if kind is not None:
                char = OxmlElement("w:fldChar")
                char.set(qn("w:fldCharType"), kind)
                run._element.append(char)
            elif text == " PAGE ":
                instruction = OxmlElement("w:instrText")
                instruction.set(qn("xml:space"), "preserve")
                instruction.text = text
                run._element.append(instruction)
            else:
                run.text = str(text)
        _fonts(paragraph.add_run(" —"), TABLE_FONT, Pt(14))


# --------------------------------------------------------------------------- the content


def _section(document: DocumentObject, section: Section, depth: int) -> None:
    heading = document.add_heading(level=min(depth, 3))
    _fonts(heading.add_run(section.heading), HEADING_FONTS[min(depth, 3)], BODY_SIZE, bold=depth > 1)
    for block in section.blocks:
        if isinstance(block, Paragraph):
            _body(document, block.text)
        elif isinstance(block, Table):
            if block.caption:
                _caption(document, block.caption)
            _table(document, block.headers, block.rows)
        elif isinstance(block, Chart):
            _chart(document, block)
        elif isinstance(block, Items):
            for item in block.items:
                paragraph = _body(document, "")
                _fonts(paragraph.add_run(item.heading.rstrip()), BODY_FONT, BODY_SIZE, bold=True)
                if item.heading.endswith(" "):
                    _fonts(paragraph.add_run(" "), BODY_FONT, BODY_SIZE)
                _fonts(paragraph.add_run(item.body), BODY_FONT, BODY_SIZE)
    for child in section.subsections:
        _section(document, child, depth + 1)


def _body(document: DocumentObject, text: str) -> DocxParagraph:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(32)  # two characters of 三号
    paragraph.paragraph_format.line_spacing = Pt(28)
    if text:
        _fonts(paragraph.add_run(text), BODY_FONT, BODY_SIZE)
    return paragraph


def _caption(document: DocumentObject, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(paragraph.add_run(text), TABLE_FONT, TABLE_SIZE, bold=True)


def _table(document: DocumentObject, headers: list[str], rows: list[list[str]]) -> DocxTable:
    table = document.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row_index, values in enumerate([headers, *rows]):
        for column, value in enumerate(values):
            _cell_text(table.cell(row_index, column), value, bold=row_index == 0)
    _repeat_header(table)
    return cast(DocxTable, table)


def _cell_text(cell: object, text: str, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    _fonts(paragraph.add_run(text), TABLE_FONT, TABLE_SIZE, bold=bold)


def _repeat_header(table: DocxTable) -> None:
    properties = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _chart(document: DocumentObject, chart: Chart) -> None:
    """Label | BAR_CELLS cells, the earned share shaded | earned/full and the share."""
    _caption(document, chart.caption)
    table = document.add_table(rows=1 + len(chart.bars), cols=BAR_CELLS + 2)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header = table.rows[0].cells
    _cell_text(header[0], chart.headers[0], bold=True)
    bar_header = header[1].merge(header[BAR_CELLS])
    _cell_text(bar_header, chart.headers[2], bold=True)
    _cell_text(header[BAR_CELLS + 1], chart.headers[1], bold=True)
    for row_index, bar in enumerate(chart.bars, start=1):
        cells = table.rows[row_index].cells
        _cell_text(cells[0], bar.label)
        filled = _filled_cells(bar.share)
        for position in range(BAR_CELLS):
            if position < filled:
                _shade(cells[1 + position], BAR_FILL)
        _cell_text(cells[BAR_CELLS + 1], f"{plain(bar.earned)}/{plain(bar.full)} ({percent(bar.share)})")
    for row in table.rows:
        row.cells[0].width = Cm(3.2)
        for position in range(BAR_CELLS):
            row.cells[1 + position].width = Cm(0.4)
        row.cells[BAR_CELLS + 1].width = Cm(3.6)


def _filled_cells(share: Decimal) -> int:
    return int(quantize(share * BAR_CELLS, 0))


def _shade(cell: object, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


__all__ = ["BAR_CELLS", "BODY_FONT", "HEADING_FONTS", "TABLE_FONT", "TITLE_FONT", "render_docx"]
