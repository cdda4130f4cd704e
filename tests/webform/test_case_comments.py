"""The case page shows the customer's comment masked, with its themes and the words that coded them marked;
a complaint threat opens a case through contains_any. SQLite and PostgreSQL for the opening, SQLite for the pages."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from surveykit import cases, storage
from tests.support.formclient import engine_of, questionnaire
from tests.webform.test_cases import _with_users, login

SURVEY = """\
survey: aftersales
version: 1
title: {zh: 售后回访, en: After-sales follow-up}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  department: {label: {zh: 部门, en: Department}}
scales:
  sat5: {points: 5}
pages:
  - id: p
    title: {zh: 问题, en: Questions}
    questions:
      - {id: sat, type: likert, scale: sat5, label: {zh: 满意度, en: Satisfaction}, text: {zh: 满意吗, en: Satisfied?}}
      - {id: comment, type: text, required: false, codeframe: default, label: {zh: 意见, en: Comment}, text: {zh: 意见, en: Comment}}
alerts:
  - id: unhappy
    label: {zh: 不满意的客户, en: Unhappy customer}
    when: sat <= 2
    department: {value: service}
  - id: threat
    label: {zh: 投诉威胁, en: Complaint threat}
    when: "comment contains_any ['投诉', '12315', 'lawyer', '律师']"
    department: {value: customer_care}
    priority: urgent
    first_contact_hours: 8
"""
COMMENT = "價格太贵，等了三个小时也没人告诉我进度 <b>!</b> 电话13800138000，车牌京A·12345"


def _submit(app: Any, comment: str, sat: int = 1) -> None:
    storage.save_response(
        engine_of(app),
        questionnaire(app, "aftersales"),
        {"sat": sat, "comment": comment},
        key=uuid.uuid4().hex,
        language="zh",
        fields={"dealer": "D01"},
    )


def _case_page(app: Any, lang: str = "en") -> str:
    _submit(app, COMMENT)
    case_id = max(c.id for c in cases.list_cases(engine_of(app)))
    client = login(app, "alice")
    client.get(f"/admin/cases/?lang={lang}")
    return client.get(f"/admin/cases/{case_id}").get_data(as_text=True)


def test_case_page_masks_and_highlights_the_comment(make_app):
    text = _case_page(_with_users(make_app(SURVEY)))
    assert "13800138000" not in text and "京A·12345" not in text
    assert "[phone]" in text and "[plate]" in text
    assert "&lt;b&gt;!&lt;/b&gt;" in text and "<b>!</b>" not in text
    caption = re.search(r'<figure class="comment"><figcaption>(.*?)</figcaption>', text, re.S).group(1)
    assert (
        "Waiting time (negative)" in caption and "Price (negative)" in caption and "Communication (negative)" in caption
    )
    marked = re.findall(r'<mark title="([^"]+)">([^<]+)</mark>', text)
    assert ("Price", "價格") in marked  # the original traditional characters, marked
    assert ("Waiting time", "等了") in marked and ("Communication", "没人告诉") in marked


def test_case_page_in_chinese(make_app):
    text = _case_page(_with_users(make_app(SURVEY)), "zh")
    assert "等待时间 (负面)" in text
    assert '<mark title="价格">價格</mark>' in text


def test_masking_can_be_turned_off(make_app):
    text = _case_page(_with_users(make_app(SURVEY, MASK_PERSONAL_DATA=False)))
    assert "13800138000" in text


def test_case_json_is_masked(make_app):
    app = _with_users(make_app(SURVEY))
    _submit(app, COMMENT)
    case_id = max(c.id for c in cases.list_cases(engine_of(app)))
    body = json.loads(login(app, "alice").get(f"/admin/cases/{case_id}.json").get_data(as_text=True))
    assert "13800138000" not in body["response"]["answers"]["comment"]
    assert "[phone]" in body["response"]["answers"]["comment"]


@pytest.mark.parametrize(
    ("comment", "sat", "alerts"),
    [
        ("再不处理我就打12315投诉", 4, ["threat"]),
        ("my lawyer will be in touch", 5, ["threat"]),
        ("等太久了", 1, ["unhappy"]),
        ("服务很好", 5, []),
    ],
)
def test_threat_to_complain_opens_an_urgent_case(make_app, db_url, comment, sat, alerts):
    app = _with_users(make_app(SURVEY, DATABASE_URL=db_url))
    _submit(app, comment, sat)
    opened = cases.list_cases(engine_of(app))
    assert sorted(c.alert for c in opened) == alerts
    for case in opened:
        if case.alert == "threat":
            assert case.priority == "urgent" and case.department == "customer_care"
            assert (case.first_contact_due - case.created_at).total_seconds() == 8 * 3600


def test_dashboard_comments_are_masked(make_app):
    import datetime as dt

    from webform.dashboard.figures import latest_comments
    from webform.dashboard.periods import Period

    app = make_app(SURVEY)
    _submit(app, COMMENT, sat=4)
    today = dt.datetime.now(dt.UTC).date()
    period = Period("custom", today - dt.timedelta(days=1), today + dt.timedelta(days=1), today - dt.timedelta(days=3))
    with engine_of(app).connect() as conn:
        shown = latest_comments(conn, questionnaire(app, "aftersales"), None, period)
    texts = [text for row in shown for _, text in row["texts"]]
    assert texts and all("13800138000" not in t and "[phone]" in t and "[plate]" in t for t in texts)
