"""One row of the calibration table: a claim, what was measured, its Monte Carlo error, and the target it must meet."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """A measured claim.

    Parameters
    ----------
    area : the table's section (intervals, breaks, before/after, drivers, ROI, alerts).
    claim : what is measured, in words ("NPS interval coverage, n = 30, NPS +90").
    value : the measured figure, in ``unit``.
    mc_error : its Monte Carlo standard error (same unit); 0 where the figure is exact.
    low, high : the target range the figure must lie in (either may be ±inf).
    unit : "%" or "" (a plain number, e.g. alerts a year).
    runs : simulated runs behind the figure.
    """

    area: str
    claim: str
    value: float
    mc_error: float
    low: float
    high: float
    unit: str = "%"
    runs: int = 0
    hits: int | None = None

    @property
    def holds(self) -> bool:
        """The target range meets the figure's range of ±2 Monte Carlo errors; for a share of runs, its Wilson
        interval at z = 2 (which stays honest at 0 or all of a quick run's few replicates, where ±2 SE is zero)."""
        if math.isnan(self.value):
            return False
        if self.hits is not None and self.runs:
            low, high = _wilson(self.hits, self.runs)
        else:
            low, high = self.value - 2 * self.mc_error, self.value + 2 * self.mc_error
        return high >= self.low and low <= self.high

    def line(self) -> str:
        """The row as the printout shows it."""
        target = _target(self.low, self.high, self.unit)
        measured = f"{self.value:6.1f}{self.unit} ± {self.mc_error:4.1f}"
        return f"{self.area:14s} {self.claim:62s} {measured:>16s}  {target:>14s}  {self.runs:6d}  {'ok' if self.holds else 'FAILS'}"


def _target(low: float, high: float, unit: str) -> str:
    if math.isinf(low):
        return f"≤ {high:g}{unit}"
    if math.isinf(high):
        return f"≥ {low:g}{unit}"
    return f"{low:g}–{high:g}{unit}"


def share_row(area: str, claim: str, hits: int, runs: int, low: float, high: float) -> Row:
    """A row for a share of runs (coverage, false-verdict rate…), in %, with its binomial Monte Carlo error."""
    p = hits / runs if runs else math.nan
    error = 100 * math.sqrt(p * (1 - p) / runs) if runs else math.nan
    return Row(area, claim, 100 * p, error, low, high, "%", runs, hits)


def _wilson(hits: int, runs: int, z: float = 2.0) -> tuple[float, float]:
    """Wilson's score interval of a share of runs, in %."""
    p = hits / runs
    centre = (p + z * z / (2 * runs)) / (1 + z * z / runs)
    half = z / (1 + z * z / runs) * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs))
    return 100 * (centre - half), 100 * (centre + half)


HEADER = f"{'area':14s} {'claim':62s} {'measured ± MC error':>16s}  {'target':>14s}  {'runs':>6s}  holds"
