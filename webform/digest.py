"""A manager's weekly digest e-mail: their units' headline figures for last week, and the biggest changes below them.

Every Monday (``surveykit digest``), each ``manager`` user with an e-mail address gets one mail for
the ISO week that just ended: for every survey with a unit field and every unit they were given,
the dashboard's headline tiles of that week (satisfaction index, top-2-box, NPS, responses,
response rate when invitations exist, open and overdue cases) with the change against the week
before, and the units directly below theirs whose index moved most.  The figures are the
dashboard's own (:func:`webform.dashboard.figures.survey_figures` on the additive aggregates),
with the same tests of a change (Welch's t for the index, the pooled two-proportion z for
top-2-box, the Wald z for NPS; :mod:`analysis.tiles`), the same Holm adjustment over a page's
tiles (a change is called significant when its Holm-adjusted p is below 0.05) and the same
minimum-n suppression: a figure on fewer than ``min_n`` responses reads "not enough responses"
(for an anonymous survey ``min_n`` is its ``anonymous.min_n`` when larger, and the units below get
the dashboard's complementary suppression).

Delivery goes the way of the case mails (:mod:`surveykit.notify`): :func:`queue` writes each
digest once per user and week (:data:`surveykit.database.digests`, unique on both, so a second
run adds nothing), with its Message-ID fixed when written; :func:`send_pending` claims rows
with a lease, so several senders never mail one twice and a sender that died is taken over
when its lease runs out, and records each success or SMTP error.  The text is bilingual
(Chinese, then English), as the case mails are, since a user has no language of their own.
"""

from __future__ import annotations

import datetime as dt
import secrets
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from surveykit import anonymity, notify, org
from surveykit.database import digests, survey_versions, user_units, users, utcnow, write_transaction
from surveykit.loader import load_questionnaire
from surveykit.model import Questionnaire
from webform.dashboard.figures import Figures, Tile, survey_figures, unit_fields
from webform.dashboard.periods import Period
from webform.dashboard.units import Selection

__all__ = ["BIGGEST", "SendStats", "compose", "last_week", "queue", "send_pending", "week_label"]

BIGGEST = 3  # changes listed per unit
MAX_ATTEMPTS = 5
_LABELS = {
    "index": ("满意度指数", "Satisfaction index"),
    "top2": ("前两档满意率 %", "Top-2-box %"),
    "nps": ("净推荐值", "NPS"),
    "responses": ("答卷", "Responses"),
    "response_rate": ("回复率 %", "Response rate %"),
    "open_cases": ("未结案件", "Open cases"),
    "overdue_cases": ("超时案件", "Overdue cases"),
}


def last_week(today: dt.date) -> dt.date:
    """The Monday of the ISO week before the one ``today`` falls in (the week a digest sent today covers)."""
    return today - dt.timedelta(days=today.weekday() + 7)


def week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _surveys(conn: Connection) -> list[Questionnaire]:
    """The latest stored version of every survey that has a unit field."""
    v = survey_versions.c
    rows = conn.execute(sa.select(v.survey, v.yaml_text).order_by(v.survey, v.id.desc())).all()
    seen: set[str] = set()
    out = []
    for survey, text in rows:
        if survey in seen:
            continue
        seen.add(survey)
        q = load_questionnaire(text)
        if unit_fields(q):
            out.append(q)
    return out


def _both(tree: org.OrgTree, unit: str) -> str:
    zh, en = tree.name(unit, "zh"), tree.name(unit, "en")
    return zh if zh == en else f"{zh} / {en}"


def _number(key: str, value: float) -> str:
    return f"{value:,.0f}" if key in ("responses", "open_cases", "overdue_cases") else f"{value:.1f}"


def _tile_line(t: Tile, min_n: int) -> str:
    zh, en = _LABELS.get(t.key, (t.key, t.key))
    if t.suppressed and t.n >= min_n:  # an anonymous survey's unit withheld beside a smaller one
        return f"  {zh} {en}: 为保护人数较少的单位不予显示 withheld to protect a smaller unit"
    if t.suppressed or t.value is None:
        return f"  {zh} {en}: 答卷不足 not enough responses (n = {t.n} < {min_n})"
    line = f"  {zh} {en}: {_number(t.key, t.value)}"
    if t.change is not None:
        before = t.value - t.change.diff
        mark = " *" if t.change.significant else ""
        line += f" (上周 last week {_number(t.key, before)}, {t.change.diff:+.1f}{mark})"
    return line


def _section(q: Questionnaire, tree: org.OrgTree, unit: str, figures: Figures, min_n: int) -> list[str]:
    title = (
        q.title.best("zh")
        if q.title.best("zh") == q.title.best("en")
        else f"{q.title.best('zh')} / {q.title.best('en')}"
    )
    lines = [f"{title} — {_both(tree, unit)}"]
    lines += [_tile_line(t, min_n) for t in figures.headline]
    moved = sorted(((r, r.change) for r in figures.rows if r.change is not None), key=lambda rc: -abs(rc[1].diff))
    if moved:
        lines.append("  变化最大 Biggest changes (满意度指数 satisfaction index):")
        for r, change in moved[:BIGGEST]:
            mark = " *" if change.significant else ""
            lines.append(f"    {_both(tree, r.unit)}: {r.index.mean:.1f} ({change.diff:+.1f}{mark}, n = {r.n})")
    return lines


def compose(
    conn: Connection,
    tree: org.OrgTree,
    units: Sequence[str],
    surveys: Sequence[Questionnaire],
    monday: dt.date,
    *,
    min_n: int = 10,
    now: dt.datetime | None = None,
) -> str | None:
    """The digest text for a manager of ``units`` over the week starting ``monday``; None when none of their
    units had a response that week or the week before in any survey (nothing to say, no mail)."""
    period = Period("week", monday, monday + dt.timedelta(days=7), monday - dt.timedelta(days=7))
    now = now or utcnow()
    sections: list[str] = []
    for q in surveys:
        limit = anonymity.min_n(q, min_n)
        for unit in units:
            codes = frozenset(tree.subtree(unit)) or frozenset({unit})
            children = [(c, tree.name(c, "en"), frozenset(tree.subtree(c))) for c in tree.children(unit)]
            figures = survey_figures(
                conn, q, Selection(unit, tree.name(unit, "en"), codes, children), period, limit, now
            )
            responses = next((t for t in figures.headline if t.key == "responses"), None)
            if responses is None or (responses.n == 0 and (responses.change is None or responses.change.diff == 0)):
                continue
            sections.append("\n".join(_section(q, tree, unit, figures, limit)))
    if not sections:
        return None
    head = (
        f"上周（{monday:%Y-%m-%d} 至 {monday + dt.timedelta(days=6):%Y-%m-%d}，UTC）与前一周相比。"
        f"* 表示变化显著（Holm 校正后 p < 0.05）。\n"
        f"Last week ({monday:%Y-%m-%d} to {monday + dt.timedelta(days=6):%Y-%m-%d}, UTC) against the week before; "
        f"* marks a significant change (Holm-adjusted p < 0.05)."
    )
    return head + "\n\n" + "\n\n".join(sections) + "\n"


def queue(engine: Engine, *, today: dt.date | None = None, min_n: int = 10, now: dt.datetime | None = None) -> int:
    """Write last week's digest of every manager with an e-mail address and units, once; the number written."""
    now = now or utcnow()
    monday = last_week(today or now.date())
    week = week_label(monday)
    u, uu, d = users.c, user_units.c, digests.c
    tree = org.load_tree(engine)
    written = 0
    with engine.connect() as conn:
        managers = conn.execute(
            sa.select(u.id, u.username, u.email).where(u.role == "manager", u.email.is_not(None)).order_by(u.id)
        ).all()
        done = set(conn.execute(sa.select(d.user_id).where(d.week == week)).scalars())
        surveys = _surveys(conn)
        bodies = []
        for user in managers:
            if user.id in done:
                continue
            units = sorted(conn.execute(sa.select(uu.unit).where(uu.user_id == user.id)).scalars())
            body = compose(conn, tree, units, surveys, monday, min_n=min_n, now=now)
            if body is not None:
                names = ", ".join(_both(tree, unit) for unit in units)
                bodies.append((user, f"[surveykit] 每周简报 Weekly digest {week}: {names}", body))
    for user, subject, body in bodies:
        row = {
            "user_id": user.id,
            "week": week,
            "message_id": f"<{secrets.token_hex(8)}.digest{user.id}.{week}@{notify.MESSAGE_ID_DOMAIN}>",
            "recipient": user.email,
            "subject": subject,
            "body": body,
            "created_at": now,
            "status": "pending",
            "attempts": 0,
        }
        try:
            with write_transaction(engine) as conn:
                conn.execute(sa.insert(digests).values(row))
            written += 1
        except sa.exc.IntegrityError:  # another run wrote this user's week meanwhile
            continue
    return written


@dataclass(frozen=True, slots=True)
class SendStats:
    sent: int
    retried: int
    failed: int


def _claim(engine: Engine, worker: str, lease_s: float, batch: int, now: dt.datetime) -> list[Any]:
    d = digests.c
    claimed = []
    with write_transaction(engine) as conn:
        candidates = conn.execute(
            sa.select(d.id)
            .where(d.status == "pending", sa.or_(d.lease_until.is_(None), d.lease_until < now))
            .order_by(d.id)
            .limit(batch)
        ).scalars()
        for digest_id in list(candidates):
            taken = conn.execute(
                sa.update(digests)
                .where(d.id == digest_id, d.status == "pending", sa.or_(d.lease_until.is_(None), d.lease_until < now))
                .values(claimed_by=worker, lease_until=now + dt.timedelta(seconds=lease_s), attempts=d.attempts + 1)
            )
            if taken.rowcount == 1:
                claimed.append(digest_id)
        if not claimed:
            return []
        return list(conn.execute(sa.select(digests).where(d.id.in_(claimed)).order_by(d.id)).all())


def _mail(row: Any, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Message-ID"] = row.message_id
    mail["Date"] = format_datetime(row.created_at.replace(tzinfo=dt.UTC))
    mail["From"] = sender
    mail["To"] = row.recipient
    mail["Subject"] = row.subject
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    mail.set_content(row.body)
    return mail


def send_pending(
    engine: Engine, smtp: notify.SmtpSettings, *, worker: str, lease_s: float = 300, batch: int = 20
) -> SendStats:
    """Mail the pending digests this worker can claim; an SMTP error leaves a digest for a retry, up to
    :data:`MAX_ATTEMPTS` attempts, then marks it failed.  The same Message-ID on every attempt."""
    now = utcnow()
    rows = _claim(engine, worker, lease_s, batch, now)
    sent = retried = failed = 0
    client = None
    d = digests.c
    try:
        for row in rows:
            try:
                if client is None:
                    client = notify.connect(smtp)
                client.send_message(_mail(row, smtp.sender))
            except (OSError, smtplib.SMTPException) as exc:
                final = row.attempts >= MAX_ATTEMPTS
                with write_transaction(engine) as conn:
                    conn.execute(
                        sa.update(digests)
                        .where(d.id == row.id, d.claimed_by == worker)
                        .values(
                            status="failed" if final else "pending", lease_until=None, last_error=notify.smtp_error(exc)
                        )
                    )
                if final:
                    failed += 1
                else:
                    retried += 1
                notify.close(client)
                client = None
                continue
            with write_transaction(engine) as conn:
                conn.execute(
                    sa.update(digests)
                    .where(d.id == row.id, d.claimed_by == worker)
                    .values(status="sent", sent_at=utcnow(), lease_until=None, last_error=None)
                )
            sent += 1
    finally:
        notify.close(client)
    return SendStats(sent, retried, failed)
