"""ROI page: a scenario from touchpoint score changes to money, with its uncertainty, saved and compared."""

from __future__ import annotations

from dataclasses import replace

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages import _busy, _empty, _locale
from cxweb.pages._context import author, workspace
from cxweb.pages._filters import group
from cxweb.pages._pickers import project_picker, user_box
from workbench.core import formatting, i18n, metrics
from workbench.core.errors import WorkspaceError
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _
from workbench.core.scenario import DRIVER_METRICS, Assumptions, Scenario, currency_code
from workbench.export import figures
from workbench.features import roi

dash.register_page(
    __name__,
    path="/roi",
    name=N_("ROI"),
    order=8,
    icon="fa-coins",
    title=lambda **_path: _("ROI · CX Journey Workbench"),
)

DEFAULTS = {
    "name": "",
    "metric": "csat",
    "overall": 0,
    "link": "log",
    "lag": 0,
    "base": None,
    "value": 0.3,
    "cost": 100_000,
    "months": 24,
    "discount": 8,
}
FORM_DEFAULTS = Assumptions(
    value_per_unit=DEFAULTS["value"], months=DEFAULTS["months"], discount=DEFAULTS["discount"] / 100
)  # what a blank money field stands for
CHANGES = {"type": "roi-change", "tp": ALL}
ASSUMED = [
    ("roi-overall", "value"),
    ("roi-base", "value"),
    ("roi-value", "value"),
    ("roi-cost", "value"),
    ("roi-months", "value"),
    ("roi-discount", "value"),
    ("roi-currency", "value"),
]
CHOSEN = [
    ("roi-name", "value"),
    ("roi-journey", "value"),
    ("roi-kpi-dataset", "value"),
    ("roi-kpi", "value"),
    ("roi-segment", "value"),
    ("roi-link", "value"),
    ("roi-lag", "value"),
    ("roi-metric", "value"),
]
CURRENCIES = ("CZK", "PLN", "EUR")  # offered first; any other ISO code can be typed
# "change in %", not "% change": babel would take "% c" for a printf placeholder the translations lack.
LINKS = i18n.Labels({"log": N_("change in % (log KPI)"), "linear": N_("units (linear)")})
CAUSALITY = N_(
    "These links are observational: segments and months with a higher NPS also bring more of the KPI, but "
    "part of that can have other causes (a better-run branch has happier customers and more sales). Read "
    "the result as an estimate to test: run the action in some segments first and check it with the "
    "before/after verification on the Actions page; a verified change can then replace the assumed one."
)
FORMULAS = [
    N_(
        "Overall NPS change: ΔNPS = Σ slope × change × reach, where a slope is the overall NPS points one more rating "
        "point at a touchpoint brings (respondents' promoter +100 / passive 0 / detractor −100 regressed on their "
        "touchpoint ratings) and reach is the share of journey respondents who rated the touchpoint."
    ),
    N_(
        "KPI change per month: with a log link, KPI today × (exp(b × ΔNPS) − 1); with a linear link, segments × b × "
        "ΔNPS, where b is the KPI's change per NPS point within segments over time (segment and month fixed "
        "effects, errors clustered by segment)."
    ),
    N_("Profit per month = KPI change × value per KPI unit; gains start after the lag."),
    N_(
        "NPV = Σ profit per month / (1 + r)^(m/12) over the horizon − cost; ROI = NPV / cost; payback = months "
        "until undiscounted profit reaches the cost."
    ),
    N_(
        "Uncertainty: 10 000 draws of the slopes (joint normal) and of b (t with segments − 1 degrees of freedom) "
        "give P10, P50 and P90 and the share of draws with ROI > 0. The assumptions are not drawn: the tornado "
        "chart shows how much each one moves the NPV."
    ),
    N_(
        "A customer's lifetime value (for churn): margin × r / (1 + d − r) with retention r and discount d per "
        "year; a churn point per segment is worth −CLV × customers per segment / 100."
    ),
]


def layout(scenario: str | None = None, action: str | None = None, **_query) -> html.Div:
    """Scenario picker, the assumptions form, the result with its charts, and the comparison of saved scenarios."""
    opening = {
        "scenario": int(scenario) if str(scenario or "").isdigit() else None,
        "action": int(action) if str(action or "").isdigit() else None,
    }

    def number(id_: str, value, **extra) -> dbc.Input:
        return dbc.Input(id=id_, type="number", value=value, debounce=True, size="sm", **extra)

    def decimal(id_: str, value) -> dbc.Input:
        return _locale.decimal_input(id_, value, debounce=True, size="sm")

    form = dbc.Card(
        dbc.CardBody(
            [
                html.H6(_("Scenario")),
                dbc.Input(
                    id="roi-name",
                    placeholder=_("Name, e.g. “Courier coaching”"),
                    size="sm",
                    className="mb-2",
                    maxLength=200,
                ),
                group(_("From an action card"), dbc.Select(id="roi-action", options=[], value=None), "100%"),
                html.H6(_("Score change"), className="mt-3"),
                group(
                    _("Touchpoint ratings in"),
                    dbc.Select(
                        id="roi-metric",
                        value=DEFAULTS["metric"],
                        options=[{"label": metrics.NAMES[m], "value": m} for m in DRIVER_METRICS],
                    ),
                    "100%",
                ),
                html.Div(id="roi-changes", className="mt-2"),
                group(_("or overall NPS change"), decimal("roi-overall", DEFAULTS["overall"]), "100%"),
                html.H6(_("KPI and its link to the NPS"), className="mt-3"),
                group(_("KPI data"), dbc.Select(id="roi-kpi-dataset", options=[]), "100%"),
                html.Div(
                    [
                        group(_("KPI"), dbc.Select(id="roi-kpi", options=[]), "48%"),
                        group(_("per"), dbc.Select(id="roi-segment", options=[]), "48%"),
                    ],
                    className="d-flex gap-1 mt-1",
                ),
                html.Div(
                    [
                        dbc.RadioItems(
                            id="roi-link",
                            value=DEFAULTS["link"],
                            inline=True,
                            className="small",
                            options=[{"label": v, "value": k} for k, v in LINKS.items()],
                        ),
                        group(_("Lag (months)"), number("roi-lag", DEFAULTS["lag"], min=0, max=12, step=1), "9rem"),
                    ],
                    className="d-flex flex-wrap gap-2 align-items-center mt-1",
                ),
                html.H6(_("Money"), className="mt-3"),
                group(
                    html.Span(_("KPI per month today"), id="roi-base-label"),
                    decimal("roi-base", DEFAULTS["base"]),
                    "100%",
                ),
                group(_("Value per KPI unit"), decimal("roi-value", DEFAULTS["value"]), "100%"),
                html.Details(
                    [
                        html.Summary(_("Value of a churn point from a customer's lifetime value"), className="small"),
                        html.Div(
                            [
                                group(_("Margin per customer and year"), decimal("roi-clv-margin", 600), "100%"),
                                group(
                                    _("Retention per year"),
                                    decimal("roi-clv-retention", 0.8),
                                    "100%",
                                ),
                                group(
                                    _("Customers per segment"),
                                    number("roi-clv-customers", 20_000, min=0, step=1),
                                    "100%",
                                ),
                                dbc.Button(
                                    _("Use as value per KPI unit"),
                                    id="roi-clv-use",
                                    size="sm",
                                    color="secondary",
                                    className="mt-1",
                                ),
                                html.Div(id="roi-clv-text", className="small text-muted mt-1"),
                            ],
                            className="mt-1",
                        ),
                    ],
                    className="mt-1",
                ),
                html.Div(
                    [
                        group(_("Cost"), decimal("roi-cost", DEFAULTS["cost"]), "64%"),
                        group(
                            html.Span(_("Currency"), title=_("The currency of the value per unit and the cost")),
                            html.Div(
                                [
                                    dbc.Input(
                                        id="roi-currency",
                                        value=formatting.default_currency(),
                                        list="roi-currencies",
                                        maxLength=3,
                                        debounce=True,
                                        size="sm",
                                        placeholder=formatting.default_currency(),
                                    ),
                                    html.Datalist(
                                        [html.Option(value=code) for code in CURRENCIES], id="roi-currencies"
                                    ),
                                ]
                            ),
                            "32%",
                        ),
                    ],
                    className="d-flex gap-1 mt-1",
                ),
                html.Div(
                    [
                        group(
                            _("Horizon (months)"),
                            number("roi-months", DEFAULTS["months"], min=1, max=120, step=1),
                            "48%",
                        ),
                        group(
                            _("Discount % / year"),
                            decimal("roi-discount", DEFAULTS["discount"]),
                            "48%",
                        ),
                    ],
                    className="d-flex gap-1 mt-1",
                ),
                html.Div(
                    [
                        dbc.Button(
                            [html.I(className="fa-solid fa-floppy-disk me-1"), _("Save")],
                            id="roi-save",
                            size="sm",
                            color="primary",
                        ),
                        dbc.Button(_("Save as new"), id="roi-save-new", size="sm", color="secondary", outline=True),
                        dbc.Button(_("Delete"), id="roi-delete", size="sm", color="danger", outline=True),
                    ],
                    className="d-flex gap-2 mt-3",
                ),
                html.Div(id="roi-message", className="small mt-2"),
            ]
        ),
        className="mb-3",
    )

    result = html.Div(
        [
            html.Div(id="roi-empty"),
            html.Div(
                [
                    html.Div(id="roi-verdict"),
                    dbc.Row(id="roi-figures", className="g-2 mb-2"),
                    html.Div(id="roi-evidence-text", className="small mb-2"),
                    dbc.Row(
                        [
                            dbc.Col(
                                dcc.Graph(
                                    id="roi-waterfall",
                                    config={"displaylogo": False},
                                    style={"height": "340px"},
                                    figure=figures.empty(),
                                ),
                                lg=6,
                            ),
                            dbc.Col(
                                dcc.Graph(
                                    id="roi-tornado",
                                    config={"displaylogo": False},
                                    style={"height": "340px"},
                                    figure=figures.empty(),
                                ),
                                lg=6,
                            ),
                        ]
                    ),
                    dbc.Alert(_(CAUSALITY), color="light", className="small border mt-2", id="roi-causality"),
                    html.Details(
                        [
                            html.Summary(_("How the numbers are computed")),
                            html.Ul([html.Li(_(text)) for text in FORMULAS], className="small"),
                        ],
                        className="mb-3",
                    ),
                ],
                id="roi-result",
            ),
        ]
    )

    return html.Div(
        [
            dcc.Store(id="roi-opening", data=opening),
            dcc.Store(id="roi-evidence"),
            dcc.Store(id="roi-pending"),
            dcc.Store(id="roi-loaded"),
            dcc.Store(id="roi-tick", data=0),
            dcc.Download(id="roi-download"),
            html.Div(
                [
                    group(
                        _("Project"),
                        project_picker("roi-project", persistence=True, persistence_type="session"),
                        "14rem",
                    ),
                    group(_("Journey"), dbc.Select(id="roi-journey", options=[]), "14rem"),
                    group(
                        _("Open"), dbc.Select(id="roi-open", options=[], placeholder=_("a saved scenario…")), "18rem"
                    ),
                    dbc.Button(
                        [html.I(className="fa-solid fa-plus me-1"), _("New scenario")],
                        id="roi-new",
                        size="sm",
                        color="secondary",
                        outline=True,
                    ),
                    group(
                        _("You are"),
                        user_box("roi-user"),
                        "15rem",
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-3",
            ),
            dbc.Row([dbc.Col(form, lg=4), dbc.Col(_busy.busy(result, delay_show=400), lg=8)]),
            html.H5(_("Compare saved scenarios")),
            html.Div(
                [
                    html.Div(
                        dcc.Dropdown(
                            labels=_locale.dropdown_labels(),
                            id="roi-compare-pick",
                            multi=True,
                            options=[],
                            placeholder=_("Choose saved scenarios to compare…"),
                        ),
                        style={"minWidth": "28rem", "flex": "1"},
                    ),
                    dbc.Button(
                        [html.I(className="fa-solid fa-file-csv me-1"), _("Download CSV")],
                        id="roi-compare-csv",
                        size="sm",
                        color="secondary",
                        outline=True,
                    ),
                ],
                className="d-flex gap-2 align-items-center mb-2",
            ),
            html.Div(id="roi-compare"),
            _repeat_card(),
        ]
    )


def _repeat_card() -> dbc.Card:
    """The card linking a touchpoint's score to repeat purchases: touchpoint, metric, source and window choosers,
    the rates per score group with their intervals, and the numbers in words."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.H5(_("Score after a touchpoint → repeat purchase"), id="roi-rp-title"),
                html.Div(
                    [
                        group(_("Touchpoint"), dbc.Select(id="roi-rp-touchpoint", options=[]), "16rem"),
                        group(_("Score"), dbc.Select(id="roi-rp-metric", options=[]), "9rem"),
                        group(_("Repeat purchases from"), dbc.Select(id="roi-rp-source", options=[]), "24rem"),
                        html.Div(
                            group(
                                _("within (months)"),
                                dbc.Input(
                                    id="roi-rp-months",
                                    type="number",
                                    min=1,
                                    max=60,
                                    step=1,
                                    debounce=True,
                                    value=roi.REPEAT_MONTHS,
                                ),  # fmt: skip
                                "10rem",
                            ),
                            id="roi-rp-window",
                            style={"display": "none"},
                        ),
                    ],
                    className="d-flex flex-wrap align-items-center gap-2 mb-2",
                ),
                dbc.Row(
                    [
                        dbc.Col(
                            dcc.Graph(
                                id="roi-rp-chart",
                                config={"displaylogo": False},
                                style={"height": "300px"},
                                figure=figures.empty(),
                            ),
                            lg=5,
                        ),
                        dbc.Col(html.Div(id="roi-rp-text", className="small"), lg=7),
                    ]
                ),
            ]
        ),
        className="mt-3 mb-3",
        id="roi-repeat",
    )


# ------------------------------------------------------------------ choices


@callback(
    Output("roi-journey", "options"),
    Output("roi-journey", "value"),
    Input("roi-project", "value"),
    State("roi-opening", "data"),
)
def choose_project(project_id, opening):
    """The project's journeys; a scenario or card opened from a link chooses its own journey."""
    if not project_id:
        return [], None
    journeys, chosen = roi.opening_journey(
        workspace(), int(project_id), (opening or {}).get("scenario"), (opening or {}).get("action")
    )
    return [{"label": name, "value": id_} for name, id_ in journeys], chosen


@callback(
    Output("roi-open", "options"),
    Output("roi-action", "options"),
    Output("roi-kpi-dataset", "options"),
    Output("roi-kpi-dataset", "value"),
    Output("roi-compare-pick", "options"),
    Input("roi-journey", "value"),
    Input("roi-tick", "data"),
    State("roi-project", "value"),
    State("roi-kpi-dataset", "value"),
)
def choose_journey(journey_id, _tick, project_id, dataset):
    """Saved scenarios and action cards of the journey, and the project's KPI datasets."""
    if not (project_id and journey_id):
        return [], [], [], None, []
    found = roi.journey_choices(workspace(), int(project_id), int(journey_id))
    names = found.kpi_datasets
    scenario_options = [{"label": s.scenario.name, "value": s.id} for s in found.saved]
    return (
        scenario_options,
        [{"label": a.title, "value": a.id} for a in found.cards],
        [{"label": n, "value": n} for n in names],
        dataset if dataset in names else (names[0] if names else None),
        scenario_options,
    )


@callback(
    Output("roi-kpi", "options"),
    Output("roi-kpi", "value"),
    Output("roi-segment", "options"),
    Output("roi-segment", "value"),
    Input("roi-kpi-dataset", "value"),
    State("roi-project", "value"),
    State("roi-kpi", "value"),
    State("roi-segment", "value"),
)
def choose_kpi_dataset(name, project_id, kpi, segment):
    """The dataset's KPI and segment columns (the current choice kept when the dataset has it)."""
    if not project_id:
        return [], None, [], None
    found = roi.kpi_columns(workspace(), int(project_id), name, kpi, segment)
    return (
        [{"label": k.replace("_", " "), "value": k} for k in found.kpis],
        found.kpi,
        [{"label": s, "value": s} for s in found.segments],
        found.segment,
    )


# ------------------------------------------------------------------ opening a scenario


@callback(
    Output("roi-name", "value"),
    Output("roi-metric", "value"),
    Output("roi-pending", "data"),
    Output("roi-overall", "value"),
    Output("roi-kpi-dataset", "value", allow_duplicate=True),
    Output("roi-kpi", "value", allow_duplicate=True),
    Output("roi-segment", "value", allow_duplicate=True),
    Output("roi-link", "value"),
    Output("roi-lag", "value"),
    Output("roi-base", "value"),
    Output("roi-value", "value"),
    Output("roi-cost", "value"),
    Output("roi-months", "value"),
    Output("roi-discount", "value"),
    Output("roi-currency", "value"),
    Output("roi-loaded", "data"),
    Output("roi-message", "children"),
    Input("roi-open", "value"),
    Input("roi-new", "n_clicks"),
    Input("roi-action", "value"),
    Input("roi-opening", "data"),
    State("roi-journey", "value"),
    State("roi-kpi-dataset", "value"),
    State("roi-kpi", "value"),
    State("roi-value", "value"),
    State("roi-months", "value"),
    State("roi-discount", "value"),
    State("roi-currency", "value"),
    prevent_initial_call="initial_duplicate",
)
def open_scenario(saved_id, _new, action_id, opening, journey_id, dataset, kpi, value, months, discount, currency):
    """Fill the form from a saved scenario, from an action card, or with a new scenario's defaults."""
    ws = workspace()
    trigger = ctx.triggered_id or "roi-opening"  # None on the page's first call
    try:
        if trigger == "roi-opening" and opening and opening.get("scenario"):
            saved_id, trigger = opening["scenario"], "roi-open"
        elif trigger == "roi-opening" and opening and opening.get("action"):
            action_id, trigger = opening["action"], "roi-action"
        if trigger == "roi-open" and saved_id:
            saved = roi.saved(ws, int(saved_id))
            return (
                *_form(saved.scenario),
                {
                    "id": saved.id,
                    "version": saved.version,
                    "project": saved.project_id,
                    "journey": saved.scenario.journey_id,
                },
                _("Opened “{name}” (saved by {who}).").format(name=saved.scenario.name, who=saved.updated_by),
            )
        if trigger == "roi-action" and action_id:
            value, discount = (_locale.decimal_or_none(x) for x in (value, discount))  # else the defaults
            taken = roi.from_card(
                ws,
                int(action_id),
                int(journey_id or 0),
                dataset or "",
                kpi or "",
                value=value,
                months=months,
                discount_percent=discount,
                defaults=FORM_DEFAULTS,
                currency=currency,
            )
            note = {
                "nps": _(
                    "Taken from the card “{title}”: its change is in NPS points at the touchpoint, which "
                    "have no exact rating equivalent; enter the change in 0–10 rating points."
                ),
                "verified": _("Taken from the card “{title}”: its verified change."),
                "expected": _("Taken from the card “{title}”: its expected change (not verified yet)."),
            }
            return (*_form(taken.scenario, base_from_data=True), None, note[taken.source].format(title=taken.title))
    except WorkspaceError as error:
        return (*([no_update] * 16), dbc.Alert(str(error), color="warning", className="py-1"))
    if trigger == "roi-opening":
        return (*([no_update] * 15), None, "")
    return (
        DEFAULTS["name"],
        DEFAULTS["metric"],
        {"changes": {}},
        formatting.editable(DEFAULTS["overall"]),
        no_update,
        no_update,
        no_update,
        DEFAULTS["link"],
        DEFAULTS["lag"],
        formatting.editable(DEFAULTS["base"]),
        formatting.editable(DEFAULTS["value"]),
        formatting.editable(DEFAULTS["cost"]),
        DEFAULTS["months"],
        formatting.editable(DEFAULTS["discount"]),
        no_update,  # a new scenario keeps the currency on screen
        None,
        "",
    )


def _form(scenario, base_from_data: bool | None = None) -> tuple:
    """The form's values for a scenario (the first 15 outputs of :func:`open_scenario`)."""
    a = scenario.assumptions
    from_data = scenario.base_from_data if base_from_data is None else base_from_data
    pending = {"changes": dict(a.changes), "action": scenario.action_id}
    return (
        scenario.name,
        scenario.driver_metric,
        pending,
        formatting.editable(a.overall_change),
        scenario.kpi_dataset or no_update,
        scenario.kpi or no_update,
        scenario.segment,
        "log" if scenario.log_kpi else "linear",
        scenario.lag,
        None if from_data else formatting.editable(a.base),
        formatting.editable(a.value_per_unit),
        formatting.editable(a.cost),
        a.months,
        formatting.editable(round(a.discount * 100, 6)),
        scenario.currency,
    )


# ------------------------------------------------------------------ evidence and the changes table


@callback(
    Output("roi-evidence", "data"),
    Output("roi-changes", "children"),
    Output("roi-base-label", "children"),
    Output("roi-base", "placeholder"),
    Output("roi-empty", "children"),
    Output("roi-result", "style"),
    Input("roi-journey", "value"),
    Input("roi-kpi-dataset", "value"),
    Input("roi-kpi", "value"),
    Input("roi-segment", "value"),
    Input("roi-link", "value"),
    Input("roi-lag", "value"),
    Input("roi-metric", "value"),
    Input("roi-pending", "data"),
    State("roi-project", "value"),
    State(CHANGES, "value"),
    State(CHANGES, "id"),
)
def gather(journey_id, dataset, kpi, segment, link, lag, metric, pending, project_id, values, ids):
    """Estimate the links for the chosen KPI and list the model's touchpoints with their change inputs; data the
    chain cannot run on hides the result and says what to import."""
    label = _("KPI per month today") if link != "linear" else _("Segment rows per month")
    hidden = {"display": "none"}
    ws = workspace()
    missing = roi.blocker(ws, int(project_id), int(journey_id)) if project_id and journey_id else None
    if missing is not None:
        return None, "", label, "", _notice(missing), hidden
    if not (project_id and journey_id and dataset and kpi and segment):
        return (
            None,
            dbc.Alert(
                _("Choose a KPI dataset, a KPI and the column that matches its rows to the survey."),
                color="info",
                className="small py-2",
            ),
            label,
            "",
            "",
            hidden,
        )
    scenario = Scenario(
        name="",
        journey_id=int(journey_id),
        kpi_dataset=dataset,
        kpi=kpi,
        segment=segment,
        log_kpi=link != "linear",
        lag=int(lag or 0),
        driver_metric=metric or "csat",
    )
    try:
        found = roi.gather(ws, int(project_id), scenario)
    except ValueError as error:
        return None, dbc.Alert(str(error), color="warning", className="small py-2"), label, "", "", hidden
    # A scenario just opened brings its changes; otherwise the inputs on screen keep theirs.
    current = (
        (pending or {}).get("changes")
        if "roi-pending.data" in ctx.triggered_prop_ids
        else {i["tp"]: v for i, v in zip(ids, values, strict=True)}
    )
    current = {key: value for key, value in (current or {}).items() if value not in (None, "")}
    return (
        found.evidence.to_dict(),
        _changes_table(found.evidence, current, found.names, metric),
        label,
        _("from data: {value}").format(value=formatting.money(found.base)),
        "",
        {},
    )


def _notice(missing: roi.Blocker) -> dbc.Alert:
    """What to import when the project's data cannot carry the chain."""
    sentence, id_ = {
        roi.NO_SURVEY: (_empty.NO_SURVEY, "roi-no-survey"),
        roi.NO_OVERALL: (_empty.NO_OVERALL, "roi-no-overall"),
        roi.NOT_NPS: (_empty.NOT_NPS, "roi-not-nps"),
        roi.NO_KPIS: (_empty.NO_KPIS, "roi-no-kpis"),
    }[missing.kind]
    return _empty.notice(sentence, id_, **({"outcome": missing.outcome} if missing.kind == roi.NOT_NPS else {}))


def _changes_table(found, current: dict, names: dict[str, str], metric: str):
    """One row per touchpoint of the score model: its slope with interval, reach and the change input."""
    model = found.model
    if model is None:
        return dbc.Alert(found.model_note, color="warning", className="small py-2", id="roi-model-note")
    rows = []
    for key in sorted(model.touchpoints, key=lambda k: -model.slope(k)):
        low, high = model.interval(key)
        rows.append(
            html.Tr(
                [
                    html.Td(names.get(key, key)),
                    html.Td(
                        f"{formatting.number(model.slope(key), 1, signed=True)} [{formatting.number(low, 1, signed=True)}; "
                        f"{formatting.number(high, 1, signed=True)}]"
                    ),
                    html.Td(formatting.percent(model.reach[model.index(key)] * 100)),
                    html.Td(
                        _locale.decimal_input(
                            {"type": "roi-change", "tp": key},
                            current.get(key),
                            size="sm",
                            debounce=True,
                            placeholder="0",
                            style={"width": "5.5rem"},
                        )
                    ),
                ]
            )
        )
    left_out = [names.get(k, k) for k in current if k not in model.touchpoints]
    header = html.Thead(
        html.Tr(
            [
                html.Th(_("Touchpoint")),
                html.Th(_("NPS pts per point")),
                html.Th(_("Reach")),
                html.Th(_("Change ({metric})").format(metric=metrics.NAMES[metric])),
            ]
        )
    )
    return html.Div(
        [
            dbc.Table([header, html.Tbody(rows)], size="sm", className="small mb-1", id="roi-changes-table"),
            dbc.Alert(
                _(
                    "Not in the driver model (rated by too few respondents), so their change is not counted: {names}."
                ).format(names=", ".join(left_out)),
                color="warning",
                className="small py-1",
            )
            if left_out
            else "",
            html.Div(
                ngettext(
                    "Driver model: {n} respondent, R² = {r2}.", "Driver model: {n} respondents, R² = {r2}.", model.n
                ).format(n=formatting.count(model.n), r2=formatting.number(model.r2, 2)),
                className="small text-muted mb-2",
            ),
        ]
    )


# ------------------------------------------------------------------ the result


def _scenario(
    evidence,
    values,
    ids,
    overall,
    base,
    value,
    cost,
    months,
    discount,
    currency,
    name,
    journey_id,
    dataset,
    kpi,
    segment,
    lag,
    metric,
):
    """The form as a scenario and its evidence (base from the data when the field is empty); ValueError naming a
    typed amount that is not a number."""
    found = roi.Evidence.from_dict(evidence)
    read = _locale.read_decimal
    overall, base, value, cost, discount = (read(x) for x in (overall, base, value, cost, discount))
    values = [read(v) for v in values]
    scenario = roi.scenario_from_form(
        found,
        name=name or "",
        journey_id=int(journey_id),
        kpi_dataset=dataset,
        kpi=kpi,
        segment=segment,
        lag=lag,
        driver_metric=metric,
        changes={i["tp"]: v for i, v in zip(ids, values, strict=True)},
        overall=overall,
        base=base,
        value=value,
        cost=cost,
        months=months,
        discount_percent=discount,
        defaults=FORM_DEFAULTS,
        currency=currency,
    )
    return scenario, found


@callback(
    Output("roi-verdict", "children"),
    Output("roi-figures", "children"),
    Output("roi-evidence-text", "children"),
    Output("roi-waterfall", "figure"),
    Output("roi-tornado", "figure"),
    Input("roi-evidence", "data"),
    Input(CHANGES, "value"),
    *(Input(*field) for field in ASSUMED),
    State(CHANGES, "id"),
    *(State(*field) for field in CHOSEN),
)
def show(
    evidence,
    values,
    overall,
    base,
    value,
    cost,
    months,
    discount,
    currency,
    ids,
    name,
    journey_id,
    dataset,
    kpi,
    segment,
    _link,
    lag,
    metric,
):
    """Run the scenario: ROI, NPV and payback with P10–P90, the waterfall of the chain and the tornado."""
    if not evidence or not journey_id:
        return "", [], "", figures.empty(), figures.empty()
    try:
        scenario, found = _scenario(
            evidence,
            values,
            ids,
            overall,
            base,
            value,
            cost,
            months,
            discount,
            currency,
            name,
            journey_id,
            dataset,
            kpi,
            segment,
            lag,
            metric,
        )
        names = roi.touchpoint_names(workspace(), int(journey_id))
        shown = roi.result(scenario, found, names)
    except ValueError as error:
        return dbc.Alert(str(error), color="warning"), [], "", figures.empty(), figures.empty()
    return (
        _verdict(shown.outcome),
        _figures(shown.outcome, scenario),
        _evidence_text(found),
        figures.waterfall(shown.outcome, scenario.assumptions, names, scenario.currency),
        figures.tornado(shown.spread, shown.outcome.npv, scenario.currency),
    )


def _verdict(outcome):
    """The scenario's verdict, coloured by what it says: green only when the data support a scenario that pays."""
    found = roi.verdict(outcome)
    if found.kind == "pays":
        content = [html.I(className="fa-solid fa-circle-check me-2"), found.text]
    else:
        content = [html.I(className="fa-solid fa-triangle-exclamation me-2"), found.text]
    color = {"pays": "success", "uncertain": "warning"}.get(found.kind, "danger")
    return dbc.Alert(content, color=color, className="py-2", id="roi-supported")


def _figures(outcome, scenario: Scenario) -> list:
    """The four figure cards: ROI, NPV (in the scenario's currency), payback and the chance of ROI > 0."""
    assumptions = scenario.assumptions

    def card(title: str, value: str, spread: str, id_: str):
        return dbc.Col(
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(title, className="small text-muted"),
                        html.Div(value, className="fs-4 fw-semibold", id=id_),
                        html.Div(spread, className="small text-muted", id=f"{id_}-range"),
                    ],
                    className="py-2",
                )
            ),
            md=3,
            sm=6,
        )

    def months(value: float) -> str:
        return _("never") if value == float("inf") else formatting.number(value)

    p10, _p50, p90 = outcome.roi_range
    payback = (
        ngettext("not within {months} month", "not within {months} months", assumptions.months).format(
            months=formatting.count(assumptions.months)
        )
        if outcome.payback is None
        else ngettext("{months} month", "{months} months", outcome.payback).format(
            months=formatting.count(outcome.payback)
        )
    )
    return [
        card(
            _("ROI"),
            formatting.percent(outcome.roi),
            _("P10–P90: {low} to {high}").format(low=formatting.percent(p10), high=formatting.percent(p90)),
            "roi-roi",
        ),
        card(
            _("NPV"),
            roi.money(outcome.npv, scenario),
            _("P10–P90: {low} to {high}").format(
                low=roi.money(outcome.npv_range[0], scenario), high=roi.money(outcome.npv_range[2], scenario)
            ),
            "roi-npv",
        ),
        card(
            _("Payback"),
            payback,
            _("P10–P90: {low} to {high} months").format(
                low=months(outcome.payback_range[0]), high=months(outcome.payback_range[2])
            ),
            "roi-payback",
        ),
        card(
            _("Chance of ROI > 0"),
            formatting.percent(outcome.p_roi_positive * 100),
            _("overall NPS {change} [{low}; {high}]").format(
                change=formatting.value(outcome.nps_change, "nps"),
                low=formatting.value(outcome.nps_range[0], "nps"),
                high=formatting.value(outcome.nps_range[2], "nps"),
            ),
            "roi-chance",
        ),
    ]


def _evidence_text(found):
    return html.Div(
        [
            html.Div([html.Strong(_("Link: ")), found.link.sentence], id="roi-link-sentence"),
            html.Div(
                _("From {survey} and {kpis}.").format(survey=found.survey, kpis=found.kpi_source),
                className="text-muted",
            ),
        ]
    )


# ------------------------------------------------------------------ saving


@callback(
    Output("roi-loaded", "data", allow_duplicate=True),
    Output("roi-tick", "data"),
    Output("roi-message", "children", allow_duplicate=True),
    Input("roi-save", "n_clicks"),
    Input("roi-save-new", "n_clicks"),
    Input("roi-delete", "n_clicks"),
    State("roi-evidence", "data"),
    State(CHANGES, "value"),
    *(State(*field) for field in ASSUMED),
    State(CHANGES, "id"),
    *(State(*field) for field in CHOSEN),
    State("roi-project", "value"),
    State("roi-loaded", "data"),
    State("roi-user", "value"),
    State("roi-tick", "data"),
    State("roi-pending", "data"),
    prevent_initial_call=True,
)
def save(
    _save,
    _new,
    _delete,
    evidence,
    values,
    overall,
    base,
    value,
    cost,
    months,
    discount,
    currency,
    ids,
    name,
    journey_id,
    dataset,
    kpi,
    segment,
    _link,
    lag,
    metric,
    project_id,
    loaded,
    user,
    tick,
    pending,
):
    """Save the form as the open scenario (checking its version), as a new one, or delete the open one."""
    ws = workspace()
    try:
        if ctx.triggered_id == "roi-delete":
            if not loaded:
                return (
                    no_update,
                    no_update,
                    dbc.Alert(_("Open a saved scenario to delete it."), color="info", className="py-1"),
                )
            roi.delete(ws, int(project_id), loaded)
            return None, (tick or 0) + 1, dbc.Alert(_("Deleted."), color="success", className="py-1")
        if not evidence:
            return no_update, no_update, dbc.Alert(_("Choose a KPI first."), color="warning", className="py-1")
        scenario, _found = _scenario(
            evidence,
            values,
            ids,
            overall,
            base,
            value,
            cost,
            months,
            discount,
            currency,
            name,
            journey_id,
            dataset,
            kpi,
            segment,
            lag,
            metric,
        )
        saved = roi.save(
            ws,
            int(project_id),
            replace(scenario, action_id=(pending or {}).get("action")),
            author(user),
            loaded,
            as_new=ctx.triggered_id == "roi-save-new",
        )
    except (WorkspaceError, ValueError) as error:  # a stale version, or a typed amount that is not a number
        return no_update, no_update, dbc.Alert(str(error), color="warning", className="py-1")
    return (
        {"id": saved.id, "version": saved.version, "project": saved.project_id, "journey": saved.scenario.journey_id},
        (tick or 0) + 1,
        dbc.Alert(
            _("Saved “{name}”.").format(name=saved.scenario.name), color="success", className="py-1", id="roi-saved"
        ),
    )


@callback(
    Output("roi-value", "value", allow_duplicate=True),
    Output("roi-clv-text", "children"),
    Input("roi-clv-use", "n_clicks"),
    State("roi-clv-margin", "value"),
    State("roi-clv-retention", "value"),
    State("roi-clv-customers", "value"),
    State("roi-discount", "value"),
    State("roi-currency", "value"),
    prevent_initial_call=True,
)
def use_clv(_clicks, margin, retention, customers, discount, currency):
    """Value of one churn point per segment: −CLV × customers per segment / 100."""
    try:
        read = _locale.read_decimal
        lifetime, value = roi.churn_point(read(margin), read(retention), read(discount), customers)
    except ValueError as error:
        return no_update, str(error)
    return formatting.editable(value), _(
        "CLV = {clv} per customer, so one churn point per segment is worth {value}."
    ).format(
        clv=roi.money(lifetime, currency=currency_code(currency)),
        value=roi.money(value, currency=currency_code(currency)),
    )


# ------------------------------------------------------------------ comparing


@callback(
    Output("roi-compare", "children"),
    Input("roi-compare-pick", "value"),
    Input("roi-tick", "data"),
    State("roi-project", "value"),
)
def compare(chosen, _tick, project_id):
    """The chosen saved scenarios side by side, each recomputed on today's data."""
    table = _comparison(chosen, project_id)
    if isinstance(table, str):
        return dbc.Alert(table, color="warning", className="small py-1") if table else ""
    header = html.Thead(html.Tr([html.Th("")] + [html.Th(c) for c in table.columns]))
    # Each scenario's amounts in its own currency (the comparison's currency row).
    currencies = list(table.loc[roi.MEASURES["currency"]])
    body = html.Tbody(
        [
            html.Tr(
                [html.Th(label, className="fw-normal")]
                + [html.Td(_cell(label, v, currency)) for v, currency in zip(row, currencies, strict=True)]
            )
            for label, row in table.iterrows()
        ]
    )
    return dbc.Table([header, body], size="sm", bordered=True, className="small", id="roi-compare-table")


@callback(
    Output("roi-download", "data"),
    Input("roi-compare-csv", "n_clicks"),
    State("roi-compare-pick", "value"),
    State("roi-project", "value"),
    prevent_initial_call=True,
)
def download(_clicks, chosen, project_id):
    """The comparison as CSV (formula-safe cells)."""
    table = _comparison(chosen, project_id)
    if isinstance(table, str):
        return no_update
    return {"content": roi.to_csv(table), "filename": "roi-scenarios.csv"}


def _comparison(chosen, project_id):
    """The comparison frame of the chosen scenario ids, or a message."""
    if not (chosen and project_id):
        return ""
    try:
        return roi.comparison(workspace(), int(project_id), [int(i) for i in chosen])
    except ValueError as error:
        return str(error)


def _cell(label: str, value, currency: str) -> str:
    measures = roi.MEASURES
    if value is None or (isinstance(value, float) and value != value):
        return formatting.NONE
    if isinstance(value, bool):
        return _("yes") if value else _("no — see the scenario")
    if label in (measures[key] for key in roi.MONEY_MEASURES):
        return roi.money(value, currency=currency)
    if label == measures["p_roi_positive"]:
        return formatting.percent(value * 100)
    if label == measures["discount"]:
        return formatting.percent(value * 100, 1)
    if isinstance(value, float):
        return formatting.number(value, 1)
    return str(value)


# ------------------------------------------------------------------ score → repeat purchase


@callback(
    Output("roi-rp-touchpoint", "options"),
    Output("roi-rp-touchpoint", "value"),
    Output("roi-rp-metric", "options"),
    Output("roi-rp-metric", "value"),
    Output("roi-rp-source", "options"),
    Output("roi-rp-source", "value"),
    Input("roi-journey", "value"),
    State("roi-project", "value"),
    State("roi-rp-metric", "value"),
)
def repeat_choices(journey_id, project_id, metric):
    """The journey's touchpoints, the survey's metrics and the customer-KPI sources of repeat purchases."""
    if not (project_id and journey_id):
        return [], None, [], None, [], None
    found = roi.repeat_choices(workspace(), int(project_id), int(journey_id))
    metrics_ = [key for key, _name in found.metrics]
    return (
        [{"label": name, "value": key} for key, name in found.touchpoints],
        found.touchpoint,
        [{"label": name, "value": key} for key, name in found.metrics],
        metric if metric in metrics_ else ("nps" if "nps" in metrics_ else next(iter(metrics_), None)),
        [{"label": source.label, "value": source.value} for source in found.sources],
        found.sources[0].value if found.sources else None,
    )


@callback(
    Output("roi-rp-title", "children"),
    Output("roi-rp-chart", "figure"),
    Output("roi-rp-text", "children"),
    Output("roi-rp-window", "style"),
    Input("roi-rp-touchpoint", "value"),
    Input("roi-rp-metric", "value"),
    Input("roi-rp-source", "value"),
    Input("roi-rp-months", "value"),
    State("roi-journey", "value"),
    State("roi-project", "value"),
)
def show_repeat(touchpoint, metric, source, months, journey_id, project_id):
    """The repeat-purchase rate per score group after the touchpoint, as bars with intervals and in words."""
    dated = str(source or "").startswith("dates")
    window = {} if dated else {"display": "none"}
    title = _("Score after a touchpoint → repeat purchase")
    if not (project_id and journey_id and touchpoint and metric and source):
        message = _("Import customer KPIs with a count of repeat purchases (or purchase dates) per customer.")
        return title, figures.empty(), message, window
    try:
        shown = roi.repeat_purchases(
            workspace(), int(project_id), int(journey_id), touchpoint, metric, source,
            int(months) if str(months or "").isdigit() and int(months) >= 1 else roi.REPEAT_MONTHS,
        )  # fmt: skip
    except WorkspaceError as error:
        return title, figures.empty(), str(error), window
    title = _("Score after {touchpoint} → repeat purchase").format(touchpoint=shown.touchpoint)
    if shown.link is None:
        return title, figures.empty(), shown.message, window
    return title, _repeat_figure(shown), shown.sentence, window


def _repeat_figure(shown: roi.RepeatView):
    """Each score group's repeat rate (%) as a bar with its interval, n in the hover."""
    import plotly.graph_objects as go

    groups = [g for g in shown.link.groups if g.n] if shown.link else []
    colours = {"promoter": "#198754", "passive": "#adb5bd", "detractor": "#dc3545", "top": "#198754", "rest": "#adb5bd"}
    figure = go.Figure(
        go.Bar(
            x=[figures.label(shown.names[g.group]) for g in groups],
            y=[100 * g.rate for g in groups],
            marker_color=[colours[g.group] for g in groups],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [100 * (g.high - g.rate) for g in groups],
                "arrayminus": [100 * (g.rate - g.low) for g in groups],
                "color": "#495057",
            },
            customdata=[
                _("{rate} bought again ({repeats} of {n})").format(
                    rate=formatting.percent(100 * g.rate), repeats=formatting.count(g.repeats), n=formatting.count(g.n)
                )
                for g in groups
            ],
            hovertemplate="%{x}: %{customdata}<extra></extra>",
        )
    )
    figure.update_layout(
        separators=formatting.plotly_separators(),
        margin={"l": 50, "r": 10, "t": 10, "b": 40},
        plot_bgcolor="white",
        yaxis={"title": _("bought again (%)"), "range": [0, 100], "gridcolor": "#eee"},
    )
    return figure
