"""YAML questionnaire -> :class:`~surveykit.model.Questionnaire`, or every problem at once.

The entry points, and the order of the passes, each in its own module (as
pyxform keeps reading, building and its validators apart):

1. read at most ``max_bytes``, decode UTF-8 and refuse characters that have no
   place in a questionnaire, each at its own line and column, then compose
   position-carrying nodes safely, refusing tags, aliases that explode, merge
   keys and duplicate keys (:mod:`surveykit.source`, the same for every YAML
   file the project reads, over :mod:`surveykit.yamlsafe`);
2. read every object against the key table of :mod:`surveykit.spec`:
   unknown, missing and mistyped keys (:mod:`surveykit.reader`);
3. build the model, resolving scales, dimensions and fields
   (:mod:`surveykit.builder`), and check what spans objects: id clashes after
   role suffixes, screen ids, conditions that look forward or at unknown
   answers (:mod:`surveykit.checks`).

Problems are collected rather than raised, so that a researcher sees all of
them in one run, each as ``file:line:column: key.path: message``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from surveykit.builder import Builder
from surveykit.errors import Problem, QuestionnaireError
from surveykit.model import Questionnaire
from surveykit.reader import BAD, Reader
from surveykit.source import Source, read_source
from surveykit.yamlsafe import Mapping, Node

DEFAULT_MAX_BYTES = 512 * 1024


def load_questionnaire(source: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Questionnaire:
    """Load and validate a questionnaire from a path or from YAML text.

    A ``Path`` (or a one-line string ending in ``.yaml``/``.yml``) is read as a
    file; any other string is the YAML itself.  Raises
    :class:`~surveykit.errors.QuestionnaireError` listing every problem.
    """
    return _load(read_source(source, max_bytes=max_bytes))


def load_directory(directory: str | os.PathLike[str], **kwargs: Any) -> dict[str, Questionnaire]:
    """Every ``*.yaml`` questionnaire in a folder, keyed by survey id."""
    loaded: dict[str, Questionnaire] = {}
    for path in sorted(Path(directory).glob("*.y*ml")):
        q = load_questionnaire(path, **kwargs)
        loaded[q.survey] = q
    return loaded


def loads(data: bytes, *, name: str = "<string>", max_bytes: int = DEFAULT_MAX_BYTES) -> Questionnaire:
    """Load a questionnaire from bytes (UTF-8, with or without a BOM)."""
    return _load(read_source(bytes(data), max_bytes=max_bytes, name=name))


def _load(source: Source) -> Questionnaire:
    reader = Reader(source.name, source.text)
    q = _questionnaire(reader, source.root, hashlib.sha256(source.data).hexdigest())
    if reader.problems or q is None:
        raise QuestionnaireError(reader.problems or [Problem(source.name, 1, 1, "", "empty questionnaire")])
    return q


def _questionnaire(reader: Reader, root: Node | None, sha256: str) -> Questionnaire | None:
    """Read and build from the composed root; ``None`` (with problems) when it cannot be built.

    ``languages:`` is read first, because every text in the file is checked
    against the languages it declares.
    """
    if root is None:
        reader.problem(None, "", "the file is empty; a questionnaire needs survey, version, title, languages and pages")
        return None
    if isinstance(root, Mapping):
        lang_node = next((v for k, v in root.pairs if k.value == "languages"), None)
        if lang_node is not None:
            # a scratch reader: the read of the whole top level below reports a bad entry once
            langs = Reader(reader.name).convert(lang_node, ("list", "language"), "languages")
            if langs is not BAD:
                declared = [lang for lang, _ in langs if lang is not BAD]
                if not declared:
                    reader.problem(lang_node, "languages", "declare at least one language (zh, en)")
                elif len(set(declared)) != len(declared):
                    reader.problem(lang_node, "languages", "a language is declared twice")
                else:
                    reader.languages = tuple(declared)
    top = reader.read(root, "questionnaire", "")
    if top is None:
        return None
    return Builder(reader, top, load_questionnaire).build(sha256)
