"""Submissions: one file read, schema-validated, then checked against its ruleset.

The second half of the load stage. A submission's text cells are read first
(:mod:`.cells`: "≥90人" → figure, comparator, unit); then it is validated twice: against
the schema (every error reported at once with its key path, and the Excel cell when the
value carries its origin) and against the ruleset (indicator ids or free rows' categories,
units, tiers, and weights that add up). The one check that needs derived row weights
(a qualitative self-score inside its tier's range) receives them as a callable from the
engine (:func:`perfscore.scoring.weights.row_weights`), since weighting is the score
stage's arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Sequence

from pydantic import ValidationError

from perfscore.arithmetic import ZERO, quantize
from perfscore.errors import InputError, Problem, fill
from perfscore.files import read_toml
from perfscore.limits import LIMITS, limit
from perfscore.load.cells import cell_path, origin_of, read_text_cells
from perfscore.load.validation import validation_problems
from perfscore.models import MONEY_FACTORS, IndicatorDef, IndicatorRow, Project, Ruleset, Submission
from perfscore.workbook import is_workbook
from perfscore.workbook import load_raw as workbook_raw

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
    """Validate a submission's raw tables exactly as a TOML file's are (``raw`` is changed:
    its text cells are read in place)."""
    _check_counts(raw, file)
    problems = read_text_cells(raw, file)
    try:
        submission = Submission.model_validate(raw)
    except ValidationError as error:
        raise InputError(problems + [_with_cell(problem, raw) for problem in validation_problems(error, file)]) from None
    if problems:
        raise InputError(problems)
    return submission


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _with_cell(problem: Problem, raw: dict[str, Any]) -> Problem:
    """The problem with the cell its key came from, when the table carries ``origins``."""
    if not problem.location:
        return problem
    table: Any = raw
    parts = [(name, int(index)) if index else (name, None) for name, index in _PATH_PART.findall(problem.location)]
    for name, index in parts[:-1]:
        table = table[index] if index is not None and isinstance(table, list) and index < len(table) else (table.get(name) if isinstance(table, dict) else None)
        if table is None:
            return problem
    last_name, last_index = parts[-1] if parts else ("", None)
    cell = origin_of(table, last_name) if last_index is None else None
    return replace(problem, location=f"{problem.location} ({cell})") if cell else problem


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
        raise InputError(Problem(f"{len(projects):,} projects, over the limit of {most:,}", file, "projects", f"at most {most:,} projects in one submission, set by {LIMITS['projects'].variable}", key="too_many_projects", expected_key="expected_projects_limit", fields=fill(count=f"{len(projects):,}", most=f"{most:,}", variable=LIMITS["projects"].variable)))
    most = limit("rows")
    problems = []
    for index, project in enumerate(projects):
        if type(project) is dict:
            for key in _ROW_LISTS:
                rows = project.get(key)
                if type(rows) is list and len(rows) > most:
                    problems.append(Problem(f"{len(rows):,} {key} rows, over the limit of {most:,}", file, f"projects[{index}].{key}", f"at most {most:,} in one project, set by {LIMITS['rows'].variable}", key="too_many_rows", expected_key="expected_rows_limit", fields=fill(count=f"{len(rows):,}", list=key, most=f"{most:,}", variable=LIMITS["rows"].variable)))
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
        problems.append(Problem(f"unknown area {project.area!r}", file, f"{where}.area", f"one of {', '.join(sorted(ruleset.areas))}", key="unknown_area", expected_key="expected_one_of", fields=fill(area=repr(project.area), known=", ".join(sorted(ruleset.areas)))))
    if project.level1_weights is not None:
        unknown = set(project.level1_weights) - set(ruleset.levels) - {"budget"}
        if unknown:
            problems.append(Problem(f"unknown level-1 ids {sorted(unknown)}", file, f"{where}.level1_weights", f"budget or one of {sorted(ruleset.levels)}", key="unknown_level1_ids", expected_key="expected_budget_or_level", fields=fill(unknown=sorted(unknown), known=sorted(ruleset.levels))))
        total = sum(project.level1_weights.values(), ZERO)
        if total != 100:
            problems.append(Problem(f"level-1 weights add up to {total}", file, f"{where}.level1_weights", "a total of 100", key="level1_weights_total", expected_key="expected_total_100", fields=fill(total=total)))
    if project.self_scores is not None:
        for level in project.self_scores.levels:
            if level != "budget" and ruleset.level1_id(level) is None:
                problems.append(Problem(f"unknown level-1 category {level!r}", file, f"{where}.self_scores.levels", f"a level-1 id or name: {', '.join(f'{key} ({value.name})' for key, value in sorted(ruleset.levels.items()))}", key="unknown_level1", expected_key="expected_level1", fields=fill(level=repr(level), known=", ".join(f"{key} ({value.name})" for key, value in sorted(ruleset.levels.items())))))
    # (locations are written only for a problem: most rows have none)
    definitions = ruleset.row_definitions(project.indicators, project.area)  # kept for the score stage
    for r_index, (row, definition) in enumerate(zip(project.indicators, definitions)):
        if definition is None:
            problems.append(_unplaced_row(row, f"{where}.indicators[{r_index}]", ruleset, file))
        elif row.unit is not None and row.unit != definition.unit and definition.source != "submission" and (row.unit, definition.unit) not in MONEY_FACTORS:
            problems.append(Problem(f"unit {row.unit!r} does not match the indicator's unit", file, cell_path(f"{where}.indicators[{r_index}]", "unit", row.origins), repr(definition.unit), key="unit_mismatch", fields=fill(unit=repr(row.unit))))
    for r_index, output in enumerate(project.outputs):
        definition = library.get(output.indicator)
        if definition is None:
            problems.append(Problem(f"unknown indicator {output.indicator!r}", file, f"{where}.outputs[{r_index}].indicator", f"an id from the indicator library of ruleset {ruleset.ruleset.id!r} (rulesets/*.toml, docs/rulesets.md)", key="unknown_indicator", expected_key="expected_library_id", fields=fill(indicator=repr(output.indicator), ruleset=repr(ruleset.ruleset.id))))
        elif output.unit is not None and output.unit != definition.unit and (output.unit, definition.unit) not in MONEY_FACTORS:
            problems.append(Problem(f"unit {output.unit!r} does not match the indicator's unit", file, f"{where}.outputs[{r_index}].unit", repr(definition.unit), key="unit_mismatch", fields=fill(unit=repr(output.unit))))
    given = [row.weight if row.weight is not None else row.full_score for row in project.indicators]  # IndicatorRow.given_weight
    weighted = len(given) - given.count(None)
    mixed = bool(weighted) and weighted != len(given)
    if mixed:
        problems.append(Problem("some indicator rows have a weight and some do not", file, f"{where}.indicators", "a weight (or full_score) on every row, or on none (weights then come from the ruleset)", key="mixed_weights", expected_key="expected_weights_all_or_none"))
    known_rows = all(definition is not None for definition in definitions)
    # derived weights are needed only to check a qualitative self_score against its tier
    needs_weights = any(row.self_score is not None and weight is None for row, weight in zip(project.indicators, given))
    weights: Sequence[Decimal | None]
    if needs_weights and known_rows and not mixed and not problems:
        weights = row_weights(project, ruleset)
    else:
        weights = given
    for r_index, (row, definition, weight) in enumerate(zip(project.indicators, definitions, weights)):
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
                    problems.append(Problem(f"unknown qualitative tier {row.tier!r}", file, f"{row_where}.tier", f"one of {', '.join(t.name for t in ruleset.qualitative.tiers)}", key="unknown_tier", expected_key="expected_one_of", fields=fill(tier=repr(row.tier), known=", ".join(t.name for t in ruleset.qualitative.tiers))))
                elif row.self_score is not None and weight is not None:
                    low, high = quantize(tier.min * weight, 2), quantize(tier.max * weight, 2)
                    if not low <= row.self_score <= high:
                        problems.append(Problem(f"self_score {row.self_score} is outside tier {tier.name} ({low}–{high} of weight {weight})", file, cell_path(row_where, "self_score", row.origins), f"a score between {low} and {high}", key="self_score_outside_tier", expected_key="expected_score_between", fields=fill(score=row.self_score, tier=tier.name, low=low, high=high, weight=weight)))
            if not row.not_applicable and not row.lost and not (row.description or "").strip():
                problems.append(Problem("a qualitative row needs a description of what was achieved", file, f"{row_where}.description", "a short statement", key="qualitative_description", expected_key="expected_short_statement"))
        elif row.tier is not None:
            problems.append(Problem(f"tier given on a quantitative ({comparison}) row", file, f"{row_where}.tier", "tier only on qualitative rows", key="tier_on_quantitative", expected_key="expected_tier_qualitative", fields=fill(comparison=comparison)))
        if row.self_score is not None and weight is not None and row.self_score > weight:
            problems.append(Problem(f"self_score {row.self_score} exceeds the weight {weight}", file, cell_path(row_where, "self_score", row.origins), f"at most {weight}", key="self_score_over_weight", expected_key="expected_at_most", fields=fill(score=row.self_score, weight=weight, most=weight)))
    if weighted and not mixed and known_rows:
        # (a row without a category is reported above; its level, hence its sum, is unknown)
        problems += _check_weights(project, [d for d in definitions if d is not None], where, ruleset, file)
    return problems


def _unplaced_row(row: IndicatorRow, where: str, ruleset: Ruleset, file: str) -> Problem:
    """Why a row has no indicator to be scored as: an unknown id, or a free row's categories."""
    level_names = ", ".join(f"{level.name}（{'、'.join(level2.name for level2 in level.level2.values())}）" for _, level in sorted(ruleset.levels.items(), key=lambda item: item[1].order))
    if row.indicator is not None and row.indicator not in ruleset.indicator_index:
        return Problem(f"unknown indicator {row.indicator!r}", file, f"{where}.indicator", f"an id from the indicator library of ruleset {ruleset.ruleset.id!r} (rulesets/*.toml, docs/rulesets.md), or a free row: name, level1 and level2 instead of indicator", key="unknown_indicator", expected_key="expected_library_id_or_free_row", fields=fill(indicator=repr(row.indicator), ruleset=repr(ruleset.ruleset.id)))
    if row.level1 is None or row.level2 is None:
        return Problem(f"row {row.name!r} is not an indicator of ruleset {ruleset.ruleset.id!r}, and its categories are not given", file, f"{where}.{'level1' if row.level1 is None else 'level2'}", f"level1 and level2 of the row as the table prints them: {level_names}", key="free_row_no_categories", expected_key="expected_free_row_categories", fields=fill(row=repr(row.name), ruleset=repr(ruleset.ruleset.id), levels=level_names))
    if ruleset.level1_id(row.level1) is None:
        return Problem(f"level1 {row.level1!r} is not a level-1 category of ruleset {ruleset.ruleset.id!r}", file, cell_path(where, "level1", row.origins), f"one of {level_names}", key="free_row_level1", expected_key="expected_one_of", fields=fill(level1=repr(row.level1), ruleset=repr(ruleset.ruleset.id), known=level_names))
    return Problem(f"level2 {row.level2!r} is not a level-2 category under {row.level1!r}", file, cell_path(where, "level2", row.origins), f"one of {level_names}", key="free_row_level2", expected_key="expected_one_of", fields=fill(level2=repr(row.level2), level1=repr(row.level1), known=level_names))


def _check_weights(project: Project, definitions: list[IndicatorDef], where: str, ruleset: Ruleset, file: str) -> list[Problem]:
    """Row weights must add up to their level-1 weight (or to the pool)."""
    problems = []
    # the weights in force (scoring.weights.project_level_weights, read without copying)
    level_weights = project.level1_weights if project.level1_weights is not None else ruleset.weights
    sums: dict[str, Decimal] = {}
    for row, definition in zip(project.indicators, definitions):
        sums[definition.level1] = sums.get(definition.level1, ZERO) + (row.given_weight or ZERO)
    if "indicators" in level_weights:
        total = sum(sums.values(), ZERO)
        if total != level_weights["indicators"]:
            problems.append(Problem(f"indicator weights add up to {total}", file, f"{where}.indicators", f"{level_weights['indicators']} (the pooled indicator weight)", key="indicator_weights_total", expected_key="expected_pooled_weight", fields=fill(total=total, pooled=level_weights["indicators"])))
        return problems
    for level, total in sorted(sums.items()):
        expected = level_weights.get(level, ZERO)
        if total != expected:
            name = ruleset.levels[level].name
            problems.append(Problem(f"weights of {name} ({level}) rows add up to {total}", file, f"{where}.indicators", f"{expected}, the level-1 weight", key="level_rows_weights_total", expected_key="expected_level1_weight", fields=fill(name=name, level=level, total=total, weight=expected)))
    return problems
