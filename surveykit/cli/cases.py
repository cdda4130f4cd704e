"""The ``cases`` commands: the follow-up cases opened by the questionnaires' alert rules."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from surveykit.cli.inputs import load, store
from surveykit.errors import QuestionnaireError
from surveykit.loader import load_questionnaire

if TYPE_CHECKING:  # the commands import surveykit.cases (pandas, SQLAlchemy) when they run
    from surveykit.cases import Case, CaseEvent, CaseResponse


@click.group("cases")
def cases_group() -> None:
    """Follow-up cases opened by the questionnaires' alert rules."""


def _case_filters(f: Any) -> Any:
    for option in reversed(
        [
            click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL"),
            click.option("--dealer", default=None, help="only this dealer's cases"),
            click.option("--department", default=None, help="only this department's cases"),
            click.option("--state", default=None, help="a state, or 'active' / 'closed'"),
            click.option(
                "--overdue/--not-overdue", default=None, help="only cases whose first contact is (not) overdue"
            ),
            click.option("--survey", default=None, help="only cases opened by this survey"),
        ]
    ):
        f = option(f)
    return f


@cases_group.command("list")
@_case_filters
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True, help="language of rule labels"
)
def cases_list(
    db_url: str,
    dealer: str | None,
    department: str | None,
    state: str | None,
    overdue: bool | None,
    survey: str | None,
    fmt: str,
    lang: str,
) -> None:
    """The case board: the most urgent first, closed cases last."""
    from surveykit import cases
    from surveykit.database import utcnow

    try:
        with store(db_url) as engine:
            found = cases.list_cases(
                engine, dealer=dealer, department=department, state=state, overdue=overdue, survey=survey
            )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--state") from None
    now = utcnow()
    if fmt == "json":
        click.echo(json.dumps([c.to_dict(now) for c in found], ensure_ascii=False, indent=1))
        return
    columns = ["id", "state", "priority", "overdue", "first_contact_due", "dealer", "department", "survey", "alert"]
    rows = [{**c.to_dict(now), "overdue": "yes" if c.overdue(now) else ""} for c in found]
    if fmt == "csv":
        click.echo(cases.csv_text(rows, columns), nl=False)
        return
    if not found:
        click.echo("no cases")
        return
    click.echo(
        f"{'case':>6}  {'state':<22} {'priority':<8} {'first contact due':<17} {'dealer':<10} {'department':<14} rule"
    )
    for c in found:
        flag = " OVERDUE" if c.overdue(now) else ""
        click.echo(
            f"{'#' + str(c.id):>6}  {c.state:<22} {c.priority:<8} {c.first_contact_due:%Y-%m-%d %H:%M} "
            f"{(c.dealer or '–')[:10]:<10} {(c.department or '–')[:14]:<14} {c.label_text(lang)}{flag}"
        )
    click.echo(f"{len(found)} case(s)")


@cases_group.command("show")
@click.argument("case_id", type=int)
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="csv: the history",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True)
@click.option(
    "--personal-data",
    is_flag=True,
    help="show comments as written; by default phone numbers, e-mails, plates and ID numbers are masked",
)
def cases_show(case_id: int, db_url: str, fmt: str, lang: str, personal_data: bool) -> None:
    """One case: its details, the customer's answers and comments, its history and its notifications."""
    from surveykit import cases, notify
    from surveykit.text import mask_personal_data

    with store(db_url) as engine:
        case = cases.get_case(engine, case_id)
        events = cases.events_of(engine, case_id)
        response = cases.case_response(engine, case)
        messages = notify.messages_of(engine, case_id)
    try:
        answers = cases.labelled_answers(load_questionnaire(response.yaml_text), response.answers, lang)
    except QuestionnaireError:  # a stored version the loader no longer accepts: raw answers
        answers = [(name, str(value), isinstance(value, str)) for name, value in response.answers.items()]
    if not personal_data:
        answers = [(label, mask_personal_data(value) if text else value, text) for label, value, text in answers]
        masked = {k: mask_personal_data(v) if isinstance(v, str) else v for k, v in response.answers.items()}
        response = dataclasses.replace(response, answers=masked)
    if fmt == "json":
        click.echo(_case_json(case, response, events, messages))
    elif fmt == "csv":
        columns = ["id", "at", "actor", "kind", "from_state", "to_state", "note"]
        click.echo(cases.csv_text([e.to_dict() for e in events], columns), nl=False)
    else:
        _echo_case(case, response, answers, events, lang)


def _case_json(case: Case, response: CaseResponse, events: list[CaseEvent], messages: list[dict[str, Any]]) -> str:
    """``cases show --format json``: the case, the customer's response, the history and the notifications."""
    messages = [{k: (v.isoformat() + "Z" if hasattr(v, "isoformat") else v) for k, v in m.items()} for m in messages]
    return json.dumps(
        {
            **case.to_dict(),
            "response": {
                "response_id": response.response_id,
                "language": response.language,
                "fields": response.fields,
                "submitted_at": response.submitted_at.isoformat() + "Z",
                "answers": response.answers,
            },
            "events": [e.to_dict() for e in events],
            "messages": messages,
        },
        ensure_ascii=False,
        indent=1,
    )


def _echo_case(
    case: Case, response: CaseResponse, answers: list[tuple[str, str, bool]], events: list[CaseEvent], lang: str
) -> None:
    """``cases show`` as text: the details, the labelled answers, the history."""
    from surveykit import cases

    state = cases.STATE_LABELS[case.state].best(lang)
    click.echo(f"case #{case.id}: {case.label_text(lang)}  [{case.state} – {state}]")
    overdue = "  OVERDUE" if case.overdue() else ("  (first contact was late)" if case.late_contact else "")
    for name, value in (
        ("survey", case.survey),
        ("dealer", case.dealer),
        ("department", case.department),
        ("priority", case.priority),
        ("opened", f"{case.created_at:%Y-%m-%d %H:%M} UTC"),
        ("first contact due", f"{case.first_contact_due:%Y-%m-%d %H:%M} UTC{overdue}"),
        ("first contact", f"{case.first_contact_at:%Y-%m-%d %H:%M} UTC" if case.first_contact_at else None),
        ("root cause", cases.ROOT_CAUSES[case.root_cause].best(lang) if case.root_cause else None),
        ("closed", f"{case.closed_at:%Y-%m-%d %H:%M} UTC" if case.closed_at else None),
        (
            "recovery",
            None
            if case.recovery_sent_at is None
            else (
                "survey sent, not answered yet"
                if case.recovery_answered_at is None
                else f"{case.recovery_score:g} of {case.recovery_points}, "
                + ("recovered" if case.recovered else "not recovered")
            ),
        ),
    ):
        if value:
            click.echo(f"  {name + ':':<19} {value}")
    click.echo(f"\nanswers ({response.language}, submitted {response.submitted_at:%Y-%m-%d %H:%M} UTC):")
    for label, value, _free_text in answers:
        click.echo(f"  {label}: {value}")
    click.echo("\nhistory:")
    for e in events:
        move = f"{e.from_state} → {e.to_state}" if e.kind == "moved" else e.kind
        click.echo(f"  {e.at:%Y-%m-%d %H:%M}  {e.actor:<12} {move}" + (f": {e.note}" if e.note else ""))


@cases_group.command("export")
@_case_filters
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="json also carries each case's history",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="a file (default: stdout)")
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True, help="language of rule labels"
)
def cases_export(
    db_url: str,
    dealer: str | None,
    department: str | None,
    state: str | None,
    overdue: bool | None,
    survey: str | None,
    fmt: str,
    output: str | None,
    lang: str,
) -> None:
    """Every matching case for scripts and spreadsheets (the columns of cases.cases_frame)."""
    from surveykit import cases
    from surveykit.database import utcnow

    now = utcnow()
    try:
        with store(db_url) as engine:
            found = cases.list_cases(
                engine, dealer=dealer, department=department, state=state, overdue=overdue, survey=survey, now=now
            )
            history = {c.id: cases.events_of(engine, c.id) for c in found} if fmt == "json" else {}
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--state") from None
    if fmt == "json":
        text = (
            json.dumps(
                [
                    {**c.to_dict(now), "label": c.label_text(lang), "events": [e.to_dict() for e in history[c.id]]}
                    for c in found
                ],
                ensure_ascii=False,
                indent=1,
            )
            + "\n"
        )
    else:
        rows = [{**c.to_dict(now), "case_id": c.id, "label": c.label_text(lang)} for c in found]
        text = cases.csv_text(rows, list(cases.CASE_COLUMNS))
    if output is None:
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        click.echo(f"wrote {len(found)} case(s) to {output}", err=True)


@cases_group.command("recovery")
@click.argument("case_id", type=int)
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True, help="where the survey is served")
@click.option("--by", "actor", required=True, help="who sends it (recorded in the case history)")
@click.option("--expires-days", type=click.IntRange(1), default=30, show_default=True)
@click.option(
    "--questionnaire",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="the recovery survey (default: the shipped questionnaires/recovery.yaml)",
)
def cases_recovery(
    case_id: int, db_url: str, base_url: str, actor: str, expires_days: int, questionnaire: str | None
) -> None:
    """Print a single-use link to the one-question recovery survey for a closed case (shown once)."""
    from surveykit import cases

    q = load(questionnaire or str(cases.recovery_questionnaire_path()))
    with store(db_url, q) as engine:
        invitation = cases.send_recovery(engine, case_id, q, actor=actor, expires_days=expires_days)
    click.echo(f"{base_url.rstrip('/')}/s/{q.survey}?t={invitation.token}")
    click.echo(
        f"recovery survey for case #{case_id}: single-use, valid until {invitation.expires_at:%Y-%m-%d}; "
        "the link is shown only this once",
        err=True,
    )


COMMANDS = (cases_group,)
