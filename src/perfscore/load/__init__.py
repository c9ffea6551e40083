"""Load stage: TOML files → validated :mod:`perfscore.models`.

Rulesets are found by path or by name (``$PERFSCORE_RULESETS``, then the rulesets shipped
with perfscore), their ``extends`` chains merged, plugin-contributed indicators added,
and the result validated and fingerprinted. Submissions are validated twice: against the
schema (every error reported at once with its key path) and against the ruleset (indicator
ids, units, weights, qualitative tiers).
"""

from __future__ import annotations

import hashlib
import json
import os
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from perfscore.arithmetic import ZERO, quantize
from perfscore.errors import InputError, Problem, RulesetError
from perfscore.files import read_toml
from perfscore.models import IndicatorDef, IndicatorRow, Project, Ruleset, Submission

if TYPE_CHECKING:
    from perfscore.plugin.manager import PluginHost

DEFAULT_RULESET = "canlian"
#: arrays of tables merged by their ``id`` when a ruleset extends another
_MERGED_BY_ID = ("indicators", "findings")
#: tables a child replaces whole: merging weights key by key could mix two schemes
_REPLACED_WHOLE = ("weights",)


# --------------------------------------------------------------------------- helpers


def key_path(location: tuple[str | int, ...]) -> str:
    """('projects', 2, 'indicators', 3, 'actual') -> 'projects[2].indicators[3].actual'."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def validation_problems(error: ValidationError, file: str, prefix: str = "", docs: str = "docs/formats.md") -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        location = key_path(tuple(item["loc"]))
        if prefix:
            location = f"{prefix}.{location}" if location else prefix
        message = item["msg"].removeprefix("Value error, ")
        expected = None
        if item["type"] == "extra_forbidden":
            message = "unknown key"
            expected = f"one of the keys documented in {docs}"
        elif item["type"] == "missing":
            message = "required key is missing"
        elif isinstance(item.get("input"), (str, int, float, bool)) or item.get("input") is None:
            message += f"; got {item.get('input')!r}"
        problems.append(Problem(message, file=file, location=location or None, expected=expected))
    return problems


# --------------------------------------------------------------------------- rulesets


def ruleset_search_path() -> list[Path]:
    paths = [Path(entry) for entry in os.environ.get("PERFSCORE_RULESETS", "").split(os.pathsep) if entry]
    paths.append(Path(str(resources.files("perfscore") / "rulesets")))
    return paths


def find_ruleset(name_or_path: str, relative_to: Path | None = None) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or os.sep in name_or_path:
        if not candidate.is_absolute() and relative_to is not None and (relative_to / candidate).exists():
            return relative_to / candidate
        if candidate.exists():
            return candidate
    directories = ([relative_to] if relative_to else []) + ruleset_search_path()
    for directory in directories:
        path = directory / f"{candidate.stem if candidate.suffix == '.toml' else name_or_path}.toml"
        if path.is_file():
            return path
    available = sorted({path.stem for directory in ruleset_search_path() if directory.is_dir() for path in directory.glob("*.toml")})
    raise RulesetError(
        Problem(f"ruleset {name_or_path!r} not found", expected=f"a TOML path or one of: {', '.join(available)}")
    )


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if key in _MERGED_BY_ID and isinstance(value, list) and isinstance(merged.get(key), list):
            by_id = {entry.get("id"): entry for entry in merged[key]}
            for entry in value:
                by_id[entry.get("id")] = _merge(by_id.get(entry.get("id"), {}), entry)
            merged[key] = list(by_id.values())
        elif isinstance(value, dict) and isinstance(merged.get(key), dict) and key not in _REPLACED_WHOLE:
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolve_raw(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in chain:
        cycle = " → ".join(str(p.name) for p in (*chain, path))
        raise RulesetError(Problem(f"ruleset extends itself: {cycle}", file=str(path)))
    raw = read_toml(path)
    meta = raw.get("ruleset", {})
    parents = meta.get("extends", [])
    if isinstance(parents, str):
        parents = [parents]
    resolved: dict[str, Any] = {}
    for parent in parents:
        resolved = _merge(resolved, _resolve_raw(find_ruleset(parent, path.parent), (*chain, path)))
    for entry in raw.get("indicators", []):
        if isinstance(entry, dict):
            entry.setdefault("source", path.name)
    merged = _merge(resolved, raw)
    merged.setdefault("ruleset", {})["extends"] = [str(parent) for parent in parents]
    return merged


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        # 0.90 and 0.9 are the same rule: the print depends on values, not on how they were written
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def fingerprint(raw: dict[str, Any]) -> str:
    """sha256 over the resolved rules (canonical JSON), so equal rules give equal prints."""
    body = {key: value for key, value in raw.items() if key != "fingerprint"}
    text = json.dumps(_canonical(body), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_ruleset(name_or_path: str, host: PluginHost | None = None) -> Ruleset:
    """Resolve, merge plugin indicators into, validate and fingerprint a ruleset."""
    path = find_ruleset(name_or_path)
    raw = _resolve_raw(path)
    if host is not None:
        raw = host.merge_contributions(raw)
    raw["fingerprint"] = fingerprint(raw)
    try:
        ruleset = Ruleset.model_validate(raw)
    except ValidationError as error:
        raise RulesetError(validation_problems(error, str(path), docs="docs/rulesets.md")) from None
    from perfscore.rules.validate import (
        validate_rules,  # a bad [[findings]] rule fails at load, by name
    )

    validate_rules(ruleset, str(path))
    return ruleset


# --------------------------------------------------------------------------- submissions


def load_submission(path: Path) -> Submission:
    """Parse and schema-validate one submission file (every schema error at once)."""
    raw = read_toml(Path(path), floats_for_pydantic=True)
    try:
        return Submission.model_validate(raw)
    except ValidationError as error:
        raise InputError(validation_problems(error, str(path))) from None


_MONEY_FACTORS = {("元", "万元"): Decimal("0.0001"), ("万元", "元"): Decimal(10000)}


def row_in_library_unit(row: IndicatorRow, definition: IndicatorDef) -> tuple[Decimal | None, Decimal | None]:
    """Target and actual converted to the library's unit (元 ↔ 万元 only)."""
    if row.unit is None or row.unit == definition.unit:
        return row.target, row.actual
    factor = _MONEY_FACTORS[(row.unit, definition.unit)]
    return (
        None if row.target is None else row.target * factor,
        None if row.actual is None else row.actual * factor,
    )


def check_against_ruleset(submission: Submission, ruleset: Ruleset, file: str) -> list[Problem]:
    """Semantic checks the schema cannot express: ids, units, weights, tiers."""
    problems: list[Problem] = []
    for p_index, project in enumerate(submission.projects):
        problems += _check_project(project, f"projects[{p_index}]", ruleset, file)
    return problems


def _check_project(project: Project, where: str, ruleset: Ruleset, file: str) -> list[Problem]:
    problems: list[Problem] = []
    library = ruleset.indicator_index
    tiers = ruleset.tier_index
    if project.area is not None and project.area not in ruleset.areas:
        problems.append(Problem(f"unknown area {project.area!r}", file, f"{where}.area", f"one of {', '.join(sorted(ruleset.areas))}"))
    if project.level1_weights is not None:
        unknown = set(project.level1_weights) - set(ruleset.levels) - {"budget"}
        if unknown:
            problems.append(Problem(f"unknown level-1 ids {sorted(unknown)}", file, f"{where}.level1_weights", f"budget or one of {sorted(ruleset.levels)}"))
        total = sum(project.level1_weights.values(), ZERO)
        if total != 100:
            problems.append(Problem(f"level-1 weights add up to {total}", file, f"{where}.level1_weights", "a total of 100"))
    # (locations are written only for a problem: most rows have none)
    for kind, rows in (("indicators", project.indicators), ("outputs", project.outputs)):
        for r_index, row in enumerate(rows):
            definition = library.get(row.indicator)
            if definition is None:
                problems.append(Problem(f"unknown indicator {row.indicator!r}", file, f"{where}.{kind}[{r_index}].indicator", f"an id from the indicator library of ruleset {ruleset.ruleset.id!r} (rulesets/*.toml, docs/rulesets.md)"))
            elif row.unit is not None and row.unit != definition.unit and (row.unit, definition.unit) not in _MONEY_FACTORS:
                problems.append(Problem(f"unit {row.unit!r} does not match the indicator's unit", file, f"{where}.{kind}[{r_index}].unit", repr(definition.unit)))
    weighted = [row for row in project.indicators if row.weight is not None]
    if weighted and len(weighted) != len(project.indicators):
        problems.append(Problem("some indicator rows have a weight and some do not", file, f"{where}.indicators", "a weight on every row, or on none (weights then come from the ruleset)"))
    known_rows = all(row.indicator in library for row in project.indicators)
    mixed = weighted and len(weighted) != len(project.indicators)
    # derived weights are needed only to check a qualitative self_score against its tier
    needs_weights = any(row.self_score is not None and row.weight is None for row in project.indicators)
    if needs_weights and known_rows and not mixed and not problems:
        weights = row_weights(project, ruleset)
    else:
        weights = [row.weight for row in project.indicators]
    for r_index, (row, weight) in enumerate(zip(project.indicators, weights)):
        definition = library.get(row.indicator)
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
                    problems.append(Problem(f"unknown qualitative tier {row.tier!r}", file, f"{row_where}.tier", f"one of {', '.join(t.name for t in ruleset.qualitative.tiers)}"))
                elif row.self_score is not None and weight is not None:
                    low, high = quantize(tier.min * weight, 2), quantize(tier.max * weight, 2)
                    if not low <= row.self_score <= high:
                        problems.append(Problem(f"self_score {row.self_score} is outside tier {tier.name} ({low}–{high} of weight {weight})", file, f"{row_where}.self_score", f"a score between {low} and {high}"))
            if not row.not_applicable and not (row.description or "").strip():
                problems.append(Problem("a qualitative row needs a description of what was achieved", file, f"{row_where}.description", "a short statement"))
        elif row.tier is not None:
            problems.append(Problem(f"tier given on a quantitative ({comparison}) row", file, f"{row_where}.tier", "tier only on qualitative rows"))
        if row.self_score is not None and weight is not None and row.self_score > weight:
            problems.append(Problem(f"self_score {row.self_score} exceeds the weight {weight}", file, f"{row_where}.self_score", f"at most {weight}"))
    if weighted and len(weighted) == len(project.indicators):
        problems += _check_weights(project, where, ruleset, file)
    return problems


def _check_weights(project: Project, where: str, ruleset: Ruleset, file: str) -> list[Problem]:
    """Row weights must add up to their level-1 weight (or to the pool)."""
    problems = []
    level_weights = project_level_weights(project, ruleset)
    sums: dict[str, Decimal] = {}
    for row in project.indicators:
        definition = ruleset.indicator_index[row.indicator]
        sums[definition.level1] = sums.get(definition.level1, ZERO) + (row.weight or ZERO)
    if "indicators" in level_weights:
        total = sum(sums.values(), ZERO)
        if total != level_weights["indicators"]:
            problems.append(Problem(f"indicator weights add up to {total}", file, f"{where}.indicators", f"{level_weights['indicators']} (the pooled indicator weight)"))
        return problems
    for level, total in sorted(sums.items()):
        expected = level_weights.get(level, ZERO)
        if total != expected:
            name = ruleset.levels[level].name
            problems.append(Problem(f"weights of {name} ({level}) rows add up to {total}", file, f"{where}.indicators", f"{expected}, the level-1 weight"))
    return problems


def apportion(total: Decimal, shares: dict[int, Decimal], tiebreak: dict[int, str], places: int) -> dict[int, Decimal]:
    """Split ``total`` in proportion to ``shares`` with largest-remainder rounding.

    Every part is rounded down to ``places``; the units left over go one by one to the
    parts with the largest remainders (ties by ``tiebreak``, e.g. indicator id). The parts
    add up exactly to ``total``, are never negative, and do not depend on input order.
    """
    quantum = Decimal(1).scaleb(-places)
    denominator = sum(shares.values(), ZERO)
    if denominator == ZERO:
        return {index: ZERO for index in shares}
    exact = {index: total * share / denominator for index, share in shares.items()}
    parts = {index: value.quantize(quantum, rounding="ROUND_DOWN") for index, value in exact.items()}
    left = int((total - sum(parts.values(), ZERO)) / quantum)
    for index in sorted(parts, key=lambda i: (-(exact[i] - parts[i]), tiebreak[i]))[:left]:
        parts[index] += quantum
    return parts


def _weight_groups(definitions: list[IndicatorDef], level_weights: dict[str, Decimal]) -> dict[str, list[int]]:
    """Row indexes by the weight they share: their level-1 category, or the pool."""
    pooled = "indicators" in level_weights
    groups: dict[str, list[int]] = {}
    for index, definition in enumerate(definitions):
        groups.setdefault("indicators" if pooled else definition.level1, []).append(index)
    return groups


def derive_weights(rows: list[IndicatorRow], definitions: list[IndicatorDef], level_weights: dict[str, Decimal], places: int) -> list[Decimal]:
    """Split each level-1 weight (or the pool) over its rows in proportion to default weights."""
    weights = [ZERO] * len(rows)
    for group, members in _weight_groups(definitions, level_weights).items():
        parts = apportion(level_weights.get(group, ZERO), {i: definitions[i].default_weight for i in members}, {i: rows[i].indicator for i in members}, places)
        for index, weight in parts.items():
            weights[index] = weight
    return weights


def redistribute_not_applicable(rows: list[IndicatorRow], definitions: list[IndicatorDef], weights: list[Decimal], level_weights: dict[str, Decimal], places: int) -> list[Decimal]:
    """Give not-applicable rows' weight to the other rows of their group, in proportion to
    those rows' weights (opt-in: ``not_applicable_redistribute = true``)."""
    weights = list(weights)
    for members in _weight_groups(definitions, level_weights).values():
        kept = [i for i in members if not rows[i].not_applicable]
        group_total = sum((weights[i] for i in members), ZERO)
        if len(kept) == len(members) or not kept or sum((weights[i] for i in kept), ZERO) == ZERO:
            continue
        parts = apportion(group_total, {i: weights[i] for i in kept}, {i: rows[i].indicator for i in kept}, places)
        for index in members:
            weights[index] = parts.get(index, ZERO)
    return weights


#: at most this many indicator layouts' derived weights are kept per ruleset
_LAYOUTS_KEPT = 4096


def row_weights(project: Project, ruleset: Ruleset) -> list[Decimal]:
    """The weight of each indicator row: the unit's own, or derived from the ruleset; with
    ``not_applicable_redistribute``, not-applicable rows' weight moved to their siblings."""
    rows = project.indicators
    level_weights = {k: v for k, v in project_level_weights(project, ruleset).items() if k != "budget"}
    definitions = [ruleset.indicator_index[row.indicator] for row in rows]
    places = ruleset.arithmetic.places
    if rows and all(row.weight is not None for row in rows):
        weights = [row.weight for row in rows]
    else:
        # units of one kind share their indicator layout: derive each layout's weights once
        cache = ruleset.derived("derived_weights", lambda _: {})
        layout = (tuple(row.indicator for row in rows), tuple(level_weights.items()))
        weights = cache.get(layout)
        if weights is None:
            if len(cache) >= _LAYOUTS_KEPT:
                cache.clear()
            weights = cache[layout] = derive_weights(rows, definitions, level_weights, places)
        weights = list(weights)
    if ruleset.not_applicable_redistribute:
        weights = redistribute_not_applicable(rows, definitions, weights, level_weights, places)
    return weights


def project_level_weights(project: Project, ruleset: Ruleset) -> dict[str, Decimal]:
    """First-level weights in force for a project: the unit's adjustment or the ruleset's."""
    return dict(project.level1_weights) if project.level1_weights is not None else dict(ruleset.weights)


def load_checked(path: Path, ruleset_name: str | None, host: PluginHost | None = None, ruleset: Ruleset | None = None) -> tuple[Submission, Ruleset]:
    """Load a submission and its ruleset, and run every check; raise with all problems."""
    submission = load_submission(path)
    if ruleset is None:
        ruleset = load_ruleset(ruleset_name or submission.ruleset or DEFAULT_RULESET, host)
    problems = check_against_ruleset(submission, ruleset, str(path))
    if problems:
        raise InputError(problems)
    return submission, ruleset
