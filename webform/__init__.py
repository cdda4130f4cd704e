"""The respondent web form and the admin pages (Flask).

``create_app(config)`` takes the defaults below, then the instance folder's
``config.py``, then ``SURVEYKIT_*`` environment variables (values parsed as
JSON: ``SURVEYKIT_QUESTIONNAIRES='["questionnaires/servqual.yaml"]'``), then
``config`` (tests).

Configuration keys: ``DATABASE_URL`` (default: a SQLite file in the instance
folder), ``QUESTIONNAIRES`` (YAML paths; each is loaded and registered as a
survey version), ``SECRET_KEY`` (a development default is used, and
:func:`uses_dev_secret` says so, when none is given; the ``serve`` command
refuses it on a non-loopback address), ``WAVE``, ``SESSION_COOKIE_SECURE``
(the HTTPS setting: the cookie becomes ``__Host-session``, Secure), ``TRUSTED_HOSTS``
(Flask's: the host names the site answers to; any other ``Host`` header is a 400, so
no link is ever built from a spoofed one), ``TRUSTED_PROXIES`` (how many reverse
proxies set ``X-Forwarded-*``), the size
limits ``MAX_CONTENT_LENGTH`` / ``MAX_FORM_PARTS`` / ``MAX_FORM_MEMORY_SIZE``
and the rate limits ``LOGIN_RATE_LIMIT`` / ``TOKEN_RATE_LIMIT`` (``[hits,
seconds]``).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge

from webform import db
from webform.errors import register_error_handlers
from webform.i18n import babel_locale

__all__ = ["create_app", "uses_dev_secret", "DEV_SECRET_KEY"]

# loopback and tests only: `surveykit serve` refuses it on any other address
DEV_SECRET_KEY = "surveykit-development-only-secret-key"  # nosec B105

csrf = CSRFProtect()

_DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,  # nosec B105 - no secret: the development key is used, and flagged
    "DATABASE_URL": None,
    "QUESTIONNAIRES": [],
    "WAVE": None,
    # A survey page with long answers stays well under 64 KiB; anything larger is refused with 413.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "MAX_FORM_MEMORY_SIZE": 64 * 1024,
    "MAX_FORM_PARTS": 500,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    # A respondent may take a while on one page; an expired token re-renders the page with the answers.
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "ADMIN_IDLE_MINUTES": 30,
    "ADMIN_MAX_HOURS": 12,
    "LOGIN_RATE_LIMIT": [10, 300],
    # unknown invitation or resume tokens per client address (a typo is rare: links are clicked)
    "TOKEN_RATE_LIMIT": [15, 300],
    "TRUSTED_PROXIES": 0,
    "STATIC_MAX_AGE": 7 * 24 * 3600,
    # gzip HTML for browsers that accept it: a 33-question page goes from ~29 KB to ~4 KB on the wire
    "COMPRESS_HTML": True,
}

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The Flask application: respondent pages under ``/s/``, admin under ``/admin/``."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(_DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("SURVEYKIT")
    if config:
        app.config.update(config)

    if not app.config.get("DATABASE_URL"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "surveykit.sqlite3")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = DEV_SECRET_KEY
        if not app.testing:
            app.logger.warning("no SECRET_KEY configured: using the development key (loopback use only)")
    if app.config["SESSION_COOKIE_SECURE"]:
        # __Host- cookies are Secure, host-only and path=/: no subdomain can set or read them
        if app.config.get("SESSION_COOKIE_NAME") == "session":
            app.config["SESSION_COOKIE_NAME"] = "__Host-session"
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]

    app.session_interface = _SessionInterface()
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.before_request(_same_origin)
    app.before_request(_limit_form_parts)      # before CSRFProtect's hook, which parses the form
    csrf.init_app(app)
    Babel(app, locale_selector=babel_locale, configure_jinja=False)
    db.init_app(app)

    from webform import admin, cases, survey

    app.register_blueprint(survey.bp)
    app.register_blueprint(admin.bp)
    cases.init_app(app)                        # the case board under /admin/cases
    register_error_handlers(app)
    _static_versions(app)
    app.after_request(_security_headers)
    if app.config["COMPRESS_HTML"]:
        app.after_request(_compress)

    @app.get("/healthz")
    def healthz() -> tuple[str, int, dict[str, str]]:
        ok = db.ping()
        return ("ok\n" if ok else "store unreachable\n"), (200 if ok else 503), {"Content-Type": "text/plain; charset=utf-8"}

    return app


class _PlainJSON:
    """The session's serializer: plain compact JSON.

    The session holds only strings, numbers, lists and dicts (draft ids, the CSRF secret, the
    language, the admin login), for which Flask's tagged JSON writes the same text, only slower.
    """

    @staticmethod
    def dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def loads(text: str | bytes) -> Any:
        return json.loads(text)


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session with plain JSON and a signer built once, not on every request."""

    serializer = _PlainJSON()  # type: ignore[assignment]

    def __init__(self) -> None:
        self._signer: tuple[Any, Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._signer is None or self._signer[0] != key:
            self._signer = (key, super().get_signing_serializer(app))
        return self._signer[1]


def uses_dev_secret(app: Flask) -> bool:
    """True when the app runs with the built-in development ``SECRET_KEY``."""
    return app.config.get("SECRET_KEY") == DEV_SECRET_KEY


def _static_versions(app: Flask) -> None:
    """``static_url(name)`` in templates: the file's URL with a content hash, cached for long."""
    versions = {}
    folder = Path(app.static_folder or "")
    for path in folder.glob("*"):
        if path.is_file():
            versions[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]

    def static_url(name: str) -> str:
        return f"{app.static_url_path}/{name}?v={versions.get(name, '0')}"

    app.jinja_env.globals["static_url"] = static_url


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _same_origin(*_args: Any) -> Response | None:
    """400 for a state-changing request that a browser says comes from another site; 415 for a non-form body.

    The second layer behind the CSRF token (ASVS 3.5.1).  ``Sec-Fetch-Site`` (set by the browser,
    out of a page's reach) decides when present: ``cross-site`` is refused.  Without it, an
    ``Origin`` whose host is not this request's host is refused, and so is ``null``; the scheme is
    not compared, since a proxy that terminates TLS makes the request look like plain HTTP.
    Clients that send neither header (curl, very old browsers) rely on the token alone.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    from webform.errors import error_response

    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if fetch_site is not None:
        cross = fetch_site == "cross-site"
    else:
        cross = origin is not None and origin.partition("://")[2] != request.host
    if cross:
        return error_response(400)
    # every state change is an HTML form: a JSON body would reach Flask-WTF's JSON path instead
    if request.content_length and request.mimetype not in _FORM_TYPES:
        return error_response(415)
    return None


def _limit_form_parts(*_args: Any) -> None:
    """413 for a url-encoded body with more fields than MAX_FORM_PARTS.

    Werkzeug applies ``MAX_FORM_PARTS`` to multipart bodies only; a url-encoded body is
    bounded by ``MAX_CONTENT_LENGTH`` alone, so the fields are counted here.
    """
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype == "application/x-www-form-urlencoded":
        from flask import current_app

        limit = current_app.config.get("MAX_FORM_PARTS")
        # the body is already capped by MAX_CONTENT_LENGTH, so parsing it first costs little
        if limit and sum(len(values) for values in request.form.listvalues()) > int(limit):
            raise RequestEntityTooLarge()


def _compress(response: Response) -> Response:
    """gzip an HTML response of more than a packet when the client accepts gzip.

    Only pages, never downloads or static files (those are cached).  The CSRF token on the
    page changes on every render (it is signed with a timestamp), which keeps BREACH-style
    guessing from converging.
    """
    if (response.mimetype != "text/html" or response.direct_passthrough or "Content-Encoding" in response.headers
            or "gzip" not in request.headers.get("Accept-Encoding", "")):
        return response
    data = response.get_data()
    if len(data) < 1400:
        return response
    response.set_data(gzip.compress(data, compresslevel=5, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # same-origin, not no-referrer: Flask-WTF's CSRF check needs the Referer on HTTPS, and tokens in
    # our URLs must never reach another site
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    if request.endpoint == "static" and response.status_code in (200, 304):
        from flask import current_app

        headers["Cache-Control"] = f"public, max-age={int(current_app.config['STATIC_MAX_AGE'])}"
    else:
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Pragma", "no-cache")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
