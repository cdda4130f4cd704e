"""The translator's file: an XLSX sheet or a gettext PO catalogue, written and read back.

XLSX (openpyxl): one sheet ``translations`` with the columns ``key``, the source language
and the target language (its header names the language), one row per text, the target
column filled with any translation so far.  Every cell is written as a string, so a text
that starts with ``=`` stays text (no formula).  PO (Babel): ``msgctxt`` is the key,
``msgid`` the source text, ``msgstr`` the translation, the catalogue's Language header
the target.  Reading checks size and shape and reports a bad row as ``FILE:row N``.

An ``.xlsx`` comes from outside (a translation agency), so it is read by the XLSForm
importer's hardened reader (:func:`surveykit.xlsform.workbook.read_sheets`: size capped
before reading, the zip directory checked before anything is inflated, rows and empty runs
bounded), with this file's own limits; only the sheet's shape is checked here.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po, write_po

from surveykit.errors import SurveykitError
from surveykit.languages import LANGUAGE_TAG
from surveykit.translate.texts import Entry
from surveykit.xlsform.errors import XLSFormError
from surveykit.xlsform.workbook import read_sheets

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "TranslationFile",
    "TranslationFileError",
    "read_translations",
    "write_translations",
]

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
EMPTY_RUN = 1000  # texts are written one after another; a longer empty run is formatting, not texts
SHEET = "translations"
# what a spreadsheet program stores for a formula that failed; a translation starting with "=" becomes one
_SPREADSHEET_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!"}


class TranslationFileError(SurveykitError, ValueError):
    """A translation file that cannot be read (wrong format, wrong shape, too large)."""


@dataclass(frozen=True, slots=True)
class TranslationFile:
    """What a translator sent back: source and target language, and per row (number, key, source, translation)."""

    source: str
    target: str
    rows: tuple[tuple[int, str, str, str], ...]


def write_translations(path: str | Path, source: str, target: str, entries: Sequence[Entry], survey: str) -> None:
    """Write ``entries`` for translation from ``source`` into ``target``; the format follows the suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        data = _xlsx(source, target, entries)
    elif suffix == ".po":
        data = _po(source, target, entries, survey)
    else:
        raise TranslationFileError(f"{path}: a translation file is .xlsx or .po, not {suffix or 'no suffix'!r}")
    Path(path).write_bytes(data)


def _xlsx(source: str, target: str, entries: Sequence[Entry]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(["key", source, target])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for entry in entries:
        sheet.append([entry.key, entry.source, entry.translation])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"  # text, never a formula
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B2"
    for column, width in zip("ABC", (36, 60, 60), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _locale(tag: str) -> Locale | None:
    try:
        return Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return None


def _po(source: str, target: str, entries: Sequence[Entry], survey: str) -> bytes:
    catalog = Catalog(locale=_locale(target), project=survey, fuzzy=False)
    catalog.language_team = f"{target} <translation of {survey} from {source}>"
    for entry in entries:
        catalog.add(entry.source, entry.translation, context=entry.key)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, omit_header=False)
    return buffer.getvalue()


def read_translations(path: str | Path) -> TranslationFile:
    """Read a translator's .xlsx or .po file back; a file that cannot be read raises TranslationFileError."""
    path = Path(path)
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise TranslationFileError(f"{path}: {exc.strerror or exc}") from None
    if size > MAX_BYTES:
        raise TranslationFileError(f"{path}: {size:,} bytes; a translation file has at most {MAX_BYTES:,}")
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    if path.suffix.lower() == ".po":
        return _read_po(path, path.read_bytes())
    raise TranslationFileError(f"{path}: a translation file is .xlsx or .po")


def _read_xlsx(path: Path) -> TranslationFile:
    try:
        sheets = dict(  # MAX_ROWS texts and the header row
            read_sheets(
                path, what="a translation file", max_bytes=MAX_BYTES, max_rows=MAX_ROWS + 1, empty_run=EMPTY_RUN
            )
        )
    except XLSFormError as exc:
        raise TranslationFileError(str(exc)) from None
    if SHEET not in sheets:
        raise TranslationFileError(f"{path}: no sheet {SHEET!r} (sheets: {', '.join(sheets)})")
    header: list[str] = []
    rows = []
    for number, values in sheets[SHEET]:
        cells = ["" if v is None else str(v) for v in (*values, None, None, None)[:3]]
        if number == 1:
            header = cells
        elif any(cells):
            rows.append((number, cells[0].strip(), cells[1], cells[2]))
    if len(header) < 3 or header[0] != "key":
        raise TranslationFileError(f"{path}:{SHEET}:row 1: the header is key, the source language, the target")
    failed = [
        f"{path}:{SHEET}:row {number}: the translation is the spreadsheet error {text.strip()} (a formula? "
        "type the text with an apostrophe before an '=')"
        for number, _key, _src, text in rows
        if text.strip() in _SPREADSHEET_ERRORS
    ]
    if failed:
        raise TranslationFileError("; ".join(failed))
    return _checked(path, header[1], header[2], rows)


def _read_po(path: Path, data: bytes) -> TranslationFile:
    try:
        catalog = read_po(io.BytesIO(data), abort_invalid=True)
    except (PoFileError, ValueError, UnicodeDecodeError) as exc:
        raise TranslationFileError(f"{path}: not a readable PO catalogue ({exc})") from None
    target = str(catalog.locale).replace("_", "-") if catalog.locale is not None else ""
    team = catalog.language_team or ""
    if not target and "<" in team:
        target = team.split("<", 1)[0].strip()
    source = team.rsplit(" from ", 1)[-1].rstrip(">") if " from " in team else ""
    rows = []
    for message in catalog:
        if not message.id:  # the header
            continue
        line = message.lineno or 0
        rows.append((line, str(message.context or ""), str(message.id), str(message.string or "")))
    if len(rows) > MAX_ROWS:
        raise TranslationFileError(f"{path}: more than {MAX_ROWS:,} messages")
    return _checked(path, source, target, rows)


def _checked(path: Path, source: str, target: str, rows: list[tuple[int, str, str, str]]) -> TranslationFile:
    if not LANGUAGE_TAG.match(target):
        raise TranslationFileError(f"{path}: {target!r} is not a language tag (the target language column)")
    return TranslationFile(source, target, tuple(rows))
