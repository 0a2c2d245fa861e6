"""The analysis filter bar shared by the heatmap and leaderboard pages: project, journey, dataset, metric, dates,
segments. Each page builds it with its own id prefix; the bar's callbacks keep one ``{prefix}-selection`` store
that the page's content callbacks listen to."""

from __future__ import annotations

from collections.abc import Mapping

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from cxweb.pages import _locale
from cxweb.pages._context import workspace
from cxweb.pages._pickers import project_picker
from workbench.core import i18n, metrics
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.features import selection as selections
from workbench.features.selection import SEPARATOR, Selection

__all__ = ["SEPARATOR", "Selection", "filter_bar", "group", "register", "resolve"]

WINDOWS = i18n.Labels(
    {
        "1": N_("Last month"),
        "3": N_("Last 3 months"),
        "6": N_("Last 6 months"),
        "12": N_("Last 12 months"),
        "all": N_("All data"),
    }
)
SEGMENTS_PLACEHOLDER = N_("All customers — filter by region, branch, channel…")
NO_SEGMENTS = N_("All customers (this survey has no segment columns)")
# How the date pickers write a day, in the reader's language (moment.js tokens; English keeps its month names).
PERIOD_SHOWN = "d-flex flex-wrap align-items-center gap-2"  # the window and dates (Bootstrap's d-none hides them)


def group(label: str, control, width: str = "12rem") -> dbc.InputGroup:
    """A small control with its label in front, as every page's toolbar shows them."""
    return dbc.InputGroup(
        [dbc.InputGroupText(label), control], size="sm", className="w-auto", style={"minWidth": width}
    )


def filter_bar(prefix: str, metric: bool = True, asked: Mapping[str, str] | None = None) -> html.Div:
    """The bar's layout: ids ``{prefix}-project``, ``-journey``, ``-dataset``, ``-metric``, ``-window``,
    ``-dates``, ``-segments`` and the ``-selection`` store; ``asked`` holds the page address's ``dataset`` and
    ``metric`` chosen first when the project has them (a link to the heatmap of the reviews' stars)."""
    asked = asked or {}
    return html.Div(
        [
            dcc.Store(id=f"{prefix}-selection"),
            dcc.Store(id=f"{prefix}-asked", data=asked.get("dataset")),
            html.Div(
                [
                    group(
                        _("Project"), project_picker(f"{prefix}-project", persistence=True, persistence_type="session")
                    ),
                    group(_("Journey"), dbc.Select(id=f"{prefix}-journey", options=[])),
                    group(_("Dataset"), dbc.Select(id=f"{prefix}-dataset", options=[]), "14rem"),
                    dbc.RadioItems(
                        id=f"{prefix}-metric",
                        value=asked.get("metric")
                        if asked.get("metric") in selections.METRICS
                        else selections.DEFAULT_METRIC,
                        inline=True,
                        className="btn-group btn-group-sm cx-metric",
                        inputClassName="btn-check",
                        labelClassName="btn btn-outline-primary",
                        labelCheckedClassName="active",
                        options=[{"label": metrics.NAMES[m], "value": m} for m in selections.METRICS],
                        style={"display": "inline-flex" if metric else "none"},
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            group(
                                _("Period"),
                                dbc.Select(
                                    id=f"{prefix}-window",
                                    value="3",
                                    options=[{"label": label, "value": value} for value, label in WINDOWS.items()],
                                ),
                                "13rem",
                            ),
                            dcc.DatePickerRange(
                                id=f"{prefix}-dates",
                                **_locale.date_picker(),
                                minimum_nights=0,
                                className="cx-dates",
                            ),
                        ],
                        id=f"{prefix}-period",
                        className=PERIOD_SHOWN,
                    ),
                    html.Div(
                        group(_("Period"), html.Span(id=f"{prefix}-wave", className="input-group-text bg-white")),
                        id=f"{prefix}-wave-box",
                        className="d-none",
                    ),
                    html.Div(
                        dcc.Dropdown(
                            labels=_locale.dropdown_labels(),
                            id=f"{prefix}-segments",
                            multi=True,
                            options=[],
                            placeholder=_(SEGMENTS_PLACEHOLDER),
                        ),
                        style={"minWidth": "22rem", "flex": "1"},
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
        ]
    )


def register(prefix: str) -> None:
    """The bar's callbacks for one prefix: choices cascade project → journey → dataset → dates and segments."""

    @callback(
        Output(f"{prefix}-journey", "options"),
        Output(f"{prefix}-journey", "value"),
        Input(f"{prefix}-project", "value"),
    )
    def choose_project(project_id):
        if not project_id:
            return [], None
        options, chosen = selections.journey_choices(workspace(), int(project_id))
        return _options(options), chosen

    @callback(
        Output(f"{prefix}-dataset", "options"),
        Output(f"{prefix}-dataset", "value"),
        Input(f"{prefix}-journey", "value"),
        State(f"{prefix}-project", "value"),
        State(f"{prefix}-asked", "data"),
    )
    def choose_journey(journey_id, project_id, asked):
        if not project_id:
            return [], None
        journey = int(journey_id) if journey_id else None
        options, chosen = selections.survey_choices(workspace(), int(project_id), journey)
        return _options(options), next((c.value for c in options if str(c.value) == asked), chosen)

    @callback(
        Output(f"{prefix}-dates", "start_date"),
        Output(f"{prefix}-dates", "end_date"),
        Output(f"{prefix}-dates", "min_date_allowed"),
        Output(f"{prefix}-dates", "max_date_allowed"),
        Output(f"{prefix}-segments", "options"),
        Output(f"{prefix}-period", "className"),
        Output(f"{prefix}-wave-box", "className"),
        Output(f"{prefix}-wave", "children"),
        Output(f"{prefix}-wave-box", "title"),
        Output(f"{prefix}-segments", "placeholder"),
        Output(f"{prefix}-segments", "disabled"),
        Input(f"{prefix}-dataset", "value"),
        Input(f"{prefix}-window", "value"),
        State(f"{prefix}-journey", "value"),
    )
    def choose_dataset(dataset_id, window, journey_id):
        if not dataset_id:
            return None, None, None, None, [], PERIOD_SHOWN, "d-none", "", "", _(SEGMENTS_PLACEHOLDER), False
        found = selections.dataset_choices(workspace(), int(dataset_id), window or "3", int(journey_id or 0) or None)
        bounds = found.bounds
        period = (PERIOD_SHOWN, "d-none", "", "")  # the window and dates; the wave instead of them when there is one
        if found.wave is not None:
            period = ("d-none", "", found.wave_text, found.wave_note)
        segments = (_(SEGMENTS_PLACEHOLDER), False) if found.segments else (_(NO_SEGMENTS), True)
        return (
            found.start,
            found.end,
            bounds and bounds[0],
            bounds and bounds[1],
            _options(found.segments),
            *period,
            *segments,
        )

    @callback(
        Output(f"{prefix}-selection", "data"),
        Input(f"{prefix}-journey", "value"),
        Input(f"{prefix}-dataset", "value"),
        Input(f"{prefix}-metric", "value"),
        Input(f"{prefix}-dates", "start_date"),
        Input(f"{prefix}-dates", "end_date"),
        Input(f"{prefix}-segments", "value"),
        State(f"{prefix}-project", "value"),
    )
    def select(journey_id, dataset_id, metric, start, end, segments, project_id):
        if not (journey_id and dataset_id and project_id):
            return None
        return {
            "project": int(project_id),
            "journey": int(journey_id),
            "dataset": int(dataset_id),
            "metric": metric,
            "from": start,
            "to": end,
            "segments": segments or [],
        }


def resolve(data: dict | None) -> Selection | None:
    """The selection store's content as a :class:`Selection` (None when nothing is chosen yet)."""
    return selections.resolve(workspace(), data)


def _options(choices) -> list[dict]:
    return [{"label": c.label, "value": c.value} for c in choices]
