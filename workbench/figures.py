"""The charts the pages show and the exports draw, as plotly figures (plotly loads when a figure is built)."""

from __future__ import annotations

import html
from collections.abc import Mapping

from workbench import heatmap, roi
from workbench.i18n import gettext as _
from workbench.safecells import xml_safe

QUADRANT_COLOURS = {"Fix first": "#dc3545", "Keep it up": "#198754", "Improve later": "#fd7e14", "Maintain": "#6c757d"}


def label(text: object) -> str:
    """User text for any plotly label (tick, trace name, hover, annotation, title): shown as typed, never as markup.

    Plotly renders a subset of HTML in labels (``<a href>``, ``<b>``, ``<br>``, ``<span style>``) and decodes
    entities, so escaping ``&``, ``<`` and ``>`` shows a name like ``<b>x</b>`` literally. Escape the user's text
    first, then add our own markup around it. Characters XML cannot hold are replaced (:func:`safecells.xml_safe`):
    a control character would make the SVG picture unreadable, a lone surrogate stop the rendering.
    """
    return html.escape(xml_safe(str(text)), quote=False)


def priority_matrix(ranked, names: Mapping[str, str], metric: str):
    """Importance × performance: each touchpoint a dot coloured by quadrant, with its importance interval."""
    import plotly.graph_objects as go

    figure = go.Figure()
    for quadrant, colour in QUADRANT_COLOURS.items():
        part = ranked[ranked["quadrant"] == quadrant]
        if part.empty:
            continue
        figure.add_trace(go.Scatter(
            x=part["performance"], y=part["share"] * 100, mode="markers+text", name=_(quadrant),
            text=[label(names.get(k, k)) for k in part["touchpoint"]], textposition="top center",
            marker={"size": 13, "color": colour}, cliponaxis=False,
            error_y={"type": "data", "symmetric": False, "array": (part["share_high"] - part["share"]) * 100,
                     "arrayminus": (part["share"] - part["share_low"]) * 100, "color": colour, "thickness": 1},
            hovertemplate="%{text}<br>" + _("performance") + " %{x:.2f}<br>" + _("importance") + " %{y:.1f} %"
                          "<extra></extra>"))
    figure.add_vline(x=ranked.attrs["performance_reference"], line_dash="dash", line_color="#adb5bd")
    figure.add_hline(y=100 / max(len(ranked), 1), line_dash="dash", line_color="#adb5bd")
    figure.update_layout(
        margin={"l": 50, "r": 70, "t": 30, "b": 40}, plot_bgcolor="white", legend={"orientation": "h", "y": -0.15},
        title={"text": _("Importance × performance"), "font": {"size": 14}},
        xaxis={"title": _("Performance (mean {metric})").format(metric=heatmap.METRIC_NAMES[metric]),
               "gridcolor": "#eee"},
        yaxis={"title": _("Importance (% of explained variance)"), "gridcolor": "#eee", "rangemode": "tozero"})
    return figure

def importance_bars(ranked, names: Mapping[str, str]):
    """Each touchpoint's share of explained variance with its bootstrap interval, largest on top."""
    import plotly.graph_objects as go

    shown = ranked.sort_values("importance")
    figure = go.Figure(go.Bar(
        x=shown["share"] * 100, y=[label(names.get(k, k)) for k in shown["touchpoint"]], orientation="h",
        marker_color=[QUADRANT_COLOURS[q] for q in shown["quadrant"]],
        error_x={"type": "data", "symmetric": False, "array": (shown["share_high"] - shown["share"]) * 100,
                 "arrayminus": (shown["share"] - shown["share_low"]) * 100, "color": "#495057"},
        hovertemplate="%{y}: %{x:.1f} %<extra></extra>"))
    figure.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 40}, plot_bgcolor="white",
                         title={"text": _("Share of explained variance, 95 % bootstrap interval"),
                                "font": {"size": 14}},
                         xaxis={"title": "%", "gridcolor": "#eee", "rangemode": "tozero"},
                         yaxis={"automargin": True})
    return figure

def waterfall(outcome: roi.Outcome, assumptions: roi.Assumptions, names: Mapping[str, str]):
    """From each touchpoint's contribution, less the cost, to the NPV."""
    import plotly.graph_objects as go

    labels = [label(names.get(k, _("Overall NPS change") if k == "overall" else k))
              for k, _v in outcome.contributions]
    values = [v for _k, v in outcome.contributions]
    figure = go.Figure(go.Waterfall(
        x=[*labels, _("Cost"), _("NPV")], y=[*values, -assumptions.cost, 0],
        measure=[*(["relative"] * len(values)), "relative", "total"],
        text=[roi.format_money(v) for v in [*values, -assumptions.cost, outcome.npv]], textposition="outside",
        connector={"line": {"color": "#adb5bd"}}, increasing={"marker": {"color": "#198754"}},
        decreasing={"marker": {"color": "#dc3545"}}, totals={"marker": {"color": "#0d6efd"}}, cliponaxis=False))
    figure.update_layout(margin={"l": 50, "r": 20, "t": 40, "b": 40}, plot_bgcolor="white", showlegend=False,
                         title={"text": _("From the score change to NPV (discounted)"), "font": {"size": 14}},
                         yaxis={"gridcolor": "#eee"})
    return figure

def tornado(spread, npv: float):
    """The NPV as each assumption or estimate moves alone to its bounds, widest swing on top."""
    import plotly.graph_objects as go

    shown = spread.iloc[::-1]  # plotly draws the first bar at the bottom: the widest swing goes on top
    figure = go.Figure()
    for side, colour in (("low", "#fd7e14"), ("high", "#0d6efd")):
        figure.add_trace(go.Bar(
            y=[label(a) for a in shown["assumption"]], x=shown[f"npv_{side}"] - npv, base=npv, orientation="h",
            marker_color=colour,
            name=_("low value") if side == "low" else _("high value"),
            text=[f"{v * 100:g} %" if name == _("Discount rate") else _tried(v)
                  for name, v in zip(shown["assumption"], shown[side])], textposition="auto",
            hovertemplate="%{y}: %{text} → NPV %{customdata}<extra></extra>",
            customdata=[roi.format_money(v) for v in shown[f"npv_{side}"]]))
    figure.add_vline(x=npv, line_color="#495057")
    figure.update_layout(barmode="overlay", margin={"l": 10, "r": 20, "t": 40, "b": 40}, plot_bgcolor="white",
                         title={"text": _("What moves the NPV most"), "font": {"size": 14}},
                         legend={"orientation": "h", "y": -0.15}, yaxis={"automargin": True},
                         xaxis={"gridcolor": "#eee", "title": _("NPV")})
    return figure

def _tried(value: float) -> str:
    return roi.format_money(value) if abs(value) >= 1000 else f"{value:.3g}"
