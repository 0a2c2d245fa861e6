"""Named, versioned rows of a project (saved ROI scenarios, customer rules): one way to claim a row for a save or a
deletion, so a name stays unique in its project and a window holding an older version never overwrites a newer one.
Run these in a write transaction (``sessions.begin()``), whose lock keeps what they checked true until it commits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.core.errors import ConflictError, WorkspaceError
from workbench.core.i18n import gettext as _
from workbench.data.store import claim

Lookup = Callable[[Session, int, "int | None"], Any]  # (session, row id, project id) → the row, or an error


def row_to_save(
    session: Session,
    model: Any,
    project_id: int,
    name: str,
    row_id: int | None,
    expected_version: int | None,
    lookup: Lookup,
    taken: WorkspaceError,
) -> Any:
    """The row ``name`` is saved to: a new row of the project, or ``row_id`` if it is still at ``expected_version``
    (its version raised); ``taken`` is raised when another row of the project has the name (ignoring case), a
    ConflictError when the row changed since."""
    claimed = row_id is None or claim(session, model.id, row_id, expected_version)
    rows = session.scalars(select(model).where(model.project_id == project_id)).all()
    if any(row.name.casefold() == name.casefold() and row.id != row_id for row in rows):
        raise taken
    if row_id is None:
        row = model(project_id=project_id, version=1)
        session.add(row)
        return row
    row = lookup(session, row_id, project_id)
    if not claimed:
        raise ConflictError(
            _(
                "“{name}” was saved in another window by {who} at {when}; your change "
                "was not saved. Reopen it to see that version."
            ).format(name=row.name, who=row.updated_by, when=f"{row.updated_at:%H:%M}")
        )
    row.version += 1
    return row


def delete_row(
    session: Session, model: Any, project_id: int, row_id: int, expected_version: int, lookup: Lookup
) -> None:
    """Delete ``row_id`` of the project if it is still at ``expected_version`` (else a ConflictError)."""
    claimed = claim(session, model.id, row_id, expected_version)
    row = lookup(session, row_id, project_id)
    if not claimed:
        raise ConflictError(_("“{name}” changed in another window; it was not deleted.").format(name=row.name))
    session.delete(row)
