"""The Actions screen's features: the kanban of improvement actions, a card's editor, its moves and its check.

Cards are stored by :mod:`workbench.repos.actions`; here they are filtered into the board, pre-filled from what a
user found (a touchpoint, a break, a key driver, an alert), moved by the editor's buttons, and checked before and
after (:mod:`workbench.analysis.verify`). Pages use the card types and vocabulary from here.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

from workbench.analysis import verify
from workbench.analysis.breaks import segment_columns
from workbench.core import formatting, metrics
from workbench.core.i18n import gettext as _
from workbench.core.metrics import DEFAULT_MIN_N
from workbench.data import query, waves
from workbench.repos.actions import (
    FIELD_NAMES,
    ORIGIN_KINDS,
    STATUS_NAMES,
    STATUSES,
    VERDICT_NAMES,
    Action,
    ActionError,
    Column,
    Draft,
    Event,
    board,
    choose,
    open_counts,
    stage_touchpoints,
    step,
    unsaved,
)

if TYPE_CHECKING:
    from workbench.analysis.breaks import Break
    from workbench.core.journey import Journey
    from workbench.repos.alerts import Item
    from workbench.repos.workspace import Workspace

__all__ = [
    "FIELD_NAMES",
    "ORIGIN_KINDS",
    "STATUSES",
    "STATUS_NAMES",
    "VERDICT_NAMES",
    "Action",
    "ActionError",
    "Draft",
    "BoardView",
    "CardForm",
    "Choices",
    "board_view",
    "card_form",
    "check",
    "choices",
    "conflict_note",
    "create",
    "delete",
    "for_alert",
    "for_break",
    "for_driver",
    "for_touchpoint",
    "move",
    "open_counts",
    "owners",
    "segment_values",
    "step_card",
    "update",
    "windows_from",
]

MAX_WEEKS = 104  # the longest before/after window the check offers: two years


# ------------------------------------------------------------------ drafts from what a user found


def for_touchpoint(journey: Journey, key: str) -> Draft:
    """A card pre-filled for one touchpoint: its name in the title, its owner."""
    tp = journey.touchpoint(key)
    return Draft(
        title=_("Improve {touchpoint}").format(touchpoint=tp.name),
        touchpoints=(key,),
        owner=tp.owner or "",
        origin={"kind": "touchpoint", "label": tp.name},
    )


def for_break(journey: Journey, found: Break) -> Draft:
    """A card pre-filled from a break: its touchpoint, owner, segment, and the gap to close as the expected change."""
    tp = journey.touchpoint(found.touchpoint)
    title = (
        _("Fix {touchpoint} ({column} {segment})").format(
            touchpoint=tp.name, column=found.column, segment=found.segment
        )
        if found.column
        else _("Fix {touchpoint}").format(touchpoint=tp.name)
    )
    return Draft(
        title=title,
        description=found.sentence,
        touchpoints=(found.touchpoint,),
        owner=tp.owner or "",
        metric=found.metric,
        expected_change=round(abs(found.delta), 2),
        segment=found.column,
        treated=(found.segment,) if found.segment else (),
        origin={"kind": "break", "label": found.sentence},
    )


def for_driver(touchpoint: str, name: str, reason: str, metric: str) -> Draft:
    """A card pre-filled from a key driver: the touchpoint (``name`` on screen), why it matters, the outcome metric."""
    return Draft(
        title=_("Improve {touchpoint} (key driver)").format(touchpoint=name),
        description=reason,
        touchpoints=(touchpoint,),
        metric=metric,
        origin={"kind": "driver", "label": reason},
    )


def for_alert(item: Item, where: str, names: Mapping[str, str]) -> Draft:
    """A card pre-filled from an alert of the inbox (``where`` it fired, ``names`` of the journey's touchpoints);
    creating it turns the alert into an action."""
    alert = item.alert
    return Draft(
        title=_("Act on: {what}").format(what=where),
        description=alert.message,
        touchpoints=(alert.touchpoint,) if alert.touchpoint in names else (),
        metric=alert.metric,
        segment=alert.segment or None,
        treated=(alert.value,) if alert.value else (),
        origin={"kind": "alert", "label": alert.message, "ref": item.id},
    )


# ------------------------------------------------------------------ the board


@dataclass(frozen=True)
class Choices:
    """What the board's filters offer: the project's journeys, and the stages and touchpoints of those chosen."""

    journeys: dict[int, str]
    stages: dict[str, str]
    touchpoints: dict[str, str]


@dataclass(frozen=True)
class BoardView:
    """The five columns of the cards that pass the filters, the touchpoints' names, and everyone who owns something."""

    columns: list[Column]
    names: dict[str, str]
    owners: list[str]


def choices(workspace: Workspace, project_id: int, journey_id: int | None = None) -> Choices:
    """The journeys of the project, and the stages and touchpoints of one of them (None: of all of them)."""
    journeys = workspace.journeys(project_id)
    stages, touchpoints = {}, {}
    for info in journeys:
        if journey_id in (None, info.id):
            journey = workspace.journey(info.id).journey
            stages.update({stage.key: stage.name for stage in journey.stages})
            touchpoints.update({tp.key: tp.name for tp in journey.touchpoints})
    return Choices({info.id: info.name for info in journeys}, stages, touchpoints)


def owners(workspace: Workspace, project_id: int) -> list[str]:
    """Everyone who owns a touchpoint or a card in the project, by name."""
    names = {owner.name for owner in workspace.owners(project_id)}
    names |= {card.owner for card in workspace.actions.list(project_id) if card.owner}
    return sorted(names, key=str.casefold)


def board_view(
    workspace: Workspace,
    project_id: int,
    journey_id: int | None = None,
    *,
    owner: str | None = None,
    stage: str | None = None,
    touchpoint: str | None = None,
    overdue_on: datetime.date | None = None,
) -> BoardView:
    """The project's cards (of one journey if given) of ``owner``, at a touchpoint of ``stage`` or at
    ``touchpoint``, overdue on ``overdue_on``, in their columns."""
    shapes = {info.id: workspace.journey(info.id).journey for info in workspace.journeys(project_id)}
    wanted = None
    if stage:
        wanted = {
            key
            for stored_id, shape in shapes.items()
            if journey_id in (None, stored_id)
            for key in stage_touchpoints(shape, stage)
        }
    if touchpoint:
        wanted = {touchpoint} if wanted is None else wanted & {touchpoint}
    shown = choose(
        workspace.actions.list(project_id, journey_id), owner=owner or None, touchpoints=wanted, overdue_on=overdue_on
    )
    names = {tp.key: tp.name for shape in shapes.values() for tp in shape.touchpoints}
    return BoardView(board(shown), names, owners(workspace, project_id))


# ------------------------------------------------------------------ a card


@dataclass(frozen=True)
class CardForm:
    """What the card editor shows: the card (None for a new one) or the draft, and the choices of its fields."""

    draft: Draft
    action: Action | None
    journey_id: int | None
    touchpoints: dict[str, str]
    owners: list[str]
    segments: list[str]
    segment_values: list[str]
    has_survey: bool
    wave_note: str | None
    history: list[Event]


def card_form(
    workspace: Workspace,
    project_id: int,
    journey_id: int | None,
    action_id: int | None = None,
    draft: Draft | None = None,
) -> CardForm:
    """The editor of a stored card (``action_id``) or of a new one pre-filled with ``draft``, in the journey."""
    action = workspace.actions.get(action_id) if action_id is not None else None
    if action is not None:
        journey_id, draft = action.journey_id, action.draft
    draft = draft or Draft("")
    journey = workspace.journey(journey_id).journey if journey_id else None
    survey = workspace.datasets.survey_for(project_id, journey_id)
    sources = (str(survey.path),) if survey is not None else ()
    wave = waves.single_wave(survey.meta) if survey is not None else None
    return CardForm(
        draft=draft,
        action=action,
        journey_id=journey_id,
        touchpoints={tp.key: tp.name for tp in journey.touchpoints} if journey else {},
        owners=owners(workspace, project_id),
        segments=segment_columns(sources) if sources else [],
        segment_values=query.segment_values(sources, draft.segment) if sources and draft.segment else [],
        has_survey=survey is not None,
        wave_note=waves.no_trend_message(wave) if wave is not None else None,
        history=workspace.actions.history(action.id) if action is not None else [],
    )


def segment_values(workspace: Workspace, project_id: int, journey_id: int | None, column: str | None) -> list[str]:
    """The values of a segment column in the journey's survey (none without a column or a survey)."""
    survey = workspace.datasets.survey_for(project_id, journey_id)
    return query.segment_values((str(survey.path),), column) if survey is not None and column else []


def create(
    workspace: Workspace,
    project_id: int,
    draft: Draft,
    who: str = "",
    *,
    journey_id: int | None = None,
    status: str = "backlog",
) -> Action:
    """Store a new card at the bottom of ``status`` (a card from an alert turns the alert into an action)."""
    return workspace.actions.create(project_id, draft, who, journey_id=journey_id, status=status)


def update(
    workspace: Workspace,
    action_id: int,
    draft: Draft,
    who: str = "",
    *,
    expected_version: int,
    done_on: datetime.date | None = None,
) -> Action:
    """Store a card's edited fields (and a corrected done date); its origin stays, as the editor does not show it."""
    draft = replace(draft, origin=workspace.actions.get(action_id).origin)
    return workspace.actions.update(action_id, draft, who, expected_version=expected_version, done_on=done_on)


def delete(workspace: Workspace, action_id: int, *, expected_version: int) -> None:
    """Remove a card with its history."""
    workspace.actions.delete(action_id, expected_version=expected_version)


def move(
    workspace: Workspace, action_id: int, status: str, index: int | None = None, who: str = "", *, expected_version: int
) -> Action:
    """Put a card at ``index`` (None: the bottom) of column ``status``, as a drag and drop does."""
    return workspace.actions.move(action_id, status, index, who, expected_version=expected_version)


def step_card(workspace: Workspace, action_id: int, direction: str, who: str = "", *, expected_version: int) -> Action:
    """Move a card one column "left" or "right" (to its bottom) or one place "up" or "down"; past the first or the
    last column it stays."""
    action = workspace.actions.get(action_id)
    target = step(action, direction)
    if target is None:
        return action
    return workspace.actions.move(action_id, *target, who, expected_version=expected_version)


def conflict_note(workspace: Workspace, action_id: int, draft: Draft) -> str:
    """The values typed in ``draft`` that a conflicting save did not store (so they can be entered again)."""
    lost = unsaved(draft, workspace.actions.get(action_id).draft)
    if not lost:
        return ""
    return _("Not saved: {values}.").format(
        values="; ".join(
            _("{field} “{value}”").format(
                field=FIELD_NAMES[name],
                value=metrics.NAMES.get(str(value), str(value)) if name == "metric" else _plain(value),
            )
            for name, value in lost
        )
    )


def _plain(value) -> str:
    """A typed value as the reader wrote it: lists joined, dates and numbers in the reader's format."""
    if isinstance(value, (tuple, list)):
        return ", ".join(map(str, value))
    if isinstance(value, datetime.date):
        return formatting.date(value)
    if isinstance(value, float) and "e" not in repr(value):
        return formatting.number(value, len(repr(value).partition(".")[2].rstrip("0")))
    return "" if value is None else str(value)


# ------------------------------------------------------------------ the before/after check


def windows_from(before: int | None, after: int | None, gap: int | None) -> verify.Windows:
    """The check's windows from the weeks typed: 1 to ``MAX_WEEKS`` before and after (8 if empty), a gap of 0 to
    ``MAX_WEEKS`` (0 if empty)."""

    def weeks(value, default: int, smallest: int) -> int:
        try:
            return min(MAX_WEEKS, max(smallest, int(value)))
        except (TypeError, ValueError):
            return default

    return verify.Windows(weeks(before, 8, 1), weeks(after, 8, 1), weeks(gap, 0, 0))


def check(
    workspace: Workspace,
    action_id: int,
    windows: verify.Windows | None = None,
    who: str = "",
    *,
    expected_version: int,
    min_n: int = DEFAULT_MIN_N,
    alpha: float = 0.05,
) -> Action:
    """Run the before/after check of a Done card on its journey's latest survey and keep the result on it."""
    action = workspace.actions.get(action_id)
    survey = workspace.datasets.survey_for(action.project_id, action.journey_id)
    if survey is None or not action.touchpoints or action.done_on is None:
        raise ActionError(_("The check needs survey data, at least one touchpoint and a done date."))
    windows = windows or verify.Windows()
    names = (
        {}
        if action.journey_id is None
        else {tp.key: tp.name for tp in workspace.journey(action.journey_id).journey.touchpoints}
    )
    found = verify.verify(
        (str(survey.path),),
        action.touchpoints,
        action.done_on,
        metric=action.metric,
        windows=windows,
        segment=action.segment,
        treated=action.treated,
        alpha=alpha,
        min_n=min_n,
        cache=workspace.cache,
        names=names,
        wave=waves.single_wave(survey.meta),
    )
    return workspace.actions.record(
        action_id,
        {**found.to_dict(), "windows": asdict(windows), "dataset": survey.id},
        who,
        expected_version=expected_version,
    )
