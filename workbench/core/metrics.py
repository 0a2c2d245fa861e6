"""CX metrics with their uncertainty: NPS, CSAT, CES, the composite index, and comparisons.

Every metric is computed from *sufficient statistics* (counts, sums, sums of squares, cross-products), so a query
engine can aggregate raw answers into these numbers per group and any split of a group adds up to the whole exactly.
Every estimate carries its n, standard error and confidence interval, and says when n is below the minimum.

Methods (each interval is at the level asked for, 95 % by default):

* NPS: the SE is the plain multinomial one, 100·√((p_P + p_D − (p_P − p_D)²)/n); the interval is Tango's score
  interval for a difference of two proportions of one multinomial (Tango 1998, "Equivalence test and confidence
  interval for the difference in proportions for the paired-sample design", Statistics in Medicine 17(8)), which
  Rocks (2016, "Interval estimation for the 'Net Promoter Score'", The American Statistician 70(4)) found the
  best-covering NPS interval ("iterative"). Unlike the normal interval it covers near ±100 at small n and never
  has zero width: exact coverage 93.9–97.4 % at NPS ±90 with n = 30 (normal interval: 74–81 %).
* A difference of two NPS values: the interval is Newcombe's hybrid score / MOVER combination of the two Tango
  intervals (Newcombe 1998, "Interval estimation for the difference between independent proportions", Statistics in
  Medicine 17(8), method 10; Zou & Donner 2008, "Construction of confidence limits about effect measures: a general
  approach", Statistics in Medicine 27(10)); the test is the score z-test whose variance is estimated under the null
  of one common distribution (the pooled counts), as the pooled two-proportion z-test. The unpooled Wald z-test is
  anti-conservative for small cells: a cell of 30 with no detractors has SE 0.
* CSAT and CES means: Student's t on the sample SD; top-2-box shares: Wilson's score interval.
* The composite index: a linear combination of the metric means, so Var = Σ_j Σ_k a_j a_k Cov(mean_j, mean_k) with
  Cov(mean_j, mean_k) = n_jk · s_jk / (n_j · n_k) from the n_jk rows that answered both (s_jk their covariance);
  the cross-products behind s_jk are sufficient statistics too (``CROSS_PAIRS``, ``cross_columns``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core.codes import distinct, first_rows
from workbench.core.i18n import N_, Labels, gettext
from workbench.core.i18n import gettext as _

if TYPE_CHECKING:
    import numpy
    import pandas

DEFAULT_CONFIDENCE = 0.95
DEFAULT_MIN_N = 30


@dataclass(frozen=True)
class Metric:
    """One metric as every screen, slide, rule and file names, scales and shows it.

    Parameters
    ----------
    key : the metric's name in data, settings and URLs ('csat').
    label : as it is named on screen, English source text for gettext ('CSAT', 'CX index'; :meth:`name`).
    answers : the scale of one answer (CSAT 1–5); None for the index, which nobody answers.
    range : the scale of the score (a mean of answers, NPS −100…100, the index 0–100).
    scale_text : the score's scale in words, English source text for gettext ('mean, 1–5').
    top_box : the lowest answer in the top box (CSAT 4–5, CES 6–7, NPS promoters 9–10); None for the index.
    decimals : digits a score is shown with (CSAT 4.21, NPS +32, index 78).
    signed : a score always carries its sign (NPS +32).
    """

    key: str
    label: str
    answers: tuple[int, int] | None
    range: tuple[float, float]
    scale_text: str
    top_box: int | None
    decimals: int
    signed: bool = False

    @property
    def index_slope(self) -> float:
        """Points on the 0–100 index per point of this metric (CSAT 25, NPS 0.5, CES 100/6)."""
        low, high = self.range
        return 100 / (high - low)

    def name(self) -> str:
        """The metric's name in the user's language ('CX index', 'CX index' in Czech too, 'indeks CX')."""
        return gettext(self.label)

    def scale_name(self) -> str:
        """The score's scale in the user's language ('mean, 1–5')."""
        return gettext(self.scale_text)

    def answer_label(self) -> str:
        """The metric with its answers' scale, as a column is mapped to it: 'CSAT 1–5'."""
        return self.name() if self.answers is None else f"{self.name()} {self.answers[0]}–{self.answers[1]}"


# The one registry of metrics, in the order screens offer them.
REGISTRY: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("csat", "CSAT", (1, 5), (1.0, 5.0), N_("mean, 1–5"), top_box=4, decimals=2),
        Metric("nps", "NPS", (0, 10), (-100.0, 100.0), "−100…100", top_box=9, decimals=0, signed=True),
        Metric("ces", "CES", (1, 7), (1.0, 7.0), N_("mean, 7 = very easy"), top_box=6, decimals=2),
        Metric("stars", N_("Stars"), (1, 5), (1.0, 5.0), N_("mean, 1–5 stars"), top_box=4, decimals=2),
        Metric("index", N_("CX index"), None, (0.0, 100.0), "0–100", top_box=None, decimals=0),
    )
}
METRICS = tuple(REGISTRY)  # every metric a score can be shown in: csat, nps, ces, stars, index
RATINGS = tuple(k for k, m in REGISTRY.items() if m.answers is not None)  # the ones a respondent answers
# One answer's scale: NPS 0–10, CSAT 1–5, CES 1–7, review stars 1–5, in the order of a dataset's columns (and of
# messages naming them).
SCALES: dict[str, tuple[int, int]] = {
    k: answers for k in ("nps", "csat", "ces", "stars") if (answers := REGISTRY[k].answers)
}
MEANS = tuple(k for k in RATINGS if k != "nps")  # scored as the mean of answers (NPS is a net share of answers)
RANGES = {k: m.range for k, m in REGISTRY.items()}  # a score's scale: CSAT 1–5, NPS −100…100, index 0–100
TOP_BOX: dict[str, int] = {k: top for k in RATINGS if (top := REGISTRY[k].top_box) is not None}
PROMOTER_AT = TOP_BOX["nps"]  # NPS 9–10 are promoters
DETRACTOR_AT = 6  # NPS 0–6 are detractors (7–8 passives)
CSAT_TOP = TOP_BOX["csat"]  # top-2-box: 4 and 5 on the 1–5 scale
CES_TOP = TOP_BOX["ces"]  # top-2-box: 6 and 7 ("easy", "very easy") on the 1–7 scale
DECIMALS = {k: m.decimals for k, m in REGISTRY.items()}  # as a score is shown: CSAT 4.21, NPS +32, index 78
NAMES = Labels({k: m.label for k, m in REGISTRY.items()})  # as a metric is named on screen, in the user's language
COMPOSITE_WEIGHTS = {"nps": 1.0, "csat": 1.0, "ces": 1.0}
# Pairs of the index's metrics whose cross-products the query keeps, for its covariances: (csat, nps), … Review
# stars are no part of the index (nobody answers them beside a survey), and every pair costs the query 4 sums.
_INDEXED = tuple(k for k in RATINGS if k in COMPOSITE_WEIGHTS)
CROSS_PAIRS = tuple((a, b) for i, a in enumerate(_INDEXED) for b in _INDEXED[i + 1 :])


def metric(key: str) -> Metric:
    """The registry's entry for ``key``; ValueError naming the known metrics for any other."""
    try:
        return REGISTRY[key]
    except KeyError:
        raise ValueError(
            _("Unknown metric '{key}' (known: {known}).").format(key=key, known=", ".join(METRICS))
        ) from None


@dataclass(frozen=True)
class Estimate:
    """A metric's value with standard error, confidence interval (at level ``confidence``), n and a low-n flag."""

    value: float
    se: float
    low: float
    high: float
    n: int
    low_n: bool
    confidence: float = DEFAULT_CONFIDENCE  # the interval's level, which is what a label must say

    @property
    def margin(self) -> float:
        """Half the width of the interval (the ± a consultant quotes)."""
        return (self.high - self.low) / 2


@dataclass(frozen=True)
class Comparison:
    """Difference a − b of two independent estimates, with its z-test and interval (at level ``confidence``)."""

    difference: float
    se: float
    z: float
    p_value: float
    low: float
    high: float
    confidence: float = DEFAULT_CONFIDENCE


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
        return NpsCounts(
            self.promoters + other.promoters, self.passives + other.passives, self.detractors + other.detractors
        )


@dataclass(frozen=True)
class ScaleSums:
    """n, Σx, Σx² and the count at or above the top-box threshold, for a mean and a top-box share."""

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    top: int = 0

    def __add__(self, other: ScaleSums) -> ScaleSums:
        return ScaleSums(
            self.n + other.n, self.total + other.total, self.total_sq + other.total_sq, self.top + other.top
        )


def cross_columns(a: str, b: str) -> tuple[str, str, str, str]:
    """The statistic columns of a pair of metrics over the rows that answered both: n, Σx_a, Σx_b, Σx_a·x_b.

    A metric's per-answer score is the answer itself, NPS's 100·(promoter − detractor) (−100, 0 or 100).
    """
    return f"cross_{a}_{b}_n", f"cross_{a}_{b}_{a}", f"cross_{a}_{b}_{b}", f"cross_{a}_{b}_prod"


def z_value(confidence: float = DEFAULT_CONFIDENCE) -> float:
    """Two-sided standard normal critical value (1.959964 for 95 %)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + confidence / 2)


# ------------------------------------------------------------------ from raw answers


def nps_counts(scores: Iterable[float]) -> NpsCounts:
    """Count promoters, passives and detractors of 0–10 answers (missing answers skipped)."""
    promoters = passives = detractors = 0
    for score in _answers(scores, "nps"):
        if score >= PROMOTER_AT:
            promoters += 1
        elif score > DETRACTOR_AT:
            passives += 1
        else:
            detractors += 1
    return NpsCounts(promoters, passives, detractors)


def nps_points(values: Any) -> Any:
    """Each answer's contribution to an NPS (a numpy array of 0–10 answers, NaN for missing): +100 for a promoter,
    0 for a passive, −100 for a detractor, NaN if missing; the NPS is their mean."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    return np.where(
        np.isnan(values),
        np.nan,
        100.0 * ((values >= PROMOTER_AT).astype(float) - (values <= DETRACTOR_AT).astype(float)),
    )


def scale_sums(scores: Iterable[float], metric: str) -> ScaleSums:
    """Sufficient statistics of CSAT (1–5), CES (1–7) or star (1–5) answers (missing answers skipped)."""
    top_from = TOP_BOX[metric]  # NPS has its own counts (nps_counts)
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
            raise ValueError(
                _("{metric} answer {score} is outside {low}–{high}.").format(
                    metric=metric.upper(), score=repr(score), low=low, high=high
                )
            )
        yield score


# ------------------------------------------------------------------ estimates


def nps(counts: NpsCounts, confidence: float = DEFAULT_CONFIDENCE, min_n: int = DEFAULT_MIN_N) -> Estimate:
    """NPS = 100·(p_P − p_D); SE = 100·√((p_P + p_D − (p_P − p_D)²)/n); Tango's score interval (within ±100)."""
    n = counts.n
    if n == 0:
        return _empty(confidence)
    value, se, low, high = _nps_formula(counts.promoters, counts.detractors, n, z_value(confidence))
    return Estimate(float(value), float(se), float(low), float(high), n, n < min_n, confidence)


def mean(
    sums: ScaleSums,
    confidence: float = DEFAULT_CONFIDENCE,
    min_n: int = DEFAULT_MIN_N,
    scale: tuple[float, float] | None = None,
) -> Estimate:
    """Mean with the sample standard error s/√n and a Student-t interval (within ``scale``, the answers' range,
    when given: CSAT 1–5)."""
    n = sums.n
    if n == 0:
        return _empty(confidence)
    if n == 1:
        return Estimate(sums.total / n, math.nan, math.nan, math.nan, 1, True, confidence)
    value, se, low, high = _mean_formula(n, sums.total, sums.total_sq, confidence, scale)
    return Estimate(float(value), float(se), float(low), float(high), n, n < min_n, confidence)


def share(successes: int, n: int, confidence: float = DEFAULT_CONFIDENCE, min_n: int = DEFAULT_MIN_N) -> Estimate:
    """A proportion in percent with the binomial SE and a Wilson score interval."""
    if n == 0:
        return _empty(confidence)
    value, se, low, high = wilson_formula(successes, n, z_value(confidence))
    return Estimate(float(value), float(se), float(low), float(high), n, n < min_n, confidence)


def top_box(sums: ScaleSums, confidence: float = DEFAULT_CONFIDENCE, min_n: int = DEFAULT_MIN_N) -> Estimate:
    """Share (in %) of answers in the top box: CSAT 4–5, CES 6–7."""
    return share(sums.top, sums.n, confidence, min_n)


def _empty(confidence: float = DEFAULT_CONFIDENCE) -> Estimate:
    return Estimate(math.nan, math.nan, math.nan, math.nan, 0, True, confidence)


# ------------------------------------------------------------------ composite index


def to_index(metric: str, value: float) -> float:
    """A metric on the 0–100 index scale: NPS (x+100)/2, CSAT (x−1)/4·100, CES (x−1)/6·100."""
    if metric not in RATINGS:
        raise ValueError(_("No index scaling for '{metric}'.").format(metric=metric))
    low, high = REGISTRY[metric].range
    return (value - low) / (high - low) * 100


def composite(
    estimates: Mapping[str, Estimate],
    weights: Mapping[str, float] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    min_n: int = DEFAULT_MIN_N,
    covariances: Mapping[tuple[str, str], float] | None = None,
) -> Estimate:
    """Weighted mean of the available metrics on the 0–100 scale, with a normal interval at ``confidence``.

    Each metric is rescaled linearly, so its SE scales with it; ``covariances`` holds Cov(mean_a, mean_b) of pairs of
    metrics in their own units (``mean_covariance``), and a pair left out counts as uncorrelated: without them the SE
    treats the metrics as independent, which understates it when the same respondents answered them all. ``n`` is
    the smallest n among the metrics used, so a thin metric cannot hide behind a well-sampled one.
    """
    weights = COMPOSITE_WEIGHTS if weights is None else weights
    parts = [(m, weights.get(m, 0), e.value, e.se, e.n) for m, e in estimates.items()]
    value, se, low, high, n = _composite_formula(parts, z_value(confidence), covariances)
    if n == 0:
        return _empty(confidence)
    return Estimate(float(value), float(se), float(low), float(high), int(n), bool(n < min_n), confidence)


def mean_covariance(n_a, n_b, both, total_a, total_b, total_ab):
    """Cov(mean_a, mean_b) of two metrics' means over ``n_a`` and ``n_b`` answers, ``both`` rows answering both.

    ``total_a``, ``total_b`` and ``total_ab`` are Σx_a, Σx_b and Σx_a·x_b over those rows; their covariance s_ab
    gives Cov = both · s_ab / (n_a · n_b) = (Σx_a·x_b − Σx_a·Σx_b / both) / (n_a · n_b). s_ab has the divisor
    ``both``, as the NPS variance has n: with CSAT's and CES's n − 1 the covariance matrix then stays positive
    semi-definite (Cauchy–Schwarz) when every row answers every metric. 0 when no row answered both. Scalars or arrays.
    """
    import numpy as np

    both = np.asarray(both, dtype=float)  # a Python 0 would raise instead of giving the NaN np.where drops
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(both > 0, (total_ab - total_a * total_b / both) / (n_a * n_b), 0.0)


# ------------------------------------------------------------------ many groups at once


def n_column(metric: str) -> str:
    """The column of ``estimate_frame``'s result that holds a metric's n (the index has its own)."""
    return "index_n" if metric == "index" else f"{metric}_n"


def statistic_names(metric: str) -> tuple[str, ...]:
    """The sufficient-statistic columns one metric's estimates need (NPS, a mean or the rating), with the answers."""
    if metric == "nps":
        return ("answers", "nps_n", "promoters", "passives", "detractors")
    return ("answers", *(f"{metric}_{part}" for part in ("n", "sum", "sumsq", "top")))


def estimate_frame(
    stats: pandas.DataFrame,
    confidence: float = DEFAULT_CONFIDENCE,
    min_n: int = DEFAULT_MIN_N,
    weights: Mapping[str, float] | None = None,
    only: str | None = None,
) -> pandas.DataFrame:
    """``stats`` (sufficient statistics per group, named as the query engine names them) with every estimate added.

    The index's SE uses the metrics' covariances when ``stats`` has the cross-product columns (``cross_columns``,
    as the query engine keeps them); a frame without them (an older caller's) gets the independence formula.
    ``only`` (NPS or a mean) adds that metric's estimates alone: a large frame of small groups that one analysis
    reads for one metric (a break's monthly gaps) skips the others' intervals; for the index it adds them all.
    """
    if only in ("nps", *MEANS, "rating") and n_column(only) in stats:
        return _one_estimate(stats, only, confidence, min_n)
    import numpy as np

    z = z_value(confidence)
    out: dict[str, Any] = {}

    def column(name: str):
        return stats[name].to_numpy(dtype=float)

    def add(prefix: str, formula: tuple, low_n=None) -> None:
        out.update(zip((prefix, f"{prefix}_se", f"{prefix}_low", f"{prefix}_high"), formula, strict=True))
        if low_n is not None:
            out[f"{prefix}_low_n"] = low_n

    # Empty groups divide 0 by 0: NaN is the wanted answer there, as in _empty().
    with np.errstate(divide="ignore", invalid="ignore"):
        *nps_parts, low_n = _estimates(stats, "nps", confidence, min_n)
        add("nps", tuple(nps_parts), low_n)
        parts = [("nps", *nps_parts[:2], column("nps_n"))]
        for metric, top in (("csat", "csat_top2"), ("ces", "ces_top2"), ("stars", "stars_top2"), ("rating", None)):
            if f"{metric}_n" not in stats:
                continue
            n = column(f"{metric}_n")
            if n.any():
                value, se, low, high, low_n = _estimates(stats, metric, confidence, min_n)
                shares = wilson_formula(column(f"{metric}_top"), n, z) if top is not None else ()
            else:  # nobody answered it (a survey's review stars): the empty estimates, without the formulas
                value = se = low = high = np.full(len(stats), np.nan)
                low_n, shares = np.ones(len(stats), dtype=bool), (value,) * 4
            add(metric, (value, se, low, high), low_n)
            if top is not None:
                add(top, shares)
                parts.append((metric, value, se, n))
        weights = COMPOSITE_WEIGHTS if weights is None else weights
        covariances = {
            (a, b): mean_covariance(column(n_column(a)), column(n_column(b)), *(column(c) for c in cross_columns(a, b)))
            for a, b in CROSS_PAIRS
            if cross_columns(a, b)[0] in stats and n_column(a) in stats and n_column(b) in stats
        }
        index = _composite_formula([(m, weights.get(m, 0), v, se, n) for m, v, se, n in parts], z, covariances)
    add("index", index[:4])
    out["index_n"] = index[4].astype("int64")
    out["index_low_n"] = (index[4] < min_n) | (index[4] == 0)
    import pandas as pd

    # One concat instead of ~30 column inserts: inserting into a frame with Arrow-backed strings is slow.
    estimates = pd.DataFrame(
        {name: np.broadcast_to(values, len(stats)) for name, values in out.items()}, index=stats.index
    )
    return pd.concat([stats.drop(columns=[c for c in out if c in stats]), estimates], axis=1)


def _one_estimate(stats: pandas.DataFrame, metric: str, confidence: float, min_n: int) -> pandas.DataFrame:
    """:func:`estimate_frame` restricted to one metric (not the index): the same columns for it, same arithmetic."""
    import numpy as np
    import pandas as pd

    with np.errstate(divide="ignore", invalid="ignore"):
        found = _estimates(stats, metric, confidence, min_n)
    names = (metric, f"{metric}_se", f"{metric}_low", f"{metric}_high", f"{metric}_low_n")
    estimates = pd.DataFrame(dict(zip(names, found, strict=True)), index=stats.index)
    return pd.concat([stats.drop(columns=[c for c in names if c in stats]), estimates], axis=1)


def _estimates(stats: pandas.DataFrame, metric: str, confidence: float, min_n: int) -> tuple:
    """One metric's value, SE, interval and low-n flag per group of ``stats`` (NPS, or a mean: undefined SE and
    interval from one answer, as in :func:`mean`); call inside ``np.errstate``, as empty groups divide 0 by 0."""
    import numpy as np

    n = stats[n_column(metric)].to_numpy(dtype=float)
    if metric == "nps":
        promoters, detractors = (stats[name].to_numpy(dtype=float) for name in ("promoters", "detractors"))
        return (*_nps_formula(promoters, detractors, n, z_value(confidence)), (n < min_n) | (n == 0))
    total, squares = (stats[f"{metric}_{part}"].to_numpy(dtype=float) for part in ("sum", "sumsq"))
    value, se, low, high = _mean_formula(n, total, squares, confidence, SCALES.get(metric))
    single = n < 2  # no spread from one answer
    return (value, *(np.where(single, np.nan, x) for x in (se, low, high)), (n < min_n) | single)


# ------------------------------------------------------------------ formulas shared by the scalar and frame versions
# Each takes Python numbers or numpy arrays, so one group and a whole result frame use the very same arithmetic.


def _nps_formula(promoters, detractors, n, z):
    """NPS, its multinomial SE, and Tango's score interval (in points, within ±100)."""
    import numpy as np

    p_promoters, p_detractors = promoters / n, detractors / n
    value = 100 * (p_promoters - p_detractors)
    se = 100 * np.sqrt(np.maximum(0.0, p_promoters + p_detractors - (p_promoters - p_detractors) ** 2) / n)
    low, high = _distinct(_tango_interval, promoters, detractors, n, z=z)
    return value, se, 100 * low, 100 * high


_DISTINCT_FROM = 256  # below this many groups the bisection is cheaper than finding the distinct inputs


def _distinct(formula, *columns, **constants):
    """``formula`` over arrays, computed once per distinct row of ``columns`` and spread back (same arithmetic).

    Fine groups (branch × month × touchpoint) repeat the same small counts many times over: 400 000 groups of a
    1.5 M-answer survey have a few thousand distinct (promoters, detractors, n), so the 88 bisection passes run
    on those only.
    """
    import numpy as np

    if max(np.size(c) for c in columns) < _DISTINCT_FROM or max(np.ndim(c) for c in columns) > 1:
        return formula(*columns, **constants)
    stacked = np.column_stack(np.broadcast_arrays(*(np.asarray(c, dtype=float) for c in columns)))
    # NaN (an empty group's 0/0) is unequal to itself in np.unique: it stands in as −1, which no count is.
    stacked = np.where(np.isnan(stacked), -1.0, stacked)
    top = float(stacked.max()) + 2 if stacked.size else 1.0
    if np.all(stacked == np.floor(stacked)) and stacked.min() >= -1 and top ** len(columns) < 2.0**62:
        # Whole counts: one int64 key per row sorts far faster than np.unique's rows (axis=0).
        key = np.zeros(len(stacked), dtype=np.int64)
        for position in range(len(columns)):
            key = key * int(top) + (stacked[:, position] + 1).astype(np.int64)
        keys, inverse = distinct(key)  # few possible keys (a month's answers) are counted, not sorted
        unique = stacked[first_rows(inverse, len(keys))]
    else:
        unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
    unique = np.where(unique == -1.0, np.nan, unique)
    results = formula(*unique.T, **constants)
    return tuple(np.asarray(r)[inverse.reshape(-1)] for r in results)


_BISECTIONS = 44  # halvings of a bound's bracket (width ≤ 2): 2⁻⁴³ ≈ 1e-13, far below any shown digit


def _tango_interval(promoters, detractors, n, z):
    """Tango's (1998) score interval for Δ = p_P − p_D of one multinomial, as fractions: the Δ whose score is ±z.

    The score of a candidate Δ is (P − D − nΔ) / √(n(2q + Δ(1 − Δ))), with q the detractor share that maximises
    the likelihood given Δ (a root of a quadratic). It falls as Δ rises, so each bound is found by bisection between
    the estimate (inside) and ±1: the same steps for one group and for arrays of thousands.
    """
    import numpy as np

    def score(delta):
        b = -detractors - promoters + (2 * n - promoters + detractors) * delta
        c = -detractors * delta * (1 - delta)
        q = (np.sqrt(np.maximum(0.0, b * b - 8 * n * c)) - b) / (4 * n)
        return (promoters - detractors - n * delta) / np.sqrt(n * (2 * q + delta * (1 - delta)))

    estimate = (promoters - detractors) / n
    with np.errstate(divide="ignore", invalid="ignore"):  # at Δ = ±1 the variance is 0: the score is ±inf there
        # Lower bound: ``inside`` starts at the estimate (score 0) and ``outside`` at −1 (score +inf unless all
        # detractors, when the bound is −1 itself); halve the bracket keeping that order. Upper bound: mirrored.
        outside, inside = np.full_like(estimate, -1.0), estimate
        for _ in range(_BISECTIONS):
            middle = (outside + inside) / 2
            covered = score(middle) < z
            inside, outside = np.where(covered, middle, inside), np.where(covered, outside, middle)
        low = inside
        outside, inside = np.full_like(estimate, 1.0), estimate
        for _ in range(_BISECTIONS):
            middle = (outside + inside) / 2
            covered = score(middle) > -z
            inside, outside = np.where(covered, middle, inside), np.where(covered, outside, middle)
    return low, inside


def nps_difference_formula(promoters_a, detractors_a, n_a, promoters_b, detractors_b, n_b, z):
    """NPS a − b of two independent groups: difference, SE, score z, p-value and the MOVER interval (points).

    ``se`` is the plain SE √(se_a² + se_b²); ``z`` is the difference over its SE under the null of one common
    distribution (pooled counts), and the p-value its two-sided normal tail; the interval combines the two Tango
    intervals (Newcombe's method 10 / MOVER): low = d − √((a − low_a)² + (high_b − b)²), high mirrored. Scalars
    or arrays; a pair of groups with all answers in one and the same category has difference 0, z 0 and p 1.
    """
    import numpy as np

    value_a, se_a, low_a, high_a = _nps_formula(promoters_a, detractors_a, n_a, z)
    value_b, se_b, low_b, high_b = _nps_formula(promoters_b, detractors_b, n_b, z)
    difference = value_a - value_b
    pooled_promoters = (promoters_a + promoters_b) / (n_a + n_b)
    pooled_detractors = (detractors_a + detractors_b) / (n_a + n_b)
    spread = np.maximum(0.0, pooled_promoters + pooled_detractors - (pooled_promoters - pooled_detractors) ** 2)
    null_se = 100 * np.sqrt(spread * (1 / n_a + 1 / n_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(null_se > 0, difference / null_se, np.where(difference == 0, 0.0, np.nan))
    low = difference - np.sqrt((value_a - low_a) ** 2 + (high_b - value_b) ** 2)
    high = difference + np.sqrt((high_a - value_a) ** 2 + (value_b - low_b) ** 2)
    return difference, np.sqrt(se_a**2 + se_b**2), score, two_sided_p(score), low, high


def _mean_formula(n, total, total_sq, confidence, scale=None):
    """Mean, SE s/√n and the Student-t interval (n ≥ 2), cut to ``scale`` (the answers' lowest and highest score)
    when given: a mean of two answers has a t-interval far wider than the scale (−10.7 … 14.7 on a 1–5 CSAT), and
    the mean cannot lie outside it, so the cut interval covers the truth whenever the uncut one does."""
    import numpy as np
    from scipy.stats import t

    value = total / n
    se = np.sqrt(np.maximum(0.0, (total_sq - n * value * value) / (n - 1)) / n)
    margin = _distinct(lambda count: (t.ppf(0.5 + confidence / 2, count - 1),), n)[0] * se
    if scale is None:
        return value, se, value - margin, value + margin
    return value, se, np.maximum(value - margin, scale[0]), np.minimum(value + margin, scale[1])


def wilson_formula(successes, n, z):
    """Share in %, its binomial SE and the Wilson score interval, both in %."""
    import numpy as np

    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # Clamp rounding noise: the Wilson bounds are exactly 0 at p = 0 and 1 at p = 1.
    low, high = np.maximum(0.0, np.minimum(p, centre - half)), np.minimum(1.0, np.maximum(p, centre + half))
    return 100 * p, 100 * np.sqrt(p * (1 - p) / n), 100 * low, 100 * high


def _composite_formula(parts, z, covariances=None):
    """Index value, SE, interval (clipped to 0–100) and n from (metric, weight, value, se, n); n = 0 if none used.

    ``covariances`` maps a pair of metrics to Cov(mean_a, mean_b); pairs it lacks count as independent.
    """
    import numpy as np

    total_weight = weighted = variance = np.float64(0.0)
    n_min = np.float64(np.inf)
    used_parts = []  # (metric, its weight × index slope, where its SE counts)
    for metric, weight, value, se, n in parts:
        if not weight > 0:
            continue
        used = (n > 0) & ~np.isnan(value)
        total_weight = total_weight + np.where(used, weight, 0.0)
        weighted = weighted + np.where(used, weight * to_index(metric, value), 0.0)
        slope, counted = weight * REGISTRY[metric].index_slope, used & ~np.isnan(se)
        variance = variance + np.where(counted, (slope * se) ** 2, 0.0)
        for other, other_slope, other_counted in used_parts:
            pair = (covariances or {}).get((other, metric), (covariances or {}).get((metric, other)))
            if pair is not None:
                variance = variance + np.where(counted & other_counted, 2 * slope * other_slope * pair, 0.0)
        used_parts.append((metric, slope, counted))
        n_min = np.minimum(n_min, np.where(used, n, np.inf))
    with np.errstate(divide="ignore", invalid="ignore"):
        # A strongly negative estimated covariance can push a tiny variance below 0: the SE is then 0, not NaN.
        value, se = weighted / total_weight, np.sqrt(np.maximum(0.0, variance)) / total_weight
    return (
        value,
        se,
        np.maximum(0.0, value - z * se),
        np.minimum(100.0, value + z * se),
        np.where(np.isinf(n_min), 0, n_min),
    )


# ------------------------------------------------------------------ comparisons


def compare(a: Estimate, b: Estimate, confidence: float = DEFAULT_CONFIDENCE) -> Comparison:
    """Difference of two independent estimates with a two-sided z-test on their SEs."""
    from statistics import NormalDist

    difference = a.value - b.value
    se = math.sqrt(a.se**2 + b.se**2)
    if se == 0 or math.isnan(se):
        p_value = math.nan if math.isnan(se) or difference == 0 else 0.0
        z = math.nan if math.isnan(se) or difference == 0 else math.copysign(math.inf, difference)
    else:
        z = difference / se
        p_value = 2 * (1 - NormalDist().cdf(abs(z)))
    margin = z_value(confidence) * se
    return Comparison(difference, se, z, p_value, difference - margin, difference + margin, confidence)


def compare_nps(a: NpsCounts, b: NpsCounts, confidence: float = DEFAULT_CONFIDENCE) -> Comparison:
    """NPS a − b of two independent groups: the pooled score z-test and the MOVER interval of Tango intervals.

    Holds at small n and near ±100, where ``compare`` on the two estimates does not (see the module docstring);
    ``se`` is the plain SE of the difference, ``z`` the difference over its SE under the null. Empty groups: NaN.
    """
    if a.n == 0 or b.n == 0:
        return Comparison(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, confidence)
    parts = nps_difference_formula(a.promoters, a.detractors, a.n, b.promoters, b.detractors, b.n, z_value(confidence))
    difference, se, z, p_value, low, high = (float(x) for x in parts)
    return Comparison(difference, se, z, p_value, low, high, confidence)


def benjamini_hochberg(p_values: Iterable[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (q-values), as R's ``p.adjust(p, "BH")``; NaN stays NaN."""
    import numpy as np

    p = np.asarray(list(p_values), dtype=float)
    result = np.full(p.shape, np.nan)
    present = np.flatnonzero(~np.isnan(p))
    if present.size:
        order = present[np.argsort(p[present], kind="stable")]
        ranked = p[order] * present.size / np.arange(1, present.size + 1)
        result[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return result.tolist()


def holm(p_values: Iterable[float] | numpy.ndarray) -> numpy.ndarray:
    """Holm's step-down adjusted p-values, as R's ``p.adjust(p, "holm")``; NaN stays NaN and is not counted."""
    import numpy as np

    p = np.asarray(list(p_values), dtype=float)
    result = np.full(p.shape, np.nan)
    present = np.flatnonzero(~np.isnan(p))
    order = present[np.argsort(p[present], kind="stable")]
    stepped = p[order] * (present.size - np.arange(present.size))
    result[order] = np.minimum(1.0, np.maximum.accumulate(stepped)) if present.size else stepped
    return result


def two_sided_p(z):
    """Two-sided p-value of a standard normal statistic (scalar or array)."""
    import numpy as np
    from scipy.special import ndtr

    return 2 * ndtr(-np.abs(z))
