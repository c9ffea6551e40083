"""Checking a ruleset's ``[[findings]]`` rules when it loads, so a bad rule fails by name.

Every rule's ``when`` and evidence expressions must pass the sandbox of
:mod:`perfscore.rules.expressions` with the names of the rule's scope
(:data:`perfscore.rules.variables.SCOPES`), its template must exist and use only evidence
the rule computes, and its area must be one of the ruleset's. All problems are collected
into one :class:`~perfscore.errors.RulesetError`, each naming the rule and the part.
"""

from __future__ import annotations

from perfscore.errors import Problem, RulesetError, fill
from perfscore.models import FindingRule, Ruleset
from perfscore.rules.expressions import Expression, ExpressionError
from perfscore.rules.variables import SCOPES


def rule_expressions(rule: FindingRule) -> list[tuple[str, str]]:
    """(where, text) for the condition and each evidence expression of a rule."""
    return [("when", rule.when)] + [(f"evidence.{name}", text) for name, text in sorted(rule.evidence.items())]


def rules_file(ruleset: Ruleset) -> str | None:
    """The file a ruleset's rules were checked from (:func:`validate_rules`), if known, for
    a rule that fails as it runs to name."""
    file: str | None = ruleset.derived("rules_file", lambda _ruleset: None)
    return file


def validate_rules(ruleset: Ruleset, file: str | None = None) -> None:
    """Check every ``[[findings]]`` rule of a loaded ruleset; raise naming each bad rule."""
    # kept with the ruleset (which is frozen and made per load) so that a rule failing at
    # evaluation, long after loading, can still name its file
    ruleset.derived("rules_file", lambda _ruleset: file)
    problems: list[Problem] = []
    for position, rule in enumerate(ruleset.findings):
        where = f"findings[{position}] (rule {rule.id!r})"
        names = set(SCOPES[rule.scope].names)
        for part, text in rule_expressions(rule):
            try:
                Expression(text, names)
            except ExpressionError as error:
                problems.append(Problem(f"rule {rule.id!r}: {part}: {error}", file=file, location=f"{where}.{part}", key="rule_expression", fields=fill(rule=repr(rule.id), part=part, error=error)))
        template_id = rule.template or rule.id
        template = ruleset.templates.get(template_id)
        if template is None:
            problems.append(Problem(f"rule {rule.id!r}: no template {template_id!r}", file=file, location=f"{where}.template", expected=f'a [templates."{template_id}"] table', key="rule_no_template", expected_key="expected_template_table", fields=fill(rule=repr(rule.id), template=repr(template_id), table=f'[templates."{template_id}"]')))
        else:
            missing = sorted(set(template.evidence) - set(rule.evidence))
            if missing:
                problems.append(Problem(f"rule {rule.id!r}: template {template_id!r} uses evidence {missing} that the rule does not compute", file=file, location=f"{where}.evidence", key="rule_missing_evidence", fields=fill(rule=repr(rule.id), template=repr(template_id), missing=missing)))
        if rule.area is not None and rule.area not in ruleset.areas:
            problems.append(Problem(f"rule {rule.id!r}: unknown area {rule.area!r}", file=file, location=f"{where}.area", expected=f"one of {', '.join(sorted(ruleset.areas))}", key="rule_unknown_area", expected_key="expected_one_of", fields=fill(rule=repr(rule.id), area=repr(rule.area), known=", ".join(sorted(ruleset.areas)))))
    if problems:
        raise RulesetError(problems)
