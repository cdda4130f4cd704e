"""The ``privacy:`` section: what erasure does to answers, how long contact data is kept, consent.

::

    privacy:
      answers_on_erasure: unlink    # or remove
      retention: 365d               # contact data older than this is purged by the worker
      consent: {zh: ..., en: ...}   # shown on the first page of the form

``unlink`` (the default) keeps the answers for the statistics but cuts every path from them
to the person: the response no longer points at the invitation, which no longer points at the
contact, whose personal columns are blanked.  ``remove`` deletes the answers as well.  The
operations are in :mod:`surveykit.contacts`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from surveykit.fielding.schedule import parse_duration
from surveykit.model import Text
from surveykit.reader import BAD, Obj, Reader

__all__ = ["ERASURE_ACTIONS", "Privacy", "build_privacy"]

ERASURE_ACTIONS = ("unlink", "remove")


@dataclass(frozen=True, slots=True)
class Privacy:
    answers_on_erasure: Literal["unlink", "remove"] = "unlink"
    retention: dt.timedelta | None = None
    consent: Text | None = None


def build_privacy(reader: Reader, top: Obj) -> Privacy | None:
    """The :class:`Privacy` of a read questionnaire; None when it has no ``privacy:``."""
    obj = top.get("privacy")
    if obj in (BAD, None):
        return None
    retention = None
    text = obj.get("retention")
    if text is not None:
        try:
            retention = parse_duration(text)
        except ValueError as exc:
            reader.problem(obj.at("retention"), obj.sub("retention"), str(exc))
    return Privacy(obj.get("answers_on_erasure") or "unlink", retention, obj.get("consent"))
