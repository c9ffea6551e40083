"""Find stage: a scored unit → area scores and findings.

Area plugins score their areas and emit findings through the hooks; declarative
``[[findings]]`` rules from the ruleset add cross-cutting ones. Wording always comes from
templates (ruleset or plugin TOML), filled from the finding's evidence and formatted as
the domain writes numbers: 万元 and 元 with 2 decimals, percentages with 2 decimals,
counts as integers. A plugin that raises, returns what its hook does not allow or runs past
the unit's time limit is reported by name; the rest still run and the result is marked
incomplete (:mod:`perfscore.plugin.manager` guards every call).

Rules are run by :mod:`perfscore.rules.matches`, in the sandbox of
:mod:`perfscore.rules.expressions`, over the values :mod:`perfscore.rules.variables` fills.
The helpers area plugins read a unit with are the plugin SDK's (:mod:`perfscore.plugin.sdk`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from perfscore.models import SEVERITY_ORDER, AreaScore, Finding
from perfscore.plugin.manager import PluginFailure, PluginHost
from perfscore.rules.matches import RuleMatch, rule_matches
from perfscore.scoring.score import UnitScore


@dataclass(slots=True)
class Evaluation:
    """Everything perfscore knows about one unit: scores, area scores and findings.

    ``found`` holds what was found, in report order: the plugins' findings and the
    ruleset rules that fired (:class:`RuleMatch`), one per key. A rule match is written
    up as a :class:`Finding` (evidence quoted, wording filled) when ``findings`` is first
    read; a batch that only counts them by severity never pays for that.
    """

    unit: UnitScore
    areas: dict[str, AreaScore] = field(default_factory=dict)
    found: list[Finding | RuleMatch] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)
    _findings: list[Finding] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def findings(self) -> list[Finding]:
        if self._findings is None:
            self._findings = [item if isinstance(item, Finding) else item.finding() for item in self.found]
        return self._findings

    @property
    def incomplete(self) -> bool:
        return bool(self.failures)

    @property
    def check_warnings(self) -> list[Finding]:
        """The findings of rules marked ``check = true``: what ``perfscore check`` warns about
        (a missing target or category, unknown spending), for the unit to fix before handing in."""
        flagged = {rule.id for rule in self.unit.ruleset.findings if rule.check}
        return [finding for finding in self.findings if finding.id in flagged]

    @property
    def timed_out(self) -> bool:
        """The unit's plugin hooks ran out of time: some were stopped or never called."""
        return any(failure.timed_out for failure in self.failures)


def finding_sort_key(finding: Finding | RuleMatch) -> tuple[Any, ...]:
    return (SEVERITY_ORDER[finding.severity], finding.area or "", finding.id, finding.project or "", finding.indicator or "")


def find(unit: UnitScore, host: PluginHost) -> Evaluation:
    """Score the areas and collect findings; a failing plugin is recorded, not fatal."""
    failures_before = len(host.failures)
    areas: dict[str, AreaScore] = {}
    findings: list[tuple[str, Any]] = []
    # the unit's plugin hooks share one time limit; one that runs past it is stopped and
    # recorded, and the hooks after it are not called (the result is incomplete)
    with host.time_limit():
        for area_id in sorted(unit.ruleset.areas):
            scored = host.score_area(area_id, unit)
            if scored is not None:
                plugin, area_score = scored
                areas[area_id] = area_score.model_copy(update={"source": plugin})
        findings = host.call_isolated("perfscore_findings", unit=unit, areas=areas)
    found: dict[tuple[str, str, str], Finding | RuleMatch] = {}
    for plugin, emitted in findings:
        for finding in emitted or []:
            if not isinstance(finding, Finding):
                host.failures.append(PluginFailure(plugin, "perfscore_findings", f"returned {type(finding).__name__}, expected perfscore.Finding"))
                continue
            if not finding.source:
                finding = finding.model_copy(update={"source": plugin})
            # the same finding from two sources is one finding; keep the first by source name
            existing = found.get(finding.key)
            if existing is None or finding.source < existing.source:
                found[finding.key] = finding
    for match in rule_matches(unit, host):
        found.setdefault(match.key, match)  # a plugin's finding of the same key wins
    ordered = sorted(found.values(), key=finding_sort_key)
    return Evaluation(unit, areas, ordered, host.failures[failures_before:])
