"""The period a dashboard shows, read from the query string, and the period it is compared with.

``period`` is one of ``30d`` and ``90d`` (the last 30 or 90 UTC days, today included), ``month``
(``m=YYYY-MM``, default this month), ``quarter`` (``q=YYYY-Qn``, default this quarter), ``wave``
(``w=`` a wave name: the days from its first to its last response) and ``custom`` (``from`` and
``to``, ISO dates, both included).  The comparison period is the one just before of the same length:
the previous 30 or 90 days, the previous calendar month or quarter, the same number of days before
a wave or a custom range.  Anything unreadable falls back to the last 30 days, never an error page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from surveykit.aggregates import day_number

__all__ = ["KINDS", "MAX_DAYS", "Period", "parse_period"]

KINDS = ("30d", "90d", "month", "quarter", "wave", "custom")
MAX_DAYS = 3 * 366  # a custom range is cut to three years


@dataclass(frozen=True, slots=True)
class Period:
    """Days ``start`` .. ``end`` (end excluded), how it was chosen, and its predecessor."""

    kind: str
    start: dt.date
    end: dt.date
    prev_start: dt.date
    value: str = ""  # the m=, q=, w= value or "from/to"

    @property
    def days(self) -> tuple[int, int]:
        return day_number(self.start), day_number(self.end)

    @property
    def prev_days(self) -> tuple[int, int]:
        return day_number(self.prev_start), day_number(self.start)

    @property
    def length(self) -> int:
        return (self.end - self.start).days

    @property
    def last(self) -> dt.date:
        """The last day included."""
        return self.end - dt.timedelta(days=1)

    @property
    def prev_last(self) -> dt.date:
        """The last day of the comparison period."""
        return self.start - dt.timedelta(days=1)

    def query(self) -> dict[str, str]:
        """The query-string arguments that select this period again (for links)."""
        args = {"period": self.kind}
        if self.kind == "month":
            args["m"] = self.value
        elif self.kind == "quarter":
            args["q"] = self.value
        elif self.kind == "wave":
            args["w"] = self.value
        elif self.kind == "custom":
            args["from"], args["to"] = self.start.isoformat(), self.last.isoformat()
        return args


def _days(kind: str, today: dt.date, n: int) -> Period:
    end = today + dt.timedelta(days=1)
    start = end - dt.timedelta(days=n)
    return Period(kind, start, end, start - dt.timedelta(days=n))


def _month(value: str, today: dt.date) -> Period:
    try:
        first = dt.date.fromisoformat(value + "-01")
    except ValueError:
        first = today.replace(day=1)
    end = (first + dt.timedelta(days=32)).replace(day=1)
    prev = (first - dt.timedelta(days=1)).replace(day=1)
    return Period("month", first, end, prev, first.strftime("%Y-%m"))


def _quarter(value: str, today: dt.date) -> Period:
    year, quarter = today.year, (today.month - 1) // 3 + 1
    parts = value.upper().split("-Q")
    if len(parts) == 2 and parts[0].isdigit() and parts[1] in ("1", "2", "3", "4") and 1900 < int(parts[0]) < 3000:
        year, quarter = int(parts[0]), int(parts[1])
    first = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    prev = dt.date(year - (quarter == 1), 10 if quarter == 1 else 3 * quarter - 5, 1)
    return Period("quarter", first, end, prev, f"{year}-Q{quarter}")


def _range(kind: str, first: dt.date, last: dt.date, value: str) -> Period:
    if last < first:
        first, last = last, first
    first = max(first, last - dt.timedelta(days=MAX_DAYS))
    end = last + dt.timedelta(days=1)
    n = (end - first).days
    return Period(kind, first, end, first - dt.timedelta(days=n), value)


def parse_period(
    args: Mapping[str, str],
    today: dt.date,
    wave_days: Callable[[str], tuple[dt.date, dt.date] | None] | None = None,
) -> Period:
    """The period of a request's arguments (see the module docstring); ``wave_days`` finds a wave's days."""
    kind = args.get("period", "30d")
    if kind == "90d":
        return _days(kind, today, 90)
    if kind == "month":
        return _month(args.get("m", "")[:7], today)
    if kind == "quarter":
        return _quarter(args.get("q", "")[:7], today)
    if kind == "custom":
        try:
            first, last = dt.date.fromisoformat(args.get("from", "")), dt.date.fromisoformat(args.get("to", ""))
        except ValueError:
            return _days("30d", today, 30)
        return _range("custom", first, last, "")
    if kind == "wave" and wave_days is not None:
        wave = args.get("w", "")[:100]
        found = wave_days(wave) if wave else None
        if found is not None:
            return _range("wave", found[0], found[1], wave)
    return _days("30d", today, 30)
