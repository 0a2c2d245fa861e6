"""Which projects the person behind the current request may read and change (a team server's memberships).

One :class:`Access` is active per request or job (a context variable: the web server sets it for each logged-in
request, a background job inherits it from the request that started it). The store enforces it below every
page and every repository (``workbench.data.store``): rows of other projects are never read, and rows of
projects that may only be read are never written. A local workbench, the command line and a team server's
administrators act with :data:`EVERYTHING`.

A member may further be *scoped* in a project (:class:`Scope`): they read only the answers of some segment values
(a branch, a region, an external partner) and of the touchpoints some owners own. The query layer adds the scope to
every read of a dataset file (``workbench.data.query``), so every page, export and cache sees only those rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from workbench.core.errors import WorkspaceError
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _

ROLES = {"analyst": N_("analyst"), "viewer": N_("viewer")}  # in a project: change everything in it; read it


class AccessRefused(WorkspaceError):
    """A change to a project its user may only read (or not read at all)."""


Filters = tuple[tuple[str, tuple[str, ...]], ...]  # (column, allowed values) pairs, every one must hold


@dataclass(frozen=True)
class Scope:
    """The rows of a project a scoped member reads: answers whose ``segments`` columns hold one of the given values,
    of touchpoints that one of ``owners`` owns (either may be empty; both empty is no scope)."""

    segments: Filters = ()
    owners: tuple[str, ...] = ()
    # Resolved for each request (``repos.users.Users.access``), never stored: the touchpoint keys ``owners`` own now,
    # and the names whose action cards are the member's (their own, their owners' and their segment values).
    touchpoints: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    by_journey: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (journey id, the keys ``owners`` own in it)

    def filters(self, journey_id: int | None = None) -> Filters:
        """The row filters of the scope's answers: its segment values, and its owners' touchpoints (in a dataset
        linked to a journey, that journey's: two journeys may use one key for touchpoints of different owners)."""
        if not self.owners:
            return self.segments
        keys = dict(self.by_journey).get(journey_id, self.touchpoints) if journey_id is not None else self.touchpoints
        return (*self.segments, ("touchpoint", keys))

    def to_dict(self) -> dict:
        """The scope as stored with a membership."""
        return {"segments": {column: list(values) for column, values in self.segments}, "owners": list(self.owners)}

    @classmethod
    def from_dict(cls, data: Mapping | None) -> Scope | None:
        """A stored scope (None for none)."""
        if not data:
            return None
        segments = tuple((str(c), tuple(str(v) for v in vs)) for c, vs in sorted((data.get("segments") or {}).items()))
        scope = cls(segments, tuple(str(o) for o in data.get("owners") or ()))
        return scope if scope.segments or scope.owners else None

    @classmethod
    def parse(cls, segments: Iterable[str], owners: Iterable[str]) -> Scope | None:
        """The scope of ``column=value,value`` texts and owner names as a person types them (None for none);
        :class:`ValueError` naming a text that is not of that form."""
        found: dict[str, tuple[str, ...]] = {}
        for text in segments:
            column, equals, values = text.partition("=")
            picked = tuple(dict.fromkeys(v.strip() for v in values.split(",") if v.strip()))
            if not equals or not column.strip() or not picked:
                raise ValueError(
                    _("Write a segment as column=value or column=value,value, not “{text}”.").format(text=text.strip())
                )
            found[column.strip()] = tuple(dict.fromkeys((*found.get(column.strip(), ()), *picked)))
        return cls.from_dict({"segments": found, "owners": list(dict.fromkeys(o.strip() for o in owners if o.strip()))})

    def describe(self) -> str:
        """The scope in words: 'branch Brno, Jihlava · touchpoints of Contact centre'."""
        parts = [f"{column} {', '.join(values)}" for column, values in self.segments]
        if self.owners:
            parts.append(_("touchpoints of {names}").format(names=", ".join(self.owners)))
        return " · ".join(parts)


@dataclass(frozen=True)
class Access:
    """The projects one may read (None: all) and, of those, change (None: all); the scoped ones among them, and the
    row filters of each of their dataset files (by file name; a file not named is read whole)."""

    readable: frozenset[int] | None
    writable: frozenset[int] | None
    scopes: Mapping[int, Scope] = field(default_factory=dict)
    rows: Mapping[str, Filters] = field(default_factory=dict)
    # Projects where one may only read but handles the cases assigned to them: moves their alerts' status (a
    # scoped member: a partner answers for their branch's unhappy customers). Nothing else of them changes.
    handles: frozenset[int] = frozenset()

    def handles_cases(self, project_id: int | None) -> bool:
        """Whether the status of the alerts of ``project_id`` one may read may be moved (cases handled)."""
        return self.writes(project_id) or project_id in self.handles

    def scoped(self, project_id: int | None) -> bool:
        """Whether the rows of ``project_id`` are limited by a scope."""
        return project_id in self.scopes

    def filters(self, path: str) -> Filters | None:
        """The row filters of a dataset file (None: read whole)."""
        return self.rows.get(path.replace("\\", "/").rsplit("/", 1)[-1]) if self.rows else None

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


def owned(touchpoints: Iterable[tuple[str, str | None]], owners: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of ``touchpoints`` ((key, owner name) pairs, of a project's or one journey's) that one of ``owners``
    owns, sorted; owner names match ignoring case."""
    wanted = {o.casefold() for o in owners}
    return tuple(sorted({key for key, owner in touchpoints if owner and owner.casefold() in wanted}))


def refused() -> AccessRefused:
    """The error of a change to a project its user may only read."""
    return AccessRefused(_("You may read this project but not change it; ask an administrator for the analyst role."))
