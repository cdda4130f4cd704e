"""The session cookie: Flask's signed cookie, with plain JSON and a signer built once."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

__all__ = ["PlainJSON", "SessionInterface"]


class PlainJSON:
    """The session's serializer: plain compact JSON.

    The session holds only strings, numbers, lists and dicts (draft ids, the CSRF secret, the
    language, the admin login), for which Flask's tagged JSON writes the same text, only slower.
    """

    @staticmethod
    def dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def loads(text: str | bytes) -> Any:
        return json.loads(text)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session with plain JSON and a signer built once, not on every request."""

    serializer = PlainJSON()  # type: ignore[assignment]

    def __init__(self) -> None:
        self._signer: tuple[Any, Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._signer is None or self._signer[0] != key:
            self._signer = (key, super().get_signing_serializer(app))
        return self._signer[1]
