"""Follow-up cases (surveykit/cases.py) on SQLite and PostgreSQL: the state machine, opening cases in the
submit transaction, the append-only history, overdue marking, win-back and the cases table."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from surveykit import cases, load_questionnaire, notify, storage
from surveykit.database import case_events, outbox, responses, utcnow
from surveykit.database import cases as cases_table
from surveykit.errors import StorageError

FOLLOW_UP_YAML = """\
survey: follow_up
version: 1
title: {zh: 回访, en: Follow-up}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  department: {label: {zh: 部门, en: Department}}
scales:
  sat5: {points: 5, labels: {1: {zh: 很不满意, en: Very dissatisfied}, 5: {zh: 很满意, en: Very satisfied}}}
pages:
  - id: p
    title: {zh: 问题, en: Questions}
    questions:
      - {id: sat, type: likert, scale: sat5, label: {zh: 满意度, en: Satisfaction}, text: {zh: 满意吗, en: Satisfied}}
      - {id: recommend, type: nps, text: {zh: 推荐, en: Recommend}}
      - {id: comment, type: text, required: false, text: {zh: 意见, en: Comment}}
alerts:
  - id: unhappy
    label: {zh: 不满意, en: Unhappy}
    when: sat <= 2 or recommend <= 6
    department: {field: department}
    priority: high
    first_contact_hours: 24
  - id: very_unhappy
    when: sat == 1
    department: {value: customer_care}
    priority: urgent
    first_contact_hours: 4
"""
UNHAPPY = {"sat": 2, "recommend": 8, "comment": "The car came back dirty."}
HAPPY = {"sat": 5, "recommend": 10}
# what each step needs besides the target state
DETAILS: dict[str, dict[str, Any]] = {
    "verified": {},
    "assigned": {},
    "root_cause_found": {"root_cause": "repair_quality"},
    "solution_agreed": {"note": "free rework and a courtesy car"},
    "done_evaluated": {"note": "fixed; customer happy"},
    "closed_without_action": {"note": "test response"},
}
PATH = ["open", "verified", "assigned", "root_cause_found", "solution_agreed", "done_evaluated"]


@pytest.fixture
def follow_up(tmp_path: Path) -> Any:
    path = tmp_path / "follow_up.yaml"
    path.write_text(FOLLOW_UP_YAML, encoding="utf-8")
    return load_questionnaire(path)


@pytest.fixture
def store(engine: Any, follow_up: Any) -> Any:
    storage.register_version(engine, follow_up, FOLLOW_UP_YAML)
    return engine


def submit(
    engine: Any,
    q: Any,
    answers: dict[str, Any],
    *,
    key: str | None = None,
    dealer: str = "D01",
    department: str | None = "service",
    **kwargs: Any,
) -> storage.SaveResult:
    fields = {"dealer": dealer, **({"department": department} if department else {})}
    return storage.save_response(
        engine, q, answers, key=key or uuid.uuid4().hex, language="en", fields=kwargs.pop("fields", fields), **kwargs
    )


def count(engine: Any, table: sa.Table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def new_case(engine: Any, q: Any, state: str = "open") -> cases.Case:
    """A case brought to ``state`` along the process (or closed without action)."""
    submit(engine, q, UNHAPPY)
    case = (
        cases.list_cases(engine)[0]
        if count(engine, cases_table) == 1
        else max(cases.list_cases(engine), key=lambda c: c.id)
    )
    if state == "closed_without_action":
        return cases.move(engine, case.id, state, actor="alice", **DETAILS[state])
    for step in PATH[1 : PATH.index(state) + 1]:
        case = cases.move(engine, case.id, step, actor="alice", **DETAILS[step])
    return case


# -- the state machine ----------------------------------------------------------------------------

ALLOWED = {(a, b) for a, b in cases.NEXT_STATE.items()} | {
    (s, "closed_without_action") for s in cases.STATES if s not in cases.FINAL_STATES
}


@pytest.mark.parametrize(("state", "to"), list(itertools.product(cases.STATES, cases.STATES)))
def test_every_transition_is_allowed_or_refused(state, to):
    details = {"note": "a note", "root_cause": "parts", "department": "service"}
    if (state, to) in ALLOWED:
        cases.check_move(state, to, **details)
        assert to in cases.allowed_moves(state)
    else:
        with pytest.raises(cases.TransitionRefused, match=r"cannot move|is closed"):
            cases.check_move(state, to, **details)
        assert to not in cases.allowed_moves(state)


def test_the_states_are_the_seeds_complaint_steps():
    assert cases.STATES[:6] == ("open", "verified", "assigned", "root_cause_found", "solution_agreed", "done_evaluated")
    assert len(ALLOWED) == 5 + 5


@pytest.mark.parametrize(
    ("state", "to", "details", "message"),
    [
        ("open", "closed_without_action", {}, "needs the reason"),
        ("solution_agreed", "closed_without_action", {"note": "  "}, "needs the reason"),
        ("verified", "assigned", {}, "needs the responsible department"),
        ("assigned", "root_cause_found", {}, "needs its category"),
        ("assigned", "root_cause_found", {"root_cause": "bad luck"}, "needs its category"),
        ("root_cause_found", "solution_agreed", {}, "the agreed solution"),
        ("solution_agreed", "done_evaluated", {}, "carried out and evaluated"),
        ("open", "paused", {}, "unknown state 'paused'"),
        ("done_evaluated", "open", {}, "the case is closed"),
    ],
)
def test_a_move_without_what_it_needs_is_refused(state, to, details, message):
    with pytest.raises(cases.TransitionRefused, match=message):
        cases.check_move(state, to, **details)


@pytest.mark.parametrize("state", cases.STATES)
def test_every_move_from_every_state_in_the_store(store, follow_up, state):
    """Bring a case to ``state``, then try every target: only the allowed ones go through, and each is recorded."""
    for to in cases.STATES:
        case = new_case(store, follow_up, state)
        before = len(cases.events_of(store, case.id))
        if (state, to) in ALLOWED:
            moved = cases.move(store, case.id, to, actor="bob", expected=state, **DETAILS[to])
            assert moved.state == to
            last = cases.events_of(store, case.id)[-1]
            assert (last.actor, last.kind, last.from_state, last.to_state) == ("bob", "moved", state, to)
            assert (moved.closed_at is not None) == (to in cases.FINAL_STATES)
        else:
            with pytest.raises(cases.TransitionRefused):
                cases.move(store, case.id, to, actor="bob", **DETAILS.get(to, {}))
            assert cases.get_case(store, case.id).state == state
            assert len(cases.events_of(store, case.id)) == before


def test_a_stale_form_is_a_conflict_not_a_second_move(store, follow_up):
    case = new_case(store, follow_up)
    cases.move(store, case.id, "verified", actor="alice", expected="open")
    with pytest.raises(cases.CaseConflict, match="now 'verified'"):
        cases.move(store, case.id, "verified", actor="bob", expected="open")
    assert [e.kind for e in cases.events_of(store, case.id)] == ["opened", "moved"]


def test_root_cause_and_department_are_kept_and_logged(store, follow_up):
    case = new_case(store, follow_up, "verified")
    case = cases.move(store, case.id, "assigned", actor="alice", department="body_paint")
    assert case.department == "body_paint"
    case = cases.move(
        store, case.id, "root_cause_found", actor="alice", root_cause="communication", note="estimate not explained"
    )
    assert case.root_cause == "communication"
    notes = [e.note for e in cases.events_of(store, case.id)]
    assert "department: service → body_paint" in notes[2]
    assert notes[3] == "root cause: communication\nestimate not explained"


def test_department_is_chosen_only_at_assignment_and_not_by_a_department_user(store, follow_up):
    case = new_case(store, follow_up)
    with pytest.raises(cases.TransitionRefused, match="chosen when the case is assigned"):
        cases.move(store, case.id, "verified", actor="alice", department="sales")
    case = cases.move(store, case.id, "verified", actor="alice", scope="service")
    with pytest.raises(cases.TransitionRefused, match="cannot hand a case to another department"):
        cases.move(store, case.id, "assigned", actor="dora", department="sales", scope="service")
    assert cases.move(store, case.id, "assigned", actor="dora", scope="service").department == "service"


def test_a_case_without_department_must_get_one_when_assigned(store, follow_up):
    submit(store, follow_up, {"sat": 2, "recommend": 9}, department=None)
    case = cases.list_cases(store)[0]
    assert case.department is None
    cases.move(store, case.id, "verified", actor="alice")
    with pytest.raises(cases.TransitionRefused, match="department"):
        cases.move(store, case.id, "assigned", actor="alice")
    assert cases.move(store, case.id, "assigned", actor="alice", department="service").department == "service"


def test_notes_are_checked(store, follow_up):
    case = new_case(store, follow_up)
    for bad, message in (("", "cannot be empty"), ("x" * 4001, "at most 4000"), ("a\x00b", "NUL")):
        with pytest.raises(cases.TransitionRefused, match=message):
            cases.add_note(store, case.id, actor="alice", note=bad)


# -- department scope ------------------------------------------------------------------------------


def test_a_department_sees_its_own_cases_only(store, follow_up):
    ours = new_case(store, follow_up)
    submit(store, follow_up, UNHAPPY, department="sales")
    theirs = max(cases.list_cases(store), key=lambda c: c.id)
    assert [c.id for c in cases.list_cases(store, scope="service")] == [ours.id]
    assert cases.get_case(store, ours.id, scope="service").id == ours.id
    for call in (
        lambda: cases.get_case(store, theirs.id, scope="service"),
        lambda: cases.events_of(store, theirs.id, scope="service"),
        lambda: cases.move(store, theirs.id, "verified", actor="dora", scope="service"),
        lambda: cases.add_note(store, theirs.id, actor="dora", note="hi", scope="service"),
        lambda: cases.get_case(store, 99999),
    ):
        with pytest.raises(cases.CaseNotFound):
            call()
    assert cases.get_case(store, theirs.id).state == "open"
    assert list(cases.cases_frame(store, scope="service")["case_id"]) == [ours.id]
    assert cases.filter_values(store, scope="service") == {"dealer": ["D01"], "department": ["service"]}


# -- opening cases at submit time ------------------------------------------------------------------


def test_a_response_meeting_a_rule_opens_a_case_with_its_details(store, follow_up):
    result = submit(store, follow_up, {"sat": 1, "recommend": 3, "comment": "rude"}, dealer="D07")
    opened = sorted(cases.list_cases(store), key=lambda c: c.alert)
    assert [(c.alert, c.priority, c.department, c.dealer, c.state) for c in opened] == [
        ("unhappy", "high", "service", "D07", "open"),
        ("very_unhappy", "urgent", "customer_care", "D07", "open"),
    ]
    unhappy = opened[0]
    assert unhappy.response_id == result.response_id
    assert unhappy.first_contact_due - unhappy.created_at == dt.timedelta(hours=24)
    assert opened[1].first_contact_due - opened[1].created_at == dt.timedelta(hours=4)
    assert unhappy.label == {"zh": "不满意", "en": "Unhappy"} and unhappy.label_text("en") == "Unhappy"
    [event] = cases.events_of(store, unhappy.id)
    assert (event.actor, event.kind, event.to_state, event.note) == (
        "system",
        "opened",
        "open",
        "unhappy: sat <= 2 or recommend <= 6",
    )
    response = cases.case_response(store, unhappy)
    assert response.answers["comment"] == "rude" and response.fields["dealer"] == "D07"
    shown = cases.labelled_answers(follow_up, response.answers, "en")
    assert ("Satisfaction", "1 – Very dissatisfied", False) in shown and ("Comment", "rude", True) in shown
    assert count(store, outbox) == 2


def test_a_happy_response_opens_nothing(store, follow_up):
    submit(store, follow_up, HAPPY)
    submit(store, follow_up, {"sat": 3})  # recommend unanswered: the rule is unknown, not true
    assert count(store, cases_table) == 0 and count(store, outbox) == 0


def test_a_double_tapped_submit_opens_one_case(store, follow_up):
    first = submit(store, follow_up, UNHAPPY, key="tap-tap")
    again = submit(store, follow_up, UNHAPPY, key="tap-tap")
    assert (first.created, again.created, again.response_id) == (True, False, first.response_id)
    assert count(store, cases_table) == 1 and count(store, case_events) == 1 and count(store, outbox) == 1


def test_concurrent_double_submits_open_one_case(store, follow_up):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: submit(store, follow_up, UNHAPPY, key="same-key"), range(8)))
    assert sum(r.created for r in results) == 1
    assert count(store, cases_table) == 1 and count(store, outbox) == 1


def test_a_rolled_back_submit_leaves_no_case(store, follow_up, monkeypatch):
    """The case and its message are written in the submit's transaction: a failure after them undoes all."""

    def broken(conn, case, kind):
        raise RuntimeError("disk full")

    monkeypatch.setattr(notify, "queue", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        submit(store, follow_up, UNHAPPY, key="k1")
    assert count(store, responses) == 0 and count(store, cases_table) == 0 and count(store, case_events) == 0
    monkeypatch.undo()
    assert submit(store, follow_up, UNHAPPY, key="k1").created  # the retry stores both
    assert count(store, responses) == 1 and count(store, cases_table) == 1 and count(store, outbox) == 1


SUBMITTER = """
import sys, uuid
from surveykit import load_questionnaire, storage
q, engine = load_questionnaire(sys.argv[2]), storage.make_engine(sys.argv[1])
n = 0
while True:
    storage.save_response(engine, q, {"sat": 2 if n % 2 else 5, "recommend": 9}, key=uuid.uuid4().hex,
                          language="en", fields={"dealer": "D01", "department": "service"})
    n += 1
    if n == 10:
        print("running", flush=True)
"""


def test_a_submitter_killed_mid_write_leaves_every_stored_response_with_its_case(db_url, store, follow_up):
    """SIGKILL while submits are committing: each stored unhappy response has its case, event and message."""
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-c", SUBMITTER, db_url, follow_up.source], stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"running\n"
    time.sleep(0.3)
    proc.kill()
    proc.wait(10)
    proc.stdout.close()
    stored = storage.responses_frame(store, follow_up)
    unhappy = set(stored.loc[stored["sat"] == 2, "response_id"])
    assert len(stored) > 10 and unhappy
    with store.connect() as conn:
        opened = conn.execute(sa.select(cases_table.c.response_id, cases_table.c.id)).all()
        events = conn.execute(sa.select(case_events.c.case_id).where(case_events.c.kind == "opened")).scalars().all()
        messages = conn.execute(sa.select(outbox.c.case_id)).scalars().all()
    assert sorted(r for r, _ in opened) == sorted(unhappy)  # none lost, none without its response
    assert sorted(events) == sorted(messages) == sorted(i for _, i in opened)


def test_a_refused_invitation_leaves_no_case(store, follow_up):
    [invitation] = storage.create_invitations(store, follow_up, [{"dealer": "D01", "department": "service"}])
    submit(store, follow_up, UNHAPPY, invitation_id=invitation.id, fields=None)
    with pytest.raises(StorageError):
        submit(store, follow_up, UNHAPPY, invitation_id=invitation.id, fields=None)
    assert count(store, responses) == 1 and count(store, cases_table) == 1


def test_invitation_fields_route_the_case(store, follow_up):
    [invitation] = storage.create_invitations(store, follow_up, [{"dealer": "D09", "department": "express"}])
    submit(store, follow_up, UNHAPPY, invitation_id=invitation.id, fields=None)
    [case] = cases.list_cases(store)
    assert (case.dealer, case.department) == ("D09", "express")


def test_simulated_responses_open_cases_like_real_ones(store, follow_up):
    from surveykit.simulate import simulate

    df = simulate(follow_up, 60, seed=3, fields={"dealer": ["D1", "D2"], "department": ["service", "sales"]})
    storage.save_frame(store, follow_up, df)
    storage.save_frame(store, follow_up, df)  # stored again: nothing new
    stored = storage.responses_frame(store, follow_up)
    expected = int(follow_up.alerts[0].when.evaluate_frame(stored).sum())
    assert 0 < expected < 60
    assert len(cases.list_cases(store, survey="follow_up")) == expected + int((stored["sat"] == 1).sum())


# -- the audit trail -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        sa.update(case_events).values(note="rewritten"),
        sa.delete(case_events),
    ],
)
def test_the_history_cannot_be_edited_or_deleted(store, follow_up, statement):
    new_case(store, follow_up, "verified")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with store.begin() as conn:
            conn.execute(statement)
    assert [e.note for e in cases.events_of(store, 1)] == ["unhappy: sat <= 2 or recommend <= 6", ""]


@pytest.mark.postgres
def test_the_history_cannot_be_truncated_on_postgresql(pg_url, follow_up):
    engine = storage.make_engine(pg_url)
    try:
        storage.init_db(engine)
        storage.register_version(engine, follow_up, FOLLOW_UP_YAML)
        new_case(engine, follow_up)
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE case_events CASCADE"))
    finally:
        engine.dispose()


def test_the_module_never_updates_or_deletes_events():
    source = Path(cases.__file__).read_text(encoding="utf-8")
    assert "update(case_events" not in source and "delete(case_events" not in source


# -- first contact and overdue ---------------------------------------------------------------------


def test_first_contact_is_the_first_contact_note_or_the_verification(store, follow_up):
    a = new_case(store, follow_up)
    t0 = utcnow()
    a = cases.add_note(store, a.id, actor="alice", note="internal: checked the repair order", now=t0)
    assert a.first_contact_at is None
    a = cases.add_note(store, a.id, actor="alice", note="called, left a message", contact=True, now=t0)
    assert a.first_contact_at == t0
    a = cases.move(store, a.id, "verified", actor="alice", now=t0 + dt.timedelta(hours=2))
    assert a.first_contact_at == t0  # the first one counts
    b = new_case(store, follow_up)
    b = cases.move(store, b.id, "verified", actor="alice", now=t0)
    assert b.first_contact_at == t0
    c = new_case(store, follow_up)
    c = cases.move(store, c.id, "closed_without_action", actor="alice", note="duplicate", now=t0)
    assert c.first_contact_at is None  # closing is no contact
    assert [e.kind for e in cases.events_of(store, a.id)] == ["opened", "note", "contact", "moved"]


def test_overdue_cases_are_marked_once_with_a_message(store, follow_up):
    late, contacted, closed = new_case(store, follow_up), new_case(store, follow_up), new_case(store, follow_up)
    cases.add_note(store, contacted.id, actor="alice", note="spoke to the customer", contact=True)
    cases.move(store, closed.id, "closed_without_action", actor="alice", note="customer withdrew")
    before = late.first_contact_due - dt.timedelta(minutes=1)
    after = late.first_contact_due + dt.timedelta(hours=1)
    assert cases.mark_overdue(store, now=before) == []
    assert not cases.get_case(store, late.id).overdue(before) and cases.get_case(store, late.id).overdue(after)
    assert [c.id for c in cases.list_cases(store, overdue=True, now=after)] == [late.id]
    assert cases.mark_overdue(store, now=after) == [late.id]
    assert cases.mark_overdue(store, now=after + dt.timedelta(hours=1)) == []
    event = cases.events_of(store, late.id)[-1]
    assert (event.actor, event.kind) == ("system", "overdue") and "no first contact by" in event.note
    assert [(m["kind"], m["status"]) for m in notify.messages_of(store, late.id)] == [
        ("new_case", "pending"),
        ("overdue", "pending"),
    ]
    late = cases.add_note(
        store, late.id, actor="alice", note="finally reached", contact=True, now=after + dt.timedelta(hours=2)
    )
    assert late.late_contact and not late.overdue(after + dt.timedelta(hours=3)) and late.overdue_at == after


def test_the_board_filters_and_orders(store, follow_up):
    submit(store, follow_up, {"sat": 1, "recommend": 9}, dealer="D02")  # unhappy (high) + very_unhappy (urgent)
    submit(store, follow_up, UNHAPPY, dealer="D01", department="sales")
    urgent, high, sales = (
        sorted(cases.list_cases(store), key=lambda c: c.id)[1],
        *sorted(cases.list_cases(store), key=lambda c: c.id)[::2],
    )
    assert [c.priority for c in cases.list_cases(store)] == ["urgent", "high", "high"]
    assert [c.id for c in cases.list_cases(store, dealer="D01")] == [sales.id]
    assert [c.id for c in cases.list_cases(store, department="customer_care")] == [urgent.id]
    cases.move(store, high.id, "closed_without_action", actor="a", note="dup")
    assert cases.list_cases(store)[-1].id == high.id  # closed cases last
    assert {c.id for c in cases.list_cases(store, state="active")} == {urgent.id, sales.id}
    assert [c.id for c in cases.list_cases(store, state="closed")] == [high.id]
    assert [c.id for c in cases.list_cases(store, state="closed_without_action")] == [high.id]
    with pytest.raises(ValueError, match="unknown state"):
        cases.list_cases(store, state="limbo")


# -- win-back --------------------------------------------------------------------------------------


@pytest.fixture
def recovery(store: Any) -> Any:
    path = cases.recovery_questionnaire_path()
    q = load_questionnaire(path)
    storage.register_version(store, q, path.read_text(encoding="utf-8"))
    return q


def test_win_back_survey_after_closing_records_the_result(store, follow_up, recovery):
    case = new_case(store, follow_up, "solution_agreed")
    with pytest.raises(cases.CaseError, match="still 'solution_agreed'"):
        cases.send_recovery(store, case.id, recovery, actor="alice")
    case = cases.move(store, case.id, "done_evaluated", actor="alice", note="done")
    invitation = cases.send_recovery(store, case.id, recovery, actor="alice")
    assert invitation.fields == {"case_id": str(case.id), "dealer": "D01", "department": "service"}
    state = storage.lookup_invitation(store, invitation.token)
    assert state.open and state.survey == "recovery"
    storage.save_response(store, recovery, {"recovery_sat": 4}, key="r1", language="zh", invitation_id=invitation.id)
    case = cases.get_case(store, case.id)
    assert (case.recovery_score, case.recovery_points, case.recovered) == (4.0, 5, True)
    event = cases.events_of(store, case.id)[-1]
    assert (event.actor, event.kind, event.note) == ("customer", "recovery_answered", "satisfaction 4 of 5: recovered")
    assert count(store, cases_table) == 1  # satisfied: no new case
    with pytest.raises(cases.CaseError, match="already answered"):
        cases.send_recovery(store, case.id, recovery, actor="alice")


def test_still_unhappy_after_recovery_opens_an_urgent_case(store, follow_up, recovery):
    case = new_case(store, follow_up, "closed_without_action")
    first = cases.send_recovery(store, case.id, recovery, actor="alice")
    second = cases.send_recovery(store, case.id, recovery, actor="alice")  # a new link replaces the first
    assert storage.lookup_invitation(store, first.token).status == "expired"
    storage.save_response(store, recovery, {"recovery_sat": 1}, key="r2", language="en", invitation_id=second.id)
    old = cases.get_case(store, case.id)
    assert old.recovered is False
    new = max(cases.list_cases(store), key=lambda c: c.id)
    assert (new.survey, new.alert, new.priority, new.department, new.dealer) == (
        "recovery",
        "still_unhappy",
        "urgent",
        "service",
        "D01",
    )
    assert cases.events_of(store, case.id)[-1].note == f"satisfaction 1 of 5: not recovered; opened case #{new.id}"


def test_an_answer_at_the_open_recovery_link_opens_no_case(store, follow_up, recovery):
    storage.save_response(store, recovery, {"recovery_sat": 1}, key="anon", language="en")
    assert count(store, cases_table) == 0


def test_cases_frame_for_the_report(store, follow_up, recovery):
    done = new_case(store, follow_up, "done_evaluated")
    new_case(store, follow_up)
    invitation = cases.send_recovery(store, done.id, recovery, actor="alice")
    storage.save_response(store, recovery, {"recovery_sat": 5}, key="r3", language="en", invitation_id=invitation.id)
    df = cases.cases_frame(store, survey="follow_up")
    assert list(df.columns) == list(cases.CASE_COLUMNS)
    assert list(df["state"]) == ["done_evaluated", "open"]
    assert df["root_cause"].iloc[0] == "repair_quality" and pd.isna(df["root_cause"].iloc[1])
    assert df["recovered"].tolist() == [True, pd.NA]
    assert str(df["created_at"].dtype) == "datetime64[us]" and df["closed_at"].isna().tolist() == [False, True]
    assert not df["overdue"].any()
    assert cases.cases_frame(store, survey="nothing").empty
