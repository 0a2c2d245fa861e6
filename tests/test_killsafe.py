"""Nothing half-written survives a kill: a child process imports or deletes a dataset and is SIGKILLed on the way.

The child counts every step that touches a file or the database (creating, locking, writing, renaming and removing
files, committing) and kills itself at a chosen one; other children are killed from outside at a random moment.
Then the workspace is opened as the next process would open it, and must hold no dataset file without its row, no
row without its file and no temporary file of the killed process, and take the next import.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from workbench.data.ingest import KpiMapping, SurveyMapping
from workbench.data import beside
from workbench.features.workspace import open_workspace

MAPPING = KpiMapping(period="month", kpis=("revenue",))
RANDOM_KILLS = 44
TIMEOUT = 60

# Children fork from a server that has imported the workbench but not polars (whose threads do not survive a fork).
CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(["workbench.features.workspace", "workbench.data.ingest", "sqlalchemy.dialects.sqlite",
                                "pandas", "pyarrow.csv", "pyarrow.parquet",
                                "alembic.script"])  # opening a workspace compares its schema with the scripts' head


def _child(folder: str, action: str, target: int | str, kill_at: int | None, ready, steps) -> None:
    """Run ``action`` ("import", "commit" of a staged import, "append": the commit of a staged append, "delete" or
    "delete project") on ``target``; SIGKILL this process at step ``kill_at``.

    ``ready`` is set when the action starts; ``steps`` receives the steps taken and the seconds the action took.
    """
    import fcntl

    import polars  # noqa: F401 - imported before the action starts, so a random kill lands in the action
    from sqlalchemy import event

    from workbench.data import store

    store.migrate = lambda _engine: None  # the parent migrated the workspace; a child only writes to it
    workspace = open_workspace(folder)
    taken: list[str] = []

    def step(name: str) -> None:
        taken.append(name)
        if len(taken) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def counted(name: str, function):
        def wrapper(*args, **kwargs):
            step(f"before {name}")
            result = function(*args, **kwargs)
            step(f"after {name}")
            return result
        return wrapper

    for owner, name in ((os, "open"), (os, "replace"), (os, "unlink"), (fcntl, "flock"), (Path, "write_text")):
        setattr(owner, name, counted(name, getattr(owner, name)))
    event.listen(workspace.sessions, "before_commit", lambda _session: step("before commit"))
    event.listen(workspace.sessions, "after_commit", lambda _session: step("after commit"))
    ready.set()
    start = time.perf_counter()
    if action == "import":
        workspace.datasets.import_file(target, Path(folder).parent / "kpi.csv", MAPPING, "KPIs")
    elif action == "commit":
        workspace.datasets.commit(target, "KPIs")
    elif action == "append":
        workspace.datasets.commit(target)
    elif action == "delete":
        workspace.datasets.delete(target)
    else:
        workspace.delete_project(target)
    steps.put((taken, time.perf_counter() - start))


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "kpi.csv").write_text("month;revenue\n" + "".join(f"2024-{m:02}-01;{m * 10}\n" for m in range(1, 13)),
                                      encoding="utf-8")
    open_workspace(tmp_path / "ws").close()
    return tmp_path / "ws"


def run(folder: Path, action: str, target: int | str, kill_at: int | None = None,
        kill_after: float | None = None) -> tuple[list[str], float] | None:
    """Run a child to the end, to its own kill at step ``kill_at``, or until killed ``kill_after`` s into the action."""
    ready, steps = CONTEXT.Event(), CONTEXT.Queue()
    child = CONTEXT.Process(target=_child, args=(str(folder), action, target, kill_at, ready, steps))
    child.start()
    if kill_after is not None:
        assert ready.wait(TIMEOUT)
        time.sleep(kill_after)
        try:
            os.kill(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it finished first
    child.join(TIMEOUT)
    assert child.exitcode is not None, "the child hangs"
    if child.exitcode == 0:
        return steps.get(timeout=TIMEOUT)
    assert child.exitcode == -signal.SIGKILL, f"the child failed with exit code {child.exitcode}"
    return None


def check(folder: Path, project_id: int, waiting: str | None = None, name: str | None = "KPIs") -> None:
    """Open the workspace as the next process would: files and rows match, no temporary file stays, imports work.

    ``waiting`` is the token of a staged import the killed process was committing: it may still wait, whole, if the
    process died before it began to work on it; then it must commit now (as ``name``; None for an append).
    """
    with open_workspace(folder) as workspace:
        with workspace.sessions() as session:
            from sqlalchemy import select

            from workbench.data.store import DatasetRow

            rows = {Path(file).name for file in session.scalars(select(DatasetRow.file))}
        found = {path.name for path in (folder / "datasets").glob("*")} if (folder / "datasets").exists() else set()
        precomputed = {name for name in found if name.endswith(beside.KINDS)}
        files = found - precomputed
        kept_beside = {beside.path_for(name, suffix).name for name in rows for suffix in beside.KINDS}
        assert kept_beside >= precomputed, "precomputed files without their dataset"
        assert files - rows == set(), "dataset files without a row"
        assert rows - files == set(), "rows without their file"
        left = sorted(p.name for p in (folder / "tmp").rglob("*") if p.is_file())
        if waiting and left == [f"{waiting}.json", f"{waiting}.parquet"]:
            workspace.datasets.commit(waiting, name)
        else:
            assert left == [], "temporary files stayed"
        workspace.datasets.import_file(project_id, folder.parent / "kpi.csv", MAPPING, "KPIs")


def new_project(folder: Path, datasets: int = 0) -> tuple[int, list[int]]:
    with open_workspace(folder) as workspace:
        project_id = workspace.create_project(f"Client {time.perf_counter_ns()}")
        return project_id, [workspace.datasets.import_file(project_id, folder.parent / "kpi.csv", MAPPING, "KPIs").id
                            for _ in range(datasets)]


def test_a_kill_at_every_step_of_an_import_leaves_a_clean_workspace(folder):
    project_id, _ = new_project(folder)
    steps, _seconds = run(folder, "import", project_id)
    assert {"before replace", "after replace", "before commit", "after commit"} <= set(steps)
    for kill_at in range(1, len(steps) + 1):
        assert run(folder, "import", project_id, kill_at) is None, f"step {kill_at} was not reached"
        check(folder, project_id)


def test_a_kill_at_every_step_of_committing_a_staged_import_leaves_a_clean_workspace(folder):
    project_id, _ = new_project(folder)

    def staged() -> str:
        with open_workspace(folder) as workspace:
            return workspace.datasets.stage(project_id, folder.parent / "kpi.csv", MAPPING).token

    steps, _seconds = run(folder, "commit", staged())
    assert {"before replace", "before commit", "after commit", "before unlink"} <= set(steps)
    for kill_at in range(1, len(steps) + 1):
        token = staged()
        assert run(folder, "commit", token, kill_at) is None, f"step {kill_at} was not reached"
        check(folder, project_id, waiting=token)


def test_a_kill_at_every_step_of_committing_an_append_leaves_a_clean_workspace(folder, small_journey):
    survey = SurveyMapping(ts="date", touchpoint="step", csat="csat", response_id="id")
    files = iter(range(1000))

    def answers() -> Path:
        path = folder.parent / "answers.csv"
        number = next(files)
        path.write_text("id,date,step,csat\n" + "".join(f"{number}-{i},2026-03-02,web,4\n" for i in range(3)),
                        encoding="utf-8")
        return path

    with open_workspace(folder) as workspace:
        project_id = workspace.create_project("Appended")
        journey_id = workspace.create_journey(project_id, small_journey)
        workspace.datasets.import_file(project_id, answers(), survey, "Waves", journey_id=journey_id)

    def staged() -> str:
        with open_workspace(folder) as workspace:
            latest = workspace.datasets.survey_for(project_id, journey_id)
            return workspace.datasets.stage(project_id, answers(), survey, append_to=latest.id).token

    steps, _seconds = run(folder, "append", staged())
    assert {"before replace", "before commit", "after commit", "before unlink"} <= set(steps)
    for kill_at in range(1, len(steps) + 1):
        token = staged()
        assert run(folder, "append", token, kill_at) is None, f"step {kill_at} was not reached"
        check(folder, project_id, waiting=token, name=None)
    with open_workspace(folder) as workspace:
        latest = workspace.datasets.survey_for(project_id, journey_id)
        assert latest.rows == 3 * latest.version == len(set(pq.read_table(latest.path)["response_id"]))


@pytest.mark.parametrize("action", ["delete", "delete project"])
def test_a_kill_at_every_step_of_a_delete_leaves_a_clean_workspace(folder, action):
    keeper, _ = new_project(folder)
    project_id, [dataset_id] = new_project(folder, datasets=1)
    steps, _seconds = run(folder, action, dataset_id if action == "delete" else project_id)
    assert {"before unlink", "after commit"} <= set(steps)
    for kill_at in range(1, len(steps) + 1):
        project_id, [dataset_id] = new_project(folder, datasets=1)
        assert run(folder, action, dataset_id if action == "delete" else project_id, kill_at) is None
        check(folder, keeper)


def test_kills_at_random_moments_of_an_import_leave_a_clean_workspace(folder):
    project_id, _ = new_project(folder)
    _steps, seconds = run(folder, "import", project_id)
    chance = random.Random(17)
    for _ in range(RANDOM_KILLS):
        run(folder, "import", project_id, kill_after=chance.uniform(0, seconds * 1.2))
        check(folder, project_id)


def test_a_running_import_and_one_waiting_for_a_decision_survive_the_next_opening(folder):
    from workbench.data import scratch

    project_id, _ = new_project(folder)
    with open_workspace(folder) as workspace:
        waiting = workspace.datasets.stage(project_id, folder.parent / "kpi.csv", MAPPING)
        running = workspace.datasets.new_token()
        with scratch.hold(workspace.datasets.temp_folder, running):
            partial = workspace.datasets.temp_folder / f".{running}-x.tmp"
            partial.write_bytes(b"PAR1")
            open_workspace(folder).close()  # another process opening the workspace meanwhile
            assert partial.exists()
        open_workspace(folder).close()
        assert waiting.temp_file.exists()
        assert workspace.datasets.commit(waiting.token, "KPIs").version == 1


def test_a_sweep_between_a_holders_creating_and_locking_its_lock_file_leaves_its_files(folder, monkeypatch):
    import fcntl

    from workbench.data import scratch

    project_id, _ = new_project(folder)
    with open_workspace(folder) as workspace:
        waiting = workspace.datasets.stage(project_id, folder.parent / "kpi.csv", MAPPING)
        flock, swept = fcntl.flock, []

        def sweep_first(descriptor, operation):
            if operation == fcntl.LOCK_EX and not swept:  # the holder has created its lock file, not yet locked it
                swept.append(sorted(p.name for p in workspace.datasets.temp_folder.iterdir()))
                open_workspace(folder).close()  # another process opens the workspace: its sweep comes first
            return flock(descriptor, operation)

        monkeypatch.setattr(scratch.fcntl, "flock", sweep_first)
        info = workspace.datasets.commit(waiting.token, "KPIs")  # holds the staged import's token
        monkeypatch.undo()
    assert swept == [sorted(f"{waiting.token}{suffix}" for suffix in (".json", ".lock", ".parquet"))]
    assert info.version == 1 and info.path.exists()
    assert list(workspace.datasets.temp_folder.iterdir()) == []


def test_where_no_lock_tells_a_dead_writer_a_day_old_journal_is_settled(folder):
    project_id, [dataset_id] = new_project(folder, datasets=1)
    with open_workspace(folder) as workspace:
        kept = workspace.datasets.get(dataset_id).path
        orphan = folder / "datasets" / "0123456789abcdef0123456789abcdef.parquet"
        orphan.write_bytes(b"PAR1")
        journal = workspace.datasets.temp_folder / f"{workspace.datasets.new_token()}.files"
        journal.write_text(f'["datasets/{orphan.name}", "datasets/{kept.name}"]', encoding="utf-8")
        os.utime(journal, (time.time() - 2 * 24 * 3600,) * 2)
    open_workspace(folder).close()
    assert not orphan.exists() and kept.exists() and not journal.exists()


def test_a_row_whose_file_is_missing_is_kept_and_named_in_the_log(folder, caplog):
    project_id, [dataset_id] = new_project(folder, datasets=1)
    with open_workspace(folder) as workspace:
        path = workspace.datasets.get(dataset_id).path
    path.unlink()
    with open_workspace(folder) as workspace:
        assert [d.id for d in workspace.datasets.list(project_id)] == [dataset_id]
    assert path.name in caplog.text and "missing" in caplog.text
