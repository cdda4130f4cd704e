"""Commands of continuous fielding's data side: API tokens, erasure, response rates.

``admin create-token`` and ``admin revoke-token`` (:data:`ADMIN_COMMANDS`) are added to the
``admin`` group of :mod:`.store` by :mod:`surveykit.cli`; ``erase`` and ``rates`` are top-level.
"""

from __future__ import annotations

from pathlib import Path

import click

from surveykit.cli.inputs import load, reading, store
from surveykit.errors import SurveykitError

_DB = click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")


@click.command("create-token")
@click.argument("name")
@_DB
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    metavar="UNIT",
    help="limit the token to this dealer/branch code (repeatable); without it the token is an admin token",
)
@click.option("--expires-days", type=click.IntRange(1), default=None, help="the token stops working after N days")
def create_token(name: str, db_url: str, scopes: tuple[str, ...], expires_days: int | None) -> None:
    """Make an API token and print it once (only its hash is stored)."""
    from surveykit import apitokens

    with store(db_url) as engine:
        token = apitokens.create_token(engine, name, scopes=scopes, expires_days=expires_days)
    scope = f"units {', '.join(sorted(set(scopes)))}" if scopes else "admin: the whole installation"
    click.echo(f"token {name!r} ({scope}); shown only now, keep it in the DMS's secret store:", err=True)
    click.echo(token)


@click.command("revoke-token")
@click.argument("name")
@_DB
def revoke_token(name: str, db_url: str) -> None:
    """Revoke an API token at once."""
    from surveykit import apitokens

    with store(db_url) as engine:
        changed = apitokens.revoke_token(engine, name)
    click.echo(f"token {name!r} " + ("revoked" if changed else "was already revoked"))


@click.command()
@click.option("--customer-id", required=True, help="the DMS's customer id")
@_DB
def erase(customer_id: str, db_url: str) -> None:
    """Erase a customer's contact data; their answers are unlinked or removed as each survey's privacy: says."""
    from surveykit import contacts
    from surveykit.evidence_purge import configured_folder
    from webform.form_photos import default_folder  # where the web app keeps audit photos by default

    with store(db_url) as engine:
        folder = str(configured_folder() or default_folder())
        result = contacts.erase(engine, customer_id, actor="cli", evidence_dir=folder)
    if not result.found:
        click.echo("no contact with this customer id (recorded in the audit log)")
    elif result.already:
        click.echo("this contact was erased before; nothing left to erase (recorded in the audit log)")
    else:
        click.echo(
            f"erased: {result.invitations} invitation(s) no longer name the customer; "
            f"{result.unlinked} response(s) unlinked, {result.removed} removed"
        )


@click.command()
@click.argument("survey")
@_DB
@click.option("--by", "by", multiple=True, metavar="FIELD", help="also per value of a segment field, or month")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
def rates(survey: str, db_url: str, by: tuple[str, ...], fmt: str) -> None:
    """The invitation funnel and AAPOR response rates (RR1, RR2, COOP1) of SURVEY (an id or a file)."""
    from surveykit import contacts
    from surveykit import rates as rates_

    with reading(db_url) as engine:
        if Path(survey).is_file():
            q = load(survey)
        else:
            with engine.connect() as conn:
                q = contacts.latest_versions(conn).get(survey)  # type: ignore[assignment]
            if q is None:
                raise SurveykitError(f"no survey {survey!r} in this store (give its id or its questionnaire file)")
        try:
            rows = rates_.rates(engine, q, by=by)
        except ValueError as exc:
            raise SurveykitError(str(exc)) from None
    click.echo(rates_.format_rates(rows, fmt), nl=False)


ADMIN_COMMANDS = (create_token, revoke_token)
COMMANDS = (erase, rates)
