"""``perfscore ingest``: score each file through the engine and keep everything in the store.

The store's first step (:mod:`perfscore.store`): files are found as ``table`` finds them
(:func:`perfscore.batch.run.discover`), each scored by the engine's normal path (so a
workbook that :func:`perfscore.load.load_submission` reads is ingested like a TOML file), and
turned into a :class:`UnitRecord` of plain values: the unit, year, file name, sha256 and
text, the ruleset, every score down to the row, every finding and the explanation in both
languages. Records may be built in worker processes (``jobs``); only the main process
writes, one transaction a unit.

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
import datetime
import hashlib
import json
import signal
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from perfscore.batch.progress import Progress
from perfscore.batch.run import BatchScorer, Failed, chunk_size, discover, make_scorer, ruleset_info
from perfscore.errors import PerfscoreError, Problem, fill
from perfscore.files import decode_text, read_bytes, read_toml
from perfscore.models import SEVERITY_ORDER, Ruleset
from perfscore.store.codec import info_to_json, points_to_json, problems_to_json
from perfscore.store.database import Store, now
from perfscore.store.schema import FailedIngest, RulesetRecord, Submission, UTCTime

if TYPE_CHECKING:
    from perfscore.find import Evaluation

#: writes an evaluation's whole explanation, called as ``explain(evaluation, lang=LANG)``
#: (``perfscore.output.result.explain_text``, passed in by the command line: the store sits
#: below the output stage, and a worker process receives it by name)
Explain = Callable[..., str]
#: how many times a unit's transaction is tried again after losing a race to another ingest
RETRIES = 8
#: the languages every explanation is kept in
EXPLANATION_LANGUAGES = ("zh", "en")


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
    "incomplete", "project_count", "row_count", "explanation_zh", "explanation_en",
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


def _text(value: Any) -> Any:
    """A value as the store's columns hold it: a Decimal or a time as text (schema.DecimalText, UTCTime)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return UTCTime().process_bind_param(value, None)  # type: ignore[arg-type]
    return value


def _row(values: dict[str, Any], columns: tuple[str, ...]) -> tuple[Any, ...]:
    """The values in column order, Decimals as their text (a unit makes some sixty of these)."""
    return tuple([str(value) if value.__class__ is Decimal else value for value in map(values.__getitem__, columns)])


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


def _counts(findings: Iterable[Any]) -> tuple[int, int, int]:
    tally = [0, 0, 0]
    for finding in findings:
        tally[SEVERITY_ORDER[finding.severity]] += 1
    return tally[0], tally[1], tally[2]


def build_record(scorers: tuple[BatchScorer, BatchScorer], path: Path, explain: Explain, rulesets: dict[str, RulesetRow]) -> Record:
    """Score one file and turn it into what the store keeps (or the problems that stopped it)."""
    file = str(path)
    try:
        data = read_bytes(path)
    except PerfscoreError as error:
        return FailedRecord(file, "", None, None, _located(error.problems, file))
    sha256 = hashlib.sha256(data).hexdigest()
    unit_scorer, project_scorer = scorers
    try:
        evaluation = unit_scorer.engine.evaluate(path)
        if evaluation.timed_out:
            return _failed(path, sha256, [Problem(failure.render(), file=file, key="plugin_failed", fields=fill(plugin=failure.plugin, hook=failure.hook, error=failure.error)) for failure in evaluation.failures])
        return _unit_record(evaluation, unit_scorer, project_scorer, file, data, sha256, explain, rulesets)
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


def _unit_record(evaluation: Evaluation, unit_scorer: BatchScorer, project_scorer: BatchScorer, file: str, data: bytes, sha256: str, explain: Explain, rulesets: dict[str, RulesetRow]) -> UnitRecord:
    unit = evaluation.unit
    submission, ruleset = unit.submission, unit.ruleset
    summary = unit_scorer.summarise(evaluation, file)
    project_summary = {part.project_id: part for part in project_scorer.summarise(evaluation, file).parts}
    if ruleset.fingerprint not in rulesets:
        rulesets[ruleset.fingerprint] = ruleset_row(ruleset)
    findings = evaluation.findings
    if file.endswith(".toml"):
        source_text, source_format = decode_text(Path(file), data), "toml"
    else:  # a workbook: the submission read from it, as JSON
        source_text, source_format = submission.model_dump_json(), "json"
    projects: list[tuple[Any, ...]] = []
    level_rows: list[tuple[Any, ...]] = []
    indicator_rows: list[tuple[Any, ...]] = []
    for position, project in enumerate(unit.projects):
        part = project_summary.get(project.id)
        counts = _counts(finding for finding in findings if finding.project == project.id)
        budget = project.budget
        levels = [{"project_position": position, "position": 0, "level": "budget", "name": "预算执行率", "name_en": "Budget execution", "weight": budget.weight, "score": budget.score, "assessable": budget.weight if budget.score is not None else Decimal(0)}]
        levels += [{"project_position": position, "position": index, "level": level.id, "name": level.name, "name_en": level.name_en, "weight": level.weight, "score": level.score, "assessable": level.assessable} for index, level in enumerate(project.levels, 1)]
        rows = [
            {
                "project_position": position,
                "position": index,
                "indicator": score.definition.id,
                "name": score.name,
                "level1": score.definition.level1,
                "level2": score.definition.level2,
                "target": score.target,
                "actual": score.actual,
                "weight": score.weight,
                "score": score.score,
                "completion": score.completion,
                "status": score.status,
                "self_score": score.row.self_score,
                "method": score.method.name if score.method is not None else None,
            }
            for index, score in enumerate(project.indicators)
        ]
        level_rows += [_row(level, LEVEL_COLUMNS) for level in levels]
        indicator_rows += [_row(row, ROW_COLUMNS) for row in rows]
        projects.append(
            _row(
                {
                    "position": position,
                    "project_id": project.id,
                    "name": project.project.name,
                    "area": project.project.area,
                    "money_unit": project.money_unit,
                    "budget": budget.budget,
                    "spending": budget.spending,
                    "earned": project.earned,
                    "assessable": project.assessable,
                    "total": project.total,
                    "grade": project.grade,
                    # the lead's ProjectScore.self_total (issue 11); getattr until that lands
                    "self_total": project.self_total,
                    "policy": project.policy,
                    "places": project.places,
                    "problems": counts[0],
                    "warnings": counts[1],
                    "infos": counts[2],
                    "missing_required": " ".join(part.missing_required) if part is not None else "",
                },
                PROJECT_COLUMNS,
            )
        )
    areas = []
    for area_id, area in sorted(evaluation.areas.items()):
        counts = _counts(finding for finding in findings if finding.area == area_id)
        areas.append(_row({"area": area_id, "earned": area.earned, "possible": area.possible, "score": area.score, "source": area.source, "problems": counts[0], "warnings": counts[1], "infos": counts[2]}, AREA_COLUMNS))
    finding_rows = [
        _row({
            "position": index,
            "finding_id": finding.id,
            "severity": finding.severity,
            "area": finding.area,
            "project": finding.project,
            "indicator": finding.indicator,
            "source": finding.source,
            "title_zh": finding.title.zh,
            "title_en": finding.title.en,
            "problem_zh": finding.problem.zh,
            "problem_en": finding.problem.en,
            "improvement_zh": finding.improvement.zh,
            "improvement_en": finding.improvement.en,
            "evidence": json.dumps({key: [str(q.value), q.unit] for key, q in finding.evidence.items()}, ensure_ascii=False),
        }, FINDING_COLUMNS)
        for index, finding in enumerate(findings)
    ]
    counts = _counts(findings)
    part = summary.parts[0]
    explanations = {lang: explain(evaluation, lang=lang) for lang in EXPLANATION_LANGUAGES}
    values = {
        "unit_id": submission.unit.id,
        "year": submission.unit.year,
        "unit_name": submission.unit.name,
        "synthetic": submission.unit.synthetic,
        "file_name": file,
        "sha256": sha256,
        "source_text": source_text,
        "source_format": source_format,
        "declared_ruleset": summary.declared[0],
        "declared_fingerprint": summary.declared[1],
        "budget": unit.budget.budget,
        "spending": unit.budget.spending,
        "own_level_budget": unit.budget.own_level_budget,
        "own_level_spending": unit.budget.own_level_spending,
        "assessable": unit.assessable,
        "total": unit.total,
        "grade": unit.grade,
        # the lead's UnitScore.self_total (issue 11); getattr until that lands
        "self_total": unit.self_total,
        "points": points_to_json(part.points),
        "problems": counts[0],
        "warnings": counts[1],
        "infos": counts[2],
        "missing_required": " ".join(part.missing_required),
        "incomplete": "\n".join(summary.incomplete),
        "project_count": len(projects),
        "row_count": len(indicator_rows),
        "explanation_zh": explanations["zh"],
        "explanation_en": explanations["en"],
    }
    return UnitRecord(file, submission.unit.id, submission.unit.year, sha256, summary.incomplete, _row(values, SUBMISSION_COLUMNS), rulesets[ruleset.fingerprint], projects, level_rows, indicator_rows, areas, finding_rows)


# --------------------------------------------------------------------------- building, in workers or here


class RecordMaker:
    """Builds records with one engine (two batch scorers sharing it, for the unit and project summaries)."""

    def __init__(self, plugins_dirs: Iterable[Path], ruleset: str | None, explain: Explain):
        unit_scorer = make_scorer(plugins_dirs, ruleset, "unit")
        self.scorers = (unit_scorer, BatchScorer(unit_scorer.engine, "project"))
        self.explain = explain
        self.rulesets: dict[str, RulesetRow] = {}

    def make(self, path: Path | str) -> Record:
        return build_record(self.scorers, Path(path), self.explain, self.rulesets)


_maker: RecordMaker | None = None


def _start_worker(plugins_dirs: list[Path], ruleset: str | None, explain: Explain) -> None:
    global _maker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C and ends the workers
    _maker = RecordMaker(plugins_dirs, ruleset, explain)


def _make_chunk(paths: list[str]) -> list[Record]:
    assert _maker is not None, "worker started without _start_worker"
    return [_maker.make(path) for path in paths]


def make_records(files: list[Path], maker: RecordMaker, plugins_dirs: list[Path], ruleset: str | None, jobs: int) -> Iterator[Record]:
    """One record per file (in no particular order with ``jobs > 1``)."""
    if jobs <= 1 or len(files) < 2:
        for path in files:
            yield maker.make(path)
        return
    size = chunk_size(len(files), jobs)
    chunks = [[str(path) for path in files[start : start + size]] for start in range(0, len(files), size)]
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=(plugins_dirs, ruleset, maker.explain))
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
        self._statements: dict[tuple[str, bool], str] = {}

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

    def _sql(self, table: str, columns: tuple[str, ...], returning: bool = False) -> str:
        key = (table, returning)
        sql = self._statements.get(key)
        if sql is None:
            mark = "?" if self.store.engine.dialect.paramstyle == "qmark" else "%s"
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})" + (" RETURNING id" if returning else "")
            self._statements[key] = sql
        return sql

    def write(self, record: UnitRecord) -> str:
        """Store one unit in one transaction; return "added", "new_version" or "unchanged".

        Each table's rows go in one executemany of plain tuples that the record already
        holds as text (built where the unit was scored, in a worker with ``jobs``): the
        ORM's unit of work, and even Core's per-row parameter handling, cost more than
        scoring the unit did. Levels and rows name their project by its position, so no
        project id has to come back before they are written.
        """
        ref = self.ruleset_ref(record.ruleset)
        unit_id, year, sha256 = record.unit_id, record.year, record.sha256
        submissions = Submission.__table__
        for attempt in range(RETRIES):
            try:
                with self.store.engine.begin() as connection:
                    if attempt:  # lost a race: the other ingest may have stored this very file
                        same = connection.execute(select(submissions.c.id).where(submissions.c.unit_id == unit_id, submissions.c.year == year, submissions.c.sha256 == sha256)).first()
                        if same is not None:
                            return "unchanged"
                    latest = connection.execute(select(func.max(submissions.c.version)).where(submissions.c.unit_id == unit_id, submissions.c.year == year)).scalar()
                    version = (latest or 0) + 1
                    head = (version, ref, _text(now()))
                    submission_id = connection.exec_driver_sql(self._sql("submissions", ("version", "ruleset_ref", "ingested_at", *SUBMISSION_COLUMNS), returning=True), head + record.submission_row).scalar_one()
                    for table, columns, rows in (("project_scores", PROJECT_COLUMNS, record.projects), ("level_scores", LEVEL_COLUMNS, record.levels), ("row_scores", ROW_COLUMNS, record.rows), ("area_scores", AREA_COLUMNS, record.areas), ("findings", FINDING_COLUMNS, record.findings)):
                        if rows:
                            connection.exec_driver_sql(self._sql(table, ("submission_id", *columns)), [(submission_id, *row) for row in rows])
                return "added" if version == 1 else "new_version"
            except IntegrityError:
                continue  # another ingest stored this unit (or took its next version) first: look again
        raise PerfscoreError(Problem(f"could not store unit {unit_id} {year} after {RETRIES} tries: other ingests kept taking its next version", file=record.file, key="store_unit_retries", fields=fill(unit=unit_id, year=year, tries=RETRIES)))

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


def ingest(
    store: Store,
    paths: Iterable[Path],
    explain: Explain,
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
    maker = RecordMaker(plugins_dirs, ruleset, explain)
    if ruleset:
        maker.scorers[0].engine.ruleset(ruleset)
    discovered = discover(paths)
    files = discovered.files
    if not files and not discovered.failed:
        raise PerfscoreError(Problem(f"no .toml submissions found under {', '.join(str(path) for path in paths)}", expected="folders or files of perfscore submissions", key="no_submissions_found", expected_key="expected_submission_paths", fields=fill(paths=", ".join(str(path) for path in paths))))
    report = IngestReport(files=len(files) + len(discovered.failed))
    writer = Writer(store)
    bar = Progress(len(files), label="ingesting", force=None if progress else False)
    try:
        for record in make_records(files, maker, plugins_dirs, ruleset, jobs):
            if isinstance(record, UnitRecord):
                outcome = writer.write(record)
                {"added": report.added, "new_version": report.new_versions, "unchanged": report.unchanged}[outcome].append(record.file)
                if record.incomplete:
                    report.incomplete.append((record.file, record.incomplete))
            else:
                writer.write_failure(record)
                report.failures.append(Failed(record.file, record.problems))
            bar.advance(1)
    finally:
        bar.close()
    report.failures += discovered.failed
    report.failures.sort(key=lambda failure: failure.file)
    for names in (report.added, report.new_versions, report.unchanged):
        names.sort()
    report.incomplete.sort()
    return report


__all__ = ["EXPLANATION_LANGUAGES", "Explain", "FailedRecord", "IngestReport", "RecordMaker", "UnitRecord", "Writer", "build_record", "ingest", "ruleset_row"]
