"""Red-alert rules on tiny hand-made answer tables whose numbers are worked out by hand, and on the demo data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import t

from workbench.analysis.alertrules import allocations, evaluate
from workbench.core.alerting import (
    KINDS,
    NEGATIVE_AT,
    Alert,
    Rule,
    alpha_for,
    continues,
    default_rules,
    describe,
    false_alarms,
    merge,
    threshold_of,
    validate,
)
from workbench.core import metrics
from workbench.data import demodata
from workbench.data.templates import load_template

MON = dt.date(2024, 3, 4)  # a Monday: week 0 runs Mar 4–10, week 1 Mar 11–17, week 2 Mar 18–24 …
Z95 = NormalDist().inv_cdf(0.975)


def day(week: int, weekday: int = 2) -> dt.date:
    """The date ``weekday`` days (0 = Monday) into week ``week`` from MON."""
    return MON + dt.timedelta(weeks=week, days=weekday)


def sunday(week: int) -> dt.date:
    return day(week, 6)


def answers(*rows: dict) -> pd.DataFrame:
    """Answers in the survey contract: each row's fields over defaults (touchpoint "chat", week 0's Wednesday noon)."""
    defaults = {"respondent_id": "c", "touchpoint": "chat", "nps": math.nan, "csat": math.nan, "ces": math.nan,
                "comment": None, "region": None}
    frame = pd.DataFrame([{"response_id": f"r{i}", "ts": dt.datetime.combine(day(0), dt.time(12)), **defaults,
                           **row} for i, row in enumerate(rows)])
    frame["ts"] = pd.to_datetime(frame["ts"])
    return frame


def scores(metric: str, values: list[int], week: int = 0, **fields) -> list[dict]:
    """Rows answering ``metric`` with ``values`` on the Wednesday of ``week``."""
    ts = dt.datetime.combine(day(week), dt.time(12))
    return [{"ts": ts, metric: value, **fields} for value in values]


def share_rule(**fields) -> Rule:
    return Rule(**{"key": "share", "name": "Negative share", "kind": "share", "metric": "csat", **fields})


def drop_rule(**fields) -> Rule:
    return Rule(**{"key": "drop", "name": "Drop", "kind": "drop", "metric": "csat", "window_weeks": 1, **fields})


# ------------------------------------------------------------------ answer kind


def test_a_negative_answer_with_a_comment_is_one_alert_with_its_words():
    data = answers(
        {"nps": 3, "comment": " Nobody called back. ", "region": "Praha", "ts": dt.datetime(2024, 3, 5, 10)},
        {"nps": 7, "comment": "Fine", "region": "Praha"},      # a passive is not negative
        {"nps": 6, "region": "Brno"},                          # no comment
        {"nps": 2, "comment": "   ", "region": "Brno"},        # a blank comment is none
        {"csat": 1, "comment": "Bad", "region": "Brno"})       # no NPS answer
    rule = Rule("detractor", "Detractor with a comment", "answer", "nps", segment="region")
    found = evaluate(data, [rule], day(0, 0), sunday(0), names={"chat": "Support chat"})
    date = dt.date(2024, 3, 5)
    assert found == [Alert(
        key="detractor|r0", rule_key="detractor", kind="answer", metric="nps", touchpoint="chat", segment="region",
        value="Praha", first_seen=date, last_seen=date, window_start=date, window_end=date, n=1, score=3.0,
        previous=None, change=None, p=None, low=None, high=None, response_id="r0", comment="Nobody called back.",
        message="Support chat in Praha: NPS 3 on 2024-03-05, response r0: “Nobody called back.”")]
    # Without the comment requirement every detractor counts, by date and then response.
    anyway = evaluate(data, [dataclasses.replace(rule, need_comment=False)], day(0, 0), sunday(0))
    assert [(a.response_id, a.score, a.comment) for a in anyway] == [("r0", 3, "Nobody called back."),
                                                                     ("r2", 6, ""), ("r3", 2, "")]
    assert anyway[1].message == "chat in Brno: NPS 6 on 2024-03-06, response r2."


def test_the_negative_score_defaults_per_metric_and_can_be_set():
    data = answers(*scores("csat", [1, 2, 3]), *scores("ces", [3, 4]), *scores("nps", [6, 7]))

    def found(metric: str, threshold: float | None = None) -> list[float]:
        rule = Rule("a", "A", "answer", metric, threshold=threshold, need_comment=False)
        return [a.score for a in evaluate(data, [rule], day(0, 0), sunday(0))]

    assert NEGATIVE_AT == {"nps": 6, "csat": 2, "ces": 3, "stars": 2}
    assert (found("csat"), found("ces"), found("nps")) == ([1, 2], [3], [6])
    assert found("csat", 1) == [1] and found("nps", 7) == [6, 7]


def test_answers_count_from_the_first_moment_of_since_to_the_last_of_until():
    since, until = dt.date(2024, 3, 6), dt.date(2024, 3, 8)
    data = answers(*({"nps": 0, "comment": "x", "ts": ts} for ts in (
        dt.datetime(2024, 3, 5, 23, 59, 59), dt.datetime(2024, 3, 6), dt.datetime(2024, 3, 8, 23, 59, 59),
        dt.datetime(2024, 3, 9))))
    found = evaluate(data, [Rule("a", "A", "answer")], since, until)
    assert [a.response_id for a in found] == ["r1", "r2"]


# ------------------------------------------------------------------ share kind


def test_a_share_over_the_limit_is_one_episode_with_its_worst_window():
    data = answers(*scores("csat", [1, 4, 5, 5], week=0), *scores("csat", [1, 2, 2, 4, 5, 5], week=1))
    rule = share_rule(window_weeks=2, min_n=5)
    found = evaluate(data, [rule], MON, sunday(3))
    # To Mar 10: n = 4 < 5, silent. To Mar 17: 4 of 10 = 40 %. To Mar 24: 3 of 6 = 50 %, the worst. To Mar 31: none.
    p, n = 0.5, 6
    centre = (p + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    half = Z95 / (1 + Z95 ** 2 / n) * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n))  # Wilson
    assert len(found) == 1
    alert = found[0]
    assert (alert.key, alert.first_seen, alert.last_seen) == ("share|chat||2024-03-17", sunday(1), sunday(2))
    assert (alert.window_start, alert.window_end, alert.n, alert.score) == (day(1, 0), sunday(2), 6, 0.5)
    assert alert.low == pytest.approx(centre - half) and alert.high == pytest.approx(centre + half)
    assert (alert.previous, alert.change, alert.p, alert.response_id, alert.comment) == (None, None, None, "", "")
    assert alert.message == ("chat: 50 % of CSAT answers were 2 or lower (95 % CI 18.8 % to 81.2 %, n = 6), above "
                             "the 25 % limit, in the 2 weeks to 2024-03-24.")
    # A higher limit starts the episode later; a share must be above the limit, not at it.
    later = evaluate(data, [share_rule(window_weeks=2, min_n=5, threshold=0.45)], MON, sunday(3))
    assert [(a.key, a.first_seen, a.last_seen) for a in later] == [("share|chat||2024-03-24", sunday(2), sunday(2))]
    assert evaluate(data, [share_rule(window_weeks=2, min_n=5, threshold=0.5)], MON, sunday(3)) == []
    assert evaluate(data, [share_rule(window_weeks=2, min_n=11)], MON, sunday(3)) == []


def test_an_answer_late_on_sunday_belongs_to_that_week():
    data = answers({"csat": 1, "ts": dt.datetime(2024, 3, 10, 23, 59, 59)},
                   {"csat": 5, "ts": dt.datetime(2024, 3, 11)})
    rule = share_rule(window_weeks=1, min_n=1, threshold=0.0)
    found = evaluate(data, [rule], MON, sunday(2))
    assert [(a.window_start, a.window_end, a.n, a.score) for a in found] == [(MON, sunday(0), 1, 1.0)]
    # Week ends are evaluated from since to until, both inclusive; earlier answers fill the window.
    assert len(evaluate(data, [rule], sunday(0), sunday(0))) == 1
    assert len(evaluate(data, [rule], day(0, 2), sunday(0))) == 1
    assert evaluate(data, [rule], day(1, 0), day(1, 5)) == []  # no Sunday in the range
    assert evaluate(data, [rule], MON, day(0, 5)) == []


def test_consecutive_week_ends_are_one_episode_and_a_gap_splits_them():
    data = answers(*scores("csat", [1, 5], week=0), *scores("csat", [1, 2], week=1), *scores("csat", [5], week=2),
                   *scores("csat", [2, 4, 5], week=3))
    found = evaluate(data, [share_rule(window_weeks=1, min_n=1, threshold=0.0)], MON, sunday(4))
    assert [(a.key, a.first_seen, a.last_seen, a.window_end, a.score) for a in found] == [
        ("share|chat||2024-03-10", sunday(0), sunday(1), sunday(1), 1.0),  # the worse of 1/2 and 2/2
        ("share|chat||2024-03-31", sunday(3), sunday(3), sunday(3), pytest.approx(1 / 3))]


# ------------------------------------------------------------------ drop kind


def test_a_csat_drop_matches_the_hand_computed_one_sided_welch_test():
    data = answers(*scores("csat", [5, 5, 4, 4], week=0), *scores("csat", [4, 3, 3, 2], week=1))
    found = evaluate(data, [drop_rule(min_n=4)], MON, sunday(1))
    # Means 4.5 and 3; variances 1/3 and 2/3, so SE = √(1/12 + 2/12) = 0.5 and t = −1.5/0.5 = −3, on Welch's
    # (1/4)² / ((1/12)²/3 + (1/6)²/3) = 5.4 degrees of freedom (issue 20: the normal tail, 0.00135, made a
    # studentised change of a few answers ten times too significant).
    assert len(found) == 1
    alert = found[0]
    assert (alert.key, alert.first_seen, alert.last_seen) == ("drop|chat||2024-03-17", sunday(1), sunday(1))
    assert (alert.window_start, alert.window_end, alert.n) == (day(1, 0), sunday(1), 4)
    assert (alert.score, alert.previous, alert.change) == (3.0, 4.5, -1.5)
    assert alert.p == pytest.approx(t.cdf(-3, 5.4))  # 0.0137
    margin = t.ppf(0.975, 3) * math.sqrt((2 / 3) / 4)  # the current window's Student-t interval
    assert alert.low == pytest.approx(3 - margin) and alert.high == pytest.approx(3 + margin)
    assert alert.message == ("chat: CSAT fell from 4.50 to 3.00 (−1.50, p = 0.014; n = 4 before, 4 now) in the week "
                             "to 2024-03-17.")
    assert evaluate(data, [drop_rule(min_n=4, alpha=0.01)], MON, sunday(1)) == []  # not significant enough
    assert evaluate(data, [drop_rule(min_n=5)], MON, sunday(1)) == []               # too few answers
    assert evaluate(data, [drop_rule(min_n=4, threshold=1.6)], MON, sunday(1)) == []  # too small
    assert len(evaluate(data, [drop_rule(min_n=4, threshold=1.5)], MON, sunday(1))) == 1  # exactly the minimum


def test_an_nps_drop_uses_the_nps_standard_error():
    before, after = [10] * 6 + [8] * 2 + [3] * 2, [10] * 2 + [8] * 2 + [3] * 6
    data = answers(*scores("nps", before, week=0), *scores("nps", after, week=1))
    rule = drop_rule(metric="nps", min_n=10, alpha=0.05)
    [alert] = evaluate(data, [rule], MON, sunday(1), names={"chat": "Support chat"})
    # NPS +40 and −40; each SE = 100·√((0.6 + 0.2 − 0.4²)/10) = 25.3, so t = −80/35.8 = −2.24 on Welch's
    # (2·se²)² / (2·se⁴/9) = 18 degrees of freedom.
    se = 100 * math.sqrt((0.6 + 0.2 - 0.4 ** 2) / 10)
    assert (alert.previous, alert.score) == (pytest.approx(40), pytest.approx(-40))
    assert alert.change == pytest.approx(-80)
    assert alert.p == pytest.approx(t.cdf(-80 / math.hypot(se, se), 18))  # 0.0191
    # The current window's interval is the NPS interval of metrics.nps (Tango's score interval since issue 20
    # item 2: the Wald interval −40 ± 1.96 · 25.3 did not cover at small n).
    interval = metrics.nps(metrics.NpsCounts(2, 2, 6))
    assert (alert.low, alert.high) == (pytest.approx(interval.low), pytest.approx(interval.high))
    assert alert.low < -40 < alert.high
    assert alert.message == ("Support chat: NPS fell from +40 to −40 (−80, p = 0.019; n = 10 before, 10 now) in the "
                             "week to 2024-03-17.")
    assert evaluate(data, [dataclasses.replace(rule, alpha=0.01)], MON, sunday(1)) == []
    # A rise never fires, and NPS's own minimum drop is 10 points.
    rise = answers(*scores("nps", after, week=0), *scores("nps", before, week=1))
    assert evaluate(rise, [rule], MON, sunday(1)) == [] and threshold_of(rule) == 10


def test_a_ces_drop_is_a_fall_towards_hard():
    data = answers(*scores("ces", [7, 7, 6, 6], week=0), *scores("ces", [5, 4, 4, 3], week=1))
    [alert] = evaluate(data, [drop_rule(metric="ces", min_n=4)], MON, sunday(1))
    assert (alert.previous, alert.score, alert.change) == (6.5, 4.0, -2.5)


def test_a_drop_needs_enough_answers_in_the_previous_window_too():
    data = answers(*scores("csat", [5, 5, 5], week=0), *scores("csat", [2, 1, 2, 1, 2], week=1))
    assert evaluate(data, [drop_rule(min_n=4)], MON, sunday(1)) == []
    assert len(evaluate(data, [drop_rule(min_n=3)], MON, sunday(1))) == 1


# ------------------------------------------------------------------ the false-alarm budget


def test_each_test_gets_the_budget_divided_by_the_tests_a_year():
    # The starter rule on 20 touchpoints × 8 regions checked every week: 8 320 tests a year share one false alarm.
    assert alpha_for(1, 20 * 8 * 52) == pytest.approx(1 / 8320)  # 0.000120
    assert alpha_for(2, 20 * 8 * 52) == pytest.approx(2 / 8320)
    assert alpha_for(1, 10) == 0.05  # never looser than 5 %
    assert math.isnan(alpha_for(1, 0))  # nothing to test


def test_a_rule_counts_its_tests_with_enough_answers_and_scales_them_to_a_year():
    # Ten weeks of chat and shop with 4 answers a week, and a kiosk with 3: week ends 1–9 each compare two full
    # one-week windows, so chat and shop give 2 × 9 tests in 9 weeks, 104 a year; the kiosk never has n ≥ 4.
    rows = [row for week in range(10) for tp, values in (("chat", [5, 4, 4, 3]), ("shop", [5, 5, 4, 2]),
                                                          ("kiosk", [3, 3, 3]))
            for row in scores("csat", values, week, touchpoint=tp)]
    data = answers(*rows)
    [allocation] = allocations(data, [drop_rule(min_n=4)], sunday(9))
    assert (allocation.series, allocation.tests, allocation.weeks) == (2, 104, 9)
    assert allocation.alpha == pytest.approx(1 / 104) and allocation.expected == pytest.approx(1)
    assert allocation.wobble == {}  # fewer than 26 week ends: no wobble estimated
    [twice] = allocations(data, [drop_rule(min_n=4, budget=2.5)], sunday(9))
    assert twice.alpha == pytest.approx(2.5 / 104)
    # A fixed α spends α × tests.
    [fixed] = allocations(data, [drop_rule(min_n=4, alpha=0.001)], sunday(9))
    assert (fixed.alpha, fixed.expected) == (0.001, pytest.approx(0.104))
    assert allocations(data, [drop_rule(min_n=4, enabled=False), share_rule()], sunday(9)) == []


def test_the_wobble_between_windows_is_estimated_from_the_other_series_of_the_year():
    # CSAT alternates between weeks of 5, 5, 3, 3 (mean 4) and 4, 4, 2, 2 (mean 3), each with variance 4/3: every
    # change is ±1 while sampling alone explains a variance of 2 · (4/3)/4 = 2/3, so the wobble is 1 − 2/3 = 1/3.
    # In Brno the swing is 5, 5, 3, 3 against 3, 3, 1, 1: changes of ±2, so 4 − 2/3 = 10/3.
    def alternating(week: int, low: list[int], **fields) -> list[dict]:
        return scores("csat", [5, 5, 3, 3] if week % 2 == 0 else low, week, **fields)

    rows = [row for week in range(30) for row in [
        *alternating(week, [4, 4, 2, 2], region="Praha"), *alternating(week, [4, 4, 2, 2], region="Praha",
                                                                       touchpoint="shop"),
        *alternating(week, [3, 3, 1, 1], region="Brno")]]
    data = answers(*rows)
    rule = drop_rule(min_n=4, alpha=0.5, threshold=0.5, segment="region")
    [allocation] = allocations(data, [rule], sunday(29))
    assert allocation.weeks == 29
    assert allocation.wobble == {"Praha": pytest.approx(1 / 3), "Brno": pytest.approx(10 / 3)}
    # Each series is tested with the others' wobble, never its own (a lasting real drop would inflate it): that of
    # the other touchpoints of its region, or of all the rule's other series when larger. Chat in Praha: shop's
    # 1/3 or, with Brno's chat, (29 · 1/3 + 29 · 10/3) / 58 = 11/6. Chat in Brno, alone there: Praha's 1/3.
    assert allocation.series_wobble == pytest.approx({("chat", "Praha"): 11 / 6, ("shop", "Praha"): 11 / 6,
                                                      ("chat", "Brno"): 1 / 3})
    found = evaluate(data, [rule], sunday(29), sunday(29))
    # The last week's falls of 1 in Praha are tested against √(2/3 + 11/6) = √2.5 on 2.5² / (2 · (1/3)²/3) =
    # 84.375 degrees of freedom.
    praha = [(a.touchpoint, a.change, a.p) for a in found if a.value == "Praha"]
    p = t.cdf(-1 / math.sqrt(2.5), 84.375)
    assert praha == [("chat", -1.0, pytest.approx(p)), ("shop", -1.0, pytest.approx(p))]
    [alone] = allocations(data, [dataclasses.replace(rule, segment="", touchpoints=("shop",))], sunday(29))
    assert (alone.wobble, alone.series_wobble) == ({"": pytest.approx(1 / 3)}, {("shop", ""): 0.0})


def test_a_rule_says_its_budget_in_words():
    rule = default_rules()[2]
    assert describe(rule) == ("CSAT drop of at least 0.3, at most 1 false alarm a year by chance, 4 weeks vs the 4 "
                              "before, n ≥ 30 · every touchpoint · per region")
    assert describe(dataclasses.replace(rule, alpha=0.001)).startswith("CSAT drop of at least 0.3, p < 0.001,")
    assert (false_alarms(2), false_alarms(0.5), false_alarms(0.04)) == (
        "2 false alarms", "0.5 false alarms", "0.04 false alarms")
    assert validate(dataclasses.replace(rule, budget=0)) == ["The false alarms a year must be above zero."]


# ------------------------------------------------------------------ scope


def test_the_scope_is_touchpoints_and_segment_values_without_the_overall_answer_by_default():
    rows = [{"touchpoint": tp, "region": region, "csat": 1, "nps": 0, "comment": "x"}
            for tp in ("chat", "shop", "_overall") for region in ("Praha", "Brno", None)]
    data = answers(*rows)

    def scope(kind: str = "share", **fields) -> set[tuple[str, str]]:
        rule = Rule("r", "R", kind, "nps" if kind == "answer" else "csat", window_weeks=1, min_n=1, threshold=0.0
                    if kind == "share" else None, **fields)
        return {(a.touchpoint, a.value) for a in evaluate(data, [rule], MON, sunday(0))}

    assert scope(segment="region") == {(tp, r) for tp in ("chat", "shop") for r in ("Praha", "Brno")}
    assert scope() == {("chat", ""), ("shop", "")}  # no segment: all answers of a touchpoint together
    assert scope(touchpoints=("_overall", "chat"), segment="region", values=("Brno",)) == {("_overall", "Brno"),
                                                                                           ("chat", "Brno")}
    assert scope("answer") == {("chat", ""), ("shop", "")}
    assert scope("answer", touchpoints=("_overall",), segment="region") == {("_overall", "Praha"), ("_overall", "Brno")}


# ------------------------------------------------------------------ episodes across evaluations


def test_an_episode_spanning_two_evaluations_merges_into_the_one_alert_of_a_single_evaluation():
    data = answers(*(row for week in range(4) for row in scores("csat", [1] * (week + 1) + [5], week=week)))
    rule = share_rule(window_weeks=1, min_n=1)
    [whole] = evaluate(data, [rule], MON, sunday(3))
    [first], [second] = evaluate(data, [rule], MON, sunday(1)), evaluate(data, [rule], day(2, 0), sunday(3))
    assert continues(first, second) and merge(first, second) == whole
    assert (whole.first_seen, whole.last_seen, whole.score) == (sunday(0), sunday(3), 0.8)
    # Another scope, an answer or a week's gap is no continuation.
    assert not continues(first, dataclasses.replace(second, value="Brno"))
    assert not continues(first, dataclasses.replace(second, first_seen=sunday(3)))
    with pytest.raises(ValueError):
        merge(first, dataclasses.replace(second, first_seen=sunday(3)))
    # A better later window keeps the earlier figures.
    kept = merge(whole, dataclasses.replace(second, score=0.1, first_seen=sunday(4), last_seen=sunday(4)))
    assert (kept.key, kept.score, kept.last_seen) == (whole.key, 0.8, sunday(4))


@settings(max_examples=40)
@given(seed=st.integers(0, 2 ** 32 - 1), split=st.integers(0, 68), overlap=st.booleans())
def test_merging_two_evaluations_equals_one_evaluation_of_the_whole_range(seed, split, overlap):
    rng = np.random.default_rng(seed)
    size, weeks = 400, 10
    minutes = rng.integers(0, weeks * 7 * 24 * 60, size)
    level = rng.uniform(1.5, 4.5, weeks)[minutes // (7 * 24 * 60)]  # a level per week, so rules fire in runs
    data = answers(*({"touchpoint": tp, "region": region, "csat": csat, "nps": nps, "comment": comment}
                     for tp, region, csat, nps, comment in zip(
                         rng.choice(["chat", "shop"], size), rng.choice(["Praha", "Brno"], size),
                         np.clip(np.round(level + rng.normal(0, 0.8, size)), 1, 5),
                         np.clip(np.round(2 * level + rng.normal(0, 2, size)), 0, 10),
                         rng.choice([None, "late"], size), strict=True)))
    data["ts"] = pd.Timestamp(MON) + pd.to_timedelta(minutes, "min")
    rules = [share_rule(window_weeks=2, min_n=3, threshold=0.3, segment="region"),
             drop_rule(min_n=3, alpha=0.2), Rule("a", "A", "answer")]
    since, until = MON, MON + dt.timedelta(days=weeks * 7 - 1)
    cut = since + dt.timedelta(days=split)
    whole = {a.key: a for a in evaluate(data, rules, since, until)}
    stored = {a.key: a for a in evaluate(data, rules, since, cut)}
    # The caller goes on from the last evaluated day (evaluating it again is harmless) or the day after it.
    for new in evaluate(data, rules, cut if overlap else cut + dt.timedelta(days=1), until):
        old = next((a for a in stored.values() if continues(a, new)), None)
        stored[old.key if old else new.key] = merge(old, new) if old else new
    assert stored == whole


# ------------------------------------------------------------------ rules


def test_validate_explains_what_is_wrong():
    assert validate(Rule("ok", "Fine", "drop")) == []
    assert validate(Rule("", " ", "alarm", "rating", values=("Praha",), window_weeks=0, min_n=0, alpha=1)) == [
        "The rule needs a key.", "The rule needs a name.", "Unknown kind 'alarm'; use one of answer, share, drop.",
        "Unknown metric 'rating'; use one of nps, csat, ces, stars.",
        "Segment values need the segment column they belong to.", "The window needs at least one week.",
        "The minimum number of answers must be at least 1.", "The significance level must be between 0 and 1."]
    assert validate(Rule("a|b", "X", "answer", "csat", threshold=5)) == [
        "The rule's key cannot contain '|': alert keys use it as a separator.",
        "A negative CSAT answer must be a score from 1 to 4."]
    assert validate(Rule("s", "S", "share", threshold=1)) == [
        "The share of negative answers must be between 0 and 1 (0.25 = 25 %)."]
    assert validate(Rule("d", "D", "drop", threshold=0)) == ["The smallest drop must be above zero."]


def test_evaluate_refuses_invalid_rules_and_missing_segments_but_skips_disabled_ones():
    data = answers(*scores("csat", [1]))
    with pytest.raises(ValueError, match="Unknown kind"):
        evaluate(data, [Rule("x", "X", "alarm")], MON, sunday(0))
    with pytest.raises(ValueError, match="no segment column 'branch'"):
        evaluate(data, [share_rule(segment="branch")], MON, sunday(0))
    with pytest.raises(ValueError, match="after it ends"):
        evaluate(data, [], sunday(0), MON)
    assert evaluate(data, [Rule("x", "X", "alarm", enabled=False)], MON, sunday(0)) == []


def test_rules_and_alerts_survive_json():
    rule = Rule("s", "Share", "share", "ces", ("chat",), "region", ("Brno",), 0.2, 3, 10, 0.05, False, False)
    assert Rule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
    data = answers(*scores("csat", [5, 5, 4, 4], week=0), *scores("csat", [4, 3, 3, 2], week=1),
                   {"nps": 2, "comment": "Slow"})
    found = evaluate(data, [drop_rule(min_n=4), share_rule(min_n=1, threshold=0.1), Rule("a", "A", "answer")], MON,
                     sunday(1))
    assert {a.kind for a in found} == set(KINDS)
    assert [Alert.from_dict(json.loads(json.dumps(a.to_dict()))) for a in found] == found


def test_default_rules_are_valid_and_watch_the_journey():
    rules = default_rules()
    assert [r.kind for r in rules] == ["answer", "share", "drop"] and len({r.key for r in rules}) == 3
    assert all(validate(r) == [] and r.touchpoints == () for r in rules)
    answer, share, drop = rules
    assert (answer.metric, threshold_of(answer), answer.need_comment) == ("nps", 6, True)
    assert (share.metric, share.segment, threshold_of(share), share.window_weeks) == ("csat", "region", 0.25, 4)
    # Issue 20: a fixed α = 0.001 gave 7.5 false alarms a year on 20 touchpoints × 8 regions; the level now comes
    # from one false alarm a year spread over the rule's tests.
    assert (drop.metric, drop.segment, threshold_of(drop), drop.alpha, drop.budget) == ("csat", "region", 0.3, None, 1)


# ------------------------------------------------------------------ the demo data


@pytest.fixture(scope="module")
def demo():
    """Demo answers with the planted break, the truth behind them and the journey's touchpoint names."""
    journey = load_template("ecommerce-delivery")
    data = demodata.generate(journey)
    return data.survey.to_pandas(), data.effects, {tp.key: tp.name for tp in journey.touchpoints}


def test_the_planted_break_raises_a_drop_alert_within_four_weeks_and_few_others(demo):
    survey, effects, names = demo
    start, end = survey["ts"].min().date(), survey["ts"].max().date()
    drop = default_rules()[2]
    found = evaluate(survey, [drop], start, end, names)
    at_break = [a for a in found if (a.touchpoint, a.value) == (effects.break_touchpoint, effects.break_region)
                and effects.break_from <= a.first_seen <= effects.break_from + dt.timedelta(weeks=8)]
    assert at_break and at_break[0].first_seen <= effects.break_from + dt.timedelta(weeks=4)
    worst = min(at_break, key=lambda a: a.change)
    assert worst.change <= -0.5 and worst.p < 1e-4 and effects.break_region in worst.message
    # About 3 200 tests a year (touchpoint × region × week end with n ≥ 30 in both windows) share a budget of one
    # false alarm a year, and the November–December dip at delivery touchpoints may add a few; measured: none
    # besides the break (at a fixed alpha of 0.001 with the normal tail: 6 episodes in two years; at 0.01: 41).
    others = [a for a in found if a not in at_break]
    assert len(others) <= 10


def test_the_break_raises_a_share_alert_in_the_latest_four_weeks(demo):
    survey, effects, names = demo
    end = survey["ts"].max().date()
    since = end - dt.timedelta(weeks=4) + dt.timedelta(days=1)
    # The break turns 5s into 4s and 3s: dissatisfied (1–2) answers rise from under 1 % to about 8 % at the
    # courier, a level other touchpoints have anyway, so the starter 25 % rule stays silent and a share rule is
    # set per touchpoint: 5 % at the courier is several times its usual level.
    courier = share_rule(touchpoints=(effects.break_touchpoint,), segment="region", threshold=0.05)
    found = evaluate(survey, [courier], since, end, names)
    assert [a.value for a in found] == [effects.break_region]
    assert found[0].last_seen == end - dt.timedelta(days=(end.weekday() + 1) % 7)  # the last Sunday of the data
    starter = default_rules()[1]
    assert not [a for a in evaluate(survey, [starter], since, end) if a.touchpoint == effects.break_touchpoint]


def test_the_starter_detractor_rule_lists_commented_detractors_of_the_last_fortnight(demo):
    survey, _, names = demo
    end = survey["ts"].max().date()
    since = end - dt.timedelta(days=13)
    found = evaluate(survey, default_rules()[:1], since, end, names)
    assert found and all(a.score <= 6 and a.comment and since <= a.first_seen <= end for a in found)
    assert all(a.touchpoint != "_overall" for a in found) and len({a.key for a in found}) == len(found)


@pytest.mark.parametrize(
    ("since_weeks", "window_weeks"),
    [(52, None), (3, None), (1, None), (10, 8), (80, 2)],
    ids=["first check", "recheck", "one week", "long windows", "since before the year"],
)
def test_a_check_reading_only_the_answers_its_rules_need_raises_the_same_alerts(demo, since_weeks, window_weeks):
    """first_day_needed: evaluating on the answers from that day on gives exactly the alerts of all the answers."""
    from workbench.analysis.alertrules import first_day_needed

    survey, _effects, names = demo
    until = survey["ts"].max().date()
    since = until - dt.timedelta(weeks=since_weeks)
    rules = default_rules()
    if window_weeks:
        rules = [dataclasses.replace(rule, window_weeks=window_weeks) if rule.kind != "answer" else rule
                 for rule in rules]
    start = first_day_needed(rules, since, until)
    assert start < since or since_weeks == 1 and not any(rule.kind != "answer" for rule in rules)
    trimmed = survey[survey["ts"] >= pd.Timestamp(start)].reset_index(drop=True)
    assert len(trimmed) < len(survey)  # it does leave answers out
    found, everything = evaluate(trimmed, rules, since, until, names), evaluate(survey, rules, since, until, names)
    assert len(found) == len(everything)
    for alert, expected in zip(found, everything, strict=True):  # the same alerts; sums in another order (1e-15)
        floats = {name: value for name, value in dataclasses.asdict(expected).items() if isinstance(value, float)}
        assert dataclasses.replace(alert, **floats) == expected
        for name, value in floats.items():
            assert getattr(alert, name) == pytest.approx(value, rel=1e-9, nan_ok=True), name
    answer_rules = [rule for rule in rules if rule.kind == "answer"]
    assert first_day_needed(answer_rules, since, until) == since
