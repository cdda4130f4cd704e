"""Survey weights: raking and post-stratification to population margins, trimming, Kish's
design effect, and weighted estimates whose standard errors account for the calibration.

Results match R survey 4.1-1 (``calibrate(calfun = "raking")``, ``rake()``, ``postStratify()``,
``trimWeights()``, ``svymean``/``svytotal``/``svyby`` with ``na.rm = TRUE``); the reference cases
are in ``tests/reference`` (kind ``weighting``). Modules, in the order data flows:

* :mod:`.margins` - :func:`margin` and the matching of the data to the population cells, with
  the checks for impossible margins;
* :mod:`.design` - :class:`SurveyDesign` (base weights, clusters, strata, fpc) and the design
  variance;
* :mod:`.calibration` - :func:`rake`, :func:`poststratify`, :func:`trim_weights`,
  :func:`design_weights`, :func:`kish_design_effect`;
* :mod:`.estimates` - weighted means, totals, proportions, NPS, by-segment means
  with their covariance and differences of domain means.

Example
-------
>>> import pandas as pd
>>> from analysis import weighting
>>> df = pd.DataFrame({"dealer": ["A", "A", "A", "B"], "sat": [4, 5, None, 2]})
>>> w = weighting.poststratify(df, weighting.margin("dealer", {"A": 50, "B": 50}))
>>> round(weighting.weighted_mean(df, "sat", w).estimate, 4)
3.0
"""

from __future__ import annotations

from analysis.weighting.calibration import (
    KishResult,
    TrimInfo,
    WeightingResult,
    design_weights,
    kish_design_effect,
    poststratify,
    rake,
    trim_weights,
)
from analysis.weighting.design import SurveyDesign, design_of
from analysis.weighting.estimates import (
    WeightedDifferenceResult,
    WeightedEstimateResult,
    WeightedNpsResult,
    WeightedProportionsResult,
    WeightedSegmentsResult,
    weighted_mean,
    weighted_mean_difference,
    weighted_means_by,
    weighted_nps,
    weighted_proportions,
    weighted_ratio,
    weighted_total,
)
from analysis.weighting.margins import Margin, margin

__all__ = [
    "KishResult",
    "Margin",
    "SurveyDesign",
    "TrimInfo",
    "WeightedDifferenceResult",
    "WeightedEstimateResult",
    "WeightedNpsResult",
    "WeightedProportionsResult",
    "WeightedSegmentsResult",
    "WeightingResult",
    "design_of",
    "design_weights",
    "kish_design_effect",
    "margin",
    "poststratify",
    "rake",
    "trim_weights",
    "weighted_mean",
    "weighted_mean_difference",
    "weighted_means_by",
    "weighted_nps",
    "weighted_proportions",
    "weighted_ratio",
    "weighted_total",
]
