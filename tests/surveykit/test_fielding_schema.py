"""The tables of continuous fielding, and an older store brought up to date by ``init_db``."""

from __future__ import annotations

import sqlalchemy as sa

from surveykit.database import init_db, make_engine, utcnow, write_transaction

NEW_INVITATION_COLUMNS = {
    "event_id", "event_hash", "contact_id", "channel", "status", "send_at", "sent_at", "opened_at",
    "started_at", "completed_at", "opted_out_at", "failed_at", "suppression_reason", "short_code_hash",
}  # fmt: skip


def _legacy_store(engine: sa.Engine) -> None:
    """The invitations and responses tables as surveykit made them before issue 12."""
    old = sa.MetaData()
    sa.Table(
        "invitations",
        old,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime),
        sa.Column("used_at", sa.DateTime),
        sa.Column("response_id", sa.String(32)),
    )
    with write_transaction(engine) as conn:
        old.create_all(conn)
        conn.execute(
            sa.text(
                "INSERT INTO invitations (survey, token_hash, fields, created_at) "
                "VALUES ('s', 'h', '{\"dealer\": \"D1\"}', :now)"
            ),
            dict(now=utcnow()),
        )


def test_new_tables_and_columns(db_url: str) -> None:
    engine = make_engine(db_url)
    init_db(engine)
    inspector = sa.inspect(engine)
    for table in ("contacts", "api_tokens", "audit_log", "quota_counts"):
        assert inspector.has_table(table)
    assert NEW_INVITATION_COLUMNS <= {c["name"] for c in inspector.get_columns("invitations")}
    assert {"over_quota", "txid"} <= {c["name"] for c in inspector.get_columns("responses")}
    init_db(engine)  # idempotent
    engine.dispose()


def test_older_store_gains_the_new_columns(db_url: str) -> None:
    engine = make_engine(db_url)
    _legacy_store(engine)
    init_db(engine)
    inspector = sa.inspect(engine)
    assert NEW_INVITATION_COLUMNS <= {c["name"] for c in inspector.get_columns("invitations")}
    indexes = {i["name"] for i in inspector.get_indexes("invitations")}
    assert {"uq_invitations_event_id", "uq_invitations_short_code_hash"} <= indexes
    with engine.begin() as conn:
        row = conn.execute(sa.text("SELECT survey, status, event_id FROM invitations")).one()
        assert tuple(row) == ("s", None, None)  # the old link invitation is kept, status NULL
        conn.execute(sa.text("UPDATE invitations SET event_id = 'e1'"))
    init_db(engine)  # and again: nothing left to add
    engine.dispose()


def test_postgresql_rows_record_their_transaction(pg_url: str) -> None:
    from surveykit import load_questionnaire
    from surveykit.storage import register_version, save_response
    from tests.conftest import SURVEY_YAML

    engine = make_engine(pg_url)
    init_db(engine)
    q = load_questionnaire(SURVEY_YAML)
    register_version(engine, q, SURVEY_YAML)
    save_response(engine, q, {"sat_overall": 5}, key="k" * 20, language="zh")
    with engine.connect() as conn:
        txid = conn.execute(sa.text("SELECT txid FROM responses")).scalar_one()
        current = conn.execute(sa.text("SELECT pg_current_xact_id()::text::bigint")).scalar_one()
    engine.dispose()
    assert 0 < txid < current
