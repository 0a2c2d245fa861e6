"""The Drivers screen's features: what can be explained, which touchpoints move the dataset's overall outcome most,
and the importance × performance priorities, each with a draft action card."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.core import formatting, i18n, metrics
from workbench.core.contract import OVERALL
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.data import outcome as outcomes
from workbench.data.outcome import Outcome
from workbench.features import actions

if TYPE_CHECKING:
    import pandas

    from workbench.analysis.drivers import DriverResult
    from workbench.features.selection import Selection
    from workbench.repos.actions import Draft
    from workbench.repos.workspace import Workspace

PROMOTER = "promoter"  # the "Explain" choice that turns an NPS outcome into promoter or not
METHODS = i18n.Labels({"lmg": N_("Shapley / LMG"), "johnson": N_("Johnson's relative weights")})
DRIVER_METRICS = metrics.RATINGS
MISSING = i18n.Labels(
    {"pairwise": N_("pairwise (keep respondents who skipped)"), "listwise": N_("listwise (complete answers only)")}
)
MISSING_SHORT = i18n.Labels({"pairwise": N_("pairwise"), "listwise": N_("listwise")})  # in the summary line


@dataclass(frozen=True)
class Drivers:
    """A key-driver analysis as the screen shows it.

    ``shown`` is the outcome explained as titles name it (promoters for "promoter or not"); ``ranked`` the
    priorities (:func:`workbench.analysis.drivers.ranked`), ``drafts`` a new action card per ranked touchpoint,
    ``owners`` and ``names`` the journey's touchpoint owners and names. When the analysis cannot run, ``result``
    is None and ``error`` says why, or ``no_overall`` is set for a survey without an overall outcome.
    """

    shown: Outcome
    result: DriverResult | None = None
    ranked: pandas.DataFrame | None = None
    names: dict[str, str] | None = None
    owners: dict[str, str] | None = None
    drafts: dict[str, Draft] | None = None
    filters: str = ""
    error: str = ""
    no_overall: bool = False


def verdict(matters: bool, p_adjusted: float) -> str:
    """Whether a touchpoint matters, in words with its Holm-adjusted p-value: 'matters (p < 0.001)' or 'no evidence
    it matters (p = 0.412)'."""
    p = formatting.p_value(p_adjusted, "p")
    return _("matters ({p})").format(p=p) if matters else _("no evidence it matters ({p})").format(p=p)


def method_note(result: DriverResult) -> str:
    """The intervals' level and method and the test behind "matters", in one paragraph for the page and the deck."""
    level = formatting.percent(result.confidence * 100)
    return _(
        "Intervals: {level} percentile bootstrap over {reps} resamples; a share's interval is taken from each "
        "resample's own shares. “Matters”: the touchpoint adds to the explained variance once every other "
        "touchpoint is in (its unique contribution) — a z-test of its coefficient in the regression on all "
        "touchpoints with the bootstrap standard error, Holm-adjusted across the {k} touchpoints at {alpha}. "
        "“No evidence it matters” does not prove it does not; and a touchpoint can show a share without mattering: "
        "{method} credits it with what it shares with the touchpoints it correlates with."
    ).format(
        level=level,
        reps=formatting.count(result.reps),
        k=formatting.count(len(result.table)),
        alpha=formatting.percent((1 - result.confidence) * 100),
        method=METHODS[result.method],
    )


def outcome(workspace: Workspace, dataset_id: int) -> Outcome:
    """The overall outcome recorded with the dataset (NPS for datasets imported before outcomes were recorded)."""
    return outcomes.from_meta(workspace.datasets.get(dataset_id).meta)


def outcome_choices(workspace: Workspace, dataset_id: int) -> list[tuple[str, str]]:
    """What the dataset's overall outcome can be explained as, (label, value): the outcome as mapped, and for NPS
    also promoter or not."""
    mapped = outcome(workspace, dataset_id)
    if mapped.binary:
        label = _("{outcome} (yes or no)").format(outcome=mapped.label)
    elif mapped.metric == "nps":
        label = _("{outcome}: likelihood to recommend (0–10)").format(outcome=mapped.label)
    else:
        label = _("{outcome} ({low}–{high})").format(
            outcome=mapped.label, low=_bound(mapped.scale[0]), high=_bound(mapped.scale[1])
        )
    choices = [(label, mapped.metric)]
    if mapped.metric == "nps":
        choices.append((_("Promoter or not (overall 9–10)"), PROMOTER))
    return choices


def _bound(value: float) -> str:
    """A scale's end as written: 1, 5, 0.5 (Czech 0,5)."""
    return formatting.number(value, 0 if float(value).is_integer() else 1)


def analyse(
    workspace: Workspace,
    selection: Selection,
    dataset_id: int,
    explain: str | None,
    metric: str,
    method: str,
    missing: str = "pairwise",
) -> Drivers:
    """Relative importance of the touchpoints for the dataset's overall outcome (or promoter or not), with
    intervals, priorities and a draft card per touchpoint."""
    from workbench.analysis import (
        drivers,  # pandas and numpy: loaded when the screen first analyses, not at app start
    )

    info = workspace.datasets.get(dataset_id)
    mapped = outcome(workspace, dataset_id)
    if OVERALL not in (info.meta.get("touchpoints") or [OVERALL]):  # nothing to explain: say what to import
        return Drivers(mapped, no_overall=True)
    promoter = explain == PROMOTER and mapped.metric == "nps"
    # Promoter or not is a yes/no outcome made from the NPS answers: named as such in titles and the summary.
    shown = Outcome("nps", _("promoters"), (0.0, 1.0), True, _("promoters")) if promoter else mapped
    try:
        result = drivers.analyse_query(
            selection.query(by=()),
            workspace.cache,
            outcome=mapped.metric,
            driver_metric=metric,
            method=method,
            missing=missing,
            binary_threshold=metrics.PROMOTER_AT if promoter else None,
        )
    except ValueError as error:
        return Drivers(shown, error=str(error))
    touchpoints = selection.journey.touchpoints
    names = {tp.key: tp.name for tp in touchpoints}
    # Quadrants split at the mean performance (the chart's dashed line), as importance-performance analysis does.
    ranked = drivers.ranked(result, names)
    drafts = {
        record.touchpoint: actions.for_driver(
            record.touchpoint, names.get(record.touchpoint, record.touchpoint), record.reason, metric
        )
        for record in ranked.itertuples()
    }
    return Drivers(
        shown, result, ranked, names, {tp.key: tp.owner or "" for tp in touchpoints}, drafts, selection.filter_text()
    )
