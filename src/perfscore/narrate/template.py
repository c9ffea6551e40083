"""Narrate stage, its wording: the report template (``templates/report.toml``), loaded and checked.

The self-evaluation report's headings, fixed sentences and table headers are a document
template a bureau may edit, in Chinese and English side by side. This module knows every
key the report builder (:mod:`perfscore.narrate.report`) and the narrative
(:mod:`perfscore.narrate.narrative`) fill, and the placeholders each may use; a template
is checked completely when loaded, so a misspelt key or placeholder is an error naming the
file and key, never a blank in a report (docs/report.md). Texts are looked up by key and
language through :func:`perfscore.messages.pick`, as the message catalogue's are.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from perfscore.errors import InputError, Problem
from perfscore.messages import LANGUAGES, pick

TEMPLATE_FORMAT = "perfscore-report-template/1"
DEFAULT_TEMPLATE = Path(__file__).parent.parent / "templates" / "report.toml"
#: the languages a template is written in, in the order of its (zh, en) pairs
LANGS = LANGUAGES

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
    "chart_caption": frozenset(),
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
    "kind_title": frozenset({"title", "count"}),
    "kind_item": frozenset({"where", "text"}),
    "kind_body": frozenset({"items"}),
    "kind_more": frozenset({"others"}),
    "kind_projects_none": frozenset(),
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
    "targets_headers": (8, frozenset()),
    "outputs_headers": (3, frozenset()),
    "levels_headers_lead": (2, frozenset()),
    "levels_headers_tail": (3, frozenset()),
    "deviations_headers": (7, frozenset()),
    "areas_headers": (4, frozenset()),
    "chart_headers": (3, frozenset()),
}

#: reports one problem found in a template: (message, key, expected)
_Report = Callable[[str, str, "str | None"], None]


@dataclass(frozen=True, slots=True)
class ReportTemplate:
    """The report's wording, each entry a (zh, en) pair, checked against what the code supplies."""

    texts: dict[str, tuple[str, str]]
    headers: dict[str, tuple[list[str], list[str]]]
    evidence_labels: dict[str, tuple[str, str]]
    #: how many times the ruleset's max_chars an item may be long, by language
    length_factor: dict[str, int]
    source: str

    def text(self, key: str, lang: str, **values: object) -> str:
        """The text of ``key`` in ``lang``, its placeholders filled with formatted values."""
        text: str = pick(self.texts[key], lang)
        return text.format_map(values)

    def header(self, key: str, lang: str) -> list[str]:
        """A table's column headers in ``lang`` (a copy the caller may extend)."""
        headers: list[str] = pick(self.headers[key], lang)
        return list(headers)

    def evidence_label(self, name: str, lang: str) -> str:
        """How the report labels an evidence value; a name not listed is shown as is."""
        labels = self.evidence_labels.get(name)
        if labels is None:
            return name
        label: str = pick(labels, lang)
        return label


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
    texts: dict[str, tuple[str, str]] = {}
    headers: dict[str, tuple[list[str], list[str]]] = {}
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
        found: dict[str, str] = {}
        for lang in LANGS:
            text = entry.get(lang)
            if not isinstance(text, str):
                problem(f"{lang} is missing or not a string", f"{key}.{lang}")
                continue
            _check_text(text, supplied, f"{key}.{lang}", problem)
            found[lang] = text
        for extra in sorted(set(entry) - set(LANGS)):
            problem("unknown language", f"{key}.{extra}", expected="zh or en")
        if len(found) == len(LANGS):
            texts[key] = (found[LANGS[0]], found[LANGS[1]])
    for key, (columns, supplied) in HEADER_KEYS.items():
        entry = raw.get(key)
        if entry is None:
            continue
        columns_found: dict[str, list[str]] = {}
        for lang in LANGS:
            values = entry.get(lang) if isinstance(entry, dict) else None
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                problem(f"{lang} is missing or not a list of strings", f"{key}.{lang}")
                continue
            if len(values) != columns:
                problem(f"{len(values)} columns", f"{key}.{lang}", expected=f"{columns} column headers")
            for position, value in enumerate(values):
                _check_text(value, supplied, f"{key}.{lang}[{position}]", problem)
            columns_found[lang] = values
        if len(columns_found) == len(LANGS):
            headers[key] = (columns_found[LANGS[0]], columns_found[LANGS[1]])
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
    evidence_labels = {name: (entry[LANGS[0]], entry[LANGS[1]]) for name, entry in labels.items()}
    return ReportTemplate(texts, headers, evidence_labels, {lang: factors[lang] for lang in LANGS}, file)


def _check_text(text: str, supplied: frozenset[str], key: str, problem: _Report) -> None:
    names, error = _placeholders(text)
    if error:
        problem(error, key, None)
    for name in names:
        if name not in supplied:
            offered = ", ".join("{" + n + "}" for n in sorted(supplied)) or "none"
            problem(f"placeholder {{{name}}} is not a value the report supplies here", key, f"one of: {offered}")


__all__ = [
    "DEFAULT_TEMPLATE",
    "HEADER_KEYS",
    "LANGS",
    "TEMPLATE_FORMAT",
    "TEXT_KEYS",
    "ReportTemplate",
    "load_report_template",
]
