"""Benchmark: key-driver analysis of 15 touchpoints on 130 000 respondents (point estimates, bootstraps, end to end).

Synthetic respondents rate 15 touchpoints on 1–5 (correlated through a shared attitude, as real ratings are) and
give an overall 0–10 score; the long frame for ``analyse`` has one row per answer (16 per respondent).
Reference, in the same process: the textbook LMG, one ``np.linalg.lstsq`` per subset of drivers (2^15 of them)
on the same correlation matrix; both LMG results must agree or the benchmark aborts.
Run: `.venv/bin/python bench/drivers.py [--respondents N] [--runs K]`; the last line is `slowest_ms: X`.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from timing import median_seconds, time_cases  # noqa: E402

from workbench.analysis import drivers  # noqa: E402
from workbench.core.contract import OVERALL  # noqa: E402

DRIVERS = 15


def respondents(n: int) -> pd.DataFrame:
    """``n`` respondents: "outcome" (0–10) and tp01…tp15 (1–5), drivers correlated about 0.4 with each other."""
    rng = np.random.default_rng(11)
    attitude = rng.normal(size=(n, 1))
    latent = 0.8 * attitude + rng.normal(size=(n, DRIVERS))
    ratings = np.clip(np.round(3.6 + 0.9 * latent), 1, 5)
    effects = np.linspace(1.2, 0.05, DRIVERS)  # tp01 matters most, tp15 hardly at all
    overall = np.clip(np.round(7 + (ratings - 3.6) @ effects / 2 + rng.normal(0, 1.5, n)), 0, 10)
    return pd.DataFrame({"outcome": overall, **{f"tp{j + 1:02d}": ratings[:, j] for j in range(DRIVERS)}})


def long_answers(frame: pd.DataFrame) -> pd.DataFrame:
    """The respondents as survey answers: one overall NPS row and one CSAT row per touchpoint per respondent."""
    n = len(frame)
    keys = [OVERALL, *frame.columns[1:]]
    ids = np.array([f"r{i:07d}" for i in range(n)], dtype=object)
    touchpoint = np.repeat(np.array(keys, dtype=object)[None], n, axis=0).ravel()
    scores = frame.to_numpy()
    nps = np.where(touchpoint == OVERALL, scores.ravel(), np.nan)
    ts = np.datetime64("2024-01-01") + np.random.default_rng(5).integers(0, 365 * 86400, n).astype("timedelta64[s]")
    return pd.DataFrame({"response_id": np.arange(n * len(keys)).astype(str),
                         "respondent_id": np.repeat(ids, len(keys)), "ts": np.repeat(ts, len(keys)),
                         "touchpoint": touchpoint, "nps": nps,
                         "csat": np.where(touchpoint == OVERALL, np.nan, scores.ravel()),
                         "branch": np.repeat(np.array([f"b{i % 40}" for i in range(n)], dtype=object), len(keys))})


def textbook_lmg(frame: pd.DataFrame) -> np.ndarray:
    """LMG the direct way: R² of every subset by its own least-squares solve on the correlation matrix."""
    correlation = np.corrcoef(frame.to_numpy(), rowvar=False)
    p = correlation.shape[0] - 1
    r2 = np.zeros(2 ** p)
    for subset in range(1, 2 ** p):
        inside = [j + 1 for j in range(p) if subset >> j & 1]
        coefficients = np.linalg.lstsq(correlation[np.ix_(inside, inside)], correlation[inside, 0], rcond=None)[0]
        r2[subset] = correlation[inside, 0] @ coefficients
    shares = np.zeros(p)
    for j in range(p):
        for subset in range(2 ** p):
            if not subset >> j & 1:
                size = subset.bit_count()
                shares[j] += (r2[subset | 1 << j] - r2[subset]) / (p * math.comb(p - 1, size))
    return shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=130_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    frame = respondents(args.respondents)
    answers = long_answers(frame)
    names = list(frame.columns[1:])
    print(f"{len(frame)} respondents × {DRIVERS} touchpoints; {len(answers)} long answers; runs per case: {args.runs}")
    cases = [
        ("LMG point estimate", lambda: drivers.relative_importance(frame, "outcome", names, "lmg")),
        ("Johnson point estimate", lambda: drivers.relative_importance(frame, "outcome", names, "johnson")),
        ("bootstrap LMG (200 reps)", lambda: drivers.bootstrap(frame, "outcome", names, "lmg")),
        ("bootstrap Johnson (200 reps)", lambda: drivers.bootstrap(frame, "outcome", names, "johnson")),
        ("analyse end to end (long frame, LMG)", lambda: drivers.analyse(answers)),
    ]
    timings = time_cases(cases, args.runs)
    result = drivers.analyse(answers)
    print(f"analyse: {result.model} model, n = {result.n}, R² = {result.r2:.3f} [{result.r2_low:.3f}–"
          f"{result.r2_high:.3f}], top: {', '.join(result.table['touchpoint'][:3])} (tp01 > tp02 > … planted)")

    ours = drivers.relative_importance(frame, "outcome", names, "lmg").to_numpy()
    reference = textbook_lmg(frame)
    if not np.allclose(ours, reference, atol=1e-9):
        raise SystemExit(f"LMG differs from the textbook computation: {ours} vs {reference}")
    textbook = median_seconds(lambda: textbook_lmg(frame), 1)
    print(f"reference: textbook LMG (2^{DRIVERS} lstsq solves) {textbook * 1000:.0f} ms; "
          f"ours / textbook = {timings['LMG point estimate'] / textbook:.3f}")
    print(f"slowest_ms: {max(timings.values()) * 1000:.0f}")


if __name__ == "__main__":
    main()
