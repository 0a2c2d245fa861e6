"""Mystery-shopping compliance: the share of points scored, with intervals that hold when items are not independent.

The compliance of a group (an item, section, branch, touchpoint or month) is the ratio ``Σ points / Σ max points``
of its checklist items. The items of one visit are correlated (one shopper, one member of staff, one day), so the
group's variance is the ratio estimator's linearised cluster-robust variance with the visit as the cluster
(``core.clustered.contrast`` of one cell, the max points as weights: CR1, Liang & Zeger 1986). Its design effect
against binomial items, ``deff = V / (p(1 − p)/n)`` (Kish 1965; truncated at 1), gives the effective sample size
``n / deff``, and the interval is Wilson's score interval on that size with Korn & Graubard's degrees-of-freedom
adjustment ``n_eff · (z / t_{G−1})²`` (1998, "Confidence intervals for proportions with small expected number of
positive counts estimated from survey data", Survey Methodology 24(2)): it stays inside 0–100 % and keeps its
coverage near 95 % at 5–15 visits (tests/test_compliance_calibration.py). A pass/fail item across visits, one
result per visit, is plain Wilson.

Branches are taken as the network (every branch is audited), visits as the sample within each: a network-wide
figure clusters on visits too. Shares are fractions 0–1 here; pages show them as percent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from workbench.core import clustered, metrics

if TYPE_CHECKING:
    import pandas

GROUPS = {
    "item": ("section", "item"),
    "section": ("section",),
    "branch": ("branch",),
    "touchpoint": ("touchpoint",),
    "month": ("month",),
}
RECENT_MONTHS = 3  # a branch's trend: its last three months against the three before
FALLING_FDR = 0.05  # false-discovery rate of the falling branches' list (Benjamini–Hochberg), as for break lists


@dataclass(frozen=True)
class Compliance:
    """A group's compliance (0–1) with its interval, visits, items and design effect."""

    share: float
    low: float
    high: float
    visits: int
    items: int
    design_effect: float
    low_n: bool
    confidence: float = metrics.DEFAULT_CONFIDENCE


def share(
    visit: Sequence,
    points: Sequence[float],
    max_points: Sequence[float],
    confidence: float = metrics.DEFAULT_CONFIDENCE,
    min_n: int = metrics.DEFAULT_MIN_N,
) -> Compliance:
    """Σ points / Σ max points of items, with the Wilson interval on the effective sample size (visits as clusters).

    Items that are all pass/fail (max 1), one per visit, get plain Wilson: there is nothing to cluster.
    """
    import numpy as np
    import pandas as pd
    from scipy.stats import t as student

    scored, ceiling = np.asarray(points, dtype=float), np.asarray(max_points, dtype=float)
    items, visits = len(scored), int(pd.Series(np.asarray(visit, dtype=object)).nunique())
    if not items or not ceiling.sum() > 0:
        nan = math.nan
        return Compliance(nan, nan, nan, visits, items, nan, True, confidence)
    p = float(scored.sum() / ceiling.sum())
    z = metrics.z_value(confidence)
    if visits == items and np.all(ceiling == 1):
        effective, deff = float(items), 1.0
    else:
        found = clustered.contrast(
            np.zeros(items, dtype=int), visit, ceiling, scored, scored**2 / ceiling, [1.0], confidence
        )
        binomial = p * (1 - p) / items
        deff = max(1.0, found.se**2 / binomial) if binomial > 0 and found.se > 0 else 1.0
        # One visit tells nothing of how visits differ: its items count as one observation.
        effective = items / deff if visits > 1 else 1.0
        if visits > 1:
            effective *= (z / float(student.ppf(0.5 + confidence / 2, visits - 1))) ** 2
    _value, _se, low, high = metrics.wilson_formula(p * effective, effective, z)
    return Compliance(p, low / 100, high / 100, visits, items, deff, visits < min_n, confidence)


def frame(table) -> pandas.DataFrame:
    """An audit table (Arrow or pandas) as the columns compliance reads, with each visit's month."""
    import pandas as pd

    data = table.to_pandas() if hasattr(table, "to_pandas") else table.copy()
    data["month"] = pd.to_datetime(data["ts"]).dt.to_period("M").dt.to_timestamp().dt.date
    return data


def by(
    data: pandas.DataFrame,
    group: str,
    confidence: float = metrics.DEFAULT_CONFIDENCE,
    min_n: int = metrics.DEFAULT_MIN_N,
) -> pandas.DataFrame:
    """One row per group of ``group`` (a key of :data:`GROUPS`): its columns, share, low, high, visits, items,
    design effect and low-n flag; sorted by share, lowest first (what needs attention). Items on no touchpoint are
    left out of the touchpoint table."""
    import pandas as pd

    columns = list(GROUPS[group])
    rows = []
    for key, part in data.dropna(subset=columns).groupby(columns, sort=True):
        found = share(part["visit_id"], part["points"], part["max_points"], confidence, min_n)
        rows.append({**dict(zip(columns, key if isinstance(key, tuple) else (key,), strict=True)), **vars(found)})
    fields = [*columns, *Compliance.__dataclass_fields__]
    return pd.DataFrame(rows, columns=fields).sort_values(["share", *columns], kind="stable", ignore_index=True)


@dataclass(frozen=True)
class Trend:
    """A branch's change between its last months and the months before, with the cluster-robust test."""

    branch: str
    recent: float
    before: float
    change: float
    low: float
    high: float
    p_value: float
    q_value: float
    visits_recent: int
    visits_before: int
    falling: bool


def trends(
    data: pandas.DataFrame,
    months: int = RECENT_MONTHS,
    confidence: float = metrics.DEFAULT_CONFIDENCE,
    fdr: float = FALLING_FDR,
) -> list[Trend]:
    """Per branch: compliance in the data's last ``months`` months against the ``months`` before, tested with the
    visit-clustered CR2 t-test (Bell–McCaffrey: few visits); falling when the change is negative and its
    Benjamini–Hochberg q-value over all branches tested is below ``fdr``: a network of 50 branches tested at 95 %
    each would list one or two steady branches by chance. Branches without visits in both windows are left out.
    Sorted by change, the steepest fall first."""
    import numpy as np
    import pandas as pd

    if data.empty:
        return []
    last = pd.Period(max(data["month"]), "M")
    recent = {(last - k).to_timestamp().date() for k in range(months)}
    before = {(last - months - k).to_timestamp().date() for k in range(months)}
    found = []
    for branch, part in data.groupby("branch", sort=True):
        part = part[part["month"].isin(recent | before)]
        cell = np.where(part["month"].isin(recent), 0, 1)
        counts = [part.loc[cell == side, "visit_id"].nunique() for side in (0, 1)]
        if min(counts) == 0:
            continue
        points, ceiling = part["points"].to_numpy(float), part["max_points"].to_numpy(float)
        test = clustered.contrast(
            cell, part["visit_id"], ceiling, points, points**2 / ceiling, [1.0, -1.0], confidence, method="CR2"
        )
        shares = [points[cell == side].sum() / ceiling[cell == side].sum() for side in (0, 1)]
        found.append(
            Trend(
                str(branch), shares[0], shares[1], test.difference, test.low, test.high, test.p_value, test.p_value,
                counts[0], counts[1], False,
            )
        )  # fmt: skip
    q_values = metrics.benjamini_hochberg([t.p_value for t in found])
    found = [replace(t, q_value=q, falling=bool(t.change < 0 and q < fdr)) for t, q in zip(found, q_values)]
    return sorted(found, key=lambda t: (t.change, t.branch))


@dataclass(frozen=True)
class Correlation:
    """Pearson's r between branches' compliance and their customers' mean score, with its Fisher-z interval.

    It is across branches (``branches`` of them), not within a branch, and says nothing of cause.
    """

    r: float
    low: float
    high: float
    branches: int
    confidence: float = metrics.DEFAULT_CONFIDENCE


def correlation(
    compliance: Sequence[float], scores: Sequence[float], confidence: float = metrics.DEFAULT_CONFIDENCE
) -> Correlation:
    """r of paired branch values with the Fisher-z interval ``tanh(atanh r ± z/√(n − 3))``; NaN below 4 branches
    or when either side does not vary."""
    import numpy as np

    x, y = np.asarray(compliance, dtype=float), np.asarray(scores, dtype=float)
    n = len(x)
    if n < 4 or np.std(x) == 0 or np.std(y) == 0:
        return Correlation(math.nan, math.nan, math.nan, n, confidence)
    r = float(np.corrcoef(x, y)[0, 1])
    centre, half = math.atanh(max(-0.999999, min(0.999999, r))), metrics.z_value(confidence) / math.sqrt(n - 3)
    return Correlation(r, math.tanh(centre - half), math.tanh(centre + half), n, confidence)
