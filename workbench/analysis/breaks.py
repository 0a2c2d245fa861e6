"""Where satisfaction breaks: a ranked list of statistically supported breaks with their evidence.

Four kinds of break are looked for in one window of answers (the filters and dates the user chose):

- **segment** — a segment value (a region, branch, channel, employee…) scores below everyone else at a
  touchpoint; when its monthly gap shifted at one point in time, the break is dated ("since March 2026") and
  its size is the gap since then;
- **step** — along the journey, the next rated touchpoint scores below the one before (decision and outcome
  nodes without answers are stepped over; loops back are not steps);
- **target** — a touchpoint scores below its target;
- **decline** — a touchpoint scores below its score in the window of the same length just before.

Every test is a t-test of a difference of means of a per-answer score (NPS: +100 a promoter, −100 a detractor)
that counts answers as clustered where the data say which are not independent: answers of one branch share its
staff and its good and bad months, and one respondent's answers share their mood.

- Steps, targets and declines compare network-wide scores: **cluster-robust** CR2 variance with Bell–McCaffrey
  degrees of freedom (Bell & McCaffrey 2002; Imbens & Kolesár 2016; :mod:`workbench.core.clustered`), clustered
  by branch (about 50 clusters), or, without a branch column, by respondent (a step compares two touchpoints rated
  by the same people). Within one branch chosen by a filter, by respondent.
- A segment against the rest: the cluster is the **branch-month** — a branch compared with the rest is one
  branch, so its persistent level is what is tested, while its month-to-month wobble and its answers are the
  noise. A branch in a three-month view is three such clusters, too few to estimate its own side's variance
  robustly (a CR2 test would be valid but could never list a branch), so the variance is Welch's scaled by a
  design effect: Kish's ``1 + (Σn_c²/N − 1)·ρ`` with the branch-month intracluster correlation ρ pooled over the
  whole network (Kish 1965; Donner & Klar 2000), or the comparison's own CR2 design effect when that is larger (one
  branch's one terrible month is its own shock, which the network's average wobble would not cover).
- NPS differences of two groups use the pooled score test and MOVER interval of
  :func:`workbench.core.metrics.nps_difference_formula` (valid for 30 answers and near ±100, where a t-test on
  the answers' spread is anti-conservative), their variance scaled by the same design effect.

The design effect (how much wider the clustering made the variance than independent answers would) and the number
of clusters are kept with each break. Without a cluster column the answers count as independent. The CX index,
which no single answer carries, keeps the z-test on its estimate's SE.

All tests of one list form one family whose p-values are adjusted with Benjamini–Hochberg, so a network of 50
branches does not drown in false alarms. A break is reported when its q-value is below ``alpha``, it points the
wrong way, it is at least ``min_delta`` large (smaller differences are real but not worth a workshop's time) and
both sides have n ≥ ``min_n``. A segment nested in a flagged one at the same touchpoint (a branch of a flagged
region) is folded into it. Breaks are ranked by size on the 0–100 index scale, so CSAT, NPS and CES breaks compare.

Every interval is a 95 % interval (``Break.confidence``), whatever false-discovery rate is set.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from workbench.analysis import heatmap
from workbench.core import clustered, formatting, metrics
from workbench.core.codes import distinct
from workbench.core.contract import OVERALL, SURVEY_COLUMNS
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.core.journey import Journey, is_backward
from workbench.data import query

if TYPE_CHECKING:
    import diskcache
    import numpy
    import pandas

KINDS = ("segment", "step", "target", "decline")
CONFIDENCE = 0.95  # every break's interval, whatever the false-discovery rate
CLUSTER_COLUMN, RESPONDENT_COLUMN = "branch", "respondent_id"  # what makes answers share a shock
MIN_DELTA = {"csat": 0.25, "nps": 10.0, "ces": 0.35, "stars": 0.25, "index": 6.0}  # about 6 points on the 0–100 index
_INDEX_POINTS = {key: metric.index_slope for key, metric in metrics.REGISTRY.items()}  # one point on the 0–100 index


@dataclass(frozen=True)
class BreakSettings:
    """What counts as a break.

    Parameters
    ----------
    alpha : false-discovery rate over all tests of one list (Benjamini–Hochberg).
    min_n : smallest number of answers on each side of a comparison.
    min_delta : smallest difference worth reporting, per metric, in the metric's points.
    segments : segment columns to scan; None scans every segment column of the data.
    kinds : which kinds of break to look for.
    clustered : cluster-robust tests where the data have a branch or respondent column (else every answer counts
        as independent).
    """

    alpha: float = 0.05
    min_n: int = metrics.DEFAULT_MIN_N
    min_delta: Mapping[str, float] = field(default_factory=lambda: dict(MIN_DELTA))
    segments: tuple[str, ...] | None = None
    kinds: tuple[str, ...] = KINDS
    clustered: bool = True


@dataclass(frozen=True)
class Break:
    """One break with its evidence; ``delta`` is negative (worse), ``severity`` is |delta| in index points.

    ``reference`` is what the score is compared with: the rest of the network (segment), the step's source
    plus the planned step (step), the target (target) or the period before (decline). ``planned`` is the
    step down the targets plan; ``within`` lists flagged segments nested in this one, worst first.
    ``low``/``high`` bound the ``confidence`` interval of ``delta``; ``clustering`` says which answers were taken
    to share a shock ("branch", "branch × month", "respondent"; "" when every answer counts as
    independent), ``clusters`` how many such groups there were and ``design_effect`` how much wider that made the
    variance than independent answers would (None when not clustered).
    """

    kind: str
    metric: str
    touchpoint: str
    value: float
    reference: float
    delta: float
    low: float
    high: float
    n: int
    p_value: float
    q_value: float
    severity: float
    sentence: str
    source: str | None = None
    column: str | None = None
    segment: str | None = None
    since: datetime.date | None = None
    within: tuple[str, ...] = ()
    planned: float = 0.0
    confidence: float = CONFIDENCE
    clustering: str = ""
    clusters: int = 0
    design_effect: float | None = None


def segment_columns(sources: Sequence[str]) -> list[str]:
    """The segment columns of the survey data (everything outside the survey contract)."""
    return [name for name in query.columns(sources) if name not in SURVEY_COLUMNS]


def previous_window(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The window of the same length that ends the day before ``date_from``."""
    days = (date_to - date_from).days + 1
    return date_from - datetime.timedelta(days=days), date_from - datetime.timedelta(days=1)


def find(
    journey: Journey,
    sources: Sequence[str],
    metric: str,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    filters: tuple = (),
    settings: BreakSettings | None = None,
    cache: diskcache.Cache | None = None,
) -> list[Break]:
    """The breaks of ``metric`` in the window, ranked by severity (largest first)."""
    settings = settings or BreakSettings()
    if metric not in metrics.METRICS:
        raise ValueError(
            _("Unknown metric '{metric}'; use one of {known}.").format(metric=metric, known=", ".join(metrics.METRICS))
        )
    if cache is not None:
        window = query.Query(tuple(sources), date_from=date_from, date_to=date_to, filters=tuple(filters))
        key = "breaks:" + hashlib.sha256(repr((window.key(), journey, metric, settings)).encode()).hexdigest()
        found = cache.get(key)
        if found is None:
            found = _find(journey, sources, metric, date_from, date_to, tuple(filters), settings, cache)
            cache.set(key, found)
        # The cache is shared by readers of every language: each break is put in words in the current one.
        return [replace(item, sentence=sentence(journey, item)) for item in found]
    return _find(journey, sources, metric, date_from, date_to, tuple(filters), settings, None)


def _find(
    journey: Journey,
    sources: Sequence[str],
    metric: str,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
    filters: tuple,
    settings: BreakSettings,
    cache: diskcache.Cache | None,
) -> list[Break]:
    """The uncached search behind :func:`find`."""

    one = None if metric == "index" else metric  # the statistics read: the metric's alone (the index needs all)

    @functools.cache  # the change points of one column share its monthly query
    def aggregate(by: tuple[str, ...], start=date_from, end=date_to):
        return query.aggregate(
            query.Query(tuple(sources), by=by, date_from=start, date_to=end, filters=tuple(filters), metric=one),
            cache,
            min_n=settings.min_n,
        )

    present, filtered = segment_columns(sources), dict(filters)
    names = query.columns(sources)
    if len(filtered.get(CLUSTER_COLUMN, ())) == 1:  # one branch: a shock of it is shared by every answer compared
        names = [name for name in names if name != CLUSTER_COLUMN]
    cluster = cluster_column(names) if settings.clustered and metric != "index" else None
    totals = aggregate(("touchpoint",))
    scored = heatmap.scores(journey, totals, metric, alpha=settings.alpha)
    by_cluster = _by_touchpoint(aggregate(("touchpoint", cluster)) if cluster else totals, metric)
    candidates: list[dict] = []
    if "target" in settings.kinds:
        candidates += _target_tests(scored, metric, by_cluster, cluster)
    if "step" in settings.kinds:
        candidates += _step_tests(journey, scored, metric, by_cluster, cluster)
    if "decline" in settings.kinds and date_from is not None and date_to is not None:
        window = previous_window(date_from, date_to)
        before = heatmap.scores(journey, aggregate(("touchpoint",), *window), metric)
        earlier = _by_touchpoint(aggregate(("touchpoint", cluster) if cluster else ("touchpoint",), *window), metric)
        candidates += _decline_tests(scored, before, metric, (by_cluster, earlier), cluster)
    nesting: dict[str, str] = {}
    branch = CLUSTER_COLUMN if cluster == CLUSTER_COLUMN else None
    if "segment" in settings.kinds:
        columns = [
            c
            for c in (settings.segments if settings.segments is not None else present)
            if c in present and c not in filtered
        ]
        nesting = query.parents(sources, columns)
        for column in columns:
            chain = _ancestors(column, nesting)
            # One query serves every column of a hierarchy when clustered (region and branch: the same groups).
            levels = tuple(sorted({column, *chain, branch})) if branch else (column, *chain)
            by = ("touchpoint", *levels, *(("period",) if branch else ()))
            candidates += _segment_tests(aggregate(by), totals, column, metric, settings.min_n, chain, branch)
    for test, q_value in zip(candidates, metrics.benjamini_hochberg([c["p_value"] for c in candidates])):
        test["q_value"] = q_value
    flagged = [
        c
        for c in candidates
        if c["q_value"] < settings.alpha and c["delta"] < 0 and abs(c["delta"]) >= settings.min_delta.get(metric, 0)
    ]
    flagged = _fold_nested(flagged)
    # What it took to be listed, for dating without reusing the evidence that listed the break: BH rejects the
    # p-values up to alpha · R / m (R rejected of m tests).
    tested = sum(not math.isnan(c["p_value"]) for c in candidates)
    rejected = sum(c["q_value"] < settings.alpha for c in candidates)
    cutoff = settings.alpha * max(rejected, 1) / max(tested, 1)

    @functools.cache
    def monthly(column: str):
        """Each segment's statistics per touchpoint and month up to the window's end (per branch too when
        clustered, for the flagged touchpoints only: the re-measure since a change point needs no other), the
        segment-level cells, everyone else's, the column's month-to-month spread of gaps (over every
        touchpoint and segment), and the positions of each (touchpoint, segment)'s cells and each touchpoint's
        rows."""
        by = tuple(dict.fromkeys(("touchpoint", "period", column, *((branch,) if branch else ()))))
        touchpoints = tuple(sorted({t["touchpoint"] for t in flagged if t.get("column") == column}))
        everything = aggregate(("touchpoint", "period", column), None)
        if len(by) == 3:  # the branch column itself, or unclustered: the rows are the cells' own, at those touchpoints
            rows = everything[everything["touchpoint"].isin(touchpoints)].reset_index(drop=True)
        else:
            rows = query.aggregate(
                query.Query(
                    tuple(sources), by=by, date_to=date_to, filters=(*filters, ("touchpoint", touchpoints)), metric=one
                ),
                cache,
                min_n=settings.min_n,
            )
        cells = everything[everything[column].notna()].reset_index(drop=True)
        totals = aggregate(("touchpoint", "period"), None)
        others = query.rest(cells, totals, ["touchpoint", "period"], min_n=settings.min_n, only=metric)
        # Where each (touchpoint, segment)'s months and each touchpoint's branch rows are: found once per column
        # instead of a comparison over all rows per break (hundreds of breaks at 20 M answers).
        at = {"cells": _finder([cells["touchpoint"], _members(cells, column)]), "rows": _finder([rows["touchpoint"]])}
        series = _series(cells, column)
        # Each series' answer variance on either side, for all series at once (a roll-up per break cost more).
        pooled = (series, *(_answer_variance(frame, series, metric, settings.min_n) for frame in (cells, others)))
        return rows, cells, others, _month_spread(cells, others, series, metric), at, pooled

    breaks = [
        _dated(journey, test, metric, settings, monthly, date_from, cutoff, branch is not None) for test in flagged
    ]
    return sorted(breaks, key=lambda b: (-b.severity, b.q_value, b.touchpoint, b.segment or ""))


def cluster_column(names: Sequence[str]) -> str | None:
    """The column of ``names`` that groups answers sharing a shock: the branch, else the respondent, else none."""
    return next((name for name in (CLUSTER_COLUMN, RESPONDENT_COLUMN) if name in names), None)


# ------------------------------------------------------------------ the four kinds of test


def _test(
    kind: str, touchpoint: str, value: float, se: float, reference: float, reference_se: float, n: int, **extra
) -> dict:
    """A two-sided z-test of value − reference on the estimates' SEs (the index; reference_se 0 for a target)."""
    delta = value - reference
    se_delta = math.hypot(se, reference_se)
    p_value = float(metrics.two_sided_p(delta / se_delta)) if se_delta > 0 else math.nan
    half = metrics.z_value(CONFIDENCE) * se_delta
    return {
        "kind": kind,
        "touchpoint": touchpoint,
        "value": value,
        "reference": reference,
        "delta": delta,
        "se": se_delta,
        "df": math.inf,
        "low": delta - half,
        "high": delta + half,
        "n": int(n),
        "p_value": p_value,
        **extra,
    }


def _clustered_test(
    kind: str,
    touchpoint: str,
    rows: pandas.DataFrame,
    cells,
    weights: Sequence[float],
    shift: float,
    metric: str,
    cluster: str | None,
    value: float,
    reference: float,
    n: int,
    **extra,
) -> dict:
    """A t-test of Σ weights · cell means − shift from per (cell, cluster) statistics (CR2, Bell–McCaffrey df)."""
    from scipy.stats import t as student

    count, total, squares = clustered.moments(rows, metric)
    labels = rows[cluster].to_numpy(dtype=object) if cluster else [None] * len(rows)
    found = clustered.contrast(cells, labels, count, total, squares, weights, CONFIDENCE, method="CR2")
    delta = found.difference - shift
    statistic = delta / found.se if found.se > 0 else math.nan
    p_value = float(2 * student.sf(abs(statistic), found.df)) if not math.isnan(statistic) else math.nan
    half = found.high - found.difference
    test = {
        "kind": kind,
        "touchpoint": touchpoint,
        "value": value,
        "reference": reference,
        "delta": delta,
        "se": found.se,
        "df": found.df,
        "low": delta - half,
        "high": delta + half,
        "n": int(n),
        "p_value": p_value,
        "clustering": _CLUSTERING.get(cluster or "", ""),
        "clusters": found.clusters if cluster else 0,
        "design_effect": found.design_effect if cluster else math.nan,
        **extra,
    }
    if metric == "nps" and len(weights) == 2 and shift == 0:
        cells = list(cells)
        a, b = (rows[[c == side for c in cells]][["promoters", "detractors", "nps_n"]].sum() for side in (0, 1))
        test.update(_nps_score(a, b, found.design_effect if cluster else 1.0, found.df if cluster else math.inf))
    return test


def _nps_score(a, b, design_effect: float, df: float) -> dict:
    """An NPS difference a − b tested by the pooled score test and bounded by the MOVER interval of Tango intervals
    (:func:`workbench.core.metrics.nps_difference_formula`, valid for small cells and near ±100, where a t-test
    on 30 answers is not), with the variance scaled by the cluster-robust design effect (Kish's effective sample
    size) and Student's t on the Bell–McCaffrey degrees of freedom when clustered. ``a``/``b`` hold promoters,
    detractors and nps_n (scalars or arrays)."""
    import numpy as np
    from scipy.stats import t as student

    z95 = metrics.z_value(CONFIDENCE)
    difference, _se, score, _p, low, high = metrics.nps_difference_formula(
        a["promoters"], a["detractors"], a["nps_n"], b["promoters"], b["detractors"], b["nps_n"], z95
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(np.where(np.isfinite(design_effect) & (design_effect > 0), design_effect, 1.0))
        statistic = score / scale
        p_value = 2 * student.sf(np.abs(statistic), df)
        widen = scale * student.ppf(0.5 + CONFIDENCE / 2, df) / z95
        se = np.where(statistic != 0, np.abs(difference / statistic), np.nan)
    return {
        "p_value": p_value,
        "low": difference - (difference - low) * widen,
        "high": difference + (high - difference) * widen,
        "se": se,
    }


_CLUSTERING = {CLUSTER_COLUMN: "branch", RESPONDENT_COLUMN: "respondent"}


def _reliable(row) -> bool:
    return not row["low_n"] and row["n"] > 0 and not math.isnan(row["value"]) and row["se"] > 0


def _target_tests(scored: pandas.DataFrame, metric: str, by_cluster, cluster: str | None) -> list[dict]:
    tests = []
    for row in scored.to_dict("records"):
        if row["reference_kind"] != "target" or not _reliable(row):
            continue
        if metric == "index":
            tests.append(_test("target", row["touchpoint"], row["value"], row["se"], row["target"], 0.0, row["n"]))
            continue
        rows = by_cluster[row["touchpoint"]]
        tests.append(
            _clustered_test(
                "target", row["touchpoint"], rows, [0] * len(rows), [1.0], row["target"], metric, cluster,
                row["value"], row["target"], row["n"],
            )
        )  # fmt: skip
    return tests


def _step_tests(journey: Journey, scored: pandas.DataFrame, metric: str, by_cluster, cluster: str | None) -> list[dict]:
    import pandas as pd

    by_key = scored.set_index("touchpoint")
    rated = set(scored.loc[scored["n"] > 0, "touchpoint"])
    tests = []
    for source, target in rated_steps(journey, rated):
        a, b = by_key.loc[source], by_key.loc[target]
        if not (_reliable(a) and _reliable(b)):
            continue
        # Targets may plan a step down (a failed delivery is rated lower than the delivery): only the part
        # of the fall beyond the planned step counts.
        planned = heatmap.planned_step(a["target"], b["target"])
        n = min(a["n"], b["n"])
        if metric == "index":
            tests.append(
                _test("step", target, b["value"], b["se"], a["value"] + planned, a["se"], n, source=source,
                      planned=planned)
            )  # fmt: skip
            continue
        parts = [by_cluster[key] for key in (target, source)]
        rows = pd.concat(parts, ignore_index=True)
        cells = [0] * len(parts[0]) + [1] * len(parts[1])
        tests.append(
            _clustered_test(
                "step", target, rows, cells, [1.0, -1.0], planned, metric, cluster, b["value"],
                a["value"] + planned, n, source=source, planned=planned,
            )
        )  # fmt: skip
    return tests


def _decline_tests(
    scored: pandas.DataFrame, before: pandas.DataFrame, metric: str, by_cluster, cluster: str | None
) -> list[dict]:
    import pandas as pd

    earlier = before.set_index("touchpoint")
    tests = []
    for row in scored.to_dict("records"):
        past = earlier.loc[row["touchpoint"]]
        if not (_reliable(row) and _reliable(past)):
            continue
        if metric == "index":
            tests.append(
                _test("decline", row["touchpoint"], row["value"], row["se"], past["value"], past["se"], row["n"])
            )
            continue
        now_rows, then_rows = (frame[row["touchpoint"]] for frame in by_cluster)
        rows = pd.concat([now_rows, then_rows], ignore_index=True)
        cells = [0] * len(now_rows) + [1] * len(then_rows)
        tests.append(
            _clustered_test(
                "decline", row["touchpoint"], rows, cells, [1.0, -1.0], 0.0, metric, cluster, row["value"],
                past["value"], row["n"],
            )
        )  # fmt: skip
    return tests


def _by_touchpoint(stats: pandas.DataFrame, metric: str) -> dict[str, pandas.DataFrame]:
    """Each touchpoint's statistics per cluster (or, unclustered, its one row of independent answers)."""
    answered = stats[stats[metrics.n_column(metric)] > 0] if metric != "index" else stats
    return {key: part for key, part in answered.groupby("touchpoint", sort=False)}


def _segment_tests(
    rows: pandas.DataFrame,
    totals: pandas.DataFrame,
    column: str,
    metric: str,
    min_n: int,
    chain: Sequence[str],
    branch: str | None,
) -> list[dict]:
    """Each value of ``column`` against everyone else at each touchpoint (:func:`_against_rest`; the index: z-tests
    on its estimates)."""
    rows = rows[rows["touchpoint"] != OVERALL].reset_index(drop=True)
    if metric == "index":
        return _index_segment_tests(rows, totals, column, min_n, chain)
    found = _against_rest(rows, column, metric, branch)
    if not len(found):
        return []
    members = rows.assign(_member=_members(rows, column)).dropna(subset=["_member"])
    levels = members.groupby(["touchpoint", "_member"])[list(chain)].first() if chain else None
    ancestors = (
        {key: [(name, str(value)) for name, value in zip(chain, values, strict=True)] for key, *values in
         levels.itertuples(name=None)}
        if levels is not None
        else {}
    )  # fmt: skip
    usable = (found["n"] >= min_n) & (found["rest_n"] >= min_n) & (found["se"] > 0)
    return [
        {
            "kind": "segment",
            "touchpoint": item.family,
            **_segment_measures(item, branch),
            "column": column,
            "segment": item.member,
            "ancestors": ancestors.get((item.family, item.member), []),
        }
        for item in found[usable].itertuples(index=False)
    ]


def _segment_measures(item, branch: str | None) -> dict:
    """A segment-against-the-rest test's numbers as a break carries them (one row of ``_against_rest``)."""
    return {
        "value": float(item.mean),
        "reference": float(item.rest_mean),
        "delta": float(item.difference),
        "se": float(item.se),
        "df": float(item.df),
        "low": float(item.low),
        "high": float(item.high),
        "n": int(item.n),
        "p_value": float(item.p_value),
        **_clustering(item, branch),
    }


def _nps_against_rest(
    found: pandas.DataFrame, members: pandas.DataFrame, rows: pandas.DataFrame, branch
) -> pandas.DataFrame:
    """Segment NPS tests by the pooled score test (see :func:`_nps_score`), design effect and df from the CR2 test."""
    counts = ["promoters", "detractors", "nps_n"]
    mine = members.groupby(["touchpoint", "_member"])[counts].sum()
    everyone = rows.groupby("touchpoint")[counts].sum()
    keys = list(zip(found["family"], found["member"], strict=True))
    a = mine.reindex(keys).reset_index(drop=True)
    b = everyone.reindex(found["family"]).reset_index(drop=True) - a
    effect = found["design_effect"].to_numpy(float) if branch else 1.0
    df = found["df"].to_numpy(float) if branch else math.inf
    return found.assign(**_nps_score(a, b, effect, df))


def _members(rows: pandas.DataFrame, column: str):
    """The segment value of each row as text (missing where the answer has none)."""
    import pandas as pd

    values = rows[column]
    if pd.api.types.is_string_dtype(values.dtype):  # text already (every summarised segment): kept as it is stored
        return values
    return values.map(lambda value: None if value is None or value != value else str(value))


def _against_rest(
    rows: pandas.DataFrame, column: str, metric: str, branch: str | None, only: str | None = None
) -> pandas.DataFrame:
    """Every segment value (or the value ``only``) against the rest of its touchpoint: Welch's t on the answers
    (Bell–McCaffrey df; NPS by the score test of :func:`_nps_score`), its variance scaled, when the data have
    branches, by the larger of the network's design effect (:func:`_network_design`) and the comparison's own CR2
    one (clusters: the segment's part of a branch-month)."""
    import numpy as np
    import pandas as pd
    from scipy.stats import t as student

    count, total, squares = clustered.moments(rows, metric)
    labels = _members(rows, column)
    # A value's test depends on its own rows and its touchpoint's only (the rest is everyone else, whatever their
    # value), so the other values can go unnamed: one comparison instead of one per branch of the network.
    member = labels if only is None else labels.where(labels == only)
    found = clustered.against_rest(rows["touchpoint"], member, [None] * len(rows), count, total, squares, CONFIDENCE)
    if branch and len(found):
        effect, clusters = _network_design(rows, member, branch, count, total, squares)
        keys = _keys(found)
        effect, clusters = effect.reindex(keys).to_numpy(float), clusters.reindex(keys).to_numpy(float)
        # … or the segment's own cluster-robust one when larger: one branch's one terrible month is its own shock,
        # which the network's average wobble would not cover.
        codes = [pd.factorize(values)[0].astype(np.int64) for values in (labels, rows[branch], rows["period"])]
        own = (codes[0] * (codes[1].max(initial=0) + 2) + codes[1] + 1) * (codes[2].max(initial=0) + 2) + codes[2] + 1
        own = np.where(codes[1] >= 0, own, np.nan)  # no branch: answers independent of each other
        robust = clustered.against_rest(rows["touchpoint"], member, own, count, total, squares, CONFIDENCE)
        # The same rows, so the same (touchpoint, segment) pairs in the same order: only the clusters differ.
        robust = robust["design_effect"].to_numpy(float)
        effect = np.fmax(effect, robust)
        se = found["se"].to_numpy(float) * np.sqrt(effect)
        df = found["df"].to_numpy(float)
        difference = found["difference"].to_numpy(float)
        half = student.ppf(0.5 + CONFIDENCE / 2, df) * se
        found = found.assign(
            se=se,
            design_effect=effect,
            clusters=clusters.astype(int),
            t=difference / se,
            p_value=2 * student.sf(np.abs(difference / se), df),
            low=difference - half,
            high=difference + half,
        )
    if metric == "nps" and len(found):
        found = _nps_against_rest(found, rows.assign(_member=member).dropna(subset=["_member"]), rows, branch)
    return found


def _keys(found: pandas.DataFrame):
    """The (touchpoint, segment) keys of a comparison frame."""
    import pandas as pd

    return pd.MultiIndex.from_arrays([found["family"], found["member"]])


def _network_design(rows: pandas.DataFrame, member, branch: str, count, total, squares):
    """Each segment comparison's design effect and clusters, from the branch-months of the whole network.

    Answers of one branch and month share a shock (its staff that month), so a side's mean has the variance
    ``(σ²_b · Σ n_c² + σ²_w · N) / N²`` over its clusters c (a segment's part of a branch-month) — Kish's design
    effect ``1 + (Σ n_c² / N − 1) · ρ`` (Kish 1965, *Survey Sampling*). The between-branch-month variance σ²_b (of
    a branch's months around its own level) and the within σ²_w are ANOVA moment estimates pooled over every
    branch and touchpoint (Donner & Klar 2000, *Design and Analysis of Cluster Randomization Trials*, ch. 5: tests
    adjusted by a pooled intracluster correlation): a branch in a three-month view is three clusters, too few to
    estimate its own side's variance
    (a cluster-robust variance would be valid but could never find a branch break), while the network's few
    thousand branch-months estimate the shared one well. A branch's persistent level is what its test is about,
    so the cluster is the branch-month, not the branch. A branch-month shared by the segment and the rest (a
    channel) is a cluster on each side; the positive covariance left out only widens the interval.
    """
    import numpy as np
    import pandas as pd

    # Integer codes and sums by code (np.bincount), not pandas groupings: this runs once per segment column and
    # once per re-measure since a change point, hundreds of times at 20 M answers.
    use = np.asarray(count, dtype=float) > 0
    tp, touchpoints = pd.factorize(rows["touchpoint"])
    m, members = pd.factorize(pd.Series(member))
    codes = [tp, m, pd.factorize(rows[branch])[0], pd.factorize(rows["period"])[0]]
    tp, m, b, p = (np.asarray(code)[use] for code in codes)
    n, t, q = (np.asarray(values, dtype=float)[use] for values in (count, total, squares))
    n_tp, n_m = len(touchpoints), len(members)
    n_b, n_p = int(b.max(initial=-1)) + 2, int(p.max(initial=-1)) + 2  # codes + 1: −1 (none) is a code too
    lone = b < 0  # answers without a branch: clusters of one
    month_keys, month_of = distinct(((tp * n_b + b + 1) * n_p + p + 1)[~lone])
    m_n, m_t, m_q = (np.bincount(month_of, x[~lone], minlength=len(month_keys)) for x in (n, t, q))
    month_tp = month_keys // (n_b * n_p)
    branch_keys, branch_of = distinct(month_keys // n_p)
    with np.errstate(divide="ignore", invalid="ignore"):
        # One-way ANOVA of the branch-months around their own branch's mean at the touchpoint: the month-to-month
        # wobble, which a branch's persistent level (what a break is) does not inflate.
        sums = [np.bincount(branch_of, x, minlength=len(branch_keys)) for x in (
            m_n, m_t, m_q - m_t**2 / m_n, m_n - 1, m_t**2 / m_n, m_n**2, np.ones(len(m_n)))]  # fmt: skip
        b_n, b_t, b_w, b_dw, b_sb, b_n2, b_g = (x[sums[6] > 1] for x in sums)
        within = float(b_w.sum() / b_dw.sum()) if b_dw.sum() > 0 else 0.0
        between_ss = float((b_sb - b_t**2 / b_n).sum())
        weight = float((b_n - b_n2 / b_n).sum())
        between = max(0.0, (between_ss - float((b_g - 1).sum()) * within) / weight) if weight > 0 else 0.0
    rho = between / (between + within) if between + within > 0 else 0.0
    # Each side's Σ n_c² over its clusters: the segment's parts of branch-months; the rest's parts of them.
    inside = m >= 0
    pair = tp * n_m + m
    pair_keys, pair_of = distinct(pair[inside])  # the (touchpoint, segment) comparisons
    n_s = np.bincount(pair_of, n[inside], minlength=len(pair_keys))
    grouped = inside & ~lone
    # A segment's part of a branch-month.
    cell_keys, cell_of = distinct((pair[grouped] * n_b + b[grouped] + 1) * n_p + p[grouped] + 1)
    ns = np.bincount(cell_of, n[grouped], minlength=len(cell_keys))
    cell_pair, branch_month = cell_keys // (n_b * n_p), cell_keys % (n_b * n_p)
    ng = m_n[np.searchsorted(month_keys, cell_pair // n_m * n_b * n_p + branch_month)]  # the whole branch-month
    cell_pair = np.searchsorted(pair_keys, cell_pair)

    def by_pair(values) -> np.ndarray:
        return np.bincount(cell_pair, values, minlength=len(pair_keys))

    own, change, whole, k = by_pair(ns**2), by_pair(ng**2 - (ng - ns) ** 2), by_pair(ng == ns), by_pair(None)
    own_singles = np.bincount(np.searchsorted(pair_keys, pair[inside & lone]), n[inside & lone], len(pair_keys))
    singles, totals = np.bincount(tp[lone], n[lone], n_tp), np.bincount(tp, n, n_tp)
    family_n2, family_g = np.bincount(month_tp, m_n**2, n_tp), np.bincount(month_tp, None, n_tp)
    at = pair_keys // n_m
    n_r = totals[at] - n_s
    square_s = own + own_singles
    square_r = family_n2[at] - change + singles[at] - own_singles
    with np.errstate(divide="ignore", invalid="ignore"):
        effect_s = 1 + (square_s / n_s - 1) * rho
        effect_r = 1 + (square_r / n_r - 1) * rho
        effect = (effect_s / n_s + effect_r / n_r) / (1 / n_s + 1 / n_r)
    clusters = k + own_singles + family_g[at] - whole + singles[at] - own_singles
    keys = pd.MultiIndex.from_arrays(
        [np.asarray(touchpoints, dtype=object)[at], np.asarray(members, dtype=object)[pair_keys % n_m]]
    )
    return pd.Series(effect, index=keys), pd.Series(clusters.astype(float), index=keys)


def _clustering(item, branch: str | None) -> dict:
    """The clustering fields of a segment test."""
    if not branch:
        return {"clustering": "", "clusters": 0, "design_effect": math.nan}
    return {
        "clustering": "branch × month",
        "clusters": int(item.clusters),
        "design_effect": float(item.design_effect),
    }


def _index_segment_tests(
    rows: pandas.DataFrame, totals: pandas.DataFrame, column: str, min_n: int, chain: Sequence[str]
) -> list[dict]:
    """The CX index of each segment value against the rest: z-tests on the estimates' SEs."""
    cells = query.rollup(rows[rows[column].notna()], ["touchpoint", column, *chain], min_n=min_n)
    if not len(cells):
        return []
    others = query.rest(cells, totals, ["touchpoint"], min_n=min_n)
    tests = []
    for cell, other in zip(cells.to_dict("records"), others.to_dict("records"), strict=True):
        if cell["index_low_n"] or other["index_low_n"] or not cell["index_se"] > 0:
            continue
        tests.append(
            _test(
                "segment", cell["touchpoint"], cell["index"], cell["index_se"], other["index"], other["index_se"],
                cell["index_n"], column=column, segment=str(cell[column]),
                ancestors=[(name, str(cell[name])) for name in chain],
            )
        )  # fmt: skip
    return tests


def _series(cells: pandas.DataFrame, column: str) -> numpy.ndarray:
    """Each cell's series: the code (0, 1, …) of its (touchpoint, segment), whose months the series holds.

    Codes, not a grouping by text key: at 20 M answers a branch column has hundreds of thousands of cells."""
    import numpy as np
    import pandas as pd

    touchpoint, segment = (pd.factorize(cells[name])[0].astype(np.int64) for name in ("touchpoint", column))
    return distinct(touchpoint * (segment.max(initial=0) + 2) + segment + 1)[1]


def _answer_variance(monthly: pandas.DataFrame, series: numpy.ndarray, metric: str, min_n: int) -> numpy.ndarray:
    """Per series, its answers' variance from all its months together: SE²_total · n_total (indexed by code)."""
    import numpy as np
    import pandas as pd

    # The months' statistics summed per series by code (a grouping of 400 000 cells cost more than the estimates).
    count = int(series.max(initial=-1)) + 1
    sums = pd.DataFrame(
        {name: np.bincount(series, monthly[name].to_numpy(float), count) for name in query.statistic_columns(monthly)}
    )
    total = metrics.estimate_frame(sums, min_n=min_n, only=metric)
    return (total[f"{metric}_se"] ** 2 * total[metrics.n_column(metric)]).to_numpy(float)


def _pooled_variance(monthly: pandas.DataFrame, variance: float, metric: str):
    """Each month's squared SE from the answer ``variance`` of all the series' months together: variance / n."""
    import numpy as np

    n = monthly[metrics.n_column(metric)].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, variance / n, np.nan)


def _month_spread(cells: pandas.DataFrame, others: pandas.DataFrame, series: numpy.ndarray, metric: str) -> float:
    """How much a segment's monthly gap to the rest wobbles beyond its answers' noise (a branch's good and bad
    months): the DerSimonian–Laird between-month variance pooled over every segment and touchpoint of the column
    (DerSimonian & Laird 1986), so that one segment's real shift hardly moves it; ``series`` codes each cell's
    (touchpoint, segment) (:func:`_series`). 0 for the index."""
    import numpy as np

    if metric == "index" or not len(cells):
        return 0.0
    count = int(series.max(initial=-1)) + 1

    def by_series(values, at=series):
        return np.bincount(at, values, minlength=count)

    with np.errstate(divide="ignore", invalid="ignore"):
        means, variance = [], np.zeros(len(cells))
        for stats in (cells, others):
            n, total, squares = clustered.moments(stats, metric)
            big_n, big_t = by_series(n), by_series(total)
            spread = (by_series(squares) - big_t**2 / big_n) / (big_n - 1)
            variance = variance + spread[series] / n
            means.append(total / n)
        gap = means[0] - means[1]
    usable = np.isfinite(gap) & np.isfinite(variance) & (variance > 0)
    at, gap, weight = series[usable], gap[usable], 1 / variance[usable]
    months = np.bincount(at, minlength=count)
    kept = months[at] >= 3
    if not kept.any():
        return 0.0
    w, wg, w2 = (by_series(values, at) for values in (weight, weight * gap, weight**2))
    enough = months >= 3
    q = float((weight * (gap - wg[at] / np.where(enough, w, 1.0)[at]) ** 2)[kept].sum())
    w, w2, months = w[enough], w2[enough], months[enough]
    excess, spread_weight = q - float((months - 1).sum()), float((w - w2 / w).sum())
    return max(0.0, excess / spread_weight) if spread_weight > 0 else 0.0


def _ancestors(column: str, nesting: Mapping[str, str]) -> list[str]:
    """The coarser levels above a segment column, nearest first (employee → branch, region)."""
    chain = []
    while column in nesting and nesting[column] not in chain:
        column = nesting[column]
        chain.append(column)
    return chain


def rated_steps(journey: Journey, rated: set[str]) -> list[tuple[str, str]]:
    """Forward steps between rated touchpoints, passing over unrated nodes (decisions, outcomes) in between."""
    forward: dict[str, list[str]] = {}
    for edge in journey.edges:
        if not is_backward(journey, edge):
            forward.setdefault(edge.source, []).append(edge.target)
    steps = []
    for start in (tp.key for tp in journey.touchpoints if tp.key in rated):
        seen, stack = {start}, list(forward.get(start, []))
        while stack:
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            if key in rated:
                steps.append((start, key))
            else:
                stack.extend(forward.get(key, []))
    order = {tp.key: i for i, tp in enumerate(journey.touchpoints)}
    return sorted(set(steps), key=lambda pair: (order[pair[0]], order[pair[1]]))


# ------------------------------------------------------------------ folding, dating, wording


def _fold_nested(flagged: list[dict]) -> list[dict]:
    """Segments inside a flagged coarser segment at the same touchpoint become part of its break (``within``)."""
    index = {(t["touchpoint"], t["column"], t["segment"]): t for t in flagged if t["kind"] == "segment"}
    kept = []
    for test in sorted(flagged, key=lambda t: t["delta"]):
        holders = [
            index[key] for key in ((test["touchpoint"], *level) for level in test.get("ancestors", ())) if key in index
        ]
        if holders:
            holders[-1].setdefault("within", []).append(f"{test['column']} {test['segment']}")
        else:
            kept.append(test)
    return kept


def _dated(
    journey: Journey,
    test: dict,
    metric: str,
    settings: BreakSettings,
    monthly,
    date_from: datetime.date | None,
    cutoff: float,
    branched: bool,
) -> Break:
    """The break, dated and re-measured since its change point when its monthly gap shifted."""
    since = None
    if test["kind"] == "segment":
        since, measured = _change_point(test, metric, settings, monthly, date_from, cutoff, branched)
        if measured is not None:
            test = {**test, **measured}
    result = Break(
        kind=test["kind"],
        metric=metric,
        touchpoint=test["touchpoint"],
        value=float(test["value"]),
        reference=float(test["reference"]),
        delta=float(test["delta"]),
        low=float(test["low"]),
        high=float(test["high"]),
        n=int(test["n"]),
        p_value=float(test["p_value"]),
        q_value=float(test["q_value"]),
        severity=float(abs(test["delta"]) * _INDEX_POINTS[metric]),
        sentence="",
        source=test.get("source"),
        column=test.get("column"),
        segment=test.get("segment"),
        since=since,
        within=tuple(test.get("within", [])),
        planned=float(test.get("planned", 0.0)),
        confidence=CONFIDENCE,
        clustering=test.get("clustering", ""),
        clusters=int(test.get("clusters", 0)),
        design_effect=_known(test.get("design_effect")),
    )
    return replace(result, sentence=sentence(journey, result))


def _change_point(
    test: dict,
    metric: str,
    settings: BreakSettings,
    monthly,
    date_from: datetime.date | None,
    cutoff: float,
    branched: bool,
):
    """Month from which the segment's gap to the rest shifted down, and the test measured since then.

    The monthly gaps (segment − rest, all months up to the window's end) are split at every month leaving two
    months on each side; a month's variance is its answers' (from the spread of all the segment's months, since a
    handful of answers in a month gives no usable spread of its own) plus the column's month-to-month wobble
    (:func:`_month_spread`). The break was listed *because* its gap in the window was low, and the window's months
    are in the comparison, so the shift is tested conditionally on that selection: given everything in the gaps
    but the shift, the selection bounds the shift, and its p-value is that of a Gaussian truncated there (the
    polyhedral lemma of Lee, Sun, Sun & Taylor 2016, "Exact post-selection inference", Ann. Statist. 44(3); the
    nuisance level of the gap is conditioned away, Fithian, Sun & Taylor 2014). The split with the smallest
    one-sided p is kept when it is below ``alpha`` after a Bonferroni correction for the splits tried.
    """
    import numpy as np
    from scipy.stats import t as student

    column, segment, touchpoint = test["column"], test["segment"], test["touchpoint"]
    rows, cells, others, spread, at, (series, mine, theirs) = monthly(column)
    chosen = at["cells"]((touchpoint, segment))
    if not len(chosen):
        return None, None
    cells, others, code = cells.iloc[chosen], others.iloc[chosen], series[chosen[0]]
    gap = cells[metric].to_numpy(float) - others[metric].to_numpy(float)
    variance = _pooled_variance(cells, mine[code], metric) + _pooled_variance(others, theirs[code], metric)
    variance = variance + spread
    usable = np.isfinite(gap) & np.isfinite(variance) & (variance > 0)
    periods = list(cells["period"][usable])
    gap, variance = gap[usable], variance[usable]
    answers = cells[metrics.n_column(metric)].to_numpy(float)[usable]
    # The window's gap that listed the break, as a weighted sum of the monthly gaps, and how far below the bar it was.
    window = np.array([date_from is None or period >= date_from for period in periods])
    omega = np.where(window, answers, 0.0)
    omega = omega / omega.sum() if omega.sum() > 0 else omega
    critical = float(student.isf(cutoff / 2, test["df"])) if test["df"] > 0 else math.inf
    bar = min(-settings.min_delta.get(metric, 0.0), -critical * test["se"])
    slack = max(0.0, bar - test["delta"])
    best, adjusted = _selected_shift(gap, variance, omega, slack)
    if best is None or adjusted >= settings.alpha:
        return None, None
    since = periods[best]
    if metric == "index":
        return since, _index_since(cells, others, since, metric, settings)
    recent = rows.iloc[at["rows"]((touchpoint,))]
    recent = recent[recent["period"] >= since].reset_index(drop=True)
    found = _against_rest(recent, column, metric, CLUSTER_COLUMN if branched else None, only=segment)
    found = found[found["member"] == segment]
    if not len(found) or not found["se"].iloc[0] > 0 or found["n"].iloc[0] < settings.min_n:
        return since, None
    return since, _segment_measures(next(found.itertuples(index=False)), CLUSTER_COLUMN if branched else None)


def _finder(columns: Sequence[pandas.Series]):
    """A function from a tuple of values (one per column) to the positions of the rows holding them, ascending.

    The rows are sorted by key code once (a pandas grouping's dictionary of every group cost more than all the
    look-ups it served: a branch column has tens of thousands of groups at 1.5 M answers)."""
    import numpy as np
    import pandas as pd

    codes, lookups, key = [], [], np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        code, values = pd.factorize(column)
        key = key * (len(values) + 1) + code + 1  # code −1 (no value) is a key of its own, never looked up
        codes.append(len(values) + 1)
        lookups.append({value: index for index, value in enumerate(values)})
    order = np.argsort(key, kind="stable")
    ordered = key[order]

    def find(values: tuple) -> np.ndarray:
        wanted = 0
        for value, lookup, size in zip(values, lookups, codes, strict=True):
            if value not in lookup:
                return order[:0]
            wanted = wanted * size + lookup[value] + 1
        return order[np.searchsorted(ordered, wanted) : np.searchsorted(ordered, wanted, side="right")]

    return find


def _selected_shift(gap, variance, omega, slack: float) -> tuple[int | None, float]:
    """The split of a series of independent gaps (with their variances) with the most significant downward shift
    of the later months' mean against the earlier ones' (inverse-variance weighted, two months each side at least),
    and its one-sided p-value conditional on the selection ``omega · gap ≤ omega · gap_observed + slack`` (what
    listed the break; ``omega`` 0 for none), Bonferroni-adjusted for the splits tried."""
    import numpy as np
    from scipy.special import ndtr

    weight = 1 / variance
    best, best_p = None, 1.0
    for k in range(2, len(gap) - 1):
        eta = np.concatenate([-weight[:k] / weight[:k].sum(), weight[k:] / weight[k:].sum()])
        sigma = math.sqrt(float(eta**2 @ variance))
        z = float(eta @ gap) / sigma
        along = float(omega @ (variance * eta)) / sigma**2  # how the window's gap moves with the shift
        if along > 1e-12:  # listed means the shift is at most this large
            p = float(np.exp(_log_ndtr(z) - _log_ndtr(z + slack / along / sigma)))
        elif along < -1e-12:  # … or at least this large
            low = z + slack / along / sigma
            p = float((ndtr(z) - ndtr(low)) / ndtr(-low)) if ndtr(-low) > 0 else 1.0
        else:
            p = float(ndtr(z))
        if p < best_p:
            best, best_p = k, p
    return best, min(1.0, best_p * max(1, len(gap) - 3))


def _known(value) -> float | None:
    """A number, or None for a missing or undefined one (NaN would make two equal breaks unequal)."""
    return None if value is None or math.isnan(value) else float(value)


def _log_ndtr(z: float) -> float:
    from scipy.special import log_ndtr

    return float(log_ndtr(z))


def _index_since(cells, others, since, metric: str, settings: BreakSettings) -> dict | None:
    """The index's segment test since its change point (z-test on the estimates)."""
    recent = (cells["period"] >= since).to_numpy()
    cell = query.rollup(cells[recent], [], min_n=settings.min_n).iloc[0]
    other = query.rollup(others[recent], [], min_n=settings.min_n).iloc[0]
    if cell[f"{metric}_low_n"] or not cell[f"{metric}_se"] > 0:
        return None
    measured = _test(
        "segment", "", cell[metric], cell[f"{metric}_se"], other[metric], other[f"{metric}_se"],
        cell[metrics.n_column(metric)],
    )  # fmt: skip
    return {key: measured[key] for key in ("value", "reference", "delta", "se", "df", "low", "high", "n", "p_value")}


def sentence(journey: Journey, item: Break) -> str:
    """The break in one plain sentence with its evidence, in the current language."""
    name = journey.touchpoint(item.touchpoint).name
    label = metrics.NAMES[item.metric]
    size = formatting.value(abs(item.delta), item.metric).lstrip("+")
    if item.kind == "segment":
        where = {"touchpoint": name, "metric": label, "size": size, "column": item.column, "segment": item.segment}
        if item.since:
            text = _(
                "{touchpoint}: {metric} is {size} points lower in {column} {segment} than in the rest since {month}"
            ).format(month=formatting.month(item.since), **where)
        else:
            text = _("{touchpoint}: {metric} is {size} points lower in {column} {segment} than in the rest").format(
                **where
            )
        if item.within:
            shown = ", ".join(item.within[:3])
            if len(item.within) > 3:
                more = len(item.within) - 3
                shown = ngettext("{segments} and {count} more", "{segments} and {count} more", more).format(
                    segments=shown, count=formatting.count(more)
                )
            text = _("{sentence}; lowest within it: {segments}").format(sentence=text, segments=shown)
    elif item.kind == "step" and item.planned:
        text = _("{source} → {touchpoint}: {metric} falls {size} points more than the targets plan").format(
            source=journey.touchpoint(item.source).name if item.source else "", touchpoint=name, metric=label, size=size
        )
    elif item.kind == "step":
        text = _("{source} → {touchpoint}: {metric} falls {size} points").format(
            source=journey.touchpoint(item.source).name if item.source else "", touchpoint=name, metric=label, size=size
        )
    elif item.kind == "target":
        text = _("{touchpoint}: {metric} {value} is {size} points below its target {target}").format(
            touchpoint=name,
            metric=label,
            value=formatting.value(item.value, item.metric),
            size=size,
            target=formatting.value(item.reference, item.metric),
        )
    else:
        text = _(
            "{touchpoint}: {metric} fell {size} points, from {before} to {value}, against the period before"
        ).format(
            touchpoint=name,
            metric=label,
            size=size,
            before=formatting.value(item.reference, item.metric),
            value=formatting.value(item.value, item.metric),
        )
    return _("{sentence} ({p}, n = {n}).").format(
        sentence=text, p=formatting.p_value(item.q_value), n=formatting.count(item.n)
    )
