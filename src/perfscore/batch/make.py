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
import pickle
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

from perfscore.batch.progress import Progress
from perfscore.arithmetic import quantize
from perfscore.batch.run import BY_CHOICES, Failed, RulesetInfo, Scored, collect, discover, make_scorer, score_files
from perfscore.batch.table import TWO, Column, Comparability, RowMaker, Table, TableOptions, build_columns, build_rows, build_table
from perfscore.errors import ExitCode, PerfscoreError, Problem, fill


def score_batch(paths: Iterable[Path], options: TableOptions, jobs: int, label: str, on_scored: Callable[[Scored], None] | None = None) -> tuple[list[Scored], list[Failed], int]:
    """Score the files under ``paths`` with a progress bar; return summaries, failures, file count
    (``on_scored``: called with each summary as it arrives, see :func:`collect`)."""
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
        scored, failed = collect(files, by=options.by, ruleset=options.ruleset, plugins_dirs=options.plugins_dir, jobs=jobs, on_done=progress.advance, on_scored=on_scored)
    finally:
        progress.close()
    if unreadable:
        # what discovery could not look into is listed with the files that failed: each a
        # path that may have held units the table lacks
        failed = sorted([*failed, *unreadable], key=lambda item: item.file)
    return scored, failed, len(files) + len(unreadable)


def _check_options(options: TableOptions) -> int:
    """The number of processes, once ``by`` and ``jobs`` are known to be good."""
    if options.by not in BY_CHOICES:
        raise PerfscoreError(Problem(f"unknown --by {options.by!r}", expected=", ".join(BY_CHOICES), key="unknown_by", fields=fill(by=repr(options.by))))
    if options.jobs < 0:
        raise PerfscoreError(Problem(f"--jobs {options.jobs}", expected="0 (one per CPU) or a positive number of processes", key="bad_jobs", expected_key="expected_jobs", fields=fill(jobs=options.jobs)))
    return options.jobs or os.cpu_count() or 1


def make_table(paths: Iterable[Path], options: TableOptions) -> Table:
    """Score the batch (and the previous year's, with ``compare``) and build the table."""
    jobs = _check_options(options)
    # Plugins and the ruleset are loaded here first, so a broken plugin or an unknown
    # ruleset is one clear error before any worker starts.
    scorer = make_scorer(options.plugins_dir, options.ruleset, options.by)
    expected = scorer.engine.ruleset(options.ruleset).scoring_fingerprint if options.ruleset else None
    rows: list[Any] | None = None
    if options.by in ("unit", "project"):
        scored, failed, files, rows = _score_rows(paths, options, jobs)
    else:
        scored, failed, files = score_batch(paths, options, jobs, "scoring")
    previous = None
    if options.compare:
        previous = score_batch(options.compare, options, jobs, "previous year")[:2]
    # nothing keeps the summaries after this: their parts go as their rows are made
    return build_table(scored, failed, options, files=files, expected_fingerprint=expected, previous=previous, release=True, rows=rows)


def _score_rows(paths: Iterable[Path], options: TableOptions, jobs: int) -> tuple[list[Scored], list[Failed], int, list[Any]]:
    """:func:`score_batch` that makes each summary's rows as it arrives and lets its parts
    go at once, so that a batch's figures are never held twice (as summaries, then as
    rows): the summaries kept are their names, file, year and ruleset."""
    rows: list[Any] = []
    shared = RowMaker()

    def make_rows(scored: Scored) -> None:
        # every row carries its ruleset: shown only when the batch has several
        rows.extend(build_rows([scored], options.by, options.lang, show_ruleset=True, release=True, shared=shared))

    scored, failed, files = score_batch(paths, options, jobs, "scoring", on_scored=make_rows)
    return scored, failed, files, rows


def table_from_paths(paths: Iterable[Path], **options: Any) -> Table:
    """Build a table in code (tests, notebooks); options are the command line's, by name."""
    for name in ("compare", "plugins_dir"):
        if options.get(name) is not None:
            options[name] = tuple(Path(path) for path in options[name])
    return make_table(paths, TableOptions(**options))


def streams(options: TableOptions, fmt: str) -> bool:
    """Whether ``perfscore table`` writes this table as its files are scored (:func:`stream_table`):
    a CSV in file order (``--sort file`` or ``--no-rank``) of units or projects, without ``--compare``."""
    return fmt == "csv" and (options.no_rank or options.sort == "file") and options.by in ("unit", "project") and not options.compare


@dataclass
class StreamedTable:
    """A table whose rows wait in a temporary file (``spill``), in file order, until read
    once by :meth:`rows`: what a CSV needs, in memory that does not grow with the batch.

    The columns depend on every row (the self-score columns appear when any unit states
    one; a level or area of any ruleset), so the rows are spilled as they are scored and
    the header is known at the end; the rank of a row is looked up from the count of each
    rounded total (at most one entry a hundredth of a point).
    """

    lang: str
    columns: list[Column]
    rulesets: list[RulesetInfo]
    spill: IO[bytes]
    ranks: dict[Decimal, int] | None
    failures: list[Failed] = field(default_factory=list)
    incomplete: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.PARTIAL if self.failures or self.incomplete else ExitCode.OK

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each row once, in file order, with its rank (unless ``--no-rank``)."""
        self.spill.seek(0)
        ranks = self.ranks
        while True:
            try:
                # a fresh unpickler a row: one kept across rows would keep every row in its memo
                row: dict[str, Any] = pickle.load(self.spill)
            except EOFError:
                return
            if ranks is not None:
                total = row.get("total")
                row["rank"] = None if total is None else ranks[quantize(total, TWO)]
            yield row

    def close(self) -> None:
        self.spill.close()


def _competition_order(row: Any) -> tuple[Any, ...]:
    total = row["total"]
    return (total is None, -(quantize(total, TWO)) if total is not None else Decimal(0), row["_tie"])


def stream_table(paths: Iterable[Path], options: TableOptions) -> StreamedTable:
    """Score the batch in file order, spilling each file's rows to a temporary file as it
    comes (:class:`StreamedTable`); the comparability check runs over the whole batch, as
    :func:`make_table`'s, before anything is written. For :func:`streams` options only.
    """
    jobs = _check_options(options)
    by, lang = options.by, options.lang
    scorer = make_scorer(options.plugins_dir, options.ruleset, by)
    expected = scorer.engine.ruleset(options.ruleset).scoring_fingerprint if options.ruleset else None
    del scorer
    paths = list(paths)
    discovered = discover(paths)
    files = sorted(str(path) for path in discovered.files)  # the order of --sort file
    unreadable = discovered.failed
    del discovered
    if not files:
        if unreadable:
            raise PerfscoreError([problem for failure in unreadable for problem in failure.problems])
        raise PerfscoreError(Problem(f"no .toml submissions found under {', '.join(str(path) for path in paths)}", expected="folders or files of perfscore submissions", key="no_submissions_found", expected_key="expected_submission_paths", fields=fill(paths=", ".join(str(path) for path in paths))))
    comparability = Comparability(expected)
    rulesets: dict[str, RulesetInfo] = {}
    totals: dict[Decimal, int] = {}
    failed: list[Failed] = []
    incomplete: list[tuple[str, tuple[str, ...]]] = []
    self_scores = False
    spill = tempfile.TemporaryFile(prefix="perfscore-rows-")
    try:

        def dump(cells: dict[str, Any]) -> None:
            # pickle.dumps a row: a Pickler kept across rows would keep every row in its memo
            spill.write(pickle.dumps(cells, protocol=pickle.HIGHEST_PROTOCOL))

        progress = Progress(len(files), label="scoring", lang=lang)
        try:
            for outcome in score_files(files, by=by, ruleset=options.ruleset, plugins_dirs=options.plugins_dir, jobs=jobs, on_done=progress.advance, ordered=True):
                if isinstance(outcome, Failed):
                    failed.append(outcome)
                    continue
                comparability.add(outcome)
                rulesets.setdefault(outcome.ruleset.fingerprint, outcome.ruleset)
                if outcome.incomplete:
                    incomplete.append((outcome.file, outcome.incomplete))
                rows = build_rows([outcome], by, lang, show_ruleset=True, release=True)
                rows.sort(key=_competition_order)  # a file's projects in rank order, as --sort file keeps them
                for row in rows:
                    cells = {key: value for key, value in row.items() if value is not None and key not in ("_key", "_tie")}
                    if cells.get("self_total") is not None:
                        self_scores = True
                    total = cells.get("total")
                    if total is not None:
                        rounded = quantize(total, TWO)
                        totals[rounded] = totals.get(rounded, 0) + 1
                    dump(cells)
        finally:
            progress.close()
        comparability.check(options.allow_mixed)
        spill.flush()
    except BaseException:
        spill.close()
        raise
    ranks: dict[Decimal, int] | None = None
    if not options.no_rank:
        ranks, better = {}, 0
        for rounded in sorted(totals, reverse=True):
            ranks[rounded] = better + 1
            better += totals[rounded]
    infos = sorted(rulesets.values(), key=lambda info: (info.id, info.version, info.fingerprint))
    columns = build_columns(by, lang, infos, len(infos) > 1, False, self_scores)
    if options.no_rank:
        columns = [column for column in columns if column.key != "rank"]
    if unreadable:
        failed = sorted([*failed, *unreadable], key=lambda item: item.file)
    return StreamedTable(lang=lang, columns=columns, rulesets=infos, spill=spill, ranks=ranks, failures=failed, incomplete=incomplete)


__all__ = ["StreamedTable", "make_table", "score_batch", "stream_table", "streams", "table_from_paths"]
