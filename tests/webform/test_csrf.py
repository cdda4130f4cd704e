"""webform.csrf: Flask-WTF's CSRF check with a kept serializer, the same verdict on every token."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import flask
import pytest
from flask_wtf import csrf as flask_wtf_csrf
from wtforms import ValidationError

from tests.support.formclient import ONE_PAGE, Respondent, count
from webform import csrf

SECRET = "csrf-test-secret-key-0123456789abcdef"


@pytest.fixture
def app() -> flask.Flask:
    app = flask.Flask("csrf-test")
    app.config.update(SECRET_KEY=SECRET, WTF_CSRF_TIME_LIMIT=60)
    return app


@pytest.fixture
def ctx(app: flask.Flask) -> Iterator[None]:
    with app.test_request_context("/", method="POST"):
        yield


def _verdict(check: Callable[[Any], None], data: Any) -> str:
    try:
        check(data)
    except ValidationError as e:
        return str(e.args[0])
    return "valid"


def _token(signed_at: float | None = None) -> str:
    """A token as Flask-WTF makes it for the session in the current request (at ``signed_at``)."""
    flask.g.pop("csrf_token", None)
    if signed_at is None:
        return flask_wtf_csrf.generate_csrf()
    real = time.time
    time.time = lambda: signed_at  # itsdangerous stamps the token with time.time()
    try:
        return flask_wtf_csrf.generate_csrf()
    finally:
        time.time = real


@pytest.mark.usefixtures("ctx")
def test_a_flask_wtf_token_is_valid() -> None:
    token = _token()
    assert _verdict(csrf.validate_csrf, token) == "valid"
    assert _verdict(flask_wtf_csrf.validate_csrf, token) == "valid"


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("missing", "The CSRF token is missing."),
        ("no session secret", "The CSRF session token is missing."),
        ("tampered", "The CSRF token is invalid."),
        ("not a token", "The CSRF token is invalid."),
        ("another key", "The CSRF token is invalid."),
        ("expired", "The CSRF token has expired."),
        ("another session", "The CSRF tokens do not match."),
    ],
)
def test_a_bad_token_is_refused_with_flask_wtfs_reason(case: str, reason: str) -> None:
    token = _token()
    if case == "missing":
        token = ""
    elif case == "no session secret":
        flask.session.pop("csrf_token")
    elif case == "tampered":
        token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    elif case == "not a token":
        token = "x" * 40
    elif case == "another key":
        token = flask_wtf_csrf.URLSafeTimedSerializer("another-key-0123456789abcdef", salt=csrf.SALT).dumps(
            flask.session["csrf_token"]
        )
    elif case == "expired":
        token = _token(signed_at=time.time() - 61)
    elif case == "another session":
        flask.session["csrf_token"] = "0" * 40  # the session's secret changed: the token is another session's
    assert _verdict(flask_wtf_csrf.validate_csrf, token) == reason
    assert _verdict(csrf.validate_csrf, token) == reason


def test_the_csrf_secret_key_setting_signs_the_tokens(app: flask.Flask) -> None:
    app.config["WTF_CSRF_SECRET_KEY"] = "a-separate-csrf-key-0123456789abcdef"
    with app.test_request_context("/", method="POST"):
        token = _token()
        app.config["WTF_CSRF_SECRET_KEY"] = "yet-another-csrf-key-0123456789abcdef"
        assert _verdict(csrf.validate_csrf, token) == _verdict(flask_wtf_csrf.validate_csrf, token)
        assert _verdict(csrf.validate_csrf, token) == "The CSRF token is invalid."


def test_a_submit_builds_no_serializer_for_its_token(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The POST validates through the kept serializer: Flask-WTF's per-call one is never built."""
    app = make_app(ONE_PAGE)
    respondent = Respondent(app.test_client())
    page = respondent.get("/s/quick")  # the page's token is Flask-WTF's own

    def built(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a serializer built per request")

    monkeypatch.setattr(flask_wtf_csrf, "URLSafeTimedSerializer", built)
    got = respondent.post(page, {"q_sat": "4"}, follow=False)
    assert got.status == 303 and count(app, "quick") == 1


def test_an_exemption_made_after_a_post_applies_to_the_next(app: flask.Flask) -> None:
    """The exempt endpoints are looked up once, and again after each ``exempt`` call."""
    protect = csrf.CSRFProtect(app)

    @app.post("/change")
    def change() -> str:
        return "changed"

    client = app.test_client()
    assert client.post("/change").status_code == 400  # no token
    protect.exempt(change)
    assert client.post("/change").get_data(as_text=True) == "changed"


def test_the_extension_keeps_no_app_alive() -> None:
    """An app the extension served is freed once dropped (its exemption lookups are kept weakly)."""
    protect = csrf.CSRFProtect()
    app = flask.Flask("csrf-dropped")
    app.config.update(SECRET_KEY=SECRET)
    protect.init_app(app)

    @app.post("/change")
    def change() -> str:
        return "changed"

    assert app.test_client().post("/change").status_code == 400  # looked up: the app is in the lookups
    dropped = weakref.ref(app)
    del app, change
    gc.collect()
    assert dropped() is None
