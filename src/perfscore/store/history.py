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
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from perfscore.batch.table import Table, TableOptions
from perfscore.messages import pick
from perfscore.store.codec import info_from_json, problems_from_json
from perfscore.store.database import Store
from perfscore.store.direct import STORE_COLUMNS, YearData, finish_table, latest_ids_sql, read_year, uncollected
from perfscore.store.review import Reviewed, entries, in_force, latest_submission, reviewed
from perfscore.store.schema import FailedIngest, ReviewEntry, RulesetRecord, Submission

if TYPE_CHECKING:
    from perfscore.engine import Engine
    from perfscore.store.explanation import Explain


def year_data(session: Session, year: int, by: str) -> YearData:
    """The year's latest versions as the batch's summaries, with reviewed totals
    (:func:`perfscore.store.direct.read_year`); the full Submission is loaded only for a
    unit with adjustments in force, whose reviewed score is added up again."""
    with uncollected():
        latest = latest_ids_sql(year)
        logs: dict[int, list[ReviewEntry]] = {}
        for entry in session.scalars(select(ReviewEntry).where(ReviewEntry.submission_id.in_(select(Submission.id).where(text(f"submissions.id IN ({latest})")))).order_by(ReviewEntry.id)):
            logs.setdefault(entry.submission_id, []).append(entry)
        reviews: dict[int, Reviewed] = {}
        for submission_id, log in logs.items():
            force = in_force(log)
            if force:
                stored = session.get(Submission, submission_id)
                assert stored is not None  # the log's foreign key
                reviews[submission_id] = reviewed(session, stored, force)
        cursor = session.connection().connection.cursor()
        try:
            return read_year(cursor, year, by, reviews)
        finally:
            cursor.close()


def store_table(store: Store, year: int, options: TableOptions, compare: int | None = None) -> Table:
    """``perfscore table --db --year Y [--compare Y0]``: the batch table from stored, reviewed scores."""
    with uncollected(), store.reading() as session:
        data = year_data(session, year, options.by)
        if not data.scored and not data.failed:
            years = sorted(set(session.scalars(select(Submission.year).distinct())))
            from perfscore.errors import PerfscoreError, Problem, fill

            raise PerfscoreError(Problem(f"the store holds no units for {year}", location="--year", expected=f"one of the stored years: {', '.join(map(str, years)) or 'none yet (perfscore ingest)'}", key="store_no_year", expected_key="expected_stored_year" if years else "expected_stored_year_none", fields=fill(year=year, years=", ".join(map(str, years)))))
        previous = year_data(session, compare, options.by) if compare is not None else None
    return finish_table(data, previous, options)


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
