"""Narrate stage, the report: an evaluation → the self-evaluation report (自评报告) as a document.

:func:`build_report` assembles sections 一 to 六 as a :class:`Report` — sections holding
paragraphs, tables and the numbered items of the narrative
(:mod:`perfscore.narrate.narrative`) — in one language. Sections 一 to 三 and 六 are built
from the scores alone; 四 and 五 are the narrative. All wording comes from the report
template (:mod:`perfscore.narrate.template`) and every number is written by
:mod:`perfscore.numbers`; nothing here invents a fact about the unit, and the same input
gives the same document. The output stage (:mod:`perfscore.output.report`) renders it
as markdown, text or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from perfscore.arithmetic import HUNDRED, ZERO
from perfscore.find import Evaluation
from perfscore.messages import message, pick
from perfscore.models import Quantity, Tier
from perfscore.narrate.narrative import Narrative, NarrativeItem, build_narrative, group_wordings
from perfscore.narrate.template import LANGS, TEXT_KEYS, ReportTemplate, load_report_template
from perfscore.numbers import DASH, bound, figure, hedged, money, money_text, percent, plain, quantity_text, unit_name
from perfscore.scoring.score import IndicatorScore, UnitScore
from perfscore.scoring.status import MISSING_ACTUAL, SCORED

REPORT_FORMAT = "perfscore-report/1"

# --------------------------------------------------------------------------- the document


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of finished text."""

    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"type": "paragraph", "text": self.text}


@dataclass(frozen=True, slots=True)
class Table:
    """A table of finished cells, with an optional caption (e.g. the money unit)."""

    headers: list[str]
    rows: list[list[str]]
    caption: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"type": "table", "caption": self.caption, "headers": self.headers, "rows": self.rows}


@dataclass(frozen=True, slots=True)
class Items:
    """Numbered items of the narrative (problems, measures or notes)."""

    items: tuple[NarrativeItem, ...]
    project_names: Mapping[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": "items",
            "items": [
                {
                    "number": item.number,
                    "label": item.label,
                    "title": item.title,
                    "text": item.text,
                    "body": item.body,
                    "severity": item.severity,
                    "area": item.area,
                    "finding_id": item.finding_id,
                    "findings": [{"id": i, "project": p or None, "indicator": x or None} for i, p, x in item.findings],
                    "projects": [{"id": p, "name": self.project_names.get(p, p)} for p in item.projects],
                    **({"refers_to": item.refers_to} if item.refers_to is not None else {}),
                    "dropped_evidence": item.dropped_evidence,
                    "truncated": item.truncated,
                }
                for item in self.items
            ],
        }


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a chart: a label, what was earned and what could be (full marks)."""

    label: str
    earned: Decimal
    full: Decimal

    @property
    def share(self) -> Decimal:
        """earned ÷ full, between 0 and 1 (0 when nothing could be earned)."""
        if self.full <= ZERO:
            return ZERO
        return min(max(self.earned / self.full, ZERO), Decimal(1))


@dataclass(frozen=True, slots=True)
class Chart:
    """A bar chart of scores (earned against full), with its caption and column headers."""

    caption: str
    headers: list[str]
    bars: list[Bar]

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": "chart", "caption": self.caption, "headers": self.headers,
            "bars": [{"label": bar.label, "earned": plain(bar.earned), "full": plain(bar.full)} for bar in self.bars],
        }


Block = Paragraph | Table | Items | Chart


@dataclass(slots=True)
class Section:
    """A headed section: its blocks, then its subsections."""

    id: str
    heading: str
    blocks: list[Block] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "heading": self.heading,
            "blocks": [block.as_dict() for block in self.blocks],
            "subsections": [section.as_dict() for section in self.subsections],
        }


@dataclass(slots=True)
class Report:
    """The whole report in one language: title, preface, sections 一 to 六, and its facts."""

    lang: str
    title: str
    preface: list[Paragraph]
    sections: list[Section]
    meta: dict[str, Any]
    narrative: Narrative
    #: what the document is: the unit's report, or the bureau's opinion (narrate.opinion)
    format: str = REPORT_FORMAT

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "lang": self.lang,
            "title": self.title,
            **self.meta,
            "preface": [block.as_dict() for block in self.preface],
            "sections": [section.as_dict() for section in self.sections],
        }


# --------------------------------------------------------------------------- the builder


class _ReportBuilder:
    def __init__(self, evaluation: Evaluation, lang: str, template: ReportTemplate):
        self.evaluation = evaluation
        self.unit: UnitScore = evaluation.unit
        self.ruleset = self.unit.ruleset
        self.lang = lang
        self.template = template
        self.money_unit = self.unit.submission.unit.money_unit
        self.project_names = {p.id: p.name for p in self.unit.submission.projects}
        self.threshold = percent(self.ruleset.over_completion.threshold)
        self.sentences = message("narrate.sentence_separator", lang)

    def t(self, key: str, **values: object) -> str:
        return self.template.text(key, self.lang, **values)

    def header(self, key: str) -> list[str]:
        return self.template.header(key, self.lang)

    def pick(self, zh: str, en: str) -> str:
        """The one of a (zh, en) pair that comes with the data, in the report's language."""
        chosen: str = pick((zh, en), self.lang)
        return chosen

    def ruleset_name(self) -> str:
        meta = self.ruleset.ruleset
        return self.pick(meta.name, meta.name_en or meta.name)

    def money(self, value_in_yuan: Decimal | None) -> str:
        return money(value_in_yuan, self.money_unit)

    def indicator_name(self, score: IndicatorScore) -> str:
        return self.pick(score.name, score.definition.name_en)

    def target_text(self, score: IndicatorScore) -> str:
        if score.comparison == "qualitative":
            return self.t("qualitative_target")
        if score.target is None:
            return DASH
        return bound(score.comparison, Quantity(value=score.target, unit=score.definition.unit), self.lang)

    def actual_text(self, score: IndicatorScore) -> str:
        if score.comparison == "qualitative":
            tier = next((t for t in self.ruleset.qualitative.tiers if score.row.tier in (t.id, t.name)), None)
            if tier is not None:
                return self.pick(tier.name, tier.name_en)
            return score.row.description or DASH
        if score.actual is None:
            return DASH
        return quantity_text(Quantity(value=score.actual, unit=score.definition.unit), self.lang)

    # ------------------------------------------------------------------ 一
    def basic(self) -> Section:
        unit = self.unit
        submission = unit.submission
        summary = self.t(
            "funds_summary", year=submission.unit.year, budget=money_text(unit.budget.budget, self.money_unit, self.lang),
            projects=len(unit.projects), spending=money_text(unit.budget.spending, self.money_unit, self.lang),
            execution_rate=percent(unit.budget.execution_rate),
        )
        if unit.budget.own_level_budget is not None and unit.budget.own_level_spending is not None:
            summary += self.sentences + self.t(
                "funds_own_level", own_level_budget=money_text(unit.budget.own_level_budget, self.money_unit, self.lang),
                own_level_spending=money_text(unit.budget.own_level_spending, self.money_unit, self.lang),
                own_level_execution_rate=percent(unit.budget.own_level_execution_rate),
            )
        rows = []
        for project in unit.projects:
            budget = project.budget
            rows.append([
                project.project.name, self.money(budget.budget), self.money(budget.own_level_budget),
                self.money(budget.spending), self.money(budget.own_level_spending),
                percent(budget.execution_rate), percent(budget.own_level_execution_rate),
            ])
        total = unit.budget
        rows.append([
            self.t("total_row"), self.money(total.budget), self.money(total.own_level_budget),
            self.money(total.spending), self.money(total.own_level_spending),
            percent(total.execution_rate), percent(total.own_level_execution_rate),
        ])
        funds = Section("funds", self.t("h_funds"), [Paragraph(summary), Table(self.header("funds_headers"), rows, self.t("money_unit_note", money_unit=unit_name(self.money_unit, self.lang)))])

        targets = Section("targets", self.t("h_targets"))
        scored = [score for project in unit.projects for score in project.indicators]
        if scored:
            targets.blocks.append(Paragraph(self.t("targets_intro", count=len(scored))))
            targets.blocks.append(Table(self.header("targets_headers"), [
                [self.project_names[s.project_id], self.indicator_name(s), self.target_text(s), self.actual_text(s), percent(s.completion), plain(s.weight), plain(s.row.self_score), plain(s.score)]
                for s in scored
            ]))
        else:
            targets.blocks.append(Paragraph(self.t("targets_none")))
        library = self.ruleset.indicator_index
        outputs = [(reported, output) for reported in submission.projects for output in reported.outputs]
        if outputs:
            targets.blocks.append(Paragraph(self.t("outputs_intro", count=len(outputs))))
            output_rows = []
            for reported, output in outputs:
                definition = library.get(output.indicator)
                name = self.pick(definition.name, definition.name_en) if definition else output.indicator
                unit_of_measure = output.unit or (definition.unit if definition else "")
                output_rows.append([reported.name, name, self.qualified(output.actual, unit_of_measure, output.qualifier)])
            targets.blocks.append(Table(self.header("outputs_headers"), output_rows))
        return Section("basic", self.t("h_basic"), subsections=[funds, targets])

    def qualified(self, value: Decimal, unit: str, qualifier: str | None) -> str:
        """A reported figure with the report's own qualifier: 约79人, 60余次, 90.00%以上."""
        if qualifier is None:
            return quantity_text(Quantity(value=value, unit=unit), self.lang)
        return hedged(value, qualifier, unit, self.lang)

    # ------------------------------------------------------------------ 二
    def work(self) -> Section:
        ruleset = self.ruleset
        meta = ruleset.ruleset
        separator = self.t("list_separator")
        weight_parts = []
        for key, weight in ruleset.weights.items():
            if key == "budget":
                label = self.t("weight_budget")
            elif key == "indicators":
                label = self.t("weight_indicators")
            else:
                level = ruleset.levels[key]
                label = self.pick(level.name, level.name_en)
            weight_parts.append(f"{label} {figure(weight)}")
        methods = []
        for method_name in sorted({s.method.name for s in self.unit.indicators if s.method is not None and s.status == SCORED}):
            key = f"method_{method_name}"
            methods.append(self.t(key) if key in TEXT_KEYS else self.t("method_other", method=method_name))
        over = ruleset.over_completion
        over_text = self.t(f"over_{over.action}", threshold=self.threshold, **({"reduce_factor": figure(over.reduce_factor)} if over.action == "reduce" else {}))
        grades = sorted(ruleset.grades, key=lambda band: band.min, reverse=True)
        grade_parts = []
        for position, band in enumerate(grades):
            grade = self.pick(band.grade, f"{band.grade} {band.name_en}")
            if band.min == ZERO and position > 0:
                grade_parts.append(self.t("grade_band_floor", grade=grade, upper=figure(grades[position - 1].min)))
            else:
                grade_parts.append(self.t("grade_band", grade=grade, min=figure(band.min)))
        sentences = [
            self.t("work_ruleset", ruleset_name=self.ruleset_name(), ruleset_id=meta.id, ruleset_version=meta.version),
            self.t("work_weights", weights=separator.join(weight_parts)),
            self.t("work_budget", basis=self.t(f"basis_{ruleset.budget.basis}"), cap=percent(ruleset.budget.cap)),
        ]
        if methods:
            sentences.append(self.t("work_methods", methods=self.t("clause_separator").join(methods)))
        sentences += [
            over_text,
            self.t(f"missing_{ruleset.missing_targets}"),
            self.t("work_combine", combine=self.t(f"combine_{ruleset.combine}"), places=ruleset.arithmetic.places,
                   rounding=self.t(f"rounding_{ruleset.arithmetic.rounding}"), grades=separator.join(grade_parts)),
        ]
        return Section("work", self.t("h_work"), [Paragraph(self.sentences.join(sentences[:2])), Paragraph(self.sentences.join(sentences[2:]))])

    # ------------------------------------------------------------------ 三
    def conclusion(self) -> Section:
        unit = self.unit
        grade = DASH
        if unit.grade:
            grade = self.pick(unit.grade, f"{unit.grade} {self.ruleset.grade_name_en(unit.grade) or ''}".strip())
        lines = [self.t("score_summary", unit=unit.submission.unit.name, year=unit.submission.unit.year, total=plain(unit.total), grade=grade)]
        if unit.assessable < HUNDRED:
            lines.append(self.t("score_assessable", assessable=plain(unit.assessable)))
        else:
            lines.append(self.t("score_assessable_full"))
        score = Section("score", self.t("h_score"), [Paragraph(self.sentences.join(lines)), Paragraph(self.t("levels_intro")), self.levels_table(), self.levels_chart()])

        deviations = self.deviations()
        deviation_section = Section("deviations", self.t("h_deviations"))
        if deviations:
            deviation_section.blocks.append(Paragraph(self.t("deviations_intro", count=len(deviations), threshold=self.threshold)))
            deviation_section.blocks.append(Table(self.header("deviations_headers"), deviations))
        else:
            deviation_section.blocks.append(Paragraph(self.t("deviations_none", threshold=self.threshold)))
        sections = [score, deviation_section]
        if self.evaluation.areas:
            rows = [
                [self.pick(area.name, area.name_en), plain(area.score), f"{plain(area.earned)}/{plain(area.possible)}", self.pick(area.explanation.zh, area.explanation.en)]
                for _, area in sorted(self.evaluation.areas.items())
            ]
            sections.append(Section("areas", self.t("h_areas"), [Paragraph(self.t("areas_intro")), Table(self.header("areas_headers"), rows)]))
        return Section("conclusion", self.t("h_conclusion"), subsections=sections)

    def levels_chart(self) -> Chart:
        """The unit's score by level (budget execution and each level-1 category), earned
        against full, combined over projects the way the total is."""
        bars = []
        for level_id, earned in self.unit.level_points().items():
            if level_id == "budget":
                label = self.t("weight_budget")
            elif level_id == "indicators":
                label = self.t("weight_indicators")
            else:
                level = self.ruleset.levels[level_id]
                label = self.pick(level.name, level.name_en)
            bars.append(Bar(label, earned, self.ruleset.weights.get(level_id, ZERO)))
        return Chart(self.t("chart_caption"), self.header("chart_headers"), bars)

    def levels_table(self) -> Table:
        unit = self.unit
        names: dict[str, str] = {}
        for project in unit.projects:
            for level in project.levels:
                names.setdefault(level.id, self.pick(level.name, level.name_en))
        order = [level for level in [*self.ruleset.indicator_levels, "indicators"] if level in names]
        rows = []
        for project in unit.projects:
            by_level = {level.id: level for level in project.levels}
            budget = project.budget
            rows.append(
                [project.project.name, f"{plain(budget.score)}/{plain(budget.weight)}"]
                + [f"{plain(by_level[level].score)}/{plain(by_level[level].weight)}" if level in by_level else DASH for level in order]
                + [plain(project.assessable), plain(project.total), project.grade or DASH]
            )
        rows.append([self.t("unit_row"), ""] + [""] * len(order) + [plain(unit.assessable), plain(unit.total), unit.grade or DASH])
        return Table(self.header("levels_headers_lead") + [names[level] for level in order] + self.header("levels_headers_tail"), rows)

    def deviations(self) -> list[list[str]]:
        rows = []
        threshold = self.ruleset.over_completion.threshold
        top_tier = max(self.ruleset.qualitative.tiers, key=lambda tier: tier.max, default=None)
        for score in self.unit.indicators:
            kind = None
            if score.status == MISSING_ACTUAL:
                kind = "deviation_missing_actual"
            elif score.status == SCORED:
                kind = _deviation(score, threshold, top_tier)
            if kind is None:
                continue
            rows.append([
                self.project_names[score.project_id], self.indicator_name(score), self.target_text(score), self.actual_text(score),
                percent(score.completion), self.t(kind), (score.row.reason or "").strip() or self.t("no_reason"),
            ])
        return rows

    # ------------------------------------------------------------------ 四 五 六
    def narrative_sections(self, narrative: Narrative) -> list[Section]:
        counts = narrative.counts()
        problems = Section("problems", self.t("h_problems"))
        measures = Section("measures", self.t("h_measures"))
        if narrative.problems:
            problems.blocks += [
                Paragraph(self.t("problems_intro", total=len(narrative.problems), problems=counts["problem"], warnings=counts["warning"])),
                Items(narrative.problems, self.project_names),
            ]
            measures.blocks += [Paragraph(self.t("measures_intro")), Items(narrative.measures, self.project_names)]
        else:
            problems.blocks.append(Paragraph(self.t("problems_none")))
            measures.blocks.append(Paragraph(self.t("measures_none")))
        return [problems, measures]

    def other(self, narrative: Narrative) -> Section:
        meta = self.ruleset.ruleset
        section = Section("other", self.t("h_other"))
        section.blocks.append(Paragraph(self.t(
            "other_ruleset", ruleset_name=self.ruleset_name(),
            ruleset_id=meta.id, ruleset_version=meta.version, fingerprint=self.ruleset.fingerprint or DASH,
        )))
        if self.evaluation.failures:
            plugins = sorted({failure.plugin for failure in self.evaluation.failures})
            section.blocks.append(Paragraph(self.t("other_incomplete", plugins=self.t("list_separator").join(plugins))))
        if narrative.notes:
            section.blocks += [Paragraph(self.t("notes_intro")), Items(narrative.notes, self.project_names)]
        section.blocks.append(Paragraph(self.t("other_generated")))
        return section

    def build(self) -> Report:
        submission = self.unit.submission
        narrative = build_narrative(
            self.evaluation.findings, self.lang, project_names=self.project_names,
            indicator_names={i.id: (i.name, i.name_en) for i in self.ruleset.indicators},
            max_chars=self.ruleset.narrative.max_chars, template=self.template, groups=group_wordings(self.ruleset.templates),
        )
        preface = [Paragraph(self.t("synthetic_note"))] if submission.unit.synthetic else []
        sections = [self.basic(), self.work(), self.conclusion(), *self.narrative_sections(narrative), self.other(narrative)]
        meta = {
            "unit": {"id": submission.unit.id, "name": submission.unit.name, "year": submission.unit.year, "synthetic": submission.unit.synthetic},
            "ruleset": {"id": self.ruleset.ruleset.id, "name": self.ruleset.ruleset.name, "version": self.ruleset.ruleset.version, "fingerprint": self.ruleset.fingerprint},
            "money_unit": self.money_unit,
            "total": plain(self.unit.total),
            "grade": self.unit.grade,
            "assessable_points": plain(self.unit.assessable),
            "max_chars": narrative.max_chars,
            "incomplete": self.evaluation.incomplete,
        }
        return Report(self.lang, self.t("title", unit=submission.unit.name, year=submission.unit.year), preface, sections, meta, narrative)


def _deviation(score: IndicatorScore, threshold: Decimal, top_tier: Tier | None) -> str | None:
    """"deviation_short", "deviation_over" or None for a scored row."""
    comparison, target, actual = score.comparison, score.target, score.actual
    if comparison == "qualitative":
        named = score.row.tier
        if named is None or top_tier is None:
            return None
        return None if named in (top_tier.id, top_tier.name) else "deviation_short"
    if target is None or actual is None:
        return None
    if comparison == "<=":
        return "deviation_short" if actual > target else None
    if comparison == "=" and target == ZERO:
        return "deviation_short" if actual > ZERO else None
    if actual < target:
        return "deviation_short"
    if target > ZERO and actual / target >= threshold:
        return "deviation_over"
    return None


def build_report(evaluation: Evaluation, lang: str = "zh", template: ReportTemplate | None = None) -> Report:
    """The report as a document: title, sections with paragraphs, tables and numbered items."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return _ReportBuilder(evaluation, lang, template or load_report_template()).build()


__all__ = ["REPORT_FORMAT", "Bar", "Block", "Chart", "Items", "Paragraph", "Report", "Section", "Table", "build_report"]
