"""The condition language: parsing, three-valued evaluation, and the vectorised form."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveykit.expressions import ExpressionError, parse


@pytest.mark.parametrize(
    ("source", "answers", "expected"),
    [
        ("a <= 3", {"a": 3}, True),
        ("a <= 3", {"a": 4}, False),
        ("a <= 3", {}, False),  # unanswered: unknown, so not shown
        ("not (a > 3)", {}, False),  # still unknown under not
        ("a > 3 or b == 'x'", {"b": "x"}, True),  # true or unknown is true
        ("a > 3 and b == 'x'", {"a": 1}, False),  # false and unknown is false
        ("c == 'app'", {"c": "app"}, True),
        ("c != 'app'", {"c": "phone"}, True),
        ("'wifi' in m", {"m_wifi": 1, "m_tea": 0}, True),
        ("'tea' in m", {"m_wifi": 1, "m_tea": 0}, False),
        ("'tea' not in m", {"m_wifi": 1, "m_tea": 0}, True),
        ("'tea' in m", {"m": ["tea"]}, True),  # a list of ticked codes works too
        ("a == 2.5", {"a": 2.5}, True),
        ("a == -1", {"a": -1}, True),
        ("a >= 9 and (b == 'x' or not c == 'y')", {"a": 9, "c": "z"}, True),
        ("a < 3", {"a": float("nan")}, False),
    ],
)
def test_evaluate(source, answers, expected):
    assert parse(source).evaluate(answers) is expected


@pytest.mark.parametrize(
    ("source", "offset"),
    [
        ("a = 1", 2),
        ("a <", 3),
        ("(a > 1", 6),
        ("a > 1 b", 6),
        ("a ! 1", 2),
        ("'x' in 3", 7),
        ("3 in m", 2),
        ("True", 0),
        ("", 0),
    ],
)
def test_parse_errors_give_the_offset(source, offset):
    with pytest.raises(ExpressionError) as info:
        parse(source)
    assert info.value.offset == offset


def test_names_are_listed_in_order():
    assert [n.name for n in parse("b > 1 and ('x' in m or a == 'q')").names()] == ["b", "m", "a"]


def test_no_eval_is_ever_used():
    # a Python expression is not part of the language; it fails to parse rather than run
    for hostile in ["__import__('os').system('true')", "a.__class__", "[x for x in y]", "a; b", "lambda: 1"]:
        with pytest.raises(ExpressionError):
            parse(hostile)


def test_deep_nesting_is_refused_cleanly():
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("(" * 200 + "a > 1" + ")" * 200)


_SOURCES = st.sampled_from(
    [
        "a <= 3",
        "not (a > 3)",
        "a > 3 or c == 'x'",
        "a > 3 and c != 'x'",
        "'k' in m",
        "'k' not in m",
        "not ('k' in m) or a == 2",
        "(a >= 2 and b < 4) or not c == 'y'",
        "a",
        "b > a",
    ]
)
_VALUES = st.one_of(st.none(), st.integers(0, 5).map(float))
_CODES = st.one_of(st.none(), st.sampled_from(["x", "y", "z"]))


@settings(max_examples=200, deadline=None)
@given(
    _SOURCES,
    st.lists(
        st.tuples(_VALUES, _VALUES, _CODES, st.one_of(st.none(), st.sampled_from([0.0, 1.0]))), min_size=1, max_size=20
    ),
)
def test_vectorised_evaluation_agrees_with_row_by_row(source, rows):
    frame = pd.DataFrame(rows, columns=["a", "b", "c", "m_k"])
    frame["c"] = frame["c"].astype(object)
    condition = parse(source)
    vector = condition.evaluate_frame(frame)
    for i, (a, b, c, m) in enumerate(rows):
        answers = {"a": a, "b": b, "c": c, "m_k": m}
        assert bool(vector[i]) is condition.evaluate(answers), (source, answers)


def test_frame_evaluation_on_missing_column_is_unknown():
    frame = pd.DataFrame({"a": [1.0, np.nan]})
    assert parse("z > 1").evaluate_frame(frame).tolist() == [False, False]
    assert parse("not z > 1").evaluate_frame(frame).tolist() == [False, False]
    assert math.isnan(frame["a"][1])
