"""The exceptions surveykit raises for bad input.

One base class, so that a caller can catch everything that is the user's fault
and let everything else (a bug) keep its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class SurveykitError(Exception):
    """Base of every error caused by input rather than by a bug."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a questionnaire file, with its position (1-based)."""

    path: str
    line: int
    column: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class QuestionnaireError(SurveykitError, ValueError):
    """A questionnaire file that cannot be loaded.

    Carries every problem found (``problems``); ``path``, ``line``, ``column`` and
    ``key`` are those of the first, and ``str()`` lists them all, one per line, as
    ``file:line:column: key.path: message``.
    """

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("QuestionnaireError needs at least one problem")
        self.problems = tuple(sorted(problems, key=lambda p: (p.line, p.column)))
        first = self.problems[0]
        self.path, self.line, self.column, self.key = first.path, first.line, first.column, first.key
        super().__init__("\n".join(str(p) for p in self.problems))


class StorageError(SurveykitError):
    """The response store refused an operation (for example a reused submission key)."""
