"""surveykit.scenario: reading planted effects, and the simulator planting them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.analyze import _satisfaction_question
from surveykit import load_questionnaire
from surveykit.errors import QuestionnaireError
from surveykit.scenario import DealerEffect, GapEffect, KanoMix, WaveChange, load_scenario, satisfaction_question
from surveykit.simulate import simulate

ROOT = Path(__file__).resolve().parents[2]

INSTRUMENT = """\
survey: plan
version: 1
title: {zh: 规划, en: Plan}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  branch: {label: {zh: 门店, en: Branch}}
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
      - {id: rec, type: nps, text: {zh: a, en: b}}
  - type: servqual
    id: sq
    scale: a7
    items:
      - {id: r1, dimension: rel, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}
      - {id: e1, dimension: emp, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}
      - {id: e2, dimension: emp, reverse: true, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}
  - type: kano
    id: kn
    attributes:
      - {id: car, functional: {zh: a, en: b}, dysfunctional: {zh: a, en: b}}
      - {id: wifi, functional: {zh: a, en: b}, dysfunctional: {zh: a, en: b}}
"""

SCENARIO = """\
level: 70
dealers: [D1, D2, D3, D4, D5]
waves: [W1, W2]
effects:
  dealer: {dealer: D3, index: -5}
  change: {index: 3}
  servqual_gap: {dimension: emp, gap: -0.3}
  kano_mix: {attribute: car, mix: {M: 0.5, O: 0.2, A: 0.1, I: 0.2}}
"""


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(INSTRUMENT)


def test_reads_every_effect(q, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    s = load_scenario(path, q)
    assert s.level == 70 and s.dealers == ("D1", "D2", "D3", "D4", "D5") and s.waves == ("W1", "W2")
    assert s.dealer == DealerEffect("D3", -5.0) and s.change == WaveChange(3.0)
    assert s.servqual_gap == GapEffect("emp", -0.3)
    assert s.kano_mix == KanoMix("car", (("M", 0.5), ("O", 0.2), ("A", 0.1), ("I", 0.2)))
    assert s.kano_mix.planted == "M"
    assert load_scenario(str(path), q) == load_scenario(SCENARIO, q)


def test_planted_kano_category_breaks_ties_as_kano_does():
    # Berger et al. (1993) tie order M > O > A > I
    assert KanoMix("x", (("A", 0.4), ("O", 0.4), ("I", 0.2))).planted == "O"


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            SCENARIO.replace("effects:", "efects:"),
            "<string>:4:1: efects",
            "unknown key 'efects'; did you mean 'effects'?",
        ),
        (
            SCENARIO.replace("dealer: D3", "dealer: D9"),
            "<string>:5:20: effects.dealer.dealer",
            "'D9' is not one of the dealers",
        ),
        (
            SCENARIO.replace("index: -5", "index: -75"),
            "<string>:5:31: effects.dealer.index",
            "level + index must stay between 0 and 100",
        ),
        (
            SCENARIO.replace("index: 3", "index: many"),
            "<string>:6:19: effects.change.index",
            "expected a number, got 'many'",
        ),
        (
            SCENARIO.replace("dimension: emp", "dimension: empathy"),
            "<string>:7:29: effects.servqual_gap.dimension",
            "no SERVQUAL item has dimension 'empathy'",
        ),
        (
            SCENARIO.replace("gap: -0.3", "gap: -4"),
            "<string>:7:39: effects.servqual_gap.gap",
            "below half the scale range",
        ),
        (
            SCENARIO.replace("attribute: car", "attribute: cars"),
            "<string>:8:25: effects.kano_mix.attribute",
            "'cars' is not a Kano attribute; did you mean 'car'?",
        ),
        (
            SCENARIO.replace("I: 0.2}", "I: 0.3}"),
            "<string>:8:35: effects.kano_mix.mix",
            "the shares add up to 1.1, not 1",
        ),
        (SCENARIO.replace("M: 0.5", "X: 0.5"), "<string>:8:36: effects.kano_mix.mix.X", "unknown key 'X'"),
        (SCENARIO.replace("waves: [W1, W2]", "waves: [W1]"), "<string>:6:3: effects.change", "at least 2 waves"),
        (SCENARIO.replace("level: 70", "level: 100"), "<string>:1:8: level", "between 0 and 100"),
        (SCENARIO.replace("[D1, D2, D3, D4, D5]", "[D1, D1, D3]"), "<string>:2:15: dealers", "'D1' is listed twice"),
        (SCENARIO + "level: 60\n", "<string>:9:1", "duplicate key"),
        ("level: 70\n", "<string>:1:1: effects", "missing: plant at least one of"),
        ("", "<string>:1:1", "the file is empty"),
        ("level: !!python/object:os.system 1\neffects: {}\n", "<string>:1:8", "tag"),
    ],
)
def test_problems_name_line_and_column(q, text, where, message):
    with pytest.raises(QuestionnaireError) as caught:
        load_scenario(text, q)
    text_of = str(caught.value)
    line = next((ln for ln in text_of.splitlines() if message in ln), None)
    assert line is not None, text_of
    assert line.startswith(where), line


def test_every_problem_in_one_run(q):
    bad = SCENARIO.replace("dealer: D3", "dealer: D9").replace("attribute: car", "attribute: cars")
    with pytest.raises(QuestionnaireError) as caught:
        load_scenario(bad, q)
    assert len(caught.value.problems) == 2


def test_effects_the_questionnaire_cannot_carry(q):
    kano_only = load_questionnaire(ROOT / "questionnaires" / "kano_dealer.yaml")
    with pytest.raises(QuestionnaireError) as caught:
        load_scenario(SCENARIO.replace("attribute: car", "attribute: courtesy_car"), kano_only)
    message = str(caught.value)
    assert "no overall-satisfaction question" in message and "has no SERVQUAL block" in message


def test_missing_file_is_a_clean_problem(q, tmp_path):
    with pytest.raises(QuestionnaireError, match="cannot read the file"):
        load_scenario(tmp_path / "none.yaml", q)


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "questionnaires").glob("*.yaml")))
def test_satisfaction_question_is_the_analysis_rule(name):
    instrument = load_questionnaire(ROOT / "questionnaires" / name)
    mine, theirs = satisfaction_question(instrument), _satisfaction_question(instrument)
    assert (mine.id if mine else None) == (theirs.id if theirs else None)


# ---------------------------------------------------------------------------------------------
# the simulator with a scenario


@pytest.fixture(scope="module")
def planted(q):
    return simulate(q, 100_000, seed=2, scenario=load_scenario(SCENARIO, q))


def test_cells_are_balanced_and_columns_unchanged(q, planted):
    assert list(planted.columns) == list(q.columns())
    head = planted.iloc[:10]
    assert (head.groupby(["dealer", "wave"]).size() == 1).all()
    assert (planted.groupby(["dealer", "wave"]).size() == 10_000).all()
    assert (
        planted["started_at"].where(planted["wave"] == "W1").max()
        < planted["started_at"].where(planted["wave"] == "W2").min()
    )


def test_planted_index_effects(planted):
    # expected index: level 70; D3 5 below; W2 3 above W1. Monte Carlo SE of a cell mean is about 0.3.
    index = 100 * (planted["sat_overall"] - 1) / 4
    cell = index.groupby([planted["dealer"], planted["wave"]]).mean()
    others_w1 = cell.drop("D3", level="dealer").xs("W1", level="wave")
    assert others_w1.mean() == pytest.approx(70, abs=0.4)
    assert cell[("D3", "W1")] == pytest.approx(65, abs=0.8)
    assert cell.xs("W2", level="wave").drop("D3").mean() - others_w1.mean() == pytest.approx(3, abs=0.6)
    # the shift moves S, so loyalty follows the planted dealer too
    rec = planted.groupby("dealer")["rec"].mean()
    assert rec["D3"] < rec.drop("D3").min()


def test_planted_gap_and_zero_gap_elsewhere(planted):
    gap = {i: (planted[f"{i}_p"] - planted[f"{i}_e"]).mean() for i in ("r1", "e1", "e2")}
    assert gap["r1"] == pytest.approx(0, abs=0.03)
    assert gap["e1"] == pytest.approx(-0.3, abs=0.04)
    # a reverse-keyed item gets the same raw gap P - E, as servqual.gaps takes it
    assert gap["e2"] == pytest.approx(-0.3, abs=0.04)


def test_planted_kano_mix(planted):
    from analysis import kano

    shares = kano.categories(planted["car_f"], planted["car_d"]).value_counts(normalize=True)
    for category, share in {"M": 0.5, "O": 0.2, "A": 0.1, "I": 0.2}.items():
        assert shares[category] == pytest.approx(share, abs=0.01)
    assert set(shares.index) == {"M", "O", "A", "I"}
    # the other attribute keeps the simulator's own mix (with some R and Q)
    assert {"R", "Q"} <= set(kano.categories(planted["wifi_f"], planted["wifi_d"]).dropna())


def test_without_scenario_nothing_changes(q):
    pd.testing.assert_frame_equal(simulate(q, 300, seed=4), simulate(q, 300, seed=4, scenario=None))
    a = simulate(q, 300, seed=4, scenario=load_scenario(SCENARIO, q))
    b = simulate(q, 300, seed=4, scenario=load_scenario(SCENARIO, q))
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["sat_overall"].to_numpy(), simulate(q, 300, seed=4)["sat_overall"].to_numpy())
