"""Drivers page: which touchpoints move the dataset's overall outcome most, and the importance × performance
priorities."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from cxweb.pages import _busy, _empty, _filters
from cxweb.pages._context import new_action_href, workspace
from cxweb.pages._filters import group
from workbench.core import formatting, metrics
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _
from workbench.export import figures
from workbench.features import drivers

dash.register_page(
    __name__,
    path="/drivers",
    name=N_("Drivers"),
    order=4,
    icon="fa-bullseye",
    title=lambda **_path: _("Drivers · CX Journey Workbench"),
)


def layout(**_query) -> html.Div:
    """Filter bar, what to explain with which ratings, then the matrix, the importances and the priorities."""

    return html.Div(
        [
            _filters.filter_bar("dr", metric=False),
            html.Div(
                [
                    group(_("Explain"), dbc.Select(id="dr-outcome", options=[]), "22rem"),
                    group(
                        _("by touchpoint"),
                        dbc.Select(
                            id="dr-metric",
                            value="csat",
                            options=[{"label": metrics.NAMES[m], "value": m} for m in drivers.DRIVER_METRICS],
                        ),
                    ),
                    group(
                        _("Method"),
                        dbc.Select(
                            id="dr-method",
                            value="lmg",
                            options=[{"label": v, "value": k} for k, v in drivers.METHODS.items()],
                        ),
                        "16rem",
                    ),
                    group(
                        _("Missing answers"),
                        dbc.Select(
                            id="dr-missing",
                            value="pairwise",
                            options=[{"label": v, "value": k} for k, v in drivers.MISSING.items()],
                        ),
                        "26rem",
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            _busy.busy(
                [
                    html.Div(id="dr-summary", className="small mb-2"),
                    dbc.Row(
                        [
                            dbc.Col(
                                dcc.Graph(id="dr-matrix", config={"displaylogo": False}, style={"height": "460px"}),
                                lg=7,
                            ),
                            dbc.Col(
                                dcc.Graph(id="dr-bars", config={"displaylogo": False}, style={"height": "460px"}), lg=5
                            ),
                        ]
                    ),
                    html.H5(_("Priorities"), className="mt-2"),
                    html.Div(id="dr-priorities"),
                ],
                delay_show=300,
            ),
        ]
    )


_filters.register("dr")


@callback(
    Output("dr-outcome", "options"),
    Output("dr-outcome", "value"),
    Input("dr-dataset", "value"),
    State("dr-outcome", "value"),
)
def offer_outcomes(dataset_id, current):
    """The dataset's overall outcome as mapped to explain, and for NPS also promoter or not."""
    if not dataset_id:
        return [], None
    options = [
        {"label": label, "value": value} for label, value in drivers.outcome_choices(workspace(), int(dataset_id))
    ]
    values = [option["value"] for option in options]
    return options, current if current in values else values[0]


@callback(
    Output("dr-summary", "children"),
    Output("dr-matrix", "figure"),
    Output("dr-bars", "figure"),
    Output("dr-priorities", "children"),
    Input("dr-selection", "data"),
    Input("dr-outcome", "value"),
    Input("dr-metric", "value"),
    Input("dr-method", "value"),
    Input("dr-missing", "value"),
    # A job (a thread locally, a Celery task on a team stack): a bootstrap over a large survey takes seconds.
    background=True,
    interval=250,
)
def analyse(selection, explain, metric, method, missing="pairwise"):
    """Relative importance of the touchpoints for the dataset's overall outcome, with intervals and priorities."""
    chosen = _filters.resolve(selection)
    if chosen is None:
        return "", figures.empty(), figures.empty(), ""
    found = drivers.analyse(workspace(), chosen, int(selection["dataset"]), explain, metric, method, missing)
    if found.no_overall:  # nothing to explain: say what to import
        message = _("No overall outcome in this survey")
        return (_empty.notice(_empty.NO_OVERALL, "dr-no-overall"), figures.empty(message), figures.empty(message), "")
    if found.result is None:
        return dbc.Alert(found.error, color="warning"), figures.empty(), figures.empty(), ""
    matrix = figures.priority_matrix(found.ranked, found.names, metric)
    # The outcome's name is the user's text: escaped, as every plotly label is (plotly reads titles as HTML).
    matrix.update_layout(
        title_text=figures.label(_("{what}: importance × performance").format(what=found.shown.what_drives()))
    )
    bars = figures.importance_bars(found.ranked, found.names)
    bars.update_layout(
        title_text=figures.label(
            _("{what}: share of explained variance, {level} percentile bootstrap interval").format(
                what=found.shown.what_drives(), level=formatting.percent(found.result.confidence * 100)
            )
        )
    )
    return _summary(found), matrix, bars, _table(found, metric, selection["journey"])


def _summary(found: drivers.Drivers) -> html.Div:
    result, shown = found.result, found.shown
    r2 = _("R² = {r2} [{low}–{high}]").format(
        r2=formatting.number(result.r2, 2),
        low=formatting.number(result.r2_low, 2),
        high=formatting.number(result.r2_high, 2),
    )
    respondent = result.model == "respondent"
    model = _("respondent-level model") if respondent else _("segment-period model")
    count = formatting.count(result.n)
    if result.effective_n < result.n:
        least = formatting.count(result.effective_n)
        n = (
            ngettext(
                "n = {n} respondent (each correlation on at least {least})",
                "n = {n} respondents (each correlation on at least {least})",
                result.n,
            )
            if respondent
            else ngettext(
                "n = {n} cell (each correlation on at least {least})",
                "n = {n} cells (each correlation on at least {least})",
                result.n,
            )
        ).format(n=count, least=least)
    else:
        n = (
            ngettext("n = {n} respondent", "n = {n} respondents", result.n)
            if respondent
            else ngettext("n = {n} cell", "n = {n} cells", result.n)
        ).format(n=count)
    facts = _("{what} · {model} · {method} · missing answers {missing} · {r2} · {n} ({filters})").format(
        what=shown.what_drives(),
        model=model,
        method=drivers.METHODS[result.method],
        missing=drivers.MISSING_SHORT[result.missing] if result.missing in drivers.MISSING_SHORT else result.missing,
        r2=r2,
        n=n,
        filters=found.filters,
    )
    share = ""
    if shown.binary:
        estimate = result.outcome_share()
        share = html.Div(
            ngettext(
                "{measure} {value} % [{low}–{high}], n = {n} answer",
                "{measure} {value} % [{low}–{high}], n = {n} answers",
                estimate.n,
            ).format(
                measure=shown.measure(),
                value=formatting.number(estimate.value, 1),
                low=formatting.number(estimate.low, 1),
                high=formatting.number(estimate.high, 1),
                n=formatting.count(estimate.n),
            ),
            id="dr-share",
        )
    names = found.names or {}
    excluded = [html.Li(f"{names.get(key, key)}: {reason}") for key, reason in result.excluded.items()]
    return html.Div(
        [
            html.Div(facts, id="dr-facts"),
            share,
            dbc.Alert(result.note, color="info" if respondent else "warning", className="py-2 my-1", id="dr-note"),
            html.Div(drivers.method_note(result), className="text-muted", id="dr-method-note"),
            html.Details(
                [
                    html.Summary(
                        ngettext("{n} touchpoint left out", "{n} touchpoints left out", len(excluded)).format(
                            n=formatting.count(len(excluded))
                        )
                    ),
                    html.Ul(excluded),
                ],
                className="text-muted",
            )
            if excluded
            else "",
        ]
    )


def _table(found: drivers.Drivers, metric: str, journey_id: int) -> dbc.Table:
    rows = []
    for record in found.ranked.sort_values("priority").itertuples():
        share = _("{share} [{low}–{high}]").format(
            share=formatting.percent(record.share * 100, 1),
            low=formatting.number(record.share_low * 100, 1),
            high=formatting.number(record.share_high * 100, 1),
        )
        rows.append(
            html.Tr(
                [
                    html.Td(str(record.priority)),
                    html.Td(found.names.get(record.touchpoint, record.touchpoint)),
                    html.Td(
                        dbc.Badge(
                            _(record.quadrant), style={"backgroundColor": figures.QUADRANT_COLOURS[record.quadrant]}
                        )
                    ),
                    html.Td(share),
                    html.Td(
                        drivers.verdict(record.matters, record.p_adjusted),
                        className="dr-matters" if record.matters else "dr-matters text-muted",
                    ),
                    html.Td(formatting.count(record.base), className="dr-base"),
                    html.Td(
                        _("{value} (n = {n})").format(
                            value=formatting.value(record.performance, metric), n=formatting.count(record.answers)
                        )
                    ),
                    html.Td(found.owners.get(record.touchpoint, "")),
                    html.Td(record.reason),
                    html.Td(
                        dcc.Link(
                            _("+ action"),
                            href=new_action_href(found.drafts[record.touchpoint], journey_id),
                            className="small dr-action text-nowrap",
                        )
                    ),
                ]
            )
        )
    # The importance of a touchpoint rests first on those who rated it: with pairwise answers, fewer than n.
    based = (
        html.Th(_("Respondents"), title=_("Respondents who rated the touchpoint: its importance rests on them"))
        if found.result.model == "respondent"
        else html.Th(_("Cells"), title=_("Cells with the touchpoint rated"))
    )
    header = html.Thead(
        html.Tr(
            [
                html.Th(_("#")),
                html.Th(_("Touchpoint")),
                html.Th(_("Quadrant")),
                html.Th(
                    _("Importance [{level} interval]").format(level=formatting.percent(found.result.confidence * 100)),
                    title=_("Share of the explained variance, with its percentile bootstrap interval"),
                ),
                html.Th(
                    _("Matters?"),
                    title=_(
                        "Does the touchpoint add to the explained variance once every other touchpoint is in? "
                        "Holm-adjusted p-value of its coefficient (see the method note above)."
                    ),
                ),
                based,
                html.Th(_("Performance")),
                html.Th(_("Owner")),
                html.Th(_("Why")),
                html.Th(""),
            ]
        )
    )
    return dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, className="small", id="dr-table")
