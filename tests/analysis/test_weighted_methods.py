"""Survey weights in reliability, Kano, derived importance, penalty-reward and the loyalty matrix.

Each weighted method is checked three ways that cannot pass if the weights were ignored:
integer weights give exactly the result of the respondents repeated that many times (the
frequency-weight identity), equal weights give exactly the unweighted result, and the weighted
covariance matrix matches numpy's ``cov(aweights=...)`` pair by pair on data with gaps. A weight
vector that favours one kind of respondent must move the figure, and analyze() must pass its
calibrated weights to every one of these sections.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import analyze, ipa, kano, loyalty, reliability
from analysis.covariance import prepare, weighted_moments
from surveykit import load_questionnaire
from surveykit.simulate import simulate

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"


@pytest.fixture(scope="module")
def items():
    rng = np.random.default_rng(7)
    n = 240
    f = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            c: np.clip(np.round(4 + s * f + rng.normal(size=n)), 1, 7)
            for c, s in zip("abcde", (1, 0.8, 1.2, 0.6, 0.9), strict=True)
        }
    )
    frame["e"] = 8 - frame["e"]  # a reverse-keyed item
    return frame


def _repeat(frame: pd.DataFrame, w: np.ndarray) -> pd.DataFrame:
    return frame.loc[frame.index.repeat(w)].reset_index(drop=True)


def test_alpha_with_integer_weights_is_alpha_of_the_repeated_rows(items):
    w = np.random.default_rng(1).integers(1, 5, len(items))
    weighted = reliability.cronbach_alpha(items, reverse=["e"], scale=(1, 7), weights=w)
    repeated = reliability.cronbach_alpha(_repeat(items, w), reverse=["e"], scale=(1, 7))
    assert weighted.alpha == pytest.approx(repeated.alpha, abs=1e-12)
    assert weighted.std_alpha == pytest.approx(repeated.std_alpha, abs=1e-12)
    assert weighted.g6_smc == pytest.approx(repeated.g6_smc, abs=1e-12)
    for column in ("raw_r", "std_r", "r_drop", "mean", "alpha_if_deleted"):
        assert weighted.items[column].to_numpy() == pytest.approx(repeated.items[column].to_numpy(), abs=1e-12)
    assert weighted.scale_mean == pytest.approx(repeated.scale_mean, abs=1e-12)
    unweighted = reliability.cronbach_alpha(items, reverse=["e"], scale=(1, 7))
    assert abs(weighted.alpha - unweighted.alpha) > 1e-4  # the weights did something
    assert weighted.n_eff == pytest.approx(w.sum() ** 2 / (w**2).sum()) and unweighted.n_eff is None
    assert f"weighted, effective n {weighted.n_eff:.1f}" in weighted.summary()


def test_alpha_with_equal_weights_is_the_unweighted_alpha(items):
    gappy = items.copy()
    gappy.iloc[::17, 1] = np.nan
    gappy.iloc[5::23, 3] = np.nan
    plain = reliability.cronbach_alpha(gappy)
    equal = reliability.cronbach_alpha(gappy, weights=np.full(len(gappy), 41.5))
    assert equal.alpha == pytest.approx(plain.alpha, abs=1e-12)
    assert equal.ci == pytest.approx(plain.ci, abs=1e-12)  # Kish's n_eff = n for equal weights
    assert equal.ase == pytest.approx(plain.ase, abs=1e-12)
    numeric = plain.items.drop(columns="reversed").columns
    assert equal.items[numeric].to_numpy() == pytest.approx(plain.items[numeric].to_numpy(), abs=1e-12)


def test_weighted_covariance_is_numpys_pair_by_pair(items):
    gappy = items.copy()
    gappy.iloc[::11, 0] = np.nan
    gappy.iloc[3::13, 2] = np.nan
    w = np.random.default_rng(2).gamma(2.0, 1.5, len(gappy))
    m, n_eff = weighted_moments(prepare(gappy, (), None), w)
    x = gappy.to_numpy()
    k = x.shape[1]
    for i in range(k):
        for j in range(k):
            both = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
            expected = np.cov(x[both][:, [i, j]], rowvar=False, aweights=w[both])[0, 1]
            assert m.cov[i, j] == pytest.approx(expected, rel=1e-12)
    answered = ~np.isnan(x).all(axis=1)
    assert n_eff == pytest.approx(w[answered].sum() ** 2 / (w[answered] ** 2).sum(), rel=1e-14)
    c = m.cov
    alpha = k / (k - 1) * (1 - np.trace(c) / c.sum())
    assert reliability.cronbach_alpha(gappy, weights=w).alpha == pytest.approx(alpha, abs=1e-12)


def test_omega_with_integer_weights_is_omega_of_the_repeated_rows(items):
    w = np.random.default_rng(3).integers(1, 4, len(items))
    weighted = reliability.omega(items, reverse=["e"], scale=(1, 7), weights=w)
    repeated = reliability.omega(_repeat(items, w), reverse=["e"], scale=(1, 7))
    assert weighted.omega_total == pytest.approx(repeated.omega_total, abs=1e-10)
    assert weighted.omega_h == pytest.approx(repeated.omega_h, abs=1e-10)
    plain = reliability.omega(items, reverse=["e"], scale=(1, 7))
    assert reliability.omega(items, reverse=["e"], scale=(1, 7), weights=np.full(len(items), 2.0)).omega_total == (
        pytest.approx(plain.omega_total, abs=1e-12)
    )


@pytest.fixture(scope="module")
def kano_answers():
    rng = np.random.default_rng(5)
    answers = ["like", "must_be", "neutral", "live_with", "dislike"]
    n = 150
    return pd.DataFrame(
        {
            "f": rng.choice(answers, n, p=[0.5, 0.2, 0.15, 0.1, 0.05]),
            "d": rng.choice(answers, n, p=[0.05, 0.1, 0.25, 0.2, 0.4]),
            "si": rng.integers(1, 10, n).astype(float),
        }
    )


def test_kano_shares_with_integer_weights_are_those_of_the_repeated_rows(kano_answers):
    w = pd.Series(np.random.default_rng(6).integers(1, 6, len(kano_answers)), index=kano_answers.index)
    pairs = {"car": ("f", "d", "si")}
    weighted = kano.evaluate_pairs(kano_answers, pairs, weights=w).attributes.loc["car"]
    repeated = kano.evaluate_pairs(_repeat(kano_answers, w.to_numpy()), pairs).attributes.loc["car"]
    for column in [f"pct_{c}" for c in "AOMIRQ"] + [
        "better",
        "worse",
        "total_strength_pct",
        "dumouchel_functional_mean",
        "dumouchel_dysfunctional_mean",
        "self_stated_importance_mean",
    ]:
        assert weighted[column] == pytest.approx(repeated[column], abs=1e-12), column
    assert (weighted["dominant"], weighted["second"]) == (repeated["dominant"], repeated["second"])
    assert weighted["n_valid"] == len(kano_answers)  # counts stay counts of respondents
    assert weighted["n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum())


def test_kano_with_equal_weights_is_unweighted_and_weights_move_the_shares(kano_answers):
    pairs = {"car": ("f", "d", "si")}
    plain = kano.evaluate_pairs(kano_answers, pairs).attributes
    equal = kano.evaluate_pairs(kano_answers, pairs, weights=pd.Series(3.0, index=kano_answers.index)).attributes
    for column in plain.columns:
        if isinstance(plain[column].iloc[0], str) or plain[column].dtype == bool:
            assert equal[column].iloc[0] == plain[column].iloc[0], column
        else:
            assert float(equal[column].iloc[0]) == pytest.approx(float(plain[column].iloc[0]), abs=1e-12), column
    likes = (kano_answers["f"] == "like").astype(float) * 4 + 1  # those who like the function count 5 times
    moved = kano.evaluate_pairs(kano_answers, pairs, weights=likes).attributes.loc["car"]
    assert moved["better"] > plain.loc["car", "better"] + 0.05


@pytest.fixture(scope="module")
def ratings():
    rng = np.random.default_rng(8)
    n = 300
    x = rng.integers(1, 8, size=(n, 3)).astype(float)
    y = np.clip(np.round(0.5 * x[:, 0] + 0.3 * x[:, 1] + 0.1 * x[:, 2] + rng.normal(0, 1, n)), 1, 7)
    return pd.DataFrame({"p1": x[:, 0], "p2": x[:, 1], "p3": x[:, 2], "sat": y})


@pytest.mark.parametrize("method", ["relative_weights", "lmg", "pratt", "beta", "correlation"])
def test_derived_importance_with_integer_weights_is_that_of_the_repeated_rows(ratings, method):
    w = pd.Series(np.random.default_rng(9).integers(1, 5, len(ratings)), index=ratings.index)
    args = {"target": "sat", "attributes": ["p1", "p2", "p3"], "method": method}
    weighted = ipa.derived_importance(ratings, weights=w, **args)
    repeated = ipa.derived_importance(_repeat(ratings, w.to_numpy()), **args)
    assert weighted.importance.to_numpy() == pytest.approx(repeated.importance.to_numpy(), abs=1e-12)
    assert weighted.r_squared == pytest.approx(repeated.r_squared, abs=1e-12)
    plain = ipa.derived_importance(ratings, **args)
    equal = ipa.derived_importance(ratings, weights=pd.Series(7.0, index=ratings.index), **args)
    assert equal.importance.to_numpy() == pytest.approx(plain.importance.to_numpy(), abs=1e-12)
    assert np.abs(weighted.importance.to_numpy() - plain.importance.to_numpy()).max() > 1e-4


def test_weighted_regression_is_weighted_least_squares(ratings):
    w = np.random.default_rng(10).gamma(2.0, 1.0, len(ratings))
    fit = ipa.regression(ratings, "sat", ["p1", "p2", "p3"], weights=pd.Series(w, index=ratings.index))
    design = np.column_stack([np.ones(len(ratings)), ratings[["p1", "p2", "p3"]].to_numpy()])
    y = ratings["sat"].to_numpy()
    coef = np.linalg.solve(design.T @ (design * w[:, None]), design.T @ (w * y))  # the normal equations of WLS
    assert fit.attributes["b"].to_numpy() == pytest.approx(coef[1:], abs=1e-10)
    resid = y - design @ coef
    ybar = np.average(y, weights=w)
    assert fit.r_squared == pytest.approx(1 - (w @ resid**2) / (w @ (y - ybar) ** 2), abs=1e-12)


def test_penalty_reward_with_integer_weights_is_that_of_the_repeated_rows(ratings):
    w = pd.Series(np.random.default_rng(11).integers(1, 4, len(ratings)), index=ratings.index)
    args = {"low_if_le": 2, "high_if_ge": 6}
    weighted = ipa.penalty_reward(ratings, "sat", ["p1", "p2", "p3"], weights=w, **args).attributes
    repeated = ipa.penalty_reward(_repeat(ratings, w.to_numpy()), "sat", ["p1", "p2", "p3"], **args).attributes
    for column in ("penalty", "reward", "range_of_impact"):
        assert weighted[column].to_numpy() == pytest.approx(repeated[column].to_numpy(), abs=1e-10)


def test_loyalty_matrix_shares_are_weighted(ratings):
    rng = np.random.default_rng(12)
    ltr = pd.Series(rng.integers(0, 11, len(ratings)).astype(float), index=ratings.index)
    w = pd.Series(rng.integers(1, 5, len(ratings)), index=ratings.index)
    weighted = loyalty.satisfaction_loyalty_matrix(ratings["sat"], ltr, satisfied_if_ge=6, loyal_if_ge=9, weights=w)
    repeat = ratings.index.repeat(w.to_numpy())
    repeated = loyalty.satisfaction_loyalty_matrix(
        ratings["sat"][repeat].reset_index(drop=True),
        ltr[repeat].reset_index(drop=True),
        satisfied_if_ge=6,
        loyal_if_ge=9,
    )
    assert weighted.pct == pytest.approx(repeated.pct, abs=1e-12)
    assert weighted.to_frame()["pct"].to_numpy() == pytest.approx(list(repeated.pct), abs=1e-12)
    assert weighted.n == len(ratings)  # the counts are respondents
    plain = loyalty.satisfaction_loyalty_matrix(ratings["sat"], ltr, satisfied_if_ge=6, loyal_if_ge=9)
    assert plain.weighted_pct is None and max(abs(a - b) for a, b in zip(weighted.pct, plain.pct, strict=True)) > 0.1


KANO_WEIGHTING = """
weighting:
  margins:
    - fields: [dealer]
      shares: {d1: 0.7, d2: 0.3}
"""


def test_analyze_passes_its_weights_to_kano():
    q = load_questionnaire((ROOT / "kano_dealer.yaml").read_text(encoding="utf-8") + KANO_WEIGHTING)
    df = simulate(q, 200, seed=4, fields={"dealer": ["d1", "d2"]})
    result = analyze(q, df, exclude=())
    w = result.weighting.weights
    block = q.blocks("kano")[0].id
    direct = kano.evaluate(q, df.loc[w.index], block=block, weights=w).attributes
    got = result.kano[block].attributes
    assert got["better"].to_numpy() == pytest.approx(direct["better"].to_numpy(), abs=1e-12)
    assert got["n_eff"].to_numpy() == pytest.approx(direct["n_eff"].to_numpy(), abs=1e-12)
    assert not any("kano" in note for note in result.notes if "not weighted" in note)


def _weighted(name: str, n: int, seed: int) -> tuple:
    q = load_questionnaire(
        (ROOT / f"{name}.yaml").read_text(encoding="utf-8")
        + "\nweighting:\n  margins:\n    - fields: [dealer]\n      shares: {d1: 0.6, d2: 0.25, d3: 0.15}\n"
    )
    df = simulate(q, n, seed=seed, fields={"dealer": ["d1", "d2", "d3"]})
    result = analyze(q, df, exclude=())
    w = result.weighting.weights
    return q, df.loc[w.index], w, result


def test_analyze_passes_its_weights_to_reliability():
    q, data, w, result = _weighted("acsi_aftersales", 300, 5)
    assert result.reliability and result.omega
    for dim, rel in result.reliability.items():
        members = rel.items.index.tolist()
        scale = (q.variable(members[0]).min, q.variable(members[0]).max)
        direct = reliability.cronbach_alpha(data[members], reverse=list(rel.reversed), scale=scale, weights=w)
        assert rel.alpha == pytest.approx(direct.alpha, abs=1e-12), dim
        if dim in result.omega:
            omega = reliability.omega(data[members], reverse=list(rel.reversed), scale=scale, weights=w)
            assert result.omega[dim].omega_total == pytest.approx(omega.omega_total, abs=1e-12), dim


def test_analyze_passes_its_weights_to_derived_importance_and_the_loyalty_matrix():
    q, data, w, result = _weighted("dealer_aftersales_csi", 300, 5)
    block = next(iter(result.ipa.values()))
    derived = ipa.derived_importance(
        data,
        target=block.derived.target,
        attributes=list(block.derived.importance.index),
        method="relative_weights",
        weights=w,
    )
    assert block.derived.importance.to_numpy() == pytest.approx(derived.importance.to_numpy(), abs=1e-12)
    m = result.loyalty_matrix
    sat = next(v for v in ("sat_overall",) if v in data.columns)
    nps_id = next(question.id for question in q.questions() if question.type == "nps")
    direct = loyalty.satisfaction_loyalty_matrix(
        data[sat], data[nps_id], satisfied_if_ge=m.satisfied_if_ge, loyal_if_ge=m.loyal_if_ge, weights=w
    )
    assert m.weighted_pct == pytest.approx(direct.weighted_pct, abs=1e-12)


def test_domain_wald_without_calibration_is_cochrans_homogeneity_test():
    """Disjoint domains of a simple random sample are uncorrelated: the full-covariance Wald X² is Cochran's."""
    from scipy import stats

    from analysis import weighting as wt
    from analysis.weighted import domain_wald

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"y": rng.normal(70, 10, 90), "g": rng.choice(["a", "b", "c"], 90)})
    frame.loc[::7, "y"] = np.nan
    by = wt.weighted_means_by(frame, "y", "g", wt.design_weights(frame))
    means, se = np.array([r.estimate for r in by.rows]), np.array([r.se for r in by.rows])
    assert by.covariance[~np.eye(3, dtype=bool)] == pytest.approx(0.0, abs=1e-14)
    w = 1 / se**2
    pooled = (w * means).sum() / w.sum()
    x2 = float((w * (means - pooled) ** 2).sum())
    df2 = frame["y"].notna().sum() - 1 - 2  # the residual df of svyglm(y ~ g): n − 1 − (G − 1)
    assert domain_wald(means, by.covariance, by.df) == pytest.approx(
        (x2, 2, df2, stats.f.sf(x2 / 2, 2, df2)), rel=1e-10
    )
    assert domain_wald(np.array([5.0, 5.0]), np.diag([1.0, 4.0]), 30)[0] == 0.0
    with pytest.raises(ValueError, match="at least 2 segments"):
        domain_wald(np.array([5.0, 6.0]), np.diag([1.0, 0.0]), 30)
    with pytest.raises(ValueError, match="degrees of freedom"):
        domain_wald(np.array([5.0, 6.0, 7.0]), np.eye(3), 2)


@pytest.fixture(scope="module")
def acsi():
    q = load_questionnaire(ROOT / "acsi_aftersales.yaml")
    return q, simulate(q, 300, seed=2)


@pytest.mark.parametrize("scaled", [True, False])
def test_pls_with_integer_weights_is_pls_of_the_repeated_rows(acsi, scaled):
    from analysis import pls

    q, df = acsi
    blocks = {c.id: list(c.items) for c in q.model.constructs}
    w = pd.Series(np.random.default_rng(1).integers(1, 4, len(df)), index=df.index)
    weighted = pls.fit(df, blocks, q.model.paths, scheme=q.model.scheme, scaled=scaled, weights=w)
    repeated = pls.fit(_repeat(df, w.to_numpy()), blocks, q.model.paths, scheme=q.model.scheme, scaled=scaled)
    assert weighted.paths["estimate"].to_numpy() == pytest.approx(repeated.paths["estimate"].to_numpy(), abs=1e-12)
    assert weighted.outer["loading"].to_numpy() == pytest.approx(repeated.outer["loading"].to_numpy(), abs=1e-12)
    for column in ("r2", "ave", "rho_c", "rho_a", "alpha"):
        got, want = weighted.constructs[column].to_numpy(), repeated.constructs[column].to_numpy()
        assert got == pytest.approx(want, abs=1e-12, nan_ok=True), column
    assert weighted.htmt.to_numpy() == pytest.approx(repeated.htmt.to_numpy(), abs=1e-12, nan_ok=True)
    mapped, want = pls.ipma(weighted, "loyalty", (1, 10)).table, pls.ipma(repeated, "loyalty", (1, 10)).table
    assert mapped.to_numpy() == pytest.approx(want.to_numpy(), abs=1e-10)
    plain = pls.fit(df, blocks, q.model.paths, scheme=q.model.scheme, scaled=scaled)
    assert np.abs(weighted.paths["estimate"] - plain.paths["estimate"]).max() > 1e-3  # the weights did something


def test_pls_bootstrap_with_equal_weights_is_the_unweighted_bootstrap(acsi):
    from analysis import pls

    q, df = acsi
    blocks = {c.id: list(c.items) for c in q.model.constructs}
    plain = pls.fit(df, blocks, q.model.paths, scheme=q.model.scheme)
    equal = pls.fit(df, blocks, q.model.paths, scheme=q.model.scheme, weights=pd.Series(4.0, index=df.index))
    a = pls.bootstrap(plain, n_boot=100, seed=3, bca=False).estimates
    b = pls.bootstrap(equal, n_boot=100, seed=3, bca=False).estimates
    assert b["se"].to_numpy() == pytest.approx(a["se"].to_numpy(), rel=1e-9)
    with pytest.raises(ValueError, match="bca=False"):
        pls.bootstrap(equal, n_boot=10, seed=3)


def test_analyze_passes_its_weights_to_the_path_model():
    q, data, w, result = _weighted("acsi_aftersales", 300, 5)
    from analysis.pathmodel import fit_model

    direct = fit_model(q, data, weights=w, n_boot=0)
    assert result.path_model.paths["estimate"].to_numpy() == pytest.approx(
        direct.paths["estimate"].to_numpy(), abs=1e-12
    )
    assert result.path_model.n_eff == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert f"(weighted, effective n {result.path_model.n_eff:.1f})" in result.path_model.summary()
    from analysis.report import render_report

    html, _ = render_report(q, result, lang="en")
    assert f"n = {result.path_model.n_rows} (n_eff {result.path_model.n_eff:.0f}, deff " in html


def test_answer_percents_are_weighted_and_counts_stay_respondents():
    q, data, w, result = _weighted("dealer_aftersales_csi", 300, 6)
    assert result.frequencies
    for qid, table in result.frequencies.items():
        question = q.question(qid)
        if question.type != "choice":
            continue
        column = data[qid]
        answered = column.notna()
        for row in table.itertuples():
            chosen = column == row.code
            assert row.count == int(chosen.sum())
            assert row.percent == pytest.approx(100 * w[chosen].sum() / w[answered].sum(), abs=1e-10)


def test_category_scores_are_weighted_means():
    _q, _data, w, result = _weighted("customer_orientation_selftest", 240, 7)
    assert result.scoring is not None
    percents = result.scoring.respondents.filter(like="_percent")
    for column in percents:
        category = column.removesuffix("_percent")
        values = percents[column]
        present = values.notna()
        expected = float((values[present] * w[present]).sum() / w[present].sum())
        assert result.scoring.categories.loc[category, "percent"] == pytest.approx(expected, abs=1e-10)
        assert result.scoring.categories.loc[category, "n"] == int(present.sum())
        assert expected != pytest.approx(float(values.mean()), abs=1e-6)  # the weights moved it


def test_nps_by_segment_with_weights():
    rng = np.random.default_rng(13)
    n = 400
    ltr = pd.Series(rng.integers(0, 11, n).astype(float))
    seg = pd.Series(rng.choice(["a", "b", "c"], n))
    w = pd.Series(rng.gamma(2.0, 1.0, n))
    result = loyalty.nps_by_segment(ltr, seg, weights=w)
    for s, r in result.segments.items():
        m = seg == s
        p = w[m & (ltr >= 9)].sum() / w[m].sum()
        d = w[m & (ltr <= 6)].sum() / w[m].sum()
        n_eff = w[m].sum() ** 2 / (w[m] ** 2).sum()
        assert r.nps == pytest.approx(100 * (p - d), abs=1e-10)
        assert r.wald_se == pytest.approx(100 * np.sqrt((p + d - (p - d) ** 2) / n_eff), rel=1e-10)
        assert r.n == int(m.sum()) and r.n_promoters == int((m & (ltr >= 9)).sum())  # respondents
        assert result.counts.loc[s, "promoter"] == pytest.approx(r.n * p, rel=1e-10)
    assert np.isnan(result.chi2_p)  # Pearson's test is not valid for weighted counts
    equal = loyalty.nps_by_segment(ltr, seg, weights=pd.Series(2.0, index=ltr.index))
    plain = loyalty.nps_by_segment(ltr, seg)
    for s in plain.segments:
        assert equal.segments[s].nps == pytest.approx(plain.segments[s].nps, abs=1e-10)
        assert equal.segments[s].pct_promoters == pytest.approx(plain.segments[s].pct_promoters, abs=1e-10)


def test_the_report_shows_weighted_kano_shares():
    from analysis.report import render_report

    q = load_questionnaire((ROOT / "kano_dealer.yaml").read_text(encoding="utf-8") + KANO_WEIGHTING)
    result = analyze(q, simulate(q, 120, seed=8, fields={"dealer": ["d1", "d2"]}), exclude=())
    html, _ = render_report(q, result, lang="en")
    block = q.blocks("kano")[0].id
    section = html[html.index(f'<section id="kano-{block}">') :]
    row = result.kano[block].attributes.iloc[0]
    assert f"{row['pct_A']:.1f} %" in section and f"{row['pct_M']:.1f} %" in section
