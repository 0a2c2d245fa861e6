"""The Reviews tab of the Reviews & audits page: import a review export onto a journey's touchpoints, see what the
import did, and the reply KPIs per branch and platform."""

from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from cxweb.pages import _busy
from cxweb.pages._context import workspace
from cxweb.pages._filters import group
from cxweb.pages._pickers import journey_options, project_picker, sample_picker
from workbench.core import formatting, uploads
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.features import reviews
from workbench.features.data import sample_path

HOURS_SHOWN = 48  # a median reply time up to two days is shown in hours, a longer one in days


def layout() -> html.Div:
    """Project and journey, the import form, its report, then the chosen reviews dataset's reply KPIs."""
    return html.Div(
        [
            dcc.Store(id="rv-imported"),
            html.Div(
                [
                    group(_("Project"), project_picker("rv-project", persistence=True, persistence_type="session")),
                    group(_("Journey"), dbc.Select(id="rv-journey", options=[])),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-3",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H5(_("Import a review export"), className="card-title"),
                        html.P(
                            _(
                                "CSV, XLSX or JSON from Google, Facebook, the app stores or a review tool: a date, "
                                "the platform, the location, the stars and the text; a reply and its date if the "
                                "export has them. A review already imported is replaced by its newer version."
                            ),
                            className="small text-muted",
                        ),
                        dcc.Upload(
                            id="rv-upload",
                            multiple=False,
                            className="border border-dashed rounded p-3 text-center mb-2",
                            children=html.Div(
                                [html.I(className="fa-solid fa-file-arrow-up me-2"), html.Span(id="rv-file")]
                            ),
                        ),
                        sample_picker("rv-sample", "reviews"),
                        html.Div(
                            [
                                group(_("Dataset"), dbc.Input(id="rv-name", value=_(reviews.DEFAULT_NAME)), "16rem"),
                                group(_("Default touchpoint"), dbc.Select(id="rv-default", options=[]), "22rem"),
                                group(
                                    _("Platform"),
                                    dbc.Input(id="rv-platform", placeholder=_("if the file has no platform column")),
                                    "22rem",
                                ),
                            ],
                            className="d-flex flex-wrap align-items-center gap-2 mb-2",
                        ),
                        dbc.Label(_("Rules, one a line: platform or location = touchpoint key"), className="small"),
                        dbc.Textarea(id="rv-rules", rows=3, className="mb-2 font-monospace small"),
                        dbc.Button(
                            [html.I(className="fa-solid fa-file-import me-1"), _("Import reviews")],
                            id="rv-import",
                            color="primary",
                            size="sm",
                        ),
                    ]
                ),
                className="mb-3",
            ),
            _busy.busy(html.Div(id="rv-report")),
            html.Div(
                [
                    group(_("Reviews"), dbc.Select(id="rv-dataset", options=[]), "22rem"),
                    html.A(
                        [html.I(className="fa-solid fa-fire me-1"), _("Stars on the heatmap")],
                        id="rv-heatmap",
                        href="/heatmap",
                        className="small",
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-3 mb-2",
            ),
            _busy.busy(html.Div(id="rv-kpis")),
        ],
        id="reviews-tab",
        className="pt-2",
    )


@callback(
    Output("rv-journey", "options"),
    Output("rv-journey", "value"),
    Input("rv-project", "value"),
    State("rv-journey", "value"),
)
def choose_project(project_id, current):
    """The project's journeys (the first chosen unless one already is)."""
    return journey_options(project_id, current)


@callback(
    Output("rv-default", "options"),
    Output("rv-default", "value"),
    Output("rv-rules", "value"),
    Output("rv-rules", "placeholder"),
    Input("rv-journey", "value"),
)
def choose_journey(journey_id):
    """The journey's touchpoints, with the branch visit as the default and the app stores routed to the app."""
    if not journey_id:
        return [], None, "", ""
    found = reviews.routing(workspace(), int(journey_id))
    options = [{"label": f"{name} ({key})", "value": key} for name, key in found.touchpoints]
    example = f"Facebook = {found.default}"  # a platform's rule (a location from the data would leak to a scoped eye)
    return options, found.default, found.rules, example


@callback(Output("rv-file", "children"), Input("rv-upload", "filename"))
def show_file(filename):
    """The chosen file's name, or what to do."""
    return filename or _("Drop a review export here or click to choose one")


@callback(
    Output("rv-report", "children"),
    Output("rv-imported", "data"),
    Input("rv-import", "n_clicks"),
    State("rv-upload", "contents"),
    State("rv-upload", "filename"),
    State("rv-project", "value"),
    State("rv-journey", "value"),
    State("rv-default", "value"),
    State("rv-rules", "value"),
    State("rv-name", "value"),
    State("rv-platform", "value"),
    State("rv-sample", "value"),
    prevent_initial_call=True,
)
def import_file(_clicks, contents, filename, project_id, journey_id, default, rules, name, platform, sample):
    """Import the uploaded export (else the chosen sample) and say what it did."""
    if not (project_id and journey_id):
        return dbc.Alert(_("Choose a project and a journey first."), color="warning", className="py-2 small"), no_update
    try:
        chosen = sample_path(sample, "reviews") if contents is None else None
        content = chosen or uploads.decode(contents, filename)
        result = reviews.import_reviews(
            workspace(),
            int(project_id),
            int(journey_id),
            content,
            rules or "",
            default or "",
            filename=filename,
            name=name,
            platform=platform,
        )
    except ValueError as error:  # every refusal a user can cause: upload, file, rules, rights
        return dbc.Alert(str(error), color="danger", className="py-2 small", style={"whiteSpace": "pre-line"}), None
    return _report(result), result.dataset.id if result.dataset else no_update


@callback(
    Output("rv-dataset", "options"),
    Output("rv-dataset", "value"),
    Input("rv-project", "value"),
    Input("rv-imported", "data"),
    State("rv-dataset", "value"),
)
def list_datasets(project_id, imported, current):
    """The project's reviews datasets; the one just imported into chosen."""
    if not project_id:
        return [], None
    found = reviews.reviews_datasets(workspace(), int(project_id))
    options = [
        {"label": _("{name} · v{version}").format(name=d.name, version=d.version), "value": str(d.id)} for d in found
    ]
    ids = [option["value"] for option in options]
    chosen = str(imported) if imported and str(imported) in ids else current if current in ids else None
    return options, chosen or (ids[0] if ids else None)


@callback(
    Output("rv-kpis", "children"),
    Output("rv-heatmap", "href"),
    Output("rv-heatmap", "style"),
    Input("rv-dataset", "value"),
)
def show_kpis(dataset_id):
    """The reply KPIs of the chosen reviews dataset per branch and per platform, and the link to its heatmap."""
    if not dataset_id:
        empty = html.P(
            _("No reviews imported into this project yet: import an export above."), className="text-muted small"
        )
        return empty, "/heatmap", {"display": "none"}
    found = reviews.reply_overview(workspace(), int(dataset_id))
    link = "/heatmap?" + urlencode({"dataset": dataset_id, "metric": "stars"})
    return (
        html.Div(
            [
                html.H6(_("Replies per branch")),
                _kpi_table(found.branches, _("Branch"), "rv-branches", found.min_n),
                html.H6(_("Replies per platform"), className="mt-3"),
                _kpi_table(found.platforms, _("Platform"), "rv-platforms", found.min_n),
            ]
        ),
        link,
        {},
    )


def _report(result: reviews.ImportResult) -> dbc.Alert:
    """What an import did, in sentences, with the rows it left out named."""
    counts = [
        ngettext("{n} review read", "{n} reviews read", result.read).format(n=formatting.count(result.read)),
        ngettext("{n} new review", "{n} new reviews", result.new).format(n=formatting.count(result.new)),
        ngettext("{n} review updated", "{n} reviews updated", result.updated).format(
            n=formatting.count(result.updated)
        ),
        ngettext("{n} review already there", "{n} reviews already there", result.unchanged).format(
            n=formatting.count(result.unchanged)
        ),
        ngettext("{n} row refused", "{n} rows refused", result.refused).format(n=formatting.count(result.refused)),
    ]
    written = (
        _("Saved as {name} · v{version}: {total} reviews.").format(
            name=result.dataset.name, version=result.dataset.version, total=formatting.count(result.total)
        )
        if result.dataset
        else _("Nothing new: the dataset stays as it was.")
    )
    lines = [html.Div(" · ".join(counts), id="rv-counts"), html.Div(written)]
    if result.problems:
        lines.append(html.Ul([html.Li(line) for line in result.problems], className="mb-0 mt-1"))
        if result.refused > len(result.problems):
            lines.append(
                html.Div(_("…and {n} more.").format(n=formatting.count(result.refused - len(result.problems))))
            )
    return dbc.Alert(lines, color="warning" if result.refused else "success", className="py-2 small")


def _kpi_table(rows: list[reviews.ReplyKpi], level: str, id_: str, min_n: int) -> html.Div | dbc.Table:
    """One row per branch or platform: reviews, replies, the reply rate with its interval, the median reply time;
    a group with fewer reviews than the minimum greyed and flagged."""
    if not rows:
        return html.P(_("No reviews with this information."), className="text-muted small")
    header = html.Thead(
        html.Tr(
            [
                html.Th(level),
                html.Th("n"),
                html.Th(_("Replied")),
                html.Th(_("Reply rate")),
                html.Th(_("{level} interval").format(level=formatting.percent(95))),
                html.Th(_("Median reply time")),
            ]
        )
    )
    body = [
        html.Tr(
            [
                html.Td([row.group, " ◌" if row.rate.low_n else ""]),
                html.Td(formatting.count(row.reviews)),
                html.Td(formatting.count(row.replied)),
                html.Td(formatting.percent(row.rate.value)),
                html.Td(f"{formatting.percent(row.rate.low)} … {formatting.percent(row.rate.high)}"),
                html.Td(_reply_time(row.median_hours)),
            ],
            className="text-muted" if row.rate.low_n else "",
            title=_("fewer reviews than the minimum: read with care") if row.rate.low_n else None,
        )
        for row in rows
    ]
    table = dbc.Table([header, html.Tbody(body)], size="sm", hover=True, striped=True, className="small", id=id_)
    if not any(row.rate.low_n for row in rows):
        return table
    note = ngettext(
        "◌ fewer than {n} review: read with care", "◌ fewer than {n} reviews: read with care", min_n
    ).format(n=formatting.count(min_n))
    return html.Div([table, html.P(note, className="small text-muted")])


def _reply_time(hours: float | None) -> str:
    """A median reply time: hours up to two days, then days."""
    if hours is None:
        return formatting.NONE
    if hours <= HOURS_SHOWN:
        return _("{hours} h").format(hours=formatting.number(hours))
    return _("{days} days").format(days=formatting.number(hours / 24, 1))
