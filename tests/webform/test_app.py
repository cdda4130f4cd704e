"""The app factory and what it wires: configuration (settings.py), security headers (headers.py), size limits
(limits.py), the origin check and CSRF, error pages (errors.py), health (webform/__init__.py)."""

from __future__ import annotations

import pytest

from tests.support.formclient import ONE_PAGE, P1, Respondent, count, no_traceback, write
from webform import create_app, uses_dev_secret

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _secure(response, *, no_store=True):
    for name, value in HEADERS.items():
        assert value in response.headers.get(name, ""), name
    csp = response.headers["Content-Security-Policy"]
    for part in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"):
        assert part in csp
    assert "unsafe-inline" not in csp
    if no_store:
        assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype != "text/html" or response.content_type == "text/html; charset=utf-8"


def test_config_order_defaults_env_then_test_config(tmp_path, monkeypatch):
    path = write(tmp_path, "q.yaml", ONE_PAGE)
    monkeypatch.setenv("SURVEYKIT_WAVE", '"env-wave"')
    monkeypatch.setenv("SURVEYKIT_QUESTIONNAIRES", f'["{path}"]')
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/e.sqlite3"})
    assert app.config["WAVE"] == "env-wave" and "quick" in app.extensions["surveykit"].current
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024
    assert uses_dev_secret(app)
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/e.sqlite3", "WAVE": "w2", "SECRET_KEY": "x" * 32}
    )
    assert app.config["WAVE"] == "w2" and not uses_dev_secret(app)
    app.extensions["surveykit"].engine.dispose()


def test_default_database_is_a_file_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SURVEYKIT_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    url = app.config["DATABASE_URL"]
    app.extensions["surveykit"].engine.dispose()
    assert url.startswith("sqlite:///") and url.endswith("instance/surveykit.sqlite3")


def test_session_cookie_flags(make_app):
    app = make_app(ONE_PAGE, SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/s/quick", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    plain = make_app(ONE_PAGE).test_client().get("/s/quick").headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/s/quick", 200),
        ("get", "/nowhere", 404),
        ("get", "/s/nope", 404),
        ("put", "/s/quick", 405),
        ("delete", "/s/quick/p/only", 405),
        ("get", "/admin/", 303),
        ("post", "/s/quick/p/only", 400),
        ("get", "/healthz", 200),
    ],
)
def test_security_headers_on_every_response(client, method, url, status):
    response = getattr(client, method)(url)
    assert response.status_code == status
    _secure(response)
    assert no_traceback(response.get_data(as_text=True))


def test_static_files_are_cached_and_secured(client):
    page = client.get("/s/quick").get_data(as_text=True)
    css = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    with client.get(css) as response:
        assert response.status_code == 200 and "max-age=" in response.headers["Cache-Control"]
        _secure(response, no_store=False)


def test_no_inline_script_or_style(respondent):
    for url in ("/s/alltypes", "/s/quick", "/admin/login"):
        text = respondent.get(url).text
        assert "<script>" not in text and " style=" not in text and "<style" not in text and "onclick" not in text


def test_body_over_the_limit_is_413_and_stores_nothing(app, respondent):
    page = respondent.get("/s/quick")
    response = respondent.client.post(page.action, data={**page.hidden, "q_sat": "3", "q_note": "x" * 70_000})
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "Too much data" in text and no_traceback(text)
    _secure(response)
    assert count(app, "quick") == 0


def test_too_many_form_parts_is_413(app, respondent):
    page = respondent.get("/s/quick")
    body = "&".join([f"csrf_token={page.hidden['csrf_token']}"] + [f"x{i}=1" for i in range(600)])
    response = respondent.client.post(page.action, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    _secure(response)


def test_multipart_upload_is_refused_or_limited(app, respondent):
    import io

    page = respondent.get("/s/quick")
    response = respondent.client.post(
        page.action,
        data={**page.hidden, "q_sat": "3", "action": "next", "q_note": (io.BytesIO(b"x" * 10), "f.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (400, 422)
    assert count(app, "quick") == 0


@pytest.mark.parametrize("token", [None, "", "not-a-token", "ImFiYyI.aaaa.bbbb"])
def test_bad_csrf_token_is_400_with_a_fresh_form_and_nothing_stored(app, respondent, token):
    page = respondent.get("/s/quick")
    data = {k: v for k, v in page.hidden.items() if k != "csrf_token"}
    if token is not None:
        data["csrf_token"] = token
    response = respondent.client.post(
        page.action, data={**data, "q_sat": "4", "q_note": "keep me", "action": "next"}, headers=respondent.headers
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "This page had expired" in text and 'role="alert"' in text
    assert 'value="4" checked' in text and "keep me" in text  # what was typed comes back
    assert 'name="csrf_token" value="' in text
    _secure(response)
    assert count(app, "quick") == 0
    fresh = Respondent(respondent.client).get("/s/quick")
    assert respondent.post(fresh, {"q_sat": "4"}).status == 200
    assert count(app, "quick") == 1


def test_csrf_token_from_another_session_is_refused(app, respondent):
    other = Respondent(app.test_client()).get("/s/quick")
    page = respondent.get("/s/quick")
    got = respondent.post(page, {"q_sat": "4"}, csrf=other.hidden["csrf_token"])
    assert got.status == 400 and count(app, "quick") == 0


def test_expired_csrf_token_is_400(make_app, monkeypatch):
    app = make_app(ONE_PAGE, WTF_CSRF_TIME_LIMIT=1)
    respondent = Respondent(app.test_client())
    page = respondent.get("/s/quick")
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 10)
    got = respondent.post(page, {"q_sat": "4"})
    assert got.status == 400 and "expired" in got.text


def test_extra_fields_are_400_and_keep_answers(app, respondent):
    page = respondent.get("/s/alltypes")
    got = respondent.post(page, {**P1, "q_admin": "1", "is_admin": "true"})
    assert got.status == 400 and "did not expect" in got.text
    assert got.checked["q_sat"] == ["4"]
    assert respondent.post(got, P1).screen == "p2"


def test_unknown_action_is_400(respondent):
    page = respondent.get("/s/alltypes")
    assert respondent.post(page, P1, action="delete").status == 400


def test_healthz_reports_an_unreachable_store(app, client, tmp_path, monkeypatch):
    from surveykit import storage

    assert client.get("/healthz").status_code == 200
    broken = storage.make_engine(f"sqlite:///{tmp_path}/missing-dir/x.sqlite3")
    monkeypatch.setattr(app.extensions["surveykit"], "engine", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    _secure(response)


def test_store_failure_during_a_request_is_503_not_a_traceback(app, tmp_path, monkeypatch):
    from surveykit import storage

    respondent = Respondent(app.test_client())
    page = respondent.get("/s/quick")
    monkeypatch.setattr(
        app.extensions["surveykit"], "engine", storage.make_engine(f"sqlite:///{tmp_path}/missing-dir/x.sqlite3")
    )
    got = respondent.post(page, {"q_sat": "4"})
    assert got.status == 503 and no_traceback(got.text) and "Reference:" in got.text


def test_500_page_has_a_reference_and_no_traceback(make_app):
    app = make_app(ONE_PAGE, TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom", headers={"Accept-Language": "zh-CN"})
    text = response.get_data(as_text=True)
    assert response.status_code == 500 and "编号：" in text and "secret detail" not in text and no_traceback(text)
    _secure(response)


def test_questionnaire_text_is_escaped(make_app):
    hostile = ONE_PAGE.replace("I am satisfied.", '"<script>alert(1)</script><img src=x onerror=alert(2)>"')
    app = make_app(hostile)
    text = Respondent(app.test_client(), "en").get("/s/quick").text
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_html_is_gzipped_for_clients_that_accept_it(make_app):
    import gzip

    app = make_app()
    client = app.test_client()
    plain = client.get("/s/alltypes")
    zipped = client.get("/s/alltypes", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    body = gzip.decompress(zipped.get_data()).decode()
    assert body.startswith("<!doctype html>") and len(zipped.get_data()) < len(plain.get_data()) / 2
    _secure(zipped)
    with client.get(
        plain.get_data(as_text=True).split('href="', 2)[1].split('"')[0], headers={"Accept-Encoding": "gzip"}
    ) as css:
        assert "Content-Encoding" not in css.headers
