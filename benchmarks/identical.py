"""Byte-for-byte check that a change to the hot path changed no output (issue 16).

Run from the repository root (not part of the test run):

    python benchmarks/identical.py record /tmp/reference     # before a change
    python benchmarks/identical.py check  /tmp/reference     # after it: exit 1 on any difference

It runs the command line in this process (``perfscore.cli.main``) over the seed unit, 1,000
generated units (``perfscore generate 1000 --seed 7``, written once beside the reference)
and the test suite's bad submissions (tests/data: every error message), and keeps what
each command wrote to stdout, stderr, its output file and its exit status:

- ``table`` of each set in every format (text, github, markdown, csv to a file and to
  stdout, json), by unit, project and area, in Chinese and English, with ``--jobs 1`` and
  ``--jobs 2``, ``--sort file`` and ``--sort unit:asc``;
- ``score --format json``, ``score``, ``explain`` and ``report`` (and ``check``) of the seed,
  of every one of the 1,000 units and of every bad file.

``record`` writes one file a case under the reference folder; ``check`` runs the same cases
and names every case whose bytes differ (the first lines that differ are shown).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import hashlib
import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "district-canlian-2022.toml"
BAD = ROOT / "tests" / "data"


def run_cli(arguments: list[str], output: Path | None = None) -> bytes:
    """Run ``perfscore ARGUMENTS`` here; its stdout, stderr, output file and status as bytes."""
    from perfscore.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(arguments + (["-o", str(output)] if output is not None else []))
    written = b""
    if output is not None and output.is_file():
        written = output.read_bytes()
        output.unlink()
    return b"".join([f"status {status}\n--- stdout\n".encode(), out.getvalue().encode(), b"\n--- stderr\n", err.getvalue().encode(), b"\n--- file\n", written])


def cases(units: Path, scratch: Path) -> dict[str, list[str] | tuple[list[str], Path]]:
    """Every case: a name → the arguments (and the output file, when the case writes one)."""
    sets = {"seed": [str(SEED)], "units": [str(units)], "bad": [str(BAD)], "mixed": [str(SEED), str(units)]}
    found: dict[str, list[str] | tuple[list[str], Path]] = {}
    for name, paths in sets.items():
        for by in ("unit", "project", "area"):
            for lang in ("zh", "en"):
                for fmt in ("table", "csv", "json", "markdown", "github"):
                    found[f"table-{name}-{by}-{lang}-{fmt}"] = ["table", *paths, "--by", by, "--lang", lang, "--format", fmt, "--allow-mixed"]
                found[f"table-{name}-{by}-{lang}-csvfile"] = (["table", *paths, "--by", by, "--lang", lang, "--format", "csv", "--allow-mixed"], scratch / "t.csv")
        for jobs in ("1", "2"):
            for sort in ("file", "unit:asc", "total"):
                found[f"table-{name}-jobs{jobs}-sort-{sort}"] = ["table", *paths, "--jobs", jobs, "--sort", sort, "--format", "csv", "--allow-mixed"]
                found[f"table-{name}-jobs{jobs}-sort-{sort}-text"] = ["table", *paths, "--jobs", jobs, "--sort", sort, "--allow-mixed"]
        found[f"table-{name}-strict"] = ["table", *paths]
    found["table-units-compare"] = ["table", str(units), "--compare", str(SEED), "--allow-mixed"]
    files = [SEED, *sorted(units.glob("*.toml")), *sorted(path for path in BAD.iterdir() if path.is_file())]
    for file in files:
        stem = file.parent.name + "-" + file.stem
        found[f"score-json-{stem}"] = ["score", str(file), "--format", "json"]
        found[f"explain-{stem}"] = ["explain", str(file)]
        if file.parent != units or file.stem.endswith("0"):  # every tenth unit: the text forms
            found[f"score-{stem}"] = ["score", str(file), "--lang", "en"]
            found[f"report-{stem}"] = ["report", str(file)]
            found[f"check-{stem}"] = ["check", str(file)]
    return found


def ensure_units(reference: Path) -> Path:
    units = reference / "units-1000-seed-7"
    if not units.exists() or len(list(units.glob("*.toml"))) != 1000:
        from perfscore.generate import write_submissions

        units.mkdir(parents=True, exist_ok=True)
        write_submissions(1000, 7, units)
    return units


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("record", "check"))
    parser.add_argument("reference", type=Path)
    parser.add_argument("--only", help="run only the cases whose name contains this")
    args = parser.parse_args()
    os.environ.pop("COLUMNS", None)
    os.environ["LANG"] = "en_US.UTF-8"
    units = ensure_units(args.reference)
    outputs = args.reference / "outputs"
    outputs.mkdir(parents=True, exist_ok=True)
    differ: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        if not args.only or args.only in "generate":
            # generate writes the same files as the reference's units (written when recorded)
            generated = Path(scratch) / "generated"
            run_cli(["generate", "1000", "--seed", "7"], generated)
            changed = [path.name for path in sorted(units.glob("*.toml")) if (generated / path.name).read_bytes() != path.read_bytes()]
            if changed or len(list(generated.glob("*.toml"))) != 1000:
                differ.append("generate")
                print(f"generate: {len(changed)} file(s) differ, e.g. {changed[:3]}", file=sys.stderr)
        for name, case in cases(units, Path(scratch)).items():
            if args.only and args.only not in name:
                continue
            arguments, output = (case, None) if isinstance(case, list) else case
            produced = run_cli(arguments, output).replace(str(args.reference).encode(), b"REF").replace(str(ROOT).encode(), b"ROOT")
            kept = outputs / f"{name}.out"
            if args.mode == "record":
                kept.write_bytes(produced)
            elif not kept.exists():
                differ.append(name)
                print(f"{name}: no reference output", file=sys.stderr)
            elif kept.read_bytes() != produced:
                differ.append(name)
                before = kept.read_text(encoding="utf-8", errors="replace").splitlines()
                after = produced.decode("utf-8", errors="replace").splitlines()
                print(f"{name}: DIFFERS", file=sys.stderr)
                for line in list(difflib.unified_diff(before, after, "reference", "now", lineterm="", n=1))[:12]:
                    print(f"    {line[:200]}", file=sys.stderr)
    total = hashlib.sha256()
    for kept in sorted(outputs.glob("*.out")):
        total.update(kept.read_bytes())
    count = len(list(outputs.glob("*.out")))
    if args.mode == "record":
        print(f"recorded {count} outputs in {outputs} (sha256 of all: {total.hexdigest()[:16]})")
        return 0
    if differ:
        print(f"{len(differ)} output(s) differ from the reference", file=sys.stderr)
        return 1
    print(f"all outputs byte-identical to the reference ({count} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
