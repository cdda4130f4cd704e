"""A throwaway PostgreSQL schema for a test, a soak or a benchmark run, dropped at the end.

Tests and runs share the one ``test`` database of the development and CI machines; each
gets its own schema (``search_path`` in the URL), so they never see each other's tables
and nothing is left behind.  Used by tests/conftest.py (``pg_url``), the security
fixtures, the soak and ``benchmarks/``.
"""

from __future__ import annotations

import os
import secrets

PG_URL = os.environ.get("SURVEYKIT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


class PostgresSchema:
    """``.url`` points SQLAlchemy (psycopg 3) at a fresh schema; ``.conninfo`` is for plain psycopg."""

    def __init__(self, url: str = PG_URL, prefix: str = "sk_run") -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(url)
        self.conninfo = dict(
            host=u.host or "127.0.0.1",
            port=u.port or 5432,
            user=u.username or "postgres",
            dbname=u.database or "test",
            password=u.password or None,
            connect_timeout=3,
        )
        self.schema = f"{prefix}_{secrets.token_hex(4)}"
        with psycopg.connect(**self.conninfo, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {self.schema}")
        self.url = (
            u.set(drivername="postgresql+psycopg")
            .update_query_dict({"options": f"-csearch_path={self.schema}"})
            .render_as_string(False)
        )

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(**self.conninfo, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {self.schema} CASCADE")
