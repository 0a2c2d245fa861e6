"""Key-driver analysis against published relaimpo numbers, hand-worked cases and its invariants (hypothesis)."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.analysis import drivers
from workbench.analysis.drivers import DriverResult
from workbench.core import metrics
from workbench.core.contract import OVERALL
from workbench.export import figures

MTCARS = Path(__file__).parent / "data" / "mtcars.csv"  # R's datasets::mtcars (tests/data/README.md)


@pytest.fixture(scope="module")
def cars() -> pd.DataFrame:
    return pd.read_csv(MTCARS, index_col=0)


def correlated(seed: int, n: int, p: int, strength: float) -> pd.DataFrame:
    """``n`` rows of an outcome "y" and drivers x0…x(p−1) sharing a common factor of weight ``strength``."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(n, 1))
    x = strength * common + rng.normal(size=(n, p))
    y = x @ rng.normal(size=p) + rng.normal(size=n) * 2
    return pd.DataFrame({"y": y, **{f"x{j}": x[:, j] for j in range(p)}})


def r_squared(frame: pd.DataFrame, outcome: str, names: list[str]) -> float:
    """R² of an ordinary least-squares fit with an intercept."""
    x = np.column_stack([np.ones(len(frame)), frame[names].to_numpy()])
    y = frame[outcome].to_numpy()
    residual = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    return 1 - residual @ residual / ((y - y.mean()) @ (y - y.mean()))


# --- published numbers ------------------------------------------------------------------------------------------

def test_lmg_reproduces_relaimpo_on_mtcars(cars):
    # relaimpo::calc.relimp(lm(mpg ~ am + vs + cyl, mtcars), type = "lmg")
    result = drivers.relative_importance(cars, "mpg", ["am", "vs", "cyl"])
    assert result.to_dict() == pytest.approx({"am": 0.1774892, "vs": 0.2027032, "cyl": 0.3817849}, abs=1e-6)
    assert result.attrs == {"r2": pytest.approx(0.7619773, abs=1e-6), "n": 32, "method": "lmg"}
    assert result.name == "importance"


def test_johnson_reproduces_published_relative_weights_on_mtcars(cars):
    # Johnson's relative weights for mpg ~ cyl + disp + hp + gear (R² 0.7791896).
    result = drivers.relative_importance(cars, "mpg", ["cyl", "disp", "hp", "gear"], method="johnson")
    assert result.to_dict() == pytest.approx({"cyl": 0.2284797, "disp": 0.2221469, "hp": 0.2321744,
                                              "gear": 0.0963886}, abs=1e-6)
    assert result.attrs["r2"] == pytest.approx(0.7791896, abs=1e-6)


def test_a_covariance_matrix_gives_the_same_shares_as_its_correlation_matrix(cars):
    values = cars[["mpg", "am", "vs", "cyl"]].to_numpy()
    covariance, correlation = np.cov(values, rowvar=False), np.corrcoef(values, rowvar=False)
    assert drivers.lmg(covariance) == pytest.approx(drivers.lmg(correlation), abs=1e-12)
    assert drivers.johnson(covariance) == pytest.approx(drivers.johnson(correlation), abs=1e-12)


def test_two_drivers_by_hand():
    # LMG of two drivers is the average of their two entry orders: first alone, then after the other.
    ry1, ry2, r12 = 0.5, 0.4, 0.3
    full = (ry1 ** 2 + ry2 ** 2 - 2 * ry1 * ry2 * r12) / (1 - r12 ** 2)
    correlation = np.array([[1, ry1, ry2], [ry1, 1, r12], [ry2, r12, 1]])
    assert drivers.lmg(correlation) == pytest.approx([(ry1 ** 2 + full - ry2 ** 2) / 2,
                                                      (ry2 ** 2 + full - ry1 ** 2) / 2], abs=1e-12)


# --- invariants -------------------------------------------------------------------------------------------------

@settings(max_examples=25)
@given(seed=st.integers(0, 10 ** 6), n=st.integers(12, 80), p=st.integers(1, 6), strength=st.floats(0, 3),
       method=st.sampled_from(drivers.METHODS))
def test_shares_sum_to_r_squared(seed, n, p, strength, method):
    frame = correlated(seed, n, p, strength)
    names = list(frame.columns[1:])
    result = drivers.relative_importance(frame, "y", names, method)
    assert result.sum() == pytest.approx(r_squared(frame, "y", names), abs=1e-9)
    assert result.attrs["r2"] == pytest.approx(result.sum(), abs=1e-12)
    assert (result > -1e-12).all()


@settings(max_examples=25)
@given(seed=st.integers(0, 10 ** 6), p=st.integers(2, 6), strength=st.floats(0, 3),
       method=st.sampled_from(drivers.METHODS), data=st.data())
def test_permuting_the_drivers_permutes_the_shares(seed, p, strength, method, data):
    frame = correlated(seed, 50, p, strength)
    names = list(frame.columns[1:])
    shuffled = data.draw(st.permutations(names))
    before = drivers.relative_importance(frame, "y", names, method)
    after = drivers.relative_importance(frame, "y", shuffled, method)
    assert list(after.index) == shuffled
    assert after[names].to_numpy() == pytest.approx(before.to_numpy(), abs=1e-12)


@settings(max_examples=25)
@given(correlations=st.lists(st.floats(-0.4, 0.4), min_size=1, max_size=6))
def test_uncorrelated_drivers_get_their_squared_correlations(correlations):
    p = len(correlations)
    matrix = np.eye(p + 1)
    matrix[0, 1:] = matrix[1:, 0] = correlations  # Σ r² ≤ 6 · 0.16 < 1, so the matrix is a correlation matrix
    squared = np.square(correlations)
    assert drivers.lmg(matrix) == pytest.approx(squared, abs=1e-12)
    assert drivers.johnson(matrix) == pytest.approx(squared, abs=1e-12)


@settings(max_examples=15)
@given(seed=st.integers(0, 10 ** 6), p=st.integers(1, 5), strength=st.floats(0, 3))
def test_lmg_is_the_average_increment_over_every_entry_order(seed, p, strength):
    frame = correlated(seed, 40, p, strength)
    names = list(frame.columns[1:])
    fit = {frozenset(subset): r_squared(frame, "y", list(subset))
           for size in range(p + 1) for subset in itertools.combinations(names, size)}
    expected = dict.fromkeys(names, 0.0)
    orders = list(itertools.permutations(names))
    for order in orders:
        for i, name in enumerate(order):
            expected[name] += (fit[frozenset(order[:i + 1])] - fit[frozenset(order[:i])]) / len(orders)
    assert drivers.relative_importance(frame, "y", names).to_dict() == pytest.approx(expected, abs=1e-9)


@settings(max_examples=10)
@given(seed=st.integers(0, 10 ** 6), method=st.sampled_from(drivers.METHODS))
def test_frequency_weights_count_a_row_that_many_times(seed, method):
    frame = correlated(seed, 30, 3, 1.0)
    frame["w"] = np.random.default_rng(seed).integers(1, 4, len(frame))
    weighted = drivers.relative_importance(frame, "y", ["x0", "x1", "x2"], method, weights="w")
    repeated = drivers.relative_importance(frame.loc[frame.index.repeat(frame["w"])], "y", ["x0", "x1", "x2"], method)
    assert weighted.to_numpy() == pytest.approx(repeated.to_numpy(), abs=1e-12)
    assert weighted.attrs["n"] == 30


def test_a_driver_that_is_a_sum_of_others_adds_nothing_beyond_them():
    frame = correlated(3, 60, 3, 1.0)
    frame["total"] = frame["x0"] + frame["x1"]
    names = ["x0", "x1", "x2", "total"]
    for method in drivers.METHODS:
        result = drivers.relative_importance(frame, "y", names, method)
        assert np.isfinite(result).all()
        assert result.sum() == pytest.approx(r_squared(frame, "y", ["x0", "x1", "x2"]), abs=1e-9)


def test_beyond_the_exact_limit_sampled_orders_come_close_to_the_exact_shares():
    frame = correlated(5, 400, 17, 0.8)
    correlation = np.corrcoef(frame.to_numpy(), rowvar=False)
    exact = drivers.lmg(correlation, exact_limit=17)
    sampled = drivers.lmg(correlation)
    assert np.abs(sampled - exact).max() < 0.01
    assert sampled.sum() == pytest.approx(exact.sum(), abs=1e-12)
    assert exact.sum() == pytest.approx(r_squared(frame, "y", list(frame.columns[1:])), abs=1e-9)
    assert drivers.lmg(correlation, seed=1) != pytest.approx(sampled, abs=1e-12)  # the seed drives the sample


def test_bootstrap_replicates_are_weighted_covariances_of_the_drawn_counts():
    # More rows than one cross-product block and than the row bootstrap's units, so the blocks' sums and the rows
    # dealt into units are checked too: each row counts as often as its unit was drawn.
    values = correlated(1, 5000, 2, 1.0).to_numpy()
    frequency = np.random.default_rng(2).integers(1, 5, len(values)).astype(float)
    draws = np.random.default_rng(9)
    unit, units = drivers._units(len(values), draws)
    counts = [drawn[unit] for drawn in drivers._draws(units, 3, draws)]
    for weights in (None, frequency):
        result = drivers._resampled_covariances(values, weights, 3, np.random.default_rng(9))
        for covariance, drawn in zip(result, counts, strict=True):
            total = drawn if weights is None else drawn * weights
            assert covariance == pytest.approx(np.cov(values, rowvar=False, fweights=total, ddof=0), abs=1e-10)


# --- errors -----------------------------------------------------------------------------------------------------

def test_errors_name_the_problem(cars):
    with pytest.raises(ValueError, match="Unknown method 'ols'"):
        drivers.relative_importance(cars, "mpg", ["am"], method="ols")
    with pytest.raises(ValueError, match="Column 'weight' is not in the data"):
        drivers.relative_importance(cars, "mpg", ["am", "weight"])
    with pytest.raises(ValueError, match="Only 4 complete rows for 3 drivers; at least 5 are needed"):
        drivers.relative_importance(cars.head(4), "mpg", ["am", "vs", "cyl"])
    with pytest.raises(ValueError, match="driver 'one' has the same value in every complete row"):
        drivers.relative_importance(cars.assign(one=1.0), "mpg", ["am", "one"])
    with pytest.raises(ValueError, match="Unknown method"):
        drivers.bootstrap(cars, "mpg", ["am"], method="ridge")


# --- bootstrap --------------------------------------------------------------------------------------------------

def test_bootstrap_intervals_contain_the_estimate_and_narrow_with_more_rows():
    widths = []
    for n in (300, 3000):
        frame = correlated(4, n, 3, 1.0)
        table = drivers.bootstrap(frame, "y", ["x0", "x1", "x2"], reps=100, seed=1)
        assert list(table.columns) == ["driver", "importance", "low", "high", "share", "share_low", "share_high",
                                       "unique", "p_value", "p_adjusted", "matters"]
        assert ((table["low"] <= table["importance"]) & (table["importance"] <= table["high"])).all()
        assert table["share"].sum() == pytest.approx(1)
        attrs = table.attrs
        assert attrs["r2_low"] <= attrs["r2"] <= attrs["r2_high"] and (attrs["n"], attrs["reps"]) == (n, 100)
        widths.append((table["high"] - table["low"]).to_numpy())
    assert (widths[1] < widths[0]).all()
    assert drivers.bootstrap(frame, "y", ["x0"], reps=20, seed=3).equals(
        drivers.bootstrap(frame, "y", ["x0"], reps=20, seed=3))


# --- long survey answers ----------------------------------------------------------------------------------------

def survey(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Long answers: overall NPS driven by a (strongly) and b; c and d do not matter; 9 % rate "rare", everyone
    gives "same" a 5, and 10 % skip d."""
    rng = np.random.default_rng(seed)
    mood = rng.normal(size=n)
    csat = {key: np.clip(np.round(3.5 + 0.4 * mood + rng.normal(size=n)), 1, 5) for key in "abcd"}
    nps = np.clip(np.round(1.5 + 1.2 * csat["a"] + 0.5 * csat["b"] + rng.normal(0, 1, n)), 0, 10)
    rows = [{"respondent_id": f"r{i}", "touchpoint": OVERALL, "nps": nps[i], "csat": np.nan} for i in range(n)]
    for key, values in csat.items():
        rows += [{"respondent_id": f"r{i}", "touchpoint": key, "nps": np.nan, "csat": values[i]} for i in range(n)
                 if not (key == "d" and i % 10 == 0)]
    rows += [{"respondent_id": f"r{i}", "touchpoint": "rare", "nps": np.nan, "csat": 3.0 + i % 2}
             for i in range(round(0.09 * n))]
    rows += [{"respondent_id": f"r{i}", "touchpoint": "same", "nps": np.nan, "csat": 5.0} for i in range(n)]
    answers = pd.DataFrame(rows)
    answers["response_id"] = answers.index.astype(str)
    answers["ts"] = pd.Timestamp("2024-05-01")
    return answers


def test_respondent_table_by_hand():
    answers = pd.DataFrame({
        "respondent_id": ["r1", "r1", "r1", "r1", "r2", "r2", None, "r3"],
        "touchpoint": [OVERALL, "web", "web", "shop", OVERALL, "shop", "web", "web"],
        "nps": [9, None, None, None, 6, None, None, None],
        "csat": [None, 4, 5, 2, None, 3, 1, None],
    })
    table = drivers.respondent_table(answers)
    expected = pd.DataFrame({"outcome": [9.0, 6.0, np.nan], "shop": [2.0, 3.0, np.nan], "web": [4.5, np.nan, np.nan]},
                            index=pd.Index(["r1", "r2", "r3"], name="respondent_id"))
    pd.testing.assert_frame_equal(table, expected, check_index_type=False)
    promoters = drivers.respondent_table(answers, binary_threshold=9)
    assert promoters["outcome"].tolist()[:2] == [1.0, 0.0] and math.isnan(promoters["outcome"].iloc[2])


@pytest.mark.parametrize("missing", drivers.MISSING)
def test_analyse_finds_the_planted_drivers_and_says_what_it_left_out(missing):
    result = drivers.analyse(survey(), reps=50, missing=missing)
    table = result.table
    assert list(table.columns) == list(drivers.TABLE_COLUMNS)
    assert list(table["touchpoint"][:2]) == ["a", "b"] and list(table["rank"]) == [1, 2, 3, 4]
    assert table["importance"].sum() == pytest.approx(result.r2)
    assert result.r2_low <= result.r2 <= result.r2_high
    assert result.excluded == {"rare": "rated by 9 % of respondents (< 50 %)",
                               "same": "every rating was 5, so it cannot explain differences"}
    assert (result.model, result.method, result.outcome, result.driver_metric) == ("respondent", "lmg", "nps", "csat")
    assert "2 touchpoints" in result.note and result.missing == missing
    base = table.set_index("touchpoint")["base"].to_dict()
    if missing == "listwise":
        assert (result.n, result.dropped, result.effective_n) == (360, 40, 360)  # every tenth respondent skipped d
        assert "360 of the 400 respondents who rated two or more" in result.note
        assert base == dict.fromkeys("abcd", 360)
    else:  # those who skipped d count for a, b and c
        assert (result.n, result.dropped, result.effective_n) == (400, 0, 360)
        assert "400 of the 400 respondents who rated two or more" in result.note and "at least 360" in result.note
        assert base == {"a": 400, "b": 400, "c": 400, "d": 360}
    answers = survey()
    a = answers[answers["touchpoint"] == "a"]["csat"]
    row = table.set_index("touchpoint").loc["a"]
    assert (row["performance"], row["answers"]) == (pytest.approx(a.mean()), len(a))
    assert result.outcome_answers == 400 and result.outcome_mean == pytest.approx(
        answers.loc[answers["touchpoint"] == OVERALL, "nps"].mean())
    chosen = drivers.analyse(survey(), method="johnson", touchpoints=["b", "a", "nowhere"], reps=20)
    assert set(chosen.table["touchpoint"]) == {"a", "b"} and chosen.excluded == {"nowhere": "no CSAT ratings"}


def test_a_promoter_outcome_is_a_linear_probability_model():
    result = drivers.analyse(survey(), binary_threshold=9, reps=20)
    assert result.model == "respondent" and 0 < result.r2 < 1
    assert result.table["touchpoint"].iloc[0] == "a"
    assert set(drivers.respondent_table(survey(), binary_threshold=9)["outcome"].unique()) == {0.0, 1.0}


def transactional(seed: int = 0) -> pd.DataFrame:
    """Each respondent answers once (one touchpoint, or the overall question); branch-month averages of a and b
    drive the branch-month overall average, c does not."""
    rng = np.random.default_rng(seed)
    rows = []
    for branch, month in itertools.product(range(20), range(1, 13)):
        quality = rng.normal(size=3)
        ts = pd.Timestamp(2024, month, 10)
        for key, level in zip("abc", quality, strict=True):
            rows += [{"touchpoint": key, "csat": float(np.clip(np.round(3.5 + level + rng.normal(0, .5)), 1, 5)),
                      "nps": np.nan, "branch": f"b{branch}", "ts": ts} for _ in range(6)]
        mean = 7 + 1.2 * quality[0] + 0.6 * quality[1]
        rows += [{"touchpoint": OVERALL, "nps": float(np.clip(np.round(mean + rng.normal(0, .5)), 0, 10)),
                  "csat": np.nan, "branch": f"b{branch}", "ts": ts} for _ in range(5)]
    answers = pd.DataFrame(rows)
    answers["respondent_id"] = [f"p{i}" for i in range(len(answers))]
    return answers


def test_one_touchpoint_per_respondent_falls_back_to_segment_period_cells():
    answers = transactional()
    result = drivers.analyse(answers, reps=50)
    assert result.model == "segment-period"
    assert "branch-month cell" in result.note and "association between groups" in result.note
    assert list(result.table["touchpoint"]) == ["a", "b", "c"]
    assert (result.n, result.dropped, result.excluded) == (240, 0, {})
    anonymous = drivers.analyse(answers.drop(columns="respondent_id"), reps=20)
    assert anonymous.model == "segment-period"
    assert anonymous.table["importance"].to_numpy() == pytest.approx(result.table["importance"].to_numpy())
    with pytest.raises(ValueError, match="no 'region' and 'ts' columns"):
        drivers.analyse(answers, segment="region")


def test_a_result_survives_a_json_round_trip():
    result = drivers.analyse(survey(), reps=20)
    back = DriverResult.from_dict(json.loads(json.dumps(result.to_dict())))
    pd.testing.assert_frame_equal(back.table, result.table, check_dtype=False)
    assert back.to_dict() == result.to_dict()


# --- priorities -------------------------------------------------------------------------------------------------

def hand_table() -> pd.DataFrame:
    """R² 0.5; the mean performance is 4.1."""
    return pd.DataFrame({"touchpoint": ["checkout", "delivery", "web", "returns"],
                         "importance": [0.155, 0.2, 0.1, 0.045], "share": [0.31, 0.4, 0.2, 0.09],
                         "performance": [3.6, 4.6, 3.8, 4.4]})


def test_priorities_against_the_average_performance():
    ranked = drivers.priorities(hand_table())
    assert list(ranked["touchpoint"]) == ["checkout", "web", "delivery", "returns"]
    assert list(ranked["quadrant"]) == ["Fix first", "Improve later", "Keep it up", "Maintain"]
    assert list(ranked["priority"]) == [1, 2, 3, 4]
    assert ranked["reference"].to_numpy() == pytest.approx([4.1] * 4)
    assert ranked["reason"][0] == ("checkout explains 31 % of the explained variance and scores 3.6 against an "
                                   "average of 4.1.")
    assert ranked.attrs["performance_reference"] == pytest.approx(4.1)


def test_priorities_against_targets_rank_fix_first_by_importance_times_gap():
    ranked = drivers.priorities(hand_table(), {"delivery": 4.8, "returns": 4.0})
    # checkout 0.155 × (4.1 − 3.6) = 0.078 comes before delivery 0.2 × (4.8 − 4.6) = 0.04.
    assert list(ranked["touchpoint"]) == ["checkout", "delivery", "web", "returns"]
    assert list(ranked["quadrant"]) == ["Fix first", "Fix first", "Improve later", "Maintain"]
    assert ranked["gap"].to_numpy() == pytest.approx([0.5, 0.2, 0.3, -0.4])
    assert ranked["reason"][1] == ("delivery explains 40 % of the explained variance and scores 4.6 against a "
                                   "target of 4.8.")


def test_a_survey_without_overall_answers_is_refused_with_the_reason():
    answers = survey()
    refusal = "This dataset has no overall outcome to explain: map a column as the overall outcome when importing"
    with pytest.raises(ValueError, match=refusal):
        drivers.analyse(answers[answers["touchpoint"] != OVERALL], reps=10)
    with pytest.raises(ValueError, match=refusal):  # a yes/no outcome that was never mapped: no "rating" column
        drivers.analyse(answers, outcome="rating", reps=10)


def test_more_drivers_than_the_exact_limit_use_fewer_resamples_and_say_so():
    rng = np.random.default_rng(3)
    people = 300
    ratings = rng.integers(1, 6, size=(people, drivers.EXACT_LIMIT + 2)).astype(float)
    rows = [{"respondent_id": f"r{i}", "touchpoint": f"t{j:02d}", "nps": None, "csat": ratings[i, j]}
            for i in range(people) for j in range(ratings.shape[1])]
    rows += [{"respondent_id": f"r{i}", "touchpoint": OVERALL, "nps": float(min(10, round(ratings[i, :3].sum() / 1.5))),
              "csat": None} for i in range(people)]
    result = drivers.analyse(pd.DataFrame(rows), reps=200)
    assert len(result.table) == drivers.EXACT_LIMIT + 2
    assert f"intervals from {drivers.SAMPLED_REPS} resamples" in result.note


# --- the page ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Satisfied", "<b>Satisfied</b>"])
def test_the_page_explains_a_yes_no_outcome_by_its_name(workspace, small_journey, monkeypatch, name):
    import pyarrow as pa

    from cxweb.app import create_app
    from workbench.data import outcome

    rng = np.random.default_rng(2)
    people, keys = 600, ["web", "cart", "delivery"]
    ratings = np.clip(np.round(3 + rng.normal(size=(people, 3)) + rng.normal(size=(people, 1))), 1, 5)
    satisfied = (rng.random(people) < 1 / (1 + np.exp(-(ratings[:, 2] - 3.2) * 1.5))).astype(float)
    rows = [{"respondent_id": f"r{i}", "touchpoint": OVERALL, "rating": satisfied[i], "csat": None}
            for i in range(people)]
    rows += [{"respondent_id": f"r{i}", "touchpoint": key, "rating": None, "csat": ratings[i, j]}
             for i in range(people) for j, key in enumerate(keys) if (i + j) % 4]  # a quarter skip each
    answers = pd.DataFrame(rows).assign(response_id=lambda frame: frame.index.astype(str),
                                        ts=pd.Timestamp("2026-05-04"), branch="Brno")
    project = workspace.create_project("Client")
    journey_id = workspace.create_journey(project, small_journey)
    info = workspace.datasets.add_table(project, pa.Table.from_pandas(answers, preserve_index=False), "Survey",
                                        "survey", journey_id=journey_id)
    app = create_app(workspace)
    from cxweb.pages import (
        drivers as page,  # registers itself with the app: imported once the app exists
    )
    from workbench.features import drivers as screen

    # As the import records a yes/no outcome mapped to "Satisfied" (datasets.import_meta).
    monkeypatch.setattr(screen, "outcome", lambda _workspace, dataset_id: outcome.describe("rating", name, (0, 1),
                                                                                           name))
    selection = {"project": project, "journey": journey_id, "dataset": info.id, "metric": "csat",
                 "from": "2026-05-01", "to": "2026-05-31", "segments": []}
    with app.server.app_context():
        options, explain = page.offer_outcomes(info.id, None)
        assert (options, explain) == ([{"label": f"{name} (yes or no)", "value": "rating"}], "rating")
        summary, matrix, bars, table = page.analyse(selection, explain, "csat", "lmg", "pairwise")
    shown = str(summary) + str(table) + matrix.layout.title.text + bars.layout.title.text
    # The name as typed, never as markup: plotly reads titles as HTML (the summary and table are Dash text).
    titled = figures.label(name)
    assert matrix.layout.title.text.startswith(f"What drives {titled}") and "NPS" not in shown
    assert bars.layout.title.text.startswith(f"What drives {titled}") and "<b>" not in matrix.layout.title.text
    share = metrics.share(int(satisfied.sum()), people)
    assert f"share {name} {share.value:.1f} % [{share.low:.1f}–{share.high:.1f}], n = 600 answers" in shown
    assert "missing answers pairwise" in shown and "each correlation on at least 300" in shown
    assert bars.data[0].y[-1].lower() == "delivery"  # the planted driver on top (its key or its name)
    # Every interval with its level and method; each touchpoint with its verdict.
    assert "share of explained variance, 95\u00a0% percentile bootstrap interval" in bars.layout.title.text
    assert "Importance [95" in shown and "Matters?" in shown and "Holm-adjusted" in shown  # Dash's repr escapes the
    assert "percentile bootstrap over 200 resamples" in shown  # no-break space of "95 %"
    assert "matters (p < 0.001)" in str(table)


def test_the_block_bootstrap_of_a_large_table_has_the_correlations_textbook_spread():
    # 20 000 rows (dealt into 4 096 random blocks): the replicates' correlations spread as Fisher's (1 − ρ²)/√n says
    # for a bivariate normal, within the 5 % Monte Carlo error of 400 replicates' standard deviation.
    rng = np.random.default_rng(4)
    n, rho = 20_000, 0.6
    values = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    replicates = drivers._resampled_covariances(values, None, 400, np.random.default_rng(5))
    correlation = replicates[:, 0, 1] / np.sqrt(replicates[:, 0, 0] * replicates[:, 1, 1])
    assert np.std(correlation, ddof=1) / ((1 - rho**2) / np.sqrt(n)) == pytest.approx(1, abs=0.15)
    assert np.mean(correlation) == pytest.approx(np.corrcoef(values, rowvar=False)[0, 1], abs=0.002)
