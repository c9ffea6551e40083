"""User-facing labels in Chinese (the default) and English.

Code, comments and docs are English; what a finance officer reads is Chinese unless they
ask for ``--lang en``. Labels live here, finding wording lives in template TOML.
"""

from __future__ import annotations

from typing import Any, Mapping

LANGUAGES = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    "unit": ("单位", "Unit"),
    "year": ("年度", "Year"),
    "project": ("项目", "Project"),
    "projects": ("项目", "Projects"),
    "ruleset": ("规则集", "Ruleset"),
    "fingerprint": ("指纹", "Fingerprint"),
    "budget": ("预算数", "Budget"),
    "spending": ("执行数", "Spending"),
    "execution_rate": ("执行率", "Execution rate"),
    "own_level_execution_rate": ("本级资金执行率", "Own-level execution rate"),
    "budget_score": ("预算执行得分", "Budget score"),
    "total": ("总分", "Total"),
    "grade": ("等级", "Grade"),
    "assessable": ("可评价分值", "Assessable points"),
    "unit_total": ("单位综合得分", "Unit total"),
    "indicator": ("指标", "Indicator"),
    "target": ("年度指标值", "Target"),
    "actual": ("实际完成值", "Actual"),
    "completion": ("完成率", "Completion"),
    "weight": ("分值", "Weight"),
    "score": ("得分", "Score"),
    "status": ("状态", "Status"),
    "area": ("领域", "Area"),
    "areas": ("领域得分", "Area scores"),
    "earned": ("实得分", "Earned"),
    "possible": ("应得分", "Possible"),
    "findings": ("发现", "Findings"),
    "severity": ("级别", "Severity"),
    "evidence": ("依据", "Evidence"),
    "source": ("来源", "Source"),
    "no_findings": ("无", "none"),
    "rule": ("规则", "Rule"),
    "inputs": ("输入", "Inputs"),
    "formula": ("计算", "Formula"),
    "result": ("结果", "Result"),
    "incomplete": ("结果不完整：以下插件运行失败", "Incomplete result: these plugins failed"),
    "money_unit": ("金额单位", "Money unit"),
    "outputs_without_target": ("未设定目标的产出", "Outputs reported without a target"),
    "valid": ("校验通过", "valid"),
    "synthetic": ("（合成数据）", " (synthetic)"),
}

SEVERITY_NAMES = {"problem": ("问题", "problem"), "warning": ("提示", "warning"), "info": ("说明", "info")}

STATUS_NAMES = {
    "scored": ("已评分", "scored"),
    "not_applicable": ("不适用", "not applicable"),
    "missing_target": ("缺少目标", "no target"),
    "missing_actual": ("缺少实际值", "no actual"),
}


def localized(texts: Mapping[str, tuple[Any, Any]], key: str, lang: str) -> Any:
    """The Chinese or English entry of ``key`` in a table of (zh, en) pairs."""
    zh, en = texts[key]
    return zh if lang == "zh" else en


def label(key: str, lang: str) -> str:
    return localized(LABELS, key, lang)


def severity_name(severity: str, lang: str) -> str:
    return localized(SEVERITY_NAMES, severity, lang)


def status_name(status: str, lang: str) -> str:
    return localized(STATUS_NAMES, status, lang)
