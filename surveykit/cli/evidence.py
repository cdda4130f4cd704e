"""The ``evidence`` commands: the life cycle of audit photos (:mod:`surveykit.evidence_purge`)."""

from __future__ import annotations

from pathlib import Path

import click

from surveykit.cli.inputs import DB, store

__all__ = ["COMMANDS", "evidence_group"]


@click.group("evidence")
def evidence_group() -> None:
    """Audit photos: remove those no response needs any more."""


@evidence_group.command("purge")
@DB
@click.option(
    "--dir",
    "folder",
    envvar="SURVEYKIT_EVIDENCE_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="the evidence folder (env SURVEYKIT_EVIDENCE_DIR; default: the web app's instance folder)",
)
@click.option(
    "--older-than",
    "older_text",
    default="7d",
    show_default=True,
    help="an unsubmitted form's photos are kept this long after its last change (e.g. 7d, 36h)",
)
@click.option("--dry-run", is_flag=True, help="list what would be removed and remove nothing")
def purge_command(db_url: str, folder: Path | None, older_text: str, dry_run: bool) -> None:
    """Remove orphan photos (no response or draft needs them) and those of abandoned drafts.

    Each file removed is printed. The fielding worker does the same on each pass when
    SURVEYKIT_EVIDENCE_DIR is set.
    """
    from surveykit.evidence_purge import purge
    from surveykit.fielding.schedule import parse_duration

    try:
        older_than = parse_duration(older_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    if folder is None:
        from webform.form_photos import default_folder

        folder = default_folder()
    with store(db_url) as engine:
        result = purge(engine, folder, older_than=older_than, dry_run=dry_run)
    click.echo(f"evidence folder {folder}")
    click.echo(result.summary())


COMMANDS = [evidence_group]
