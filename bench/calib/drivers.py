"""Drivers: does a touchpoint that does not matter come out as "no evidence it matters", does one that matters come
out as mattering, and do the share intervals cover the true shares?

Respondents of a branch network rate eight touchpoints on CSAT (1–5) and give an overall NPS (0–10). A touchpoint's
rating reads its latent experience through the suite's cut points (``sim.CUTS``); the latent is the respondent's
mood (the halo, ``sim.Network().halo`` of its variance), their branch's level (``ICC``) and the touchpoint's own
part, so ratings of one respondent correlate about 0.38. The overall outcome is formed from the ratings as given:
its latent is Σ b_j · (standardised rating j) plus a branch effect and the respondent's own noise, read as NPS.
Two touchpoints have b = 0: they add nothing once the others are known (their coefficient in the full regression is
0), yet LMG and Johnson credit them with a positive share through their correlation with the drivers. Each
touchpoint is skipped by ``SKIPPED`` of respondents at random, so the analysis runs pairwise, and with 50 branches it
resamples whole branches — the path the Drivers page takes.

Why the outcome follows the ratings and not the latents: a 5-point rating is a coarse measure of its latent, so
when the outcome follows the latents a touchpoint correlated with a driver still predicts the outcome a little
beyond the driver's coarse rating (a proxy, β ≈ 0.014 here: at n = 2 000 it was flagged "matters" in 3.1 % of 800
cases, against 1.7 % below), and at large n any test finds it. That is a property of the data, not of the test; the
claim checked here is the test's own error rate.

The truth — each touchpoint's population LMG and Johnson share — is the module's exact LMG/Johnson of the
correlation matrix of a very large sample (``TRUTH_ROWS`` respondents of the same network).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calib.report import Row, share_row
from calib.sim import CUTS, Network
from workbench.analysis import drivers
from workbench.core.contract import OVERALL

AREA = "drivers"
N = 2_000  # respondents with an overall answer
BRANCHES = 50
ICC = 0.03  # a branch's share of each rating's latent variance, and (independently) of the outcome's
SKIPPED = 0.3  # each touchpoint is skipped by this share of respondents, at random
# Standardised effects of the eight touchpoints' ratings on the outcome's latent: a strong driver, two moderate and
# two small ones (by Cohen's f² of their unique contribution, about 0.04 and 0.01 here), a weak one and two that do
# not matter.
EFFECTS = np.array([0.40, 0.20, 0.20, 0.10, 0.10, 0.05, 0.0, 0.0])
NOISE = 0.75  # the outcome's own noise (standard deviation): R² of the latent about 0.5
SPREAD = 1.08  # about the outcome latent's standard deviation: the NPS cut points read it as a standard normal
MODERATE = (1, 2)
SMALL = (3, 4)
ZERO = (6, 7)
NAMES = [f"t{j}" for j in range(len(EFFECTS))]
TRUTH_ROWS = 2_000_000


def respondents(rng: np.random.Generator, n: int, branches: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` respondents of ``branches`` branches: ratings (n × 8, 1–5), NPS (0–10) and each one's branch."""
    halo = Network().halo
    branch = rng.integers(0, branches, n)
    level = rng.normal(0, np.sqrt(ICC), branches)[branch, None]
    latent = level + np.sqrt(halo) * rng.normal(size=(n, 1))
    latent = latent + np.sqrt(1 - halo - ICC) * rng.normal(size=(n, len(EFFECTS)))
    ratings = (np.searchsorted(CUTS["csat"], latent) + 1).astype(float)
    # Standardised with the population's mean and spread of a rating (every rating has the same distribution).
    mean, spread = _rating_moments()
    outcome = (ratings - mean) / spread @ EFFECTS
    outcome += rng.normal(0, np.sqrt(ICC), branches)[branch] + NOISE * rng.normal(size=n)
    nps = np.searchsorted(CUTS["nps"], outcome / SPREAD).astype(float)
    return ratings, nps, branch


def long_answers(rng: np.random.Generator, n: int = N) -> pd.DataFrame:
    """The respondents as survey answers: NPS at the overall touchpoint, each rating not skipped as CSAT."""
    ratings, nps, branch = respondents(rng, n, BRANCHES)
    ids = np.arange(n)
    parts = [pd.DataFrame({"respondent_id": ids, "touchpoint": OVERALL, "nps": nps, "csat": np.nan, "branch": branch})]
    rated = rng.random(ratings.shape) >= SKIPPED
    for j, name in enumerate(NAMES):
        kept = rated[:, j]
        parts.append(
            pd.DataFrame(
                {
                    "respondent_id": ids[kept],
                    "touchpoint": name,
                    "nps": np.nan,
                    "csat": ratings[kept, j],
                    "branch": branch[kept],
                }
            )
        )
    answers = pd.concat(parts, ignore_index=True)
    answers["branch"] = "b" + answers["branch"].astype(str)
    answers["ts"] = pd.Timestamp("2026-03-01")
    return answers


def truth(seed: int, rows: int = TRUTH_ROWS) -> dict[str, np.ndarray]:
    """Population shares of R² per touchpoint, by method, from the correlation matrix of a very large sample."""
    ratings, nps, _branch = respondents(np.random.default_rng([seed, 99]), rows, rows // 40)
    correlation = np.corrcoef(np.column_stack([nps, ratings]), rowvar=False)
    shares = {"lmg": drivers.lmg(correlation), "johnson": drivers.johnson(correlation)}
    return {method: values / values.sum() for method, values in shares.items()}


def _rating_moments() -> tuple[float, float]:
    """Mean and standard deviation of a rating in the population (the latent is standard normal)."""
    from scipy.stats import norm

    p = np.diff(norm.cdf(np.concatenate(([-np.inf], CUTS["csat"], [np.inf]))))
    values = np.arange(1, len(p) + 1)
    mean = float(p @ values)
    return mean, float(np.sqrt(p @ (values - mean) ** 2))


def rows(quick: bool, seed: int) -> list[Row]:
    """The zero drivers' "no evidence" and false "matters" rates, the moderate drivers' power, and the share
    intervals' coverage (LMG and Johnson), over simulated surveys of ``N`` respondents."""
    runs = 30 if quick else 2_000
    true = truth(seed, 200_000 if quick else TRUTH_ROWS)
    rng = np.random.default_rng([seed, 7])
    counts = {"none": 0, "any": 0, "power": 0, "small": 0, "lmg": 0, "johnson": 0, "lmg0": 0, "johnson0": 0}
    for run in range(runs):
        answers = long_answers(rng)
        for method in drivers.METHODS:
            result = drivers.analyse(answers, method=method, seed=run)
            table = result.table.set_index("touchpoint").loc[NAMES]
            inside = (table["share_low"] <= true[method]) & (true[method] <= table["share_high"])
            counts[method] += int(inside.drop([NAMES[j] for j in ZERO]).sum())
            counts[method + "0"] += int(inside.iloc[list(ZERO)].sum())
            if method == "lmg":  # the test does not depend on the method: counted once
                matters = table["matters"].to_numpy()
                counts["none"] += int((~matters[list(ZERO)]).sum())
                counts["any"] += int(matters[list(ZERO)].any())
                counts["power"] += int(matters[list(MODERATE)].sum())
                counts["small"] += int(matters[list(SMALL)].sum())
    zero, moderate, real = len(ZERO) * runs, len(MODERATE) * runs, (len(EFFECTS) - len(ZERO)) * runs
    return [
        share_row(AREA, "zero driver flagged 'no evidence it matters', n = 2 000", counts["none"], zero, 90, 100),
        share_row(AREA, "zero driver flagged 'matters' (false), n = 2 000", zero - counts["none"], zero, 0, 5),
        share_row(AREA, "either of two zero drivers flagged 'matters' (Holm FWER)", counts["any"], runs, 0, 5),
        share_row(AREA, "moderate driver (β = 0.20) flagged 'matters' (power)", counts["power"], moderate, 80, 100),
        share_row(
            AREA, "small driver (β = 0.10) flagged 'matters' (power, reported)", counts["small"], moderate, 0, 100
        ),
        share_row(AREA, "LMG share 95 % interval covers the true share (6 drivers)", counts["lmg"], real, 93, 97),
        share_row(AREA, "Johnson share 95 % interval covers the true share", counts["johnson"], real, 93, 97),
        share_row(AREA, "LMG share interval covers a zero driver's (halo) share", counts["lmg0"], zero, 93, 97),
        share_row(AREA, "Johnson interval covers a zero driver's (halo) share", counts["johnson0"], zero, 93, 97),
    ]
