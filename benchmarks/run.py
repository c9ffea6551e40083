"""The perfscore benchmark: scoring core, end to end, the parse floor, peak memory.

Run from the repository root (not part of the test run):

    python benchmarks/run.py --units 10000

In one run on one machine it reports:

(a) indicator scores per second of the scoring core (``score.score_indicator`` over rows
    already loaded and validated) next to a hand-written loop doing the same Decimal
    arithmetic (ratio scoring, quantized to 2 places, appended to a list), and units per
    second of ``score.score_submission`` over pre-loaded submissions;
(b) units per second end to end (``perfscore table DIR -o FILE`` in a child process, from
    TOML files to the written table) with ``--jobs 1`` and ``--jobs 2``;
(c) the same files merely read and parsed: by rtoml (the parser the loader uses, the real
    floor) and by ``tomllib`` (``parse_float=Decimal``, the floor earlier figures used);
(d) the peak resident memory of each process that ran the table: the main process and the
    largest worker (``VmHWM`` of each, polled from /proc while it runs);
(e) at every size given with ``--units`` (10,000 and 50,000 by default; 100,000 and
    1,000,000 are optional): time, units/s, peak RSS, and between two sizes the per-unit
    memory slope (Δ peak RSS ÷ Δ units) and the time ratio (is time linear?);
(f) ``perfscore generate`` writing the same number of units (time, units/s), and
    ``table --format csv --sort file`` (the streamed table) with its peak RSS.

Targets (docs/performance.md, issue 16): end to end (jobs 1) ≤ 4 × the rtoml floor; the
largest size's time ≤ 5.5 × (its units ÷ the smallest's units ÷ 5) × the smallest's, i.e.
50,000 ≤ 5.5 × 10,000; per-unit memory slope ≤ 1 KB of the ranked table, and 1,000,000 units
projected within 1.5 GB; the streamed CSV's peak flat (slope ≤ 0.1 KB a unit); jobs 2 ≥
1.7 × jobs 1 (0.85 × N); generate at least as fast as table (jobs 1 each).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ensure_units(directory: Path, count: int, seed: int) -> list[Path]:
    paths = sorted(directory.glob("*.toml"))
    if len(paths) != count:
        from perfscore.generate import write_submissions

        for path in paths:
            path.unlink()
        started = time.perf_counter()
        write_submissions(count, seed, directory)
        print(f"generated {count} units in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        paths = sorted(directory.glob("*.toml"))
    return paths


def best_of(functions: dict[str, object], rounds: int = 15) -> dict[str, float]:
    """Seconds per call of each function: the fastest of ``rounds`` calls, the functions
    taking turns, so that a burst of load on this shared machine hits all of them alike."""
    best = {name: float("inf") for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def bench_core(paths: list[Path]) -> dict[str, float]:
    """(a) score_indicator and score_submission on pre-loaded data, and the hand loop."""
    from perfscore.engine import Engine
    from perfscore.scoring.weights import row_weights
    from perfscore.plugin.manager import make_host
    from perfscore.scoring.score import score_indicator, score_submission

    engine = Engine(make_host())
    loaded = [engine.check(path) for path in paths]
    ruleset = loaded[0][1]
    methods = engine.host.methods()
    rows = []
    for submission, _ in loaded:
        for project in submission.projects:
            definitions = [ruleset.indicator_index[row.indicator] for row in project.indicators]
            weights = row_weights(project, ruleset)
            rows += [(project.id, row, definition, weight) for row, definition, weight in zip(project.indicators, definitions, weights)]

    def core() -> None:
        for project_id, row, definition, weight in rows:
            score_indicator(project_id, row, definition, weight, ruleset, methods)

    # The hand-written loop does the same arithmetic as the core on the same rows: it
    # branches on the comparison itself (≥ ratio capped at the weight, ≤ linear to 0 at
    # twice the target, = with a zero target, qualitative tier shares), clamps and rounds
    # half-up after any manual deduction, and keeps (score, completion) per row. Its scores are checked equal to the
    # core's below, so the two loops are compared on the same work.
    quantum, one, zero, two = Decimal("0.01"), Decimal(1), Decimal(0), Decimal(2)
    tiers = {key: tier for tier in ruleset.qualitative.tiers for key in (tier.id, tier.name)}
    top_share = max(tier.max for tier in ruleset.qualitative.tiers)
    numbers = []
    for _, row, definition, weight in rows:
        comparison = row.comparison or definition.comparison
        if comparison == "qualitative":
            tier = tiers.get(row.tier)
            share = top_share if tier is None else (None if row.self_score is not None else tier.max)
            numbers.append(("q", None, row.self_score, weight, share, row.deduction))
        else:
            numbers.append((comparison, row.target, row.actual, weight, None, row.deduction))

    def hand() -> list:
        scores = []
        for comparison, target, actual, weight, share, deduction in numbers:
            completion = None
            if comparison == "q":
                raw = actual if share is None else weight * share
            elif target is None or actual is None:
                raw = zero
            elif comparison == "<=":
                if target <= zero:
                    raw = weight if actual <= zero else zero
                else:
                    completion = actual / target
                    raw = weight if actual <= target else (zero if actual >= two * target else weight * (one - (actual - target) / target))
            elif target <= zero:
                raw = weight if (actual >= target if comparison == ">=" else actual <= zero) else zero
            else:
                completion = actual / target
                raw = weight if completion >= one else weight * completion
            if deduction is not None:
                raw = raw - deduction
            if raw < zero:
                raw = zero
            elif raw > weight:
                raw = weight
            scores.append((raw.quantize(quantum, rounding=ROUND_HALF_UP), completion))
        return scores

    core_scores = [(s.score, s.completion) for s in (score_indicator(p, r, d, w, ruleset, methods) for p, r, d, w in rows)]
    if core_scores != hand():
        raise SystemExit("benchmark: the hand-written loop and the core disagree; the comparison would be unfair")

    submissions = [submission for submission, _ in loaded]

    def units() -> None:
        for submission in submissions:
            score_submission(submission, ruleset, methods)

    seconds = best_of({"core": core, "hand": hand, "units": units})
    core_seconds, hand_seconds, unit_seconds = seconds["core"], seconds["hand"], seconds["units"]
    return {
        "rows": len(rows),
        "core_rows_per_s": len(rows) / core_seconds,
        "hand_rows_per_s": len(rows) / hand_seconds,
        "core_vs_hand": hand_seconds / core_seconds,
        "score_submission_units_per_s": len(submissions) / unit_seconds,
        "score_submission_rows_per_s": len(rows) / unit_seconds,
    }


def bench_parse(paths: list[Path]) -> dict[str, float]:
    """(c) the floors: read every file and parse it, nothing else; rtoml (the loader's parser) and tomllib."""
    import rtoml

    started = time.perf_counter()
    for path in paths:
        rtoml.loads(path.read_text(encoding="utf-8"))
    rtoml_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for path in paths:
        tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    seconds = time.perf_counter() - started
    return {"rtoml_s": rtoml_seconds, "rtoml_units_per_s": len(paths) / rtoml_seconds, "parse_s": seconds, "parse_units_per_s": len(paths) / seconds}


def measure(command: list[str]) -> dict[str, float]:
    """Run ``command`` in a child wrapper; its wall time, exit status and each process's peak RSS."""
    child = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(command)]
    result = subprocess.run(child, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not result.stdout.strip():
        raise SystemExit(f"benchmark child failed ({result.returncode}):\n{result.stderr}")
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    if measured["status"] not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({measured['status']}):\n{measured['stderr']}")
    return measured


def bench_table(directory: Path, jobs: int, output: Path, *extra: str) -> dict[str, float]:
    """(b) and (d): ``perfscore table`` in a child; wall time and peak RSS per process."""
    return measure([sys.executable, "-m", "perfscore.cli", "table", str(directory), "--jobs", str(jobs), "-o", str(output), *extra])


def _descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as handle:
                children = [int(child) for child in handle.read().split()]
        except OSError:
            continue
        found += children
        pending += children
    return found


def _peak_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def child(command_json: str) -> None:
    """Run one command as this process's only child; report its time and the peak RSS of
    the command's main process and of its largest worker (polled every 20 ms from /proc;
    ``RUSAGE_CHILDREN`` gives the largest of them all as a check)."""
    import threading

    command = json.loads(command_json)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, int] = {}
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            for pid in [process.pid, *_descendants(process.pid)]:
                peak = _peak_kb(pid)
                if peak is not None:
                    peaks[pid] = max(peaks.get(pid, 0), peak)
            done.wait(0.02)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    largest = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 1024 / 1024
    main_peak = peaks.pop(process.pid, 0) / 1024
    worker_peak = max(peaks.values(), default=0) / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": largest, "main_rss_mb": max(main_peak, 0 if peaks else largest), "worker_rss_mb": worker_peak, "status": process.returncode, "stderr": stderr[-2000:]}))


def bench_generate(count: int, seed: int, directory: Path) -> dict[str, float]:
    """(f) ``perfscore generate COUNT`` into an empty folder, in a child."""
    import shutil

    shutil.rmtree(directory, ignore_errors=True)
    measured = measure([sys.executable, "-m", "perfscore.cli", "generate", str(count), "--seed", str(seed), "-o", str(directory)])
    shutil.rmtree(directory, ignore_errors=True)
    return measured


def _faster(best: dict | None, new: dict, key: str = "seconds") -> dict:
    """The faster of two measurements; peak memory is the larger of the two."""
    if best is None:
        return new
    kept = dict(new if new[key] < best[key] else best)
    for memory in ("peak_rss_mb", "main_rss_mb", "worker_rss_mb"):
        if memory in kept:
            kept[memory] = max(best[memory], new[memory])
    return kept


def bench_size(directory: Path, units: int, seed: int, rounds: int, out: Path) -> dict[str, object]:
    """Everything measured at one size, the contenders taking turns ``rounds`` times."""
    paths = ensure_units(directory, units, seed)
    parse = one = two = streamed = generated = None
    for _ in range(rounds):
        parse = _faster(parse, bench_parse(paths), "rtoml_s")
        one = _faster(one, bench_table(directory, 1, out / "table-jobs1.txt"))
        two = _faster(two, bench_table(directory, 2, out / "table-jobs2.txt"))
        streamed = _faster(streamed, bench_table(directory, 1, out / "table-streamed.csv", "--format", "csv", "--sort", "file"))
        generated = _faster(generated, bench_generate(units, seed + 1000, out / "generated"))
    identical = (out / "table-jobs1.txt").read_bytes() == (out / "table-jobs2.txt").read_bytes()
    return {"units": units, "parse": parse, "jobs1": one, "jobs2": two, "streamed": streamed, "generate": generated, "identical": identical}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", default="10000,50000", help="sizes, comma-separated (default 10000,50000; 100000 and 1000000 optional)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="where the generated units live (default: $TMPDIR/perfscore-benchmark); one folder units-N-seed-S a size")
    parser.add_argument("--core-units", type=int, default=500, help="units pre-loaded for the core benchmark")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--rounds", type=int, default=2, help="rounds at each size; the best time of each contender is kept")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    sizes = sorted(int(size) for size in args.units.split(","))
    base = args.dir or Path(tempfile.gettempdir()) / "perfscore-benchmark"
    out = base / "out"
    out.mkdir(parents=True, exist_ok=True)
    directories = {units: base / f"units-{units}-seed-{args.seed}" for units in sizes}
    for units, directory in directories.items():
        directory.mkdir(parents=True, exist_ok=True)
        ensure_units(directory, units, args.seed)
    core = bench_core(sorted(directories[sizes[0]].glob("*.toml"))[: args.core_units])
    results = [bench_size(directories[units], units, args.seed, args.rounds, out) for units in sizes]
    machine = f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}"
    lines = [
        f"perfscore benchmark · {', '.join(f'{units:,}' for units in sizes)} units · {machine}",
        "",
        f"(a) scoring core: score_indicator {core['core_rows_per_s']:>12,.0f} rows/s   hand loop {core['hand_rows_per_s']:>12,.0f} rows/s   ratio {core['core_vs_hand']:.2f}   ({core['rows']} rows of {args.core_units} units)",
        f"    score_submission {core['score_submission_units_per_s']:>10,.0f} units/s ({core['score_submission_rows_per_s']:,.0f} rows/s, with projects, levels and budgets)",
    ]
    figures: dict[str, object] = {"machine": machine, "core": core, "sizes": []}
    for result in results:
        units = result["units"]
        parse, one, two, streamed, generated = (result[key] for key in ("parse", "jobs1", "jobs2", "streamed", "generate"))
        size = {
            "units": units,
            "rtoml_s": parse["rtoml_s"], "rtoml_units_per_s": parse["rtoml_units_per_s"], "tomllib_s": parse["parse_s"],
            "jobs1_s": one["seconds"], "jobs1_units_per_s": units / one["seconds"], "jobs1_rss_mb": one["main_rss_mb"],
            "jobs2_s": two["seconds"], "jobs2_units_per_s": units / two["seconds"], "jobs2_main_rss_mb": two["main_rss_mb"], "jobs2_worker_rss_mb": two["worker_rss_mb"],
            "streamed_csv_s": streamed["seconds"], "streamed_csv_rss_mb": streamed["main_rss_mb"],
            "generate_s": generated["seconds"], "generate_units_per_s": units / generated["seconds"], "generate_rss_mb": generated["main_rss_mb"],
            "end_to_end_vs_rtoml": one["seconds"] / parse["rtoml_s"], "end_to_end_vs_tomllib": one["seconds"] / parse["parse_s"],
            "jobs2_speedup": one["seconds"] / two["seconds"], "jobs2_output_identical": result["identical"],
        }
        figures["sizes"].append(size)
        lines += [
            "",
            f"{units:,} units",
            f"(b) end to end:     jobs 1 {size['jobs1_units_per_s']:>8,.0f} units/s ({one['seconds']:.2f} s)   jobs 2 {size['jobs2_units_per_s']:>8,.0f} units/s ({two['seconds']:.2f} s)   speed-up {size['jobs2_speedup']:.2f} ({size['jobs2_speedup'] / 2:.2f} × N)",
            f"(c) parse floor:    rtoml {parse['rtoml_units_per_s']:>8,.0f} units/s ({parse['rtoml_s']:.2f} s)   tomllib {units / parse['parse_s']:,.0f} units/s ({parse['parse_s']:.2f} s)   end to end ÷ rtoml {size['end_to_end_vs_rtoml']:.2f}   ÷ tomllib {size['end_to_end_vs_tomllib']:.2f}",
            f"(d) peak RSS:       jobs 1 {one['main_rss_mb']:.0f} MB   jobs 2 main {two['main_rss_mb']:.0f} MB, largest worker {two['worker_rss_mb']:.0f} MB",
            f"(f) generate:       {size['generate_units_per_s']:>8,.0f} units/s ({generated['seconds']:.2f} s, {generated['main_rss_mb']:.0f} MB)   streamed csv (--sort file) {units / streamed['seconds']:,.0f} units/s ({streamed['seconds']:.2f} s, {streamed['main_rss_mb']:.0f} MB)",
        ]
    targets = []
    small, large = figures["sizes"][0], figures["sizes"][-1]
    for size in figures["sizes"]:
        targets.append((f"end to end (jobs 1) ≤ 4 × the rtoml floor at {size['units']:,}", size["end_to_end_vs_rtoml"] <= 4, f"{size['end_to_end_vs_rtoml']:.2f} ×"))
        targets.append((f"jobs 2 ≥ 1.7 × jobs 1 at {size['units']:,}", size["jobs2_speedup"] >= 1.7, f"{size['jobs2_speedup']:.2f} ×"))
        targets.append((f"generate at least as fast as table (jobs 1) at {size['units']:,}", size["generate_units_per_s"] >= size["jobs1_units_per_s"], f"{size['generate_units_per_s']:,.0f} against {size['jobs1_units_per_s']:,.0f} units/s"))
        targets.append((f"jobs 2 output byte-identical to jobs 1 at {size['units']:,}", size["jobs2_output_identical"], str(size["jobs2_output_identical"])))
    if large is not small:
        grown = large["units"] / small["units"]
        ratio = large["jobs1_s"] / small["jobs1_s"]
        slope = (large["jobs1_rss_mb"] - small["jobs1_rss_mb"]) * 1024 / (large["units"] - small["units"])
        streamed_slope = (large["streamed_csv_rss_mb"] - small["streamed_csv_rss_mb"]) * 1024 / (large["units"] - small["units"])
        million = small["jobs1_rss_mb"] + slope * (1_000_000 - small["units"]) / 1024
        figures |= {"time_ratio": ratio, "slope_kb_per_unit": slope, "streamed_slope_kb_per_unit": streamed_slope, "projected_1m_mb": million}
        lines += ["", f"(e) {large['units']:,} ÷ {small['units']:,}: time {ratio:.2f} × for {grown:.0f} × the units; memory slope {slope:.2f} KB a unit (table), {streamed_slope:.2f} KB a unit (streamed csv); 1,000,000 units projected at {million:,.0f} MB"]
        targets += [
            (f"time linear: {large['units']:,} ≤ {5.5 * grown / 5:.1f} × {small['units']:,}", ratio <= 5.5 * grown / 5, f"{ratio:.2f} ×"),
            ("memory ≤ 1 KB held a unit (slope of the table's peak RSS)", slope <= 1.0, f"{slope:.2f} KB"),
            ("1,000,000 units within 1.5 GB (projected from the slope)", million <= 1536, f"{million:,.0f} MB"),
            ("streamed csv in constant memory (slope ≤ 0.1 KB a unit)", streamed_slope <= 0.1, f"{streamed_slope:.2f} KB"),
        ]
    lines += ["", "targets:", *[f"  [{'met' if met else 'MISSED'}] {name}: {value}" for name, met, value in targets]]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
