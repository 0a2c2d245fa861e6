"""The analysis filter bar shared by the heatmap and leaderboard pages: project, journey, dataset, metric, dates,
segments. Each page builds it with its own id prefix; the bar's callbacks keep one ``{prefix}-selection`` store
that the page's content callbacks listen to."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from cxweb.pages._context import workspace
from workbench.analysis import heatmap
from workbench.analysis.breaks import segment_columns
from workbench.core.i18n import gettext as _
from workbench.core.journey import Journey
from workbench.data import query, waves

WINDOWS = {"1": _("Last month"), "3": _("Last 3 months"), "6": _("Last 6 months"), "12": _("Last 12 months"),
           "all": _("All data")}
SEPARATOR = "\u241f"  # joins a segment column and value in one dropdown value; never typed in data
PERIOD_SHOWN = "d-flex flex-wrap align-items-center gap-2"  # the window and dates (Bootstrap's d-none hides them)


@dataclass(frozen=True)
class Selection:
    """What the user chose in the filter bar, resolved against the workspace."""

    project_id: int
    journey: Journey
    sources: tuple[str, ...]
    metric: str
    date_from: datetime.date | None
    date_to: datetime.date | None
    filters: tuple[tuple[str, tuple[str, ...]], ...]
    wave: waves.Wave | None = None  # the survey's one wave when its answers carry no dates: nothing over time

    def query(self, by: tuple[str, ...] = ("touchpoint",), **changes) -> query.Query:
        """A query over the chosen answers grouped ``by`` (dates or filters replaced by ``changes``)."""
        spec = {"sources": self.sources, "by": by, "date_from": self.date_from, "date_to": self.date_to,
                "filters": self.filters, **changes}
        return query.Query(**spec)

    def filter_text(self) -> str:
        """The segment filters in words, or 'all customers'."""
        return query.describe_filters(self.filters) or _("all customers")


def group(label: str, control, width: str = "12rem") -> dbc.InputGroup:
    """A small control with its label in front, as every page's toolbar shows them."""
    return dbc.InputGroup([dbc.InputGroupText(label), control], size="sm", className="w-auto",
                          style={"minWidth": width})


def filter_bar(prefix: str, metric: bool = True) -> html.Div:
    """The bar's layout: ids ``{prefix}-project``, ``-journey``, ``-dataset``, ``-metric``, ``-window``,
    ``-dates``, ``-segments`` and the ``-selection`` store."""
    projects = workspace().projects()


    return html.Div([
        dcc.Store(id=f"{prefix}-selection"),
        html.Div([
            group(_("Project"), dbc.Select(
                id=f"{prefix}-project", options=[{"label": p.name, "value": p.id} for p in projects],
                value=projects[0].id if projects else None, persistence=True, persistence_type="session")),
            group(_("Journey"), dbc.Select(id=f"{prefix}-journey", options=[])),
            group(_("Dataset"), dbc.Select(id=f"{prefix}-dataset", options=[]), "14rem"),
            dbc.RadioItems(id=f"{prefix}-metric", value="csat", inline=True, className="btn-group btn-group-sm cx-metric",
                           inputClassName="btn-check", labelClassName="btn btn-outline-primary",
                           labelCheckedClassName="active",
                           options=[{"label": heatmap.METRIC_NAMES[m], "value": m} for m in heatmap.METRICS],
                           style={"display": "inline-flex" if metric else "none"}),
        ], className="d-flex flex-wrap align-items-center gap-2 mb-2"),
        html.Div([
            html.Div([
                group(_("Period"), dbc.Select(id=f"{prefix}-window", value="3",
                                              options=[{"label": label, "value": value}
                                                       for value, label in WINDOWS.items()]), "13rem"),
                dcc.DatePickerRange(id=f"{prefix}-dates", display_format="D MMM YYYY", first_day_of_week=1,
                                    minimum_nights=0, className="cx-dates"),
            ], id=f"{prefix}-period", className=PERIOD_SHOWN),
            html.Div(group(_("Period"), html.Span(id=f"{prefix}-wave", className="input-group-text bg-white")),
                     id=f"{prefix}-wave-box", className="d-none"),
            html.Div(dcc.Dropdown(id=f"{prefix}-segments", multi=True, options=[],
                                  placeholder=_("All customers — filter by region, branch, channel…")),
                     style={"minWidth": "22rem", "flex": "1"}),
        ], className="d-flex flex-wrap align-items-center gap-2 mb-2"),
    ])


def register(prefix: str) -> None:
    """The bar's callbacks for one prefix: choices cascade project → journey → dataset → dates and segments."""

    @callback(Output(f"{prefix}-journey", "options"), Output(f"{prefix}-journey", "value"),
              Input(f"{prefix}-project", "value"))
    def choose_project(project_id):
        if not project_id:
            return [], None
        journeys = workspace().journeys(int(project_id))
        return [{"label": j.name, "value": j.id} for j in journeys], journeys[0].id if journeys else None

    @callback(Output(f"{prefix}-dataset", "options"), Output(f"{prefix}-dataset", "value"),
              Input(f"{prefix}-journey", "value"), State(f"{prefix}-project", "value"))
    def choose_journey(journey_id, project_id):
        if not project_id:
            return [], None
        surveys = workspace().datasets.list(int(project_id), "survey")
        options = [{"label": f"{d.name} · v{d.version}" + (_(" (latest)") if d.latest else ""), "value": d.id}
                   for d in surveys]
        chosen = workspace().datasets.survey_for(int(project_id), int(journey_id) if journey_id else None)
        return options, chosen.id if chosen else None

    @callback(Output(f"{prefix}-dates", "start_date"), Output(f"{prefix}-dates", "end_date"),
              Output(f"{prefix}-dates", "min_date_allowed"), Output(f"{prefix}-dates", "max_date_allowed"),
              Output(f"{prefix}-segments", "options"), Output(f"{prefix}-period", "className"),
              Output(f"{prefix}-wave-box", "className"), Output(f"{prefix}-wave", "children"),
              Output(f"{prefix}-wave-box", "title"),
              Input(f"{prefix}-dataset", "value"), Input(f"{prefix}-window", "value"))
    def choose_dataset(dataset_id, window):
        if not dataset_id:
            return None, None, None, None, [], PERIOD_SHOWN, "d-none", "", ""
        info = workspace().datasets.get(int(dataset_id))
        sources, wave = (str(info.path),), waves.single_wave(info.meta)
        bounds = query.date_bounds(sources)
        # A one-wave survey's answers all carry the wave's first day: the window is that day, whatever was chosen.
        start, end = (bounds if window == "all" or wave else heatmap.default_window(bounds, int(window))) if bounds \
            else (None, None)
        options = [{"label": f"{column}: {value}", "value": f"{column}{SEPARATOR}{value}"}
                   for column in segment_columns(sources) for value in query.segment_values(sources, column)]
        period = (PERIOD_SHOWN, "d-none", "", "")  # the window and dates; the wave instead of them when there is one
        if wave is not None:
            period = ("d-none", "", _("one survey wave: {label} ({start} – {end})").format(
                label=wave.label, start=wave.start.isoformat(), end=wave.end.isoformat()), waves.no_trend_message(wave))
        return start, end, bounds and bounds[0], bounds and bounds[1], options, *period

    @callback(Output(f"{prefix}-selection", "data"),
              Input(f"{prefix}-journey", "value"), Input(f"{prefix}-dataset", "value"),
              Input(f"{prefix}-metric", "value"), Input(f"{prefix}-dates", "start_date"),
              Input(f"{prefix}-dates", "end_date"), Input(f"{prefix}-segments", "value"),
              State(f"{prefix}-project", "value"))
    def select(journey_id, dataset_id, metric, start, end, segments, project_id):
        if not (journey_id and dataset_id and project_id):
            return None
        return {"project": int(project_id), "journey": int(journey_id), "dataset": int(dataset_id),
                "metric": metric, "from": start, "to": end, "segments": segments or []}


def resolve(data: dict | None) -> Selection | None:
    """The selection store's content as a :class:`Selection` (None when nothing is chosen yet)."""
    if not data:
        return None
    chosen: dict[str, list[str]] = {}
    for item in data.get("segments") or []:
        column, _sep, value = item.partition(SEPARATOR)
        chosen.setdefault(column, []).append(value)
    ws = workspace()
    info = ws.datasets.get(data["dataset"])
    return Selection(
        project_id=data["project"], journey=ws.journey(data["journey"]).journey,
        sources=(str(info.path),), metric=data.get("metric") or "csat",
        date_from=_date(data.get("from")), date_to=_date(data.get("to")),
        filters=tuple((column, tuple(values)) for column, values in chosen.items()), wave=waves.single_wave(info.meta))


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text[:10]) if text else None
