"""Customer rules: the rule model, who a rule matches on hand-made answers, the chance count of a fall (simulated
with known truth) and the back-test on retention."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from workbench.analysis import customers
from workbench.core import customerrules
from workbench.core.contract import OVERALL
from workbench.core.customerrules import Rule, Segment, Threshold


def answers(rows) -> pd.DataFrame:
    """Answers from (customer, day, touchpoint, nps, comment, branch)."""
    frame = pd.DataFrame(rows, columns=["respondent_id", "ts", "touchpoint", "nps", "comment", "branch"])
    frame["ts"] = pd.to_datetime(frame["ts"])
    frame["nps"] = frame["nps"].astype("Int8")
    return frame


HAND = answers(
    [
        ("C1", "2026-01-10 10:00", OVERALL, 9, None, "Praha"),
        ("C1", "2026-03-01 10:00", OVERALL, 5, "slow", "Praha"),  # fell by 4
        ("C2", "2026-01-10 10:00", OVERALL, 9, None, "Brno"),
        ("C2", "2026-03-01 10:00", OVERALL, 6, None, "Brno"),  # fell by 3
        ("C3", "2026-01-10 10:00", OVERALL, 8, None, "Praha"),
        ("C3", "2026-03-01 09:00", "checkout", 2, "card failed", "Praha"),  # not overall: ignored by ""
        ("C3", "2026-03-01 10:00", OVERALL, 7, None, "Praha"),  # fell by 1; the comment of that day is kept
        ("C4", "2025-10-01 10:00", OVERALL, 3, None, "Brno"),  # a detractor long ago
        ("C5", "2026-02-20 10:00", OVERALL, 10, None, "Brno"),
        ("C5", "2026-02-20 10:05", OVERALL, 2, None, "Brno"),  # same day: no previous occasion
    ]
)
KPIS = pd.DataFrame(
    {
        "respondent_id": ["C1", "C2", "C3", "C4", "C5"],
        "name": ["Anna", '=HYPERLINK("http://x")', "Cyril", "Dana", "Emil"],
        "revenue": [150_000.0, 90_000.0, 100_000.0, 5.0, 1.0],
        "referrals": [0, 1, 0, 0, 0],
        "retained": [False, True, True, False, True],
    }
)


def matched(rule: Rule) -> list[str]:
    table = customers.joined(customers.latest(HAND, rule.metric, rule.touchpoint), KPIS)
    return sorted(table.index[customers.matches(table, rule)])


def test_latest_and_previous_answers():
    table = customers.latest(HAND, "nps")
    assert table.loc["C1", "score"] == 5 and table.loc["C1", "previous"] == 9 and table.loc["C1", "change"] == -4
    assert table.loc["C3", "comment"] == "card failed"  # the latest answer has none: that day's comment
    assert pd.isna(table.loc["C5", "previous"]) and table.loc["C5", "score"] == 2
    assert customers.as_of(table) == datetime.date(2026, 3, 1)
    assert customers.latest(HAND, "nps", "checkout").index.tolist() == ["C3"]


@pytest.mark.parametrize(("drop", "expected"), [(4, ["C1"]), (3, ["C1", "C2"]), (1, ["C1", "C2", "C3"])])
def test_a_fall_of_exactly_x_matches_and_x_minus_one_does_not(drop, expected):
    assert matched(Rule("fell", drop=float(drop), days=0)) == expected


def test_groups_within_the_last_days():
    assert matched(Rule("d", groups=("detractor",), days=30)) == ["C1", "C2", "C5"]
    assert matched(Rule("d", groups=("detractor",), days=0)) == ["C1", "C2", "C4", "C5"]
    assert matched(Rule("d", groups=("detractor",), days=10)) == ["C1", "C2", "C5"]  # 20 Feb – 1 Mar: 10 days
    assert matched(Rule("d", groups=("detractor",), days=9)) == ["C1", "C2"]
    assert matched(Rule("p", groups=("passive",), segments=(Segment("branch", ("Praha",)),), days=0)) == ["C3"]


def test_kpi_thresholds():
    churn = Rule("k", drop=3.0, thresholds=(Threshold("revenue", ">=", 100_000.0),), days=0)
    assert matched(churn) == ["C1"]  # C2 fell too, below the revenue
    assert matched(Rule("r", groups=("detractor",), thresholds=(Threshold("referrals", "=", 0),), days=0)) == [
        "C1",
        "C4",
        "C5",
    ]
    assert matched(Rule("r", thresholds=(Threshold("revenue", "<=", 5.0),), days=0)) == ["C4", "C5"]
    absent = Rule("x", thresholds=(Threshold("products", "<=", 1.0),), days=0)
    table = customers.joined(customers.latest(HAND, "nps"), KPIS)
    assert matched(absent) == [] and customers.missing_columns(table, absent) == ["products"]


def test_rules_are_validated_in_words_and_round_trip():
    assert customerrules.validate(Rule("x")) == [
        "A rule needs at least one condition: a group, a fall, a KPI or a segment."
    ]
    bad = Rule(
        " ",
        kind="later",
        metric="nps",
        days=-1,
        groups=("high",),
        drop=11.0,
        thresholds=(Threshold("", "<>", float("nan")),),
        segments=(Segment("branch", ()),),
    )
    problems = customerrules.validate(bad)
    assert len(problems) == 9, problems
    assert customerrules.validate(Rule("x", metric="speed", groups=("low",)))[0].startswith("Unknown metric")
    for rule in customerrules.presets(branch="Praha"):
        assert customerrules.validate(rule) == [], rule
        assert Rule.from_dict(rule.to_dict()) == rule
    assert [r.kind for r in customerrules.presets()].count("list") == 4
    assert customerrules.describe(customerrules.presets()[0]) == ("NPS detractors · latest answer in the last 30 days")


def test_groups_of_other_scales():
    assert [customerrules.group("csat", s) for s in (1, 2, 3, 4, 5)] == ["low", "low", "middle", "high", "high"]
    assert [customerrules.group("nps", s) for s in (6, 7, 8, 9)] == ["detractor", "passive", "passive", "promoter"]


def test_backtest_counts_the_flagged_who_stayed():
    table = customers.joined(customers.latest(HAND, "nps"), KPIS)
    rule = Rule("fell", drop=3.0, days=0)
    found = customers.backtest(table, customers.matches(table, rule))
    assert (found.flagged, found.retained, found.left_share) == (2, 1, 0.5)
    assert 0 < found.left_low < 0.5 < found.left_high < 1 and found.customers == 5 and found.base_share == 0.4
    assert customers.backtest(table.drop(columns="retained"), customers.matches(table, rule)) is None


# ------------------------------------------------------------------ false alarms, simulated with known truth


def simulate(rng, n: int, sigma: float, planted: int = 0, fall: int = 4) -> tuple[pd.DataFrame, set[str]]:
    """Customers answering NPS on two occasions around a level of their own (bounded 0–10, whole points); the
    first ``planted`` of them lose ``fall`` points of level before the second."""
    level = rng.uniform(3, 10, n)
    first = np.clip(np.rint(level + rng.normal(0, sigma, n)), 0, 10)
    shifted = level - np.where(np.arange(n) < planted, fall, 0)
    second = np.clip(np.rint(shifted + rng.normal(0, sigma, n)), 0, 10)
    ids = [f"C{i}" for i in range(n)]
    days = rng.integers(0, 360, n)
    rows = [
        (c, pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(d)), OVERALL, int(a), None, "x")
        for c, d, a in zip(ids, days, first)
    ]
    rows += [
        (c, pd.Timestamp("2026-01-01") + pd.Timedelta(days=int(d)), OVERALL, int(b), None, "x")
        for c, d, b in zip(ids, days, second)
    ]
    return answers(rows), set(ids[:planted])


def test_the_chance_count_holds_when_nothing_changed():
    """200 simulated surveys with no change at all: the count a fall of 3 flags lies within the stated 95 % range
    in at least 93 % of them, and the stated expectation is on average the mean count."""
    rng = np.random.default_rng(25)
    inside, expected, observed = 0, [], []
    for _ in range(200):
        frame, _planted = simulate(rng, 400, 1.6)
        table = customers.latest(frame, "nps")
        found = customers.chance(table, 3.0, days=0)
        flagged = int(customers.matches(table, Rule("f", drop=3.0, days=0)).sum())
        inside += found.low <= flagged <= found.high
        expected.append(found.expected)
        observed.append(flagged)
    assert inside >= 186, inside
    assert abs(np.mean(expected) - np.mean(observed)) < 0.1 * np.mean(observed)


def test_planted_falls_stand_out_and_do_not_inflate_the_chance_count():
    rng = np.random.default_rng(7)
    null, _ = simulate(np.random.default_rng(7), 1000, 1.2)
    frame, planted = simulate(rng, 1000, 1.2, planted=100)
    table = customers.latest(frame, "nps")
    found = customers.chance(table, 3.0, days=0)
    baseline = customers.chance(customers.latest(null, "nps"), 3.0, days=0)
    flagged = set(table.index[customers.matches(table, Rule("f", drop=3.0, days=0))])
    assert len(flagged) > found.high  # the planted falls are more than chance gives
    assert len(flagged & planted) >= 70  # most planted falls of 4 points are found
    assert abs(found.expected - baseline.expected) <= 2 * np.sqrt(baseline.expected) + 2
    assert 0.9 < found.noise < 1.6  # the answer's spread of 1.2 points, rounded and bounded
    assert found.per_year == pytest.approx(found.expected * 365.25 / 365, rel=0.05)
