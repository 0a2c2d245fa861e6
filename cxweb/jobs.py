"""Background jobs: Dash's background callbacks (an import's check, the Export page's files, the drivers) in threads
of a local server, or through Celery and Redis on a team server, where a job runs in a worker process, perhaps on
another machine, with the access and language of the person who started it; and the team server's scheduled alert
run."""

from __future__ import annotations

import contextvars
import functools
import itertools
import threading
from typing import TYPE_CHECKING, Any

import dash

from workbench.core import access, i18n
from workbench.core.i18n import ngettext

if TYPE_CHECKING:
    import celery

    from workbench.repos.workspace import Workspace

REDIS_ENV = "CXWB_REDIS_URL"  # a team server's Redis: its job queue, their results and progress
ALERT_RUN_ENV = "CXWB_ALERT_MINUTES"  # how often the scheduled alert run checks every journey (default 60)
ALERT_RUN_MINUTES = 60
# A job whose worker process dies goes back to the queue (acks late) and runs again; after this many starts it is
# reported failed instead, so that a job which itself kills its worker (memory) does not loop for ever.
MAX_STARTS = 2
# Redis hands an unacknowledged job to another worker this long after its worker vanished (killed, machine down);
# longer than any job runs (an import's check of the largest upload takes about a minute).
REDELIVER_SECONDS = 600
ALERT_RUN_TASK = "cxwb.alert_run"  # the name Celery beat starts the scheduled alert run by
_USER = "cxwb_user"  # what a job carries beside Dash's callback context: who started it, in which language
_LANGUAGE = "cxwb_language"
_JOB = "cxwb_job"


class JobFailed(RuntimeError):
    """A background job that is not run again: its worker process died at each of its starts."""


class ThreadJobManager(dash.DiskcacheManager):
    """Background callbacks in threads of the server instead of forked processes (a local workbench).

    Polars' thread pool does not survive ``fork`` (a forked job would wait forever for its workers), and our
    long jobs stop cooperatively (an import checks a cancel flag between steps), so no process needs killing.
    Progress and results still go through diskcache as with Dash's own manager.
    """

    def __init__(self, cache):
        super().__init__(cache)
        self._threads: dict[int, threading.Thread] = {}
        self._ids = itertools.count(1)
        self.server = None  # the Flask app, set once it exists: jobs run in its context, so pages find the workspace

    def call_job_fn(self, key, job_fn, args, context):
        job = next(self._ids)
        started_in = contextvars.copy_context()  # the request's language and access go with its job

        def run() -> None:
            with self.server.app_context():
                job_fn(key, self._make_progress_key(key), args, context)

        thread = threading.Thread(target=started_in.run, args=(run,), name=f"cxwb-job-{job}", daemon=True)
        self._threads[job] = thread
        thread.start()
        return job

    def job_running(self, job) -> bool:
        thread = self._threads.get(int(job))
        return thread is not None and thread.is_alive()

    def terminate_job(self, job) -> None:
        if job is not None:
            self._threads.pop(int(job), None)

    def terminate_unhealthy_job(self, job) -> bool:
        return False


def thread_jobs(workspace: Workspace) -> ThreadJobManager:
    """A local workbench's jobs: progress and results through the workspace cache."""
    import diskcache

    return ThreadJobManager(diskcache.Cache(str(workspace.folder / "cache" / "jobs")))


def celery_app(redis_url: str, alert_minutes: float = ALERT_RUN_MINUTES) -> celery.Celery:
    """The team server's Celery app on ``redis_url`` (broker and results), with the alert run every
    ``alert_minutes`` for Celery beat."""
    from celery import Celery

    app = Celery("cxwb", broker=redis_url, backend=redis_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # a job is taken off the queue when it ends, not when it starts ...
        task_reject_on_worker_lost=True,  # ... and goes back when its worker process dies
        worker_prefetch_multiplier=1,  # a worker holds no queued job it has not started: another worker can
        broker_transport_options={"visibility_timeout": REDELIVER_SECONDS},
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],  # never pickle: a message in Redis cannot run code in a worker
        result_expires=86400,
        timezone="UTC",
        beat_schedule={"alert-run": {"task": ALERT_RUN_TASK, "schedule": alert_minutes * 60.0}},
        worker_hijack_root_logger=False,
    )
    return app


class CeleryJobs(dash.CeleryManager):
    """A team server's background callbacks as Celery tasks. The job carries its user's id and language, and the
    worker runs it with that user's access rebuilt from the workspace (a user disabled meanwhile gets nothing);
    a job started more than :data:`MAX_STARTS` times (its worker died each time) is reported failed."""

    def __init__(self, app: celery.Celery):
        super().__init__(app)
        self.server = None  # the Flask app, set once it exists: jobs run in its context, so pages find the workspace

    def call_job_fn(self, key, job_fn, args, context):
        from cxweb.pages._context import current_user

        user = current_user()
        carried = {**context, _USER: None if user is None else user.id, _LANGUAGE: i18n.current(), _JOB: key}
        return super().call_job_fn(key, job_fn, args, carried)

    def make_job_fn(self, fn, progress, key=None):
        @functools.wraps(fn)
        def as_its_user(*args, **kwargs):
            from dash._callback_context import context_value

            job = context_value.get()
            counter = self._count_start(job.get(_JOB))
            try:
                with self.server.app_context():
                    workspace = self.server.extensions["cxwb_workspace"]
                    with access.acting(user_access(workspace, job.get(_USER))), i18n.language(job.get(_LANGUAGE)):
                        return fn(*args, **kwargs)
            finally:  # ended, well or not: the same check asked again later starts afresh
                self.handle.backend.client.delete(counter)

        return super().make_job_fn(as_its_user, progress, key)

    def _count_start(self, key: str | None) -> str:
        """Count a job's starts in Redis (the counter's name); refuse a start past :data:`MAX_STARTS`."""
        client = self.handle.backend.client
        name = f"cxwb-job-starts-{key}"
        starts = client.incr(name)
        client.expire(name, 86400)
        if starts > MAX_STARTS:
            client.delete(name)
            raise JobFailed(
                ngettext(
                    "The job stopped {n} time before it ended (its worker process ended); it is not run again.",
                    "The job stopped {n} times before it ended (its worker process ended); it is not run again.",
                    MAX_STARTS,
                ).format(n=MAX_STARTS)
            )
        return name


def user_access(workspace: Workspace, user_id: Any) -> access.Access:
    """What the user ``user_id`` may read and change now: nothing if they are gone or disabled (or no user)."""
    user = workspace.users.get(user_id) if isinstance(user_id, int) else None
    if user is None or user.disabled:
        return access.Access(frozenset(), frozenset())
    return workspace.users.access(user)


def register_alert_run(app: celery.Celery, workspace: Workspace) -> None:
    """The scheduled alert run as the task Celery beat starts: every journey's rules on its latest survey."""
    from workbench.features import alerts

    @app.task(name=ALERT_RUN_TASK)
    def alert_run() -> int:
        return alerts.check_all(workspace)
