"""The store read through the database's own driver: its URL, and a year's table.

Part of the store's reading side (:mod:`perfscore.store`), under :mod:`.history` and
:mod:`perfscore.cli`, and the one store module that imports no SQLAlchemy: the URL
(``--db``, ``$PERFSCORE_DB``, else ``perfscore.db``) and the schema's revisions are named
here for :mod:`.database` too. A year's rows are read with plain SQL on a cursor of the
driver (sqlite3 or psycopg) and made into the batch's summaries
(:class:`perfscore.batch.run.Scored`), so that :func:`perfscore.batch.table.build_table`
checks comparability, ranks and summarises exactly as ``perfscore table`` does. Each unit
is its latest stored version for the year; its total is the reviewed score (computed +
adjustments in force, worked out by :mod:`.review` through :mod:`.history`), and the table
gains two columns beside it: the unit's own stated total (自评分) and the computed score.
``table --db`` on a store without adjustments for the year is answered here without
SQLAlchemy at all (:func:`year_table`).
"""

from __future__ import annotations

import gc
import os
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterator

from perfscore.arithmetic import ZERO, quantize
from perfscore.batch.run import Failed, Part, RulesetInfo, Scored
from perfscore.batch.table import Column, Table, TableOptions, build_table, sort_rows
from perfscore.messages import message
from perfscore.numbers import whole
from perfscore.store.codec import info_from_json, points_from_json, problems_from_json

if TYPE_CHECKING:
    from perfscore.store.review import Reviewed

#: the environment variable naming the store when ``--db`` does not
DB_VARIABLE = "PERFSCORE_DB"
#: the store when nothing names one: a SQLite file in the current folder
DEFAULT_FILE = "perfscore.db"
#: how long a SQLite writer waits for another's lock before giving up, in seconds
BUSY_SECONDS = 300
#: what the perfscore_store table holds: the mark of a database perfscore made
STORE_NAME = "perfscore"
#: the shipped migrations' revisions, oldest first, the head last. Written here so that
#: checking a store's schema does not load Alembic and read every migration script (a
#: fifth of ``table --db``'s time); tests/test_store.py checks it against ``migrations/``.
REVISIONS = ("0001", "0002")


def resolve_url(option: str | None) -> str:
    """The store's URL: ``--db`` (when given a value), else ``$PERFSCORE_DB``, else ``perfscore.db``."""
    value = option or os.environ.get(DB_VARIABLE) or DEFAULT_FILE
    if "://" not in value:
        return f"sqlite:///{value}"
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


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
    """A row class for one of :func:`read_year`'s queries: its columns by name, and which of
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


def latest_ids_sql(year: int) -> str:
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
def uncollected() -> Iterator[None]:
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


def read_year(cursor: Any, year: int, by: str, reviews: dict[int, Reviewed]) -> YearData:
    """The year's latest versions as the batch's summaries, through a cursor of the driver;
    ``reviews``: the reviewed figures of the submissions with adjustments in force.

    Only the columns the table shows are read, as plain rows (:func:`_read`), each other
    table by the year's latest versions (:func:`latest_ids_sql`) in one statement.
    """
    in_latest = f"submission_id IN ({latest_ids_sql(year)})"
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
    cursor.execute("SELECT id, info FROM rulesets")
    infos = {record_id: info_from_json(info) for record_id, info in cursor.fetchall()}
    declared = {submission.id: (submission.declared_ruleset, submission.declared_fingerprint) for submission in submissions}
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
    cursor.execute(f"SELECT file_name, problems, unit_id FROM failed_ingests WHERE year = {int(year)} ORDER BY file_name, id")
    failed = [Failed(file_name, problems_from_json(problems)) for file_name, problems, unit_id in cursor.fetchall() if unit_id not in stored_units]
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


def finish_table(data: YearData, previous: YearData | None, options: TableOptions) -> Table:
    """The batch's table of a year read from the store (and of the year it is compared with):
    ranked by the reviewed total, the self-score and computed columns beside it."""
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


# --------------------------------------------------------------------------- without SQLAlchemy


def year_table(option: str | None, year: int, options: TableOptions, compare: int | None = None) -> Table | None:
    """``table --db`` read through the database's own driver (sqlite3, psycopg) without
    importing SQLAlchemy and the schema's classes (a fifth of the command's time), when the
    store allows: a SQLite file or a PostgreSQL URL, perfscore's schema at this perfscore's
    head revision, units stored for the year(s) and no adjustment on them. Anything else
    (a missing or foreign database, another revision, a year without units, reviewed units)
    returns None: the full path (:func:`perfscore.store.history.store_table`) then reads the
    store, working out reviewed scores or saying what is wrong."""
    connection = _connect(resolve_url(option))
    if connection is None:
        return None
    errors = _driver_errors(connection)
    try:
        with uncollected():
            try:
                cursor = connection.cursor()
                if not _current(cursor):
                    return None
                data = _unreviewed_year(cursor, year, options.by)
                previous = _unreviewed_year(cursor, compare, options.by) if compare is not None else None
            except errors:
                return None
            if data is None or (compare is not None and previous is None):
                return None
            return finish_table(data, previous, options)
    finally:
        connection.close()


def _connect(url: str) -> Any:
    """A connection of the driver itself to a SQLite file that exists, or to PostgreSQL; None otherwise."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path or "?" in path or path.startswith(":") or not os.path.isfile(path):
            return None
        import sqlite3

        return sqlite3.connect(path, timeout=BUSY_SECONDS)
    if url.startswith("postgresql+psycopg://"):
        import psycopg

        try:
            return psycopg.connect("postgresql://" + url[len("postgresql+psycopg://") :])
        except psycopg.Error:
            return None
    return None


def _driver_errors(connection: Any) -> tuple[type[Exception], ...]:
    if connection.__class__.__module__.startswith("sqlite3"):
        import sqlite3

        return (sqlite3.Error,)
    import psycopg

    return (psycopg.Error,)


def _current(cursor: Any) -> bool:
    """Is this perfscore's store, at the revision this perfscore writes?"""
    cursor.execute("SELECT name FROM perfscore_store")
    names = {name for (name,) in cursor.fetchall()}
    cursor.execute("SELECT version_num FROM alembic_version")
    revisions = [revision for (revision,) in cursor.fetchall()]
    return STORE_NAME in names and revisions == [REVISIONS[-1]]


def _unreviewed_year(cursor: Any, year: int, by: str) -> YearData | None:
    """The year's data when it has units and none of them has review entries, else None."""
    cursor.execute(f"SELECT COUNT(*) FROM review_entries WHERE submission_id IN ({latest_ids_sql(year)})")
    if cursor.fetchone()[0]:
        return None
    data = read_year(cursor, year, by, {})
    return data if data.scored or data.failed else None


__all__ = ["BUSY_SECONDS", "DB_VARIABLE", "DEFAULT_FILE", "REVISIONS", "STORE_COLUMNS", "STORE_NAME", "YearData", "finish_table", "latest_ids_sql", "read_year", "resolve_url", "uncollected", "year_table"]
