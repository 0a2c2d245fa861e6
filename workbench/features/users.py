"""Managing a team server's users from the app: every function takes the logged-in user (``actor``) and refuses
unless they are an enabled administrator, so the rule holds below the page whatever a request says."""

from __future__ import annotations

import re
import secrets
import string
import unicodedata
from dataclasses import dataclass

from workbench.analysis.breaks import segment_columns
from workbench.core.access import Scope
from workbench.core.errors import WorkspaceError
from workbench.core.i18n import gettext as _
from workbench.data import query
from workbench.repos.users import User
from workbench.repos.workspace import Workspace


def listing(workspace: Workspace, actor: User | None) -> list[User]:
    """Every user, for an administrator."""
    _require_admin(workspace, actor)
    return workspace.users.list()


def add(
    workspace: Workspace, actor: User | None, name: str, display_name: str, admin: bool, password: str, again: str
) -> User:
    """A new user with the password typed twice."""
    _require_admin(workspace, actor)
    return workspace.users.add(name, _same(password, again), display_name, admin=admin)


def reset(workspace: Workspace, actor: User | None, name: str, password: str, again: str) -> User:
    """A new password for ``name`` (typed twice); their sessions end."""
    _require_admin(workspace, actor)
    return workspace.users.reset(name, _same(password, again))


def set_disabled(workspace: Workspace, actor: User | None, name: str, disabled: bool) -> User:
    """Disable ``name`` or enable them again."""
    _require_admin(workspace, actor)
    return workspace.users.set_disabled(name, disabled)


def set_role(
    workspace: Workspace,
    actor: User | None,
    name: str,
    project_id: int,
    role: str | None,
    segments: str = "",
    owners: str = "",
) -> dict[int, str]:
    """Give ``name`` a role in a project, or none; a viewer limited to ``segments`` ('branch=Brno, Jihlava;
    region=Morava') and the touchpoints of ``owners`` ('Couriers; Web team') when given; their projects and roles."""
    _require_admin(workspace, actor)
    try:
        scope = Scope.parse(_parts(segments), _parts(owners))
    except ValueError as error:
        raise WorkspaceError(str(error)) from None
    return workspace.users.grant(name, project_id, role, scope)


def members(workspace: Workspace, actor: User | None) -> list[tuple[User, dict[int, str], dict[int, Scope]]]:
    """Every user with their projects and roles and the scopes of their scoped projects, for an administrator."""
    return [
        (user, workspace.users.roles(user.id), workspace.users.scopes(user.id)) for user in listing(workspace, actor)
    ]


def _parts(text: str | None) -> list[str]:
    """The parts of a field that lists several things, separated by semicolons."""
    return [part for part in (text or "").split(";") if part.strip()]


# A first password's letters: no '-', '=', '+' or '@', which a spreadsheet would take for a formula (the CSV file
# handed over neutralises such a cell, and the password copied from it would then be wrong); 16 of 62: 95 bits.
PASSWORD_LETTERS = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Portals:
    """A project's partner portals: the segment column whose values are partners (None: no portals), the columns
    it could be, the partners in the data, and the login of each partner who has one."""

    column: str | None
    columns: list[str]
    partners: list[str]
    logins: dict[str, str]


@dataclass(frozen=True)
class Invitation:
    """A partner's new portal login and its first password (shown once, to hand over)."""

    partner: str
    name: str
    password: str


def portals(workspace: Workspace, actor: User | None, project_id: int) -> Portals:
    """The project's portals, for an administrator."""
    _require_admin(workspace, actor)
    sources = tuple(str(d.path) for d in workspace.datasets.list(project_id, "survey") if d.latest)
    columns = segment_columns(sources) if sources else []
    project = workspace.project(project_id)
    column = project.portal if project is not None and project.portal in columns else None
    partners = query.segment_values(sources, column) if column else []
    logins = {}
    scopes = workspace.users.scopes_in(project_id)
    for user in workspace.users.list():
        scope = scopes.get(user.id)
        if column and scope is not None and len(scope.segments) == 1 and scope.segments[0][0] == column:
            logins.update(dict.fromkeys(scope.segments[0][1], user.name))
    return Portals(column, columns, partners, logins)


def set_portal(workspace: Workspace, actor: User | None, project_id: int, column: str | None) -> Portals:
    """Make ``column``'s values the project's partners with portals (None: none)."""
    _require_admin(workspace, actor)
    if column and column not in portals(workspace, actor, project_id).columns:
        raise WorkspaceError(_("The project's surveys have no column {columns}.").format(columns=column))
    workspace.set_portal(project_id, column or None)
    return portals(workspace, actor, project_id)


def invite(workspace: Workspace, actor: User | None, project_id: int, partners: list[str]) -> list[Invitation]:
    """A portal login for each of ``partners`` who has none yet: a viewer of the project limited to their rows,
    named after them, with a random first password."""
    found = portals(workspace, actor, project_id)
    if found.column is None:
        raise WorkspaceError(_("Choose the column whose values are the partners first."))
    unknown = [p for p in partners if p not in found.partners]
    if unknown:
        raise WorkspaceError(_("No partner {names} in the data.").format(names=", ".join(unknown)))
    taken = {user.name.casefold() for user in workspace.users.list()}
    made = []
    for partner in partners:
        if partner in found.logins:
            continue
        name = _login_name(partner, taken)
        taken.add(name.casefold())
        password = "".join(secrets.choice(PASSWORD_LETTERS) for _letter in range(16))
        scope = Scope(((found.column, (partner,)),))
        workspace.users.invite(name, password, partner, project_id, scope)
        made.append(Invitation(partner, name, password))
    return made


def _login_name(partner: str, taken: set[str]) -> str:
    """A login name from a partner's name: 'DoorFix s.r.o.' → 'doorfix-s.r.o', made unique with a number."""
    plain = unicodedata.normalize("NFKD", partner).encode("ascii", "ignore").decode().casefold()
    base = re.sub(r"[^a-z0-9._@-]+", "-", plain).strip("-._@")[:56] or "partner"
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def _require_admin(workspace: Workspace, actor: User | None) -> None:
    """Refuse unless ``actor`` is, as stored now, an enabled administrator (not as their session remembers)."""
    current = workspace.users.get(actor.id) if actor is not None else None
    if current is None or current.disabled or not current.admin:
        raise WorkspaceError(_("Only an administrator of this team server manages its users."))


def _same(password: str | None, again: str | None) -> str:
    if (password or "") != (again or ""):
        raise WorkspaceError(_("The two passwords differ; nothing was changed."))
    return password or ""
