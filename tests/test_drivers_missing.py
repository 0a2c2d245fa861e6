"""Key drivers with skipped touchpoints: pairwise correlations, the nearest correlation matrix, cluster resampling
and a yes/no outcome, checked against simulations whose true importance is known.

The simulated respondents have five correlated drivers (one common factor) and an outcome that is a linear
combination of them plus noise, so the population's correlation matrix, and from it the true LMG shares (the
module's exact LMG of that matrix), are known. Each touchpoint is skipped by 30 % of respondents, at random.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from workbench.analysis import drivers
from workbench.core import metrics
from workbench.core.contract import OVERALL

LOADINGS = np.array([0.7, 0.6, 0.5, 0.6, 0.4])  # each driver's correlation with the common factor
WEIGHTS = np.array([0.40, 0.25, 0.15, 0.10, 0.0])  # standardised effects; LMG credits t4 through its correlations
NAMES = [f"t{j}" for j in range(len(WEIGHTS))]
SKIPPED = 0.3


def driver_correlation() -> np.ndarray:
    matrix = np.outer(LOADINGS, LOADINGS)
    np.fill_diagonal(matrix, 1.0)
    return matrix


def true_shares(branch_drivers: float = 0.0, branch_outcome: float = 0.0) -> np.ndarray:
    """LMG of the population: drivers with a branch effect of variance ``branch_drivers`` × their within-branch
    covariance, an outcome with its own branch effect of variance ``branch_outcome``."""
    drivers_ = (1 + branch_drivers) * driver_correlation()
    with_outcome = drivers_ @ WEIGHTS
    noise = 1 - WEIGHTS @ driver_correlation() @ WEIGHTS
    covariance = np.block(
        [
            [np.array([[WEIGHTS @ with_outcome + branch_outcome + noise]]), with_outcome[None]],
            [with_outcome[:, None], drivers_],
        ]
    )
    return drivers.lmg(covariance)


def respondents(
    rng: np.random.Generator,
    n: int,
    branches: int = 0,
    branch_drivers: float = 0.0,
    branch_outcome: float = 0.0,
    skipped: float = SKIPPED,
) -> pd.DataFrame:
    """``n`` respondents: outcome "y", drivers t0…t4 (NaN where skipped) and their "branch" (n / branches each)."""
    root = np.linalg.cholesky(driver_correlation())
    x = rng.normal(size=(n, len(WEIGHTS))) @ root.T
    shared = np.zeros(n)
    branch = np.arange(n) % max(branches, 1)
    if branches:
        x += (rng.normal(size=(branches, len(WEIGHTS))) @ root.T * np.sqrt(branch_drivers))[branch]
        shared = (rng.normal(size=branches) * np.sqrt(branch_outcome))[branch]
    noise = np.sqrt(1 - WEIGHTS @ driver_correlation() @ WEIGHTS)
    y = x @ WEIGHTS + shared + rng.normal(size=n) * noise
    x[rng.random(x.shape) < skipped] = np.nan
    return pd.DataFrame({"y": y, **dict(zip(NAMES, x.T, strict=True)), "branch": branch})


def long_answers(frame: pd.DataFrame, outcome: str = "nps") -> pd.DataFrame:
    """Respondents as survey answers: the outcome at the overall touchpoint, each rating not skipped as CSAT."""
    ids = [f"r{i}" for i in range(len(frame))]
    parts = [
        pd.DataFrame(
            {"respondent_id": ids, "touchpoint": OVERALL, outcome: frame["y"], "branch": frame["branch"].astype(str)}
        )
    ]
    for name in NAMES:
        rated = frame[name].notna()
        parts.append(
            pd.DataFrame(
                {
                    "respondent_id": np.array(ids)[rated],
                    "touchpoint": name,
                    "csat": frame.loc[rated, name],
                    "branch": frame.loc[rated, "branch"].astype(str),
                }
            )
        )
    answers = pd.concat(parts, ignore_index=True)
    answers["ts"] = pd.Timestamp("2025-03-01")
    return answers


def coverage(replications: int, n: int, reps: int, clustered: bool, seed: int, **branching) -> tuple[float, float]:
    """Share of 95 % intervals (every driver of every replication) that contain the true importance, and the
    largest mean error of a driver's estimate over the replications."""
    truth = true_shares(branching.get("branch_drivers", 0.0), branching.get("branch_outcome", 0.0))
    rng = np.random.default_rng(seed)
    hits, errors = [], []
    for replication in range(replications):
        frame = respondents(rng, n, **branching)
        table = drivers.bootstrap(
            frame, "y", NAMES, reps=reps, seed=replication, clusters="branch" if clustered else None
        )
        hits.append(((table["low"] <= truth) & (truth <= table["high"])).to_numpy())
        errors.append(table["importance"].to_numpy() - truth)
    return float(np.mean(hits)), float(np.abs(np.mean(errors, axis=0)).max())


# --- recovery and coverage ---------------------------------------------------------------------------------------


def test_pairwise_recovers_the_true_shares_from_answers_with_gaps():
    truth = true_shares()
    frame = respondents(np.random.default_rng(1), 20_000)
    estimate = drivers.relative_importance(frame, "y", NAMES)
    assert estimate.to_numpy() == pytest.approx(truth, abs=0.01)
    rated = frame[NAMES].notna().any(axis=1)
    assert estimate.attrs["n"] == rated.sum() > 19_900  # only those who skipped all five (0.3⁵) have nothing to give
    listwise = drivers.relative_importance(frame, "y", NAMES, missing="listwise")
    assert listwise.attrs["n"] == pytest.approx(20_000 * 0.7**5, rel=0.05)  # the 17 % who answered all five


def test_pairwise_intervals_cover_the_truth_at_about_the_nominal_rate():
    """40 samples of 800 respondents, 100 resamples each: 0.955 of the 200 intervals cover the truth (measured
    once over 1 000 samples with 200 resamples, 5 000 intervals: 0.948); each driver's mean error is below
    0.005 here (0.0013 over the 1 000)."""
    covered, bias = coverage(40, 800, 100, clustered=False, seed=7)
    assert 0.9 <= covered <= 0.99
    assert bias < 0.01


def test_respondents_nested_in_branches_need_whole_branches_resampled():
    """Branches share conditions: a branch effect on the drivers (variance 0.3 × theirs) and on the outcome (0.3),
    20 branches of 40 respondents. Resampling respondents one by one, 0.705 of the 200 intervals cover the truth
    (0.744 of 5 000 over 1 000 samples); resampling whole branches, 0.89 (0.921 of 5 000: a cluster bootstrap of
    20 clusters is a little narrow), 0.91 since the intervals are widened by √(G/(G − 1)) · t(G − 1)/z. With a milder effect (0.15 and 0.1, 40 branches of 20), over 300 samples:
    respondents 0.909, branches 0.938. The point estimates are unbiased either way."""
    branching = {"branches": 20, "branch_drivers": 0.3, "branch_outcome": 0.3}
    respondents_covered, _ = coverage(40, 800, 100, clustered=False, seed=11, **branching)
    branches_covered, bias = coverage(40, 800, 100, clustered=True, seed=11, **branching)
    assert respondents_covered < 0.8 and branches_covered > 0.85
    assert bias < 0.01


def test_listwise_keeps_far_fewer_respondents_and_gives_wider_intervals():
    answers = long_answers(respondents(np.random.default_rng(3), 1_500, branches=50))
    pairwise = drivers.analyse(answers, reps=100)
    listwise = drivers.analyse(answers, reps=100, missing="listwise")
    assert (pairwise.model, listwise.model) == ("respondent", "respondent")
    assert listwise.n < pairwise.n / 4  # 0.7⁵ = 17 % of those with two or more ratings rated all five
    assert pairwise.effective_n == pytest.approx(1_500 * 0.7**2, rel=0.1)  # a pair is answered by 0.7²
    assert (pairwise.table["base"] > listwise.n * 3).all()
    width = {result.missing: (result.table["high"] - result.table["low"]).mean() for result in (pairwise, listwise)}
    assert width["pairwise"] < width["listwise"] / 1.5
    assert "a whole branch at a time (50 of them)" in pairwise.note
    assert "at least" in pairwise.note and "respondents who rated two or more touchpoints" in pairwise.note


# --- pairwise correlations ---------------------------------------------------------------------------------------


def test_pairwise_correlations_are_pandas_pairwise_complete_ones():
    frame = respondents(np.random.default_rng(5), 300, skipped=0.4)[["y", *NAMES]]
    ours = drivers._observed(frame.to_numpy(), None)
    assert ours == pytest.approx(frame.corr().to_numpy(), abs=1e-12)  # pandas: each pair over its complete rows
    weights = np.random.default_rng(6).integers(1, 4, len(frame)).astype(float)
    repeated = frame.loc[frame.index.repeat(weights.astype(int))]
    assert drivers._observed(frame.to_numpy(), weights) == pytest.approx(repeated.corr().to_numpy(), abs=1e-12)


@settings(max_examples=20)
@given(seed=st.integers(0, 10**6), method=st.sampled_from(drivers.METHODS))
def test_without_gaps_pairwise_is_listwise(seed, method):
    frame = respondents(np.random.default_rng(seed), 60, skipped=0.0)
    pairwise = drivers.bootstrap(frame, "y", NAMES, method, reps=10, seed=seed)
    listwise = drivers.bootstrap(frame, "y", NAMES, method, reps=10, seed=seed, missing="listwise")
    pd.testing.assert_frame_equal(pairwise, listwise)


def test_two_touchpoints_rarely_rated_together_keep_the_more_rated_one():
    # A journey that branches: collect in store (40 %, rate t4) or have it delivered (60 %, rate t3), never both.
    frame = respondents(np.random.default_rng(8), 1_000, branches=50, skipped=0.1)
    store = np.random.default_rng(9).random(len(frame)) < 0.4
    frame.loc[store, "t3"] = np.nan
    frame.loc[~store, "t4"] = np.nan
    answers = long_answers(frame)
    result = drivers.analyse(answers, reps=20, min_coverage=0.3)
    assert result.model == "respondent" and "t3" in set(result.table["touchpoint"])
    assert result.excluded == {"t4": "rated together with t3 by only 0 respondents (fewer than 100)"}
    listwise = drivers.analyse(answers, reps=20, min_coverage=0.3, missing="listwise")
    assert listwise.model == "segment-period"  # nobody rated all five: no respondent-level model


def test_too_few_rows_behind_a_pair_or_a_constant_driver_is_refused_in_words():
    frame = respondents(np.random.default_rng(2), 40, skipped=0.0)
    frame.loc[frame.index[:37], "t1"] = np.nan
    with pytest.raises(ValueError, match="Only 3 rows answer both 'y' and 't1'; with 5 drivers at least 7"):
        drivers.relative_importance(frame, "y", NAMES)
    frame = respondents(np.random.default_rng(2), 40, skipped=0.0).assign(t2=2.0)
    frame.loc[frame.index[:5], "t2"] = np.nan
    with pytest.raises(ValueError, match="driver 't2' has the same value in every row that answers it"):
        drivers.relative_importance(frame, "y", NAMES)
    with pytest.raises(ValueError, match="Unknown way to treat missing answers 'impute'"):
        drivers.relative_importance(frame, "y", NAMES, missing="impute")


def test_whole_clusters_are_drawn():
    groups = np.array([0, 0, 1, 2, 2, 2, 3])
    rng = np.random.default_rng(0)
    unit, units = drivers._units(len(groups), rng, groups)
    assert units == 4 and list(unit) == list(groups)  # a cluster's rows are one unit, drawn together
    assert all(drawn.sum() == 4 for drawn in drivers._draws(units, 50, rng))  # four clusters drawn out of four


def test_a_respondents_cluster_is_the_segment_of_their_first_outcome_answer():
    """Rows.clusters, one per kept respondent in the rows' order: the branch of the first overall answer (a
    respondent answering twice, from two branches, is one cluster's); respondents with no overall answer or one
    rated touchpoint are not rows."""
    rows = []
    for person in range(120):
        branch = f"B{person % 4}"
        rows += [(f"r{person}", "t0", 1 + person % 5, None, branch), (f"r{person}", "t1", 1 + person % 3, None, branch),
                 (f"r{person}", OVERALL, None, person % 11, branch)]
    rows += [("r7", OVERALL, None, 2, "B9"),  # r7's second overall answer, elsewhere: still in B3
             ("lone", "t0", 4, None, "B0"), ("lone", OVERALL, None, 9, "B0"),  # one touchpoint rated
             ("silent", "t0", 4, None, "B1"), ("silent", "t1", 2, None, "B1")]  # no overall answer
    answers = pd.DataFrame(rows, columns=["respondent_id", "touchpoint", "csat", "nps", "branch"])
    found = drivers.model_rows(answers, "nps", "csat")
    assert list(found.rows.index) == [f"r{person}" for person in range(120)]
    assert list(found.clusters.index) == list(found.rows.index)
    assert list(found.clusters) == [f"B{person % 4}" for person in range(120)]
    assert found.rows.loc["r7", "outcome"] == pytest.approx((7 + 2) / 2)


def test_a_large_table_is_dealt_into_equal_random_blocks_and_a_small_one_keeps_its_rows():
    rng = np.random.default_rng(0)
    assert list(drivers._units(7, rng)[0]) == list(range(7))
    unit, units = drivers._units(10 * drivers._UNITS + 3, rng)
    sizes = np.bincount(unit, minlength=units)
    assert units == drivers._UNITS and set(sizes) <= {10, 11} and sizes.sum() == 10 * drivers._UNITS + 3
    assert not np.array_equal(unit[: drivers._UNITS], np.arange(drivers._UNITS))  # dealt at random, not in order


def test_unit_sums_give_every_replicate_the_totals_of_its_drawn_rows():
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(3, 50))
    unit = rng.integers(0, 6, 50)
    counts = drivers._draws(6, 4, rng)
    totals = drivers._products(rows, [(0, 0, 3), (1, 1, 3)], None, unit, counts)
    for drawn, total in zip(counts, totals):
        weight = drawn[unit].astype(float)  # each row as often as its unit was drawn
        expected = [(rows[0] * rows[k] * weight).sum() for k in range(3)] + [
            (rows[1] * rows[k] * weight).sum() for k in (1, 2)
        ]
        assert total == pytest.approx(expected)


# --- the nearest correlation matrix --------------------------------------------------------------------------


def test_higham_s_published_example():
    # Higham (2002), IMA J. Numer. Anal. 22, p. 343: the nearest correlation matrix to this one.
    nearest = drivers.nearest_correlation(np.array([[1.0, 1, 0], [1, 1, 1], [0, 1, 1]]))
    assert nearest == pytest.approx(np.array([[1, 0.7607, 0.1573], [0.7607, 1, 0.7607], [0.1573, 0.7607, 1]]), abs=1e-4)


def clip_and_rescale(matrix: np.ndarray) -> np.ndarray:
    """The one-step alternative: negative eigenvalues to zero, then the diagonal back to one."""
    values, vectors = np.linalg.eigh(matrix)
    clipped = (vectors * np.clip(values, 0, None)) @ vectors.T
    scale = 1 / np.sqrt(np.diag(clipped))
    return clipped * np.outer(scale, scale)


@st.composite
def pseudo_correlations(draw) -> np.ndarray:
    """A symmetric matrix with unit diagonal and entries in [−1, 1]: often not positive semidefinite."""
    size = draw(st.integers(2, 7))
    entries = draw(hnp.arrays(float, (size, size), elements=st.floats(-1, 1)))
    matrix = np.triu(entries, 1)
    matrix = matrix + matrix.T
    np.fill_diagonal(matrix, 1.0)
    return matrix


@settings(max_examples=60)
@given(matrix=pseudo_correlations())
def test_the_repair_is_a_correlation_matrix_no_farther_than_clipping(matrix):
    repaired = drivers.nearest_correlation(matrix)
    assert np.linalg.eigvalsh(repaired).min() >= -1e-9
    assert np.diag(repaired) == pytest.approx(np.ones(len(matrix)), abs=1e-12)
    assert np.array_equal(repaired, repaired.T)
    assert np.array_equal(drivers.nearest_correlation(repaired), repaired)  # a correlation matrix is left alone
    if np.linalg.eigvalsh(matrix).min() < -1e-6:
        assert np.linalg.norm(repaired - matrix) <= np.linalg.norm(clip_and_rescale(matrix) - matrix) + 1e-6


@settings(max_examples=40)
@given(seed=st.integers(0, 10**6), size=st.integers(2, 8), rows=st.integers(2, 30))
def test_a_correlation_matrix_comes_back_unchanged(seed, size, rows):
    # From fewer rows than columns the matrix is singular: positive semidefinite but not definite.
    matrix = np.corrcoef(np.random.default_rng(seed).normal(size=(rows, size)), rowvar=False)
    assert np.array_equal(drivers.nearest_correlation(matrix), matrix)
    stack = np.stack([matrix, matrix])
    assert np.array_equal(drivers.nearest_correlation(stack), stack)


# --- a yes/no outcome --------------------------------------------------------------------------------------------


def test_a_yes_no_outcome_ranks_the_drivers_by_their_effect_and_reports_its_share():
    # Satisfied or not, from a logistic model of the drivers; ratings 1–5 of them, 30 % skipped.
    rng = np.random.default_rng(4)
    n = 4_000
    frame = respondents(rng, n, branches=40, skipped=0.0)
    latent = frame[NAMES].to_numpy()
    satisfied = rng.random(n) < 1 / (1 + np.exp(-(latent @ np.array([1.5, 0.9, 0.5, 0.0, 0.0]) - 0.3)))
    ratings = np.clip(np.round(3 + latent), 1, 5)
    ratings[rng.random(ratings.shape) < SKIPPED] = np.nan
    answers = long_answers(
        frame.assign(y=satisfied.astype(float), **dict(zip(NAMES, ratings.T, strict=True))), "rating"
    )
    result = drivers.analyse(answers, outcome="rating", reps=50)
    assert list(result.table["touchpoint"][:3]) == ["t0", "t1", "t2"]
    assert result.outcome == "rating" and 0 < result.r2 < 1
    share = result.outcome_share()
    assert share == metrics.share(int(satisfied.sum()), n)
    assert share.low < 100 * satisfied.mean() < share.high
