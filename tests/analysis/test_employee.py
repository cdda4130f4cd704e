"""Employee satisfaction: index by hand, min-n suppression everywhere by unit, the planted ES-CS link, the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.employee import (
    by_unit,
    cs_link,
    customer_measures,
    department_link,
    es_scores,
    summarise,
    suppress_small_units,
)
from analysis.report import write_report
from analysis.unit_link import CAUTION
from surveykit import QuestionnaireError, load_questionnaire
from surveykit.linked import cell_levels, dealer_levels
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
    # the overall index minus A and B would give C back: B, the smaller, is withheld with it
    assert list(table.index) == ["A"] and hidden == 2
    df["dealer"] = ["A"] * 30 + ["B"] * 26 + ["C"] * 4
    df.loc[:5, "dealer"] = None  # six answers without a unit pool with C: B can be shown
    table, hidden = by_unit(es, df, "dealer")
    assert list(table.index) == ["A", "B"] and hidden == 1
    df["dealer"] = ["A"] * 30 + ["B"] * 26 + ["C"] * 4
    masked = suppress_small_units(es, df)
    assert masked["dealer"].isna().sum() == 30 and len(masked) == 60  # C and B, still counted in the totals
    out = tmp_path / "es.html"
    write_report(es, df, out, lang="en")
    html = out.read_text(encoding="utf-8")
    assert 'id="employee"' in html and ">A</td>" in html
    assert ">C</td>" not in html  # neither in the ES table nor in the generic segment sections
    assert ">B</td>" not in html.split('id="employee"')[1].split("</section>")[0]
    assert "(2)" in html  # the hidden units are counted, not named


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
    smallest = staff[keep]["dealer"].value_counts().sort_index().idxmin()
    staff = pd.concat([staff[keep], staff[~keep].iloc[:4]])
    link = cs_link(es, staff, csi, customers)
    # D03 (4 staff) and, by complementary suppression, the smallest other dealer are left out
    assert "D03" not in link.points.index and smallest not in link.points.index
    assert (link.links["n_units"] == 18).all()


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
    # and by dealer and department, through the declared links (the after-sales survey: one department)
    part = html.split('id="employee-link-department"')[1].split("</section>")[0]
    heading = {"en": "by dealer and department", "zh": "按经销商和部门"}[lang]
    mapping = {"en": "Mechanical repair → After-sales", "zh": "机电维修 → 售后服务"}[lang]
    assert heading in html and mapping in part and CAUTION[lang] in part and part.count("<figure>") >= 2


def test_report_from_store_finds_the_customer_survey(es, csi, engine):
    from analysis.report import report_from_store
    from surveykit import storage

    staff, customers = _linked(es, csi, 5, 5)
    storage.save_frame(engine, es, staff.iloc[:200])
    storage.save_frame(engine, csi, customers.iloc[:400])
    made = report_from_store(engine, es, lang="en")
    assert 'id="employee"' in made.html and 'id="employee-link"' in made.html
    assert 'id="employee-link-department"' in made.html  # the department field's links found the stored survey
    assert 'id="employee' not in report_from_store(engine, csi, lang="en").html


def test_summary_names_hidden_units(es):
    df = simulate(es, 40, seed=9, fields={"dealer": DEALERS})
    r = summarise(es, df)
    assert r.hidden_units >= sum(df["dealer"].value_counts() < 5)
    assert "hidden" in r.summary()


AFTER = "dealer_aftersales_csi.yaml"
SALES = "sales_csi.yaml"
DEPARTMENTS = ["sales", "after_sales", "support"]


def _by_department(es, es_seed, cs_seed):
    """Staff and both customer surveys of 20 dealers, sharing department levels only (no dealer levels):
    the one relation planted is between a department's staff and the customers it serves."""
    after, sales = load_questionnaire(ROOT / AFTER), load_questionnaire(ROOT / SALES)
    staff_levels = cell_levels(DEALERS, DEPARTMENTS, seed=es_seed)
    cs_levels = cell_levels(DEALERS, DEPARTMENTS, seed=cs_seed)
    staff = simulate(es, 1200, seed=31, fields={"dealer": DEALERS}, cell_shift=("department", staff_levels))
    workshop = {(d, c): cs_levels[d, "after_sales"] for d in DEALERS for c in ("mechanical", "body_paint", "express")}
    after_df = simulate(after, 1500, seed=32, fields={"dealer": DEALERS}, cell_shift=("department", workshop))
    showroom = {d: cs_levels[d, "sales"] for d in DEALERS}
    sales_df = simulate(sales, 1500, seed=33, fields={"dealer": DEALERS}, unit_shift=showroom)
    return staff, [(after, after_df), (sales, sales_df)]


def test_planted_department_relation_is_recovered(es):
    staff, surveys = _by_department(es, 7, 7)
    link = department_link(es, staff, surveys)
    # 20 dealers x the two departments with customers; support serves no customer survey
    assert link.unit_field == "dealer+department" and (link.links["n_units"] == 40).all()
    assert {u.split(" / ")[1] for u in link.points.index} == {"sales", "after_sales"}
    # seeds 7/7 give r = 0.88 [0.79, 0.94] (satisfaction) and 0.92 (NPS); the bound leaves room for other seeds
    assert link.links.loc["cs_index", "ci_low"] > 0.5 and link.links.loc["nps", "ci_low"] > 0.5
    unrelated = department_link(es, staff, _by_department(es, 7, 8)[1])
    assert unrelated.links.loc["cs_index", "ci_low"] < 0 < unrelated.links.loc["cs_index", "ci_high"]


def test_department_link_withholds_small_and_complementary_units(es):
    staff, surveys = _by_department(es, 7, 7)
    # D05: 3 sales staff and no support: sales is withheld, and after-sales with it (the dealer's index
    # minus after-sales would give the 3 back); D06: 3 sales staff beside its support staff: sales alone
    d05 = staff["dealer"] == "D05"
    d05_sales = staff.index[d05 & (staff["department"] == "sales")]
    d05_support = staff.index[d05 & (staff["department"] == "support")]
    d06_sales = staff.index[(staff["dealer"] == "D06") & (staff["department"] == "sales")]
    staff = staff.drop(index=[*d05_sales[3:], *d05_support, *d06_sales[3:]])
    link = department_link(es, staff, surveys)
    shown = set(link.points.index)
    assert not {"D05 / sales", "D05 / after_sales", "D06 / sales"} & shown
    assert "D06 / after_sales" in shown and (link.links["n_units"] == 37).all()
    assert (link.points["n_staff"] >= 5).all()


@pytest.mark.parametrize(
    ("links", "message"),
    [
        (
            "{dealer_aftersales_csi: {all: sales, field: department}}",
            ":33:36: fields.department.links.dealer_aftersales_csi: give either all",
        ),
        ("{sales_csi: {all: marketing}}", "value 'marketing' is not one of department's values"),
        ("{x: {field: department, values: {sales: [a], support: [a]}}}", "'a' already stands for 'sales'"),
        ("{x: {field: department}}", "give either all: <value> or field: with values:"),
    ],
)
def test_bad_department_links_are_refused(links, message):
    text = (ROOT / "employee_satisfaction.yaml").read_text(encoding="utf-8")
    start = text.index("    links:\n")
    end = text.index("\n\n", start)
    bad = text[:start] + f"    links: {links}" + text[end:]
    with pytest.raises(QuestionnaireError, match=message):
        load_questionnaire(bad)


def test_simulate_command_plants_department_levels(es, tmp_path):
    """surveykit simulate --linked SEED [--linked-staff ES.yaml]: staff, after-sales and sales customers
    of the same dealers share dealer and department levels, which department_link then finds."""
    from click.testing import CliRunner

    from surveykit.cli import main
    from surveykit.export import read_table

    dealers = "dealer=" + ",".join(DEALERS)
    es_path = str(ROOT / "employee_satisfaction.yaml")
    runs = {
        "es": [es_path, "-n", "1200", "--seed", "41"],
        "after": [str(ROOT / AFTER), "-n", "1500", "--seed", "42", "--linked-staff", es_path],
        "sales": [str(ROOT / SALES), "-n", "1500", "--seed", "43", "--linked-staff", es_path],
    }
    runner = CliRunner()
    frames = {}
    for name, args in runs.items():
        out = tmp_path / f"{name}.csv"
        result = runner.invoke(main, ["simulate", *args, "--field", dealers, "--linked", "9", "-o", str(out)])
        assert result.exit_code == 0, result.output
        frames[name] = read_table(out, load_questionnaire(args[0]))
    after, sales = load_questionnaire(ROOT / AFTER), load_questionnaire(ROOT / SALES)
    link = department_link(es, frames["es"], [(after, frames["after"]), (sales, frames["sales"])])
    assert (link.links["n_units"] == 40).all()
    assert link.links.loc["cs_index", "ci_low"] > 0.5  # dealer and department levels shared
    refused = runner.invoke(main, ["simulate", str(ROOT / AFTER), "--linked-staff", es_path, "-n", "5"])
    assert refused.exit_code == 2 and "--linked-staff goes with --linked SEED" in refused.output
