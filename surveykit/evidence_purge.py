"""The life cycle of audit photos: they go with their response, and nothing is kept that no row needs.

A photo lives at ``<evidence folder>/<survey>/<owner>/<item>.jpg|png`` (:mod:`surveykit.evidence`),
where the owner is the response id (a photo attached on the audit's evidence page) or
:func:`surveykit.evidence.form_owner` of the submission key (a photo attached while the audit was
filled in, before its response existed; the draft, and then the response, carry that key).

* **Erasure.** :func:`collecting` gathers, inside a write transaction, the responses that
  :func:`forget` names as deleted (``surveykit.contacts`` calls it for each response it removes);
  after the commit :func:`discard` removes their photo folders.  Files go only after the commit, so
  a rolled-back erasure keeps every photo; a crash between the two leaves orphan folders, which
  :func:`purge` removes.
* **Purge** (``surveykit evidence purge`` and each pass of the fielding worker): an owner folder is
  kept while a response of the survey has that id or key, or an unsubmitted draft has that key and
  was saved within ``older_than``; a draft idle longer than that is abandoned and its photos go.
  A folder named by a key that no row carries yet may be a one-screen form still open in a browser
  (its signed key is valid for :data:`DRAFT_LIFETIME`), so it goes only once its newest file is
  older than ``older_than``; one named by a response id that no longer exists goes at once.

Nothing is taken from the database as a path: survey and owner names are the folder's own entries,
checked against :func:`surveykit.evidence`'s name rule, and rows are only compared with them.
Symbolic links are never followed: a link found in the folder (we never make one) is removed as a
link, and folders are removed with :func:`shutil.rmtree`, which does not follow links inside.  Every
step is idempotent: a second run finds nothing more to remove.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from surveykit.database import drafts, responses, utcnow
from surveykit.evidence import form_owner, valid_name

__all__ = [
    "DRAFT_LIFETIME",
    "PurgeResult",
    "collecting",
    "configured_folder",
    "discard",
    "forget",
    "purge",
    "purge_configured",
]

# How long an unsubmitted form keeps its photos: the life of the signed submission key of a form
# (webform.respondent_session.KEY_MAX_AGE_S, 7 days; a test keeps the two equal)
DRAFT_LIFETIME = dt.timedelta(days=7)
ENV_FOLDER = "SURVEYKIT_EVIDENCE_DIR"  # the web app reads the same variable as EVIDENCE_DIR
_KEY_OWNER = re.compile(r"k[0-9a-f]{40}\Z")  # form_owner's shape; anything else is a response id
_PENDING = "surveykit.evidence_purge.pending"

Doomed = tuple[str, str, str]  # survey, response id, submission key


def configured_folder() -> Path | None:
    """The evidence folder named by ``SURVEYKIT_EVIDENCE_DIR``, or None."""
    value = os.environ.get(ENV_FOLDER, "").strip()
    return Path(value) if value else None


# -- erasure ---------------------------------------------------------------------------------------


@contextmanager
def collecting(conn: Connection) -> Iterator[list[Doomed]]:
    """The responses :func:`forget` names while the block runs on ``conn`` (hand them to :func:`discard` after the commit)."""
    pending: list[Doomed] = []
    conn.info[_PENDING] = pending
    try:
        yield pending
    finally:
        conn.info.pop(_PENDING, None)


def forget(conn: Connection, survey: str, response_id: str, key: str) -> None:
    """Record, in :func:`collecting`'s list, that this response is deleted in ``conn``'s transaction.

    Without a collector nothing is recorded: the folder is then an orphan that :func:`purge` removes.
    """
    pending = conn.info.get(_PENDING)
    if pending is not None:
        pending.append((survey, response_id, key))


def discard(folder: str | os.PathLike[str] | None, doomed: Iterable[Doomed]) -> list[Path]:
    """Remove the photo folders of deleted responses (call after the commit); the files removed.

    ``folder`` None means :func:`configured_folder`; when neither names one nothing is removed here.
    """
    configured = Path(folder) if folder is not None else configured_folder()
    removed: list[Path] = []
    if configured is None:
        return removed
    root = configured.resolve()  # the folder the admin named may be a link; nothing inside is followed
    for survey, response_id, key in doomed:
        for owner in (response_id, form_owner(key)):
            path = root / survey / owner
            if _names_ok(survey, owner) and _real_dir(root / survey) and _real_dir(path):
                removed.extend(_listing(path))
                _remove(path)
    return removed


# -- purge -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """What :func:`purge` removed (or, with ``dry_run``, would remove): (reason, path) per file or link."""

    removed: tuple[tuple[str, Path], ...]
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        lines = [f"{verb} {path} ({reason})" for reason, path in self.removed]
        lines.append(f"{verb} {len(self.removed)} file(s)")
        return "\n".join(lines)


def purge(
    engine: Engine,
    folder: str | os.PathLike[str],
    *,
    now: dt.datetime | None = None,
    older_than: dt.timedelta = DRAFT_LIFETIME,
    dry_run: bool = False,
) -> PurgeResult:
    """Remove orphan photos (no row needs them) and the photos of drafts abandoned for ``older_than``.

    The rules are in the module docstring.  ``now`` is naive UTC, as the store's times are.  With
    ``dry_run`` nothing is removed and the result lists what would be.
    """
    now = now or utcnow()
    cutoff = now - older_than
    root = Path(folder).resolve()  # the folder the admin named may be a link; nothing inside is followed
    found: list[tuple[str, Path]] = []
    if not _real_dir(root):
        return PurgeResult((), dry_run)
    with os.scandir(root) as top:
        surveys = sorted(top, key=lambda e: e.name)
    for survey_entry in surveys:
        if survey_entry.is_symlink():
            found.append(("link", Path(survey_entry.path)))
        elif survey_entry.is_dir(follow_symlinks=False) and valid_name(survey_entry.name):
            found.extend(_purge_survey(engine, Path(survey_entry.path), survey_entry.name, cutoff))
    listed = tuple(_files(found))  # before anything is removed
    if not dry_run:
        for _, path in found:
            _remove(path)
    return PurgeResult(listed, dry_run)


def purge_configured(engine: Engine, now: dt.datetime) -> list[str]:
    """The fielding worker's pass: :func:`purge` of ``SURVEYKIT_EVIDENCE_DIR`` (when set); a note when it removed anything."""
    root = configured_folder()
    if root is None:
        return []
    result = purge(engine, root, now=now)
    return [f"purged audit photos: {len(result.removed)}"] if result.removed else []


def _purge_survey(engine: Engine, survey_dir: Path, survey: str, cutoff: dt.datetime) -> list[tuple[str, Path]]:
    """What to remove in one survey's folder: (reason, owner folder or link or stray file)."""
    with os.scandir(survey_dir) as entries:
        owners = sorted(entries, key=lambda e: e.name)
    if not owners:
        return []
    kept, drafts_of = _rows(engine, survey)
    out: list[tuple[str, Path]] = []
    for entry in owners:
        try:
            out.extend(_judge(entry, kept, drafts_of, cutoff))
        except FileNotFoundError:
            continue  # removed meanwhile (another worker's pass)
    return out


def _judge(
    entry: os.DirEntry[str], kept: set[str], drafts_of: dict[str, dt.datetime | None], cutoff: dt.datetime
) -> list[tuple[str, Path]]:
    """What to remove of one owner folder (or the link in its place)."""
    path = Path(entry.path)
    if entry.is_symlink():
        return [("link", path)]
    if not entry.is_dir(follow_symlinks=False):
        return []  # not ours: only folders are written here
    if entry.name in kept:
        return _strays(path, cutoff)
    if entry.name in drafts_of:
        saved = drafts_of[entry.name]
        if saved is None:
            return [("orphan: its response was deleted", path)]
        return [("expired draft", path)] if max(saved, _newest(path)) <= cutoff else _strays(path, cutoff)
    if not _KEY_OWNER.fullmatch(entry.name) or _newest(path) <= cutoff:
        return [("orphan", path)]
    return _strays(path, cutoff)  # a form without a draft may still be submitted with this key


def _rows(engine: Engine, survey: str) -> tuple[set[str], dict[str, dt.datetime | None]]:
    """The owner names the survey's responses hold, and each unsubmitted draft's owner with its last save.

    A draft whose response was deleted maps to None.  Keys are hashed here, one survey at a time (the
    evidence folder only holds audit instruments, which have hundreds or thousands of responses).
    """
    r, d = responses.c, drafts.c
    with engine.connect() as conn:
        answered = conn.execute(sa.select(r.response_id, r.key).where(r.survey == survey)).all()
        started = conn.execute(sa.select(d.key, d.updated_at, d.response_id).where(d.survey == survey)).all()
    kept = {row.response_id for row in answered} | {form_owner(row.key) for row in answered}
    drafts_of: dict[str, dt.datetime | None] = {}
    for row in started:
        owner = form_owner(row.key)
        if owner not in kept:
            drafts_of[owner] = row.updated_at if row.response_id is None else None
    return kept, drafts_of


def _strays(owner_dir: Path, cutoff: dt.datetime) -> list[tuple[str, Path]]:
    """Inside a kept folder: links (never ours) and half-written ``.part`` files left by a crash."""
    out: list[tuple[str, Path]] = []
    with os.scandir(owner_dir) as entries:
        for entry in entries:
            if entry.is_symlink():
                out.append(("link", Path(entry.path)))
            elif entry.name.endswith(".part") and _mtime(entry.stat(follow_symlinks=False)) <= cutoff:
                out.append(("unfinished write", Path(entry.path)))
    return out


def _newest(owner_dir: Path) -> dt.datetime:
    """The last change in a folder: its own time and its files' (links are not followed)."""
    times = [owner_dir.lstat().st_mtime]
    with os.scandir(owner_dir) as entries:
        times.extend(entry.stat(follow_symlinks=False).st_mtime for entry in entries)
    return _mtime_at(max(times))


def _mtime(st: os.stat_result) -> dt.datetime:
    return _mtime_at(st.st_mtime)


def _mtime_at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)


def _files(found: list[tuple[str, Path]]) -> Iterator[tuple[str, Path]]:
    """One (reason, path) per file of each removed folder, and the links and files themselves (for the report)."""
    for reason, path in found:
        if reason != "link" and _real_dir(path):
            yield from ((reason, file) for file in _listing(path))
        else:
            yield reason, path


def _listing(folder: Path) -> list[Path]:
    """The files in a folder (links listed, never followed)."""
    out: list[Path] = []
    for base, dirs, names in os.walk(folder, followlinks=False):
        out.extend(Path(base) / name for name in sorted(names))
        out.extend(Path(base) / name for name in sorted(dirs) if (Path(base) / name).is_symlink())
    return out or [folder]


def _remove(path: Path) -> None:
    """Remove a link, a file or a real folder; already gone is fine (another pass removed it)."""
    try:
        if _real_dir(path):
            shutil.rmtree(path)  # fd-based on Linux: links inside are removed, not followed
        else:
            path.unlink(missing_ok=True)
    except FileNotFoundError:
        pass


def _real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def _names_ok(*names: str) -> bool:
    return all(valid_name(name) for name in names)
