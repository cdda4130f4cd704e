"""Order effects by position in randomised lists: Kruskal-Wallis per item, Holm's adjustment."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis import analyze
from analysis.order_effects import holm, order_effects, positions_frame
from surveykit import load_questionnaire
from surveykit.randomize import item_positions
from surveykit.simulate import simulate
from tests.support.randomised import HEAD, SURVEY


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(SURVEY)


def test_holm_matches_r_p_adjust():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.03 0.06 0.06 0.02
    assert holm(np.array([0.01, 0.04, 0.03, 0.005])) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_kruskal_wallis_matches_r_and_the_formula():
    # R ?kruskal.test (Hollander & Wolfe 1973, p. 116): chi-squared = 0.77143, df = 2, p-value = 0.68
    x, y, z = [2.9, 3.0, 2.5, 2.6, 3.2], [3.8, 2.7, 4.0, 2.4], [2.8, 3.4, 3.7, 2.2, 2.0]
    h, p = stats.kruskal(x, y, z)
    assert h == pytest.approx(0.77143, abs=1e-5) and p == pytest.approx(0.68, abs=0.005)
    # the docstring's formula with the tie correction, on tied ratings
    groups = [np.array([1, 2, 2, 3, 5]), np.array([2, 3, 3, 4, 5, 5]), np.array([4, 4, 5, 5, 5])]
    pooled = np.concatenate(groups)
    ranks = stats.rankdata(pooled)
    n = len(pooled)
    sums, start = [], 0
    for g in groups:
        sums.append(ranks[start : start + len(g)].sum())
        start += len(g)
    raw = 12 / (n * (n + 1)) * sum(r**2 / len(g) for r, g in zip(sums, groups, strict=True)) - 3 * (n + 1)
    _, ties = np.unique(pooled, return_counts=True)
    expected = raw / (1 - (ties**3 - ties).sum() / (n**3 - n))
    assert stats.kruskal(*groups).statistic == pytest.approx(expected)


def test_positions_are_recomputed_from_the_seed(q):
    df = simulate(q, n=10, seed=2)
    pos = positions_frame(q, df["order_seed"])
    for i, seed in enumerate(df["order_seed"]):
        assert {k: v for k, v in pos.iloc[i].items()} == {k: p for k, (_, p) in item_positions(q, int(seed)).items()}


def test_a_planted_primacy_effect_is_found_and_nothing_else(q):
    df = simulate(q, n=900, seed=7)
    assert order_effects(q, df).flagged == []  # simulated answers do not depend on the order
    pos = positions_frame(q, df["order_seed"])
    # q2 is rated 1.5 points higher where it is shown first (clipped to the scale)
    df.loc[pos["q2"] == 1, "q2"] = (df.loc[pos["q2"] == 1, "q2"] + 1.5).round().clip(1, 5)
    result = order_effects(q, df)
    assert result.flagged == ["q2"]
    row = result.items.set_index("item").loc["q2"]
    assert row["mean_1"] - row[["mean_2", "mean_4"]].max() > 0.8
    assert "q3" not in set(result.items["item"])  # fixed: always at position 3, nothing to compare
    assert "q2" in result.summary() and "*" in result.summary()


def test_analyze_runs_it_only_for_randomised_questionnaires(q):
    assert analyze(q, simulate(q, n=200, seed=1)).order_effects is not None
    plain = load_questionnaire(HEAD + "pages:\n  - id: p\n    questions:\n      - {id: x, type: nps, text: X}\n")
    assert analyze(plain, simulate(plain, n=50, seed=1)).order_effects is None


def test_the_report_shows_the_section_only_when_something_is_randomised(q):
    from analysis.report import render_report

    df = simulate(q, n=300, seed=6)
    html, _ = render_report(q, analyze(q, df), lang="en")
    assert 'id="order-effects"' in html and "Order effects (randomised lists)" in html and "q2 – Two" in html
    plain = load_questionnaire(HEAD + "pages:\n  - id: p\n    questions:\n      - {id: x, type: nps, text: X}\n")
    html, _ = render_report(plain, analyze(plain, simulate(plain, n=50, seed=1)), lang="en")
    assert 'id="order-effects"' not in html
