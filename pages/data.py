"""Data page: the project's datasets, and importing a survey or KPI file (upload → preview → mapping → report)."""

from __future__ import annotations

import logging
from pathlib import Path

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from pages._context import readable_folders, workspace
from workbench import dates, folders, ingest, limits
from workbench.datasets import KINDS, sample_files
from workbench.i18n import gettext as _
from workbench.ingest import OVERALL, CsvDialect, IngestError, KpiMapping, SurveyMapping, WideColumn
from workbench.workspace import WorkspaceError

dash.register_page(__name__, path="/data", name=_("Data"), title=_("Data · CX Journey Workbench"))

USER_ERRORS = (IngestError, WorkspaceError, folders.FolderError, ValueError)
FILE_TYPES = {
    "survey": _("Survey answers — one row per answer (a touchpoint column)"),
    "wide": _("Survey — one row per respondent (a rating column per touchpoint)"),
    "kpi_period": _("KPIs per period (month or week × branch, region…)"),
    "kpi_customer": _("KPIs per customer (joined on the respondent id)"),
}
METRIC_LABELS = {"nps": "NPS 0–10", "csat": "CSAT 1–5", "ces": "CES 1–7", "rating": _("Other rating")}
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1250": "Windows-1250 (cp1250)",
                   "iso-8859-2": "ISO-8859-2 (Latin-2)"}
DELIMITERS = [(";", _("semicolon ;")), (",", _("comma ,")), ("\t", _("tab")), ("|", _("pipe |"))]
FIELDS = ("ts", "touchpoint", "respondent_id", "response_id", "nps", "csat", "ces", "rating", "comment")
FIELD_LABELS = {"ts": _("Date / time"), "touchpoint": _("Touchpoint"), "respondent_id": _("Respondent (customer) id"),
                "response_id": _("Answer id"), "nps": "NPS (0–10)", "csat": "CSAT (1–5)", "ces": "CES (1–7)",
                "rating": _("Other rating"), "comment": _("Comment")}
NONE = "__none__"


# ------------------------------------------------------------------ layout


def layout(**_query) -> html.Div:
    """Datasets of the chosen project on the left, the import steps on the right."""
    projects = workspace().projects()
    return html.Div([
        dcc.Store(id="da-file"),
        dcc.Store(id="da-columns"),
        dcc.Store(id="da-token"),
        dcc.Store(id="da-job", data=0),
        dcc.Store(id="da-refresh", data=0),
        html.Div([
            dbc.InputGroup([
                dbc.InputGroupText(_("Project")),
                dbc.Select(id="da-project", options=[{"label": p.name, "value": p.id} for p in projects],
                           value=projects[0].id if projects else None, persistence=True, persistence_type="local",
                           style={"minWidth": "12rem"}),
            ], size="sm", className="w-auto me-3"),
            html.Div(dbc.InputGroup([
                dbc.InputGroupText(_("Journey")),
                dbc.Select(id="da-journey", options=[], style={"minWidth": "12rem"}),
            ], size="sm"), className="w-auto", title=_("Survey answers are mapped to this journey's touchpoints")),
        ], className="d-flex flex-wrap align-items-center gap-1 mb-2"),
        dbc.Alert(id="da-message", is_open=False, dismissable=True, className="py-2 small"),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader(html.B(_("Datasets"))), dbc.CardBody(html.Div(id="da-datasets"))]),
                    lg=5, className="mb-2"),
            dbc.Col(_import_card(), lg=7),
        ], className="g-2"),
        _dialog("da-delete", _("Delete this dataset version?"), html.Div(id="da-delete-text"), _("Delete"), "danger"),
        dbc.Modal([dbc.ModalHeader(dbc.ModalTitle(id="da-kept-title")), dbc.ModalBody(id="da-kept-report")],
                  id="da-kept-modal", is_open=False, size="lg"),
        dcc.Store(id="da-delete-id"),
    ])


def _dialog(prefix: str, title, body, ok_label: str, ok_color: str) -> dbc.Modal:
    """A modal with ids {prefix}-modal / -cancel / -ok."""
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle(title)), dbc.ModalBody(body),
        dbc.ModalFooter([dbc.Button(_("Cancel"), id=f"{prefix}-cancel", color="secondary"),
                         dbc.Button(ok_label, id=f"{prefix}-ok", color=ok_color)]),
    ], id=f"{prefix}-modal", is_open=False)


def _select(id_: str, label: str, options=(), **kwargs) -> html.Div:
    return html.Div([dbc.Label(label, html_for=id_, className="small mb-0", id=f"{id_}-label"),
                     dbc.Select(id=id_, options=list(options), size="sm", **kwargs)], className="mb-2")


def _import_card() -> dbc.Card:
    samples = [{"label": p.name, "value": p.name} for p in sample_files()]
    return dbc.Card([
        dbc.CardHeader(html.B(_("Import a file"))),
        dbc.CardBody([
            html.H6(_("1. The file"), className="text-muted"),
            dcc.Upload(id="da-upload", multiple=False, className="border border-dashed rounded p-3 text-center mb-2",
                       children=html.Div([html.I(className="fa-solid fa-file-arrow-up me-2"),
                                          _("Drop a CSV, XLSX or Parquet file here, or click to choose one")
                                          + " " + _("(up to {size}; type the path of a bigger one, e.g. in {folder})")
                                          .format(size=limits.size(limits.UPLOAD_BYTES),
                                                  folder=readable_folders()[0] / folders.IMPORTS_FOLDER)])),
            dbc.InputGroup([
                dbc.Input(id="da-path", placeholder=_("…or the path of a file on this computer"), debounce=True),
                dbc.Select(id="da-sample", options=samples, placeholder=_("…or a sample file"),
                           style={"maxWidth": "14rem"}),
                dbc.Button(_("Open"), id="da-open", color="secondary"),
            ], size="sm", className="mb-2"),
            html.Div(id="da-file-info", className="small mb-2"),
            dbc.Row([
                dbc.Col(_select("da-encoding", _("Encoding"), [{"label": ENCODING_LABELS[v], "value": v} for v in ingest.ENCODINGS])),
                dbc.Col(_select("da-delimiter", _("Delimiter"), [{"label": l, "value": v} for v, l in DELIMITERS])),
                dbc.Col(_select("da-decimal", _("Decimal mark"), [{"label": _("comma ,"), "value": ","},
                                                                  {"label": _("point ."), "value": "."}])),
            ], id="da-csv-options", className="g-2", style={"display": "none"}),
            html.Div(_select("da-sheet", _("Sheet")), id="da-sheet-box", style={"display": "none"}),
            dag.AgGrid(id="da-preview", rowData=[], columnDefs=[], className="ag-theme-alpine mb-3",
                       style={"height": "230px"}, defaultColDef={"resizable": True, "minWidth": 90},
                       dashGridOptions={"suppressFieldDotNotation": True}),
            html.Div([
                html.H6(_("2. What the columns mean"), className="text-muted"),
                dbc.Alert(id="da-reused", color="info", is_open=False, className="py-2 small"),
                dbc.RadioItems(id="da-kind", value="survey", className="mb-2 small",
                               options=[{"label": label, "value": value} for value, label in FILE_TYPES.items()]),
                _mapping_form(),
                html.H6(_("3. Check and import"), className="text-muted mt-3"),
                dbc.InputGroup([
                    dbc.InputGroupText(_("Dataset")),
                    dbc.Input(id="da-name", list="da-names", maxLength=200,
                              placeholder=_("name; an existing name adds a new version")),
                    html.Datalist(id="da-names"),
                    dbc.Button([html.I(className="fa-solid fa-list-check me-1"), _("Check file")], id="da-check",
                               color="primary"),
                    dbc.Button(_("Stop"), id="da-cancel", color="secondary", disabled=True),
                ], size="sm", className="mb-2"),
                dbc.Progress(id="da-progress", value=0, label="", className="mb-2", style={"height": "1.2rem"}),
                html.Div(id="da-report"),
                html.Div([
                    dbc.Button(id="da-commit", color="success", className="me-2"),
                    dbc.Button(_("Cancel import"), id="da-discard", color="secondary"),
                ], id="da-decision", style={"display": "none"}),
            ], id="da-mapping", style={"display": "none"}),
        ]),
    ])


def _mapping_form() -> html.Div:
    def field(name: str) -> dbc.Col:
        return dbc.Col(_select(f"da-{name}", FIELD_LABELS[name]), md=4, id=f"da-{name}-box")

    return html.Div([
        dbc.Row([field(name) for name in FIELDS], className="g-2"),
        dbc.Row([
            dbc.Col(html.Div([dbc.Label(_("Other rating: scale from – to"), className="small mb-0"), dbc.InputGroup([
                dbc.Input(id="da-rating-min", type="number", value=1), dbc.Input(id="da-rating-max", type="number", value=10),
            ], size="sm")], className="mb-2"), md=4, id="da-scale-box"),
            dbc.Col(html.Div([dbc.Label(_("Values meaning “not applicable”"), html_for="da-na", className="small mb-0"),
                              dbc.Input(id="da-na", size="sm", placeholder=_("e.g. 0, 99 — only where it is no valid score"))],
                             className="mb-2"), md=4, id="da-na-box"),
        ], className="g-2"),
        html.Div([dbc.Label(_("Segments (kept for filters and breakdowns)"), className="small mb-0"),
                  dbc.Checklist(id="da-segments", inline=True, className="small")], className="mb-2"),
        html.Div([dbc.Label(_("KPI columns"), className="small mb-0"),
                  dbc.Checklist(id="da-kpis", inline=True, className="small")], id="da-kpis-box", className="mb-2"),
        html.Div(id="da-wide-box", className="mb-2"),
        html.Div(id="da-values-box", className="mb-2"),
    ])


# ------------------------------------------------------------------ datasets list


@callback(Output("da-journey", "options"), Output("da-journey", "value"), Output("da-names", "children"),
          Input("da-project", "value"), Input("da-refresh", "data"))
def fill_project(project_id, _refresh):
    """Journeys and dataset names of the chosen project."""
    if not project_id:
        return [], None, []
    journeys = workspace().journeys(int(project_id))
    names = [html.Option(value=name) for name in workspace().datasets.names(int(project_id))]
    return ([{"label": j.name, "value": j.id} for j in journeys], journeys[0].id if journeys else None, names)


@callback(Output("da-datasets", "children"), Input("da-project", "value"), Input("da-refresh", "data"))
def list_datasets(project_id, _refresh):
    """The project's dataset versions with rows, period and problems found on import."""
    if not project_id:
        return html.Div(_("Create a project on the Journeys page first."), className="text-muted small")
    datasets = workspace().datasets.list(int(project_id))
    if not datasets:
        return html.Div(_("No data yet: import a survey or KPI export on the right."), className="text-muted small")
    rows = []
    for d in datasets:
        skipped = d.report.rows_read - d.report.rows_valid
        period = " – ".join(v[:10] for v in (d.meta.get("date_from"), d.meta.get("date_to")) if v)
        rows.append(html.Tr([
            html.Td([html.Div(d.name, className="fw-semibold"),
                     html.Div(f"v{d.version}" + ("" if d.latest else _(" (older)")), className="text-muted")]),
            html.Td(KINDS.get(d.kind, d.kind)),
            html.Td(f"{d.rows:,}".replace(",", "\u00a0"), className="text-end text-nowrap"),
            html.Td(period),
            html.Td(dbc.Button(_("{n} skipped").format(n=skipped) if skipped else _("clean"), size="sm",
                               color="warning" if skipped else "light", className="border py-0",
                               id={"type": "da-show-report", "id": d.id}, title=_("Show the import report"))),
            html.Td(dbc.Button(html.I(className="fa-solid fa-trash"), size="sm", color="light",
                               className="border py-0", id={"type": "da-delete", "id": d.id},
                               title=_("Delete this version"))),
        ], className="" if d.latest else "text-muted"))
    header = html.Thead(html.Tr([html.Th(_("Dataset")), html.Th(_("Kind")), html.Th(_("Rows"), className="text-end"),
                                 html.Th(_("Period")), html.Th(_("Import")), html.Th("")]))
    return dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, className="small mb-0", id="da-table")


@callback(Output("da-kept-modal", "is_open"), Output("da-kept-title", "children"), Output("da-kept-report", "children"),
          Input({"type": "da-show-report", "id": ALL}, "n_clicks"), prevent_initial_call=True)
def show_kept_report(clicks):
    """The validation report kept with a dataset version."""
    if not any(clicks):
        return no_update, no_update, no_update
    info = workspace().datasets.get(ctx.triggered_id["id"])
    source = _("from “{source}”, imported {when:%Y-%m-%d %H:%M}").format(source=info.source, when=info.created_at)
    return True, f"{info.name} v{info.version}", [html.P(source, className="small text-muted"), _report(info.report)]


@callback(Output("da-delete-modal", "is_open"), Output("da-delete-text", "children"), Output("da-delete-id", "data"),
          Input({"type": "da-delete", "id": ALL}, "n_clicks"), Input("da-delete-cancel", "n_clicks"),
          prevent_initial_call=True)
def ask_delete(clicks, _cancel):
    """Confirm before a dataset version is deleted."""
    if ctx.triggered_id == "da-delete-cancel" or not any(clicks or []):
        return False, no_update, None
    info = workspace().datasets.get(ctx.triggered_id["id"])
    return True, _("“{name}” version {version} ({rows} rows) will be deleted with its file.").format(
        name=info.name, version=info.version, rows=info.rows), info.id


@callback(Output("da-delete-modal", "is_open", allow_duplicate=True), Output("da-refresh", "data", allow_duplicate=True),
          Input("da-delete-ok", "n_clicks"), State("da-delete-id", "data"), State("da-refresh", "data"),
          prevent_initial_call=True)
def delete_dataset(_ok, dataset_id, refresh):
    """Delete the confirmed dataset version."""
    if dataset_id:
        workspace().datasets.delete(int(dataset_id))
    return False, (refresh or 0) + 1


# ------------------------------------------------------------------ step 1: the file


@callback(Output("da-file", "data"), Output("da-message", "children", allow_duplicate=True),
          Output("da-message", "is_open", allow_duplicate=True), Output("da-message", "color", allow_duplicate=True),
          Input("da-upload", "contents"), Input("da-open", "n_clicks"), Input("da-path", "value"),
          State("da-upload", "filename"), State("da-sample", "value"), prevent_initial_call=True)
def choose_file(contents, _open, typed_path, filename, sample):
    """An uploaded file is kept in the workspace; a path or sample is read where it is."""
    try:
        if ctx.triggered_id == "da-upload":
            if not contents:
                return no_update, no_update, False, no_update
            path = workspace().datasets.receive(filename, limits.upload(contents, filename))
            name = filename
        else:
            if ctx.triggered_id == "da-path" or not sample:
                if not typed_path:
                    return no_update, _("Type a path or choose a sample file."), True, "warning"
                path = folders.typed_file(typed_path, readable_folders())
                ingest.file_kind(path)
            else:
                path = {p.name: p for p in sample_files()}.get(sample)
                if path is None:
                    return no_update, _("Choose one of the sample files."), True, "warning"
            name = path.name
    except USER_ERRORS as exc:
        return None, str(exc), True, "danger"
    return {"path": str(path), "name": name, "kind": ingest.file_kind(path)}, no_update, False, no_update


@callback(Output("da-encoding", "value"), Output("da-delimiter", "value"), Output("da-decimal", "value"),
          Output("da-sheet", "options"), Output("da-sheet", "value"), Output("da-csv-options", "style"),
          Output("da-sheet-box", "style"), Input("da-file", "data"))
def detect_format(file):
    """What was detected about a new file; the user may override it."""
    hidden, shown = {"display": "none"}, {}
    if not file:
        return None, None, None, [], None, hidden, hidden
    try:
        if file["kind"] == "csv":
            dialect = ingest.sniff_file(_source(file))
            return dialect.encoding, dialect.delimiter, dialect.decimal, [], None, shown, hidden
        if file["kind"] == "xlsx":
            sheets = ingest.sheet_names(_source(file))
            return None, None, None, [{"label": s, "value": s} for s in sheets], sheets[0] if sheets else None, hidden, shown
    except USER_ERRORS:
        pass  # the preview says what is wrong
    return None, None, None, [], None, hidden, hidden


def _source(file: dict) -> Path:
    """The chosen file's path, checked again: the browser holds it between steps and could send back another."""
    return folders.typed_file(file["path"], readable_folders())


def _dialect(file, encoding, delimiter, decimal) -> CsvDialect | None:
    if not file or file["kind"] != "csv" or not (encoding and delimiter and decimal):
        return None
    return CsvDialect(encoding, delimiter, decimal)


@callback(Output("da-preview", "rowData"), Output("da-preview", "columnDefs"), Output("da-file-info", "children"),
          Output("da-columns", "data"), Output("da-mapping", "style"),
          Input("da-encoding", "value"), Input("da-delimiter", "value"), Input("da-decimal", "value"),
          Input("da-sheet", "value"), State("da-file", "data"))
def preview(encoding, delimiter, decimal, sheet, file):
    """The first rows as the file will be read, and its columns for the mapping."""
    if not file:
        return [], [], "", None, {"display": "none"}
    try:
        source = ingest.read_source(_source(file), _dialect(file, encoding, delimiter, decimal), sheet,
                                    rows=ingest.PREVIEW_ROWS)
    except USER_ERRORS as exc:
        return [], [], dbc.Alert(str(exc), color="danger", className="py-2 small mb-0"), None, {"display": "none"}
    table = source.table
    columns = table.column_names
    rows = [{f"c{i}": _cell(v) for i, v in enumerate(row.values())} for row in table.to_pylist()]
    defs = [{"headerName": name, "field": f"c{i}"} for i, name in enumerate(columns)]
    info = html.Span([html.I(className="fa-solid fa-file-lines me-1"), html.B(file["name"]),
                      " · " + _("{n} columns; first {rows} rows below").format(n=len(columns), rows=len(rows))])
    numeric = ingest.numeric_columns(table, source.decimal)
    return rows, defs, info, {"columns": columns, "numeric": numeric}, {}


def _cell(value) -> str | float | None:
    """Preview cells as plain text or numbers (the grid never renders HTML)."""
    if value is None or isinstance(value, (int, float)):
        return value
    return str(value)


# ------------------------------------------------------------------ step 2: the mapping


@callback([Output(f"da-{name}", "options") for name in FIELDS] + [Output("da-segments", "options"),
                                                                   Output("da-kpis", "options")],
          Input("da-columns", "data"))
def column_options(columns):
    """Every field can take any column of the file."""
    names = (columns or {}).get("columns", [])
    options = [{"label": _("— none —"), "value": NONE}] + [{"label": c, "value": c} for c in names]
    return [options] * len(FIELDS) + [[{"label": c, "value": c} for c in names]] * 2


@callback([Output(f"da-{name}", "value") for name in FIELDS] +
          [Output("da-kind", "value"), Output("da-segments", "value"), Output("da-kpis", "value"),
           Output("da-na", "value"), Output("da-rating-min", "value"), Output("da-rating-max", "value"),
           Output("da-name", "value"), Output("da-reused", "children"), Output("da-reused", "is_open")],
          Input("da-columns", "data"), State("da-project", "value"), State("da-file", "data"))
def fill_mapping(columns, project_id, file):
    """The mapping saved for files of this shape, else a guess from the header words."""
    if not columns or not project_id:
        return [no_update] * (len(FIELDS) + 9)
    names = columns["columns"]
    datasets = workspace().datasets
    saved = datasets.saved_mapping(int(project_id), names)
    name = datasets.last_name_for(int(project_id), names) or Path(file["name"]).stem
    if isinstance(saved, KpiMapping):
        values = {"ts": saved.period or NONE, "respondent_id": saved.respondent_id or NONE}
        return ([values.get(f, NONE) for f in FIELDS] + [saved.kind, list(saved.segments), list(saved.kpis), "", 1, 10,
                name, _("Using the mapping saved for files with these columns."), True])
    if isinstance(saved, SurveyMapping):
        na = sorted({code for codes in saved.na_codes.values() for code in codes})
        return ([getattr(saved, f) or NONE for f in FIELDS] +
                ["wide" if saved.wide else "survey", list(saved.segments), [], ", ".join(na), saved.rating_scale[0],
                 saved.rating_scale[1], name, _("Using the mapping saved for files with these columns."), True])
    guess = ingest.guess_fields(names)
    used = set(guess.values())
    numeric = set(columns["numeric"])
    segments = [c for c in names if c not in used and c not in numeric]
    scores = {guess.get(f) for f in ("ts", "nps", "csat", "ces")}
    kpis = [c for c in columns["numeric"] if c not in scores]
    return ([guess.get(f, NONE) for f in FIELDS] + ["survey", segments, kpis, "", 1, 10, name, "", False])


@callback([Output(f"da-{name}-box", "style") for name in FIELDS] +
          [Output("da-scale-box", "style"), Output("da-na-box", "style"), Output("da-kpis-box", "style"),
           Output("da-ts-label", "children")],
          Input("da-kind", "value"))
def show_fields(kind):
    """Only the fields the chosen kind of file has."""
    shown = {
        "survey": {"ts", "touchpoint", "respondent_id", "response_id", "nps", "csat", "ces", "rating", "comment"},
        "wide": {"ts", "respondent_id", "response_id", "comment"},
        "kpi_period": {"ts"},
        "kpi_customer": {"respondent_id"},
    }[kind or "survey"]
    styles = [{} if name in shown else {"display": "none"} for name in FIELDS]
    survey = kind in ("survey", "wide")
    label = _("Period (month or week)") if kind == "kpi_period" else FIELD_LABELS["ts"]
    return styles + [{} if survey else {"display": "none"}] * 2 + [{"display": "none"} if survey else {}, label]


def _touchpoint_options(journey) -> list[dict]:
    """Not imported, overall, then the journey's touchpoints (decisions and outcomes last)."""
    ordered = sorted(journey.touchpoints, key=lambda tp: tp.kind != "touchpoint")
    return [{"label": _("— not imported —"), "value": NONE},
            {"label": _("Overall (relationship) score"), "value": OVERALL}] + [
        {"label": f"{tp.name} ({tp.key})", "value": tp.key} for tp in ordered]


@callback(Output("da-wide-box", "children"), Input("da-kind", "value"), Input("da-columns", "data"),
          Input("da-journey", "value"), State("da-project", "value"))
def wide_form(kind, columns, journey_id, project_id):
    """For a one-row-per-respondent file: each rating column's touchpoint and scale."""
    if kind != "wide" or not columns or not journey_id:
        return None
    journey = workspace().journey(int(journey_id)).journey
    saved = workspace().datasets.saved_mapping(int(project_id), columns["columns"]) if project_id else None
    known = {w.column: w for w in saved.wide} if isinstance(saved, SurveyMapping) else {}
    names = {tp.key: tp.name for tp in journey.touchpoints}
    matched = ingest.match_touchpoints(columns["numeric"], names)
    options = _touchpoint_options(journey)
    metric_options = [{"label": label, "value": value} for value, label in METRIC_LABELS.items()]
    rows = []
    for column in columns["numeric"]:
        guess = known.get(column)
        overall = any(word in ingest.fold(column) for word in ("overall", "celkov", "ogoln", "nps", "doporuc", "polec"))
        touchpoint = guess.touchpoint if guess else (OVERALL if overall else matched.get(column) or NONE)
        metric = guess.metric if guess else ("nps" if overall else "csat")
        rows.append(html.Tr([
            html.Td(column, className="align-middle"),
            html.Td(dbc.Select(id={"type": "da-wide-tp", "column": column}, options=options, value=touchpoint, size="sm")),
            html.Td(dbc.Select(id={"type": "da-wide-metric", "column": column}, options=metric_options, value=metric,
                               size="sm")),
        ]))
    if not rows:
        return dbc.Alert(_("No column of numbers in the preview to map as ratings."), color="warning", className="small")
    return [dbc.Label(_("Rating columns → touchpoints"), className="small mb-0"),
            dbc.Table([html.Thead(html.Tr([html.Th(_("Column")), html.Th(_("Touchpoint")), html.Th(_("Scale"))])),
                       html.Tbody(rows)], size="sm", className="small mb-0")]


@callback(Output("da-values-box", "children"), Input("da-kind", "value"), Input("da-touchpoint", "value"),
          Input("da-journey", "value"), State("da-file", "data"), State("da-encoding", "value"),
          State("da-delimiter", "value"), State("da-decimal", "value"), State("da-sheet", "value"),
          State("da-project", "value"), State("da-columns", "data"))
def value_form(kind, column, journey_id, file, encoding, delimiter, decimal, sheet, project_id, columns):
    """The file's touchpoint labels, each matched to a journey touchpoint (by name, or as saved)."""
    if kind != "survey" or column in (None, "", NONE) or not journey_id or not file:
        return None
    try:
        labels = ingest.column_values(_source(file), column, _dialect(file, encoding, delimiter, decimal), sheet)
    except USER_ERRORS as exc:
        return dbc.Alert(str(exc), color="danger", className="small")
    journey = workspace().journey(int(journey_id)).journey
    saved = workspace().datasets.saved_mapping(int(project_id), columns["columns"]) if project_id and columns else None
    known = dict(saved.touchpoint_values) if isinstance(saved, SurveyMapping) else {}
    matched = ingest.match_touchpoints(labels, {tp.key: tp.name for tp in journey.touchpoints})
    options = _touchpoint_options(journey)
    keys = {tp.key for tp in journey.touchpoints} | {OVERALL}
    rows, unmatched = [], 0
    for label in labels:
        value = known.get(label) if known.get(label) in keys else (matched[label] or NONE)
        unmatched += value == NONE
        rows.append(html.Tr([
            html.Td(label, className="align-middle"),
            html.Td(dbc.Select(id={"type": "da-value", "label": label}, options=options, value=value, size="sm",
                               invalid=value == NONE)),
        ]))
    note, style = _unmatched_note(unmatched)
    return [dbc.Label(_("Touchpoint labels in the file → journey touchpoints"), className="small mb-0"),
            html.Div(note, className=style, id="da-unmatched"),
            html.Div(dbc.Table(html.Tbody(rows), size="sm", className="small mb-0"),
                     style={"maxHeight": "260px", "overflowY": "auto"})]


@callback(Output({"type": "da-value", "label": ALL}, "invalid"), Output("da-unmatched", "children"),
          Output("da-unmatched", "className"), Input({"type": "da-value", "label": ALL}, "value"),
          prevent_initial_call=True)
def count_unmatched(keys):
    """Labels still without a touchpoint stay marked, and the count follows the choices."""
    return [key in (None, "", NONE) for key in keys], *_unmatched_note(sum(key in (None, "", NONE) for key in keys))


def _unmatched_note(unmatched: int) -> tuple[str, str]:
    """What to say about labels without a touchpoint, and its text style."""
    if not unmatched:
        return _("Every label matched a touchpoint."), "small text-success"
    return (_("{n} label(s) not matched: choose their touchpoint, or leave them out (their rows are reported and "
              "skipped).").format(n=unmatched), "small text-danger")


def _mapping(kind, fields: dict, segments, kpis, na_text, rating_min, rating_max, wide, labels):
    """The form's values as a mapping of the file's columns."""
    pick = {name: value if value and value != NONE else None for name, value in fields.items()}
    if kind in ("kpi_period", "kpi_customer"):
        return KpiMapping(kpis=tuple(kpis or ()), period=pick["ts"] if kind == "kpi_period" else None,
                          respondent_id=pick["respondent_id"] if kind == "kpi_customer" else None,
                          segments=tuple(segments or ()))
    if not pick["ts"]:
        raise IngestError(_("Choose the date / time column."))
    scale = (1.0 if rating_min in (None, "") else float(rating_min), 10.0 if rating_max in (None, "") else float(rating_max))
    if scale[0] >= scale[1]:
        raise IngestError(_("The other rating's scale must go from a lower to a higher value."))
    codes = tuple(code.strip() for code in (na_text or "").split(",") if code.strip())
    common = dict(ts=pick["ts"], respondent_id=pick["respondent_id"], response_id=pick["response_id"],
                  comment=pick["comment"], segments=tuple(s for s in segments or () if s not in pick.values()),
                  rating_scale=scale, na_codes=ingest.na_codes_outside_scales(codes, scale))
    if kind == "wide":
        columns = tuple(WideColumn(column, touchpoint, metric) for column, (touchpoint, metric) in wide.items()
                        if touchpoint and touchpoint != NONE)
        if not columns:
            raise IngestError(_("Map at least one rating column to a touchpoint."))
        return SurveyMapping(wide=columns, **common)
    if not pick["touchpoint"]:
        raise IngestError(_("Choose the touchpoint column."))
    return SurveyMapping(touchpoint=pick["touchpoint"], nps=pick["nps"], csat=pick["csat"], ces=pick["ces"],
                         rating=pick["rating"], touchpoint_values={k: v for k, v in labels.items() if v and v != NONE},
                         **common)


# ------------------------------------------------------------------ step 3: check, then import or cancel


@callback(Output("da-token", "data"), Output("da-job", "data"), Output("da-report", "children", allow_duplicate=True),
          Output("da-decision", "style", allow_duplicate=True),
          Input("da-check", "n_clicks"), State("da-token", "data"), State("da-job", "data"), prevent_initial_call=True)
def start_check(_click, waiting, job):
    """A new import token, then the background check (an import still waiting is dropped)."""
    if waiting:
        workspace().datasets.discard(waiting)
    return workspace().datasets.new_token(), (job or 0) + 1, None, {"display": "none"}


@callback(Output("da-report", "children"), Output("da-decision", "style"), Output("da-commit", "children"),
          Output("da-commit", "disabled"), Input("da-job", "data"), State("da-token", "data"),
          [State(f"da-{name}", "value") for name in FIELDS] +
          [State("da-kind", "value"), State("da-segments", "value"), State("da-kpis", "value"), State("da-na", "value"),
           State("da-rating-min", "value"), State("da-rating-max", "value"),
           State({"type": "da-wide-tp", "column": ALL}, "value"), State({"type": "da-wide-tp", "column": ALL}, "id"),
           State({"type": "da-wide-metric", "column": ALL}, "value"),
           State({"type": "da-value", "label": ALL}, "value"), State({"type": "da-value", "label": ALL}, "id"),
           State("da-file", "data"), State("da-encoding", "value"), State("da-delimiter", "value"),
           State("da-decimal", "value"), State("da-sheet", "value"), State("da-project", "value"),
           State("da-journey", "value")],
          background=True, prevent_initial_call=True,
          progress=[Output("da-progress", "value"), Output("da-progress", "label")],
          running=[(Output("da-check", "disabled"), True, False), (Output("da-cancel", "disabled"), False, True)])
def check(set_progress, _job, token, *values):
    """Read and validate the whole file in the background; the valid rows wait for the user's decision."""
    fields = dict(zip(FIELDS, values[:len(FIELDS)]))
    (kind, segments, kpis, na_text, rating_min, rating_max, wide_tps, wide_ids, wide_metrics, label_keys, label_ids,
     file, encoding, delimiter, decimal, sheet, project_id, journey_id) = values[len(FIELDS):]
    hidden = {"display": "none"}
    if not token or not file or not project_id:
        return None, hidden, "", True
    wide = {i["column"]: (tp, metric) for i, tp, metric in zip(wide_ids, wide_tps, wide_metrics)}
    labels = {i["label"]: key for i, key in zip(label_ids, label_keys)}
    try:
        mapping = _mapping(kind, fields, segments, kpis, na_text, rating_min, rating_max, wide, labels)
        staged = workspace().datasets.stage(
            int(project_id), _source(file), mapping, journey_id=int(journey_id) if journey_id else None,
            dialect=_dialect(file, encoding, delimiter, decimal), sheet=sheet, source=file["name"], token=token,
            progress=lambda fraction, step: set_progress((round(100 * fraction), _(step))))
    except ingest.Cancelled as exc:
        set_progress((0, ""))
        return dbc.Alert(_(str(exc)), color="secondary", className="py-2 small"), hidden, "", True
    except (*USER_ERRORS, OSError) as exc:
        set_progress((0, ""))
        return dbc.Alert(str(exc), color="danger", className="py-2 small"), hidden, "", True
    except Exception as exc:  # a file this importer does not understand: say so in a line, keep the trace in the log
        logging.getLogger(__name__).exception("import check failed")
        set_progress((0, ""))
        return dbc.Alert(_("This file could not be read with this mapping ({error}); nothing was changed.").format(
            error=type(exc).__name__), color="danger", className="py-2 small"), hidden, "", True
    set_progress((100, _("Checked")))
    report = staged.report
    answers = report.answers if report.answers is not None else report.rows_valid
    if not answers:
        return _report(report), {}, _("No valid rows to import"), True
    return _report(report), {}, _("Import {n} valid rows").format(n=f"{answers:,}".replace(",", " ")), False


@callback(Output("da-cancel", "n_clicks"), Input("da-cancel", "n_clicks"), State("da-token", "data"),
          prevent_initial_call=True)
def stop_check(clicks, token):
    """Ask the running check to stop; it removes what it wrote."""
    if token:
        workspace().datasets.cancel(token)
    return clicks


@callback(Output("da-refresh", "data"), Output("da-report", "children", allow_duplicate=True),
          Output("da-decision", "style", allow_duplicate=True), Output("da-token", "data", allow_duplicate=True),
          Output("da-progress", "value", allow_duplicate=True), Output("da-progress", "label", allow_duplicate=True),
          Input("da-commit", "n_clicks"), Input("da-discard", "n_clicks"), State("da-token", "data"),
          State("da-name", "value"), State("da-refresh", "data"), prevent_initial_call=True)
def decide(_commit, _discard, token, name, refresh):
    """Keep the valid rows as a new dataset version, or drop them."""
    hidden = {"display": "none"}
    if not token:
        return no_update, no_update, hidden, None, 0, ""
    datasets = workspace().datasets
    if ctx.triggered_id == "da-discard":
        datasets.discard(token)
        return no_update, dbc.Alert(_("Import cancelled; nothing was changed."), color="secondary",
                                    className="py-2 small"), hidden, None, 0, ""
    try:
        info = datasets.commit(token, name or "")
    except USER_ERRORS as exc:
        return no_update, dbc.Alert(str(exc), color="danger", className="py-2 small"), no_update, no_update, no_update, no_update
    text = _("Imported {rows} rows as “{name}” version {version}.").format(
        rows=f"{info.rows:,}".replace(",", " "), name=info.name, version=info.version)
    return (refresh or 0) + 1, dbc.Alert(text, color="success", className="py-2 small", id="da-imported"), hidden, None, 0, ""


def _report(report: ingest.ImportReport) -> html.Div:
    """The validation report: rows read and kept, and each kind of problem with its first rows."""
    skipped = report.rows_read - report.rows_valid
    summary = _("{read} rows read, {valid} valid, {skipped} with problems (skipped).").format(
        read=report.rows_read, valid=report.rows_valid, skipped=skipped)
    if report.answers is not None and report.answers != report.rows_valid:
        summary += " " + _("They hold {n} answers.").format(n=report.answers)
    if report.date_format:
        summary += " " + _("Dates read as {format}.").format(format=dates.readable(report.date_format))
    if not report.issues:
        return html.Div([html.Div(summary, className="small mb-2"),
                         html.Div(_("No problems found."), className="small text-success")], id="da-report-body")
    rows = [html.Tr([html.Td(_(issue.message)), html.Td(issue.column), html.Td(issue.count, className="text-end"),
                     html.Td(", ".join(map(str, issue.rows)) + (" …" if issue.count > len(issue.rows) else ""))])
            for issue in report.issues]
    return html.Div([
        html.Div(summary, className="small mb-2"),
        dbc.Table([html.Thead(html.Tr([html.Th(_("Problem")), html.Th(_("Column")), html.Th(_("Rows"), className="text-end"),
                                       html.Th(_("First rows"))])), html.Tbody(rows)],
                  size="sm", className="small", bordered=True),
    ], id="da-report-body")
