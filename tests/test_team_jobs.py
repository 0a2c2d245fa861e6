"""The team stack's jobs (``cxweb.jobs``): the access a job runs with in a worker, and the scheduled alert run of
a Celery worker with beat, on a Redis of the test's own, whose new alerts are e-mailed to their owners."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time

from cxweb import jobs
from tests.redisserver import redis_server
from tests.serving import ROOT
from tests.test_notify import sink  # noqa: F401 (a fixture)
from tests.test_scopes import survey
from workbench.core.access import Scope
from workbench.features import alerts
from workbench.features.workspace import open_workspace
from workbench.repos.workspace import Workspace

PASSWORD = "correct horse battery"


def test_a_job_runs_with_its_user_s_access_as_it_is_when_it_runs(tmp_path, small_journey):
    with open_workspace(tmp_path / "ws") as workspace:
        project = workspace.create_project("Síť")
        workspace.datasets.add_table(project, survey(5, 20), "Seed", "survey")
        brno = workspace.users.add("brno", PASSWORD, "Partner Brno")
        workspace.users.grant("brno", project, "viewer", Scope((("branch", ("Brno",)),)))
        found = jobs.user_access(workspace, brno.id)
        assert found.readable == frozenset({project}) and found.writable == frozenset()
        assert found.scopes[project].segments == (("branch", ("Brno",)),)
        workspace.users.set_disabled("brno", True)  # between the click and the worker: the job gets nothing
        for gone in (brno.id, 10_000, None, "1"):
            nothing = jobs.user_access(workspace, gone)
            assert nothing.readable == frozenset() and nothing.writable == frozenset()
            assert not nothing.reads(project)


def test_check_all_runs_every_journey_s_rules_once(tmp_path, small_journey):
    with Workspace(tmp_path / "ws") as workspace:  # no reactions: a survey arrives without its check
        project = workspace.create_project("Síť")
        journey = workspace.create_journey(project, small_journey)
        workspace.datasets.add_table(project, survey(5, 600), "Answers", "survey", journey_id=journey)
        workspace.datasets.settle()
        assert workspace.alerts.list(project) == []
        added = alerts.check_all(workspace, today=datetime.date(2026, 7, 1))
        assert added > 0 and len(workspace.alerts.list(project)) == added
        assert alerts.check_all(workspace, today=datetime.date(2026, 7, 1)) == 0  # nothing new: nothing raised again


def test_a_worker_with_beat_runs_the_alerts_on_schedule_and_mails_their_owners(tmp_path, small_journey, sink):  # noqa: F811
    port, received = sink
    folder = tmp_path / "ws"
    with Workspace(folder) as workspace:  # the survey arrives without its check: the scheduled run finds it
        project = workspace.create_project("Síť")
        journey = workspace.create_journey(project, small_journey)
        workspace.set_portal(project, "branch")
        workspace.datasets.add_table(project, survey(5, 600), "Answers", "survey", journey_id=journey)
        workspace.datasets.settle()
        workspace.users.add("brno", PASSWORD, "Partner Brno")
        workspace.users.grant("brno", project, "viewer", Scope((("branch", ("Brno",)),)))
        workspace.users.set_email("brno", "brno@firma.cz")
        assert workspace.alerts.list(project) == []
    environ = {**os.environ, "CXWB_ALERT_MINUTES": "0.02", "CXWB_SMTP_URL": f"smtp://127.0.0.1:{port}",
               "CXWB_MAIL_FROM": "cx@firma.cz"}  # fmt: skip
    with redis_server(tmp_path / "redis") as url, open(tmp_path / "worker.log", "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-c", "import sys; from workbench.cli import main; sys.exit(main(sys.argv[1:]))",
             "worker", "--workspace", str(folder), "--redis", url, "--beat"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=environ,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while not received and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert received, (tmp_path / "worker.log").read_text()
    with open_workspace(folder) as workspace:
        raised = workspace.alerts.list(project)
    theirs = [a for a in raised if a.owner == "Partner Brno"]
    assert theirs and len(raised) > len(theirs)
    [message] = [m for m in received if m["To"] == "brno@firma.cz"]
    assert message["Subject"] == f"{len(theirs)} new alerts for you in Síť"


def test_the_team_stack_s_commands_say_what_is_missing(tmp_path, capsys, monkeypatch):
    from workbench.cli import main

    monkeypatch.delenv("CXWB_REDIS_URL", raising=False)
    folder = str(tmp_path / "ws")
    cases = (
        (["worker"], "give its address (--redis or CXWB_REDIS_URL)"),
        (["serve", "--workers", "2", "--no-demo"], "Several web workers serve a team server: add --team."),
        (["serve", "--workers", "2", "--team"], "add an administrator first"),
    )
    for argv, said in cases:
        assert main([*argv, "--workspace", folder]) == 2
        assert said in capsys.readouterr().err
    with open_workspace(folder) as workspace:
        workspace.users.add("jana", PASSWORD, admin=True)
    assert main(["serve", "--workers", "2", "--team", "--workspace", folder]) == 2
    assert "give its address (--redis or CXWB_REDIS_URL)" in capsys.readouterr().err
