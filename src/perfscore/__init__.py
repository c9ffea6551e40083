"""perfscore: rules-driven scoring of project-expenditure performance self-evaluations.

The public API, at the top of the flow: what a plugin author or a caller imports. The
stages are subpackages and modules: :mod:`~perfscore.load` (TOML → models),
:mod:`~perfscore.scoring` (indicators → projects → unit), :mod:`~perfscore.plugin` (the
hooks, and the SDK area plugins build with), :mod:`~perfscore.rules` (declarative finding
rules), :mod:`~perfscore.find` (area scores and findings), :mod:`~perfscore.narrate`
(problems, improvements, the report) and :mod:`~perfscore.batch` (many units → one table).
Plugin authors need only what is exported here.
"""

from __future__ import annotations

__version__ = "0.1.0"

from perfscore.errors import (
    ExitCode,
    InputError,
    PerfscoreError,
    PluginError,
    RulesetError,
)
from perfscore.engine import Engine
from perfscore.find import Evaluation
from perfscore.models import (
    AreaScore,
    Finding,
    IndicatorDef,
    Quantity,
    Ruleset,
    Submission,
)
from perfscore.plugin.hookspecs import hookimpl
from perfscore.plugin.manager import PluginHost, make_host
from perfscore.plugin.sdk import (
    AreaPlugin,
    BudgetLine,
    Check,
    Figure,
    Measurement,
    area_score_from_indicators,
    at_least_check,
    budget_item,
    figure,
    make_finding,
    money,
    pass_fail_check,
    percent_quantity,
    project_of_area,
    quantity,
    render_template,
    setting,
)
from perfscore.scoring.methods import ScoringMethod
from perfscore.scoring.score import IndicatorScore, ProjectScore, UnitScore

__all__ = [
    "AreaPlugin",
    "AreaScore",
    "BudgetLine",
    "Check",
    "Engine",
    "Evaluation",
    "ExitCode",
    "Figure",
    "Finding",
    "IndicatorDef",
    "IndicatorScore",
    "InputError",
    "Measurement",
    "PerfscoreError",
    "PluginError",
    "PluginHost",
    "ProjectScore",
    "Quantity",
    "Ruleset",
    "RulesetError",
    "ScoringMethod",
    "Submission",
    "UnitScore",
    "__version__",
    "area_score_from_indicators",
    "at_least_check",
    "budget_item",
    "figure",
    "hookimpl",
    "make_finding",
    "make_host",
    "money",
    "pass_fail_check",
    "percent_quantity",
    "project_of_area",
    "quantity",
    "render_template",
    "setting",
]
