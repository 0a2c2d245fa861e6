"""Where satisfaction breaks: a ranked list of statistically supported breaks with their evidence.

Four kinds of break are looked for in one window of answers (the filters and dates the user chose):

- **segment** — a segment value (a region, branch, channel, employee…) scores below everyone else at a
  touchpoint; when its monthly gap shifted at one point in time, the break is dated ("since March 2026") and
  its size is the gap since then;
- **step** — along the journey, the next rated touchpoint scores below the one before (decision and outcome
  nodes without answers are stepped over; loops back are not steps);
- **target** — a touchpoint scores below its target;
- **decline** — a touchpoint scores below its score in the window of the same length just before.

Every test is a two-sided z-test on the two standard errors; all tests of one list form one family whose
p-values are adjusted with Benjamini–Hochberg, so a network of 50 branches does not drown in false alarms. A
break is reported when its q-value is below ``alpha``, it points the wrong way, it is at least ``min_delta``
large (smaller differences are real but not worth a workshop's time) and both sides have n ≥ ``min_n``. A
segment nested in a flagged one at the same touchpoint (a branch of a flagged region) is folded into it.
Breaks are ranked by size on the 0–100 index scale, so CSAT, NPS and CES breaks compare.
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
from workbench.core import formatting, metrics
from workbench.core.contract import OVERALL, SURVEY_COLUMNS
from workbench.core.i18n import gettext as _
from workbench.core.journey import Journey, is_backward
from workbench.data import query

if TYPE_CHECKING:
    import diskcache
    import pandas

KINDS = ("segment", "step", "target", "decline")
MIN_DELTA = {"csat": 0.25, "nps": 10.0, "ces": 0.35, "index": 6.0}  # about 6 points on the 0–100 index
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
    """

    alpha: float = 0.05
    min_n: int = metrics.DEFAULT_MIN_N
    min_delta: Mapping[str, float] = field(default_factory=lambda: dict(MIN_DELTA))
    segments: tuple[str, ...] | None = None
    kinds: tuple[str, ...] = KINDS


@dataclass(frozen=True)
class Break:
    """One break with its evidence; ``delta`` is negative (worse), ``severity`` is |delta| in index points.

    ``reference`` is what the score is compared with: the rest of the network (segment), the step's source
    plus the planned step (step), the target (target) or the period before (decline). ``planned`` is the
    step down the targets plan; ``within`` lists flagged segments nested in this one, worst first.
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
        raise ValueError(f"Unknown metric '{metric}'; use one of {', '.join(metrics.METRICS)}.")
    if cache is not None:
        window = query.Query(tuple(sources), date_from=date_from, date_to=date_to, filters=tuple(filters))
        key = "breaks:" + hashlib.sha256(repr((window.key(), journey, metric, settings)).encode()).hexdigest()
        found = cache.get(key)
        if found is None:
            found = _find(journey, sources, metric, date_from, date_to, tuple(filters), settings, cache)
            cache.set(key, found)
        return found
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

    @functools.cache  # the change points of one column share its monthly query
    def aggregate(by: tuple[str, ...], start=date_from, end=date_to):
        return query.aggregate(
            query.Query(tuple(sources), by=by, date_from=start, date_to=end, filters=tuple(filters)),
            cache,
            min_n=settings.min_n,
        )

    totals = aggregate(("touchpoint",))
    scored = heatmap.scores(journey, totals, metric, alpha=settings.alpha)
    candidates: list[dict] = []
    if "target" in settings.kinds:
        candidates += _target_tests(scored)
    if "step" in settings.kinds:
        candidates += _step_tests(journey, scored)
    if "decline" in settings.kinds and date_from is not None and date_to is not None:
        before = heatmap.scores(journey, aggregate(("touchpoint",), *previous_window(date_from, date_to)), metric)
        candidates += _decline_tests(scored, before)
    nesting: dict[str, str] = {}
    if "segment" in settings.kinds:
        present, filtered = segment_columns(sources), dict(filters)
        columns = [
            c
            for c in (settings.segments if settings.segments is not None else present)
            if c in present and c not in filtered
        ]
        nesting = query.parents(sources, columns)
        for column in columns:
            chain = _ancestors(column, nesting)
            candidates += _segment_tests(
                aggregate(("touchpoint", column, *chain)), totals, column, metric, settings.min_n, chain
            )
    for test, q_value in zip(candidates, metrics.benjamini_hochberg([c["p_value"] for c in candidates])):
        test["q_value"] = q_value
    flagged = [
        c
        for c in candidates
        if c["q_value"] < settings.alpha and c["delta"] < 0 and abs(c["delta"]) >= settings.min_delta.get(metric, 0)
    ]
    flagged = _fold_nested(flagged)

    @functools.cache
    def monthly(column: str):
        """Each segment's and everyone else's statistics per touchpoint and month, up to the window's end."""
        cells = aggregate(("touchpoint", "period", column), None)
        cells = cells[cells[column].notna()].reset_index(drop=True)
        totals = query.rollup(cells, ["touchpoint", "period"], min_n=settings.min_n)
        return cells, query.rest(cells, totals, ["touchpoint", "period"], min_n=settings.min_n)

    breaks = [_dated(journey, test, metric, settings, monthly) for test in flagged]
    return sorted(breaks, key=lambda b: (-b.severity, b.q_value, b.touchpoint, b.segment or ""))


# ------------------------------------------------------------------ the four kinds of test


def _test(
    kind: str, touchpoint: str, value: float, se: float, reference: float, reference_se: float, n: int, **extra
) -> dict:
    """A two-sided z-test of value − reference (reference_se 0 for a fixed target)."""
    delta = value - reference
    se_delta = math.hypot(se, reference_se)
    p_value = float(metrics.two_sided_p(delta / se_delta)) if se_delta > 0 else math.nan
    return {
        "kind": kind,
        "touchpoint": touchpoint,
        "value": value,
        "reference": reference,
        "delta": delta,
        "se": se_delta,
        "n": int(n),
        "p_value": p_value,
        **extra,
    }


def _reliable(row) -> bool:
    return not row["low_n"] and row["n"] > 0 and not math.isnan(row["value"]) and row["se"] > 0


def _target_tests(scored: pandas.DataFrame) -> list[dict]:
    return [
        _test("target", row["touchpoint"], row["value"], row["se"], row["target"], 0.0, row["n"])
        for row in scored.to_dict("records")
        if row["reference_kind"] == "target" and _reliable(row)
    ]


def _step_tests(journey: Journey, scored: pandas.DataFrame) -> list[dict]:
    by_key = scored.set_index("touchpoint")
    rated = set(scored.loc[scored["n"] > 0, "touchpoint"])
    tests = []
    for source, target in rated_steps(journey, rated):
        a, b = by_key.loc[source], by_key.loc[target]
        if _reliable(a) and _reliable(b):
            # Targets may plan a step down (a failed delivery is rated lower than the delivery): only the part
            # of the fall beyond the planned step counts.
            planned = heatmap.planned_step(a["target"], b["target"])
            tests.append(
                _test(
                    "step",
                    target,
                    b["value"],
                    b["se"],
                    a["value"] + planned,
                    a["se"],
                    min(a["n"], b["n"]),
                    source=source,
                    planned=planned,
                )
            )
    return tests


def _decline_tests(scored: pandas.DataFrame, before: pandas.DataFrame) -> list[dict]:
    earlier = before.set_index("touchpoint")
    tests = []
    for row in scored.to_dict("records"):
        past = earlier.loc[row["touchpoint"]]
        if _reliable(row) and _reliable(past):
            tests.append(
                _test("decline", row["touchpoint"], row["value"], row["se"], past["value"], past["se"], row["n"])
            )
    return tests


def _ancestors(column: str, nesting: Mapping[str, str]) -> list[str]:
    """The coarser levels above a segment column, nearest first (employee → branch, region)."""
    chain = []
    while column in nesting and nesting[column] not in chain:
        column = nesting[column]
        chain.append(column)
    return chain


def _segment_tests(
    cells: pandas.DataFrame, totals: pandas.DataFrame, column: str, metric: str, min_n: int, chain: Sequence[str]
) -> list[dict]:
    import numpy as np

    cells = cells[(cells["touchpoint"] != OVERALL) & cells[column].notna()].reset_index(drop=True)
    if not len(cells):
        return []
    others = query.rest(cells, totals, ["touchpoint"], min_n=min_n)
    usable = ~(cells[f"{metric}_low_n"].to_numpy(bool) | others[f"{metric}_low_n"].to_numpy(bool)) & (
        cells[f"{metric}_se"].to_numpy(float) > 0
    )
    value, se = cells[metric].to_numpy(float), cells[f"{metric}_se"].to_numpy(float)
    rest_value, rest_se = others[metric].to_numpy(float), others[f"{metric}_se"].to_numpy(float)
    delta, se_delta = value - rest_value, np.hypot(se, rest_se)
    p_values = metrics.two_sided_p(np.where(usable, delta / np.where(se_delta > 0, se_delta, 1), 0))
    n = cells[metrics.n_column(metric)].to_numpy()
    touchpoints, segments = cells["touchpoint"].to_numpy(), cells[column].astype(str).to_numpy()
    levels = {name: cells[name].astype(str).to_numpy() for name in chain}
    return [
        {
            "kind": "segment",
            "touchpoint": touchpoints[i],
            "value": value[i],
            "reference": rest_value[i],
            "delta": delta[i],
            "se": se_delta[i],
            "n": int(n[i]),
            "p_value": float(p_values[i]),
            "column": column,
            "segment": segments[i],
            "ancestors": [(name, levels[name][i]) for name in chain],
        }
        for i in np.flatnonzero(usable)
    ]


def _pooled_variance(monthly: pandas.DataFrame, metric: str, min_n: int):
    """Each month's squared SE from the spread of all its months together: SE²_total · n_total / n_month."""
    import numpy as np

    total = query.rollup(monthly, [], min_n=min_n).iloc[0]
    n = monthly[metrics.n_column(metric)].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, total[f"{metric}_se"] ** 2 * total[metrics.n_column(metric)] / n, np.nan)


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


def _dated(journey: Journey, test: dict, metric: str, settings: BreakSettings, monthly) -> Break:
    """The break, dated and re-measured since its change point when its monthly gap shifted."""
    since = None
    if test["kind"] == "segment":
        since, measured = _change_point(test, metric, settings, monthly)
        if measured is not None:
            test = {**test, **measured}
    z = metrics.z_value(1 - settings.alpha)
    result = Break(
        kind=test["kind"],
        metric=metric,
        touchpoint=test["touchpoint"],
        value=float(test["value"]),
        reference=float(test["reference"]),
        delta=float(test["delta"]),
        low=float(test["delta"] - z * test["se"]),
        high=float(test["delta"] + z * test["se"]),
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
    )
    return replace(result, sentence=sentence(journey, result))


def _change_point(test: dict, metric: str, settings: BreakSettings, monthly):
    """Month from which the segment's gap to the rest shifted down, and the test measured since then.

    The monthly gaps (segment − rest, all months up to the window's end) are split at every month leaving two
    months on each side (a month's variance comes from the whole series' spread and that month's n, since a
    handful of answers in a month gives no usable spread of its own); the split with the largest downward shift of the inverse-variance weighted mean gap is
    kept when that shift is significant at ``alpha`` after a Bonferroni correction for the splits tried.
    """
    import numpy as np

    column, segment, touchpoint = test["column"], test["segment"], test["touchpoint"]
    cells, others = monthly(column)
    chosen = ((cells["touchpoint"] == touchpoint) & (cells[column].astype(str) == segment)).to_numpy()
    cells, others = cells[chosen], others[chosen]
    gap = cells[metric].to_numpy(float) - others[metric].to_numpy(float)
    variance = _pooled_variance(cells, metric, settings.min_n) + _pooled_variance(others, metric, settings.min_n)
    usable = np.isfinite(gap) & np.isfinite(variance) & (variance > 0)
    gap, weight, periods = gap[usable], 1 / variance[usable], list(cells["period"][usable])
    best, best_z = None, 0.0
    for k in range(2, len(gap) - 1):
        w_before, w_after = weight[:k].sum(), weight[k:].sum()
        before, after = (gap[:k] * weight[:k]).sum() / w_before, (gap[k:] * weight[k:]).sum() / w_after
        z = (after - before) / math.sqrt(1 / w_before + 1 / w_after)
        if z < best_z:
            best, best_z = k, z
    candidates = max(1, len(gap) - 3)
    if best is None or float(metrics.two_sided_p(best_z)) * candidates >= settings.alpha:
        return None, None
    since = periods[best]
    recent = (cells["period"] >= since).to_numpy()
    cell = query.rollup(cells[recent], [], min_n=settings.min_n).iloc[0]
    other = query.rollup(others[recent], [], min_n=settings.min_n).iloc[0]
    if cell[f"{metric}_low_n"] or not cell[f"{metric}_se"] > 0:
        return since, None
    measured = _test(
        "segment",
        touchpoint,
        cell[metric],
        cell[f"{metric}_se"],
        other[metric],
        other[f"{metric}_se"],
        cell[metrics.n_column(metric)],
    )
    return since, {key: measured[key] for key in ("value", "reference", "delta", "se", "n", "p_value")}


def sentence(journey: Journey, item: Break) -> str:
    """The break in one plain sentence with its evidence."""
    name = journey.touchpoint(item.touchpoint).name
    label = metrics.NAMES[item.metric]
    size = formatting.value(abs(item.delta), item.metric).lstrip("+")
    evidence = _("({p}, n = {n})").format(p=formatting.p_value(item.q_value), n=formatting.count(item.n))
    if item.kind == "segment":
        since = _(" since {month}").format(month=formatting.month(item.since)) if item.since else ""
        text = _("{touchpoint}: {metric} is {size} points lower in {column} {segment} than in the rest{since}").format(
            touchpoint=name, metric=label, size=size, column=item.column, segment=item.segment, since=since
        )
        if item.within:
            shown = ", ".join(item.within[:3])
            more = _(" and {count} more").format(count=len(item.within) - 3) if len(item.within) > 3 else ""
            text += _("; lowest within it: {segments}{more}").format(segments=shown, more=more)
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
    return f"{text} {evidence}."
