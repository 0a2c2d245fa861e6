"""Alerts: the false alarms a year of the starter rule set on a 20-touchpoint × 8-region network, against its
false-alarm budget, without and with branch wobble; and how soon a real drop at one touchpoint in one region is
alerted.

Each replicate is one simulated network (bench/calib/sim.py) of 14 months, checked the way a journey's first
check runs (``features.alerts.ranges``: the year of week ends up to the last Sunday of the data, earlier answers
filling the first windows) with the app's own evaluation, ``analysis.alertrules.evaluate`` on the starter rules
``core.alerting.default_rules``. Without a planted effect every drop alert is false; the figure is the mean count
of drop alerts (episodes) a year, its Monte Carlo error the spread of the yearly counts over √runs.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from calib import sim
from calib.report import Row, share_row
from workbench.analysis import alertrules
from workbench.core.alerting import default_rules
from workbench.features.alerts import ranges

AREA = "alerts"
MONTHS = 14  # two months before the year checked fill its first windows
# A drop of 1.25 latent SDs (CSAT −1.24, NPS −72) at one touchpoint in one region: with ~45 answers per
# touchpoint × region in 4 weeks and one false alarm a year, smaller drops are caught less often than not
# (measured, 100 runs at ICC 0.02: CSAT −0.72 in 16 %, −0.98 in 43 %; the old fixed α = 0.001, with its 9–15
# false alarms a year, in 42 % and 64 %, and −1.24 in 87 %).
DROP = -1.25
DROP_TOUCHPOINT, DROP_REGION, DROP_MONTH = 3, 5, 10
WITHIN = datetime.timedelta(weeks=8)


def _check(network: sim.Network, seed: int) -> tuple[list, datetime.date]:
    """The starter rules' drop alerts on one simulated survey, checked as a journey's first check, and the data's
    first day."""
    answers = sim.simulate(network, seed)
    answers["comment"] = pd.Series([None] * len(answers), dtype=object)
    first, last = answers["ts"].min().date(), answers["ts"].max().date()
    since, _answers_since = ranges(first, last, None)
    rules = [rule for rule in default_rules() if rule.kind != "answer"]  # the window rules a check runs together
    found = alertrules.evaluate(answers, rules, since, last)
    return [alert for alert in found if alert.kind == "drop"], first


def _false_alarms(icc: float, runs: int, seed: int) -> Row:
    """Drop alerts a year with nothing planted; the target is the starter drop rule's budget."""
    budget = next(rule.budget for rule in default_rules() if rule.kind == "drop")
    network = sim.Network(months=MONTHS, icc=icc, wobble=True)
    counts = np.array([len(_check(network, seed + run)[0]) for run in range(runs)], dtype=float)
    label = "no branch effect" if icc == 0 else f"wobble ICC {icc:g}"
    return Row(
        AREA,
        f"false drop alerts a year, 20 tp × 8 regions, {label}",
        float(counts.mean()),
        float(counts.std(ddof=1) / np.sqrt(runs)),
        -np.inf,
        budget,
        "",
        runs,
    )


def _power(icc: float, runs: int, seed: int) -> Row:
    """Share of runs in which a planted drop at one touchpoint × region is alerted there within 8 weeks."""
    effect = sim.Effect(DROP, touchpoint=DROP_TOUCHPOINT, region=DROP_REGION, from_month=DROP_MONTH)
    network = sim.Network(months=MONTHS, icc=icc, wobble=True, effects=(effect,))
    hits = 0
    for run in range(runs):
        found, first = _check(network, seed + run)
        month = first.month - 1 + DROP_MONTH
        start = datetime.date(first.year + month // 12, month % 12 + 1, 1)
        hits += any(
            (alert.touchpoint, alert.value) == (f"t{DROP_TOUCHPOINT:02d}", f"r{DROP_REGION}")
            and start <= alert.first_seen <= start + WITHIN
            for alert in found
        )
    change = sim.expected("csat") - sim.expected("csat", DROP)
    claim = f"CSAT drop of {change:.2f} (1 tp × region) alerted in 8 weeks, ICC {icc:g}"
    return share_row(AREA, claim, hits, runs, 50, 100)


def rows(quick: bool, seed: int) -> list[Row]:
    """False alarms a year at ICC 0, 0.02 and 0.05 (branch effects re-drawn monthly), and the power row."""
    runs = 5 if quick else 150
    return [
        _false_alarms(0.0, runs, seed),
        _false_alarms(0.02, runs, seed + 10_000),
        _false_alarms(0.05, runs, seed + 20_000),
        _power(0.02, runs, seed + 30_000),
    ]
