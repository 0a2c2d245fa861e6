"""Score-to-money links: panel OLS with fixed effects, corrected for the score's sampling noise, with CR2 errors;
customer groups, money maths."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from workbench.analysis import roi
from workbench.core import formatting, metrics


def tiny_panel(seed: int = 1, segments: int = 4, periods: int = 5) -> pd.DataFrame:
    """A small random panel with segment and period levels, a score and a noisy KPI."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame([(f"s{s}", p) for s in range(segments) for p in range(periods)],
                         columns=["branch", "period"])
    frame["nps"] = rng.normal(30, 15, len(frame))
    frame["kpi"] = (frame["branch"].str[1:].astype(int) * 3 + frame["period"] * 0.5 + 0.2 * frame["nps"]
                    + rng.normal(0, 2, len(frame)))
    return frame


def dummies(frame: pd.DataFrame, period_effects: bool) -> np.ndarray:
    """The segment dummies and, if asked, the period dummies but the first."""
    columns = [*pd.get_dummies(frame["branch"]).to_numpy(dtype=float).T]
    if period_effects:
        columns += list(pd.get_dummies(frame["period"], drop_first=True).to_numpy(dtype=float).T)
    return np.column_stack(columns)


def dummy_ols(frame: pd.DataFrame, period_effects: bool) -> tuple[float, float, int, int]:
    """Slope on nps from the explicit dummy regression and its CR2 SE from the explicit Bell–McCaffrey matrices."""
    effects = dummies(frame, period_effects)
    x = np.column_stack([frame["nps"].to_numpy(), effects])
    y = frame["kpi"].to_numpy()
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    u = y - x @ beta
    # The within regressor (nps with the dummies partialled out); its hat matrix within a cluster is H_gg.
    within = x[:, 0] - effects @ np.linalg.lstsq(effects, x[:, 0], rcond=None)[0]
    sxx = within @ within
    meat = 0.0
    for branch in frame["branch"].unique():
        rows = (frame["branch"] == branch).to_numpy()
        values, vectors = np.linalg.eigh(np.eye(rows.sum()) - np.outer(within[rows], within[rows]) / sxx)
        adjust = vectors @ np.diag(values ** -0.5) @ vectors.T  # (I − H_gg)^(−1/2)
        meat += (within[rows] @ adjust @ u[rows]) ** 2
    return float(beta[0]), float(math.sqrt(meat) / sxx), len(y), frame["branch"].nunique()


# ------------------------------------------------------------------ panel link by hand


@pytest.mark.parametrize("period_effects", [True, False])
def test_panel_link_matches_the_dummy_regression_and_its_cr2_sandwich(period_effects):
    frame = tiny_panel()
    coefficient, se, n, g = dummy_ols(frame, period_effects)
    link = roi.panel_link(frame, "kpi", period_effects=period_effects)
    assert link.coefficient == pytest.approx(coefficient, rel=1e-10)
    assert link.se == pytest.approx(se, rel=1e-10)
    assert (link.n, link.groups, link.lag, link.log_kpi, link.reliability) == (n, g, 0, False, 1.0)
    critical = stats.t.ppf(0.975, g - 1)
    assert (link.low, link.high) == pytest.approx((coefficient - critical * se, coefficient + critical * se))
    assert link.p == pytest.approx(2 * stats.t.sf(abs(coefficient / se), g - 1))
    assert link.supported == (link.p < 0.05)


@pytest.mark.parametrize("period_effects", [True, False])
def test_the_sampling_noise_is_taken_out_of_the_within_sum_of_squares(period_effects):
    frame = tiny_panel(seed=4, segments=6, periods=7).iloc[:-2]  # unbalanced: the last segment misses two periods
    frame = frame.assign(noise=np.linspace(5.0, 40.0, len(frame)))
    effects = dummies(frame, period_effects)
    hat = effects @ np.linalg.pinv(effects)
    if not period_effects:  # the within transform keeps 1 − 1/T_i of a cell's noise
        assert np.diag(hat) == pytest.approx(1 / frame.groupby("branch")["nps"].transform("size").to_numpy())
    within = (np.eye(len(frame)) - hat) @ frame[["nps", "kpi"]].to_numpy()
    noise = float(frame["noise"] @ (1 - np.diag(hat)))
    signal = within[:, 0] @ within[:, 0] - noise
    link = roi.panel_link(frame, "kpi", noise="noise", period_effects=period_effects)
    assert link.coefficient == pytest.approx(within[:, 0] @ within[:, 1] / signal, rel=1e-9)
    assert link.reliability == pytest.approx(signal / (within[:, 0] @ within[:, 0]), rel=1e-9)
    assert "corrected for the sampling noise of the NPS per branch-period, reliability 0." in link.sentence
    exact = roi.panel_link(frame, "kpi", period_effects=period_effects)
    assert abs(exact.coefficient) < abs(link.coefficient)  # the noise attenuated the uncorrected slope


def test_the_corrected_link_recovers_a_slope_the_noise_attenuates_and_covers_it():
    rng = np.random.default_rng(20)
    truth, segments, periods, runs = 0.2, 30, 12, 60
    layout = pd.DataFrame([(s, p) for s in range(segments) for p in range(periods)], columns=["branch", "period"])
    naive, corrected, covered = [], [], 0
    for _run in range(runs):
        true_nps = rng.normal(30, 12, segments)[layout["branch"]] + rng.normal(0, 12, len(layout))
        variance = 10_000 * 0.6 / rng.integers(20, 50, len(layout))  # ~33 answers a cell: SE² about 200
        kpi = (rng.normal(0, 5, segments)[layout["branch"]] + rng.normal(0, 2, periods)[layout["period"]]
               + truth * true_nps + rng.normal(0, 2, len(layout)))
        panel = layout.assign(nps=true_nps + rng.normal(0, np.sqrt(variance)), kpi=kpi, noise=variance)
        naive.append(roi.panel_link(panel, "kpi").coefficient)
        link = roi.panel_link(panel, "kpi", noise="noise")
        corrected.append(link.coefficient)
        covered += link.low <= truth <= link.high
    assert np.mean(naive) < 0.5 * truth  # reliability about 144/(144 + 200): the plain slope is under half the truth
    assert np.mean(corrected) == pytest.approx(truth, rel=0.1)
    assert covered >= 0.85 * runs


@given(st.lists(st.floats(-50, 50), min_size=5, max_size=5), st.lists(st.floats(-50, 50), min_size=6, max_size=6),
       st.floats(0.5, 20))
def test_segment_and_period_levels_and_the_kpi_s_scale_leave_the_link_s_t_as_it_was(segment_levels, period_levels,
                                                                                     scale):
    frame = tiny_panel(seed=12, segments=5, periods=6).assign(noise=20.0)
    link = roi.panel_link(frame, "kpi", noise="noise")
    moved = frame.assign(kpi=scale * frame["kpi"] + np.take(segment_levels, frame["branch"].str[1:].astype(int))
                         + np.take(period_levels, frame["period"]))
    again = roi.panel_link(moved, "kpi", noise="noise")
    assert again.coefficient == pytest.approx(scale * link.coefficient, rel=1e-6, abs=1e-9)
    assert again.se == pytest.approx(scale * link.se, rel=1e-6, abs=1e-9)
    assert again.reliability == pytest.approx(link.reliability, rel=1e-9)


def test_a_score_that_is_mostly_noise_gives_no_link():
    frame = tiny_panel(seed=8, segments=10, periods=6).assign(noise=15.0**2)  # the score's spread is its noise
    with pytest.raises(ValueError, match="cannot be separated from the sampling noise of the NPS per branch-period"):
        roi.panel_link(frame, "kpi", noise="noise")


def test_the_noise_column_moves_with_the_lagged_score():
    frame = tiny_panel(seed=9, segments=6, periods=8).assign(noise=lambda f: 10.0 + f["period"])
    earlier = frame.assign(period=frame["period"] + 1)[["branch", "period", "nps", "noise"]]
    shifted = frame.drop(columns=["nps", "noise"]).merge(earlier, on=["branch", "period"])
    lagged = roi.panel_link(frame, "kpi", noise="noise", lag=1)
    assert lagged.coefficient == pytest.approx(roi.panel_link(shifted, "kpi", noise="noise").coefficient, rel=1e-12)
    assert lagged.n == 6 * 7


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


def test_with_dates_the_lag_counts_calendar_months_even_when_a_month_is_missing_everywhere():
    frame = tiny_panel(seed=6, periods=6)
    frame["period"] = pd.to_datetime("2026-01-01") + pd.to_timedelta(frame["period"] * 31, unit="D")
    frame["period"] = frame["period"].dt.to_period("M").dt.to_timestamp()
    earlier = frame.assign(period=frame["period"] + pd.DateOffset(months=1))[["branch", "period", "nps"]]
    frame = frame.merge(earlier.rename(columns={"nps": "prev"}), on=["branch", "period"], how="left")
    frame["kpi"] = frame["branch"].str[1:].astype(int) + 0.3 * frame["prev"]
    without_march = frame[frame["period"] != "2026-03-01"].drop(columns="prev")
    link = roi.panel_link(without_march, "kpi", lag=1, period_effects=False)
    assert link.coefficient == pytest.approx(0.3, rel=1e-8)
    assert link.n == 4 * 3  # January has no earlier month, March is gone and April's earlier month with it


def test_a_kpi_the_effects_explain_exactly_is_not_supported():
    frame = tiny_panel(seed=2)
    frame["kpi"] = frame["branch"].str[1:].astype(int) * 3.0 + frame["period"] * 0.5
    assert not roi.panel_link(frame, "kpi").supported


def test_a_zero_standard_error_is_no_evidence():
    model = roi.score_model(survey_answers(), ["a", "b"])
    exact = dataclasses.replace(model, covariance=((0.0, 0.0), (0.0, 0.0)))
    assert math.isnan(exact.p("a"))
    result = roi.evaluate(roi.Assumptions(changes={"a": 0.2}, base=1e5, cost=10), certain_link(), exact)
    assert result.doubts == ("The effect of a on the overall NPS is not significant.",)


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
    older = {k: v for k, v in stored.items() if k != "reliability"}  # stored before the noise correction
    assert roi.Link.from_dict(older).reliability == 1.0
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
    # January's answers count +100, −100 and 0: variance 10 000 (n − 1 = 2), so SE² = 10 000/3; February's one
    # answer takes the pooled variance of the cells, 10 000.
    assert scores.to_dict("records") == [
        {"branch": "A", "period": pd.Timestamp("2025-01-01"), "nps": pytest.approx(0.0), "n": 3,
         roi.NOISE: pytest.approx(10_000 / 3)},
        {"branch": "A", "period": pd.Timestamp("2025-02-01"), "nps": pytest.approx(100.0), "n": 1,
         roi.NOISE: pytest.approx(10_000)}]
    csat = roi.branch_month_scores(answers, "csat")
    assert csat.set_index("branch")["csat"].tolist() == pytest.approx([4.0, 4.0, 2.0])
    assert csat[roi.NOISE].tolist() == pytest.approx([1 / 3, 1.0, 1.0])  # CSAT 5, 3, 4: variance 1
    kpis = pd.DataFrame({"period": [pd.Timestamp("2025-01-01").date(), pd.Timestamp("2025-02-01").date(),
                                    pd.Timestamp("2025-03-01").date()], "branch": "A", "revenue": [1.0, 2.0, 3.0]})
    panel = roi.join_panel(scores, kpis)
    assert panel[["revenue", "nps", "n", roi.NOISE]].to_numpy() == pytest.approx(
        np.array([[1.0, 0.0, 3, 10_000 / 3], [2.0, 100.0, 1, 10_000]]))
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


# ------------------------------------------------------------------ demo data


@pytest.fixture(scope="module")
def demo():
    """The demo data (generated once): the branch-month panel and the customers with their overall NPS."""
    from workbench.data import demodata
    from workbench.data.templates import load_template

    data = demodata.generate(load_template("ecommerce-delivery"))  # branch-month effects, KPIs from the true NPS
    answers = data.survey.to_pandas()
    scores = roi.branch_month_scores(answers, "nps", touchpoint=data.effects.kpi_nps_touchpoint)
    panel = roi.join_panel(scores, data.kpi_period.to_pandas())
    overall = answers.loc[answers["touchpoint"] == data.effects.kpi_nps_touchpoint, ["respondent_id", "nps"]]
    customers = data.kpi_customer.to_pandas().merge(overall, on="respondent_id")
    return panel, customers, data.effects


def test_demo_revenue_link_recovers_the_planted_semi_elasticity(demo):
    panel, _, effects = demo
    link = roi.panel_link(panel, "revenue", log_kpi=True, noise=roi.NOISE)
    assert link.low <= effects.revenue_semi_elasticity <= link.high
    assert link.supported and (link.n, link.groups) == (1200, 50)
    # The KPIs follow the true NPS: the one measured from ~33 answers a cell attenuates the uncorrected slope.
    assert 0.3 < link.reliability < 0.8
    assert roi.panel_link(panel, "revenue", log_kpi=True).high < effects.revenue_semi_elasticity


def test_demo_churn_link_recovers_the_planted_slope(demo):
    panel, _, effects = demo
    link = roi.panel_link(panel, "churn_rate", period_effects=False, noise=roi.NOISE)
    assert link.low <= effects.churn_slope <= link.high and link.supported
    assert link.sentence.startswith("Churn rate falls ")


def test_demo_zero_link_is_not_significant(demo):
    panel, _, effects = demo
    link = roi.panel_link(panel, effects.zero_link_kpi, noise=roi.NOISE)
    assert not link.supported
    assert link.sentence.endswith("not supported by the data.")


def test_demo_retention_by_group(demo):
    _, customers, effects = demo
    rates = roi.by_group(customers, "retained")
    for group, truth in effects.retention_by_group.items():
        assert rates.loc[group, "low"] <= truth <= rates.loc[group, "high"]


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


def test_a_churn_point_is_worth_minus_the_clv_of_one_percent_of_the_customers():
    lifetime, value = roi.churn_point_value(600, 0.8, 0.08, 20_000)
    assert lifetime == pytest.approx(480 / 0.28)  # 600 × 0.8 / (1 + 0.08 − 0.8) = 1 714.29
    assert value == pytest.approx(-480 / 0.28 * 200)  # one point of 20 000 customers is 200 of them: −342 857.14
    assert roi.churn_point_value(100, 0.5, 0.0, 0) == (pytest.approx(100.0), 0.0)
    with pytest.raises(ValueError):
        roi.churn_point_value(600, 1.5, 0.08, 20_000)


def test_npv_by_hand():
    assert roi.npv(0.0, [100, 200, 300]) == pytest.approx(600)
    assert roi.npv(0.1, [0] * 11 + [110]) == pytest.approx(100)  # twelve months discount exactly one year
    monthly = 1.21 ** (1 / 12)
    assert roi.npv(0.21, [50, 50]) == pytest.approx(50 / monthly + 50 / monthly ** 2)


@given(st.lists(st.floats(0.01, 1e6), min_size=1, max_size=36), st.floats(0, 1), st.floats(0.001, 1))
def test_npv_falls_as_the_discount_rate_rises(flows, rate, step):
    assert roi.npv(rate + step, flows) < roi.npv(rate, flows)


# ------------------------------------------------------------------ touchpoint ratings to the overall NPS


def survey_answers(seed: int = 3, people: int = 400) -> pd.DataFrame:
    """Long answers: every respondent rates 'a' and 'b', half of them 'c', and answers the overall NPS."""
    rng = np.random.default_rng(seed)
    rows = []
    for person in range(people):
        a, b, c = rng.integers(1, 6, 3)
        rated_c = person % 2 == 0
        overall = int(np.clip(round(1.2 * a + 0.4 * b + (0.3 * c if rated_c else 0) + rng.normal(0, 1.5)), 0, 10))
        rows += [(person, "a", a, None), (person, "b", b, None), (person, "_overall", None, overall)]
        if rated_c:
            rows.append((person, "c", c, None))
    return pd.DataFrame(rows, columns=["respondent_id", "touchpoint", "csat", "nps"])


def test_score_model_is_ols_of_nps_points_with_hc1_errors():
    answers = survey_answers()
    model = roi.score_model(answers, ["a", "b"])
    wide = answers.pivot_table(index="respondent_id", columns="touchpoint", values=["csat", "nps"])
    overall = wide[("nps", "_overall")].to_numpy()
    y = 100.0 * (overall >= 9) - 100.0 * (overall <= 6)
    x = np.column_stack([np.ones(len(wide)), wide[("csat", "a")], wide[("csat", "b")]])
    beta = np.linalg.solve(x.T @ x, x.T @ y)
    u = y - x @ beta
    bread = np.linalg.inv(x.T @ x)
    covariance = len(y) / (len(y) - 3) * bread @ (x.T * u ** 2) @ x @ bread
    assert model.slopes == pytest.approx(tuple(beta[1:]))
    assert np.asarray(model.covariance) == pytest.approx(covariance[1:, 1:])
    assert model.n == 400 and model.reach == (1.0, 1.0) and model.slope("a") > model.slope("b") > 0
    assert model.interval("a")[0] < model.slope("a") < model.interval("a")[1] and model.p("a") < 0.001
    assert roi.ScoreModel.from_dict(json.loads(json.dumps(model.to_dict()))) == model


def test_score_model_reach_is_the_share_of_overall_respondents_who_rated():
    model = roi.score_model(survey_answers(), ["a", "c"])
    assert model.reach == (1.0, 0.5) and model.n == 200
    with pytest.raises(ValueError, match="not in the driver model"):
        model.slope("b")
    with pytest.raises(ValueError, match="No CSAT ratings of zzz"):
        roi.score_model(survey_answers(), ["zzz"])


def test_score_model_reach_leaves_out_pulse_respondents_and_respondents_without_an_overall_score():
    """Reach counts journey respondents (two or more touchpoints rated) with an overall score: 100 pulse
    respondents who rated only a, and 50 who rated a and c without an overall answer, change neither it nor n."""
    answers = survey_answers()
    pulse = pd.DataFrame({"respondent_id": range(1000, 1100), "touchpoint": "a", "csat": 4.0, "nps": None})
    pulse_overall = pulse.assign(touchpoint="_overall", csat=None, nps=9)
    silent = pd.DataFrame({"respondent_id": np.repeat(np.arange(2000, 2050), 2), "touchpoint": ["a", "c"] * 50,
                           "csat": 3.0, "nps": None})  # fmt: skip
    model = roi.score_model(pd.concat([answers, pulse, pulse_overall, silent], ignore_index=True), ["a", "c"])
    assert model.reach == (1.0, 0.5) and model.n == 200
    assert model == roi.score_model(answers, ["a", "c"])


def test_fitted_score_model_equals_the_model_on_the_driver_rows_touchpoints():
    """fit_score_model builds one respondent table of NPS points for the driver rows and the model: the same model
    as score_model on the touchpoints model_rows keeps, with respondents who answered twice (their points
    averaged, not their answers), pulse respondents who rated one touchpoint, and a touchpoint rated too rarely."""
    from workbench.analysis import drivers
    from workbench.core.scenario import Scenario

    rng = np.random.default_rng(11)
    answers = survey_answers(seed=5, people=300).assign(branch=lambda f: "B" + (f["respondent_id"] % 7).astype(str))
    again = answers[(answers["respondent_id"] % 5 == 0) & (answers["touchpoint"] == "_overall")]
    again = again.assign(nps=rng.integers(0, 11, len(again)))
    pulse = pd.DataFrame({"respondent_id": range(1000, 1060), "touchpoint": "a", "csat": rng.integers(1, 6, 60),
                          "nps": None, "branch": "B1"})
    pulse_overall = pulse.assign(touchpoint="_overall", csat=None, nps=rng.integers(0, 11, 60))
    rare = answers[(answers["respondent_id"] % 10 == 1) & (answers["touchpoint"] == "a")].assign(touchpoint="rare")
    answers = pd.concat([answers, again, pulse, pulse_overall, rare], ignore_index=True)
    scenario = Scenario("s", 1, "kpis", "revenue")

    model, note = roi.fit_score_model(answers, scenario)

    rows = drivers.model_rows(answers, "nps", "csat")
    assert rows.kept == ["a", "b", "c"] and "rare" in rows.excluded and note == rows.note
    assert model == roi.score_model(answers, rows.kept)


# ------------------------------------------------------------------ scenario chain


def certain_link(coefficient: float = 0.01, log_kpi: bool = True, lag: int = 0, supported: bool = True) -> roi.Link:
    """A link without sampling uncertainty, for hand-computed scenarios."""
    return roi.Link("revenue", "nps", coefficient, 0.0, coefficient, coefficient, 0.0, 100, 10, 0.5, log_kpi, lag,
                    0.95, supported, "")


def test_a_scenario_without_uncertainty_is_the_hand_computed_chain():
    assumptions = roi.Assumptions(overall_change=5, base=100_000, value_per_unit=0.2, cost=1000, months=12,
                                  discount=0.1)
    result = roi.evaluate(assumptions, certain_link(), draws=100)
    monthly = 100_000 * math.expm1(0.05) * 0.2
    gain = monthly * roi.npv(0.1, [1.0] * 12)
    assert result.kpi_change == pytest.approx(100_000 * math.expm1(0.05))
    assert result.monthly_gain == pytest.approx(monthly) and result.gain == pytest.approx(gain)
    assert result.npv == pytest.approx(gain - 1000) and result.roi == pytest.approx(100 * (gain - 1000) / 1000)
    assert monthly > 1000 and result.payback == 1  # the first month's gain covers the cost
    assert result.npv_range == pytest.approx((gain - 1000,) * 3)
    assert result.p_roi_positive == 1.0 and result.supported and result.contributions == (("overall", gain),)


def test_a_linear_link_with_a_lag_pays_from_the_month_after_the_lag():
    assumptions = roi.Assumptions(overall_change=2, base=50, value_per_unit=-300, cost=5_000, months=12,
                                  discount=0.0)
    result = roi.evaluate(assumptions, certain_link(-0.03, log_kpi=False, lag=2), draws=10)
    monthly = 50 * -0.03 * 2 * -300  # 50 branches each lose 0.06 churn points, each point is worth 300
    assert result.monthly_gain == pytest.approx(monthly)
    assert result.gain == pytest.approx(monthly * 10)
    assert result.payback == 2 + math.ceil(5_000 / monthly)  # two months of lag, then the monthly gains add up
    late = roi.evaluate(dataclasses.replace(assumptions, cost=20_000), certain_link(-0.03, log_kpi=False, lag=2))
    assert late.payback is None and late.payback_range == (math.inf,) * 3


def test_touchpoint_changes_move_the_nps_by_slope_change_and_reach():
    model = roi.score_model(survey_answers(), ["a", "b", "c"])
    assumptions = roi.Assumptions(changes={"a": 0.3, "c": 0.5}, base=1e6, value_per_unit=0.25, cost=5e4)
    result = roi.evaluate(assumptions, certain_link(), model, seed=1)
    parts = {"a": model.slope("a") * 0.3 * 1.0, "c": model.slope("c") * 0.5 * 0.5}
    assert result.nps_change == pytest.approx(sum(parts.values()))
    assert dict(result.contributions) == pytest.approx({k: v / sum(parts.values()) * result.gain
                                                        for k, v in parts.items()})
    assert result.nps_range[0] < result.nps_change < result.nps_range[2]
    with pytest.raises(ValueError, match="overall NPS change instead"):
        roi.evaluate(assumptions, certain_link(), None)


def test_a_scenario_on_an_unsupported_link_is_marked():
    model = roi.score_model(survey_answers(), ["a", "b"])
    weak = dataclasses.replace(model, covariance=((1e6, 0.0), (0.0, 1e6)))
    result = roi.evaluate(roi.Assumptions(changes={"b": 1}, base=1e5, cost=10), certain_link(supported=False),
                          weak, names={"b": "Bravo"})
    assert not result.supported
    assert result.doubts == ("The link of revenue to NPS is not significant.",
                             "The effect of Bravo on the overall NPS is not significant.")


def test_collinear_touchpoints_still_simulate_and_tornado_needs_a_model():
    answers = survey_answers()
    twin = answers[answers["touchpoint"] == "a"].assign(touchpoint="a2")  # rated exactly like 'a'
    model = roi.score_model(pd.concat([answers, twin]), ["a", "a2", "b"])
    result = roi.evaluate(roi.Assumptions(changes={"a": 0.2, "a2": 0.2}, base=1e5, value_per_unit=0.3, cost=10),
                          certain_link(), model)
    assert result.nps_range[0] <= result.nps_change <= result.nps_range[2]
    with pytest.raises(ValueError, match="overall NPS change instead"):
        roi.tornado(roi.Assumptions(changes={"a": 0.2}), certain_link(), None)


def test_the_scenario_is_seeded_and_orders_its_percentiles():
    link = roi.panel_link(tiny_panel(segments=8, periods=6), "kpi")
    assumptions = roi.Assumptions(overall_change=3, base=8, value_per_unit=500, cost=59_000, months=24)
    first, again = (roi.evaluate(assumptions, link, seed=4) for _ in range(2))
    assert first == again
    assert first.npv_range[0] < first.npv_range[1] < first.npv_range[2] and 0 < first.p_roi_positive < 1
    assert first.roi_range[0] < first.roi_range[2]


def test_the_p10_p90_gain_covers_the_true_gain_about_80_percent_of_the_time():
    rng = np.random.default_rng(11)
    truth, segments, periods, runs = 0.2, 30, 12, 200
    assumptions = roi.Assumptions(overall_change=2, base=segments, value_per_unit=400 * 0.25, cost=100, months=6,
                                  discount=0.05)
    true_npv = segments * truth * 2 * 400 * 0.25 * roi.npv(0.05, [1.0] * 6) - 100
    layout = pd.DataFrame([(s, p) for s in range(segments) for p in range(periods)], columns=["branch", "period"])
    covered = 0
    for run in range(runs):
        score = rng.normal(30, 10, len(layout))
        kpi = (rng.normal(0, 5, segments)[layout["branch"]] + rng.normal(0, 2, periods)[layout["period"]]
               + truth * score + rng.normal(0, 3, len(layout)))
        link = roi.panel_link(layout.assign(nps=score, kpi=kpi), "kpi")
        result = roi.evaluate(assumptions, link, draws=2000, seed=run)
        covered += result.npv_range[0] <= true_npv <= result.npv_range[2]
    assert 0.72 <= covered / runs <= 0.88, covered


def test_tornado_moves_each_assumption_alone_and_puts_the_widest_first():
    model = roi.score_model(survey_answers(), ["a", "b"])
    link = dataclasses.replace(certain_link(), low=0.005, high=0.015)
    assumptions = roi.Assumptions(changes={"a": 0.4}, base=2e6, value_per_unit=0.3, cost=40_000, months=12)
    table = roi.tornado(assumptions, link, model, names={"a": "Alpha"})
    assert list(table["swing"]) == sorted(table["swing"], reverse=True)
    rows = table.set_index("assumption")
    assert rows.loc["Cost", "swing"] == pytest.approx(0.4 * 40_000)  # the NPV falls one for one with the cost
    base = roi.evaluate(assumptions, link, model, draws=1).npv
    at_low_link = roi.evaluate(assumptions, dataclasses.replace(link, coefficient=0.005), model, draws=1).npv
    assert rows.loc["NPS → revenue", "npv_low"] == pytest.approx(at_low_link)
    assert rows.loc["Change at Alpha", "npv_low"] < base < rows.loc["Change at Alpha", "npv_high"]
    assert rows.loc["Alpha → NPS (points per rating point)", "low"] == pytest.approx(model.interval("a")[0])
    assert set(rows.index) >= {"KPI today", "Value per KPI unit", "Discount rate", "Horizon (months)"}


def test_assumptions_survive_a_round_trip_through_json():
    assumptions = roi.Assumptions(changes={"a": 0.3}, base=1.5, value_per_unit=-120.0, cost=9e4, months=18,
                                  discount=0.07)
    assert roi.Assumptions.from_dict(json.loads(json.dumps(assumptions.to_dict()))) == assumptions


@pytest.mark.parametrize("value, text", [(950, "950"), (45_612, "45.6 k"), (-1_234_567, "−1.23 M"),
                                         (2.1e9, "2.10 bn"), (0, "0"), (-0.0, "0"), (0.5, "0.500"), (math.nan, "–"),
                                         (999_999, "1.00 M"), (999.7, "1.00 k")])
def test_money_is_shown_with_three_significant_digits(value, text):
    assert formatting.money(value) == text
