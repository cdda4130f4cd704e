"""analysis.segments: comparison block, Holm, funnel limits, waves."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import segments


def _two_groups() -> tuple[pd.Series, pd.Series]:
    return pd.Series([1.0, 2, 3, 4, 5, 6], name="score"), pd.Series(list("aaabbb"), name="branch")


def test_compare_two_groups_by_hand():
    result = segments.compare(*_two_groups())
    # By hand: means 2 and 5, SS_B = 2*3*1.5^2 = 13.5, SS_W = 2 + 2 = 4, F = 13.5/(4/4).
    assert result.anova_F == pytest.approx(13.5, abs=1e-12)
    assert (result.anova_df1, result.anova_df2) == (1.0, 4.0)
    assert result.eta_squared == pytest.approx(13.5 / 17.5, abs=1e-12)
    # Welch with two equal-variance, equal-n groups: F = t^2 = 13.5 and df2 = 4 (Welch-Satterthwaite).
    assert result.welch_F == pytest.approx(13.5, abs=1e-12)
    assert result.welch_df2 == pytest.approx(4.0, abs=1e-12)
    # Kruskal-Wallis by hand, ranks 1..6 without ties: 12/(6*7) * (6^2/3 + 15^2/3) - 3*7 = 27/7.
    assert result.kruskal_H == pytest.approx(27 / 7, abs=1e-12)
    assert result.kruskal_p == pytest.approx(stats.chi2.sf(27 / 7, 1), abs=1e-12)
    pair = result.pairs.loc["b-a"]
    assert pair["diff"] == pytest.approx(3.0)
    # With two groups Tukey's p equals the ANOVA p (q^2 = 2F), as R's TukeyHSD shows.
    assert pair["tukey_p_adj"] == pytest.approx(result.anova_p, abs=1e-9)


def test_compare_matches_scipy_on_three_unequal_groups():
    rng = np.random.default_rng(7)
    parts = [rng.normal(0, 1, 12), rng.normal(0.8, 2, 20), rng.normal(0.3, 0.5, 9)]
    values = pd.Series(np.concatenate(parts).round(1), name="os")
    groups = pd.Series(["x"] * 12 + ["y"] * 20 + ["z"] * 9)
    result = segments.compare(values, groups)
    by = [values[groups == g].to_numpy() for g in "xyz"]
    anova = stats.f_oneway(*by)  # scipy's one-way ANOVA = R aov
    assert result.anova_F == pytest.approx(anova.statistic, abs=1e-10)
    assert result.anova_p == pytest.approx(anova.pvalue, abs=1e-10)
    assert result.kruskal_H == pytest.approx(stats.kruskal(*by).statistic, abs=1e-10)
    tukey = stats.tukey_hsd(*by)  # scipy's Tukey-Kramer; pvalue[i, j] for group j vs i
    ci = tukey.confidence_interval(0.95)
    for (i, j), name in {(0, 1): "y-x", (0, 2): "z-x", (1, 2): "z-y"}.items():
        row = result.pairs.loc[name]
        assert row["tukey_p_adj"] == pytest.approx(tukey.pvalue[i, j], abs=1e-6)
        assert row["tukey_lwr"] == pytest.approx(-ci.high[i, j], abs=1e-6)
        assert row["tukey_upr"] == pytest.approx(-ci.low[i, j], abs=1e-6)
    welch = [stats.ttest_ind(by[j], by[i], equal_var=False).pvalue for i, j in ((0, 1), (0, 2), (1, 2))]
    assert result.pairs["welch_p"].tolist() == pytest.approx(welch, abs=1e-12)
    assert result.pairs["welch_p_holm"].tolist() == pytest.approx(segments.holm(welch).tolist(), abs=1e-12)


def test_welch_anova_two_groups_is_welch_t_squared():
    rng = np.random.default_rng(3)
    values = pd.Series(np.concatenate([rng.normal(0, 1, 15), rng.normal(1, 3, 25)]), name="y")
    groups = pd.Series(["a"] * 15 + ["b"] * 25)
    result = segments.compare(values, groups)
    t = stats.ttest_ind(values[15:], values[:15], equal_var=False)  # Welch (1947) t
    assert result.welch_F == pytest.approx(t.statistic**2, rel=1e-12)
    assert result.welch_p == pytest.approx(t.pvalue, rel=1e-10)
    assert result.welch_df2 == pytest.approx(t.df, rel=1e-12)


def test_holm_matches_r():
    # R: p.adjust(c(0.01, 0.04, 0.03), "holm") -> 0.03 0.06 0.06
    assert segments.holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
    # R: p.adjust(c(0.5, NA, 0.01), "holm") -> 0.5 NA 0.02 (NA outside the family)
    out = segments.holm([0.5, np.nan, 0.01])
    assert out[0] == pytest.approx(0.5) and np.isnan(out[1]) and out[2] == pytest.approx(0.02)


def test_categorical_groups_keep_their_order_and_to_dict_names():
    values, groups = _two_groups()
    cat = pd.Series(pd.Categorical(groups, categories=["b", "a", "unused"]))
    result = segments.compare(values, cat)
    assert list(result.groups.index) == ["b", "a"]
    assert list(result.to_dict()["tukey_hsd"]) == ["a-b"]
    assert "anova" in result.summary() or "ANOVA" in result.summary()
    assert set(result.to_frame()["test"]) >= {"anova", "welch_anova", "kruskal_wallis", "tukey_hsd"}


def test_missing_rows_are_dropped():
    values = pd.Series([1.0, 2, 3, np.nan, 4, 5, 6], name="s")
    groups = pd.Series(["a", "a", "a", "b", "b", "b", None])
    result = segments.compare(values, groups)
    assert result.groups["n"].tolist() == [3, 2]


@pytest.mark.parametrize(("values", "groups", "message"), [
    (pd.Series(["1", "x", "3", "4"], name="score"), pd.Series(list("aabb")), "column 'score' holds a non-numeric value 'x'"),
    (pd.Series([2.0, 2, 2, 2], name="score"), pd.Series(list("aabb")), "column 'score' is constant"),
    (pd.Series([np.nan] * 4, name="score"), pd.Series(list("aabb")), "column 'score' has no values"),
    (pd.Series([1.0, 2, 3], name="score"), pd.Series(list("aab")), "group 'b' has 1 value"),
    (pd.Series([1.0, 2, 3], name="score"), pd.Series(list("aaa")), "at least 2 groups"),
])
def test_compare_bad_input(values, groups, message):
    with pytest.raises(ValueError, match=message):
        segments.compare(values, groups)


def test_zero_variance_group_makes_welch_undefined_not_a_warning():
    values = pd.Series([1.0, 1, 1, 4, 5, 6], name="s")
    result = segments.compare(values, pd.Series(list("aaabbb")))
    assert np.isnan(result.welch_F) and np.isnan(result.welch_p)
    assert result.anova_F > 0


def test_funnel_limits_by_hand():
    rng = np.random.default_rng(11)
    noise = rng.normal(0, 1, 100)
    noise = (noise - noise.mean()) / noise.std(ddof=1)
    small = np.array([-1.0, -0.5, 0.5, 1.0])
    values = pd.Series(np.concatenate([5.2 + small, 6.8 + small, 5.7 + noise, 6.3 + noise]), name="csi")
    groups = pd.Series(["small_low"] * 4 + ["small_high"] * 4 + ["big_a"] * 100 + ["big_b"] * 100)
    result = segments.funnel_limits(values, groups)
    mean, sd = values.mean(), values.std()
    assert result.target == pytest.approx(mean) and result.sd == pytest.approx(sd)
    row = result.units.loc["small_high"]
    z95 = stats.norm.ppf(0.975)  # Spiegelhalter (2005): target +/- z * sd / sqrt(n)
    assert row["upper_95"] == pytest.approx(mean + z95 * sd / 2)
    assert row["upper_99_8"] == pytest.approx(mean + stats.norm.ppf(0.999) * sd / 2)
    assert row["z"] == pytest.approx((6.8 - mean) / (sd / 2))
    # A small dealer 0.8 above the mean stays inside; a big one 0.3 above does not.
    assert row["position"] == "within"
    assert result.units.loc["big_b", "position"].startswith("above")
    assert result.units.loc["big_a", "position"].startswith("below")
    curve = result.limits([4, 100])
    assert (curve["upper_95"].diff().dropna() < 0).all()  # the funnel narrows as n grows
    assert "funnel" in result.summary()


def test_over_waves_ci_and_index():
    values = pd.Series([6.0, 7, 8, 7, 8, 9, 9, 8], name="sat")
    waves = pd.Series([2, 2, 2, 1, 1, 1, 3, 3])
    result = segments.over_waves(values, waves, scale=(1, 10))
    assert list(result.waves.index) == [1, 2, 3]
    first = 100 * (np.array([7.0, 8, 9]) - 1) / 9  # ACSI-style rescaling, Fornell et al. (1996)
    lo, hi = stats.t.interval(0.95, 2, loc=first.mean(), scale=stats.sem(first))
    assert result.waves.loc[1, "mean"] == pytest.approx(first.mean())
    assert (result.waves.loc[1, "ci_low"], result.waves.loc[1, "ci_high"]) == pytest.approx((lo, hi))
    assert np.isnan(result.waves.loc[1, "change"])
    assert result.waves.loc[2, "change"] == pytest.approx(-100 / 9)
    assert "wave" in result.summary()


def test_over_waves_needs_two_values_per_wave():
    with pytest.raises(ValueError, match="wave 2 has 1 value"):
        segments.over_waves(pd.Series([1.0, 2, 3], name="sat"), pd.Series([1, 1, 2]))


def test_pairwise_tests_can_be_left_out():
    # many dealers: the omnibus tests stay, the pairwise table is empty (the funnel plot takes over)
    rng = np.random.default_rng(4)
    values = pd.Series(rng.normal(size=600), name="score")
    groups = pd.Series([f"D{i % 30:02d}" for i in range(600)])
    without = segments.compare(values, groups, pairwise=False)
    with_pairs = segments.compare(values, groups)
    assert without.pairs.empty and len(with_pairs.pairs) == 30 * 29 // 2
    assert without.anova_F == with_pairs.anova_F and without.kruskal_p == with_pairs.kruskal_p
