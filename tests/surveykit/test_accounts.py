"""Admin users on SQLite and PostgreSQL: argon2id hashes, password rules, roles, ending sessions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from surveykit import accounts, storage
from surveykit.database import users
from surveykit.errors import StorageError

GOOD = "tea kettle on the hill"


def test_login_with_the_right_password_only(engine):
    storage.create_user(engine, "alice", GOOD)
    user = storage.verify_login(engine, "alice", GOOD)
    assert user == storage.User(user.id, "alice", "admin", None, 0)
    assert storage.verify_login(engine, "alice", GOOD + "!") is None
    assert storage.verify_login(engine, "alice", " " + GOOD) is None  # compared exactly as typed
    assert storage.verify_login(engine, "bob", GOOD) is None


def test_passwords_are_stored_as_argon2id_hashes(engine):
    storage.create_user(engine, "alice", GOOD)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and GOOD not in stored


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 10"),
        ("Password123", "too easy"),
        ("1234567890", "too easy"),
        ("aaaaaaaaaaaa", "too easy"),
        ("alice-is-my-name", "too easy"),  # contains the user name
        ("x" * 1025, "at most 1024"),
    ],
)
def test_weak_passwords_are_refused(engine, password, message):
    with pytest.raises(accounts.PasswordRejected, match=message):
        storage.create_user(engine, "alice", password)
    assert storage.verify_login(engine, "alice", password) is None


def test_long_passphrases_are_allowed(engine):
    storage.create_user(engine, "alice", "ü" * 64 + " 服务 " + "z" * 200)
    assert storage.verify_login(engine, "alice", "ü" * 64 + " 服务 " + "z" * 200)


def test_department_users_carry_their_department(engine):
    storage.create_user(engine, "wang", GOOD, role="department", department="service")
    assert storage.verify_login(engine, "wang", GOOD).department == "service"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"role": "root"}, ValueError, "role must be one of"),
        ({"role": "department"}, ValueError, "needs a department"),
        ({"department": "service"}, ValueError, "no department"),
        ({"username": " alice"}, ValueError, "user name"),
    ],
)
def test_bad_user_definitions_are_refused(engine, kwargs, error, message):
    kwargs = dict(kwargs)
    with pytest.raises(error, match=message):
        storage.create_user(engine, kwargs.pop("username", "alice"), GOOD, **kwargs)


def test_user_names_are_unique(engine):
    storage.create_user(engine, "alice", GOOD)
    with pytest.raises(StorageError, match="already exists"):
        storage.create_user(engine, "alice", GOOD + " two")


def test_end_sessions_bumps_the_generation(engine):
    storage.create_user(engine, "alice", GOOD)
    assert storage.end_sessions(engine, "alice") == 1
    assert storage.verify_login(engine, "alice", GOOD).session_generation == 1
    with pytest.raises(StorageError):
        storage.end_sessions(engine, "nobody")
