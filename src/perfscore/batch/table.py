"""Tabulate stage: many scored units → one ranked, comparable table (``perfscore table``).

Rows are units (or projects, or areas); every row was scored by the same ruleset, which
the table names with its version and fingerprint. A batch that mixes rulesets or years is
refused unless the user asks for it (``--allow-mixed``). Ranks are competition ranks on
the total rounded to 2 places (1, 2, 2, 4), ties listed by unit id, so the table does not
depend on the order files were found or finished in. Below the table: the count per
grade and the mean, median, minimum and maximum total; then any files that could not be
scored, with their problems. Definitions: docs/table.md.

Scoring is streamed through :mod:`perfscore.batch.run`; this module sees only summaries.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import sys
from argparse import Namespace
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path
from typing import Any, Iterable

from tabulate import tabulate as render_table
from wcwidth import wcswidth

from perfscore.arithmetic import HUNDRED, ZERO, quantize
from perfscore.batch.run import (
    BY_CHOICES,
    Failed,
    Progress,
    RulesetInfo,
    Scored,
    discover,
    make_scorer,
    money,
    score_files,
)
from perfscore.errors import ExitCode, PerfscoreError, Problem
from perfscore.files import atomic_write
from perfscore.messages import pick

TABLE_FORMAT = "perfscore-table/1"
#: how many scored files the table collects between two gc.freeze() calls
FREEZE_EVERY = 500
TWO = 2

#: column key → (zh header, en header); level, area and ruleset columns are added per table
HEADERS: dict[str, tuple[str, str]] = {
    "rank": ("名次", "Rank"),
    "unit_id": ("单位编号", "Unit id"),
    "unit": ("单位", "Unit"),
    "project_id": ("项目编号", "Project id"),
    "project": ("项目", "Project"),
    "area": ("领域", "Area"),
    "units": ("单位数", "Units"),
    "projects": ("项目数", "Projects"),
    "year": ("年度", "Year"),
    "budget": ("预算数（万元）", "Budget (10k yuan)"),
    "spending": ("执行数（万元）", "Spending (10k yuan)"),
    "execution_rate": ("执行率%", "Execution %"),
    "budget_score": ("预算执行", "Budget execution"),
    "area_score": ("领域得分", "Area score"),
    "total": ("总分", "Total"),
    "grade": ("等级", "Grade"),
    "problem": ("问题", "Problems"),
    "warning": ("提示", "Warnings"),
    "info": ("说明", "Info"),
    "missing": ("必填缺失", "Required missing"),
    "missing_ids": ("缺失的必填指标", "Missing required indicators"),
    "previous_total": ("上年总分", "Previous total"),
    "previous_grade": ("上年等级", "Previous grade"),
    "delta": ("总分变化", "Change"),
    "rank_change": ("名次变化", "Rank change"),
    "ruleset": ("规则集", "Ruleset"),
    "file": ("文件", "File"),
}
#: columns sorted ascending by default; every other column sorts descending (biggest first)
TEXT_COLUMNS = {"unit_id", "unit", "project_id", "project", "area", "grade", "previous_grade", "ruleset", "file", "missing_ids", "rank"}
#: columns only machine formats (csv, json) carry: they would make a terminal table too wide
MACHINE_ONLY = {"unit_id", "project_id", "missing_ids", "file"}

TEXT = {
    "title": ("项目支出绩效自评排名表", "Project-expenditure performance self-evaluation ranking"),
    "by": ({"unit": "按单位", "project": "按项目", "area": "按领域"}, {"unit": "by unit", "project": "by project", "area": "by area"}),
    "rows": ("行数", "rows"),
    "files": ("文件", "files"),
    "ruleset": ("规则集", "Ruleset"),
    "fingerprint": ("指纹", "fingerprint"),
    "year": ("年度", "Year"),
    "compared": ("对比", "Compared with"),
    "summary": ("汇总", "Summary"),
    "count": ("数量", "count"),
    "mean": ("平均", "mean"),
    "median": ("中位数", "median"),
    "min": ("最低", "min"),
    "max": ("最高", "max"),
    "errors": ("未能评分的文件", "Files that could not be scored"),
    "incomplete": ("结果不完整（插件运行失败）", "Incomplete results (a plugin failed)"),
    "missing_note": ("缺少规则集要求的必填指标的行：{count}（见“必填缺失”列；--format json 或 csv 列出指标编号）", "Rows missing indicators the ruleset requires: {count} (column “Required missing”; --format json or csv lists the ids)"),
    "duplicates": ("单位编号重复：{ids}", "Unit ids given by more than one file: {ids}"),
    "gone": ("上年有、本年没有的：{count}（{ids}）", "In the previous year but not in this batch: {count} ({ids})"),
    "mixed": ("注意：本表混合了不同规则集或年度（--allow-mixed），各行未必可比", "Note: this table mixes rulesets or years (--allow-mixed); rows may not be comparable"),
    "none": ("无", "none"),
}


def text(key: str, lang: str) -> Any:
    return pick(TEXT[key], lang)


# --------------------------------------------------------------------------- the table


@dataclass(slots=True)
class Column:
    key: str
    header: str
    numeric: bool


@dataclass(slots=True)
class Table:
    """A ranked table: its columns, rows (column key → value), summary and failures."""

    by: str
    lang: str
    rulesets: list[RulesetInfo]
    years: list[int]
    columns: list[Column]
    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    failures: list[Failed] = field(default_factory=list)
    incomplete: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: int = 0
    mixed: bool = False
    previous: dict[str, Any] | None = None

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.PARTIAL if self.failures or self.incomplete else ExitCode.OK


def competition_ranks(rows: list[dict[str, Any]], tie_key: str = "_tie") -> None:
    """Sort ``rows`` best first and give each its rank: 1, 2, 2, 4 on the total rounded to 2 places.

    Rows with equal rounded totals share a rank and are listed by ``tie_key`` (the unit
    id, then the file); rows without a total come last, unranked.
    """
    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        total = row["total"]
        return (total is None, -(quantize(total, TWO)) if total is not None else ZERO, row[tie_key])

    rows.sort(key=key)
    previous: Decimal | None = None
    rank = 0
    for position, row in enumerate(rows, start=1):
        total = None if row["total"] is None else quantize(row["total"], TWO)
        if total is None:
            row["rank"] = None
            continue
        if total != previous:
            rank, previous = position, total
        row["rank"] = rank


def _median(values: list[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def summarise(rows: list[dict[str, Any]], rulesets: list[RulesetInfo]) -> dict[str, Any]:
    """Count per grade (in the ruleset's order), mean, median, min and max of the totals."""
    grades: dict[str, int] = {}
    for info in rulesets:
        for grade, _, _ in info.grades:
            grades.setdefault(grade, 0)
    totals = [row["total"] for row in rows if row["total"] is not None]
    for row in rows:
        if row["grade"] is not None:
            grades[row["grade"]] = grades.get(row["grade"], 0) + 1
    if not totals:
        return {"count": 0, "grades": grades, "mean": None, "median": None, "min": None, "max": None}
    return {
        "count": len(totals),
        "grades": grades,
        "mean": quantize(sum(totals, ZERO) / len(totals), TWO),
        "median": quantize(_median(totals), TWO),
        "min": quantize(min(totals), TWO),
        "max": quantize(max(totals), TWO),
    }


def _rate(spending: Decimal, budget: Decimal) -> Decimal | None:
    return quantize(spending / budget * HUNDRED, TWO) if budget > ZERO else None


def _unit_name(scored: Scored, lang: str) -> str:
    name = scored.unit
    if scored.synthetic and "合成" not in name and "synthetic" not in name.lower():
        name += "（合成）" if lang == "zh" else " (synthetic)"
    return name


def _ruleset_label(info: RulesetInfo) -> str:
    return f"{info.id} {info.version}"


def build_rows(results: list[Scored], by: str, lang: str, show_ruleset: bool) -> list[dict[str, Any]]:
    """One row per unit or project, or per area summed over every unit's share."""
    rows: list[dict[str, Any]] = []
    if by in ("unit", "project"):
        for scored in results:
            for part in scored.parts:
                row = {
                    "unit_id": scored.unit_id,
                    "unit": _unit_name(scored, lang),
                    "year": scored.year,
                    "budget": money(part.budget),
                    "spending": money(part.spending),
                    "execution_rate": _rate(part.spending, part.budget),
                    "budget_score": part.points.get("budget"),
                    **{f"level:{level}": value for level, value in part.points.items() if level != "budget"},
                    **{f"area:{area}": value for area, value in part.area_scores.items()},
                    "total": part.total,
                    "grade": part.grade,
                    "problem": part.findings[0],
                    "warning": part.findings[1],
                    "info": part.findings[2],
                    "missing": len(part.missing_required),
                    "missing_ids": " ".join(part.missing_required),
                    "file": scored.file,
                    "_key": part.key if by == "project" else scored.unit_id,
                    "_tie": (scored.unit_id, part.project_id, scored.file),
                }
                if by == "project":
                    names = {area: (zh if lang == "zh" else en) for area, zh, en in scored.ruleset.areas}
                    row |= {"project_id": part.project_id, "project": part.project, "area": names.get(part.area, part.area or "—")}
                if show_ruleset:
                    row["ruleset"] = _ruleset_label(scored.ruleset)
                rows.append(row)
        return rows
    # by area: add up every unit's share of each area
    shares: dict[str, dict[str, Any]] = {}
    for scored in results:
        for part in scored.parts:
            share = shares.get(part.area)
            if share is None:
                names = {area: (zh if lang == "zh" else en) for area, zh, en in scored.ruleset.areas}
                share = shares[part.area] = {"name": names.get(part.area, part.area), "info": scored.ruleset, "units": 0, "projects": 0, "years": set(), "budget": ZERO, "spending": ZERO, "points": {}, "weighted_total": ZERO, "earned": ZERO, "possible": ZERO, "findings": [0, 0, 0], "missing": 0}
            share["units"] += 1
            share["projects"] += part.projects
            share["years"].add(scored.year)
            share["budget"] += part.budget
            share["spending"] += part.spending
            share["weighted_total"] += part.weighted_total
            share["earned"] += part.earned
            share["possible"] += part.possible
            share["missing"] += 1 if part.missing_required else 0
            for level, value in part.points.items():
                share["points"][level] = share["points"].get(level, ZERO) + value
            for index, count in enumerate(part.findings):
                share["findings"][index] += count
    for area, share in shares.items():
        info: RulesetInfo = share["info"]
        budget = share["budget"]
        per_budget = partial(_per_budget, budget=budget, places=info.places)
        total = per_budget(share["weighted_total"])
        rows.append(
            {
                "area_id": area,
                "area": share["name"],
                "units": share["units"],
                "projects": share["projects"],
                "year": "/".join(str(year) for year in sorted(share["years"])),
                "budget": money(budget),
                "spending": money(share["spending"]),
                "execution_rate": _rate(share["spending"], budget),
                "budget_score": per_budget(share["points"].get("budget", ZERO)),
                **{f"level:{level}": per_budget(value) for level, value in share["points"].items() if level != "budget"},
                "area_score": quantize(share["earned"] / share["possible"] * HUNDRED, TWO) if share["possible"] > ZERO else None,
                "total": total,
                "grade": info.grade_for(total),
                "problem": share["findings"][0],
                "warning": share["findings"][1],
                "info": share["findings"][2],
                "missing": share["missing"],
                "_key": area,
                "_tie": (area,),
            }
        )
    return rows


def _per_budget(value: Decimal, budget: Decimal, places: int) -> Decimal | None:
    """Σ (points × budget) back to points: the budget-weighted mean of an area's shares."""
    return quantize(value / budget, places) if budget > ZERO else None


def _columns(by: str, lang: str, rulesets: list[RulesetInfo], show_ruleset: bool, compare: bool) -> list[Column]:
    def column(key: str, header: str | None = None) -> Column:
        if header is None:
            zh, en = HEADERS[key]
            header = zh if lang == "zh" else en
        return Column(key, header, key not in TEXT_COLUMNS and not key.startswith("text:"))

    levels: dict[str, str] = {}
    areas: dict[str, str] = {}
    for info in rulesets:
        for level, zh, en in info.levels:
            levels.setdefault(level, zh if lang == "zh" else en)
        for area, zh, en in info.areas:
            areas.setdefault(area, zh if lang == "zh" else en)
    if by == "unit":
        columns = [column("rank"), column("unit_id"), column("unit"), column("year")]
    elif by == "project":
        columns = [column("rank"), column("unit_id"), column("unit"), column("project_id"), column("project"), column("area"), column("year")]
    else:
        columns = [column("rank"), column("area"), column("units"), column("projects"), column("year")]
    if show_ruleset:
        columns.append(column("ruleset"))
    columns += [column("budget"), column("spending"), column("execution_rate"), column("budget_score")]
    columns += [column(f"level:{level}", name) for level, name in levels.items()]
    if by == "unit":
        columns += [column(f"area:{area}", name) for area, name in sorted(areas.items())]
    if by == "area":
        columns.append(column("area_score"))
    columns += [column("total"), column("grade"), column("problem"), column("warning"), column("info"), column("missing")]
    if by != "area":
        columns.append(column("missing_ids"))
    if compare:
        columns += [column("previous_total"), column("previous_grade"), column("delta"), column("rank_change")]
    if by != "area":
        columns.append(column("file"))
    return columns


def sort_rows(rows: list[dict[str, Any]], columns: list[Column], spec: str) -> None:
    """Order rows by ``COL`` or ``COL:asc`` / ``COL:desc``; ranks are not changed.

    Numbers sort biggest first and text A→Z unless told; empty cells go last; ties keep
    the rank order.
    """
    name, _, direction = spec.partition(":")
    by_key = {column.key: column for column in columns}
    by_key.update({column.key.split(":", 1)[1]: column for column in columns if ":" in column.key})
    column = by_key.get(name)
    if column is None or direction not in ("", "asc", "desc"):
        raise PerfscoreError(Problem(f"cannot sort by {spec!r}", location="--sort", expected=f"COL, COL:asc or COL:desc with COL one of: {', '.join(sorted(by_key))}"))
    if column.key in ("rank", "total") and direction in ("", "desc"):
        return  # already in rank order
    descending = direction == "desc" or (direction == "" and column.numeric)
    present = [row for row in rows if row.get(column.key) is not None]
    absent = [row for row in rows if row.get(column.key) is None]
    present.sort(key=lambda row: row[column.key], reverse=descending)  # stable: rank order within ties
    rows[:] = present + absent


def check_comparable(results: list[Scored], expected_fingerprint: str | None, allow_mixed: bool, what: str = "") -> bool:
    """Refuse a batch mixing rulesets or years unless allowed; return whether it is mixed.

    A submission is "on another ruleset" when the ruleset it declares resolves to other
    rules (another fingerprint) than the table's: ``--ruleset`` when given, else the one
    every submission shares.
    """
    by_print: dict[str | None, list[Scored]] = {}
    for scored in results:
        declared_print = scored.declared[1]
        if expected_fingerprint is not None and declared_print != expected_fingerprint:
            by_print.setdefault(declared_print, []).append(scored)
        elif expected_fingerprint is None:
            by_print.setdefault(scored.ruleset.fingerprint, []).append(scored)
    if expected_fingerprint is not None:
        mixed_rules = bool(by_print)
    else:
        mixed_rules = len(by_print) > 1
    years: dict[int, list[Scored]] = {}
    for scored in results:
        years.setdefault(scored.year, []).append(scored)
    mixed_years = len(years) > 1
    if allow_mixed or not (mixed_rules or mixed_years):
        return mixed_rules or mixed_years
    problems = []

    def example(group: list[Scored]) -> str:
        files = sorted(scored.file for scored in group)
        return ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")

    if mixed_rules:
        if expected_fingerprint is not None:
            for fingerprint, group in sorted(by_print.items(), key=lambda item: str(item[0])):
                names = sorted({scored.declared[0] for scored in group})
                problems.append(Problem(f"{what}{len(group)} submission(s) declare ruleset {', '.join(names)} ({'fingerprint ' + fingerprint[:12] if fingerprint else 'not found'}), not the table's ruleset: {example(group)}", location="ruleset", expected="submissions for the ruleset given with --ruleset, or --allow-mixed to score them by it anyway"))
        else:
            groups = sorted(by_print.values(), key=lambda group: (-len(group), group[0].ruleset.fingerprint))
            described = "; ".join(f"{group[0].ruleset.id} {group[0].ruleset.version} (fingerprint {group[0].ruleset.fingerprint[:12]}): {len(group)} file(s), e.g. {example(group)}" for group in groups)
            problems.append(Problem(f"{what}submissions are scored by {len(groups)} different rulesets, so their totals are not comparable: {described}", location="ruleset", expected="one ruleset per table: split the batch, pass --ruleset, or --allow-mixed to tabulate them anyway"))
    if mixed_years:
        described = "; ".join(f"{year}: {len(group)} file(s), e.g. {example(group)}" for year, group in sorted(years.items()))
        problems.append(Problem(f"{what}submissions are for {len(years)} different years: {described}", location="unit.year", expected="one year per table (compare years with --compare OLD_PATHS), or --allow-mixed"))
    raise PerfscoreError(problems)


# --------------------------------------------------------------------------- building


def collect(paths: list[Path], args: Any, label: str) -> tuple[list[Scored], list[Failed], int]:
    """Score the files under ``paths`` (streamed); return summaries, failures, file count."""
    files = discover(paths)
    if not files:
        raise PerfscoreError(Problem(f"no .toml submissions found under {', '.join(str(path) for path in paths)}", expected="folders or files of perfscore submissions"))
    progress = Progress(len(files), label=label)
    scored: list[Scored] = []
    failed: list[Failed] = []
    try:
        for count, outcome in enumerate(score_files(files, by=args.by, ruleset=args.ruleset, plugins_dirs=args.plugins_dir, jobs=args.jobs, on_done=progress.advance), 1):
            (scored if isinstance(outcome, Scored) else failed).append(outcome)
            if count % FREEZE_EVERY == 0:
                # The summaries live until the table is built, and each full collection would
                # walk all of them again (garbage collection took 0.44 s of a 10,000-unit
                # batch, 0.21 s with this), so those made so far leave the collector's sight.
                gc.freeze()
    finally:
        progress.close()
        gc.unfreeze()  # a process that builds tables again (a service, the tests) collects as usual
    scored.sort(key=lambda item: item.file)
    failed.sort(key=lambda item: item.file)
    return scored, failed, len(files)


def build_table(scored: list[Scored], failed: list[Failed], args: Any, *, files: int, expected_fingerprint: str | None, previous: tuple[list[Scored], list[Failed]] | None = None) -> Table:
    """Check comparability, then rank, sort and summarise the rows."""
    lang = args.lang
    mixed = check_comparable(scored, expected_fingerprint, args.allow_mixed)
    rulesets = list({item.ruleset.fingerprint: item.ruleset for item in scored}.values())
    rulesets.sort(key=lambda info: (info.id, info.version, info.fingerprint))
    show_ruleset = len(rulesets) > 1
    rows = build_rows(scored, args.by, lang, show_ruleset)
    competition_ranks(rows)
    notes = []
    missing = sum(1 for row in rows if row["missing"])
    if missing:
        notes.append(text("missing_note", lang).format(count=missing))
    if args.by == "unit":
        seen: dict[str, int] = {}
        for item in scored:
            seen[item.unit_id] = seen.get(item.unit_id, 0) + 1
        duplicates = sorted(unit_id for unit_id, count in seen.items() if count > 1)
        if duplicates:
            notes.append(text("duplicates", lang).format(ids=", ".join(duplicates[:20]) + (" …" if len(duplicates) > 20 else "")))
    previous_info = None
    failures = list(failed)
    if previous is not None:
        old_scored, old_failed = previous
        check_comparable(old_scored, expected_fingerprint, args.allow_mixed, what="--compare: ")
        old_rows = build_rows(old_scored, args.by, lang, False)
        competition_ranks(old_rows)
        old_by_key = {row["_key"]: row for row in old_rows}
        for row in rows:
            old = old_by_key.get(row["_key"])
            row["previous_total"] = None if old is None else old["total"]
            row["previous_grade"] = None if old is None else old["grade"]
            row["delta"] = None if old is None or old["total"] is None or row["total"] is None else quantize(row["total"] - old["total"], TWO)
            row["rank_change"] = None if old is None or old["rank"] is None or row["rank"] is None else old["rank"] - row["rank"]
        gone = sorted(set(old_by_key) - {row["_key"] for row in rows})
        if gone:
            notes.append(text("gone", lang).format(count=len(gone), ids=", ".join(gone[:10]) + (" …" if len(gone) > 10 else "")))
        old_rulesets = sorted({(item.ruleset.id, item.ruleset.version, item.ruleset.fingerprint) for item in old_scored})
        previous_info = {"years": sorted({item.year for item in old_scored}), "rulesets": old_rulesets, "files": len(old_scored) + len(old_failed)}
        failures += old_failed
        failures.sort(key=lambda item: item.file)
    columns = _columns(args.by, lang, rulesets, show_ruleset, previous is not None)
    sort_rows(rows, columns, args.sort)
    if mixed:
        notes.insert(0, text("mixed", lang))
    return Table(
        by=args.by,
        lang=lang,
        rulesets=rulesets,
        years=sorted({item.year for item in scored}),
        columns=columns,
        rows=rows,
        summary=summarise(rows, rulesets),
        failures=failures,
        incomplete=[(item.file, item.incomplete) for item in scored if item.incomplete],
        notes=notes,
        files=files,
        mixed=mixed,
        previous=previous_info,
    )


# --------------------------------------------------------------------------- rendering


def cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return str(value.quantize(_CENT, ROUND_HALF_UP))
    return str(value)


_CENT = Decimal("0.01")


def _heading(table: Table) -> list[str]:
    lang = table.lang
    lines = [f"{text('title', lang)} · {text('by', lang)[table.by]} · {text('rows', lang)} {len(table.rows)} · {text('files', lang)} {table.files}"]
    for info in table.rulesets:
        name = info.name if lang == "zh" else info.name_en
        lines.append(f"{text('ruleset', lang)}: {info.id} {info.version} · {name} · {text('fingerprint', lang)} {info.fingerprint}")
    lines.append(f"{text('year', lang)}: {', '.join(str(year) for year in table.years) or '—'}")
    if table.previous is not None:
        rules = "; ".join(f"{rid} {version} ({fingerprint[:12]})" for rid, version, fingerprint in table.previous["rulesets"])
        lines.append(f"{text('compared', lang)}: {', '.join(str(year) for year in table.previous['years']) or '—'} · {text('ruleset', lang)} {rules or '—'}")
    return lines


GRADE_COLUMNS = ("grade", "previous_grade")


def _grade_names(table: Table) -> dict[Any, str]:
    """How grades are printed: 优/良/中/差 in Chinese, the ruleset's English names in English."""
    names: dict[Any, str] = {None: "—"}
    for info in table.rulesets:
        for grade, name_en, _ in info.grades:
            names[grade] = grade if table.lang == "zh" else name_en
    return names


def _summary_lines(table: Table) -> list[str]:
    lang, summary = table.lang, table.summary
    grade_names = _grade_names(table)
    grades = " · ".join(f"{grade_names.get(grade, grade)} {count}" for grade, count in summary["grades"].items())
    stats = " · ".join(f"{text(key, lang)} {cell(summary[key])}" for key in ("mean", "median", "min", "max"))
    return [f"{text('count', lang)} {summary['count']} · {grades}", stats]


def _error_lines(table: Table) -> list[str]:
    lines = []
    for failure in table.failures:
        for problem in failure.problems:
            lines.append(f"- {problem.render()}")
    return lines


def draw_grid(rows: list[list[str]], headers: list[str], alignment: list[str], tablefmt: str) -> str:
    """The grid tabulate draws for text cells in its "simple" or "github" format, drawn here.

    tabulate measures and type-checks every cell several times; for a province's table of
    10,000 rows that was a fifteenth of the whole batch (docs/performance.md). This draws
    the same characters (tests/test_table_properties.py compares the two) measuring each
    cell once, with len() for printable ASCII and wcwidth, as tabulate does, otherwise.
    A table with a line break or an escape sequence in any cell or header is left to
    tabulate itself.
    """
    if any("\n" in value or "\r" in value or "\x1b" in value for row in (headers, *rows) for value in row):
        return render_table(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True, colalign=alignment)
    columns = [[value.strip() for value in column] for column in zip(*rows)]  # tabulate strips cells, not headers
    drawn = []
    for column, header, align in zip(columns, headers, alignment):
        joined = "".join(column)
        if joined.isascii() and joined.isprintable():  # numbers, dates, ids: the usual column
            width = max(max(map(len, column)), _display_width(header) + 2)
            cells = [value.rjust(width) for value in column] if align == "right" else [value.ljust(width) for value in column]
        else:
            measured = [_display_width(value) for value in column]
            width = max(max(measured), _display_width(header) + 2)
            cells = [_pad(value, w, width, align) for value, w in zip(column, measured)]
        drawn.append((_pad(header, _display_width(header), width, align), width, cells))
    header = [head for head, _, _ in drawn]
    widths = [width for _, width, _ in drawn]
    body = zip(*[cells for _, _, cells in drawn])
    if tablefmt == "github":
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in body]
    else:
        lines = ["  ".join(header).rstrip(), "  ".join("-" * width for width in widths).rstrip()]
        lines += ["  ".join(row).rstrip() for row in body]
    return "\n".join(lines)


def _pad(value: str, measured_width: int, width: int, align: str) -> str:
    padding = " " * (width - measured_width)
    return padding + value if align == "right" else value + padding


def _display_width(value: str) -> int:
    """Columns a text takes in a terminal, as tabulate counts them (wcwidth for wide characters)."""
    if value.isascii() and value.isprintable():
        return len(value)
    return wcswidth(value)


def render(table: Table, fmt: str) -> str:
    if fmt == "json":
        return render_json(table)
    if fmt == "csv":
        return render_csv(table)
    columns = [column for column in table.columns if column.key not in MACHINE_ONLY]
    grade_names = _grade_names(table)
    body = [[grade_names.get(row.get(column.key), "—") if column.key in GRADE_COLUMNS else cell(row.get(column.key)) for column in columns] for row in table.rows]
    alignment = ["right" if column.numeric else "left" for column in columns]
    tablefmt = {"table": "simple", "github": "github", "markdown": "github"}[fmt]
    grid = draw_grid(body, [column.header for column in columns], alignment, tablefmt) if body else text("none", table.lang)
    lang = table.lang
    markdown = fmt == "markdown"
    heading = _heading(table)
    out: list[str] = []
    if markdown:
        out += [f"# {heading[0]}", ""] + [f"- {line}" for line in heading[1:]]
    else:
        out += heading
    out += ["", grid, ""]
    out += [f"## {text('summary', lang)}" if markdown else f"{text('summary', lang)}", ""] if markdown else [text("summary", lang)]
    out += [f"- {line}" for line in _summary_lines(table)] if markdown else _summary_lines(table)
    for note in table.notes:
        out += ["", f"> {note}" if markdown else note]
    if table.incomplete:
        out += ["", f"## {text('incomplete', lang)}" if markdown else f"{text('incomplete', lang)}:"]
        out += [f"- {file}: {'; '.join(reasons)}" for file, reasons in table.incomplete]
    if table.failures:
        title = f"{text('errors', lang)}（{len(table.failures)}）" if lang == "zh" else f"{text('errors', lang)} ({len(table.failures)})"
        out += ["", f"## {title}" if markdown else f"{title}:"]
        out += _error_lines(table)
    return "\n".join(out) + "\n"


def render_csv(table: Table) -> str:
    """Rows only, one header line, every column; the ruleset and fingerprint on each row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    extra = [] if any(column.key == "ruleset" for column in table.columns) else ["ruleset"]
    writer.writerow([column.header for column in table.columns] + [HEADERS["ruleset"][0 if table.lang == "zh" else 1] for _ in extra] + [text("fingerprint", table.lang)])
    single = table.rulesets[0] if len(table.rulesets) == 1 else None
    for row in table.rows:
        values = [cell(row.get(column.key)) for column in table.columns]
        if extra:
            values.append(_ruleset_label(single) if single else "")
        values.append(single.fingerprint if single else "")
        writer.writerow(values)
    return buffer.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(quantize(value, TWO))
    return value


def render_json(table: Table) -> str:
    data = {
        "format": TABLE_FORMAT,
        "by": table.by,
        "rulesets": [{"id": info.id, "name": info.name, "version": info.version, "fingerprint": info.fingerprint} for info in table.rulesets],
        "years": table.years,
        "previous": table.previous and {"years": table.previous["years"], "rulesets": [{"id": rid, "version": version, "fingerprint": fingerprint} for rid, version, fingerprint in table.previous["rulesets"]]},
        "mixed": table.mixed,
        "files": table.files,
        "columns": [{"key": column.key, "header": column.header} for column in table.columns],
        "rows": [{column.key: _json_value(row.get(column.key)) for column in table.columns} for row in table.rows],
        "summary": {key: (_json_value(value) if key != "grades" else value) for key, value in table.summary.items()},
        "notes": table.notes,
        "incomplete": [{"file": file, "failures": list(reasons)} for file, reasons in table.incomplete],
        "errors": [{"file": failure.file, "problems": [problem.render() for problem in failure.problems]} for failure in table.failures],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- the command


def make_table(args: Any) -> Table:
    """Score the batch (and the previous year's, with ``compare``) and build the table."""
    if args.by not in BY_CHOICES:
        raise PerfscoreError(Problem(f"unknown --by {args.by!r}", expected=", ".join(BY_CHOICES)))
    if args.jobs < 0:
        raise PerfscoreError(Problem(f"--jobs {args.jobs}", expected="0 (one per CPU) or a positive number of processes"))
    if args.jobs == 0:
        args.jobs = os.cpu_count() or 1
    # Plugins and the ruleset are loaded here first, so a broken plugin or an unknown
    # ruleset is one clear error before any worker starts.
    scorer = make_scorer(args.plugins_dir, args.ruleset, args.by)
    expected = scorer.engine.ruleset(args.ruleset).fingerprint if args.ruleset else None
    scored, failed, files = collect(args.paths, args, "scoring")
    previous = None
    if args.compare:
        previous = collect(args.compare, args, "previous year")[:2]
    return build_table(scored, failed, args, files=files, expected_fingerprint=expected, previous=previous)


def run(args: Any) -> int:
    """``perfscore table``: score, check, rank, write; the exit status says whether all scored."""
    table = make_table(args)
    output = render(table, args.format)
    if args.output is None:
        sys.stdout.write(output)
    else:
        atomic_write(args.output, output)
    if args.output is not None or args.format == "csv":
        # the errors section is in the file (or, for csv, nowhere): say so where a person looks
        for failure in table.failures:
            for problem in failure.problems:
                print(f"perfscore: {problem.render()}", file=sys.stderr)
    for file, reasons in table.incomplete:
        for reason in reasons:
            print(f"perfscore: {file}: {reason}", file=sys.stderr)
    return int(table.exit_code)


def table_from_paths(paths: Iterable[Path], **options: Any) -> Table:
    """Build a table in code (tests, notebooks); options are the command line's, by name."""
    defaults = {"ruleset": None, "by": "unit", "sort": "total", "jobs": 1, "compare": None, "allow_mixed": False, "lang": "zh", "plugins_dir": []}
    return make_table(Namespace(paths=list(paths), **(defaults | options)))
