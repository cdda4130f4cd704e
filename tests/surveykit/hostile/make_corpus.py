"""Writes the hostile questionnaire corpus (RELIABILITY.md §4.1, test T1).

Run it to regenerate the files; each case is (file name, content bytes, a
fragment the error message must contain).  The index goes to expected.tsv.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
HEAD = """survey: hostile
version: 1
title: {zh: 测试, en: Test}
languages: [zh, en]
scales:
  a5: {points: 5}
"""
Q = "      - {id: q1, type: likert, scale: a5, text: {zh: 问, en: Q}}\n"
PAGE = "pages:\n  - id: p1\n    questions:\n"


def page(*questions: str) -> str:
    return HEAD + PAGE + "".join(questions)


def bomb(levels: int, width: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


CASES: list[tuple[str, bytes | str, str]] = [
    # code execution and object construction
    ("tag_python_apply.yaml", "survey: !!python/object/apply:os.system ['echo pwned']\n", "YAML tag"),
    ("tag_python_name.yaml", "survey: !!python/name:os.system\n", "YAML tag"),
    ("tag_python_object_new.yaml", "x: !!python/object/new:subprocess.Popen [[ls]]\n", "YAML tag"),
    ("tag_python_module.yaml", "x: !!python/module:os\n", "YAML tag"),
    ("tag_binary.yaml", "title: !!binary aGVsbG8=\n", "YAML tag"),
    ("tag_set.yaml", "languages: !!set {zh, en}\n", "YAML tag"),
    ("tag_omap.yaml", "scales: !!omap [a: 1]\n", "YAML tag"),
    ("tag_custom.yaml", "survey: !Ref other\n", "YAML tag"),
    ("tag_int_garbage.yaml", HEAD.replace("version: 1", "version: !!int abc") + PAGE + Q, "YAML tag"),
    ("tag_float_garbage.yaml", "version: !!float x\n", "YAML tag"),
    ("tag_timestamp_invalid.yaml", "version: !!timestamp 2001-13-45\n", "YAML tag"),
    ("tag_on_mapping.yaml", "scales: !!python/object:object {}\n", "YAML tag"),
    # alias bombs and cycles
    ("billion_laughs_9x9.yaml", bomb(9, 9), "alias bomb"),
    ("alias_bomb_wide.yaml", bomb(4, 200), "alias bomb"),
    ("alias_bomb_deep.yaml", bomb(30, 2), "alias bomb"),
    ("alias_recursive_seq.yaml", "a: &x [*x]\n", "a cycle"),
    ("alias_recursive_map.yaml", "a: &x {b: *x}\n", "a cycle"),
    ("alias_undefined.yaml", "a: *nothing\n", "undefined anchor"),
    ("merge_key.yaml", "base: &b {points: 5}\nscales:\n  a5:\n    <<: *b\n", "merge keys"),
    ("merge_key_list.yaml", "x: &x {a: 1}\ny: &y {b: 2}\nz:\n  <<: [*x, *y]\n", "merge keys"),
    # nesting and size
    ("deep_flow_nesting.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n", "nesting deeper"),
    (
        "deep_block_nesting.yaml",
        "".join("  " * i + f"k{i}:\n" for i in range(40)) + "  " * 40 + "v: 1\n",
        "nesting deeper",
    ),
    ("deep_mapping_flow.yaml", "a: " + "{b: " * 300 + "1" + "}" * 300 + "\n", "nesting deeper"),
    # syntax and encoding
    ("syntax_unclosed_flow.yaml", "survey: [unclosed\n", "YAML syntax error"),
    ("syntax_bad_indent.yaml", "survey: x\n  version: 1\n", "YAML syntax error"),
    ("syntax_tab_indent.yaml", "survey: x\nscales:\n\ta5: 1\n", "YAML syntax error"),
    ("syntax_unterminated_quote.yaml", "survey: 'x\n", "YAML syntax error"),
    ("nul_byte.yaml", "survey: x\x00y\n", "control characters"),
    ("control_char_escape.yaml", HEAD.replace("en: Test", 'en: "Te\\x07st"') + PAGE + Q, "control characters"),
    ("invalid_utf8.yaml", b"survey: x\ntitle: \xff\xfe\xfd\n", "not valid UTF-8"),
    ("nul_byte_line_3.yaml", HEAD.replace("title: {zh: 测试", "title: {zh: 测\x00试"), "(found U+0000)"),
    ("c1_control_raw.yaml", HEAD.replace("en: Test", "en: Te\x85st") + PAGE + Q, "(found U+0085)"),
    ("c1_control_escape.yaml", HEAD.replace("en: Test", 'en: "Te\\x9bst"') + PAGE + Q, "(found U+009B)"),
    ("bom_in_the_middle.yaml", "\ufeff" + HEAD + "\ufeff" + PAGE + Q, "byte-order mark"),
    ("line_separator.yaml", HEAD.replace("en: Test", "en: Te\u2028st") + PAGE + Q, "line separator"),
    ("noncharacter.yaml", HEAD.replace("en: Test", "en: Te\uffffst") + PAGE + Q, "not a character"),
    (
        "invalid_utf8_late.yaml",
        (HEAD + PAGE).encode() + b"      - {id: q1, type: nps, text: {zh: \xe9\x97, en: Q}}\n",
        "not valid UTF-8",
    ),
    ("bom_then_invalid_utf8.yaml", b"\xef\xbb\xbfsu\xb6vey: hostile\n", "not valid UTF-8"),  # found by atheris
    ("lone_surrogate_encoded.yaml", HEAD.encode() + b"x: \xed\xa0\x80\n", "not valid UTF-8"),
    ("lone_surrogate_escape.yaml", HEAD.replace("en: Test", 'en: "\\ud800"') + PAGE + Q, "YAML"),
    ("utf16_bom.yaml", "survey: x\n".encode("utf-16"), "not valid UTF-8"),
    ("two_documents.yaml", HEAD + PAGE + Q + "---\nsurvey: other\n", "one YAML document"),
    ("empty.yaml", "", "the file is empty"),
    ("only_comment.yaml", "# nothing here\n", "the file is empty"),
    ("top_level_list.yaml", "- survey: x\n", "expected a mapping of keys"),
    ("top_level_scalar.yaml", "just text\n", "expected a mapping of keys"),
    # keys
    ("duplicate_top_key.yaml", HEAD + "survey: again\n" + PAGE + Q, "duplicate key 'survey'"),
    (
        "duplicate_nested_key.yaml",
        page("      - {id: q1, type: likert, scale: a5, scale: a5, text: {zh: 问, en: Q}}\n"),
        "duplicate key 'scale'",
    ),
    (
        "duplicate_language_key.yaml",
        page("      - {id: q1, type: likert, scale: a5, text: {zh: 问, zh: 问, en: Q}}\n"),
        "duplicate key 'zh'",
    ),
    (
        "duplicate_scale_label_01.yaml",
        HEAD.replace(
            "a5: {points: 5}",
            "a5:\n    points: 5\n    labels:\n      1: {zh: 差, en: Poor}\n      01: {zh: 差, en: Poor}",
        )
        + PAGE
        + Q,
        "duplicate key '01': YAML reads it as the number 1",
    ),
    (
        "duplicate_scale_label_float.yaml",
        HEAD.replace("a5: {points: 5}", "a5: {points: 5, labels: {1: {zh: 差, en: Poor}, 1.0: {zh: 差, en: Poor}}}")
        + PAGE
        + Q,
        "the same key as '1'",
    ),
    (
        "duplicate_option_yes_true.yaml",
        page(
            "      - {id: q1, type: choice, text: {zh: 问, en: Q}, options: "
            "{yes: {zh: 是, en: 'Yes'}, true: {zh: 是, en: 'Yes'}}}\n"
        ),
        "the YAML boolean true",
    ),
    (
        "duplicate_null_tilde.yaml",
        page(
            "      - {id: q1, type: choice, text: {zh: 问, en: Q}, options: "
            "{~: {zh: 是, en: 'Yes'}, null: {zh: 是, en: 'Yes'}}}\n"
        ),
        "the YAML null",
    ),
    (
        "duplicate_hex_key_deep.yaml",
        page(
            "      - {id: q1, type: matrix, scale: a5, text: {zh: 问, en: Q}, rows: "
            "[{id: r1, text: {zh: 问, en: Q}, 0x1: a, 1: b}]}\n"
        ),
        "duplicate key '1'",
    ),
    ("unknown_top_key.yaml", HEAD + "tittle: x\n" + PAGE + Q, "did you mean 'title'"),
    (
        "unknown_question_key.yaml",
        page("      - {id: q1, type: likert, scale: a5, lable: x, text: {zh: 问, en: Q}}\n"),
        "did you mean 'label'",
    ),
    (
        "unknown_question_type.yaml",
        page("      - {id: q1, type: slider, text: {zh: 问, en: Q}}\n"),
        "unknown question type 'slider'",
    ),
    ("non_scalar_key.yaml", "? [a, b]\n: 1\n", "mapping key must be plain text"),
    ("missing_survey.yaml", HEAD.replace("survey: hostile\n", "") + PAGE + Q, "missing required key 'survey'"),
    ("missing_pages.yaml", HEAD, "missing required key 'pages'"),
    # types and YAML 1.1 coercions
    (
        "norway_option.yaml",
        page("      - {id: q1, type: choice, text: {zh: 问, en: Q}, options: {no: {zh: 否, en: 'No'}}}\n"),
        "quote it: 'no'",
    ),
    ("yes_text.yaml", page("      - {id: q1, type: likert, scale: a5, text: {zh: 问, en: yes}}\n"), "quote it: 'yes'"),
    (
        "number_text.yaml",
        page("      - {id: q1, type: likert, scale: a5, text: {zh: 1.10, en: Q}}\n"),
        "quote it: '1.10'",
    ),
    ("octal_version.yaml", HEAD.replace("version: 1", "version: 010") + PAGE + Q, None),
    ("date_as_id.yaml", page("      - {id: 2024-01-02, type: nps, text: {zh: 问, en: Q}}\n"), "quote it"),
    (
        "bool_required_string.yaml",
        page("      - {id: q1, type: likert, scale: a5, required: 'yes', text: {zh: 问, en: Q}}\n"),
        "expected true or false",
    ),
    (
        "options_as_string.yaml",
        page("      - {id: q1, type: choice, options: 'a,b', text: {zh: 问, en: Q}}\n"),
        "expected a mapping",
    ),
    ("points_string.yaml", HEAD.replace("points: 5", "points: five") + PAGE + Q, "expected a whole number"),
    ("points_float.yaml", HEAD.replace("points: 5", "points: 5.5") + PAGE + Q, "expected a whole number"),
    ("points_huge.yaml", HEAD.replace("points: 5", "points: 99999999999999999999") + PAGE + Q, "2 to 11 points"),
    ("nan_min.yaml", page("      - {id: q1, type: number, min: .nan, text: {zh: 问, en: Q}}\n"), "expected a number"),
    ("inf_max.yaml", page("      - {id: q1, type: number, max: .inf, text: {zh: 问, en: Q}}\n"), "expected a number"),
    # ids
    ("id_uppercase.yaml", page("      - {id: Q1, type: nps, text: {zh: 问, en: Q}}\n"), "not a valid id"),
    ("id_too_long.yaml", page("      - {id: " + "q" * 64 + ", type: nps, text: {zh: 问, en: Q}}\n"), "at most 63"),
    (
        "id_sql_meta.yaml",
        page('      - {id: "q1\'; drop table responses; --", type: nps, text: {zh: 问, en: Q}}\n'),
        "not a valid id",
    ),
    (
        "id_metadata_clash.yaml",
        page("      - {id: response_id, type: nps, text: {zh: 问, en: Q}}\n"),
        "clashes with a metadata column",
    ),
    ("id_duplicate.yaml", page(Q, Q), "id 'q1' clashes with a question"),
    (
        "id_role_suffix_clash.yaml",
        page("      - {id: rel1_e, type: nps, text: {zh: 问, en: Q}}\n")
        + "  - type: servqual\n    id: sq\n    scale: a5\n    items:\n"
        "      - {id: rel1, dimension: d, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}\n",
        "clashes",
    ),
    (
        "survey_id_path.yaml",
        HEAD.replace("survey: hostile", "survey: ../../etc/passwd") + PAGE + Q,
        "not a valid survey id",
    ),
    # references and languages
    (
        "undefined_scale.yaml",
        page("      - {id: q1, type: likert, scale: a9, text: {zh: 问, en: Q}}\n"),
        "scale 'a9' is not defined",
    ),
    (
        "undefined_dimension.yaml",
        page("      - {id: q1, type: likert, scale: a5, dimension: nope, text: {zh: 问, en: Q}}\n"),
        "dimension 'nope' is not defined",
    ),
    (
        "undeclared_language.yaml",
        page("      - {id: q1, type: likert, scale: a5, text: {zh: 问, en: Q, fr: Q}}\n"),
        "not declared",
    ),
    (
        "missing_language.yaml",
        page("      - {id: q1, type: likert, scale: a5, text: {zh: 问}}\n"),
        "missing the declared language",
    ),
    ("unsupported_language.yaml", HEAD.replace("[zh, en]", "[zh, klingon]") + PAGE + Q, "not a language tag"),
    ("empty_text.yaml", page("      - {id: q1, type: likert, scale: a5, text: {zh: '  ', en: Q}}\n"), "is empty"),
    ("empty_page.yaml", HEAD + "pages:\n  - id: p1\n    questions: []\n", "at least one question"),
    (
        "constant_sum_no_total.yaml",
        page("      - {id: w, type: constant_sum, text: {zh: 问, en: Q}, options: {a: {zh: 甲, en: A}}}\n"),
        "missing required key 'total'",
    ),
    # conditions
    (
        "condition_eval.yaml",
        page(Q, "      - {id: q2, type: nps, visible_if: \"__import__('os').system('x')\", text: {zh: 问, en: Q}}\n"),
        "invalid condition",
    ),
    (
        "condition_forward.yaml",
        page("      - {id: q0, type: nps, visible_if: q1 > 2, text: {zh: 问, en: Q}}\n", Q),
        "which comes later",
    ),
    (
        "condition_self.yaml",
        page("      - {id: q1, type: nps, visible_if: q1 > 2, text: {zh: 问, en: Q}}\n"),
        "its own question",
    ),
    (
        "condition_cycle.yaml",
        page(
            "      - {id: a, type: nps, visible_if: b > 2, text: {zh: 问, en: Q}}\n",
            "      - {id: b, type: nps, visible_if: a > 2, text: {zh: 问, en: Q}}\n",
        ),
        "which comes later",
    ),
    (
        "condition_unknown.yaml",
        page(Q, "      - {id: q2, type: nps, visible_if: nope > 2, text: {zh: 问, en: Q}}\n"),
        "no answer or field",
    ),
    (
        "condition_too_long.yaml",
        page(
            Q,
            "      - {id: q2, type: nps, visible_if: '" + " or ".join(["q1 > 1"] * 200) + "', text: {zh: 问, en: Q}}\n",
        ),
        "at most 1000",
    ),
    (
        "condition_deep_parens.yaml",
        page(
            Q,
            "      - {id: q2, type: nps, visible_if: '"
            + "(" * 120
            + "q1 > 1"
            + ")" * 120
            + "', text: {zh: 问, en: Q}}\n",
        ),
        "nested too deeply",
    ),
    (
        "condition_jinja.yaml",
        page(Q, "      - {id: q2, type: nps, visible_if: '{{7*7}}', text: {zh: 问, en: Q}}\n"),
        "invalid condition",
    ),
    # content that is legal and must stay inert: these load (expected None)
    (
        "xss_in_text.yaml",
        page(
            "      - {id: q1, type: likert, scale: a5, text: {zh: '<script>alert(1)</script>', en: '\"><img src=x onerror=alert(1)>'}}\n"
        ),
        None,
    ),
    (
        "template_in_text.yaml",
        page("      - {id: q1, type: likert, scale: a5, text: {zh: '{{7*7}}', en: '{% raw %}x'}}\n"),
        None,
    ),
    (
        "bidi_in_text.yaml",
        page('      - {id: q1, type: likert, scale: a5, text: {zh: "\u202eevil", en: "zero\u200bwidth"}}\n'),
        None,
    ),
]


def main() -> None:
    lines = []
    for name, content, fragment in CASES:
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (HERE / name).write_bytes(data)
        lines.append(f"{name}\t{fragment or '-'}")
    (HERE / "expected.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
