"""Narrate stage, the narrative: findings → 四、存在的问题, 五、改进措施 and the notes of 六.

Findings are merged (one item per finding id and wording, citing every project it
concerns), ordered by severity then area, numbered （一）（二）… and held to the ruleset's
per-item length by dropping trailing evidence first, listing only the first project next,
and cutting at a clause boundary last. Every measure answers the problem with the same
number. Informational findings are not problems; they become the notes of 六. Both
languages are written together so that both keep the same evidence (docs/report.md).
The report builder (:mod:`perfscore.narrate.report`) places the result in the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from perfscore.messages import message, pick
from perfscore.models import SEVERITY_ORDER, Finding, FindingTemplate, LocalText
from perfscore.narrate.template import LANGS, ReportTemplate, load_report_template
from perfscore.narrate.wording import chinese_numeral, shorten
from perfscore.numbers import DASH, quantity_text

#: the per-item limit when the ruleset sets none (Sichuan's 200 characters)
DEFAULT_MAX_CHARS = 200

#: severities listed as problems (四) with a measure each (五); the rest are notes (六)
PROBLEM_SEVERITIES = ("problem", "warning")


@dataclass(frozen=True, slots=True)
class NarrativeItem:
    """One numbered item of 四, 五 or 六: a heading (number and title) and a paragraph."""

    number: int
    label: str
    title: str
    heading: str
    body: str
    severity: str
    area: str | None
    finding_id: str
    #: (id, project, indicator) of every finding this item stands for
    findings: tuple[tuple[str, str, str], ...]
    projects: tuple[str, ...]
    #: for a measure: the number of the problem it answers
    refers_to: int | None = None
    #: evidence clauses left out to keep within the length limit
    dropped_evidence: int = 0
    #: the paragraph had to be cut at a clause boundary
    truncated: bool = False

    @property
    def text(self) -> str:
        """The item as counted against the length limit: heading and paragraph."""
        return self.heading + self.body


@dataclass(frozen=True, slots=True)
class Narrative:
    """四 (problems), 五 (measures, one per problem, same numbers) and the notes of 六."""

    lang: str
    max_chars: int
    problems: tuple[NarrativeItem, ...]
    measures: tuple[NarrativeItem, ...]
    notes: tuple[NarrativeItem, ...]

    def counts(self) -> dict[str, int]:
        """How many problems and notes there are of each severity."""
        counts = {severity: 0 for severity in SEVERITY_ORDER}
        for item in (*self.problems, *self.notes):
            counts[item.severity] += 1
        return counts


@dataclass(frozen=True, slots=True)
class GroupWording:
    """How one item speaks for several findings of a kind whose texts differ (their figures):
    a ruleset template's ``group_*`` wording, each a (zh, en) pair (docs/report.md)."""

    title: tuple[str, str]
    item: tuple[str, str]
    problem: tuple[str, str]
    improvement: tuple[str, str] | None = None


def group_wordings(templates: Mapping[str, FindingTemplate]) -> dict[str, GroupWording]:
    """The group wording of every finding template that has one, by finding id."""
    wordings = {}
    for finding_id, template in sorted(templates.items()):
        if template.group_title is None or template.group_title_en is None or template.group_item is None or template.group_item_en is None \
                or template.group_problem is None or template.group_problem_en is None:
            continue
        improvement = None
        if template.group_improvement is not None and template.group_improvement_en is not None:
            improvement = (template.group_improvement, template.group_improvement_en)
        wordings[finding_id] = GroupWording(
            (template.group_title, template.group_title_en), (template.group_item, template.group_item_en),
            (template.group_problem, template.group_problem_en), improvement,
        )
    return wordings


class _Fields(dict[str, str]):
    """Placeholder values; one a finding lacks reads as a dash, never a KeyError."""

    def __missing__(self, key: str) -> str:
        return DASH


@dataclass(slots=True)
class _Group:
    """Findings of one kind (finding id) told in one item."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def first(self) -> Finding:
        return self.findings[0]

    @property
    def uniform(self) -> bool:
        """Do all its findings say the same (one text citing several projects)?"""
        return len({_merge_key(f) for f in self.findings}) == 1


def _merge_key(finding: Finding) -> tuple[str, ...]:
    return (finding.id, finding.title.zh, finding.title.en, finding.problem.zh, finding.problem.en)


def _kind_key(finding: Finding) -> tuple[str, bool]:
    """One item a kind: the finding id, problems apart from notes."""
    return (finding.id, finding.severity in PROBLEM_SEVERITIES)


def _finding_order(finding: Finding, project_rank: Mapping[str, int]) -> tuple[Any, ...]:
    project = finding.project or ""
    return (
        project_rank.get(project, len(project_rank)) if project else -1,
        project,
        finding.indicator or "",
        finding.severity,
        finding.area or "",
        finding.title.zh,
        finding.title.en,
        finding.problem.zh,
        finding.problem.en,
        finding.improvement.zh,
        finding.improvement.en,
        json.dumps({k: [str(q.value), q.unit] for k, q in sorted(finding.evidence.items())}, ensure_ascii=False),
        finding.source,
    )


def _group(findings: Iterable[Finding], project_rank: Mapping[str, int]) -> list[_Group]:
    """One group a kind (finding id), in project order; the result does not depend on input order."""
    groups: dict[tuple[str, bool], _Group] = {}
    for finding in findings:
        groups.setdefault(_kind_key(finding), _Group()).findings.append(finding)
    for group in groups.values():
        group.findings.sort(key=lambda f: _finding_order(f, project_rank))

    def order(group: _Group) -> tuple[Any, ...]:
        severity = min(SEVERITY_ORDER[f.severity] for f in group.findings)
        area = min((f.area or "") for f in group.findings)
        return (severity, area, group.first.id, _finding_order(group.first, project_rank), _merge_key(group.first))

    return sorted(groups.values(), key=order)


def _quoted_pair(finding: Finding, name: str) -> bool:
    """Whether ``name`` is one of a pair of evidence values, ``x`` in Chinese and ``x_en`` in
    English (names of indicators, say), each quoted by the text of its own language."""
    evidence = finding.evidence
    zh_name, en_name = (name[:-3], name) if name.endswith("_en") else (name, f"{name}_en")
    if zh_name not in evidence or en_name not in evidence:
        return False
    zh_text = _in(finding.title, "zh") + " " + _in(finding.problem, "zh")
    en_text = _in(finding.title, "en") + " " + _in(finding.problem, "en")
    return _quotes(zh_text, quantity_text(evidence[zh_name], "zh")) and _quotes(en_text, quantity_text(evidence[en_name], "en"))


def _quotes(text: str, value: str) -> bool:
    """Does ``text`` cite ``value`` as a whole figure (so 0 is not found inside 100)?"""
    start = text.find(value)
    while start != -1:
        before = text[start - 1] if start > 0 else ""
        after = text[start + len(value)] if start + len(value) < len(text) else ""
        if not (before.isdigit() or before == ".") and not (after.isdigit() or (after == "." and text[start + len(value) + 1 : start + len(value) + 2].isdigit())):
            return True
        start = text.find(value, start + 1)
    return False


def _in(text: LocalText, lang: str) -> str:
    """A finding's text in ``lang``."""
    chosen: str = pick((text.zh, text.en), lang)
    return chosen


class _Writer:
    """Builds items in both languages so that both keep the same evidence."""

    def __init__(self, template: ReportTemplate, project_names: Mapping[str, str], indicator_names: Mapping[str, tuple[str, str]], max_chars: int):
        self.template = template
        self.project_names = project_names
        self.indicator_names = indicator_names
        self.max_chars = max_chars

    def room(self, lang: str) -> int:
        return self.max_chars * self.template.length_factor[lang]

    def number(self, n: int, lang: str) -> str:
        return self.template.text("item_number", lang, n=n, numeral=chinese_numeral(n))

    def projects(self, group: _Group) -> list[str]:
        seen: list[str] = []
        for finding in group.findings:
            if finding.project and finding.project not in seen:
                seen.append(finding.project)
        return seen

    def citations(self, group: _Group) -> list[tuple[str, str]]:
        """(project, indicator) pairs the item is about, in order; either may be empty."""
        seen: list[tuple[str, str]] = []
        for finding in group.findings:
            pair = (finding.project or "", finding.indicator or "")
            if pair != ("", "") and pair not in seen:
                seen.append(pair)
        return seen

    def cite(self, project: str, indicator: str, lang: str) -> str:
        project_name = self.project_names.get(project, project)
        if not indicator:
            return project_name
        names = self.indicator_names.get(indicator)
        indicator_name: str = pick(names, lang) if names else indicator
        if not project:
            return indicator_name
        return self.template.text("project_indicator", lang, project=project_name, indicator=indicator_name)

    def project_clause(self, citations: list[tuple[str, str]], lang: str, compact: bool) -> str:
        if not citations:
            return ""
        names = [self.cite(project, indicator, lang) for project, indicator in citations]
        if compact and len(names) > 1:
            return self.template.text("projects_clause_many", lang, first=names[0], count=len(names), others=len(names) - 1)
        separator = self.template.text("list_separator", lang)
        return self.template.text("projects_clause", lang, projects=separator.join(names))

    def evidence(self, group: _Group, lang: str) -> list[str]:
        """Evidence the finding's text does not already quote (in both languages), one clause each."""
        items: list[str] = []
        several = len(group.findings) > 1
        for finding in group.findings:
            for name, quantity in finding.evidence.items():
                value = quantity_text(quantity, lang)
                if all(_quotes(_in(finding.title, lg) + " " + _in(finding.problem, lg), quantity_text(quantity, lg)) for lg in LANGS):
                    continue
                if _quoted_pair(finding, name):
                    continue
                label = self.template.evidence_label(name, lang)
                if several and finding.project:
                    label = f"{self.project_names.get(finding.project, finding.project)} {label}"
                item = self.template.text("evidence_item", lang, label=label, value=value)
                if item not in items:
                    items.append(item)
        return items

    def body(self, lead: str, projects: list[tuple[str, str]], evidence: list[str], keep: int, lang: str, compact: bool) -> str:
        parts = [lead, self.project_clause(projects, lang, compact)]
        if keep:
            separator = self.template.text("clause_separator", lang)
            parts.append(self.template.text("evidence_clause", lang, items=separator.join(evidence[:keep])))
        return message("narrate.sentence_separator", lang).join(part for part in parts if part)

    def heading(self, key: str, lang: str, room: int, title: str, **values: object) -> tuple[str, str]:
        """The heading and its (possibly shortened) title; a title takes at most half the room."""
        heading = self.template.text(key, lang, title=title, **values)
        if len(heading) > room // 2:
            overflow = len(heading) - room // 2
            title = shorten(title, max(len(title) - overflow, 1), lang, self.template.text("ellipsis", lang))
            heading = self.template.text(key, lang, title=title, **values)
        return heading, title

    def fit(self, heading: dict[str, str], leads: dict[str, str], projects: list[tuple[str, str]], evidence: dict[str, list[str]]) -> dict[str, tuple[str, int, bool]]:
        """Bodies within the limit: drop trailing evidence (same count in both languages),
        then list only the first project, then cut the text at a clause break."""
        available = min(len(evidence[lang]) for lang in LANGS)

        def fits(lang: str, keep: int, compact: bool) -> bool:
            return len(heading[lang]) + len(self.body(leads[lang], projects, evidence[lang], keep, lang, compact)) <= self.room(lang)

        keep = available
        while keep > 0 and not all(fits(lang, keep, False) for lang in LANGS):
            keep -= 1
        compact = not all(fits(lang, keep, False) for lang in LANGS)
        result = {}
        for lang in LANGS:
            body = self.body(leads[lang], projects, evidence[lang], keep, lang, compact)
            room = self.room(lang) - len(heading[lang])
            cut = len(body) > room
            if cut:
                body = shorten(body, room, lang, self.template.text("ellipsis", lang))
            result[lang] = (body, len(evidence[lang]) - keep, cut)
        return result

    # ------------------------------------------------------------ one item a kind
    def figures(self, finding: Finding, lang: str, **extra: object) -> _Fields:
        fields = _Fields({name: quantity_text(quantity, lang) for name, quantity in finding.evidence.items()})
        fields.update((key, str(value)) for key, value in extra.items())
        return fields

    def kind_items(self, group: _Group, wording: GroupWording | None, lang: str) -> list[str]:
        """One entry a finding of the kind: its project (and indicator) with its figures."""
        items: list[str] = []
        for finding in group.findings:
            where = self.cite(finding.project or "", finding.indicator or "", lang)
            if wording is not None:
                text = pick(wording.item, lang).format_map(self.figures(finding, lang, project=where))
            else:
                text = self.template.text("kind_item", lang, where=where, text=_in(finding.problem, lang).rstrip("。. "))
            if text not in items:
                items.append(text)
        return items

    def kind_title(self, group: _Group, wording: GroupWording | None, count: int, lang: str) -> str:
        if wording is not None:
            return str(pick(wording.title, lang)).format_map(self.figures(group.first, lang, count=count))
        return self.template.text("kind_title", lang, title=_in(group.first.title, lang), count=count)

    def kind_body(self, group: _Group, wording: GroupWording | None, items: list[str], keep: int, lang: str) -> str:
        separator = self.template.text("list_separator" if wording is not None else "clause_separator", lang)
        listed = separator.join(items[:keep])
        if keep < len(items):
            listed += self.template.text("kind_more", lang, others=len(items) - keep)
        if wording is not None:
            return str(pick(wording.problem, lang)).format_map(self.figures(group.first, lang, count=len(items), items=listed))
        return self.template.text("kind_body", lang, items=listed)

    def kind_improvement(self, group: _Group, wording: GroupWording | None, count: int, lang: str) -> str | None:
        if wording is None or wording.improvement is None:
            return None
        names = [self.project_names.get(project, project) for project in self.projects(group)]
        projects = self.template.text("list_separator", lang).join(names) or self.template.text("kind_projects_none", lang)
        return str(pick(wording.improvement, lang)).format_map(self.figures(group.first, lang, count=count, projects=projects))

    def fit_kind(self, heading: dict[str, str], body: Callable[[str, int], str], count: int) -> dict[str, tuple[str, int, bool]]:
        """Bodies within the limit: list fewer entries (the same number in both languages,
        the rest counted), then cut the text at a clause break."""
        keep = count
        while keep > 1 and not all(len(heading[lang]) + len(body(lang, keep)) <= self.room(lang) for lang in LANGS):
            keep -= 1
        result = {}
        for lang in LANGS:
            text = body(lang, keep)
            room = self.room(lang) - len(heading[lang])
            cut = len(text) > room
            if cut:
                text = shorten(text, room, lang, self.template.text("ellipsis", lang))
            result[lang] = (text, count - keep, cut)
        return result


def build_narrative(
    findings: Iterable[Finding],
    lang: str = "zh",
    *,
    project_names: Mapping[str, str] | None = None,
    indicator_names: Mapping[str, tuple[str, str]] | None = None,
    max_chars: int | None = None,
    template: ReportTemplate | None = None,
    groups: Mapping[str, GroupWording] | None = None,
) -> Narrative:
    """Findings → numbered problems, their measures, and the notes for 六.

    ``project_names`` maps project id to the name the report prints; its order is the
    order projects are cited in; ``indicator_names`` maps indicator id to its (zh, en)
    name. ``max_chars`` is the ruleset's ``narrative.max_chars``. ``groups`` holds, by finding
    id, the wording of one item that stands for several findings of that kind
    (:func:`group_wordings` of the ruleset's templates); a kind without one is listed plainly.
    """
    groups = dict(groups or {})
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    template = template or load_report_template()
    project_names = dict(project_names or {})
    limit = max_chars or DEFAULT_MAX_CHARS
    writer = _Writer(template, project_names, dict(indicator_names or {}), limit)
    rank = {project: position for position, project in enumerate(project_names)}
    problems: list[NarrativeItem] = []
    measures: list[NarrativeItem] = []
    notes: list[NarrativeItem] = []
    for group in _group(findings, rank):
        severity = min((f.severity for f in group.findings), key=SEVERITY_ORDER.__getitem__)
        is_problem = severity in PROBLEM_SEVERITIES
        n = (len(problems) if is_problem else len(notes)) + 1
        area = min((f.area or "") for f in group.findings) or None
        keys = tuple(f.key for f in group.findings)
        projects = tuple(writer.projects(group))
        key = "problem_heading" if is_problem else "note_heading"
        wording = None if group.uniform else groups.get(group.first.id)
        improvements: dict[str, str] | None = None
        if group.uniform:
            titles = {lg: _in(group.first.title, lg) for lg in LANGS}
            headings = {lg: writer.heading(key, lg, writer.room(lg), titles[lg], number=writer.number(n, lg)) for lg in LANGS}
            leads = {lg: _in(group.first.problem, lg) for lg in LANGS}
            evidence = {lg: writer.evidence(group, lg) for lg in LANGS}
            body, dropped, cut = writer.fit({lg: headings[lg][0] for lg in LANGS}, leads, writer.citations(group), evidence)[lang]
        else:
            entries = {lg: writer.kind_items(group, wording, lg) for lg in LANGS}
            count = min(len(entries[lg]) for lg in LANGS)
            titles = {lg: writer.kind_title(group, wording, count, lg) for lg in LANGS}
            headings = {lg: writer.heading(key, lg, writer.room(lg), titles[lg], number=writer.number(n, lg)) for lg in LANGS}
            body, dropped, cut = writer.fit_kind(
                {lg: headings[lg][0] for lg in LANGS}, lambda lg, keep: writer.kind_body(group, wording, entries[lg][:count], keep, lg), count,
            )[lang]
            kind_measures = {lg: writer.kind_improvement(group, wording, count, lg) for lg in LANGS}
            if all(kind_measures.values()):
                improvements = {lg: str(kind_measures[lg]) for lg in LANGS}
        heading, title = headings[lang]
        item = NarrativeItem(
            n, writer.number(n, lang), title, heading, body, severity, area, group.first.id, keys, projects,
            dropped_evidence=dropped, truncated=cut,
        )
        (problems if is_problem else notes).append(item)
        if not is_problem:
            continue
        measure_headings = {
            lg: writer.heading("measure_heading", lg, writer.room(lg), titles[lg], number=writer.number(n, lg), ref=writer.number(n, lg))
            for lg in LANGS
        }
        if improvements is None:
            improvements = {lg: _improvements(group, lg, template) for lg in LANGS}
        body, _, cut = writer.fit({lg: measure_headings[lg][0] for lg in LANGS}, improvements, [], {lg: [] for lg in LANGS})[lang]
        heading, title = measure_headings[lang]
        measures.append(NarrativeItem(
            n, writer.number(n, lang), title, heading, body, severity, area, group.first.id, keys, projects,
            refers_to=n, truncated=cut,
        ))
    return Narrative(lang, limit, tuple(problems), tuple(measures), tuple(notes))


def _improvements(group: _Group, lang: str, template: ReportTemplate) -> str:
    """The distinct improvement texts of a merged item, in project order."""
    texts: list[str] = []
    for finding in group.findings:
        text = _in(finding.improvement, lang).strip()
        if text and text not in texts:
            texts.append(text)
    if not texts:
        return template.text("measure_default", lang)
    return message("narrate.sentence_separator", lang).join(texts)


__all__ = ["DEFAULT_MAX_CHARS", "PROBLEM_SEVERITIES", "GroupWording", "Narrative", "NarrativeItem", "build_narrative", "group_wordings"]
