"""Saved customer rules: each project's CRM lists and churn-risk / opportunity rules
(:class:`workbench.core.customerrules.Rule`), with a version, so two windows saving one rule never silently
overwrite each other, and each rule's last run (when, on which dataset version, matched, cards created)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace

from sqlalchemy import select

from workbench.core.customerrules import Rule, validate
from workbench.core.errors import WorkspaceError, person
from workbench.core.i18n import gettext as _
from workbench.data.store import CustomerRuleRow, Sessions
from workbench.repos.versioned import delete_row, row_to_save


class RuleError(WorkspaceError):
    """A rule the workspace refuses: no name, a name taken, a condition that cannot run."""


@dataclass(frozen=True)
class Run:
    """A rule's last run: when, on which dataset version, how many customers it matched and cards it created."""

    at: datetime.datetime
    dataset_id: int | None
    count: int
    tasks: int


@dataclass(frozen=True)
class Saved:
    """A stored rule with its id, version, last editor and last run (None before any)."""

    id: int
    project_id: int
    version: int
    rule: Rule
    updated_by: str
    updated_at: datetime.datetime
    run: Run | None


class CustomerRules:
    """The saved customer rules of every project."""

    def __init__(self, sessions: Sessions):
        self.sessions = sessions  # sessions() reads; sessions.begin() writes, one writer at a time

    def list(self, project_id: int) -> list[Saved]:
        """The project's rules: lists first, then task rules, each by name."""
        with self.sessions() as session:
            rows = session.scalars(select(CustomerRuleRow).where(CustomerRuleRow.project_id == project_id)).all()
            saved = [_saved(row) for row in rows]
        return sorted(saved, key=lambda s: (s.rule.is_task, s.rule.name.casefold()))

    def get(self, rule_id: int, project_id: int | None = None) -> Saved:
        """One saved rule (of ``project_id`` when given)."""
        with self.sessions() as session:
            return _saved(self._row(session, rule_id, project_id))

    def save(
        self,
        project_id: int,
        rule: Rule,
        who: str = "",
        *,
        rule_id: int | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Store a new rule, or overwrite ``rule_id`` if it is still at ``expected_version``; a rule that cannot
        run is refused with its problems."""
        rule = replace(rule, name=" ".join(rule.name.split()))
        if problems := validate(rule):
            raise RuleError(" ".join(problems))
        with self.sessions.begin() as session:  # writers take turns: the names checked stay free
            taken = RuleError(
                _("A rule named “{name}” already exists; choose another name or open it.").format(name=rule.name)
            )
            row = row_to_save(
                session, CustomerRuleRow, project_id, rule.name, rule_id, expected_version, self._row, taken
            )
            row.name, row.kind, row.body = rule.name, rule.kind, rule.to_dict()
            row.updated_by, row.updated_at = person(who), datetime.datetime.now().replace(microsecond=0)
            session.flush()
            return _saved(row)

    def delete(self, project_id: int, rule_id: int, *, expected_version: int) -> None:
        """Remove a rule of the project still at ``expected_version``."""
        with self.sessions.begin() as session:
            delete_row(session, CustomerRuleRow, project_id, rule_id, expected_version, self._row)

    def record_run(self, project_id: int, rule_id: int, run: Run) -> None:
        """Keep a rule's last run (whatever its version: a run changes no condition)."""
        with self.sessions.begin() as session:
            row = self._row(session, rule_id, project_id)
            row.run_at, row.run_dataset_id, row.run_count, row.run_tasks = run.at, run.dataset_id, run.count, run.tasks

    @staticmethod
    def _row(session, rule_id: int, project_id: int | None = None) -> CustomerRuleRow:
        row = session.get(CustomerRuleRow, rule_id)
        if row is None or (project_id is not None and row.project_id != int(project_id)):
            raise RuleError(_("No rule with id {id}; it may have been deleted in another window.").format(id=rule_id))
        return row


def _saved(row: CustomerRuleRow) -> Saved:
    run = (
        Run(row.run_at, row.run_dataset_id, row.run_count or 0, row.run_tasks or 0) if row.run_at is not None else None
    )
    return Saved(row.id, row.project_id, row.version, Rule.from_dict(row.body), row.updated_by, row.updated_at, run)
