"""Minimum-n suppression for an anonymous survey (``anonymous: {min_n: N}``), wherever a unit shows.

An employee survey is answered by a handful of people per dealer and department; a mean, a
verbatim or even a row of a small unit points at people.  Every path that shows figures or rows
by unit applies the rules here, so they agree:

- :func:`min_n`: the survey's ``min_n``, never below the caller's own floor (the dashboard's
  ``DASHBOARD_MIN_N``): the larger of the two.
- :func:`hidden_cells`: which sibling cells under a published total are withheld: *primary*
  suppression of every cell of 1 to ``min_n - 1`` responses, then *complementary* (secondary)
  suppression, because the total minus the shown cells gives back the one hidden cell.  The
  withheld set is grown, smallest shown cell first, until its responses together are ``min_n`` or
  more (or everything is withheld): what can be computed from the total is then a mean over at
  least ``min_n`` people of two or more cells.
- :func:`mask_units`: a respondent-level table (the raw export) in which a row of a unit below
  ``min_n`` carries no unit.  Fields are taken as a hierarchy in their declared order (dealer,
  then department): the finest field is blanked first, with complementary suppression inside its
  parent, so a blank department of a shown dealer is never one department only.  Submission
  times keep their day only (an answer at 14:03 names whoever was at the terminal).
- :func:`feed_record`: the API feed streams one response at a time and cannot know a unit's final
  count, so an anonymous survey's records carry no unit field and dated times only.

What is not protected here: the same unit in two periods (a unit of 6 last month and 7 now
differ by one person); the dashboard shows a change only where both periods pass ``min_n``, and
applies the complementary rule to the previous period as well, but a reader keeping every
month's download can still difference them.  Free text can name its writer; verbatims are shown
only for a selection of at least ``min_n`` responses, masked, without unit, date or scores.

References
----------
.. [1] Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Nordholt, E. S., Spicer,
       K., & de Wolf, P.-P. (2012). *Statistical Disclosure Control*, ch. 4 (Magnitude tabular
       data: primary and secondary cell suppression). Wiley. https://doi.org/10.1002/9781118348239
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, TypeVar

import pandas as pd

from surveykit.model import Questionnaire

__all__ = ["DEFAULT_MIN_N", "feed_record", "hidden_cells", "mask_units", "min_n"]

DEFAULT_MIN_N = 5
_TIMES = ("started_at", "submitted_at")

K = TypeVar("K", bound=Hashable)


def min_n(q: Questionnaire, floor: int = 1) -> int:
    """The fewest responses a figure by unit of ``q`` rests on: the survey's ``anonymous.min_n`` or ``floor``,
    whichever is larger (``floor`` alone for a survey that is not anonymous).

    >>> from surveykit.loader import load_questionnaire
    >>> q = load_questionnaire("questionnaires/employee_satisfaction.yaml")
    >>> min_n(q, 1), min_n(q, 10)
    (5, 10)
    """
    return max(floor, q.anonymous.min_n) if q.anonymous is not None else floor


def hidden_cells(cells: Mapping[K, int], limit: int, always: Iterable[K] = ()) -> set[K]:
    """The sibling cells to withhold under a published total: primary, then complementary suppression.

    Parameters
    ----------
    cells
        Responses per cell (the child units of one parent whose total is shown).
    limit
        The minimum n (:func:`min_n`).
    always
        Cells never shown whatever their size (responses with a code no child holds): they count
        in what the total minus the shown cells gives back.

    Returns
    -------
    set
        Every cell of 1 to ``limit - 1`` responses and the ``always`` cells, grown by the smallest
        other non-empty cells (ties by key) until the withheld cells hold 0 or at least ``limit``
        responses, or every cell is withheld.

    Notes
    -----
    With published total :math:`T = \\sum_i n_i \\bar x_i` and shown cells :math:`S`, the withheld
    cells' pooled mean :math:`(T - \\sum_{i \\in S} n_i \\bar x_i)/\\sum_{i \\notin S} n_i` is known;
    it must rest on ``limit`` responses or more.  Empty cells (0 responses) say nothing of anyone
    and are left alone.  Hundepool et al. (2012), ch. 4.

    Examples
    --------
    >>> sorted(hidden_cells({"A": 3, "B": 6, "C": 20}, 5))  # A's figure = total - B - C without B
    ['A', 'B']
    >>> sorted(hidden_cells({"A": 3, "B": 4, "C": 20}, 5))  # A and B pool to 7
    ['A', 'B']
    >>> sorted(hidden_cells({"A": 6, "B": 8}, 5))
    []
    """
    hidden = {k for k, n in cells.items() if 0 < n < limit} | set(always)
    while 0 < sum(cells.get(k, 0) for k in hidden) < limit:
        rest = sorted((n, str(k), k) for k, n in cells.items() if k not in hidden and n > 0)
        if not rest:
            break
        hidden.add(rest[0][2])
    return hidden


def mask_units(q: Questionnaire, df: pd.DataFrame, limit: int) -> pd.DataFrame:
    """A copy of a respondent-level table of ``q`` in which no row names a unit of fewer than ``limit`` rows.

    The declared fields present in ``df`` are a hierarchy in their order (dealer, department).
    From the finest up: rows are grouped by the fields down to this one (blanked rows leave the
    groups); within each parent group the cells of :func:`hidden_cells` lose this field and every
    finer one.  The top field's parent is the whole table.  Times keep their day (``floor("D")``).

    Examples
    --------
    >>> from surveykit.loader import load_questionnaire
    >>> q = load_questionnaire("questionnaires/employee_satisfaction.yaml")
    >>> df = pd.DataFrame({"dealer": ["D1"] * 9 + ["D2"] * 3 + ["D3"] * 7,
    ...                    "department": ["sales"] * 6 + ["support"] * 3 + ["sales"] * 3 + ["sales"] * 7})
    >>> out = mask_units(q, df, 5)
    >>> out.groupby(["dealer", "department"], dropna=False).size().to_dict()  # D2 and D3 pool to 10
    {('D1', nan): 9, (nan, nan): 10}
    """
    fields = [f.id for f in q.fields if f.id in df.columns]
    out = df.copy()
    for column in fields:
        out[column] = out[column].astype(object)
    for depth in range(len(fields), 0, -1):
        column, parents = fields[depth - 1], fields[: depth - 1]
        present = out[column].notna()
        if parents:
            present &= out[parents].notna().all(axis=1)
        keys = out.loc[present, [*parents, column]]
        groups = keys.groupby(parents, dropna=False, sort=False) if parents else [((), keys)]
        for _parent, part in groups:
            counts = part[column].value_counts()
            hidden = hidden_cells({k: int(v) for k, v in counts.items()}, limit)
            if hidden:
                rows = part.index[part[column].isin(list(hidden))]
                out.loc[rows, fields[depth - 1 :]] = None
    for column in _TIMES:
        if column in out.columns and pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.floor("D")
    return out


def feed_record(record: Mapping[str, Any], q: Questionnaire) -> dict[str, Any]:
    """An API feed record of an anonymous survey: without the unit fields, its times cut to the day (ISO date).

    >>> from surveykit.loader import load_questionnaire
    >>> q = load_questionnaire("questionnaires/employee_satisfaction.yaml")
    >>> feed_record({"dealer": "D1", "department": "sales", "submitted_at": "2026-12-01T14:03:11Z", "x": 4}, q)
    {'submitted_at': '2026-12-01', 'x': 4}
    """
    names = {f.id for f in q.fields}
    out = {k: v for k, v in record.items() if k not in names}
    for column in _TIMES:
        if isinstance(out.get(column), str):
            out[column] = out[column][:10]
    return out
