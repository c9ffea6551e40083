"""The store's tables, in one place: SQLAlchemy 2 ORM classes with typed ``Mapped[]`` columns.

The store (:mod:`perfscore.store`) keeps what ``perfscore ingest`` scored and what a bureau's
reviewers changed; this module only declares it. One :class:`Submission` row is one version
of one unit's file for one year (unique on unit, year and the file's sha256, and on unit,
year and version), with its projects (:class:`ProjectScore`), their budget and level scores
(:class:`LevelScore`), every indicator row (:class:`RowScore`), the area scores
(:class:`AreaScore`) and the findings (:class:`FindingRecord`). A file that could not be
scored is a :class:`FailedIngest`. Rules are stored once by fingerprint (:class:`RulesetRecord`).
The review log (:class:`ReviewEntry`) is append-only: a withdrawal is a new entry naming the
one it withdraws. Numbers are kept as exact decimal text (:class:`DecimalText`), never as
floats, so a score read back is the score that was written, on SQLite and PostgreSQL alike.
docs/store.md draws the schema.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from perfscore.store.direct import STORE_NAME  # the marker row that says a database is perfscore's (table ``perfscore_store``)


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal kept as its exact text: SQLite has no exact decimal type of its own."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class UTCTime(TypeDecorator[datetime.datetime]):
    """A moment in UTC kept as ISO 8601 text (``2026-12-03T10:15:00.123456+00:00``): the
    same on every database, and sorted as text in time order."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: datetime.datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return value.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime.datetime | None:
        return None if value is None else datetime.datetime.fromisoformat(value)


class Base(DeclarativeBase):
    pass


class StoreInfo(Base):
    """One row saying that this database is a perfscore store (the schema version is Alembic's)."""

    __tablename__ = "perfscore_store"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCTime)


class RulesetRecord(Base):
    """A resolved ruleset, once per fingerprint: what every score stored with it was scored by."""

    __tablename__ = "rulesets"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    ruleset_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(100))
    #: the resolved rules as canonical JSON (sorted keys), as they were when scored
    resolved: Mapped[str] = mapped_column(Text)
    #: what a table states about the rules (levels, areas, grades, places, combine), as JSON
    info: Mapped[str] = mapped_column(Text)
    rounding: Mapped[str] = mapped_column(String(32))


class Submission(Base):
    """One version of one unit's submission for one year, scored."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "sha256", name="uq_submission_content"),
        UniqueConstraint("unit_id", "year", "version", name="uq_submission_version"),
        Index("ix_submissions_year", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(200))
    year: Mapped[int]
    version: Mapped[int]
    unit_name: Mapped[str] = mapped_column(Text)
    synthetic: Mapped[bool]
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    #: the submission as it was read (TOML text), or a workbook's submission as JSON
    source_text: Mapped[str] = mapped_column(Text, deferred=True)
    source_format: Mapped[str] = mapped_column(String(16))
    ruleset_ref: Mapped[int] = mapped_column(ForeignKey("rulesets.id"))
    declared_ruleset: Mapped[str] = mapped_column(String(200))
    declared_fingerprint: Mapped[str | None] = mapped_column(String(64))
    ingested_at: Mapped[datetime.datetime] = mapped_column(UTCTime)
    budget: Mapped[Decimal] = mapped_column(DecimalText)
    spending: Mapped[Decimal] = mapped_column(DecimalText)
    own_level_budget: Mapped[Decimal | None] = mapped_column(DecimalText)
    own_level_spending: Mapped[Decimal | None] = mapped_column(DecimalText)
    assessable: Mapped[Decimal] = mapped_column(DecimalText)
    total: Mapped[Decimal | None] = mapped_column(DecimalText)
    grade: Mapped[str | None] = mapped_column(String(32))
    #: the unit's own stated total (自评分), when it states one
    self_total: Mapped[Decimal | None] = mapped_column(DecimalText)
    #: the unit's budget score and level-1 scores by id, as JSON of decimal texts
    points: Mapped[str] = mapped_column(Text)
    problems: Mapped[int]
    warnings: Mapped[int]
    infos: Mapped[int]
    #: required indicators of the unit's areas it did not report, space-separated
    missing_required: Mapped[str] = mapped_column(Text)
    #: plugin failures that left the result incomplete, one a line (empty: complete)
    incomplete: Mapped[str] = mapped_column(Text)
    project_count: Mapped[int]
    row_count: Mapped[int]
    #: the explanation, made from the stored submission and rules when ``explain --db`` first
    #: asks for it and kept from then on (store/explanation.py); read only when asked for
    explanation_zh: Mapped[str | None] = mapped_column(Text, deferred=True)
    explanation_en: Mapped[str | None] = mapped_column(Text, deferred=True)


class ProjectScore(Base):
    __tablename__ = "project_scores"
    __table_args__ = (
        UniqueConstraint("submission_id", "project_id", name="uq_project"),
        UniqueConstraint("submission_id", "position", name="uq_project_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: no index of its own: the unique key that starts with it serves every lookup by submission
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    position: Mapped[int]
    project_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Text)
    area: Mapped[str | None] = mapped_column(String(200))
    money_unit: Mapped[str] = mapped_column(String(16))
    budget: Mapped[Decimal] = mapped_column(DecimalText)
    spending: Mapped[Decimal] = mapped_column(DecimalText)
    earned: Mapped[Decimal] = mapped_column(DecimalText)
    assessable: Mapped[Decimal] = mapped_column(DecimalText)
    total: Mapped[Decimal | None] = mapped_column(DecimalText)
    grade: Mapped[str | None] = mapped_column(String(32))
    self_total: Mapped[Decimal | None] = mapped_column(DecimalText)
    #: how a project without assessable rows is totalled (the ruleset's missing_targets)
    policy: Mapped[str] = mapped_column(String(32))
    places: Mapped[int]
    problems: Mapped[int]
    warnings: Mapped[int]
    infos: Mapped[int]
    missing_required: Mapped[str] = mapped_column(Text)


class LevelScore(Base):
    """A project's budget score (level ``budget``) or one of its level-1 scores."""

    __tablename__ = "level_scores"
    __table_args__ = (
        UniqueConstraint("submission_id", "project_position", "level", name="uq_level"),
        ForeignKeyConstraint(["submission_id", "project_position"], ["project_scores.submission_id", "project_scores.position"], name="fk_level_project"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: no index of its own: the unique key that starts with it serves every lookup by submission
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    #: the project's position in its submission (project_scores has one row per position)
    project_position: Mapped[int]
    position: Mapped[int]
    level: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    weight: Mapped[Decimal] = mapped_column(DecimalText)
    #: None: a budget line without a rate (nothing to score)
    score: Mapped[Decimal | None] = mapped_column(DecimalText)
    assessable: Mapped[Decimal] = mapped_column(DecimalText)


class RowScore(Base):
    """One scored indicator row."""

    __tablename__ = "row_scores"
    __table_args__ = (
        UniqueConstraint("submission_id", "project_position", "indicator", name="uq_row"),
        ForeignKeyConstraint(["submission_id", "project_position"], ["project_scores.submission_id", "project_scores.position"], name="fk_row_project"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: no index of its own: the unique key that starts with it serves every lookup by submission
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    project_position: Mapped[int]
    position: Mapped[int]
    indicator: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Text)
    level1: Mapped[str] = mapped_column(String(200))
    level2: Mapped[str] = mapped_column(String(200))
    target: Mapped[Decimal | None] = mapped_column(DecimalText)
    actual: Mapped[Decimal | None] = mapped_column(DecimalText)
    weight: Mapped[Decimal] = mapped_column(DecimalText)
    score: Mapped[Decimal] = mapped_column(DecimalText)
    completion: Mapped[Decimal | None] = mapped_column(DecimalText)
    status: Mapped[str] = mapped_column(String(32))
    self_score: Mapped[Decimal | None] = mapped_column(DecimalText)
    method: Mapped[str | None] = mapped_column(String(100))


class AreaScore(Base):
    __tablename__ = "area_scores"
    __table_args__ = (UniqueConstraint("submission_id", "area", name="uq_area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: no index of its own: the unique key that starts with it serves every lookup by submission
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    area: Mapped[str] = mapped_column(String(200))
    earned: Mapped[Decimal] = mapped_column(DecimalText)
    possible: Mapped[Decimal] = mapped_column(DecimalText)
    score: Mapped[Decimal | None] = mapped_column(DecimalText)
    source: Mapped[str] = mapped_column(String(200))
    problems: Mapped[int]
    warnings: Mapped[int]
    infos: Mapped[int]


class FindingRecord(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    position: Mapped[int]
    finding_id: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(16))
    area: Mapped[str | None] = mapped_column(String(200))
    project: Mapped[str | None] = mapped_column(String(200))
    indicator: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    #: the wording, filled with the unit's explanation when first asked for (store/explanation.py)
    title_zh: Mapped[str | None] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(Text)
    problem_zh: Mapped[str | None] = mapped_column(Text)
    problem_en: Mapped[str | None] = mapped_column(Text)
    improvement_zh: Mapped[str | None] = mapped_column(Text)
    improvement_en: Mapped[str | None] = mapped_column(Text)
    #: the evidence quoted, as JSON {key: [value text, unit]}
    evidence: Mapped[str] = mapped_column(Text)


class FailedIngest(Base):
    """A file that could not be scored, with every problem; unit and year when they could be read."""

    __tablename__ = "failed_ingests"
    __table_args__ = (UniqueConstraint("file_name", "sha256", name="uq_failed_content"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str | None] = mapped_column(String(200))
    year: Mapped[int | None]
    #: the problems as JSON: [{message, file, location, expected}]
    problems: Mapped[str] = mapped_column(Text)
    ingested_at: Mapped[datetime.datetime] = mapped_column(UTCTime)


class ReviewEntry(Base):
    """One entry of the append-only review log (复核): an adjustment, or a withdrawal of one."""

    __tablename__ = "review_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "adjust" or "withdraw"
    #: adjust: PROJECT, PROJECT/budget, PROJECT/LEVEL or PROJECT/ROW (docs/store.md)
    target: Mapped[str | None] = mapped_column(Text)
    points: Mapped[Decimal | None] = mapped_column(DecimalText)
    #: withdraw: the adjustment withdrawn (each at most once)
    withdraws: Mapped[int | None] = mapped_column(ForeignKey("review_entries.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCTime)


__all__ = [
    "STORE_NAME",
    "AreaScore",
    "Base",
    "DecimalText",
    "FailedIngest",
    "FindingRecord",
    "LevelScore",
    "ProjectScore",
    "ReviewEntry",
    "RowScore",
    "RulesetRecord",
    "StoreInfo",
    "Submission",
    "UTCTime",
]
