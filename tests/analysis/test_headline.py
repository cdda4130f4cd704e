"""With a weighting, the report's main sections and its improvement priorities read the weighted figures.

analysis.headline.weighted_headline puts the weighted estimates of analysis.weighted where the report
and the priorities read: these tests compare every replaced figure with the weighted table it comes
from, check that the funnel chart's limits pass through each unit's own weighted limits, that a
priority follows the weights (a gap significant only once the weights give the troubled dealer its
population share), and that the rendered report shows weighted figures with Kish's effective n.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import analyze
from analysis.headline import weighted_headline
from analysis.priorities import improvement_priorities
from analysis.report import render_report
from analysis.segments import holm
from surveykit import load_questionnaire
from surveykit.simulate import simulate

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"
DEALERS = ["dealer_1", "dealer_2", "dealer_3"]
RAKED = """
weighting:
  margins:
    - fields: [department]
      shares: {mechanical: 0.5, body_paint: 0.3, express: 0.2}
    - fields: [dealer]
      counts: {dealer_1: 5000, dealer_2: 3000, dealer_3: 2000}
"""
# the troubled dealer_3 is 10 % of the sample and 80 % of the customer base
SERVQUAL_WEIGHTS = """
weighting:
  margins:
    - fields: [dealer]
      shares: {dealer_1: 0.1, dealer_2: 0.1, dealer_3: 0.8}
"""


@pytest.fixture(scope="module")
def csi():
    return load_questionnaire((ROOT / "dealer_aftersales_csi.yaml").read_text(encoding="utf-8") + RAKED)


@pytest.fixture(scope="module")
def csi_result(csi):
    frame = simulate(csi, 400, seed=11, fields={"dealer": DEALERS}, waves=["2025Q1", "2025Q2"])
    return analyze(csi, frame, exclude=())


def test_without_weighting_the_result_is_returned_as_it_is(csi_result):
    plain = load_questionnaire(ROOT / "dealer_aftersales_csi.yaml")
    result = analyze(plain, simulate(plain, 60, seed=2), exclude=())
    assert weighted_headline(result) is result
    assert weighted_headline(csi_result) is not csi_result


def test_satisfaction_and_nps_are_the_weighted_estimates(csi_result):
    head = weighted_headline(csi_result)
    by = {(e.statistic, e.variable): e for e in csi_result.weighting.estimates}
    s = head.satisfaction
    assert s.mean == by[("satisfaction_mean", s.variable)].weighted
    assert s.top_box.pct == by[("top2", s.variable)].weighted
    assert s.index_mean == by[("satisfaction_index", s.variable)].weighted
    assert s.mean != by[("satisfaction_mean", s.variable)].unweighted  # the weights moved it
    assert csi_result.satisfaction.mean == s.mean  # analyze() itself returns the weighted headline
    for qid, n in head.nps.items():
        e = by[("nps", qid)]
        assert n.nps == e.weighted and n.adjusted_ci == e.weighted_ci
        assert n.pct_promoters - n.pct_detractors == pytest.approx(n.nps, abs=1e-9)
        assert n.pct_promoters + n.pct_passives + n.pct_detractors == pytest.approx(100)
        assert 0 < e.n_eff < e.n  # unequal weights: fewer effective respondents than respondents


def test_the_ipa_grid_is_drawn_on_weighted_means_with_its_crosshair_rule(csi_result):
    for block_id, block in weighted_headline(csi_result).ipa.items():
        table = csi_result.weighting.ipa[block_id]
        attrs = block.grid.attributes
        for measure in ("performance", "importance"):
            weighted = table[table["measure"] == measure].set_index("attribute")["weighted"]
            assert attrs[f"mean_{measure}"].to_numpy() == pytest.approx(weighted.reindex(attrs.index).to_numpy())
        assert block.grid.crosshair_rule == csi_result.ipa[block_id].grid.crosshair_rule == "data_mean"
        assert block.grid.crosshair == pytest.approx(
            (attrs["mean_importance"].mean(), attrs["mean_performance"].mean())
        )
        imp, perf = block.grid.crosshair
        high_imp, high_perf = attrs["mean_importance"] >= imp, attrs["mean_performance"] >= perf
        concentrate = attrs.index[high_imp & ~high_perf]
        assert set(attrs.loc[concentrate, "quadrant"]) <= {"Concentrate here"}


def test_the_funnel_chart_passes_through_each_units_weighted_limits(csi_result):
    head = weighted_headline(csi_result).satisfaction
    table = csi_result.weighting.funnel.set_index("unit")
    units = head.funnel.units
    assert units["position"].tolist() == table["position"].reindex(units.index).tolist()
    assert units["n"].tolist() == table["n"].reindex(units.index).tolist()
    drawn = head.funnel.limits(units["n_chart"].to_numpy())
    for column in ("lower_95", "upper_95", "lower_99_8", "upper_99_8"):
        assert drawn[column].to_numpy() == pytest.approx(units[column].to_numpy(), abs=1e-9)
    assert units["lower_95"].to_numpy() == pytest.approx(table["lower_95"].reindex(units.index).to_numpy())
    assert head.funnel.target == pytest.approx(table["target"].iloc[0])


def test_the_waves_are_weighted_with_their_change_test(csi_result):
    head = weighted_headline(csi_result).satisfaction.waves.waves
    table = csi_result.weighting.waves.set_index("wave")
    assert head["mean"].tolist() == pytest.approx(table["weighted"].tolist())
    assert head["ci_low"].tolist() == pytest.approx(table["ci_low"].tolist())
    assert head["change_p"].iloc[1] == pytest.approx(table["change_p"].iloc[1])
    assert (head["n_eff"] < head["n"]).all()


def _servqual_case() -> tuple[object, pd.DataFrame]:
    q = load_questionnaire((ROOT / "servqual.yaml").read_text(encoding="utf-8") + SERVQUAL_WEIGHTS)
    frame = simulate(q, 300, seed=21, fields={"dealer": DEALERS})
    item = q.blocks("servqual")[0].items[0].id
    rng = np.random.default_rng(4)
    # dealer_3 (30 of 300) falls short of expectations on the first item by 2.5 points; the others meet them
    d3 = frame["dealer"] == "dealer_3"
    frame = frame[~d3 | (np.arange(len(frame)) % 3 == 0)].copy()
    d3 = frame["dealer"] == "dealer_3"
    frame[f"{item}_e"] = 6.0
    frame[f"{item}_p"] = np.where(d3, 3.5, 6.0) + rng.choice([-1.0, 0.0, 1.0], len(frame))
    return q, frame.reset_index(drop=True)


def test_servqual_gaps_and_their_holm_tests_are_weighted_and_drive_the_priorities():
    q, frame = _servqual_case()
    result = analyze(q, frame, exclude=())
    head = weighted_headline(result)
    block = q.blocks("servqual")[0]
    item = block.items[0].id
    table = result.weighting.servqual[block.id]
    gaps = table[(table["kind"] == "item") & (table["measure"] == "gap")].set_index("name")
    items = head.servqual[block.id].items
    assert items["mean"].to_numpy() == pytest.approx(gaps["weighted"].reindex(items.index).to_numpy())
    assert items["p_holm"].to_numpy() == pytest.approx(holm(gaps["p"].reindex(items.index).to_numpy()))
    assert items.loc[item, "mean"] < gaps.loc[item, "unweighted"] - 1  # dealer_3 weighs 80 %
    dims = head.servqual[block.id].dimensions
    e = table[(table["kind"] == "dimension") & (table["measure"] == "E")].set_index("name")
    assert dims["mean_E_score"].to_numpy() == pytest.approx(e["weighted"].reindex(dims.index).to_numpy())
    weighted = [p for p in improvement_priorities(q, head, lang="en") if p.kind == "servqual" and p.subject == item]
    assert weighted and weighted[0].evidence["gap"] == pytest.approx(items.loc[item, "mean"])
    plain = analyze(load_questionnaire(ROOT / "servqual.yaml"), frame, exclude=())
    unweighted = [p for p in improvement_priorities(q, plain, lang="en") if p.kind == "servqual" and p.subject == item]
    assert not unweighted or unweighted[0].evidence["gap"] > weighted[0].evidence["gap"]


def test_the_report_shows_weighted_figures_with_the_effective_n(csi, csi_result):
    head = weighted_headline(csi_result)
    html, _ = render_report(csi, csi_result, lang="en")
    sample = html[html.index('<section id="sample">') : html.index("</section>", html.index('<section id="sample">'))]
    assert f"<b>{head.satisfaction.mean:.2f}</b>" in sample
    assert f"<b>{csi_result.satisfaction.mean:.2f}</b>" not in sample or head.satisfaction.mean == pytest.approx(
        csi_result.satisfaction.mean, abs=0.005
    )
    k = csi_result.weighting.kish
    assert f"weighted (effective n {k.n_eff:.0f} of {k.n})" in sample
    segments = html[html.index('<section id="segments">') :]
    unit = head.satisfaction.funnel.units.iloc[0]
    n, n_eff = int(unit["n"]), unit["n_eff"]
    assert (
        f'{n} (<abbr title="Effective sample size">n<sub>eff</sub></abbr> {n_eff:.0f}, '
        f'<abbr title="Design effect">deff</abbr> {n / n_eff:.2f}, '
        f'<abbr title="Weighting efficiency">eff.</abbr> {100 * n_eff / n:.0f} %)'
    ) in segments
    assert "Wald χ² = " in segments and "ANOVA" not in segments  # the weighted means' test, not the unweighted ones
    nps = html[html.index('<section id="loyalty">') :]
    e = next(e for e in csi_result.weighting.estimates if e.statistic == "nps")
    assert f"n = {e.n} (" in nps and f"n<sub>eff</sub></abbr> {e.n_eff:.0f}, " in nps
    zh, _ = render_report(csi, csi_result, lang="zh")
    assert '<abbr title="有效样本量">' in zh[zh.index('<section id="waves">') :]
    assert "（加权均值）" in zh[zh.index('<section id="segments">') :]  # the Wald line in Chinese
    dealer = next(f for f in csi.fields if f.id == "dealer").label.best("zh")
    assert f"{dealer}：Wald" in zh and "dealer：Wald" not in zh  # the field by its label, not its id
    assert "p &lt; .001（加权均值）" in zh and "p = &lt;" not in zh  # dealer_1 rates lower: its p is below .001
