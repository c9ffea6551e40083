"""What the web view's pages read from the store (:mod:`perfscore.web`): tables, units, logs.

A year's ranked table is the store's own (:func:`perfscore.store.history.year_data` then
:func:`perfscore.batch.table.build_table`, as ``perfscore table --db`` builds it), for the
units scored by one ruleset. Building it for ten thousand units takes seconds, so it is kept
in memory and built again only when the store has changed: each request asks the store for
its *generation* (how many submissions and review entries it holds, and the last of each),
one small query. A unit's page reads its latest version for the year, its projects, levels,
rows, findings and review log, and the reviewed figures (:func:`perfscore.store.review.reviewed`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from perfscore.arithmetic import ZERO
from perfscore.batch.run import RulesetInfo
from perfscore.batch.table import Column, Table, TableOptions, build_table, summarise
from perfscore.errors import PerfscoreError
from perfscore.messages import message
from perfscore.engine import Engine
from perfscore.output.result import explain_text
from perfscore.store.codec import info_from_json
from perfscore.store.database import Store
from perfscore.store.explanation import checked_rescore
from perfscore.store.history import STORE_COLUMNS, YearData, year_data
from perfscore.store.review import Reviewed, entries, in_force, latest_submission, reviewed
from perfscore.store.schema import FindingRecord, LevelScore, ProjectScore, ReviewEntry, RowScore, RulesetRecord, Submission

#: rows a page of the table shows
PAGE_ROWS = 50


class NotFound(Exception):
    """Something a request named is not in the store: the page says which (``web.<key>``), 404."""

    def __init__(self, key: str, **fields: str):
        super().__init__(key)
        self.key = key
        self.fields = fields


def generation(session: Session) -> tuple[Any, ...]:
    """What changes whenever the store's tables or reviews do: counts and last ids."""
    submissions = session.execute(select(func.count(Submission.id), func.max(Submission.id))).one()
    reviews = session.execute(select(func.count(ReviewEntry.id), func.max(ReviewEntry.id))).one()
    return (*submissions, *reviews)


def stored_years(session: Session) -> list[int]:
    return sorted(set(session.scalars(select(Submission.year).distinct())))


@dataclass(slots=True)
class YearTables:
    """One year's data, and the tables built from it by ruleset and language."""

    data: YearData
    rulesets: list[tuple[RulesetInfo, int]]
    tables: dict[tuple[str, str], Table] = field(default_factory=dict)


#: how often the store is asked whether another process changed it (this server's own
#: uploads and reviews clear the cache at once: :meth:`Tables.changed`)
CHECK_SECONDS = 1.0
#: filtered and sorted views kept, most recent first
VIEWS_KEPT = 64


class Tables:
    """The cache of year tables, rebuilt when the store's generation changes."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._generation: tuple[Any, ...] | None = None
        self._checked = 0.0
        self._years: dict[int, YearTables] = {}
        self._known_years: list[int] = []
        self._views: OrderedDict[tuple[int, View], Table] = OrderedDict()

    def changed(self) -> None:
        """This server wrote to the store (an upload, a review): look again at the next request."""
        with self._lock:
            self._checked = 0.0

    def _fresh(self) -> None:
        if time.monotonic() - self._checked < CHECK_SECONDS:
            return
        self._checked = time.monotonic()
        with self.store.reading() as session:
            now = generation(session)
            if now != self._generation:
                self._generation = now
                self._years = {}
                self._views.clear()
                self._known_years = stored_years(session)

    def years(self) -> list[int]:
        with self._lock:
            self._fresh()
            return list(self._known_years)

    def year(self, year: int) -> YearTables:
        with self._lock:
            self._fresh()
            found = self._years.get(year)
            if found is None:
                if year not in self._known_years:
                    raise NotFound("no_year", year=str(year))
                with self.store.reading() as session:
                    data = year_data(session, year, "unit")
                counts = Counter(item.ruleset.fingerprint for item in data.scored)
                infos = {item.ruleset.fingerprint: item.ruleset for item in data.scored}
                rulesets = sorted(((infos[fp], count) for fp, count in counts.items()), key=lambda pair: (-pair[1], pair[0].id, pair[0].fingerprint))
                found = self._years[year] = YearTables(data, rulesets)
            return found

    def table(self, year: int, fingerprint: str | None, lang: str) -> Table:
        """The ranked table of ``year`` for the units scored by the ruleset ``fingerprint``
        (a prefix will do; None: the ruleset most units were scored by)."""
        tables = self.year(year)
        info = ruleset_of(tables, fingerprint)
        key = (info.fingerprint if info is not None else "", lang)
        with self._lock:
            table = tables.tables.get(key)
        if table is not None:
            return table
        data = tables.data
        scored = [item for item in data.scored if info is not None and item.ruleset.fingerprint == info.fingerprint]
        table = build_table(scored, data.failed, TableOptions(lang=lang), files=len(scored) + len(data.failed), expected_fingerprint=None)
        _add_beside(table, data.beside, lang)
        if data.reviewed_units:
            table.notes.append(message("web.reviewed_note", lang))
        with self._lock:
            tables.tables[key] = table
        return table


    def viewed(self, table: Table, view: View) -> Table:
        """:func:`viewed`, kept for the views asked for lately (paging through one costs nothing)."""
        key = (id(table), replace(view, page=1))
        with self._lock:
            found = self._views.get(key)
            if found is not None:
                self._views.move_to_end(key)
                return found
        found = viewed(table, view)
        with self._lock:
            self._views[key] = found
            while len(self._views) > VIEWS_KEPT:
                self._views.popitem(last=False)
        return found


def ruleset_of(tables: YearTables, fingerprint: str | None) -> RulesetInfo | None:
    if not tables.rulesets:
        return None
    if not fingerprint:
        return tables.rulesets[0][0]
    for info, _ in tables.rulesets:
        if info.fingerprint.startswith(fingerprint):
            return info
    raise NotFound("no_ruleset", ruleset=fingerprint)


def _add_beside(table: Table, beside: dict[str, tuple[Decimal | None, Decimal | None]], lang: str) -> None:
    """The self-score and computed columns before the total, now the reviewed score (as ``table --db``)."""
    position = next(index for index, column in enumerate(table.columns) if column.key == "total")
    table.columns[position].header = message("store.header_reviewed_total", lang)
    table.columns[position:position] = [Column(key, message(f"store.header_{key}", lang), True) for key in STORE_COLUMNS if not any(column.key == key for column in table.columns)]
    for row in table.rows:
        self_total, computed = beside.get(row["_key"], (None, None))
        row["self_total"] = self_total
        row["computed_total"] = computed


@dataclass(frozen=True, slots=True)
class View:
    """How a person asked to see the table: sorted, filtered, which page."""

    sort: str | None = None
    descending: bool = True
    grade: str | None = None
    area: str | None = None
    query: str | None = None
    page: int = 1


def _sort_key(column: str) -> Any:
    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        value = row.get(column)
        if value is None:
            return (1, 0, "")
        if isinstance(value, (int, Decimal)):
            return (0, value, "")
        return (0, 0, str(value))

    return key


def viewed(table: Table, view: View) -> Table:
    """The table's rows filtered and sorted as ``view`` asks (all of them; paging is the page's)."""
    rows = table.rows
    if view.grade:
        rows = [row for row in rows if row.get("grade") == view.grade]
    if view.area:
        rows = [row for row in rows if row.get(f"area:{view.area}") is not None]
    if view.query:
        needle = view.query.casefold()
        rows = [row for row in rows if needle in str(row.get("unit", "")).casefold() or needle in str(row.get("unit_id", "")).casefold()]
    if view.sort and any(column.key == view.sort for column in table.columns):
        present = [row for row in rows if row.get(view.sort) is not None]
        absent = [row for row in rows if row.get(view.sort) is None]
        present = sorted(present, key=_sort_key(view.sort), reverse=view.descending)
        rows = present + absent
    if rows is table.rows:
        return table
    return replace(table, rows=rows, summary=summarise(rows, table.rulesets))


# --------------------------------------------------------------------------- one unit


@dataclass(slots=True)
class UnitPage:
    """A unit's latest version for a year, with everything its pages show."""

    submission: Submission
    info: RulesetInfo
    projects: list[ProjectScore]
    levels: dict[int, list[LevelScore]]
    rows: dict[int, list[RowScore]]
    findings: list[FindingRecord]
    log: list[ReviewEntry]
    reviewed: Reviewed
    explanation: dict[str, str]
    versions: int

    def project(self, project_id: str) -> ProjectScore:
        for project in self.projects:
            if project.project_id == project_id:
                return project
        raise NotFound("no_project", project=project_id)

    def row(self, project: ProjectScore, indicator: str) -> RowScore:
        for row in self.rows.get(project.position, []):
            if row.indicator == indicator:
                return row
        raise NotFound("no_indicator", indicator=indicator)

    def row_adjustment(self, project: ProjectScore, row: RowScore) -> Decimal | None:
        """The points adjustments in force move this row by, or None when none touch it."""
        target = f"{project.project_id}/{row.indicator}"
        moves = [entry.points for entry in in_force(self.log) if entry.target == target and entry.points is not None]
        return sum(moves, ZERO) if moves else None

    def reviewed_row(self, project: ProjectScore, row: RowScore) -> Decimal:
        change = self.row_adjustment(project, row)
        if change is None:
            return row.score
        return max(ZERO, min(row.score + change, row.weight))

    def targets(self) -> list[tuple[str, str]]:
        """Every target a review may adjust: (canonical target, what it is)."""
        found: list[tuple[str, str]] = []
        for project in self.projects:
            if project.total is not None:
                found.append((project.project_id, project.name))
            for level in self.levels.get(project.position, []):
                found.append((f"{project.project_id}/{level.level}", f"{project.name} / {level.name}"))
            for row in self.rows.get(project.position, []):
                found.append((f"{project.project_id}/{row.indicator}", f"{project.name} / {row.name}"))
        return found

    def explanation_blocks(self, lang: str, project: ProjectScore, indicator: str | None = None) -> list[str]:
        """The stored explanation's paragraphs about a project (or one of its rows)."""
        start = f"[{project.name}]"
        blocks = [block.strip("\n") for block in self.explanation[lang].split("\n\n") if block.strip()]
        mine = [block for block in blocks if block.startswith(start)]
        if indicator is None:
            return mine
        return [block for block in mine if block[len(start):].lstrip().startswith(f"{indicator} ") or block[len(start):].strip() == indicator]


class Texts:
    """A stored unit's explanation and findings' wording, made for the pages when ingest left
    them to be made, and kept in memory (the newest :data:`TEXTS_KEPT` units).

    Made from the stored unit scored again (refused if it scores differently now,
    :func:`perfscore.store.explanation.checked_rescore`) inside a read: a page never writes to
    the store, so twenty readers are never queued behind SQLite's write lock (``explain --db``
    is what stores them)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._made: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def fill(self, session: Session, submission: Submission, findings: list[FindingRecord], lang: str) -> dict[str, str]:
        """The explanation (in ``lang`` at least: the page's); findings whose wording is not stored get it."""
        stored = {"zh": submission.explanation_zh, "en": submission.explanation_en}
        if stored["zh"] is not None and stored["en"] is not None and all(finding.title_zh is not None for finding in findings):
            return {"zh": stored["zh"], "en": stored["en"]}
        with self._lock:
            made = self._made.get(submission.id)
            if made is not None:
                self._made.move_to_end(submission.id)
        if made is None:
            session.refresh(submission, ["source_text"])
            evaluation = checked_rescore(session, submission, self.engine)
            # the explanation is written in a language when a page first asks for it
            made = {"evaluation": evaluation, "explanation": {}, "findings": {finding.key: finding for finding in evaluation.findings}}
            with self._lock:
                self._made[submission.id] = made
                while len(self._made) > TEXTS_KEPT:
                    self._made.popitem(last=False)
        for record in findings:
            if record.title_zh is None:
                finding = made["findings"].get((record.finding_id, record.project or "", record.indicator or ""))
                if finding is not None:
                    session.expunge(record)  # the wording is for this page: never flushed to the store
                    record.title_zh, record.title_en = finding.title.zh, finding.title.en
                    record.problem_zh, record.problem_en = finding.problem.zh, finding.problem.en
                    record.improvement_zh, record.improvement_en = finding.improvement.zh, finding.improvement.en
        explanation: dict[str, str] = made["explanation"]
        if lang not in explanation:
            explanation[lang] = explain_text(made["evaluation"], lang=lang)
        return {**{other: "" for other in ("zh", "en")}, **explanation}


#: units whose made texts a server keeps in memory
TEXTS_KEPT = 512


def unit_page(store: Store, unit_id: str, year: int, texts: Texts | None = None, lang: str = "zh") -> UnitPage:
    """A unit's latest version for ``year``; a clear error (404) when the store has none."""
    with store.reading() as session:
        try:
            submission = latest_submission(session, unit_id, year)
        except PerfscoreError:
            raise NotFound("no_unit", unit=unit_id, year=str(year)) from None
        session.refresh(submission, ["explanation_zh", "explanation_en"])
        ruleset = session.get(RulesetRecord, submission.ruleset_ref)
        assert ruleset is not None
        info = info_from_json(ruleset.info)
        projects = list(session.scalars(select(ProjectScore).where(ProjectScore.submission_id == submission.id).order_by(ProjectScore.position)))
        levels: dict[int, list[LevelScore]] = {}
        for level in session.scalars(select(LevelScore).where(LevelScore.submission_id == submission.id).order_by(LevelScore.project_position, LevelScore.position)):
            levels.setdefault(level.project_position, []).append(level)
        rows: dict[int, list[RowScore]] = {}
        for row in session.scalars(select(RowScore).where(RowScore.submission_id == submission.id).order_by(RowScore.project_position, RowScore.position)):
            rows.setdefault(row.project_position, []).append(row)
        findings = list(session.scalars(select(FindingRecord).where(FindingRecord.submission_id == submission.id).order_by(FindingRecord.position)))
        log = entries(session, [submission.id])[submission.id]
        review = reviewed(session, submission, in_force(log))
        versions = session.scalar(select(func.count(Submission.id)).where(Submission.unit_id == unit_id, Submission.year == year)) or 0
        if texts is not None:
            explanation = texts.fill(session, submission, findings, lang)
        else:  # pages that show no explanation (the review form)
            explanation = {"zh": submission.explanation_zh or "", "en": submission.explanation_en or ""}
        session.expunge_all()
    return UnitPage(submission, info, projects, levels, rows, findings, log, review, explanation, versions)


def source_of(store: Store, submission_id: int) -> tuple[str, str, str]:
    """A stored version's source (text, format) and its ruleset's resolved JSON."""
    with store.reading() as session:
        found = session.scalars(select(Submission).options(undefer(Submission.source_text)).where(Submission.id == submission_id)).one()
        ruleset = session.get(RulesetRecord, found.ruleset_ref)
        assert ruleset is not None
        return found.source_text, found.source_format, ruleset.resolved


__all__ = ["PAGE_ROWS", "NotFound", "Tables", "UnitPage", "View", "YearTables", "Texts", "generation", "ruleset_of", "source_of", "stored_years", "unit_page", "viewed"]
