"""Benchmark: 自评表 workbooks against the same units as TOML, end to end; and calamine against openpyxl.

Run from the repository root (not part of the test run)::

    .venv/bin/python benchmarks/workbooks.py 1000 --rounds 5

It builds COUNT one-project workbooks in the national layout (tests/workbooks.py: merged
一级/二级 cells, text values such as "≥90户", six to nine indicator rows; one in three
with its actuals typed as numbers in %-formatted cells, one in four with two-line
headings, one in five with a blank row; seeded, so every run builds the same files) and
imports them once with ``perfscore import`` into TOML files: the same units as TOML. Then,
in one run on one machine, it measures:

(a) end to end: ``perfscore table WORKBOOKS -o FILE`` and ``perfscore table TOMLS -o FILE``
    as child processes, taking turns for ``--rounds`` rounds, the fastest of each kept
    (and the median shown); both tables must be byte for byte the same, or no ratio is
    reported. The issue's target: the workbooks take at most 1.5 × the TOML files' time.
    With ``--before SRC`` the workbooks' table is also run, in the same turns, with the
    perfscore package under SRC (``git archive COMMIT | tar -x -C DIR``, then DIR/src): a
    change measured side by side rather than in two runs minutes apart.
(b) reading alone, in this process (CPU time): openpyxl (read-only, values only: its fastest way)
    reading every sheet, python-calamine reading the same sheets, and perfscore's whole
    import (read, the zip checks, the layout, the conversion), each the fastest of three.

docs/performance.md records the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from workbooks import ProjectSheet, Row, national_workbook  # noqa: E402

#: quantity rows: name, unit, typical target
_QUANTITY = [("资助幼儿人数", "人", 90), ("无障碍改造户数", "户", 120), ("康复训练人次", "人次", 300), ("发放辅助器具", "件", 60), ("培训残疾人", "人", 80)]
_QUALITY = [("资助对象认定准确率", 95), ("改造验收合格率", 98), ("辅具适配合格率", 95)]
_BENEFIT = [("家庭经济负担减轻", ("有效减轻", "部分减轻")), ("残疾人生活质量提高", ("明显提高", "有所提高")), ("社会参与度提升", ("有效提升", "基本达到"))]


def _rows(rng: random.Random, percent_actuals: bool) -> tuple[list[Row], list[int]]:
    """Indicator rows of one unit (weights 50 output, 30 benefit, 10 satisfaction) and the
    indexes of the rows whose actual is a number to show as a percentage."""
    rows: list[Row] = []
    percent: list[int] = []
    quantities = rng.sample(_QUANTITY, rng.choice((1, 2)))
    for name, unit, typical in quantities:
        target = typical + rng.randint(-10, 10)
        weight = 20 // len(quantities)
        actual = target + rng.randint(-target // 5, target // 10)
        rows.append(Row("产出指标", "数量指标", name, f"≥{target}{unit}", f"{actual}{unit}", weight, weight if actual >= target else weight - 2))
    qualities = rng.sample(_QUALITY, rng.choice((1, 2)))
    for name, typical in qualities:
        weight = 10 // len(qualities)
        actual = min(100, typical + rng.randint(-8, 2))
        if percent_actuals:
            percent.append(len(rows))
            rows.append(Row("产出指标", "质量指标", name, f"≥{typical}%", actual / 100, weight, weight))
        else:
            rows.append(Row("产出指标", "质量指标", name, f"≥{typical}%", f"{actual}%", weight, weight))
    rows.append(Row("产出指标", "时效指标", "资金发放及时率", "=100%", f"{rng.choice((100, 100, 100, 95))}%", 10, 10))
    rows.append(Row("产出指标", "成本指标", "人均补助标准", "≤1500元", f"{rng.choice((1450, 1500, 1500, 1600))}元", 10, 10))
    name, (good, fair) = rng.choice(_BENEFIT)
    rows.append(Row("效益指标", "社会效益指标", name, good, rng.choice((good, good, fair)), 30, 30))
    rows.append(Row("满意度指标", "服务对象满意度指标", "受助对象满意度", "≥90%", f"{rng.randint(82, 99)}%", 10, 10))
    return rows, percent


def build_workbooks(folder: Path, count: int, seed: int = 1) -> list[Path]:
    """COUNT one-project workbooks, the same for the same seed."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for n in range(count):
        rows, percent = _rows(rng, percent_actuals=n % 3 == 0)
        blank = n % 5 == 0
        # the actual column is F; data rows start at 13, one lower after the blank row (index 2)
        cells = tuple(f"F{13 + index + (1 if blank and index >= 2 else 0)}" for index in percent)
        budget = rng.choice((50, 80, 120, 200))
        spec = ProjectSheet(
            unit=f"第{n + 1:04d}单位",
            department=rng.choice(("区残联", "区教育局", "区民政局")),
            project=rng.choice(("困难残疾人生活补贴", "无障碍改造", "学前教育资助", "康复救助")),
            budget=budget,
            initial=budget,
            spending=round(budget * rng.uniform(0.7, 1.0), 2),
            budget_score=None,
            rows=rows,
            two_line_headers=n % 4 == 0,
            blank_rows=blank,
            percent_cells=cells,
        )
        paths.append(national_workbook(folder / f"unit-{n + 1:04d}.xlsx", spec))
    return paths


def _table(folder: Path, output: Path, source: Path | None = None) -> tuple[float, float]:
    """``perfscore table FOLDER -o OUTPUT`` in a child process: its wall time and its CPU
    time (user + system; less disturbed than the wall time by other work on the machine).
    ``source``: run the perfscore package found there (PYTHONPATH) instead of this one."""
    command = [sys.executable, "-m", "perfscore.cli", "table", str(folder), "--ruleset", "national", "-o", str(output)]
    environment = {**os.environ, "PYTHONPATH": str(source)} if source is not None else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        raise SystemExit(f"perfscore table {folder} failed ({result.returncode}):\n{result.stderr}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def end_to_end(workbooks: Path, tomls: Path, output: Path, rounds: int, before: Path | None = None) -> dict[str, list[float]]:
    """(a): the two tables, taking turns; every round's wall and CPU seconds. ``before``:
    the workbooks' table also with the code of another checkout (its ``src``), in the same turns."""
    times: dict[str, list[float]] = {"workbooks": [], "toml": [], "workbooks_cpu": [], "toml_cpu": [], "before": [], "before_cpu": []}
    cases: list[tuple[str, Path, Path | None]] = [("workbooks", workbooks, None), ("toml", tomls, None)]
    if before is not None:
        cases.append(("before", workbooks, before))
    for _ in range(rounds):
        for name, folder, source in cases:
            wall, cpu = _table(folder, output / f"from-{name}.txt", source)
            times[name].append(wall)
            times[f"{name}_cpu"].append(cpu)
    same = (output / "from-workbooks.txt").read_bytes() == (output / "from-toml.txt").read_bytes()
    if not same:
        raise SystemExit("the table from the workbooks differs from the table from their TOML: no ratio")
    if before is not None and (output / "from-before.txt").read_bytes() != (output / "from-toml.txt").read_bytes():
        raise SystemExit(f"the table from the workbooks with the code under {before} differs: no ratio")
    return times


def reading(paths: list[Path]) -> dict[str, float]:
    """(b): CPU seconds (of this process) to read all the workbooks each way, the fastest of
    three rounds in turn: on a shared machine the wall clock counts the other work too."""
    import openpyxl
    import python_calamine

    from perfscore import workbook

    def with_openpyxl() -> None:
        for path in paths:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            for sheet in book.worksheets:
                list(sheet.iter_rows(values_only=True))
            book.close()

    def with_calamine() -> None:
        for path in paths:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
            for name in book.sheet_names:
                book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    def importing() -> None:
        for path in paths:
            workbook.workbook_submission(workbook.read(path))

    ways: dict[str, Callable[[], None]] = {"openpyxl": with_openpyxl, "calamine": with_calamine, "import": importing}
    best = {name: float("inf") for name in ways}
    for _ in range(3):
        for name, way in ways.items():
            started = time.process_time()
            way()
            best[name] = min(best[name], time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=1000, help="how many workbooks (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the two tables, taking turns (default 5)")
    parser.add_argument("--dir", type=Path, default=None, help="where to build the files (default: a temporary folder, removed); files already there are used again")
    parser.add_argument("--no-reading", action="store_true", help="measure (a) only")
    parser.add_argument("--before", type=Path, default=None, metavar="SRC", help="in (a), also the workbooks' table with the perfscore package under SRC (the src folder of another checkout), in the same turns")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = args.dir or Path(scratch)
        workbooks, tomls = base / "workbooks", base / "toml"
        paths = sorted(workbooks.glob("*.xlsx"))
        if len(paths) != args.count or len(list(tomls.glob("*.toml"))) != args.count:
            started = time.perf_counter()
            for old in [*paths, *tomls.glob("*.toml")]:
                old.unlink()
            paths = build_workbooks(workbooks, args.count)
            tomls.mkdir(parents=True, exist_ok=True)
            command = [sys.executable, "-m", "perfscore.cli", "import", *map(str, paths), "-o", str(tomls)]
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise SystemExit(f"perfscore import failed ({result.returncode}):\n{result.stderr}")
            print(f"built {len(paths)} workbooks and imported them to {len(list(tomls.glob('*.toml')))} TOML files in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        count = len(paths)
        times = end_to_end(workbooks, tomls, base, args.rounds, args.before)
        read = None if args.no_reading else reading(paths)
    wb, toml = min(times["workbooks"]), min(times["toml"])
    figures: dict[str, Any] = {"python": sys.version.split()[0]}
    print(f"{count} one-project workbooks (national layout, merged cells, text values) and the same {count} units as TOML; CPython {figures['python']}")
    print(f"(a) perfscore table, {args.rounds} rounds in turn, fastest (median):")
    print(f"    workbooks  {wb:7.2f} s ({statistics.median(times['workbooks']):.2f} s)   {wb / count * 1000:5.2f} ms a unit")
    print(f"    TOML       {toml:7.2f} s ({statistics.median(times['toml']):.2f} s)   {toml / count * 1000:5.2f} ms a unit")
    print(f"    CPU time (user + system), fastest: workbooks {min(times['workbooks_cpu']):.2f} s, TOML {min(times['toml_cpu']):.2f} s: {min(times['workbooks_cpu']) / min(times['toml_cpu']):.2f} × (median of the rounds' ratios {statistics.median(w / t for w, t in zip(times['workbooks_cpu'], times['toml_cpu'])):.2f} ×)")
    if args.before is not None:
        print(f"    workbooks with the code under {args.before}: fastest {min(times['before']):.2f} s, CPU {min(times['before_cpu']):.2f} s: {min(times['before_cpu']) / min(times['toml_cpu']):.2f} × TOML in CPU time (median of the rounds' ratios {statistics.median(w / t for w, t in zip(times['before_cpu'], times['toml_cpu'])):.2f} ×)")
    print("    the two tables are byte for byte the same")
    print(f"    workbooks ÷ TOML: {wb / toml:.2f} × (median of the rounds' ratios {statistics.median(w / t for w, t in zip(times['workbooks'], times['toml'])):.2f} ×); target ≤ 1.5 ×: {'met' if wb / toml <= 1.5 else 'NOT met'}")
    if read is None:
        return
    print("(b) reading alone, in one process, CPU time, fastest of 3:")
    print(f"    openpyxl (read-only, values)   {read['openpyxl']:7.3f} s   {read['openpyxl'] / count * 1000:5.2f} ms a workbook")
    print(f"    python-calamine                {read['calamine']:7.3f} s   {read['calamine'] / count * 1000:5.2f} ms a workbook   ({read['openpyxl'] / read['calamine']:.1f} × faster)")
    print(f"    perfscore import (all of it)   {read['import']:7.3f} s   {read['import'] / count * 1000:5.2f} ms a workbook")


if __name__ == "__main__":
    main()
