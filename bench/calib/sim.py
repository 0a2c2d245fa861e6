"""A branch network with known truth, for calibration: answers drawn from latent scores, nothing planted by accident.

Every answer row is one respondent rating one touchpoint on all three scales. The latent experience is

    y = μ_t + shift + b_{branch, month} + √halo · h_i + √(1 − halo − icc) · e

with ``b`` a branch effect of variance ``icc`` (re-drawn every month when ``wobble``, else fixed for the year),
``h_i`` the respondent's mood shared by every touchpoint they rate, ``e`` the answer's own noise. Each scale reads
``√0.7 · y + √0.3 · ε_metric`` through fixed cut points (ordered probit), so the three scales of one row correlate
as in a real survey. ``expected`` gives a metric's population value for any latent mean and spread, which is the
truth the intervals are held to.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

# Answer probabilities at a latent mean of 0 (total spread 1): NPS +25 (50 % promoters, 25 % detractors),
# CSAT mean 3.87, CES mean 5.36 — the levels of a typical branch network.
_PROBABILITIES = {
    "nps": (0.03, 0.02, 0.02, 0.03, 0.04, 0.05, 0.06, 0.10, 0.15, 0.20, 0.30),
    "csat": (0.05, 0.08, 0.17, 0.35, 0.35),
    "ces": (0.03, 0.05, 0.08, 0.14, 0.20, 0.25, 0.25),
}
_LOWEST = {"nps": 0, "csat": 1, "ces": 1}
CUTS = {metric: norm.ppf(np.cumsum(p)[:-1]) for metric, p in _PROBABILITIES.items()}
METRIC_LOADING = 0.7  # share of a scale's latent that is the shared experience y (the rest is the scale's own)


@dataclass(frozen=True)
class Effect:
    """A planted shift of the latent experience, in latent standard deviations, from ``from_month`` on.

    ``touchpoint``, ``branch`` and ``region`` are indices; None means every one.
    """

    shift: float
    touchpoint: int | None = None
    branch: int | None = None
    region: int | None = None
    from_month: int = 0


@dataclass(frozen=True)
class Network:
    """The simulated network's shape.

    Parameters
    ----------
    touchpoints, regions, branches, months : its size; branches are nested in regions (about equal numbers).
    respondents_per_month : respondents a month; each rates 1–6 touchpoints (3.5 on average), so the default
        2 300 gives about 8 000 answers a month.
    rated : the fewest and most touchpoints a respondent rates (uniform; at most ``touchpoints``).
    icc : share of an answer's latent variance that is its branch's (0 = answers independent across branches).
    wobble : branch effects re-drawn every month (a branch's good and bad months) rather than fixed for the year.
    halo : share of latent variance that is the respondent's mood, common to all touchpoints they rate.
    touchpoint_spread : spread of the touchpoints' base levels μ_t (latent standard deviations).
    effects : planted shifts.
    start : first month.
    """

    touchpoints: int = 20
    regions: int = 8
    branches: int = 50
    months: int = 12
    respondents_per_month: int = 2300
    icc: float = 0.0
    wobble: bool = True
    halo: float = 0.4
    touchpoint_spread: float = 0.3
    effects: Sequence[Effect] = field(default_factory=tuple)
    rated: tuple[int, int] = (1, 6)
    start: datetime.date = datetime.date(2026, 1, 1)


def region_of(network: Network) -> np.ndarray:
    """Each branch's region index (branches 0…B−1 split into consecutive, about equal blocks)."""
    return np.arange(network.branches) * network.regions // network.branches


def levels(network: Network, seed: int) -> np.ndarray:
    """The touchpoints' base latent levels μ_t (seeded, so a run and its truth agree)."""
    return np.random.default_rng([seed, 1]).normal(0.0, network.touchpoint_spread, network.touchpoints)


def simulate(network: Network, seed: int) -> pd.DataFrame:
    """One survey of the network: a row per answer (ts, response_id, respondent_id, touchpoint, region, branch,
    month, nps, csat, ces, and the row's latent mean ``truth_mean`` before the respondent's and answer's noise)."""
    rng = np.random.default_rng(seed)
    mu = levels(network, seed)
    regions = region_of(network)
    size = rng.lognormal(0.0, 0.5, network.branches)
    per_month = network.respondents_per_month
    respondents = per_month * network.months
    month = np.repeat(np.arange(network.months), per_month)
    branch = rng.choice(network.branches, respondents, p=size / size.sum())
    rated = rng.integers(network.rated[0], network.rated[1] + 1, respondents)
    row_of = np.repeat(np.arange(respondents), rated)
    # Each respondent's touchpoints are distinct: the first ``rated`` of a random order.
    order = np.argsort(rng.random((respondents, network.touchpoints)), axis=1)
    pick = np.arange(len(row_of)) - np.repeat(np.cumsum(rated) - rated, rated)
    touchpoint = order[row_of, pick]
    months_drawn = network.months if network.wobble else 1
    branch_effect = rng.normal(0.0, np.sqrt(network.icc), (network.branches, months_drawn))
    b = branch_effect[branch[row_of], month[row_of] if network.wobble else 0]
    mean = mu[touchpoint] + _shifts(network, touchpoint, branch[row_of], regions, month[row_of])
    mood = rng.normal(0.0, 1.0, respondents)[row_of]
    noise = np.sqrt(max(0.0, 1.0 - network.halo - network.icc))
    y = mean + b + np.sqrt(network.halo) * mood + noise * rng.normal(0.0, 1.0, len(row_of))
    frame = {
        "ts": _times(rng, network, month)[row_of],
        "response_id": np.arange(len(row_of)),
        "respondent_id": row_of,
        "touchpoint": np.char.add("t", np.char.zfill(touchpoint.astype(str), 2)),
        "region": np.char.add("r", regions[branch[row_of]].astype(str)),
        "branch": np.char.add("b", np.char.zfill(branch[row_of].astype(str), 2)),
        "month": month[row_of],
    }
    for metric, cuts in CUTS.items():
        scale = np.sqrt(METRIC_LOADING) * y + np.sqrt(1 - METRIC_LOADING) * rng.normal(0.0, 1.0, len(y))
        frame[metric] = (np.searchsorted(cuts, scale) + _LOWEST[metric]).astype(np.int8)
    frame["truth_mean"] = mean
    return pd.DataFrame(frame)


def expected(metric: str, mean: float = 0.0, spread: float = 1.0) -> float:
    """A metric's population value when the latent experience is normal with ``mean`` and ``spread`` (its SD):
    NPS in points, CSAT and CES as the mean answer."""
    scale_sd = np.sqrt(METRIC_LOADING * spread**2 + 1 - METRIC_LOADING)
    p = np.diff(norm.cdf(np.concatenate(([-np.inf], CUTS[metric], [np.inf])), np.sqrt(METRIC_LOADING) * mean, scale_sd))
    if metric == "nps":
        return float(100 * (p[9:].sum() - p[:7].sum()))
    return float((p * (np.arange(len(p)) + _LOWEST[metric])).sum())


def _shifts(network: Network, touchpoint, branch, regions, month) -> np.ndarray:
    total = np.zeros(len(touchpoint))
    for effect in network.effects:
        hit = month >= effect.from_month
        if effect.touchpoint is not None:
            hit &= touchpoint == effect.touchpoint
        if effect.branch is not None:
            hit &= branch == effect.branch
        if effect.region is not None:
            hit &= regions[branch] == effect.region
        total += np.where(hit, effect.shift, 0.0)
    return total


def _times(rng: np.random.Generator, network: Network, month: np.ndarray) -> np.ndarray:
    """A timestamp within each respondent's month."""
    starts = np.array(
        [np.datetime64(datetime.date(network.start.year + (network.start.month - 1 + m) // 12,
                                     (network.start.month - 1 + m) % 12 + 1, 1)) for m in range(network.months + 1)]
    ).astype("datetime64[s]")
    length = (starts[1:] - starts[:-1]).astype(np.int64)
    return starts[month] + (rng.random(len(month)) * length[month]).astype("timedelta64[s]")
