"""The respondent web form and the admin pages (Flask): the application factory.

Configuration keys and where they come from: :mod:`webform.settings`.  Each
cross-cutting rule has its own module: :mod:`webform.headers` (security and
caching headers), :mod:`webform.origin` (the origin check behind the CSRF
token), :mod:`webform.limits` (request-size limits), :mod:`webform.session_cookie`
(the signed session cookie), :mod:`webform.compression` (gzip for pages).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask_babel import Babel

from webform import compression, db, form_photos, headers, limits, origin
from webform.csrf import CSRFProtect
from webform.errors import register_error_handlers
from webform.formdata import Request
from webform.i18n import babel_locale
from webform.session_cookie import SessionInterface
from webform.settings import DEV_SECRET_KEY, configure, uses_dev_secret
from webform.static_urls import register_static_urls

__all__ = ["DEV_SECRET_KEY", "create_app", "uses_dev_secret"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The Flask application: respondent pages under ``/s/``, admin under ``/admin/``."""
    app = Flask(__name__, instance_relative_config=True)
    app.request_class = Request  # url-encoded bodies without escapes split directly (webform.formdata)
    configure(app, config)
    app.session_interface = SessionInterface()
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.before_request(_guard)  # before CSRFProtect's hook, which parses the form
    app.context_processor(form_photos.context)
    CSRFProtect(app)
    Babel(app, locale_selector=babel_locale, configure_jinja=False)
    db.init_app(app)

    from webform import admin, api, audits, cases, dashboard, evidence, fielding_links, survey

    app.register_blueprint(survey.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(evidence.bp)  # photo evidence of audits under /admin/audits
    app.register_blueprint(audits.bp)  # the audit planner under /admin/plans
    cases.init_app(app)  # the case board under /admin/cases
    dashboard.init_app(app)  # the management dashboard under /admin/dashboard
    fielding_links.init_app(app)  # /i/<code> short links and /optout/<token> (surveykit.fielding)
    api.init_app(app)  # the JSON API under /api/v1 (bearer tokens, problem details)
    register_error_handlers(app)
    register_static_urls(app)
    app.after_request(headers.security_headers)
    if app.config["COMPRESS_HTML"]:
        app.after_request(compression.compress_html)

    @app.get("/healthz")
    def healthz() -> tuple[str, int, dict[str, str]]:
        ok = db.ping()
        text, status = ("ok\n", 200) if ok else ("store unreachable\n", 503)
        return text, status, {"Content-Type": "text/plain; charset=utf-8"}

    return app


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _guard() -> Response | None:
    """The checks before a body is read, as one hook: origin, field count, an auditor's larger cap.

    A GET, HEAD or OPTIONS request changes nothing and carries no form, so it skips them all;
    a refused origin stops the request before its body is parsed (the field count reads it).
    """
    if request.method in _SAFE_METHODS:
        return None
    refused = origin.same_origin()
    if refused is not None:
        return refused
    limits.limit_form_parts()
    form_photos.allow_body()  # an auditor's audit form may carry photos (a larger cap)
    return None
