"""Unit tests of analysis.weighting on values derived by hand or by an independent route.

The match with R survey 4.1-1 on every field is in test_reference.py (kind = weighting).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from analysis import weighting as wt


def _sex_age(counts: dict[tuple[str, str], int]) -> pd.DataFrame:
    rows = [{"sex": s, "age": a} for (s, a), k in counts.items() for _ in range(k)]
    return pd.DataFrame(rows)


SEX = wt.margin("sex", {"f": 60, "m": 40})
AGE = wt.margin("age", {"y": 50, "o": 50})


def test_rake_2x2_by_hand():
    # IPF keeps the sample's odds ratio (Mosteller 1968): with sample cells f-y 2, f-o 1, m-y 1,
    # m-o 2 the raked cell totals are T11 = x, T12 = 60 - x, T21 = 50 - x, T22 = x - 10 with
    # x (x - 10) = 4 (60 - x)(50 - x), i.e. 3x² - 430x + 12000 = 0, x = (430 - √40900) / 6.
    df = _sex_age({("f", "y"): 2, ("f", "o"): 1, ("m", "y"): 1, ("m", "o"): 2})
    r = wt.rake(df, [SEX, AGE])
    x = (430 - math.sqrt(40900)) / 6
    expected = [x / 2, x / 2, 60 - x, 50 - x, (x - 10) / 2, (x - 10) / 2]
    assert r.weights.tolist() == pytest.approx(expected, rel=1e-12)
    assert r.max_rel_error < 1e-12 and r.population_total == 100
    cells = r.to_frame().set_index("cell")
    assert cells.loc["sex=f", "weighted_total"] == pytest.approx(60, rel=1e-12)
    assert cells.loc["age=o", "n"] == 3


def test_raked_weights_are_exponential_in_the_cells():
    # Deville & Särndal (1992): raking weights are d·exp(x'λ), so log(w/d) lies in the span
    # of the cell indicators; a non-raking calibration meeting the same margins would not.
    rng = np.random.default_rng(7)
    df = pd.DataFrame(
        {"a": rng.choice(["a1", "a2", "a3"], 300), "b": rng.choice(["b1", "b2"], 300), "d": rng.uniform(0.5, 2, 300)}
    )
    margins = [wt.margin("a", {"a1": 500, "a2": 300, "a3": 200}), wt.margin("b", {"b1": 450, "b2": 550})]
    r = wt.rake(df, margins, design=wt.SurveyDesign(weights="d"))
    x = pd.get_dummies(df[["a", "b"]]).to_numpy(float)
    log_ratio = np.log(r.weights.to_numpy() / df["d"].to_numpy())
    coef = np.linalg.lstsq(x, log_ratio, rcond=None)[0]
    assert np.abs(x @ coef - log_ratio).max() < 1e-10
    assert r.weights.groupby(df["a"]).sum().to_dict() == pytest.approx({"a1": 500, "a2": 300, "a3": 200}, rel=1e-12)


def test_poststratification_weights_are_N_h_over_the_base_total_of_h():
    df = pd.DataFrame({"dealer": ["A", "A", "A", "B", "B"], "d": [1.0, 1.0, 2.0, 1.0, 3.0]})
    r = wt.poststratify(df, wt.margin("dealer", {"A": 80, "B": 20}), design=wt.SurveyDesign(weights="d"))
    # w_i = d_i · N_h / Σ_h d: A gets 80/4 per unit of base weight, B 20/4.
    assert r.weights.tolist() == pytest.approx([20, 20, 40, 5, 15], rel=1e-14)
    unweighted = wt.poststratify(df, wt.margin("dealer", {"A": 80, "B": 20}))
    assert unweighted.weights.tolist() == pytest.approx([80 / 3] * 3 + [10, 10], rel=1e-14)


def test_crossed_poststrata():
    df = _sex_age({("f", "y"): 2, ("f", "o"): 1, ("m", "y"): 1, ("m", "o"): 4})
    cells = wt.margin(["sex", "age"], {("f", "y"): 10, ("f", "o"): 20, ("m", "y"): 30, ("m", "o"): 40})
    r = wt.poststratify(df, cells)
    assert r.weights.tolist() == pytest.approx([5, 5, 20, 30, 10, 10, 10, 10], rel=1e-14)


def test_kish_design_effect_for_known_weights():
    # n Σw² / (Σw)² = 4 · 10 / 36 for weights 1, 1, 2, 2.
    k = wt.kish_design_effect([1, 1, 2, 2])
    assert k.deff == pytest.approx(10 / 9, rel=1e-14)
    assert k.n_eff == pytest.approx(3.6, rel=1e-14)
    assert k.efficiency_pct == pytest.approx(90, rel=1e-14)
    assert k.cv == pytest.approx(1 / 3, rel=1e-14)  # sd (divisor n) 0.5 over mean 1.5
    assert "effective n = 3.6" in k.summary()
    assert wt.kish_design_effect([3, 3, 3]).deff == 1


def _dealers() -> pd.DataFrame:
    return pd.DataFrame({"dealer": ["D1", "D1", "D2", "D2", "D3"], "sex": ["f", "m", "f", "m", "f"]})


@pytest.mark.parametrize(
    ("margins", "message"),
    [
        (
            [wt.margin("dealer", {"D1": 10, "D2": 10, "D3": 10, "D5": 30})],
            "margin 'dealer': population cell dealer=D5 has a target of 30 but no respondents",
        ),
        (
            [wt.margin("dealer", {"D1": 10, "D2": 10})],
            "margin 'dealer': dealer=D3 occurs in the data (1 respondent(s)) but the margin has no population cell",
        ),
        (
            [wt.margin("dealer", {"D1": 10, "D2": 10, "D3": 10}), wt.margin("sex", {"f": 10, "m": 10})],
            "margin totals disagree: margin 'sex' sums to 20, 'dealer' to 30",
        ),
        (
            [wt.margin("dealer", {"D1": 10, "D2": 10, "D3": 0})],
            "margin 'dealer': cell dealer=D3 has respondents but a population target of 0",
        ),
        (
            [
                wt.margin("sex", {"f": 60, "m": 40}),
                wt.margin(
                    ["dealer", "sex"],
                    {("D1", "f"): 10, ("D1", "m"): 30, ("D2", "f"): 10, ("D2", "m"): 30, ("D3", "f"): 20},
                ),
            ],
            "raking did not converge in 10000 sweeps: margin 'sex', cell sex=",
        ),
    ],
)
def test_impossible_margins_name_the_margin_and_the_cell(margins, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        wt.rake(_dealers(), margins)


def test_a_missing_level_of_a_weighting_column_is_an_error():
    df = _dealers().assign(sex=["f", None, "f", "m", "f"])
    with pytest.raises(ValueError, match="margin 'sex': column 'sex' is missing in 1 row"):
        wt.rake(df, [wt.margin("sex", {"f": 1, "m": 1})])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variables": "sex", "targets": {"f": 0.5, "m": 0.4}, "shares": True}, "the shares sum to 0.9, not 1"),
        ({"variables": "sex", "targets": {"f": -1}}, "targets are counts or shares >= 0"),
        ({"variables": ["sex", "age"], "targets": {"f": 1}}, "does not give one level for each of ['sex', 'age']"),
        ({"variables": "sex", "targets": {}}, "margin 'sex' has no cells"),
        ({"variables": "sex", "targets": {1: 2, "1": 3}}, "cell ('1',) is given twice"),
    ],
)
def test_margin_checks(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        wt.margin(**kwargs)


def test_numeric_levels_match_cells_written_as_text():
    df = pd.DataFrame({"band": [1, 2, 2, 3]})
    r = wt.poststratify(df, wt.margin("band", {"1": 10, "2": 10, 3.0: 5}))
    assert r.weights.tolist() == [10, 5, 5, 5]


def test_shares_give_the_same_estimates_as_counts():
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {"a": rng.choice(["x", "y"], 200), "b": rng.choice(["u", "v", "w"], 200), "y": rng.normal(size=200)}
    )
    counts = [wt.margin("a", {"x": 700, "y": 300}), wt.margin("b", {"u": 200, "v": 300, "w": 500})]
    shares = [
        wt.margin("a", {"x": 0.7, "y": 0.3}, shares=True),
        wt.margin("b", {"u": 0.2, "v": 0.3, "w": 0.5}, shares=True),
    ]
    by_count, by_share = wt.rake(df, counts), wt.rake(df, shares)
    assert by_share.weights.sum() == pytest.approx(200, rel=1e-12)  # shares alone: the weights sum to n
    assert (by_count.weights / by_share.weights).to_numpy() == pytest.approx(np.full(200, 5.0), rel=1e-12)
    m1, m2 = wt.weighted_mean(df, "y", by_count), wt.weighted_mean(df, "y", by_share)
    assert (m1.estimate, m1.se) == pytest.approx((m2.estimate, m2.se), rel=1e-10)
    mixed = wt.rake(df, [counts[0], shares[1]])
    assert mixed.weights.to_numpy() == pytest.approx(by_count.weights.to_numpy(), rel=1e-10)


def test_se_of_a_mean_after_poststratification_by_hand():
    # e = y − (cell mean of y over answered rows, zero elsewhere, over all cell rows):
    # cell A rows y = 1, 3, NaN (z = δ(y − ȳ)), cell B rows y = 5, 7.
    df = pd.DataFrame({"g": ["A", "A", "A", "B", "B"], "y": [1.0, 3.0, None, 5.0, 7.0]})
    r = wt.poststratify(df, wt.margin("g", {"A": 30, "B": 20}))
    w = np.array([10, 10, 10, 10, 10.0])
    answered = np.array([1, 1, 0, 1, 1.0])
    mean = (10 * 1 + 10 * 3 + 10 * 5 + 10 * 7) / 40
    z = answered * (np.nan_to_num(df["y"].to_numpy()) - mean)
    cell_mean = np.array([z[:3].mean()] * 3 + [z[3:].mean()] * 2)
    u = w * (z - cell_mean) / 40
    se = math.sqrt(5 / 4 * ((u - u.mean()) ** 2).sum())
    got = wt.weighted_mean(df, "y", r)
    assert (got.estimate, got.se, got.n, got.sum_weights) == pytest.approx((mean, se, 4, 40), rel=1e-12)


def test_a_calibrated_margin_has_no_sampling_error():
    rng = np.random.default_rng(11)
    df = pd.DataFrame({"a": rng.choice(["x", "y", "z"], 150), "b": rng.choice(["u", "v"], 150)})
    r = wt.rake(df, [wt.margin("a", {"x": 50, "y": 30, "z": 20}), wt.margin("b", {"u": 40, "v": 60})])
    p = wt.weighted_proportions(df, "a", r)
    assert p.p == pytest.approx((0.5, 0.3, 0.2), abs=1e-12)
    assert max(p.se) < 1e-12
    naive = wt.weighted_proportions(df, "a", wt.design_weights(df.assign(w=r.weights), wt.SurveyDesign(weights="w")))
    assert min(naive.se) > 0.01


def test_overlapping_margins_rank_deficient_model():
    # Dealers nested in regions: a dealer margin and a region × age margin share sub-totals.
    rng = np.random.default_rng(5)
    dealer = rng.choice(["D1", "D2", "D3", "D4"], 400, p=[0.4, 0.3, 0.2, 0.1])
    df = pd.DataFrame(
        {
            "dealer": dealer,
            "region": np.where(np.isin(dealer, ["D1", "D2"]), "n", "s"),
            "age": rng.choice(["y", "o"], 400),
            "y": rng.normal(size=400),
        }
    )
    df.loc[df.index[:7], "y"] = np.nan
    dealers = wt.margin("dealer", {"D1": 200, "D2": 300, "D3": 250, "D4": 250})
    region_age = wt.margin(["region", "age"], {("n", "y"): 200, ("n", "o"): 300, ("s", "y"): 300, ("s", "o"): 200})
    r = wt.rake(df, [dealers, region_age])
    # Independent route: the same SE from a dense row-level pseudo-inverse (LS with d = 1).
    w = r.weights.to_numpy()
    x = np.column_stack(
        [pd.get_dummies(df["dealer"]).to_numpy(float), pd.get_dummies(df["region"] + df["age"]).to_numpy(float)]
    )
    assert np.linalg.matrix_rank(x) < x.shape[1]
    answered = df["y"].notna().to_numpy()
    mean = np.sum(w[answered] * df["y"][answered]) / w[answered].sum()
    z = np.where(answered, df["y"].fillna(0) - mean, 0.0)
    e = z - x @ (np.linalg.pinv(x) @ z)
    u = w * e / w[answered].sum()
    se = math.sqrt(len(u) / (len(u) - 1) * ((u - u.mean()) ** 2).sum())
    got = wt.weighted_mean(df, "y", r)
    assert (got.estimate, got.se) == pytest.approx((mean, se), rel=1e-10)


def test_domain_mean_equals_the_ratio_of_y0_to_answered():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"a": rng.choice(["x", "y"], 120), "y": rng.integers(1, 6, 120).astype(float)})
    df.loc[df.index[::9], "y"] = np.nan
    r = wt.rake(df, [wt.margin("a", {"x": 10, "y": 30})])
    mean = wt.weighted_mean(df, "y", r)
    ratio = wt.weighted_ratio(
        df.assign(y0=df["y"].fillna(0), answered=df["y"].notna().astype(float)), "y0", "answered", r
    )
    assert (mean.estimate, mean.se) == pytest.approx((ratio.estimate, ratio.se), rel=1e-12)
    assert mean.n == int(df["y"].notna().sum())


def test_nps_by_hand():
    df = pd.DataFrame({"ltr": [10, 9, 7, 3, None], "w": [2.0, 1.0, 1.0, 1.0, 1.0]})
    r = wt.weighted_nps(df, "ltr", wt.design_weights(df, wt.SurveyDesign(weights="w")))
    # (2·100 + 1·100 + 0 − 1·100) / 5 over the four who answered
    assert (r.nps, r.promoters_share, r.detractors_share, r.n) == pytest.approx((40, 0.6, 0.2, 4))
    with pytest.raises(ValueError, match="column 'ltr' holds 11; likelihood to recommend is a whole number 0-10"):
        wt.weighted_nps(df.assign(ltr=[11, 9, 7, 3, None]), "ltr", wt.design_weights(df))


def test_segments_are_domains_and_a_silent_segment_is_nan():
    df = pd.DataFrame({"y": [1.0, 3.0, 5.0, 7.0, np.nan], "g": ["a", "a", "b", "b", "c"]})
    res = wt.weighted_means_by(df, "y", "g", wt.design_weights(df))
    assert res.levels == ("a", "b", "c")
    assert [r.estimate for r in res.rows[:2]] == [2.0, 6.0]
    assert res.rows[2].n == 0 and math.isnan(res.rows[2].estimate)
    # Domain a: u = (y − 2)/2 on its rows, 0 elsewhere; n/(n−1) Σ (u − ū)² over all 5 rows.
    u = np.array([-0.5, 0.5, 0, 0, 0])
    assert res.rows[0].se == pytest.approx(math.sqrt(5 / 4 * ((u - u.mean()) ** 2).sum()), rel=1e-12)
    assert list(res.to_frame()["g"]) == ["a", "b", "c"]


def test_total_of_a_variable():
    df = pd.DataFrame({"g": ["A", "A", "B"], "y": [1.0, 2.0, 4.0]})
    t = wt.weighted_total(df, "y", wt.poststratify(df, wt.margin("g", {"A": 10, "B": 5})))
    # 5·1 + 5·2 + 5·4; the residual from the B cell mean is 0, from A ±2.5.
    assert t.estimate == 35
    u = np.array([-2.5, 2.5, 0.0])
    assert t.se == pytest.approx(math.sqrt(3 / 2 * (u**2).sum()), rel=1e-12)


def test_trimming_as_trimWeights():
    df = pd.DataFrame({"w": [1.0, 1.0, 4.0, 4.0, 10.0]})
    given = wt.design_weights(df, wt.SurveyDesign(weights="w"))
    once = wt.trim_weights(given, upper=5)
    # Cut 5 from the largest weight, +5/4 to each of the four inside the cap.
    assert once.weights.tolist() == pytest.approx([2.25, 2.25, 5.25, 5.25, 5])
    assert (once.trim.n_trimmed, once.trim.trimmed_excess, once.trim.added_to_each_untrimmed) == (1, 5.0, 1.25)
    strict = wt.trim_weights(given, upper=5, strict=True)
    # Repeated until nothing exceeds 5: the limit keeps the sum 20 with three weights at the cap.
    assert strict.weights.tolist() == pytest.approx([2.5, 2.5, 5, 5, 5], abs=1e-12)
    assert strict.weights.max() <= 5 and strict.weights.sum() == pytest.approx(20)
    assert strict.kish.deff < once.kish.deff < given.kish.deff
    with pytest.raises(ValueError, match="no 5 weights in"):
        wt.trim_weights(given, upper=3)


def test_trimmed_se_keeps_the_calibration_residual():
    rng = np.random.default_rng(9)
    df = pd.DataFrame({"a": rng.choice(["x", "y"], 200, p=[0.8, 0.2]), "y": rng.normal(size=200)})
    df["y"] += np.where(df["a"] == "x", 0.0, 3.0)
    r = wt.rake(df, [wt.margin("a", {"x": 500, "y": 500})])
    t = wt.trim_weights(r, upper=10)
    assert t.trim.n_trimmed == int((df["a"] == "y").sum())
    # R's rule (WEIGHTING.md): r = (w*/w)·z/Σw*, B = cell means of r (one margin, d = 1),
    # u = w·(r − B_cell), with w the raked and w* the trimmed weights.
    w, w_star, y = r.weights.to_numpy(), t.weights.to_numpy(), df["y"].to_numpy()
    mean = np.sum(w_star * y) / w_star.sum()
    resid = (w_star / w) * (y - mean) / w_star.sum()
    u = w * (resid - pd.Series(resid).groupby(df["a"]).transform("mean").to_numpy())
    got = wt.weighted_mean(df, "y", t)
    assert (got.estimate, got.se) == pytest.approx(
        (mean, math.sqrt(200 / 199 * ((u - u.mean()) ** 2).sum())), rel=1e-12
    )
    given = wt.design_weights(df.assign(w=t.weights), wt.SurveyDesign(weights="w"))
    # y is mostly explained by the margin, so forgetting the calibration inflates the SE.
    assert got.se < 0.6 * wt.weighted_mean(df, "y", given).se


def test_cluster_design_by_hand():
    df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1.0, 2.0, 3.0, 4.0, 5.0, 9.0]})
    m = wt.weighted_mean(df, "y", wt.design_weights(df, wt.SurveyDesign(ids="psu")))
    # ȳ = 4; PSU totals of (y − 4)/6: −5/6, −1/6, 1; var = 3/2 Σ U² (their mean is 0).
    assert m.estimate == 4
    assert m.se == pytest.approx(math.sqrt(1.5 * (25 + 1 + 36) / 36), rel=1e-12)
    with_fpc = df.assign(M=12)
    fpc = wt.weighted_mean(with_fpc, "y", wt.design_weights(with_fpc, wt.SurveyDesign(ids="psu", fpc="M")))
    # Without base weights, fpc gives d = M/m = 4 (R's svydesign); the mean is unchanged.
    assert fpc.estimate == 4 and fpc.se == pytest.approx(m.se * math.sqrt(1 - 3 / 12), rel=1e-12)


def test_stratified_design_centres_within_strata():
    df = pd.DataFrame(
        {"h": ["a"] * 4 + ["b"] * 4, "psu": [1, 1, 2, 2, 1, 1, 2, 2], "y": [1.0, 1.0, 3.0, 3.0, 10.0, 10.0, 10.0, 12.0]}
    )
    m = wt.weighted_total(df, "y", wt.design_weights(df, wt.SurveyDesign(ids="psu", strata="h")))
    # PSU totals: a 2, 6; b 20, 22; var = 2/1·(2² + 2²) + 2/1·(1² + 1²) = 20.
    assert m.estimate == 50 and m.se == pytest.approx(math.sqrt(20), rel=1e-12)
    with pytest.raises(ValueError, match="stratum 'b' has only 1 PSU"):
        wt.weighted_total(
            df, "y", wt.design_weights(df.assign(psu=[1, 1, 2, 2, 1, 1, 1, 1]), wt.SurveyDesign(ids="psu", strata="h"))
        )


def test_every_row_its_own_psu_is_the_unclustered_design():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"a": rng.choice(["x", "y"], 80), "y": rng.normal(size=80), "id": np.arange(80)})
    margins = [wt.margin("a", {"x": 1, "y": 1})]
    plain = wt.weighted_mean(df, "y", wt.rake(df, margins))
    clustered = wt.weighted_mean(df, "y", wt.rake(df, margins, design=wt.SurveyDesign(ids="id")))
    assert clustered.se == pytest.approx(plain.se, rel=1e-12)


def test_calibration_aware_se_is_right_by_simulation():
    # Repeated simple random samples from a population where y depends on the raking
    # variables: the mean SE is close to the spread of the estimates, the SE that ignores the
    # calibration is well above it (Deville & Särndal 1992; Lumley 2010, ch. 7).
    rng = np.random.default_rng(2026)
    size = 20_000
    pop = pd.DataFrame(
        {"a": rng.choice(["x", "y", "z"], size, p=[0.5, 0.3, 0.2]), "b": rng.choice(["u", "v"], size, p=[0.4, 0.6])}
    )
    pop["y"] = pop["a"].map({"x": 0.0, "y": 2.0, "z": 4.0}) + pop["b"].map({"u": 0.0, "v": 1.5})
    pop["y"] += rng.normal(size=size)
    margins = [wt.margin("a", pop["a"].value_counts().to_dict()), wt.margin("b", pop["b"].value_counts().to_dict())]
    estimates, ses, naive = [], [], []
    for _ in range(300):
        s = pop.sample(300, random_state=rng).reset_index(drop=True)
        r = wt.rake(s, margins)
        m = wt.weighted_mean(s, "y", r)
        estimates.append(m.estimate)
        ses.append(m.se)
        fixed = wt.design_weights(s.assign(w=r.weights), wt.SurveyDesign(weights="w"))
        naive.append(wt.weighted_mean(s, "y", fixed).se)
    spread = np.std(estimates, ddof=1)
    assert 0.85 < np.mean(ses) / spread < 1.15
    assert np.mean(naive) / spread > 1.5
    assert abs(np.mean(estimates) - pop["y"].mean()) < 3 * spread / math.sqrt(300)


def test_estimates_need_the_weighted_frame():
    df = pd.DataFrame({"g": ["A", "B"], "y": [1.0, 2.0]})
    r = wt.poststratify(df, wt.margin("g", {"A": 1, "B": 1}))
    with pytest.raises(ValueError, match="is not the one that was weighted"):
        wt.weighted_mean(df.iloc[:1], "y", r)
    with pytest.raises(ValueError, match="column 'z' not found"):
        wt.weighted_mean(df, "z", r)


def test_result_tables_and_summaries():
    df = _sex_age({("f", "y"): 2, ("f", "o"): 1, ("m", "y"): 1, ("m", "o"): 2}).assign(y=[1.0, 2, 3, 4, 5, 6])
    r = wt.trim_weights(wt.rake(df, [SEX, AGE]), upper=25)
    frame = r.to_frame()
    assert list(frame["margin"]) == ["sex", "sex", "age", "age"]
    assert frame["target"].tolist() == [60, 40, 50, 50]
    text = r.summary()
    assert "raking, trimmed" in text and "margin 'sex' over sex: 2 cells, counts (total 100)" in text
    assert "Kish deff" in text
    est = wt.weighted_mean(df, "y", r)
    assert est.to_frame().loc[0, "estimate"] == est.estimate
    assert "weighted mean of y" in est.summary()
    props = wt.weighted_proportions(df, "sex", r)
    assert props.to_frame()["category"].tolist() == ["f", "m"]
    with pytest.raises(AttributeError):
        r.method = "other"  # type: ignore[misc]


def test_tolerance_and_iteration_cap_are_settable():
    df = _sex_age({("f", "y"): 5, ("f", "o"): 1, ("m", "y"): 1, ("m", "o"): 3})
    loose = wt.rake(df, [SEX, AGE], tol=1e-3)
    tight = wt.rake(df, [SEX, AGE])
    assert 1e-12 <= loose.max_rel_error < 1e-3 and tight.max_rel_error < 1e-12
    assert loose.iterations < tight.iterations
    with pytest.raises(ValueError, match="raking did not converge in 2 sweeps: margin 'sex'"):
        wt.rake(df, [SEX, AGE], max_iter=2)
    # R rake()'s rule: stop once no crossed cell moves by tol (here 1 % of the base total) in a sweep.
    early = wt.rake(df, [SEX, AGE], criterion="change", tol=0.01, max_iter=100)
    assert early.iterations < tight.iterations
    assert early.weights.to_numpy() == pytest.approx(tight.weights.to_numpy(), rel=1e-2)
