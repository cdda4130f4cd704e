"""analysis.servqual: gap scores, paired tests, weighted scores, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import servqual


def _reference_dir() -> Path:
    default = Path(__file__).resolve().parents[1] / "reference"  # the cases shipped in tests/reference
    return Path(os.environ.get("SURVEYKIT_REFERENCE_DIR", default))


def _servqual_cases() -> list[Path]:
    folder = _reference_dir() / "expected"
    return [p for p in sorted(folder.glob("*.json")) if json.loads(p.read_text())["kind"] == "servqual"]


@pytest.mark.parametrize("path", _servqual_cases(), ids=lambda p: p.stem)
def test_item_block_matches_peer(path):
    # The harness treats the case's "items" key as input, so the per-item block is checked here:
    # expected values are the peer's (R t.test / wilcox.test(exact = FALSE, correct = TRUE)).
    case = json.loads(path.read_text())
    df = pd.read_csv(_reference_dir() / case["data_file"])
    dims = case["dimensions_definition"]
    pairs = {i: (f"E{i[1:]}", f"P{i[1:]}") for m in dims.values() for i in m}  # README: Q<j> = E<j>/P<j>
    result = servqual.gap_scores(df, pairs, dims)
    tol = case["tolerance_abs"]
    for item, expected in case["items"].items():
        got = result.items.loc[item]
        assert got["dimension"] == expected["dimension"]
        for key in ("n_E", "mean_E", "sd_E", "n_P", "mean_P", "sd_P", "mean_E_paired", "mean_P_paired"):
            assert got[key] == pytest.approx(expected[key], abs=tol), (item, key)
        gap = expected["gap"]
        for key in ("n", "mean", "sd", "se", "t", "df", "p_two_sided", "cohen_dz", "wilcoxon_V", "wilcoxon_p"):
            assert got[key] == pytest.approx(gap[key], abs=tol), (item, key)
        assert [got["ci_low"], got["ci_high"]] == pytest.approx(gap["ci_95"], abs=tol)


def test_gap_test_matches_scipy():
    rng = np.random.default_rng(5)
    g = rng.integers(-3, 4, 60).astype(float)  # many ties and zeros
    got = servqual.gap_test(g)
    t = stats.ttest_1samp(g, 0.0)
    assert got["t"] == pytest.approx(t.statistic, abs=1e-12)
    assert got["p_two_sided"] == pytest.approx(t.pvalue, abs=1e-12)
    lo, hi = t.confidence_interval(0.95)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((lo, hi), abs=1e-12)
    # STATISTICS.md section 2: R's wilcox.test(exact = FALSE, correct = TRUE) p equals
    # scipy.stats.wilcoxon(zero_method = "wilcox", correction = True, method = "approx").
    w = stats.wilcoxon(g, zero_method="wilcox", correction=True, method="approx")
    assert got["wilcoxon_p"] == pytest.approx(w.pvalue, abs=1e-12)
    nonzero = g[g != 0]
    ranks = stats.rankdata(np.abs(nonzero))
    assert got["wilcoxon_V"] == pytest.approx(ranks[nonzero > 0].sum())  # V = sum of positive ranks
    assert got["cohen_dz"] == pytest.approx(g.mean() / g.std(ddof=1))


def test_rank_ties_are_judged_after_rounding():
    # 0.1 + 0.2 and 0.3 differ in the last bit; rounded to 10 decimals they tie, as in R after round().
    g = np.array([0.1 + 0.2, 0.3, -0.5, 1.0, 2.0])
    assert servqual.gap_test(g)["wilcoxon_V"] == pytest.approx(1.5 + 1.5 + 4 + 5)


def test_constant_gap_has_undefined_t_not_a_warning():
    got = servqual.gap_test(np.array([1.0, 1.0, 1.0]))
    assert got["mean"] == 1.0 and got["sd"] == 0.0
    assert np.isnan(got["t"]) and np.isnan(got["p_two_sided"]) and np.isnan(got["cohen_dz"])


def _small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "q1_e": [6, 7, 5, 6, np.nan],
            "q1_p": [5, 7, 6, 4, 5],
            "q2_e": [7, 6, 6, 5, 6],
            "q2_p": [5, 5, 6, 6, 3],
            "q3_e": [6, 6, 7, 7, 5],
            "q3_p": [6, 4, 7, 5, 5],
            "w_a": [60, 50, np.nan, 40, 30],
            "w_b": [40, 50, np.nan, 60, 70],
            "seg": ["x", "y", "x", "y", "x"],
        }
    )


PAIRS = {"q1": ("q1_e", "q1_p"), "q2": ("q2_e", "q2_p"), "q3": ("q3_e", "q3_p")}
DIMS = {"a": ["q1", "q2"], "b": ["q3"]}


def test_scores_by_hand():
    result = servqual.gap_scores(_small(), PAIRS, DIMS, weights={"a": "w_a", "b": "w_b"})
    s = result.scores
    # Respondent 5 has no q1 pair: dimension a is the mean of the available gap (q2: 3 - 6 = -3).
    assert s.loc[4, "a"] == -3.0
    assert s["a"].tolist() == [-1.5, -0.5, 0.5, -0.5, -3.0]
    assert s["b"].tolist() == [0.0, -2.0, 0.0, -2.0, 0.0]
    assert s["unweighted_servqual"].tolist() == pytest.approx([-0.75, -1.25, 0.25, -1.25, -1.5])
    assert s.loc[0, "weighted_servqual"] == pytest.approx(0.6 * -1.5 + 0.4 * 0.0)
    assert np.isnan(s.loc[2, "weighted_servqual"])  # blank allocation: excluded
    assert s.loc[0, "servperf"] == pytest.approx((5 + 5 + 6) / 3)  # Cronin & Taylor (1992): mean P
    assert result.mean_weights == pytest.approx({"a": 45.0, "b": 55.0})
    dim_means = result.dimensions["mean"]
    assert result.aggregate_weighted_servqual == pytest.approx(0.45 * dim_means["a"] + 0.55 * dim_means["b"])
    assert result.overall.loc["weighted_servqual", "n"] == 4
    assert result.items.loc["q1", "n"] == 4 and result.items.loc["q1", "n_P"] == 5
    assert result.items.loc["q1", "mean_P_paired"] == pytest.approx((5 + 7 + 6 + 4) / 4)


def test_holm_across_items_and_segments():
    result = servqual.gap_scores(_small(), PAIRS, DIMS, segment="seg")
    p = result.items["p_two_sided"].to_numpy()
    order = np.argsort(p)
    expected = np.minimum(1, np.maximum.accumulate(p[order] * np.array([3, 2, 1])))  # Holm (1979)
    assert result.items["p_holm"].to_numpy()[order] == pytest.approx(expected)
    assert result.segments.outcome == "unweighted_servqual"
    assert result.segments.groups["n"].tolist() == [3, 2]
    assert "SERVQUAL" in result.summary()
    assert list(result.to_frame()["item"]) == ["q1", "q2", "q3"]


def test_one_item_dimension_has_no_alpha():
    result = servqual.gap_scores(_small(), PAIRS, DIMS)
    assert np.isnan(result.dimensions.loc["b", "alpha_gap"])  # alpha needs two items
    # P of a: var(q1_p) = 1.3, var(q2_p) = 1.5, var(sum) = 2.8, so the items do not covary and
    # alpha = 2 (1 - (1.3 + 1.5) / 2.8) = 0 (Cronbach 1951)
    assert result.dimensions.loc["a", "alpha_P"] == pytest.approx(0.0, abs=1e-12)


def test_alpha_matches_the_formula_with_complete_data():
    rng = np.random.default_rng(2)
    latent = rng.normal(size=80)
    df = pd.DataFrame(
        {f"{r}{j}": np.clip(np.round(4 + latent + rng.normal(size=80)), 1, 7) for r in "ep" for j in range(1, 5)}
    )
    pairs = {f"i{j}": (f"e{j}", f"p{j}") for j in range(1, 5)}
    result = servqual.gap_scores(df, pairs, {"d": list(pairs)})
    c = df[[f"p{j}" for j in range(1, 5)]].cov().to_numpy()
    raw = 4 / 3 * (1 - np.trace(c) / c.sum())  # Cronbach (1951)
    r = df[[f"p{j}" for j in range(1, 5)]].corr().to_numpy()
    assert result.dimensions.loc["d", "alpha_P"] == pytest.approx(raw, abs=1e-12)
    assert result.dimensions.loc["d", "std_alpha_P"] == pytest.approx(4 / 3 * (1 - 4 / r.sum()), abs=1e-12)


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda d: d.drop(columns="q2_p"), {}, "column 'q2_p' not found"),
        (lambda d: d.assign(q1_e=["6", "7", "n/a", "6", None]), {}, "column 'q1_e' holds a non-numeric value 'n/a'"),
        (lambda d: d.assign(q3_p=np.nan), {}, "column 'q3_p' has no values"),
        (lambda d: d.assign(q2_e=[7, np.nan, np.nan, np.nan, np.nan]), {}, "item 'q2': 1 complete"),
        (lambda d: d, {"weights": {"a": "w_a"}}, "weights must name exactly the dimensions"),
        (lambda d: d, {"weights": {"a": "w_a", "b": "w_x"}}, "column 'w_x' not found"),
        (lambda d: d, {"segment": "sge"}, "column 'sge' not found in the data \\(did you mean 'seg'\\?\\)"),
    ],
)
def test_bad_input_names_the_column(change, kwargs, message):
    with pytest.raises(ValueError, match=message):
        servqual.gap_scores(change(_small()), PAIRS, DIMS, **kwargs)


@pytest.mark.parametrize(
    ("dims", "message"),
    [
        ({"a": ["q1", "q2"], "b": ["q2", "q3"]}, "item 'q2' is in two dimensions"),
        ({"a": ["q1", "q9"]}, "item 'q9' has no"),
        ({"a": []}, "dimension 'a' has no items"),
        ({}, "dimensions is empty"),
    ],
)
def test_bad_structure(dims, message):
    with pytest.raises(ValueError, match=message):
        servqual.gap_scores(_small(), PAIRS, dims)
