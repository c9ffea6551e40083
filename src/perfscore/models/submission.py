"""Submission models: one unit's annual self-evaluation, its projects, funds and indicator rows.

The *load* stage's output for a submission; the score stage reads it. Figures are bounded
(:data:`~perfscore.models.base.Figure`) so that no input can overflow the arithmetic.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from perfscore.models.base import Comparison, Count, Figure, FundSource, MoneyUnit, Strict, checked_figure



class UnitInfo(Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    year: int = Field(strict=True, ge=2000, le=2100)
    money_unit: MoneyUnit = "万元"
    region: str | None = None
    synthetic: bool = False
    source: str | None = None


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


class FundLine(Strict):
    """One funds line (资金来源): budget and spending, and of each the unit's own-level share (区级资金)."""

    source: FundSource = "unspecified"
    budget: Figure
    spending: Figure
    own_level_budget: Figure | None = None
    own_level_spending: Figure | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _own_within_total(self) -> FundLine:
        if self.own_level_budget is not None and self.own_level_budget > self.budget:
            raise ValueError(f"own_level_budget {self.own_level_budget} exceeds budget {self.budget}")
        return self


class BudgetItem(Strict):
    """A component of a project's budget as the report lists it (资金用途)."""

    name: str
    amount: Figure


class IndicatorRow(Strict):
    """A level-3 row of the 绩效自评表: target, actual, weight, and the unit's own account."""

    indicator: str
    name: str | None = None
    target: Figure | None = None
    comparison: Comparison | None = None
    unit: str | None = None
    actual: Figure | None = None
    weight: Figure | None = None
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
    def _deduction_has_reason(self) -> IndicatorRow:
        if self.deduction is not None and not (self.deduction_reason or "").strip():
            raise ValueError("a deduction (扣减分数) needs a deduction_reason")
        return self


class OutputRow(Strict):
    """An output the unit reports without an annual target (no 年度指标值)."""

    indicator: str
    actual: Figure
    unit: str | None = None
    #: how the report qualifies the figure: 约 (about), 近 (nearly), 余/以上 (more than)
    qualifier: Literal["约", "近", "余", "以上"] | None = None
    note: str | None = None


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

    @field_validator("indicators")
    @classmethod
    def _unique_rows(cls, rows: list[IndicatorRow]) -> list[IndicatorRow]:
        seen: set[str] = set()
        for row in rows:
            if row.indicator in seen:
                raise ValueError(f"indicator {row.indicator!r} appears twice in this project")
            seen.add(row.indicator)
        return rows


class Submission(Strict):
    """One unit's annual self-evaluation: the unit, its projects, and the totals it states."""

    format: Literal["perfscore-submission/1"] = "perfscore-submission/1"
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
                raise ValueError(f"project id {project.id!r} appears twice")
            seen.add(project.id)
        return projects

    def money_unit_of(self, project: Project) -> str:
        return project.money_unit or self.unit.money_unit

