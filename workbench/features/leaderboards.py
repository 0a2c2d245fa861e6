"""The Leaderboards screen's features: branches, employees and touchpoint owners ranked by score and by trend."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.analysis import breaks, leaderboard
from workbench.core import formatting, metrics
from workbench.core.access import AccessRefused
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.data import query, waves
from workbench.features.selection import Choice, Selection

if TYPE_CHECKING:
    import pandas

    from workbench.repos.workspace import Workspace

OWNER = "__owner__"  # rank the touchpoints' owners (teams) rather than a segment column's values
ALL_TOUCHPOINTS = "__all__"
FIRST_LEVEL = "branch"  # what a board ranks first when the survey has it; else the owners
RESPONDENT = "respondent_id"


@dataclass(frozen=True)
class Levels:
    """What can be ranked (the owners, then each segment column), the level shown, and where (all touchpoints or
    one)."""

    levels: list[Choice]
    level: str
    touchpoints: list[Choice]


def levels(chosen: Selection, current: str | None = None) -> Levels:
    """The levels of the selection's survey: ``current`` while it has it, else branch, else the owners."""
    columns = chosen.segment_columns()
    choices = [Choice(_("owners (teams)"), OWNER)] + [Choice(c, c) for c in columns]
    level = current if current in (OWNER, *columns) else (FIRST_LEVEL if FIRST_LEVEL in columns else OWNER)
    touchpoints = [Choice(_("all touchpoints"), ALL_TOUCHPOINTS)] + [
        Choice(tp.name, tp.key) for tp in chosen.journey.touchpoints
    ]
    return Levels(choices, level, touchpoints)


@dataclass(frozen=True)
class Board:
    """A ranked board: :func:`workbench.analysis.leaderboard.rank`'s rows in the order shown, the order (score or
    trend), whether the change against the period before is shown, and the note under it."""

    rows: pandas.DataFrame
    metric: str
    order: str
    trend: bool
    note: str


def board(
    workspace: Workspace, chosen: Selection, level: str, touchpoint: str | None = None, order: str = "score"
) -> Board:
    """Rank ``level``'s groups (or the owners) at one touchpoint or all, with the change against the period before;
    a survey that is one wave is ranked by score only. A scoped member ranked at their scope's level (a branch's
    partner among branches) sees their own place in the whole network, the others under pseudonyms
    (``query.aggregate`` of a network query), when the network is large enough to hide them."""
    keys = tuple(tp.key for tp in chosen.journey.touchpoints)
    place = (("touchpoint", (touchpoint,) if touchpoint and touchpoint != ALL_TOUCHPOINTS else keys),)
    network = level in query.scoped_columns(chosen.sources)
    try:
        return _board(workspace, chosen, level, place if network else chosen.filters + place, order, network)
    except AccessRefused:
        if not network:
            raise
        return _board(workspace, chosen, level, chosen.filters + place, order, False)  # a network too small


def _board(workspace: Workspace, chosen: Selection, level: str, filters: tuple, order: str, network: bool) -> Board:
    metric, cache = chosen.metric, workspace.cache
    trend = bool(chosen.date_from and chosen.date_to and chosen.wave is None)
    # A respondent's answers are one cluster in the change's test (see workbench.analysis.leaderboard).
    cluster = RESPONDENT if trend and RESPONDENT in query.columns(chosen.sources) else None
    by = (("touchpoint",) if level == OWNER else (level,)) + ((cluster,) if cluster else ())

    windows = [(chosen.date_from, chosen.date_to)]
    if trend and chosen.date_from and chosen.date_to:
        windows.append(breaks.previous_window(chosen.date_from, chosen.date_to))
    asked = [
        chosen.query(by=by, date_from=start, date_to=end, filters=filters, network=network) for start, end in windows
    ]
    # The ranking is kept as a whole: with a respondent per row its inputs are large (330 000 rows at 20 M
    # answers) and the changes' tests run per group.
    owners = chosen.journey if level == OWNER else None
    key = (
        "board:" + hashlib.sha256(repr(([q.key() for q in asked], level, metric, cluster, owners)).encode()).hexdigest()
    )
    rows = cache.get(key) if cache is not None else None
    if rows is None:

        def aggregate(asking: query.Query):
            result = query.aggregate(asking, cache)
            return leaderboard.owner_results(result, chosen.journey) if level == OWNER else result

        current, previous = aggregate(asked[0]), aggregate(asked[1]) if len(asked) > 1 else None
        rows = leaderboard.rank(current, previous, "owner" if level == OWNER else level, metric, cluster=cluster)
        if cache is not None:
            cache.set(key, rows)
    if chosen.wave is not None:  # no period before: ranked by score, without the change columns
        note = ngettext(
            "Ranked only with at least {n} answer.", "Ranked only with at least {n} answers.", metrics.DEFAULT_MIN_N
        ).format(n=formatting.count(metrics.DEFAULT_MIN_N))
        return Board(rows, metric, "score", False, f"{note} {waves.no_trend_message(chosen.wave)}")
    if order == "trend":
        rows = rows.sort_values(["trend_rank", "name"], na_position="last", kind="stable")
    note = ngettext(
        "Ranked only with at least {n} answer; the change is against the period before, and ▲/▼ mark "
        "changes that stay significant after the Benjamini–Hochberg correction.",
        "Ranked only with at least {n} answers; the change is against the period before, and ▲/▼ mark "
        "changes that stay significant after the Benjamini–Hochberg correction.",
        metrics.DEFAULT_MIN_N,
    ).format(n=formatting.count(metrics.DEFAULT_MIN_N))
    if cluster and metric in metrics.SCALES:
        note += " " + _(
            "The test counts the answers one respondent gave as one (cluster-robust, CR2): a respondent who rated "
            "several touchpoints is not several independent opinions."
        )
    if network:
        note += " " + _("The other {level} values are not named: you see where you stand in the whole network.").format(
            level=level
        )
    return Board(rows, metric, order, True, note)
