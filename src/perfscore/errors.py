"""Exceptions and exit codes.

Every error a user can act on is a :class:`PerfscoreError` carrying one or more
:class:`Problem` records (what was wrong, where, what was expected). The CLI prints
them and exits with :attr:`ExitCode.USAGE_ERROR`; a traceback is reserved for bugs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    """Documented process exit statuses (see docs/cli.md)."""

    OK = 0
    #: the run finished but something is incomplete: a plugin failed, or a file in a batch
    PARTIAL = 1
    #: bad input or bad usage: nothing was scored
    USAGE_ERROR = 2
    #: stopped by an interrupt (Ctrl-C or SIGINT: 128 + 2, as shells report it)
    INTERRUPTED = 130


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str | None = None
    location: str | None = None  # "line 3, column 5" or a key path like projects[2].indicators[3].actual
    expected: str | None = None
    #: the catalogue entries (messages/errors.toml) that say ``message`` and ``expected`` in
    #: the user's language, and the values they are filled with; without a key, or in a
    #: language the entry lacks, the English text above is shown (perfscore.messages.render_problem)
    key: str | None = None
    expected_key: str | None = None
    fields: tuple[tuple[str, str], ...] = ()

    def render(self) -> str:
        where = ": ".join(part for part in (self.file, self.location) if part)
        text = f"{where}: {self.message}" if where else self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class PerfscoreError(Exception):
    """Base class: an error the user can fix. Holds every problem found at once."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(problem.render() for problem in self.problems))


class InputError(PerfscoreError):
    """A submission or ruleset file is unreadable, malformed or inconsistent."""


class RulesetError(InputError):
    """A ruleset is invalid (includes bad finding rules and templates)."""


class OutputError(PerfscoreError):
    """An output file could not be written (its folder is missing, or is a file, or is read-only)."""


class PluginError(PerfscoreError):
    """A plugin failed to load, registered a duplicate, or raised while running."""
