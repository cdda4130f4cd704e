"""API tokens: bearer credentials for the dealer systems that post events to ``/api/v1/``.

A token is ``skt_`` followed by ``secrets.token_urlsafe(32)`` (256 random bits).
It is printed once by ``surveykit admin create-token`` and only its SHA-256 is
stored: with that much entropy a fast hash is enough (no guessing attack
reaches a 256-bit preimage), and it lets a request be looked up by the hash
in one indexed query.

A token either covers the whole installation (no scope: an admin token, the
only kind that may erase contacts or export contact data) or a set of units:
the values of the unit field (``branch`` or ``dealer``) its invitations and
responses may carry, and every unit below them in the organisation
(:func:`surveykit.org.expand_units`, applied when a token is authenticated: a token scoped to a
region reaches its dealers, and follows the tree when it changes).  :func:`in_scope` is the one
place that decides.

A token found good is trusted for :data:`CACHE_S` seconds by the process that checked it, without
reading its row again (the lookup was a third of a page of ``GET /api/v1/responses`` on PostgreSQL,
with the rate limit's write): a token revoked by ``surveykit admin revoke-token`` (another process)
may still be accepted for at most that long by an API worker that used it just before.  Revoking in
the same process, and the token's expiry, take effect at once; the organisation tree below a scoped
token is read on every request as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from surveykit.database import api_tokens, check_text, utcnow, write_transaction
from surveykit.errors import SurveykitError
from surveykit.org import expand_units

__all__ = [
    "UNIT_FIELDS",
    "ApiToken",
    "TokenCheck",
    "authenticate",
    "create_token",
    "in_scope",
    "revoke_token",
    "token_hash",
]

PREFIX = "skt_"
# The segment fields that name a unit, most specific first (issue 13 uses the same names).
UNIT_FIELDS = ("branch", "dealer")
_TOKEN = re.compile(r"skt_[A-Za-z0-9_-]{40,60}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
# last_used_at is written at most this often, so a busy client does not write on every call
_TOUCH_EVERY = dt.timedelta(minutes=1)
# how long a process trusts a token it found good without reading its row again: the bound on revocation
CACHE_S = 5.0
# (database URL, token hash) -> (time.monotonic() of the check, id, name, stored scopes, expires_at)
_verified: dict[tuple[str, str], tuple[float, int, str, list[str] | None, dt.datetime | None]] = {}
_verified_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An authenticated token: its name and scope (None: the whole installation)."""

    id: int
    name: str
    scopes: frozenset[str] | None

    @property
    def admin(self) -> bool:
        return self.scopes is None


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """What a presented token is worth; ``token`` is set only when ``status`` is ``ok``."""

    status: Literal["ok", "unknown", "revoked", "expired"]
    token: ApiToken | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine: Engine, name: str, *, scopes: Iterable[str] = (), expires_days: int | None = None) -> str:
    """Store a new token named ``name`` and return it (the only time it exists in plain text).

    ``scopes``: unit values (dealer or branch codes) the token is limited to;
    none gives an installation-wide admin token.  A name already in use, even
    by a revoked token, is an error: names stay unique so the audit log's
    ``token:NAME`` means one credential.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise SurveykitError(f"token name {name!r}: letters, digits, '_', '.', '-', at most 100 characters")
    units = sorted(set(scopes))
    for unit in units:
        check_text("scope", unit)
        if not unit.strip() or len(unit) > 200:
            raise SurveykitError(f"scope {unit!r}: a unit code of 1 to 200 characters")
    if expires_days is not None and expires_days <= 0:
        raise SurveykitError("expires_days must be positive")
    token = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = dict(
        name=name,
        token_hash=token_hash(token),
        scopes=units or None,
        created_at=now,
        expires_at=now + dt.timedelta(days=expires_days) if expires_days else None,
    )
    try:
        with write_transaction(engine) as conn:
            conn.execute(sa.insert(api_tokens).values(row))
    except sa.exc.IntegrityError:
        raise SurveykitError(f"a token named {name!r} exists already (revoked ones keep their name)") from None
    return token


def revoke_token(engine: Engine, name: str, *, now: dt.datetime | None = None) -> bool:
    """Revoke the token ``name`` at once; False if it was already revoked. Unknown names are errors."""
    t = api_tokens.c
    with write_transaction(engine) as conn:
        found = conn.execute(sa.select(t.id, t.revoked_at).where(t.name == name)).first()
        if found is None:
            raise SurveykitError(f"no token named {name!r}")
        if found.revoked_at is not None:
            return False
        conn.execute(sa.update(api_tokens).where(t.id == found.id).values(revoked_at=now or utcnow()))
    with _verified_lock:  # this process stops trusting it at once; others within CACHE_S
        for key in [key for key, hit in _verified.items() if hit[2] == name]:
            del _verified[key]
    return True


def authenticate(engine: Engine, presented: str, *, now: dt.datetime | None = None) -> TokenCheck:
    """Look a presented token up by its hash; malformed tokens are ``unknown`` without a query."""
    if not isinstance(presented, str) or not _TOKEN.fullmatch(presented):
        return TokenCheck("unknown")
    now = now or utcnow()
    key = (str(engine.url), token_hash(presented))
    with _verified_lock:
        hit = _verified.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_S:
        _, token_id, name, stored_scopes, expires_at = hit
    else:
        t = api_tokens.c
        with engine.connect() as conn:
            found = conn.execute(
                sa.select(t.id, t.name, t.scopes, t.expires_at, t.revoked_at, t.last_used_at).where(
                    t.token_hash == key[1]
                )
            ).first()
        if found is None:
            return TokenCheck("unknown")
        if found.revoked_at is not None:
            return TokenCheck("revoked")
        token_id, name, stored_scopes, expires_at = found.id, found.name, found.scopes, found.expires_at
        if expires_at is None or expires_at > now:
            if found.last_used_at is None or now - found.last_used_at >= _TOUCH_EVERY:
                with write_transaction(engine) as conn:
                    conn.execute(sa.update(api_tokens).where(t.id == found.id).values(last_used_at=now))
            _remember(key, (time.monotonic(), token_id, name, stored_scopes, expires_at))
    if expires_at is not None and expires_at <= now:
        return TokenCheck("expired")
    # a unit of the organisation covers everything below it (a region its dealers and branches)
    scopes = expand_units(engine, stored_scopes) if stored_scopes is not None else None
    return TokenCheck("ok", ApiToken(token_id, name, scopes))


def _remember(key: tuple[str, str], hit: tuple[float, int, str, list[str] | None, dt.datetime | None]) -> None:
    with _verified_lock:
        if len(_verified) >= 1000:  # many tokens in turn: drop the stale checks first
            stale = hit[0] - CACHE_S
            for old in [k for k, v in _verified.items() if v[0] <= stale] or list(_verified):
                del _verified[old]
        _verified[key] = hit


def in_scope(token: ApiToken, fields: Mapping[str, str | None]) -> bool:
    """May ``token`` see or create an invitation or response carrying these segment fields?

    An admin token sees everything.  A scoped token sees a record whose unit
    field (the first of :data:`UNIT_FIELDS` it carries) holds one of its
    units; a record without a unit field belongs to no unit and is outside
    every scope.
    """
    if token.scopes is None:
        return True
    for name in UNIT_FIELDS:
        value = fields.get(name)
        if value:
            return value in token.scopes
    return False
