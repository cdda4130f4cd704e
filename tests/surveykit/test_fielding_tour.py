"""The demo's fielding tour: visits through the API's ingest, messages to a folder, reminders, the funnel."""

from __future__ import annotations

import datetime as dt
import email
import json
from pathlib import Path

import sqlalchemy as sa

from surveykit import load_questionnaire, storage
from surveykit.database import invitation_messages, invitations
from surveykit.fielding.tour import run_tour

SHIPPED = Path(__file__).resolve().parents[2] / "questionnaires"


def test_the_tour_fields_the_shipped_surveys(tmp_path, monkeypatch):
    monkeypatch.delenv("SURVEYKIT_LINK_SECRET", raising=False)
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    storage.init_db(engine)
    surveys = []
    for name in ("dealer_aftersales_csi", "sales_csi"):
        path = SHIPPED / f"{name}.yaml"
        q = load_questionnaire(path)
        storage.register_version(engine, q, path.read_text(encoding="utf-8"))
        surveys.append(q)
    lines: list[str] = []
    funnel = run_tour(engine, surveys, tmp_path, progress=lines.append)
    assert "response rates of dealer_aftersales_csi" in funnel and "RR1" in funnel
    assert "suppressed by: contact_rule:max_invitations 6" in funnel  # six customers of both surveys
    with engine.connect() as conn:
        invs = conn.execute(sa.select(invitations)).all()
        msgs = conn.execute(sa.select(invitation_messages)).all()
    sent = [x for x in msgs if x.status == "sent"]
    mails = list((tmp_path / "outbox" / "mail").glob("*.eml"))
    sms = [json.loads(line) for line in (tmp_path / "outbox" / "sms.jsonl").read_text("utf-8").splitlines()]
    assert len(mails) + len(sms) == len(sent) > 0
    assert {str(email.message_from_bytes(p.read_bytes())["Message-ID"]) for p in mails} <= {x.message_id for x in sent}
    # reminders went out, and none waits for an invitation that was answered (the worker tests check the
    # timing itself: the tour's answers carry the real clock, its passes the travelled one)
    completed = {x.id for x in invs if x.status == "completed"}
    assert any(x.seq > 0 for x in sent) and completed
    assert not [x for x in msgs if x.status == "pending" and x.invitation_id in completed]
    # the SMS posted at 22:00 Shanghai time went at 09:00 the next morning
    evening = [x for x in invs if x.send_at.hour == 14]
    assert len(evening) == 2
    for x in evening:
        assert x.sent_at == x.send_at.replace(hour=1) + dt.timedelta(days=1)
    assert any("worker at" in line for line in lines)
    # a second run adds nothing
    run_tour(engine, surveys, tmp_path)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(invitation_messages)).scalar() == len(msgs)
        assert conn.execute(sa.select(sa.func.count()).select_from(invitations)).scalar() == len(invs)
    engine.dispose()
