"""Verbatim coding: matching rules, tags, overrides, counts by hand, codebook files and the demo codebook."""

import csv
import io
import re
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.analysis.coding import apply_overrides, browse, score_group, tag, theme_by_score, theme_counts
from workbench.core import metrics
from workbench.core.codebook import SENTIMENTS, Codebook, CodebookError, Theme, validate
from workbench.data import demodata
from workbench.repos.text import default_codebook, dump_codebook, load_codebook


def matches(comments: list, *, keywords=(), patterns=()) -> list[bool]:
    """Which comments one theme with these rules tags."""
    codebook = Codebook((Theme("t", "T", tuple(keywords), tuple(patterns)),))
    return tag(pd.Series(comments, dtype=object), codebook)["t"].tolist()


# ------------------------------------------------------------------ matching


def test_case_and_diacritics_do_not_matter_in_comments_or_keywords():
    czech = ["Zásilka přišla POZDĚ.", "zasilka prisla pozde", "Zasilka prisla vcas"]
    assert matches(czech, keywords=["pozdě"]) == [True, True, False]
    assert matches(czech, keywords=["Pozde"]) == [True, True, False]
    polish = ["Kurier się spóźnił.", "kurier sie spoznil", "Kurier był punktualny"]
    assert matches(polish, keywords=["spozni"]) == [True, True, False]
    assert matches(polish, keywords=["SPÓŹNI"]) == [True, True, False]
    assert matches(["Paczka zginęła", "paczka zginela"], keywords=["zginęł"]) == [True, True]  # ł folds to l


def test_a_keyword_matches_at_a_word_start_only():
    comments = ["Late again", "it came later", "chocolate cake", "pre-late", "lat"]
    assert matches(comments, keywords=["late"]) == [True, True, False, True, False]
    assert matches(["Doručení se opozdilo", "nepozdilo se"], keywords=["opozd"]) == [True, False]


def test_a_phrase_needs_its_words_in_order_the_last_as_a_word_start():
    comments = ["Late delivery!", "late, delivered", "later delivery", "delivery late", "late fast delivery"]
    assert matches(comments, keywords=["late deliv"]) == [True, True, False, False, False]
    assert matches(["Kurier nie zadzwonił", "kurier nie zadzwonil", "nie, zadzwonił"], keywords=["nie zadzwoni"]) \
        == [True, True, True]
    assert matches(["e-mail nepřišel", "e mail", "email"], keywords=["e-mail"]) == [True, True, False]


def test_a_phrase_does_not_run_from_one_comment_into_the_next():
    assert matches(["it was late", "delivery fine"], keywords=["late deliv"]) == [False, False]


def test_a_wildcard_stands_for_letters_within_one_word():
    comments = ["Zpoždění", "zpozdeni", "zpod", "zpomalit", "zpo zd"]
    assert matches(comments, keywords=["zpo*d"]) == [True, True, True, False, False]
    comments = ["Vyhodilo mi to chybu", "vyhodilo chybu", "vyhodil chybový kód", "vyhodilo to chybu"]
    assert matches(comments, keywords=["vyhodil* chyb"]) == [False, True, True, False]
    comments = ["loads really slowly", "loads slowly", "loads very very slowly"]
    assert matches(comments, keywords=["loads * slow"]) == [True, False, False]


def test_patterns_search_the_folded_comment():
    comments = ["They left a MESS.", "really messy", "left a message", "Zásilka přišla pozdě"]
    assert matches(comments, patterns=[r"\bmess(y)?\b"]) == [True, True, False, False]
    assert matches(comments, patterns=[r"zasilk\w* .*pozde$"]) == [False, False, False, True]


def test_keywords_and_patterns_of_a_theme_add_up():
    assert matches(["late", "messy", "fine"], keywords=["late"], patterns=["mess"]) == [True, True, False]


def test_tag_keeps_the_index_and_leaves_blank_and_missing_comments_untagged():
    codebook = Codebook((Theme("delay", "Delay", ("late",)), Theme("any", "Anything", patterns=("x*",))))
    comments = pd.Series(["Late!", None, "", "   ", np.nan, "ok"], index=[5, 3, 9, 1, 7, 2], dtype=object)
    tags = tag(comments, codebook)
    assert list(tags.columns) == ["delay", "any"] and tags.index.equals(comments.index)
    assert tags.dtypes.eq(bool).all()
    assert tags["delay"].tolist() == [True, False, False, False, False, False]
    assert tags["any"].tolist() == [True, False, False, False, False, True]  # x* matches any text, but not a blank
    arrow = tag(comments.astype("string[pyarrow]"), codebook)
    assert arrow.equals(tags)


def test_tag_on_no_comments_and_on_an_empty_codebook():
    assert tag(pd.Series([], dtype=object), default_codebook()).shape == (0, len(default_codebook().themes))
    assert tag(pd.Series(["late"]), Codebook(())).shape == (1, 0)


def test_tag_refuses_a_codebook_with_problems():
    with pytest.raises(CodebookError, match="invalid regex"):
        tag(pd.Series(["late"]), Codebook((Theme("delay", "Delay", patterns=("late(",)),)))


# ------------------------------------------------------------------ validation


def test_validate_names_the_theme_of_every_problem():
    codebook = Codebook((
        Theme("delay", "Delay", ("late",), ("opozd(",)),
        Theme("", "No key", ("x",)),
        Theme("Price", "Price", ("price",)),
        Theme("delay", "Again", ("again",)),
        Theme("empty", " "),
        Theme("odd", "Odd", ("***", " "), ("", "Zpožd"), sentiment="angry"),
        Theme("groups", "Groups", patterns=("(?P<w>a)", "(?P<w>b)")),
    ))
    assert validate(codebook) == [
        "Theme 'delay': invalid regex 'opozd(': missing ), unterminated subpattern.",
        "Theme 2: the key is empty.",
        "Theme 'Price': the key 'Price' must be lowercase letters, digits and dashes.",
        "Theme 'delay': the key 'delay' is used by another theme.",
        "Theme 'empty': the name is empty.",
        "Theme 'empty': the theme has no keywords and no patterns.",
        "Theme 'odd': the sentiment 'angry' must be negative, positive or empty.",
        "Theme 'odd': the keyword '***' has no letters or digits.",
        "Theme 'odd': a keyword is empty.",
        "Theme 'odd': a pattern is empty (it would match every comment).",
        ("Theme 'odd': the pattern 'Zpožd' has capitals or diacritics, but patterns see comments in lower case "
         "without them."),
        ("Theme 'groups': the patterns cannot be combined into one: redefinition of group name 'w' as group 2; "
         "was group 1."),
    ]
    # Capitals in escapes and group names are fine (RE2 has no \N{…} or backreferences: see the RE2 test).
    valid = Theme("ok", "OK", ("late",), (r"\bx\W\w+(?P<Name>x)\d",))
    assert validate(Codebook((valid,))) == []


# ------------------------------------------------------------------ overrides


def test_overrides_set_and_clear_themes_by_response_id():
    tags = pd.DataFrame({"delay": [True, False, True], "price": [False, False, False]}, index=[7, 8, 9])
    ids = pd.Series(["r1", "r2", "r3"], index=[7, 8, 9])
    overrides = {"r2": {"price": True, "nope": True}, "r3": {"delay": False}, "zz": {"delay": True}}
    result = apply_overrides(tags, ids, overrides)
    assert result.to_dict("list") == {"delay": [True, False, False], "price": [False, True, False]}
    assert tags.to_dict("list") == {"delay": [True, False, True], "price": [False, False, False]}  # a copy
    assert result.index.equals(tags.index) and result.dtypes.eq(bool).all()


# ------------------------------------------------------------------ counting


CODEBOOK = Codebook((Theme("delay", "Delay", ("late",)), Theme("attitude", "Attitude", ("rude",)),
                     Theme("price", "Price", ("price",))))


@pytest.fixture
def answers() -> pd.DataFrame:
    return pd.DataFrame({
        "response_id": [f"r{i}" for i in range(1, 10)],
        "ts": pd.date_range("2024-01-01", periods=9, freq="D"),
        "touchpoint": ["a"] * 4 + ["b"] * 5,
        "region": ["cz", "cz", "pl", "pl", "cz", "pl", "pl", "pl", "cz"],
        "nps": [0, 6, 7, 9, 10, 3, None, 8, 2],
        "csat": [1, 2, 3, 4, 5, 2, 4, 3, 1],
        "comment": ["late again", "rude courier", "", None, "late and rude", "price ok", "late", "Great", "Late!!"],
    }, index=range(100, 109))


def test_theme_counts_match_hand_counts(answers):
    counts = theme_counts(answers, tag(answers["comment"], CODEBOOK), min_n=3)
    assert list(counts.columns) == ["touchpoint", "theme", "comments", "mentions", "share", "low", "high", "low_n"]
    assert counts[["touchpoint", "theme", "comments", "mentions", "low_n"]].values.tolist() == [
        ["a", "delay", 2, 1, True], ["a", "attitude", 2, 1, True], ["a", "price", 2, 0, True],
        ["b", "delay", 5, 3, False], ["b", "attitude", 5, 1, False], ["b", "price", 5, 1, False],
    ]
    delay_b = counts.iloc[3]
    # Wilson 95 % for 3 of 5, by hand: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n) with z = 1.959964.
    assert delay_b["share"] == pytest.approx(0.6)
    assert (delay_b["low"], delay_b["high"]) == (pytest.approx(0.230722, abs=1e-5), pytest.approx(0.882380, abs=1e-5))
    one_of_two = metrics.share(1, 2)  # metrics gives %, the counts give shares
    assert counts.iloc[0][["share", "low", "high"]].tolist() == \
        pytest.approx([one_of_two.value / 100, one_of_two.low / 100, one_of_two.high / 100])
    none_of_two = metrics.share(0, 2)
    assert counts.iloc[2][["share", "low", "high"]].tolist() == pytest.approx([0.0, 0.0, none_of_two.high / 100])
    assert theme_counts(answers, tag(answers["comment"], CODEBOOK))["low_n"].all()  # default min_n is 30


def test_theme_counts_by_several_columns_and_in_total(answers):
    tags = tag(answers["comment"], CODEBOOK)
    by_two = theme_counts(answers, tags, by=("touchpoint", "region"))
    delay = by_two[by_two["theme"] == "delay"]
    assert delay[["touchpoint", "region", "comments", "mentions"]].values.tolist() == [
        ["a", "cz", 2, 1], ["b", "cz", 2, 2], ["b", "pl", 3, 1]]
    total = theme_counts(answers, tags, by=())
    assert total[["theme", "comments", "mentions"]].values.tolist() == [
        ["delay", 7, 4], ["attitude", 7, 2], ["price", 7, 1]]


def test_a_manual_tag_on_a_blank_comment_is_not_counted(answers):
    tags = apply_overrides(tag(answers["comment"], CODEBOOK), answers["response_id"], {"r3": {"price": True}})
    counts = theme_counts(answers, tags)
    assert counts.loc[(counts["touchpoint"] == "a") & (counts["theme"] == "price"), "mentions"].item() == 0


def test_counts_refuse_tags_of_other_answers(answers):
    with pytest.raises(ValueError, match="do not belong"):
        theme_counts(answers, tag(answers["comment"].reset_index(drop=True), CODEBOOK))


@pytest.mark.parametrize(("metric", "scores", "groups"), [
    ("nps", [0, 6, 7, 8, 9, 10, None], ["negative"] * 2 + ["neutral"] * 2 + ["positive"] * 2 + [None]),
    ("csat", [1, 2, 3, 4, 5, None], ["negative"] * 2 + ["neutral"] + ["positive"] * 2 + [None]),
    ("ces", [1, 3, 4, 5, 6, 7, None], ["negative"] * 2 + ["neutral"] * 2 + ["positive"] * 2 + [None]),
])
def test_score_groups(metric, scores, groups):
    assert score_group(pd.Series(scores, dtype="Float64"), metric).tolist() == groups


def test_theme_by_score_matches_hand_counts(answers):
    result = theme_by_score(answers, tag(answers["comment"], CODEBOOK))
    # Answers with a comment and an NPS: r1 0 delay, r2 6 attitude, r5 10 delay+attitude, r6 3 price, r8 8, r9 2 delay.
    assert result["theme"].tolist() == ["delay", "price", "attitude"]  # by negative mentions, then their share
    rows = result.set_index("theme")
    assert rows.loc["delay"].to_dict() == pytest.approx({
        "mentions": 3, "mean_mentioning": 4.0, "mean_other": 17 / 3, "negative": 2, "neutral": 0, "positive": 1,
        "negative_share": 2 / 3, "neutral_share": 0.0, "positive_share": 1 / 3})
    assert rows.loc["attitude", ["mentions", "mean_mentioning", "mean_other", "negative_share"]].tolist() == \
        pytest.approx([2, 8.0, 13 / 4, 0.5])
    assert rows.loc["price", ["mentions", "mean_mentioning", "mean_other", "negative_share"]].tolist() == \
        pytest.approx([1, 3.0, 26 / 5, 1.0])


def test_theme_by_score_on_csat(answers):
    rows = theme_by_score(answers, tag(answers["comment"], CODEBOOK), metric="csat").set_index("theme")
    # CSAT 1–2 negative, 3 neutral, 4–5 positive; r7 (no NPS) counts here: late, CSAT 4.
    assert rows.loc["delay", ["mentions", "negative", "neutral", "positive"]].tolist() == [4, 2, 0, 2]


def test_browse_filters_and_orders_newest_first(answers):
    tags = tag(answers["comment"], CODEBOOK)

    def ids(**kwargs) -> list[str]:
        return browse(answers, tags, **kwargs)["response_id"].tolist()

    everything = browse(answers, tags)
    assert list(everything.columns) == ["response_id", "ts", "touchpoint", "score", "comment", "themes"]
    assert everything["response_id"].tolist() == ["r9", "r8", "r7", "r6", "r5", "r2", "r1"]
    assert everything["score"].tolist()[:2] == [2, 8]
    assert everything["themes"].tolist() == ["delay", "", "delay", "price", "delay,attitude", "attitude", "delay"]
    assert everything["ts"].iloc[0] == pd.Timestamp("2024-01-09")
    assert ids(touchpoints=["a"]) == ["r2", "r1"]
    assert ids(themes=["attitude", "unknown"]) == ["r5", "r2"]
    assert ids(score_groups=["negative"]) == ["r9", "r6", "r2", "r1"]
    assert ids(score_groups=["positive"], metric="csat") == ["r7", "r5"]
    assert browse(answers, tags, metric="csat")["score"].tolist()[:2] == [1, 3]
    assert ids(filters={"region": ["pl"]}) == ["r8", "r7", "r6"]
    assert ids(touchpoints=["b"], themes=["delay"], filters={"region": ["cz"]}) == ["r9", "r5"]
    assert ids(limit=2) == ["r9", "r8"]
    assert ids(touchpoints=[]) == [] and ids(themes=[]) == []


# ------------------------------------------------------------------ files

keys = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=8)
awkward = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).filter(str.strip)
keywords = st.text(alphabet="abcxyzčřžšáíéłąęóśźńü ;,'\"|\\*-_01", min_size=1, max_size=20) \
    .filter(lambda k: any(c.isalnum() for c in k))
patterns = st.one_of(
    st.text(alphabet=string.ascii_lowercase + " ;.|()[]\\'\"", min_size=1, max_size=15).map(re.escape),
    st.sampled_from([r"late|delay", r"(zmenit|change)\W+(\w+\W+){0,2}adres", r"\bmess(y)?\b", "x\\\\", r"a\|b",
                     r"[;|]+", r"\d{2}"]),
)


@st.composite
def codebooks(draw) -> Codebook:
    themes = []
    for key in draw(st.lists(keys, max_size=6, unique=True)):
        rules = draw(st.lists(keywords, max_size=5)), draw(st.lists(patterns, max_size=3))
        if not any(rules):
            rules = ([draw(keywords)], [])
        themes.append(Theme(key, draw(awkward), tuple(rules[0]), tuple(rules[1]), draw(st.sampled_from(SENTIMENTS))))
    return Codebook(tuple(themes))


@settings(max_examples=150)
@given(codebooks())
def test_yaml_and_csv_round_trips_are_lossless(codebook):
    assert validate(codebook) == []
    assert load_codebook(dump_codebook(codebook, "yaml"), "yaml") == codebook
    assert load_codebook(dump_codebook(codebook, "csv"), "csv") == codebook


def test_the_csv_is_semicolon_separated_with_bars_between_items():
    codebook = Codebook((Theme("delay", "Late; very", ("late", "pozdě"), (r"a|b",), "negative"),))
    assert dump_codebook(codebook, "csv") == (
        "key;name;sentiment;keywords;patterns\r\n"
        'delay;"Late; very";negative;late|pozdě;a\\|b\r\n')


def test_csv_with_semicolons_a_bom_and_spreadsheet_habits_loads():
    text = ("\ufeffKey;Name;Keywords;Patterns\r\n"
            "delay;Zpoždění;opozd|spóźni|late;\r\n"
            "\r\n"
            'price;"Price; cost";cena|drah;"\\bcen[auy]\\b"\r\n')
    assert load_codebook(text, "csv") == Codebook((
        Theme("delay", "Zpoždění", ("opozd", "spóźni", "late")),
        Theme("price", "Price; cost", ("cena", "drah"), (r"\bcen[auy]\b",)),
    ))


def test_csv_with_commas_loads_like_semicolons():
    codebook = Codebook((Theme("a", "A, b", ("x", "y z"), ("q",), "positive"), Theme("b", "B", ("w",))))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["key", "name", "sentiment", "keywords", "patterns"])
    writer.writerows([["a", "A, b", "positive", "x|y z", "q"], ["b", "B", "", "w", ""]])
    assert load_codebook("\ufeff" + out.getvalue(), "csv") == codebook


@pytest.mark.parametrize(("text", "message"), [
    ("key;name;keywords;patterns\nok;OK;late;\nx;X;;\ndelay;Delay;late;opozd(\n",
     ("row 3, column 'keywords': the theme has no keywords and no patterns.\n"
      "row 4, column 'patterns': invalid regex 'opozd(': missing ), unterminated subpattern.")),
    ("key;name;keywords\nok;OK;late\nok;Again;x\n", "row 3, column 'key': the key 'ok' is used by another theme."),
    ("key;name;colour\n", "row 1: the column 'colour' is unknown or repeated"),
    ("key;keywords\n", "row 1: the column 'name' is missing"),
    ("key;name\na;A;extra\n", "row 2: 3 cells, but the header names 2 columns."),
    ("key;name;keywords\nd;D;late||delay\n", "row 2, column 'keywords': a keyword is empty."),
    ("\ufeff  \n", "The file is empty."),
])
def test_csv_errors_name_the_row_and_column(text, message):
    with pytest.raises(CodebookError) as error:
        load_codebook(text, "csv")
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(("text", "message"), [
    ("themes:\n- key: delay\n  name: Delay\n  keywords: [late]\n  patterns:\n  - opozd(\n",
     "line 6, field 'patterns': invalid regex 'opozd(': missing ), unterminated subpattern."),
    ("themes:\n- key: a\n  name: A\n  keywords: [x]\n- key: a\n  name: B\n  keywords: [y]\n",
     "line 5, field 'key': the key 'a' is used by another theme."),
    ("themes:\n- key: a\n  name: A\n  keywords: [x]\n  colour: red\n", "line 5: unknown theme field 'colour'"),
    ("themes:\n- key: a\n  keywords: [x]\n", "line 2: the field 'name' is missing."),
    ("themes:\n- key: a\n  name: A\n  keywords: late\n", "line 4: 'keywords' must be a list like [late, delay]."),
    ("themes:\n- key: a\n  name: [A]\n  keywords: [x]\n", "line 3: 'name' must be text."),
    ("themes:\n- key: a\n  name: A\n  key: b\n", "line 4: the key 'key' appears twice."),
    ("themes: {}\n", "line 1: 'themes' must be a list of themes."),
    ("name: x\n", "line 1: unknown codebook field 'name'"),
    ("themes: [\n", "line 2, column 1: invalid YAML"),
    ("# nothing\n", "The file is empty."),
])
def test_yaml_errors_name_the_line(text, message):
    with pytest.raises(CodebookError) as error:
        load_codebook(text, "yaml")
    assert str(error.value).startswith(message)


def test_yaml_reads_every_value_as_text():
    codebook = load_codebook("themes:\n- {key: '2024', name: 2024, sentiment: , keywords: [no, on, 1.5]}\n", "yaml")
    assert codebook == Codebook((Theme("2024", "2024", ("no", "on", "1.5")),))
    assert load_codebook(dump_codebook(codebook, "yaml"), "yaml") == codebook


def test_an_unknown_format_is_refused():
    with pytest.raises(CodebookError, match="Unknown codebook format 'xlsx'"):
        load_codebook("key;name\n", "xlsx")
    with pytest.raises(CodebookError, match="Unknown codebook format"):
        dump_codebook(Codebook(()), "json")


# ------------------------------------------------------------------ the demo codebook


@pytest.fixture(scope="module")
def demo_tags() -> tuple[dict, pd.DataFrame, Codebook]:
    truth = demodata.comment_truth()
    codebook = default_codebook()
    return truth, tag(pd.Series(list(truth), index=list(truth)), codebook), codebook


def test_the_demo_codebook_is_valid_and_round_trips():
    codebook = default_codebook()
    assert validate(codebook) == [] and 10 <= len(codebook.themes) <= 14
    for fmt in ("yaml", "csv"):
        assert load_codebook(dump_codebook(codebook, fmt), fmt) == codebook


@pytest.mark.parametrize("language", demodata.LANGUAGES)
def test_the_demo_codebook_codes_nine_in_ten_complaints_in_every_language(demo_tags, language):
    truth, tags, _ = demo_tags
    complaints = [text for text, (_, sentiment, lang) in truth.items() if sentiment == "neg" and lang == language]
    assert len(complaints) >= 40
    assert tags.loc[complaints].any(axis=1).mean() >= 0.9


def test_the_demo_codebook_spot_checks(demo_tags):
    truth, tags, codebook = demo_tags
    cases = {"delay": [("delivery", 0), ("delivery", 3), ("field", 0)], "attitude": [("delivery", 1), ("support", 1)]}
    for expected, phrases in cases.items():
        texts = [text for theme, i in phrases for language in demodata.LANGUAGES
                 for phrase in [demodata.PHRASES[theme]["neg"][language][i]]
                 for text in (phrase, demodata.typed_without_diacritics(phrase))]
        assert len(texts) == 6 * len(phrases)
        assert tag(pd.Series(texts), codebook)[expected].all(), expected
    complaints = [t.key for t in codebook.themes if t.sentiment == "negative"]
    praise = [t.key for t in codebook.themes if t.sentiment == "positive"]
    positive = [text for text, (_, sentiment, _) in truth.items() if sentiment == "pos"]
    negative = [text for text, (_, sentiment, _) in truth.items() if sentiment == "neg"]
    assert not tags.loc[positive, complaints].any(axis=None)
    assert not tags.loc[negative, praise].any(axis=None)
    assert tags.loc[positive, praise].any(axis=1).mean() > 0.5


def test_patterns_run_in_linear_time_and_lookarounds_are_refused():
    # Python's backtracking engine needs about 2^40 steps for this; RE2 answers at once.
    codebook = Codebook((Theme("nested", "Nested", patterns=("(a+)+b",)),))
    tags = tag(pd.Series(["a" * 40 + "!", "aab"]), codebook)
    assert tags["nested"].tolist() == [False, True]
    problems = validate(Codebook((Theme("look", "Look", patterns=("late(?! delivery)",)),)))
    assert problems and "lookaround" in problems[0]
