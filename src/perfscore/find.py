"""Find stage: a scored unit → area scores and findings.

Area plugins score their areas and emit findings through the hooks; declarative
``[[findings]]`` rules from the ruleset add cross-cutting ones. Wording always comes from
templates (ruleset or plugin TOML), filled from the finding's evidence and formatted as
the domain writes numbers: 万元 and 元 with 2 decimals, percentages with 2 decimals,
counts as integers. A plugin that raises is reported by name; the rest still run and the
result is marked incomplete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from perfscore.arithmetic import ZERO, quantize
from perfscore.errors import PluginError, Problem
from perfscore.models import SEVERITY_ORDER, AreaScore, Finding, LocalText, Quantity, Ruleset
from perfscore.plugins import PluginFailure, PluginHost
from perfscore.score import UnitScore

#: units whose figures are written with two decimals; the rest are counts
_TWO_DECIMAL_UNITS = {"万元", "元", "%", "元/人", "元/人次", "元/户", "元/小时", "万元/人", "万元/户", "小时/户", "月/人", "月"}


def format_quantity(quantity: Quantity) -> str:
    """99 户 · 110.00% · 522.59 万元 · 436.92 元/人次: the way a report writes numbers."""
    value, unit = quantity.value, quantity.unit
    if isinstance(value, str):
        return f"{value}{unit}" if unit in ("%", "") else f"{value} {unit}"
    if unit in _TWO_DECIMAL_UNITS or value != value.to_integral_value():
        text = str(quantize(value, 2))
    else:
        text = str(value.quantize(Decimal(1)))
    if unit == "%":
        return f"{text}%"
    return f"{text} {unit}".rstrip()


def render_template(ruleset: Ruleset, finding_id: str, evidence: Mapping[str, Quantity]) -> tuple[LocalText, LocalText, LocalText]:
    """Fill a finding's title, problem and improvement in zh and en from its evidence."""
    template = ruleset.templates.get(finding_id)
    if template is None:
        raise PluginError(Problem(f"no template for finding {finding_id!r}", expected="a [templates.\"<id>\"] table in the ruleset or a plugin's templates TOML"))
    missing = [name for name in template.evidence if name not in evidence]
    if missing:
        raise PluginError(Problem(f"finding {finding_id!r} lacks evidence {missing} that its template uses"))
    values = {name: format_quantity(quantity) for name, quantity in evidence.items()}

    def fill(text: str) -> str:
        return text.format_map(values)

    return (
        LocalText(zh=fill(template.title), en=fill(template.title_en)),
        LocalText(zh=fill(template.problem), en=fill(template.problem_en)),
        LocalText(zh=fill(template.improvement), en=fill(template.improvement_en)),
    )


def quantity(value: Decimal | int | str, unit: str = "") -> Quantity:
    return Quantity(value=value if isinstance(value, str) else Decimal(value), unit=unit)


def make_finding(
    ruleset: Ruleset,
    finding_id: str,
    severity: str,
    evidence: Mapping[str, Quantity],
    *,
    area: str | None = None,
    project: str | None = None,
    indicator: str | None = None,
) -> Finding:
    """Build a finding whose wording comes from the template registered for ``finding_id``."""
    title, problem, improvement = render_template(ruleset, finding_id, evidence)
    return Finding(
        id=finding_id,
        area=area,
        severity=severity,
        project=project,
        indicator=indicator,
        evidence=dict(sorted(evidence.items())),
        title=title,
        problem=problem,
        improvement=improvement,
    )


@dataclass(slots=True)
class Evaluation:
    """Everything perfscore knows about one unit: scores, area scores and findings."""

    unit: UnitScore
    areas: dict[str, AreaScore] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)

    @property
    def incomplete(self) -> bool:
        return bool(self.failures)

    def severity_counts(self) -> dict[str, int]:
        counts = {severity: 0 for severity in SEVERITY_ORDER}
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts


def finding_sort_key(finding: Finding) -> tuple[Any, ...]:
    return (SEVERITY_ORDER[finding.severity], finding.area or "", finding.id, finding.project or "", finding.indicator or "")


def find(unit: UnitScore, host: PluginHost) -> Evaluation:
    """Score the areas and collect findings; a failing plugin is recorded, not fatal."""
    failures_before = len(host.failures)
    areas: dict[str, AreaScore] = {}
    for area_id in sorted(unit.ruleset.areas):
        scored = host.score_area(area_id, unit)
        if scored is not None:
            plugin, area_score = scored
            areas[area_id] = area_score.model_copy(update={"source": plugin})
    findings: dict[tuple[str, str, str], Finding] = {}
    for plugin, emitted in host.call_isolated("perfscore_findings", unit=unit, areas=areas):
        for finding in emitted or []:
            if not isinstance(finding, Finding):
                host.failures.append(PluginFailure(plugin, "perfscore_findings", f"returned {type(finding).__name__}, expected perfscore.Finding"))
                continue
            finding = finding.model_copy(update={"source": finding.source or plugin})
            # the same finding from two sources is one finding; keep the first by source name
            existing = findings.get(finding.key)
            if existing is None or finding.source < existing.source:
                findings[finding.key] = finding
    ordered = sorted(findings.values(), key=finding_sort_key)
    return Evaluation(unit, areas, ordered, host.failures[failures_before:])


def area_score_from_indicators(unit: UnitScore, area: str, extra: list[tuple[str, Decimal, Decimal]] = ()) -> AreaScore | None:
    """Earned ÷ possible × 100 over the unit's assessable rows of ``area`` plus ``extra``.

    ``extra`` holds (indicator id, earned, possible) for checks an area plugin scores from
    the ruleset's standards. Returns None when the unit has nothing in this area at all.
    """
    definition = unit.ruleset.areas[area]
    rows = [s for s in unit.indicators if s.definition.area == area]
    outputs = [o for p in unit.submission.projects for o in p.outputs if unit.ruleset.indicator_index[o.indicator].area == area]
    if not rows and not outputs and not extra and not any(p.area == area for p in unit.submission.projects):
        return None
    assessable = [s for s in rows if s.assessable]
    earned = sum((s.score for s in assessable), ZERO) + sum((e for _, e, _ in extra), ZERO)
    possible = sum((s.weight for s in assessable), ZERO) + sum((p for _, _, p in extra), ZERO)
    score = quantize(earned / possible * 100, unit.ruleset.arithmetic.places) if possible > ZERO else None
    ids = sorted({s.definition.id for s in assessable} | {i for i, _, _ in extra})
    if score is None:
        explanation = LocalText(
            zh=f"本领域无可评价指标（{len(rows)} 项指标缺少目标或不适用，{len(outputs)} 项产出未设定目标）",
            en=f"nothing in this area could be assessed ({len(rows)} rows without a target or not applicable, {len(outputs)} outputs reported without a target)",
        )
    else:
        explanation = LocalText(
            zh=f"{quantize(earned, 2)} ÷ {quantize(possible, 2)} × 100 = {score}（{len(ids)} 项指标）",
            en=f"{quantize(earned, 2)} ÷ {quantize(possible, 2)} × 100 = {score} ({len(ids)} indicators)",
        )
    return AreaScore(
        area=area, name=definition.name, name_en=definition.name_en, earned=quantize(earned, 2), possible=quantize(possible, 2),
        score=score, indicators=ids, explanation=explanation,
    )
