"""The admin's survey page shows the invitation funnel and the AAPOR rates, overall and per dealer."""

from __future__ import annotations

import sqlalchemy as sa

from surveykit import events, storage
from surveykit.database import invitations
from tests.support.fielding import FIELDING_YAML, item, submit
from tests.webform.test_admin import PASSWORD, _login


def test_rates_on_the_survey_page(make_app) -> None:
    app = make_app(FIELDING_YAML)
    engine = app.extensions["surveykit"].engine
    storage.create_user(engine, "alice", PASSWORD)
    client = app.test_client()
    _login(client)
    assert "RR1" not in client.get("/admin/s/visit_csi").get_data(as_text=True)  # no invitation yet
    q = app.extensions["surveykit"].survey("visit_csi")[0]
    out = events.ingest(
        engine, [item(f"e{i}", f"C{i}", "de01" if i < 3 else "de02") for i in range(4)], {q.survey: q}.get
    )
    with engine.begin() as conn:
        conn.execute(sa.update(invitations).values(status="sent"))
    submit(engine, q, invitation_id=out[0].invitation_id)
    page = client.get("/admin/s/visit_csi").get_data(as_text=True)
    assert "Invitations and response rates" in page
    # all: 1 complete of 4 sent; de01: 1 of 3; de02: 0 of 1
    assert (
        "<td>All invitations</td><td>4</td><td>0</td><td>4</td><td>0</td><td>1</td><td>1</td><td>0</td><td>25.0 %</td>"
        in page
    )
    assert "<td>de01</td><td>3</td>" in page and "33.3 %" in page
    assert "<td>de02</td><td>1</td>" in page
