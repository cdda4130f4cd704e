"""Problems of an XLSForm, each at its sheet and row: ``FILE:sheet:row: message``.

An XLSForm has no line and column; a researcher finds a problem by the sheet tab and the row
number Excel shows, so every message carries those two (row 1 is the header row).
"""

from __future__ import annotations

from dataclasses import dataclass

from surveykit.errors import SurveykitError


@dataclass(frozen=True, slots=True)
class SheetProblem:
    """One problem at a sheet and row (1-based, as the spreadsheet shows it); row 0: the whole file.

    ``unsupported``: something with no equivalent here, which ``--skip-unsupported`` leaves out.
    """

    path: str
    sheet: str
    row: int
    message: str
    unsupported: bool = False

    def __str__(self) -> str:
        if not self.sheet:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.sheet}:{self.row}: {self.message}"


class XLSFormError(SurveykitError, ValueError):
    """An XLSForm that cannot be imported (or a questionnaire that cannot be exported).

    ``problems`` holds every problem found; ``str()`` lists them one per line.
    """

    def __init__(self, problems: list[SheetProblem]) -> None:
        if not problems:
            raise ValueError("XLSFormError needs at least one problem")
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
