"""A team server at scale: the web app under gunicorn with several worker processes and its jobs in Celery workers,
all on one workspace folder (a volume every machine mounts), one metadata database (PostgreSQL) and one Redis.

``cxwb serve --team --workers N`` runs the web side, ``cxwb worker`` a job worker (``--beat``: also the scheduler
of the alert run); ``make team`` starts the whole stack on one machine (``cxweb.stack``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from cxweb import app as webapp
from cxweb import guard, jobs
from workbench.core.i18n import gettext as _

if TYPE_CHECKING:
    import celery
    import dash

    from workbench.repos.workspace import Workspace

THREADS = 8  # per web worker, as the local server's waitress: a browser holds about six requests at once
TIMEOUT = 300  # seconds a request may take (a large deck or driver analysis) before gunicorn restarts its worker


def redis_url(given: str | None = None) -> str:
    """The team stack's Redis: ``given``, else ``CXWB_REDIS_URL``; a clear error without either."""
    url = given or os.environ.get(jobs.REDIS_ENV)
    if not url:
        raise ValueError(
            _("Several workers share their jobs through Redis: give its address (--redis or {env}).").format(
                env=jobs.REDIS_ENV
            )
        )
    return url


def team_app(workspace: Workspace, redis: str, data_dirs: Iterable[str | Path] = ()) -> tuple[dash.Dash, celery.Celery]:
    """The Dash app of a team server whose background callbacks run as Celery tasks, and that Celery app (with the
    scheduled alert run): the same in a web worker and in a job worker, so both know every task."""
    minutes = float(os.environ.get(jobs.ALERT_RUN_ENV) or jobs.ALERT_RUN_MINUTES)
    queue = jobs.celery_app(redis, minutes)
    manager = jobs.CeleryJobs(queue)
    dash_app = webapp.create_app(workspace, data_dirs, team=True, jobs=manager)
    jobs.register_alert_run(queue, workspace)
    return dash_app, queue


def serve(
    workspace: Workspace,
    redis: str,
    host: str = "127.0.0.1",
    port: int = 8050,
    workers: int = 2,
    *,
    allow_hosts: Iterable[str] = (),
    data_dirs: Iterable[str | Path] = (),
) -> None:
    """Serve a team server with gunicorn's ``workers`` processes (threads in each) behind the guard and the logins.

    The app is built once and the workers fork from it: the query cache's folder (``workspace/cache``, diskcache:
    safe between processes, keyed on the files' contents, so nothing needs invalidating) and the pseudonyms of the
    network's other members are the same in every worker."""
    from gunicorn.app.base import BaseApplication

    dash_app, _queue = team_app(workspace, redis, data_dirs)
    with dash_app.server.test_request_context("/"):
        # What Dash sets up on its first request (the scripts it will serve), done once here: a worker asked for a
        # script before it served a page would otherwise not know it.
        dash_app._setup_server()
    policy = guard.policy_for(host, port, guard.new_token(), allow_hosts)  # the token is unused: people log in
    wsgi = webapp.protect(dash_app, policy, webapp.accounts_of(workspace)).server
    workspace.engine.dispose()  # no database connection is shared by forked workers

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            for key, value in {
                "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
                "workers": workers,
                "worker_class": "gthread",
                "threads": THREADS,
                "timeout": TIMEOUT,
                "accesslog": None,
                "control_socket_disable": True,  # gunicorn's runtime control is not needed, and one per user
                "post_fork": _after_fork,
            }.items():
                self.cfg.set(key, value)

        def load(self):
            return wsgi

    def _after_fork(_server, _worker) -> None:
        workspace.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
        warming = threading.Timer(webapp.WARM_UP_AFTER, webapp.warm_up)
        warming.daemon = True
        warming.start()

    Gunicorn().run()


def work(workspace: Workspace, redis: str, concurrency: int = 1, beat: bool = False) -> None:
    """Run a Celery worker of the team server's jobs (``concurrency`` processes; with ``beat`` also the scheduler of
    the alert run: one per stack)."""
    _app, queue = team_app(workspace, redis)
    workspace.engine.dispose()  # the worker's processes fork from this one
    argv = ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=prefork"]
    if beat:  # beat remembers when it last started the run, so a restart does not run it at once again
        (schedule := workspace.folder / "cache" / "beat-schedule").parent.mkdir(parents=True, exist_ok=True)
        argv += ["--beat", f"--schedule={schedule}"]
    queue.worker_main(argv)
