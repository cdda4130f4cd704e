"""The management report: one self-contained HTML file (and optionally a PDF).

The questionnaire decides what is in it: whatever :func:`analysis.analyze`
computed gets a section, and the improvement priorities
(:mod:`analysis.priorities`) come first.  Charts are inline images (SVG as
``data:`` URIs, so that nothing in a chart can run as script, and a strict
Content-Security-Policy forbids any request to another host).  The footer
states the questionnaire hash, a hash of the data, the package version, the
filters and the seed, so the same inputs give the same report.
"""

from __future__ import annotations

import base64
import hashlib
import math
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from analysis import plots, report_pls
from analysis.analyze import DEFAULT_EXCLUDE, AnalysisResult, analyze
from analysis.analyze import _frequencies as _choice_counts
from analysis.priorities import improvement_priorities
from analysis.recovery import service_recovery
from analysis.report_text import METHODS, WORDS
from surveykit import __version__
from surveykit.model import Questionnaire, Weighting

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_HTML_LANG = {"zh": "zh-Hans", "en": "en"}


@dataclass(frozen=True, slots=True)
class ReportTimings:
    """Where the time of one report went (for the benchmark)."""

    statistics_s: float
    charts_s: float
    render_s: float


def data_sha256(df: pd.DataFrame) -> str:
    """A hash of the table's content (column names, values, order), stable across runs."""
    digest = hashlib.sha256("\x1f".join(map(str, df.columns)).encode("utf-8"))
    digest.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def write_report(
    q: Questionnaire,
    df: pd.DataFrame,
    path: str | Path,
    *,
    lang: str | None = None,
    pdf: str | Path | None = None,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    filters: str = "",
    seed: int | None = None,
    cases: pd.DataFrame | None = None,
    lost: tuple[Questionnaire, pd.DataFrame] | None = None,
    weighting: Weighting | None = None,
) -> ReportTimings:
    """Analyse ``df`` and write the report to ``path`` (and ``pdf`` if given); ``cases`` and ``lost`` as in
    :func:`render_report`, ``weighting`` (margins of a ``--weights`` file) as in :func:`analysis.analyze`."""
    began = time.perf_counter()
    result = analyze(q, df, exclude=exclude, weighting=weighting)
    statistics = time.perf_counter() - began
    html, charts_s = render_report(
        q, result, lang=lang, data_hash=data_sha256(df), filters=filters, seed=seed, cases=cases, lost=lost
    )
    Path(path).write_text(html, encoding="utf-8")
    if pdf is not None:
        print_pdf(Path(path), Path(pdf))
    total = time.perf_counter() - began
    return ReportTimings(statistics, charts_s, total - statistics - charts_s)


MIN_RESPONSES = 3  # fewer stored responses make no report: no statistic of the report is defined on them


class TooFewResponses(ValueError):
    """The survey has fewer than :data:`MIN_RESPONSES` stored responses."""


@dataclass(frozen=True, slots=True)
class StoreReport:
    """A report drawn from the response store: its HTML, how many responses it read, where the time went."""

    html: str
    responses: int
    timings: ReportTimings


def report_from_store(
    engine: Engine,
    q: Questionnaire,
    *,
    lang: str | None = None,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    source: str = "database",
    seed: int | None = None,
    output: str | Path | None = None,
    pdf: str | Path | None = None,
    weighting: Weighting | None = None,
) -> StoreReport:
    """The management report of ``q``'s stored responses, with the service-recovery section when there are cases.

    The one way every caller (``surveykit report --db``, ``surveykit demo``, the
    admin's report page) assembles a report from the store:
    :func:`surveykit.reports.report_data` reads the responses, the cases and
    the lost-customer answers; :func:`analysis.analyze` and
    :func:`render_report` do the rest.  The footer's filters name ``source``,
    the survey and the excluded quality flags.  The HTML is written to
    ``output`` when given, and printed from there to ``pdf``.

    Raises
    ------
    TooFewResponses
        With fewer than :data:`MIN_RESPONSES` stored responses.
    """
    from surveykit.reports import report_data  # the store (SQLAlchemy) loads only for callers that have one

    if pdf is not None and output is None:
        raise ValueError("the PDF is printed from the written HTML: give output as well")
    began = time.perf_counter()
    data = report_data(engine, q)
    if len(data.responses) < MIN_RESPONSES:
        raise TooFewResponses(
            f"survey {q.survey!r} has {len(data.responses)} stored response(s); a report needs at least {MIN_RESPONSES}"
        )
    result = analyze(q, data.responses, exclude=exclude, weighting=weighting)
    statistics = time.perf_counter() - began
    html, charts_s = render_report(
        q,
        result,
        lang=lang,
        data_hash=data_sha256(data.responses),
        filters=f"{source}, survey {q.survey}; excluded: {', '.join(exclude) or 'none'}",
        seed=seed,
        cases=data.cases,
        lost=data.lost,
    )
    if output is not None:
        Path(output).write_text(html, encoding="utf-8")
        if pdf is not None:
            print_pdf(Path(output), Path(pdf))
    total = time.perf_counter() - began
    return StoreReport(html, len(data.responses), ReportTimings(statistics, charts_s, total - statistics - charts_s))


def render_report(
    q: Questionnaire,
    result: AnalysisResult,
    *,
    lang: str | None = None,
    data_hash: str = "",
    filters: str = "",
    seed: int | None = None,
    cases: pd.DataFrame | None = None,
    lost: tuple[Questionnaire, pd.DataFrame] | None = None,
) -> tuple[str, float]:
    """The report as HTML text, and the seconds spent drawing charts.

    ``cases`` (the table of :func:`surveykit.cases.cases_frame`) adds the service-recovery section when
    it holds cases of this survey; ``lost`` (the lost-customer questionnaire and its responses) adds the
    Pareto chart of why customers left to that section.
    """
    lang = lang or q.languages[0]
    if lang not in WORDS:
        raise ValueError(f"the report is written in {', '.join(WORDS)}, not {lang!r}")
    w = WORDS[lang]
    charts = _Charts(lang)
    context: dict[str, Any] = {
        "w": w,
        "html_lang": _HTML_LANG[lang],
        "title": q.title.best(lang),
        "survey": q.survey,
        "version": q.version,
        "n_total": result.n_total,
        "n_analysed": result.n_analysed,
        "priorities": [
            w[f"p_{p.kind}"].format(label=p.label, **p.evidence) for p in improvement_priorities(q, result, lang=lang)
        ],
        "excluded": [(w.get(reason, reason), count) for reason, count in result.excluded.items()],
        "satisfaction": _satisfaction(result),
        "nps": _nps(q, result, lang),
        "weighting": _weighting(q, result, lang),
        "reliability": _reliability(q, result, lang),
        "servqual": [_servqual(q, block_id, sq, lang, charts) for block_id, sq in result.servqual.items()],
        "ipa": [_ipa(q, block_id, block, lang, charts) for block_id, block in result.ipa.items()],
        "kano": [_kano(q, block_id, kn, lang, charts) for block_id, kn in result.kano.items()],
        "path_model": report_pls.section(q, result.path_model, lang, charts),
        "loyalty": _loyalty(q, result, lang, charts),
        "segments": _segments(q, result, lang, charts),
        "waves": _waves(result, lang, charts),
        "scoring": _scoring(q, result, lang, charts),
        "frequencies": _frequencies(q, result, lang),
        "pareto_charts": _pareto(q, result.frequencies, lang, charts),
        "recovery": _recovery(q, cases, lost, lang, charts),
        "notes": list(result.notes),
        "methods": METHODS,
        "questionnaire_sha256": result.questionnaire_sha256,
        "data_sha256": data_hash or w["none"],
        "package_version": __version__,
        "filters": filters or w["none"],
        "seed": w["none"] if seed is None else seed,
    }
    return _ENV.get_template("report.html").render(**context), charts.seconds


def print_pdf(html: Path, pdf: Path) -> None:
    """Print the HTML report to PDF with headless Chromium (the browser the tests use)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise RuntimeError("the PDF is printed by Chromium, which is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf.resolve()}",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    if not pdf.exists() or pdf.stat().st_size == 0:
        raise RuntimeError("Chromium did not write the PDF")


class _Charts:
    """Draws figures through :mod:`analysis.plots` and turns them into data URIs, timing it."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.seconds = 0.0

    def __call__(self, alt: str, draw: Any, *args: Any, **kwargs: Any) -> dict[str, str]:
        began = time.perf_counter()
        figure = draw(*args, lang=self.lang, **kwargs)
        svg = plots.to_svg(figure)
        self.seconds += time.perf_counter() - began
        return {"alt": alt, "src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")}


def _fmt(value: float, pattern: str = "{:.3f}") -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else pattern.format(value)


def _p(value: float) -> str:
    return "–" if value is None or math.isnan(value) else ("< .001" if value < 0.001 else f"{value:.3f}")


def _label_of(q: Questionnaire, block_id: str, item_id: str, lang: str) -> str:
    for section in q.pages:
        if section.id == block_id:
            for item in getattr(section, "items", ()) or getattr(section, "attributes", ()):
                if item.id == item_id:
                    return (item.label or item.second).best(lang)
    return item_id


def _dimension_label(q: Questionnaire, did: str, lang: str) -> str:
    try:
        return q.dimension(did).label.best(lang)
    except KeyError:
        return did


def _satisfaction(result: AnalysisResult) -> dict[str, Any] | None:
    s = result.satisfaction
    if s is None:
        return None
    return {"mean": s.mean, "scale": f"{s.scale[0]}–{s.scale[1]}", "top2": s.top_box.pct, "index": s.index_mean}


def _weighting(q: Questionnaire, result: AnalysisResult, lang: str) -> dict[str, Any] | None:
    """The weighting section: target, margins achieved, Kish deff and effective n, weighted beside unweighted."""
    wg = result.weighting
    if wg is None:
        return None
    w = WORDS[lang]
    margins = wg.margins
    names = {
        "satisfaction_mean": f"{w['satisfaction']} · {w['mean']}",
        "top2": w["top2"],
        "satisfaction_index": w["index"],
    }
    estimates = []
    for e in wg.estimates:
        if e.statistic == "nps":
            question = q.question(e.variable)
            name = f"{w['nps']} · {(question.label or question.text).best(lang)}"
        else:
            name = names[e.statistic]
        estimates.append(
            {
                "name": name,
                "n": e.n,
                "w": e.weighted,
                "w_ci": e.weighted_ci,
                "u": e.unweighted,
                "u_ci": e.unweighted_ci,
                "differs": e.differs,
            }
        )
    sections = [f"{w['nps']} · {w['segments']}" if s == "nps_segments" else w.get(s, s) for s in wg.unweighted_sections]
    trim = None
    if wg.trim is not None:
        trim = w["trimmed"].format(lower=f"{wg.trim.lower:g}", upper=f"{wg.trim.upper:g}", n=wg.trim.n_trimmed)
    return {
        "target": w["weighting_target"].format(
            method=w.get(wg.method, wg.method),
            margins=", ".join(dict.fromkeys(margins["margin"])),
            total=f"{wg.population_total:,.0f}",
            source=Path(wg.source).name or wg.source,
        ),
        "trim": trim,
        "n": wg.kish.n,
        "deff": wg.kish.deff,
        "n_eff": wg.kish.n_eff,
        "efficiency": wg.kish.efficiency_pct,
        "margins": margins[["margin", "cell", "n", "target_share", "unweighted_share", "weighted_share"]].to_dict(
            "records"
        ),
        "estimates": estimates,
        "unweighted_note": w["unweighted_note"].format(sections=", ".join(sections)),
    }


def _nps(q: Questionnaire, result: AnalysisResult, lang: str) -> list[dict[str, Any]]:
    out = []
    for qid, n in result.nps.items():
        question = q.question(qid)
        out.append(
            {
                "label": (question.label or question.text).best(lang),
                "n": n.n,
                "nps": n.nps,
                "ci": n.adjusted_ci,
                "promoters": n.pct_promoters,
                "passives": n.pct_passives,
                "detractors": n.pct_detractors,
            }
        )
    return out


def _reliability(q: Questionnaire, result: AnalysisResult, lang: str) -> list[dict[str, Any]]:
    rows = []
    for did, r in result.reliability.items():
        omega = result.omega.get(did)
        rows.append(
            {
                "label": _dimension_label(q, did, lang),
                "k": r.k,
                "alpha": r.alpha,
                "ci": r.ci,
                "omega": _fmt(omega.omega_total) if omega is not None else "–",
            }
        )
    return rows


def _servqual(q: Questionnaire, block_id: str, sq: Any, lang: str, charts: _Charts) -> dict[str, Any]:
    w = WORDS[lang]
    dims = sq.dimensions
    labels = [_dimension_label(q, str(d), lang) for d in dims.index]
    items = sq.items
    item_labels = [_label_of(q, block_id, str(i), lang) for i in items.index]
    scale_points = next(b.scale.points for b in q.blocks("servqual") if b.id == block_id)
    scores = []
    overall = sq.overall
    for key, word in (
        ("unweighted_servqual", "unweighted"),
        ("weighted_servqual", "weighted"),
        ("servperf", "servperf"),
    ):
        if key in overall.index and not math.isnan(overall.loc[key, "mean"]):
            scores.append((w[word], f"{overall.loc[key, 'mean']:+.3f} (n = {int(overall.loc[key, 'n'])})"))
    return {
        "id": block_id,
        "charts": [
            charts(
                w["servqual"],
                plots.radar,
                labels,
                dims["mean_E_score"].tolist(),
                dims["mean_P_score"].tolist(),
                scale=(1, scale_points),
            ),
            charts(
                w["gap"],
                plots.gap_bars,
                sq.to_frame(),
                labels={**dict(zip(map(str, items.index), item_labels)), **dict(zip(map(str, dims.index), labels))},
            ),
        ],
        "dimensions": [
            {
                "label": label,
                "e": r["mean_E_score"],
                "p": r["mean_P_score"],
                "gap": r["mean"],
                "lo": r["ci_low"],
                "hi": r["ci_high"],
                "pval": _p(r["p_two_sided"]),
            }
            for label, (_, r) in zip(labels, dims.iterrows())
        ],
        "item_rows": [
            {
                "label": label,
                "dimension": _dimension_label(q, str(r["dimension"]), lang),
                "e": r["mean_E_paired"],
                "p": r["mean_P_paired"],
                "gap": r["mean"],
                "lo": r["ci_low"],
                "hi": r["ci_high"],
                "pval": _p(r["p_holm"]),
            }
            for label, (_, r) in zip(item_labels, items.iterrows())
        ],
        "scores": scores,
    }


def _ipa(q: Questionnaire, block_id: str, block: Any, lang: str, charts: _Charts) -> dict[str, Any]:
    w = WORDS[lang]
    grid = block.grid.attributes
    labels = [_label_of(q, block_id, str(a), lang) for a in grid.index]
    derived = block.derived.pct if block.derived is not None else None
    rows = [
        {
            "label": label,
            "importance": r["mean_importance"],
            "performance": r["mean_performance"],
            "quadrant": plots.quadrant_name(r["quadrant"], lang),
            "derived": _fmt(derived.get(f"{a}_p", math.nan), "{:.1f} %") if derived is not None else "–",
        }
        for label, (a, r) in zip(labels, grid.iterrows())
    ]
    return {
        "id": block_id,
        "rows": rows,
        "charts": [
            charts(
                w["ipa"],
                plots.ipa_grid,
                grid["mean_importance"].tolist(),
                grid["mean_performance"].tolist(),
                labels,
                block.grid.crosshair,
            )
        ],
    }


def _kano(q: Questionnaire, block_id: str, kn: Any, lang: str, charts: _Charts) -> dict[str, Any]:
    w = WORDS[lang]
    attrs = kn.attributes
    labels = [_label_of(q, block_id, str(a), lang) for a in attrs.index]
    rows = [
        {
            "label": label,
            "counts": [int(r[c]) for c in "AOMIRQ"],
            "category": plots.kano_category_name(str(r["dominant"]), lang),
            "better": _fmt(r["better"]),
            "worse": _fmt(r["worse"]),
        }
        for label, (_, r) in zip(labels, attrs.iterrows())
    ]
    return {
        "id": block_id,
        "rows": rows,
        "charts": [
            charts(
                w["kano"],
                plots.kano_scatter,
                attrs["better"].tolist(),
                attrs["worse"].tolist(),
                labels,
                attrs["dominant"].tolist(),
            )
        ],
    }


def _loyalty(q: Questionnaire, result: AnalysisResult, lang: str, charts: _Charts) -> dict[str, Any] | None:
    if not result.nps and result.loyalty_matrix is None:
        return None
    w = WORDS[lang]
    drawn = []
    for qid, n in result.nps.items():
        seg = result.nps_segments.get(qid)
        if seg is None:
            drawn.append(charts(f"{w['nps']} · {qid}", plots.nps_bars, n.n_promoters, n.n_passives, n.n_detractors))
        else:
            counts = seg.counts
            drawn.append(
                charts(
                    f"{w['nps']} · {qid}",
                    plots.nps_bars,
                    counts["promoter"].tolist(),
                    counts["passive"].tolist(),
                    counts["detractor"].tolist(),
                    [str(i) for i in counts.index],
                )
            )
    matrix = None
    m = result.loyalty_matrix
    if m is not None:
        total = m.loyalists + m.mercenaries + m.hostages + m.defectors
        matrix = [
            (w[k], getattr(m, k), 100 * getattr(m, k) / total if total else math.nan)
            for k in ("loyalists", "mercenaries", "hostages", "defectors")
        ]
        drawn.append(
            charts(
                w["loyalty_matrix"],
                plots.loyalty_matrix,
                m.loyalists,
                m.mercenaries,
                m.hostages,
                m.defectors,
                thresholds=(m.satisfied_if_ge, m.loyal_if_ge),
            )
        )
    return {"charts": drawn, "matrix": matrix}


def _segments(q: Questionnaire, result: AnalysisResult, lang: str, charts: _Charts) -> dict[str, Any] | None:
    s = result.satisfaction
    if s is None or s.funnel is None:
        return None
    w = WORDS[lang]
    units = s.funnel.units
    field_id = next(iter(s.by_field), "")
    tests = [
        f"{fid}: ANOVA F = {c.anova_F:.2f}, p = {_p(c.anova_p)}; Welch p = {_p(c.welch_p)}; "
        f"Kruskal–Wallis p = {_p(c.kruskal_p)}"
        for fid, c in s.by_field.items()
    ]
    rows = []
    for unit, r in units.iterrows():
        below = r["mean"] < r["lower_95"]
        position = (
            w["position_below"]
            if below
            else (w["position_above"] if r["mean"] > r["upper_95"] else w["position_within"])
        )
        rows.append(
            {"unit": str(unit), "n": int(r["n"]), "mean": r["mean"], "z": r["z"], "below": below, "position": position}
        )
    return {
        "field": field_id,
        "units": rows,
        "tests": tests,
        "charts": [
            charts(
                w["segments"],
                plots.funnel,
                units["mean"].tolist(),
                units["n"].tolist(),
                s.funnel.target,
                s.funnel.limits,
                [str(u) for u in units.index],
                ylabel=w["index"],
            )
        ],
    }


def _waves(result: AnalysisResult, lang: str, charts: _Charts) -> dict[str, Any] | None:
    s = result.satisfaction
    if s is None or s.waves is None:
        return None
    w = WORDS[lang]
    frame = s.waves.waves
    rows = [
        {"wave": str(i), "n": int(r["n"]), "mean": r["mean"], "lo": r["ci_low"], "hi": r["ci_high"]}
        for i, r in frame.iterrows()
    ]
    return {
        "rows": rows,
        "charts": [
            charts(
                w["waves"],
                plots.waves_line,
                [str(i) for i in frame.index],
                frame["mean"].tolist(),
                frame["ci_low"].tolist(),
                frame["ci_high"].tolist(),
                n=frame["n"].tolist(),
                ylabel=w["index"],
            )
        ],
    }


def _scoring(q: Questionnaire, result: AnalysisResult, lang: str, charts: _Charts) -> dict[str, Any] | None:
    if result.scoring is None or q.scoring is None:
        return None
    w = WORDS[lang]
    frame = result.scoring.categories
    labels = {c.id: c.label.best(lang) for c in q.scoring.categories}
    bands = [(b.min, b.label.best(lang)) for b in q.scoring.bands]
    rows = []
    for cid, r in frame.iterrows():
        band = q.scoring.band(r["percent"]) if not math.isnan(r["percent"]) else None
        rows.append(
            {
                "label": labels[str(cid)],
                "mean": r["mean"],
                "maximum": f"{r['maximum']:g}",
                "percent": r["percent"],
                "band": band.label.best(lang) if band else "–",
            }
        )
    return {
        "rows": rows,
        "charts": [
            charts(
                w["scoring"],
                plots.profile_bars,
                [labels[str(c)] for c in frame.index],
                frame["percent"].tolist(),
                bands,
            )
        ],
    }


def _frequencies(q: Questionnaire, result: AnalysisResult, lang: str) -> list[dict[str, Any]]:
    out = []
    for qid, frame in result.frequencies.items():
        question = q.question(qid)
        texts = {o.code: o.text.best(lang) for o in question.options}
        out.append(
            {
                "label": (question.label or question.text).best(lang),
                "rows": [
                    {"label": texts[r["code"]], "count": int(r["count"]), "percent": _fmt(r["percent"], "{:.1f} %")}
                    for r in frame.to_dict(orient="records")
                ],
            }
        )
    return out


def _pareto(
    q: Questionnaire, frequencies: dict[str, pd.DataFrame], lang: str, charts: _Charts, note: str | None = None
) -> list[dict[str, str]]:
    """A Pareto chart for every multiple-choice question about reasons (ids containing 'reason')."""
    drawn = []
    for qid, frame in frequencies.items():
        question = q.question(qid)
        if question.type == "multi" and "reason" in qid and frame["count"].sum() > 0:
            texts = {o.code: o.text.best(lang) for o in question.options}
            drawn.append(
                charts(
                    WORDS[lang]["pareto"],
                    plots.pareto,
                    [texts[c] for c in frame["code"]],
                    frame["count"].tolist(),
                    note=note,
                )
            )
    return drawn


def _recovery(
    q: Questionnaire,
    cases: pd.DataFrame | None,
    lost: tuple[Questionnaire, pd.DataFrame] | None,
    lang: str,
    charts: _Charts,
) -> dict[str, Any] | None:
    """The service-recovery section: this survey's cases, and why lost customers left."""
    from surveykit.cases import ROOT_CAUSES

    if cases is None or "survey" not in cases.columns or not (cases["survey"] == q.survey).any():
        return None
    w = WORDS[lang]
    r = service_recovery(cases[cases["survey"] == q.survey])
    rules = {a.id: a.label.best(lang) if a.label else a.id for a in q.alerts}
    routed_by = {a.department_field for a in q.alerts if a.department_field}
    named = {code: text.best(lang) for f in q.fields if f.id in routed_by for code, text in f.values}
    roots = [
        (ROOT_CAUSES[str(c)].best(lang) if c in ROOT_CAUSES else str(c), int(n))
        for c, n in r.by_root_cause["n"].items()
    ]

    def hours(h: float) -> str:
        return "–" if math.isnan(h) else w["hours"].format(h=h)

    ci = "–" if math.isnan(r.recovered_ci[0]) else f"[{r.recovered_ci[0]:.1f}, {r.recovered_ci[1]:.1f}] %"
    lost_charts: list[dict[str, str]] = []
    lost_note = ""
    if lost is not None and lost[0].survey != q.survey and len(lost[1]):
        lost_q, lost_df = lost
        lost_note = w["lost_note"].format(n=len(lost_df))
        lost_charts = _pareto(lost_q, _choice_counts(lost_q, lost_df), lang, charts, note=lost_note)
        for chart in lost_charts:
            chart["alt"] = w["lost_reasons"]
    return {
        "n": r.n_cases,
        "active": r.n_active,
        "overdue": r.n_overdue,
        "contact": hours(r.contact_hours_median),
        "on_time": _fmt(r.contacted_on_time_pct, "{:.0f} %"),
        "close": hours(r.close_hours_median),
        "not_contacted": w["not_contacted"].format(n=r.n_not_contacted) if r.n_not_contacted else "",
        "recovered": _fmt(r.recovered_pct, "{:.0f} %"),
        "recovered_detail": w["recovered_detail"].format(
            k=r.n_recovered, n=r.n_recovery_answered, ci=ci, sent=r.n_recovery_sent
        ),
        "causes": [
            {
                "label": rules.get(str(a), str(a)),
                "n": int(row["n"]),
                "active": int(row["active"]),
                "overdue": int(row["overdue"]),
                "closed": int(row["closed"]),
            }
            for a, row in r.by_cause.iterrows()
        ],
        "roots": roots,
        "root_charts": [
            charts(w["root_causes"], plots.pareto, [t for t, _ in roots], [n for _, n in roots], title=w["root_causes"])
        ]
        if roots
        else [],
        "departments": [
            {
                "label": named.get(str(d), str(d)),
                "n": int(row["n"]),
                "active": int(row["active"]),
                "overdue": int(row["overdue"]),
                "contact": hours(row["contact_hours_median"]),
                "close": hours(row["close_hours_median"]),
                "recovered": _fmt(row["recovered_pct"], "{:.0f} %"),
            }
            for d, row in r.by_department.iterrows()
        ],
        "lost_charts": lost_charts,
        "lost_note": lost_note,
    }
