"""The ``org`` commands: the dealer organisation (units, their names and their history)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from surveykit.cli.inputs import reading, store


@click.group("org")
def org_group() -> None:
    """The dealer organisation: regions, dealers, branches and their names."""


@org_group.command("import")
@click.argument("org_file", metavar="ORG.CSV", type=click.Path(dir_okay=False, exists=True))
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option(
    "--effective",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
    default=None,
    help="when the changes take effect (UTC; default now); not before the last change stored",
)
def import_org(org_file: str, db_url: str, effective: dt.datetime | None) -> None:
    """Make ORG.CSV (columns id,parent,level,name_zh,name_en) the organisation.

    The file is the whole tree and is checked whole: every problem is listed with
    its line and nothing is stored unless there is none.  A unit that moved, was
    renamed or is missing keeps its earlier version for the responses of its time.
    """
    from surveykit.orgfile import apply_org, read_org_file

    units = read_org_file(org_file)
    with store(db_url) as engine:
        summary = apply_org(engine, units, effective=effective)
    click.echo(f"{org_file}: {summary}")


@org_group.command("export")
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="the CSV to write ('-': stdout)")
def export_org(db_url: str, output: str) -> None:
    """Write the current organisation as an organisation file (the format `org import` reads)."""
    from surveykit.orgfile import export_tree

    with reading(db_url) as engine:
        text = export_tree(engine)
    if output == "-":
        click.echo(text, nl=False)
        return
    Path(output).write_text(text, encoding="utf-8-sig")  # the BOM: Excel opens it as UTF-8
    click.echo(f"wrote {text.count(chr(10)) - 1} unit(s) to {output}")


@org_group.command("unknown")
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("--survey", default=None, help="only this survey's responses")
def unknown(db_url: str, survey: str | None) -> None:
    """List the dealer/branch codes of stored responses that the organisation does not know."""
    from surveykit.org import unknown_codes

    with reading(db_url) as engine:
        found = unknown_codes(engine, survey)
    if not found:
        click.echo("every dealer and branch code of the responses is a unit of the organisation")
        return
    for field, codes in found.items():
        for code, count in sorted(codes.items()):
            click.echo(f"{field}\t{code}\t{count} response(s)")


@org_group.command("digest")
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option(
    "--min-n", type=click.IntRange(1), default=10, show_default=True, help="fewest responses a figure is shown for"
)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="default: today (UTC); the digest covers the ISO week before",
)
@click.option(
    "--smtp-host",
    envvar="SURVEYKIT_SMTP_HOST",
    default=None,
    help="env SURVEYKIT_SMTP_HOST; without it the digests are only written",
)
@click.option(
    "--smtp-port", envvar="SURVEYKIT_SMTP_PORT", type=click.IntRange(1, 65535), default=587, show_default=True
)
@click.option(
    "--smtp-security",
    envvar="SURVEYKIT_SMTP_SECURITY",
    type=click.Choice(["starttls", "ssl", "none"]),
    default="starttls",
    show_default=True,
)
@click.option(
    "--smtp-user", envvar="SURVEYKIT_SMTP_USER", default=None, help="the password only from SURVEYKIT_SMTP_PASSWORD"
)
@click.option("--from", "sender", envvar="SURVEYKIT_SMTP_FROM", default="surveykit@localhost", show_default=True)
def digest(
    db_url: str,
    min_n: int,
    today: dt.datetime | None,
    smtp_host: str | None,
    smtp_port: int,
    smtp_security: str,
    smtp_user: str | None,
    sender: str,
) -> None:
    """Write last week's digest of every manager with an e-mail address, once, and mail what waits.

    Run it weekly (cron, Monday morning); a second run in the same week writes nothing twice.
    """
    from surveykit import notify
    from webform import digest as digests

    with store(db_url) as engine:
        written = digests.queue(engine, today=today.date() if today else None, min_n=min_n)
        click.echo(f"{written} digest(s) written")
        if smtp_host is None:
            click.echo("no SMTP server given (--smtp-host or SURVEYKIT_SMTP_HOST): nothing mailed")
            return
        smtp = notify.SmtpSettings(
            smtp_host, smtp_port, smtp_security, smtp_user, os.environ.get("SURVEYKIT_SMTP_PASSWORD"), sender
        )
        stats = digests.send_pending(engine, smtp, worker=notify.worker_name())
    click.echo(f"sent {stats.sent}, to retry {stats.retried}, failed {stats.failed}")


COMMANDS = (org_group,)
