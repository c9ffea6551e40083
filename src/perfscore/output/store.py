"""What the store's commands print: ingest's summary and errors, a unit's history, the audit trail.

The output stage for :mod:`perfscore.store` (``perfscore ingest``, ``history``, ``explain
--db``, ``review``); ``table --db`` is written by :mod:`perfscore.output.table` like any
table. Words come from ``messages/store.toml``, numbers and times from :mod:`perfscore.numbers`,
and the grid from :func:`perfscore.output.table.draw_grid`. The errors section is the one
``table`` prints.
"""

from __future__ import annotations

from perfscore.messages import message, render_problem
from perfscore.numbers import DASH, moment, plain, signed, whole
from perfscore.output.table import draw_grid
from perfscore.store.history import Audit, UnitHistory
from perfscore.store.ingest import IngestReport
from perfscore.store.review import ADJUST


def ingest_summary(report: IngestReport, db: str, lang: str) -> str:
    """One line of counts, then the incomplete units and the errors section as ``table`` writes them."""
    lines = [
        message(
            "store.ingest_summary", lang, files=whole(report.files), added=whole(len(report.added)), new_versions=whole(len(report.new_versions)),
            unchanged=whole(len(report.unchanged)), failed=whole(len(report.failures)), db=db,
        )
    ]  # fmt: skip
    if report.incomplete:
        lines += ["", f"{message('table.incomplete', lang)}:"] + [f"- {file}: {'; '.join(reasons)}" for file, reasons in report.incomplete]
    if report.failures:
        lines += ["", f"{message('table.errors_count', lang, count=whole(len(report.failures)))}:"]
        lines += [f"- {render_problem(problem, lang)}" for failure in report.failures for problem in failure.problems]
    return "\n".join(lines) + "\n"


def scores_line(self_total: object, computed: object, reviewed: object, lang: str) -> str:
    return message("store.scores", lang, self_total=_score(self_total), computed=_score(computed), reviewed=_score(reviewed))


def _score(value: object) -> str:
    from decimal import Decimal

    return plain(value) if isinstance(value, Decimal) else DASH


def audit_text(audit: Audit, lang: str) -> str:
    """The stored explanation, the three scores, and every review entry with reason, reviewer and time."""
    head = message("store.stored_version", lang, unit=audit.unit, year=whole(audit.year), version=whole(audit.version), file=audit.file_name)
    lines = [head, scores_line(audit.self_total, audit.computed, audit.reviewed, lang), "", audit.explanation.rstrip("\n"), "", message("store.audit_title", lang)]
    withdrawn_by = {entry.withdraws: entry.id for entry in audit.log if entry.withdraws is not None}
    if not audit.log:
        lines.append(message("store.audit_none", lang))
    for entry in audit.log:
        if entry.kind == ADJUST:
            later = withdrawn_by.get(entry.id)
            note = message("store.audit_withdrawn_by", lang, entry=whole(later)) if later is not None else ""
            points = signed(entry.points) if entry.points is not None else DASH
            lines.append("- " + message("store.audit_adjust", lang, entry=whole(entry.id), time=moment(entry.created_at), reviewer=entry.reviewer, target=entry.target, points=points, reason=entry.reason, withdrawn=note))
        else:
            lines.append("- " + message("store.audit_withdraw", lang, entry=whole(entry.id), time=moment(entry.created_at), reviewer=entry.reviewer, withdrawn=whole(entry.withdraws or 0), reason=entry.reason))
    return "\n".join(lines) + "\n"


def history_text(history: UnitHistory, lang: str) -> str:
    """Every version across years: when, which file, which rules, self / computed / reviewed."""
    headers = [message(f"store.header_{key}", lang) for key in ("year", "version", "ingested", "file", "sha", "ruleset", "self_total", "computed_total", "reviewed_total", "grade", "adjustments")]
    rows = [
        [
            whole(version.year), whole(version.version), moment(version.ingested_at), version.file_name, version.sha256[:12], version.ruleset,
            plain(version.self_total), plain(version.computed), plain(version.reviewed), version.grade or DASH, whole(version.adjustments),
        ]
        for version in history.versions
    ]  # fmt: skip
    alignment = ["right", "right", "left", "left", "left", "left", "right", "right", "right", "left", "right"]
    lines = [message("store.history_title", lang, unit=history.unit, unit_id=history.unit_id), ""]
    lines.append(draw_grid(rows, headers, alignment, "simple") if rows else message("table.none", lang))
    if history.failures:
        lines += ["", f"{message('store.failed_title', lang, count=whole(len(history.failures)))}:"]
        for year, when, file, problems in history.failures:
            lines += [f"- {whole(year) if year is not None else DASH} {moment(when)} {problem}" for problem in problems]
    return "\n".join(lines) + "\n"


__all__ = ["audit_text", "history_text", "ingest_summary", "scores_line"]
