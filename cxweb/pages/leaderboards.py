"""Leaderboards page: branches, employees and owners ranked by score and by trend, with n and intervals."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, html

from cxweb.pages import _busy, _filters
from cxweb.pages._context import workspace
from workbench.core import formatting, metrics
from workbench.core.i18n import N_, pgettext
from workbench.core.i18n import gettext as _
from workbench.features import leaderboards as features

dash.register_page(
    __name__,
    path="/leaderboards",
    name=N_("Leaderboards"),
    order=3,
    icon="fa-ranking-star",
    title=lambda **_path: _("Leaderboards · CX Journey Workbench"),
)


def layout(**_query) -> html.Div:
    """Filter bar, what to rank and where, then the ranked table."""
    return html.Div(
        [
            _filters.filter_bar("lb"),
            html.Div(
                [
                    dbc.InputGroup(
                        [dbc.InputGroupText(pgettext("level picker", "Rank")), dbc.Select(id="lb-level")],
                        size="sm",
                        className="w-auto",
                    ),
                    dbc.InputGroup(
                        [dbc.InputGroupText(_("at")), dbc.Select(id="lb-touchpoint", value=features.ALL_TOUCHPOINTS)],
                        size="sm",
                        className="w-auto",
                    ),
                    dbc.RadioItems(
                        id="lb-order",
                        value="score",
                        inline=True,
                        className="small",
                        options=[
                            {"label": _("by score"), "value": "score"},
                            {"label": _("by trend"), "value": "trend"},
                        ],
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            html.P(id="lb-note", className="small text-muted"),
            _busy.busy(html.Div(id="lb-table"), delay_show=300),
            html.Div(
                [
                    html.Small(id="lb-shown", className="text-muted me-3"),
                    dbc.Pagination(id="lb-pages", max_value=1, active_page=1, fully_expanded=False, size="sm"),
                ],
                id="lb-paging",
                className="d-flex align-items-center mt-2",
                style={"display": "none"},
            ),
        ]
    )


_filters.register("lb")


@callback(
    Output("lb-level", "options"),
    Output("lb-level", "value"),
    Output("lb-touchpoint", "options"),
    Input("lb-selection", "data"),
    State("lb-level", "value"),
)
def choose_levels(selection, current):
    """Segment columns and the touchpoint owners can be ranked; at all touchpoints or one."""
    chosen = _filters.resolve(selection)
    if chosen is None:
        return [], None, []
    found = features.levels(chosen, current)
    # A level still valid is left alone: this answer can arrive after the reader picked another one meanwhile
    # (a new window, then at once another level), and must not put the old one back.
    level = dash.no_update if found.level == current else found.level
    return _options(found.levels), level, _options(found.touchpoints)


PAGE_ROWS = 200  # a network's 1 500 employees are shown a page at a time: the browser and the server stay quick


@callback(
    Output("lb-table", "children"),
    Output("lb-note", "children"),
    Output("lb-pages", "max_value"),
    Output("lb-pages", "active_page"),
    Output("lb-paging", "style"),
    Output("lb-shown", "children"),
    Input("lb-selection", "data"),
    Input("lb-level", "value"),
    Input("lb-touchpoint", "value"),
    Input("lb-order", "value"),
    Input("lb-pages", "active_page"),
)
def show_board(selection, level, touchpoint, order, page):
    """Rank the groups in the period, with the change against the period before (a page of rows at a time)."""
    chosen = _filters.resolve(selection)
    hidden = {"display": "none"}
    if chosen is None or not level:
        return "", "", 1, 1, hidden, ""
    found = features.board(workspace(), chosen, level, touchpoint, order)
    pages = max(1, -(-len(found.rows) // PAGE_ROWS))
    page = min(max(int(page or 1), 1), pages) if ctx.triggered_id == "lb-pages" else 1
    first = (page - 1) * PAGE_ROWS
    rows = found.rows.iloc[first : first + PAGE_ROWS]
    shown = _("Rows {first}–{last} of {total}").format(
        first=formatting.count(first + 1),
        last=formatting.count(first + len(rows)),
        total=formatting.count(len(found.rows)),
    )
    paging = {"display": "flex"} if pages > 1 else hidden
    return _table(rows, found.metric, found.order, trend=found.trend), found.note, pages, page, paging, shown


def _options(choices) -> list[dict]:
    return [{"label": c.label, "value": c.value} for c in choices]


def _table(board, metric: str, order: str, trend: bool = True) -> dbc.Table:
    """The ranked rows; ``trend`` adds the period before, the change and its arrow."""
    header = html.Thead(
        html.Tr(
            [
                html.Th(t)
                for t in (
                    _("Rank") if order == "score" else _("Trend rank"),
                    _("Name"),
                    metrics.NAMES[metric],
                    _("{level} interval").format(level=formatting.percent(95)),
                    "n",
                    *((_("Period before"), _("Change"), "") if trend else ()),
                )
            ]
        )
    )
    rows = []
    for row in board.itertuples():
        position = row.rank if order == "score" else row.trend_rank
        arrow = {"up": "▲", "down": "▼"}.get(row.trend, "")
        change = (
            [
                html.Td(formatting.value(row.previous, metric)),
                html.Td(formatting.value(row.change, metric, signed=True)),
                html.Td(arrow, className="text-primary" if row.trend == "up" else "text-danger"),
            ]
            if trend
            else []
        )
        rows.append(
            html.Tr(
                [
                    html.Td(formatting.number(position)),
                    html.Td(row.name),
                    html.Td(formatting.value(row.value, metric)),
                    html.Td(f"{formatting.value(row.low, metric)} … {formatting.value(row.high, metric)}"),
                    html.Td(formatting.count(int(row.n))),
                    *change,
                ],
                className="" if row.ranked else "text-muted",
                title=None if row.ranked else _("too few answers to rank"),
            )
        )
    return dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, striped=True, className="small", id="lb-rows")
