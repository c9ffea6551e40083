"""Weights: how a project's 100 points are spread over its budget line and indicator rows.

The first step of the score stage (docs/architecture.md): a project's level-1 weights (its
own adjustment or the ruleset's), each row's weight (the unit's own, or the level-1 weight
split over the rows in proportion to the library's default weights, with largest-remainder
rounding), not-applicable rows' weight moved to their siblings when the ruleset asks, and
a row's target and actual converted to the library's money unit. Pure Decimal arithmetic
over :mod:`perfscore.models`; the load stage's checks receive :func:`row_weights` from the
engine rather than importing it.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import cast

from perfscore.arithmetic import ZERO
from perfscore.models import MONEY_FACTORS, IndicatorDef, IndicatorRow, Project, Ruleset

#: at most this many indicator layouts' derived weights are kept per ruleset
_LAYOUTS_KEPT = 4096

#: an indicator layout: each row's key, level-1 category and default weight, and the
#: level-1 weights in force
_Layout = tuple[tuple[tuple[str, str, Decimal], ...], tuple[tuple[str, Decimal], ...]]


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
    parts = {index: value.quantize(quantum, rounding=ROUND_DOWN) for index, value in exact.items()}
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
        parts = apportion(level_weights.get(group, ZERO), {i: definitions[i].default_weight for i in members}, {i: rows[i].key for i in members}, places)
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
        parts = apportion(group_total, {i: weights[i] for i in kept}, {i: rows[i].key for i in kept}, places)
        for index in members:
            weights[index] = parts.get(index, ZERO)
    return weights


def row_definitions(project: Project, ruleset: Ruleset) -> list[IndicatorDef]:
    """The indicator each row is scored as (:meth:`~perfscore.models.Ruleset.row_definition`);
    the load stage has checked that every row has one."""
    return cast(list[IndicatorDef], list(ruleset.row_definitions(project.indicators, project.area)))


def row_weights(project: Project, ruleset: Ruleset, definitions: list[IndicatorDef] | None = None, in_force: dict[str, Decimal] | None = None) -> list[Decimal]:
    """The weight of each indicator row: the unit's own (分值, or the full score of a table
    without one), or derived from the ruleset; with ``not_applicable_redistribute``,
    not-applicable rows' weight moved to their siblings. ``in_force`` is the project's
    :func:`project_level_weights`, when the caller has it already."""
    rows = project.indicators
    # IndicatorRow.given_weight, read once a row
    given = [row.weight if row.weight is not None else row.full_score for row in rows]
    if rows and not any(weight is None for weight in given):
        # every weight is given (checked at load): the list holds no None
        if not ruleset.not_applicable_redistribute:
            return cast(list[Decimal], given)
    places = ruleset.arithmetic.places
    level_weights = {k: v for k, v in (project_level_weights(project, ruleset) if in_force is None else in_force).items() if k != "budget"}
    if definitions is None:
        definitions = row_definitions(project, ruleset)
    weights: list[Decimal]
    if rows and not any(weight is None for weight in given):
        weights = cast(list[Decimal], given)
    else:
        # units of one kind share their indicator layout: derive each layout's weights once
        cache: dict[_Layout, list[Decimal]] = ruleset.derived("derived_weights", lambda _: {})
        layout = (tuple((row.key, definition.level1, definition.default_weight) for row, definition in zip(rows, definitions)), tuple(level_weights.items()))
        derived = cache.get(layout)
        if derived is None:
            if len(cache) >= _LAYOUTS_KEPT:
                cache.clear()
            derived = cache[layout] = derive_weights(rows, definitions, level_weights, places)
        weights = list(derived)
    if ruleset.not_applicable_redistribute:
        weights = redistribute_not_applicable(rows, definitions, weights, level_weights, places)
    return weights


def project_level_weights(project: Project, ruleset: Ruleset) -> dict[str, Decimal]:
    """First-level weights in force for a project: the unit's adjustment or the ruleset's."""
    return dict(project.level1_weights) if project.level1_weights is not None else dict(ruleset.weights)


def row_in_library_unit(row: IndicatorRow, definition: IndicatorDef) -> tuple[Decimal | None, Decimal | None]:
    """Target and actual converted to the library's unit (元 ↔ 万元 only)."""
    if row.unit is None or row.unit == definition.unit:
        return row.target, row.actual
    factor = MONEY_FACTORS[(row.unit, definition.unit)]
    return (
        None if row.target is None else row.target * factor,
        None if row.actual is None else row.actual * factor,
    )
