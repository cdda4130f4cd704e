"""Gap 1 (staff belief - customer expectation): Welch against scipy, a planted gap recovered, the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from analysis.analyze import analyze
from analysis.gap1 import gap1, mirror_pairs, welch_test
from analysis.priorities import improvement_priorities
from analysis.report import write_report
from surveykit import load_questionnaire
from surveykit.simulate import simulate

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"


@pytest.fixture(scope="module")
def pair():
    return load_questionnaire(ROOT / "servqual_staff_mirror.yaml"), load_questionnaire(ROOT / "servqual.yaml")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([5, 6, 6, 7], [6, 7, 7, 7, 6, 7]),
        ([1, 2, 2, 3, 7, 7, 4], [4, 4, 5]),
        (list(range(1, 8)) * 3, [7] * 20 + [6]),
    ],
)
def test_welch_matches_scipy(a, b):
    # peer: scipy.stats.ttest_ind(equal_var=False), the test of R's t.test(a, b) (var.equal = FALSE)
    got = welch_test(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert got["t"] == pytest.approx(ref.statistic, rel=1e-12)
    assert got["df"] == pytest.approx(ref.df, rel=1e-12)
    assert got["p"] == pytest.approx(ref.pvalue, rel=1e-10)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert got["gap"] == pytest.approx(np.mean(a) - np.mean(b))


def test_welch_needs_two_answers_a_side_and_is_nan_without_spread():
    with pytest.raises(ValueError, match="2 answers on each side, got 1 staff and 3 customers"):
        welch_test([4], [1, 2, 3])
    flat = welch_test([5, 5, 5], [5, 5])
    assert flat["gap"] == 0 and np.isnan(flat["p"]) and np.isnan(flat["ci_low"])


def _frames(pair, shift_reliability: int, *, n_customers=400, n_staff=150, seed=3):
    """Staff answers drawn from the customers' own expectations (no gap), reliability shifted by ``shift``."""
    mirror, customer = pair
    customers = simulate(customer, n_customers, seed=seed, fields={"dealer": ["D1", "D2", "D3"]})
    staff = simulate(mirror, n_staff, seed=seed + 1, fields={"dealer": ["D1", "D2", "D3", "D4"]})
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, n_customers, n_staff)
    for variable, item in mirror.mirror_of.items:
        values = customers[f"{item}_e"].to_numpy()[rows]
        if item.startswith("rel"):
            values = np.clip(values + shift_reliability, 1, 7)
        staff[variable] = values
    staff.loc[staff["dealer"] == "D4", "dealer"] = np.where(np.arange((staff["dealer"] == "D4").sum()) < 3, "D4", "D1")
    return mirror, staff, customer, customers


def test_planted_underestimate_of_reliability_is_recovered(pair):
    mirror, staff, customer, customers = _frames(pair, -2)
    result = gap1(mirror, staff, customer, customers)
    dims = result.dimensions
    assert dims.loc["reliability", "gap"] < -1.0
    assert dims.loc["reliability", "p_holm"] < 1e-6
    others = dims.drop(index="reliability")
    assert (others["p_holm"] > 0.05).all(), others
    assert (result.items.loc[["rel1", "rel2", "rel3", "rel4", "rel5"], "gap"] < -0.8).all()
    # by dealer: D4 has 3 staff answers and no customer, so it is not shown, nor the smallest other
    # dealer's staff, which the pooled staff figures minus the shown dealers would otherwise give back
    assert result.unit_field == "dealer"
    smallest = staff["dealer"].value_counts().drop("D4").sort_index().idxmin()
    assert set(result.units["unit"]) == {"D1", "D2", "D3"} - {smallest}
    assert result.suppressed_units == tuple(sorted(("D4", smallest)))
    assert (result.units.loc[result.units["dimension"] == "reliability", "gap"] < -0.8).all()


def test_dimension_gap_is_welch_on_respondent_dimension_means(pair):
    mirror, staff, customer, customers = _frames(pair, 0.0, n_customers=60, n_staff=20)
    result = gap1(mirror, staff, customer, customers)
    cols = [v for v, i in mirror.mirror_of.items if i.startswith("emp")]
    ref = stats.ttest_ind(
        staff[cols].mean(axis=1), customers[[f"emp{k}_e" for k in range(1, 6)]].mean(axis=1), equal_var=False
    )
    assert result.dimensions.loc["empathy", "t"] == pytest.approx(ref.statistic, rel=1e-10)
    assert result.dimensions.loc["empathy", "items"] == 5
    # Holm over the five dimension tests (R p.adjust(p, "holm"))
    p = result.dimensions["p"].to_numpy()
    order = np.argsort(p)
    expected = np.minimum(1, np.maximum.accumulate((5 - np.arange(5)) * p[order]))
    assert result.dimensions["p_holm"].to_numpy()[order] == pytest.approx(expected)


def test_mirror_pairs_refuse_a_survey_it_does_not_mirror(pair):
    mirror, customer = pair
    block, pairs = mirror_pairs(mirror, customer)
    assert block.id == "sq" and pairs["rel1"] == "mt_rel1" and len(pairs) == 22
    other = load_questionnaire(ROOT / "dealer_aftersales_csi.yaml")
    with pytest.raises(ValueError, match="mirrors 'servqual', not 'dealer_aftersales_csi'"):
        mirror_pairs(mirror, other)
    with pytest.raises(ValueError, match="has no mirror_of"):
        mirror_pairs(customer, customer)


def test_missing_staff_column_is_named(pair):
    mirror, staff, customer, customers = _frames(pair, 0.0, n_customers=30, n_staff=10)
    with pytest.raises(ValueError, match="no column 'mt_rel3'"):
        gap1(mirror, staff.drop(columns="mt_rel3"), customer, customers)


def test_priorities_say_managers_underestimate_reliability(pair):
    mirror, staff, customer, customers = _frames(pair, -2)
    result = analyze(customer, customers)
    found = improvement_priorities(customer, result, lang="en", gap1=gap1(mirror, staff, customer, customers))
    kinds = {(p.kind, p.subject) for p in found}
    # every role shares the planted gap: each compared role is named, the pooled sentence is not repeated
    assert {("gap1_role_under", "manager:reliability"), ("gap1_role_under", "frontline:reliability")} <= kinds
    assert not any(k.startswith("gap1") and not s.endswith("reliability") for k, s in kinds)
    assert ("gap1_under", "reliability") not in kinds
    # without a role column the pooled gap speaks for managers and staff together
    pooled = gap1(mirror, staff.drop(columns="staff_role"), customer, customers)
    assert pooled.roles is None and pooled.role_difference is None
    found = improvement_priorities(customer, result, lang="en", gap1=pooled)
    assert ("gap1_under", "reliability") in {(p.kind, p.subject) for p in found}


def _by_role(pair, *, n_managers=60, n_frontline=80, n_back_office=6, seed=11):
    """Staff answers drawn from the customers' expectations; the managers' reliability 2 points lower."""
    mirror, staff, customer, customers = _frames(pair, 0, n_staff=n_managers + n_frontline + n_back_office, seed=seed)
    staff["staff_role"] = ["manager"] * n_managers + ["frontline"] * n_frontline + ["back_office"] * n_back_office
    managers = staff["staff_role"] == "manager"
    for variable, item in mirror.mirror_of.items:
        if item.startswith("rel"):
            staff.loc[managers, variable] = np.clip(staff.loc[managers, variable] - 2, 1, 7)
    return mirror, staff, customer, customers


def test_gap1_by_role_recovers_the_managers_gap(pair):
    mirror, staff, customer, customers = _by_role(pair)
    result = gap1(mirror, staff, customer, customers)
    assert result.role_field == "staff_role"
    roles = result.roles.set_index(["role", "dimension"])
    assert set(roles.index.get_level_values("role")) == {"manager", "frontline", "back_office"}
    assert result.suppressed_roles == ()
    assert int(result.dimensions.loc["reliability", "n_staff"]) == 146
    assert roles.loc[("manager", "reliability"), "gap"] < -1.5
    assert roles.loc[("manager", "reliability"), "p_holm"] < 1e-6
    # frontline staff answer from the customers' own expectations: no dimension's gap is significant
    assert (roles.loc["frontline", "p_holm"] > 0.05).all()
    # managers - frontline: only reliability, about -2 (the clip at 1 takes a little off)
    diff = result.role_difference
    assert -2.2 < diff.loc["reliability", "difference"] < -1.5 and diff.loc["reliability", "p_holm"] < 1e-6
    assert (diff.drop(index="reliability")["p_holm"] > 0.05).all()
    # the difference is Welch on the two groups' dimension scores (scipy as the peer)
    cols = [v for v, i in mirror.mirror_of.items if i.startswith("rel")]
    scores = staff[cols].mean(axis=1)
    ref = stats.ttest_ind(
        scores[staff["staff_role"] == "manager"], scores[staff["staff_role"] == "frontline"], equal_var=False
    )
    assert diff.loc["reliability", "t"] == pytest.approx(ref.statistic, rel=1e-10)
    assert diff.loc["reliability", "p"] == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)
    # Holm over the five dimensions (R p.adjust(p, "holm"))
    p = diff["p"].to_numpy()
    order = np.argsort(p)
    expected = np.minimum(1, np.maximum.accumulate((5 - np.arange(5)) * p[order]))
    assert diff["p_holm"].to_numpy()[order] == pytest.approx(expected)
    # the priority names the group
    found = improvement_priorities(customer, analyze(customer, customers), lang="en", gap1=result)
    kinds = {(p.kind, p.subject) for p in found}
    assert ("gap1_role_under", "manager:reliability") in kinds
    assert not any(s.startswith("frontline") for _k, s in kinds)
    assert ("gap1_under", "reliability") not in kinds  # the group is named instead
    # a back office of 3 is not shown alone, and the managers (the smaller other role) are withheld
    # beside it: pooled minus frontline minus managers would give the 3 back; no difference then
    small = gap1(*_by_role(pair, n_back_office=3)[:2], customer, customers)
    assert small.suppressed_roles == ("manager", "back_office")
    assert set(small.roles["role"]) == {"frontline"} and small.role_difference is None


@pytest.mark.parametrize(
    ("lang", "heading", "priority"),
    [
        (
            "en",
            "Gap 1: how well management and staff know what customers expect",
            "Managers underestimate what customers expect of Reliability",
        ),
        ("zh", "差距一：管理者与员工对客户期望的认知", "管理人员低估了客户对“可靠性”的期望"),
    ],
)
def test_report_shows_gap1_beside_gap5(pair, tmp_path, lang, heading, priority):
    mirror, staff, customer, customers = _by_role(pair)
    out = tmp_path / "r.html"
    write_report(customer, customers, out, lang=lang, mirror=(mirror, staff))
    html = out.read_text(encoding="utf-8")
    assert heading in html and priority in html
    assert html.index('id="servqual-sq"') < html.index('id="gap1"')
    section = html[html.index('id="gap1"') :]
    section = section.split("</section>")[0]
    assert "<td>D1</td>" in section and "<td>D4</td>" not in section
    assert "<built-in" not in html
    # per role (managers, frontline, back office) and managers against frontline staff
    words = {
        "en": ("By role", "Managers against frontline", "Manager or supervisor"),
        "zh": ("按岗位", "管理人员与一线员工的认知差异", "管理人员（经理、主管）"),
    }[lang]
    assert words[0] in section and words[1] in section and f"<td>{words[2]}</td>" in section


def test_report_without_mirror_has_no_gap1(pair, tmp_path):
    _, customer = pair
    out = tmp_path / "r.html"
    write_report(customer, simulate(customer, 60, seed=1), out, lang="en")
    assert 'id="gap1"' not in out.read_text(encoding="utf-8")


def test_report_from_store_finds_the_stored_mirror(pair, engine):
    from analysis.report import report_from_store
    from surveykit import storage

    mirror, staff, customer, customers = _frames(pair, -2, n_customers=120, n_staff=40)
    storage.save_frame(engine, customer, customers)
    storage.save_frame(engine, mirror, staff)
    made = report_from_store(engine, customer, lang="en")
    assert 'id="gap1"' in made.html and "underestimate what customers expect of Reliability" in made.html
    alone = report_from_store(engine, mirror, lang="en")  # the mirror's own report has no gap 1
    assert 'id="gap1"' not in alone.html
