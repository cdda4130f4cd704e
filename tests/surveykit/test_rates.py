"""Response rates: AAPOR dispositions and RR1, RR2, COOP1 computed by hand on a known funnel; the command."""

from __future__ import annotations

import json
import math

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from surveykit import events
from surveykit.cli import main
from surveykit.database import invitations, utcnow
from surveykit.rates import disposition, format_rates, rates
from surveykit.storage import save_draft, start_draft
from tests.support.fielding import item, registered, submit

BASE = dict(
    status="sent", suppression_reason=None, completed=False, over_quota=False, opened=False, started=False, page=None,
    opted_out=False, failed=False,
)  # fmt: skip


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"completed": True}, "I"),
        ({"completed": True, "over_quota": True}, "NE"),
        ({"started": True, "page": 2}, "P"),  # on the third of 4 screens: half answered
        ({"started": True, "page": 1}, "R"),  # break-off before half
        ({"opened": True}, "R"),  # implicit refusal
        ({"opted_out": True}, "R"),
        ({}, "U"),  # nothing ever returned
        ({"failed": True}, "U"),  # undelivered
        ({"status": "suppressed", "suppression_reason": "quota_full"}, "NE"),
        ({"status": "suppressed", "suppression_reason": "contact_rule"}, "none"),
        ({"status": "scheduled"}, "none"),
    ],
)
def test_disposition(change: dict, code: str) -> None:
    assert disposition(dict(BASE, **change), screens=4) == code


def _set(engine, inv: int, **values) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(invitations).where(invitations.c.id == inv).values(**values))


def _fielded(engine):
    """Ten invitations with a known fate: I=3, P=1, R=3 (opt-out, opened, early break-off), U=2, NE=1."""
    q = registered(engine, "quotas:\n  - {id: cap, fields: [dealer], max: 3}\n")
    posted = [item(f"e{i}", f"C{i}", "de01" if i < 6 else "de02") for i in range(11)]
    ids = [o.invitation_id for o in events.ingest(engine, posted, {q.survey: q}.get)]
    now = utcnow()
    for inv in ids[:10]:
        _set(engine, inv, status="sent", sent_at=now)
    for inv in ids[:3]:
        submit(engine, q, invitation_id=inv)  # I (de01 x3: the cell is now full)
    draft = start_draft(engine, q, language="zh", invitation_id=ids[3])
    save_draft(engine, draft.id, {"sat": 4}, page=1)  # P: reached the second of two screens
    _set(engine, ids[4], status="opted_out", opted_out_at=now)  # R
    _set(engine, ids[5], status="opened", opened_at=now)  # R (implicit)
    start_draft(engine, q, language="zh", invitation_id=ids[6])  # R: broke off on the first screen
    _set(engine, ids[7], status="failed", failed_at=now)  # U (undelivered)
    # ids[8]: sent, nothing returned (U); ids[9]: sent and completed but over quota? no: de02 has room
    submit(engine, q, invitation_id=ids[9])  # I (de02)
    _set(engine, ids[10], status="suppressed", suppression_reason="quota_full")  # NE
    return q


def test_rates_by_hand(engine: sa.Engine) -> None:
    q = _fielded(engine)
    overall, de01, de02 = rates(engine, q, by=["dealer"])
    d = overall.dispositions
    assert d == dict(I=4, P=1, R=3, NC=0, O=0, U=2, NE=1)
    assert math.isclose(overall.rr1, 4 / 10) and math.isclose(overall.rr2, 5 / 10)
    assert math.isclose(overall.coop1, 4 / (4 + 1 + 3))
    assert overall.funnel == dict(
        invited=11, suppressed=1, scheduled=0, sent=10, failed=1, opened=7, started=6, completed=4, opted_out=1
    )
    assert overall.suppressed_by == {"quota_full": 1}
    assert (de01.group, de01.dispositions["I"], de02.dispositions["I"]) == ({"dealer": "de01"}, 3, 1)
    records = json.loads(format_rates([overall], "json"))
    assert records[0]["rr1"] == 0.4 and records[0]["coop1"] == 0.5
    assert "RR1 40.0 %  RR2 50.0 %  COOP1 50.0 %" in format_rates([overall], "text")


def test_no_invitations_gives_no_rate(engine: sa.Engine) -> None:
    q = registered(engine)
    (row,) = rates(engine, q)
    assert math.isnan(row.rr1) and "RR1 n/a" in format_rates([row], "text")
    with pytest.raises(ValueError, match="cannot group by 'colour'"):
        rates(engine, q, by=["colour"])


def test_rates_command(db_url: str, engine: sa.Engine) -> None:
    _fielded(engine)
    runner = CliRunner()
    out = runner.invoke(main, ["rates", "visit_csi", "--db", db_url, "--by", "dealer", "--format", "csv"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("dealer,invited,") and len(lines) == 4
    assert ",0.4,0.5,0.5" in lines[1]
    text = runner.invoke(main, ["rates", "visit_csi", "--db", db_url])
    assert "RR1 40.0 %" in text.output
    missing = runner.invoke(main, ["rates", "nope", "--db", db_url])
    assert missing.exit_code == 1 and "no survey 'nope'" in missing.output
