"""Journey map page: the journey as a workshop's map — lanes under each touchpoint in stage columns (does, thinks,
feels, pain points, opportunities, backstage, the user's own lanes), personas with their segment rules, the measured
experience curve along the main path, and the as-is/to-be versions side by side."""

from __future__ import annotations

import time

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages import _filters
from cxweb.pages._context import author, workspace
from workbench.core import journey as jm
from workbench.core.errors import ConflictError, WorkspaceError
from workbench.core.i18n import N_, Labels
from workbench.core.i18n import gettext as _
from workbench.core.journey import JourneyError
from workbench.export import figures
from workbench.features import journeymaps as feature
from workbench.features import journeys as editing
from workbench.features import selection as selections

dash.register_page(
    __name__,
    path="/map",
    name=N_("Journey map"),
    order=0.5,  # after the editor: the same journey, seen as a workshop's map
    group="journeys",  # one menu of the navigation bar (cxweb.app.NAV_GROUPS)
    icon="fa-table-columns",
    title=lambda **_path: _("Journey map · CX Journey Workbench"),
)

USER_ERRORS = (JourneyError, WorkspaceError)  # an access refusal is a WorkspaceError too
STATES = Labels({"": N_("not marked"), "as-is": N_("as-is"), "to-be": N_("to-be")})
CHANGES = Labels(
    {
        "added": N_("added"),
        "removed": N_("removed"),
        "changed": N_("changed"),
        "connection added": N_("connection added"),
        "connection removed": N_("connection removed"),
    }
)
CHANGE_COLOURS = {"added": "success", "removed": "danger", "changed": "warning"}
BULLETED = ("pains", "opportunities", "backstage")  # lanes shown as bulleted lists
LANE_CLASSES = {"pains": "jm-pains", "opportunities": "jm-opportunities", "backstage": "jm-backstage"}
HINTS = Labels(
    {
        "pains": N_("One pain point per line"),
        "opportunities": N_("One opportunity per line"),
        "backstage": N_("One process per line, “Owner: process”"),
    }
)


def layout(**_query) -> html.Div:
    """Filter bar; the version and personas; the curve; the lanes grid; the lane editor dialog."""
    return html.Div(
        [
            _filters.filter_bar("jm"),
            dcc.Store(id="jm-refresh", data=0),
            dcc.Store(id="jm-version"),
            dcc.Store(id="jm-editing"),
            dcc.Store(id="jm-persona-key"),
            dbc.Alert(id="jm-message", is_open=False, dismissable=True, className="py-2 small"),
            dbc.Row(
                [
                    dbc.Col(_personas_card(), lg=7),
                    dbc.Col(_version_card(), lg=5),
                ],
                className="g-2 mb-2",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(
                            [
                                html.H6(_("Experience curve"), className="me-3 mb-0"),
                                dbc.Checklist(id="jm-curve-personas", inline=True, value=[""], className="small"),
                            ],
                            className="d-flex flex-wrap align-items-center",
                        ),
                        dcc.Graph(id="jm-curve", config={"displaylogo": False}, style={"height": "320px"}),
                        html.Div(id="jm-curve-summary", className="small text-muted"),
                    ]
                ),
                className="mb-2",
            ),
            html.Div(
                [
                    html.H6(_("Lanes"), className="me-3 mb-0"),
                    dbc.InputGroup(
                        [
                            dbc.Input(id="jm-lane-name", placeholder=_("New lane, e.g. Systems"), maxLength=200),
                            dbc.Button(_("Add lane"), id="jm-lane-add", color="secondary"),
                        ],
                        size="sm",
                        className="w-auto",
                    ),
                    html.Span(_("Click a touchpoint to write in its lanes."), className="small text-muted ms-3"),
                ],
                className="d-flex flex-wrap align-items-center mb-2",
            ),
            html.Div(id="jm-grid", className="jm-grid"),
            _lanes_modal(),
        ]
    )


def _personas_card() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H6(_("Personas")),
                html.Div(id="jm-personas", className="mb-2"),
                dbc.Row(
                    [
                        dbc.Col(dbc.Input(id="jm-persona-name", placeholder=_("Name"), size="sm", maxLength=200), md=3),
                        dbc.Col(
                            dbc.Input(
                                id="jm-persona-description", placeholder=_("Description"), size="sm", maxLength=500
                            ),
                            md=4,
                        ),
                        dbc.Col(
                            dbc.Input(
                                id="jm-persona-rule",
                                placeholder=_("Segment rule, e.g. customer_type = business"),
                                size="sm",
                                list="jm-rules",
                                maxLength=500,
                            ),
                            md=3,
                        ),
                        dbc.Col(dbc.Button(_("Save persona"), id="jm-persona-save", size="sm", color="primary"), md=2),
                    ],
                    className="g-1",
                ),
                html.Datalist(id="jm-rules"),
            ]
        )
    )


def _version_card() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H6(_("Version")),
                dbc.RadioItems(
                    id="jm-state",
                    inline=True,
                    options=[{"label": label, "value": key} for key, label in STATES.items()],
                    className="small",
                ),
                _filters.group(_("Drawn from"), dbc.Select(id="jm-based-on", options=[]), "16rem"),
                html.Div(
                    [
                        dbc.Button(_("Compare with the as-is"), id="jm-compare", size="sm", color="secondary"),
                        dbc.InputGroup(
                            [
                                dbc.Input(id="jm-tobe-name", placeholder=_("Name of the to-be version"), maxLength=200),
                                dbc.Button(_("New to-be version"), id="jm-tobe", color="outline-primary"),
                            ],
                            size="sm",
                            className="w-auto",
                        ),
                    ],
                    className="d-flex flex-wrap gap-2 mt-2",
                ),
                html.Div(id="jm-comparison", className="mt-2 small"),
            ]
        )
    )


def _lanes_modal() -> dbc.Modal:
    def box(lane: str, rows: int = 2) -> html.Div:
        return html.Div(
            [
                dbc.Label(jm.LANE_TITLES[lane], html_for=f"jm-l-{lane}", className="small mb-0"),
                dbc.Textarea(
                    id=f"jm-l-{lane}",
                    rows=rows,
                    size="sm",
                    placeholder=HINTS.get(lane, ""),
                    maxLength=jm.MAX_LANE_TEXT * (1 if lane in jm.TEXT_LANES else jm.MAX_LANE_LINES),
                ),
            ],
            className="mb-2",
        )

    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id="jm-lanes-title")),
            dbc.ModalBody(
                [
                    *(box(lane) for lane in jm.TEXT_LANES),
                    *(box(lane, 3) for lane in jm.LIST_LANES),
                    box("backstage", 3),
                    html.Div(id="jm-l-custom"),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button(_("Cancel"), id="jm-lanes-cancel", color="secondary"),
                    dbc.Button(_("Save"), id="jm-lanes-save", color="primary"),
                ]
            ),
        ],
        id="jm-lanes-modal",
        is_open=False,
        size="lg",
        scrollable=True,
    )


_filters.register("jm")


def _message(text: str, color: str = "success") -> dict:
    return {"children": text, "color": color, "is_open": True}


def _run(edit, done: str) -> tuple[object, dict | None]:
    """Run one edit of the stored journey; (refresh token, message), no message when the edit found nothing to
    change (it returned False)."""
    try:
        if edit() is False:
            return no_update, None
    except ConflictError as exc:
        return time.time_ns(), _message(str(exc), "warning")
    except USER_ERRORS as exc:
        return no_update, _message(str(exc), "danger")
    return time.time_ns(), _message(done)


# ------------------------------------------------------------------ rendering


@callback(
    Output("jm-grid", "children"),
    Output("jm-personas", "children"),
    Output("jm-curve-personas", "options"),
    Output("jm-state", "value"),
    Output("jm-based-on", "options"),
    Output("jm-based-on", "value"),
    Output("jm-based-on", "disabled"),
    Output("jm-version", "data"),
    Input("jm-journey", "value"),
    Input("jm-refresh", "data"),
    State("jm-project", "value"),
)
def render(journey_id, _refresh, project_id):
    """The lanes grid, the personas and the version of the chosen journey."""
    if not journey_id or not project_id:
        text = html.P(_("Choose a project with a journey."), className="text-muted")
        return text, "", [], "", [], "", True, None
    found = feature.view(workspace(), int(project_id), int(journey_id))
    journey = found.journey
    options = [{"label": "—", "value": ""}] + [{"label": name, "value": name} for name in found.others]
    curve_options = [{"label": _("All customers"), "value": feature.ALL_CUSTOMERS}] + [
        {"label": p.name, "value": p.key} for p in journey.personas
    ]
    return (
        _grid(found),
        _persona_list(journey),
        curve_options,
        journey.state,
        options,
        journey.based_on,
        journey.state != "to-be",  # only a to-be version is drawn from another
        found.version,
    )


def _grid(found: feature.MapView) -> html.Table | html.P:
    journey, changed = found.journey, found.changed
    if not journey.touchpoints:
        return html.P(_("The journey has no touchpoints yet: add them in the editor."), className="text-muted")
    on_path = set(found.main_path)
    stage_row = [html.Th("", className="jm-corner")] + [
        html.Th(column.name, colSpan=len(column.touchpoints), className="jm-stage")
        for column in found.columns
        if column.touchpoints
    ]
    tp_row = [html.Th("", className="jm-corner")] + [
        html.Th(
            html.Button(
                journey.touchpoint(key).name,
                id={"type": "jm-tp", "key": key},
                className="jm-tp"
                + (" jm-on-path" if key in on_path else "")
                + (f" jm-tp-{changed[key]}" if key in changed else ""),
                title=_("Write in the lanes of this touchpoint")
                + (f" ({CHANGES[changed[key]]})" if key in changed else ""),
            )
        )
        for column in found.columns
        for key in column.touchpoints
    ]
    rows = []
    for lane in found.lanes:
        title = [feature.lane_title(lane, journey)]
        if lane in journey.lanes:
            title.append(
                html.Button(
                    "×",
                    id={"type": "jm-lane-delete", "lane": lane},
                    className="btn btn-link btn-sm p-0 ms-1 text-danger",
                    title=_("Remove this lane"),
                )
            )
        cells = [html.Th(title, className="jm-lane")]
        for column in found.columns:
            for key in column.touchpoints:
                lines = feature.cell(journey, key, lane)
                if lane == "opportunities":  # each with its card button
                    items = [
                        html.Li(
                            [
                                line,
                                html.Button(
                                    "→ " + _("card"),
                                    id={"type": "jm-opportunity", "key": key, "index": i, "version": found.version},
                                    className="btn btn-link btn-sm p-0 ms-1",
                                    title=_("Make an action card of this opportunity"),
                                ),
                            ]
                        )
                        for i, line in enumerate(lines)
                    ]
                elif lane in BULLETED:
                    items = [html.Li(line) for line in lines]
                else:  # a text lane: its text as written, no bullet
                    items = [html.Div(line, className="jm-text") for line in lines]
                body = html.Ul(items) if items and lane in BULLETED else items
                cells.append(html.Td(body or "", className=LANE_CLASSES.get(lane, "")))
        rows.append(html.Tr(cells))
    return html.Table([html.Thead([html.Tr(stage_row), html.Tr(tp_row)]), html.Tbody(rows)], className="jm-table")


def _persona_list(journey: jm.Journey) -> list:
    if not journey.personas:
        return [html.Span(_("No personas yet: add who this journey is for."), className="small text-muted")]
    return [
        html.Div(
            [
                html.Strong(persona.name),
                html.Span(f" — {persona.description}" if persona.description else ""),
                html.Span(
                    feature.rule_text(persona.segment) or _("no segment rule"),
                    className="badge text-bg-light border ms-2",
                ),
                html.Button(
                    _("Edit"), id={"type": "jm-persona-edit", "key": persona.key}, className="btn btn-link btn-sm"
                ),
                html.Button(
                    _("Remove"),
                    id={"type": "jm-persona-delete", "key": persona.key},
                    className="btn btn-link btn-sm text-danger",
                ),
            ],
            className="small jm-persona",
        )
        for persona in journey.personas
    ]


@callback(
    Output("jm-curve", "figure"),
    Output("jm-curve-summary", "children"),
    Input("jm-selection", "data"),
    Input("jm-curve-personas", "value"),
    Input("jm-refresh", "data"),
)
def curve(selection, personas, _refresh):
    """The measured experience curve of everyone chosen and of each persona ticked."""
    chosen = _filters.resolve(selection)
    if chosen is None:
        return figures.empty(_("Choose a survey to draw the measured curve.")), ""
    found = feature.curves(workspace(), chosen, personas or [feature.ALL_CUSTOMERS])
    notes = [c.note for c in found.curves if c.note]
    return figures.experience_curve(found), " ".join([found.summary, *notes])


@callback(
    Output("jm-rules", "children"),
    Input("jm-segments", "options"),
)
def rule_suggestions(options):
    """'column = value' suggestions for a persona's rule, from the survey's segments."""
    return [
        html.Option(value=str(o["value"]).replace(_filters.SEPARATOR, " = ", 1))
        for o in options or []
        if not str(o["value"]).startswith(selections.PERSONA)  # a persona's own choice is no rule
    ]


# ------------------------------------------------------------------ lanes


@callback(
    Output("jm-lanes-modal", "is_open"),
    Output("jm-lanes-title", "children"),
    Output("jm-editing", "data"),
    *(Output(f"jm-l-{lane}", "value") for lane in jm.BUILT_IN_LANES),
    Output("jm-l-custom", "children"),
    Input({"type": "jm-tp", "key": ALL}, "n_clicks"),
    Input("jm-lanes-cancel", "n_clicks"),
    State("jm-journey", "value"),
    prevent_initial_call=True,
)
def open_lanes(clicks, _cancel, journey_id):
    """Open the lane editor for the touchpoint clicked."""
    fixed = len(jm.BUILT_IN_LANES)
    if ctx.triggered_id == "jm-lanes-cancel" or not any(clicks or []) or not journey_id:
        return False, no_update, None, *([no_update] * fixed), no_update
    key = ctx.triggered_id["key"]
    journey = editing.stored(workspace(), int(journey_id))
    if key not in {t.key for t in journey.touchpoints}:  # deleted in another tab meanwhile
        dash.set_props("jm-refresh", {"data": time.time_ns()})
        return False, no_update, None, *([no_update] * fixed), no_update
    values = feature.form_values(journey, key)
    custom = [
        html.Div(
            [
                dbc.Label(lane, className="small mb-0"),
                dbc.Textarea(
                    id={"type": "jm-l-custom", "lane": lane},
                    value=values[f"lane:{lane}"],
                    rows=2,
                    size="sm",
                    maxLength=jm.MAX_LANE_TEXT,
                ),
            ],
            className="mb-2",
        )
        for lane in journey.lanes
    ]
    return (
        True,
        journey.touchpoint(key).name,
        key,
        *(values[lane] for lane in jm.BUILT_IN_LANES),
        custom,
    )


@callback(
    Output("jm-refresh", "data", allow_duplicate=True),
    Output("jm-lanes-modal", "is_open", allow_duplicate=True),
    Input("jm-lanes-save", "n_clicks"),
    State("jm-editing", "data"),
    State("jm-journey", "value"),
    State("jm-version", "data"),
    *(State(f"jm-l-{lane}", "value") for lane in jm.BUILT_IN_LANES),
    State({"type": "jm-l-custom", "lane": ALL}, "value"),
    State({"type": "jm-l-custom", "lane": ALL}, "id"),
    prevent_initial_call=True,
)
def save_lanes(_clicks, key, journey_id, version, *typed):
    """Store the lanes typed for one touchpoint (one undoable edit)."""
    if not key or not journey_id:
        return no_update, False
    *fixed, custom_values, custom_ids = typed
    form = dict(zip(jm.BUILT_IN_LANES, fixed, strict=True))
    form |= {f"lane:{i['lane']}": v for i, v in zip(custom_ids, custom_values, strict=True)}
    token, message = _run(
        lambda: feature.save_lanes(workspace(), int(journey_id), version, key, form, author(None)), _("Lanes saved.")
    )
    dash.set_props("jm-message", message)
    return token, message["color"] == "danger"  # a refused edit keeps the dialog open with what was typed


@callback(
    Output("jm-refresh", "data", allow_duplicate=True),
    Output("jm-lane-name", "value"),
    Input("jm-lane-add", "n_clicks"),
    Input("jm-lane-name", "n_submit"),
    Input({"type": "jm-lane-delete", "lane": ALL}, "n_clicks"),
    State("jm-lane-name", "value"),
    State("jm-journey", "value"),
    State("jm-version", "data"),
    prevent_initial_call=True,
)
def edit_lanes(_add, _submit, deletes, name, journey_id, version):
    """Add a free lane, or remove one with what it holds."""
    if not journey_id:
        return no_update, no_update
    if isinstance(ctx.triggered_id, dict):
        if not (ctx.triggered and ctx.triggered[0]["value"]):  # the buttons redrawn, none clicked
            return no_update, no_update
        lane = ctx.triggered_id["lane"]
        token, message = _run(
            lambda: feature.delete_lane(workspace(), int(journey_id), version, lane, author(None)),
            _("Lane removed: {name}").format(name=lane),
        )
        dash.set_props("jm-message", message)
        return token, no_update
    if ctx.triggered_id not in ("jm-lane-add", "jm-lane-name"):  # the last lane's button gone: nothing was asked
        return no_update, no_update
    token, message = _run(
        lambda: feature.add_lane(workspace(), int(journey_id), version, name, author(None)), _("Lane added.")
    )
    dash.set_props("jm-message", message)
    return token, "" if message["color"] == "success" else no_update


@callback(
    Output("jm-message", "children", allow_duplicate=True),
    Input({"type": "jm-opportunity", "key": ALL, "index": ALL, "version": ALL}, "n_clicks"),
    State("jm-journey", "value"),
    State("jm-project", "value"),
    prevent_initial_call=True,
)
def opportunity_card(clicks, journey_id, project_id):
    """An action card in the backlog from the opportunity clicked."""
    if not any(clicks or []) or not journey_id or not project_id:
        return no_update
    found = ctx.triggered_id
    return _card(
        lambda: feature.opportunity_card(
            workspace(), int(project_id), int(journey_id), found["key"], found["index"], found["version"], author(None)
        )
    )


def _card(create) -> object:
    """Create an action card; the message that says so, with the way to the board (or why it was refused)."""
    try:
        card = create()
    except ConflictError as exc:  # the map changed since it was drawn: draw it again
        dash.set_props("jm-refresh", {"data": time.time_ns()})
        dash.set_props("jm-message", _message(str(exc), "warning"))
        return no_update
    except USER_ERRORS as exc:
        dash.set_props("jm-message", _message(str(exc), "danger"))
        return no_update
    dash.set_props("jm-message", {"color": "success", "is_open": True})
    return [
        _("Card created in the backlog: {title}").format(title=card.title) + " ",
        dcc.Link(_("Open the Actions board"), href="/actions"),
    ]


# ------------------------------------------------------------------ personas


@callback(
    Output("jm-refresh", "data", allow_duplicate=True),
    Output("jm-persona-name", "value"),
    Output("jm-persona-description", "value"),
    Output("jm-persona-rule", "value"),
    Output("jm-persona-key", "data"),
    Input("jm-persona-save", "n_clicks"),
    Input({"type": "jm-persona-edit", "key": ALL}, "n_clicks"),
    Input({"type": "jm-persona-delete", "key": ALL}, "n_clicks"),
    Input("jm-journey", "value"),
    State("jm-persona-name", "value"),
    State("jm-persona-description", "value"),
    State("jm-persona-rule", "value"),
    State("jm-persona-key", "data"),
    State("jm-version", "data"),
    prevent_initial_call=True,
)
def edit_personas(_save, _edits, _deletes, journey_id, name, description, rule, editing, version):
    """Save the persona typed (new, or the one being edited), fill the form to edit one, or remove one."""
    keep, cleared = (no_update,) * 4, ("", "", "", None)
    trigger = ctx.triggered_id
    if not journey_id or trigger == "jm-journey":  # another journey: the form starts empty
        return no_update, *cleared
    if isinstance(trigger, dict):
        if not (ctx.triggered and ctx.triggered[0]["value"]):  # the buttons redrawn, none clicked
            return no_update, *keep
        if trigger["type"] == "jm-persona-edit":
            journey = editing.stored(workspace(), int(journey_id))
            persona = next((p for p in journey.personas if p.key == trigger["key"]), None)
            if persona is None:
                return no_update, *keep
            return no_update, persona.name, persona.description, feature.rule_text(persona.segment), persona.key
        token, message = _run(
            lambda: feature.delete_persona(workspace(), int(journey_id), version, trigger["key"], author(None)),
            _("Persona removed."),
        )
        dash.set_props("jm-message", message)
        return token, *(cleared if trigger["key"] == editing else keep)
    if trigger != "jm-persona-save":
        return no_update, *keep
    token, message = _run(
        lambda: feature.save_persona(
            workspace(), int(journey_id), version, name, description, rule, editing, author(None)
        ),
        _("Persona saved."),
    )
    dash.set_props("jm-message", message)
    if message["color"] != "success":
        return token, *keep
    return token, *cleared


# ------------------------------------------------------------------ versions


@callback(
    Output("jm-refresh", "data", allow_duplicate=True),
    Input("jm-state", "value"),
    Input("jm-based-on", "value"),
    State("jm-journey", "value"),
    State("jm-version", "data"),
    prevent_initial_call=True,
)
def mark_version(state, based_on, journey_id, version):
    """Store the version's state and what a to-be was drawn from, when the user changed them."""
    if not journey_id or state is None:
        return no_update
    token, message = _run(
        lambda: feature.set_state(workspace(), int(journey_id), version, state, based_on, author(None)),
        _("The version is marked {state}.").format(state=STATES[state]),
    )
    if message is not None:  # None: marked so already (the page was drawn with it)
        dash.set_props("jm-message", message)
    return token


@callback(
    Output("jm-comparison", "children"),
    Input("jm-compare", "n_clicks"),
    Input("jm-journey", "value"),
    State("jm-project", "value"),
    prevent_initial_call=True,
)
def compare(_clicks, journey_id, project_id):
    """What this to-be version adds, removes and changes against the journey it was drawn from."""
    if ctx.triggered_id != "jm-compare" or not journey_id or not project_id:
        return ""
    rows = feature.comparison(workspace(), int(project_id), int(journey_id))
    if rows is None:
        return html.Span(_("Choose the journey this version was drawn from first."), className="text-muted")
    if not rows:
        return html.Span(_("No differences."), className="text-muted")
    return dbc.Table(
        [
            html.Thead(
                html.Tr([html.Th(_("Change")), html.Th(_("Touchpoint")), html.Th(_("What changed")), html.Th("")])
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(
                                html.Span(
                                    CHANGES[row.change],
                                    className=f"badge text-bg-{CHANGE_COLOURS.get(row.change, 'secondary')}",
                                )
                            ),
                            html.Td(row.what),
                            html.Td(row.detail),
                            html.Td(
                                html.Button(
                                    "→ " + _("card"),
                                    id={"type": "jm-change-card", "key": row.key},
                                    className="btn btn-link btn-sm p-0",
                                    title=_("Make an action card of this change"),
                                )
                                if row.change in ("added", "changed")
                                else ""
                            ),
                        ],
                        className=f"jm-{row.change.replace(' ', '-')}",
                    )
                    for row in rows
                ]
            ),
        ],
        size="sm",
        className="mb-0",
    )


@callback(
    Output("jm-message", "children", allow_duplicate=True),
    Input({"type": "jm-change-card", "key": ALL}, "n_clicks"),
    State("jm-journey", "value"),
    State("jm-project", "value"),
    prevent_initial_call=True,
)
def change_card(clicks, journey_id, project_id):
    """An action card in the backlog for the to-be change clicked."""
    if not any(clicks or []) or not journey_id or not project_id:
        return no_update
    key = ctx.triggered_id["key"]
    return _card(lambda: feature.change_card(workspace(), int(project_id), int(journey_id), key, author(None)))


@callback(
    Output("jm-journey", "options", allow_duplicate=True),
    Output("jm-journey", "value", allow_duplicate=True),
    Output("jm-tobe-name", "value"),
    Input("jm-tobe", "n_clicks"),
    State("jm-tobe-name", "value"),
    State("jm-journey", "value"),
    State("jm-project", "value"),
    prevent_initial_call=True,
)
def new_version(_clicks, name, journey_id, project_id):
    """A to-be copy of the journey, opened at once."""
    if not journey_id or not project_id:
        return no_update, no_update, no_update
    try:
        created = feature.new_version(workspace(), int(project_id), int(journey_id), name, author(None))
    except USER_ERRORS as exc:
        dash.set_props("jm-message", _message(str(exc), "danger"))
        return no_update, no_update, no_update
    options, _chosen = selections.journey_choices(workspace(), int(project_id))
    options = [{"label": c.label, "value": c.value} for c in options]
    dash.set_props("jm-message", _message(_("The to-be version is created.")))
    return options, created, ""
