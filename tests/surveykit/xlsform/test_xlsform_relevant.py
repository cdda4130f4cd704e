"""relevant <-> conditions: what translates, what is refused and why, and the way back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from surveykit import load_questionnaire
from surveykit.expressions import parse
from surveykit.xlsform.limits import parse_limits, to_constraint
from surveykit.xlsform.relevant import Target, Untranslatable, canonical, to_condition, to_xpath

TARGETS = {
    "q": Target("q", "code", {"Yes": "yes", "No": "no", "1": "1"}),
    "m": Target("m", "multi", {"a": "a", "b": "b"}),
    "n": Target("n", "number"),
    "d": Target("d", "date"),
    "t": Target("t", "text"),
    "Old-Name": Target("old_name", "number"),
}


@pytest.mark.parametrize(
    ("xpath", "condition"),
    [
        ("${q} = 'Yes'", "q == 'yes'"),
        ("'No' != ${q}", "q != 'no'"),
        ("${q}='1'", "q == '1'"),
        ("${q} = 1", "q == '1'"),  # a code compared with a number is the code
        ("${n} >= '3'", "n >= 3"),  # a number compared with a quoted number is the number
        ("3 < ${n}", "n > 3"),
        ("${n} > -1.5", "n > -1.5"),
        ("selected(${m}, 'a')", "'a' in m"),
        ('selected( ${m} , "b" )', "'b' in m"),
        ("not(selected(${m}, 'a'))", "'a' not in m"),
        ("selected(${q}, 'Yes')", "q == 'yes'"),
        ("${m} != ''", "'a' in m or 'b' in m"),
        ("${n} != ''", "n == n"),
        ("${q}", "q == 'yes' or q == 'no' or q == '1'"),
        ("${t} != ''", "t != ''"),
        ("string-length(${t}) > 0", "t != ''"),
        ("count-selected(${m}) >= 1", "'a' in m or 'b' in m"),
        ("0 != count-selected(${m})", "'a' in m or 'b' in m"),
        ("${t} = 'x'", "t == 'x'"),
        ("${d} >= date('2024-01-01')", "d >= '2024-01-01'"),
        ("${n} > 1 and (${q} = 'Yes' or not(${n} = 5))", "n > 1 and (q == 'yes' or not n == 5)"),
        ("(${n} > 1 or ${n} < 0) and ${q} = 'No'", "(n > 1 or n < 0) and q == 'no'"),
        ("${Old-Name} = 2", "old_name == 2"),
        ("${n} = ${Old-Name}", "n == old_name"),
    ],
)
def test_translates(xpath, condition):
    assert to_condition(xpath, TARGETS) == condition
    parse(condition)  # and the result is in the condition language


@pytest.mark.parametrize(
    ("xpath", "reason"),
    [
        ("count-selected(${m}) > 1", "count-selected() has no equivalent"),
        ("${n} + 1 > 2", "arithmetic ('+')"),
        ("${n} div 2 > 1", "arithmetic ('div')"),
        ("${zz} = 1", "${zz} is not an earlier question"),
        ("${q} = ''", "(not answered) cannot be expressed"),
        ("${q} = 'Maybe'", "'Maybe' is not an option of ${q}"),
        ("${q} > 'Yes'", "'>' on ${q}"),
        ("${m} = 'a'", "is a select_multiple: test its options with selected()"),
        ("${n} = 'many'", "${n} is a number; it cannot be compared with 'many'"),
        ("${d} > today()", "the function today() has no equivalent"),
        ("string-length(${t}) > 3", "the function string-length() has no equivalent"),
        ("count-selected(${q}) > 0", "count-selected() on ${q}, which is not a select_multiple"),
        ("jr:choice-name(${q}, '${q}') = 'Yes'", "the function jr:choice-name() has no equivalent"),
        (". > 3", "'.' (the current answer)"),
        ("/data/n > 3", "an XPath path"),
        ("true()", "true() has no equivalent"),
        ("${n} = 1 = 1", "chained comparison"),
        ("(${n} > 1", "a '(' is not closed"),
        ("${n} >", "ends too early"),
        ("${n} > 1 ${q}", "unexpected"),
        ("'a' = 'a'", "needs a ${name}"),
        ("if(${n} > 1, true(), false())", "the function if() has no equivalent"),
        ("selected(${n}, '1')", "not a select question"),
        ("${d} > '31/01/2024'", "compare it with 'YYYY-MM-DD'"),
        ("", "the expression is empty"),
        ("${n} > 1 # 2", "cannot read"),
    ],
)
def test_refuses_with_the_reason(xpath, reason):
    with pytest.raises(Untranslatable) as exc:
        to_condition(xpath, TARGETS)
    assert reason in str(exc.value)


def test_deep_nesting_is_refused_not_a_recursion_error():
    with pytest.raises(Untranslatable, match="nested too deeply"):
        to_condition("(" * 200 + "${n} > 1" + ")" * 200, TARGETS)


def _shipped_conditions() -> list[str]:
    found = []
    for path in sorted(Path("questionnaires").glob("*.yaml")):
        q = load_questionnaire(path)
        found += [str(v.visible_if) for v in q.variables() if v.visible_if]
        # alerts are not exported, but their conditions are the longest shipped; has_theme and
        # contains_any (text answers, alerts only) have no XLSForm form
        found += [str(a.when) for a in q.alerts if not any(k in str(a.when) for k in ("has_theme", "contains_any"))]
    return sorted(set(found))


@pytest.mark.parametrize(
    "condition",
    [
        *_shipped_conditions(),
        "not (a == 1 or b != 'x')",
        "'x' not in m and a >= 2.5",
        "a",
        "not a",
        "(a == 1 or b == 2) and (c == 3 or not d == 4)",
    ],
)
def test_to_xpath_and_back_is_the_same_condition(condition):
    """Every condition has an XPath form that translates back to the same tree (shipped ones included)."""
    tree = parse(condition)
    names = {n.name for n in tree.names()}
    multis = {c.name.name for c in _contains(tree.tree)}
    targets = {name: Target(name, "multi" if name in multis else "number") for name in names}
    for compare in _literal_compares(tree.tree):
        if isinstance(compare.right.value, str):
            targets[compare.left.name] = Target(compare.left.name, "code")
    back = to_condition(to_xpath(tree), targets)
    if condition in ("a", "not a"):  # surveykit's bare name: answered and not zero, written out in XPath
        assert back == ("a == a and a != 0" if condition == "a" else "not (a == a and a != 0)")
    else:
        assert back == canonical(tree)


def test_the_bare_name_means_the_same_in_xpath():
    """A bare name holds when answered and non-zero; its XPath form holds on the same rows."""
    xpath_form = parse(to_condition(to_xpath(parse("a")), {"a": Target("a", "number")}))
    df = pd.DataFrame({"a": [0.0, 1.0, None, 5.0]})
    assert list(xpath_form.evaluate_frame(df)) == list(parse("a").evaluate_frame(df))


def _contains(node):
    from surveykit.expressions import And, Contains, Not, Or

    if isinstance(node, Contains):
        yield node
    elif isinstance(node, (And, Or)):
        for part in node.parts:
            yield from _contains(part)
    elif isinstance(node, Not):
        yield from _contains(node.part)


def _literal_compares(node):
    from surveykit.expressions import And, Compare, Literal, Name, Not, Or

    if isinstance(node, Compare) and isinstance(node.left, Name) and isinstance(node.right, Literal):
        yield node
    elif isinstance(node, (And, Or)):
        for part in node.parts:
            yield from _literal_compares(part)
    elif isinstance(node, Not):
        yield from _literal_compares(node.part)


@pytest.mark.parametrize(
    ("kind", "bounds", "constraint"),
    [
        ("integer", {"min": 0, "max": 120}, ". >= 0 and . <= 120"),
        ("decimal", {"min": 0.5}, ". >= 0.5"),
        ("text", {"max": 200, "pattern": "[0-9]{11}"}, "string-length(.) <= 200 and regex(., '^(?:[0-9]{11})$')"),
        ("date", {"min": "2024-01-01", "max": "2024-12-31"}, ". >= date('2024-01-01') and . <= date('2024-12-31')"),
        ("multi", {"min": 1, "max": 3}, "count-selected(.) >= 1 and count-selected(.) <= 3"),
    ],
)
def test_constraints_both_ways(kind, bounds, constraint):
    written = to_constraint(kind, bounds.get("min"), bounds.get("max"), bounds.get("pattern"))
    assert written == constraint
    assert parse_limits(written, kind) == bounds
