"""Exceptions and exit codes.

Every error a user can act on is a :class:`PerfscoreError` carrying one or more
:class:`Problem` records (what was wrong, where, what was expected). The CLI prints
them and exits with :attr:`ExitCode.USAGE_ERROR`; a traceback is reserved for bugs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace


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


#: a list of texts inside one message: each item a catalogue key and its own fields
Parts = list[tuple[str, dict[str, object]]]


def fill(**values: object | Parts) -> tuple[tuple[str, str], ...]:
    """A :class:`Problem`'s ``fields``: each value as the text its catalogue entry shows, by name.

    A non-empty list of ``(key, fields)`` pairs is a list of texts (the parts of a composite message),
    kept as ``name.0.key``, ``name.0.<field>``…; :func:`perfscore.messages.render_problem`
    writes each part in the user's language and joins them into ``{name}``.
    """
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        if isinstance(value, list) and value and all(isinstance(item, tuple) for item in value):
            for index, (key, part) in enumerate(value):
                pairs += [(f"{name}.{index}.key", key), *((f"{name}.{index}.{field}", str(text)) for field, text in part.items())]
        else:
            pairs.append((name, str(value)))
    return tuple(sorted(pairs))


def within(problem: Problem, message: str, key: str, **values: object) -> Problem:
    """``problem`` said inside another message: ``message`` is the English, ending with the
    problem's own, and the catalogue's ``key`` shows it as ``{inner}`` (in the problem's own
    entry when it names one, else in its English). The rest of ``problem`` is kept."""
    nested = any(name.count(".") == 2 for name, _ in problem.fields)
    inner = (problem.key, {**dict(problem.fields), "_english": problem.message}) if problem.key and not nested else ("verbatim", {"_english": problem.message})
    return replace(problem, message=message, key=key, fields=tuple(sorted({**dict(problem.fields), **dict(fill(**values, inner=[inner]))}.items())))


class KeyedValueError(ValueError):
    """A model validator's ``ValueError`` that names its catalogue entry (``errors.<key>``).

    pydantic reports it as a ``value_error`` whose context holds this exception;
    :func:`perfscore.load.validation.validation_problems` gives the Problem its ``key`` and
    ``fields``, so the schema error reads in the user's language. ``str()`` is the English.
    """

    def __init__(self, message: str, key: str, fields: tuple[tuple[str, str], ...] = ()):
        super().__init__(message)
        self.key = key
        self.fields = fields

    def __reduce__(self) -> tuple[type[KeyedValueError], tuple[str, str, tuple[tuple[str, str], ...]]]:
        return (type(self), (str(self), self.key, self.fields))


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
