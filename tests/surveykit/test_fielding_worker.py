"""The fielding worker against real parts: aiosmtpd, an HTTP sink for SMS and webhooks, SQLite and PostgreSQL.

Time travels through the worker's clock (what ``--now`` sets), so reminders,
expiry and quiet hours are tested without waiting.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
import standardwebhooks

from surveykit import notify, storage
from surveykit.database import contacts, utcnow, webhook_deliveries, write_transaction
from surveykit.fielding import rules, tracking, webhooks
from surveykit.fielding.delivery import HttpSmsGateway, Mailer
from tests.support.sinks import HttpSink, SmtpSink
from tests.surveykit.fielding_support import (
    FIELDING_YAML,
    T0,
    add_invitation,
    invitation,
    messages,
    register,
    run,
    settings,
    short_link,
)

DAY = dt.timedelta(days=1)
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def http() -> Iterator[HttpSink]:
    with HttpSink() as sink:
        yield sink


@pytest.fixture
def q(engine: Any) -> Any:
    return register(engine)


@pytest.fixture(params=[1, 3], ids=["1 sender", "3 senders"])
def senders(request: pytest.FixtureRequest) -> int:
    """A worker sending one message at a time, and one sending three at once (Settings.senders)."""
    return int(request.param)


def mailer(smtp: SmtpSink) -> Mailer:
    return Mailer(notify.SmtpSettings.from_url(smtp.url, "survey@example.cn", timeout=5))


def body(mail: Any, subtype: str = "plain") -> str:
    return mail.get_body(preferencelist=(subtype,)).get_content()


def test_an_email_invitation_in_the_contacts_language(engine, q, smtp, senders):
    zh = add_invitation(engine, customer="C1", language="zh")
    en = add_invitation(engine, customer="C2", language="en", name="Ms Smith", email="smith@example.com")
    stats = run(engine, settings(mailer=mailer(smtp), senders=senders), T0)
    assert (stats.planned, stats.sent) == (2, 2)
    by_to = {to[0]: mail for to, mail in smtp.messages}
    cn, uk = by_to["wang@example.cn"], by_to["smith@example.com"]
    assert cn["Subject"] == "北京一店邀请您评价本次服务"  # the field's label in the contact's language
    assert uk["Subject"] == "Beijing One asks about your visit"
    assert short_link(zh) in body(cn) and short_link(en) in body(uk)
    assert "Dear Ms Smith" in body(uk) and "王先生您好" in body(cn)
    assert f"href='{short_link(en)}'" in body(uk, "html")
    # RFC 8058 one-click unsubscribe, the same URL as in the body
    optout = re.search(r"<(https://survey\.example\.cn/optout/[^>]+)>", uk["List-Unsubscribe"]).group(1)
    assert optout in body(uk) and uk["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert cn["Content-Language"] == "zh-Hans"
    row = invitation(engine, zh)
    assert (row.status, row.sent_at, row.expires_at) == ("sent", T0, T0 + 14 * DAY)
    assert [m.message_id for m in messages(engine, zh)] == [cn["Message-ID"]]
    # nothing is due any more: a second pass sends nothing
    assert run(engine, settings(mailer=mailer(smtp), senders=senders), T0).sent == 0
    assert len(smtp.messages) == 2


def test_an_sms_through_the_http_gateway(engine, q, http, senders):
    inv = add_invitation(engine, channel="sms", language="zh")
    run(engine, settings(sms=HttpSmsGateway(http.url, timeout=5), senders=senders), T0)
    [sent] = http.bodies()
    assert sent["to"] == "+8613800138000" and sent["id"] == messages(engine, inv)[0].message_id
    assert sent["text"].startswith("【北京一店】王先生您好") and short_link(inv) in sent["text"]
    assert "/optout/" in sent["text"]


def test_the_sms_gateway_keeps_one_connection_until_closed():
    """One HTTP/1.1 connection for a round of messages (a TLS handshake each would cost a real gateway more)."""
    peers: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            peers.append(self.client_address[1])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            if len(peers) == 3:  # the third answer ends the connection
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        gateway = HttpSmsGateway(f"http://127.0.0.1:{server.server_address[1]}/sms", timeout=5)
        for k in range(4):
            gateway.send("+8613800138000", f"message {k}", f"<m{k}@example.cn>")
        gateway.close()
        gateway.send("+8613800138000", "after close", "<m4@example.cn>")
        gateway.close()
    finally:
        server.shutdown()
        server.server_close()
    assert len(peers) == 5
    assert peers[0] == peers[1] == peers[2]  # one connection, until the server closed it
    assert len({peers[2], peers[3], peers[4]}) == 3  # a new one after the server's close and after close()


def test_a_channel_without_its_adapter_waits(engine, q, smtp):
    inv = add_invitation(engine, channel="sms")
    assert run(engine, settings(mailer=mailer(smtp)), T0).sent == 0
    assert [m.status for m in messages(engine, inv)] == ["pending"]
    assert invitation(engine, inv).status == "scheduled"


def test_reminders_go_to_those_who_have_not_answered(engine, q, smtp, http, senders):
    s = settings(mailer=mailer(smtp), sms=HttpSmsGateway(http.url, timeout=5), senders=senders)
    waiting = add_invitation(engine, customer="C1", channel="sms")
    answered = add_invitation(engine, customer="C2", channel="email", email="b@example.cn")
    opted_out = add_invitation(engine, customer="C3", channel="email", email="c@example.cn")
    run(engine, s, T0)
    with write_transaction(engine) as conn:
        tracking.advance(conn, answered, "completed", T0 + DAY)
        tracking.advance(conn, opted_out, "opted_out", T0 + DAY)
        conn.execute(sa.update(contacts).where(contacts.c.customer_id == "C3").values(optout_email_at=T0 + DAY))
    assert run(engine, s, T0 + 2 * DAY - dt.timedelta(minutes=1)).reminders == 0  # not yet
    assert run(engine, s, T0 + 2 * DAY).reminders == 1
    assert run(engine, s, T0 + 3 * DAY).reminders == 0  # the second is due after 5 days
    assert run(engine, s, T0 + 5 * DAY).reminders == 1
    assert run(engine, s, T0 + 9 * DAY).reminders == 0  # two reminders declared
    texts = [b["text"] for b in http.bodies()]
    assert len(texts) == 3 and "最后提醒" in texts[2]  # the second reminder's own text
    assert all(short_link(waiting) in t for t in texts)  # one link for every message of an invitation
    assert [m.seq for m in messages(engine, waiting)] == [0, 1, 2]
    assert len(messages(engine, answered)) == len(messages(engine, opted_out)) == 1
    assert len(smtp.messages) == 2  # the two invitations only, on their own channel


def test_the_link_expires(engine, q, smtp):
    inv = add_invitation(engine)
    s = settings(mailer=mailer(smtp))
    run(engine, s, T0)
    stats = run(engine, s, T0 + 14 * DAY)
    assert stats.expired == 1 and invitation(engine, inv).status == "expired"
    assert storage.lookup_invitation(engine, short_link(inv).rsplit("/", 1)[1]).status == "expired"


def test_one_invitation_per_contact_in_30_days_across_surveys(engine, q, smtp, tmp_path):
    other = FIELDING_YAML.replace("survey: svc", "survey: sales")
    register(engine, other)
    s = settings(mailer=mailer(smtp))
    first = add_invitation(engine, survey="svc")
    run(engine, s, T0)
    second = add_invitation(engine, survey="sales", send_at=T0 + 10 * DAY)
    with engine.connect() as conn:  # what the API asks when it stores an invitation
        assert rules.admit(conn, {"id": second, "survey": "sales", "contact_id": 1}, T0 + 10 * DAY) == (
            "contact_rule:max_invitations"
        )
    run(engine, s, T0 + 10 * DAY)
    row = invitation(engine, second)
    assert (row.status, row.suppression_reason) == ("suppressed", "contact_rule:max_invitations")
    assert messages(engine, second) == []
    third = add_invitation(engine, survey="sales", send_at=T0 + 31 * DAY)
    run(engine, s, T0 + 31 * DAY)
    assert invitation(engine, third).status == "sent"
    assert invitation(engine, first).status == "expired"
    # the first, its first reminder (one reminder a pass: the second was due at day 5, but at day 31
    # the link had expired), the third
    assert len(smtp.messages) == 3


def test_the_rules_of_one_plan_count_in_order(engine, q, smtp, senders):
    """The plan asks the rules for all its invitations at once, as if one by one: the earlier goes first."""
    first = add_invitation(engine, customer="C1")
    later = add_invitation(engine, customer="C1")
    other = add_invitation(engine, customer="C2", email="li@example.cn")
    stats = run(engine, settings(mailer=mailer(smtp), senders=senders), T0)
    assert (stats.sent, stats.suppressed) == (2, 1)
    assert [invitation(engine, i).status for i in (first, other)] == ["sent", "sent"]
    row = invitation(engine, later)
    assert (row.status, row.suppression_reason) == ("suppressed", "contact_rule:max_invitations")
    assert messages(engine, later) == []


def test_rules_that_changed_since_the_plan_are_asked_again_with_the_claim(engine, http, senders):
    """A message planned in an earlier pass meets the rules as they are when it is claimed (a batch at once)."""
    lax = FIELDING_YAML.replace("  max_invitations: {count: 1, per: 30d}\n", "")
    register(engine, lax)
    s = settings(sms=HttpSmsGateway(http.url, timeout=5), senders=senders)
    early = add_invitation(engine, customer="C1", channel="sms", send_at=T0 - 20 * DAY)
    assert run(engine, s, T0 - 20 * DAY).sent == 1
    evening = T0 + dt.timedelta(hours=12, minutes=30)  # 22:30 in Shanghai: both wait for 09:00
    held = add_invitation(engine, customer="C1", channel="sms", send_at=evening)
    fine = add_invitation(engine, customer="C2", channel="sms", phone="+8613900139000", send_at=evening)
    assert run(engine, s, evening).planned == 2
    register(engine, FIELDING_YAML.replace("version: 1", "version: 2"))  # the rule is back
    stats = run(engine, s, T0 + DAY - dt.timedelta(hours=1))  # 09:00 the next morning
    assert (stats.sent, stats.cancelled) == (1, 1)
    assert [(m.status, m.reason) for m in messages(engine, held)] == [("cancelled", "contact_rule:max_invitations")]
    row = invitation(engine, held)
    assert (row.status, row.suppression_reason) == ("suppressed", "contact_rule:max_invitations")
    assert invitation(engine, fine).status == "sent" and invitation(engine, early).status == "expired"
    assert [b["to"] for b in http.bodies()] == ["+8613800138000", "+8613900139000"]


def test_the_message_limit_stops_reminders(engine, smtp):
    register(engine, FIELDING_YAML.replace("count: 3, per: 30d", "count: 2, per: 30d"))
    inv = add_invitation(engine)
    s = settings(mailer=mailer(smtp))
    run(engine, s, T0)
    run(engine, s, T0 + 2 * DAY)
    run(engine, s, T0 + 5 * DAY)
    assert [(m.seq, m.status, m.reason) for m in messages(engine, inv)] == [
        (0, "sent", None),
        (1, "sent", None),
        (2, "suppressed", "contact_rule:max_messages"),
    ]
    assert len(smtp.messages) == 2


def test_an_sms_in_quiet_hours_waits_until_nine(engine, q, http, senders):
    evening = dt.datetime(2026, 3, 2, 14, 30)  # 22:30 in Shanghai
    inv = add_invitation(engine, channel="sms", send_at=evening)
    s = settings(sms=HttpSmsGateway(http.url, timeout=5), senders=senders)
    stats = run(engine, s, evening)
    assert (stats.planned, stats.sent) == (1, 0)
    assert messages(engine, inv)[0].due_at == dt.datetime(2026, 3, 3, 1, 0)  # 09:00 local
    assert run(engine, s, dt.datetime(2026, 3, 3, 0, 59)).sent == 0
    assert run(engine, s, dt.datetime(2026, 3, 3, 1, 0)).sent == 1
    assert len(http.bodies()) == 1


def test_the_plans_rows_and_a_sent_record_are_stored_to_the_microsecond(engine, q, http):
    """What the plan writes (a JSON parameter on PostgreSQL) and the prepared "sent" statement store, value for value."""
    from surveykit.fielding import links

    evening = dt.datetime(2026, 3, 2, 14, 30, 15, 123456)  # 22:30 in Shanghai: the SMS waits for 09:00
    inv = add_invitation(engine, channel="sms", send_at=evening)
    s = settings(sms=HttpSmsGateway(http.url, timeout=5))
    assert run(engine, s, evening).planned == 1
    (row,) = messages(engine, inv)
    planned = (row.invitation_id, row.seq, row.channel, row.status, row.attempts, row.reason)
    assert planned == (inv, 0, "sms", "pending", 0, None)
    assert (row.created_at, row.due_at) == (evening, dt.datetime(2026, 3, 3, 1, 0))
    assert re.fullmatch(rf"<[0-9a-f]{{16}}\.inv{inv}\.0@example\.cn>", row.message_id)
    assert invitation(engine, inv).short_code_hash == links.code_hash(links.short_code(settings().secret, inv))
    morning = dt.datetime(2026, 3, 3, 1, 0, 0, 654321)
    assert run(engine, s, morning).sent == 1
    (row,) = messages(engine, inv)
    assert (row.status, row.sent_at, row.lease_until, row.last_error) == ("sent", morning, None, None)
    sent = invitation(engine, inv)
    assert (sent.status, sent.sent_at, sent.expires_at) == ("sent", morning, morning + 14 * DAY)
    assert [b["id"] for b in http.bodies()] == [row.message_id]


def test_email_is_not_held_by_sms_quiet_hours(engine, q, smtp):
    evening = dt.datetime(2026, 3, 2, 14, 30)
    add_invitation(engine, channel="email", send_at=evening)
    assert run(engine, settings(mailer=mailer(smtp)), evening).sent == 1


def test_an_smtp_server_dropping_the_connection_loses_nothing(engine, q, smtp, senders):
    ids = [add_invitation(engine, customer=f"C{n}", email=f"c{n}@example.cn") for n in range(4)]
    smtp.drop = 2  # the first two DATA commands lose the connection before the reply
    s = settings(mailer=mailer(smtp), senders=senders)
    stats = run(engine, s, T0)
    assert (stats.sent, stats.retried) == (2, 2) and smtp.dropped == 2
    failed = [m for m in messages(engine) if m.status == "pending"]
    assert len(failed) == 2 and all("SMTPServerDisconnected" in m.last_error for m in failed)
    assert all(m.due_at == T0 + dt.timedelta(minutes=1) for m in failed)  # back-off
    assert run(engine, s, T0 + dt.timedelta(minutes=1)).sent == 2
    assert sorted(smtp.message_ids()) == sorted(m.message_id for m in messages(engine))
    assert {invitation(engine, i).status for i in ids} == {"sent"}


def test_a_permanent_smtp_refusal_fails_the_invitation(engine, q, smtp, senders):
    inv = add_invitation(engine)
    smtp.reply = "550 mailbox unavailable"
    stats = run(engine, settings(mailer=mailer(smtp), senders=senders), T0)
    assert stats.failed == 1
    [m] = messages(engine, inv)
    assert m.status == "failed" and "550" in m.last_error
    row = invitation(engine, inv)
    assert (row.status, row.failed_at) == ("failed", T0)


def test_a_gateway_answering_500_or_hanging_is_retried_then_given_up(engine, q, http, senders):
    inv = add_invitation(engine, channel="sms")
    s = settings(sms=HttpSmsGateway(http.url, timeout=0.5), max_attempts=3, senders=senders)
    http.status = 500
    assert run(engine, s, T0).retried == 1
    assert "HTTP 500" in messages(engine, inv)[0].last_error
    http.status, http.hang = 200, 2.0  # answers too late: a timeout
    assert run(engine, s, T0 + dt.timedelta(minutes=1)).retried == 1
    assert "timed out" in messages(engine, inv)[0].last_error
    http.status, http.hang = 503, 0.0
    stats = run(engine, s, T0 + dt.timedelta(minutes=3))
    assert stats.failed == 1
    [m] = messages(engine, inv)
    assert (m.status, m.attempts) == ("failed", 3)
    assert invitation(engine, inv).status == "failed"


def test_a_stop_request_releases_the_rest_of_the_batch(engine, q, smtp):
    for n in range(5):
        add_invitation(engine, customer=f"C{n}", email=f"c{n}@example.cn")

    def stop() -> bool:  # asked before each message: SIGTERM arrives while the second is sent
        return len(smtp.messages) >= 2

    stats = run(engine, settings(mailer=mailer(smtp)), T0, stop=stop)
    assert stats.sent == 2 and len(smtp.messages) == 2
    waiting = [m for m in messages(engine) if m.status == "pending"]
    assert len(waiting) == 3 and all(m.lease_until is None and m.attempts == 0 for m in waiting)
    assert run(engine, settings(mailer=mailer(smtp)), T0).sent == 3


def test_several_senders_stopping_finish_what_is_in_flight_and_release_the_rest(engine, q, smtp):
    """Three senders, asked to stop once the second message is in: no new message starts.

    The messages already in flight (at most the three senders' own: the second and two more)
    finish and are recorded; every message the server took in is recorded sent, and the rest
    of the batch is given back at once, its attempt not counted.
    """
    for n in range(12):
        add_invitation(engine, customer=f"C{n}", email=f"c{n}@example.cn")

    def stop() -> bool:
        return len(smtp.messages) >= 2

    stats = run(engine, settings(mailer=mailer(smtp), senders=3, batch=12), T0, stop=stop)
    assert 2 <= stats.sent <= 4 and len(smtp.messages) == stats.sent
    rows = messages(engine)
    assert sorted(smtp.message_ids()) == sorted(m.message_id for m in rows if m.status == "sent")
    waiting = [m for m in rows if m.status == "pending"]
    assert len(waiting) == 12 - stats.sent and all(m.lease_until is None and m.attempts == 0 for m in waiting)
    assert run(engine, settings(mailer=mailer(smtp), senders=3), T0).sent == 12 - stats.sent
    assert len(set(smtp.message_ids())) == len(smtp.messages) == 12


def _submit(engine: Any, q: Any, invitation_id: int | None, key: str, sat: int = 9) -> str:
    return storage.save_response(
        engine, q, {"sat": sat}, key=key, language="zh", invitation_id=invitation_id
    ).response_id


def test_completing_the_survey_marks_the_invitation(engine, q, smtp):
    now = utcnow()  # the link's expiry is checked against the real clock
    inv = add_invitation(engine, send_at=now)
    run(engine, settings(mailer=mailer(smtp)), now)
    code = short_link(inv).rsplit("/", 1)[1]
    state = storage.lookup_invitation(engine, code)
    assert state.status == "open" and state.id == inv
    _submit(engine, q, inv, "k" * 24)
    row = invitation(engine, inv)
    assert row.status == "completed" and row.completed_at is not None
    assert storage.lookup_invitation(engine, code).status == "used"


def test_webhooks_are_signed_and_delivered_at_least_once(engine, http, monkeypatch):
    monkeypatch.setenv("SVC_HOOK_SECRET", WEBHOOK_SECRET)
    text = FIELDING_YAML + (
        f"webhooks:\n  - {{url: '{http.url}', events: [response.completed, case.opened], secret_env: SVC_HOOK_SECRET}}\n"
        "alerts:\n  - {id: unhappy, when: sat <= 6}\n"
    )
    q = register(engine, text)
    happy = _submit(engine, q, None, "a" * 24)
    unhappy = _submit(engine, q, None, "b" * 24, sat=3)
    _submit(engine, q, None, "a" * 24)  # a replayed submit stores nothing and queues nothing
    http.stop()  # the receiver is down
    s = settings()
    now = utcnow()  # the deliveries were queued at the real time of the submits
    assert run(engine, s, now).webhooks == (0, 3, 0)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(webhook_deliveries).order_by(webhook_deliveries.c.id)).all()
    assert [r.event for r in rows] == ["response.completed", "response.completed", "case.opened"]
    assert all("ConnectionRefusedError" in r.last_error for r in rows)
    for hour in range(1, 5):  # down for hours: retried with back-off, never lost
        run(engine, s, now + dt.timedelta(hours=hour))
    http.start()
    assert run(engine, s, now + dt.timedelta(hours=6)).webhooks == (3, 0, 0)
    assert run(engine, s, now + dt.timedelta(hours=7)).webhooks == (0, 0, 0)
    verifier = standardwebhooks.Webhook(WEBHOOK_SECRET)
    received = []
    for request in http.requests:
        headers = {k.lower(): v for k, v in request["headers"].items()}
        received.append((headers["webhook-id"], verifier.verify(request["body"], headers)))
    assert sorted(i for i, _ in received) == sorted(r.webhook_id for r in rows)
    events = {
        payload["data"].get("response_id"): payload
        for _, payload in received
        if payload["type"] == "response.completed"
    }
    assert set(events) == {happy, unhappy}
    assert events[happy]["data"]["answers"] == {"sat": 9}
    assert "王" not in json.dumps(events)  # no contact data
    [case] = [p for _, p in received if p["type"] == "case.opened"]
    assert case["data"]["response_id"] == unhappy and case["data"]["alert"] == "unhappy"


def test_a_tampered_webhook_fails_verification():
    body = '{"type":"response.completed"}'
    header = webhooks.sign(WEBHOOK_SECRET, "msg_1", 1_700_000_000, body)
    verifier = standardwebhooks.Webhook(WEBHOOK_SECRET)
    good = {"webhook-id": "msg_1", "webhook-timestamp": "1700000000", "webhook-signature": header}
    # the reference library checks the timestamp against its clock: compare the signature alone
    assert verifier.sign("msg_1", dt.datetime.fromtimestamp(1_700_000_000, dt.UTC), body) == header
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        verifier.verify(body.replace("completed", "opened"), good)


def test_a_webhook_without_its_secret_waits_with_a_reason(engine, http, monkeypatch):
    monkeypatch.delenv("SVC_HOOK_SECRET", raising=False)
    q = register(
        engine,
        FIELDING_YAML
        + f"webhooks:\n  - {{url: '{http.url}', events: [response.completed], secret_env: SVC_HOOK_SECRET}}\n",
    )
    _submit(engine, q, None, "c" * 24)
    assert run(engine, settings(), utcnow()).webhooks == (0, 1, 0)
    with engine.connect() as conn:
        [row] = conn.execute(sa.select(webhook_deliveries)).all()
    assert row.status == "pending" and "SVC_HOOK_SECRET is not set" in row.last_error
    assert http.requests == []


def test_one_pass_plans_in_rounds_until_nothing_is_due(engine, q, smtp, monkeypatch):
    from surveykit.fielding import worker

    monkeypatch.setattr(worker, "_PLAN_LIMIT", 3)
    monkeypatch.setattr(worker, "_FIRST_PLAN", 2)
    rounds = []
    plan = worker.plan

    def counted(engine: Any, s: Any, now: dt.datetime, stats: Any, limit: int) -> bool:
        before = stats.planned
        more = plan(engine, s, now, stats, limit)
        rounds.append(stats.planned - before)
        return more

    monkeypatch.setattr(worker, "plan", counted)
    for n in range(7):
        add_invitation(engine, customer=f"C{n}", email=f"c{n}@example.cn")
    s = settings(mailer=mailer(smtp))
    assert run(engine, s, T0).sent == 7
    assert rounds == [2, 3, 2]  # a small first plan (sending starts sooner), then rounds of _PLAN_LIMIT
    # invitations whose reminders are all sent never crowd out the ones still due
    assert run(engine, s, T0 + 2 * DAY).reminders == 7
    assert run(engine, s, T0 + 5 * DAY).reminders == 7
    assert run(engine, s, T0 + 6 * DAY).reminders == 0
    assert len(smtp.messages) == 21


def test_a_claim_grows_while_a_backlog_goes_fast_and_never_past_a_tenth_of_the_lease(monkeypatch):
    from surveykit.fielding import worker

    clock = iter([0.0, 0.02, 0.5, 0.6, 100.0, 200.0])
    monkeypatch.setattr(worker, "monotonic", lambda: next(clock))
    size = worker._ClaimSize(settings(batch=20, lease_s=300))
    size.claimed(20)  # t=0: full, nothing to go by yet
    assert size.size == 20
    size.claimed(20)  # t=0.02: 20 messages in 20 ms; a tenth of the lease would take 30,000
    assert size.size == 200  # at most ten times the batch
    size.claimed(150)  # t=0.5: the backlog is taken
    assert size.size == 20
    size.claimed(20)  # t=0.6
    size.claimed(20)  # t=100: 5 s a message (a hanging gateway): 6 in a tenth of the lease
    assert size.size == 20  # never below the batch, as before
    size.claimed(20)  # t=200
    assert size.size == 20


def test_a_backlog_is_claimed_in_growing_batches_and_each_message_sent_once(engine, q, smtp, senders, monkeypatch):
    from surveykit.fielding import worker

    sizes = []
    claim = worker._claim

    def counted(*args: Any) -> Any:
        claimed = claim(*args)
        sizes.append(len(claimed))
        return claimed

    monkeypatch.setattr(worker, "_claim", counted)
    for n in range(40):
        add_invitation(engine, customer=f"C{n}", email=f"c{n}@example.cn")
    assert run(engine, settings(mailer=mailer(smtp), senders=senders, batch=2), T0).sent == 40
    assert sizes[:2] == [2, 2] and max(sizes) == 20 and sum(sizes) == 40
    assert sorted(smtp.message_ids()) == sorted(m.message_id for m in messages(engine))


def test_the_sent_statements_prepared_on_postgresql_are_deallocated_after_the_pass(engine, q, smtp):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    s = settings(mailer=mailer(smtp))
    add_invitation(engine, customer="C1")
    assert run(engine, s, T0).sent == 1
    add_invitation(engine, customer="C2", email="c2@example.cn")
    assert run(engine, s, T0).sent == 1  # the pooled connection again: prepared anew, not "already exists"
    with engine.connect() as conn:
        names = conn.execute(sa.text("SELECT name FROM pg_prepared_statements")).scalars().all()
    assert not [name for name in names if name.startswith("surveykit_sent")]


def test_a_claim_still_unsent_half_a_lease_after_it_is_given_back_and_claimed_again(
    engine, q, smtp, senders, monkeypatch
):
    from surveykit.fielding import worker

    ticks = iter(range(0, 10**9, 100))  # each look at the clock 100 s later: a gateway gone slow
    monkeypatch.setattr(worker, "monotonic", lambda: next(ticks))
    claims = []
    claim = worker._claim

    def counted(*args: Any) -> Any:
        claimed = claim(*args)
        claims.append(len(claimed))
        return claimed

    monkeypatch.setattr(worker, "_claim", counted)
    for n in range(6):
        add_invitation(engine, customer=f"C{n}", email=f"c{n}@example.cn")
    stats = run(engine, settings(mailer=mailer(smtp), senders=senders, batch=3, lease_s=300), T0)
    # claims of 3 in which only the first messages go before the claim is 150 s old: more claims than 2
    assert len([c for c in claims if c]) > 2
    assert sorted(smtp.message_ids()) == sorted(m.message_id for m in messages(engine) if m.status == "sent")
    assert len(set(smtp.message_ids())) == len(smtp.message_ids()) == stats.sent
    assert stats.sent + sum(m.status == "pending" for m in messages(engine)) == 6
    assert all(m.attempts <= 1 for m in messages(engine))  # given back without counting the attempt
