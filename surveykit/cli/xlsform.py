"""The ``xlsform`` commands: questionnaires to and from XLSForm (ODK, KoboToolbox, SurveyCTO, Ona)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from surveykit.cli.inputs import load
from surveykit.errors import SurveykitError
from surveykit.loader import DEFAULT_MAX_BYTES


@click.group("xlsform")
def xlsform_group() -> None:
    """Import an XLSForm as a questionnaire, or export a questionnaire as an XLSForm."""


@xlsform_group.command("import")
@click.argument("form", metavar="FORM.xlsx|.xls", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="the questionnaire to write (default: stdout)")
@click.option(
    "--skip-unsupported",
    is_flag=True,
    help="leave out what has no equivalent (each such row is printed as a warning) instead of failing",
)
@click.option("--language", default=None, help="the language of label columns that name none (e.g. zh, en, ja)")
@click.option("--max-bytes", type=click.IntRange(1), default=DEFAULT_MAX_BYTES, show_default=True, help="YAML size cap")
def import_command(form: str, output: str | None, skip_unsupported: bool, language: str | None, max_bytes: int) -> None:
    """Read FORM's survey, choices and settings sheets and write a questionnaire.

    Anything with no equivalent (a geopoint, a repeat, a relevant that cannot be
    translated…) is listed as FILE:sheet:row and the import fails, unless
    --skip-unsupported; nothing is written then.  The questionnaire written is
    loaded with the project's loader first, so it passes `surveykit validate`.
    """
    from surveykit.xlsform import XLSFormError, import_xlsform

    try:
        result = import_xlsform(form, skip_unsupported=skip_unsupported, language=language, max_bytes=max_bytes)
    except XLSFormError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        if not skip_unsupported and any(p.unsupported for p in exc.problems):
            click.echo("(--skip-unsupported imports the rest and lists these as warnings)", err=True)
        sys.exit(1)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    q = result.questionnaire
    if output:
        try:
            Path(output).write_text(result.yaml, encoding="utf-8")
        except OSError as exc:
            raise SurveykitError(f"cannot write {output}: {exc.strerror or exc}") from None
        click.echo(
            f"{output}: {q.survey}, {len(q.screens())} pages, {len(q.answer_variables())} answer variables, "
            f"languages {', '.join(q.languages)}"
        )
    else:
        click.echo(result.yaml, nl=False)


@xlsform_group.command("export")
@click.argument("file", metavar="Q.yaml", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="the .xlsx to write")
def export_command(file: str, output: str) -> None:
    """Write the questionnaire as an XLSForm that pyxform and ODK tools accept.

    Pages and paired blocks become groups, conditions `relevant`, languages
    label::Name (code) columns.  What XLSForm cannot hold (alerts, scoring…) is
    named on stderr.
    """
    from surveykit.xlsform import export_xlsform

    q = load(file)
    try:
        notes = export_xlsform(q, output)
    except OSError as exc:
        raise SurveykitError(f"cannot write {output}: {exc.strerror or exc}") from None
    for note in notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"wrote {output}")


COMMANDS = (xlsform_group,)
