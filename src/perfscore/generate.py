"""Synthetic submissions for demos, tests and benchmarks (``perfscore generate``).

Beside the flow rather than in it: it writes the TOML files that load reads, beginning a
flow instead of ending one, and reads only the indicator library of the ``canlian``
ruleset (through :mod:`perfscore.load`).

Each unit is a district 残联 with 3–8 projects across the 残联 work areas, using indicator
ids from the ``canlian`` library: budgets in 万元, targets with actuals around them (most
met, some short with and without a reason, some over-completed, a few qualitative rows
with a tier), outputs reported without a target, and now and then a project without its
own-level (区级) funds split. Every unit is marked ``synthetic = true`` and named
（合成）, so generated data can never pass for a real report.

Generation is deterministic: unit ``i`` of seed ``S`` for year ``Y`` comes from
``random.Random("S:Y:i")``, so the first 50 units of a 1,000-unit run are the same 50 units
a 50-unit run writes, and another year with the same seed gives the same units (same ids,
for ``perfscore table --compare``) with that year's figures.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from pathlib import Path
from typing import Any

import tomli_w

from perfscore.errors import OutputError, Problem, fill
from perfscore.files import atomic_write, remove_stale_temporaries

CENT = Decimal("0.01")

DISTRICTS = (
    "城东区", "城西区", "城南区", "城北区", "高新区", "开发区", "江北区", "江南区", "河西区", "湖滨区",
    "山前区", "新城区", "老城区", "东湖区", "西山区", "北塘区", "南岸区", "金水区", "青云区", "白沙区",
)

#: area → project names a 残联 gives its projects in that area
PROJECT_NAMES: dict[str, tuple[str, ...]] = {
    "rehabilitation": ("残疾儿童康复救助项目", "残疾人辅助器具适配项目", "光明关爱复明项目", "残疾人基本康复服务项目"),
    "employment": ("残疾人就业培训项目", "残疾人托养服务项目", "扶残助学项目", "残疾人创业扶持项目"),
    "rights": ("残疾人维权项目", "困难残疾人临时救助项目"),
    "secretary": ("残疾人生活小秘书项目",),
    "accessibility": ("困难残疾人家庭无障碍改造项目", "社区无障碍环境建设项目"),
    "general": ("残疾人工作经费", "残疾人专职委员补贴", "残疾人证办理及动态更新经费"),
}

#: area → (lowest, highest) project budget in 万元
BUDGET_RANGES: dict[str, tuple[int, int]] = {
    "rehabilitation": (50, 400), "employment": (30, 300), "rights": (10, 100),
    "secretary": (50, 200), "accessibility": (20, 150), "general": (20, 120),
}


@dataclass(frozen=True, slots=True)
class Profile:
    """How a plausible target for one library indicator looks."""

    low: int
    high: int
    #: decimals of the figure: 0 for counts, 2 for money
    places: int = 0


#: targets by indicator id; percentages are percent numbers (95 means 95%)
PROFILES: dict[str, Profile] = {
    "rehabilitation.children_rehab_people": Profile(40, 300),
    "rehabilitation.children_rehab_months": Profile(300, 2400),
    "rehabilitation.children_free_training": Profile(50, 400),
    "rehabilitation.assistive_device_people": Profile(100, 800),
    "rehabilitation.assistive_devices": Profile(150, 1200),
    "rehabilitation.cataract_surgeries": Profile(10, 80),
    "rehabilitation.pterygium_surgeries": Profile(5, 40),
    "rehabilitation.prosthesis_people": Profile(3, 30),
    "rehabilitation.rehab_subsidy_amount": Profile(5, 40, 2),
    "rehabilitation.companion_households": Profile(5, 40),
    "rehabilitation.companion_amount": Profile(2, 15, 2),
    "rehabilitation.service_coverage": Profile(85, 100),
    "rehabilitation.satisfaction": Profile(90, 98),
    "employment.training_person_times": Profile(30, 300),
    "employment.training_pass_rate": Profile(85, 98),
    "employment.job_fair_intentions": Profile(20, 150),
    "employment.graduates_served": Profile(3, 30),
    "employment.graduates_employed": Profile(2, 25),
    "employment.graduate_employment_rate": Profile(60, 90),
    "employment.startup_support_people": Profile(2, 20),
    "employment.pension_subsidy_people": Profile(2, 30),
    "employment.blind_massage_institutions": Profile(1, 8),
    "employment.blind_massage_people": Profile(2, 20),
    "employment.poverty_help_households": Profile(5, 40),
    "employment.partner_aid_amount": Profile(2, 20, 2),
    "employment.care_centralized": Profile(50, 400),
    "employment.care_home": Profile(30, 200),
    "employment.care_insured": Profile(80, 500),
    "employment.education_aid_students": Profile(10, 80),
    "employment.education_aid_children": Profile(50, 300),
    "employment.education_aid_amount": Profile(20, 120, 2),
    "employment.poverty_monitoring_people": Profile(300, 2000),
    "employment.poverty_risk_households": Profile(0, 0),
    "employment.satisfaction": Profile(90, 98),
    "rights.petitions": Profile(20, 150),
    "rights.petition_completion_rate": Profile(95, 100),
    "rights.assigned_cases": Profile(1, 10),
    "rights.temporary_relief_people": Profile(50, 400),
    "rights.temporary_relief_amount": Profile(20000, 150000, 2),
    "rights.satisfaction": Profile(90, 98),
    "secretary.contracted_people": Profile(100, 400),
    "secretary.households_served": Profile(100, 400),
    "secretary.service_hours": Profile(10000, 40000),
    "secretary.streets_covered": Profile(6, 20),
    "secretary.contract_lots": Profile(2, 6),
    "secretary.hours_per_household": Profile(80, 150),
    "secretary.cost_per_hour": Profile(35, 60, 2),
    "secretary.satisfaction_rate": Profile(90, 98),
    "accessibility.household_retrofits": Profile(30, 200),
    "accessibility.community_retrofits": Profile(1, 6),
    "accessibility.cost_per_household": Profile(5000, 7000, 2),
    "accessibility.satisfaction": Profile(90, 98),
    "general.disability_certificates": Profile(800, 4000),
    "general.love_cards": Profile(30, 200),
    "general.liaison_officers": Profile(30, 120),
}

REASONS_SHORT = (
    "受疫情影响，部分服务对象无法按期接受服务，下一年度将加强统筹安排。",
    "符合条件的服务对象少于预期，下一步将加大宣传和摸排力度。",
    "项目招标延迟，服务开展时间缩短，已督促承接机构加快进度。",
    "部分对象因迁居或身体原因退出，将完善动态管理机制。",
)
REASONS_OVER = (
    "上级追加任务，年中调整了服务范围。",
    "年初目标设定偏保守，下一年度将结合实际需求科学设定目标。",
    "申请人数增加，经审核符合条件的全部纳入。",
)
REASONS_EXECUTION = (
    "部分资金按合同约定于次年支付尾款。",
    "项目实施进度滞后，结余资金按规定收回。",
    "年中追加上级补助资金，支出超过年初预算。",
)
DESCRIPTIONS = (
    "服务对象生活质量有所提升，家属反映良好。",
    "项目按计划实施，社会反响较好。",
    "基本实现年度目标，部分环节仍需改进。",
    "服务覆盖面扩大，残疾人获得感增强。",
)
DEDUCTION_REASONS = ("资料归档不完整，自评扣分。", "部分服务记录缺失，自评扣分。")
TIERS = (("met", "达成年度指标", Decimal("0.80"), Decimal("1.00")), ("partly", "部分达成年度指标并具有一定效果", Decimal("0.60"), Decimal("0.80")), ("not_met", "未达成年度指标且效果较差", Decimal("0.00"), Decimal("0.60")))

_LEVEL_WEIGHTS = {"output": 50, "benefit": 30, "satisfaction": 10}


def _library() -> dict[str, dict[str, Any]]:
    """The canlian indicator library as plain dicts (id → entry), read once."""
    from perfscore.load import load_ruleset

    ruleset = load_ruleset("canlian")
    return {indicator.id: {"area": indicator.area, "level1": indicator.level1, "unit": indicator.unit, "comparison": indicator.comparison, "required": indicator.required} for indicator in ruleset.indicators}


def _to_cents(value: float) -> Decimal:
    """A random float as the Decimal a unit would write: 2 decimals (data, not text)."""
    return Decimal(repr(value)).quantize(CENT)


def _random_amount(rng: random.Random, low: float, high: float) -> Decimal:
    """A random amount between ``low`` and ``high`` (万元), to the cent."""
    return (Decimal(rng.randint(int(low * 100), int(high * 100))) / 100).quantize(CENT)


class _UnitWriter:
    """Builds one synthetic unit from its own random stream."""

    def __init__(self, rng: random.Random, library: dict[str, dict[str, Any]]):
        self.rng = rng
        self.library = library
        self.by_area: dict[str, list[str]] = {}
        for indicator_id, entry in library.items():
            if indicator_id in PROFILES:
                self.by_area.setdefault(entry["area"], []).append(indicator_id)

    def unit(self, unit_id: str, number: int, year: int) -> dict[str, Any]:
        rng = self.rng
        areas = list(PROJECT_NAMES)
        rng.shuffle(areas)
        count = rng.randint(3, 8)
        chosen = areas[: min(count, len(areas))]
        while len(chosen) < count:
            chosen.append(rng.choice(areas))
        projects = []
        used_names: set[str] = set()
        for index, area in enumerate(chosen):
            names = [name for name in PROJECT_NAMES[area] if name not in used_names] or [f"{PROJECT_NAMES[area][0]}（{index + 1}）"]
            name = rng.choice(names)
            used_names.add(name)
            projects.append(self.project(f"{area}-{index + 1}", name, area))
        submission: dict[str, Any] = {
            "format": "perfscore-submission/1",
            "ruleset": "canlian",
            "unit": {
                "id": unit_id,
                "name": f"{rng.choice(DISTRICTS)}残联（合成 #{number}）",
                "year": year,
                "money_unit": "万元",
                "region": "合成数据 synthetic",
                "synthetic": True,
                "source": "perfscore generate",
            },
        }
        stated = self.stated(projects)
        if stated:
            submission["stated"] = stated
        submission["projects"] = projects
        return submission

    def stated(self, projects: list[dict[str, Any]]) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < 0.3:
            return {}
        lines = [line for project in projects for line in project["funds"]]
        stated: dict[str, Any] = {
            "budget": sum((line["budget"] for line in lines), Decimal(0)),
            "spending": sum((line["spending"] for line in lines), Decimal(0)),
            "projects_budgeted": len(projects),
            "projects_spent": len(projects),
        }
        if rng.random() < 0.06:  # reports' own totals sometimes disagree with their tables
            stated["spending"] = (stated["spending"] + _random_amount(rng, 0.5, 30)).quantize(CENT)
        return stated

    def funds(self, area: str) -> tuple[list[dict[str, Any]], Decimal]:
        rng = self.rng
        low, high = BUDGET_RANGES[area]
        budget = _random_amount(rng, low, high)
        draw = rng.random()
        if draw < 0.10:
            rate = Decimal(1)
        elif draw < 0.75:
            rate = _to_cents(rng.uniform(0.92, 1.0))
        elif draw < 0.93:
            rate = _to_cents(rng.uniform(0.6, 0.9))
        else:
            rate = _to_cents(rng.uniform(1.01, 1.4))
        split = rng.random() < 0.3
        shares = [Decimal(1)] if not split else [_to_cents(rng.uniform(0.6, 0.9))]
        if split:
            shares.append(Decimal(1) - shares[0])
        sources = ["unspecified"] if not split else ["fiscal", "carry_over"]
        if not split and rng.random() < 0.4:
            sources = ["fiscal"]
        own_known = rng.random() >= 0.12
        lines = []
        given = Decimal(0)
        for position, (source, share) in enumerate(zip(sources, shares)):
            line_budget = (budget * share).quantize(CENT) if position < len(shares) - 1 else budget - given
            given += line_budget
            line: dict[str, Any] = {"source": source, "budget": line_budget, "spending": (line_budget * rate).quantize(CENT)}
            if own_known:
                own_share = Decimal(1) if rng.random() < 0.6 else _to_cents(rng.uniform(0.5, 0.95))
                own_budget = (line_budget * own_share).quantize(CENT, rounding=ROUND_DOWN)
                line["own_level_budget"] = own_budget
                line["own_level_spending"] = (own_budget * _to_cents(rng.uniform(0.8, 1.0))).quantize(CENT)
            lines.append(line)
        return lines, rate

    def project(self, project_id: str, name: str, area: str) -> dict[str, Any]:
        rng = self.rng
        funds, rate = self.funds(area)
        pool = list(self.by_area[area])
        rng.shuffle(pool)
        by_level: dict[str, list[str]] = {"output": [], "benefit": [], "satisfaction": []}
        for indicator_id in pool:
            by_level[self.library[indicator_id]["level1"]].append(indicator_id)
        # indicators the ruleset requires of this area come first, and are left out only now and then
        required = [i for i in pool if self.library[i]["required"] and rng.random() < 0.95]
        for level in by_level.values():
            level.sort(key=lambda i: i not in required)
        rows_ids = by_level["output"][: rng.randint(2, min(5, len(by_level["output"])))]
        if by_level["benefit"] and rng.random() < 0.9:
            rows_ids.append(by_level["benefit"][0])
        if by_level["satisfaction"] and (by_level["satisfaction"][0] in required or rng.random() < 0.92):
            rows_ids.append(by_level["satisfaction"][0])
        levels_present = {self.library[i]["level1"] for i in rows_ids}

        # A project with no row in a level either moves that level's weight to outputs (a
        # unit's adjustment of first-level weights) or, now and then, simply loses it.
        level1_weights: dict[str, int] | None = None
        missing = [level for level in _LEVEL_WEIGHTS if level not in levels_present]
        if missing and rng.random() < 0.85:
            level1_weights = {"budget": 10} | {level: weight for level, weight in _LEVEL_WEIGHTS.items() if level in levels_present}
            level1_weights["output"] += sum(_LEVEL_WEIGHTS[level] for level in missing)
        elif not missing and rng.random() < 0.1:
            level1_weights = {"budget": 20, "output": 40, "benefit": 30, "satisfaction": 10}
        weights_in_force = level1_weights or ({"budget": 10} | _LEVEL_WEIGHTS)

        explicit = rng.random() < 0.35
        row_weights: dict[str, Decimal] = {}
        if explicit:
            for level in levels_present:
                members = sorted(i for i in rows_ids if self.library[i]["level1"] == level)
                total = Decimal(weights_in_force[level])
                share = (total / len(members)).quantize(CENT, rounding=ROUND_DOWN)
                for member in members[:-1]:
                    row_weights[member] = share
                row_weights[members[-1]] = total - share * (len(members) - 1)

        indicators = [self.row(indicator_id, row_weights.get(indicator_id)) for indicator_id in rows_ids]
        project: dict[str, Any] = {"id": project_id, "name": name, "type": "部门专项", "area": area}
        if level1_weights is not None:
            project["level1_weights"] = level1_weights
        if not (Decimal("0.9") <= rate <= Decimal(1)) and rng.random() < 0.6:
            project["execution_reason"] = rng.choice(REASONS_EXECUTION)
        project["funds"] = funds
        unused = [i for i in pool if i not in rows_ids and self.library[i]["level1"] == "output"]
        if unused and rng.random() < 0.4:
            project["outputs"] = [self.output(indicator_id) for indicator_id in unused[: rng.randint(1, min(3, len(unused)))]]
        project["indicators"] = indicators
        return project

    def figure(self, profile: Profile, value: float) -> int | Decimal:
        if profile.places == 0:
            return max(0, round(value))
        return _to_cents(max(0.0, value))

    def row(self, indicator_id: str, weight: Decimal | None) -> dict[str, Any]:
        rng = self.rng
        entry, profile = self.library[indicator_id], PROFILES[indicator_id]
        row: dict[str, Any] = {"indicator": indicator_id}
        if weight is not None:
            row["weight"] = weight
        if rng.random() < 0.5:
            row["unit"] = entry["unit"]
        if rng.random() < 0.08:
            tier_id, tier_name, low, high = TIERS[0] if rng.random() < 0.7 else (TIERS[1] if rng.random() < 0.85 else TIERS[2])
            row.pop("unit", None)
            row |= {"comparison": "qualitative", "tier": rng.choice((tier_id, tier_name)), "description": rng.choice(DESCRIPTIONS)}
            if weight is not None and rng.random() < 0.6:
                lowest, highest = (low * weight).quantize(CENT, rounding=ROUND_UP), (high * weight).quantize(CENT, rounding=ROUND_DOWN)
                row["self_score"] = (Decimal(rng.randint(int(lowest * 100), int(highest * 100))) / 100).quantize(CENT)
            return row
        target_value = rng.randint(profile.low, profile.high) if profile.places == 0 else rng.uniform(profile.low, profile.high)
        target = self.figure(profile, target_value)
        comparison = entry["comparison"]
        draw = rng.random()
        if comparison == "=":
            actual = target if draw < 0.93 else target + 1
        elif comparison == "<=":
            factor = rng.uniform(0.85, 1.0) if draw < 0.85 else rng.uniform(1.01, 1.3)
            actual = self.figure(profile, float(target) * factor)
            if factor > 1 and rng.random() < 0.6:
                row["reason"] = rng.choice(REASONS_SHORT)
        else:
            if draw < 0.60:
                factor = rng.uniform(1.0, 1.15)
            elif draw < 0.70:
                factor = rng.uniform(1.3, 1.8)
            elif draw < 0.90:
                factor = rng.uniform(0.5, 0.99)
            else:
                factor = 1.0
            actual = self.figure(profile, float(target) * factor)
            if entry["unit"] == "%":
                actual = min(actual, 100)
            if actual < target and rng.random() < 0.65:
                row["reason"] = rng.choice(REASONS_SHORT)
            elif target > 0 and actual >= target * Decimal("1.3") and rng.random() < 0.5:
                row["reason"] = rng.choice(REASONS_OVER)
        row["target"] = target
        row["actual"] = actual
        if rng.random() < 0.02:
            row["deduction"] = Decimal(rng.choice(("0.5", "1", "1.5", "2")))
            row["deduction_reason"] = rng.choice(DEDUCTION_REASONS)
        return row

    def output(self, indicator_id: str) -> dict[str, Any]:
        profile = PROFILES[indicator_id]
        value = self.rng.randint(profile.low, profile.high) if profile.places == 0 else self.rng.uniform(profile.low, profile.high)
        return {"indicator": indicator_id, "actual": self.figure(profile, value), "unit": self.library[indicator_id]["unit"]}


def make_submission(index: int, seed: int = 0, year: int = 2022, library: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Synthetic unit number ``index`` (0-based) of ``seed`` as a TOML-ready dict."""
    # the year is part of the stream: the same seed gives the same units (ids) a new year's figures
    writer = _UnitWriter(random.Random(f"{seed}:{year}:{index}"), library or _library())
    return writer.unit(f"synthetic-{seed}-{index + 1:05d}", index + 1, year)


def write_submissions(count: int, seed: int, out_dir: Path, year: int = 2022, jobs: int = 1) -> list[Path]:
    """Write ``count`` synthetic submissions to ``out_dir`` (created if missing); return their paths.

    With ``jobs`` > 1 the units are written by that many processes, each a run of indices
    (unit ``i`` depends only on seed, year and ``i``: the files are the same whatever the
    number of processes). Files are renamed into place but not forced to the disk one by
    one (``atomic_write(durable=False)``): an fsync a file was a third of the time, and a
    synthetic batch can be written again.
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(Problem(f"cannot create the output folder: {error.strerror or error}", file=str(out_dir), expected="a folder path that can be created", key="cannot_create_folder", expected_key="expected_creatable_folder", fields=fill(reason=error.strerror or error))) from None
    # One look for the temporary files of a killed earlier run, not one a unit: listing a
    # folder of thousands once per file written would be quadratic.
    remove_stale_temporaries(out_dir)
    if jobs <= 1 or count < 2 * GENERATE_CHUNK:
        return _write_range(0, count, seed, out_dir, year)
    import concurrent.futures

    starts = range(0, count, GENERATE_CHUNK)
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        written = pool.map(_write_range, starts, [min(count, start + GENERATE_CHUNK) for start in starts], *zip(*[(seed, out_dir, year)] * len(starts)))
        return [path for chunk in written for path in chunk]


#: units a worker of ``generate --jobs`` writes at a time
GENERATE_CHUNK = 250
#: the first line of every generated file
HEADER = "# Synthetic submission (合成数据) written by `perfscore generate`; not a real unit's report.\n"


def _write_range(start: int, stop: int, seed: int, out_dir: Path, year: int) -> list[Path]:
    """Write units ``start`` to ``stop - 1`` of ``seed``; their paths."""
    library = _library()
    paths = []
    for index in range(start, stop):
        submission = make_submission(index, seed, year, library)
        path = out_dir / f"{submission['unit']['id']}.toml"
        atomic_write(path, HEADER + tomli_w.dumps(submission), remove_stale=False, durable=False)
        paths.append(path)
    return paths
