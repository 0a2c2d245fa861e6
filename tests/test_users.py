"""The users of a team server (``workbench.repos.users``): argon2 hashes, names unique ignoring case, the lock after
repeated failed logins, new passwords and disabling ending sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime

import pytest

from workbench.core.errors import LoginRefused, WorkspaceError
from workbench.repos import users as module

BACKENDS = ("sqlite", "postgresql")  # users are kept in the metadata database
PASSWORD = "correct horse battery"
GENERIC = "Wrong name or password, or too many failed logins: wait five minutes."
NOW = datetime.datetime(2026, 12, 4, 9, 0)


def test_a_user_logs_in_with_their_password_and_the_name_in_any_case(workspace):
    added = workspace.users.add("jana.novakova", PASSWORD, "Jana Nováková", admin=True)
    assert (added.name, added.shown, added.admin, added.disabled) == ("jana.novakova", "Jana Nováková", True, False)
    assert workspace.users.authenticate("Jana.Novakova", PASSWORD, NOW) == added
    assert workspace.users.admins() == 1 and workspace.users.list() == [added]


def test_the_password_is_kept_as_an_argon2id_hash_only(workspace):
    from sqlalchemy import select

    from workbench.data.store import UserRow

    workspace.users.add("piotr", PASSWORD)
    with workspace.sessions() as session:
        stored = session.scalar(select(UserRow.password_hash))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize("name", ["", " ", "jana nováková", "-dash", "a" * 65, "x'; drop table users; --", "<b>"])
def test_unusable_login_names_are_refused_with_the_rule(workspace, name):
    with pytest.raises(WorkspaceError, match="letters, digits"):
        workspace.users.add(name, PASSWORD)
    assert workspace.users.list() == []


@pytest.mark.parametrize("password", ["", "short", "x" * (module.MAX_PASSWORD + 1)])
def test_too_short_or_too_long_passwords_are_refused(workspace, password):
    with pytest.raises(WorkspaceError, match="10 to 256 characters"):
        workspace.users.add("jana", password)


def test_a_name_taken_ignoring_case_is_refused(workspace):
    workspace.users.add("Jana", PASSWORD)
    with pytest.raises(WorkspaceError, match="already a user"):
        workspace.users.add("jana", PASSWORD)


def test_wrong_passwords_unknown_names_and_locked_names_get_the_same_answer(workspace):
    workspace.users.add("jana", PASSWORD)
    answers = []
    for name, password in (("jana", "wrong password!"), ("nobody", PASSWORD), ("bad name", PASSWORD),
                           ("jana", ""), ("jana", "x" * 10_000)):
        with pytest.raises(LoginRefused) as refused:
            workspace.users.authenticate(name, password, NOW)
        answers.append(str(refused.value))
    assert set(answers) == {GENERIC}


def test_five_failures_in_a_row_lock_the_name_for_five_minutes_even_for_the_right_password(workspace):
    workspace.users.add("jana", PASSWORD)
    for minute in range(module.MAX_FAILURES):
        with pytest.raises(LoginRefused, match="Wrong"):
            workspace.users.authenticate("jana", f"guess number {minute}", NOW + datetime.timedelta(minutes=minute))
    locked_at = NOW + datetime.timedelta(minutes=module.MAX_FAILURES - 1)
    with pytest.raises(LoginRefused) as refused:  # the right password, while locked: the same answer as a wrong one
        workspace.users.authenticate("jana", PASSWORD, locked_at + datetime.timedelta(minutes=1))
    assert str(refused.value) == GENERIC
    assert workspace.users.authenticate("jana", PASSWORD, locked_at + module.LOCK).name == "jana"


def test_a_success_forgets_earlier_failures(workspace):
    workspace.users.add("jana", PASSWORD)
    for round_ in range(3):
        for guess in range(module.MAX_FAILURES - 1):
            with pytest.raises(LoginRefused, match="Wrong"):
                workspace.users.authenticate("jana", f"guess {round_} {guess}", NOW)
        assert workspace.users.authenticate("jana", PASSWORD, NOW).name == "jana"


def test_a_new_password_ends_old_sessions_and_lifts_a_lock(workspace):
    first = workspace.users.add("jana", PASSWORD)
    for guess in range(module.MAX_FAILURES):
        with pytest.raises(LoginRefused):
            workspace.users.authenticate("jana", f"guess {guess} guess", NOW)
    renewed = workspace.users.reset("JANA", "another long password")
    assert renewed.credentials == first.credentials + 1
    with pytest.raises(LoginRefused):
        workspace.users.authenticate("jana", PASSWORD, NOW)
    assert workspace.users.authenticate("jana", "another long password", NOW) == renewed


def test_a_disabled_user_cannot_log_in_until_enabled_again(workspace):
    workspace.users.add("root", PASSWORD, admin=True)
    workspace.users.add("jana", PASSWORD, admin=True)
    disabled = workspace.users.set_disabled("jana", True)
    assert disabled.disabled and workspace.users.admins() == 1
    with pytest.raises(LoginRefused, match="disabled"):
        workspace.users.authenticate("jana", PASSWORD, NOW)
    enabled = workspace.users.set_disabled("jana", False)
    assert enabled.credentials == disabled.credentials + 1  # sessions from before the disabling stay ended
    assert workspace.users.authenticate("jana", PASSWORD, NOW) == enabled


def test_unknown_users_are_named_in_the_refusal(workspace):
    with pytest.raises(WorkspaceError, match="no user named “ghost”"):
        workspace.users.reset("ghost", PASSWORD)
    with pytest.raises(WorkspaceError, match="no user named"):
        workspace.users.set_disabled("ghost", True)


def test_the_signing_key_is_made_once_and_kept_private(workspace):
    import os
    import stat

    key = workspace.secret()
    assert len(key) == 32 and workspace.secret() == key
    assert stat.S_IMODE(os.stat(workspace.folder / "secret.key").st_mode) == 0o600


def test_the_last_enabled_administrator_cannot_be_disabled(workspace):
    workspace.users.add("jana", PASSWORD, admin=True)
    with pytest.raises(WorkspaceError, match="last administrator"):
        workspace.users.set_disabled("jana", True)
    workspace.users.add("piotr", PASSWORD, admin=True)
    assert workspace.users.set_disabled("jana", True).disabled
    with pytest.raises(WorkspaceError, match="last administrator"):
        workspace.users.set_disabled("piotr", True)


def test_only_an_enabled_administrator_manages_users_from_the_app(workspace):
    from workbench.features import users as features

    jana = workspace.users.add("jana", PASSWORD, admin=True)
    piotr = features.add(workspace, jana, "piotr", "Piotr Nowak", False, PASSWORD, PASSWORD)
    for actor in (None, piotr):
        with pytest.raises(WorkspaceError, match="Only an administrator"):
            features.add(workspace, actor, "eve", "", True, PASSWORD, PASSWORD)
        with pytest.raises(WorkspaceError, match="Only an administrator"):
            features.reset(workspace, actor, "jana", "taken over now!", "taken over now!")
        with pytest.raises(WorkspaceError, match="Only an administrator"):
            features.listing(workspace, actor)
    with pytest.raises(WorkspaceError, match="passwords differ"):
        features.reset(workspace, jana, "piotr", "one long password", "another long one")
    ola = features.add(workspace, jana, "ola", "", True, PASSWORD, PASSWORD)  # an enabled administrator …
    features.set_disabled(workspace, jana, "ola", True)  # … until now
    with pytest.raises(WorkspaceError, match="Only an administrator"):  # as stored now, not as the session says
        features.add(workspace, ola, "eve", "", True, PASSWORD, PASSWORD)
    assert [user.name for user in features.listing(workspace, jana)] == ["jana", "ola", "piotr"]


def test_one_address_trying_many_names_is_locked_whatever_the_names(workspace):
    from workbench.repos import users as module

    workspace.users.add("jana", PASSWORD)
    attacker, colleague = "203.0.113.9", "198.51.100.7"
    for guess in range(module.MAX_CLIENT_FAILURES):  # a password tried on many names: none of them gets locked
        with pytest.raises(LoginRefused, match=GENERIC):
            workspace.users.authenticate(f"name{guess}", "summer2026 summer", NOW, client=attacker)
    with pytest.raises(LoginRefused, match=GENERIC):  # the address is: even the right password is refused from it
        workspace.users.authenticate("jana", PASSWORD, NOW, client=attacker)
    assert workspace.users.authenticate("jana", PASSWORD, NOW, client=colleague).name == "jana"
    later = NOW + module.LOCK + datetime.timedelta(seconds=1)
    assert workspace.users.authenticate("jana", PASSWORD, later, client=attacker).name == "jana"
    for guess in range(module.MAX_CLIENT_FAILURES - 1):  # a success forgot the failures before it
        with pytest.raises(LoginRefused):
            workspace.users.authenticate(f"other{guess}", "summer2026 summer", later, client=attacker)
    assert workspace.users.authenticate("jana", PASSWORD, later, client=attacker).name == "jana"
