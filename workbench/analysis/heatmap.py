"""Journey heatmap: touchpoint scores against their targets, changes along edges, comparisons and segment matrices.

Every function takes aggregate results of :mod:`workbench.data.query` (one row per group with estimates) and returns
small DataFrames in journey order. A score is judged against the touchpoint's target for the metric; without a
target, against the journey average. "Below" and "drop" always mean statistically so (z-tests on the SEs); a
group with n under the minimum is never judged or coloured as if it were reliable. A step's drop or rise and a
change against a baseline are marked only when they are also at least ``min_delta`` large (the break list's
smallest difference), so that at tens of thousands of answers a significant 0.02 does not paint the map red.
Intervals are 95 % intervals, whatever false-discovery rate ``alpha`` is set.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from workbench.core import formatting, i18n, metrics
from workbench.core.i18n import gettext as _
from workbench.core.journey import Journey, Touchpoint, is_backward

if TYPE_CHECKING:
    import pandas

SCALE_NAMES = i18n.Labels({key: metric.scale_text for key, metric in metrics.REGISTRY.items()})  # read translated
# Distance from the reference at which a colour is fully saturated: about one "grade" of each scale.
SPAN = {"csat": 0.5, "nps": 20.0, "ces": 0.75, "stars": 0.5, "index": 12.5}
# Diverging red–yellow–blue (ColorBrewer RdYlBu, colour-blind safe): far below … on target … far above.
PALETTE = ("#d73027", "#f46d43", "#fdae61", "#ffffbf", "#abd9e9", "#74add1", "#4575b4")
LOW_N_COLOUR, NO_DATA_COLOUR, BENCHMARK_COLOUR = "#dee2e6", "#ffffff", "#f8f9fa"
STATUSES = ("below", "on", "above", "low_n", "no_data")
CONFIDENCE = 0.95  # every interval drawn, whatever the false-discovery rate


def default_window(
    bounds: tuple[datetime.date, datetime.date] | None, months: int = 3
) -> tuple[datetime.date | None, datetime.date | None]:
    """The last ``months`` whole calendar months of the data (the data's last day closes the window)."""
    if bounds is None:
        return None, None
    first, last = bounds
    end_month = last.replace(day=1)
    index = end_month.year * 12 + end_month.month - 1 - (months - 1)
    start = datetime.date(index // 12, index % 12 + 1, 1)
    return max(first, start), last


def target(touchpoint: Touchpoint, metric: str) -> float | None:
    """The touchpoint's target for ``metric``; for the index, its own or the mean of its other targets rescaled."""
    if metric in touchpoint.targets:
        return float(touchpoint.targets[metric])
    if metric == "index":
        scaled = [metrics.to_index(m, v) for m, v in touchpoint.targets.items() if m in metrics.SCALES]
        return sum(scaled) / len(scaled) if scaled else None
    return None


def colour(value: float, reference: float | None, metric: str) -> str:
    """Fill for a reliable score: seven steps from far below the reference (red) to far above it (blue)."""
    if value is None or math.isnan(value):
        return NO_DATA_COLOUR
    if reference is None or math.isnan(reference):
        return PALETTE[3]
    step = (value - reference) / SPAN[metric]  # −1 … 1 spans the palette's outer steps
    index = 3 + max(-3, min(3, round(step * 3)))
    return PALETTE[index]


def legend(metric: str) -> list[tuple[str, str]]:
    """(colour, text) pairs explaining the palette in the metric's units, plus low n and no data."""
    span = SPAN[metric]
    unit = formatting.value(span, metric, signed=False).lstrip("+")
    return [
        (PALETTE[0], _("≥ {unit} below").format(unit=unit)),
        (PALETTE[1], _("below")),
        (PALETTE[2], _("slightly below")),
        (PALETTE[3], _("on target")),
        (PALETTE[4], _("slightly above")),
        (PALETTE[5], _("above")),
        (PALETTE[6], _("≥ {unit} above").format(unit=unit)),
        (LOW_N_COLOUR, _("low n (not judged)")),
        (NO_DATA_COLOUR, _("no answers")),
    ]


def scores(
    journey: Journey,
    result: pandas.DataFrame,
    metric: str,
    *,
    alpha: float = 0.05,
    reference: Sequence[float] | None = None,
) -> pandas.DataFrame:
    """One row per touchpoint (journey order): score, SE, interval, n, low-n, target, reference, status, colour.

    ``result`` is an aggregate grouped by touchpoint (other rows, such as the overall answer, are ignored).
    The reference is the target, or the journey average when the touchpoint has none (``reference_kind`` says
    which); ``status`` is 'below'/'above' only when the z-test against it is significant at ``alpha``.
    ``reference`` overrides it per touchpoint (e.g. a benchmark), in journey order.
    """
    import numpy as np
    import pandas as pd

    keyed = result.set_index("touchpoint") if len(result) else result
    average = _journey_average(journey, result, metric)
    rows = []
    for position, tp in enumerate(journey.touchpoints):
        found = tp.key in keyed.index if len(result) else False
        value = float(keyed.at[tp.key, metric]) if found else math.nan
        se = float(keyed.at[tp.key, f"{metric}_se"]) if found else math.nan
        low = float(keyed.at[tp.key, f"{metric}_low"]) if found else math.nan
        high = float(keyed.at[tp.key, f"{metric}_high"]) if found else math.nan
        n = int(keyed.at[tp.key, metrics.n_column(metric)]) if found else 0
        low_n = bool(keyed.at[tp.key, f"{metric}_low_n"]) if found else True
        goal = target(tp, metric)
        if reference is not None:
            ref, kind = reference[position], "benchmark"
        elif goal is not None:
            ref, kind = goal, "target"
        else:
            ref, kind = average, "average"
        gap = value - ref if ref is not None else math.nan
        p_value = float(metrics.two_sided_p(gap / se)) if se > 0 else math.nan
        if n == 0 or math.isnan(value):
            status = "no_data"
        elif low_n:
            status = "low_n"
        elif p_value < alpha:
            status = "below" if gap < 0 else "above"
        else:
            status = "on"
        rows.append(
            {
                "touchpoint": tp.key,
                "name": tp.name,
                "stage": tp.stage,
                "owner": tp.owner or "",
                "value": value,
                "se": se,
                "low": low,
                "high": high,
                "margin": (high - low) / 2,
                "n": n,
                "low_n": low_n,
                "target": goal,
                "reference": ref,
                "reference_kind": kind,
                "gap": gap,
                "p_value": p_value,
                "status": status,
                "colour": colour(value, ref, metric)
                if status not in ("low_n", "no_data")
                else (LOW_N_COLOUR if status == "low_n" else NO_DATA_COLOUR),
            }
        )
    frame = pd.DataFrame(rows)
    frame["target"] = frame["target"].astype(float) if len(frame) else frame["target"]
    return frame.replace({np.inf: np.nan})


def planned_step(source_target: float, target_target: float) -> float:
    """The change between two touchpoints that their targets plan (0 unless both have one)."""
    return 0.0 if math.isnan(source_target) or math.isnan(target_target) else target_target - source_target


def steps(
    journey: Journey, scored: pandas.DataFrame, *, alpha: float = 0.05, min_delta: float = 0.0
) -> pandas.DataFrame:
    """One row per forward edge: the change from its source's score to its target's, its z-test, 95 % interval and
    BH q-value.

    Where both ends have targets, the test is on the change beyond the step the targets plan (``planned``):
    a failed delivery is meant to score below the delivery. The two scores are treated as independent samples;
    where the same respondents rate both touchpoints their answers correlate positively, which makes the test
    conservative (it can miss a drop, not invent one). ``drop``/``rise`` are set when q < ``alpha``, the change
    beyond the plan is at least ``min_delta`` and neither end has low n. Loops back to an earlier stage are not
    steps and are left out.
    """
    import numpy as np
    import pandas as pd

    by_key = scored.set_index("touchpoint")
    rows = []
    for edge in journey.edges:
        if is_backward(journey, edge):
            continue
        a, b = by_key.loc[edge.source], by_key.loc[edge.target]
        judged = not (a["low_n"] or b["low_n"])
        planned = planned_step(a["target"], b["target"])
        delta = b["value"] - a["value"]
        se = math.hypot(a["se"], b["se"])
        p_value = float(metrics.two_sided_p((delta - planned) / se)) if judged and se > 0 else math.nan
        margin = metrics.z_value(CONFIDENCE) * se
        rows.append(
            {
                "source": edge.source,
                "target": edge.target,
                "delta": delta,
                "planned": planned,
                "se": se,
                "low": delta - margin,
                "high": delta + margin,
                "n": int(min(a["n"], b["n"])),
                "p_value": p_value,
            }
        )
    frame = pd.DataFrame(rows, columns=["source", "target", "delta", "planned", "se", "low", "high", "n", "p_value"])
    frame["q_value"] = metrics.benjamini_hochberg(frame["p_value"])
    excess = (frame["delta"] - frame["planned"]).to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        marked = (frame["q_value"].to_numpy(dtype=float) < alpha) & (np.abs(excess) >= min_delta)
    frame["drop"] = marked & (excess < 0)
    frame["rise"] = marked & (excess > 0)
    return frame.replace({np.inf: np.nan})


def compare(
    current: pandas.DataFrame, baseline: pandas.DataFrame, *, alpha: float = 0.05, min_delta: float = 0.0
) -> pandas.DataFrame:
    """Per touchpoint, current − baseline score (two ``scores`` frames) with z-test, BH q-value and direction (a
    change significant at ``alpha`` after BH and at least ``min_delta`` large)."""
    import numpy as np

    merged = current[["touchpoint", "value", "se", "n", "low_n"]].merge(
        baseline[["touchpoint", "value", "se", "n", "low_n"]], on="touchpoint", suffixes=("", "_baseline")
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        merged["delta"] = merged["value"] - merged["value_baseline"]
        merged["delta_se"] = np.hypot(merged["se"], merged["se_baseline"])
        judged = ~(merged["low_n"] | merged["low_n_baseline"]) & (merged["delta_se"] > 0)
        merged["p_value"] = np.where(judged, metrics.two_sided_p(merged["delta"] / merged["delta_se"]), np.nan)
    merged["q_value"] = metrics.benjamini_hochberg(merged["p_value"])
    with np.errstate(invalid="ignore"):
        significant = (merged["q_value"].to_numpy(dtype=float) < alpha) & (
            np.abs(merged["delta"].to_numpy(dtype=float)) >= min_delta
        )
    merged["direction"] = np.where(
        significant & (merged["delta"] > 0), "up", np.where(significant & (merged["delta"] < 0), "down", "")
    )
    return merged


def matrix(
    journey: Journey,
    result: pandas.DataFrame,
    totals: pandas.DataFrame,
    column: str,
    metric: str,
    *,
    benchmarks: Mapping[str, pandas.DataFrame] | None = None,
) -> pandas.DataFrame:
    """Touchpoints (journey order) × values of ``column``: long frame of score, n, low-n and colour per cell.

    ``result`` is aggregated by (touchpoint, column), ``totals`` by touchpoint; each cell is coloured against
    the touchpoint's score over all of ``totals``, which is also returned as the ``column`` value "(network)".
    Each of ``benchmarks`` (label → frame of touchpoint, value and optionally n) adds a reference column under
    its label, left uncoloured.
    """
    import pandas as pd

    network = scores(journey, totals, metric)
    reference = dict(zip(network["touchpoint"], network["value"], strict=True))
    order = {tp.key: i for i, tp in enumerate(journey.touchpoints)}
    cells = result[result["touchpoint"].isin(order)]
    frame = pd.DataFrame(
        {
            "touchpoint": cells["touchpoint"],
            "segment": cells[column].astype(object).where(cells[column].notna(), "–"),
            "value": cells[metric].astype(float),
            "se": cells[f"{metric}_se"].astype(float),
            "n": cells[metrics.n_column(metric)].astype(int),
            "low_n": cells[f"{metric}_low_n"].astype(bool),
        }
    )
    frame["colour"] = [
        LOW_N_COLOUR if low else colour(v, reference[tp], metric)
        for tp, v, low in zip(frame["touchpoint"], frame["value"], frame["low_n"], strict=True)
    ]
    whole = network[["touchpoint", "value", "se", "n", "low_n", "colour"]].assign(segment="(network)")
    parts = [whole, frame]
    for label, marks in (benchmarks or {}).items():
        marks = marks[marks["touchpoint"].isin(order)]
        parts.append(
            pd.DataFrame(
                {
                    "touchpoint": marks["touchpoint"],
                    "segment": label,
                    "value": marks["value"].astype(float),
                    "se": math.nan,
                    "n": marks["n"].astype(int) if "n" in marks else 0,
                    "low_n": False,
                    "colour": BENCHMARK_COLOUR,
                }
            )
        )
    long = pd.concat(parts, ignore_index=True)
    long["order"] = long["touchpoint"].map(order)
    return long.sort_values(["order", "segment"], kind="stable").drop(columns="order").reset_index(drop=True)


def trend(result: pandas.DataFrame, metric: str) -> pandas.DataFrame:
    """A per-period aggregate reduced to period, score, interval, n and low-n, for a trend line with its band."""
    return result.assign(
        value=result[metric],
        low=result[f"{metric}_low"],
        high=result[f"{metric}_high"],
        n=result[metrics.n_column(metric)],
        low_n=result[f"{metric}_low_n"],
    )[["period", "value", "low", "high", "n", "low_n"]]


def _journey_average(journey: Journey, result: pandas.DataFrame, metric: str) -> float:
    """The metric over the answers about the journey's touchpoints pooled (the overall answer excluded)."""
    from workbench.data import query

    touchpoints = result[result["touchpoint"].isin([tp.key for tp in journey.touchpoints])] if len(result) else result
    if not len(touchpoints):
        return math.nan
    return float(query.rollup(touchpoints, [])[metric].iloc[0])
