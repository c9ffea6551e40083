"""A stored unit's explanation and its findings' wording, made when first asked for and kept.

Between the store's writing (:mod:`.ingest`) and reading (:mod:`.history`). Ingest keeps
every score and finding but no text: writing a unit's explanation in two languages and its
findings' six texts cost as much as scoring it. When ``explain --db`` first shows a unit,
the unit is scored again from what the store kept, exactly as ``explain FILE`` scores a
file: the stored submission (its TOML text, or a workbook's submission as JSON) under the
rules that scored it (loaded as the engine loads them, and only if their fingerprint is
the stored one) with the plugins of this run.
The new scores must equal the stored ones, row by row, area by area and for the unit;
then the explanation (written by the output stage's ``explain_text``, passed in) and the
findings' wording are stored beside them in one transaction and never made again. A unit
that scores differently now (a plugin or perfscore itself changed since the ingest) is a
clear error naming what differs, never an explanation of other numbers.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from perfscore.errors import InputError, PerfscoreError, Problem, fill
from perfscore.files import parse_toml
from perfscore.find import Evaluation, find
from perfscore.load import check_against_ruleset, submission_from_raw, submission_ruleset
from perfscore.models import Ruleset
from perfscore.models import Submission as SubmissionModel
from perfscore.scoring.score import score_submission
from perfscore.scoring.weights import row_weights
from perfscore.store.schema import AreaScore, FindingRecord, RowScore, RulesetRecord, Submission

if TYPE_CHECKING:
    from perfscore.engine import Engine

#: writes an evaluation's whole explanation, called as ``explain(evaluation, lang=LANG)``
#: (``perfscore.output.result.explain_text``, passed in by the command line: the store sits
#: below the output stage)
Explain = Callable[..., str]
#: the languages every explanation and finding is kept in
LANGUAGES = ("zh", "en")


def stored_rules(submission: Submission, record: RulesetRecord, engine: Engine, ruleset: str | None = None) -> Ruleset:
    """The rules that scored the unit, loaded as the engine loads them: ``ruleset`` (the
    command's ``--ruleset``), else the ruleset the submission names, else the stored rules'
    id; the first whose fingerprint is the stored one. The stored resolved text is kept
    for the record, not read back: a ruleset's free-form tables (an area's settings) do
    not survive JSON with their types."""
    candidates: list[str | Path] = [ruleset] if ruleset else []
    candidates += [submission_ruleset(submission.declared_ruleset, Path(submission.file_name)), record.ruleset_id]
    found: list[str] = []
    for name in candidates:
        try:
            rules = engine.ruleset(name)
        except PerfscoreError:
            continue
        if rules.fingerprint == record.fingerprint:
            return rules
        found.append(f"{name}: {rules.fingerprint[:12]}")
    raise PerfscoreError(Problem(
        f"the rules that scored unit {submission.unit_id} {submission.year} ({record.ruleset_id} {record.version}, fingerprint {record.fingerprint[:12]}) are not the ones found now ({'; '.join(found) or 'none found'}), so its explanation cannot be made again",
        location="--ruleset",
        expected="the ruleset file as it was when the unit was ingested, given with --ruleset (the store keeps its resolved text: rulesets.resolved)",
        key="stored_rules_changed", expected_key="expected_stored_rules",
        fields=fill(unit=submission.unit_id, year=submission.year, ruleset=record.ruleset_id, version=record.version, fingerprint=record.fingerprint[:12], found="; ".join(found) or "—"),
    ))  # fmt: skip


def rescore(submission: Submission, record: RulesetRecord, engine: Engine, ruleset: str | None = None) -> Evaluation:
    """Score a stored submission again under the rules that scored it, as the engine scores a file."""
    file = submission.file_name
    if submission.source_format == "toml":
        model = submission_from_raw(parse_toml(submission.source_text, Path(file), floats_for_pydantic=True), file)
    else:
        model = SubmissionModel.model_validate_json(submission.source_text)
    rules = stored_rules(submission, record, engine, ruleset)
    problems = check_against_ruleset(model, rules, file, row_weights)
    if problems:
        raise InputError(problems)
    return find(score_submission(model, rules, engine.host.methods(), source=file), engine.host)


def _differences(session: Session, submission: Submission, evaluation: Evaluation) -> list[str]:
    """What the new scoring gives differently from the stored scores (nothing: the same unit)."""
    unit = evaluation.unit
    differences = []
    if unit.total != submission.total:
        differences.append(f"total {submission.total} stored, {unit.total} now")
    stored_rows = {(row.project_position, row.position): (row.indicator, row.score) for row in session.scalars(select(RowScore).where(RowScore.submission_id == submission.id))}
    rows = {(position, index): (score.definition.id, score.score) for position, project in enumerate(unit.projects) for index, score in enumerate(project.indicators)}
    for key in sorted(stored_rows.keys() | rows.keys()):
        if stored_rows.get(key) != rows.get(key):
            before, after = stored_rows.get(key), rows.get(key)
            differences.append(f"row {(before or after or ('?',))[0]}: {before[1] if before else 'none'} stored, {after[1] if after else 'none'} now")
    stored_areas: dict[str, Decimal | None] = {area.area: area.score for area in session.scalars(select(AreaScore).where(AreaScore.submission_id == submission.id))}
    areas = {area_id: area.score for area_id, area in evaluation.areas.items()}
    for area_id in sorted(stored_areas.keys() | areas.keys()):
        if stored_areas.get(area_id, "none") != areas.get(area_id, "none"):
            differences.append(f"area {area_id}: {stored_areas.get(area_id, 'none')} stored, {areas.get(area_id, 'none')} now")
    return differences


def checked_rescore(session: Session, submission: Submission, engine: Engine, ruleset: str | None = None) -> Evaluation:
    """The stored unit scored again, refused (a clear error) if it now scores differently."""
    record = session.get(RulesetRecord, submission.ruleset_ref)
    assert record is not None  # a foreign key
    evaluation = rescore(submission, record, engine, ruleset)
    differences = _differences(session, submission, evaluation)
    if differences:
        shown = "; ".join(differences[:5]) + (f"; and {len(differences) - 5} more" if len(differences) > 5 else "")
        raise PerfscoreError(Problem(
            f"unit {submission.unit_id} {submission.year} (version {submission.version}) scores differently today than when it was ingested ({shown}), so its explanation cannot be made again",
            file=submission.file_name,
            expected="the plugins and perfscore version that ingested it; or ingest the file again, as a new version scored by today's rules",
            key="stored_unit_rescored_differently", expected_key="expected_same_scoring",
            fields=fill(unit=submission.unit_id, year=submission.year, version=submission.version, differences=shown),
        ))  # fmt: skip
    return evaluation


def fill_texts(session: Session, submission: Submission, engine: Engine, explain: Explain, ruleset: str | None = None) -> None:
    """Make and store the unit's explanation and its findings' wording, if they are not stored yet."""
    if submission.explanation_zh is not None and submission.explanation_en is not None:
        return
    evaluation = checked_rescore(session, submission, engine, ruleset)
    texts = {lang: explain(evaluation, lang=lang) for lang in LANGUAGES}
    session.execute(update(Submission).where(Submission.id == submission.id).values(explanation_zh=texts["zh"], explanation_en=texts["en"]))
    submission.explanation_zh, submission.explanation_en = texts["zh"], texts["en"]
    by_key = {finding.key: finding for finding in evaluation.findings}
    for stored_finding in session.scalars(select(FindingRecord).where(FindingRecord.submission_id == submission.id, FindingRecord.title_zh.is_(None))):
        finding = by_key.get((stored_finding.finding_id, stored_finding.project or "", stored_finding.indicator or ""))
        if finding is None:  # pragma: no cover - the scores matched, and findings follow from them
            continue
        stored_finding.title_zh, stored_finding.title_en = finding.title.zh, finding.title.en
        stored_finding.problem_zh, stored_finding.problem_en = finding.problem.zh, finding.problem.en
        stored_finding.improvement_zh, stored_finding.improvement_en = finding.improvement.zh, finding.improvement.en


__all__ = ["LANGUAGES", "Explain", "checked_rescore", "fill_texts", "rescore", "stored_rules"]
