"""Heatmap page: the journey coloured by score, where it breaks, a touchpoint's detail, and the segment matrix."""

from __future__ import annotations

import math
import shutil

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages import _filters
from cxweb.pages._context import new_action_href, workspace
from cxweb.pages._graph import HEATMAP_STYLESHEET, heatmap_elements
from workbench.analysis import benchmarks, breaks, heatmap
from workbench.analysis.breaks import BreakSettings
from workbench.core import formatting, limits, metrics
from workbench.core.errors import IngestError
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.core.journey import compact_layout
from workbench.data import query, waves
from workbench.export import figures
from workbench.repos import actions

dash.register_page(__name__, path="/heatmap", name=_("Heatmap"), title=_("Heatmap · CX Journey Workbench"))

PRESET = {"name": "preset", "fit": True, "padding": 30, "animate": False}
KIND_NAMES = {"segment": _("segment below the rest"), "step": _("step drop"), "target": _("below target"),
              "decline": _("decline")}
SHOWN_BREAKS = 8
HEADERS = {"(network)": _("Total"), "(benchmark)": _("Whole network"), "(external)": _("Benchmark")}


# ------------------------------------------------------------------ layout


def layout(**_query) -> html.Div:
    """Filter bar, compare controls, then tabs: journey map with breaks and detail, matrix, all breaks."""
    return html.Div([
        dcc.Store(id="hm-touchpoint"),
        dcc.Store(id="hm-drill", data=[]),
        dcc.Store(id="hm-matrix-values", data=[]),
        dcc.Store(id="hm-break-items", data=[]),
        dcc.Store(id="hm-graph-resized"),
        _filters.filter_bar("hm"),
        html.Div([
            dbc.InputGroup([
                dbc.InputGroupText(_("Compare with")),
                dbc.Select(id="hm-compare", value="none", options=[
                    {"label": _("nothing"), "value": "none"},
                    {"label": _("the period before"), "value": "previous"},
                    {"label": _("a segment…"), "value": "segment"}]),
            ], size="sm", className="w-auto"),
            html.Div(dcc.Dropdown(id="hm-compare-segment", placeholder=_("segment to compare with")),
                     id="hm-compare-segment-box", style={"minWidth": "16rem", "display": "none"}),
            html.Div(dbc.InputGroup([dbc.InputGroupText(_("Min n")),
                                     dbc.Input(id="hm-min-n", type="number", min=2, step=1, value=30, debounce=True,
                                               style={"width": "5rem"})], size="sm"),
                     title=_("Scores from fewer answers are greyed and never judged")),
            dbc.RadioItems(id="hm-layout", value="compact", inline=True, className="small",
                           options=[{"label": _("compact map"), "value": "compact"},
                                    {"label": _("as drawn in the editor"), "value": "drawn"}]),
            html.Span(id="hm-summary", className="small text-muted ms-2"),
        ], className="d-flex flex-wrap align-items-center gap-2 mb-2"),
        dbc.Tabs([
            dbc.Tab(_map_tab(), label=_("Journey map"), tab_id="map"),
            dbc.Tab(_matrix_tab(), label=_("Matrix"), tab_id="matrix"),
            dbc.Tab(_breaks_tab(), label=_("Breaks"), tab_id="breaks"),
        ], id="hm-tabs", active_tab="map", className="mb-2"),
    ])


def _map_tab() -> html.Div:
    return html.Div([
        dcc.Loading(html.Div(cyto.Cytoscape(
            id="hm-graph", elements=[], layout=PRESET, stylesheet=HEATMAP_STYLESHEET,
            style={"width": "100%", "height": "calc(100vh - 250px)", "minHeight": "520px"},
            minZoom=0.15, maxZoom=2, autoRefreshLayout=True, boxSelectionEnabled=False),
            className="border rounded bg-white"), delay_show=300),
        html.Div(id="hm-legend", className="small mt-1"),
        dbc.Row([
            dbc.Col(dbc.Card([
                dbc.CardHeader([html.B(_("Where it breaks")),
                                html.Span(id="hm-break-count", className="small text-muted ms-2")]),
                dbc.CardBody(dcc.Loading(html.Div(id="hm-break-list"), delay_show=300), className="p-2",
                             style={"maxHeight": "640px", "overflowY": "auto"}),
            ]), xl=4),
            dbc.Col(html.Div(id="hm-detail"), xl=8),
        ], className="g-2 mt-1"),
    ])


def _matrix_tab() -> html.Div:
    return html.Div([
        html.Div([
            dbc.InputGroup([dbc.InputGroupText(_("Columns")), dbc.Select(id="hm-matrix-column")],
                           size="sm", className="w-auto"),
            dbc.InputGroup([dbc.InputGroupText(_("Sort rows by")), dbc.Select(id="hm-matrix-sort", value="journey")],
                           size="sm", className="w-auto"),
            html.Div(id="hm-drill-path", className="small"),
            dcc.Upload(dbc.Button([html.I(className="fa-solid fa-file-import me-1"), _("Import benchmark values")],
                                  color="secondary", outline=True, size="sm"), id="hm-benchmark-upload",
                       className="ms-auto", multiple=False),
            dbc.Button(_("Remove benchmark"), id="hm-benchmark-remove", color="link", size="sm"),
        ], className="d-flex flex-wrap align-items-center gap-2 mb-2"),
        dbc.Alert(id="hm-benchmark-message", is_open=False, dismissable=True, className="py-2 small"),
        dcc.Store(id="hm-benchmark-version", data=0),
        dcc.Loading(html.Div(id="hm-matrix", className="hm-matrix"), delay_show=300),
    ])


def _breaks_tab() -> html.Div:
    def number(id_: str, label: str, value, step, title: str) -> html.Div:
        return html.Div(dbc.InputGroup([dbc.InputGroupText(label),
                                        dbc.Input(id=id_, type="number", value=value, step=step, min=0,
                                                  debounce=True, style={"width": "6rem"})], size="sm"), title=title)

    return html.Div([
        html.Div([
            number("hm-alpha", _("False discovery rate"), 0.05, 0.01,
                   _("Benjamini–Hochberg: the expected share of false alarms among the breaks listed")),
            number("hm-min-delta", _("Smallest difference"), None, 0.05,
                   _("Differences smaller than this (in the metric's points) are not listed")),
            dbc.Checklist(id="hm-kinds", value=list(breaks.KINDS), inline=True, className="small",
                          options=[{"label": KIND_NAMES[k], "value": k} for k in breaks.KINDS]),
        ], className="d-flex flex-wrap align-items-center gap-3 mb-2"),
        html.P(_("A break is listed when its difference is statistically significant after the "
                 "Benjamini–Hochberg correction over all tests of the list, at least the smallest difference large, "
                 "and based on at least the minimum n on both sides."), className="small text-muted"),
        html.P(id="hm-breaks-wave", className="small text-muted"),
        dcc.Loading(html.Div(id="hm-break-table"), delay_show=300),
    ])


_filters.register("hm")


# ------------------------------------------------------------------ map


dash.clientside_callback(
    "function(elements) { if (window.cy) { window.cy.resize(); } return null; }",
    Output("hm-graph-resized", "data"), Input("hm-graph", "elements"),
)


@callback(Output("hm-compare-segment-box", "style"), Output("hm-compare-segment", "options"),
          Input("hm-compare", "value"), Input("hm-segments", "options"))
def show_compare_segment(mode, options):
    """The segment picker only matters when comparing with a segment."""
    return {"minWidth": "16rem", "display": "block" if mode == "segment" else "none"}, options or []


@callback(Output("hm-graph", "elements"), Output("hm-legend", "children"), Output("hm-summary", "children"),
          Input("hm-selection", "data"), Input("hm-compare", "value"), Input("hm-compare-segment", "value"),
          Input("hm-min-n", "value"), Input("hm-break-items", "data"), Input("hm-layout", "value"))
def draw_map(selection, mode, compare_segment, min_n, break_items, layout):
    """Colour every touchpoint by its score against its target, mark steps that drop and breaks."""
    chosen = _filters.resolve(selection)
    if chosen is None:
        return [], "", _("Choose a project with a journey and survey data.")
    min_n = _min_n(min_n)
    cache = workspace().cache
    metric = chosen.metric
    current = heatmap.scores(chosen.journey, query.aggregate(chosen.query(), cache, min_n=min_n), metric)
    steps = heatmap.steps(chosen.journey, current)
    baseline = _baseline(chosen, mode, compare_segment, min_n)
    changes = {}
    if baseline is not None:
        compared = heatmap.compare(current, heatmap.scores(chosen.journey, baseline, metric))
        changes = {row.touchpoint: row for row in compared.itertuples()}
    broken = {item["touchpoint"] for item in break_items or []}
    open_actions = actions.open_counts(workspace().actions.list(chosen.project_id, selection["journey"]))
    nodes = {}
    for row in current.itertuples():
        label = chosen.journey.touchpoint(row.touchpoint).name
        if row.status != "no_data":
            label += "\n" + _score_line(row.value, row.margin, row.n, metric)
        change = changes.get(row.touchpoint)
        if change is not None and change.direction:
            label += "\n" + ("▲ " if change.direction == "up" else "▼ ") + formatting.value(
                change.delta, metric, signed=True)
        if open_actions.get(row.touchpoint):
            count = open_actions[row.touchpoint]
            label += "\n⚑ " + ngettext("{count} open action", "{count} open actions", count).format(count=count)
        nodes[row.touchpoint] = {"label": ("⚠ " if row.touchpoint in broken else "") + label,
                                 "fill": row.colour, "lown": row.status == "low_n",
                                 "nodata": row.status == "no_data", "broken": row.touchpoint in broken,
                                 "change": change.direction if change is not None else ""}
    edges = {}
    for step in steps.itertuples():
        if step.drop or step.rise:
            edges[(step.source, step.target)] = {"label": formatting.value(step.delta, metric, signed=True),
                                                 "drop": bool(step.drop), "rise": bool(step.rise)}
    answered = int(current["n"].sum())
    summary = _("{metric} · {start} – {end} · {who} · {n} answers").format(
        metric=heatmap.METRIC_NAMES[metric], start=chosen.date_from or "…", end=chosen.date_to or "…",
        who=chosen.filter_text(), n=formatting.count(answered))
    if chosen.wave is not None:  # the answers' one date is the wave's first day, not when they were given
        summary = _("{metric} · wave {wave} · {who} · {n} answers").format(
            metric=heatmap.METRIC_NAMES[metric], wave=chosen.wave.label, who=chosen.filter_text(),
            n=formatting.count(answered))
        if mode == "previous":
            summary += " · " + waves.no_trend_message(chosen.wave)
    if not answered:
        summary += " · " + _no_answers(metric, workspace().datasets.get(int(selection["dataset"])).meta)
    drawn = layout == "drawn"
    shown = chosen.journey if drawn else compact_layout(chosen.journey)
    return heatmap_elements(shown, nodes, edges, lanes=drawn), _legend(metric, baseline is not None), summary


def _no_answers(metric: str, meta: dict) -> str:
    """Why the map is empty: the survey holds other metrics, or rates its touchpoints on a scale the map has no
    colours for (the answers are kept and explained on the Drivers page as the outcome, when mapped so)."""
    held = [m for m in meta.get("metrics") or [] if m in heatmap.METRIC_NAMES and m != metric]
    if held:
        return _("no {metric} answers here; this survey holds {held}.").format(
            metric=heatmap.METRIC_NAMES[metric], held=", ".join(heatmap.METRIC_NAMES[m] for m in held))
    if "rating" in (meta.get("metrics") or []):
        return _("this survey rates its touchpoints on another scale, which the map cannot colour yet: import them "
                 "as CSAT (1–5), CES (1–7) or NPS (0–10) if they are on one of those scales.")
    return _("no answers in this selection.")


def _baseline(chosen: _filters.Selection, mode: str, segment: str | None, min_n: int):
    """The aggregate to compare with: the period just before, or one segment (instead of the filters)."""
    cache = workspace().cache
    if mode == "previous" and chosen.date_from and chosen.date_to and chosen.wave is None:
        start, end = breaks.previous_window(chosen.date_from, chosen.date_to)
        return query.aggregate(chosen.query(date_from=start, date_to=end), cache, min_n=min_n)
    if mode == "segment" and segment:
        column, _sep, value = segment.partition(_filters.SEPARATOR)
        return query.aggregate(chosen.query(filters=((column, (value,)),)), cache, min_n=min_n)
    return None


def _score_line(value: float, margin: float, n: int, metric: str) -> str:
    """'4.21 ± 0.04 · n 2 230' (the margin is left out where it is undefined)."""
    return f"{formatting.score(value, margin, metric)} · n {formatting.count(n)}"


def _legend(metric: str, comparing: bool) -> list:
    """Colour swatches in the metric's units and the marks used on nodes and edges."""
    def swatch(style: dict, text: str) -> html.Span:
        return html.Span([html.Span(className="je-swatch", style=style), text], className="me-3 text-nowrap")

    items = [html.B(_("{metric} against target").format(metric=heatmap.METRIC_NAMES[metric]) + ": ",
                    className="me-2")]
    for colour, text in heatmap.legend(metric):
        border = "1px dashed #6c757d" if colour == heatmap.LOW_N_COLOUR else "1px solid #adb5bd"
        items.append(swatch({"background": colour, "border": border}, text))
    items += [swatch({"border": "3px solid #b02a37"}, _("⚠ break listed")),
              html.Span(_("⚑ open improvement actions"), className="me-3 text-nowrap"),
              swatch({"borderTop": "3px solid #dc3545", "height": 0}, _("significant drop along the journey"))]
    if comparing:
        items += [swatch({"background": "#0d6efd", "opacity": 0.55}, _("▲ significantly better")),
                  swatch({"background": "#dc3545", "opacity": 0.55}, _("▼ significantly worse"))]
    items.append(html.Span(_("No target: coloured against the journey average. Score ± margin of error (95 %) · n."),
                           className="text-muted"))
    return items


# ------------------------------------------------------------------ breaks


@callback(Output("hm-break-items", "data"), Output("hm-break-list", "children"), Output("hm-break-count", "children"),
          Output("hm-break-table", "children"),
          Input("hm-selection", "data"), Input("hm-min-n", "value"), Input("hm-alpha", "value"),
          Input("hm-min-delta", "value"), Input("hm-kinds", "value"))
def list_breaks(selection, min_n, alpha, min_delta, kinds):
    """The ranked breaks: the top few beside the map, all of them with their evidence on the Breaks tab."""
    chosen = _filters.resolve(selection)
    if chosen is None:
        return [], "", "", ""
    settings = _settings(chosen.metric, min_n, alpha, min_delta, kinds)
    found = breaks.find(chosen.journey, chosen.sources, chosen.metric, date_from=chosen.date_from,
                        date_to=chosen.date_to, filters=chosen.filters, settings=settings, cache=workspace().cache)
    items = [{"touchpoint": b.touchpoint, "column": b.column, "segment": b.segment} for b in found]
    if not found:
        empty = html.P(_("No break: nothing is significantly worse by at least the smallest difference."),
                       className="text-muted small m-2")
        return [], empty, "", empty
    journey_id = selection["journey"]
    shown = [dbc.ListGroupItem([html.Small(KIND_NAMES[b.kind], className="text-uppercase text-muted d-block"),
                                b.sentence, " ", _action_link(actions.for_break(chosen.journey, b), journey_id)],
                               id={"type": "hm-break", "index": i}, action=True, className="small py-2")
             for i, b in enumerate(found[:SHOWN_BREAKS])]
    more = [] if len(found) <= SHOWN_BREAKS else [html.P(
        _("…and {count} more on the Breaks tab.").format(count=len(found) - SHOWN_BREAKS),
        className="small text-muted m-2")]
    count = _("{count} found").format(count=len(found))
    return items, [dbc.ListGroup(shown, flush=True), *more], count, _break_table(found, chosen.journey, journey_id)


@callback(Output("hm-breaks-wave", "children"), Input("hm-selection", "data"))
def explain_declines(selection):
    """A survey that is one wave without dates has no period before, so no decline can be found in it."""
    chosen = _filters.resolve(selection)
    if chosen is None or chosen.wave is None:
        return ""
    return _("No decline can be found. {why}").format(why=waves.no_trend_message(chosen.wave))


def _settings(metric: str, min_n, alpha, min_delta, kinds) -> BreakSettings:
    deltas = dict(breaks.MIN_DELTA)
    if min_delta is not None and min_delta >= 0:
        deltas[metric] = float(min_delta)
    alpha = float(alpha) if alpha is not None and 0 < alpha < 1 else 0.05
    return BreakSettings(alpha=alpha, min_n=_min_n(min_n), min_delta=deltas, kinds=tuple(kinds or ()))


def _action_link(draft: actions.Draft, journey_id: int) -> dcc.Link:
    """'+ action': opens a new card on the Actions page, pre-filled from a break or a touchpoint."""
    return dcc.Link([html.I(className="fa-solid fa-plus me-1"), _("action")], href=new_action_href(draft, journey_id),
                    className="badge text-bg-light border text-decoration-none cx-new-action",
                    title=_("Create an improvement action from this"))


def _break_table(found: list[breaks.Break], journey, journey_id: int) -> dbc.Table:
    metric = found[0].metric
    header = html.Thead(html.Tr([html.Th(t) for t in (
        "#", _("Kind"), _("Touchpoint"), _("Segment"), _("Since"), _("Score"), _("Compared with"), _("Difference"),
        _("95 % interval"), "n", "p", "q", _("In words"))]))
    rows = []
    for i, b in enumerate(found, 1):
        rows.append(html.Tr([
            html.Td(i), html.Td(KIND_NAMES[b.kind]), html.Td(b.touchpoint),
            html.Td(f"{b.column} {b.segment}" if b.column else ""), html.Td(b.since.isoformat() if b.since else ""),
            html.Td(formatting.value(b.value, metric)), html.Td(formatting.value(b.reference, metric)),
            html.Td(formatting.value(b.delta, metric, signed=True)),
            html.Td(f"{formatting.value(b.low, metric, signed=True)} … "
                    f"{formatting.value(b.high, metric, signed=True)}"),
            html.Td(formatting.count(b.n)), html.Td(f"{b.p_value:.2g}"), html.Td(f"{b.q_value:.2g}"),
            html.Td(b.sentence, className="small"),
            html.Td(_action_link(actions.for_break(journey, b), journey_id))]))
    return dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, responsive=True, className="small",
                     id="hm-break-rows")


# ------------------------------------------------------------------ touchpoint detail


@callback(Output("hm-touchpoint", "data"), Input("hm-graph", "tapNodeData"),
          Input({"type": "hm-break", "index": ALL}, "n_clicks"), State("hm-break-items", "data"),
          prevent_initial_call=True)
def choose_touchpoint(node, _clicks, break_items):
    """A tapped node or a clicked break opens that touchpoint's detail (a segment break shows its segments)."""
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        if not ctx.triggered[0]["value"]:
            return no_update
        item = break_items[trigger["index"]]
        return {"key": item["touchpoint"], "column": item["column"], "segment": item["segment"]}
    if node and node.get("type") == "touchpoint":
        return {"key": node["id"], "column": None, "segment": None}
    return no_update


@callback(Output("hm-detail", "children"), Input("hm-touchpoint", "data"), Input("hm-selection", "data"),
          Input("hm-min-n", "value"))
def show_detail(chosen_touchpoint, selection, min_n):
    """The touchpoint's card: trend with interval band, answer distribution, segment breakdown, comments."""
    chosen = _filters.resolve(selection)
    key = (chosen_touchpoint or {}).get("key")
    if chosen is None or not key:
        return html.P(_("Click a touchpoint or a break to see its trend, answers, segments and comments."),
                      className="small text-muted")
    if key not in {tp.key for tp in chosen.journey.touchpoints}:
        return ""
    tp = chosen.journey.touchpoint(key)
    columns = breaks.segment_columns(chosen.sources)
    return dbc.Card([
        dbc.CardHeader([html.B(tp.name, id="hm-detail-title"),
                        html.Span(f" · {tp.owner}" if tp.owner else "", className="text-muted small me-2"),
                        _action_link(actions.for_touchpoint(chosen.journey, key), selection["journey"])]),
        dbc.CardBody(dbc.Row([
            dbc.Col([html.H6(_("Trend (all months up to the end of the period)"), className="small text-muted"),
                     _trend(chosen, key, _min_n(min_n), chosen_touchpoint.get("column"),
                            chosen_touchpoint.get("segment"))], lg=6),
            dbc.Col([html.H6(_("Answers in the period"), className="small text-muted"),
                     dcc.Graph(id="hm-distribution", figure=_distribution_figure(chosen, key),
                               config={"displayModeBar": False}, style={"height": "260px"})], lg=6),
            dbc.Col([html.Div([html.H6(_("By segment"), className="small text-muted mb-0 me-2"),
                               dbc.Select(id="hm-breakdown-column", size="sm", style={"width": "auto"},
                                          options=[{"label": c, "value": c} for c in columns],
                                          value=chosen_touchpoint.get("column") or (columns[0] if columns else None))],
                              className="d-flex align-items-center mb-1"),
                     dcc.Graph(id="hm-breakdown", config={"displayModeBar": False}, style={"height": "320px"})],
                    lg=6),
            dbc.Col([html.H6(_("Latest comments"), className="small text-muted"),
                     html.Div(_comments(chosen, key), style={"maxHeight": "330px", "overflowY": "auto"})], lg=6),
        ], className="g-2")),
    ], id="hm-detail-card")


@callback(Output("hm-breakdown", "figure"), Input("hm-breakdown-column", "value"), State("hm-touchpoint", "data"),
          State("hm-selection", "data"), State("hm-min-n", "value"))
def show_breakdown(column, chosen_touchpoint, selection, min_n):
    """The touchpoint's score per value of a segment column, with intervals; low n in grey."""
    import plotly.graph_objects as go

    chosen = _filters.resolve(selection)
    key = (chosen_touchpoint or {}).get("key")
    if chosen is None or not key or not column:
        return go.Figure()
    metric, min_n = chosen.metric, _min_n(min_n)
    result = query.aggregate(chosen.query(by=("touchpoint", column)), workspace().cache, min_n=min_n)
    result = result[(result["touchpoint"] == key) & result[column].notna()]
    reference = float(query.rollup(result, [], min_n=min_n)[metric].iloc[0]) if len(result) else None
    result = result.sort_values(metric, na_position="first").tail(40)
    low = result[f"{metric}_low_n"].astype(bool)
    colours = ["#adb5bd" if is_low else heatmap.colour(v, reference, metric)
               for v, is_low in zip(result[metric], low)]
    figure = go.Figure(go.Bar(
        x=result[metric], y=[figures.label(v) for v in result[column].astype(str)], orientation="h",
        marker_color=colours,
        marker_line_color="#495057", marker_line_width=0.5,
        error_x={"type": "data", "symmetric": False, "array": result[f"{metric}_high"] - result[metric],
                 "arrayminus": result[metric] - result[f"{metric}_low"], "color": "#495057"},
        customdata=result[metrics.n_column(metric)], hovertemplate="%{y}: %{x:.2f} · n %{customdata}<extra></extra>"))
    if reference is not None and not math.isnan(reference):
        figure.add_vline(x=reference, line_dash="dot", line_color="#495057",
                         annotation_text=_("all"), annotation_position="top")
    low_end = float(result[f"{metric}_low"].min()) if len(result) else 0.0
    high_end = float(result[f"{metric}_high"].max()) if len(result) else 1.0
    pad = 0.1 * (high_end - low_end) if high_end > low_end else 1.0
    figure.update_layout(margin={"l": 10, "r": 10, "t": 20, "b": 30}, plot_bgcolor="white",
                         xaxis={"title": heatmap.METRIC_NAMES[metric], "range": [low_end - pad, high_end + pad]},
                         yaxis={"automargin": True})
    return figure


def _trend(chosen: _filters.Selection, key: str, min_n: int, column: str | None, segment: str | None):
    """The trend chart, or for a survey that is one wave without dates the sentence saying there is no trend."""
    if chosen.wave is not None:  # one point on empty axes would look like a chart
        return html.P(waves.no_trend_message(chosen.wave), id="hm-trend-note", className="small text-muted")
    return dcc.Graph(id="hm-trend", figure=_trend_figure(chosen, key, min_n, column, segment),
                     config={"displayModeBar": False}, style={"height": "260px"})


def _trend_figure(chosen: _filters.Selection, key: str, min_n: int, column: str | None = None,
                  segment: str | None = None):
    """Monthly score with its interval band; for a segment break, the segment's line against everyone else's."""
    import plotly.graph_objects as go

    metric = chosen.metric
    base = chosen.filters + (("touchpoint", (key,)),)
    result = query.aggregate(chosen.query(by=("touchpoint", "period"), date_from=None, filters=base),
                             workspace().cache, min_n=min_n)
    lines = [(heatmap.METRIC_NAMES[metric] if not segment else _("everyone else"), "13,110,253", result)]
    if column and segment:
        split = query.aggregate(chosen.query(by=("touchpoint", "period", column), date_from=None, filters=base),
                                workspace().cache, min_n=min_n)
        inside = split[split[column].astype(str) == segment].reset_index(drop=True)
        totals = query.rollup(split, ["touchpoint", "period"], min_n=min_n)
        lines = [(_("everyone else"), "13,110,253", query.rest(inside, totals, ["touchpoint", "period"],
                                                                min_n=min_n)),
                 (figures.label(f"{column} {segment}"), "220,53,69", inside)]
    figure = go.Figure()
    for name, rgb, frame in lines:
        series = heatmap.trend(frame, metric).dropna(subset=["value"])
        reliable = series[~series["low_n"].astype(bool)]
        figure.add_scatter(x=reliable["period"], y=reliable["high"], mode="lines", line={"width": 0},
                           showlegend=False, hoverinfo="skip")
        figure.add_scatter(x=reliable["period"], y=reliable["low"], mode="lines", line={"width": 0}, fill="tonexty",
                           fillcolor=f"rgba({rgb},0.15)", showlegend=False, hoverinfo="skip")
        figure.add_scatter(x=series["period"], y=series["value"], mode="lines+markers", name=name,
                           line={"color": f"rgb({rgb})"}, customdata=series["n"],
                           marker={"color": ["#ffffff" if low else f"rgb({rgb})" for low in series["low_n"]],
                                   "line": {"color": f"rgb({rgb})", "width": 1.5}},
                           hovertemplate="%{x|%b %Y}: %{y:.2f} · n %{customdata}<extra></extra>")
    goal = heatmap.target(chosen.journey.touchpoint(key), metric)
    if goal is not None:
        figure.add_hline(y=goal, line_dash="dash", line_color="#b02a37", annotation_text=_("target"))
    if chosen.date_from:
        figure.add_vrect(x0=chosen.date_from, x1=chosen.date_to, fillcolor="#ffc107", opacity=0.12, line_width=0)
    figure.update_layout(margin={"l": 10, "r": 10, "t": 20, "b": 30}, plot_bgcolor="white",
                         legend={"orientation": "h", "y": -0.2}, yaxis_title=heatmap.METRIC_NAMES[metric])
    return figure


def _distribution_figure(chosen: _filters.Selection, key: str):
    import plotly.graph_objects as go

    metric = "nps" if chosen.metric == "index" else chosen.metric
    counts = query.distribution(chosen.query(filters=chosen.filters + (("touchpoint", (key,)),)), metric)
    low, high = metrics.SCALES[metric]
    by_score = dict(zip(counts["score"].astype(int), counts["answers"]))
    scores = list(range(low, high + 1))
    # NPS: detractors, passives, promoters; CSAT and CES: the low boxes, the middle, the top-2 box.
    bad, good = {"nps": (6, 9), "csat": (2, metrics.CSAT_TOP), "ces": (3, metrics.CES_TOP)}[metric]
    colours = ["#d73027" if s <= bad else "#4575b4" if s >= good else "#fdae61" for s in scores]
    figure = go.Figure(go.Bar(x=scores, y=[by_score.get(s, 0) for s in scores], marker_color=colours,
                              hovertemplate="%{x}: %{y}<extra></extra>"))
    figure.update_layout(margin={"l": 10, "r": 10, "t": 20, "b": 30}, plot_bgcolor="white",
                         xaxis={"title": heatmap.METRIC_NAMES[metric], "dtick": 1}, yaxis_title=_("answers"))
    return figure


def _comments(chosen: _filters.Selection, key: str) -> list:
    """The newest comments as plain text (never HTML), with date, scores and segments."""
    columns = breaks.segment_columns(chosen.sources)
    found = query.comments(chosen.query(by=("touchpoint", *columns),
                                        filters=chosen.filters + (("touchpoint", (key,)),)), limit=15)
    if not len(found):
        return [html.P(_("No comments in the period."), className="small text-muted")]
    items = []
    for row in found.to_dict("records"):
        scores = " · ".join(f"{heatmap.METRIC_NAMES.get(m, m)} {int(row[m])}" for m in ("nps", "csat", "ces")
                            if row.get(m) is not None and not math.isnan(row[m]))
        where = " · ".join(str(row[c]) for c in columns if row.get(c))
        items.append(html.Div([
            html.Div([html.Span(row["ts"].strftime("%d %b %Y"), className="me-2"), html.B(scores, className="me-2"),
                      html.Span(where, className="text-muted")], className="small"),
            html.P(row["comment"], className="mb-2 small hm-comment"),
        ], className="border-bottom pt-1"))
    return items


# ------------------------------------------------------------------ matrix


@callback(Output("hm-matrix-column", "options"), Output("hm-matrix-column", "value"), Input("hm-dataset", "value"),
          State("hm-matrix-column", "value"))
def matrix_columns(dataset_id, current):
    """The segment columns that can be spread across the matrix (regions first when there are any)."""
    if not dataset_id:
        return [], None
    columns = breaks.segment_columns((str(workspace().datasets.get(int(dataset_id)).path),))
    options = [{"label": c, "value": c} for c in columns]
    return options, current if current in columns else ("region" if "region" in columns else columns[0])


@callback(Output("hm-drill", "data"), Output("hm-matrix-column", "value", allow_duplicate=True),
          Input({"type": "hm-drill-down", "index": ALL}, "n_clicks"),
          Input({"type": "hm-drill-up", "level": ALL}, "n_clicks"), State("hm-drill", "data"),
          State("hm-matrix-column", "value"), State("hm-dataset", "value"), State("hm-matrix-values", "data"),
          prevent_initial_call=True)
def drill(_down, _up, path, column, dataset_id, values):
    """Click a value to see the level below it (region → its branches); the path's links go back up."""
    trigger = ctx.triggered_id
    if not trigger or not ctx.triggered[0]["value"]:
        return no_update, no_update
    path = path or []
    if trigger["type"] == "hm-drill-up":
        level = trigger["level"]
        return path[:level], path[level]["column"] if level < len(path) else no_update
    sources = (str(workspace().datasets.get(int(dataset_id)).path),)
    children = {parent: child for child, parent in
                query.parents(sources, breaks.segment_columns(sources)).items()}
    if column not in children:
        return no_update, no_update
    return [*path, {"column": column, "value": values[trigger["index"]]}], children[column]


@callback(Output("hm-matrix", "children"), Output("hm-matrix-sort", "options"), Output("hm-drill-path", "children"),
          Output("hm-matrix-values", "data"),
          Input("hm-selection", "data"), Input("hm-matrix-column", "value"), Input("hm-matrix-sort", "value"),
          Input("hm-min-n", "value"), Input("hm-tabs", "active_tab"), Input("hm-benchmark-version", "data"),
          State("hm-drill", "data"))
def draw_matrix(selection, column, sort, min_n, tab, _benchmarks, path):
    """Touchpoints × segment values, coloured against the whole network, with n and low-n marks."""
    if tab != "matrix":
        return no_update, no_update, no_update, no_update  # computed when shown, so map changes stay fast
    chosen = _filters.resolve(selection)
    if chosen is None or not column:
        return "", [], "", []
    path = path or []
    filters = chosen.filters + tuple((step["column"], (step["value"],)) for step in path)
    min_n, metric, cache = _min_n(min_n), chosen.metric, workspace().cache
    cells = query.aggregate(chosen.query(by=("touchpoint", column), filters=filters), cache, min_n=min_n)
    totals = query.aggregate(chosen.query(filters=filters), cache, min_n=min_n)
    benchmarks = {}
    if filters:  # a filtered or drilled matrix keeps the whole network beside it as the benchmark
        network = heatmap.scores(chosen.journey, query.aggregate(chosen.query(filters=()), cache, min_n=min_n),
                                 metric)
        benchmarks["(benchmark)"] = network.loc[network["n"] > 0, ["touchpoint", "value", "n"]]
    external = workspace().benchmarks(selection["journey"])
    external = external[external["metric"] == metric]
    if len(external):
        benchmarks["(external)"] = external
    long = heatmap.matrix(chosen.journey, cells, totals, column, metric, benchmarks=benchmarks)
    values = [v for v in dict.fromkeys(long["segment"]) if v not in ("(network)", *HEADERS)]
    columns = ["(network)", *benchmarks, *values]
    sort_options = [{"label": _("journey order"), "value": "journey"}] + [
        {"label": _("{value} (lowest first)").format(value=HEADERS.get(v, v)), "value": v} for v in columns]
    sources = chosen.sources
    drillable = column in set(query.parents(sources, breaks.segment_columns(sources)).values())
    table = _matrix_table(chosen, long, columns, sort or "journey", drillable, metric, query.describe_filters(filters),
                          external["source"].iloc[0] if len(external) else None)
    crumbs = [html.Span(_("Drill-down: "), className="text-muted")]
    crumbs.append(dbc.Button(_("whole network"), id={"type": "hm-drill-up", "level": 0}, color="link", size="sm",
                             className="p-0 me-1"))
    for level, step in enumerate(path, 1):
        crumbs += [" › ", dbc.Button(f"{step['column']} {step['value']}", id={"type": "hm-drill-up", "level": level},
                                     color="link", size="sm", className="p-0 me-1")]
    if ctx.triggered_id == "hm-matrix-sort":  # re-sorting keeps the columns: leave the select alone
        return table, no_update, no_update, no_update
    return table, sort_options, crumbs, columns


@callback(Output("hm-benchmark-version", "data"), Output("hm-benchmark-message", "children"),
          Output("hm-benchmark-message", "color"), Output("hm-benchmark-message", "is_open"),
          Input("hm-benchmark-upload", "contents"), Input("hm-benchmark-remove", "n_clicks"),
          State("hm-benchmark-upload", "filename"), State("hm-selection", "data"), State("hm-benchmark-version", "data"),
          prevent_initial_call=True)
def import_benchmarks(contents, _remove, filename, selection, version):
    """Read a file of touchpoint; metric; value rows into the journey's benchmark, or remove it."""
    if not selection:
        return no_update, _("Choose a journey first."), "warning", True
    ws = workspace()
    if ctx.triggered_id == "hm-benchmark-remove":
        ws.replace_benchmarks(selection["journey"], [], "")
        return version + 1, _("The benchmark values were removed."), "info", True
    if not contents:
        return no_update, no_update, no_update, no_update
    path = None
    try:
        path = ws.datasets.receive(filename, limits.upload(contents, filename))
        values = benchmarks.read(path, ws.journey(selection["journey"]).journey)
    except (IngestError, ValueError) as error:
        return no_update, _("Nothing was imported: {error}").format(error=error), "danger", True
    finally:
        if path is not None:
            shutil.rmtree(path.parent, ignore_errors=True)
    ws.replace_benchmarks(selection["journey"], list(values.itertuples(index=False)), filename)
    metrics_found = ", ".join(sorted(set(values["metric"])))
    return version + 1, _("{count} benchmark values ({metrics}) from {file}.").format(
        count=len(values), metrics=metrics_found, file=filename), "success", True


def _matrix_table(chosen, long, columns: list[str], sort: str, drillable: bool, metric: str, scope: str,
                  external_source: str | None = None) -> html.Div:
    cells = {(row.touchpoint, row.segment): row for row in long.itertuples()}
    rated = [tp for tp in chosen.journey.touchpoints if (tp.key, "(network)") in cells
             and cells[(tp.key, "(network)")].n > 0]
    if sort in columns:
        rated.sort(key=lambda tp: (cells[(tp.key, sort)].value if (tp.key, sort) in cells
                                   and not cells[(tp.key, sort)].low_n else float("inf")))
    header = [html.Th(_("Touchpoint"), className="hm-sticky")]
    for position, value in enumerate(columns):
        if value in HEADERS:
            header.append(html.Th(HEADERS[value], className="text-center",
                                  title=scope if value == "(network)" and scope else external_source
                                  if value == "(external)" else None))
        elif drillable:
            header.append(html.Th(html.Button(value, id={"type": "hm-drill-down", "index": position},
                                              className="btn btn-link btn-sm p-0 hm-drill",
                                              title=_("Show the level below")), className="text-center"))
        else:
            header.append(html.Th(value, className="text-center"))
    body, stage_names = [], {s.key: s.name for s in chosen.journey.stages}
    last_stage = None
    for tp in rated:
        if sort == "journey" and tp.stage != last_stage:
            body.append(html.Tr(html.Td(stage_names.get(tp.stage, tp.stage), colSpan=len(columns) + 1,
                                        className="hm-stage")))
            last_stage = tp.stage
        row = [html.Td(tp.name, className="hm-sticky")]
        for value in columns:
            cell = cells.get((tp.key, value))
            if cell is None or math.isnan(cell.value):  # no answers
                row.append(html.Td("", className="hm-cell"))
                continue
            text = [html.Div(formatting.value(cell.value, metric)),
                    html.Div(f"n {cell.n}" if cell.n else "", className="hm-n")]
            row.append(html.Td(text, className="hm-cell hm-low-n" if cell.low_n else "hm-cell",
                               style={"background": cell.colour},
                               title=_("too few answers to judge") if cell.low_n else None))
        body.append(html.Tr(row))
    return html.Div(dbc.Table([html.Thead(html.Tr(header)), html.Tbody(body)], bordered=True, size="sm",
                              className="hm-table mb-0", id="hm-matrix-table"), className="hm-scroll")


def _min_n(value) -> int:
    try:
        return max(2, int(value))
    except (TypeError, ValueError):
        return 30

