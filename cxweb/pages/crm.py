"""CRM lists page: customer rules (lists for the CRM, churn-risk and opportunity tasks), their thresholds, a run
with its count, preview, chance count and back-test, the list's files, and the cards a task rule created."""

from __future__ import annotations

import datetime

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages import _busy, _locale
from cxweb.pages._context import author, workspace
from cxweb.pages._filters import group
from cxweb.pages._pickers import project_picker, user_box
from workbench.core import customerrules, formatting, metrics
from workbench.core.customerrules import Rule
from workbench.core.errors import WorkspaceError
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.export import tables
from workbench.features import crm

dash.register_page(
    __name__,
    path="/crm",
    name=N_("CRM lists"),
    order=7.5,
    group="customers",  # one menu of the navigation bar (cxweb.app.NAV_GROUPS)
    icon="fa-address-book",
    title=lambda **_path: _("CRM lists · CX Journey Workbench"),
)

FORMATS = ("csv", "xlsx", "json")


def layout(**_params) -> html.Div:
    """Project, the rule chosen (saved or a preset) with its conditions, run and save, the result and files."""
    return html.Div(
        [
            dcc.Store(id="crm-chosen", data={}),
            dcc.Download(id="crm-download"),
            html.Div(
                [
                    group(_("Project"), project_picker("crm-project", persistence=True, persistence_type="session")),
                    group(_("Rule"), dbc.Select(id="crm-rule", options=[]), "30rem"),
                    group(_("You are"), user_box("crm-user"), "15rem"),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            _form(),
            html.Div(
                [
                    dbc.Button(
                        [html.I(className="fa-solid fa-play me-1"), _("Run now")],
                        id="crm-run",
                        size="sm",
                        color="primary",
                    ),
                    dbc.Button(_("Save"), id="crm-save", size="sm", color="secondary", outline=True),
                    dbc.Button(_("Save as a new rule"), id="crm-save-new", size="sm", color="secondary", outline=True),
                    dbc.Button(_("Delete"), id="crm-delete", size="sm", color="danger", outline=True),
                    html.Span(_("Download the list:"), className="small ms-3"),
                    *(
                        dbc.Button(kind.upper(), id=f"crm-{kind}", size="sm", color="secondary", outline=True)
                        for kind in FORMATS
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 my-2",
            ),
            dbc.Alert(id="crm-message", is_open=False, dismissable=True, color="info", className="py-2 small"),
            _busy.busy(html.Div(id="crm-result"), delay_show=300),
        ]
    )


def _form() -> dbc.Card:
    def field(label: str, control, width: int = 2) -> dbc.Col:
        return dbc.Col([dbc.Label(label, className="small mb-0"), control], md=width)

    return dbc.Card(
        dbc.CardBody(
            [
                dbc.Row(
                    [
                        field(_("Name"), dbc.Input(id="crm-name", size="sm"), 4),
                        field(
                            _("Kind"),
                            dbc.Select(
                                id="crm-kind",
                                value="list",
                                size="sm",
                                options=[{"label": label, "value": k} for k, label in customerrules.KINDS.items()],
                            ),
                        ),
                        field(
                            _("Metric"),
                            dbc.Select(
                                id="crm-metric",
                                value="nps",
                                size="sm",
                                options=[{"label": metrics.NAMES[m], "value": m} for m in metrics.SCALES],
                            ),
                        ),
                        field(
                            _("Last days (0: any date)"),
                            dbc.Input(id="crm-days", type="number", min=0, max=customerrules.MAX_DAYS, size="sm"),
                        ),
                        field(
                            _("Fell by at least (points)"),
                            _locale.decimal_input("crm-drop", size="sm", placeholder=_("no condition")),
                        ),
                    ],
                    className="g-2",
                ),
                dbc.Row(
                    [
                        field(
                            _("Latest answer's group"),
                            dbc.Checklist(id="crm-groups", options=[], value=[], inline=True, className="small"),
                            4,
                        ),
                        field(
                            _("KPI conditions, one a line"),
                            dbc.Textarea(id="crm-thresholds", rows=2, size="sm", placeholder=_("revenue >= 100000")),
                            3,
                        ),
                        field(
                            _("Segment conditions, one a line"),
                            dbc.Textarea(id="crm-segments", rows=2, size="sm", placeholder=_("region = North, South")),
                            3,
                        ),
                        field(_("Owner column (tasks)"), dbc.Input(id="crm-owner", size="sm", list="crm-columns")),
                    ],
                    className="g-2 mt-1",
                ),
                html.Datalist(id="crm-columns", children=[]),
                html.Div(id="crm-last-run", className="small mt-1"),
                html.Div(id="crm-columns-note", className="small text-muted mt-1"),
            ]
        ),
        className="mb-2",
    )


@callback(
    Output("crm-rule", "options"),
    Output("crm-rule", "value"),
    Output("crm-columns", "children"),
    Output("crm-columns-note", "children"),
    Input("crm-project", "value"),
    Input("crm-message", "children"),
    State("crm-rule", "value"),
)
def choose_project(project_id, _message, current):
    """The project's saved rules and the presets (the one chosen kept), and the columns a rule may name."""
    if not project_id:
        return [], None, [], ""
    found = crm.choices(workspace(), int(project_id))
    values = [c.value for c in found]
    named = crm.rule_columns(workspace(), int(project_id))
    note = _("KPI columns: {kpis}. Segment columns: {segments}.").format(
        kpis=", ".join(named["kpi"]) or "–", segments=", ".join(named["segment"]) or "–"
    )
    return (
        [{"label": c.label, "value": c.value} for c in found],
        current if current in values else (values[0] if values else None),
        [html.Option(value=c) for c in named["owner"]],
        note,
    )


@callback(
    Output("crm-name", "value"),
    Output("crm-kind", "value"),
    Output("crm-metric", "value"),
    Output("crm-days", "value"),
    Output("crm-drop", "value"),
    Output("crm-groups", "value"),
    Output("crm-thresholds", "value"),
    Output("crm-segments", "value"),
    Output("crm-owner", "value"),
    Output("crm-chosen", "data"),
    Output("crm-last-run", "children"),
    Input("crm-rule", "value"),
    State("crm-project", "value"),
)
def load_rule(value, project_id):
    """Fill the form with the chosen rule; say when a saved rule last ran."""
    if not (value and project_id):
        return (no_update,) * 11
    found = next((c for c in crm.choices(workspace(), int(project_id)) if c.value == value), None)
    if found is None:
        return (no_update,) * 11
    rule = found.rule
    return (
        rule.name,
        rule.kind,
        rule.metric,
        rule.days,
        formatting.editable(rule.drop),
        list(rule.groups),
        customerrules.thresholds_text(rule),
        customerrules.segments_text(rule),
        rule.owner_column,
        {"rule_id": found.rule_id, "version": found.version, "touchpoint": rule.touchpoint, "preset": rule.preset},
        found.last_run,
    )


@callback(Output("crm-groups", "options"), Input("crm-metric", "value"))
def metric_groups(metric):
    """The groups an answer of the metric falls into."""
    names = customerrules.groups_of(metric or "nps")
    return [{"label": label, "value": key} for key, label in names.items()]


def _rule(name, kind, metric, days, drop, chosen_groups, thresholds, segments, owner, chosen) -> Rule:
    """The rule the form holds; ValueError with every problem in words."""
    found_thresholds, problems = customerrules.parse_thresholds(thresholds or "")
    found_segments, segment_problems = customerrules.parse_segments(segments or "")
    problems += segment_problems
    try:
        fall = _locale.read_decimal(drop)
    except ValueError as error:
        problems.append(str(error))
        fall = None
    rule = Rule(
        name=" ".join(str(name or "").split()),
        kind=kind or "list",
        metric=metric or "nps",
        touchpoint=(chosen or {}).get("touchpoint") or "",
        days=int(days) if isinstance(days, (int, float)) else 0,
        groups=tuple(g for g in chosen_groups or () if g in customerrules.groups_of(metric or "nps")),
        drop=fall,
        thresholds=found_thresholds,
        segments=found_segments,
        owner_column=str(owner or "").strip(),
        preset=(chosen or {}).get("preset") or "",
    )
    problems += customerrules.validate(rule)
    if problems:
        raise ValueError(" ".join(problems))
    return rule


FORM = [
    State("crm-name", "value"),
    State("crm-kind", "value"),
    State("crm-metric", "value"),
    State("crm-days", "value"),
    State("crm-drop", "value"),
    State("crm-groups", "value"),
    State("crm-thresholds", "value"),
    State("crm-segments", "value"),
    State("crm-owner", "value"),
    State("crm-chosen", "data"),
]


@callback(
    Output("crm-result", "children"),
    Output("crm-last-run", "children", allow_duplicate=True),
    Input("crm-run", "n_clicks"),
    State("crm-project", "value"),
    State("crm-user", "value"),
    *FORM,
    prevent_initial_call=True,
)
def run(_clicks, project_id, user, *form):
    """Run the rule as the form holds it and show the count, the first rows, the estimates and the cards."""
    if not project_id:
        return html.P(_("Choose a project."), className="text-muted"), no_update
    try:
        rule = _rule(*form)
        chosen = form[-1] or {}
        view = crm.run_now(workspace(), int(project_id), rule, chosen.get("rule_id"), author(user))
    except (WorkspaceError, ValueError) as error:
        return dbc.Alert(str(error), color="warning", className="py-2 small"), no_update
    parts: list = [html.P(view.summary, id="crm-summary", className="mb-1")]
    parts += [html.P(problem, className="small text-warning mb-1") for problem in view.problems]
    parts += [html.P(text, className="small text-muted mb-1") for text in (view.chance, view.backtest) if text]
    if view.rows:
        parts.append(
            html.Div(
                dbc.Table(
                    [
                        html.Thead(html.Tr([html.Th(h) for h in view.headers])),
                        html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in view.rows]),
                    ],
                    size="sm",
                    hover=True,
                    className="small",
                    id="crm-table",
                ),
                className="hm-scroll",
            )
        )
        if view.count > len(view.rows):
            parts.append(
                html.P(
                    _("The first {shown} of {total}; the files hold them all.").format(
                        shown=formatting.count(len(view.rows)), total=formatting.count(view.count)
                    ),
                    className="small text-muted",
                )
            )
    if view.cards:
        parts.append(html.H6(_("Cards this rule created"), className="mt-3"))
        parts.append(
            html.Ul(
                [
                    html.Li(
                        [
                            dcc.Link(f"#{card_id} {title}", href=f"/actions?card={card_id}"),
                            f" · {owner}" if owner else "",
                        ]
                    )
                    for card_id, title, owner in view.cards
                ],
                className="small",
            )
        )
        parts.append(dcc.Link(_("Open the Actions board"), href="/actions", className="small"))
    return html.Div(parts), view.last_run or no_update


@callback(
    Output("crm-message", "children"),
    Output("crm-message", "is_open"),
    Output("crm-message", "color"),
    Output("crm-rule", "value", allow_duplicate=True),
    Input("crm-save", "n_clicks"),
    Input("crm-save-new", "n_clicks"),
    Input("crm-delete", "n_clicks"),
    State("crm-project", "value"),
    State("crm-user", "value"),
    *FORM,
    prevent_initial_call=True,
)
def save(_save, _new, _delete, project_id, user, *form):
    """Save the rule (over the chosen saved one, or as a new one), or delete the chosen saved rule."""
    if not project_id or not ctx.triggered_id:
        return no_update, no_update, no_update, no_update
    chosen = form[-1] or {}
    rule_id, version = chosen.get("rule_id"), chosen.get("version")
    try:
        if ctx.triggered_id == "crm-delete":
            if not rule_id:
                return _("Only a saved rule can be deleted."), True, "warning", no_update
            crm.delete(workspace(), int(project_id), int(rule_id), int(version))
            return _("Rule deleted; the cards it created stay on the board."), True, "info", None
        rule = _rule(*form)
        again = ctx.triggered_id == "crm-save" and rule_id
        saved = crm.save(
            workspace(),
            int(project_id),
            rule,
            author(user),
            int(rule_id) if again else None,
            int(version) if again else None,
        )
    except (WorkspaceError, ValueError) as error:
        return str(error), True, "warning", no_update
    return (
        _("Saved “{name}”; it runs again on each import.").format(name=saved.rule.name),
        True,
        "success",
        f"{crm.SAVED}{saved.id}",
    )


@callback(
    Output("crm-download", "data"),
    Output("crm-result", "children", allow_duplicate=True),
    *(Input(f"crm-{kind}", "n_clicks") for kind in FORMATS),
    State("crm-project", "value"),
    *FORM,
    prevent_initial_call=True,
)
def download(_csv, _xlsx, _json, project_id, *form):
    """The rule's whole list as a CSV, XLSX (both formula-safe) or JSON file."""
    kind = str(ctx.triggered_id or "").removeprefix("crm-")
    if not project_id or kind not in FORMATS:
        return no_update, no_update
    try:
        result = crm.run(workspace(), int(project_id), _rule(*form))
    except (WorkspaceError, ValueError) as error:
        return no_update, dbc.Alert(str(error), color="warning", className="py-2 small")
    shown = crm.frame(result)
    if kind == "csv":
        content = tables.to_csv(shown)
    elif kind == "xlsx":
        content = tables.to_xlsx({_("list"): shown})
    else:
        content = customerrules.to_json(crm.customer_list(result, datetime.datetime.now().replace(microsecond=0)))
    return dcc.send_bytes(content, crm.file_name(result.rule, kind)), no_update
