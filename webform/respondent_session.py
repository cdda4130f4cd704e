"""What the session cookie keeps for a respondent, and the signed key of a draft-less form.

Per survey the cookie holds the draft id and the link that resumes it (a resume or
invitation link), under ``d``, and the id of a finished response, under ``done``; the
answers themselves stay on the server.  Values from the cookie are checked for shape
before use (the cookie is signed, but an old one may have another layout).

A one-screen survey needs no draft: its form carries a submission key signed with the
app's ``SECRET_KEY`` and timestamped at render time (``k``), so a double-tapped or
retried submit carries the same key and stores nothing new.
"""

from __future__ import annotations

import datetime as dt
import functools

from flask import current_app, session
from itsdangerous import BadData

from surveykit import storage
from webform.session_cookie import SignedSerializer

__all__ = [
    "KEY_MAX_AGE_S",
    "KEY_SALT",
    "clear_done",
    "done",
    "draft_entry",
    "forget",
    "key_serializer",
    "mark_done",
    "new_signed_key",
    "remember",
    "submission_key",
    "valid_signed_key",
]

KEY_SALT = "surveykit-submission-key"
KEY_MAX_AGE_S = 7 * 24 * 3600


def draft_entry(survey_id: str) -> tuple[str, str] | None:
    """(draft id, resume link) of this survey's draft in the session, or None."""
    entry = session.get("d", {}).get(survey_id)
    if isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry) and len(entry[0]) <= 64:
        return entry[0], entry[1]
    return None


def remember(survey_id: str, draft_id: str, resume_url: str) -> None:
    """Keep the draft of this survey, and the link that resumes it, in the session."""
    drafts = dict(session.get("d", {}))
    drafts[survey_id] = [draft_id, resume_url]
    session["d"] = drafts


def forget(survey_id: str) -> None:
    """Drop this survey's draft from the session (the cookie is rewritten only when there was one)."""
    drafts = dict(session.get("d", {}))
    if drafts.pop(survey_id, None) is not None:
        session["d"] = drafts


def done(survey_id: str) -> str | None:
    """The id of the response this session finished for the survey, or None."""
    value = session.get("done", {}).get(survey_id)
    return value if isinstance(value, str) else None


def mark_done(survey_id: str, response_id: str) -> None:
    """The survey is finished in this session: its draft is forgotten and the response id kept."""
    forget(survey_id)
    finished = dict(session.get("done", {}))
    finished[survey_id] = response_id
    session["done"] = finished


def clear_done(survey_id: str) -> None:
    """Forget a finished response, so that this browser may start the survey again (a new invitation)."""
    finished = dict(session.get("done", {}))
    if finished.pop(survey_id, None) is not None:
        session["done"] = finished


@functools.lru_cache(maxsize=8)  # one per app secret: building one runs its serializer on a test value
def key_serializer(secret_key: str | bytes) -> SignedSerializer:
    """Signs the submission key a draft-less form carries (``k``); the timestamp is the render time."""
    return SignedSerializer(secret_key, salt=KEY_SALT)


def new_signed_key() -> str:
    """A fresh submission key, signed for a draft-less form."""
    return _serializer().dumps(storage.new_submission_key())


def valid_signed_key(signed: str | None) -> str | None:
    """``signed`` itself when it is a genuine, unexpired signed key (a retry keeps its key), else None."""
    return signed if _unsign(signed) is not None else None


def submission_key(signed: str | None) -> tuple[str, dt.datetime] | None:
    """The submission key of a signed ``k`` field and when the form was rendered (naive UTC), or None."""
    unsigned = _unsign(signed)
    if unsigned is None:
        return None
    key, stamp = unsigned
    return key, stamp.astimezone(dt.UTC).replace(tzinfo=None)


def _serializer() -> SignedSerializer:
    return key_serializer(current_app.config["SECRET_KEY"])


def _unsign(signed: str | None) -> tuple[str, dt.datetime] | None:
    if not signed or len(signed) > 200:
        return None
    try:
        key, stamp = _serializer().loads(signed, max_age=KEY_MAX_AGE_S, return_timestamp=True)
    except BadData:
        return None
    if not isinstance(key, str):
        return None
    return key, stamp
