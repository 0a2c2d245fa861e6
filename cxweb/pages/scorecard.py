"""Scorecard page: one reader's results on one page (a partner's or a branch's landing page on a team server): their
scores against the targets, their trend beside the whole network's, their newest comments and their open cards."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from cxweb.pages import _busy, _filters
from cxweb.pages._context import workspace
from workbench.core import formatting, metrics
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.export import figures
from workbench.features import scorecard as features

dash.register_page(
    __name__,
    path="/scorecard",
    name=N_("Scorecard"),
    order=2.5,  # after the heatmap
    icon="fa-clipboard-check",
    scoped_only=True,  # listed in the bar for scoped members, whose home it is (cxweb.app.nav_links); anyone may open it
    title=lambda **_path: _("Scorecard · CX Journey Workbench"),
)

VERDICTS = {  # a score against its target (analysis.heatmap.scores' status when the reference is the target)
    "above": N_("above target"),
    "below": N_("below target"),
    "on": N_("on target (no significant difference)"),
    "low_n": N_("too few answers to tell"),
}
BADGES = {"above": "success", "below": "danger", "on": "secondary", "low_n": "light"}


def layout(**_query) -> html.Div:
    """Filter bar, whose answers these are, then scores and trend side by side, comments and cards below."""
    return html.Div(
        [
            _filters.filter_bar("sc"),
            html.H5(id="sc-title", className="mt-2"),
            html.P(id="sc-summary", className="small text-muted"),
            _busy.busy(
                dbc.Row(
                    [
                        dbc.Col(html.Div(id="sc-scores"), lg=6),
                        dbc.Col(html.Div(id="sc-trend"), lg=6),
                    ]
                ),
                delay_show=300,
            ),
            dbc.Row(
                [
                    dbc.Col([html.H6(_("Newest comments")), html.Div(id="sc-comments")], lg=6),
                    dbc.Col([html.H6(_("Open actions")), html.Div(id="sc-actions")], lg=6),
                ],
                className="mt-3",
            ),
        ]
    )


_filters.register("sc")


@callback(
    Output("sc-title", "children"),
    Output("sc-summary", "children"),
    Output("sc-scores", "children"),
    Output("sc-trend", "children"),
    Output("sc-comments", "children"),
    Output("sc-actions", "children"),
    Input("sc-selection", "data"),
)
def show(selection):
    """The reader's scorecard for the chosen journey, dataset, metric and period."""
    chosen = _filters.resolve(selection)
    if chosen is None:
        return _("Choose a project with a journey and a survey."), "", "", "", "", ""
    found = features.scorecard(workspace(), chosen)
    title = _("Results of {whose}").format(whose=found.scope)
    counts = found.against_targets
    summary = _(
        "{metric}, {period}. Against their targets: {above} touchpoints significantly above, {below} significantly "
        "below, {on} not significantly different, {low_n} with too few answers to tell."
    ).format(
        metric=metrics.NAMES[found.metric],
        period=_period(chosen),
        **{status: formatting.count(n) for status, n in counts.items()},
    )
    trend = dcc.Graph(
        id="sc-trend-graph",
        figure=figures.trend(found.trend),
        config={"displayModeBar": False},
        style={"height": "300px"},
    )
    return title, summary, _scores(found), trend, _comments(found), _actions(found)


def _period(chosen) -> str:
    if chosen.date_from is None and chosen.date_to is None:
        return _("all data")
    return " – ".join(formatting.date(day) for day in (chosen.date_from, chosen.date_to) if day)


def _scores(found: features.Scorecard) -> dbc.Table | html.P:
    """Each answered touchpoint: score with its interval, n, target and the verdict (text only, never markup)."""
    if found.scores.empty:
        return html.P(_("No answers in this period."), className="text-muted")
    metric = found.metric
    rows = []
    for row in found.scores.itertuples():
        verdict = row.status if row.reference_kind == "target" or row.status == "low_n" else None
        rows.append(
            html.Tr(
                [
                    html.Td(row.name),
                    html.Td(formatting.score(row.value, row.margin, metric, row.low, row.high)),
                    html.Td(formatting.count(row.n)),
                    html.Td(formatting.value(row.target, metric)),
                    html.Td(
                        dbc.Badge(
                            _(VERDICTS[verdict]),
                            color=BADGES[verdict],
                            text_color="dark" if verdict == "low_n" else None,
                        )  # fmt: skip
                        if verdict in VERDICTS
                        else html.Span(_("no target"), className="text-muted")
                    ),
                ]
            )
        )
    header = html.Thead(html.Tr([html.Th(t) for t in (_("Touchpoint"), metrics.NAMES[metric], "n", _("Target"), "")]))
    return dbc.Table([header, html.Tbody(rows)], id="sc-table", size="sm", striped=True, className="small")


def _comments(found: features.Scorecard) -> html.Div:
    if not found.comments:
        return html.P(_("No comments in this period."), className="text-muted small")
    return html.Div(
        [
            html.Div(
                [
                    html.Div(
                        f"{formatting.moment(comment.when)} · {comment.where} · {comment.scores}",
                        className="text-muted",
                    ),
                    html.Div(comment.text, className="hm-comment"),
                ],
                className="small mb-2",
            )
            for comment in found.comments
        ],
        id="sc-comment-list",
    )


def _actions(found: features.Scorecard) -> html.Div:
    if not found.actions:
        return html.P(_("No open actions."), className="text-muted small")
    return dbc.ListGroup(
        [
            dbc.ListGroupItem(
                [
                    html.Div(card.title, className="fw-semibold"),
                    html.Small(
                        " · ".join(
                            part
                            for part in (
                                card.owner,
                                _("due {day}").format(day=formatting.date(card.due)) if card.due else "",
                            )
                            if part
                        ),
                        className="text-muted",
                    ),
                ]
            )
            for card in found.actions
        ],
        id="sc-action-list",
        className="small",
    )
