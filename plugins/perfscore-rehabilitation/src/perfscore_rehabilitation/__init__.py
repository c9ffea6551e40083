"""perfscore plugin for the rehabilitation (康复) area of a Disabled Persons' Federation.

Scores the area over its indicator rows plus checks derived from the ruleset's
``[areas.rehabilitation]`` settings, and reports what the figures imply:

- months of children's rehabilitation per child, actual and planned, against
  ``min_months_per_child`` (domain rule: at least 6 months per child);
- two different counts of children (aided vs given free training);
- assistive devices per person fitted (a person fitted has at least one device);
- cost per beneficiary where a budget item names the funds (keywords are settings).

Thresholds and keywords come from the ruleset; nothing here is a constant of policy.
"""

from __future__ import annotations

from decimal import Decimal
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
    pass_fail_check,
    quantity,
    setting,
)

__version__ = "0.1.0"
AREA = "rehabilitation"
HERE = Path(__file__).parent


def measure(unit: UnitScore) -> tuple[list[Check], list[Finding]]:
    """The area's derived checks and findings for one scored unit."""
    ruleset = unit.ruleset
    measured = Measurement(unit, AREA)
    weight, checks, findings, check = measured.weight, measured.checks, measured.findings, measured.check

    people = figure(unit, "rehabilitation.children_rehab_people")
    months = figure(unit, "rehabilitation.children_rehab_months")
    minimum = setting(unit, AREA, "min_months_per_child")
    if people is not None and months is not None and people.actual and months.actual is not None:
        per_child = months.actual / people.actual
        planned = months.target / people.target if months.target is not None and people.target else None
        if minimum is not None and weight is not None:
            check(at_least_check("rehabilitation.months_per_child", per_child, minimum, weight))
            if planned is not None:
                check(at_least_check("rehabilitation.planned_months_per_child", planned, minimum, weight))
        below = minimum is not None and (per_child < minimum or (planned is not None and planned < minimum))
        findings.append(
            make_finding(
                ruleset,
                "rehabilitation.months_per_child_below" if below else "rehabilitation.months_per_child",
                "problem" if below else "info",
                {
                    "months": months.quantity(),
                    "children": people.quantity(),
                    "per_child": quantity(per_child, "月/人"),
                    "planned_per_child": quantity(planned, "月/人") if planned is not None else quantity("—"),
                    "minimum": quantity(minimum, "月/人") if minimum is not None else quantity("—"),
                },
                area=AREA, project=months.project, indicator=months.indicator,
            )
        )
        item = budget_item(unit, setting(unit, AREA, "children_budget_keyword"), AREA)
        if item is not None:
            findings.append(
                make_finding(
                    ruleset, "rehabilitation.cost_per_child", "info",
                    {
                        "item": quantity(item.name),
                        "amount": money(unit, item.amount_yuan),
                        "children": people.quantity(),
                        "per_child": quantity(item.amount_yuan / people.actual, "元/人"),
                        "per_month": quantity(item.amount_yuan / months.actual, "元/月") if months.actual else quantity("—"),
                    },
                    area=AREA, project=item.project,
                )
            )
        free = figure(unit, "rehabilitation.children_free_training")
        if free is not None and free.actual is not None and free.actual != people.actual:
            findings.append(
                make_finding(
                    ruleset, "rehabilitation.children_counts_differ", "info",
                    {"free_training": free.quantity(), "aided": people.quantity(), "difference": quantity(abs(free.actual - people.actual), "人")},
                    area=AREA, project=free.project, indicator=free.indicator,
                )
            )

    device_people = figure(unit, "rehabilitation.assistive_device_people")
    devices = figure(unit, "rehabilitation.assistive_devices")
    if device_people is not None and devices is not None and device_people.actual and devices.actual is not None:
        consistent = devices.actual >= device_people.actual
        if weight is not None:
            check(pass_fail_check("rehabilitation.devices_per_person", consistent, weight))
        item = budget_item(unit, setting(unit, AREA, "assistive_budget_keyword"), AREA)
        findings.append(
            make_finding(
                ruleset,
                "rehabilitation.devices_per_person" if consistent else "rehabilitation.devices_fewer_than_people",
                "info" if consistent else "problem",
                {
                    "devices": devices.quantity(),
                    "people": device_people.quantity(),
                    "per_person": quantity(devices.actual / device_people.actual, "件/人"),
                    "cost_per_person": quantity(item.amount_yuan / device_people.actual, "元/人") if item is not None else quantity("—"),
                },
                area=AREA, project=devices.project, indicator=devices.indicator,
            )
        )

    surgeries = [f.actual for f in (figure(unit, "rehabilitation.cataract_surgeries"), figure(unit, "rehabilitation.pterygium_surgeries")) if f is not None and f.actual is not None]
    item = budget_item(unit, setting(unit, AREA, "surgery_budget_keyword"), AREA)
    if surgeries and item is not None:
        total = sum(surgeries, Decimal(0))
        if total > 0:
            findings.append(
                make_finding(
                    ruleset, "rehabilitation.surgery_cost", "info",
                    {"surgeries": quantity(total, "人"), "item": quantity(item.name), "amount": money(unit, item.amount_yuan), "per_person": quantity(item.amount_yuan / total, "元/人")},
                    area=AREA, project=item.project,
                )
            )
    return checks, findings


class RehabilitationPlugin(AreaPlugin):
    """The rehabilitation area: claims it, ships its wording and derived indicators, scores it."""

    area = AREA
    folder = HERE
    measure = staticmethod(measure)
