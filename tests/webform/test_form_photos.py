"""Photos attached to checklist items inside the audit form (webform/form_photos.py): only for a logged-in auditor,
cleaned as after submit, a refused photo keeps every answer and stores nothing, the larger body only on that form,
and the photo shown on the audit's evidence page to users whose units hold the dealer."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from typing import Any

import pytest
from PIL import Image

from surveykit import audit_plan, storage
from surveykit.orgfile import apply_org, read_org_file
from tests.support.formclient import Respondent, engine_of, parse
from tests.webform.test_audit_plans import AUDIT, ORG, PASSWORD, login


def _png(size: tuple[int, int] = (64, 48), noise: bool = False) -> bytes:
    """A PNG; with noise it hardly compresses (3 bytes a pixel). Bodies stay below 500 KB: Werkzeug's test
    client spools a larger one to a temporary file it never closes (a ResourceWarning, an error here)."""
    out = io.BytesIO()
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noise else Image.new("RGB", size, "red")
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def photo_app(make_app: Any, tmp_path: Any) -> Any:
    app = make_app(AUDIT, EVIDENCE_DIR=str(tmp_path / "evidence"), EVIDENCE_MAX_BYTES=150_000)
    engine = engine_of(app)
    apply_org(engine, read_org_file("org.csv", data=ORG.encode("utf-8")))
    storage.create_user(engine, "olga", PASSWORD, role="auditor", units=["R-N"])
    storage.create_user(engine, "otto", PASSWORD, role="auditor", units=["DE03"])
    return app


def _steps(client: Any, start: str = "/s/mini_audit") -> Any:
    """The checklist screen, after the first screen (an open spot check)."""
    respondent = Respondent(client)
    page = respondent.get(start)
    return respondent.post(page, {"q_audit_mode": "open"})


def _planned(app: Any, client: Any) -> str:
    """The audit form's link of a spot check of DE01 planned for olga (its responses carry the dealer)."""
    (plan_id,) = audit_plan.create_plans(
        engine_of(app),
        [audit_plan.PlanRequest("mini_audit", "DE01", "open", dt.date(2030, 1, 31), auditor="olga")],
        created_by="test",
        instruments={"mini_audit"},
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/plans/").get_data(as_text=True))
    assert token is not None
    opened = client.post(f"/admin/plans/{plan_id}/start", data={"csrf_token": token.group(1)})
    return str(opened.headers["Location"])


def _post(client: Any, page: Any, answers: dict[str, Any], **files: bytes) -> Any:
    data: dict[str, Any] = {**page.hidden, **answers, "action": "next"}
    for name, content in files.items():
        data[name] = (io.BytesIO(content), f"{name}.png")
    return client.post(page.action, data=data, content_type="multipart/form-data")


def _stored(tmp_path: Any) -> list[str]:
    folder = tmp_path / "evidence"
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_respondent_gets_no_photo_input_and_cannot_post_a_file(photo_app, tmp_path):
    client = photo_app.test_client()
    page = _steps(client)
    assert page.screen == "steps" and 'type="file"' not in page.text and "multipart" not in page.text
    refused = _post(client, page, {"q_greet": "yes", "q_door": "yes"}, **{"photo-greet": _png()})
    assert refused.status_code == 400 and _stored(tmp_path) == []
    big = _post(client, page, {"q_greet": "yes", "q_door": "yes"}, **{"photo-greet": _png((200, 200), noise=True)})
    assert big.status_code == 413  # the app's 64 KB cap holds on this form for anyone but an auditor


def test_an_auditor_attaches_photos_while_filling_and_a_bad_one_keeps_the_answers(photo_app, tmp_path):
    olga = login(photo_app, "olga")
    page = _steps(olga, _planned(photo_app, olga))
    assert 'enctype="multipart/form-data"' in page.text and 'id="photo-greet"' in page.text
    answers = {"q_greet": "no", "q_door": "yes"}
    tail = _png() + b"PK\x03\x04 a zip after the image"
    for bad, reason in (
        (b"<html><script>alert(1)</script></html>", "not a JPEG or PNG"),
        (tail, "data after the end of the image"),
        (_png((260, 260), noise=True), "at most 150,000"),  # over the photo's cap, under the form's
    ):
        refused = parse(_post(olga, page, answers, **{"photo-greet": _png(), "photo-door": bad}))
        assert refused.status == 400 and reason in refused.text, refused.text[:400]
        assert re.search(r'id="photo-door-err"', refused.text) and 'aria-invalid="true"' in refused.text
        assert refused.checked == {"q_greet": ["no"], "q_door": ["yes"]}  # every answer given is kept
        assert _stored(tmp_path) == []  # the good photo of the same post is not kept either
    noisy = _png((200, 150), noise=True)  # larger than the app's 64 KB request cap
    assert len(noisy) > 64 * 1024
    thanks = _post(olga, page, answers, **{"photo-greet": noisy})
    assert thanks.status_code == 303 and thanks.headers["Location"].endswith("/thanks")
    assert _stored(tmp_path) == ["greet.png"]
    with engine_of(photo_app).connect() as conn:
        response_id = conn.execute(storage.sa.select(storage.responses.c.response_id)).scalar()
    evidence_page = olga.get(f"/admin/audits/mini_audit/{response_id}").get_data(as_text=True)
    link = f"/admin/audits/mini_audit/{response_id}/greet/photo"
    assert link in evidence_page
    shown = olga.get(link)
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert Image.open(io.BytesIO(shown.get_data())).size == (200, 150)
    assert login(photo_app, "otto").get(link).status_code == 404  # another dealer's auditor
    # after submit, on the evidence page, a photo above 64 KiB is taken too (the same parser limit)
    token = re.search(r'name="csrf_token" value="([^"]+)"', evidence_page)
    assert token is not None
    later = olga.post(
        f"/admin/audits/mini_audit/{response_id}/door",
        data={"csrf_token": token.group(1), "photo": (io.BytesIO(noisy), "door.png")},
        content_type="multipart/form-data",
    )
    assert later.status_code == 303 and _stored(tmp_path) == ["door.png", "greet.png"]


def test_a_body_over_the_forms_cap_is_refused_before_it_is_read(photo_app, tmp_path):
    photo_app.config["EVIDENCE_FORM_PHOTOS"] = 1
    olga = login(photo_app, "olga")
    page = _steps(olga)
    many = {f"photo-{item}": _png((240, 200), noise=True) for item in ("greet", "door")}  # each under its cap
    assert _post(olga, page, {"q_greet": "no", "q_door": "yes"}, **many).status_code == 413
    assert _stored(tmp_path) == []
