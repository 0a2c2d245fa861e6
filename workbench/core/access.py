"""Which projects the person behind the current request may read and change (a team server's memberships).

One :class:`Access` is active per request or job (a context variable: the web server sets it for each logged-in
request, a background job inherits it from the request that started it). The store enforces it below every
page and every repository (``workbench.data.store``): rows of other projects are never read, and rows of
projects that may only be read are never written. A local workbench, the command line and a team server's
administrators act with :data:`EVERYTHING`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from workbench.core.errors import WorkspaceError
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _

ROLES = {"analyst": N_("analyst"), "viewer": N_("viewer")}  # in a project: change everything in it; read it


class AccessRefused(WorkspaceError):
    """A change to a project its user may only read (or not read at all)."""


@dataclass(frozen=True)
class Access:
    """The projects one may read (None: all) and, of those, change (None: all)."""

    readable: frozenset[int] | None
    writable: frozenset[int] | None

    def reads(self, project_id: int | None) -> bool:
        """Whether rows of ``project_id`` may be read."""
        return self.readable is None or project_id in self.readable

    def writes(self, project_id: int | None) -> bool:
        """Whether rows of ``project_id`` may be changed (None: a row of no project yet, such as a new project)."""
        return self.writable is None or project_id in self.writable


EVERYTHING = Access(None, None)
_current: ContextVar[Access] = ContextVar("cxwb_access", default=EVERYTHING)


def current() -> Access:
    """The access of the request or job running now."""
    return _current.get()


@contextmanager
def acting(access: Access) -> Iterator[None]:
    """Run the block with ``access`` (a logged-in request, a test)."""
    token = _current.set(access)
    try:
        yield
    finally:
        _current.reset(token)


def refused() -> AccessRefused:
    """The error of a change to a project its user may only read."""
    return AccessRefused(_("You may read this project but not change it; ask an administrator for the analyst role."))
