"""Reading input files safely and writing output files atomically.

Input is UTF-8 TOML; a GBK file (common from Chinese office software) is recognised and
named as such with the command that converts it. Input is untrusted: a file over
``limit("file_bytes")`` is refused before it is read, and nesting past ``limit("nesting")``
before it can make a parser recurse, each naming the file, where, and the environment
variable of the limit. Output goes to a temporary file in the target's folder and is
renamed into place, so a failed run never leaves half a file.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import tomllib
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from perfscore.errors import InputError, OutputError, Problem
from perfscore.limits import LIMITS, limit

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_text(path: Path) -> str:
    """Read a UTF-8 text file; name the encoding problem clearly when it is not UTF-8.

    A file larger than ``limit("file_bytes")`` is refused before it is read: its size is
    known from ``os.stat`` for a regular file, and the read itself stops one byte past the
    limit for anything else (a pipe, a device), so no input costs more memory than that.
    """
    most = int(limit("file_bytes"))
    try:
        status = os.stat(path)
        if status.st_size > most:
            raise _too_large(path, status.st_size, most)
        with open(path, "rb") as handle:
            # read(n) allocates n bytes first: ask for the size stat gave, then read on, in
            # bounded steps, what a pipe, a device or a file grown since holds
            data = handle.read(status.st_size + 1) if stat.S_ISREG(status.st_mode) else b""
            while len(data) <= most:
                more = handle.read(min(1 << 16, most + 1 - len(data)))
                if not more:
                    break
                data += more
    except FileNotFoundError:
        raise InputError(Problem("file not found", file=str(path))) from None
    except IsADirectoryError:
        raise InputError(Problem("is a directory, expected a TOML file", file=str(path))) from None
    except OSError as error:
        raise InputError(Problem(f"cannot read: {error.strerror or error}", file=str(path))) from None
    except ValueError as error:  # a path holding a NUL byte
        raise InputError(Problem(f"cannot read: {error}", file=str(path))) from None
    if len(data) > most:
        raise _too_large(path, None, most)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            Problem(
                "not UTF-8: the file is UTF-16 (it starts with a UTF-16 byte-order mark)",
                file=str(path),
                expected=f"UTF-8 text; convert with: iconv -f UTF-16 -t UTF-8 '{path}' > '{path.with_name(path.stem + '.utf8' + path.suffix)}'",
            )
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        hint = _guess_legacy_encoding(data)
        converted = path.with_name(f"{path.stem}.utf8{path.suffix}")
        raise InputError(
            Problem(
                f"not UTF-8 (invalid byte at byte {error.start}){hint}",
                file=str(path),
                location=f"line {line}",
                expected=f"UTF-8 text; convert with: iconv -f GBK -t UTF-8 '{path}' > '{converted}'",
            )
        ) from None


def _too_large(path: Path, size: int | None, most: int) -> InputError:
    variable = LIMITS["file_bytes"].variable
    stated = f"{size:,} bytes" if size is not None else f"more than {most:,} bytes"
    return InputError(
        Problem(
            f"file too large: {stated}, over the limit of {most:,} bytes",
            file=str(path),
            expected=f"at most {most:,} bytes, set by {variable}",
        )
    )


def _guess_legacy_encoding(data: bytes) -> str:
    for encoding in ("gb18030",):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return "; it looks GBK/GB18030-encoded"
    return ""


def read_toml(path: Path, *, floats_for_pydantic: bool = False) -> dict[str, Any]:
    """Parse a TOML file with floats as Decimal; syntax errors name line and column.

    Parsing is done by rtoml (Rust, about ten times faster than the standard library's
    pure-Python tomllib, which dominated batch time). rtoml reads floats as binary
    doubles, and a double's shortest text (its repr) is the literal the file holds
    whenever that literal has at most 15 significant digits. So the text is scanned
    first: a document with a longer numeral anywhere, or one rtoml refuses, or holding
    inf or nan, is parsed with tomllib, whose Decimal parsing is exact and whose error
    messages name line and column. The result and the errors never depend on the fast path.

    With ``floats_for_pydantic`` the floats of a fast-path document are left as floats,
    for a pydantic model to validate: pydantic turns a float into the Decimal of its repr,
    which is the exact literal here, and saves a walk over the whole document.

    Nesting deeper than ``limit("nesting")`` is refused with its line before tomllib reads
    the text (tomllib recurses, and its dotted keys cost the square of their depth); rtoml
    bounds its own recursion, so the fast path pays nothing for this. A document read
    without ``floats_for_pydantic`` (a ruleset: free-form tables that later code walks) has
    its depth measured during the float walk it gets anyway; a submission's depth is
    bounded by its schema, and nothing walks it before validation.
    """
    text = read_text(path)
    if _rtoml is not None and _exact_as_doubles(text):
        document: dict[str, Any] | None
        try:
            document = _rtoml.loads(text)
        except Exception:  # noqa: BLE001 - any refusal: let tomllib give the standard error
            document = None
        if document is not None:
            return document if floats_for_pydantic else _floats_to_decimal(document, path)
    _check_nesting(text, path)
    try:
        document = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_POSITION.search(message)
        location = f"line {match.group(1)}, column {match.group(2)}" if match else None
        message = _TOML_POSITION.sub("", message).strip()
        raise InputError(
            Problem(f"TOML syntax error: {message}", file=str(path), location=location, expected="valid TOML 1.0")
        ) from None
    except RecursionError:
        # only when PERFSCORE_MAX_NESTING was raised past what the parser's recursion allows
        depth, line = _nesting(text, None)
        raise _too_deep(path, line, depth, int(limit("nesting")), "deeper than the TOML parser can read") from None
    if not floats_for_pydantic:
        _check_depth(document, path)
    return document


#: one part of a TOML key: bare, "basic" or 'literal'
_KEY_PART = r"""(?:[A-Za-z0-9_-]++|"(?:[^"\\\n]|\\.)*+"|'[^'\n]*+')"""
#: what the nesting scan looks at: strings and comments (skipped whole, so that brackets
#: and dots inside them do not count), table headers, words and dotted keys (taken whole,
#: possessively, so that no input makes the scan go back over it), and brackets
_NESTING_TOKENS = re.compile(
    r"""(?P<skip>"{3}(?:[^\\"]|\\.|"(?!""))*+(?:"{3,5})?|'{3}(?:[^']|'(?!''))*+(?:'{3,5})?|"(?:[^"\\\n]|\\.)*+"?|'[^'\n]*+'?|\#[^\n]*+)"""
    r"""|^[ \t]*+(?P<header>\[\[?)[ \t]*+(?P<table>""" + _KEY_PART + r"""(?:[ \t]*+\.[ \t]*+""" + _KEY_PART + r""")*+)[ \t]*+(?P<end>\]\]?)"""
    r"""|(?P<key>""" + _KEY_PART + r"""(?:[ \t]*+\.[ \t]*+""" + _KEY_PART + r""")*+)[ \t]*+(?P<equals>=?)"""
    r"""|(?P<open>[\[{])|(?P<close>[\]}])""",
    re.MULTILINE,
)
_KEY_PARTS = re.compile(_KEY_PART)


def _nesting(text: str, most: int | None) -> tuple[int, int]:
    """The deepest nesting of arrays, inline tables, tables and dotted keys in ``text``, as
    written, and the line where it is reached; with ``most``, stop at the first level past it.

    A regular-expression scan, not a parse, linear in the text: it runs only before tomllib
    (the slow path), on text rtoml refused or that holds long numerals. Dotted keys count
    a level a part; headers count as written, keys below them from the top."""
    depth = deepest = 0
    position = 0
    for match in _NESTING_TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "skip":
            continue
        if kind == "open":
            depth += 1
            reached = depth
        elif kind == "close":
            depth = max(depth - 1, 0)
            continue
        elif kind == "equals" or kind == "key":
            if not match.group("equals"):
                continue  # a bare value (a number, a date, true) or a word of bad TOML
            reached = depth + len(_KEY_PARTS.findall(match.group("key")))
        elif depth == 0:  # a table header
            reached = len(match.group("header")) + len(_KEY_PARTS.findall(match.group("table"))) - 1
        else:  # a line inside a multi-line array that only looks like a header: arrays
            reached = depth + len(match.group("header"))
            depth = max(depth + len(match.group("header")) - len(match.group("end")), 0)
        if reached > deepest:
            deepest, position = reached, match.start()
            if most is not None and deepest > most:
                break
    return deepest, text.count("\n", 0, position) + 1


def _check_nesting(text: str, path: Path) -> None:
    """Refuse ``text`` when it nests deeper than ``limit("nesting")``, naming the line."""
    most = int(limit("nesting"))
    depth, line = _nesting(text, most)
    if depth > most:
        raise _too_deep(path, line, None, most, f"nested more than {most:,} levels deep")


def _check_depth(document: dict[str, Any], path: Path) -> None:
    """Refuse a parsed document deeper than ``limit("nesting")``, naming the key path.

    Used where the float walk did not run (the tomllib path): an iterative walk, so that a
    deep document cannot make it recurse."""
    most = int(limit("nesting"))
    stack: list[tuple[Any, int, str]] = [(document, 0, "")]
    while stack:
        container, depth, where = stack.pop()
        if depth > most:
            raise _too_deep_at(path, where, most)
        for key, item in container.items() if type(container) is dict else enumerate(container):
            if type(item) is dict or type(item) is list:
                stack.append((item, depth + 1, _key_path(where, key)))


def _key_path(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    part = key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else repr(key)
    return f"{where}.{part}" if where else part


def _too_deep(path: Path, line: int, depth: int | None, most: int, what: str) -> InputError:
    variable = LIMITS["nesting"].variable
    stated = f"nested {depth:,} levels deep, {what}" if depth is not None else what
    return InputError(
        Problem(
            f"arrays or tables {stated}",
            file=str(path),
            location=f"line {line}",
            expected=f"at most {most:,} levels of nesting, set by {variable}",
        )
    )


def _too_deep_at(path: Path, where: str, most: int) -> InputError:
    variable = LIMITS["nesting"].variable
    shown = where if len(where) <= 200 else where[:200] + "…"
    return InputError(
        Problem(
            f"arrays or tables nested more than {most:,} levels deep",
            file=str(path),
            location=shown,
            expected=f"at most {most:,} levels of nesting, set by {variable}",
        )
    )


_rtoml: ModuleType | None
try:
    import rtoml as _rtoml_module

    _rtoml = _rtoml_module
except ImportError:  # pragma: no cover - rtoml is a dependency; tomllib alone still works
    _rtoml = None

#: A value a double may not hold exactly: a numeral of 16 or more characters (digits, points
#: and underscores), one with a three-digit exponent (beyond a double's range or
#: precision), or inf or nan. Only where a value can start: after =, [ or , or at the start
#: of a line (an array element after a comment), so that words and hashes in strings and
#: comments ("info", "Hunan", a file name) do not decide the parser. Inside a string it
#: may still match, which only costs speed.
_INEXACT_VALUE = re.compile(r"[=,\[\n][ \t]*[+-]?(?:[0-9][0-9_.]{15}|[0-9][0-9_.]*[eE][+-]?[0-9](?:_?[0-9]){2}|inf\b|nan\b)")
#: The same numerals anywhere: a cheaper first look that finds nothing in most files.
_INEXACT_ANYWHERE = re.compile(r"[0-9](?:[0-9_.]{15}|[eE][+-]?[0-9](?:_?[0-9]){2})")


def _exact_as_doubles(text: str) -> bool:
    """Whether every float in ``text`` is held exactly by a double (and is not inf or nan)."""
    if "inf" not in text and "nan" not in text and _INEXACT_ANYWHERE.search(text) is None:
        return True
    return _INEXACT_VALUE.search(text) is None


def _floats_to_decimal(value: dict[str, Any], path: Path) -> dict[str, Any]:
    """Replace every float in a parsed document by the Decimal of its repr (exact here:
    the text held no numeral of more than 15 digits, nor inf or nan), and refuse a document
    nested deeper than ``limit("nesting")`` (the walk visits every container anyway)."""
    most = int(limit("nesting"))
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        container, depth = stack.pop()
        if depth > most:
            _check_depth(value, path)  # the failure path: walk again to name the key path
        for key, item in list(container.items() if type(container) is dict else enumerate(container)):
            kind = type(item)
            if kind is float:
                container[key] = Decimal(repr(item))
            elif kind is dict or kind is list:
                stack.append((item, depth + 1))
    return value


def atomic_write(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file renamed into place."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    directory = path.parent if str(path.parent) else Path(".")
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise _cannot_write(path, error) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError):  # a full disk, or a folder where the file should go
            raise _cannot_write(path, error) from None
        raise


def _cannot_write(path: Path, error: OSError) -> OutputError:
    return OutputError(Problem(f"cannot write the output: {error.strerror or error}", file=str(path), expected="a file path in an existing, writable folder"))
