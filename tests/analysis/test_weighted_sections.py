"""The weighted SERVQUAL, segment, funnel, wave and IPA tables of analyze(): the same estimates as
analysis.weighting called directly, a hand computation on a tiny table, and no change without weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import analyze, loyalty, servqual
from analysis import weighting as wt
from analysis.report import render_report
from analysis.weighted import funnel_weighted, servqual_weighted, waves_weighted
from surveykit import load_questionnaire
from surveykit.simulate import simulate

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"
DEALERS = ["dealer_1", "dealer_2", "dealer_3"]
BY_DEALER = """
weighting:
  margins:
    - fields: [dealer]
      shares: {dealer_1: 0.5, dealer_2: 0.3, dealer_3: 0.2}
"""
RAKED = """
weighting:
  margins:
    - fields: [department]
      shares: {mechanical: 0.5, body_paint: 0.3, express: 0.2}
    - fields: [dealer]
      counts: {dealer_1: 5000, dealer_2: 3000, dealer_3: 2000}
"""


def _post(frame: pd.DataFrame) -> wt.WeightingResult:
    return wt.poststratify(frame, wt.margin("dealer", {"dealer_1": 0.5, "dealer_2": 0.3, "dealer_3": 0.2}, shares=True))


@pytest.fixture(scope="module")
def sq():
    return load_questionnaire((ROOT / "servqual.yaml").read_text(encoding="utf-8") + BY_DEALER)


@pytest.fixture(scope="module")
def sq_df(sq):
    return simulate(sq, 300, seed=5, fields={"dealer": DEALERS})


@pytest.fixture(scope="module")
def sq_result(sq, sq_df):
    return analyze(sq, sq_df, exclude=())


def test_servqual_means_are_weighting_weighted_mean_of_e_p_and_gap(sq, sq_df, sq_result):
    direct = _post(sq_df)
    table = sq_result.weighting.servqual["sq"].set_index(["kind", "name", "measure"])
    item = sq.blocks("servqual")[0].items[0].id
    gap = sq_df[f"{item}_p"] - sq_df[f"{item}_e"]
    for measure, values in (("E", sq_df[f"{item}_e"]), ("P", sq_df[f"{item}_p"]), ("gap", gap)):
        mean = wt.weighted_mean(sq_df.assign(v=values), "v", direct)
        row = table.loc[("item", item, measure)]
        assert (row["weighted"], row["se"], row["ci_low"]) == pytest.approx(
            (mean.estimate, mean.se, mean.ci[0]), abs=1e-10
        )
        assert row["n"] == mean.n
    unweighted = analyze(load_questionnaire(ROOT / "servqual.yaml"), sq_df, exclude=()).servqual["sq"]
    assert sq_result.servqual["sq"].items.loc[item, "mean"] == table.loc[("item", item, "gap"), "weighted"]
    row = table.loc[("item", item, "gap")]
    assert row["unweighted"] == pytest.approx(unweighted.items.loc[item, "mean"], abs=1e-12)
    assert row["z"] == pytest.approx(row["weighted"] / row["se"])
    assert row["p"] == pytest.approx(2 * stats.norm.sf(abs(row["z"])))
    dimension = unweighted.dimensions.index[0]
    scores = unweighted.scores
    for name, kind in ((dimension, "dimension"), ("unweighted_servqual", "score"), ("weighted_servqual", "score")):
        mean = wt.weighted_mean(sq_df.assign(v=scores[name]), "v", direct)
        assert table.loc[(kind, name, "gap"), "weighted"] == pytest.approx(mean.estimate, abs=1e-10)
        assert table.loc[(kind, name, "gap"), "se"] == pytest.approx(mean.se, abs=1e-10)
    assert table.loc[("dimension", dimension, "gap"), "unweighted"] == pytest.approx(
        unweighted.dimensions.loc[dimension, "mean"], abs=1e-12
    )
    members = unweighted.dimensions.loc[dimension, "items"]
    assert table.loc[("dimension", dimension, "P"), "unweighted"] == pytest.approx(
        unweighted.dimensions.loc[dimension, "mean_P_score"], abs=1e-12
    )
    assert len(members) >= 2 and pd.isna(table.loc[("item", item, "E"), "z"])  # E and P are not tested against 0


def test_servqual_weighted_by_hand_on_a_tiny_table():
    # two strata, population shares 1/2 each: stratum a has 3 respondents (weight 1/6), b has 1 (weight 1/2)
    q = load_questionnaire((ROOT / "servqual.yaml").read_text(encoding="utf-8"))
    items = [i.id for i in q.blocks("servqual")[0].items]
    frame = pd.DataFrame(
        {"dealer": ["a", "a", "a", "b"]} | {f"{i}_{r}": [5.0, 6.0, 7.0, 4.0] for i in items for r in "ep"}
    )
    frame[f"{items[0]}_p"] = [6.0, 6.0, 7.0, 7.0]  # gaps 1, 0, 0, 3
    for d in {i.dimension for i in q.blocks("servqual")[0].items}:
        frame[f"weights_{d}"] = 20.0
    result = wt.poststratify(frame, wt.margin("dealer", {"a": 0.5, "b": 0.5}, shares=True))
    scores = servqual.gaps(q, frame).scores
    table = servqual_weighted(q, frame, "sq", scores, result).set_index(["kind", "name", "measure"])
    row = table.loc[("item", items[0], "gap")]
    assert row["weighted"] == pytest.approx(0.5 * (1 + 0 + 0) / 3 + 0.5 * 3)  # 5/3
    assert row["unweighted"] == pytest.approx(1.0)
    # post-stratified mean: var = sum_h W_h^2 s_h^2 (1 - ...)/n_h with the linearisation's n/(n-1) on residuals;
    # stratum b has one respondent and no spread, stratum a's residuals about its own mean (1/3) carry it all
    resid = np.array([1 - 1 / 3, -1 / 3, -1 / 3, 0.0]) * np.array([1 / 6, 1 / 6, 1 / 6, 0.5])
    assert row["se"] == pytest.approx(np.sqrt(4 / 3 * ((resid - resid.mean()) ** 2).sum()), rel=1e-9)
    assert table.loc[("item", items[1], "gap"), "weighted"] == pytest.approx(0.0)


def test_segments_are_weighted_means_by_segment(q_raked, df_raked, raked):
    direct = _rake(df_raked)
    table = raked.weighting.segments.set_index(["field", "level", "statistic", "variable"])
    by = wt.weighted_means_by(df_raked, "sat_overall", "dealer", direct)
    for level, r in zip(by.levels, by.rows, strict=True):
        row = table.loc[("dealer", level, "mean", "sat_overall")]
        assert (row["weighted"], row["se"], row["n"]) == pytest.approx((r.estimate, r.se, r.n), abs=1e-10)
    score = np.where(df_raked["recommend"] >= 9, 100.0, np.where(df_raked["recommend"] <= 6, -100.0, 0.0))
    nps = wt.weighted_means_by(
        df_raked.assign(s=pd.Series(score, df_raked.index).where(df_raked["recommend"].notna())), "s", "dealer", direct
    )
    plain = loyalty.nps_by_segment(df_raked["recommend"], df_raked["dealer"]).to_frame().set_index("segment")
    for level, r in zip(nps.levels, nps.rows, strict=True):
        row = table.loc[("dealer", level, "nps", "recommend")]
        assert (row["weighted"], row["se"]) == pytest.approx((r.estimate, r.se), abs=1e-10)
        assert row["unweighted"] == pytest.approx(plain.loc[level, "nps"], abs=1e-9)
    top2 = table.xs("top2", level="statistic").loc[("dealer", "dealer_2", "sat_overall")]
    in_2 = df_raked[(df_raked["dealer"] == "dealer_2") & df_raked["sat_overall"].notna()]
    w = direct.weights[in_2.index]
    assert top2["weighted"] == pytest.approx(100 * (w * (in_2["sat_overall"] >= 4)).sum() / w.sum(), abs=1e-9)
    fields = [f.id for f in q_raked.fields if df_raked[f.id].nunique() >= 2]
    assert list(dict.fromkeys(table.index.get_level_values("field"))) == fields and "dealer" in fields


def test_the_funnel_compares_weighted_unit_means_with_the_weighted_mean(df_raked, raked):
    direct = _rake(df_raked)
    index = 100 * (df_raked["sat_overall"] - 1) / 4
    funnel = raked.weighting.funnel.set_index("unit")
    centre = wt.weighted_mean(df_raked.assign(i=index), "i", direct)
    units = wt.weighted_means_by(df_raked.assign(i=index), "i", "dealer", direct)
    assert funnel["target"].tolist() == pytest.approx([centre.estimate] * len(funnel), abs=1e-10)
    for level, r in zip(units.levels, units.rows, strict=True):
        row = funnel.loc[level]
        assert (row["mean"], row["se"]) == pytest.approx((r.estimate, r.se), abs=1e-10)
        assert row["z"] == pytest.approx((r.estimate - centre.estimate) / r.se)
        assert row["upper_95"] == pytest.approx(centre.estimate + stats.norm.ppf(0.975) * r.se)
    assert funnel["position"].tolist() == [
        "above 99.8 %"
        if z > 3.0902
        else "below 99.8 %"
        if z < -3.0902
        else "above 95 %"
        if z > 1.96
        else "below 95 %"
        if z < -1.96
        else "within"
        for z in funnel["z"]
    ]


def test_funnel_and_waves_by_hand_on_a_tiny_table():
    frame = pd.DataFrame(
        {
            "g": ["a", "a", "b", "b", "b", "c"],
            "wave": ["w1", "w1", "w1", "w2", "w2", "w2"],
            "y": [0, 50, 50, 100, 100, 25.0],
        }
    )
    result = wt.design_weights(frame)  # equal weights: the hand formulas are the textbook ones
    funnel = funnel_weighted(frame["y"], frame["g"], result).set_index("unit")
    assert list(funnel.index) == ["a", "b"]  # c has one respondent and no SE
    assert funnel.loc["a", "mean"] == 25 and funnel.loc["b", "target"] == pytest.approx(325 / 6)
    waves = waves_weighted(frame["y"], frame["wave"], result).set_index("wave")
    assert waves.loc["w1", "weighted"] == pytest.approx(100 / 3) and waves.loc["w2", "weighted"] == pytest.approx(75)
    assert waves.loc["w2", "change"] == pytest.approx(75 - 100 / 3)
    # equal weights, no calibration: var(domain mean) = n/(n-1) * sum(resid_i^2)/N^2 over the whole sample of N
    n = len(frame)
    t = np.array([-(0 - 100 / 3) / 3, -(50 - 100 / 3) / 3, -(50 - 100 / 3) / 3, 25 / 3, 25 / 3, -50 / 3])
    se = np.sqrt(n / (n - 1) * ((t - t.mean()) ** 2).sum()) / 1.0
    assert waves.loc["w2", "change_se"] == pytest.approx(se, rel=1e-9)
    assert waves.loc["w2", "change_p"] == pytest.approx(2 * stats.norm.sf(abs(75 - 100 / 3) / se))
    assert np.isnan(waves.loc["w1", "change"])


def test_the_change_se_under_calibration_on_the_waves_is_the_sum_of_two_independent_variances():
    # post-stratified on the wave itself, the two waves' influence values live in disjoint strata and each
    # sums to zero there, so var(change) = var(wave 1) + var(wave 2) exactly
    frame = pd.DataFrame({"wave": ["w1"] * 4 + ["w2"] * 3, "y": [10.0, 40.0, 70.0, None, 20.0, 90.0, 100.0]})
    result = wt.poststratify(frame, wt.margin("wave", {"w1": 600, "w2": 400}))
    waves = waves_weighted(frame["y"], frame["wave"], result).set_index("wave")
    by = wt.weighted_means_by(frame, "y", "wave", result)
    assert waves.loc["w2", "change"] == pytest.approx(70 - 40)
    assert waves.loc["w2", "change_se"] ** 2 == pytest.approx(by.rows[0].se ** 2 + by.rows[1].se ** 2, rel=1e-10)


def test_waves_in_analyze(q_raked):
    frame = simulate(q_raked, 300, seed=3, fields={"dealer": DEALERS}, waves=["2025Q1", "2025Q2"])
    result = analyze(q_raked, frame, exclude=())
    direct = _rake(frame)
    waves = result.weighting.waves.set_index("wave")
    index = 100 * (frame["sat_overall"] - 1) / 4
    by = wt.weighted_means_by(frame.assign(i=index), "i", "wave", direct)
    for level, r in zip(by.levels, by.rows, strict=True):
        assert (waves.loc[level, "weighted"], waves.loc[level, "se"]) == pytest.approx((r.estimate, r.se), abs=1e-10)
    shown = result.satisfaction.waves.waves  # analyze()'s waves are the weighted ones
    assert shown["mean"].tolist() == pytest.approx(waves["weighted"].tolist(), abs=1e-12)
    assert waves["unweighted"].tolist() == pytest.approx(index.groupby(frame["wave"]).mean().tolist(), abs=1e-9)
    assert waves.loc["2025Q2", "change"] == pytest.approx(by.rows[1].estimate - by.rows[0].estimate, abs=1e-10)
    assert 0 < waves.loc["2025Q2", "change_se"] < by.rows[0].se + by.rows[1].se


def test_ipa_means_are_weighted(q_raked, df_raked, raked):
    direct = _rake(df_raked)
    block = q_raked.blocks("importance_performance")[0]
    table = raked.weighting.ipa[block.id].set_index(["attribute", "measure"])
    grid = raked.ipa[block.id].grid.attributes
    for item in block.items:
        for measure, suffix in (("performance", "_p"), ("importance", "_i")):
            mean = wt.weighted_mean(df_raked, f"{item.id}{suffix}", direct)
            row = table.loc[(item.id, measure)]
            assert (row["weighted"], row["se"]) == pytest.approx((mean.estimate, mean.se), abs=1e-10)
    performance = table.xs("performance", level="measure")
    assert performance["weighted"].to_numpy() == pytest.approx(grid["mean_performance"].to_numpy(), abs=1e-12)
    columns = [f"{item.id}_p" for item in block.items]
    assert performance["unweighted"].to_numpy() == pytest.approx(df_raked[columns].mean().to_numpy(), abs=1e-9)


def test_without_weighting_nothing_changes(df_raked, raked):
    plain = analyze(load_questionnaire(ROOT / "dealer_aftersales_csi.yaml"), df_raked, exclude=())
    assert plain.weighting is None and "Weighting (" not in plain.summary()
    # the unweighted figures that stand beside the weighted ones are those of the plain analysis
    for block, sq in plain.servqual.items():
        table = raked.weighting.servqual[block]
        gaps = table[(table["kind"] == "item") & (table["measure"] == "gap")].set_index("name")
        assert gaps["unweighted"].reindex(sq.items.index).to_numpy() == pytest.approx(sq.items["mean"].to_numpy())
        assert raked.servqual[block].items["mean"].to_numpy() == pytest.approx(
            gaps["weighted"].reindex(sq.items.index).to_numpy()
        )
    by = {e.statistic: e for e in raked.weighting.estimates}
    assert by["satisfaction_mean"].unweighted == pytest.approx(plain.satisfaction.mean, abs=1e-12)
    assert raked.satisfaction.mean == by["satisfaction_mean"].weighted
    # the sections weighted in place (derived importance, reliability) moved with the weights
    for block, ipa_block in plain.ipa.items():
        assert ipa_block.derived.r_squared != pytest.approx(raked.ipa[block].derived.r_squared, abs=1e-6)
    for dim, rel in plain.reliability.items():
        assert rel.alpha != pytest.approx(raked.reliability[dim].alpha, abs=1e-9)


@pytest.fixture(scope="module")
def q_raked():
    return load_questionnaire((ROOT / "dealer_aftersales_csi.yaml").read_text(encoding="utf-8") + RAKED)


@pytest.fixture(scope="module")
def df_raked(q_raked):
    return simulate(q_raked, 400, seed=11, fields={"dealer": DEALERS})


@pytest.fixture(scope="module")
def raked(q_raked, df_raked):
    return analyze(q_raked, df_raked, exclude=())


def _rake(frame: pd.DataFrame) -> wt.WeightingResult:
    return wt.rake(
        frame,
        [
            wt.margin("department", {"mechanical": 0.5, "body_paint": 0.3, "express": 0.2}, shares=True),
            wt.margin("dealer", {"dealer_1": 5000, "dealer_2": 3000, "dealer_3": 2000}),
        ],
        tol=1e-10,
    )


def test_the_report_shows_the_weighted_tables(q_raked, sq, sq_df):
    frame = simulate(q_raked, 300, seed=3, fields={"dealer": DEALERS}, waves=["2025Q1", "2025Q2"])
    low = frame["dealer"] == "dealer_1"  # a third of the sample, half of the population: the weights move its ratings
    for v in q_raked.answer_variables():
        if v.kind == "numeric" and v.min is not None and v.name in frame:
            frame.loc[low, v.name] = (frame.loc[low, v.name] - 2).clip(lower=v.min)
    result = analyze(q_raked, frame, exclude=())
    html, _ = render_report(q_raked, result, lang="en")
    start = html.index('<section id="weighted-results">')
    tables = html[start : html.index("</section>", start)]
    wg = result.weighting
    # weighted beside unweighted only where the unweighted figure falls outside the weighted CI
    kept = [t for t in (wg.segments, wg.funnel, wg.waves, *wg.ipa.values()) if t["differs"].any()]
    assert kept, "the raking moves some figure by more than its CI"
    assert tables.count("<h3>") == len(kept)
    assert tables.count("<tr>") == len(kept) + sum(int(t["differs"].sum()) for t in kept)
    assert tables.count('class="neg"') == sum(int(t["differs"].sum()) for t in kept)
    for wave in wg.waves[wg.waves["differs"]].itertuples():
        assert f"{wave.weighted:.2f}" in tables
    for unit in wg.funnel[~wg.funnel["differs"]].itertuples():  # a unit whose figures agree is not repeated
        assert f"<td>{unit.unit}</td>" not in tables
    low_sq = sq_df.copy()
    perception = [f"{i.id}_p" for i in sq.blocks("servqual")[0].items]
    low_sq.loc[low_sq["dealer"] == "dealer_1", perception] = (
        low_sq.loc[low_sq["dealer"] == "dealer_1", perception] - 3
    ).clip(lower=1)
    sq_low = analyze(sq, low_sq, exclude=())
    html, _ = render_report(sq, sq_low, lang="zh")
    score = sq_low.weighting.servqual["sq"].set_index("name").loc["weighted_servqual"]
    assert score["differs"]
    start = html.index('<section id="weighted-results">')
    tables = html[start : html.index("</section>", start)]
    assert "加权结果" in tables and f"{score['weighted']:.2f}" in tables and "加权 SERVQUAL 得分" in tables


def test_a_table_that_cannot_be_weighted_is_a_note(q_raked, df_raked):
    block = q_raked.blocks("importance_performance")[0]
    blank = df_raked.assign(**{f"{block.items[0].id}_i": np.nan})  # nobody rated this attribute's importance
    result = analyze(q_raked, blank, exclude=())
    assert block.id not in result.weighting.ipa
    column = f"{block.items[0].id}_i"
    assert f"weighting: ipa {block.id} not weighted: column {column!r} has no values" in " ".join(result.notes)
    assert result.weighting.segments is not None  # the other tables are there


def test_pareto_of_reasons_draws_weighted_mentions_when_weighted(monkeypatch):
    from analysis import report_sections
    from analysis.report_sections import pareto

    text = (ROOT / "lost_customer.yaml").read_text(encoding="utf-8")
    q = load_questionnaire(text + BY_DEALER)
    frame = simulate(q, 240, seed=4, fields={"dealer": DEALERS})
    weighted, plain = analyze(q, frame, exclude=()), analyze(load_questionnaire(text), frame, exclude=())
    assert plain.weighting is None
    drawn: list[tuple[list[float], str | None]] = []

    def charts(alt, draw, reasons, counts, note=None):
        drawn.append((list(counts), note))
        return {"alt": alt}

    question = q.question("reasons")
    columns = [f"reasons_{o.code}" for o in question.options]
    data = frame.loc[weighted.weighting.weights.index]
    answered = data[columns].notna().all(axis=1)
    w = weighted.weighting.weights[answered]
    by_hand = [round(float((w * (data.loc[answered, c] == 1)).sum() / w.sum()) * int(answered.sum())) for c in columns]
    assert len(pareto(q, weighted.frequencies, "en", charts, weighted=True)) == 1
    counts, note = drawn[-1]
    assert counts == by_hand and "Weighted mentions" in note and str(int(answered.sum())) in note
    assert counts != weighted.frequencies["reasons"]["count"].tolist()  # the weights moved the bars
    pareto(q, plain.frequencies, "en", charts)  # unweighted: the respondents' mentions, no weighting note
    assert drawn[-1] == (plain.frequencies["reasons"]["count"].tolist(), None)
    seen = []  # the report asks for the weighted chart
    monkeypatch.setattr(report_sections, "pareto", lambda *a, **k: seen.append(k.get("weighted")) or [])
    render_report(q, weighted, lang="zh")
    assert seen == [True]


def test_analyze_keeps_the_calibration_for_later_estimates_but_does_not_export_it(q_raked, df_raked, raked):
    from analysis.weighted import domain_wald

    direct = _rake(df_raked)
    kept = raked.weighting.result
    assert kept is not None and kept.weights.to_numpy() == pytest.approx(direct.weights.to_numpy(), rel=1e-12)
    exported = raked.to_dict()["weighting"]
    assert "result" not in exported and "weights" in exported
    assert "result" not in repr(raked.weighting)
    # the report's segment test is domain_wald of the satisfaction means by dealer with their covariance
    by = wt.weighted_means_by(df_raked, "sat_overall", "dealer", direct)
    row = raked.weighting.segment_tests.set_index("field").loc["dealer"]
    expected = domain_wald(np.array([r.estimate for r in by.rows]), by.covariance, by.df)
    assert (row["x2"], row["df"], row["df2"], row["p"]) == pytest.approx(expected, rel=1e-10)
