"""Commands on response tables: simulate, analyze, export, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from surveykit.cli.inputs import load, reading, store
from surveykit.errors import SurveykitError
from surveykit.model import Questionnaire

_WEIGHTS = click.option(
    "--weights",
    "weights_path",
    type=click.Path(dir_okay=False, exists=True),
    metavar="MARGINS.yaml",
    help="weight to these population margins (the keys of weighting:; replaces the questionnaire's)",
)


def _weights(q: Questionnaire, path: str | None) -> Any:
    """The margins of ``--weights``, read at file:line:col like the questionnaire; None without it."""
    if path is None:
        return None
    from surveykit.weights import load_weights

    return load_weights(path, q)


def _parse_fields(values: tuple[str, ...]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for value in values:
        name, sep, codes = value.partition("=")
        if not sep or not name or not codes:
            raise click.BadParameter(f"{value!r}: write FIELD=A,B,C", param_hint="--field")
        fields[name.strip()] = [c.strip() for c in codes.split(",") if c.strip()]
    return fields


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-n", "count", type=click.IntRange(0), default=200, show_default=True, help="number of responses")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="out.csv or out.parquet")
@click.option(
    "--missing", type=click.FloatRange(0, 1), default=0.0, show_default=True, help="share of unanswered items"
)
@click.option("--field", "fields", multiple=True, metavar="FIELD=A,B,C", help="values of a segment field (repeatable)")
@click.option("--waves", default="", metavar="W1,W2", help="wave labels, comma-separated")
@click.option(
    "--careless",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="share of straight-liners and speeders",
)
@click.option("--db", "db_url", metavar="URL", help="store them in this database, as real submissions are")
@click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(dir_okay=False),
    metavar="S.yaml",
    help="levels and planted effects (its dealers and waves replace --field of the first field and --waves)",
)
@click.option(
    "--linked",
    "linked_seed",
    type=int,
    default=None,
    metavar="SEED",
    help="dealer levels drawn from SEED on the first field: surveys of the same dealers simulated with one SEED "
    "(customers, staff, audits) go together dealer by dealer; an employee survey's linked department too",
)
@click.option(
    "--linked-staff",
    "linked_staff",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    metavar="ES.yaml",
    help="with --linked: the employee survey whose department links: name this survey; each response gets "
    "the level of the department that serves it",
)
def simulate(
    file: str,
    count: int,
    seed: int,
    output: str | None,
    missing: float,
    fields: tuple[str, ...],
    waves: str,
    careless: float,
    db_url: str | None,
    scenario_path: str | None,
    linked_seed: int | None,
    linked_staff: str | None,
) -> None:
    """Simulate responses from a latent-variable model of the instrument."""
    from surveykit.scenario import load_scenario
    from surveykit.simulate import simulate as run

    q = load(file)
    scenario = load_scenario(Path(scenario_path), q) if scenario_path is not None else None
    field_values = _parse_fields(fields)
    unit_shift, cell_shift = None, None
    if linked_staff is not None and linked_seed is None:
        raise click.UsageError("--linked-staff goes with --linked SEED")
    if linked_seed is not None and q.fields:
        from surveykit.linked import linked_shifts

        first = q.fields[0]
        codes = field_values.get(first.id) or [c for c, _ in first.values] or [f"{first.id}_{i}" for i in range(1, 6)]
        staff = load(linked_staff) if linked_staff is not None else None
        unit_shift, cell_shift = linked_shifts(q, codes, seed=linked_seed, staff=staff)
    try:
        df = run(
            q,
            count,
            seed=seed,
            missing=missing,
            fields=field_values,
            waves=[w.strip() for w in waves.split(",") if w.strip()] or None,
            careless=careless,
            scenario=scenario,
            unit_shift=unit_shift,
            cell_shift=cell_shift,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if db_url is not None:
        _store_simulated(q, df, db_url)
    if output is None:
        if db_url is None:
            click.echo(df.head(10).to_string())
        return
    if output.endswith(".parquet"):
        df.to_parquet(output, index=False)
    elif output.endswith(".csv"):
        df.to_csv(output, index=False, encoding="utf-8", float_format="%.10g")
    else:
        raise click.BadParameter("write to a .csv or .parquet file", param_hint="--output")
    click.echo(f"wrote {len(df):,} simulated responses of {q.survey} to {output}")


@click.command()
@click.argument("questionnaire", type=click.Path(dir_okay=False))
@click.argument("data", type=click.Path(dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="print the whole result as JSON")
@click.option("--keep-all", is_flag=True, help="do not exclude speeders, straight-liners and duplicates")
@_WEIGHTS
def analyze(questionnaire: str, data: str, as_json: bool, keep_all: bool, weights_path: str | None) -> None:
    """Run every analysis the questionnaire declares on a CSV or Parquet table."""
    from analysis import analyze as run
    from analysis.analyze import DEFAULT_EXCLUDE
    from surveykit.export import read_table

    q = load(questionnaire)
    weighting = _weights(q, weights_path)
    try:
        result = run(q, read_table(data, q), exclude=() if keep_all else DEFAULT_EXCLUDE, weighting=weighting)
    except ValueError as exc:
        raise SurveykitError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(result.summary())


@click.command("export")
@click.argument("questionnaire", type=click.Path(dir_okay=False))
@click.argument("data", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "sav", "dta", "parquet"]),
    help="default: from the output file's suffix",
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="the file to write")
@click.option("--lang", default=None, help="language of the labels (default: the survey's first)")
@click.option(
    "--codebook", "codebook_path", type=click.Path(dir_okay=False), help="also write the codebook (.csv or .html)"
)
@click.option("--db", "db_url", metavar="URL", help="read the responses from this database instead of DATA")
@click.option(
    "--survey", "survey_id", metavar="ID", help="with --db: the stored survey id (default: the questionnaire's)"
)
@_WEIGHTS
@click.option("--keep-all", is_flag=True, help="with weights: weight every response (no quality exclusions)")
@click.option(
    "--include-contacts",
    is_flag=True,
    help="with --db, for an admin: add each response's contact (customer id, name, e-mail, phone); "
    "recorded in the audit log (see audit-log)",
)
@click.option(
    "--by", "operator", metavar="NAME", help="with --include-contacts (required): who exports, for the audit log"
)
def export_responses(
    questionnaire: str,
    data: str | None,
    fmt: str | None,
    output: str,
    lang: str | None,
    codebook_path: str | None,
    db_url: str | None,
    survey_id: str | None,
    weights_path: str | None,
    keep_all: bool,
    include_contacts: bool,
    operator: str | None,
) -> None:
    """Write responses (a CSV/Parquet file or a database) as CSV, XLSX, SPSS, Stata or Parquet with labels.

    With --weights, or a questionnaire that declares weighting:, the table gets the labelled weight
    column of ``analyze()`` (responses its quality rules exclude get none, unless --keep-all).
    Contact data (name, e-mail, phone) is never in the table unless --include-contacts asks for it;
    each such export is recorded in the audit log with the operator of --by.
    """
    import dataclasses
    import warnings

    from surveykit.codebook import write_codebook
    from surveykit.export import FORMATS, ExportWarning, export, read_table

    if (data is None) == (db_url is None):
        raise click.UsageError("give the responses as DATA or --db URL (one of them)")
    _check_contact_options(include_contacts, operator, db_url)
    fmt = fmt or Path(output).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise click.BadParameter(f"cannot tell the format from {output!r}; use --format", param_hint="--format")
    q = load(questionnaire)
    if db_url is not None:
        from surveykit import storage

        if survey_id and survey_id != q.survey:
            q = dataclasses.replace(q, survey=survey_id)
        from surveykit.org import named_in_store

        with reading(db_url) as engine:
            frame = storage.responses_frame(engine, q)
            q = named_in_store(engine, q)  # the dealers' names as value labels
    elif data is not None:  # the usage check above: exactly one of DATA and --db
        frame = read_table(data, q)
    if q.anonymous is not None:
        from surveykit.anonymity import mask_units

        frame = mask_units(q, frame, q.anonymous.min_n)
        click.echo(
            f"anonymous survey: units of fewer than {q.anonymous.min_n} responses left blank, times cut to the day",
            err=True,
        )
    weighting = _weights(q, weights_path)
    if weighting is not None or q.weighting is not None:
        from analysis.analyze import DEFAULT_EXCLUDE, weights_for

        try:
            weights = weights_for(q, frame, weighting, exclude=() if keep_all else DEFAULT_EXCLUDE)
        except ValueError as exc:
            raise SurveykitError(str(exc)) from None
        frame = frame.assign(weight=weights)
        unweighted = int(weights.isna().sum())
        if unweighted:
            click.echo(f"{unweighted:,} excluded response(s) have no weight (use --keep-all to weight them)", err=True)
    if include_contacts and db_url is not None and operator is not None:  # _check_contact_options: all or none
        frame = _with_contacts(db_url, frame, q.survey, operator, fmt, output)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExportWarning)
        messages = export(frame, q, output, format=fmt, lang=lang)
    for message in messages:
        click.echo(f"warning: {message}", err=True)
    click.echo(f"wrote {len(frame):,} responses of {q.survey} to {output} ({fmt})")
    if codebook_path:
        kind = Path(codebook_path).suffix.lower().lstrip(".")
        write_codebook(
            q,
            codebook_path,
            format="html" if kind in ("html", "htm") else "csv",
            lang=lang,
            weighted="weight" in frame.columns,
        )
        click.echo(f"wrote the codebook to {codebook_path}")


def _check_contact_options(include_contacts: bool, operator: str | None, db_url: str | None) -> None:
    """--include-contacts needs --db and a non-empty --by; --by alone is a mistake worth saying."""
    if not include_contacts:
        if operator is not None:
            raise click.UsageError("--by names who exports contact data: use it with --include-contacts")
        return
    if db_url is None:
        raise click.UsageError("--include-contacts reads the contacts from the store: give --db URL")
    if operator is None or not operator.strip() or len(operator) > 100 or not operator.isprintable():
        raise click.UsageError("--include-contacts needs --by NAME (1 to 100 printable characters): who exports")


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (a container)
        import os

        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _with_contacts(db_url: str, frame: Any, survey: str, operator: str, fmt: str, output: str) -> Any:
    """The frame with its contacts, the export recorded in the audit log (surveykit.contact_export)."""
    from surveykit.contact_export import add_contacts

    with store(db_url) as engine:  # store: an older database gets its audit_log table first
        frame = add_contacts(
            engine,
            frame,
            survey,
            actor=f"cli:{operator.strip()}",
            via="cli",
            fmt=fmt,
            destination=str(Path(output).resolve()),
            extra={"os_user": _os_user()},
        )
    found = int(frame["contact_customer_id"].notna().sum())
    click.echo(f"contact data of {found:,} response(s) included; recorded in the audit log", err=True)
    return frame


@click.command("audit-log")
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("--action", default=None, help="only this action (export_contacts, erase, purge)")
@click.option("--last", "limit", type=click.IntRange(1), default=None, metavar="N", help="only the last N records")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def audit_log(db_url: str, action: str | None, limit: int | None, fmt: str) -> None:
    """Print the audit log of personal data: exports with contact data, erasures, purges (oldest first)."""
    import sqlalchemy as sa

    from surveykit.contact_export import audit_records, format_records

    with reading(db_url) as engine:  # reading only: a mistyped URL must not create an empty store
        if not sa.inspect(engine).has_table("audit_log"):
            raise SurveykitError(f"{engine.url.render_as_string()}: not a surveykit store with an audit log")
        records = audit_records(engine, action=action, limit=limit)
    click.echo(format_records(records, fmt), nl=False)


@click.command()
@click.argument("questionnaire", type=click.Path(dir_okay=False))
@click.argument("data", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="report.html")
@click.option("--lang", default=None, help="any language the survey declares (default: its first)")
@click.option("--pdf", type=click.Path(dir_okay=False), default=None, help="also print a PDF (needs chromium)")
@click.option("--db", "db_url", default=None, help="read the responses from this database instead of DATA")
@click.option("--keep-all", is_flag=True, help="do not exclude speeders, straight-liners and duplicates")
@_WEIGHTS
@click.option(
    "--mirror",
    "mirror_paths",
    nargs=2,
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    metavar="STAFF.yaml STAFF_DATA",
    help="a staff mirror survey (mirror_of: this one) and its responses: adds gap 1 (--db finds a stored one)",
)
@click.option(
    "--customers",
    "customer_paths",
    nargs=2,
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    metavar="CS.yaml CS_DATA",
    help="a customer survey of the same dealers and its responses: links an audit's or employee survey's units "
    "to customer satisfaction (--db finds a stored one)",
)
def report(
    questionnaire: str,
    data: str | None,
    output: str,
    lang: str | None,
    pdf: str | None,
    db_url: str | None,
    keep_all: bool,
    weights_path: str | None,
    mirror_paths: tuple[str, str] | None,
    customer_paths: tuple[str, str] | None,
) -> None:
    """Write the management report (one self-contained HTML file) for DATA or --db."""
    from analysis.analyze import DEFAULT_EXCLUDE
    from analysis.report import ReportFilters, report_from_store, write_report

    q = load(questionnaire)
    if (data is None) == (db_url is None):
        raise click.UsageError("give either DATA (a CSV or Parquet file) or --db URL")
    if lang is not None and lang not in q.languages:
        raise click.BadParameter(f"{lang!r} is not one of the survey's languages ({', '.join(q.languages)})")
    exclude = () if keep_all else DEFAULT_EXCLUDE
    weighting = _weights(q, weights_path)
    try:
        if db_url is not None:
            from surveykit.org import named_in_store

            with reading(db_url) as engine:
                made = report_from_store(
                    engine,
                    named_in_store(engine, q),  # the dealers by name
                    lang=lang,
                    exclude=exclude,
                    output=output,
                    pdf=pdf,
                    weighting=weighting,
                )
            count, timings = made.responses, made.timings
        elif data is not None:  # the usage check above: exactly one of DATA and --db
            from surveykit.export import read_table

            df = read_table(data, q)
            count = len(df)
            mirror = None
            if mirror_paths:
                staff_q = load(mirror_paths[0])
                mirror = (staff_q, read_table(mirror_paths[1], staff_q))
            customers = None
            if customer_paths:
                cs_q = load(customer_paths[0])
                customers = (cs_q, read_table(customer_paths[1], cs_q))
            timings = write_report(
                q,
                df,
                output,
                lang=lang,
                pdf=pdf,
                exclude=exclude,
                filters=ReportFilters(Path(data).name, exclude),
                weighting=weighting,
                mirror=mirror,
                customers=customers,
            )
    except ValueError as exc:
        raise SurveykitError(str(exc)) from None
    click.echo(
        f"wrote {output}"
        + (f" and {pdf}" if pdf else "")
        + f" ({count:,} responses; statistics {timings.statistics_s:.1f} s, charts {timings.charts_s:.1f} s)"
    )


def _store_simulated(q: Questionnaire, df: Any, db_url: str) -> None:
    """Store simulated responses through save_response, the path of a real submission."""
    from surveykit import storage

    created = 0
    with store(db_url, q) as engine, click.progressbar(length=len(df), label=f"storing {q.survey}") as bar:
        for start in range(0, len(df), 500):
            chunk = df.iloc[start : start + 500]
            created += sum(r.created for r in storage.save_frame(engine, q, chunk))
            bar.update(len(chunk))
    click.echo(
        f"stored {created:,} simulated responses of {q.survey} in the database"
        + (f" ({len(df) - created:,} were there already)" if created < len(df) else "")
    )


COMMANDS = (simulate, analyze, export_responses, audit_log, report)
