"""The charts the pages show and the exports draw, as plotly figures (plotly loads when a figure is built)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workbench.analysis import roi
from workbench.core import formatting, i18n, metrics
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.core.safecells import xml_safe

QUADRANT_COLOURS = {"Fix first": "#dc3545", "Keep it up": "#198754", "Improve later": "#fd7e14", "Maintain": "#6c757d"}
# A quadrant's name in the reader's language (the keys stay English: they are the analysis's codes).
QUADRANT_NAMES = i18n.Labels(
    {
        "Fix first": N_("Fix first"),
        "Keep it up": N_("Keep it up"),
        "Improve later": N_("Improve later"),
        "Maintain": N_("Maintain"),
    }
)
MONTH_TICKS = 8  # at most this many months named on a time axis


def label(text: object) -> str:
    """User text for any plotly label (tick, trace name, hover, annotation, title): shown as typed, never as markup.

    Plotly renders a subset of HTML in labels (``<a href>``, ``<b>``, ``<br>``, ``<span style>``) and decodes
    entities, so escaping ``&``, ``<`` and ``>`` shows a name like ``<b>x</b>`` literally. Escape the user's text
    first, then add our own markup around it. Characters XML cannot hold are replaced (:func:`safecells.xml_safe`):
    a control character would make the SVG picture unreadable, a lone surrogate stop the rendering.
    """
    return html.escape(xml_safe(str(text)), quote=False)


def empty(message: str = ""):
    """A figure with nothing to draw: no axes, no grid, ``message`` (if any) in the middle."""
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.update_layout(
        separators=formatting.plotly_separators(),
        xaxis={"visible": False},
        yaxis={"visible": False},
        plot_bgcolor="white",
        paper_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        annotations=[
            {
                "text": label(message),
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
                "font": {"size": 14, "color": "#6c757d"},
            }
        ]
        if message
        else [],
    )
    return figure


# ------------------------------------------------------------------ labels that do not collide

LABEL_FONT = "Arial, 'Liberation Sans', sans-serif"  # the metrics the labels are measured with
LABEL_SIZE = 11  # pixels
LABEL_WIDTH = 150  # pixels a label's line may take before it wraps; two lines at most
SHORT_WIDTH = 110  # pixels of a name cut to one line, where its two lines find no room
LABEL_PAD = 3  # pixels around a label's text: plotly's border padding, and a little air
MARKER_SIZE = 13  # pixels, the priority matrix's dots
PLOT_AREA = (480.0, 300.0)  # pixels: the smallest plot area the priority matrix is drawn in (the page at 1 200 px)
PLOT_GROWTH = (2.2, 1.6)  # how much wider and taller the plot may be drawn (a wide screen, a picture)
TICK_SIZE = 12  # pixels, plotly's tick labels
TICK_WIDTH = 270  # pixels a bar's name takes beside it: a longer one is cut, the full name in the hover
RING_STEP = 12  # pixels between rings of farther candidate positions
RINGS = 10  # rings beyond the adjacent positions; a label farther out is drawn with a leader line


@dataclass(frozen=True)
class Label:
    """A label to place by a point: its text lines and its size in pixels."""

    lines: tuple[str, ...]
    width: float
    height: float


def label_lines(name: str, width: float = LABEL_WIDTH, size: float = LABEL_SIZE, lines: int = 2) -> Label:
    """A name wrapped into at most ``lines`` lines of ``width`` pixels (the rest cut with '…'), and its size."""
    from workbench.export import maplayout

    points = size * 72 / 96  # plotly sizes text in CSS pixels; the measure takes points
    inches = (width - 2 * LABEL_PAD) / 96
    wrapped = _wrap(name, inches, points)
    if len(wrapped) > lines:
        wrapped = wrapped[: lines - 1] + [maplayout.shorten(" ".join(wrapped[lines - 1 :]), inches, points)]
    wide = max(maplayout.text_width(line, points) for line in wrapped) * 96
    return Label(tuple(wrapped), wide + 2 * LABEL_PAD, len(wrapped) * size * 1.3 + 2 * LABEL_PAD)


def _wrap(text: str, inches: float, points: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``inches``; a word longer than a line (an address, a
    code) is broken where the line is full rather than cut, so that two lines can still hold it whole."""
    from workbench.export import maplayout

    lines = [""]
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines[-1] else word
        if maplayout.text_width(candidate, points) <= inches:
            lines[-1] = candidate
        elif maplayout.text_width(word, points) <= inches:
            lines.append(word)
        else:
            while maplayout.text_width(candidate, points) > inches:
                fits = next(
                    (
                        n
                        for n in range(len(candidate) - 1, 1, -1)
                        if maplayout.text_width(candidate[:n], points) <= inches
                    ),
                    1,
                )
                lines[-1], candidate = candidate[:fits], candidate[fits:]
                lines.append("")
            lines[-1] = candidate
    return lines


def tick_labels(names: Sequence[str], width: float = TICK_WIDTH, lines: int = 1) -> list[str]:
    """User names as axis labels (with ``tickfont`` :data:`LABEL_FONT`): at most ``lines`` lines of ``width``
    pixels, cut with '…', shown as typed. Callers keep unique values on the axis, as two names may cut alike."""
    return ["<br>".join(label(line) for line in label_lines(name, width, TICK_SIZE, lines).lines) for name in names]


def _least(distance: float, offset: float, low: float, high: float) -> float:
    """The smallest |s·distance + offset| for a scale s between ``low`` and ``high``."""
    start, end = low * distance + offset, high * distance + offset
    return 0.0 if start * end <= 0 else min(abs(start), abs(end))


def _clash(a: tuple, b: tuple, growth: tuple[float, float], gap: float) -> bool:
    """Whether two boxes (point x, point y, offset x, offset y, width, height) overlap at some plot size.

    A box sits at its point scaled with the plot plus its offset in pixels. Width and height scale apart, so the
    boxes overlap at some size exactly when they overlap across for some width and down for some height.
    """
    across = _least(a[0] - b[0], a[2] - b[2], 1.0, growth[0]) < (a[4] + b[4]) / 2 + gap
    return across and _least(a[1] - b[1], a[3] - b[3], 1.0, growth[1]) < (a[5] + b[5]) / 2 + gap


def _inside(box: tuple, area: tuple[float, float], growth: tuple[float, float], slack: tuple) -> bool:
    """Whether a box stays in the plot area (give or take ``slack``: left, top, right, bottom) at every size."""
    x, y, dx, dy, width, height = box
    left, top, right, bottom = slack
    for sx in (1.0, growth[0]):
        if sx * x + dx - width / 2 < -left or sx * x + dx + width / 2 > sx * area[0] + right:
            return False
    for sy in (1.0, growth[1]):
        if sy * y + dy - height / 2 < -top or sy * y + dy + height / 2 > sy * area[1] + bottom:
            return False
    return True


def _candidates(width: float, height: float, radius: float, gap: float, step: float) -> list[tuple[float, float, bool]]:
    """Offsets of a label's centre from its point, nearest first: beside the dot, then rings farther out (those
    drawn with a leader line, the third value)."""
    import math

    near_x, near_y = radius + gap + width / 2, radius + gap + height / 2
    corner = radius * 0.7 + gap
    found = [
        (0.0, -near_y, False),
        (near_x, 0.0, False),
        (0.0, near_y, False),
        (-near_x, 0.0, False),
        (corner + width / 2, -(corner + height / 2), False),
        (-(corner + width / 2), -(corner + height / 2), False),
        (corner + width / 2, corner + height / 2, False),
        (-(corner + width / 2), corner + height / 2, False),
    ]
    for ring in range(1, RINGS + 1):
        reach = radius + gap + ring * step
        for step in range(16):
            angle = math.pi / 2 - step * math.pi / 8  # from straight above, clockwise
            found.append((math.cos(angle) * (reach + width / 2), -math.sin(angle) * (reach + height / 2), True))
    return found


def place_labels(
    points: Sequence[tuple[float, float]],
    labels: Sequence[Label],
    area: tuple[float, float],
    radius: float,
    growth: tuple[float, float] = (1.0, 1.0),
    gap: float = 2.0,
    slack: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0),
    step: float = RING_STEP,
    loose: Sequence[bool] = (),
) -> list[tuple | None]:
    """Where each label goes: (offset x, offset y, leader line) from its point, or None.

    Points, sizes and offsets are in one unit (pixels, or inches on a slide), y pointing down; ``step`` is the
    distance between rings of farther positions.

    Greedy, in the order given (the most important first): each label takes the nearest candidate position
    whose box overlaps no label placed before, no dot and stays in ``area`` — at every plot size from ``area``
    to ``area`` × ``growth``, because a page's chart is as wide as the window while the labels keep their size.
    Leader lines cross no label either, except those of the labels ``loose`` marks. None: no position is free;
    the caller shows a shorter label or leaves the name to the hover.
    """
    dots = [(x, y, 0.0, 0.0, 2 * radius, 2 * radius) for x, y in points]
    placed: list[tuple] = []
    leaders: list[tuple] = []
    found: list[tuple | None] = []
    for i, ((x, y), text) in enumerate(zip(points, labels, strict=False)):
        chosen, strict = None, not (i < len(loose) and loose[i])
        for dx, dy, leader in _candidates(text.width, text.height, radius, gap, step):
            box = (x, y, dx, dy, text.width, text.height)
            if (
                _inside(box, area, growth, slack)
                and not any(_clash(box, other, growth, gap) for other in (*dots, *placed))
                and not (strict and any(_crossed(line, box, growth) for line in leaders))
                and not (strict and leader and any(_crossed(box, other, growth) for other in placed))
            ):
                chosen = (dx, dy, leader)
                placed.append(box)
                if leader:
                    leaders.append(box)
                break
        found.append(chosen)
    return found


def place_tiers(
    points: Sequence[tuple[float, float]],
    tiers: Sequence[Sequence[Label]],
    area: tuple[float, float],
    radius: float,
    **options,
) -> tuple[list[Label], list[tuple | None]]:
    """:func:`place_labels` with shorter forms: ``tiers`` holds every point's label in each form, longest first;
    a label with no free position is tried again in its next form, and in its last form its leader line may
    cross other labels (a crossed label beats a dot without one). The labels shown and their places."""
    level, loose = [0] * len(points), [False] * len(points)
    while True:
        texts = [tiers[form][i] for i, form in enumerate(level)]
        places = place_labels(points, texts, area, radius, loose=loose, **options)
        stuck = [i for i, place in enumerate(places) if place is None and not loose[i]]
        if not stuck:
            return texts, places
        for i in stuck:
            if level[i] + 1 < len(tiers):
                level[i] += 1
            else:
                loose[i] = True


def _crossed(line: tuple, box: tuple, growth: tuple[float, float]) -> bool:
    """Whether the leader line of one label (from its point to its box's centre) crosses another label's box, at
    the smallest and largest plot sizes (between them the line and the box move little against each other)."""
    for sx, sy in ((1.0, 1.0), (growth[0], 1.0), (1.0, growth[1]), growth):
        start = (sx * line[0], sy * line[1])
        end = (start[0] + line[2], start[1] + line[3])
        centre = (sx * box[0] + box[2], sy * box[1] + box[3])
        if _segment_meets(start, end, centre, box[4] / 2, box[5] / 2):
            return True
    return False


def _segment_meets(
    start: tuple[float, float],
    end: tuple[float, float],
    centre: tuple[float, float],
    half_width: float,
    half_height: float,
) -> bool:
    """Whether the segment from ``start`` to ``end`` passes through the rectangle (Liang–Barsky clipping)."""
    low, high = 0.0, 1.0
    for origin, delta, middle, half in (
        (start[0], end[0] - start[0], centre[0], half_width),
        (start[1], end[1] - start[1], centre[1], half_height),
    ):
        if abs(delta) < 1e-12:
            if abs(origin - middle) >= half:
                return False
            continue
        first, second = sorted(((middle - half - origin) / delta, (middle + half - origin) / delta))
        low, high = max(low, first), min(high, second)
        if low >= high:
            return False
    return True


def priority_matrix(ranked, names: Mapping[str, str], metric: str):
    """Importance × performance: each touchpoint a dot coloured by quadrant, with its importance interval, and
    its name placed where it overlaps no other name or dot (the full name in the hover)."""
    import plotly.graph_objects as go

    shown = ranked.sort_values("priority") if "priority" in ranked else ranked
    x_range, y_range = matrix_ranges(shown)
    figure = go.Figure()
    for quadrant, colour in QUADRANT_COLOURS.items():
        part = shown[shown["quadrant"] == quadrant]
        if part.empty:
            continue
        figure.add_trace(
            go.Scatter(
                x=part["performance"],
                y=part["share"] * 100,
                mode="markers",
                name=QUADRANT_NAMES[quadrant],
                text=[label(names.get(k, k)) for k in part["touchpoint"]],
                customdata=[
                    [
                        _("performance {value}").format(value=formatting.number(x, 2)),
                        _("importance {value}").format(value=formatting.percent(y * 100, 1)),
                    ]
                    for x, y in zip(part["performance"], part["share"], strict=True)
                ],
                marker={"size": MARKER_SIZE, "color": colour},
                cliponaxis=False,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["share_high"] - part["share"]) * 100,
                    "arrayminus": (part["share"] - part["share_low"]) * 100,
                    "color": colour,
                    "thickness": 1,
                },
                hovertemplate="%{text}<br>%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
            )
        )
    figure.add_vline(x=ranked.attrs["performance_reference"], line_dash="dash", line_color="#adb5bd")
    figure.add_hline(y=100 / max(len(ranked), 1), line_dash="dash", line_color="#adb5bd")
    figure.update_layout(
        separators=formatting.plotly_separators(),
        margin={"l": 60, "r": 70, "t": 30, "b": 40},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.15},
        title={"text": _("Importance × performance"), "font": {"size": 14}},
        annotations=_matrix_labels(shown, names, x_range, y_range),
        xaxis={
            "title": _("Performance (mean {metric})").format(metric=metrics.NAMES[metric]),
            "gridcolor": "#eee",
            "range": x_range,
        },
        yaxis={
            "title": _("Importance ({percent} of explained variance)").format(percent="%"),
            "gridcolor": "#eee",
            "range": y_range,
        },
    )
    return figure


def matrix_ranges(ranked) -> tuple[list[float], list[float]]:
    """The matrix's axes, fixed so that labels can be placed by pixels: every dot, interval and reference line,
    ends rounded to a round step so the ticks fall on round numbers."""
    import math

    low, high = float(ranked["performance"].min()), float(ranked["performance"].max())
    pad = (high - low) * 0.08 or 0.1
    step = _round_step((high - low + 2 * pad) / 5)
    top = max(float(ranked["share_high"].max()) * 100, 100 / max(len(ranked), 1)) * 1.05
    rise = _round_step(top / 5)
    return (
        [math.floor((low - pad) / step) * step, math.ceil((high + pad) / step) * step],
        [0.0, math.ceil(top / rise) * rise],
    )


def _round_step(span: float) -> float:
    """The smallest of 1, 2 or 5 times a power of ten at least ``span``."""
    import math

    power = 10 ** math.floor(math.log10(span))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= span * (1 - 1e-9))


def _matrix_labels(ranked, names: Mapping[str, str], x_range: list[float], y_range: list[float]) -> list[dict]:
    """Each dot's name as an annotation, wrapped, placed clear of the others, with a leader line when far."""
    width, height = PLOT_AREA
    points = [
        (
            width * (x - x_range[0]) / (x_range[1] - x_range[0]),
            height * (1 - (y * 100 - y_range[0]) / (y_range[1] - y_range[0])),
        )
        for x, y in zip(ranked["performance"], ranked["share"], strict=True)
    ]
    full = [names.get(k, k) for k in ranked["touchpoint"]]
    tiers = [[label_lines(name) for name in full], [label_lines(name, SHORT_WIDTH, lines=1) for name in full]]
    if "priority" in ranked:
        tiers.append([label_lines(str(number)) for number in ranked["priority"]])
    # Room into the right margin, never over the title above or the axis tick labels.
    texts, places = place_tiers(
        points, tiers, PLOT_AREA, MARKER_SIZE / 2, growth=PLOT_GROWTH, slack=(0.0, 0.0, 60.0, 0.0)
    )
    notes = []
    spots = zip(ranked["performance"], ranked["share"] * 100, strict=True)
    for (x, y), name, text, place in zip(spots, full, texts, places, strict=False):
        if place is None:
            continue
        dx, dy, leader = place
        notes.append(
            {
                "x": x,
                "y": y,
                "ax": dx,
                "ay": dy,
                "axref": "pixel",
                "ayref": "pixel",
                "text": "<br>".join(label(line) for line in text.lines),
                "hovertext": label(name),
                "showarrow": True,
                "arrowhead": 0,
                "arrowwidth": 1,
                "arrowcolor": "#6c757d" if leader else "rgba(0,0,0,0)",
                "standoff": MARKER_SIZE / 2,
                "font": {"size": LABEL_SIZE, "family": LABEL_FONT, "color": "#212529"},
                "bgcolor": "rgba(255,255,255,0.8)",
                "borderpad": 1,
                "align": "center",
            }
        )
    return notes


def importance_bars(ranked, names: Mapping[str, str]):
    """Each touchpoint's share of explained variance with its bootstrap interval, largest on top."""
    import plotly.graph_objects as go

    shown = ranked.sort_values("importance")
    full = [names.get(k, k) for k in shown["touchpoint"]]
    keys = [label(k) for k in shown["touchpoint"]]  # unique on the axis; the names are its tick labels
    figure = go.Figure(
        go.Bar(
            x=shown["share"] * 100,
            y=keys,
            orientation="h",
            customdata=[label(name) for name in full],
            hovertext=[formatting.percent(share * 100, 1) for share in shown["share"]],
            marker_color=[QUADRANT_COLOURS[q] for q in shown["quadrant"]],
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (shown["share_high"] - shown["share"]) * 100,
                "arrayminus": (shown["share"] - shown["share_low"]) * 100,
                "color": "#495057",
            },
            hovertemplate="%{customdata}: %{hovertext}<extra></extra>",
        )
    )
    figure.update_layout(
        separators=formatting.plotly_separators(),
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        plot_bgcolor="white",
        title={"text": _("Share of explained variance, 95 % bootstrap interval"), "font": {"size": 14}},
        xaxis={"title": "%", "gridcolor": "#eee", "rangemode": "tozero"},
        yaxis={"automargin": True, "tickvals": keys, "ticktext": tick_labels(full), "tickfont": {"family": LABEL_FONT}},
    )
    return figure


def money_axis(values: Sequence[float], currency: str | None = None, ticks: int = 5) -> dict:
    """An amount axis with ticks the formatter writes ('40 mil.', '−2,5 tis.'), not plotly's English '40M', titled
    with the currency when there is one."""
    import math

    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    low, high = (min(finite, default=0.0), max(finite, default=0.0))
    low, high = min(low, 0.0), max(high, 0.0)
    step = _round_step((high - low) / ticks) if high > low else 1.0
    first = math.floor(low / step) * step
    tick_values = [first + i * step for i in range(int(math.ceil((high - first) / step)) + 1)]
    axis: dict = {"tickvals": tick_values, "ticktext": [formatting.money(v) for v in tick_values], "gridcolor": "#eee"}
    if currency:
        axis["title"] = currency
    return axis


def waterfall(
    outcome: roi.Outcome, assumptions: roi.Assumptions, names: Mapping[str, str], currency: str | None = None
):
    """From each touchpoint's contribution, less the cost, to the NPV (amounts in ``currency`` when given)."""
    import itertools

    import plotly.graph_objects as go

    full = [names.get(k, _("Overall NPS change") if k == "overall" else k) for k, _v in outcome.contributions]
    keys = [label(k) for k, _v in outcome.contributions] + ["(cost)", "(npv)"]  # unique, whatever the names
    values = [v for _k, v in outcome.contributions]
    figure = go.Figure(
        go.Waterfall(
            x=keys,
            y=[*values, -assumptions.cost, 0],
            customdata=[label(name) for name in full] + [_("Cost"), _("NPV")],
            measure=[*(["relative"] * len(values)), "relative", "total"],
            text=[formatting.money(v, currency) for v in [*values, -assumptions.cost, outcome.npv]],
            textposition="outside",
            hovertemplate="%{customdata}: %{text}<extra></extra>",
            connector={"line": {"color": "#adb5bd"}},
            increasing={"marker": {"color": "#198754"}},
            decreasing={"marker": {"color": "#dc3545"}},
            totals={"marker": {"color": "#0d6efd"}},
            cliponaxis=False,
        )
    )
    figure.update_layout(
        separators=formatting.plotly_separators(),
        margin={"l": 50, "r": 20, "t": 40, "b": 40},
        plot_bgcolor="white",
        showlegend=False,
        title={"text": _("From the score change to NPV (discounted)"), "font": {"size": 14}},
        xaxis={
            "tickvals": keys,
            "ticktext": [*tick_labels(full, 110, 2), _("Cost"), _("NPV")],
            "tickfont": {"family": LABEL_FONT},
            "automargin": True,
        },
        yaxis=money_axis([*itertools.accumulate([*values, -assumptions.cost]), outcome.npv], currency),
    )
    return figure


def tornado(spread, npv: float, currency: str | None = None):
    """The NPV as each assumption or estimate moves alone to its bounds, widest swing on top (in ``currency``)."""
    import plotly.graph_objects as go

    shown = spread.iloc[::-1]  # plotly draws the first bar at the bottom: the widest swing goes on top
    names = [label(a) for a in shown["assumption"]]
    figure = go.Figure()
    for side, colour in (("low", "#fd7e14"), ("high", "#0d6efd")):
        figure.add_trace(
            go.Bar(
                y=names,
                x=shown[f"npv_{side}"] - npv,
                base=npv,
                orientation="h",
                marker_color=colour,
                name=_("low value") if side == "low" else _("high value"),
                text=[
                    _percent(v * 100) if name == _("Discount rate") else _tried(v)
                    for name, v in zip(shown["assumption"], shown[side], strict=True)
                ],
                textposition="auto",
                hovertemplate="%{customdata[0]}: %{text} → NPV %{customdata[1]}<extra></extra>",
                customdata=[
                    [name, formatting.money(v, currency)] for name, v in zip(names, shown[f"npv_{side}"], strict=True)
                ],
            )
        )
    figure.add_vline(x=npv, line_color="#495057")
    figure.update_layout(
        separators=formatting.plotly_separators(),
        barmode="overlay",
        margin={"l": 10, "r": 20, "t": 40, "b": 40},
        plot_bgcolor="white",
        title={"text": _("What moves the NPV most"), "font": {"size": 14}},
        legend={"orientation": "h", "y": -0.15},
        yaxis={
            "automargin": True,
            "tickvals": names,
            "ticktext": tick_labels(shown["assumption"]),
            "tickfont": {"family": LABEL_FONT},
        },
        xaxis={
            **money_axis([npv, *shown["npv_low"], *shown["npv_high"]]),
            "title": _("NPV ({currency})").format(currency=currency) if currency else _("NPV"),
        },
    )
    return figure


def _tried(value: float) -> str:
    return formatting.money(value) if abs(value) >= 1000 else significant(value, 3)


def significant(value: float | None, digits: int) -> str:
    """``value`` to ``digits`` significant digits (no trailing zeros) in the language's marks: '0.05' ('0,05'),
    '1.2e-05' ('1,2e−05'); '–' for none."""
    import math

    if value is None or math.isnan(value) or math.isinf(value):
        return formatting.NONE if value is None or math.isnan(value) else formatting.number(value)
    text = f"{value:.{digits}g}"
    mantissa, _e, exponent = text.partition("e")
    shown = formatting.number(float(mantissa), len(mantissa.split(".")[1]) if "." in mantissa else 0)
    return f"{shown}e{exponent.replace('-', formatting.MINUS)}" if exponent else shown


def _percent(value: float) -> str:
    """A percent as few digits as it needs: '8 %', '7.5 %' ('7,5 %' in Czech)."""
    text = f"{value:g}"
    if "e" in text or "n" in text:
        return f"{text} %"
    return formatting.percent(float(text), len(text.split(".")[1]) if "." in text else 0)


def month_axis(periods) -> dict:
    """A time axis whose ticks name months in the reader's language ('bře 2026'; plotly's own date ticks are always
    English): at most :data:`MONTH_TICKS` of the ``periods`` (month starts), evenly spaced."""
    import datetime
    import math

    import pandas as pd

    days = sorted({pd.Timestamp(p).date() for p in periods if not pd.isna(p)})
    if not days:
        return {}
    step = max(1, math.ceil(len(days) / MONTH_TICKS))
    shown = days[::step]
    return {
        "tickmode": "array",
        "tickvals": [datetime.datetime.combine(day, datetime.time()) for day in shown],
        "ticktext": [formatting.month_short(day) for day in shown],
    }


# ------------------------------------------------------------------ a heatmap touchpoint's detail


def trend(found) -> object:
    """A touchpoint's monthly score with its interval band (:class:`workbench.features.heatmap.Trend`), the target
    dashed and the chosen period shaded; low-n months hollow."""
    import pandas as pd
    import plotly.graph_objects as go

    figure = go.Figure()
    for line in found.lines:
        series, rgb = line.series, line.rgb
        reliable = series[~series["low_n"].astype(bool)]
        figure.add_scatter(
            x=reliable["period"],
            y=reliable["high"],
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
        )
        figure.add_scatter(
            x=reliable["period"],
            y=reliable["low"],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=f"rgba({rgb},0.15)",
            showlegend=False,
            hoverinfo="skip",
        )
        figure.add_scatter(
            x=series["period"],
            y=series["value"],
            mode="lines+markers",
            name=label(line.name),
            line={"color": f"rgb({rgb})"},
            customdata=[
                [formatting.month_short(pd.Timestamp(period).date()), formatting.value(value, found.metric), _n(n)]
                for period, value, n in zip(series["period"], series["value"], series["n"], strict=True)
            ],
            marker={
                "color": ["#ffffff" if low else f"rgb({rgb})" for low in series["low_n"]],
                "line": {"color": f"rgb({rgb})", "width": 1.5},
            },
            hovertemplate="%{customdata[0]}: %{customdata[1]} · n %{customdata[2]}<extra></extra>",
        )
    if found.target is not None:
        figure.add_hline(y=found.target, line_dash="dash", line_color="#b02a37", annotation_text=_("target"))
    start, end = found.window
    if start:
        figure.add_vrect(x0=start, x1=end, fillcolor="#ffc107", opacity=0.12, line_width=0)
    figure.update_layout(
        separators=formatting.plotly_separators(),
        margin={"l": 10, "r": 10, "t": 20, "b": 30},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.2},
        xaxis=month_axis(period for line in found.lines for period in line.series["period"]),
        yaxis_title=metrics.NAMES[found.metric],
    )
    return figure


def distribution(found) -> object:
    """Answers per score of the scale (:class:`workbench.features.heatmap.Distribution`) as coloured bars."""
    import plotly.graph_objects as go

    figure = go.Figure(
        go.Bar(
            x=found.scores,
            y=found.answers,
            marker_color=found.colours,
            customdata=[formatting.count(n) for n in found.answers],
            hovertemplate="%{x}: %{customdata}<extra></extra>",
        )
    )
    figure.update_layout(
        separators=formatting.plotly_separators(),
        margin={"l": 10, "r": 10, "t": 20, "b": 30},
        plot_bgcolor="white",
        xaxis={"title": metrics.NAMES[found.metric], "dtick": 1},
        yaxis_title=_("answers"),
    )
    return figure


def breakdown(found) -> object:
    """A touchpoint's score per segment value (:class:`workbench.features.heatmap.Breakdown`) as horizontal bars
    with intervals, everyone's score dotted."""
    import math

    import plotly.graph_objects as go

    values = found.values
    figure = go.Figure(
        go.Bar(
            x=values["value"],
            y=[label(v) for v in values["segment"]],
            orientation="h",
            marker_color=list(values["colour"]),
            marker_line_color="#495057",
            marker_line_width=0.5,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": values["high"] - values["value"],
                "arrayminus": values["value"] - values["low"],
                "color": "#495057",
            },
            customdata=[
                [formatting.value(v, found.metric), _n(n)] for v, n in zip(values["value"], values["n"], strict=True)
            ],
            hovertemplate="%{y}: %{customdata[0]} · n %{customdata[1]}<extra></extra>",
        )
    )
    if found.reference is not None and not math.isnan(found.reference):
        figure.add_vline(
            x=found.reference,
            line_dash="dot",
            line_color="#495057",
            annotation_text=_("all"),
            annotation_position="top",
        )
    low_end = float(values["low"].min()) if len(values) else 0.0
    high_end = float(values["high"].max()) if len(values) else 1.0
    pad = 0.1 * (high_end - low_end) if high_end > low_end else 1.0
    figure.update_layout(
        separators=formatting.plotly_separators(),
        margin={"l": 10, "r": 10, "t": 20, "b": 30},
        plot_bgcolor="white",
        xaxis={"title": metrics.NAMES[found.metric], "range": [low_end - pad, high_end + pad]},
        yaxis={"automargin": True},
    )
    return figure


def _n(n) -> str:
    """An n in a hover ('2 230'), '–' where there is none."""
    return formatting.NONE if n is None or n != n else formatting.count(int(n))


CURVE_COLOURS = ("13,110,253", "214,51,132", "25,135,84", "253,126,20", "111,66,193", "32,201,151")


def curve_span(found) -> tuple[float, float]:
    """The part of the metric's scale the curves, their bands and the targets use, with a tenth of the scale around
    it: a dip of 0.3 on CSAT shows as a workshop's curve does, never cut off (the ticks say where the axis starts)."""
    low, high = metrics.RANGES[found.metric]
    seen = [
        v
        for curve in found.curves
        for p in curve.points
        for v in ((p.low, p.high, p.value) if p.n > 0 else ()) + ((p.target,) if p.target is not None else ())
        if not math.isnan(v)
    ]
    pad = (high - low) / 10
    return (max(low, min(seen) - pad), min(high, max(seen) + pad)) if seen else (low, high)


def experience_curve(found) -> object:
    """The journey map's emotion curve from data (:class:`workbench.features.journeymaps.Curves`): each group's
    measured score along the main path with its interval band, low-n points hollow, the designed (target) curve
    dashed, every other stage shaded."""
    import plotly.graph_objects as go

    shown = [curve for curve in found.curves if curve.points]
    if not shown:
        return empty(next((c.note for c in found.curves if c.note), _("No touchpoints on the main path yet.")))
    figure = go.Figure()
    first = shown[0].points
    x = list(range(len(first)))
    for index, curve in enumerate(shown):
        rgb = CURVE_COLOURS[index % len(CURVE_COLOURS)]
        reliable = [(i, p) for i, p in enumerate(curve.points) if not p.low_n and p.n > 0]
        figure.add_scatter(
            x=[i for i, _p in reliable], y=[p.high for _i, p in reliable], mode="lines",
            line={"width": 0, "shape": "spline"}, showlegend=False, hoverinfo="skip",
        )  # fmt: skip
        figure.add_scatter(
            x=[i for i, _p in reliable], y=[p.low for _i, p in reliable], mode="lines",
            line={"width": 0, "shape": "spline"}, fill="tonexty", fillcolor=f"rgba({rgb},0.15)", showlegend=False,
            hoverinfo="skip",
        )  # fmt: skip
        figure.add_scatter(
            x=x,
            y=[p.value if p.n > 0 else None for p in curve.points],
            mode="lines+markers",
            name=label(curve.name),
            connectgaps=True,
            line={"color": f"rgb({rgb})", "width": 3, "shape": "spline"},
            marker={
                "size": 10,
                "color": ["#ffffff" if p.low_n else f"rgb({rgb})" for p in curve.points],
                "line": {"color": f"rgb({rgb})", "width": 2},
            },
            customdata=[
                [label(p.name), formatting.score(p.value, (p.high - p.low) / 2, found.metric, p.low, p.high), _n(p.n)]
                if p.n > 0
                else [label(p.name), _("no answers"), "0"]
                for p in curve.points
            ],
            hovertemplate="%{customdata[0]}: %{customdata[1]} · n %{customdata[2]}<extra></extra>",
        )
    targets = [p.target for p in first]
    if any(t is not None for t in targets):
        figure.add_scatter(
            x=x,
            y=targets,
            mode="lines+markers",
            name=_("designed (target)"),
            connectgaps=True,
            line={"color": "#6c757d", "dash": "dash", "width": 2},
            marker={"symbol": "diamond-open", "size": 9, "color": "#6c757d"},
            hoverinfo="skip",
        )
    stages: list[tuple[str, int, int]] = []
    for i, point in enumerate(first):
        if stages and stages[-1][0] == point.stage:
            stages[-1] = (point.stage, stages[-1][1], i)
        else:
            stages.append((point.stage, i, i))
    for number, (_stage, start, end) in enumerate(stages):
        if number % 2:
            figure.add_vrect(
                x0=start - 0.5, x1=end + 0.5, fillcolor="#f1f3f5", opacity=0.6, line_width=0, layer="below"
            )
    span = list(curve_span(found))
    figure.update_layout(
        separators=formatting.plotly_separators(),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend={"orientation": "h", "y": 1.12, "x": 0},
        xaxis={
            "tickmode": "array",
            "tickvals": x,
            "ticktext": tick_labels([p.name for p in first], width=120, lines=2),
            "tickfont": {"family": LABEL_FONT, "size": 11},
            "range": [-0.5, len(first) - 0.5],
        },
        yaxis={"title": metrics.NAMES[found.metric], "range": span, "gridcolor": "#e9ecef", "zeroline": False},
    )
    return figure
