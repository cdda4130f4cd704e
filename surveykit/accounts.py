"""Admin users: argon2id password hashes, roles, and a session generation to end sessions.

Roles are ``admin`` (everything), ``department`` (one department's cases,
named in ``department``), ``analyst`` (reads everything, changes nothing) and ``manager``
(reads the units given in :data:`surveykit.database.user_units` and everything below them in
the organisation, :mod:`surveykit.org`).  Passwords follow OWASP ASVS 6.2: at least
:data:`MIN_PASSWORD_LENGTH` characters, not a common password, no composition
rules, compared exactly as typed (no trimming), long ones allowed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from surveykit.database import check_text, user_units, users, utcnow, write_transaction
from surveykit.errors import StorageError, SurveykitError

_EMAIL = re.compile(r"[^@\s,;<>\"]{1,64}@[^@\s,;<>\"]{1,189}\.[^@\s,;<>\".]{1,63}")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
ROLES = ("admin", "department", "manager", "analyst", "auditor")  # auditor: audits of their units (issue 17)
# Common passwords of 10+ characters (shorter ones fail the length rule anyway), after the
# SecLists top lists; compared case-insensitively.
COMMON_PASSWORDS = frozenset(
    """
1234567890 0123456789 1234567891 0987654321 1111111111 0000000000 1q2w3e4r5t 1qaz2wsx3edc qwertyuiop
qwerty1234 qwerty12345 qwerty123456 asdfghjkl1 asdfghjkl; zxcvbnm123 password12 password123 password1234
password12345 password01 passw0rd123 p@ssw0rd12 p@ssword123 iloveyou12 iloveyou123 administrator admin12345
admin123456 adminadmin letmein123 welcome123 welcome1234 changeme123 football123 baseball123 basketball
superman123 trustno1234 sunshine123 princess123 1q2w3e4r5t6y qazwsxedcrfv abcdefghij abcd123456 abc1234567
aaaaaaaaaa 123123123123 1212121212 5555555555 9876543210 qwertyuiop123 q1w2e3r4t5 a1b2c3d4e5 mypassword
mypassword1 secret1234 iloveyou1234 monkey12345 dragon12345 master12345 computer123 internet123 whatever123
surveykit123 surveykit12 passwordpassword 12345678910 123456789a 123456789q a123456789 q123456789
""".split()
)


class PasswordRejected(SurveykitError, ValueError):
    """A password that does not meet the rules; the message says which."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: str
    department: str | None
    session_generation: int


_hasher = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 low-memory profile


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("surveykit: no such user")


def check_password(password: str, username: str = "") -> None:
    """Raise :class:`PasswordRejected` unless the password meets the rules."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")
    check_text("password", password)
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (username and username.lower() in lowered) or len(set(password)) < 3:
        raise PasswordRejected("this password is too easy to guess; choose a longer or less common one")


def create_user(
    engine: Engine,
    username: str,
    password: str,
    *,
    role: str = "admin",
    department: str | None = None,
    units: Sequence[str] = (),
    email: str | None = None,
) -> None:
    """Add an admin user with an argon2id password hash (and, for a manager, their units).

    Raises
    ------
    PasswordRejected
        The password is too short, too common or contains the user name.
    ValueError
        Bad user name, unknown role, a ``department`` role without a department, a ``manager``
        without units or with a unit the current organisation does not have, units for another role,
        an ``email`` that is not one address (it receives a manager's weekly digest).
    StorageError
        The user name is taken.
    """
    if not isinstance(username, str) or not 1 <= len(username) <= 150 or username != username.strip():
        raise ValueError("a user name has 1..150 characters and no surrounding spaces")
    check_text("username", username)
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "department" and not department:
        raise ValueError("a department user needs a department")
    if role == "admin" and department:
        raise ValueError("an admin user has no department")
    if email is not None and not _EMAIL.fullmatch(email):
        raise ValueError(f"{email!r} is not an e-mail address")
    units = sorted(set(units))
    if role in ("manager", "auditor"):  # an auditor is scoped to the dealers they audit, as a manager
        _check_units(engine, units, role)
    elif units:
        raise ValueError("only a manager or an auditor user has units")
    check_password(password, username)
    row = dict(
        username=username,
        password_hash=_hasher.hash(password),
        role=role,
        department=department,
        session_generation=0,
        created_at=utcnow(),
        email=email,
    )
    try:
        with write_transaction(engine) as conn:
            user_id = conn.execute(sa.insert(users).values(row).returning(users.c.id)).scalar_one()
            if units:
                conn.execute(sa.insert(user_units), [{"user_id": user_id, "unit": unit} for unit in units])
    except sa.exc.IntegrityError:
        raise StorageError(f"user {username!r} already exists") from None


def _check_units(engine: Engine, units: Sequence[str], role: str = "manager") -> None:
    from surveykit.org import load_tree

    if not units:
        raise ValueError(f"a {role} needs at least one unit (--unit)")
    tree = load_tree(engine)
    unknown = [unit for unit in units if unit not in tree]
    if unknown:
        known = ", ".join(tree.roots()) if len(tree) else "none: import the organisation first (surveykit org import)"
        raise ValueError(
            f"unknown unit {unknown[0]!r}"
            + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")
            + f"; top units: {known}"
        )


def verify_login(engine: Engine, username: str, password: str) -> User | None:
    """The user if the password is right, else None (unknown users cost the same hashing time).

    A hash made with older argon2 parameters is upgraded on a successful login.
    """
    u = users.c
    found = None
    try:
        check_text("username", username)  # NUL would make PostgreSQL fail the query: no such user
    except ValueError:
        username = ""
    if username:
        with engine.connect() as conn:
            found = conn.execute(
                sa.select(u.id, u.username, u.password_hash, u.role, u.department, u.session_generation).where(
                    u.username == username
                )
            ).first()
    if found is None:
        try:
            _hasher.verify(_dummy_hash(), password)
        except VerificationError:
            pass
        return None
    try:
        _hasher.verify(found.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(found.password_hash):
        with write_transaction(engine) as conn:
            conn.execute(sa.update(users).where(u.id == found.id).values(password_hash=_hasher.hash(password)))
    return User(found.id, found.username, found.role, found.department, found.session_generation)


def end_sessions(engine: Engine, username: str) -> int:
    """Bump the user's session generation so every session that recorded the old one is refused; returns the new one."""
    u = users.c
    with write_transaction(engine) as conn:
        new = conn.execute(
            sa.update(users)
            .where(u.username == username)
            .values(session_generation=u.session_generation + 1)
            .returning(u.session_generation)
        ).scalar()
    if new is None:
        raise StorageError(f"no user {username!r}")
    return int(new)
