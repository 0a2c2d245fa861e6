"""What a deck, its images and its tables show: one journey's scores, matrix, breaks, drivers, ROI and actions.

:func:`gather` runs the same analyses the pages run, for one choice of journey, survey, metric, window and
filters, so a deck says what the screen says. Each part is None (or empty) when its slide was not asked for.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from workbench import breaks, heatmap, metrics, query
from workbench.journey import Journey

if TYPE_CHECKING:
    import pandas

    from workbench.workspace import Workspace

SLIDES = ("title", "map", "matrix", "breaks", "drivers", "roi", "actions")
SLIDE_NAMES = {"title": "Title", "map": "Journey map", "matrix": "Segment matrix", "breaks": "Where it breaks",
               "drivers": "Key drivers", "roi": "ROI scenarios", "actions": "Action plan"}
MATRIX_COLUMNS = 8  # segment values beside the total: more would shrink the numbers below legibility


@dataclass(frozen=True)
class Request:
    """What to export.

    Parameters
    ----------
    project_id, journey_id : the journey whose findings are shown.
    dataset_id : the survey dataset version (default: the journey's latest survey).
    metric : csat, nps, ces or index.
    date_from, date_to : the answer window (default: the last 3 months of data).
    filters : segment filters, ``((column, (value, ...)), ...)``.
    matrix_column : the segment column spread across the matrix (default: region, else the first).
    slides : which slides (of :data:`SLIDES`), in deck order.
    min_n : scores from fewer answers are flagged and never judged.
    """

    project_id: int
    journey_id: int
    dataset_id: int | None = None
    metric: str = "csat"
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    matrix_column: str | None = None
    slides: tuple[str, ...] = SLIDES
    min_n: int = metrics.DEFAULT_MIN_N


@dataclass(frozen=True)
class Provenance:
    """Where the numbers come from: written into every slide's speaker notes."""

    project: str
    journey: str
    dataset: str
    dataset_version: int
    dataset_id: int
    dataset_rows: int
    metric: str
    date_from: datetime.date | None
    date_to: datetime.date | None
    filters: str
    answers: int
    created: datetime.datetime

    def period(self) -> str:
        """'2026-06-01 – 2026-08-31' (or 'all data')."""
        if self.date_from is None and self.date_to is None:
            return "all data"
        return f"{self.date_from or '…'} – {self.date_to or '…'}"

    def lines(self) -> list[str]:
        """The provenance as lines of text."""
        return [f"Project: {self.project} · journey: {self.journey}",
                f"Data: {self.dataset}, version {self.dataset_version} (dataset id {self.dataset_id}, "
                f"{breaks.format_count(self.dataset_rows)} rows)",
                f"Metric: {heatmap.METRIC_NAMES[self.metric]} · period {self.period()} · {self.filters}",
                f"Answers in the period: {breaks.format_count(self.answers)}",
                f"Exported {self.created:%Y-%m-%d %H:%M} by CX Journey Workbench"]


@dataclass(frozen=True)
class ScenarioResult:
    """A saved ROI scenario run on today's data (``error`` set instead when it cannot run)."""

    name: str
    scenario: object
    evidence: object | None
    outcome: object | None
    error: str = ""


@dataclass(frozen=True)
class Findings:
    """Everything a deck shows, computed once."""

    request: Request
    journey: Journey
    provenance: Provenance
    scores: pandas.DataFrame
    steps: pandas.DataFrame
    open_actions: dict[str, int]
    matrix: pandas.DataFrame | None = None
    matrix_column: str | None = None
    breaks: list = field(default_factory=list)
    drivers: object | None = None
    priorities: pandas.DataFrame | None = None
    drivers_error: str = ""
    scenarios: list[ScenarioResult] = field(default_factory=list)
    actions: list = field(default_factory=list)


def gather(workspace: Workspace, request: Request, now: datetime.datetime | None = None) -> Findings:
    """Run the analyses ``request`` asks for on the workspace's data."""
    from workbench import actions

    if request.metric not in heatmap.METRICS:
        raise ValueError(f"Unknown metric '{request.metric}'; use one of {', '.join(heatmap.METRICS)}.")
    unknown = [s for s in request.slides if s not in SLIDES]
    if unknown:
        raise ValueError(f"Unknown slide '{unknown[0]}'; use any of {', '.join(SLIDES)}.")
    journey = workspace.journey(request.journey_id).journey
    survey = (workspace.datasets.get(request.dataset_id) if request.dataset_id is not None
              else workspace.datasets.survey_for(request.project_id, request.journey_id))
    if survey is None or survey.kind != "survey":
        raise ValueError(f"The journey “{journey.name}” has no survey data to export.")
    sources = (str(survey.path),)
    date_from, date_to = request.date_from, request.date_to
    if date_from is None and date_to is None:
        date_from, date_to = heatmap.default_window(query.date_bounds(sources))
    window = query.Query(sources, by=("touchpoint",), date_from=date_from, date_to=date_to, filters=request.filters)
    cache, metric, min_n = workspace.cache, request.metric, request.min_n
    scored = heatmap.scores(journey, query.aggregate(window, cache, min_n=min_n), metric)
    project = next(p.name for p in workspace.projects() if p.id == request.project_id)
    provenance = Provenance(project=project, journey=journey.name, dataset=survey.name,
                            dataset_version=survey.version, dataset_id=survey.id, dataset_rows=survey.rows,
                            metric=metric, date_from=date_from, date_to=date_to,
                            filters=query.describe_filters(request.filters) or "all customers", answers=int(scored["n"].sum()),
                            created=now or datetime.datetime.now())
    cards = workspace.actions.list(request.project_id, request.journey_id)
    parts: dict = {"actions": cards if "actions" in request.slides else []}
    if "matrix" in request.slides:
        parts.update(_matrix(journey, sources, window, request, cache))
    if "breaks" in request.slides or "map" in request.slides:
        parts["breaks"] = breaks.find(journey, sources, metric, date_from=date_from, date_to=date_to,
                                      filters=request.filters, settings=breaks.BreakSettings(min_n=min_n),
                                      cache=cache)
    if "drivers" in request.slides:
        parts.update(_drivers(journey, window, metric, cache))
    if "roi" in request.slides:
        parts["scenarios"] = _scenarios(workspace, request, journey)
    return Findings(request=request, journey=journey, provenance=provenance, scores=scored,
                    steps=heatmap.steps(journey, scored), open_actions=actions.open_counts(cards), **parts)


def _matrix(journey: Journey, sources: tuple[str, ...], window: query.Query, request: Request, cache) -> dict:
    columns = breaks.segment_columns(sources)
    column = request.matrix_column or ("region" if "region" in columns else (columns[0] if columns else None))
    if column is None:
        return {}
    if column not in columns:
        raise ValueError(f"The survey has no segment column '{column}'; it has {', '.join(columns)}.")
    cells = query.aggregate(replace(window, by=("touchpoint", column)), cache, min_n=request.min_n)
    totals = query.aggregate(window, cache, min_n=request.min_n)
    return {"matrix": heatmap.matrix(journey, cells, totals, column, request.metric), "matrix_column": column}


def _drivers(journey: Journey, window: query.Query, metric: str, cache) -> dict:
    from workbench import drivers

    driver_metric = metric if metric in ("csat", "ces") else "csat"  # the overall NPS is the outcome
    try:
        result = drivers.analyse_query(replace(window, by=()), cache, outcome="nps", driver_metric=driver_metric,
                                       method="lmg")
    except ValueError as error:
        return {"drivers_error": str(error)}
    names = {tp.key: tp.name for tp in journey.touchpoints}
    return {"drivers": result, "priorities": drivers.ranked(result, names)}


def _scenarios(workspace: Workspace, request: Request, journey: Journey) -> list[ScenarioResult]:
    from workbench import scenarios

    names = {tp.key: tp.name for tp in journey.touchpoints}
    found = []
    for saved in workspace.scenarios.list(request.project_id):
        if saved.scenario.journey_id != request.journey_id:
            continue
        try:
            scenario, evidence, outcome = scenarios.run(workspace, request.project_id, saved.scenario, names)
        except ValueError as error:
            found.append(ScenarioResult(saved.scenario.name, saved.scenario, None, None, str(error)))
            continue
        found.append(ScenarioResult(scenario.name, scenario, evidence, outcome))
    return found
