"""Spreadsheet formula escaping for every CSV and XLSX cell surveykit writes.

A spreadsheet takes a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some programs, a tab or CR before one) for a formula, so free text a
respondent typed could run as one when an analyst opens the export (OWASP, "CSV
Injection").  Such text gets a leading ``'``, which spreadsheets show as
literal text.  Text that already starts with ``'`` before one of those
characters gets one more, so that removing exactly one ``'``
(:func:`unescape_formulas`) gives back the original.

One rule, three shapes: :func:`escape_formula` for one cell (the links file,
the case lists, the codebook), :func:`escape_formulas` for an Arrow column (the
data exports, the XLSX writer), :func:`unescape_formulas` for a pandas column
read back from such a CSV.  Only CSV and XLSX are escaped; every other format
keeps text verbatim.
"""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["FORMULA_START", "escape_formula", "escape_formulas", "unescape_formulas"]

# Text a spreadsheet may take for a formula; a leading ' is escaped as well, so
# that removing one ' undoes the escaping exactly.  Both Python's re and RE2
# (Arrow's kernels) read this pattern the same way.
FORMULA_START = r"^'*[=+\-@\t\r]"
_RISKY = re.compile(FORMULA_START)
_ESCAPED = re.compile("^'(?=" + FORMULA_START[1:] + ")")


def escape_formula(text: str) -> str:
    """``text`` with a ``'`` in front when a spreadsheet could take it for a formula.

    >>> escape_formula("=1+1"), escape_formula("'=1+1"), escape_formula("a=b")
    ("'=1+1", "''=1+1", 'a=b')
    """
    return "'" + text if _RISKY.match(text) else text


def escape_formulas(array: pa.Array) -> pa.Array:
    """:func:`escape_formula` over an Arrow string column (nulls stay null); unchanged when nothing is risky."""
    risky = pc.fill_null(pc.match_substring_regex(array, FORMULA_START), False)
    if not pc.any(risky).as_py():
        return array
    quote, empty = pa.scalar("'", array.type), pa.scalar("", array.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, array, empty), array)


def unescape_formulas(series: pd.Series) -> pd.Series:
    """The inverse of :func:`escape_formulas` on a text column read back from a CSV export.

    >>> unescape_formulas(pd.Series(["'=1+1", "''=1+1", "'plain"])).tolist()
    ['=1+1', "'=1+1", "'plain"]
    """
    return series.str.replace(_ESCAPED, "", regex=True)
