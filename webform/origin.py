"""The origin check: the second layer behind the CSRF token for every state-changing request."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from webform.errors import error_response

__all__ = ["same_origin"]

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def same_origin(*_args: Any) -> Response | None:
    """400 for a request that a browser says comes from another site; 415 for a non-form body.

    Called for state-changing requests only (the app's request guard skips GET, HEAD and OPTIONS).

    The second layer behind the CSRF token (ASVS 3.5.1).  ``Sec-Fetch-Site`` (set by the browser,
    out of a page's reach) decides when present: ``cross-site`` is refused.  Without it, an
    ``Origin`` whose host is not this request's host is refused, and so is ``null``; the scheme is
    not compared, since a proxy that terminates TLS makes the request look like plain HTTP.
    Clients that send neither header (curl, very old browsers) rely on the token alone.
    """
    req = request._get_current_object()  # type: ignore[attr-defined]  # the proxy resolved once
    if req.path.startswith("/api/"):
        return None  # bearer tokens only, cookies never count there (webform.api): no CSRF to guard against
    headers = req.headers
    fetch_site = headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        cross = fetch_site == "cross-site"
    else:
        origin = headers.get("Origin")
        cross = origin is not None and origin.partition("://")[2] != req.host
    if cross:
        return error_response(400)
    # every state change is an HTML form: a JSON body would reach Flask-WTF's JSON path instead
    if req.content_length and req.mimetype not in _FORM_TYPES:
        return error_response(415)
    return None
