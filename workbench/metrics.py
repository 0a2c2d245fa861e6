"""CX metrics with their uncertainty: NPS, CSAT, CES, the composite index, and comparisons.

Every metric is computed from *sufficient statistics* (counts, sums, sums of squares), so a query engine can
aggregate raw answers into these numbers per group and any split of a group adds up to the whole exactly.
Every estimate carries its n, standard error and confidence interval, and says when n is below the minimum.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEFAULT_CONFIDENCE = 0.95
DEFAULT_MIN_N = 30
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
CSAT_TOP = 4  # top-2-box: 4 and 5 on the 1–5 scale
CES_TOP = 6   # top-2-box: 6 and 7 ("easy", "very easy") on the 1–7 scale
COMPOSITE_WEIGHTS = {"nps": 1.0, "csat": 1.0, "ces": 1.0}


@dataclass(frozen=True)
class Estimate:
    """A metric's value with standard error, confidence interval, sample size and a low-n flag."""

    value: float
    se: float
    low: float
    high: float
    n: int
    low_n: bool

    @property
    def margin(self) -> float:
        """Half the width of the interval (the ± a consultant quotes)."""
        return (self.high - self.low) / 2


@dataclass(frozen=True)
class Comparison:
    """Difference a − b of two independent estimates, with its z-test."""

    difference: float
    se: float
    z: float
    p_value: float
    low: float
    high: float


@dataclass(frozen=True)
class NpsCounts:
    """Promoters (9–10), passives (7–8) and detractors (0–6) of a group."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors

    def __add__(self, other: NpsCounts) -> NpsCounts:
        return NpsCounts(self.promoters + other.promoters, self.passives + other.passives,
                         self.detractors + other.detractors)


@dataclass(frozen=True)
class ScaleSums:
    """n, Σx, Σx² and the count at or above the top-box threshold, for a mean and a top-box share."""

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    top: int = 0

    def __add__(self, other: ScaleSums) -> ScaleSums:
        return ScaleSums(self.n + other.n, self.total + other.total, self.total_sq + other.total_sq,
                         self.top + other.top)


def z_value(confidence: float = DEFAULT_CONFIDENCE) -> float:
    """Two-sided standard normal critical value (1.959964 for 95 %)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + confidence / 2)


# ------------------------------------------------------------------ from raw answers


def nps_counts(scores: Iterable[float]) -> NpsCounts:
    """Count promoters, passives and detractors of 0–10 answers (missing answers skipped)."""
    promoters = passives = detractors = 0
    for score in _answers(scores, "nps"):
        if score >= 9:
            promoters += 1
        elif score >= 7:
            passives += 1
        else:
            detractors += 1
    return NpsCounts(promoters, passives, detractors)


def scale_sums(scores: Iterable[float], metric: str) -> ScaleSums:
    """Sufficient statistics of CSAT (1–5) or CES (1–7) answers (missing answers skipped)."""
    top_from = {"csat": CSAT_TOP, "ces": CES_TOP}[metric]
    n, total, total_sq, top = 0, 0.0, 0.0, 0
    for score in _answers(scores, metric):
        n, total, total_sq, top = n + 1, total + score, total_sq + score * score, top + (score >= top_from)
    return ScaleSums(n, total, total_sq, top)


def _answers(scores: Iterable[float], metric: str) -> Iterable[float]:
    """The answers present (None and NaN skipped), each checked against the metric's scale."""
    low, high = SCALES[metric]
    for score in scores:
        if score is None or (isinstance(score, float) and math.isnan(score)):
            continue
        if not low <= score <= high:
            raise ValueError(f"{metric.upper()} answer {score!r} is outside {low}–{high}.")
        yield score


# ------------------------------------------------------------------ estimates


def nps(counts: NpsCounts, confidence: float = DEFAULT_CONFIDENCE, min_n: int = DEFAULT_MIN_N) -> Estimate:
    """NPS = 100·(p_P − p_D); SE = 100·√((p_P + p_D − (p_P − p_D)²)/n); interval clipped to ±100."""
    n = counts.n
    if n == 0:
        return _empty()
    p_promoters, p_detractors = counts.promoters / n, counts.detractors / n
    value = 100 * (p_promoters - p_detractors)
    se = 100 * math.sqrt(max(0.0, p_promoters + p_detractors - (p_promoters - p_detractors) ** 2) / n)
    margin = z_value(confidence) * se
    return Estimate(value, se, max(-100.0, value - margin), min(100.0, value + margin), n, n < min_n)


def mean(sums: ScaleSums, confidence: float = DEFAULT_CONFIDENCE, min_n: int = DEFAULT_MIN_N) -> Estimate:
    """Mean with the sample standard error s/√n and a Student-t interval."""
    n = sums.n
    if n == 0:
        return _empty()
    value = sums.total / n
    if n == 1:
        return Estimate(value, math.nan, math.nan, math.nan, 1, True)
    variance = max(0.0, (sums.total_sq - n * value * value) / (n - 1))
    se = math.sqrt(variance / n)
    from scipy.stats import t

    margin = float(t.ppf(0.5 + confidence / 2, n - 1)) * se
    return Estimate(value, se, value - margin, value + margin, n, n < min_n)


def share(successes: int, n: int, confidence: float = DEFAULT_CONFIDENCE, min_n: int = DEFAULT_MIN_N) -> Estimate:
    """A proportion in percent with the binomial SE and a Wilson score interval."""
    if n == 0:
        return _empty()
    p = successes / n
    z = z_value(confidence)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # Clamp rounding noise: the Wilson bounds are exactly 0 at p = 0 and 1 at p = 1.
    low, high = max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))
    return Estimate(100 * p, 100 * math.sqrt(p * (1 - p) / n), 100 * low, 100 * high, n, n < min_n)


def top_box(sums: ScaleSums, confidence: float = DEFAULT_CONFIDENCE, min_n: int = DEFAULT_MIN_N) -> Estimate:
    """Share (in %) of answers in the top box: CSAT 4–5, CES 6–7."""
    return share(sums.top, sums.n, confidence, min_n)


def _empty() -> Estimate:
    return Estimate(math.nan, math.nan, math.nan, math.nan, 0, True)


# ------------------------------------------------------------------ composite index


def to_index(metric: str, value: float) -> float:
    """A metric on the 0–100 index scale: NPS (x+100)/2, CSAT (x−1)/4·100, CES (x−1)/6·100."""
    if metric == "nps":
        return (value + 100) / 2
    if metric == "csat":
        return (value - 1) / 4 * 100
    if metric == "ces":
        return (value - 1) / 6 * 100
    raise ValueError(f"No index scaling for '{metric}'.")


def composite(estimates: Mapping[str, Estimate], weights: Mapping[str, float] | None = None,
              confidence: float = DEFAULT_CONFIDENCE, min_n: int = DEFAULT_MIN_N) -> Estimate:
    """Weighted mean of the available metrics on the 0–100 scale.

    The SE treats the metrics as independent (each is rescaled linearly, so its SE scales with it); ``n`` is
    the smallest n among the metrics used, so a thin metric cannot hide behind a well-sampled one.
    """
    weights = dict(COMPOSITE_WEIGHTS if weights is None else weights)
    used = {m: e for m, e in estimates.items() if e.n > 0 and weights.get(m, 0) > 0 and not math.isnan(e.value)}
    if not used:
        return _empty()
    total_weight = sum(weights[m] for m in used)
    value = sum(weights[m] * to_index(m, e.value) for m, e in used.items()) / total_weight
    slope = {"nps": 0.5, "csat": 25.0, "ces": 100 / 6}
    se = math.sqrt(sum((weights[m] * slope[m] * e.se) ** 2 for m, e in used.items() if not math.isnan(e.se))) / total_weight
    margin = z_value(confidence) * se
    n = min(e.n for e in used.values())
    return Estimate(value, se, max(0.0, value - margin), min(100.0, value + margin), n, n < min_n)


# ------------------------------------------------------------------ comparisons


def compare(a: Estimate, b: Estimate, confidence: float = DEFAULT_CONFIDENCE) -> Comparison:
    """Difference of two independent estimates with a two-sided z-test on their SEs."""
    from statistics import NormalDist

    difference = a.value - b.value
    se = math.sqrt(a.se ** 2 + b.se ** 2)
    if se == 0 or math.isnan(se):
        p_value = math.nan if math.isnan(se) or difference == 0 else 0.0
        z = math.nan if math.isnan(se) or difference == 0 else math.copysign(math.inf, difference)
    else:
        z = difference / se
        p_value = 2 * (1 - NormalDist().cdf(abs(z)))
    margin = z_value(confidence) * se
    return Comparison(difference, se, z, p_value, difference - margin, difference + margin)
