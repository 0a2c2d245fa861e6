"""The alert inbox: each journey's alert rules and the alerts raised, stored with how they are being handled.

Storage only: the rules are evaluated by :mod:`workbench.analysis.alertrules` and a check is run by
:mod:`workbench.features.alerts`, which hands the alerts found to :meth:`Inbox.add`. What an alert and a rule are,
and which status changes are allowed, is :mod:`workbench.core.alerting`.
"""

from __future__ import annotations

import builtins
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from workbench.core.alerting import (
    CASE_DAYS,
    STATUS_NAMES,
    STATUSES,
    Alert,
    Rule,
    continues,
    default_rules,
    merge,
    move_problem,
    shown_name,
    stored_name,
    validate,
)
from workbench.core.errors import ConflictError, WorkspaceError, person
from workbench.core.events import AlertsRaised, Events
from workbench.core.i18n import gettext as _
from workbench.data.store import AlertRow, AlertSettingsRow, Sessions, claim


@dataclass(frozen=True)
class Item:
    """An alert in a journey's inbox and how it is being handled."""

    id: int
    project_id: int
    journey_id: int
    alert: Alert
    status: str
    owner: str
    action_id: int | None
    history: tuple[dict, ...]
    version: int
    due: datetime.date | None = None  # a case's (a single answer's): answered by this day

    def overdue(self, today: datetime.date) -> bool:
        """Whether a case is past its due day and nobody has taken it up (still new): escalated."""
        return self.due is not None and self.status == "new" and today > self.due


class Inbox:
    """The alert rules and raised alerts of a workspace's journeys."""

    def __init__(self, sessions: Sessions, events: Events | None = None):
        self.sessions = sessions
        self.events = events  # told of new alerts once they are committed (``AlertsRaised``): notifications

    def rules(self, journey_id: int) -> tuple[list[Rule], int]:
        """The journey's rules (the starter rules until the journey's settings are first stored) and their version."""
        with self.sessions() as session:
            return _stored_rules(session.get(AlertSettingsRow, journey_id))

    def save_rules(self, journey_id: int, rules: Sequence[Rule], *, expected_version: int) -> int:
        """Store the journey's rules unless someone saved others since ``expected_version``; the new version."""
        problems = [f"{rule.name or rule.key}: {problem}" for rule in rules for problem in validate(rule)]
        keys = [rule.key for rule in rules]
        if len(set(keys)) != len(keys):
            problems.append(_("Two rules share one key."))
        if problems:
            raise WorkspaceError(" ".join(problems))
        with self.sessions.begin() as session:  # writers take turns: the first save finds no row to claim
            row = self._settings(session, journey_id)
            if row.version != expected_version:
                raise ConflictError(
                    _(
                        "The rules were changed in another window; yours were not saved. "
                        "The page now shows the latest rules."
                    )
                )
            row.rules = [stored_name(rule).to_dict() for rule in rules]
            row.version += 1
            return row.version

    def checked_until(self, journey_id: int) -> datetime.date | None:
        """The last week end the journey's rules were evaluated to (None before the first check)."""
        with self.sessions() as session:
            settings = session.get(AlertSettingsRow, journey_id)
            return settings.evaluated_until if settings is not None else None

    def add(
        self,
        project_id: int,
        journey_id: int,
        found: Sequence[Alert],
        owners: Mapping[str, str],
        checked_until: datetime.date,
        who: str = "",
        responsible: Mapping[tuple[str, str], str] | None = None,
        today: datetime.date | None = None,
    ) -> int:
        """Store the alerts a check found (each owned by its touchpoint's owner) and the week end it reached.

        A single unhappy answer is a case: owned by whoever is ``responsible`` for its segment value ((column,
        value) → name: a partner's or a branch's login) if anyone is, and due ``alerting.CASE_DAYS`` after
        ``today``. Alerts already stored are not added again, and an alert that continues a stored episode extends
        it; the number of new alerts.
        """
        due = (today or datetime.date.today()) + datetime.timedelta(days=CASE_DAYS)
        with self.sessions.begin() as session:  # writers take turns: two checks at once would add the same alerts
            added = self._store(session, project_id, journey_id, found, owners, who, responsible or {}, due)
            settings = self._settings(session, journey_id)
            settings.evaluated_until = max(checked_until, settings.evaluated_until or checked_until)
            session.flush()
            ids = tuple(row.id for row in added)
        if ids and self.events is not None:
            self.events.emit(AlertsRaised(project_id, journey_id, ids))
        return len(ids)

    def list(self, project_id: int, journey_id: int | None = None, statuses: Sequence[str] | None = None) -> list[Item]:
        """The project's alerts (of one journey, in some statuses if given), newest first."""
        with self.sessions() as session:
            statement = select(AlertRow).where(AlertRow.project_id == project_id)
            if journey_id is not None:
                statement = statement.where(AlertRow.journey_id == journey_id)
            if statuses:
                statement = statement.where(AlertRow.status.in_(list(statuses)))
            rows = session.scalars(statement.order_by(AlertRow.last_seen.desc(), AlertRow.id.desc()))
            return [_item(row) for row in rows]

    def get(self, alert_id: int) -> Item:
        """One alert."""
        with self.sessions() as session:
            row = session.get(AlertRow, alert_id)
            if row is None:
                raise WorkspaceError(_("No alert with id {id}.").format(id=alert_id))
            return _item(row)

    def counts(self, project_id: int | None = None) -> dict[str, int]:
        """How many alerts are in each status (of one project, or the whole workspace)."""
        with self.sessions() as session:
            statement = select(AlertRow.status, func.count()).group_by(AlertRow.status)
            if project_id is not None:
                statement = statement.where(AlertRow.project_id == project_id)
            found = dict(session.execute(statement).all())
        return {status: int(found.get(status, 0)) for status in STATUSES}

    def set_status(self, alert_id: int, status: str, who: str = "", *, expected_version: int) -> Item:
        """Move an alert to ``status`` unless someone changed it since ``expected_version`` or the move is not
        one of ``alerting.MOVES`` (a :class:`WorkspaceError` says why)."""
        if status not in STATUSES:
            raise WorkspaceError(move_problem("new", status))
        with self.sessions.begin() as session:
            claimed = claim(session, AlertRow.id, alert_id, expected_version)
            row = session.get(AlertRow, alert_id)
            if row is None:
                raise WorkspaceError(_("No alert with id {id}.").format(id=alert_id))
            if not claimed:
                last = (row.history or [{}])[-1]
                raise ConflictError(
                    _("This alert was changed in another window ({who}, {what}); your change was not applied.").format(
                        who=last.get("who", ""), what=last.get("what", "")
                    )
                )
            problem = move_problem(row.status, status)
            if problem:
                raise WorkspaceError(problem)
            _change(row, status, who)
            return _item(row)

    def link_action(self, alert_id: int, project_id: int, action_id: int, who: str = "") -> None:
        """Mark an alert of the project as turned into the card ``action_id`` (an alert of another project: nothing)."""
        with self.sessions.begin() as session:
            row = session.get(AlertRow, alert_id)
            if row is None or row.project_id != project_id:  # checked first: another project's alert is not touched
                return
            claim(session, AlertRow.id, alert_id, None)  # a status change in another window waits, then sees this one
            row.action_id = action_id
            _change(row, "action", who)

    # ------------------------------------------------------------ internals

    @staticmethod
    def _settings(session, journey_id: int) -> AlertSettingsRow:
        row = session.get(AlertSettingsRow, journey_id)
        if row is None:
            row = AlertSettingsRow(
                journey_id=journey_id, rules=[stored_name(rule).to_dict() for rule in default_rules()], version=0
            )
            session.add(row)
        return row

    @staticmethod
    def _store(
        session,
        project_id: int,
        journey_id: int,
        found: Sequence[Alert],
        owners: Mapping[str, str],
        who: str,
        responsible: Mapping[tuple[str, str], str],
        due: datetime.date,
    ) -> builtins.list[AlertRow]:
        if not found:
            return []
        since = min(alert.first_seen for alert in found) - datetime.timedelta(days=7)
        recent = (AlertRow.journey_id == journey_id, AlertRow.last_seen >= since)
        # The keys first: a check that goes over stored weeks again finds thousands of single-answer alerts it
        # already has, and reading their whole rows (history and body as JSON) cost a second at 20 M answers.
        stored = set(session.scalars(select(AlertRow.key).where(*recent)))
        fresh = [alert for alert in found if alert.key not in stored]
        rules = sorted({alert.rule_key for alert in fresh if alert.kind != "answer"})
        rows = session.scalars(select(AlertRow).where(*recent, AlertRow.rule_key.in_(rules))).all() if rules else []
        episodes: dict[tuple[str, str, str], list[AlertRow]] = {}
        for row in rows:
            if row.body.get("kind") != "answer":
                episodes.setdefault((row.rule_key, row.touchpoint, row.body.get("value", "")), []).append(row)
        added: builtins.list[AlertRow] = []
        for alert in fresh:
            if alert.key in stored:  # found twice in one check
                continue
            ongoing = next(
                (
                    row
                    for row in episodes.get((alert.rule_key, alert.touchpoint, alert.value), ())
                    if continues(Alert.from_dict(row.body), alert)
                ),
                None,
            )
            if ongoing is not None:
                merged = merge(Alert.from_dict(ongoing.body), alert)
                ongoing.body, ongoing.last_seen = merged.to_dict(), merged.last_seen
                continue
            row = AlertRow(
                project_id=project_id,
                journey_id=journey_id,
                key=alert.key,
                rule_key=alert.rule_key,
                touchpoint=alert.touchpoint,
                segment=alert.segment[:200],
                value=alert.value[:400],
                due=due if alert.kind == "answer" else None,
                last_seen=alert.last_seen,
                body=alert.to_dict(),
                status="new",
                owner=responsible.get((alert.segment, alert.value)) or owners.get(alert.touchpoint, ""),
                history=[],
                version=1,
            )
            _note(row, who, _("Raised"))
            session.add(row)
            stored.add(alert.key)
            if alert.kind != "answer":
                episodes.setdefault((alert.rule_key, alert.touchpoint, alert.value), []).append(row)
            added.append(row)
        return added


def _stored_rules(row: AlertSettingsRow | None) -> tuple[list[Rule], int]:
    """A journey's rules and their version from its settings row (the starter rules until it has one)."""
    if row is None:
        return default_rules(), 0
    return [shown_name(Rule.from_dict(rule)) for rule in row.rules], row.version


def _change(row: AlertRow, status: str, who: str) -> None:
    if row.status != status:
        _note(row, who, _("{old} → {new}").format(old=STATUS_NAMES[row.status], new=STATUS_NAMES[status]))
        row.status = status
        row.version += 1


def _note(row: AlertRow, who: str, what: str) -> None:
    at = datetime.datetime.now().replace(microsecond=0).isoformat(sep=" ")
    row.history = [*(row.history or []), {"at": at, "who": person(who), "what": what}]


def _item(row: AlertRow) -> Item:
    return Item(
        id=row.id,
        project_id=row.project_id,
        journey_id=row.journey_id,
        alert=Alert.from_dict(row.body),
        status=row.status,
        owner=row.owner,
        action_id=row.action_id,
        history=tuple(row.history or ()),
        version=row.version,
        due=row.due,
    )
