"""``perfscore ingest``: score each file through the engine and keep everything in the store.

The store's first step (:mod:`perfscore.store`): files are found as ``table`` finds them
(:func:`perfscore.batch.run.discover`), each scored by the engine's normal path (so a
workbook that :func:`perfscore.load.load_submission` reads is ingested like a TOML file), and
turned into a :class:`UnitRecord` of plain values: the unit, year, file name, sha256 and
text, the ruleset, every score down to the row and every finding. The explanation and the
findings' wording are not written here: they are made from the stored submission and rules
when ``explain --db`` first asks for them (:mod:`.explanation`), since writing them in two
languages cost as much as scoring. Records are built in ``jobs`` worker processes (a few
files with ``jobs`` 1: here) while the main process writes, one transaction a unit.

Writing is idempotent and safe to run twice at once. The unique key (unit, year, sha256)
makes an unchanged file a no-op; a changed file is the next version (unique on unit, year,
version), the old one kept. Two ingests that meet on the same unit both try to insert: the
database lets one win, the other's transaction fails with an IntegrityError, and it looks
again (finding the file stored, or taking the next version number). A process killed
mid-run leaves every unit either whole or absent, since a unit's rows go in one
transaction. A file that cannot be scored is recorded as a failure with its problems.
"""

from __future__ import annotations

import concurrent.futures
import gc
import hashlib
import json
import signal
import threading
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from sqlalchemy import Boolean, Integer, select
from sqlalchemy.exc import IntegrityError

from perfscore.batch.progress import Progress
from perfscore.batch.run import BatchScorer, Failed, chunk_size, discover, make_scorer, ruleset_info
from perfscore.errors import PerfscoreError, Problem, fill
from perfscore.files import decode_text, read_bytes, read_toml
from perfscore.models import SEVERITY_ORDER, Finding, Ruleset
from perfscore.rules.matches import RuleMatch
from perfscore.store.codec import info_to_json, points_to_json, problems_to_json
from perfscore.store.database import Store, now
from perfscore.store.schema import Base, FailedIngest, RulesetRecord, UTCTime

if TYPE_CHECKING:
    from perfscore.find import Evaluation

#: how many times a unit's transaction is tried again after losing a race to another ingest
RETRIES = 8
#: fewer files than this are scored in the main process with ``--jobs 1``: starting a worker costs more
IN_PROCESS = 100
#: threads writing into PostgreSQL at once, a connection each
POSTGRES_WRITERS = 4
#: scored units that may wait for a writer
QUEUED = 64
#: a JSON string literal, as json.dumps(ensure_ascii=False) writes it
_json_text: Callable[[str], str] = json.encoder.encode_basestring


@dataclass(slots=True)
class RulesetRow:
    fingerprint: str
    ruleset_id: str
    name: str
    version: str
    resolved: str
    info: str
    rounding: str


#: the columns each table's rows are written in (after ``submission_id``; submissions start
#: with version, ruleset_ref and ingested_at, which the writer decides)
SUBMISSION_COLUMNS = (
    "unit_id", "year", "unit_name", "synthetic", "file_name", "sha256", "source_text", "source_format",
    "declared_ruleset", "declared_fingerprint", "budget", "spending", "own_level_budget", "own_level_spending",
    "assessable", "total", "grade", "self_total", "points", "problems", "warnings", "infos", "missing_required",
    "incomplete", "project_count", "row_count",
)  # fmt: skip
PROJECT_COLUMNS = (
    "position", "project_id", "name", "area", "money_unit", "budget", "spending", "earned", "assessable", "total",
    "grade", "self_total", "policy", "places", "problems", "warnings", "infos", "missing_required",
)  # fmt: skip
LEVEL_COLUMNS = ("project_position", "position", "level", "name", "name_en", "weight", "score", "assessable")
ROW_COLUMNS = ("project_position", "position", "indicator", "name", "level1", "level2", "target", "actual", "weight", "score", "completion", "status", "self_score", "method")
AREA_COLUMNS = ("area", "earned", "possible", "score", "source", "problems", "warnings", "infos")
FINDING_COLUMNS = (
    "position", "finding_id", "severity", "area", "project", "indicator", "source", "title_zh", "title_en",
    "problem_zh", "problem_en", "improvement_zh", "improvement_en", "evidence",
)  # fmt: skip


@dataclass(slots=True)
class UnitRecord:
    """One scored file, as the store will hold it: rows of plain values in column order,
    built where the unit was scored and small enough to cross processes."""

    file: str
    unit_id: str
    year: int
    sha256: str
    incomplete: tuple[str, ...]
    submission_row: tuple[Any, ...]
    ruleset: RulesetRow
    projects: list[tuple[Any, ...]]
    levels: list[tuple[Any, ...]]
    rows: list[tuple[Any, ...]]
    areas: list[tuple[Any, ...]]
    findings: list[tuple[Any, ...]]

    @property
    def submission(self) -> dict[str, Any]:
        return {"unit_id": self.unit_id, "year": self.year, "sha256": self.sha256}


@dataclass(slots=True)
class FailedRecord:
    """A file that could not be scored: its problems, and its unit and year when they could be read."""

    file: str
    sha256: str
    unit_id: str | None
    year: int | None
    problems: list[Problem]


Record = UnitRecord | FailedRecord


@dataclass(slots=True)
class IngestReport:
    """What an ingest did: counts by outcome and the files that failed (for the errors section)."""

    files: int = 0
    added: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failures: list[Failed] = field(default_factory=list)
    incomplete: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


# --------------------------------------------------------------------------- records


def ruleset_row(ruleset: Ruleset) -> RulesetRow:
    meta = ruleset.ruleset
    resolved = json.dumps(ruleset.model_dump(mode="json"), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return RulesetRow(ruleset.fingerprint, meta.id, meta.name, meta.version, resolved, info_to_json(ruleset_info(ruleset)), ruleset.arithmetic.rounding)


def build_record(scorer: BatchScorer, path: Path, rulesets: dict[str, RulesetRow]) -> Record:
    """Score one file and turn it into what the store keeps (or the problems that stopped it)."""
    file = str(path)
    try:
        data = read_bytes(path)
    except PerfscoreError as error:
        return FailedRecord(file, "", None, None, _located(error.problems, file))
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        evaluation = scorer.engine.evaluate(path)
        if evaluation.timed_out:
            return _failed(path, sha256, [Problem(failure.render(), file=file, key="plugin_failed", fields=fill(plugin=failure.plugin, hook=failure.hook, error=failure.error)) for failure in evaluation.failures])
        return _unit_record(evaluation, scorer, file, data, sha256, rulesets)
    except PerfscoreError as error:
        return _failed(path, sha256, _located(error.problems, file))
    except Exception as error:  # a bug must not sink an ingest of thousands: it is recorded like a bad file
        return _failed(path, sha256, [Problem(f"unexpected error (a bug, please report it): {type(error).__name__}: {error}", file=file, key="unexpected_error", fields=fill(error=f"{type(error).__name__}: {error}"))])


def _located(problems: list[Problem], file: str) -> list[Problem]:
    return [problem if problem.file else replace(problem, file=file) for problem in problems]


def _failed(path: Path, sha256: str, problems: list[Problem]) -> FailedRecord:
    """A failure, with the unit and year when the file says them plainly (best effort)."""
    unit_id: str | None = None
    year: int | None = None
    try:
        unit = read_toml(path).get("unit")
        if isinstance(unit, dict):
            unit_id = unit.get("id") if isinstance(unit.get("id"), str) else None
            year = unit.get("year") if type(unit.get("year")) is int else None
    except PerfscoreError:
        pass
    return FailedRecord(str(path), sha256, unit_id, year, problems)


def _literal(value: Any) -> str:
    """A value of a record's row as a PostgreSQL literal. The connection sets
    ``standard_conforming_strings``, under which doubling ``'`` is the whole of quoting."""
    if value is None:
        return "NULL"
    if value is True or value is False:
        return "TRUE" if value else "FALSE"
    if value.__class__ is int:
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _evidence_json(finding: Finding | RuleMatch) -> str:
    """A finding's evidence as JSON {key: [value text, unit]}, in key order (as make_finding
    keeps it); written by hand with json's own string encoder: json.dumps of each small
    dict cost more than the rest of the finding's row."""
    quantities = finding.quantities() if isinstance(finding, RuleMatch) else finding.evidence
    if not quantities:
        return "{}"
    parts = []
    for key in sorted(quantities):
        quantity = quantities[key]
        parts.append(f"{_json_text(key)}: [{_json_text(str(quantity.value))}, {_json_text(quantity.unit)}]")
    return "{" + ", ".join(parts) + "}"


def _required(ruleset: Ruleset) -> dict[str, tuple[str, ...]]:
    """The required indicators of each area, sorted (as :class:`perfscore.batch.run.BatchScorer` lists them)."""
    required: dict[str, list[str]] = {}
    for indicator in ruleset.indicators:
        if indicator.required:
            required.setdefault(indicator.area, []).append(indicator.id)
    return {area: tuple(sorted(ids)) for area, ids in required.items()}


def _unit_record(evaluation: Evaluation, scorer: BatchScorer, file: str, data: bytes, sha256: str, rulesets: dict[str, RulesetRow]) -> UnitRecord:
    """The rows of one scored unit, each a tuple in its table's column order (``*_COLUMNS``),
    decimals already as their text: built where the unit was scored, written as they are.

    A finding is kept with its id, severity, place and evidence; its wording (six texts,
    which cost a fifth of scoring to write) is filled in with the explanation, when first
    asked for (:mod:`.explanation`).
    """
    unit = evaluation.unit
    submission, ruleset = unit.submission, unit.ruleset
    summary = scorer.summarise(evaluation, file)
    row = rulesets.get(ruleset.fingerprint)
    if row is None:
        row = rulesets[ruleset.fingerprint] = ruleset_row(ruleset)
    required: dict[str, tuple[str, ...]] = ruleset.derived("store_required", _required)
    unit_missing = set(summary.parts[0].missing_required)
    if file.endswith(".toml"):
        source_text, source_format = decode_text(Path(file), data), "toml"
    else:  # a workbook: the submission read from it, as JSON
        source_text, source_format = submission.model_dump_json(), "json"
    by_project: dict[str | None, list[int]] = {}
    by_area: dict[str | None, list[int]] = {}
    tally = [0, 0, 0]
    found = evaluation.found  # as found: a rule's match is not written up as a Finding here
    for finding in found:
        severity = SEVERITY_ORDER[finding.severity]
        tally[severity] += 1
        by_project.setdefault(finding.project, [0, 0, 0])[severity] += 1
        by_area.setdefault(finding.area, [0, 0, 0])[severity] += 1
    no_findings = [0, 0, 0]
    projects: list[tuple[Any, ...]] = []
    level_rows: list[tuple[Any, ...]] = []
    indicator_rows: list[tuple[Any, ...]] = []
    for position, project in enumerate(unit.projects):
        counts = by_project.get(project.id, no_findings)
        # the unit's missing required rows of this project's area (BatchScorer's by-project summary)
        missing = " ".join(i for i in required.get(project.project.area or "", ()) if i in unit_missing)
        budget = project.budget
        level_rows.append((position, 0, "budget", "预算执行率", "Budget execution", str(budget.weight), _decimal(budget.score), str(budget.weight if budget.score is not None else Decimal(0))))
        for index, level in enumerate(project.levels, 1):
            level_rows.append((position, index, level.id, level.name, level.name_en, str(level.weight), _decimal(level.score), str(level.assessable)))
        for index, score in enumerate(project.indicators):
            definition = score.definition
            method = score.method
            indicator_rows.append((
                position, index, definition.id, score.name, definition.level1, definition.level2, _decimal(score.target), _decimal(score.actual),
                str(score.weight), str(score.score), _decimal(score.completion), score.status, _decimal(score.row.self_score), method.name if method is not None else None,
            ))  # fmt: skip
        projects.append((
            position, project.id, project.project.name, project.project.area, project.money_unit, str(budget.budget), str(budget.spending),
            str(project.earned), str(project.assessable), _decimal(project.total), project.grade, _decimal(project.self_total), project.policy,
            project.places, counts[0], counts[1], counts[2], missing,
        ))  # fmt: skip
    areas = []
    for area_id, area in sorted(evaluation.areas.items()):
        counts = by_area.get(area_id, no_findings)
        areas.append((area_id, str(area.earned), str(area.possible), _decimal(area.score), area.source, counts[0], counts[1], counts[2]))
    finding_rows = [
        (
            index, finding.id, finding.severity, finding.area, finding.project, finding.indicator, finding.source,
            None, None, None, None, None, None, _evidence_json(finding),
        )
        for index, finding in enumerate(found)
    ]  # fmt: skip
    part = summary.parts[0]
    budget = unit.budget
    submission_row = (
        submission.unit.id, submission.unit.year, submission.unit.name, submission.unit.synthetic, file, sha256, source_text, source_format,
        summary.declared[0], summary.declared[1], str(budget.budget), str(budget.spending), _decimal(budget.own_level_budget),
        _decimal(budget.own_level_spending), str(unit.assessable), _decimal(unit.total), unit.grade, _decimal(unit.self_total),
        points_to_json(part.points), tally[0], tally[1], tally[2], " ".join(part.missing_required), "\n".join(summary.incomplete),
        len(projects), len(indicator_rows),
    )  # fmt: skip
    return UnitRecord(file, submission.unit.id, submission.unit.year, sha256, summary.incomplete, submission_row, row, projects, level_rows, indicator_rows, areas, finding_rows)


def _children(record: UnitRecord) -> tuple[tuple[str, tuple[str, ...], list[tuple[Any, ...]]], ...]:
    """A unit's rows of each table below its submission, with the table's columns."""
    return (("project_scores", PROJECT_COLUMNS, record.projects), ("level_scores", LEVEL_COLUMNS, record.levels), ("row_scores", ROW_COLUMNS, record.rows), ("area_scores", AREA_COLUMNS, record.areas), ("findings", FINDING_COLUMNS, record.findings))


def _sql_type(table: str, column: str) -> str:
    kind = Base.metadata.tables[table].c[column].type
    return "boolean" if isinstance(kind, Boolean) else "integer" if isinstance(kind, Integer) else "text"


#: PostgreSQL: each child table's head and the select list taking a VALUES list's columns
#: to the table's types (a VALUES list in FROM types each column by its literals alone)
_CHILD_SQL = {
    table: (
        f"INSERT INTO {table} (submission_id, {', '.join(columns)}) SELECT s.id, "
        + ", ".join(f"v.column{index}::{_sql_type(table, column)}" for index, column in enumerate(columns, 1))
        + " FROM s, (VALUES "
    )
    for table, columns in (("project_scores", PROJECT_COLUMNS), ("level_scores", LEVEL_COLUMNS), ("row_scores", ROW_COLUMNS), ("area_scores", AREA_COLUMNS), ("findings", FINDING_COLUMNS))
}
_SUBMISSION_HEAD = f"WITH s AS (INSERT INTO submissions (version, ruleset_ref, ingested_at, {', '.join(SUBMISSION_COLUMNS)}) SELECT COALESCE(MAX(version), 0) + 1, "


def _unit_statement(record: UnitRecord, ref: int, ingested_at: str) -> str:
    """PostgreSQL: one statement that stores a unit, its values written as SQL literals
    (:func:`_literal`; bound as parameters, a unit's thousand values cost the driver more
    than scoring the unit, as it parses a long statement's placeholders on every call).

    The submission is inserted with the next version of its unit and year, unless one of
    them has the same sha256 (then nothing is inserted and the statement returns no row:
    unchanged); each child table's rows are inserted, in the same statement, for the
    submission just inserted (none when none was). Two ingests racing for a unit break a
    unique key, as before, and the loser tries again."""
    unit = _literal(record.unit_id)
    parts = [
        _SUBMISSION_HEAD,
        f"{ref}, {_literal(ingested_at)}, ",
        ", ".join([_literal(value) for value in record.submission_row]),
        f" FROM submissions WHERE unit_id = {unit} AND year = {record.year} HAVING COALESCE(bool_and(sha256 <> {_literal(record.sha256)}), TRUE) RETURNING id, version)",
    ]
    for number, (table, _, rows) in enumerate(_children(record)):
        if rows:
            parts.append(f", c{number} AS (")
            parts.append(_CHILD_SQL[table])
            parts.append(", ".join(["(" + ", ".join([_literal(value) for value in row]) + ")" for row in rows]))
            parts.append(") AS v)")
    parts.append(" SELECT version FROM s")
    return "".join(parts)


# --------------------------------------------------------------------------- building, in workers or here


class RecordMaker:
    """Builds records with one engine and the batch's unit summary."""

    def __init__(self, plugins_dirs: Iterable[Path], ruleset: str | None):
        self.scorer = make_scorer(plugins_dirs, ruleset, "unit")
        self.rulesets: dict[str, RulesetRow] = {}
        self._frozen = False

    def make(self, path: Path | str) -> Record:
        record = build_record(self.scorer, Path(path), self.rulesets)
        if not self._frozen:
            # as the batch does (batch.run.BatchScorer.score): plugins, rulesets and compiled
            # rules live for the whole run, and every full collection would walk them again
            gc.freeze()
            self._frozen = True
        return record


_maker: RecordMaker | None = None


def _start_worker(plugins_dirs: list[Path], ruleset: str | None) -> None:
    global _maker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C and ends the workers
    _maker = RecordMaker(plugins_dirs, ruleset)


def _make_chunk(paths: list[str]) -> list[Record]:
    assert _maker is not None, "worker started without _start_worker"
    return [_maker.make(path) for path in paths]


def make_records(files: list[Path], maker: RecordMaker, plugins_dirs: list[Path], ruleset: str | None, jobs: int) -> Iterator[Record]:
    """One record per file, scored in ``jobs`` worker processes while the caller writes the
    records already made (in no particular order with ``jobs > 1``); a few files with
    ``jobs`` 1 are scored here."""
    if jobs <= 1 and len(files) < IN_PROCESS:
        for path in files:
            yield maker.make(path)
        return
    size = chunk_size(len(files), jobs)
    chunks = [[str(path) for path in files[start : start + size]] for start in range(0, len(files), size)]
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=(plugins_dirs, ruleset))
    try:
        pending = {pool.submit(_make_chunk, chunk) for chunk in chunks}
        while pending:
            finished, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished:
                yield from future.result()
    except BaseException:
        for process in list((pool._processes or {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


# --------------------------------------------------------------------------- writing


class Writer:
    """Writes records into a store, one transaction a unit, winning or retrying races."""

    def __init__(self, store: Store):
        self.store = store
        self._rulesets: dict[str, int] = {}
        self._statements: dict[tuple[str, bool, int], str] = {}
        self.postgres = store.backend == "postgresql"
        dialect = store.engine.dialect
        self._mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._integrity_error: type[Exception] = dialect.loaded_dbapi.IntegrityError
        self._raw: Any = None

    def ruleset_ref(self, row: RulesetRow) -> int:
        """The id of a ruleset's row, inserted when the store has not seen its fingerprint."""
        ref = self._rulesets.get(row.fingerprint)
        if ref is not None:
            return ref
        for _ in range(RETRIES):
            try:
                with self.store.transaction() as session:
                    ref = session.scalar(select(RulesetRecord.id).where(RulesetRecord.fingerprint == row.fingerprint))
                    if ref is None:
                        record = RulesetRecord(fingerprint=row.fingerprint, ruleset_id=row.ruleset_id, name=row.name, version=row.version, resolved=row.resolved, info=row.info, rounding=row.rounding)
                        session.add(record)
                        session.flush()
                        ref = record.id
                self._rulesets[row.fingerprint] = ref
                return ref
            except IntegrityError:
                continue  # another ingest stored the same rules a moment ago: read theirs
        raise PerfscoreError(Problem(f"could not store ruleset {row.ruleset_id} ({row.fingerprint[:12]}) after {RETRIES} tries", file=self.store.url, key="store_ruleset_retries", fields=fill(ruleset=row.ruleset_id, fingerprint=row.fingerprint[:12], tries=RETRIES)))

    def _statement(self, key: str, sql: str) -> str:
        return self._statements.setdefault((key, False, 0), sql)

    def _sql(self, table: str, columns: tuple[str, ...], returning: bool = False) -> str:
        key = (table, returning, 1)
        sql = self._statements.get(key)
        if sql is None:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([self._mark] * len(columns))})" + (" RETURNING id" if returning else "")
            self._statements[key] = sql
        return sql

    def _connection(self) -> Any:
        """The driver's own connection, kept for the whole ingest (SQLAlchemy's pool hands it
        out once): a unit's few statements then cost what the driver costs, no more."""
        if self._raw is None:
            self._raw = self.store.engine.raw_connection()
            if self.postgres:
                # A commit returns before the server has flushed it to disk: a crash of the
                # server may lose the last units written (never half a unit), and ingesting
                # again stores them. Without this every unit waits for a disk flush.
                cursor = self._raw.cursor()
                cursor.execute("SET synchronous_commit TO off")
                cursor.execute("SET standard_conforming_strings TO on")  # what _literal's quoting relies on
                cursor.close()
                self._raw.commit()
        return self._raw

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    def write(self, record: UnitRecord) -> str:
        """Store one unit in one transaction; return "added", "new_version" or "unchanged".

        The driver's cursor takes each table's rows as one executemany of plain tuples that
        the record already holds as text (built where the unit was scored, in a worker with
        ``jobs``): the ORM's unit of work, and even Core's per-statement handling, cost
        more than scoring the unit did. Levels and rows name their project by its position,
        so no project id has to come back before they are written. SQLite takes its write
        lock when the transaction begins (``BEGIN IMMEDIATE``), so that a second ingest
        waits instead of failing.
        """
        ref = self.ruleset_ref(record.ruleset)
        unit_id, year, sha256 = record.unit_id, record.year, record.sha256
        if self.postgres:
            return self._write_postgres(record, ref)
        versions_sql = self._statement("versions", f"SELECT version, sha256 FROM submissions WHERE unit_id = {self._mark} AND year = {self._mark}")
        for _ in range(RETRIES):
            connection = self._connection()
            cursor = connection.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute(versions_sql, (unit_id, year))
                stored = cursor.fetchall()
                if any(stored_sha == sha256 for _, stored_sha in stored):
                    connection.rollback()
                    return "unchanged"
                version = max((stored_version for stored_version, _ in stored), default=0) + 1
                head = (version, ref, UTCTime().process_bind_param(now(), None))  # type: ignore[arg-type]
                cursor.execute(self._sql("submissions", ("version", "ruleset_ref", "ingested_at", *SUBMISSION_COLUMNS), returning=True), head + record.submission_row)
                submission_id = cursor.fetchone()[0]
                for table, columns, rows in _children(record):
                    if rows:
                        cursor.executemany(self._sql(table, ("submission_id", *columns)), [(submission_id, *row) for row in rows])
                connection.commit()
                return "added" if version == 1 else "new_version"
            except self._integrity_error:
                # another ingest stored this unit (or took its next version) first: look again
                connection.rollback()
            except BaseException:
                self._discard(connection)
                raise
            finally:
                cursor.close()
        raise PerfscoreError(Problem(f"could not store unit {unit_id} {year} after {RETRIES} tries: other ingests kept taking its next version", file=record.file, key="store_unit_retries", fields=fill(unit=unit_id, year=year, tries=RETRIES)))

    def _write_postgres(self, record: UnitRecord, ref: int) -> str:
        """PostgreSQL: the unit in one statement (:func:`_unit_statement`) and its commit, sent
        together (psycopg's pipeline): one round trip a unit, which is what a writer waits
        for, and on a busy machine each wait is a turn of the scheduler."""
        ingested_at = now().isoformat(timespec="microseconds")  # as UTCTime writes it
        for _ in range(RETRIES):
            connection = self._connection()
            cursor = connection.cursor()
            try:
                with connection.driver_connection.pipeline():
                    cursor.execute(_unit_statement(record, ref, ingested_at))
                    connection.commit()
                stored = cursor.fetchone()
                if stored is None:
                    return "unchanged"
                return "added" if stored[0] == 1 else "new_version"
            except self._integrity_error:
                # another ingest stored this unit (or took its next version) first: look again
                connection.rollback()
            except BaseException:
                self._discard(connection)
                raise
            finally:
                cursor.close()
        raise PerfscoreError(Problem(f"could not store unit {record.unit_id} {record.year} after {RETRIES} tries: other ingests kept taking its next version", file=record.file, key="store_unit_retries", fields=fill(unit=record.unit_id, year=record.year, tries=RETRIES)))

    def _discard(self, connection: Any) -> None:
        try:
            connection.rollback()
        except Exception:  # noqa: BLE001 - the connection is broken: the pool will drop it
            connection.invalidate()
        finally:
            connection.close()
            self._raw = None

    def write_failure(self, record: FailedRecord) -> None:
        """Record a file that failed (once per file name and content)."""
        for _ in range(RETRIES):
            try:
                with self.store.transaction() as session:
                    seen = session.scalar(select(FailedIngest.id).where(FailedIngest.file_name == record.file, FailedIngest.sha256 == record.sha256))
                    if seen is None:
                        session.add(FailedIngest(file_name=record.file, sha256=record.sha256, unit_id=record.unit_id, year=record.year, problems=problems_to_json(record.problems), ingested_at=now()))
                return
            except IntegrityError:
                continue


class Writing:
    """Records written as they come: by the caller's thread into SQLite (one writer at a time
    is all SQLite allows), by ``POSTGRES_WRITERS`` threads with a connection each into
    PostgreSQL, whose round trips then overlap (the driver waits for the server without
    Python's lock). Each unit is still one transaction; two writers meeting on one unit are
    told apart by the unique keys, as two ingests are."""

    def __init__(self, store: Store, report: IngestReport):
        self.store = store
        self.report = report
        self.lock = threading.Lock()
        self.writers: list[Writer] = []
        self.local = threading.local()
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.pending: set[concurrent.futures.Future[None]] = set()
        if store.backend == "postgresql":
            self.pool = concurrent.futures.ThreadPoolExecutor(POSTGRES_WRITERS, thread_name_prefix="perfscore-writer")

    def _writer(self) -> Writer:
        writer: Writer | None = getattr(self.local, "writer", None)
        if writer is None:
            writer = self.local.writer = Writer(self.store)
            with self.lock:
                self.writers.append(writer)
        return writer

    def _store(self, record: Record) -> None:
        writer = self._writer()
        if isinstance(record, UnitRecord):
            outcome = writer.write(record)
            with self.lock:
                {"added": self.report.added, "new_version": self.report.new_versions, "unchanged": self.report.unchanged}[outcome].append(record.file)
                if record.incomplete:
                    self.report.incomplete.append((record.file, record.incomplete))
        else:
            writer.write_failure(record)
            with self.lock:
                self.report.failures.append(Failed(record.file, record.problems))

    def write(self, record: Record) -> None:
        if self.pool is None:
            self._store(record)
            return
        if len(self.pending) >= QUEUED:  # keep the records waiting for a writer few
            done, self.pending = concurrent.futures.wait(self.pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                future.result()  # a writer's error stops the ingest
        self.pending.add(self.pool.submit(self._store, record))

    def finish(self) -> None:
        for future in concurrent.futures.as_completed(self.pending):
            future.result()
        self.pending.clear()

    def close(self) -> None:
        """Stop the writers (a unit being written completes or rolls back) and close their connections."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        for writer in self.writers:
            writer.close()


def ingest(
    store: Store,
    paths: Iterable[Path],
    *,
    ruleset: str | None = None,
    plugins_dirs: Iterable[Path] = (),
    jobs: int = 1,
    progress: bool = True,
) -> IngestReport:
    """Score and store every submission under ``paths``; a file that fails is recorded and listed."""
    paths = list(paths)
    plugins_dirs = list(plugins_dirs)
    if jobs < 0:
        raise PerfscoreError(Problem(f"--jobs {jobs}", expected="0 (one per CPU) or a positive number of processes", key="bad_jobs", expected_key="expected_jobs", fields=fill(jobs=jobs)))
    if jobs == 0:
        import os

        jobs = os.cpu_count() or 1
    # plugins and the ruleset load here first: a broken plugin or unknown ruleset is one error
    maker = RecordMaker(plugins_dirs, ruleset)
    if ruleset:
        maker.scorer.engine.ruleset(ruleset)
    discovered = discover(paths)
    files = discovered.files
    if not files and not discovered.failed:
        raise PerfscoreError(Problem(f"no .toml submissions found under {', '.join(str(path) for path in paths)}", expected="folders or files of perfscore submissions", key="no_submissions_found", expected_key="expected_submission_paths", fields=fill(paths=", ".join(str(path) for path in paths))))
    report = IngestReport(files=len(files) + len(discovered.failed))
    bar = Progress(len(files), label="ingesting", force=None if progress else False)
    writing = Writing(store, report)
    try:
        for record in make_records(files, maker, plugins_dirs, ruleset, jobs):
            writing.write(record)
            bar.advance(1)
        writing.finish()
    finally:
        writing.close()
        bar.close()
    report.failures += discovered.failed
    report.failures.sort(key=lambda failure: failure.file)
    for names in (report.added, report.new_versions, report.unchanged):
        names.sort()
    report.incomplete.sort()
    return report


__all__ = ["FailedRecord", "IngestReport", "RecordMaker", "UnitRecord", "Writer", "Writing", "build_record", "ingest", "ruleset_row"]
