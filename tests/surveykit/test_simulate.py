"""The simulator: exact columns, determinism, structure, conditions, careless respondents."""

from __future__ import annotations

import pandas as pd
import pytest

from surveykit import load_questionnaire
from surveykit.simulate import simulate

HEAD = """\
survey: sim
version: 1
title: {zh: 模拟, en: Sim}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
scales:
  a5: {points: 5}
  a7: {points: 7}
dimensions:
  rel: {zh: 可靠性, en: Reliability}
  emp: {zh: 移情性, en: Empathy}
"""

FULL = (
    HEAD
    + """\
pages:
  - id: p1
    questions:
      - {id: sat, type: likert, scale: a5, text: {zh: a, en: b}}
      - id: m
        type: matrix
        scale: a7
        text: {zh: a, en: b}
        rows:
          - {id: r1, dimension: rel, text: {zh: a, en: b}}
          - {id: r2, dimension: rel, text: {zh: a, en: b}}
          - {id: r3, dimension: rel, reverse: true, text: {zh: a, en: b}}
      - {id: ch, type: choice, text: {zh: a, en: b}, options: {x: {zh: a, en: b}, y: {zh: a, en: b}}}
      - {id: mu, type: multi, min: 1, max: 2, text: {zh: a, en: b}, options: {x: {zh: a, en: b}, y: {zh: a, en: b}, z: {zh: a, en: b}}}
      - {id: w, type: constant_sum, total: 100, text: {zh: a, en: b}, options: {rel: {zh: a, en: b}, emp: {zh: a, en: b}, x: {zh: a, en: b}}}
      - {id: rec, type: nps, text: {zh: a, en: b}}
      - {id: km, type: number, min: 0, max: 300000, text: {zh: a, en: b}}
      - {id: visit, type: date, min: 2026-01-01, max: 2026-03-31, text: {zh: a, en: b}}
      - {id: why, type: text, required: false, visible_if: sat <= 2, text: {zh: a, en: b}}
  - id: p2
    visible_if: "'x' in mu"
    questions:
      - {id: follow, type: likert, scale: a5, text: {zh: a, en: b}}
  - type: servqual
    id: sq
    scale: a7
    items:
      - {id: e1, dimension: emp, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}
      - {id: e2, dimension: emp, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}
  - type: kano
    id: kn
    importance_scale: a7
    attributes:
      - {id: car, functional: {zh: a, en: b}, dysfunctional: {zh: a, en: b}, importance: {zh: a, en: b}}
"""
)


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(FULL)


def test_columns_are_exactly_the_codebook(q):
    df = simulate(q, 300, seed=1)
    assert list(df.columns) == list(q.columns())
    assert len(df) == 300


def test_same_seed_same_data_other_seed_other_data(q):
    a, b, c = simulate(q, 200, seed=7), simulate(q, 200, seed=7), simulate(q, 200, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.drop(columns=["response_id"]).equals(c.drop(columns=["response_id"]))


def test_answers_stay_within_their_scales(q):
    df = simulate(q, 2000, seed=2, missing=0.1)
    assert set(df["sat"].dropna().unique()) <= set(range(1, 6))
    assert set(df["r1"].dropna().unique()) <= set(range(1, 8))
    assert set(df["rec"].dropna().unique()) <= set(range(0, 11))
    assert set(df["ch"].dropna()) <= {"x", "y"}
    assert set(df["car_f"].dropna()) <= {"like", "must_be", "neutral", "live_with", "dislike"}
    ticks = df[["mu_x", "mu_y", "mu_z"]].dropna().sum(axis=1)
    assert ticks.between(1, 2).all()
    sums = df[["w_rel", "w_emp", "w_x"]].dropna().sum(axis=1)
    assert (sums == 100).all()
    assert df["km"].dropna().between(0, 300000).all()
    dates = pd.to_datetime(df["visit"].dropna())
    assert dates.min() >= pd.Timestamp("2026-01-01") and dates.max() <= pd.Timestamp("2026-03-31")


def test_structure_the_analysis_can_find(q):
    df = simulate(q, 5000, seed=3)
    # items of one dimension correlate; a reverse-keyed item correlates negatively
    assert df["r1"].corr(df["r2"]) > 0.25
    assert df["r1"].corr(df["r3"]) < -0.2
    # expectations above perceptions: negative SERVQUAL gaps
    assert (df["e1_p"] - df["e1_e"]).mean() < -0.3
    # loyalty follows satisfaction
    assert df["sat"].corr(df["rec"]) > 0.3


def test_conditions_blank_what_was_not_shown(q):
    df = simulate(q, 2000, seed=4)
    assert df.loc[df["sat"] > 2, "why"].isna().all()
    assert df.loc[df["sat"] <= 2, "why"].notna().any()
    assert df.loc[df["mu_x"] == 0, "follow"].isna().all()
    assert df.loc[df["mu_x"] == 1, "follow"].notna().all()


def test_missing_rate_and_careless_respondents(q):
    df = simulate(q, 4000, seed=5, missing=0.2, careless=0.2)
    assert 0.15 < df["sat"].isna().mean() < 0.25
    # the matrix goes missing as a whole
    assert (df["r1"].isna() == df["r2"].isna()).all()
    rows = df[["r1", "r2", "r3", "e1_e", "e2_e", "e1_p", "e2_p"]].dropna()
    straight = (rows.nunique(axis=1) == 1).mean()
    assert straight > 0.05
    median = df["duration_s"].median()
    assert (df["duration_s"] < median / 3).mean() > 0.05


def test_segments_and_waves(q):
    df = simulate(q, 900, seed=6, fields={"dealer": ["A", "B", "C"]}, waves=["w1", "w2", "w3"])
    assert set(df["dealer"]) == {"A", "B", "C"}
    assert list(df["wave"].unique()) == ["w1", "w2", "w3"]
    with pytest.raises(ValueError, match="unknown segment field"):
        simulate(q, 10, fields={"branch": ["x"]})


def test_metadata(q):
    df = simulate(q, 50, seed=9)
    assert df["response_id"].is_unique
    assert (df["submitted_at"] - df["started_at"]).dt.total_seconds().equals(df["duration_s"].astype("float64"))
    assert set(df["language"]) <= {"zh", "en"}
    assert (df["survey"] == "sim").all()
