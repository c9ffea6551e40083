"""Benchmark: reading 自评表 workbooks with python-calamine against openpyxl, and what import adds.

Run: ``.venv/bin/python benchmarks/workbooks.py [COUNT]`` (default 200 workbooks). It builds
COUNT one-project workbooks in the national layout (tests/workbooks.py, 6 indicator rows,
merged cells) in a temporary folder, then times, side by side in one run:

- openpyxl (read-only and values-only, its fastest way) reading every sheet's values;
- python-calamine reading the same sheets (what perfscore does, perfscore.workbook.cells);
- perfscore's whole import of each workbook (read, check, find the layout, convert);
- scoring the same number of one-project units from TOML (the generated units, loaded,
  scored and findings run), the time import adds to.

docs/performance.md records the figures.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import openpyxl  # noqa: E402
import python_calamine  # noqa: E402
from workbooks import ProjectSheet, default_rows, national_workbook  # noqa: E402

from perfscore import generate, workbook  # noqa: E402
from perfscore.engine import Engine  # noqa: E402
from perfscore.plugin.manager import make_host  # noqa: E402


def timed(label: str, count: int, run: object) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    print(f"{label:<48} {seconds:8.3f} s  {seconds / count * 1000:7.2f} ms each")
    return seconds


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        paths = [national_workbook(base / f"u{n}.xlsx", ProjectSheet(unit=f"单位{n}", rows=default_rows(), spending=100 + n % 20)) for n in range(count)]
        units = base / "units"
        generate.write_submissions(count, 1, units, 2022)
        tomls = sorted(units.glob("*.toml"))

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

        engine = Engine(make_host([]))

        def scoring() -> None:
            for path in tomls:
                engine.evaluate(path)

        print(f"{count} one-project workbooks (national layout, 6 rows); {len(tomls)} generated TOML units")
        slow = timed("openpyxl read (read-only, values)", count, with_openpyxl)
        fast = timed("python-calamine read", count, with_calamine)
        read = timed("perfscore import (read + checks + convert)", count, importing)
        score = timed("score from TOML (load + score + find)", len(tomls), scoring)
        print(f"calamine is {slow / fast:.1f}x faster than openpyxl; import adds {read / score * 100:.0f}% to scoring from TOML "
              f"(import + score ≈ {(read + score) / score:.2f}x scoring alone)")


if __name__ == "__main__":
    main()
