"""Improvement actions: cards on a project's kanban, their moves, history and recorded effect.

A card moves Backlog → Planned → In progress → Done → Verified. Every write checks the version the caller last
read, so two windows editing one card never silently overwrite each other, and every change is kept as an event
(who, when, the fields' old and new values). A card reaches Verified only with a recorded before/after verdict
(the check itself is :func:`workbench.features.actions.check`). Creating a card emits :class:`ActionCreated`, so the
card's origin (an alert) can react without this module writing anyone else's tables.
"""

from __future__ import annotations

import builtins
import datetime
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from workbench.core import access, formatting, i18n, metrics
from workbench.core.errors import ConflictError, WorkspaceError, person
from workbench.core.events import ActionCreated, Events
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.data.store import ActionEventRow, ActionRow, JourneyRow, Project, Sessions, claim

if TYPE_CHECKING:
    from workbench.core.journey import Journey

STATUSES = ("backlog", "planned", "in_progress", "done", "verified")
STATUS_NAMES = i18n.Labels(
    {
        "backlog": N_("Backlog"),
        "planned": N_("Planned"),
        "in_progress": N_("In progress"),
        "done": N_("Done"),
        "verified": N_("Verified"),
    }
)
OPEN_STATUSES = ("backlog", "planned", "in_progress")
ORIGIN_KINDS = i18n.Labels(
    {
        "manual": N_("Added by hand"),
        "break": N_("Break"),
        "alert": N_("Alert"),
        "driver": N_("Driver"),
        "touchpoint": N_("Touchpoint"),
        "churn_risk": N_("Churn risk"),
        "opportunity": N_("Opportunity"),
    }
)
# The history's first line of a card made from something a user found: a whole sentence per origin.
CREATED_FROM = i18n.Labels(
    {
        "break": N_("Created from a break"),
        "alert": N_("Created from an alert"),
        "driver": N_("Created from a key driver"),
        "touchpoint": N_("Created from a touchpoint"),
        "churn_risk": N_("Created by a churn-risk rule"),
        "opportunity": N_("Created by an opportunity rule"),
    }
)
FIELD_NAMES = i18n.Labels(
    {
        "title": N_("title"),
        "description": N_("description"),
        "touchpoints": N_("touchpoints"),
        "owner": N_("owner"),
        "due": N_("due date"),
        "cost": N_("cost"),
        "metric": N_("metric"),
        "expected_change": N_("expected change"),
        "segment": N_("segment"),
        "treated": N_("segment values"),
        "origin": N_("origin"),
        "status": N_("column"),
        "position": N_("order"),
        "done_on": N_("done date"),
        "verification": N_("verification"),
    }
)
# A before/after verdict in words (the words of :data:`workbench.analysis.verify.VERDICT_NAMES`).
VERDICT_NAMES = i18n.Labels(
    {
        "improved": N_("improved"),
        "no_change": N_("no detectable change"),
        "worse": N_("worse"),
        "insufficient": N_("too few answers"),
    }
)


class ActionError(WorkspaceError):
    """A card the workspace refuses: no title, a negative cost, an unknown touchpoint, a move not yet allowed."""


@dataclass(frozen=True)
class Draft:
    """What a user fills in on a card (all of it editable later)."""

    title: str
    description: str = ""
    touchpoints: tuple[str, ...] = ()
    owner: str = ""
    due: datetime.date | None = None
    cost: float | None = None
    metric: str = "csat"
    expected_change: float | None = None
    segment: str | None = None
    treated: tuple[str, ...] = ()
    origin: Mapping = field(default_factory=dict)

    def to_params(self) -> dict[str, str]:
        """The draft as URL query parameters (empty fields left out), e.g. for a 'create action' link.

        Lists are JSON arrays, so any value comes back from :meth:`from_params` as it was (commas included).
        """
        params = {
            "new": "1",
            "title": self.title,
            "description": self.description,
            "touchpoints": _list_text(self.touchpoints),
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else "",
            "cost": _number_text(self.cost),
            "metric": self.metric,
            "change": _number_text(self.expected_change),
            "segment": self.segment or "",
            "treated": _list_text(self.treated),
            "origin": self.origin.get("kind", ""),
            "origin_label": self.origin.get("label", ""),
            "origin_ref": str(self.origin.get("ref", "")),
        }
        return {key: value for key, value in params.items() if value}

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Draft:
        """A draft from URL query parameters; anything malformed is left empty rather than refused."""
        origin = (
            {"kind": params["origin"], "label": params.get("origin_label", "")}
            if params.get("origin") in ORIGIN_KINDS
            else {}
        )
        if origin and params.get("origin_ref"):
            origin["ref"] = params["origin_ref"]
        return cls(
            title=params.get("title", ""),
            description=params.get("description", ""),
            touchpoints=_parse_list(params.get("touchpoints")),
            owner=params.get("owner", ""),
            due=_parse_date(params.get("due")),
            cost=_parse_number(params.get("cost")),
            metric=str(params["metric"]) if params.get("metric") in metrics.METRICS else "csat",
            expected_change=_parse_number(params.get("change")),
            segment=params.get("segment") or None,
            treated=_parse_list(params.get("treated")),
            origin=origin,
        )


@dataclass(frozen=True)
class Action(Draft):
    """A stored card: the draft's fields plus where it stands on the board and what its check found."""

    id: int = 0
    project_id: int = 0
    journey_id: int | None = None
    status: str = "backlog"
    position: int = 0
    done_on: datetime.date | None = None
    verification: Mapping | None = None
    version: int = 1
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None

    @property
    def draft(self) -> Draft:
        """The card's editable fields."""
        return Draft(**{f.name: getattr(self, f.name) for f in fields(Draft)})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue(self, today: datetime.date) -> bool:
        """Still open after its due date."""
        return self.is_open and self.due is not None and self.due < today

    @property
    def verdict(self) -> str | None:
        """The recorded verdict of the before/after check (None before any check)."""
        return (self.verification or {}).get("verdict")

    @property
    def realised_change(self) -> float | None:
        """The measured effect on the score: the difference-in-differences if there was one, else after − before."""
        found = self.verification or {}
        value = found.get("effect") if found.get("effect") is not None else found.get("change")
        return None if value is None else float(value)


@dataclass(frozen=True)
class Event:
    """One recorded change of a card."""

    at: datetime.datetime
    who: str
    what: str
    changes: Mapping[str, list]


@dataclass(frozen=True)
class Column:
    """One kanban column: its cards in order, their count and total cost."""

    status: str
    name: str
    cards: tuple[Action, ...]

    @property
    def count(self) -> int:
        return len(self.cards)

    @property
    def cost(self) -> float:
        return sum(card.cost or 0.0 for card in self.cards)


# ------------------------------------------------------------------ pure helpers


def board(actions: Iterable[Action]) -> list[Column]:
    """The cards grouped into the five columns, each in its stored order."""
    cards = sorted(actions, key=lambda a: (a.position, a.id))
    return [Column(status, STATUS_NAMES[status], tuple(a for a in cards if a.status == status)) for status in STATUSES]


def choose(
    actions: Iterable[Action],
    *,
    owner: str | None = None,
    touchpoints: Collection[str] | None = None,
    overdue_on: datetime.date | None = None,
) -> list[Action]:
    """The cards of ``owner``, touching any of ``touchpoints`` (None: any; empty: none), overdue on ``overdue_on``."""
    wanted = None if touchpoints is None else set(touchpoints)
    return [
        a
        for a in actions
        if (not owner or a.owner == owner)
        and (wanted is None or wanted & set(a.touchpoints))
        and (overdue_on is None or a.overdue(overdue_on))
    ]


def stage_touchpoints(journey: Journey, stage: str) -> list[str]:
    """Keys of the touchpoints in one stage of the journey."""
    return [tp.key for tp in journey.touchpoints if tp.stage == stage]


def open_counts(actions: Iterable[Action]) -> dict[str, int]:
    """Number of open cards per touchpoint key."""
    counts: dict[str, int] = {}
    for action in actions:
        if action.is_open:
            for key in action.touchpoints:
                counts[key] = counts.get(key, 0) + 1
    return counts


def step(action: Action, direction: str) -> tuple[str, int | None] | None:
    """Where a move button puts a card: "left"/"right" to the bottom of the column before or after, "up"/"down" one
    place within its column (status, index; index None is the bottom); None past the first or last column."""
    if direction in ("left", "right"):
        target = STATUSES.index(action.status) + (-1 if direction == "left" else 1)
        return (STATUSES[target], None) if 0 <= target < len(STATUSES) else None
    if direction in ("up", "down"):
        return action.status, max(0, action.position + (-1 if direction == "up" else 1))
    raise ValueError(_("Unknown move “{direction}”.").format(direction=direction))


def unsaved(draft: Draft, latest: Draft) -> list[tuple[str, object]]:
    """The fields (name, value typed) where ``draft`` differs from the stored ``latest``: what a conflict lost."""
    return [
        (f.name, getattr(draft, f.name))
        for f in fields(Draft)
        if f.name != "origin" and getattr(draft, f.name) != getattr(latest, f.name)
    ]


def validate(draft: Draft, journey: Journey | None = None) -> Draft:
    """The draft cleaned (spaces, rounding) or an :class:`ActionError` saying what is wrong."""
    title = " ".join(str(draft.title).split())
    if not title:
        raise ActionError(_("The card needs a title."))
    if len(title) > 300:
        raise ActionError(_("The title is longer than 300 characters."))
    if draft.cost is not None and not draft.cost >= 0:
        raise ActionError(_("The cost cannot be negative."))
    if draft.metric not in metrics.METRICS:
        raise ActionError(_("Unknown metric “{metric}”.").format(metric=draft.metric))
    if journey is not None:
        known = {tp.key for tp in journey.touchpoints}
        unknown = [key for key in draft.touchpoints if key not in known]
        if unknown:
            raise ActionError(_("The journey has no touchpoint “{key}”.").format(key=unknown[0]))
    if draft.treated and not draft.segment:
        raise ActionError(
            _("Say which segment column the values {values} belong to.").format(values=", ".join(draft.treated))
        )
    return replace(
        draft,
        title=title,
        owner=" ".join(str(draft.owner).split()),
        touchpoints=tuple(dict.fromkeys(draft.touchpoints)),
        treated=tuple(dict.fromkeys(draft.treated)),
        segment=draft.segment or None,
        origin=dict(draft.origin),
    )


# ------------------------------------------------------------------ storage


class Actions:
    """The cards of a workspace's projects, stored with their history."""

    def __init__(self, sessions: Sessions, events: Events, journey: Callable[[int], Journey]):
        self.sessions = sessions
        self.events = events  # told of every card created
        self.journey = journey  # a journey's shape by id: cards are checked against its touchpoints

    def list(self, project_id: int, journey_id: int | None = None) -> list[Action]:
        """The project's cards (of one journey if given), by column and order."""
        with self.sessions() as session:
            statement = select(ActionRow).where(ActionRow.project_id == project_id)
            if journey_id is not None:
                statement = statement.where(ActionRow.journey_id == journey_id)
            return [_action(row) for row in session.scalars(statement.order_by(ActionRow.position, ActionRow.id))]

    def get(self, action_id: int) -> Action:
        """One card."""
        with self.sessions() as session:
            return _action(self._row(session, action_id))

    def create(
        self, project_id: int, draft: Draft, who: str = "", *, journey_id: int | None = None, status: str = "backlog"
    ) -> Action:
        """Store a new card at the bottom of ``status``; the owner defaults to its first touchpoint's owner."""
        journey = self.journey(journey_id) if journey_id is not None else None
        draft = validate(draft, journey)
        if not draft.owner and journey is not None:
            draft = replace(
                draft, owner=next((owner for k in draft.touchpoints if (owner := journey.touchpoint(k).owner)), "")
            )
        _require_status(status)
        with self.sessions.begin() as session:
            if session.get(Project, project_id) is None:
                raise ActionError(_("No project with id {id}.").format(id=project_id))
            if journey_id is not None and session.get(JourneyRow, journey_id) is None:
                raise ActionError(_("No journey with id {id}.").format(id=journey_id))
            last = session.scalar(
                select(func.max(ActionRow.position)).where(
                    ActionRow.project_id == project_id, ActionRow.status == status
                )
            )
            row = ActionRow(
                project_id=project_id,
                journey_id=journey_id,
                status=status,
                position=(last if last is not None else -1) + 1,
                version=1,
                done_on=datetime.date.today() if status in ("done", "verified") else None,
                **_columns(draft),
            )
            session.add(row)
            session.flush()
            origin = str(draft.origin.get("kind", ""))
            what = CREATED_FROM[origin] if origin in CREATED_FROM else _("Created")
            self._event(session, row, who, what, {})
            created = _action(row)
        self.events.emit(ActionCreated(project_id, created.id, dict(created.origin), who))
        return created

    def update(
        self,
        action_id: int,
        draft: Draft,
        who: str = "",
        *,
        expected_version: int,
        done_on: datetime.date | None = None,
    ) -> Action:
        """Store edited fields (and a corrected done date) if nobody changed the card since ``expected_version``."""
        with self.sessions.begin() as session:
            row = self._current(session, action_id, expected_version)
            journey = self.journey(row.journey_id) if row.journey_id is not None else None
            new = _columns(validate(draft, journey))
            if done_on is not None and row.status in ("done", "verified"):
                new["done_on"] = done_on
            changes = _apply(row, new)
            if changes:
                self._event(
                    session,
                    row,
                    who,
                    _("Edited {fields}").format(fields=", ".join(FIELD_NAMES[name] for name in changes)),
                    changes,
                )
            return _action(row)

    def move(
        self, action_id: int, status: str, index: int | None = None, who: str = "", *, expected_version: int
    ) -> Action:
        """Put the card at ``index`` (None: the bottom) of column ``status``, renumbering the columns it leaves and
        joins.

        Moving to Done sets the done date to today (editable later); moving back to an open column clears the done
        date and the verification (the history keeps both); Verified needs a recorded verdict first.
        """
        _require_status(status)
        with self.sessions.begin() as session:
            row = self._current(session, action_id, expected_version)
            if (
                status == "verified"
                and row.status != "verified"
                and (row.verification or {}).get("verdict") in (None, "insufficient")
            ):
                raise ActionError(
                    _(
                        "Check the effect first: a card moves to Verified only with a before/after "
                        "verdict (open the card and run the check)."
                    )
                )
            old_status = row.status
            column = [
                r
                for r in session.scalars(
                    select(ActionRow)
                    .where(ActionRow.project_id == row.project_id, ActionRow.status == status, ActionRow.id != row.id)
                    .order_by(ActionRow.position, ActionRow.id)
                )
            ]
            index = len(column) if index is None else max(0, min(int(index), len(column)))
            new: dict[str, object] = {"status": status}
            if status in ("done", "verified") and row.done_on is None:
                new["done_on"] = datetime.date.today()
            if status in OPEN_STATUSES and old_status not in OPEN_STATUSES:
                new.update(done_on=None, verification=None)
            old_position = row.position
            changes = _apply(row, new)
            column.insert(index, row)
            for position, card in enumerate(column):
                card.position = position
            if old_status != status:
                left = session.scalars(
                    select(ActionRow)
                    .where(
                        ActionRow.project_id == row.project_id, ActionRow.status == old_status, ActionRow.id != row.id
                    )
                    .order_by(ActionRow.position, ActionRow.id)
                )
                for position, card in enumerate(left):
                    card.position = position
                what = _("Moved from {old} to {new}").format(old=STATUS_NAMES[old_status], new=STATUS_NAMES[status])
            elif row.position != old_position:
                changes["position"] = [old_position, row.position]
                what = _("Moved within {column}").format(column=STATUS_NAMES[status])
            else:
                return _action(row)
            self._event(session, row, who, what, changes)
            return _action(row)

    def record(self, action_id: int, verification: Mapping, who: str = "", *, expected_version: int) -> Action:
        """Keep the result of a before/after check (``verify.Verification.to_dict()``) on a Done card."""
        with self.sessions.begin() as session:
            row = self._current(session, action_id, expected_version)
            if row.status not in ("done", "verified"):
                raise ActionError(_("Only a card in Done can be checked: move it there once the action is done."))
            changes = _apply(row, {"verification": dict(verification)})
            self._event(
                session,
                row,
                who,
                _("Checked the effect: {verdict}").format(
                    verdict=VERDICT_NAMES.get(verification.get("verdict", ""), verification.get("verdict", "?"))
                ),
                changes,
            )
            return _action(row)

    def delete(self, action_id: int, *, expected_version: int) -> None:
        """Remove a card with its history, unless someone changed it since ``expected_version``."""
        with self.sessions.begin() as session:
            row = self._current(session, action_id, expected_version)
            session.execute(delete(ActionEventRow).where(ActionEventRow.action_id == action_id))
            session.delete(row)

    def history(self, action_id: int) -> builtins.list[Event]:
        """Every change of the card, newest first."""
        with self.sessions() as session:
            rows = session.scalars(
                select(ActionEventRow).where(ActionEventRow.action_id == action_id).order_by(ActionEventRow.id.desc())
            ).all()
            card = session.get(ActionRow, action_id) if rows else None
            hidden = card is not None and access.current().scoped(card.project_id)  # as the card's verification
            return [
                Event(
                    r.at,
                    r.who,
                    r.what,
                    {k: v for k, v in (r.changes or {}).items() if not hidden or k != "verification"},
                )
                for r in rows
            ]

    # ------------------------------------------------------------ internals

    def _row(self, session, action_id: int) -> ActionRow:
        row = session.get(ActionRow, action_id)
        if row is None:
            raise ActionError(
                _("No card with id {id}; it may have been deleted in another window.").format(id=action_id)
            )
        return row

    def _current(self, session, action_id: int, expected_version: int) -> ActionRow:
        """The card, locked for this transaction at ``expected_version``."""
        claimed = claim(session, ActionRow.id, action_id, expected_version)
        row = self._row(session, action_id)
        if not claimed:
            last = session.scalar(
                select(ActionEventRow)
                .where(ActionEventRow.action_id == action_id)
                .order_by(ActionEventRow.id.desc())
                .limit(1)
            )
            if last is None:
                raise ConflictError(
                    _(
                        "This card was changed in another window or tab; your change was not applied. The card now "
                        "shows the latest version."
                    )
                )
            raise ConflictError(
                _(
                    "This card was changed in another window or tab ({who}, {when}: {what}); your change was not "
                    "applied. The card now shows the latest version."
                ).format(who=last.who, when=f"{last.at:%H:%M}", what=last.what)
            )
        return row

    @staticmethod
    def _event(session, row: ActionRow, who: str, what: str, changes: dict) -> None:
        now = datetime.datetime.now().replace(microsecond=0)
        row.version += 1
        row.updated_at = now
        session.add(ActionEventRow(action_id=row.id, at=now, who=person(who), what=what[:300], changes=changes))
        session.flush()


def _columns(draft: Draft) -> dict:
    values = {f.name: getattr(draft, f.name) for f in fields(Draft)}
    values.update(touchpoints=list(draft.touchpoints), treated=list(draft.treated), origin=dict(draft.origin))
    return values


def _apply(row: ActionRow, values: Mapping) -> dict[str, list]:
    """Set the row's fields; return the changed ones as ``{name: [old, new]}`` in JSON-safe form."""
    changes = {}
    for name, value in values.items():
        old = getattr(row, name)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(row, name, value)
    return changes


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict) and "verdict" in value:
        return value["verdict"]
    return value


def _action(row: ActionRow) -> Action:
    return Action(
        title=row.title,
        description=row.description,
        touchpoints=tuple(row.touchpoints or ()),
        owner=row.owner,
        due=row.due,
        cost=row.cost,
        metric=row.metric,
        expected_change=row.expected_change,
        segment=row.segment,
        treated=tuple(row.treated or ()),
        origin=dict(row.origin or {}),
        id=row.id,
        project_id=row.project_id,
        journey_id=row.journey_id,
        status=row.status,
        position=row.position,
        done_on=row.done_on,
        # A before/after check runs on every row of the project: a scoped member (core.access.Scope) sees the card,
        # not the network's scores it was checked on.
        verification=dict(row.verification)
        if row.verification and not access.current().scoped(row.project_id)
        else None,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _require_status(status: str) -> None:
    if status not in STATUSES:
        raise ActionError(_("Unknown column “{status}”.").format(status=status))


def _list_text(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), ensure_ascii=False) if values else ""


def _parse_list(text: str | None) -> tuple[str, ...]:
    try:
        values = json.loads(text) if isinstance(text, str) and text else []
    except ValueError:
        return ()
    return tuple(str(value) for value in values) if isinstance(values, list) else ()


def _number_text(value: float | None) -> str:
    return "" if value is None else repr(float(value)).removesuffix(".0")  # repr round-trips exactly


def _parse_number(text: str | None) -> float | None:
    try:
        return formatting.decimal(text) if text not in (None, "") else None
    except ValueError:
        return None


def _parse_date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        return None
