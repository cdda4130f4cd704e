"""The web form's configuration: defaults, where overrides come from, the development key.

``configure(app, config)`` takes the defaults below, then the instance folder's
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

import os
from typing import Any

from flask import Flask

__all__ = ["DEFAULTS", "DEV_SECRET_KEY", "configure", "uses_dev_secret"]

# loopback and tests only: `surveykit serve` refuses it on any other address
DEV_SECRET_KEY = "surveykit-development-only-secret-key"  # noqa: S105  # nosec B105

DEFAULTS: dict[str, Any] = {
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


def configure(app: Flask, config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` in the order above, then derive what the settings imply.

    A missing ``DATABASE_URL`` becomes a SQLite file in the instance folder; a missing
    ``SECRET_KEY`` the development key (logged outside tests); the HTTPS setting renames
    the session cookie to ``__Host-session``; ``TRUSTED_PROXIES`` wraps the app in
    Werkzeug's ``ProxyFix`` for that many proxies.
    """
    app.config.from_mapping(DEFAULTS)
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


def uses_dev_secret(app: Flask) -> bool:
    """True when the app runs with the built-in development ``SECRET_KEY``."""
    return app.config.get("SECRET_KEY") == DEV_SECRET_KEY
