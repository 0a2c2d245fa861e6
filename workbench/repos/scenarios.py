"""Saved ROI scenarios: each project's named what-ifs (:class:`workbench.core.scenario.Scenario`), with a version,
so two windows saving one scenario never silently overwrite each other."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace

from sqlalchemy import select

from workbench.core.errors import WorkspaceError, person
from workbench.core.i18n import gettext as _
from workbench.core.scenario import Scenario
from workbench.data.store import ScenarioRow, Sessions
from workbench.repos.versioned import delete_row, row_to_save


@dataclass(frozen=True)
class Saved:
    """A stored scenario with its id, version and last editor."""

    id: int
    project_id: int
    version: int
    scenario: Scenario
    updated_by: str
    updated_at: datetime.datetime


# ------------------------------------------------------------------ stored scenarios


class Scenarios:
    """The saved ROI scenarios of every project."""

    def __init__(self, sessions: Sessions):
        self.sessions = sessions  # sessions() reads; sessions.begin() writes, one writer at a time

    def list(self, project_id: int) -> list[Saved]:
        """The project's scenarios by name."""
        with self.sessions() as session:
            rows = session.scalars(select(ScenarioRow).where(ScenarioRow.project_id == project_id)).all()
            return sorted((_saved(row) for row in rows), key=lambda s: s.scenario.name.casefold())

    def get(self, scenario_id: int) -> Saved:
        """One saved scenario."""
        with self.sessions() as session:
            return _saved(self._row(session, scenario_id))

    def save(
        self,
        project_id: int,
        scenario: Scenario,
        who: str = "",
        *,
        scenario_id: int | None = None,
        expected_version: int | None = None,
    ) -> Saved:
        """Store a new scenario, or overwrite ``scenario_id`` if it is still at ``expected_version``."""
        name = " ".join(scenario.name.split())
        if not name:
            raise WorkspaceError(_("The scenario needs a name."))
        scenario = replace(scenario, name=name[:200])
        with self.sessions.begin() as session:  # writers take turns: the names checked stay free
            taken = WorkspaceError(
                _("A scenario named “{name}” already exists; choose another name or open it.").format(
                    name=scenario.name
                )
            )
            row = row_to_save(
                session, ScenarioRow, project_id, scenario.name, scenario_id, expected_version, self._row, taken
            )
            now = datetime.datetime.now().replace(microsecond=0)
            row.name, row.body, row.updated_by, row.updated_at = scenario.name, scenario.to_dict(), person(who), now
            session.flush()
            return _saved(row)

    def delete(self, project_id: int, scenario_id: int, *, expected_version: int) -> None:
        """Remove a scenario of the project still at ``expected_version``."""
        with self.sessions.begin() as session:
            delete_row(session, ScenarioRow, project_id, scenario_id, expected_version, self._row)

    @staticmethod
    def _row(session, scenario_id: int, project_id: int | None = None) -> ScenarioRow:
        row = session.get(ScenarioRow, scenario_id)
        if row is None or (project_id is not None and row.project_id != int(project_id)):
            raise WorkspaceError(
                _("No scenario with id {id}; it may have been deleted in another window.").format(id=scenario_id)
            )
        return row


def _saved(row: ScenarioRow) -> Saved:
    return Saved(row.id, row.project_id, row.version, Scenario.from_dict(row.body), row.updated_by, row.updated_at)
