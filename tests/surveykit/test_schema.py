"""The JSON Schema: valid Draft 2020-12, in step with the loader, and accepting every shipped instrument."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from surveykit.schema import json_schema

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "questionnaires").glob("*.yaml"))


def _validator() -> jsonschema.Draft202012Validator:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _as_json(path: Path) -> object:
    # editors see mapping keys as strings (scale labels are written 1:, 7:)
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def test_committed_schema_file_is_current():
    committed = json.loads((ROOT / "surveykit.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "run: surveykit schema -o surveykit.schema.json"


def test_shipped_instruments_exist():
    assert len(SHIPPED) >= 6, [p.name for p in SHIPPED]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_schema_accepts_shipped_instrument(path):
    errors = [e.message for e in _validator().iter_errors(_as_json(path))]
    assert not errors, errors[:5]
    assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=../surveykit.schema.json")


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"survey": "x", "version": 1, "title": "t", "languages": ["en"], "pages": [], "lable": 1}, "lable"),
        ({"survey": "x", "version": "one", "title": "t", "languages": ["en"], "pages": []}, "'one'"),
        ({"survey": "x", "version": 1, "title": "t", "languages": ["French"], "pages": []}, "'French'"),
        (
            {
                "survey": "x",
                "version": 1,
                "title": "t",
                "languages": ["en"],
                "pages": [{"id": "p", "questions": [{"id": "q", "type": "likret", "text": "x"}]}],
            },
            "likret",
        ),
    ],
)
def test_schema_flags_what_the_loader_refuses(document, fragment):
    messages = " ".join(e.message for e in _validator().iter_errors(document))
    assert fragment in messages
