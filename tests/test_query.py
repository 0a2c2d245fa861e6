"""Query engine: hand-computed groups, agreement with the scalar metrics, splits, filters, periods, sources, cache."""

import datetime as dt
import math
import os
from dataclasses import astuple

import diskcache
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.survey_files import JAN, write
from workbench.core import metrics as m
from workbench.data import query
from workbench.data.query import Query


def hand_file(path) -> str:
    return write(path, touchpoint=["web"] * 8 + ["cart"] * 4,
                 nps=[10, 9, 8, 7, 6, 0, None, 10, 3, None, 9, 9],
                 csat=[5, 4, 3, 2, 1, 5, 4, None, None, None, 2, 3],
                 ces=[7, 6, 5, 1, None, 7, 2, 3, None, None, None, None],
                 region=["N", "S"] * 6)


def row(frame: pd.DataFrame, **keys) -> pd.Series:
    selected = frame
    for column, value in keys.items():
        selected = selected[selected[column] == value]
    assert len(selected) == 1
    return selected.iloc[0]


def assert_estimate(found: pd.Series, prefix: str, expected: m.Estimate, low_n: bool = True) -> None:
    for suffix, value in (("", expected.value), ("_se", expected.se), ("_low", expected.low), ("_high", expected.high)):
        assert found[prefix + suffix] == pytest.approx(value, abs=1e-9, nan_ok=True), prefix + suffix
    if low_n:
        assert found[f"{prefix}_low_n"] == expected.low_n


def test_a_dozen_answers_by_hand(tmp_path):
    result = query.aggregate(Query((hand_file(tmp_path / "s.parquet"),)))
    assert list(result["touchpoint"]) == ["cart", "web"]
    web, cart = row(result, touchpoint="web"), row(result, touchpoint="cart")
    stats = ["answers", "nps_n", "promoters", "passives", "detractors", "csat_n", "csat_sum", "csat_sumsq", "csat_top",
             "ces_n", "ces_sum", "ces_sumsq", "ces_top"]
    assert list(web[stats]) == [8, 7, 3, 2, 2, 7, 24, 96, 4, 7, 31, 173, 3]
    assert list(cart[stats]) == [4, 3, 2, 0, 1, 2, 5, 13, 0, 0, 0, 0, 0]
    assert "rating_n" not in result
    assert web["nps"] == pytest.approx(100 / 7) and web["nps_se"] == pytest.approx(100 * math.sqrt(34 / 343))
    assert web["csat"] == pytest.approx(24 / 7) and web["csat_se"] == pytest.approx(4 / 7)  # s² = 16/7
    assert web["csat_top2"] == pytest.approx(400 / 7)
    assert web["ces"] == pytest.approx(31 / 7) and web["ces_se"] == pytest.approx(math.sqrt(125 / 147))  # s² = 125/21
    assert web["ces_top2"] == pytest.approx(300 / 7)
    assert web["index"] == pytest.approx((400 / 7 + 425 / 7 + 400 / 7) / 3) and web["index_n"] == 7
    assert cart["nps"] == pytest.approx(100 / 3) and cart["csat"] == pytest.approx(2.5)
    assert math.isnan(cart["ces"]) and math.isnan(cart["ces_top2"]) and cart["ces_low_n"]
    assert cart["index"] == pytest.approx((200 / 3 + 37.5) / 2) and cart["index_n"] == 2
    assert result["nps_low_n"].all()
    assert not query.aggregate(Query((hand_file(tmp_path / "s.parquet"),)), min_n=7)["nps_low_n"].iloc[1]


answer = st.tuples(st.sampled_from(["x", "y"]), st.sampled_from(["a", "b", "c", None]), st.none() | st.integers(0, 10),
                   st.none() | st.integers(1, 5), st.none() | st.integers(1, 7),
                   st.none() | st.integers(0, 20).map(lambda x: x / 2))  # halves: float sums exact in any order


def answers_file(folder, answers) -> str:
    touchpoint, region, nps, csat, ces, rating = map(list, zip(*answers))
    return write(folder / "answers.parquet", touchpoint=touchpoint, region=region, nps=nps, csat=csat, ces=ces,
                 rating=rating)


def per_answer(answer, metric):
    """A row's score of a metric as the index's covariances count it (NPS: 100 · (promoter − detractor)); None if
    unanswered."""
    score = answer[{"nps": 2, "csat": 3, "ces": 4}[metric]]
    if score is None or metric != "nps":
        return score
    return 100 * ((score >= 9) - (score <= 6))


def covariances(group, estimates):
    """Cov(mean_a, mean_b) of each pair of metrics, from the group's raw rows."""
    found = {}
    for a, b in m.CROSS_PAIRS:
        both = [(per_answer(row, a), per_answer(row, b)) for row in group]
        both = [(x, y) for x, y in both if x is not None and y is not None]
        found[a, b] = float(m.mean_covariance(estimates[a].n, estimates[b].n, len(both), sum(x for x, _ in both),
                                              sum(y for _, y in both), sum(x * y for x, y in both)))
    return found


@settings(max_examples=40, deadline=None)
@given(st.lists(answer, min_size=1, max_size=40), st.sampled_from([None, {"nps": 2.0, "csat": 1.0, "ces": 0.0}]))
def test_every_group_agrees_with_the_scalar_metrics(tmp_path_factory, answers, weights):
    path = answers_file(tmp_path_factory.mktemp("q"), answers)
    result = query.aggregate(Query((path,), by=("touchpoint", "region")), min_n=3, weights=weights)
    assert len(result) == len({(a[0], a[1]) for a in answers})
    for _, found in result.iterrows():
        region = None if pd.isna(found["region"]) else found["region"]
        group = [a for a in answers if a[0] == found["touchpoint"] and a[1] == region]
        counts = m.nps_counts(a[2] for a in group)
        csat, ces = m.scale_sums((a[3] for a in group), "csat"), m.scale_sums((a[4] for a in group), "ces")
        ratings = [a[5] for a in group if a[5] is not None]
        assert (found["answers"], found["nps_n"], found["promoters"], found["passives"], found["detractors"]) == (
            len(group), counts.n, counts.promoters, counts.passives, counts.detractors)
        assert (found["csat_n"], found["csat_sum"], found["csat_sumsq"], found["csat_top"]) == astuple(csat)
        assert (found["ces_n"], found["ces_sum"], found["ces_sumsq"], found["ces_top"]) == astuple(ces)
        estimates = {"nps": m.nps(counts, min_n=3), "csat": m.mean(csat, min_n=3, scale=(1, 5)), "ces": m.mean(ces, min_n=3, scale=(1, 7))}
        for name, estimate in estimates.items():
            assert_estimate(found, name, estimate)
        assert_estimate(found, "csat_top2", m.top_box(csat, min_n=3), low_n=False)
        assert_estimate(found, "ces_top2", m.top_box(ces, min_n=3), low_n=False)
        index = m.composite(estimates, weights, min_n=3, covariances=covariances(group, estimates))
        assert_estimate(found, "index", index)
        assert found["index_n"] == index.n
        rating = m.mean(m.ScaleSums(len(ratings), sum(ratings), sum(r * r for r in ratings)), min_n=3)
        assert (found["rating_n"], found["rating_sum"]) == (len(ratings), sum(ratings))
        assert_estimate(found, "rating", rating)


@settings(max_examples=40, deadline=None)
@given(st.lists(answer, min_size=1, max_size=60))
def test_a_split_by_region_adds_up_to_the_whole(tmp_path_factory, answers):
    path = answers_file(tmp_path_factory.mktemp("q"), answers)
    parts = query.aggregate(Query((path,), by=("region",)))
    whole = query.aggregate(Query((path,), by=()))
    assert len(whole) == 1
    for column in ["answers", "nps_n", "promoters", "passives", "detractors", "csat_n", "csat_sum", "csat_sumsq",
                   "csat_top", "ces_n", "ces_sum", "ces_sumsq", "ces_top", "rating_n"]:
        assert parts[column].sum() == whole[column].iloc[0], column
    assert parts["rating_sumsq"].sum() == pytest.approx(whole["rating_sumsq"].iloc[0])


def test_filters_and_inclusive_date_bounds(tmp_path):
    times = [dt.datetime(2024, 1, 9, 23, 59, 59), dt.datetime(2024, 1, 10), dt.datetime(2024, 1, 31, 23, 59, 59),
             dt.datetime(2024, 2, 1), dt.datetime(2024, 1, 20), dt.datetime(2024, 1, 20)]
    path = write(tmp_path / "s.parquet", ts=times, touchpoint=["web", "web", "web", "web", "cart", "web"],
                 nps=[1, 2, 3, 4, 5, 6], region=["N", "N", "N", "N", "N", None])
    january = Query((path,), by=(), date_from=dt.date(2024, 1, 10), date_to=dt.date(2024, 1, 31))
    assert query.aggregate(january)["answers"].iloc[0] == 4
    north_web = Query((path,), by=("touchpoint",), filters=(("region", ("N", "S")), ("touchpoint", ("web",))))
    assert query.aggregate(north_web)[["touchpoint", "answers"]].values.tolist() == [["web", 4]]
    assert query.aggregate(Query((path,), filters=(("region", ()),))).empty
    assert query.aggregate(Query((path,), by=(), filters=(("region", ()),)))["answers"].tolist() == [0]


def test_weeks_months_and_quarters_start_on_their_first_day(tmp_path):
    times = [dt.datetime(2023, 12, 31, 23, 59, 59), dt.datetime(2024, 1, 1), dt.datetime(2024, 3, 31, 23, 59, 59),
             dt.datetime(2024, 4, 1)]
    path = write(tmp_path / "s.parquet", ts=times, touchpoint=["web"] * 4, nps=[10] * 4)

    def periods(period):
        result = query.aggregate(Query((path,), by=("period",), period=period))
        return dict(zip(result["period"], result["answers"]))

    d = dt.date
    assert periods("week") == {d(2023, 12, 25): 1, d(2024, 1, 1): 1, d(2024, 3, 25): 1, d(2024, 4, 1): 1}
    assert periods("month") == {d(2023, 12, 1): 1, d(2024, 1, 1): 1, d(2024, 3, 1): 1, d(2024, 4, 1): 1}
    assert periods("quarter") == {d(2023, 10, 1): 1, d(2024, 1, 1): 2, d(2024, 4, 1): 1}
    both = query.aggregate(Query((path,), by=("period", "touchpoint"), period="quarter"))
    assert list(both.columns[:2]) == ["period", "touchpoint"] and isinstance(both["period"].iloc[0], dt.date)


def test_several_sources_are_concatenated_even_when_their_columns_differ(tmp_path):
    first = write(tmp_path / "v1.parquet", touchpoint=["web", "web"], nps=[10, 0], region=["N", "S"])
    second = write(tmp_path / "v2.parquet", touchpoint=["web", "cart"], ces=[7, 2], rating=[0.5, 1.5])
    both = query.aggregate(Query((first, second)))
    assert both[["touchpoint", "answers", "nps_n", "ces_n", "ces_top", "rating_n"]].values.tolist() == [
        ["cart", 1, 0, 1, 0, 1], ["web", 3, 2, 1, 1, 1]]
    assert query.aggregate(Query((first, second), by=(), filters=(("region", ("N",)),)))["answers"].tolist() == [1]
    by_region = query.aggregate(Query((first, second), by=("region",)))
    assert by_region["answers"].tolist() == [1, 1, 2] and pd.isna(by_region["region"].iloc[2])  # nulls last


def test_missing_metric_columns_give_zero_counts_and_nan_estimates(tmp_path):
    result = query.aggregate(Query((write(tmp_path / "s.parquet", touchpoint=["web"] * 3, nps=[10, 9, 0]),)))
    found = result.iloc[0]
    assert (found["csat_n"], found["csat_sum"], found["ces_n"], found["ces_top"]) == (0, 0, 0, 0)
    assert all(math.isnan(found[c]) for c in ["csat", "csat_se", "csat_top2", "ces", "ces_high", "ces_top2_low"])
    assert found["index"] == pytest.approx((100 / 3 + 100) / 2) and found["index_n"] == 3
    assert not any(c.startswith("rating") for c in result.columns)


def test_the_cache_serves_repeats_and_never_a_replaced_file(tmp_path, monkeypatch):
    path = hand_file(tmp_path / "s.parquet")
    with diskcache.Cache(tmp_path / "cache") as cache:
        first = query.aggregate(Query((path,)), cache)
        with monkeypatch.context() as patched:
            patched.setattr(query, "_statistics", lambda q: pytest.fail("a repeat must come from the cache"))
            pd.testing.assert_frame_equal(query.aggregate(Query((path,)), cache), first)
        assert query.aggregate(Query((path,)), cache, min_n=7)["nps_low_n"].tolist() == [True, False]
        stat = os.stat(path)
        write(path, touchpoint=["web"] * 3, nps=[10, 10, 10])
        assert query.aggregate(Query((path,)), cache)["answers"].tolist() == [3]
        write(path, touchpoint=["web"] * 3, nps=[0, 0, 0])  # same size: only the mtime tells the versions apart
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        assert query.aggregate(Query((path,)), cache)["detractors"].tolist() == [3]


def test_unknown_columns_and_periods_are_refused(tmp_path):
    path = hand_file(tmp_path / "s.parquet")
    with pytest.raises(ValueError, match="Unknown group column 'branch'.*region"):
        query.aggregate(Query((path,), by=("branch",)))
    with pytest.raises(ValueError, match="Unknown group column 'nps'"):
        query.aggregate(Query((path,), by=("nps",)))
    with pytest.raises(ValueError, match="Unknown filter column 'period'"):
        query.aggregate(Query((path,), filters=(("period", ("2024-01-01",)),)))
    with pytest.raises(ValueError, match="Unknown period 'day'"):
        Query((path,), period="day")
    with pytest.raises(ValueError, match="Unknown column 'branch'"):
        query.segment_values([path], "branch")


def test_columns_bounds_and_segment_values_over_versions(tmp_path):
    first = write(tmp_path / "v1.parquet", ts=[dt.datetime(2024, 3, 1), dt.datetime(2024, 1, 2, 23)],
                  touchpoint=["web", "cart"], region=["S", None])
    second = write(tmp_path / "v2.parquet", ts=[dt.datetime(2024, 5, 31, 23, 59)], touchpoint=["web"], branch=["b1"])
    assert query.columns([first, second]) == ["ts", "touchpoint", "region", "response_id", "branch"]
    assert query.date_bounds([first, second]) == (dt.date(2024, 1, 2), dt.date(2024, 5, 31))
    assert query.date_bounds([write(tmp_path / "empty.parquet", touchpoint=[])]) is None
    assert query.segment_values([first, second], "region") == ["S"]
    assert query.segment_values([first, second], "touchpoint") == ["cart", "web"]


def test_query_keys_are_stable_and_follow_the_file(tmp_path):
    path = hand_file(tmp_path / "s.parquet")
    a = Query((path,), filters=(("region", ("S", "N")), ("touchpoint", ("web",))))
    b = Query((path,), filters=(("touchpoint", ("web",)), ("region", ("N", "S"))))
    before = a.key()
    assert before == b.key() != Query((path,)).key()
    write(path, touchpoint=["web"], nps=[1])
    assert a.key() != before


def test_rollup_and_rest_add_up_to_the_direct_queries(tmp_path):
    path = hand_file(tmp_path / "s.parquet")
    by_region = query.aggregate(Query((path,), by=("touchpoint", "region")))
    by_touchpoint = query.aggregate(Query((path,)))
    rolled = query.rollup(by_region, ["touchpoint"])
    pd.testing.assert_frame_equal(rolled, by_touchpoint[rolled.columns], check_dtype=False)
    total = query.rollup(by_region, [])
    assert len(total) == 1 and total["answers"].iloc[0] == 12 and total["nps_n"].iloc[0] == 10
    others = query.rest(by_region, by_touchpoint, ["touchpoint"])
    web_north = row(others, touchpoint="web", region="N")
    web_south = row(by_region, touchpoint="web", region="S")
    for name in query.statistic_columns(by_region):
        assert web_north[name] == web_south[name], name
    assert web_north["csat"] == pytest.approx(web_south["csat"])


def test_distribution_counts_each_score(tmp_path):
    path = hand_file(tmp_path / "s.parquet")
    counts = query.distribution(Query((path,), filters=(("touchpoint", ("web",)),)), "csat")
    assert list(zip(counts["score"], counts["answers"])) == [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2)]
    assert query.distribution(Query((path,)), "rating").empty


def test_comments_newest_first_with_filters(tmp_path):
    path = write(tmp_path / "c.parquet", touchpoint=["web", "web", "cart", "web"], csat=[5, 1, 3, 2],
                 comment=["old", "new", "cart one", "  "],
                 ts=[JAN, JAN + dt.timedelta(days=2), JAN + dt.timedelta(days=3), JAN + dt.timedelta(days=4)])
    found = query.comments(Query((path,), filters=(("touchpoint", ("web",)),)), limit=5)
    assert list(found["comment"]) == ["new", "old"]
    assert list(found["csat"]) == [1, 5]
    assert list(query.comments(Query((path,)), limit=1)["comment"]) == ["cart one"]


def test_parents_follow_the_nesting_in_the_data(tmp_path):
    path = write(tmp_path / "n.parquet", touchpoint=["t"] * 6,
                 region=["N", "N", "N", "S", "S", "S"], branch=["a", "a", "b", "c", "d", "d"],
                 employee=["x", "y", "z", "u", "v", None], channel=["web", "app", "web", "app", "web", "app"])
    assert query.parents((path,), ["region", "branch", "employee", "channel"]) == {
        "branch": "region", "employee": "branch"}


def test_periods_come_back_as_dates_one_object_per_day():
    """The engine's month starts become dates as pandas' .dt.date makes them (NaT kept), but a repeated day is one
    shared object: a cached frame of 300 000 rows over 36 months then pickles once per month, not once per row."""
    stamps = pd.Series(pd.to_datetime(["2026-03-01", None, "2026-04-01", "2026-03-01", "2026-04-01"]))
    dates = query._dates(stamps)
    assert list(dates) == list(stamps.dt.date) and pd.isna(dates[1])
    assert dates[0] is dates[3] and dates[2] is dates[4]


def test_answers_read_as_categories_hold_the_same_values(tmp_path):
    path = write(tmp_path / "a.parquet", touchpoint=["chat", "shop", "chat", "_overall"], csat=[5, 2, None, None],
                 nps=[None, None, None, 9], region=["Praha", None, "Brno", "Praha"])
    plain = query.answers(query.Query((path,), by=()), ("touchpoint", "region"))
    coded = query.answers(query.Query((path,), by=()), ("touchpoint", "region"), categories=("touchpoint", "region"))
    assert isinstance(coded["touchpoint"].dtype, pd.CategoricalDtype) and isinstance(coded["region"].dtype,
                                                                                       pd.CategoricalDtype)
    for column in ("touchpoint", "region"):
        assert coded[column].astype(object).where(coded[column].notna(), None).tolist() == plain[column].astype(
            object).where(plain[column].notna(), None).tolist()
    assert coded.drop(columns=["touchpoint", "region"]).equals(plain.drop(columns=["touchpoint", "region"]))
    # In sorted order, as the texts sort: codes and factorize(sort=True) give what they give for the texts.
    for column in ("touchpoint", "region"):
        assert list(coded[column].cat.categories) == sorted(set(plain[column].dropna()))
        assert list(pd.factorize(coded[column], sort=True)[1]) == list(pd.factorize(plain[column], sort=True)[1])
