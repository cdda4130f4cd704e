"""Commands on a response store: serve, invite, admin, notify, demo."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from surveykit.cli.inputs import BATCH, DB, LEASE, SENDER, load, smtp_from_env, store
from surveykit.errors import SurveykitError
from surveykit.model import Questionnaire

if TYPE_CHECKING:
    from surveykit.notify import Routing, SmtpSettings


@click.command()
@click.argument("questionnaires", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--db",
    "db_url",
    envvar="SURVEYKIT_DATABASE_URL",
    metavar="URL",
    help="default: a SQLite file in the instance folder (env SURVEYKIT_DATABASE_URL)",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="gunicorn sync workers")
def serve(questionnaires: tuple[str, ...], db_url: str | None, host: str, port: int, workers: int) -> None:
    """Serve the web form and the admin pages with gunicorn.

    Off the loopback address it needs SURVEYKIT_SECRET_KEY (32+ random
    characters, e.g. from `python -c "import secrets; print(secrets.token_urlsafe(32))"`).
    Several workers on one SQLite file are safe (WAL); PostgreSQL is the choice
    for several machines.
    """
    import os

    from webform import server

    surveys = [load(path) for path in questionnaires]
    secret = os.environ.get("SURVEYKIT_SECRET_KEY", "")
    server.check_secret(host, secret)
    _serve(questionnaires, surveys, db_url, host, port, workers, secret)


def _serve(
    paths: tuple[str, ...],
    surveys: list[Questionnaire] | tuple[Questionnaire, ...],
    db_url: str | None,
    host: str,
    port: int,
    workers: int,
    secret: str,
) -> None:
    """Name the URLs to open, then run gunicorn until it is stopped."""
    from webform import server

    shown = server.shown_host(host)
    for q in surveys:
        click.echo(f"{q.survey}: http://{shown}:{port}/s/{q.survey}")
    click.echo(f"admin: http://{shown}:{port}/admin/")
    server.run(paths, db_url=db_url, host=host, port=port, workers=workers, secret=secret)


@click.command()
@click.argument("questionnaire", type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--contacts",
    required=True,
    type=click.Path(dir_okay=False, exists=True),
    help="CSV (UTF-8), one row per invitation, columns = segment fields",
)
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True, help="where the survey is served")
@click.option(
    "-o",
    "--output",
    default="links.csv",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="the links (never overwritten: tokens are shown only once)",
)
@click.option("--qr-dir", type=click.Path(file_okay=False), help="also write one QR code per link (SVG)")
@click.option(
    "--keep",
    "keep",
    multiple=True,
    metavar="COLUMN",
    help="a contacts column to copy into the links file without storing it (repeatable)",
)
@click.option("--expires-days", type=click.IntRange(1), default=None, help="links stop working after N days")
def invite(
    questionnaire: str,
    contacts: str,
    db_url: str,
    base_url: str,
    output: str,
    qr_dir: str | None,
    keep: tuple[str, ...],
    expires_days: int | None,
) -> None:
    """Create single-use invitation links carrying each contact's segment fields."""
    from surveykit.invitations import invite_contacts

    q = load(questionnaire)
    with store(db_url, q) as engine:
        made = invite_contacts(
            engine, q, contacts, output, base_url=base_url, qr_dir=qr_dir, keep=keep, expires_days=expires_days
        )
    click.echo(
        f"created {len(made):,} invitations for {q.survey}; links in {output}"
        + (f", QR codes in {qr_dir}" if qr_dir else "")
    )


@click.command("unit-links")
@click.argument("questionnaire", type=click.Path(dir_okay=False))
@click.option("--base-url", required=True, help="the survey site, e.g. https://survey.example.com")
@click.option(
    "--field", "fields", multiple=True, metavar="FIELD=A,B,C", help="the units of a field (repeatable; crossed)"
)
@click.option("--secret-key", envvar="SURVEYKIT_SECRET_KEY", required=True, help="the web app's SECRET_KEY")
def unit_links(questionnaire: str, base_url: str, fields: tuple[str, ...], secret_key: str) -> None:
    """Print one open link per unit of an anonymous survey (no personal tokens), tab-separated."""
    import itertools

    from surveykit.unit_links import unit_token

    q = load(questionnaire)
    if q.anonymous is None:
        raise SurveykitError(f"{q.survey} is not anonymous: send personal invitations (surveykit invite)")
    given: dict[str, list[str]] = {}
    for value in fields:
        name, _, codes = value.partition("=")
        given[name.strip()] = [c.strip() for c in codes.split(",") if c.strip()]
    declared = {f.id: [code for code, _ in f.values] for f in q.fields}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise click.UsageError(f"unknown field(s) {', '.join(unknown)}; {q.survey} declares {', '.join(declared)}")
    for name, wanted in given.items():
        bad = [c for c in wanted if declared[name] and c not in declared[name]]
        if bad:
            raise click.UsageError(f"{name}: {', '.join(bad)} not among its values ({', '.join(declared[name])})")
    axes = {name: given.get(name) or declared[name] for name in declared if given.get(name) or declared[name]}
    if not axes:
        raise click.UsageError("name the units: --field dealer=D01,D02")
    for combo in itertools.product(*axes.values()):
        unit = dict(zip(axes, combo, strict=True))
        token = unit_token(secret_key, q.survey, unit)
        label = " ".join(f"{k}={v}" for k, v in unit.items())
        click.echo(f"{label}\t{base_url.rstrip('/')}/s/{q.survey}?t={token}")


@click.group("admin")
def admin_group() -> None:
    """Admin users of the web form."""


@admin_group.command("create-user")
@click.argument("username")
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option(
    "--role",
    type=click.Choice(["admin", "department", "manager", "analyst", "auditor"]),
    default="admin",
    show_default=True,
    help="admin: everything; department: one department's cases; manager: their units' data only; "
    "analyst: reads everything, changes nothing; auditor: the audits of their units and their photo evidence",
)
@click.option("--department", default=None, help="with --role department: which department's cases")
@click.option(
    "--unit",
    "units",
    multiple=True,
    metavar="UNIT",
    help="with --role manager or auditor: a unit of the organisation (repeatable); they see it and everything below it",
)
@click.option("--email", default=None, help="where a manager's weekly digest goes (surveykit org digest)")
def create_user(
    username: str, db_url: str, role: str, department: str | None, units: tuple[str, ...], email: str | None
) -> None:
    """Add a user; the password comes from SURVEYKIT_ADMIN_PASSWORD or a prompt, never the command line."""
    import os

    from surveykit import storage

    password = os.environ.get("SURVEYKIT_ADMIN_PASSWORD") or click.prompt(
        "password (10+ characters)", hide_input=True, confirmation_prompt=True
    )
    try:
        with store(db_url) as engine:
            storage.create_user(engine, username, password, role=role, department=department, units=units, email=email)
    except ValueError as exc:
        raise SurveykitError(str(exc)) from None
    scope = department or ", ".join(sorted(set(units)))
    click.echo(f"created {role} user {username!r}" + (f" ({scope})" if scope else ""))


@admin_group.command("end-sessions")
@click.argument("username")
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
def end_sessions(username: str, db_url: str) -> None:
    """Log a user out everywhere (for a lost laptop or a leaked password)."""
    from surveykit import storage

    with store(db_url) as engine:
        storage.end_sessions(engine, username)
    click.echo(f"ended every session of {username!r}")


@click.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False),
    default="surveykit-demo",
    show_default=True,
    help="where the demo keeps its database and reports",
)
@click.option(
    "-n", "count", type=click.IntRange(0), default=400, show_default=True, help="simulated responses per survey"
)
@click.option("--port", type=int, default=5077, show_default=True)
@click.option("--serve/--no-serve", default=True, help="start the web server after preparing")
def demo(folder: str, count: int, port: int, serve: bool) -> None:
    """The tour: shipped surveys on SQLite with simulated answers, reports written, the server started."""
    import secrets

    from surveykit.demo import MANAGER, USER, prepare

    made = prepare(folder, count, progress=click.echo)
    click.echo("")
    for target in made.reports:
        click.echo(f"report: {target.as_uri()}")
    click.echo(f"admin login: {USER} / {made.password}   (reports are one click away on each survey's admin page)")
    click.echo(
        f"regional manager login: {MANAGER[0]} / {made.password}   (sees region {MANAGER[1]} and its dealers only)"
    )
    click.echo(
        f"follow-up cases opened by the alert rules: {made.active_cases} active "
        f"(the case board: http://127.0.0.1:{port}/admin/cases/)"
    )
    if serve:
        # a fresh random key per run: no development-key warning, sessions last as long as the demo
        _serve(made.paths, made.surveys, made.db_url, "127.0.0.1", port, 2, secrets.token_urlsafe(32))


@click.command()
@DB
@click.option("--once", is_flag=True, help="one pass (mark overdue cases, send what is pending), then exit")
@click.option(
    "--smtp-host",
    envvar="SURVEYKIT_SMTP_HOST",
    default=None,
    help="env SURVEYKIT_SMTP_HOST; without it, SURVEYKIT_SMTP_URL as the worker reads it",
)
@click.option(
    "--smtp-port",
    envvar="SURVEYKIT_SMTP_PORT",
    type=click.IntRange(1, 65535),
    default=587,
    show_default=True,
    help="env SURVEYKIT_SMTP_PORT",
)
@click.option(
    "--smtp-security",
    envvar="SURVEYKIT_SMTP_SECURITY",
    type=click.Choice(["starttls", "ssl", "none"]),
    default="starttls",
    show_default=True,
    help="env SURVEYKIT_SMTP_SECURITY",
)
@click.option(
    "--smtp-user",
    envvar="SURVEYKIT_SMTP_USER",
    default=None,
    help="env SURVEYKIT_SMTP_USER; the password only from SURVEYKIT_SMTP_PASSWORD",
)
@SENDER
@click.option(
    "--to",
    "default_to",
    envvar="SURVEYKIT_NOTIFY_TO",
    multiple=True,
    metavar="ADDRESS[,ADDRESS]",
    help="who gets every case's mail unless its department has addresses (env SURVEYKIT_NOTIFY_TO)",
)
@click.option(
    "--to-department",
    "department_to",
    envvar="SURVEYKIT_NOTIFY_DEPARTMENTS",
    multiple=True,
    metavar="DEPARTMENT=ADDRESS[,ADDRESS]",
    help="a department's addresses (repeatable)",
)
@click.option("--base-url", envvar="SURVEYKIT_BASE_URL", default=None, help="the admin site, for links to the cases")
@click.option("--interval", type=click.FloatRange(1), default=60, show_default=True, help="seconds between passes")
@LEASE
@BATCH
def notify(
    db_url: str,
    once: bool,
    smtp_host: str | None,
    smtp_port: int,
    smtp_security: str,
    smtp_user: str | None,
    sender: str,
    default_to: tuple[str, ...],
    department_to: tuple[str, ...],
    base_url: str | None,
    interval: float,
    lease_s: float,
    batch: int,
) -> None:
    """Mark overdue cases and mail the outbox (new and overdue cases) over SMTP.

    Safe to kill at any moment and to run several at once: a message claimed by
    a worker that died is taken up again when its lease runs out.  The SMTP server:
    --smtp-host and its options, or else SURVEYKIT_SMTP_URL as ``surveykit worker`` reads it.
    Without either, --once only marks overdue cases and counts what waits.
    """
    import os

    from surveykit import cases
    from surveykit import notify as outbox

    from_url = smtp_from_env(sender) if smtp_host is None else None
    if smtp_host is None and from_url is None:
        if not once:
            raise click.UsageError(
                "no SMTP server: give --smtp-host (or SURVEYKIT_SMTP_HOST, or SURVEYKIT_SMTP_URL), or use --once"
            )
        with store(db_url) as engine:
            marked = cases.mark_overdue(engine)
            waiting = outbox.counts(engine)["pending"]
        click.echo(
            f"{len(marked)} case(s) newly overdue; no SMTP server given, {waiting} message(s) wait in the outbox"
        )
        return
    try:
        routing = outbox.Routing.parse(default_to, department_to)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--to / --to-department") from None
    smtp = from_url or outbox.SmtpSettings(
        smtp_host or "", smtp_port, smtp_security, smtp_user, os.environ.get("SURVEYKIT_SMTP_PASSWORD"), sender
    )
    _notify_passes(db_url, smtp, routing, once=once, interval=interval, batch=batch, lease_s=lease_s, base_url=base_url)


def _notify_passes(
    db_url: str,
    smtp: SmtpSettings,
    routing: Routing,
    *,
    once: bool,
    interval: float,
    batch: int,
    lease_s: float,
    base_url: str | None,
) -> None:
    """Mark overdue cases and send what is pending, every ``interval`` seconds until SIGTERM/SIGINT (or once)."""
    import signal
    import threading

    from surveykit import cases
    from surveykit import notify as outbox

    stop = threading.Event()
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    worker = outbox.worker_name()
    with store(db_url) as engine:
        while True:
            marked = cases.mark_overdue(engine)
            stats = outbox.send_pending(
                engine, smtp, routing, worker=worker, batch=batch, lease_s=lease_s, base_url=base_url
            )
            if marked or stats.sent or stats.retried or stats.failed or once:
                click.echo(
                    f"{len(marked)} case(s) newly overdue; sent {stats.sent}, to retry {stats.retried}, "
                    f"failed {stats.failed}"
                )
            if once or stop.wait(interval):
                return


COMMANDS = (serve, invite, unit_links, admin_group, notify, demo)
