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

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: where each public name lives: imported when first asked for (PEP 562), so that a command
#: which needs none of them (``table --db``, ``history``) does not pay for the engine, the
#: models and the plugin machinery at start-up; ``from perfscore import X`` works as before
_EXPORTS = {
    "AreaPlugin": "perfscore.plugin.sdk",
    "AreaScore": "perfscore.models",
    "BudgetLine": "perfscore.plugin.sdk",
    "Check": "perfscore.plugin.sdk",
    "Engine": "perfscore.engine",
    "Evaluation": "perfscore.find",
    "ExitCode": "perfscore.errors",
    "Figure": "perfscore.plugin.sdk",
    "Finding": "perfscore.models",
    "IndicatorDef": "perfscore.models",
    "IndicatorScore": "perfscore.scoring.score",
    "InputError": "perfscore.errors",
    "Measurement": "perfscore.plugin.sdk",
    "PerfscoreError": "perfscore.errors",
    "PluginError": "perfscore.errors",
    "PluginHost": "perfscore.plugin.manager",
    "ProjectScore": "perfscore.scoring.score",
    "Quantity": "perfscore.models",
    "Ruleset": "perfscore.models",
    "RulesetError": "perfscore.errors",
    "ScoringMethod": "perfscore.scoring.methods",
    "Submission": "perfscore.models",
    "UnitScore": "perfscore.scoring.score",
    "area_score_from_indicators": "perfscore.plugin.sdk",
    "at_least_check": "perfscore.plugin.sdk",
    "budget_item": "perfscore.plugin.sdk",
    "figure": "perfscore.plugin.sdk",
    "hookimpl": "perfscore.plugin.hookspecs",
    "make_finding": "perfscore.plugin.sdk",
    "make_host": "perfscore.plugin.manager",
    "money": "perfscore.plugin.sdk",
    "pass_fail_check": "perfscore.plugin.sdk",
    "percent_quantity": "perfscore.plugin.sdk",
    "project_of_area": "perfscore.plugin.sdk",
    "quantity": "perfscore.plugin.sdk",
    "render_template": "perfscore.plugin.sdk",
    "setting": "perfscore.plugin.sdk",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'perfscore' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


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
