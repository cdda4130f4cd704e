"""Employee satisfaction (ES): its index, eNPS and units, small units suppressed, and its link to customer satisfaction.

The service-profit chain (Heskett et al. 1994) runs from internal service quality through employee
satisfaction and loyalty to service value, customer satisfaction and loyalty; seed 000 teaches the
same ("employee satisfaction and its effect on customer satisfaction"). Employees and customers are
different people, so the chain can only be looked at unit by unit: :func:`cs_link` sets each
dealer's (or department's) ES index beside its customers' satisfaction index, NPS and complaint
rate, with the caution of :mod:`analysis.unit_link`.

An employee survey is anonymous (``anonymous: {min_n}``): no figure shows a unit with fewer than
``min_n`` answers (:func:`suppress_small_units`, :func:`by_unit`), nor one whose figure and the
overall one would give a smaller unit's back (complementary suppression,
:func:`surveykit.anonymity.hidden_cells`).

By dealer and department (:func:`department_link`): the ES department field declares which
customer survey responses each department serves (``links:`` in the format; in the shipped
instrument after-sales staff serve the after-sales survey's reception departments and sales
staff every sales customer), so ES and CS meet per dealer x department as well as per dealer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import loyalty
from analysis.unit_link import unit_correlation
from surveykit.anonymity import hidden_cells, mask_units
from surveykit.model import Question, Questionnaire
from surveykit.scenario import satisfaction_question

__all__ = [
    "EmployeeResult",
    "EsCsResult",
    "by_unit",
    "cs_link",
    "customer_measures",
    "department_link",
    "es_scores",
    "has_index",
    "summarise",
    "suppress_small_units",
]

DEFAULT_MIN_N = 5


def _ratings(q: Questionnaire) -> list[tuple[str, Question, str]]:
    """(variable, question, dimension) for each rating item of a dimension (likert or matrix row)."""
    out = []
    for question in q.questions():
        if question.type == "likert" and question.dimension and question.scale:
            out.append((question.id, question, question.dimension))
        elif question.type == "matrix" and question.scale:
            out.extend((row.id, question, row.dimension or question.dimension or "") for row in question.rows)
    return [r for r in out if r[2]]


def has_index(q: Questionnaire) -> bool:
    """Whether ``q`` has rating items with a dimension, from which :func:`es_scores` builds an index."""
    return bool(_ratings(q))


def es_scores(q: Questionnaire, df: pd.DataFrame) -> pd.DataFrame:
    r"""Per respondent: the index (0-100) of every dimension and ``es_index``, their mean.

    Notes
    -----
    Each rating x on a k-point scale becomes :math:`100(x - 1)/(k - 1)` (:math:`100(k - x)/(k - 1)`
    for a reverse-keyed item); a dimension's index is the mean of its answered items, and the ES
    index the mean of the answered dimensions, so each dimension weighs the same whatever its
    number of items (the equal-weight index of CSI practice, Fornell et al. 1996).
    """
    ratings = _ratings(q)
    if not ratings:
        raise ValueError(f"survey {q.survey!r} has no rating items with a dimension to build an ES index from")
    per_item = {}
    dims: dict[str, list[str]] = {}
    for variable, question, dim in ratings:
        assert question.scale is not None  # _ratings keeps only scaled questions
        k = question.scale.points
        x = pd.to_numeric(df[variable], errors="coerce")
        reverse = question.reverse or any(r.id == variable and r.reverse for r in question.rows)
        per_item[variable] = 100 * ((k - x) if reverse else (x - 1)) / (k - 1)
        dims.setdefault(dim, []).append(variable)
    items = pd.DataFrame(per_item, index=df.index)
    scores = pd.DataFrame({d: items[cols].mean(axis=1) for d, cols in dims.items()}, index=df.index)
    scores["es_index"] = scores.mean(axis=1)
    return scores


def suppress_small_units(q: Questionnaire, df: pd.DataFrame, min_n: int | None = None) -> pd.DataFrame:
    """A copy of ``df`` in which no segment field value names a unit of fewer than ``min_n`` rows.

    Those answers still count in every total; they only stop forming a unit of their own, so no
    figure by unit (funnel, segment table, NPS by unit, the ES tables) can show a group small
    enough to point at people. Complementary suppression and the fields' hierarchy (dealer, then
    department within it) as :func:`surveykit.anonymity.mask_units`: with one small dealer, the
    next smallest loses its code too, or the total minus the shown dealers would give it back.
    ``min_n`` defaults to the survey's ``anonymous: min_n`` (else 5).
    """
    limit = min_n if min_n is not None else (q.anonymous.min_n if q.anonymous else DEFAULT_MIN_N)
    return mask_units(q, df, limit)


def by_unit(q: Questionnaire, df: pd.DataFrame, by: str, *, min_n: int | None = None) -> tuple[pd.DataFrame, int]:
    """Per unit with at least ``min_n`` answers: n, each dimension's index, ES index, eNPS; and how many units were hidden."""
    limit = min_n if min_n is not None else (q.anonymous.min_n if q.anonymous else DEFAULT_MIN_N)
    scores = es_scores(q, df)
    units = df[by].astype("string")
    nps_q = next((x.id for x in q.questions() if x.type == "nps"), None)
    if nps_q is not None:
        scores["enps"] = _nps_points(df[nps_q])
    table = scores.groupby(units, sort=True).mean()
    table.insert(0, "n", units.value_counts().reindex(table.index).astype(int))
    shown = _shown_units(units, limit)
    return table[table.index.isin(shown)], int((~table.index.isin(shown)).sum())


def _shown_units(units: pd.Series, limit: int, never: frozenset[str] = frozenset()) -> set[str]:
    """The units whose figures may be shown beside the total of ``units``' rows: primary and
    complementary suppression (:func:`surveykit.anonymity.hidden_cells`); rows without a unit and
    the ``never`` units are cells that are never shown."""
    counts = {str(k): int(v) for k, v in units.value_counts(dropna=True).items()}
    cells = {k: n for k, n in counts.items() if k not in never}
    rest = int(units.isna().sum()) + sum(n for k, n in counts.items() if k in never)
    hidden = hidden_cells({**cells, "": rest}, limit, [""])
    return set(cells) - hidden


def _nps_points(values: pd.Series) -> pd.Series:
    """+100 a promoter (9-10), -100 a detractor (0-6), 0 a passive: its mean is the NPS (Reichheld 2003)."""
    x = pd.to_numeric(values, errors="coerce")
    return pd.Series(np.where(x >= 9, 100.0, np.where(x <= 6, -100.0, 0.0)), index=values.index).where(x.notna())


@dataclass(frozen=True, slots=True)
class EmployeeResult:
    """ES overall and by unit (see :func:`summarise`)."""

    dimensions: pd.DataFrame = field(compare=False)  # per dimension: n, mean index, sd
    es_index: float
    enps: loyalty.NpsResult | None = field(compare=False)
    units: pd.DataFrame = field(compare=False)  # per unit shown: n, dimension indices, es_index, enps
    hidden_units: int
    unit_field: str | None
    min_n: int

    def to_frame(self) -> pd.DataFrame:
        return self.dimensions.reset_index()

    def summary(self) -> str:
        lines = [f"Employee satisfaction index {self.es_index:.1f} (0-100)"]
        for dim, r in self.dimensions.iterrows():
            lines.append(f"  {dim!s:<14} n={int(r['n']):>5}  {r['mean']:6.1f}")
        if self.enps is not None:
            lines.append(f"  eNPS {self.enps.nps:+.1f}")
        lines.append(f"  {len(self.units)} unit(s) shown, {self.hidden_units} hidden (fewer than {self.min_n})")
        return "\n".join(lines)


def summarise(q: Questionnaire, df: pd.DataFrame, *, by: str | None = None) -> EmployeeResult:
    """Dimension indices, the ES index, eNPS (with its CI) and the units with at least ``min_n`` answers."""
    min_n = q.anonymous.min_n if q.anonymous else DEFAULT_MIN_N
    scores = es_scores(q, df)
    dims = pd.DataFrame(
        {
            "n": scores.drop(columns="es_index").notna().sum(),
            "mean": scores.drop(columns="es_index").mean(),
            "sd": scores.drop(columns="es_index").std(ddof=1),
        }
    )
    nps_q = next((x.id for x in q.questions() if x.type == "nps"), None)
    enps = None
    if nps_q is not None and df[nps_q].notna().sum() >= 2:
        enps = loyalty.nps(df[nps_q])
    unit_field = by if by is not None else (q.fields[0].id if q.fields else None)
    units, hidden = (pd.DataFrame(), 0) if unit_field is None else by_unit(q, df, unit_field, min_n=min_n)
    return EmployeeResult(dims, float(scores["es_index"].mean()), enps, units, hidden, unit_field, min_n)


def customer_measures(cs: Questionnaire, customers: pd.DataFrame) -> pd.DataFrame:
    """Per customer: ``cs_index`` (0-100 satisfaction), ``nps_points`` and ``complaint`` (0/1).

    ``complaint`` is 1 when the response meets any of the survey's alert rules (each opens a
    follow-up case: a dissatisfied customer, a complaint), 0 otherwise; NaN without alert rules.
    """
    sat = satisfaction_question(cs)
    if sat is None or sat.scale is None:
        raise ValueError(f"survey {cs.survey!r} has no overall satisfaction question to index")
    k = sat.scale.points
    out = pd.DataFrame(index=customers.index)
    out["cs_index"] = 100 * (pd.to_numeric(customers[sat.id], errors="coerce") - 1) / (k - 1)
    nps_q = next((x.id for x in cs.questions() if x.type == "nps"), None)
    out["nps_points"] = _nps_points(customers[nps_q]) if nps_q is not None else np.nan
    if cs.alerts:
        flags = []
        for _, row in customers.iterrows():
            context = {k_: (None if (isinstance(v, float) and np.isnan(v)) else v) for k_, v in row.items()}
            flags.append(float(any(_holds(a.when, context) for a in cs.alerts)))
        out["complaint"] = 100 * np.array(flags)
    else:
        out["complaint"] = np.nan
    return out


def _holds(condition: object, context: dict[str, object]) -> bool:
    try:
        return bool(condition.evaluate(context))  # type: ignore[attr-defined]
    except (TypeError, ValueError, KeyError):
        return False


@dataclass(frozen=True, slots=True)
class EsCsResult:
    """ES index against customer measures across units (see :func:`cs_link`)."""

    links: pd.DataFrame = field(compare=False)  # per customer measure: n_units, r, ci_low, ci_high, p
    points: pd.DataFrame = field(compare=False)  # per unit: n_staff, es_index, n_customers, cs_index, nps, complaint
    unit_field: str
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        return self.links.reset_index()

    def summary(self) -> str:
        lines = [f"ES index vs customer measures across {self.unit_field} units (Pearson r, Fisher z CI)"]
        for measure, r in self.links.iterrows():
            lines.append(
                f"  {measure!s:<10} units={int(r['n_units']):>3}  r={r['r']:+.2f}  CI [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]"
            )
        return "\n".join(lines)


def cs_link(
    es: Questionnaire,
    staff: pd.DataFrame,
    cs: Questionnaire,
    customers: pd.DataFrame,
    *,
    by: str | None = None,
    min_customers: int = 5,
    conf_level: float = 0.95,
) -> EsCsResult:
    r"""Across units: does employee satisfaction go with customer satisfaction, NPS and complaints?

    Per unit (``by``, default the first segment field both surveys carry) with at least the ES
    survey's ``min_n`` staff answers and ``min_customers`` customer answers: the mean ES index
    (:func:`es_scores`), the customers' mean satisfaction index (0-100), NPS and complaint rate
    (:func:`customer_measures`); then Pearson's r of the ES index with each, with Fisher's z
    interval over the units (:func:`analysis.unit_link.unit_correlation`). The service-profit chain
    predicts r > 0 with satisfaction and NPS and r < 0 with complaints; a unit-level correlation
    cannot show which way it runs, nor that it holds for individuals (Robinson 1950).

    References
    ----------
    .. [1] Heskett, J. L., Jones, T. O., Loveman, G. W., Sasser, W. E., & Schlesinger, L. A.
           (1994). Putting the service-profit chain to work. Harvard Business Review, 72(2), 164-174.
    .. [2] Harter, J. K., Schmidt, F. L., & Hayes, T. L. (2002). Business-unit-level relationship
           between employee satisfaction, employee engagement, and business outcomes: A
           meta-analysis. Journal of Applied Psychology, 87(2), 268-279.
           https://doi.org/10.1037/0021-9010.87.2.268
    .. [3] Robinson, W. S. (1950). Ecological correlations and the behavior of individuals.
           American Sociological Review, 15(3), 351-357. https://doi.org/10.2307/2087176
    """
    unit_field = by or next((f.id for f in es.fields if f.id in {g.id for g in cs.fields}), None)
    if unit_field is None:
        raise ValueError(f"surveys {es.survey!r} and {cs.survey!r} share no segment field to link units by")
    for frame, name in ((staff, es.survey), (customers, cs.survey)):
        if unit_field not in frame.columns:
            raise ValueError(f"the responses of {name!r} have no column {unit_field!r}")
    min_n = es.anonymous.min_n if es.anonymous else DEFAULT_MIN_N
    units = staff[unit_field].astype("string")
    es_units = es_scores(es, staff)["es_index"].groupby(units).agg(["count", "mean"])
    es_units = es_units[es_units.index.isin(_shown_units(units, min_n))]
    measures = customer_measures(cs, customers)
    cs_units = measures.groupby(customers[unit_field].astype("string")).mean()
    cs_units.insert(0, "n_customers", customers[unit_field].astype("string").value_counts())
    cs_units = cs_units[cs_units["n_customers"] >= min_customers]
    points = es_units.rename(columns={"count": "n_staff", "mean": "es_index"}).join(cs_units, how="inner")
    return _correlate(points, unit_field, conf_level)


def _correlate(points: pd.DataFrame, unit_field: str, conf_level: float) -> EsCsResult:
    """Pearson's r of the units' ES index with each customer measure (see :func:`cs_link`)."""
    rows = []
    for measure, column in (("cs_index", "cs_index"), ("nps", "nps_points"), ("complaints", "complaint")):
        if points[column].notna().any():
            rows.append(
                {"measure": measure} | unit_correlation(points["es_index"], points[column], conf_level=conf_level)
            )
    links = pd.DataFrame(rows).set_index("measure")
    points = points.rename(columns={"nps_points": "nps"})
    return EsCsResult(links, points, unit_field, conf_level)


def department_link(
    es: Questionnaire,
    staff: pd.DataFrame,
    surveys: list[tuple[Questionnaire, pd.DataFrame]],
    *,
    min_customers: int = 5,
    conf_level: float = 0.95,
) -> EsCsResult | None:
    r"""ES against customer measures across dealer x department units, through the declared ``links:``.

    The ES field with ``links:`` (the department) says, for each customer survey it names, which
    of that survey's responses each department serves: by the value of one of its fields, or all
    of them (:class:`surveykit.model.FieldLink`). Each customer response of ``surveys`` so gets a
    department; together with the dealer (the first field both carry) that is its unit, and each
    survey's measures (:func:`customer_measures`: satisfaction index 0-100, NPS points, complaint
    flag) are pooled per unit. Each unit's ES index is the mean over its staff, shown only for a
    unit with ``min_n`` staff and not withheld by complementary suppression within its dealer
    (a department without customers, like support, is such a cell, never shown), nor of a dealer
    withheld at dealer level; a unit needs ``min_customers`` customers too. Then Pearson's r with
    Fisher's z interval over the units, as :func:`cs_link` does for dealers.

    The units of one dealer are not independent (they share the dealer's level), so the interval,
    which treats units as independent, is somewhat too narrow; the dealer-level link beside it is
    the check. None when no survey is linked or no unit qualifies.

    Returns
    -------
    EsCsResult or None
        ``unit_field`` is ``"dealer+department"``, units are named ``dealer / department``.

    References
    ----------
    .. [1] Heskett, J. L., Jones, T. O., Loveman, G. W., Sasser, W. E., & Schlesinger, L. A.
           (1994). Putting the service-profit chain to work. Harvard Business Review, 72(2), 164-174.
    .. [2] Harter, J. K., Schmidt, F. L., & Hayes, T. L. (2002). Business-unit-level relationship
           between employee satisfaction, employee engagement, and business outcomes: A
           meta-analysis. Journal of Applied Psychology, 87(2), 268-279.
           https://doi.org/10.1037/0021-9010.87.2.268
    """
    dept = next((f for f in es.fields if f.links), None)
    if dept is None or dept.id not in staff.columns:
        return None
    dealer = next((f.id for f in es.fields if f.id != dept.id), None)
    if dealer is None or dealer not in staff.columns:
        return None
    min_n = es.anonymous.min_n if es.anonymous else DEFAULT_MIN_N
    frames = []
    for cs, customers in surveys:
        link = next((k for k in dept.links if k.survey == cs.survey), None)
        if link is None or dealer not in customers.columns or (link.field and link.field not in customers.columns):
            continue
        theirs = customers[link.field] if link.field else pd.Series("", index=customers.index)
        ours = theirs.map(lambda v, link=link: link.ours(None if pd.isna(v) else str(v)))
        measures = customer_measures(cs, customers)
        measures["unit"] = customers[dealer].astype("string") + " / " + ours.astype("string")
        frames.append(measures[ours.notna() & customers[dealer].notna()])
    if not frames:
        return None
    pooled = pd.concat(frames)
    cs_units = pooled.groupby("unit").mean(numeric_only=True)
    cs_units.insert(0, "n_customers", pooled["unit"].value_counts())
    cs_units = cs_units[cs_units["n_customers"] >= min_customers]
    dealers = staff[dealer].astype("string")
    linked = {o for link in dept.links for _t, o in link.values}
    unit = dealers + " / " + staff[dept.id].astype("string")
    shown_dealers = _shown_units(dealers, min_n)
    shown: set[str] = set()
    for code, rows in staff.groupby(dealers):
        if str(code) in shown_dealers:
            departments = rows[dept.id].astype("string")
            never = frozenset(str(v) for v in departments.dropna().unique() if v not in linked)
            shown |= {f"{code} / {d}" for d in _shown_units(departments, min_n, never)}
    es_units = es_scores(es, staff)["es_index"].groupby(unit).agg(["count", "mean"])
    es_units = es_units[es_units.index.isin(shown)]
    points = es_units.rename(columns={"count": "n_staff", "mean": "es_index"}).join(cs_units, how="inner")
    if len(points) == 0:
        return None
    return _correlate(points, f"{dealer}+{dept.id}", conf_level)
