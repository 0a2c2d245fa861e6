"""The within (fixed-effects) slope of y on a regressor measured with known sampling error, with a cluster-robust
standard error that holds at few clusters.

Errors in variables: a branch-month NPS measured from a few dozen answers is the true NPS plus sampling noise of
known variance σ²_c (the cell's SE²). The noise inflates the regressor's within sum of squares, so the least-squares
slope is attenuated by the reliability ratio λ = (x̃'x̃ − E[ũ'ũ]) / x̃'x̃ (about 0.4 with 33 answers a cell). The
method-of-moments estimator with known, unequal error variances (Fuller 1987, *Measurement Error Models*, Wiley,
§1.2 "Measurement variance known" and §3.1 on unequal error variances) divides the within covariance by the noise-free part of the within sum of squares:

    β = x̃'ỹ / (x̃'x̃ − Σ_c σ²_c m_cc),

where m_cc = 1 − h_cc is the share of a cell's own noise the within transform keeps (1 − 1/T_i with segment effects
only; one minus the cell's leverage on the segment and period dummies in general), so Σ_c σ²_c m_cc = E[ũ'ũ].

Standard error: β solves Σ_c ψ_c = 0 with ψ_c = x̃_c (ỹ_c − β x̃_c) + β σ²_c m_cc, so its sandwich variance is
Σ_g ψ_g² / (x̃'x̃ − Σ σ²m)² over the segments g (the clusters): the noise term and the estimated σ²_c carry the
correction's own uncertainty into it. Few clusters: CR2 (Bell & McCaffrey 2002, *Survey Methodology* 28(2)), whose
(I − H_gg)^(−1/2) reduces for one within regressor to dividing ψ_g² by 1 − h_g, h_g = x̃_g'x̃_g / x̃'x̃ (the fixed
effects nested in the clusters left out, as in Pustejovsky & Tipton 2018, *JBES* 36(4)); used with a t on G − 1
degrees of freedom (Imbens & Kolesár 2016, *REStat* 98(4)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy


@dataclass(frozen=True)
class Fit:
    """A noise-corrected within slope, its CR2 standard error and the sums it comes from.

    ``noise`` is E[ũ'ũ], the sampling noise the within transform leaves in ``sxx`` = x̃'x̃; ``signal`` = ``sxx`` −
    ``noise``; ``noise_sd`` the standard deviation of ũ'ũ were the regressor pure noise (a scale for ``signal``);
    ``rank`` counts the independent fixed-effect columns, ``groups`` the clusters.
    """

    slope: float
    se: float
    sxx: float
    syy: float
    noise: float
    noise_sd: float
    rank: int
    groups: int

    @property
    def signal(self) -> float:
        """The within sum of squares of the true regressor (estimated)."""
        return self.sxx - self.noise

    @property
    def reliability(self) -> float:
        """λ: the share of the regressor's within variation that is not sampling noise."""
        return self.signal / self.sxx if self.sxx > 0 else math.nan

    @property
    def r2_within(self) -> float:
        """The share of y's within variation the true regressor explains (β²·signal / ỹ'ỹ; OLS's R² without noise)."""
        return self.slope**2 * self.signal / self.syy if self.syy > 0 else math.nan


def fit(
    segments: numpy.ndarray, periods: numpy.ndarray | None, x: numpy.ndarray, y: numpy.ndarray, noise: numpy.ndarray
) -> Fit:
    """The noise-corrected within slope of ``y`` on ``x`` with segment (and period) effects, clustered by segment.

    ``segments`` and ``periods`` are integer codes 0…G−1 per row (``periods`` None: no period effects); ``noise`` is
    each row's sampling variance of ``x`` (zeros: an exactly measured regressor, plain OLS with CR2 errors).
    """
    import numpy as np

    x_within, y_within, leverage, rank = _within(segments, periods, np.column_stack([x, y]))
    share = noise * (1.0 - leverage)  # the within transform keeps (1 − h_cc) of a cell's own noise variance
    sxx, sxy = float(x_within @ x_within), float(x_within @ y_within)
    signal = sxx - float(share.sum())
    slope = sxy / signal if signal > 0 else math.nan
    groups = int(segments.max()) + 1
    scores = np.bincount(segments, weights=x_within * (y_within - slope * x_within) + slope * share, minlength=groups)
    kept = 1.0 - np.bincount(segments, weights=x_within**2, minlength=groups) / sxx if sxx > 0 else np.ones(groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        meat = float((scores**2 / kept).sum()) if (kept > 1e-12).all() else math.inf
    return Fit(
        slope=slope,
        se=math.sqrt(meat) / signal if signal > 0 and math.isfinite(meat) else math.nan,
        sxx=sxx,
        syy=float(y_within @ y_within),
        noise=float(share.sum()),
        noise_sd=math.sqrt(2 * float(share @ share)),  # Var(Σ ũ²) for independent normal noise: 2 Σ (σ² m)²
        rank=rank,
        groups=groups,
    )


def _within(segments: numpy.ndarray, periods: numpy.ndarray | None, columns: numpy.ndarray) -> tuple:
    """(x̃, ỹ, each row's leverage on the dummies, their rank): Frisch–Waugh in two steps.

    Demean within segments, then project out the demeaned period dummies through the pseudo-inverse of their Gram
    matrix (a period missing from the sample is fine); the leverage adds up the same way: 1/T_i plus the row's
    leverage on the demeaned period dummies.
    """
    import numpy as np

    both = _demeaned(segments, columns)
    counts = np.bincount(segments)
    leverage = 1.0 / counts[segments]
    rank = int((counts > 0).sum())
    if periods is not None:
        dummies = _demeaned(segments, np.eye(int(periods.max()) + 1)[periods])
        values, vectors = np.linalg.eigh(dummies.T @ dummies)
        keep = values > 1e-10 * max(float(values.max(initial=0.0)), 1.0)
        inverse = (vectors[:, keep] / values[keep]) @ vectors[:, keep].T
        both = both - dummies @ (inverse @ (dummies.T @ both))
        leverage = leverage + ((dummies @ inverse) * dummies).sum(axis=1)
        rank += int(keep.sum())
    return both[:, 0], both[:, 1], leverage, rank


def _demeaned(segments: numpy.ndarray, columns: numpy.ndarray) -> numpy.ndarray:
    """Each column minus its segment's mean."""
    import numpy as np

    counts = np.maximum(np.bincount(segments), 1)
    means = np.column_stack([np.bincount(segments, weights=c) / counts for c in columns.T])
    return columns - means[segments]
