"""Saved column mappings: named, one per file shape in a project, offered for any file whose columns they fit.

A mapping is saved when an import is kept (under the name the user gives, by default the dataset's), and is
never applied without a word: the Data page says "using mapping *X* saved on …" and offers the others that fit,
the CLI prints the one it used and refuses one whose values look wrong for it (see :mod:`workbench.analysis.guesses`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from workbench.core import formatting
from workbench.core.errors import IngestError
from workbench.core.i18n import gettext as _
from workbench.data import ingest
from workbench.data.ingest import KpiMapping, SurveyMapping
from workbench.data.store import MappingRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.data.store import Sessions


class MappingError(ValueError):
    """No saved mapping of that name fits the file."""


@dataclass(frozen=True)
class SavedMapping:
    """A saved mapping: its name, when it was saved, and whether it was made for files with exactly these columns."""

    name: str
    updated_at: datetime
    mapping: SurveyMapping | KpiMapping
    same_shape: bool

    def describe(self) -> str:
        """ "“Monthly NPS” saved on 2026-03-01 14:05"."""
        return _("“{name}” saved on {moment}").format(name=self.name, moment=formatting.moment(self.updated_at))


class Mappings:
    """The saved mappings of a workspace's projects, read through its session factory (all they need)."""

    def __init__(self, sessions: Sessions):
        self.sessions = sessions

    def fitting(self, project_id: int, columns: list[str]) -> list[SavedMapping]:
        """Saved mappings every column of which the file has: the one made for these columns first, then newest."""
        shape, present = ingest.shape(columns), set(columns)
        found = []
        with self.sessions() as session:
            for row in session.scalars(select(MappingRow).where(MappingRow.project_id == project_id)):
                try:
                    mapping = ingest.mapping_from_dict(row.mapping)
                except IngestError:
                    continue  # a mapping of an older form that no longer reads is not offered
                if set(mapping.columns()) <= present:
                    found.append(
                        SavedMapping(
                            row.name or _("Mapping {id}").format(id=row.id), row.updated_at, mapping, row.shape == shape
                        )
                    )
        return sorted(found, key=lambda m: (not m.same_shape, -m.updated_at.timestamp()))

    def best(self, project_id: int, columns: list[str]) -> SavedMapping | None:
        """The mapping saved for files with these columns, if any."""
        fitting = self.fitting(project_id, columns)
        return fitting[0] if fitting and fitting[0].same_shape else None

    def named(self, project_id: int, name: str, columns: list[str]) -> SavedMapping:
        """The saved mapping called ``name``, which must fit the file's columns."""
        fitting = self.fitting(project_id, columns)
        for saved in fitting:
            if saved.name.casefold() == name.casefold():
                return saved
        if not fitting:
            raise MappingError(_("No saved mapping “{name}” fits this file; those that fit: none.").format(name=name))
        raise MappingError(
            _("No saved mapping “{name}” fits this file; those that fit: {names}.").format(
                name=name, names=", ".join(f"“{m.name}”" for m in fitting)
            )
        )

    @staticmethod
    def remember(session: Session, project_id: int, shape: str, mapping: dict, name: str) -> None:
        """Save ``mapping`` for files of ``shape`` under ``name`` (replacing the one saved for that shape)."""
        if not mapping:
            return
        row = session.scalar(select(MappingRow).where(MappingRow.project_id == project_id, MappingRow.shape == shape))
        if row is None:
            session.add(MappingRow(project_id=project_id, shape=shape, mapping=mapping, name=name))
        else:
            row.mapping, row.name, row.updated_at = mapping, name, datetime.now()
