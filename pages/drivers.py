"""Drivers page: which touchpoints move overall loyalty most, and the importance × performance priorities."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from typing import TYPE_CHECKING

from pages import _filters
from pages._context import new_action_href, workspace
from pages._filters import group
from workbench import figures, heatmap, metrics
from workbench.actions import Draft
from workbench.i18n import gettext as _

if TYPE_CHECKING:
    from workbench import drivers

dash.register_page(__name__, path="/drivers", name=_("Drivers"), title=_("Drivers · CX Journey Workbench"))

OUTCOMES = {"nps": _("Overall likelihood to recommend (0–10)"), "promoter": _("Promoter or not (overall 9–10)")}
METHODS = {"lmg": _("Shapley / LMG"), "johnson": _("Johnson's relative weights")}
DRIVER_METRICS = ("csat", "nps", "ces")


def layout(**_query) -> html.Div:
    """Filter bar, what to explain with which ratings, then the matrix, the importances and the priorities."""

    return html.Div([
        _filters.filter_bar("dr", metric=False),
        html.Div([
            group(_("Explain"), dbc.Select(id="dr-outcome", value="nps",
                                           options=[{"label": v, "value": k} for k, v in OUTCOMES.items()]), "22rem"),
            group(_("by touchpoint"), dbc.Select(id="dr-metric", value="csat", options=[
                {"label": heatmap.METRIC_NAMES[m], "value": m} for m in DRIVER_METRICS])),
            group(_("Method"), dbc.Select(id="dr-method", value="lmg",
                                          options=[{"label": v, "value": k} for k, v in METHODS.items()]), "16rem"),
        ], className="d-flex flex-wrap align-items-center gap-2 mb-2"),
        dcc.Loading([
            html.Div(id="dr-summary", className="small mb-2"),
            dbc.Row([
                dbc.Col(dcc.Graph(id="dr-matrix", config={"displaylogo": False}, style={"height": "460px"}), lg=7),
                dbc.Col(dcc.Graph(id="dr-bars", config={"displaylogo": False}, style={"height": "460px"}), lg=5),
            ]),
            html.H5(_("Priorities"), className="mt-2"),
            html.Div(id="dr-priorities"),
        ], delay_show=300),
    ])


_filters.register("dr")


@callback(Output("dr-summary", "children"), Output("dr-matrix", "figure"), Output("dr-bars", "figure"),
          Output("dr-priorities", "children"),
          Input("dr-selection", "data"), Input("dr-outcome", "value"), Input("dr-metric", "value"),
          Input("dr-method", "value"))
def analyse(selection, outcome, metric, method):
    """Relative importance of the touchpoints for the overall score, with intervals and priorities."""
    import plotly.graph_objects as go

    from workbench import drivers  # pandas and numpy: loaded when the page first analyses, not at app start

    chosen = _filters.resolve(selection)
    if chosen is None:
        return "", go.Figure(), go.Figure(), ""
    try:
        result = drivers.analyse_query(chosen.query(by=()), workspace().cache, outcome="nps", driver_metric=metric,
                                       method=method, binary_threshold=metrics.PROMOTER_AT if outcome == "promoter" else None)
    except ValueError as error:
        return dbc.Alert(str(error), color="warning"), go.Figure(), go.Figure(), ""
    journey = chosen.journey
    names = {tp.key: tp.name for tp in journey.touchpoints}
    # Quadrants split at the mean performance (the chart's dashed line), as importance-performance analysis does.
    ranked = drivers.ranked(result, names)
    return (_summary(result, chosen.filter_text()), figures.priority_matrix(ranked, names, metric),
            figures.importance_bars(ranked, names),
            _table(ranked, names, journey, metric, selection["journey"]))


def _summary(result: drivers.DriverResult, filters: str) -> html.Div:
    r2 = _("R² = {r2:.2f} [{low:.2f}–{high:.2f}]").format(r2=result.r2, low=result.r2_low, high=result.r2_high)
    model = _("respondent-level model") if result.model == "respondent" else _("segment-period model")
    facts = _("{model} · {method} · {r2} · n = {n} ({filters})").format(
        model=model, method=METHODS[result.method], r2=r2, n=f"{result.n:,}".replace(",", "\u202f"),
        filters=filters)
    excluded = [html.Li(f"{key}: {reason}") for key, reason in result.excluded.items()]
    return html.Div([
        html.Div(facts, id="dr-facts"),
        dbc.Alert(result.note, color="info" if result.model == "respondent" else "warning", className="py-2 my-1",
                  id="dr-note"),
        html.Details([html.Summary(_("{n} touchpoints left out").format(n=len(excluded))), html.Ul(excluded)],
                     className="text-muted") if excluded else "",
    ])


def _table(ranked, names: dict[str, str], journey, metric: str, journey_id: int) -> dbc.Table:
    owners = {tp.key: tp.owner for tp in journey.touchpoints}
    rows = []
    for record in ranked.sort_values("priority").itertuples():
        name = names.get(record.touchpoint, record.touchpoint)
        draft = Draft(title=_("Improve {touchpoint} (key driver)").format(touchpoint=name),
                      description=record.reason, touchpoints=(record.touchpoint,), metric=metric,
                      origin={"kind": "driver", "label": record.reason})
        rows.append(html.Tr([
            html.Td(str(record.priority)),
            html.Td(name),
            html.Td(dbc.Badge(_(record.quadrant), style={"backgroundColor": figures.QUADRANT_COLOURS[record.quadrant]})),
            html.Td(f"{record.share * 100:.1f} % [{record.share_low * 100:.1f}–{record.share_high * 100:.1f}]"),
            html.Td(f"{heatmap.format_value(record.performance, metric)} (n = {record.answers:,})"
                    .replace(",", "\u202f")),
            html.Td(owners.get(record.touchpoint, "")),
            html.Td(record.reason),
            html.Td(dcc.Link(_("+ action"), href=new_action_href(draft, journey_id), className="small dr-action")),
        ]))
    header = html.Thead(html.Tr([html.Th(h) for h in (_("#"), _("Touchpoint"), _("Quadrant"), _("Importance"),
                                                       _("Performance"), _("Owner"), _("Why"), "")]))
    return dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, className="small", id="dr-table")
