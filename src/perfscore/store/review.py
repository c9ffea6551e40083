"""The bureau's review (复核): the append-only log of adjustments, and the reviewed score.

The store's review step (:mod:`perfscore.store`). A reviewer adjusts one unit's score for a
year with a reason under their name: ``TARGET=±POINTS``, where TARGET is

- ``PROJECT`` (the project's total),
- ``PROJECT/budget`` (its budget-execution score),
- ``PROJECT/LEVEL`` (a level-1 score: ``output``, ``benefit``, ``satisfaction``… or
  ``indicators`` in a pooled ruleset), or
- ``PROJECT/ROW`` (an indicator row, by indicator id or by the row's printed name).

An adjustment attaches to the unit's latest stored version for that year. Entries are
never changed or deleted: an adjustment is withdrawn by a new entry naming it, at most once.
The reviewed score is the computed score plus the adjustments in force, each clamped where
it lands (a row between 0 and its weight, a level or the budget score between 0 and its
weight, a project total between 0 and 100), then added up exactly as scoring adds up
(levels → project total at the ruleset's places and rounding → the unit's total, budget-
weighted or a mean as the ruleset combines). docs/store.md states the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from perfscore.arithmetic import HUNDRED, ZERO, quantize
from perfscore.errors import PerfscoreError, Problem, fill
from perfscore.store.codec import points_from_json
from perfscore.store.database import Store, now
from perfscore.store.schema import LevelScore, ProjectScore, ReviewEntry, RowScore, RulesetRecord, Submission

ADJUST = "adjust"
WITHDRAW = "withdraw"
#: the most points one adjustment may move (a total is out of 100)
MOST_POINTS = Decimal(100)


@dataclass(frozen=True, slots=True)
class Adjustment:
    target: str
    points: Decimal


def parse_adjustment(text: str) -> Adjustment:
    """``TARGET=±POINTS`` → an :class:`Adjustment`; a clear error naming what was expected."""
    target, equals, amount = text.rpartition("=")
    expected = "TARGET=±POINTS, e.g. P1=-2, P1/output=+1.5 or P1/budget_rate=-0.5 (docs/store.md)"
    if not equals or not target.strip() or not amount.strip():
        raise PerfscoreError(Problem(f"--adjust {text!r}", location="--adjust", expected=expected, key="adjust_form", expected_key="expected_adjust", fields=fill(text=repr(text))))
    try:
        points = Decimal(amount.strip())
    except InvalidOperation:
        raise PerfscoreError(Problem(f"--adjust {text!r}: {amount.strip()!r} is not a number of points", location="--adjust", expected=expected, key="adjust_not_number", expected_key="expected_adjust", fields=fill(text=repr(text), amount=repr(amount.strip())))) from None
    if not points.is_finite() or points == ZERO or abs(points) > MOST_POINTS or points != quantize(points, 2):
        raise PerfscoreError(Problem(f"--adjust {text!r}: {amount.strip()} points", location="--adjust", expected=f"a non-zero number of points with at most 2 decimals, at most {MOST_POINTS} either way", key="adjust_points", expected_key="expected_adjust_points", fields=fill(text=repr(text), amount=amount.strip(), most=MOST_POINTS)))
    return Adjustment(target.strip(), points)


def latest_submission(session: Session, unit_id: str, year: int) -> Submission:
    found = session.scalars(select(Submission).where(Submission.unit_id == unit_id, Submission.year == year).order_by(Submission.version.desc()).limit(1)).first()
    if found is None:
        years = sorted(set(session.scalars(select(Submission.year).where(Submission.unit_id == unit_id))))
        expected = f"a year the store holds for {unit_id}: {', '.join(map(str, years))}" if years else "a unit id that perfscore ingest stored (perfscore history UNIT lists its years)"
        raise PerfscoreError(Problem(f"no stored submission of unit {unit_id!r} for {year}", location="UNIT --year", expected=expected, key="store_no_submission", expected_key="expected_unit_year" if years else "expected_stored_unit_history", fields=fill(unit=repr(unit_id), unit_id=unit_id, year=year, years=", ".join(map(str, years)))))
    return found


def resolve_target(session: Session, submission: Submission, target: str) -> str:
    """The target in its canonical form (``P``, ``P/budget``, ``P/LEVEL``, ``P/INDICATOR``), checked."""
    project_id, slash, part = target.partition("/")
    projects = {p.project_id: p for p in session.scalars(select(ProjectScore).where(ProjectScore.submission_id == submission.id))}
    project = projects.get(project_id)
    if project is None:
        raise PerfscoreError(Problem(f"no project {project_id!r} in {submission.unit_id} {submission.year} (version {submission.version})", location="--adjust", expected=f"one of: {', '.join(sorted(projects))}", key="store_no_project", expected_key="expected_one_of", fields=fill(project=repr(project_id), unit=submission.unit_id, year=submission.year, version=submission.version, known=", ".join(sorted(projects)))))
    if not slash:
        if project.total is None:
            raise PerfscoreError(Problem(f"project {project_id} has no total (nothing assessable) to adjust", location="--adjust", expected="a row or level of it instead", key="adjust_no_total", expected_key="expected_row_or_level", fields=fill(project=project_id)))
        return project_id
    levels = [level.level for level in session.scalars(select(LevelScore).where(LevelScore.submission_id == submission.id, LevelScore.project_position == project.position))]
    rows = list(session.scalars(select(RowScore).where(RowScore.submission_id == submission.id, RowScore.project_position == project.position)))
    if part in levels:
        return f"{project_id}/{part}"
    by_id = [row for row in rows if row.indicator == part]
    by_name = [row for row in rows if row.name == part]
    matched = by_id or by_name
    if len(matched) == 1:
        return f"{project_id}/{matched[0].indicator}"
    choices = sorted(levels) + sorted(row.indicator for row in rows)
    if len(matched) > 1:
        raise PerfscoreError(Problem(f"{part!r} names {len(matched)} rows of project {project_id}", location="--adjust", expected=f"an indicator id: {', '.join(sorted(row.indicator for row in matched))}", key="adjust_ambiguous", expected_key="expected_indicator_id", fields=fill(part=repr(part), count=len(matched), project=project_id, known=", ".join(sorted(row.indicator for row in matched)))))
    raise PerfscoreError(Problem(f"project {project_id} has no level or row {part!r}", location="--adjust", expected=f"one of: {', '.join(choices)}", key="adjust_no_part", expected_key="expected_one_of", fields=fill(project=project_id, part=repr(part), known=", ".join(choices))))


def _who_and_why(reason: str | None, reviewer: str | None) -> tuple[str, str]:
    problems = []
    if not (reason or "").strip():
        problems.append(Problem("a review entry needs a reason", location="--reason", expected="the reason in words (复核意见)", key="review_no_reason", expected_key="expected_review_reason"))
    if not (reviewer or "").strip():
        problems.append(Problem("a review entry needs the reviewer's name", location="--by", expected="who made the change", key="review_no_reviewer", expected_key="expected_reviewer"))
    if problems:
        raise PerfscoreError(problems)
    return (reason or "").strip(), (reviewer or "").strip()


def adjust(store: Store, unit_id: str, year: int, adjustment: Adjustment, reason: str | None, reviewer: str | None) -> int:
    """Append an adjustment to the unit's latest version for ``year``; return the entry's id."""
    why, who = _who_and_why(reason, reviewer)
    with store.transaction() as session:
        submission = latest_submission(session, unit_id, year)
        target = resolve_target(session, submission, adjustment.target)
        entry = ReviewEntry(submission_id=submission.id, kind=ADJUST, target=target, points=adjustment.points, withdraws=None, reason=why, reviewer=who, created_at=now())
        session.add(entry)
        session.flush()
        return entry.id


def withdraw(store: Store, unit_id: str, year: int, entry_id: int, reason: str | None, reviewer: str | None) -> int:
    """Append a withdrawal of adjustment ``entry_id``; return the new entry's id."""
    why, who = _who_and_why(reason, reviewer)
    try:
        with store.transaction() as session:
            entry = session.get(ReviewEntry, entry_id)
            submission = None if entry is None else session.get(Submission, entry.submission_id)
            if entry is None or submission is None or submission.unit_id != unit_id or submission.year != year or entry.kind != ADJUST:
                raise PerfscoreError(Problem(f"no adjustment {entry_id} of unit {unit_id} for {year}", location="--withdraw", expected="an adjustment's entry id as `perfscore explain --db UNIT --year Y` lists it", key="withdraw_no_adjustment", expected_key="expected_adjustment_id", fields=fill(entry=entry_id, unit=unit_id, year=year)))
            if session.scalar(select(ReviewEntry.id).where(ReviewEntry.withdraws == entry_id)) is not None:
                raise _already(entry_id)
            new = ReviewEntry(submission_id=entry.submission_id, kind=WITHDRAW, target=entry.target, points=None, withdraws=entry_id, reason=why, reviewer=who, created_at=now())
            session.add(new)
            session.flush()
            return new.id
    except IntegrityError:  # withdrawn by another reviewer at the same moment
        raise _already(entry_id) from None


def _already(entry_id: int) -> PerfscoreError:
    return PerfscoreError(Problem(f"adjustment {entry_id} is already withdrawn", location="--withdraw", expected="an adjustment in force", key="already_withdrawn", expected_key="expected_adjustment_in_force", fields=fill(entry=entry_id)))


def entries(session: Session, submission_ids: Sequence[int]) -> dict[int, list[ReviewEntry]]:
    """The review log of each submission, oldest first."""
    log: dict[int, list[ReviewEntry]] = {sid: [] for sid in submission_ids}
    if not submission_ids:
        return log
    for entry in session.scalars(select(ReviewEntry).where(ReviewEntry.submission_id.in_(list(submission_ids))).order_by(ReviewEntry.id)):
        log[entry.submission_id].append(entry)
    return log


def in_force(log: Sequence[ReviewEntry]) -> list[ReviewEntry]:
    withdrawn = {entry.withdraws for entry in log if entry.kind == WITHDRAW}
    return [entry for entry in log if entry.kind == ADJUST and entry.id not in withdrawn]


# --------------------------------------------------------------------------- the reviewed score


@dataclass(slots=True)
class ReviewedProject:
    project_id: str
    budget: Decimal
    total: Decimal | None
    points: dict[str, Decimal]


@dataclass(slots=True)
class Reviewed:
    """A submission's reviewed figures: the unit's total and level points, and each project's."""

    total: Decimal | None
    points: dict[str, Decimal]
    projects: dict[str, ReviewedProject] = field(default_factory=dict)
    adjustments: int = 0


def _clamp(value: Decimal, high: Decimal) -> Decimal:
    return max(ZERO, min(value, high))


def reviewed(session: Session, submission: Submission, adjustments: Sequence[ReviewEntry]) -> Reviewed:
    """Computed + adjustments, added up as scoring adds up; without adjustments, the stored figures."""
    ruleset = session.get(RulesetRecord, submission.ruleset_ref)
    assert ruleset is not None
    rounding = ruleset.rounding
    projects = list(session.scalars(select(ProjectScore).where(ProjectScore.submission_id == submission.id).order_by(ProjectScore.position)))
    levels: dict[int, list[LevelScore]] = {}
    for level in session.scalars(select(LevelScore).where(LevelScore.submission_id == submission.id).order_by(LevelScore.project_position, LevelScore.position)):
        levels.setdefault(level.project_position, []).append(level)
    rows: dict[int, list[RowScore]] = {}
    if adjustments:
        for row in session.scalars(select(RowScore).where(RowScore.submission_id == submission.id)):
            rows.setdefault(row.project_position, []).append(row)
    by_target: dict[str, Decimal] = {}
    for entry in adjustments:
        if entry.target is not None and entry.points is not None:
            by_target[entry.target] = by_target.get(entry.target, ZERO) + entry.points
    result: dict[str, ReviewedProject] = {}
    for project in projects:
        own = levels.get(project.position, [])
        if not adjustments:
            points = {level.level: (level.score if level.score is not None else ZERO) for level in own}
            result[project.project_id] = ReviewedProject(project.project_id, project.budget, project.total, points)
            continue
        pooled = any(level.level == "indicators" for level in own)
        deltas: dict[str, Decimal] = {}
        for row in rows.get(project.position, []):
            change = by_target.get(f"{project.project_id}/{row.indicator}")
            if change is not None:
                level_id = "indicators" if pooled else row.level1
                deltas[level_id] = deltas.get(level_id, ZERO) + _clamp(row.score + change, row.weight) - row.score
        points = {}
        for level in own:
            base = level.score if level.score is not None else ZERO
            change = deltas.get(level.level, ZERO) + by_target.get(f"{project.project_id}/{level.level}", ZERO)
            points[level.level] = _clamp(base + change, level.weight) if change else base
        total = project.total
        if any(target == project.project_id or target.startswith(project.project_id + "/") for target in by_target):
            earned = quantize(sum(points.values(), ZERO), project.places, rounding)
            if project.policy == "assessable":
                total = quantize(earned / project.assessable * HUNDRED, project.places, rounding) if project.assessable > ZERO else None
            else:
                total = earned
            change = by_target.get(project.project_id)
            if change is not None and total is not None:
                total = quantize(_clamp(total + change, HUNDRED), project.places, rounding)
        result[project.project_id] = ReviewedProject(project.project_id, project.budget, total, points)
    if not adjustments:
        return Reviewed(submission.total, points_from_json(submission.points), result, 0)
    from perfscore.store.codec import info_from_json

    info = info_from_json(ruleset.info)
    return Reviewed(*_unit_figures(list(result.values()), info.combine, info.places, rounding, list(points_from_json(submission.points))), result, len(adjustments))


def _unit_figures(projects: list[ReviewedProject], combine: str, places: int, rounding: str, level_ids: list[str]) -> tuple[Decimal | None, dict[str, Decimal]]:
    """The unit's total and level points from its projects', as scoring combines them
    (:func:`perfscore.scoring.score.score_submission`, :meth:`UnitScore.level_points`)."""
    scored = [project for project in projects if project.total is not None]
    weight_sum = sum((project.budget for project in scored), ZERO)
    total: Decimal | None
    if not scored:
        total = None
    elif combine == "budget_weighted" and weight_sum > ZERO:
        total = quantize(sum((project.total * project.budget for project in scored if project.total is not None), ZERO) / weight_sum, places, rounding)
    else:
        total = quantize(sum((project.total for project in scored if project.total is not None), ZERO) / len(scored), places, rounding)
    combined = scored or projects
    budget_sum = sum((project.budget for project in combined), ZERO)
    weighted = combine == "budget_weighted" and budget_sum > ZERO
    points = {}
    for level_id in level_ids:
        values = [(project.points.get(level_id, ZERO), project.budget) for project in combined]
        if weighted:
            value = sum((v * b for v, b in values), ZERO) / budget_sum
        else:
            value = sum((v for v, _ in values), ZERO) / len(values) if values else ZERO
        points[level_id] = quantize(value, places)
    return total, points


__all__ = ["ADJUST", "WITHDRAW", "Adjustment", "Reviewed", "ReviewedProject", "adjust", "entries", "in_force", "latest_submission", "parse_adjustment", "resolve_target", "reviewed", "withdraw"]
