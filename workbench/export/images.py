"""PNG and SVG pictures of the journey map and of every chart, for reports and documents.

The charts are the pages' own plotly figures (:mod:`workbench.export.figures`); the journey map is drawn as a figure
from the deck's layout on one wide canvas. Kaleido renders them all in one headless Chromium session.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from workbench.core import metrics
from workbench.core.journey import slugify, unique_key
from workbench.export import deck, figures, maplayout
from workbench.features.export import Findings

FORMATS = ("png", "svg")
PIXELS_PER_INCH = 96
_UNBOUNDED = 10_000.0  # inches: one canvas for the whole journey
STEM_LIMIT = 44  # characters of a scenario's file name before '-waterfall' ('roi-' and 40 of its name)


def charts(findings: Findings) -> dict[str, Any]:
    """Every picture of the findings as a plotly figure, by file name (without extension)."""
    names = {tp.key: tp.name for tp in findings.journey.touchpoints}
    shown: dict[str, Any] = {"journey-map": journey_map(findings)}
    if findings.curves is not None:
        shown["experience-curve"] = figures.experience_curve(findings.curves)
    if findings.priorities is not None and findings.drivers is not None:
        metric = findings.drivers.driver_metric
        shown["priority-matrix"] = figures.priority_matrix(findings.priorities, names, metric)
        shown["driver-importance"] = figures.importance_bars(findings.priorities, names)
    from workbench.analysis import roi

    stems: set[str] = set()
    for item in findings.scenarios:
        if item.outcome is None or item.evidence is None:
            continue
        # Names that slug alike ('Faster checkout!', 'faster  checkout') get -2, -3: no picture overwrites another.
        stem = unique_key(slugify(f"roi {item.name}")[:STEM_LIMIT], stems)
        stems.add(stem)
        shown[f"{stem}-waterfall"] = figures.waterfall(
            item.outcome, item.scenario.assumptions, names, item.scenario.currency
        )
        spread = roi.tornado(item.scenario.assumptions, item.evidence.link, item.evidence.model, names)
        shown[f"{stem}-tornado"] = figures.tornado(spread, item.outcome.npv, item.scenario.currency)
    return shown


def journey_map(findings: Findings):
    """The journey map coloured by score, all stages side by side (the deck's layout on one canvas)."""
    import plotly.graph_objects as go

    metric = findings.provenance.metric
    page = maplayout.plan(findings.journey, _UNBOUNDED)[0]
    scored = {row.touchpoint: row for row in findings.scores.itertuples()}
    broken = {b.touchpoint for b in findings.breaks}
    drops = {(s.source, s.target) for s in findings.steps.itertuples() if s.drop}
    shift = page.stages[0].left - maplayout.MARGIN  # the plan centres the stages on its (unbounded) width
    page = replace(
        page,
        stages=tuple(replace(b, left=b.left - shift) for b in page.stages),
        boxes=tuple(replace(b, left=b.left - shift) for b in page.boxes),
    )
    width = max(b.left + b.width for b in page.stages) + maplayout.MARGIN
    height = maplayout.MAP_BOTTOM + 0.2
    shapes, notes = [], []
    for band in page.stages:
        shapes.append(
            {
                "type": "rect",
                "x0": band.left,
                "x1": band.left + band.width,
                "y0": maplayout.MAP_TOP,
                "y1": maplayout.MAP_BOTTOM,
                "fillcolor": "#f4f6f8",
                "line": {"width": 0},
                "layer": "below",
            }
        )
        notes.append(
            {
                "x": band.left + band.width / 2,
                "y": maplayout.MAP_TOP + maplayout.STAGE_HEADER / 2,
                "text": f"<b>{figures.label(band.name)}</b>",
                "showarrow": False,
                "font": {"size": 13},
            }
        )
    boxes = {box.key: box for box in page.boxes}
    for source, target in page.edges:
        a, b = boxes[source], boxes[target]
        if abs(a.left - b.left) < 1e-6:  # down (or up) a column, as the deck's connectors run
            down = b.top > a.top
            start = (a.left + a.width / 2, a.top + a.height if down else a.top)
            end = (b.left + b.width / 2, b.top if down else b.top + b.height)
        else:
            start, end = (a.left + a.width, a.top + a.height / 2), (b.left, b.top + b.height / 2)
        notes.append(
            {
                "x": end[0],
                "y": end[1],
                "ax": start[0],
                "ay": start[1],
                "xref": "x",
                "yref": "y",
                "axref": "x",
                "ayref": "y",
                "text": "",
                "showarrow": True,
                "arrowhead": 2,
                "arrowsize": 1.2,
                "arrowwidth": 2.5 if (source, target) in drops else 1.2,
                "arrowcolor": "#dc3545" if (source, target) in drops else "#6c757d",
            }
        )
    for box in page.boxes:
        row = scored[box.key]
        tp = findings.journey.touchpoint(box.key)
        shapes.append(
            {
                "type": "rect",
                "x0": box.left,
                "x1": box.left + box.width,
                "y0": box.top,
                "y1": box.top + box.height,
                "fillcolor": row.colour,
                "line": {
                    "color": "#b02a37" if box.key in broken else "#6c757d",
                    "width": 3 if box.key in broken else 1,
                    "dash": "dash" if row.status == "low_n" else "solid",
                },
            }
        )
        text = deck.box_lines(tp, row, metric, box.key in broken, open_actions=0)
        lines = [f"<b>{figures.label(line)}</b>" for line in text.name] + [figures.label(line) for line in text.details]
        notes.append(
            {
                "x": box.left + box.width / 2,
                "y": box.top + box.height / 2,
                "text": "<br>".join(lines),
                "showarrow": False,
                "font": {"size": 11, "color": "#ffffff" if row.colour in deck.DARK_FILLS else "#212529"},
            }
        )
    figure = go.Figure()
    figure.update_layout(
        shapes=shapes,
        annotations=notes,
        width=round(width * PIXELS_PER_INCH),
        height=round((height - maplayout.MAP_TOP + 0.7) * PIXELS_PER_INCH),
        plot_bgcolor="white",
        paper_bgcolor="white",
        margin={"l": 0, "r": 0, "t": 40, "b": 0},
        showlegend=False,
        title={
            "text": f"{figures.label(findings.journey.name)}: {metrics.NAMES[metric]} · "
            f"{findings.provenance.period()} · {figures.label(findings.provenance.filters)}",
            "font": {"size": 14},
            "x": 0.01,
        },
        xaxis={"range": [0, width], "visible": False, "fixedrange": True},
        yaxis={"range": [height, maplayout.MAP_TOP - 0.1], "visible": False, "fixedrange": True},
    )
    return figure


def render(shown: dict[str, Any], formats: tuple[str, ...] = FORMATS) -> dict[str, bytes]:
    """Each figure in each format, by file name ('journey-map.png'), rendered in one browser session."""
    import kaleido

    with tempfile.TemporaryDirectory(prefix="cxwb-images-") as folder:
        jobs = [
            {
                "fig": figure,
                "path": str(Path(folder) / f"{name}.{fmt}"),
                "opts": {
                    "format": fmt,
                    "scale": 2 if fmt == "png" else 1,
                    **({} if figure.layout.width else {"width": 1000, "height": 600}),
                },
            }
            for name, figure in shown.items()
            for fmt in formats
        ]
        kaleido.write_fig_from_object_sync(jobs)
        return {Path(job["path"]).name: Path(job["path"]).read_bytes() for job in jobs}


def archive(findings: Findings, formats: tuple[str, ...] = FORMATS) -> bytes:
    """A ZIP of every picture in every format."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, content in render(charts(findings), formats).items():
            bundle.writestr(name, content)
    return buffer.getvalue()
