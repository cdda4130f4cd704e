"""Contact rules and webhooks for the whole installation.

An installation file (YAML, read like a questionnaire: the safe composer, errors
at ``file:line:column``) holds what applies to every survey::

    contact_rules:
      max_invitations: {count: 1, per: 30d}
      max_messages: {count: 3, per: 30d}
      quiet_hours: {start: "21:00", end: "09:00"}
    webhooks:
      - {url: "https://dms.example/hooks", events: [case.opened], secret_env: DMS_WEBHOOK_SECRET}

The worker and the web app find it through ``SURVEYKIT_FIELDING_CONFIG`` (a
path).  Its rules apply on top of a survey's own: a contact must pass both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from surveykit.errors import Problem, QuestionnaireError
from surveykit.fielding.declared import ContactRules, Webhook, build_contact_rules, build_webhooks
from surveykit.reader import Reader
from surveykit.source import read_source

__all__ = ["ENV", "Installation", "current", "load_installation"]

ENV = "SURVEYKIT_FIELDING_CONFIG"
MAX_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Installation:
    contact_rules: ContactRules | None = None
    webhooks: tuple[Webhook, ...] = ()


def load_installation(path: str | os.PathLike[str]) -> Installation:
    """Read an installation file; a QuestionnaireError lists every problem at its line and column."""
    source = read_source(Path(path), max_bytes=MAX_BYTES, as_file=True)
    reader = Reader(source.name, source.text)
    if source.root is None:
        return Installation()
    obj = reader.read(source.root, "installation", "")
    if obj is None:
        raise QuestionnaireError(reader.problems or [Problem(source.name, 1, 1, "", "not an installation file")])
    rules = build_contact_rules(reader, obj.get("contact_rules"))
    hooks = build_webhooks(reader, obj.get("webhooks"))
    if reader.problems:
        raise QuestionnaireError(reader.problems)
    return Installation(rules, hooks)


_cache: dict[tuple[str, float], Installation] = {}


def current() -> Installation:
    """The installation file named by ``SURVEYKIT_FIELDING_CONFIG`` (re-read when it changes), or none."""
    path = os.environ.get(ENV)
    if not path:
        return Installation()
    key = (path, os.stat(path).st_mtime)
    if key not in _cache:
        _cache.clear()
        _cache[key] = load_installation(path)
    return _cache[key]
