"""analysis.loyalty: NPS and its intervals, matrix, index, repurchase bands."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import loyalty


def test_nps_by_hand():
    result = loyalty.nps(pd.Series([10, 9, 8, 3], name="recommend"))
    # p = 2/4, d = 1/4; Wald SE = 100 sqrt((p + d - (p - d)^2)/n) (Rocks 2016).
    assert result.nps == 25.0
    se = 100 * math.sqrt((0.75 - 0.25**2) / 4)
    assert result.wald_se == pytest.approx(se)
    z = stats.norm.ppf(0.975)
    assert result.wald_ci == pytest.approx((25 - z * se, 25 + z * se))
    # Adjusted Wald: n' = 7, p' = 2.75/7, d' = 1.75/7.
    p2, d2 = 2.75 / 7, 1.75 / 7
    assert result.adjusted_nps == pytest.approx(100 * (p2 - d2))
    assert result.adjusted_se == pytest.approx(100 * math.sqrt((p2 + d2 - (p2 - d2) ** 2) / 7))
    # Trinomial mean: SD (n - 1) of +1, +1, 0, -1 over sqrt(n).
    assert result.trinomial_se == pytest.approx(100 * np.std([1, 1, 0, -1], ddof=1) / 2)
    assert (result.n_promoters, result.n_passives, result.n_detractors) == (2, 1, 1)
    assert result.mean_ltr == 7.5
    assert "NPS +25.0" in result.summary()
    assert result.to_frame()["method"].tolist() == ["wald", "adjusted_wald", "trinomial_mean"]


def test_nps_all_promoters_and_single_answer():
    every = loyalty.nps(pd.Series([9, 10, 10]))
    assert every.nps == 100.0 and every.wald_se == 0.0 and every.wald_ci == (100.0, 100.0)
    assert every.adjusted_nps < 100  # the adjustment pulls towards 0
    one = loyalty.nps(pd.Series([7.0, np.nan]))
    assert one.n == 1 and one.nps == 0.0
    assert np.isnan(one.trinomial_se)  # an SD needs two answers: not defined


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            pd.Series([3, 11], name="recommend"),
            "column 'recommend' holds 11; likelihood to recommend is a whole number",
        ),
        (pd.Series([3, -1], name="recommend"), "column 'recommend' holds -1"),
        (pd.Series([3, 8.5], name="recommend"), "column 'recommend' holds 8.5"),
        (pd.Series([np.nan, None], name="recommend"), "column 'recommend' has no values"),
        (pd.Series(["9", "ten"], name="recommend"), "column 'recommend' holds a non-numeric value 'ten'"),
    ],
)
def test_nps_bad_input(values, message):
    with pytest.raises(ValueError, match=message):
        loyalty.nps(values)


def test_nps_by_segment_and_difference():
    ltr = pd.Series([10, 9, 3, 7, 8, 2, 1, 9, 10, 10, 6, 8], name="ltr")
    seg = pd.Series(["b", "b", "b", "b", "a", "a", "a", "a", "c", "c", "c", "c"])
    result = loyalty.nps_by_segment(ltr, seg)
    assert list(result.segments) == ["a", "b", "c"]
    assert result.segments["a"].nps == pytest.approx(100 * (1 - 2) / 4)
    table = result.counts.to_numpy()
    chi = stats.chi2_contingency(table, correction=False)  # Pearson (1900), as R chisq.test
    assert (result.chi2, result.chi2_df, result.chi2_p) == pytest.approx((chi.statistic, chi.dof, chi.pvalue))
    diff = loyalty.nps_difference(result.segments["a"], result.segments["b"])
    se = math.hypot(result.segments["a"].wald_se, result.segments["b"].wald_se)
    assert diff.diff == pytest.approx(-25 - 25) and diff.se == pytest.approx(se)
    assert diff.p_two_sided == pytest.approx(2 * stats.norm.sf(abs(diff.diff / se)))
    assert "chi-square" in result.summary()


def test_nps_by_segment_leaves_out_empty_categories():
    result = loyalty.nps_by_segment(pd.Series([9, 10, 3, 2]), pd.Series(["a", "a", "b", "b"]))
    assert result.chi2_df == 1  # no passives: a 2 x 2 table, uncorrected unless asked
    corrected = loyalty.nps_by_segment(pd.Series([9, 10, 3, 2]), pd.Series(["a", "a", "b", "b"]), correction=True)
    assert corrected.chi2 < result.chi2


def test_top_box_matrix_index_and_bands():
    os_ = pd.Series([10, 9, 8, 7, 3, np.nan], name="os")
    assert loyalty.top_box(os_, scale_max=10).pct == pytest.approx(40.0)
    assert loyalty.top_box(os_, scale_max=10, boxes=1).pct == pytest.approx(20.0)
    with pytest.raises(ValueError, match="column 'os' holds 10, above the scale maximum 7"):
        loyalty.top_box(os_, scale_max=7)

    ltr = pd.Series([10, 5, 9, 2, 9, 8], name="ltr")
    m = loyalty.satisfaction_loyalty_matrix(os_, ltr, satisfied_if_ge=8, loyal_if_ge=9)  # Jones & Sasser (1995)
    assert (m.loyalists, m.mercenaries, m.hostages, m.defectors) == (2, 1, 1, 1)
    assert m.n == 5

    df = pd.DataFrame({"os": [10, 4, np.nan], "csi2": [7, 1, 4]})
    index = loyalty.acsi_index(df, ["os", "csi2"], scale=(1, 10))  # Fornell et al. (1996): 100(x - 1)/9
    assert index.item_index["os"] == pytest.approx(100 * (7 - 1) / 9)
    assert index.item_index["csi2"] == pytest.approx(100 * (4 - 1) / 9)
    assert index.respondent_mean_index == pytest.approx(np.mean([100 * (8.5 - 1) / 9, 100 * (2.5 - 1) / 9]))
    weighted = loyalty.acsi_index(df, ["os", "csi2"], weights=[3, 1])
    assert weighted.weighted_index == pytest.approx(0.75 * index.item_index["os"] + 0.25 * index.item_index["csi2"])
    with pytest.raises(ValueError, match="column 'os' holds 10, outside the scale"):
        loyalty.acsi_index(df, ["os"], scale=(1, 7))

    bands = loyalty.repurchase_bands(pd.Series([90, 70, 50, 30, 10, None]))
    assert (bands.high, bands.medium, bands.low, bands.n) == (1, 3, 1, 5)
    assert loyalty.repurchase_bands(pd.Series([0.8]), maximum=1).high == 1
    with pytest.raises(ValueError, match="outside 0-100"):
        loyalty.repurchase_bands(pd.Series([120], name="rp"))
