"""perfscore plugin for the rights-protection (维权) area of a Disabled Persons' Federation.

- Letters and visits (来信来访) must be counted exactly and closed: a count given as a
  lower bound ("60余次") and no closure rate (办结率) cannot be assessed.
- Temporary relief: the per-person average (amount ÷ person-times), and the amount
  against its budget item (found by the ``relief_budget_keyword`` setting), which is the
  area's scored check.
"""

from __future__ import annotations

from pathlib import Path

from perfscore import (
    AreaPlugin,
    Check,
    Finding,
    Measurement,
    UnitScore,
    budget_item,
    figure,
    make_finding,
    pass_fail_check,
    percent_quantity,
    quantity,
    setting,
)

__version__ = "0.1.0"
AREA = "rights"
HERE = Path(__file__).parent


def measure(unit: UnitScore) -> tuple[list[Check], list[Finding]]:
    """The area's derived checks and findings for one scored unit."""
    ruleset = unit.ruleset
    measured = Measurement(unit, AREA)
    weight, checks, findings, check = measured.weight, measured.checks, measured.findings, measured.check

    petitions = figure(unit, "rights.petitions")
    closure = figure(unit, "rights.petition_completion_rate")
    assigned = figure(unit, "rights.assigned_cases")
    if petitions is not None and petitions.actual is not None and (not petitions.is_exact or closure is None):
        findings.append(
            make_finding(
                ruleset, "rights.petitions_not_assessable", "warning",
                {
                    "petitions": quantity(petitions.as_written(), petitions.unit),
                    **({"closure_rate": closure.quantity()} if closure is not None else {}),
                    "assigned": assigned.quantity() if assigned is not None else quantity("—"),
                },
                area=AREA, project=petitions.project, indicator=petitions.indicator,
                # without a closure rate the wording says so in each language
                template=None if closure is not None else "rights.petitions_no_closure_rate",
            )
        )

    people = figure(unit, "rights.temporary_relief_people")
    amount = figure(unit, "rights.temporary_relief_amount")
    paid_yuan = amount.in_yuan() if amount is not None else None
    if people is not None and amount is not None and people.actual and paid_yuan is not None:
        item = budget_item(unit, setting(unit, AREA, "relief_budget_keyword"), AREA)
        findings.append(
            make_finding(
                ruleset, "rights.relief_per_person", "info",
                {
                    "amount": amount.quantity(),
                    "people": people.quantity(),
                    "per_person": quantity(paid_yuan / people.actual, "元/人次"),
                    "budget_share": percent_quantity(paid_yuan / item.amount_yuan) if item is not None and item.amount_yuan else quantity("—"),
                },
                area=AREA, project=amount.project, indicator=amount.indicator,
            )
        )
        if item is not None:
            within = paid_yuan <= item.amount_yuan
            if weight is not None:
                check(pass_fail_check("rights.relief_within_budget", within, weight))
            if not within:
                findings.append(
                    make_finding(
                        ruleset, "rights.relief_over_budget", "warning",
                        {"amount": amount.quantity(), "item": quantity(item.name), "budgeted": quantity(item.amount_yuan, "元")},
                        area=AREA, project=amount.project, indicator=amount.indicator,
                    )
                )
    return checks, findings


class RightsPlugin(AreaPlugin):
    """The rights-protection area."""

    area = AREA
    folder = HERE
    measure = staticmethod(measure)
