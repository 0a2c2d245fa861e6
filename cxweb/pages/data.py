"""Data page: the project's datasets, and importing a survey or KPI file (upload → preview → mapping → report)."""

from __future__ import annotations

import logging
from pathlib import Path

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages._context import readable_folders, workspace
from workbench.analysis import guesses
from workbench.core import folders, formatting, limits, metrics
from workbench.core.contract import OVERALL
from workbench.core.errors import Cancelled, IngestError, WorkspaceError
from workbench.core.i18n import gettext as _
from workbench.data import dates, ingest, labels, waves
from workbench.data.ingest import CsvDialect, KpiMapping, SurveyMapping, WideColumn
from workbench.repos.datasets import KINDS, sample_files

dash.register_page(__name__, path="/data", name=_("Data"), title=_("Data · CX Journey Workbench"))

USER_ERRORS = (IngestError, WorkspaceError, folders.FolderError, ValueError)
FILE_TYPES = {
    "survey": _("Survey answers — one row per answer (a touchpoint column)"),
    "wide": _("Survey — one row per respondent (a rating column per touchpoint)"),
    "kpi_period": _("KPIs per period (month or week × branch, region…)"),
    "kpi_customer": _("KPIs per customer (joined on the respondent id)"),
}
METRIC_LABELS = {**{key: metrics.metric(key).answer_label() for key in metrics.RATINGS},
                 "rating": _("Other scale (from – to)"), "yesno": _("Yes / no (0 / 1)")}
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1250": "Windows-1250 (cp1250, Central Europe)",
                   "iso-8859-2": "ISO-8859-2 (Latin-2)", "cp1252": "Windows-1252 (cp1252, Western Europe)",
                   "latin-1": "ISO-8859-1 (Latin-1)", "utf-16": "UTF-16 (Excel “Unicode text”)",
                   "utf-16-le": "UTF-16 LE, no byte order mark", "utf-16-be": "UTF-16 BE, no byte order mark"}
AUTO = "__auto__"
GUESS = "__guess__"
DELIMITERS = [(";", _("semicolon ;")), (",", _("comma ,")), ("\t", _("tab")), ("|", _("pipe |"))]
FIELDS = ("ts", "touchpoint", "respondent_id", "response_id", *metrics.RATINGS, "rating", "comment")
FIELD_LABELS = {"ts": _("Date / time"), "touchpoint": _("Touchpoint"), "respondent_id": _("Respondent (customer) id"),
                "response_id": _("Answer id"), "rating": _("Other rating"), "comment": _("Comment"),
                **{key: f"{metrics.NAMES[key]} ({low}–{high})"
                   for key, (low, high) in metrics.SCALES.items()}}
NONE = "__none__"
KIND_FIELDS = {  # the fields each kind of file has; the others are hidden and never read
    "survey": set(FIELDS),
    "wide": {"ts", "respondent_id", "response_id", "comment"},
    "kpi_period": {"ts"},
    "kpi_customer": {"respondent_id"},
}


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


def _input(id_: str, label: str, **kwargs) -> html.Div:
    return html.Div([dbc.Label(label, html_for=id_, className="small mb-0"), dbc.Input(id=id_, size="sm", **kwargs)],
                    className="mb-2")


def _import_card() -> dbc.Card:
    samples = [{"label": p.name, "value": p.name} for p in sample_files()]
    return dbc.Card([
        dbc.CardHeader(html.B(_("Import a file"))),
        dbc.CardBody([
            html.H6(_("1. The file"), className="text-muted"),
            dcc.Upload(id="da-upload", multiple=False, className="border border-dashed rounded p-3 text-center mb-2",
                       children=html.Div([html.I(className="fa-solid fa-file-arrow-up me-2"),
                                          _("Drop a CSV, XLSX, SPSS (.sav) or Parquet file here, or click to choose one")
                                          + " " + _("(up to {size}; type the path of a bigger one, e.g. in {folder})")
                                          .format(size=formatting.size(limits.UPLOAD_BYTES),
                                                  folder=readable_folders()[0] / folders.IMPORTS_FOLDER)])),
            dbc.InputGroup([
                dbc.Input(id="da-path", placeholder=_("…or the path of a file on this computer"), debounce=True),
                dbc.Select(id="da-sample", options=samples, placeholder=_("…or a sample file"),
                           style={"maxWidth": "14rem"}),
                dbc.Button(_("Open"), id="da-open", color="secondary"),
            ], size="sm", className="mb-2"),
            html.Div(id="da-file-info", className="small mb-1"),
            html.Div(id="da-layout", className="small mb-2"),
            dbc.Row([
                dbc.Col(_select("da-encoding", _("Encoding"), [{"label": ENCODING_LABELS[v], "value": v}
                                                               for v in ingest.ENCODINGS]), md=4),
                dbc.Col(_select("da-delimiter", _("Delimiter"), [{"label": l, "value": v} for v, l in DELIMITERS]), md=3),
                dbc.Col(_select("da-decimal", _("Decimal mark"), [{"label": _("comma ,"), "value": ","},
                                                                  {"label": _("point ."), "value": "."}]), md=2),
                dbc.Col(_input("da-header-rows", _("Header rows"), type="number", min=1, max=5, step=1), md=3),
            ], id="da-csv-options", className="g-2", style={"display": "none"}),
            dbc.Row([
                dbc.Col(_select("da-sheet", _("Sheet")), md=8),
                dbc.Col(_input("da-header-row", _("Header in row"), type="number", min=1, step=1,
                               placeholder=_("detected")), md=4),
            ], id="da-sheet-box", className="g-2", style={"display": "none"}),
            dag.AgGrid(id="da-preview", rowData=[], columnDefs=[], className="ag-theme-alpine mb-3",
                       style={"height": "230px"}, defaultColDef={"resizable": True, "minWidth": 90},
                       dashGridOptions={"suppressFieldDotNotation": True, "tooltipShowDelay": 300}),
            html.Div([
                html.H6(_("2. What the columns mean"), className="text-muted"),
                dbc.InputGroup([
                    dbc.InputGroupText(_("Start from")),
                    dbc.Select(id="da-saved", options=[]),
                ], size="sm", className="mb-1"),
                dbc.Alert(id="da-reused", color="info", is_open=False, className="py-2 small"),
                dbc.RadioItems(id="da-kind", value="survey", className="mb-2 small",
                               options=[{"label": label, "value": value} for value, label in FILE_TYPES.items()]),
                _mapping_form(),
                html.Div(id="da-warnings"),
                html.H6(_("3. Check and import"), className="text-muted mt-3"),
                dbc.InputGroup([
                    dbc.InputGroupText(_("Dataset")),
                    dbc.Input(id="da-name", list="da-names", maxLength=200,
                              placeholder=_("name; an existing name adds a new version")),
                    html.Datalist(id="da-names"),
                    dbc.Button([html.I(className="fa-solid fa-list-check me-1"), _("Check file")], id="da-check",
                               color="primary"),
                    dbc.Button(_("Stop"), id="da-cancel", color="secondary", disabled=True),
                ], size="sm", className="mb-1"),
                dbc.Checklist(id="da-append", className="small mb-2", value=[], options=[
                    {"label": _("Append to this dataset: its latest version and this file become one new version "
                                "(another wave, month or part of the sample)"), "value": "append"}]),
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
            dbc.Col(_select("da-date-format", _("Date format"), [{"label": _("detect (only when one reading fits)"),
                                                                  "value": AUTO}] +
                            [{"label": text, "value": code} for code, text in dates.choices()], value=AUTO),
                    md=4, id="da-date-format-box"),
            dbc.Col(_input("da-wave", _("Fieldwork wave (the file has no date column)"), maxLength=40,
                           placeholder=_("2026-03, 2026-03-15 or 2026-03-01..2026-03-20")), md=8, id="da-wave-box"),
        ], className="g-2"),
        dbc.Row([
            dbc.Col(html.Div([dbc.Label(_("Other rating: scale from – to"), className="small mb-0"), dbc.InputGroup([
                dbc.Input(id="da-rating-min", type="number", value=1), dbc.Input(id="da-rating-max", type="number", value=10),
            ], size="sm")], className="mb-2"), md=4, id="da-scale-box"),
            dbc.Col(_input("da-na", _("Values meaning “not applicable”"),
                           placeholder=_("e.g. 0, 99 — only where it is no valid score")), md=4, id="da-na-box"),
            dbc.Col(_input("da-outcome-name", _("Overall outcome is called"), maxLength=80,
                           placeholder=_("e.g. Satisfied, Likely to recommend")), md=4, id="da-outcome-box"),
        ], className="g-2"),
        dbc.Checklist(id="da-exclude", className="small mb-2", value=[], options=[]),
        html.Div([dbc.Label(_("Segments (kept for filters and breakdowns)"), className="small mb-0"),
                  dbc.Checklist(id="da-segments", inline=True, className="small")], className="mb-2"),
        html.Div([dbc.Label(_("KPI columns"), className="small mb-0"),
                  dbc.Checklist(id="da-kpis", inline=True, className="small")], id="da-kpis-box", className="mb-2"),
        html.Div(id="da-wide-box", className="mb-2"),
        html.Div([dbc.Alert(id="da-twice-text", color="danger", className="py-2 small mb-1"),
                  dbc.Checklist(id="da-twice-ok", value=[], className="small", options=[
                      {"label": _("Yes, import these columns into one touchpoint"), "value": "ok"}])],
                 id="da-twice", style={"display": "none"}, className="mb-2"),
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
        if not d.meta.get("dated", True) and d.meta.get("waves"):  # answers without dates: their waves
            period = _("wave {labels}").format(labels=", ".join(w["label"] for w in d.meta["waves"]))
        rows.append(html.Tr([
            html.Td([html.Div(d.name, className="fw-semibold"),
                     html.Div(f"v{d.version}" + ("" if d.latest else _(" (older)")), className="text-muted")]),
            html.Td(KINDS.get(d.kind, d.kind)),
            html.Td(formatting.count(d.rows), className="text-end text-nowrap"),
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
          Output("da-header-rows", "value"), Output("da-sheet", "options"), Output("da-sheet", "value"),
          Output("da-header-row", "value"), Output("da-csv-options", "style"), Output("da-sheet-box", "style"),
          Input("da-file", "data"))
def detect_format(file):
    """What was detected about a new file; the user may override it."""
    hidden, shown = {"display": "none"}, {}
    if not file:
        return None, None, None, None, [], None, None, hidden, hidden
    try:
        if file["kind"] == "csv":
            dialect = ingest.sniff_file(_source(file))
            return (dialect.encoding, dialect.delimiter, dialect.decimal, dialect.header_rows, [], None, None, shown,
                    hidden)
        if file["kind"] == "xlsx":
            sheets = ingest.sheet_names(_source(file))
            return (None, None, None, None, [{"label": s, "value": s} for s in sheets], sheets[0] if sheets else None,
                    None, hidden, shown)
    except USER_ERRORS:
        pass  # the preview says what is wrong
    return None, None, None, None, [], None, None, hidden, hidden


def _source(file: dict) -> Path:
    """The chosen file's path, checked again: the browser holds it between steps and could send back another."""
    return folders.typed_file(file["path"], readable_folders())


def _dialect(file, encoding, delimiter, decimal, header_rows) -> CsvDialect | None:
    if not file or file["kind"] != "csv" or not (encoding and delimiter and decimal):
        return None
    return CsvDialect(encoding, delimiter, decimal, min(_whole(header_rows, 1), ingest.MAX_HEADER_ROWS))


def _whole(value, default: int | None) -> int | None:
    """A number typed in a field as a positive whole number, else ``default``."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number >= 1 else default


@callback(Output("da-preview", "rowData"), Output("da-preview", "columnDefs"), Output("da-file-info", "children"),
          Output("da-columns", "data"), Output("da-mapping", "style"), Output("da-layout", "children"),
          Input("da-encoding", "value"), Input("da-delimiter", "value"), Input("da-decimal", "value"),
          Input("da-header-rows", "value"), Input("da-sheet", "value"), Input("da-header-row", "value"),
          Input("da-journey", "value"), State("da-file", "data"))
def preview(encoding, delimiter, decimal, header_rows, sheet, header_row, journey_id, file):
    """The first rows as the file will be read, its layout, and guesses of what its columns are."""
    if not file:
        return [], [], "", None, {"display": "none"}, None
    try:
        source = ingest.read_source(_source(file), _dialect(file, encoding, delimiter, decimal, header_rows), sheet,
                                    rows=guesses.SAMPLE_ROWS, header_row=_whole(header_row, None))
    except USER_ERRORS as exc:
        return ([], [], dbc.Alert(str(exc), color="danger", className="py-2 small mb-0"), None, {"display": "none"},
                None)
    table = source.table
    columns = table.column_names
    shown = table.slice(0, ingest.PREVIEW_ROWS)
    rows = [{f"c{i}": _cell(v) for i, v in enumerate(row.values())} for row in shown.to_pylist()]
    descriptions = dict(source.descriptions)
    defs = [{"headerName": name, "field": f"c{i}", **({"headerTooltip": descriptions[name]}
                                                       if name in descriptions else {})}
            for i, name in enumerate(columns)]
    info = html.Span([html.I(className="fa-solid fa-file-lines me-1"), html.B(file["name"]),
                      " · " + _("{n} columns; first {rows} rows below").format(n=len(columns), rows=len(rows))])
    touchpoints = {}
    if journey_id:
        touchpoints = {tp.key: tp.name for tp in workspace().journey(int(journey_id)).journey.touchpoints}
    proposal = guesses.propose(table, touchpoints, descriptions, source.decimal, value_labels=source.value_labels)
    proposal = proposal.to_dict()
    excluded = _excluded_count(table, source.layout.exclude)
    scored = {score["column"] for score in proposal["scores"]}
    data = {"columns": columns, "numeric": ingest.numeric_columns(shown, source.decimal), "descriptions": descriptions,
            "labelled": _labelled(table, scored), "exclude": source.layout.exclude, "excluded": excluded,
            "proposal": proposal,
            "layout": source.layout.name, "header_row": source.header_row if source.kind == "xlsx" else None}
    return rows, defs, info, data, {}, _layout_note(source, excluded, len(table))


def _labelled(table, skip: set[str]) -> dict[str, dict]:
    """Text columns (other than ``skip``) whose answers are a known label set: any of them can still be mapped as a
    score or the outcome (a yes/no question rating no touchpoint is proposed as a segment)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = {}
    for name in table.column_names:
        column = table[name]
        if name in skip or not pa.types.is_string(column.type):
            continue
        distinct = pc.unique(column.drop_null())
        if len(distinct) > labels.MAX_VALUES:
            continue
        proposal = labels.propose_values(distinct.to_pylist())
        if proposal is not None:
            found[name] = {"values": dict(proposal.values), "scale": list(proposal.scale), "binary": proposal.binary}
    return found


def _excluded_count(table, exclude: dict) -> int:
    """Rows of the sample a layout's exclusion rules would leave out."""
    rows = table.to_pylist() if exclude else []
    return sum(any(str(row.get(column) or "").strip() in values for column, values in exclude.items()) for row in rows)


def _layout_note(source: ingest.Source, excluded: int, sampled: int) -> html.Div:
    """What was recognised about the file, in a line."""
    parts = [_("Recognised: {layout}.").format(layout=source.layout.title)]
    if source.dialect is not None and source.dialect.header_rows > 1:
        parts.append(_("{n} header rows read as one.").format(n=source.dialect.header_rows))
    if source.kind == "xlsx" and source.header_row > 1:
        parts.append(_("The header is row {row} (titles above it are skipped).").format(row=source.header_row))
    if source.descriptions:
        parts.append(_("Question texts show over the column names."))
    if source.layout.exclude:
        parts.append(_("{n} of the first {rows} rows are preview, test or incomplete responses.").format(
            n=excluded, rows=sampled))
    return html.Div(" ".join(parts), className="text-muted", id="da-layout-note")


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


@callback(Output("da-saved", "options"), Output("da-saved", "value"), Input("da-columns", "data"),
          State("da-project", "value"))
def saved_choices(columns, project_id):
    """The mappings saved in this project that fit the file, the one made for these columns first; or guesses."""
    if not columns or not project_id:
        return [], None
    fitting = workspace().mappings.fitting(int(project_id), columns["columns"])
    options = [{"label": _("guesses from the columns and their values"), "value": GUESS}] + [
        {"label": _("mapping {saved}").format(saved=m.describe()), "value": m.name} for m in fitting]
    return options, fitting[0].name if fitting and fitting[0].same_shape else GUESS


def _start(columns: dict, saved: str | None, project_id) -> tuple[SurveyMapping | KpiMapping | None, str | None]:
    """The mapping the form starts from (a saved one, or the guesses) and the line that says which."""
    if saved and saved != GUESS and project_id:
        found = workspace().mappings.named(int(project_id), saved, columns["columns"])
        return found.mapping, _("Using the mapping {saved}.").format(saved=found.describe())
    if columns.get("proposal"):
        proposal = guesses.Proposal.from_dict(columns["proposal"])
        return guesses.as_mapping(proposal), _("Guessed from the column names and the values of the first {n} rows: "
                                               "check each field marked “guess”.").format(n=proposal.rows)
    return None, None


@callback([Output(f"da-{name}", "value") for name in FIELDS] +
          [Output(f"da-{name}-label", "children") for name in FIELDS] +
          [Output("da-kind", "value"), Output("da-segments", "value"), Output("da-kpis", "value"),
           Output("da-na", "value"), Output("da-rating-min", "value"), Output("da-rating-max", "value"),
           Output("da-name", "value"), Output("da-reused", "children"), Output("da-reused", "is_open"),
           Output("da-date-format", "value"), Output("da-wave", "value"), Output("da-outcome-name", "value"),
           Output("da-exclude", "options"), Output("da-exclude", "value"), Output("da-warnings", "children")],
          Input("da-saved", "value"), State("da-columns", "data"), State("da-project", "value"),
          State("da-file", "data"))
def fill_mapping(saved, columns, project_id, file):
    """The form filled from a saved mapping, or from the guesses with each guessed field marked."""
    if not columns or not project_id or saved is None:
        return [no_update] * (2 * len(FIELDS) + 15)
    try:
        mapping, said = _start(columns, saved, project_id)
    except USER_ERRORS as exc:
        mapping, said = None, str(exc)
    names = columns["columns"]
    name = workspace().datasets.last_name_for(int(project_id), names) or Path(file["name"]).stem
    proposal = guesses.Proposal.from_dict(columns["proposal"]) if columns.get("proposal") else None
    labels = [_field_label(field, mapping, proposal if saved == GUESS else None) for field in FIELDS]
    exclude_options = [{"label": _("Leave out preview, test, spam and incomplete responses ({rules})").format(
        rules="; ".join(f"{c}: {', '.join(v or '(blank)' for v in values)}" for c, values in columns["exclude"].items())),
        "value": "exclude"}] if columns["exclude"] else []
    warnings = _warnings(proposal.warnings) if proposal and saved == GUESS else None
    if isinstance(mapping, KpiMapping):
        values = {"ts": mapping.period or NONE, "respondent_id": mapping.respondent_id or NONE}
        return ([values.get(f, NONE) for f in FIELDS] + labels +
                [mapping.kind, list(mapping.segments), list(mapping.kpis), "", 1, 10, name, said, True, AUTO, "", "",
                 exclude_options, [], None])
    if isinstance(mapping, SurveyMapping):
        na = sorted({code for codes in mapping.na_codes.values() for code in codes})
        kind = "wide" if mapping.wide else "survey"
        numeric = set(columns["numeric"])
        segments = list(mapping.segments)
        kpis = [c for c in columns["numeric"] if c not in mapping.columns()]
        exclude = ["exclude"] if exclude_options and (mapping.exclude or saved == GUESS) else []
        return ([getattr(mapping, f) or NONE for f in FIELDS] + labels +
                [kind, segments, kpis if not numeric.isdisjoint(kpis) else [], ", ".join(na), mapping.rating_scale[0],
                 mapping.rating_scale[1], name, said, True, mapping.date_format or AUTO, mapping.wave or "",
                 mapping.outcome_label or "", exclude_options, exclude, warnings])
    return [no_update] * (2 * len(FIELDS) + 15)


def _field_label(field: str, mapping, proposal: guesses.Proposal | None):
    """A field's label, with a "guess" badge (its reason on hover) when the column in it was guessed."""
    reasons = {}
    if proposal is not None:
        reasons = {"ts": proposal.date, "respondent_id": proposal.respondent_id, "comment": proposal.comment,
                   "touchpoint": proposal.touchpoint}
    found = reasons.get(field)
    if found is None or getattr(mapping, field, None) != found.column:
        return FIELD_LABELS[field]
    return [FIELD_LABELS[field], " ", dbc.Badge(_("guess"), color="warning", text_color="dark", className="ms-1",
                                                title=found.reason)]


def _warnings(items) -> dbc.Alert | None:
    """What to check before importing, as a list."""
    if not items:
        return None
    return dbc.Alert([html.B(_("Check before importing:")), html.Ul([html.Li(text) for text in items],
                                                                     className="mb-0")],
                     color="warning", className="py-2 small", id="da-warnings-list")


@callback([Output(f"da-{name}-box", "style") for name in FIELDS] +
          [Output("da-scale-box", "style"), Output("da-na-box", "style"), Output("da-kpis-box", "style"),
           Output("da-ts-label", "children", allow_duplicate=True), Output("da-date-format-box", "style"),
           Output("da-wave-box", "style"), Output("da-outcome-box", "style")],
          Input("da-kind", "value"), Input("da-ts", "value"), prevent_initial_call="initial_duplicate")
def show_fields(kind, ts):
    """Only the fields the chosen kind of file has; a wave when there is no date column."""
    shown = KIND_FIELDS[kind or "survey"]
    hidden = {"display": "none"}
    styles = [{} if name in shown else hidden for name in FIELDS]
    survey = kind in ("survey", "wide")
    label = _("Period (month or week)") if kind == "kpi_period" else no_update
    undated = survey and ts in (None, "", NONE)
    # A wide file's score columns each have their own scale; the common one is for a long file's "other rating".
    return styles + [{} if kind == "survey" else hidden, {} if survey else hidden] + [hidden if survey else {}, label,
                                                      {} if survey and not undated else hidden,
                                                      {} if undated else hidden, {} if kind == "wide" else hidden]


def _touchpoint_options(journey) -> list[dict]:
    """Not imported, overall, then the journey's touchpoints (decisions and outcomes last)."""
    ordered = sorted(journey.touchpoints, key=lambda tp: tp.kind != "touchpoint")
    return [{"label": _("— not imported —"), "value": NONE},
            {"label": _("Overall outcome"), "value": OVERALL}] + [
        {"label": f"{tp.name} ({tp.key})", "value": tp.key} for tp in ordered]


@callback(Output("da-wide-box", "children"), Input("da-kind", "value"), Input("da-saved", "value"),
          State("da-columns", "data"), State("da-journey", "value"), State("da-project", "value"))
def wide_form(kind, saved, columns, journey_id, project_id):
    """For a one-row-per-respondent file: each score column's touchpoint and scale, guesses marked, words → numbers."""
    if kind != "wide" or not columns or not journey_id:
        return None
    journey = workspace().journey(int(journey_id)).journey
    try:
        mapping, _said = _start(columns, saved, project_id)
    except USER_ERRORS:
        mapping = None
    mapping = mapping if isinstance(mapping, SurveyMapping) else SurveyMapping()
    chosen = {w.column: w for w in mapping.wide}
    proposal = guesses.Proposal.from_dict(columns["proposal"]) if columns.get("proposal") else None
    proposed = {s.column: s for s in proposal.scores} if proposal else {}
    labelled = columns.get("labelled") or {}
    listed = [c for c in columns["columns"] if c in chosen or c in proposed or c in columns["numeric"] or c in labelled]
    if not listed:
        return dbc.Alert(_("No column of numbers or rating words in the first rows to map as scores."),
                         color="warning", className="small")
    options = _touchpoint_options(journey)
    metric_options = [{"label": label, "value": value} for value, label in METRIC_LABELS.items()]
    descriptions = columns.get("descriptions") or {}
    rows, editors = [], []
    for column in listed:
        wide = chosen.get(column)
        score = proposed.get(column)
        words_seen = labelled.get(column)
        touchpoint = wide.touchpoint if wide else NONE
        metric = wide.metric if wide else (score.metric if score else "csat")
        scale = (wide.scale if wide and wide.scale else None) or (tuple(score.scale) if score else None) or \
            metrics.SCALES.get(metric, mapping.rating_scale)
        if not wide and not score and words_seen:  # answers as words: the scale of their label set
            scale = tuple(words_seen["scale"])
            metric = "rating" if words_seen["binary"] or scale != (1.0, 5.0) else "csat"
        if metric == "rating" and tuple(scale) == (0.0, 1.0):
            metric = "yesno"
        note = ""
        if saved == GUESS and score is not None:
            note = "; ".join(t for t in (score.reason, score.match_reason) if t)
        rows.append(html.Tr([
            html.Td([column, html.Br(), html.Small(descriptions[column], className="text-muted")]
                    if descriptions.get(column) else column, className="align-middle"),
            html.Td(dbc.Select(id={"type": "da-wide-tp", "column": column}, options=options, value=touchpoint,
                               size="sm")),
            html.Td(dbc.Select(id={"type": "da-wide-metric", "column": column}, options=metric_options, value=metric,
                               size="sm")),
            html.Td(dbc.InputGroup([
                dbc.Input(id={"type": "da-wide-low", "column": column}, type="number", value=scale[0]),
                dbc.Input(id={"type": "da-wide-high", "column": column}, type="number", value=scale[1]),
            ], size="sm", style={"width": "7rem"}), title=_("Used for “Other scale”")),
            html.Td(dbc.Badge(_("guess"), color="warning", text_color="dark", title=note) if note else "",
                    className="align-middle"),
        ]))
        words = dict(mapping.value_labels.get(column) or (score.value_labels if score else {}) or
                     (words_seen or {}).get("values") or {})
        if words:
            editors.append(_label_editor(column, words))
    return [dbc.Label(_("Score columns → touchpoints (hover “guess” for why)"), className="small mb-0"),
            html.Div(dbc.Table([html.Thead(html.Tr([html.Th(_("Column")), html.Th(_("Touchpoint")), html.Th(_("Scale")),
                                                    html.Th(_("From – to")), html.Th("")])),
                                html.Tbody(rows)], size="sm", className="small mb-0", id="da-wide-table"),
                     className="table-responsive"),
            *editors]


def _label_editor(column: str, words: dict) -> html.Details:
    """Answers written as words → numbers: one input per answer, blank for "not applicable"."""
    rows = [html.Tr([html.Td(label, className="align-middle"),
                     html.Td(dbc.Input(id={"type": "da-label-value", "column": column, "label": label}, type="number",
                                       value=value, size="sm", style={"width": "6rem"},
                                       placeholder=_("n/a")))])
            for label, value in words.items()]
    return html.Details([html.Summary(_("“{column}”: answers as words → numbers (blank = not applicable)").format(
        column=column)), dbc.Table(html.Tbody(rows), size="sm", className="small mb-0")], open=True,
        className="small mt-2 da-labels")


@callback(Output("da-twice", "style"), Output("da-twice-text", "children"), Output("da-twice-ok", "value"),
          Input({"type": "da-wide-tp", "column": ALL}, "value"), State({"type": "da-wide-tp", "column": ALL}, "id"))
def twice(touchpoints, ids):
    """Two columns on one touchpoint: said in red, and the import waits until the user confirms it."""
    found = guesses.conflicts({i["column"]: tp for i, tp in zip(ids, touchpoints) if tp not in (None, "", NONE)})
    if not found:
        return {"display": "none"}, "", []
    text = " ".join(_("{columns} are all mapped to “{touchpoint}”.").format(
        columns=", ".join(f"“{c}”" for c in columns), touchpoint=key) for key, columns in found.items())
    return {}, text + " " + _("Change one, or confirm that they rate the same touchpoint."), []


@callback(Output("da-values-box", "children"), Input("da-kind", "value"), Input("da-touchpoint", "value"),
          Input("da-journey", "value"), State("da-file", "data"), State("da-encoding", "value"),
          State("da-delimiter", "value"), State("da-decimal", "value"), State("da-header-rows", "value"),
          State("da-sheet", "value"), State("da-header-row", "value"), State("da-project", "value"),
          State("da-columns", "data"), State("da-saved", "value"))
def value_form(kind, column, journey_id, file, encoding, delimiter, decimal, header_rows, sheet, header_row,
               project_id, columns, saved):
    """The file's touchpoint labels, each matched to a journey touchpoint (by name, or as saved)."""
    if kind != "survey" or column in (None, "", NONE) or not journey_id or not file:
        return None
    try:
        labels = ingest.column_values(_source(file), column, _dialect(file, encoding, delimiter, decimal, header_rows),
                                      sheet, header_row=_whole(header_row, None))
        mapping, _said = _start(columns, saved, project_id) if columns else (None, None)
    except USER_ERRORS as exc:
        return dbc.Alert(str(exc), color="danger", className="small")
    journey = workspace().journey(int(journey_id)).journey
    known = dict(mapping.touchpoint_values) if isinstance(mapping, SurveyMapping) and saved != GUESS else {}
    matched = guesses.match_touchpoints(labels, {tp.key: tp.name for tp in journey.touchpoints}, one_to_one=False)
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


def _mapping(kind, fields: dict, segments, kpis, na_text, rating_min, rating_max, wide, labels, words, extra):
    """The form's values as a mapping of the file's columns (``extra``: date format, wave, outcome name,
    exclusion rules, whether two columns on one touchpoint were confirmed)."""
    # A hidden field of another kind of file may still hold a column: it must neither map nor take a segment.
    pick = {name: value if value and value != NONE and name in KIND_FIELDS[kind or "survey"] else None
            for name, value in fields.items()}
    if kind in ("kpi_period", "kpi_customer"):
        return KpiMapping(kpis=tuple(kpis or ()), period=pick["ts"] if kind == "kpi_period" else None,
                          respondent_id=pick["respondent_id"] if kind == "kpi_customer" else None,
                          segments=tuple(segments or ()))
    wave = (extra["wave"] or "").strip() or None
    if not pick["ts"] and not wave:
        raise IngestError(_("Choose the date / time column, or give the survey's fieldwork wave (e.g. 2026-03) if the "
                            "answers have no dates."))
    if wave:
        waves.parse(wave)  # a wave that is no month, day or range is said here, before the file is read
    scale = (1.0 if rating_min in (None, "") else float(rating_min), 10.0 if rating_max in (None, "") else float(rating_max))
    if scale[0] >= scale[1]:
        raise IngestError(_("The other rating's scale must go from a lower to a higher value."))
    codes = tuple(code.strip() for code in (na_text or "").split(",") if code.strip())
    common = dict(ts=pick["ts"], respondent_id=pick["respondent_id"], response_id=pick["response_id"],
                  comment=pick["comment"], segments=tuple(s for s in segments or () if s not in pick.values()),
                  rating_scale=scale, wave=None if pick["ts"] else wave,
                  date_format=extra["date_format"] if pick["ts"] and extra["date_format"] != AUTO else None,
                  exclude=extra["exclude"], outcome_label=(extra["outcome"] or "").strip() or None)
    if kind == "wide":
        columns = []
        for column, (touchpoint, metric, low, high) in wide.items():
            if not touchpoint or touchpoint == NONE:
                continue
            own = None
            if metric == "yesno":
                metric, own = "rating", (0.0, 1.0)
            elif metric == "rating":
                own = (float(low), float(high)) if low not in (None, "") and high not in (None, "") else scale
                if own[0] >= own[1]:
                    raise IngestError(_("“{column}”: the scale must go from a lower to a higher value.").format(
                        column=column))
            columns.append(WideColumn(column, touchpoint, metric, own))
        if not columns:
            raise IngestError(_("Map at least one rating column to a touchpoint."))
        found = guesses.conflicts({w.column: w.touchpoint for w in columns})
        if found and not extra["twice_ok"]:
            raise IngestError(_("Two or more columns are mapped to one touchpoint ({touchpoints}): change one, or "
                                "confirm it above.").format(touchpoints=", ".join(found)))
        used = {w.column for w in columns}
        value_labels = {column: labels_ for column, labels_ in words.items() if column in used}
        # Each rating column keeps the codes outside its own scale: 0 stays an answer of a 0/1 outcome.
        na_codes = {**ingest.na_codes_outside_scales(codes, scale), **({"rating": codes} if codes else {})}
        return SurveyMapping(wide=tuple(columns), value_labels=value_labels, na_codes=na_codes, **common)
    if not pick["touchpoint"]:
        raise IngestError(_("Choose the touchpoint column."))
    return SurveyMapping(touchpoint=pick["touchpoint"], nps=pick["nps"], csat=pick["csat"], ces=pick["ces"],
                         rating=pick["rating"], touchpoint_values={k: v for k, v in labels.items() if v and v != NONE},
                         na_codes=ingest.na_codes_outside_scales(codes, scale), **common)


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
           State({"type": "da-wide-low", "column": ALL}, "value"), State({"type": "da-wide-high", "column": ALL}, "value"),
           State({"type": "da-value", "label": ALL}, "value"), State({"type": "da-value", "label": ALL}, "id"),
           State({"type": "da-label-value", "column": ALL, "label": ALL}, "value"),
           State({"type": "da-label-value", "column": ALL, "label": ALL}, "id"),
           State("da-date-format", "value"), State("da-wave", "value"), State("da-outcome-name", "value"),
           State("da-exclude", "value"), State("da-twice-ok", "value"), State("da-append", "value"),
           State("da-name", "value"), State("da-columns", "data"),
           State("da-file", "data"), State("da-encoding", "value"), State("da-delimiter", "value"),
           State("da-decimal", "value"), State("da-header-rows", "value"), State("da-sheet", "value"),
           State("da-header-row", "value"), State("da-project", "value"), State("da-journey", "value")],
          background=True, prevent_initial_call=True,
          progress=[Output("da-progress", "value"), Output("da-progress", "label")],
          running=[(Output("da-check", "disabled"), True, False), (Output("da-cancel", "disabled"), False, True)])
def check(set_progress, _job, token, *values):
    """Read and validate the whole file in the background; the valid rows wait for the user's decision."""
    fields = dict(zip(FIELDS, values[:len(FIELDS)]))
    (kind, segments, kpis, na_text, rating_min, rating_max, wide_tps, wide_ids, wide_metrics, wide_lows, wide_highs,
     label_keys, label_ids, word_values, word_ids, date_format, wave, outcome_name, exclude, twice_ok, append, name,
     columns, file, encoding, delimiter, decimal, header_rows, sheet, header_row, project_id,
     journey_id) = values[len(FIELDS):]
    hidden = {"display": "none"}
    if not token or not file or not project_id:
        return None, hidden, "", True
    wide = {i["column"]: (tp, metric, low, high)
            for i, tp, metric, low, high in zip(wide_ids, wide_tps, wide_metrics, wide_lows, wide_highs)}
    labels = {i["label"]: key for i, key in zip(label_ids, label_keys)}
    words: dict[str, dict] = {}
    for i, value in zip(word_ids, word_values):
        words.setdefault(i["column"], {})[i["label"]] = None if value in (None, "") else float(value)
    extra = {"date_format": date_format or AUTO, "wave": wave, "outcome": outcome_name, "twice_ok": bool(twice_ok),
             "exclude": (columns or {}).get("exclude", {}) if exclude else {}}
    warnings: list[str] = []
    try:
        mapping = _mapping(kind, fields, segments, kpis, na_text, rating_min, rating_max, wide, labels, words, extra)
        dialect = _dialect(file, encoding, delimiter, decimal, header_rows)
        target = None
        if append:
            target = workspace().datasets.append_target(int(project_id), name or "")
        staged = workspace().datasets.stage(
            int(project_id), _source(file), mapping, journey_id=int(journey_id) if journey_id else None,
            dialect=dialect, sheet=sheet, header_row=_whole(header_row, None), source=file["name"], token=token,
            append_to=target, progress=lambda fraction, step: set_progress((round(100 * fraction), _(step))))
        if isinstance(mapping, SurveyMapping):
            sample = ingest.read_source(_source(file), dialect, sheet, rows=guesses.SAMPLE_ROWS,
                                        header_row=_whole(header_row, None))
            warnings = guesses.check_mapping(sample.table, mapping)
    except Cancelled as exc:
        set_progress((0, ""))
        return dbc.Alert(_(str(exc)), color="secondary", className="py-2 small"), hidden, "", True
    except (*USER_ERRORS, OSError) as exc:
        set_progress((0, ""))
        return dbc.Alert(str(exc), color="danger", className="py-2 small", id="da-error"), hidden, "", True
    except Exception as exc:  # a file this importer does not understand: say so in a line, keep the trace in the log
        logging.getLogger(__name__).exception("import check failed")
        set_progress((0, ""))
        return dbc.Alert(_("This file could not be read with this mapping ({error}); nothing was changed.").format(
            error=type(exc).__name__), color="danger", className="py-2 small"), hidden, "", True
    set_progress((100, _("Checked")))
    report = staged.report
    answers = report.answers if report.answers is not None else report.rows_valid
    body = [_warnings(warnings), _report(report)]
    if not answers:
        return body, {}, _("No valid rows to import"), True
    verb = _("Append {n} valid rows") if staged.extends is not None else _("Import {n} valid rows")
    return body, {}, verb.format(n=formatting.count(answers)), False


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
        staged = datasets.staged(token)
        info = datasets.commit(staged, name or "")
    except USER_ERRORS as exc:
        return no_update, dbc.Alert(str(exc), color="danger", className="py-2 small"), no_update, no_update, no_update, no_update
    if staged.extends is not None:
        text = _("Appended {rows} answers: “{name}” version {version} holds {total} answers; the mapping is saved as "
                 "“{mapping}”.").format(rows=formatting.count(staged.report.answers or staged.report.rows_valid),
                                        name=info.name, version=info.version, total=formatting.count(info.rows),
                                        mapping=info.name)
    else:
        text = _("Imported {rows} rows as “{name}” version {version}; the mapping is saved as “{mapping}”.").format(
            rows=formatting.count(info.rows), name=info.name, version=info.version, mapping=info.name)
    links = html.Span([" ", dcc.Link(_("Open the heatmap"), href="/heatmap", className="alert-link")])
    return ((refresh or 0) + 1, dbc.Alert([text, links], color="success", className="py-2 small", id="da-imported"),
            hidden, None, 0, "")


def _report(report: ingest.ImportReport) -> html.Div:
    """The validation report: rows read and kept, how dates were read, and each kind of problem with its rows."""
    skipped = report.rows_read - report.rows_valid
    summary = _("{read} rows read, {valid} valid, {skipped} with problems (skipped).").format(
        read=report.rows_read, valid=report.rows_valid, skipped=skipped)
    if report.answers is not None and report.answers != report.rows_valid:
        summary += " " + _("They hold {n} answers.").format(n=report.answers)
    if report.date_format:
        summary += " " + _("Dates read as {format}.").format(format=dates.readable(report.date_format))
    if report.date_zone:
        summary += " " + _("Times with an offset were converted to {zone} wall time.").format(zone=report.date_zone)
    if report.wave:
        summary += " " + _("No dates: every answer belongs to the wave {wave}.").format(wave=report.wave)
    if not report.issues:
        return html.Div([html.Div(summary, className="small mb-2"),
                         html.Div(_("No problems found."), className="small text-success")], id="da-report-body")
    rows = [html.Tr([html.Td(_(issue.message)), html.Td(issue.column), html.Td(issue.count, className="text-end"),
                     html.Td(", ".join(map(str, issue.rows)) + (" …" if issue.count > len(issue.rows) else ""))])
            for issue in report.issues]
    return html.Div([
        html.Div(summary, className="small mb-2"),
        html.Div(dbc.Table([html.Thead(html.Tr([html.Th(_("Problem")), html.Th(_("Column")),
                                                html.Th(_("Rows"), className="text-end"), html.Th(_("First rows"))])),
                            html.Tbody(rows)], size="sm", className="small", bordered=True),
                 className="table-responsive"),
    ], id="da-report-body")
