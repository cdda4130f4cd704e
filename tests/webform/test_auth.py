"""The login decorators (webform/auth.py) on their own routes and on every admin and case route."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import g, url_for

from surveykit import storage
from surveykit.database import users
from tests.support.formclient import ONE_PAGE, engine_of
from webform.auth import login_required, role_required

PASSWORD = "department passphrase 9"
PUBLIC = {"admin.login", "admin.login_post"}


@pytest.fixture
def app(make_app: Any) -> Any:
    app = make_app(ONE_PAGE, WTF_CSRF_ENABLED=False)
    app.add_url_rule("/t/anyone", "t_anyone", login_required(lambda: f"hello {g.admin.name} ({g.admin.role})"))
    app.add_url_rule("/t/admins", "t_admins", role_required("admin")(lambda: "admins only"))
    app.add_url_rule("/t/both", "t_both", role_required("admin", "department")(lambda: f"dept {g.admin.department}"))
    engine = engine_of(app)
    storage.create_user(engine, "alice", PASSWORD, role="admin")
    storage.create_user(engine, "dora", PASSWORD, role="department", department="service")
    return app


def _login(app: Any, username: str) -> Any:
    client = app.test_client()
    response = client.post("/admin/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    return client


@pytest.mark.parametrize("url", ["/t/anyone", "/t/admins", "/t/both"])
def test_no_session_is_sent_to_the_login_page(app, url):
    response = app.test_client().get(url)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/login"


def test_login_required_gives_the_view_the_user(app):
    assert _login(app, "dora").get("/t/anyone").get_data(as_text=True) == "hello dora (department)"


@pytest.mark.parametrize(
    ("username", "url", "status"),
    [
        ("dora", "/t/admins", 403),
        ("alice", "/t/admins", 200),
        ("dora", "/t/both", 200),
        ("alice", "/t/both", 200),
        ("dora", "/admin/s/quick", 403),
        ("dora", "/admin/s/quick/responses.csv", 403),
        ("alice", "/admin/s/quick", 200),
    ],
)
def test_role_required_refuses_other_roles(app, username, url, status):
    assert _login(app, username).get(url).status_code == status


def test_the_role_is_read_from_the_store_on_every_request(app):
    client = _login(app, "dora")
    assert client.get("/t/both").get_data(as_text=True) == "dept service"
    with engine_of(app).begin() as conn:
        conn.execute(sa.update(users).where(users.c.username == "dora").values(department="sales"))
    assert client.get("/t/both").get_data(as_text=True) == "dept sales"


def test_a_logout_elsewhere_ends_the_session(app):
    client = _login(app, "alice")
    assert client.get("/t/anyone").status_code == 200
    storage.end_sessions(engine_of(app), "alice")
    response = client.get("/t/anyone")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/login"


def test_a_department_user_without_a_department_sees_no_case(app):
    with engine_of(app).begin() as conn:
        conn.execute(sa.update(users).where(users.c.username == "dora").values(department=None))
    client = _login(app, "dora")
    assert client.get("/admin/cases/").status_code == 403
    assert client.get("/admin/").status_code == 200


def _example_url(app: Any, rule: Any) -> str:
    values = {
        name: (1 if f"<int:{name}>" in rule.rule else "csv" if name == "fmt" else "quick") for name in rule.arguments
    }
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def test_every_admin_and_case_route_needs_a_login(app):
    client = app.test_client()
    checked = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("admin", "cases") or rule.endpoint in PUBLIC:
            continue
        url = _example_url(app, rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 303, (method, url)
            assert response.headers["Location"] == "/admin/login", (method, url)
            checked.append(rule.endpoint)
    assert {"admin.index", "admin.logout", "admin.report", "cases.board", "cases.move"} <= set(checked)
