"""``surveykit worker``: send due invitations, reminders, webhooks and case notifications.

Configured from the environment, so that secrets stay out of the command line
and the process list:

``SURVEYKIT_SMTP_URL``      ``smtp://user:password@host:587?starttls=1`` (``smtps://`` for TLS from the start;
                            ``file:DIR`` writes each e-mail to a folder, for development)
``SURVEYKIT_SMTP_FROM``     the sender address of invitations
``SURVEYKIT_SMS_URL``       an SMS gateway taking ``{"to", "text", "id"}`` as JSON, or ``file:PATH`` / ``-``
``SURVEYKIT_SMS_TOKEN``     a bearer token for the gateway (optional); ``SURVEYKIT_SMS_TIMEOUT`` seconds
``SURVEYKIT_LINK_SECRET``   the secret of short links and opt-out links (the web app needs the same)
``SURVEYKIT_BASE_URL``      the public address of the web form, for the links
``SURVEYKIT_FIELDING_CONFIG``  the installation's contact rules and webhooks (YAML)
``SURVEYKIT_NOTIFY_TO``     case notifications go here too (``surveykit notify``'s settings)
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading

import click

from surveykit.cli.inputs import BATCH, DB, LEASE, SENDER, smtp_from_env, store

__all__ = ["COMMANDS", "worker"]


def _now(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time such as 2026-05-01T09:30:00+08:00") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


@click.command("worker")
@DB
@click.option("--once", is_flag=True, help="process what is due and exit (for cron)")
@click.option(
    "--now", "now_text", default=None, help="pretend it is this time (ISO 8601; UTC unless it says): tests and demos"
)
@click.option(
    "--base-url",
    envvar="SURVEYKIT_BASE_URL",
    required=True,
    help="the web form's public address (env SURVEYKIT_BASE_URL)",
)
@click.option("--interval", type=click.FloatRange(1), default=30, show_default=True, help="seconds between passes")
@BATCH
@LEASE
@click.option("--max-attempts", type=click.IntRange(1, 50), default=8, show_default=True)
@click.option(
    "--senders",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="messages sent at once, each on its own connection; a SIGKILL may send this many twice",
)
@SENDER
def worker(
    db_url: str,
    once: bool,
    now_text: str | None,
    base_url: str,
    interval: float,
    batch: int,
    lease_s: float,
    max_attempts: int,
    senders: int,
    sender: str,
) -> None:
    """Send due invitations and reminders (e-mail, SMS), webhooks and case notifications.

    Several workers may run at once, on one machine or several: they share the work
    through the store.  SIGTERM finishes the message in hand and exits.
    """
    from surveykit import notify
    from surveykit.fielding import delivery, installation, links
    from surveykit.fielding.worker import Settings, run_pass

    fixed = _now(now_text)
    installation.current()  # a bad SURVEYKIT_FIELDING_CONFIG stops here, at its line and column
    smtp = smtp_from_env(sender)
    smtp_url = os.environ.get("SURVEYKIT_SMTP_URL")
    routing = None
    if os.environ.get("SURVEYKIT_NOTIFY_TO"):
        try:
            routing = notify.Routing.parse(
                [os.environ["SURVEYKIT_NOTIFY_TO"]], os.environ.get("SURVEYKIT_NOTIFY_DEPARTMENTS", "").split()
            )
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="SURVEYKIT_NOTIFY_TO") from None
    settings = Settings(
        base_url=base_url,
        secret=links.link_secret(),
        mailer=delivery.Mailer(smtp) if smtp else delivery.FolderMailer(smtp_url[5:]) if smtp_url else None,
        sender=sender,
        sms=delivery.sms_gateway_from_env(),
        batch=batch,
        senders=senders,
        lease_s=lease_s,
        max_attempts=max_attempts,
        smtp=smtp,
        routing=routing,
    )
    if not settings.channels:
        click.echo(
            "warning: neither SURVEYKIT_SMTP_URL nor SURVEYKIT_SMS_URL is set; no message will be sent", err=True
        )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def clock() -> dt.datetime:
        from surveykit.database import utcnow

        return fixed if fixed is not None else utcnow()

    name = notify.worker_name()
    with store(db_url) as engine:
        while True:
            stats = run_pass(engine, settings, worker=name, clock=clock, stop=stop.is_set)
            click.echo(stats.summary())
            for note in stats.notes:
                click.echo(note)
            if once or stop.is_set() or stop.wait(interval):
                return


COMMANDS = (worker,)
