"""The demo data generator: contract, sizes, determinism, and every planted effect visible in the data."""

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats

from workbench.core import metrics
from workbench.core.contract import OVERALL
from workbench.data import demodata
from workbench.data.templates import list_templates, load_template

SURVEY_SCHEMA = pa.schema([
    ("response_id", pa.string()), ("respondent_id", pa.string()), ("ts", pa.timestamp("s")),
    ("touchpoint", pa.string()), ("nps", pa.int8()), ("csat", pa.int8()), ("ces", pa.int8()),
    ("comment", pa.string()), ("region", pa.string()), ("branch", pa.string()), ("channel", pa.string()),
    ("employee", pa.string()), ("customer_type", pa.string()),
])
KPI_SCHEMA = pa.schema([
    ("period", pa.date32()), ("region", pa.string()), ("branch", pa.string()), ("revenue", pa.float64()),
    ("orders", pa.int64()), ("churn_rate", pa.float64()), ("complaints", pa.int64()),
    ("resolution_hours", pa.float64()),
])
CUSTOMER_SCHEMA = pa.schema([
    ("respondent_id", pa.string()), ("region", pa.string()), ("branch", pa.string()), ("revenue", pa.float64()),
    ("retained", pa.bool_()), ("repeat_purchases", pa.int64()), ("name", pa.string()), ("email", pa.string()),
    ("account_manager", pa.string()), ("products", pa.int64()), ("referrals", pa.int64()),
])


@pytest.fixture(scope="module")
def journey():
    return load_template("ecommerce-delivery")


@pytest.fixture(scope="module")
def demo(journey):
    return demodata.generate(journey)


@pytest.fixture(scope="module")
def survey(demo):
    frame = demo.survey.to_pandas()
    frame["period"] = frame["ts"].dt.to_period("M").dt.to_timestamp().dt.date
    return frame


def csat_of(values) -> metrics.Estimate:
    return metrics.mean(metrics.scale_sums(values.dropna().tolist(), "csat"))


def nps_of(values) -> metrics.Estimate:
    return metrics.nps(metrics.nps_counts(values.dropna().tolist()))


def before_after(rows: pd.DataFrame, since: date, estimate=csat_of, column: str = "csat") -> metrics.Comparison:
    after = rows["ts"] >= pd.Timestamp(since)
    return metrics.compare(estimate(rows.loc[after, column]), estimate(rows.loc[~after, column]))


def fixed_effects_slope(kpi: pd.DataFrame, y: np.ndarray, x: str) -> tuple[float, float, float]:
    """OLS of y on x with branch and month dummies: (coefficient, standard error, two-sided p)."""
    dummies = pd.get_dummies(kpi[["branch"]].astype(str), drop_first=True).join(
        pd.get_dummies(kpi["period"].astype(str), drop_first=True, prefix="m")).astype(float)
    design = np.column_stack([np.ones(len(kpi)), kpi[x].to_numpy(float), dummies.to_numpy()])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ beta
    dof = len(y) - design.shape[1]
    se = float(np.sqrt(residual @ residual / dof * np.linalg.inv(design.T @ design)[1, 1]))
    return float(beta[1]), se, float(2 * stats.t.sf(abs(beta[1] / se), dof))


# ------------------------------------------------------------------ contract and sizes


def test_tables_follow_the_contracts(demo, survey, journey):
    assert demo.survey.schema == SURVEY_SCHEMA
    assert demo.kpi_period.schema == KPI_SCHEMA
    assert demo.kpi_customer.schema == CUSTOMER_SCHEMA

    rated = {tp.key for tp in journey.touchpoints if tp.kind == "touchpoint"}
    assert set(survey["touchpoint"]) == rated | {OVERALL}
    assert survey["response_id"].is_unique
    assert survey["ts"].is_monotonic_increasing
    assert survey["ts"].min() >= pd.Timestamp("2024-11-01") and survey["ts"].max() < pd.Timestamp("2026-11-01")
    assert survey["ts"].dt.hour.between(8, 19).all() and (survey["ts"].dt.day_of_week < 6).all()
    for column, (low, high) in metrics.SCALES.items():
        if column != "stars":  # the survey's scales; stars are the reviews' (test_demosources.py)
            assert survey[column].dropna().between(low, high).all()
    for column in ("region", "branch", "channel", "customer_type", "respondent_id"):
        assert survey[column].notna().all()

    overall = survey[survey["touchpoint"] == OVERALL]
    answers = survey[survey["touchpoint"] != OVERALL]
    assert overall["nps"].notna().all() and overall["csat"].isna().all() and overall["ces"].isna().all()
    assert overall["respondent_id"].is_unique and len(overall) == survey["respondent_id"].nunique()
    assert answers["csat"].notna().all()
    assert 0.8 < answers["nps"].notna().mean() < 0.9  # transactional NPS on most answers
    with_ces = set(answers.loc[answers["ces"].notna(), "touchpoint"])
    assert {"checkout", "support-contact", "return-request"} <= with_ces
    assert not {"product-page", "own-courier", "review-request", "order-confirmation"} & with_ces
    assert answers.groupby("touchpoint")["ces"].apply(lambda c: c.isna().all() or c.notna().all()).all()

    # One respondent = one region, branch, channel and customer type; an employee works in one branch.
    per_respondent = survey.groupby("respondent_id")[["region", "branch", "channel", "customer_type"]].nunique()
    assert (per_respondent == 1).all().all()
    assert (survey.dropna(subset=["employee"]).groupby("employee")["branch"].nunique() == 1).all()

    kpi = demo.kpi_period.to_pandas()
    assert sorted(set(kpi["period"])) == sorted(set(survey["period"]))
    assert all(p.day == 1 for p in kpi["period"])
    assert not kpi.duplicated(["period", "branch"]).any()
    assert (kpi[["revenue", "orders", "churn_rate", "resolution_hours"]] > 0).all().all()
    customers = demo.kpi_customer.to_pandas()
    assert customers["respondent_id"].is_unique
    assert set(customers["respondent_id"]) == set(survey["respondent_id"])
    assert (customers[["revenue", "repeat_purchases"]] >= 0).all().all()


def test_sizes_are_realistic(demo, survey):
    assert 180_000 <= len(survey) <= 220_000
    assert 35_000 <= survey["respondent_id"].nunique() <= 45_000
    assert survey["period"].nunique() == 24
    branches = survey.groupby("branch")["region"].nunique()
    assert (branches == 1).all() and 45 <= len(branches) <= 55
    assert survey["region"].nunique() == 8
    assert {"Praha", "Jižní Morava", "Mazowsze", "Małopolska"} <= set(survey["region"])
    assert set(survey["channel"]) == {"web", "app", "phone", "branch"}
    assert set(survey["customer_type"]) == {"new", "returning", "business"}
    assert 120 <= survey["employee"].nunique() <= 180
    assert demo.kpi_period.num_rows == 24 * len(branches)
    # Seasonality: December is the busiest month of each year.
    volume = survey.groupby("period").size()
    assert volume.idxmax().month == 12 and volume[date(2025, 12, 1)] > 1.2 * volume.median()


def test_same_seed_same_data_and_other_seed_other_data(journey):
    first = demodata.generate(journey, seed=11, answers=20_000, months=12, start=date(2025, 3, 15))
    again = demodata.generate(journey, seed=11, answers=20_000, months=12, start=date(2025, 3, 15))
    other = demodata.generate(journey, seed=12, answers=20_000, months=12, start=date(2025, 3, 15))
    assert first.survey.equals(again.survey)
    assert first.kpi_period.equals(again.kpi_period) and first.kpi_customer.equals(again.kpi_customer)
    assert first.effects == again.effects
    assert not first.survey.equals(other.survey)
    periods = sorted(set(first.kpi_period.column("period").to_pylist()))
    assert periods[0] == date(2025, 3, 1) and len(periods) == 12
    assert first.effects.break_from == date(2025, 11, 1) and first.effects.improved_from == date(2025, 10, 1)


def test_effect_keys_for_the_ecommerce_template(demo):
    effects = demo.effects
    assert (effects.break_touchpoint, effects.break_region, effects.break_from) == ("own-courier", "Jižní Morava",
                                                                                      date(2026, 3, 1))
    assert effects.driver_touchpoints == ("checkout", "delivery-notification")
    assert (effects.improved_touchpoint, effects.improved_from) == ("support-contact", date(2026, 1, 1))
    assert len(effects.improved_regions) == 4 and effects.break_region not in effects.improved_regions
    assert effects.untouched_touchpoint == "product-page"
    assert effects.zero_link_kpi == "resolution_hours" and effects.kpi_nps_touchpoint == OVERALL
    assert 1.0 <= effects.break_csat_drop <= 1.2 and 20 <= effects.break_nps_drop <= 30
    assert 0.4 <= effects.improvement_csat <= 0.6


@pytest.mark.parametrize("key", [t.key for t in list_templates()])
def test_every_template_gets_distinct_roles(key):
    journey = load_template(key)
    effects = demodata.generate(journey, answers=20_000).effects
    rated = {tp.key for tp in journey.touchpoints if tp.kind == "touchpoint"}
    roles = {effects.break_touchpoint, effects.improved_touchpoint, effects.untouched_touchpoint,
             *effects.driver_touchpoints}
    assert roles <= rated and set(effects.driver_weights) == rated
    assert len({effects.break_touchpoint, effects.improved_touchpoint, effects.untouched_touchpoint}) == 3
    assert len(set(effects.driver_touchpoints)) == 2 and effects.untouched_touchpoint not in effects.driver_touchpoints
    assert set(effects.driver_touchpoints) | {effects.untouched_touchpoint, effects.break_touchpoint} <= set(
        effects.core_touchpoints)
    assert effects.improved_touchpoint not in effects.core_touchpoints


def test_too_few_rated_touchpoints_are_refused(small_journey):
    with pytest.raises(ValueError, match="at least 5"):
        demodata.generate(small_journey)


# ------------------------------------------------------------------ planted effects


def test_break_shows_in_its_region_only(demo, survey):
    effects = demo.effects
    at = survey[survey["touchpoint"] == effects.break_touchpoint]
    here = at[at["region"] == effects.break_region]
    csat = before_after(here, effects.break_from)
    assert csat.difference == pytest.approx(-effects.break_csat_drop, abs=0.2)
    assert csat.p_value < 1e-9
    nps = before_after(here, effects.break_from, nps_of, "nps")
    assert nps.difference == pytest.approx(-effects.break_nps_drop, abs=10)
    assert nps.p_value < 1e-4
    for region, rows in at[at["region"] != effects.break_region].groupby("region"):
        other = before_after(rows, effects.break_from)
        assert abs(other.difference) < 0.2, region
        assert other.difference > 0 or other.p_value > 0.05, region  # never a significant drop
    # Against the other regions (difference in differences) the drop has its planted size.
    others = before_after(at[at["region"] != effects.break_region], effects.break_from)
    assert csat.difference - others.difference == pytest.approx(-effects.break_csat_drop, abs=0.12)


def test_the_two_drivers_lead_the_overall_nps(demo, survey):
    effects = demo.effects
    core = list(effects.core_touchpoints)
    ratings = survey[survey["touchpoint"].isin(core)].pivot_table(index="respondent_id", columns="touchpoint",
                                                                  values="csat")
    overall = survey[survey["touchpoint"] == OVERALL].set_index("respondent_id")["nps"].rename("overall")
    complete = ratings[core].dropna().join(overall, how="inner").astype(float)
    assert len(complete) > 10_000
    z = (complete - complete.mean()) / complete.std()
    beta, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(z)), z[core].to_numpy()]), z["overall"].to_numpy(),
                               rcond=None)
    weights = pd.Series(beta[1:], index=core).sort_values(ascending=False)
    assert set(weights.index[:2]) == set(effects.driver_touchpoints)
    assert weights.iloc[1] > 2 * weights.iloc[2]  # a wide margin to the third
    assert {effects.driver_weights[k] for k in effects.driver_touchpoints} == {max(effects.driver_weights.values())}


def branch_month_nps(data: demodata.DemoData) -> pd.DataFrame:
    """The KPI table with each branch-month's observed overall NPS and share of detractors."""
    overall = data.survey.to_pandas()
    overall = overall[overall["touchpoint"] == data.effects.kpi_nps_touchpoint]
    cells = overall.groupby(["branch", overall["ts"].dt.to_period("M").dt.to_timestamp().dt.date])["nps"].agg(
        nps=lambda s: 100 * ((s >= 9).mean() - (s <= 6).mean()), detractors=lambda s: (s <= 6).mean())
    kpi = data.kpi_period.to_pandas().merge(cells.rename_axis(["branch", "period"]).reset_index(),
                                            on=["branch", "period"], validate="one_to_one")
    assert len(kpi) == data.kpi_period.num_rows
    return kpi


def test_kpis_follow_the_true_branch_month_nps_which_the_observed_one_attenuates(demo):
    effects = demo.effects
    assert effects.kpis_from_latent and effects.branch_icc == demodata.BRANCH_ICC
    kpi = branch_month_nps(demo)
    # The NPS of ~33 answers a cell measures the true one with noise: the plain slope is well below the planted one.
    slope, se, _ = fixed_effects_slope(kpi, np.log(kpi["revenue"].to_numpy()), "nps")
    assert 0 < slope and slope + 1.96 * se < 0.7 * effects.revenue_semi_elasticity
    slope, se, _ = fixed_effects_slope(kpi, kpi["churn_rate"].to_numpy(), "nps")
    assert effects.churn_slope < slope - 1.96 * se and slope + 1.96 * se < 0
    _, _, p_value = fixed_effects_slope(kpi, kpi[effects.zero_link_kpi].to_numpy(), "nps")
    assert p_value > 0.05
    # Complaints rise with the share of detractors.
    assert stats.spearmanr(kpi["complaints"] / kpi["orders"], kpi["detractors"]).statistic > 0.5


def test_kpis_from_the_observed_nps_give_the_planted_slopes_without_attenuation(journey):
    data = demodata.generate(journey, branch_icc=0.0, kpis_from_latent=False)
    effects = data.effects
    kpi = branch_month_nps(data)
    slope, se, _ = fixed_effects_slope(kpi, np.log(kpi["revenue"].to_numpy()), "nps")
    assert slope - 1.96 * se <= effects.revenue_semi_elasticity <= slope + 1.96 * se
    assert se < 0.1 * effects.revenue_semi_elasticity  # a tight interval
    slope, se, _ = fixed_effects_slope(kpi, kpi["churn_rate"].to_numpy(), "nps")
    assert slope - 1.96 * se <= effects.churn_slope <= slope + 1.96 * se


def branch_month_wobble(data: demodata.DemoData) -> float:
    """The variance of the branch-month mean CSAT within branches beyond its sampling variance (an ANOVA estimate)."""
    answers = data.survey.to_pandas()
    answers = answers[answers["touchpoint"] != data.effects.untouched_touchpoint].dropna(subset=["csat"])
    cells = answers.assign(month=answers["ts"].dt.to_period("M")).groupby(["branch", "month"])["csat"].agg(
        ["mean", "var", "size"])
    within = cells["mean"] - cells.groupby(level="branch")["mean"].transform("mean")
    months = cells.groupby(level="branch")["mean"].transform("size")
    return float((within**2 * months / (months - 1)).mean() - (cells["var"] / cells["size"]).mean())


def test_the_options_leave_every_other_draw_as_it_was(journey):
    size = {"seed": 5, "answers": 20_000, "months": 12}
    plain = demodata.generate(journey, branch_icc=0.0, kpis_from_latent=False, **size)
    latent = demodata.generate(journey, branch_icc=0.0, kpis_from_latent=True, **size)
    assert latent.survey.equals(plain.survey)  # the same answers: only the KPIs follow another NPS
    assert not latent.kpi_period.equals(plain.kpi_period)
    assert (latent.effects.kpis_from_latent, plain.effects.kpis_from_latent) == (True, False)
    with pytest.raises(ValueError, match="branch ICC"):
        demodata.generate(journey, branch_icc=1.0, **size)


def test_branch_effects_add_their_share_of_variance_to_the_branch_months(journey):
    size = {"answers": 100_000, "months": 12}
    without = branch_month_wobble(demodata.generate(journey, branch_icc=0.0, **size))
    with_effects = demodata.generate(journey, branch_icc=0.05, **size)
    assert with_effects.effects.branch_icc == 0.05
    # 5 % of the experience's variance (0.75²) is 0.028 on the CSAT scale; the rounding to 1–5 keeps most of it.
    assert 0.015 < branch_month_wobble(with_effects) - without < 0.035


def test_customer_kpis_follow_the_overall_nps_group(demo, survey):
    overall = survey[survey["touchpoint"] == OVERALL][["respondent_id", "nps"]]
    customers = demo.kpi_customer.to_pandas().merge(overall, on="respondent_id", validate="one_to_one")
    customers["group"] = np.select([customers["nps"] >= 9, customers["nps"] >= 7], ["promoter", "passive"], "detractor")
    by_group = customers.groupby("group").agg(retained=("retained", "mean"), revenue=("revenue", "median"),
                                              repeat=("repeat_purchases", "mean"))
    for group, probability in demo.effects.retention_by_group.items():
        assert by_group.loc[group, "retained"] == pytest.approx(probability, abs=0.02)
    revenue = by_group["revenue"]
    assert revenue["promoter"] > revenue["passive"] > revenue["detractor"]
    assert by_group.loc["promoter", "repeat"] > by_group.loc["detractor", "repeat"]


def test_improvement_in_the_pilot_regions_only(demo, survey):
    effects = demo.effects
    at = survey[survey["touchpoint"] == effects.improved_touchpoint]
    pilot = at["region"].isin(effects.improved_regions)
    improved = before_after(at[pilot], effects.improved_from)
    assert improved.difference == pytest.approx(effects.improvement_csat, abs=0.15)
    assert improved.p_value < 1e-9
    control = before_after(at[~pilot], effects.improved_from)
    assert abs(control.difference) < 0.15 and control.p_value > 0.01
    assert improved.difference - control.difference == pytest.approx(effects.improvement_csat, abs=0.2)
    assert before_after(at[pilot], effects.improved_from, nps_of, "nps").difference > 5


def test_untouched_touchpoint_stays_flat(demo, survey):
    effects = demo.effects
    at = survey[survey["touchpoint"] == effects.untouched_touchpoint]
    middle = date(2025, 11, 1)
    csat = before_after(at, middle)
    assert abs(csat.difference) < 0.06 and csat.p_value > 0.01
    assert abs(before_after(at, middle, nps_of, "nps").difference) < 4
    for region, rows in at.groupby("region"):
        assert abs(before_after(rows, middle).difference) < 0.15, region
    monthly = at.groupby("period")["csat"].mean()
    assert monthly.max() - monthly.min() < 0.2


def test_comments_are_themed_short_and_mostly_negative_for_low_scores(survey):
    truth = demodata.comment_truth()
    comments = survey.dropna(subset=["comment"])
    assert 0.22 <= len(comments) / len(survey) <= 0.28
    assert comments["comment"].isin(list(truth)).all()
    assert comments["comment"].str.len().max() < 80
    tone = comments["comment"].map(lambda c: truth[c][1])
    low, high = comments["csat"] <= 2, comments["csat"] >= 4
    assert (tone[low] == "neg").mean() > 0.8 and (tone[high] == "neg").mean() < 0.02
    assert (tone[high] == "pos").mean() > 0.8
    has_comment = survey["comment"].notna()
    assert has_comment[survey["csat"] <= 2].mean() > 1.5 * has_comment[survey["csat"] >= 4].mean()
    # Theme follows the touchpoint; language follows the country, with some English and some typed without diacritics.
    theme = comments["comment"].map(lambda c: truth[c][0])
    assert (theme[comments["touchpoint"] == "own-courier"] == "delivery").all()
    assert (theme[comments["touchpoint"] == OVERALL] == "overall").all()
    language = comments["comment"].map(lambda c: truth[c][2])
    assert (language[comments["region"] == "Praha"] == "cs").mean() > 0.8
    assert (language[comments["region"] == "Mazowsze"] == "pl").mean() > 0.8
    assert 0.05 < (language == "en").mean() < 0.2
    assert comments["comment"].str.startswith("kuryr byl neprijemny").any()
    assert comments["comment"].str.contains("Kurier był niemiły").any()
