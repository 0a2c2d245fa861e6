"""``cxwb user add|reset|disable|enable|list`` and ``cxwb serve --team`` without anyone to log in."""

from __future__ import annotations

import datetime
import io

import pyarrow as pa

import pytest

from workbench.cli import main
from workbench.features.workspace import open_workspace

PASSWORD = "correct horse battery"


def run(monkeypatch, *argv, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(argv))


def test_users_are_added_listed_reset_disabled_and_enabled(tmp_path, monkeypatch, capsys):
    folder = str(tmp_path / "ws")
    assert run(monkeypatch, "user", "add", "jana", "--display-name", "Jana Nováková", "--admin", "--password-stdin",
               "--workspace", folder, stdin=PASSWORD + "\n") == 0
    assert run(monkeypatch, "user", "add", "piotr", "--password-stdin", "--workspace", folder,
               stdin="hasło bardzo długie\r\n") == 0
    assert run(monkeypatch, "user", "disable", "piotr", "--workspace", folder) == 0
    assert run(monkeypatch, "user", "list", "--workspace", folder) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["Added jana.", "Added piotr.", "piotr is disabled."]
    assert out[3].split() == ["jana", "Jana", "Nováková", "admin"] and out[4].split() == ["piotr", "piotr", "disabled"]
    assert run(monkeypatch, "user", "reset", "jana", "--password-stdin", "--workspace", folder,
               stdin="another long password\n") == 0
    assert run(monkeypatch, "user", "enable", "piotr", "--workspace", folder) == 0
    with open_workspace(folder) as workspace:
        assert workspace.users.authenticate("jana", "another long password").admin
        assert workspace.users.authenticate("piotr", "hasło bardzo długie").name == "piotr"  # the line end is no part


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (("user", "add", "jana", "--password-stdin"), "short\n", "10 to 256 characters"),
    (("user", "add", "bad name", "--password-stdin"), PASSWORD, "letters, digits"),
    (("user", "reset", "ghost", "--password-stdin"), PASSWORD, "no user named “ghost”"),
    (("user", "disable", "ghost"), "", "no user named “ghost”"),
    (("serve", "--team", "--no-browser"), "", "add an administrator first"),
])
def test_refusals_are_one_line_and_change_nothing(tmp_path, monkeypatch, capsys, argv, stdin, message):
    folder = str(tmp_path / "ws")
    assert run(monkeypatch, *argv, "--workspace", folder, stdin=stdin) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error and len(error.strip().splitlines()) == 1
    with open_workspace(folder) as workspace:
        assert workspace.users.list() == [] and workspace.projects() == []  # a team server seeds no demo either


def test_two_different_passwords_at_the_prompt_change_nothing(tmp_path, monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(answers))
    assert main(["user", "add", "jana", "--workspace", str(tmp_path / "ws")]) == 2
    assert "two passwords differ" in capsys.readouterr().err
    with open_workspace(tmp_path / "ws") as workspace:
        assert workspace.users.list() == []


def test_a_role_in_a_project_is_given_listed_and_taken_back(tmp_path, monkeypatch, capsys):
    folder = str(tmp_path / "ws")
    with open_workspace(folder) as workspace:
        workspace.create_project("Klient Praha")
    assert run(monkeypatch, "user", "add", "vera", "--password-stdin", "--workspace", folder, stdin=PASSWORD) == 0
    assert run(monkeypatch, "user", "grant", "vera", "--project", "klient praha", "--role", "viewer",
               "--workspace", folder) == 0
    assert run(monkeypatch, "user", "list", "--workspace", folder) == 0
    assert capsys.readouterr().out.splitlines()[-1].split() == ["vera", "vera", "Klient", "Praha:", "viewer"]
    assert run(monkeypatch, "user", "grant", "vera", "--project", "Nowhere", "--role", "viewer",
               "--workspace", folder) == 2
    assert "no project named “Nowhere”" in capsys.readouterr().err
    assert run(monkeypatch, "user", "grant", "vera", "--project", "Klient Praha", "--role", "none",
               "--workspace", folder) == 0
    with open_workspace(folder) as workspace:
        assert workspace.users.roles(workspace.users.list()[0].id) == {}


def test_a_viewer_is_scoped_to_segment_values_and_owners(tmp_path, monkeypatch, capsys):
    folder = str(tmp_path / "ws")
    with open_workspace(folder) as workspace:
        project = workspace.create_project("Síť")
        answers = {"response_id": ["1"], "respondent_id": ["a"], "ts": [datetime.datetime(2026, 5, 1)],
                   "touchpoint": ["visit"], "csat": pa.array([4], pa.int8()), "partner": ["DoorFix s.r.o."],
                   "region": ["Morava"]}  # fmt: skip
        workspace.datasets.add_table(project, pa.table(answers), "Answers", "survey")
    assert run(monkeypatch, "user", "add", "doorfix", "--password-stdin", "--workspace", folder, stdin=PASSWORD) == 0
    assert run(monkeypatch, "user", "grant", "doorfix", "--project", "Síť", "--role", "viewer", "--segment",
               "partner=DoorFix s.r.o.", "--segment", "region=Morava, Slezsko", "--owner", "Montáže",
               "--workspace", folder) == 0
    assert run(monkeypatch, "user", "list", "--workspace", folder) == 0
    listed = capsys.readouterr().out.splitlines()[-1]
    assert "Síť: viewer (partner DoorFix s.r.o. · region Morava, Slezsko · touchpoints of Montáže)" in listed
    for bad in ("partner", "partner=", "=x"):
        assert run(monkeypatch, "user", "grant", "doorfix", "--project", "Síť", "--role", "viewer", "--segment", bad,
                   "--workspace", folder) == 2
        assert "Write a segment as column=value" in capsys.readouterr().err
    assert run(monkeypatch, "user", "grant", "doorfix", "--project", "Síť", "--role", "analyst", "--owner", "X",
               "--workspace", folder) == 2
    assert "Only a viewer's rows can be limited" in capsys.readouterr().err
    assert run(monkeypatch, "user", "grant", "doorfix", "--project", "Síť", "--role", "viewer", "--segment",
               "branch=Brno", "--workspace", folder) == 2
    assert "surveys have no column branch; they have: partner, region" in capsys.readouterr().err
    with open_workspace(folder) as workspace:
        [user] = workspace.users.list()
        assert workspace.users.scopes(user.id)[project].segments == (
            ("partner", ("DoorFix s.r.o.",)), ("region", ("Morava", "Slezsko")))
