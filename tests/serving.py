"""A running app in a subprocess on a free port, with its access token known to the test (browser and security
tests); copies of a seeded workspace; where pictures for a person go."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def copy_workspace(source: Path, target: Path) -> Path:
    """A copy of the closed workspace ``source`` at ``target`` (its query cache left behind: the cache is keyed on
    each file's absolute path, so a copy would never hit it); returns ``target``."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("cache"))
    return target


def screenshots_folder() -> Path:
    """Where tests save pictures for a person to look at (``CXWB_SCREENSHOTS``, which tests/conftest.py sets to a
    folder of the run's temporary files unless it is set already)."""
    folder = Path(os.environ.get("CXWB_SCREENSHOTS") or Path(tempfile.gettempdir()) / "cxwb-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A running app on a workspace folder, with its access token known to the test. With ``demo`` the app seeds
    its demo project into an empty workspace; a copy of a seeded one (``copy_workspace``) starts faster. With
    ``database_url`` its metadata are in that database (``CXWB_DATABASE_URL``) instead of SQLite in the folder;
    ``environ`` adds to the environment it runs in."""

    def __init__(self, workspace: Path, demo: bool, extra: tuple[str, ...] = (), database_url: str | None = None,
                 environ: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workspace = workspace
        self.token = secrets.token_urlsafe(16)
        args = [sys.executable, str(ROOT / "app.py"), "--workspace", str(workspace), "--port", str(self.port),
                "--no-browser", *extra]
        self.log_file = workspace.parent / f"server-{self.port}.log"
        self.log = open(self.log_file, "w")
        self.process = subprocess.Popen(args + ([] if demo else ["--no-demo"]), cwd=ROOT, stdout=self.log,
                                        stderr=subprocess.STDOUT, env={**os.environ, "CXWB_TOKEN": self.token,
                                                                       **({"CXWB_DATABASE_URL": database_url}
                                                                          if database_url else {}),
                                                                       **(environ or {})})
        self.ready()

    def ready(self) -> Server:
        """Wait until the app answers (up to 60 s), and return it."""
        deadline = time.monotonic() + 60
        while True:
            try:
                self.get("/_dash-layout")
                return self
            except urllib.error.HTTPError:  # it answers: a team server asks for a login instead of the token
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"app did not start: {self.log_file.read_text()}") from None
                time.sleep(0.05)

    def at(self, path: str = "/") -> str:
        """The address of ``path`` with the token, as the link the server prints (the cookie is set from it)."""
        return f"{self.url}{path}{'&' if '?' in path else '?'}token={self.token}"

    def get(self, path: str, timeout: float = 2):
        """A GET as a script would send it, with the token in the Authorization header."""
        request = urllib.request.Request(f"{self.url}{path}", headers={"Authorization": f"token {self.token}"})
        return urllib.request.urlopen(request, timeout=timeout)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


# No Dash callback pending and no spinner shown: the page has settled. (Playwright's "networkidle" is a state of
# the page's load, reached once: it does not wait for the callbacks an action fires later.)
SETTLED = """() => !document.querySelector('._dash-loading, [data-dash-is-loading="true"]')
    && ![...document.querySelectorAll('.dash-spinner, .dash-default-spinner, ._dash-loading-callback, .spinner-border')]
        .some((e) => e.checkVisibility())"""


def wait_settled(page, quiet: float = 0.5, timeout: float = 30_000) -> None:
    """Wait until the page has stayed settled (:data:`SETTLED`) for ``quiet`` seconds: a chain of callbacks (an
    upload's columns, then the saved mappings, then the form filled from them) has gaps between its links in which
    nothing is loading, and a single look can fall into one."""
    deadline = time.monotonic() + timeout / 1000
    since = None
    while True:
        wait_for(page, SETTLED, timeout=max(0.0, deadline - time.monotonic()) * 1000)
        since = since or time.monotonic()
        time.sleep(0.05)
        if not page.evaluate(f"({SETTLED})()"):
            since = None
        elif time.monotonic() - since >= quiet:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page did not stay settled for {quiet} s within {timeout} ms")


def wait_for(page, expression: str, timeout: float = 30_000) -> None:
    """Wait up to ``timeout`` milliseconds until ``expression`` (a JavaScript function or expression) is truthy.

    Playwright's own ``wait_for_function`` builds the predicate with ``eval`` inside the page, which the app's
    Content-Security-Policy rightly forbids; ``page.evaluate`` runs through the debugging protocol instead.
    """
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if page.evaluate(f"(() => {{ const v = ({expression}); return typeof v === 'function' ? v() : v; }})()"):
                return
        except Error as error:  # the address with the token moves on to the page itself: wait for that one
            if "context was destroyed" not in str(error):
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {timeout} ms: {expression}")
        time.sleep(0.1)
