"""Schema errors as problems a user can act on: each with its file and key path.

Part of the load stage: :mod:`.rulesets` and :mod:`.submissions` turn pydantic's
``ValidationError`` into :class:`~perfscore.errors.Problem` records with this module, so
that every schema error of a file is reported at once, located as
``projects[2].indicators[3].actual``.
"""

from __future__ import annotations

import json
import re

from pydantic import ValidationError

from perfscore.errors import KeyedValueError, Problem

#: a key written bare in TOML (letters of any script, digits, _ and -), shown unquoted
_BARE_KEY = re.compile(r"[\w-]+")


def key_path(location: tuple[str | int, ...]) -> str:
    """('projects', 2, 'indicators', 3, 'actual') -> 'projects[2].indicators[3].actual'.

    A key that is not a bare word is quoted as TOML quotes it (``methods.">="``), so that
    the path stays readable whatever keys a file holds."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = str(part) if _BARE_KEY.fullmatch(str(part)) else _quoted(str(part))
            text += f".{name}" if text else name
    return text


def _quoted(key: str) -> str:
    # escaped past what JSON escapes: a line or paragraph separator in a key must not
    # break the one line a problem is printed on
    text = json.dumps(key, ensure_ascii=False)
    return "".join(char if char.isprintable() else (f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}") for char in text)


#: schema errors listed for one file; the rest are counted
MAX_PROBLEMS = 100


def validation_problems(error: ValidationError, file: str, prefix: str = "", docs: str = "docs/formats.md") -> list[Problem]:
    """One problem per schema error of ``file``, at its key path (under ``prefix``), saying
    what was expected; unknown keys point to the format's documentation ``docs``.

    At most :data:`MAX_PROBLEMS` are listed, then one line counting the rest: a file of
    half a million empty rows would otherwise print half a million lines.
    """
    problems = []
    items = error.errors(include_url=False)
    if len(items) > MAX_PROBLEMS:
        rest = len(items) - MAX_PROBLEMS
        items = items[:MAX_PROBLEMS]
    else:
        rest = 0
    for item in items:
        location = key_path(tuple(item["loc"]))
        if prefix:
            location = f"{prefix}.{location}" if location else prefix
        message = item["msg"].removeprefix("Value error, ")
        expected = None
        # pydantic's error type names the catalogue entry (errors.schema_<type>) that says
        # it in the user's language; its English message is the fallback
        key: str | None = f"schema_{item['type']}"
        expected_key = None
        got = ""
        if item["type"] == "extra_forbidden":
            message = "unknown key"
            expected = f"one of the keys documented in {docs}"
            expected_key = "expected_documented_key"
        elif item["type"] == "missing":
            message = "required key is missing"
        elif isinstance(item.get("input"), (str, int, float, bool)) or item.get("input") is None:
            got = repr(item.get("input"))
            message += f"; got {got}"
            key = f"schema_{item['type']}_got"
        context = dict(item.get("ctx") or {})
        if item["type"] == "value_error":
            # our own validators name their entry with a KeyedValueError; the rest stay English
            error = context.pop("error", None)
            key = error.key if isinstance(error, KeyedValueError) else None
            context.update(error.fields if isinstance(error, KeyedValueError) else ())
        fields = {"got": got, "docs": docs, **{name: str(value) for name, value in context.items()}}
        problems.append(Problem(message, file=file, location=location or None, expected=expected, key=key, expected_key=expected_key, fields=tuple(sorted(fields.items()))))
    if rest:
        problems.append(Problem(f"… and {rest} more schema errors like these, not listed", file=file, key="schema_more", fields=(("rest", str(rest)),)))
    return problems
