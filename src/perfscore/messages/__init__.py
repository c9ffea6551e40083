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

import re
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
    fields = _joined_parts(dict(problem.fields), lang)
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


def _joined_parts(fields: dict[str, str], lang: str) -> dict[str, str]:
    """Fields with their lists of parts (``name.0.key``…, see :func:`perfscore.errors.fill`)
    written in ``lang`` and joined into ``name``."""
    parts: dict[str, dict[int, dict[str, str]]] = {}
    for name, value in fields.items():
        if name.count(".") == 2:
            base, index, field = name.split(".")
            parts.setdefault(base, {}).setdefault(int(index), {})[field] = value
    joined = {name: value for name, value in fields.items() if name.count(".") != 2}
    for base, items in parts.items():
        texts = [_part(part, lang) for _, part in sorted(items.items())]
        separator = f"errors.list_separator_{base}"
        joined[base] = message(separator if separator in catalogue() else "errors.list_separator", lang).join(texts)
    return joined


def _part(part: dict[str, str], lang: str) -> str:
    """One part of a list: its entry in ``lang``; an entry the catalogue lacks, or leaves
    empty (English as a rule), shows the English it was given as ``_english``."""
    key = f"errors.{part.pop('key')}"
    return (message(key, lang, **part) if key in catalogue() else "") or part.get("_english", "")


#: argparse's placeholders: %(name)s or %(name)r, or %s / %r taken in order
_ARGPARSE_PLACEHOLDER = re.compile(r"%\((\w+)\)[sr]|%[sr]")


@cache
def _argparse_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each argparse entry's English template as a pattern capturing its values, with its key."""
    patterns = []
    for key, (_, english) in catalogue().items():
        if not key.startswith("argparse."):
            continue
        pieces, position, count = [], 0, 0
        for found in _ARGPARSE_PLACEHOLDER.finditer(english):
            name = found[1] or f"_{count}"
            count += 1
            pieces += [re.escape(english[position:found.start()]), f"(?P<{name}>.+?)"]
            position = found.end()
        pieces.append(re.escape(english[position:]))
        patterns.append((re.compile("".join(pieces), re.DOTALL), key))
    return tuple(patterns)


def argparse_detail(text: str, lang: str) -> str:
    """argparse's own English message (its gettext text, filled in) in ``lang``: the
    catalogue's ``argparse.*`` entry it matches, with the same values; a nested message
    (``argument --x: invalid choice…``) is translated too. Unmatched text is kept as it is."""
    for pattern, key in _argparse_patterns():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = {name: argparse_detail(value, lang) if name == "message" else value for name, value in match.groupdict().items()}
        count = iter(range(len(values)))

        def value(found: re.Match[str]) -> str:
            return values[found[1] or f"_{next(count)}"]

        return _ARGPARSE_PLACEHOLDER.sub(value, message(key, lang))
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


__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "argparse_detail", "catalogue", "interface_language", "language_index", "message", "messages", "pick", "render_problem"]
