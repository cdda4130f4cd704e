"""The SQL schema and the engine settings that make a commit durable.

:func:`make_engine` applies, on every new connection, what an acknowledged
submission relies on:

* SQLite (the embedded default, a file): ``journal_mode=WAL``,
  ``synchronous=FULL`` (a commit survives power loss, not only a killed
  process), ``busy_timeout`` 5000 ms and ``foreign_keys`` on.  The driver's own
  transaction handling is switched off and ``BEGIN`` is emitted here, so that a
  write transaction starts ``BEGIN IMMEDIATE``: it takes the write lock at once
  instead of failing with SQLITE_BUSY when a read later upgrades to a write.
* PostgreSQL through psycopg 3: ``synchronous_commit`` is forced on for our
  sessions whatever the server default is.

Every table lives in :data:`metadata`; :mod:`surveykit.storage`, :mod:`surveykit.cases`, :mod:`surveykit.notify`,
:mod:`surveykit.invitations` and :mod:`surveykit.accounts` hold the functions; the tables of continuous
fielding (contacts, API tokens, the audit log, quota counters) are used by :mod:`surveykit.contacts`,
:mod:`surveykit.apitokens`, :mod:`surveykit.quotas` and :mod:`webform.api`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from surveykit.errors import StorageError

BUSY_TIMEOUT_MS = 5000
_WRITE = "surveykit_write"

metadata = sa.MetaData()
_json = sa.JSON().with_variant(JSONB(), "postgresql")
# Timestamps are stored as naive UTC on both backends (SQLite has no time zones).
_ts = sa.DateTime()

survey_versions = sa.Table(
    "survey_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("survey", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("yaml_text", sa.Text, nullable=False),
    sa.Column("created_at", _ts, nullable=False),
    sa.UniqueConstraint("survey", "sha256", name="uq_survey_versions_survey_sha256"),
)

invitations = sa.Table(
    "invitations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("survey", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("fields", _json, nullable=False),
    sa.Column("created_at", _ts, nullable=False),
    sa.Column("expires_at", _ts),
    sa.Column("used_at", _ts),
    sa.Column("response_id", sa.String(32)),
    # -- continuous fielding (issue 12).  A link/QR invitation of ``surveykit invite`` leaves all
    # of these NULL: status NULL means "handed over as a link when created" and is read as ``sent``
    # on channel ``link`` (surveykit.rates, the API).  API invitations always set them.
    sa.Column("event_id", sa.String(200)),  # the caller's id of the event (idempotency key)
    sa.Column("event_hash", sa.String(64)),  # SHA-256 of the canonical event posted
    sa.Column("contact_id", sa.Integer, sa.ForeignKey("contacts.id"), index=True),
    sa.Column("channel", sa.String(10)),  # email | sms | link
    # scheduled | suppressed | sent | failed | opened | started | completed | opted_out | expired
    sa.Column("status", sa.String(20)),
    sa.Column("send_at", _ts),
    sa.Column("sent_at", _ts),
    sa.Column("opened_at", _ts),
    sa.Column("started_at", _ts),
    sa.Column("completed_at", _ts),
    sa.Column("opted_out_at", _ts),
    sa.Column("failed_at", _ts),
    sa.Column("suppression_reason", sa.String(100)),  # the rule: quota_full, contact_rule:..., opted_out
    sa.Column("short_code_hash", sa.String(64)),
    sa.Index("uq_invitations_event_id", "event_id", unique=True),
    sa.Index("uq_invitations_short_code_hash", "short_code_hash", unique=True),
    sa.Index("ix_invitations_status_send_at", "status", "send_at"),
)

responses = sa.Table(
    "responses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # insertion order
    sa.Column("response_id", sa.String(32), nullable=False, unique=True),  # public, unguessable
    sa.Column("survey", sa.String(100), nullable=False),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("survey_versions.id"), nullable=False),
    sa.Column("key", sa.String(128), nullable=False),  # the submission key
    sa.Column("answers_hash", sa.String(64), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("wave", sa.String(100)),
    sa.Column("started_at", _ts),
    sa.Column("submitted_at", _ts, nullable=False),
    sa.Column("duration_s", sa.Float),
    sa.Column("fields", _json, nullable=False),
    sa.Column("answers", _json, nullable=False),
    # one response per invitation, whatever the caller does
    sa.Column("invitation_id", sa.Integer, sa.ForeignKey("invitations.id"), unique=True),
    # stored, never counted: submitted after its quota cell had filled (surveykit.quotas)
    sa.Column("over_quota", sa.Boolean),
    # PostgreSQL: the writing transaction's id (trigger below), so the responses API serves rows
    # in commit order and only below the oldest running transaction (surveykit.response_feed)
    sa.Column("txid", sa.BigInteger, server_default="0"),  # rows older than the trigger: 0
    sa.UniqueConstraint("survey", "key", name="uq_responses_survey_key"),
    sa.Index("ix_responses_survey_submitted", "survey", "submitted_at"),
    sa.Index("ix_responses_survey_txid_id", "survey", "txid", "id"),
    sqlite_autoincrement=True,  # an id is never reused after an erasure removes the last row
)


def field_code(dialect: str, name: str) -> Any:
    """A segment field of ``responses.fields`` as text, written exactly as the indexes below write it.

    The JSON path is a literal, not a parameter, so that the database matches the expression to its
    index.  ``name`` is a field id of our own code (``dealer``), never input.
    """
    if dialect == "postgresql":
        return responses.c.fields.op("->>")(sa.literal_column(f"'{name}'"))
    return sa.func.json_extract(responses.c.fields, sa.literal_column(f"'$.{name}'"))


# The responses of a set of dealer codes in a period, newest first, without reading the survey's other
# rows: the dashboard's latest comments of a dealer or a region (webform.dashboard.figures).
for _dialect in ("sqlite", "postgresql"):
    sa.Index(
        f"ix_responses_survey_dealer_submitted_{_dialect[:2]}",
        responses.c.survey,
        field_code(_dialect, "dealer"),
        responses.c.submitted_at,
    ).ddl_if(dialect=_dialect)

drafts = sa.Table(
    "drafts",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("survey", sa.String(100), nullable=False),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("survey_versions.id"), nullable=False),
    sa.Column("key", sa.String(128), nullable=False),  # the submission key of the final submit
    sa.Column("resume_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("fields", _json, nullable=False),
    sa.Column("invitation_id", sa.Integer, sa.ForeignKey("invitations.id"), index=True),
    sa.Column("answers", _json, nullable=False),
    sa.Column("page", sa.Integer, nullable=False),
    sa.Column("started_at", _ts, nullable=False),
    sa.Column("updated_at", _ts, nullable=False),
    sa.Column("response_id", sa.String(32)),  # set when submitted
    sa.Index("ix_drafts_survey_key", "survey", "key"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(150), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("department", sa.String(100)),
    # bumped to end every session of the user (Flask's session is a client-side cookie)
    sa.Column("session_generation", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", _ts, nullable=False),
    sa.Column("email", sa.String(254)),  # where a manager's weekly digest goes (webform.digest)
)

# -- the dealer organisation (surveykit.org) -----------------------------------------------------------

# One row per version of a unit: an import that moves a dealer to another region closes the old row
# (valid_to) and opens a new one (valid_from), so the tree at any past moment can be rebuilt.
# valid_from NULL: since always (the unit's first version); valid_to NULL: the current version.
org_units = sa.Table(
    "org_units",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("unit", sa.String(100), nullable=False),  # the code responses carry (dealer DE01)
    sa.Column("parent", sa.String(100)),
    sa.Column("level", sa.String(63), nullable=False),
    sa.Column("names", _json, nullable=False),  # {lang: name}
    sa.Column("valid_from", _ts),
    sa.Column("valid_to", _ts),
    sa.Index("ix_org_units_unit_valid_to", "unit", "valid_to"),
)

# A manager's weekly digest (webform.digest): written once per user and ISO week, then mailed by
# `surveykit digest` with a lease, as the outbox's case mails are.
digests = sa.Table(
    "digests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("week", sa.String(10), nullable=False),  # the ISO week it covers, 2026-W49
    sa.Column("message_id", sa.String(255), nullable=False, unique=True),
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", _ts, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # pending, sent or failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("claimed_by", sa.String(100)),
    sa.Column("lease_until", _ts),
    sa.Column("sent_at", _ts),
    sa.Column("last_error", sa.Text),
    sa.UniqueConstraint("user_id", "week", name="uq_digests_user_week"),
)

# The units a manager is given (surveykit admin create-user --unit); they see these and all below.
user_units = sa.Table(
    "user_units",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit", sa.String(100), primary_key=True),
)

# Additive sums per survey x unit field x unit code x tracked variable x UTC day (surveykit.aggregates):
# written in each submit's transaction, subtracted by erasure, rebuilt by `surveykit aggregates rebuild`.
# unit_field = unit = "" holds all responses; day = days since 1970-01-01.
response_aggregates = sa.Table(
    "response_aggregates",
    metadata,
    sa.Column("survey", sa.String(100), primary_key=True),
    sa.Column("unit_field", sa.String(63), primary_key=True),
    sa.Column("variable", sa.String(63), primary_key=True),
    sa.Column("unit", sa.String(200), primary_key=True),
    sa.Column("day", sa.Integer, primary_key=True),
    # the scale's top point (likert 1..points): versions that change the scale stay apart, and an index
    # 0-100 is still exactly additive across them; 10 for NPS (0-10), 1 for the response count.  Last in
    # the key, so that a unit's days are one range of the primary key
    sa.Column("points", sa.SmallInteger, primary_key=True),
    *(sa.Column(name, sa.BigInteger, nullable=False) for name in ("n", "total", "total_sq", "top2")),
    *(sa.Column(name, sa.BigInteger, nullable=False) for name in ("promoters", "passives", "detractors")),
    # the national view of a period reads every unit's days: by day first
    sa.Index("ix_response_aggregates_day", "survey", "unit_field", "variable", "day"),
)

rate_limits = sa.Table(
    "rate_limits",
    metadata,
    sa.Column("bucket", sa.String(200), primary_key=True),
    sa.Column("window_start", sa.BigInteger, primary_key=True),
    sa.Column("hits", sa.Integer, nullable=False),
)

# -- continuous fielding (issue 12): contacts, API tokens, audit, quota counters -----------------

# Contact data lives here only (apart from what a respondent types into answers): invitations
# point at a contact, responses at an invitation.  Erasure (surveykit.contacts) blanks the personal
# columns and replaces customer_id by "erased:" + its SHA-256, so erasing again is recognised.
contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.String(200), nullable=False, unique=True),  # the DMS's customer id
    sa.Column("name", sa.String(200)),
    sa.Column("email", sa.String(254)),
    sa.Column("phone", sa.String(20)),  # E.164
    sa.Column("language", sa.String(16)),
    sa.Column("created_at", _ts, nullable=False),
    sa.Column("updated_at", _ts, nullable=False),
    sa.Column("erased_at", _ts),
    sa.Column("optout_email_at", _ts),
    sa.Column("optout_sms_at", _ts),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # SHA-256; the token is shown once
    sa.Column("scopes", _json),  # null: the whole installation (an admin token); else unit values
    sa.Column("created_at", _ts, nullable=False),
    sa.Column("expires_at", _ts),
    sa.Column("revoked_at", _ts),
    sa.Column("last_used_at", _ts),
)

# Who did what with personal data: exports that include contact data, erasures, purges.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", _ts, nullable=False),
    sa.Column("actor", sa.String(150), nullable=False),  # "user:NAME", "token:NAME", "cli", "worker"
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("detail", _json, nullable=False),
)

# Completes counted per quota cell (surveykit.quotas): incremented in the submission's transaction
# only while below the cell's maximum, so concurrent submits never overfill it.
quota_counts = sa.Table(
    "quota_counts",
    metadata,
    sa.Column("survey", sa.String(100), primary_key=True),
    sa.Column("quota", sa.String(63), primary_key=True),
    sa.Column("cell", sa.String(500), primary_key=True),  # the field values, JSON
    sa.Column("period", sa.String(100), primary_key=True),  # the wave, or "" for the whole fielding
    sa.Column("count", sa.Integer, nullable=False),
)

# -- follow-up cases (surveykit.cases) and their notifications (surveykit.notify) ----------------

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # the case number people quote
    sa.Column("survey", sa.String(100), nullable=False),
    sa.Column("response_id", sa.String(32), sa.ForeignKey("responses.response_id"), nullable=False),
    sa.Column("alert", sa.String(63), nullable=False),  # the rule that opened it (the cause)
    sa.Column("label", _json),  # the rule's label, {lang: text}
    sa.Column("dealer", sa.String(200)),
    sa.Column("department", sa.String(100)),
    sa.Column("priority", sa.String(20), nullable=False),
    sa.Column("state", sa.String(30), nullable=False),
    sa.Column("created_at", _ts, nullable=False),
    sa.Column("updated_at", _ts, nullable=False),
    sa.Column("first_contact_due", _ts, nullable=False),
    sa.Column("first_contact_at", _ts),
    sa.Column("overdue_at", _ts),  # when the deadline was found passed
    sa.Column("closed_at", _ts),
    sa.Column("root_cause", sa.String(40)),
    sa.Column("recovery_invitation_id", sa.Integer, sa.ForeignKey("invitations.id"), unique=True),
    sa.Column("recovery_sent_at", _ts),
    sa.Column("recovery_answered_at", _ts),
    sa.Column("recovery_score", sa.Float),
    sa.Column("recovery_points", sa.Integer),
    sa.Column("recovered", sa.Boolean),
    # a response opens at most one case per rule, however often its submit is replayed
    sa.UniqueConstraint("response_id", "alert", name="uq_cases_response_alert"),
    sa.Index("ix_cases_department_state", "department", "state"),
)

# Append-only: the triggers below refuse UPDATE and DELETE on both backends.
case_events = sa.Table(
    "case_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("at", _ts, nullable=False),
    sa.Column("actor", sa.String(150), nullable=False),  # a user name, or "system"
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("from_state", sa.String(30)),
    sa.Column("to_state", sa.String(30)),
    sa.Column("note", sa.Text, nullable=False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("message_id", sa.String(255), nullable=False, unique=True),  # fixed when written
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # new_case or overdue
    sa.Column("department", sa.String(100)),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", _ts, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # pending, sent or failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("claimed_by", sa.String(100)),
    sa.Column("lease_until", _ts),
    sa.Column("sent_at", _ts),
    sa.Column("recipients", sa.Text),
    sa.Column("last_error", sa.Text),
    sa.UniqueConstraint("case_id", "kind", name="uq_outbox_case_kind"),  # each message once
    sa.Index("ix_outbox_status_lease", "status", "lease_until"),
)

# -- continuous fielding: the messages of invitations and the webhook deliveries (surveykit.fielding) ----

# One row per message an invitation sends: seq 0 the invitation, 1.. its reminders.  The row is
# written (with its Message-ID) before the message is sent, so a resend after a crash carries
# the same id; the text is rendered at send time and never stored (it holds the link).
invitation_messages = sa.Table(
    "invitation_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("invitation_id", sa.Integer, sa.ForeignKey("invitations.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),  # email or sms
    sa.Column("message_id", sa.String(255), nullable=False, unique=True),
    sa.Column("status", sa.String(12), nullable=False),  # pending, sent, failed, suppressed, cancelled
    sa.Column("due_at", _ts, nullable=False),  # not before (quiet hours, back-off)
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("claimed_by", sa.String(100)),
    sa.Column("lease_until", _ts),
    sa.Column("created_at", _ts, nullable=False),
    sa.Column("sent_at", _ts),
    sa.Column("reason", sa.String(100)),  # why suppressed or cancelled
    sa.Column("last_error", sa.Text),
    sa.UniqueConstraint("invitation_id", "seq", name="uq_invitation_messages_seq"),
    sa.Index("ix_invitation_messages_status_due", "status", "due_at"),
)

# One row per event and endpoint; ``webhook_id`` is the Standard Webhooks id, the same on every
# attempt, so a receiver de-duplicates by it.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("webhook_id", sa.String(64), nullable=False, unique=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("secret_env", sa.String(100), nullable=False),
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("subject", sa.String(100), nullable=False),  # the response id or case number
    sa.Column("payload", sa.Text, nullable=False),  # the JSON body, exactly as signed and sent
    sa.Column("created_at", _ts, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # pending, sent or failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("due_at", _ts, nullable=False),
    sa.Column("claimed_by", sa.String(100)),
    sa.Column("lease_until", _ts),
    sa.Column("sent_at", _ts),
    sa.Column("last_status", sa.Integer),  # the receiver's HTTP status
    sa.Column("last_error", sa.Text),
    sa.UniqueConstraint("url", "event", "subject", name="uq_webhook_deliveries_event"),
    sa.Index("ix_webhook_deliveries_status_due", "status", "due_at"),
)

# The audit planner (surveykit.audit_plan): a spot check or mystery shop of one dealer with an audit
# instrument, due by a date. It is done when a response came in through its invitation (made when
# the auditor first opens it), so the status is read from responses and never goes out of date.
audit_plans = sa.Table(
    "audit_plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("survey", sa.String(100), nullable=False),  # the audit instrument (a checklist survey)
    sa.Column("unit", sa.String(100), nullable=False),  # the dealer (or branch) audited
    sa.Column("kind", sa.String(10), nullable=False),  # covert (mystery shop) | open (spot check)
    sa.Column("window_from", sa.Date),  # NULL: from when it was planned
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("auditor", sa.String(150)),  # a username; NULL: any auditor of the unit
    sa.Column("wave", sa.String(100)),
    sa.Column("created_by", sa.String(150), nullable=False),
    sa.Column("created_at", _ts, nullable=False),
    sa.Column("cancelled_at", _ts),
    sa.Column("invitation_id", sa.Integer, sa.ForeignKey("invitations.id"), unique=True),
    sa.Index("ix_audit_plans_unit_due", "unit", "due"),
    sa.Index("ix_audit_plans_auditor_due", "auditor", "due"),
)

_APPEND_ONLY = "case_events is append-only: UPDATE and DELETE are refused"
for _op in ("UPDATE", "DELETE"):
    sa.event.listen(
        case_events,
        "after_create",
        sa.DDL(
            f"CREATE TRIGGER case_events_no_{_op.lower()} BEFORE {_op} ON case_events "
            f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
        ).execute_if(dialect="sqlite"),
    )
sa.event.listen(
    case_events,
    "after_create",
    sa.DDL(
        "CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$"
    ).execute_if(dialect="postgresql"),
)
sa.event.listen(
    case_events,
    "after_create",
    sa.DDL(
        "CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events "
        "FOR EACH ROW EXECUTE FUNCTION case_events_append_only()"
    ).execute_if(dialect="postgresql"),
)
sa.event.listen(
    case_events,
    "after_create",
    sa.DDL(
        "CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only()"
    ).execute_if(dialect="postgresql"),
)


# The responses API pages in commit order (surveykit.response_feed): on PostgreSQL each row records
# the id of the transaction that wrote it; on SQLite writers take turns, so the row id is enough.
_RESPONSES_TXID = (
    "CREATE OR REPLACE FUNCTION responses_set_txid() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN NEW.txid := pg_current_xact_id()::text::bigint; RETURN NEW; END $$",
    "CREATE OR REPLACE TRIGGER responses_set_txid BEFORE INSERT ON responses "
    "FOR EACH ROW EXECUTE FUNCTION responses_set_txid()",
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite or PostgreSQL with the durability settings applied.

    Parameters
    ----------
    url
        ``sqlite:///path/to/file.sqlite3`` (a file, so that WAL applies) or a
        PostgreSQL URL; ``postgresql://`` and ``postgres://`` are mapped to the
        psycopg 3 driver (``postgresql+psycopg://``).
    **kwargs
        Passed on to :func:`sqlalchemy.create_engine` (``pool_size``...).

    Raises
    ------
    StorageError
        When a SQLite file database cannot be put in WAL mode (for example on
        a network filesystem); raised on the first connection.
    """
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("json_serializer", _dumps)
    backend = u.get_backend_name()
    if backend == "sqlite":
        kwargs.setdefault("connect_args", {}).setdefault("timeout", BUSY_TIMEOUT_MS / 1000)
        if u.database in (None, "", ":memory:"):
            # one connection for every thread (surveykit preview serves from another thread than the one
            # that created the tables): a second connection would open a second, empty database
            kwargs.setdefault("poolclass", StaticPool)
            kwargs["connect_args"].setdefault("check_same_thread", False)
    engine = sa.create_engine(u, **kwargs)
    if backend == "sqlite":
        memory = u.database in (None, "", ":memory:") or "mode=memory" in str(u)
        sa.event.listen(engine, "connect", lambda dbapi, _record: _sqlite_connect(dbapi, memory))
        sa.event.listen(engine, "begin", _sqlite_begin)
    elif backend == "postgresql":
        sa.event.listen(engine, "connect", _postgres_connect)
    return engine


def _sqlite_connect(dbapi_connection: Any, memory: bool) -> None:
    dbapi_connection.isolation_level = None  # BEGIN is ours (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
    finally:
        cursor.close()
    if not memory and (str(mode).lower() != "wal" or synchronous != 2):
        raise StorageError(
            f"SQLite refused journal_mode=WAL / synchronous=FULL (got {mode!r}, {synchronous}); "
            "put the database file on a local disk"
        )


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def _postgres_connect(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO on")
    dbapi_connection.commit()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction: ``BEGIN IMMEDIATE`` on SQLite; committed on a clean exit.

    The commit has returned when the ``with`` block is left without an
    exception; only then may a caller acknowledge anything.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """One connection for a loop of short write transactions (each ``with conn.begin():``, ``BEGIN IMMEDIATE`` on SQLite).

    For a worker that records many results one by one: the connection is checked out (and
    pinged) once instead of once a transaction.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        yield conn


def init_db(engine: Engine) -> None:
    """Create the tables that do not exist yet (idempotent, safe from several workers at once)."""
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            # create_all checks, then creates: serialise concurrent callers (gunicorn workers)
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(4242001)"))
        metadata.create_all(conn)
        _add_new_columns(conn)
        if conn.dialect.name == "postgresql":
            for ddl in _RESPONSES_TXID:
                conn.execute(sa.text(ddl))


def _add_new_columns(conn: Connection) -> None:
    """Bring a database made by an older surveykit up to date: add new nullable columns and indexes.

    There is no migration framework; the schema only ever grows by nullable
    columns, new indexes and new tables (which ``create_all`` makes), so this
    is all an older store needs.  Foreign keys of added columns are not
    declared on such a store (the code that writes them checks the row exists).
    """
    inspector = sa.inspect(conn)
    for table in metadata.sorted_tables:
        have = {c["name"] for c in inspector.get_columns(table.name)}
        added = [c for c in table.columns if c.name not in have]
        for column in added:
            if not column.nullable:
                raise StorageError(f"{table.name}.{column.name} is new and NOT NULL: this store needs a migration")
            # the column as CREATE TABLE would write it (quoted name, type, server default), from our
            # own metadata: nothing here comes from input
            definition = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
            name = conn.dialect.identifier_preparer.format_table(table)
            conn.execute(sa.DDL(f"ALTER TABLE {name} ADD COLUMN {definition}"))
        if added:
            for index in table.indexes:
                index.create(conn, checkfirst=True)


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every table stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(value: datetime) -> datetime:
    """A datetime as naive UTC (a naive one is taken to be UTC already)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def check_text(name: str, value: str) -> None:
    """Refuse text neither backend can store the same way: NUL (PostgreSQL rejects it) and lone surrogates."""
    if "\x00" in value:
        raise ValueError(f"{name}: text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name}: text is not valid Unicode (lone surrogate)") from None
