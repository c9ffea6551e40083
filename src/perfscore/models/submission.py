"""Submission models: one unit's annual self-evaluation, its projects, funds and indicator rows.

The *load* stage's output for a submission; the score stage reads it. Figures are bounded
(:data:`~perfscore.models.base.Figure`) so that no input can overflow the arithmetic.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from perfscore.errors import KeyedValueError, fill
from perfscore.models.base import Comparison, Count, Figure, FundSource, MoneyUnit, Strict, checked_figure



class UnitInfo(Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    year: int = Field(strict=True, ge=2000, le=2100)
    money_unit: MoneyUnit = "万元"
    region: str | None = None
    synthetic: bool = False
    source: str | None = None


#: where values came from: a key of the table it sits in → a cell such as "项目1!D12"
#: (written by ``perfscore import``; errors about that key name the cell too)
Origins = dict[str, str]


class StatedTotals(Strict):
    """Totals as the unit's own report states them (the 合计 row), checked against the parts."""

    budget: Figure | None = None
    spending: Figure | None = None
    own_level_budget: Figure | None = None
    own_level_spending: Figure | None = None
    projects_budgeted: Count | None = None
    projects_spent: Count | None = None
    work_funds_spending: Figure | None = None
    special_funds_spending: Figure | None = None
    #: the unit's own total self-score (自评总分), compared with the computed total
    self_score: Figure | None = None
    #: the report claims every target was met (已按计划完成目标)
    all_targets_met: bool = False
    origins: Origins | None = None


class FundLine(Strict):
    """One funds line (资金来源): budget and spending, and of each the unit's own-level share (区级资金)."""

    source: FundSource = "unspecified"
    #: 年初预算数: the base of the execution rate when the ruleset says ``budget.base = "initial"``
    initial_budget: Figure | None = None
    #: 全年预算数 (the adjusted annual budget)
    budget: Figure
    #: 全年执行数; None only with ``spending_unknown``
    spending: Figure | None = None
    #: the table does not give this line's spending: the execution rate cannot be computed
    spending_unknown: bool = False
    own_level_budget: Figure | None = None
    own_level_spending: Figure | None = None
    #: 偏差原因 written on the fund row; it counts as the project's execution reason
    reason: str | None = None
    note: str | None = None
    origins: Origins | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FundLine:
        if self.own_level_budget is not None and self.own_level_budget > self.budget:
            raise KeyedValueError(f"own_level_budget {self.own_level_budget} exceeds budget {self.budget}", "own_level_over_budget", fill(own=self.own_level_budget, budget=self.budget))
        if self.spending is None and not self.spending_unknown:
            raise KeyedValueError("spending is missing: give it, or write spending_unknown = true when the table does not state it", "spending_missing")
        if self.spending is not None and self.spending_unknown:
            raise KeyedValueError("spending is given and spending_unknown = true: keep one", "spending_both")
        return self


class BudgetItem(Strict):
    """A component of a project's budget as the report lists it (资金用途)."""

    name: str
    amount: Figure


class IndicatorRow(Strict):
    """A level-3 row of the 绩效自评表: target, actual, weight, and the unit's own account.

    A row names a library indicator (``indicator``) or defines its own (a free row: ``name``,
    ``level1``, ``level2``); a free row whose name is a library indicator's name or alias is
    linked to it (:meth:`perfscore.models.ruleset.Ruleset.row_definition`). Text values
    ("≥90人") are read into target, comparison and unit by the loader, which keeps the text
    in ``target_text`` / ``actual_text``.
    """

    indicator: str | None = Field(default=None, min_length=1)
    name: str | None = Field(default=None, min_length=1)
    name_en: str | None = None
    #: a level-1 id or printed name (产出指标); a library row keeps the library's when omitted
    level1: str | None = None
    level2: str | None = None
    target: Figure | None = None
    target_text: str | None = None
    comparison: Comparison | None = None
    unit: str | None = None
    actual: Figure | None = None
    actual_text: str | None = None
    weight: Figure | None = None
    #: a table with no 分值 column: the row's full score, which is then its weight
    full_score: Figure | None = None
    #: cut off in a truncated source: listed so its weight is known, never invented
    lost: bool = False
    origins: Origins | None = None
    tier: str | None = None
    self_score: Figure | None = None
    description: str | None = None
    reason: str | None = None
    not_applicable: bool = False
    deduction: Annotated[Decimal, Field(gt=0), BeforeValidator(checked_figure)] | None = None
    deduction_reason: str | None = None
    qualifier: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> IndicatorRow:
        if self.indicator is None and self.name is None:
            raise KeyedValueError("a row names a library indicator (indicator = id) or its own (name = …, with level1 and level2)", "row_unnamed")
        if self.deduction is not None and not (self.deduction_reason or "").strip():
            raise KeyedValueError("a deduction (扣减分数) needs a deduction_reason", "deduction_reason_missing")
        if self.weight is not None and self.full_score is not None and self.weight != self.full_score:
            raise KeyedValueError(f"weight {self.weight} and full_score {self.full_score} differ: a row's full score is its weight", "weight_full_score_differ", fill(weight=self.weight, full_score=self.full_score))
        return self

    @property
    def key(self) -> str:
        """What tells the row from the project's others: its library id, or its own name."""
        return self.indicator if self.indicator is not None else self.name  # type: ignore[return-value]

    @property
    def given_weight(self) -> Decimal | None:
        """The weight the unit gave: 分值, or the full score of a table without one."""
        return self.weight if self.weight is not None else self.full_score


class OutputRow(Strict):
    """An output the unit reports without an annual target (no 年度指标值)."""

    indicator: str
    origins: Origins | None = None
    actual: Figure
    unit: str | None = None
    #: how the report qualifies the figure: 约 (about), 近 (nearly), 余/以上 (more than)
    qualifier: Literal["约", "近", "余", "以上"] | None = None
    note: str | None = None


class SelfScores(Strict):
    """The scores a project's 自评表 prints: the budget row, level-1 categories, the total."""

    budget: Figure | None = None
    #: level-1 scores by id (output) or printed name (产出指标)
    levels: dict[str, Figure] = Field(default_factory=dict)
    total: Figure | None = None
    origins: Origins | None = None


class Project(Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    type: str | None = None
    purpose: str | None = None
    area: str | None = None
    money_unit: MoneyUnit | None = None
    funds: list[FundLine] = Field(min_length=1)
    budget_items: list[BudgetItem] = Field(default_factory=list)
    level1_weights: dict[str, Figure] | None = None
    indicators: list[IndicatorRow] = Field(default_factory=list)
    outputs: list[OutputRow] = Field(default_factory=list)
    #: the unit's explanation of an execution rate outside the expected range
    execution_reason: str | None = None
    #: the scores the unit's 自评表 prints for this project
    self_scores: SelfScores | None = None
    #: the report claims every target of this project was met
    all_targets_met: bool = False
    origins: Origins | None = None

    @field_validator("indicators")
    @classmethod
    def _unique_rows(cls, rows: list[IndicatorRow]) -> list[IndicatorRow]:
        seen: set[str] = set()
        for row in rows:
            key = row.key
            if key in seen:
                raise KeyedValueError(f"indicator {key!r} appears twice in this project", "indicator_twice", fill(indicator=repr(key)))
            seen.add(key)
        return rows

    @property
    def execution_reason_given(self) -> str | None:
        """The execution reason: the project's own, else a reason written on a fund row."""
        if (self.execution_reason or "").strip():
            return self.execution_reason
        reasons = [line.reason for line in self.funds if (line.reason or "").strip()]
        return "；".join(reasons) if reasons else None  # type: ignore[arg-type]


class Submission(Strict):
    """One unit's annual self-evaluation: the unit, its projects, and the totals it states."""

    format: Literal["perfscore-submission/1", "perfscore-submission/2"] = "perfscore-submission/1"
    ruleset: str | None = None
    unit: UnitInfo
    stated: StatedTotals | None = None
    projects: list[Project] = Field(min_length=1)

    @field_validator("projects")
    @classmethod
    def _unique_projects(cls, projects: list[Project]) -> list[Project]:
        seen: set[str] = set()
        for project in projects:
            if project.id in seen:
                raise KeyedValueError(f"project id {project.id!r} appears twice", "project_twice", fill(project=repr(project.id)))
            seen.add(project.id)
        return projects

    def money_unit_of(self, project: Project) -> str:
        return project.money_unit or self.unit.money_unit

