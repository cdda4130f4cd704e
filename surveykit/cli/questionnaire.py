"""Commands on questionnaire files: validate, info, schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from surveykit.cli.inputs import load
from surveykit.errors import QuestionnaireError
from surveykit.loader import DEFAULT_MAX_BYTES
from surveykit.translate.texts import missing_by_language

# Seconds a respondent needs, per answer of each type (for `info`'s estimate):
# about 3 words/s reading speed plus the time to choose; Likert items in a
# battery go faster than stand-alone ones.
_SECONDS = {
    "likert": 6,
    "matrix": 4,
    "choice": 8,
    "multi": 10,
    "nps": 6,
    "number": 8,
    "text": 40,
    "date": 8,
    "constant_sum": 30,
    "kano": 7,
    "checklist": 5,
}


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="json: machine-readable problems"
)
@click.option("--max-bytes", type=click.IntRange(1), default=DEFAULT_MAX_BYTES, show_default=True, help="file size cap")
def validate(files: tuple[str, ...], fmt: str, max_bytes: int) -> None:
    """Check questionnaire files; exit 1 if any is invalid."""
    report = []
    for name in files:
        try:
            q = load(name, max_bytes)
            report.append({"file": name, "valid": True, "survey": q.survey, "problems": []})
        except QuestionnaireError as exc:
            missing = missing_by_language(exc.problems)  # a translation in progress: texts left per language
            report.append(
                {
                    "file": name,
                    "valid": False,
                    "problems": [
                        {"line": p.line, "column": p.column, "key": p.key, "message": p.message} for p in exc.problems
                    ],
                    "missing_texts": missing,
                }
            )
            if fmt == "text":
                click.echo(str(exc), err=True)
                for lang, count in missing.items():
                    # every stderr line is file:line:col: (the contract scripts and editors parse); the
                    # count stands at the first text it counts
                    first = next(
                        (
                            p
                            for p in exc.problems
                            if "missing the declared language" in p.message and repr(lang) in p.message
                        ),
                        exc.problems[0],
                    )
                    click.echo(
                        f"{name}:{first.line}:{first.column}: {count} text(s) missing in {lang!r} in this file",
                        err=True,
                    )
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for entry in report:
            if entry["valid"]:
                click.echo(f"{entry['file']}: ok ({entry['survey']})")
    sys.exit(0 if all(entry["valid"] for entry in report) else 1)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--lang", default=None, help="language of the outline (default: the survey's first)")
def info(file: str, lang: str | None) -> None:
    """Print a questionnaire's outline: pages, questions, variables, time."""
    q = load(file)
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
            answers = len(question.rows) if question.type in ("matrix", "checklist") else 1
            seconds += _SECONDS.get(question.type, 8) * answers
            extra = f"  [if {question.visible_if}]" if question.visible_if else ""
            text = question.text.best(lang)
            click.echo(f"  {question.id:<24} {question.type:<12} {text[:60]}{extra}")
    click.echo(f"\n{len(q.answer_variables())} answer variables, {len(q.variables())} columns in all")
    if q.scoring:
        click.echo("scoring: " + ", ".join(f"{c.id} ({c.method}, max {c.maximum:g})" for c in q.scoring.categories))
    if q.alerts:
        click.echo("alerts: " + "; ".join(f"{a.id}: {a.when}" for a in q.alerts))
    click.echo(f"estimated completion time: about {max(1, round(seconds / 60))} min")


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write to a file instead of stdout")
def schema(output: str | None) -> None:
    """Print the JSON Schema (Draft 2020-12) of the questionnaire format."""
    from surveykit.schema import json_schema

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


COMMANDS = (validate, info, schema)
