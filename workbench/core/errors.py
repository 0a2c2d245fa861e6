"""The errors the workspace raises for a request it refuses, and the rules for the names it records.

They live apart from the repositories that raise them so that every layer (and every page) can catch them without
importing the workspace.
"""

from __future__ import annotations

from workbench.core.i18n import gettext as _

ANONYMOUS = _("someone")


class IngestError(ValueError):
    """A file that cannot be imported at all (empty, unreadable, mapped columns missing)."""


class Cancelled(Exception):
    """The user cancelled an import; nothing was written."""


class WorkspaceError(ValueError):
    """A request the workspace refuses (a name taken, nothing to undo, an unknown id)."""


class ConflictError(WorkspaceError):
    """The thing changed since the caller last read it; the edit was not applied."""


def person(who: str) -> str:
    """The name a change is recorded under: spaces tidied, "someone" when empty, at most 200 characters."""
    return (" ".join(who.split()) or ANONYMOUS)[:200]


def clean_name(name: str, what: str) -> str:
    """``name`` with its spaces collapsed; an empty name is refused (``what`` names the thing in the error)."""
    name = " ".join(str(name).split())
    if not name:
        raise WorkspaceError(f"The {what} needs a name.")
    return name


def require_free_name(rows, name: str, own_id: int | None, message: str) -> None:
    """Names are unique ignoring case: “Acme” and “acme” would be the same client in a list."""
    if any(row.name.casefold() == name.casefold() and row.id != own_id for row in rows):
        raise WorkspaceError(message)
