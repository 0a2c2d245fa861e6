"""Score-to-money links: panel OLS with fixed effects and CR1 errors, customer groups, logistic link, money maths."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from workbench import metrics, roi


def tiny_panel(seed: int = 1, segments: int = 4, periods: int = 5) -> pd.DataFrame:
    """A small random panel with segment and period levels, a score and a noisy KPI."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame([(f"s{s}", p) for s in range(segments) for p in range(periods)],
                         columns=["branch", "period"])
    frame["nps"] = rng.normal(30, 15, len(frame))
    frame["kpi"] = (frame["branch"].str[1:].astype(int) * 3 + frame["period"] * 0.5 + 0.2 * frame["nps"]
                    + rng.normal(0, 2, len(frame)))
    return frame


def dummy_ols(frame: pd.DataFrame, period_effects: bool) -> tuple[float, float, int, int]:
    """Slope on nps and its CR1 SE from the explicit dummy regression and the explicit sandwich."""
    columns = [frame["nps"].to_numpy(), *pd.get_dummies(frame["branch"]).to_numpy(dtype=float).T]
    if period_effects:
        columns += list(pd.get_dummies(frame["period"], drop_first=True).to_numpy(dtype=float).T)
    x = np.column_stack(columns)
    y = frame["kpi"].to_numpy()
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    u = y - x @ beta
    bread = np.linalg.inv(x.T @ x)
    meat = np.zeros((x.shape[1],) * 2)
    for branch in frame["branch"].unique():
        rows = (frame["branch"] == branch).to_numpy()
        score = x[rows].T @ u[rows]
        meat += np.outer(score, score)
    n, g = len(y), frame["branch"].nunique()
    k = x.shape[1] - g  # the branch dummies are nested in the branch clusters: not counted (xtreg fe, reghdfe)
    covariance = g / (g - 1) * (n - 1) / (n - k) * bread @ meat @ bread
    return float(beta[0]), float(math.sqrt(covariance[0, 0])), n, g


# ------------------------------------------------------------------ panel link by hand


@pytest.mark.parametrize("period_effects", [True, False])
def test_panel_link_matches_the_dummy_regression_and_its_cr1_sandwich(period_effects):
    frame = tiny_panel()
    coefficient, se, n, g = dummy_ols(frame, period_effects)
    link = roi.panel_link(frame, "kpi", period_effects=period_effects)
    assert link.coefficient == pytest.approx(coefficient, rel=1e-10)
    assert link.se == pytest.approx(se, rel=1e-10)
    assert (link.n, link.groups, link.lag, link.log_kpi) == (n, g, 0, False)
    critical = stats.t.ppf(0.975, g - 1)
    assert (link.low, link.high) == pytest.approx((coefficient - critical * se, coefficient + critical * se))
    assert link.p == pytest.approx(2 * stats.t.sf(abs(coefficient / se), g - 1))
    assert link.supported == (link.p < 0.05)


def test_without_period_effects_the_slope_is_the_within_estimator():
    frame = tiny_panel(seed=7)
    demeaned = frame[["nps", "kpi"]] - frame.groupby("branch")[["nps", "kpi"]].transform("mean")
    slope = (demeaned["nps"] @ demeaned["kpi"]) / (demeaned["nps"] @ demeaned["nps"])
    residual = demeaned["kpi"] - slope * demeaned["nps"]
    link = roi.panel_link(frame, "kpi", period_effects=False)
    assert link.coefficient == pytest.approx(slope, rel=1e-10)
    assert link.r2_within == pytest.approx(1 - (residual @ residual) / (demeaned["kpi"] @ demeaned["kpi"]))


def test_a_log_kpi_gives_the_semi_elasticity_and_a_percent_sentence():
    frame = tiny_panel(seed=3)
    frame["revenue"] = np.exp(5 + 0.01 * frame["nps"] + frame["period"] * 0.1)
    link = roi.panel_link(frame, "revenue", log_kpi=True)
    assert link.coefficient == pytest.approx(0.01, rel=1e-8) and link.log_kpi
    assert link.sentence.startswith("Revenue rises 1.0") and " % per NPS point (95 % CI " in link.sentence
    assert link.sentence.endswith("20 branch-period rows).")


def test_the_lag_follows_periods_not_rows():
    frame = tiny_panel(seed=5, periods=6)
    earlier = frame.assign(period=frame["period"] + 1)[["branch", "period", "nps"]].rename(columns={"nps": "prev"})
    frame = frame.merge(earlier, on=["branch", "period"], how="left")
    frame["kpi"] = frame["branch"].str[1:].astype(int) + 0.3 * frame["prev"]
    # A missing month must not shift the segment's later months onto the wrong score.
    gappy = frame.drop(index=frame.index[(frame["branch"] == "s1") & (frame["period"] == 2)])
    link = roi.panel_link(gappy.drop(columns="prev"), "kpi", lag=1, period_effects=False)
    assert link.coefficient == pytest.approx(0.3, rel=1e-8)
    assert link.n == 4 * 5 - 2  # the first month of each segment has no earlier score; s1 loses months 2 and 3
    assert "per NPS point 1 period(s) earlier" in link.sentence


def test_panel_link_refuses_bad_input():
    frame = tiny_panel()
    with pytest.raises(ValueError, match="no column 'churn'"):
        roi.panel_link(frame, "churn")
    with pytest.raises(ValueError, match="positive"):
        roi.panel_link(frame.assign(kpi=frame["kpi"] - 1000), "kpi", log_kpi=True)
    with pytest.raises(ValueError, match="Too few rows"):
        roi.panel_link(frame[frame["branch"] == "s0"], "kpi")
    with pytest.raises(ValueError, match="Too few rows"):
        roi.panel_link(frame[frame["period"] < 1], "kpi")
    with pytest.raises(ValueError, match="does not vary"):
        roi.panel_link(frame.assign(nps=frame["branch"].str[1:].astype(float)), "kpi")


def test_a_link_survives_a_round_trip_through_json():
    link = roi.panel_link(tiny_panel(), "kpi")
    stored = json.loads(json.dumps(link.to_dict()))
    assert roi.Link.from_dict(stored) == link
    flat = roi.panel_link(tiny_panel().assign(kpi=lambda f: f["branch"].str[1:].astype(float)), "kpi")
    assert math.isnan(flat.r2_within)  # no variation within segments left to explain
    assert math.isnan(roi.Link.from_dict(json.loads(json.dumps(flat.to_dict()))).r2_within)


def test_a_link_without_evidence_says_so():
    rng = np.random.default_rng(0)
    frame = tiny_panel(segments=10, periods=8).assign(kpi=lambda f: rng.normal(0, 1, len(f)))
    link = roi.panel_link(frame, "kpi", alpha=1e-9)
    assert not link.supported
    assert link.sentence.endswith("): not significant, not supported by the data.")


# ------------------------------------------------------------------ panel from answers


def test_branch_month_scores_and_the_join_by_hand():
    answers = pd.DataFrame({
        "ts": pd.to_datetime(["2025-01-03", "2025-01-20", "2025-01-31 23:00", "2025-02-01", "2025-01-05",
                              "2025-01-06"], format="ISO8601"),
        "touchpoint": ["_overall"] * 4 + ["_overall", "delivery"],
        "branch": ["A", "A", "A", "A", "B", "A"],
        "nps": [10, 6, 8, 9, np.nan, 0],
        "csat": [5, 3, 4, 4, 2, 1],
    })
    scores = roi.branch_month_scores(answers)
    assert scores.to_dict("records") == [
        {"branch": "A", "period": pd.Timestamp("2025-01-01"), "nps": pytest.approx(0.0), "n": 3},
        {"branch": "A", "period": pd.Timestamp("2025-02-01"), "nps": pytest.approx(100.0), "n": 1}]
    csat = roi.branch_month_scores(answers, "csat")
    assert csat.set_index("branch")["csat"].tolist() == pytest.approx([4.0, 4.0, 2.0])
    kpis = pd.DataFrame({"period": [pd.Timestamp("2025-01-01").date(), pd.Timestamp("2025-02-01").date(),
                                    pd.Timestamp("2025-03-01").date()], "branch": "A", "revenue": [1.0, 2.0, 3.0]})
    panel = roi.join_panel(scores, kpis)
    assert panel[["revenue", "nps", "n"]].to_numpy().tolist() == [[1.0, 0.0, 3], [2.0, 100.0, 1]]
    with pytest.raises(ValueError, match="already has column nps"):
        roi.join_panel(scores, kpis.assign(nps=1.0))


# ------------------------------------------------------------------ customer level by hand


def test_by_group_uses_wilson_for_a_rate_and_t_for_a_mean():
    customers = pd.DataFrame({"nps": [10, 9, 9, 10, 7, 8, 3, 6, 0, np.nan],
                              "retained": [True, True, False, True, True, False, False, False, True, True],
                              "revenue": [10.0, 20.0, 30.0, 40.0, 5.0, 7.0, 1.0, 2.0, 6.0, 99.0]})
    rates = roi.by_group(customers, "retained")
    assert rates.index.tolist() == ["promoter", "passive", "detractor"]
    assert rates["n"].tolist() == [4, 2, 3]
    share = metrics.share(3, 4)
    assert rates.loc["promoter", ["mean", "low", "high"]].tolist() == pytest.approx(
        [share.value / 100, share.low / 100, share.high / 100])
    means = roi.by_group(customers, "revenue")
    margin = stats.t.ppf(0.975, 3) * np.std([10, 20, 30, 40], ddof=1) / 2
    assert means.loc["promoter", ["mean", "low", "high"]].tolist() == pytest.approx([25, 25 - margin, 25 + margin])
    empty = roi.by_group(customers[customers["nps"] > 6], "revenue")
    assert empty.loc["detractor", "n"] == 0 and math.isnan(empty.loc["detractor", "mean"])


def test_logistic_link_solves_the_score_equations_with_fisher_errors():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 11, 500).astype(float)
    y = rng.random(500) < 1 / (1 + np.exp(-(-1 + 0.3 * x)))
    link = roi.logistic_link(pd.DataFrame({"retained": y, "nps": x}))
    design = np.column_stack([np.ones_like(x), x])
    p = link.probability(x)
    assert design.T @ (y - p) == pytest.approx([0, 0], abs=1e-8)  # maximum likelihood: the score is zero
    information = design.T @ (design * (p * (1 - p))[:, None])
    assert link.se == pytest.approx(math.sqrt(np.linalg.inv(information)[1, 1]))
    assert link.low < link.coefficient < link.high and link.n == 500
    assert link.probability(10) == pytest.approx(1 / (1 + math.exp(-(link.intercept + 10 * link.coefficient))))
    with pytest.raises(ValueError, match="0/1"):
        roi.logistic_link(pd.DataFrame({"retained": x, "nps": x}))
    with pytest.raises(ValueError, match="did not converge"):
        roi.logistic_link(pd.DataFrame({"retained": x > 5, "nps": x}))


# ------------------------------------------------------------------ demo data


@pytest.fixture(scope="module")
def demo():
    """The demo data (generated once): the branch-month panel and the customers with their overall NPS."""
    from workbench import demodata
    from workbench.templates import load_template

    data = demodata.generate(load_template("ecommerce-delivery"))
    answers = data.survey.to_pandas()
    scores = roi.branch_month_scores(answers, "nps", touchpoint=data.effects.kpi_nps_touchpoint)
    panel = roi.join_panel(scores, data.kpi_period.to_pandas())
    overall = answers.loc[answers["touchpoint"] == data.effects.kpi_nps_touchpoint, ["respondent_id", "nps"]]
    customers = data.kpi_customer.to_pandas().merge(overall, on="respondent_id")
    return panel, customers, data.effects


def test_demo_revenue_link_recovers_the_planted_semi_elasticity(demo):
    panel, _, effects = demo
    link = roi.panel_link(panel, "revenue", log_kpi=True)
    assert link.low <= effects.revenue_semi_elasticity <= link.high
    assert link.supported and (link.n, link.groups) == (1200, 50)


def test_demo_churn_link_recovers_the_planted_slope(demo):
    panel, _, effects = demo
    link = roi.panel_link(panel, "churn_rate", period_effects=False)
    assert link.low <= effects.churn_slope <= link.high and link.supported
    assert link.sentence.startswith("Churn rate falls ")


def test_demo_zero_link_is_not_significant(demo):
    panel, _, effects = demo
    link = roi.panel_link(panel, effects.zero_link_kpi)
    assert not link.supported
    assert link.sentence.endswith("not supported by the data.")


def test_demo_retention_by_group_and_its_logistic_link(demo):
    _, customers, effects = demo
    rates = roi.by_group(customers, "retained")
    for group, truth in effects.retention_by_group.items():
        assert rates.loc[group, "low"] <= truth <= rates.loc[group, "high"]
    link = roi.logistic_link(customers)
    assert link.coefficient > 0 and link.supported
    assert link.probability(10) > link.probability(0)


# ------------------------------------------------------------------ money by hand


def test_clv_by_hand():
    assert roi.clv(100, 0.8, 0.1) == pytest.approx(80 / 0.3)
    assert roi.clv(100, 0.8, 0.1, years=2) == pytest.approx(100 * 0.8 / 1.1 + 100 * 0.64 / 1.21)
    assert roi.clv(100, 0.8, 0.1, years=0) == 0
    assert roi.clv(100, 0.8, 0.1, years=500) == pytest.approx(roi.clv(100, 0.8, 0.1))
    with pytest.raises(ValueError):
        roi.clv(100, 1.2, 0.1)
    with pytest.raises(ValueError):
        roi.clv(100, 1.0, 0.0)


def test_npv_payback_and_roi_by_hand():
    assert roi.npv(0.0, [100, 200, 300]) == pytest.approx(600)
    assert roi.npv(0.1, [0] * 11 + [110]) == pytest.approx(100)  # twelve months discount exactly one year
    monthly = 1.21 ** (1 / 12)
    assert roi.npv(0.21, [50, 50]) == pytest.approx(50 / monthly + 50 / monthly ** 2)
    assert roi.payback_months(300, [100] * 4) == 3
    assert roi.payback_months(301, [100] * 4) == 4
    assert roi.payback_months(500, [100] * 4) is None
    assert roi.payback_months(0, []) == 0
    assert roi.roi_percent(150, 100) == pytest.approx(50)
    assert roi.roi_percent(50, 100) == pytest.approx(-50)
    with pytest.raises(ValueError):
        roi.roi_percent(1, 0)


@given(st.lists(st.floats(0.01, 1e6), min_size=1, max_size=36), st.floats(0, 1), st.floats(0.001, 1))
def test_npv_falls_as_the_discount_rate_rises(flows, rate, step):
    assert roi.npv(rate + step, flows) < roi.npv(rate, flows)


@given(st.lists(st.floats(0, 1e4), max_size=36), st.floats(0, 1e5), st.floats(0, 1e5))
def test_a_higher_cost_never_pays_back_sooner(gains, cost, extra):
    sooner, later = roi.payback_months(cost, gains), roi.payback_months(cost + extra, gains)
    assert later is None or (sooner is not None and sooner <= later)


# ------------------------------------------------------------------ Monte Carlo


def test_simulate_without_uncertainty_is_the_hand_computed_scenario():
    link = roi.Link("revenue", "nps", 0.01, 0.0, 0.01, 0.01, 0.0, 100, 10, 0.5, True, 0, 0.95, True, "")
    result = roi.simulate(link, score_change=5, base_value=100, customers=1000, margin=0.2, cost=1000, months=12,
                          discount=0.1, draws=100)
    gain = 1000 * 0.2 * 100 * math.expm1(0.05) * roi.npv(0.1, [1.0] * 12)
    assert result.gain == pytest.approx((gain,) * 3)
    assert result.npv == pytest.approx((gain - 1000,) * 3)
    assert result.roi == pytest.approx((roi.roi_percent(gain, 1000),) * 3)
    assert result.p_roi_positive == 1.0 and result.supported


def test_simulate_is_seeded_and_orders_its_percentiles():
    link = roi.panel_link(tiny_panel(segments=8, periods=6), "kpi")
    first, again = (roi.simulate(link, 3, 0, 500, 0.3, 2200, 24, 0.08, seed=4) for _ in range(2))
    assert first == again
    assert first.npv[0] < first.npv[1] < first.npv[2] and 0 < first.p_roi_positive < 1


def test_the_p10_p90_gain_covers_the_true_gain_about_80_percent_of_the_time():
    rng = np.random.default_rng(11)
    truth, segments, periods, runs = 0.2, 30, 12, 200
    true_gain = 400 * 0.25 * truth * 2 * roi.npv(0.05, [1.0] * 6)
    layout = pd.DataFrame([(s, p) for s in range(segments) for p in range(periods)], columns=["branch", "period"])
    covered = 0
    for run in range(runs):
        score = rng.normal(30, 10, len(layout))
        kpi = (rng.normal(0, 5, segments)[layout["branch"]] + rng.normal(0, 2, periods)[layout["period"]]
               + truth * score + rng.normal(0, 3, len(layout)))
        link = roi.panel_link(layout.assign(nps=score, kpi=kpi), "kpi")
        result = roi.simulate(link, 2, 0, 400, 0.25, 100, 6, 0.05, draws=2000, seed=run)
        covered += result.gain[0] <= true_gain <= result.gain[2]
    assert 0.72 <= covered / runs <= 0.88, covered
