"""Projects a team server's user may read and change, enforced by the store below every repository
(``workbench.core.access``, ``workbench.data.store``): a member of one project never reads another's rows whatever
ids they name, a viewer changes nothing, an analyst changes only their own projects; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from workbench.core import access
from workbench.core.access import AccessRefused
from workbench.core.errors import WorkspaceError
from workbench.repos.actions import Draft
from workbench.repos.scenarios import Scenario

BACKENDS = ("sqlite", "postgresql")
PASSWORD = "correct horse battery"


@pytest.fixture
def two(workspace, small_journey):
    """Projects Alpha and Beta with a journey, a card and a saved scenario each; a viewer and an analyst of Alpha;
    ``{project name: (project id, journey id, card id, scenario id)}``."""
    made = {}
    for name in ("Alpha", "Beta"):
        project = workspace.create_project(name)
        journey = workspace.create_journey(project, small_journey)
        card = workspace.actions.create(project, Draft(f"{name} card"), "setup", journey_id=journey)
        scenario = workspace.scenarios.save(project, Scenario(name=f"{name} what-if", journey_id=journey,
                                                              kpi_dataset="KPIs", kpi="revenue"), "setup")
        made[name] = (project, journey, card.id, scenario.id)
    for user, role in (("vera", "viewer"), ("adam", "analyst")):
        workspace.users.add(user, PASSWORD)
        workspace.users.grant(user, made["Alpha"][0], role)
    return made


def as_user(workspace, name):
    """The access of ``name`` as a logged-in request gets it."""
    [user] = [u for u in workspace.users.list() if u.name == name]
    return access.acting(workspace.users.access(user))


@pytest.mark.parametrize("name", ["vera", "adam"])
def test_a_member_reads_only_their_project_whatever_ids_they_name(workspace, two, name):
    beta, beta_journey, beta_card, beta_scenario = two["Beta"]
    with as_user(workspace, name):
        assert [p.name for p in workspace.projects()] == ["Alpha"]
        assert [j.project_id for j in workspace.journeys(beta)] == []
        assert workspace.actions.list(beta) == [] and workspace.scenarios.list(beta) == []
        assert workspace.owners(beta) == []
        for read in (lambda: workspace.journey(beta_journey), lambda: workspace.actions.get(beta_card),
                     lambda: workspace.actions.history(beta_card), lambda: workspace.scenarios.get(beta_scenario)):
            try:
                found = read()
            except WorkspaceError:
                continue
            assert not found, "another project's rows were read"
        assert workspace.journey(two["Alpha"][1]).journey.name == "Shop"  # their own, in full


def test_a_viewer_changes_nothing_in_their_project(workspace, two, small_journey):
    alpha, alpha_journey, alpha_card, _scenario = two["Alpha"]
    before = workspace.actions.get(alpha_card)
    with as_user(workspace, "vera"):
        state = workspace.journey(alpha_journey)
        changes = [
            lambda: workspace.actions.create(alpha, Draft("Sneaky card"), "vera"),
            lambda: workspace.actions.move(alpha_card, "done", who="vera", expected_version=before.version),
            lambda: workspace.actions.update(alpha_card, Draft("Renamed"), "vera", expected_version=before.version),
            lambda: workspace.save_journey(alpha_journey, state.journey, "edit", state.version),
            lambda: workspace.rename_project(alpha, "Mine now"),
            lambda: workspace.delete_journey(alpha_journey),
            lambda: workspace.delete_project(alpha),
            lambda: workspace.create_project("Gamma"),
        ]
        for change in changes:
            with pytest.raises(AccessRefused, match="read this project but not change it"):
                change()
    assert workspace.actions.get(alpha_card) == before
    assert [p.name for p in workspace.projects()] == ["Alpha", "Beta"]
    assert workspace.journey(alpha_journey).version == state.version


def test_an_analyst_changes_their_project_and_no_other(workspace, two):
    alpha, alpha_journey, alpha_card, _scenario = two["Alpha"]
    beta, beta_journey, beta_card, _beta_scenario = two["Beta"]
    beta_before = workspace.actions.get(beta_card)
    with as_user(workspace, "adam"):
        made = workspace.actions.create(alpha, Draft("Adam's card"), "adam", journey_id=alpha_journey)
        moved = workspace.actions.move(made.id, "planned", who="adam", expected_version=made.version)
        assert moved.status == "planned"
        for change in (lambda: workspace.actions.create(beta, Draft("Into Beta"), "adam"),
                       lambda: workspace.actions.move(beta_card, "done", who="adam",
                                                      expected_version=beta_before.version),
                       lambda: workspace.delete_journey(beta_journey),
                       lambda: workspace.delete_project(beta),
                       lambda: workspace.create_project("Gamma"),
                       lambda: workspace.rename_project(alpha, "Adam's now"),  # a project itself: administrators'
                       lambda: workspace.delete_project(alpha)):
            with pytest.raises(WorkspaceError):  # refused, or unknown: another project's rows are not there
                change()
    assert workspace.actions.get(beta_card) == beta_before
    assert [a.title for a in workspace.actions.list(beta)] == ["Beta card"]
    assert workspace.journeys(beta) and [p.name for p in workspace.projects()] == ["Alpha", "Beta"]
    assert workspace.users.roles(workspace.users.list()[-1].id) == {alpha: "viewer"}  # vera's role is still there


def test_roles_are_granted_changed_and_withdrawn_and_administrators_see_everything(workspace, two):
    alpha, beta = two["Alpha"][0], two["Beta"][0]
    workspace.users.add("root", PASSWORD, admin=True)
    assert workspace.users.grant("vera", beta, "analyst") == {alpha: "viewer", beta: "analyst"}
    with as_user(workspace, "vera"):
        assert [p.name for p in workspace.projects()] == ["Alpha", "Beta"]
        workspace.actions.create(beta, Draft("Now allowed"), "vera")
    assert workspace.users.grant("vera", beta, None) == {alpha: "viewer"}
    with as_user(workspace, "root"):
        assert [p.name for p in workspace.projects()] == ["Alpha", "Beta"]
    with pytest.raises(WorkspaceError, match="A role is one of analyst, viewer"):
        workspace.users.grant("vera", alpha, "owner")
    with pytest.raises(WorkspaceError, match="no project"):
        workspace.users.grant("vera", 999, "viewer")
    with as_user(workspace, "adam"):  # only an administrator gives roles, even in a project one may change
        with pytest.raises(AccessRefused):
            workspace.users.grant("vera", alpha, "analyst")
        with pytest.raises(WorkspaceError):
            workspace.users.grant("adam", beta, "analyst")
    assert workspace.users.roles(workspace.users.list()[-1].id) == {alpha: "viewer"}  # vera's, unchanged


def test_a_user_of_no_project_reads_nothing(workspace, two):
    workspace.users.add("nobody", PASSWORD)
    with as_user(workspace, "nobody"):
        assert workspace.projects() == []
        assert all(workspace.actions.list(ids[0]) == [] for ids in two.values())


def test_backups_follow_the_same_access_though_they_read_and_write_past_the_sessions(workspace, two, tmp_path):
    """A backup reads the tables directly and a restore inserts directly: they check the access themselves."""
    import io

    from workbench.repos.backup import read_backup, write_backup

    alpha, beta = two["Alpha"][0], two["Beta"][0]
    with as_user(workspace, "vera"):
        write_backup(workspace, alpha, io.BytesIO())  # a viewer may take their project away to read
        with pytest.raises(WorkspaceError, match="No project with id"):
            write_backup(workspace, beta, io.BytesIO())
    target = io.BytesIO()
    write_backup(workspace, beta, target)
    for name in ("vera", "adam"):
        with as_user(workspace, name), pytest.raises(AccessRefused, match="Only an administrator adds projects"):
            read_backup(workspace, io.BytesIO(target.getvalue()), name="Beta copy")
    assert [p.name for p in workspace.projects()] == ["Alpha", "Beta"]
    workspace.users.add("root", PASSWORD, admin=True)
    with as_user(workspace, "root"):
        read_backup(workspace, io.BytesIO(target.getvalue()), name="Beta copy")
    assert [p.name for p in workspace.projects()] == ["Alpha", "Beta", "Beta copy"]


def test_a_card_naming_another_project_s_alert_leaves_that_alert_alone(workspace, two, caplog):
    import datetime

    from workbench.data.store import AlertRow

    alpha, alpha_journey = two["Alpha"][:2]
    beta, beta_journey = two["Beta"][:2]
    with workspace.sessions.begin() as session:
        alert = AlertRow(project_id=beta, journey_id=beta_journey, key="drop:checkout", rule_key="drop",
                         last_seen=datetime.date(2026, 11, 30), body={}, status="new", history=[])
        session.add(alert)
        session.flush()
        alert_id = alert.id
    workspace.users.grant("adam", beta, "viewer")  # he reads Beta's alerts but changes none of them
    with as_user(workspace, "adam"):
        workspace.actions.create(alpha, Draft("From an alert", origin={"kind": "alert", "ref": str(alert_id)}), "adam",
                                 journey_id=alpha_journey)
    with workspace.sessions() as session:
        stored = session.get(AlertRow, alert_id)
        assert (stored.action_id, stored.history) == (None, [])
    assert "AccessRefused" not in caplog.text and "Traceback" not in caplog.text
