"""ROI link: is the KPI-per-NPS-point slope unbiased, and do its 95 % interval and the scenario's P10–P90 cover the
planted slope, when the branch-month NPS is measured from ~33 answers a cell?

Each run simulates a branch network of 8 or 30 branches over 12 months. A respondent's latent experience is
branch level + month level + a branch-month effect (variance 0.05, re-drawn monthly) + their own noise; their
0–10 answer reads it through the cut points of :mod:`calib.sim`, so the cell's *true* NPS is ``sim.expected`` at
the cell's latent mean. Branch sizes vary (log-normal, SD 0.3) around 33 answers a branch-month (Poisson). The KPI is

    KPI = branch effect + month effect + 0.2 × true NPS + N(0, 3²),

and the workbench's own chain measures it: ``roi.branch_month_scores`` (the NPS and its SE² per cell) →
``roi.join_panel`` → ``roi.panel_link`` with the noise correction, then ``roi.evaluate`` of a scenario whose money
is the slope itself (one NPS point, one segment-row, one month, no discount, no cost), so its P10–P90 is the
P10–P90 of the slope draws. A link the workbench refuses (the NPS's movement within branches not separable from
its noise) counts in the refusal row; coverage and bias are over the links shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calib import sim
from calib.report import Row, share_row
from workbench.analysis import roi
from workbench.core.scenario import Assumptions

AREA = "roi"
TRUTH = 0.2  # KPI units per NPS point
MONTHS = 12
ANSWERS = 33  # mean answers per branch-month
WOBBLE = 0.05  # variance of the branch-month effect (share of a respondent's latent variance)
# One NPS point of change, one segment row, one month, no discount and no cost: the scenario's money is the slope.
UNIT = Assumptions(overall_change=1.0, base=1.0, value_per_unit=1.0, cost=0.0, months=1, discount=0.0)
_GRID = np.linspace(-2.5, 2.5, 1001)
_TRUE_NPS = np.array([sim.expected("nps", mean, np.sqrt(1 - WOBBLE)) for mean in _GRID])


def _network(rng: np.random.Generator, branches: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One simulated year: the overall answers (ts, touchpoint, branch, nps) and the KPI per branch-month."""
    size = np.exp(rng.normal(0.0, 0.3, branches))
    latent = (
        rng.normal(0.0, 0.3, branches)[:, None]
        + rng.normal(0.0, 0.1, MONTHS)[None, :]
        + rng.normal(0.0, np.sqrt(WOBBLE), (branches, MONTHS))
    )
    true_nps = np.interp(latent, _GRID, _TRUE_NPS)
    counts = rng.poisson(ANSWERS * size[:, None] / size.mean(), (branches, MONTHS)).ravel()
    cell = np.repeat(np.arange(branches * MONTHS), counts)
    y = latent.ravel()[cell] + np.sqrt(1 - WOBBLE) * rng.normal(0.0, 1.0, len(cell))
    scale = np.sqrt(sim.METRIC_LOADING) * y + np.sqrt(1 - sim.METRIC_LOADING) * rng.normal(0.0, 1.0, len(cell))
    months = pd.date_range("2026-01-01", periods=MONTHS, freq="MS")
    answers = pd.DataFrame(
        {
            "ts": months[cell % MONTHS],
            "touchpoint": "_overall",
            "branch": cell // MONTHS,
            "nps": np.searchsorted(sim.CUTS["nps"], scale),
        }
    )
    kpi = (
        rng.normal(0.0, 5.0, branches)[:, None]
        + rng.normal(0.0, 2.0, MONTHS)[None, :]
        + TRUTH * true_nps
        + rng.normal(0.0, 3.0, (branches, MONTHS))
    )
    kpis = pd.DataFrame(
        {"branch": np.repeat(np.arange(branches), MONTHS), "period": np.tile(months, branches), "kpi": kpi.ravel()}
    )
    return answers, kpis


def _runs(branches: int, runs: int, seed: int) -> tuple[list[float], int, int, int]:
    """(slopes of the links shown, 95 % intervals covering, P10–P90 covering, links refused) over ``runs`` runs."""
    rng = np.random.default_rng([seed, branches])
    slopes, covered, inside, refused = [], 0, 0, 0
    for run in range(runs):
        answers, kpis = _network(rng, branches)
        panel = roi.join_panel(roi.branch_month_scores(answers), kpis)
        try:
            link = roi.panel_link(panel, "kpi", noise=roi.NOISE)
        except ValueError:
            refused += 1
            continue
        slopes.append(link.coefficient)
        covered += link.low <= TRUTH <= link.high
        low, _middle, high = roi.evaluate(UNIT, link, draws=2_000, seed=run).npv_range
        inside += low <= TRUTH <= high
    return slopes, covered, inside, refused


def rows(quick: bool, seed: int) -> list[Row]:
    """Bias, 95 % coverage, P10–P90 coverage and refusals at 8 and 30 branches."""
    runs = 40 if quick else 1_500
    found = []
    for branches in (8, 30):
        slopes, covered, inside, refused = _runs(branches, runs, seed)
        shown = len(slopes)
        where = f"{branches} branches, ~{ANSWERS} answers/cell"
        bias = 100 * abs(np.mean(slopes) - TRUTH) / TRUTH
        mc = 100 * np.std(slopes, ddof=1) / np.sqrt(shown) / TRUTH
        found += [
            Row(AREA, f"slope bias |mean − truth|/truth, {where}", bias, mc, -np.inf, 10.0, "%", shown),
            share_row(AREA, f"95 % interval coverage of the slope, {where}", covered, shown, 90, 100),
            share_row(AREA, f"scenario P10–P90 coverage of the slope, {where}", inside, shown, 75, 85),
            share_row(AREA, f"links refused as noise, {where}", refused, runs, 0, 10),
        ]
    return found
