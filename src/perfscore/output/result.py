"""Presenting one unit's evaluation: the score table, its JSON, and ``explain`` text.

Everything printed comes from an :class:`~perfscore.find.Evaluation`; nothing is computed
here but formatting. Lists are sorted by id so the same input gives the same bytes.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tabulate import tabulate

from perfscore.arithmetic import HUNDRED, quantize
from perfscore.find import Evaluation
from perfscore.numbers import quantity_text
from perfscore.messages import message
from perfscore.numbers import percent
from perfscore.models import MONEY_UNITS_IN_YUAN
from perfscore.scoring.score import BudgetScore, IndicatorScore, ProjectScore

RESULT_FORMAT = "perfscore-result/1"


def _num(value: Decimal | None, places: int = 2) -> float | None:
    """A Decimal as a JSON number, rounded first so its text is exactly the rounded value."""
    return None if value is None else float(quantize(value, places))


def _rate(ratio: Decimal | None) -> float | None:
    return None if ratio is None else _num(ratio * HUNDRED)


def _money(value_in_yuan: Decimal | None, money_unit: str) -> Decimal | None:
    return None if value_in_yuan is None else value_in_yuan / MONEY_UNITS_IN_YUAN[money_unit]


def _budget_dict(budget: BudgetScore, money_unit: str) -> dict[str, Any]:
    places = 4 if money_unit == "万元" else 2
    return {
        "budget": _num(_money(budget.budget, money_unit), places),
        "spending": _num(_money(budget.spending, money_unit), places),
        "own_level_budget": _num(_money(budget.own_level_budget, money_unit), places),
        "own_level_spending": _num(_money(budget.own_level_spending, money_unit), places),
        "execution_rate": _rate(budget.execution_rate),
        "own_level_execution_rate": _rate(budget.own_level_execution_rate),
    }


def indicator_dict(score: IndicatorScore, lang: str) -> dict[str, Any]:
    definition = score.definition
    return {
        "id": definition.id,
        "name": score.name if lang == "zh" else definition.name_en,
        "area": definition.area,
        "level1": definition.level1,
        "level2": definition.level2,
        "comparison": score.comparison,
        "unit": definition.unit,
        "target": None if score.target is None else float(score.target),
        "actual": None if score.actual is None else float(score.actual),
        "completion": _rate(score.completion),
        "weight": _num(score.weight),
        "score": _num(score.score),
        "status": score.status,
        "reason": score.row.reason,
        "self_score": _num(score.row.self_score),
        "explanation": score.explain(lang).as_dict(),
    }


def project_dict(project: ProjectScore, lang: str) -> dict[str, Any]:
    library = project.indicators[0].ruleset.indicator_index if project.indicators else None
    return {
        "id": project.id,
        "name": project.project.name,
        "area": project.project.area,
        "money_unit": project.money_unit,
        **_budget_dict(project.budget, project.money_unit),
        "budget_score": {
            "weight": _num(project.budget.weight),
            "score": _num(project.budget.score),
            "explanation": project.budget.explain(lang, project.money_unit).as_dict(),
        },
        "levels": [
            {
                "id": level.id,
                "name": level.name if lang == "zh" else level.name_en,
                "weight": _num(level.weight),
                "score": _num(level.score),
                "assessable": _num(level.assessable),
                "level2": [{"id": key, "weight": _num(w), "score": _num(s)} for key, (w, s) in sorted(level.level2.items())],
            }
            for level in project.levels
        ],
        "indicators": [indicator_dict(score, lang) for score in sorted(project.indicators, key=lambda s: s.definition.id)],
        "outputs": [
            {"id": output.indicator, "actual": float(output.actual), "unit": output.unit or (library[output.indicator].unit if library else None), "qualifier": output.qualifier}
            for output in sorted(project.project.outputs, key=lambda o: o.indicator)
        ],
        "earned": _num(project.earned),
        "assessable_points": _num(project.assessable),
        "total": _num(project.total),
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
        "total": _num(unit.total),
        "grade": unit.grade,
        "assessable_points": _num(unit.assessable),
        **_budget_dict(unit.budget, money_unit),
        "explanation": unit.explain(lang).as_dict(),
        "projects": [project_dict(project, lang) for project in unit.projects],
        "areas": {
            area_id: {
                "name": area.name if lang == "zh" else area.name_en,
                "score": _num(area.score),
                "earned": _num(area.earned),
                "possible": _num(area.possible),
                "indicators": area.indicators,
                "explanation": area.explanation.zh if lang == "zh" else area.explanation.en,
                "source": area.source,
            }
            for area_id, area in sorted(evaluation.areas.items())
        },
        "findings": [finding_dict(finding, lang) for finding in evaluation.findings],
        "incomplete": evaluation.incomplete,
        "plugin_failures": [{"plugin": f.plugin, "hook": f.hook, "error": f.error} for f in evaluation.failures],
    }


def finding_dict(finding: Any, lang: str) -> dict[str, Any]:
    pick = (lambda text: text.zh) if lang == "zh" else (lambda text: text.en)
    return {
        "id": finding.id,
        "severity": finding.severity,
        "area": finding.area,
        "project": finding.project,
        "indicator": finding.indicator,
        "evidence": {key: {"value": str(q.value), "unit": q.unit, "text": quantity_text(q)} for key, q in finding.evidence.items()},
        "title": pick(finding.title),
        "problem": pick(finding.problem),
        "improvement": pick(finding.improvement),
        "source": finding.source,
    }


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


# --------------------------------------------------------------------------- text tables


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else str(quantize(value, 2))


def _grade(grade: str | None, ruleset: Any, lang: str) -> str:
    if grade is None:
        return "—"
    return grade if lang == "zh" else (ruleset.grade_name_en(grade) or grade)


def score_table(evaluation: Evaluation, fmt: str = "table", lang: str = "zh") -> str:
    """The project and unit score table, the areas, and the findings with their evidence."""
    unit = evaluation.unit
    tablefmt = {"table": "simple", "markdown": "github"}[fmt]
    ruleset = unit.ruleset
    levels = ruleset.indicator_levels
    money_unit = unit.submission.unit.money_unit
    headers = [message("labels.project", lang), f"{message('labels.budget', lang)}（{money_unit}）" if lang == "zh" else f"Budget ({money_unit})", message("labels.execution_rate", lang), message("labels.budget_score", lang)]
    level_names = {level.id: (level.name if lang == "zh" else level.name_en) for p in unit.projects for level in p.levels}
    shown_levels = [level for level in [*levels, "indicators"] if level in level_names]
    headers += [level_names[level] for level in shown_levels] + [message("labels.assessable", lang), message("labels.total", lang), message("labels.grade", lang)]
    rows = []
    for project in unit.projects:
        by_level = {level.id: level for level in project.levels}
        rows.append(
            [project.project.name, _fmt(_money(project.budget.budget, money_unit)), percent(project.budget.execution_rate), _fmt(project.budget.score)]
            + [f"{_fmt(by_level[level].score)}/{_fmt(by_level[level].weight)}" if level in by_level else "—" for level in shown_levels]
            + [_fmt(project.assessable), _fmt(project.total), _grade(project.grade, ruleset, lang)]
        )
    rows.append(
        [message("labels.unit_total", lang), _fmt(_money(unit.budget.budget, money_unit)), percent(unit.budget.execution_rate), ""]
        + [""] * len(shown_levels)
        + [_fmt(unit.assessable), _fmt(unit.total), _grade(unit.grade, ruleset, lang)]
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
            [area.name if lang == "zh" else area.name_en, _fmt(area.score), _fmt(area.earned), _fmt(area.possible), area.explanation.zh if lang == "zh" else area.explanation.en]
            for _, area in sorted(evaluation.areas.items())
        ]
        lines += ["", tabulate(area_rows, headers=[message("labels.area", lang), message("labels.score", lang), message("labels.earned", lang), message("labels.possible", lang), message("labels.formula", lang)], tablefmt=tablefmt, disable_numparse=True)]
    lines += ["", f"{message('labels.findings', lang)}（{len(evaluation.findings)}）" if lang == "zh" else f"{message('labels.findings', lang)} ({len(evaluation.findings)})"]
    for finding in evaluation.findings:
        title = finding.title.zh if lang == "zh" else finding.title.en
        evidence = "; ".join(f"{key} = {quantity_text(q)}" for key, q in finding.evidence.items())
        where = "/".join(part for part in (finding.project, finding.indicator) if part)
        lines.append(f"- [{message('severity.' + finding.severity, lang)}] {title}" + (f" ({where})" if where else "") + (f" — {evidence}" if evidence else ""))
    if evaluation.failures:
        lines += ["", message("labels.incomplete", lang) + ":"] + [f"- {failure.render()}" for failure in evaluation.failures]
    return "\n".join(lines) + "\n"


def explain_text(evaluation: Evaluation, indicator: str | None = None, lang: str = "zh") -> str:
    """Why every point was given or lost; with ``indicator``, that row only."""
    unit = evaluation.unit
    blocks: list[str] = []

    def block(title: str, explanation: Any) -> None:
        lines = [title, f"  {message('labels.rule', lang)}: {explanation.rule}"]
        for key, value in explanation.inputs.items():
            lines.append(f"  {key}: {value}")
        lines += [f"  {message('labels.formula', lang)}: {explanation.formula}", f"  {message('labels.result', lang)}: {explanation.result}"]
        blocks.append("\n".join(lines))

    for project in unit.projects:
        rows = sorted(project.indicators, key=lambda s: s.definition.id)
        if indicator is not None:
            rows = [s for s in rows if s.definition.id == indicator]
            for s in rows:
                block(f"[{project.project.name}] {s.definition.id} {s.name if lang == 'zh' else s.definition.name_en}（{message('status.' + s.status, lang)}）", s.explain(lang))
            continue
        block(f"[{project.project.name}] {message('labels.budget_score', lang)}", project.budget.explain(lang, project.money_unit))
        for s in rows:
            block(f"[{project.project.name}] {s.definition.id} {s.name if lang == 'zh' else s.definition.name_en}（{message('status.' + s.status, lang)}）", s.explain(lang))
        for level in project.levels:
            level_name = level.name if lang == "zh" else level.name_en
            line = f"[{project.project.name}] {level_name}: {_fmt(level.score)} / {_fmt(level.weight)}（{message('labels.assessable', lang)} {_fmt(level.assessable)}）"
            in_level = project.indicators if level.id == "indicators" else [s for s in project.indicators if s.definition.level1 == level.id]
            if not in_level:
                policy = project.policy
                if lang == "zh":
                    line += f" — 未设定该类指标，{'按 0 计' if policy == 'zero' else '不计入可评价分值'}（missing_targets = {policy}）"
                else:
                    line += f" — no rows in this category: {'counted as 0' if policy == 'zero' else 'left out of the assessable points'} (missing_targets = {policy})"
            blocks.append(line)
        block(f"[{project.project.name}] {message('labels.total', lang)}", project.explain(lang))
    if indicator is None:
        block(f"{unit.submission.unit.name} {message('labels.unit_total', lang)}", unit.explain(lang))
        for _, area in sorted(evaluation.areas.items()):
            blocks.append(f"{message('labels.area', lang)} {area.name if lang == 'zh' else area.name_en}: {_fmt(area.score)} — {area.explanation.zh if lang == 'zh' else area.explanation.en}")
    return "\n\n".join(blocks) + "\n"
