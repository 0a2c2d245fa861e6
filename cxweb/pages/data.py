"""Data page: the project's datasets, and importing a survey or KPI file (upload → preview → mapping → report)."""

from __future__ import annotations

import dataclasses
import logging

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages._context import readable_folders, workspace
from cxweb.pages._pickers import project_picker
from workbench.core import folders, formatting, i18n, limits, metrics
from workbench.core.contract import OVERALL
from workbench.core.errors import Cancelled, IngestError, WorkspaceError
from workbench.core.i18n import N_, ngettext, pgettext
from workbench.core.i18n import gettext as _
from workbench.features import data as feature
from workbench.features.data import AUTO, FIELDS, GUESS, KIND_FIELDS, NONE

dash.register_page(
    __name__,
    path="/data",
    name=N_("Data"),
    order=1,
    group="data",  # one menu of the navigation bar (cxweb.app.NAV_GROUPS)
    icon="fa-table",
    title=lambda **_path: _("Data · CX Journey Workbench"),
)

USER_ERRORS = (IngestError, WorkspaceError, folders.FolderError, ValueError)
FILE_TYPES = i18n.Labels(
    {
        "survey": N_("Survey answers — one row per answer (a touchpoint column)"),
        "wide": N_("Survey — one row per respondent (a rating column per touchpoint)"),
        "kpi_period": N_("KPIs per period (month or week × branch, region…)"),
        "kpi_customer": N_("KPIs per customer (joined on the respondent id)"),
    }
)
OTHER_METRICS = i18n.Labels({"rating": N_("Other scale (from – to)"), "yesno": N_("Yes / no (0 / 1)")})
ENCODING_LABELS = i18n.Labels(
    {
        "utf-8": "UTF-8",
        "utf-8-sig": N_("UTF-8 with BOM"),
        "cp1250": N_("Windows-1250 (cp1250, Central Europe)"),
        "iso-8859-2": "ISO-8859-2 (Latin-2)",
        "cp1252": N_("Windows-1252 (cp1252, Western Europe)"),
        "latin-1": "ISO-8859-1 (Latin-1)",
        "utf-16": N_("UTF-16 (Excel “Unicode text”)"),
        "utf-16-le": N_("UTF-16 LE, no byte order mark"),
        "utf-16-be": N_("UTF-16 BE, no byte order mark"),
    }
)
DELIMITERS = i18n.Labels({";": N_("semicolon ;"), ",": N_("comma ,"), "\t": N_("tab"), "|": N_("pipe |")})
FIELD_LABELS = i18n.Labels(
    {
        "ts": N_("Date / time"),
        "touchpoint": N_("Touchpoint"),
        "respondent_id": N_("Respondent (customer) id"),
        "response_id": N_("Answer id"),
        "rating": N_("Other rating"),
        "comment": N_("Comment"),
        **{key: f"{metrics.NAMES[key]} ({low}–{high})" for key, (low, high) in metrics.SCALES.items()},
    }
)


def metric_labels() -> dict[str, str]:
    """The scales a wide file's score column can be read on, in the reader's language."""
    return {**{key: metrics.metric(key).answer_label() for key in metrics.RATINGS}, **OTHER_METRICS}


# ------------------------------------------------------------------ layout


def layout(**_query) -> html.Div:
    """Datasets of the chosen project on the left, the import steps on the right."""
    return html.Div(
        [
            dcc.Store(id="da-file"),
            dcc.Store(id="da-columns"),
            dcc.Store(id="da-token"),
            dcc.Store(id="da-job", data=0),
            dcc.Store(id="da-refresh", data=0),
            dcc.Store(id="da-draft"),  # the draft journey made from this file: its id and each label's touchpoint
            dcc.Store(id="da-lang", data=i18n.current()),  # the background check writes in the reader's language
            html.Div(
                [
                    dbc.InputGroup(
                        [
                            dbc.InputGroupText(_("Project")),
                            project_picker(
                                "da-project", persistence=True, persistence_type="local", style={"minWidth": "12rem"}
                            ),
                        ],
                        size="sm",
                        className="w-auto me-3",
                    ),
                    html.Div(
                        dbc.InputGroup(
                            [
                                dbc.InputGroupText(_("Journey")),
                                dbc.Select(id="da-journey", options=[], style={"minWidth": "12rem"}),
                            ],
                            size="sm",
                        ),
                        className="w-auto",
                        title=_("Survey answers are mapped to this journey's touchpoints"),
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-1 mb-2",
            ),
            dbc.Alert(id="da-message", is_open=False, dismissable=True, className="py-2 small"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card([dbc.CardHeader(html.B(_("Datasets"))), dbc.CardBody(html.Div(id="da-datasets"))]),
                        lg=5,
                        className="mb-2",
                    ),
                    dbc.Col(_import_card(), lg=7),
                ],
                className="g-2",
            ),
            _dialog(
                "da-delete", _("Delete this dataset version?"), html.Div(id="da-delete-text"), _("Delete"), "danger"
            ),
            dbc.Modal(
                [dbc.ModalHeader(dbc.ModalTitle(id="da-kept-title")), dbc.ModalBody(id="da-kept-report")],
                id="da-kept-modal",
                is_open=False,
                size="lg",
            ),
            dcc.Store(id="da-delete-id"),
        ]
    )


def _dialog(prefix: str, title, body, ok_label: str, ok_color: str) -> dbc.Modal:
    """A modal with ids {prefix}-modal / -cancel / -ok."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(title)),
            dbc.ModalBody(body),
            dbc.ModalFooter(
                [
                    dbc.Button(_("Cancel"), id=f"{prefix}-cancel", color="secondary"),
                    dbc.Button(ok_label, id=f"{prefix}-ok", color=ok_color),
                ]
            ),
        ],
        id=f"{prefix}-modal",
        is_open=False,
    )


def _select(id_: str, label: str, options=(), **kwargs) -> html.Div:
    return html.Div(
        [
            dbc.Label(label, html_for=id_, className="small mb-0", id=f"{id_}-label"),
            dbc.Select(id=id_, options=list(options), size="sm", **kwargs),
        ],
        className="mb-2",
    )


def _input(id_: str, label: str, **kwargs) -> html.Div:
    return html.Div(
        [dbc.Label(label, html_for=id_, className="small mb-0"), dbc.Input(id=id_, size="sm", **kwargs)],
        className="mb-2",
    )


def _import_card() -> dbc.Card:
    samples = [
        {"label": f"{name} — {description}" if description else name, "value": name}
        for name, description in feature.sample_choices()
    ]
    drop = _(
        "Drop a CSV, XLSX, SPSS (.sav) or Parquet file here, or click to choose one "
        "(up to {size}; type the path of a bigger one, e.g. in {folder})"
    ).format(size=formatting.size(limits.UPLOAD_BYTES), folder=folders.imports_folder(readable_folders()))
    return dbc.Card(
        [
            dbc.CardHeader(html.B(_("Import a file"))),
            dbc.CardBody(
                [
                    html.H6(_("1. The file"), className="text-muted"),
                    dcc.Upload(
                        id="da-upload",
                        multiple=False,
                        className="border border-dashed rounded p-3 text-center mb-2",
                        children=html.Div([html.I(className="fa-solid fa-file-arrow-up me-2"), drop]),
                    ),
                    dbc.InputGroup(
                        [
                            dbc.Input(
                                id="da-path", placeholder=_("…or the path of a file on this computer"), debounce=True
                            ),
                            dbc.Select(
                                id="da-sample",
                                options=samples,
                                placeholder=_("…or a sample file"),
                                style={"maxWidth": "18rem"},
                            ),
                            dbc.Button(_("Open"), id="da-open", color="secondary"),
                        ],
                        size="sm",
                        className="mb-2",
                    ),
                    html.Div(id="da-file-info", className="small mb-1"),
                    html.Div(id="da-layout", className="small mb-2"),
                    dbc.Row(
                        [
                            dbc.Col(
                                _select(
                                    "da-encoding",
                                    _("Encoding"),
                                    [{"label": ENCODING_LABELS[v], "value": v} for v in feature.ENCODINGS],
                                ),
                                md=4,
                            ),
                            dbc.Col(
                                _select(
                                    "da-delimiter",
                                    _("Delimiter"),
                                    [{"label": label, "value": v} for v, label in DELIMITERS.items()],
                                ),
                                md=3,
                            ),
                            dbc.Col(
                                _select(
                                    "da-decimal",
                                    _("Decimal mark"),
                                    [{"label": _("comma ,"), "value": ","}, {"label": _("point ."), "value": "."}],
                                ),
                                md=2,
                            ),
                            dbc.Col(
                                _input("da-header-rows", _("Header rows"), type="number", min=1, max=5, step=1), md=3
                            ),
                        ],
                        id="da-csv-options",
                        className="g-2",
                        style={"display": "none"},
                    ),
                    dbc.Row(
                        [
                            dbc.Col(_select("da-sheet", _("Sheet")), md=8),
                            dbc.Col(
                                _input(
                                    "da-header-row",
                                    _("Header in row"),
                                    type="number",
                                    min=1,
                                    step=1,
                                    placeholder=_("detected"),
                                ),
                                md=4,
                            ),
                        ],
                        id="da-sheet-box",
                        className="g-2",
                        style={"display": "none"},
                    ),
                    dag.AgGrid(
                        id="da-preview",
                        rowData=[],
                        columnDefs=[],
                        className="ag-theme-alpine mb-3",
                        style={"height": "230px"},
                        defaultColDef={"resizable": True, "minWidth": 90},
                        dashGridOptions={
                            "suppressFieldDotNotation": True,
                            "tooltipShowDelay": 300,
                            "localeText": {"noRowsToShow": _("Nothing to show")},
                        },
                    ),
                    html.Div(
                        [
                            html.H6(_("2. What the columns mean"), className="text-muted"),
                            dbc.InputGroup(
                                [
                                    dbc.InputGroupText(_("Start from")),
                                    dbc.Select(id="da-saved", options=[]),
                                ],
                                size="sm",
                                className="mb-1",
                            ),
                            dbc.Alert(id="da-reused", color="info", is_open=False, className="py-2 small"),
                            dbc.RadioItems(
                                id="da-kind",
                                value="survey",
                                className="mb-2 small",
                                options=[{"label": label, "value": value} for value, label in FILE_TYPES.items()],
                            ),
                            _mapping_form(),
                            html.Div(id="da-warnings"),
                            html.H6(_("3. Check and import"), className="text-muted mt-3"),
                            dbc.InputGroup(
                                [
                                    dbc.InputGroupText(_("Dataset")),
                                    dbc.Input(
                                        id="da-name",
                                        list="da-names",
                                        maxLength=200,
                                        placeholder=_("name; an existing name adds a new version"),
                                    ),
                                    html.Datalist(id="da-names"),
                                    dbc.Button(
                                        [html.I(className="fa-solid fa-list-check me-1"), _("Check file")],
                                        id="da-check",
                                        color="primary",
                                    ),
                                    dbc.Button(_("Stop"), id="da-cancel", color="secondary", disabled=True),
                                ],
                                size="sm",
                                className="mb-1",
                            ),
                            dbc.Checklist(
                                id="da-append",
                                className="small mb-2",
                                value=[],
                                options=[
                                    {
                                        "label": _(
                                            "Append to this dataset: its latest version and this file become one new version "
                                            "(another wave, month or part of the sample)"
                                        ),
                                        "value": "append",
                                    }
                                ],
                            ),
                            dbc.Progress(
                                id="da-progress", value=0, label="", className="mb-2", style={"height": "1.2rem"}
                            ),
                            html.Div(id="da-report"),
                            html.Div(
                                [
                                    dbc.Button(id="da-commit", color="success", className="me-2"),
                                    dbc.Button(_("Cancel import"), id="da-discard", color="secondary"),
                                    # Shown while the import is kept: the file, its summary, the alert rules.
                                    html.Span(
                                        [dbc.Spinner(size="sm", spinner_class_name="me-2"), _("Importing…")],
                                        id="da-importing",
                                        className="ms-3 small text-muted",
                                        style={"display": "none"},
                                    ),
                                ],
                                id="da-decision",
                                style={"display": "none"},
                            ),
                        ],
                        id="da-mapping",
                        style={"display": "none"},
                    ),
                ]
            ),
        ]
    )


def _mapping_form() -> html.Div:
    def field(name: str) -> dbc.Col:
        return dbc.Col(_select(f"da-{name}", FIELD_LABELS[name]), md=4, id=f"da-{name}-box")

    return html.Div(
        [
            dbc.Row([field(name) for name in FIELDS], className="g-2"),
            dbc.Row(
                [
                    dbc.Col(
                        _select(
                            "da-date-format",
                            _("Date format"),
                            [{"label": _("detect (only when one reading fits)"), "value": AUTO}]
                            + [{"label": text, "value": code} for code, text in feature.date_choices()],
                            value=AUTO,
                        ),
                        md=4,
                        id="da-date-format-box",
                    ),
                    dbc.Col(
                        _input(
                            "da-wave",
                            _("Fieldwork wave (the file has no date column)"),
                            maxLength=40,
                            placeholder=_("2026-03, 2026-03-15 or 2026-03-01..2026-03-20"),
                        ),
                        md=8,
                        id="da-wave-box",
                    ),
                ],
                className="g-2",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        html.Div(
                            [
                                dbc.Label(_("Other rating: scale from – to"), className="small mb-0"),
                                dbc.InputGroup(
                                    [
                                        dbc.Input(id="da-rating-min", type="number", value=1),
                                        dbc.Input(id="da-rating-max", type="number", value=10),
                                    ],
                                    size="sm",
                                ),
                            ],
                            className="mb-2",
                        ),
                        md=4,
                        id="da-scale-box",
                    ),
                    dbc.Col(
                        _input(
                            "da-na",
                            _("Values meaning “not applicable”"),
                            placeholder=_("e.g. 0, 99 — only where it is no valid score"),
                        ),
                        md=4,
                        id="da-na-box",
                    ),
                    dbc.Col(
                        _input(
                            "da-outcome-name",
                            _("Overall outcome is called"),
                            maxLength=80,
                            placeholder=_("e.g. Satisfied, Likely to recommend"),
                        ),
                        md=4,
                        id="da-outcome-box",
                    ),
                ],
                className="g-2",
            ),
            dbc.Checklist(id="da-exclude", className="small mb-2", value=[], options=[]),
            html.Div(
                [
                    dbc.Label(_("Segments (kept for filters and breakdowns)"), className="small mb-0"),
                    dbc.Checklist(id="da-segments", inline=True, className="small"),
                ],
                className="mb-2",
            ),
            html.Div(
                [
                    dbc.Label(_("KPI columns"), className="small mb-0"),
                    dbc.Checklist(id="da-kpis", inline=True, className="small"),
                ],
                id="da-kpis-box",
                className="mb-2",
            ),
            dbc.Alert(id="da-draft-said", is_open=False, dismissable=True, className="py-2 small mb-2"),
            html.Div(id="da-wide-box", className="mb-2"),
            html.Div(
                [
                    dbc.Alert(id="da-twice-text", color="danger", className="py-2 small mb-1"),
                    dbc.Checklist(
                        id="da-twice-ok",
                        value=[],
                        className="small",
                        options=[{"label": _("Yes, import these columns into one touchpoint"), "value": "ok"}],
                    ),
                ],
                id="da-twice",
                style={"display": "none"},
                className="mb-2",
            ),
            html.Div(id="da-values-box", className="mb-2"),
        ]
    )


# ------------------------------------------------------------------ datasets list


@callback(
    Output("da-journey", "options"),
    Output("da-journey", "value"),
    Output("da-names", "children"),
    Input("da-project", "value"),
    Input("da-refresh", "data"),
)
def fill_project(project_id, _refresh):
    """Journeys and dataset names of the chosen project."""
    if not project_id:
        return [], None, []
    journeys, names = feature.project_choices(workspace(), int(project_id))
    return (
        [{"label": name, "value": id_} for name, id_ in journeys],
        journeys[0][1] if journeys else None,
        [html.Option(value=name) for name in names],
    )


@callback(Output("da-datasets", "children"), Input("da-project", "value"), Input("da-refresh", "data"))
def list_datasets(project_id, _refresh):
    """The project's dataset versions with rows, period and problems found on import."""
    if not project_id:
        return html.Div(_("Create a project on the Journeys page first."), className="text-muted small")
    datasets = feature.dataset_rows(workspace(), int(project_id))
    if not datasets:
        return html.Div(_("No data yet: import a survey or KPI export on the right."), className="text-muted small")
    rows = [
        html.Tr(
            [
                html.Td(
                    [
                        html.Div(d.name, className="fw-semibold"),
                        html.Div(
                            _("v{version}").format(version=d.version)
                            if d.latest
                            else _("v{version} (older)").format(version=d.version),
                            className="text-muted",
                        ),
                    ]
                ),
                html.Td(d.kind),
                html.Td(d.rows, className="text-end text-nowrap"),
                html.Td(d.period),
                html.Td(
                    dbc.Button(
                        ngettext("{n} skipped", "{n} skipped", d.skipped).format(n=formatting.count(d.skipped))
                        if d.skipped
                        else _("clean"),
                        size="sm",
                        color="warning" if d.skipped else "light",
                        className="border py-0",
                        id={"type": "da-show-report", "id": d.id},
                        title=_("Show the import report"),
                    )
                ),
                html.Td(
                    dbc.Button(
                        html.I(className="fa-solid fa-trash"),
                        size="sm",
                        color="light",
                        className="border py-0",
                        id={"type": "da-delete", "id": d.id},
                        title=_("Delete this version"),
                    )
                ),
            ],
            className="" if d.latest else "text-muted",
        )
        for d in datasets
    ]
    header = html.Thead(
        html.Tr(
            [
                html.Th(_("Dataset")),
                html.Th(_("Kind")),
                html.Th(_("Rows"), className="text-end"),
                html.Th(_("Period")),
                html.Th(pgettext("column", "Import")),
                html.Th(""),
            ]
        )
    )
    return dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, className="small mb-0", id="da-table")


@callback(
    Output("da-kept-modal", "is_open"),
    Output("da-kept-title", "children"),
    Output("da-kept-report", "children"),
    Input({"type": "da-show-report", "id": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def show_kept_report(clicks):
    """The validation report kept with a dataset version."""
    if not any(clicks):
        return no_update, no_update, no_update
    info = feature.dataset(workspace(), ctx.triggered_id["id"])
    source = _("from “{source}”, imported {when}").format(source=info.source, when=formatting.moment(info.created_at))
    title = _("{name} v{version}").format(name=info.name, version=info.version)
    return True, title, [html.P(source, className="small text-muted"), _report(info.report)]


@callback(
    Output("da-delete-modal", "is_open"),
    Output("da-delete-text", "children"),
    Output("da-delete-id", "data"),
    Input({"type": "da-delete", "id": ALL}, "n_clicks"),
    Input("da-delete-cancel", "n_clicks"),
    prevent_initial_call=True,
)
def ask_delete(clicks, _cancel):
    """Confirm before a dataset version is deleted."""
    if ctx.triggered_id == "da-delete-cancel" or not any(clicks or []):
        return False, no_update, None
    info = feature.dataset(workspace(), ctx.triggered_id["id"])
    return (
        True,
        ngettext(
            "“{name}” version {version} ({rows} row) will be deleted with its file.",
            "“{name}” version {version} ({rows} rows) will be deleted with its file.",
            info.rows,
        ).format(name=info.name, version=info.version, rows=formatting.count(info.rows)),
        info.id,
    )


@callback(
    Output("da-delete-modal", "is_open", allow_duplicate=True),
    Output("da-refresh", "data", allow_duplicate=True),
    Input("da-delete-ok", "n_clicks"),
    State("da-delete-id", "data"),
    State("da-refresh", "data"),
    prevent_initial_call=True,
)
def delete_dataset(_ok, dataset_id, refresh):
    """Delete the confirmed dataset version."""
    if dataset_id:
        feature.delete_dataset(workspace(), int(dataset_id))
    return False, (refresh or 0) + 1


# ------------------------------------------------------------------ step 1: the file


@callback(
    Output("da-file", "data"),
    Output("da-message", "children", allow_duplicate=True),
    Output("da-message", "is_open", allow_duplicate=True),
    Output("da-message", "color", allow_duplicate=True),
    Input("da-upload", "contents"),
    Input("da-open", "n_clicks"),
    Input("da-path", "value"),
    State("da-upload", "filename"),
    State("da-sample", "value"),
    prevent_initial_call=True,
)
def choose_file(contents, _open, typed_path, filename, sample):
    """An uploaded file is kept in the workspace; a path or sample is read where it is."""
    try:
        if ctx.triggered_id == "da-upload":
            if not contents:
                return no_update, no_update, False, no_update
            file = feature.open_upload(workspace(), contents, filename)
        elif ctx.triggered_id == "da-path" or not sample:
            if not typed_path:
                return no_update, _("Type a path or choose a sample file."), True, "warning"
            file = feature.open_path(typed_path, readable_folders())
        else:
            file = feature.open_sample(sample)
            if file is None:
                return no_update, _("Choose one of the sample files."), True, "warning"
    except USER_ERRORS as exc:
        return None, str(exc), True, "danger"
    return file, no_update, False, no_update


@callback(
    Output("da-encoding", "value"),
    Output("da-delimiter", "value"),
    Output("da-decimal", "value"),
    Output("da-header-rows", "value"),
    Output("da-sheet", "options"),
    Output("da-sheet", "value"),
    Output("da-header-row", "value"),
    Output("da-csv-options", "style"),
    Output("da-sheet-box", "style"),
    Input("da-file", "data"),
)
def detect_format(file):
    """What was detected about a new file; the user may override it."""
    hidden, shown = {"display": "none"}, {}
    try:
        found = feature.detect(_source(file), file["kind"]) if file else None
    except USER_ERRORS:
        found = None  # the preview says what is wrong
    if found is None:
        return None, None, None, None, [], None, None, hidden, hidden
    return (
        found.encoding,
        found.delimiter,
        found.decimal,
        found.header_rows,
        [{"label": s, "value": s} for s in found.sheets],
        found.sheets[0] if found.sheets else None,
        None,
        shown if file["kind"] == "csv" else hidden,
        shown if file["kind"] == "xlsx" else hidden,
    )


def _source(file: dict):
    """The chosen file's path, checked again against the folders a typed path may point into."""
    return feature.source_path(file, readable_folders())


# The mapping while its form is being filled from the file's guesses (fill_mapping): shown, greyed and out of
# reach, so that a choice made meanwhile (the kind) is not put back to the guess when the form arrives.
FILLING = {"opacity": 0.5, "pointerEvents": "none"}


def _dialect(file, encoding, delimiter, decimal, header_rows):
    return feature.dialect(file["kind"] if file else None, encoding, delimiter, decimal, header_rows)


@callback(
    Output("da-preview", "rowData"),
    Output("da-preview", "columnDefs"),
    Output("da-file-info", "children"),
    Output("da-columns", "data"),
    Output("da-mapping", "style"),
    Output("da-layout", "children"),
    Input("da-encoding", "value"),
    Input("da-delimiter", "value"),
    Input("da-decimal", "value"),
    Input("da-header-rows", "value"),
    Input("da-sheet", "value"),
    Input("da-header-row", "value"),
    Input("da-journey", "value"),
    State("da-file", "data"),
    State("da-draft", "data"),
)
def preview(encoding, delimiter, decimal, header_rows, sheet, header_row, journey_id, file, drafted):
    """The first rows as the file will be read, its layout, and guesses of what its columns are."""
    if not file:
        return [], [], "", None, {"display": "none"}, None
    if ctx.triggered_id == "da-journey" and _drafted(drafted, journey_id):
        # The draft journey just made from this file: the form keeps what was chosen in it (guessing again would
        # put the kind and columns back to the guesses), and maps each label or column to its new touchpoint.
        return [no_update] * 6
    try:
        found = feature.preview(
            _source(file),
            file["kind"],
            _dialect(file, encoding, delimiter, decimal, header_rows),
            sheet,
            feature.whole(header_row, None),
            feature.journey_touchpoints(workspace(), journey_id),
        )
    except USER_ERRORS as exc:
        return (
            [],
            [],
            dbc.Alert(str(exc), color="danger", className="py-2 small mb-0"),
            None,
            {"display": "none"},
            None,
        )
    rows = [{f"c{i}": value for i, value in enumerate(row)} for row in found.rows]
    defs = [
        {
            "headerName": name,
            "field": f"c{i}",
            **({"headerTooltip": found.descriptions[name]} if name in found.descriptions else {}),
        }
        for i, name in enumerate(found.names)
    ]
    info = html.Span(
        [
            html.I(className="fa-solid fa-file-lines me-1"),
            html.B(file["name"]),
            " · "
            + _("{columns}; first {rows} below").format(
                columns=ngettext("{n} column", "{n} columns", len(found.names)).format(
                    n=formatting.count(len(found.names))
                ),
                rows=ngettext("{n} row", "{n} rows", len(rows)).format(n=formatting.count(len(rows))),
            ),
        ]
    )
    note = html.Div(found.note, className="text-muted", id="da-layout-note")
    return rows, defs, info, found.columns, FILLING, note


# ------------------------------------------------------------------ step 2: the mapping


@callback(
    [Output(f"da-{name}", "options") for name in FIELDS]
    + [Output("da-segments", "options"), Output("da-kpis", "options")],
    Input("da-columns", "data"),
)
def column_options(columns):
    """Every field can take any column of the file."""
    names = (columns or {}).get("columns", [])
    options = [{"label": _("— none —"), "value": NONE}] + [{"label": c, "value": c} for c in names]
    return [options] * len(FIELDS) + [[{"label": c, "value": c} for c in names]] * 2


@callback(
    Output("da-saved", "options"),
    Output("da-saved", "value"),
    Input("da-columns", "data"),
    State("da-project", "value"),
)
def saved_choices(columns, project_id):
    """The mappings saved in this project that fit the file, the one made for these columns first; or guesses."""
    if not columns or not project_id:
        return [], None
    options, chosen = feature.saved_choices(workspace(), int(project_id), columns["columns"])
    return [{"label": label, "value": value} for label, value in options], chosen


@callback(
    [Output(f"da-{name}", "value") for name in FIELDS]
    + [Output(f"da-{name}-label", "children") for name in FIELDS]
    + [
        Output("da-kind", "value"),
        Output("da-segments", "value"),
        Output("da-kpis", "value"),
        Output("da-na", "value"),
        Output("da-rating-min", "value"),
        Output("da-rating-max", "value"),
        Output("da-name", "value"),
        Output("da-reused", "children"),
        Output("da-reused", "is_open"),
        Output("da-date-format", "value"),
        Output("da-wave", "value"),
        Output("da-outcome-name", "value"),
        Output("da-exclude", "options"),
        Output("da-exclude", "value"),
        Output("da-warnings", "children"),
        Output("da-mapping", "style", allow_duplicate=True),
    ],
    Input("da-saved", "value"),
    State("da-columns", "data"),
    State("da-project", "value"),
    State("da-file", "data"),
    prevent_initial_call=True,
)
def fill_mapping(saved, columns, project_id, file):
    """The form filled from a saved mapping, or from the guesses with each guessed field marked; then in reach."""
    if not columns:
        return [no_update] * (2 * len(FIELDS) + 16)
    if not project_id or saved is None:
        return [no_update] * (2 * len(FIELDS) + 15) + [{}]
    try:
        mapping, said = feature.start(workspace(), columns, saved, project_id)
    except USER_ERRORS as exc:
        mapping, said = None, str(exc)
    guessed = saved == GUESS
    proposal = feature.proposal(columns)
    shown = feature.form(mapping, columns, guessed)
    if shown is None:
        return [no_update] * (2 * len(FIELDS) + 15) + [{}]
    reasons = feature.guessed_reasons(mapping, proposal if guessed else None)
    labels = [_field_label(name, reasons.get(name)) for name in FIELDS]
    exclude_options = (
        [
            {
                "label": _("Leave out preview, test, spam and incomplete responses ({rules})").format(
                    rules=feature.exclusion_rules(columns["exclude"])
                ),
                "value": "exclude",
            }
        ]
        if columns["exclude"]
        else []
    )
    warnings = _warnings(proposal.warnings) if proposal and guessed else None
    name = feature.dataset_name(workspace(), int(project_id), columns["columns"], file["name"])
    return (
        [shown.fields[f] for f in FIELDS]
        + labels
        + [
            shown.kind,
            shown.segments,
            shown.kpis,
            shown.na,
            shown.rating_scale[0],
            shown.rating_scale[1],
            name,
            said,
            True,
            shown.date_format,
            shown.wave,
            shown.outcome,
            exclude_options,
            ["exclude"] if shown.exclude else [],
            warnings,
            {},
        ]
    )


def _field_label(field: str, reason: str | None):
    """A field's label, with a "guess" badge (its reason on hover) when the column in it was guessed."""
    if reason is None:
        return FIELD_LABELS[field]
    return [
        FIELD_LABELS[field],
        " ",
        dbc.Badge(_("guess"), color="warning", text_color="dark", className="ms-1", title=reason),
    ]


def _warnings(items) -> dbc.Alert | None:
    """What to check before importing, as a list."""
    if not items:
        return None
    return dbc.Alert(
        [html.B(_("Check before importing:")), html.Ul([html.Li(text) for text in items], className="mb-0")],
        color="warning",
        className="py-2 small",
        id="da-warnings-list",
    )


@callback(
    [Output(f"da-{name}-box", "style") for name in FIELDS]
    + [
        Output("da-scale-box", "style"),
        Output("da-na-box", "style"),
        Output("da-kpis-box", "style"),
        Output("da-ts-label", "children", allow_duplicate=True),
        Output("da-date-format-box", "style"),
        Output("da-wave-box", "style"),
        Output("da-outcome-box", "style"),
    ],
    Input("da-kind", "value"),
    Input("da-ts", "value"),
    prevent_initial_call="initial_duplicate",
)
def show_fields(kind, ts):
    """Only the fields the chosen kind of file has; a wave when there is no date column."""
    shown = KIND_FIELDS[kind or "survey"]
    hidden = {"display": "none"}
    styles = [{} if name in shown else hidden for name in FIELDS]
    survey = kind in ("survey", "wide")
    label = _("Period (month or week)") if kind == "kpi_period" else no_update
    undated = survey and ts in (None, "", NONE)
    # A wide file's score columns each have their own scale; the common one is for a long file's "other rating".
    return (
        styles
        + [{} if kind == "survey" else hidden, {} if survey else hidden]
        + [
            hidden if survey else {},
            label,
            {} if survey and not undated else hidden,
            {} if undated else hidden,
            {} if kind == "wide" else hidden,
        ]
    )


def _touchpoint_options(journey) -> list[dict]:
    """Not imported, overall, then the journey's touchpoints (decisions and outcomes last)."""
    ordered = sorted(journey.touchpoints, key=lambda tp: tp.kind != "touchpoint")
    return [{"label": _("— not imported —"), "value": NONE}, {"label": _("Overall outcome"), "value": OVERALL}] + [
        {"label": f"{tp.name} ({tp.key})", "value": tp.key} for tp in ordered
    ]


@callback(
    Output("da-wide-box", "children"),
    Input("da-kind", "value"),
    Input("da-saved", "value"),
    Input("da-draft", "data"),
    State("da-columns", "data"),
    State("da-journey", "value"),
    State("da-project", "value"),
    State("da-file", "data"),
)
def wide_form(kind, saved, drafted, columns, journey_id, project_id, file):
    """For a one-row-per-respondent file: each score column's touchpoint and scale, guesses marked, words → numbers;
    a draft journey of its rating columns offered when none of them has a touchpoint (or there is no journey)."""
    if kind != "wide" or not columns:
        return None
    try:
        mapping, _said = feature.start(workspace(), columns, saved, project_id)
    except USER_ERRORS:
        mapping = None
    if not journey_id:
        if not project_id or not file:
            return None
        taken = [getattr(mapping, name, None) for name in ("ts", "respondent_id", "response_id", "comment")]
        return _draft_box("wide", project_id, file, list(feature.wide_labels(columns, taken).values()), None)
    listed = feature.wide_rows(columns, mapping, saved == GUESS)
    if _drafted(drafted, journey_id):  # each column on the touchpoint made of it (the others on none of the new ones)
        made = drafted["keys"]
        listed = [dataclasses.replace(row, touchpoint=made.get(row.column, NONE)) for row in listed]
    if not listed:
        return dbc.Alert(
            _("No column of numbers or rating words in the first rows to map as scores."),
            color="warning",
            className="small",
        )
    options = _touchpoint_options(feature.journey(workspace(), int(journey_id)))
    metric_options = [{"label": label, "value": value} for value, label in metric_labels().items()]
    rows = [
        html.Tr(
            [
                html.Td(
                    [row.column, html.Br(), html.Small(row.description, className="text-muted")]
                    if row.description
                    else row.column,
                    className="align-middle",
                ),
                html.Td(
                    dbc.Select(
                        id={"type": "da-wide-tp", "column": row.column},
                        options=options,
                        value=row.touchpoint,
                        size="sm",
                    )
                ),
                html.Td(
                    dbc.Select(
                        id={"type": "da-wide-metric", "column": row.column},
                        options=metric_options,
                        value=row.metric,
                        size="sm",
                    )
                ),
                html.Td(
                    dbc.InputGroup(
                        [
                            dbc.Input(
                                id={"type": "da-wide-low", "column": row.column}, type="number", value=row.scale[0]
                            ),
                            dbc.Input(
                                id={"type": "da-wide-high", "column": row.column}, type="number", value=row.scale[1]
                            ),
                        ],
                        size="sm",
                        style={"width": "7rem"},
                    ),
                    title=_("Used for “Other scale”"),
                ),
                html.Td(
                    dbc.Badge(_("guess"), color="warning", text_color="dark", title=row.note) if row.note else "",
                    className="align-middle",
                ),
            ]
        )
        for row in listed
    ]
    editors = [_label_editor(row.column, row.words) for row in listed if row.words]
    offer = None
    if project_id and file and feature.draft_offer([(row.column, row.touchpoint) for row in listed]):
        offer = _draft_box("wide", project_id, file, None, feature.journey(workspace(), int(journey_id)).name)
    return [
        offer,
        dbc.Label(_("Score columns → touchpoints (hover “guess” for why)"), className="small mb-0"),
        html.Div(
            dbc.Table(
                [
                    html.Thead(
                        html.Tr(
                            [
                                html.Th(_("Column")),
                                html.Th(_("Touchpoint")),
                                html.Th(_("Scale")),
                                html.Th(_("From – to")),
                                html.Th(""),
                            ]
                        )
                    ),
                    html.Tbody(rows),
                ],
                size="sm",
                className="small mb-0",
                id="da-wide-table",
            ),
            className="table-responsive",
        ),
        *editors,
    ]


def _label_editor(column: str, words: dict) -> html.Details:
    """Answers written as words → numbers: one input per answer, blank for "not applicable"."""
    rows = [
        html.Tr(
            [
                html.Td(label, className="align-middle"),
                html.Td(
                    dbc.Input(
                        id={"type": "da-label-value", "column": column, "label": label},
                        type="number",
                        value=value,
                        size="sm",
                        style={"width": "6rem"},
                        placeholder=_("n/a"),
                    )
                ),
            ]
        )
        for label, value in words.items()
    ]
    return html.Details(
        [
            html.Summary(_("“{column}”: answers as words → numbers (blank = not applicable)").format(column=column)),
            dbc.Table(html.Tbody(rows), size="sm", className="small mb-0"),
        ],
        open=True,
        className="small mt-2 da-labels",
    )


@callback(
    Output("da-twice", "style"),
    Output("da-twice-text", "children"),
    Output("da-twice-ok", "value"),
    Input({"type": "da-wide-tp", "column": ALL}, "value"),
    State({"type": "da-wide-tp", "column": ALL}, "id"),
)
def twice(touchpoints, ids):
    """Two columns on one touchpoint: said in red, and the import waits until the user confirms it."""
    text = feature.twice({i["column"]: tp for i, tp in zip(ids, touchpoints, strict=True)})
    return ({}, text, []) if text else ({"display": "none"}, "", [])


@callback(
    Output("da-values-box", "children"),
    Input("da-kind", "value"),
    Input("da-touchpoint", "value"),
    Input("da-journey", "value"),
    State("da-file", "data"),
    State("da-encoding", "value"),
    State("da-delimiter", "value"),
    State("da-decimal", "value"),
    State("da-header-rows", "value"),
    State("da-sheet", "value"),
    State("da-header-row", "value"),
    State("da-project", "value"),
    State("da-columns", "data"),
    State("da-saved", "value"),
)
def value_form(
    kind,
    column,
    journey_id,
    file,
    encoding,
    delimiter,
    decimal,
    header_rows,
    sheet,
    header_row,
    project_id,
    columns,
    saved,
):
    """The file's touchpoint labels, each matched to a journey touchpoint (by name, or as saved); a draft journey of
    them offered when none has a touchpoint (or there is no journey)."""
    if kind != "survey" or column in (None, "", NONE) or not file:
        return None
    if not journey_id:
        if not project_id:
            return None
        try:
            found = feature.file_labels(
                _source(file),
                column,
                _dialect(file, encoding, delimiter, decimal, header_rows),
                sheet,
                feature.whole(header_row, None),
            )
        except USER_ERRORS as exc:
            return dbc.Alert(str(exc), color="danger", className="small")
        return _draft_box("survey", project_id, file, list(found), None)
    journey = feature.journey(workspace(), int(journey_id))
    try:
        mapping, _said = feature.start(workspace(), columns, saved, project_id) if columns else (None, None)
        matched = feature.touchpoint_labels(
            _source(file),
            column,
            _dialect(file, encoding, delimiter, decimal, header_rows),
            sheet,
            feature.whole(header_row, None),
            journey,
            mapping,
            saved != GUESS,
        )
    except USER_ERRORS as exc:
        return dbc.Alert(str(exc), color="danger", className="small")
    options = _touchpoint_options(journey)
    rows = [
        html.Tr(
            [
                html.Td(label, className="align-middle"),
                html.Td(
                    dbc.Select(
                        id={"type": "da-value", "label": label},
                        options=options,
                        value=key,
                        size="sm",
                        invalid=key == NONE,
                    )
                ),
            ]
        )
        for label, key in matched
    ]
    note, style = _unmatched_note(sum(key == NONE for _label, key in matched))
    offer = _draft_box("survey", project_id, file, None, journey.name) if feature.draft_offer(matched) else None
    return [
        offer,
        dbc.Label(_("Touchpoint labels in the file → journey touchpoints"), className="small mb-0"),
        html.Div(note, className=style, id="da-unmatched"),
        html.Div(
            dbc.Table(html.Tbody(rows), size="sm", className="small mb-0"),
            style={"maxHeight": "260px", "overflowY": "auto"},
        ),
    ]


@callback(
    Output({"type": "da-value", "label": ALL}, "invalid"),
    Output("da-unmatched", "children"),
    Output("da-unmatched", "className"),
    Input({"type": "da-value", "label": ALL}, "value"),
    prevent_initial_call=True,
)
def count_unmatched(keys):
    """Labels still without a touchpoint stay marked, and the count follows the choices."""
    return [key in (None, "", NONE) for key in keys], *_unmatched_note(sum(key in (None, "", NONE) for key in keys))


def _unmatched_note(unmatched: int) -> tuple[str, str]:
    """What to say about labels without a touchpoint, and its text style."""
    note, matched = feature.unmatched_note(unmatched)
    return note, "small text-success" if matched else "small text-danger"


# ------------------------------------------------------------------ a draft journey from the file


def _drafted(drafted, journey_id) -> bool:
    """Whether ``journey_id`` is the draft journey just made from this file."""
    return bool(drafted and journey_id and str(drafted.get("journey")) == str(journey_id))


def _draft_box(kind: str, project_id, file: dict, labels: list[str] | None, journey_name: str | None) -> dbc.Alert:
    """The offer of a draft journey made of the file's labels (``kind`` "survey") or rating columns ("wide"): where
    the list would be when the project has no journey (``labels`` then lists them), else over the list when none of
    them has a touchpoint of ``journey_name``. Names are shown as text, never as HTML."""
    if journey_name is not None:
        said = (
            _("None of these labels has a touchpoint in “{journey}”: make a journey of them, one touchpoint each.")
            if kind == "survey"
            else _(
                "None of these columns has a touchpoint in “{journey}”: make a journey of them, one touchpoint each."
            )
        ).format(journey=journey_name)
    elif kind == "survey":
        n = len(labels or ())
        said = ngettext(
            "No journey yet for the file's {n} touchpoint label: make one of it.",
            "No journey yet for the file's {n} touchpoint labels: make one of them, one touchpoint each.",
            n,
        ).format(n=formatting.count(n))
    else:
        n = len(labels or ())
        said = ngettext(
            "No journey yet for the file's {n} rating column: make one of it.",
            "No journey yet for the file's {n} rating columns: make one of them, one touchpoint each.",
            n,
        ).format(n=formatting.count(n))
    shown = None
    if labels:
        shown = html.Div(
            dbc.Table(  # as many as a draft may take: a column of ids would send the browser every one
                html.Tbody(
                    [html.Tr(html.Td(label)) for label in labels[: limits.DRAFT_TOUCHPOINTS]]
                    + (
                        [html.Tr(html.Td("…", className="text-muted"))]
                        if len(labels) > limits.DRAFT_TOUCHPOINTS
                        else []
                    )
                ),
                size="sm",
                className="small mb-0",
            ),
            style={"maxHeight": "200px", "overflowY": "auto"},
            className="mt-2 bg-white border rounded",
            id={"type": "da-draft-labels", "kind": kind},
        )
    name = feature.draft_name(workspace(), project_id, file["name"])
    return dbc.Alert(
        [
            html.Div(said, className="mb-2"),
            dbc.InputGroup(
                [
                    dbc.InputGroupText(_("Journey")),
                    dbc.Input(
                        id={"type": "da-draft-name", "kind": kind},
                        value=name,
                        maxLength=limits.NAME_CHARS,
                        debounce=False,
                    ),
                    dbc.Button(
                        [html.I(className="fa-solid fa-diagram-project me-1"), _("Create a draft journey from these")],
                        id={"type": "da-draft-create", "kind": kind},
                        color="primary",
                    ),
                ],
                size="sm",
            ),
            shown,
        ],
        color="info",
        className="py-2 small mb-2",
        id={"type": "da-draft-offer", "kind": kind},
    )


@callback(
    Output("da-journey", "options", allow_duplicate=True),
    Output("da-journey", "value", allow_duplicate=True),
    Output("da-draft", "data"),
    Output("da-draft-said", "children"),
    Output("da-draft-said", "color"),
    Output("da-draft-said", "is_open"),
    Input({"type": "da-draft-create", "kind": ALL}, "n_clicks"),
    State({"type": "da-draft-name", "kind": ALL}, "value"),
    State({"type": "da-draft-name", "kind": ALL}, "id"),
    State("da-project", "value"),
    State("da-file", "data"),
    State("da-touchpoint", "value"),
    State("da-encoding", "value"),
    State("da-delimiter", "value"),
    State("da-decimal", "value"),
    State("da-header-rows", "value"),
    State("da-sheet", "value"),
    State("da-header-row", "value"),
    State("da-columns", "data"),
    [State(f"da-{name}", "value") for name in ("ts", "respondent_id", "response_id", "comment")],
    prevent_initial_call=True,
)
def create_draft(
    _clicks,
    names,
    name_ids,
    project_id,
    file,
    column,
    encoding,
    delimiter,
    decimal,
    header_rows,
    sheet,
    header_row,
    columns,
    *taken,
):
    """A draft journey of the file's labels (long file) or rating columns (wide file), chosen in the form: each then
    maps to its own touchpoint."""
    # A click, not an offer drawn anew (its button's n_clicks then starts empty).
    if not isinstance(ctx.triggered_id, dict) or not ctx.triggered or not ctx.triggered[0]["value"] or not file:
        return [no_update] * 6
    kind = ctx.triggered_id["kind"]
    name = next((value for value, i in zip(names, name_ids, strict=True) if i["kind"] == kind), "")
    try:
        if kind == "wide":
            labels = feature.wide_labels(columns or {}, list(taken))
            where, what = file["name"], "columns"
        else:
            chosen = _dialect(file, encoding, delimiter, decimal, header_rows)
            labels = feature.file_labels(_source(file), column, chosen, sheet, feature.whole(header_row, None))
            where = _("{file}, column “{column}”").format(file=file["name"], column=column)
            what = "labels"
        made = feature.create_draft(workspace(), project_id, name, labels, where, what)
    except USER_ERRORS as exc:
        return no_update, no_update, no_update, str(exc), "danger", True
    journeys, _names = feature.project_choices(workspace(), int(project_id))
    said = [made.message, " ", dcc.Link(_("Open the Journeys page"), href="/", className="alert-link")]
    return (
        [{"label": text, "value": id_} for text, id_ in journeys],
        made.journey_id,
        {"journey": made.journey_id, "keys": made.keys},
        said,
        "success",
        True,
    )


@callback(
    Output("da-draft", "data", allow_duplicate=True),
    Output("da-draft-said", "is_open", allow_duplicate=True),
    Input("da-file", "data"),
    prevent_initial_call=True,
)
def forget_draft(_file):
    """Another file: the draft made from the last one is a journey like any other."""
    return None, False


# ------------------------------------------------------------------ step 3: check, then import or cancel


@callback(
    Output("da-token", "data"),
    Output("da-job", "data"),
    Output("da-report", "children", allow_duplicate=True),
    Output("da-decision", "style", allow_duplicate=True),
    Input("da-check", "n_clicks"),
    State("da-token", "data"),
    State("da-job", "data"),
    prevent_initial_call=True,
)
def start_check(_click, waiting, job):
    """A new import token, then the background check (an import still waiting is dropped)."""
    return feature.new_check(workspace(), waiting), (job or 0) + 1, None, {"display": "none"}


@callback(
    Output("da-report", "children"),
    Output("da-decision", "style"),
    Output("da-commit", "children"),
    Output("da-commit", "disabled"),
    Input("da-job", "data"),
    State("da-token", "data"),
    [State(f"da-{name}", "value") for name in FIELDS]
    + [
        State("da-kind", "value"),
        State("da-segments", "value"),
        State("da-kpis", "value"),
        State("da-na", "value"),
        State("da-rating-min", "value"),
        State("da-rating-max", "value"),
        State({"type": "da-wide-tp", "column": ALL}, "value"),
        State({"type": "da-wide-tp", "column": ALL}, "id"),
        State({"type": "da-wide-metric", "column": ALL}, "value"),
        State({"type": "da-wide-low", "column": ALL}, "value"),
        State({"type": "da-wide-high", "column": ALL}, "value"),
        State({"type": "da-value", "label": ALL}, "value"),
        State({"type": "da-value", "label": ALL}, "id"),
        State({"type": "da-label-value", "column": ALL, "label": ALL}, "value"),
        State({"type": "da-label-value", "column": ALL, "label": ALL}, "id"),
        State("da-date-format", "value"),
        State("da-wave", "value"),
        State("da-outcome-name", "value"),
        State("da-exclude", "value"),
        State("da-twice-ok", "value"),
        State("da-append", "value"),
        State("da-name", "value"),
        State("da-columns", "data"),
        State("da-file", "data"),
        State("da-encoding", "value"),
        State("da-delimiter", "value"),
        State("da-decimal", "value"),
        State("da-header-rows", "value"),
        State("da-sheet", "value"),
        State("da-header-row", "value"),
        State("da-project", "value"),
        State("da-journey", "value"),
        State("da-lang", "data"),
    ],
    background=True,
    prevent_initial_call=True,
    progress=[Output("da-progress", "value"), Output("da-progress", "label")],
    running=[(Output("da-check", "disabled"), True, False), (Output("da-cancel", "disabled"), False, True)],
)
def check(set_progress, _job, token, *values):
    """Read and validate the whole file in the background; the valid rows wait for the user's decision.

    The check runs in another process: it writes in the language of the page that started it."""
    *values, lang = values
    with i18n.language(lang):
        return _check(set_progress, token, *values)


def _check(set_progress, token, *values):
    """The check itself, in the reader's language."""
    fields = dict(zip(FIELDS, values[: len(FIELDS)], strict=True))
    (
        kind,
        segments,
        kpis,
        na_text,
        rating_min,
        rating_max,
        wide_tps,
        wide_ids,
        wide_metrics,
        wide_lows,
        wide_highs,
        label_keys,
        label_ids,
        word_values,
        word_ids,
        date_format,
        wave,
        outcome_name,
        exclude,
        twice_ok,
        append,
        name,
        columns,
        file,
        encoding,
        delimiter,
        decimal,
        header_rows,
        sheet,
        header_row,
        project_id,
        journey_id,
    ) = values[len(FIELDS) :]
    hidden = {"display": "none"}
    if not token or not file or not project_id:
        return None, hidden, "", True
    wide = {
        i["column"]: (tp, metric, low, high)
        for i, tp, metric, low, high in zip(wide_ids, wide_tps, wide_metrics, wide_lows, wide_highs, strict=True)
    }
    labels = {i["label"]: key for i, key in zip(label_ids, label_keys, strict=True)}
    words: dict[str, dict] = {}
    for i, value in zip(word_ids, word_values, strict=True):
        words.setdefault(i["column"], {})[i["label"]] = None if value in (None, "") else float(value)
    extra = {
        "date_format": date_format or AUTO,
        "wave": wave,
        "outcome": outcome_name,
        "twice_ok": bool(twice_ok),
        "exclude": (columns or {}).get("exclude", {}) if exclude else {},
    }
    try:
        mapping = feature.form_mapping(
            kind, fields, segments, kpis, na_text, rating_min, rating_max, wide, labels, words, extra
        )
        checked = feature.check(
            workspace(),
            int(project_id),
            _source(file),
            mapping,
            journey_id=journey_id,
            chosen=_dialect(file, encoding, delimiter, decimal, header_rows),
            sheet=sheet,
            header_row=feature.whole(header_row, None),
            source=file["name"],
            token=token,
            append=bool(append),
            name=name or "",
            progress=lambda fraction, step: set_progress((round(100 * fraction), step)),
        )
    except Cancelled as exc:
        set_progress((0, ""))
        return dbc.Alert(str(exc), color="secondary", className="py-2 small"), hidden, "", True
    except (*USER_ERRORS, OSError) as exc:
        set_progress((0, ""))
        return dbc.Alert(str(exc), color="danger", className="py-2 small", id="da-error"), hidden, "", True
    except Exception as exc:  # a file this importer does not understand: say so in a line, keep the trace in the log
        logging.getLogger(__name__).exception("import check failed")
        set_progress((0, ""))
        return (
            dbc.Alert(
                _("This file could not be read with this mapping ({error}); nothing was changed.").format(
                    error=type(exc).__name__
                ),
                color="danger",
                className="py-2 small",
            ),
            hidden,
            "",
            True,
        )
    set_progress((100, _("Checked")))
    body = [_warnings(checked.warnings), _report(checked.staged.report)]
    if not checked.answers:
        return body, {}, _("No valid rows to import"), True
    n = checked.answers
    if checked.staged.extends is not None:
        verb = ngettext("Append {n} valid row", "Append {n} valid rows", n)
    else:
        verb = ngettext("Import {n} valid row", "Import {n} valid rows", n)
    return body, {}, verb.format(n=formatting.count(n)), False


@callback(
    Output("da-cancel", "n_clicks"),
    Input("da-cancel", "n_clicks"),
    State("da-token", "data"),
    prevent_initial_call=True,
)
def stop_check(clicks, token):
    """Ask the running check to stop; it removes what it wrote."""
    if token:
        feature.stop_check(workspace(), token)
    return clicks


@callback(
    Output("da-refresh", "data"),
    Output("da-report", "children", allow_duplicate=True),
    Output("da-decision", "style", allow_duplicate=True),
    Output("da-token", "data", allow_duplicate=True),
    Output("da-progress", "value", allow_duplicate=True),
    Output("da-progress", "label", allow_duplicate=True),
    Input("da-commit", "n_clicks"),
    Input("da-discard", "n_clicks"),
    State("da-token", "data"),
    State("da-name", "value"),
    State("da-refresh", "data"),
    prevent_initial_call=True,
    running=[
        (Output("da-commit", "disabled"), True, False),
        (Output("da-discard", "disabled"), True, False),
        (Output("da-importing", "style"), {"display": "inline"}, {"display": "none"}),
    ],
)
def decide(_commit, _discard, token, name, refresh):
    """Keep the valid rows as a new dataset version, or drop them."""
    hidden = {"display": "none"}
    if not token:
        return no_update, no_update, hidden, None, 0, ""
    if ctx.triggered_id == "da-discard":
        feature.discard(workspace(), token)
        return (
            no_update,
            dbc.Alert(_("Import cancelled; nothing was changed."), color="secondary", className="py-2 small"),
            hidden,
            None,
            0,
            "",
        )
    try:
        text = feature.commit(workspace(), token, name or "")
    except USER_ERRORS as exc:
        return (
            no_update,
            dbc.Alert(str(exc), color="danger", className="py-2 small"),
            no_update,
            no_update,
            no_update,
            no_update,
        )
    links = html.Span([" ", dcc.Link(_("Open the heatmap"), href="/heatmap", className="alert-link")])
    return (
        (refresh or 0) + 1,
        dbc.Alert([text, links], color="success", className="py-2 small", id="da-imported"),
        hidden,
        None,
        0,
        "",
    )


def _report(report) -> html.Div:
    """The validation report: rows read and kept, how dates were read, and each kind of problem with its rows."""
    summary = feature.report_summary(report)
    if not report.issues:
        return html.Div(
            [
                html.Div(summary, className="small mb-2"),
                html.Div(_("No problems found."), className="small text-success"),
            ],
            id="da-report-body",
        )
    rows = [
        html.Tr(
            [
                html.Td(_(issue.message)),
                html.Td(issue.column),
                html.Td(formatting.count(issue.count), className="text-end"),
                html.Td(", ".join(map(formatting.count, issue.rows)) + (" …" if issue.count > len(issue.rows) else "")),
            ]
        )
        for issue in report.issues
    ]
    return html.Div(
        [
            html.Div(summary, className="small mb-2"),
            html.Div(
                dbc.Table(
                    [
                        html.Thead(
                            html.Tr(
                                [
                                    html.Th(_("Problem")),
                                    html.Th(_("Column")),
                                    html.Th(_("Rows"), className="text-end"),
                                    html.Th(_("First rows")),
                                ]
                            )
                        ),
                        html.Tbody(rows),
                    ],
                    size="sm",
                    className="small",
                    bordered=True,
                ),
                className="table-responsive",
            ),
        ],
        id="da-report-body",
    )
