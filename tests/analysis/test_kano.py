"""analysis.kano: the Berger table, classification, tie order, per-attribute statistics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import kano

# Berger et al. (1993), Matzler & Hinterhuber (1998): rows functional, columns dysfunctional
# (like, must-be, neutral, live-with, dislike), as in the reference README.
BERGER = {
    "like": "Q A A A O",
    "must_be": "R I I I M",
    "neutral": "R I I I M",
    "live_with": "R I I I M",
    "dislike": "R R R R Q",
}
CELLS = [(f, d, row.split()[j]) for f, row in BERGER.items() for j, d in enumerate(kano.ANSWERS)]


@pytest.mark.parametrize(("functional", "dysfunctional", "category"), CELLS)
def test_kano_table(functional, dysfunctional, category):  # Berger et al. (1993)
    assert kano.classify(functional, dysfunctional) == category
    assert kano.KANO_TABLE[functional][dysfunctional] == category


@pytest.mark.parametrize(("functional", "dysfunctional", "category"), CELLS)
def test_numeric_codes_follow_the_answer_order(functional, dysfunctional, category):
    f, d = kano.ANSWERS.index(functional) + 1, kano.ANSWERS.index(dysfunctional) + 1
    assert kano.classify(f, d) == category
    assert kano.classify(float(f), np.int64(d)) == category


@pytest.mark.parametrize("bad", ["must-be", "Like", 0, 6, 2.5, True, None])
def test_classify_refuses_unknown_answers(bad):
    with pytest.raises(ValueError, match="Kano answer"):
        kano.classify(bad, "like")


def test_table_is_read_only():
    with pytest.raises(TypeError):
        kano.KANO_TABLE["like"]["like"] = "A"  # type: ignore[index]


def test_categories_vectorised_with_missing():
    f = pd.Series(["like", 3, None, "dislike"], name="car_f")
    d = pd.Series(["dislike", 5.0, "like", np.nan], name="car_d")
    assert kano.categories(f, d).tolist() == ["O", "M", None, None]


def test_categories_names_the_column_and_row():
    f = pd.Series([1, 2, 9], name="car_f")
    with pytest.raises(ValueError, match=r"column 'car_f' \(row 2\): unknown Kano answer 9"):
        kano.categories(f, pd.Series([1, 1, 1], name="car_d"))


def _frame(pairs: list[tuple[str, str]], si: list[float] | None = None) -> pd.DataFrame:
    df = pd.DataFrame(pairs, columns=["f", "d"])
    if si is not None:
        df["si"] = si
    return df


# Counts per category from one cell each: O like/dislike, A like/neutral, M neutral/dislike,
# I neutral/neutral, R dislike/like, Q like/like.
CELL = {
    "O": ("like", "dislike"),
    "A": ("like", "neutral"),
    "M": ("neutral", "dislike"),
    "I": ("neutral", "neutral"),
    "R": ("dislike", "like"),
    "Q": ("like", "like"),
}


def _counts(**counts: int) -> pd.DataFrame:
    return _frame([CELL[c] for c, n in counts.items() for _ in range(n)])


@pytest.mark.parametrize(
    ("counts", "dominant", "second", "tie"),
    [
        ({"O": 5, "A": 5, "I": 2}, "O", "A", True),  # reference kano_tie_dev attr1: O = A -> O
        ({"M": 4, "I": 4, "A": 1, "O": 1, "R": 2}, "M", "I", True),  # kano_tie_dev attr2: M = I -> M
        ({"A": 3, "O": 3, "M": 3, "I": 3, "R": 3, "Q": 3}, "M", "O", True),  # M > O > A > I > R > Q
        ({"I": 3, "R": 3, "Q": 3}, "I", "R", True),
        ({"A": 6, "I": 2}, "A", "I", False),
        ({"R": 1}, "R", "M", False),  # the second is the next in tie order (count 0)
    ],
)
def test_tie_order(counts, dominant, second, tie):
    row = kano.evaluate_pairs(_counts(**counts), {"x": ("f", "d")}).attributes.loc["x"]
    assert (row["dominant"], row["second"], bool(row["tie_at_top"])) == (dominant, second, tie)


def test_attribute_statistics_by_hand():
    df = _counts(A=2, O=3, M=4, I=1, R=1, Q=1)
    df["si"] = [9, 8, 7, 6, 5, 4, 3, 2, 1, 9, 8, 7]
    row = kano.evaluate_pairs(df, {"x": ("f", "d", "si")}).attributes.loc["x"]
    n = 12
    assert row["n_valid"] == n
    assert row["pct_M"] == pytest.approx(100 * 4 / 12)
    # Timko's coefficients (Berger et al. 1993): (A + O)/(A + O + M + I), -(O + M)/(A + O + M + I).
    assert row["better"] == pytest.approx(5 / 10)
    assert row["worse"] == pytest.approx(-7 / 10)
    # Fong (1996) with a = 4 (M), b = 3 (O): 1.65 * sqrt((a + b)(2n - a - b)/(2n)).
    assert row["fong_critical"] == pytest.approx(1.65 * math.sqrt(7 * 17 / 24))
    assert not row["fong_significant"]
    assert row["category_strength_pct"] == pytest.approx(100 / 12)  # Lee & Newcomb (1997)
    assert row["total_strength_pct"] == pytest.approx(100 * 9 / 12)
    # DuMouchel scores (Berger et al. 1993): functional like 4, neutral 0, dislike -2.
    functional = [4] * 2 + [4] * 3 + [0] * 4 + [0] + [-2] + [4]
    dysfunctional = [0] * 2 + [4] * 3 + [4] * 4 + [0] + [-2] + [-2]
    assert row["dumouchel_functional_mean"] == pytest.approx(np.mean(functional))
    assert row["dumouchel_dysfunctional_mean"] == pytest.approx(np.mean(dysfunctional))
    assert row["self_stated_importance_mean"] == pytest.approx(np.mean(df["si"]))


def test_only_pairs_with_both_answers_count():
    df = _frame([("like", "dislike"), ("like", None), (None, "like"), ("neutral", "dislike")], si=[9, 1, 1, 5])
    row = kano.evaluate_pairs(df, {"x": ("f", "d", "si")}).attributes.loc["x"]
    assert row["n_valid"] == 2
    assert row["self_stated_importance_mean"] == pytest.approx(7.0)


def test_all_reverse_or_questionable_leaves_better_undefined():
    row = kano.evaluate_pairs(_counts(R=2, Q=1), {"x": ("f", "d")}).attributes.loc["x"]
    assert np.isnan(row["better"]) and np.isnan(row["worse"])


def test_custom_table_and_result_methods():
    custom = {f: dict(row) for f, row in kano.KANO_TABLE.items()}
    custom["like"] = dict(custom["like"]) | {"like": "A"}  # a published variant reads like/like as A
    result = kano.evaluate_pairs(_counts(Q=3, O=1), {"x": ("f", "d")}, table=custom)
    assert result.attributes.loc["x", "A"] == 3
    assert "dominant" in result.summary()
    assert result.to_frame()["attribute"].tolist() == ["x"]
    assert result.categories["x"].tolist() == ["A", "A", "A", "O"]


@pytest.mark.parametrize(
    ("df", "attributes", "kwargs", "message"),
    [
        (_counts(A=2), {"x": ("f", "dd")}, {}, "column 'dd' not found"),
        (_frame([("like", None), (None, "like")]), {"x": ("f", "d")}, {}, "attribute 'x': no respondent answered both"),
        (_frame([("like", "maybe")]), {"x": ("f", "d")}, {}, r"column 'd' \(row 0\): unknown Kano answer 'maybe'"),
        (_frame([("like", "like")], si=["high"]), {"x": ("f", "d", "si")}, {}, "column 'si' holds a non-numeric value"),
        (_counts(A=2), {"x": ("f", "d")}, {"tie_order": "MOAI"}, "tie_order must list each"),
        (_counts(A=2), {}, {}, "attributes is empty"),
        (_counts(A=2), {"x": ("f", "d")}, {"table": {"like": {}}}, "Kano table"),
    ],
)
def test_bad_input(df, attributes, kwargs, message):
    with pytest.raises(ValueError, match=message):
        kano.evaluate_pairs(df, attributes, **kwargs)
