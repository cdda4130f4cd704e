"""Audit photo evidence on the web: auditors scoped to their dealers, uploads cleaned or refused, photos private."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from PIL import Image

from surveykit import storage
from surveykit.orgfile import apply_org, read_org_file
from tests.support.accounts import add_users, csrf_token, login
from tests.support.formclient import engine_of, questionnaire

AUDIT = """\
survey: mini_audit
version: 1
title: {zh: 流程检查, en: Process audit}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
pages:
  - id: p
    questions:
      - id: reception
        type: checklist
        text: {zh: 接待, en: Reception}
        items:
          - {id: greet, critical: true, text: {zh: 出门迎接, en: Walks out to greet}}
          - {id: door, text: {zh: 开车门, en: Opens the door}}
"""
ORG = """\
id,parent,level,name_zh,name_en
NET,,network,全国网络,National network
DE01,NET,dealer,北京安达,Anda Beijing
DE03,NET,dealer,广州华南,Huanan Guangzhou
"""
USERS = {
    "alice": ("admin", {}),
    "ann": ("analyst", {}),
    "olga": ("auditor", {"units": ["DE01"]}),
    "otto": ("auditor", {"units": ["DE03"]}),
    "nora": ("manager", {"units": ["DE01"]}),
}


@pytest.fixture
def audit_app(make_app: Any, db_url: str, tmp_path: Any) -> Any:
    app = make_app(AUDIT, DATABASE_URL=db_url, EVIDENCE_DIR=str(tmp_path / "evidence"))
    engine = engine_of(app)
    apply_org(engine, read_org_file("org.csv", data=ORG.encode("utf-8")))
    add_users(engine, USERS)
    q = questionnaire(app, "mini_audit")
    app.config["AUDITS"] = {}
    for dealer in ("DE01", "DE03"):
        saved = storage.save_response(
            engine, q, {"greet": "no", "door": "yes"}, key=uuid.uuid4().hex, language="en", fields={"dealer": dealer}
        )
        app.config["AUDITS"][dealer] = saved.response_id
    return app


def jpeg() -> bytes:
    out = io.BytesIO()
    tags = Image.Exif()
    tags[0x010F] = "SecretCam"
    Image.new("RGB", (32, 24), (10, 200, 10)).save(out, format="JPEG", exif=tags.tobytes())
    return out.getvalue()


def upload(client: Any, app: Any, dealer: str, item: str, data: bytes, name: str = "p.jpg") -> Any:
    page_url = f"/admin/audits/mini_audit/{app.config['AUDITS'][dealer]}"
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(
        f"{page_url}/{item}",
        data={"csrf_token": token, "photo": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_auditor_attaches_a_clean_photo_that_only_authorised_users_see(audit_app, tmp_path):
    app = audit_app
    olga = login(app, "olga")
    response = upload(olga, app, "DE01", "greet", jpeg())
    assert response.status_code == 303
    stored = list((tmp_path / "evidence").rglob("*.jpg"))
    assert len(stored) == 1 and b"SecretCam" not in stored[0].read_bytes()
    photo_url = f"/admin/audits/mini_audit/{app.config['AUDITS']['DE01']}/greet/photo"
    got = olga.get(photo_url)
    assert got.status_code == 200 and got.mimetype == "image/jpeg" and got.data == stored[0].read_bytes()
    assert got.headers["X-Content-Type-Options"] == "nosniff" and "no-store" in got.headers["Cache-Control"]
    assert login(app, "nora").get(photo_url).status_code == 200  # the manager of DE01
    assert login(app, "ann").get(photo_url).status_code == 200
    assert login(app, "otto").get(photo_url).status_code == 404  # an auditor of another dealer
    anonymous = app.test_client().get(photo_url)
    assert anonymous.status_code == 303 and anonymous.headers["Location"].endswith("/admin/login")
    assert "/static/" not in str(stored[0])


def test_auditor_of_another_dealer_cannot_upload_or_list(audit_app, tmp_path):
    app = audit_app
    otto = login(app, "otto")
    assert otto.get(f"/admin/audits/mini_audit/{app.config['AUDITS']['DE01']}").status_code == 404
    listing = otto.get("/admin/audits/mini_audit").get_data(as_text=True)
    assert app.config["AUDITS"]["DE03"] in listing and app.config["AUDITS"]["DE01"] not in listing
    assert not (tmp_path / "evidence").exists()


def test_readers_cannot_upload(audit_app):
    app = audit_app
    for name in ("ann", "nora"):
        assert upload(login(app, name), app, "DE01", "greet", jpeg()).status_code == 403


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "not a JPEG or PNG photo"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "damaged or not a JPEG or PNG photo"),
        (jpeg() + b"PK\x03\x04polyglot", "data after the end of the image"),
    ],
    ids=["html", "broken-jpeg", "polyglot"],
)
def test_bad_uploads_get_a_400_page_with_the_reason_and_store_nothing(audit_app, tmp_path, data, message):
    app = audit_app
    response = upload(login(app, "olga"), app, "DE01", "greet", data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and message in body and 'role="alert"' in body
    assert "Traceback" not in body
    assert not list((tmp_path / "evidence").rglob("*.*")) if (tmp_path / "evidence").exists() else True


@pytest.mark.parametrize(("size", "status"), [(150_000, 400), (300_000, 413)])  # read and refused; refused unread
def test_too_large_upload_is_refused_without_a_trace(audit_app, tmp_path, size, status):
    app = audit_app
    app.config["EVIDENCE_MAX_BYTES"] = 100_000  # the 8 MB default, scaled down below the test client's spooling
    response = upload(login(app, "olga"), app, "DE01", "greet", jpeg() + b"\x00" * size)
    body = response.get_data(as_text=True)
    assert response.status_code == status and "Traceback" not in body and 'role="alert"' in body
    assert not (tmp_path / "evidence").exists() or not list((tmp_path / "evidence").rglob("*.*"))


def test_upload_needs_the_csrf_token(audit_app, tmp_path):
    app = audit_app
    olga = login(app, "olga")
    url = f"/admin/audits/mini_audit/{app.config['AUDITS']['DE01']}/greet"
    response = olga.post(url, data={"photo": (io.BytesIO(jpeg()), "p.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert not (tmp_path / "evidence").exists()


def test_unknown_item_is_404(audit_app):
    app = audit_app
    assert upload(login(app, "alice"), app, "DE01", "nope", jpeg()).status_code == 404
