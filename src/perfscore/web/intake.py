"""Uploads into the store (:mod:`perfscore.web`): each file scored and kept as ``perfscore ingest`` keeps it.

An upload's files arrive in memory. Each is checked (a known suffix, at most
``limit("file_bytes")``), written to a temporary folder under a name this module makes
(``upload-3.xlsx``: the person's file name is shown, never used as a path) and scored by the
store's own record maker and writer (:mod:`perfscore.store.ingest`), one transaction a unit,
so an upload and ``perfscore ingest`` store the same rows. The stored file name is the name
the person gave (its last part only). A TOML submission may name its ruleset by a shipped
name only: a path would let a request choose a file on the server to read.
"""

from __future__ import annotations

import re
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from perfscore.errors import PerfscoreError, Problem
from perfscore.files import read_toml
from perfscore.messages import message, render_problem
from perfscore.numbers import whole
from perfscore.store.database import Store
from perfscore.store.ingest import SUBMISSION_COLUMNS, FailedRecord, RecordMaker, UnitRecord, Writer
from perfscore.web.security import UPLOAD_SUFFIXES, upload_limits

#: where the file name sits in a stored submission's row
_FILE_NAME = SUBMISSION_COLUMNS.index("file_name")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
#: the longest file name kept
LONGEST_NAME = 200


@dataclass(slots=True)
class Outcome:
    """What became of one uploaded file: added, new_version, unchanged, or failed with its problems."""

    name: str
    status: str
    unit_id: str | None = None
    year: int | None = None
    problems: list[str] = field(default_factory=list)


def shown_name(name: str | None, index: int) -> str:
    """The last part of the name a browser sent, without control characters (for display only)."""
    last = PurePosixPath((name or "").replace("\\", "/")).name
    last = _UNSAFE.sub("", last).strip()[:LONGEST_NAME]
    return last or f"upload-{index}"


class Intake:
    """Scores uploaded files into a store; one upload at a time (the plugin host is shared)."""

    def __init__(self, store: Store, plugins_dirs: tuple[Path, ...] = ()):
        self.store = store
        self.plugins_dirs = plugins_dirs
        self._maker: RecordMaker | None = None
        self._writer = Writer(store)
        self._lock = threading.Lock()

    @property
    def maker(self) -> RecordMaker:
        if self._maker is None:
            self._maker = RecordMaker(self.plugins_dirs, None)
        return self._maker

    def take(self, files: list[tuple[str | None, bytes]], lang: str) -> list[Outcome]:
        """Score and store each file; every file gets an outcome, in the order given."""
        most_files, most_bytes = upload_limits()
        if len(files) > most_files:
            raise PerfscoreError(Problem(message("web.too_many_files", lang, count=whole(len(files)), most=whole(most_files))))
        outcomes: list[Outcome] = []
        with self._lock, tempfile.TemporaryDirectory(prefix="perfscore-upload-") as folder:
            for index, (given, data) in enumerate(files, 1):
                name = shown_name(given, index)
                suffix = PurePosixPath(name).suffix.lower()
                if suffix not in UPLOAD_SUFFIXES:
                    outcomes.append(Outcome(name, "failed", problems=[message("web.bad_suffix", lang, suffixes=" ".join(UPLOAD_SUFFIXES))]))
                    continue
                if len(data) > most_bytes:
                    outcomes.append(Outcome(name, "failed", problems=[message("web.file_too_large", lang, size=whole(len(data)), most=whole(most_bytes))]))
                    continue
                path = Path(folder) / f"upload-{index}{suffix}"
                path.write_bytes(data)
                outcomes.append(self._one(path, name, lang))
                path.unlink()
        return outcomes

    def _one(self, path: Path, name: str, lang: str) -> Outcome:
        if path.suffix == ".toml":
            refused = _ruleset_path(path, name, lang)
            if refused is not None:
                return refused
        record = self.maker.make(path)
        temporary = str(path)
        if isinstance(record, UnitRecord):
            row = list(record.submission_row)
            row[_FILE_NAME] = name
            record = replace(record, file=name, submission_row=tuple(row))
            status = self._writer.write(record)
            return Outcome(name, status, record.unit_id, record.year)
        problems = [_renamed(problem, temporary, name) for problem in record.problems]
        failed = FailedRecord(name, record.sha256, record.unit_id, record.year, problems)
        if failed.sha256:
            self._writer.write_failure(failed)
        return Outcome(name, "failed", record.unit_id, record.year, [render_problem(problem, lang) for problem in problems])


def _renamed(problem: Problem, temporary: str, name: str) -> Problem:
    """A problem naming the uploaded file as the person named it, not by its temporary path."""
    def swap(text: str | None) -> str | None:
        return None if text is None else text.replace(temporary, name)

    fields = tuple((key, value.replace(temporary, name)) for key, value in problem.fields)
    return replace(problem, file=swap(problem.file), message=swap(problem.message) or "", expected=swap(problem.expected), fields=fields)


def _ruleset_path(path: Path, name: str, lang: str) -> Outcome | None:
    """Refuse a TOML submission that names its ruleset by a path (None: a name, or none)."""
    try:
        declared = read_toml(path).get("ruleset")
    except PerfscoreError:
        return None  # the record maker reports what is wrong with the file
    if isinstance(declared, str) and (declared.endswith(".toml") or "/" in declared or "\\" in declared):
        return Outcome(name, "failed", problems=[message("web.ruleset_path", lang, ruleset=declared[:100])])
    return None


__all__ = ["LONGEST_NAME", "Intake", "Outcome", "shown_name"]
