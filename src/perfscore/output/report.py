"""Output stage, the report: a :class:`~perfscore.narrate.report.Report` as markdown, text or JSON.

The narrate stage builds the report as a document (:func:`perfscore.narrate.report.build_report`);
this module only lays it out: headings, paragraphs, tables drawn by tabulate, and the
numbered items (bold headings in markdown, escaped so finding text is never read as
markup). The same report gives the same bytes. The report template's names are
re-exported here, so that ``perfscore report``'s whole public face is one import.
"""

from __future__ import annotations

import json
from decimal import Decimal

from tabulate import tabulate

from perfscore.arithmetic import quantize
from perfscore.find import Evaluation
from perfscore.narrate.report import Chart, Paragraph, Report, Section, Table, build_report
from perfscore.numbers import percent, plain
from perfscore.narrate.template import DEFAULT_TEMPLATE, HEADER_KEYS, LANGS, TEXT_KEYS, ReportTemplate, load_report_template

FORMATS = ("markdown", "text", "json")


def render_report(evaluation: Evaluation, fmt: str = "markdown", lang: str = "zh", template: ReportTemplate | None = None) -> str:
    """The full report (一 to 六) as markdown, plain text or JSON; same input, same bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    return render_document(build_report(evaluation, lang, template), fmt)


def render_document(report: Report, fmt: str = "markdown") -> str:
    """A built document (the unit's report or the bureau's opinion) as markdown, text or JSON."""
    if fmt == "json":
        return report_json(report)
    return report_markdown(report) if fmt == "markdown" else report_text(report)


def report_json(report: Report) -> str:
    """The report as the documented JSON (docs/report.md)."""
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"


def report_markdown(report: Report) -> str:
    """The report as GitHub-flavoured markdown."""
    return _render(report, markdown=True)


def report_text(report: Report) -> str:
    """The report as plain text: no markdown headings, bold or pipes."""
    return _render(report, markdown=False)


def _render(report: Report, markdown: bool) -> str:
    out = [f"# {report.title}" if markdown else report.title, ""]
    for paragraph in report.preface:
        out += [paragraph.text, ""]

    def section(node: Section, depth: int) -> None:
        out.extend([f"{'#' * depth} {node.heading}" if markdown else node.heading, ""])
        for block in node.blocks:
            if isinstance(block, Paragraph):
                out.extend([block.text, ""])
            elif isinstance(block, Table):
                if block.caption:
                    out.extend([block.caption, ""])
                table = tabulate(block.rows, headers=block.headers, tablefmt="github" if markdown else "simple", disable_numparse=True)
                out.extend([table, ""])
            elif isinstance(block, Chart):
                out.extend([block.caption, ""])
                rows = [[bar.label, f"{plain(bar.earned)}/{plain(bar.full)}", f"{_bar(bar.share)} {percent(bar.share)}"] for bar in block.bars]
                out.extend([tabulate(rows, headers=block.headers, tablefmt="github" if markdown else "simple", disable_numparse=True), ""])
            else:
                for item in block.items:
                    if markdown:
                        gap = " " if item.heading.endswith(" ") else ""
                        out.extend([f"**{_md_escape(item.heading.rstrip())}**{gap}{_md_escape(item.body)}", ""])
                    else:
                        out.extend([item.text, ""])
        for child in node.subsections:
            section(child, depth + 1)

    for node in report.sections:
        section(node, 2)
    return "\n".join(out).rstrip("\n") + "\n"


#: how many blocks a full bar of a text chart has
BAR_WIDTH = 20


def _bar(share: Decimal) -> str:
    """A share (0 to 1) as a bar of block characters, rounded to the nearest block."""
    filled = int(quantize(share * BAR_WIDTH, 0))
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def _md_escape(text: str) -> str:
    # finding text is plain; keep it from being read as markdown emphasis or a table cell
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("|", "\\|")


__all__ = [
    "DEFAULT_TEMPLATE",
    "FORMATS",
    "HEADER_KEYS",
    "LANGS",
    "TEXT_KEYS",
    "ReportTemplate",
    "load_report_template",
    "render_document",
    "render_report",
    "report_json",
    "report_markdown",
    "report_text",
]
