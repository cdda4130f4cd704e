r"""Service recovery: what became of the follow-up cases of unhappy customers.

Reads the cases table of :func:`surveykit.cases.cases_frame` (one row per
case); it never touches the database.

Notes
-----
Time to first contact is ``first_contact_at − created_at`` over the cases with
a first contact (a contact note, or the move to *verified*); cases without one
are counted apart (``n_not_contacted``), never as zero.  *On time* means the
first contact came by the rule's deadline.  Time to close is ``closed_at −
created_at`` over closed cases (done and evaluated, or closed without action).
*Recovered* is the share of answered recovery surveys whose answer is
satisfied (top-2-box, as recorded on the case), with Wilson's 95 % interval

.. math:: \frac{\hat p + \frac{z^2}{2n} \pm z\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}}{1 + \frac{z^2}{n}}

References
----------
.. [1] Hart, C. W. L., Heskett, J. L., & Sasser, W. E. (1990). The profitable art of service recovery.
       Harvard Business Review, 68(4), 148–156.
.. [2] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
       Journal of the American Statistical Association, 22(158), 209–212. https://doi.org/10.2307/2276774
.. [3] Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion: comparison
       of seven methods. Statistics in Medicine, 17(8), 857–872.
       https://doi.org/10.1002/(SICI)1097-0258(19980430)17:8<857::AID-SIM777>3.0.CO;2-E

Examples
--------
>>> import pandas as pd
>>> t = pd.Timestamp("2026-03-01 08:00")
>>> df = pd.DataFrame({"case_id": [1, 2], "alert": ["unhappy"] * 2, "department": ["service", "sales"],
...     "state": ["done_evaluated", "open"], "root_cause": ["parts", None], "created_at": [t, t],
...     "first_contact_due": [t + pd.Timedelta(hours=24)] * 2,
...     "first_contact_at": [t + pd.Timedelta(hours=3), pd.NaT], "closed_at": [t + pd.Timedelta(hours=50), pd.NaT],
...     "overdue": [False, True], "recovery_sent_at": [t, pd.NaT], "recovery_answered_at": [t, pd.NaT],
...     "recovered": pd.array([True, pd.NA], dtype="boolean")})
>>> r = service_recovery(df)
>>> (r.n_cases, r.n_overdue, r.contact_hours_median, r.close_hours_median, r.n_recovered)
(2, 1, 3.0, 50.0, 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["RecoveryResult", "service_recovery"]

REQUIRED = (
    "case_id",
    "alert",
    "department",
    "state",
    "root_cause",
    "created_at",
    "first_contact_due",
    "first_contact_at",
    "closed_at",
    "overdue",
    "recovery_sent_at",
    "recovery_answered_at",
    "recovered",
)
FINAL = ("done_evaluated", "closed_without_action")


@dataclass(frozen=True, slots=True)
class RecoveryResult:
    n_cases: int
    n_active: int
    n_overdue: int
    n_done: int  # done and evaluated
    n_closed_without_action: int
    n_contacted: int
    n_not_contacted: int
    contact_hours_median: float
    contact_hours_p90: float
    contacted_on_time_pct: float  # of the contacted cases
    close_hours_median: float
    n_recovery_sent: int
    n_recovery_answered: int
    n_recovered: int
    recovered_pct: float
    recovered_ci: tuple[float, float]
    by_cause: pd.DataFrame = field(compare=False)  # per rule: n, active, overdue, closed
    by_root_cause: pd.DataFrame = field(compare=False)  # per root-cause category: n
    by_department: pd.DataFrame = field(compare=False)  # per department: n, active, overdue, hours, recovered

    def to_frame(self) -> pd.DataFrame:
        """One row per department (``(none)`` for cases without one)."""
        return self.by_department.copy()

    def summary(self) -> str:
        lines = [
            f"cases: {self.n_cases} ({self.n_active} active, {self.n_overdue} overdue, {self.n_done} done, "
            f"{self.n_closed_without_action} closed without action)",
            f"first contact: median {_h(self.contact_hours_median)}, 90th percentile "
            f"{_h(self.contact_hours_p90)}, on time {_pct(self.contacted_on_time_pct)} "
            f"({self.n_contacted} contacted, {self.n_not_contacted} not yet)",
            f"to close: median {_h(self.close_hours_median)}",
            f"recovered: {self.n_recovered} of {self.n_recovery_answered} answered recovery surveys "
            f"({_pct(self.recovered_pct)}, 95 % CI {_ci(self.recovered_ci)}); "
            f"{self.n_recovery_sent} sent",
        ]
        return "\n".join(lines)


def _h(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f} h"


def _pct(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f} %"


def _ci(ci: tuple[float, float]) -> str:
    return "–" if math.isnan(ci[0]) else f"{ci[0]:.1f}–{ci[1]:.1f} %"


def _hours(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.total_seconds() / 3600


def _median(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.median()) if len(values) else math.nan


def _wilson(successes: int, n: int) -> tuple[float, float]:
    r"""Wilson's 95 % score interval for a proportion, in percent (NaN for n = 0: no share exists).

    scipy's ``binomtest(k, n).proportion_ci(method="wilson")`` (Newcombe 1998, method 3: no
    continuity correction, R ``prop.test(k, n, correct = FALSE)$conf.int``); the formula is in
    the module notes. At k = 0 or k = n the open end is exactly 0 or 1.
    """
    if n == 0:
        return math.nan, math.nan
    ci = stats.binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    return 100 * float(ci.low), 100 * float(ci.high)


def service_recovery(cases: pd.DataFrame) -> RecoveryResult:
    """Counts, times and the recovered share of the cases in ``cases`` (see the module notes).

    Raises
    ------
    ValueError
        When a column of :func:`surveykit.cases.cases_frame` is missing (named).
    """
    missing = [c for c in REQUIRED if c not in cases.columns]
    if missing:
        raise ValueError(f"the cases table lacks the column(s) {', '.join(missing)}")
    df = cases.copy()
    df["department"] = df["department"].astype("object").where(df["department"].notna(), "(none)")
    final = df["state"].isin(FINAL)
    contact_h = _hours(df["first_contact_at"], df["created_at"])
    close_h = _hours(df["closed_at"], df["created_at"]).where(final)
    contacted = df["first_contact_at"].notna()
    on_time = (df["first_contact_at"] <= df["first_contact_due"]) & contacted
    answered = df["recovery_answered_at"].notna()
    recovered = df["recovered"].astype("boolean").fillna(False).astype(bool) & answered
    n_answered, n_recovered = int(answered.sum()), int(recovered.sum())
    overdue = df["overdue"].astype(bool)
    df = df.assign(
        _active=~final,
        _overdue=overdue,
        _closed=final,
        _contact_h=contact_h,
        _close_h=close_h,
        _answered=answered,
        _recovered=recovered,
    )
    by_cause = (
        df.groupby("alert", sort=False)
        .agg(n=("case_id", "size"), active=("_active", "sum"), overdue=("_overdue", "sum"), closed=("_closed", "sum"))
        .sort_values("n", ascending=False, kind="stable")
    )
    root = df.loc[df["root_cause"].notna(), "root_cause"].astype(str)
    by_root = root.value_counts().rename_axis("root_cause").to_frame("n")
    by_department = df.groupby("department", sort=True).agg(
        n=("case_id", "size"),
        active=("_active", "sum"),
        overdue=("_overdue", "sum"),
        contact_hours_median=("_contact_h", "median"),
        close_hours_median=("_close_h", "median"),
        recovery_answered=("_answered", "sum"),
        recovered=("_recovered", "sum"),
    )
    by_department["recovered_pct"] = np.where(
        by_department["recovery_answered"] > 0,
        100 * by_department["recovered"] / by_department["recovery_answered"],
        np.nan,
    )
    return RecoveryResult(
        n_cases=len(df),
        n_active=int((~final).sum()),
        n_overdue=int(overdue.sum()),
        n_done=int((df["state"] == "done_evaluated").sum()),
        n_closed_without_action=int((df["state"] == "closed_without_action").sum()),
        n_contacted=int(contacted.sum()),
        n_not_contacted=int((~contacted).sum()),
        contact_hours_median=_median(contact_h),
        contact_hours_p90=float(contact_h.dropna().quantile(0.9)) if contacted.any() else math.nan,
        contacted_on_time_pct=100 * float(on_time.sum()) / int(contacted.sum()) if contacted.any() else math.nan,
        close_hours_median=_median(close_h),
        n_recovery_sent=int(df["recovery_sent_at"].notna().sum()),
        n_recovery_answered=n_answered,
        n_recovered=n_recovered,
        recovered_pct=100 * n_recovered / n_answered if n_answered else math.nan,
        recovered_ci=_wilson(n_recovered, n_answered),
        by_cause=by_cause.astype({"active": int, "overdue": int, "closed": int}),
        by_root_cause=by_root,
        by_department=by_department.astype({"active": int, "overdue": int, "recovery_answered": int, "recovered": int}),
    )
