"""Cluster-robust contrasts of cell means: against the regression sandwich, aggregated rows, and the iid case."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import t as student

from workbench.core import clustered


def sandwich(x, y, groups):
    """OLS of y on x with the CR1 sandwich (X'X)⁻¹ Σ_g X_g'e_g e_g'X_g (X'X)⁻¹ · G/(G − 1), by matrices."""
    beta = np.linalg.solve(x.T @ x, x.T @ y)
    e = y - x @ beta
    bread = np.linalg.inv(x.T @ x)
    meat = sum(np.outer(x[groups == g].T @ e[groups == g], x[groups == g].T @ e[groups == g]) for g in np.unique(groups))
    g = len(np.unique(groups))
    return beta, g / (g - 1) * bread @ meat @ bread


def test_a_difference_of_two_means_is_the_dummy_regressions_coefficient_with_its_cluster_sandwich():
    rng = np.random.default_rng(3)
    branch = rng.integers(0, 12, 400)
    side = (rng.random(400) < 0.4).astype(int)
    y = 3.5 + 0.3 * side + rng.normal(0, 0.5, 12)[branch] + rng.normal(0, 1, 400)
    beta, cov = sandwich(np.column_stack([np.ones(400), side]), y, branch)
    # The contrast mean(side 1) − mean(side 0) from raw rows, one row per answer.
    found = clustered.contrast(1 - side, branch, np.ones(400), y, y * y, weights=[1.0, -1.0])
    assert found.difference == pytest.approx(beta[1])
    assert found.se == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-9)
    assert found.clusters == 12 and found.df == 11
    assert found.p_value == pytest.approx(2 * student.sf(abs(beta[1] / math.sqrt(cov[1, 1])), 11))
    half = student.ppf(0.975, 11) * found.se
    assert (found.low, found.high) == pytest.approx((found.difference - half, found.difference + half))


def test_rows_aggregated_per_cell_and_cluster_give_the_same_answer_as_raw_rows():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"cell": rng.integers(0, 3, 600), "branch": rng.integers(0, 20, 600)})
    frame["x"] = rng.integers(0, 11, 600).astype(float)
    raw = clustered.contrast(frame.cell, frame.branch, np.ones(600), frame.x, frame.x**2, weights=[1, -0.5, -0.5])
    sums = frame.assign(x2=frame.x**2, one=1.0).groupby(["cell", "branch"], as_index=False)[["one", "x", "x2"]].sum()
    grouped = clustered.contrast(sums.cell, sums.branch, sums.one, sums.x, sums.x2, weights=[1, -0.5, -0.5])
    assert grouped.difference == pytest.approx(raw.difference)
    assert grouped.se == pytest.approx(raw.se)
    assert grouped.design_effect == pytest.approx(raw.design_effect)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 10)), min_size=6, max_size=60))
def test_answers_without_a_cluster_are_independent_whether_given_one_by_one_or_summed(answers):
    cells = np.array([cell for cell, _ in answers])
    if len(set(cells)) < 2:
        return
    x = np.array([score for _, score in answers], dtype=float)
    one_by_one = clustered.contrast(cells, np.arange(len(x)), np.ones(len(x)), x, x * x, weights=[1, -1])
    summed = clustered.contrast(
        [0, 1], [None, None], np.bincount(cells, minlength=2), np.bincount(cells, x, minlength=2),
        np.bincount(cells, x * x, minlength=2), weights=[1, -1],
    )  # fmt: skip
    assert summed.clusters == len(x)
    assert summed.difference == pytest.approx(one_by_one.difference)
    assert summed.se == pytest.approx(one_by_one.se, abs=1e-9)


def test_independent_answers_have_a_design_effect_near_one_and_shared_branches_above_it():
    rng = np.random.default_rng(8)
    branch = rng.integers(0, 40, 8000)
    side = (branch % 2).astype(int)
    independent = rng.normal(0, 1, 8000)
    shared = independent + rng.normal(0, 0.4, 40)[branch]
    plain = clustered.contrast(side, branch, np.ones(8000), independent, independent**2, weights=[1, -1])
    clustered_answers = clustered.contrast(side, branch, np.ones(8000), shared, shared**2, weights=[1, -1])
    assert 0.6 < plain.design_effect < 1.6
    assert clustered_answers.design_effect > 10  # ρ·(m − 1) + 1 with ρ ≈ 0.14 and 200 answers a branch


def test_nps_moments_count_promoters_as_plus_100_and_detractors_as_minus_100():
    stats = pd.DataFrame({"nps_n": [10], "promoters": [6], "detractors": [3], "passives": [1]})
    n, total, total_sq = clustered.moments(stats, "nps")
    assert (n[0], total[0], total_sq[0]) == (10, 300, 90_000)
    found = clustered.contrast([0, 1], [None, None], [10, 10], [300, -100], [90_000, 50_000], weights=[1, -1])
    assert found.difference == pytest.approx(30 - (-10))


def test_an_empty_side_is_undefined_rather_than_zero():
    found = clustered.contrast([0], ["a"], [5], [20], [90], weights=[1, -1])
    assert math.isnan(found.difference) and math.isnan(found.p_value)
