"""Leaderboards: groups (branches, employees, owners) ranked by a metric, with the change from the window before.

Every function takes aggregate results of :mod:`workbench.data.query` and returns a small DataFrame. Larger is better
for every metric (CES is asked so that 7 means "very easy"). Only groups with n at or above the minimum are ranked;
a change is judged up or down only when both windows have enough answers and the difference stays significant
after a Benjamini–Hochberg correction over all groups judged.

A group's change is tested on its own answers in the two windows. Given ``cluster`` (the respondent), the answers
one respondent gave are one cluster: a respondent who rated five of a branch's touchpoints carries one mood into
five answers, which a test of independent answers counts five times. The test is then cluster-robust, CR2 with
Bell–McCaffrey degrees of freedom (:mod:`workbench.core.clustered`; Imbens & Kolesár 2016); the index, a blend of
scales, keeps the test of independent answers. The branch is not a
cluster here: the board shows every branch of the network, none sampled, so a branch's good or bad month is its real
change — what a trend should show — while the respondents are the sample whose chance the test must allow for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from workbench.core import metrics
from workbench.core.contract import OVERALL
from workbench.core.i18n import gettext as _

if TYPE_CHECKING:
    import pandas

    from workbench.core.journey import Journey

METRICS = (*metrics.SCALES, "index")  # NPS, CSAT, CES, then the index
COLUMNS = (
    "name",
    "value",
    "se",
    "low",
    "high",
    "n",
    "rank",
    "previous",
    "change",
    "change_low",
    "change_high",
    "change_p",
    "change_q",
    "trend",
    "trend_rank",
    "ranked",
)
_DECIMALS = 9  # values equal to 9 decimals tie: NPS 100·(1/5 − 4/5) and 100·(0/5 − 3/5) differ in the last bit


def rank(
    current: pandas.DataFrame,
    previous: pandas.DataFrame | None,
    by: str,
    metric: str,
    *,
    min_n: int = metrics.DEFAULT_MIN_N,
    alpha: float = 0.05,
    cluster: str | None = None,
) -> pandas.DataFrame:
    """One row per group of ``current`` (best first, unranked groups last by name) with rank, change and trend.

    With ``cluster``, ``current`` and ``previous`` hold one row per group and cluster (aggregated by both) and the
    change is tested cluster-robustly; without it, one row per group and the two windows' SEs.
    """
    import numpy as np
    import pandas as pd

    detailed = (current, previous)
    if cluster is not None:
        from workbench.data import query

        current = query.rollup(current, [by], min_n=min_n)
        previous = None if previous is None else query.rollup(previous, [by], min_n=min_n)
    now = _scores(current, by, metric)
    before = _scores(previous, by, metric) if previous is not None else {key: values[:0] for key, values in now.items()}
    where = {name: i for i, name in enumerate(before["name"])}
    found = np.array([where.get(name, -1) for name in now["name"]], dtype="int64")
    known = found >= 0

    def earlier(key: str, missing: float) -> np.ndarray:
        values = np.full(len(found), missing, dtype=float)
        values[known] = before[key][found[known]]
        return values

    previous_value, previous_se, previous_n = earlier("value", np.nan), earlier("se", np.nan), earlier("n", 0)
    ranked = (now["n"] >= min_n) & ~np.isnan(now["value"])
    with np.errstate(divide="ignore", invalid="ignore"):
        change = now["value"] - previous_value
        change_se = np.hypot(now["se"], previous_se)
        margin = metrics.z_value(1 - alpha) * change_se
        judged = ranked & (previous_n >= min_n) & ~np.isnan(change)
        change_p = np.where(judged, metrics.two_sided_p(change / change_se), np.nan)
    # The index is a blend of scales without a per-answer score: its change keeps the independent test.
    if cluster is not None and detailed[1] is not None and metric in metrics.SCALES:
        tested = _clustered_changes(*detailed, now["name"], judged, by, metric, cluster, 1 - alpha)
        change_p = np.where(judged, tested[:, 0], np.nan)
        margin = np.where(np.isnan(tested[:, 1]), margin, tested[:, 1])
    change_q = np.asarray(metrics.benjamini_hochberg(change_p), dtype=float)
    significant = change_q < alpha
    frame = pd.DataFrame(
        {
            "name": now["name"],
            "value": now["value"],
            "se": now["se"],
            "low": now["low"],
            "high": now["high"],
            "n": now["n"],
            "rank": _min_rank(now["value"], ranked),
            "previous": previous_value,
            "change": change,
            "change_low": change - margin,
            "change_high": change + margin,
            "change_p": change_p,
            "change_q": change_q,
            "trend": np.where(significant & (change > 0), "up", np.where(significant & (change < 0), "down", "")),
            "trend_rank": _min_rank(change, judged),
            "ranked": ranked,
        },
        columns=list(COLUMNS),
    )
    places = np.nan_to_num(frame["rank"].to_numpy(), nan=np.inf)
    order = sorted(range(len(frame)), key=lambda i: (places[i], str(now["name"][i])))
    return frame.iloc[order].reset_index(drop=True)


def owner_results(
    result: pandas.DataFrame,
    journey: Journey,
    *,
    min_n: int = metrics.DEFAULT_MIN_N,
    confidence: float = metrics.DEFAULT_CONFIDENCE,
    weights: Mapping[str, float] | None = None,
) -> pandas.DataFrame:
    """A touchpoint aggregate summed to the touchpoints' owners (``owner`` replaces ``touchpoint``), re-estimated."""
    from workbench.data import query

    owners = {tp.key: tp.owner for tp in journey.touchpoints if tp.owner and tp.key != OVERALL}
    groups = list(result.columns[: list(result.columns).index("answers")])
    if "touchpoint" not in groups:
        raise ValueError(_("owner_results needs an aggregate grouped by touchpoint."))
    by = ["owner" if name == "touchpoint" else name for name in groups]
    owned = result[result["touchpoint"].isin(list(owners))]
    owned = owned.assign(owner=owned["touchpoint"].map(owners).astype(object)).drop(columns="touchpoint")
    return query.rollup(owned, by, min_n=min_n, confidence=confidence, weights=weights)


# ------------------------------------------------------------------ internals


def _scores(result: pandas.DataFrame, by: str, metric: str) -> dict:
    """Name, value, SE, interval and n (numpy arrays) of each named group of an aggregate result."""
    import numpy as np

    if by not in result.columns:
        raise ValueError(_("The result has no group column '{column}'.").format(column=by))
    if metric not in result.columns:
        raise ValueError(
            _("Unknown metric '{metric}'; use one of {known}.").format(metric=metric, known=", ".join(METRICS))
        )
    named = result[result[by].notna()]
    if named[by].duplicated().any():
        raise ValueError(
            _("The result has several rows per '{column}'; roll it up to '{column}' first.").format(column=by)
        )

    def number(name: str) -> np.ndarray:
        return named[name].to_numpy(float) if name in named else np.full(len(named), np.nan)

    return {
        "name": named[by].to_numpy(object),
        "value": number(metric),
        "se": number(f"{metric}_se"),
        "low": number(f"{metric}_low"),
        "high": number(f"{metric}_high"),
        "n": np.nan_to_num(number(metrics.n_column(metric))).astype("int64"),
    }


def _clustered_changes(current, previous, names, judged, by: str, metric: str, cluster: str, confidence: float):
    """Each judged group's p-value and interval half-width of now − before, clustered by ``cluster`` (CR2): an array
    (groups × 2) in the order of ``names``, NaN for the groups not judged."""
    import numpy as np
    import pandas as pd

    from workbench.core import clustered

    windows = pd.concat([current.assign(_cell=0), previous.assign(_cell=1)], ignore_index=True)
    windows = windows[windows[by].notna()]
    n, total, total_sq = clustered.moments(windows, metric)
    frame = pd.DataFrame({"name": windows[by].to_numpy(object), "cell": windows["_cell"].to_numpy()})
    frame = frame.assign(n=n, total=total, total_sq=total_sq, cluster=windows[cluster].to_numpy(object))
    found = np.full((len(names), 2), np.nan)
    where = {name: i for i, name in enumerate(names) if judged[i]}
    for name, rows in frame.groupby("name", sort=False):
        if name not in where:
            continue
        test = clustered.contrast(
            rows["cell"], rows["cluster"], rows["n"], rows["total"], rows["total_sq"], (1, -1), confidence, "CR2"
        )
        found[where[name]] = test.p_value, (test.high - test.low) / 2
    return found


def _min_rank(values, eligible):
    """Rank (1 = largest, ties share the smallest rank) of the eligible values; NaN elsewhere."""
    import numpy as np

    rounded = np.round(np.asarray(values, float), _DECIMALS)
    eligible = np.asarray(eligible, bool)
    pool = np.sort(rounded[eligible])
    above = len(pool) - np.searchsorted(pool, rounded, side="right")  # how many eligible values are larger
    return np.where(eligible, above + 1, np.nan)
