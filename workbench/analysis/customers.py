"""Who a customer rule matches (:mod:`workbench.core.customerrules`), how many of them chance alone would flag,
and how many flagged customers stayed: pure functions of frames passed in.

A customer's *latest* answer is their newest answer on the rule's metric; their *previous* answer is the newest
one on an earlier day (the answers of one visit are one occasion, not a history). The last N days end on the day of
the newest answer in the data, so the same survey gives the same list on any day.

False alarms, as for alerts: an answer moves a little from one occasion to the next even when nothing changed for
the customer. When it does not change, a customer's two answers are exchangeable, so a fall of X points is exactly
as likely as a rise of X points; the rises of the customers seen twice therefore estimate how many falls chance
alone gives (:func:`chance`), whatever the scale's bounds do to the noise, and real falls do not inflate it.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.core import metrics
from workbench.core.contract import OVERALL
from workbench.core.customerrules import Rule, columns_in, group

if TYPE_CHECKING:
    import pandas

ID = "respondent_id"
DAYS_A_YEAR = 365.25
# The columns of a customer's row (:func:`latest`): besides these, the latest answer's segment columns.
LATEST = ("score", "ts", "touchpoint", "visit", "comment", "previous", "previous_ts", "change")


def answer_touchpoints(answers: pandas.DataFrame, touchpoint: str) -> pandas.DataFrame:
    """The answers a rule looks at: its touchpoint's; for "" the overall answers when there are any, else all."""
    if touchpoint:
        return answers[answers["touchpoint"] == touchpoint]
    overall = answers["touchpoint"] == OVERALL
    return answers[overall] if overall.any() else answers


def latest(answers: pandas.DataFrame, metric: str, touchpoint: str = "") -> pandas.DataFrame:
    """One row per customer who answered ``metric``: the latest answer's score, time, touchpoint, comment (else
    the newest comment they wrote that day) and segment columns, the touchpoint of that visit (``visit``: an overall
    answer's is the last touchpoint rated that day), the previous occasion's score and time, and the change
    (latest − previous; missing without a previous answer). Indexed by customer id."""
    import pandas as pd

    scored = answer_touchpoints(answers, touchpoint)
    scored = scored[scored[ID].notna() & scored[metric].notna()].copy()
    scored["score"] = scored[metric].astype(float)
    scored["day"] = scored["ts"].dt.normalize()
    scored = scored.sort_values([ID, "ts"], kind="stable")
    newest = scored.groupby(ID, sort=True).tail(1).set_index(ID)
    last_day = scored[ID].map(newest["day"])
    earlier = scored[scored["day"] < last_day].groupby(ID).tail(1).set_index(ID)
    found = newest.drop(columns=[metric, "day"])
    found["previous"] = earlier["score"].reindex(found.index)
    found["previous_ts"] = earlier["ts"].reindex(found.index)
    found["change"] = found["score"] - found["previous"]
    # An overall answer names no touchpoint with an owner: the last touchpoint rated on that day stands for it.
    rated = answers[answers[ID].isin(found.index) & answers["touchpoint"].ne(OVERALL)]
    rated = rated.assign(day=rated["ts"].dt.normalize()).sort_values("ts", kind="stable")
    visited = rated[rated["day"] == rated[ID].map(newest["day"])].groupby(ID).tail(1).set_index(ID)["touchpoint"]
    found["visit"] = found["touchpoint"].where(found["touchpoint"].ne(OVERALL), visited.reindex(found.index))
    if "comment" in answers.columns:
        said = answers[answers[ID].isin(found.index) & answers["comment"].fillna("").str.strip().ne("")]
        said = said.assign(day=said["ts"].dt.normalize()).sort_values("ts", kind="stable")
        said = said[said["day"] == said[ID].map(newest["day"])].groupby(ID).tail(1).set_index(ID)["comment"]
        found["comment"] = found["comment"].where(
            found["comment"].fillna("").str.strip().ne(""), said.reindex(found.index)
        )
    else:
        found["comment"] = pd.Series(None, index=found.index, dtype="object")
    return found


def as_of(customers: pandas.DataFrame) -> datetime.date | None:
    """The day the last N days end: the newest latest answer's (None without any)."""
    return None if customers.empty else customers["ts"].max().date()


def joined(customers: pandas.DataFrame, kpis: pandas.DataFrame | None) -> pandas.DataFrame:
    """The customers' rows with their KPI row's columns (a KPI column named like a survey column is the KPI's
    only where the survey has none)."""
    if kpis is None or kpis.empty or ID not in kpis.columns:
        return customers
    table = kpis.drop_duplicates(ID, keep="last").set_index(ID)
    both = customers.join(table[[c for c in table.columns if c not in customers.columns]], how="left")
    for column in (c for c in table.columns if c in customers.columns and c not in LATEST):
        both[column] = both[column].where(both[column].notna(), table[column].reindex(both.index))
    return both


def matches(customers: pandas.DataFrame, rule: Rule, end: datetime.date | None = None) -> pandas.Series:
    """Which customers (rows of :func:`joined`) the rule matches: a boolean per customer. A condition on a column
    the data lacks matches nobody (:func:`missing_columns` says which)."""
    import pandas as pd

    hit = pd.Series(True, index=customers.index)
    if customers.empty:
        return hit
    end = end or as_of(customers)
    if rule.days and end is not None:
        start = pd.Timestamp(end) - pd.Timedelta(days=rule.days - 1)
        hit &= customers["ts"] >= start
    if rule.groups:
        hit &= customers["score"].map(lambda s: group(rule.metric, s)).isin(rule.groups)
    if rule.drop is not None:
        # Scores are whole points: a fall of exactly X is −X, compared with a tolerance for rounded decimals.
        hit &= customers["change"].le(-rule.drop + 1e-9).fillna(False)
    for threshold in rule.thresholds:
        if threshold.column not in customers.columns:
            return hit & False
        values = pd.to_numeric(customers[threshold.column], errors="coerce").astype(float)
        hit &= values.map(lambda v, t=threshold: t.holds(None if math.isnan(v) else v))
    for segment in rule.segments:
        if segment.column not in customers.columns:
            return hit & False
        hit &= customers[segment.column].astype("string").isin(segment.values).fillna(False)
    return hit.astype(bool)


def missing_columns(customers: pandas.DataFrame, rule: Rule) -> list[str]:
    """The KPI and segment columns the rule names that the data lacks."""
    return [c for c in columns_in(rule) if c != rule.owner_column and c not in customers.columns]


# ------------------------------------------------------------------ false alarms of a fall


@dataclass(frozen=True)
class Chance:
    """How many customers a fall of ``drop`` points flags by chance alone, as estimated from the customers seen
    on two occasions (``pairs``) of whom ``rises`` rose by ``drop`` or more.

    ``share`` (with its Wilson interval ``share_low``–``share_high``) is the chance that a customer whose score
    did not change falls by ``drop``; ``eligible`` customers had a previous answer and their latest in the rule's
    window; ``expected`` of them are flagged by chance in a run, and a run's count lies in ``low``–``high`` in
    95 % of runs when nothing changed. ``per_year`` is the chance count in a year of answers at the data's pace;
    ``noise`` the spread (SD, in points) of one customer's answer from occasion to occasion.
    """

    drop: float
    pairs: int
    rises: int
    share: float
    share_low: float
    share_high: float
    eligible: int
    expected: float
    low: int
    high: int
    per_year: float
    noise: float


def chance(customers: pandas.DataFrame, drop: float, days: int = 0, end: datetime.date | None = None) -> Chance | None:
    """The chance count of :class:`Chance` for a fall of ``drop`` points (rows of :func:`latest`); None when no
    customer answered on two occasions."""
    import pandas as pd
    from scipy.stats import binom

    paired = customers[customers["change"].notna()]
    if paired.empty:
        return None
    change = paired["change"].astype(float)
    n = len(paired)
    rises = int((change >= drop - 1e-9).sum())
    z = metrics.z_value()
    _share, _se, low, high = (v / 100 for v in metrics.wilson_formula(rises, n, z))
    share = rises / n
    end = end or as_of(customers)
    eligible = paired
    if days and end is not None:
        eligible = paired[paired["ts"] >= pd.Timestamp(end) - pd.Timedelta(days=days - 1)]
    first = paired["ts"].min().normalize()
    span = max(float(days), (pd.Timestamp(end) - first).days + 1.0, 1.0) if end is not None else max(days, 1)
    return Chance(
        drop=drop,
        pairs=n,
        rises=rises,
        share=share,
        share_low=float(low),
        share_high=float(high),
        eligible=len(eligible),
        expected=len(eligible) * share,
        low=int(binom.ppf(0.025, len(eligible), low)),
        high=int(binom.ppf(0.975, len(eligible), high)),
        per_year=n * DAYS_A_YEAR / span * share,
        # Under no change E[d²] = 2σ² and half of it lies on the rises (d > 0), whatever real falls add to d < 0.
        noise=math.sqrt(float((change.clip(lower=0) ** 2).sum()) / n),
    )


# ------------------------------------------------------------------ back-test on the customers' retention


@dataclass(frozen=True)
class Backtest:
    """How the flagged customers fared by the KPI column ``retained``: of ``flagged`` with a value, ``retained``
    stayed; ``left_share`` (Wilson interval ``left_low``–``left_high``) is the share who left among them, against
    ``base_share`` among all ``customers`` with a value."""

    flagged: int
    retained: int
    left_share: float
    left_low: float
    left_high: float
    customers: int
    base_share: float


def backtest(customers: pandas.DataFrame, flagged: Sequence[bool] | pandas.Series) -> Backtest | None:
    """The back-test of a rule's matches (rows of :func:`joined`); None without a ``retained`` column or a
    flagged customer with a value in it."""
    import pandas as pd

    if "retained" not in customers.columns:
        return None
    stayed = pd.to_numeric(customers["retained"].astype("object").map(_truth), errors="coerce")
    mask = pd.Series(list(flagged), index=customers.index, dtype=bool) & stayed.notna()
    if not mask.any():
        return None
    known = stayed.notna()
    left = int((stayed[mask] == 0).sum())
    n = int(mask.sum())
    _share, _se, low, high = metrics.wilson_formula(left, n, metrics.z_value())
    return Backtest(
        flagged=n,
        retained=n - left,
        left_share=left / n,
        left_low=float(low) / 100,
        left_high=float(high) / 100,
        customers=int(known.sum()),
        base_share=float((stayed[known] == 0).mean()),
    )


def _truth(value) -> float | None:
    """A retained cell as 1 or 0: true/false, 1/0, yes/no (None for anything else)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        text = value.strip().casefold()
        return 1.0 if text in ("1", "true", "yes", "y") else 0.0 if text in ("0", "false", "no", "n") else None
    try:
        return 1.0 if float(value) else 0.0
    except (TypeError, ValueError):
        return None
