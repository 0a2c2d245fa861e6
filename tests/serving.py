"""A running app in a subprocess on a free port, with its access token known to the test (browser and security
tests)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A running app on a fresh workspace, with its access token known to the test."""

    def __init__(self, workspace: Path, demo: bool, extra: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workspace = workspace
        self.token = secrets.token_urlsafe(16)
        args = [sys.executable, str(ROOT / "app.py"), "--workspace", str(workspace), "--port", str(self.port),
                "--no-browser", *extra]
        self.log = open(workspace.parent / f"server-{self.port}.log", "w")
        self.process = subprocess.Popen(args + ([] if demo else ["--no-demo"]), cwd=ROOT, stdout=self.log,
                                        stderr=subprocess.STDOUT, env={**os.environ, "CXWB_TOKEN": self.token})
        deadline = time.monotonic() + 60
        while True:
            try:
                self.get("/_dash-layout")
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"app did not start: {(workspace.parent / f'server-{self.port}.log').read_text()}") from None
                time.sleep(0.2)

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
