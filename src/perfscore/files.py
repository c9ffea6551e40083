"""Reading input files safely and writing output files atomically.

Input is UTF-8 TOML; a GBK file (common from Chinese office software) is recognised and
named as such with the command that converts it. Input is untrusted: a file over
``limit("file_bytes")`` is refused before it is read, and nesting past ``limit("nesting")``
before it can make a parser recurse, each naming the file, where, and the environment
variable of the limit. Output to a regular file goes to a temporary file in the target's
folder and is renamed into place, so a failed run never leaves half a file; a device or
FIFO is written directly, never replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tomllib
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

from perfscore.errors import InputError, OutputError, Problem, fill
from perfscore.limits import LIMITS, limit

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_text(path: Path) -> str:
    """Read a UTF-8 text file; name the encoding problem clearly when it is not UTF-8
    (the bytes are read by :func:`read_bytes`, with its checks)."""
    return decode_text(path, read_bytes(path))


def read_bytes(path: Path, expected: str = "a TOML file") -> bytes:
    """The bytes of an input file, read with every check (a workbook is read so, and the
    store hashes and keeps them).

    Only a regular file is read: a FIFO would block until some writer opened it (a hang
    with none) and a device may never end, so both are refused by what ``os.stat`` says. A
    file larger than ``limit("file_bytes")`` is refused before it is read, and the read
    stops one byte past the limit should the file have grown since. ``expected`` is what
    the error messages say the file should have been.
    """
    most = int(limit("file_bytes"))
    try:
        status = os.stat(path)
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(status.st_mode):
            raise InputError(Problem("not a regular file (a FIFO, device or socket)", file=str(path), expected=expected, key="not_regular", expected_key="expected_toml_file" if expected == "a TOML file" else None))
        if status.st_size > most:
            raise _too_large(path, status.st_size, most)
        with open(path, "rb") as handle:
            # read(n) allocates n bytes first: ask for the size stat gave, then read on, in
            # bounded steps, what a file grown since holds
            data = handle.read(status.st_size + 1)
            while len(data) <= most:
                more = handle.read(min(1 << 16, most + 1 - len(data)))
                if not more:
                    break
                data += more
    except FileNotFoundError:
        raise InputError(Problem("file not found", file=str(path), key="file_not_found")) from None
    except IsADirectoryError:
        raise InputError(Problem(f"is a directory, expected {expected}", file=str(path), key="is_directory" if expected == "a TOML file" else None)) from None
    except OSError as error:
        raise InputError(Problem(f"cannot read: {error.strerror or error}", file=str(path), key="cannot_read", fields=(("reason", str(error.strerror or error)),))) from None
    except ValueError as error:  # a path holding a NUL byte
        raise InputError(Problem(f"cannot read: {error}", file=str(path), key="cannot_read", fields=fill(reason=error))) from None
    if len(data) > most:
        raise _too_large(path, None, most)
    return data


def decode_text(path: Path, data: bytes) -> str:
    """The UTF-8 text of an input file's bytes; GBK and UTF-16 named, with the command that converts them."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            Problem(
                "not UTF-8: the file is UTF-16 (it starts with a UTF-16 byte-order mark)",
                file=str(path),
                expected=f"UTF-8 text; convert with: iconv -f UTF-16 -t UTF-8 '{path}' > '{path.with_name(path.stem + '.utf8' + path.suffix)}'",
                key="utf16", expected_key="expected_utf8_converted",
                fields=fill(command=f"iconv -f UTF-16 -t UTF-8 '{path}' > '{path.with_name(path.stem + '.utf8' + path.suffix)}'"),
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
                key="not_utf8", expected_key="expected_utf8_converted",
                fields=fill(byte=error.start, hint=hint, command=f"iconv -f GBK -t UTF-8 '{path}' > '{converted}'"),
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
            key="file_too_large" if size is not None else "file_too_large_unknown", expected_key="expected_file_bytes",
            fields=fill(size=f"{size:,}" if size is not None else "", most=f"{most:,}", variable=variable),
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
    return parse_toml(read_text(path), path, floats_for_pydantic=floats_for_pydantic)


def parse_toml(text: str, path: Path, *, floats_for_pydantic: bool = False) -> dict[str, Any]:
    """Parse TOML text exactly as :func:`read_toml` parses a file's (``path`` names it in
    problems): the store reads back a submission it kept this way."""
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
        document = tomllib.loads(text, parse_float=_bounded_decimal)
    except _OutOfRange as error:
        raise _out_of_range(path, text, error.numeral, "a number whose exponent is within ±999", "expected_exponent") from None
    except ValueError as error:
        if not isinstance(error, tomllib.TOMLDecodeError) and "digits" in str(error):
            # an integer past Python's 4,300-digit conversion limit
            numeral = max(_LONG_INTEGER.findall(text), key=len, default="")
            raise _out_of_range(path, text, numeral, "an integer of at most 4,300 digits", "expected_integer_digits") from None
        if not isinstance(error, tomllib.TOMLDecodeError):
            raise
        message = str(error)
        match = _TOML_POSITION.search(message)
        location = f"line {match.group(1)}, column {match.group(2)}" if match else None
        message = _TOML_POSITION.sub("", message).strip()
        raise InputError(
            Problem(f"TOML syntax error: {message}", file=str(path), location=location, expected="valid TOML 1.0", key="toml_syntax", expected_key="expected_toml", fields=(("detail", message),))
        ) from None
    except RecursionError:
        # only when PERFSCORE_MAX_NESTING was raised past what the parser's recursion allows
        depth, line = _nesting(text, None)
        raise _too_deep(path, line, depth, int(limit("nesting")), "deeper than the TOML parser can read", "too_deep_for_parser") from None
    if not floats_for_pydantic:
        _check_depth(document, path)
    return document


#: exponents a figure may have; far beyond any amount or rate, short of Decimal's overflow
_MAX_EXPONENT = 999
_LONG_INTEGER = re.compile(r"[0-9_]{4000,}")


class _OutOfRange(ValueError):
    def __init__(self, numeral: str):
        super().__init__(numeral)
        self.numeral = numeral


def _bounded_decimal(numeral: str) -> Decimal:
    """tomllib's float parser: exact, and refusing an exponent no figure needs (9e99999999),
    which would overflow the first arithmetic done with it."""
    value = Decimal(numeral)
    if value.is_finite() and value and not -_MAX_EXPONENT <= value.adjusted() <= _MAX_EXPONENT:
        raise _OutOfRange(numeral)
    return value


def _out_of_range(path: Path, text: str, numeral: str, expected: str, expected_key: str) -> InputError:
    """A number the file holds that no figure can be: named with its line."""
    index = text.find(numeral) if numeral else -1
    location = f"line {text.count(chr(10), 0, index) + 1}" if index >= 0 else None
    shown = numeral if len(numeral) <= 24 else f"{numeral[:12]}…{numeral[-8:]} ({len(numeral)} characters)"
    return InputError(Problem(f"number out of range: {shown}", file=str(path), location=location, expected=expected, key="number_out_of_range", expected_key=expected_key, fields=fill(number=shown)))


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
        raise _too_deep(path, line, None, most, f"nested more than {most:,} levels deep", "too_deep")


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


def _too_deep(path: Path, line: int, depth: int | None, most: int, what: str, key: str) -> InputError:
    variable = LIMITS["nesting"].variable
    stated = f"nested {depth:,} levels deep, {what}" if depth is not None else what
    return InputError(
        Problem(
            f"arrays or tables {stated}",
            file=str(path),
            location=f"line {line}",
            expected=f"at most {most:,} levels of nesting, set by {variable}",
            key=key if depth is None else f"{key}_depth", expected_key="expected_nesting",
            fields=fill(depth=f"{depth:,}" if depth is not None else "", most=f"{most:,}", variable=variable),
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
            key="too_deep", expected_key="expected_nesting",
            fields=fill(most=f"{most:,}", variable=variable),
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


# --------------------------------------------------------------------------- writing

#: the suffix of perfscore's temporary files: ``.NAME.<pid>.perfscore-tmp`` beside NAME
TEMPORARY_SUFFIX = ".perfscore-tmp"
_TEMPORARY = re.compile(r"\.(.+)\.(\d{1,10})" + re.escape(TEMPORARY_SUFFIX))
#: the kernel's own bound on symlinks followed in one lookup (MAXSYMLINKS)
_MAX_LINKS = 40


def atomic_write(path: Path, content: str | bytes, *, remove_stale: bool = True, durable: bool = True) -> None:
    """Write ``content`` to ``path``: atomically where ``path`` is (or will be) a regular file.

    A regular file, or a path where nothing exists yet, is written to a temporary file
    beside it and renamed into place, so a failed run leaves the previous file intact and
    no half file. Anything else (a device such as /dev/null or /dev/full, a FIFO, a
    terminal) is written directly: renaming over it would replace it with a regular file.
    A symlink is followed: its regular target is replaced atomically and the link kept,
    but a link through /proc (``/dev/stdout`` is ``/proc/self/fd/1``) names an open file
    of a process, which is written directly. With ``remove_stale`` the temporary files
    of runs that were killed before their rename (their process is gone) are removed.
    Without ``durable`` the data is not forced to the disk before the rename (no fsync): a
    killed process still leaves the old file or the new one, never half of one, but a power
    cut may leave an empty file; for output that can be written again (``perfscore
    generate``, where one fsync a file took a third of its time).
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    with _writing(Path(path), remove_stale, durable) as descriptor:
        _write_all(descriptor, data)


def _write_target(path: Path) -> tuple[Path | None, os.stat_result | None]:
    """Where to rename to (None: write ``path`` directly) and what is there now, if anything.

    One lstat on the common path (a regular file or nothing); links cost a readlink a hop.
    """
    try:
        found = os.lstat(path)
    except OSError:
        return path, None  # nothing there, or its folder is missing: creating the temp says which
    target = path
    if stat.S_ISLNK(found.st_mode):
        resolved = _resolve_link(path)
        if resolved is None:
            return None, None
        try:
            found = os.lstat(resolved)
        except OSError:
            return resolved, None  # a dangling link: create its target, keep the link
        target = resolved
    if stat.S_ISREG(found.st_mode):
        return target, found
    if stat.S_ISDIR(found.st_mode):
        raise _cannot_write(path, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    return None, found  # a device, a FIFO, a socket: never replaced


def _resolve_link(path: Path) -> Path | None:
    """The path a symlink ends at, or None where it must be written directly: a loop, or a
    hop through /proc (a process's open file, whose path may be a pipe or a file the shell
    opened for appending)."""
    current = str(path)
    for _ in range(_MAX_LINKS):
        folder = os.path.realpath(os.path.dirname(current) or ".")
        if folder == "/proc" or folder.startswith("/proc/"):
            return None
        current = os.path.join(folder, os.path.basename(current))
        try:
            link = os.readlink(current)
        except OSError:
            return Path(current)  # not a link (or gone): this is the target
        current = os.path.join(folder, link)
    return None  # a loop: opening it directly reports it


@contextlib.contextmanager
def _direct(path: Path) -> Iterator[int]:
    """A descriptor on an existing non-regular file (a device, a FIFO, a process's open file).

    Not created if it has vanished, and appended to: a regular file reached through
    /proc/self/fd is the shell's redirection, which may be a log opened with ``>>``.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY)
    except OSError as error:
        raise _cannot_write(path, error) from None
    try:
        yield descriptor
    except OSError as error:  # /dev/full: no space left on device; a FIFO's reader gone
        raise _cannot_write(path, error) from None
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _renamed(shown: Path, target: Path, existing: os.stat_result | None, remove_stale: bool, durable: bool) -> Iterator[int]:
    """A descriptor on ``.NAME.<pid>.perfscore-tmp`` beside ``target``, renamed into place when
    the block ends without an error and removed when it raises."""
    descriptor, temporary = _open_temporary(shown, target, existing, remove_stale)
    try:
        try:
            yield descriptor
            if durable:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, target)
    except BaseException as error:
        _discard(temporary)
        if isinstance(error, OSError):  # a full disk, or a folder where the file should go
            raise _cannot_write(shown, error) from None
        raise


def _writing(path: Path, remove_stale: bool, durable: bool) -> contextlib.AbstractContextManager[int]:
    """Where ``path`` is written: a renamed temporary file, or the non-regular file itself."""
    target, existing = _write_target(path)
    if target is None:
        return _direct(path)
    return _renamed(path, target, existing, remove_stale, durable)


def _open_temporary(shown: Path, target: Path, existing: os.stat_result | None, remove_stale: bool) -> tuple[int, Path]:
    """Create ``.NAME.<pid>.perfscore-tmp`` beside ``target`` with the permissions it will keep."""
    directory = target.parent
    if remove_stale:
        remove_stale_temporaries(directory, target.name)
    temporary = directory / f".{target.name}.{os.getpid()}{TEMPORARY_SUFFIX}"
    # a replaced file keeps its permissions; a new one gets the umask's, as any created file
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        try:
            descriptor = os.open(temporary, flags, mode)
        except FileExistsError:
            # our own pid, so not a live writer's: a killed run whose pid this one reuses
            os.unlink(temporary)
            descriptor = os.open(temporary, flags, mode)
    except OSError as error:
        raise _cannot_write(shown, error, directory) from None
    if existing is not None:
        try:
            os.fchmod(descriptor, mode)  # the umask may have narrowed it
        except BaseException as error:
            os.close(descriptor)
            _discard(temporary)
            if isinstance(error, OSError):
                raise _cannot_write(shown, error) from None
            raise
    return descriptor, temporary


def _discard(temporary: Path) -> None:
    try:
        os.unlink(temporary)
    except FileNotFoundError:
        pass


class TextSink:
    """A text output written in pieces: UTF-8, gathered to about a megabyte a write.

    What :func:`atomic_writer` yields; it has the one method :mod:`csv` and ``print(file=)``
    need. Writing goes through :func:`_write_all` as :func:`atomic_write`'s does, so a full
    disk is reported the same way.
    """

    __slots__ = ("_descriptor", "_pending", "_size")

    #: characters gathered before they are encoded and written
    CHUNK = 1 << 20

    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor
        self._pending: list[str] = []
        self._size = 0

    def write(self, text: str) -> int:
        self._pending.append(text)
        self._size += len(text)
        if self._size >= self.CHUNK:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self._pending:
            data = "".join(self._pending).encode("utf-8")
            self._pending.clear()
            self._size = 0
            _write_all(self._descriptor, data)


@contextlib.contextmanager
def atomic_writer(path: Path, *, remove_stale: bool = True, durable: bool = True) -> Iterator[TextSink]:
    """:func:`atomic_write` for output made in pieces: ``with atomic_writer(path) as out:
    out.write(text)`` writes each piece to the temporary file as it comes, so the whole text
    is never held in memory; it is renamed into place when the block ends without an error,
    and removed when it raises (the previous file stays as it was). A device, FIFO or a
    process's open file is written directly, as :func:`atomic_write` does: what was written
    before an error has then been written.
    """
    with _writing(Path(path), remove_stale, durable) as descriptor:
        sink = TextSink(descriptor)
        yield sink
        sink.flush()


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def remove_stale_temporaries(directory: Path, name: str | None = None) -> None:
    """Remove the temporary files of killed runs in ``directory`` (those of output ``name``
    only, when given): ``.NAME.<pid>.perfscore-tmp`` whose process no longer exists.

    A temp whose pid is running, or cannot be checked, is left alone: it may be another
    run's, about to be renamed. One listing of the folder; the pid check only for matches.
    """
    try:
        entries = os.listdir(directory)
    except OSError:
        return  # creating the temporary file reports an unusable folder
    for entry in entries:
        if not entry.endswith(TEMPORARY_SUFFIX):
            continue
        match = _TEMPORARY.fullmatch(entry)
        if match is None or (name is not None and match.group(1) != name) or _running(int(match.group(2))):
            continue
        try:
            os.unlink(directory / entry)
        except OSError:
            pass  # gone already (another run cleaned it), or not ours to remove


def _running(pid: int) -> bool:
    """Whether ``pid`` may be a live process (our own counts: another thread's write)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError, OSError):
        return True  # another user's process, or not a pid we can ask about: leave it
    return True


def _cannot_write(path: Path, error: OSError, folder: Path | None = None) -> OutputError:
    """The error of an output that cannot be written; ``folder`` when creating the temp there failed."""
    reason = error.strerror or str(error)
    if error.errno == errno.ENOSPC:
        reason = "no space left on the device"
    if folder is not None and error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        shown = str(folder) if str(folder) else "."
        return OutputError(Problem(
            f"cannot write the output: the folder {shown} is not writable ({reason})", file=str(path), expected="a file path in a folder you can write",
            key="folder_not_writable", expected_key="expected_writable_folder", fields=(("folder", shown), ("reason", reason)),
        ))
    return OutputError(Problem(
        f"cannot write the output: {reason}", file=str(path), expected="a file path in an existing, writable folder",
        key="cannot_write", expected_key="expected_output_path", fields=(("reason", reason),),
    ))
