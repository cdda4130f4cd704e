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

import hashlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from analysis import report_gap1, report_linked, report_order, report_pls
from analysis import report_sections as sections
from analysis.analyze import DEFAULT_EXCLUDE, AnalysisResult, analyze
from analysis.employee import suppress_small_units
from analysis.gap1 import gap1 as gap1_of
from analysis.headline import weighted_headline
from analysis.priorities import improvement_priorities
from analysis.report_comments import sections as comment_sections
from analysis.report_language import finish_page, relabel
from analysis.report_text import METHODS, WORDS
from surveykit import __version__
from surveykit.languages import builtin_language
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


@dataclass(frozen=True)
class ReportFilters:
    """What the footer's filters line names: the data's source and the quality flags left out.

    Written out in the report's language by :func:`render_report` (``source`` None is "database"),
    so that a Chinese report's provenance line is Chinese; a plain string is shown as given.
    """

    source: str | None
    exclude: Sequence[str]

    def line(self, w: dict[str, str], survey: str) -> str:
        excluded = ", ".join(self.exclude) or w["none"]
        return w["filters_line"].format(source=self.source or w["database"], survey=survey, excluded=excluded)


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
    filters: str | ReportFilters = "",
    seed: int | None = None,
    cases: pd.DataFrame | None = None,
    lost: tuple[Questionnaire, pd.DataFrame] | None = None,
    weighting: Weighting | None = None,
    mirror: tuple[Questionnaire, pd.DataFrame] | None = None,
    customers: tuple[Questionnaire, pd.DataFrame] | None = None,
    linked: tuple[tuple[Questionnaire, pd.DataFrame], ...] = (),
) -> ReportTimings:
    """Analyse ``df`` and write the report to ``path`` (and ``pdf`` if given); ``cases``, ``lost`` and
    ``mirror`` as in :func:`render_report`, ``weighting`` (margins of a ``--weights`` file) as in
    :func:`analysis.analyze`."""
    began = time.perf_counter()
    # an anonymous survey's units smaller than its min_n are no unit in any figure by unit
    result = analyze(q, suppress_small_units(q, df) if q.anonymous else df, exclude=exclude, weighting=weighting)
    statistics = time.perf_counter() - began
    html, charts_s = render_report(
        q,
        result,
        lang=lang,
        data_hash=data_sha256(df),
        filters=filters,
        seed=seed,
        cases=cases,
        lost=lost,
        mirror=mirror,
        responses=df,
        customers=customers,
        linked=linked,
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
    source: str | None = None,
    seed: int | None = None,
    output: str | Path | None = None,
    pdf: str | Path | None = None,
    weighting: Weighting | None = None,
    units: Collection[str] | None = None,
) -> StoreReport:
    """The management report of ``q``'s stored responses, with the service-recovery section when there are cases.

    The one way every caller (``surveykit report --db``, ``surveykit demo``, the
    admin's report page) assembles a report from the store:
    :func:`surveykit.reports.report_data` reads the responses, the cases and
    the lost-customer answers; :func:`analysis.analyze` and
    :func:`render_report` do the rest.  ``units`` limits every table to those units (a manager's
    report: :func:`surveykit.reports.report_data`); name them in ``source``.  The footer's filters name ``source``,
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
    data = report_data(engine, q, units=units)  # units: a manager's scope (surveykit.org.scope_units)
    if len(data.responses) < MIN_RESPONSES:
        raise TooFewResponses(
            f"survey {q.survey!r} has {len(data.responses)} stored response(s); a report needs at least {MIN_RESPONSES}"
        )
    responses = suppress_small_units(q, data.responses) if q.anonymous else data.responses
    result = analyze(q, responses, exclude=exclude, weighting=weighting)
    statistics = time.perf_counter() - began
    html, charts_s = render_report(
        q,
        result,
        lang=lang,
        data_hash=data_sha256(data.responses),
        filters=ReportFilters(source, exclude),
        seed=seed,
        cases=data.cases,
        lost=data.lost,
        mirror=data.mirror,
        responses=data.responses,
        customers=data.customers,
        linked=data.linked,
        rates=None if units is not None else _invitation_rates(engine, q),  # a manager's units: not counted
    )
    if output is not None:
        Path(output).write_text(html, encoding="utf-8")
        if pdf is not None:
            print_pdf(Path(output), Path(pdf))
    total = time.perf_counter() - began
    return StoreReport(html, len(data.responses), ReportTimings(statistics, charts_s, total - statistics - charts_s))


def _invitation_rates(engine: Engine, q: Questionnaire) -> list[dict[str, Any]] | None:
    """The funnel and AAPOR rates of ``q``'s invitations (surveykit.rates); None when it has none."""
    from surveykit import rates

    rows = rates.rates(engine, q)
    return rates.response_rates(rows) if rows[0].funnel["invited"] else None


def render_report(
    q: Questionnaire,
    result: AnalysisResult,
    *,
    lang: str | None = None,
    data_hash: str = "",
    filters: str | ReportFilters = "",
    seed: int | None = None,
    cases: pd.DataFrame | None = None,
    lost: tuple[Questionnaire, pd.DataFrame] | None = None,
    mirror: tuple[Questionnaire, pd.DataFrame] | None = None,
    responses: pd.DataFrame | None = None,
    customers: tuple[Questionnaire, pd.DataFrame] | None = None,
    rates: list[dict[str, Any]] | None = None,
    linked: tuple[tuple[Questionnaire, pd.DataFrame], ...] = (),
) -> tuple[str, float]:
    """The report as HTML text, and the seconds spent drawing charts.

    ``cases`` (the table of :func:`surveykit.cases.cases_frame`) adds the service-recovery section when
    it holds cases of this survey; ``lost`` (the lost-customer questionnaire and its responses) adds the
    Pareto chart of why customers left to that section. ``mirror`` (a staff mirror survey of this one
    and its responses) adds gap 1 (:mod:`analysis.gap1`) beside the SERVQUAL section and to the
    priorities; it is computed on ``responses``, the customers' table. A process audit or an employee
    survey gets its sections from ``responses``, and with ``customers`` (a customer survey of the same
    dealers and its responses) their links to customer satisfaction (:mod:`analysis.report_linked`);
    ``linked``, the customer surveys an employee survey's department field links (``links:``), adds
    the link by dealer and department.
    ``rates`` (the rows of :func:`surveykit.rates.response_rates`) adds the invitation funnel and
    AAPOR's RR1, RR2 and COOP1 to the sample section.
    """
    lang = lang or q.languages[0]
    third = None
    if lang not in WORDS and lang in q.languages:  # a third language: see analysis.report_language
        third, q, lang = lang, relabel(q, lang), builtin_language(lang)
    if lang not in WORDS:
        raise ValueError(f"the report is written in {', '.join(WORDS)}, not {lang!r}")
    result = weighted_headline(result)  # with a weighting, the main sections and priorities are weighted
    w = WORDS[lang]
    charts = sections.Charts(lang, script=third)
    gap1 = None
    if mirror is not None and responses is not None and q.blocks("servqual") and len(mirror[1]):
        gap1 = gap1_of(mirror[0], mirror[1], q, responses)
    context: dict[str, Any] = {
        "w": w,
        "html_lang": _HTML_LANG[lang],
        "title": q.title.best(lang),
        "survey": q.survey,
        "version": q.version,
        "n_total": result.n_total,
        "n_analysed": result.n_analysed,
        "priorities": [
            w[f"p_{p.kind}"].format(label=p.label, **p.evidence)
            for p in improvement_priorities(q, result, lang=lang, gap1=gap1)
        ],
        "excluded": [(w.get(reason, reason), count) for reason, count in result.excluded.items()],
        "rates": rates,
        "satisfaction": sections.satisfaction(result),
        "nps": sections.nps(q, result, lang),
        "weighting": sections.weighting(q, result, lang),
        "reliability": sections.reliability(q, result, lang),
        "order_effects": report_order.section(q, result.order_effects, lang),
        "servqual": [sections.servqual(q, block_id, sq, lang, charts) for block_id, sq in result.servqual.items()],
        "ipa": [sections.ipa(q, block_id, block, lang, charts) for block_id, block in result.ipa.items()],
        "kano": [sections.kano(q, block_id, kn, lang, charts) for block_id, kn in result.kano.items()],
        **report_linked.sections(q, responses, customers, lang, charts, linked),
        "gap1": report_gap1.section(q, mirror[0], gap1, lang, charts) if gap1 is not None and mirror else None,
        "path_model": report_pls.section(q, result.path_model, lang, charts),
        "loyalty": sections.loyalty(q, result, lang, charts),
        "segments": sections.segments(q, result, lang, charts),
        "waves": sections.waves(result, lang, charts),
        "scoring": sections.scoring(q, result, lang, charts),
        "frequencies": sections.frequencies(q, result, lang),
        "pareto_charts": sections.pareto(q, result.frequencies, lang, charts, weighted=result.weighting is not None),
        "recovery": sections.recovery(q, cases, lost, lang, charts),
        "comments": comment_sections(q, result.comments, lang, charts),
        "notes": list(result.notes),
        "methods": METHODS,
        "questionnaire_sha256": result.questionnaire_sha256,
        "data_sha256": data_hash or w["none"],
        "package_version": __version__,
        "filters": (filters.line(w, q.survey) if isinstance(filters, ReportFilters) else filters) or w["none"],
        "seed": w["none"] if seed is None else seed,
    }
    html = _ENV.get_template("report.html").render(**context)
    return (finish_page(html, third) if third else html), charts.seconds


def print_pdf(html: Path, pdf: Path) -> None:
    """Print the HTML report to PDF with headless Chromium (the browser the tests use)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise RuntimeError("the PDF is printed by Chromium, which is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(  # noqa: S603 -- a browser found on PATH, fixed flags, our own file: no input reaches argv
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
