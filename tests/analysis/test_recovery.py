"""Service recovery (analysis/recovery.py) and the report's service-recovery section."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.analyze import analyze
from analysis.recovery import _wilson, service_recovery
from analysis.report import render_report
from surveykit import load_questionnaire
from surveykit.cases import CASE_COLUMNS
from surveykit.simulate import simulate

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"
T = pd.Timestamp("2026-03-02 08:00")


def _h(hours: float) -> pd.Timestamp:
    return T + pd.Timedelta(hours=hours)


def frame(survey: str = "dealer_aftersales_csi") -> pd.DataFrame:
    """Five cases, worked out by hand below."""
    rows = [
        # id, alert, department, state, root cause, first contact (h), closed (h), overdue, sent, recovered
        (1, "unhappy", "mechanical", "done_evaluated", "repair_quality", 2, 30, False, True, True),
        (2, "unhappy", "mechanical", "done_evaluated", "parts", 30, 70, False, True, False),
        (3, "unhappy", "body_paint", "closed_without_action", None, None, 5, False, False, None),
        (4, "may_not_return", "customer_care", "verified", None, 10, None, False, False, None),
        (5, "unhappy", None, "open", None, None, None, True, False, None),
    ]
    records = []
    for cid, alert, dept, state, root, contact, closed, overdue, sent, recovered in rows:
        records.append(
            {
                "case_id": cid,
                "survey": survey,
                "response_id": f"r{cid}",
                "alert": alert,
                "label": alert,
                "dealer": "D1",
                "department": dept,
                "priority": "high",
                "state": state,
                "created_at": T,
                "first_contact_due": _h(24),
                "first_contact_at": _h(contact) if contact is not None else pd.NaT,
                "overdue_at": pd.NaT,
                "closed_at": _h(closed) if closed is not None else pd.NaT,
                "overdue": overdue,
                "root_cause": root,
                "recovery_sent_at": _h(80) if sent else pd.NaT,
                "recovery_answered_at": _h(90) if recovered is not None else pd.NaT,
                "recovery_score": {True: 5.0, False: 2.0}.get(recovered, math.nan),
                "recovery_points": 5 if recovered is not None else pd.NA,
                "recovered": recovered,
            }
        )
    df = pd.DataFrame.from_records(records, columns=list(CASE_COLUMNS))
    df["recovered"] = df["recovered"].astype("boolean")
    return df


def test_counts_times_and_recovered_share():
    r = service_recovery(frame())
    # by hand: 5 cases; active = verified + open; contacted: 2, 30, 10 h -> median 10, on time 2 of 3
    assert (r.n_cases, r.n_active, r.n_overdue, r.n_done, r.n_closed_without_action) == (5, 2, 1, 2, 1)
    assert (r.n_contacted, r.n_not_contacted) == (3, 2)
    assert r.contact_hours_median == 10.0
    assert r.contact_hours_p90 == pytest.approx(26.0)  # numpy linear: 10 + 0.8 * (30 - 10)
    assert r.contacted_on_time_pct == pytest.approx(200 / 3)
    assert r.close_hours_median == 30.0  # closed after 30, 70 and 5 h
    assert (r.n_recovery_sent, r.n_recovery_answered, r.n_recovered, r.recovered_pct) == (2, 2, 1, 50.0)
    assert r.by_cause.loc["unhappy"].tolist() == [4, 1, 1, 3]
    assert r.by_root_cause["n"].to_dict() == {"repair_quality": 1, "parts": 1}
    dept = r.to_frame()
    assert dept.loc["mechanical", ["n", "contact_hours_median", "close_hours_median", "recovered_pct"]].tolist() == [
        2,
        16.0,
        50.0,
        50.0,
    ]
    assert dept.loc["(none)", "overdue"] == 1 and math.isnan(dept.loc["body_paint", "recovered_pct"])
    assert "recovered: 1 of 2 answered recovery surveys (50.0 %" in r.summary()


def test_no_contact_and_no_recovery_are_missing_not_zero():
    df = frame().iloc[[4]]
    r = service_recovery(df)
    assert math.isnan(r.contact_hours_median) and math.isnan(r.recovered_pct) and math.isnan(r.recovered_ci[0])
    assert "median –" in r.summary()


def test_a_missing_column_is_named():
    with pytest.raises(ValueError, match="recovered"):
        service_recovery(frame().drop(columns=["recovered"]))


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (81, 263, 25.53, 36.62),  # Newcombe (1998), Statistics in Medicine 17, 857-872, Table I, method 3
        (15, 148, 6.24, 16.05),
        (0, 20, 0.0, 16.11),
    ],
)
def test_wilson_interval(k, n, low, high):
    got = _wilson(k, n)
    assert got == pytest.approx((low, high), abs=0.01)


def _wilson_closed_form(k: int, n: int) -> tuple[float, float]:
    # Wilson (1927): (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), the hand-written
    # helper scipy's binomtest(...).proportion_ci(method="wilson") replaced.
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def test_wilson_is_the_closed_form_on_every_count_up_to_60():
    worst = max(
        abs(got - want)
        for n in range(1, 61)
        for k in range(n + 1)
        for got, want in zip(_wilson(k, n), _wilson_closed_form(k, n), strict=True)
    )
    assert worst < 1e-12  # in percent; measured 2.8e-14
    assert all(math.isnan(v) for v in _wilson(0, 0))


@pytest.fixture(scope="module")
def analysed():
    q = load_questionnaire(ROOT / "dealer_aftersales_csi.yaml")
    return q, analyze(q, simulate(q, 60, seed=4))


def _report(analysed, lang: str, cases: pd.DataFrame | None, lost=None) -> str:
    q, result = analysed
    html, _ = render_report(q, result, lang=lang, cases=cases, lost=lost)
    return html


def _section(html: str) -> str:
    match = re.search(r'<section id="recovery">.*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_the_report_has_the_section_only_when_the_survey_has_cases(analysed):
    from analysis.report_sections import recovery as _recovery

    q, _ = analysed
    assert _section(_report(analysed, "en", None)) == ""
    assert _recovery(q, frame(survey="servqual"), None, "en", None) is None  # another survey's cases
    assert _recovery(q, frame().iloc[:0], None, "en", None) is None


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        (
            "en",
            [
                "Service recovery",
                "Dissatisfied or detractor",
                "Customer at risk of leaving",
                "Repair quality",
                "Mechanical repair",
                "Reasons for leaving",
                "n = 80 customers",
                "1 of 2 recovery surveys satisfied",
            ],
        ),
        ("zh", ["服务补救", "不满意或不愿推荐的客户", "维修质量", "机电维修", "客户流失原因", "n = 80 位客户"]),
    ],
)
def test_the_section_with_causes_departments_and_lost_reasons(analysed, lang, texts):
    lost_q = load_questionnaire(ROOT / "lost_customer.yaml")
    section = _section(_report(analysed, lang, frame(), lost=(lost_q, simulate(lost_q, 80, seed=2))))
    for text in texts:
        assert text in section, text
    assert section.count("<img") == 2  # root causes, lost-customer reasons
    assert 'src="data:image/svg+xml;base64,' in section
