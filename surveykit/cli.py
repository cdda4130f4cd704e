"""The ``surveykit`` command: thin wrappers over library calls.

Exit codes: 0 success, 1 bad input (a :class:`SurveykitError`, printed without
a traceback), 2 a wrong command line.  Any other exception is a bug and keeps
its traceback.  Commands that need the web form or the analysis import them
inside the command, so that the core never depends on them.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from surveykit import __version__
from surveykit.errors import QuestionnaireError, SurveykitError
from surveykit.loader import DEFAULT_MAX_BYTES, load_questionnaire
from surveykit.model import Questionnaire

# Seconds a respondent needs, per answer of each type (for `info`'s estimate):
# about 3 words/s reading speed plus the time to choose; Likert items in a
# battery go faster than stand-alone ones.
_SECONDS = {"likert": 6, "matrix": 4, "choice": 8, "multi": 10, "nps": 6, "number": 8, "text": 40,
            "date": 8, "constant_sum": 30, "kano": 7}


class _Group(click.Group):
    """Prints SurveykitError as a message with exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QuestionnaireError as exc:
            click.echo(str(exc), err=True)
            ctx.exit(1)
        except SurveykitError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="surveykit")
def main() -> None:
    """Customer-satisfaction surveys: questionnaires, web form, analysis, reports."""


def _load(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Questionnaire:
    return load_questionnaire(Path(path), max_bytes=max_bytes)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="json: machine-readable problems")
@click.option("--max-bytes", type=click.IntRange(1), default=DEFAULT_MAX_BYTES, show_default=True, help="file size cap")
def validate(files: tuple[str, ...], fmt: str, max_bytes: int) -> None:
    """Check questionnaire files; exit 1 if any is invalid."""
    report = []
    for name in files:
        try:
            q = _load(name, max_bytes)
            report.append({"file": name, "valid": True, "survey": q.survey, "problems": []})
        except QuestionnaireError as exc:
            report.append({"file": name, "valid": False, "problems": [
                {"line": p.line, "column": p.column, "key": p.key, "message": p.message} for p in exc.problems]})
            if fmt == "text":
                click.echo(str(exc), err=True)
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for entry in report:
            if entry["valid"]:
                click.echo(f"{entry['file']}: ok ({entry['survey']})")
    sys.exit(0 if all(entry["valid"] for entry in report) else 1)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--lang", default=None, help="language of the outline (default: the survey's first)")
def info(file: str, lang: str | None) -> None:
    """Print a questionnaire's outline: pages, questions, variables, time."""
    q = _load(file)
    lang = lang or q.languages[0]
    seconds = 0
    click.echo(f"{q.title.best(lang)}  [{q.survey} v{q.version}]  languages: {', '.join(q.languages)}")
    if q.fields:
        click.echo("segment fields: " + ", ".join(f.id for f in q.fields))
    if q.dimensions:
        click.echo("dimensions: " + ", ".join(f"{d.id} ({d.label.best(lang)})" for d in q.dimensions))
    screens = q.screens()
    for number, screen in enumerate(screens, 1):
        title = screen.title.best(lang) if screen.title else ""
        condition = f"  [if {screen.visible_if}]" if screen.visible_if else ""
        click.echo(f"\npage {number}/{len(screens)}: {screen.id}  {title}{condition}")
        for question in screen.questions:
            answers = len(question.rows) if question.type == "matrix" else 1
            seconds += _SECONDS.get(question.type, 8) * answers
            extra = f"  [if {question.visible_if}]" if question.visible_if else ""
            text = question.text.best(lang)
            click.echo(f"  {question.id:<24} {question.type:<12} {text[:60]}{extra}")
    answers = q.answer_variables()
    click.echo(f"\n{len(answers)} answer variables, {len(q.variables())} columns in all")
    if q.scoring:
        click.echo("scoring: " + ", ".join(f"{c.id} ({c.method}, max {c.maximum:g})" for c in q.scoring.categories))
    if q.alerts:
        click.echo("alerts: " + "; ".join(f"{a.id}: {a.when}" for a in q.alerts))
    click.echo(f"estimated completion time: about {max(1, round(seconds / 60))} min")


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write to a file instead of stdout")
def schema(output: str | None) -> None:
    """Print the JSON Schema (Draft 2020-12) of the questionnaire format."""
    from surveykit.schema import json_schema

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _parse_fields(values: tuple[str, ...]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for value in values:
        name, sep, codes = value.partition("=")
        if not sep or not name or not codes:
            raise click.BadParameter(f"{value!r}: write FIELD=A,B,C", param_hint="--field")
        fields[name.strip()] = [c.strip() for c in codes.split(",") if c.strip()]
    return fields


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-n", "count", type=click.IntRange(0), default=200, show_default=True, help="number of responses")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="out.csv or out.parquet")
@click.option("--missing", type=click.FloatRange(0, 1), default=0.0, show_default=True, help="share of unanswered items")
@click.option("--field", "fields", multiple=True, metavar="FIELD=A,B,C", help="values of a segment field (repeatable)")
@click.option("--waves", default="", metavar="W1,W2", help="wave labels, comma-separated")
@click.option("--careless", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="share of straight-liners and speeders")
def simulate(file: str, count: int, seed: int, output: str | None, missing: float, fields: tuple[str, ...],
             waves: str, careless: float) -> None:
    """Simulate responses from a latent-variable model of the instrument."""
    from surveykit.simulate import simulate as run

    q = _load(file)
    try:
        df = run(q, count, seed=seed, missing=missing, fields=_parse_fields(fields),
                 waves=[w.strip() for w in waves.split(",") if w.strip()] or None, careless=careless)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if output is None:
        click.echo(df.head(10).to_string())
        return
    if output.endswith(".parquet"):
        df.to_parquet(output, index=False)
    elif output.endswith(".csv"):
        df.to_csv(output, index=False, encoding="utf-8", float_format="%.10g")
    else:
        raise click.BadParameter("write to a .csv or .parquet file", param_hint="--output")
    click.echo(f"wrote {len(df):,} simulated responses of {q.survey} to {output}")


@main.command()
@click.argument("questionnaire", type=click.Path(dir_okay=False))
@click.argument("data", type=click.Path(dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="print the whole result as JSON")
@click.option("--keep-all", is_flag=True, help="do not exclude speeders, straight-liners and duplicates")
def analyze(questionnaire: str, data: str, as_json: bool, keep_all: bool) -> None:
    """Run every analysis the questionnaire declares on a CSV or Parquet table."""
    from analysis import analyze as run
    from surveykit.export import read_table

    q = _load(questionnaire)
    try:
        result = run(q, read_table(data, q), exclude=() if keep_all else ("straightlining", "speeder", "duplicate_answers"))
    except ValueError as exc:
        raise SurveykitError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(result.summary())


@main.command("export")
@click.argument("questionnaire", type=click.Path(dir_okay=False))
@click.argument("data", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "sav", "dta", "parquet"]),
              help="default: from the output file's suffix")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="the file to write")
@click.option("--lang", default=None, help="language of the labels (default: the survey's first)")
@click.option("--codebook", "codebook_path", type=click.Path(dir_okay=False), help="also write the codebook (.csv or .html)")
@click.option("--db", "db_url", metavar="URL", help="read the responses from this database instead of DATA")
@click.option("--survey", "survey_id", metavar="ID", help="with --db: the stored survey id (default: the questionnaire's)")
def export_responses(questionnaire: str, data: str | None, fmt: str | None, output: str, lang: str | None,
                     codebook_path: str | None, db_url: str | None, survey_id: str | None) -> None:
    """Write responses (a CSV/Parquet file or a database) as CSV, XLSX, SPSS, Stata or Parquet with labels."""
    import dataclasses
    import warnings

    from surveykit.codebook import write_codebook
    from surveykit.export import FORMATS, ExportWarning, export, read_table

    if (data is None) == (db_url is None):
        raise click.UsageError("give the responses as DATA or --db URL (one of them)")
    fmt = fmt or Path(output).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise click.BadParameter(f"cannot tell the format from {output!r}; use --format", param_hint="--format")
    q = _load(questionnaire)
    if db_url is not None:
        from surveykit import storage

        if survey_id and survey_id != q.survey:
            q = dataclasses.replace(q, survey=survey_id)
        engine = storage.make_engine(db_url)
        try:
            frame = storage.responses_frame(engine, q)
        finally:
            engine.dispose()
    else:
        frame = read_table(data, q)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExportWarning)
        messages = export(frame, q, output, format=fmt, lang=lang)
    for message in messages:
        click.echo(f"warning: {message}", err=True)
    click.echo(f"wrote {len(frame):,} responses of {q.survey} to {output} ({fmt})")
    if codebook_path:
        kind = Path(codebook_path).suffix.lower().lstrip(".")
        write_codebook(q, codebook_path, format="html" if kind in ("html", "htm") else "csv", lang=lang)
        click.echo(f"wrote the codebook to {codebook_path}")
