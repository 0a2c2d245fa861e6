"""Leaderboards: ranking and ties, low n, change with its interval, trends after BH, owner roll-up, invariance."""

import datetime as dt
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.survey_files import JAN, write
from workbench.analysis import leaderboard
from workbench.core import metrics
from workbench.core.contract import OVERALL
from workbench.data import query
from workbench.data.query import Query

FEB = dt.datetime(2024, 2, 15, 12)
Z95 = 1.959963984540054


def answers(*groups) -> dict:
    """Columns branch, ts and csat from (branch, time, scores) triples."""
    branch, ts, csat = [], [], []
    for name, when, scores in groups:
        branch += [name] * len(scores)
        ts += [when] * len(scores)
        csat += list(scores)
    return {"branch": branch, "ts": ts, "csat": csat}


def windows(path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The file aggregated by branch for February (current) and January (previous)."""
    def month(start, end):
        return query.aggregate(Query((path,), by=("branch",), date_from=start, date_to=end))
    return (month(dt.date(2024, 2, 1), dt.date(2024, 2, 29)), month(dt.date(2024, 1, 1), dt.date(2024, 1, 31)))


def by_name(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("name")


def two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


# ------------------------------------------------------------------ ranking


def test_order_ties_low_n_and_null_names(tmp_path):
    path = write(tmp_path / "s.parquet", **answers(
        ("A", JAN, [5, 5, 4]), ("B", JAN, [4, 4, 4]), ("C", JAN, [5, 3, 4]), ("E", JAN, [1, 1, 1, 1]),
        ("Aa", JAN, [5]), ("D", JAN, [2, 3]), (None, JAN, [5, 5, 5])))
    board = leaderboard.rank(query.aggregate(Query((path,), by=("branch",))), None, "branch", "csat", min_n=3)
    assert list(board.columns) == list(leaderboard.COLUMNS)
    # A 14/3; B and C tie at 4 (rank 2, next is 4); Aa (5 from one answer) and D are unranked, last, by name.
    assert list(board["name"]) == ["A", "B", "C", "E", "Aa", "D"]
    assert board["rank"].tolist()[:4] == [1, 2, 2, 4] and board["rank"].iloc[4:].isna().all()
    assert board["ranked"].tolist() == [True] * 4 + [False] * 2
    assert board["value"].tolist() == pytest.approx([14 / 3, 4, 4, 1, 5, 2.5])
    assert board["n"].tolist() == [3, 3, 3, 4, 1, 2]
    a = by_name(board).loc["A"]  # s² = 1/3, t(2) interval
    # The t(2) margin, 1.434, below the mean; above it the interval stops at the scale's top, CSAT 5.
    assert a["se"] == pytest.approx(1 / 3) and a["value"] - a["low"] == pytest.approx(4.302652729911275 / 3)
    assert a["high"] == 5
    # Without a previous window there is no change and no trend.
    assert board["previous"].isna().all() and board["change"].isna().all() and board["trend_rank"].isna().all()
    assert set(board["trend"]) == {""}


def test_equal_scores_tie_despite_rounding(tmp_path):
    # NPS −60 twice: 100·(1/5 − 4/5) is −60.00000000000001 in floating point, 100·(0/5 − 3/5) is −60.0.
    path = write(tmp_path / "s.parquet", branch=["X"] * 5 + ["Y"] * 5 + ["Z"] * 5,
                 nps=[10] + [0] * 4 + [0] * 3 + [7] * 2 + [7] * 5)
    board = leaderboard.rank(query.aggregate(Query((path,), by=("branch",))), None, "branch", "nps", min_n=5)
    assert list(board["name"]) == ["Z", "X", "Y"]
    assert board["value"].tolist() == pytest.approx([0, -60, -60])
    assert board["rank"].tolist() == [1, 2, 2]


def test_every_metric_larger_is_better(tmp_path):
    path = write(tmp_path / "s.parquet", branch=["easy"] * 3 + ["hard"] * 3, ces=[7, 6, 7, 2, 1, 3],
                 csat=[2, 2, 3, 5, 5, 4])
    result = query.aggregate(Query((path,), by=("branch",)))
    assert list(leaderboard.rank(result, None, "branch", "ces", min_n=3)["name"]) == ["easy", "hard"]
    assert list(leaderboard.rank(result, None, "branch", "csat", min_n=3)["name"]) == ["hard", "easy"]
    assert list(leaderboard.rank(result, None, "branch", "index", min_n=3)["name"]) == ["easy", "hard"]


def test_bad_input_is_refused(tmp_path):
    path = write(tmp_path / "s.parquet", branch=["A", "A", "B"], region=["N", "S", "N"], csat=[5, 4, 3])
    result = query.aggregate(Query((path,), by=("branch", "region")))
    with pytest.raises(ValueError, match="several rows"):
        leaderboard.rank(result, None, "branch", "csat")
    with pytest.raises(ValueError, match="Unknown metric"):
        leaderboard.rank(result, None, "region", "speed")
    with pytest.raises(ValueError, match="no group column"):
        leaderboard.rank(result, None, "employee", "csat")


# ------------------------------------------------------------------ change and trend


def test_change_and_its_interval_by_hand(tmp_path):
    path = write(tmp_path / "s.parquet", **answers(
        ("A", JAN, [3, 4, 5]), ("A", FEB, [4, 4, 5, 5]), ("B", JAN, [2, 2, 3]), ("B", FEB, [5, 5, 5]),
        ("new", FEB, [1, 2, 3])))
    current, previous = windows(path)
    board = by_name(leaderboard.rank(current, previous, "branch", "csat", min_n=3))
    # A: 4 (s² = 1, SE² = 1/3) → 4.5 (s² = 1/3, SE² = 1/12): +0.5 ± 1.96·√(5/12).
    a = board.loc["A"]
    assert a["previous"] == pytest.approx(4) and a["value"] == pytest.approx(4.5) and a["n"] == 4
    assert a["change"] == pytest.approx(0.5)
    assert a["change_low"] == pytest.approx(0.5 - Z95 * math.sqrt(5 / 12))
    assert a["change_high"] == pytest.approx(0.5 + Z95 * math.sqrt(5 / 12))
    assert a["change_p"] == pytest.approx(two_sided(0.5 / math.sqrt(5 / 12)))
    # B: 7/3 (s² = 1/3, SE = 1/3) → 5 with no spread (SE 0): +8/3 ± 1.96/3.
    b = board.loc["B"]
    assert b["change"] == pytest.approx(8 / 3)
    assert (b["change_low"], b["change_high"]) == pytest.approx((8 / 3 - Z95 / 3, 8 / 3 + Z95 / 3))
    assert b["change_p"] == pytest.approx(two_sided(8))
    assert b["trend"] == "up" and a["trend"] == ""
    assert board["rank"].to_dict() == {"B": 1, "A": 2, "new": 3}
    assert board["trend_rank"].to_dict() == {"B": 1, "A": 2, "new": pytest.approx(math.nan, nan_ok=True)}
    # A group new in this window has no previous value, change or trend.
    assert math.isnan(board.loc["new", "previous"]) and math.isnan(board.loc["new", "change"])
    assert board.loc["new", "trend"] == "" and math.isnan(board.loc["new", "change_p"])


def test_trend_only_when_significant(tmp_path):
    path = write(tmp_path / "s.parquet", **answers(
        ("big", JAN, [3, 4] * 20), ("big", FEB, [4, 5] * 20),
        ("tiny", JAN, [3, 4] * 20), ("tiny", FEB, [4] * 20 + [3] * 19 + [5]),
        ("down", JAN, [4, 5] * 20), ("down", FEB, [2, 3] * 20),
        ("thin", JAN, [1, 1, 2]), ("thin", FEB, [5] * 40)))
    current, previous = windows(path)
    board = leaderboard.rank(current, previous, "branch", "csat", min_n=30)
    rows = by_name(board)
    assert rows["trend"].to_dict() == {"big": "up", "thin": "", "tiny": "", "down": "down"}
    assert list(board["name"]) == ["thin", "big", "tiny", "down"]  # 5, 4.5, 3.55, 2.5
    assert rows["change"].to_dict() == pytest.approx({"big": 1, "tiny": 0.05, "down": -2, "thin": 5 - 4 / 3})
    # tiny: SE² = (10/39)/40 before and (11.9/39)/40 after (Σx² = 516, Σx = 142): z = 0.05/√(21.9/1560).
    assert rows.loc["tiny", "change_p"] == pytest.approx(two_sided(0.05 / math.sqrt(21.9 / 1560)))
    assert rows.loc["tiny", "change_q"] == pytest.approx(rows.loc["tiny", "change_p"])  # largest of three p
    # thin had too few answers before: its change is shown but neither tested nor ranked as a trend.
    assert math.isnan(rows.loc["thin", "change_p"]) and math.isnan(rows.loc["thin", "trend_rank"])
    assert rows.loc[["big", "tiny", "down"], "trend_rank"].tolist() == [1, 2, 3]


def test_trend_survives_only_the_false_discovery_correction(tmp_path):
    path = write(tmp_path / "s.parquet", **answers(
        ("moderate", JAN, [3, 4] * 20), ("moderate", FEB, [4] * 29 + [3] * 11),
        ("steady", JAN, [3, 4] * 20), ("steady", FEB, [4, 3] * 20)))
    current, previous = windows(path)
    # moderate: 3.5 → 149/40; SE² = (10/39)/40 before, (7.975/39)/40 after (Σx² = 563).
    p = two_sided((149 / 40 - 3.5) / math.sqrt(17.975 / 1560))
    assert 0.025 < p < 0.05  # significant alone, not after BH with a second group (q = 2p)
    both = by_name(leaderboard.rank(current, previous, "branch", "csat"))
    assert both.loc["moderate", "change_p"] == pytest.approx(p)
    assert both.loc["moderate", "change_q"] == pytest.approx(2 * p)
    assert both.loc["moderate", "trend"] == "" and both.loc["steady", "change_p"] == pytest.approx(1)
    alone = by_name(leaderboard.rank(current[current["branch"] == "moderate"],
                                     previous[previous["branch"] == "moderate"], "branch", "csat"))
    assert alone.loc["moderate", "trend"] == "up"


# ------------------------------------------------------------------ owners


def test_owner_rollup_sums_the_owners_touchpoints(tmp_path, small_journey):
    path = write(tmp_path / "s.parquet",
                 touchpoint=["web", "web", "cart", "abandon", "delivery", "delivery", OVERALL],
                 region=["N", "S", "N", "N", "S", "S", "N"],
                 csat=[5, 4, 3, 1, 2, 2, 5], nps=[10, 9, 0, 0, 8, None, 10])
    owners = leaderboard.owner_results(query.aggregate(Query((path,))), small_journey)
    # abandon has no owner and the overall answer is nobody's: Web team = web + cart, Couriers = delivery.
    assert list(owners["owner"]) == ["Couriers", "Web team"]
    web = owners.set_index("owner").loc["Web team"]
    assert web["answers"] == 3 and web["csat_n"] == 3 and web["csat"] == pytest.approx(4)  # (5 + 4 + 3) / 3
    assert web["csat_se"] == pytest.approx(math.sqrt(1 / 3))  # s² = (1 + 0 + 1) / 2
    assert web["nps"] == pytest.approx(100 / 3) and web["nps_n"] == 3  # 2 promoters, 1 detractor
    couriers = owners.set_index("owner").loc["Couriers"]
    assert couriers["answers"] == 2 and couriers["csat"] == pytest.approx(2) and couriers["nps"] == pytest.approx(0)
    board = leaderboard.rank(owners, None, "owner", "csat", min_n=2)
    assert list(board["name"]) == ["Web team", "Couriers"] and board["rank"].tolist() == [1, 2]

    split = leaderboard.owner_results(query.aggregate(Query((path,), by=("touchpoint", "region"))), small_journey,
                                      min_n=2)
    assert list(split.columns[:3]) == ["owner", "region", "answers"]
    cells = {(o, r): (a, c) for o, r, a, c in split[["owner", "region", "answers", "csat"]].itertuples(index=False)}
    assert cells == {("Couriers", "S"): (2, pytest.approx(2)), ("Web team", "N"): (2, pytest.approx(4)),
                     ("Web team", "S"): (1, pytest.approx(4))}
    assert not split.set_index(["owner", "region"]).loc[("Web team", "N"), "csat_low_n"]


# ------------------------------------------------------------------ invariance


def frame_of(groups: dict) -> pd.DataFrame:
    """An aggregate-like result by branch from CSAT answers per branch (no NPS or CES answers)."""
    rows = [{"branch": name, "answers": len(s), "nps_n": 0, "promoters": 0, "passives": 0, "detractors": 0,
             "csat_n": len(s), "csat_sum": sum(s), "csat_sumsq": sum(x * x for x in s),
             "csat_top": sum(x >= 4 for x in s)} for name, s in groups.items()]
    stats = pd.DataFrame(rows, columns=["branch", "answers", "nps_n", "promoters", "passives", "detractors",
                                        "csat_n", "csat_sum", "csat_sumsq", "csat_top"])
    return metrics.estimate_frame(stats)


scores = st.lists(st.integers(1, 5), max_size=6)
groups = st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e", "f", "g"]), scores, max_size=7)


@settings(max_examples=30)
@given(groups, groups, st.integers(0, 2 ** 31))
def test_ranks_depend_only_on_values(current, previous, seed):
    now, before = frame_of(current), frame_of(previous)
    board = leaderboard.rank(now, before, "branch", "csat", min_n=2)
    shuffled = leaderboard.rank(now.sample(frac=1, random_state=seed), before.sample(frac=1, random_state=seed + 1),
                                "branch", "csat", min_n=2)
    pd.testing.assert_frame_equal(board, shuffled)

    means = {name: Fraction(sum(s), len(s)) for name, s in current.items() if len(s) >= 2}
    expected = {name: 1 + sum(other > mean for other in means.values()) for name, mean in means.items()}
    assert sorted(board["name"]) == sorted(current)
    ranked = board[board["ranked"]]
    assert dict(zip(ranked["name"], ranked["rank"])) == expected
    assert list(ranked["rank"]) == sorted(ranked["rank"])
    rest = board[~board["ranked"]]
    assert rest["rank"].isna().all() and list(rest["name"]) == sorted(rest["name"])
    assert list(board["ranked"]) == sorted(board["ranked"], reverse=True)  # ranked first
    judged = [name for name in means if len(previous.get(name, [])) >= 2]
    changes = {name: means[name] - Fraction(sum(previous[name]), len(previous[name])) for name in judged}
    trend_expected = {name: 1 + sum(other > c for other in changes.values()) for name, c in changes.items()}
    trend = board.dropna(subset=["trend_rank"])
    assert dict(zip(trend["name"], trend["trend_rank"])) == trend_expected
    assert np.isnan(board.loc[~board["name"].isin(judged), "change_p"]).all()


def test_a_respondents_answers_are_one_cluster_in_the_change_test(tmp_path):
    from workbench.core import clustered

    rng = np.random.default_rng(9)
    rows = {"branch": [], "ts": [], "respondent_id": [], "csat": []}
    cells, labels = [], []
    for cell, when in ((1, JAN), (0, FEB)):
        for branch, lift in (("A", 0.4 * cell), ("B", 0.0)):
            for i in range(15):
                mood = rng.integers(-1, 2)  # one mood in all three of a respondent's answers
                for _ in range(3):
                    rows["branch"].append(branch)
                    rows["ts"].append(when)
                    rows["respondent_id"].append(f"{branch}{when:%m}{i}")
                    rows["csat"].append(int(np.clip(round(3 + mood + lift + rng.normal(0, 0.6)), 1, 5)))
                    cells.append(cell if branch == "A" else cell + 2)
                    labels.append(f"{branch}{when:%m}{i}")
    path = write(tmp_path / "s.parquet", **rows)

    def month(start, end, by):
        return query.aggregate(Query((path,), by=by, date_from=start, date_to=end))

    now, before = (month(dt.date(2024, m, 1), dt.date(2024, m, 28), ("branch", "respondent_id")) for m in (2, 1))
    board = by_name(leaderboard.rank(now, before, "branch", "csat", cluster="respondent_id"))
    plain = by_name(leaderboard.rank(*windows(path), "branch", "csat"))
    x = np.array(rows["csat"], float)
    expected = clustered.contrast(cells, labels, np.ones(len(x)), x, x * x, weights=[1, -1, 0, 0], method="CR2")
    a = board.loc["A"]
    assert a["change"] == pytest.approx(expected.difference) and a["change_p"] == pytest.approx(expected.p_value)
    assert (a["change_low"], a["change_high"]) == (pytest.approx(expected.low), pytest.approx(expected.high))
    # The scores and ranks are those of the plain board; only the change's test knows the respondents.
    for column in ("value", "n", "rank", "previous", "change"):
        assert board[column].tolist() == pytest.approx(plain.loc[board.index, column].tolist())
    assert plain.loc["A", "change_p"] < a["change_p"]  # 90 answers from 30 respondents are not 90 opinions
    # The index is a blend of scales without a per-answer score: its change keeps the independent test.
    index = by_name(leaderboard.rank(now, before, "branch", "index", cluster="respondent_id"))
    plain_index = by_name(leaderboard.rank(*windows(path), "branch", "index"))
    assert index.loc["A", "change_p"] == pytest.approx(plain_index.loc["A", "change_p"])
