"""Error pages: every 4xx/5xx is a short page in the respondent's language, never a traceback.

The security headers are added by the app's ``after_request`` hook, which also
runs for these responses.  A 500 page shows a short reference that is logged
with the exception (and nothing the respondent typed).
"""

from __future__ import annotations

import secrets
import traceback
from typing import NoReturn

import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from webform.api import problems
from webform.i18n import BCP47, current_language, translate

HANDLED = (400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429, 431, 500, 501, 503)


def error_response(
    status: int, title: str | None = None, text: str | None = None, *, ref: str | None = None
) -> Response:
    """An error page: ``title``/``text`` are catalogue keys (default: those of the status).

    Under ``/api/`` the answer is RFC 9457 problem details instead (:mod:`webform.api.problems`).
    """
    if problems.wants_problem():
        return problems.for_error_page(status, ref)
    lang = current_language()
    known = (
        status if status in (400, 403, 404, 405, 409, 410, 413, 422, 429, 500, 503) else (500 if status >= 500 else 400)
    )
    body = render_template(
        "error.html",
        lang=lang,
        lang_tag=BCP47.get(lang, lang),
        status=status,
        title=translate(title or f"err_{known}", lang),
        text=translate(text or f"err_{known}_text", lang),
        ref=translate("err_ref", lang, ref=ref) if ref else "",
    )
    return Response(body, status=status, mimetype="text/html")


def fail(status: int, title: str | None = None, text: str | None = None) -> NoReturn:
    """Stop the request with an error page."""
    abort(error_response(status, title, text))


def register_error_handlers(app: Flask) -> None:
    def http_error(exc: HTTPException) -> Response:
        if exc.response is not None:  # an abort() that already carries its page
            return exc.response  # type: ignore[return-value]
        code = exc.code or 500
        return error_response(code)

    def server_error(exc: Exception) -> Response:
        ref = secrets.token_hex(4)
        original = getattr(exc, "original_exception", None) or exc
        # one record with the reference and where it failed, without the exception's message: a message
        # may quote what a respondent typed (Flask's own record, message included, is switched off below)
        frames = "".join(traceback.format_tb(original.__traceback__)).rstrip()
        current_app.logger.error("request failed, reference %s: %s\n%s", ref, type(original).__name__, frames)
        return error_response(500, ref=ref)

    def store_down(exc: sa.exc.OperationalError) -> Response:
        ref = secrets.token_hex(4)
        current_app.logger.error("store unreachable, reference %s: %s", ref, type(exc.orig).__name__)
        return error_response(503, ref=ref)

    app.log_exception = lambda exc_info: None  # type: ignore[method-assign]   # server_error logs instead
    for code in HANDLED:
        if code != 500:
            app.register_error_handler(code, http_error)
    app.register_error_handler(InternalServerError, server_error)
    app.register_error_handler(sa.exc.OperationalError, store_down)
