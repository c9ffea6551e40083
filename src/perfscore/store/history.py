"""Reading the store back: a year's table, a unit's history, its explanation and audit trail.

The store's last step (:mod:`perfscore.store`), read by :mod:`perfscore.cli` and rendered by
:mod:`perfscore.output.store`. A year's table is built from stored figures as the batch's
own summaries (:class:`perfscore.batch.run.Scored`), so :func:`perfscore.batch.table.build_table`
checks comparability, ranks and summarises exactly as ``perfscore table`` does, and
:mod:`perfscore.output.table` writes the same columns and formats. Each unit is its latest
stored version for the year; its total is the reviewed score (computed + adjustments in
force, :mod:`.review`), and the table gains two columns beside it: the unit's own stated
total (自评分) and the computed score.
"""

from __future__ import annotations

import datetime
import gc
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterator

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from perfscore.arithmetic import ZERO, quantize
from perfscore.batch.run import Failed, Part, RulesetInfo, Scored
from perfscore.batch.table import Column, Table, TableOptions, build_table, sort_rows
from perfscore.messages import message, pick
from perfscore.numbers import whole
from perfscore.store.codec import info_from_json, points_from_json, problems_from_json
from perfscore.store.database import Store
from perfscore.store.review import Reviewed, entries, in_force, latest_submission, reviewed
from perfscore.store.schema import FailedIngest, ReviewEntry, RulesetRecord, Submission

if TYPE_CHECKING:
    from perfscore.engine import Engine
    from perfscore.store.explanation import Explain

#: the columns a table from the store adds, placed before the (reviewed) total
STORE_COLUMNS = ("self_total", "computed_total")


@dataclass(slots=True)
class YearData:
    scored: list[Scored]
    failed: list[Failed]
    #: row key → (self-score, computed score)
    beside: dict[str, tuple[Decimal | None, Decimal | None]]
    reviewed_units: int


def _stored(name: str, columns: str, decimals: str = "") -> Any:
    """A row class for one of :func:`year_data`'s queries: its columns by name, and which of
    them hold decimals as text (:class:`perfscore.store.schema.DecimalText`)."""
    names = columns.split()
    row = namedtuple(name, names)  # type: ignore[misc]
    row.decimals = tuple(names.index(column) for column in decimals.split())  # type: ignore[attr-defined]
    return row


#: what a year's table reads of each table (never the texts)
_SUBMISSION = _stored(
    "StoredSubmission",
    "id unit_id unit_name file_name synthetic year ruleset_ref declared_ruleset declared_fingerprint budget spending total grade self_total points problems warnings infos missing_required incomplete",
    "budget spending total self_total",
)
_AREA_IN_FULL = _stored("StoredAreaInFull", "submission_id area score earned possible problems warnings infos", "score earned possible")
_PROJECT = _stored(
    "StoredProject",
    "submission_id position project_id name area budget spending total grade self_total problems warnings infos missing_required",
    "budget spending total self_total",
)
_LEVEL = _stored("StoredLevel", "submission_id project_position level score", "score")


def _latest_ids_sql(year: int) -> str:
    """The ids of the year's latest versions, as SQL for ``IN (…)``: a year's rows of every
    other table are read by it in one statement (an IN list of 10,000 ids cost more than
    reading). ``year`` is an int, written as one."""
    return f"SELECT s.id FROM submissions s WHERE {_latest_where(year)}"


def _latest_where(year: int) -> str:
    """The condition on ``submissions s`` that keeps the year's latest versions."""
    year = int(year)
    return f"s.year = {year} AND s.version = (SELECT MAX(n.version) FROM submissions n WHERE n.unit_id = s.unit_id AND n.year = {year})"


def _read(cursor: Any, row: Any, table: str, where: str) -> list[Any]:
    """``row``'s columns of ``table`` where ``where``, through the driver's own cursor: plain
    tuples, each decimal column made a Decimal here (SQLAlchemy's result objects and type
    processing cost more than the queries did)."""
    cursor.execute(f"SELECT {', '.join(row._fields)} FROM {table} WHERE {where}")
    decimals = row.decimals
    make = row._make
    rows = []
    for values in cursor.fetchall():
        values = list(values)
        for index in decimals:
            value = values[index]
            if value is not None:
                values[index] = Decimal(value)
        rows.append(make(values))
    return rows


@contextmanager
def _uncollected() -> Iterator[None]:
    """The cyclic garbage collector paused: a year's rows and summaries make no reference
    cycles, and each collection while they are made would walk all of them again (a fifth
    of ``table --db``'s time for 10,000 units)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def year_data(session: Session, year: int, by: str) -> YearData:
    """The year's latest versions as the batch's summaries, with reviewed totals.

    Only the columns the table shows are read, as rows of the driver (:func:`_read`), each
    other table by the year's subquery (:func:`_latest_ids_sql`); the full Submission is
    loaded only for a unit with adjustments in force, whose reviewed score is added up again.
    """
    with _uncollected():
        return _year_data(session, year, by)


def _year_data(session: Session, year: int, by: str) -> YearData:
    latest = _latest_ids_sql(year)
    in_latest = f"submission_id IN ({latest})"
    cursor = session.connection().connection.cursor()
    try:
        submissions = _read(cursor, _SUBMISSION, "submissions s", f"{_latest_where(year)} ORDER BY s.unit_id")
        areas: dict[int, list[Any]] = {}
        #: by unit: each submission's area scores
        area_scores: dict[int, dict[str, Decimal | None]] = {}
        projects: dict[int, list[Any]] = {}
        levels: dict[tuple[int, int], dict[str, Decimal]] = {}
        if submissions and by == "unit":
            cursor.execute(f"SELECT submission_id, area, score FROM area_scores WHERE {in_latest}")
            for submission_id, area, score in cursor.fetchall():
                scores = area_scores.get(submission_id)
                if scores is None:
                    scores = area_scores[submission_id] = {}
                scores[area] = None if score is None else Decimal(score)
        elif submissions:
            if by == "area":  # an area's findings and earned/possible points (projects' rows need no area)
                for area in _read(cursor, _AREA_IN_FULL, "area_scores", in_latest):
                    areas.setdefault(area.submission_id, []).append(area)
            for project in _read(cursor, _PROJECT, "project_scores", in_latest):
                projects.setdefault(project.submission_id, []).append(project)
            for level in _read(cursor, _LEVEL, "level_scores", in_latest):
                levels.setdefault((level.submission_id, level.project_position), {})[level.level] = level.score if level.score is not None else ZERO
    finally:
        cursor.close()
    infos = {record_id: info_from_json(info) for record_id, info in session.execute(select(RulesetRecord.id, RulesetRecord.info))}
    declared = {submission.id: (submission.declared_ruleset, submission.declared_fingerprint) for submission in submissions}
    logs: dict[int, list[ReviewEntry]] = {}
    if submissions:
        for entry in session.scalars(select(ReviewEntry).where(ReviewEntry.submission_id.in_(select(Submission.id).where(text(f"submissions.id IN ({latest})")))).order_by(ReviewEntry.id)):
            logs.setdefault(entry.submission_id, []).append(entry)
    reviews: dict[int, Reviewed] = {}
    for submission_id, log in logs.items():
        force = in_force(log)
        if force:
            stored = session.get(Submission, submission_id)
            assert stored is not None  # the log's foreign key
            reviews[submission_id] = reviewed(session, stored, force)
    scored: list[Scored] = []
    beside: dict[str, tuple[Decimal | None, Decimal | None]] = {}
    #: by area: area → [Σ self × budget, Σ budget of the projects stating one, Σ computed × budget, Σ budget, places]
    area_sums: dict[str, list[Any]] = {}
    for submission in submissions:
        info = infos[submission.ruleset_ref]
        review = reviews.get(submission.id)
        if by == "unit":
            scores = area_scores.get(submission.id, {})
            total = review.total if review is not None else submission.total
            points = review.points if review is not None else _points(submission)
            parts = [
                Part(
                    key=submission.unit_id,
                    budget=submission.budget,
                    spending=submission.spending,
                    points=points,
                    total=total,
                    grade=info.grade_for(total) if review is not None else submission.grade,
                    findings=(submission.problems, submission.warnings, submission.infos),
                    area_scores={area: scores.get(area) for area, _, _ in info.areas},
                    missing_required=tuple(submission.missing_required.split()),
                )
            ]
            beside[submission.unit_id] = (submission.self_total, submission.total)
        else:
            unit_areas = {area.area: area for area in areas.get(submission.id, [])}
            parts = _project_parts(submission, info, review, sorted(projects.get(submission.id, []), key=lambda p: p.position), levels, unit_areas, by, beside, area_sums)
        scored.append(
            Scored(
                file=submission.file_name,
                unit_id=submission.unit_id,
                unit=submission.unit_name,
                year=submission.year,
                synthetic=bool(submission.synthetic),
                ruleset=info,
                declared=declared[submission.id],
                parts=parts,
                incomplete=tuple(line for line in submission.incomplete.split("\n") if line),
            )
        )
    for area, (self_points, self_budget, computed_points, budget, places) in area_sums.items():
        # as the area's (reviewed) total is made of its projects' totals: budget-weighted means
        beside[area] = (quantize(self_points / self_budget, places) if self_budget > ZERO else None, quantize(computed_points / budget, places) if budget > ZERO else None)
    stored_units = {submission.unit_id for submission in submissions}
    failed = [
        Failed(record.file_name, problems_from_json(record.problems))
        for record in session.scalars(select(FailedIngest).where(FailedIngest.year == year).order_by(FailedIngest.file_name, FailedIngest.id))
        if record.unit_id not in stored_units
    ]
    return YearData(scored, failed, beside, len(reviews))


def _points(submission: Any) -> dict[str, Decimal]:
    return points_from_json(submission.points)


def _project_parts(
    submission: Any, info: RulesetInfo, review: Reviewed | None, projects: list[Any], levels: dict[tuple[int, int], dict[str, Decimal]], unit_areas: dict[str, Any], by: str,
    beside: dict[str, tuple[Decimal | None, Decimal | None]], area_sums: dict[str, list[Any]],
) -> list[Part]:  # fmt: skip
    parts: list[Part] = []
    shares: dict[str, Part] = {}
    for project in projects:
        figures = review.projects.get(project.project_id) if review is not None else None
        points = figures.points if figures is not None else levels.get((submission.id, project.position), {})
        total = figures.total if figures is not None else project.total
        grade = info.grade_for(total) if figures is not None else project.grade
        if by == "project":
            key = f"{submission.unit_id}/{project.project_id}"
            parts.append(
                Part(
                    key=key,
                    budget=project.budget,
                    spending=project.spending,
                    points={level: quantize(value, info.places) for level, value in points.items()},
                    total=total,
                    grade=grade,
                    findings=(project.problems, project.warnings, project.infos),
                    project_id=project.project_id,
                    project=project.name,
                    area=project.area or "",
                    missing_required=tuple(project.missing_required.split()),
                )
            )
            beside[key] = (project.self_total, project.total)
            continue
        area = project.area or ""
        if not area:
            continue
        share = shares.get(area)
        if share is None:
            share = shares[area] = Part(key=area, budget=ZERO, spending=ZERO, points={}, total=None, grade=None, findings=(0, 0, 0), area=area)
            share.missing_required = tuple(project.missing_required.split())
        share.budget += project.budget
        share.spending += project.spending
        share.projects += 1
        share.weighted_total += (total if total is not None else ZERO) * project.budget
        sums = area_sums.get(area)
        if sums is None:
            sums = area_sums[area] = [ZERO, ZERO, ZERO, ZERO, info.places]
        if project.self_total is not None:
            sums[0] += project.self_total * project.budget
            sums[1] += project.budget
        sums[2] += (project.total if project.total is not None else ZERO) * project.budget
        sums[3] += project.budget
        for level, value in points.items():
            share.points[level] = share.points.get(level, ZERO) + value * project.budget
    for area, share in shares.items():
        scored = unit_areas.get(area)
        if scored is not None:
            share.earned, share.possible = scored.earned, scored.possible
            share.findings = (scored.problems, scored.warnings, scored.infos)
        parts.append(share)
    return sorted(parts, key=lambda part: part.key) if by == "area" else parts


def store_table(store: Store, year: int, options: TableOptions, compare: int | None = None) -> Table:
    """``perfscore table --db --year Y [--compare Y0]``: the batch table from stored, reviewed scores."""
    with _uncollected():
        return _store_table(store, year, options, compare)


def _store_table(store: Store, year: int, options: TableOptions, compare: int | None = None) -> Table:
    with store.reading() as session:
        data = year_data(session, year, options.by)
        if not data.scored and not data.failed:
            years = sorted(set(session.scalars(select(Submission.year).distinct())))
            from perfscore.errors import PerfscoreError, Problem, fill

            raise PerfscoreError(Problem(f"the store holds no units for {year}", location="--year", expected=f"one of the stored years: {', '.join(map(str, years)) or 'none yet (perfscore ingest)'}", key="store_no_year", expected_key="expected_stored_year" if years else "expected_stored_year_none", fields=fill(year=year, years=", ".join(map(str, years)))))
        previous = year_data(session, compare, options.by) if compare is not None else None
    # the self and computed columns are added after build_table sorts: a sort by one of them
    # is done here, once they are there (ranks stay those of the reviewed total)
    later = options.sort.partition(":")[0] in STORE_COLUMNS
    building = replace(options, sort="total") if later else options
    table = build_table(data.scored, data.failed, building, files=len(data.scored) + len(data.failed), expected_fingerprint=None, previous=None if previous is None else (previous.scored, previous.failed))
    _add_beside(table, data.beside, options.lang)
    if later:
        sort_rows(table.rows, table.columns, options.sort)
    if data.reviewed_units:
        table.notes.append(message("store.reviewed_note", options.lang, count=whole(data.reviewed_units)))
    return table


def _add_beside(table: Table, beside: dict[str, tuple[Decimal | None, Decimal | None]], lang: str) -> None:
    """The self-score and computed columns, before the total, which is now the reviewed score."""
    position = next(index for index, column in enumerate(table.columns) if column.key == "total")
    table.columns[position].header = message("store.header_reviewed_total", lang)
    table.columns[position:position] = [Column(key, message(f"store.header_{key}", lang), True) for key in STORE_COLUMNS]
    for row in table.rows:
        self_total, computed = beside.get(row["_key"], (None, None))
        row["self_total"] = self_total
        row["computed_total"] = computed


# --------------------------------------------------------------------------- one unit


@dataclass(slots=True)
class StoredReview:
    """The reviewed score of one stored version, for ``opinion --db``."""

    total: Decimal | None
    grade: str | None
    #: entries in the version's review log (adjustments and withdrawals): none, not reviewed
    entries: int


def stored_review(store: Store, unit_id: str, year: int, sha256: str) -> StoredReview:
    """The reviewed score of the stored version with this content (a review belongs to the
    version it was made on, so a file the store does not hold is an error)."""
    with store.reading() as session:
        submission = session.scalars(select(Submission).where(Submission.unit_id == unit_id, Submission.year == year, Submission.sha256 == sha256)).first()
        if submission is None:
            from perfscore.errors import PerfscoreError, Problem, fill

            versions = len(session.scalars(select(Submission.id).where(Submission.unit_id == unit_id, Submission.year == year)).all())
            held = f"the store holds {versions} other version(s) of it" if versions else "the store holds none of it"
            raise PerfscoreError(Problem(f"this file of unit {unit_id} {year} is not in the store ({held})", location="--db", expected="perfscore ingest FILE first: a review belongs to the stored version it was made on (perfscore history UNIT lists them)", key="file_not_stored", expected_key="expected_ingest_first", fields=fill(unit=unit_id, year=year, held=held)))
        log = entries(session, [submission.id])[submission.id]
        force = in_force(log)
        review = reviewed(session, submission, force)
        record = session.get(RulesetRecord, submission.ruleset_ref)
        assert record is not None  # a foreign key
        grade = info_from_json(record.info).grade_for(review.total) if force else submission.grade
        return StoredReview(review.total, grade, len(log))



@dataclass(slots=True)
class Version:
    """One stored version of a unit, with its three scores."""

    submission_id: int
    year: int
    version: int
    ingested_at: datetime.datetime
    file_name: str
    sha256: str
    ruleset: str
    self_total: Decimal | None
    computed: Decimal | None
    reviewed: Decimal | None
    grade: str | None
    adjustments: int


@dataclass(slots=True)
class UnitHistory:
    unit_id: str
    unit: str
    versions: list[Version]
    failures: list[tuple[int | None, datetime.datetime, str, list[str]]]


def unit_history(store: Store, unit_id: str) -> UnitHistory:
    """Every stored version of a unit across years, oldest year first, and its failed ingests."""
    with store.reading() as session:
        submissions = list(session.scalars(select(Submission).where(Submission.unit_id == unit_id).order_by(Submission.year, Submission.version)))
        failures = [(record.year, record.ingested_at, record.file_name, [problem.render() for problem in problems_from_json(record.problems)]) for record in session.scalars(select(FailedIngest).where(FailedIngest.unit_id == unit_id).order_by(FailedIngest.id))]
        if not submissions and not failures:
            from perfscore.errors import PerfscoreError, Problem, fill

            raise PerfscoreError(Problem(f"the store holds nothing of unit {unit_id!r}", location="UNIT", expected="a unit id that perfscore ingest stored", key="store_no_unit", expected_key="expected_stored_unit", fields=fill(unit=repr(unit_id))))
        rulesets = {record.id: record for record in session.scalars(select(RulesetRecord))}
        logs = entries(session, [submission.id for submission in submissions])
        versions = []
        for submission in submissions:
            force = in_force(logs[submission.id])
            review = reviewed(session, submission, force)
            info = info_from_json(rulesets[submission.ruleset_ref].info)
            versions.append(
                Version(
                    submission.id, submission.year, submission.version, submission.ingested_at, submission.file_name, submission.sha256,
                    f"{info.id} {info.version} ({info.fingerprint[:12]})", submission.self_total, submission.total, review.total,
                    info.grade_for(review.total), len(force),
                )
            )  # fmt: skip
        name = submissions[-1].unit_name if submissions else unit_id
    return UnitHistory(unit_id, name, versions, failures)


@dataclass(slots=True)
class Audit:
    """What ``explain --db`` shows: the stored explanation, the three scores and the review log."""

    unit_id: str
    unit: str
    year: int
    version: int
    file_name: str
    explanation: str
    self_total: Decimal | None
    computed: Decimal | None
    reviewed: Decimal | None
    log: list[ReviewEntry]


def audit(store: Store, unit_id: str, year: int, lang: str, engine: Engine, explain: Explain, ruleset: str | None = None) -> Audit:
    """The unit's latest version of the year: its explanation (made and kept the first time,
    :mod:`.explanation`, with ``engine``'s plugins and ``explain``), its scores and review log."""
    with store.reading() as session:
        submission = latest_submission(session, unit_id, year)
        made = submission.explanation_zh is not None and submission.explanation_en is not None
    if not made:
        from perfscore.store.explanation import fill_texts  # the scoring stages: not for a year's table

        with store.transaction() as session:
            stored = session.get(Submission, submission.id)
            assert stored is not None  # submissions are never deleted
            fill_texts(session, stored, engine, explain, ruleset)
    with store.reading() as session:
        submission = latest_submission(session, unit_id, year)
        log = entries(session, [submission.id])[submission.id]
        review = reviewed(session, submission, in_force(log))
        explanation = pick((submission.explanation_zh or "", submission.explanation_en or ""), lang)  # both made above
        return Audit(submission.unit_id, submission.unit_name, submission.year, submission.version, submission.file_name, explanation, submission.self_total, submission.total, review.total, log)


__all__ = ["STORE_COLUMNS", "Audit", "StoredReview", "UnitHistory", "Version", "YearData", "audit", "store_table", "stored_review", "unit_history", "year_data"]
