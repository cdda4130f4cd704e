"""``surveykit plan size | power``: how many responses a study needs, before fielding it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from surveykit.cli.inputs import load
from surveykit.errors import SurveykitError

MEASURES = {"mean": "mean rating", "top2": "top-2-box share", "nps": "NPS", "index": "0-100 index"}


def _pair(value: str, what: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: write LOW,HIGH, e.g. 1,10", param_hint=what) from None
    return low, high


def _dealers(values: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for value in values:
        name, sep, size = value.partition("=")
        try:
            population = float(size)
        except ValueError:
            population = None
        if not sep or not name.strip() or population is None:
            raise click.BadParameter(f"{value!r}: write DEALER=POPULATION, e.g. D1=1200", param_hint="--dealer")
        out[name.strip()] = population
    return out


def _pilot(path: str, column: str | None) -> float:
    import pandas as pd

    from analysis.planning import pilot_sd

    if column is None:
        raise click.UsageError("--pilot needs --column, the rating column to take the SD from")
    frame = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
    if column not in frame.columns:
        raise SurveykitError(f"{path}: no column {column!r} (columns: {', '.join(map(str, frame.columns[:20]))})")
    try:
        return pilot_sd(frame[column])
    except ValueError as exc:
        raise SurveykitError(f"{path}: {exc}") from None


@click.group()
def plan() -> None:
    """Plan a study: sample size and power by simulation."""


@plan.command()
@click.option(
    "--measure",
    type=click.Choice(list(MEASURES)),
    default="mean",
    show_default=True,
    help="mean rating, top-2-box share, NPS, or the 0-100 index",
)
@click.option(
    "--margin",
    type=click.FloatRange(min=0, min_open=True),
    help="target half-width: scale points (mean), a share such as 0.05 (top2), NPS or index points",
)
@click.option("--n", "n", type=click.IntRange(min=1), help="instead of --margin: the margin this many responses give")
@click.option("--sd", type=click.FloatRange(min=0), help="SD of one rating (mean, index)")
@click.option(
    "--pilot", type=click.Path(dir_okay=False, exists=True), help="pilot data (.csv or .parquet) to take the SD from"
)
@click.option("--column", help="the pilot's rating column")
@click.option(
    "--p", "share", type=click.FloatRange(0, 1), default=0.5, show_default=True, help="expected top-2-box share"
)
@click.option(
    "--promoters", type=click.FloatRange(0, 1), default=0.5, show_default=True, help="expected share of promoters"
)
@click.option(
    "--detractors", type=click.FloatRange(0, 1), default=0.2, show_default=True, help="expected share of detractors"
)
@click.option("--scale", default="1,10", show_default=True, metavar="LOW,HIGH", help="rating scale of the index")
@click.option(
    "--conf", "conf_level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95, show_default=True
)
@click.option(
    "--deff",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="expected design effect (Kish)",
)
@click.option("--population", type=click.FloatRange(min=1), help="population size (finite-population correction)")
@click.option("--dealer", "dealers", multiple=True, metavar="DEALER=N", help="a dealer and its population (repeatable)")
@click.option("--json", "as_json", is_flag=True, help="print the table as JSON")
def size(
    measure: str,
    margin: float | None,
    n: int | None,
    sd: float | None,
    pilot: str | None,
    column: str | None,
    share: float,
    promoters: float,
    detractors: float,
    scale: str,
    conf_level: float,
    deff: float,
    population: float | None,
    dealers: tuple[str, ...],
    as_json: bool,
) -> None:
    """Responses needed for a margin of error (per dealer and in total), or the margin of a given n."""
    from analysis import planning

    if margin is not None and n is not None:
        raise click.UsageError("give --margin (sample size) or --n (margin of error), not both")
    if population is not None and dealers:
        raise click.UsageError("give --population or --dealer, not both")
    if measure in ("mean", "index"):
        if (sd is None) == (pilot is None):
            raise click.UsageError(f"--measure {measure} needs the SD: --sd or --pilot FILE --column COL")
        rating_sd = sd if sd is not None else _pilot(pilot or "", column)
        unit_sd = rating_sd if measure == "mean" else planning.sd_index(rating_sd, _pair(scale, "--scale"))
    elif measure == "top2":
        unit_sd = planning.sd_proportion(share)
    else:
        if promoters + detractors > 1:
            raise click.BadParameter("promoters and detractors add up to more than 1", param_hint="--detractors")
        unit_sd = planning.sd_nps(promoters, detractors)
    if n is not None:
        if population is not None and n > population:
            raise click.BadParameter(f"{n} exceeds the population {population:g}", param_hint="--n")
        moe = planning.margin_of_error(n, unit_sd, conf_level=conf_level, deff=deff, population=population)
        if as_json:
            click.echo(json.dumps({"measure": measure, "n": n, "sd": unit_sd, "margin": moe}))
        else:
            click.echo(
                f"{n:,} responses give a {MEASURES[measure]} within ±{moe:.4g} at {100 * conf_level:g} % "
                f"(SD {unit_sd:.4g}, design effect {deff:g})"
            )
        return
    if margin is None:
        raise click.UsageError("give --margin (sample size) or --n (margin of error)")
    result = planning.sample_size(
        margin,
        unit_sd,
        measure=MEASURES[measure],
        conf_level=conf_level,
        deff=deff,
        population=_dealers(dealers) or population,
    )
    if as_json:
        click.echo(result.to_frame().to_json(orient="records"))
    else:
        click.echo(result.summary())


@plan.command()
@click.argument("questionnaire", type=click.Path(dir_okay=False))
@click.option(
    "--scenario", "scenario_path", required=True, type=click.Path(dir_okay=False), help="the planted effects (YAML)"
)
@click.option(
    "--n-per-dealer",
    type=click.IntRange(min=2),
    default=60,
    show_default=True,
    help="responses per dealer over the whole study",
)
@click.option("--n-grid", default="", metavar="20,40,60", help="several n per dealer: power against n")
@click.option("--reps", type=click.IntRange(min=1), default=500, show_default=True, help="replicates per n")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--chart", type=click.Path(dir_okay=False), help="write the power curve (.svg or .png)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True, help="language of the chart")
@click.option("--loop", is_flag=True, help="run the report's functions replicate by replicate (slow; the reference)")
@click.option("--json", "as_json", is_flag=True, help="print the table as JSON")
def power(
    questionnaire: str,
    scenario_path: str,
    n_per_dealer: int,
    n_grid: str,
    reps: int,
    seed: int,
    chart: str | None,
    lang: str,
    loop: bool,
    as_json: bool,
) -> None:
    """How often the report finds each planted effect of a scenario, by simulation."""
    from analysis import planning, plots
    from surveykit.scenario import load_scenario

    q = load(questionnaire)
    scenario = load_scenario(Path(scenario_path), q)
    try:
        grid = sorted({int(v) for v in n_grid.split(",") if v.strip()}) or [n_per_dealer]
    except ValueError:
        raise click.BadParameter(
            f"{n_grid!r}: write whole numbers separated by commas", param_hint="--n-grid"
        ) from None
    if chart is not None and not chart.endswith((".svg", ".png")):
        raise click.BadParameter("write the chart to a .svg or .png file", param_hint="--chart")
    try:
        result = planning.power(
            q, scenario, n_per_dealer=grid, reps=reps, seed=seed, method="loop" if loop else "vectorised"
        )
    except ValueError as exc:
        raise SurveykitError(str(exc)) from None
    if result.table.empty:
        raise SurveykitError(
            f"{scenario_path}: the scenario plants no effect (effects: dealer, change, servqual_gap, kano_mix)"
        )
    if as_json:
        click.echo(result.to_frame().to_json(orient="records"))
    else:
        click.echo(result.summary())
    if chart is not None:
        fig = plots.power_curve(result.table, lang=lang)
        fig.savefig(chart)
        click.echo(f"wrote the power curve to {chart}")


COMMANDS = (plan,)
