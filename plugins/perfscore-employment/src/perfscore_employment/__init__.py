"""perfscore plugin for the employment (就业) area, with care (托养) and education aid (扶残助学).

Derived checks, scored from ``[areas.employment]`` settings:

- a graduate employment rate must be a rate the graduate count can produce (75% of 7
  graduates is 5.25 people: no whole number of graduates gives 75%);
- group accident insurance must cover every person in care: the insured count includes
  staff, so it bounds the recipients' coverage from above (``min_care_insurance_coverage``).

Findings also give education aid per person and against its budget item, care cost per
person, and training reported without a pass rate.
"""

from __future__ import annotations

import math
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
    percent_quantity,
    quantity,
    setting,
)

__version__ = "0.1.0"
AREA = "employment"
HERE = Path(__file__).parent
HUNDRED = Decimal(100)


def rate_tolerance(rate: Decimal) -> Decimal:
    """Half a unit in the last place the rate is written to: 75 → 0.5, 75.3 → 0.05."""
    exponent = rate.normalize().as_tuple().exponent  # an int for every finite rate
    places = max(0, -exponent) if isinstance(exponent, int) and rate != rate.to_integral_value() else 0
    return Decimal(5).scaleb(-(places + 1))


def achievable_counts(rate: Decimal, total: Decimal) -> list[int]:
    """Whole counts k ≤ total whose k ÷ total, written as the rate is, gives the rate."""
    tolerance = rate_tolerance(rate)
    return [k for k in range(int(total) + 1) if abs(Decimal(k) / total * HUNDRED - rate) <= tolerance]


def measure(unit: UnitScore) -> tuple[list[Check], list[Finding]]:
    """The area's derived checks and findings for one scored unit."""
    ruleset = unit.ruleset
    measured = Measurement(unit, AREA)
    weight, checks, findings, check = measured.weight, measured.checks, measured.findings, measured.check

    graduates = figure(unit, "employment.graduates_served")
    rate = figure(unit, "employment.graduate_employment_rate")
    employed_row = figure(unit, "employment.graduates_employed")
    # a qualitative row states no count to check the rate against
    employed = employed_row.actual if employed_row is not None else None
    if graduates is not None and rate is not None and graduates.actual and rate.actual is not None:
        implied = rate.actual * graduates.actual / HUNDRED
        counts = achievable_counts(rate.actual, graduates.actual)
        if employed is not None:
            consistent = abs(employed / graduates.actual * HUNDRED - rate.actual) <= rate_tolerance(rate.actual)
        else:
            consistent = bool(counts)
        if weight is not None:
            check(pass_fail_check("employment.graduate_rate_consistent", consistent, weight))
        if consistent:
            findings.append(
                make_finding(
                    ruleset, "employment.graduate_employment", "info",
                    {"rate": rate.quantity(), "graduates": graduates.quantity(), "employed": quantity(employed if employed is not None else Decimal(counts[0]), "人")},
                    area=AREA, project=rate.project, indicator=rate.indicator,
                )
            )
        else:
            lower, upper = math.floor(implied), math.ceil(implied)
            if lower == upper:
                upper = lower + 1
            findings.append(
                make_finding(
                    ruleset, "employment.graduate_rate_inconsistent", "problem",
                    {
                        "rate": rate.quantity(),
                        "graduates": graduates.quantity(),
                        "implied": quantity(implied, "人"),
                        "lower_count": quantity(lower, "人"),
                        "lower_rate": percent_quantity(Decimal(lower) / graduates.actual),
                        "upper_count": quantity(upper, "人"),
                        "upper_rate": percent_quantity(Decimal(upper) / graduates.actual),
                    },
                    area=AREA, project=rate.project, indicator=rate.indicator,
                )
            )

    in_care = [f.actual for f in (figure(unit, "employment.care_centralized"), figure(unit, "employment.care_home")) if f is not None and f.actual is not None]
    insured = figure(unit, "employment.care_insured")
    minimum = setting(unit, AREA, "min_care_insurance_coverage")
    recipients = sum(in_care, Decimal(0))
    if in_care and recipients > 0 and insured is not None and insured.actual is not None:
        # the insured count includes staff, so recipients' coverage is at most insured ÷ recipients
        coverage = min(insured.actual / recipients, Decimal(1))
        if minimum is not None and weight is not None:
            check(at_least_check("employment.care_insurance_coverage", coverage, minimum, weight))
        if minimum is not None and coverage < minimum:
            findings.append(
                make_finding(
                    ruleset, "employment.care_insurance_gap", "problem",
                    {
                        "recipients": quantity(recipients, "人"),
                        "insured": insured.quantity(),
                        "coverage": percent_quantity(coverage),
                        "minimum": percent_quantity(minimum),
                        "uninsured": quantity(recipients - insured.actual, "人"),
                    },
                    area=AREA, project=insured.project, indicator=insured.indicator,
                )
            )
        item = budget_item(unit, setting(unit, AREA, "care_budget_keyword"), AREA)
        if item is not None:
            findings.append(
                make_finding(
                    ruleset, "employment.care_cost_per_person", "info",
                    {"item": quantity(item.name), "amount": money(unit, item.amount_yuan), "recipients": quantity(recipients, "人"), "per_person": quantity(item.amount_yuan / recipients, "元/人")},
                    area=AREA, project=item.project,
                )
            )

    aided = [f.actual for f in (figure(unit, "employment.education_aid_students"), figure(unit, "employment.education_aid_children")) if f is not None and f.actual is not None]
    amount = figure(unit, "employment.education_aid_amount")
    people = sum(aided, Decimal(0))
    paid_yuan = amount.in_yuan() if amount is not None else None
    if aided and people > 0 and amount is not None and paid_yuan is not None:
        findings.append(
            make_finding(
                ruleset, "employment.education_aid_per_person", "info",
                {"amount": amount.quantity(), "people": quantity(people, "人"), "per_person": quantity(paid_yuan / people, "元/人")},
                area=AREA, project=amount.project, indicator=amount.indicator,
            )
        )
        item = budget_item(unit, setting(unit, AREA, "education_aid_budget_keyword"), AREA)
        if item is not None and paid_yuan > item.amount_yuan:
            findings.append(
                make_finding(
                    ruleset, "employment.education_aid_over_budget", "warning",
                    {"paid": amount.quantity(), "item": quantity(item.name), "budgeted": money(unit, item.amount_yuan), "share": percent_quantity(paid_yuan / item.amount_yuan)},
                    area=AREA, project=amount.project, indicator=amount.indicator,
                )
            )

    training = figure(unit, "employment.training_person_times")
    if training is not None and training.actual and figure(unit, "employment.training_pass_rate") is None:
        findings.append(
            make_finding(ruleset, "employment.training_without_pass_rate", "warning", {"training": training.quantity()}, area=AREA, project=training.project, indicator=training.indicator)
        )
    return checks, findings


class EmploymentPlugin(AreaPlugin):
    """The employment area (with care and education aid)."""

    area = AREA
    folder = HERE
    measure = staticmethod(measure)
