"""Delivery: e-mail over SMTP and SMS through a gateway adapter.

E-mail goes through the SMTP session of :mod:`surveykit.notify` (one connection
kept open across a batch), with the message's fixed Message-ID and Date, a
plain-text part and an HTML part, and the one-click unsubscribe of RFC 8058
(``List-Unsubscribe`` with the opt-out URL and ``List-Unsubscribe-Post``).

An SMS gateway is anything with ``send(to, text, message_id)``
(:class:`SmsGateway`); a real provider (Aliyun, Tencent Cloud) is one class.
Two ship: :class:`HttpSmsGateway` posts ``{"to", "text", "id"}`` as JSON to
``SURVEYKIT_SMS_URL`` (a bearer token from ``SURVEYKIT_SMS_TOKEN`` if set), and
:class:`FileSmsGateway` appends each message as a JSON line to a file, and
:class:`FolderMailer` writes each e-mail to a folder, for development and the demo.

Every failure is a :class:`DeliveryError` that says whether trying again can
help: an SMTP 4xx reply, a dropped connection, a timeout or an HTTP 5xx, 408 or
429 are temporary; an SMTP 5xx, refused recipients or another HTTP 4xx are
permanent.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import smtplib
import ssl
import threading
import urllib.parse
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from surveykit import notify
from surveykit.errors import SurveykitError

__all__ = [
    "DeliveryError",
    "EmailSender",
    "FileSmsGateway",
    "FolderMailer",
    "HttpSmsGateway",
    "Mailer",
    "SmsGateway",
    "compose_email",
    "sms_gateway_from_env",
]


class DeliveryError(Exception):
    """A message that did not go out; ``permanent`` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def compose_email(
    *,
    message_id: str,
    created_at: dt.datetime,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    optout_url: str,
    language: str,
) -> EmailMessage:
    """An invitation or reminder e-mail: the same Message-ID and Date on every attempt, one-click opt-out."""
    mail = EmailMessage()
    mail["Message-ID"] = message_id
    mail["Date"] = format_datetime(created_at.replace(tzinfo=dt.UTC))
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = " ".join(subject.split())
    mail["List-Unsubscribe"] = f"<{optout_url}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    mail.set_content(text)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    # after the bodies: setting content drops every Content-* header
    mail["Content-Language"] = "zh-Hans" if language == "zh" else language
    return mail


class Mailer:
    """An SMTP session kept open across messages, reopened after a failure.

    One session per thread that sends (a worker with several senders, ``Settings.senders``,
    sends on several sessions at once); :meth:`close` ends them all, once the senders are done.
    """

    def __init__(self, settings: notify.SmtpSettings) -> None:
        self.settings = settings
        self._clients: dict[int, smtplib.SMTP] = {}  # by thread

    def send(self, mail: EmailMessage, to: str) -> None:
        thread = threading.get_ident()
        try:
            client = self._clients.get(thread)
            if client is None:
                client = self._clients[thread] = notify.connect(self.settings)
            client.send_message(mail, from_addr=self.settings.sender, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(notify.smtp_error(exc), permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            notify.close(self._clients.pop(thread, None))
            raise DeliveryError(notify.smtp_error(exc), permanent=exc.smtp_code >= 500) from None
        except (smtplib.SMTPException, OSError) as exc:
            notify.close(self._clients.pop(thread, None))
            raise DeliveryError(notify.smtp_error(exc), permanent=False) from None

    def close(self) -> None:
        while self._clients:
            notify.close(self._clients.popitem()[1])


class EmailSender(Protocol):
    """Sends one e-mail (raising :class:`DeliveryError`) and closes its connection when done."""

    def send(self, mail: EmailMessage, to: str) -> None: ...

    def close(self) -> None: ...


class FolderMailer:
    """Writes each e-mail to ``folder`` as an ``.eml`` file (development and the demo: ``SURVEYKIT_SMTP_URL=file:DIR``).

    The file is named after the Message-ID, so a resend overwrites its first copy.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def send(self, mail: EmailMessage, to: str) -> None:
        name = "".join(ch if ch.isalnum() or ch in ".-" else "_" for ch in str(mail["Message-ID"]).strip("<>"))
        (self.folder / f"{name}.eml").write_bytes(bytes(mail))

    def close(self) -> None:
        """Nothing to close."""


class SmsGateway(Protocol):
    """Sends one SMS; raises :class:`DeliveryError`.  ``message_id`` is the same on a resend.

    ``close()`` ends what a gateway keeps open between messages (the worker calls it after each
    round of sending).  A worker with several senders (``Settings.senders``) calls ``send`` from
    that many threads at once: keep a connection per thread, as :class:`HttpSmsGateway` does.
    """

    def send(self, to: str, text: str, message_id: str) -> None: ...

    def close(self) -> None: ...


class HttpSmsGateway:
    """POSTs ``{"to", "text", "id"}`` as JSON; any 2xx is accepted.  The gateway may de-duplicate by ``id``.

    One HTTP/1.1 connection is kept open across messages (a TLS handshake a message would cost
    a real gateway more than the message), one per sending thread, and reopened after any failure
    or when the server closes it; an answer over 64 KiB closes it too.  A failure on it is a temporary
    :class:`DeliveryError` like any other: the message is retried later with the same id, never
    at once on a new connection, so a request the gateway may have taken is not posted twice.
    """

    def __init__(self, url: str, *, timeout: float = 10.0, token: str | None = None) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SurveykitError(f"SURVEYKIT_SMS_URL must be an http(s) URL, not {url!r}")
        self.url, self.timeout, self.token = url, timeout, token
        self._parts = parts
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._conns: dict[int, http.client.HTTPConnection] = {}  # by thread

    def _connection(self) -> http.client.HTTPConnection:
        conn = self._conns.get(threading.get_ident())
        if conn is None:
            host, port = self._parts.hostname or "", self._parts.port
            if self._parts.scheme == "https":
                conn = http.client.HTTPSConnection(
                    host, port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
            self._conns[threading.get_ident()] = conn
        return conn

    def _drop(self) -> None:
        """This thread's connection closed (after a failure, or at the server's wish)."""
        conn = self._conns.pop(threading.get_ident(), None)
        if conn is not None:
            conn.close()

    def send(self, to: str, text: str, message_id: str) -> None:
        body = json.dumps({"to": to, "text": text, "id": message_id}, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            conn = self._connection()
            conn.request("POST", self._path, body=body, headers=headers)
            response = conn.getresponse()
            response.read(65536)
            status = response.status
            if response.will_close or not response.isclosed():  # the server's wish, or an answer left unread
                self._drop()
        except (OSError, http.client.HTTPException) as exc:
            self._drop()
            raise DeliveryError(f"SMS gateway unreachable: {type(exc).__name__}: {exc}", permanent=False) from None
        if not 200 <= status < 300:
            temporary = status >= 500 or status in (408, 429)
            raise DeliveryError(f"SMS gateway answered HTTP {status}", permanent=not temporary)

    def close(self) -> None:
        while self._conns:
            self._conns.popitem()[1].close()


class FileSmsGateway:
    """Appends each SMS as a JSON line to ``path`` (``-``: standard output), for development."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self._lock = threading.Lock()

    def send(self, to: str, text: str, message_id: str) -> None:
        line = json.dumps({"to": to, "text": text, "id": message_id}, ensure_ascii=False)
        with self._lock:
            if self.path == "-":
                print(line, flush=True)
                return
            with Path(self.path).open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")

    def close(self) -> None:
        """Nothing is kept open."""


def sms_gateway_from_env() -> SmsGateway | None:
    """``SURVEYKIT_SMS_URL``: ``http(s)://...`` for the HTTP adapter, ``file:PATH`` (or ``-``) for the file one."""
    url = os.environ.get("SURVEYKIT_SMS_URL")
    if not url:
        return None
    if url == "-" or url.startswith("file:"):
        return FileSmsGateway(url.removeprefix("file:") or "-")
    timeout = float(os.environ.get("SURVEYKIT_SMS_TIMEOUT", "10"))
    return HttpSmsGateway(url, timeout=timeout, token=os.environ.get("SURVEYKIT_SMS_TOKEN"))
