"""Narrate stage: an evaluation → the self-evaluation report (自评报告), sections 一 to 六.

The findings become 四、存在的问题 and 五、改进措施: merged (one item per finding id and
wording, citing every project it concerns), ordered by severity then area, numbered
（一）（二）… and held to the ruleset's per-item length by dropping trailing evidence first
and cutting at a clause boundary last. Every measure answers the problem with the same
number. Informational findings are not problems; they are listed under 六. The other
sections are built from the scores alone. All wording lives in ``templates/report.toml``,
validated when loaded; nothing here invents a fact about the unit, and the same input
gives the same bytes (docs/report.md).
"""

from __future__ import annotations

import json
import string
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from tabulate import tabulate

from perfscore.arithmetic import HUNDRED, ZERO, quantize
from perfscore.numbers import figure as number
from perfscore.numbers import percent
from perfscore.numbers import quantity_text
from perfscore.errors import InputError, Problem
from perfscore.find import Evaluation
from perfscore.models import MONEY_UNITS_IN_YUAN, SEVERITY_ORDER, Finding, Quantity
from perfscore.scoring.score import MISSING_ACTUAL, SCORED, IndicatorScore, UnitScore

REPORT_FORMAT = "perfscore-report/1"
TEMPLATE_FORMAT = "perfscore-report-template/1"
DEFAULT_TEMPLATE = Path(__file__).parent.parent / "templates" / "report.toml"
#: the per-item limit when the ruleset sets none (Sichuan's 200 characters)
DEFAULT_MAX_CHARS = 200
FORMATS = ("markdown", "text", "json")
LANGS = ("zh", "en")

#: severities listed as problems (四) with a measure each (五); the rest are notes (六)
PROBLEM_SEVERITIES = ("problem", "warning")

_UNIT = frozenset({"unit", "year"})
_RULESET = frozenset({"ruleset_name", "ruleset_id", "ruleset_version"})

#: every text key of report.toml and the placeholders the code supplies for it
TEXT_KEYS: dict[str, frozenset[str]] = {
    "title": _UNIT,
    "synthetic_note": frozenset(),
    **{key: frozenset() for key in (
        "h_basic", "h_funds", "h_targets", "h_work", "h_conclusion", "h_score", "h_deviations", "h_areas",
        "h_problems", "h_measures", "h_other",
    )},
    "funds_summary": frozenset({"year", "budget", "projects", "spending", "execution_rate"}),
    "funds_own_level": frozenset({"own_level_budget", "own_level_spending", "own_level_execution_rate"}),
    "money_unit_note": frozenset({"money_unit"}),
    "total_row": frozenset(),
    "targets_intro": frozenset({"count"}),
    "targets_none": frozenset(),
    "qualitative_target": frozenset(),
    "outputs_intro": frozenset({"count"}),
    **{key: frozenset({"number", "unit"}) for key in ("qualifier_about", "qualifier_nearly", "qualifier_more", "qualifier_at_least")},
    "work_ruleset": _RULESET,
    "work_weights": frozenset({"weights"}),
    "weight_budget": frozenset(),
    "weight_indicators": frozenset(),
    "work_budget": frozenset({"basis", "cap"}),
    "basis_all": frozenset(),
    "basis_own_level": frozenset(),
    "work_methods": frozenset({"methods"}),
    **{f"method_{name}": frozenset() for name in ("ratio", "equal", "lower_linear", "lower_inverse", "qualitative", "banded", "deduction")},
    "method_other": frozenset({"method"}),
    "over_cap": frozenset({"threshold"}),
    "over_require_reason": frozenset({"threshold"}),
    "over_reduce": frozenset({"threshold", "reduce_factor"}),
    "missing_zero": frozenset(),
    "missing_assessable": frozenset(),
    "combine_budget_weighted": frozenset(),
    "combine_mean": frozenset(),
    "work_combine": frozenset({"combine", "places", "rounding", "grades"}),
    **{f"rounding_{mode}": frozenset() for mode in ("half_up", "half_even", "down", "up")},
    "grade_band": frozenset({"grade", "min"}),
    "grade_band_floor": frozenset({"grade", "upper"}),
    "list_separator": frozenset(),
    "clause_separator": frozenset(),
    "score_summary": _UNIT | {"total", "grade"},
    "score_assessable": frozenset({"assessable"}),
    "score_assessable_full": frozenset(),
    "levels_intro": frozenset(),
    "unit_row": frozenset(),
    "deviations_intro": frozenset({"count", "threshold"}),
    "deviations_none": frozenset({"threshold"}),
    "deviation_short": frozenset(),
    "deviation_missing_actual": frozenset(),
    "deviation_over": frozenset(),
    "no_reason": frozenset(),
    "areas_intro": frozenset(),
    "problems_intro": frozenset({"total", "problems", "warnings"}),
    "problems_none": frozenset(),
    "item_number": frozenset({"n", "numeral"}),
    "problem_heading": frozenset({"number", "title"}),
    "projects_clause": frozenset({"projects"}),
    "project_indicator": frozenset({"project", "indicator"}),
    "projects_clause_many": frozenset({"first", "count", "others"}),
    "evidence_clause": frozenset({"items"}),
    "evidence_item": frozenset({"label", "value"}),
    "ellipsis": frozenset(),
    "measures_intro": frozenset(),
    "measures_none": frozenset(),
    "measure_heading": frozenset({"number", "ref", "title"}),
    "measure_default": frozenset(),
    "other_ruleset": _RULESET | {"fingerprint"},
    "other_incomplete": frozenset({"plugins"}),
    "notes_intro": frozenset(),
    "note_heading": frozenset({"number", "title"}),
    "other_generated": frozenset(),
}

#: table header keys: (number of columns, placeholders supplied)
HEADER_KEYS: dict[str, tuple[int, frozenset[str]]] = {
    "funds_headers": (7, frozenset()),
    "targets_headers": (7, frozenset()),
    "outputs_headers": (3, frozenset()),
    "levels_headers_lead": (2, frozenset()),
    "levels_headers_tail": (3, frozenset()),
    "deviations_headers": (7, frozenset()),
    "areas_headers": (4, frozenset()),
}

_QUALIFIER_KEYS = {"约": "qualifier_about", "近": "qualifier_nearly", "余": "qualifier_more", "以上": "qualifier_at_least"}
_COMPARISON_SYMBOLS = {">=": "≥", "<=": "≤", "=": "="}


# --------------------------------------------------------------------------- the wording


@dataclass(frozen=True, slots=True)
class ReportTemplate:
    """The report's wording in both languages, checked against what the code supplies."""

    texts: dict[str, dict[str, str]]
    headers: dict[str, dict[str, list[str]]]
    evidence_labels: dict[str, dict[str, str]]
    length_factor: dict[str, int]
    source: str

    def text(self, key: str, lang: str, **values: Any) -> str:
        return self.texts[key][lang].format_map(values)

    def header(self, key: str, lang: str) -> list[str]:
        return list(self.headers[key][lang])

    def evidence_label(self, name: str, lang: str) -> str:
        labels = self.evidence_labels.get(name)
        return labels[lang] if labels else name


def _placeholders(text: str) -> tuple[list[str], str | None]:
    """The field names of a format string, or an error message when it is malformed."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:
        return [], f"malformed braces ({error}); write a literal brace as {{{{ or }}}}"
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion:
            return [], f"placeholder {{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}} has a format; numbers arrive already formatted"
        names.append(name)
    return names, None


def load_report_template(path: Path | None = None) -> ReportTemplate:
    """Read and check a report wording file; every problem is reported at once.

    A key the code does not know, a key it needs that is missing, a language missing, a
    placeholder the code does not supply for that key, or a header with the wrong number
    of columns is an :class:`~perfscore.errors.InputError` naming the file and key.
    """
    path = Path(path) if path is not None else DEFAULT_TEMPLATE
    if path == DEFAULT_TEMPLATE:
        return _default_template()
    return _load_template(path)


@lru_cache(maxsize=1)
def _default_template() -> ReportTemplate:
    return _load_template(DEFAULT_TEMPLATE)


def _load_template(path: Path) -> ReportTemplate:
    file = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(Problem("report template not found", file=file)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(Problem(f"cannot parse report template: {error}", file=file, expected="UTF-8 TOML")) from None
    problems: list[Problem] = []

    def problem(message: str, key: str, expected: str | None = None) -> None:
        problems.append(Problem(message, file=file, location=key, expected=expected))

    if raw.get("format") != TEMPLATE_FORMAT:
        problem(f"format is {raw.get('format')!r}", "format", expected=repr(TEMPLATE_FORMAT))
    texts: dict[str, dict[str, str]] = {}
    headers: dict[str, dict[str, list[str]]] = {}
    known = set(TEXT_KEYS) | set(HEADER_KEYS) | {"format", "length_factor", "evidence_labels"}
    for key in sorted(set(raw) - known):
        problem("unknown key", key, expected="a key listed in docs/report.md (is it misspelt?)")
    for key in sorted((set(TEXT_KEYS) | set(HEADER_KEYS)) - set(raw)):
        problem("missing", key, expected="a table with zh and en wording")
    for key, supplied in TEXT_KEYS.items():
        entry = raw.get(key)
        if entry is None:
            continue
        if not isinstance(entry, dict):
            problem("not a table", key, expected="zh = \"…\" and en = \"…\"")
            continue
        texts[key] = {}
        for lang in LANGS:
            text = entry.get(lang)
            if not isinstance(text, str):
                problem(f"{lang} is missing or not a string", f"{key}.{lang}")
                continue
            _check_text(text, supplied, f"{key}.{lang}", problem)
            texts[key][lang] = text
        for extra in sorted(set(entry) - set(LANGS)):
            problem("unknown language", f"{key}.{extra}", expected="zh or en")
    for key, (columns, supplied) in HEADER_KEYS.items():
        entry = raw.get(key)
        if entry is None:
            continue
        headers[key] = {}
        for lang in LANGS:
            values = entry.get(lang) if isinstance(entry, dict) else None
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                problem(f"{lang} is missing or not a list of strings", f"{key}.{lang}")
                continue
            if len(values) != columns:
                problem(f"{len(values)} columns", f"{key}.{lang}", expected=f"{columns} column headers")
            for position, value in enumerate(values):
                _check_text(value, supplied, f"{key}.{lang}[{position}]", problem)
            headers[key][lang] = values
    factors = raw.get("length_factor", {"zh": 1, "en": 3})
    for lang in LANGS:
        if not isinstance(factors.get(lang), int) or isinstance(factors.get(lang), bool) or factors[lang] < 1:
            problem("not a positive integer", f"length_factor.{lang}")
    labels = raw.get("evidence_labels", {})
    for name, entry in sorted(labels.items()):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(lang), str) for lang in LANGS):
            problem("needs zh and en strings", f"evidence_labels.{name}")
    if problems:
        raise InputError(problems)
    return ReportTemplate(texts, headers, labels, {lang: factors[lang] for lang in LANGS}, file)


def _check_text(text: str, supplied: frozenset[str], key: str, problem: Any) -> None:
    names, error = _placeholders(text)
    if error:
        problem(error, key)
    for name in names:
        if name not in supplied:
            offered = ", ".join("{" + n + "}" for n in sorted(supplied)) or "none"
            problem(f"placeholder {{{name}}} is not a value the report supplies here", key, expected=f"one of: {offered}")


# --------------------------------------------------------------------------- numbering and length


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一, 105 → 一百零五: as （一）（二）… are written."""
    digits = "零一二三四五六七八九"
    if n <= 0:
        raise ValueError(f"item numbers start at 1, not {n}")
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    hundreds, rest = divmod(n, 100)
    if rest == 0:
        return digits[hundreds] + "百"
    if rest < 10:
        return digits[hundreds] + "百零" + digits[rest]
    tail = chinese_numeral(rest)
    return digits[hundreds] + "百" + ("一" + tail if tail.startswith("十") else tail)


_BREAKS = {"zh": "。；，、：！？", "en": ".;,:!?"}
_NUMBER_CHARS = set("0123456789.%‰")


def _at_break(text: str, index: int, lang: str) -> bool:
    """Is text[index] a clause break a cut may replace (never a decimal point or 1,000)?"""
    char = text[index]
    if char not in _BREAKS[lang]:
        return False
    if lang == "en":
        return index + 1 == len(text) or text[index + 1] == " "
    return True


def _safe_cut(text: str, index: int) -> bool:
    """A cut before text[index] that leaves no number split from its digits or its unit."""
    if index <= 0:
        return False
    before = text[:index].rstrip()
    if not before:
        return False
    return before[-1] not in _NUMBER_CHARS and (index == len(text) or text[index] not in _NUMBER_CHARS)


def shorten(text: str, room: int, lang: str, ellipsis: str) -> str:
    """``text`` if it fits in ``room`` characters, else cut at the last clause break that fits.

    The break itself is replaced by the ellipsis; when no break fits, the cut falls on the
    last position that splits no number from its digits or its unit (in English, between
    words).
    """
    if len(text) <= room:
        return text
    if room <= 0:
        return ""
    limit = room - len(ellipsis)
    if limit <= 0:
        return ellipsis[:room]
    for index in range(min(limit, len(text) - 1), 0, -1):
        if _at_break(text, index, lang) and text[:index].rstrip():
            return text[:index].rstrip() + ellipsis
    if lang == "en":  # English: cut between words where possible
        for index in range(min(limit, len(text) - 1), 0, -1):
            if text[index] == " " and _safe_cut(text, index):
                return text[:index].rstrip() + ellipsis
    for index in range(min(limit, len(text) - 1), 0, -1):
        if _safe_cut(text, index):
            return text[:index].rstrip() + ellipsis
    return ellipsis


# --------------------------------------------------------------------------- the narrative


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
        counts = {severity: 0 for severity in SEVERITY_ORDER}
        for item in (*self.problems, *self.notes):
            counts[item.severity] += 1
        return counts


@dataclass(slots=True)
class _Group:
    """Findings merged into one item: same id, same title and problem text in both languages."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def first(self) -> Finding:
        return self.findings[0]


def _merge_key(finding: Finding) -> tuple[str, ...]:
    return (finding.id, finding.title.zh, finding.title.en, finding.problem.zh, finding.problem.en)


def _finding_order(finding: Finding, project_rank: Mapping[str, int]) -> tuple[Any, ...]:
    project = finding.project or ""
    return (
        project_rank.get(project, len(project_rank)) if project else -1,
        project,
        finding.indicator or "",
        finding.severity,
        finding.area or "",
        finding.improvement.zh,
        finding.improvement.en,
        json.dumps({k: [str(q.value), q.unit] for k, q in sorted(finding.evidence.items())}, ensure_ascii=False),
        finding.source,
    )


def _group(findings: Iterable[Finding], project_rank: Mapping[str, int]) -> list[_Group]:
    """Merge duplicates and order the groups; the result does not depend on input order."""
    groups: dict[tuple[str, ...], _Group] = {}
    for finding in findings:
        groups.setdefault(_merge_key(finding), _Group()).findings.append(finding)
    for group in groups.values():
        group.findings.sort(key=lambda f: _finding_order(f, project_rank))

    def order(group: _Group) -> tuple[Any, ...]:
        severity = min(SEVERITY_ORDER[f.severity] for f in group.findings)
        area = min((f.area or "") for f in group.findings)
        return (severity, area, group.first.id, _finding_order(group.first, project_rank), _merge_key(group.first))

    return sorted(groups.values(), key=order)


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


def _pick(text: Any, lang: str) -> str:
    return text.zh if lang == "zh" else text.en


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
        indicator_name = (names[0] if lang == "zh" else names[1]) if names else indicator
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
                value = quantity_text(quantity)
                if all(_quotes(_pick(finding.title, lg) + " " + _pick(finding.problem, lg), value) for lg in LANGS):
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
        joiner = "" if lang == "zh" else " "
        return joiner.join(part for part in parts if part)

    def heading(self, key: str, lang: str, room: int, **values: Any) -> tuple[str, str]:
        """The heading and its (possibly shortened) title; a title takes at most half the room."""
        title = values.pop("title")
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


def build_narrative(
    findings: Iterable[Finding],
    lang: str = "zh",
    *,
    project_names: Mapping[str, str] | None = None,
    indicator_names: Mapping[str, tuple[str, str]] | None = None,
    max_chars: int | None = None,
    template: ReportTemplate | None = None,
) -> Narrative:
    """Findings → numbered problems, their measures, and the notes for 六.

    ``project_names`` maps project id to the name the report prints; its order is the
    order projects are cited in; ``indicator_names`` maps indicator id to its (zh, en)
    name. ``max_chars`` is the ruleset's ``narrative.max_chars``.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    template = template or load_report_template()
    project_names = dict(project_names or {})
    limit = max_chars or DEFAULT_MAX_CHARS
    writer = _Writer(template, project_names, dict(indicator_names or {}), limit)
    rank = {project: position for position, project in enumerate(project_names)}
    groups = _group(findings, rank)
    problems: list[NarrativeItem] = []
    measures: list[NarrativeItem] = []
    notes: list[NarrativeItem] = []
    for group in groups:
        severity = min((f.severity for f in group.findings), key=SEVERITY_ORDER.__getitem__)
        is_problem = severity in PROBLEM_SEVERITIES
        n = (len(problems) if is_problem else len(notes)) + 1
        projects = writer.projects(group)
        citations = writer.citations(group)
        key = "problem_heading" if is_problem else "note_heading"
        headings = {lg: writer.heading(key, lg, writer.room(lg), number=writer.number(n, lg), title=_pick(group.first.title, lg)) for lg in LANGS}
        leads = {lg: _pick(group.first.problem, lg) for lg in LANGS}
        evidence = {lg: writer.evidence(group, lg) for lg in LANGS}
        bodies = writer.fit({lg: headings[lg][0] for lg in LANGS}, leads, citations, evidence)
        body, dropped, cut = bodies[lang]
        common = dict(
            severity=severity,
            area=min((f.area or "") for f in group.findings) or None,
            finding_id=group.first.id,
            findings=tuple(f.key for f in group.findings),
            projects=tuple(projects),
        )
        item = NarrativeItem(n, writer.number(n, lang), headings[lang][1], headings[lang][0], body, dropped_evidence=dropped, truncated=cut, **common)
        (problems if is_problem else notes).append(item)
        if not is_problem:
            continue
        measure_headings = {
            lg: writer.heading("measure_heading", lg, writer.room(lg), number=writer.number(n, lg), ref=writer.number(n, lg), title=_pick(group.first.title, lg))
            for lg in LANGS
        }
        improvements = {lg: _improvements(group, lg, template) for lg in LANGS}
        measure_bodies = writer.fit({lg: measure_headings[lg][0] for lg in LANGS}, improvements, [], {lg: [] for lg in LANGS})
        body, _, cut = measure_bodies[lang]
        measures.append(NarrativeItem(n, writer.number(n, lang), measure_headings[lang][1], measure_headings[lang][0], body, refers_to=n, truncated=cut, **common))
    return Narrative(lang, limit, tuple(problems), tuple(measures), tuple(notes))


def _improvements(group: _Group, lang: str, template: ReportTemplate) -> str:
    """The distinct improvement texts of a merged item, in project order."""
    texts: list[str] = []
    for finding in group.findings:
        text = _pick(finding.improvement, lang).strip()
        if text and text not in texts:
            texts.append(text)
    if not texts:
        return template.text("measure_default", lang)
    return ("" if lang == "zh" else " ").join(texts)


# --------------------------------------------------------------------------- the report document


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"type": "paragraph", "text": self.text}


@dataclass(frozen=True, slots=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"type": "table", "caption": self.caption, "headers": self.headers, "rows": self.rows}


@dataclass(frozen=True, slots=True)
class Items:
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


Block = Paragraph | Table | Items


@dataclass(slots=True)
class Section:
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
    lang: str
    title: str
    preface: list[Paragraph]
    sections: list[Section]
    meta: dict[str, Any]
    narrative: Narrative

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "lang": self.lang,
            "title": self.title,
            **self.meta,
            "preface": [block.as_dict() for block in self.preface],
            "sections": [section.as_dict() for section in self.sections],
        }


def _money(value_in_yuan: Decimal | None, money_unit: str) -> str:
    if value_in_yuan is None:
        return "—"
    return str(quantize(value_in_yuan / MONEY_UNITS_IN_YUAN[money_unit], 2))


def _points(value: Decimal | None) -> str:
    return "—" if value is None else str(quantize(value, 2))


def _figure(value: Decimal | None, unit: str) -> str:
    return "—" if value is None else quantity_text(Quantity(value=value, unit=unit))


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

    def t(self, key: str, **values: Any) -> str:
        return self.template.text(key, self.lang, **values)

    def header(self, key: str) -> list[str]:
        return self.template.header(key, self.lang)

    def indicator_name(self, score: IndicatorScore) -> str:
        return score.name if self.lang == "zh" else score.definition.name_en

    def target_text(self, score: IndicatorScore) -> str:
        if score.comparison == "qualitative":
            return self.t("qualitative_target")
        if score.target is None:
            return "—"
        return _COMPARISON_SYMBOLS.get(score.comparison, "") + _figure(score.target, score.definition.unit)

    def actual_text(self, score: IndicatorScore) -> str:
        if score.comparison == "qualitative":
            tier = next((t for t in self.ruleset.qualitative.tiers if score.row.tier in (t.id, t.name)), None)
            if tier is not None:
                return tier.name if self.lang == "zh" else tier.name_en
            return score.row.description or "—"
        return _figure(score.actual, score.definition.unit)

    # ------------------------------------------------------------------ 一
    def basic(self) -> Section:
        unit = self.unit
        submission = unit.submission
        money = lambda value: f"{_money(value, self.money_unit)}{self.money_unit}"  # noqa: E731
        summary = self.t(
            "funds_summary", year=submission.unit.year, budget=money(unit.budget.budget), projects=len(unit.projects),
            spending=money(unit.budget.spending), execution_rate=percent(unit.budget.execution_rate),
        )
        if unit.budget.own_level_budget is not None and unit.budget.own_level_spending is not None:
            summary += ("" if self.lang == "zh" else " ") + self.t(
                "funds_own_level", own_level_budget=money(unit.budget.own_level_budget),
                own_level_spending=money(unit.budget.own_level_spending), own_level_execution_rate=percent(unit.budget.own_level_execution_rate),
            )
        rows = []
        for project in unit.projects:
            budget = project.budget
            rows.append([
                project.project.name, _money(budget.budget, self.money_unit), _money(budget.own_level_budget, self.money_unit),
                _money(budget.spending, self.money_unit), _money(budget.own_level_spending, self.money_unit),
                percent(budget.execution_rate), percent(budget.own_level_execution_rate),
            ])
        total = unit.budget
        rows.append([
            self.t("total_row"), _money(total.budget, self.money_unit), _money(total.own_level_budget, self.money_unit),
            _money(total.spending, self.money_unit), _money(total.own_level_spending, self.money_unit),
            percent(total.execution_rate), percent(total.own_level_execution_rate),
        ])
        funds = Section("funds", self.t("h_funds"), [Paragraph(summary), Table(self.header("funds_headers"), rows, self.t("money_unit_note", money_unit=self.money_unit))])

        targets = Section("targets", self.t("h_targets"))
        scored = [score for project in unit.projects for score in project.indicators]
        if scored:
            targets.blocks.append(Paragraph(self.t("targets_intro", count=len(scored))))
            targets.blocks.append(Table(self.header("targets_headers"), [
                [self.project_names[s.project_id], self.indicator_name(s), self.target_text(s), self.actual_text(s), percent(s.completion), _points(s.weight), _points(s.score)]
                for s in scored
            ]))
        else:
            targets.blocks.append(Paragraph(self.t("targets_none")))
        library = self.ruleset.indicator_index
        outputs = [(project, output) for project in submission.projects for output in project.outputs]
        if outputs:
            targets.blocks.append(Paragraph(self.t("outputs_intro", count=len(outputs))))
            rows = []
            for project, output in outputs:
                definition = library.get(output.indicator)
                name = (definition.name if self.lang == "zh" else definition.name_en) if definition else output.indicator
                unit_of_measure = output.unit or (definition.unit if definition else "")
                rows.append([project.name, name, self.qualified(output.actual, unit_of_measure, output.qualifier)])
            targets.blocks.append(Table(self.header("outputs_headers"), rows))
        return Section("basic", self.t("h_basic"), subsections=[funds, targets])

    def qualified(self, value: Decimal, unit: str, qualifier: str | None) -> str:
        """A reported figure with the report's own qualifier: 约79 人, 60余 次, 90.00%以上."""
        text = _figure(value, unit)
        if qualifier is None:
            return text
        number_text, unit_text = text, ""
        if unit == "%" and text.endswith("%"):
            number_text, unit_text = text[:-1], "%"
        elif unit and text.endswith(" " + unit):
            number_text, unit_text = text[: -len(unit) - 1], " " + unit
        return self.t(_QUALIFIER_KEYS[qualifier], number=number_text, unit=unit_text)

    # ------------------------------------------------------------------ 二
    def work(self) -> Section:
        ruleset = self.ruleset
        meta = ruleset.ruleset
        name = meta.name if self.lang == "zh" else (meta.name_en or meta.name)
        separator = self.t("list_separator")
        weight_parts = []
        for key, weight in ruleset.weights.items():
            if key == "budget":
                label = self.t("weight_budget")
            elif key == "indicators":
                label = self.t("weight_indicators")
            else:
                level = ruleset.levels[key]
                label = level.name if self.lang == "zh" else level.name_en
            weight_parts.append(f"{label} {number(weight)}")
        methods = []
        for method_name in sorted({s.method.name for s in self.unit.indicators if s.method is not None and s.status == SCORED}):
            key = f"method_{method_name}"
            methods.append(self.t(key) if key in TEXT_KEYS else self.t("method_other", method=method_name))
        over = ruleset.over_completion
        over_text = self.t(f"over_{over.action}", threshold=self.threshold, **({"reduce_factor": number(over.reduce_factor)} if over.action == "reduce" else {}))
        grades = sorted(ruleset.grades, key=lambda band: band.min, reverse=True)
        grade_parts = []
        for position, band in enumerate(grades):
            grade = band.grade if self.lang == "zh" else f"{band.grade} {band.name_en}"
            if band.min == ZERO and position > 0:
                grade_parts.append(self.t("grade_band_floor", grade=grade, upper=number(grades[position - 1].min)))
            else:
                grade_parts.append(self.t("grade_band", grade=grade, min=number(band.min)))
        joiner = "" if self.lang == "zh" else " "
        sentences = [
            self.t("work_ruleset", ruleset_name=name, ruleset_id=meta.id, ruleset_version=meta.version),
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
        return Section("work", self.t("h_work"), [Paragraph(joiner.join(sentences[:2])), Paragraph(joiner.join(sentences[2:]))])

    # ------------------------------------------------------------------ 三
    def conclusion(self) -> Section:
        unit = self.unit
        grade = unit.grade or "—"
        if self.lang == "en" and unit.grade:
            grade = f"{unit.grade} {self.ruleset.grade_name_en(unit.grade) or ''}".strip()
        lines = [self.t("score_summary", unit=unit.submission.unit.name, year=unit.submission.unit.year, total=_points(unit.total), grade=grade)]
        if unit.assessable < HUNDRED:
            lines.append(self.t("score_assessable", assessable=_points(unit.assessable)))
        else:
            lines.append(self.t("score_assessable_full"))
        joiner = "" if self.lang == "zh" else " "
        score = Section("score", self.t("h_score"), [Paragraph(joiner.join(lines)), Paragraph(self.t("levels_intro")), self.levels_table()])

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
                [area.name if self.lang == "zh" else area.name_en, _points(area.score), f"{_points(area.earned)}/{_points(area.possible)}", area.explanation.zh if self.lang == "zh" else area.explanation.en]
                for _, area in sorted(self.evaluation.areas.items())
            ]
            sections.append(Section("areas", self.t("h_areas"), [Paragraph(self.t("areas_intro")), Table(self.header("areas_headers"), rows)]))
        return Section("conclusion", self.t("h_conclusion"), subsections=sections)

    def levels_table(self) -> Table:
        unit = self.unit
        names: dict[str, str] = {}
        for project in unit.projects:
            for level in project.levels:
                names.setdefault(level.id, level.name if self.lang == "zh" else level.name_en)
        order = [level for level in [*self.ruleset.indicator_levels, "indicators"] if level in names]
        rows = []
        for project in unit.projects:
            by_level = {level.id: level for level in project.levels}
            budget = project.budget
            rows.append(
                [project.project.name, f"{_points(budget.score)}/{_points(budget.weight)}"]
                + [f"{_points(by_level[level].score)}/{_points(by_level[level].weight)}" if level in by_level else "—" for level in order]
                + [_points(project.assessable), _points(project.total), project.grade or "—"]
            )
        rows.append([self.t("unit_row"), ""] + [""] * len(order) + [_points(unit.assessable), _points(unit.total), unit.grade or "—"])
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
            "other_ruleset", ruleset_name=meta.name if self.lang == "zh" else (meta.name_en or meta.name),
            ruleset_id=meta.id, ruleset_version=meta.version, fingerprint=self.ruleset.fingerprint or "—",
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
            max_chars=self.ruleset.narrative.max_chars, template=self.template,
        )
        preface = [Paragraph(self.t("synthetic_note"))] if submission.unit.synthetic else []
        sections = [self.basic(), self.work(), self.conclusion(), *self.narrative_sections(narrative), self.other(narrative)]
        meta = {
            "unit": {"id": submission.unit.id, "name": submission.unit.name, "year": submission.unit.year, "synthetic": submission.unit.synthetic},
            "ruleset": {"id": self.ruleset.ruleset.id, "name": self.ruleset.ruleset.name, "version": self.ruleset.ruleset.version, "fingerprint": self.ruleset.fingerprint},
            "money_unit": self.money_unit,
            "total": _points(self.unit.total),
            "grade": self.unit.grade,
            "assessable_points": _points(self.unit.assessable),
            "max_chars": narrative.max_chars,
            "incomplete": self.evaluation.incomplete,
        }
        return Report(self.lang, self.t("title", unit=submission.unit.name, year=submission.unit.year), preface, sections, meta, narrative)


def _deviation(score: IndicatorScore, threshold: Decimal, top_tier: Any) -> str | None:
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


# --------------------------------------------------------------------------- rendering


def render_report(evaluation: Evaluation, fmt: str = "markdown", lang: str = "zh", template: ReportTemplate | None = None) -> str:
    """The full report (一 to 六) as markdown, plain text or JSON; same input, same bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    report = build_report(evaluation, lang, template)
    if fmt == "json":
        return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"
    return _render_markdown(report) if fmt == "markdown" else _render_text(report)


def _render(report: Report, markdown: bool) -> str:
    out = [f"# {report.title}" if markdown else report.title, ""]
    for paragraph in report.preface:
        out += [paragraph.text, ""]

    def section(node: Section, depth: int) -> None:
        out.extend([f"{'#' * depth} {node.heading}" if markdown else node.heading, ""])
        for block in node.blocks:
            if isinstance(block, Paragraph):
                out.extend([block.text, ""])
            elif isinstance(block, Table):
                if block.caption:
                    out.extend([block.caption, ""])
                table = tabulate(block.rows, headers=block.headers, tablefmt="github" if markdown else "simple", disable_numparse=True)
                out.extend([table, ""])
            else:
                for item in block.items:
                    if markdown:
                        gap = " " if item.heading.endswith(" ") else ""
                        out.extend([f"**{_md_escape(item.heading.rstrip())}**{gap}{_md_escape(item.body)}", ""])
                    else:
                        out.extend([item.text, ""])
        for child in node.subsections:
            section(child, depth + 1)

    for node in report.sections:
        section(node, 2)
    return "\n".join(out).rstrip("\n") + "\n"


def _render_markdown(report: Report) -> str:
    return _render(report, markdown=True)


def _render_text(report: Report) -> str:
    return _render(report, markdown=False)


def _md_escape(text: str) -> str:
    # finding text is plain; keep it from being read as markdown emphasis or a table cell
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("|", "\\|")


__all__ = [
    "DEFAULT_MAX_CHARS",
    "Narrative",
    "NarrativeItem",
    "Report",
    "ReportTemplate",
    "build_narrative",
    "build_report",
    "chinese_numeral",
    "load_report_template",
    "render_report",
    "shorten",
]
