"""Journey editor: projects and journeys, stages, touchpoints with owners, connections, undo/redo."""

from __future__ import annotations

import time
from collections.abc import Callable

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages import _locale
from cxweb.pages._context import author, new_action_href, workspace
from cxweb.pages._graph import STYLESHEET, elements, positions
from cxweb.pages._pickers import project_options, project_picker
from workbench.core import formatting, metrics, quickadd
from workbench.core import journey as jm
from workbench.core.errors import ConflictError, WorkspaceError
from workbench.core.i18n import N_, Labels, pgettext
from workbench.core.i18n import gettext as _
from workbench.core.journey import Journey, JourneyError
from workbench.features import actions
from workbench.features import journeys as feature

dash.register_page(
    __name__,
    path="/",
    name=N_("Journeys"),
    order=0,
    group="journeys",  # one menu of the navigation bar (cxweb.app.NAV_GROUPS)
    icon="fa-route",
    title=lambda **_path: _("Journeys · CX Journey Workbench"),
)

PRESET = {"name": "preset", "fit": True, "padding": 40, "animate": False}
KIND_LABELS = Labels({"touchpoint": N_("Touchpoint"), "decision": N_("Decision"), "outcome": N_("Outcome")})
TARGETS = feature.TARGETS  # one target field per metric, named in the reader's language when drawn
USER_ERRORS = (JourneyError, WorkspaceError)


# ------------------------------------------------------------------ layout


def layout(**_query) -> html.Div:
    """The editor: a toolbar, the journey map and a side panel."""
    return html.Div(
        [
            dcc.Store(id="je-version"),
            dcc.Store(id="je-refresh", data=0),
            dcc.Store(id="je-name-action"),
            dcc.Store(id="je-confirm-action"),
            dcc.Download(id="je-download"),
            _toolbar(),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Div(
                                [
                                    cyto.Cytoscape(
                                        id="je-graph",
                                        elements=[],
                                        layout=PRESET,
                                        stylesheet=STYLESHEET,
                                        style={"width": "100%", "height": "calc(100vh - 175px)", "minHeight": "480px"},
                                        minZoom=0.15,
                                        maxZoom=1.6,
                                        boxSelectionEnabled=True,
                                        autoRefreshLayout=False,
                                    ),
                                    html.Div(id="je-empty", className="je-empty text-muted"),
                                    # Drag to connect: the handle shown at a hovered touchpoint's right edge, and the
                                    # hint of the C key; HTML over the canvas, so dash-cytoscape never reports them.
                                    html.Div(
                                        id="je-connect-handle",
                                        className="je-handle",
                                        title=_("Drag to another touchpoint to connect the two"),
                                    ),
                                    html.Div(id="je-connect-line", className="je-line"),
                                    html.Div(
                                        _("Click the touchpoint to connect to (Esc cancels)"),
                                        id="je-connect-hint",
                                        className="je-hint alert alert-primary py-1 px-2 small",
                                    ),
                                ],
                                className="je-canvas border rounded bg-white position-relative",
                            ),
                            _legend(),
                        ],
                        lg=9,
                    ),
                    dbc.Col(_side_panel(), lg=3, className="je-panel"),
                ],
                className="g-2",
            ),
            _name_modal(),
            _confirm_modal(),
            _new_journey_modal(),
            _quick_add_modal(),
        ]
    )


def _legend() -> html.Div:
    """What the shapes and colours of the map mean."""

    def swatch(style: dict, text: str) -> html.Span:
        return html.Span([html.Span(className="je-swatch", style=style), text], className="me-3")

    return html.Div(
        [
            swatch({"border": "2px solid #0d6efd"}, _("touchpoint")),
            swatch({"border": "2px solid #b98900", "background": "#fff3cd"}, _("decision")),
            swatch({"border": "2px solid #198754", "background": "#d1e7dd", "borderRadius": "50%"}, _("outcome")),
            html.Span(_("▶ entry"), className="me-3"),
            swatch({"border": "2px dashed #dc3545"}, _("unreachable or dead end")),
            swatch({"borderTop": "2px dashed #fd7e14", "height": 0}, _("loop back to an earlier stage")),
            swatch({"border": "3px solid #d63384"}, _("highlighted owner")),
        ],
        className="small text-muted mt-1",
    )


def _button(icon: str, id_: str, title: str = "", text: str | html.Span = "", **kwargs) -> dbc.Button:
    """A small toolbar button: an icon, maybe a word, its purpose on hover."""
    body = [html.I(className=f"fa-solid {icon} me-1"), text] if text else html.I(className=f"fa-solid {icon}")
    return dbc.Button(body, id=id_, title=title, size="sm", color="light", className="border", **kwargs)


def _narrow(text: str) -> html.Span:
    """A button's word shown on screens 1400 px wide or more; on smaller ones its icon and title say it (the word
    is still read out by a screen reader: workbench.css, .je-wide)."""
    return html.Span(text, className="je-wide")


def _toolbar() -> html.Div:
    return html.Div(
        [
            dbc.InputGroup(
                [
                    dbc.InputGroupText(_("Project")),
                    project_picker(
                        "je-project",
                        persistence=True,
                        persistence_type="local",
                        style={"minWidth": "10rem", "maxWidth": "15rem"},
                    ),
                    _button("fa-plus", "je-project-new", _("New project")),
                    _button("fa-pen", "je-project-rename", _("Rename project")),
                    _button("fa-trash", "je-project-delete", _("Delete project")),
                ],
                size="sm",
                className="w-auto me-3",
            ),
            dbc.InputGroup(
                [
                    dbc.InputGroupText(_("Journey")),
                    dbc.Select(
                        id="je-journey",
                        options=[],
                        persistence=True,
                        persistence_type="local",
                        style={"minWidth": "12rem", "maxWidth": "18rem"},
                    ),
                    _button(
                        "fa-plus",
                        "je-journey-new",
                        _("New journey: empty, from a template or from a YAML file"),
                        pgettext("journey", "New"),
                    ),
                    _button("fa-pen", "je-journey-rename", _("Rename journey")),
                    _button("fa-file-export", "je-journey-export", _("Export as YAML")),
                    _button("fa-trash", "je-journey-delete", _("Delete journey")),
                ],
                size="sm",
                className="w-auto me-3",
            ),
            dbc.Button(
                [html.I(className="fa-solid fa-list-ul me-1"), _("Quick add")],
                id="je-quick-open",
                title=_("Add many touchpoints at once: type or paste a list, one a line"),
                className="border me-3",
                size="sm",
                color="light",
            ),
            dbc.ButtonGroup(
                [
                    # Words on wide screens only: on a 1366 px laptop the toolbar then stays on one line.
                    _button("fa-rotate-left", "je-undo", text=_narrow(_("Undo")), disabled=True),
                    _button("fa-rotate-right", "je-redo", text=_narrow(_("Redo")), disabled=True),
                ],
                className="me-2",
            ),
            dbc.Button(
                [html.I(className="fa-solid fa-table-columns me-1"), _("Auto-layout")],
                id="je-autolayout",
                title=_("Stages as columns, channels as lanes"),
                className="border me-2",
                size="sm",
                color="light",
            ),
            dbc.Button(
                [html.I(className="fa-solid fa-trash-can me-1"), _narrow(_("Delete"))],
                id="je-delete",
                title=_("Delete the selected touchpoints and connections (Delete key)"),
                className="border me-3",
                size="sm",
                color="light",
            ),
            dcc.Store(id="je-graph-resized"),
            dcc.Store(id="je-dragged"),
            dcc.Store(id="je-linked"),
        ],
        className="d-flex flex-wrap align-items-center gap-1 mb-2",
    )


def _side_panel() -> html.Div:
    return html.Div(
        [
            dbc.Alert(id="je-message", is_open=False, dismissable=True, className="py-2 small"),
            dcc.Dropdown(
                labels=_locale.dropdown_labels(),
                id="je-owner-filter",
                placeholder=_("Highlight an owner's touchpoints…"),
                clearable=True,
                className="mb-2",
            ),
            dbc.Tabs(
                [
                    dbc.Tab(
                        html.Div([_touchpoint_card(), _edge_card(), _add_touchpoint_card()], className="pt-2"),
                        label=_("Touchpoint"),
                        tab_id="tab-touchpoint",
                    ),
                    dbc.Tab(
                        html.Div(
                            [
                                html.Div(id="je-stage-list"),
                                dbc.InputGroup(
                                    [
                                        dbc.Input(id="je-stage-name", placeholder=_("New stage name"), maxLength=200),
                                        dbc.Button(_("Add stage"), id="je-stage-add", color="primary"),
                                    ],
                                    size="sm",
                                    className="mt-2",
                                ),
                            ],
                            className="pt-2",
                        ),
                        label=_("Stages"),
                        tab_id="tab-stages",
                    ),
                    dbc.Tab(
                        html.Div(id="je-checks", className="pt-2"),
                        label=_("Checks"),
                        tab_id="tab-checks",
                        id="je-checks-tab",
                    ),
                ],
                id="je-tabs",
                active_tab="tab-touchpoint",
            ),
        ]
    )


def _field(label: str, component) -> html.Div:
    return html.Div([dbc.Label(label, className="small mb-0"), component], className="mb-2")


def _touchpoint_card() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H6(id="je-tp-title", className="card-title"),
                html.Div(id="je-tp-key", className="small text-muted mb-2"),
                # Connect first: the step a workshop takes most, visible without scrolling on a 1366 × 768 screen.
                dbc.Label(_("Connect to"), className="small mb-0"),
                dbc.InputGroup(
                    [
                        dbc.Select(id="je-connect-target"),
                        dbc.Button(_("Connect"), id="je-connect", color="secondary"),
                    ],
                    size="sm",
                    className="mb-1",
                ),
                html.Div(id="je-tp-edges", className="small mb-2"),
                _field(_("Name"), dbc.Input(id="je-tp-name", size="sm", maxLength=200)),
                _field(_("Stage"), dbc.Select(id="je-tp-stage", size="sm")),
                _field(_("Channel"), dbc.Input(id="je-tp-channel", size="sm", list="je-channels", maxLength=100)),
                _field(_("Owner"), dbc.Input(id="je-tp-owner", size="sm", list="je-owners", maxLength=200)),
                _field(
                    _("Kind"),
                    dbc.Select(
                        id="je-tp-kind", size="sm", options=[{"label": v, "value": k} for k, v in KIND_LABELS.items()]
                    ),
                ),
                dbc.Checkbox(id="je-tp-entry", label=_("Customers enter the journey here"), className="small mb-2"),
                dbc.Label(_("Targets"), className="small mb-0"),
                # Text, not type=number: a browser drops a number input's value it finds invalid (4.25 against a
                # step, a comma decimal), and the server could not say what was wrong.
                dbc.Row(
                    [
                        dbc.Col(
                            dbc.InputGroup(
                                [
                                    dbc.InputGroupText(metrics.NAMES[key], className="px-1"),
                                    dbc.Input(
                                        id=f"je-tp-target-{key}",
                                        inputMode="decimal",
                                        placeholder=_range(*jm.METRIC_RANGES[key]),
                                    ),
                                ],
                                size="sm",
                            ),
                            width=6,
                        )
                        for key in TARGETS
                    ],
                    className="g-1 mb-2",
                ),
                _field(_("Notes"), dbc.Textarea(id="je-tp-notes", size="sm", rows=2)),
                html.Div(
                    [
                        dbc.Button(_("Save"), id="je-tp-save", color="primary", size="sm", className="me-2"),
                        dbc.Button(_("Delete"), id="je-tp-delete", color="outline-danger", size="sm", className="me-2"),
                        dcc.Link(
                            [html.I(className="fa-solid fa-plus me-1"), _("Improvement action")],
                            id="je-tp-action",
                            href="/actions",
                            className="btn btn-sm btn-outline-secondary",
                            title=_("Plan an improvement action for this touchpoint on the Actions page"),
                        ),
                    ],
                    className="mb-1",
                ),
                html.Datalist(id="je-owners"),
                html.Datalist(id="je-channels"),
            ]
        ),
        id="je-tp-card",
        className="mb-2",
        style={"display": "none"},
    )


def _range(low: float, high: float) -> str:
    """A scale as a hint in an empty field: '1…5', '−100…100'."""
    return f"{formatting.number(low)}…{formatting.number(high)}"


def _edge_card() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H6(id="je-edge-title", className="card-title"),
                dbc.Row(
                    [
                        dbc.Col(
                            _field(
                                _("Share of customers (%)"),
                                dbc.Input(
                                    id="je-edge-share", inputMode="decimal", size="sm", placeholder=_range(0, 100)
                                ),
                            )
                        ),
                        dbc.Col(_field(_("Volume"), dbc.Input(id="je-edge-volume", inputMode="decimal", size="sm"))),
                    ],
                    className="g-1",
                ),
                dbc.Button(_("Save"), id="je-edge-save", color="primary", size="sm", className="me-2"),
                dbc.Button(_("Delete"), id="je-edge-delete", color="outline-danger", size="sm"),
            ]
        ),
        id="je-edge-card",
        className="mb-2",
        style={"display": "none"},
    )


def _add_touchpoint_card() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H6(_("Add a touchpoint"), className="card-title"),
                _field(_("Name"), dbc.Input(id="je-new-name", size="sm", maxLength=200)),
                _field(_("Stage"), dbc.Select(id="je-new-stage", size="sm")),
                _field(_("Channel"), dbc.Input(id="je-new-channel", size="sm", list="je-channels", maxLength=100)),
                _field(_("Owner"), dbc.Input(id="je-new-owner", size="sm", list="je-owners", maxLength=200)),
                dbc.Button(
                    [html.I(className="fa-solid fa-plus me-1"), _("Add touchpoint")],
                    id="je-new-add",
                    color="primary",
                    size="sm",
                ),
                html.Div(
                    _(
                        "Tip: drag nodes to arrange them; shift-click or drag a box to select several; "
                        "Delete removes the selection; Ctrl+Z / Ctrl+Y undo and redo."
                    ),
                    className="small text-muted mt-2",
                ),
                html.Div(
                    _(
                        "Connect on the map: drag the round handle at a touchpoint's right edge onto another one, "
                        "or select a touchpoint, press C and click the next one."
                    ),
                    className="small text-muted mt-1",
                ),
            ]
        ),
        className="mb-2",
    )


def _dialog(name: str, title, body, ok_label: str, ok_color: str = "primary", size: str | None = None) -> dbc.Modal:
    """A modal with ids je-{name}-modal / -cancel / -ok."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(title)),
            dbc.ModalBody(body),
            dbc.ModalFooter(
                [
                    dbc.Button(_("Cancel"), id=f"je-{name}-cancel", color="secondary"),
                    dbc.Button(ok_label, id=f"je-{name}-ok", color=ok_color),
                ]
            ),
        ],
        id=f"je-{name}-modal",
        is_open=False,
        size=size,
    )


def _name_modal() -> dbc.Modal:
    return _dialog(
        "name",
        html.Span(id="je-name-title"),
        [
            dbc.Label(_("Name"), html_for="je-name-input"),
            dbc.Input(id="je-name-input", maxLength=200),
            dbc.Alert(id="je-name-error", color="danger", is_open=False, className="small mt-2 mb-0"),
        ],
        _("OK"),
    )


def _confirm_modal() -> dbc.Modal:
    return _dialog("confirm", _("Please confirm"), html.Div(id="je-confirm-text"), _("Delete"), "danger")


def _new_journey_modal() -> dbc.Modal:
    return _dialog(
        "new",
        _("New journey"),
        [
            dbc.RadioItems(
                id="je-new-source",
                value="template",
                className="mb-2",
                options=[
                    {"label": _("From a template"), "value": "template"},
                    {"label": _("Empty"), "value": "empty"},
                    {"label": _("From a YAML file"), "value": "file"},
                ],
            ),
            html.Div(dbc.Select(id="je-new-template"), id="je-new-template-box", className="mb-2"),
            html.Div(
                dcc.Upload(
                    id="je-new-upload",
                    accept=".yaml,.yml",
                    children=html.Div(
                        [
                            html.I(className="fa-solid fa-upload me-2"),
                            _("Drop a journey YAML file here or click to choose"),
                        ],
                        className="border border-2 border-dashed rounded p-3 text-center text-muted",
                    ),
                ),
                id="je-new-upload-box",
                className="mb-2",
                style={"display": "none"},
            ),
            html.Div(id="je-new-upload-name", className="small mb-2"),
            _field(
                _("Name"),
                dbc.Input(
                    id="je-new-journey-name",
                    maxLength=200,
                    placeholder=_("Leave empty to use the template's or file's name"),
                ),
            ),
            dbc.Alert(
                id="je-new-error",
                color="danger",
                is_open=False,
                className="small mb-0",
                style={"whiteSpace": "pre-wrap"},
            ),
        ],
        _("Create"),
        size="lg",
    )


def _quick_add_modal() -> dbc.Modal:
    return _dialog(
        "quick",
        _("Quick add touchpoints"),
        [
            html.P(
                _(
                    "One touchpoint a line: “Stage: Touchpoint; owner; channel” (owner and channel may be left out), "
                    "or columns pasted from Excel: stage, touchpoint, owner. A line without a stage goes into the "
                    "stage of the line before. Stages and touchpoints the journey has already are reused. "
                    "Ctrl+Enter adds the list."
                ),
                className="small mb-2",
            ),
            dbc.Textarea(
                id="je-quick-text",
                autoFocus=True,  # the dialog opens ready to type or paste into
                rows=10,
                maxLength=quickadd.MAX_CHARS,
                spellCheck="false",
                className="font-monospace small",
                placeholder=_(
                    "Awareness: Online ad; Marketing; web\nSearch result\nPurchase: Checkout; E-commerce team\nPayment"
                ),
            ),
            dbc.Checkbox(id="je-quick-connect", value=True, label=_("Connect in order"), className="mt-2 mb-0"),
            html.Div(
                _(
                    "Each touchpoint leads to the next one of its stage, and the last one of a stage to the first "
                    "one of the next stage listed."
                ),
                id="je-quick-connect-help",
                className="small text-muted mb-2",
            ),
            html.Div(id="je-quick-preview", className="small"),
            dbc.Alert(
                id="je-quick-error",
                color="danger",
                is_open=False,
                className="small mt-2 mb-0",
                style={"whiteSpace": "pre-wrap"},
            ),
        ],
        _("Add"),
        size="lg",
    )


# ------------------------------------------------------------------ helpers


def _journey_options(project_id) -> list[dict]:
    return [{"label": name, "value": id_} for name, id_ in feature.journey_choices(workspace(), project_id)]


def _message(text: str, color: str = "success") -> dict:
    return {"children": text, "color": color, "is_open": True}


def _edit(journey_id, version, label: str, change: Callable[[Journey], Journey]) -> tuple[object, dict]:
    """Apply one undoable edit; return (refresh token, message props)."""
    if not journey_id:
        return no_update, _message(_("Choose or create a journey first."), "warning")
    try:
        feature.save(workspace(), int(journey_id), version, label, change, author(None))
    except ConflictError as exc:
        return _token(), _message(str(exc), "warning")
    except USER_ERRORS as exc:
        return no_update, _message(str(exc), "danger")
    return _token(), _message(_("Saved: {edit}").format(edit=label))


def _step_title(pattern: str, label: str | None, by: str) -> str:
    """An undo or redo button's tooltip: the edit, and on a team server who made it."""
    if not label:
        return ""
    return pattern.format(label=label) + (" " + _("(by {name})").format(name=by) if by else "")


def _token() -> str:
    """A fresh value for je-refresh, naming what triggered it (render fits the view after auto-layout)."""
    return f"{ctx.triggered_id}:{time.time_ns()}"


def _show_message(props: dict) -> None:
    dash.set_props("je-message", props)


# ------------------------------------------------------------------ rendering

# After each draw: re-measure the canvas, and report drags when the user lets go (assets/journeymap.js).
dash.clientside_callback(
    dash.ClientsideFunction("journeymap", "drawn"),
    Output("je-graph-resized", "data"),
    Input("je-graph", "elements"),
)


@callback(
    Output("je-journey", "options"),
    Output("je-journey", "value"),
    Input("je-project", "value"),
    State("je-journey", "value"),
)
def choose_project(project_id, current):
    """List the project's journeys, keeping the current one if it belongs to it."""
    choices = feature.journey_choices(workspace(), project_id)
    return [{"label": name, "value": id_} for name, id_ in choices], feature.chosen_journey(choices, current)


@callback(
    Output("je-graph", "elements"),
    Output("je-graph", "layout"),
    Output("je-version", "data"),
    Output("je-undo", "disabled"),
    Output("je-undo", "title"),
    Output("je-redo", "disabled"),
    Output("je-redo", "title"),
    Output("je-checks", "children"),
    Output("je-checks-tab", "label"),
    Output("je-stage-list", "children"),
    Output("je-new-stage", "options"),
    Output("je-tp-stage", "options"),
    Output("je-owner-filter", "options"),
    Output("je-owners", "children"),
    Output("je-channels", "children"),
    Output("je-empty", "children"),
    Output("je-new-add", "disabled"),
    Input("je-journey", "value"),
    Input("je-refresh", "data"),
    Input("je-owner-filter", "value"),
)
def render(journey_id, refresh, owner):
    """Draw the journey and refresh every list that depends on it."""
    refit = ctx.triggered_id in (None, "je-journey") or str(refresh).startswith(
        ("je-autolayout", "je-new-", "je-quick-")
    )
    # A changed layout prop makes Cytoscape run the layout again (fit to view); the nonce makes it change.
    fit = {**PRESET, "nonce": time.time_ns()} if refit else no_update
    if not journey_id:
        hint = _("No journey yet: create one with “New” above.")
        return [], fit, None, True, "", True, "", [], _("Checks"), [], [], [], [], [], [], hint, True
    shown = feature.view(workspace(), int(journey_id))
    journey, warnings, owners = shown.journey, shown.warnings, shown.owners
    stage_options = [{"label": s.name, "value": s.key} for s in journey.stages]
    checks = (
        [html.Div(_("No problems found."), className="text-success small")]
        if not warnings
        else [
            dbc.ListGroup(
                [
                    dbc.ListGroupItem(w.message, className="small py-1", color=_WARNING_COLORS.get(w.code))
                    for w in warnings
                ],
                flush=True,
            )
        ]
    )
    return (
        elements(journey, warnings, owner),
        fit,
        shown.version,
        shown.undo_label is None,
        _step_title(_("Undo: {label}"), shown.undo_label, shown.undo_by),
        shown.redo_label is None,
        _step_title(_("Redo: {label}"), shown.redo_label, shown.redo_by),
        checks,
        _("Checks ({n})").format(n=formatting.count(len(warnings))) if warnings else _("Checks"),
        _stage_rows(journey, shown.stage_counts),
        stage_options,
        stage_options,
        [{"label": o, "value": o} for o in owners],
        [html.Option(value=o) for o in owners],
        [html.Option(value=c) for c in shown.channels],
        shown.hint,
        not journey.stages,
    )


_WARNING_COLORS = {
    "unreachable": "danger",
    "dead_end": "danger",
    "backward_edge": "warning",
    "shares_over_100": "warning",
    "duplicate_name": "warning",
    "no_owner": "secondary",
}


def _stage_rows(journey: Journey, counts: dict[str, int]) -> list:
    rows = []
    for i, stage in enumerate(journey.stages):
        key = stage.key
        rows.append(
            dbc.InputGroup(
                [
                    dbc.InputGroupText(formatting.count(i + 1)),
                    dbc.Input(
                        id={"type": "je-stage-rename", "key": key}, value=stage.name, debounce=True, maxLength=200
                    ),
                    dbc.InputGroupText(formatting.count(counts[key])),
                    dbc.Button(
                        html.I(className="fa-solid fa-arrow-up"),
                        id={"type": "je-stage-up", "key": key},
                        color="light",
                        className="border",
                        disabled=i == 0,
                        title=_("Move earlier"),
                    ),
                    dbc.Button(
                        html.I(className="fa-solid fa-arrow-down"),
                        id={"type": "je-stage-down", "key": key},
                        color="light",
                        className="border",
                        disabled=i == len(journey.stages) - 1,
                        title=_("Move later"),
                    ),
                    dbc.Button(
                        html.I(className="fa-solid fa-trash"),
                        id={"type": "je-stage-delete", "key": key},
                        color="light",
                        className="border",
                        title=_("Delete stage"),
                    ),
                ],
                size="sm",
                className="mb-1",
            )
        )
    return rows or [html.Div(_("No stages yet."), className="text-muted small")]


@callback(
    Output("je-tp-card", "style"),
    Output("je-edge-card", "style"),
    Output("je-tp-title", "children"),
    Output("je-tp-key", "children"),
    Output("je-tp-name", "value"),
    Output("je-tp-stage", "value"),
    Output("je-tp-channel", "value"),
    Output("je-tp-owner", "value"),
    Output("je-tp-kind", "value"),
    Output("je-tp-entry", "value"),
    *(Output(f"je-tp-target-{key}", "value") for key in TARGETS),
    Output("je-tp-notes", "value"),
    Output("je-connect-target", "options"),
    Output("je-tp-edges", "children"),
    Output("je-edge-title", "children"),
    Output("je-edge-share", "value"),
    Output("je-edge-volume", "value"),
    Input("je-graph", "selectedNodeData"),
    Input("je-graph", "selectedEdgeData"),
    Input("je-refresh", "data"),
    State("je-journey", "value"),
)
def fill_panel(nodes, edges, refresh, journey_id):
    """Show the selected touchpoint's or connection's fields (again after undo, redo or a drop)."""
    if ctx.triggered_id == "je-refresh" and str(refresh).startswith(("je-tp-save", "je-edge-save")):
        return (no_update,) * (16 + len(TARGETS))  # the panel shows what was just saved; the user may type on
    hidden, shown = {"display": "none"}, {"display": "block"}
    nodes = [n for n in nodes or [] if n.get("type") == "touchpoint"]
    edges = edges or []
    blank = ("",) * (9 + len(TARGETS)) + ([], [])
    if not journey_id or (len(nodes) != 1 and len(edges) != 1) or (nodes and edges):
        return (hidden, hidden, *blank, "", None, None)
    journey = feature.stored(workspace(), int(journey_id))
    names = {tp.key: tp.name for tp in journey.touchpoints}
    if len(nodes) == 1 and nodes[0]["id"] in names:
        tp = journey.touchpoint(nodes[0]["id"])
        found = feature.connections(journey, tp.key)
        edge_rows = [
            html.Div(
                [
                    html.Span(text, className="me-2"),
                    dbc.Button(
                        "×",
                        id={"type": "je-edge-remove", "target": target},
                        size="sm",
                        color="link",
                        className="p-0 text-danger",
                        title=_("Remove this connection"),
                    ),
                ]
            )
            for target, text in found.outgoing
        ]
        options = [{"label": name, "value": key} for name, key in found.choices]
        return (
            shown,
            hidden,
            tp.name,
            _("key: {key}").format(key=tp.key),
            tp.name,
            tp.stage,
            tp.channel,
            tp.owner or "",
            tp.kind,
            tp.entry,
            *(feature.shown(tp.targets.get(key)) for key in TARGETS),
            tp.notes,
            options,
            edge_rows,
            "",
            None,
            None,
        )
    if len(edges) == 1 and edges[0]["source"] in names and edges[0]["target"] in names:
        chosen = (edges[0]["source"], edges[0]["target"])
        edge = next((e for e in journey.edges if (e.source, e.target) == chosen), None)
        if edge is not None:
            title = f"{names[edge.source]} → {names[edge.target]}"
            share = None if edge.share is None else round(edge.share * 100, 4)
            return (hidden, shown, *blank, title, feature.shown(share), feature.shown(edge.volume))
    return (hidden, hidden, *blank, "", None, None)


@callback(Output("je-tp-action", "href"), Input("je-graph", "selectedNodeData"), State("je-journey", "value"))
def action_link(nodes, journey_id):
    """The selected touchpoint's 'improvement action' link: a new card pre-filled with its name and owner."""
    nodes = [n for n in nodes or [] if n.get("type") == "touchpoint"]
    if not journey_id or len(nodes) != 1:
        return no_update
    journey = feature.stored(workspace(), int(journey_id))
    if nodes[0]["id"] not in {tp.key for tp in journey.touchpoints}:
        return no_update
    return new_action_href(actions.for_touchpoint(journey, nodes[0]["id"]), int(journey_id))


# ------------------------------------------------------------------ edits


@callback(
    Output("je-refresh", "data", allow_duplicate=True),
    Input("je-undo", "n_clicks"),
    Input("je-redo", "n_clicks"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def undo_redo(_undo, _redo, journey_id, version):
    """Step back or forward through the journey's edit history."""
    if not journey_id:
        return no_update
    try:
        label = feature.undo_redo(workspace(), int(journey_id), version, undo=ctx.triggered_id == "je-undo")
    except USER_ERRORS as exc:
        _show_message(_message(str(exc), "warning"))
        return _token()
    done = _("Undone: {edit}") if ctx.triggered_id == "je-undo" else _("Redone: {edit}")
    _show_message(_message(done.format(edit=label), "info"))
    return _token()


@callback(
    Output("je-refresh", "data", allow_duplicate=True),
    Input("je-dragged", "data"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def persist_positions(dragged, journey_id, version):
    """Store node positions after the user drags nodes (one undoable step per drag)."""
    moved = positions(dragged)
    if not journey_id or not moved or version is None:
        return no_update
    found = feature.moves(feature.stored(workspace(), int(journey_id)), moved)
    if found is None:
        return no_update
    changed, label, restaged = found
    token, message = _edit(journey_id, version, label, lambda j: jm.drop_touchpoints(j, changed))
    if message["color"] != "success" or restaged:
        _show_message(message)
    return token


@callback(
    Output("je-refresh", "data", allow_duplicate=True),
    Input("je-autolayout", "n_clicks"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def auto_layout(_clicks, journey_id, version):
    """Lay the journey out: stages as columns, channels as lanes."""
    token, message = _edit(journey_id, version, _("Auto-layout"), jm.auto_layout)
    _show_message(message)
    return token


@callback(
    Output("je-refresh", "data", allow_duplicate=True),
    Output("je-stage-name", "value"),
    Input("je-stage-add", "n_clicks"),
    Input("je-stage-name", "n_submit"),
    State("je-stage-name", "value"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def add_stage(_clicks, _submit, name, journey_id, version):
    """Add a stage at the end of the journey."""
    token, message = _edit(
        journey_id,
        version,
        _("Add stage “{name}”").format(name=(name or "").strip()),
        lambda j: jm.add_stage(j, name or "")[0],
    )
    _show_message(message)
    return token, "" if message["color"] == "success" else no_update


@callback(
    Output("je-refresh", "data", allow_duplicate=True),
    Input({"type": "je-stage-rename", "key": ALL}, "value"),
    Input({"type": "je-stage-up", "key": ALL}, "n_clicks"),
    Input({"type": "je-stage-down", "key": ALL}, "n_clicks"),
    Input({"type": "je-stage-delete", "key": ALL}, "n_clicks"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def edit_stage(_names, _ups, _downs, _deletes, journey_id, version):
    """Rename, reorder or delete the stage whose control was used."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered:
        return no_update
    key, kind = trigger["key"], trigger["type"]
    if kind != "je-stage-rename" and not ctx.triggered[0]["value"]:
        return no_update
    if kind == "je-stage-rename":
        name = ctx.triggered[0]["value"] or ""
        if feature.same_stage_name(feature.stored(workspace(), int(journey_id)), key, name):
            return no_update
        label, change = _("Rename stage to “{name}”").format(name=name), lambda j: jm.rename_stage(j, key, name)
    elif kind == "je-stage-delete":
        label, change = _("Delete stage"), lambda j: jm.delete_stage(j, key)
    else:
        offset = -1 if kind == "je-stage-up" else 1
        label, change = _("Move stage"), lambda j: jm.move_stage(j, key, offset)
    token, message = _edit(journey_id, version, label, change)
    _show_message(message)
    return _token() if token is no_update else token  # a refused rename redraws the list with the stored name


@callback(
    Output("je-refresh", "data", allow_duplicate=True),
    Output("je-new-name", "value"),
    Input("je-new-add", "n_clicks"),
    Input("je-new-name", "n_submit"),
    State("je-new-name", "value"),
    State("je-new-stage", "value"),
    State("je-new-channel", "value"),
    State("je-new-owner", "value"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def add_touchpoint(_clicks, _submit, name, stage, channel, owner, journey_id, version):
    """Add a touchpoint into the chosen stage."""
    if not stage:
        _show_message(_message(_("Choose a stage for the touchpoint (add one in the Stages tab)."), "warning"))
        return no_update, no_update
    token, message = _edit(
        journey_id,
        version,
        _("Add touchpoint “{name}”").format(name=(name or "").strip()),
        feature.add_touchpoint(name, stage, channel, owner),
    )
    _show_message(message)
    return token, "" if message["color"] == "success" else no_update


@callback(
    Output("je-refresh", "data", allow_duplicate=True),
    Input("je-tp-save", "n_clicks"),
    State("je-graph", "selectedNodeData"),
    State("je-tp-name", "value"),
    State("je-tp-stage", "value"),
    State("je-tp-channel", "value"),
    State("je-tp-owner", "value"),
    State("je-tp-kind", "value"),
    State("je-tp-entry", "value"),
    State("je-tp-notes", "value"),
    State("je-journey", "value"),
    State("je-version", "data"),
    *(State(f"je-tp-target-{key}", "value") for key in TARGETS),
    prevent_initial_call=True,
)
def save_touchpoint(_clicks, nodes, name, stage, channel, owner, kind, entry, notes, journey_id, version, *typed):
    """Store the side panel's fields on the selected touchpoint."""
    if not nodes or len(nodes) != 1:
        return no_update
    key = nodes[0]["id"]
    try:
        change = feature.update_touchpoint(
            key,
            name=name,
            stage=stage,
            channel=channel,
            owner=owner,
            kind=kind,
            entry=entry,
            typed_targets=dict(zip(feature.TARGETS, typed, strict=True)),
            notes=notes,
        )
    except JourneyError as exc:
        _show_message(_message(str(exc), "danger"))
        return no_update
    token, message = _edit(journey_id, version, _("Edit “{name}”").format(name=(name or "").strip()), change)
    _show_message(message)
    return token


@callback(
    Output("je-refresh", "data", allow_duplicate=True),
    Input("je-connect", "n_clicks"),
    State("je-graph", "selectedNodeData"),
    State("je-connect-target", "value"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def connect(_clicks, nodes, target, journey_id, version):
    """Connect the selected touchpoint to the chosen one."""
    if not nodes or len(nodes) != 1 or not target:
        _show_message(_message(_("Select one touchpoint and choose where customers go next."), "warning"))
        return no_update
    return _connect(journey_id, version, nodes[0]["id"], target)


@callback(
    Output("je-refresh", "data", allow_duplicate=True),
    Input("je-linked", "data"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def connect_on_map(linked, journey_id, version):
    """Connect the touchpoints joined on the map: a handle dragged onto another, or C and a click
    (assets/journeymap.js)."""
    source, target = (linked.get("source"), linked.get("target")) if isinstance(linked, dict) else (None, None)
    if not isinstance(source, str) or not isinstance(target, str):
        return no_update
    return _connect(journey_id, version, source, target)


def _connect(journey_id, version, source: str, target: str):
    """One undoable edit connecting two touchpoints, checked as the model checks every edge."""
    token, message = _edit(journey_id, version, _("Connect touchpoints"), lambda j: jm.add_edge(j, source, target))
    _show_message(message)
    return token


@callback(
    Output("je-refresh", "data", allow_duplicate=True),
    Input({"type": "je-edge-remove", "target": ALL}, "n_clicks"),
    State("je-graph", "selectedNodeData"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def remove_edge_from_panel(_clicks, nodes, journey_id, version):
    """Remove one outgoing connection of the selected touchpoint."""
    if not ctx.triggered or not ctx.triggered[0]["value"] or not nodes:
        return no_update
    pair = (nodes[0]["id"], ctx.triggered_id["target"])
    token, message = _edit(journey_id, version, _("Remove connection"), lambda j: jm.delete_edges(j, [pair]))
    _show_message(message)
    return token


@callback(
    Output("je-refresh", "data", allow_duplicate=True),
    Input("je-edge-save", "n_clicks"),
    State("je-graph", "selectedEdgeData"),
    State("je-edge-share", "value"),
    State("je-edge-volume", "value"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def save_edge(_clicks, edges, share, volume, journey_id, version):
    """Store the share and volume of the selected connection."""
    if not edges or len(edges) != 1:
        return no_update
    try:
        change = feature.update_edge(edges[0]["source"], edges[0]["target"], share, volume)
    except JourneyError as exc:
        _show_message(_message(str(exc), "danger"))
        return no_update
    token, message = _edit(journey_id, version, _("Edit connection"), change)
    _show_message(message)
    return token


# ------------------------------------------------------------------ quick add


@callback(
    Output("je-quick-modal", "is_open"),
    Output("je-quick-error", "is_open", allow_duplicate=True),
    Input("je-quick-open", "n_clicks"),
    Input("je-quick-cancel", "n_clicks"),
    State("je-journey", "value"),
    prevent_initial_call=True,
)
def open_quick_add(_open, _cancel, journey_id):
    """Open the quick-add dialog (what was typed stays until it is added), or close it."""
    if ctx.triggered_id == "je-quick-cancel":
        return False, no_update
    if not journey_id:
        _show_message(_message(_("Choose or create a journey first."), "warning"))
        return False, no_update
    return True, False


@callback(
    Output("je-quick-preview", "children"),
    Output("je-quick-error", "children"),
    Output("je-quick-error", "is_open"),
    Output("je-quick-connect-help", "style"),
    Input("je-quick-text", "value"),
    Input("je-quick-connect", "value"),
    State("je-journey", "value"),
    prevent_initial_call=True,
)
def preview_quick_add(text, connect, journey_id):
    """Say, as the user types, what the list would add and connect, or which lines are wrong."""
    help_style = {"display": "block" if connect else "none"}
    if not journey_id:
        return [], no_update, no_update, help_style
    try:
        typed = text if isinstance(text, str) else ""
        line, chains = feature.quick_preview(feature.stored(workspace(), int(journey_id)), typed, bool(connect))
    except USER_ERRORS as exc:
        return [], str(exc), True, help_style
    shown = [html.Div(line, className="fw-semibold")] if line else []
    if chains:
        shown.append(html.Div(chains, className="text-muted"))
    return shown, "", False, help_style


@callback(
    Output("je-quick-modal", "is_open", allow_duplicate=True),
    Output("je-quick-text", "value"),
    Output("je-quick-error", "children", allow_duplicate=True),
    Output("je-quick-error", "is_open", allow_duplicate=True),
    Output("je-refresh", "data", allow_duplicate=True),
    Input("je-quick-ok", "n_clicks"),
    State("je-quick-text", "value"),
    State("je-quick-connect", "value"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def quick_add(_clicks, text, connect, journey_id, version):
    """Add the list as one undoable edit and close the dialog, or keep it open with what is wrong."""
    if not journey_id:
        return no_update, no_update, _("Choose or create a journey first."), True, no_update
    try:
        typed = text if isinstance(text, str) else ""
        label = feature.quick_add(workspace(), int(journey_id), version, typed, bool(connect), author(None))
    except ConflictError as exc:
        return no_update, no_update, str(exc), True, _token()
    except USER_ERRORS as exc:
        return no_update, no_update, str(exc), True, no_update
    if label:
        _show_message(_message(_("Saved: {edit}").format(edit=label)))
    else:
        _show_message(_message(_("Nothing to add: the journey has every touchpoint and connection listed."), "info"))
    return False, "", "", False, _token()


# ------------------------------------------------------------------ deleting (with confirmation)


@callback(
    Output("je-confirm-modal", "is_open"),
    Output("je-confirm-text", "children"),
    Output("je-confirm-action", "data"),
    Input("je-delete", "n_clicks"),
    Input("je-tp-delete", "n_clicks"),
    Input("je-edge-delete", "n_clicks"),
    Input("je-project-delete", "n_clicks"),
    Input("je-journey-delete", "n_clicks"),
    Input("je-confirm-cancel", "n_clicks"),
    State("je-graph", "selectedNodeData"),
    State("je-graph", "selectedEdgeData"),
    State("je-project", "value"),
    State("je-journey", "value"),
    prevent_initial_call=True,
)
def ask_to_delete(_d, _tp, _edge, _project, _journey, _cancel, nodes, edges, project_id, journey_id):
    """Say exactly what would be deleted and wait for confirmation."""
    trigger = ctx.triggered_id
    if trigger == "je-confirm-cancel":
        return False, no_update, None
    if trigger == "je-project-delete" and project_id:
        name = feature.project_name(workspace(), int(project_id))
        return (
            True,
            _("Delete the project “{name}” with all its journeys? This cannot be undone.").format(name=name),
            {"kind": "project", "id": int(project_id)},
        )
    if trigger == "je-journey-delete" and journey_id:
        name = feature.stored(workspace(), int(journey_id)).name
        return (
            True,
            _("Delete the journey “{name}” with its history? This cannot be undone.").format(name=name),
            {"kind": "journey", "id": int(journey_id)},
        )
    if trigger in ("je-project-delete", "je-journey-delete"):
        _show_message(_message(_("Choose a project and a journey first."), "warning"))
        return no_update, no_update, no_update
    keys = [n["id"] for n in nodes or [] if n.get("type") == "touchpoint"]
    pairs = [(e["source"], e["target"]) for e in edges or []]
    if trigger == "je-edge-delete":
        keys = []
    if not journey_id or not (keys or pairs):
        _show_message(_message(_("Select touchpoints or connections to delete first."), "warning"))
        return no_update, no_update, no_update
    text = feature.deletion_text(feature.stored(workspace(), int(journey_id)), keys, pairs)
    return True, text, {"kind": "selection", "keys": keys, "pairs": pairs}


@callback(
    Output("je-confirm-modal", "is_open", allow_duplicate=True),
    Output("je-refresh", "data", allow_duplicate=True),
    Output("je-project", "options"),
    Output("je-project", "value", allow_duplicate=True),
    Output("je-journey", "options", allow_duplicate=True),
    Output("je-journey", "value", allow_duplicate=True),
    Input("je-confirm-ok", "n_clicks"),
    State("je-confirm-action", "data"),
    State("je-project", "value"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def delete_confirmed(_clicks, action, project_id, journey_id, version):
    """Carry out the confirmed deletion."""
    if not action:
        return False, no_update, no_update, no_update, no_update, no_update
    if action["kind"] == "project":
        feature.delete_project(workspace(), action["id"])
        options = project_options()
        first = options[0]["value"] if options else None
        _show_message(_message(_("Project deleted.")))
        return False, _token(), options, first, _journey_options(first), None
    if action["kind"] == "journey":
        feature.delete_journey(workspace(), action["id"])
        options = _journey_options(project_id)
        _show_message(_message(_("Journey deleted.")))
        return False, _token(), no_update, no_update, options, options[0]["value"] if options else None
    token, message = _edit(
        journey_id, version, _("Delete selection"), feature.delete_selection(action["keys"], action["pairs"])
    )
    _show_message(message)
    return False, token, no_update, no_update, no_update, no_update


# ------------------------------------------------------------------ naming projects and journeys


@callback(
    Output("je-name-modal", "is_open"),
    Output("je-name-title", "children"),
    Output("je-name-input", "value"),
    Output("je-name-action", "data"),
    Output("je-name-error", "is_open"),
    Input("je-project-new", "n_clicks"),
    Input("je-project-rename", "n_clicks"),
    Input("je-journey-rename", "n_clicks"),
    Input("je-name-cancel", "n_clicks"),
    State("je-project", "value"),
    State("je-journey", "value"),
    prevent_initial_call=True,
)
def ask_for_name(_new, _rename_project, _rename_journey, _cancel, project_id, journey_id):
    """Open the name dialog for a new project or a rename."""
    trigger = ctx.triggered_id
    if trigger == "je-project-new":
        return True, _("New project"), "", "new-project", False
    if trigger == "je-project-rename" and project_id:
        return True, _("Rename project"), feature.project_name(workspace(), int(project_id)), "rename-project", False
    if trigger == "je-journey-rename" and journey_id:
        return True, _("Rename journey"), feature.stored(workspace(), int(journey_id)).name, "rename-journey", False
    if trigger != "je-name-cancel":
        _show_message(_message(_("Choose a project and a journey first."), "warning"))
    return False, no_update, no_update, None, False


@callback(
    Output("je-name-modal", "is_open", allow_duplicate=True),
    Output("je-refresh", "data", allow_duplicate=True),
    Output("je-project", "options", allow_duplicate=True),
    Output("je-project", "value", allow_duplicate=True),
    Output("je-journey", "options", allow_duplicate=True),
    Output("je-name-error", "children"),
    Output("je-name-error", "is_open", allow_duplicate=True),
    Input("je-name-ok", "n_clicks"),
    Input("je-name-input", "n_submit"),
    State("je-name-input", "value"),
    State("je-name-action", "data"),
    State("je-project", "value"),
    State("je-journey", "value"),
    State("je-version", "data"),
    prevent_initial_call=True,
)
def apply_name(_ok, _submit, name, action, project_id, journey_id, version):
    """Create or rename, or keep the dialog open with the reason it cannot."""
    unchanged = (no_update,) * 5
    try:
        if action == "new-project":
            new_id = feature.create_project(workspace(), name)
            _show_message(_message(_("Project created. Add a journey with “New”.")))
            return False, _token(), project_options(), new_id, no_update, "", False
        if action == "rename-project":
            feature.rename_project(workspace(), int(project_id), name)
            _show_message(_message(_("Project renamed.")))
            return False, _token(), project_options(), no_update, no_update, "", False
        if action == "rename-journey":
            old = feature.stored(workspace(), int(journey_id)).name
            token, message = _edit(journey_id, version, _("Rename journey"), feature.renamed(name or ""))
            if message["color"] != "success":
                return *unchanged, message["children"], True
            new = feature.stored(workspace(), int(journey_id)).name
            feature.follow_rename(workspace(), int(project_id), old, new, author(None))
            _show_message(message)
            return False, token, no_update, no_update, _journey_options(project_id), "", False
    except USER_ERRORS as exc:
        return *unchanged, str(exc), True
    return *unchanged, no_update, no_update


# ------------------------------------------------------------------ new journey, YAML export


@callback(
    Output("je-new-modal", "is_open"),
    Output("je-new-template", "options"),
    Output("je-new-template", "value"),
    Output("je-new-error", "is_open"),
    Output("je-new-upload", "contents"),
    Output("je-new-upload", "filename"),
    Output("je-new-journey-name", "value"),
    Input("je-journey-new", "n_clicks"),
    Input("je-new-cancel", "n_clicks"),
    prevent_initial_call=True,
)
def open_new_journey(_new, _cancel):
    """Open the new-journey dialog afresh (no file or name left from last time) with the templates."""
    if ctx.triggered_id == "je-new-cancel":
        return False, no_update, no_update, False, None, None, ""
    options = [{"label": label, "value": key} for label, key in feature.template_choices()]
    return True, options, options[0]["value"] if options else None, False, None, None, ""


@callback(
    Output("je-new-template-box", "style"),
    Output("je-new-upload-box", "style"),
    Input("je-new-source", "value"),
)
def choose_source(source):
    """Show the template list or the file drop zone."""
    return (
        {"display": "block" if source == "template" else "none"},
        {"display": "block" if source == "file" else "none"},
    )


@callback(Output("je-new-upload-name", "children"), Input("je-new-upload", "filename"), prevent_initial_call=True)
def show_upload(filename):
    """Name the chosen file."""
    return _("File: {name}").format(name=filename) if filename else ""


@callback(
    Output("je-new-modal", "is_open", allow_duplicate=True),
    Output("je-new-error", "children"),
    Output("je-new-error", "is_open", allow_duplicate=True),
    Output("je-journey", "options", allow_duplicate=True),
    Output("je-journey", "value", allow_duplicate=True),
    Input("je-new-ok", "n_clicks"),
    State("je-new-source", "value"),
    State("je-new-template", "value"),
    State("je-new-upload", "contents"),
    State("je-new-upload", "filename"),
    State("je-new-journey-name", "value"),
    State("je-project", "value"),
    prevent_initial_call=True,
)
def create_journey(_clicks, source, template_key, contents, filename, name, project_id):
    """Create the journey from the chosen source, or say why not (nothing is stored on error)."""
    if not project_id:
        return no_update, _("Create a project first."), True, no_update, no_update
    try:
        journey = feature.new_journey(source, name, template_key, contents, filename)
        new_id = feature.create_journey(workspace(), int(project_id), journey)
    except (*USER_ERRORS, FileNotFoundError) as exc:
        return no_update, str(exc), True, no_update, no_update
    _show_message(_message(_("Journey “{name}” created.").format(name=journey.name)))
    return False, "", False, _journey_options(project_id), new_id


@callback(
    Output("je-download", "data"),
    Input("je-journey-export", "n_clicks"),
    State("je-journey", "value"),
    prevent_initial_call=True,
)
def export_yaml(_clicks, journey_id):
    """Download the journey as a YAML file."""
    if not journey_id:
        return no_update
    content, filename = feature.yaml_file(workspace(), int(journey_id))
    return {"content": content, "filename": filename}
