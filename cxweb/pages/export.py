"""Export page: the journey's findings as an editable PowerPoint deck, pictures and tables; project backups."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages import _busy, _filters
from cxweb.pages._context import workspace
from cxweb.pages._filters import group
from cxweb.pages._pickers import project_options
from workbench.core import formatting, i18n, limits, uploads
from workbench.core.errors import WorkspaceError
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _
from workbench.features import export as findings
from workbench.features import heatmap
from workbench.features.export import SLIDE_NAMES, SLIDES

dash.register_page(
    __name__,
    path="/export",
    name=N_("Export"),
    order=9,
    icon="fa-file-export",
    title=lambda **_path: _("Export · CX Journey Workbench"),
)

DEFAULT_BRAND = "#0d6efd"
BUTTONS = {"ex-deck": "deck", "ex-images": "pictures", "ex-xlsx": "xlsx", "ex-csv": "csv"}  # → export.files.KINDS


def layout(**_query) -> html.Div:
    """Filter bar, then the deck's options, pictures and tables, and the project backup."""
    return html.Div(
        [
            dcc.Download(id="ex-download"),
            dcc.Store(id="ex-logo"),
            _filters.filter_bar("ex"),
            dbc.Alert(id="ex-message", is_open=False, dismissable=True, className="py-2 small"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(html.B(_("PowerPoint deck"))),
                                dbc.CardBody(
                                    [
                                        html.P(
                                            _(
                                                "Every slide is native and editable: the journey map is shapes and connectors, the "
                                                "matrix a table, the drivers charts. Speaker notes say where each number comes from."
                                            ),
                                            className="small text-muted",
                                        ),
                                        dbc.Label(_("Slides"), className="small fw-semibold mb-0"),
                                        dbc.Checklist(
                                            id="ex-slides",
                                            value=list(SLIDES),
                                            className="small mb-2",
                                            options=[{"label": SLIDE_NAMES[s], "value": s} for s in SLIDES],
                                        ),
                                        html.Div(
                                            [
                                                group(_("Matrix columns"), dbc.Select(id="ex-matrix-column"), "14rem"),
                                                group(
                                                    _("Export language"),
                                                    dbc.Select(
                                                        id="ex-language",
                                                        # the reader's language first; a Czech consultant may
                                                        # still send a Polish client a Polish deck
                                                        value=i18n.current(),
                                                        options=[
                                                            {"label": name, "value": code}
                                                            for code, name in i18n.LANGUAGES.items()
                                                        ],
                                                    ),
                                                    "9rem",
                                                ),
                                                group(
                                                    _("Brand colour"),
                                                    dbc.Input(
                                                        id="ex-brand",
                                                        type="color",
                                                        value=DEFAULT_BRAND,
                                                        style={"width": "3.5rem"},
                                                    ),
                                                    "9rem",
                                                ),
                                            ],
                                            className="d-flex flex-wrap gap-2 mb-2",
                                        ),
                                        html.Div(
                                            [
                                                dcc.Upload(
                                                    dbc.Button(
                                                        [html.I(className="fa-solid fa-image me-1"), _("Logo…")],
                                                        color="secondary",
                                                        outline=True,
                                                        size="sm",
                                                    ),
                                                    id="ex-logo-upload",
                                                    accept="image/png,image/jpeg",
                                                    multiple=False,
                                                ),
                                                html.Span(id="ex-logo-name", className="small text-muted"),
                                                dbc.Button(
                                                    _("Remove logo"), id="ex-logo-remove", color="link", size="sm"
                                                ),
                                            ],
                                            className="d-flex align-items-center gap-2 mb-3",
                                        ),
                                        dbc.Button(
                                            [
                                                html.I(className="fa-solid fa-file-powerpoint me-1"),
                                                _("Download deck (.pptx)"),
                                            ],
                                            id="ex-deck",
                                            color="primary",
                                        ),
                                    ]
                                ),
                            ]
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        [
                            dbc.Card(
                                [
                                    dbc.CardHeader(html.B(_("Pictures and tables"))),
                                    dbc.CardBody(
                                        [
                                            html.P(
                                                _(
                                                    "The same findings for reports: the journey map and every chart as PNG and SVG; "
                                                    "every table as a workbook or CSV files. Text that a spreadsheet would run as a "
                                                    "formula is written with a leading quote."
                                                ),
                                                className="small text-muted",
                                            ),
                                            html.Div(
                                                [
                                                    dbc.Button(
                                                        [
                                                            html.I(className="fa-solid fa-images me-1"),
                                                            _("Pictures (.zip)"),
                                                        ],
                                                        id="ex-images",
                                                        color="secondary",
                                                        outline=True,
                                                    ),
                                                    dbc.Button(
                                                        [
                                                            html.I(className="fa-solid fa-file-excel me-1"),
                                                            _("Tables (.xlsx)"),
                                                        ],
                                                        id="ex-xlsx",
                                                        color="secondary",
                                                        outline=True,
                                                    ),
                                                    dbc.Button(
                                                        [
                                                            html.I(className="fa-solid fa-file-csv me-1"),
                                                            _("Tables (CSV .zip)"),
                                                        ],
                                                        id="ex-csv",
                                                        color="secondary",
                                                        outline=True,
                                                    ),
                                                ],
                                                className="d-flex flex-wrap gap-2",
                                            ),
                                        ]
                                    ),
                                ],
                                className="mb-2",
                            ),
                            dbc.Card(
                                [
                                    dbc.CardHeader(html.B(_("Project backup"))),
                                    dbc.CardBody(
                                        [
                                            html.P(
                                                _(
                                                    "The whole project in one file (journeys, mappings, datasets, actions, alerts, "
                                                    "scenarios), to hand a workshop over to a colleague. Restoring adds it as a new "
                                                    "project."
                                                ),
                                                className="small text-muted",
                                            ),
                                            html.Div(
                                                [
                                                    dbc.Button(
                                                        [
                                                            html.I(className="fa-solid fa-box-archive me-1"),
                                                            _("Back up the project"),
                                                        ],
                                                        id="ex-backup",
                                                        color="secondary",
                                                        outline=True,
                                                    ),
                                                    html.Div(_restore_upload(), id="ex-restore-box"),
                                                    dbc.Input(
                                                        id="ex-restore-name",
                                                        placeholder=_("name for the restored project (optional)"),
                                                        size="sm",
                                                        style={"maxWidth": "22rem"},
                                                    ),
                                                ],
                                                className="d-flex flex-wrap align-items-center gap-2",
                                            ),
                                        ]
                                    ),
                                ]
                            ),
                        ],
                        lg=6,
                    ),
                ],
                className="g-2",
            ),
            _busy.busy(html.Div(id="ex-busy"), type="dot", delay_show=200),
        ]
    )


def _restore_upload() -> dcc.Upload:
    """A fresh upload control: the browser fires no change when the same file is chosen twice in one control."""
    return dcc.Upload(
        dbc.Button(
            [html.I(className="fa-solid fa-upload me-1"), _("Restore a backup…")], color="secondary", outline=True
        ),
        id="ex-restore",
        accept=".zip",
        multiple=False,
    )


_filters.register("ex")


@callback(
    Output("ex-matrix-column", "options"),
    Output("ex-matrix-column", "value"),
    Input("ex-selection", "data"),
    State("ex-matrix-column", "value"),
)
def matrix_columns(selection, current):
    """The segment columns the matrix slide can spread across (regions first when there are any)."""
    if not selection:
        return [], None
    columns, shown = heatmap.matrix_columns(workspace(), int(selection["dataset"]), current)
    return [{"label": c, "value": c} for c in columns], shown


@callback(
    Output("ex-logo", "data"),
    Output("ex-logo-name", "children"),
    Input("ex-logo-upload", "contents"),
    Input("ex-logo-remove", "n_clicks"),
    State("ex-logo-upload", "filename"),
    prevent_initial_call=True,
)
def keep_logo(contents, _remove, filename):
    """The logo waits in the browser until a deck is made; one over the logo limit is refused here, as the CLI's
    ``--logo`` refuses it."""
    if ctx.triggered_id == "ex-logo-remove" or not contents:
        return None, ""
    try:
        _logo_bytes(contents, filename)
    except ValueError as error:
        return None, str(error)
    return contents, filename


@callback(
    Output("ex-download", "data"),
    Output("ex-message", "children"),
    Output("ex-message", "color"),
    Output("ex-message", "is_open"),
    Output("ex-busy", "children"),
    Input("ex-deck", "n_clicks"),
    Input("ex-images", "n_clicks"),
    Input("ex-xlsx", "n_clicks"),
    Input("ex-csv", "n_clicks"),
    State("ex-selection", "data"),
    State("ex-slides", "value"),
    State("ex-matrix-column", "value"),
    State("ex-brand", "value"),
    State("ex-logo", "data"),
    State("ex-language", "value"),
    prevent_initial_call=True,
    # A job: in a thread of a local workbench, in a Celery worker of a team stack (a cold deck with pictures takes
    # seconds to minutes, which a web worker's thread should not spend); its buttons wait meanwhile.
    background=True,
    interval=250,
    running=[(Output(button, "disabled"), True, False) for button in BUTTONS],
)
def export(_deck, _images, _xlsx, _csv, selection, slides, column, brand, logo, language=None):
    """Build the file the clicked button asks for, from the filter bar's choice, in the language chosen for the
    export (the reader's own by default)."""
    from workbench.export import deck, files

    if not selection:
        return None, _("Choose a project with a journey and survey data first."), "warning", True, ""
    what = BUTTONS[ctx.triggered_id]
    chosen = _filters.resolve(selection)
    if what == "deck" and not slides:
        return None, _("Choose at least one slide."), "warning", True, ""
    request = findings.Request(
        project_id=chosen.project_id,
        journey_id=int(selection["journey"]),
        dataset_id=int(selection["dataset"]),
        metric=chosen.metric,
        date_from=chosen.date_from,
        date_to=chosen.date_to,
        filters=chosen.filters,
        matrix_column=column,
        slides=tuple(s for s in SLIDES if s in slides) if what == "deck" else SLIDES,
        language=i18n.supported(language) or i18n.current(),
    )
    stem = findings.file_stem(chosen.journey.name, chosen.metric)
    try:
        style = deck.Style(brand=brand or DEFAULT_BRAND, logo=_logo_bytes(logo)) if what == "deck" else None
        content = files.render(findings.gather(workspace(), request), what, style)
        name = files.file_name(stem, what)
    except ValueError as error:
        return None, _("Nothing was exported: {error}").format(error=error), "danger", True, ""
    except (OSError, RuntimeError) as error:  # the picture renderer's browser failed to start or answer
        return None, _("The pictures could not be drawn: {error}").format(error=error), "danger", True, ""
    message = _("{name} is downloading ({size}).").format(name=name, size=formatting.size(len(content)))
    return dcc.send_bytes(content, name), message, "success", True, ""


@callback(
    Output("ex-download", "data", allow_duplicate=True),
    Output("ex-message", "children", allow_duplicate=True),
    Output("ex-message", "color", allow_duplicate=True),
    Output("ex-message", "is_open", allow_duplicate=True),
    Output("ex-project", "options"),
    Output("ex-project", "value"),
    Output("ex-restore-box", "children"),
    Input("ex-backup", "n_clicks"),
    Input("ex-restore", "contents"),
    State("ex-project", "value"),
    State("ex-restore-name", "value"),
    State("ex-restore", "filename"),
    prevent_initial_call=True,
)
def backup(_backup, contents, project_id, name, filename):
    """Write the chosen project as one file, or add the uploaded backup as a new project and choose it.

    After a restore (or a refusal, such as a name clash) the upload control is replaced, so the same file can be
    chosen again with a new name.
    """
    ws = workspace()
    if ctx.triggered_id == "ex-backup":
        if not project_id:
            return None, _("Choose a project first."), "warning", True, no_update, no_update, no_update
        written = findings.back_up(ws, int(project_id))
        return (
            dcc.send_bytes(written.content, written.name),
            _("{name} is downloading ({size}).").format(name=written.name, size=formatting.size(written.summary.bytes)),
            "success",
            True,
            no_update,
            no_update,
            no_update,
        )
    if not contents:
        return no_update, no_update, no_update, no_update, no_update, no_update, no_update
    try:
        summary = findings.restore(ws, uploads.decode(contents, filename), name)
    except (WorkspaceError, ValueError) as error:
        return (
            None,
            _("{file} was not restored: {error}").format(file=filename, error=error),
            "danger",
            True,
            no_update,
            no_update,
            _restore_upload(),
        )
    options = project_options()
    journeys, versions = summary.counts.get("journeys", 0), summary.counts.get("datasets", 0)
    return (
        None,
        _("Restored “{name}” as a new project ({journeys}, {datasets}).").format(
            name=summary.project,
            journeys=ngettext("{n} journey", "{n} journeys", journeys).format(n=formatting.count(journeys)),
            datasets=ngettext("{n} dataset version", "{n} dataset versions", versions).format(
                n=formatting.count(versions)
            ),
        ),
        "success",
        True,
        options,
        summary.project_id,
        _restore_upload(),
    )


def _logo_bytes(contents: str | None, filename: str | None = None) -> bytes | None:
    """An uploaded logo's bytes, refused before they are decoded when they are over the logo limit (the store
    holding it is the browser's, so it is checked again when the deck is made)."""
    return uploads.decode(contents, filename or "The logo", limits.DOCUMENT_BYTES) if contents else None
