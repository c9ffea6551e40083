"""TEMPORARY stand-in for the plugin SDK (issue 9): the finding-writing helpers plugins use.

The real module is being made on another branch by moving these helpers out of
:mod:`perfscore.find`; until the branches merge, this copy (verbatim) lets
:mod:`perfscore.rules.matches` write up a rule match without importing the find stage above
it. Drop this file at the merge in favour of the real ``perfscore/plugin/sdk.py``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable, Mapping

from perfscore.errors import PluginError, Problem
from perfscore.models import DeferredText, Finding, LocalText, Quantity, Ruleset
from perfscore.numbers import quantity_text


def render_template(ruleset: Ruleset, finding_id: str, evidence: Mapping[str, Quantity]) -> tuple[LocalText, LocalText, LocalText]:
    """A finding's title, problem and improvement in zh and en, filled from its evidence.

    The template and the evidence it needs are checked now; the texts are filled when
    first read (:class:`~perfscore.models.DeferredText`), the evidence formatted once for
    all six. A template's placeholders are checked when it loads, so filling cannot fail.
    """
    template = ruleset.templates.get(finding_id)
    if template is None:
        raise PluginError(Problem(f"no template for finding {finding_id!r}", expected="a [templates.\"<id>\"] table in the ruleset or a plugin's templates TOML"))
    missing = [name for name in template.evidence if name not in evidence]
    if missing:
        raise PluginError(Problem(f"finding {finding_id!r} lacks evidence {missing} that its template uses"))
    formatted: dict[str, str] = {}

    def fill(zh: str, en: str) -> Callable[[], tuple[str, str]]:
        def make() -> tuple[str, str]:
            if not formatted:
                formatted.update((name, quantity_text(quantity)) for name, quantity in evidence.items())
            return zh.format_map(formatted), en.format_map(formatted)

        return make

    return (
        DeferredText(fill(template.title, template.title_en)),
        DeferredText(fill(template.problem, template.problem_en)),
        DeferredText(fill(template.improvement, template.improvement_en)),
    )


def quantity(value: Decimal | int | str, unit: str = "") -> Quantity:
    return Quantity(value=value if isinstance(value, str) else Decimal(value), unit=str(unit))


def make_finding(
    ruleset: Ruleset,
    finding_id: str,
    severity: str,
    evidence: Mapping[str, Quantity],
    *,
    area: str | None = None,
    project: str | None = None,
    indicator: str | None = None,
    template: str | None = None,
    source: str = "",
) -> Finding:
    """Build a finding whose wording comes from the template registered for ``finding_id``.

    ``template`` names another template when several findings share one wording.
    """
    evidence = dict(sorted(evidence.items()))  # the finding's own copy, which its texts are filled from
    title, problem, improvement = render_template(ruleset, template or finding_id, evidence)
    return Finding(
        id=finding_id,
        area=area,
        severity=severity,
        project=project,
        indicator=indicator,
        evidence=evidence,
        title=title,
        problem=problem,
        improvement=improvement,
        source=source,
    )
