"""Submissions: one file read, schema-validated, then checked against its ruleset.

The second half of the load stage. A submission is validated twice: against the schema
(every error reported at once with its key path) and against the ruleset (indicator ids,
units, tiers, and weights that add up). The one check that needs derived row weights
(a qualitative self-score inside its tier's range) receives them as a callable from the
engine (:func:`perfscore.scoring.weights.row_weights`), since weighting is the score
stage's arithmetic.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Sequence

from pydantic import ValidationError

from perfscore.arithmetic import ZERO, quantize
from perfscore.errors import InputError, Problem
from perfscore.files import read_toml
from perfscore.limits import LIMITS, limit
from perfscore.load.validation import validation_problems
from perfscore.workbook import is_workbook
from perfscore.workbook import load_raw as workbook_raw
from perfscore.models import MONEY_FACTORS, IndicatorRow, OutputRow, Project, Ruleset, Submission

#: the weight of each indicator row of a project under a ruleset, derived where the unit
#: gave none (:func:`perfscore.scoring.weights.row_weights`)
RowWeights = Callable[[Project, Ruleset], list[Decimal]]


def load_submission(path: Path) -> Submission:
    """Parse and schema-validate one submission file (every schema error at once); a
    workbook (.xlsx, .xls, .ods) is imported in memory, all its project sheets one unit."""
    if is_workbook(Path(path)):
        return submission_from_raw(workbook_raw(Path(path)), str(path))
    raw = read_toml(Path(path), floats_for_pydantic=True)
    return submission_from_raw(raw, str(path))


def submission_from_raw(raw: dict[str, Any], file: str) -> Submission:
    """Validate a raw dict exactly as a TOML file holding it would be (every schema error at once)."""
    path = file
    _check_counts(raw, str(path))
    try:
        return Submission.model_validate(raw)
    except ValidationError as error:
        raise InputError(validation_problems(error, str(path))) from None


#: the lists of a project whose length ``limit("rows")`` bounds
_ROW_LISTS = ("indicators", "outputs", "funds", "budget_items")


def _check_counts(raw: dict[str, Any], file: str) -> None:
    """Refuse more projects, or more rows in a project, than the limits allow, before the
    schema validation whose time and memory grow with them (a few len() calls a project)."""
    projects = raw.get("projects")
    if type(projects) is not list:
        return  # the schema names what is wrong
    most = limit("projects")
    if len(projects) > most:
        raise InputError(Problem(f"{len(projects):,} projects, over the limit of {most:,}", file, "projects", f"at most {most:,} projects in one submission, set by {LIMITS['projects'].variable}"))
    most = limit("rows")
    problems = []
    for index, project in enumerate(projects):
        if type(project) is dict:
            for key in _ROW_LISTS:
                rows = project.get(key)
                if type(rows) is list and len(rows) > most:
                    problems.append(Problem(f"{len(rows):,} {key} rows, over the limit of {most:,}", file, f"projects[{index}].{key}", f"at most {most:,} in one project, set by {LIMITS['rows'].variable}"))
    if problems:
        raise InputError(problems)


def check_against_ruleset(submission: Submission, ruleset: Ruleset, file: str, row_weights: RowWeights) -> list[Problem]:
    """Semantic checks the schema cannot express: ids, units, weights, tiers."""
    problems: list[Problem] = []
    for p_index, project in enumerate(submission.projects):
        problems += _check_project(project, f"projects[{p_index}]", ruleset, file, row_weights)
    return problems


def _check_project(project: Project, where: str, ruleset: Ruleset, file: str, row_weights: RowWeights) -> list[Problem]:
    problems: list[Problem] = []
    library = ruleset.indicator_index
    tiers = ruleset.tier_index
    if project.area is not None and project.area not in ruleset.areas:
        problems.append(Problem(f"unknown area {project.area!r}", file, f"{where}.area", f"one of {', '.join(sorted(ruleset.areas))}"))
    if project.level1_weights is not None:
        unknown = set(project.level1_weights) - set(ruleset.levels) - {"budget"}
        if unknown:
            problems.append(Problem(f"unknown level-1 ids {sorted(unknown)}", file, f"{where}.level1_weights", f"budget or one of {sorted(ruleset.levels)}"))
        total = sum(project.level1_weights.values(), ZERO)
        if total != 100:
            problems.append(Problem(f"level-1 weights add up to {total}", file, f"{where}.level1_weights", "a total of 100"))
    # (locations are written only for a problem: most rows have none)
    row_lists: tuple[tuple[str, Sequence[IndicatorRow | OutputRow]], ...] = (("indicators", project.indicators), ("outputs", project.outputs))
    for kind, rows in row_lists:
        for r_index, row in enumerate(rows):
            definition = library.get(row.indicator)
            if definition is None:
                problems.append(Problem(f"unknown indicator {row.indicator!r}", file, f"{where}.{kind}[{r_index}].indicator", f"an id from the indicator library of ruleset {ruleset.ruleset.id!r} (rulesets/*.toml, docs/rulesets.md)"))
            elif row.unit is not None and row.unit != definition.unit and (row.unit, definition.unit) not in MONEY_FACTORS:
                problems.append(Problem(f"unit {row.unit!r} does not match the indicator's unit", file, f"{where}.{kind}[{r_index}].unit", repr(definition.unit)))
    weighted = [row for row in project.indicators if row.weight is not None]
    if weighted and len(weighted) != len(project.indicators):
        problems.append(Problem("some indicator rows have a weight and some do not", file, f"{where}.indicators", "a weight on every row, or on none (weights then come from the ruleset)"))
    known_rows = all(row.indicator in library for row in project.indicators)
    mixed = weighted and len(weighted) != len(project.indicators)
    # derived weights are needed only to check a qualitative self_score against its tier
    needs_weights = any(row.self_score is not None and row.weight is None for row in project.indicators)
    weights: Sequence[Decimal | None]
    if needs_weights and known_rows and not mixed and not problems:
        weights = row_weights(project, ruleset)
    else:
        weights = [row.weight for row in project.indicators]
    for r_index, (row, weight) in enumerate(zip(project.indicators, weights)):
        definition = library.get(row.indicator)
        if definition is None:
            continue
        comparison = row.comparison or definition.comparison
        if comparison != "qualitative" and row.tier is None and (row.self_score is None or weight is None):
            continue  # the common row: nothing below applies
        row_where = f"{where}.indicators[{r_index}]"
        if comparison == "qualitative":
            if row.tier is not None:
                tier = tiers.get(row.tier)
                if tier is None:
                    problems.append(Problem(f"unknown qualitative tier {row.tier!r}", file, f"{row_where}.tier", f"one of {', '.join(t.name for t in ruleset.qualitative.tiers)}"))
                elif row.self_score is not None and weight is not None:
                    low, high = quantize(tier.min * weight, 2), quantize(tier.max * weight, 2)
                    if not low <= row.self_score <= high:
                        problems.append(Problem(f"self_score {row.self_score} is outside tier {tier.name} ({low}–{high} of weight {weight})", file, f"{row_where}.self_score", f"a score between {low} and {high}"))
            if not row.not_applicable and not (row.description or "").strip():
                problems.append(Problem("a qualitative row needs a description of what was achieved", file, f"{row_where}.description", "a short statement"))
        elif row.tier is not None:
            problems.append(Problem(f"tier given on a quantitative ({comparison}) row", file, f"{row_where}.tier", "tier only on qualitative rows"))
        if row.self_score is not None and weight is not None and row.self_score > weight:
            problems.append(Problem(f"self_score {row.self_score} exceeds the weight {weight}", file, f"{row_where}.self_score", f"at most {weight}"))
    if weighted and len(weighted) == len(project.indicators) and known_rows:
        # (an unknown indicator is reported above; its level, hence its sum, is unknown)
        problems += _check_weights(project, where, ruleset, file)
    return problems


def _check_weights(project: Project, where: str, ruleset: Ruleset, file: str) -> list[Problem]:
    """Row weights must add up to their level-1 weight (or to the pool)."""
    problems = []
    # the weights in force (scoring.weights.project_level_weights, read without copying)
    level_weights = project.level1_weights if project.level1_weights is not None else ruleset.weights
    sums: dict[str, Decimal] = {}
    for row in project.indicators:
        definition = ruleset.indicator_index[row.indicator]
        sums[definition.level1] = sums.get(definition.level1, ZERO) + (row.weight or ZERO)
    if "indicators" in level_weights:
        total = sum(sums.values(), ZERO)
        if total != level_weights["indicators"]:
            problems.append(Problem(f"indicator weights add up to {total}", file, f"{where}.indicators", f"{level_weights['indicators']} (the pooled indicator weight)"))
        return problems
    for level, total in sorted(sums.items()):
        expected = level_weights.get(level, ZERO)
        if total != expected:
            name = ruleset.levels[level].name
            problems.append(Problem(f"weights of {name} ({level}) rows add up to {total}", file, f"{where}.indicators", f"{expected}, the level-1 weight"))
    return problems
