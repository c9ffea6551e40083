"""Reading input files safely and writing output files atomically.

Input is UTF-8 TOML; a GBK file (common from Chinese office software) is recognised and
named as such with the command that converts it. Output goes to a temporary file in the
target's folder and is renamed into place, so a failed run never leaves half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from perfscore.errors import InputError, OutputError, Problem

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_text(path: Path) -> str:
    """Read a UTF-8 text file; name the encoding problem clearly when it is not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(Problem("file not found", file=str(path))) from None
    except IsADirectoryError:
        raise InputError(Problem("is a directory, expected a TOML file", file=str(path))) from None
    except OSError as error:
        raise InputError(Problem(f"cannot read: {error.strerror}", file=str(path))) from None
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
    """
    text = read_text(path)
    if _rtoml is not None and _exact_as_doubles(text):
        document: dict[str, Any] | None
        try:
            document = _rtoml.loads(text)
        except Exception:  # noqa: BLE001 - any refusal: let tomllib give the standard error
            document = None
        if document is not None:
            return document if floats_for_pydantic else _floats_to_decimal(document)
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_POSITION.search(message)
        location = f"line {match.group(1)}, column {match.group(2)}" if match else None
        message = _TOML_POSITION.sub("", message).strip()
        raise InputError(
            Problem(f"TOML syntax error: {message}", file=str(path), location=location, expected="valid TOML 1.0")
        ) from None


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


def _floats_to_decimal(value: Any) -> Any:
    """Replace every float in a parsed document by the Decimal of its repr (exact here:
    the text held no numeral of more than 15 digits, nor inf or nan)."""
    stack = [value]
    while stack:
        container = stack.pop()
        for key, item in list(container.items() if type(container) is dict else enumerate(container)):
            kind = type(item)
            if kind is float:
                container[key] = Decimal(repr(item))
            elif kind is dict or kind is list:
                stack.append(item)
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
