"""Reliability of multi-item scales: alpha, Guttman's lambdas, split-half, omega, composite reliability.

Every statistic follows the definitions of R's psych 2.2.9 (alpha, splitHalf, omega),
lavaan 0.6 / semTools 0.5-6 (composite reliability) and SPSS RELIABILITY (item-total and
split-half tables); ``../shared/STATISTICS.md`` section 1 explains the choices. Items are
columns of a DataFrame, one row per respondent, NaN for a missing answer.

The package has one module per method family; every public name is re-exported here, so
``from analysis import reliability; reliability.cronbach_alpha(...)`` is the way to call them:

========================  ==========================================================
``alpha``                 :func:`cronbach_alpha` with Feldt, Duhachek and bootstrap
                          intervals and psych's item table; the statistics of C and R
                          the other modules share
``spss``                  :func:`spss_item_total`, :func:`spss_split_half` (SPSS RELIABILITY)
``splits``                :func:`split_half` over every split, :func:`guttman` lambda1-6
``model_based``           :func:`omega` (Schmid-Leiman), :func:`composite_reliability` (CFA)
========================  ==========================================================
"""

from __future__ import annotations

from analysis.reliability.alpha import ReliabilityResult, cronbach_alpha
from analysis.reliability.model_based import CompositeReliabilityResult, OmegaResult, composite_reliability, omega
from analysis.reliability.splits import GuttmanResult, SplitHalfResult, guttman, split_half
from analysis.reliability.spss import ItemTotalResult, SpssSplitHalfResult, spss_item_total, spss_split_half

__all__ = [
    "CompositeReliabilityResult",
    "GuttmanResult",
    "ItemTotalResult",
    "OmegaResult",
    "ReliabilityResult",
    "SplitHalfResult",
    "SpssSplitHalfResult",
    "composite_reliability",
    "cronbach_alpha",
    "guttman",
    "omega",
    "split_half",
    "spss_item_total",
    "spss_split_half",
]
