"""Open-text comments: normalisation, codeframes, theme coding, sentiment and masking.

The core of comment coding lives in ``surveykit`` (not ``analysis``) because the loader checks
a text question's ``codeframe:`` and the alert conditions ``has_theme``/``contains_any`` are
evaluated when a response is stored; the statistics over coded comments are in
``analysis.text_themes``.
"""

from surveykit.text.codeframe import Codeframe, Rule, Theme, default_codeframe, load_codeframe
from surveykit.text.coder import SENTIMENTS, CodedComment, Coder, coder_for
from surveykit.text.masking import mask_personal_data
from surveykit.text.normalise import normalise

__all__ = [
    "SENTIMENTS",
    "CodedComment",
    "Codeframe",
    "Coder",
    "Rule",
    "Theme",
    "coder_for",
    "default_codeframe",
    "load_codeframe",
    "mask_personal_data",
    "normalise",
]
