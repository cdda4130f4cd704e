"""Clustered designs (ids, strata, fpc) checked without R: an independent computation and identities.

There is no R here to compute reference cases for clustered designs, so the linearisation SE of
analysis.weighting is checked two ways. First against a computation written in this file from
Lumley (2010): the influence values of a ratio mean (section 2.3), the post-stratification
residual as survey's ``svyrecvar`` forms it (``qr.resid`` of the influence values on the cell
indicators, section 7.4) and the one-stage stratified cluster variance with the finite-population
correction (sections 2.2 and 3.2). Then by identities any correct implementation satisfies:
clusters of one unit are no clusters, a population of PSUs that tends to infinity is no fpc,
a census of PSUs has no sampling variance, and neither the row order nor the PSU labels matter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import weighting as wt

VISITS = {"repair": 6000, "service": 9000, "body": 3000}


def stratified_clusters(seed: int = 3) -> pd.DataFrame:
    """Two regions (strata), 7 and 9 sampled dealers (PSUs) of 4-14 responses, a dealer effect, gaps in y."""
    rng = np.random.default_rng(seed)
    rows = []
    for region, dealers, population in (("north", 7, 20), ("south", 9, 45)):
        for d in range(dealers):
            effect = rng.normal(0, 0.6)
            for _ in range(rng.integers(4, 15)):
                rows.append(
                    {
                        "region": region,
                        "dealer": f"{region[0]}{d}",
                        "M": population,  # dealers in the region's population
                        "d": population / dealers * rng.uniform(0.8, 1.25),  # base weights, unequal
                        "visit": rng.choice(list(VISITS), p=[0.3, 0.5, 0.2]),
                        "y": float(np.clip(np.rint(7 + effect + rng.normal(0, 1.2)), 1, 10)),
                    }
                )
    frame = pd.DataFrame(rows)
    frame.loc[frame.index[::9], "y"] = np.nan  # item nonresponse: a domain estimate
    return frame


def lumley_se(frame: pd.DataFrame, w: np.ndarray, fpc: bool = True) -> float:
    """SE of the post-stratified domain mean of y under the stratified one-stage cluster design, by hand.

    x_i = w_i δ_i (y_i − ȳ)/Σ_D w (the mean's influence value); e_i = x_i − d_i Σ_cell x / Σ_cell d
    (the residual of x/√d regressed on the cell indicators times √d, multiplied back by √d);
    V = Σ_h (1 − m_h/M_h) m_h/(m_h − 1) Σ_{c∈h} (E_c − Ē_h)², E_c the dealer totals of e.
    """
    answered = frame["y"].notna().to_numpy()
    y = frame["y"].fillna(0).to_numpy()
    d = frame["d"].to_numpy()
    total = w[answered].sum()
    mean = (w * y)[answered].sum() / total
    x = np.where(answered, w * (y - mean) / total, 0.0)
    e = x.copy()
    for _, rows in frame.groupby("visit").indices.items():
        e[rows] = x[rows] - d[rows] * x[rows].sum() / d[rows].sum()
    variance = 0.0
    for _, region in frame.assign(e=e).groupby("region"):
        totals = region.groupby("dealer")["e"].sum().to_numpy()
        m = len(totals)
        f = m / region["M"].iloc[0] if fpc else 0.0
        variance += (1 - f) * m / (m - 1) * ((totals - totals.mean()) ** 2).sum()
    return float(np.sqrt(variance))


def _post(frame: pd.DataFrame, design: wt.SurveyDesign) -> wt.WeightingResult:
    return wt.poststratify(frame, wt.margin("visit", VISITS), design=design)


def test_clustered_post_stratified_se_matches_lumleys_formulas_by_hand():
    frame = stratified_clusters()
    result = _post(frame, wt.SurveyDesign(ids="dealer", strata="region", fpc="M", weights="d"))
    got = wt.weighted_mean(frame, "y", result)
    w = result.weights.to_numpy()
    answered = frame["y"].notna().to_numpy()
    assert got.estimate == pytest.approx(np.average(frame["y"][answered], weights=w[answered]), rel=1e-14)
    assert got.se == pytest.approx(lumley_se(frame, w), rel=1e-10)
    without_fpc = wt.weighted_mean(
        frame, "y", _post(frame, wt.SurveyDesign(ids="dealer", strata="region", weights="d"))
    )
    assert without_fpc.se == pytest.approx(lumley_se(frame, w, fpc=False), rel=1e-10)
    assert got.se < without_fpc.se  # 7 of 20 and 9 of 45 dealers sampled: the fpc shrinks the SE


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_clusters_of_one_unit_are_no_clusters(seed):
    frame = stratified_clusters(seed).assign(unit=lambda f: np.arange(len(f)), N=5000)
    margins = [wt.margin("visit", VISITS), wt.margin("region", {"north": 8000, "south": 10000})]
    for design_kw in ({}, {"strata": "region"}, {"strata": "region", "fpc": "N", "weights": "d"}):
        singletons = wt.rake(frame, margins, design=wt.SurveyDesign(ids="unit", **design_kw))
        plain = wt.rake(frame, margins, design=wt.SurveyDesign(**design_kw))
        a, b = wt.weighted_mean(frame, "y", singletons), wt.weighted_mean(frame, "y", plain)
        assert (a.estimate, a.se) == pytest.approx((b.estimate, b.se), rel=1e-12), design_kw


def test_an_infinite_population_of_psus_is_no_fpc():
    frame = stratified_clusters()
    plain = wt.weighted_mean(frame, "y", _post(frame, wt.SurveyDesign(ids="dealer", strata="region", weights="d")))
    previous = None
    for population in (1e3, 1e6, 1e12):
        big = frame.assign(M=population)
        se = wt.weighted_mean(
            big, "y", _post(big, wt.SurveyDesign(ids="dealer", strata="region", fpc="M", weights="d"))
        ).se
        assert se < plain.se and (previous is None or se > previous)  # (1 - f) rises to 1 as M grows
        previous = se
    assert previous == pytest.approx(plain.se, rel=1e-10)


def test_a_census_of_psus_has_no_sampling_variance():
    frame = stratified_clusters()
    census = frame.assign(M=frame.groupby("region")["dealer"].transform("nunique"))  # every dealer sampled
    result = _post(census, wt.SurveyDesign(ids="dealer", strata="region", fpc="M", weights="d"))
    assert wt.weighted_mean(census, "y", result).se == pytest.approx(0.0, abs=1e-14)


def test_row_order_and_psu_labels_do_not_matter():
    frame = stratified_clusters()
    design = wt.SurveyDesign(ids="dealer", strata="region", fpc="M", weights="d")
    base = wt.weighted_mean(frame, "y", _post(frame, design))
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    shuffled["dealer"] = shuffled["dealer"].map(lambda s: f"psu-{hash(s) % 997}-{s[::-1]}")
    again = wt.weighted_mean(shuffled, "y", _post(shuffled, design))
    assert (again.estimate, again.se) == pytest.approx((base.estimate, base.se), rel=1e-12)


def test_the_same_dealer_id_in_two_strata_is_two_psus():
    """PSU ids are nested in strata (R's nest = TRUE): renaming one region's dealers to the other's changes nothing."""
    frame = stratified_clusters()
    design = wt.SurveyDesign(ids="dealer", strata="region", weights="d")
    base = wt.weighted_mean(frame, "y", _post(frame, design))
    clash = frame.assign(dealer=frame["dealer"].str[1:])  # 'n0' and 's0' both become '0'
    again = wt.weighted_mean(clash, "y", _post(clash, design))
    assert again.se == pytest.approx(base.se, rel=1e-12)
    assert again.se == pytest.approx(lumley_se(frame, _post(frame, design).weights.to_numpy(), fpc=False), rel=1e-10)


def _residual_dealer_totals(frame: pd.DataFrame, x: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """Per region: (1 − m_h/M_h)·m_h/(m_h − 1) and the centred dealer totals of the post-stratification residuals of x."""
    d = frame["d"].to_numpy()
    e = x.copy()
    for _, rows in frame.groupby("visit").indices.items():
        e[rows] = x[rows] - d[rows, None] * x[rows].sum(axis=0) / d[rows].sum()
    out = []
    for _, rows in frame.groupby("region").indices.items():
        totals = pd.DataFrame(e[rows]).groupby(frame["dealer"].to_numpy()[rows]).sum().to_numpy()
        m = len(totals)
        out.append(((1 - m / frame["M"].iloc[rows[0]]) * m / (m - 1), totals - totals.mean(axis=0)))
    return out


def _domain_influence(frame: pd.DataFrame, w: np.ndarray, member: np.ndarray) -> tuple[np.ndarray, float]:
    y = frame["y"].fillna(0).to_numpy()
    total = w[member].sum()
    mean = (w * y)[member].sum() / total
    return np.where(member, w * (y - mean) / total, 0.0), mean


def test_covariance_of_segment_means_and_their_wald_test_by_hand():
    """Three segments crossing the post-strata in a clustered design: the full covariance, not independent means.

    The covariance of the domain means is Σ_h (1 − f_h) m_h/(m_h − 1) Σ_c (E_c − Ē_h)(E_c − Ē_h)ᵀ of the
    dealers' totals of the residual influence values (Lumley 2010, 2.2-2.4 and 7.4); the Wald test of equal
    means is X² = (Cȳ)ᵀ(CVCᵀ)⁻¹Cȳ with any full set of contrasts (here against the last segment), F = X²/2 on
    2 and (16 dealers − 2 regions) − 2 df, as regTermTest(svyglm(y ~ segment)) refers it.
    """
    from scipy import stats

    from analysis.weighted import domain_wald

    frame = stratified_clusters().assign(segment=lambda f: np.random.default_rng(8).choice(["a", "b", "c"], len(f)))
    result = _post(frame, wt.SurveyDesign(ids="dealer", strata="region", fpc="M", weights="d"))
    w = result.weights.to_numpy()
    answered = frame["y"].notna().to_numpy()
    pairs = [_domain_influence(frame, w, answered & (frame["segment"] == s).to_numpy()) for s in "abc"]
    x = np.column_stack([u for u, _ in pairs])
    means = np.array([m for _, m in pairs])
    cov = sum(f * c.T @ c for f, c in _residual_dealer_totals(frame, x))
    by = wt.weighted_means_by(frame, "y", "segment", result)
    assert np.array([r.estimate for r in by.rows]) == pytest.approx(means, rel=1e-13)
    assert by.covariance == pytest.approx(cov, rel=1e-9, abs=1e-15)
    assert [r.se for r in by.rows] == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-10)  # the same SEs as before
    assert by.df == 16 - 2
    correlation = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
    assert abs(correlation) > 1e-3  # the calibration makes disjoint segments' means dependent
    c = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, -1.0]])
    x2 = float((c @ means) @ np.linalg.solve(c @ cov @ c.T, c @ means))
    got = domain_wald(np.array([r.estimate for r in by.rows]), by.covariance, by.df)
    assert got == pytest.approx((x2, 2, 12, stats.f.sf(x2 / 2, 2, 12)), rel=1e-9)
    # treating them as independent (Cochran) gives another statistic
    s2 = np.diag(cov)
    pooled = (means / s2).sum() / (1 / s2).sum()
    assert x2 != pytest.approx(float(((means - pooled) ** 2 / s2).sum()), rel=1e-4)


def test_a_difference_of_domain_means_has_the_se_of_its_influence_difference():
    frame = stratified_clusters().assign(g=lambda f: np.arange(len(f)) % 3 == 0)
    result = _post(frame, wt.SurveyDesign(ids="dealer", strata="region", fpc="M", weights="d"))
    w = result.weights.to_numpy()
    answered = frame["y"].notna().to_numpy()
    g = frame["g"].to_numpy()
    (u1, m1), (u0, m0) = _domain_influence(frame, w, answered & g), _domain_influence(frame, w, answered & ~g)
    var = sum(f * (c**2).sum() for f, c in _residual_dealer_totals(frame, (u1 - u0)[:, None]))
    got = wt.weighted_mean_difference(frame, "y", "g", result)
    assert (*got.means, got.diff) == pytest.approx((m1, m0, m1 - m0), rel=1e-12)
    assert got.se == pytest.approx(np.sqrt(var), rel=1e-10)
    assert got.df == 16 - 2 - 1  # svyttest: degf − 1
    se1, se0 = (wt.weighted_means_by(frame, "y", "g", result).rows[i].se for i in (1, 0))
    assert got.se != pytest.approx(np.hypot(se1, se0), rel=1e-4)  # the covariance counts
