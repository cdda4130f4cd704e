"""surveykit: customer-satisfaction surveys end to end.

The core: the questionnaire model and its loader, the condition language, the
response store, the simulator, the exports and the ``surveykit`` command.
"""

from __future__ import annotations

from surveykit.errors import QuestionnaireError, StorageError, SurveykitError
from surveykit.loader import load_directory, load_questionnaire
from surveykit.model import Question, Questionnaire, Screen, Text, Variable

__all__ = [
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "Screen",
    "StorageError",
    "SurveykitError",
    "Text",
    "Variable",
    "load_directory",
    "load_questionnaire",
]
__version__ = "0.1.0"
