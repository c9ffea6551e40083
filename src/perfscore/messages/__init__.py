"""The message catalogue: every user-facing text, in Chinese and English, looked up by key.

A text lives in one of the TOML files beside this module; the file's stem is the first part
of its key (``labels.toml``'s ``[unit]`` is ``"labels.unit"``). Each entry holds ``zh`` and
``en``, side by side as gettext or Django locale files keep them, and may hold ``{fields}``
that :func:`message` fills from already formatted values: a number becomes text in
:mod:`perfscore.numbers`, never here. No call site compares languages: they pass ``lang``
through to :func:`message` (or :func:`pick`, for a zh/en pair that comes with the data,
such as an indicator's name and ``name_en``).

Finding wording and the report's fixed texts are ruleset and report-template data that a
bureau may edit (docs/report.md); they are looked up by :func:`pick` too.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any, Mapping, Sequence

from perfscore.errors import Problem

#: the languages every entry is written in; the first is the default
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = LANGUAGES[0]
_INDEX = {lang: index for index, lang in enumerate(LANGUAGES)}


@cache
def catalogue() -> dict[str, tuple[str, str]]:
    """Every entry by key, as a (zh, en) pair; read once from the package's TOML files."""
    entries: dict[str, tuple[str, str]] = {}
    for file in sorted(resources.files(__package__).iterdir(), key=lambda item: item.name):
        if not file.name.endswith(".toml"):
            continue
        namespace = file.name.removesuffix(".toml")
        for name, texts in tomllib.loads(file.read_text(encoding="utf-8")).items():
            entries[f"{namespace}.{name}"] = (texts["zh"], texts["en"])
    return entries


def language_index(lang: str) -> int:
    """0 for Chinese, 1 for English; an unknown language is a bug of the caller."""
    return _INDEX[lang]


def pick(pair: tuple[Any, Any] | list[Any], lang: str) -> Any:
    """The entry of a (zh, en) pair for ``lang``."""
    return pair[_INDEX[lang]]


def message(key: str, lang: str, /, **fields: object) -> str:
    """The catalogue's text for ``key`` in ``lang``, its ``{fields}`` filled in."""
    text = catalogue()[key][_INDEX[lang]]
    return text.format(**fields) if fields else text


def messages(prefix: str, lang: str) -> dict[str, str]:
    """Every entry under ``prefix`` (e.g. ``"status"``), keyed by the rest of its key."""
    start = f"{prefix}."
    index = _INDEX[lang]
    return {key[len(start):]: texts[index] for key, texts in catalogue().items() if key.startswith(start)}


def render_problem(problem: Problem, lang: str) -> str:
    """A problem as the user reads it in ``lang``: where, what, and what was expected.

    The wording is the catalogue's ``errors.<key>`` when the problem names one, else the
    English text it was raised with; the framing ("(expected …)" or "（应为……）") is the
    catalogue's in either case. In English this is exactly :meth:`Problem.render`.
    """
    fields = dict(problem.fields)
    known = catalogue()
    # an empty entry (English, as a rule) means: the text the problem was raised with
    text = problem.message
    if problem.key and f"errors.{problem.key}" in known:
        text = message(f"errors.{problem.key}", lang, **fields) or text
    expected = problem.expected
    if problem.expected_key and f"errors.{problem.expected_key}" in known:
        expected = message(f"errors.{problem.expected_key}", lang, **fields) or expected
    where = ": ".join(part for part in (problem.file, problem.location) if part)
    if where:
        text = message("errors.frame_where", lang, where=where, text=text)
    if expected:
        text = message("errors.frame_expected", lang, text=text, expected=expected)
    return text


def interface_language(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The language the tool speaks to its user (help, errors, progress): ``--lang`` when
    given, else LC_ALL, LC_MESSAGES or LANG when one names a catalogue language (en_US.UTF-8
    → en), else the default, zh. Read before parsing, so that ``--help`` is in it too."""
    for position, argument in enumerate(argv):
        if argument == "--":
            break
        value = argument[len("--lang="):] if argument.startswith("--lang=") else None
        if argument == "--lang" and position + 1 < len(argv):
            value = argv[position + 1]
        if value in _INDEX:
            return value
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        setting = environ.get(variable, "")
        if setting:
            code = setting.split("_")[0].split(".")[0].lower()
            return code if code in _INDEX else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "catalogue", "interface_language", "language_index", "message", "messages", "pick", "render_problem"]
