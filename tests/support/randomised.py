"""A randomised questionnaire shared by the tests of surveykit.randomize and analysis.order_effects."""

from __future__ import annotations

import textwrap

HEAD = """\
survey: rtest
version: 1
title: Randomised
languages: [en]
dimensions: {d: D, e: E, f: F}
scales:
  a5: {points: 5, labels: {1: Bad, 5: Good}}
"""

SURVEY = HEAD + textwrap.dedent("""\
    pages:
      - id: p1
        randomize: true
        fixed: [q3]
        questions:
          - {id: q1, type: likert, scale: a5, text: One}
          - {id: q2, type: likert, scale: a5, text: Two}
          - {id: q3, type: likert, scale: a5, text: Three}
          - {id: q4, type: nps, text: Four}
      - id: p2
        questions:
          - id: ch
            type: choice
            text: Pick
            randomize: true
            fixed: [other, dk]
            options: {a: A, b: B, c: C, other: Other, dk: Don't know}
          - id: m
            type: matrix
            scale: a5
            text: Rate
            randomize: true
            randomize_group: g
            rows:
              - {id: r1, text: R1}
              - {id: r2, text: R2}
              - {id: r3, text: R3}
      - type: servqual
        id: sq
        scale: a5
        randomize: true
        randomize_group: g
        items:
          - {id: s1, dimension: d, expectation: E1, perception: P1}
          - {id: s2, dimension: e, expectation: E2, perception: P2}
          - {id: s3, dimension: f, expectation: E3, perception: P3}
    """)
