"""perfscore plugin for the life-secretary home service (生活小秘书) of a Disabled Persons' Federation.

- Contracted against served: the funds table and the outputs often state the number of
  people or households twice; two different numbers for one quantity is a finding, and
  served ÷ contracted is a scored check.
- Hours per household and cost per hour (the area project's spending ÷ service hours),
  scored when the ruleset sets ``min_hours_per_household`` / ``max_cost_per_hour``.
- Satisfaction against ``min_satisfaction`` (a ratio: 0.90 = 90%).
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
    figure,
    make_finding,
    money,
    percent_quantity,
    project_of_area,
    quantity,
    setting,
)

__version__ = "0.1.0"
AREA = "secretary"
HERE = Path(__file__).parent
HUNDRED = Decimal(100)


def measure(unit: UnitScore) -> tuple[list[Check], list[Finding]]:
    """The area's derived checks and findings for one scored unit."""
    ruleset = unit.ruleset
    measured = Measurement(unit, AREA)
    weight, checks, findings, check = measured.weight, measured.checks, measured.findings, measured.check

    contracted = figure(unit, "secretary.contracted_people")
    served = figure(unit, "secretary.households_served")
    if contracted is not None and served is not None and contracted.actual and served.actual is not None:
        check(at_least_check("secretary.served_vs_contracted", served.actual / contracted.actual, Decimal(1), weight or Decimal(0)))
        if served.actual != contracted.actual:
            findings.append(
                make_finding(
                    ruleset, "secretary.contracted_vs_served", "warning",
                    {
                        "contracted": contracted.quantity(),
                        "served": served.quantity(),
                        "difference": quantity(abs(contracted.actual - served.actual), ""),
                        "share": percent_quantity(served.actual / contracted.actual),
                    },
                    area=AREA, project=served.project, indicator=served.indicator,
                )
            )

    hours = figure(unit, "secretary.service_hours")
    project = project_of_area(unit, AREA)
    if hours is not None and served is not None and hours.actual and served.actual:
        per_household = hours.actual / served.actual
        minimum_hours = setting(unit, AREA, "min_hours_per_household")
        if minimum_hours is not None and weight is not None:
            check(at_least_check("secretary.hours_per_household", per_household, minimum_hours, weight))
        spending = project.budget.spending if project is not None else None
        maximum_cost = setting(unit, AREA, "max_cost_per_hour")
        per_hour = spending / hours.actual if spending else None
        if per_hour is not None and maximum_cost is not None and weight is not None:
            check(at_least_check("secretary.cost_per_hour", maximum_cost, per_hour, weight))
        findings.append(
            make_finding(
                ruleset, "secretary.service_intensity", "info",
                {
                    "hours": hours.quantity(),
                    "households": served.quantity(),
                    "per_household": quantity(per_household, "小时/户"),
                    "spending": money(unit, spending) if spending else quantity("—"),
                    "per_hour": quantity(per_hour, "元/小时") if per_hour is not None else quantity("—"),
                    "cost_per_household": quantity(spending / served.actual, "元/户") if spending else quantity("—"),
                },
                area=AREA, project=project.id if project is not None else hours.project, indicator=hours.indicator,
            )
        )

    satisfaction = figure(unit, "secretary.satisfaction_rate")
    minimum = setting(unit, AREA, "min_satisfaction")
    if satisfaction is not None and satisfaction.actual is not None and minimum is not None:
        ratio = satisfaction.actual / HUNDRED  # percent indicators store percent numbers
        if weight is not None and not satisfaction.has_target:
            check(at_least_check("secretary.satisfaction_threshold", ratio, minimum, weight))
        if ratio < minimum:
            findings.append(
                make_finding(
                    ruleset, "secretary.satisfaction_below", "problem",
                    {"satisfaction": satisfaction.quantity(), "minimum": percent_quantity(minimum)},
                    area=AREA, project=satisfaction.project, indicator=satisfaction.indicator,
                )
            )
    return checks, findings


class SecretaryPlugin(AreaPlugin):
    """The life-secretary home service area."""

    area = AREA
    folder = HERE
    measure = staticmethod(measure)
