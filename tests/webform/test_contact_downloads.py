"""The web app's data downloads hold no contact data, except the admin-only, audited download that asks for it.

On SQLite and PostgreSQL: the survey page's downloads (every format) and the dashboard's unit table
carry no name, e-mail or phone; the form ``responses-with-contacts`` is shown to an admin only, needs
its checkbox and the CSRF token, is refused to an analyst and a manager, and writes an
``audit_log`` row with the admin's user id before the file is sent.  (The responses API's
``contact=`` flag is tested in ``test_api.py``.)
"""

from __future__ import annotations

import io
import re
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from surveykit import events, storage
from surveykit.contact_export import CONTACT_COLUMNS
from surveykit.contacts import erase
from surveykit.database import audit_log
from surveykit.orgfile import apply_org, read_org_file
from tests.support.fielding import FIELDING_YAML, item, submit, survey
from tests.webform.test_admin import PASSWORD, _login

PERSONAL = ("王先生", "8613812345678", "li.wei@example.com")


@pytest.fixture
def app(make_app: Any, db_url: str) -> Any:
    """visit_csi with C1's response (contact on file) and C2's (contact erased); an admin, an analyst, a manager."""
    app = make_app(FIELDING_YAML, DATABASE_URL=db_url, SECRET_KEY="test-secret-0123456789")
    engine = app.extensions["surveykit"].engine
    q = survey()[0]
    app.ids = {}
    for event, customer in (("e1", "C1"), ("e2", "C2")):
        body = item(event, customer)
        body["contact"]["email"] = "li.wei@example.com"
        (out,) = events.ingest(engine, [body], {q.survey: q}.get)
        app.ids[customer] = submit(engine, q, invitation_id=out.invitation_id)
    erase(engine, "C2", actor="cli")
    org = "id,parent,level,name_zh,name_en\nde01,,dealer,一店,One\nde02,,dealer,二店,Two\n"
    apply_org(engine, read_org_file("org.csv", data=org.encode("utf-8")))
    storage.create_user(engine, "alice", PASSWORD)
    storage.create_user(engine, "ana", PASSWORD, role="analyst")
    storage.create_user(engine, "max", PASSWORD, role="manager", units=["de01"])  # C1's dealer
    return app


def _audit(app: Any) -> list[Any]:
    with app.extensions["surveykit"].engine.connect() as conn:
        return conn.execute(sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.detail)).all()


def _csrf(client: Any) -> str:
    page = client.get("/admin/s/visit_csi").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_plain_downloads_hold_no_contact_data(app: Any) -> None:
    client = app.test_client()
    assert _login(client, "alice").status_code == 303
    for fmt in ("csv", "xlsx", "parquet"):
        response = client.get(f"/admin/s/visit_csi/responses.{fmt}")
        assert response.status_code == 200
        frame = {"csv": pd.read_csv, "xlsx": pd.read_excel, "parquet": pd.read_parquet}[fmt](
            io.BytesIO(response.get_data())
        )
        assert len(frame) == 2 and not set(CONTACT_COLUMNS) & set(frame.columns)
        assert not [w for w in PERSONAL if w in frame.to_csv()]
    units = client.get("/admin/dashboard/s/visit_csi/units.csv")
    assert units.status_code == 200
    assert not [w for w in PERSONAL if w in units.get_data(as_text=True)]
    assert [a.action for a in _audit(app)] == ["erase"]


def test_admin_download_with_contacts_is_explicit_and_audited(app: Any) -> None:
    client = app.test_client()
    _login(client, "alice")
    page = client.get("/admin/s/visit_csi").get_data(as_text=True)
    assert 'name="include_contacts"' in page
    token = _csrf(client)
    url = "/admin/s/visit_csi/responses-with-contacts"
    assert client.post(url, data={"csrf_token": token, "format": "csv"}).status_code == 400  # no checkbox
    assert client.post(url, data={"format": "csv", "include_contacts": "1"}).status_code == 400  # no CSRF token
    assert client.post(url, data={"csrf_token": token, "format": "exe", "include_contacts": "1"}).status_code == 400
    assert [a.action for a in _audit(app)] == ["erase"]
    response = client.post(url, data={"csrf_token": token, "format": "csv", "include_contacts": "1"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    table = pd.read_csv(io.BytesIO(response.get_data()), dtype=str, encoding="utf-8-sig").set_index("response_id")
    assert table.loc[app.ids["C1"], "contact_name"] == "王先生"
    assert table.loc[app.ids["C1"], "contact_email"] == "li.wei@example.com"
    assert table.loc[app.ids["C2"], list(CONTACT_COLUMNS)].isna().all()  # erased: never back
    actor, action, detail = _audit(app)[-1]
    user_id = storage.verify_login(app.extensions["surveykit"].engine, "alice", PASSWORD).id
    assert (actor, action) == (f"user:{user_id}", "export_contacts")
    assert (detail["via"], detail["rows"], detail["with_contact"], detail["format"], detail["username"]) == (
        "admin",
        2,
        1,
        "csv",
        "alice",
    )


@pytest.mark.parametrize("name", ["ana", "max"])
def test_analysts_and_managers_never_get_contact_data(app: Any, name: str) -> None:
    client = app.test_client()
    _login(client, name)
    page = client.get("/admin/s/visit_csi")
    assert page.status_code == 200 and 'name="include_contacts"' not in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(
        "/admin/s/visit_csi/responses-with-contacts",
        data={"csrf_token": token, "format": "csv", "include_contacts": "1"},
    )
    assert response.status_code == 403
    assert [a.action for a in _audit(app)] == ["erase"]
