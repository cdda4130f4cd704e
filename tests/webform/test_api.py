"""The JSON API on both backends: tokens, problem details, idempotency, scopes, the feed, erasure."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator

from surveykit import storage
from surveykit.apitokens import create_token, revoke_token
from surveykit.database import api_tokens, audit_log, contacts, invitations, utcnow
from surveykit.fielding.delivery import FolderMailer
from surveykit.fielding.worker import Settings, run_pass
from tests.support.fielding import FIELDING_YAML, PRIVACY_REMOVE, item, submit
from tests.surveykit.fielding_support import FIELDING_YAML as SVC_YAML
from tests.webform.test_admin import PASSWORD, _login
from webform import create_app

PROBLEM = "application/problem+json"


@pytest.fixture
def api(tmp_path: Path, db_url: str) -> Any:
    path = tmp_path / "visit.yaml"
    path.write_text(FIELDING_YAML + PRIVACY_REMOVE, encoding="utf-8")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": db_url,
            "QUESTIONNAIRES": [str(path)],
            "SECRET_KEY": "test-secret-key-0123456789",
            "LOGIN_RATE_LIMIT": [5, 300],
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
        }
    )
    engine = app.extensions["surveykit"].engine
    app.admin_token = create_token(engine, "dms")
    app.de01_token = create_token(engine, "de01-only", scopes=["de01"])
    yield app
    engine.dispose()


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def _visible(engine: Any, n: int) -> None:
    """Wait until the feed may serve n responses (on PostgreSQL an older writer elsewhere holds it back)."""
    if engine.dialect.name != "postgresql":
        return
    visible = sa.text(
        "SELECT count(*) FROM responses WHERE txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
    )
    for _ in range(6000):
        with engine.connect() as conn:
            if conn.execute(visible).scalar() >= n:
                return
        time.sleep(0.1)
    raise AssertionError("the feed stayed held back for 10 minutes")


def test_openapi_document_is_generated(api: Any) -> None:
    doc = api.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {
        "/api/v1/invitations",
        "/api/v1/invitations/{invitation_id}",
        "/api/v1/responses",
        "/api/v1/contacts/{customer_id}",
    }
    assert set(doc["paths"]["/api/v1/invitations"]) == {"post"}
    assert doc["paths"]["/api/v1/contacts/{customer_id}"]["delete"]["parameters"][0]["in"] == "path"
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    refs = {m for m in json.dumps(doc["paths"]).split('"') if m.startswith("#/components/schemas/")}
    assert {r.rsplit("/", 1)[1] for r in refs} <= set(doc["components"]["schemas"])


def test_tokens_401_and_cookies_do_not_count(api: Any) -> None:
    client = api.test_client()
    engine = api.extensions["surveykit"].engine
    body = _problem(client.get("/api/v1/invitations/1"), 401)
    assert "Bearer" in body["detail"]
    storage.create_user(engine, "alice", PASSWORD)
    assert _login(client).status_code == 303  # an admin's session cookie...
    assert client.get("/admin/").status_code == 200
    _problem(client.get("/api/v1/invitations/1"), 401)  # ...never authenticates the API
    assert _problem(client.get("/api/v1/invitations/1", headers=_h("skt_" + "a" * 43)), 401)["detail"] == (
        "unknown token"
    )
    revoked = create_token(engine, "old")
    revoke_token(engine, "old")
    assert _problem(client.get("/api/v1/invitations/1", headers=_h(revoked)), 401)["detail"] == "this token was revoked"
    expired = create_token(engine, "short", expires_days=1)
    with engine.begin() as conn:  # its day has passed
        conn.execute(
            sa.update(api_tokens).where(api_tokens.c.name == "short").values(expires_at=api_tokens.c.created_at)
        )
    assert _problem(client.get("/api/v1/invitations/1", headers=_h(expired)), 401)["detail"] == "this token has expired"


def test_failed_token_checks_are_rate_limited_per_address(api: Any) -> None:
    client = api.test_client()
    for _ in range(6):
        client.get("/api/v1/responses?survey=visit_csi", headers=_h("skt_" + "b" * 43))
    # over LOGIN_RATE_LIMIT: even the right token is refused until the window passes
    response = client.get("/api/v1/responses?survey=visit_csi", headers=_h(api.admin_token))
    _problem(response, 429)
    assert int(response.headers["Retry-After"]) > 0


def test_errors_inside_the_api_are_problem_details(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = api.test_client()
    h = _h(api.admin_token)
    _problem(client.get("/api/v1/nowhere", headers=h), 404)
    _problem(client.put("/api/v1/invitations", headers=h, json={}), 405)
    _problem(client.post("/api/v1/invitations", headers=h, data="{not json", content_type="application/json"), 400)
    _problem(client.post("/api/v1/invitations", headers=h, data="a=b"), 415)
    _problem(client.post("/api/v1/invitations", headers=h, json=[item(f"e{i}") for i in range(1001)]), 413)
    api.config["API_MAX_CONTENT_LENGTH"] = 1000
    _problem(client.post("/api/v1/invitations", headers=h, json=[item(f"e{i}") for i in range(20)]), 413)
    api.config["API_MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024

    def broken(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("secret detail 王")

    monkeypatch.setattr("surveykit.events.ingest", broken)
    api.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handler answers
    body = _problem(client.post("/api/v1/invitations", headers=h, json=item("x")), 500)
    assert body["reference"] and "secret" not in json.dumps(body)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"survey": "nope"}, "survey", "unknown survey 'nope'"),
        ({"survey": 5}, "survey", "survey is required"),
        ({"event_id": 7}, "event_id", "event_id is required"),
        ({"contact": "C1"}, "contact", "contact must be an object"),
        ({"contact": {"customer_id": "C1", "email": "not-an-address"}}, "contact.email", "is not an e-mail address"),
        ({"contact": {"customer_id": "C1", "phone": "12345"}}, "contact.phone", "is not a valid phone number"),
        ({"contact": {"customer_id": "C1", "phone": 13812345678}}, "contact.phone", "must be a string"),
        ({"contact": {"customer_id": "C1"}}, "contact", "needs an email or a phone"),
        ({"contact": {"customer_id": "C\ud800", "phone": "13812345678"}}, "contact.customer_id", "printable"),
        ({"contact": {"customer_id": "C1", "phone": "13812345678", "language": "fr"}}, "contact.language", "'fr'"),
        ({"fields": {"dealr": "de01"}}, "fields", "unknown segment fields"),
        ({"fields": {"dealer": "de99"}}, "fields.dealer", "'de99' is not a value of dealer"),
        ({"fields": ["de01"]}, "fields", "fields must be an object"),
        ({"send_at": "2026-12-04T10:00:00"}, "send_at", "needs its UTC offset"),
        ({"send_at": "tomorrow"}, "send_at", "is not an ISO-8601"),
        ({"channel": "fax"}, "channel", "channel must be one of"),
        ({"channel": "email"}, "channel", "needs the contact's email"),
        ({"colour": "red"}, "colour", "unknown key 'colour'"),
    ],
)
def test_bad_items_are_422_with_the_field(api: Any, change: dict[str, Any], field: str, reason: str) -> None:
    body = _problem(
        api.test_client().post("/api/v1/invitations", headers=_h(api.admin_token), json={**item("e1"), **change}), 422
    )
    assert body["field"] == field and reason in body["detail"], body


def test_a_batch_answers_an_unknown_key_with_a_lone_surrogate(api: Any) -> None:
    """The key is echoed back as the field: written escaped, not a 500 for a batch stored meanwhile."""
    bad = {**item("e1"), "\ud800": 1}
    r = api.test_client().post("/api/v1/invitations", headers=_h(api.admin_token), json=[bad, item("e2", "C2")])
    assert r.status_code == 200, r.get_data()[:300]
    assert b'"field":"\\ud800"' in r.get_data()
    body = r.get_json()
    assert [x["code"] for x in body["items"]] == [422, 201] and body["items"][0]["field"] == "\ud800"


def test_a_batch_stores_the_valid_items(api: Any) -> None:
    client = api.test_client()
    batch = [item("e1"), item("e2", survey="nope"), item("e3", "C3", dealer="de02"), {"survey": 1}, "x"]
    r = client.post("/api/v1/invitations", headers=_h(api.admin_token), json=batch)
    assert r.status_code == 200
    body = r.get_json()
    assert [x["code"] for x in body["items"]] == [201, 422, 201, 422, 422]
    assert (body["stored"], body["repeated"], body["refused"]) == (2, 0, 3)
    assert body["items"][1]["field"] == "survey"
    assert r.get_data() == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()  # as before orjson
    got = client.get(f"/api/v1/invitations/{body['items'][2]['invitation_id']}", headers=_h(api.admin_token)).get_json()
    assert (got["status"], got["channel"], got["fields"], got["event_id"]) == (
        "scheduled",
        "sms",
        {"dealer": "de02"},
        "e3",
    )
    assert "contact" not in got and "13812345678" not in json.dumps(got)
    engine = api.extensions["surveykit"].engine
    with engine.connect() as conn:
        phones = conn.execute(sa.select(contacts.c.customer_id, contacts.c.phone)).all()
    assert sorted(phones) == [("C1", "+8613812345678"), ("C3", "+8613812345678")]  # E.164


def test_idempotent_by_event_id_and_409_on_changed_content(api: Any) -> None:
    client = api.test_client()
    h = _h(api.admin_token)
    first = client.post("/api/v1/invitations", headers=h, json=item("RO-1"))
    again = client.post("/api/v1/invitations", headers=h, json=item("RO-1"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    assert first.headers["Location"].endswith(f"/api/v1/invitations/{first.get_json()['invitation_id']}")
    changed = _problem(client.post("/api/v1/invitations", headers=h, json=item("RO-1", dealer="de02")), 409)
    assert changed["hashes"]["stored"] != changed["hashes"]["posted"] and len(changed["hashes"]["posted"]) == 64
    assert changed["invitation_id"] == first.get_json()["invitation_id"]
    in_batch = client.post(
        "/api/v1/invitations", headers=h, json=[item("RO-2"), item("RO-2"), item("RO-2", dealer="de02")]
    )
    codes = [x["code"] for x in in_batch.get_json()["items"]]
    assert codes == [201, 200, 409]
    engine = api.extensions["surveykit"].engine
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(invitations)).scalar() == 2


def test_concurrent_posts_of_one_event_make_one_invitation(api: Any) -> None:
    results: list[int] = []
    barrier = threading.Barrier(8)

    def post() -> None:
        client = api.test_client()
        barrier.wait()
        results.append(client.post("/api/v1/invitations", headers=_h(api.admin_token), json=item("RO-9")).status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] * 7 + [201]
    with api.extensions["surveykit"].engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(invitations)).scalar() == 1


def test_scoped_token_403(api: Any) -> None:
    client = api.test_client()
    scoped = _h(api.de01_token)
    body = _problem(client.post("/api/v1/invitations", headers=scoped, json=item("e1", dealer="de02")), 403)
    assert "scope" in body["detail"]
    ok = client.post("/api/v1/invitations", headers=scoped, json=item("e2", dealer="de01"))
    assert ok.status_code == 201
    other = client.post("/api/v1/invitations", headers=_h(api.admin_token), json=item("e3", dealer="de02"))
    _problem(client.get(f"/api/v1/invitations/{other.get_json()['invitation_id']}", headers=scoped), 403)
    assert client.get(f"/api/v1/invitations/{ok.get_json()['invitation_id']}", headers=scoped).status_code == 200
    _problem(client.delete("/api/v1/contacts/C1", headers=scoped), 403)
    _problem(client.get("/api/v1/responses?survey=visit_csi&contact=1", headers=scoped), 403)


def test_responses_feed_and_contact_export(api: Any) -> None:
    client = api.test_client()
    engine = api.extensions["surveykit"].engine
    q = api.extensions["surveykit"].survey("visit_csi")[0]
    posted = client.post("/api/v1/invitations", headers=_h(api.admin_token), json=item("e1", "C1")).get_json()
    via_invitation = submit(engine, q, invitation_id=posted["invitation_id"])
    plain = [submit(engine, q, dealer="de02"), submit(engine, q, dealer="de01")]
    h = _h(api.de01_token)
    _problem(client.get("/api/v1/responses?survey=nope", headers=h), 404)
    _problem(client.get("/api/v1/responses?survey=visit_csi&limit=0", headers=h), 400)
    _problem(client.get("/api/v1/responses?survey=visit_csi&since=garbage", headers=h), 400)
    _visible(engine, 3)
    first = client.get("/api/v1/responses?survey=visit_csi&limit=2", headers=h).get_json()
    rest = client.get(f"/api/v1/responses?survey=visit_csi&limit=2&since={first['next']}", headers=h).get_json()
    seen = [r["response_id"] for r in first["records"] + rest["records"]]
    assert seen == [via_invitation, plain[1]]  # de02's response is outside the token's scope
    assert all("contact" not in r for r in first["records"])
    admin = client.get("/api/v1/responses?survey=visit_csi&contact=true", headers=_h(api.admin_token)).get_json()
    by_id = {r["response_id"]: r["contact"] for r in admin["records"]}
    assert by_id[via_invitation]["phone"] == "+8613812345678" and by_id[plain[0]] is None
    with engine.connect() as conn:
        audit = conn.execute(sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.detail)).all()
    assert [(a.actor, a.action, a.detail["responses"]) for a in audit] == [("token:dms", "export_contacts", 3)]


def test_delete_contact_is_idempotent(api: Any) -> None:
    client = api.test_client()
    engine = api.extensions["surveykit"].engine
    q = api.extensions["surveykit"].survey("visit_csi")[0]
    posted = client.post("/api/v1/invitations", headers=_h(api.admin_token), json=item("e1", "C1")).get_json()
    rid = submit(engine, q, invitation_id=posted["invitation_id"])
    photo = Path(api.config["EVIDENCE_DIR"]) / "visit_csi" / rid / "gr_door.png"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"a photo of the erased response")
    first = client.delete("/api/v1/contacts/C1", headers=_h(api.admin_token)).get_json()
    assert first == dict(found=True, already=False, invitations=1, unlinked=0, removed=1)  # privacy: remove
    assert not photo.parent.exists()  # its audit photos went with it (surveykit.evidence_purge)
    second = client.delete("/api/v1/contacts/C1", headers=_h(api.admin_token)).get_json()
    assert second["already"] is True and second["removed"] == 0
    page = client.get("/api/v1/responses?survey=visit_csi", headers=_h(api.admin_token)).get_json()
    assert page["records"] == []


def _svc_item(event_id: str, customer: str, **extra: Any) -> dict[str, Any]:
    """An invitation by e-mail to the fielding tests' survey (templates and contact rules declared)."""
    contact = {"customer_id": customer, "name": "王先生", "email": f"{customer.lower()}@example.cn"}
    return {"survey": "svc", "event_id": event_id, "contact": contact, "fields": {"dealer": "de01"}, **extra}


def test_contact_rules_suppress_at_ingest_and_the_worker_sends_none_of_those(tmp_path: Path, db_url: str) -> None:
    """The answer says suppressed with the rule's reason, the invitation is kept with it, the worker leaves it."""
    path = tmp_path / "svc.yaml"
    path.write_text(SVC_YAML, encoding="utf-8")
    app = create_app(
        {"TESTING": True, "DATABASE_URL": db_url, "QUESTIONNAIRES": [str(path)], "SECRET_KEY": "test-secret-key-0123"}
    )
    engine = app.extensions["surveykit"].engine
    client, h = app.test_client(), _h(create_token(engine, "dms"))
    later = (utcnow() + dt.timedelta(days=31)).isoformat() + "Z"
    batch = [
        _svc_item("v1", "C1"),
        _svc_item("v2", "C1"),  # a second survey for C1 within 30 days: the earlier item goes first
        _svc_item("v3", "C2"),
        _svc_item("v4", "C1", send_at=later),  # asked as of when it goes: v1 is 31 days old then
    ]
    items = client.post("/api/v1/invitations", headers=h, json=batch).get_json()["items"]
    assert [(x["code"], x["status"], x.get("reason")) for x in items] == [
        (201, "scheduled", None),
        (201, "suppressed", "contact_rule:max_invitations"),
        (201, "scheduled", None),
        (201, "scheduled", None),
    ]
    single = client.post("/api/v1/invitations", headers=h, json=_svc_item("v5", "C2"))
    assert (single.status_code, single.get_json()["status"]) == (201, "suppressed")
    assert single.get_json()["reason"] == "contact_rule:max_invitations"
    with engine.begin() as conn:  # C3 opted out of SMS: no message of any kind goes to them
        conn.execute(
            sa.insert(contacts).values(
                customer_id="C3", optout_sms_at=utcnow(), created_at=utcnow(), updated_at=utcnow()
            )
        )
    opted = client.post("/api/v1/invitations", headers=h, json=_svc_item("v6", "C3")).get_json()
    assert (opted["status"], opted["reason"]) == ("suppressed", "opted_out")
    # nothing lost: each is stored with its reason, and posting it again answers the same
    suppressed = items[1]["invitation_id"]
    got = client.get(f"/api/v1/invitations/{suppressed}", headers=h).get_json()
    assert (got["status"], got["suppression_reason"], got["event_id"]) == (
        "suppressed",
        "contact_rule:max_invitations",
        "v2",
    )
    again = client.post("/api/v1/invitations", headers=h, json=_svc_item("v2", "C1"))
    assert (again.status_code, again.get_json()["invitation_id"], again.get_json()["status"]) == (
        200,
        suppressed,
        "suppressed",
    )
    folder = tmp_path / "mail"
    stats = run_pass(
        engine,
        Settings("https://survey.example.cn", b"test-link-secret-0123456789abcdef", mailer=FolderMailer(folder)),
        worker="test",
        clock=lambda: utcnow() + dt.timedelta(minutes=1),
    )
    assert stats.sent == 2  # v1 and v3; v4 waits for its day
    sent = sorted(int(re.search(r"inv(\d+)", p.name).group(1)) for p in folder.glob("*.eml"))
    assert sent == sorted([items[0]["invitation_id"], items[2]["invitation_id"]])
    with engine.connect() as conn:
        rows = conn.execute(sa.select(invitations.c.event_id, invitations.c.status).order_by(invitations.c.id)).all()
    assert [tuple(r) for r in rows] == [
        ("v1", "sent"),
        ("v2", "suppressed"),
        ("v3", "sent"),
        ("v4", "scheduled"),
        ("v5", "suppressed"),
        ("v6", "suppressed"),
    ]
    engine.dispose()
