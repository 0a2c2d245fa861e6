"""Drivers page: which touchpoints move the dataset's overall outcome most, and the importance × performance
priorities."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from cxweb.pages import _empty, _filters
from cxweb.pages._context import new_action_href, workspace
from cxweb.pages._filters import group
from workbench.analysis import heatmap
from workbench.core import formatting, metrics
from workbench.core.contract import OVERALL
from workbench.core.i18n import gettext as _
from workbench.data import outcome
from workbench.export import figures
from workbench.repos.actions import Draft

if TYPE_CHECKING:
    from workbench.analysis import drivers

dash.register_page(__name__, path="/drivers", name=_("Drivers"), title=_("Drivers · CX Journey Workbench"))

PROMOTER = "promoter"  # the "Explain" choice that turns an NPS outcome into promoter or not
METHODS = {"lmg": _("Shapley / LMG"), "johnson": _("Johnson's relative weights")}
DRIVER_METRICS = ("csat", "nps", "ces")
MISSING = {"pairwise": _("pairwise (keep respondents who skipped)"),
           "listwise": _("listwise (complete answers only)")}


def layout(**_query) -> html.Div:
    """Filter bar, what to explain with which ratings, then the matrix, the importances and the priorities."""

    return html.Div([
        _filters.filter_bar("dr", metric=False),
        html.Div([
            group(_("Explain"), dbc.Select(id="dr-outcome", options=[]), "22rem"),
            group(_("by touchpoint"), dbc.Select(id="dr-metric", value="csat", options=[
                {"label": heatmap.METRIC_NAMES[m], "value": m} for m in DRIVER_METRICS])),
            group(_("Method"), dbc.Select(id="dr-method", value="lmg",
                                          options=[{"label": v, "value": k} for k, v in METHODS.items()]), "16rem"),
            group(_("Missing answers"), dbc.Select(id="dr-missing", value="pairwise",
                                                   options=[{"label": v, "value": k} for k, v in MISSING.items()]),
                  "26rem"),
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


@callback(Output("dr-outcome", "options"), Output("dr-outcome", "value"), Input("dr-dataset", "value"),
          State("dr-outcome", "value"))
def offer_outcomes(dataset_id, current):
    """The dataset's overall outcome as mapped to explain, and for NPS also promoter or not."""
    if not dataset_id:
        return [], None
    mapped = _outcome(dataset_id)
    if mapped.binary:
        label = _("{outcome} (yes or no)").format(outcome=mapped.label)
    elif mapped.metric == "nps":
        label = _("{outcome}: likelihood to recommend (0–10)").format(outcome=mapped.label)
    else:
        label = _("{outcome} ({low:g}–{high:g})").format(outcome=mapped.label, low=mapped.scale[0],
                                                          high=mapped.scale[1])
    options = [{"label": label, "value": mapped.metric}]
    if mapped.metric == "nps":
        options.append({"label": _("Promoter or not (overall 9–10)"), "value": PROMOTER})
    values = [option["value"] for option in options]
    return options, current if current in values else values[0]


@callback(Output("dr-summary", "children"), Output("dr-matrix", "figure"), Output("dr-bars", "figure"),
          Output("dr-priorities", "children"),
          Input("dr-selection", "data"), Input("dr-outcome", "value"), Input("dr-metric", "value"),
          Input("dr-method", "value"), Input("dr-missing", "value"))
def analyse(selection, explain, metric, method, missing="pairwise"):
    """Relative importance of the touchpoints for the dataset's overall outcome, with intervals and priorities."""
    from workbench.analysis import (
        drivers,  # pandas and numpy: loaded when the page first analyses, not at app start
    )

    chosen = _filters.resolve(selection)
    if chosen is None:
        return "", figures.empty(), figures.empty(), ""
    info = workspace().datasets.get(int(selection["dataset"]))
    if OVERALL not in (info.meta.get("touchpoints") or [OVERALL]):  # nothing to explain: say what to import
        message = _("No overall outcome in this survey")
        return (_empty.notice(_empty.NO_OVERALL, "dr-no-overall"), figures.empty(message), figures.empty(message),
                "")
    mapped = _outcome(selection["dataset"])
    promoter = explain == PROMOTER and mapped.metric == "nps"
    # Promoter or not is a yes/no outcome made from the NPS answers: named as such in titles and the summary.
    shown = outcome.Outcome("nps", _("promoters"), (0.0, 1.0), True, _("promoters")) if promoter else mapped
    try:
        result = drivers.analyse_query(chosen.query(by=()), workspace().cache, outcome=mapped.metric,
                                       driver_metric=metric, method=method, missing=missing,
                                       binary_threshold=metrics.PROMOTER_AT if promoter else None)
    except ValueError as error:
        return dbc.Alert(str(error), color="warning"), figures.empty(), figures.empty(), ""
    journey = chosen.journey
    names = {tp.key: tp.name for tp in journey.touchpoints}
    # Quadrants split at the mean performance (the chart's dashed line), as importance-performance analysis does.
    ranked = drivers.ranked(result, names)
    matrix = figures.priority_matrix(ranked, names, metric)
    # The outcome's name is the user's text: escaped, as every plotly label is (plotly reads titles as HTML).
    matrix.update_layout(title_text=figures.label(_("{what}: importance × performance").format(
        what=shown.what_drives())))
    bars = figures.importance_bars(ranked, names)
    bars.update_layout(title_text=figures.label(_("{what}: share of explained variance, 95 % interval").format(
        what=shown.what_drives())))
    return (_summary(result, shown, chosen.filter_text()), matrix, bars,
            _table(ranked, names, journey, metric, selection["journey"], result.model))


def _outcome(dataset_id) -> outcome.Outcome:
    """The overall outcome recorded with the dataset (NPS for datasets imported before outcomes were recorded)."""
    return outcome.from_meta(workspace().datasets.get(int(dataset_id)).meta)


def _count(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def _summary(result: drivers.DriverResult, shown: outcome.Outcome, filters: str) -> html.Div:
    r2 = _("R² = {r2:.2f} [{low:.2f}–{high:.2f}]").format(r2=result.r2, low=result.r2_low, high=result.r2_high)
    respondent = result.model == "respondent"
    model = _("respondent-level model") if respondent else _("segment-period model")
    unit = _("respondents") if respondent else _("cells")
    n = _("n = {n} {unit}").format(n=_count(result.n), unit=unit)
    if result.effective_n < result.n:
        n += " " + _("(each correlation on at least {least})").format(least=_count(result.effective_n))
    facts = _("{what} · {model} · {method} · missing answers {missing} · {r2} · {n} ({filters})").format(
        what=shown.what_drives(), model=model, method=METHODS[result.method], missing=result.missing, r2=r2, n=n,
        filters=filters)
    share = ""
    if shown.binary:
        estimate = result.outcome_share()
        share = html.Div(_("{measure} {value:.1f} % [{low:.1f}–{high:.1f}], n = {n} answers").format(
            measure=shown.measure(), value=estimate.value, low=estimate.low, high=estimate.high,
            n=_count(estimate.n)), id="dr-share")
    excluded = [html.Li(f"{key}: {reason}") for key, reason in result.excluded.items()]
    return html.Div([
        html.Div(facts, id="dr-facts"),
        share,
        dbc.Alert(result.note, color="info" if respondent else "warning", className="py-2 my-1", id="dr-note"),
        html.Details([html.Summary(_("{n} touchpoints left out").format(n=len(excluded))), html.Ul(excluded)],
                     className="text-muted") if excluded else "",
    ])


def _table(ranked, names: dict[str, str], journey, metric: str, journey_id: int, model: str) -> dbc.Table:
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
            html.Td(_count(record.base), className="dr-base"),
            html.Td(f"{formatting.value(record.performance, metric)} (n = {_count(record.answers)})"),
            html.Td(owners.get(record.touchpoint, "")),
            html.Td(record.reason),
            html.Td(dcc.Link(_("+ action"), href=new_action_href(draft, journey_id), className="small dr-action")),
        ]))
    # The importance of a touchpoint rests first on those who rated it: with pairwise answers, fewer than n.
    based = (html.Th(_("Respondents"), title=_("Respondents who rated the touchpoint: its importance rests on them"))
             if model == "respondent" else html.Th(_("Cells"), title=_("Cells with the touchpoint rated")))
    header = html.Thead(html.Tr([html.Th(_("#")), html.Th(_("Touchpoint")), html.Th(_("Quadrant")),
                                 html.Th(_("Importance")), based, html.Th(_("Performance")), html.Th(_("Owner")),
                                 html.Th(_("Why")), html.Th("")]))
    return dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, className="small", id="dr-table")
