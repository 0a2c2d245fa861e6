"""The errors the workspace raises for a request it refuses, and the rules for the names it records.

They live apart from the repositories that raise them so that every layer (and every page) can catch them without
importing the workspace.
"""

from __future__ import annotations

from workbench.core.i18n import N_, Labels
from workbench.core.i18n import gettext as _

ANONYMOUS = N_("someone")  # translated when a change is recorded without a name
# What ``clean_name`` says when a thing has no name, by the thing (``what``).
NAME_NEEDED = Labels(
    {
        "project": N_("The project needs a name."),
        "journey": N_("The journey needs a name."),
        "stage": N_("The stage needs a name."),
        "touchpoint": N_("The touchpoint needs a name."),
    }
)


class IngestError(ValueError):
    """A file that cannot be imported at all (empty, unreadable, mapped columns missing)."""


class Cancelled(Exception):
    """The user cancelled an import; nothing was written."""


class WorkspaceError(ValueError):
    """A request the workspace refuses (a name taken, nothing to undo, an unknown id)."""


class LoginRefused(WorkspaceError):
    """A login refused: a wrong name or password, a disabled user, or a name locked after failed logins."""


class ConflictError(WorkspaceError):
    """The thing changed since the caller last read it; the edit was not applied."""


def person(who: str) -> str:
    """The name a change is recorded under: spaces tidied, "someone" when empty, at most 200 characters."""
    return (" ".join(who.split()) or _(ANONYMOUS))[:200]


def clean_name(name: str, what: str) -> str:
    """``name`` with its spaces collapsed; an empty name is refused (``what``, a key of ``NAME_NEEDED``, says
    which thing in the error)."""
    name = " ".join(str(name).split())
    if not name:
        raise WorkspaceError(NAME_NEEDED[what] if what in NAME_NEEDED else _("A name is needed."))
    return name


def require_free_name(rows, name: str, own_id: int | None, message: str) -> None:
    """Names are unique ignoring case: “Acme” and “acme” would be the same client in a list."""
    if any(row.name.casefold() == name.casefold() and row.id != own_id for row in rows):
        raise WorkspaceError(message)
