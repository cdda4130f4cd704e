"""T3: properties of the loader, the dumper and the simulator over generated questionnaires."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveykit import QuestionnaireError, load_questionnaire
from surveykit.dump import dump_questionnaire
from surveykit.simulate import simulate

HEAD = """\
survey: prop
version: 1
title: {zh: 性质, en: Properties}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
scales:
  a5: {points: 5, labels: {1: {zh: 差, en: Poor}, 5: {zh: 好, en: Good}}}
  a7: {points: 7}
dimensions:
  rel: {zh: 可靠性, en: Reliability}
"""
_TYPES = ["likert", "matrix", "choice", "multi", "nps", "number", "text", "date", "constant_sum"]
_WORDS = st.text(alphabet="好服务满意 abcXYZ:#?,-'\"{}[]&*!%@`|>", min_size=1, max_size=12).filter(lambda s: s.strip())


@st.composite
def questionnaires(draw):
    """Valid questionnaires: every type, random texts, conditions on earlier answers, paired blocks."""
    lines = [HEAD.rstrip("\n"), "pages:"]
    numeric: list[str] = []
    counter = 0

    def text() -> str:
        zh, en = draw(_WORDS), draw(_WORDS)
        return "{zh: " + _quote(zh) + ", en: " + _quote(en) + "}"

    for p in range(draw(st.integers(1, 3))):
        lines += [f"  - id: page{p}", "    questions:"]
        for _ in range(draw(st.integers(1, 4))):
            counter += 1
            qid = f"q{counter}"
            qtype = draw(st.sampled_from(_TYPES))
            cond = ""
            if numeric and draw(st.booleans()):
                cond = f", visible_if: '{draw(st.sampled_from(numeric))} >= {draw(st.integers(0, 6))}'"
            opts = "{" + ", ".join(f"o{i}: {text()}" for i in range(draw(st.integers(1, 4)))) + "}"
            extra = {
                "likert": "scale: a5",
                "nps": "",
                "number": "min: 0, max: 9",
                "text": "required: false",
                "date": "",
                "choice": f"options: {opts}",
                "multi": f"options: {opts}",
                "constant_sum": f"total: 10, options: {opts}",
                "matrix": "scale: a7, rows: ["
                + ", ".join(f"{{id: {qid}r{i}, text: {text()}}}" for i in range(draw(st.integers(1, 3))))
                + "]",
            }[qtype]
            body = ", ".join(part for part in (f"id: {qid}", f"type: {qtype}", extra, f"text: {text()}") if part)
            lines.append(f"      - {{{body}{cond}}}")
            if qtype in ("likert", "nps", "number"):
                numeric.append(qid)
    if draw(st.booleans()):
        lines += [
            "  - type: servqual",
            "    id: sqb",
            "    scale: a7",
            "    items:",
            f"      - {{id: s1, dimension: rel, expectation: {text()}, perception: {text()}}}",
        ]
    if draw(st.booleans()):
        lines += [
            "  - type: kano",
            "    id: knb",
            "    importance_scale: a5",
            "    attributes:",
            f"      - {{id: k1, functional: {text()}, dysfunctional: {text()}, importance: {text()}}}",
        ]
    if draw(st.booleans()):
        lines += [
            "  - type: importance_performance",
            "    id: ipb",
            "    scale: a7",
            "    items:",
            f"      - {{id: sp, importance: {text()}, performance: {text()}}}",
        ]
    return "\n".join(lines) + "\n"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _load(text: str):
    try:
        return load_questionnaire(text)
    except QuestionnaireError as exc:  # the generator only writes valid files
        raise AssertionError(f"generated file refused:\n{exc}\n{text}") from None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(questionnaires(), st.integers(0, 2**16), st.floats(0, 0.5))
def test_every_accepted_questionnaire_simulates_to_its_columns(text, seed, missing):
    q = _load(text)
    df = simulate(q, 25, seed=seed, missing=missing)
    assert list(df.columns) == list(q.columns())
    numeric = [v.name for v in q.variables() if v.kind == "numeric" and v.type != "metadata"]
    assert all(np.issubdtype(df[c].dtype, np.floating) for c in numeric)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(questionnaires())
def test_dump_then_load_gives_an_equal_questionnaire(text):
    q = _load(text)
    again = _load(dump_questionnaire(q))
    plain = dataclasses.replace(q, sha256="", source="")
    assert dataclasses.replace(again, sha256="", source="") == plain
    assert again.columns() == q.columns()


@st.composite
def skip_graphs(draw):
    """n questions in a written order, each maybe conditional on a few others."""
    n = draw(st.integers(2, 8))
    edges = {
        i: sorted(draw(st.sets(st.integers(0, n - 1).filter(lambda j, i=i: j != i), max_size=3))) for i in range(n)
    }
    return n, edges


def _has_cycle(n: int, edges: dict[int, list[int]]) -> bool:
    state = [0] * n

    def visit(i: int) -> bool:
        state[i] = 1
        for j in edges[i]:
            if state[j] == 1 or (state[j] == 0 and visit(j)):
                return True
        state[i] = 2
        return False

    return any(state[i] == 0 and visit(i) for i in range(n))


@settings(max_examples=500, deadline=None)
@given(skip_graphs())
def test_skip_graphs_backward_accepted_cycles_rejected(graph):
    n, edges = graph
    lines = [HEAD.rstrip("\n"), "pages:", "  - id: p", "    questions:"]
    for i in range(n):
        cond = " or ".join(f"n{j} >= 5" for j in edges[i])
        extra = f", visible_if: '{cond}'" if cond else ""
        lines.append(f"      - {{id: n{i}, type: nps, text: {{zh: 问, en: Q}}{extra}}}")
    text = "\n".join(lines) + "\n"
    backward_only = all(j < i for i in range(n) for j in edges[i])
    if backward_only:
        q = _load(text)  # a DAG written in order: accepted, and every path ends (the simulator walks it)
        assert len(simulate(q, 5, seed=1)) == 5
    else:
        with pytest.raises(QuestionnaireError, match=r"comes later|its own question"):
            load_questionnaire(text)
    if _has_cycle(n, edges):
        assert not backward_only  # so every cycle was rejected above
