"""The links in a message: the short survey link and the one-click opt-out.

Short code.  ``/i/<code>`` carries 11 characters of base62 (65 bits) so an SMS
stays short.  The code is an HMAC of the invitation id under the installation's
link secret (``SURVEYKIT_LINK_SECRET``): the worker can write the same link into
a reminder, or into a message resent after a crash, without the code ever being
stored.  The store keeps only its SHA-256 (``invitations.short_code_hash``),
looked up like an invitation token, so a copy of the database gives no working
links; guessing is limited per address like every token (:mod:`webform.link_tokens`).

Opt-out token.  ``/optout/<contact><channel>.<signature>``: the contact's
number, ``e`` or ``s`` for the channel the message came by, and 96 bits of an
HMAC over both.  It needs no login and no lookup to check, and the page it
leads to says the same thing whoever it names, so it tells nobody whether an
address is on file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from surveykit.errors import SurveykitError

__all__ = [
    "MIN_SECRET_BYTES",
    "SHORT_CODE",
    "code_hash",
    "link_secret",
    "optout_token",
    "optout_url",
    "read_optout",
    "short_code",
    "short_url",
]

MIN_SECRET_BYTES = 16
SHORT_CODE = re.compile(r"[0-9A-Za-z]{11}")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_OPTOUT = re.compile(r"([1-9][0-9]{0,11})([es])\.([A-Za-z0-9_-]{16})")
_CHANNEL_LETTER = {"email": "e", "sms": "s"}


def link_secret(value: str | bytes | None = None) -> bytes:
    """The link secret: ``value`` or ``SURVEYKIT_LINK_SECRET``; at least 16 bytes, else a SurveykitError."""
    raw = value if value is not None else os.environ.get("SURVEYKIT_LINK_SECRET", "")
    secret = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if len(secret) < MIN_SECRET_BYTES:
        raise SurveykitError(
            "set SURVEYKIT_LINK_SECRET to a random value of at least 16 characters "
            '(e.g. python -c "import secrets; print(secrets.token_urlsafe(32))"); '
            "the worker writes links with it and the web form checks opt-outs with it"
        )
    return secret


def _mac(secret: bytes, message: str) -> bytes:
    return hmac.new(secret, message.encode("ascii"), hashlib.sha256).digest()


def short_code(secret: bytes, invitation_id: int) -> str:
    """The short code of an invitation (11 base62 characters, the same every time)."""
    number = int.from_bytes(_mac(secret, f"short:{invitation_id}")[:9], "big")
    chars = []
    for _ in range(11):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def code_hash(code: str) -> str:
    """What the store keeps of a short code."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def optout_token(secret: bytes, contact_id: int, channel: str) -> str:
    """The opt-out token of a contact reached by ``channel`` (email or sms)."""
    payload = f"{int(contact_id)}{_CHANNEL_LETTER[channel]}"
    signature = base64.urlsafe_b64encode(_mac(secret, f"optout:{payload}")[:12]).decode("ascii")
    return f"{payload}.{signature}"


def read_optout(secret: bytes, token: str) -> tuple[int, str] | None:
    """``(contact id, channel)`` of a genuine token, else None (checked in constant time)."""
    match = _OPTOUT.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        return None
    contact, letter, _signature = match.groups()
    channel = "email" if letter == "e" else "sms"
    if not hmac.compare_digest(optout_token(secret, int(contact), channel), token):
        return None
    return int(contact), channel


def short_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/i/{code}"


def optout_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/optout/{token}"
