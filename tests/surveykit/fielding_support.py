"""Shared pieces of the fielding tests: a survey with every fielding key, contacts and invitations."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

import sqlalchemy as sa

from surveykit import load_questionnaire
from surveykit.database import contacts, invitation_messages, invitations, write_transaction
from surveykit.fielding import links
from surveykit.fielding.worker import PassStats, Settings, run_pass
from surveykit.storage import register_version

SECRET = b"test-link-secret-0123456789abcdef"
BASE = "https://survey.example.cn"

FIELDING_YAML = """\
survey: svc
version: 1
title: {zh: 售后服务调查, en: Service survey}
languages: [zh, en]
fields:
  dealer:
    label: {zh: 经销商, en: Dealer}
    values: {de01: {zh: 北京一店, en: Beijing One}}
timezone: Asia/Shanghai
invitation:
  email:
    subject: {zh: "{dealer}邀请您评价本次服务", en: "{dealer} asks about your visit"}
    text: {zh: "{name}您好，请点击 {link} 评价。退订：{optout}", en: "Dear {name}, please rate us: {link} Unsubscribe: {optout}"}
    html: {zh: "<p>{name}您好，<a href='{link}'>评价</a> <a href='{optout}'>退订</a></p>", en: "<p>Dear {name}, <a href='{link}'>rate us</a> <a href='{optout}'>unsubscribe</a></p>"}
  sms: {zh: "【{dealer}】{name}您好，请评价本次服务 {link} 退订 {optout}", en: "{dealer}: please rate your visit {link} stop: {optout}"}
reminders:
  - {after: 2d}
  - after: 5d
    sms: {zh: "【{dealer}】最后提醒：{link} 退订 {optout}", en: "{dealer}: last reminder {link} stop: {optout}"}
expires: 14d
contact_rules:
  max_invitations: {count: 1, per: 30d}
  max_messages: {count: 3, per: 30d}
  quiet_hours: {start: "21:00", end: "09:00"}
pages:
  - id: p1
    questions:
      - {id: sat, type: nps, text: {zh: 推荐, en: Recommend}}
"""

# 2026-03-02 02:00 UTC is 10:00 in Shanghai: outside the quiet hours
T0 = dt.datetime(2026, 3, 2, 2, 0)


def register(engine: Any, text: str = FIELDING_YAML) -> Any:
    q = load_questionnaire(text)
    register_version(engine, q, text)
    return q


def add_invitation(
    engine: Any,
    *,
    survey: str = "svc",
    customer: str = "C1",
    channel: str = "email",
    language: str = "zh",
    send_at: dt.datetime = T0,
    name: str = "王先生",
    email: str | None = "wang@example.cn",
    phone: str | None = "+8613800138000",
    fields: dict[str, str] | None = None,
) -> int:
    """A contact (made once per customer id) and a scheduled invitation, as the API stores them."""
    c, i = contacts.c, invitations.c
    with write_transaction(engine) as conn:
        contact_id = conn.execute(sa.select(c.id).where(c.customer_id == customer)).scalar()
        if contact_id is None:
            contact_id = conn.execute(
                sa.insert(contacts)
                .values(
                    customer_id=customer,
                    name=name,
                    email=email,
                    phone=phone,
                    language=language,
                    created_at=send_at,
                    updated_at=send_at,
                )
                .returning(c.id)
            ).scalar_one()
        return int(
            conn.execute(
                sa.insert(invitations)
                .values(
                    survey=survey,
                    token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
                    fields=fields if fields is not None else {"dealer": "de01"},
                    created_at=send_at,
                    event_id=secrets.token_hex(8),
                    contact_id=contact_id,
                    channel=channel,
                    status="scheduled",
                    send_at=send_at,
                )
                .returning(i.id)
            ).scalar_one()
        )


def settings(**kw: Any) -> Settings:
    return Settings(base_url=BASE, secret=SECRET, sender="survey@example.cn", **kw)


def run(engine: Any, s: Settings, now: dt.datetime, stop: Any = lambda: False) -> PassStats:
    return run_pass(engine, s, worker="test", clock=lambda: now, stop=stop)


def invitation(engine: Any, invitation_id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.select(invitations).where(invitations.c.id == invitation_id)).first()


def messages(engine: Any, invitation_id: int | None = None) -> list[Any]:
    m = invitation_messages.c
    stmt = sa.select(invitation_messages).order_by(m.id)
    if invitation_id is not None:
        stmt = stmt.where(m.invitation_id == invitation_id)
    with engine.connect() as conn:
        return conn.execute(stmt).all()


def short_link(invitation_id: int) -> str:
    return links.short_url(BASE, links.short_code(SECRET, invitation_id))
