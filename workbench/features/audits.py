"""The Mystery shopping tab's features: import audit exports, compliance tables, falling branches, the link with the
customers' scores, and the heatmap's second layer ("what we promise is done" beside "what customers feel")."""

from __future__ import annotations

import datetime
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.analysis import compliance
from workbench.core import formatting, metrics
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _
from workbench.data import audits, query
from workbench.data.ingest import ImportReport
from workbench.features.selection import Choice

if TYPE_CHECKING:
    import pandas

    from workbench.repos.datasets import DatasetInfo
    from workbench.repos.workspace import Workspace

DEFAULT_NAME = N_("Mystery shopping")
TABLES = {
    "touchpoint": N_("By touchpoint"),
    "section": N_("By section"),
    "item": N_("By item"),
    "branch": N_("By branch"),
}
BRANCH = "branch"  # the survey's segment column that names the branch an audit visited
MIN_VISITS = 3  # a branch's compliance in the correlation rests on at least this many visits


def touchpoints(workspace: Workspace, journey_id: int) -> dict[str, str]:
    """The journey's touchpoints a checklist can be put on: key → name."""
    return {tp.key: tp.name for tp in workspace.journey(int(journey_id)).journey.touchpoints}


def parse_mapping(text: str | None, journey: Mapping[str, str]) -> dict[str, str]:
    """Lines "section or item = touchpoint" (the touchpoint by key or name) as a mapping of touchpoint keys; a line
    without "=" or naming no touchpoint of the ``journey`` (key → name) is refused, by its number."""
    from workbench.core.folding import fold

    keys = {fold(key): key for key in journey} | {fold(name): key for key, name in journey.items()}
    found = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        entry, equals, target = line.rpartition("=")
        if not equals or not entry.strip() or fold(target) not in keys:
            raise ValueError(
                _(
                    "Mapping line {line}: write “section or item = touchpoint” with a touchpoint of the journey, not "
                    "“{text}”."
                ).format(line=number, text=line.strip())
            )
        found[" ".join(entry.split())] = keys[fold(target)]
    return found


@dataclass(frozen=True)
class Choices:
    """What the tab offers in a project: its journeys, audit datasets, surveys with a branch column and metrics."""

    journeys: list[Choice]
    audits: list[Choice]
    surveys: list[Choice]
    metrics: list[Choice]


def choices(workspace: Workspace, project_id: int) -> Choices:
    """The tab's pickers for ``project_id``."""
    surveys, metric_choices = survey_choices(workspace, project_id)
    journeys = [Choice(j.name, j.id) for j in workspace.journeys(int(project_id))]
    return Choices(journeys, audit_choices(workspace, project_id), surveys, metric_choices)


def import_audits(
    workspace: Workspace,
    project_id: int,
    journey_id: int,
    source: str | Path | tuple[bytes, str],
    mapping: Mapping[str, str] | None = None,
    name: str | None = None,
    date_format: str | None = None,
) -> DatasetInfo:
    """Read an audit export (a path, or an upload's bytes and file name) onto the journey's touchpoints and keep it
    as the next version of dataset ``name`` (kind "audit"); a refused file leaves the workspace as it was."""
    upload = None
    if isinstance(source, tuple):
        content, filename = source
        upload = workspace.datasets.receive(filename, content)
        path, shown = upload, Path(filename).name
    else:
        path, shown = Path(source), Path(source).name
    try:
        found = audits.read(path, touchpoints(workspace, journey_id), mapping, date_format=date_format, name=shown)
    finally:
        if upload is not None:
            shutil.rmtree(upload.parent, ignore_errors=True)
    report = ImportReport(found.rows_read, found.rows_read, date_format=found.date_format, answers=found.table.num_rows)
    return workspace.datasets.add_table(
        int(project_id),
        found.table,
        " ".join(str(name or "").split()) or _(DEFAULT_NAME),
        "audit",
        journey_id=int(journey_id),
        source=shown,
        meta={"import": found.report(), "mapping": dict(mapping or {})},
        report=report,
    )


def import_summary(info: DatasetInfo) -> list[str]:
    """What an import kept and dropped, in sentences."""
    found = info.meta.get("import") or {}
    if not found:  # a dataset not imported from a file (the demo's): what it holds
        return [
            ngettext(
                "{visits} visit to {branches} branches from {start} to {end}; a checklist of {items} items.",
                "{visits} visits to {branches} branches from {start} to {end}; a checklist of {items} items.",
                info.meta.get("visits", 0),
            ).format(
                visits=formatting.count(info.meta.get("visits")),
                branches=formatting.count(len(info.meta.get("branches") or ())),
                start=formatting.date(_day(info.meta.get("date_from"))),
                end=formatting.date(_day(info.meta.get("date_to"))),
                items=formatting.count(info.meta.get("items")),
            )
        ]
    lines = [
        ngettext(
            "{visits} visit, {items} checklist items kept from {rows} rows ({shape}).",
            "{visits} visits, {items} checklist items kept from {rows} rows ({shape}).",
            found.get("visits", 0),
        ).format(
            visits=formatting.count(found.get("visits")),
            items=formatting.count(found.get("items")),
            rows=formatting.count(found.get("rows_read")),
            shape=_("a file with a row per visit") if found.get("shape") == "wide" else _("a file with a row per item"),
        )
    ]
    if found.get("not_applicable"):
        lines.append(
            ngettext(
                "{n} item not applicable or not rated: left out.",
                "{n} items not applicable or not rated: left out.",
                found["not_applicable"],
            ).format(n=formatting.count(found["not_applicable"]))
        )
    if found.get("unmapped"):
        lines.append(
            _("On no touchpoint (map them to show them on the journey): {names}.").format(
                names=", ".join(found["unmapped"])
            )
        )
    if found.get("unused"):
        lines.append(_("Mapping entries naming no section or item: {names}.").format(names=", ".join(found["unused"])))
    return lines


def _day(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text[:10]) if text else None


def audit_choices(workspace: Workspace, project_id: int) -> list[Choice]:
    """The project's audit datasets, latest versions, newest first."""
    found = sorted((d for d in workspace.datasets.list(int(project_id), "audit") if d.latest), key=lambda d: -d.id)
    return [Choice(f"{d.name} · v{d.version}", d.id) for d in found]


def _audit_for(workspace: Workspace, project_id: int, journey_id: int | None) -> DatasetInfo | None:
    """The latest audit linked to the journey, else the project's latest (None when the project has none)."""
    latest = sorted((d for d in workspace.datasets.list(int(project_id), "audit") if d.latest), key=lambda d: -d.id)
    linked = [d for d in latest if journey_id is not None and d.journey_id == int(journey_id)]
    return next(iter(linked or latest), None)


def _data(info: DatasetInfo) -> pandas.DataFrame:
    """An audit version's items as compliance reads them, narrowed to a scoped member's rows."""
    return compliance.frame(audits.stored(info.path))


@dataclass(frozen=True)
class Row:
    """One line of a compliance table, as shown: its name, the share with interval, visits, items, low-n mark."""

    name: str
    share: str
    interval: str
    visits: str
    items: str
    low_n: bool
    value: float


@dataclass(frozen=True)
class Falling:
    """A branch whose compliance fell: the last months' share against the months before, with the change's
    interval."""

    branch: str
    recent: str
    before: str
    change: str
    interval: str
    visits: str


@dataclass(frozen=True)
class AuditView:
    """The tab's content for one audit dataset."""

    dataset: DatasetInfo
    summary: list[str]
    tables: dict[str, list[Row]]
    falling: list[Falling]
    note: str


def _interval(low: float, high: float) -> str:
    return f"{formatting.percent(100 * low)} – {formatting.percent(100 * high)}"


def _rows(table: pandas.DataFrame, names) -> list[Row]:
    return [
        Row(
            names(row),
            formatting.percent(100 * row.share),
            _interval(row.low, row.high),
            formatting.count(row.visits),
            formatting.count(row.items),
            bool(row.low_n),
            float(row.share),
        )
        for row in table.itertuples()
    ]


def view(workspace: Workspace, dataset_id: int) -> AuditView:
    """Compliance by touchpoint, section, item and branch (lowest first), and the branches whose compliance fell."""
    info = workspace.datasets.get(int(dataset_id))
    if info.kind != "audit":
        raise ValueError(_("“{name}” holds no mystery-shopping audits.").format(name=info.name))
    data = _data(info)
    named = touchpoints(workspace, info.journey_id) if info.journey_id is not None else {}
    namers = {
        "touchpoint": lambda row: named.get(row.touchpoint, row.touchpoint),
        "section": lambda row: row.section,
        "item": lambda row: f"{row.section}: {row.item}",
        "branch": lambda row: row.branch,
    }
    tables = {group: _rows(compliance.by(data, group), namers[group]) for group in TABLES}
    falling = [
        Falling(
            t.branch,
            formatting.percent(100 * t.recent),
            formatting.percent(100 * t.before),
            formatting.number(100 * t.change, 1, signed=True),
            f"{formatting.number(100 * t.low, 1, signed=True)}…{formatting.number(100 * t.high, 1, signed=True)}",
            f"{formatting.count(t.visits_recent)} / {formatting.count(t.visits_before)}",
        )
        for t in compliance.trends(data)
        if t.falling
    ]
    note = ngettext(
        "Compliance is points scored out of the maximum, with its interval (95 %); the items of one visit count as one "
        "cluster. ◌ marks fewer than {n} visit.",
        "Compliance is points scored out of the maximum, with its interval (95 %); the items of one visit count as one "
        "cluster. ◌ marks fewer than {n} visits.",
        metrics.DEFAULT_MIN_N,
    ).format(n=formatting.count(metrics.DEFAULT_MIN_N))
    return AuditView(info, import_summary(info), tables, falling, note)


@dataclass(frozen=True)
class BranchLink:
    """Branch compliance against the branch's customers' mean score: the points and Pearson's r with its interval."""

    points: pandas.DataFrame  # branch, compliance, score, visits, answers
    correlation: compliance.Correlation | None
    metric: str
    text: str


def survey_choices(workspace: Workspace, project_id: int) -> tuple[list[Choice], list[Choice]]:
    """The project's surveys with a branch column, and the metrics they hold."""
    surveys = sorted(  # a survey before reviews, whose stars are a score of their own
        (
            d
            for d in workspace.datasets.list(int(project_id), "survey")
            if d.latest and BRANCH in (d.meta.get("segments") or ())
        ),
        key=lambda d: d.meta.get("source") == "reviews",
    )
    keys = list(dict.fromkeys(m for d in surveys for m in d.meta.get("metrics") or ()))
    return [Choice(d.name, d.id) for d in surveys], [Choice(metrics.metric(m).name(), m) for m in keys]


def branch_link(workspace: Workspace, audit_id: int, survey_id: int, metric: str) -> BranchLink:
    """Per branch: compliance and the mean ``metric`` of the survey's answers over the audits' dates, and Pearson's
    r across the branches with at least :data:`MIN_VISITS` visits and ``metrics.DEFAULT_MIN_N`` answers."""
    import pandas as pd

    audit, survey = workspace.datasets.get(int(audit_id)), workspace.datasets.get(int(survey_id))
    if audit.kind != "audit" or survey.kind != "survey" or audit.project_id != survey.project_id:
        raise ValueError(_("Choose an audit dataset and a survey of the same project."))
    if metric not in (survey.meta.get("metrics") or ()):
        raise ValueError(_("“{name}” has no {metric} answers.").format(name=survey.name, metric=metric))
    branches = compliance.by(_data(audit), "branch")
    sources = (str(survey.path),)
    if BRANCH not in query.columns(sources):
        return BranchLink(pd.DataFrame(), None, metric, _("The survey has no branch column."))
    start, end = (pd.Timestamp(audit.meta[k]).date() if audit.meta.get(k) else None for k in ("date_from", "date_to"))
    scores = query.aggregate(
        query.Query(sources, by=(BRANCH,), date_from=start, date_to=end, metric=metric), workspace.cache
    )
    joined = branches.merge(scores[[BRANCH, metric, metrics.n_column(metric)]], on=BRANCH, how="inner")
    joined = joined.rename(columns={"share": "compliance", metric: "score", metrics.n_column(metric): "answers"})
    kept = joined[(joined["visits"] >= MIN_VISITS) & (joined["answers"] >= metrics.DEFAULT_MIN_N)]
    found = compliance.correlation(kept["compliance"], kept["score"])
    points = kept[[BRANCH, "compliance", "score", "visits", "answers"]].reset_index(drop=True)
    name = metrics.metric(metric).name()
    text = ngettext(
        "Across {n} branch (each with at least {visits} visits and {answers} answers): r = {r} ({low} to {high}). "
        "It compares branches, not one branch over time, and does not say that one causes the other.",
        "Across {n} branches (each with at least {visits} visits and {answers} answers): r = {r} ({low} to {high}). "
        "It compares branches, not one branch over time, and does not say that one causes the other.",
        found.branches,
    ).format(
        n=formatting.count(found.branches),
        visits=formatting.count(MIN_VISITS),
        answers=formatting.count(metrics.DEFAULT_MIN_N),
        r=formatting.number(found.r, 2, signed=True),
        low=formatting.number(found.low, 2, signed=True),
        high=formatting.number(found.high, 2, signed=True),
    )
    if found.branches < 4:
        text = _("Too few branches with audits and {metric} answers to correlate (at least 4 are needed).").format(
            metric=name
        )
    return BranchLink(points, found, metric, text)


@dataclass(frozen=True)
class LayerCell:
    """A touchpoint's compliance as the heatmap's second layer shows it."""

    share: float
    text: str  # '82 % (75–88)': short, as a map box holds it
    visits: int
    low_n: bool


def layer(
    workspace: Workspace,
    project_id: int,
    journey_id: int | None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    filters: Sequence[tuple[str, Sequence[str]]] = (),
) -> dict[str, LayerCell]:
    """Compliance per touchpoint key from the journey's (else the project's) latest audits, of the visits between
    ``date_from`` and ``date_to`` passing the ``filters`` on columns the audits have (a branch, a region); empty
    without audits."""
    info = _audit_for(workspace, project_id, journey_id)
    if info is None:
        return {}
    data = _data(info)
    days = _days(data)
    keep = (days >= (date_from or days.min())) & (days <= (date_to or days.max()))
    for column, values in filters:
        if column in data.columns:
            keep &= data[column].isin(list(values))
    table = compliance.by(data[keep], "touchpoint")
    return {
        row.touchpoint: LayerCell(
            float(row.share),
            f"{formatting.percent(100 * row.share)} ({formatting.number(100 * row.low)}–"
            f"{formatting.number(100 * row.high)})",
            int(row.visits),
            bool(row.low_n),
        )
        for row in table.itertuples()
    }


def _days(data: pandas.DataFrame) -> pandas.Series:
    """Each item's visit day."""
    import pandas as pd

    return pd.to_datetime(data["ts"]).dt.date


def has_audits(workspace: Workspace, project_id: int) -> bool:
    """Whether the project holds a mystery-shopping dataset (the heatmap then offers its layer)."""
    return bool(workspace.datasets.list(int(project_id), "audit"))
