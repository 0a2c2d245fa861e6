"""The whole team stack on one machine for a trial (``make team``): Redis, the web app under gunicorn with two
workers, and a Celery worker with the alert run's scheduler, on one workspace; Ctrl-C stops them all.

``python -m cxweb.stack [--workspace DIR] [--port 8050] [--workers 2]``. The metadata are in ``CXWB_DATABASE_URL``
(PostgreSQL on a real server) or SQLite in the workspace; Redis is ``CXWB_REDIS_URL``'s, or one this command starts
on a free loopback port and stops again. An empty workspace gets the demo project and, when nobody can log in, an
administrator ``admin`` whose password is printed once.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from workbench.core.i18n import gettext as _

COMMAND = [sys.executable, "-c", "import sys; from workbench.cli import main; sys.exit(main(sys.argv[1:]))"]


def main(argv: list[str] | None = None) -> int:
    """Start the stack and wait until Ctrl-C or until one of its processes ends (then stop the others)."""
    parser = argparse.ArgumentParser(prog="python -m cxweb.stack", description=_("the team stack on one machine"))
    parser.add_argument("--workspace", default=os.environ.get("CXWB_WORKSPACE") or "workspace")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--workers", type=int, default=2, choices=range(2, 65), metavar="N")
    args = parser.parse_args(argv)
    folder = Path(args.workspace).resolve()
    prepare(folder)
    processes: list[subprocess.Popen] = []
    redis = os.environ.get("CXWB_REDIS_URL")
    try:
        if not redis:
            redis, server = start_redis(folder / "cache" / "redis")
            processes.append(server)
        common = ["--workspace", str(folder), "--redis", redis]
        processes.append(subprocess.Popen([*COMMAND, "worker", *common, "--beat"]))
        processes.append(
            subprocess.Popen(
                [*COMMAND, "serve", *common, "--team", "--workers", str(args.workers), "--port", str(args.port)]
            )
        )
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        return 1  # one ended by itself: its message is above
    except KeyboardInterrupt:
        return 0
    finally:
        for process in reversed(processes):  # the web and the worker before the Redis they use
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def prepare(folder: Path) -> None:
    """An empty workspace gets the demo project; one nobody can log in to, an administrator (password printed)."""
    from workbench.features import demo
    from workbench.features.workspace import open_workspace

    with open_workspace(folder) as workspace:
        if not workspace.projects():
            print(_("Creating the demo project in {folder} …").format(folder=folder), flush=True)
            demo.seed_demo(workspace)
        if not workspace.users.admins():
            password = secrets.token_urlsafe(12)
            workspace.users.add("admin", password, _("Administrator"), admin=True)
            print(_("Log in as admin with the password {password} (shown once).").format(password=password), flush=True)


def start_redis(folder: Path) -> tuple[str, subprocess.Popen]:
    """A Redis of the stack's own on a free loopback port, in memory only: its URL and process."""
    program = shutil.which("redis-server")
    if program is None:
        raise SystemExit(
            _("No redis-server here: install it (Debian: apt install redis-server) or set CXWB_REDIS_URL.")
        )
    folder.mkdir(parents=True, exist_ok=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [program, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return f"redis://127.0.0.1:{port}/0", process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(_("redis-server did not start.")) from None
            time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
