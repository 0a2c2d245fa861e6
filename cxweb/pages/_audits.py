"""The Mystery shopping tab of the Reviews & audits page: import an audit export onto the journey, compliance with
its intervals by touchpoint, section, item and branch, the branches whose compliance fell, and branch compliance
against the branch's customers' score."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from cxweb.pages import _busy
from cxweb.pages._context import workspace
from cxweb.pages._pickers import project_picker, sample_picker
from workbench.core import formatting, uploads
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.export import figures
from workbench.features import audits as features
from workbench.features.data import sample_path

LOW_N = "◌"


def layout() -> html.Div:
    """Project and journey, the import form, then the compliance tables and the link with customers' scores."""
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        _group(
                            _("Project"), project_picker("au-project", persistence=True, persistence_type="session")
                        ),
                        md=4,
                    ),
                    dbc.Col(_group(_("Journey"), dbc.Select(id="au-journey")), md=4),
                ],
                className="g-2 mb-2",
            ),
            dbc.Card(
                [
                    dbc.CardHeader(html.B(_("Import a mystery-shopping export"))),
                    dbc.CardBody(
                        [
                            html.P(
                                _(
                                    "CSV or Excel, a row per checklist item (visit, branch, date, auditor, section, "
                                    "item, result, max points) or a row per visit with a column per item headed "
                                    "“Section: Item (max 5)”. Results: yes/no, ano/ne, tak/nie, pass/fail or "
                                    "points; n/a, nehodnoceno and nie dotyczy leave an item out."
                                ),
                                className="small text-muted mb-2",
                            ),
                            dcc.Upload(
                                id="au-upload",
                                multiple=False,
                                className="border border-dashed rounded p-3 text-center mb-2",
                                children=html.Div(
                                    [
                                        html.I(className="fa-solid fa-file-arrow-up me-2"),
                                        html.Span(_("Drop the audit file here or click to choose it"), id="au-file"),
                                    ]
                                ),
                            ),
                            sample_picker("au-sample", "audit"),
                            dbc.Label(
                                _(
                                    "Sections or items on touchpoints, one a line (a section of a "
                                    "touchpoint's very name needs none)"
                                ),
                                className="small mb-1",
                            ),
                            dbc.Textarea(
                                id="au-mapping",
                                placeholder=_("Pick-up desk = Pick-up point collection"),
                                rows=3,
                                className="mb-1",
                            ),
                            html.Div(id="au-touchpoints", className="small text-muted mb-2"),
                            dbc.InputGroup(
                                [
                                    dbc.InputGroupText(_("Dataset name")),
                                    dbc.Input(id="au-name", placeholder=_(features.DEFAULT_NAME)),
                                    dbc.Button(_("Import"), id="au-import", color="primary"),
                                ],
                                size="sm",
                                className="mb-2",
                            ),
                            _busy.busy(html.Div(id="au-report"), delay_show=300),
                        ]
                    ),
                ],
                className="mb-3",
            ),
            _group(_("Audits"), dbc.Select(id="au-dataset")),
            _busy.busy(html.Div(id="au-view", className="mt-2"), delay_show=300),
            dbc.Card(
                [
                    dbc.CardHeader(html.B(_("Branch compliance and the customers' score"))),
                    dbc.CardBody(
                        [
                            dbc.Row(
                                [
                                    dbc.Col(_group(_("Survey"), dbc.Select(id="au-survey")), md=5),
                                    dbc.Col(_group(_("Metric"), dbc.Select(id="au-metric")), md=3),
                                ],
                                className="g-2 mb-2",
                            ),
                            dcc.Graph(
                                id="au-scatter",
                                figure=figures.empty(),
                                config={"displaylogo": False},
                                style={"height": "420px"},
                            ),
                            html.P(id="au-link", className="small"),
                        ]
                    ),
                ],
                className="mt-3",
            ),
        ]
    )


def _group(label: str, control) -> dbc.InputGroup:
    return dbc.InputGroup([dbc.InputGroupText(label), control], size="sm")


def _options(choices) -> list[dict]:
    return [{"label": c.label, "value": c.value} for c in choices]


def _first(choices):
    return choices[0].value if choices else None


@callback(
    Output("au-journey", "options"),
    Output("au-journey", "value"),
    Output("au-dataset", "options"),
    Output("au-dataset", "value"),
    Output("au-survey", "options"),
    Output("au-survey", "value"),
    Output("au-metric", "options"),
    Output("au-metric", "value"),
    Input("au-project", "value"),
    Input("au-report", "children"),
)
def choose_project(project_id, _report):
    """The project's journeys, audit datasets (newest first), surveys with a branch column and their metrics."""
    if not project_id:
        return [], None, [], None, [], None, [], None
    found = features.choices(workspace(), int(project_id))
    return (
        _options(found.journeys), _first(found.journeys), _options(found.audits), _first(found.audits),
        _options(found.surveys), _first(found.surveys), _options(found.metrics), _first(found.metrics),
    )  # fmt: skip


@callback(Output("au-touchpoints", "children"), Input("au-journey", "value"))
def list_touchpoints(journey_id):
    """The journey's touchpoints a section can be put on."""
    if not journey_id:
        return ""
    named = features.touchpoints(workspace(), int(journey_id))
    return _("Touchpoints: {names}").format(names=", ".join(f"{name} ({key})" for key, name in named.items()))


@callback(Output("au-file", "children"), Input("au-upload", "filename"))
def show_file(filename):
    """The chosen file's name in the drop zone (text, never markup)."""
    return filename or _("Drop the audit file here or click to choose it")


@callback(
    Output("au-report", "children"),
    Input("au-import", "n_clicks"),
    State("au-upload", "contents"),
    State("au-upload", "filename"),
    State("au-mapping", "value"),
    State("au-name", "value"),
    State("au-project", "value"),
    State("au-journey", "value"),
    State("au-sample", "value"),
    prevent_initial_call=True,
)
def import_file(_clicks, contents, filename, mapping, name, project_id, journey_id, sample):
    """Import the uploaded export (else the chosen sample); its report, or what is wrong with it (file, row,
    column), in words."""
    if not (project_id and journey_id):
        return dbc.Alert(_("Choose a project with a journey first."), color="warning", className="py-2")
    try:
        chosen = sample_path(sample, "audit") if contents is None else None
        source = chosen or (uploads.decode(contents, filename), filename or "")
        journey = features.touchpoints(workspace(), int(journey_id))
        info = features.import_audits(
            workspace(), int(project_id), int(journey_id), source, features.parse_mapping(mapping, journey), name
        )
    except ValueError as error:
        return dbc.Alert(str(error), color="danger", className="py-2 au-error")
    lines = features.import_summary(info)
    head = _("Imported as “{name}” version {version}.").format(name=info.name, version=info.version)
    return dbc.Alert(
        [html.B(head), html.Ul([html.Li(line) for line in lines], className="mb-0")],
        color="success",
        className="py-2 au-imported",
    )


@callback(Output("au-view", "children"), Input("au-dataset", "value"))
def show_view(dataset_id):
    """Compliance tables lowest first, and the branches whose compliance fell."""
    if not dataset_id:
        return dbc.Alert(
            _("This project has no mystery-shopping audits yet: import an export above."),
            color="info",
            className="py-2",
        )
    try:
        shown = features.view(workspace(), int(dataset_id))
    except ValueError as error:  # not an audit dataset, or one this person may not read
        return dbc.Alert(str(error), color="warning", className="py-2")
    tabs = [
        dbc.Tab(_table(shown.tables[group]), label=_(title), tab_id=group) for group, title in features.TABLES.items()
    ]
    return html.Div(
        [
            html.Ul([html.Li(line) for line in shown.summary], className="small text-muted"),
            dbc.Tabs(tabs, active_tab="touchpoint", className="mb-2"),
            html.P(shown.note, className="small text-muted"),
            html.H6(_("Branches whose compliance fell")),
            _falling(shown.falling),
        ]
    )


def _grid(headers: list[str], rows: list[html.Tr], class_name: str) -> dbc.Table:
    """A small table of the tab: its column names and its rows."""
    head = html.Thead(html.Tr([html.Th(name) for name in headers]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, className=class_name)


def _table(rows: list[features.Row]) -> dbc.Table:
    lines = [
        html.Tr(
            [
                html.Td(row.name),
                html.Td(
                    f"{row.share} {LOW_N}" if row.low_n else row.share,
                    title=_("Fewer visits than a judgement needs") if row.low_n else None,
                ),
                html.Td(row.interval),
                html.Td(row.visits),
                html.Td(row.items),
            ],
            className="text-muted" if row.low_n else None,
        )
        for row in rows
    ]
    headers = [_("Name"), _("Compliance"), _("Interval (95 %)"), _("Visits"), _("Items")]
    return _grid(headers, lines, "au-table")


def _falling(rows: list[features.Falling]):
    if not rows:
        return html.P(
            _(
                "No branch's compliance fell significantly in its last three months (false-discovery rate 5 %, "
                "over the branches)."
            ),
            className="small text-muted",
        )
    headers = [
        _("Branch"),
        _("Last 3 months"),
        _("3 months before"),
        _("Change (percentage points)"),
        _("Interval (95 %)"),
        _("Visits (last / before)"),
    ]
    lines = [
        html.Tr([html.Td(v) for v in (r.branch, r.recent, r.before, r.change, r.interval, r.visits)]) for r in rows
    ]
    note = html.P(
        _(
            "Listed when the fall is significant at a false-discovery rate of 5 % (over all branches compared, "
            "Benjamini–Hochberg): of such a list, about 1 in 20 may be chance."
        ),
        className="small text-muted",
    )
    return html.Div([_grid(headers, lines, "au-falling"), note])


@callback(
    Output("au-scatter", "figure"),
    Output("au-link", "children"),
    Input("au-dataset", "value"),
    Input("au-survey", "value"),
    Input("au-metric", "value"),
)
def show_link(dataset_id, survey_id, metric):
    """Each branch's compliance against its customers' mean score, with r and its interval."""
    if not (dataset_id and survey_id and metric):
        return figures.empty(_("Choose audits and a survey with a branch column.")), ""
    try:
        link = features.branch_link(workspace(), int(dataset_id), int(survey_id), metric)
    except ValueError as error:
        return figures.empty(str(error)), ""
    if link.points.empty:
        return figures.empty(link.text), link.text
    return _scatter(link), link.text


LABELLED = 12  # branches named beside their points; more would overlap, and the hover names each


def _scatter(link: features.BranchLink):
    import plotly.graph_objects as go

    from workbench.core import metrics

    points = link.points
    names = [figures.label(branch) for branch in points["branch"]]
    metric = metrics.metric(link.metric).name()
    hover = [
        "<br>".join(
            [
                name,
                ngettext("Compliance {share} · {n} visit", "Compliance {share} · {n} visits", visits).format(
                    share=formatting.percent(100 * share), n=formatting.count(visits)
                ),
                f"{metric} {formatting.value(score, link.metric)} · n {formatting.count(answers)}",
            ]
        )
        for name, share, score, visits, answers in zip(
            names, points["compliance"], points["score"], points["visits"], points["answers"], strict=True
        )
    ]
    figure = go.Figure(
        go.Scatter(
            x=100 * points["compliance"], y=points["score"], mode="markers+text" if len(names) <= LABELLED else "markers",
            text=names,
            textposition="top center", hovertext=hover, hoverinfo="text", marker={"size": 11, "color": "#0d6efd"},
        )
    )  # fmt: skip
    figure.update_layout(
        separators=formatting.plotly_separators(),
        xaxis={"title": _("Mystery-shopping compliance (%)"), "ticksuffix": " %"},
        yaxis={"title": metric},
        plot_bgcolor="white",
        paper_bgcolor="white",
        margin={"l": 60, "r": 20, "t": 20, "b": 50},
    )
    return figure
