"""analysis.planning: sample size and margin of error, and power by simulation of planted effects."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats

from analysis import analyze, planning, plots
from analysis.planning.power import _holm_rows
from analysis.priorities import improvement_priorities
from analysis.segments import holm
from surveykit import load_questionnaire
from surveykit.scenario import load_scenario
from surveykit.simulate import simulate

# A dealer instrument with everything a scenario can plant on: overall satisfaction, a dealer field,
# a SERVQUAL block over two dimensions and a Kano block.
INSTRUMENT = """\
survey: plan
version: 1
title: {zh: 规划, en: Plan}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
scales:
  a5: {points: 5}
  a7: {points: 7}
dimensions:
  rel: {zh: 可靠性, en: Reliability}
  emp: {zh: 移情性, en: Empathy}
pages:
  - id: p1
    questions:
      - {id: sat_overall, type: likert, scale: a5, text: {zh: a, en: b}}
  - type: servqual
    id: sq
    scale: a7
    items:
      - {id: r1, dimension: rel, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}
      - {id: r2, dimension: rel, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}
      - {id: e1, dimension: emp, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}
      - {id: e2, dimension: emp, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}
  - type: kano
    id: kn
    attributes:
      - {id: car, functional: {zh: a, en: b}, dysfunctional: {zh: a, en: b}}
"""


def scenario_text(dealer: float = -5, change: float = 3, gap: float = -0.3) -> str:
    return f"""\
level: 70
dealers: [D1, D2, D3, D4, D5]
waves: [W1, W2]
effects:
  dealer: {{dealer: D3, index: {dealer}}}
  change: {{index: {change}}}
  servqual_gap: {{dimension: emp, gap: {gap}}}
  kano_mix: {{attribute: car, mix: {{M: 0.4, O: 0.25, A: 0.1, I: 0.25}}}}
"""


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(INSTRUMENT)


# ---------------------------------------------------------------------------------------------
# sample size


def test_proportion_matches_statsmodels():
    from statsmodels.stats.proportion import samplesize_confint_proportion

    for p, half, conf in [(0.5, 0.05, 0.95), (0.3, 0.05, 0.95), (0.8, 0.03, 0.90), (0.65, 0.1, 0.99)]:
        got = planning.sample_size(half, planning.sd_proportion(p), conf_level=conf)
        # statsmodels: n = p (1 - p) z^2 / half^2, unrounded, no fpc
        expected = samplesize_confint_proportion(p, half, alpha=1 - conf)
        assert got.n_infinite == pytest.approx(expected, rel=1e-12)
        assert got.units.loc["all", "n"] == math.ceil(expected)


def test_classic_figures_and_inverse():
    # 1.96^2 * 0.25 / 0.05^2 = 384.16 -> 385 (Cochran 1977, 4.4)
    result = planning.sample_size(0.05, planning.sd_proportion(0.5))
    assert result.units.loc["all", "n"] == 385
    assert "385" in result.summary() and list(result.to_frame().columns) == ["unit", "population", "n", "margin_at_n"]
    # the rounded-up n meets the margin, one fewer does not
    for sd, margin, deff, pop in [(1.8, 0.25, 1.0, None), (20.0, 5.0, 1.7, 800), (0.5, 0.04, 2.0, 1500)]:
        n = int(planning.sample_size(margin, sd, deff=deff, population=pop).units["n"].iloc[0])
        assert planning.margin_of_error(n, sd, deff=deff, population=pop) <= margin + 1e-12
        assert planning.margin_of_error(n - 1, sd, deff=deff, population=pop) > margin


def test_fpc_and_design_effect():
    n0 = 1.959963984540054**2 * 1.5**2 / 0.2**2
    # Cochran (1977): n = n0 / (1 + n0/N)
    got = planning.sample_size(0.2, 1.5, population=400)
    assert got.units.loc["all", "n"] == math.ceil(n0 / (1 + n0 / 400))
    # Kish (1965): the design effect multiplies n0
    assert planning.sample_size(0.2, 1.5, deff=2.0).n_infinite == pytest.approx(2 * n0)
    # a population smaller than the requirement is a census
    assert planning.sample_size(0.01, 1.5, population=50).units.loc["all", "n"] == 50
    assert planning.margin_of_error(50, 1.5, population=50) == 0.0


def test_per_dealer_and_total():
    pops = {"D1": 300, "D2": 1200, "D3": 5000}
    result = planning.sample_size(10, planning.sd_nps(0.5, 0.2), population=pops)
    units = result.units
    assert list(units.index) == ["D1", "D2", "D3", "total", "network"]
    n0 = result.n_infinite
    for dealer, size in pops.items():
        assert units.loc[dealer, "n"] == math.ceil(n0 / (1 + n0 / size))
    assert units.loc["total", "n"] == units.loc[["D1", "D2", "D3"], "n"].sum()
    # stratified margin of the network estimate (Cochran 1977, 5.9), by hand
    big_n = sum(pops.values())
    var = sum(
        (size / big_n) ** 2 * (1 - units.loc[d, "n"] / size) * result.sd**2 / units.loc[d, "n"]
        for d, size in pops.items()
    )
    assert units.loc["total", "margin_at_n"] == pytest.approx(stats.norm.ppf(0.975) * math.sqrt(var))
    assert units.loc["network", "n"] == math.ceil(n0 / (1 + n0 / big_n))


def test_nps_sd_is_the_trinomial_sd():
    # 50 promoters, 30 passives, 20 detractors: the population SD of +100 / 0 / -100 scores
    scores = np.repeat([100.0, 0.0, -100.0], [50, 30, 20])
    assert planning.sd_nps(0.5, 0.2) == pytest.approx(scores.std(ddof=0), abs=1e-12)
    assert planning.sd_nps(1.0, 0.0) == 0.0
    with pytest.raises(ValueError, match="adding up to at most 1"):
        planning.sd_nps(0.7, 0.4)


def test_index_and_pilot_sd():
    assert planning.sd_index(1.8, (1, 10)) == pytest.approx(20.0)
    pilot = pd.Series([3, 4, 5, 4, None, 2], name="sat")
    assert planning.pilot_sd(pilot) == pytest.approx(np.std([3, 4, 5, 4, 2], ddof=1))
    with pytest.raises(ValueError, match=r"'sat'.*at least 2"):
        planning.pilot_sd(pd.Series([3, None], name="sat"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"margin": 0, "sd": 1}, "margin must be positive"),
        ({"margin": 0.1, "sd": -1}, "SD must be 0 or more"),
        ({"margin": 0.1, "sd": 1, "deff": 0}, "design effect must be positive"),
        ({"margin": 0.1, "sd": 1, "conf_level": 1.0}, "conf_level"),
        ({"margin": 0.1, "sd": 1, "population": {}}, "empty mapping"),
        ({"margin": 0.1, "sd": 1, "population": {"D1": 0}}, r"'D1'.*at least 1"),
    ],
)
def test_sample_size_refuses_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        planning.sample_size(**kwargs)


# ---------------------------------------------------------------------------------------------
# power by simulation


def test_holm_rows_is_holm_per_row():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.2, (50, 4))
    p[3, 1] = np.nan
    adjusted = _holm_rows(p)
    for row, got in zip(p, adjusted, strict=True):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(row))
        assert got[~np.isnan(got)] == pytest.approx(holm(row)[~np.isnan(row)], abs=1e-15)


def test_vectorised_rules_decide_as_the_report_functions(q):
    # moderate effects, so that both outcomes occur; the loop runs funnel_limits, over_waves,
    # servqual.gaps and kano.evaluate on each replicate of the same simulated data
    s = load_scenario(scenario_text(dealer=-8, change=4, gap=-0.15), q)
    fast = planning.power(q, s, n_per_dealer=40, reps=60, seed=11)
    slow = planning.power(q, s, n_per_dealer=40, reps=60, seed=11, method="loop")
    pd.testing.assert_frame_equal(fast.table, slow.table)
    assert fast.table["power"].between(0.05, 0.95).sum() >= 2
    assert fast.method == "vectorised" and slow.method == "loop"


def test_planted_effects_are_found_at_a_generous_n(q):
    s = load_scenario(scenario_text(dealer=-10, change=6, gap=-0.4), q)
    result = planning.power(q, s, n_per_dealer=200, reps=100, seed=3)
    power = result.table.set_index("effect")["power"]
    # a dealer 10 index points below the rest passes the 99.8 % funnel limit
    assert power["dealer"] >= 0.90
    assert power["change"] >= 0.90 and power["servqual_gap"] >= 0.90 and power["kano_mix"] >= 0.90
    # the planted dealer pulls the funnel's centre down, so the others now and then pass the upper limit
    assert result.table.set_index("effect").loc["dealer", "false_alarm"] < 0.1
    text = result.summary()
    assert "D3" in text and "emp" in text and "dominant M" in text


def test_no_planted_effect_gives_the_nominal_false_alarm_rate(q):
    # a planted 0 counts a finding on either side: its "power" is the rule's false-positive rate
    s = load_scenario(scenario_text(dealer=0, change=0, gap=0), q)
    reps = 400
    table = planning.power(q, s, n_per_dealer=100, reps=reps, seed=5, funnel_coverage=0.95).table.set_index("effect")

    def near(rate, expected, trials):
        return abs(rate - expected) < 4 * math.sqrt(expected * (1 - expected) / trials)

    # The funnel's centre includes the dealer itself: with k = 5 equal dealers z has SD sqrt(1 - 1/k),
    # so a dealer falls outside the 95 % limits with probability 2 Phi(-1.96 / sqrt(0.8)) = 0.0285.
    expected = 2 * stats.norm.cdf(-stats.norm.ppf(0.975) / math.sqrt(0.8))
    assert near(table.loc["dealer", "power"], expected, reps)
    assert near(table.loc["dealer", "false_alarm"], expected, 4 * reps)
    # Welch's test of the change between the waves at alpha = 0.05
    assert near(table.loc["change", "power"], 0.05, reps)
    # Holm over 2 null dimensions keeps the family-wise rate at or below 5 %; each one is
    # rejected with about 0.025 + 0.025^2
    for rate in (table.loc["servqual_gap", "power"], table.loc["servqual_gap", "false_alarm"]):
        assert 0.005 <= rate <= 0.06


def test_power_grid_chart_and_result(q):
    s = load_scenario(scenario_text(), q)
    result = planning.power(q, s, n_per_dealer=[20, 60], reps=30, seed=1)
    table = result.to_frame()
    assert list(table["n_per_dealer"].unique()) == [20, 60]
    # the smallest n of the grid with at least 80 % power, per effect
    for effect, rows in table.groupby("effect"):
        enough = rows.loc[rows["power"] >= 0.8, "n_per_dealer"]
        subject = rows["subject"].iloc[0]
        expected = f"reached at n = {enough.min()} per dealer" if len(enough) else "not reached up to n = 60"
        assert f"80 % power for {effect} {subject}: {expected}" in result.summary()
    assert len(table) == 8 and (table["ci_low"] <= table["power"]).all() and (table["power"] <= table["ci_high"]).all()
    fig = plots.power_curve(table, lang="en")
    assert isinstance(fig, Figure)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 5  # four effects and the 80 % line
    assert lines[0].get_xdata().tolist() == [20.0, 60.0]
    assert fig.get_suptitle() == "Power against sample size"
    with pytest.raises(ValueError, match="lacks column"):
        plots.power_curve(table.drop(columns="power"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_per_dealer": 41}, "multiple of the 2 wave"),
        ({"n_per_dealer": 40, "method": "fast"}, "method must be one of"),
        ({"n_per_dealer": 40, "reps": 0}, "reps must be at least 1"),
        ({"n_per_dealer": 40, "funnel_coverage": 1.0}, "between 0 and 1"),
    ],
)
def test_power_refuses_bad_input(q, kwargs, message):
    with pytest.raises(ValueError, match=message):
        planning.power(q, load_scenario(scenario_text(), q), **kwargs)


def test_waves_must_be_listed_in_the_reports_order(q):
    s = load_scenario(scenario_text().replace("[W1, W2]", "[W2, W1]"), q)
    with pytest.raises(ValueError, match="label order"):
        planning.power(q, s, n_per_dealer=40, reps=5)


def test_the_report_finds_what_a_scenario_plants():
    # End to end through analyze() and the report's improvement priorities, on the shipped SERVQUAL
    # instrument at a generous n (200 per dealer): the planted dealer is the one funnel priority and
    # the planted dimension's items are the SERVQUAL priorities; nothing else was planted.
    sq = load_questionnaire(Path(__file__).resolve().parents[2] / "questionnaires" / "servqual.yaml")
    s = load_scenario(
        """\
dealers: [D1, D2, D3, D4, D5]
effects:
  dealer: {dealer: D3, index: -10}
  servqual_gap: {dimension: responsiveness, gap: -0.4}
""",
        sq,
    )
    result = analyze(sq, simulate(sq, 1000, seed=1, scenario=s))
    found = improvement_priorities(sq, result, lang="en", limit=20)
    assert [(p.kind, p.subject) for p in found if p.kind == "funnel"] == [("funnel", "D3")]
    gaps = [p for p in found if p.kind == "servqual"]
    responsiveness = [item.id for item in sq.blocks("servqual")[0].items if item.dimension == "responsiveness"]
    assert sorted(p.subject for p in gaps) == sorted(responsiveness)
    dims = result.servqual["sq"].dimensions
    assert list(dims.index[dims["p_holm"] < 0.05]) == ["responsiveness"]
