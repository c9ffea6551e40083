"""Running a ruleset's ``[[findings]]`` rules over one scored unit: the rules that fire.

Each rule is parsed once per ruleset (:class:`CompiledRule`, kept with the ruleset), then
evaluated in the sandbox of :mod:`perfscore.rules.expressions` against the context of every
subject of its scope (:mod:`perfscore.rules.variables`). A rule that fires is a
:class:`RuleMatch`, its evidence already evaluated; the find stage (:mod:`perfscore.find`)
merges matches with the plugins' findings, and a match is written up as a
:class:`~perfscore.models.Finding` (with the plugin SDK's :func:`make_finding`) only when a
report reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from perfscore.models import Finding, FindingRule, Quantity, Ruleset
from perfscore.numbers import DASH, in_yuan, money_quantity
from perfscore.plugin.manager import PluginFailure, PluginHost
from perfscore.plugin.sdk import make_finding
from perfscore.rules.expressions import Expression, ExpressionError, Tagged, bounded_arithmetic
from perfscore.rules.validate import rules_file
from perfscore.rules.variables import RULE_MONEY_UNIT, SCOPES, Subject
from perfscore.scoring.score import UnitScore


def _evidence_quantity(value: Any, unit: str, money_unit: str) -> Quantity:
    """One evidence value as a finding quotes it; money (computed by rules in 万元) in the
    submission's own money unit, so a unit that reports in 元 reads 元."""
    if isinstance(value, Tagged):
        value, unit = value.value, value.unit
    if value is None:
        return Quantity(value=DASH, unit="")
    if isinstance(value, bool):
        return Quantity(value="是" if value else "否", unit="")
    if isinstance(value, str):
        return Quantity(value=value, unit=unit)
    if unit == RULE_MONEY_UNIT and money_unit != RULE_MONEY_UNIT:
        return money_quantity(in_yuan(Decimal(value), RULE_MONEY_UNIT), money_unit)
    return Quantity(value=Decimal(value), unit=unit)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A ``[[findings]]`` rule parsed and checked once per ruleset, for the batch to evaluate."""

    rule: FindingRule
    condition: Expression
    #: (name, expression, unit of a plain variable; None: the row's own unit, for target and actual)
    evidence: tuple[tuple[str, Expression, str | None], ...]
    #: the rule's key path in its resolved ruleset, as validate names it, for a failure to name
    where: str


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A ``[[findings]]`` rule that fired for one subject, with its evidence evaluated.

    It has what a table counts and sorts by (id, severity, area, project, indicator);
    :meth:`finding` writes it up as the :class:`Finding` a report quotes.
    """

    id: str
    severity: str
    area: str | None
    project: str | None
    indicator: str | None
    template: str | None
    #: (name, value, unit): each evidence expression's value and the unit it is quoted in
    evidence: tuple[tuple[str, Any, str], ...]
    ruleset: Ruleset = field(repr=False, compare=False)
    #: the submission's money unit, the one its findings quote amounts in
    money_unit: str = field(default=RULE_MONEY_UNIT, compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.id, self.project or "", self.indicator or "")

    @property
    def source(self) -> str:
        return f"rule {self.id}"

    def quantities(self) -> dict[str, Quantity]:
        """The evidence as the finding quotes it (the store keeps it without the wording)."""
        return {name: _evidence_quantity(value, unit, self.money_unit) for name, value, unit in self.evidence}

    def finding(self) -> Finding:
        quantities = self.quantities()
        return make_finding(
            self.ruleset, self.id, self.severity, quantities, area=self.area, project=self.project,
            indicator=self.indicator, template=self.template, source=self.source,
        )


def rule_matches(unit: UnitScore, host: PluginHost | None = None) -> list[RuleMatch]:
    """Evaluate the ruleset's ``[[findings]]`` rules in the sandbox, one match per subject.

    A rule that fails while evaluating (a variable that is text where a number is needed, a
    value beyond the sandbox's bounds) is recorded as a failure of ``rule <id>``, naming the
    ruleset file and the rule's key path, when a host is given; the other rules still run.
    Evidence is evaluated here, so that such a failure shows in a batch as in a report.
    """
    ruleset = unit.ruleset
    found: list[RuleMatch] = []
    compiled_rules: list[CompiledRule] = ruleset.derived("compiled_findings", _compile_rules)
    if not compiled_rules:
        return found
    # contexts are built once per scope, not once per rule, and before the sandbox's decimal
    # context is entered: they are perfscore's own arithmetic, not a rule's
    subjects: dict[str, list[Subject]] = {}
    for compiled in compiled_rules:
        if compiled.rule.scope not in subjects:
            subjects[compiled.rule.scope] = SCOPES[compiled.rule.scope].subjects(unit)
    with bounded_arithmetic():  # once per unit: entering it costs more than a small rule
        for compiled in compiled_rules:
            rule, condition = compiled.rule, compiled.condition
            holds = condition.function  # Expression.run without its call: failures converted below
            for context, project, score in subjects[rule.scope]:
                part: str | None = None  # None: the condition; else the evidence being evaluated
                try:
                    try:
                        if not holds(context):
                            continue
                    except (ArithmeticError, TypeError) as error:
                        raise condition.failure(error) from None
                    row_unit = score.definition.unit if score is not None else ""
                    evidence = []
                    for name, expression, quoted in compiled.evidence:
                        part = name
                        try:
                            value = expression.function(context)
                        except (ArithmeticError, TypeError) as error:
                            raise expression.failure(error) from None
                        evidence.append((name, value, row_unit if quoted is None else quoted))
                except ExpressionError as error:
                    if host is None:
                        raise
                    where = compiled.where + (".when" if part is None else f".evidence.{part}")
                    file = rules_file(ruleset)
                    origin = f"{file}: {where}" if file else f"ruleset {ruleset.ruleset.id!r}: {where}"
                    host.failures.append(PluginFailure(f"rule {rule.id}", "[[findings]]", f"{origin}: {error}"))
                    break
                found.append(
                    RuleMatch(
                        id=rule.id,
                        severity=rule.severity,
                        area=rule.area or (score.definition.area if score is not None else None) or (project.project.area if project is not None else None),
                        project=project.id if project is not None else None,
                        indicator=score.definition.id if score is not None else None,
                        template=rule.template,
                        evidence=tuple(evidence),
                        ruleset=ruleset,
                        money_unit=unit.submission.unit.money_unit,
                    )
                )
    return found


def _compile_rules(ruleset: Ruleset) -> list[CompiledRule]:
    """Parse and check every rule once per ruleset; the batch then only evaluates them."""
    compiled = []
    for position, rule in sorted(enumerate(ruleset.findings), key=lambda item: item[1].id):
        scope = SCOPES[rule.scope]
        names, units = set(scope.names), scope.units
        evidence = []
        for name, text in rule.evidence.items():
            # a plain variable is quoted in its own unit (target and actual: the row's);
            # any other expression unitless, unless a tagger such as percent() gives one
            evidence.append((name, Expression(text, names), units.get(text.strip(), "")))
        compiled.append(CompiledRule(rule, Expression(rule.when, names), tuple(evidence), f"findings[{position}] (rule {rule.id!r})"))
    return compiled
