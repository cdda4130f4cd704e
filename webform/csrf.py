"""The CSRF check of every form POST: Flask-WTF's, with the token's serializer kept per secret key.

Flask-WTF's ``validate_csrf`` builds an ``URLSafeTimedSerializer`` on every call, and the
serializer builds its signer and derives the signing key again on every ``loads``: about 70 us
of each POST.  :func:`validate_csrf` is the same check through a
:class:`~webform.session_cookie.SignedSerializer` kept per key (same salt, key derivation and
digest, so the same tokens pass): the same configuration keys, session field, time limit,
error messages and log lines.  :class:`CSRFProtect` is Flask-WTF's extension with its
``protect`` step calling it; a refusal is Flask-WTF's ``CSRFError``, so the error handlers and
the 400 page are unchanged.  Tokens are still made by Flask-WTF's ``generate_csrf``.
"""

from __future__ import annotations

import functools
import hmac
import logging
import weakref
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_wtf import csrf as flask_wtf_csrf
from itsdangerous import BadData, SignatureExpired
from wtforms import ValidationError

from webform.session_cookie import SignedSerializer

__all__ = ["SALT", "CSRFProtect", "token_serializer", "validate_csrf"]

SALT = "wtf-csrf-token"  # Flask-WTF's salt: its tokens and ours are one format
_log = logging.getLogger(flask_wtf_csrf.__name__)  # refusals logged where Flask-WTF logs them


@functools.lru_cache(maxsize=8)  # one per secret key: building one derives its signing key
def token_serializer(secret_key: str | bytes) -> SignedSerializer:
    """The serializer of CSRF tokens signed with ``secret_key`` (Flask-WTF's salt and defaults)."""
    return SignedSerializer(secret_key, salt=SALT)


def validate_csrf(data: str | None) -> None:
    """Flask-WTF's ``validate_csrf(data)``: raise ``ValidationError`` with its reason unless ``data`` is valid.

    The secret is ``WTF_CSRF_SECRET_KEY`` or the app's key, the session field
    ``WTF_CSRF_FIELD_NAME``, the time limit ``WTF_CSRF_TIME_LIMIT`` (3600 s when unset), as there.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    secret_key = config.get("WTF_CSRF_SECRET_KEY", app.secret_key)
    if secret_key is None:
        raise RuntimeError("A secret key is required to use CSRF.")
    field_name = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field_name is None:
        raise RuntimeError("A field name is required to use CSRF.")
    time_limit = config.get("WTF_CSRF_TIME_LIMIT", 3600)
    if not data:
        raise ValidationError("The CSRF token is missing.")
    if field_name not in session:
        raise ValidationError("The CSRF session token is missing.")
    try:
        token = token_serializer(secret_key).loads(data, max_age=time_limit)
    except SignatureExpired as e:
        raise ValidationError("The CSRF token has expired.") from e
    except BadData as e:
        raise ValidationError("The CSRF token is invalid.") from e
    if not hmac.compare_digest(session[field_name], token):
        raise ValidationError("The CSRF tokens do not match.")


class CSRFProtect(flask_wtf_csrf.CSRFProtect):
    """Flask-WTF's extension (same hook, exemptions, token lookup and referrer rule) validating with :func:`validate_csrf`.

    Whether an endpoint is exempt is looked up once per app and endpoint (Flask-WTF looked up the
    blueprint and the view and formatted the view's name on every POST); :meth:`exempt` starts
    the lookups afresh.  The lookups are kept per app weakly: an app that is dropped (the tests
    build hundreds) is not kept alive by the extension.
    """

    def __init__(self, app: Flask | None = None) -> None:
        self._exempt_endpoints: weakref.WeakKeyDictionary[Flask, dict[str, bool]] = weakref.WeakKeyDictionary()
        super().__init__(app)

    def exempt(self, view: Any) -> Any:
        """Flask-WTF's ``exempt``; the endpoints already looked up are looked up again."""
        self._exempt_endpoints.clear()
        return super().exempt(view)

    def _is_exempt(self) -> bool:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        found = self._exempt_endpoints.get(app)
        if found is None:
            found = self._exempt_endpoints[app] = {}
        endpoint = request.endpoint or ""
        exempt = found.get(endpoint)
        if exempt is None:
            exempt = found[endpoint] = bool(super()._is_exempt())
        return exempt

    def protect(self, apply_exemptions: bool = False) -> None:
        """Flask-WTF's ``protect``, step for step, with the kept serializer."""
        req = request._get_current_object()  # type: ignore[attr-defined]
        if apply_exemptions and (not req.endpoint or self._is_exempt()):
            return
        config = current_app.config
        if req.method not in config["WTF_CSRF_METHODS"]:
            return
        try:
            validate_csrf(self._get_csrf_token())
        except ValidationError as e:
            _log.info(e.args[0])
            self._error_response(e.args[0])
        if req.is_secure and config["WTF_CSRF_SSL_STRICT"]:
            if not req.referrer:
                self._error_response("The referrer header is missing.")
            if not flask_wtf_csrf.same_origin(req.referrer, f"https://{req.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True  # mark this request as CSRF valid
