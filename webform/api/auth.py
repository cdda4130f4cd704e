"""Bearer tokens for the API: checked on every request, rate-limited like logins.

``Authorization: Bearer skt_...`` is the only credential; a cookie never authenticates here.
A failed check counts against the caller's address in the shared rate-limit table
(``LOGIN_RATE_LIMIT``, as a failed login does), and an address over the limit is refused with
429 before its token is even looked up, so tokens cannot be guessed faster than passwords.
The address's count is read at most once a second while it is under the limit
(:func:`surveykit.ratelimit.over_limit`).  Each token may make ``API_RATE_LIMIT`` requests per
window, counted in steps
(:func:`surveykit.ratelimit.hit_rate_limit_batched`); a token found good is trusted for a few
seconds without a query (:data:`surveykit.apitokens.CACHE_S`, the bound on a revocation made
elsewhere).
"""

from __future__ import annotations

from flask import current_app, g, request
from werkzeug.wrappers import Response

from surveykit.apitokens import ApiToken, authenticate
from surveykit.ratelimit import hit_rate_limit, hit_rate_limit_batched, over_limit
from webform import db
from webform.api.problems import problem

PUBLIC = {"api.openapi"}  # the API's description needs no token


def before_request() -> Response | None:
    request.max_content_length = current_app.config["API_MAX_CONTENT_LENGTH"]
    if request.endpoint in PUBLIC:
        return None
    engine = db.engine()
    limit, window = current_app.config["LOGIN_RATE_LIMIT"]
    address = f"api:ip:{request.remote_addr or 'unknown'}"
    if over_limit(engine, address, limit=int(limit), window_s=int(window)):
        return _limited(int(window), "too many failed token checks from this address")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return _unauthorized("send Authorization: Bearer <token> (surveykit admin create-token)", "invalid_request")
    check = authenticate(engine, presented.strip())
    if check.token is None:
        hit_rate_limit(engine, address, limit=int(limit), window_s=int(window))
        detail = {"revoked": "this token was revoked", "expired": "this token has expired"}.get(
            check.status, "unknown token"
        )
        return _unauthorized(detail, "invalid_token")
    hits, per = current_app.config["API_RATE_LIMIT"]
    if hit_rate_limit_batched(engine, f"api:token:{check.token.id}", limit=int(hits), window_s=int(per)):
        return _limited(int(per), f"this token may make {hits} requests in {per} seconds")
    g.api_token = check.token
    return None


def current_token() -> ApiToken:
    token: ApiToken = g.api_token
    return token


def _unauthorized(detail: str, error: str) -> Response:
    response = problem(401, detail)
    response.headers["WWW-Authenticate"] = f'Bearer realm="surveykit", error="{error}"'
    return response


def _limited(retry_after: int, detail: str) -> Response:
    response = problem(429, detail)
    response.headers["Retry-After"] = str(retry_after)
    return response
