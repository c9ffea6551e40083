"""Narrate stage: findings and scores → the narrative (四、五) and the self-evaluation report.

``template`` loads and checks the report's wording (templates/report.toml); ``wording``
numbers items and cuts text to a length; ``narrative`` turns findings into numbered
problems, measures and notes; ``report`` builds the whole report as a document. Rendering
it as markdown, text or JSON is the output stage's (:mod:`perfscore.output.report`).
"""

from __future__ import annotations

from perfscore.narrate.narrative import DEFAULT_MAX_CHARS, Narrative, NarrativeItem, build_narrative
from perfscore.narrate.report import Report, build_report
from perfscore.narrate.template import LANGS, ReportTemplate, load_report_template
from perfscore.narrate.wording import chinese_numeral, shorten

__all__ = [
    "DEFAULT_MAX_CHARS",
    "LANGS",
    "Narrative",
    "NarrativeItem",
    "Report",
    "ReportTemplate",
    "build_narrative",
    "build_report",
    "chinese_numeral",
    "load_report_template",
    "shorten",
]
