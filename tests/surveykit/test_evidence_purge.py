"""The life cycle of audit photos on SQLite and PostgreSQL, with real files: erased with their response,
abandoned drafts' and orphans' photos purged, a submitted response's kept, dry-run harmless, links never followed."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from PIL import Image

from surveykit import events
from surveykit.cli import main
from surveykit.contacts import erase
from surveykit.database import drafts, responses, utcnow
from surveykit.evidence import clean_image, form_owner, keep
from surveykit.evidence_purge import DRAFT_LIFETIME, discard, purge, purge_configured
from surveykit.fielding.worker import Settings, run_pass
from surveykit.storage import start_draft
from tests.support.fielding import PRIVACY_REMOVE, item, registered, submit
from webform.respondent_session import KEY_MAX_AGE_S

SURVEY = "visit_csi"


def _photo(root: Path, owner: str, item_id: str = "gr_walk_out") -> Path:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 120, 40)).save(out, format="PNG")
    return keep(root, SURVEY, owner, item_id, clean_image(out.getvalue()))


def _key(engine: sa.Engine, response_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.select(responses.c.key).where(responses.c.response_id == response_id)).scalar_one()


def _age(folder: Path, days: float) -> None:
    """Set the folder's and its files' times ``days`` back, as if written then."""
    then = (utcnow() - dt.timedelta(days=days)).replace(tzinfo=dt.UTC).timestamp()
    for path in [*folder.iterdir(), folder]:
        os.utime(path, (then, then), follow_symlinks=False)


def test_the_draft_lifetime_is_the_signed_form_key_s() -> None:
    # a one-screen form may be submitted with its key (and so claim its photos) until the key expires
    assert DRAFT_LIFETIME.total_seconds() == KEY_MAX_AGE_S


def test_erasure_removes_the_photos_of_a_removed_response(engine: sa.Engine, tmp_path: Path) -> None:
    q = registered(engine, PRIVACY_REMOVE)
    (out,) = events.ingest(engine, [item("e1", "C1")], {q.survey: q}.get)
    erased = submit(engine, q, invitation_id=out.invitation_id)
    kept = submit(engine, q)
    gone = [_photo(tmp_path, erased), _photo(tmp_path, form_owner(_key(engine, erased)), "gr_door")]
    stays = [_photo(tmp_path, kept), _photo(tmp_path, form_owner(_key(engine, kept)), "gr_door")]

    assert erase(engine, "C1", actor="cli", evidence_dir=str(tmp_path)).removed == 1
    assert [p.exists() for p in gone + stays] == [False, False, True, True]
    assert not (tmp_path / SURVEY / erased).exists()
    assert erase(engine, "C1", actor="cli", evidence_dir=str(tmp_path)).already  # again: nothing more, no error
    assert all(p.exists() for p in stays)


def test_an_unlinking_erasure_keeps_the_photos_with_the_kept_answers(engine: sa.Engine, tmp_path: Path) -> None:
    q = registered(engine)  # answers_on_erasure: unlink (the default): the answers stay, so does their evidence
    (out,) = events.ingest(engine, [item("e1", "C1")], {q.survey: q}.get)
    photo = _photo(tmp_path, submit(engine, q, invitation_id=out.invitation_id))
    assert erase(engine, "C1", actor="cli", evidence_dir=str(tmp_path)).unlinked == 1
    assert photo.exists()


def test_a_rolled_back_erasure_keeps_the_photos(engine: sa.Engine, tmp_path: Path, monkeypatch) -> None:
    """Files go only after the commit: an erasure whose transaction fails removes nothing."""
    from surveykit import contacts

    q = registered(engine, PRIVACY_REMOVE)
    (out,) = events.ingest(engine, [item("e1", "C1")], {q.survey: q}.get)
    rid = submit(engine, q, invitation_id=out.invitation_id)
    photo = _photo(tmp_path, rid)

    def failing_audit(*args: object, **kw: object) -> None:
        raise RuntimeError("the store went away")

    monkeypatch.setattr(contacts, "audit", failing_audit)  # the last statement of the erasure's transaction
    with pytest.raises(RuntimeError, match="went away"):
        erase(engine, "C1", actor="cli", evidence_dir=str(tmp_path))
    with engine.connect() as conn:
        assert conn.execute(sa.select(responses.c.response_id)).scalars().all() == [rid]
    assert photo.exists()


def test_an_abandoned_draft_s_photo_goes_after_expiry_and_not_before(engine: sa.Engine, tmp_path: Path) -> None:
    q = registered(engine)
    draft = start_draft(engine, q, language="zh", fields={"dealer": "de01"})
    photo = _photo(tmp_path, form_owner(draft.key))
    now = utcnow()

    assert purge(engine, tmp_path, now=now + dt.timedelta(days=6)).removed == ()
    assert photo.exists()
    # the draft saved again later: its photos are kept for a lifetime from that save
    with engine.begin() as conn:
        conn.execute(sa.update(drafts).values(updated_at=now + dt.timedelta(days=5)))
    assert purge(engine, tmp_path, now=now + dt.timedelta(days=8)).removed == ()
    result = purge(engine, tmp_path, now=now + dt.timedelta(days=13))
    assert result.removed == (("expired draft", photo),)
    assert not photo.exists() and not photo.parent.exists()


def test_orphans_go_a_submitted_response_s_photos_stay_and_dry_run_removes_nothing(
    engine: sa.Engine, tmp_path: Path
) -> None:
    q = registered(engine)
    rid = submit(engine, q)
    stays = [_photo(tmp_path, rid), _photo(tmp_path, form_owner(_key(engine, rid)))]
    orphan = _photo(tmp_path, "r0000deleted0000response00000000")  # a response id no row has
    old_form = _photo(tmp_path, form_owner("a key no form will post again"))
    _age(old_form.parent, 8)
    open_form = _photo(tmp_path, form_owner("a one-screen form still open"))  # may still be submitted
    old_stays = _photo(tmp_path, rid, "gr_door")
    _age(old_stays.parent, 30)  # a submitted response's photos never expire
    (old_stays.parent / "gr_door.part").write_bytes(b"half")  # a write cut short
    _age(old_stays.parent, 30)

    dry = purge(engine, tmp_path, dry_run=True)
    assert {(reason, p.name) for reason, p in dry.removed} == {
        ("orphan", orphan.name),
        ("orphan", old_form.name),
        ("unfinished write", "gr_door.part"),
    }
    assert "would remove" in dry.summary() and orphan.exists() and old_form.exists()

    done = purge(engine, tmp_path)
    assert done.removed == dry.removed and "removed 3 file(s)" in done.summary()
    assert not orphan.parent.exists() and not old_form.parent.exists()
    assert all(p.exists() for p in [*stays, open_form, old_stays])
    assert purge(engine, tmp_path).removed == ()  # idempotent


def test_a_planted_link_is_never_followed(engine: sa.Engine, tmp_path: Path) -> None:
    q = registered(engine)
    rid = submit(engine, q)
    root, outside = tmp_path / "evidence", tmp_path / "outside"
    outside.mkdir()
    secret = outside / "gr_walk_out.png"
    secret.write_bytes(b"not ours")
    _photo(root, rid)
    links = [
        root / "elsewhere",  # beside the surveys
        root / SURVEY / "r0000planted000000000000000000ab",  # in place of an owner folder
        root / SURVEY / rid / "gr_door.png",  # in place of a photo
    ]
    links[0].symlink_to(outside, target_is_directory=True)
    links[1].symlink_to(outside, target_is_directory=True)
    links[2].symlink_to(secret)

    result = purge(engine, root, now=utcnow() + dt.timedelta(days=60))
    assert sorted(p for _, p in result.removed) == sorted(links)
    assert {reason for reason, _ in result.removed} == {"link"}
    assert secret.read_bytes() == b"not ours" and not any(p.is_symlink() for p in links)
    assert (root / SURVEY / rid / "gr_walk_out.png").exists()

    # an erased response whose folder was swapped for a link: the link is not followed either
    swapped = root / SURVEY / "r0000swapped000000000000000000ab"
    swapped.symlink_to(outside, target_is_directory=True)
    assert discard(root, [(SURVEY, swapped.name, "its key")]) == []
    assert secret.exists()


def test_the_command_and_the_fielding_worker_s_pass(
    db_url: str, engine: sa.Engine, tmp_path: Path, monkeypatch
) -> None:
    q = registered(engine)
    rid = submit(engine, q)
    kept = _photo(tmp_path, rid)
    orphan = _photo(tmp_path, "r0000deleted0000response00000000")
    runner = CliRunner()
    args = ["evidence", "purge", "--db", db_url, "--dir", str(tmp_path)]

    dry = runner.invoke(main, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would remove {orphan} (orphan)" in dry.output and orphan.exists()
    bad = runner.invoke(main, [*args, "--older-than", "soon"])
    assert bad.exit_code == 2 and "'soon' is not a duration" in bad.output

    monkeypatch.setenv("SURVEYKIT_EVIDENCE_DIR", str(tmp_path))
    stats = run_pass(engine, Settings(base_url="http://127.0.0.1", secret=b"s" * 32), worker="w", clock=utcnow)
    assert "purged audit photos: 1" in stats.notes
    assert purge_configured(engine, utcnow()) == []
    assert not orphan.exists() and kept.exists()
    done = runner.invoke(main, args[:4])  # the folder from the environment
    assert done.exit_code == 0 and "removed 0 file(s)" in done.output


def test_the_erase_command_removes_the_photos(db_url: str, engine: sa.Engine, tmp_path: Path, monkeypatch) -> None:
    q = registered(engine, PRIVACY_REMOVE)
    (out,) = events.ingest(engine, [item("e1", "C1")], {q.survey: q}.get)
    photo = _photo(tmp_path, submit(engine, q, invitation_id=out.invitation_id))
    monkeypatch.setenv("SURVEYKIT_EVIDENCE_DIR", str(tmp_path))
    erased = CliRunner().invoke(main, ["erase", "--customer-id", "C1", "--db", db_url])
    assert erased.exit_code == 0 and "1 removed" in erased.output, erased.output
    assert not photo.exists()


def test_the_commands_default_folder_is_the_web_app_s(tmp_path: Path) -> None:
    from webform import create_app
    from webform.form_photos import default_folder, folder

    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/t.sqlite3"})
    try:
        with app.app_context():
            assert folder() == default_folder() == Path(app.instance_path) / "evidence"
    finally:
        app.extensions["surveykit"].engine.dispose()
