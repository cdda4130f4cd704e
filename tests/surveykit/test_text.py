"""surveykit.text: normalisation, codeframe reading and checks, theme coding, sentiment, masking.

The agreement tests measure the default codeframe's rules on the reference comments as their
README defines it and assert the issue's aims (theme micro-F1 >= 0.85 excluding ``other``,
sentiment accuracy >= 0.80); per-theme figures are printed (``pytest -s``).  They and the
convention tests use the rules alone (``RULES``): the learned complement is fitted on those
comments, so with it they would be in-sample; it is tested on a batch left out of its fit.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from surveykit.errors import QuestionnaireError
from surveykit.text import Coder, coder_for, default_codeframe, load_codeframe, mask_personal_data, normalise
from surveykit.text.agreement import agreement
from surveykit.text.learned import features, fit, learned_model, training_rows
from surveykit.text.segment import english_words, segment

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "text"
RULES = Coder(default_codeframe())  # the rules alone, without the learned complement


def _measure(name: str, until: str | None = None):
    """Agreement of the default coder with the file's labels (the rows before id ``until`` only, if given)."""
    with (REFERENCE / name).open(encoding="utf-8", newline="") as file:
        rows = [r for r in csv.DictReader(file) if until is None or r["id"] < until]
    coder = RULES
    gold = {r["id"]: (r["themes"].split(";"), r["sentiment"]) for r in rows}
    predicted = {}
    for r in rows:
        coded = coder.code(r["text"])
        predicted[r["id"]] = (coded.themes, coded.sentiment)
    return agreement(gold, predicted, default_codeframe().theme_ids())


def test_dev_set_meets_the_aims():
    result = _measure("comments_dev.csv")
    print("\n" + result.summary())
    assert result.micro_f1 >= 0.85, result.summary()
    assert result.sentiment_accuracy >= 0.80, result.summary()


def test_own_comments_generalise():
    """90 comments written apart from the developer set (README_OWN.md says how they were used)."""
    result = _measure("comments_own.csv")
    print("\n" + result.summary())
    assert result.micro_f1 >= 0.85, result.summary()
    assert result.sentiment_accuracy >= 0.80, result.summary()


def test_holdout_comments_after_their_fixes():
    """h001-h171 of our held-out comments: each batch was run blind, then its misses led to general fixes
    (README_OWN.md gives the blind figures); the last batch, h172-h201, is left out: it stays blind."""
    result = _measure("comments_holdout.csv", until="h172")
    print("\n" + result.summary())
    assert result.micro_f1 >= 0.85, result.summary()
    assert result.sentiment_accuracy >= 0.80, result.summary()


def test_agreement_counts_a_missing_prediction_as_nothing():
    gold = {"a": (["price"], "neg"), "b": (["booking", "parts"], "pos")}
    result = agreement(gold, {"a": (["price"], "neg")}, ["price", "booking", "parts", "other"])
    assert result.micro_precision == 1.0
    assert result.micro_recall == pytest.approx(1 / 3)
    assert result.micro_f1 == pytest.approx(0.5)
    assert result.sentiment_accuracy == 0.5


# -- normalisation and segmentation ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("價錢ＯＫ的", "价钱ok的"),  # traditional and full-width
        ("木有问题", "没有问题"),  # slang respelled
        ("Not   BAD\tat all", "not bad at all"),
        ("後視鏡要等一個月", "后视镜要等一个月"),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_traditional_comment_is_coded_like_simplified():
    coder = coder_for(None)
    assert coder.code("價格很公道，師傅也很耐心") == coder.code("价格很公道，师傅也很耐心")


def test_user_dictionary_keeps_dealer_words_whole():
    words = segment("钣金喷漆做得好，代步车和工时费，服务顾问在4s店交车")
    for word in ("钣金", "喷漆", "代步车", "工时费", "服务顾问", "4s店", "交车"):
        assert word in words


def test_english_words_keep_negated_contractions():
    assert english_words("Wasn't great, DIDN'T call") == ["wasn't", "great", "didn't", "call"]


# -- boundary rules of the reference README ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "themes"),
    [
        ("有代步车可以用，很方便", ("facilities",)),  # a courtesy car is facilities
        ("The loan car was tiny", ("facilities",)),
        ("配件费贵得离谱", ("price",)),  # 配件费 is price, not parts
        ("后视镜要等一个月，说是缺货", ("parts",)),  # waiting for a part is parts only
        ("配件有货，上午送来下午就修好了", ("waiting_time", "parts")),  # ... unless the job's time is rated
        ("新车交车的时候很顺利", ("sales_process",)),  # handing over a bought car
        ("保养完交车的时候车没洗", ("vehicle_condition",)),  # collecting after a service is not
        ("服务挺好的", ("other",)),  # a verdict that names no aspect
        ("服务周到", ("staff_attitude",)),  # attentiveness names an aspect
        ("车漆补得跟原厂的一样", ("repair_quality",)),  # 跟原厂的一样 is a comparison, not parts
    ],
)
def test_boundary_rules(text, themes):
    assert RULES.code(text).themes == themes


def test_one_character_words_need_a_word_boundary():
    coder = RULES
    assert coder.code("价格跟上次差不多").sentiment == "neu"  # 差 inside 差不多
    assert coder.code("让我自己慢慢看").themes == ("other",)  # 慢 inside 慢慢
    assert coder.code("一个字：慢").themes == ("waiting_time",)


# -- negation, degree, contrast, sarcasm --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("态度不好", "neg"),
        ("价格不贵", "pos"),
        ("The staff were not unfriendly", "pos"),  # a negated negative is a weak positive
        ("The staff were not friendly", "neg"),
        ("Staff were not very friendly, it was fine", "neu"),  # hedged, with a lukewarm verdict
        ("没有冷脸，也没有很热情，正常", "neu"),
        ("虽然不便宜，但这个钱花得值", "pos"),  # a concession on the same point takes the verdict
        ("贵是贵了点，但修得放心", "mixed"),  # different points: both count
        ("price was fine but the car came back dirty", "mixed"),
        ("Not cheap, but worth the money", "pos"),
        ("这服务态度，真是宾至如归啊，进门半天没人理", "neg"),  # sarcasm
        ("真是太好了", "pos"),  # the same marker without a complaint is no sarcasm
        ("希望能延长营业时间", "neu"),  # a wish is no judgement
        ("说好的免费检测", "neu"),  # a promise reported is no judgement
    ],
)
def test_sentiment(text, sentiment):
    assert RULES.code(text).sentiment == sentiment


def test_sentiment_per_theme():
    coded = coder_for(None).code("价格倒是不贵，就是等的时间太长了")
    assert coded.themes == ("waiting_time", "price")
    assert coded.sentiment == "mixed"
    assert dict(coded.theme_sentiment) == {"waiting_time": "neg", "price": "pos"}


def test_skip_negated_rule():
    coder = RULES
    assert "follow_up" in coder.code("I want to complain about the manager").themes
    assert coder.code("No complaints at all").themes == ("other",)


def test_empty_comment_is_other_and_neutral():
    coded = coder_for(None).code("  ，。 ")
    assert (coded.themes, coded.sentiment) == (("other",), "neu")


# -- the learned complement ------------------------------------------------------------------


def _blind_batch_split():
    rows = training_rows()
    return [r for r in rows if not "h172" <= r["id"] <= "h201"], [r for r in rows if "h172" <= r["id"] <= "h201"]


def test_learned_complement_improves_on_a_batch_left_out():
    """Fitted without h172-h201 (the batch the rules were never fixed on), rules + model beat the rules there."""
    train, test = _blind_batch_split()
    frame = default_codeframe()
    model = fit(train, tuple(t for t in frame.theme_ids() if t != "other"))
    gold = {r["id"]: (r["themes"].split(";"), r["sentiment"]) for r in test}
    results = []
    for coder in (RULES, Coder(frame, model)):
        coded = {r["id"]: coder.code(r["text"]) for r in test}
        results.append(agreement(gold, {k: (c.themes, c.sentiment) for k, c in coded.items()}, frame.theme_ids()))
    rules, combined = results
    print(
        f"\nh172-h201 rules {rules.micro_f1:.3f} {rules.sentiment_accuracy:.3f}, with the model "
        f"{combined.micro_f1:.3f} {combined.sentiment_accuracy:.3f}"
    )
    assert combined.micro_f1 > rules.micro_f1
    assert combined.sentiment_accuracy >= rules.sentiment_accuracy + 0.1


def test_learned_predictions_are_those_of_scikit_learn():
    """The model's own arithmetic (TF-IDF, unit length, logistic) gives sklearn's probabilities."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train, test = _blind_batch_split()
    model = fit(train, ("price",))
    vectoriser = TfidfVectorizer(analyzer=features, sublinear_tf=True, lowercase=False)
    x = vectoriser.fit_transform([normalise(r["text"]) for r in train])
    price = LogisticRegression(C=10.0, solver="liblinear", class_weight="balanced", random_state=0)
    price.fit(x, [("price" in r["themes"].split(";")) for r in train])
    texts = [normalise(r["text"]) for r in test] + ["", "完全没见过的字"]
    expected = price.predict_proba(vectoriser.transform(texts))[:, 1]
    got = [float(model.probabilities(t)[0]) for t in texts]  # themes ("price",): its column is the first
    assert got == pytest.approx(expected.tolist(), abs=1e-9)


def test_code_many_is_code_in_a_batch():
    """The batched path (one sparse product) codes every comment as :meth:`Coder.code` does, empty ones too."""
    coder = coder_for(None)
    texts = [r["text"] for r in training_rows()[::7]] + ["", "  ，。 ", "完全没见过的字"]
    langs = [None] * (len(texts) - 1) + ["zh"]
    assert coder.code_many(texts, langs) == [coder.code(t, lang) for t, lang in zip(texts, langs, strict=True)]
    model = learned_model(tuple(t for t in default_codeframe().theme_ids() if t != "other"))
    norms = [normalise(t) for t in texts]
    one_by_one = np.array([model.probabilities(norm) for norm in norms])
    assert model.probabilities_many(norms) == pytest.approx(one_by_one)
    assert model.predict_many(norms) == [model.predict(norm) for norm in norms]
    assert model.predict_many([]) == []


def test_learned_fit_is_deterministic():
    train, _ = _blind_batch_split()
    one, two = fit(train, ("price", "parts")), fit(train, ("price", "parts"))
    assert one.vocabulary == two.vocabulary
    assert (one.weights == two.weights).all() and (one.intercepts == two.intercepts).all()


def test_plain_report_of_a_failure_is_a_complaint():
    """No judgement word the lexicons know: the rules say neu, the coder (with the model) neg."""
    text = "The invoice had two charges for one wheel alignment"  # not among the training comments
    assert RULES.code(text).sentiment == "neu"
    coded = coder_for(None).code(text)
    assert (coded.themes, coded.sentiment) == (("price",), "neg")
    assert dict(coded.theme_sentiment) == {"price": "neg"}


def test_own_codeframe_is_coded_by_its_rules_only():
    frame = load_codeframe(GOOD)
    assert coder_for(frame).code("做完四轮定位方向盘还是歪的").themes == ("other",)
    assert "repair_quality" in coder_for(None).code("做完四轮定位方向盘还是歪的").themes


# -- the codeframe file ----------------------------------------------------------------------

GOOD = """\
codeframe: mini
languages: [zh, en]
themes:
  price:
    label: {zh: 价格, en: Price}
    zh: [价格|收费]
    en: ["price*"]
  parts:
    label: {zh: 配件, en: Parts}
    zh: [{match: 配件, unless: [price]}]
"""


def test_custom_codeframe_codes_with_unless():
    codeframe = load_codeframe(GOOD)
    assert codeframe.theme_ids() == ("price", "parts", "other")
    coder = coder_for(codeframe)
    assert coder.code("配件缺货").themes == ("parts",)
    assert coder.code("配件收费太高").themes == ("price",)
    assert coder.code("Prices went up").themes == ("price",)


def _problems(text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        load_codeframe(text)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        (
            '    en: ["price*"]\n',
            '    en: ["price*"]\n    exlcude: {zh: [x]}\n',
            "<string>:8:5: themes.price.exlcude: unknown key 'exlcude'; did you mean 'exclude'?",
        ),
        ("    zh: [{match: 配件, unless: [price]}]\n", "", "<string>:8:3: themes.parts: theme 'parts' has no rules"),
        (
            "zh: [价格|收费]",
            "zh: [價格|收费]",
            "<string>:6:10: themes.price.zh[0]: '價格' never matches: comments are normalised first; write '价格'",
        ),
        ('en: ["price*"]', 'en: ["Price"]', "never matches: comments are normalised first; write 'price'"),
        ("zh: [价格|收费]", "zh: [价格||收费]", "never matches: it has an empty alternative"),
        (
            "zh: [价格|收费]",
            "zh: [价格|收费]\n    exclude: {zh: [价]}",
            "'价格' never matches: every clause it occurs in holds the exclusion '价' (line 7)",
        ),
        (
            "unless: [price]",
            "unless: [prices]",
            "'prices' is not another theme of this codeframe; did you mean 'price'?",
        ),
        ("languages: [zh, en]", "languages: [zh, fr]", "language 'fr' has no segmenter here"),
        ("label: {zh: 价格, en: Price}", "label: {zh: 价格}", "themes.price.label: missing the 'en' label"),
    ],
)
def test_codeframe_errors_at_their_position(replace, by, message):
    assert replace in GOOD
    problems = _problems(GOOD.replace(replace, by))
    assert any(message in p for p in problems), problems
    assert all(p.startswith("<string>:") for p in problems)


def test_other_takes_no_rules():
    problems = _problems(GOOD + "  other:\n    label: {zh: 其他, en: Other}\n    zh: [别的]\n")
    assert any("'other' is given to comments no rule codes" in p for p in problems)


def test_codeframe_file_problem_names_the_file(tmp_path):
    path = tmp_path / "frame.yaml"
    path.write_text(GOOD.replace("codeframe: mini", "codeframe: mini\nthemez: {}"), encoding="utf-8")
    problems = _problems(str(path))
    assert problems[0].startswith(f"{path}:2:1: themez: unknown key 'themez'; did you mean 'themes'?")


def test_default_codeframe_has_exactly_the_reference_themes():
    expected = "waiting_time price staff_attitude competence repair_quality communication vehicle_condition booking facilities parts sales_process follow_up other"
    assert default_codeframe().theme_ids() == tuple(expected.split())


# -- masking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("车牌京A·12345", "车牌[plate]"),
        ("粤B12345的车", "[plate]的车"),
        ("新能源沪AD12345", "新能源[plate]"),
        ("电话13800138000", "电话[phone]"),
        ("call +86 138 0013 8000 please", "call [phone] please"),
        ("座机010-62345678", "座机[phone]"),
        ("mail me at wang.li@example.com.cn", "mail me at [email]"),
        ("身份证号11010519491231002X", "身份证号[ID]"),
        ("身份证110105194912310021。", "身份证[ID]。"),
        ("京A12345和京A 12345", "[plate]和[plate]"),
        ("粤B·D12345，苏E·A1B23", "[plate]，[plate]"),
        ("教练车京A·1234学", "教练车[plate]"),
        ("粤Z·1234港", "[plate]"),
        ("+8613800138000", "[phone]"),
        ("打 (021) 6234-5678 或 0755 8888 1234", "打 [phone] 或 [phone]"),
        # typed in a Chinese input method's full-width mode
        ("手机１３８００１３８０００", "手机[phone]"),
        ("京Ａ·１２３４５", "[plate]"),
        ("ＡＢＣ＠qq.com", "[email]"),
        ("身份证１１０１０５１９４９１２３１００２Ｘ", "身份证[ID]"),
    ],
)
def test_mask_personal_data(text, masked):
    assert mask_personal_data(text) == masked


def test_masking_leaves_ordinary_numbers():
    text = "等了3个小时，花了1200元，2024年3月5日，4S店，订单号 12345"
    assert mask_personal_data(text) == text


def test_hostile_codeframe_files_are_refused_with_a_message(tmp_path):
    from surveykit.text.codeframe import MAX_BYTES

    big = tmp_path / "big.yaml"
    big.write_text(GOOD + "#" * MAX_BYTES, encoding="utf-8")
    assert any("the limit is" in p for p in _problems(str(big)))
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefg", "bcdefgh", strict=True)
    )
    assert any("alias bomb" in p for p in _problems(bomb))
    assert any(
        "tag" in p for p in _problems(GOOD.replace("codeframe: mini", "codeframe: !!python/object:os.system mini"))
    )
