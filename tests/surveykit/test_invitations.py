"""Invitations on SQLite and PostgreSQL: unguessable hashed tokens, lookups that never use them up,
single use inside the submission's transaction."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from surveykit import storage
from surveykit.database import invitations, responses
from surveykit.errors import SurveykitError
from surveykit.invitations import invite_contacts


def _rows(engine, table):
    with engine.connect() as conn:
        return [r._asdict() for r in conn.execute(sa.select(table))]


def test_tokens_are_long_random_and_stored_only_as_hashes(engine, registered):
    made = storage.create_invitations(engine, registered, [{"dealer": "D1", "advisor": "Wang"}, {"dealer": "D2"}])
    assert [m.fields for m in made] == [{"dealer": "D1", "advisor": "Wang"}, {"dealer": "D2"}]
    assert len({m.token for m in made}) == 2 and all(len(m.token) == 43 for m in made)  # 256 bits
    stored = _rows(engine, invitations)
    assert [r["token_hash"] for r in stored] == [hashlib.sha256(m.token.encode()).hexdigest() for m in made]
    for row in stored:
        assert not {m.token for m in made} & {str(v) for v in row.values()}


def test_lookup_never_uses_a_token_up(engine, registered):
    (inv,) = storage.create_invitations(engine, registered, [{"dealer": "D1"}])
    for _ in range(3):  # a link scanner, then the respondent
        state = storage.lookup_invitation(engine, inv.token)
        assert state.status == "open" and state.id == inv.id and state.fields == {"dealer": "D1"}
    assert state.survey == "dealer_service"


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "a" * 10_000, "' OR 1=1 --", "%00", "ä" * 43, None, 42])
def test_unknown_and_malformed_tokens_look_the_same(engine, registered, token):
    assert storage.lookup_invitation(engine, token) == storage.InvitationState("unknown")


def test_a_submission_uses_the_invitation_up_and_carries_its_fields(engine, registered):
    (inv,) = storage.create_invitations(engine, registered, [{"dealer": "D1", "advisor": "Li"}])
    saved = storage.save_response(engine, registered, {"sat_overall": 6}, key="k1", language="zh", invitation_id=inv.id)
    state = storage.lookup_invitation(engine, inv.token)
    assert state.status == "used" and state.response_id == saved.response_id
    row = storage.responses_frame(engine, registered).iloc[0]
    assert (row["dealer"], row["advisor"]) == ("D1", "Li")
    replay = storage.save_response(
        engine, registered, {"sat_overall": 6}, key="k1", language="zh", invitation_id=inv.id
    )
    assert replay == storage.SaveResult(saved.response_id, False)
    with pytest.raises(storage.InvitationUnavailable):
        storage.save_response(engine, registered, {"sat_overall": 2}, key="k2", language="zh", invitation_id=inv.id)
    assert len(_rows(engine, responses)) == 1


def test_expired_invitations_are_refused(engine, registered):
    (inv,) = storage.create_invitations(engine, registered, [{"dealer": "D1"}], expires_days=1)
    with engine.begin() as conn:
        conn.execute(sa.update(invitations).values(expires_at=inv.expires_at.replace(year=2000)))
    assert storage.lookup_invitation(engine, inv.token).status == "expired"
    with pytest.raises(storage.InvitationUnavailable):
        storage.save_response(engine, registered, {"sat_overall": 6}, key="k", language="zh", invitation_id=inv.id)
    assert _rows(engine, responses) == []


def test_an_invitation_of_another_survey_is_refused(engine, registered, survey_path, tmp_path):
    from surveykit import load_questionnaire

    other_path = tmp_path / "other.yaml"
    other_path.write_text(survey_path.read_text(encoding="utf-8").replace("dealer_service", "other"), encoding="utf-8")
    (inv,) = storage.create_invitations(engine, load_questionnaire(other_path), [{"dealer": "D1"}])
    with pytest.raises(storage.InvitationUnavailable):
        storage.save_response(engine, registered, {"sat_overall": 6}, key="k", language="zh", invitation_id=inv.id)


def test_two_concurrent_submissions_on_one_invitation_store_one(engine, registered, db_url):
    (inv,) = storage.create_invitations(engine, registered, [{"dealer": "D1"}])
    wide = storage.make_engine(db_url, pool_size=8)
    barrier = threading.Barrier(8, timeout=30)

    def submit(i: int) -> str:
        barrier.wait()
        try:
            storage.save_response(
                wide, registered, {"sat_overall": 1 + i % 7}, key=f"k{i}", language="en", invitation_id=inv.id
            )
            return "stored"
        except storage.InvitationUnavailable:
            return "refused"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(submit, range(8)))
    wide.dispose()
    assert sorted(outcomes) == ["refused"] * 7 + ["stored"]
    assert len(_rows(engine, responses)) == 1


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        ({"branch": "B1"}, "unknown segment fields.*'branch'.*fields: dealer, advisor"),
        ({"dealer": 5}, "holds text"),
        ({"dealer": "x" * 201}, "longer than 200"),
        ({"dealer": "a\x00b"}, "NUL"),
    ],
)
def test_contacts_are_checked_against_the_fields(engine, registered, contact, message):
    with pytest.raises(ValueError, match=message):
        storage.create_invitations(engine, registered, [{"dealer": "ok"}, contact])
    assert _rows(engine, invitations) == []


def test_draft_of_an_invitation_resumes_from_the_link(engine, registered):
    (inv,) = storage.create_invitations(engine, registered, [{"dealer": "D3"}])
    draft = storage.start_draft(engine, registered, language="en", invitation_id=inv.id)
    storage.save_draft(engine, draft.id, {"sat_overall": 4}, page=1)
    resumed = storage.load_draft(engine, invitation_id=inv.id)
    assert resumed.id == draft.id and resumed.fields == {"dealer": "D3"} and resumed.answers == {"sat_overall": 4}


def test_invite_contacts_writes_escaped_links_and_makes_none_when_the_file_exists(engine, registered, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("\ufeffdealer,note\nD1,+1 call back\nD2,\n", encoding="utf-8")
    links = tmp_path / "links.csv"
    made = invite_contacts(engine, registered, contacts, links, base_url="https://x.example/", keep=["note"])
    assert [m.fields for m in made] == [{"dealer": "D1"}, {"dealer": "D2"}]  # kept columns are not stored
    lines = links.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "invitation,dealer,note,link"
    assert lines[1] == f"{made[0].id},D1,'+1 call back,https://x.example/s/dealer_service?t={made[0].token}"
    with pytest.raises(SurveykitError, match="never overwritten"):
        invite_contacts(engine, registered, contacts, links, base_url="https://x.example/", keep=["note"])
    assert len(_rows(engine, invitations)) == 2  # refused before making any
