"""analysis.ipa: grid, regression and importance decompositions, penalty-reward analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import ipa


def _survey(n: int = 120, k: int = 3, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = rng.normal(size=n)
    x = {f"x{j}": np.clip(np.round(6.5 + 1.3 * (0.6 * q + 0.8 * rng.normal(size=n))), 1, 10) for j in range(1, k + 1)}
    df = pd.DataFrame(x)
    df["os"] = np.clip(
        np.round(2 + sum((j / k) * 0.5 * df[f"x{j}"] for j in range(1, k + 1)) + rng.normal(0, 0.8, n)), 1, 10
    )
    for j in range(1, k + 1):
        df[f"i{j}"] = np.clip(np.round(4 + j * 0.5 + rng.normal(0, 1, n)), 1, 7)
    return df


def test_regression_matches_least_squares_and_decompositions_sum_to_r2():
    df = _survey()
    xs = ["x1", "x2", "x3"]
    fit = ipa.regression(df, "os", xs)
    design = np.column_stack([np.ones(len(df)), df[xs]])
    coef, *_ = np.linalg.lstsq(design, df["os"], rcond=None)
    assert fit.attributes["b"].to_numpy() == pytest.approx(coef[1:], abs=1e-10)
    assert fit.intercept == pytest.approx(coef[0], abs=1e-10)
    resid = df["os"] - design @ coef
    r2 = 1 - (resid**2).sum() / ((df["os"] - df["os"].mean()) ** 2).sum()
    assert fit.r_squared == pytest.approx(r2, abs=1e-12)
    # Johnson (2000) weights, LMG (Lindeman et al. 1980) and Pratt all decompose R².
    for column in ("relative_weight", "lmg", "pratt"):
        assert fit.attributes[column].sum() == pytest.approx(fit.r_squared, abs=1e-12)
    for column in ("relative_weight_pct", "lmg_pct"):
        assert fit.attributes[column].sum() == pytest.approx(100.0)
    sigma2 = (resid**2).sum() / (len(df) - 4)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(design.T @ design)))
    assert fit.attributes["b_se"].to_numpy() == pytest.approx(se[1:], abs=1e-10)
    assert (fit.df1, fit.df2, fit.n) == (3, len(df) - 4, len(df))
    assert "R²" in fit.summary()


def test_two_predictor_closed_forms():
    df = _survey(k=2)
    fit = ipa.regression(df, "os", ["x1", "x2"])
    r = df[["x1", "x2", "os"]].corr().to_numpy()
    r12, r1, r2 = r[0, 1], r[0, 2], r[1, 2]
    # With two predictors LMG is the average of the two orderings (Lindeman et al. 1980).
    assert fit.attributes.loc["x1", "lmg"] == pytest.approx((r1**2 + fit.r_squared - r2**2) / 2, abs=1e-12)
    assert fit.attributes.loc["x1", "vif"] == pytest.approx(1 / (1 - r12**2), abs=1e-12)
    assert fit.attributes.loc["x1", "beta_std"] == pytest.approx((r1 - r12 * r2) / (1 - r12**2), abs=1e-12)


def test_relative_weights_of_uncorrelated_predictors_are_squared_correlations():
    # Two orthogonal +/-1 columns: L = I, so Johnson's weights are r².
    x1 = np.tile([1.0, -1.0], 20)
    x2 = np.repeat([1.0, -1.0], 20)
    y = x1 + 0.5 * x2 + np.tile([0.3, -0.1, 0.2, -0.4], 10)
    df = pd.DataFrame({"x1": x1, "x2": x2, "os": y})
    fit = ipa.regression(df, "os", ["x1", "x2"])
    assert fit.attributes["relative_weight"].to_numpy() == pytest.approx(fit.attributes["r"].to_numpy() ** 2)
    assert fit.attributes["lmg"].to_numpy() == pytest.approx(fit.attributes["r"].to_numpy() ** 2)


@pytest.mark.parametrize("method", ["lmg", "relative_weights", "pratt", "beta", "correlation"])
def test_derived_importance_methods(method):
    df = _survey()
    result = ipa.derived_importance(df, target="os", attributes=["x1", "x2", "x3"], method=method)
    assert result.pct.sum() == pytest.approx(100.0)
    assert result.method == method
    assert list(result.to_frame()["attribute"]) == ["x1", "x2", "x3"]
    assert method in result.summary()


def test_lmg_refuses_more_than_fifteen_attributes():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(60, 17)), columns=[f"a{j}" for j in range(17)])
    with pytest.raises(ValueError, match="limited to 15 attributes, got 16"):
        ipa.derived_importance(df, target="a0", attributes=[f"a{j}" for j in range(1, 17)], method="lmg")
    weights = ipa.derived_importance(
        df, target="a0", attributes=[f"a{j}" for j in range(1, 17)], method="relative_weights"
    )
    assert weights.importance.sum() == pytest.approx(weights.r_squared)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.assign(x2=5.0), "column 'x2' is constant"),
        (lambda d: d.assign(os=7.0), "column 'os' is constant"),
        (lambda d: d.assign(x3=d["x1"] * 2 - 1), "column 'x3' is a linear combination"),
        (
            lambda d: d.assign(x1=d["x1"].astype(str).where(d.index != 3, "ten")),
            "column 'x1' holds a non-numeric value 'ten'",
        ),
        (lambda d: d.assign(x2=np.nan), "column 'x2' has no values"),
        (lambda d: d.head(4), "4 complete rows"),
        (lambda d: d.drop(columns="x3"), "column 'x3' not found"),
    ],
)
def test_regression_bad_input(change, message):
    with pytest.raises(ValueError, match=message):
        ipa.regression(change(_survey()), "os", ["x1", "x2", "x3"])


def test_unknown_method():
    with pytest.raises(ValueError, match="method must be one of"):
        ipa.derived_importance(_survey(), target="os", attributes=["x1"], method="shapley")


def test_quadrants_count_the_crosshair_as_high():
    imp = pd.Series({"a": 5.0, "b": 5.0, "c": 4.9, "d": 4.9})
    perf = pd.Series({"a": 6.0, "b": 5.9, "c": 6.0, "d": 5.9})
    got = ipa.quadrants(imp, perf, (5.0, 6.0))  # Martilla & James (1977) labels
    assert got.tolist() == ["Keep up the good work", "Concentrate here", "Possible overkill", "Low priority"]


def test_grid_crosshairs():
    df = _survey()
    pairs = {"x1": ("x1", "i1"), "x2": ("x2", "i2"), "x3": ("x3", "i3")}
    data = ipa.grid(df, pairs)
    means_i = df[["i1", "i2", "i3"]].mean()
    means_p = df[["x1", "x2", "x3"]].mean()
    assert data.crosshair == pytest.approx((means_i.mean(), means_p.mean()))
    scale = ipa.grid(df, pairs, crosshair="scale", performance_scale=(1, 10), importance_scale=(1, 7))
    assert scale.crosshair == (4.0, 5.5)  # scale midpoints (1+7)/2 and (1+10)/2
    median = ipa.grid(df, pairs, crosshair="data_median")
    assert median.crosshair == pytest.approx((means_i.median(), means_p.median()))
    fixed = ipa.grid(df, pairs, crosshair=(7.0, 10.0))
    assert set(fixed.attributes["quadrant"]) == {"Low priority"}
    assert "crosshair" in data.summary()
    with pytest.raises(ValueError, match="needs performance_scale and importance_scale"):
        ipa.grid(df, pairs, crosshair="scale")
    with pytest.raises(ValueError, match="crosshair must be"):
        ipa.grid(df, pairs, crosshair="middle")


def test_penalty_reward_by_hand():
    # One attribute, cells low / middle / high with means 3, 6, 7: penalty = 3 - 6, reward = 7 - 6.
    x = [2, 2, 5, 5, 5, 9, 9, 9, 9]
    y = [3.5, 2.5, 6, 5, 7, 7.5, 6.5, 7, 7]
    result = ipa.penalty_reward(pd.DataFrame({"x": x, "os": y}), "os", ["x"], low_if_le=4, high_if_ge=9)
    row = result.attributes.loc["x"]
    assert (row["n_low"], row["n_high"]) == (2, 4)
    assert row["penalty"] == pytest.approx(-3.0) and row["reward"] == pytest.approx(1.0)
    assert row["range_of_impact"] == pytest.approx(4.0)
    # Mikulić & Prebežac (2008): SGP - DGP = 1/4 - 3/4.
    assert row["impact_asymmetry"] == pytest.approx(-0.5)
    assert result.intercept == pytest.approx(6.0)
    assert "Penalty-reward" in result.summary()


def test_penalty_reward_without_low_answers_and_positive_penalty():
    df = _survey()
    df["x1"] = df["x1"].clip(lower=5)  # nobody rates x1 low: no penalty is defined
    result = ipa.penalty_reward(df, "os", ["x1", "x2", "x3"], low_if_le=4, high_if_ge=9)
    row = result.attributes.loc["x1"]
    assert row["n_low"] == 0 and np.isnan(row["penalty"]) and np.isnan(row["impact_asymmetry"])
    assert not np.isnan(result.attributes.loc["x2", "reward"])


def test_penalty_reward_cut_points():
    with pytest.raises(ValueError, match="must be below"):
        ipa.penalty_reward(_survey(), "os", ["x1"], low_if_le=8, high_if_ge=8)


@pytest.mark.parametrize(
    ("penalty", "penalty_p", "reward", "reward_p", "label"),
    [
        (-0.8, 0.001, 0.1, 0.60, "basic"),  # Brandt (1987): penalty only, a minimum requirement
        (-0.1, 0.400, 0.7, 0.01, "excitement"),  # reward only, value-enhancing
        (-0.6, 0.010, 0.5, 0.02, "performance"),  # both ("hybrid")
        (-0.1, 0.300, 0.1, 0.40, "unclassified"),  # neither
        (-0.8, 0.050, 0.1, 0.60, "unclassified"),  # p = alpha is not significant (p < alpha)
        (-0.8, 0.0499999, 0.1, 0.60, "basic"),  # just below the threshold
        (-0.6, 0.010, 0.5, 0.05, "basic"),  # the reward sits on the threshold
        (0.0, 0.001, 0.0, 0.001, "unclassified"),  # coefficients of 0 have no sign
        (0.8, 0.001, 0.1, 0.60, "unclassified"),  # a significant positive penalty is no penalty
        (-0.1, 0.600, -0.7, 0.01, "unclassified"),  # nor a significant negative reward a reward
        (np.nan, np.nan, 0.7, 0.01, "excitement"),  # nobody rated it low: no penalty is defined
    ],
)
def test_brandt_label(penalty, penalty_p, reward, reward_p, label):
    assert ipa.brandt_label(penalty, penalty_p, reward, reward_p) == label


def test_brandt_label_threshold_is_a_parameter():
    assert ipa.brandt_label(-0.8, 0.07, 0.1, 0.6) == "unclassified"
    assert ipa.brandt_label(-0.8, 0.07, 0.1, 0.6, alpha=0.10) == "basic"
    with pytest.raises(ValueError, match="alpha must lie"):
        ipa.brandt_label(-0.8, 0.07, 0.1, 0.6, alpha=1.0)


def _cells(low: float, high: float, seed: int) -> pd.DataFrame:
    """One attribute rated 2 (low), 6 (middle) or 9 (high), 60 each; satisfaction = 6 + cell shift + noise."""
    rng = np.random.default_rng(seed)
    x = np.repeat([2.0, 6.0, 9.0], 60)
    y = 6 + np.repeat([low, 0.0, high], 60) + rng.normal(0, 0.5, 180)
    return pd.DataFrame({"x": x, "os": y})


@pytest.mark.parametrize(
    ("low", "high", "label"),
    [
        (-1.5, 0.0, "basic"),
        (0.0, 1.5, "excitement"),
        (-1.5, 1.5, "performance"),
        (0.0, 0.0, "unclassified"),
    ],
)
def test_penalty_reward_labels_constructed_factors(low, high, label):
    # Penalty and reward are the cell-mean differences from the middle (6): -1.5 is about 16 standard
    # errors (0.5 * sqrt(2/60) = 0.09), 0 is noise, so each label is clear at alpha = 0.05.
    result = ipa.penalty_reward(_cells(low, high, seed=3), "os", ["x"], low_if_le=4, high_if_ge=8)
    frame = result.to_frame()
    assert frame.loc[0, "label"] == label
    assert result.alpha == 0.05 and "labels at p < 0.05" in result.summary() and label in result.summary()


def test_penalty_reward_label_alpha_is_passed_through():
    # a small penalty: significant at 0.10 but not at 0.001
    df = _cells(-0.25, 0.0, seed=5)
    loose = ipa.penalty_reward(df, "os", ["x"], low_if_le=4, high_if_ge=8, alpha=0.10)
    strict = ipa.penalty_reward(df, "os", ["x"], low_if_le=4, high_if_ge=8, alpha=0.001)
    p = loose.attributes.loc["x", "penalty_p"]
    assert 0.001 < p < 0.10
    assert loose.attributes.loc["x", "label"] == "basic" and strict.attributes.loc["x", "label"] == "unclassified"
