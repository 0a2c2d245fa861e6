"""The team stack in Chromium: two gunicorn web workers and a Celery worker on one Redis. An import's check runs as
a Celery job in the worker and its report comes back to the page served by either web worker; a worker process
killed in the middle of the check loses nothing (the job runs again), one killed every time is reported failed;
a branch member's deck is built in the worker with their scope."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas
import pytest
from playwright.sync_api import expect

from cxweb import jobs
from tests.e2e.test_data_import import dataset_rows
from tests.e2e.test_team_logins import log_in
from tests.redisserver import redis_server
from tests.serving import ROOT, Server, copy_workspace, wait_settled
from workbench.core import formatting
from workbench.core.access import Scope
from workbench.features.demo import DEMO_DATASETS
from workbench.features.workspace import open_workspace

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
ROWS = 400_000  # answers in the big export: its check takes a few seconds, long enough to kill its worker in it
ROWS_SHOWN = formatting.count(ROWS)


@dataclass
class Stack:
    web: Server
    worker: subprocess.Popen
    redis: str


@pytest.fixture
def stack(tmp_path, demo_folder):
    folder = copy_workspace(demo_folder, tmp_path / "ws")
    with open_workspace(folder) as workspace:
        workspace.users.add("jana", PASSWORD, "Jana Nováková", admin=True)
        project = workspace.projects()[0].id
        survey = next(d for d in workspace.datasets.list(project) if d.name == DEMO_DATASETS["survey"])
        journey = workspace.journey(workspace.journeys(project)[0].id).journey  # the form's first
        answers = pandas.read_parquet(workspace.datasets.get(survey.id).path)
    answers = answers[answers["touchpoint"].isin({tp.key for tp in journey.touchpoints})]
    big = pandas.concat([answers] * (ROWS // len(answers) + 1), ignore_index=True).head(ROWS)
    big["response_id"] = [f"R{n:07d}" for n in range(len(big))]  # one answer each: no duplicates to report
    (folder / "imports").mkdir(exist_ok=True)
    big.to_csv(folder / "imports" / "big-export.csv", index=False)
    with redis_server(tmp_path / "redis") as url:
        log = open(tmp_path / "worker.log", "w")
        worker = subprocess.Popen(
            [sys.executable, "-c", "import sys; from workbench.cli import main; sys.exit(main(sys.argv[1:]))",
             "worker", "--workspace", str(folder), "--redis", url],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        web = Server(folder, demo=False, extra=("--team", "--workers", "2", "--redis", url))
        try:
            yield Stack(web, worker, url)
        finally:
            web.stop()
            worker.terminate()
            worker.wait(timeout=30)
            log.close()


def running_job_pid(stack: Stack, start: int = 1, timeout: float = 60) -> int:
    """The process of the worker's pool running a job, once the job has started ``start`` times (its counter in
    Redis, ``cxweb.jobs``); the worker runs one job at a time in its one pool process."""
    import redis

    client = redis.Redis.from_url(stack.redis)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(int(client.get(key) or 0) >= start for key in client.scan_iter("cxwb-job-starts-*")):
            [pool] = children(stack.worker.pid)
            return pool
        time.sleep(0.01)
    raise TimeoutError(f"no job started {start} times")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def open_big_export(page, stack: Stack) -> None:
    log_in(page, stack.web, "jana", PASSWORD, "/data")
    expect(page.locator("#da-journey option:not(:empty)")).not_to_have_count(0)
    page.fill("#da-path", str(stack.web.workspace / "imports" / "big-export.csv"))
    page.press("#da-path", "Enter")
    expect(page.locator("#da-file-info")).to_contain_text("big-export.csv")
    wait_settled(page)
    expect(page.locator("#da-touchpoint")).to_have_value("touchpoint")
    page.fill("#da-name", "Big export")


def test_a_check_runs_as_a_job_in_the_worker_and_survives_its_process_killed(stack, page, screenshot):
    open_big_export(page, stack)
    page.click("#da-check")
    killed = running_job_pid(stack)
    os.kill(killed, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    report = page.locator("#da-report-body")
    expect(report).to_contain_text(
        f"{ROWS_SHOWN} rows read, {ROWS_SHOWN} valid", timeout=120_000
    )  # run again in a new process
    assert killed != stack.worker.pid  # a process of the worker's pool, not the worker itself
    report.scroll_into_view_if_needed()
    screenshot(page, "team-stack-check-after-kill")
    page.click("#da-commit")
    expect(page.locator("#da-imported")).to_contain_text(f"Imported {ROWS_SHOWN} rows as “Big export” version 1")
    expect(dataset_rows(page).filter(has_text="Big export")).to_contain_text(ROWS_SHOWN)
    assert not page.errors
    with open_workspace(stack.web.workspace) as workspace:
        [big] = [d for d in workspace.datasets.list(workspace.projects()[0].id) if d.name == "Big export"]
        assert big.rows == ROWS


def test_a_job_whose_worker_dies_every_time_is_reported_failed_and_nothing_is_kept(stack, page, screenshot):
    with open_workspace(stack.web.workspace) as workspace:
        before = [d.id for d in workspace.datasets.list(workspace.projects()[0].id)]
    open_big_export(page, stack)
    page.click("#da-check")
    for start in range(1, jobs.MAX_STARTS + 1):
        os.kill(running_job_pid(stack, start), signal.SIGKILL)  # the worker replaces its process, the job goes back
    expect(page.locator("#app-error")).to_contain_text(  # the job's own sentence, without Dash's English wrapping
        "Something went wrong: The job stopped 2 times before it ended (its worker process ended); it is not run "
        "again. Nothing was changed.",
        timeout=120_000,
    )
    expect(page.locator("#da-report-body")).to_have_count(0)
    page.locator("#app-error").scroll_into_view_if_needed()
    screenshot(page, "team-stack-job-failed")
    with open_workspace(stack.web.workspace) as workspace:
        assert [d.id for d in workspace.datasets.list(workspace.projects()[0].id)] == before


def test_a_branch_member_s_deck_is_built_in_the_worker_with_their_scope(stack, page):
    with open_workspace(stack.web.workspace) as workspace:
        project = workspace.projects()[0]
        survey = next(d for d in workspace.datasets.list(project.id) if d.name == DEMO_DATASETS["survey"])
        branches = set(pandas.read_parquet(workspace.datasets.get(survey.id).path, columns=["branch"])["branch"])
        own = sorted(branches)[0]
        workspace.users.add("pobocka", PASSWORD, "Pobočka")
        workspace.users.grant("pobocka", project.id, "viewer", Scope((("branch", (own,)),)))
    log_in(page, stack.web, "pobocka", PASSWORD, "/export")
    expect(page.locator("#ex-matrix-column")).not_to_have_value("", timeout=30_000)
    page.select_option("#ex-matrix-column", "branch")
    with page.expect_download(timeout=120_000) as info:
        page.click("#ex-deck")
    expect(page.locator("#ex-message")).to_contain_text("is downloading")
    with zipfile.ZipFile(info.value.path()) as deck:
        text = " ".join(deck.read(name).decode("utf-8", "replace") for name in deck.namelist() if name.endswith(".xml"))
    assert own in text  # their branch's column of the matrix …
    assert not [branch for branch in branches - {own} if branch in text]  # … and no other branch anywhere
    log = (stack.web.workspace.parent / "worker.log").read_text()
    assert log.count("succeeded") == 1 and "Task background_callback_" in log  # the deck was the worker's job
    assert not page.errors
