"""Scoring many files: discovery, per-file summaries and worker processes (batch, first step).

``perfscore table`` flows batch.run → :mod:`perfscore.batch.table` (rows, ranks) →
:mod:`perfscore.output.table` (formats); this is the only one of the three that reaches
into the engine and scoring. No :class:`~perfscore.find.Evaluation` is held for more than
one file at a time: each file is evaluated, boiled down to a :class:`Scored` summary of
plain strings, ints and Decimals (a few hundred bytes, its level points included), and the
evaluation is dropped. With ``jobs > 1`` the files are split into chunks and scored in
worker processes, each of which builds its own :class:`~perfscore.engine.Engine` once; only
the summaries cross the process boundary, so memory stays flat however many units a
province sends.

A file that cannot be scored does not stop the batch: it becomes a :class:`Failed` with
the problems a user can act on; so does a unit whose plugin hooks ran out of time (the
other units are scored). An interrupt (Ctrl-C, or a plugin raising KeyboardInterrupt)
stops the whole batch: worker processes ignore SIGINT themselves and are ended by the
main process, so that only it reports the interrupt.
"""

from __future__ import annotations

import collections
import concurrent.futures
import errno
import gc
import os
import signal
import stat
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Sequence, TypeVar

from perfscore.arithmetic import ZERO, quantize
from perfscore.errors import PerfscoreError, Problem, fill
from perfscore.load import DEFAULT_RULESET, submission_ruleset
from perfscore.messages import catalogue
from perfscore.models import SEVERITY_ORDER, Ruleset
from perfscore.scoring.score import project_points
from perfscore.workbook import WORKBOOK_SUFFIXES

if TYPE_CHECKING:
    from perfscore.engine import Engine
    from perfscore.find import Evaluation

_T = TypeVar("_T")

#: the row kinds a table can have (``perfscore table --by``)
BY_CHOICES = ("unit", "project", "area")
#: how many scored files :func:`collect` gathers between two gc.freeze() calls
FREEZE_EVERY = 500


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True, slots=True)
class Discovered:
    """What discovery found: the submissions to score, and what it could not look into."""

    files: list[Path]
    #: each a path that may have held submissions but could not be read or followed
    #: (a symlink loop, a dangling link, a folder or link without permission), for the
    #: table's errors section
    failed: list[Failed]


def discover(paths: Iterable[Path]) -> Discovered:
    """Every ``*.toml`` file and workbook (.xlsx, .xls, .ods) named or found (recursively) under ``paths``, sorted, once each.

    A named file is taken whatever its suffix; a missing path is a usage error naming it.
    Folders are walked in sorted order; links are followed, a folder reached twice is
    walked once, and a link back to a folder being walked (a loop) is named, not followed.
    Regular files cost no system call beyond the folder listing (the entry's type comes
    with it); links and folders cost one stat each.
    """
    found: dict[str, Path] = {}
    failed: dict[str, Failed] = {}
    missing = []
    walked: set[tuple[int, int]] = set()
    for path in paths:
        path = Path(path)
        try:
            status = os.stat(path)
        except OSError as error:
            missing.append(Problem(_unfollowable(path, error) or "no such file or directory", file=str(path), expected="a submission .toml file or a folder of them", key=_unfollowable_key(path, error) or "no_such_path", expected_key="expected_submission_or_folder", fields=fill(target=_link_target(path))))
            continue
        if stat.S_ISDIR(status.st_mode):
            _walk(path, status, found, failed, walked)
        elif stat.S_ISREG(status.st_mode):
            found.setdefault(os.path.normpath(path), path)
        else:
            missing.append(Problem("not a file or a folder (a device, FIFO or socket)", file=str(path), expected="a submission .toml file or a folder of them", key="not_file_or_folder", expected_key="expected_submission_or_folder"))
    if missing:
        raise PerfscoreError(missing)
    return Discovered([found[key] for key in sorted(found)], [failed[key] for key in sorted(failed)])


#: the folders a pending folder is inside, outermost first: (its identity, its path) each
_Above = tuple[tuple[tuple[int, int], str], ...]


def _walk(top: Path, status: os.stat_result, found: dict[str, Path], failed: dict[str, Failed], walked: set[tuple[int, int]]) -> None:
    """Add the ``*.toml`` files under folder ``top`` to ``found``, what cannot be read to ``failed``.

    Iterative (a deep tree must not exhaust Python's recursion) and depth first in sorted
    order; each pending folder carries the folders above it, so that a link to one of them
    (a loop) is told apart from a link to a folder already walked elsewhere (skipped: its
    files are in already).
    """
    key = _identity(status)
    if key in walked:
        return
    walked.add(key)
    pending: list[tuple[str, _Above]] = [(str(top), ((key, str(top)),))]
    while pending:
        folder, above = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            _fail(failed, folder, f"cannot read the folder: {_reason(error)}", "a folder perfscore can list", "cannot_read_folder", "expected_listable_folder", reason=_reason(error))
            continue
        below: list[tuple[str, _Above]] = []
        for entry in entries:
            try:
                if entry.is_symlink():
                    target = _follow(entry, failed)
                    if target is None:
                        continue
                    if stat.S_ISREG(target.st_mode):
                        if _is_submission(entry.name):
                            found.setdefault(os.path.normpath(entry.path), Path(entry.path))
                        continue
                    if not stat.S_ISDIR(target.st_mode):
                        continue
                    key = _identity(target)
                    loop = next((path for identity, path in above if identity == key), None) or _encloses(entry.path, folder)
                    if loop is not None:
                        _fail(failed, entry.path, f"symlink loop: it leads back to {loop}, a folder it is inside", "a link to a folder outside it", "symlink_loop_inside", "expected_link_outside", folder=loop)
                        continue
                elif entry.is_dir(follow_symlinks=False):
                    key = _identity(entry.stat(follow_symlinks=False))
                else:
                    if _is_submission(entry.name) and entry.is_file(follow_symlinks=False):
                        found.setdefault(os.path.normpath(entry.path), Path(entry.path))
                    continue
            except OSError as error:  # vanished while walking, or cannot be examined
                _fail(failed, entry.path, f"cannot examine: {_reason(error)}", "a readable submission or folder", "cannot_examine", "expected_readable_entry", reason=_reason(error))
                continue
            if key not in walked:
                walked.add(key)
                below.append((entry.path, (*above, (key, entry.path))))
        pending.extend(reversed(below))  # popped in sorted order


def _is_submission(name: str) -> bool:
    """A file a folder's walk takes: a ``*.toml`` submission or a workbook (not Excel's
    ``~$name.xlsx`` owner file, which only says the workbook is open)."""
    return name.endswith(".toml") or (name.lower().endswith(tuple(WORKBOOK_SUFFIXES)) and not name.startswith("~$"))


def _follow(entry: os.DirEntry[str], failed: dict[str, Failed]) -> os.stat_result | None:
    """What a symlink met while walking leads to; None (and named when it matters) if nothing.

    A broken link is named when it could have been a submission or a folder (called
    ``*.toml`` or without a suffix); one called ``notes.txt`` is no business of a batch.
    """
    try:
        return os.stat(entry.path)
    except OSError as error:
        if _is_submission(entry.name) or "." not in entry.name.lstrip("."):
            _fail(failed, entry.path, _unfollowable(Path(entry.path), error) or f"cannot follow the link: {_reason(error)}", "a link to a submission or a folder of them", _unfollowable_key(Path(entry.path), error) or "cannot_follow_link", "expected_link_to_submission", reason=_reason(error), target=_link_target(Path(entry.path)))
        return None


def _encloses(link: str, folder: str) -> str | None:
    """The link's target when it is a folder above the link (``up -> ..``): following it
    would walk the folders above the batch, round and round."""
    target = os.path.realpath(link)
    inside = os.path.realpath(folder)
    return target if inside == target or inside.startswith(target.rstrip(os.sep) + os.sep) else None


def _identity(status: os.stat_result) -> tuple[int, int]:
    return (status.st_dev, status.st_ino)


def _unfollowable(path: Path, error: OSError) -> str | None:
    """The words for a link that leads nowhere (dangling, or a loop), None if not one."""
    if error.errno == errno.ELOOP:
        return "symlink loop: the link leads back to itself"
    if isinstance(error, FileNotFoundError) and os.path.islink(path):
        return f"dangling link: its target {os.readlink(path)} does not exist"
    return None


def _unfollowable_key(path: Path, error: OSError) -> str | None:
    """The catalogue entry of :func:`_unfollowable`'s words ({target}: :func:`_link_target`)."""
    if error.errno == errno.ELOOP:
        return "symlink_loop"
    if isinstance(error, FileNotFoundError) and os.path.islink(path):
        return "dangling_link"
    return None


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()


def _fail(failed: dict[str, Failed], path: str, message: str, expected: str, key: str, expected_key: str, **fields: object) -> None:
    failed.setdefault(os.path.normpath(path), Failed(path, [Problem(message, file=path, expected=expected, key=key, expected_key=expected_key, fields=fill(**fields))]))


# --------------------------------------------------------------------------- summaries


@dataclass(frozen=True, slots=True)
class RulesetInfo:
    """What a table states about the rules its rows were scored by."""

    id: str
    name: str
    name_en: str
    version: str
    fingerprint: str
    #: the print of the scoring settings only: rows of equal scoring prints are comparable
    scoring_fingerprint: str
    levels: tuple[tuple[str, str, str], ...]  # (id, zh, en) of level-1 categories, in display order
    areas: tuple[tuple[str, str, str], ...]  # (id, zh, en), sorted by id
    grades: tuple[tuple[str, str, Decimal], ...]  # (grade, en, lowest total), best first
    places: int
    combine: str

    def grade_for(self, total: Decimal | None) -> str | None:
        """The grade of ``total``, as :meth:`perfscore.models.Ruleset.grade_for` gives it."""
        if total is None:
            return None
        for grade, _, lowest in self.grades:
            if total >= lowest:
                return grade
        return self.grades[-1][0] if self.grades else None


@dataclass(slots=True)
class Part:
    """The figures of one row-to-be: a unit, a project, or one unit's share of an area.

    Money is in 元. ``points`` holds the budget score ("budget") and each level-1 score,
    taken from the scores here so that the table reads them without reaching back into
    scoring: for a unit they are already budget-weighted, for a project they are its own,
    for an area share they are sums of points × budget (divided by the budget when the
    shares are added up).
    """

    key: str
    budget: Decimal
    spending: Decimal
    points: dict[str, Decimal]
    total: Decimal | None
    grade: str | None
    findings: tuple[int, int, int]  # problem, warning, info
    project_id: str = ""
    project: str = ""
    area: str = ""
    area_scores: dict[str, Decimal | None] = field(default_factory=dict)
    missing_required: tuple[str, ...] = ()
    #: the unit's own stated total, and it minus the computed total (units and projects only)
    self_total: Decimal | None = None
    self_difference: Decimal | None = None
    #: area shares only: Σ total × budget, Σ budget of projects, projects, Σ earned and Σ possible
    weighted_total: Decimal = ZERO
    projects: int = 0
    earned: Decimal = ZERO
    possible: Decimal = ZERO


@dataclass(slots=True)
class Scored:
    """One file's summary: who the unit is, which rules scored it, and its row(s)."""

    file: str
    unit_id: str
    unit: str
    year: int
    synthetic: bool
    ruleset: RulesetInfo
    #: the ruleset the file declares (name, scoring fingerprint or None when it cannot be loaded)
    declared: tuple[str, str | None]
    parts: list[Part]
    incomplete: tuple[str, ...] = ()


@dataclass(slots=True)
class Failed:
    """A file that could not be scored, with every problem found."""

    file: str
    problems: list[Problem]


Outcome = Scored | Failed


def ruleset_info(ruleset: Ruleset) -> RulesetInfo:
    """The part of a ruleset a table states and ranks by, small enough to cross processes."""
    levels = [(level, ruleset.levels[level].name, ruleset.levels[level].name_en) for level in ruleset.indicator_levels]
    if "indicators" in ruleset.weights:
        # one pooled level: its name is the table's own, as the ruleset names no level
        levels = [("indicators", *catalogue()["table.level_indicators"])]
    grades = sorted(ruleset.grades, key=lambda band: band.min, reverse=True)
    meta = ruleset.ruleset
    return RulesetInfo(
        id=meta.id,
        name=meta.name,
        name_en=meta.name_en or meta.name,
        version=meta.version,
        fingerprint=ruleset.fingerprint,
        scoring_fingerprint=ruleset.scoring_fingerprint,
        levels=tuple(levels),
        areas=tuple((area, ruleset.areas[area].name, ruleset.areas[area].name_en) for area in sorted(ruleset.areas)),
        grades=tuple((band.grade, band.name_en, band.min) for band in grades),
        places=ruleset.arithmetic.places,
        combine=ruleset.combine,
    )


class BatchScorer:
    """Evaluates files one by one with one engine and turns each into a :class:`Scored`."""

    def __init__(self, engine: Engine, by: str = "unit"):
        self.engine = engine
        self.by = by
        self._infos: dict[str, RulesetInfo] = {}
        self._required: dict[str, dict[str, tuple[str, ...]]] = {}
        self._declared: dict[str | tuple[str, str], str | None] = {}
        self._frozen = False

    def score(self, path: Path | str) -> Outcome:
        """The summary of one file, or the problems that kept it from being scored."""
        try:
            evaluation = self.engine.evaluate(Path(path))
            if evaluation.timed_out:
                # a unit whose hooks were stopped is not comparable with the others: an error row
                return Failed(str(path), [Problem(failure.render(), file=str(path), key="plugin_failed", fields=fill(plugin=failure.plugin, hook=failure.hook, error=failure.error)) for failure in evaluation.failures])
            if not self._frozen:
                # Plugins, rulesets and compiled rules live for the whole batch: move them
                # out of the collector's sight, or every full collection walks them again
                # (a fifth of batch time before this; docs/performance.md).
                gc.freeze()
                self._frozen = True
            return self.summarise(evaluation, str(path))
        except PerfscoreError as error:
            return Failed(str(path), [problem if problem.file else replace(problem, file=str(path)) for problem in error.problems])
        except Exception as error:  # a bug must not sink a batch of thousands; it is listed like a bad file
            return Failed(str(path), [Problem(f"unexpected error (a bug, please report it): {type(error).__name__}: {error}", file=str(path), key="unexpected_error", fields=fill(error=f"{type(error).__name__}: {error}"))])

    def _info(self, ruleset: Ruleset) -> RulesetInfo:
        info = self._infos.get(ruleset.fingerprint)
        if info is None:
            info = self._infos[ruleset.fingerprint] = ruleset_info(ruleset)
            required: dict[str, list[str]] = {}
            for indicator in ruleset.indicators:
                if indicator.required:
                    required.setdefault(indicator.area, []).append(indicator.id)
            self._required[ruleset.fingerprint] = {area: tuple(sorted(ids)) for area, ids in required.items()}
        return info

    def _declared_fingerprint(self, name: str, file: str) -> str | None:
        """The scoring print of the ruleset a file declares (a path resolved beside the file)."""
        key = (name, str(Path(file).parent)) if name.endswith(".toml") or "/" in name else name
        if key not in self._declared:
            try:
                self._declared[key] = self.engine.ruleset(submission_ruleset(name, Path(file))).scoring_fingerprint
            except PerfscoreError:
                self._declared[key] = None
        return self._declared[key]

    def summarise(self, evaluation: Evaluation, file: str) -> Scored:
        """Boil an evaluation down to the figures of its row(s), per ``by``."""
        unit = evaluation.unit
        submission, ruleset = unit.submission, unit.ruleset
        info = self._info(ruleset)
        declared_name = submission.ruleset or DEFAULT_RULESET
        declared = (declared_name, self._declared_fingerprint(declared_name, file))
        required = self._required[ruleset.fingerprint]
        reported: set[str] = set()
        if required:
            for project_score in unit.projects:  # free rows count by the library entry they link to
                reported.update(score.definition.id for score in project_score.indicators)
                reported.update(row.indicator for row in project_score.project.outputs)
        counts: dict[str | None, list[int]] = {}
        for finding in evaluation.found:  # counted as found: rule matches need no writing up
            key = finding.project if self.by == "project" else (finding.area if self.by == "area" else None)
            tally = counts.get(key)
            if tally is None:
                tally = counts[key] = [0, 0, 0]
            tally[SEVERITY_ORDER[finding.severity]] += 1

        if self.by == "unit":
            points = unit.level_points()
            areas_in_use = {project.area for project in submission.projects if project.area}
            missing = tuple(sorted(i for area in areas_in_use for i in required.get(area, ()) if i not in reported))
            tally = counts.get(None, [0, 0, 0])
            parts = [
                Part(
                    key=submission.unit.id,
                    budget=unit.budget.budget,
                    spending=unit.budget.spending,
                    points=points,
                    total=unit.total,
                    grade=unit.grade,
                    findings=(tally[0], tally[1], tally[2]),
                    area_scores={area: (evaluation.areas[area].score if area in evaluation.areas else None) for area, _, _ in info.areas},
                    missing_required=missing,
                    self_total=unit.self_total,
                    self_difference=unit.self_difference,
                )
            ]
        elif self.by == "project":
            parts = []
            for project in unit.projects:
                area = project.project.area or ""
                tally = counts.get(project.id, [0, 0, 0])
                parts.append(
                    Part(
                        key=f"{submission.unit.id}/{project.id}",
                        budget=project.budget.budget,
                        spending=project.budget.spending,
                        points={level: quantize(value, info.places) for level, value in project_points(project).items()},
                        total=project.total,
                        grade=project.grade,
                        findings=(tally[0], tally[1], tally[2]),
                        project_id=project.id,
                        project=project.project.name,
                        area=area,
                        missing_required=tuple(i for i in required.get(area, ()) if i not in reported),
                        self_total=project.self_total,
                        self_difference=None if project.self_total is None or project.total is None else project.self_total - project.total,
                    )
                )
        else:
            shares: dict[str, Part] = {}
            for project in unit.projects:
                area = project.project.area or ""
                if not area:
                    continue
                share = shares.get(area)
                if share is None:
                    share = shares[area] = Part(key=area, budget=ZERO, spending=ZERO, points={}, total=None, grade=None, findings=(0, 0, 0), area=area)
                weight = project.budget.budget
                share.budget += weight
                share.spending += project.budget.spending
                share.projects += 1
                share.weighted_total += (project.total if project.total is not None else ZERO) * weight
                for level, value in project_points(project).items():
                    share.points[level] = share.points.get(level, ZERO) + value * weight
            for area, share in shares.items():
                scored = evaluation.areas.get(area)
                if scored is not None:
                    share.earned, share.possible = scored.earned, scored.possible
                tally = counts.get(area, [0, 0, 0])
                share.findings = (tally[0], tally[1], tally[2])
                share.missing_required = tuple(i for i in required.get(area, ()) if i not in reported)
            parts = [shares[area] for area in sorted(shares)]
        return Scored(
            file=file,
            unit_id=submission.unit.id,
            unit=submission.unit.name,
            year=submission.unit.year,
            synthetic=submission.unit.synthetic,
            ruleset=info,
            declared=declared,
            parts=parts,
            incomplete=tuple(failure.render() for failure in evaluation.failures),
        )


class Interned:
    """One object for equal Decimals of a batch: a row's points, scores and rates repeat
    (2 places, 0 to 100), and 50,000 summaries would otherwise hold 50,000 equal Decimals
    each (104 bytes apiece). Equal Decimals are told apart by sign, digits and exponent
    (``20.0`` prints otherwise than ``20.00``); anything else is returned as it is."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str, Decimal] = {}

    def __call__(self, value: _T) -> _T:
        if not isinstance(value, Decimal) or type(value) is not Decimal:
            return value
        # the text tells apart exactly what as_tuple() does (sign, digits, exponent), in a
        # third of the memory a key
        kept: _T = self._seen.setdefault(str(value), value)  # type: ignore[assignment]
        return kept

    def part(self, part: Part) -> Part:
        """``part`` with its points and scores shared with equal ones already seen."""
        part.points = {level: self(value) for level, value in part.points.items()}
        part.area_scores = {area: self(value) for area, value in part.area_scores.items()}
        part.total = self(part.total)
        part.self_total = self(part.self_total)
        part.self_difference = self(part.self_difference)
        return part


# --------------------------------------------------------------------------- running


_worker: BatchScorer | None = None


def _start_worker(plugins_dirs: list[Path], ruleset: str | None, by: str) -> None:
    """Per worker process, once: its own plugin host, engine and ruleset cache."""
    global _worker
    # Ctrl-C reaches every process of the group: the main process alone handles it (and
    # ends the workers), so that no worker prints a traceback of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = make_scorer(plugins_dirs, ruleset, by)


def _score_chunk(paths: list[str]) -> list[Outcome]:
    assert _worker is not None, "worker started without _start_worker"
    return [_worker.score(path) for path in paths]


def make_scorer(plugins_dirs: Iterable[Path], ruleset: str | None, by: str) -> BatchScorer:
    """A scorer with its own plugin host and engine (imported here: workers import lazily)."""
    from perfscore.engine import Engine
    from perfscore.plugin.manager import make_host

    return BatchScorer(Engine(make_host(list(plugins_dirs)), ruleset), by)


def chunk_size(count: int, jobs: int) -> int:
    """About 16 chunks per worker (so the last ones finish together), 1 to 64 files each."""
    return max(1, min(64, -(-count // (jobs * 16))))


def score_files(
    paths: Sequence[Path | str],
    *,
    by: str = "unit",
    ruleset: str | None = None,
    plugins_dirs: Iterable[Path] = (),
    jobs: int = 1,
    on_done: Callable[[int], None] = lambda count: None,
    ordered: bool = False,
) -> Iterator[Outcome]:
    """Yield one outcome per file, in no particular order when ``jobs > 1`` unless
    ``ordered`` (then in the order of ``paths``: a chunk that finishes early waits)."""
    plugins_dirs = list(plugins_dirs)
    if jobs <= 1 or len(paths) < 2:
        scorer = make_scorer(plugins_dirs, ruleset, by)
        for path in paths:
            outcome = scorer.score(path)
            on_done(1)
            yield outcome
        return
    size = chunk_size(len(paths), jobs)
    chunks = [[str(path) for path in paths[start : start + size]] for start in range(0, len(paths), size)]
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=(plugins_dirs, ruleset, by))
    try:
        if ordered:
            # a finished future keeps its outcomes: each is let go as soon as it is read
            queued = collections.deque(pool.submit(_score_chunk, chunk) for chunk in chunks)
            del chunks
            while queued:
                outcomes = queued.popleft().result()
                on_done(len(outcomes))
                yield from outcomes
            pending: set[concurrent.futures.Future[list[Outcome]]] = set()
        else:
            pending = {pool.submit(_score_chunk, chunk) for chunk in chunks}
            del chunks
        while pending:
            finished, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished:
                outcomes = future.result()
                on_done(len(outcomes))
                yield from outcomes
    except BaseException:
        # an interrupt (or the consumer stopping early): do not wait for the chunks still
        # queued, end the workers now (3.14 has terminate_workers(); before it, _processes)
        for process in list((pool._processes or {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def collect(
    files: Sequence[Path | str],
    *,
    by: str = "unit",
    ruleset: str | None = None,
    plugins_dirs: Iterable[Path] = (),
    jobs: int = 1,
    on_done: Callable[[int], None] = lambda count: None,
    on_scored: Callable[[Scored], None] | None = None,
) -> tuple[list[Scored], list[Failed]]:
    """Score ``files`` (streamed); return the summaries and the failures, each sorted by file.

    ``on_scored`` is called with each summary as it arrives (in no particular order), before
    it is kept: the table's rows are made there and the parts let go.
    """
    scored: list[Scored] = []
    failed: list[Failed] = []
    intern = Interned()
    rulesets: dict[str, RulesetInfo] = {}
    declared: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    try:
        for count, outcome in enumerate(score_files(files, by=by, ruleset=ruleset, plugins_dirs=plugins_dirs, jobs=jobs, on_done=on_done), 1):
            if isinstance(outcome, Scored):
                # what a summary shares with the others is held once (from workers each
                # summary arrives with its own copies): rulesets, declarations, equal points
                outcome.ruleset = rulesets.setdefault(outcome.ruleset.fingerprint, outcome.ruleset)
                outcome.declared = declared.setdefault(outcome.declared, outcome.declared)
                if on_scored is not None:
                    on_scored(outcome)
                else:
                    outcome.parts = [intern.part(part) for part in outcome.parts]
                scored.append(outcome)
            else:
                failed.append(outcome)
            if count % FREEZE_EVERY == 0:
                # The summaries live until the table is built, and each full collection would
                # walk all of them again (garbage collection took 0.44 s of a 10,000-unit
                # batch, 0.21 s with this), so those made so far leave the collector's sight.
                gc.freeze()
    finally:
        gc.unfreeze()  # a process that builds tables again (a service, the tests) collects as usual
    scored.sort(key=lambda item: item.file)
    failed.sort(key=lambda item: item.file)
    return scored, failed
