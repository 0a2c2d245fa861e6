"""Leaderboards page: branches, employees and owners ranked by score and by trend, with n and intervals."""

from __future__ import annotations

import math

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from cxweb.pages import _filters
from cxweb.pages._context import workspace
from workbench.analysis import breaks, heatmap, leaderboard
from workbench.core import formatting, metrics
from workbench.core.i18n import gettext as _
from workbench.data import query, waves

dash.register_page(__name__, path="/leaderboards", name=_("Leaderboards"),
                   title=_("Leaderboards · CX Journey Workbench"))

OWNER = "__owner__"
ALL_TOUCHPOINTS = "__all__"


def layout(**_query) -> html.Div:
    """Filter bar, what to rank and where, then the ranked table."""
    return html.Div([
        _filters.filter_bar("lb"),
        html.Div([
            dbc.InputGroup([dbc.InputGroupText(_("Rank")), dbc.Select(id="lb-level")], size="sm", className="w-auto"),
            dbc.InputGroup([dbc.InputGroupText(_("at")), dbc.Select(id="lb-touchpoint", value=ALL_TOUCHPOINTS)],
                           size="sm", className="w-auto"),
            dbc.RadioItems(id="lb-order", value="score", inline=True, className="small",
                           options=[{"label": _("by score"), "value": "score"},
                                    {"label": _("by trend"), "value": "trend"}]),
        ], className="d-flex flex-wrap align-items-center gap-2 mb-2"),
        html.P(id="lb-note", className="small text-muted"),
        dcc.Loading(html.Div(id="lb-table"), delay_show=300),
    ])


_filters.register("lb")


@callback(Output("lb-level", "options"), Output("lb-level", "value"), Output("lb-touchpoint", "options"),
          Input("lb-selection", "data"), State("lb-level", "value"))
def choose_levels(selection, current):
    """Segment columns and the touchpoint owners can be ranked; at all touchpoints or one."""
    chosen = _filters.resolve(selection)
    if chosen is None:
        return [], None, []
    columns = breaks.segment_columns(chosen.sources)
    levels = [{"label": _("owners (teams)"), "value": OWNER}] + [{"label": c, "value": c} for c in columns]
    default = current if current in (OWNER, *columns) else ("branch" if "branch" in columns else OWNER)
    touchpoints = [{"label": _("all touchpoints"), "value": ALL_TOUCHPOINTS}] + [
        {"label": tp.name, "value": tp.key} for tp in chosen.journey.touchpoints]
    return levels, default, touchpoints


@callback(Output("lb-table", "children"), Output("lb-note", "children"), Input("lb-selection", "data"),
          Input("lb-level", "value"), Input("lb-touchpoint", "value"), Input("lb-order", "value"))
def show_board(selection, level, touchpoint, order):
    """Rank the groups in the period, with the change against the period before."""
    chosen = _filters.resolve(selection)
    if chosen is None or not level:
        return "", ""
    metric, cache = chosen.metric, workspace().cache
    keys = [tp.key for tp in chosen.journey.touchpoints]
    place = (("touchpoint", (touchpoint,)),) if touchpoint and touchpoint != ALL_TOUCHPOINTS else (
        ("touchpoint", tuple(keys)),)
    filters = chosen.filters + place
    by = ("touchpoint",) if level == OWNER else (level,)

    def aggregate(start, end):
        result = query.aggregate(chosen.query(by=by, date_from=start, date_to=end, filters=filters), cache)
        return leaderboard.owner_results(result, chosen.journey) if level == OWNER else result

    current = aggregate(chosen.date_from, chosen.date_to)
    previous = None
    if chosen.date_from and chosen.date_to and chosen.wave is None:
        previous = aggregate(*breaks.previous_window(chosen.date_from, chosen.date_to))
    column = "owner" if level == OWNER else level
    board = leaderboard.rank(current, previous, column, metric)
    if chosen.wave is not None:  # no period before: ranked by score, without the change columns
        note = _("Ranked only with at least {n} answers.").format(n=metrics.DEFAULT_MIN_N)
        return _table(board, metric, "score", trend=False), f"{note} {waves.no_trend_message(chosen.wave)}"
    if order == "trend":
        board = board.sort_values(["trend_rank", "name"], na_position="last", kind="stable")
    note = _("Ranked only with at least {n} answers; the change is against the period before, and ▲/▼ mark "
             "changes that stay significant after the Benjamini–Hochberg correction.").format(n=metrics.DEFAULT_MIN_N)
    return _table(board, metric, order), note


def _table(board, metric: str, order: str, trend: bool = True) -> dbc.Table:
    """The ranked rows; ``trend`` adds the period before, the change and its arrow."""
    header = html.Thead(html.Tr([html.Th(t) for t in (
        _("Rank") if order == "score" else _("Trend rank"), _("Name"), heatmap.METRIC_NAMES[metric],
        _("95 % interval"), "n", *((_("Period before"), _("Change"), "") if trend else ()))]))
    rows = []
    for row in board.itertuples():
        position = row.rank if order == "score" else row.trend_rank
        arrow = {"up": "▲", "down": "▼"}.get(row.trend, "")
        change = [html.Td(formatting.value(row.previous, metric)),
                  html.Td(formatting.value(row.change, metric, signed=True)),
                  html.Td(arrow, className="text-primary" if row.trend == "up" else "text-danger")] if trend else []
        rows.append(html.Tr([
            html.Td("–" if math.isnan(position) else f"{position:.0f}"),
            html.Td(row.name),
            html.Td(formatting.value(row.value, metric)),
            html.Td(f"{formatting.value(row.low, metric)} … {formatting.value(row.high, metric)}"),
            html.Td(formatting.count(int(row.n))),
            *change,
        ], className="" if row.ranked else "text-muted", title=None if row.ranked else _("too few answers to rank")))
    return dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, striped=True, className="small",
                     id="lb-rows")
