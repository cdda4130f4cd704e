"""surveykit/cells.py: one formula-escaping rule in its scalar, Arrow and inverse forms."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from surveykit.cells import escape_formula, escape_formulas, unescape_formulas

CASES = [  # OWASP "CSV Injection": = + - @ start a formula, and so do tab and CR before one in some programs
    ("=1+1", "'=1+1"),
    ("+49 30 1234", "'+49 30 1234"),
    ("-5", "'-5"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("'=1", "''=1"),
    ("''+1", "'''+1"),
    ("a=b", "a=b"),
    ("'plain", "'plain"),
    ("", ""),
    ("很好 =)", "很好 =)"),
    (" =1", " =1"),
]


@pytest.mark.parametrize(("text", "escaped"), CASES)
def test_escape_formula(text, escaped):
    assert escape_formula(text) == escaped


def test_the_arrow_column_escapes_as_the_scalar_does_and_keeps_nulls():
    texts = [text for text, _ in CASES]
    got = escape_formulas(pa.array([*texts, None], type=pa.string())).to_pylist()
    assert got == [escaped for _, escaped in CASES] + [None]
    safe = pa.array(["a", None, "b"], type=pa.large_string())
    assert escape_formulas(safe) is safe  # nothing risky: the same array back


def test_unescape_undoes_escape_exactly():
    texts = pd.Series([text for text, _ in CASES], dtype="string")
    escaped = texts.map(escape_formula)
    assert unescape_formulas(escaped).tolist() == texts.tolist()
