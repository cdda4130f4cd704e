"""analysis.segments: comparison block, Holm, funnel limits, waves."""

from __future__ import annotations

from itertools import combinations

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


def _tukey_kramer(
    a: np.ndarray, b: np.ndarray, ms_within: float, df_within: int, g: int, level: float = 0.95
) -> tuple[float, float, float]:
    # Kramer (1956): b - a +/- q(level; g, N - g) sqrt(MS_W / 2 (1/n_a + 1/n_b)), p = P(Q > |b - a| / se);
    # the hand-written loop that scipy.stats.tukey_hsd replaced in segments._pairs.
    diff = b.mean() - a.mean()
    se = np.sqrt(ms_within / 2 * (1 / len(a) + 1 / len(b)))
    q = stats.studentized_range.ppf(level, g, df_within)
    return diff - q * se, diff + q * se, stats.studentized_range.sf(abs(diff) / se, g, df_within)


def _welch_t_p(a: np.ndarray, b: np.ndarray) -> float:
    # Welch (1947): t = (mean_a - mean_b) / sqrt(v_a + v_b), v = s^2/n, on the Welch-Satterthwaite df
    # (v_a + v_b)^2 / (v_a^2/(n_a - 1) + v_b^2/(n_b - 1)); the helper scipy replaced in segments.
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return float(2 * stats.t.sf(abs(t), df))


@pytest.mark.parametrize(
    ("seed", "sizes", "sds"),
    [
        (7, (12, 20, 9), (1, 2, 0.5)),
        (1, (5, 5, 5, 5), (1, 1, 1, 1)),
        (2, (3, 40, 8, 15, 6), (0.3, 2, 1, 1, 4)),
    ],
)
def test_pairs_equal_the_textbook_formulas(seed, sizes, sds):
    rng = np.random.default_rng(seed)
    by = [rng.normal(0.2 * i, sd, n).round(1) for i, (n, sd) in enumerate(zip(sizes, sds, strict=True))]
    names = "vwxyz"[: len(by)]
    values = pd.Series(np.concatenate(by), name="os")
    groups = pd.Series([names[i] for i, x in enumerate(by) for _ in x])
    result = segments.compare(values, groups)
    anova = stats.f_oneway(*by)  # scipy's one-way ANOVA = R aov
    assert result.anova_F == pytest.approx(anova.statistic, abs=1e-10)
    assert result.anova_p == pytest.approx(anova.pvalue, abs=1e-10)
    assert result.kruskal_H == pytest.approx(stats.kruskal(*by).statistic, abs=1e-10)
    g, n = len(by), len(values)
    ms_within = sum(((x - x.mean()) ** 2).sum() for x in by) / (n - g)
    welch = []
    for i, j in combinations(range(g), 2):
        row = result.pairs.loc[f"{names[j]}-{names[i]}"]
        lwr, upr, p = _tukey_kramer(by[i], by[j], ms_within, n - g, g)
        assert (row["tukey_lwr"], row["tukey_upr"]) == pytest.approx((lwr, upr), abs=1e-12)
        assert row["tukey_p_adj"] == pytest.approx(p, abs=1e-12)
        welch.append(_welch_t_p(by[j], by[i]))
    assert result.pairs["welch_p"].tolist() == pytest.approx(welch, abs=1e-12)
    assert result.pairs["welch_p_holm"].tolist() == pytest.approx(segments.holm(welch).tolist(), abs=1e-12)


def test_tukey_with_every_group_constant():
    # se = 0: groups that differ have p = 0 and an interval of width 0; equal ones 0/0, undefined as in R
    values = pd.Series([1.0, 1, 1, 2, 2, 2, 2, 2, 2], name="s")
    result = segments.compare(values, pd.Series(list("aaabbbccc")))
    assert result.pairs.loc["b-a", ["diff", "tukey_lwr", "tukey_upr", "tukey_p_adj"]].tolist() == [1.0, 1.0, 1.0, 0.0]
    assert np.isnan(result.pairs.loc["c-b", "tukey_p_adj"])
    assert np.isnan(result.pairs.loc["c-b", "welch_p"])  # two constant groups: t undefined


def test_welch_t_with_one_constant_group_is_exact_not_a_warning():
    # pytest turns warnings into errors: scipy's ttest_ind would warn of precision loss here
    a, b = np.array([2.0, 2, 2]), np.array([1.0, 2, 4, 5])
    p = segments._welch_t_p(b, a)
    t = (b.mean() - 2) / np.sqrt(b.var(ddof=1) / 4)  # the constant group adds no variance; df = n_b - 1
    assert p == pytest.approx(2 * stats.t.sf(abs(t), 3), abs=1e-14)


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


@pytest.mark.parametrize(
    ("values", "groups", "message"),
    [
        (
            pd.Series(["1", "x", "3", "4"], name="score"),
            pd.Series(list("aabb")),
            "column 'score' holds a non-numeric value 'x'",
        ),
        (pd.Series([2.0, 2, 2, 2], name="score"), pd.Series(list("aabb")), "column 'score' is constant"),
        (pd.Series([np.nan] * 4, name="score"), pd.Series(list("aabb")), "column 'score' has no values"),
        (pd.Series([1.0, 2, 3], name="score"), pd.Series(list("aab")), "group 'b' has 1 value"),
        (pd.Series([1.0, 2, 3], name="score"), pd.Series(list("aaa")), "at least 2 groups"),
    ],
)
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
    values = pd.Series(rng.normal(size=240), name="score")
    groups = pd.Series([f"D{i % 12:02d}" for i in range(240)])
    without = segments.compare(values, groups, pairwise=False)
    with_pairs = segments.compare(values, groups)
    assert without.pairs.empty and len(with_pairs.pairs) == 12 * 11 // 2
    assert without.anova_F == with_pairs.anova_F and without.kruskal_p == with_pairs.kruskal_p
