"""T6: security headers on every route and status, and the cookies under the HTTPS configuration.

Every rule of the URL map is requested (as a respondent and as a logged-in
admin), plus 404, 405, 413, 415, 429 and a 500: each response has the CSP with
``object-src 'none'``, ``base-uri 'none'``, ``frame-ancestors 'none'`` and no
inline script, ``nosniff``, a Referrer-Policy, and ``no-store`` (static files
that exist are the one cacheable thing).  With ``SESSION_COOKIE_SECURE`` (the
HTTPS configuration) the session cookie is ``__Host-session``: Secure, HttpOnly,
SameSite=Lax, Path=/, no Domain; HSTS is sent over HTTPS.
"""

from __future__ import annotations

import re

import pytest

from tests.support.seckit import PASSWORD, SECRET, Reply, populate, secure_headers
from webform import create_app

CONCRETE = {"survey_id": "quick", "screen_id": "only", "token": "x" * 43, "fmt": "csv", "filename": "nope.css"}


def _reply(response) -> Reply:
    return Reply(response.status_code, response.headers, response.get_data(as_text=True))


@pytest.fixture
def https_app(tmp_path):
    paths, _ = populate(f"sqlite:///{tmp_path}/h.sqlite3", tmp_path)
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/h.sqlite3",
            "QUESTIONNAIRES": paths,
            "SECRET_KEY": SECRET,
            "SESSION_COOKIE_SECURE": True,
            "MAX_CONTENT_LENGTH": 64 * 1024,
        }
    )

    def boom():
        raise RuntimeError("a bug with a secret inside: " + SECRET)

    app.add_url_rule("/boom", view_func=boom)
    yield app
    app.extensions["surveykit"].engine.dispose()


class _https:
    """A test client whose every request goes to https://localhost."""

    def __init__(self, app):
        self.client = app.test_client()

    def open(self, url, method="GET", **kw):
        return self.client.open(url, method=method, base_url="https://localhost", **kw)

    def get(self, url, **kw):
        return self.open(url, "GET", **kw)

    def post(self, url, **kw):
        return self.open(url, "POST", **kw)


def _login(client):
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert (
        client.post(
            "/admin/login",
            data={"csrf_token": token, "username": "alice", "password": PASSWORD},
            headers={"Referer": "https://localhost/admin/login"},
        ).status_code
        == 303
    )


def _urls(app):
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for name, value in CONCRETE.items():
            url = url.replace(f"<path:{name}>", value).replace(f"<{name}>", value)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


def test_every_route_as_respondent_and_admin(https_app, caplog):
    for admin in (False, True):
        client = _https(https_app)
        if admin:
            _login(client)
        seen = set()
        for method, url in _urls(https_app):
            response = client.open(url, method=method, headers={"Origin": "https://localhost"})
            reply = _reply(response)
            seen.add(reply.status)
            assert not secure_headers(reply), (method, url, reply.status, secure_headers(reply))
            assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
            if response.mimetype == "text/html":
                assert response.content_type == "text/html; charset=utf-8"
        assert seen >= {200, 303, 400, 404}, seen


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status"),
    [
        ("GET", "/nowhere", {}, 404),
        ("GET", "/static/nope.js", {}, 404),
        ("PUT", "/s/quick", {}, 405),
        ("POST", "/s/quick/p/only", {"data": {"q_note": "x" * 70_000}}, 413),
        ("POST", "/s/quick/p/only", {"data": "{}", "content_type": "application/json"}, 415),
        ("GET", "/boom", {}, 500),
    ],
)
def test_error_statuses_carry_the_headers(https_app, caplog, method, url, kwargs, status):
    response = _https(https_app).open(url, method=method, **kwargs)
    reply = _reply(response)
    assert reply.status == status
    assert not secure_headers(reply), secure_headers(reply)
    assert SECRET not in reply.text and "Traceback" not in reply.text and "RuntimeError" not in reply.text
    if status == 500:  # T15: the page names a reference, and the log line carries the same
        ref = re.search(r"\b([0-9a-f]{8})\b", reply.text).group(1)
        assert ref in caplog.text and SECRET not in caplog.text


def test_429_carries_the_headers(tmp_path):
    paths, _ = populate(f"sqlite:///{tmp_path}/r.sqlite3", tmp_path)
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/r.sqlite3",
            "QUESTIONNAIRES": paths,
            "SECRET_KEY": SECRET,
            "TOKEN_RATE_LIMIT": [1, 60],
        }
    )
    client = app.test_client()
    replies = [_reply(client.get(f"/s/quick?t={'Z' * 43}")) for _ in range(3)]
    app.extensions["surveykit"].engine.dispose()
    assert replies[-1].status == 429 and not secure_headers(replies[-1])


def test_cookies_under_the_https_configuration(https_app):
    for response in (_https(https_app).get("/s/quick"), _https(https_app).get("/admin/login")):
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-session=")
        for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert flag in cookie, flag
        assert "Domain=" not in cookie
    client = _https(https_app)
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    login = client.post(
        "/admin/login",
        data={"csrf_token": token, "username": "alice", "password": PASSWORD},
        headers={"Referer": "https://localhost/admin/login"},
    )
    assert login.status_code == 303
    cookie = login.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "HttpOnly" in cookie


def test_static_files_that_exist_are_the_only_cacheable_responses(https_app):
    client = _https(https_app)
    page = client.get("/s/quick").get_data(as_text=True)
    css = re.search(r'rel="stylesheet" href="([^"]+)"', page).group(1)
    with client.get(css) as found:
        assert found.status_code == 200 and "public" in found.headers["Cache-Control"]
        assert not secure_headers(_reply(found), cache=False)
    missing = client.get("/static/missing.css")
    assert missing.status_code == 404 and missing.headers["Cache-Control"] == "no-store"
