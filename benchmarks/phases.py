"""Where one unit's time goes, stage by stage, beside the rtoml floor (issue 16, item 3).

Run from the repository root (not part of the test run):

    python benchmarks/phases.py DIR                          # DIR: generated units (perfscore generate 2000 --seed 1 -o DIR)
    PYTHONPATH=/path/to/other/src python benchmarks/phases.py DIR   # the same for another checkout, to compare

In one process, unit by unit, it times: the floor (the file read and parsed by rtoml, as
benchmarks/run.py's floor), ``Engine.check`` (read, parse, text cells, schema validation,
the ruleset looked up, the checks against it), ``score_submission`` and ``find`` (area
plugins and finding rules). Times are the thread's CPU time (``time.thread_time``), best of
``--rounds`` rounds, so that other processes on the machine move them less than wall time
does; each is printed per unit and as a multiple of the floor.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

import rtoml

from perfscore.engine import Engine
from perfscore.find import find
from perfscore.plugin.manager import make_host
from perfscore.scoring.score import score_submission


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    paths = sorted(args.folder.glob("*.toml"))
    host = make_host()
    engine = Engine(host)
    methods = host.methods()
    clock = time.thread_time
    best: dict[str, float] = {}
    for round_ in range(args.rounds):
        spent = {"floor": 0.0, "check": 0.0, "score": 0.0, "find": 0.0}
        for path in paths:
            started = clock()
            rtoml.loads(path.read_text(encoding="utf-8"))
            parsed = clock()
            submission, ruleset = engine.check(path)
            checked = clock()
            unit = score_submission(submission, ruleset, methods, source=str(path))
            scored = clock()
            find(unit, host)
            found = clock()
            spent["floor"] += parsed - started
            spent["check"] += checked - parsed
            spent["score"] += scored - checked
            spent["find"] += found - scored
            if round_ == 0 and path == paths[0]:
                gc.freeze()  # as the batch does after its first unit
        for key, seconds in spent.items():
            best[key] = min(best.get(key, seconds), seconds)
    floor = best["floor"]
    print(" ".join(f"{key} {seconds / len(paths) * 1e6:.0f} us ({seconds / floor:.2f} x)" for key, seconds in best.items()), end=" | ")
    print(f"check + score {(best['check'] + best['score']) / floor:.2f} x, all {(best['check'] + best['score'] + best['find']) / floor:.2f} x the floor ({len(paths)} units)")


if __name__ == "__main__":
    main()
