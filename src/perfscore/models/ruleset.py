"""Ruleset models: the indicator library, weights, scoring settings, finding rules and wording.

The *load* stage's output for a ruleset (``extends`` already merged, plugin indicators
added); read by every later stage. Frozen and strict about unknown keys, so a typo in a
ruleset is an error at its key path rather than a silently ignored setting.
"""

from __future__ import annotations

import json

import re
from decimal import Decimal
from typing import Any, Callable, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from perfscore.errors import KeyedValueError, Parts, fill
from perfscore.models.base import Comparison, FundSource, Strict
from perfscore.models.submission import IndicatorRow



class RulesetMeta(Strict):
    id: str
    name: str
    name_en: str | None = None
    version: str
    description: str | None = None
    extends: list[str] = Field(default_factory=list)


class Level2Def(Strict):
    name: str
    name_en: str


class Level1Def(Strict):
    name: str
    name_en: str
    level2: dict[str, Level2Def] = Field(default_factory=dict)
    order: int = 0


_EVERY_FUND_SOURCE: tuple[FundSource, ...] = ("fiscal", "carry_over", "other", "unspecified")


class BudgetRules(Strict):
    """预算执行率 scoring: score = weight × min(rate, cap), rounded to ``places``."""

    counted_sources: list[FundSource] = Field(default_factory=lambda: list(_EVERY_FUND_SOURCE))
    basis: Literal["all", "own_level"] = "all"
    #: the rate's denominator: 全年预算数 (10号's), or 年初预算数 where a fund line gives it
    base: Literal["full_year", "initial"] = "full_year"
    cap: Decimal = Field(default=Decimal(1), gt=0)
    places: int = Field(default=2, ge=0, le=4)
    reason_below: Decimal = Field(default=Decimal("0.9"), ge=0)
    reason_above: Decimal = Field(default=Decimal(1), ge=0)


class OverCompletionRules(Strict):
    """What happens when actual ÷ target reaches ``threshold`` on a higher-is-better row."""

    threshold: Decimal = Field(default=Decimal("1.3"), gt=0)
    action: Literal["cap", "require_reason", "reduce"] = "require_reason"
    #: with action = "reduce": points lost per unit of completion past the threshold, as a share of weight
    reduce_factor: Decimal = Field(default=Decimal(1), ge=0)


class Tier(Strict):
    id: str
    name: str
    name_en: str
    min: Decimal = Field(ge=0, le=1)
    max: Decimal = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Tier:
        if self.min > self.max:
            raise KeyedValueError(f"tier {self.id}: min {self.min} is above max {self.max}", "tier_min_above_max", fill(tier=self.id, min=self.min, max=self.max))
        return self


class QualitativeRules(Strict):
    tiers: list[Tier]

    @field_validator("tiers")
    @classmethod
    def _no_overlap(cls, tiers: list[Tier]) -> list[Tier]:
        # a row's tier decides its score range: two tiers claiming the same scores would make
        # that range ambiguous. Touching ends (0.6 and 0.6) are how published tiers are written.
        ordered = sorted(tiers, key=lambda tier: (tier.min, tier.max))
        for lower, upper in zip(ordered, ordered[1:]):
            if upper.min < lower.max:
                raise KeyedValueError(f"tiers {lower.id!r} ({lower.min}–{lower.max}) and {upper.id!r} ({upper.min}–{upper.max}) overlap", "tiers_overlap", fill(lower=f"{lower.id!r} ({lower.min}–{lower.max})", upper=f"{upper.id!r} ({upper.min}–{upper.max})"))
        return tiers


class Band(Strict):
    """One band of banded points: completion ≥ ``min`` earns ``share`` of the weight."""

    min: Decimal = Field(ge=0)
    share: Decimal = Field(ge=0, le=1)


class DeductionRule(Strict):
    """扣分: ``points`` per ``step`` of shortfall (≥) or excess (≤), never below ``floor``."""

    step: Decimal = Field(gt=0)
    points: Decimal = Field(gt=0)
    floor: Decimal = Field(default=Decimal(0), ge=0)


class GradeBand(Strict):
    grade: str
    name_en: str
    min: Decimal


class ArithmeticRules(Strict):
    places: int = Field(default=2, ge=0, le=4)
    rounding: Literal["half_up", "half_even", "down", "up"] = "half_up"


class IndicatorDef(Strict):
    """One entry of the indicator library (指标库)."""

    id: str
    name: str
    name_en: str
    area: str
    level1: str
    level2: str
    unit: str
    comparison: Comparison
    default_weight: Decimal = Field(default=Decimal(1), gt=0)
    method: str | None = None
    bands: list[Band] | None = None
    deduction: DeductionRule | None = None
    #: a unit with a project in this area must report this indicator
    required: bool = False
    #: other names units write for it: a free row of one of these names is linked to it
    aliases: list[str] = Field(default_factory=list)
    source: str = "ruleset"


class AreaDef(BaseModel):
    """A work area (业务领域). Extra keys are the area plugin's settings (thresholds, minimums)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str
    name_en: str

    @model_validator(mode="after")
    def _settings_are_scalars(self) -> AreaDef:
        # A table or list here is almost always a TOML scoping slip (a key written after
        # [areas.x] that was meant for the top level), so it is refused rather than kept.
        for key, value in (self.model_extra or {}).items():
            if isinstance(value, (dict, list)):
                raise KeyedValueError(f"area setting {key!r} must be a number, string or boolean; a table or list here usually means a key was written under [areas.…] by mistake", "area_setting_not_scalar", fill(setting=repr(key)))
        return self

    def setting(self, key: str, default: Any = None) -> Any:
        return (self.model_extra or {}).get(key, default)


class FindingRule(Strict):
    """A declarative finding rule (``[[findings]]``); evaluated by the find stage's sandbox."""

    id: str
    scope: Literal["unit", "project", "indicator"] = "project"
    when: str
    severity: Literal["info", "warning", "problem"] = "warning"
    area: str | None = None
    template: str | None = None
    evidence: dict[str, str] = Field(default_factory=dict)
    #: ``perfscore check`` reports a match as a warning (and ``check --strict`` fails on it):
    #: for what a unit can fix before handing in, such as a missing target or category
    check: bool = False


#: at most this many row definitions (free rows, relabelled library rows) are kept per ruleset
_ROW_DEFINITIONS_KEPT = 65536
#: projects whose row definitions are kept (Ruleset.row_definitions): a unit's, between
#: its check and its scoring
_PROJECT_DEFINITIONS_KEPT = 64
#: what tells category names apart: not spaces, a printed weight "(50分)", or the word 指标
_CATEGORY_NOISE = re.compile(r"\s+|[（(][^（）()]*分[）)]|指标$")
_FULL_WIDTH = str.maketrans({"（": "(", "）": ")", "\u3000": " "})


def category_key(text: str) -> str:
    """A category or indicator name as compared: "产出指标(50分)", "产出指标" and "产出" are one."""
    folded = text.translate(_FULL_WIDTH).strip()
    return _CATEGORY_NOISE.sub("", _CATEGORY_NOISE.sub("", folded))


def _level1_names(rules: Ruleset) -> dict[str, str]:
    names: dict[str, str] = {}
    for level_id, level in rules.levels.items():
        for text in (level_id, level.name, level.name_en):
            names[category_key(text)] = level_id
    names.setdefault(category_key("预算执行率"), "budget")
    return names


def _level2_names(rules: Ruleset) -> dict[tuple[str, str], str]:
    """(level-1 id, name) → level-2 id, and ("", name) → level-2 id across every level-1.

    A level-1 category with one level-2 category also answers to its own name (a 满意度指标
    row under 满意度指标, or under 效益指标 as older tables print it)."""
    names: dict[tuple[str, str], str] = {}
    for level_id, level in sorted(rules.levels.items(), reverse=True):
        texts: list[tuple[str, tuple[str, ...]]] = [(level2_id, (level2_id, level2.name, level2.name_en)) for level2_id, level2 in level.level2.items()]
        if len(texts) == 1:
            texts[0] = (texts[0][0], (*texts[0][1], level_id, level.name, level.name_en))
        for level2_id, written in texts:
            for text in written:
                names[(level_id, category_key(text))] = level2_id
                names[("", category_key(text))] = level2_id
    return names


def _indicator_names(rules: Ruleset) -> dict[str, IndicatorDef]:
    """Library indicators by name and by alias, as a free row's name is compared."""
    names: dict[str, IndicatorDef] = {}
    for definition in sorted(rules.indicators, key=lambda d: d.id):
        for text in (definition.name, *definition.aliases):
            names.setdefault(category_key(text), definition)
    return names


_PLACEHOLDER = re.compile(r"{([^{}]*)}")
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class FindingTemplate(Strict):
    """The wording of one finding id, with ``{name}`` placeholders filled from its evidence.

    Placeholders must be plain names listed in ``evidence``: no attribute access, no
    indexing, no format specs, so a template can never reach into Python objects.
    """

    evidence: list[str] = Field(default_factory=list)
    title: str
    title_en: str
    problem: str
    problem_en: str
    improvement: str
    improvement_en: str
    #: the wording of one item that stands for several findings of this id (issue 14,
    #: docs/report.md "One item a kind"): optional; without it the report lists them plainly
    group_title: str | None = None
    group_title_en: str | None = None
    group_item: str | None = None
    group_item_en: str | None = None
    group_problem: str | None = None
    group_problem_en: str | None = None
    group_improvement: str | None = None
    group_improvement_en: str | None = None
    source: str = "ruleset"

    @model_validator(mode="after")
    def _placeholders_declared(self) -> FindingTemplate:
        declared = set(self.evidence)
        for field_name in ("title", "title_en", "problem", "problem_en", "improvement", "improvement_en", *GROUP_FIELDS):
            for name in _PLACEHOLDER.findall(getattr(self, field_name) or ""):
                if not _PLAIN_NAME.match(name):
                    raise KeyedValueError(f"{field_name}: placeholder {{{name}}} is not a plain name", "placeholder_not_plain", fill(field=field_name, placeholder=f"{{{name}}}"))
                if name not in declared | GROUP_PLACEHOLDERS.get(field_name.removesuffix("_en"), frozenset()):
                    raise KeyedValueError(f"{field_name}: placeholder {{{name}}} is not in evidence {sorted(declared)}", "placeholder_not_evidence", fill(field=field_name, placeholder=f"{{{name}}}", evidence=sorted(declared)))
        given = [name for name in GROUP_FIELDS if getattr(self, name) is not None]
        needed = [name for name in GROUP_FIELDS if not name.startswith("group_improvement")]
        if given and any(getattr(self, name) is None for name in needed):
            raise KeyedValueError(f"group wording needs all of {needed} (given: {given})", "group_wording_incomplete", fill(needed=needed, given=given))
        return self


#: a template's optional wording for several findings of one id in one item
GROUP_FIELDS = tuple(f"group_{part}{suffix}" for part in ("title", "item", "problem", "improvement") for suffix in ("", "_en"))
#: what the narrative supplies to the group wording besides the evidence (of the first finding,
#: or for group_item of each): the number of findings, the listed items, the projects' names
GROUP_PLACEHOLDERS = {
    "group_title": frozenset({"count"}),
    "group_item": frozenset({"project"}),
    "group_problem": frozenset({"count", "items"}),
    "group_improvement": frozenset({"count", "projects"}),
}


class NarrativeRules(Strict):
    max_chars: int | None = Field(default=None, gt=0)


class Ruleset(Strict):
    """A fully resolved ruleset: ``extends`` already merged."""

    ruleset: RulesetMeta
    levels: dict[str, Level1Def]
    weights: dict[str, Decimal]
    budget: BudgetRules = BudgetRules()
    over_completion: OverCompletionRules = OverCompletionRules()
    methods: dict[str, str] = Field(
        default_factory=lambda: {">=": "ratio", "<=": "lower_linear", "=": "equal", "qualitative": "qualitative"}
    )
    qualitative: QualitativeRules
    missing_targets: Literal["zero", "assessable"] = "zero"
    not_applicable_redistribute: bool = False
    grades: list[GradeBand]
    arithmetic: ArithmeticRules = ArithmeticRules()
    combine: Literal["budget_weighted", "mean"] = "budget_weighted"
    indicators: list[IndicatorDef] = Field(default_factory=list)
    areas: dict[str, AreaDef] = Field(default_factory=dict)
    findings: list[FindingRule] = Field(default_factory=list)
    templates: dict[str, FindingTemplate] = Field(default_factory=dict)
    narrative: NarrativeRules = NarrativeRules()
    #: sha256 of the resolved rules, filled in by the loader
    fingerprint: str = ""
    #: sha256 of the settings that score a row, a level, a project and a unit (weights,
    #: levels, methods, tiers, grades, arithmetic…), not of the library or the checks:
    #: units scored under rulesets with equal scoring prints are comparable
    scoring_fingerprint: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Ruleset:
        # each problem in English and as its catalogue entry (errors.<key>) with its fields
        problems: list[str] = []
        parts: Parts = []

        def problem(text: str, key: str, **fields: object) -> None:
            problems.append(text)
            parts.append((key, fields))

        unknown = set(self.weights) - set(self.levels) - {"budget", "indicators"}
        if unknown:
            problem(f"weights: unknown level-1 ids {sorted(unknown)}; known: budget, indicators, {sorted(self.levels)}", "ruleset_weights_unknown", unknown=sorted(unknown), known=sorted(self.levels))
        fixed = [level for level in self.levels if level in self.weights]
        if "indicators" in self.weights and fixed:
            problem("weights: give either a pooled 'indicators' weight or per-level weights, not both", "ruleset_weights_pooled_and_levels")
        negative = sorted(level for level, weight in self.weights.items() if weight < 0)
        if negative:
            problem(f"weights: {negative} are negative; a weight is 0 or more", "ruleset_weights_negative", negative=negative)
        total = sum(self.weights.values(), Decimal(0))
        if total != 100:
            problem(f"weights: first-level weights add up to {total}, expected 100", "ruleset_weights_total", total=total)
        seen: set[str] = set()
        for position, indicator in enumerate(self.indicators):
            where = f"indicators[{position}]"
            if indicator.id in seen:
                problem(f"{where}.id: duplicate indicator id {indicator.id!r}", "ruleset_indicator_twice", where=f"{where}.id", indicator=repr(indicator.id))
            seen.add(indicator.id)
            level1 = self.levels.get(indicator.level1)
            if level1 is None:
                problem(f"{where}.level1: {indicator.level1!r} is not a level in [levels] ({', '.join(sorted(self.levels))})", "ruleset_indicator_level1", where=f"{where}.level1", level1=repr(indicator.level1), known=", ".join(sorted(self.levels)))
            elif indicator.level2 not in level1.level2:
                problem(f"{where}.level2: {indicator.level2!r} is not a level-2 category of {indicator.level1}", "ruleset_indicator_level2", where=f"{where}.level2", level2=repr(indicator.level2), level1=indicator.level1)
            if indicator.area not in self.areas:
                problem(f"{where}.area: {indicator.area!r} is not an area in [areas]", "ruleset_indicator_area", where=f"{where}.area", area=repr(indicator.area))
        for comparison in self.methods:
            if comparison not in (">=", "<=", "=", "qualitative"):
                # quoted as TOML quotes a key, so that a key of spaces or symbols reads as one
                problem(f"methods.{json.dumps(comparison, ensure_ascii=False)}: not a comparison (>=, <=, =, qualitative)", "ruleset_method_comparison", where=f"methods.{json.dumps(comparison, ensure_ascii=False)}")
        if problems:
            raise KeyedValueError("; ".join(problems), "ruleset_inconsistent", fill(problems=parts))
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Ruleset:
        """A copy, whose derived values are built again from its own rules."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("_derived", None)
        return copied

    def derived(self, key: str, build: Callable[[Ruleset], Any]) -> Any:
        """A value computed from these rules once and kept with them (the model is frozen,
        so it can never go stale): lookup tables, compiled finding rules."""
        try:  # the hot path: built already (a few lookups per row of every unit)
            return self.__dict__["_derived"][key]
        except KeyError:
            cache = self.__dict__.setdefault("_derived", {})
            value = cache[key] = build(self)
            return value

    def indicator(self, indicator_id: str) -> IndicatorDef | None:
        return self.indicator_index.get(indicator_id)

    @property
    def indicator_index(self) -> dict[str, IndicatorDef]:
        index: dict[str, IndicatorDef] = self.derived("indicator_index", lambda rules: {indicator.id: indicator for indicator in rules.indicators})
        return index

    @property
    def tier_index(self) -> dict[str, Tier]:
        """Qualitative tiers by id and by Chinese name, as rows may name them either way."""
        index: dict[str, Tier] = self.derived("tier_index", lambda rules: {key: tier for tier in rules.qualitative.tiers for key in (tier.id, tier.name)})
        return index

    @property
    def indicator_levels(self) -> list[str]:
        """Level-1 ids that hold indicators, in display order."""
        levels: list[str] = self.derived("indicator_levels", lambda rules: sorted(rules.levels, key=lambda level: (rules.levels[level].order, level)))
        return levels

    def grade_for(self, total: Decimal | None) -> str | None:
        if total is None:
            return None
        best_first: list[GradeBand] = self.derived("grades_best_first", lambda rules: sorted(rules.grades, key=lambda grade_band: grade_band.min, reverse=True))
        for band in best_first:
            if total >= band.min:
                return band.grade
        return self.grades[-1].grade if self.grades else None

    def level1_id(self, text: str) -> str | None:
        """A level-1 id from its id or printed name ("效益指标(30分)", "效益"); "budget" for 预算执行率."""
        names: dict[str, str] = self.derived("level1_names", _level1_names)
        return names.get(category_key(text))

    def level_ids(self, level1: str | None, level2: str | None) -> tuple[str, str] | None:
        """The (level-1, level-2) ids of a category as a unit printed it ("产出指标", "数量指标",
        "效益指标(30分)", or the ids), or None when either is not a category of these rules.

        A level-2 category printed under another level-1 (服务对象满意度 under 效益, as older
        tables print it) is found under its own level-1 and kept under the one printed."""
        level1_id = self.level1_id(level1 or "")
        if level1_id is None or level1_id == "budget":
            return None
        level2_names: dict[tuple[str, str], str] = self.derived("level2_names", _level2_names)
        key = category_key(level2 or "")
        level2_id = level2_names.get((level1_id, key)) or level2_names.get(("", key))
        return None if level2_id is None else (level1_id, level2_id)

    def counts_as(self, definition: IndicatorDef) -> str:
        """The level-1 category a row counts as: its own, or the one its level-2 category
        belongs to (a satisfaction row printed under 效益 counts as satisfaction)."""
        level1 = self.levels.get(definition.level1)
        if level1 is not None and definition.level2 in level1.level2:
            return definition.level1
        owners: dict[str, str] = self.derived("level2_owner", lambda rules: {level2: level1_id for level1_id, level1 in sorted(rules.levels.items(), reverse=True) for level2 in level1.level2})
        return owners.get(definition.level2, definition.level1)

    def row_definition(self, row: IndicatorRow, area: str | None) -> IndicatorDef | None:
        """The indicator a row is scored as: its library entry (``indicator``, or a name or
        alias a free row matches), with the levels the unit printed; or, for a free row that
        matches nothing, a definition of its own. None when its levels are not categories of
        these rules (or its id is not in the library): the load stage reports why."""
        cache: dict[tuple[object, ...], IndicatorDef | None] = self.derived("row_definitions", lambda _: {})
        key = (row.indicator, row.name, row.name_en, row.level1, row.level2, row.unit, row.comparison, area)
        try:
            return cache[key]
        except KeyError:
            pass
        if len(cache) >= _ROW_DEFINITIONS_KEPT:
            cache.clear()
        definition = cache[key] = self._row_definition(row, area)
        return definition

    def row_definitions(self, rows: list[IndicatorRow], area: str | None) -> tuple[IndicatorDef | None, ...]:
        """:meth:`row_definition` of each row of a project. The load stage's checks and the
        score stage both ask for a project's, one after the other: the last projects' are
        kept, by the identity of their list of rows (held, so the identity stays theirs)."""
        cache: dict[int, tuple[list[IndicatorRow], str | None, tuple[IndicatorDef | None, ...]]] = self.derived("project_definitions", lambda _: {})
        kept = cache.get(id(rows))
        if kept is not None and kept[0] is rows and kept[1] == area:
            return kept[2]
        definitions = tuple([self.row_definition(row, area) for row in rows])
        if len(cache) >= _PROJECT_DEFINITIONS_KEPT:
            cache.clear()
        cache[id(rows)] = (rows, area, definitions)
        return definitions

    def _row_definition(self, row: IndicatorRow, area: str | None) -> IndicatorDef | None:
        if row.indicator is not None:
            library = self.indicator_index.get(row.indicator)
        else:
            aliases: dict[str, IndicatorDef] = self.derived("indicator_names", _indicator_names)
            library = aliases.get(category_key(row.name or ""))
        if row.level1 is None and row.level2 is None:
            return library  # the library's levels (a free row without levels is reported by load)
        levels = self.level_ids(row.level1, row.level2)
        if levels is None:
            return None
        if library is not None:
            return library if (library.level1, library.level2) == levels else library.model_copy(update={"level1": levels[0], "level2": levels[1]})
        name = row.name or ""
        return IndicatorDef.model_construct(
            id=name,
            name=name,
            name_en=row.name_en or name,
            area=area or "",
            level1=levels[0],
            level2=levels[1],
            unit=row.unit or "",
            comparison=row.comparison or ">=",
            default_weight=Decimal(1),
            method=None,
            bands=None,
            deduction=None,
            required=False,
            aliases=[],
            source="submission",
        )

    def grade_name_en(self, grade: str | None) -> str | None:
        for band in self.grades:
            if band.grade == grade:
                return band.name_en
        return None

