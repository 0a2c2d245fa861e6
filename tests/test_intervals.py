"""The NPS interval (Tango's score interval), NPS differences (MOVER + pooled score test) and the index SE with
covariances: hand-computed cases, invariants (hypothesis), a direct computation on raw rows, additivity."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.survey_files import write
from workbench.core import metrics as m
from workbench.core.metrics import NpsCounts
from workbench.data import query
from workbench.data.query import Query

Z = 1.959963984540054  # z(0.975)


def test_all_promoters_get_the_closed_form_bound_not_a_zero_width_interval():
    # P = n, D = 0: the constrained detractor share is q = (1 − Δ)/2, so the score is √n·√((1 − Δ)/(1 + Δ)) and
    # the bound solves (1 − Δ)/(1 + Δ) = z²/n: Δ = (n − z²)/(n + z²) = 26.158541/33.841459 for n = 30.
    estimate = m.nps(NpsCounts(30, 0, 0))
    assert (estimate.value, estimate.se, estimate.high) == (100.0, 0.0, 100.0)
    assert estimate.low == pytest.approx(100 * (30 - Z**2) / (30 + Z**2), abs=1e-9)
    assert estimate.low == pytest.approx(77.2973, abs=1e-4)
    assert m.nps(NpsCounts(0, 0, 30)).high == pytest.approx(-77.2973, abs=1e-4)


def test_all_passives_by_hand():
    # P = D = 0: q = 0 for Δ > 0, the score is −√(nΔ/(1 − Δ)); its bound is Δ = z²/(n + z²) = 3.841459/33.841459.
    estimate = m.nps(NpsCounts(0, 30, 0))
    assert estimate.value == 0.0 and estimate.se == 0.0
    assert estimate.high == pytest.approx(100 * Z**2 / (30 + Z**2), abs=1e-9) == pytest.approx(11.3513, abs=1e-4)
    assert estimate.low == pytest.approx(-estimate.high, abs=1e-9)


@pytest.mark.parametrize("promoters, passives, detractors", [(20, 5, 5), (3, 20, 7), (291, 476, 395), (1, 0, 0)])
def test_each_bound_is_where_tangos_score_reaches_z(promoters, passives, detractors):
    n = promoters + passives + detractors

    def score(delta):  # Tango (1998): q is the likelihood's detractor share given Δ, a root of 2n·q² + b·q + c
        b = -detractors - promoters + (2 * n - promoters + detractors) * delta
        c = -detractors * delta * (1 - delta)
        q = (math.sqrt(b * b - 8 * n * c) - b) / (4 * n)
        return (promoters - detractors - n * delta) / math.sqrt(n * (2 * q + delta * (1 - delta)))

    estimate = m.nps(NpsCounts(promoters, passives, detractors))
    if estimate.low > -100:
        assert score(estimate.low / 100) == pytest.approx(Z, abs=1e-6)
    if estimate.high < 100:
        assert score(estimate.high / 100) == pytest.approx(-Z, abs=1e-6)


def test_the_published_case_keeps_its_margin():
    # Rocks's interval for 291/476/395 is asymmetric around −8.95: −13.32 to −4.55, half-width 4.39 as published.
    estimate = m.nps(NpsCounts(291, 476, 395))
    assert (round(estimate.low, 2), round(estimate.high, 2), round(estimate.margin, 2)) == (-13.32, -4.55, 4.39)


nps_counts = st.tuples(st.integers(0, 400), st.integers(0, 400), st.integers(0, 400)).filter(lambda c: sum(c) > 0)


@given(nps_counts, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_the_interval_holds_the_estimate_stays_in_range_has_width_and_matches_the_frame(counts, confidence):
    estimate = m.nps(NpsCounts(*counts), confidence)
    assert -100 <= estimate.low <= estimate.value <= estimate.high <= 100
    assert estimate.high - estimate.low > 0
    frame = m.estimate_frame(
        pd.DataFrame([{"nps_n": sum(counts), "promoters": counts[0], "passives": counts[1], "detractors": counts[2]}]),
        confidence,
    ).iloc[0]
    assert (frame["nps"], frame["nps_se"], frame["nps_low"], frame["nps_high"]) == (
        estimate.value, estimate.se, estimate.low, estimate.high)


@given(nps_counts, st.sampled_from([0.9, 0.95]))
def test_a_wider_level_gives_a_wider_interval(counts, confidence):
    narrow, wide = m.nps(NpsCounts(*counts), confidence), m.nps(NpsCounts(*counts), 0.99)
    assert wide.low <= narrow.low + 1e-9 and wide.high >= narrow.high - 1e-9


def test_every_estimate_and_comparison_says_its_level():
    counts, sums = NpsCounts(20, 5, 5), m.ScaleSums(3, 12.0, 50.0, 2)
    for found in (m.nps(counts, 0.9), m.mean(sums, 0.9), m.top_box(sums, 0.9), m.nps(NpsCounts(), 0.9),
                  m.composite({"nps": m.nps(counts, 0.9)}, confidence=0.9), m.compare_nps(counts, counts, 0.9),
                  m.compare(m.nps(counts), m.nps(counts), 0.9)):
        assert found.confidence == 0.9
    assert m.nps(counts).confidence == m.compare_nps(counts, counts).confidence == 0.95


def test_nps_difference_by_hand():
    a, b = NpsCounts(500, 300, 200), NpsCounts(400, 300, 300)
    found = m.compare_nps(a, b)
    # Pooled under the null: p_P = 0.45, p_D = 0.25, variance 0.45 + 0.25 − 0.2² = 0.66 per answer.
    assert found.difference == pytest.approx(20.0)
    assert found.z == pytest.approx(20 / (100 * math.sqrt(0.66 * (1 / 1000 + 1 / 1000))))
    assert found.p_value == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(found.z / math.sqrt(2)))), abs=1e-12)
    assert found.se == pytest.approx(math.hypot(m.nps(a).se, m.nps(b).se))
    ea, eb = m.nps(a), m.nps(b)  # MOVER: each side's distance to its own bound, combined in quadrature
    assert found.low == pytest.approx(20 - math.hypot(ea.value - ea.low, eb.high - eb.value))
    assert found.high == pytest.approx(20 + math.hypot(ea.high - ea.value, eb.value - eb.low))


def test_nps_difference_at_the_edges_and_when_empty():
    same = m.compare_nps(NpsCounts(30, 0, 0), NpsCounts(30, 0, 0))
    assert (same.difference, same.z, same.p_value) == (0.0, 0.0, 1.0)
    assert same.low < 0 < same.high  # two all-promoter cells of 30 do not prove the same NPS to the point
    # A cell of 30 without detractors against a large rest: the Wald SE of the cell is 0, the pooled one is not.
    cell, rest = NpsCounts(30, 0, 0), NpsCounts(1500, 300, 200)
    assert m.compare(m.nps(cell), m.nps(rest)).p_value < 1e-7
    assert 1e-4 < m.compare_nps(cell, rest).p_value < 0.05
    empty = m.compare_nps(NpsCounts(), cell)
    assert all(math.isnan(x) for x in (empty.difference, empty.se, empty.z, empty.p_value, empty.low, empty.high))


@given(nps_counts, nps_counts)
@settings(max_examples=60)
def test_nps_difference_invariants_and_scalar_equals_arrays(a, b):
    found = m.compare_nps(NpsCounts(*a), NpsCounts(*b))
    assert -200 <= found.low <= found.difference <= found.high <= 200 and found.high > found.low
    assert 0 <= found.p_value <= 1
    arrays = m.nps_difference_formula(np.array([a[0]]), np.array([a[2]]), np.array([sum(a)]), np.array([b[0]]),
                                      np.array([b[2]]), np.array([sum(b)]), m.z_value())
    assert [float(x[0]) for x in arrays] == pytest.approx(
        [found.difference, found.se, found.z, found.p_value, found.low, found.high], abs=1e-12)


# ------------------------------------------------------------------ the index with covariances


def test_composite_with_a_covariance_by_hand():
    estimates = {"nps": m.Estimate(20, 2, 0, 0, 100, False), "csat": m.Estimate(4.0, 0.1, 0, 0, 50, False),
                 "ces": m.Estimate(5.5, 0.2, 0, 0, 40, False)}
    index = m.composite(estimates, covariances={("csat", "nps"): 0.12, ("ces", "csat"): -0.01})
    # Var = Σ (slope·se)² + 2·slope_nps·slope_csat·0.12 + 2·slope_csat·slope_ces·(−0.01), over 3².
    variance = (0.5 * 2) ** 2 + (25 * 0.1) ** 2 + (100 / 6 * 0.2) ** 2 + 2 * 0.5 * 25 * 0.12 - 2 * 25 * 100 / 6 * 0.01
    assert index.se == pytest.approx(math.sqrt(variance) / 3)
    assert index.value == pytest.approx((60 + 75 + 75) / 3)


def raw_rows(seed: int, size: int) -> pd.DataFrame:
    """Correlated answers (a shared experience) on two touchpoints, with some answers missing."""
    rng = np.random.default_rng(seed)
    y = rng.normal(0, 1, size)
    frame = pd.DataFrame({
        "touchpoint": rng.choice(["web", "cart"], size),
        "region": rng.choice(["N", "S", "E"], size),
        "nps": np.clip(np.round(7 + 2.5 * y + rng.normal(0, 1, size)), 0, 10),
        "csat": np.clip(np.round(3.5 + 1.0 * y + rng.normal(0, 0.7, size)), 1, 5),
        "ces": np.clip(np.round(5 + 1.2 * y + rng.normal(0, 0.9, size)), 1, 7),
    })
    for metric, share in (("nps", 0.1), ("csat", 0.2), ("ces", 0.3)):
        frame[metric] = frame[metric].mask(rng.random(size) < share).astype("Int8")
    return frame


def direct_index_se(rows: pd.DataFrame) -> float:
    """The index SE computed straight from the rows: a_j a_k Cov(mean_j, mean_k) over all pairs (equal weights)."""
    score = {"nps": 100.0 * ((rows["nps"] >= 9).astype(float) - (rows["nps"] <= 6).astype(float)),
             "csat": rows["csat"].astype(float), "ces": rows["ces"].astype(float)}
    score = {k: v.where(rows[k].notna()) for k, v in score.items()}
    slope = {"nps": 0.5, "csat": 25.0, "ces": 100 / 6}
    n = {k: int(v.notna().sum()) for k, v in score.items()}
    variance = 0.0
    for j in score:
        for k in score:
            if j == k:  # the metrics' own variances: NPS's multinomial (divisor n), the means' s² (divisor n − 1)
                ddof = 0 if j == "nps" else 1
                cov = np.var(score[j].dropna().to_numpy(), ddof=ddof) / n[j]
            else:  # rows that answered both, divisor n_jk
                both = score[j].notna() & score[k].notna()
                n_jk = int(both.sum())
                cov = n_jk * np.cov(score[j][both], score[k][both], ddof=0)[0, 1] / (n[j] * n[k])
            variance += slope[j] * slope[k] * cov
    return math.sqrt(variance) / 3


def test_the_index_se_matches_a_direct_computation_on_raw_rows(tmp_path):
    rows = raw_rows(7, 400)
    path = write(tmp_path / "rows.parquet", **{c: [None if pd.isna(v) else v for v in rows[c]] for c in rows})
    result = query.aggregate(Query((path,), by=("touchpoint",)))
    for _, found in result.iterrows():
        expected = direct_index_se(rows[rows["touchpoint"] == found["touchpoint"]])
        assert found["index_se"] == pytest.approx(expected, rel=1e-9)
        # The metrics correlate positively: the independence formula understated the SE.
        independent = m.composite({k: m.Estimate(found[k], found[f"{k}_se"], 0, 0, found[f"{k}_n"], False)
                                   for k in ("nps", "csat", "ces")})
        assert found["index_se"] > 1.2 * independent.se


def test_without_cross_products_the_frame_falls_back_to_independence(tmp_path):
    path = write(tmp_path / "rows.parquet", touchpoint=["web"] * 4, nps=[10, 9, 3, 7], csat=[5, 4, 2, 3],
                 ces=[7, 6, 2, 5])
    result = query.aggregate(Query((path,)))
    cross = [name for pair in m.CROSS_PAIRS for name in m.cross_columns(*pair)]
    old = m.estimate_frame(result[[c for c in query.statistic_columns(result) if c not in cross]]).iloc[0]
    estimates = {k: m.Estimate(old[k], old[f"{k}_se"], 0, 0, old[f"{k}_n"], False) for k in ("nps", "csat", "ces")}
    assert old["index_se"] == pytest.approx(m.composite(estimates).se)
    assert result["index_se"].iloc[0] > old["index_se"]


def test_cross_products_by_hand_and_additive_under_rollup_and_rest(tmp_path):
    rows = raw_rows(11, 300)
    path = write(tmp_path / "rows.parquet", **{c: [None if pd.isna(v) else v for v in rows[c]] for c in rows})
    whole = query.aggregate(Query((path,), by=()))
    nps = 100 * ((rows["nps"] >= 9).fillna(False).astype(int) - (rows["nps"] <= 6).fillna(False).astype(int))
    both = rows["nps"].notna() & rows["csat"].notna()
    n, total_csat, total_nps, product = m.cross_columns("csat", "nps")
    assert whole[n].iloc[0] == both.sum()
    assert whole[total_csat].iloc[0] == rows["csat"][both].astype(int).sum()
    assert whole[total_nps].iloc[0] == nps[both].sum()
    assert whole[product].iloc[0] == (rows["csat"][both].astype(int) * nps[both]).sum()
    by_region = query.aggregate(Query((path,), by=("touchpoint", "region")))
    by_touchpoint = query.aggregate(Query((path,), by=("touchpoint",)))
    cross = [name for pair in m.CROSS_PAIRS for name in m.cross_columns(*pair)]
    assert set(cross) <= set(query.statistic_columns(by_region))
    rolled = query.rollup(by_region, ["touchpoint"])
    pd.testing.assert_frame_equal(rolled, by_touchpoint[rolled.columns], check_dtype=False)
    others = query.rest(by_region, by_touchpoint, ["touchpoint"])
    web_n = by_region[(by_region["touchpoint"] == "web") & (by_region["region"] == "N")].iloc[0]
    web = by_touchpoint[by_touchpoint["touchpoint"] == "web"].iloc[0]
    rest_n = others[(others["touchpoint"] == "web") & (others["region"] == "N")].iloc[0]
    for name in cross:
        assert rest_n[name] == web[name] - web_n[name], name
    direct = rows[(rows["touchpoint"] == "web") & (rows["region"] != "N")]
    assert rest_n["index_se"] == pytest.approx(direct_index_se(direct), rel=1e-9)
