"""Read the sheets of an XLSForm workbook (``.xlsx`` or ``.xls``) into rows of text, with limits.

Which reader, and why: openpyxl (already a dependency) for ``.xlsx``, in read-only mode, which
streams the sheet XML row by row instead of building every cell; xlrd for the older binary
``.xls``, the reader pyxform itself uses (and pins, which is why ``constraints.txt`` holds xlrd
2.0.1: pyxform, in the ``test`` extra, checks our exports).  pyxform's own ``xls2json`` was
weighed and not taken: it raises at its first error instead of collecting every problem, it does
not give the row of every value it returns, and it applies its own type aliases and defaults on
the way, so a row we must refuse (a ``geopoint``) would reach us already rewritten.

The format is told by the file's first bytes, not by its name: a zip container is read as
``.xlsx``, an OLE2 compound document as ``.xls``, anything else is refused as "not a
spreadsheet".  Limits, so that hostile input ends in a message in bounded time and memory:

* the file: at most :data:`MAX_FILE_BYTES`, read without reading past the cap;
* ``.xlsx``: at most :data:`MAX_MEMBERS` zip members and :data:`MAX_UNPACKED_BYTES` once
  unpacked, taken from the zip directory before anything is decompressed (a member that
  unpacks to more than its directory entry says fails its size check in :mod:`zipfile`);
* every sheet: at most :data:`MAX_ROWS` rows and :data:`MAX_COLUMNS` columns are read, and
  reading stops after :data:`EMPTY_RUN` empty rows in a row, as pyxform does (so a sheet with a
  million formatted empty rows costs no more than one with sixty); ``reset_dimensions`` makes
  openpyxl ignore the used range a sheet declares, which may claim all 16,384 columns.

:func:`read_sheets` is this hardened reading alone (numbered rows of raw cell values), for
another workbook we read: the translator's file of :mod:`surveykit.translate.files`.

Header names are case- and space-insensitive (``List Name`` is ``list_name``); the part after
``::`` (a language, ``label::Chinese (zh)``) is kept as written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from surveykit.xlsform.errors import SheetProblem, XLSFormError
from surveykit.yamlsafe import forbidden_characters

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_MEMBERS = 1000
MAX_ROWS = 50_000
MAX_COLUMNS = 256
EMPTY_RUN = 60
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SPACES = re.compile(r"[\s_]+")


@dataclass(frozen=True, slots=True)
class Column:
    """A header cell: ``key`` (``label::English (en)`` normalised), its base and language parts."""

    key: str
    base: str
    language: str | None
    letter: str


@dataclass(frozen=True, slots=True)
class Row:
    """One non-empty data row: its number in the sheet (the header is row 1) and its cells by column key."""

    number: int
    cells: dict[str, str]

    def get(self, key: str) -> str:
        return self.cells.get(key, "")


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    def has(self, key: str) -> bool:
        return any(c.key == key for c in self.columns)


@dataclass(frozen=True, slots=True)
class Workbook:
    """The sheets of a workbook by lower-case name (``survey``, ``choices``, ``settings``…)."""

    path: str
    sheets: dict[str, Sheet]


def column_key(title: str) -> tuple[str, str | None]:
    """``' List Name '`` -> ``('list_name', None)``; ``'Label::Chinese (zh)'`` -> ``('label', 'Chinese (zh)')``."""
    base, sep, language = title.partition("::")
    base = _SPACES.sub("_", base.strip().lower()).strip("_")
    return base, (language.strip() or None) if sep else None


RawSheet = tuple[str, list[tuple[int, list[Any]]]]  # a sheet's name and its numbered non-empty rows


def read_workbook(path: str | Path) -> Workbook:
    """Every sheet of the workbook at ``path``; :class:`XLSFormError` for anything unreadable."""
    name = str(path)
    raw = read_sheets(path)
    sheets: dict[str, Sheet] = {}
    problems: list[SheetProblem] = []
    for sheet_name, rows in raw:
        if sheet_name.strip().lower() in sheets:
            problems.append(
                SheetProblem(name, sheet_name, 1, "a second sheet of this name (names are case-insensitive)")
            )
            continue
        sheet = _sheet(name, sheet_name, rows, problems)
        sheets[sheet_name.strip().lower()] = sheet
    if problems:
        raise XLSFormError(problems)
    return Workbook(name, sheets)


def read_sheets(
    path: str | Path,
    *,
    what: str = "an XLSForm",
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
    empty_run: int = EMPTY_RUN,
) -> list[RawSheet]:
    """The sheets of the ``.xlsx`` or ``.xls`` workbook at ``path`` as numbered rows of raw values, within the limits.

    ``what`` names the kind of file in the messages; the limits default to an XLSForm's.
    Anything unreadable, too large or hostile is an :class:`XLSFormError` whose problems name
    the file (and the sheet and row where there is one).
    """
    name = str(path)
    limits = _Limits(what, max_rows, empty_run)
    data = _read_capped(Path(path), name, what, max_bytes)
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data, name, limits)
    if data.startswith(_OLE2_MAGIC):
        return _read_xls(data, name, limits)
    raise _file_error(name, f"is not a spreadsheet: {what} is an .xlsx or .xls workbook")


@dataclass(frozen=True, slots=True)
class _Limits:
    what: str
    max_rows: int
    empty_run: int


def _read_capped(path: Path, name: str, what: str, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as exc:
        raise _file_error(name, f"cannot read the file: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL in the name
        raise _file_error(name.replace("\0", "\\0"), f"cannot read the file: {exc}") from None
    if len(data) > max_bytes:
        raise _file_error(name, f"the file has more than {max_bytes:,} bytes, the limit for {what}")
    return data


def _file_error(name: str, message: str) -> XLSFormError:
    return XLSFormError([SheetProblem(name, "", 0, message)])


# What openpyxl and zipfile raise on a damaged or hostile .xlsx; none of it is our bug.
_XLSX_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    ParseError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    EOFError,
    OSError,
    NotImplementedError,
)


def _read_xlsx(data: bytes, name: str, limits: _Limits) -> list[RawSheet]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise _file_error(name, f"is not a readable .xlsx workbook (a damaged zip file: {exc})") from None
    if len(members) > MAX_MEMBERS:
        raise _file_error(
            name, f"the .xlsx holds {len(members):,} parts; a workbook has far fewer (limit {MAX_MEMBERS})"
        )
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise _file_error(
            name,
            f"the .xlsx unpacks to {unpacked:,} bytes, over the limit of {MAX_UNPACKED_BYTES:,} "
            "(a zip bomb, or a sheet of many formatted empty rows: delete them and save again)",
        )
    if not any(m.filename == "xl/workbook.xml" for m in members):
        raise _file_error(name, "is a zip file but not an .xlsx workbook (it has no xl/workbook.xml)")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            out = []
            for ws in book.worksheets:
                ws.reset_dimensions()
                out.append((ws.title, list(_limited(name, ws.title, ws.iter_rows(values_only=True), limits))))
            return out
        finally:
            book.close()
    except XLSFormError:
        raise
    except (*_XLSX_ERRORS, InvalidFileException) as exc:
        raise _file_error(name, f"is not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None


def _read_xls(data: bytes, name: str, limits: _Limits) -> list[RawSheet]:
    import xlrd
    from xlrd.compdoc import CompDocError

    errors = (xlrd.XLRDError, CompDocError, struct.error, *_XLSX_ERRORS, AssertionError, UnicodeDecodeError)
    try:
        # xlrd writes its complaints about a damaged file ("WARNING *** file size ...") to stdout
        # unless given a log of its own: the message below says it once, in our words.
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
        try:
            out = []
            for index in range(book.nsheets):
                ws = book.sheet_by_index(index)
                rows = (
                    [_xls_value(ws.cell(r, c), book.datemode) for c in range(min(ws.row_len(r), MAX_COLUMNS))]
                    for r in range(ws.nrows)
                )
                out.append((ws.name, list(_limited(name, ws.name, rows, limits))))
                book.unload_sheet(index)
            return out
        finally:
            book.release_resources()
    except XLSFormError:
        raise
    except errors as exc:
        hint = " (a password-protected workbook?)" if "workbook" in str(exc).lower() else ""
        raise _file_error(name, f"is not a readable .xls workbook{hint} ({type(exc).__name__}: {exc})") from None


def _xls_value(cell: Any, datemode: int) -> Any:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate_as_datetime(cell.value, datemode)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    return cell.value


def _limited(path: str, sheet: str, rows: Iterator[Any], limits: _Limits) -> Iterator[tuple[int, list[Any]]]:
    """Numbered rows until a run of ``empty_run`` empty ones; a sheet with more than ``max_rows`` rows with content
    (the header among them) is refused.  Empty rows count toward no limit but the run: formatting
    is not content, and the run bounds the time they take."""
    empty = kept = 0
    for number, values in enumerate(rows, start=1):
        cells = list(values)[:MAX_COLUMNS]
        if all(_text(v) == "" for v in cells):
            empty += 1
            if empty >= limits.empty_run:
                return
            continue
        empty = 0
        kept += 1
        if kept > limits.max_rows:
            message = f"the sheet has more than {limits.max_rows:,} rows with content, the limit for {limits.what}"
            raise XLSFormError([SheetProblem(path, sheet, number, message)])
        yield number, cells


def _text(value: Any) -> str:
    """A cell as the text XLSForm means: ``1.0`` -> ``1``, a date -> ISO, booleans lower-case."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _sheet(path: str, name: str, rows: list[tuple[int, list[Any]]], problems: list[SheetProblem]) -> Sheet:
    from openpyxl.utils import get_column_letter

    if not rows or rows[0][0] != 1:
        return Sheet(name, (), ())  # no header row: the importer says what the sheet needs
    columns: list[Column | None] = []
    seen: dict[str, str] = {}
    for index, value in enumerate(rows[0][1]):
        title = _text(value)
        letter = get_column_letter(index + 1)
        if not title:
            columns.append(None)
            continue
        base, language = column_key(title)
        key = f"{base}::{language}" if language else base
        if key.lower() in seen:
            problems.append(
                SheetProblem(path, name, 1, f"duplicate column {title!r} (columns {seen[key.lower()]} and {letter})")
            )
            columns.append(None)
            continue
        seen[key.lower()] = letter
        columns.append(Column(key, base, language, letter))
    data = []
    for number, values in rows[1:]:
        cells = {}
        for column, value in zip(columns, values, strict=False):
            text = _text(value)
            if column is not None and text:
                if refused := forbidden_characters(text):
                    problems.append(SheetProblem(path, name, number, f"column {column.letter}: {refused[0].message}"))
                    continue
                cells[column.key] = text
        if cells:
            data.append(Row(number, cells))
    return Sheet(name, tuple(c for c in columns if c is not None), tuple(data))
