"""Users page (team servers): an administrator lists the people who log in, adds one, gives one a new password,
disables or enables one. The rules are the feature layer's (``workbench.features.users``); this page only asks."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages._context import current_user, workspace
from workbench.core import formatting
from workbench.core.access import ROLES
from workbench.core.errors import WorkspaceError
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _
from workbench.features import users

NONE = "__none__"  # the role select's "no access"

dash.register_page(
    __name__,
    path="/users",
    name=N_("Users"),
    order=10,
    icon="fa-users",
    admins_only=True,  # listed in the bar for a team server's administrators alone (cxweb.app.nav_links)
    title=lambda **_path: _("Users · CX Journey Workbench"),
)


def layout(**_query) -> html.Div:
    """The users' table and the forms to add, renew, disable and enable; a sentence instead for anyone else."""
    user = current_user()
    if user is None:
        return _notice(_("This workbench runs for one person: users log in to a team server (cxwb serve --team)."))
    if not user.admin:
        return _notice(_("Only an administrator of this team server manages its users."))
    password = {"type": "password", "autoComplete": "new-password", "maxLength": 256}
    return html.Div(
        [
            dcc.Download(id="us-invitations-file"),
            dbc.Alert(id="us-message", is_open=False, className="mt-2"),
            dbc.Row(
                [
                    dbc.Col([html.H5(_("Users")), html.Div(id="us-table", children=_table())], lg=6),
                    dbc.Col(
                        [
                            html.H5(_("Add a user")),
                            dbc.Input(id="us-name", placeholder=_("login name"), maxLength=64, className="mb-2"),
                            dbc.Input(
                                id="us-display", placeholder=_("name in the history"), maxLength=200, className="mb-2"
                            ),
                            dbc.Input(id="us-password", placeholder=_("password"), className="mb-2", **password),
                            dbc.Input(id="us-again", placeholder=_("the same again"), className="mb-2", **password),
                            dbc.Checkbox(id="us-admin", label=_("administrator (manages users)"), value=False),
                            dbc.Button(_("Add"), id="us-add", color="primary", className="mt-2"),
                            html.H5(_("Change a user"), className="mt-4"),
                            dbc.Select(id="us-who", options=_options(), className="mb-2"),
                            dbc.Input(id="us-new", placeholder=_("new password"), className="mb-2", **password),
                            dbc.Input(id="us-new-again", placeholder=_("the same again"), className="mb-2", **password),
                            dbc.ButtonGroup(
                                [
                                    dbc.Button(_("Set the new password"), id="us-reset", color="secondary"),
                                    dbc.Button(_("Disable"), id="us-disable", color="danger", outline=True),
                                    dbc.Button(_("Enable"), id="us-enable", color="success", outline=True),
                                ]
                            ),
                            html.H6(_("Role in a project"), className="mt-3"),
                            dbc.InputGroup(
                                [
                                    dbc.Select(
                                        id="us-project",
                                        options=[{"label": p.name, "value": p.id} for p in workspace().projects()],
                                    ),
                                    dbc.Select(
                                        id="us-role",
                                        value="viewer",
                                        options=[
                                            *({"label": _(label), "value": key} for key, label in ROLES.items()),
                                            {"label": _("no access"), "value": NONE},
                                        ],
                                    ),
                                    dbc.Button(_("Set the role"), id="us-grant", color="secondary"),
                                ]
                            ),
                            dbc.Input(
                                id="us-segments",
                                placeholder=_("only these rows: branch=Brno, Jihlava; region=Morava"),
                                maxLength=2000,
                                className="mt-2",
                            ),
                            dbc.Input(
                                id="us-owners",
                                placeholder=_("only these owners' touchpoints: Contact centre; Couriers"),
                                maxLength=2000,
                                className="mt-2",
                            ),
                            html.Div(
                                _(
                                    "A viewer reads the project; an analyst changes it too. Administrators see and "
                                    "change every project; other users see only their projects. A viewer given "
                                    "segment values or owners sees only those answers (a branch, a partner, a "
                                    "department) on every page and export, and only their alerts and cards."
                                ),
                                className="form-text",
                            ),
                        ],
                        lg=4,
                    ),
                ]
            ),
            dbc.Row(
                [dbc.Col(_portal_form(), lg=4), dbc.Col(html.Div(id="us-invitations"), lg=6)], className="mt-4 mb-4"
            ),
        ]
    )


@callback(
    Output("us-message", "children"),
    Output("us-message", "color"),
    Output("us-message", "is_open"),
    Output("us-table", "children"),
    Output("us-who", "options"),
    Output("us-password", "value"),
    Output("us-again", "value"),
    Output("us-new", "value"),
    Output("us-new-again", "value"),
    Input("us-add", "n_clicks"),
    Input("us-reset", "n_clicks"),
    Input("us-disable", "n_clicks"),
    Input("us-enable", "n_clicks"),
    Input("us-grant", "n_clicks"),
    State("us-name", "value"),
    State("us-display", "value"),
    State("us-admin", "value"),
    State("us-password", "value"),
    State("us-again", "value"),
    State("us-who", "value"),
    State("us-new", "value"),
    State("us-new-again", "value"),
    State("us-project", "value"),
    State("us-role", "value"),
    State("us-segments", "value"),
    State("us-owners", "value"),
    prevent_initial_call=True,
)
def change(_add, _reset, _disable, _enable, _grant, name, display, admin, password, again, who, new, new_again,
           project, role, segments, owners):  # fmt: skip
    """Carry out the button pressed; say what was done or why not. Typed passwords are cleared either way."""
    ws, actor, pressed = workspace(), current_user(), ctx.triggered_id
    cleared = ("", "", "", "")
    try:
        if pressed == "us-add":
            done = users.add(ws, actor, name or "", display or "", bool(admin), password or "", again or "")
            message = _("Added {name}.").format(name=done.name)
        elif not who:
            raise WorkspaceError(_("Choose a user first."))
        elif pressed == "us-grant":
            if not project:
                raise WorkspaceError(_("Choose a project first."))
            users.set_role(ws, actor, who, int(project), None if role == NONE else role, segments or "", owners or "")
            message = _("Roles of {name} saved.").format(name=who)
        elif pressed == "us-reset":
            done = users.reset(ws, actor, who, new or "", new_again or "")
            message = _("{name} has a new password; their sessions have ended.").format(name=done.name)
        else:
            done = users.set_disabled(ws, actor, who, pressed == "us-disable")
            message = (_("{name} is disabled.") if done.disabled else _("{name} may log in.")).format(name=done.name)
    except WorkspaceError as refused:
        return str(refused), "danger", True, no_update, no_update, *cleared
    return message, "success", True, _table(), _options(), *cleared


def _portal_form() -> list:
    """Partner portals: which segment column's values are partners, and their logins made in one go."""
    return [
        html.H5(_("Partner portals")),
        dbc.Select(
            id="us-portal-project",
            options=[{"label": p.name, "value": p.id} for p in workspace().projects()],
            className="mb-2",
        ),
        dbc.InputGroup(
            [
                dbc.InputGroupText(_("Partners are the values of")),
                dbc.Select(id="us-portal-column", options=[]),
                dbc.Button(_("Save"), id="us-portal-save", color="secondary"),
            ],
            className="mb-2",
        ),
        dcc.Dropdown(id="us-portal-partners", multi=True, options=[], placeholder=_("partners to invite")),
        dbc.ButtonGroup(
            [
                dbc.Button(_("Invite the chosen"), id="us-invite", color="primary"),
                dbc.Button(
                    _("Invite every partner without a login"), id="us-invite-all", color="primary", outline=True
                ),
            ],
            className="mt-2",
        ),
        html.Div(id="us-portal-status", className="form-text"),
    ]


@callback(
    Output("us-portal-column", "options"),
    Output("us-portal-column", "value"),
    Output("us-portal-partners", "options"),
    Output("us-portal-status", "children"),
    Input("us-portal-project", "value"),
    Input("us-message", "children"),
)
def show_portals(project, _message):
    """The chosen project's portal column, the partners without a login, and how many have one."""
    if not project:
        return [], None, [], _("Choose a project to give its partners portals.")
    try:
        found = users.portals(workspace(), current_user(), int(project))
    except WorkspaceError as refused:
        return [], None, [], str(refused)
    columns = [{"label": _("nobody (no portals)"), "value": ""}] + [{"label": c, "value": c} for c in found.columns]
    waiting = [{"label": p, "value": p} for p in found.partners if p not in found.logins]
    status = (
        _("{with_login} of {partners} partners have a portal login.").format(
            with_login=formatting.count(len([p for p in found.partners if p in found.logins])),
            partners=formatting.count(len(found.partners)),
        )
        if found.column
        else _("No portals: choose the column whose values are partners (a partner, a branch, a dealer).")
    )
    return columns, found.column or "", waiting, status


@callback(
    Output("us-message", "children", allow_duplicate=True),
    Output("us-message", "color", allow_duplicate=True),
    Output("us-message", "is_open", allow_duplicate=True),
    Output("us-table", "children", allow_duplicate=True),
    Output("us-invitations", "children"),
    Output("us-invitations-file", "data"),
    Input("us-portal-save", "n_clicks"),
    Input("us-invite", "n_clicks"),
    Input("us-invite-all", "n_clicks"),
    State("us-portal-project", "value"),
    State("us-portal-column", "value"),
    State("us-portal-partners", "value"),
    prevent_initial_call=True,
)
def change_portals(_save, _invite, _all, project, column, chosen):
    """Save the portal column, or make logins for the chosen partners (or all without one): their first passwords
    shown once here and downloaded as a CSV file to hand over."""
    ws, actor, pressed = workspace(), current_user(), ctx.triggered_id
    try:
        if not project:
            raise WorkspaceError(_("Choose a project first."))
        if pressed == "us-portal-save":
            users.set_portal(ws, actor, int(project), column or None)
            return _("Portals saved."), "success", True, _table(), "", no_update
        if pressed == "us-invite-all":
            found = users.portals(ws, actor, int(project))
            chosen = [p for p in found.partners if p not in found.logins]
        made = users.invite(ws, actor, int(project), list(chosen or []))
    except WorkspaceError as refused:
        return str(refused), "danger", True, no_update, "", no_update
    if not made:
        return _("Every chosen partner has a login already."), "info", True, no_update, "", no_update
    message = ngettext(
        "{n} portal login made: hand the partner their login and first password.",
        "{n} portal logins made: hand each partner their login and first password.",
        len(made),
    ).format(n=formatting.count(len(made)))
    shown = dbc.Table(
        [
            html.Thead(html.Tr([html.Th(_("Partner")), html.Th(_("Login")), html.Th(_("First password"))])),
            html.Tbody([html.Tr([html.Td(i.partner), html.Td(i.name), html.Td(i.password)]) for i in made]),
        ],
        id="us-invited",
        size="sm",
        className="small",
    )
    download = dcc.send_bytes(_invitations_csv(made), _("portal-logins.csv"))
    return message, "success", True, _table(), shown, download


def _invitations_csv(made: list[users.Invitation]) -> bytes:
    """The new logins as CSV to hand over (formula-safe: a partner's name is data, never a formula)."""
    import pandas as pd

    from workbench.export.tables import to_csv

    columns = {_("partner"): [i.partner for i in made], _("login"): [i.name for i in made]}
    return to_csv(pd.DataFrame({**columns, _("first password"): [i.password for i in made]}))


def _table() -> dbc.Table:
    """Every user with their roles and state (text only: names are shown as typed, never as HTML)."""
    ws, actor = workspace(), current_user()
    names = {p.id: p.name for p in ws.projects()}
    rows = [
        html.Tr(
            [
                html.Td(user.name),
                html.Td(user.shown),
                html.Td(
                    _("administrator: every project")
                    if user.admin
                    else "; ".join(
                        f"{names.get(project, project)} ({_(ROLES[role])}"
                        + (f": {scopes[project].describe()})" if project in scopes else ")")
                        for project, role in sorted(roles.items(), key=lambda item: str(names.get(item[0])))
                    )
                ),
                html.Td(_("disabled") if user.disabled else _("may log in")),
            ]
        )
        for user, roles, scopes in users.members(ws, actor)
    ]
    head = html.Thead(
        html.Tr([html.Th(_("Login")), html.Th(_("Name")), html.Th(_("Projects and roles")), html.Th(_("State"))])
    )
    return dbc.Table([head, html.Tbody(rows)], id="us-users", size="sm", striped=True)


def _options() -> list[dict]:
    return [
        {"label": f"{user.name} ({user.shown})", "value": user.name}
        for user in users.listing(workspace(), current_user())
    ]


def _notice(sentence: str) -> html.Div:
    return html.Div(dbc.Alert(sentence, color="info", className="mt-3"), id="us-notice")
