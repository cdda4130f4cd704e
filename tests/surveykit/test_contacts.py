"""Contacts: checking what is posted, erasure (unlink and remove, idempotent, audited) and retention."""

from __future__ import annotations

import datetime as dt
import random

import phonenumbers
import pytest
import sqlalchemy as sa

from surveykit import contacts, events
from surveykit.contacts import ContactProblem, check_contact, erase, erased_id, purge_expired
from surveykit.database import audit_log, drafts, invitations, responses, utcnow
from surveykit.database import contacts as contacts_table
from surveykit.storage import start_draft
from tests.support.fielding import PRIVACY_REMOVE, item, registered, submit


def test_check_contact_normalises() -> None:
    got = check_contact(
        {"customer_id": " C1 ", "name": "王 先生", "email": "Li.Wei@Example.COM", "phone": "138 1234 5678"},
        ("zh", "en"),
    )
    assert got == dict(
        customer_id="C1", name="王 先生", email="Li.Wei@example.com", phone="+8613812345678", language="zh"
    )
    assert (
        check_contact({"customer_id": "C2", "phone": "+44 20 7946 0958", "language": "en"}, ("zh", "en"))["phone"]
        == "+442079460958"
    )


def test_the_fast_path_for_chinese_mobiles_agrees_with_phonenumbers() -> None:
    """A Chinese mobile number skips phonenumbers' parser; whatever it accepts, the parser accepts alike."""
    rng = random.Random(12)
    numbers = [f"1{rng.randrange(10**10):010d}" for _ in range(3000)]  # valid and invalid prefixes alike
    numbers += ["13812345678", "17400123456", "17406123456", "16100000000", "19912345678", "10012345678"]
    accepted = 0
    for n in numbers:
        for text in (n, f"{n[:3]} {n[3:7]} {n[7:]}", f"{n[:3]}-{n[3:7]}-{n[7:]}", f"+86{n}", f"+86 {n[:3]} {n[3:]}"):
            try:
                parsed = phonenumbers.parse(text, "CN")
                slow = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                slow = slow if phonenumbers.is_valid_number(parsed) else None
            except phonenumbers.NumberParseException:
                slow = None
            try:
                fast = contacts._e164(text)
            except ContactProblem:
                fast = None
            assert fast == slow, text
            accepted += fast is not None
    assert 0 < accepted < 5 * len(numbers)  # both outcomes were met


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"customer_id": ""}, "contact.customer_id"),
        ({"customer_id": "erased:abc"}, "contact.customer_id"),
        ({"customer_id": "C\x00"}, "contact.customer_id"),
        ({"customer_id": "C\udfff"}, "contact.customer_id"),  # a lone surrogate: no UTF-8 for it
        ({"customer_id": "C", "email": "a@b"}, "contact.email"),
        ({"customer_id": "C", "email": "a b@c.cn"}, "contact.email"),
        ({"customer_id": "C", "phone": "+86 123"}, "contact.phone"),
        ({"customer_id": "C", "phone": "call me"}, "contact.phone"),
        ({"customer_id": "C", "name": "x" * 201}, "contact.name"),
        ({"customer_id": "C", "language": "de"}, "contact.language"),
        ({"customer_id": "C", "mobile": "1"}, "contact.mobile"),
        ({"customer_id": 5}, "contact.customer_id"),
    ],
)
def test_check_contact_refuses(raw: dict, field: str) -> None:
    with pytest.raises(ContactProblem) as info:
        check_contact(raw, ("zh", "en"))
    assert info.value.field == field


def _invite(engine, q, event_id: str, customer: str, dealer: str = "de01") -> int:
    (out,) = events.ingest(engine, [item(event_id, customer, dealer)], {q.survey: q}.get)
    assert out.status == 201
    return out.invitation_id


def _audit(engine) -> list[tuple[str, str, dict]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.detail))]


def test_erase_unlinks_by_default_and_is_idempotent(engine: sa.Engine) -> None:
    q = registered(engine)
    inv = _invite(engine, q, "e1", "C1")
    other = _invite(engine, q, "e2", "C2")
    rid = submit(engine, q, invitation_id=inv, comment="fine")
    start_draft(engine, q, language="zh", invitation_id=inv)
    result = erase(engine, "C1", actor="cli")
    assert (result.found, result.already, result.invitations, result.unlinked, result.removed) == (True, False, 1, 1, 0)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(responses.c.invitation_id, responses.c.answers).where(responses.c.response_id == rid)
        ).one()
        contact = conn.execute(sa.select(contacts_table).where(contacts_table.c.customer_id == erased_id("C1"))).one()
        inv_row = conn.execute(
            sa.select(invitations.c.contact_id, invitations.c.response_id).where(invitations.c.id == inv)
        ).one()
        kept = conn.execute(sa.select(contacts_table.c.phone).where(contacts_table.c.customer_id == "C2")).scalar()
        left_drafts = conn.execute(
            sa.select(sa.func.count()).select_from(drafts).where(drafts.c.invitation_id == inv)
        ).scalar()
    assert row.invitation_id is None and row.answers["comment"] == "fine"  # the answers stay, unlinked
    assert (contact.name, contact.email, contact.phone, contact.language) == (None, None, None, None)
    assert contact.erased_at is not None
    assert tuple(inv_row) == (None, None) and left_drafts == 0
    assert kept == "+8613812345678" and other
    again = erase(engine, "C1", actor="cli")
    assert (again.found, again.already, again.unlinked) == (True, True, 0)
    unknown = erase(engine, "nobody", actor="cli")
    assert not unknown.found
    assert [(a, b, d["already"], d["found"]) for a, b, d in _audit(engine)] == [
        ("cli", "erase", False, True),
        ("cli", "erase", True, True),
        ("cli", "erase", False, False),
    ]
    assert all("C1" not in str(d) for *_, d in _audit(engine))  # the log names the customer by hash only


def test_erase_removes_answers_when_privacy_says_so(engine: sa.Engine) -> None:
    q = registered(engine, PRIVACY_REMOVE)
    inv = _invite(engine, q, "e1", "C1")
    submit(engine, q, invitation_id=inv)
    keep = submit(engine, q)
    result = erase(engine, "C1", actor="token:dms")
    assert (result.removed, result.unlinked, result.by_survey) == (1, 0, {"visit_csi": "remove"})
    with engine.connect() as conn:
        assert conn.execute(sa.select(responses.c.response_id)).scalars().all() == [keep]


def test_a_new_event_after_erasure_makes_a_new_contact(engine: sa.Engine) -> None:
    q = registered(engine)
    _invite(engine, q, "e1", "C1")
    erase(engine, "C1", actor="cli")
    _invite(engine, q, "e2", "C1")
    with engine.connect() as conn:
        ids = conn.execute(sa.select(contacts_table.c.customer_id).order_by(contacts_table.c.id)).scalars().all()
    assert ids == [erased_id("C1"), "C1"]


def test_purge_expired_applies_retention(engine: sa.Engine) -> None:
    q = registered(engine, PRIVACY_REMOVE)  # retention: 30d
    inv = _invite(engine, q, "e1", "C1")
    rid = submit(engine, q, invitation_id=inv)
    _invite(engine, q, "e2", "C2")
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            sa.update(invitations).where(invitations.c.id == inv).values(created_at=now - dt.timedelta(days=31))
        )
    assert purge_expired(engine, now) == 1
    assert purge_expired(engine, now) == 0
    with engine.connect() as conn:
        remaining = conn.execute(sa.select(contacts_table.c.customer_id, contacts_table.c.phone)).all()
        answer = conn.execute(sa.select(responses.c.invitation_id).where(responses.c.response_id == rid)).one()
    assert sorted(remaining) == sorted([(erased_id("C1"), None), ("C2", "+8613812345678")])
    assert answer.invitation_id is None  # retention unlinks; it never removes the statistics
    assert [(a, b) for a, b, _ in _audit(engine)] == [("worker", "purge")]


def test_no_retention_keeps_contacts(engine: sa.Engine) -> None:
    q = registered(engine)
    _invite(engine, q, "e1", "C1")
    assert purge_expired(engine, utcnow() + dt.timedelta(days=3650)) == 0
    with engine.connect() as conn:
        assert conn.execute(sa.select(contacts_table.c.phone)).scalar() == "+8613812345678"
