"""The management dashboard under ``/admin/dashboard/``: a programme overview and a page per survey.

Server-rendered like the other admin pages (no script, the site's CSP), in Chinese and English.
Every figure comes from the aggregates (:mod:`webform.dashboard.figures`), so a page costs a
few indexed queries over per-day sums whatever the number of responses; what needs the raw
answers (the improvement priorities of a selection, the full report) runs in the background
(:mod:`webform.dashboard.jobs`) and the page shows its state.

Who sees what: admins and analysts every unit; a manager their units and everything below
(:mod:`webform.dashboard.units`, on :mod:`surveykit.org`); a unit outside the scope is a 404.
The full report covers every unit, so it is for admins and analysts only.

Settings: ``DASHBOARD_MIN_N`` (default 10), the fewest responses a figure is shown for (an
anonymous survey's ``anonymous.min_n`` when larger, :func:`surveykit.anonymity.min_n`);
``DASHBOARD_CACHE_S`` (default 60: how long the figures of a selection of many units, the whole
network, are reused; 0 computes every page afresh); ``DASHBOARD_PRIORITIES`` (default True: compute each selection's improvement priorities in the
background; they read raw rows) and ``DASHBOARD_PRIORITIES_MAX_AGE_S`` (600: how often per
selection); ``DASHBOARD_JOB_THREADS`` and ``DASHBOARD_JOB_TIMEOUT_S``
(:mod:`webform.dashboard.jobs`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import threading
import time
from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from surveykit import aggregates, aggregates_org, anonymity
from surveykit.cells import escape_formula
from surveykit.database import responses, utcnow
from surveykit.model import Questionnaire
from surveykit.xlsx import write_xlsx
from webform import db
from webform.admin_pages import language_context, render_page
from webform.auth import role_required
from webform.dashboard import figures, jobs, messages, svg
from webform.dashboard.periods import KINDS, Period, parse_period
from webform.dashboard.units import Selection, select_unit
from webform.errors import fail
from webform.i18n import translate

__all__ = ["bp", "init_app"]

bp = Blueprint("dashboard", __name__, url_prefix="/admin/dashboard")
bp.before_request(language_context)

VIEWERS = ("admin", "analyst", "manager")
REPORTERS = ("admin", "analyst")  # read the full report; only an admin starts one (an analyst changes nothing)
_DOWNLOADS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CACHE_MIN_CODES = 300  # a selection of fewer unit codes is always computed afresh
ORG_AUTO_REBUILD = 20_000  # responses: a larger survey's organisation rows are rebuilt by the command
_SORTS = ("name", "n", "index", "change", "nps", "top2", "funnel", "open")


def init_app(app: Flask) -> None:
    """Register the blueprint and the dashboard's strings."""
    messages.register()
    app.config.setdefault("DASHBOARD_MIN_N", 10)
    app.config.setdefault("DASHBOARD_PRIORITIES", True)
    app.config.setdefault("DASHBOARD_CACHE_S", 60)
    app.config.setdefault("DASHBOARD_PRIORITIES_MAX_AGE_S", 600)
    app.register_blueprint(bp)


def _min_n(q: Questionnaire | None = None) -> int:
    floor = max(1, int(current_app.config["DASHBOARD_MIN_N"]))
    return floor if q is None else anonymity.min_n(q, floor)


def _survey(survey_id: str) -> Questionnaire:
    entry = db.registry().survey(survey_id)
    if entry is None:
        fail(404)
    return entry[0]


def _period(q: Questionnaire | None) -> Period:
    wave_days = None
    if q is not None:
        survey = q.survey

        def wave_days(wave: str) -> tuple[dt.date, dt.date] | None:
            r = responses.c
            stmt = sa.select(sa.func.min(r.submitted_at), sa.func.max(r.submitted_at)).where(
                r.survey == survey, r.wave == wave
            )
            with db.engine().connect() as conn:
                first, last = conn.execute(stmt).one()
            return (first.date(), last.date()) if first is not None else None

    return parse_period(request.args, utcnow().date(), wave_days)


def _selection(qs: list[Questionnaire], period: Period) -> Selection:
    """The selected unit (``?unit=``) for the user; the flat list of codes is read from the aggregates."""

    def codes_met() -> list[str]:
        found: set[str] = set()
        with db.engine().connect() as conn:
            for q in qs:
                for name in figures.unit_fields(q)[:1]:
                    rows = figures.aggregates.sums(
                        conn, q.survey, unit_field=name, days=period.days, variables=["_responses"], by=("unit",)
                    )
                    found |= {r["unit"] for r in rows}
        return sorted(found)

    top = translate("dash_all_units" if g.admin.role != "manager" else "dash_my_units", g.lang)
    return select_unit(db.engine(), g.admin, request.args.get("unit", "")[:200], g.lang, top, codes_met)


def _args(period: Period, unit: str, **extra: str) -> dict[str, Any]:
    args: dict[str, Any] = period.query()
    if unit:
        args["unit"] = unit
    return {**args, **extra}


def _fmt(value: float | None, digits: int = 1, signed: bool = False) -> str:
    if value is None or math.isnan(value):
        return ""
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


@bp.get("/")
@role_required(*VIEWERS)
def overview() -> BaseResponse:
    """Every survey's headline tiles for the selected unit and period."""
    registry = db.registry()
    qs = [q for _sid, (q, _v) in sorted(registry.current.items())]
    period = _period(None)
    sel = _selection(qs, period)
    now = utcnow()
    rows = []
    with db.engine().connect() as conn:
        for q in qs:
            units = figures.org_units(sel) if _org_rows(conn, q, sel) else None
            hidden = figures.withheld(conn, q, sel.unit, period, _min_n(q))
            headline = figures.tile_figures(conn, q, sel.codes, period, _min_n(q), now, units, hidden)
            rows.append({"q": q, "title": q.title.best(g.lang), "tiles": {t.key: t for t in headline}})
    return render_page(
        "dashboard/overview.html",
        sel=sel,
        period=period,
        rows=rows,
        kinds=KINDS,
        min_n=_min_n(),
        args=lambda unit, **extra: _args(period, unit, **extra),
        to=lambda unit: url_for("dashboard.overview", **_args(period, unit)),
        fmt=_fmt,
    )


_cache: dict[tuple[Any, ...], tuple[float, figures.Figures]] = {}
_cache_lock = threading.Lock()


def _org_rows(conn: Any, q: Questionnaire, sel: Selection) -> bool:
    """Whether the organisation's rows (:mod:`surveykit.aggregates_org`) can stand for the selection.

    They can when they were rebuilt for the organisation as it is now.  When not (an import since),
    a survey of up to :data:`ORG_AUTO_REBUILD` responses has them rebuilt in the background; a larger
    one waits for ``surveykit aggregates rebuild`` (a rebuild holds off submits while it writes), and
    its pages sum dealer codes meanwhile, with the same figures but slower.
    """
    if sel.flat:
        return False
    if aggregates_org.ready(conn, q.survey):
        return True
    count = sum(r["n"] for r in aggregates.sums(conn, q.survey, variables=[aggregates.RESPONSES], by=("variable",)))
    if count <= ORG_AUTO_REBUILD:
        engine, survey = db.engine(), q.survey
        key = jobs.job_key("org-rows", survey, aggregates_org.org_version(conn))
        jobs.start(key, lambda: str(aggregates.rebuild_org(engine, survey)).encode("ascii"))
    return False


def _figures(conn: Any, q: Questionnaire, sel: Selection, period: Period, min_n: int) -> figures.Figures:
    """:func:`figures.survey_figures`, from the organisation's rows when they are current (:func:`_org_rows`).

    Otherwise the page sums dealer codes, and the whole network's (a second at a million responses
    on SQLite) is kept ``DASHBOARD_CACHE_S`` seconds for a selection of many codes: its figures move
    by a handful of responses in a minute (per process, keyed by survey version, selection, period
    and minimum n).
    """
    if _org_rows(conn, q, sel):
        return figures.survey_figures(conn, q, sel, period, min_n, utcnow(), org=True)
    ttl = float(current_app.config["DASHBOARD_CACHE_S"])
    codes = sum(len(c) for _u, _n, c in sel.children)
    if ttl <= 0 or codes < CACHE_MIN_CODES:
        return figures.survey_figures(conn, q, sel, period, min_n, utcnow())
    key = (q.survey, q.sha256, sel.unit, sel.codes, tuple(u for u, _n, _c in sel.children), period, min_n, g.lang)
    now = time.monotonic()
    with _cache_lock:
        found = _cache.get(key)
    if found is not None and now - found[0] < ttl:
        return found[1]
    figs = figures.survey_figures(conn, q, sel, period, min_n, utcnow())
    with _cache_lock:
        for stale in [k for k, (at, _f) in _cache.items() if now - at >= ttl]:
            del _cache[stale]
        _cache[key] = (now, figs)
    return figs


def _sorted(rows: list[figures.Row], key: str, desc: bool) -> list[figures.Row]:
    def value(r: figures.Row) -> Any:
        if key == "name":
            return r.name
        if key == "open":
            return r.open_cases
        if r.suppressed:
            return -math.inf
        return {
            "n": r.n,
            "index": r.index.mean,
            "change": r.change.diff if r.change else -math.inf,
            "nps": r.nps.nps,
            "top2": r.top2.pct,
            "funnel": {"below": 0, "within": 1, "above": 2}.get(r.funnel, -1),
        }[key]

    shown = [r for r in rows if not r.suppressed or key in ("name", "open")]
    hidden = [r for r in rows if r.suppressed and key not in ("name", "open")]
    shown.sort(key=lambda r: (value(r), r.name), reverse=desc)
    return shown + sorted(hidden, key=lambda r: r.name)


@bp.get("/s/<survey_id>")
@role_required(*VIEWERS)
def survey(survey_id: str) -> BaseResponse:
    """One survey for the selected unit and period: tiles, the child units, the trend, priorities, comments."""
    q = _survey(survey_id)
    period = _period(q)
    sel = _selection([q], period)
    min_n = _min_n(q)
    with db.engine().connect() as conn:
        figs = _figures(conn, q, sel, period, min_n)
        enough = not next(t for t in figs.headline if t.key == "responses").suppressed
        comments = figures.latest_comments(conn, q, sel.codes, period) if enough else []
    if q.anonymous is not None:  # the words only: a date, a unit or a score beside them narrows the writer down
        comments = [{**c, "at": None, "fields": {}, "sat": None, "nps": None} for c in comments]
    sort = request.args.get("sort", "index")
    sort = sort if sort in _SORTS else "index"
    desc = request.args.get("dir", "asc") == "desc"
    rows = _sorted(figs.rows, sort, desc)
    priorities = None
    if not current_app.config["DASHBOARD_PRIORITIES"]:
        priorities = {"status": "off"}
    elif enough:
        priorities = _priorities(q, sel, period)
    trend_label = translate(
        "dash_trend_label",
        g.lang,
        first=figs.trend[0][0].isoformat() if figs.trend else "",
        last=period.last.isoformat(),
    )
    return render_page(
        "dashboard/survey.html",
        q=q,
        title=q.title.best(g.lang),
        sel=sel,
        period=period,
        figs=figs,
        rows=rows,
        sort=sort,
        desc=desc,
        enough=enough,
        comments=comments,
        priorities=priorities,
        kinds=KINDS,
        min_n=min_n,
        trend=svg.trend_chart(figs.trend, trend_label) if figs.trend and any(s for _d, s in figs.trend) else None,
        spark=lambda r: svg.sparkline(r.spark, translate("dash_spark_label", g.lang, n=len(r.spark))),
        args=lambda unit, **extra: _args(period, unit, **extra),
        to=lambda unit: url_for("dashboard.survey", survey_id=q.survey, **_args(period, unit)),
        fmt=_fmt,
        field_label=lambda fid: next((f.label.best(g.lang) for f in q.fields if f.id == fid), fid),
        can_report=g.admin.role == "admin",
    )


# -- downloads -----------------------------------------------------------------------------------------


def _table(q: Questionnaire, sel: Selection, period: Period) -> pd.DataFrame:
    """The child-unit table as a download: suppressed rows keep the unit and say why, without a figure."""
    min_n = _min_n(q)
    with db.engine().connect() as conn:
        figs = _figures(conn, q, sel, period, min_n)
    lang = g.lang
    out = []
    for r in figs.rows:
        row: dict[str, Any] = {
            translate("dash_unit", lang): r.unit,
            translate("dash_sort_name", lang): r.name,
            translate("dash_period", lang): f"{period.start.isoformat()}/{period.last.isoformat()}",
        }
        suppressed = translate("dash_not_enough", lang) if r.suppressed else ""
        row[translate("dash_responses", lang)] = None if r.suppressed else r.n
        row[translate("dash_index", lang)] = None if r.suppressed else round(r.index.mean, 2)
        row[translate("dash_change", lang)] = None if r.suppressed or r.change is None else round(r.change.diff, 2)
        row["p (Holm)"] = None if r.suppressed or r.change is None else r.change.p_holm
        row[translate("dash_nps", lang)] = None if r.suppressed or not r.nps.n else round(r.nps.nps, 2)
        row[translate("dash_top2", lang)] = None if r.suppressed or not r.top2.n else round(r.top2.pct, 2)
        row[translate("dash_funnel", lang)] = translate(f"dash_{r.funnel}", lang) if r.funnel else None
        row[translate("dash_open_cases", lang)] = r.open_cases
        row[translate("dash_overdue_cases", lang)] = r.overdue_cases
        row[translate("dash_not_enough", lang)] = suppressed
        out.append(row)
    return pd.DataFrame(out)


@bp.get("/s/<survey_id>/units.<fmt>")
@role_required(*VIEWERS)
def download(survey_id: str, fmt: str) -> BaseResponse:
    """The child-unit table as CSV (UTF-8 with a BOM, formulas escaped) or XLSX, suppressed like the page."""
    if fmt not in _DOWNLOADS:
        fail(404)
    q = _survey(survey_id)
    period = _period(q)
    sel = _selection([q], period)
    frame = _table(q, sel, period)
    buffer = io.BytesIO()
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(frame.columns)
        for values in frame.itertuples(index=False):
            writer.writerow(
                [
                    ""
                    if v is None or (isinstance(v, float) and math.isnan(v))
                    else escape_formula(v)
                    if isinstance(v, str)
                    else v
                    for v in values
                ]
            )
        buffer.write(("\ufeff" + text.getvalue()).encode("utf-8"))
    else:
        write_xlsx(buffer, [(q.survey[:31], frame, set(), True)], [])
    name = f"{q.survey}-{sel.unit or 'all'}-{period.start.isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(buffer.getvalue(), headers=headers, content_type=_DOWNLOADS[fmt])


# -- background work ------------------------------------------------------------------------------------


def _priorities(q: Questionnaire, sel: Selection, period: Period) -> dict[str, Any]:
    """The selection's improvement priorities: computed in the background, at most every
    ``DASHBOARD_PRIORITIES_MAX_AGE_S`` seconds (600) per selection, the last result shown meanwhile.

    Keyed without the data: on a survey that receives responses every minute, a key that changed
    with each of them would recompute the raw analysis on every page view.
    """
    engine, lang = db.engine(), g.lang
    codes = None if sel.codes is None else sorted(sel.codes)
    key = jobs.job_key(
        "priorities", q.survey, q.sha256, json.dumps(codes), period.start.isoformat(), period.end.isoformat(), lang
    )
    max_age = float(current_app.config["DASHBOARD_PRIORITIES_MAX_AGE_S"])
    min_n = _min_n(q)
    job = jobs.start(key, lambda: _compute_priorities(engine, q, codes, period, lang, min_n), max_age=max_age)
    result = jobs.read_result(key)
    if result is not None:
        return {"status": "done", "items": json.loads(result)}
    return {"status": job.status, "items": []}


def _compute_priorities(
    engine: Any, q: Questionnaire, codes: list[str] | None, period: Period, lang: str, min_n: int = 1
) -> bytes:
    """analysis.priorities.improvement_priorities over the selection's raw responses (the report's function).

    Only the selection's rows are read (its period and codes, in SQL).
    """
    from analysis import analyze
    from analysis.priorities import improvement_priorities
    from surveykit.org import load_tree
    from surveykit.response_table import responses_frame

    r = responses.c
    first, end = (dt.datetime.combine(day, dt.time()) for day in (period.start, period.end))
    where = sa.and_(r.submitted_at >= first, r.submitted_at < end)
    if codes is not None:
        fields = figures.unit_fields(q)
        where = sa.and_(where, sa.or_(*(r.fields[f].as_string().in_(codes) for f in fields)) if fields else sa.false())
    part = responses_frame(engine, q, where=where)
    if q.anonymous is not None:  # a priority may name a unit (the funnel): never one below min_n
        part = anonymity.mask_units(q, part, anonymity.min_n(q, min_n))
    if len(part) < 2:
        return b"[]"
    tree = load_tree(engine)
    found = improvement_priorities(q, analyze(q, part), lang=lang)
    items = [
        {"kind": p.kind, "label": tree.name(p.label, lang) if p.kind == "funnel" else p.label, "severity": p.severity}
        for p in found
    ]
    return json.dumps(items, ensure_ascii=False).encode("utf-8")


def _report_lang(q: Questionnaire) -> str:
    return g.lang if g.lang in q.languages else q.languages[0]


def _report_key(q: Questionnaire) -> str:
    return jobs.job_key("report", q.survey, q.sha256, jobs.data_fingerprint(db.engine(), q.survey), _report_lang(q))


@bp.post("/s/<survey_id>/report")
@role_required("admin")
def report_start(survey_id: str) -> BaseResponse:
    """Start the full report in the background (or find it done) and go to its state page."""
    q = _survey(survey_id)
    engine = db.engine()
    lang = g.lang if g.lang in q.languages else None

    def compute() -> bytes:
        from analysis.report import report_from_store

        return report_from_store(engine, q, lang=lang).html.encode("utf-8")

    jobs.start(_report_key(q), compute, name=f"report-{q.survey}-{_report_lang(q)}")
    return redirect(url_for("dashboard.report_state", survey_id=survey_id), 303)


@bp.get("/s/<survey_id>/report")
@role_required(*REPORTERS)
def report_state(survey_id: str) -> BaseResponse:
    """The report's state: waiting, running (the page refreshes itself), ready with a link, or failed."""
    q = _survey(survey_id)
    key = _report_key(q)
    job = jobs.state(key)
    done = jobs.latest(f"report-{q.survey}-{_report_lang(q)}")
    older = jobs.state(done) if done and done != key else None
    return render_page("dashboard/report.html", q=q, title=q.title.best(g.lang), job=job, key=key, older=older)


@bp.get("/s/<survey_id>/report/<key>")
@role_required(*REPORTERS)
def report_view(survey_id: str, key: str) -> BaseResponse:
    """A finished report (cached by survey, version, data and language)."""
    from webform.admin import REPORT_CSP

    _survey(survey_id)
    if len(key) != 32 or key[0] != "r" or not all(c in "0123456789abcdef" for c in key[1:]):
        fail(404)
    html = jobs.read_result(key)
    if html is None:
        fail(404)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response
