"""Tests of analysis.pls beyond the reference cases (tests/reference/expected/pls_*.json).

The reference cases check Mode A with the centroid and path schemes on one data set; here
the other combinations (Mode B, factorial scheme, centred indicators, sign reflection) are
checked against a line-by-line transcription of the peer's R implementation of plspm
(tests/reference/generate_pls.R, ``pls_fit``) that works on the data, not on moment
matrices; the quality measures against their textbook formulas and large-sample values;
the bootstrap by its own properties (same seed, a resample is a fit of those rows, BCa
from a hand jackknife, interval coverage on data simulated from a known model).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import pls, reliability


def _simulate(n: int, rng: np.random.Generator, loading: float = 0.8) -> pd.DataFrame:
    """Five constructs, 17 items rated 0-10: L0 -> L1, L0 -> L2, L1 -> L2, L2 -> L3, L3 -> L4, L1 -> L4."""
    xi1 = rng.normal(size=n)
    xi2 = 0.5 * xi1 + np.sqrt(0.75) * rng.normal(size=n)
    eta1 = 0.4 * xi1 + 0.3 * xi2 + 0.8 * rng.normal(size=n)
    eta2 = 0.6 * eta1 + 0.8 * rng.normal(size=n)
    eta3 = 0.3 * xi2 + 0.5 * eta2 + 0.7 * rng.normal(size=n)
    cols = {}
    for k, (lv, size) in enumerate(zip([xi1, xi2, eta1, eta2, eta3], [4, 3, 4, 3, 3], strict=True)):
        lv = lv / lv.std()
        for i in range(size):
            latent = loading * lv + np.sqrt(1 - loading**2) * rng.normal(size=n)
            cols[f"x{k}{i}"] = np.clip(np.round(5 + 1.5 * latent), 0, 10)  # a 0-10 rating
    return pd.DataFrame(cols)


BLOCKS = {f"L{k}": [f"x{k}{i}" for i in range(size)] for k, size in enumerate([4, 3, 4, 3, 3])}
PATHS = [("L0", "L1"), ("L0", "L2"), ("L1", "L2"), ("L2", "L3"), ("L3", "L4"), ("L1", "L4")]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return _simulate(400, np.random.default_rng(20261203))


def _plspm_reference(
    df: pd.DataFrame,
    blocks: dict[str, list[str]],
    paths: list[tuple[str, str]],
    modes: dict[str, str],
    scheme: str,
    scaled: bool,
    tol: float = 1e-6,
) -> dict[str, np.ndarray]:
    """generate_pls.R's pls_fit, transcribed: plspm's algorithm on the data (divisor n inside)."""
    lvs = list(blocks)
    mvs = [i for b in blocks.values() for i in b]
    x = df[mvs].to_numpy(float)
    n, j = len(x), len(lvs)
    sdv = np.sqrt((n - 1) / n)
    x = x - x.mean(axis=0)
    if scaled:
        x = x / (x.std(axis=0, ddof=1) * sdv)
    p = np.zeros((j, j))
    for f, t in paths:
        p[lvs.index(t), lvs.index(f)] = 1
    odm = np.array([[m in blocks[lv] for lv in lvs] for m in mvs], dtype=float)
    w = odm / (x @ odm).std(axis=0)
    w_old = w.sum(axis=1)
    iterations = 0
    for it in range(1, 101):
        y = x @ w
        y = (y - y.mean(axis=0)) / y.std(axis=0, ddof=1) * sdv
        c = np.corrcoef(y, rowvar=False)
        if scheme == "centroid":
            e = np.sign(c * (p + p.T))
        elif scheme == "factorial":
            e = c * (p + p.T)
        else:
            e = np.zeros((j, j))
            for k in range(j):
                pred = np.flatnonzero(p[k])
                if pred.size:
                    e[pred, k] = np.linalg.lstsq(y[:, pred], y[:, k], rcond=None)[0]
                succ = np.flatnonzero(p[:, k])
                e[succ, k] = c[succ, k]
        z = y @ e
        for k, lv in enumerate(lvs):
            idx = odm[:, k] == 1
            if modes.get(lv, "A") == "A":
                w[idx, k] = x[:, idx].T @ z[:, k] / n
            else:
                w[idx, k] = np.linalg.lstsq(x[:, idx], z[:, k], rcond=None)[0]
        w_new = w.sum(axis=1)
        if ((np.abs(w_old) - np.abs(w_new)) ** 2).sum() < tol:
            iterations = it
            break
        w_old = w_new
    w = w / (x @ w).std(axis=0)
    lv = x @ w
    s = np.sign((np.sign(np.corrcoef(x, lv, rowvar=False)[: len(mvs), len(mvs) :]) * odm).sum(axis=0))
    s[s == 0] = -1
    lv, w = lv * s, w * s
    scores = lv * sdv
    b = np.zeros((j, j))
    r2 = np.full(j, np.nan)
    for k in range(j):
        pred = np.flatnonzero(p[k])
        if pred.size:
            design = np.column_stack([np.ones(n), scores[:, pred]])
            coef, *_ = np.linalg.lstsq(design, scores[:, k], rcond=None)
            b[k, pred] = coef[1:]
            resid = scores[:, k] - design @ coef
            r2[k] = 1 - (resid**2).sum() / ((scores[:, k] - scores[:, k].mean()) ** 2).sum()
    return {
        "weights": (w * sdv if not scaled else w).sum(axis=1),
        "scores": scores,
        "paths": b,
        "r2": r2,
        "iterations": np.array(iterations),
    }


@pytest.mark.parametrize("scheme", ["centroid", "factorial", "path"])
@pytest.mark.parametrize("modes", [{}, {"L0": "B", "L4": "B"}, {"L0": "B", "L1": "B", "L2": "B", "L3": "B", "L4": "B"}])
@pytest.mark.parametrize("scaled", [True, False])
def test_fit_matches_plspm_transcription(data, scheme, modes, scaled):
    got = pls.fit(data, BLOCKS, PATHS, modes=modes, scheme=scheme, scaled=scaled)
    ref = _plspm_reference(data, BLOCKS, PATHS, modes, scheme, scaled)
    assert got.iterations == int(ref["iterations"])
    np.testing.assert_allclose(got.outer["weight"], ref["weights"], atol=1e-12)
    np.testing.assert_allclose(got.scores.to_numpy(), ref["scores"], atol=1e-11)
    np.testing.assert_allclose(got.path_matrix.to_numpy(), ref["paths"], atol=1e-12)
    np.testing.assert_allclose(got.constructs["r2"], ref["r2"], atol=1e-12)
    assert got.scores.std(ddof=1).to_numpy() == pytest.approx(np.ones(5), abs=1e-12)


def test_single_item_block(data):
    # plspm's and seminr's convention: weight 1, loading 1, every reliability 1; left out of GoF's mean
    blocks = BLOCKS | {"L1": ["x10"]}
    got = pls.fit(data, blocks, PATHS, scheme="path")
    ref = _plspm_reference(data, blocks, PATHS, {}, "path", True)
    np.testing.assert_allclose(got.path_matrix.to_numpy(), ref["paths"], atol=1e-12)
    assert got.outer.loc["x10", ["weight", "loading"]].tolist() == pytest.approx([1, 1], abs=1e-12)
    assert got.constructs.loc["L1", ["ave", "rho_c", "rho_a", "alpha", "dg_rho"]].tolist() == pytest.approx([1] * 5)
    multi = got.outer.drop(index="x10")
    assert got.gof == pytest.approx(np.sqrt(multi["communality"].mean() * got.constructs["r2"].mean()))
    assert np.isnan(got.htmt.loc["L1", "L0"])


def test_inner_model_and_effects_follow_from_the_scores(data):
    res = pls.fit(data, BLOCKS, PATHS, scheme="path")
    n = res.n_rows_used
    for k, row in res.constructs.iterrows():
        preds = [f for f, t in PATHS if t == k]
        if not preds:
            assert np.isnan(row["r2"]) and np.isnan(row["r2_adj"])
            continue
        design = np.column_stack([np.ones(n), res.scores[preds]])
        coef, *_ = np.linalg.lstsq(design, res.scores[k], rcond=None)
        assert coef[1:] == pytest.approx(res.path_matrix.loc[k, preds].to_numpy(), abs=1e-12)
        r2 = np.corrcoef(design @ coef, res.scores[k])[0, 1] ** 2
        assert row["r2"] == pytest.approx(r2, abs=1e-12)
        assert row["r2_adj"] == pytest.approx(1 - (1 - r2) * (n - 1) / (n - len(preds) - 1), abs=1e-12)
    b = res.path_matrix
    effects = res.effects.set_index(["from", "to"])
    # L0 -> L2: direct, plus L0 -> L1 -> L2; L0 -> L4 only through chains
    assert effects.loc[("L0", "L2"), "indirect"] == pytest.approx(b.loc["L1", "L0"] * b.loc["L2", "L1"], abs=1e-12)
    chains = (
        b.loc["L1", "L0"] * b.loc["L4", "L1"]
        + (b.loc["L2", "L0"] + b.loc["L1", "L0"] * b.loc["L2", "L1"]) * b.loc["L3", "L2"] * b.loc["L4", "L3"]
    )
    assert effects.loc[("L0", "L4"), "total"] == pytest.approx(chains, abs=1e-12)
    assert effects.loc[("L0", "L4"), "direct"] == 0
    assert (effects["total"] - effects["direct"] - effects["indirect"]).abs().max() < 1e-15
    assert len(effects) == 10  # every ordered pair joined by a directed path, and no other
    assert ("L4", "L0") not in effects.index


def test_measurement_quality_formulas(data):
    res = pls.fit(data, BLOCKS, PATHS)
    outer = res.outer
    for k, items in BLOCKS.items():
        lam = outer.loc[items, "loading"].to_numpy()
        row = res.constructs.loc[k]
        assert row["ave"] == pytest.approx((lam**2).mean(), abs=1e-14)
        assert row["rho_c"] == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum()), abs=1e-14)
        assert row["alpha"] == pytest.approx(reliability.cronbach_alpha(data[items]).std_alpha, abs=1e-12)
        r = data[items].corr().to_numpy()
        ev, vec = np.linalg.eigh(r)
        lp = np.abs(np.sqrt(ev[-1]) * vec[:, -1])
        assert row["dg_rho"] == pytest.approx(lp.sum() ** 2 / (lp.sum() ** 2 + (1 - lp**2).sum()), abs=1e-12)
        assert np.corrcoef(data[items].to_numpy().T, res.scores[k])[-1, :-1] == pytest.approx(lam, abs=1e-12)
    cross = np.corrcoef(data[list(outer.index)].to_numpy().T, res.scores.to_numpy().T)[:17, 17:]
    np.testing.assert_allclose(res.cross_loadings.to_numpy(), cross, atol=1e-12)
    endo = res.constructs["r2"].dropna()
    assert res.gof == pytest.approx(np.sqrt((outer["loading"] ** 2).mean() * endo.mean()), abs=1e-14)
    # HTMT by its definition (absolute correlations), one pair by hand
    r = data.corr().abs()
    a, b = BLOCKS["L0"], BLOCKS["L2"]
    mono = [(r.loc[blk, blk].to_numpy().sum() - len(blk)) / (len(blk) * (len(blk) - 1)) for blk in (a, b)]
    assert res.htmt.loc["L0", "L2"] == pytest.approx(r.loc[a, b].to_numpy().mean() / np.sqrt(mono[0] * mono[1]))
    assert np.isnan(res.htmt.loc["L0", "L0"])


def test_htmt_and_rho_a_are_consistent_in_large_samples():
    # Henseler et al. (2015): HTMT estimates the construct correlation for tau-equivalent
    # blocks; Dijkstra & Henseler (2015): rho_A is consistent for the composite's reliability
    # (w'lambda)^2 / (w' Sigma w) under a common factor model.
    rng = np.random.default_rng(5)
    n, phi = 200_000, 0.5
    f = rng.normal(size=n)
    g = phi * f + np.sqrt(1 - phi**2) * rng.normal(size=n)
    lam = np.array([0.9, 0.8, 0.7, 0.6])
    cols = {f"a{i}": 0.7 * f + np.sqrt(0.51) * rng.normal(size=n) for i in range(3)}
    cols |= {f"b{i}": lam[i] * g + np.sqrt(1 - lam[i] ** 2) * rng.normal(size=n) for i in range(4)}
    df = pd.DataFrame(cols)
    res = pls.fit(df, {"A": ["a0", "a1", "a2"], "B": ["b0", "b1", "b2", "b3"]}, [("A", "B")])
    # population HTMT: mean cross correlation 0.7 phi mean(lam) over sqrt(0.49 x mean lam_i lam_j, i != j)
    mono_b = (lam.sum() ** 2 - (lam**2).sum()) / 12
    assert res.htmt.loc["A", "B"] == pytest.approx(0.7 * phi * lam.mean() / np.sqrt(0.49 * mono_b), abs=0.01)
    w = res.outer.loc[["b0", "b1", "b2", "b3"], "weight"].to_numpy()
    sigma = np.outer(lam, lam) + np.diag(1 - lam**2)
    assert res.constructs.loc["B", "rho_a"] == pytest.approx((w @ lam) ** 2 / (w @ sigma @ w), abs=0.005)


def test_sign_rule_reflects_a_construct_whose_items_mostly_disagree():
    rng = np.random.default_rng(11)
    n = 500
    f = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "a": f + 0.5 * rng.normal(size=n),
            "b": -0.3 * f + rng.normal(size=n),
            "c": -0.3 * f + rng.normal(size=n),
            "d1": 0.7 * f + rng.normal(size=n),
            "d2": 0.7 * f + rng.normal(size=n),
        }
    )
    res = pls.fit(df, {"F": ["a", "b", "c"], "D": ["d1", "d2"]}, [("F", "D")])
    assert res.sign_flipped == ("F",)
    loadings = res.outer["loading"]
    assert loadings["b"] > 0 and loadings["c"] > 0 and loadings["a"] < 0
    assert res.path_matrix.loc["D", "F"] < 0
    ref = _plspm_reference(df, {"F": ["a", "b", "c"], "D": ["d1", "d2"]}, [("F", "D")], {}, "centroid", True)
    np.testing.assert_allclose(res.scores.to_numpy(), ref["scores"], atol=1e-12)


def test_reversed_items_reverse_the_construct_and_its_paths(data):
    base = pls.fit(data, BLOCKS, PATHS)
    flipped = data.assign(**{c: -data[c] for c in BLOCKS["L0"]})
    res = pls.fit(flipped, BLOCKS, PATHS)
    assert res.sign_flipped == () and base.sign_flipped == ()
    np.testing.assert_allclose(res.scores["L0"], -base.scores["L0"], atol=1e-12)
    assert res.path_matrix.loc["L1", "L0"] == pytest.approx(-base.path_matrix.loc["L1", "L0"], abs=1e-12)
    assert res.outer["loading"].to_numpy() == pytest.approx(base.outer["loading"].to_numpy(), abs=1e-12)
    np.testing.assert_allclose(res.htmt.to_numpy(), base.htmt.to_numpy(), atol=1e-12)  # absolute correlations


def test_listwise_deletion_and_score_index(data):
    df = data.copy()
    df.index = df.index + 1000
    df.loc[1003, "x20"] = np.nan
    df.loc[1007, "x41"] = np.nan
    df["unused"] = np.nan  # a column outside the model plays no part
    res = pls.fit(df, BLOCKS, PATHS)
    assert (res.n_rows_raw, res.n_rows_used) == (400, 398)
    assert 1003 not in res.scores.index and 1008 in res.scores.index
    complete = pls.fit(df.drop(index=[1003, 1007]).drop(columns="unused"), BLOCKS, PATHS)
    np.testing.assert_allclose(res.scores.to_numpy(), complete.scores.to_numpy(), atol=1e-13)


@pytest.mark.parametrize(
    ("blocks", "paths", "kwargs", "message"),
    [
        ({"A": [], "B": ["x10"]}, [("A", "B")], {}, "construct 'A' has no indicators"),
        (
            {"A": ["x00"], "B": ["x10"], "C": ["x20"]},
            [("A", "B"), ("B", "C"), ("C", "A")],
            {},
            "cycle A -> B -> C -> A",
        ),
        ({"A": ["x00", "nope"], "B": ["x10"]}, [("A", "B")], {}, "column 'nope' is not in the data"),
        ({"A": ["x00"], "B": ["x10"]}, [("A", "Z")], {}, "unknown construct 'Z'"),
        ({"A": ["x00"], "B": ["x10"]}, [("A", "A")], {}, "points a construct at itself"),
        ({"A": ["x00"], "B": ["x10"], "C": ["x20"]}, [("A", "B")], {}, "construct 'C' is on no path"),
        ({"A": ["x00"], "B": ["x00"]}, [("A", "B")], {}, "item 'x00' is listed under both 'A' and 'B'"),
        ({"A": ["x00"], "B": ["x10"]}, [("A", "B")], {"modes": {"A": "C"}}, "mode 'C'"),
        ({"A": ["x00"], "B": ["x10"]}, [("A", "B")], {"scheme": "horst"}, "scheme 'horst' is not known"),
        ({"A": ["x00"], "B": ["x10"]}, [], {}, "no structural path"),
        ({"A": ["x00", "const"], "B": ["x10"]}, [("A", "B")], {}, "column 'const' is constant"),
        ({"A": ["x00", "text"], "B": ["x10"]}, [("A", "B")], {}, "column 'text' is not numeric"),
        (
            {"A": ["x00", "x01", "dup"], "B": ["x10"]},
            [("A", "B")],
            {"modes": {"A": "B"}},
            "construct 'A' (Mode B): its indicators are linearly dependent",
        ),
        (
            {"A": ["x00", "x01"], "B": ["x10", "x11"]},
            [("A", "B")],
            {"tol": 1e-30, "maxiter": 2},
            "did not converge in 2 iterations",
        ),
    ],
)
def test_bad_models_are_clear_errors(data, blocks, paths, kwargs, message):
    df = data.assign(const=3.0, text="a", dup=data["x00"] + data["x01"])
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        pls.fit(df, blocks, paths, **kwargs)


@pytest.mark.parametrize("scaled", [True, False])
def test_ipma_definitions(data, scaled):
    res = pls.fit(data, BLOCKS, PATHS, scheme="path", scaled=scaled)
    ip = pls.ipma(res, "L4", (0, 10))
    assert list(ip.table.index) == ["L0", "L1", "L2", "L3"]
    sums = ip.rescaled_weights.groupby(res.outer["construct"]).sum()
    assert sums.to_numpy() == pytest.approx(np.ones(5), abs=1e-14)
    rescaled = data * 10
    assert ip.performance.to_numpy() == pytest.approx(
        [(rescaled[items] @ ip.rescaled_weights[items]).mean() for items in BLOCKS.values()], abs=1e-10
    )
    # importance = standardized total effect x sd(target) / sd(driver) (Ringle & Sarstedt 2016)
    sd = ip.rescaled_scores.std()
    total = res.effects.set_index(["from", "to"])["total"]
    for k, row in ip.table.iterrows():
        assert row["importance"] == pytest.approx(total[(k, "L4")] * sd["L4"] / sd[k], abs=1e-10)
    assert ip.target_performance == pytest.approx(ip.performance["L4"])
    # an item on another scale, declared as such, changes nothing
    wide = data.assign(x00=data["x00"] * 2 + 1)
    scales = dict.fromkeys(res.outer.index, (0, 10)) | {"x00": (1, 21)}
    if scaled:  # centred items weigh by their variance, so only standardized ones are unchanged
        ip2 = pls.ipma(pls.fit(wide, BLOCKS, PATHS, scheme="path"), "L4", scales)
        np.testing.assert_allclose(ip2.table.to_numpy(), ip.table.to_numpy(), atol=1e-10)


@pytest.mark.parametrize(
    ("target", "scale", "message"),
    [
        ("L9", (0, 10), "target 'L9' is not a construct"),
        ("L0", (0, 10), "target 'L0' has no construct leading to it"),
        ("L4", (0, 5), "item 'x00' has values outside \\[0, 5\\]"),
        ("L4", (5, 5), "min 5 not below max 5"),
        ("L4", {"x00": (0, 10)}, "no \\(min, max\\) for item 'x01'"),
    ],
)
def test_ipma_errors(data, target, scale, message):
    res = pls.fit(data, BLOCKS, PATHS)
    with pytest.raises(ValueError, match=message):
        pls.ipma(res, target, scale)


def test_bootstrap_is_seeded_and_each_resample_is_a_fit_of_its_rows(data):
    res = pls.fit(data, BLOCKS, PATHS, scheme="factorial", modes={"L0": "B"})
    one = pls.bootstrap(res, n_boot=50, seed=3, bca=False)
    two = pls.bootstrap(res, n_boot=50, seed=3, bca=False)
    other = pls.bootstrap(res, n_boot=50, seed=4, bca=False)
    pd.testing.assert_frame_equal(one.draws, two.draws)
    assert not np.allclose(one.draws.to_numpy(), other.draws.to_numpy())
    rows = np.random.default_rng(3).integers(0, len(data), size=(50, len(data)))
    for b in (0, 17, 49):
        refit = pls.fit(data.iloc[rows[b]].reset_index(drop=True), BLOCKS, PATHS, scheme="factorial", modes={"L0": "B"})
        draw = one.draws.iloc[b]
        assert draw[[f"path:{f}->{t}" for f, t in PATHS]].to_numpy() == pytest.approx(
            refit.paths["estimate"].to_numpy(), abs=1e-12
        )
        assert draw.filter(like="weight:").to_numpy() == pytest.approx(refit.outer["weight"].to_numpy(), abs=1e-12)
        r2 = refit.constructs["r2"].dropna().to_numpy()
        assert draw.filter(like="r2:").to_numpy() == pytest.approx(r2, abs=1e-12)
    est = one.estimates.set_index(["kind", "name"])
    assert est.loc[("path", "L0->L1"), "estimate"] == pytest.approx(res.path_matrix.loc["L1", "L0"], abs=1e-13)
    kinds = est.index.get_level_values("kind")
    # indirect effects only where a chain of two or more paths exists
    assert sorted(est.loc["indirect"].index) == ["L0->L2", "L0->L3", "L0->L4", "L1->L3", "L1->L4", "L2->L4"]
    assert (kinds == "total").sum() == 10 and (kinds == "weight").sum() == 17
    draws = one.draws["path:L2->L3"]
    assert est.loc[("path", "L2->L3"), "se"] == pytest.approx(draws.std(ddof=1))
    assert est.loc[("path", "L2->L3"), "ci_low"] == pytest.approx(draws.quantile(0.025))
    t = est.loc[("path", "L1->L4"), "estimate"] / est.loc[("path", "L1->L4"), "se"]
    assert est.loc[("path", "L1->L4"), "p_value"] == pytest.approx(2 * stats.t.sf(abs(t), len(data) - 1))
    assert one.estimates["bca_low"].isna().all()


def test_bca_interval_from_a_hand_jackknife():
    rng = np.random.default_rng(8)
    df = _simulate(40, rng)
    blocks = {"L0": BLOCKS["L0"], "L2": BLOCKS["L2"], "L3": BLOCKS["L3"]}
    paths = [("L0", "L2"), ("L2", "L3")]
    res = pls.fit(df, blocks, paths)
    boot = pls.bootstrap(res, n_boot=300, seed=9, conf_level=0.9)
    theta = res.effects.set_index(["from", "to"]).loc[("L0", "L3"), "indirect"]
    jack = np.array(
        [
            pls.fit(df.drop(index=i), blocks, paths).effects.set_index(["from", "to"]).loc[("L0", "L3"), "indirect"]
            for i in df.index
        ]
    )
    draws = boot.draws["indirect:L0->L3"].to_numpy()
    z0 = stats.norm.ppf((draws < theta).mean())
    dev = jack.mean() - jack
    a = (dev**3).sum() / (6 * ((dev**2).sum()) ** 1.5)
    z = stats.norm.ppf([0.05, 0.95])
    ends = np.quantile(draws, stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z))))
    row = boot.estimates.set_index(["kind", "name"]).loc[("indirect", "L0->L3")]
    assert [row["bca_low"], row["bca_high"]] == pytest.approx(list(ends), abs=1e-12)
    assert row["p_percentile"] == pytest.approx(min(1, 2 * min((draws <= 0).mean(), (draws >= 0).mean())))


def test_percentile_intervals_cover_the_population_paths():
    # The estimand of PLS on finite samples is the PLS path of the population, here taken
    # from one sample of 300,000 rows of the same model. 60 samples of 200, 400 resamples
    # each: about 95 % of the 360 percentile intervals of the six paths must cover it, and the
    # bootstrap SE must match the spread of the estimates over the samples.
    rng = np.random.default_rng(42)
    truth = pls.fit(_simulate(300_000, rng), BLOCKS, PATHS).paths["estimate"].to_numpy()
    covered, estimates, ses = [], [], []
    for _ in range(60):
        res = pls.fit(_simulate(200, rng), BLOCKS, PATHS)
        boot = pls.bootstrap(res, n_boot=400, seed=int(rng.integers(1 << 31)), bca=False)
        paths = boot.estimates[boot.estimates["kind"] == "path"]
        covered.append((paths["ci_low"].to_numpy() <= truth) & (truth <= paths["ci_high"].to_numpy()))
        estimates.append(paths["estimate"].to_numpy())
        ses.append(paths["se"].to_numpy())
    coverage = np.mean(covered)
    assert 0.89 <= coverage <= 0.99, coverage
    ratio = np.mean(ses, axis=0) / np.std(estimates, axis=0, ddof=1)
    assert ((ratio > 0.75) & (ratio < 1.33)).all(), ratio


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_boot": 1}, "n_boot must be at least 2"),
        ({"conf_level": 1.0}, "conf_level must be between 0 and 1"),
    ],
)
def test_bootstrap_arguments(data, kwargs, message):
    res = pls.fit(data, BLOCKS, PATHS)
    with pytest.raises(ValueError, match=message):
        pls.bootstrap(res, **kwargs)


def test_result_tables_and_text(data):
    res = pls.fit(data, BLOCKS, PATHS)
    frame = res.to_frame()
    assert list(frame["construct"]) == list(BLOCKS)
    assert frame.loc[frame["construct"] == "L2", "n_items"].item() == 4
    text = res.summary()
    assert "centroid scheme" in text and "n = 400" in text and f"GoF = {res.gof:.3f}" in text
    boot = pls.bootstrap(res, n_boot=20, seed=1, bca=False)
    assert "20 of 20 resamples" in boot.summary() and "L1->L4" in boot.summary()
    ip = pls.ipma(res, "L4", (0, 10))
    assert ip.to_frame()["construct"].tolist() == ["L0", "L1", "L2", "L3"]
    assert f"performance {ip.target_performance:.1f}" in ip.summary()
