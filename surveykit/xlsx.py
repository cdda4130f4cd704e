"""A column-wise XLSX writer for large response tables.

Why not openpyxl cell by cell: its write-only mode measured about 350 s for a
million rows of 46 columns (7 µs a cell, without lxml), which makes an admin
download of 100,000 responses take half a minute.  Here the cell XML of each
column is built with Arrow string kernels for a chunk of rows at a time, the
rows are joined the same way, and the bytes go straight into the zip stream,
so the cost per cell is a few string kernels rather than Python objects.

What is written is the smallest SpreadsheetML package Excel, LibreOffice,
openpyxl and pandas open: one worksheet per sheet with inline strings, a
frozen bold header row, real dates (``yyyy-mm-dd``) and date-times
(``yyyy-mm-dd hh:mm:ss``) as serial numbers with a number format, and empty
cells left out.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from surveykit.cells import escape_formulas

XLSX_CELL_CHARS = 32767
XLSX_MAX_ROWS = 1_048_576
_XML_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f"{_XML_HEAD}<styleSheet {_NS}>"
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
_DATE_STYLE, _DATETIME_STYLE, _HEADER_STYLE = 1, 2, 3
_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "us")
_DAY = np.timedelta64(86_400_000_000, "us")
_CHUNK_ROWS = 20_000

Sheet = tuple[str, pd.DataFrame, set[str], bool]  # name, frame, ISO-date columns, escape formulas


def write_xlsx(target: str | IO[bytes] | Any, sheets: list[Sheet], notes: list[str]) -> None:
    """Write frames as the sheets of one workbook; changes made to the data are appended to ``notes``.

    Each sheet is ``(name, frame, date_columns, escape)``: ``date_columns``
    hold ISO dates to write as Excel dates (text that is not a date stays
    text); ``escape`` applies :func:`escape_formulas` to text cells.  Numbers
    that are not finite are left empty, control characters XML cannot hold
    are removed, and text past Excel's 32,767 characters a cell is cut; each
    such change is reported in ``notes`` with the column names.
    """
    for name, frame, _, _ in sheets:
        if len(frame) + 1 > XLSX_MAX_ROWS:
            raise ValueError(f"XLSX holds at most {XLSX_MAX_ROWS - 1:,} data rows; sheet {name!r} has {len(frame):,}")
    count = len(sheets)
    files = {
        "[Content_Types].xml": (
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
                for i in range(1, count + 1)
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            f'{_XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'{_XML_HEAD}<workbook {_NS} xmlns:r="{_REL}"><bookViews><workbookView activeTab="0"/></bookViews><sheets>'
            + "".join(
                f'<sheet name="{_xml(name)}" sheetId="{i}" r:id="rId{i}"/>'
                for i, (name, _, _, _) in enumerate(sheets, 1)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, count + 1)
            )
            + f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": _STYLES,
    }
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        for i, (name, frame, dates, escape) in enumerate(sheets, start=1):
            sheet = _Sheet(frame, dates, escape)
            parts = sheet.parts()
            head, first = next(parts), next(parts)
            # an entry past 2 GiB needs ZIP64 headers, which must be chosen before writing it
            rows_in_first = max(1, min(_CHUNK_ROWS, len(frame)))
            big = len(first) * (len(frame) / rows_in_first) * 1.2 > 2**31 - 2**27
            with archive.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=big) as fh:
                fh.write(head)
                fh.write(first)
                for part in parts:
                    fh.write(part)
            sheet.report(name, notes)


def _xml(text: str) -> str:
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def _bytes(array: pa.Array) -> memoryview:
    """The UTF-8 bytes of a string array, concatenated (zero copy)."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64 if pa.types.is_large_string(array.type) else np.int32)
    data = array.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[offsets[array.offset] : offsets[array.offset + len(array)]]


class _Sheet:
    """One worksheet's XML, in row chunks; remembers which columns it had to change."""

    def __init__(self, frame: pd.DataFrame, dates: set[str], escape: bool) -> None:
        self.frame, self.dates, self.escape = frame, dates, escape
        self.letters = [_letters(j) for j in range(frame.shape[1])]
        self.cut: list[str] = []
        self.cleaned: list[str] = []

    def parts(self) -> Iterator[bytes | memoryview]:
        header = "".join(
            f'<c r="{letter}1" t="inlineStr" s="{_HEADER_STYLE}"><is><t>{_xml(str(name))}</t></is></c>'
            for letter, name in zip(self.letters, self.frame.columns, strict=True)
        )
        yield (
            f'{_XML_HEAD}<worksheet {_NS}><sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><sheetData><row r="1">{header}</row>'
        ).encode()
        n = len(self.frame)
        for start in range(0, n, _CHUNK_ROWS):
            stop = min(n, start + _CHUNK_ROWS)
            rows = pc.cast(pa.array(np.arange(start + 2, stop + 2, dtype=np.int64)), pa.string())
            part = self.frame.iloc[start:stop]
            cells = [
                self._cells(letter, column, rows, part[column])
                for letter, column in zip(self.letters, self.frame.columns, strict=True)
            ]
            yield _bytes(
                pc.binary_join_element_wise('<row r="', rows, '">', *cells, "</row>", "", null_handling="replace")
            )  # an empty cell is left out
        yield b"</sheetData></worksheet>"

    def _cells(self, letter: str, column: str, rows: pa.Array, chunk: pd.Series) -> pa.Array:
        def cells(attributes: str, value: pa.Array, close: str = "</v></c>") -> pa.Array:
            return pc.binary_join_element_wise('<c r="', letter, rows, attributes, value, close, "")

        text_open, text_close = '" t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>"
        if pd.api.types.is_datetime64_any_dtype(chunk):
            days = (chunk.to_numpy("datetime64[us]") - _EXCEL_EPOCH) / _DAY
            out = cells(f'" s="{_DATETIME_STYLE}"><v>', pc.cast(pa.array(days, from_pandas=True), pa.string()))
        elif column in self.dates:
            parsed = pd.to_datetime(chunk, format="%Y-%m-%d", errors="coerce")
            days = np.floor((parsed.to_numpy("datetime64[us]") - _EXCEL_EPOCH) / _DAY)
            dated = cells(f'" s="{_DATE_STYLE}"><v>', pc.cast(pa.array(days, from_pandas=True), pa.string()))
            out = pc.coalesce(dated, cells(text_open, self._text(column, chunk), text_close))
        elif pd.api.types.is_numeric_dtype(chunk):
            values = chunk.to_numpy(dtype="float64", na_value=np.nan)
            values = np.where(np.isfinite(values), values, np.nan)
            out = cells('"><v>', pc.cast(pa.array(values, from_pandas=True), pa.string()))
        else:
            out = cells(text_open, self._text(column, chunk), text_close)
        return out

    def _text(self, column: str, chunk: pd.Series) -> pa.Array:
        array = pa.array(chunk.astype(object).where(chunk.notna(), None), type=pa.string())
        if self.escape:
            array = escape_formulas(array)
        if pc.any(pc.fill_null(pc.match_substring_regex(array, _XML_ILLEGAL), False)).as_py():
            array = pc.replace_substring_regex(array, _XML_ILLEGAL, "")
            if column not in self.cleaned:
                self.cleaned.append(column)
        if pc.any(pc.fill_null(pc.greater(pc.utf8_length(array), XLSX_CELL_CHARS), False)).as_py():
            array = pc.utf8_slice_codeunits(array, 0, XLSX_CELL_CHARS)
            if column not in self.cut:
                self.cut.append(column)
        # a literal _xHHHH_ would be read as an escaped character: escape its underscore (ECMA-376 22.9.2.19)
        array = pc.replace_substring_regex(array, r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1")
        for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
            array = pc.replace_substring(array, old, new)
        return array

    def report(self, sheet: str, notes: list[str]) -> None:
        if self.cleaned:
            notes.append(
                f"xlsx: control characters that XML cannot hold were removed from {sheet} column(s): "
                f"{', '.join(self.cleaned)}"
            )
        if self.cut:
            notes.append(
                f"xlsx: text longer than Excel's {XLSX_CELL_CHARS:,} characters a cell was cut in {sheet} "
                f"column(s): {', '.join(self.cut)}"
            )
