"""A unit, one of its projects, one indicator row (:mod:`perfscore.web.views`), and its report and opinion as Word.

Each page shows the three scores side by side — the unit's own (自评), the computed and the
reviewed — the explanation of every point as the store kept it, the findings, the review log
and the review form for what the page shows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from perfscore.messages import pick
from perfscore.numbers import moment, plain, signed, whole
from perfscore.store.review import in_force
from perfscore.store.schema import FindingRecord, ProjectScore
from perfscore.web.data import NotFound, UnitPage, unit_page
from perfscore.web.pages import Page

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _unit(page: Page) -> UnitPage:
    params = page.request.path_params
    return unit_page(page.state.reader, str(params["unit"]), int(params["year"]), page.state.texts, page.lang)


def _log(page: Page, unit: UnitPage) -> list[dict[str, Any]]:
    withdrawn = {entry.withdraws: entry.id for entry in unit.log if entry.withdraws is not None}
    return [
        {
            "id": entry.id, "kind": page.msg(f"log_{entry.kind}"), "adjust": entry.kind == "adjust", "target": entry.target or "",
            "points": signed(entry.points) if entry.points is not None else "", "withdraws": whole(entry.withdraws) if entry.withdraws else "",
            "withdrawn_by": withdrawn.get(entry.id), "reason": entry.reason, "reviewer": entry.reviewer, "at": moment(entry.created_at),
        }  # fmt: skip
        for entry in unit.log
    ]


def _findings(page: Page, findings: list[FindingRecord]) -> list[dict[str, str]]:
    return [
        {"severity": page.msg(f"severity_{finding.severity}"), "title": pick((finding.title_zh, finding.title_en), page.lang), "problem": pick((finding.problem_zh, finding.problem_en), page.lang), "improvement": pick((finding.improvement_zh, finding.improvement_en), page.lang), "indicator": finding.indicator or ""}
        for finding in findings
    ]


def _grade(unit: UnitPage, total: Decimal | None, lang: str) -> str:
    grade = unit.info.grade_for(total)
    names = {name: pick((name, name_en), lang) for name, name_en, _ in unit.info.grades}
    return names.get(grade, "—") if grade is not None else "—"


def _common(page: Page, unit: UnitPage) -> dict[str, Any]:
    submission = unit.submission
    return {
        "unit": unit, "submission": submission, "log": _log(page, unit), "targets": unit.targets(), "plain": plain,
        "in_force": len(in_force(unit.log)), "reviewed_total": unit.reviewed.total, "reviewed_grade": _grade(unit, unit.reviewed.total, page.lang),
        "computed_grade": _grade(unit, submission.total, page.lang), "signed_name": page.session.name,
    }  # fmt: skip


def unit_view(page: Page) -> Response:
    unit = _unit(page)
    projects = []
    for project in unit.projects:
        figures = unit.reviewed.projects.get(project.project_id)
        projects.append({"project": project, "reviewed": figures.total if figures is not None else project.total})
    return page.render("unit.html", projects=projects, findings=_findings(page, [f for f in unit.findings if not f.project]), all_findings=len(unit.findings), selected="", back="unit", **_common(page, unit))


def _project(page: Page, unit: UnitPage) -> ProjectScore:
    return unit.project(str(page.request.path_params["project"]))


def project_view(page: Page) -> Response:
    unit = _unit(page)
    project = _project(page, unit)
    figures = unit.reviewed.projects.get(project.project_id)
    levels = [{"level": level, "name": pick((level.name, level.name_en), page.lang), "reviewed": figures.points.get(level.level) if figures is not None else level.score} for level in unit.levels.get(project.position, [])]
    rows = [{"row": row, "reviewed": unit.reviewed_row(project, row), "adjusted": unit.row_adjustment(project, row) is not None} for row in unit.rows.get(project.position, [])]
    return page.render(
        "project.html", project=project, levels=levels, rows=rows, project_reviewed=figures.total if figures is not None else project.total,
        explanation=unit.explanation_blocks(page.lang, project), findings=_findings(page, [f for f in unit.findings if f.project == project.project_id]),
        selected=project.project_id, back="project", **_common(page, unit),
    )  # fmt: skip


def row_view(page: Page) -> Response:
    unit = _unit(page)
    project = _project(page, unit)
    row = unit.row(project, str(page.request.path_params["indicator"]))
    blocks = unit.explanation_blocks(page.lang, project, row.indicator)
    findings = [f for f in unit.findings if f.project == project.project_id and f.indicator == row.indicator]
    return page.render(
        "row.html", project=project, row=row, reviewed=unit.reviewed_row(project, row), adjustment=unit.row_adjustment(project, row),
        explanation=blocks, findings=_findings(page, findings), selected=f"{project.project_id}/{row.indicator}", back="row", **_common(page, unit),
    )  # fmt: skip


def _attachment(unit: UnitPage, kind: str, lang: str) -> dict[str, str]:
    name = f"{unit.submission.unit_id}-{unit.submission.year}-{kind}-{lang}.docx"
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"}


def report_docx(page: Page) -> Response:
    unit = _unit(page)
    return Response(page.state.documents.report(unit, page.lang), media_type=DOCX, headers=_attachment(unit, "report", page.lang))


def opinion_docx(page: Page) -> Response:
    unit = _unit(page)
    return Response(page.state.documents.opinion(unit, page.lang), media_type=DOCX, headers=_attachment(unit, "opinion", page.lang))


__all__ = ["NotFound", "opinion_docx", "project_view", "report_docx", "row_view", "unit_view"]
