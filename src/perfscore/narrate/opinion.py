"""Narrate stage, the bureau's voice: an evaluation → the 评价意见 a finance bureau sends the unit.

The unit's report (:mod:`perfscore.narrate.report`) speaks as the unit (我单位…); the opinion
speaks about it (该单位…), from the same narrative: the same numbered problems and the same
measures, so there is one account of the unit and two voices. It holds the conclusion (the
unit's own, the computed and, when a reviewer has scored it, the reviewed score with their
grades), the problems grouped by theme (the work area a finding belongs to; budget and
targets first), the corrections the bureau asks for with a deadline and the evidence to send
back, and the basis (the ruleset's name, version and fingerprint). Every text is the
catalogue's ``opinion.*`` (messages/opinion.toml); the result is a
:class:`~perfscore.narrate.report.Report`, so the output stage renders it as Markdown, text,
JSON or Word exactly as it renders the unit's report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from perfscore.arithmetic import ZERO
from perfscore.find import Evaluation
from perfscore.messages import catalogue, message, pick
from perfscore.narrate.narrative import NarrativeItem
from perfscore.narrate.report import Block, Items, Paragraph, Report, Section, Table, build_report
from perfscore.narrate.template import LANGS, load_report_template
from perfscore.narrate.wording import chinese_numeral
from perfscore.numbers import DASH, plain

OPINION_FORMAT = "perfscore-opinion/1"


@dataclass(frozen=True, slots=True)
class Review:
    """A reviewer's score of the unit (from the store, when there is one)."""

    total: Decimal
    grade: str | None


def build_opinion(evaluation: Evaluation, lang: str = "zh", *, deadline: str | None = None, review: Review | None = None) -> Report:
    """The bureau's 评价意见 on one unit, in ``lang``.

    ``deadline`` is the date the corrections are due (as the bureau writes it, e.g.
    2023-06-30); without it the catalogue's default period is given. ``review`` is the
    reviewed score, when a reviewer has scored the unit.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    report = build_report(evaluation, lang)
    return _OpinionBuilder(evaluation, report, lang, deadline, review).build()


class _OpinionBuilder:
    def __init__(self, evaluation: Evaluation, report: Report, lang: str, deadline: str | None, review: Review | None):
        self.evaluation = evaluation
        self.unit = evaluation.unit
        self.ruleset = self.unit.ruleset
        self.report = report
        self.narrative = report.narrative
        self.lang = lang
        self.deadline = deadline
        self.review = review
        self.project_names = {p.id: p.name for p in self.unit.submission.projects}
        self.sentences = message("narrate.sentence_separator", lang)

    def t(self, key: str, **fields: object) -> str:
        return message(f"opinion.{key}", self.lang, **fields)

    def grade(self, grade: str | None) -> str:
        if not grade:
            return DASH
        return str(pick((grade, f"{grade} {self.ruleset.grade_name_en(grade) or ''}".strip()), self.lang))

    # ------------------------------------------------------------------ 一
    def conclusion(self) -> Section:
        unit = self.unit
        own = self.evaluation.unit.self_total
        lines = []
        if own is None:
            lines.append(self.t("conclusion_self_missing"))
        else:
            lines.append(self.t("conclusion_self", score=plain(own), grade=self.grade(self.ruleset.grade_for(own))))
        lines.append(self.t("conclusion_computed", score=plain(unit.total), grade=self.grade(unit.grade), assessable=plain(unit.assessable)))
        if own is not None and unit.total is not None and own != unit.total:
            difference = own - unit.total
            lines.append(self.t("conclusion_difference", direction=self.t("direction_higher" if difference > ZERO else "direction_lower"), difference=plain(abs(difference))))
        if self.review is not None:
            lines.append(self.t("conclusion_reviewed", score=plain(self.review.total), grade=self.grade(self.review.grade)))
        else:
            lines.append(self.t("conclusion_not_reviewed"))
        counts = self.narrative.counts()
        if self.narrative.problems:
            lines.append(self.t("conclusion_problems", total=len(self.narrative.problems), problems=counts["problem"], warnings=counts["warning"]))
        else:
            lines.append(self.t("conclusion_no_problems"))
        rows = [
            [project.project.name, plain(project.self_total), plain(project.total), project.grade or DASH]
            for project in unit.projects
        ]
        rows.append([self.t("unit_row"), plain(own), plain(unit.total), unit.grade or DASH])
        blocks: list[Block] = [Paragraph(self.sentences.join(lines)), Table(self.t("scores_headers").split("|"), rows)]
        return Section("conclusion", self.t("h_conclusion"), blocks)

    # ------------------------------------------------------------------ 二
    def themes(self) -> list[tuple[str | None, list[NarrativeItem]]]:
        """Problems by theme: those of no work area (budget, targets) first, then by area id."""
        themes: dict[str | None, list[NarrativeItem]] = {}
        for item in self.narrative.problems:
            themes.setdefault(item.area, []).append(item)
        return sorted(themes.items(), key=lambda pair: (pair[0] is not None, pair[0] or ""))

    def renumbered(self) -> list[tuple[str | None, list[tuple[NarrativeItem, NarrativeItem]]]]:
        """(theme, [(problem, its measure)]) with problems numbered through in theme order."""
        measures = {measure.refers_to: measure for measure in self.narrative.measures}
        template = load_report_template()
        result = []
        n = 0
        for theme, items in self.themes():
            pairs = []
            for item in items:
                n += 1
                label = template.text("item_number", self.lang, n=n, numeral=chinese_numeral(n))
                problem = replace(item, number=n, label=label, heading=template.text("problem_heading", self.lang, number=label, title=item.title))
                measure = measures[item.number]
                requirement = replace(
                    measure, number=n, label=label, refers_to=n,
                    heading=self.t("requirement_heading", number=label, ref=label, title=item.title),
                    body=self.t("requirement", measure=measure.body, evidence=self.evidence(item.finding_id)),
                )
                pairs.append((problem, requirement))
            result.append((theme, pairs))
        return result

    def evidence(self, finding_id: str) -> str:
        key = f"opinion.evidence.{finding_id}"
        return message(key, self.lang) if key in catalogue() else self.t("evidence_default")

    def theme_name(self, theme: str | None, n: int) -> str:
        if theme is None:
            return self.t("theme_general", n=n, numeral=chinese_numeral(n))
        area = self.ruleset.areas.get(theme)
        name = pick((area.name, area.name_en), self.lang) if area is not None else theme
        return self.t("theme_area", n=n, numeral=chinese_numeral(n), area=name)

    def problems_and_requirements(self) -> tuple[Section, Section]:
        problems = Section("problems", self.t("h_problems"))
        requirements = Section("requirements", self.t("h_requirements"))
        grouped = self.renumbered()
        if not grouped:
            problems.blocks.append(Paragraph(self.t("conclusion_no_problems")))
            requirements.blocks.append(Paragraph(self.t("requirements_none")))
            return problems, requirements
        problems.blocks.append(Paragraph(self.t("problems_intro")))
        for position, (theme, pairs) in enumerate(grouped, start=1):
            problems.subsections.append(Section(f"theme-{theme or 'general'}", self.theme_name(theme, position), [Items(tuple(p for p, _ in pairs), self.project_names)]))
        deadline = self.t("deadline_date", date=self.deadline) if self.deadline else self.t("deadline_default")
        requirements.blocks.append(Paragraph(self.t("requirements_intro", deadline=deadline)))
        requirements.blocks.append(Items(tuple(r for _, pairs in grouped for _, r in pairs), self.project_names))
        return problems, requirements

    # ------------------------------------------------------------------ 四
    def basis(self) -> Section:
        meta = self.ruleset.ruleset
        text = self.t(
            "basis", ruleset_name=pick((meta.name, meta.name_en or meta.name), self.lang),
            ruleset_id=meta.id, ruleset_version=meta.version, fingerprint=self.ruleset.fingerprint or DASH,
        )
        return Section("basis", self.t("h_basis"), [Paragraph(text), Paragraph(self.t("closing"))])

    def build(self) -> Report:
        submission = self.unit.submission
        name, year = submission.unit.name, submission.unit.year
        problems, requirements = self.problems_and_requirements()
        preface = [Paragraph(self.t("addressee", unit=name)), Paragraph(self.t("opening", year=year))]
        preface = [*self.report.preface, *preface]  # the synthetic-data note, if any
        meta = dict(self.report.meta)
        meta.update({
            "voice": "bureau",
            "deadline": self.deadline,
            "self_total": plain(self.evaluation.unit.self_total) if self.evaluation.unit.self_total is not None else None,
            "reviewed_total": plain(self.review.total) if self.review is not None else None,
        })
        sections = [self.conclusion(), problems, requirements, self.basis()]
        return Report(self.lang, self.t("title", unit=name, year=year), preface, sections, meta, self.narrative, OPINION_FORMAT)


__all__ = ["OPINION_FORMAT", "Review", "build_opinion"]
