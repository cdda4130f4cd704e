"""Randomised order: the format, the draw, the seed column, the codebook and the store."""

from __future__ import annotations

import collections
import hashlib
import re
import textwrap

import pytest

from surveykit import QuestionnaireError, load_questionnaire, storage
from surveykit.randomize import (
    arrange,
    is_randomised,
    item_positions,
    order_seed,
    permutation,
    personal_screen,
    randomised_lists,
)
from surveykit.simulate import simulate
from tests.support.randomised import HEAD, SURVEY


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(SURVEY)


def test_permutation_is_a_reproducible_permutation():
    for n in range(0, 9):
        order = permutation(12345, "questions:p1", n)
        assert sorted(order) == list(range(n))
        assert order == permutation(12345, "questions:p1", n)
    assert permutation(1, "k", 8) != permutation(2, "k", 8)  # another seed, another order
    assert permutation(1, "k", 8) != permutation(1, "other", 8)  # another list, another order


def test_every_order_is_about_equally_likely():
    # 6,000 seeds over the 3! orders: chi-square with 5 df; 20.5 is its 0.999 quantile
    counts = collections.Counter(permutation(seed, "page:x", 3) for seed in range(6000))
    assert len(counts) == 6
    chi2 = sum((c - 1000) ** 2 / 1000 for c in counts.values())
    assert chi2 < 20.5


def test_order_seed_is_a_32_bit_function_of_the_key():
    assert order_seed("abc") == order_seed("abc")
    assert order_seed("abc") != order_seed("abd")
    assert all(0 <= order_seed(f"k{i}") < 2**32 for i in range(100))


def test_fixed_entries_keep_their_place_and_the_rest_move(q):
    choice = q.question("ch")
    seen = set()
    for seed in range(200):
        codes = [o.code for o in arrange(choice.options, lambda o: o.code, choice.shuffle, seed)]
        assert codes[3:] == ["other", "dk"]
        seen.add(tuple(codes[:3]))
        page = personal_screen(q.screens()[0], seed)
        assert page.questions[2].id == "q3"
    assert len(seen) == 6  # every order of a, b, c occurs


def test_a_group_rotates_in_step_across_matrix_and_both_servqual_halves(q):
    screens = {s.id: s for s in q.screens()}
    for seed in range(50):
        rows = [r.id[1:] for r in personal_screen(screens["p2"], seed).questions[1].rows]
        expectation = [x.pair[1:] for x in personal_screen(screens["sq_expectation"], seed).questions]
        perception = [x.pair[1:] for x in personal_screen(screens["sq_perception"], seed).questions]
        assert rows == expectation == perception


def test_item_positions_follow_the_shown_order(q):
    seed = 99
    positions = item_positions(q, seed)
    shown = [x.id for x in personal_screen(q.screens()[0], seed).questions]
    assert [positions[name] for name in shown] == [("p1", i) for i in range(1, 5)]
    assert {positions[f"s{i}_e"][1] for i in (1, 2, 3)} == {1, 2, 3}
    assert "ch" not in positions  # options are not items


def test_codebook_gains_order_seed_and_lists_only_when_randomised(q):
    assert is_randomised(q)
    assert q.variable("order_seed").type == "metadata"
    assert q.columns().index("order_seed") == q.columns().index("duration_s") + 1
    lists = {(where, what): (entries, shuffle.fixed) for where, what, entries, shuffle in randomised_lists(q)}
    assert lists[("ch", "options")] == (("a", "b", "c", "other", "dk"), ("other", "dk"))
    assert lists[("p1", "questions")][1] == ("q3",)
    plain = load_questionnaire(HEAD + "pages:\n  - id: p\n    questions:\n      - {id: x, type: nps, text: X}\n")
    assert not is_randomised(plain) and "order_seed" not in plain.columns()


def test_simulated_rows_carry_the_seed_of_their_key(q):
    df = simulate(q, n=20, seed=3)
    assert list(df["order_seed"]) == [float(order_seed(key)) for key in df["response_id"]]


def test_the_store_gives_back_the_seed_of_each_submission_key(q, engine):
    storage.register_version(engine, q, SURVEY)
    df = simulate(q, n=5, seed=4)
    storage.save_frame(engine, q, df)
    back = storage.responses_frame(engine, q)
    assert list(back["order_seed"]) == list(df["order_seed"])
    storage.save_response(engine, q, {"q1": 3}, key="my-key", language="en")
    assert storage.responses_frame(engine, q)["order_seed"].iloc[-1] == order_seed("my-key")


def test_responses_to_a_version_that_randomised_nothing_have_no_seed(q, engine):
    plain_text = re.sub(r"\n *(randomize|randomize_group|fixed): [^\n]*", "", SURVEY)
    plain = load_questionnaire(plain_text)
    assert plain.survey == q.survey and plain.sha256 != q.sha256
    storage.register_version(engine, plain, plain_text)
    storage.register_version(engine, q, SURVEY)
    storage.save_response(engine, plain, {"q1": 2}, key="before", language="en")
    storage.save_response(engine, q, {"q1": 3}, key="after", language="en")
    seeds = storage.responses_frame(engine, q)["order_seed"]
    assert seeds.isna().tolist() == [True, False] and seeds.iloc[1] == order_seed("after")


def _problems(body: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(HEAD + textwrap.dedent(body))
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            """\
            pages:
              - id: p
                randomize: true
                fixed: [secnd, first]
                questions:
                  - {id: first, type: nps, text: X}
                  - {id: second, type: nps, text: Y}
            """,
            ["<string>:11:13: pages[0].fixed: 'secnd' is not one of the questions of 'p' (did you mean 'second'?)"],
        ),
        (
            """\
            pages:
              - id: p
                fixed: [x]
                questions:
                  - {id: x, type: nps, text: X}
            """,
            ["<string>:10:12: pages[0].fixed: fixed needs randomize: true"],
        ),
        (
            """\
            pages:
              - id: p
                questions:
                  - id: c
                    type: choice
                    text: C
                    randomize: true
                    randomize_group: g
                    options: {a: A, b: B}
                  - id: m
                    type: matrix
                    scale: a5
                    text: M
                    randomize: true
                    randomize_group: g
                    rows: [{id: r1, text: R1}, {id: r2, text: R2}, {id: r3, text: R3}]
            """,
            [
                "<string>:22:26: pages[0].questions[1].randomize_group: randomize_group 'g' has 2 entries to "
                "shuffle at pages[0].questions[0].randomize_group but 3 here; lists that rotate in step need as many"
            ],
        ),
        (
            """\
            pages:
              - id: p
                randomize: true
                questions:
                  - {id: a, type: nps, text: X}
                  - {id: b, type: nps, text: Y, visible_if: a < 7}
            """,
            [
                "<string>:10:16: pages[0].randomize: the page is randomised, so the condition of 'b' "
                "may not use 'a' of the same page; move one of them to another page"
            ],
        ),
    ],
)
def test_bad_randomisation_is_reported_where_it_is_written(body, expected):
    assert _problems(body) == expected


def test_the_codebook_says_how_each_order_was_drawn(q):
    from surveykit.codebook import codebook

    book = codebook(q, "en").set_index("variable")
    assert "SHA-256" in book.loc["order_seed", "randomised"] and "Fisher-Yates" in book.loc["order_seed", "randomised"]
    assert book.loc["q3", "randomised"].startswith("fixed in place")
    assert book.loc["r2", "randomised"] == "row position drawn in m (list group:g)"
    assert book.loc["ch", "randomised"] == "options shown in drawn order (list options:ch; fixed: other, dk)"
    assert order_seed("abc") == int(hashlib.sha256(b"surveykit-order:abc").hexdigest()[:8], 16)  # as documented


def test_a_kano_block_shuffles_its_attributes_keeping_each_pair_together():
    q = load_questionnaire(
        HEAD
        + textwrap.dedent("""\
            pages:
              - type: kano
                id: kano
                randomize: true
                fixed: [k1]
                importance_scale: a5
                attributes:
                  - {id: k1, functional: F1, dysfunctional: D1, importance: I1}
                  - {id: k2, functional: F2, dysfunctional: D2, importance: I2}
                  - {id: k3, functional: F3, dysfunctional: D3, importance: I3}
                  - {id: k4, functional: F4, dysfunctional: D4, importance: I4}
            """)
    )
    screen = q.screens()[0]
    orders = set()
    for seed in range(60):
        ids = [x.id for x in personal_screen(screen, seed).questions]
        attributes = [ids[i][:2] for i in range(0, 12, 3)]
        assert ids == [f"{a}{s}" for a in attributes for s in ("_f", "_d", "_si")]  # each pair together
        assert attributes[0] == "k1"  # fixed
        orders.add(tuple(attributes))
        positions = item_positions(q, seed)
        assert [positions[f"{a}_si"][1] for a in attributes] == [1, 2, 3, 4]
    assert len(orders) == 6
