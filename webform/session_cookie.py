"""The session cookie: Flask's signed cookie, with plain JSON and a signer built once.

:class:`SignedSerializer` is itsdangerous' URL-safe timed serializer with its signers and
their derived keys kept (it builds a signer and derives its key again on every sign and
check), and zlib tried only on a payload large enough to gain from it; the session and the
submission key of a draft-less form (:mod:`webform.respondent_session`) both sign through
it.  Its tokens are itsdangerous' own format, read by any itsdangerous serializer.
"""

from __future__ import annotations

import hmac
import json
import zlib
from typing import Any

from flask import Flask, Response
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadData, Serializer, Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int, want_bytes
from itsdangerous.signer import HMACAlgorithm

# zlib is tried on payloads above this many bytes: setting up a deflate stream costs ~35 us, more
# than a submit's other signing work, and a session of ids and tokens barely shrinks
COMPRESS_ABOVE = 512

__all__ = ["PlainJSON", "SessionInterface", "SignedSerializer"]


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


class _KeptKeySigner(TimestampSigner):
    """A timestamp signer that derives the key of each secret once and keeps its HMAC.

    itsdangerous derives the key and sets up a new HMAC (two hash states over the padded key)
    on every sign and check; a copy of a kept HMAC gives the same digest for less.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[str | bytes | None, bytes] = {}
        self._macs: list[hmac.HMAC] | None = None

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self._derived.get(secret_key)
        if key is None:
            key = self._derived[secret_key] = super().derive_key(secret_key)
        return key

    def kept_macs(self) -> list[hmac.HMAC] | None:
        """The HMAC of each secret key, newest first (the order itsdangerous tries them); None unless HMAC signs."""
        if self._macs is None and type(self.algorithm) is HMACAlgorithm:
            digest = self.algorithm.digest_method
            self._macs = [hmac.new(self.derive_key(k), digestmod=digest) for k in reversed(self.secret_keys)]
        return self._macs

    def get_signature(self, value: str | bytes) -> bytes:
        macs = self.kept_macs()
        if macs is None:
            return super().get_signature(value)
        mac = macs[0].copy()
        mac.update(want_bytes(value))
        return base64_encode(mac.digest())

    def quick_unsign(self, signed_value: bytes, max_age: int | None) -> tuple[bytes, int] | None:
        """(value, timestamp) of a valid, unexpired ``value.timestamp.signature``; None for anything else.

        The same decoding and checks as :meth:`unsign` (itsdangerous' own base64 and integer
        helpers), without its layers; None sends the caller to :meth:`unsign`, which raises
        itsdangerous' own error with its message.
        """
        macs = self.kept_macs()
        value, sep, sig = signed_value.rpartition(b".")
        if macs is None or not sep or self.sep != b".":
            return None
        try:
            expected = base64_decode(sig)
        except BadData:  # itsdangerous' base64 raises only this
            return None
        for kept in macs:
            mac = kept.copy()
            mac.update(value)
            if hmac.compare_digest(expected, mac.digest()):
                break
        else:
            return None
        value, sep, stamp = value.rpartition(b".")
        if not sep:
            return None
        try:
            ts = bytes_to_int(base64_decode(stamp))
        except BadData:  # itsdangerous' base64 raises only this
            return None
        if max_age is not None and not 0 <= self.get_timestamp() - ts <= max_age:
            return None
        return value, ts


class SignedSerializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe timed serializer with one signer per salt, kept (same checks, same format)."""

    default_signer = _KeptKeySigner

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signers: dict[str | bytes | None, Signer] = {}

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        if salt is None:  # signing passes None for the serializer's salt, checking passes the salt itself
            salt = self.salt
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer

    def loads(  # type: ignore[override]
        self,
        s: str | bytes,
        max_age: int | None = None,
        return_timestamp: bool = False,
        salt: str | bytes | None = None,
    ) -> Any:
        """itsdangerous' ``loads``; a valid token is checked by the kept signer's :meth:`~_KeptKeySigner.quick_unsign`.

        A token it does not accept (bad, expired, malformed), a salt given per call or fallback
        signers go through itsdangerous' own ``loads``, so every refusal is its error, as before.
        """
        if salt is None and not self.fallback_signers:
            signer = self.make_signer()
            if isinstance(signer, _KeptKeySigner):
                found = signer.quick_unsign(want_bytes(s), max_age)
                if found is not None:
                    payload = self.load_payload(found[0])
                    return (payload, signer.timestamp_to_datetime(found[1])) if return_timestamp else payload
        return super().loads(s, max_age=max_age, return_timestamp=return_timestamp, salt=salt)

    def dump_payload(self, obj: Any) -> bytes:
        """itsdangerous' URL-safe payload (``.`` and zlib when that is shorter), zlib tried above COMPRESS_ABOVE only."""
        data = Serializer.dump_payload(self, obj)
        if len(data) > COMPRESS_ABOVE:
            compressed = zlib.compress(data)
            if len(compressed) < len(data) - 1:
                return b"." + base64_encode(compressed)
        return base64_encode(data)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session with plain JSON and a signer built once, not on every request."""

    serializer = PlainJSON()  # type: ignore[assignment]

    def __init__(self) -> None:
        self._signer: tuple[Any, Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        """Flask's serializer (same keys, salt, key derivation and digest) as a :class:`SignedSerializer`."""
        fallbacks = tuple(app.config.get("SECRET_KEY_FALLBACKS") or ())
        key = (app.secret_key, fallbacks)
        if self._signer is None or self._signer[0] != key:
            if not app.secret_key:
                return None
            serializer = SignedSerializer(
                [*fallbacks, app.secret_key],  # itsdangerous expects the current key last
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
            )
            self._signer = (key, serializer)
        return self._signer[1]

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's own steps, but ``Vary: Cookie`` set once, and a session read but unchanged left early.

        Flask adds Vary through ``response.vary`` before and after writing the cookie, and each
        add parses and rewrites the header: two of them cost more than the cookie itself.  A
        session read but not changed gets its Vary alone, without Flask looking up the seven
        cookie settings it will not use.  An empty or deleted session takes Flask's path unchanged.
        """
        if not session:
            super().save_session(app, session, response)
            return
        if not self.should_set_cookie(app, session):
            if session.accessed:
                _vary_cookie(response)
            return
        response.set_cookie(
            self.get_cookie_name(app),
            self.get_signing_serializer(app).dumps(dict(session)),
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            partitioned=self.get_cookie_partitioned(app),
            samesite=self.get_cookie_samesite(app),
        )
        _vary_cookie(response)


def _vary_cookie(response: Response) -> None:
    """``response.vary.add("Cookie")``, with the header simply set when there is none yet."""
    if "Vary" in response.headers:
        response.vary.add("Cookie")
    else:
        response.headers["Vary"] = "Cookie"
