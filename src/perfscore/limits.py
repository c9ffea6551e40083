"""Limits on what untrusted input and plugins may cost: sizes, depths, counts and time.

Submissions and rulesets are untrusted data; a limit refuses what is past it with a clear
message before the memory or time is spent (docs/security.md). Each limit has a documented
default and an environment variable that changes it for a run (a bureau with an unusually
large unit raises ``PERFSCORE_MAX_PROJECTS``, say). Limits are read when they are checked,
so a changed environment applies to the next file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from perfscore.errors import InputError, Problem


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit: the environment variable that sets it, its default and what it counts."""

    variable: str
    default: int | float
    meaning: str
    #: whether a fraction is allowed (seconds) or only a whole number (bytes, counts)
    fractional: bool = False
    #: the largest value that makes sense (the system's timer takes no more than a day's
    #: worth of seconds without overflowing on some platforms); None: no bound but the type's
    maximum: int | float | None = None

    def value(self) -> int | float:
        """The limit in force: the environment's setting, or the default."""
        text = os.environ.get(self.variable)
        if text is None or not text.strip():
            return self.default
        try:
            value: int | float = float(text) if self.fractional else int(text)
        except ValueError:
            value = 0
        if not value > 0 or value != value or (self.maximum is not None and value > self.maximum) or value == float("inf"):
            kind = "a positive number" if self.fractional else "a positive whole number"
            if self.maximum is not None:
                kind += f" of at most {self.maximum}"
            raise InputError(Problem(
                f"{self.variable}={text!r} is not a valid limit", location="environment", expected=f"{kind}: the most {self.meaning}, {self.default} unless set",
                key="bad_limit", fields=(("setting", f"{self.variable}={text!r}"),),
            ))
        return value


#: every limit by key; docs/security.md lists them and a test keeps the two in step
LIMITS: dict[str, Limit] = {
    "file_bytes": Limit("PERFSCORE_MAX_FILE_BYTES", 4 * 1024 * 1024, "bytes in one submission or ruleset file"),
    "nesting": Limit("PERFSCORE_MAX_NESTING", 16, "arrays and tables nested in one another in a TOML file"),
    "projects": Limit("PERFSCORE_MAX_PROJECTS", 500, "projects in one submission"),
    "rows": Limit("PERFSCORE_MAX_ROWS", 1000, "indicator rows, outputs, fund lines or budget items (each) in one project"),
    "unzipped_bytes": Limit("PERFSCORE_MAX_UNZIPPED_BYTES", 64 * 1024 * 1024, "bytes a workbook (a zip) may unpack to"),
    "sheet_rows": Limit("PERFSCORE_MAX_SHEET_ROWS", 10000, "rows in one sheet of a workbook"),
    "upload_files": Limit("PERFSCORE_MAX_UPLOAD_FILES", 100, "files in one upload to the web view"),
    "upload_bytes": Limit("PERFSCORE_MAX_UPLOAD_BYTES", 64 * 1024 * 1024, "bytes one upload to the web view may hold in all"),
    "hook_seconds": Limit("PERFSCORE_HOOK_SECONDS", 10, "seconds the plugin hooks may take for one unit", fractional=True, maximum=86400),
}


def limit(key: str) -> int | float:
    """The value in force of the limit ``key`` (one of :data:`LIMITS`)."""
    return LIMITS[key].value()


def check_limits() -> None:
    """Read every limit once, so that a bad setting is one clear error (naming each bad
    variable) before any file is read, rather than a failure of every file of a batch."""
    problems: list[Problem] = []
    for entry in LIMITS.values():
        try:
            entry.value()
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(problems)
