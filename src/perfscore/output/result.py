"""Output stage, one unit's result: the score table, its JSON, and ``explain`` text.

Everything printed comes from an :class:`~perfscore.find.Evaluation`; nothing is computed
here but layout: every number is written by :mod:`perfscore.numbers` (JSON numbers are its
rounded values as floats), every label comes from the message catalogue. Lists are sorted
by id so the same input gives the same bytes (docs/json.md).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tabulate import tabulate

from perfscore.arithmetic import quantize
from perfscore.find import Evaluation
from perfscore.messages import message, pick
from perfscore.models import Finding, LocalText, Ruleset
from perfscore.numbers import DASH, in_money_unit, in_percent, money, percent, plain, quantity_text
from perfscore.scoring.explain import Explanation
from perfscore.scoring.score import BudgetScore, IndicatorScore, ProjectScore

RESULT_FORMAT = "perfscore-result/1"


def _json_number(value: Decimal | None, places: int = 2) -> float | None:
    """A Decimal as a JSON number, rounded first so its text is exactly the rounded value."""
    return None if value is None else float(quantize(value, places))


def _json_percent(ratio: Decimal | None) -> float | None:
    """A ratio as a JSON percentage (1.1 → 110.0)."""
    return None if ratio is None else float(in_percent(ratio))


def _json_money(value_in_yuan: Decimal | None, money_unit: str, places: int) -> float | None:
    """An amount held in 元 as a JSON number in the submission's money unit."""
    return None if value_in_yuan is None else float(in_money_unit(value_in_yuan, money_unit, places))


def _in(text: LocalText, lang: str) -> str:
    """A text that comes with the data (a finding's, an area's) in ``lang``."""
    chosen: str = pick((text.zh, text.en), lang)
    return chosen


def _budget_dict(budget: BudgetScore, money_unit: str) -> dict[str, Any]:
    # 万元 amounts keep 4 decimals in JSON, so that they still hold whole 元 (docs/json.md)
    places = 4 if money_unit == "万元" else 2
    return {
        "budget": _json_money(budget.budget, money_unit, places),
        "spending": _json_money(budget.spending, money_unit, places),
        "own_level_budget": _json_money(budget.own_level_budget, money_unit, places),
        "own_level_spending": _json_money(budget.own_level_spending, money_unit, places),
        "execution_rate": _json_percent(budget.execution_rate),
        "own_level_execution_rate": _json_percent(budget.own_level_execution_rate),
    }


def indicator_dict(score: IndicatorScore, lang: str) -> dict[str, Any]:
    """One indicator row's score, as the JSON result holds it."""
    definition = score.definition
    name: str = pick((score.name, definition.name_en), lang)
    return {
        "id": definition.id,
        "name": name,
        "area": definition.area,
        "level1": definition.level1,
        "level2": definition.level2,
        "comparison": score.comparison,
        "unit": definition.unit,
        "target": None if score.target is None else float(score.target),
        "actual": None if score.actual is None else float(score.actual),
        "completion": _json_percent(score.completion),
        "weight": _json_number(score.weight),
        "score": _json_number(score.score),
        "status": score.status,
        "reason": score.row.reason,
        "self_score": _json_number(score.row.self_score),
        "explanation": score.explain(lang).as_dict(),
    }


def project_dict(project: ProjectScore, lang: str) -> dict[str, Any]:
    """One project's scores, as the JSON result holds them."""
    library = project.indicators[0].ruleset.indicator_index if project.indicators else None
    return {
        "id": project.id,
        "name": project.project.name,
        "area": project.project.area,
        "money_unit": project.money_unit,
        **_budget_dict(project.budget, project.money_unit),
        "budget_score": {
            "weight": _json_number(project.budget.weight),
            "score": _json_number(project.budget.score),
            "explanation": project.budget.explain(lang, project.money_unit).as_dict(),
        },
        "levels": [
            {
                "id": level.id,
                "name": pick((level.name, level.name_en), lang),
                "weight": _json_number(level.weight),
                "score": _json_number(level.score),
                "assessable": _json_number(level.assessable),
                "level2": [{"id": key, "weight": _json_number(w), "score": _json_number(s)} for key, (w, s) in sorted(level.level2.items())],
            }
            for level in project.levels
        ],
        "indicators": [indicator_dict(score, lang) for score in sorted(project.indicators, key=lambda s: s.definition.id)],
        "outputs": [
            {"id": output.indicator, "actual": float(output.actual), "unit": output.unit or (library[output.indicator].unit if library else None), "qualifier": output.qualifier}
            for output in sorted(project.project.outputs, key=lambda o: o.indicator)
        ],
        "earned": _json_number(project.earned),
        "assessable_points": _json_number(project.assessable),
        "total": _json_number(project.total),
        "grade": project.grade,
        "explanation": project.explain(lang).as_dict(),
    }


def evaluation_dict(evaluation: Evaluation, lang: str = "zh") -> dict[str, Any]:
    """The documented JSON result (docs/json.md)."""
    unit = evaluation.unit
    ruleset = unit.ruleset
    money_unit = unit.submission.unit.money_unit
    return {
        "format": RESULT_FORMAT,
        "unit": {"id": unit.submission.unit.id, "name": unit.submission.unit.name, "year": unit.submission.unit.year, "synthetic": unit.submission.unit.synthetic},
        "ruleset": {"id": ruleset.ruleset.id, "name": ruleset.ruleset.name, "version": ruleset.ruleset.version, "fingerprint": ruleset.fingerprint},
        "money_unit": money_unit,
        "total": _json_number(unit.total),
        "grade": unit.grade,
        "assessable_points": _json_number(unit.assessable),
        **_budget_dict(unit.budget, money_unit),
        "explanation": unit.explain(lang).as_dict(),
        "projects": [project_dict(project, lang) for project in unit.projects],
        "areas": {
            area_id: {
                "name": pick((area.name, area.name_en), lang),
                "score": _json_number(area.score),
                "earned": _json_number(area.earned),
                "possible": _json_number(area.possible),
                "indicators": area.indicators,
                "explanation": _in(area.explanation, lang),
                "source": area.source,
            }
            for area_id, area in sorted(evaluation.areas.items())
        },
        "findings": [finding_dict(finding, lang) for finding in evaluation.findings],
        "incomplete": evaluation.incomplete,
        "plugin_failures": [{"plugin": f.plugin, "hook": f.hook, "error": f.error} for f in evaluation.failures],
    }


def finding_dict(finding: Finding, lang: str) -> dict[str, Any]:
    """One finding, its evidence both as a value and as the report writes it."""
    return {
        "id": finding.id,
        "severity": finding.severity,
        "area": finding.area,
        "project": finding.project,
        "indicator": finding.indicator,
        "evidence": {key: {"value": str(q.value), "unit": q.unit, "text": quantity_text(q)} for key, q in finding.evidence.items()},
        "title": _in(finding.title, lang),
        "problem": _in(finding.problem, lang),
        "improvement": _in(finding.improvement, lang),
        "source": finding.source,
    }


def to_json(data: Any) -> str:
    """A JSON document as perfscore writes it: UTF-8 text, indented, keys in their order."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


# --------------------------------------------------------------------------- text tables


def _grade(grade: str | None, ruleset: Ruleset, lang: str) -> str:
    if grade is None:
        return DASH
    written: str = pick((grade, ruleset.grade_name_en(grade) or grade), lang)
    return written


def score_table(evaluation: Evaluation, fmt: str = "table", lang: str = "zh") -> str:
    """The project and unit score table, the areas, and the findings with their evidence."""
    unit = evaluation.unit
    tablefmt = {"table": "simple", "markdown": "github"}[fmt]
    ruleset = unit.ruleset
    levels = ruleset.indicator_levels
    money_unit = unit.submission.unit.money_unit
    headers = [message("labels.project", lang), message("result.budget_in", lang, money_unit=money_unit), message("labels.execution_rate", lang), message("labels.budget_score", lang)]
    level_names: dict[str, str] = {level.id: pick((level.name, level.name_en), lang) for p in unit.projects for level in p.levels}
    shown_levels = [level for level in [*levels, "indicators"] if level in level_names]
    headers += [level_names[level] for level in shown_levels] + [message("labels.assessable", lang), message("labels.total", lang), message("labels.grade", lang)]
    rows = []
    for project in unit.projects:
        by_level = {level.id: level for level in project.levels}
        rows.append(
            [project.project.name, money(project.budget.budget, money_unit), percent(project.budget.execution_rate), plain(project.budget.score)]
            + [f"{plain(by_level[level].score)}/{plain(by_level[level].weight)}" if level in by_level else DASH for level in shown_levels]
            + [plain(project.assessable), plain(project.total), _grade(project.grade, ruleset, lang)]
        )
    rows.append(
        [message("labels.unit_total", lang), money(unit.budget.budget, money_unit), percent(unit.budget.execution_rate), ""]
        + [""] * len(shown_levels)
        + [plain(unit.assessable), plain(unit.total), _grade(unit.grade, ruleset, lang)]
    )
    synthetic = message("labels.synthetic", lang) if unit.submission.unit.synthetic else ""
    lines = [
        f"{unit.submission.unit.name}{synthetic} · {unit.submission.unit.year} · {message('labels.ruleset', lang)} {ruleset.ruleset.id} {ruleset.ruleset.version} ({ruleset.fingerprint[:12]})",
        f"{message('labels.execution_rate', lang)}: {percent(unit.budget.execution_rate)} · {message('labels.own_level_execution_rate', lang)}: {percent(unit.budget.own_level_execution_rate)}",
        "",
        tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True),
    ]
    if evaluation.areas:
        area_rows = [
            [pick((area.name, area.name_en), lang), plain(area.score), plain(area.earned), plain(area.possible), _in(area.explanation, lang)]
            for _, area in sorted(evaluation.areas.items())
        ]
        lines += ["", tabulate(area_rows, headers=[message("labels.area", lang), message("labels.score", lang), message("labels.earned", lang), message("labels.possible", lang), message("labels.formula", lang)], tablefmt=tablefmt, disable_numparse=True)]
    lines += ["", message("result.findings_count", lang, count=len(evaluation.findings))]
    for finding in evaluation.findings:
        evidence = "; ".join(f"{key} = {quantity_text(q)}" for key, q in finding.evidence.items())
        where = "/".join(part for part in (finding.project, finding.indicator) if part)
        lines.append(f"- [{message('severity.' + finding.severity, lang)}] {_in(finding.title, lang)}" + (f" ({where})" if where else "") + (f" — {evidence}" if evidence else ""))
    if evaluation.failures:
        lines += ["", message("labels.incomplete", lang) + ":"] + [f"- {failure.render()}" for failure in evaluation.failures]
    return "\n".join(lines) + "\n"


def explain_text(evaluation: Evaluation, indicator: str | None = None, lang: str = "zh") -> str:
    """Why every point was given or lost; with ``indicator``, that row only."""
    unit = evaluation.unit
    blocks: list[str] = []

    def block(title: str, explanation: Explanation) -> None:
        lines = [title, f"  {message('labels.rule', lang)}: {explanation.rule}"]
        for key, value in explanation.inputs.items():
            lines.append(f"  {key}: {value}")
        lines += [f"  {message('labels.formula', lang)}: {explanation.formula}", f"  {message('labels.result', lang)}: {explanation.result}"]
        blocks.append("\n".join(lines))

    def row_title(project: ProjectScore, score: IndicatorScore) -> str:
        name = pick((score.name, score.definition.name_en), lang)
        return f"[{project.project.name}] {score.definition.id} {name}（{message('status.' + score.status, lang)}）"

    for project in unit.projects:
        rows = sorted(project.indicators, key=lambda s: s.definition.id)
        if indicator is not None:
            for score in rows:
                if score.definition.id == indicator:
                    block(row_title(project, score), score.explain(lang))
            continue
        block(f"[{project.project.name}] {message('labels.budget_score', lang)}", project.budget.explain(lang, project.money_unit))
        for score in rows:
            block(row_title(project, score), score.explain(lang))
        for level in project.levels:
            level_name = pick((level.name, level.name_en), lang)
            line = f"[{project.project.name}] {level_name}: {plain(level.score)} / {plain(level.weight)}（{message('labels.assessable', lang)} {plain(level.assessable)}）"
            in_level = project.indicators if level.id == "indicators" else [s for s in project.indicators if s.definition.level1 == level.id]
            if not in_level:
                policy = project.policy
                treatment = message("result.empty_level_zero" if policy == "zero" else "result.empty_level_left_out", lang)
                line += message("result.empty_level", lang, treatment=treatment, policy=policy)
            blocks.append(line)
        block(f"[{project.project.name}] {message('labels.total', lang)}", project.explain(lang))
    if indicator is None:
        block(f"{unit.submission.unit.name} {message('labels.unit_total', lang)}", unit.explain(lang))
        for _, area in sorted(evaluation.areas.items()):
            blocks.append(f"{message('labels.area', lang)} {pick((area.name, area.name_en), lang)}: {plain(area.score)} — {_in(area.explanation, lang)}")
    return "\n\n".join(blocks) + "\n"


__all__ = ["RESULT_FORMAT", "evaluation_dict", "explain_text", "finding_dict", "indicator_dict", "project_dict", "score_table", "to_json"]
