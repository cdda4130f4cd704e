"""The JSON API under ``/api/v1/``: invitations from the dealer's systems, the responses feed, erasure.

Authentication is by bearer token only (:mod:`webform.api.auth`); the session cookie is never
read here, so CSRF does not apply and the blueprint is exempt from it and from the origin check
(:mod:`webform.origin`).  Every error is RFC 9457 problem details (:mod:`webform.api.problems`).
The OpenAPI 3.1 document at ``/api/v1/openapi.json`` is built from the routes and the JSON
Schemas of :mod:`webform.api.schemas` (:mod:`webform.api.openapi`).

Settings (``create_app`` config, defaults below): ``API_MAX_CONTENT_LENGTH`` (a batch of 1,000
invitations fits), ``API_RATE_LIMIT`` ``[requests, seconds]`` per token, and failed token checks
per address counted against ``LOGIN_RATE_LIMIT``, as logins are.
"""

from __future__ import annotations

from flask import Flask

__all__ = ["init_app"]

DEFAULTS = {"API_MAX_CONTENT_LENGTH": 4 * 1024 * 1024, "API_RATE_LIMIT": [600, 60]}


def init_app(app: Flask) -> None:
    """Register the API on the app: routes, token check, CSRF exemption."""
    from webform.api.views import bp  # the blueprint lives with its routes: no import back into this package

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
