"""The Scorecard screen's features: one reader's results on one page, a partner's or a branch's landing page on a
team server. Their scores at each touchpoint against its target, their monthly trend beside the whole network's,
their newest comments and the open action cards assigned to them.

Nothing here filters by person: the query layer limits every read to the reader's scope (``core.access``), so the
same page is a partner's portal, a branch's view, or a consultant's summary of the whole project."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.analysis import heatmap
from workbench.core import access, metrics
from workbench.core.access import AccessRefused
from workbench.core.i18n import gettext as _
from workbench.data import query
from workbench.features import heatmap as heatmap_features
from workbench.features.selection import Selection

if TYPE_CHECKING:
    import pandas

    from workbench.repos.actions import Action
    from workbench.repos.workspace import Workspace

COMMENTS = 20  # the newest comments shown
MIN_N = metrics.DEFAULT_MIN_N


@dataclass(frozen=True)
class Scorecard:
    """What the page shows: whose rows, the scores per touchpoint (``analysis.heatmap.scores``, those answered), how
    many touchpoints with a target are significantly above it, below it, not different and too thinly answered
    to tell (``analysis.heatmap.scores``' statuses), the trend, the comments and the open cards (by due date)."""

    scope: str
    metric: str
    scores: pandas.DataFrame
    against_targets: dict[str, int]
    trend: heatmap_features.Trend
    comments: list[heatmap_features.Comment]
    actions: list[Action]


def scorecard(workspace: Workspace, chosen: Selection) -> Scorecard:
    """The scorecard of the selection: the reader's rows alone, whoever they are."""
    metric, cache = chosen.metric, workspace.cache
    result = query.aggregate(chosen.query(), cache, min_n=MIN_N)
    scores = heatmap.scores(chosen.journey, result, metric)
    scores = scores[scores["n"] > 0].reset_index(drop=True)
    targeted = scores[scores["reference_kind"] == "target"]
    against = {status: int((targeted["status"] == status).sum()) for status in ("above", "below", "on", "low_n")}
    return Scorecard(
        scope=_whose(chosen),
        metric=metric,
        scores=scores,
        against_targets=against,
        trend=_trend(workspace, chosen),
        comments=_comments(chosen),
        actions=_open_actions(workspace, chosen.project_id),
    )


def _whose(chosen: Selection) -> str:
    """Whose answers the page shows: the reader's scope and the filters chosen, in words."""
    scope = access.current().scopes.get(chosen.project_id)
    parts = [scope.describe() if scope else "", query.describe_filters(chosen.filters)]
    return " · ".join(part for part in parts if part) or _("all customers")


def _trend(workspace: Workspace, chosen: Selection) -> heatmap_features.Trend:
    """The monthly score over every touchpoint of the journey up to the period's end, and the whole network's
    (one line over everyone, when the reader's scope leaves it large enough to show: ``query.limited``)."""
    metric, cache = chosen.metric, workspace.cache
    keys = (("touchpoint", tuple(tp.key for tp in chosen.journey.touchpoints)),)
    asked = chosen.query(by=("period",), date_from=None, filters=chosen.filters + keys)
    lines = [(_("your answers"), "13,110,253", query.aggregate(asked, cache, min_n=MIN_N))]
    if query.is_scoped(chosen.sources):
        try:
            network = query.aggregate(
                chosen.query(by=("period",), date_from=None, filters=keys, network=True), cache, min_n=MIN_N
            )
            lines.append((_("whole network"), "108,117,125", network))
        except AccessRefused:  # a network too small to hide its other members: their line alone
            pass
    return heatmap_features.Trend(
        metric=metric,
        lines=[
            heatmap_features.TrendLine(name, rgb, heatmap.trend(frame, metric).dropna(subset=["value"]))
            for name, rgb, frame in lines
        ],
        target=None,
        window=(chosen.date_from, chosen.date_to),
    )


def _comments(chosen: Selection) -> list[heatmap_features.Comment]:
    """The newest comments of the selection, with the touchpoint's name where they were given."""
    names = {tp.key: tp.name for tp in chosen.journey.touchpoints}
    found = query.comments(chosen.query(by=("touchpoint",)), limit=COMMENTS)
    shown = []
    for row in found.to_dict("records"):
        where = names.get(row["touchpoint"], _("Overall"))
        shown.append(heatmap_features.Comment(row["ts"], heatmap_features.answer_scores(row), where, row["comment"]))
    return shown


def _open_actions(workspace: Workspace, project_id: int) -> list[Action]:
    """The project's open cards the reader may see (a scoped member's: those assigned to them), soonest due first."""
    found = [card for card in workspace.actions.list(project_id) if card.is_open]
    return sorted(found, key=lambda card: (card.due or datetime.date.max, card.title.casefold()))
