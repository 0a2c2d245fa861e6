"""Calibration of compliance intervals against a known truth: clustered audit visits, simulated.

Each simulated dataset has 4 branches of 5–15 visits; a visit scores 20 checklist items (every fifth out of 5
points, the rest pass/fail; 10 % not applicable) with a branch's and an item's fixed effects and a visit's random
effect ``u ~ N(0, σ)`` on the logit scale. σ = 0.8 puts the items of a visit at an intra-visit correlation of about
0.09, σ = 1.1 at 0.16 (computed below by quadrature). The true compliance of a branch is
``Σ_i max_i · E[π_i] / Σ_i max_i`` (Gauss–Hermite over u).
"""

from __future__ import annotations

import numpy as np
import pytest

from workbench.analysis import compliance
from workbench.core import metrics

DATASETS = 1000
ITEMS = 20
NODES, WEIGHTS = np.polynomial.hermite_e.hermegauss(40)
WEIGHTS = WEIGHTS / WEIGHTS.sum()
DIFFICULTY = np.linspace(-0.8, 0.8, ITEMS)
CEILING = np.where(np.arange(ITEMS) % 5 == 0, 5.0, 1.0)


def expit(x):
    return 1 / (1 + np.exp(-x))


def intra_visit_correlation(sigma: float, centre: float = 1.4) -> float:
    """The average correlation of two pass/fail items of one visit at the average branch."""
    pi = expit(centre + sigma * NODES[:, None] + DIFFICULTY[None, :])
    mean = WEIGHTS @ pi
    covariance = np.einsum("k,ki,kj->ij", WEIGHTS, pi, pi) - np.outer(mean, mean)
    correlation = covariance / np.sqrt(np.outer(mean * (1 - mean), mean * (1 - mean)))
    return float(correlation[~np.eye(ITEMS, dtype=bool)].mean())


def simulate(rng, sigma: float, branches: int = 4):
    """One dataset: per item its branch, visit, points and max; each branch's true compliance; visits per branch."""
    effects = rng.normal(1.4, 0.5, branches)
    visits = rng.integers(5, 16, branches)
    branch = np.repeat(np.arange(branches), visits)
    pi = expit(effects[branch][:, None] + DIFFICULTY[None, :] + rng.normal(0, sigma, len(branch))[:, None])
    points = rng.binomial(np.broadcast_to(CEILING.astype(int), pi.shape), pi).astype(float)
    visit, item = np.nonzero(rng.random(pi.shape) > 0.1)
    expected = np.einsum(
        "k,bki->bi", WEIGHTS, expit(effects[:, None, None] + sigma * NODES[None, :, None] + DIFFICULTY[None, None, :])
    )
    truth = expected @ CEILING / CEILING.sum()
    return branch[visit], visit, points[visit, item], CEILING[item], truth, visits


@pytest.mark.parametrize(("sigma", "icc"), [(0.8, 0.09), (1.1, 0.16)])
def test_the_clustered_wilson_interval_covers_the_true_share_95_percent_and_plain_wilson_does_not(sigma, icc):
    assert intra_visit_correlation(sigma) == pytest.approx(icc, abs=0.01)
    rng = np.random.default_rng(25)
    covered = plain = network = total = 0
    for _dataset in range(DATASETS):
        branch, visit, points, ceiling, truth, visits = simulate(rng, sigma)
        for b, true_share in enumerate(truth):
            mine = branch == b
            found = compliance.share(visit[mine], points[mine], ceiling[mine])
            covered += found.low <= true_share <= found.high
            # Plain Wilson on item counts: every max point an independent trial.
            _share, _se, low, high = metrics.wilson_formula(points[mine].sum(), ceiling[mine].sum(), 1.959964)
            plain += low / 100 <= true_share <= high / 100
            total += 1
        whole = compliance.share(visit, points, ceiling)  # the network: branches are strata, visits the sample
        network += whole.low <= visits @ truth / visits.sum() <= whole.high
    assert 0.93 <= covered / total <= 0.97, covered / total
    assert 0.93 <= network / DATASETS <= 0.975, network / DATASETS  # strata ignored: a little conservative
    assert plain / total < 0.85, plain / total


def test_a_steady_network_rarely_lists_a_falling_branch():
    """30 branches, none changing, two visits a month over six months (visit-level shocks as above, σ = 0.8): the
    falling list, at a 5 % false-discovery rate, is empty in at least ~95 % of networks (under no change at all,
    Benjamini–Hochberg bounds the chance of any listing by the rate); branch-by-branch 95 % tests would list one."""
    import pandas as pd

    rng = np.random.default_rng(7)
    networks, listed, naive = 150, 0, 0
    for _network in range(networks):
        effects = rng.normal(1.4, 0.5, 30)
        rows = []
        for b, effect in enumerate(effects):
            for month in range(1, 7):
                for k in range(2):
                    u = rng.normal(0, 0.8)
                    points = rng.binomial(CEILING.astype(int), expit(effect + DIFFICULTY + u))
                    day = pd.Timestamp(2026, month, 5 + 10 * k)
                    rows += [(f"{b}-{month}-{k}", day, f"B{b}", "S", f"i{i}", None, float(points[i]), CEILING[i])
                             for i in range(ITEMS)]  # fmt: skip
        frame = pd.DataFrame(rows, columns=["visit_id", "ts", "branch", "section", "item", "touchpoint", "points",
                                            "max_points"])  # fmt: skip
        found = compliance.trends(compliance.frame(frame))
        listed += any(t.falling for t in found)
        naive += any(t.high < 0 for t in found)
    assert listed / networks <= 0.08, listed / networks
    assert naive / networks > 0.3, naive / networks
