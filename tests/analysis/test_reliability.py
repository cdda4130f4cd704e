"""Unit tests of analysis.reliability: bad input, keying, missing-data rules, bootstrap, properties.

The peer's numbers (psych, lavaan, semTools) are checked case by case in test_reference.py;
the expectations here follow from the definitions (STATISTICS.md section 1) or from
algebra, stated next to each test.
"""

from __future__ import annotations

import dataclasses
import doctest
import math

import numpy as np
import pandas as pd
import pytest

from analysis import cfa, covariance, factor, reliability


def likert(n: int = 300, k: int = 5, seed: int = 1, missing: float = 0.0, points: int = 5) -> pd.DataFrame:
    """One-factor items cut into 1..points, loadings .5-.8, optional MCAR cells."""
    rng = np.random.default_rng(seed)
    loadings = np.linspace(0.5, 0.8, k)
    latent = rng.standard_normal(n)[:, None] * loadings + rng.standard_normal((n, k)) * np.sqrt(1 - loadings**2)
    x = np.clip(np.round(latent * 1.2 + (points + 1) / 2), 1, points)
    if missing:
        x[rng.random((n, k)) < missing] = np.nan
    return pd.DataFrame(x, columns=[f"q{j + 1}" for j in range(k)])


def manual_alpha(c: np.ndarray) -> float:
    k = c.shape[0]
    return k / (k - 1) * (1 - np.trace(c) / c.sum())


# --------------------------------------------------------------------------- bad input


def _frame(**columns: object) -> pd.DataFrame:
    return pd.DataFrame(columns)


GOOD = {"q1": [1, 2, 3, 4, 5, 2], "q2": [2, 2, 3, 5, 4, 1], "q3": [1, 3, 3, 4, 5, 2]}


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        (_frame(**GOOD, q4=["a", "b", "c", "d", "e", "f"]), {}, "item 'q4' is not numeric"),
        (_frame(**GOOD, q4=[3, 3, 3, 3, 3, 3]), {}, "item 'q4' is constant"),
        (_frame(q1=GOOD["q1"]), {}, "at least two items"),
        (_frame(**GOOD, q4=[np.nan] * 6), {}, "item 'q4' has no answers"),
        (_frame(q1=[1, 2], q2=[2, 1]), {}, "at least 3 rows"),
        (_frame(**GOOD), {"reverse": ["q9"]}, "reverse-keyed item 'q9' is not one of the items"),
        (_frame(**GOOD, q4=[1, 2, np.inf, 4, 5, 1]), {}, "item 'q4' contains an infinite value"),
        (
            _frame(**GOOD, q4=[1, 2, 3, np.nan, np.nan, np.nan], q5=[np.nan, np.nan, np.nan, 4, 5, 1]),
            {},
            "items 'q4' and 'q5' are answered together by only 0 rows",
        ),
        (
            _frame(**GOOD, q4=[1, np.nan, 3, np.nan, np.nan, np.nan]),
            {"missing": "listwise"},
            "only 2 rows answer every item",
        ),
        (_frame(**GOOD, q4=[1e200, 2, 3, 4, 5, 1]), {}, "item 'q4' has values too large to square"),
        (
            _frame(**GOOD, q4=[1, np.nan, 1, np.nan, 1, 1]),
            {"missing": "listwise"},
            "item 'q4' is constant among the rows that answer every item",
        ),
        (
            _frame(**GOOD, q4=[1, 2, 3, 4, 7, 1]),
            {"reverse": ["q4"], "scale": (1, 5)},
            "reverse-keyed item 'q4' has values outside the scale 1..5",
        ),
        (_frame(**GOOD), {"scale": (5, 1)}, "scale must be (min, max)"),
        (_frame(**GOOD), {"missing": "everything"}, "missing must be 'pairwise' or 'listwise'"),
        (_frame(**GOOD), {"ci": 95}, "ci must be a confidence level"),
        (_frame(q1=[1, 2, 3, 4], q2=[4, 3, 2, 1]), {"reverse": []}, "cancel out"),
    ],
)
def test_alpha_refuses_bad_input(data, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        reliability.cronbach_alpha(data, **kwargs)


def test_duplicate_columns_are_refused():
    data = pd.DataFrame([[1, 2, 3], [2, 3, 4], [3, 5, 4]], columns=["q1", "q1", "q2"])
    with pytest.raises(ValueError, match="repeated: 'q1'"):
        reliability.cronbach_alpha(data)


def test_not_a_frame_is_a_type_error():
    with pytest.raises(TypeError, match="pandas DataFrame"):
        reliability.cronbach_alpha(np.ones((5, 3)))


@pytest.mark.parametrize(
    "function",
    [
        reliability.cronbach_alpha,
        reliability.guttman,
        reliability.split_half,
        reliability.omega,
        reliability.spss_item_total,
        reliability.spss_split_half,
    ],
)
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["x"] * 300, "item 'bad' is not numeric"),
        ([2.0] * 300, "item 'bad' is constant"),
        ([np.nan] * 300, "item 'bad' has no answers"),
    ],
)
def test_every_function_names_the_bad_column(function, extra, message):
    data = likert(k=4).assign(bad=extra)
    with pytest.raises(ValueError, match=message):
        function(data)


def test_omega_refuses_unidentified_factor_count():
    with pytest.raises(ValueError, match="nfactors=3 cannot be identified from 5 items"):
        reliability.omega(likert(k=5), nfactors=3)
    with pytest.raises(ValueError, match="cannot be identified from 2 items"):
        reliability.omega(likert(k=2))


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"f": ["q1", "q2", "q9"]}, "item 'q9' of factor 'f' is not a column"),
        ({"f": ["q1"], "g": ["q2", "q3", "q4"]}, "factor 'f' needs at least two items"),
        ({"f": ["q1", "q2"]}, "not identified"),
        ({}, "model must map each factor"),
    ],
)
def test_composite_reliability_refuses_bad_models(model, message):
    with pytest.raises(ValueError, match=message):
        reliability.composite_reliability(likert(k=5), model)


def test_no_runtime_warning_on_degenerate_but_valid_data():
    # pytest turns warnings into errors: unrelated items (r_cor undefined) must stay quiet.
    rng = np.random.default_rng(3)
    data = pd.DataFrame(rng.integers(1, 6, (40, 6)).astype(float), columns=list("abcdef"))
    res = reliability.cronbach_alpha(data)
    assert res.items.shape[0] == 6


# --------------------------------------------------------------------------- keying


def test_reverse_keying_recodes_with_the_scale():
    data = likert(seed=2)
    data["q3"] = 6 - data["q3"]  # make q3 negatively keyed
    keyed = data.assign(q3=6 - data["q3"])
    got = reliability.cronbach_alpha(data, reverse=["q3"], scale=(1, 5))
    expected = reliability.cronbach_alpha(keyed)
    assert got.alpha == pytest.approx(expected.alpha, abs=1e-12)
    assert got.scale_mean == pytest.approx(expected.scale_mean, abs=1e-12)
    assert got.items.loc["q3", "mean"] == pytest.approx(keyed["q3"].mean(), abs=1e-12)
    assert got.items["reversed"].tolist() == [False, False, True, False, False]
    assert got.reversed == ("q3",)


def test_reverse_keying_without_scale_uses_the_block_range_like_psych():
    data = likert(seed=4).clip(upper=4)  # nobody used 5: psych reflects with 1 + 4, not 1 + 5
    got = reliability.cronbach_alpha(data, reverse="q2")
    assert got.items.loc["q2", "mean"] == pytest.approx(5 - data["q2"].mean(), abs=1e-12)
    nominal = reliability.cronbach_alpha(data, reverse="q2", scale=(1, 5))
    assert nominal.items.loc["q2", "mean"] == pytest.approx(6 - data["q2"].mean(), abs=1e-12)
    assert got.alpha == pytest.approx(nominal.alpha, abs=1e-12)  # only means move


def test_reversed_item_lowers_alpha_until_keyed():
    data = likert(seed=5).assign(q2=lambda d: 6 - d["q2"])
    assert reliability.cronbach_alpha(data).alpha < reliability.cronbach_alpha(data, reverse=["q2"]).alpha


# --------------------------------------------------------------------------- missing data


def test_pairwise_covariance_matches_pandas_and_keeps_every_row():
    data = likert(n=400, missing=0.08, seed=6)
    res = reliability.cronbach_alpha(data)
    c = data.cov().to_numpy()  # pandas: pairwise-complete, as R's cov(use = "pairwise")
    assert res.alpha == pytest.approx(manual_alpha(c), abs=1e-12)
    assert res.n_rows == 400
    assert res.items["n"].tolist() == data.notna().sum().tolist()
    # raw_r: Pearson r of each item with the mean of the answered items
    score = data.mean(axis=1)
    assert res.items["raw_r"].to_numpy() == pytest.approx(data.corrwith(score).to_numpy(), abs=1e-12)
    assert res.scale_sd == pytest.approx(score.std(), abs=1e-12)


def test_listwise_is_pairwise_on_complete_rows():
    data = likert(n=400, missing=0.05, seed=7)
    listwise = reliability.cronbach_alpha(data, missing="listwise")
    complete = reliability.cronbach_alpha(data.dropna())
    pairwise = reliability.cronbach_alpha(data)
    assert listwise.n_rows == len(data.dropna()) < pairwise.n_rows
    assert listwise.alpha == pytest.approx(complete.alpha, abs=1e-12)
    assert listwise.ci == pytest.approx(complete.ci, abs=1e-12)
    assert listwise.alpha != pytest.approx(pairwise.alpha, abs=1e-6)


def test_many_blocks_give_the_same_moments_as_one():
    # 40,000 rows run through several blocks; the order of the rows must not matter.
    data = likert(n=40_000, missing=0.03, seed=8)
    res = reliability.cronbach_alpha(data)
    shuffled = reliability.cronbach_alpha(data.sample(frac=1.0, random_state=1))
    assert res.alpha == pytest.approx(manual_alpha(data.cov().to_numpy()), abs=1e-12)
    assert res.items.drop(columns="reversed").to_numpy() == pytest.approx(
        shuffled.items.drop(columns="reversed").to_numpy(), abs=1e-10
    )


def test_rows_answering_nothing_count_in_n_only():
    data = pd.concat([likert(seed=9), pd.DataFrame(np.nan, index=[900, 901], columns=likert().columns)])
    res = reliability.cronbach_alpha(data)
    assert res.n_rows == len(data)
    assert res.alpha == pytest.approx(reliability.cronbach_alpha(data.dropna(how="all")).alpha, abs=1e-12)


# --------------------------------------------------------------------------- bootstrap


def test_seeded_bootstrap_is_reproducible():
    data = likert(n=200, missing=0.03, seed=10)
    a = reliability.cronbach_alpha(data, n_boot=200, seed=42)
    b = reliability.cronbach_alpha(data, n_boot=200, seed=42)
    c = reliability.cronbach_alpha(data, n_boot=200, seed=43)
    assert a.ci_bootstrap == b.ci_bootstrap and a.bootstrap_median == b.bootstrap_median
    assert a.ci_bootstrap != c.ci_bootstrap
    assert a.ci_bootstrap[0] < a.bootstrap_median < a.ci_bootstrap[1]
    assert a.n_boot_used == 200
    assert reliability.cronbach_alpha(data).ci_bootstrap is None


def test_bootstrap_interval_brackets_alpha_like_feldt():
    res = reliability.cronbach_alpha(likert(n=500, seed=11), n_boot=500, seed=1)
    assert res.ci_bootstrap[0] < res.alpha < res.ci_bootstrap[1]
    assert res.ci_bootstrap[0] == pytest.approx(res.ci[0], abs=0.03)


# --------------------------------------------------------------------------- properties


def test_perfectly_parallel_items_have_alpha_one_without_warnings():
    x = np.array([1, 2, 3, 4, 5, 3, 2], dtype=float)
    data = pd.DataFrame({"a": x, "b": x + 1, "c": x + 2})  # R is all ones: singular, smc = 1 as psych
    res = reliability.cronbach_alpha(data)
    assert res.alpha == pytest.approx(1.0, abs=1e-12)
    assert res.std_alpha == pytest.approx(1.0, abs=1e-12)
    assert res.g6_smc == pytest.approx(1.0, abs=1e-12)
    assert res.signal_noise == math.inf


def test_parallel_items_recover_spearman_brown():
    # k parallel items with reliability rho each: alpha = k rho / (1 + (k - 1) rho) (Lord & Novick 1968).
    rng = np.random.default_rng(12)
    n, k, rho = 200_000, 4, 0.4
    true = rng.standard_normal(n)[:, None]
    data = pd.DataFrame(np.sqrt(rho) * true + np.sqrt(1 - rho) * rng.standard_normal((n, k)))
    data.columns = [f"p{j}" for j in range(k)]
    assert reliability.cronbach_alpha(data).alpha == pytest.approx(k * rho / (1 + (k - 1) * rho), abs=0.005)


def test_adding_a_constant_changes_only_means():
    data = likert(missing=0.05, seed=13)
    shifted = data.assign(q2=data["q2"] + 10)
    a, b = reliability.cronbach_alpha(data), reliability.cronbach_alpha(shifted)
    for name in ("alpha", "std_alpha", "g6_smc", "average_r", "ase"):
        assert getattr(a, name) == pytest.approx(getattr(b, name), abs=1e-12)
    assert b.items.loc["q2", "mean"] == pytest.approx(a.items.loc["q2", "mean"] + 10, abs=1e-12)


def test_large_offsets_keep_full_precision():
    # Sums of squares around 1e9 lose digits; the pass is repeated on centred data.
    data = likert(missing=0.05, seed=14)
    far = data + 1e9
    assert reliability.cronbach_alpha(far).alpha == pytest.approx(reliability.cronbach_alpha(data).alpha, abs=1e-9)


def test_standardized_alpha_ignores_item_scale():
    data = likert(seed=15)
    a, b = reliability.cronbach_alpha(data), reliability.cronbach_alpha(data.assign(q1=data["q1"] * 100))
    assert a.std_alpha == pytest.approx(b.std_alpha, abs=1e-12)
    assert a.alpha != pytest.approx(b.alpha, abs=1e-3)


def test_kr20_is_alpha_of_binary_items():
    rng = np.random.default_rng(16)
    ability = rng.standard_normal(500)[:, None]
    data = pd.DataFrame((ability + rng.standard_normal((500, 6)) > 0).astype(int), columns=list("abcdef"))
    p = data.mean()
    total_var = data.sum(axis=1).var()  # KR-20 (Kuder & Richardson 1937) with n - 1 variances
    kr20 = 6 / 5 * (1 - (p * (1 - p)).sum() * 500 / 499 / total_var)
    assert reliability.cronbach_alpha(data).alpha == pytest.approx(kr20, abs=1e-12)


def test_item_statistics_follow_their_definitions():
    data = likert(seed=17).dropna()
    res = reliability.cronbach_alpha(data)
    for item in data.columns:
        rest = data.drop(columns=item)
        assert res.items.loc[item, "r_drop"] == pytest.approx(data[item].corr(rest.sum(axis=1)), abs=1e-12)
        assert res.items.loc[item, "alpha_if_deleted"] == pytest.approx(manual_alpha(rest.cov().to_numpy()), abs=1e-12)
        assert res.items.loc[item, "std_alpha_if_deleted"] == pytest.approx(
            reliability.cronbach_alpha(rest).std_alpha, abs=1e-12
        )
        assert res.items.loc[item, "ase_if_deleted"] == pytest.approx(reliability.cronbach_alpha(rest).ase, abs=1e-12)
        assert res.items.loc[item, "g6_smc_if_deleted"] == pytest.approx(
            reliability.cronbach_alpha(rest).g6_smc, abs=1e-12
        )


def test_duhachek_interval_uses_the_normal_quantile():
    res = reliability.cronbach_alpha(likert(seed=18), ci=0.9)
    assert res.ci_duhachek[1] - res.alpha == pytest.approx(1.6448536269514722 * res.ase, abs=1e-12)


def test_two_items_have_no_alpha_if_deleted():
    res = reliability.cronbach_alpha(likert(k=2, seed=19))
    assert res.items["alpha_if_deleted"].isna().all()
    assert res.items["r_drop"].notna().all()


# --------------------------------------------------------------------------- Guttman, split-half, SPSS


def test_guttman_lambdas_order_and_alpha():
    data = likert(k=6, seed=20, missing=0.03)
    g = reliability.guttman(data)
    assert g.lambda3 == pytest.approx(reliability.cronbach_alpha(data).alpha, abs=1e-12)
    assert g.lambda1 < g.lambda3 <= g.lambda2 <= g.lambda4
    assert g.lambda4_exhaustive


@pytest.mark.parametrize(("k", "splits", "psych_splits"), [(3, 3, 2), (4, 3, 3), (5, 10, 5), (6, 10, 10)])
def test_split_half_enumerates_every_split(k, splits, psych_splits):
    res = reliability.split_half(likert(k=k, seed=21))
    assert (res.n_splits, res.psych_n_splits) == (splits, psych_splits)
    assert res.min_split <= res.mean_split <= res.max_split
    assert res.min_split <= res.psych_beta <= res.psych_lambda4 <= res.max_split
    assert len(res.best_half) == k // 2


def test_split_half_coefficient_by_hand():
    data = likert(k=4, seed=22)
    r = data.corr().to_numpy()
    halves = [([0, 1], [2, 3]), ([0, 2], [1, 3]), ([0, 3], [1, 2])]
    coefficients = [4 * r[np.ix_(a, b)].sum() / r.sum() for a, b in halves]
    res = reliability.split_half(data)
    assert res.max_split == pytest.approx(max(coefficients), abs=1e-12)
    assert res.mean_split == pytest.approx(np.mean(coefficients), abs=1e-12)


def test_split_half_samples_when_there_are_too_many_splits():
    data = likert(k=8, seed=23)
    a = reliability.split_half(data, max_splits=20, seed=5)
    b = reliability.split_half(data, max_splits=20, seed=5)
    assert not a.exhaustive and a.n_splits == 20
    assert a == b
    assert a.max_split <= reliability.split_half(data).max_split + 1e-12


def test_spss_tables_agree_with_alpha():
    data = likert(k=5, seed=24, missing=0.04)
    table = reliability.spss_item_total(data)
    listwise = reliability.cronbach_alpha(data, missing="listwise")
    complete = data.dropna()
    assert table.n == len(complete)
    assert table.alpha == pytest.approx(listwise.alpha, abs=1e-12)
    assert table.scale_variance == pytest.approx(complete.sum(axis=1).var(), abs=1e-10)
    assert table.items["corrected_item_total_r"].to_numpy() == pytest.approx(listwise.items["r_drop"].to_numpy())
    assert (table.items["scale_mean_if_deleted"] + complete.mean()).to_numpy() == pytest.approx(table.scale_mean)


def test_spss_split_half_forms():
    data = likert(k=6, seed=25)
    res = reliability.spss_split_half(data)
    assert res.part1 == ("q1", "q2", "q3")
    s1, s2 = data[list(res.part1)].sum(axis=1), data[list(res.part2)].sum(axis=1)
    r = s1.corr(s2)
    assert res.correlation_between_forms == pytest.approx(r, abs=1e-12)
    assert res.spearman_brown_unequal == pytest.approx(res.spearman_brown_equal, abs=1e-12)  # equal halves
    odd = reliability.spss_split_half(likert(k=3, seed=25))
    assert odd.alpha_part2 is None and len(odd.part1) == 2


# --------------------------------------------------------------------------- omega and CFA


def test_one_factor_omega_bounds_and_flip():
    data = likert(k=6, seed=26, n=600)
    res = reliability.omega(data)
    # omega_h can exceed omega_total by the model's mean residual correlation (as in psych).
    assert res.omega_h == pytest.approx(res.omega_total, abs=0.01)
    assert res.omega_model_based == pytest.approx(res.omega_total, abs=0.01)
    assert res.flipped == ()
    flipped = reliability.omega(data.assign(q4=6 - data["q4"]))
    assert flipped.flipped == ("q4",)
    assert flipped.omega_total == pytest.approx(res.omega_total, abs=1e-6)
    keyed = reliability.omega(data.assign(q4=6 - data["q4"]), reverse=["q4"], scale=(1, 5))
    assert keyed.flipped == () and keyed.omega_h == pytest.approx(res.omega_h, abs=1e-6)


def test_hierarchical_omega_recovers_a_bifactor_structure():
    rng = np.random.default_rng(27)
    n = 3000
    g = rng.standard_normal(n)
    groups = rng.standard_normal((n, 3))
    cols = {}
    for f in range(3):
        for j in range(3):
            cols[f"x{3 * f + j}"] = 0.6 * g + 0.5 * groups[:, f] + np.sqrt(1 - 0.61) * rng.standard_normal(n)
    res = reliability.omega(pd.DataFrame(cols), nfactors=3)
    assert res.loadings["g"].to_numpy() == pytest.approx(0.6, abs=0.08)
    assert set(res.groups.index) == {"g", "F1*", "F2*", "F3*"}
    assert res.omega_h < res.omega_total
    assert res.ecv == pytest.approx(0.36 / 0.61, abs=0.08)


def test_minres_recovers_exact_loadings():
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1.0)
    fit = factor.minres(r, 1)
    assert fit.loadings[:, 0] == pytest.approx(lam, abs=1e-6)


def test_composite_reliability_of_a_known_two_factor_model():
    rng = np.random.default_rng(28)
    n = 5000
    f = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], n)
    lam = 0.7
    data = pd.DataFrame(
        {f"a{j}": lam * f[:, 0] + np.sqrt(1 - lam**2) * rng.standard_normal(n) for j in range(3)}
        | {f"b{j}": lam * f[:, 1] + np.sqrt(1 - lam**2) * rng.standard_normal(n) for j in range(3)}
    )
    res = reliability.composite_reliability(data, {"A": ["a0", "a1", "a2"], "B": ["b0", "b1", "b2"]})
    expected_cr = (3 * lam) ** 2 / ((3 * lam) ** 2 + 3 * (1 - lam**2))
    assert res.factors["cr"].to_numpy() == pytest.approx(expected_cr, abs=0.02)
    assert res.factors["ave"].to_numpy() == pytest.approx(lam**2, abs=0.03)
    assert res.factor_correlations.loc["A", "B"] == pytest.approx(0.3, abs=0.05)
    assert res.df == 8 and res.rmsea < 0.03
    assert (res.factors["sqrt_ave"] > res.factors["max_r"]).all()


def test_cfa_reverse_keyed_item_loads_positively_once_recoded():
    data = likert(k=4, seed=29, n=800)
    flipped = data.assign(q2=6 - data["q2"])
    raw = cfa.fit(flipped, {"f": list(data.columns)})
    assert raw.std_loadings.loc["q2", "f"] < 0
    keyed = reliability.composite_reliability(flipped, {"f": list(data.columns)}, reverse=["q2"], scale=(1, 5))
    assert (keyed.loadings["std_loading"] > 0).all()


# --------------------------------------------------------------------------- result objects


def test_results_are_frozen_and_print():
    data = likert(k=4, seed=30)
    results = [
        reliability.cronbach_alpha(data),
        reliability.guttman(data),
        reliability.split_half(data),
        reliability.spss_item_total(data),
        reliability.spss_split_half(data),
        reliability.omega(data),
        reliability.composite_reliability(data, {"f": list(data.columns)}),
    ]
    for res in results:
        assert isinstance(res.to_frame(), pd.DataFrame) and len(res.to_frame()) >= 1
        assert isinstance(res.summary(), str) and res.summary()
        first = dataclasses.fields(res)[0].name
        # Python 3.11 raises TypeError instead of FrozenInstanceError for slotted frozen classes.
        with pytest.raises((dataclasses.FrozenInstanceError, TypeError)):
            setattr(res, first, 0)
    assert "q1" in results[0].summary()


def test_pairwise_pearson_differs_from_cov2cor_with_missing_data():
    # psych::omega uses cor(use = "pairwise"); psych::alpha uses cov2cor(cov(use = "pairwise")).
    data = likert(missing=0.1, seed=31)
    block = covariance.prepare(data, (), None)
    assert covariance.pairwise_pearson(block) == pytest.approx(data.corr().to_numpy(), abs=1e-12)


def test_docstring_examples_run():
    failures, _ = doctest.testmod(reliability, extraglobs={"pd": pd})
    assert failures == 0


def test_listwise_keying_range_comes_from_the_complete_rows():
    # psych::alpha(x[complete.cases(x), ], keys) reflects with the range of the rows it is given.
    data = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 4, np.nan, 3], "c": [2, 3, 3, 4, 4, 3]})
    res = reliability.cronbach_alpha(data, reverse=["c"], missing="listwise")
    complete = data.dropna()
    low, high = complete.min().min(), complete.max().max()
    assert (low, high) == (1, 4)
    assert res.items.loc["c", "mean"] == pytest.approx(low + high - complete["c"].mean(), abs=1e-12)


def test_composite_reliability_refuses_an_improper_solution():
    # One strong item and two noise items: ML pushes the strong item's residual variance below 0.
    rng = np.random.default_rng(33)
    f = rng.standard_normal(60)
    data = pd.DataFrame(
        {
            "a": f + 0.05 * rng.standard_normal(60),
            "b": 0.1 * f + rng.standard_normal(60),
            "c": 0.1 * f + rng.standard_normal(60),
            "d": 0.1 * f + rng.standard_normal(60),
        }
    )
    with pytest.raises(ValueError, match=r"improper|did not converge"):
        reliability.composite_reliability(data, {"f": ["a", "b", "c", "d"]})
