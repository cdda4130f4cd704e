"""Study planning: how many responses a study needs, before it is fielded.

* :mod:`analysis.planning.size`: sample size for a target margin of error (means on a rating
  scale, top-2-box shares, NPS, the 0-100 index), with the finite-population correction and a
  design effect, per dealer and in total, and the margin a given n buys (Cochran 1977; Kish 1965).
* :mod:`analysis.planning.power`: power by simulation, how often the report's own rules find the
  effects a scenario plants (:mod:`surveykit.scenario`).
"""

from __future__ import annotations

from analysis.planning.power import EFFECTS, PowerResult, power
from analysis.planning.size import (
    SampleSizeResult,
    margin_of_error,
    pilot_sd,
    sample_size,
    sd_index,
    sd_nps,
    sd_proportion,
)

__all__ = [
    "EFFECTS",
    "PowerResult",
    "SampleSizeResult",
    "margin_of_error",
    "pilot_sd",
    "power",
    "sample_size",
    "sd_index",
    "sd_nps",
    "sd_proportion",
]
