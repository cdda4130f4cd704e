"""Admin users for the web tests: created by role, logged in through the Flask test client with the CSRF token.

The suite hashes their passwords with argon2id at its lowest cost (tests/conftest.py), so a test may
create the users it needs rather than share them.  Used by tests/webform/test_scope.py and test_cases.py.
"""

from __future__ import annotations

import re
from typing import Any

from surveykit import storage

PASSWORD = "a long enough passphrase 42"


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page, or "" when the page has none."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return found.group(1) if found else ""


def add_users(engine: Any, users: dict[str, tuple[str, Any]]) -> None:
    """``{name: (role, options)}`` with :data:`PASSWORD`; options are create_user's (department, units)."""
    for name, (role, options) in users.items():
        storage.create_user(engine, name, PASSWORD, role=role, **options)


def login(app: Any, username: str, password: str = PASSWORD) -> Any:
    """A test client signed in as ``username`` (the form's 303 asserted)."""
    client = app.test_client()
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "username": username, "password": password},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client
