"""Heatmap page: the journey coloured by score, where it breaks, a touchpoint's detail, and the segment matrix."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages import _busy, _empty, _filters, _locale
from cxweb.pages._context import new_action_href, workspace
from cxweb.pages._graph import HEATMAP_STYLESHEET, heatmap_elements
from workbench.core import formatting, i18n, metrics, uploads
from workbench.core.errors import IngestError
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _
from workbench.export import figures
from workbench.features import audits
from workbench.features import heatmap as features

dash.register_page(
    __name__,
    path="/heatmap",
    name=N_("Heatmap"),
    order=2,
    icon="fa-fire",
    title=lambda **_path: _("Heatmap · CX Journey Workbench"),
)

PRESET = {"name": "preset", "fit": True, "padding": 30, "animate": False}
KIND_NAMES = i18n.Labels(
    {
        "segment": N_("segment below the rest"),
        "step": N_("step drop"),
        "target": N_("below target"),
        "decline": N_("decline"),
    }
)
SHOWN_BREAKS = 8
HEADERS = i18n.Labels(
    {features.NETWORK: N_("Total"), features.WHOLE_NETWORK: N_("Whole network"), features.EXTERNAL: N_("Benchmark")}
)


# ------------------------------------------------------------------ layout


def layout(**query) -> html.Div:
    """Filter bar, compare controls, then tabs: journey map with breaks and detail, matrix, all breaks."""
    return html.Div(
        [
            dcc.Store(id="hm-touchpoint"),
            dcc.Store(id="hm-drill", data=[]),
            dcc.Store(id="hm-matrix-values", data=[]),
            dcc.Store(id="hm-break-items", data=[]),
            dcc.Store(id="hm-graph-resized"),
            _filters.filter_bar("hm", asked=query),
            html.Div(
                [
                    dbc.InputGroup(
                        [
                            dbc.InputGroupText(_("Compare with")),
                            dbc.Select(
                                id="hm-compare",
                                value="none",
                                options=[
                                    {"label": _("nothing"), "value": "none"},
                                    {"label": _("the period before"), "value": "previous"},
                                    {"label": _("a segment…"), "value": "segment"},
                                ],
                            ),
                        ],
                        size="sm",
                        className="w-auto",
                    ),
                    html.Div(
                        dcc.Dropdown(
                            labels=_locale.dropdown_labels(),
                            id="hm-compare-segment",
                            placeholder=_("segment to compare with"),
                        ),
                        id="hm-compare-segment-box",
                        style={"minWidth": "16rem", "display": "none"},
                    ),
                    html.Div(
                        dbc.InputGroup(
                            [
                                dbc.InputGroupText(_("Min n")),
                                dbc.Input(
                                    id="hm-min-n",
                                    type="number",
                                    min=2,
                                    step=1,
                                    value=30,
                                    debounce=True,
                                    style={"width": "5rem"},
                                ),
                            ],
                            size="sm",
                        ),
                        title=_("Scores from fewer answers are greyed and never judged"),
                    ),
                    dbc.RadioItems(
                        id="hm-layout",
                        value="compact",
                        inline=True,
                        className="small",
                        options=[
                            {"label": _("compact map"), "value": "compact"},
                            {"label": _("as drawn in the editor"), "value": "drawn"},
                        ],
                    ),
                    html.Div(
                        dbc.Switch(id="hm-audits", label=_("Second layer: Mystery shopping"), value=False),
                        id="hm-audits-box",
                        className="small",
                        style={"display": "none"},
                        title=_("Under each score, the share of the audit checklist done at that touchpoint"),
                    ),
                    html.Span(id="hm-summary", className="small text-muted ms-2"),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            dbc.Tabs(
                [
                    dbc.Tab(_map_tab(), label=_("Journey map"), tab_id="map"),
                    dbc.Tab(_matrix_tab(), label=_("Matrix"), tab_id="matrix"),
                    dbc.Tab(_breaks_tab(), label=_("Breaks"), tab_id="breaks"),
                ],
                id="hm-tabs",
                active_tab="map",
                className="mb-2",
            ),
        ]
    )


def _map_tab() -> html.Div:
    return html.Div(
        [
            _busy.busy(
                html.Div(
                    cyto.Cytoscape(
                        id="hm-graph",
                        elements=[],
                        layout=PRESET,
                        stylesheet=HEATMAP_STYLESHEET,
                        style={"width": "100%", "height": "calc(100vh - 250px)", "minHeight": "520px"},
                        minZoom=0.15,
                        maxZoom=2,
                        autoRefreshLayout=True,
                        boxSelectionEnabled=False,
                    ),
                    className="border rounded bg-white",
                ),
                delay_show=300,
            ),
            html.Div(id="hm-legend", className="small mt-1"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(
                                    [
                                        html.B(_("Where it breaks")),
                                        html.Span(id="hm-break-count", className="small text-muted ms-2"),
                                    ]
                                ),
                                dbc.CardBody(
                                    _busy.busy(html.Div(id="hm-break-list"), delay_show=300),
                                    className="p-2",
                                    style={"maxHeight": "640px", "overflowY": "auto"},
                                ),
                            ]
                        ),
                        xl=4,
                    ),
                    dbc.Col(html.Div(id="hm-detail"), xl=8),
                ],
                className="g-2 mt-1",
            ),
        ]
    )


def _matrix_tab() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    dbc.InputGroup(
                        [dbc.InputGroupText(_("Columns")), dbc.Select(id="hm-matrix-column")],
                        size="sm",
                        className="w-auto",
                    ),
                    dbc.InputGroup(
                        [
                            dbc.InputGroupText(_("Sort rows by")),
                            dbc.Select(id="hm-matrix-sort", value=features.JOURNEY_ORDER),
                        ],
                        size="sm",
                        className="w-auto",
                    ),
                    html.Div(id="hm-drill-path", className="small"),
                    dcc.Upload(
                        dbc.Button(
                            [html.I(className="fa-solid fa-file-import me-1"), _("Import benchmark values")],
                            color="secondary",
                            outline=True,
                            size="sm",
                        ),
                        id="hm-benchmark-upload",
                        className="ms-auto",
                        multiple=False,
                    ),
                    dbc.Button(_("Remove benchmark"), id="hm-benchmark-remove", color="link", size="sm"),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            dbc.Alert(id="hm-benchmark-message", is_open=False, dismissable=True, className="py-2 small"),
            dcc.Store(id="hm-benchmark-version", data=0),
            _busy.busy(html.Div(id="hm-matrix", className="hm-matrix"), delay_show=300),
        ]
    )


def _breaks_tab() -> html.Div:
    def number(id_: str, label: str, value, title: str) -> html.Div:
        return html.Div(
            dbc.InputGroup(
                [
                    dbc.InputGroupText(label),
                    _locale.decimal_input(id_, value, debounce=True, style={"width": "6rem"}),
                ],
                size="sm",
            ),
            title=title,
        )

    return html.Div(
        [
            html.Div(
                [
                    number(
                        "hm-alpha",
                        _("False discovery rate"),
                        0.05,
                        _("Benjamini–Hochberg: the expected share of false alarms among the breaks listed"),
                    ),
                    number(
                        "hm-min-delta",
                        _("Smallest difference"),
                        None,
                        _("Differences smaller than this (in the metric's points) are not listed"),
                    ),
                    dbc.Checklist(
                        id="hm-kinds",
                        value=list(features.BREAK_KINDS),
                        inline=True,
                        className="small",
                        options=[{"label": KIND_NAMES[k], "value": k} for k in features.BREAK_KINDS],
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-3 mb-2",
            ),
            html.P(
                _(
                    "A break is listed when its difference is statistically significant after the "
                    "Benjamini–Hochberg correction over all tests of the list, at least the smallest difference large, "
                    "and based on at least the minimum n on both sides. Where the survey has branches, answers of "
                    "one branch and month count as one cluster (a respondent's answers, without branches), so a "
                    "branch's good or bad month is not mistaken for a break; the design effect says how much wider "
                    "that made the interval."
                ),
                className="small text-muted",
            ),
            html.P(id="hm-breaks-wave", className="small text-muted"),
            _busy.busy(html.Div(id="hm-break-table"), delay_show=300),
        ]
    )


_filters.register("hm")


# ------------------------------------------------------------------ map


dash.clientside_callback(
    "function(elements) { if (window.cy) { window.cy.resize(); } return null; }",
    Output("hm-graph-resized", "data"),
    Input("hm-graph", "elements"),
)


@callback(
    Output("hm-compare-segment-box", "style"),
    Output("hm-compare-segment", "options"),
    Input("hm-compare", "value"),
    Input("hm-segments", "options"),
)
def show_compare_segment(mode, options):
    """The segment picker only matters when comparing with a segment."""
    return {"minWidth": "16rem", "display": "block" if mode == "segment" else "none"}, options or []


@callback(Output("hm-audits-box", "style"), Input("hm-selection", "data"))
def offer_audits(selection):
    """The second layer is offered in a project holding mystery-shopping audits."""
    shown = bool(selection) and audits.has_audits(workspace(), selection["project"])
    return {"display": "block" if shown else "none"}


@callback(
    Output("hm-graph", "elements"),
    Output("hm-legend", "children"),
    Output("hm-summary", "children"),
    Input("hm-selection", "data"),
    Input("hm-compare", "value"),
    Input("hm-compare-segment", "value"),
    Input("hm-min-n", "value"),
    Input("hm-break-items", "data"),
    Input("hm-layout", "value"),
    Input("hm-min-delta", "value"),
    Input("hm-audits", "value"),
)
def draw_map(selection, mode, compare_segment, min_n, break_items, layout, min_delta=None, second_layer=False):
    """Colour every touchpoint by its score against its target, mark steps that drop and breaks."""
    chosen = _filters.resolve(selection)
    if chosen is None:
        return [], "", _("Choose a project with a journey and survey data.")
    drawn = features.journey_map(
        workspace(),
        chosen,
        compare=mode,
        compare_segment=compare_segment,
        minimum=features.min_n(min_n),
        broken={item["touchpoint"] for item in break_items or []},
        drawn=layout == "drawn",
        min_delta=_locale.decimal_or_none(min_delta),
        second_layer=bool(second_layer),
    )
    return (
        heatmap_elements(drawn.journey, drawn.nodes, drawn.edges, lanes=drawn.lanes),
        _legend(chosen.metric, drawn.legend, drawn.comparing, bool(second_layer)),
        drawn.summary,
    )


def _legend(metric: str, colours: list[tuple[str, str]], comparing: bool, audited: bool = False) -> list:
    """Colour swatches in the metric's units and the marks used on nodes and edges."""

    def swatch(style: dict, text: str) -> html.Span:
        return html.Span([html.Span(className="je-swatch", style=style), text], className="me-3 text-nowrap")

    items = [html.B(_("{metric} against target:").format(metric=metrics.NAMES[metric]) + " ", className="me-2")]
    for colour, text in colours:
        border = "1px dashed #6c757d" if colour == features.LOW_N_COLOUR else "1px solid #adb5bd"
        items.append(swatch({"background": colour, "border": border}, text))
    items += [
        swatch({"border": "3px solid #b02a37"}, _("⚠ break listed")),
        html.Span(_("⚑ open improvement actions"), className="me-3 text-nowrap"),
        swatch(
            {"borderTop": "3px solid #dc3545", "height": 0},
            _("significant drop along the journey, at least the smallest difference"),
        ),
    ]
    if comparing:
        items += [
            swatch({"background": "#0d6efd", "opacity": 0.55}, _("▲ significantly better")),
            swatch({"background": "#dc3545", "opacity": 0.55}, _("▼ significantly worse")),
        ]
    if audited:
        items.append(
            html.Span(
                ngettext(
                    "✓ audits: mystery-shopping compliance in the same period, points scored out of the maximum "
                    "(interval 95 %); ◌ fewer than {n} visit.",
                    "✓ audits: mystery-shopping compliance in the same period, points scored out of the maximum "
                    "(interval 95 %); ◌ fewer than {n} visits.",
                    metrics.DEFAULT_MIN_N,
                ).format(n=formatting.count(metrics.DEFAULT_MIN_N)),
                className="me-3",
            )
        )
    items.append(
        html.Span(
            _("No target: coloured against the journey average. Score ± margin of error (95 %) · n."),
            className="text-muted",
        )
    )
    return items


# ------------------------------------------------------------------ breaks


@callback(
    Output("hm-break-items", "data"),
    Output("hm-break-list", "children"),
    Output("hm-break-count", "children"),
    Output("hm-break-table", "children"),
    Input("hm-selection", "data"),
    Input("hm-min-n", "value"),
    Input("hm-alpha", "value"),
    Input("hm-min-delta", "value"),
    Input("hm-kinds", "value"),
)
def list_breaks(selection, min_n, alpha, min_delta, kinds):
    """The ranked breaks: the top few beside the map, all of them with their evidence on the Breaks tab."""
    chosen = _filters.resolve(selection)
    if chosen is None:
        return [], "", "", ""
    found = features.find_breaks(
        workspace(),
        chosen,
        features.break_settings(
            chosen.metric, min_n, _locale.decimal_or_none(alpha), _locale.decimal_or_none(min_delta), kinds
        ),
    )
    items = [{"touchpoint": f.item.touchpoint, "column": f.item.column, "segment": f.item.segment} for f in found]
    if not found:
        empty = html.P(
            _("No break: nothing is significantly worse by at least the smallest difference."),
            className="text-muted small m-2",
        )
        return [], empty, "", empty
    journey_id = selection["journey"]
    shown = [
        dbc.ListGroupItem(
            [
                html.Small(KIND_NAMES[f.item.kind], className="text-uppercase text-muted d-block"),
                f.item.sentence,
                " ",
                _action_link(f.draft, journey_id),
            ],
            id={"type": "hm-break", "index": i},
            action=True,
            className="small py-2",
        )
        for i, f in enumerate(found[:SHOWN_BREAKS])
    ]
    more = (
        []
        if len(found) <= SHOWN_BREAKS
        else [
            html.P(
                ngettext(
                    "…and {count} more on the Breaks tab.",
                    "…and {count} more on the Breaks tab.",
                    len(found) - SHOWN_BREAKS,
                ).format(count=formatting.count(len(found) - SHOWN_BREAKS)),
                className="small text-muted m-2",
            )
        ]
    )
    count = ngettext("{count} found", "{count} found", len(found)).format(count=formatting.count(len(found)))
    return items, [dbc.ListGroup(shown, flush=True), *more], count, _break_table(found, journey_id)


@callback(Output("hm-breaks-wave", "children"), Input("hm-selection", "data"))
def explain_declines(selection):
    """A survey that is one wave without dates has no period before, so no decline can be found in it."""
    chosen = _filters.resolve(selection)
    return features.decline_note(chosen) if chosen is not None else ""


def _action_link(draft, journey_id: int) -> dcc.Link:
    """'+ action': opens a new card on the Actions page, pre-filled from a break or a touchpoint."""
    return dcc.Link(
        [html.I(className="fa-solid fa-plus me-1"), _("action")],
        href=new_action_href(draft, journey_id),
        className="badge text-bg-light border text-decoration-none cx-new-action",
        title=_("Create an improvement action from this"),
    )


def _break_table(found: list[features.FoundBreak], journey_id: int) -> dbc.Table:
    metric = found[0].item.metric
    header = html.Thead(
        html.Tr(
            [
                html.Th(t)
                for t in (
                    "#",
                    _("Kind"),
                    _("Touchpoint"),
                    _("Segment"),
                    _("Since"),
                    _("Score"),
                    _("Compared with"),
                    _("Difference"),
                    features.interval_label(found),
                    html.Span(
                        _("Design effect"),
                        title=_(
                            "How much wider the interval is because answers of one branch (and month) or one "
                            "respondent are not independent, and how many such clusters the test had"
                        ),
                    ),
                    "n",
                    "p",
                    "q",
                    _("In words"),
                )
            ]
        )
    )
    rows = []
    for i, f in enumerate(found, 1):
        b = f.item
        rows.append(
            html.Tr(
                [
                    html.Td(i),
                    html.Td(KIND_NAMES[b.kind]),
                    html.Td(b.touchpoint),
                    html.Td(f"{b.column} {b.segment}" if b.column else ""),
                    html.Td(formatting.date(b.since) if b.since else ""),
                    html.Td(formatting.value(b.value, metric)),
                    html.Td(formatting.value(b.reference, metric)),
                    html.Td(formatting.value(b.delta, metric, signed=True)),
                    html.Td(
                        f"{formatting.value(b.low, metric, signed=True)} … "
                        f"{formatting.value(b.high, metric, signed=True)}"
                    ),
                    html.Td(features.clustering_note(b), className="text-nowrap"),
                    html.Td(formatting.count(b.n)),
                    html.Td(figures.significant(b.p_value, 2)),
                    html.Td(figures.significant(b.q_value, 2)),
                    html.Td(b.sentence, className="small"),
                    html.Td(_action_link(f.draft, journey_id)),
                ]
            )
        )
    return dbc.Table(
        [header, html.Tbody(rows)], size="sm", hover=True, responsive=True, className="small", id="hm-break-rows"
    )


# ------------------------------------------------------------------ touchpoint detail


@callback(
    Output("hm-touchpoint", "data"),
    Input("hm-graph", "tapNodeData"),
    Input({"type": "hm-break", "index": ALL}, "n_clicks"),
    State("hm-break-items", "data"),
    prevent_initial_call=True,
)
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


@callback(
    Output("hm-detail", "children"),
    Input("hm-touchpoint", "data"),
    Input("hm-selection", "data"),
    Input("hm-min-n", "value"),
)
def show_detail(chosen_touchpoint, selection, min_n):
    """The touchpoint's card: trend with interval band, answer distribution, segment breakdown, comments."""
    chosen = _filters.resolve(selection)
    key = (chosen_touchpoint or {}).get("key")
    if chosen is None or not key:
        return html.P(
            _("Click a touchpoint or a break to see its trend, answers, segments and comments."),
            className="small text-muted",
        )
    card = features.touchpoint_card(chosen, key, chosen_touchpoint.get("column"))
    if card is None:
        return ""
    if card.no_trend:  # one point on empty axes would look like a chart
        trend = html.P(card.no_trend, id="hm-trend-note", className="small text-muted")
    else:
        found = features.trend(
            workspace(),
            chosen,
            key,
            features.min_n(min_n),
            chosen_touchpoint.get("column"),
            chosen_touchpoint.get("segment"),
        )
        trend = dcc.Graph(
            id="hm-trend", figure=figures.trend(found), config={"displayModeBar": False}, style={"height": "260px"}
        )
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.B(card.name, id="hm-detail-title"),
                    html.Span(f" · {card.owner}" if card.owner else "", className="text-muted small me-2"),
                    _action_link(card.draft, selection["journey"]),
                ]
            ),
            dbc.CardBody(
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                html.H6(
                                    _("Trend (all months up to the end of the period)"), className="small text-muted"
                                ),
                                trend,
                            ],
                            lg=6,
                        ),
                        dbc.Col(
                            [
                                html.H6(_("Answers in the period"), className="small text-muted"),
                                dcc.Graph(
                                    id="hm-distribution",
                                    figure=figures.distribution(features.distribution(chosen, key)),
                                    config={"displayModeBar": False},
                                    style={"height": "260px"},
                                ),
                            ],
                            lg=6,
                        ),
                        dbc.Col(
                            [
                                html.Div(
                                    [
                                        html.H6(_("By segment"), className="small text-muted mb-0 me-2"),
                                        dbc.Select(
                                            id="hm-breakdown-column",
                                            size="sm",
                                            style={"width": "auto"},
                                            options=[{"label": c, "value": c} for c in card.columns],
                                            value=card.column,
                                        ),
                                    ],
                                    className="d-flex align-items-center mb-1",
                                ),
                                dcc.Graph(
                                    id="hm-breakdown", config={"displayModeBar": False}, style={"height": "320px"}
                                ),
                            ],
                            lg=6,
                        ),
                        dbc.Col(
                            [
                                html.H6(_("Latest comments"), className="small text-muted"),
                                html.Div(
                                    _comments(features.comments(chosen, key)),
                                    style={"maxHeight": "330px", "overflowY": "auto"},
                                ),
                            ],
                            lg=6,
                        ),
                    ],
                    className="g-2",
                )
            ),
        ],
        id="hm-detail-card",
    )


@callback(
    Output("hm-breakdown", "figure"),
    Input("hm-breakdown-column", "value"),
    State("hm-touchpoint", "data"),
    State("hm-selection", "data"),
    State("hm-min-n", "value"),
)
def show_breakdown(column, chosen_touchpoint, selection, min_n):
    """The touchpoint's score per value of a segment column, with intervals; low n in grey."""
    chosen = _filters.resolve(selection)
    key = (chosen_touchpoint or {}).get("key")
    if chosen is None or not key or not column:
        return figures.empty()
    return figures.breakdown(features.breakdown(workspace(), chosen, key, column, features.min_n(min_n)))


def _comments(found: list[features.Comment]) -> list:
    """The newest comments as plain text (never HTML), with date, scores and segments."""
    if not found:
        return [html.P(_("No comments in the period."), className="small text-muted")]
    return [
        html.Div(
            [
                html.Div(
                    [
                        html.Span(formatting.date(item.when), className="me-2"),
                        html.B(item.scores, className="me-2"),
                        html.Span(item.where, className="text-muted"),
                    ],
                    className="small",
                ),
                html.P(item.text, className="mb-2 small hm-comment"),
            ],
            className="border-bottom pt-1",
        )
        for item in found
    ]


# ------------------------------------------------------------------ matrix


@callback(
    Output("hm-matrix-column", "options"),
    Output("hm-matrix-column", "value"),
    Input("hm-dataset", "value"),
    State("hm-matrix-column", "value"),
)
def matrix_columns(dataset_id, current):
    """The segment columns that can be spread across the matrix (regions first when there are any)."""
    if not dataset_id:
        return [], None
    columns, shown = features.matrix_columns(workspace(), int(dataset_id), current)
    return [{"label": c, "value": c} for c in columns], shown


@callback(
    Output("hm-drill", "data"),
    Output("hm-matrix-column", "value", allow_duplicate=True),
    Input({"type": "hm-drill-down", "index": ALL}, "n_clicks"),
    Input({"type": "hm-drill-up", "level": ALL}, "n_clicks"),
    State("hm-drill", "data"),
    State("hm-matrix-column", "value"),
    State("hm-selection", "data"),
    State("hm-matrix-values", "data"),
    prevent_initial_call=True,
)
def drill(_down, _up, path, column, selection, values):
    """Click a value to see the level below it (region → its branches); the path's links go back up."""
    trigger = ctx.triggered_id
    if not trigger or not ctx.triggered[0]["value"]:
        return no_update, no_update
    path = path or []
    if trigger["type"] == "hm-drill-up":
        level = trigger["level"]
        return path[:level], path[level]["column"] if level < len(path) else no_update
    chosen = _filters.resolve(selection)
    below = features.drill_down(chosen, column) if chosen is not None else None
    if below is None:
        return no_update, no_update
    return [*path, {"column": column, "value": values[trigger["index"]]}], below


@callback(
    Output("hm-matrix", "children"),
    Output("hm-matrix-sort", "options"),
    Output("hm-drill-path", "children"),
    Output("hm-matrix-values", "data"),
    Input("hm-selection", "data"),
    Input("hm-matrix-column", "value"),
    Input("hm-matrix-sort", "value"),
    Input("hm-min-n", "value"),
    Input("hm-tabs", "active_tab"),
    Input("hm-benchmark-version", "data"),
    State("hm-drill", "data"),
)
def draw_matrix(selection, column, sort, min_n, tab, _benchmarks, path):
    """Touchpoints × segment values, coloured against the whole network, with n and low-n marks."""
    if tab != "matrix":
        return no_update, no_update, no_update, no_update  # computed when shown, so map changes stay fast
    chosen = _filters.resolve(selection)
    if chosen is not None and not column and not chosen.segment_columns():
        return _empty.notice(_empty.NO_SEGMENTS, "hm-no-segments"), [], "", []
    if chosen is None or not column:
        return "", [], "", []
    path = path or []
    found = features.segment_matrix(
        workspace(), chosen, column, features.min_n(min_n), tuple((step["column"], step["value"]) for step in path)
    )
    sort_options = [{"label": _("journey order"), "value": features.JOURNEY_ORDER}] + [
        {"label": _("{value} (lowest first)").format(value=HEADERS.get(v, v)), "value": v} for v in found.columns
    ]
    table = _matrix_table(chosen.journey, found, sort or features.JOURNEY_ORDER)
    crumbs = [html.Span(_("Drill-down: "), className="text-muted")]
    crumbs.append(
        dbc.Button(
            _("whole network"), id={"type": "hm-drill-up", "level": 0}, color="link", size="sm", className="p-0 me-1"
        )
    )
    for level, step in enumerate(path, 1):
        crumbs += [
            " › ",
            dbc.Button(
                f"{step['column']} {step['value']}",
                id={"type": "hm-drill-up", "level": level},
                color="link",
                size="sm",
                className="p-0 me-1",
            ),
        ]
    if ctx.triggered_id == "hm-matrix-sort":  # re-sorting keeps the columns: leave the select alone
        return table, no_update, no_update, no_update
    return table, sort_options, crumbs, found.columns


@callback(
    Output("hm-benchmark-version", "data"),
    Output("hm-benchmark-message", "children"),
    Output("hm-benchmark-message", "color"),
    Output("hm-benchmark-message", "is_open"),
    Input("hm-benchmark-upload", "contents"),
    Input("hm-benchmark-remove", "n_clicks"),
    State("hm-benchmark-upload", "filename"),
    State("hm-selection", "data"),
    State("hm-benchmark-version", "data"),
    prevent_initial_call=True,
)
def import_benchmarks(contents, _remove, filename, selection, version):
    """Read a file of touchpoint; metric; value rows into the journey's benchmark, or remove it."""
    if not selection:
        return no_update, _("Choose a journey first."), "warning", True
    if ctx.triggered_id == "hm-benchmark-remove":
        features.remove_benchmarks(workspace(), selection["journey"])
        return version + 1, _("The benchmark values were removed."), "info", True
    if not contents:
        return no_update, no_update, no_update, no_update
    try:
        values = features.import_benchmarks(
            workspace(), selection["journey"], filename, uploads.decode(contents, filename)
        )
    except (IngestError, ValueError) as error:
        return no_update, _("Nothing was imported: {error}").format(error=error), "danger", True
    metrics_found = ", ".join(sorted(set(values["metric"])))
    return (
        version + 1,
        ngettext(
            "{count} benchmark value ({metrics}) from {file}.",
            "{count} benchmark values ({metrics}) from {file}.",
            len(values),
        ).format(count=formatting.count(len(values)), metrics=metrics_found, file=filename),
        "success",
        True,
    )


def _matrix_table(journey, found: features.Matrix, sort: str) -> html.Div:
    cells = {(row.touchpoint, row.segment): row for row in found.cells.itertuples()}
    columns, metric = found.columns, found.metric
    header = [html.Th(_("Touchpoint"), className="hm-sticky")]
    for position, value in enumerate(columns):
        if value in HEADERS:
            title = (
                found.scope
                if value == features.NETWORK and found.scope
                else found.external_source or None
                if value == features.EXTERNAL
                else None
            )
            header.append(html.Th(HEADERS[value], className="text-center", title=title))
        elif found.drillable:
            header.append(
                html.Th(
                    html.Button(
                        value,
                        id={"type": "hm-drill-down", "index": position},
                        className="btn btn-link btn-sm p-0 hm-drill",
                        title=_("Show the level below"),
                    ),
                    className="text-center",
                )
            )
        else:
            header.append(html.Th(value, className="text-center"))
    body, stage_names = [], {s.key: s.name for s in journey.stages}
    last_stage = None
    for tp in features.matrix_rows(journey, found.cells, sort):
        if sort == features.JOURNEY_ORDER and tp.stage != last_stage:
            body.append(
                html.Tr(html.Td(stage_names.get(tp.stage, tp.stage), colSpan=len(columns) + 1, className="hm-stage"))
            )
            last_stage = tp.stage
        row = [html.Td(tp.name, className="hm-sticky")]
        for value in columns:
            cell = cells.get((tp.key, value))
            if cell is None or cell.value != cell.value:  # no answers (NaN)
                row.append(html.Td("", className="hm-cell"))
                continue
            text = [
                html.Div(formatting.value(cell.value, metric)),
                html.Div(f"n {formatting.count(cell.n)}" if cell.n else "", className="hm-n"),
            ]
            row.append(
                html.Td(
                    text,
                    className="hm-cell hm-low-n" if cell.low_n else "hm-cell",
                    style={"background": cell.colour},
                    title=_("too few answers to judge") if cell.low_n else None,
                )
            )
        body.append(html.Tr(row))
    return html.Div(
        dbc.Table(
            [html.Thead(html.Tr(header)), html.Tbody(body)],
            bordered=True,
            size="sm",
            className="hm-table mb-0",
            id="hm-matrix-table",
        ),
        className="hm-scroll",
    )
