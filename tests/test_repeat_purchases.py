"""Score after a touchpoint → repeat purchase (issue 25, ``analysis.roi`` and ``features.roi``): each customer once,
repeat purchases from a KPI count or from purchase dates within N months, the rate per score group with Wilson
intervals, and the best − worst difference with Newcombe's interval, checked against hand-computed numbers, the
published example and a simulation with a known true difference."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from workbench.analysis import roi
from workbench.features import roi as features


def customers(groups: dict[int, tuple[int, int]]) -> pd.DataFrame:
    """One row per customer: ``groups`` maps an NPS answer to (customers, of whom repeat buyers)."""
    rows = []
    for score, (n, repeats) in groups.items():
        rows += [(score, i < repeats) for i in range(n)]
    frame = pd.DataFrame(rows, columns=["nps", "repeat"])
    return frame.assign(respondent_id=[f"C{i}" for i in range(len(frame))])


def test_the_difference_is_newcombe_s_published_example():
    # Newcombe (1998), Stat Med 17(8), Table II, example (a): 56/70 − 48/80 = 0.2000, method 10: 0.0524 to 0.3339.
    link = roi.repeat_link(customers({10: (70, 56), 8: (10, 5), 3: (80, 48)}), "nps")
    assert [g.group for g in link.groups] == ["promoter", "passive", "detractor"]
    assert [(g.n, g.repeats) for g in link.groups] == [(70, 56), (10, 5), (80, 48)]
    assert link.difference == pytest.approx(0.2)
    assert (round(link.low, 4), round(link.high, 4)) == (0.0524, 0.3339)
    assert link.customers == 160 and link.compared == ("promoter", "detractor")


def test_a_group_s_rate_has_its_wilson_interval():
    # 8 of 10 at 95 %: Wilson 0.4902 to 0.9433 (Newcombe 1998, Table I, method 3 for 8/10… rounded as published).
    [promoters, _passives, detractors] = roi.repeat_link(customers({9: (10, 8), 0: (4, 0)}), "nps").groups
    assert promoters.rate == pytest.approx(0.8)
    assert (round(promoters.low, 4), round(promoters.high, 4)) == (0.4902, 0.9433)
    assert detractors.rate == 0 and detractors.low == 0 and round(detractors.high, 4) == 0.4899  # 0/4


def test_a_rating_compares_its_top_box_with_the_rest():
    frame = pd.DataFrame({"respondent_id": list("abcdef"), "csat": [5, 4, 4, 3, 2, 1],
                          "repeat": [True, True, False, False, True, False]})  # fmt: skip
    link = roi.repeat_link(frame, "csat")
    assert [(g.group, g.n, g.repeats) for g in link.groups] == [("top", 3, 2), ("rest", 3, 1)]
    assert link.difference == pytest.approx(2 / 3 - 1 / 3)
    with pytest.raises(ValueError):
        roi.repeat_group_keys("index")


def test_each_customer_counts_once_with_their_first_scored_answer():
    answers = pd.DataFrame({
        "respondent_id": ["a", "a", "b", "c", None],
        "ts": pd.to_datetime(["2026-03-01", "2026-01-10", "2026-02-01", "2026-02-02", "2026-01-01"]),
        "nps": [2, 10, None, 7, 9],
    })  # fmt: skip
    firsts = roi.first_answers(answers, "nps")
    assert firsts.to_dict("list") == {
        "respondent_id": ["a", "c"], "ts": list(pd.to_datetime(["2026-01-10", "2026-02-02"])), "nps": [10, 7]
    }  # fmt: skip


def test_a_count_of_repeat_purchases_or_a_flag_says_who_bought_again():
    firsts = pd.DataFrame({"respondent_id": ["a", "b", "c", "d"], "ts": pd.to_datetime(["2026-01-01"] * 4),
                           "nps": [10, 9, 3, 5]})  # fmt: skip
    counts = pd.DataFrame({"respondent_id": ["a", "b", "c", "x"], "repeat_purchases": [0, 3, 1, 5]})
    found = roi.repeats_from_counts(firsts, counts, "repeat_purchases")
    assert found[["respondent_id", "repeat"]].values.tolist() == [["a", False], ["b", True], ["c", True]]  # d: no row
    flags = pd.DataFrame({"respondent_id": ["a", "b"], "rebought": [True, False]})
    assert roi.repeats_from_counts(firsts, flags, "rebought")["repeat"].tolist() == [True, False]


def test_purchase_dates_count_after_the_answer_s_day_within_the_window():
    firsts = pd.DataFrame({
        "respondent_id": ["same-day", "inside", "edge", "late", "absent", "too-new"],
        "ts": pd.to_datetime(["2026-01-10 09:00", *["2026-01-10 00:00"] * 4, "2026-05-01 00:00"]),
        "nps": [10, 10, 9, 3, 3, 10],
    })  # fmt: skip
    purchases = pd.DataFrame({
        "respondent_id": ["same-day", "inside", "inside", "edge", "late", "too-new", "other"],
        "date": pd.to_datetime(["2026-01-10", "2026-02-15", "2026-09-01", "2026-04-10", "2026-04-11", "2026-05-02",
                                "2026-06-30"]),
    })  # fmt: skip
    found = roi.repeats_from_purchases(firsts, purchases, "date", months=3)
    # The last purchase in the data is 2026-09-01: every window (too-new's ends 2026-08-01) is over.
    assert dict(zip(found["respondent_id"], found["repeat"], strict=True)) == {
        "same-day": False,  # the answer's own day is not after it
        "inside": True,
        "edge": True,  # 2026-04-10 is three months after 2026-01-10
        "late": False,
        "absent": False,  # in no purchase row: bought nothing
        "too-new": True,
    }
    short = roi.repeats_from_purchases(firsts, purchases[purchases["date"] < "2026-07-01"], "date", months=3)
    assert "too-new" not in set(short["respondent_id"])  # its window ends 2026-08-01, after the last purchase
    assert set(roi.repeats_from_purchases(firsts, purchases[purchases["date"] < "2026-07-01"], "date", months=6)
               ["respondent_id"]) == set()  # fmt: skip


def test_newcombe_s_interval_covers_a_known_difference():
    """500 simulated studies of 120 promoters (true repeat rate 60 %) and 90 detractors (45 %): the interval of the
    difference covers the true 15 points at least 93 % of the time (nominal 95 %)."""
    rng = np.random.default_rng(25)
    runs, covered = 500, 0
    for _run in range(runs):
        frame = pd.DataFrame({
            "nps": np.r_[np.full(120, 10), np.full(30, 8), np.full(90, 2)],
            "repeat": np.r_[rng.random(120) < 0.60, rng.random(30) < 0.5, rng.random(90) < 0.45],
        })  # fmt: skip
        link = roi.repeat_link(frame, "nps")
        covered += link.low <= 0.15 <= link.high
    assert covered / runs >= 0.93, covered / runs


# ------------------------------------------------------------------ the feature on a workspace


@pytest.fixture
def shop(workspace, small_journey):
    """A project with a survey (customers a–f answering 'cart' and the overall NPS), customer KPIs counting repeat
    purchases, and a purchase file with dates."""
    project = workspace.create_project("Shop")
    journey = workspace.create_journey(project, small_journey)
    day = datetime.datetime(2026, 1, 10, 12)
    people = ["a", "b", "c", "d", "e", "f"]
    survey = pa.table({
        "response_id": [f"r{i}" for i in range(12)],
        "respondent_id": people * 2,
        "ts": [day] * 6 + [day + datetime.timedelta(days=30)] * 6,
        "touchpoint": ["cart"] * 6 + ["_overall"] * 6,
        "nps": pa.array([10, 9, 8, 5, 3, 0, 0, 0, 0, 10, 10, 10], pa.int8()),
        "csat": pa.array([5, 5, 4, 2, 1, 1] + [None] * 6, pa.int8()),
    })  # fmt: skip
    workspace.datasets.add_table(project, survey, "Answers", "survey", journey_id=journey)
    kpis = pa.table({"respondent_id": people, "repeat_purchases": [2, 1, 0, 1, 0, 0],
                     "revenue": [10.5, 3.0, 1.0, 2.0, 0.0, 4.0]})  # fmt: skip
    workspace.datasets.add_table(project, kpis, "Customers", "kpi_customer")
    purchases = pa.table({"respondent_id": ["a", "c", "e", "f"],
                          "date": [datetime.datetime(2026, 2, 1), datetime.datetime(2026, 1, 9),
                                   datetime.datetime(2026, 3, 1), datetime.datetime(2026, 12, 1)]})  # fmt: skip
    workspace.datasets.add_table(project, purchases, "Purchases", "kpi_customer")
    workspace.datasets.settle()
    return project, journey


def test_the_roi_feature_reads_the_survey_and_the_customer_kpis(workspace, shop):
    project, journey = shop
    choices = features.repeat_choices(workspace, project, journey)
    assert choices.touchpoint == "_overall" and ("cart", "Cart") in choices.touchpoints
    assert [m for m, _name in choices.metrics] == ["nps", "csat"]
    values = [s.value for s in choices.sources]
    counts = features.SOURCE_SEPARATOR.join(("counts", "Customers", "repeat_purchases"))
    dates = features.SOURCE_SEPARATOR.join(("dates", "Purchases", "date"))
    assert counts in values and dates in values
    assert not any(v.endswith("revenue") for v in values)  # an amount is no count

    shown = features.repeat_purchases(workspace, project, journey, "cart", "nps", counts)
    assert shown.touchpoint == "Cart"
    assert [(g.group, g.n, g.repeats) for g in shown.link.groups] == [
        ("promoter", 2, 2), ("passive", 1, 0), ("detractor", 3, 1)
    ]  # fmt: skip
    assert shown.link.difference == pytest.approx(1 - 1 / 3)
    assert "association, not an effect" in shown.sentence

    box = features.repeat_purchases(workspace, project, journey, "cart", "csat", counts)
    assert [(g.group, g.n, g.repeats) for g in box.link.groups] == [("top", 3, 2), ("rest", 3, 1)]

    # Purchase dates, three months after the answer on 2026-01-10 (the data's last purchase is 2026-12-01):
    # a (02-01) and e (03-01) bought again; c's purchase was before the answer, f's after the window.
    dated = features.repeat_purchases(workspace, project, journey, "cart", "nps", dates, months=3)
    assert [(g.group, g.n, g.repeats) for g in dated.link.groups] == [
        ("promoter", 2, 1), ("passive", 1, 0), ("detractor", 3, 1)
    ]  # fmt: skip
    assert "3 months" in dated.sentence

    unknown = features.repeat_purchases(workspace, project, journey, "cart", "nps", "counts\u241fNope\u241fx")
    assert unknown.link is None and unknown.message
