"""The respondent flow (webform/survey.py): pages, skip logic, back, resume, invitations, submission keys."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from surveykit import storage
from tests.support.formclient import (
    ALL_TYPES,
    KANO,
    ONE_PAGE,
    P1,
    P2,
    Respondent,
    count,
    engine_of,
    frame,
    no_traceback,
    questionnaire,
)


def test_get_stores_nothing_and_progress_counts_applicable_pages(app, respondent):
    page = respondent.get("/s/alltypes")
    assert page.status == 200 and page.screen == "p1"
    assert "Page 1 of 3" in page.text  # p3 does not apply until sat is answered low
    assert "A test survey." in page.text
    assert storage.load_draft(engine_of(app), draft_id="x") is None
    page2 = respondent.post(page, P1)
    assert "Page 2 of 3" in page2.text and page2.screen == "p2"
    assert "Back" in page2.text


def test_post_redirect_get(respondent):
    page = respondent.get("/s/alltypes")
    response = respondent.client.post(page.action, data={**page.hidden, **P1, "action": "next"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/s/alltypes/p/p2")


def test_skipped_page_and_question_are_not_shown_and_not_stored(app, respondent):
    page = respondent.get("/s/alltypes")
    page = respondent.post(page, {**P1, "q_sat": "1", "q_channel": "phone"})
    assert "Page 2 of 4" in page.text  # p3 now applies
    assert "q_why_app" not in page.inputs  # channel is phone: not rendered
    # a crafted answer to the hidden question is dropped, not stored
    page = respondent.post(page, {**P2, "q_why_app": "sneaky"})
    assert page.screen == "p3"
    page = respondent.post(page, {"q_fix": "the coffee"})
    page = respondent.post(page, KANO)
    row = frame(app, "alltypes").iloc[0]
    assert pd.isna(row["why_app"]) and row["fix"] == "the coffee"


def test_same_page_condition_is_decided_on_submit(app, respondent):
    page = respondent.post(respondent.get("/s/alltypes"), P1)
    cond = page.text[page.text.index('id="f-why_young"') :][:400]
    assert 'data-show-if="' in cond and "&#34;age&#34;" in cond  # for the optional script
    got = respondent.post(page, {**P2, "q_age": "25", "q_why_young": ""})
    assert got.status == 422 and 'id="e-why_young"' in got.text  # applies now, and is required
    got = respondent.post(got, {**P2, "q_age": "25", "q_why_young": "students"})
    respondent.post(got, KANO)
    assert frame(app, "alltypes").iloc[0]["why_young"] == "students"


def test_changing_an_earlier_answer_drops_answers_that_no_longer_apply(app, respondent):
    page = respondent.post(respondent.get("/s/alltypes"), {**P1, "q_sat": "1"})
    page = respondent.post(page, P2)  # why_app answered (channel app)
    assert page.screen == "p3"
    page = respondent.post(page, {"q_fix": "queues"}, action="back")
    page = respondent.post(page, P2, action="back")
    assert page.screen == "p1" and page.checked["q_sat"] == ["1"]
    page = respondent.post(page, {**P1, "q_sat": "5", "q_channel": "phone"})
    assert "Page 2 of 3" in page.text and "q_why_app" not in page.inputs
    assert page.values["q_age"] == "42"  # kept
    page = respondent.post(page, P2)
    assert page.screen == "kano"  # p3 skipped now
    respondent.post(page, KANO)
    row = frame(app, "alltypes").iloc[0]
    assert pd.isna(row["why_app"]) and pd.isna(row["fix"]) and row["sat"] == 5


def test_back_keeps_answers_of_both_pages(respondent):
    page = respondent.post(respondent.get("/s/alltypes"), P1)
    partial = {"q_age": "30", "q_comment": "half done"}
    back = respondent.post(page, partial, action="back")
    assert back.screen == "p1"
    assert back.checked["q_extras"] == ["wifi", "tv"] and back.checked["q_g2"] == ["2"]
    again = respondent.post(back, P1)
    assert again.values["q_age"] == "30" and again.values["q_comment"] == "half done"


def test_pages_cannot_be_skipped_by_url_or_post(app, respondent):
    page = respondent.get("/s/alltypes/p/kano")
    assert page.screen == "p1"  # no draft: back to the start
    page2 = respondent.post(respondent.get("/s/alltypes"), P1)
    assert respondent.get("/s/alltypes/p/kano").screen == "p2"  # not reached yet
    response = respondent.client.post("/s/alltypes/p/kano", data={**page2.hidden, **KANO, "action": "next"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/p/p2")
    assert count(app, "alltypes") == 0


def test_resume_link_brings_another_device_back(app, client, respondent):
    page = respondent.post(respondent.get("/s/alltypes"), P1)
    link = page.text.split('class="resume">', 1)[1].split('<a href="', 1)[1].split('"', 1)[0]
    assert "/s/alltypes/r/" in link
    other = Respondent(app.test_client())
    resumed = other.get(link.replace("http://localhost", ""))
    assert resumed.screen == "p2" and "Page 2 of 3" in resumed.text
    resumed = other.post(resumed, P2)
    other.post(resumed, KANO)
    assert count(app, "alltypes") == 1
    assert other.get(link.replace("http://localhost", "")).text.count("Thanks a lot!") == 1
    # the first device now also sees the survey as finished
    assert "Thanks a lot!" in respondent.get("/s/alltypes").text


def test_unknown_resume_token_is_404(respondent):
    page = respondent.get("/s/alltypes/r/" + "x" * 43)
    assert page.status == 404 and no_traceback(page.text)


def test_double_tapped_final_submit_stores_one_response(app, respondent):
    page = respondent.post(respondent.post(respondent.get("/s/alltypes"), P1), P2)
    data = {**page.hidden, **KANO, "action": "next"}
    cookie = respondent.client.get_cookie("session")
    first = respondent.client.post(page.action, data=data)
    respondent.client.set_cookie("session", cookie.value)  # the second tap left with the old cookie
    second = respondent.client.post(page.action, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app, "alltypes") == 1


def test_one_page_survey_needs_no_draft_and_is_idempotent(app, respondent):
    page = respondent.get("/s/quick")
    assert "k" in page.hidden and "Submit" in page.text
    data = {**page.hidden, "q_sat": "5", "action": "next"}
    responses = [respondent.client.post(page.action, data=data) for _ in range(3)]
    assert all(r.status_code == 303 for r in responses)
    assert count(app, "quick") == 1
    assert "Thank" in respondent.get("/s/quick").text  # a finished respondent sees the thanks page


def test_concurrent_double_taps_give_one_row_each(app):
    q = questionnaire(app, "quick")
    pages = []
    for _ in range(8):
        r = Respondent(app.test_client())
        pages.append((r, r.get("/s/quick")))
    results = []

    def tap(r: Respondent, page) -> None:
        results.append(r.client.post(page.action, data={**page.hidden, "q_sat": "3", "action": "next"}).status_code)

    threads = [threading.Thread(target=tap, args=pair) for pair in pages for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [303] * 16
    assert len(storage.responses_frame(engine_of(app), q)) == 8


def test_forged_submission_key_is_refused(app, respondent):
    page = respondent.get("/s/quick")
    got = respondent.post(page, {"q_sat": "5", "k": "forged-key"})
    assert got.status == 400 and "expired" in got.text
    assert "k" in got.hidden and got.hidden["k"] != "forged-key"
    assert count(app, "quick") == 0
    assert respondent.post(got, {"q_sat": "5"}).status == 200
    assert count(app, "quick") == 1


def test_invitation_fields_are_attached_and_get_never_consumes(app, client):
    q = questionnaire(app, "quick")
    [inv] = storage.create_invitations(engine_of(app), q, [{"branch": "Shanghai-3"}])
    respondent = Respondent(client)
    for _ in range(2):  # link scanners pre-fetch
        page = respondent.get(f"/s/quick?t={inv.token}")
        assert page.status == 200 and page.hidden["t"] == inv.token
    assert storage.lookup_invitation(engine_of(app), inv.token).status == "open"
    respondent.post(page, {"q_sat": "4"})
    row = frame(app, "quick").iloc[0]
    assert row["branch"] == "Shanghai-3"
    used = Respondent(app.test_client()).get(f"/s/quick?t={inv.token}")
    assert used.status == 410 and "already been used" in used.text
    assert count(app, "quick") == 1


def test_invitation_resumes_its_draft_on_another_device(app):
    q = questionnaire(app, "alltypes")
    [inv] = storage.create_invitations(engine_of(app), q, [{"dealer": "D42"}])
    first = Respondent(app.test_client())
    page = first.post(first.get(f"/s/alltypes?t={inv.token}"), P1)
    assert page.screen == "p2" and f"?t={inv.token}" in page.text  # the invitation link resumes
    second = Respondent(app.test_client())
    page = second.get(f"/s/alltypes?t={inv.token}")
    assert page.screen == "p2" and page.values["q_age"] == ""
    page = second.post(second.post(page, P2), KANO)
    assert "Thanks a lot!" in page.text
    row = frame(app, "alltypes").iloc[0]
    assert row["dealer"] == "D42" and row["sat"] == 4
    assert first.get(f"/s/alltypes?t={inv.token}").status == 410


@pytest.mark.parametrize("token", ["nope", "A" * 43, "A" * 10_000, "' OR 1=1 --", "%00", "../../etc"])
def test_unknown_or_malformed_invitation_is_404(app, respondent, token):
    page = respondent.get(f"/s/quick?t={token}")
    assert page.status == 404 and "not valid" in page.text and no_traceback(page.text)


def test_invitation_guessing_is_rate_limited(make_app):
    app = make_app(TOKEN_RATE_LIMIT=[3, 60])
    respondent = Respondent(app.test_client())
    statuses = [respondent.get(f"/s/quick?t={'B' * 43}").status for _ in range(6)]
    assert statuses[:3] == [404, 404, 404] and statuses[-1] == 429


def test_expired_invitation_is_410(app, respondent):
    import sqlalchemy as sa

    from surveykit.database import invitations

    [inv] = storage.create_invitations(engine_of(app), questionnaire(app, "quick"), [{}], expires_days=1)
    with engine_of(app).begin() as conn:
        conn.execute(sa.update(invitations).values(expires_at=pd.Timestamp("2000-01-01").to_pydatetime()))
    page = respondent.get(f"/s/quick?t={inv.token}")
    assert page.status == 410 and "expired" in page.text


def test_unknown_survey_and_screen_are_404(respondent):
    assert respondent.get("/s/nope").status == 404
    assert respondent.get("/s/" + "x" * 5000).status == 404
    assert respondent.get("/s/alltypes/p/nope").status == 404


def test_wave_is_recorded(make_app):
    app = make_app(ONE_PAGE, WAVE="2024-Q2")
    respondent = Respondent(app.test_client())
    respondent.post(respondent.get("/s/quick"), {"q_sat": "2"})
    assert frame(app, "quick").iloc[0]["wave"] == "2024-Q2"


def test_a_newer_version_serves_new_respondents_and_drafts_finish_on_theirs(make_app):
    app1 = make_app(ALL_TYPES)
    first = Respondent(app1.test_client())
    first.post(first.get("/s/alltypes"), P1)
    cookie = first.client.get_cookie("session").value
    v2 = ALL_TYPES.replace("version: 1", "version: 2").replace("Every question type", "Every type v2")
    app2 = make_app(ALL_TYPES, v2)
    client = app2.test_client()
    client.set_cookie("session", cookie)
    again = Respondent(client)
    page = again.get("/s/alltypes")
    assert page.screen == "p2" and "Every question type" in page.text
    again.post(again.post(page, P2), KANO)
    assert frame(app2, "alltypes")["version"].tolist() == [1]
    assert "Every type v2" in Respondent(app2.test_client()).get("/s/alltypes").text


def test_a_draft_whose_version_is_gone_finishes_on_the_current_one(make_app):
    app1 = make_app(ALL_TYPES)
    q1 = questionnaire(app1, "alltypes")
    [inv] = storage.create_invitations(engine_of(app1), q1, [{"dealer": "D1"}])
    first = Respondent(app1.test_client())
    first.post(first.get(f"/s/alltypes?t={inv.token}"), {**P1, "q_sat": "5"})
    # version 2: 'sat' has 4 points now (5 no longer fits), the segment field is gone
    v2 = (
        ALL_TYPES.replace("version: 1", "version: 2")
        .replace("{id: sat, type: likert, scale: agree5", "{id: sat, type: likert, scale: sat4")
        .replace("fields:\n  dealer: {label: {zh: 经销商, en: Dealer}}\n", "")
    )
    app2 = make_app(v2)
    again = Respondent(app2.test_client())
    page = again.get(f"/s/alltypes?t={inv.token}")
    assert page.screen == "p2"
    page = again.post(again.post(page, P2), KANO)
    assert page.screen == "p1" and page.checked.get("q_g1") == ["5"]  # sat must be answered again
    page = again.post(page, {**P1, "q_sat": "4"})
    page = again.post(again.post(page, P2), KANO)
    assert "Thanks a lot!" in page.text
    row = frame(app2, "alltypes").iloc[0]
    assert row["sat"] == 4 and "dealer" not in row.index


def test_a_draft_submitted_meanwhile_ends_at_thanks(app, respondent, monkeypatch):
    page = respondent.post(respondent.post(respondent.get("/s/alltypes"), P1), P2)
    draft_id = respondent.client.get_cookie("session")
    real_save = storage.save_draft

    def submitted_meanwhile(engine, draft_id, answers, page):
        draft = storage.load_draft(engine, draft_id=draft_id)
        q = questionnaire(app, "alltypes")
        storage.save_response(
            engine, q, {**draft.answers, "wifi_kano_f": "like", "wifi_kano_d": "like"}, key=draft.key, language="en"
        )
        return real_save(engine, draft_id, answers, page)

    monkeypatch.setattr(storage, "save_draft", submitted_meanwhile)
    got = respondent.post(page, KANO, action="back")
    assert got.status == 200 and "Thanks a lot!" in got.text and draft_id is not None
    assert count(app, "alltypes") == 1


def test_an_invitation_on_a_shared_device_starts_its_own_response(app, respondent):
    q = questionnaire(app, "alltypes")
    a, b = storage.create_invitations(engine_of(app), q, [{"dealer": "A"}, {"dealer": "B"}])
    page = respondent.post(respondent.get(f"/s/alltypes?t={a.token}"), P1)
    assert page.screen == "p2"
    page = respondent.get(f"/s/alltypes?t={b.token}")  # the next customer, same tablet
    assert page.screen == "p1" and page.checked == {}
    page = respondent.post(respondent.post(respondent.post(page, P1), P2), KANO)
    assert "Thanks a lot!" in page.text
    assert frame(app, "alltypes")["dealer"].tolist() == ["B"]
    assert storage.load_draft(engine_of(app), invitation_id=a.id).response_id is None  # A can still finish
    page = respondent.get(f"/s/alltypes?t={a.token}")
    assert page.screen == "p2"
