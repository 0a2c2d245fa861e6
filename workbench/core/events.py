"""A small event bus: one component says what happened, others react, and neither imports the other.

As in datasette's events, a repository emits a plain record (``DatasetCommitted``) and whoever assembled the
workspace decides who listens (the feature layer subscribes the alert inbox), so storage never calls up into
analysis.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetCommitted:
    """A dataset version was committed to a project (``kind`` is "survey" or "kpi")."""

    project_id: int
    dataset_id: int
    kind: str


@dataclass(frozen=True)
class ActionCreated:
    """An improvement action (a kanban card) was created; ``origin`` says from what (an alert: its id as ``ref``)."""

    project_id: int
    action_id: int
    origin: Mapping
    who: str


@dataclass(frozen=True)
class AlertsRaised:
    """A check stored new alerts in a journey's inbox (their ids, in the order raised)."""

    project_id: int
    journey_id: int
    alert_ids: tuple[int, ...]


class Events:
    """Handlers by event type; ``emit`` calls those of the event's type in the order they subscribed."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Callable[[object], None]]] = defaultdict(list)

    def subscribe(self, kind: type, handler: Callable) -> None:
        """Call ``handler(event)`` for every event of type ``kind`` emitted from now on."""
        self._handlers[kind].append(handler)

    def emit(self, event: object) -> None:
        """Tell every subscriber; one that fails is logged and does not undo what already happened."""
        for handler in list(self._handlers[type(event)]):
            try:
                handler(event)
            except Exception:  # the change is committed; a reaction that fails must not report it as failed
                log.exception("a handler of %s failed", type(event).__name__)
