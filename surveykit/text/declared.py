"""The ``codeframe:`` key of a text question: which codeframe codes its answers.

``codeframe: default`` is the shipped dealer codeframe; anything else names a YAML file
relative to the questionnaire's folder (or to the working folder for a questionnaire given as
text).  The file must stay inside that folder (no absolute path, no ``..``) and end in
``.yaml``/``.yml``: a questionnaire uploaded through the admin must not make the loader read,
and echo in its messages, any other file on the server.  The codeframe's own problems are
reported at their place in the codeframe file; a missing or refused file at the key.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from surveykit.errors import QuestionnaireError
from surveykit.reader import Obj, Reader
from surveykit.text.codeframe import Codeframe, default_codeframe, load_codeframe

__all__ = ["read_codeframe"]


def read_codeframe(reader: Reader, obj: Obj) -> Codeframe | None:
    """The checked codeframe a text question declares, or None (with the problem reported)."""
    value = obj.get("codeframe")
    if not isinstance(value, str):
        return None
    if value == "default":
        return default_codeframe()
    where, path = obj.at("codeframe"), obj.sub("codeframe")
    relative = PurePosixPath(value.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts or ":" in value or relative.suffix not in (".yaml", ".yml"):
        reader.problem(
            where,
            path,
            f"codeframe {value!r}: give 'default' or a .yaml file inside the questionnaire's folder (no absolute path, no '..')",
        )
        return None
    base = Path(reader.name).parent if reader.name not in ("", "<string>") else Path.cwd()
    file = base / relative
    if not file.is_file():
        reader.problem(where, path, f"codeframe file {value!r} not found in {str(base)!r}")
        return None
    try:
        return load_codeframe(file)
    except QuestionnaireError as exc:
        reader.problems.extend(exc.problems)
        return None
