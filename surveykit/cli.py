"""The ``surveykit`` command: thin wrappers over library calls.

Exit codes: 0 success, 1 bad input (a :class:`SurveykitError`, printed without
a traceback), 2 a wrong command line.  Any other exception is a bug and keeps
its traceback.  Commands that need the web form or the analysis import them
inside the command, so that the core never depends on them.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
    click.echo(f"\n{len(q.answer_variables())} answer variables, {len(q.variables())} columns in all")
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
@click.option("--db", "db_url", metavar="URL", help="store them in this database, as real submissions are")
def simulate(file: str, count: int, seed: int, output: str | None, missing: float, fields: tuple[str, ...],
             waves: str, careless: float, db_url: str | None) -> None:
    """Simulate responses from a latent-variable model of the instrument."""
    from surveykit.simulate import simulate as run

    q = _load(file)
    try:
        df = run(q, count, seed=seed, missing=missing, fields=_parse_fields(fields),
                 waves=[w.strip() for w in waves.split(",") if w.strip()] or None, careless=careless)
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
        assert data is not None  # the usage check above: exactly one of DATA and --db
        frame = read_table(data, q)
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


@main.command()
@click.argument("questionnaire", type=click.Path(dir_okay=False))
@click.argument("data", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="report.html")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="default: the survey's first language")
@click.option("--pdf", type=click.Path(dir_okay=False), default=None, help="also print a PDF (needs chromium)")
@click.option("--db", "db_url", default=None, help="read the responses from this database instead of DATA")
@click.option("--keep-all", is_flag=True, help="do not exclude speeders, straight-liners and duplicates")
def report(questionnaire: str, data: str | None, output: str, lang: str | None, pdf: str | None,
           db_url: str | None, keep_all: bool) -> None:
    """Write the management report (one self-contained HTML file) for DATA or --db."""
    from analysis.analyze import DEFAULT_EXCLUDE
    from analysis.report import report_from_store, write_report

    q = _load(questionnaire)
    if (data is None) == (db_url is None):
        raise click.UsageError("give either DATA (a CSV or Parquet file) or --db URL")
    exclude = () if keep_all else DEFAULT_EXCLUDE
    try:
        if db_url is not None:
            with _store(db_url) as engine:
                made = report_from_store(engine, q, lang=lang, exclude=exclude, output=output, pdf=pdf)
            count, timings = made.responses, made.timings
        else:
            from surveykit.export import read_table

            assert data is not None  # the usage check above: exactly one of DATA and --db
            df = read_table(data, q)
            count = len(df)
            timings = write_report(q, df, output, lang=lang, pdf=pdf, exclude=exclude,
                                   filters=f"{Path(data).name}; excluded: {', '.join(exclude) or 'none'}")
    except ValueError as exc:
        raise SurveykitError(str(exc)) from None
    click.echo(f"wrote {output}" + (f" and {pdf}" if pdf else "") +
               f" ({count:,} responses; statistics {timings.statistics_s:.1f} s, charts {timings.charts_s:.1f} s)")


def _engine_for(db_url: str, q: Questionnaire | None = None) -> Any:
    """An engine with the tables created and, when given, the questionnaire registered."""
    from surveykit import storage

    engine = storage.make_engine(db_url)
    storage.init_db(engine)
    if q is not None:
        storage.register_version(engine, q, Path(q.source).read_bytes().decode("utf-8-sig"))
    return engine


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _real_secret(secret: str) -> bool:
    """At least 32 characters and not a placeholder: what a session cookie's signature relies on."""
    from webform import DEV_SECRET_KEY

    return len(secret) >= 32 and len(set(secret)) >= 10 and secret != DEV_SECRET_KEY


@main.command()
@click.argument("questionnaires", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--db", "db_url", envvar="SURVEYKIT_DATABASE_URL", metavar="URL",
              help="default: a SQLite file in the instance folder (env SURVEYKIT_DATABASE_URL)")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="gunicorn sync workers")
def serve(questionnaires: tuple[str, ...], db_url: str | None, host: str, port: int, workers: int) -> None:
    """Serve the web form and the admin pages with gunicorn.

    Off the loopback address it needs SURVEYKIT_SECRET_KEY (32+ random
    characters, e.g. from `python -c "import secrets; print(secrets.token_urlsafe(32))"`).
    Several workers on one SQLite file are safe (WAL); PostgreSQL is the choice
    for several machines.
    """
    import os

    surveys = [_load(path) for path in questionnaires]
    secret = os.environ.get("SURVEYKIT_SECRET_KEY", "")
    if secret and not _real_secret(secret):
        raise SurveykitError("SURVEYKIT_SECRET_KEY is too short or a placeholder: use 32+ random characters")
    if not secret and not _is_loopback(host):
        raise SurveykitError(f"refusing to serve on {host}, a non-loopback address, without SURVEYKIT_SECRET_KEY "
                             "(32+ random characters); the development key would let anyone forge sessions")
    _run_server(questionnaires, surveys, db_url, host, port, workers, secret)


def _access_logger() -> Any:
    """gunicorn's logger with control characters escaped in every access-log field.

    The logged path is decoded: ``/s/x%0AFORGED`` would otherwise write a line of the
    requester's choosing (ASVS 16.4.1).  CR, LF, ESC and the other C0/C1 controls become
    ``\\xNN``.
    """
    import re

    from gunicorn.glogging import Logger

    controls = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

    class AccessLogger(Logger):  # type: ignore[misc]
        def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
            return {name: controls.sub(lambda m: f"\\x{ord(m.group()):02x}", value) if isinstance(value, str)
                    else value for name, value in super().atoms(resp, req, environ, request_time).items()}

    return AccessLogger


def _run_server(paths: tuple[str, ...], surveys: list[Questionnaire], db_url: str | None, host: str, port: int,
                workers: int, secret: str) -> None:
    """gunicorn with one webform app per worker (created after the fork)."""
    from gunicorn.app.base import BaseApplication

    config: dict[str, Any] = {"QUESTIONNAIRES": [str(Path(p).resolve()) for p in paths]}
    if db_url:
        config["DATABASE_URL"] = db_url
    if secret:
        config["SECRET_KEY"] = secret

    class Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints, so the base is Any
        def load_config(self) -> None:
            bind = f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"
            for key, value in {
                "bind": [bind], "workers": workers, "worker_class": "sync", "timeout": 30, "graceful_timeout": 30,
                "accesslog": "-", "control_socket_disable": True,   # one shared path per user: two servers clash
                # the path only: invitation tokens travel in query strings and never reach a log
                "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
                "logger_class": _access_logger(),
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from webform import create_app   # in each worker, after the fork: its own connections

            return create_app(config)

    shown = "localhost" if host in ("0.0.0.0", "::") else host   # nosec B104: naming the URL to open, not binding
    for q in surveys:
        click.echo(f"{q.survey}: http://{shown}:{port}/s/{q.survey}")
    click.echo(f"admin: http://{shown}:{port}/admin/")
    Server().run()


@main.command()
@click.argument("questionnaire", type=click.Path(dir_okay=False, exists=True))
@click.option("--contacts", required=True, type=click.Path(dir_okay=False, exists=True),
              help="CSV (UTF-8), one row per invitation, columns = segment fields")
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True, help="where the survey is served")
@click.option("-o", "--output", default="links.csv", show_default=True, type=click.Path(dir_okay=False),
              help="the links (never overwritten: tokens are shown only once)")
@click.option("--qr-dir", type=click.Path(file_okay=False), help="also write one QR code per link (SVG)")
@click.option("--keep", "keep", multiple=True, metavar="COLUMN",
              help="a contacts column to copy into the links file without storing it (repeatable)")
@click.option("--expires-days", type=click.IntRange(1), default=None, help="links stop working after N days")
def invite(questionnaire: str, contacts: str, db_url: str, base_url: str, output: str, qr_dir: str | None,
           keep: tuple[str, ...], expires_days: int | None) -> None:
    """Create single-use invitation links carrying each contact's segment fields."""
    import csv
    import difflib
    import os
    import re

    from surveykit import storage
    from surveykit.xlsx import FORMULA_START

    q = _load(questionnaire)
    with open(contacts, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        columns = [c.strip() for c in reader.fieldnames or []]
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    known = [f.id for f in q.fields]
    for column in columns:
        if column not in known and column not in keep:
            hint = difflib.get_close_matches(column, known, 1)
            raise SurveykitError(f"{contacts}: column {column!r} is no segment field of {q.survey}"
                                 + (f" (did you mean {hint[0]!r}?)" if hint else "")
                                 + f"; fields: {', '.join(known) or 'none'}; pass --keep {column} to copy it "
                                   "into the links file without storing it")
    if not rows:
        raise SurveykitError(f"{contacts}: no contacts")
    if os.path.exists(output):
        raise SurveykitError(f"{output} exists: links are shown only once, so it is never overwritten")
    try:
        made = storage.create_invitations(_engine_for(db_url, q),
                                          q, [{k: v for k, v in row.items() if k in known} for row in rows],
                                          expires_days=expires_days)
    except ValueError as exc:
        raise SurveykitError(f"{contacts}: {exc}") from None
    risky = re.compile(FORMULA_START)
    copied = [c for c in columns if c in known] + [c for c in columns if c in keep and c not in known]
    header = ["invitation", *copied, "link"] + (["qr"] if qr_dir else [])
    if qr_dir:
        os.makedirs(qr_dir, exist_ok=True)
    # the links are credentials: readable by the owner only
    with os.fdopen(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8-sig",
                   newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row, inv in zip(rows, made):
            link = f"{base_url.rstrip('/')}/s/{q.survey}?t={inv.token}"
            cells = [str(inv.id), *[row.get(c, "") for c in copied], link]
            if qr_dir:
                import segno

                name = os.path.join(qr_dir, f"{q.survey}-{inv.id}.svg")
                segno.make(link, error="m").save(name, kind="svg", scale=4, border=4, title=f"{q.survey} {inv.id}")
                cells.append(name)
            writer.writerow(["'" + c if risky.match(c) else c for c in cells])   # spreadsheet formula injection
    click.echo(f"created {len(made):,} invitations for {q.survey}; links in {output}"
               + (f", QR codes in {qr_dir}" if qr_dir else ""))


@main.group("admin")
def admin_group() -> None:
    """Admin users of the web form."""


@admin_group.command("create-user")
@click.argument("username")
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("--role", type=click.Choice(["admin", "department"]), default="admin", show_default=True)
@click.option("--department", default=None, help="with --role department: which department's cases")
def create_user(username: str, db_url: str, role: str, department: str | None) -> None:
    """Add a user; the password comes from SURVEYKIT_ADMIN_PASSWORD or a prompt, never the command line."""
    import os

    from surveykit import storage

    password = os.environ.get("SURVEYKIT_ADMIN_PASSWORD") or click.prompt(
        "password (10+ characters)", hide_input=True, confirmation_prompt=True)
    try:
        storage.create_user(_engine_for(db_url), username, password, role=role, department=department)
    except ValueError as exc:
        raise SurveykitError(str(exc)) from None
    click.echo(f"created {role} user {username!r}" + (f" ({department})" if department else ""))


@admin_group.command("end-sessions")
@click.argument("username")
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
def end_sessions(username: str, db_url: str) -> None:
    """Log a user out everywhere (for a lost laptop or a leaked password)."""
    from surveykit import storage

    storage.end_sessions(_engine_for(db_url), username)
    click.echo(f"ended every session of {username!r}")


def _store_simulated(q: Questionnaire, df: Any, db_url: str) -> None:
    """Store simulated responses through save_response, the path of a real submission."""
    from surveykit import storage

    engine = _engine_for(db_url, q)
    created = 0
    with click.progressbar(length=len(df), label=f"storing {q.survey}") as bar:
        for start in range(0, len(df), 500):
            chunk = df.iloc[start:start + 500]
            created += sum(r.created for r in storage.save_frame(engine, q, chunk))
            bar.update(len(chunk))
    click.echo(f"stored {created:,} simulated responses of {q.survey} in the database"
               + (f" ({len(df) - created:,} were there already)" if created < len(df) else ""))


def _shipped_dir() -> Path:
    """The shipped instruments: questionnaires/ of a checkout, or the copy inside the wheel."""
    here = Path(__file__).resolve().parent
    for folder in (here.parent / "questionnaires", here / "questionnaires"):
        if folder.is_dir():
            return folder
    raise SurveykitError("the shipped questionnaires are not installed")


@main.command()
@click.option("--dir", "folder", type=click.Path(file_okay=False), default="surveykit-demo", show_default=True,
              help="where the demo keeps its database and reports")
@click.option("-n", "count", type=click.IntRange(0), default=400, show_default=True, help="simulated responses per survey")
@click.option("--port", type=int, default=5077, show_default=True)
@click.option("--serve/--no-serve", default=True, help="start the web server after preparing")
def demo(folder: str, count: int, port: int, serve: bool) -> None:
    """The tour: shipped surveys on SQLite with simulated answers, reports written, the server started."""
    import secrets

    from analysis.report import MIN_RESPONSES, report_from_store
    from surveykit import cases, storage
    from surveykit.simulate import simulate as run

    base = Path(folder).resolve()
    base.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{base / 'demo.sqlite3'}"
    engine = _engine_for(db_url)
    paths = tuple(str(p) for p in sorted(_shipped_dir().glob("*.yaml")))
    surveys = [_load(p) for p in paths]
    for path, q in zip(paths, surveys):
        storage.register_version(engine, q, Path(path).read_text(encoding="utf-8"))
    reports = []
    for q in surveys:
        fields = {f.id: [f"{f.id.upper()[:2]}{i:02d}" for i in range(1, 6)] for f in q.fields[:1]}
        df = run(q, count, seed=2026, missing=0.02, careless=0.03, fields=fields, waves=["2026Q1", "2026Q2", "2026Q3"])
        if "case_id" in df.columns:     # recovery answers come through a closed case's link; simulated ones have none
            df["case_id"] = None
        created = sum(r.created for r in storage.save_frame(engine, q, df))
        stored = storage.responses_frame(engine, q)
        click.echo(f"{q.survey}: {created} new simulated responses stored ({len(stored)} in all)")
        if len(stored) >= MIN_RESPONSES:
            target = base / f"report-{q.survey}.html"
            report_from_store(engine, q, source="demo database", seed=2026, output=target)
            reports.append(target)
    password_file = base / "admin-password.txt"
    if not password_file.exists():
        password = secrets.token_urlsafe(12)
        storage.create_user(engine, "demo", password)
        password_file.write_text(password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
    password = password_file.read_text(encoding="utf-8").strip()
    click.echo("")
    for target in reports:
        click.echo(f"report: {target.as_uri()}")
    click.echo(f"admin login: demo / {password}   (reports are one click away on each survey's admin page)")
    click.echo(f"follow-up cases opened by the alert rules: {len(cases.list_cases(engine, state='active'))} active "
               f"(the case board: http://127.0.0.1:{port}/admin/cases/)")
    if serve:
        # a fresh random key per run: no development-key warning, sessions last as long as the demo
        _run_server(paths, surveys, db_url, "127.0.0.1", port, 2, secrets.token_urlsafe(32))


# -- follow-up cases and their notifications ----------------------------------------------------------

@main.group("cases")
def cases_group() -> None:
    """Follow-up cases opened by the questionnaires' alert rules."""


def _case_filters(f: Any) -> Any:
    for option in reversed([
        click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL"),
        click.option("--dealer", default=None, help="only this dealer's cases"),
        click.option("--department", default=None, help="only this department's cases"),
        click.option("--state", default=None, help="a state, or 'active' / 'closed'"),
        click.option("--overdue/--not-overdue", default=None, help="only cases whose first contact is (not) overdue"),
        click.option("--survey", default=None, help="only cases opened by this survey"),
    ]):
        f = option(f)
    return f


@contextmanager
def _store(db_url: str, q: Questionnaire | None = None) -> Iterator[Any]:
    """An engine for one command, disposed at the end (no connection left to the garbage collector)."""
    engine = _engine_for(db_url, q)
    try:
        yield engine
    finally:
        engine.dispose()


@cases_group.command("list")
@_case_filters
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True, help="language of rule labels")
def cases_list(db_url: str, dealer: str | None, department: str | None, state: str | None, overdue: bool | None,
               survey: str | None, fmt: str, lang: str) -> None:
    """The case board: the most urgent first, closed cases last."""
    from surveykit import cases
    from surveykit.database import utcnow

    try:
        with _store(db_url) as engine:
            found = cases.list_cases(engine, dealer=dealer, department=department, state=state, overdue=overdue,
                                     survey=survey)
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
    click.echo(f"{'case':>6}  {'state':<22} {'priority':<8} {'first contact due':<17} {'dealer':<10} "
               f"{'department':<14} rule")
    for c in found:
        flag = " OVERDUE" if c.overdue(now) else ""
        click.echo(f"{'#' + str(c.id):>6}  {c.state:<22} {c.priority:<8} {c.first_contact_due:%Y-%m-%d %H:%M} "
                   f"{(c.dealer or '–')[:10]:<10} {(c.department or '–')[:14]:<14} {c.label_text(lang)}{flag}")
    click.echo(f"{len(found)} case(s)")


@cases_group.command("show")
@click.argument("case_id", type=int)
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="csv: the history")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True)
def cases_show(case_id: int, db_url: str, fmt: str, lang: str) -> None:
    """One case: its details, the customer's answers and comments, its history and its notifications."""
    from surveykit import cases, notify

    with _store(db_url) as engine:
        case = cases.get_case(engine, case_id)
        events = cases.events_of(engine, case_id)
        response = cases.case_response(engine, case)
        messages = notify.messages_of(engine, case_id)
    try:
        answers = cases.labelled_answers(load_questionnaire(response.yaml_text), response.answers, lang)
    except QuestionnaireError:   # a stored version the loader no longer accepts: raw answers
        answers = [(name, str(value), isinstance(value, str)) for name, value in response.answers.items()]
    if fmt == "json":
        messages = [{k: (v.isoformat() + "Z" if hasattr(v, "isoformat") else v) for k, v in m.items()}
                    for m in messages]
        click.echo(json.dumps({**case.to_dict(), "response": {
            "response_id": response.response_id, "language": response.language, "fields": response.fields,
            "submitted_at": response.submitted_at.isoformat() + "Z", "answers": response.answers,
        }, "events": [e.to_dict() for e in events], "messages": messages}, ensure_ascii=False, indent=1))
        return
    if fmt == "csv":
        columns = ["id", "at", "actor", "kind", "from_state", "to_state", "note"]
        click.echo(cases.csv_text([e.to_dict() for e in events], columns), nl=False)
        return
    state = cases.STATE_LABELS[case.state].best(lang)
    click.echo(f"case #{case.id}: {case.label_text(lang)}  [{case.state} – {state}]")
    overdue = "  OVERDUE" if case.overdue() else ("  (first contact was late)" if case.late_contact else "")
    for name, value in (("survey", case.survey), ("dealer", case.dealer), ("department", case.department),
                        ("priority", case.priority), ("opened", f"{case.created_at:%Y-%m-%d %H:%M} UTC"),
                        ("first contact due", f"{case.first_contact_due:%Y-%m-%d %H:%M} UTC{overdue}"),
                        ("first contact", f"{case.first_contact_at:%Y-%m-%d %H:%M} UTC" if case.first_contact_at else None),
                        ("root cause", cases.ROOT_CAUSES[case.root_cause].best(lang) if case.root_cause else None),
                        ("closed", f"{case.closed_at:%Y-%m-%d %H:%M} UTC" if case.closed_at else None),
                        ("recovery", None if case.recovery_sent_at is None else (
                            "survey sent, not answered yet" if case.recovery_answered_at is None else
                            f"{case.recovery_score:g} of {case.recovery_points}, "
                            + ("recovered" if case.recovered else "not recovered")))):
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
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="json also carries each case's history")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="a file (default: stdout)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True, help="language of rule labels")
def cases_export(db_url: str, dealer: str | None, department: str | None, state: str | None, overdue: bool | None,
                 survey: str | None, fmt: str, output: str | None, lang: str) -> None:
    """Every matching case for scripts and spreadsheets (the columns of cases.cases_frame)."""
    from surveykit import cases
    from surveykit.database import utcnow

    now = utcnow()
    try:
        with _store(db_url) as engine:
            found = cases.list_cases(engine, dealer=dealer, department=department, state=state, overdue=overdue,
                                     survey=survey, now=now)
            history = {c.id: cases.events_of(engine, c.id) for c in found} if fmt == "json" else {}
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--state") from None
    if fmt == "json":
        text = json.dumps([{**c.to_dict(now), "label": c.label_text(lang),
                            "events": [e.to_dict() for e in history[c.id]]} for c in found],
                          ensure_ascii=False, indent=1) + "\n"
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
@click.option("--questionnaire", type=click.Path(dir_okay=False, exists=True), default=None,
              help="the recovery survey (default: the shipped questionnaires/recovery.yaml)")
def cases_recovery(case_id: int, db_url: str, base_url: str, actor: str, expires_days: int,
                   questionnaire: str | None) -> None:
    """Print a single-use link to the one-question recovery survey for a closed case (shown once)."""
    from surveykit import cases

    q = _load(questionnaire or str(cases.recovery_questionnaire_path()))
    with _store(db_url, q) as engine:
        invitation = cases.send_recovery(engine, case_id, q, actor=actor, expires_days=expires_days)
    click.echo(f"{base_url.rstrip('/')}/s/{q.survey}?t={invitation.token}")
    click.echo(f"recovery survey for case #{case_id}: single-use, valid until {invitation.expires_at:%Y-%m-%d}; "
               "the link is shown only this once", err=True)


@main.command()
@click.option("--db", "db_url", required=True, envvar="SURVEYKIT_DATABASE_URL", metavar="URL")
@click.option("--once", is_flag=True, help="one pass (mark overdue cases, send what is pending), then exit")
@click.option("--smtp-host", envvar="SURVEYKIT_SMTP_HOST", default=None, help="env SURVEYKIT_SMTP_HOST")
@click.option("--smtp-port", envvar="SURVEYKIT_SMTP_PORT", type=click.IntRange(1, 65535), default=587,
              show_default=True, help="env SURVEYKIT_SMTP_PORT")
@click.option("--smtp-security", envvar="SURVEYKIT_SMTP_SECURITY", type=click.Choice(["starttls", "ssl", "none"]),
              default="starttls", show_default=True, help="env SURVEYKIT_SMTP_SECURITY")
@click.option("--smtp-user", envvar="SURVEYKIT_SMTP_USER", default=None,
              help="env SURVEYKIT_SMTP_USER; the password only from SURVEYKIT_SMTP_PASSWORD")
@click.option("--from", "sender", envvar="SURVEYKIT_SMTP_FROM", default="surveykit@localhost", show_default=True,
              help="env SURVEYKIT_SMTP_FROM")
@click.option("--to", "default_to", envvar="SURVEYKIT_NOTIFY_TO", multiple=True, metavar="ADDRESS[,ADDRESS]",
              help="who gets every case's mail unless its department has addresses (env SURVEYKIT_NOTIFY_TO)")
@click.option("--to-department", "department_to", envvar="SURVEYKIT_NOTIFY_DEPARTMENTS", multiple=True,
              metavar="DEPARTMENT=ADDRESS[,ADDRESS]", help="a department's addresses (repeatable)")
@click.option("--base-url", envvar="SURVEYKIT_BASE_URL", default=None, help="the admin site, for links to the cases")
@click.option("--interval", type=click.FloatRange(1), default=60, show_default=True, help="seconds between passes")
@click.option("--lease", "lease_s", type=click.FloatRange(1), default=300, show_default=True,
              help="seconds a claimed message stays with this worker before another may take it")
@click.option("--batch", type=click.IntRange(1, 1000), default=20, show_default=True)
def notify(db_url: str, once: bool, smtp_host: str | None, smtp_port: int, smtp_security: str,
           smtp_user: str | None, sender: str, default_to: tuple[str, ...], department_to: tuple[str, ...],
           base_url: str | None, interval: float, lease_s: float, batch: int) -> None:
    """Mark overdue cases and mail the outbox (new and overdue cases) over SMTP.

    Safe to kill at any moment and to run several at once: a message claimed by
    a worker that died is taken up again when its lease runs out.  Without an
    SMTP server, --once only marks overdue cases and counts what waits.
    """
    import os
    import signal
    import threading

    from surveykit import cases
    from surveykit import notify as outbox

    if smtp_host is None:
        if not once:
            raise click.UsageError("no SMTP server: give --smtp-host (or SURVEYKIT_SMTP_HOST), or use --once")
        with _store(db_url) as engine:
            marked = cases.mark_overdue(engine)
            waiting = outbox.counts(engine)["pending"]
        click.echo(f"{len(marked)} case(s) newly overdue; no SMTP server given, {waiting} message(s) wait in the outbox")
        return
    try:
        routing = outbox.Routing.parse(default_to, department_to)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--to / --to-department") from None
    smtp = outbox.SmtpSettings(smtp_host, smtp_port, smtp_security, smtp_user,
                               os.environ.get("SURVEYKIT_SMTP_PASSWORD"), sender)
    stop = threading.Event()
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    worker = outbox.worker_name()
    with _store(db_url) as engine:
        while True:
            marked = cases.mark_overdue(engine)
            stats = outbox.send_pending(engine, smtp, routing, worker=worker, batch=batch, lease_s=lease_s,
                                        base_url=base_url)
            if marked or stats.sent or stats.retried or stats.failed or once:
                click.echo(f"{len(marked)} case(s) newly overdue; sent {stats.sent}, to retry {stats.retried}, "
                           f"failed {stats.failed}")
            if once or stop.wait(interval):
                return
