"""The watched questionnaire file: reloaded when it changes, its problems kept while it is broken."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from surveykit import storage
from surveykit.errors import QuestionnaireError
from surveykit.loader import DEFAULT_MAX_BYTES, loads
from surveykit.model import Questionnaire

__all__ = ["Problem", "Watched"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One loader problem as the page shows it: where, what, and the line it is on."""

    where: str  # file:line:col
    message: str
    line: str  # the offending line as written ("" when there is none)
    column: int


@dataclass
class Watched:
    """The questionnaire file of a preview: its current model or its problems, and a change counter."""

    path: str
    app: Flask
    generation: int = 0
    q: Questionnaire | None = None
    problems: list[Problem] = field(default_factory=list)
    loaded_at: str = ""
    answers: dict[str, Any] = field(default_factory=dict)  # the simulated response shown on the pages
    fields: dict[str, Any] = field(default_factory=dict)
    _digest: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> None:
        """Reload when the file's content changed; bump the generation on every change, good or bad.

        The content is read and hashed on every call rather than trusting the modification
        time: two saves within its resolution, or an editor that restores it, would go unseen.
        At most one byte past the loader's size cap is read; the loader reports the size.
        """
        with self._lock:
            try:
                with open(self.path, "rb") as fh:
                    data = fh.read(DEFAULT_MAX_BYTES + 1)
            except OSError as exc:
                if self._digest != "unreadable":
                    self._fail(
                        [Problem(self.path, f"cannot read the file: {exc.strerror or exc}", "", 0)], "unreadable"
                    )
                return
            digest = hashlib.sha256(data).hexdigest()
            if digest == self._digest:
                return
            try:
                q = loads(data, name=self.path)
            except QuestionnaireError as exc:
                text = data.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
                self._fail(
                    [
                        Problem(
                            f"{p.path}:{p.line}:{p.column}",
                            f"{p.key}: {p.message}" if p.key else p.message,
                            text[p.line - 1] if 0 < p.line <= len(text) else "",
                            p.column,
                        )
                        for p in exc.problems
                    ],
                    digest,
                )
                return
            self._register(q, data)
            self._digest = digest
            self.q, self.problems = q, []
            self.answers, self.fields = {}, {}
            self.generation += 1
            self.loaded_at = time.strftime("%H:%M:%S")

    def _fail(self, problems: list[Problem], digest: str) -> None:
        self.problems = problems
        self._digest = digest
        self.generation += 1
        self.loaded_at = time.strftime("%H:%M:%S")

    def _register(self, q: Questionnaire, data: bytes) -> None:
        """Make ``q`` the version ``/s/<survey>`` serves (another survey id replaces the previous one)."""
        registry = self.app.extensions["surveykit"]
        version_id = storage.register_version(registry.engine, q, data.decode("utf-8-sig"))
        if self.q is not None and self.q.survey != q.survey:
            registry.current.pop(self.q.survey, None)
        registry.current[q.survey] = (q, version_id)
        registry.by_version[version_id] = q
