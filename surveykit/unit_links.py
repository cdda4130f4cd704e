"""Open links per unit for an anonymous survey: signed, carrying the unit, naming nobody.

An employee survey (``anonymous:``) is not sent by personal invitation, whose token would tie an
answer to a person. Each unit gets one link instead, ``/s/<survey>?t=u.<token>``, that everyone in
the unit may use; the token carries the survey and the unit's segment fields (dealer, department)
and an HMAC-SHA256 over them with the app's secret key, so a respondent cannot move their answers
to another unit by editing the link. ``surveykit unit-links`` prints them; the web form reads them
in :func:`webform.unit_links.open_unit_link`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

__all__ = ["PREFIX", "read_unit_token", "unit_token"]

PREFIX = "u."
_SALT = b"surveykit-unit-link\x00"
MAX_TOKEN = 1000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(_SALT + secret.encode("utf-8"), payload, hashlib.sha256).digest()


def unit_token(secret: str, survey: str, fields: Mapping[str, str]) -> str:
    """The ``t`` of a unit's open link: ``u.`` + payload + ``.`` + its HMAC-SHA256 under ``secret``."""
    if not secret:
        raise ValueError("a unit link is signed with the app's secret key; none is set (SURVEYKIT_SECRET_KEY)")
    payload = json.dumps({"s": survey, "f": dict(sorted(fields.items()))}, separators=(",", ":")).encode("utf-8")
    return f"{PREFIX}{_b64(payload)}.{_b64(_mac(secret, payload))}"


def read_unit_token(secret: str, token: str) -> tuple[str, dict[str, str]] | None:
    """(survey, fields) of a genuine unit token; None for anything else (wrong signature, malformed, too long)."""
    if not secret or not token.startswith(PREFIX) or len(token) > MAX_TOKEN:
        return None
    body, dot, signature = token[len(PREFIX) :].partition(".")
    if not dot:
        return None
    try:
        payload, mac = _unb64(body), _unb64(signature)
    except (ValueError, UnicodeEncodeError):
        return None
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), str) or not isinstance(data.get("f"), dict):
        return None
    fields = data["f"]
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()):
        return None
    return data["s"], fields
