"""perfscore plugin for the accessibility (无障碍) area (scaffolded by ``perfscore new-plugin``).

Households retrofitted against their target, and the cost per household where a budget
item (``retrofit_budget_keyword``) names the funds, scored against
``standard_cost_per_household`` (≈6000 元 in the domain notes). When no item names the
funds, the cost cannot be computed: a finding estimates it from the standard.
"""

from __future__ import annotations

from pathlib import Path

from perfscore import (
    AreaPlugin,
    Check,
    Finding,
    Measurement,
    UnitScore,
    at_least_check,
    budget_item,
    figure,
    make_finding,
    money,
    percent_quantity,
    quantity,
    setting,
)

__version__ = "0.1.0"
AREA = "accessibility"
HERE = Path(__file__).parent


def measure(unit: UnitScore) -> tuple[list[Check], list[Finding]]:
    """The area's derived checks and findings; the standard and keyword come from the ruleset."""
    ruleset = unit.ruleset
    measured = Measurement(unit, AREA)
    weight, checks, findings, check = measured.weight, measured.checks, measured.findings, measured.check
    households = figure(unit, "accessibility.household_retrofits")
    if households is None or not households.actual:
        return checks, findings
    if households.target:
        findings.append(
            make_finding(
                ruleset, "accessibility.retrofits", "info",
                {"actual": households.quantity(), "target": quantity(households.target, households.unit), "completion": percent_quantity(households.actual / households.target)},
                area=AREA, project=households.project, indicator=households.indicator,
            )
        )
    standard = setting(unit, AREA, "standard_cost_per_household")
    item = budget_item(unit, setting(unit, AREA, "retrofit_budget_keyword"), AREA)
    standard_quantity = quantity(standard, "元/户") if standard is not None else quantity("—")
    if item is not None:
        per_household = item.amount_yuan / households.actual
        if standard is not None and weight is not None:
            # lower is better: full weight at or below the standard, weight × standard ÷ cost above it
            check(at_least_check("accessibility.retrofit_cost_per_household", standard, per_household, weight))
        findings.append(
            make_finding(
                ruleset, "accessibility.cost_per_household", "info" if standard is None or per_household <= standard else "warning",
                {"item": quantity(item.name), "amount": money(unit, item.amount_yuan), "households": households.quantity(), "per_household": quantity(per_household, "元/户"), "standard": standard_quantity},
                area=AREA, project=item.project, indicator=households.indicator,
            )
        )
    elif figure(unit, "accessibility.cost_per_household") is None:
        findings.append(
            make_finding(
                ruleset, "accessibility.cost_unknown", "warning",
                {"households": households.quantity(), "standard": standard_quantity, "estimate": money(unit, households.actual * standard) if standard is not None else quantity("—")},
                area=AREA, project=households.project, indicator=households.indicator,
            )
        )
    return checks, findings


class AccessibilityPlugin(AreaPlugin):
    """The accessibility area."""

    area = AREA
    folder = HERE
    measure = staticmethod(measure)
