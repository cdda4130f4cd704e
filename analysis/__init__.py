"""Statistics for customer-satisfaction surveys, over pandas objects.

One module per method family (``reliability``, ``servqual``, ``kano``, ``ipa``,
``loyalty``, ``segments``, ``quality``), each of plain functions returning frozen
result dataclasses with ``to_frame()`` and ``summary()``; :func:`analyze` runs
everything a questionnaire declares.  Nothing here touches a database.
"""

from __future__ import annotations

from analysis import ipa, kano, loyalty, quality, reliability, segments, servqual
from analysis.analyze import AnalysisResult, analyze

__all__ = ["AnalysisResult", "analyze", "ipa", "kano", "loyalty", "quality", "reliability", "segments", "servqual"]
