"""perfscore: rules-driven scoring of project-expenditure performance self-evaluations.

The stages are modules: :mod:`~perfscore.load` (TOML → models), :mod:`~perfscore.scoring.score`
(indicators → projects → unit), :mod:`~perfscore.find` (area scores and findings),
:mod:`~perfscore.narrate.report` (problems, improvements, the report) and
:mod:`~perfscore.batch.table` (many units → one table). Plugin authors need only what is
exported here.
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
from perfscore.find import (
    AreaPlugin,
    Evaluation,
    area_score_from_indicators,
    make_finding,
    quantity,
)
from perfscore.plugin.hookspecs import hookimpl
from perfscore.scoring.methods import ScoringMethod
from perfscore.models import (
    AreaScore,
    Finding,
    IndicatorDef,
    Quantity,
    Ruleset,
    Submission,
)
from perfscore.scoring.score import IndicatorScore, ProjectScore, UnitScore

__all__ = [
    "AreaPlugin",
    "AreaScore",
    "Evaluation",
    "ExitCode",
    "Finding",
    "IndicatorDef",
    "IndicatorScore",
    "InputError",
    "PerfscoreError",
    "PluginError",
    "ProjectScore",
    "Quantity",
    "Ruleset",
    "RulesetError",
    "ScoringMethod",
    "Submission",
    "UnitScore",
    "__version__",
    "area_score_from_indicators",
    "hookimpl",
    "make_finding",
    "quantity",
]
