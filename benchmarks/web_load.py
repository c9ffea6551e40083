"""The web view under load: 20 clients browsing a year of 10,000 units, all on 127.0.0.1.

Run from the repository root (not part of the test run):

    python benchmarks/web_load.py --units 10000 --clients 20 --seconds 60

It generates the units (``perfscore generate``) and ingests them into a SQLite store
(``perfscore ingest --jobs 2``) unless ``--db`` names a store that already holds them, starts
``perfscore serve`` on 127.0.0.1 on a free port in a child process, opens the table once (the
first build of a year's table is timed apart: later requests read it from memory until the
store changes), then runs ``--clients`` threads. Each browses as a reviewer does, from its own
fixed random sequence, waiting ``--think`` seconds on average (0.5 to 1.5 times it) before
each page as a person reading the last one does (``--think 0`` saturates the server): a page of the ranked table, sorted or filtered, a unit's page, one of
its projects, one indicator row, now and then the charts. Every client stops after
``--seconds`` or ``--requests`` requests, whichever comes first, and the server is stopped.
It prints the median (p50) and 95th percentile (p95) page time, overall and by page kind,
and the failures (a non-200 answer). Target (docs/performance.md): p95 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERFSCORE = [sys.executable, "-m", "perfscore.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stored_units(db: Path, year: int) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        try:
            return int(connection.execute("SELECT COUNT(DISTINCT unit_id) FROM submissions WHERE year = ?", (year,)).fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def prepare(db: Path, units: int, year: int, work: Path) -> float:
    """Generate and ingest the units unless the store holds them; the seconds it took."""
    if stored_units(db, year) >= units:
        return 0.0
    started = time.perf_counter()
    folder = work / "units"
    subprocess.run([*PERFSCORE, "generate", str(units), "--seed", "15", "--year", str(year), "-o", str(folder)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*PERFSCORE, "ingest", str(folder), "--db", str(db), "--jobs", "2"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def unit_samples(db: Path, year: int, count: int) -> list[tuple[str, str, str]]:
    """(unit, project, indicator) triples to browse, drawn from the store."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT s.unit_id, p.project_id, r.indicator FROM submissions s JOIN project_scores p ON p.submission_id = s.id "
            "JOIN row_scores r ON r.submission_id = s.id AND r.project_position = p.position WHERE s.year = ? AND r.position = 0 ORDER BY s.id LIMIT ?",
            (year, count),
        ).fetchall()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def fetch(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.perf_counter() - started


def client(number: int, base: str, year: int, samples: list[tuple[str, str, str]], deadline: float, most: int, think: float, times: dict[str, list[float]], failures: list[str], lock: threading.Lock) -> None:
    rng = random.Random(number)
    sorts = ["total", "budget", "execution_rate", "level:output", "unit"]
    done = 0
    while done < most and time.perf_counter() < deadline:
        unit, project, indicator = rng.choice(samples)
        pages = [
            ("table", f"{base}/table?year={year}&page={rng.randint(1, 200)}"),
            ("table sorted/filtered", f"{base}/table?year={year}&sort={urllib.request.quote(rng.choice(sorts))}&order={rng.choice(['asc', 'desc'])}&grade={urllib.request.quote(rng.choice(['', '优', '良', '中']))}"),
            ("unit", f"{base}/unit/{urllib.request.quote(unit, safe='')}/{year}"),
            ("project", f"{base}/unit/{urllib.request.quote(unit, safe='')}/{year}/project/{urllib.request.quote(project, safe='')}"),
            ("indicator", f"{base}/unit/{urllib.request.quote(unit, safe='')}/{year}/project/{urllib.request.quote(project, safe='')}/row/{urllib.request.quote(indicator, safe='')}"),
        ]
        if rng.random() < 0.1:
            pages.append(("charts", f"{base}/charts?year={year}"))
        for kind, url in pages:
            if done >= most or time.perf_counter() >= deadline:
                break
            if think:
                time.sleep(rng.uniform(0.5 * think, 1.5 * think))  # a person reads the page
            status, seconds = fetch(url)
            done += 1
            with lock:
                times.setdefault(kind, []).append(seconds)
                if status != 200:
                    failures.append(f"{status} {url}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="each client stops after this long")
    parser.add_argument("--requests", type=int, default=500, help="each client stops after this many requests")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a client waits before each page, as a person reading (0: none, the server saturated)")
    parser.add_argument("--year", type=int, default=2022)
    parser.add_argument("--db", type=Path, help="a SQLite store to reuse (made and filled when it does not hold the units)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="perfscore-web-load-") as temporary:
        work = Path(temporary)
        db = args.db or work / "load.db"
        prepared = prepare(db, args.units, args.year, work)
        samples = unit_samples(db, args.year, 2000)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([*PERFSCORE, "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PERFSCORE_WEB_TOKEN": ""})
        try:
            deadline = time.perf_counter() + 60
            while True:
                try:
                    fetch(base + "/static/style.css")
                    break
                except OSError:
                    if time.perf_counter() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start")
                    time.sleep(0.2)
            status, first_table = fetch(f"{base}/table?year={args.year}")
            assert status == 200, status
            count = re.search(r"(\d+)", urllib.request.urlopen(f"{base}/table?year={args.year}&lang=en").read().decode().split("units shown")[0][-40:])
            times: dict[str, list[float]] = {}
            failures: list[str] = []
            lock = threading.Lock()
            started = time.perf_counter()
            stop = started + args.seconds
            threads = [threading.Thread(target=client, args=(n, base, args.year, samples, stop, args.requests, args.think, times, failures, lock)) for n in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    every = [value for values in times.values() for value in values]
    report = {
        "units": args.units,
        "units_shown_in_table": int(count.group(1)) if count else None,
        "clients": args.clients,
        "think_seconds": args.think,
        "requests": len(every),
        "seconds": round(elapsed, 1),
        "requests_per_second": round(len(every) / elapsed, 1),
        "prepare_seconds": round(prepared, 1),
        "first_table_ms": round(first_table * 1000),
        "p50_ms": round(statistics.median(every) * 1000, 1),
        "p95_ms": round(percentile(every, 0.95) * 1000, 1),
        "by_page": {kind: {"count": len(values), "p50_ms": round(statistics.median(values) * 1000, 1), "p95_ms": round(percentile(values, 0.95) * 1000, 1)} for kind, values in sorted(times.items())},
        "failures": failures[:10],
        "failure_count": len(failures),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
