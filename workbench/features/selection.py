"""The analysis filter bar's features, shared by the heatmap, leaderboards, drivers, comments and export screens:
what can be chosen (journeys, survey versions, dates, segments) and what was chosen (a :class:`Selection`)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.analysis import heatmap
from workbench.analysis.breaks import segment_columns
from workbench.core import formatting, metrics
from workbench.core.i18n import gettext as _
from workbench.core.journey import Journey, Persona
from workbench.data import query, waves

if TYPE_CHECKING:
    from workbench.repos.workspace import Workspace

SEPARATOR = "\u241f"  # joins a segment column and value in one choice; never typed in data
PERSONA = "\u241epersona"  # the 'column' of a persona's choice (its value the persona's key); never a data column
DEFAULT_METRIC = "csat"
METRICS = metrics.METRICS  # the metrics the bar offers, in the registry's order


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
    journey_id: int | None = None
    dataset_id: int | None = None

    def query(self, by: tuple[str, ...] = ("touchpoint",), **changes) -> query.Query:
        """A query over the chosen answers grouped ``by`` (dates or filters replaced by ``changes``)."""
        spec = {
            "sources": self.sources,
            "by": by,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "filters": self.filters,
            **changes,
        }
        return query.Query(**spec)

    def filter_text(self) -> str:
        """The segment filters in words, or 'all customers'."""
        return query.describe_filters(self.filters) or _("all customers")

    def segment_columns(self) -> list[str]:
        """The survey's segment columns (region, branch, channel…), possibly none."""
        return segment_columns(self.sources)


@dataclass(frozen=True)
class Choice:
    """One option of a picker: what it shows and what it stands for."""

    label: str
    value: int | str


@dataclass(frozen=True)
class DatasetChoices:
    """What a survey version offers the filter bar: its dates, the window shown first, its segments, its wave."""

    bounds: tuple[datetime.date, datetime.date] | None
    start: datetime.date | None
    end: datetime.date | None
    segments: tuple[Choice, ...]
    wave: waves.Wave | None = None
    wave_text: str = ""  # 'one survey wave: 2026-03 (…)' in the period's place
    wave_note: str = ""  # why there is no trend


def journey_choices(workspace: Workspace, project_id: int) -> tuple[list[Choice], int | None]:
    """The project's journeys, and the one chosen first."""
    journeys = workspace.journeys(project_id)
    return [Choice(j.name, j.id) for j in journeys], journeys[0].id if journeys else None


def survey_choices(workspace: Workspace, project_id: int, journey_id: int | None) -> tuple[list[Choice], int | None]:
    """The project's survey versions, and the journey's survey chosen first."""
    surveys = workspace.datasets.list(project_id, "survey")
    options = [
        Choice(
            _("{name} · v{version} (latest)").format(name=d.name, version=d.version)
            if d.latest
            else f"{d.name} · v{d.version}",
            d.id,
        )
        for d in surveys
    ]
    chosen = workspace.datasets.survey_for(project_id, journey_id)
    return options, chosen.id if chosen else None


def dataset_choices(
    workspace: Workspace, dataset_id: int, window: str, journey_id: int | None = None
) -> DatasetChoices:
    """The survey version's dates, the ``window`` ("3" months, or "all") within them, and its segment values, led
    by the personas of the journey (``journey_id``) whose segment rule the survey can apply."""
    info = workspace.datasets.get(dataset_id)
    sources, wave = (str(info.path),), waves.single_wave(info.meta)
    bounds = query.date_bounds(sources)
    start, end = None, None
    if bounds:
        # A one-wave survey's answers all carry the wave's first day: the window is that day, whatever was chosen.
        start, end = bounds if window == "all" or wave else heatmap.default_window(bounds, int(window))
    columns = segment_columns(sources)
    personas = workspace.journey(int(journey_id)).journey.personas if journey_id else ()
    segments = tuple(
        Choice(_("Persona: {name}").format(name=p.name), f"{PERSONA}{SEPARATOR}{p.key}")
        for p in personas
        if p.segment and set(p.segment) <= set(columns)
    ) + tuple(
        Choice(f"{column}: {value}", f"{column}{SEPARATOR}{value}")
        for column in columns
        for value in query.segment_values(sources, column)
    )
    if wave is None:
        return DatasetChoices(bounds, start, end, segments)
    text = _("one survey wave: {label} ({start} – {end})").format(
        label=wave.label, start=formatting.date(wave.start), end=formatting.date(wave.end)
    )
    return DatasetChoices(bounds, start, end, segments, wave, text, waves.no_trend_message(wave))


def parse_segments(
    items: list[str] | None, personas: Sequence[Persona] = ()
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Chosen segment options ('region␟North', or a persona of ``personas`` standing for its segment rule) as
    filters ``((column, (value, ...)), ...)``: values of one column are either, columns all apply."""
    rules = {p.key: p.segment for p in personas}
    chosen: dict[str, list[str]] = {}
    for item in items or []:
        column, _sep, value = item.partition(SEPARATOR)
        pairs = rules.get(value, {}).items() if column == PERSONA else [(column, value)]
        for name, wanted in pairs:
            if wanted not in chosen.setdefault(name, []):
                chosen[name].append(wanted)
    return tuple((column, tuple(values)) for column, values in chosen.items())


def resolve(workspace: Workspace, data: dict | None) -> Selection | None:
    """The filter bar's stored choice as a :class:`Selection` (None when nothing is chosen yet)."""
    if not data:
        return None
    info = workspace.datasets.get(data["dataset"])
    journey = workspace.journey(data["journey"]).journey
    return Selection(
        project_id=data["project"],
        journey=journey,
        sources=(str(info.path),),
        metric=data.get("metric") or DEFAULT_METRIC,
        date_from=_date(data.get("from")),
        date_to=_date(data.get("to")),
        filters=parse_segments(data.get("segments"), journey.personas),
        wave=waves.single_wave(info.meta),
        journey_id=data["journey"],
        dataset_id=data["dataset"],
    )


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text[:10]) if text else None
