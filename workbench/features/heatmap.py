"""The Heatmap screen's features: the journey map coloured by score, where it breaks, a touchpoint's detail, and the
segment matrix with its reference columns (whole network, imported benchmark). The deck's matrix is this matrix."""

from __future__ import annotations

import datetime
import math
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.analysis import benchmarks as benchmark_files
from workbench.analysis import breaks, heatmap
from workbench.core import formatting, metrics
from workbench.core.access import AccessRefused
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.core.journey import Journey, Touchpoint, compact_layout
from workbench.data import query, waves
from workbench.features import actions, audits
from workbench.features.selection import Selection, parse_segments

if TYPE_CHECKING:
    import pandas

    from workbench.repos.workspace import Workspace

FIRST_COLUMN = "region"  # the segment column a matrix spreads first when the survey has one
NETWORK, WHOLE_NETWORK, EXTERNAL = "(network)", "(benchmark)", "(external)"  # the matrix's reference columns
JOURNEY_ORDER = "journey"  # a matrix's rows as the journey runs, under their stages
LOW_N_COLOUR = heatmap.LOW_N_COLOUR
BREAK_KINDS = breaks.KINDS
MIN_DELTA = breaks.MIN_DELTA
DEFAULT_ALPHA = 0.05
SMALLEST_MIN_N = 2


# ------------------------------------------------------------------ inputs


def default_column(columns: list[str], current: str | None = None) -> str | None:
    """The segment column a matrix spreads: ``current`` while the survey has it, else region, else the first,
    and None for a survey without segment columns."""
    if current in columns:
        return current
    if FIRST_COLUMN in columns:
        return FIRST_COLUMN
    return columns[0] if columns else None


def min_n(value) -> int:
    """The minimum n typed by the user: a whole number of at least 2, the default when it is not one."""
    try:
        return max(SMALLEST_MIN_N, int(value))
    except (TypeError, ValueError):
        return metrics.DEFAULT_MIN_N


def smallest_difference(metric: str, typed=None) -> float:
    """The smallest difference worth marking, in ``metric``'s points: the one typed when it is at least 0, else the
    break list's default (the map's drops and changes follow the same rule as the list)."""
    if typed is not None and typed >= 0:
        return float(typed)
    return float(breaks.MIN_DELTA.get(metric, 0.0))


def break_settings(metric: str, minimum, alpha, min_delta, kinds) -> breaks.BreakSettings:
    """The Breaks tab's inputs as settings: a false discovery rate strictly between 0 and 1 (else 5 %), the smallest
    difference of ``metric`` when one of at least 0 is typed, the kinds ticked."""
    deltas = dict(breaks.MIN_DELTA)
    deltas[metric] = smallest_difference(metric, min_delta)
    alpha = float(alpha) if alpha is not None and 0 < alpha < 1 else DEFAULT_ALPHA
    return breaks.BreakSettings(alpha=alpha, min_n=min_n(minimum), min_delta=deltas, kinds=tuple(kinds or ()))


# ------------------------------------------------------------------ the map


@dataclass(frozen=True)
class JourneyMap:
    """The map as drawn: the journey in the layout asked for, a node's label and marks by touchpoint key, an edge's
    label and marks by (source, target), the summary line, and the legend's colours."""

    journey: Journey
    nodes: dict[str, dict]
    edges: dict[tuple[str, str], dict]
    summary: str
    legend: list[tuple[str, str]]
    comparing: bool
    answers: int
    lanes: bool = False


def journey_map(
    workspace: Workspace,
    chosen: Selection,
    *,
    compare: str = "none",
    compare_segment: str | None = None,
    minimum: int = metrics.DEFAULT_MIN_N,
    broken: set[str] | frozenset[str] = frozenset(),
    drawn: bool = False,
    min_delta: float | None = None,
    second_layer: bool = False,
) -> JourneyMap:
    """Every touchpoint coloured by its score against its target, steps that drop or rise, the change against the
    period before or a segment (``compare``), breaks and open actions marked. A drop, rise or change is marked when
    it is significant and at least ``min_delta`` large (default: the break list's smallest difference). With
    ``second_layer``, each touchpoint's mystery-shopping compliance in the same period and segment stands under its
    score (``features.audits.layer``)."""
    metric = chosen.metric
    smallest = smallest_difference(metric, min_delta)
    current = scores(workspace, chosen, minimum)
    baseline = _baseline(workspace, chosen, compare, compare_segment, minimum)
    changes = {}
    if baseline is not None:
        compared = heatmap.compare(current, heatmap.scores(chosen.journey, baseline, metric), min_delta=smallest)
        changes = {row.touchpoint: row for row in compared.itertuples()}
    open_actions = actions.open_counts(workspace.actions.list(chosen.project_id, chosen.journey_id))
    layer = (
        audits.layer(workspace, chosen.project_id, chosen.journey_id, chosen.date_from, chosen.date_to, chosen.filters)
        if second_layer
        else {}
    )
    nodes = {}
    for row in current.itertuples():
        label = chosen.journey.touchpoint(row.touchpoint).name
        if row.status != "no_data":
            label += "\n" + score_line(row.value, row.margin, row.n, metric, row.low, row.high)
        change = changes.get(row.touchpoint)
        if change is not None and change.direction:
            label += (
                "\n"
                + ("▲ " if change.direction == "up" else "▼ ")
                + formatting.value(change.delta, metric, signed=True)
            )
        if row.touchpoint in layer:
            cell = layer[row.touchpoint]
            label += "\n" + _("✓ audits {compliance}").format(compliance=cell.text) + (" ◌" if cell.low_n else "")
        if open_actions.get(row.touchpoint):
            count = open_actions[row.touchpoint]
            label += "\n⚑ " + ngettext("{count} open action", "{count} open actions", count).format(
                count=formatting.count(count)
            )
        nodes[row.touchpoint] = {
            "label": ("⚠ " if row.touchpoint in broken else "") + label,
            "fill": row.colour,
            "lown": row.status == "low_n",
            "nodata": row.status == "no_data",
            "broken": row.touchpoint in broken,
            "change": change.direction if change is not None else "",
        }
    edges = {}
    for step in heatmap.steps(chosen.journey, current, min_delta=smallest).itertuples():
        if step.drop or step.rise:
            edges[(step.source, step.target)] = {
                "label": formatting.value(step.delta, metric, signed=True),
                "drop": bool(step.drop),
                "rise": bool(step.rise),
            }
    answered = int(current["n"].sum())
    return JourneyMap(
        journey=chosen.journey if drawn else compact_layout(chosen.journey),
        nodes=nodes,
        edges=edges,
        summary=_summary(workspace, chosen, compare, answered),
        legend=heatmap.legend(metric),
        comparing=baseline is not None,
        answers=answered,
        lanes=drawn,
    )


def scores(workspace: Workspace, chosen: Selection, minimum: int = metrics.DEFAULT_MIN_N) -> pandas.DataFrame:
    """Every touchpoint's score, margin, n and colour against its target in the selection (what the map shows)."""
    result = query.aggregate(chosen.query(), workspace.cache, min_n=minimum)
    return heatmap.scores(chosen.journey, result, chosen.metric)


def score_line(
    value: float, margin: float, n: int, metric: str, low: float | None = None, high: float | None = None
) -> str:
    """'4.21 ± 0.04 · n 2 230', or '+90 (+78…+96) · n 30' for a lopsided interval (margin left out if undefined)."""
    return f"{formatting.score(value, margin, metric, low, high)} · n {formatting.count(n)}"


def _summary(workspace: Workspace, chosen: Selection, compare: str, answered: int) -> str:
    metric = chosen.metric
    summary = ngettext(
        "{metric} · {start} – {end} · {who} · {n} answer", "{metric} · {start} – {end} · {who} · {n} answers", answered
    ).format(
        metric=metrics.NAMES[metric],
        start=formatting.date(chosen.date_from) if chosen.date_from else "…",
        end=formatting.date(chosen.date_to) if chosen.date_to else "…",
        who=chosen.filter_text(),
        n=formatting.count(answered),
    )
    if chosen.wave is not None:  # the answers' one date is the wave's first day, not when they were given
        summary = ngettext(
            "{metric} · wave {wave} · {who} · {n} answer", "{metric} · wave {wave} · {who} · {n} answers", answered
        ).format(
            metric=metrics.NAMES[metric], wave=chosen.wave.label, who=chosen.filter_text(), n=formatting.count(answered)
        )
        if compare == "previous":
            summary += " · " + waves.no_trend_message(chosen.wave)
    if not answered:
        meta = workspace.datasets.get(chosen.dataset_id).meta if chosen.dataset_id is not None else {}
        summary += " · " + no_answers(metric, meta)
    return summary


def no_answers(metric: str, meta: dict) -> str:
    """Why the map is empty: the survey holds other metrics, or rates its touchpoints on a scale the map has no
    colours for (the answers are kept and explained on the Drivers page as the outcome, when mapped so); a survey
    holding the metric has none in this period or selection."""
    held = [m for m in meta.get("metrics") or [] if m in metrics.NAMES and m != metric]
    if held and metric not in (meta.get("metrics") or []):
        return _("no {metric} answers here; this survey holds {held}.").format(
            metric=metrics.NAMES[metric], held=", ".join(metrics.NAMES[m] for m in held)
        )
    if "rating" in (meta.get("metrics") or []):
        return _(
            "this survey rates its touchpoints on another scale, which the map cannot colour yet: import them "
            "as CSAT (1–5), CES (1–7) or NPS (0–10) if they are on one of those scales."
        )
    return _("no answers in this selection.")


def _baseline(workspace: Workspace, chosen: Selection, compare: str, segment: str | None, minimum: int):
    """The aggregate to compare with: the period just before, or one segment (instead of the filters)."""
    cache = workspace.cache
    if compare == "previous" and chosen.date_from and chosen.date_to and chosen.wave is None:
        start, end = breaks.previous_window(chosen.date_from, chosen.date_to)
        return query.aggregate(chosen.query(date_from=start, date_to=end), cache, min_n=minimum)
    if compare == "segment" and segment:  # a value of a column, or a persona standing for its rule
        filters = parse_segments([segment], chosen.journey.personas)
        return query.aggregate(chosen.query(filters=filters), cache, min_n=minimum) if filters else None
    return None


# ------------------------------------------------------------------ breaks


@dataclass(frozen=True)
class FoundBreak:
    """A break and the action card it would open."""

    item: breaks.Break
    draft: actions.Draft


def find_breaks(
    workspace: Workspace, chosen: Selection, settings: breaks.BreakSettings | None = None
) -> list[FoundBreak]:
    """The ranked breaks of the selection, each with the draft of an action against it."""
    found = breaks.find(
        chosen.journey,
        chosen.sources,
        chosen.metric,
        date_from=chosen.date_from,
        date_to=chosen.date_to,
        filters=chosen.filters,
        settings=settings or breaks.BreakSettings(),
        cache=workspace.cache,
    )
    return [FoundBreak(b, actions.for_break(chosen.journey, b)) for b in found]


def interval_label(found: list[FoundBreak]) -> str:
    """The heading of the breaks' interval column, with the level the intervals really have ('95 % interval')."""
    level = found[0].item.confidence if found else breaks.CONFIDENCE
    return _("{level} interval").format(level=formatting.percent(100 * level))


def clustering_note(item: breaks.Break) -> str:
    """How the break's answers were grouped: '×1.42 · 147 clusters (branch)'; 'independent answers' unclustered."""
    if not item.clustering:
        return _("independent answers")
    names = {
        "branch": _("branch"),
        "respondent": _("respondent"),
        "branch × month": _("branch × month"),
    }
    return ngettext("×{effect} · {count} cluster ({by})", "×{effect} · {count} clusters ({by})", item.clusters).format(
        effect=formatting.number(item.design_effect, 2),
        count=formatting.count(item.clusters),
        by=names.get(item.clustering, item.clustering),
    )


def decline_note(chosen: Selection) -> str:
    """A survey that is one wave without dates has no period before, so no decline can be found in it."""
    if chosen.wave is None:
        return ""
    return _("No decline can be found. {why}").format(why=waves.no_trend_message(chosen.wave))


# ------------------------------------------------------------------ touchpoint detail


@dataclass(frozen=True)
class TouchpointCard:
    """A touchpoint's card header and its choices: name, owner, the action it would open, the segment columns."""

    key: str
    name: str
    owner: str
    draft: actions.Draft
    columns: list[str]
    column: str | None
    no_trend: str = ""  # a survey that is one wave: why there is no trend chart


def touchpoint_card(chosen: Selection, key: str, column: str | None = None) -> TouchpointCard | None:
    """The card of touchpoint ``key`` (None when the journey has no such touchpoint)."""
    if key not in {tp.key for tp in chosen.journey.touchpoints}:
        return None
    tp = chosen.journey.touchpoint(key)
    columns = chosen.segment_columns()
    draft = actions.for_touchpoint(chosen.journey, key)
    return TouchpointCard(
        key=key,
        name=tp.name,
        owner=tp.owner or "",
        draft=draft,
        columns=columns,
        column=column or (columns[0] if columns else None),
        no_trend=waves.no_trend_message(chosen.wave) if chosen.wave is not None else "",
    )


@dataclass(frozen=True)
class TrendLine:
    """One line of a trend chart: its name, colour (r,g,b) and per-period score, interval, n and low-n."""

    name: str
    rgb: str
    series: pandas.DataFrame


@dataclass(frozen=True)
class Trend:
    """A touchpoint's monthly scores: the lines, its target, and the chosen period to highlight."""

    metric: str
    lines: list[TrendLine]
    target: float | None
    window: tuple[datetime.date | None, datetime.date | None]


def trend(
    workspace: Workspace,
    chosen: Selection,
    key: str,
    minimum: int,
    column: str | None = None,
    segment: str | None = None,
) -> Trend:
    """Monthly scores up to the period's end; for a segment break, the segment's line against everyone else's."""
    metric, cache = chosen.metric, workspace.cache
    base = chosen.filters + (("touchpoint", (key,)),)
    result = query.aggregate(
        chosen.query(by=("touchpoint", "period"), date_from=None, filters=base), cache, min_n=minimum
    )
    lines = [(metrics.NAMES[metric] if not segment else _("everyone else"), "13,110,253", result)]
    if column and segment:
        split = query.aggregate(
            chosen.query(by=("touchpoint", "period", column), date_from=None, filters=base), cache, min_n=minimum
        )
        inside = split[split[column].astype(str) == segment].reset_index(drop=True)
        totals = query.rollup(split, ["touchpoint", "period"], min_n=minimum)
        lines = [
            (_("everyone else"), "13,110,253", query.rest(inside, totals, ["touchpoint", "period"], min_n=minimum)),
            (f"{column} {segment}", "220,53,69", inside),
        ]
    return Trend(
        metric=metric,
        lines=[
            TrendLine(name, rgb, heatmap.trend(frame, metric).dropna(subset=["value"])) for name, rgb, frame in lines
        ],
        target=heatmap.target(chosen.journey.touchpoint(key), metric),
        window=(chosen.date_from, chosen.date_to),
    )


@dataclass(frozen=True)
class Distribution:
    """How many answers gave each score of the scale, with each score's colour (low boxes, middle, top boxes)."""

    metric: str
    scores: list[int]
    answers: list[int]
    colours: list[str]


def distribution(chosen: Selection, key: str) -> Distribution:
    """The answers per score of touchpoint ``key`` in the period (the index shows its NPS answers)."""
    metric = "nps" if chosen.metric == "index" else chosen.metric
    counts = query.distribution(chosen.query(filters=chosen.filters + (("touchpoint", (key,)),)), metric)
    low, high = metrics.SCALES[metric] or (0, 0)  # every metric but the index has answers
    by_score = dict(zip(counts["score"].astype(int), counts["answers"], strict=False))
    scores = list(range(low, high + 1))
    # NPS: detractors, passives, promoters; CSAT and CES: the low boxes, the middle, the top-2 box.
    bad = {"nps": metrics.DETRACTOR_AT, "csat": 2, "ces": 3, "stars": 2}[metric]
    good = metrics.REGISTRY[metric].top_box or high
    colours = ["#d73027" if s <= bad else "#4575b4" if s >= good else "#fdae61" for s in scores]
    return Distribution(metric, scores, [int(by_score.get(s, 0)) for s in scores], colours)


@dataclass(frozen=True)
class Breakdown:
    """A touchpoint's score per value of a segment column (the 40 best shown, lowest first), with intervals,
    colours against everyone's score, and that score as the reference."""

    metric: str
    column: str
    values: pandas.DataFrame  # segment, value, low, high, n, colour
    reference: float | None


def breakdown(workspace: Workspace, chosen: Selection, key: str, column: str, minimum: int) -> Breakdown:
    """Touchpoint ``key``'s score per value of ``column``; low n in grey."""
    metric = chosen.metric
    result = query.aggregate(chosen.query(by=("touchpoint", column)), workspace.cache, min_n=minimum)
    result = result[(result["touchpoint"] == key) & result[column].notna()]
    reference = float(query.rollup(result, [], min_n=minimum)[metric].iloc[0]) if len(result) else None
    result = result.sort_values(metric, na_position="first").tail(40)
    low = result[f"{metric}_low_n"].astype(bool)
    colours = [
        heatmap.LOW_N_COLOUR if is_low else heatmap.colour(v, reference, metric)
        for v, is_low in zip(result[metric], low, strict=False)
    ]
    values = result.assign(
        segment=result[column].astype(str),
        value=result[metric],
        low=result[f"{metric}_low"],
        high=result[f"{metric}_high"],
        n=result[metrics.n_column(metric)],
        colour=colours,
    )
    return Breakdown(
        metric, column, values[["segment", "value", "low", "high", "n", "colour"]].reset_index(drop=True), reference
    )


@dataclass(frozen=True)
class Comment:
    """One comment as shown: its date, the scores given with it, where the customer was, and the text."""

    when: datetime.datetime
    scores: str
    where: str
    text: str


def comments(chosen: Selection, key: str, limit: int = 15) -> list[Comment]:
    """The newest comments about touchpoint ``key`` in the selection."""
    columns = chosen.segment_columns()
    found = query.comments(
        chosen.query(by=("touchpoint", *columns), filters=chosen.filters + (("touchpoint", (key,)),)), limit=limit
    )
    shown = []
    for row in found.to_dict("records"):
        where = " · ".join(str(row[c]) for c in columns if row.get(c))
        shown.append(Comment(row["ts"], answer_scores(row), where, row["comment"]))
    return shown


def answer_scores(row: Mapping) -> str:
    """The scores one answer gave, as a comment shows them: 'NPS 3 · CSAT 2'."""
    return " · ".join(
        f"{metrics.NAMES.get(m, m)} {int(row[m])}"
        for m in ("nps", "csat", "ces")
        if row.get(m) is not None and not math.isnan(row[m])
    )


# ------------------------------------------------------------------ the matrix


@dataclass(frozen=True)
class Matrix:
    """Touchpoints × segment values, as the page and the deck show it.

    ``cells`` is :func:`workbench.analysis.heatmap.matrix`'s long frame; ``columns`` the column order (the total,
    the reference columns, then the segment values); ``scope`` the filters the total covers in words.
    """

    column: str
    metric: str
    cells: pandas.DataFrame
    columns: list[str]
    references: list[str] = field(default_factory=list)
    drillable: bool = False
    scope: str = ""
    external_source: str = ""


def matrix_rows(journey: Journey, cells: pandas.DataFrame, sort: str = JOURNEY_ORDER) -> list[Touchpoint]:
    """The touchpoints a matrix shows, those answered over the whole selection: in journey order, or by the score in
    column ``sort`` lowest first (low n and no answers last, in journey order)."""
    found = {(row.touchpoint, row.segment): row for row in cells.itertuples()}
    rated = [tp for tp in journey.touchpoints if (tp.key, NETWORK) in found and found[(tp.key, NETWORK)].n > 0]
    if sort == JOURNEY_ORDER or sort not in set(cells["segment"]):
        return rated

    def score(tp: Touchpoint) -> float:
        cell = found.get((tp.key, sort))
        return float("inf") if cell is None or cell.low_n or math.isnan(cell.value) else cell.value

    return sorted(rated, key=score)


def matrix_columns(workspace: Workspace, dataset_id: int, current: str | None = None) -> tuple[list[str], str | None]:
    """The segment columns of a survey version a matrix can spread, and the one shown (see :func:`default_column`)."""
    columns = breaks.segment_columns((str(workspace.datasets.get(dataset_id).path),))
    return columns, default_column(columns, current)


def references(workspace: Workspace, chosen: Selection, filters, minimum: int) -> dict[str, pandas.DataFrame]:
    """The matrix's reference columns: the whole network beside a filtered selection, and the journey's imported
    benchmark values of the selection's metric."""
    marks = {}
    # A filtered or drilled matrix keeps the whole network beside it as the benchmark; so does a scoped member's,
    # whose total is their own rows: the network is then one line over everyone (query.limited), if large enough.
    if filters or query.is_scoped(chosen.sources):
        try:
            found = query.aggregate(chosen.query(filters=(), network=True), workspace.cache, min_n=minimum)
        except AccessRefused:  # a network too small to hide its other members: no benchmark line
            found = None
        if found is not None:
            network = heatmap.scores(chosen.journey, found, chosen.metric)
            marks[WHOLE_NETWORK] = network.loc[network["n"] > 0, ["touchpoint", "value", "n"]]
    if chosen.journey_id is not None:
        external = workspace.benchmarks(chosen.journey_id)
        external = external[external["metric"] == chosen.metric]
        if len(external):
            marks[EXTERNAL] = external
    return marks


def segment_matrix(
    workspace: Workspace,
    chosen: Selection,
    column: str,
    minimum: int = metrics.DEFAULT_MIN_N,
    path: tuple[tuple[str, str], ...] = (),
) -> Matrix:
    """The matrix of ``column`` for the selection, drilled down along ``path`` ((column, value) steps), with the
    whole network and the imported benchmark beside it."""
    filters = chosen.filters + tuple((step_column, (value,)) for step_column, value in path)
    metric, cache = chosen.metric, workspace.cache
    cells = query.aggregate(chosen.query(by=("touchpoint", column), filters=filters), cache, min_n=minimum)
    totals = query.aggregate(chosen.query(filters=filters), cache, min_n=minimum)
    marks = references(workspace, chosen, filters, minimum)
    long = heatmap.matrix(chosen.journey, cells, totals, column, metric, benchmarks=marks)
    values = [v for v in dict.fromkeys(long["segment"]) if v not in (NETWORK, WHOLE_NETWORK, EXTERNAL)]
    return Matrix(
        column=column,
        metric=metric,
        cells=long,
        columns=[NETWORK, *marks, *values],
        references=list(marks),
        drillable=column in set(_nesting(chosen).values()),
        scope=query.describe_filters(filters),
        external_source=str(marks[EXTERNAL]["source"].iloc[0]) if EXTERNAL in marks else "",
    )


def drill_down(chosen: Selection, column: str) -> str | None:
    """The column one level below ``column`` (region → branch), or None at the lowest level."""
    children = {parent: child for child, parent in _nesting(chosen).items()}
    return children.get(column)


def _nesting(chosen: Selection) -> dict[str, str]:
    """Each nested segment column's parent (branch → region)."""
    return query.parents(chosen.sources, chosen.segment_columns())


def import_benchmarks(workspace: Workspace, journey_id: int, filename: str, content: bytes) -> pandas.DataFrame:
    """Read a file of touchpoint; metric; value rows into the journey's benchmark (replacing it); return the values.
    Raises IngestError or ValueError, saying why, when the file cannot be read."""
    path: Path | None = None
    try:
        path = workspace.datasets.receive(filename, content)
        values = benchmark_files.read(path, workspace.journey(journey_id).journey)
    finally:
        if path is not None:
            shutil.rmtree(path.parent, ignore_errors=True)
    workspace.replace_benchmarks(journey_id, list(values.itertuples(index=False)), filename)
    return values


def remove_benchmarks(workspace: Workspace, journey_id: int) -> None:
    """Remove the journey's imported benchmark values."""
    workspace.replace_benchmarks(journey_id, [], "")
