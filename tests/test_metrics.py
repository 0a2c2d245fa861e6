"""Metrics against hand-computed and published numbers, and their invariants (hypothesis)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.core import metrics as m
from workbench.core.metrics import NpsCounts, ScaleSums


def test_nps_matches_the_published_case():
    # n = 1162: 291 promoters, 476 passives, 395 detractors -> NPS -8.95, 95 % margin of error 4.39 points.
    estimate = m.nps(NpsCounts(291, 476, 395))
    assert round(estimate.value, 2) == -8.95
    assert round(estimate.margin, 2) == 4.39
    assert estimate.n == 1162 and not estimate.low_n
    assert estimate.se == pytest.approx(100 * math.sqrt((291 / 1162 + 395 / 1162 - ((291 - 395) / 1162) ** 2) / 1162))


def test_nps_counts_follow_the_bands():
    assert m.nps_counts([0, 6, 7, 8, 9, 10, None, float("nan")]) == NpsCounts(promoters=2, passives=2, detractors=2)
    assert m.nps(m.nps_counts([10] * 40)).value == 100.0
    with pytest.raises(ValueError, match="NPS answer 11 is outside 0–10"):
        m.nps_counts([11])


def test_csat_mean_and_top_two_box_by_hand():
    sums = m.scale_sums([5, 4, 4, 3, 1], "csat")
    assert sums == ScaleSums(n=5, total=17, total_sq=67, top=3)
    mean = m.mean(sums)
    assert mean.value == pytest.approx(3.4)
    assert mean.se == pytest.approx(math.sqrt(2.3 / 5))                 # s² = 9.2 / 4
    assert mean.margin == pytest.approx(2.7764451 * math.sqrt(2.3 / 5))  # t(0.975, 4)
    assert mean.low_n
    assert m.top_box(sums).value == pytest.approx(60.0)


def test_ces_top_box_is_six_and_seven():
    sums = m.scale_sums([7, 6, 5, 1], "ces")
    assert (sums.top, m.top_box(sums).value) == (2, 50.0)
    with pytest.raises(ValueError, match="CES answer 0"):
        m.scale_sums([0], "ces")


@pytest.mark.parametrize("successes, n, low, high", [(1, 10, 0.0179, 0.4042), (81, 263, 0.2553, 0.3662)])
def test_wilson_interval_matches_newcombe_1998(successes, n, low, high):
    estimate = m.share(successes, n)
    assert (round(estimate.low / 100, 4), round(estimate.high / 100, 4)) == (low, high)


def test_composite_index_by_hand():
    estimates = {"nps": m.Estimate(20, 2, 0, 0, 100, False), "csat": m.Estimate(4.0, 0.1, 0, 0, 50, False),
                 "ces": m.Estimate(5.5, 0.2, 0, 0, 40, False)}
    index = m.composite(estimates)
    assert index.value == pytest.approx((60 + 75 + 75) / 3)
    assert index.se == pytest.approx(math.sqrt((0.5 * 2) ** 2 + (25 * 0.1) ** 2 + (100 / 6 * 0.2) ** 2) / 3)
    assert index.n == 40
    assert m.composite(estimates, {"nps": 2, "csat": 0, "ces": 0}).value == pytest.approx(60)


def test_difference_of_two_nps_values_by_hand():
    a, b = m.nps(NpsCounts(500, 300, 200)), m.nps(NpsCounts(400, 300, 300))
    comparison = m.compare(a, b)
    assert comparison.difference == pytest.approx(20.0)
    se = math.sqrt(a.se ** 2 + b.se ** 2)
    assert comparison.z == pytest.approx(20 / se)
    assert comparison.p_value < 1e-6
    assert m.compare(a, a).p_value == pytest.approx(1.0)


def test_small_and_empty_groups_are_flagged_not_hidden():
    assert m.nps(NpsCounts(10, 10, 9)).low_n and not m.nps(NpsCounts(10, 10, 10)).low_n
    empty = m.nps(NpsCounts())
    assert empty.n == 0 and empty.low_n and math.isnan(empty.value)


answers = st.lists(st.integers(0, 10), min_size=1, max_size=300)


@given(answers)
def test_nps_stays_in_range_and_its_interval_holds_it(scores):
    estimate = m.nps(m.nps_counts(scores))
    assert -100 <= estimate.low <= estimate.value <= estimate.high <= 100


@given(answers, answers)
def test_a_split_adds_up_to_the_whole(first, second):
    assert m.nps_counts(first) + m.nps_counts(second) == m.nps_counts(first + second)
    csat_first = [1 + s % 5 for s in first]
    csat_second = [1 + s % 5 for s in second]
    whole = m.scale_sums(csat_first + csat_second, "csat")
    parts = m.scale_sums(csat_first, "csat") + m.scale_sums(csat_second, "csat")
    assert (parts.n, parts.top) == (whole.n, whole.top)
    assert m.mean(parts).value == pytest.approx(m.mean(whole).value)


@given(st.integers(0, 500), st.integers(1, 500))
def test_shares_and_their_intervals_stay_in_0_100(successes, n):
    successes = min(successes, n)
    estimate = m.share(successes, n)
    assert 0 <= estimate.low <= estimate.value <= estimate.high <= 100


group = st.tuples(st.lists(st.integers(0, 10), max_size=40), st.lists(st.integers(1, 5), max_size=3),
                  st.lists(st.integers(1, 7), max_size=40))


@given(st.lists(group, min_size=1, max_size=8), st.sampled_from([None, {"nps": 1.0, "csat": 0.0, "ces": 3.0}]),
       st.sampled_from([0, 10]))
def test_estimate_frame_matches_the_scalar_functions_row_by_row(groups, weights, min_n):
    import pandas as pd

    sums = [(m.nps_counts(n), m.scale_sums(c, "csat"), m.scale_sums(e, "ces")) for n, c, e in groups]
    stats = pd.DataFrame([{"nps_n": counts.n, "promoters": counts.promoters, "passives": counts.passives,
                           "detractors": counts.detractors,
                           **{f"{name}_{field}": getattr(scale, attr) for name, scale in (("csat", csat), ("ces", ces))
                              for field, attr in (("n", "n"), ("sum", "total"), ("sumsq", "total_sq"), ("top", "top"))},
                           "rating_n": csat.n, "rating_sum": csat.total, "rating_sumsq": csat.total_sq}
                          for counts, csat, ces in sums])
    frame = m.estimate_frame(stats, 0.9, min_n, weights)
    assert list(frame.columns[:len(stats.columns)]) == list(stats.columns)
    for (counts, csat, ces), (_, found) in zip(sums, frame.iterrows(), strict=True):
        estimates = {"nps": m.nps(counts, 0.9, min_n), "csat": m.mean(csat, 0.9, min_n, (1, 5)), "ces": m.mean(ces, 0.9, min_n, (1, 7))}
        expected = {**estimates, "csat_top2": m.top_box(csat, 0.9, min_n), "ces_top2": m.top_box(ces, 0.9, min_n),
                    "index": m.composite(estimates, weights, 0.9, min_n),
                    "rating": m.mean(csat, 0.9, min_n)}  # a rating's scale is the client's: its interval is not cut
        for prefix, estimate in expected.items():
            for suffix, value in (("", estimate.value), ("_se", estimate.se), ("_low", estimate.low),
                                  ("_high", estimate.high)):
                assert found[prefix + suffix] == pytest.approx(value, abs=1e-9, nan_ok=True), prefix + suffix
            if not prefix.endswith("top2"):
                assert found[f"{prefix}_low_n"] == estimate.low_n, prefix
        assert found["index_n"] == expected["index"].n


def test_benjamini_hochberg_matches_r_p_adjust():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5, NA), "BH") → 0.025 0.05 0.05 0.025 0.5 NA
    q = m.benjamini_hochberg([0.01, 0.04, 0.03, 0.005, 0.5, float("nan")])
    assert q[:5] == pytest.approx([0.025, 0.05, 0.05, 0.025, 0.5])
    assert math.isnan(q[5])
    assert m.benjamini_hochberg([]) == []


@given(st.lists(st.floats(0, 1), min_size=1, max_size=40))
def test_benjamini_hochberg_never_lowers_a_p_value_and_keeps_the_order(p_values):
    q = m.benjamini_hochberg(p_values)
    assert all(qi >= pi - 1e-12 and qi <= 1 for pi, qi in zip(p_values, q, strict=True))
    ranked = sorted(range(len(p_values)), key=lambda i: p_values[i])
    assert all(q[a] <= q[b] + 1e-12 for a, b in zip(ranked, ranked[1:], strict=False))


def test_two_sided_p_of_known_z_values():
    assert float(m.two_sided_p(1.959964)) == pytest.approx(0.05, abs=1e-6)
    assert float(m.two_sided_p(-2.575829)) == pytest.approx(0.01, abs=1e-6)


def test_the_registry_names_scales_and_shows_every_metric():
    assert m.METRICS == ("csat", "nps", "ces", "stars", "index") and m.RATINGS == ("csat", "nps", "ces", "stars")
    assert m.MEANS == ("csat", "ces", "stars")
    assert {k: e.label for k, e in m.REGISTRY.items()} == {"csat": "CSAT", "nps": "NPS", "ces": "CES",
                                                           "stars": "Stars", "index": "CX index"}
    assert m.SCALES == {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7), "stars": (1, 5)}
    assert list(m.SCALES) == ["nps", "csat", "ces", "stars"]
    assert m.RANGES["nps"] == (-100.0, 100.0) and m.RANGES["index"] == (0.0, 100.0)
    assert (m.CSAT_TOP, m.CES_TOP, m.PROMOTER_AT, m.TOP_BOX["stars"]) == (4, 6, 9, 4)
    assert m.DECIMALS == {"csat": 2, "nps": 0, "ces": 2, "stars": 2, "index": 0}
    assert m.metric("stars").scale_name() == "mean, 1–5 stars" and m.metric("stars").answer_label() == "Stars 1–5"
    # Stars are no part of the index: the query keeps the cross-products of the index's three metrics only.
    assert m.CROSS_PAIRS == (("csat", "nps"), ("csat", "ces"), ("nps", "ces"))
    assert m.metric("ces").answer_label() == "CES 1–7" and m.metric("index").answer_label() == "CX index"
    assert m.metric("csat").scale_name() == "mean, 1–5"
    assert m.metric("nps").signed and not m.metric("csat").signed
    with pytest.raises(ValueError, match="Unknown metric 'rating'"):
        m.metric("rating")


def test_index_slope_and_to_index_by_hand():
    # One CSAT point is a quarter of the 0–100 index, one NPS point half an index point, one CES point a sixth.
    assert [m.metric(k).index_slope for k in ("csat", "nps", "ces", "index")] == pytest.approx([25, 0.5, 100 / 6, 1])
    assert m.to_index("csat", 4.0) == 75.0 and m.to_index("nps", 20.0) == 60.0 and m.to_index("ces", 4.0) == 50.0
    with pytest.raises(ValueError, match="No index scaling for 'index'"):
        m.to_index("index", 50.0)


def test_fine_groups_get_exactly_the_intervals_computed_one_by_one():
    """Tango's bisection and the t quantile run once per distinct input on large frames (metrics._distinct):
    the same numbers, bit for bit, as computing every group, empty groups (0/0) and broadcast scalars included."""
    import numpy as np

    from workbench.core import metrics as m

    rng = np.random.default_rng(5)
    n = rng.integers(0, 40, 5_000).astype(float)
    promoters = np.floor(rng.random(5_000) * (n + 1))
    detractors = np.floor(rng.random(5_000) * (n - promoters + 1))
    assert len(np.unique(np.column_stack([promoters, detractors, n]), axis=0)) < 5_000  # repeats to share
    low, high = m._tango_interval(promoters, detractors, n, 1.96)
    with np.errstate(divide="ignore", invalid="ignore"):
        _value, _se, shared_low, shared_high = m._nps_formula(promoters, detractors, n, 1.96)
        assert np.array_equal(shared_low, 100 * low, equal_nan=True)
        assert np.array_equal(shared_high, 100 * high, equal_nan=True)
        total = rng.random(5_000) * n * 5
        value, se, lo, hi = m._mean_formula(n, total, total * total / np.maximum(n, 1) + n, 0.95)
        from scipy.stats import t

        expected = t.ppf(0.975, n - 1) * se
        assert np.array_equal(hi, value + expected, equal_nan=True)
        many = n * 100_003  # counts too far apart for a table of every possible one: found by sorting instead
        value, se, lo, hi = m._mean_formula(many, total, total * total / np.maximum(many, 1) + many, 0.95)
        assert np.array_equal(hi, value + t.ppf(0.975, many - 1) * se, equal_nan=True)
        broadcast = m._nps_formula(promoters, detractors, 40.0, 1.96)[2]
        assert np.array_equal(broadcast, 100 * m._tango_interval(promoters, detractors, 40.0, 1.96)[0], equal_nan=True)


def test_one_metrics_estimates_are_those_of_the_full_frame(tmp_path):
    """estimate_frame(only=metric) adds exactly the columns and numbers the full frame has for that metric."""
    import datetime

    import pandas as pd

    from workbench.core import metrics as m
    from workbench.data import query

    rows = [
        {"touchpoint": t, "nps": (i * 7 + j) % 11, "csat": 1 + (i + j) % 5, "ces": 1 + (i * j) % 7}
        for t in ("a", "b", "c")
        for i in range(12)
        for j in range(i % 4 + 1)
    ]
    frame = pd.DataFrame(rows)
    frame["ts"] = datetime.datetime(2026, 1, 1)
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "s.parquet"
    pq.write_table(pa.Table.from_pandas(frame.astype({"nps": "int8", "csat": "int8", "ces": "int8"})), path)
    stats = query.scanned_statistics(query.Query((str(path),), by=("touchpoint",)))
    full = m.estimate_frame(stats)
    for metric in ("nps", "csat", "ces"):
        one = m.estimate_frame(stats, only=metric)
        names = [metric, f"{metric}_se", f"{metric}_low", f"{metric}_high", f"{metric}_low_n"]
        pd.testing.assert_frame_equal(one[names], full[names], check_exact=True)
        assert "index" not in one
    assert list(m.estimate_frame(stats, only="index").columns) == list(full.columns)


@given(st.lists(st.integers(1, 5), min_size=2, max_size=6), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_a_mean_interval_stays_on_its_scale_and_covers_whatever_the_t_interval_covers(answers, confidence):
    """Two to six CSAT answers: the t-interval may run far past 1–5 (−10.7 … 14.7 from a 2 and a 5); the mean
    cannot, so the interval is cut there, and the cut one holds every mean on the scale the uncut one holds."""
    sums = m.scale_sums(answers, "csat")
    cut, uncut = m.mean(sums, confidence, scale=(1, 5)), m.mean(sums, confidence)
    assert (cut.value, cut.se) == (uncut.value, uncut.se)
    if math.isnan(uncut.low):
        return
    assert cut.low == max(uncut.low, 1) and cut.high == min(uncut.high, 5)
    assert 1 <= cut.low <= cut.value <= cut.high <= 5
