"""The ``surveykit`` command: thin wrappers over library calls, grouped as in ``surveykit --help``.

=================  ==========================================  ===========================
section            commands                                    module
=================  ==========================================  ===========================
questionnaire      validate, info, schema                      :mod:`.questionnaire`
data               simulate, analyze, export, audit-log, report  :mod:`.data`
store              serve, invite, admin, notify, demo          :mod:`.store`
cases              cases list | show | export | recovery       :mod:`.cases`
planning           plan size | power                           :mod:`.plan`
writing            translate export | import, preview, print   :mod:`.authoring`
organisation       org import | export | unknown               :mod:`.org`
fielding           worker                                      :mod:`.worker`
comments           text code | discover                        :mod:`.text`
authoring          xlsform import | export                     :mod:`.xlsform`
dashboard          aggregates rebuild                          :mod:`.aggregates`
contacts, rates    erase, rates; admin create-token | revoke-token  :mod:`.api`
audits             audit plan | sample | status                :mod:`.audit`
                   evidence purge                              :mod:`.evidence`
=================  ==========================================  ===========================

Exit codes: 0 success, 1 bad input (a :class:`SurveykitError`, printed without
a traceback), 2 a wrong command line.  Any other exception is a bug and keeps
its traceback.  Commands that need the web form or the analysis import them
inside the command, so that the core never depends on them.
"""

from __future__ import annotations

from typing import Any

import click

from surveykit import __version__
from surveykit.cli import (
    aggregates,
    api,
    audit,
    authoring,
    cases,
    data,
    evidence,
    org,
    plan,
    questionnaire,
    store,
    text,
    worker,
    xlsform,
)
from surveykit.errors import QuestionnaireError, SurveykitError

__all__ = ["main"]

SECTIONS = (
    ("Questionnaire", questionnaire.COMMANDS),
    ("Data", data.COMMANDS),
    ("Store", store.COMMANDS),
    ("Cases", cases.COMMANDS),
    ("Planning", plan.COMMANDS),
    ("Writing", authoring.COMMANDS),
    ("Organisation", org.COMMANDS),
    ("Comments", text.COMMANDS),
    ("Authoring", xlsform.COMMANDS),
    ("Dashboard", aggregates.COMMANDS),
    ("Fielding", worker.COMMANDS),
    ("Contacts and rates", api.COMMANDS),
    ("Audits", [*audit.COMMANDS, *evidence.COMMANDS]),
)


class _Group(click.Group):
    """Prints SurveykitError as a message with exit code 1, and lists the commands by section."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QuestionnaireError as exc:
            click.echo(str(exc), err=True)
            ctx.exit(1)
        except SurveykitError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in self.commands)
        for title, commands in SECTIONS:
            with formatter.section(f"{title} commands"):
                formatter.write_dl([(c.name or "", c.get_short_help_str(limit)) for c in commands])


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="surveykit")
def main() -> None:
    """Customer-satisfaction surveys: questionnaires, web form, analysis, reports."""


for _command in api.ADMIN_COMMANDS:
    store.admin_group.add_command(_command)
for _title, _commands in SECTIONS:
    for _command in _commands:
        main.add_command(_command)
