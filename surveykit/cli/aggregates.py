"""The ``aggregates`` command: recompute the dashboard's additive sums from the raw responses."""

from __future__ import annotations

import time

import click

from surveykit.cli.inputs import store


@click.group("aggregates")
def aggregates_group() -> None:
    """The dashboard's per-unit, per-day sums (kept by every submit)."""


@aggregates_group.command("rebuild")
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("--survey", default=None, help="only this survey (default: every survey in the store)")
def rebuild(db_url: str, survey: str | None) -> None:
    """Recompute the sums from the stored responses, in one transaction.

    Needed after loading responses around the submit path (a bulk import, a
    restore from a dump taken before the table existed); submits and erasures
    keep the sums exact by themselves.
    """
    from surveykit import aggregates

    began = time.perf_counter()
    with store(db_url) as engine:
        written = aggregates.rebuild(engine, survey)
    click.echo(f"{written} aggregate rows written in {time.perf_counter() - began:.1f} s")


COMMANDS = (aggregates_group,)
