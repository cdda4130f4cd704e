"""``surveykit translate export | import``, ``surveykit preview`` and ``surveykit print``: writing a questionnaire.

The translation commands work on the YAML file itself (:mod:`surveykit.translate`); the
preview serves the form from the file as it is saved (:mod:`webform.preview`); print writes
the paper version through the report's headless Chromium (:mod:`webform.paper`).
"""

from __future__ import annotations

from pathlib import Path

import click

from surveykit.cli.inputs import writable
from surveykit.errors import SurveykitError
from surveykit.languages import LANGUAGE_TAG

__all__ = ["COMMANDS"]


@click.group()
def translate() -> None:
    """Translate a questionnaire in a spreadsheet (.xlsx) or a gettext catalogue (.po)."""


@translate.command("export")
@click.argument("questionnaire", type=click.Path(dir_okay=False))
@click.option("--to", "target", required=True, help="the language to translate into, e.g. zh-Hant or ja")
@click.option("--from", "source", default=None, help="the language to translate from (default: the first declared)")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="FILE.xlsx or FILE.po")
def translate_export(questionnaire: str, target: str, source: str | None, output: str) -> None:
    """List every text with its key, the source text and any translation so far."""
    from surveykit.translate import export_texts, write_translations

    if not LANGUAGE_TAG.match(target):
        raise click.BadParameter(f"{target!r} is not a language tag such as zh-Hant or ja", param_hint="--to")
    writable(output)
    src, entries = export_texts(questionnaire, target, source=source)
    survey = Path(questionnaire).stem
    try:
        write_translations(output, src, target, entries, survey)
    except OSError as exc:
        raise SurveykitError(f"cannot write {output}: {exc.strerror or exc}") from None
    done = sum(1 for e in entries if e.translation)
    click.echo(f"{output}: {len(entries)} texts from {src} to {target} ({done} already translated)")


@translate.command("import")
@click.argument("questionnaire", type=click.Path(dir_okay=False))
@click.argument("translations", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="the translated YAML")
def translate_import(questionnaire: str, translations: str, output: str) -> None:
    """Write the translations into a copy of the YAML, keeping its comments and key order."""
    from surveykit.loader import load_questionnaire
    from surveykit.translate import import_texts, read_translations

    writable(output)
    try:
        report = import_texts(questionnaire, read_translations(translations), output)
    except OSError as exc:  # reading goes through the loader's reader and the translation reader: this is the write
        raise SurveykitError(f"cannot write {output}: {exc.strerror or exc}") from None
    if report.refused:
        raise SurveykitError(
            f"{translations}: nothing written; "
            + "; ".join(
                f"{translations}:{line}" if line.startswith("row ") else f"{translations}: {line}"
                for line in report.refused
            )
        )
    for line in report.changed:
        click.echo(f"warning: {translations}:{line}", err=True)
    click.echo(f"{output}: {report.applied} texts in {report.target}")
    if report.missing:
        click.echo(
            f"{output}: {len(report.missing)} text(s) still missing in {report.target!r}, e.g. {report.missing[0]}"
        )
        return
    load_questionnaire(output)  # complete: it must load (a problem exits 1 at file:line:col)
    click.echo(f"{output}: ok")


@click.command()
@click.argument("questionnaire", type=click.Path(dir_okay=False, exists=True))
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on (keep it local)")
@click.option("--port", type=click.IntRange(1, 65535), default=5050, show_default=True)
def preview(questionnaire: str, host: str, port: int) -> None:
    """Serve the form from QUESTIONNAIRE on localhost; every save shows at once (an in-memory store)."""
    import ipaddress

    from webform.preview import create_preview_app

    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:  # no login, the author's file and answers: never on the network
        raise click.BadParameter(f"{host!r}: the preview serves on a loopback address only", param_hint="--host")

    app = create_preview_app(questionnaire)
    click.echo(f"preview of {questionnaire}: http://{host}:{port}/preview/  (Ctrl+C stops it)")
    # one thread: the in-memory SQLite store lives in one connection
    app.run(host=host, port=port, threaded=False, use_reloader=False, debug=False)


@click.command("print")
@click.argument("questionnaire", type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="FILE.pdf (or FILE.html)")
@click.option("--lang", default=None, help="the language to print (default: the survey's first)")
def print_command(questionnaire: str, output: str, lang: str | None) -> None:
    """Write the paper version: numbered questions, answer boxes, 'ask if' routing (PDF by headless Chromium)."""
    from surveykit.loader import load_questionnaire
    from webform.paper import print_paper

    q = load_questionnaire(questionnaire)
    if lang is not None and lang not in q.languages:
        raise click.BadParameter(f"{lang!r} is not one of the survey's languages ({', '.join(q.languages)})")
    path = writable(output)
    try:
        print_paper(q, path, lang)
    except RuntimeError as exc:  # no Chromium, or it wrote no PDF
        raise SurveykitError(str(exc)) from None
    except OSError as exc:
        raise SurveykitError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"{output}: {q.survey} v{q.version} on paper")


COMMANDS = [translate, preview, print_command]
