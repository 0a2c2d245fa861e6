"""Alerts page: the inbox of red alerts (new → acknowledged → turned into an action → closed) and the rules."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages import _busy, _locale
from cxweb.pages._context import author, new_action_href, workspace
from cxweb.pages._filters import group
from cxweb.pages._pickers import journey_options, project_picker, user_box
from workbench.core import formatting, i18n, metrics
from workbench.core.alerting import KIND_NAMES, KINDS, STATUS_NAMES
from workbench.core.errors import ConflictError, WorkspaceError
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _
from workbench.core.metrics import NAMES as METRIC_NAMES
from workbench.features import alerts

dash.register_page(
    __name__,
    path="/alerts",
    name=N_("Alerts"),
    order=6,
    icon="fa-bell",
    badge="nav-alerts-count",
    title=lambda **_path: _("Alerts · CX Journey Workbench"),
)

OPEN = "open"
SHOWN = i18n.Labels(
    {
        OPEN: N_("Open alerts"),
        "overdue": N_("Overdue cases"),
        "new": N_("New"),
        "acknowledged": N_("Acknowledged"),
        "action": N_("Turned into an action"),
        "closed": N_("Closed"),
        "all": N_("All"),
    }
)
STATUS_COLOURS = {"new": "danger", "acknowledged": "warning", "action": "primary", "closed": "secondary"}
ALERT_METRICS = metrics.RATINGS
BUTTON_NAMES = i18n.Labels({"acknowledged": N_("Acknowledge"), "closed": N_("Close"), "new": N_("Reopen")})
ANY = "__any__"


def layout(**_params) -> html.Div:
    """Project and journey, the inbox with its status filter, and the rules."""

    return html.Div(
        [
            dcc.Store(id="al-refresh", data=0),
            dcc.Store(id="al-rules-version"),
            html.Div(
                [
                    group(_("Project"), project_picker("al-project", persistence=True, persistence_type="session")),
                    group(_("Journey"), dbc.Select(id="al-journey", options=[])),
                    group(
                        _("You are"),
                        user_box("al-user"),
                        "15rem",
                    ),
                    dbc.Button(
                        [html.I(className="fa-solid fa-rotate me-1"), _("Check now")],
                        id="al-check",
                        size="sm",
                        color="primary",
                        outline=True,
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            html.Div(
                [
                    dbc.RadioItems(
                        id="al-status",
                        value=OPEN,
                        inline=True,
                        className="btn-group btn-group-sm cx-metric",
                        inputClassName="btn-check",
                        labelClassName="btn btn-outline-secondary",
                        labelCheckedClassName="active",
                        options=[{"label": label, "value": value} for value, label in SHOWN.items()],
                    ),
                    group(
                        _("Kind"),
                        dbc.Select(
                            id="al-kind",
                            value=ANY,
                            options=[
                                {"label": _("all"), "value": ANY},
                                {"label": _("trends (drops and shares)"), "value": "trend"},
                                {"label": _("single answers"), "value": "answer"},
                            ],
                        ),
                        "16rem",
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            dbc.Alert(id="al-message", is_open=False, dismissable=True, color="info", className="py-2 small"),
            dbc.Alert(id="al-wave", is_open=False, color="secondary", className="py-2 small"),
            _busy.busy(html.Div(id="al-inbox"), delay_show=300),
            html.H5(_("Rules"), className="mt-4"),
            html.P(
                _(
                    "Rules run after every survey import and when you press Check now. Weekly windows end on "
                    "Sundays; an episode that goes on for several weeks stays one alert."
                ),
                className="small text-muted",
            ),
            html.Div(id="al-rules"),
            _budget_form(),
            _rule_form(),
        ]
    )


def _budget_form() -> html.Div:
    """What the drop rules may cost in false alarms a year, and the box that sets it for all of them."""
    return html.Div(
        [
            html.P(id="al-budget", className="small mb-1"),
            html.Div(
                [
                    group(
                        _("False alarms a year, all drop rules"),
                        _locale.decimal_input("al-budget-total", size="sm"),
                        "20rem",
                    ),
                    dbc.Button(_("Set"), id="al-budget-set", size="sm", color="secondary", outline=True),
                ],
                className="d-flex flex-wrap align-items-center gap-2",
            ),
        ],
        id="al-budget-box",
        className="mb-2",
    )


def _rule_form() -> dbc.Card:
    def field(label: str, control, width: int = 2) -> dbc.Col:
        return dbc.Col([dbc.Label(label, className="small mb-0"), control], md=width)

    return dbc.Card(
        dbc.CardBody(
            [
                html.B(_("Add a rule"), className="small"),
                dbc.Row(
                    [
                        field(_("Name"), dbc.Input(id="al-rule-name", size="sm"), 3),
                        field(
                            _("Condition"),
                            dbc.Select(
                                id="al-rule-kind",
                                value="share",
                                size="sm",
                                options=[{"label": KIND_NAMES[k], "value": k} for k in KINDS],
                            ),
                            3,
                        ),
                        field(
                            _("Metric"),
                            dbc.Select(
                                id="al-rule-metric",
                                value="csat",
                                size="sm",
                                options=[{"label": METRIC_NAMES[m], "value": m} for m in ALERT_METRICS],
                            ),
                        ),
                        field(
                            _("Touchpoint"), dbc.Select(id="al-rule-touchpoint", value=ANY, size="sm", options=[]), 2
                        ),
                        field(_("Per segment"), dbc.Select(id="al-rule-segment", value="", size="sm", options=[]), 2),
                    ],
                    className="g-2",
                ),
                dbc.Row(
                    [
                        field(
                            _("Threshold"),
                            _locale.decimal_input("al-rule-threshold", size="sm", placeholder=_("default")),
                        ),
                        field(
                            _("Window (weeks)"), dbc.Input(id="al-rule-weeks", type="number", min=1, value=4, size="sm")
                        ),
                        field(_("Minimum n"), dbc.Input(id="al-rule-min-n", type="number", min=1, value=30, size="sm")),
                        dbc.Col(
                            dbc.Button(_("Add rule"), id="al-rule-add", size="sm", color="primary"),
                            md=2,
                            className="d-flex align-items-end",
                        ),
                    ],
                    className="g-2 mt-1",
                ),
                html.Div(
                    _(
                        "Threshold: for a single answer, the highest score that counts as unhappy (NPS 6, CSAT 2, "
                        "CES 3 by default); for a share, the share of unhappy answers (0–1) above which it fires; for a "
                        "drop, the smallest drop that matters (NPS 10 points, CSAT/CES 0.3)."
                    ),
                    className="small text-muted mt-1",
                ),
            ]
        ),
        id="al-rule-form",
        className="mt-2",
    )


@callback(
    Output("al-journey", "options"),
    Output("al-journey", "value"),
    Input("al-project", "value"),
    State("al-journey", "value"),
)
def choose_project(project_id, current):
    """The project's journeys (the first chosen unless one already is)."""
    return journey_options(project_id, current)


@callback(
    Output("al-refresh", "data"),
    Output("al-message", "children"),
    Output("al-message", "is_open"),
    Input("al-check", "n_clicks"),
    State("al-journey", "value"),
    State("al-user", "value"),
    State("al-refresh", "data"),
    prevent_initial_call=True,
)
def check(_clicks, journey_id, user, refresh):
    """Run the journey's rules on its latest survey now."""
    if not journey_id:
        return no_update, no_update, no_update
    checked = alerts.check(workspace(), int(journey_id), who=author(user))
    done = (
        ngettext("Checked: {n} new alert.", "Checked: {n} new alerts.", checked.added).format(
            n=formatting.count(checked.added)
        )
        if checked.added
        else _("Checked: nothing new.")
    )
    skipped = " ".join(
        _("Rule “{rule}” did not run: {why}.").format(rule=rule, why=why) for rule, why in checked.skipped.items()
    )
    return (refresh or 0) + 1, f"{done} {skipped}".strip(), True


@callback(
    Output("al-wave", "children"),
    Output("al-wave", "is_open"),
    Input("al-journey", "value"),
    Input("al-refresh", "data"),
    State("al-project", "value"),
)
def show_wave(journey_id, _refresh, project_id):
    """A survey that is one wave without dates has no trend to watch: said once, above the inbox."""
    note = alerts.wave_note(workspace(), int(project_id), int(journey_id)) if project_id and journey_id else None
    return (note, True) if note else ("", False)


@callback(
    Output("al-inbox", "children"),
    Input("al-project", "value"),
    Input("al-journey", "value"),
    Input("al-status", "value"),
    Input("al-kind", "value"),
    Input("al-refresh", "data"),
)
def show_inbox(project_id, journey_id, status, kind, _refresh):
    """The alerts in the chosen status, newest first, each with what can be done next."""
    if not (project_id and journey_id):
        return html.P(_("Choose a journey."), className="text-muted")
    shown = alerts.inbox(workspace(), int(project_id), int(journey_id), status, kind)
    if not shown.rows:
        return html.P(_("No alerts here."), className="text-muted")
    header = html.Thead(
        html.Tr(
            [
                html.Th(_("Status")),
                html.Th(_("When")),
                html.Th(_("Touchpoint")),
                html.Th(_("What happened")),
                html.Th(_("Owner")),
                html.Th(""),
            ]
        )
    )
    rows = [_inbox_row(row, int(journey_id)) for row in shown.rows]
    more = (
        html.P(
            _("Showing the newest {shown} of {total}.").format(
                shown=formatting.count(len(shown.rows)), total=formatting.count(shown.total)
            ),
            className="small text-muted",
        )
        if shown.total > len(shown.rows)
        else ""
    )
    return html.Div(
        [
            html.Div(
                dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, className="small mb-1", id="al-table"),
                className="hm-scroll",
            ),
            more,
        ]
    )


def _inbox_row(row: alerts.Row, journey_id: int) -> html.Tr:
    item = row.item
    buttons = [
        dbc.Button(
            BUTTON_NAMES[status],
            id={"type": "al-set", "alert": item.id, "status": status, "version": item.version},
            size="sm",
            color="secondary",
            outline=True,
            className="py-0 me-1",
        )
        for status in row.moves
    ]
    if row.draft is not None:
        buttons.append(
            dcc.Link(_("+ action"), href=new_action_href(row.draft, journey_id), className="small al-action")
        )
    elif item.action_id:
        buttons.append(
            dcc.Link(
                _("card #{id}").format(id=item.action_id), href=f"/actions?card={item.action_id}", className="small"
            )
        )
    return html.Tr(
        [
            html.Td(dbc.Badge(STATUS_NAMES[item.status], color=STATUS_COLOURS[item.status])),
            html.Td(
                [
                    html.Div(row.when),
                    html.Div(
                        [row.due, *([" ", dbc.Badge(_("overdue: escalated"), color="danger")] if row.overdue else [])],
                        className="small text-muted al-due",
                    )
                    if row.due
                    else "",
                ],
                className="text-nowrap",
            ),
            html.Td(row.where),
            html.Td(html.Div(item.alert.message, className="hm-comment")),
            html.Td(item.owner),
            html.Td(buttons, className="text-nowrap"),
        ],
        id={"type": "al-row", "alert": item.id},
    )


@callback(
    Output("al-refresh", "data", allow_duplicate=True),
    Output("al-message", "children", allow_duplicate=True),
    Output("al-message", "is_open", allow_duplicate=True),
    Input({"type": "al-set", "alert": ALL, "status": ALL, "version": ALL}, "n_clicks"),
    State("al-user", "value"),
    State("al-refresh", "data"),
    prevent_initial_call=True,
)
def set_status(clicks, user, refresh):
    """Acknowledge, close or reopen the alert whose button was pressed."""
    if not ctx.triggered_id or not any(clicks):
        return no_update, no_update, no_update
    pressed = ctx.triggered_id
    try:
        alerts.set_status(
            workspace(),
            int(pressed["alert"]),
            pressed["status"],
            author(user),
            expected_version=int(pressed["version"]),
        )
    except WorkspaceError as error:
        return (refresh or 0) + 1, str(error), True
    return (refresh or 0) + 1, "", False


# ------------------------------------------------------------------ rules


@callback(
    Output("al-rules", "children"),
    Output("al-rule-touchpoint", "options"),
    Output("al-rule-segment", "options"),
    Output("al-budget", "children"),
    Output("al-budget-total", "value"),
    Output("al-budget-box", "style"),
    Output("al-rules-version", "data"),
    Input("al-journey", "value"),
    Input("al-refresh", "data"),
    State("al-project", "value"),
)
def show_rules(journey_id, _refresh, project_id):
    """The journey's rules in words, each with a switch and a delete button, and the drop rules' false-alarm
    budget."""
    if not journey_id:
        return "", [], [], "", None, {"display": "none"}, None
    shown = alerts.rules_view(workspace(), int(project_id) if project_id else None, int(journey_id))
    rows = [
        html.Tr(
            [
                html.Td(
                    dbc.Switch(
                        id={"type": "al-rule-on", "rule": rule.key, "version": shown.version},
                        value=rule.enabled,
                        className="mb-0",
                    )
                ),
                html.Td(html.B(rule.name)),
                html.Td(description),
                html.Td(
                    dbc.Button(
                        _("Delete"),
                        id={"type": "al-rule-delete", "rule": rule.key, "version": shown.version},
                        size="sm",
                        color="danger",
                        outline=True,
                        className="py-0",
                    )
                ),
            ]
        )
        for rule, description in shown.rules
    ]
    table = (
        dbc.Table(html.Tbody(rows), size="sm", className="small", id="al-rule-table")
        if rows
        else html.P(_("No rules: nothing will raise an alert."), className="text-muted small")
    )
    return (
        table,
        [{"label": _("every touchpoint"), "value": ANY}]
        + [{"label": name, "value": key} for key, name in shown.touchpoints.items()],
        [{"label": _("all answers together"), "value": ""}] + [{"label": c, "value": c} for c in shown.segments],
        shown.budget_note or "",
        formatting.editable(shown.budget or None),
        {} if shown.budget_note else {"display": "none"},
        shown.version,
    )


@callback(
    Output("al-refresh", "data", allow_duplicate=True),
    Output("al-message", "children", allow_duplicate=True),
    Output("al-message", "is_open", allow_duplicate=True),
    Output("al-message", "color", allow_duplicate=True),
    Input("al-budget-set", "n_clicks"),
    State("al-journey", "value"),
    State("al-budget-total", "value"),
    State("al-rules-version", "data"),
    State("al-refresh", "data"),
    prevent_initial_call=True,
)
def set_budget(_clicks, journey_id, total, version, refresh):
    """Spread the false alarms a year typed over the journey's drop rules."""
    if not journey_id or version is None:
        return no_update, no_update, no_update, no_update
    try:
        total = _locale.read_decimal(total)
        alerts.set_budget(workspace(), int(journey_id), total, expected_version=int(version))
    except ConflictError as error:
        return (refresh or 0) + 1, str(error), True, "warning"
    except (WorkspaceError, ValueError) as error:  # ValueError: what was typed is not a number
        return no_update, str(error), True, "danger"
    return (refresh or 0) + 1, _("Budget saved; press Check now to run the rules with it."), True, "info"


@callback(
    Output("al-refresh", "data", allow_duplicate=True),
    Output("al-message", "children", allow_duplicate=True),
    Output("al-message", "is_open", allow_duplicate=True),
    Output("al-message", "color"),
    Input("al-rule-add", "n_clicks"),
    Input({"type": "al-rule-on", "rule": ALL, "version": ALL}, "value"),
    Input({"type": "al-rule-delete", "rule": ALL, "version": ALL}, "n_clicks"),
    State("al-journey", "value"),
    State("al-rule-name", "value"),
    State("al-rule-kind", "value"),
    State("al-rule-metric", "value"),
    State("al-rule-touchpoint", "value"),
    State("al-rule-segment", "value"),
    State("al-rule-threshold", "value"),
    State("al-rule-weeks", "value"),
    State("al-rule-min-n", "value"),
    State("al-refresh", "data"),
    prevent_initial_call=True,
)
def change_rules(
    _add, switches, deletes, journey_id, name, kind, metric, touchpoint, segment, threshold, weeks, min_n, refresh
):
    """Add a rule, switch one on or off, or delete one; saved at once."""
    trigger = ctx.triggered_id
    if (
        not journey_id
        or trigger is None
        or (trigger != "al-rule-add" and not ctx.triggered[0]["value"] and trigger.get("type") == "al-rule-delete")
    ):
        return no_update, no_update, no_update, no_update
    ws, journey_id = workspace(), int(journey_id)
    try:
        if trigger == "al-rule-add":
            alerts.add_rule(
                ws,
                journey_id,
                kind=kind,
                metric=metric,
                name=name or "",
                touchpoint=None if touchpoint in (None, ANY) else touchpoint,
                segment=segment or "",
                threshold=_locale.read_decimal(threshold),
                window_weeks=weeks,
                min_n=min_n,
            )
        elif trigger["type"] == "al-rule-delete":
            alerts.delete_rule(ws, journey_id, trigger["rule"], expected_version=trigger["version"])
        elif (
            alerts.switch_rule(
                ws, journey_id, trigger["rule"], bool(ctx.triggered[0]["value"]), expected_version=trigger["version"]
            )
            is None
        ):
            return no_update, no_update, no_update, no_update
    except ConflictError as error:
        return (refresh or 0) + 1, str(error), True, "warning"
    except (WorkspaceError, ValueError) as error:  # ValueError: the typed threshold is not a number
        return no_update, str(error), True, "danger"
    return (refresh or 0) + 1, _("Rules saved; press Check now to run them."), True, "info"


@callback(Output("nav-alerts-count", "children"), Input("app-url", "pathname"), Input("nav-alerts-poll", "n_intervals"))
def count_new(_path, _ticks):
    """How many new alerts wait in the workspace, for the badge in the navigation bar."""
    new = alerts.new_count(workspace())
    return str(new) if new else ""
