"""ROI scenarios: what a team assumes, the evidence from the project's data it rests on, and the saved versions.

A :class:`Scenario` names the KPI (a KPI-per-period dataset and column), how it is linked to the NPS and the
editable :class:`workbench.analysis.roi.Assumptions`. :func:`evidence` estimates the links from the journey's survey and
the KPI table (cached per dataset version); :func:`workbench.analysis.roi.evaluate` turns both into money. Saved scenarios
carry a version, so two windows saving one scenario never silently overwrite each other.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING

from sqlalchemy import select

from workbench.analysis import roi
from workbench.core import metrics
from workbench.core.errors import ConflictError, WorkspaceError, person
from workbench.core.i18n import gettext as _
from workbench.core.safecells import neutralise
from workbench.data.store import ScenarioRow, claim

if TYPE_CHECKING:
    import pandas

    from workbench.repos.actions import Action
    from workbench.repos.datasets import DatasetInfo
    from workbench.repos.workspace import Workspace

DRIVER_METRICS = ("csat", "nps", "ces")
BASELINE_MONTHS = 12  # the KPI today: the mean month of the last year
INDEX_POINTS_PER_CSAT_POINT = metrics.to_index("csat", 2.0) - metrics.to_index("csat", 1.0)  # 25: 1–5 → 0–100


@dataclass(frozen=True)
class Scenario:
    """A named what-if: the KPI and its link to the NPS, and every assumption of the chain to money.

    Parameters
    ----------
    kpi_dataset : the name of a KPI-per-period dataset of the project (its latest version is used).
    kpi : the KPI column; ``log_kpi`` links log(KPI) (a % change per NPS point), else the KPI itself.
    segment : the column that identifies a KPI row's segment in both the KPI table and the survey (e.g. branch).
    lag : months between a score change and the KPI's response.
    driver_metric : the touchpoint rating the changes are in (csat, nps or ces).
    base_from_data : the assumptions' ``base`` is taken from the KPI data when the scenario runs (see
        :class:`Evidence`), not the stored number.
    action_id : the action card the scenario was taken from, if any.
    """

    name: str
    journey_id: int
    kpi_dataset: str
    kpi: str
    assumptions: roi.Assumptions = field(default_factory=roi.Assumptions)
    log_kpi: bool = True
    lag: int = 0
    segment: str = "branch"
    driver_metric: str = "csat"
    base_from_data: bool = True
    action_id: int | None = None
    note: str = ""

    def to_dict(self) -> dict:
        """JSON-safe fields."""
        return {**asdict(self), "assumptions": self.assumptions.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping) -> Scenario:
        """The scenario stored by :meth:`to_dict` (fields a later version may add are ignored)."""
        known = {f.name for f in fields(cls)}
        return cls(**{**{k: v for k, v in data.items() if k in known},
                      "assumptions": roi.Assumptions.from_dict(data.get("assumptions") or {})})


@dataclass(frozen=True)
class Saved:
    """A stored scenario with its id, version and last editor."""

    id: int
    project_id: int
    version: int
    scenario: Scenario
    updated_by: str
    updated_at: datetime.datetime


@dataclass(frozen=True)
class Evidence:
    """The estimated links a scenario rests on, and the KPI today.

    ``model`` is None when the survey has no respondent-level driver model (``model_note`` says why); then only an
    overall NPS change can be assumed. ``kpi_per_month`` is the KPI's mean monthly total over the last
    :data:`BASELINE_MONTHS` months, ``rows_per_month`` the mean number of segment rows per month.
    """

    link: roi.Link
    model: roi.ScoreModel | None
    model_note: str
    kpi_per_month: float
    rows_per_month: float
    survey: str
    kpi_source: str

    def base(self, log_kpi: bool) -> float:
        """What the assumptions' ``base`` is for this link: the KPI per month, or the segment rows per month."""
        return self.kpi_per_month if log_kpi else self.rows_per_month

    def to_dict(self) -> dict:
        """JSON-safe fields."""
        return {"link": self.link.to_dict(), "model": self.model.to_dict() if self.model else None,
                "model_note": self.model_note, "kpi_per_month": self.kpi_per_month,
                "rows_per_month": self.rows_per_month, "survey": self.survey, "kpi_source": self.kpi_source}

    @classmethod
    def from_dict(cls, data: Mapping) -> Evidence:
        """The evidence stored by :meth:`to_dict`."""
        return cls(**{**data, "link": roi.Link.from_dict(data["link"]),
                      "model": roi.ScoreModel.from_dict(data["model"]) if data["model"] else None})


@dataclass(frozen=True)
class KpiChoice:
    """A KPI-per-period dataset a scenario can use: its KPI columns and segment columns."""

    name: str
    kpis: tuple[str, ...]
    segments: tuple[str, ...]


# ------------------------------------------------------------------ evidence


def kpi_choices(workspace: Workspace, project_id: int) -> list[KpiChoice]:
    """The project's KPI-per-period datasets (latest versions) with their KPI and segment columns."""
    return [KpiChoice(d.name, tuple((d.meta.get("kpis") or {}).values()), tuple(d.meta.get("segments") or ()))
            for d in workspace.datasets.list(project_id, "kpi_period") if d.latest]


def evidence(workspace: Workspace, project_id: int, scenario: Scenario) -> Evidence:
    """The scenario's links estimated from the journey's survey and its KPI dataset (cached per version)."""
    import json

    survey = workspace.datasets.survey_for(project_id, scenario.journey_id)
    if survey is None:
        raise WorkspaceError(_("The project has no survey answers to link to a KPI; import a survey first."))
    kpis = _kpi_dataset(workspace, project_id, scenario.kpi_dataset)
    options = {"kpi": scenario.kpi, "segment": scenario.segment, "log": scenario.log_kpi, "lag": scenario.lag,
               "metric": scenario.driver_metric}
    key = f"roi-evidence:{survey.id}:{kpis.id}:{json.dumps(options, sort_keys=True)}"
    if (hit := workspace.cache.get(key)) is not None:
        return Evidence.from_dict(hit)
    # the score model depends on the survey alone: scenarios on other KPIs share it
    model_key = f"roi-model:{survey.id}:{json.dumps([scenario.segment, scenario.driver_metric])}"
    fitted = None
    if (hit := workspace.cache.get(model_key)) is not None:
        fitted = (roi.ScoreModel.from_dict(hit["model"]) if hit["model"] else None, hit["note"])
    found = estimate(survey, kpis, scenario, fitted)
    workspace.cache.set(model_key, {"model": found.model.to_dict() if found.model else None,
                                    "note": found.model_note})
    workspace.cache.set(key, found.to_dict())
    return found


def estimate(survey: DatasetInfo, kpis: DatasetInfo, scenario: Scenario,
             fitted: tuple[roi.ScoreModel | None, str] | None = None) -> Evidence:
    """:func:`evidence` without the cache: read the answers and the KPI table, fit the link and the score model
    (unless ``fitted`` gives the model and its note already)."""
    import pandas as pd

    from workbench.data import query

    if scenario.driver_metric not in DRIVER_METRICS:
        raise ValueError(f"Unknown rating '{scenario.driver_metric}'; use one of {', '.join(DRIVER_METRICS)}.")
    sources = (str(survey.path),)
    if scenario.segment not in query.columns(sources):
        raise ValueError(_("The survey has no column '{segment}' to match the KPI rows with.").format(
            segment=scenario.segment))
    table = pd.read_parquet(kpis.path)
    for column in (scenario.segment, scenario.kpi):
        if column not in table.columns:
            raise ValueError(_("The KPI dataset “{name}” has no column '{column}'.").format(name=kpis.name,
                                                                                         column=column))
    answers = query.answers(query.Query(sources=sources, by=()), ["respondent_id", "touchpoint", scenario.segment])
    scores = roi.branch_month_scores(answers, "nps", segment=scenario.segment)
    panel = roi.join_panel(scores, table[[scenario.segment, "period", scenario.kpi]], scenario.segment)
    link = roi.panel_link(panel, scenario.kpi, "nps", scenario.segment, lag=scenario.lag, log_kpi=scenario.log_kpi)
    if fitted is not None:
        model, note = fitted
    else:
        model, note = _score_model(answers, scenario)
    monthly = table.groupby("period")[scenario.kpi].agg(["sum", "count"]).sort_index().tail(BASELINE_MONTHS)
    return Evidence(link=link, model=model, model_note=note, kpi_per_month=float(monthly["sum"].mean()),
                    rows_per_month=float(monthly["count"].mean()), survey=f"{survey.name} · v{survey.version}",
                    kpi_source=f"{kpis.name} · v{kpis.version}")


def _score_model(answers, scenario: Scenario) -> tuple[roi.ScoreModel | None, str]:
    """The touchpoints → overall NPS model on the rows the Drivers model keeps, or None and why not."""
    from workbench.analysis import drivers

    try:
        rows = drivers.model_rows(answers, "nps", scenario.driver_metric, segment=scenario.segment)
        if rows.model != "respondent":
            raise ValueError(_("Respondents rated too few touchpoints each for a model of the overall NPS by "
                               "touchpoint; assume the overall NPS change instead."))
        return roi.score_model(answers, rows.kept, scenario.driver_metric), rows.note
    except ValueError as error:
        return None, str(error)


def run(workspace: Workspace, project_id: int, scenario: Scenario,
        names: Mapping[str, str] | None = None) -> tuple[Scenario, Evidence, roi.Outcome]:
    """The scenario on today's data: with its base from the data if so chosen, its evidence and its outcome."""
    found = evidence(workspace, project_id, scenario)
    scenario = with_base(scenario, found)
    return scenario, found, roi.evaluate(scenario.assumptions, found.link, found.model, names=names)


def with_base(scenario: Scenario, found: Evidence) -> Scenario:
    """The scenario with its assumptions' base taken from the evidence when ``base_from_data`` says so."""
    if not scenario.base_from_data:
        return scenario
    return replace(scenario, assumptions=replace(scenario.assumptions, base=found.base(scenario.log_kpi)))


def _kpi_dataset(workspace: Workspace, project_id: int, name: str) -> DatasetInfo:
    for dataset in workspace.datasets.list(project_id, "kpi_period"):
        if dataset.latest and dataset.name == name:
            return dataset
    raise WorkspaceError(_("The project has no KPI-per-period dataset named “{name}”.").format(name=name))


def rating_change(action: Action) -> tuple[str, float | None]:
    """The card's change as (rating metric, change in rating points): the verified change if it has one, else the
    expected one.

    CSAT and CES changes are rating points already; a composite-index change is read on the CSAT scale (25 index
    points are one CSAT point). A touchpoint NPS change is in NPS points, which have no exact 0–10 rating
    equivalent, so it gives None: the user enters the rating change.
    """
    change = action.realised_change if action.realised_change is not None else action.expected_change
    if action.metric == "index":
        return "csat", None if change is None else change / INDEX_POINTS_PER_CSAT_POINT
    if action.metric == "nps":
        return "nps", None
    return action.metric, change


def from_action(action: Action, journey_id: int, kpi_dataset: str, kpi: str,
                assumptions: roi.Assumptions) -> Scenario:
    """A scenario for an action card: its touchpoints with the card's change (see :func:`rating_change`) and cost."""
    metric, change = rating_change(action)
    changes = {key: float(change) for key in action.touchpoints} if change is not None else {}
    return Scenario(name=action.title, journey_id=journey_id, kpi_dataset=kpi_dataset, kpi=kpi,
                    assumptions=replace(assumptions, changes=changes, cost=float(action.cost or 0.0)),
                    driver_metric=metric, action_id=action.id)


# ------------------------------------------------------------------ comparing and exporting


MEASURES = {"nps_change": _("Overall NPS change (points)"), "monthly_gain": _("Profit per month"),
            "npv": _("NPV"), "npv_p10": _("NPV P10"), "npv_p90": _("NPV P90"), "roi": _("ROI %"),
            "roi_p10": _("ROI % P10"), "roi_p90": _("ROI % P90"), "p_roi_positive": _("P(ROI > 0)"),
            "payback": _("Payback (months)"), "cost": _("Cost"), "months": _("Horizon (months)"),
            "discount": _("Discount rate"), "kpi": _("KPI"), "supported": _("Supported by the data")}


def compare(items: Sequence[tuple[Scenario, roi.Outcome]]) -> pandas.DataFrame:
    """Scenarios side by side: one row per measure (:data:`MEASURES`), one column per scenario."""
    import pandas as pd

    columns = {}
    for scenario, outcome in items:
        a = scenario.assumptions
        columns[scenario.name] = {
            "nps_change": outcome.nps_change, "monthly_gain": outcome.monthly_gain, "npv": outcome.npv,
            "npv_p10": outcome.npv_range[0], "npv_p90": outcome.npv_range[2], "roi": outcome.roi,
            "roi_p10": outcome.roi_range[0], "roi_p90": outcome.roi_range[2],
            "p_roi_positive": outcome.p_roi_positive, "payback": outcome.payback, "cost": a.cost,
            "months": a.months, "discount": a.discount, "kpi": scenario.kpi, "supported": outcome.supported}
    return pd.DataFrame(columns, index=list(MEASURES)).rename(index=MEASURES)


def to_csv(frame: pandas.DataFrame) -> str:
    """A comparison as CSV text for spreadsheets: text cells that would start a formula are quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["", *(neutralise(str(c)) for c in frame.columns)])
    for label, row in frame.iterrows():
        writer.writerow([neutralise(str(label)), *(_cell(v) for v in row)])
    return out.getvalue()


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # every digit: a spreadsheet reads it exactly
    return neutralise(str(value))


# ------------------------------------------------------------------ stored scenarios


class Scenarios:
    """The saved ROI scenarios of every project."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace

    def list(self, project_id: int) -> list[Saved]:
        """The project's scenarios by name."""
        with self.workspace.sessions() as session:
            rows = session.scalars(select(ScenarioRow).where(ScenarioRow.project_id == project_id)).all()
            return sorted((_saved(row) for row in rows), key=lambda s: s.scenario.name.casefold())

    def get(self, scenario_id: int) -> Saved:
        """One saved scenario."""
        with self.workspace.sessions() as session:
            return _saved(self._row(session, scenario_id))

    def save(self, project_id: int, scenario: Scenario, who: str = "", *, scenario_id: int | None = None,
             expected_version: int | None = None) -> Saved:
        """Store a new scenario, or overwrite ``scenario_id`` if it is still at ``expected_version``."""
        name = " ".join(scenario.name.split())
        if not name:
            raise WorkspaceError(_("The scenario needs a name."))
        scenario = replace(scenario, name=name[:200])
        with self.workspace.sessions.begin() as session:  # writers take turns: the names checked stay free
            claimed = scenario_id is None or claim(session, ScenarioRow.id, scenario_id, expected_version)
            taken = session.scalars(select(ScenarioRow).where(ScenarioRow.project_id == project_id)).all()
            if any(row.name.casefold() == scenario.name.casefold() and row.id != scenario_id for row in taken):
                raise WorkspaceError(_("A scenario named “{name}” already exists; choose another name or open "
                                       "it.").format(name=scenario.name))
            now = datetime.datetime.now().replace(microsecond=0)
            if scenario_id is None:
                row = ScenarioRow(project_id=project_id, version=1)
                session.add(row)
            else:
                row = self._row(session, scenario_id, project_id)
                if not claimed:
                    raise ConflictError(_("“{name}” was saved in another window by {who} at {when}; your change "
                                          "was not saved. Reopen it to see that version.").format(
                        name=row.name, who=row.updated_by, when=f"{row.updated_at:%H:%M}"))
                row.version += 1
            row.name, row.body, row.updated_by, row.updated_at = scenario.name, scenario.to_dict(), person(who), now
            session.flush()
            return _saved(row)

    def delete(self, project_id: int, scenario_id: int, *, expected_version: int) -> None:
        """Remove a scenario of the project still at ``expected_version``."""
        with self.workspace.sessions.begin() as session:
            claimed = claim(session, ScenarioRow.id, scenario_id, expected_version)
            row = self._row(session, scenario_id, project_id)
            if not claimed:
                raise ConflictError(_("“{name}” changed in another window; it was not deleted.").format(
                    name=row.name))
            session.delete(row)

    @staticmethod
    def _row(session, scenario_id: int, project_id: int | None = None) -> ScenarioRow:
        row = session.get(ScenarioRow, scenario_id)
        if row is None or (project_id is not None and row.project_id != int(project_id)):
            raise WorkspaceError(_("No scenario with id {id}; it may have been deleted in another window.").format(
                id=scenario_id))
        return row


def _saved(row: ScenarioRow) -> Saved:
    return Saved(row.id, row.project_id, row.version, Scenario.from_dict(row.body), row.updated_by, row.updated_at)
