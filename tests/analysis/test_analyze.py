"""analyze(q, df): every section the questionnaire declares, quality exclusions, JSON-ready output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from analysis import analyze, ipa, kano, servqual
from surveykit import load_questionnaire
from surveykit.cli import main
from surveykit.simulate import simulate

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"


@pytest.fixture(scope="module")
def servqual_run():
    q = load_questionnaire(ROOT / "servqual.yaml")
    df = simulate(
        q, 600, seed=11, careless=0.06, missing=0.02, fields={"dealer": ["A", "B", "C"]}, waves=["2026Q1", "2026Q2"]
    )
    return q, df, analyze(q, df)


def test_servqual_sections(servqual_run):
    q, _, result = servqual_run
    assert result.n_total == 600 and result.n_analysed < 600
    assert set(result.excluded) <= {"straightlining", "speeder", "duplicate_answers"}
    assert sum(result.excluded.values()) >= 600 - result.n_analysed
    sq = result.servqual["sq"]
    assert list(sq.dimensions.index) == ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
    assert (sq.dimensions["mean"] < 0).all()  # the simulator puts E above P
    assert sq.mean_weights is not None and abs(sum(sq.mean_weights.values()) - 100) < 1e-6
    assert set(result.reliability) == {d.id for d in q.dimensions}  # perception items per dimension
    assert all(0 < r.alpha < 1 for r in result.reliability.values())
    assert result.satisfaction is not None and result.satisfaction.variable == "sat_overall"
    assert result.satisfaction.waves is not None and list(result.satisfaction.waves.waves.index) == ["2026Q1", "2026Q2"]
    funnel = result.satisfaction.funnel.units  # by the first field, dealer
    assert list(funnel.index) == ["A", "B", "C"] and funnel["n"].sum() == result.satisfaction.n
    assert "recommend" in result.nps and "recommend" in result.nps_segments
    # sat_overall has 7 points: satisfied from 6; loyal from 9 of 0-10 (Jones & Sasser 1995)
    matrix = result.loyalty_matrix
    assert (matrix.satisfied_if_ge, matrix.loyal_if_ge) == (6, 9)
    assert 0.9 * result.n_analysed < matrix.n <= min(result.nps["recommend"].n, result.satisfaction.n)  # both answered
    assert result.kano == {} and result.ipa == {} and result.scoring is None
    assert result.notes == ()


def test_wrappers_read_the_questionnaire(servqual_run):
    q, df, _ = servqual_run
    direct = servqual.gap_scores(
        df,
        {i.id: (f"{i.id}_e", f"{i.id}_p") for i in q.blocks("servqual")[0].items},
        {"reliability": ["rel1", "rel2", "rel3", "rel4", "rel5"]},
    )
    wrapped = servqual.gaps(q, df)
    assert wrapped.items.loc["rel1", "mean"] == pytest.approx(direct.items.loc["rel1", "mean"])
    with pytest.raises(ValueError, match="no Kano block"):
        kano.evaluate(q, df)


def test_exclusions_can_be_switched_off(servqual_run):
    q, df, _ = servqual_run
    kept = analyze(q, df, exclude=())
    assert kept.n_analysed == 600 and kept.excluded == {}
    # Every row analysed, so the sections can be worked out from the table itself.
    index = (100 * (df["sat_overall"] - 1) / 6).dropna()  # 0-100 index of a 7-point answer
    by_dealer = index.groupby(df["dealer"])
    funnel = kept.satisfaction.funnel
    assert funnel.target == pytest.approx(index.mean()) and funnel.sd == pytest.approx(index.std())
    assert funnel.units["n"].to_dict() == by_dealer.size().to_dict()
    assert funnel.units["mean"].to_dict() == pytest.approx(by_dealer.mean().to_dict())
    both = df[["sat_overall", "recommend"]].dropna()
    satisfied, loyal = both["sat_overall"] >= 6, both["recommend"] >= 9
    matrix = kept.loyalty_matrix
    assert (matrix.loyalists, matrix.mercenaries, matrix.hostages, matrix.defectors) == (
        (satisfied & loyal).sum(),
        (satisfied & ~loyal).sum(),
        (~satisfied & loyal).sum(),
        (~satisfied & ~loyal).sum(),
    )


def test_straightliners_are_caught(servqual_run):
    q, df, result = servqual_run
    batteries = [[v.name for v in q.answer_variables() if v.role == role] for role in ("expectation", "perception")]
    straight = np.logical_and.reduce(
        [df[cols].nunique(axis=1).eq(1) & df[cols].notna().sum(axis=1).ge(2) for cols in batteries]
    )
    assert result.excluded["straightlining"] == int(straight.sum()) > 0


def test_json_ready_and_tidy(servqual_run):
    _, _, result = servqual_run
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert '"servqual"' in text
    frame = result.to_frame()
    assert list(frame.columns) == ["section", "key", "statistic", "value"]
    assert np.isfinite(frame["value"]).all()
    mean = frame.loc[(frame.section == "satisfaction") & (frame.key == "") & (frame.statistic == "mean"), "value"]
    assert mean.tolist() == pytest.approx([result.satisfaction.mean])
    assert "SERVQUAL gaps" in result.summary()


@pytest.mark.parametrize(
    "name", ["kano_dealer", "dealer_aftersales_csi", "sales_csi", "customer_orientation_selftest", "lost_customer"]
)
def test_every_shipped_instrument(name):
    q = load_questionnaire(ROOT / f"{name}.yaml")
    result = analyze(q, simulate(q, 400, seed=5, careless=0.03))
    assert result.n_analysed > 300
    assert bool(result.kano) == bool(q.blocks("kano"))
    assert bool(result.ipa) == bool(q.blocks("importance_performance"))
    assert (result.scoring is not None) == (q.scoring is not None)
    choices = [question.id for question in q.questions() if question.type in ("choice", "multi")]
    assert set(result.frequencies) == set(choices)
    json.dumps(result.to_dict(), allow_nan=False)


def test_ipa_sections():
    q = load_questionnaire(ROOT / "dealer_aftersales_csi.yaml")
    df = simulate(q, 500, seed=8)
    result = analyze(q, df, exclude=())
    block = result.ipa["steps"] if "steps" in result.ipa else next(iter(result.ipa.values()))
    assert len(block.grid.attributes) == 8
    assert block.derived is not None and block.derived.pct.sum() == pytest.approx(100)
    # 5-point performance: low is 1-2, high 4-5 (thirds of the scale); the attributes' performance
    # columns against sat_overall, as ipa.penalty_reward computes them on the whole table
    performance = [f"{a}_p" for a in block.grid.attributes.index]
    direct = ipa.penalty_reward(df, "sat_overall", performance, low_if_le=2, high_if_ge=4)
    assert (block.penalty_reward.low_if_le, block.penalty_reward.high_if_ge) == (2, 4)
    pd.testing.assert_frame_equal(block.penalty_reward.attributes, direct.attributes)
    assert block.penalty_reward.attributes["n_low"].tolist() == [
        int(((df[c] <= 2) & df["sat_overall"].notna()).sum()) for c in performance
    ]


def test_scoring_profile():
    q = load_questionnaire(ROOT / "customer_orientation_selftest.yaml")
    df = simulate(q, 300, seed=2)
    result = analyze(q, df, exclude=())
    cats = result.scoring.categories
    assert list(cats["maximum"]) == [35, 25, 20, 35, 20, 35, 30]
    climate = q.scoring.categories[0]
    by_hand = df[list(climate.items)].dropna().sum(axis=1)
    assert cats.loc["climate", "mean"] == pytest.approx(by_hand.mean())
    assert cats.loc["climate", "percent"] == pytest.approx((100 * (by_hand - 7) / 28).mean())
    assert cats["band"].notna().all()


def test_missing_columns_are_named():
    q = load_questionnaire(ROOT / "servqual.yaml")
    df = simulate(q, 20, seed=1).drop(columns=["rel1_e", "sat_overall"])
    with pytest.raises(ValueError, match="rel1_e, sat_overall"):
        analyze(q, df)


def test_a_constant_item_becomes_a_note_not_a_crash():
    q = load_questionnaire(ROOT / "dealer_aftersales_csi.yaml")
    df = simulate(q, 200, seed=3)
    df["sat_overall"] = 3.0
    result = analyze(q, df, exclude=())
    assert any("sat_overall" in note for note in result.notes)


def test_analyze_command(tmp_path):
    q = load_questionnaire(ROOT / "sales_csi.yaml")
    data = tmp_path / "d.csv"
    simulate(q, 150, seed=4).to_csv(data, index=False)
    runner = CliRunner()
    text = runner.invoke(main, ["analyze", str(ROOT / "sales_csi.yaml"), str(data)])
    assert text.exit_code == 0, text.output
    assert "Importance-performance grid" in text.output
    as_json = runner.invoke(main, ["analyze", str(ROOT / "sales_csi.yaml"), str(data), "--json"])
    assert json.loads(as_json.output)["n_total"] == 150
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"x": [1]}).to_csv(bad, index=False)
    failed = runner.invoke(main, ["analyze", str(ROOT / "sales_csi.yaml"), str(bad)])
    assert failed.exit_code == 1 and "lack" in failed.output
