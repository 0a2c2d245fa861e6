"""Customers page: find a customer by id, name or e-mail and read their card (a CRM's customer view): who they are,
their latest scores, and everything that touched them, newest first. ``/customer?project=1&id=C000123`` opens a
card directly (the Comments page links each comment to its customer's card)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from cxweb.pages._context import workspace
from cxweb.pages._filters import group
from cxweb.pages._pickers import project_options
from workbench.core import formatting
from workbench.core.errors import WorkspaceError
from workbench.core.i18n import N_, Labels, ngettext
from workbench.core.i18n import gettext as _
from workbench.features import customers
from workbench.features.customers import Card, Entry, Score

dash.register_page(
    __name__,
    path="/customer",
    name=N_("Customers"),
    order=5.2,  # after the comments, which link to it
    group="customers",  # one menu of the navigation bar (cxweb.app.NAV_GROUPS)
    icon="fa-address-card",
    title=lambda **_path: _("Customers · CX Journey Workbench"),
)

# A score's group as the Comments page colours it: unhappy red, neutral grey, happy green.
BADGES = {"negative": "danger", "neutral": "secondary", "positive": "success", "": "light"}
ICONS = {"answer": "fa-comment-dots", "alert": "fa-bell", "action": "fa-list-check"}
KINDS = Labels({"answer": N_("Answer"), "alert": N_("Alert"), "action": N_("Action card")})


def layout(id: str | None = None, project: str | None = None, **_query) -> html.Div:  # noqa: A002 (the URL's name)
    """The project, the search box and its results, and the card of the customer the address names."""
    options = project_options()
    ids = [option["value"] for option in options]
    chosen = int(project) if str(project or "").isdigit() and int(project) in ids else (ids[0] if ids else None)
    return html.Div(
        [
            dcc.Store(id="cu-open", data=id if isinstance(id, str) and id.strip() else None),
            html.Div(
                [
                    group(_("Project"), dbc.Select(id="cu-project", options=options, value=chosen), "14rem"),
                    group(
                        _("Find a customer"),
                        dbc.Input(
                            id="cu-search",
                            type="search",
                            placeholder=_("id, name or e-mail"),
                            debounce=400,
                            maxLength=customers.SEARCH_CHARS,
                            autoComplete="off",
                            persistence=True,  # kept while a found customer's card opens (a new address)
                            persistence_type="session",
                        ),
                        "26rem",
                    ),
                    html.Span(id="cu-found", className="small text-muted"),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            dbc.Row(
                [
                    dbc.Col(html.Div(id="cu-results"), lg=3),
                    dbc.Col(dcc.Loading(html.Div(id="cu-card"), delay_show=300), lg=9),
                ]
            ),
        ]
    )


@callback(
    Output("cu-results", "children"),
    Output("cu-found", "children"),
    Input("cu-search", "value"),
    Input("cu-project", "value"),
)
def find(text, project):
    """The customers matching the typed text, each a link to their card."""
    if not project or not str(project).isdigit() or not (text or "").strip():
        return "", ""
    try:
        found = customers.search(workspace(), int(project), text)
    except WorkspaceError as error:
        return dbc.Alert(str(error), color="warning", className="py-2 small"), ""
    if not found:
        return html.P(_("No customer found."), className="text-muted small"), ""
    links = [
        dbc.ListGroupItem(
            [
                html.Div(person.customer_id, className="fw-semibold"),
                html.Small(
                    " · ".join(
                        part
                        for part in (
                            person.name,
                            person.email,
                            ngettext("{n} answer", "{n} answers", person.answers).format(
                                n=formatting.count(person.answers)
                            ),
                            person.last,
                        )
                        if part
                    ),
                    className="text-muted",
                ),
            ],
            href=customers.customer_href(person.customer_id, int(project)),
            action=True,
            className="cu-result",
        )
        for person in found
    ]
    shown = ngettext("{n} customer", "{n} customers", len(found)).format(n=formatting.count(len(found)))
    return dbc.ListGroup(links, className="small", id="cu-result-list"), shown


@callback(Output("cu-card", "children"), Input("cu-open", "data"), Input("cu-project", "value"))
def show(customer, project):
    """The card of the customer the address names."""
    if not customer or not project or not str(project).isdigit():
        return html.P(_("Search for a customer, or open one from a comment."), className="text-muted")
    try:
        found = customers.card(workspace(), int(project), str(customer))
    except WorkspaceError as error:
        return dbc.Alert(str(error), color="warning", className="py-2 small")
    if found is None:
        return dbc.Alert(
            _("No customer “{id}” in the data you can see.").format(id=customer), color="info", className="py-2"
        )
    return _card(found)


def _card(card: Card) -> html.Div:
    """Header (who, how many answers, the latest score of each metric), KPI rows, what was left out, the timeline."""
    who = " · ".join(part for part in (card.name, card.email) if part)
    answered = ngettext("{n} answer", "{n} answers", card.answers).format(n=formatting.count(card.answers))
    header = dbc.Card(
        dbc.CardBody(
            [
                html.H4(card.customer_id, className="mb-1", id="cu-card-id"),
                html.Div(who, className="mb-1") if who else None,
                html.Div(answered, className="small text-muted mb-2"),
                html.Div([_latest(score) for score in card.latest], className="d-flex flex-wrap gap-2", id="cu-latest"),
            ]
        ),
        className="mb-2",
    )
    kpis = [
        html.Div(
            [
                html.H6(_("Customer KPIs"), className="mt-2"),
                *[
                    dbc.Table(
                        [
                            html.Thead(html.Tr([html.Th(entry.title, colSpan=2)])),
                            html.Tbody([html.Tr([html.Td(label), html.Td(value)]) for label, value in entry.details]),
                        ],
                        size="sm",
                        className="small w-auto",
                    )
                    for entry in card.kpis
                ],
            ],
            id="cu-kpis",
        )
    ]
    more = [
        html.P(
            _("Left out: {what}.").format(what=", ".join(_left_out(kind, n) for kind, n in card.more)),
            className="small text-muted",
        )
    ]
    timeline = dbc.ListGroup([_entry(entry) for entry in card.timeline], id="cu-timeline", className="small")
    return html.Div(
        [
            header,
            *(kpis if card.kpis else []),
            html.H6(_("Timeline, newest first"), className="mt-2"),
            *(more if card.more else []),
            timeline
            if card.timeline
            else html.P(_("Nothing happened with this customer yet."), className="text-muted"),
        ]
    )


def _left_out(kind: str, n: int) -> str:
    """'3 more answers' and the like, as each language counts them."""
    words = {
        "answer": ngettext("{n} more answer", "{n} more answers", n),
        "kpi": ngettext("{n} more customer KPI row", "{n} more customer KPI rows", n),
        "alert": ngettext("{n} more alert", "{n} more alerts", n),
        "action": ngettext("{n} more action card", "{n} more action cards", n),
    }
    return words[kind].format(n=formatting.count(n))


def _latest(score: Score) -> html.Span:
    """The latest score of a metric: its name, a coloured badge and the day it was given."""
    return html.Span(
        [
            html.Span(score.label, className="me-1"),
            _badge(score),
            html.Span(score.date, className="text-muted small ms-1"),
        ]
    )


def _badge(score: Score) -> dbc.Badge:
    return dbc.Badge(
        score.text,
        color=BADGES.get(score.group, "light"),
        text_color="dark" if not score.group else None,
        className="cu-score",
        title=score.label,
    )


def _entry(entry: Entry) -> dbc.ListGroupItem:
    """One line of the timeline: when, what, the scores, the comment as plain text, the details, a link to a card."""
    scores = [html.Span([html.Span(s.label, className="me-1"), _badge(s)], className="me-2") for s in entry.scores]
    details = " · ".join(f"{label}: {value}" for label, value in entry.details)
    link = (
        dcc.Link(_("Open on the Actions board"), href=f"/actions?card={entry.action_id}", className="small ms-2")
        if entry.action_id is not None
        else None
    )
    return dbc.ListGroupItem(
        [
            html.Div(
                [
                    html.I(className=f"fa-solid {ICONS.get(entry.kind, 'fa-circle')} me-2 text-muted"),
                    html.Span(entry.date, className="text-muted me-2"),
                    html.Span(KINDS[entry.kind], className="text-muted me-2"),
                    html.Span(entry.title, className="fw-semibold"),
                    link,
                ]
            ),
            html.Div(scores, className="mt-1") if scores else None,
            html.Div(entry.comment, className="hm-comment mt-1 cu-comment") if entry.comment else None,
            html.Div(details, className="text-muted mt-1") if details else None,
        ],
        className=f"cu-entry cu-{entry.kind}",
    )
