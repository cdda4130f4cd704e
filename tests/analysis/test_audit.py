"""Process audits: step scores by hand, critical caps, summaries, the planted compliance-CSI link, the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.audit import compliance, csi_link, step_scores
from analysis.report import write_report
from analysis.unit_link import CAUTION, unit_correlation
from surveykit import load_questionnaire
from surveykit.linked import dealer_levels
from surveykit.simulate import simulate

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"

AUDIT = """\
survey: mini_audit
version: 1
title: {zh: 检查, en: Audit}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
pages:
  - id: p1
    questions:
      - id: audit_mode
        type: choice
        text: {zh: 方式, en: Mode}
        options: {covert: {zh: 暗访, en: Covert}, open: {zh: 抽查, en: Open}}
      - id: s1
        type: checklist
        text: {zh: 环节一, en: Step one}
        cap: 40
        items:
          - {id: a, weight: 3, critical: true, text: {zh: 甲, en: A}}
          - {id: b, weight: 1, text: {zh: 乙, en: B}}
      - id: s2
        type: checklist
        text: {zh: 环节二, en: Step two}
        items:
          - {id: c, weight: 2, critical: true, text: {zh: 丙, en: C}}
          - {id: d, weight: 2, text: {zh: 丁, en: D}}
"""


@pytest.fixture(scope="module")
def mini():
    return load_questionnaire(AUDIT)


def frame(rows):
    return pd.DataFrame(rows, columns=["dealer", "audit_mode", "a", "b", "c", "d"])


def test_step_scores_by_hand(mini):
    df = frame(
        [
            ["X", "covert", "yes", "yes", "yes", "yes"],  # all met
            ["X", "open", "yes", "no", "yes", "na"],  # s1 3/4; s2: d n.a. -> 2/2
            ["Y", "covert", "no", "yes", "yes", "no"],  # s1 critical failed: 1/4 = 25 capped at 40 stays 25
            ["Y", "open", "no", "na", "no", "yes"],  # s1 0/3 -> 0; s2 critical failed: 50 -> cap 0
            ["Y", "open", "na", "na", "na", None],  # nothing applicable: NaN, NaN
        ]
    )
    s = step_scores(mini, df)
    assert s["s1"].tolist()[:4] == [100, 75, 25, 0]
    assert s["s2"].tolist()[:4] == [100, 100, 50, 0]
    assert s.iloc[4].isna().all()
    # overall weighs each step by its applicable weight: row 2 = (4*75 + 2*100) / 6
    assert s["overall"].tolist()[:4] == pytest.approx([100, 500 / 6, (4 * 25 + 4 * 50) / 8, 0])


def test_critical_failure_caps_at_the_declared_cap(mini):
    df = frame([["X", "open", "no", "yes", "yes", "yes"]])  # s1 raw 1/4 = 25 < cap 40 -> 25
    assert step_scores(mini, df)["s1"].iloc[0] == 25
    heavy = load_questionnaire(
        AUDIT.replace("weight: 3, critical", "weight: 1, critical").replace("{id: b, weight: 1", "{id: b, weight: 9")
    )
    assert step_scores(heavy, df)["s1"].iloc[0] == 40  # raw 90 capped at 40


def test_compliance_tables(mini):
    df = frame(
        [
            ["X", "covert", "yes", "yes", "yes", "yes"],
            ["X", "open", "yes", "no", "yes", "na"],
            ["Y", "covert", "no", "yes", "yes", "no"],
            ["Y", "open", "no", "na", "no", "yes"],
        ]
    )
    df["wave"] = ["W1", "W2", "W1", "W2"]
    r = compliance(mini, df)
    assert r.steps.loc["s1", "n"] == 4 and r.steps.loc["s1", "mean"] == pytest.approx(50)
    assert r.steps.loc["s1", "pct_critical_failed"] == pytest.approx(50)
    assert r.steps.loc["s1", "pct_not_met"] == pytest.approx(100 * 3 / 7)  # a: 2 of 4, b: 1 of 3
    assert r.items.index[0] == "a" and r.items.loc["a", "pct_not_met"] == 50  # most often failed first
    assert r.by_unit.loc["X", "n"] == 2 and r.by_unit.loc["Y", "s1"] == pytest.approx(12.5)
    assert r.waves.loc["X", "W1"] == 100 and r.waves.loc["Y", "W2"] == 0
    assert r.by_mode.loc["covert", "n"] == 2
    assert "overall" in r.summary()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unit_correlation_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    x = pd.Series(rng.normal(size=12), index=[f"u{i}" for i in range(12)])
    y = 0.5 * x + pd.Series(rng.normal(size=12), index=x.index)
    got = unit_correlation(x, y)
    ref = stats.pearsonr(x, y)  # scipy's interval is Fisher's z, as R's cor.test
    ci = ref.confidence_interval(0.95)
    assert got["r"] == pytest.approx(ref.statistic, rel=1e-12)
    assert got["p"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert got["n_units"] == 12


def test_unit_correlation_aligns_units_and_needs_spread():
    x = pd.Series([1.0, 2, 3, 4], index=list("abcd"))
    y = pd.Series([2.0, 4, 6, 8, 10], index=list("abcde"))
    assert unit_correlation(x, y)["n_units"] == 4
    flat = unit_correlation(x, pd.Series(1.0, index=x.index))
    assert np.isnan(flat["r"])


DEALERS = [f"D{i:02d}" for i in range(24)]


def _linked(audit_seed: int, csi_seed: int):
    audit = load_questionnaire(ROOT / "process_audit_aftersales.yaml")
    csi = load_questionnaire(ROOT / "dealer_aftersales_csi.yaml")
    audits = simulate(
        audit, 480, seed=11, fields={"dealer": DEALERS}, unit_shift=dealer_levels(DEALERS, seed=audit_seed)
    )
    customers = simulate(
        csi, 2400, seed=12, fields={"dealer": DEALERS}, unit_shift=dealer_levels(DEALERS, seed=csi_seed)
    )
    return audit, audits, csi, customers


def test_planted_compliance_csi_relation_is_recovered():
    audit, audits, csi, customers = _linked(7, 7)
    link = csi_link(audit, audits, csi, customers)
    assert link.unit_field == "dealer"
    assert set(link.links.index) == {
        "appointment",
        "reception",
        "diagnosis",
        "repair_order",
        "in_progress",
        "work_quality",
        "delivery",
        "follow_up",
    }
    assert (link.links["n_units"] == 24).all()
    assert (link.links["r"] > 0.3).all()
    assert (link.links["ci_low"] > 0).sum() >= 6
    assert len(link.points) == 8 * 24


def test_unrelated_dealer_levels_give_no_relation():
    audit, audits, csi, customers = _linked(7, 8)  # different levels: nothing planted between the surveys
    link = csi_link(audit, audits, csi, customers)
    covered = (link.links["ci_low"] < 0) & (link.links["ci_high"] > 0)
    assert covered.sum() >= 6


def test_csi_link_needs_a_shared_step(mini):
    csi = load_questionnaire(ROOT / "dealer_aftersales_csi.yaml")
    df = frame([["X", "open", "yes", "yes", "yes", "yes"]])
    with pytest.raises(ValueError, match="no checklist of 'mini_audit' has a rating of the same id"):
        csi_link(mini, df, csi, simulate(csi, 20, seed=1))


@pytest.mark.parametrize(
    ("lang", "heading", "link"),
    [
        ("en", "Process audits: compliance", "Process compliance and what customers say"),
        ("zh", "流程执行检查：合规率", "流程执行与客户评价"),
    ],
)
def test_audit_report_in_both_languages(tmp_path, lang, heading, link):
    audit, audits, csi, customers = _linked(7, 7)
    audits["wave"] = np.where(np.arange(len(audits)) % 2, "2026-Q1", "2026-Q2")
    out = tmp_path / "a.html"
    write_report(audit, audits, out, lang=lang, customers=(csi, customers))
    html = out.read_text(encoding="utf-8")
    assert heading in html and link in html and CAUTION[lang] in html
    assert "2026-Q2" in html.split('id="audit"')[1].split("</section>")[0]  # the trend over waves
    assert html.count("<figure>") >= 9  # the step chart and a scatter per linked step
    assert "<built-in" not in html


def test_report_from_store_links_the_stored_csi(engine):
    from analysis.report import report_from_store
    from surveykit import storage

    audit, audits, csi, customers = _linked(7, 7)
    storage.save_frame(engine, audit, audits.iloc[:120])
    storage.save_frame(engine, csi, customers.iloc[:600])
    made = report_from_store(engine, audit, lang="en")
    assert 'id="audit"' in made.html and 'id="audit-link"' in made.html
    assert CAUTION["en"] in made.html
    assert 'id="audit-link"' not in report_from_store(engine, csi, lang="en").html  # the CSI report is its own
