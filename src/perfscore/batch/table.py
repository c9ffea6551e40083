"""Ranking many units: rows, competition ranks, summary, comparability, last year (batch, second step).

``perfscore table`` flows :mod:`perfscore.batch.run` (scoring files into :class:`Scored`
summaries) → this module → :mod:`perfscore.output.table` (text, Markdown, CSV, JSON). Here
the summaries become a :class:`Table`: one row per unit (or project, or area); every row
scored by the same ruleset, which the table names with its version and fingerprint; a batch
that mixes rulesets or years refused unless the user asks for it (``allow_mixed``). Ranks
are competition ranks on the total rounded to 2 places (1, 2, 2, 4), ties listed by unit
id, so the table does not depend on the order files were found or finished in. The summary
counts each grade and gives the mean, median, minimum and maximum total. Definitions:
docs/table.md.

Pure: it reads only batch.run's summaries (never scoring or the engine), prints nothing,
touches no file and takes typed :class:`TableOptions`, never argparse's Namespace. Cells
hold numbers (Decimal, int) or names; they become text in :mod:`perfscore.output.table`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, MutableMapping

from perfscore.arithmetic import HUNDRED, ZERO, quantize
from perfscore.batch.run import Failed, Interned, RulesetInfo, Scored
from perfscore.errors import ExitCode, PerfscoreError, Problem, fill
from perfscore.messages import message, pick
from perfscore.numbers import DASH, in_money_unit, whole

#: the places totals are ranked, compared and summarised at (published tables round to 2)
TWO = 2
#: every table states money in this unit, whatever each submission's own
TABLE_MONEY_UNIT = "万元"
#: columns sorted ascending by default; every other column sorts descending (biggest first)
TEXT_COLUMNS = {"unit_id", "unit", "project_id", "project", "area", "grade", "previous_grade", "ruleset", "file", "missing_ids", "rank"}


@dataclass(frozen=True, slots=True)
class TableOptions:
    """What a table is made of and how it is ranked: the command line's options, typed.

    Built by :mod:`perfscore.cli` from its arguments, or by :func:`perfscore.batch.make.table_from_paths`
    from keywords of the same names; ``jobs`` 0 means one process per CPU.
    """

    ruleset: str | None = None
    by: str = "unit"
    sort: str = "total"
    jobs: int = 1
    compare: tuple[Path, ...] | None = None
    allow_mixed: bool = False
    lang: str = "zh"
    plugins_dir: tuple[Path, ...] = ()
    #: no rank column, rows in file order (``--no-rank``): a CSV of it is streamed
    no_rank: bool = False


class Layout:
    """The keys of a kind of row, in order, and where each row's value for a key is.

    Shared by every row with the same keys (one a ruleset and ``by``), so that a row holds
    only its values: a dict of 30 keys costs about 1.2 KB a row, a tuple of 30 values 0.3 KB.
    """

    __slots__ = ("keys", "index", "_wider")

    def __init__(self, keys: tuple[str, ...]):
        self.keys = keys
        self.index = {key: position for position, key in enumerate(keys)}
        self._wider: dict[str, Layout] = {}

    def with_key(self, key: str) -> Layout:
        """This layout with ``key`` added at the end (one shared layout a new key)."""
        wider = self._wider.get(key)
        if wider is None:
            wider = self._wider[key] = Layout((*self.keys, key))
        return wider


class Row(MutableMapping[str, Any]):
    """One row of a table: a mapping of column key → value, held as a tuple beside a shared
    :class:`Layout`. Reads and writes as a dict does (``row["total"]``, ``row.get(key)``,
    ``row[key] = value``); a key set for the first time moves the row to a wider layout."""

    __slots__ = ("_layout", "_values")

    def __init__(self, layout: Layout, values: tuple[Any, ...]):
        self._layout = layout
        self._values = values

    def __getitem__(self, key: str) -> Any:
        return self._values[self._layout.index[key]]

    def get(self, key: str, default: Any = None) -> Any:
        position = self._layout.index.get(key)
        return default if position is None else self._values[position]

    def __setitem__(self, key: str, value: Any) -> None:
        position = self._layout.index.get(key)
        if position is None:
            self._layout = self._layout.with_key(key)
            self._values = (*self._values, value)
        else:
            values = self._values
            self._values = (*values[:position], value, *values[position + 1 :])

    def __delitem__(self, key: str) -> None:
        raise TypeError("a table row's columns are not removed")

    def __contains__(self, key: object) -> bool:
        return key in self._layout.index

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout.keys)

    def __len__(self) -> int:
        return len(self._layout.keys)

    def __repr__(self) -> str:
        return f"Row({dict(self)!r})"


def _row(layouts: dict[tuple[str, ...], Layout], cells: dict[str, Any], intern: Interned) -> Row:
    """A compact row of ``cells`` (their order kept), its layout shared with rows of the same keys."""
    keys = tuple(cells)
    layout = layouts.get(keys)
    if layout is None:
        layout = layouts[keys] = Layout(keys)
    # money is nearly always a unit's own figure: interning it would only keep a key a unit
    return Row(layout, tuple(value if key in _OWN_FIGURES else intern(value) for key, value in cells.items()))


#: cells whose values rarely repeat between units: not interned
_OWN_FIGURES = frozenset({"budget", "spending"})


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
    rows: list[Any]  # Row, or a dict with the same keys (tables built in code)
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


def _execution_rate(spending: Decimal, budget: Decimal) -> Decimal | None:
    """Spending ÷ budget × 100, rounded to 2 places; none without a budget (a value, not text)."""
    return quantize(spending / budget * HUNDRED, TWO) if budget > ZERO else None


def _budget_weighted(value: Decimal, budget: Decimal, places: int) -> Decimal | None:
    """Σ (points × budget) back to points: the budget-weighted mean of an area's shares."""
    return quantize(value / budget, places) if budget > ZERO else None


def _unit_name(scored: Scored, lang: str) -> str:
    name = scored.unit
    if scored.synthetic and "合成" not in name and "synthetic" not in name.lower():
        name += message("table.synthetic", lang)
    return name


def ruleset_label(info: RulesetInfo) -> str:
    """How a row names the ruleset that scored it: id and version."""
    return f"{info.id} {info.version}"


def _area_names(info: RulesetInfo, lang: str, known: dict[str, dict[str, str]]) -> dict[str, str]:
    """Area id → name in ``lang`` for ``info``'s rules, looked up once per ruleset (``known``)."""
    names = known.get(info.fingerprint)
    if names is None:
        names = known[info.fingerprint] = {area: pick((zh, en), lang) for area, zh, en in info.areas}
    return names


class RowMaker:
    """What the rows of one batch share while they are made a summary at a time: their
    layouts, equal values and area names (:func:`build_rows` with ``shared``)."""

    __slots__ = ("layouts", "intern", "area_names", "labels")

    def __init__(self) -> None:
        self.layouts: dict[tuple[str, ...], Layout] = {}
        self.intern = Interned()
        self.area_names: dict[str, dict[str, str]] = {}
        self.labels: dict[str, str] = {}  # a ruleset's label, by fingerprint: one text for every row


def build_rows(results: list[Scored], by: str, lang: str, show_ruleset: bool, release: bool = False, shared: RowMaker | None = None) -> list[Any]:
    """One row per unit or project, or per area summed over every unit's share.

    Unit and project rows are compact :class:`Row` objects with equal values shared; with
    ``release`` each summary's parts are let go once its rows are made (the summaries'
    figures then live only in the rows: about half of a batch's memory). ``shared`` lets
    calls a summary at a time share layouts and values (unit and project rows only).
    """
    rows: list[Any] = []
    shared = shared or RowMaker()
    area_names = shared.area_names
    if by in ("unit", "project"):
        layouts = shared.layouts
        intern = shared.intern
        for scored in results:
            for part in scored.parts:
                row = {
                    "unit_id": scored.unit_id,
                    "unit": _unit_name(scored, lang),
                    "year": scored.year,
                    "budget": in_money_unit(part.budget, TABLE_MONEY_UNIT),
                    "spending": in_money_unit(part.spending, TABLE_MONEY_UNIT),
                    "execution_rate": _execution_rate(part.spending, part.budget),
                    "budget_score": part.points.get("budget"),
                    **{f"level:{level}": value for level, value in part.points.items() if level != "budget"},
                    **{f"area:{area}": value for area, value in part.area_scores.items()},
                    "total": part.total,
                    "grade": part.grade,
                    "self_total": part.self_total,
                    "self_difference": part.self_difference,
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
                    names = _area_names(scored.ruleset, lang, area_names)
                    row |= {"project_id": part.project_id, "project": part.project, "area": names.get(part.area, part.area or DASH)}
                if show_ruleset:
                    label = shared.labels.get(scored.ruleset.fingerprint)
                    if label is None:
                        label = shared.labels[scored.ruleset.fingerprint] = ruleset_label(scored.ruleset)
                    row["ruleset"] = label
                rows.append(_row(layouts, row, intern))
            if release:
                scored.parts = []
        return rows
    # by area: add up every unit's share of each area
    shares: dict[str, dict[str, Any]] = {}
    for scored in results:
        for part in scored.parts:
            share = shares.get(part.area)
            if share is None:
                names = _area_names(scored.ruleset, lang, area_names)
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
        places = info.places
        total = _budget_weighted(share["weighted_total"], budget, places)
        rows.append(
            {
                "area_id": area,
                "area": share["name"],
                "units": share["units"],
                "projects": share["projects"],
                # the years present, as written in a cell: 2021/2022
                "year": "/".join(whole(year) for year in sorted(share["years"])),
                "budget": in_money_unit(budget, TABLE_MONEY_UNIT),
                "spending": in_money_unit(share["spending"], TABLE_MONEY_UNIT),
                "execution_rate": _execution_rate(share["spending"], budget),
                "budget_score": _budget_weighted(share["points"].get("budget", ZERO), budget, places),
                **{f"level:{level}": _budget_weighted(value, budget, places) for level, value in share["points"].items() if level != "budget"},
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


def build_columns(by: str, lang: str, rulesets: list[RulesetInfo], show_ruleset: bool, compare: bool, self_scores: bool = False) -> list[Column]:
    """The table's columns in display order, headed in ``lang``; with ``self_scores`` (some
    unit states its own total), the self-score and its difference from the computed total."""

    def column(key: str, header: str | None = None) -> Column:
        if header is None:
            header = message(f"table.header_{key}", lang)
        return Column(key, header, key not in TEXT_COLUMNS and not key.startswith("text:"))

    levels: dict[str, str] = {}
    areas: dict[str, str] = {}
    for info in rulesets:
        for level, zh, en in info.levels:
            levels.setdefault(level, pick((zh, en), lang))
        for area, zh, en in info.areas:
            areas.setdefault(area, pick((zh, en), lang))
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
    columns += [column("total"), column("grade")]
    if self_scores and by != "area":
        columns += [column("self_total"), column("self_difference")]
    columns += [column("problem"), column("warning"), column("info"), column("missing")]
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
        raise PerfscoreError(Problem(f"cannot sort by {spec!r}", location="--sort", expected=f"COL, COL:asc or COL:desc with COL one of: {', '.join(sorted(by_key))}", key="cannot_sort", expected_key="expected_sort", fields=fill(spec=repr(spec), known=", ".join(sorted(by_key)))))
    if column.key in ("rank", "total") and direction in ("", "desc"):
        return  # already in rank order
    descending = direction == "desc" or (direction == "" and column.numeric)
    present = [row for row in rows if row.get(column.key) is not None]
    absent = [row for row in rows if row.get(column.key) is None]
    present.sort(key=lambda row: row[column.key], reverse=descending)  # stable: rank order within ties
    rows[:] = present + absent


class _Group:
    """Submissions that share a ruleset print or a year, as the comparability check names
    them: how many, the first (its ruleset), the three first files and the declared names."""

    __slots__ = ("count", "first", "files", "names")

    def __init__(self, first: Scored) -> None:
        self.count = 0
        self.first = first
        self.files: list[str] = []
        self.names: set[str] = set()

    def add(self, scored: Scored) -> None:
        self.count += 1
        self.names.add(scored.declared[0])
        if len(self.files) < 3 or scored.file < self.files[-1]:
            self.files = sorted([*self.files, scored.file])[:3]


class Comparability:
    """The comparability check of a batch, fed one summary at a time (so that a streamed
    table checks its batch without keeping it): :meth:`check` is :func:`check_comparable`."""

    def __init__(self, expected_fingerprint: str | None) -> None:
        self.expected_fingerprint = expected_fingerprint
        self.by_print: dict[str | None, _Group] = {}
        self.years: dict[int, _Group] = {}

    def add(self, scored: Scored) -> None:
        expected = self.expected_fingerprint
        if expected is not None:
            declared_print = scored.declared[1]
            key = declared_print if declared_print != expected else _MATCHING
        else:
            key = scored.ruleset.scoring_fingerprint
        if key is not _MATCHING:
            group = self.by_print.get(key)
            if group is None:
                group = self.by_print[key] = _Group(scored)
            group.add(scored)
        year = self.years.get(scored.year)
        if year is None:
            year = self.years[scored.year] = _Group(scored)
        year.add(scored)

    def check(self, allow_mixed: bool, what: str = "") -> bool:
        """Refuse a batch mixing rulesets or years unless allowed; return whether it is mixed."""
        expected_fingerprint, by_print, years = self.expected_fingerprint, self.by_print, self.years
        mixed_rules = bool(by_print) if expected_fingerprint is not None else len(by_print) > 1
        mixed_years = len(years) > 1
        if allow_mixed or not (mixed_rules or mixed_years):
            return mixed_rules or mixed_years
        problems = []

        def example(group: _Group) -> str:
            return ", ".join(group.files) + (f" and {group.count - 3} more" if group.count > 3 else "")

        def shown(group: _Group, **values: object) -> dict[str, object]:
            """The fields that name a group's files in the catalogue: the first three, and how many more."""
            return {**values, "count": group.count, "files": ", ".join(group.files), "more": group.count - 3}

        def part(key: str, group: _Group, **values: object) -> tuple[str, dict[str, object]]:
            return (f"{key}_more" if group.count > 3 else key), shown(group, **values)

        if mixed_rules:
            if expected_fingerprint is not None:
                for fingerprint, group in sorted(by_print.items(), key=lambda item: str(item[0])):
                    names = sorted(group.names)
                    problems.append(Problem(f"{what}{group.count} submission(s) declare ruleset {', '.join(names)} ({'fingerprint ' + fingerprint[:12] if fingerprint else 'not found'}), not the table's ruleset: {example(group)}", location="ruleset", expected="submissions for the ruleset given with --ruleset, or --allow-mixed to score them by it anyway", key="not_table_ruleset", expected_key="expected_table_ruleset", fields=fill(what=what, rulesets=", ".join(names), found=[("ruleset_fingerprint", {"fingerprint": fingerprint[:12]}) if fingerprint else ("ruleset_not_found_short", {})], example=[part("comparable_files", group)], count=group.count)))
            else:
                groups = sorted(by_print.values(), key=lambda group: (-group.count, group.first.ruleset.scoring_fingerprint))
                described = "; ".join(f"{group.first.ruleset.id} {group.first.ruleset.version} (scoring fingerprint {group.first.ruleset.scoring_fingerprint[:12]}): {group.count} file(s), e.g. {example(group)}" for group in groups)
                problems.append(Problem(f"{what}submissions are scored by {len(groups)} different rulesets, so their totals are not comparable: {described}", location="ruleset", expected="one ruleset per table: split the batch, pass --ruleset, or --allow-mixed to tabulate them anyway", key="mixed_rulesets", expected_key="expected_one_ruleset", fields=fill(what=what, count=len(groups), described=[part("comparable_ruleset_group", group, ruleset=group.first.ruleset.id, version=group.first.ruleset.version, fingerprint=group.first.ruleset.scoring_fingerprint[:12]) for group in groups])))
        if mixed_years:
            described = "; ".join(f"{year}: {group.count} file(s), e.g. {example(group)}" for year, group in sorted(years.items()))
            problems.append(Problem(f"{what}submissions are for {len(years)} different years: {described}", location="unit.year", expected="one year per table (compare years with --compare OLD_PATHS), or --allow-mixed", key="mixed_years", expected_key="expected_one_year", fields=fill(what=what, count=len(years), described=[part("comparable_year_group", group, year=year) for year, group in sorted(years.items())])))
        raise PerfscoreError(problems)


#: a submission declaring the expected ruleset: in no group
_MATCHING: Any = object()


def check_comparable(results: list[Scored], expected_fingerprint: str | None, allow_mixed: bool, what: str = "") -> bool:
    """Refuse a batch mixing rulesets or years unless allowed; return whether it is mixed.

    A submission is "on another ruleset" when the ruleset it declares resolves to other
    rules (another fingerprint) than the table's: ``--ruleset`` when given, else the one
    every submission shares.
    """
    comparability = Comparability(expected_fingerprint)
    for scored in results:
        comparability.add(scored)
    return comparability.check(allow_mixed, what)


def compare_years(rows: list[dict[str, Any]], old_rows: list[dict[str, Any]]) -> list[str]:
    """Give each row last year's total, grade, change and rank change; return the keys gone.

    Rows are matched by key (unit id; unit id/project id; area id); ``old_rows`` must be
    ranked. A positive rank change means the row moved up.
    """
    old_by_key = {row["_key"]: row for row in old_rows}
    for row in rows:
        old = old_by_key.get(row["_key"])
        row["previous_total"] = None if old is None else old["total"]
        row["previous_grade"] = None if old is None else old["grade"]
        row["delta"] = None if old is None or old["total"] is None or row["total"] is None else quantize(row["total"] - old["total"], TWO)
        row["rank_change"] = None if old is None or old["rank"] is None or row["rank"] is None else old["rank"] - row["rank"]
    return sorted(set(old_by_key) - {row["_key"] for row in rows})


def _some(ids: list[str], limit: int) -> str:
    """The first ``limit`` ids of a note, an ellipsis after them when there are more."""
    return ", ".join(ids[:limit]) + (" …" if len(ids) > limit else "")


def build_table(
    scored: list[Scored],
    failed: list[Failed],
    options: TableOptions,
    *,
    files: int,
    expected_fingerprint: str | None,
    previous: tuple[list[Scored], list[Failed]] | None = None,
    release: bool = False,
    rows: list[Any] | None = None,
) -> Table:
    """Check comparability, then rank, sort and summarise the rows (``release``: let each
    summary's parts go once its rows are made, for a caller that keeps no summary; ``rows``:
    the unit or project rows already made, each with its ruleset, as the summaries came)."""
    lang, by = options.lang, options.by
    mixed = check_comparable(scored, expected_fingerprint, options.allow_mixed)
    rulesets = list({item.ruleset.fingerprint: item.ruleset for item in scored}.values())
    rulesets.sort(key=lambda info: (info.id, info.version, info.fingerprint))
    show_ruleset = len(rulesets) > 1
    if rows is None:
        rows = build_rows(scored, by, lang, show_ruleset, release=release)
    competition_ranks(rows)
    notes = []
    missing = sum(1 for row in rows if row["missing"])
    if missing:
        notes.append(message("table.missing_note", lang, count=whole(missing)))
    if by == "unit":
        seen: dict[str, int] = {}
        for item in scored:
            seen[item.unit_id] = seen.get(item.unit_id, 0) + 1
        duplicates = sorted(unit_id for unit_id, count in seen.items() if count > 1)
        if duplicates:
            notes.append(message("table.duplicates", lang, ids=_some(duplicates, 20)))
    previous_info = None
    failures = list(failed)
    if previous is not None:
        old_scored, old_failed = previous
        check_comparable(old_scored, expected_fingerprint, options.allow_mixed, what="--compare: ")
        old_rows = build_rows(old_scored, by, lang, False)
        competition_ranks(old_rows)
        gone = compare_years(rows, old_rows)
        if gone:
            notes.append(message("table.gone", lang, count=whole(len(gone)), ids=_some(gone, 10)))
        old_rulesets = sorted({(item.ruleset.id, item.ruleset.version, item.ruleset.fingerprint) for item in old_scored})
        previous_info = {"years": sorted({item.year for item in old_scored}), "rulesets": old_rulesets, "files": len(old_scored) + len(old_failed)}
        failures += old_failed
        failures.sort(key=lambda item: item.file)
    self_scores = any(row.get("self_total") is not None for row in rows)
    columns = build_columns(by, lang, rulesets, show_ruleset, previous is not None, self_scores)
    sort_rows(rows, columns, "file" if options.no_rank and by != "area" else options.sort)
    if options.no_rank:
        columns = [column for column in columns if column.key != "rank"]
    if mixed:
        notes.insert(0, message("table.mixed", lang))
    elif show_ruleset:
        # several rulesets, one scoring print: say which rules the rows were compared by
        names = "、".join(sorted({info.id for info in rulesets}))
        notes.insert(0, message("table.compared_by", lang, rulesets=names, fingerprint=rulesets[0].scoring_fingerprint[:12]))
    return Table(
        by=by,
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
