"""Making a batch's table: score the files (:mod:`perfscore.batch.run`), then rank them
(:mod:`perfscore.batch.table`), the previous year's batch too with ``compare``.

The one call library users and :mod:`perfscore.cli` make for ``perfscore table``; it sits
above both batch steps so that neither reaches into the other's concern, and hands its
:class:`~perfscore.batch.table.Table` on to :mod:`perfscore.output.table` to be written.
Options arrive typed (:class:`~perfscore.batch.table.TableOptions`), never as argparse's
Namespace; a terminal's progress bar (:mod:`perfscore.batch.progress`) is drawn here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from perfscore.batch.progress import Progress
from perfscore.batch.run import BY_CHOICES, Failed, Scored, collect, discover, make_scorer
from perfscore.batch.table import Table, TableOptions, build_table
from perfscore.errors import PerfscoreError, Problem, fill


def score_batch(paths: Iterable[Path], options: TableOptions, jobs: int, label: str) -> tuple[list[Scored], list[Failed], int]:
    """Score the files under ``paths`` with a progress bar; return summaries, failures, file count."""
    paths = list(paths)
    discovered = discover(paths)
    # held as text for the whole run: a Path object costs several times its string
    files = [str(path) for path in discovered.files]
    unreadable = discovered.failed
    del discovered
    if not files:
        if unreadable:  # an unreadable folder is not an empty one: say what stood in the way
            raise PerfscoreError([problem for failure in unreadable for problem in failure.problems])
        raise PerfscoreError(Problem(f"no .toml submissions found under {', '.join(str(path) for path in paths)}", expected="folders or files of perfscore submissions", key="no_submissions_found", expected_key="expected_submission_paths", fields=fill(paths=", ".join(str(path) for path in paths))))
    progress = Progress(len(files), label=label, lang=options.lang)
    try:
        scored, failed = collect(files, by=options.by, ruleset=options.ruleset, plugins_dirs=options.plugins_dir, jobs=jobs, on_done=progress.advance)
    finally:
        progress.close()
    if unreadable:
        # what discovery could not look into is listed with the files that failed: each a
        # path that may have held units the table lacks
        failed = sorted([*failed, *unreadable], key=lambda item: item.file)
    return scored, failed, len(files) + len(unreadable)


def make_table(paths: Iterable[Path], options: TableOptions) -> Table:
    """Score the batch (and the previous year's, with ``compare``) and build the table."""
    if options.by not in BY_CHOICES:
        raise PerfscoreError(Problem(f"unknown --by {options.by!r}", expected=", ".join(BY_CHOICES), key="unknown_by", fields=fill(by=repr(options.by))))
    if options.jobs < 0:
        raise PerfscoreError(Problem(f"--jobs {options.jobs}", expected="0 (one per CPU) or a positive number of processes", key="bad_jobs", expected_key="expected_jobs", fields=fill(jobs=options.jobs)))
    jobs = options.jobs or os.cpu_count() or 1
    # Plugins and the ruleset are loaded here first, so a broken plugin or an unknown
    # ruleset is one clear error before any worker starts.
    scorer = make_scorer(options.plugins_dir, options.ruleset, options.by)
    expected = scorer.engine.ruleset(options.ruleset).scoring_fingerprint if options.ruleset else None
    scored, failed, files = score_batch(paths, options, jobs, "scoring")
    previous = None
    if options.compare:
        previous = score_batch(options.compare, options, jobs, "previous year")[:2]
    # nothing keeps the summaries after this: their parts go as their rows are made
    return build_table(scored, failed, options, files=files, expected_fingerprint=expected, previous=previous, release=True)


def table_from_paths(paths: Iterable[Path], **options: Any) -> Table:
    """Build a table in code (tests, notebooks); options are the command line's, by name."""
    for name in ("compare", "plugins_dir"):
        if options.get(name) is not None:
            options[name] = tuple(Path(path) for path in options[name])
    return make_table(paths, TableOptions(**options))


__all__ = ["make_table", "score_batch", "table_from_paths"]
