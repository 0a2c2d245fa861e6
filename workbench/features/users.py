"""Managing a team server's users from the app: every function takes the logged-in user (``actor``) and refuses
unless they are an enabled administrator, so the rule holds below the page whatever a request says."""

from __future__ import annotations

from workbench.core.access import Scope
from workbench.core.errors import WorkspaceError
from workbench.core.i18n import gettext as _
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


def _require_admin(workspace: Workspace, actor: User | None) -> None:
    """Refuse unless ``actor`` is, as stored now, an enabled administrator (not as their session remembers)."""
    current = workspace.users.get(actor.id) if actor is not None else None
    if current is None or current.disabled or not current.admin:
        raise WorkspaceError(_("Only an administrator of this team server manages its users."))


def _same(password: str | None, again: str | None) -> str:
    if (password or "") != (again or ""):
        raise WorkspaceError(_("The two passwords differ; nothing was changed."))
    return password or ""
