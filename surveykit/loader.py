"""YAML questionnaire -> :class:`~surveykit.model.Questionnaire`, or every problem at once.

The entry points, and the order of the passes, each in its own module (as
pyxform keeps reading, building and its validators apart):

1. decode UTF-8 and refuse characters that have no place in a questionnaire,
   each at its own line and column (:func:`surveykit.yamlsafe.forbidden_characters`);
2. compose position-carrying nodes safely, refusing tags, aliases that
   explode, merge keys and duplicate keys (:mod:`surveykit.yamlsafe`);
3. read every object against the key table of :mod:`surveykit.spec`:
   unknown, missing and mistyped keys (:mod:`surveykit.reader`);
4. build the model, resolving scales, dimensions and fields
   (:mod:`surveykit.builder`), and check what spans objects: id clashes after
   role suffixes, screen ids, conditions that look forward or at unknown
   answers (:mod:`surveykit.checks`).

Problems are collected rather than raised, so that a researcher sees all of
them in one run, each as ``file:line:column: key.path: message``.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from pathlib import Path
from typing import Any

from surveykit.builder import Builder
from surveykit.errors import Problem, QuestionnaireError
from surveykit.model import Questionnaire
from surveykit.reader import BAD, Reader
from surveykit.yamlsafe import Mapping, Node, YamlProblem, compose, forbidden_characters, position

DEFAULT_MAX_BYTES = 512 * 1024


def load_questionnaire(source: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Questionnaire:
    """Load and validate a questionnaire from a path or from YAML text.

    A ``Path`` (or a one-line string ending in ``.yaml``/``.yml``) is read as a
    file; any other string is the YAML itself.  Raises
    :class:`~surveykit.errors.QuestionnaireError` listing every problem.
    """
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and source.strip().endswith((".yaml", ".yml"))
    ):
        path = Path(source)
        name = str(source)
        try:
            size = path.stat().st_size
            # never more than the limit allows: /dev/zero or a pipe reports size 0 and never ends
            with path.open("rb") as file:
                data = file.read(max_bytes + 1) if size <= max_bytes else b""
        except OSError as exc:
            raise QuestionnaireError(
                [Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror or exc}")]
            ) from None
        except ValueError as exc:  # a NUL in the name: os.stat refuses it before asking the system
            raise QuestionnaireError(
                [Problem(name.replace("\0", "\\0"), 1, 1, "", f"cannot read the file: {exc}")]
            ) from None
        if size > max_bytes:
            raise QuestionnaireError(
                [Problem(name, 1, 1, "", f"the file has {size:,} bytes; the limit is {max_bytes:,}")]
            )
    else:
        name = "<string>"
        data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else bytes(source)
    return loads(data, name=name, max_bytes=max_bytes)


def load_directory(directory: str | os.PathLike[str], **kwargs: Any) -> dict[str, Questionnaire]:
    """Every ``*.yaml`` questionnaire in a folder, keyed by survey id."""
    loaded: dict[str, Questionnaire] = {}
    for path in sorted(Path(directory).glob("*.y*ml")):
        q = load_questionnaire(path, **kwargs)
        loaded[q.survey] = q
    return loaded


def loads(data: bytes, *, name: str = "<string>", max_bytes: int = DEFAULT_MAX_BYTES) -> Questionnaire:
    """Load a questionnaire from bytes (UTF-8, with or without a BOM)."""
    if len(data) > max_bytes:
        raise QuestionnaireError(
            [Problem(name, 1, 1, "", f"the file has {len(data):,} bytes; the limit is {max_bytes:,}")]
        )
    # the BOM is cut off here rather than by the utf-8-sig codec, whose error positions skip it
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        # everything before the bad byte decoded, so the column counts characters as an editor does
        good = body[: exc.start].decode("utf-8")
        line, column = position(good + "?", len(good))
        raise QuestionnaireError(
            [Problem(name, line, column, "", "the file is not valid UTF-8; save it as UTF-8")]
        ) from None
    if refused := forbidden_characters(text):
        raise QuestionnaireError([Problem(name, p.line, p.column, "", p.message) for p in refused])
    try:
        root = compose(text)
    except YamlProblem as exc:
        raise QuestionnaireError([Problem(name, p.line, p.column, "", p.message) for p in (exc, *exc.more)]) from None
    except RecursionError:  # pragma: no cover - compose is iterative; kept as a last guard
        raise QuestionnaireError([Problem(name, 1, 1, "", "the document is nested too deeply")]) from None
    reader = Reader(name, text)
    q = _questionnaire(reader, root, hashlib.sha256(data).hexdigest())
    if reader.problems or q is None:
        raise QuestionnaireError(reader.problems or [Problem(name, 1, 1, "", "empty questionnaire")])
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
    return Builder(reader, top).build(sha256)
