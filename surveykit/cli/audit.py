"""The ``audit`` commands: plan spot checks and mystery shops (:mod:`surveykit.audit_plan`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from surveykit.cli.inputs import reading, store

_DATE = click.DateTime(["%Y-%m-%d"])


@click.group("audit")
def audit_group() -> None:
    """Process audits: plan spot checks and mystery shops of dealers, draw random ones, follow them up."""


@audit_group.command("plan")
@click.argument("plan_file", metavar="PLANS.CSV", type=click.Path(dir_okay=False, exists=True))
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("--by", "created_by", default="cli", show_default=True, help="who planned them (recorded)")
def plan_command(plan_file: str, db_url: str, created_by: str) -> None:
    """Store the plans of PLANS.CSV (columns survey,unit,kind,due and optionally from,auditor,wave).

    kind is covert (a mystery shop) or open (a spot check); dates are YYYY-MM-DD. The file is
    checked whole: every problem is listed as file:line:column and nothing is stored unless there
    is none. The surveys must be audit instruments already in the store (served once, or `invite`).
    """
    from surveykit import audit_plan

    parsed = audit_plan.read_plan_csv(Path(plan_file).read_bytes(), plan_file)
    with store(db_url) as engine:
        try:
            ids = audit_plan.create_plans(
                engine, parsed.requests, created_by=created_by, instruments=audit_plan.audit_instruments(engine)
            )
        except audit_plan.PlanError as exc:
            raise parsed.located(exc) from None
    click.echo(f"{plan_file}: {len(ids)} audit(s) planned")


@audit_group.command("sample")
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("--survey", required=True, help="the audit instrument")
@click.option("-n", "count", type=click.IntRange(1, 5000), required=True, help="how many units to draw")
@click.option("--seed", type=int, required=True, help="the draw's seed (the same seed draws the same units)")
@click.option("--due", type=_DATE, required=True, help="the date the audits are due (YYYY-MM-DD)")
@click.option("--from", "window_from", type=_DATE, default=None, help="the window's first day")
@click.option("--kind", type=click.Choice(["open", "covert"]), default="open", show_default=True)
@click.option("--unit", "units", multiple=True, help="draw within this unit (a region; repeat); default: all")
@click.option("--level", default="dealer", show_default=True, help="the level of the units drawn")
@click.option(
    "--exclude-days",
    type=click.IntRange(0, 3660),
    default=90,
    show_default=True,
    help="leave out units audited in the last N days",
)
@click.option("--wave", default=None)
@click.option("--dry-run", is_flag=True, help="print the units drawn, store nothing")
def sample_command(
    db_url: str,
    survey: str,
    count: int,
    seed: int,
    due: dt.datetime,
    window_from: dt.datetime | None,
    kind: str,
    units: tuple[str, ...],
    level: str,
    exclude_days: int,
    wave: str | None,
    dry_run: bool,
) -> None:
    """Plan random spot checks: N units drawn, stratified by their parent (region), seeded.

    Units audited with SURVEY in the last --exclude-days days, or with a plan of it still to do,
    are left out.
    """
    from surveykit import audit_plan, org

    with store(db_url) as engine:
        today = dt.date.today()
        scope = set(org.expand_units(engine, units)) if units else None
        strata = audit_plan.unit_strata(org.load_tree(engine), scope, level=level)
        since = dt.datetime.combine(today - dt.timedelta(days=exclude_days), dt.time())
        recent = audit_plan.recently_audited(engine, survey, since=since, today=today)
        picked = audit_plan.sample_units(strata, count, seed=seed, exclude=recent)
        click.echo(f"drew {len(picked)} of {len(set(strata) - recent)} eligible unit(s): {', '.join(picked)}")
        if dry_run or not picked:
            return
        requests = [
            audit_plan.PlanRequest(
                survey, unit, kind, due.date(), window_from.date() if window_from else None, None, wave
            )
            for unit in picked
        ]
        ids = audit_plan.create_plans(
            engine, requests, created_by="cli", instruments=audit_plan.audit_instruments(engine)
        )
    click.echo(f"{len(ids)} audit(s) planned")


@audit_group.command("status")
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("--survey", default=None, help="only this audit instrument")
def status_command(db_url: str, survey: str | None) -> None:
    """The plans' completion by unit today: planned, done, overdue, cancelled."""
    from surveykit import audit_plan

    with reading(db_url) as engine:
        plans = audit_plan.list_plans(engine, today=dt.date.today(), survey=survey)
    click.echo("unit\tplanned\tdone\toverdue\tcancelled\tcompletion")
    for c in audit_plan.completion(plans):
        rate = "-" if c.rate is None else f"{c.rate:.0%}"
        click.echo(f"{c.unit}\t{c.planned}\t{c.done}\t{c.overdue}\t{c.cancelled}\t{rate}")


COMMANDS = [audit_group]
