"""What a deck, its images and its tables show: one journey's scores, matrix, breaks, drivers, ROI and actions.

:func:`gather` runs the same analyses the pages run, for one choice of journey, survey, metric, window and
filters, so a deck says what the screen says. Each part is None (or empty) when its slide was not asked for.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import datetime
import io
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from workbench.analysis import breaks, heatmap
from workbench.core import formatting, i18n, metrics
from workbench.core.contract import OVERALL
from workbench.core.i18n import N_, Labels, ngettext
from workbench.core.i18n import gettext as _
from workbench.core.journey import Journey
from workbench.data import query, waves
from workbench.data.outcome import Outcome, from_meta
from workbench.features import heatmap as screen
from workbench.features import journeymaps
from workbench.features.journeymaps import Curves
from workbench.features.selection import Selection

if TYPE_CHECKING:
    import pandas

    from workbench.analysis import roi
    from workbench.analysis.drivers import DriverResult
    from workbench.core.scenario import Scenario
    from workbench.repos.workspace import Workspace

SLIDES = ("title", "map", "lanes", "matrix", "breaks", "drivers", "roi", "actions")
SLIDE_NAMES = Labels(
    {
        "title": N_("Title slide"),
        "map": N_("Journey map"),
        "lanes": N_("Personas, lanes and experience curve"),
        "matrix": N_("Segment matrix"),
        "breaks": N_("Where it breaks"),
        "drivers": N_("Key drivers"),
        "roi": N_("ROI scenarios"),
        "actions": N_("Action plan"),
    }
)
MATRIX_COLUMNS = 8  # segment values beside the total: more would shrink the numbers below legibility
# The heatmap page's headers of the reference columns.
BENCHMARK_NAMES = Labels({"(benchmark)": N_("Whole network"), "(external)": N_("Benchmark")})
# The driver analysis's quadrants (its keys are English) as a slide and a table name them.
QUADRANT_NAMES = Labels(
    {
        "Fix first": N_("Fix first"),
        "Improve later": N_("Improve later"),
        "Keep it up": N_("Keep it up"),
        "Maintain": N_("Maintain"),
    }
)


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
    language : the language of every word and number of the deck, pictures and tables (``cs``, ``pl``, ``en``);
        None: the language current when the export is made. Chosen apart from the screen's: a Czech consultant
        may send a Polish client a Polish deck.
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
    language: str | None = None

    def speaks(self) -> str:
        """The export's language: the one asked for, else the current one."""
        return i18n.supported(self.language) or i18n.current()


@dataclass(frozen=True)
class Provenance:
    """Where the numbers come from: written into every slide's speaker notes."""

    project: str
    journey: str
    dataset: str
    dataset_version: int
    dataset_id: int
    dataset_rows: int | None
    metric: str
    date_from: datetime.date | None
    date_to: datetime.date | None
    filters: str
    answers: int
    created: datetime.datetime
    wave: str | None = None  # a survey without dates: its one fieldwork wave

    def period(self) -> str:
        """'2026-06-01 – 2026-08-31' (Czech '1. 6. 2026 – 31. 8. 2026'; or 'all data', or 'wave 2026-03' for a survey
        without dates), in the current language."""
        if self.wave:
            return _("wave {wave}").format(wave=self.wave)
        if self.date_from is None and self.date_to is None:
            return _("all data")
        start = formatting.date(self.date_from) if self.date_from else "…"
        end = formatting.date(self.date_to) if self.date_to else "…"
        return f"{start} – {end}"

    def lines(self) -> list[str]:
        """The provenance as lines of text."""
        return [
            _("Project: {project} · journey: {journey}").format(project=self.project, journey=self.journey),
            _("Data: {dataset}, version {version} (dataset id {id})").format(
                dataset=self.dataset, version=self.dataset_version, id=self.dataset_id
            )
            if self.dataset_rows is None  # a scoped member's deck: the whole file's count is not theirs
            else ngettext(
                "Data: {dataset}, version {version} (dataset id {id}, {n} row)",
                "Data: {dataset}, version {version} (dataset id {id}, {n} rows)",
                self.dataset_rows,
            ).format(
                dataset=self.dataset,
                version=self.dataset_version,
                id=self.dataset_id,
                n=formatting.count(self.dataset_rows),
            ),
            _("Metric: {metric} · period {period} · {filters}").format(
                metric=metrics.NAMES[self.metric], period=self.period(), filters=self.filters
            ),
            _("Answers in the period: {n}").format(n=formatting.count(self.answers)),
            _("Exported {moment} by CX Journey Workbench").format(moment=formatting.moment(self.created)),
        ]


@dataclass(frozen=True)
class ScenarioResult:
    """A saved ROI scenario run on today's data (``error`` set instead when it cannot run)."""

    name: str
    scenario: Scenario
    evidence: roi.Evidence | None
    outcome: roi.Outcome | None
    error: str = ""
    detail: str = ""


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
    drivers: DriverResult | None = None
    priorities: pandas.DataFrame | None = None
    drivers_error: str = ""
    drivers_detail: str = ""
    scenarios: list[ScenarioResult] = field(default_factory=list)
    actions: list = field(default_factory=list)
    outcome: Outcome = Outcome()
    benchmark_source: str = ""
    curves: Curves | None = None  # the measured experience curve, everyone's and each persona's


def gather(workspace: Workspace, request: Request, now: datetime.datetime | None = None) -> Findings:
    """Run the analyses ``request`` asks for on the workspace's data; the words the findings carry (filters,
    reasons) are in the request's language."""
    with i18n.language(request.speaks()):
        return _gather(workspace, request, now)


def _gather(workspace: Workspace, request: Request, now: datetime.datetime | None) -> Findings:
    from workbench.repos import actions

    if request.metric not in metrics.METRICS:
        raise ValueError(
            _("Unknown metric '{metric}'; use one of {choices}.").format(
                metric=request.metric, choices=", ".join(metrics.METRICS)
            )
        )
    unknown = [s for s in request.slides if s not in SLIDES]
    if unknown:
        raise ValueError(
            _("Unknown slide '{slide}'; use any of {choices}.").format(slide=unknown[0], choices=", ".join(SLIDES))
        )
    journey = workspace.journey(request.journey_id).journey
    survey = (
        workspace.datasets.get(request.dataset_id)
        if request.dataset_id is not None
        else workspace.datasets.survey_for(request.project_id, request.journey_id)
    )
    if survey is None or survey.kind != "survey":
        raise ValueError(_("The journey “{journey}” has no survey data to export.").format(journey=journey.name))
    sources = (str(survey.path),)
    date_from, date_to = request.date_from, request.date_to
    if date_from is None and date_to is None:
        date_from, date_to = heatmap.default_window(query.date_bounds(sources))
    cache, metric, min_n = workspace.cache, request.metric, request.min_n
    # The selection as the heatmap page resolves it: the deck's map, matrix and breaks are the page's functions.
    chosen = Selection(
        project_id=request.project_id,
        journey=journey,
        sources=sources,
        metric=metric,
        date_from=date_from,
        date_to=date_to,
        filters=request.filters,
        wave=waves.single_wave(survey.meta),
        journey_id=request.journey_id,
        dataset_id=survey.id,
    )
    window = chosen.query()
    scored = screen.scores(workspace, chosen, min_n)
    project = next(p.name for p in workspace.projects() if p.id == request.project_id)
    provenance = Provenance(
        project=project,
        journey=journey.name,
        dataset=survey.name,
        dataset_version=survey.version,
        dataset_id=survey.id,
        dataset_rows=survey.rows,
        metric=metric,
        date_from=date_from,
        date_to=date_to,
        filters=query.describe_filters(request.filters) or _("all customers"),
        answers=int(scored["n"].sum()),
        created=now or datetime.datetime.now(),
        wave=chosen.wave.label if chosen.wave else None,
    )
    cards = workspace.actions.list(request.project_id, request.journey_id)
    outcome = from_meta(survey.meta)
    overall = OVERALL in survey.meta.get("touchpoints", ()) and outcome.metric in survey.meta.get("metrics", ())
    parts: dict = {"actions": cards if "actions" in request.slides else [], "outcome": outcome}
    # The break search, the longest analysis, runs beside the others in this request's language: numpy, polars and
    # SQLite leave the interpreter to the other thread while they work (a cold deck at 1.5 M answers: 0.6 s less).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        searching = (
            pool.submit(
                contextvars.copy_context().run, screen.find_breaks, workspace, chosen, breaks.BreakSettings(min_n=min_n)
            )
            if "breaks" in request.slides or "map" in request.slides
            else None
        )
        if "matrix" in request.slides:
            parts.update(_matrix(workspace, chosen, request))
        if "drivers" in request.slides:
            parts.update(_drivers(journey, window, metric, cache, outcome, overall))
        if "roi" in request.slides:
            parts["scenarios"] = _scenarios(workspace, request, journey, outcome, overall)
        if "lanes" in request.slides:
            personas = [p.key for p in journey.personas][: journeymaps.MAX_CURVES - 1]
            parts["curves"] = journeymaps.curves(workspace, chosen, [journeymaps.ALL_CUSTOMERS, *personas], min_n)
        if searching is not None:
            parts["breaks"] = [item.item for item in searching.result()]
    return Findings(
        request=request,
        journey=journey,
        provenance=provenance,
        scores=scored,
        steps=heatmap.steps(journey, scored, min_delta=screen.smallest_difference(metric)),  # as the page's map
        open_actions=actions.open_counts(cards),
        **parts,
    )


def _matrix(workspace: Workspace, chosen: Selection, request: Request) -> dict:
    """The heatmap page's matrix (the same function draws it), with its reference columns."""
    columns = chosen.segment_columns()
    column = request.matrix_column or screen.default_column(columns)
    if column is None:
        return {}
    if column not in columns:
        raise ValueError(
            _("The survey has no segment column '{column}'; it has {columns}.").format(
                column=column, columns=", ".join(columns)
            )
            if columns
            else _("The survey has no segment column '{column}'; it has none.").format(column=column)
        )
    found = screen.segment_matrix(workspace, chosen, column, request.min_n)
    return {"matrix": found.cells, "matrix_column": column, "benchmark_source": found.external_source}


def _drivers(journey: Journey, window: query.Query, metric: str, cache, outcome: Outcome, overall: bool) -> dict:
    from workbench.analysis import drivers

    if not overall:
        return {
            "drivers_error": _(
                "The survey has no overall score to explain: import it again with its overall question mapped "
                "(Data page)."
            )
        }
    driver_metric = metric if metric in ("csat", "ces") else "csat"  # the overall outcome is explained
    try:
        result = drivers.analyse_query(
            replace(window, by=()), cache, outcome=outcome.metric, driver_metric=driver_metric, method="lmg"
        )
    except ValueError as error:  # the analysis's own words go to the notes; the slide says it plainly
        return {
            "drivers_error": _(
                "Too few respondents in this period and selection rated the touchpoints and the overall {outcome} "
                "for a driver model: widen the period or remove a filter."
            ).format(outcome=outcome.label),
            "drivers_detail": str(error),
        }
    names = {tp.key: tp.name for tp in journey.touchpoints}
    return {"drivers": result, "priorities": drivers.ranked(result, names)}


def _scenarios(
    workspace: Workspace, request: Request, journey: Journey, outcome: Outcome, overall: bool
) -> list[ScenarioResult]:
    from workbench.core.errors import WorkspaceError
    from workbench.features import roi

    names = {tp.key: tp.name for tp in journey.touchpoints}
    found = []
    for saved in workspace.scenarios.list(request.project_id):
        if saved.scenario.journey_id != request.journey_id:
            continue
        if not (overall and outcome.metric == "nps"):  # the chain runs from the overall NPS to the KPI
            found.append(
                ScenarioResult(
                    saved.scenario.name,
                    saved.scenario,
                    None,
                    None,
                    _(
                        "The ROI chain starts from an overall NPS question, and its overall outcome is {outcome}."
                    ).format(outcome=outcome.label)
                    if overall
                    else _("The ROI chain starts from an overall NPS question, and it has no overall question."),
                )
            )
            continue
        try:
            scenario, evidence, result = roi.run(workspace, request.project_id, saved.scenario, names)
        except WorkspaceError as error:  # written for the user (a KPI dataset that is gone)
            found.append(
                ScenarioResult(
                    saved.scenario.name,
                    saved.scenario,
                    None,
                    None,
                    _("This scenario cannot run on today's data. {error}").format(error=error),
                )
            )
            continue
        except ValueError as error:  # the model's own words go to the notes
            kpi, segment = saved.scenario.kpi.replace("_", " "), saved.scenario.segment
            found.append(
                ScenarioResult(
                    saved.scenario.name,
                    saved.scenario,
                    None,
                    None,
                    _(
                        "This scenario cannot run on today's data: too few {segment}-months link {kpi} to the NPS."
                    ).format(segment=segment, kpi=kpi),
                    str(error),
                )
            )
            continue
        found.append(ScenarioResult(scenario.name, scenario, evidence, result))
    return found


# ------------------------------------------------------------------ files and backups


@dataclass(frozen=True)
class Backup:
    """A project written as one file: its bytes, its file name, and what it held."""

    content: bytes
    name: str
    summary: object


def file_stem(name: str, metric: str = "") -> str:
    """A download's file name from a journey or project name, keeping its case and letters ('Cesta-zákazníka-csat').

    Not :func:`workbench.core.journey.slugify`, on purpose: that one folds to lowercase ASCII for keys and for names
    inside an archive (sheets, CSV files, pictures); the user sees this one in their downloads folder.
    """
    stem = re.sub(r"[^\w-]+", "-", name, flags=re.UNICODE).strip("-")[:60] or "export"
    return f"{stem}-{metric}" if metric else stem


def back_up(workspace: Workspace, project_id: int) -> Backup:
    """The whole project (journeys, mappings, datasets, actions, alerts, scenarios) as one file."""
    from workbench.repos import backup

    buffer = io.BytesIO()
    summary = backup.write_backup(workspace, project_id, buffer)
    return Backup(buffer.getvalue(), f"{file_stem(summary.project)}{backup.SUFFIX}", summary)


def restore(workspace: Workspace, content: bytes, name: str | None = None):
    """Add a backup's project as a new project (named ``name`` when given); its summary. Raises WorkspaceError or
    ValueError, saying why, when the file is refused."""
    from workbench.repos import backup

    return backup.read_backup(workspace, io.BytesIO(content), name=(name or "").strip() or None)
