"""The people who log in to a team server: names, argon2 password hashes, disabling, and the lock after repeated
failed logins (kept in the database, so every web worker of a team server counts the same failures)."""

from __future__ import annotations

import datetime
import functools
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import delete, func, select

from workbench.core.access import EVERYTHING, ROLES, Access, Scope, owned
from workbench.core.errors import LoginRefused, WorkspaceError
from workbench.core.i18n import gettext as _
from workbench.data.store import (
    DatasetRow,
    JourneyRow,
    LoginClientRow,
    MembershipRow,
    OwnerRow,
    Project,
    Sessions,
    TouchpointRow,
    UserRow,
)

EMAIL = re.compile(
    r"[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]{1,255}\.[A-Za-z]{2,63}"
)  # one mailbox, nothing a header could split
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")  # a login name: what a person types, safe in any log line
MIN_PASSWORD, MAX_PASSWORD = 10, 256  # characters; the upper bound keeps a hash from being a denial of service
MAX_FAILURES = 5  # failed logins in a row before the name is locked …
LOCK = datetime.timedelta(minutes=5)  # … for this long (a guess a minute per name at most, whatever the workers)
MAX_CLIENT_FAILURES = 20  # failed logins in a row from one address, whatever the names, before it is locked too
FORGET_CLIENTS = datetime.timedelta(days=1)  # a quiet address's count is forgotten after a day


@dataclass(frozen=True)
class User:
    """A person who logs in: ``name`` to log in with, ``shown`` in the history; ``credentials`` is the version of
    their password and state that a session was signed with."""

    id: int
    name: str
    display_name: str
    admin: bool
    disabled: bool
    credentials: int
    email: str = ""  # where their cases are sent ('' for nowhere)

    @property
    def shown(self) -> str:
        """The name the history records: the display name, else the login name."""
        return self.display_name or self.name


class Users:
    """The users of a workspace (a team server's logins)."""

    def __init__(self, sessions: Sessions):
        self.sessions = sessions  # sessions() reads; sessions.begin() writes, one writer at a time

    def list(self) -> list[User]:
        """Every user, by login name."""
        with self.sessions() as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.key))]

    def get(self, user_id: int) -> User | None:
        """The user with this id, if there is one."""
        with self.sessions() as session:
            row = session.get(UserRow, user_id)
            return _user(row) if row is not None else None

    def admins(self) -> int:
        """How many enabled admins there are (a team server needs one to start)."""
        with self.sessions() as session:
            return _enabled_admins(session)

    def add(self, name: str, password: str, display_name: str = "", admin: bool = False) -> User:
        """A new user; refused when the name is taken (ignoring case) or the name or password is not acceptable."""
        name = _checked_name(name)
        hashed = _hash(_checked_password(password))
        with self.sessions.begin() as session:
            return _user(_added(session, name, hashed, display_name, admin))

    def invite(self, name: str, password: str, display_name: str, project_id: int, scope: Scope) -> User:
        """A new user who is a viewer of one project limited to ``scope`` (a partner's portal login), made whole
        or not at all."""
        name = _checked_name(name)
        hashed = _hash(_checked_password(password))
        with self.sessions.begin() as session:
            if session.get(Project, project_id) is None:
                raise WorkspaceError(_("There is no project {id}.").format(id=project_id))
            _require_columns(session, project_id, scope)
            row = _added(session, name, hashed, display_name, admin=False)
            session.add(MembershipRow(user_id=row.id, project_id=project_id, role="viewer", scope=scope.to_dict()))
            return _user(row)

    def set_email(self, name: str, email: str) -> User:
        """Where ``name``'s cases and alerts are sent ('' for nowhere)."""
        email = _checked_email(email)
        with self.sessions.begin() as session:
            row = _row(session, name)
            row.email = email
            return _user(row)

    def reset(self, name: str, password: str) -> User:
        """Give ``name`` a new password: their sessions end and a lock from failed logins is lifted."""
        hashed = _hash(_checked_password(password))
        with self.sessions.begin() as session:
            row = _row(session, name)
            row.password_hash, row.credentials = hashed, row.credentials + 1
            row.failed_logins, row.locked_until = 0, None
            return _user(row)

    def set_disabled(self, name: str, disabled: bool) -> User:
        """Disable ``name`` (they cannot log in, their sessions end) or enable them again; the last enabled
        administrator stays (nobody could manage the users or start the server otherwise)."""
        with self.sessions.begin() as session:
            row = _row(session, name)
            if disabled and row.admin and not row.disabled and _enabled_admins(session) == 1:
                raise WorkspaceError(
                    _("{name} is the last administrator: add another before disabling them.").format(name=row.name)
                )
            if row.disabled != disabled:
                row.disabled, row.credentials = disabled, row.credentials + 1
            return _user(row)

    def grant(self, name: str, project_id: int, role: str | None, scope: Scope | None = None) -> dict[int, str]:
        """Give ``name`` a role in a project (``core.access.ROLES``), or none (None), limited to ``scope``'s rows
        when given (viewers only: a scoped member reads); their projects and roles."""
        if role is not None and role not in ROLES:
            raise WorkspaceError(_("A role is one of {roles}.").format(roles=", ".join(ROLES)))
        if scope is not None and role != "viewer":
            raise WorkspaceError(_("Only a viewer's rows can be limited; an analyst changes the whole project."))
        stored = scope.to_dict() if scope is not None else None
        with self.sessions.begin() as session:
            row = _row(session, name)
            if session.get(Project, project_id) is None:
                raise WorkspaceError(_("There is no project {id}.").format(id=project_id))
            if scope is not None:
                _require_columns(session, project_id, scope)
            found = session.get(MembershipRow, (row.id, project_id))
            if role is None and found is not None:
                session.delete(found)
            elif role is not None and found is None:
                session.add(MembershipRow(user_id=row.id, project_id=project_id, role=role, scope=stored))
            elif role is not None and found is not None:
                found.role, found.scope = role, stored
            session.flush()
            return _roles(session, row.id)

    def roles(self, user_id: int) -> dict[int, str]:
        """The projects a user is a member of, with their role in each."""
        with self.sessions() as session:
            return _roles(session, user_id)

    def scopes(self, user_id: int) -> dict[int, Scope]:
        """The projects whose rows a user reads only in part, with the rule of each."""
        with self.sessions() as session:
            rows = session.scalars(select(MembershipRow).where(MembershipRow.user_id == user_id))
            return {row.project_id: scope for row in rows if (scope := Scope.from_dict(row.scope)) is not None}

    def scopes_in(self, project_id: int) -> dict[int, Scope]:
        """The members scoped in one project (user id → their scope), read at once."""
        with self.sessions() as session:
            rows = session.scalars(select(MembershipRow).where(MembershipRow.project_id == project_id))
            return {row.user_id: scope for row in rows if (scope := Scope.from_dict(row.scope)) is not None}

    def access(self, user: User) -> Access:
        """What ``user`` may read and change: everything for an administrator, else their projects (all of them
        read, those where they are an analyst changed), and in the projects they are scoped in, which rows: the
        touchpoints their owners own now and the row filters of every dataset file (read for each request, so a
        journey's new owner or a new import counts at once)."""
        if user.admin:
            return EVERYTHING
        with self.sessions() as session:
            members = session.scalars(select(MembershipRow).where(MembershipRow.user_id == user.id)).all()
            roles = {row.project_id: row.role for row in members}
            scopes = {}
            for row in members:
                if (scope := Scope.from_dict(row.scope)) is not None:
                    scopes[row.project_id] = _resolved(session, row.project_id, scope, user)
            files = session.execute(
                select(DatasetRow.file, DatasetRow.project_id, DatasetRow.journey_id).where(
                    DatasetRow.project_id.in_(list(scopes))
                )
            ).all()
        writable = frozenset(project for project, role in roles.items() if role == "analyst")
        rows = {Path(file).name: scopes[project].filters(journey) for file, project, journey in files}
        return Access(frozenset(roles), writable, scopes, rows, frozenset(scopes))

    def authenticate(self, name: str, password: str, now: datetime.datetime | None = None, client: str = "") -> User:
        """The user whose name and password these are; :class:`LoginRefused` otherwise. A wrong name, a wrong
        password, a name locked after :data:`MAX_FAILURES` failures in a row and a ``client`` address locked after
        :data:`MAX_CLIENT_FAILURES` (whatever names it tried) get the same answer after the same work, so that the
        answer tells nobody which names exist. The password is checked outside the write lock (argon2 takes a
        tenth of a second: failed logins must not hold up everyone's changes); the outcome is then counted in a
        short write."""
        now = now or datetime.datetime.now()
        refused = LoginRefused(_("Wrong name or password, or too many failed logins: wait five minutes."))
        name = name if NAME.fullmatch(name or "") else ""
        client = client[:64]
        if not password or len(password) > MAX_PASSWORD:
            password = ""
        with self.sessions() as session:
            row = _find(session, name) if name else None
            stored = (row.id, row.password_hash) if row is not None else None
            origin = session.get(LoginClientRow, client) if client else None
            client_locked = origin is not None and origin.locked_until is not None and origin.locked_until > now
        if stored is None or not password or client_locked:
            _verify(stored[1] if stored is not None else _decoy(), password)  # as long as for a real name
            self._count_client(client, now, failed=not client_locked)
            raise refused
        user_id, hashed = stored
        right = _verify(hashed, password)  # checked even while locked: the answer takes as long either way
        with self.sessions.begin() as session:
            row = session.get(UserRow, user_id)
            if row is None:  # removed meanwhile
                raise refused
            locked = row.locked_until is not None and row.locked_until > now
            accepted = not locked and right and row.password_hash == hashed  # a password changed meanwhile: next time
            if accepted:
                row.failed_logins, row.locked_until = 0, None
                if not row.disabled and _stale(hashed):  # hashed with weaker parameters than today's: hashed again
                    row.password_hash = _hash(password)
                found = _user(row)
            elif not locked:
                row.failed_logins += 1
                if row.failed_logins >= MAX_FAILURES:
                    row.failed_logins, row.locked_until = 0, now + LOCK
            _count(session, client, now, failed=not accepted)
        if not accepted:
            raise refused
        if found.disabled:
            raise LoginRefused(_("This user is disabled; ask an administrator."))
        return found

    def signed_on(self, name: str) -> User:
        """The enabled user whose login name is ``name`` (whatever its case), as a single sign-on provider named
        them; :class:`LoginRefused` for anyone else (an administrator adds people and gives their roles first)."""
        with self.sessions() as session:
            row = _find(session, name) if NAME.fullmatch(name or "") else None
            found = _user(row) if row is not None else None
        if found is None:
            raise LoginRefused(
                _("You are signed on as {name}, who has no login here; ask an administrator.").format(name=name[:64])
            )
        if found.disabled:
            raise LoginRefused(_("This user is disabled; ask an administrator."))
        return found

    def _count_client(self, client: str, now: datetime.datetime, failed: bool) -> None:
        """Count a refused login of ``client`` (an address already locked is not counted again)."""
        if client and failed:
            with self.sessions.begin() as session:
                _count(session, client, now, failed=True)


def _roles(session, user_id: int) -> dict[int, str]:
    rows = session.scalars(select(MembershipRow).where(MembershipRow.user_id == user_id))
    return {row.project_id: row.role for row in rows}


def _count(session, client: str, now: datetime.datetime, failed: bool) -> None:
    """Count a login from ``client``: a failure in a row (locking the address at :data:`MAX_CLIENT_FAILURES`), or
    a success, which forgets its failures; addresses quiet for a day are forgotten."""
    session.execute(delete(LoginClientRow).where(LoginClientRow.last_failure < now - FORGET_CLIENTS))
    if not client:
        return
    row = session.get(LoginClientRow, client)
    if not failed:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = LoginClientRow(client=client, failures=0, last_failure=now)
        session.add(row)
    row.failures, row.last_failure = row.failures + 1, now
    if row.failures >= MAX_CLIENT_FAILURES:
        row.failures, row.locked_until = 0, now + LOCK


def _require_columns(session, project_id: int, scope: Scope) -> None:
    """Refuse a scope on a segment column the project's surveys lack: its member would silently see nothing."""
    metas = session.scalars(
        select(DatasetRow.meta).where(DatasetRow.project_id == project_id, DatasetRow.kind == "survey")
    )
    known = {column for meta in metas for column in (meta or {}).get("segments") or ()}
    if unknown := [column for column, _values in scope.segments if column not in known]:
        raise WorkspaceError(
            _("The project's surveys have no column {columns}; they have: {known}.").format(
                columns=", ".join(unknown), known=", ".join(sorted(known)) or _("none")
            )
        )


def _resolved(session, project_id: int, scope: Scope, user: User) -> Scope:
    """``scope`` with the project's touchpoints its owners own now and the names of the member's action cards."""
    owners = session.execute(
        select(TouchpointRow.journey_id, TouchpointRow.key, OwnerRow.name)
        .join(JourneyRow, TouchpointRow.journey_id == JourneyRow.id)
        .join(OwnerRow, TouchpointRow.owner_id == OwnerRow.id)
        .where(JourneyRow.project_id == project_id)
    ).all()
    touchpoints = owned([(key, name) for _journey, key, name in owners], scope.owners) if scope.owners else ()
    journeys = session.scalars(select(JourneyRow.id).where(JourneyRow.project_id == project_id)).all()
    by_journey = tuple(
        (journey, owned([(key, name) for j, key, name in owners if j == journey], scope.owners)) for journey in journeys
    )
    names = (user.name, user.display_name, *scope.owners, *(v for _column, values in scope.segments for v in values))
    return replace(
        scope,
        touchpoints=touchpoints,
        by_journey=by_journey if scope.owners else (),
        names=tuple(dict.fromkeys(n for n in names if n)),
    )


def _added(session, name: str, hashed: str, display_name: str, admin: bool) -> UserRow:
    """A new user's row, refused when the name is taken (ignoring case)."""
    if _find(session, name) is not None:
        raise WorkspaceError(_("There is already a user named “{name}”.").format(name=name))
    row = UserRow(
        key=name.casefold(),
        name=name,
        display_name=" ".join(display_name.split())[:200],
        password_hash=hashed,
        admin=admin,
        disabled=False,
        credentials=1,
        failed_logins=0,
    )
    session.add(row)
    session.flush()
    return row


def _find(session, name: str) -> UserRow | None:
    """The user of login ``name``, whatever its case."""
    return session.scalar(select(UserRow).where(UserRow.key == str(name).casefold()))


def _enabled_admins(session) -> int:
    enabled = (UserRow.admin.is_(True), UserRow.disabled.is_(False))
    return int(session.scalar(select(func.count()).select_from(UserRow).where(*enabled)) or 0)


def _row(session, name: str) -> UserRow:
    row = _find(session, name)
    if row is None:
        raise WorkspaceError(_("There is no user named “{name}”.").format(name=name))
    return row


def _user(row: UserRow) -> User:
    return User(row.id, row.name, row.display_name, row.admin, row.disabled, row.credentials, row.email)


def _checked_email(email: str) -> str:
    """An e-mail address as typed, checked for its shape ('' is none); never one that could add a mail header."""
    email = (email or "").strip()
    if email and not EMAIL.fullmatch(email):
        raise WorkspaceError(_("“{email}” is not an e-mail address.").format(email=email[:100]))
    return email


def _checked_name(name: str) -> str:
    name = str(name).strip()
    if not NAME.fullmatch(name):
        raise WorkspaceError(
            _(
                "A login name is 1 to 64 letters, digits and . _ @ - (starting with a letter or digit); "
                "“{name}” is not."
            ).format(name=name[:80])
        )
    return name


def _checked_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
        raise WorkspaceError(
            _("A password has {low} to {high} characters.").format(low=MIN_PASSWORD, high=MAX_PASSWORD)
        )
    return password


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's current recommended parameters (RFC 9106's second choice)


def _hash(password: str) -> str:
    return _hasher().hash(password)


def _verify(hashed: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _stale(hashed: str) -> bool:
    return _hasher().check_needs_rehash(hashed)


@functools.cache
def _decoy() -> str:
    """A hash of no one's password, checked against when the name is unknown so that the answer takes as long."""
    return _hash(secrets.token_urlsafe(16))
