"""The security and caching headers every response carries (pages, errors, downloads, static files)."""

from __future__ import annotations

from flask import Response, current_app, request

__all__ = ["CSP", "security_headers"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


# set when missing: (lower-case name, name, value)
_DEFAULTS = tuple(
    (name.lower(), name, value)
    for name, value in (
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        # same-origin, not no-referrer: Flask-WTF's CSRF check needs the Referer on HTTPS, and tokens in
        # our URLs must never reach another site
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    )
)


def security_headers(response: Response) -> Response:
    """Add the headers a view has not set itself: CSP, no sniffing or framing, no caching but of static files.

    A view may set its own CSP (the report does); the others are set only when missing.
    ``Strict-Transport-Security`` is sent on HTTPS requests only.  The names present are read
    once (a ``setdefault`` per header scanned them all each time, on every response).
    """
    headers = response.headers
    req = request._get_current_object()  # type: ignore[attr-defined]  # the proxy resolved once, not per use
    present = {name.lower() for name in headers.keys()}
    added = [(name, value) for key, name, value in _DEFAULTS if key not in present]
    if req.endpoint == "static" and response.status_code in (200, 304):
        headers["Cache-Control"] = f"public, max-age={int(current_app.config['STATIC_MAX_AGE'])}"
    else:
        headers["Cache-Control"] = "no-store"
        if "pragma" not in present:
            added.append(("Pragma", "no-cache"))
    if req.is_secure and "strict-transport-security" not in present:
        added.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    for name, value in added:  # add() each: extend() checks each pair's type first, a third more time
        headers.add(name, value)
    return response
