"""Gap 1: what management believes customers expect against what customers say they expect.

The gap model of Parasuraman, Zeithaml & Berry (1985) names five gaps; SERVQUAL's P − E is
gap 5, the one customers feel. Gap 1 comes first: management does not know what customers
expect, so the standards it sets (gap 2) aim at the wrong things. It is measured by a mirror
survey (``mirror_of:`` in the format, :mod:`surveykit.mirror`): staff answer the customers'
expectation items as "what do our customers expect?", and gap 1 per item is the staff mean minus
the customers' expectation mean. Staff and customers are different people, so the two means are
compared by Welch's two-sample t test, not a paired one.

Negative gap 1 means staff underestimate what customers expect; positive, that they expect more
of themselves than customers ask.

Managers and frontline staff are not one population: the model's gap 1 is management's, and the
seed's remedies differ (managers visiting customers, frontline staff who listen). When the mirror
asks the staff role (a choice question ``staff_role`` with options ``manager`` and ``frontline``,
as ``servqual_staff_mirror.yaml`` does), gap 1 is also given per role, and the two roles are
compared with each other (:func:`gap1`, ``roles`` and ``role_difference``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.segments import holm
from surveykit.anonymity import hidden_cells
from surveykit.model import Questionnaire, ServqualBlock

__all__ = [
    "COMPARED_ROLES",
    "DEFAULT_MIN_N",
    "ROLE_NAMES",
    "ROLE_QUESTION",
    "Gap1Result",
    "gap1",
    "mirror_pairs",
    "welch_test",
]

DEFAULT_MIN_N = 5  # fewest staff and fewest customers in a unit before its gap is shown
ROLE_QUESTION = "staff_role"  # the mirror's question that says who answered (manager, frontline, ...)
COMPARED_ROLES = ("manager", "frontline")  # the difference is managers - frontline staff
# the compared roles as the subject of a sentence ("managers underestimate ..."), by report language
ROLE_NAMES = {
    "manager": {"zh": "管理人员", "en": "Managers"},
    "frontline": {"zh": "一线员工", "en": "Frontline staff"},
}


def welch_test(
    staff: np.ndarray | pd.Series, customers: np.ndarray | pd.Series, *, conf_level: float = 0.95
) -> dict[str, float]:
    r"""Welch's two-sample t test of the difference of means, staff − customers.

    Parameters
    ----------
    staff, customers : array or Series
        The two independent samples; NaN are dropped.
    conf_level : float
        Level of the confidence interval of the difference.

    Returns
    -------
    dict
        ``n_staff, mean_staff, sd_staff, n_customers, mean_customers, sd_customers, gap, se, t, df,
        p, ci_low, ci_high``.

    Notes
    -----
    .. math::
        d = \bar x_s - \bar x_c,\quad SE = \sqrt{s_s^2/n_s + s_c^2/n_c},\quad t = d/SE,

        \nu = \frac{(s_s^2/n_s + s_c^2/n_c)^2}{\frac{(s_s^2/n_s)^2}{n_s - 1} + \frac{(s_c^2/n_c)^2}{n_c - 1}},
        \quad CI = d \pm t_{\nu,\,1-\alpha/2}\,SE,

    p two-sided from :math:`t_\nu`. Equal variances are not assumed: staff answer in a narrower
    range than customers as a rule. Each side needs 2 values; with SE = 0 the test is NaN.

    References
    ----------
    .. [1] Welch, B. L. (1947). The generalization of "Student's" problem when several different
           population variances are involved. Biometrika, 34(1-2), 28-35.
           https://doi.org/10.1093/biomet/34.1-2.28
    .. [2] Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
           components. Biometrics Bulletin, 2(6), 110-114. https://doi.org/10.2307/3002019

    Examples
    --------
    >>> r = welch_test([5, 6, 6, 7], [6, 7, 7, 7, 6, 7])
    >>> round(r["gap"], 3), round(r["df"], 2)
    (-0.667, 4.62)
    """
    s = np.asarray(staff, dtype=float)
    c = np.asarray(customers, dtype=float)
    s, c = s[~np.isnan(s)], c[~np.isnan(c)]
    ns, nc = len(s), len(c)
    if ns < 2 or nc < 2:
        raise ValueError(f"Welch's test needs 2 answers on each side, got {ns} staff and {nc} customers")
    vs, vc = s.var(ddof=1) / ns, c.var(ddof=1) / nc
    gap = float(s.mean() - c.mean())
    se = float(np.sqrt(vs + vc))
    out = {
        "n_staff": ns,
        "mean_staff": float(s.mean()),
        "sd_staff": float(s.std(ddof=1)),
        "n_customers": nc,
        "mean_customers": float(c.mean()),
        "sd_customers": float(c.std(ddof=1)),
        "gap": gap,
        "se": se,
    }
    if se == 0:
        return out | {"t": np.nan, "df": np.nan, "p": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    df = float((vs + vc) ** 2 / (vs**2 / (ns - 1) + vc**2 / (nc - 1)))
    t = gap / se
    half = float(stats.t.ppf(1 - (1 - conf_level) / 2, df)) * se
    return out | {
        "t": t,
        "df": df,
        "p": float(2 * stats.t.sf(abs(t), df)),
        "ci_low": gap - half,
        "ci_high": gap + half,
    }


@dataclass(frozen=True, slots=True)
class Gap1Result:
    """Gap 1 per item, per dimension and per unit and dimension (see :func:`gap1`)."""

    items: pd.DataFrame = field(compare=False)  # per customer item: dimension, staff variable, Welch test, p_holm
    dimensions: pd.DataFrame = field(compare=False)  # per dimension: Welch test of the dimension scores, p_holm
    units: pd.DataFrame | None = field(compare=False)  # per unit and dimension, units with min_n on both sides
    unit_field: str | None
    suppressed_units: tuple[str, ...]  # units with answers on a side but fewer than min_n on either
    min_n: int
    conf_level: float
    # per role and dimension (roles with min_n staff), Welch against the customers, Holm over the table
    roles: pd.DataFrame | None = field(default=None, compare=False)
    # per dimension: managers - frontline staff, Welch, Holm over the dimensions
    role_difference: pd.DataFrame | None = field(default=None, compare=False)
    role_field: str | None = None
    suppressed_roles: tuple[str, ...] = ()  # roles with fewer than min_n, or withheld beside such a role

    def to_frame(self) -> pd.DataFrame:
        """One row per item: dimension, staff and customer means, gap 1, Welch test, Holm-adjusted p."""
        return self.items.reset_index()

    def summary(self) -> str:
        lines = [
            "Gap 1: staff belief - customer expectation (Welch t, Holm)",
            "  dimension          n staff  n cust  staff   cust    gap 1       t    p_holm",
        ]
        for dim, r in self.dimensions.iterrows():
            lines.append(
                f"  {dim!s:<18} {int(r['n_staff']):>7} {int(r['n_customers']):>7} {r['mean_staff']:6.2f} "
                f"{r['mean_customers']:6.2f}  {r['gap']:+7.3f} {r['t']:+7.2f} {r['p_holm']:9.4f}"
            )
        if self.units is not None:
            lines.append(
                f"  by {self.unit_field}: {self.units['unit'].nunique()} unit(s) with n >= {self.min_n} on both sides"
            )
        if self.suppressed_units:
            lines.append(
                f"  not shown (fewer than {self.min_n} answers on a side): {len(self.suppressed_units)} unit(s)"
            )
        if self.roles is not None:
            for (role, dim), r in self.roles.set_index(["role", "dimension"]).iterrows():
                lines.append(
                    f"  {role!s:<10} {dim!s:<18} n {int(r['n_staff']):>5}  gap 1 {r['gap']:+.3f}  p_holm {r['p_holm']:.4f}"
                )
        if self.role_difference is not None:
            for dim, r in self.role_difference.iterrows():
                lines.append(f"  manager - frontline {dim!s:<18} {r['difference']:+.3f}  p_holm {r['p_holm']:.4f}")
        return "\n".join(lines)


def mirror_pairs(mirror: Questionnaire, customer: Questionnaire) -> tuple[ServqualBlock, dict[str, str]]:
    """The customer's servqual block and {customer item: staff variable} of a mirror survey.

    Checks again what the loader checks when it can read the customer file: the mirror names this
    survey, the block exists, and every mirrored item is one of its items.
    """
    m = mirror.mirror_of
    if m is None:
        raise ValueError(f"survey {mirror.survey!r} has no mirror_of: it mirrors no customer survey")
    if m.survey != customer.survey:
        raise ValueError(f"survey {mirror.survey!r} mirrors {m.survey!r}, not {customer.survey!r}")
    blocks = customer.blocks("servqual")
    block = next((b for b in blocks if b.id == m.block), None) if m.block else (blocks[0] if len(blocks) == 1 else None)
    if block is None:
        raise ValueError(f"survey {customer.survey!r} has no servqual block {m.block or '(only one expected)'!r}")
    items = {item.id for item in block.items}
    missing = [item for _, item in m.items if item not in items]
    if missing:
        raise ValueError(f"mirrored items not in block {block.id!r} of {customer.survey!r}: {', '.join(missing)}")
    return block, {item: variable for variable, item in m.items}


def gap1(
    mirror: Questionnaire,
    staff: pd.DataFrame,
    customer: Questionnaire,
    customers: pd.DataFrame,
    *,
    by: str | None = None,
    role: str | None = None,
    min_n: int = DEFAULT_MIN_N,
    conf_level: float = 0.95,
) -> Gap1Result:
    r"""Gap 1 of the gap model: staff belief about customers' expectations − customers' expectations.

    Parameters
    ----------
    mirror, staff
        The mirror survey (``mirror_of:`` the customer survey) and its responses.
    customer, customers
        The customer survey with the servqual block and its responses (``<item>_e`` columns).
    by : str, optional
        A segment field both surveys carry (dealer, branch); default the first field they share.
        Gap 1 per dimension is then given for every unit with at least ``min_n`` staff and
        ``min_n`` customer answers; units below are named in ``suppressed_units``, not shown.
    min_n : int
        Fewest answers on each side of a unit (default 5, the anonymity floor of the staff side too),
        and fewest staff of a role before the role is shown.
    role : str, optional
        The staff column that says who answered; default :data:`ROLE_QUESTION` when the mirror
        has that question. Gap 1 per dimension is then also given per role (each role's staff
        against all customers), and managers against frontline staff (:data:`COMPARED_ROLES`).
    conf_level : float
        Level of the Welch intervals.

    Returns
    -------
    Gap1Result

    Notes
    -----
    Item j: :math:`G1_j = \bar M_j - \bar E_j`, the mean of the staff answers :math:`M_j` minus
    the mean of the customers' expectations :math:`E_j`, tested by Welch's t
    (:func:`welch_test`). Dimension d: per respondent the mean of the available mirrored items
    of d on each side, then the same test. Holm's adjustment (:func:`analysis.segments.holm`)
    runs over the item tests, over the dimension tests, and over the unit-by-dimension tests, each
    a family of its own. Missing answers are left out item by item.

    Per role r and dimension d: :math:`G1_{rd} = \bar M_{rd} - \bar E_d`, Welch's t, Holm over the
    role-by-dimension table. Managers against frontline staff per dimension:
    :math:`\Delta_d = \bar M_{\text{manager},d} - \bar M_{\text{frontline},d}`, Welch's t of the two
    staff groups' dimension scores, Holm over the dimensions; it needs ``min_n`` of each. Since
    both roles are compared with the same customers, :math:`\Delta_d` is also the difference of
    their gaps 1.  Gap 1 is management's in Parasuraman, Zeithaml & Berry (1985); frontline staff
    are the "upward communication" whose absence widens it.

    References
    ----------
    .. [1] Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1985). A conceptual model of service
           quality and its implications for future research. Journal of Marketing, 49(4), 41-50.
           https://doi.org/10.1177/002224298504900403
    .. [2] Zeithaml, V. A., Berry, L. L., & Parasuraman, A. (1988). Communication and control
           processes in the delivery of service quality. Journal of Marketing, 52(2), 35-48.
           https://doi.org/10.1177/002224298805200203
    .. [3] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
           Scandinavian Journal of Statistics, 6(2), 65-70.
    """
    block, pairs = mirror_pairs(mirror, customer)
    for item_id, variable in pairs.items():
        if variable not in staff.columns:
            raise ValueError(f"staff responses have no column {variable!r} (mirror of {item_id!r})")
        if f"{item_id}_e" not in customers.columns:
            raise ValueError(f"customer responses have no column {item_id + '_e'!r}")
    dimension_of = {item.id: item.dimension or "" for item in block.items if item.id in pairs}
    rows = []
    for item in block.items:
        if item.id not in pairs:
            continue
        test = welch_test(staff[pairs[item.id]], customers[f"{item.id}_e"], conf_level=conf_level)
        rows.append({"item": item.id, "dimension": dimension_of[item.id], "staff_variable": pairs[item.id]} | test)
    items = pd.DataFrame(rows).set_index("item")
    items["p_holm"] = holm(items["p"].to_numpy())
    dims = _dimension_members(dimension_of)
    staff_scores = _scores(staff, {d: [pairs[i] for i in members] for d, members in dims.items()})
    customer_scores = _scores(customers, {d: [f"{i}_e" for i in members] for d, members in dims.items()})
    dimensions = pd.DataFrame(
        [
            {"dimension": d, "items": len(dims[d])}
            | welch_test(staff_scores[d], customer_scores[d], conf_level=conf_level)
            for d in dims
        ]
    ).set_index("dimension")
    dimensions["p_holm"] = holm(dimensions["p"].to_numpy())
    unit_field = by if by is not None else _shared_field(mirror, customer)
    units: pd.DataFrame | None = None
    suppressed: tuple[str, ...] = ()
    if unit_field is not None:
        if unit_field not in staff.columns or unit_field not in customers.columns:
            raise ValueError(f"field {unit_field!r} is missing from the staff or the customer responses")
        units, suppressed = _units(
            staff[unit_field], staff_scores, customers[unit_field], customer_scores, min_n, conf_level
        )
    role_field = role if role is not None else _role_question(mirror, staff)
    roles, difference, hidden_roles = (
        _roles(mirror, staff, staff_scores, customer_scores, role_field, min_n, conf_level)
        if role_field is not None
        else (None, None, ())
    )
    return Gap1Result(
        items, dimensions, units, unit_field, suppressed, min_n, conf_level, roles, difference, role_field, hidden_roles
    )


def _role_question(mirror: Questionnaire, staff: pd.DataFrame) -> str | None:
    ids = {x.id for x in mirror.questions() if x.type == "choice"}
    return ROLE_QUESTION if ROLE_QUESTION in ids and ROLE_QUESTION in staff.columns else None


def _roles(
    mirror: Questionnaire,
    staff: pd.DataFrame,
    staff_scores: pd.DataFrame,
    customer_scores: pd.DataFrame,
    role_field: str,
    min_n: int,
    conf_level: float,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, tuple[str, ...]]:
    """Gap 1 per role and dimension, managers − frontline per dimension, and the roles too small to show."""
    if role_field not in staff.columns:
        raise ValueError(f"staff responses have no column {role_field!r} (the staff role)")
    values = staff[role_field].astype("string")
    question = next((x for x in mirror.questions() if x.id == role_field), None)
    order = [o.code for o in question.options] if question is not None else []
    seen = [*order, *sorted(set(values.dropna()) - set(order))]
    counts = {str(k): int(v) for k, v in values.value_counts().items()}
    limit = max(min_n, 2)
    # primary and complementary suppression: the pooled figures minus the shown roles must not give a small one
    withheld = hidden_cells({**counts, "": int(values.isna().sum())}, limit, [""])
    shown = [r for r in seen if counts.get(r, 0) and r not in withheld]
    hidden = tuple(r for r in seen if r in withheld)
    rows = [
        {"role": r, "dimension": d}
        | welch_test(staff_scores.loc[values == r, d], customer_scores[d], conf_level=conf_level)
        for r in shown
        for d in staff_scores.columns
    ]
    roles = pd.DataFrame(rows) if rows else None
    if roles is not None:
        roles["p_holm"] = holm(roles["p"].to_numpy())
    difference = None
    a, b = COMPARED_ROLES
    if a in shown and b in shown:
        diffs = []
        for d in staff_scores.columns:
            test = welch_test(staff_scores.loc[values == a, d], staff_scores.loc[values == b, d], conf_level=conf_level)
            diffs.append(
                {
                    "dimension": d,
                    f"n_{a}": test["n_staff"],
                    f"mean_{a}": test["mean_staff"],
                    f"n_{b}": test["n_customers"],
                    f"mean_{b}": test["mean_customers"],
                    "difference": test["gap"],
                }
                | {k: test[k] for k in ("se", "t", "df", "p", "ci_low", "ci_high")}
            )
        difference = pd.DataFrame(diffs).set_index("dimension")
        difference["p_holm"] = holm(difference["p"].to_numpy())
    return roles, difference, hidden


def _dimension_members(dimension_of: Mapping[str, str]) -> dict[str, list[str]]:
    dims: dict[str, list[str]] = {}
    for item, dim in dimension_of.items():
        dims.setdefault(dim, []).append(item)
    return dims


def _scores(frame: pd.DataFrame, members: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Per respondent and dimension: the mean of the available items (NaN with none)."""
    out = {}
    for dim, columns in members.items():
        values = frame[list(columns)].apply(pd.to_numeric, errors="coerce")
        counts = values.notna().sum(axis=1)
        out[dim] = (values.sum(axis=1, min_count=1) / counts.where(counts > 0)).astype(float)
    return pd.DataFrame(out, index=frame.index)


def _shared_field(mirror: Questionnaire, customer: Questionnaire) -> str | None:
    theirs = {f.id for f in customer.fields}
    return next((f.id for f in mirror.fields if f.id in theirs), None)


def _units(
    staff_unit: pd.Series,
    staff_scores: pd.DataFrame,
    customer_unit: pd.Series,
    customer_scores: pd.DataFrame,
    min_n: int,
    conf_level: float,
) -> tuple[pd.DataFrame | None, tuple[str, ...]]:
    rows = []
    seen = sorted(set(staff_unit.dropna().astype(str)) | set(customer_unit.dropna().astype(str)))
    staff_n = staff_unit.dropna().astype(str).value_counts()
    customer_n = customer_unit.dropna().astype(str).value_counts()
    limit = max(min_n, 2)
    eligible = [u for u in seen if staff_n.get(u, 0) >= limit and customer_n.get(u, 0) >= limit]
    # the pooled staff figures are shown: a unit whose staff mean they would give back is withheld too
    cells = {u: int(staff_n.get(u, 0)) for u in seen} | {"": int(staff_unit.isna().sum())}
    withheld = hidden_cells(cells, limit, ["", *(u for u in seen if u not in eligible)])
    shown: set[str] = set()
    for unit in (u for u in eligible if u not in withheld):
        s_mask, c_mask = staff_unit.astype(str) == unit, customer_unit.astype(str) == unit
        for dim in staff_scores.columns:
            s, c = staff_scores.loc[s_mask, dim].dropna(), customer_scores.loc[c_mask, dim].dropna()
            if len(s) < max(min_n, 2) or len(c) < max(min_n, 2):
                continue
            shown.add(unit)
            rows.append({"unit": unit, "dimension": dim} | welch_test(s, c, conf_level=conf_level))
    suppressed = tuple(u for u in seen if u not in shown)
    if not rows:
        return None, suppressed
    units = pd.DataFrame(rows)
    units["p_holm"] = holm(units["p"].to_numpy())
    return units, suppressed
