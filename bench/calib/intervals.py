"""Intervals: coverage of every interval the workbench states, per metric × n × true value, through the real code.

Answers are drawn from the ordered-probit scales of bench/calib/sim.py (a latent experience read through each scale's
cut points, the three scales of one row correlated through it), at a latent level chosen so that the metric has the
true value of the row; each replicate's sufficient statistics go through ``metrics.estimate_frame`` (all replicates
of a row at once, as the query's result frame of thousands of groups) or ``metrics.nps_difference_formula``.

Rows: NPS interval coverage at true NPS −90…+90 and n = 30, 100, 400; CSAT and CES means (t) and top-2-box shares
(Wilson) at n = 30 and 400; the difference of two NPS values (coverage of the MOVER interval at n = 30 vs 30 and
100 vs 100, edges included, and at cells of 30–60; the size of the pooled score z-test for cells of 30–60 against
cells of 30–60 and against the rest of a touchpoint, and its tail: p < 0.001 at most 1.25 times as often as the 0.1 %
a valid test gives, where the Wald test's small cells gave 4–10 times); the composite
index's coverage and its true spread over the reported SE on correlated metrics, from replicate answer rows and
once through ``query.aggregate`` on a simulated year of the network written as a Parquet file.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import norm

from calib import sim
from calib.report import Row, share_row
from workbench.core import metrics
from workbench.data import query

AREA = "intervals"
CONFIDENCE = 0.95
LOWEST = {m: scale[0] for m, scale in metrics.SCALES.items()}
# The means the simulated network's survey answers (CSAT, CES); review stars share CSAT's estimators, 1–5 as well.
SURVEYED = tuple(m for m in metrics.MEANS if m in sim.CUTS)


def probabilities(metric: str, mean: float) -> np.ndarray:
    """Each answer's probability when the latent experience is N(mean, 1), as sim.py reads a scale from it."""
    edges = np.concatenate(([-np.inf], sim.CUTS[metric], [np.inf]))
    return np.diff(norm.cdf(edges, math.sqrt(sim.METRIC_LOADING) * mean, 1.0))  # scale SD √(loading + 1 − loading)


def level_for_nps(target: float) -> float:
    """The latent mean at which the population NPS is ``target``."""
    return brentq(lambda mean: sim.expected("nps", mean) - target, -8.0, 8.0, xtol=1e-10)


def trinomial(mean: float) -> np.ndarray:
    """Promoter, passive and detractor probabilities at a latent mean."""
    p = probabilities("nps", mean)
    return np.array(
        [
            p[metrics.PROMOTER_AT :].sum(),
            p[metrics.DETRACTOR_AT + 1 : metrics.PROMOTER_AT].sum(),
            p[: metrics.DETRACTOR_AT + 1].sum(),
        ]
    )


def nps_stats(counts: np.ndarray) -> pd.DataFrame:
    """A statistics frame (the query's column names) of promoter, passive, detractor counts per replicate."""
    return pd.DataFrame(
        {"nps_n": counts.sum(axis=1), "promoters": counts[:, 0], "passives": counts[:, 1], "detractors": counts[:, 2]}
    )


def covered(low, high, truth) -> int:
    """Replicates whose interval holds the truth (a rounding hair's tolerance)."""
    return int(np.sum((low <= truth + 1e-9) & (truth - 1e-9 <= high)))


# ------------------------------------------------------------------ NPS


def nps_rows(rng: np.random.Generator, runs: int) -> list[Row]:
    """Coverage of the NPS interval per true NPS and n."""
    rows = []
    for n in (30, 100, 400):
        for target in (-90, -50, 0, 50, 90):
            p = trinomial(level_for_nps(target))
            frame = metrics.estimate_frame(nps_stats(rng.multinomial(n, p, size=runs)), CONFIDENCE)
            truth = 100 * (p[0] - p[2])
            hits = covered(frame["nps_low"].to_numpy(), frame["nps_high"].to_numpy(), truth)
            rows.append(share_row(AREA, f"NPS interval coverage, n = {n}, NPS {target:+d}", hits, runs, 93, 97))
    return rows


def nps_difference_rows(rng: np.random.Generator, runs: int) -> list[Row]:
    """Coverage of the NPS-difference interval and the size and tail of its z-test."""
    z = metrics.z_value(CONFIDENCE)

    def draw(n, target):
        p = trinomial(level_for_nps(target))
        return rng.multinomial(np.broadcast_to(n, (runs,)), p), 100 * (p[0] - p[2])

    def cells(low: int, high: int) -> np.ndarray:
        return rng.integers(low, high + 1, runs)

    def compare(a, b):
        (counts_a, truth_a), (counts_b, truth_b) = a, b
        n_a, n_b = counts_a.sum(axis=1), counts_b.sum(axis=1)
        found = metrics.nps_difference_formula(
            counts_a[:, 0], counts_a[:, 2], n_a, counts_b[:, 0], counts_b[:, 2], n_b, z
        )
        return found, truth_a - truth_b

    rows = []
    # Coverage at the edges: at or beyond the targets' 97 % a conservative interval is no fault (≥ 93 %).
    for n in (30, 100):
        for a, b in ((90, 90), (90, 50), (-90, -50), (0, 0)):
            (difference, _se, _z, _p, low, high), truth = compare(draw(n, a), draw(n, b))
            rows.append(
                share_row(
                    AREA,
                    f"NPS difference coverage, n = {n} vs {n}, NPS {a:+d} vs {b:+d}",
                    covered(low, high, truth),
                    runs,
                    93,
                    100,
                )
            )
    for a, b in ((-50, -50), (25, 25), (50, 25)):
        (difference, _se, _z, _p, low, high), truth = compare(draw(cells(30, 60), a), draw(cells(30, 60), b))
        rows.append(
            share_row(
                AREA,
                f"NPS difference coverage, n = 30–60 vs 30–60, NPS {a:+d} vs {b:+d}",
                covered(low, high, truth),
                runs,
                93,
                97,
            )
        )
    # Size: both sides from one distribution; a cell against a cell, and a cell against the rest of its touchpoint.
    for against, label in ((lambda: cells(30, 60), "30–60"), (lambda: 2000, "rest of 2 000")):
        for target in (-50, 0, 25, 50, 90):
            (_d, _se, _z, p_value, _low, _high), _truth = compare(draw(cells(30, 60), target), draw(against(), target))
            rows.append(
                share_row(
                    AREA,
                    f"NPS z-test size at 5 %, n = 30–60 vs {label}, NPS {target:+d}",
                    int(np.sum(p_value < 0.05)),
                    runs,
                    -math.inf,
                    5,
                )
            )
    tail_runs = runs * 10  # p < 0.001 is rare: enough runs for a ratio to ±0.07
    for target in (0, 25, 50):
        p = trinomial(level_for_nps(target))
        n = rng.integers(30, 61, tail_runs)
        a, b = rng.multinomial(n, p), rng.multinomial(2000, p, size=tail_runs)
        p_value = metrics.nps_difference_formula(a[:, 0], a[:, 2], n, b[:, 0], b[:, 2], 2000, z)[3]
        share = share_row(AREA, "", int(np.sum(p_value < 0.001)), tail_runs, -math.inf, math.inf)
        rows.append(
            Row(
                AREA,
                f"NPS z-test p < 0.001 found/expected, 30–60 vs 2 000, NPS {target:+d}",
                share.value / 0.1,
                share.mc_error / 0.1,
                -math.inf,
                1.25,
                "",
                tail_runs,
            )
        )
    return rows


# ------------------------------------------------------------------ CSAT and CES


def scale_rows(rng: np.random.Generator, runs: int) -> list[Row]:
    """Coverage of the CSAT and CES mean (t) and top-2-box (Wilson) intervals at the network's typical level."""
    rows = []
    for metric in SURVEYED:
        p = probabilities(metric, 0.0)
        points = np.arange(len(p)) + LOWEST[metric]
        top = points >= metrics.TOP_BOX[metric]
        truth_mean, truth_top = float(p @ points), 100 * float(p[top].sum())
        for n in (30, 400):
            counts = rng.multinomial(n, p, size=runs)
            stats = nps_stats(np.zeros((runs, 3), dtype=int)).assign(
                **{
                    f"{metric}_n": n,
                    f"{metric}_sum": counts @ points,
                    f"{metric}_sumsq": counts @ points**2,
                    f"{metric}_top": counts[:, top].sum(axis=1),
                }
            )
            frame = metrics.estimate_frame(stats, CONFIDENCE)
            label = metrics.NAMES[metric]
            hits = covered(frame[f"{metric}_low"], frame[f"{metric}_high"], truth_mean)
            rows.append(share_row(AREA, f"{label} mean interval (t) coverage, n = {n}", hits, runs, 93, 97))
            hits = covered(frame[f"{metric}_top2_low"], frame[f"{metric}_top2_high"], truth_top)
            rows.append(share_row(AREA, f"{label} top-2-box interval (Wilson) coverage, n = {n}", hits, runs, 93, 97))
    return rows


# ------------------------------------------------------------------ composite index


def answer_rows(rng: np.random.Generator, mean, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Answers of respondents with latent experience N(mean, 1) on the three scales, read as sim.py reads them."""
    y = mean + rng.normal(0.0, 1.0, shape)
    found = {}
    for metric, cuts in sim.CUTS.items():
        latent = math.sqrt(sim.METRIC_LOADING) * y + math.sqrt(1 - sim.METRIC_LOADING) * rng.normal(0.0, 1.0, shape)
        found[metric] = np.searchsorted(cuts, latent) + LOWEST[metric]
    return found


def statistics(answers: dict[str, np.ndarray]) -> pd.DataFrame:
    """The query's statistic columns (cross-products included) of replicates × answers, one row a replicate."""
    nps = answers["nps"]
    scores = {"nps": 100 * ((nps >= metrics.PROMOTER_AT).astype(int) - (nps <= metrics.DETRACTOR_AT))}
    columns = {
        "nps_n": np.full(len(nps), nps.shape[1]),
        "promoters": (nps >= metrics.PROMOTER_AT).sum(axis=1),
        "passives": ((nps > metrics.DETRACTOR_AT) & (nps < metrics.PROMOTER_AT)).sum(axis=1),
        "detractors": (nps <= metrics.DETRACTOR_AT).sum(axis=1),
    }
    for metric in SURVEYED:
        x = answers[metric]
        scores[metric] = x
        columns |= {
            f"{metric}_n": np.full(len(x), x.shape[1]),
            f"{metric}_sum": x.sum(axis=1),
            f"{metric}_sumsq": (x * x).sum(axis=1),
            f"{metric}_top": (x >= metrics.TOP_BOX[metric]).sum(axis=1),
        }
    for a, b in metrics.CROSS_PAIRS:
        n, total_a, total_b, product = metrics.cross_columns(a, b)
        columns |= {
            n: np.full(len(nps), nps.shape[1]),
            total_a: scores[a].sum(axis=1),
            total_b: scores[b].sum(axis=1),
            product: (scores[a] * scores[b]).sum(axis=1),
        }
    return pd.DataFrame(columns)


def true_index(mean: float) -> float:
    """The index of the population at a latent mean (equal weights)."""
    return float(np.mean([metrics.to_index(m, sim.expected(m, mean)) for m in metrics.COMPOSITE_WEIGHTS]))


def index_rows(rng: np.random.Generator, runs: int, quick: bool, seed: int) -> list[Row]:
    """Index coverage and true spread / reported SE on correlated metrics; once through query.aggregate."""
    rows = []
    truth = true_index(0.0)
    for n in (30, 100, 400):
        frames = []
        for start in range(0, runs, 2000):  # blocks keep the answer arrays small
            frames.append(metrics.estimate_frame(statistics(answer_rows(rng, 0.0, (min(2000, runs - start), n)))))
        frame = pd.concat(frames)
        rows.append(
            share_row(
                AREA,
                f"Index interval coverage (correlated metrics), n = {n}",
                covered(frame["index_low"], frame["index_high"], truth),
                runs,
                93,
                97,
            )
        )
        spread, se = frame["index"].std(), math.sqrt((frame["index_se"] ** 2).mean())
        ratio = spread / se
        rows.append(
            Row(
                AREA,
                f"Index true spread / reported SE, n = {n}",
                ratio,
                ratio / math.sqrt(2 * (runs - 1)),
                0.9,
                1.1,
                "",
                runs,
            )
        )
    rows.append(network_index_row(quick, seed))
    return rows


def network_index_row(quick: bool, seed: int) -> Row:
    """Index coverage per touchpoint × month of a simulated year, through query.aggregate on its Parquet file."""
    network = sim.Network(months=3 if quick else 12)
    answers = sim.simulate(network, seed)
    mu = sim.levels(network, seed)
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "year.parquet")
        answers[["ts", "response_id", "touchpoint", "region", "branch", "nps", "csat", "ces"]].to_parquet(path)
        result = query.aggregate(query.Query((path,), by=("touchpoint", "period")))
    truth = result["touchpoint"].map({f"t{i:02d}": true_index(level) for i, level in enumerate(mu)})
    hits = covered(result["index_low"].to_numpy(), result["index_high"].to_numpy(), truth.to_numpy())
    return share_row(AREA, "Index coverage, touchpoint × month of a simulated year (query)", hits, len(result), 93, 97)


def rows(quick: bool, seed: int) -> list[Row]:
    """Every interval row (quick: 2 000 replicates a row instead of 20 000)."""
    rng = np.random.default_rng([seed, 20])
    runs = 2000 if quick else 20000
    return [
        *nps_rows(rng, runs),
        *nps_difference_rows(rng, runs),
        *scale_rows(rng, runs),
        *index_rows(rng, runs, quick, seed),
    ]
