"""Hostile submissions and rulesets, generated: whatever the input, a documented exit and a located message.

Hypothesis writes files a careless user or an attacker might hand perfscore: random TOML
structure, values of the wrong type at any key, deep nesting, many rows, bytes that are
not UTF-8 (UTF-16, GBK, NULs, cut in the middle of a character). For every one, `perfscore
check` (and `score`) must exit 0, 1 or 2 without a traceback, and when it exits 2 every
message line names the file and, for a problem inside it, the line or key path.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w
from hostile import SEED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfscore.cli import main
from perfscore.files import read_toml

HOSTILE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SEED_DOCUMENT = read_toml(SEED)
#: problems about a whole file, which have no line or key path to name
WHOLE_FILE = ("not UTF-8", "file too large", "not a ruleset", "file not found", "is a directory", "cannot read")
#: a location as Problem.render writes it: a line, or a key path
KEY = r"""([\w-]+|"(?:[^"\\]|\\.)*")"""
LOCATED = re.compile(rf"""^(line \d+|environment|{KEY}(\[\d+\]|\.{KEY})*)[:( ]""")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**12), max_value=10**12),
    st.text(max_size=20),
)
toml_values = st.recursive(
    scalars.filter(lambda value: value is not None),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4)),
    max_leaves=12,
)


def run_cli(*argv: str) -> tuple[int, str]:
    """perfscore in-process; its exit status and stderr (a traceback fails the test here)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, err.getvalue()


def assert_located(code: int, err: str, files: list[Path]) -> None:
    """Exit 0, 1 or 2; with 2, every line names one of ``files`` and where in it."""
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err and "a bug" not in err, err
    if code != 2:
        return
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "exit 2 without a message"
    for line in lines:
        named = [file for file in map(str, files) if line.startswith(f"perfscore: {file}: ")]
        assert named, f"no file named: {line}"
        rest = line[len(f"perfscore: {named[0]}: ") :]
        assert LOCATED.match(rest) or rest.startswith(WHOLE_FILE), f"no line or key path: {line}"


def set_at(document: Any, path: list[int], value: Any) -> Any:
    """``document`` with the value at a path of choices (each taken modulo the container's size) replaced."""
    if not path or not isinstance(document, (dict, list)) or not document:
        return value
    if isinstance(document, dict):
        keys = sorted(document)
        key = keys[path[0] % len(keys)]
        return {**document, key: set_at(document[key], path[1:], value)}
    index = path[0] % len(document)
    return [*document[:index], set_at(document[index], path[1:], value), *document[index + 1 :]]


def nested(depth: int, inline_tables: bool) -> str:
    return ("{a=" * depth + "1" + "}" * depth) if inline_tables else ("[" * depth + "1" + "]" * depth)


@st.composite
def hostile_texts(draw: st.DrawFn, base: dict[str, Any]) -> bytes:
    """A file made from ``base``: a value replaced, a key added, deep nesting, or bad bytes."""
    kind = draw(st.sampled_from(["replace", "add", "deep", "random", "bytes", "encoding"]))
    if kind == "replace":
        document = set_at(base, draw(st.lists(st.integers(0, 50), min_size=1, max_size=6)), draw(toml_values))
        text = tomli_w.dumps(document) if isinstance(document, dict) else "x = 1\n"
    elif kind == "add":
        text = tomli_w.dumps(base) + tomli_w.dumps({draw(st.text(min_size=1, max_size=10)): draw(toml_values)})
    elif kind == "deep":
        depth = draw(st.sampled_from([5, 17, 79, 81, 500, 3000]))
        key = draw(st.sampled_from(["x", "projects", "ruleset", "unit"]))
        text = tomli_w.dumps(base) + f"{key}_deep = {nested(depth, draw(st.booleans()))}\n"
        if draw(st.booleans()):
            text = "precise = 1.23456789012345678901\n" + text  # the tomllib path
        if draw(st.booleans()):
            text = "a" + ".a" * depth + " = 1\n" + text
    elif kind == "random":
        text = tomli_w.dumps(draw(st.dictionaries(st.text(min_size=1, max_size=8), toml_values, max_size=6)))
    else:
        text = tomli_w.dumps(base)
    data = text.encode("utf-8")
    if kind == "bytes":
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(st.binary(min_size=1, max_size=8)) + data[position:]
    elif kind == "encoding":
        choice = draw(st.sampled_from(["utf-16", "utf-16-le", "gbk", "nul", "cut", "bom"]))
        if choice == "nul":
            data = data.replace(b"\n", b"\x00\n", draw(st.integers(1, 3)))
        elif choice == "cut":
            data = data[: draw(st.integers(0, len(data)))]
        elif choice == "bom":
            data = b"\xef\xbb\xbf" + data
        else:
            data = text.encode(choice, errors="replace")
    return data


@HOSTILE
@given(hostile_texts(SEED_DOCUMENT))
def test_hostile_submissions_get_a_located_error(data: bytes) -> None:
    """A mangled submission: check and score exit 0, 1 or 2, each message naming the file and where."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "unit.toml"
        path.write_bytes(data)
        for command in ("check", "score"):
            code, err = run_cli(command, str(path))
            assert_located(code, err, [path])


RULESET_BASE: dict[str, Any] = {
    "ruleset": {"id": "t", "name": "t", "version": "1", "extends": "canlian"},
    "methods": {">=": "ratio"},
    "qualitative": {
        "tiers": [
            {"id": "met", "name": "达成", "name_en": "met", "min": Decimal("0.8"), "max": Decimal(1)},
            {"id": "partly", "name": "部分", "name_en": "partly", "min": Decimal("0.6"), "max": Decimal("0.8")},
            {"id": "not_met", "name": "未达成", "name_en": "not met", "min": Decimal(0), "max": Decimal("0.6")},
        ]
    },
    "areas": {"rights": {"name": "维权", "name_en": "rights"}},
    "indicators": [{"id": "rights.extra", "name": "额外", "name_en": "extra", "area": "rights", "level1": "output", "level2": "quantity", "unit": "件", "comparison": ">="}],
}


@HOSTILE
@given(hostile_texts(RULESET_BASE))
def test_hostile_rulesets_get_a_located_error(data: bytes) -> None:
    """A mangled ruleset: check exits 0, 1 or 2, each message naming the ruleset (or the unit) and where."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rules.toml"
        path.write_bytes(data)
        code, err = run_cli("check", str(SEED), "--ruleset", str(path))
        assert_located(code, err, [path, SEED])


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["extends", "methods", "tiers", "indicator_method"]),
    st.one_of(toml_values, st.text(max_size=12)),
)
def test_hostile_ruleset_settings_are_named_by_key(key: str, value: Any) -> None:
    """A wrong extends, method or tiers value: exit 0 or 2, and a 2 names the ruleset file and a key."""
    document = {**RULESET_BASE, "ruleset": dict(RULESET_BASE["ruleset"]), "indicators": [dict(RULESET_BASE["indicators"][0])]}
    if key == "extends":
        document["ruleset"]["extends"] = value
    elif key == "methods":
        document["methods"] = {">=": value}
    elif key == "tiers":
        document["qualitative"] = {"tiers": value}
    else:
        document["indicators"][0]["method"] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rules.toml"
        path.write_text(tomli_w.dumps(document), encoding="utf-8")
        code, err = run_cli("check", str(SEED), "--ruleset", str(path))
        assert_located(code, err, [path, SEED])
