"""A YAML source read as the project reads every file it is given: safely, and with positions.

The questionnaire, a ``--weights`` margins file and a planning scenario are all read the same
way before their own readers see them: at most ``max_bytes`` (never more: ``/dev/zero`` or a
pipe reports size 0 and never ends), UTF-8 with or without a BOM (a bad byte reported at its
own line and column), no character that has no place in a text file
(:func:`surveykit.yamlsafe.forbidden_characters`), and composed into position-carrying nodes
with tags, exploding aliases, merge keys and duplicate keys refused
(:func:`surveykit.yamlsafe.compose`).  Every refusal is a
:class:`~surveykit.errors.QuestionnaireError` whose problems read ``file:line:column: message``,
never a traceback.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from pathlib import Path

from surveykit.errors import Problem, QuestionnaireError
from surveykit.yamlsafe import Node, YamlProblem, compose, forbidden_characters, position

__all__ = ["Source", "is_path", "read_source"]


@dataclass(frozen=True, slots=True)
class Source:
    """A composed YAML source: its name for messages, its raw bytes, its text and its root node."""

    name: str
    data: bytes
    text: str
    root: Node | None


def is_path(source: str | bytes | os.PathLike[str]) -> bool:
    """A ``Path``, or a one-line string ending in ``.yaml``/``.yml``, names a file; other text is YAML."""
    return isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and source.strip().endswith((".yaml", ".yml"))
    )


def read_source(
    source: str | bytes | os.PathLike[str], *, max_bytes: int, name: str = "<string>", as_file: bool | None = None
) -> Source:
    """Read, decode, check and compose ``source``.

    ``source`` names a file when ``as_file`` is true, or (``as_file`` None) when :func:`is_path`
    says so; otherwise it is the YAML itself, as text or bytes, and ``name`` stands for it in
    messages.
    """
    if as_file or (as_file is None and is_path(source)):
        if isinstance(source, bytes):
            raise TypeError("a file is named by a str or a path, not bytes")
        name, data = str(source), _read_file(Path(source), str(source), max_bytes)
    elif isinstance(source, str):
        data = source.encode("utf-8", "surrogatepass")
    elif isinstance(source, bytes):
        data = source
    else:
        raise TypeError("YAML is given as text or bytes; a path is read with as_file=True")
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
    return Source(name, data, text, root)


def _read_file(path: Path, name: str, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            data = file.read(max_bytes + 1) if size <= max_bytes else b""
    except OSError as exc:
        raise QuestionnaireError([Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    except ValueError as exc:  # a NUL in the name: os.stat refuses it before asking the system
        raise QuestionnaireError(
            [Problem(name.replace("\0", "\\0"), 1, 1, "", f"cannot read the file: {exc}")]
        ) from None
    if size > max_bytes:
        raise QuestionnaireError([Problem(name, 1, 1, "", f"the file has {size:,} bytes; the limit is {max_bytes:,}")])
    return data
