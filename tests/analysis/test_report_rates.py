"""The report's sample section carries the invitation funnel and AAPOR rates when the survey has invitations."""

from __future__ import annotations

import sqlalchemy as sa

from analysis.report import report_from_store
from surveykit import events
from surveykit.database import invitations
from tests.support.fielding import item, registered, submit


def test_sample_section_shows_rates(engine: sa.Engine) -> None:
    q = registered(engine)
    for i in range(12):
        submit(engine, q, sat=i % 5 + 1)  # enough responses for a report
    before = report_from_store(engine, q, lang="en").html
    assert "Invitations and response rates" not in before
    out = events.ingest(engine, [item(f"e{i}", f"C{i}") for i in range(4)], {q.survey: q}.get)
    with engine.begin() as conn:
        conn.execute(sa.update(invitations).values(status="sent"))
    submit(engine, q, invitation_id=out[0].invitation_id)
    html = report_from_store(engine, q, lang="zh").html
    assert "邀请与回复率" in html and "邀请 4，已抑制 0，已发送 4" in html
    assert "RR1<b>25.0 %</b>" in html and "COOP1<b>100.0 %</b>" in html
