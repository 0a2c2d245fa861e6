"""Actions page: the kanban of improvement actions, a card editor with moves, the before/after check and history."""

from __future__ import annotations

import datetime
import json

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages import _locale
from cxweb.pages._context import author, workspace
from cxweb.pages._filters import group
from cxweb.pages._pickers import project_picker, user_box
from workbench.core import formatting, metrics
from workbench.core.errors import ConflictError, WorkspaceError
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.features import actions, selection
from workbench.features.actions import STATUS_NAMES, STATUSES, VERDICT_NAMES, Action, Draft

dash.register_page(
    __name__,
    path="/actions",
    name=N_("Actions"),
    order=7,
    icon="fa-list-check",
    title=lambda **_path: _("Actions · CX Journey Workbench"),
)

ANY = "__all__"
EDITOR_BUTTONS = ("act-left", "act-up", "act-down", "act-right", "act-delete", "act-save")  # off while one runs
MOVES_SHOWN, MOVES_HIDDEN = "d-flex gap-1 me-auto", "d-none"
GRIDS = [f"act-grid-{status}" for status in STATUSES]
STEPS = {"act-left": "left", "act-right": "right", "act-up": "up", "act-down": "down"}  # move buttons
VERDICT_COLOURS = {"improved": "success", "no_change": "secondary", "worse": "danger", "insufficient": "warning"}


def layout(**params) -> html.Div:
    """Filters, the five columns, and the card editor (opened pre-filled when the URL carries a new card)."""
    opening = (
        {"id": None, "draft": Draft.from_params(params).to_params(), "journey": params.get("journey")}
        if params.get("new")
        else ({"id": int(params["card"])} if str(params.get("card", "")).isdigit() else None)
    )

    return html.Div(
        [
            dcc.Store(id="act-drop"),
            dcc.Store(id="act-refresh", data=0),
            dcc.Store(id="act-open", data=opening),
            dcc.Store(id="act-card"),
            dcc.Store(id="act-connected"),
            html.Div(
                [
                    group(
                        _("Project"),
                        project_picker("act-project", persistence=True, persistence_type="session"),
                        "11rem",
                    ),
                    group(_("Journey"), dbc.Select(id="act-journey", options=[], value=ANY), "11rem"),
                    group(
                        _("You are"),
                        user_box("act-user"),
                        "15rem",
                    ),
                    dbc.Button(
                        [html.I(className="fa-solid fa-plus me-1"), _("New action")],
                        id="act-new",
                        size="sm",
                        color="primary",
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            html.Div(
                [
                    group(_("Owner"), dbc.Select(id="act-owner", options=[], value=ANY), "11rem"),
                    group(_("Stage"), dbc.Select(id="act-stage", options=[], value=ANY), "11rem"),
                    group(_("Touchpoint"), dbc.Select(id="act-touchpoint", options=[], value=ANY), "14rem"),
                    dbc.Checklist(
                        id="act-flags",
                        inline=True,
                        switch=True,
                        value=[],
                        className="small",
                        options=[
                            {"label": _("My actions"), "value": "mine"},
                            {"label": _("Overdue only"), "value": "overdue"},
                        ],
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            dbc.Alert(id="act-message", is_open=False, dismissable=True, color="warning", className="py-2 small"),
            html.P(
                _(
                    "Drag a card within a column or into another one, or open it and use the move buttons. "
                    "A card reaches Verified once its before/after check has a verdict."
                ),
                className="small text-muted mb-2",
            ),
            dbc.Row(
                [dbc.Col(_column(status), className="cx-column") for status in STATUSES],
                className="g-2 flex-nowrap",
                style={"overflowX": "auto"},
            ),
            _editor(),
        ]
    )


def _column(status: str) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.B(STATUS_NAMES[status]),
                    dbc.Badge("0", id=f"act-count-{status}", color="secondary", className="ms-2"),
                    html.Span(id=f"act-cost-{status}", className="ms-auto small text-muted"),
                ],
                className="d-flex align-items-center px-2 py-1 bg-light border rounded-top",
            ),
            dag.AgGrid(
                id=f"act-grid-{status}",
                rowData=[],
                getRowId="params.data.id",
                columnDefs=[
                    {
                        "field": "shown",
                        "cellRenderer": "KanbanCard",
                        "rowDrag": True,
                        "flex": 1,
                        "cellClass": "cx-card-cell",
                    }
                ],
                dashGridOptions={
                    "headerHeight": 0,
                    "rowHeight": 96,
                    "rowDragEntireRow": True,
                    "suppressCellFocus": False,
                    "localeText": {"noRowsToShow": _("No cards")},
                    "suppressMoveWhenRowDragging": True,
                },
                className="ag-theme-alpine cx-board",
                style={"height": "calc(100vh - 290px)", "minHeight": "320px"},
            ),
        ],
        id=f"act-column-{status}",
        **{"data-status": status},
    )


def _editor() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id="act-editor-title")),
            dbc.ModalBody(
                [
                    dbc.Alert(id="act-editor-message", is_open=False, color="danger", className="py-2 small"),
                    html.Div(id="act-editor-body"),
                ]
            ),
            dbc.ModalFooter(
                [
                    html.Div(
                        [
                            dbc.Button(
                                "◀",
                                id="act-left",
                                size="sm",
                                color="secondary",
                                outline=True,
                                title=_("Move to the column before"),
                            ),
                            dbc.Button(
                                "▲", id="act-up", size="sm", color="secondary", outline=True, title=_("Move up")
                            ),
                            dbc.Button(
                                "▼", id="act-down", size="sm", color="secondary", outline=True, title=_("Move down")
                            ),
                            dbc.Button(
                                "▶",
                                id="act-right",
                                size="sm",
                                color="secondary",
                                outline=True,
                                title=_("Move to the next column"),
                            ),
                        ],
                        id="act-moves",
                        className=MOVES_SHOWN,
                    ),
                    dbc.Button(_("Delete"), id="act-delete", color="danger", outline=True, size="sm"),
                    dbc.Button(_("Save"), id="act-save", color="primary", size="sm"),
                ]
            ),
        ],
        id="act-editor",
        size="xl",
        is_open=False,
        scrollable=True,
    )


dash.clientside_callback(
    dash.ClientsideFunction("kanban", "connect"),
    Output("act-connected", "data"),
    Input(GRIDS[0], "id"),
    State(GRIDS[1], "id"),
    State(GRIDS[2], "id"),
    State(GRIDS[3], "id"),
    State(GRIDS[4], "id"),
)


@callback(
    Output("act-journey", "options"),
    Output("act-stage", "options"),
    Output("act-touchpoint", "options"),
    Input("act-project", "value"),
    Input("act-journey", "value"),
)
def choose_project(project_id, journey_id):
    """Journeys of the project; stages and touchpoints of the chosen journey (or of all of them)."""
    if not project_id:
        return [], [], []
    found = actions.choices(workspace(), int(project_id), None if journey_id in (ANY, None) else int(journey_id))
    everything = [{"label": _("all"), "value": ANY}]
    return (
        [{"label": _("all journeys"), "value": ANY}]
        + [{"label": name, "value": str(key)} for key, name in found.journeys.items()],
        everything + [{"label": name, "value": key} for key, name in found.stages.items()],
        everything + [{"label": name, "value": key} for key, name in found.touchpoints.items()],
    )


@callback(
    *[Output(grid, "rowData") for grid in GRIDS],
    *[Output(f"act-count-{s}", "children") for s in STATUSES],
    *[Output(f"act-cost-{s}", "children") for s in STATUSES],
    Output("act-owner", "options"),
    Input("act-project", "value"),
    Input("act-journey", "value"),
    Input("act-owner", "value"),
    Input("act-stage", "value"),
    Input("act-touchpoint", "value"),
    Input("act-flags", "value"),
    Input("act-user", "value"),
    Input("act-refresh", "data"),
)
def draw_board(project_id, journey_id, owner, stage, touchpoint, flags, user, _refresh):
    """The filtered cards in their columns, each column's count and total cost."""
    if not project_id:
        return [[]] * 5 + ["0"] * 5 + [""] * 5 + [[]]
    owner, stage, touchpoint = (None if value in (None, ANY) else value for value in (owner, stage, touchpoint))
    mine = author(user).strip() if "mine" in (flags or []) else None
    today = datetime.date.today()
    shown = actions.board_view(
        workspace(),
        int(project_id),
        None if journey_id in (None, ANY) else int(journey_id),
        owner=mine or owner,
        stage=stage,
        touchpoint=touchpoint,
        overdue_on=today if "overdue" in (flags or []) else None,
    )
    owners = [{"label": _("all"), "value": ANY}] + [{"label": name, "value": name} for name in shown.owners]
    return (
        *[[_row(card, shown.names, today) for card in column.cards] for column in shown.columns],
        *[str(column.count) for column in shown.columns],
        *[_("Σ {cost}").format(cost=formatting.number(column.cost)) if column.cost else "" for column in shown.columns],
        owners,
    )


def _row(card: Action, names: dict[str, str], today: datetime.date) -> dict:
    """A card as a grid row: the fields the card renderer shows."""
    row = {
        "id": str(card.id),
        "version": card.version,
        "title": card.title,
        "where": ", ".join(names.get(key, key) for key in card.touchpoints)
        + (f" · {card.segment} {', '.join(card.treated)}" if card.treated else ""),
        "owner": card.owner,
        "due": formatting.date(card.due) if card.due else "",
        "overdue": card.overdue(today),
        "cost_text": formatting.number(card.cost) if card.cost else "",
        "overdue_text": _("overdue"),
        "verdict": card.verdict or "",
        "verdict_text": _verdict_line(card),
    }
    # The grid redraws a cell only when its field's value changes: this field changes with anything shown.
    row["shown"] = json.dumps(row, sort_keys=True)
    return row


def _verdict_line(card: Action) -> str:
    if not card.verdict:
        return ""
    verdict, change = VERDICT_NAMES.get(card.verdict, card.verdict), card.realised_change
    if change is None:
        return verdict
    return _("{verdict} ({change})").format(verdict=verdict, change=formatting.value(change, card.metric, signed=True))


# ------------------------------------------------------------------ moves


@callback(
    Output("act-refresh", "data", allow_duplicate=True),
    Output("act-message", "children"),
    Output("act-message", "is_open"),
    Input("act-drop", "data"),
    State("act-user", "value"),
    State("act-refresh", "data"),
    prevent_initial_call=True,
)
def drop(dropped, user, refresh):
    """A card dragged to a column and place: store the move (the board redraws from what was stored)."""
    if not dropped or not str(dropped.get("card", "")).isdigit():
        return no_update, no_update, no_update
    try:
        actions.move(
            workspace(),
            int(dropped["card"]),
            dropped["status"],
            int(dropped["index"]),
            author(user),
            expected_version=int(dropped["version"]),
        )
    except WorkspaceError as error:
        return (refresh or 0) + 1, str(error), True
    return (refresh or 0) + 1, "", False


# ------------------------------------------------------------------ the card editor


@callback(
    Output("act-card", "data"),
    Output("act-editor", "is_open"),
    Input("act-new", "n_clicks"),
    Input("act-open", "data"),
    *[Input(grid, "cellClicked") for grid in GRIDS],
    State("act-journey", "value"),
    State("act-project", "value"),
    prevent_initial_call=False,
)
def open_card(_new, opening, *args):
    """Open a clicked card, an empty one, or the pre-filled one a link asked for."""
    *_clicks, journey_id, project_id = args
    trigger = ctx.triggered_id
    if trigger == "act-new":
        journey = journey_id if journey_id not in (None, ANY) else _first_journey(project_id)
        return {"id": None, "draft": {}, "journey": journey}, True
    if trigger == "act-open" or trigger is None:
        return (opening, True) if opening else (no_update, no_update)
    clicked = ctx.triggered[0]["value"] or {}
    card_id = str(clicked.get("rowId", ""))
    return ({"id": int(card_id)}, True) if card_id.isdigit() else (no_update, no_update)


def _first_journey(project_id) -> str | None:
    first = selection.journey_choices(workspace(), int(project_id))[1] if project_id else None
    return str(first) if first is not None else None


@callback(
    Output("act-editor-title", "children"),
    Output("act-editor-body", "children"),
    Output("act-moves", "className"),
    Output("act-delete", "style"),
    Input("act-card", "data"),
    State("act-project", "value"),
)
def show_card(card, project_id):
    """The editor's form for the card (or the draft), with its check and its history."""
    if not card or not project_id:
        return "", "", MOVES_HIDDEN, {"display": "none"}
    try:
        if card.get("id") is None:
            journey_id = card.get("journey")
            form = actions.card_form(
                workspace(),
                int(project_id),
                int(journey_id) if journey_id else None,
                draft=Draft.from_params(card.get("draft") or {}),
            )
        else:
            form = actions.card_form(workspace(), int(project_id), None, int(card["id"]))
    except WorkspaceError as error:
        return _("Card not found"), dbc.Alert(str(error), color="warning"), MOVES_HIDDEN, {"display": "none"}
    if form.action is None:
        return _("New action"), _form(form), MOVES_HIDDEN, {"display": "none"}
    return form.action.title, _form(form), MOVES_SHOWN, {}


def _form(form: actions.CardForm) -> html.Div:
    draft, action, journey_id = form.draft, form.action, form.journey_id

    def field(label: str, control, width: int = 6) -> dbc.Col:
        return dbc.Col([dbc.Label(label, className="small mb-0"), control], md=width)

    origin = draft.origin or {}
    body = [
        dcc.Store(id="act-form-version", data=action.version if action else None),
        dcc.Store(id="act-form-journey", data=journey_id),
        dbc.Row(
            [
                field(_("Title"), dbc.Input(id="act-f-title", value=draft.title, maxLength=300), 12),
                field(_("Description"), dbc.Textarea(id="act-f-description", value=draft.description, rows=2), 12),
                field(
                    _("Touchpoints"),
                    dcc.Dropdown(
                        labels=_locale.dropdown_labels(),
                        id="act-f-touchpoints",
                        multi=True,
                        value=list(draft.touchpoints),
                        options=[{"label": name, "value": key} for key, name in form.touchpoints.items()],
                    ),
                ),
                field(
                    _("Owner (empty: the touchpoint's owner)"),
                    dcc.Dropdown(
                        labels=_locale.dropdown_labels(),
                        id="act-f-owner",
                        options=[{"label": o, "value": o} for o in form.owners],
                        value=draft.owner or None,
                        placeholder=_("the first touchpoint's owner"),
                    ),
                ),
                field(
                    _("Due date"),
                    dbc.Input(id="act-f-due", type="date", value=draft.due.isoformat() if draft.due else None),
                    3,
                ),
                field(_("Cost"), _locale.decimal_input("act-f-cost", draft.cost), 3),
                field(
                    _("Metric"),
                    dbc.Select(
                        id="act-f-metric",
                        value=draft.metric,
                        options=[{"label": metrics.NAMES[m], "value": m} for m in metrics.METRICS],
                    ),
                    3,
                ),
                field(
                    _("Expected change"),
                    _locale.decimal_input("act-f-change", draft.expected_change),
                    3,
                ),
                field(
                    _("Only in segment (for the check against the rest)"),
                    dbc.Select(
                        id="act-f-segment",
                        value=draft.segment or "",
                        options=[{"label": _("everyone"), "value": ""}]
                        + [{"label": c, "value": c} for c in form.segments],
                    ),
                ),
                field(
                    _("Segment values that got the action"),
                    dcc.Dropdown(
                        labels=_locale.dropdown_labels(),
                        id="act-f-treated",
                        multi=True,
                        value=list(draft.treated),
                        options=[{"label": v, "value": v} for v in form.segment_values],
                    ),
                ),
            ],
            className="g-2 mb-2",
        ),
        html.P(
            [html.B(_("From:")), " ", actions.ORIGIN_KINDS.get(origin.get("kind"), ""), " — ", origin.get("label", "")],
            className="small text-muted",
            id="act-f-origin",
        )
        if origin.get("kind")
        else "",
    ]
    # Every field exists for a new card too (hidden), so the editor's callback always finds its inputs.
    done = action is not None and action.status in ("done", "verified")
    body += [
        html.Div(
            [
                html.Span(
                    [_("Column:"), " ", html.B(STATUS_NAMES[action.status] if action else "", id="act-f-status")],
                    className="me-3",
                ),
                dbc.InputGroup(
                    [
                        dbc.InputGroupText(_("done on")),
                        dbc.Input(
                            id="act-f-done",
                            type="date",
                            value=action.done_on.isoformat() if action and action.done_on else None,
                        ),
                    ],
                    size="sm",
                    className="w-auto",
                    style={} if done else {"display": "none"},
                ),
            ],
            className="d-flex align-items-center small mb-2" if action else "d-none",
        ),
        _check_section(form, done),
    ]
    if action is not None and action.touchpoints:
        body.append(
            dcc.Link(
                [html.I(className="fa-solid fa-coins me-1"), _("What is it worth? Estimate the ROI")],
                href=f"/roi?action={action.id}",
                className="small",
                id="act-roi",
            )
        )
    if action is not None:
        body += [
            html.H6(_("History"), className="mt-3"),
            html.Ul(
                [
                    html.Li(
                        [
                            html.Span(f"{formatting.moment(e.at)} · ", className="text-muted"),
                            html.B(e.who),
                            " — ",
                            e.what,
                        ]
                    )
                    for e in form.history
                ],
                id="act-history",
                className="small",
            ),
        ]
    return html.Div(body)


def _check_section(form: actions.CardForm, done: bool) -> html.Div:
    """Before/after windows, the button, and the recorded verdict (hidden until the card is done)."""
    action = form.action
    found = (action.verification if action else None) or {}
    windows = found.get("windows") or {}

    def weeks(id_: str, label: str, value: int) -> dbc.InputGroup:
        return dbc.InputGroup(
            [
                dbc.InputGroupText(label),
                dbc.Input(id=id_, type="number", min=1, max=104, value=value, style={"width": "5rem"}),
            ],
            size="sm",
            className="w-auto",
        )

    verdict = []
    if found:
        verdict = [
            dbc.Badge(
                VERDICT_NAMES.get(found.get("verdict"), found.get("verdict")),
                color=VERDICT_COLOURS.get(found.get("verdict"), "secondary"),
                id="act-verdict",
                className="me-2",
            ),
            html.Span(found.get("sentence", ""), id="act-verdict-sentence"),
            # How the answers were counted (clusters, design effect, test): older records have no detail.
            html.Div(found.get("detail") or "", className="mt-1 text-muted", id="act-verdict-detail"),
        ]
        if action.expected_change is not None and action.realised_change is not None:
            verdict.append(
                html.Div(
                    _(
                        "Expected {expected}, measured {measured}: this is the change an ROI "
                        "scenario of the card should use."
                    ).format(
                        expected=formatting.value(action.expected_change, action.metric, signed=True),
                        measured=formatting.value(action.realised_change, action.metric, signed=True),
                    ),
                    className="mt-1 text-muted",
                )
            )
    return html.Div(
        [
            html.P(
                _("Once the card is in Done, its effect on the touchpoint's score can be checked here."),
                className="small text-muted",
                style={"display": "none"} if done or not action else {},
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H6(_("Did it work? Before/after check"), className="mb-2"),
                        html.Div(
                            [
                                weeks("act-before-weeks", _("weeks before"), windows.get("before_weeks", 8)),
                                weeks("act-after-weeks", _("weeks after"), windows.get("after_weeks", 8)),
                                weeks("act-gap-weeks", _("skip weeks"), windows.get("gap_weeks", 0)),
                                dbc.Button(
                                    _("Check the effect"),
                                    id="act-check",
                                    size="sm",
                                    color="primary",
                                    disabled=not form.has_survey or form.wave_note is not None,
                                ),
                            ],
                            className="d-flex flex-wrap gap-2 align-items-center mb-2",
                        ),
                        html.Div(verdict, className="small"),
                        html.P(
                            _("No survey data in this project to check against.")
                            if not form.has_survey
                            else form.wave_note or "",
                            className="small text-muted mb-0",
                            id="act-check-note",
                        ),
                    ]
                ),
                className="bg-light",
                style={} if done else {"display": "none"},
            ),
        ]
    )


@callback(
    Output("act-f-treated", "options"),
    Input("act-f-segment", "value"),
    State("act-project", "value"),
    State("act-form-journey", "data"),
    prevent_initial_call=True,
)
def segment_values(column, project_id, journey_id):
    """Values of the chosen segment column in the survey."""
    values = actions.segment_values(workspace(), int(project_id), int(journey_id) if journey_id else None, column)
    return [{"label": v, "value": v} for v in values]


@callback(
    Output("act-card", "data", allow_duplicate=True),
    Output("act-editor", "is_open", allow_duplicate=True),
    Output("act-refresh", "data", allow_duplicate=True),
    Output("act-editor-message", "children"),
    Output("act-editor-message", "is_open"),
    Input("act-save", "n_clicks"),
    Input("act-delete", "n_clicks"),
    Input("act-left", "n_clicks"),
    Input("act-right", "n_clicks"),
    Input("act-up", "n_clicks"),
    Input("act-down", "n_clicks"),
    Input("act-check", "n_clicks"),
    State("act-card", "data"),
    State("act-form-version", "data"),
    State("act-form-journey", "data"),
    State("act-f-title", "value"),
    State("act-f-description", "value"),
    State("act-f-touchpoints", "value"),
    State("act-f-owner", "value"),
    State("act-f-due", "value"),
    State("act-f-cost", "value"),
    State("act-f-metric", "value"),
    State("act-f-change", "value"),
    State("act-f-segment", "value"),
    State("act-f-treated", "value"),
    State("act-before-weeks", "value"),
    State("act-after-weeks", "value"),
    State("act-gap-weeks", "value"),
    State("act-f-done", "value"),
    State("act-project", "value"),
    State("act-user", "value"),
    State("act-refresh", "data"),
    prevent_initial_call=True,
    running=[(Output(button, "disabled"), True, False) for button in EDITOR_BUTTONS],
)
def change_card(
    _save,
    _delete,
    _left,
    _right,
    _up,
    _down,
    _check,
    card,
    version,
    journey_id,
    title,
    description,
    touchpoints,
    owner,
    due,
    cost,
    metric,
    change,
    segment,
    treated,
    before,
    after,
    gap,
    done_on,
    project_id,
    user,
    refresh,
):
    """Save, delete, move or check the open card; a conflict or a refusal is shown in the editor, nothing is lost."""
    if not card or not ctx.triggered[0]["value"]:
        return no_update, no_update, no_update, no_update, no_update
    ws, who, trigger = workspace(), author(user), ctx.triggered_id
    refreshed = (refresh or 0) + 1
    card_id = None if card.get("id") is None else int(card["id"])
    try:
        draft = Draft(
            title=title or "",
            description=description or "",
            touchpoints=tuple(touchpoints or ()),
            owner=owner or "",
            due=_date(due),
            cost=_number(cost),
            metric=metric or "csat",
            expected_change=_number(change),
            segment=segment or None,
            treated=tuple(treated or ()),
            origin=Draft.from_params(card.get("draft") or {}).origin if card_id is None else {},
        )
        if card_id is None:
            created = actions.create(
                ws, int(project_id), draft, who, journey_id=int(journey_id) if journey_id else None
            )
            return {"id": created.id}, False, refreshed, "", False
        if trigger == "act-save":
            actions.update(ws, card_id, draft, who, expected_version=version, done_on=_date(done_on))
            return no_update, False, refreshed, "", False
        if trigger == "act-delete":
            actions.delete(ws, card_id, expected_version=version)
            return None, False, refreshed, "", False
        if trigger == "act-check":
            actions.check(ws, card_id, actions.windows_from(before, after, gap), who, expected_version=version)
        else:
            actions.step_card(ws, card_id, STEPS[trigger], who, expected_version=version)
    except ConflictError as error:
        lost = actions.conflict_note(ws, int(card["id"]), draft) if trigger == "act-save" else ""
        return {"id": card["id"], "reload": refreshed}, True, refreshed, f"{error} {lost}".strip(), True
    except WorkspaceError as error:
        return no_update, True, no_update, str(error), True
    return {"id": card["id"], "reload": refreshed}, True, refreshed, "", False


def _date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        raise WorkspaceError(_("“{text}” is not a date.").format(text=text)) from None


def _number(value) -> float | None:
    """A typed amount in the reader's convention ('0,4' or '0.4'); a WorkspaceError naming it when it is none."""
    try:
        return _locale.read_decimal(value)
    except ValueError as error:
        raise WorkspaceError(str(error)) from None
