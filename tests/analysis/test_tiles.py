"""The dashboard's figures from sums equal their peers computed on the raw answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from analysis import loyalty, segments, tiles


def _likert_rows(x: np.ndarray, points: int) -> list[dict[str, int]]:
    return [
        {
            "points": points,
            "n": len(x),
            "total": int(x.sum()),
            "total_sq": int((x * x).sum()),
            "top2": int((x >= points - 1).sum()),
        }
    ]


def _nps_rows(x: np.ndarray) -> list[dict[str, int]]:
    return [
        {
            "promoters": int((x >= 9).sum()),
            "passives": int(((x >= 7) & (x <= 8)).sum()),
            "detractors": int((x <= 6).sum()),
        }
    ]


def test_index_mean_and_welch_match_scipy() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.integers(1, 8, 57), rng.integers(2, 8, 31)
    # a period spread over two rows on different scales: 7 points and 5 points
    c = rng.integers(1, 6, 20)
    now = tiles.index_sums(_likert_rows(a, 7) + _likert_rows(c, 5))
    y_now = np.concatenate([100 * (a - 1) / 6, 100 * (c - 1) / 4])
    assert now.mean == pytest.approx(y_now.mean()) and now.var == pytest.approx(y_now.var(ddof=1))
    before = tiles.index_sums(_likert_rows(b, 7))
    change = tiles.welch_change(now, before)
    peer = stats.ttest_ind(y_now, 100 * (b - 1) / 6, equal_var=False)
    assert change.p == pytest.approx(peer.pvalue, rel=1e-9)
    assert change.diff == pytest.approx(y_now.mean() - (100 * (b - 1) / 6).mean())


def test_top2_change_matches_statsmodels() -> None:
    now, before = tiles.Proportion(40, 90), tiles.Proportion(22, 70)
    _z, p = proportions_ztest([40, 22], [90, 70])
    assert tiles.proportion_change(now, before).p == pytest.approx(p, rel=1e-9)


def test_nps_and_its_change_match_loyalty() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.integers(0, 11, 80), rng.integers(3, 11, 45)
    now, before = tiles.nps_counts(_nps_rows(a)), tiles.nps_counts(_nps_rows(b))
    peer_a, peer_b = loyalty.nps(pd.Series(a)), loyalty.nps(pd.Series(b))
    assert now.nps == pytest.approx(peer_a.nps)
    assert now.ci == pytest.approx(peer_a.adjusted_ci)
    assert math.sqrt(now.wald_var) == pytest.approx(peer_a.wald_se)
    assert tiles.nps_change(now, before).p == pytest.approx(loyalty.nps_difference(peer_a, peer_b).p_two_sided)


def test_holm_over_tiles_and_undefined_changes() -> None:
    changes = [tiles.Change(1, 0.01, "t"), None, tiles.Change(2, 0.04, "t"), tiles.Change(3, 0.03, "t")]
    out = tiles.changes_holm(changes)
    assert out[1] is None
    assert [c.p_holm for c in out if c] == pytest.approx(segments.holm([0.01, 0.04, 0.03]).tolist())
    assert [c.significant for c in out if c] == [True, False, False]
    assert math.isnan(tiles.welch_change(tiles.IndexSums(1, 50, 2500), tiles.IndexSums(5, 250, 12500)).p)


def test_funnel_position_uses_the_reports_limits() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(1, 8, 400)
    units = np.repeat(["A", "B", "C", "D"], 100)
    x[units == "D"] = rng.integers(1, 3, 100)  # far below everyone
    y = pd.Series(100 * (x - 1) / 6.0)
    peer = segments.funnel_limits(y, pd.Series(units))
    overall = tiles.index_sums(_likert_rows(x, 7))
    for unit in "ABCD":
        mine = tiles.funnel_position(tiles.index_sums(_likert_rows(x[units == unit], 7)), overall)
        position = peer.units.loc[unit, "position"]
        assert mine == ("within" if position in ("within", "above 95 %", "below 95 %") else position.split()[0])
    assert tiles.funnel_position(tiles.index_sums(_likert_rows(x[units == "D"], 7)), overall) == "below"
