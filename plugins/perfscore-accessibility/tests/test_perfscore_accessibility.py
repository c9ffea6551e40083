"""The accessibility plugin loads, claims its area and scores retrofits and their cost."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from perfscore_accessibility import AccessibilityPlugin

from perfscore.engine import Engine
from perfscore.plugin.manager import make_host

SUBMISSION = """
format = "perfscore-submission/1"
ruleset = "canlian"
[unit]
id = "demo"
name = "示例单位"
year = 2022
[[projects]]
id = "retrofits"
name = "无障碍改造"
area = "accessibility"
[[projects.funds]]
budget = 60
spending = 60
[[projects.budget_items]]
name = "困难残疾人家庭无障碍改造"
amount = 60
[[projects.indicators]]
indicator = "accessibility.household_retrofits"
target = 90
actual = 99
"""


def test_plugin_scores_retrofit_cost(tmp_path: Path) -> None:
    """60万 over 99 households is 6060.61 元/户, just above the 6000 standard."""
    path = tmp_path / "demo.toml"
    path.write_text(SUBMISSION, encoding="utf-8")
    host = make_host(entry_points=False, extra=[("accessibility", AccessibilityPlugin())])
    evaluation = Engine(host).evaluate(path)
    area = evaluation.areas["accessibility"]
    assert area.source == "accessibility"
    assert "accessibility.retrofit_cost_per_household" in area.indicators
    cost = next(f for f in evaluation.findings if f.id == "accessibility.cost_per_household")
    assert round(cost.evidence["per_household"].value, 2) == Decimal("6060.61")
    assert cost.severity == "warning"
