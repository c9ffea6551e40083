"""Validated models: rulesets, unit submissions, and the findings plugins make.

The bottom of the data flow (docs/architecture.md): the *load* stage produces
:mod:`.ruleset` and :mod:`.submission` models, every later stage reads them, and plugins
build :mod:`.findings` models. They are pydantic v2 models, frozen and strict about unknown
keys. Everything is re-exported here, so ``from perfscore.models import Ruleset`` is the
way to import them.
"""

from __future__ import annotations

from perfscore.models.base import (
    MONEY_FACTORS,
    MONEY_UNITS_IN_YUAN,
    Comparison,
    Count,
    Figure,
    FundSource,
    MoneyUnit,
    Strict,
)
from perfscore.models.findings import (
    SEVERITY_ORDER,
    AreaScore,
    DeferredText,
    Finding,
    LocalText,
    Quantity,
)
from perfscore.models.ruleset import (
    AreaDef,
    ArithmeticRules,
    Band,
    BudgetRules,
    DeductionRule,
    FindingRule,
    FindingTemplate,
    GradeBand,
    IndicatorDef,
    Level1Def,
    Level2Def,
    NarrativeRules,
    OverCompletionRules,
    QualitativeRules,
    Ruleset,
    RulesetMeta,
    Tier,
)
from perfscore.models.submission import (
    BudgetItem,
    FundLine,
    IndicatorRow,
    OutputRow,
    Project,
    SelfScores,
    StatedTotals,
    Submission,
    UnitInfo,
)

__all__ = [
    "MONEY_FACTORS",
    "MONEY_UNITS_IN_YUAN",
    "SEVERITY_ORDER",
    "AreaDef",
    "AreaScore",
    "ArithmeticRules",
    "Band",
    "BudgetItem",
    "BudgetRules",
    "Comparison",
    "Count",
    "DeductionRule",
    "DeferredText",
    "Figure",
    "Finding",
    "FindingRule",
    "FindingTemplate",
    "FundLine",
    "FundSource",
    "GradeBand",
    "IndicatorDef",
    "IndicatorRow",
    "Level1Def",
    "Level2Def",
    "LocalText",
    "MoneyUnit",
    "NarrativeRules",
    "OutputRow",
    "OverCompletionRules",
    "Project",
    "QualitativeRules",
    "Quantity",
    "Ruleset",
    "RulesetMeta",
    "SelfScores",
    "StatedTotals",
    "Strict",
    "Submission",
    "Tier",
    "UnitInfo",
]
