"""Who is logged in to the admin and case pages, and the decorators that require it.

The session records the user's id, session generation, login time and last activity
(:func:`log_in`).  A session ends after ``ADMIN_IDLE_MINUTES`` without a request, after
``ADMIN_MAX_HOURS`` in all, or when the user's session generation moves on (a logout
anywhere, :func:`log_out`), so that a copied cookie stops working too.  Logins are
rate-limited per client address and per user name in the database (shared by all workers).

Views say what they need: :func:`login_required` (any logged-in user) or
:func:`role_required` (one of the given roles; others get 403).  Without a valid session
both redirect to the login page (303).  Either decorator sets ``g.admin`` to the :class:`User`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, g, redirect, request, session, url_for

from surveykit import storage
from webform import db
from webform.errors import fail
from webform.i18n import UI_LANGUAGES

__all__ = ["User", "View", "current_user", "log_in", "log_out", "login_rate_limited", "login_required", "role_required"]

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class User:
    """The logged-in user as the store has it now (role and department are read on every request)."""

    id: int
    name: str
    role: str
    department: str | None


def current_user() -> User | None:
    """The user of this session, or None (no login, idle or too old, logged out elsewhere, user gone).

    An ended session's login is removed from the cookie.  The last-activity time is written back
    at most once a minute, so that most requests do not re-sign the cookie.
    """
    info = session.get("admin")
    if not isinstance(info, dict):
        return None
    try:
        uid, generation, login_at, seen_at = int(info["uid"]), int(info["gen"]), float(info["at"]), float(info["seen"])
    except (KeyError, TypeError, ValueError):
        session.pop("admin", None)
        return None
    now = time.time()
    config = current_app.config
    idle, age = now - seen_at, now - login_at
    if idle > 60 * float(config["ADMIN_IDLE_MINUTES"]) or age > 3600 * float(config["ADMIN_MAX_HOURS"]):
        session.pop("admin", None)
        return None
    found = db.account(uid)
    if found is None or found.session_generation != generation:
        session.pop("admin", None)
        return None
    if now - seen_at > 60:
        session["admin"] = {**info, "seen": now}
    return User(uid, found.username, found.role, found.department)


def login_required(view: View) -> View:
    """The view runs for a logged-in user (``g.admin``); anyone else is sent to the login page (303)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None:
            return redirect(url_for("admin.login"), 303)
        g.admin = user
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def role_required(*roles: str) -> Callable[[View], View]:
    """Like :func:`login_required`, and a logged-in user whose role is not in ``roles`` gets 403."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.admin.role not in roles:
                fail(403)
            return view(*args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorator


def login_rate_limited(username: str) -> bool:
    """Count a login attempt; True when this address or this user name is over ``LOGIN_RATE_LIMIT``."""
    limit, window = current_app.config["LOGIN_RATE_LIMIT"]
    engine = db.engine()
    ip = request.remote_addr or "unknown"
    over_ip = storage.hit_rate_limit(engine, f"login:ip:{ip}", limit=int(limit), window_s=int(window))
    over_user = storage.hit_rate_limit(
        engine, f"login:user:{username.casefold()}", limit=int(limit), window_s=int(window)
    )
    return over_ip or over_user


def log_in(user: storage.User) -> None:
    """Start a fresh session (a new cookie and CSRF secret) for ``user``, keeping only the chosen language."""
    _clear_session()
    now = time.time()
    session["admin"] = {"uid": user.id, "gen": user.session_generation, "at": now, "seen": now}


def log_out(user: User) -> None:
    """End every session of ``user`` (its generation moves on) and clear this one but for the language."""
    storage.end_sessions(db.engine(), user.name)
    _clear_session()


def _clear_session() -> None:
    lang = session.get("lang")
    session.clear()
    if lang in UI_LANGUAGES:
        session["lang"] = lang
