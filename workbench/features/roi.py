"""The ROI screen's features: a scenario's evidence from the project's data, its result in money, scenarios taken
from action cards, saved, compared and exported.

A :class:`workbench.core.scenario.Scenario` names the KPI (a KPI-per-period dataset and column), how it is linked to
the NPS and the editable assumptions. :func:`evidence` estimates the links from the journey's survey and the KPI
table (cached per dataset version); :func:`workbench.analysis.roi.evaluate` turns both into money.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from workbench.analysis import roi
from workbench.analysis.roi import Evidence
from workbench.core import formatting, i18n, metrics
from workbench.core.contract import OVERALL
from workbench.core.errors import WorkspaceError
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _
from workbench.core.safecells import neutralise
from workbench.core.scenario import Assumptions, Scenario
from workbench.data import query, respondents
from workbench.data.outcome import from_meta
from workbench.repos.scenarios import Saved

if TYPE_CHECKING:
    import pandas

    from workbench.repos.actions import Action
    from workbench.repos.datasets import DatasetInfo
    from workbench.repos.workspace import Workspace

INDEX_POINTS_PER_CSAT_POINT = metrics.to_index("csat", 2.0) - metrics.to_index("csat", 1.0)  # 25: 1–5 → 0–100
# Row labels of a comparison: marked here, read in the reader's language (a deck's, a request's) when a table is made.
MEASURES = i18n.Labels(
    {
        "nps_change": N_("Overall NPS change (points)"),
        "monthly_gain": N_("Profit per month"),
        "npv": N_("NPV"),
        "npv_p10": N_("NPV P10"),
        "npv_p90": N_("NPV P90"),
        "roi": N_("ROI %"),
        "roi_p10": N_("ROI % P10"),
        "roi_p90": N_("ROI % P90"),
        "p_roi_positive": N_("P(ROI > 0)"),
        "payback": N_("Payback (months)"),
        "cost": N_("Cost"),
        "months": N_("Horizon (months)"),
        "discount": N_("Discount rate"),
        "kpi": N_("KPI"),
        "currency": N_("Currency"),
        "supported": N_("Supported by the data"),
    }
)
MONEY_MEASURES = ("npv", "npv_p10", "npv_p90", "monthly_gain", "cost")  # amounts, shown as money in its currency
# What stops the chain on a project's data, in the order it is checked.
NO_SURVEY, NO_OVERALL, NOT_NPS, NO_KPIS = "no-survey", "no-overall", "not-nps", "no-kpis"


@dataclass(frozen=True)
class KpiChoice:
    """A KPI-per-period dataset a scenario can use: its KPI columns and segment columns."""

    name: str
    kpis: tuple[str, ...]
    segments: tuple[str, ...]


@dataclass(frozen=True)
class Blocker:
    """Why the project's data cannot carry the chain (:data:`NO_SURVEY` …), with the survey's outcome's name."""

    kind: str
    outcome: str = ""


@dataclass(frozen=True)
class JourneyChoices:
    """What the screen offers for a journey: its saved scenarios, its action cards with touchpoints, KPI datasets."""

    saved: list[Saved]
    cards: list[Action]
    kpi_datasets: list[str]


@dataclass(frozen=True)
class KpiColumns:
    """A KPI dataset's KPI and segment columns, and the ones chosen."""

    kpis: tuple[str, ...]
    kpi: str | None
    segments: tuple[str, ...]
    segment: str | None


@dataclass(frozen=True)
class Gathered:
    """A scenario's evidence with what the changes table shows: the touchpoint names, the base taken from data."""

    evidence: Evidence
    names: dict[str, str]
    base: float


@dataclass(frozen=True)
class Result:
    """A scenario's outcome and how far each assumption swings its NPV."""

    outcome: roi.Outcome
    spread: pandas.DataFrame


@dataclass(frozen=True)
class Verdict:
    """What the data say of a scenario, in one sentence: ``kind`` is 'pays', 'uncertain', 'loses' (its links are
    significant; the NPV's P10 above zero, the P10–P90 across zero, its P90 below zero) or 'unsupported'."""

    kind: str
    text: str


@dataclass(frozen=True)
class FromCard:
    """A scenario taken from an action card, and where its change came from: 'verified', 'expected' or 'nps' (an
    NPS change at the touchpoint, which the user must give in rating points)."""

    scenario: Scenario
    source: str
    title: str


# ------------------------------------------------------------------ choices


def kpi_choices(workspace: Workspace, project_id: int) -> list[KpiChoice]:
    """The project's KPI-per-period datasets (latest versions) with their KPI and segment columns."""
    return [
        KpiChoice(d.name, tuple((d.meta.get("kpis") or {}).values()), tuple(d.meta.get("segments") or ()))
        for d in workspace.datasets.list(project_id, "kpi_period")
        if d.latest
    ]


def opening_journey(
    workspace: Workspace, project_id: int, scenario_id: int | None = None, action_id: int | None = None
) -> tuple[list[tuple[str, int]], int | None]:
    """The project's journeys as (name, id), and the one to show: a scenario's or a card's opened from a link,
    else the first."""
    journeys = workspace.journeys(project_id)
    wanted = None
    try:
        if scenario_id:
            wanted = workspace.scenarios.get(scenario_id).scenario.journey_id
        elif action_id:
            wanted = workspace.actions.get(action_id).journey_id
    except WorkspaceError:
        wanted = None
    ids = [j.id for j in journeys]
    return [(j.name, j.id) for j in journeys], wanted if wanted in ids else (ids[0] if ids else None)


def journey_choices(workspace: Workspace, project_id: int, journey_id: int) -> JourneyChoices:
    """The journey's saved scenarios and its action cards with touchpoints, and the project's KPI datasets."""
    saved = [s for s in workspace.scenarios.list(project_id) if s.scenario.journey_id == journey_id]
    cards = [a for a in workspace.actions.list(project_id, journey_id) if a.touchpoints]
    return JourneyChoices(saved, cards, [c.name for c in kpi_choices(workspace, project_id)])


def kpi_columns(
    workspace: Workspace, project_id: int, name: str | None, kpi: str | None = None, segment: str | None = None
) -> KpiColumns:
    """The dataset's KPI and segment columns; the current choice kept when the dataset has it, else a revenue
    KPI first and the finest (last) segment."""
    found = [c for c in kpi_choices(workspace, project_id) if c.name == name]
    if not found:
        return KpiColumns((), None, (), None)
    choice = found[0]
    preferred = [k for k in choice.kpis if "revenue" in k] or list(choice.kpis)
    return KpiColumns(
        choice.kpis,
        kpi if kpi in choice.kpis else (preferred[0] if preferred else None),
        choice.segments,
        segment if segment in choice.segments else (choice.segments[-1] if choice.segments else None),
    )


def blocker(workspace: Workspace, project_id: int, journey_id: int) -> Blocker | None:
    """What the project's data lacks for the chain (an overall NPS in the survey, KPIs), or None."""
    survey = workspace.datasets.survey_for(project_id, journey_id)
    if survey is None:
        return Blocker(NO_SURVEY)
    outcome = from_meta(survey.meta)
    if not (OVERALL in survey.meta.get("touchpoints", ()) and outcome.metric in survey.meta.get("metrics", ())):
        return Blocker(NO_OVERALL)
    if outcome.metric != "nps":
        return Blocker(NOT_NPS, outcome.label)
    if not kpi_choices(workspace, project_id):
        return Blocker(NO_KPIS)
    return None


def touchpoint_names(workspace: Workspace, journey_id: int) -> dict[str, str]:
    """Touchpoint key → name in the journey."""
    return {tp.key: tp.name for tp in workspace.journey(journey_id).journey.touchpoints}


# ------------------------------------------------------------------ evidence


def evidence(workspace: Workspace, project_id: int, scenario: Scenario) -> Evidence:
    """The scenario's links estimated from the journey's survey and its KPI dataset (cached per version)."""
    survey = workspace.datasets.survey_for(project_id, scenario.journey_id)
    if survey is None:
        raise WorkspaceError(_("The project has no survey answers to link to a KPI; import a survey first."))
    kpis = _kpi_dataset(workspace, project_id, scenario.kpi_dataset)
    options = {
        "kpi": scenario.kpi,
        "segment": scenario.segment,
        "log": scenario.log_kpi,
        "lag": scenario.lag,
        "metric": scenario.driver_metric,
        "link": "noise-corrected",  # links cached before the correction are not reused
        "language": i18n.current(),  # the link's sentence and the model's note are words in a language
    }
    scope = query.scope_key((str(survey.path), str(kpis.path)))
    key = f"roi-evidence:{survey.id}:{kpis.id}:{json.dumps(options, sort_keys=True)}:{scope}"
    cache = workspace.cache
    if (hit := cache.get(key)) is not None:
        return Evidence.from_dict(hit)
    # the score model depends on the survey alone: scenarios on other KPIs share it
    model_key = (
        f"roi-model:{survey.id}:{json.dumps([scenario.segment, scenario.driver_metric, i18n.current()])}:{scope}"
    )
    fitted = None
    if (hit := cache.get(model_key)) is not None:
        fitted = (roi.ScoreModel.from_dict(hit["model"]) if hit["model"] else None, hit["note"])
    found = estimate(survey, kpis, scenario, fitted)
    cache.set(model_key, {"model": found.model.to_dict() if found.model else None, "note": found.model_note})
    cache.set(key, found.to_dict())
    return found


def estimate(
    survey: DatasetInfo, kpis: DatasetInfo, scenario: Scenario, fitted: tuple[roi.ScoreModel | None, str] | None = None
) -> Evidence:
    """:func:`evidence` without the cache: read the answers and the KPI table, fit the link and the score model
    (from the survey's respondent table when it has a current one, ``data.respondents``; not at all when
    ``fitted`` gives the model and its note already)."""
    sources = (str(survey.path),)
    if scenario.segment not in query.columns(sources):
        raise ValueError(
            _("The survey has no column '{segment}' to match the KPI rows with.").format(segment=scenario.segment)
        )
    present = query.columns((str(kpis.path),))
    for column in (scenario.segment, scenario.kpi):
        if column not in present:
            raise ValueError(
                _("The KPI dataset “{name}” has no column '{column}'.").format(name=kpis.name, column=column)
            )
    table = query.table(str(kpis.path), list(dict.fromkeys((scenario.segment, "period", scenario.kpi))))
    if fitted is None and (people := respondents.load(survey.path, scenario.driver_metric)) is not None:
        fitted = roi.fit_respondents(people.rows, scenario.driver_metric, people.scored)
    # The touchpoint and the segment as categories: read and coded in half the time of a million texts. A fitted
    # score model leaves the link to fit, which reads the overall answers alone (a sixth of the rows), without ids.
    groups = ("touchpoint", scenario.segment)
    if fitted is None:
        answers = query.answers(query.Query(sources, by=()), ["respondent_id", *groups], categories=groups)
    else:
        overall = query.Query(sources, by=(), filters=(("touchpoint", (OVERALL,)),))
        answers = query.answers(overall, groups, categories=groups)
    return roi.evidence(
        answers, table, scenario, f"{survey.name} · v{survey.version}", f"{kpis.name} · v{kpis.version}", fitted
    )


def _kpi_dataset(workspace: Workspace, project_id: int, name: str) -> DatasetInfo:
    for dataset in workspace.datasets.list(project_id, "kpi_period"):
        if dataset.latest and dataset.name == name:
            return dataset
    raise WorkspaceError(_("The project has no KPI-per-period dataset named “{name}”.").format(name=name))


def gather(workspace: Workspace, project_id: int, scenario: Scenario) -> Gathered:
    """The evidence for the scenario's KPI and link, the journey's touchpoint names, and the base from data."""
    found = evidence(workspace, project_id, scenario)
    return Gathered(found, touchpoint_names(workspace, scenario.journey_id), found.base(scenario.log_kpi))


# ------------------------------------------------------------------ the result


def run(
    workspace: Workspace, project_id: int, scenario: Scenario, names: Mapping[str, str] | None = None
) -> tuple[Scenario, Evidence, roi.Outcome]:
    """The scenario on today's data: with its base from the data if so chosen, its evidence and its outcome."""
    found = evidence(workspace, project_id, scenario)
    scenario = roi.with_base(scenario, found)
    return scenario, found, roi.evaluate(scenario.assumptions, found.link, found.model, names=names)


def result(scenario: Scenario, found: Evidence, names: Mapping[str, str]) -> Result:
    """The scenario's outcome on its evidence, and the tornado of its assumptions."""
    return Result(
        roi.evaluate(scenario.assumptions, found.link, found.model, names=names),
        roi.tornado(scenario.assumptions, found.link, found.model, names),
    )


def verdict(outcome: roi.Outcome) -> Verdict:
    """The scenario's verdict: its evidence first (a change of the NPS and significant links), then its money, read
    on the same P10–P90 of the NPV the screen shows."""
    if not outcome.supported:
        # Whole sentences, one after another: the verdict, then each doubt.
        return Verdict("unsupported", " ".join([_("Not supported by the data."), *outcome.doubts]))
    low, _middle, high = outcome.npv_range
    chance = formatting.percent(outcome.p_roi_positive * 100)
    if low > 0:
        return Verdict(
            "pays",
            _(
                "Supported by the data: every link in the chain is significant, and the scenario pays in {chance} "
                "of the simulations (NPV P10 above zero)."
            ).format(chance=chance),
        )
    if high < 0:
        return Verdict(
            "loses",
            _(
                "The links are significant, but the scenario does not pay: its NPV is below zero in {chance} of the "
                "simulations (NPV P90 below zero)."
            ).format(chance=formatting.percent((1 - outcome.p_roi_positive) * 100)),
        )
    return Verdict(
        "uncertain",
        _(
            "The links are significant, but whether the scenario pays is uncertain: its NPV is above zero in "
            "{chance} of the simulations."
        ).format(chance=chance),
    )


def scenario_from_form(
    found: Evidence,
    *,
    name: str,
    journey_id: int,
    kpi_dataset: str,
    kpi: str,
    segment: str,
    lag: int,
    driver_metric: str,
    changes: Mapping[str, Any],
    overall: float | None,
    base: float | None,
    value: float | None,
    cost: float | None,
    months: float | None,
    discount_percent: float | None,
    defaults: Assumptions,
    currency: str | None = None,
) -> Scenario:
    """The scenario a form describes, on its evidence: blank or zero changes left out, a negative cost or
    discount taken as zero, at least one month, the discount in % a year; the base from data when left blank."""
    kept = {key: float(v) for key, v in changes.items() if _given(v) and float(v) != 0}
    assumptions = Assumptions(
        changes=kept,
        overall_change=_number(overall, 0.0),
        base=_number(base, 0.0),
        value_per_unit=_number(value, 0.0),
        cost=max(_number(cost, 0.0), 0.0),
        months=max(1, int(_number(months, defaults.months))),
        discount=max(_number(discount_percent, defaults.discount * 100), 0.0) / 100,
    )
    # The link estimated, even while a new link type is still being estimated.
    scenario = Scenario(
        name=(name or "").strip(),
        journey_id=journey_id,
        kpi_dataset=kpi_dataset,
        kpi=kpi,
        assumptions=assumptions,
        log_kpi=found.link.log_kpi,
        lag=int(lag or 0),
        segment=segment,
        driver_metric=driver_metric or "csat",
        base_from_data=not _given(base),
        currency=currency or "",  # the scenario reads it (core.scenario.currency_code)
    )
    return roi.with_base(scenario, found)


def money(amount: float | None, scenario: Scenario | None = None, currency: str | None = None) -> str:
    """An amount of a scenario as a reader sees it, with the scenario's currency: '45,6 tis. Kč', 'EUR 45.6 k'."""
    return formatting.money(amount, currency or (scenario.currency if scenario else formatting.default_currency()))


def churn_point(
    margin: float | None, retention: float | None, discount_percent: float | None, customers: float | None
) -> tuple[float, float]:
    """(CLV, value of one churn point per segment, to the cent) from the form's figures (blank counts as zero)."""
    lifetime, value = roi.churn_point_value(
        _number(margin, 0.0), _number(retention, 0.0), _number(discount_percent, 0.0) / 100, _number(customers, 0.0)
    )
    return lifetime, round(value, 2)


def _given(value) -> bool:
    return value not in (None, "")


def _number(value, default: float) -> float:
    """A form's number, or ``default`` when it is blank, not a number or infinite."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


# ------------------------------------------------------------------ from an action card


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


def from_action(action: Action, journey_id: int, kpi_dataset: str, kpi: str, assumptions: Assumptions) -> Scenario:
    """A scenario for an action card: its touchpoints with the card's change (see :func:`rating_change`) and cost."""
    metric, change = rating_change(action)
    changes = {key: float(change) for key in action.touchpoints} if change is not None else {}
    return Scenario(
        name=action.title,
        journey_id=journey_id,
        kpi_dataset=kpi_dataset,
        kpi=kpi,
        assumptions=replace(assumptions, changes=changes, cost=float(action.cost or 0.0)),
        driver_metric=metric,
        action_id=action.id,
    )


def from_card(
    workspace: Workspace,
    action_id: int,
    journey_id: int,
    kpi_dataset: str,
    kpi: str,
    *,
    value: float | None,
    months: float | None,
    discount_percent: float | None,
    defaults: Assumptions,
    currency: str | None = None,
) -> FromCard:
    """The scenario of a stored card (see :func:`from_action`) with the form's money assumptions (``defaults``
    where blank), and where its change came from."""
    card = workspace.actions.get(action_id)
    assumptions = Assumptions(
        value_per_unit=_number(value, defaults.value_per_unit),
        months=int(months or defaults.months),
        discount=_number(discount_percent, defaults.discount * 100) / 100,
    )
    scenario = replace(from_action(card, journey_id, kpi_dataset, kpi, assumptions), currency=currency or "")
    if not scenario.assumptions.changes and card.metric == "nps":
        source = "nps"
    else:
        source = "verified" if card.realised_change is not None else "expected"
    return FromCard(scenario, source, card.title)


# ------------------------------------------------------------------ saving, comparing and exporting


def saved(workspace: Workspace, scenario_id: int) -> Saved:
    """A saved scenario, to open it."""
    return workspace.scenarios.get(scenario_id)


def delete(workspace: Workspace, project_id: int, loaded: Mapping) -> None:
    """Remove the scenario ``loaded`` (id, version) unless it changed since it was opened."""
    workspace.scenarios.delete(project_id, loaded["id"], expected_version=loaded["version"])


def save(
    workspace: Workspace, project_id: int, scenario: Scenario, who: str, loaded: Mapping | None, as_new: bool
) -> Saved:
    """Save the scenario as the one ``loaded`` (id, version, project, journey) if asked to and it is still in the
    same project and journey, else as a new one."""
    # A scenario opened in another project or journey is not overwritten when the user has switched since.
    if as_new or not loaded or (loaded.get("project"), loaded.get("journey")) != (project_id, scenario.journey_id):
        return workspace.scenarios.save(project_id, scenario, who)
    return workspace.scenarios.save(
        project_id, scenario, who, scenario_id=loaded["id"], expected_version=loaded["version"]
    )


def compare(items: Sequence[tuple[Scenario, roi.Outcome]]) -> pandas.DataFrame:
    """Scenarios side by side: one row per measure (:data:`MEASURES`), one column per scenario."""
    import pandas as pd

    columns = {}
    for scenario, outcome in items:
        a = scenario.assumptions
        columns[scenario.name] = {
            "nps_change": outcome.nps_change,
            "monthly_gain": outcome.monthly_gain,
            "npv": outcome.npv,
            "npv_p10": outcome.npv_range[0],
            "npv_p90": outcome.npv_range[2],
            "roi": outcome.roi,
            "roi_p10": outcome.roi_range[0],
            "roi_p90": outcome.roi_range[2],
            "p_roi_positive": outcome.p_roi_positive,
            "payback": outcome.payback,
            "cost": a.cost,
            "months": a.months,
            "discount": a.discount,
            "kpi": scenario.kpi,
            "currency": scenario.currency,
            "supported": outcome.supported,
        }
    return pd.DataFrame(columns, index=list(MEASURES)).rename(index={key: MEASURES[key] for key in MEASURES})


def comparison(workspace: Workspace, project_id: int, scenario_ids: Sequence[int]) -> pandas.DataFrame:
    """The saved scenarios side by side (:func:`compare`), each recomputed on today's data; ValueError names one
    that cannot run."""
    items = []
    for scenario_id in scenario_ids:
        scenario, _found, outcome = run(workspace, project_id, workspace.scenarios.get(scenario_id).scenario)
        items.append((scenario, outcome))
    return compare(items)


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


# ------------------------------------------------------------------ score → repeat purchase

SOURCE_SEPARATOR = "\u241f"  # joins a repeat source's form, dataset and column in one choice; never typed in data
DATE_NAMES = ("date", "purchase_date", "purchased", "purchased_at", "order_date", "ts")  # a purchase file's date
REPEAT_MONTHS = 6  # the window a purchase file is read over first


@dataclass(frozen=True)
class RepeatSource:
    """Where repeat purchases are read from: a customer-KPI column counting or flagging them ("counts"), or a
    customer-KPI file's purchase dates ("dates", one row per purchase); ``value`` names it for a picker."""

    label: str
    value: str
    dated: bool


@dataclass(frozen=True)
class RepeatChoices:
    """What the repeat-purchase card offers: the journey's touchpoints, the metrics, the sources (the first chosen)."""

    touchpoints: tuple[tuple[str, str], ...]
    metrics: tuple[tuple[str, str], ...]
    sources: tuple[RepeatSource, ...]
    touchpoint: str | None


@dataclass(frozen=True)
class RepeatView:
    """The repeat-purchase link as the card shows it: the link (None when it cannot be estimated, ``message`` says
    why), the groups' names, the touchpoint's name and the sentence."""

    link: roi.RepeatLink | None
    names: dict[str, str]
    touchpoint: str
    sentence: str
    message: str = ""


def repeat_choices(workspace: Workspace, project_id: int, journey_id: int) -> RepeatChoices:
    """The touchpoints the journey's survey has answers at (overall first), its rating metrics, and the customer-KPI
    columns that count repeat purchases or date purchases (a column named like 'repeat' first)."""
    survey = workspace.datasets.survey_for(project_id, journey_id)
    if survey is None:
        return RepeatChoices((), (), (), None)
    answered = set(survey.meta.get("touchpoints") or ())
    names = touchpoint_names(workspace, journey_id)
    touchpoints: tuple[tuple[str, str], ...] = ((OVERALL, _("Overall")),) if OVERALL in answered else ()
    touchpoints += tuple((key, name) for key, name in names.items() if key in answered)
    measured = [m for m in (survey.meta.get("metrics") or ()) if m == "nps" or m in metrics.TOP_BOX]
    sources: list[RepeatSource] = []
    for dataset in workspace.datasets.list(project_id, "kpi_customer"):
        if not dataset.latest or "respondent_id" not in query.columns((str(dataset.path),)):
            continue
        kpis = list((dataset.meta.get("kpis") or {}).values())
        # Only whole numbers or flags count purchases (an amount such as revenue is no count); 'repeat…' first.
        types = query.table(str(dataset.path), kpis).dtypes if kpis else {}
        counted = sorted((c for c in kpis if types[c].kind in "iub"), key=lambda c: ("repeat" not in c.lower(), c))
        sources += [
            RepeatSource(f"{dataset.name} · {column}", SOURCE_SEPARATOR.join(("counts", dataset.name, column)), False)
            for column in counted
        ]
        sources += [
            RepeatSource(
                _("{dataset} · purchase dates in {column}").format(dataset=dataset.name, column=column),
                SOURCE_SEPARATOR.join(("dates", dataset.name, column)),
                True,
            )
            for column in query.columns((str(dataset.path),))
            if column.lower() in DATE_NAMES
        ]
    sources.sort(key=lambda s: not (s.dated or "repeat" in s.value.rsplit(SOURCE_SEPARATOR, 1)[-1].lower()))
    return RepeatChoices(
        touchpoints,
        tuple((m, metrics.NAMES[m]) for m in measured),
        tuple(sources),
        touchpoints[0][0] if touchpoints else None,
    )


def repeat_purchases(
    workspace: Workspace,
    project_id: int,
    journey_id: int,
    touchpoint: str,
    metric: str,
    source: str,
    months: int | None = REPEAT_MONTHS,
) -> RepeatView:
    """The repeat-purchase rate per score group of the customers who rated ``touchpoint`` in ``metric`` (each once,
    their first such answer), from the customer-KPI ``source`` (a :class:`RepeatSource` value), and the difference
    between the best and the worst group with its interval; an association, not an effect."""
    form, _sep, rest = (source or "").partition(SOURCE_SEPARATOR)
    dataset_name, _sep, column = rest.partition(SOURCE_SEPARATOR)
    survey = workspace.datasets.survey_for(project_id, journey_id)
    kpis = next(
        (d for d in workspace.datasets.list(project_id, "kpi_customer") if d.latest and d.name == dataset_name), None
    )
    place = {OVERALL: _("Overall"), **touchpoint_names(workspace, journey_id)}.get(touchpoint, touchpoint)
    names = repeat_group_names(metric)
    if (
        survey is None
        or kpis is None
        or form not in ("counts", "dates")
        or column not in query.columns((str(kpis.path),))
    ):
        return RepeatView(None, names, place, "", _("Choose a survey and a customer-KPI column of repeat purchases."))
    sources = (str(survey.path),)
    if "respondent_id" not in query.columns(sources):
        return RepeatView(None, names, place, "", _("The survey has no respondent ids to match customers with."))
    asked = query.Query(sources, by=(), filters=(("touchpoint", (touchpoint,)),))
    firsts = roi.first_answers(query.answers(asked, ["respondent_id"]), metric)
    table = query.table(str(kpis.path), ["respondent_id", column])
    table["respondent_id"] = table["respondent_id"].astype(str)
    firsts["respondent_id"] = firsts["respondent_id"].astype(str)
    if form == "counts":
        customers = roi.repeats_from_counts(firsts, table, column)
        window = _("repeat purchases counted in “{column}”").format(column=column)
    else:
        months = int(months or REPEAT_MONTHS)
        customers = roi.repeats_from_purchases(firsts, table, column, months)
        window = ngettext("a purchase within {n} month", "a purchase within {n} months", months).format(
            n=formatting.count(months)
        )
    if customers.empty:
        return RepeatView(None, names, place, "", _("No customer who rated this touchpoint has purchase data."))
    link = roi.repeat_link(customers, metric, dropped=len(firsts) - len(customers))
    return RepeatView(link, names, place, roi.repeat_sentence(link, names, place, window))


def repeat_group_names(metric: str) -> dict[str, str]:
    """The score groups' names: promoters, passives, detractors; a rating's top box and the rest with their
    answers ('Top box (4–5)', 'The rest (1–3)')."""
    if metric == "nps":
        return {"promoter": _("Promoters (9–10)"), "passive": _("Passives (7–8)"), "detractor": _("Detractors (0–6)")}
    low, high = metrics.REGISTRY[metric].answers or (0, 0)
    top = metrics.TOP_BOX.get(metric, high)
    return {
        "top": _("Top box ({low}–{high})").format(low=top, high=high),
        "rest": _("The rest ({low}–{high})").format(low=low, high=top - 1),
    }
