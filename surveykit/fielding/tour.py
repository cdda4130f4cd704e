"""The fielding part of the demo: visits posted, messages sent to a folder, reminders after time travel, the funnel.

What :func:`run_tour` does with each shipped survey that declares an ``invitation:``:

1. posts simulated visit events (contacts in zh and en, e-mail and SMS, some customers of the
   after-sales survey bought a car too, one event arriving at 22:00 Shanghai time) through
   :func:`surveykit.events.ingest`, the function behind ``POST /api/v1/invitations``;
2. runs the worker at 09:30 Shanghai time: e-mails go to ``outbox/mail/*.eml``, SMS to
   ``outbox/sms.jsonl``; the customers already invited within 30 days are suppressed by the
   contact rule, the evening SMS waits for the quiet hours to end (the next morning's pass);
3. lets simulated customers open their links and answer (stored through the path of a real
   submission, so the invitation is completed), then travels two and five days ahead: the
   reminders go to the others only;
4. returns the response-rate funnel of :mod:`surveykit.rates` (AAPOR RR1, RR2, COOP1).

Everything is seeded, and a second run on the same store adds nothing (the events repeat,
the messages were sent).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from surveykit import events, rates, storage
from surveykit.database import invitations, utcnow, write_transaction
from surveykit.fielding import links, tracking
from surveykit.fielding.delivery import FileSmsGateway, FolderMailer
from surveykit.fielding.worker import Settings, run_pass
from surveykit.model import Questionnaire

__all__ = ["run_tour"]

_NAMES_ZH = ["王先生", "李女士", "张先生", "刘女士", "陈先生", "杨女士", "赵先生", "黄女士", "周先生", "吴女士"]
_NAMES_EN = ["Mr Smith", "Ms Jones", "Mr Brown", "Ms Taylor"]
_DEALERS = ["DE01", "DE02", "DE03", "DE04", "DE05"]


def _secret(folder: Path) -> bytes:
    """The link secret: ``SURVEYKIT_LINK_SECRET``, else one kept in the demo folder (and exported, for the server)."""
    if os.environ.get("SURVEYKIT_LINK_SECRET"):
        return links.link_secret()
    path = folder / "link_secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    os.environ["SURVEYKIT_LINK_SECRET"] = path.read_text(encoding="utf-8").strip()
    return links.link_secret()


def _events(q: Questionnaire, n: int, first: int, rng: random.Random, evening: dt.datetime) -> list[dict[str, Any]]:
    items = []
    for k in range(n):
        number = first + k
        english = number % 5 == 0
        contact = {
            "customer_id": f"DEMO-{number:04d}",
            "name": (_NAMES_EN if english else _NAMES_ZH)[number % (4 if english else 10)],
            "email": f"customer{number:04d}@example.cn",
            "phone": f"+86138{number:08d}",
            "language": "en" if english else "zh",
        }
        item: dict[str, Any] = {
            "survey": q.survey,
            "event_id": f"{q.survey}-{number:04d}",
            "contact": contact,
            "fields": {"dealer": rng.choice(_DEALERS)} if any(f.id == "dealer" for f in q.fields) else {},
            "channel": "sms" if number % 2 else "email",
        }
        if k == n - 1:  # posted at 22:00 Shanghai time: the SMS waits for 09:00
            item["channel"] = "sms"
            item["send_at"] = evening.replace(tzinfo=dt.UTC).isoformat()
        items.append(item)
    return items


def _answer(q: Questionnaire, engine: Engine, invitation_id: int, language: str, seed: int) -> None:
    """A simulated respondent answers through the link: opened, then a submission under the invitation."""
    from surveykit.simulate import simulate

    row = simulate(q, 1, seed=seed).to_dict("records")[0]
    answers = {
        v.name: (None if isinstance(row.get(v.name), float) and math.isnan(row[v.name]) else row.get(v.name))
        for v in q.variables()
        if v.type not in ("metadata", "field")
    }
    with write_transaction(engine) as conn:
        tracking.advance(conn, invitation_id, "opened", utcnow())
    try:
        storage.save_response(
            engine, q, answers, key=f"tour-{invitation_id:08d}-key", language=language, invitation_id=invitation_id
        )
    except storage.InvitationUnavailable:
        pass  # answered on an earlier run of the demo


def _sent(engine: Engine, q: Questionnaire) -> list[Any]:
    i = invitations.c
    with engine.connect() as conn:
        return list(
            conn.execute(sa.select(i.id).where(i.survey == q.survey, i.status.in_(("sent", "opened"))).order_by(i.id))
        )


def run_tour(
    engine: Engine,
    surveys: Sequence[Questionnaire],
    folder: str | Path,
    *,
    base_url: str = "http://127.0.0.1:5077",
    progress: Callable[[str], None] = lambda _: None,
) -> str:
    """Field the surveys that declare invitations, with time travel; returns the funnels as text."""
    base = Path(folder)
    fielded = [q for q in surveys if q.fielding is not None and q.fielding.invitation is not None]
    if not fielded:
        return ""
    # a seeded simulation of customers, not a secret
    rng = random.Random(2026)  # noqa: S311  # nosec B311
    settings = Settings(
        base_url=base_url,
        secret=_secret(base),
        mailer=FolderMailer(base / "outbox" / "mail"),
        sender="survey@dealer.example.cn",
        sms=FileSmsGateway(base / "outbox" / "sms.jsonl"),
    )
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    t0 = today + dt.timedelta(hours=1, minutes=30)  # 09:30 in Shanghai
    evening = today + dt.timedelta(hours=14)  # 22:00 in Shanghai
    by_id = {q.survey: q for q in fielded}
    first = 1
    for q in fielded:
        count = 30 if q is fielded[0] else 20
        items = _events(q, count, first, rng, evening)
        outcomes = events.ingest(engine, items, by_id.get, now=t0 - dt.timedelta(minutes=30))
        created = sum(o.status == 201 for o in outcomes)
        progress(f"fielding {q.survey}: {len(items)} visit events posted through the API's ingest, {created} new")
        first += count - 6  # six customers of one survey appear in the next: the 30-day rule holds them
    for when, answer_share, label in (
        (t0, 0.45, "the invitations"),
        (today + dt.timedelta(days=1, hours=1), 0.0, "09:00 the next morning: the SMS held by the quiet hours"),
        (t0 + dt.timedelta(days=2, hours=1), 0.3, "the first reminders, two days later"),
        (t0 + dt.timedelta(days=5, hours=1), 0.0, "the last reminders, five days later"),
    ):

        def clock(at: dt.datetime = when) -> dt.datetime:
            return at

        stats = run_pass(engine, settings, worker="demo", clock=clock)
        progress(f"worker at {when:%Y-%m-%d %H:%M} UTC ({label}): {stats.summary()}")
        for q in fielded:
            for row in _sent(engine, q):
                if rng.random() < answer_share:
                    _answer(q, engine, row.id, "zh", seed=row.id)
    progress(f"messages: {base / 'outbox' / 'mail'} (e-mail), {base / 'outbox' / 'sms.jsonl'} (SMS)")
    text = []
    for q in fielded:
        text.append(f"response rates of {q.survey} (AAPOR RR1, RR2, COOP1):")
        text.append(rates.format_rates(rates.rates(engine, q, by=("dealer",)), "text"))
    return "\n".join(text)
