"""Employee satisfaction: index by hand, min-n suppression everywhere by unit, the planted ES-CS link, the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.employee import by_unit, cs_link, customer_measures, es_scores, summarise, suppress_small_units
from analysis.report import write_report
from analysis.unit_link import CAUTION
from surveykit import QuestionnaireError, load_questionnaire
from surveykit.linked import dealer_levels
from surveykit.simulate import simulate

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"
DEALERS = [f"D{i:02d}" for i in range(20)]


@pytest.fixture(scope="module")
def es():
    return load_questionnaire(ROOT / "employee_satisfaction.yaml")


@pytest.fixture(scope="module")
def csi():
    return load_questionnaire(ROOT / "dealer_aftersales_csi.yaml")


def test_shipped_instrument_covers_the_issue_dimensions(es):
    assert [d.id for d in es.dimensions] == ["work", "pay", "manager", "growth", "teamwork", "tools", "recognition"]
    assert es.anonymous is not None and es.anonymous.min_n == 5
    assert es.question("enps").type == "nps"


def test_min_n_below_two_is_refused():
    text = (ROOT / "employee_satisfaction.yaml").read_text(encoding="utf-8").replace("min_n: 5", "min_n: 1")
    with pytest.raises(QuestionnaireError, match=r":20:10: anonymous.min_n: min_n is at least 2, got 1"):
        load_questionnaire(text)


def test_es_index_by_hand(es):
    df = simulate(es, 3, seed=1)
    items = [r.id for x in es.questions() if x.type == "matrix" for r in x.rows]
    df.loc[0, items] = 5  # every item at the top: 100
    df.loc[1, items] = 1
    df.loc[2, items] = 3
    df.loc[2, ["wk_meaning", "wk_workload", "wk_clear"]] = [5, 5, np.nan]  # work: mean of two answered = 100
    s = es_scores(es, df)
    assert s["es_index"].tolist()[:2] == [100, 0]
    assert s.loc[2, "work"] == 100 and s.loc[2, "pay"] == 50
    assert s.loc[2, "es_index"] == pytest.approx((100 + 6 * 50) / 7)  # dimensions weigh the same


def test_small_units_are_suppressed_in_every_by_unit_figure(es, tmp_path):
    df = simulate(es, 60, seed=2, fields={"dealer": ["A", "B", "C"]})
    df["dealer"] = ["A"] * 30 + ["B"] * 26 + ["C"] * 4  # C has 4 answers: below min_n
    table, hidden = by_unit(es, df, "dealer")
    assert list(table.index) == ["A", "B"] and hidden == 1
    masked = suppress_small_units(es, df)
    assert masked["dealer"].isna().sum() == 4 and len(masked) == 60  # still counted in the totals
    out = tmp_path / "es.html"
    write_report(es, df, out, lang="en")
    html = out.read_text(encoding="utf-8")
    assert 'id="employee"' in html and ">A</td>" in html
    assert ">C</td>" not in html  # neither in the ES table nor in the generic segment sections
    assert "(1)" in html  # the hidden unit is counted, not named


def test_customer_measures_complaints_follow_the_alert_rules(csi):
    df = simulate(csi, 200, seed=3)
    m = customer_measures(csi, df)
    unhappy = (df["sat_overall"] <= 2) | (df["recommend"] <= 6)
    assert (m.loc[unhappy, "complaint"] == 100).all()
    assert m["cs_index"].between(0, 100).all()


def _linked(es, csi, es_seed, cs_seed):
    staff = simulate(es, 600, seed=21, fields={"dealer": DEALERS}, unit_shift=dealer_levels(DEALERS, seed=es_seed))
    customers = simulate(
        csi, 2000, seed=22, fields={"dealer": DEALERS}, unit_shift=dealer_levels(DEALERS, seed=cs_seed)
    )
    return staff, customers


def test_planted_es_cs_relation_is_recovered(es, csi):
    staff, customers = _linked(es, csi, 5, 5)
    link = cs_link(es, staff, csi, customers)
    assert link.unit_field == "dealer" and (link.links["n_units"] == 20).all()
    assert link.links.loc["cs_index", "ci_low"] > 0.3
    assert link.links.loc["nps", "ci_low"] > 0.3
    assert link.links.loc["complaints", "ci_high"] < -0.3


def test_unrelated_levels_give_no_es_cs_relation(es, csi):
    staff, customers = _linked(es, csi, 5, 6)
    link = cs_link(es, staff, csi, customers)
    assert link.links.loc["cs_index", "ci_low"] < 0 < link.links.loc["cs_index", "ci_high"]


def test_units_below_min_n_stay_out_of_the_link(es, csi):
    staff, customers = _linked(es, csi, 5, 5)
    keep = staff["dealer"] != "D03"
    staff = pd.concat([staff[keep], staff[~keep].iloc[:4]])
    link = cs_link(es, staff, csi, customers)
    assert "D03" not in link.points.index and (link.links["n_units"] == 19).all()


@pytest.mark.parametrize(
    ("lang", "title", "link"),
    [
        ("en", "Employee satisfaction", "Employee satisfaction and customer satisfaction"),
        ("zh", "员工满意度", "员工满意与客户满意"),
    ],
)
def test_es_report_links_customers_in_both_languages(es, csi, tmp_path, lang, title, link):
    staff, customers = _linked(es, csi, 5, 5)
    out = tmp_path / "es.html"
    write_report(es, staff, out, lang=lang, customers=(csi, customers))
    html = out.read_text(encoding="utf-8")
    assert title in html and link in html and CAUTION[lang] in html and "Heskett" in html
    assert html.split('id="employee-link"')[1].split("</section>")[0].count("<figure>") == 3


def test_report_from_store_finds_the_customer_survey(es, csi, engine):
    from analysis.report import report_from_store
    from surveykit import storage

    staff, customers = _linked(es, csi, 5, 5)
    storage.save_frame(engine, es, staff.iloc[:200])
    storage.save_frame(engine, csi, customers.iloc[:400])
    made = report_from_store(engine, es, lang="en")
    assert 'id="employee"' in made.html and 'id="employee-link"' in made.html
    assert 'id="employee' not in report_from_store(engine, csi, lang="en").html


def test_summary_names_hidden_units(es):
    df = simulate(es, 40, seed=9, fields={"dealer": DEALERS})
    r = summarise(es, df)
    assert r.hidden_units == sum(df["dealer"].value_counts() < 5)
    assert "hidden" in r.summary()
