"""The admin pages (webform/admin.py): login, rate limit, logout, survey statistics, CSV download."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from surveykit import storage
from tests.support.formclient import ONE_PAGE, Respondent, engine_of, no_traceback, questionnaire
from tests.support.reports import open_report

PASSWORD = "a long enough passphrase 42"


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def _login(client, username="alice", password=PASSWORD, headers=None):
    page = client.get("/admin/login", headers=headers or {})
    return client.post(
        "/admin/login",
        data={"csrf_token": _csrf(page.get_data(as_text=True)), "username": username, "password": password},
        headers=headers or {},
    )


@pytest.fixture
def admin_app(make_app):
    app = make_app(ONE_PAGE, LOGIN_RATE_LIMIT=[5, 60])
    storage.create_user(engine_of(app), "alice", PASSWORD)
    return app


@pytest.mark.parametrize("url", ["/admin/", "/admin/s/quick", "/admin/s/quick/responses.csv", "/admin/s/nope"])
def test_every_admin_page_needs_a_login(admin_app, url):
    response = admin_app.test_client().get(url)
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/login")


def test_login_page_is_accessible_markup(admin_app):
    text = admin_app.test_client().get("/admin/login").get_data(as_text=True)
    assert '<label for="username">' in text and 'autocomplete="current-password"' in text
    assert response_headers_ok(admin_app.test_client().get("/admin/login"))


def response_headers_ok(response) -> bool:
    return (
        response.headers["Cache-Control"] == "no-store"
        and "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    )


def test_wrong_password_is_refused_without_saying_which_part(admin_app):
    client = admin_app.test_client()
    for username, password in (("alice", "wrong password here"), ("mallory", PASSWORD), ("", "")):
        response = _login(client, username, password)
        assert response.status_code == 422
        assert "The user name or password is not right." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 303


def test_login_without_csrf_is_400(admin_app):
    client = admin_app.test_client()
    client.get("/admin/login")
    response = client.post("/admin/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400 and client.get("/admin/").status_code == 303


def test_login_is_rate_limited(admin_app):
    client = admin_app.test_client()
    statuses = [_login(client, "alice", "wrong password here").status_code for _ in range(7)]
    assert statuses[:5] == [422] * 5 and statuses[-1] == 429
    response = _login(client)  # even the right password waits
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True) and response_headers_ok(response)


def test_login_rotates_the_session_and_logout_ends_it_everywhere(admin_app):
    client = admin_app.test_client()
    client.get("/admin/login")
    before = client.get_cookie("session").value
    response = _login(client)
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/")
    after = client.get_cookie("session").value
    assert after != before
    assert client.get("/admin/").status_code == 200
    # a copy of the logged-in cookie
    thief = admin_app.test_client()
    thief.set_cookie("session", after)
    assert thief.get("/admin/").status_code == 200
    page = client.get("/admin/").get_data(as_text=True)
    assert client.post("/admin/logout", data={"csrf_token": _csrf(page)}).status_code == 303
    assert client.get("/admin/").status_code == 303
    assert thief.get("/admin/").status_code == 303  # logout is real: the copy no longer works


def test_logout_needs_csrf(admin_app):
    client = admin_app.test_client()
    _login(client)
    assert client.post("/admin/logout").status_code == 400
    assert client.get("/admin/").status_code == 200


def test_idle_session_expires(admin_app, monkeypatch):
    client = admin_app.test_client()
    _login(client)
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 31 * 60)
    assert client.get("/admin/").status_code == 303


def _answer(app, n, branch=None, sat="4", note=""):
    q = questionnaire(app, "quick")
    tokens = storage.create_invitations(engine_of(app), q, [{"branch": branch}] * n) if branch else [None] * n
    for inv in tokens:
        r = Respondent(app.test_client())
        page = r.get(f"/s/quick?t={inv.token}" if inv else "/s/quick")
        assert r.post(page, {"q_sat": sat, "q_note": note}).status == 200


def test_survey_page_shows_counts_by_segment_and_timing(admin_app):
    _answer(admin_app, 2, branch="North")
    _answer(admin_app, 1, branch="South")
    _answer(admin_app, 1)
    client = admin_app.test_client()
    _login(client, headers={"Accept-Language": "en"})
    index = client.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Quick survey" in index and '<a href="/admin/s/quick">' in index
    text = client.get("/admin/s/quick", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Responses by Branch" in text
    assert "<td>North</td><td>2</td>" in text and "<td>South</td><td>1</td>" in text
    assert "<td>(none)</td><td>1</td>" in text
    assert "Median duration" in text and "Completion rate" in text
    # the admin's report is made in the background (webform/dashboard), the page links to its state
    assert "/s/quick" in text and 'href="/admin/dashboard/s/quick/report"' in text
    for fmt in ("csv", "xlsx", "sav", "dta", "parquet"):
        assert f'href="/admin/s/quick/responses.{fmt}"' in text
    assert no_traceback(text)


def test_csv_download_opens_in_excel_and_neutralises_formulas(admin_app):
    _answer(admin_app, 1, note='=HYPERLINK("http://x")')
    _answer(admin_app, 1, note="中文意见")
    client = admin_app.test_client()
    _login(client)
    response = client.get("/admin/s/quick/responses.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="quick-responses.csv"'
    assert response.content_type.startswith("text/csv")
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(df.columns[:3]) == ["response_id", "survey", "version"]
    assert len(df) == 2 and "中文意见" in df["note"].tolist()
    assert df["note"].iloc[0].startswith("'=")


def test_admin_language_switch(admin_app):
    client = admin_app.test_client()
    _login(client)
    assert client.get("/admin/?lang=zh").status_code == 303
    text = client.get("/admin/").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in text and "退出登录" in text


def test_unknown_survey_in_admin_is_404(admin_app):
    client = admin_app.test_client()
    _login(client)
    response = client.get("/admin/s/nope")
    assert response.status_code == 404 and no_traceback(response.get_data(as_text=True))


def test_every_export_format_downloads(admin_app):
    for _ in range(3):
        _answer(admin_app, 1, note="中文意见")
    client = admin_app.test_client()
    _login(client)
    for fmt, magic in (("xlsx", b"PK"), ("sav", b"$FL2"), ("dta", b"<stata_dta>"), ("parquet", b"PAR1")):
        response = client.get(f"/admin/s/quick/responses.{fmt}")
        assert response.status_code == 200, fmt
        assert response.get_data().startswith(magic), fmt
        assert response.headers["Content-Disposition"] == f'attachment; filename="quick-responses.{fmt}"'
    assert client.get("/admin/s/quick/responses.exe").status_code == 404


def test_report_is_one_click_away(admin_app):
    client = admin_app.test_client()
    _login(client)
    too_few = client.get("/admin/s/quick/report", headers={"Accept-Language": "en"})
    assert too_few.status_code == 409 and "at least three responses" in too_few.get_data(as_text=True)
    for i in range(12):
        _answer(admin_app, 1 + i % 2, note="<script>alert(1)</script>")
    response = open_report(client, "/admin/s/quick/report")  # made in the background
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and text.startswith("<!doctype html>")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'; img-src data:")
    assert 'id="methods"' in text and "<script>" not in text
    logged_out = admin_app.test_client().get("/admin/s/quick/report")
    assert logged_out.status_code == 303
