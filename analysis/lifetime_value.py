"""What a kept customer is worth: customer lifetime value and the gain from a retention programme.

Arithmetic on a yearly margin and a churn rate (constant retention, optional discounting and
horizon), the business case that satisfaction and loyalty figures feed.  ``analysis.loyalty``
re-exports both functions under their former names.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["ClvResult", "RetentionProgrammeResult", "customer_lifetime_value", "retention_programme"]


@dataclass(frozen=True, slots=True)
class ClvResult:
    """Customer lifetime value (see :func:`customer_lifetime_value`)."""

    annual_margin: float
    annual_cost: float
    churn_rate: float
    discount_rate: float
    acquisition_cost: float
    horizon_years: int | None
    expected_lifetime_years: float
    value: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: getattr(self, k) for k in self.__slots__}])  # type: ignore[attr-defined]

    def summary(self) -> str:
        return (
            f"CLV {self.value:,.2f}: {self.expected_lifetime_years:g} expected years x "
            f"({self.annual_margin:g} - {self.annual_cost:g}) a year, discount {100 * self.discount_rate:g} %, "
            f"minus {self.acquisition_cost:g} to acquire"
        )


def customer_lifetime_value(
    annual_margin: float,
    churn_rate: float,
    *,
    acquisition_cost: float = 0.0,
    annual_cost: float = 0.0,
    discount_rate: float = 0.0,
    horizon_years: int | None = None,
) -> ClvResult:
    r"""Customer lifetime value with constant yearly churn, simple or discounted.

    Parameters
    ----------
    annual_margin : float
        Profit a customer brings per year.
    churn_rate : float
        Share of customers lost per year, in (0, 1]; retention r = 1 - churn.
    acquisition_cost : float
        One-off cost of winning the customer.
    annual_cost : float
        Yearly cost of serving or retaining the customer (e.g. a retention programme).
    discount_rate : float
        Yearly discount rate d >= 0; 0 gives the simple (undiscounted) value.
    horizon_years : int, optional
        Cut the lifetime at this many years; default unlimited.

    Returns
    -------
    ClvResult

    Notes
    -----
    With net margin m = annual_margin - annual_cost, received at the start of each year the
    customer is still there (year 1 surely):

    .. math:: CLV = m \sum_{t=0}^{T-1} \Bigl(\frac{r}{1+d}\Bigr)^t - AC
              \;\xrightarrow{T\to\infty}\; m\,\frac{1+d}{1+d-r} - AC.

    Without discounting this is m x (expected lifetime 1/churn) - AC, the textbook rule: 10 %
    churn means 10 years on average, so 100 a year and 75 to acquire give 10 x 100 - 75 = 925.

    References
    ----------
    .. [1] Gupta, S., & Lehmann, D. R. (2003). Customers as assets. Journal of Interactive
           Marketing, 17(1), 9-24. https://doi.org/10.1002/dir.10045
    .. [2] Berger, P. D., & Nasr, N. I. (1998). Customer lifetime value: marketing models and
           applications. Journal of Interactive Marketing, 12(1), 17-30.

    Examples
    --------
    >>> customer_lifetime_value(100, 0.10, acquisition_cost=75).value
    925.0
    """
    if not 0 < churn_rate <= 1:
        raise ValueError(f"churn_rate must be in (0, 1], got {churn_rate!r}")
    if discount_rate < 0:
        raise ValueError(f"discount_rate must be >= 0, got {discount_rate!r}")
    if horizon_years is not None and horizon_years < 1:
        raise ValueError(f"horizon_years must be at least 1, got {horizon_years!r}")
    # 1/(1 - r/(1+d)) written as (1+d)/(d+churn), so that 10 % churn gives exactly 10 years.
    factor = (1 + discount_rate) / (discount_rate + churn_rate)
    lifetime = 1 / churn_rate
    if horizon_years is not None:
        factor *= 1 - ((1 - churn_rate) / (1 + discount_rate)) ** horizon_years
        lifetime *= 1 - (1 - churn_rate) ** horizon_years
    margin = annual_margin - annual_cost
    return ClvResult(
        annual_margin=annual_margin,
        annual_cost=annual_cost,
        churn_rate=churn_rate,
        discount_rate=discount_rate,
        acquisition_cost=acquisition_cost,
        horizon_years=horizon_years,
        expected_lifetime_years=lifetime,
        value=margin * factor - acquisition_cost,
    )


@dataclass(frozen=True, slots=True)
class RetentionProgrammeResult:
    """CLV before and after a retention programme (see :func:`retention_programme`)."""

    before: ClvResult
    after: ClvResult
    gain: float

    def to_frame(self) -> pd.DataFrame:
        frame = pd.concat([self.before.to_frame(), self.after.to_frame()], ignore_index=True)
        frame.insert(0, "scenario", ["before", "after"])
        return frame

    def summary(self) -> str:
        return f"Before: {self.before.summary()}\nAfter:  {self.after.summary()}\nGain per customer: {self.gain:,.2f}"


def retention_programme(
    annual_margin: float,
    churn_rate: float,
    *,
    new_churn_rate: float,
    programme_cost: float,
    acquisition_cost: float = 0.0,
    discount_rate: float = 0.0,
) -> RetentionProgrammeResult:
    """Gain in customer lifetime value from a programme that lowers churn at a yearly cost per customer.

    Both values come from :func:`customer_lifetime_value`; the programme's cost is paid every year
    the customer stays.

    Examples
    --------
    A credit-card company loses 10 % of its customers a year, earns 100 a year from each and pays
    75 to acquire one; a programme costing 20 a year halves churn to 5 %:
    20 x (100 - 20) - 75 = 1,525 against 10 x 100 - 75 = 925 (surveykit seed 000, course notes
    on customer satisfaction management).

    >>> retention_programme(100, 0.10, new_churn_rate=0.05, programme_cost=20, acquisition_cost=75).gain
    600.0
    """
    before = customer_lifetime_value(
        annual_margin, churn_rate, acquisition_cost=acquisition_cost, discount_rate=discount_rate
    )
    after = customer_lifetime_value(
        annual_margin,
        new_churn_rate,
        acquisition_cost=acquisition_cost,
        annual_cost=programme_cost,
        discount_rate=discount_rate,
    )
    return RetentionProgrammeResult(before=before, after=after, gain=after.value - before.value)
