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


def bell_mccaffrey(x, y, groups, contrast):
    """CR2 variance of contrast'β and its Bell–McCaffrey df by matrices: (I − H_gg)^−½ per cluster, eigenvalues."""
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ y
    e = y - x @ beta
    hat = x @ bread @ x.T
    residual_maker = np.eye(len(y)) - hat
    columns, variance = [], 0.0
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        values, vectors = np.linalg.eigh(np.eye(len(rows)) - hat[np.ix_(rows, rows)])
        adjust = vectors @ np.diag(values**-0.5) @ vectors.T
        a = adjust @ x[rows] @ bread @ contrast
        variance += float(a @ e[rows]) ** 2
        column = np.zeros(len(y))
        column[rows] = a
        columns.append(residual_maker @ column)
    lam = np.linalg.eigvalsh(np.column_stack(columns).T @ np.column_stack(columns))
    return float(contrast @ beta), variance, lam.sum() ** 2 / (lam**2).sum()


def test_cr2_matches_the_bias_reduced_sandwich_and_bell_mccaffrey_df_computed_with_matrices():
    rng = np.random.default_rng(11)
    cell = rng.integers(0, 4, 160)
    branch = rng.integers(0, 9, 160)  # branches span cells, as in a difference in differences
    y = rng.normal(0, 1, 9)[branch] + 0.3 * cell + rng.normal(0, 1, 160)
    weights = np.array([1.0, -1.0, -1.0, 1.0])
    point, variance, df = bell_mccaffrey(np.eye(4)[cell], y, branch, weights)
    found = clustered.contrast(cell, branch, np.ones(160), y, y * y, weights=weights, method="CR2")
    assert found.difference == pytest.approx(point)
    assert found.se == pytest.approx(math.sqrt(variance), rel=1e-9)
    assert found.df == pytest.approx(df, rel=1e-9)
    assert found.clusters == 9 and found.df < 8  # fewer than G − 1 when clusters differ in size and make-up
    half = student.ppf(0.975, found.df) * found.se
    assert (found.low, found.high) == pytest.approx((point - half, point + half))
    # Summed per (cell, branch), as the query gives them: the same answer.
    frame = pd.DataFrame({"cell": cell, "branch": branch, "y": y, "y2": y * y, "one": 1.0})
    sums = frame.groupby(["cell", "branch"], as_index=False)[["one", "y", "y2"]].sum()
    grouped = clustered.contrast(sums.cell, sums.branch, sums.one, sums.y, sums.y2, weights=weights, method="CR2")
    assert (grouped.se, grouped.df) == (pytest.approx(found.se), pytest.approx(found.df))


def test_cr2_with_answers_alone_matches_one_cluster_per_answer_and_the_welch_variance():
    rng = np.random.default_rng(2)
    cell = np.repeat([0, 1], [7, 12])
    y = rng.integers(1, 6, 19).astype(float)
    labels = np.array([f"r{i}" for i in range(17)] + [None, None], dtype=object)  # two answers without a respondent
    x = np.eye(2)[cell]
    point, variance, df = bell_mccaffrey(x, y, np.arange(19), np.array([1.0, -1.0]))
    found = clustered.contrast(cell, labels, np.ones(19), y, y * y, weights=[1, -1], method="CR2")
    assert found.se == pytest.approx(math.sqrt(variance)) and found.df == pytest.approx(df)
    # HC2 of a difference of two means is Welch's s₁²/n₁ + s₂²/n₂.
    welch = y[cell == 0].var(ddof=1) / 7 + y[cell == 1].var(ddof=1) / 12
    assert found.se == pytest.approx(math.sqrt(welch)) and found.design_effect == pytest.approx(1)
    summed = clustered.contrast([0, 1], [None, None], [7, 12], [y[:7].sum(), y[7:].sum()],
                                [(y[:7] ** 2).sum(), (y[7:] ** 2).sum()], weights=[1, -1], method="CR2")
    assert (summed.se, summed.df, summed.clusters) == (pytest.approx(found.se), pytest.approx(df), 19)


def test_cr2_leaves_a_cell_held_by_one_cluster_without_an_error_rather_than_too_sure():
    # The treated side is one branch in both windows: its residual sums are zero, its variance unmeasured.
    cell = [0, 1, 2, 2, 3, 3]
    branch = ["a", "a", "b", "c", "b", "c"]
    found = clustered.contrast(cell, branch, [5] * 6, [20, 15, 18, 17, 16, 19], [90, 50, 70, 65, 60, 80],
                               weights=[1, -1, -1, 1], method="CR2")
    assert found.difference == pytest.approx((4 - 3) - (3.5 - 3.5)) and math.isnan(found.se) and math.isnan(found.p_value)
    with pytest.raises(ValueError, match="method"):
        clustered.contrast([0, 1], ["a", "b"], [2, 2], [3, 4], [5, 9], weights=[1, -1], method="CR3")


def nested_rows(seed: int) -> pd.DataFrame:
    """Two touchpoints × 12 branches × 3 months of a few answers; branches 0–10 in four regions, branch 11 without a
    region (the rest only), branch 5 without a cluster label (independent answers)."""
    rng = np.random.default_rng(seed)
    rows = []
    for family in "ab":
        for branch in range(12):
            region = f"r{branch % 4}" if branch < 11 else None
            for month in range(3):
                x = rng.integers(0, 11, rng.integers(1, 9)).astype(float)
                label = f"{branch}-{month}" if branch != 5 else None
                rows.append((family, region, label, len(x), x.sum(), (x * x).sum()))
    return pd.DataFrame(rows, columns=["family", "member", "cluster", "n", "total", "sq"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_member_against_the_rest_at_once_is_contrast_cr2_member_by_member(seed):
    rows = nested_rows(seed)
    found = clustered.against_rest(rows.family, rows.member, rows.cluster, rows.n, rows.total, rows.sq)
    assert len(found) == 8 and set(found.member) == {"r0", "r1", "r2", "r3"}
    for item in found.itertuples():
        part = rows[rows.family == item.family]
        side = np.where(part.member == item.member, 0, 1)
        one = clustered.contrast(side, part.cluster, part.n, part.total, part.sq, [1, -1], method="CR2")
        assert item.difference == pytest.approx(one.difference)
        assert item.se == pytest.approx(one.se) and item.se_iid == pytest.approx(one.se_iid)
        assert item.df == pytest.approx(one.df) and item.p_value == pytest.approx(one.p_value)
        assert (item.low, item.high) == pytest.approx((one.low, one.high))
        assert item.clusters == one.clusters and item.design_effect == pytest.approx(one.design_effect)
        inside = part[part.member == item.member]
        assert item.n == inside.n.sum() and item.mean == pytest.approx(inside.total.sum() / inside.n.sum())
        assert item.rest_n == part.n.sum() - inside.n.sum()


def test_independent_answers_against_the_rest_are_welch_with_the_working_model_degrees_of_freedom():
    a, b = np.array([3.0, 4, 5, 5, 2, 4]), np.array([4.0, 5, 5, 4, 3, 5, 5, 4, 5])
    found = clustered.against_rest(["t", "t"], ["x", None], [None, None], [6, 9], [a.sum(), b.sum()],
                                   [(a * a).sum(), (b * b).sum()]).iloc[0]  # fmt: skip
    se = math.sqrt(a.var(ddof=1) / 6 + b.var(ddof=1) / 9)
    df = (1 / 6 + 1 / 9) ** 2 / (1 / (36 * 5) + 1 / (81 * 8))  # Bell–McCaffrey: Welch's formula, one variance
    assert found.se == pytest.approx(se) and found.df == pytest.approx(df)
    assert found.p_value == pytest.approx(2 * student.sf(abs(a.mean() - b.mean()) / se, df))
    assert found.clusters == 15


def test_a_cluster_spanning_two_members_is_refused():
    with pytest.raises(ValueError, match="spans two members"):
        clustered.against_rest(["t", "t"], ["x", "y"], ["b1", "b1"], [5, 5], [20, 20], [90, 90])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["x", "y", "z", None]), st.integers(0, 3),
                          st.booleans(), st.integers(0, 5), st.integers(0, 40)), min_size=2, max_size=40))
def test_every_member_against_the_rest_is_contrast_cr2_on_any_rows(rows):
    """All families at once equal one contrast per (family, member): lone answers, rows of the rest only, empty
    rows, clusters of one size or many, a family without members, members seen in any order."""
    frame = pd.DataFrame(
        [(f, m, f"{m}{k}" if clustered_row else None, n, float(s), s * s / max(n, 1) + n)
         for f, m, k, clustered_row, n, s in rows],
        columns=["family", "member", "cluster", "n", "total", "sq"])  # fmt: skip
    found = clustered.against_rest(frame.family, frame.member, frame.cluster, frame.n, frame.total, frame.sq)
    used = frame[frame.n > 0]
    expected = [(f, m) for f in sorted(set(used.family)) for m in dict.fromkeys(used[used.family == f].member)
                if pd.notna(m)]  # fmt: skip
    assert list(zip(found.family, found.member, strict=True)) == expected
    for item in found.itertuples():
        part = used[used.family == item.family]
        side = np.where(part.member == item.member, 0, 1)
        one = clustered.contrast(side, part.cluster, part.n, part.total, part.sq, [1, -1], method="CR2")
        assert item.n == part.n[side == 0].sum() and item.rest_n == part.n[side == 1].sum()
        if not item.rest_n:  # nothing to compare with: contrast() gives up before counting clusters
            assert math.isnan(item.difference) and math.isnan(one.difference)
            continue
        assert item.difference == pytest.approx(one.difference, nan_ok=True)
        assert item.se == pytest.approx(one.se, rel=1e-7, nan_ok=True)
        assert item.df == pytest.approx(one.df, rel=1e-7, nan_ok=True)
        assert item.clusters == one.clusters
