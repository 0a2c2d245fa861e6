"""Load test of the team stack: simulated people logged in and clicking through every page, on loopback only.

Twenty people (five analysts of the whole demo project, fifteen viewers each scoped to one branch) log in and open
page after page for the given time; each page opening runs the callbacks a browser runs when it loads (``Browser``
of ``tests/dashcalls.py``), timed one by one. Run against the team stack (Redis, gunicorn with two web workers, a
Celery worker with the alert run's scheduler) and, as the reference in the same run, the one-process team server
(``cxwb serve --team``: waitress, jobs in threads). An error is any answer of status 400 or more or one that says
"Something went wrong". The simulated people run as threads of this process on the same two cores as the servers.
Run: `.venv/bin/python bench/team_load.py [--seconds 120] [--people 20]`; the last line is `p95_ms: X`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]
from cxweb.stack import COMMAND, start_redis  # noqa: E402
from tests.dashcalls import Browser  # noqa: E402
from tests.serving import free_port  # noqa: E402

PASSWORD = "load test password"
PAGES = ("/", "/heatmap", "/leaderboards", "/comments", "/alerts", "/actions", "/drivers", "/roi", "/export", "/data")
SCOPED_PAGES = ("/scorecard", "/heatmap", "/leaderboards", "/comments", "/alerts", "/actions")


class Answer:
    """A ``requests`` response as ``tests/dashcalls.py`` reads a Flask test client's."""

    def __init__(self, response):
        self.status_code = response.status_code
        self._response = response

    def get_json(self):
        return self._response.json()

    def get_data(self) -> bytes:
        return self._response.content


class Client:
    """A logged-in HTTP session that times every callback call it makes."""

    def __init__(self, session, timings: list[float], errors: list[str]):
        self.session, self.timings, self.errors = session, timings, errors

    def get(self, url: str) -> Answer:
        return Answer(self.session.get(url, timeout=300))

    def post(self, url: str, json=None, headers=None) -> Answer:
        started = time.perf_counter()
        response = self.session.post(url, json=json, headers=headers, timeout=300)
        self.timings.append(time.perf_counter() - started)
        if response.status_code >= 400 or b"Something went wrong" in response.content:
            self.errors.append(f"{response.status_code} {json and json.get('output')}: {response.text[:200]}")
        return Answer(response)


def person(base: str, name: str, pages: tuple[str, ...], until: float, timings: list, errors: list) -> int:
    """Log in as ``name`` and open random pages until ``until``; the pages opened."""
    import requests

    session = requests.Session()
    opened = 0
    try:
        login = session.post(
            f"{base}/login",
            data={"name": name, "password": PASSWORD, "next": "/"},
            headers={"Origin": base},
            allow_redirects=False,
            timeout=60,
        )
        if login.status_code != 303:
            errors.append(f"login of {name}: {login.status_code}")
            return 0
        for cookie in list(session.cookies):  # the cookie is Secure: a browser sends it to localhost, requests not
            session.cookies.set(cookie.name, cookie.value)
        browser = Browser(Client(session, timings, errors), base)
        chooser = random.Random(name)
        while time.monotonic() < until:
            browser.load()
            browser.open(chooser.choice(pages))
            opened += 1
    except requests.RequestException as error:  # no answer within a minute: an error, and this person stops
        errors.append(f"{name}: {type(error).__name__}")
    return opened


def drive(base: str, people: list[tuple[str, tuple[str, ...]]], seconds: float) -> dict:
    """Everyone at once for ``seconds``: the callbacks' times and errors."""
    timings: list[float] = []
    errors: list[str] = []
    opened: list[int] = []
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=lambda n=n, p=p: opened.append(person(base, n, p, until, timings, errors)))
        for n, p in people
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(timings)
    return {
        "callbacks": len(ordered),
        "pages": sum(opened),
        "errors": errors,
        "p50": statistics.median(ordered) * 1000,
        "p95": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        "max": ordered[-1] * 1000,
    }


def prepare(folder: Path, count: int) -> list[tuple[str, tuple[str, ...]]]:
    """The demo workspace with its people: a quarter analysts of everything, the rest one branch's viewers."""
    from workbench.core.access import Scope
    from workbench.data import query
    from workbench.features import demo
    from workbench.features.workspace import open_workspace

    people = []
    with open_workspace(folder) as workspace:
        project = demo.seed_demo(workspace)
        survey = next(d for d in workspace.datasets.list(project) if d.kind == "survey")
        branches = sorted(query.segment_values([str(workspace.datasets.get(survey.id).path)], "branch"))
        workspace.users.add("admin", PASSWORD, "Admin", admin=True)
        for n in range(count):
            name = f"person{n:02d}"
            workspace.users.add(name, PASSWORD, name)
            if n < count // 4:
                workspace.users.grant(name, project, "analyst")
                people.append((name, PAGES))
            else:
                workspace.users.grant(name, project, "viewer", Scope((("branch", (branches[n % len(branches)],)),)))
                people.append((name, SCOPED_PAGES))
    return people


def wait_up(base: str, process: subprocess.Popen) -> None:
    import requests

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(f"{base}/login", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def run(folder: Path, people, seconds: float, stack: bool) -> dict:
    """One drive against the team stack (``stack``) or the one-process team server."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes = []
    log = open(folder.parent / f"{'stack' if stack else 'single'}.log", "w")
    try:
        extra = []
        if stack:
            redis, server = start_redis(folder.parent / "redis")
            processes.append(server)
            extra = ["--workers", "2", "--redis", redis]
            worker = [*COMMAND, "worker", "--workspace", str(folder), "--redis", redis, "--beat"]
            processes.append(subprocess.Popen(worker, stdout=log, stderr=subprocess.STDOUT))
        web = [*COMMAND, "serve", "--workspace", str(folder), "--team", "--port", str(port), "--no-browser", *extra]
        processes.append(subprocess.Popen(web, stdout=log, stderr=subprocess.STDOUT))
        wait_up(base, processes[-1])
        drive(base, people[:2], 20)  # warm: the analysis libraries imported in every worker, the caches filled
        return drive(base, people, seconds)
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=60)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--people", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "ws"
        people = prepare(folder, args.people)
        found = {}
        for label, stack in (("team stack: gunicorn 2 workers + Celery", True), ("one process: waitress", False)):
            found[label] = result = run(folder, people, args.seconds, stack)
            print(
                f"{label}: {result['callbacks']} callbacks on {result['pages']} pages in {args.seconds:.0f} s, "
                f"{len(result['errors'])} errors; callback time p50 {result['p50']:.0f} ms, "
                f"p95 {result['p95']:.0f} ms, max {result['max']:.0f} ms",
                flush=True,
            )
            for error in result["errors"][:10]:
                print("  error:", error)
        print(f"p95_ms: {found['team stack: gunicorn 2 workers + Celery']['p95']:.0f}")


if __name__ == "__main__":
    main()
