"""The short link /i/<code> and the one-click opt-out /optout/<token>, through the Flask app."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from surveykit.database import contacts, invitations, utcnow, write_transaction
from surveykit.fielding import links
from surveykit.fielding.delivery import FileSmsGateway
from tests.support.formclient import Respondent, engine_of
from tests.surveykit.fielding_support import (
    FIELDING_YAML,
    SECRET,
    add_invitation,
    invitation,
    messages,
    run,
    settings,
)

TWO_PAGES = (
    FIELDING_YAML
    + """\
  - id: p2
    questions:
      - {id: again, type: nps, text: {zh: 再来, en: Come again}}
"""
)


@pytest.fixture
def app(make_app: Any) -> Any:
    return make_app(TWO_PAGES, LINK_SECRET=SECRET.decode())


@pytest.fixture
def sent(app: Any, tmp_path: Any) -> tuple[Any, int, str]:
    """An SMS invitation sent now by the worker; (engine, invitation id, its short code)."""
    engine = engine_of(app)
    morning = utcnow().replace(hour=3)  # 11:00 in Shanghai, today: no quiet hours, the link open for 14 days
    inv = add_invitation(engine, channel="sms", send_at=morning - dt.timedelta(minutes=1))
    run(engine, settings(sms=FileSmsGateway(tmp_path / "sms.jsonl")), morning)
    assert invitation(engine, inv).status == "sent"
    return engine, inv, links.short_code(SECRET, inv)


# what a phone's browser sends when a person taps the link
BROWSER = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 "
    "MicroMessenger/8.0.40",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}


def test_the_short_link_opens_starts_and_completes(client, sent):
    engine, inv, code = sent
    response = client.get(f"/i/{code}", headers=BROWSER)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/s/svc?t={code}")
    assert invitation(engine, inv).status == "opened" and invitation(engine, inv).opened_at is not None
    who = Respondent(client, "zh-CN,zh;q=0.9")
    page = who.get(f"/i/{code}")
    assert page.status == 200 and page.hidden["t"] == code
    page = who.post(page, {"q_sat": "9"})
    assert invitation(engine, inv).status == "started"
    page = who.post(page, {"q_again": "8"})
    assert page.status == 200 and "/thanks" in page.url
    row = invitation(engine, inv)
    assert row.status == "completed" and row.response_id is not None
    again = who.get(f"/i/{code}", follow=False)
    assert again.status == 410 and "您已经提交过此调查的答卷" in again.text
    assert invitation(engine, inv).status == "completed"  # a later click never takes it back


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("HEAD", BROWSER),  # a HEAD probe, whatever it claims to be
        ("GET", {**BROWSER, "User-Agent": "Mozilla/5.0 (compatible; BingPreview/1.0b)"}),  # Outlook's previewer
        ("GET", {**BROWSER, "User-Agent": "Mozilla/5.0 (Windows NT 10.0) Barracuda Sentinel (EE)"}),
        ("GET", {**BROWSER, "User-Agent": "python-requests/2.31.0"}),
        ("GET", {"User-Agent": BROWSER["User-Agent"], "Accept": "*/*"}),  # not a page navigation
        ("GET", {"Accept": BROWSER["Accept"], "User-Agent": ""}),  # no User-Agent at all
    ],
)
def test_link_scanners_do_not_count_as_opens(client, sent, method, headers):
    engine, inv, code = sent
    response = client.open(f"/i/{code}", method=method, headers=headers)
    assert response.status_code == 303  # answered like a person: nothing tells the scanner apart
    assert response.headers["Location"].endswith(f"/s/svc?t={code}")
    row = invitation(engine, inv)
    assert (row.status, row.opened_at) == ("sent", None)
    client.get(f"/i/{code}", headers=BROWSER)  # the person clicks later: now it is opened
    assert invitation(engine, inv).status == "opened"


def test_an_expired_link_closes_politely_in_the_survey_language(client, sent):
    engine, inv, code = sent
    with write_transaction(engine) as conn:
        conn.execute(sa.update(invitations).where(invitations.c.id == inv).values(expires_at=utcnow()))
    response = client.get(f"/i/{code}", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 410
    assert "此调查链接已过期" in response.get_data(as_text=True)
    assert client.get(f"/s/svc?t={code}").status_code == 410  # the survey's own door is closed too


def test_unknown_codes_are_404_then_429(make_app):
    app = make_app(TWO_PAGES, LINK_SECRET=SECRET.decode(), TOKEN_RATE_LIMIT=[3, 300])
    client = app.test_client()
    assert [client.get(f"/i/{'A' * 10}{n}").status_code for n in range(5)] == [404, 404, 404, 429, 429]
    assert client.get("/i/not-a-code").status_code == 429


def _optout_url(contact_id: int, channel: str = "sms") -> str:
    return "/optout/" + links.optout_token(SECRET, contact_id, channel)


def test_one_click_optout_stops_every_message(app, client, sent, tmp_path):
    engine, inv, _code = sent
    contact_id = invitation(engine, inv).contact_id
    page = client.get(_optout_url(contact_id))
    assert page.status_code == 200 and b'<form method="post">' in page.data
    assert invitation(engine, inv).status == "sent"  # a GET (a link scanner) changes nothing
    # RFC 8058: the mail provider POSTs from its own server, without cookie or CSRF token
    fresh = app.test_client()
    response = fresh.post(_optout_url(contact_id), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with engine.connect() as conn:
        row = conn.execute(sa.select(contacts).where(contacts.c.id == contact_id)).first()
    assert row.optout_sms_at is not None and row.optout_email_at is None  # recorded per channel
    assert invitation(engine, inv).status == "opted_out"
    # no reminder and no new invitation on any channel goes to this contact
    now = utcnow().replace(hour=3)
    second = add_invitation(engine, survey="svc", channel="email", send_at=now)
    run(engine, settings(sms=FileSmsGateway(tmp_path / "sms.jsonl")), now + dt.timedelta(days=3))
    assert [m.seq for m in messages(engine, inv)] == [0]
    assert invitation(engine, second).suppression_reason == "opted_out"
    assert fresh.post(_optout_url(contact_id)).status_code == 200  # again: the same answer


def test_the_optout_page_says_nothing_about_the_address(app):
    client = app.test_client()
    # contact 999 does not exist; the page for it is the page for anyone
    engine = engine_of(app)
    known = add_invitation(engine, customer="C1")
    a = client.post(_optout_url(invitation(engine, known).contact_id, "email"), headers={"Accept-Language": "en"})
    b = client.post(_optout_url(999, "email"), headers={"Accept-Language": "en"})
    assert (a.status_code, a.get_data()) == (b.status_code, b.get_data())
    assert client.get(_optout_url(999)).get_data() == client.get(_optout_url(1)).get_data()


def test_a_forged_optout_token_is_refused(app):
    client = app.test_client()
    forged = "/optout/5s." + "A" * 16
    assert client.get(forged).status_code == 404
    assert client.post(forged).status_code == 404


def test_the_survey_pages_still_need_their_csrf_token(app):
    # the exemption is the opt-out's alone
    client = app.test_client()
    response = client.post("/s/svc/p/p1", data={"sat": "9", "action": "next"})
    assert response.status_code == 400
