"""RFC 9457 problem details: every error under ``/api/`` is JSON, never an HTML page or a traceback.

A problem has ``type`` (``about:blank`` for a plain HTTP error, whose ``title`` is then the
status phrase), ``title``, ``status``, ``detail`` and, where it helps, the member that is
wrong (``field``, a dotted path into the posted JSON) or more (``hashes`` of a conflicting
event, ``reference`` of a server error, which is logged with the exception).
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from flask import Response, abort, request
from werkzeug.http import HTTP_STATUS_CODES

MEDIA_TYPE = "application/problem+json"
PREFIX = "/api/"


def wants_problem() -> bool:
    """True inside the API: errors there are problem details."""
    return request.path.startswith(PREFIX)


def problem(status: int, detail: str | None = None, *, title: str | None = None, **extra: Any) -> Response:
    """A problem details response (``extra`` members are added as they are, e.g. ``field``)."""
    body: dict[str, Any] = {"type": "about:blank", "title": title or HTTP_STATUS_CODES.get(status, "Error")}
    body["status"] = status
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def fail(status: int, detail: str | None = None, **extra: Any) -> NoReturn:
    """Stop the request with a problem."""
    abort(problem(status, detail, **extra))


def for_error_page(status: int, ref: str | None = None) -> Response:
    """The API's answer where the site would show an error page (unknown path, 405, 413, 500...)."""
    detail = {
        404: "no such resource in this API",
        405: f"{request.method} is not allowed here",
        413: "the request body is too large",
        500: "the server failed; quote the reference when reporting it",
        503: "the store is unreachable; retry later",
    }.get(status)
    return problem(status, detail, reference=ref)
