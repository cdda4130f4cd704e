"""The fielding keys of the format: message templates, reminders, expiry, contact rules, webhooks.

A questionnaire may declare how it is fielded continuously::

    timezone: Asia/Shanghai            # quiet hours are local to it (the default)
    invitation:
      email: {subject: {...}, text: {...}, html: {...}}
      sms: {zh: "...{link} 退订 {optout}", en: "..."}
    reminders: [{after: 2d}, {after: 5d, sms: {...}}]
    expires: 14d
    contact_rules:
      max_invitations: {count: 1, per: 30d}   # across all surveys
      max_messages: {count: 3, per: 30d}
      quiet_hours: {start: "21:00", end: "09:00"}   # SMS only unless channels: says otherwise
    webhooks:
      - {url: "https://dms.example/hooks", events: [response.completed], secret_env: SURVEYKIT_WEBHOOK_SECRET}

The same ``contact_rules`` and ``webhooks`` can be set for the whole
installation (:mod:`surveykit.fielding.installation`).

Templates are checked here: every placeholder must be ``{name}``, ``{link}``,
``{optout}`` or a declared field; every body carries ``{link}`` and ``{optout}``
(the opt-out travels with every message).  SMS length is estimated with the
links at their usual length and a warning (:class:`SmsLengthWarning`) is
issued above two parts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from surveykit.fielding import schedule
from surveykit.fielding.templates import BUILTIN_PLACEHOLDERS, TemplateError, placeholders, render, sms_length
from surveykit.model import Text
from surveykit.reader import BAD, Obj, Reader
from surveykit.yamlsafe import Mapping, Node, Scalar

__all__ = [
    "CHANNELS",
    "ContactRules",
    "EmailTemplate",
    "Fielding",
    "Limit",
    "Messages",
    "QuietHours",
    "Reminder",
    "SmsLengthWarning",
    "Webhook",
    "build_contact_rules",
    "build_fielding",
    "build_webhooks",
]

CHANNELS = ("email", "sms")
EVENTS = ("response.completed", "case.opened")
MAX_SMS_SEGMENTS = 2
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,99}\Z")
# The length a placeholder is counted with when an SMS is measured at load time: a short
# link on a 24-character site address (https://survey.example.cn), the opt-out link, a name.
NOMINAL_LENGTH = {"link": 24 + len("/i/") + 11, "optout": 24 + len("/optout/") + 21, "name": 10}
NOMINAL_FIELD_LENGTH = 12


class SmsLengthWarning(UserWarning):
    """An SMS template that takes more than two parts once its links are filled in."""


@dataclass(frozen=True, slots=True)
class EmailTemplate:
    subject: Text
    text: Text
    html: Text | None = None


@dataclass(frozen=True, slots=True)
class Messages:
    """What one send says, per channel (a reminder without its own falls back to the invitation's)."""

    email: EmailTemplate | None = None
    sms: Text | None = None


@dataclass(frozen=True, slots=True)
class Reminder:
    after: dt.timedelta  # after the invitation was sent
    messages: Messages


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    per: dt.timedelta


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: dt.time
    end: dt.time
    channels: tuple[str, ...] = ("sms",)


@dataclass(frozen=True, slots=True)
class ContactRules:
    max_invitations: Limit | None = None  # invitations per contact per window, across surveys
    max_messages: Limit | None = None  # messages (invitations and reminders) per contact per window
    quiet_hours: QuietHours | None = None


@dataclass(frozen=True, slots=True)
class Webhook:
    url: str
    events: tuple[str, ...]
    secret_env: str  # the environment variable holding the signing secret (whsec_...)


@dataclass(frozen=True, slots=True)
class Fielding:
    invitation: Messages | None = None
    reminders: tuple[Reminder, ...] = ()
    expires: dt.timedelta | None = None
    timezone: str = schedule.DEFAULT_TIMEZONE
    contact_rules: ContactRules | None = None
    webhooks: tuple[Webhook, ...] = ()

    def messages(self, seq: int) -> Messages:
        """The templates of send ``seq``: 0 the invitation, 1.. the reminders (falling back per channel)."""
        base = self.invitation or Messages()
        if seq == 0:
            return base
        own = self.reminders[seq - 1].messages
        return Messages(own.email or base.email, own.sms or base.sms)


_KEYS = ("invitation", "reminders", "expires", "timezone", "contact_rules", "webhooks")


def build_fielding(reader: Reader, top: Obj, fields: Iterable[str]) -> Fielding | None:
    """The :class:`Fielding` of a read questionnaire; ``None`` when it declares none of the keys."""
    if not any(key in top.nodes for key in _KEYS):
        return None
    allowed = (*BUILTIN_PLACEHOLDERS, *fields)
    timezone = top.get("timezone", schedule.DEFAULT_TIMEZONE)
    if "timezone" in top.nodes and timezone is not None:
        try:
            schedule.zone(timezone)
        except ValueError as exc:
            reader.problem(top.at("timezone"), "timezone", str(exc))
    invitation = _messages(reader, top.get("invitation"), allowed, required=True)
    reminders = []
    for obj, _node in top.get("reminders", []) or []:
        if obj in (BAD, None):
            continue
        after = _duration(reader, obj, "after")
        if after is not None:
            reminders.append(Reminder(after, _messages(reader, obj, allowed, required=False) or Messages()))
    if reminders and invitation is None:
        reader.problem(top.at("reminders"), "reminders", "reminders need the invitation: templates to fall back on")
    if any(b.after <= a.after for a, b in itertools.pairwise(reminders)):
        reader.problem(top.at("reminders"), "reminders", "list reminders in order, each after the one before")
    return Fielding(
        invitation=invitation,
        reminders=tuple(reminders),
        expires=_duration(reader, top, "expires"),
        timezone=timezone or schedule.DEFAULT_TIMEZONE,
        contact_rules=build_contact_rules(reader, top.get("contact_rules")),
        webhooks=build_webhooks(reader, top.get("webhooks")),
    )


def _duration(reader: Reader, obj: Obj, key: str) -> dt.timedelta | None:
    text = obj.get(key)
    if text is None:
        return None
    try:
        return schedule.parse_duration(text)
    except ValueError as exc:
        reader.problem(obj.at(key), obj.sub(key), str(exc))
        return None


def _messages(reader: Reader, obj: Obj | None, allowed: tuple[str, ...], *, required: bool) -> Messages | None:
    if obj in (BAD, None):
        return None
    assert obj is not None
    email = obj.get("email")
    sms = obj.get("sms")
    if required and email is None and sms is None and "email" not in obj.nodes and "sms" not in obj.nodes:
        reader.problem(obj.node, obj.path, "an invitation needs an email: or an sms: template (or both)")
        return None
    built_email = None
    if email is not None:
        for key in ("subject", "text", "html"):
            body = key != "subject"
            _check(reader, email, key, allowed, body=body)
        if email.get("subject") is not None and email.get("text") is not None:
            built_email = EmailTemplate(email.get("subject"), email.get("text"), email.get("html"))
    if sms is not None:
        _check(reader, obj, "sms", allowed, body=True, sms=True)
    return Messages(built_email, sms)


def _value_node(node: Node, lang: str) -> Node:
    """The scalar of one language in a text mapping (or the text itself)."""
    if isinstance(node, Mapping):
        for key, value in node.pairs:
            if key.value == lang:
                return value
    return node


def _check(reader: Reader, obj: Obj, key: str, allowed: tuple[str, ...], *, body: bool, sms: bool = False) -> None:
    """Placeholders known, ``{link}`` and ``{optout}`` in a body, and an SMS no longer than two parts."""
    text: Text | None = obj.get(key)
    if text is None:
        return
    for lang, value in text.values:
        node = _value_node(obj.at(key), lang)
        quote = 1 if isinstance(node, Scalar) and node.style in ("'", '"') and "\n" not in value else 0
        where = f"{obj.sub(key)}.{lang}" if isinstance(obj.at(key), Mapping) else obj.sub(key)
        try:
            found = placeholders(value)
        except TemplateError as exc:
            reader.problem(node, where, str(exc), exc.index + quote if "\n" not in value else 0)
            continue
        names = set()
        for name, index in found:
            names.add(name)
            if name not in allowed:
                reader.problem(
                    node,
                    where,
                    f"unknown placeholder {{{name}}} (allowed: {', '.join('{' + a + '}' for a in allowed)})",
                    index + quote if "\n" not in value else 0,
                )
        if body:
            for needed in ("link", "optout"):
                if needed not in names:
                    reader.problem(node, where, f"a message body must carry {{{needed}}}")
        if sms and names <= set(allowed):
            nominal = {name: "x" * NOMINAL_LENGTH.get(name, NOMINAL_FIELD_LENGTH) for name in allowed}
            length = sms_length(render(value, nominal))
            if length.segments > MAX_SMS_SEGMENTS:
                warnings.warn(
                    f"{reader.name}:{node.line}:{node.column}: {where}: the SMS takes {length.segments} parts "
                    f"({length.units} {length.encoding} characters, {length.per_segment} a part, counting "
                    f"{{link}} as {NOMINAL_LENGTH['link']} and {{optout}} as {NOMINAL_LENGTH['optout']}); "
                    f"at most {MAX_SMS_SEGMENTS} are advised",
                    SmsLengthWarning,
                    stacklevel=2,
                )


def build_contact_rules(reader: Reader, obj: Obj | None) -> ContactRules | None:
    """The contact rules of a read ``contact_rules`` object (in a questionnaire or the installation file)."""
    if obj in (BAD, None):
        return None
    assert obj is not None
    limits: dict[str, Limit | None] = {}
    for key in ("max_invitations", "max_messages"):
        limit = obj.get(key)
        limits[key] = None
        if limit is None:
            continue
        count, per = limit.get("count"), _duration(reader, limit, "per")
        if isinstance(count, int) and count < 1:
            reader.problem(limit.at("count"), limit.sub("count"), f"count must be 1 or more, got {count}")
        elif isinstance(count, int) and per is not None:
            limits[key] = Limit(count, per)
    quiet = None
    hours = obj.get("quiet_hours")
    if hours is not None:
        clocks = []
        for key in ("start", "end"):
            try:
                clocks.append(schedule.parse_clock(hours.get(key)))
            except ValueError as exc:
                reader.problem(hours.at(key), hours.sub(key), str(exc))
        channels = tuple(c for c, _ in hours.get("channels", []) or [] if c is not BAD) or ("sms",)
        if len(clocks) == 2:
            if clocks[0] == clocks[1]:
                reader.problem(hours.node, hours.path, "quiet hours need a start and an end that differ")
            else:
                quiet = QuietHours(clocks[0], clocks[1], channels)
    return ContactRules(limits["max_invitations"], limits["max_messages"], quiet)


def build_webhooks(reader: Reader, items: list | None) -> tuple[Webhook, ...]:
    """The endpoints of a read ``webhooks`` list: an http(s) URL, events, the secret's variable."""
    hooks = []
    for obj, _node in items or []:
        if obj in (BAD, None):
            continue
        url, secret_env = obj.get("url"), obj.get("secret_env")
        events = tuple(e for e, _ in obj.get("events", []) or [] if e is not BAD)
        ok = True
        if url is not None and not url.startswith(("https://", "http://")):
            reader.problem(obj.at("url"), obj.sub("url"), f"{url!r} is not an http(s) URL")
            ok = False
        if secret_env is not None and not _ENV_NAME.match(secret_env):
            reader.problem(obj.at("secret_env"), obj.sub("secret_env"), "name an environment variable, e.g. DMS_SECRET")
            ok = False
        if not events and "events" in obj.nodes:
            reader.problem(obj.at("events"), obj.sub("events"), f"name at least one event ({', '.join(EVENTS)})")
            ok = False
        if ok and url and secret_env and events:
            hooks.append(Webhook(url, events, secret_env))
    return tuple(hooks)
