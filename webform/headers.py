"""The security and caching headers every response carries (pages, errors, downloads, static files)."""

from __future__ import annotations

from flask import Response, current_app, request

__all__ = ["CSP", "security_headers"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def security_headers(response: Response) -> Response:
    """Add the headers a view has not set itself: CSP, no sniffing or framing, no caching but of static files.

    A view may set its own CSP (the report does); the others are set only when missing.
    ``Strict-Transport-Security`` is sent on HTTPS requests only.
    """
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
        headers["Cache-Control"] = f"public, max-age={int(current_app.config['STATIC_MAX_AGE'])}"
    else:
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Pragma", "no-cache")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
