"""The plugin SDK: what an area plugin builds its area score and findings with.

Plugins run in the plugin stage, after scoring and before find; they read a scored unit
(:class:`~perfscore.scoring.score.UnitScore`) through these helpers, so that every plugin
reads a unit's figures, budget items and ruleset settings the same way, quotes money in
the submission's own money unit (:func:`money`) and takes its wording from templates
(:func:`make_finding`). :class:`AreaPlugin` implements the five hooks an area plugin
needs alike. Plugins import all of this from :mod:`perfscore`, never from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar, cast

from perfscore.arithmetic import ZERO, quantize
from perfscore.errors import PluginError, Problem
from perfscore.errors import fill as fill_fields
from perfscore.messages import LANGUAGES, message
from perfscore.models import (
    MONEY_UNITS_IN_YUAN,
    AreaScore,
    DeferredText,
    Finding,
    LocalText,
    Quantity,
    Ruleset,
)
from perfscore.numbers import figure as figure_text
from perfscore.numbers import DASH, hedged, in_yuan, money_quantity, plain, quantity_text
from perfscore.plugin.hookspecs import hookimpl
from perfscore.scoring.score import IndicatorScore, ProjectScore, UnitScore
from perfscore.scoring.status import NOT_APPLICABLE

_Built = TypeVar("_Built")

#: (indicator id, earned, possible): a derived check as an area score counts it
Extra = tuple[str, Decimal, Decimal]


def _derived(unit: UnitScore, key: str, build: Callable[[UnitScore], _Built]) -> _Built:
    """``unit.derived`` with the type of what ``build`` makes (the cache holds objects)."""
    value: Any = unit.derived(key, build)
    return cast(_Built, value)


# --------------------------------------------------------------------------- findings


def render_template(ruleset: Ruleset, finding_id: str, evidence: Mapping[str, Quantity]) -> tuple[LocalText, LocalText, LocalText]:
    """A finding's title, problem and improvement in zh and en, filled from its evidence.

    The template and the evidence it needs are checked now; the texts are filled when
    first read (:class:`~perfscore.models.DeferredText`), the evidence formatted once for
    all six. A template's placeholders are checked when it loads, so filling cannot fail.
    """
    template = ruleset.templates.get(finding_id)
    if template is None:
        raise PluginError(Problem(f"no template for finding {finding_id!r}", expected="a [templates.\"<id>\"] table in the ruleset or a plugin's templates TOML", key="finding_no_template", expected_key="expected_finding_template", fields=fill_fields(finding=repr(finding_id))))
    missing = [name for name in template.evidence if name not in evidence]
    if missing:
        raise PluginError(Problem(f"finding {finding_id!r} lacks evidence {missing} that its template uses", key="finding_missing_evidence", fields=fill_fields(finding=repr(finding_id), missing=missing)))
    formatted: dict[str, str] = {}
    formatted_en: dict[str, str] = {}

    def fill(zh: str, en: str) -> Callable[[], tuple[str, str]]:
        def make() -> tuple[str, str]:
            if not formatted:
                # each language writes its own units: 205人 / 205 people (numbers.quantity_text)
                formatted.update((name, quantity_text(quantity)) for name, quantity in evidence.items())
                formatted_en.update((name, quantity_text(quantity, "en")) for name, quantity in evidence.items())
            return zh.format_map(formatted), en.format_map(formatted_en)

        return make

    return (
        DeferredText(fill(template.title, template.title_en)),
        DeferredText(fill(template.problem, template.problem_en)),
        DeferredText(fill(template.improvement, template.improvement_en)),
    )


def quantity(value: Decimal | int | str, unit: str = "") -> Quantity:
    """Evidence: a number (or a text such as "60余") with its unit of measure."""
    return Quantity(value=value if isinstance(value, str) else Decimal(value), unit=str(unit))


def money(unit: UnitScore, value_in_yuan: Decimal) -> Quantity:
    """An amount held in 元 as evidence, in the submission's own money unit (万元 or 元).

    Budget lines (:attr:`BudgetLine.amount_yuan`), spending and :meth:`Figure.in_yuan` are
    in 元; this is how a plugin quotes one, so that it never converts 元 and 万元 by hand.
    """
    return money_quantity(value_in_yuan, unit.submission.unit.money_unit)


def percent_quantity(ratio: Decimal) -> Quantity:
    """A ratio as percent evidence: 1.1389 → 113.89 %."""
    return Quantity(value=quantize(ratio * 100, 2), unit="%")


def make_finding(
    ruleset: Ruleset,
    finding_id: str,
    severity: str,
    evidence: Mapping[str, Quantity],
    *,
    area: str | None = None,
    project: str | None = None,
    indicator: str | None = None,
    template: str | None = None,
    source: str = "",
) -> Finding:
    """Build a finding whose wording comes from the template registered for ``finding_id``.

    ``template`` names another template when several findings share one wording.
    """
    evidence = dict(sorted(evidence.items()))  # the finding's own copy, which its texts are filled from
    title, problem, improvement = render_template(ruleset, template or finding_id, evidence)
    return Finding(
        id=finding_id,
        area=area,
        severity=severity,
        project=project,
        indicator=indicator,
        evidence=evidence,
        title=title,
        problem=problem,
        improvement=improvement,
        source=source,
    )


# --------------------------------------------------------------------------- area scores


def _rows_by_area(unit: UnitScore) -> dict[str, tuple[list[IndicatorScore], list[Any], bool]]:
    """Area → (its scored rows, its outputs without a target, whether a project names it)."""
    index: dict[str, tuple[list[IndicatorScore], list[Any], bool]] = {}
    library = unit.ruleset.indicator_index

    def entry(area: str) -> tuple[list[IndicatorScore], list[Any], bool]:
        if area not in index:
            index[area] = ([], [], False)
        return index[area]

    for score in unit.indicators:
        entry(score.definition.area)[0].append(score)
    for project in unit.submission.projects:
        for output in project.outputs:
            entry(library[output.indicator].area)[1].append(output)
        if project.area is not None:
            rows, outputs, _ = entry(project.area)
            index[project.area] = (rows, outputs, True)
    return index


def area_score_from_indicators(unit: UnitScore, area: str, extra: Sequence[Extra] = ()) -> AreaScore | None:
    """Earned ÷ possible × 100 over the unit's assessable rows of ``area`` plus ``extra``.

    ``extra`` holds (indicator id, earned, possible) for checks an area plugin scores from
    the ruleset's standards. Returns None when the unit has nothing in this area at all.
    """
    definition = unit.ruleset.areas[area]
    rows, outputs, has_project = _derived(unit, "by_area", _rows_by_area).get(area, ([], [], False))
    if not rows and not outputs and not extra and not has_project:
        return None
    assessable = [s for s in rows if s.assessable]
    earned = sum((s.score for s in assessable), ZERO) + sum((e for _, e, _ in extra), ZERO)
    possible = sum((s.weight for s in assessable), ZERO) + sum((p for _, _, p in extra), ZERO)
    places = unit.ruleset.arithmetic.places
    score = quantize(earned / possible * 100, places) if possible > ZERO else None
    ids = sorted({s.definition.id for s in assessable} | {i for i, _, _ in extra})
    explanation: LocalText
    if score is None:
        counts = {"rows": figure_text(Decimal(len(rows))), "outputs": figure_text(Decimal(len(outputs)))}
        zh, en = (message("plugin.area_unassessable", lang, **counts) for lang in LANGUAGES)
        explanation = LocalText(zh=zh, en=en)
    else:
        explanation = DeferredText(partial(_area_explanation, earned, possible, score, places, len(assessable), sorted(extra)))
    return AreaScore(
        area=area, name=definition.name, name_en=definition.name_en, earned=quantize(earned, 2), possible=quantize(possible, 2),
        score=score, indicators=ids, explanation=explanation,
    )


def _area_explanation(earned: Decimal, possible: Decimal, score: Decimal, places: int, rows: int, checks: list[Extra]) -> tuple[str, str]:
    """Name every part of an area score, so that it can be traced: the rows (whose scores
    `perfscore explain` shows) and each standard check with what it earned."""

    def explain(lang: str) -> str:
        parts = []
        if rows:
            parts.append(message("plugin.area_rows", lang, rows=figure_text(Decimal(rows))))
        if checks:
            listed = message("plugin.area_list_separator", lang).join(
                message("plugin.area_check", lang, check=check_id, earned=plain(e), possible=plain(p)) for check_id, e, p in checks
            )
            parts.append(message("plugin.area_checks", lang, checks=listed))
        return message(
            "plugin.area_explanation", lang, earned=plain(earned), possible=plain(possible), score=plain(score, places),
            parts=message("plugin.area_part_separator", lang).join(parts),
        )

    zh, en = (explain(lang) for lang in LANGUAGES)
    return zh, en


# --------------------------------------------------------------------------- reading a unit's figures


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure a unit reported for an indicator: as a scored row or as an output without a target.

    Values are in the library's unit (元 ↔ 万元 converted). ``qualifier`` is how the report
    hedges it: 约 about, 近 nearly (an upper bound), 余/以上 more than (a lower bound).
    """

    indicator: str
    project: str
    actual: Decimal | None
    target: Decimal | None
    unit: str
    qualifier: str | None = None
    has_target: bool = False

    @property
    def is_lower_bound(self) -> bool:
        return self.qualifier in ("余", "以上")

    @property
    def is_exact(self) -> bool:
        return self.qualifier is None

    def quantity(self) -> Quantity:
        return quantity(self.actual if self.actual is not None else DASH, self.unit)

    def as_written(self) -> str:
        """The actual as the unit wrote it, hedged: 60 and 余 → "60余", 79 and 约 → "约79"."""
        return hedged(self.actual, self.qualifier)

    def in_yuan(self) -> Decimal | None:
        """The actual of a money figure (its unit 元 or 万元), in 元; None when not reported."""
        return None if self.actual is None else in_yuan(self.actual, self.unit)


def figure(unit: UnitScore, indicator_id: str) -> Figure | None:
    """The first figure reported for ``indicator_id`` (projects in report order), or None.

    The unit's figures are indexed once, by the first plugin that asks (every area plugin
    reads the same index); each :class:`Figure` is made when first asked for.
    """
    figures = _derived(unit, "figures", _index_figures)
    found = figures.get(indicator_id)
    if found is None or isinstance(found, Figure):
        return found
    made = figures[indicator_id] = _make_figure(indicator_id, found)
    return made


#: where a figure was reported: (the scored row, or None; the output; its library entry; the project id)
_Reported = tuple[IndicatorScore | None, Any, Any, str]


def _index_figures(unit: UnitScore) -> dict[str, Figure | _Reported]:
    """Every indicator's first reported figure: a scored row before an output of the same
    project, projects in report order (where it was reported: made into a Figure by
    :func:`figure` when a plugin asks)."""
    library = unit.ruleset.indicator_index
    figures: dict[str, Figure | _Reported] = {}
    for project in unit.projects:
        project_id = project.id
        for score in project.indicators:
            indicator_id = score.definition.id
            if indicator_id not in figures and score.status != NOT_APPLICABLE:
                figures[indicator_id] = (score, None, None, project_id)
        for output in project.project.outputs:
            definition = library.get(output.indicator)
            if definition is None or output.indicator in figures:
                continue
            figures[output.indicator] = (None, output, definition, project_id)
    return figures


def _make_figure(indicator_id: str, reported: _Reported) -> Figure:
    score, output, definition, project_id = reported
    if score is not None:
        return Figure(indicator_id, project_id, score.actual, score.target, score.definition.unit, score.row.qualifier, score.target is not None)
    actual = output.actual
    if output.unit is not None and output.unit != definition.unit and output.unit in MONEY_UNITS_IN_YUAN and definition.unit in MONEY_UNITS_IN_YUAN:
        actual = in_yuan(actual, output.unit) / MONEY_UNITS_IN_YUAN[definition.unit]
    return Figure(indicator_id, project_id, actual, None, definition.unit, output.qualifier, False)


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """A budget item (资金用途) found by keyword, with its amount in 元."""

    project: str
    name: str
    amount_yuan: Decimal


def budget_item(unit: UnitScore, keyword: str | None, area: str | None = None) -> BudgetLine | None:
    """The first budget item whose name contains ``keyword`` (a ruleset setting), or None.

    Projects of ``area`` are searched first, so a keyword shared by two areas' items finds
    the area's own.
    """
    if not keyword:
        return None
    for project in sorted(unit.projects, key=lambda project: project.project.area != area):
        for item in project.project.budget_items:
            if keyword in item.name:
                return BudgetLine(project.id, item.name, in_yuan(item.amount, project.money_unit))
    return None


def project_of_area(unit: UnitScore, area: str) -> ProjectScore | None:
    """The first project that names ``area`` as its work area."""
    return next((project for project in unit.projects if project.project.area == area), None)


def setting(unit: UnitScore, area: str, key: str) -> Any:
    """An area setting from the ruleset (``[areas.<area>] key = …``) as Decimal, or None.

    Every setting of the ruleset is read and converted once, when a plugin first asks.
    """
    settings: dict[tuple[str, str], Any] = unit.ruleset.derived("area_settings", _area_settings)
    return settings.get((area, key))


def _area_settings(ruleset: Ruleset) -> dict[tuple[str, str], Any]:
    """(area, key) → every area setting of a ruleset, numbers as Decimal."""
    settings: dict[tuple[str, str], Any] = {}
    for area, definition in ruleset.areas.items():
        for key, value in (definition.model_extra or {}).items():
            if value is not None and not isinstance(value, (bool, str, Decimal)):
                value = Decimal(str(value))
            settings[(area, key)] = value
    return settings


# --------------------------------------------------------------------------- derived checks


@dataclass(frozen=True, slots=True)
class Check:
    """A derived check an area plugin scores from ruleset settings: (id, earned, possible)."""

    id: str
    earned: Decimal
    possible: Decimal

    def as_extra(self) -> Extra:
        return (self.id, self.earned, self.possible)


def at_least_check(check_id: str, value: Decimal, minimum: Decimal, weight: Decimal) -> Check:
    """Full weight when ``value`` ≥ ``minimum``, else weight × value ÷ minimum."""
    if minimum <= ZERO or value >= minimum:
        return Check(check_id, weight, weight)
    return Check(check_id, quantize(weight * max(value, ZERO) / minimum, 2), weight)


def pass_fail_check(check_id: str, passed: bool, weight: Decimal) -> Check:
    """Full weight when ``passed``, else nothing."""
    return Check(check_id, weight if passed else ZERO, weight)


class Measurement:
    """What an area plugin's ``measure(unit)`` collects for one unit.

    ``weight`` is the area's ``check_weight`` setting (None: the ruleset scores no derived
    checks). :meth:`check` keeps a derived check only when checks are weighed and the unit
    did not report that indicator as a row itself, so nothing is counted twice.
    """

    def __init__(self, unit: UnitScore, area: str):
        self.unit = unit
        self.weight: Decimal | None = setting(unit, area, "check_weight")
        self.checks: list[Check] = []
        self.findings: list[Finding] = []

    def check(self, item: Check) -> None:
        if self.weight is not None and figure(self.unit, item.id) is None:
            self.checks.append(item)

    @property
    def result(self) -> tuple[list[Check], list[Finding]]:
        return self.checks, self.findings


# --------------------------------------------------------------------------- the area plugin base


class AreaPlugin:
    """Base class for an area plugin: the five hooks every area plugin implements alike.

    A subclass sets ``area`` (an ``[areas]`` id) and ``folder`` (where its
    ``indicators.toml`` and ``templates.toml`` lie) and writes ``measure(unit)``, which
    returns the area's derived checks and its findings. The base claims the area, registers
    the two files (each only if present), scores the area over its rows plus the checks
    (and returns None for every other area, so the area's own plugin is the one that
    scores it), and emits the findings, measuring each unit once for both (and not at all
    when the unit's ruleset has no such area).
    """

    area: str
    folder: Path

    def measure(self, unit: UnitScore) -> tuple[list[Check], list[Finding]]:
        raise NotImplementedError(f"{type(self).__name__}.measure")

    def _measured(self, unit: UnitScore) -> tuple[list[Check], list[Finding]]:
        if self.area not in unit.ruleset.areas:  # a ruleset without this area: nothing to measure
            return [], []
        return _derived(unit, f"{self.area}.measure", self.measure)

    @hookimpl
    def perfscore_register_areas(self, register: Callable[[str], None]) -> None:
        register(self.area)

    @hookimpl
    def perfscore_register_indicators(self, register: Callable[[Path | Mapping[str, Any]], None]) -> None:
        if (self.folder / "indicators.toml").is_file():
            register(self.folder / "indicators.toml")

    @hookimpl
    def perfscore_register_templates(self, register: Callable[[Path], None]) -> None:
        if (self.folder / "templates.toml").is_file():
            register(self.folder / "templates.toml")

    @hookimpl
    def perfscore_score_area(self, area: str, unit: UnitScore) -> AreaScore | None:
        if area != self.area:
            return None
        checks, _ = self._measured(unit)
        return area_score_from_indicators(unit, area, [check.as_extra() for check in checks])

    @hookimpl
    def perfscore_findings(self, unit: UnitScore, areas: Mapping[str, AreaScore]) -> list[Finding]:
        return self._measured(unit)[1]
