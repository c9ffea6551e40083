"""Reading a workbook into cell grids: the only part of the importer that touches a file.

A workbook (.xlsx, .xls, .ods) is read through :func:`perfscore.files.read_bytes` (a regular
file within the size limit), checked as untrusted input, and read by python-calamine (Rust;
about 20 times faster than openpyxl on a small workbook, docs/performance.md) into one
:class:`Sheet` a worksheet: its values as a grid, its merged ranges filled with their
top-left value (each cell remembering that anchor, so an origin names the cell that holds
the value), the cells formatted as a percentage, and the cells whose formula has no usable
value. calamine exposes values only, so for .xlsx the few things it cannot say are read
from the zip's XML with byte-level scans: percent number formats (a 0.95 shown as 95%),
formula errors (#DIV/0!, #REF!) and formulas saved without a value, which calamine reads as
empty cells. Refused with a clear error before the reader builds anything: a file that is
neither a zip nor an Excel 97 file, an encrypted workbook, a zip that unpacks past
``limit("unzipped_bytes")``, a sheet past ``limit("sheet_rows")`` rows, and a workbook with
external links (its values would come from files that are not here).
"""

from __future__ import annotations

import datetime
import html
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple, Sequence, Union

import python_calamine

from perfscore.errors import InputError, Problem, fill
from perfscore.files import read_bytes
from perfscore.limits import LIMITS, limit

#: a cell's value as the importer sees it: text, an exact number, or nothing
CellValue = Union[str, Decimal, None]

#: the suffixes read as workbooks (by ``load``, ``import`` and the batch's discovery)
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})

_EXPECTED = "an Excel workbook (.xlsx, .xls) or an OpenDocument spreadsheet (.ods)"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Excel's built-in percent formats (0%, 0.00%)
_BUILTIN_PERCENT = {9, 10}


@dataclass(frozen=True)
class Sheet:
    """One worksheet as a grid of values (0-based rows and columns), merged cells filled."""

    name: str
    rows: list[list[CellValue]]
    #: a merged cell → the top-left cell of its range, which holds the value
    anchors: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    #: the cells formatted as a percentage (0.95 shown as 95%)
    percent: frozenset[tuple[int, int]] = frozenset()
    #: cells that hold no usable value: the reason (a formula error, a formula without a value)
    flagged: dict[tuple[int, int], str] = field(default_factory=dict)
    #: the number of columns (every row as long); measured when not given
    width: int = 0
    #: the sheet's XML and the percent styles, when :attr:`percent` is found on first use
    #: (:meth:`is_percent`): most sheets never ask, as only a number typed as a number in a
    #: target or actual cell is looked up
    percent_source: tuple[bytes, frozenset[int]] | None = None

    def __post_init__(self) -> None:
        if not self.width:
            object.__setattr__(self, "width", max((len(cells) for cells in self.rows), default=0))

    def is_percent(self, position: tuple[int, int]) -> bool:
        """Whether the cell at ``position`` (a merged range's top-left) is formatted as a percentage."""
        if self.percent_source is not None:
            xml, styles = self.percent_source
            object.__setattr__(self, "percent", _percent_cells(xml, styles))
            object.__setattr__(self, "percent_source", None)
        return position in self.percent

    def value(self, row: int, column: int) -> CellValue:
        """The value at a cell, None outside the grid."""
        if row < 0 or column < 0:
            return None
        try:
            return self.rows[row][column]
        except IndexError:
            return None

    def text(self, row: int, column: int) -> str:
        """The value at a cell as stripped text ("" for an empty cell or outside the grid)."""
        if 0 <= row < len(self.rows) and 0 <= column < self.width:
            return self.texts[row][column]
        return ""

    @cached_property
    def texts(self) -> list[list[str]]:
        """Every cell as stripped text, made once (the layout reads each cell many times)."""
        width = self.width
        return [[("" if value is None else value.strip() if value.__class__ is str else _as_text(value)) for value in cells] + [""] * (width - len(cells)) for cells in self.rows]

    def address(self, row: int, column: int) -> str:
        """The cell's address as Excel names it, "项目1!D12"; a merged cell names its range's top-left."""
        # every imported value carries its cell (origins), so this runs some fifty times a
        # workbook: the sheet's prefix and the letters are made once
        if self.anchors:
            anchor = self.anchors.get((row, column))
            if anchor is not None:
                row, column = anchor
        prefix = self.__dict__.get("_prefix")
        if prefix is None:
            prefix = self.__dict__["_prefix"] = f"{self.name}!"
        return prefix + (_LETTERS[column] if 0 <= column < 702 else column_letters(column)) + str(row + 1)


def _as_text(value: CellValue) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else format(value, "f")


@lru_cache(maxsize=1024)
def column_letters(column: int) -> str:
    """A 0-based column index as Excel's letters: 0 → A, 26 → AA."""
    letters = ""
    column += 1
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


#: the letters of the columns A to ZZ, made once (a sheet's import names some 50 cells)
_LETTERS = [column_letters(column) for column in range(702)]


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def read_workbook(path: Path) -> list[Sheet]:
    """Every visible worksheet of the workbook at ``path``, in workbook order."""
    data = read_bytes(Path(path), _EXPECTED)
    return sheets_from_bytes(data, str(path))


def sheets_from_bytes(data: bytes, file: str) -> list[Sheet]:
    """Every visible worksheet of a workbook held in ``data`` (``file`` names it in errors)."""
    extra: dict[str, _XlsxExtras] = {}
    if data.startswith(_CFB_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            raise _encrypted(file)
    elif data.startswith(b"PK"):
        extra = _check_zip(data, file)
    else:
        raise InputError(Problem("not a workbook: neither a zip (.xlsx, .ods) nor an Excel 97 file (.xls)", file=file, expected=_EXPECTED, key="not_workbook", expected_key="expected_workbook"))
    try:
        # calamine raises its own errors (and a few plain ones) for every malformed file it
        # meets; all of them mean one thing here: this file cannot be read as a workbook
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metadata = book.sheets_metadata
    except python_calamine.PasswordError:
        raise _encrypted(file) from None
    except Exception as error:  # noqa: BLE001 - see above
        raise InputError(Problem(f"cannot read the workbook: {error}", file=file, expected=_EXPECTED, key="cannot_read_workbook", expected_key="expected_workbook", fields=fill(error=error))) from None
    most = int(limit("sheet_rows"))
    sheets = []
    for info in metadata:
        if info.visible != python_calamine.SheetVisibleEnum.Visible or info.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue  # a hidden sheet holds lists and lookups (the template's drop-downs), not a table
        extras = extra.get(info.name, _XlsxExtras())
        try:
            sheet = book.get_sheet_by_name(info.name)
            height = sheet.height
            if height > most or extras.rows > most:
                raise _too_many_rows(file, info.name, max(height, extras.rows), most)
            grid = sheet.to_python(skip_empty_area=False)
            merged = sheet.merged_cell_ranges or []
        except InputError:
            raise
        except Exception as error:  # noqa: BLE001 - a malformed sheet, as above
            raise InputError(Problem(f"cannot read sheet {info.name!r}: {error}", file=file, expected=_EXPECTED, key="cannot_read_sheet", expected_key="expected_workbook", fields=fill(sheet=repr(info.name), error=error))) from None
        sheets.append(_sheet(info.name, grid, merged, extras))
    return sheets


def _sheet(name: str, grid: Sequence[Sequence[object]], merged: list[tuple[tuple[int, int], tuple[int, int]]], extras: _XlsxExtras) -> Sheet:
    # a row of texts and empty cells ("") only, the most common, is made in C by str.strip
    # (a number in it raises TypeError, and the row goes the cell-by-cell way); the texts
    # are made here with the values rather than read from them again (a workbook's import
    # is mostly this loop and the layout's, docs/performance.md)
    rows: list[list[CellValue]] = []
    texts: list[list[str]] = []
    for cells in grid:
        try:
            line = list(map(str.strip, cells))  # type: ignore[arg-type]
        except TypeError:
            values: list[CellValue] = [(value or None) if value.__class__ is str else _cell_value(value) for value in cells]
            line = ["" if value is None else value.strip() if value.__class__ is str else format(value, "f") for value in values]  # _as_text, inlined
        else:
            values = [value or None for value in cells]  # type: ignore[misc]
        rows.append(values)
        texts.append(line)
    anchors: dict[tuple[int, int], tuple[int, int]] = {}
    for (top, left), (bottom, right) in merged:
        if not (0 <= top < len(rows)):
            continue
        first = rows[top][left] if left < len(rows[top]) else None
        first_text = texts[top][left] if left < len(texts[top]) else ""
        anchor = (top, left)
        before = anchors.get(anchor)  # the top-left keeps what it had (an earlier, overlapping range's anchor)
        filled = [first] * (right + 1 - left)
        filled_texts = [first_text] * (right + 1 - left)
        for row in range(top, min(bottom, len(rows) - 1) + 1):
            cells = rows[row]
            line = texts[row]
            if len(cells) <= right:
                cells.extend([None] * (right + 1 - len(cells)))
                line.extend([""] * (right + 1 - len(line)))
            cells[left : right + 1] = filled
            line[left : right + 1] = filled_texts
            for column in range(left, right + 1):
                anchors[(row, column)] = anchor
        if before is None:
            anchors.pop(anchor, None)
        else:
            anchors[anchor] = before
    width = max((len(cells) for cells in rows), default=0)
    for cells, line in zip(rows, texts):
        if len(cells) < width:
            cells.extend([None] * (width - len(cells)))
            line.extend([""] * (width - len(line)))
    sheet = Sheet(name, rows, anchors, extras.percent, extras.flagged, width, extras.percent_source)
    sheet.__dict__["texts"] = texts  # what Sheet.texts makes from the values, made above
    return sheet


def _cell_value(value: object) -> CellValue:
    """A calamine value as text or an exact Decimal; "" and None are no value."""
    if value.__class__ is float and value.is_integer() and 0 < abs(value) < 1e15:
        return Decimal(int(value))  # what the 15 significant digits below give for a whole number
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        # a cell holds a double; Excel shows it with at most 15 significant digits, so that
        # 0.1 + 0.2 reads as the 0.3 the unit saw, not 0.30000000000000004
        number = Decimal(format(value, ".15g"))
        return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return f"{value.year}年{value.month}月{value.day}日"
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


# --------------------------------------------------------------------------- xlsx extras


@dataclass(frozen=True)
class _XlsxExtras:
    rows: int = 0
    percent: frozenset[tuple[int, int]] = frozenset()
    flagged: dict[tuple[int, int], str] = field(default_factory=dict)
    percent_source: tuple[bytes, frozenset[int]] | None = None


_SHEET_ENTRY = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")
_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)', re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_STYLE = re.compile(rb'\bs="([0-9]+)"')
_ERROR_TYPE = re.compile(rb'\bt="e"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_ROW = re.compile(rb"<(?:\w+:)?row\b")
_NUM_FMT = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*numFmtId="([0-9]+)"[^>]*formatCode="([^"]*)"')
_CELL_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b.*?</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)")
_NUM_FMT_ID = re.compile(rb'numFmtId="([0-9]+)"')


def _check_zip(data: bytes, file: str) -> dict[str, _XlsxExtras]:
    """Refuse a zip bomb and external links; for .xlsx, what calamine does not say, by sheet name."""
    try:
        archive = _Zip(data)
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError) as error:
        raise InputError(Problem(f"not a workbook: a damaged zip ({error})", file=file, expected=_EXPECTED, key="damaged_zip", expected_key="expected_workbook", fields=fill(error=error))) from None
    most = int(limit("unzipped_bytes"))
    unpacked = sum(member.file_size for member in archive.members)
    if unpacked > most:
        raise InputError(Problem(f"the workbook unpacks to {unpacked:,} bytes, over the limit of {most:,} (a zip bomb?)", file=file, expected=f"at most {most:,} unpacked bytes, set by {LIMITS['unzipped_bytes'].variable}", key="workbook_too_big", expected_key="expected_unzipped_limit", fields=fill(size=f"{unpacked:,}", most=f"{most:,}", variable=LIMITS["unzipped_bytes"].variable)))
    names = set(archive.by_name)
    links = sorted(name for name in names if name.startswith("xl/externalLinks/") and name.endswith(".xml"))
    if links:
        raise InputError(Problem(f"the workbook links to other workbooks ({len(links)} external link{'s' if len(links) > 1 else ''}): its values may come from files that are not here", file=file, expected="a workbook whose values are its own: in Excel, Data → Edit Links → Break Link, then save", key="external_links", expected_key="expected_own_values", fields=fill(count=len(links))))
    if "xl/workbook.xml" not in names:
        return {}  # an .ods: calamine reads all it holds
    try:
        return _xlsx_extras(archive, names, most)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError, OSError, KeyError, EOFError, NotImplementedError, RuntimeError) as error:
        raise InputError(Problem(f"not a workbook: a damaged zip ({error})", file=file, expected=_EXPECTED, key="damaged_zip", expected_key="expected_workbook", fields=fill(error=error))) from None


class _Member(NamedTuple):
    """What the zip's directory says of one member (the fields of zipfile's ZipInfo used here)."""

    filename: str
    raw_name: bytes
    flag_bits: int
    compress_type: int
    CRC: int
    compress_size: int
    file_size: int
    header_offset: int


#: the end of a zip's central directory (zipfile's ``structEndArchive``), its central
#: directory entries (``structCentralDir``) and a local file header (``structFileHeader``)
_END = struct.Struct("<4s4H2LH")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
#: general-purpose flags zipfile handles specially: encrypted, patched data, strong encryption
_SPECIAL_FLAGS = 0x1 | 0x20 | 0x40
_UTF8_NAME = 0x800


class _Zip:
    """A zip held in memory: its directory, and its members read straight from the bytes.

    zipfile's pure-Python reader cost as much as the rest of a small workbook's checks
    together (docs/performance.md), so the plain case (no comment, no Zip64, nothing before
    the zip, members stored or deflated) is read here, checked as zipfile checks it; for
    anything else, or anything that does not add up, zipfile itself reads the zip and
    raises the errors it always raised."""

    def __init__(self, data: bytes):
        self.data = data
        self._archive: zipfile.ZipFile | None = None
        members = _plain_directory(data)
        if members is None:
            self._archive = zipfile.ZipFile(io.BytesIO(data))
            members = [_Member(info.filename, b"", info.flag_bits, info.compress_type, info.CRC, info.compress_size, info.file_size, info.header_offset) for info in self._archive.infolist()]
        self.members = members
        self.by_name = {member.filename: member for member in members}  # the last of a repeated name, as zipfile

    def read(self, name: str, most: int, keep: bool = False) -> bytes:
        """One member, never more than ``most`` bytes (the directory's sizes may lie);
        ``keep``: a part the workbooks of a folder share (see :data:`_INFLATED`)."""
        member = self.by_name.get(name)
        plain = _plain_member(member, self.data, most, keep) if member is not None and member.raw_name else None
        if plain is not None:
            return plain
        if self._archive is None:
            self._archive = zipfile.ZipFile(io.BytesIO(self.data))
        with self._archive.open(name) as opened:
            data = opened.read(most + 1)
        if len(data) > most:
            raise ValueError(f"{name} unpacks past the limit of {most:,} bytes")
        return data


def _plain_directory(data: bytes) -> list[_Member] | None:
    """The members of a plain zip as zipfile's directory reader would list them; None when
    the zip is not plain or anything is out of place (zipfile then reads it)."""
    if len(data) < _END.size or data[-_END.size : -_END.size + 4] != b"PK\x05\x06" or data[-2:] != b"\0\0":
        return None  # no end record where a zip without a comment has it
    if data[-_END.size - 20 : -_END.size - 16] == b"PK\x06\x07":
        return None  # Zip64
    _, _, _, _, _, size, offset, _ = _END.unpack_from(data, len(data) - _END.size)
    if offset + size != len(data) - _END.size:
        return None  # something before the zip, or a directory that does not end at the end record
    members = []
    position, end = offset, offset + size
    try:
        while position < end:
            if position + _CENTRAL.size > end:
                return None
            entry = _CENTRAL.unpack_from(data, position)
            if entry[0] != b"PK\x01\x02" or entry[3] > zipfile.MAX_EXTRACT_VERSION:
                return None
            flags, name_length, extra_length, comment_length = entry[5], entry[12], entry[13], entry[14]
            name_start = position + _CENTRAL.size
            raw_name = data[name_start : name_start + name_length]
            extra = data[name_start + name_length : name_start + name_length + extra_length]
            position = name_start + name_length + extra_length + comment_length
            if position > end or not raw_name:
                return None
            while len(extra) >= 4:  # zipfile's check of the extra field; Zip64 fields are left to zipfile
                kind, length = struct.unpack_from("<HH", extra)
                if length + 4 > len(extra) or kind == 0x0001:
                    return None
                extra = extra[length + 4 :]
            name = raw_name.decode("utf-8" if flags & _UTF8_NAME else "cp437")
            if "\0" in name or "\\" in name:
                return None  # names zipfile rewrites
            members.append(_Member(name, raw_name, flags, entry[6], entry[9], entry[10], entry[11], entry[18]))
    except (struct.error, UnicodeDecodeError):
        return None
    return members


# The parts the workbooks of one template share (the sheet list, its relations, the styles)
# are mostly the same deflated bytes from workbook to workbook: what they inflated to is
# kept, keyed by the deflated bytes with the method, size and CRC the directory gives, so
# that the same bytes are neither inflated nor checked twice (the same deflated bytes
# always inflate to the same bytes, which were checked against that size and CRC). Small
# parts only, and few of them.
_INFLATED: dict[tuple[bytes, int, int, int], bytes] = {}
_INFLATED_ENTRIES = 16
_INFLATED_BYTES = 64 * 1024


def _plain_member(member: _Member, data: bytes, most: int, keep: bool = False) -> bytes | None:
    """A member stored or deflated in the plain way, read straight from the zip's bytes and
    checked as zipfile checks it (its header's name, its size, its CRC); None for anything
    else, which zipfile then reads and reports on."""
    if member.flag_bits & _SPECIAL_FLAGS or member.file_size > most or member.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        return None
    offset = member.header_offset
    if offset < 0 or offset + _LOCAL_HEADER.size > len(data):
        return None
    header = _LOCAL_HEADER.unpack_from(data, offset)
    if header[0] != b"PK\x03\x04" or header[3] & _SPECIAL_FLAGS or (header[3] ^ member.flag_bits) & _UTF8_NAME:
        return None
    name_length, extra_length = header[10], header[11]
    start = offset + _LOCAL_HEADER.size
    if data[start : start + name_length] != member.raw_name:
        return None
    start += name_length + extra_length
    raw = data[start : start + member.compress_size]
    if len(raw) != member.compress_size:
        return None
    key = (raw, member.compress_type, member.file_size, member.CRC) if keep and member.file_size <= _INFLATED_BYTES else None
    if key is not None:
        kept = _INFLATED.get(key)
        if kept is not None:
            return kept
    if member.compress_type == zipfile.ZIP_STORED:
        out = raw
    else:
        inflate = zlib.decompressobj(-15)
        try:
            out = inflate.decompress(raw, member.file_size + 1)
        except zlib.error:
            return None
        if not inflate.eof:
            return None
    if len(out) != member.file_size or zlib.crc32(out) != member.CRC:
        return None
    if key is not None:
        if len(_INFLATED) >= _INFLATED_ENTRIES:
            _INFLATED.pop(next(iter(_INFLATED)))  # the oldest
        _INFLATED[key] = out
    return out


def _xlsx_extras(archive: _Zip, names: set[str], most: int) -> dict[str, _XlsxExtras]:
    workbook = archive.read("xl/workbook.xml", most, keep=True)
    relations = archive.read("xl/_rels/workbook.xml.rels", most, keep=True) if "xl/_rels/workbook.xml.rels" in names else b""
    percent_styles = _percent_styles(archive.read("xl/styles.xml", most, keep=True)) if "xl/styles.xml" in names else frozenset()
    rows_most = int(limit("sheet_rows"))
    extras = {}
    for name, target in _sheet_targets(workbook, relations):
        if target not in names:
            continue
        extras[name] = _sheet_extras(archive.read(target, most), percent_styles, rows_most)
    return extras


# The workbook's sheet list and its styles are read through small caches: the workbooks of
# a folder are mostly filled in from one template, whose sheet list and styles they share.
# Only small parts are kept (a cache entry holds on to its bytes).
_CACHED_BYTES = 256 * 1024


def _sheet_targets(workbook: bytes, relations: bytes) -> tuple[tuple[str, str], ...]:
    """Each sheet's name and the zip member holding it, in workbook order."""
    if len(workbook) + len(relations) <= _CACHED_BYTES:
        return _cached_sheet_targets(workbook, relations)
    return _read_sheet_targets(workbook, relations)


def _percent_styles(styles: bytes) -> frozenset[int]:
    """The indexes of the cell styles (cellXfs) whose number format shows a percentage."""
    return _cached_percent_styles(styles) if len(styles) <= _CACHED_BYTES else _read_percent_styles(styles)


def _read_sheet_targets(workbook: bytes, relations: bytes) -> tuple[tuple[str, str], ...]:
    targets: dict[bytes, str] = {}
    for match in _RELATIONSHIP.finditer(relations):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        target = attributes.get(b"Target", b"").decode("utf-8", "replace")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[attributes.get(b"Id", b"")] = target
    found = []
    for match in _SHEET_ENTRY.finditer(workbook):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        name = html.unescape(attributes.get(b"name", b"").decode("utf-8", "replace"))
        relation = next((value for key, value in attributes.items() if key.endswith(b":id")), b"")
        target = targets.get(relation)
        if target is not None:
            found.append((name, target))
    return tuple(found)


def _read_percent_styles(styles: bytes) -> frozenset[int]:
    percent_formats = set(_BUILTIN_PERCENT)
    for identifier, code in _NUM_FMT.findall(styles):
        if b"%" in html.unescape(code.decode("utf-8", "replace")).replace('"%"', "").encode():
            percent_formats.add(int(identifier))
    block = _CELL_XFS.search(styles)
    if block is None:
        return frozenset()
    found = set()
    for index, xf in enumerate(_XF.finditer(block.group(0))):
        identifier = _NUM_FMT_ID.search(xf.group(1))
        if identifier is not None and int(identifier.group(1)) in percent_formats:
            found.add(index)
    return frozenset(found)


_cached_sheet_targets = lru_cache(maxsize=16)(_read_sheet_targets)
_cached_percent_styles = lru_cache(maxsize=16)(_read_percent_styles)


def _row_count(xml: bytes) -> int:
    """The number of <row> elements: counted as bytes where no element is written with a
    prefix or a tag that merely starts with "row" (<rowBreaks>), else by the pattern."""
    count = xml.count(b"<row")
    plain = xml.count(b"<row ") + xml.count(b"<row>")
    if count == plain and b":row" not in xml:
        return count
    return len(_ROW.findall(xml))


_STYLE_VALUE = re.compile(rb's="([0-9]+)"')
_CELL_START = re.compile(rb"<(?:\w+:)?c\b")


def _percent_cells(xml: bytes, percent_styles: frozenset[int]) -> frozenset[tuple[int, int]]:
    """The cells styled as a percentage, for a sheet without formulas: each s="N" with N a
    percent style leads back to the cell tag holding it, read as the full cell scan reads
    it (a pattern over every cell tag costs ten times more)."""
    found = set()
    seen: set[int] = set()
    for match in _STYLE_VALUE.finditer(xml):
        if int(match.group(1)) not in percent_styles:
            continue
        start = xml.rfind(b"<", 0, match.start())
        cell = _CELL_START.match(xml, start) if start >= 0 and start not in seen else None
        if cell is None:
            continue
        seen.add(start)
        end = xml.find(b">", cell.end())
        if end < 0:
            continue
        attributes = xml[cell.end() : end]
        reference = _CELL_REF.search(attributes)
        style = _STYLE.search(attributes)
        if reference is not None and style is not None and int(style.group(1)) in percent_styles:
            found.add((int(reference.group(2)) - 1, _column_index(reference.group(1).decode())))
    return frozenset(found)


def _formula_marks(xml: bytes) -> bool:
    """Whether the sheet's XML holds "<f", ":f>" or 't="e"' (a formula, a prefixed one, an
    error cell): then its cells are scanned one by one. The letter f is rare in a sheet's
    XML (cell tags, values and escaped text have none), so each f is found (a byte search
    in C) and looked at, where searching for "<f" and ":f>" themselves took twice as long."""
    find = xml.find
    at = find(b"f", 1)
    while at >= 0:
        before = xml[at - 1]
        if before == 0x3C or (before == 0x3A and xml[at + 1 : at + 2] == b">"):  # "<f", ":f>"
            return True
        at = find(b"f", at + 1)
    return b't="e"' in xml


def _sheet_extras(xml: bytes, percent_styles: frozenset[int], most_rows: int) -> _XlsxExtras:
    # a <row> takes at least 4 bytes of the XML ("<row", as the pattern counts them), so a
    # sheet shorter than that many rows cannot hold too many: counting them is skipped
    rows = _row_count(xml) if len(xml) >= 4 * (most_rows + 1) else 0
    dimension = re.search(rb'<(?:\w+:)?dimension\b[^>]*ref="[A-Z]{1,3}[0-9]{1,7}:[A-Z]{1,3}([0-9]{1,7})"', xml[:4096])
    if dimension is not None:
        rows = max(rows, int(dimension.group(1)))
    has_formulas = _formula_marks(xml)
    if not percent_styles and not has_formulas:
        return _XlsxExtras(rows)
    if not has_formulas:
        # found on first use (Sheet.is_percent): a cell-by-cell scan most sheets never need
        return _XlsxExtras(rows, percent_source=(xml, percent_styles) if b's="' in xml else None)
    percent: set[tuple[int, int]] = set()
    flagged: dict[tuple[int, int], str] = {}
    for cell in _CELL.finditer(xml):
        attributes, body = cell.group(1), cell.group(2) or b""
        reference = _CELL_REF.search(attributes)
        if reference is None:
            continue
        position = (int(reference.group(2)) - 1, _column_index(reference.group(1).decode()))
        if percent_styles:
            style = _STYLE.search(attributes)
            if style is not None and int(style.group(1)) in percent_styles:
                percent.add(position)
        if has_formulas:
            if _ERROR_TYPE.search(attributes):
                value = _VALUE.search(body)
                shown = value.group(1).decode("utf-8", "replace") if value else "#ERROR"
                flagged[position] = f"the formula gives the error {shown}"
            elif b"<f" in body or b":f" in body:
                value = _VALUE.search(body)
                if value is None or not value.group(1):
                    flagged[position] = "a formula saved without its value (the program that wrote the file did not calculate it)"
    return _XlsxExtras(rows, frozenset(percent), flagged)


def _encrypted(file: str) -> InputError:
    return InputError(Problem("the workbook is encrypted (protected by a password to open)", file=file, expected="a workbook saved without a password to open: in Excel, File → Info → Protect Workbook → Encrypt with Password, cleared", key="encrypted_workbook", expected_key="expected_no_password"))


def _too_many_rows(file: str, sheet: str, rows: int, most: int) -> InputError:
    return InputError(Problem(f"sheet {sheet} has {rows:,} rows, over the limit of {most:,}", file=file, location=sheet, expected=f"at most {most:,} rows in a sheet, set by {LIMITS['sheet_rows'].variable}", key="sheet_too_long", expected_key="expected_sheet_rows", fields=fill(sheet=sheet, rows=f"{rows:,}", most=f"{most:,}", variable=LIMITS["sheet_rows"].variable)))


__all__ = ["WORKBOOK_SUFFIXES", "CellValue", "Sheet", "column_letters", "read_workbook", "sheets_from_bytes"]
