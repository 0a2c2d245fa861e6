"""Concurrent writers: two processes write one thing at the same instant, round after round; exactly one wins.

Two worker processes (spawned, so no polars state is forked) open the workspace once and then loop: each takes its
task, waits at a barrier and runs it the moment the other does. Every round both start from the same version, so
exactly one must win and the other get a conflict; what is stored must then be the winner's edit exactly, with a
history that matches it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import traceback
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from tests.databases import fresh_postgresql
from workbench.core import journeyfile
from workbench.core.alerting import MOVES
from workbench.core.errors import ConflictError, WorkspaceError
from workbench.data.ingest import KpiMapping, SurveyMapping
from workbench.data.store import JourneyRevisionRow, JourneyRow
from workbench.features.workspace import open_workspace
from workbench.repos.actions import Draft
from workbench.repos.alerts import Alert, Inbox
from workbench.repos.scenarios import Scenario
from workbench.repos.text import Codebook, Theme
from workbench.repos.workspace import Workspace

JOURNEY_ROUNDS = 200
ROUNDS = 40
NAME_ROUNDS = 60
HAMMER_OPERATIONS = 200  # per worker, each a card and another write
DATASET_ROUNDS = 15
TIMEOUT = 60


def _serve(folder: str, url: str | None, barrier, tasks, results, index: int) -> None:
    """A worker: open the workspace once, then run each task as soon as both workers reach the barrier."""
    workspace = open_workspace(folder, url)
    for operation, args in iter(tasks.get, None):
        barrier.wait(timeout=TIMEOUT)
        try:
            results.put((index, "ok", operation(workspace, f"worker {index}", *args)))
        except ConflictError as error:
            results.put((index, "conflict", str(error)))
        except WorkspaceError as error:
            results.put((index, "refused", str(error)))
        except Exception:  # noqa: BLE001 - the test reports any other failure with its traceback
            results.put((index, "error", traceback.format_exc()))
    workspace.close()


@dataclasses.dataclass
class Pair:
    """Two workers on one workspace folder and its metadata database (``url``: None for SQLite in the folder)."""

    folder: Path
    url: str | None
    tasks: list
    results: object

    def run(self, first: tuple[Callable, tuple], second: tuple[Callable, tuple]) -> list[tuple[str, object]]:
        """Run ``first`` in worker 0 and ``second`` in worker 1 at the same instant: (status, value) of each."""
        self.tasks[0].put(first)
        self.tasks[1].put(second)
        found = {index: (status, value) for index, status, value in
                 (self.results.get(timeout=TIMEOUT) for _ in range(2))}
        return [found[0], found[1]]


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def pair(request, tmp_path_factory):
    """Two workers on a new workspace, its metadata in SQLite in its folder or in a new PostgreSQL database (whose
    write lock is an advisory lock instead of SQLite's one writer)."""
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(fresh_postgresql()) if request.param == "postgresql" else None
        folder = tmp_path_factory.mktemp("concurrency") / "ws"
        open_workspace(folder, url).close()  # migrated once, before the workers open it
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(2), context.Queue()
        tasks = [context.Queue(), context.Queue()]
        workers = [context.Process(target=_serve, args=(str(folder), url, barrier, tasks[i], results, i), daemon=True)
                   for i in range(2)]
        for worker in workers:
            worker.start()
        yield Pair(folder, url, tasks, results)
        for queue in tasks:
            queue.put(None)
        for worker in workers:
            worker.join(timeout=TIMEOUT)


def one_winner(outcome: list[tuple[str, object]]) -> int | None:
    """The index of the only worker that succeeded while the other got a conflict (None otherwise)."""
    statuses = [status for status, _value in outcome]
    return statuses.index("ok") if sorted(statuses) == ["conflict", "ok"] else None


def summary(round_: int, outcome: list[tuple[str, object]]) -> tuple:
    """A failed round for the message: its number, each worker's status, and the last line of any error."""
    return round_, [status if status != "error" else f"error: {value.strip().splitlines()[-1]}"
                    for status, value in outcome]


# ------------------------------------------------------------------ what the workers run


def save_journey(workspace: Workspace, who: str, journey_id: int, journey, version: int) -> int:
    return workspace.save_journey(journey_id, journey, who, version).version


def undo(workspace: Workspace, _who: str, journey_id: int, version: int) -> int:
    return workspace.undo(journey_id, version).version


def update_action(workspace: Workspace, who: str, action_id: int, draft: Draft, version: int) -> int:
    return workspace.actions.update(action_id, draft, who, expected_version=version).version


def save_scenario(workspace: Workspace, who: str, project_id: int, scenario_id: int, scenario: Scenario,
                  version: int) -> int:
    return workspace.scenarios.save(project_id, scenario, who, scenario_id=scenario_id,
                                    expected_version=version).version


def save_codebook(workspace: Workspace, who: str, project_id: int, codebook: Codebook, version: int) -> int:
    return workspace.verbatims.save_codebook(project_id, codebook, who, expected_version=version)


def set_status(workspace: Workspace, who: str, alert_id: int, status: str, version: int) -> int:
    return workspace.alerts.set_status(alert_id, status, who, expected_version=version).version


def commit(workspace: Workspace, _who: str, token: str, name: str) -> int:
    return workspace.datasets.commit(token, name).version


def create_project(workspace: Workspace, _who: str, name: str) -> int:
    return workspace.create_project(name)


def rename_project(workspace: Workspace, _who: str, project_id: int, name: str) -> None:
    workspace.rename_project(project_id, name)


def create_journey(workspace: Workspace, _who: str, project_id: int, journey) -> int:
    return workspace.create_journey(project_id, journey)


def hammer(workspace: Workspace, who: str, project_id: int, journey_id: int, journey, operations: int) -> list[str]:
    """Write paths that read before they write, as fast as they go: a card, then a journey save, benchmarks, a new
    journey or a project rename in turn. The first line of each failure."""
    failed = []
    writes = [lambda i: workspace.save_journey(journey_id, dataclasses.replace(journey, description=f"{who} {i}"), who),
              lambda i: workspace.replace_benchmarks(journey_id, [("web", "csat", float(i))], who),
              lambda i: workspace.create_journey(project_id, dataclasses.replace(journey, name=f"{who} {i}")),
              lambda i: workspace.rename_project(project_id, f"Hammered by {who}")]
    for i in range(operations):
        for write in (lambda i: workspace.actions.create(project_id, Draft(f"{who} card {i}"), who), writes[i % 4]):
            try:
                write(i)
            except Exception as error:  # noqa: BLE001 - every failure is one too many
                failed.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
    return failed


# ------------------------------------------------------------------ the races


def edited(journey, worker: int, round_: int):
    """Worker ``worker``'s edit: a different touchpoint each, so a mix of both edits shows."""
    touchpoints = list(journey.touchpoints)
    touchpoints[worker] = dataclasses.replace(touchpoints[worker], notes=f"round {round_} by worker {worker}",
                                              x=float(round_ * 10 + worker))
    return dataclasses.replace(journey, touchpoints=tuple(touchpoints))


def stored_history(workspace: Workspace, journey_id: int) -> tuple:
    """The journey's snapshot at its place in the history, and the one before (what an undo restores)."""
    with workspace.sessions() as session:
        revision = session.get(JourneyRow, journey_id).revision
        found = {row.seq: journeyfile.from_json(row.snapshot) for row in session.scalars(
            select(JourneyRevisionRow).where(JourneyRevisionRow.journey_id == journey_id,
                                             JourneyRevisionRow.seq >= revision - 1))}
        return found.get(revision), found.get(revision - 1)


def test_two_saves_or_a_save_and_an_undo_of_one_journey_never_both_win(pair, small_journey):
    with open_workspace(pair.folder, pair.url) as workspace:
        journey_id = workspace.create_journey(workspace.create_project("Journeys"), small_journey)
        failed = []
        for round_ in range(JOURNEY_ROUNDS):
            state = workspace.journey(journey_id)
            _latest, before = stored_history(workspace, journey_id)
            edits = [edited(state.journey, worker, round_) for worker in range(2)]
            undoing = round_ % 4 == 3  # every fourth round worker 1 undoes while worker 0 saves
            second = (undo, (journey_id, state.version)) if undoing else \
                (save_journey, (journey_id, edits[1], state.version))
            outcome = pair.run((save_journey, (journey_id, edits[0], state.version)), second)
            winner = one_winner(outcome)
            after = workspace.journey(journey_id)
            latest, _before = stored_history(workspace, journey_id)
            expected = before if undoing and winner == 1 else edits[winner or 0]
            if winner is None or after.journey != expected or latest != after.journey \
                    or outcome[winner][1] != after.version or after.version != state.version + 1:
                failed.append(summary(round_, outcome))
        assert not failed, f"{len(failed)} of {JOURNEY_ROUNDS} rounds went wrong, e.g. {failed[:3]}"


def test_two_edits_of_one_action_card_never_both_win(pair):
    with open_workspace(pair.folder, pair.url) as workspace:
        project_id = workspace.create_project("Actions")
        card = workspace.actions.create(project_id, Draft("Shared card"), "setup")
        failed = []
        for round_ in range(ROUNDS):
            card = workspace.actions.get(card.id)
            drafts = [dataclasses.replace(card.draft, title=f"Round {round_} by worker {worker}",
                                          cost=float(round_ * 10 + worker)) for worker in range(2)]
            outcome = pair.run(*((update_action, (card.id, drafts[w], card.version)) for w in range(2)))
            winner = one_winner(outcome)
            after = workspace.actions.get(card.id)
            last = workspace.actions.history(card.id)[0]
            if winner is None or after.draft != drafts[winner] or after.version != card.version + 1 \
                    or last.who != f"worker {winner}" or last.changes["title"][1] != after.title:
                failed.append(summary(round_, outcome))
        assert not failed, f"{len(failed)} of {ROUNDS} rounds went wrong, e.g. {failed[:3]}"


def test_two_saves_of_one_scenario_never_both_win(pair):
    with open_workspace(pair.folder, pair.url) as workspace:
        project_id = workspace.create_project("Scenarios")
        saved = workspace.scenarios.save(project_id, Scenario("Revenue", 1, "KPIs", "revenue"), "setup")
        failed = []
        for round_ in range(ROUNDS):
            saved = workspace.scenarios.get(saved.id)
            edits = [dataclasses.replace(saved.scenario, note=f"round {round_} by worker {worker}", lag=worker)
                     for worker in range(2)]
            outcome = pair.run(*((save_scenario, (project_id, saved.id, edits[w], saved.version)) for w in range(2)))
            winner = one_winner(outcome)
            after = workspace.scenarios.get(saved.id)
            if winner is None or after.scenario != edits[winner] or after.version != saved.version + 1 \
                    or after.updated_by != f"worker {winner}":
                failed.append(summary(round_, outcome))
        assert not failed, f"{len(failed)} of {ROUNDS} rounds went wrong, e.g. {failed[:3]}"


def test_two_saves_of_one_codebook_never_both_win_the_first_save_included(pair):
    with open_workspace(pair.folder, pair.url) as workspace:
        failed = []
        for round_ in range(ROUNDS):
            if round_ % 5 == 0:  # a project without a codebook yet: both save the first one
                project_id = workspace.create_project(f"Codebooks {round_}")
            _codebook, version = workspace.verbatims.codebook(project_id)
            edits = [Codebook((Theme("delay", f"Delay {round_}", ("late",)),
                               Theme(f"w{worker}", f"Worker {worker}", (f"word{round_}",)))) for worker in range(2)]
            outcome = pair.run(*((save_codebook, (project_id, edits[w], version)) for w in range(2)))
            winner = one_winner(outcome)
            after, new_version = workspace.verbatims.codebook(project_id)
            if winner is None or after != edits[winner] or new_version != version + 1:
                failed.append(summary(round_, outcome))
        assert not failed, f"{len(failed)} of {ROUNDS} rounds went wrong, e.g. {failed[:3]}"


def test_two_status_changes_of_one_alert_never_both_win(pair, small_journey):
    import datetime as dt

    with open_workspace(pair.folder, pair.url) as workspace:
        project_id = workspace.create_project("Alerts")
        journey_id = workspace.create_journey(project_id, small_journey)
        day = dt.date(2025, 3, 2)
        alert = Alert("answer:1", "low", "answer", "csat", "delivery", "", "", day, day, day, day, 1, 1.0, None, None,
                      None, None, None, "1", "late", "A low score")
        with workspace.sessions.begin() as session:
            Inbox._store(session, project_id, journey_id, [alert], {}, "setup", {}, day)
        item = workspace.alerts.list(project_id, journey_id)[0]
        failed = []
        for round_ in range(ROUNDS):
            item = workspace.alerts.get(item.id)
            wanted = [*MOVES[item.status]] * 3  # two changes an alert in this status allows (or one, twice)
            wanted = wanted[round_ % 2:][:2]
            outcome = pair.run(*((set_status, (item.id, wanted[w], item.version)) for w in range(2)))
            winner = one_winner(outcome)
            after = workspace.alerts.get(item.id)
            if winner is None or after.status != wanted[winner] or after.version != item.version + 1 \
                    or len(after.history) != len(item.history) + 1 or after.history[-1]["who"] != f"worker {winner}":
                failed.append(summary(round_, outcome))
        assert not failed, f"{len(failed)} of {ROUNDS} rounds went wrong, e.g. {failed[:3]}"


def test_two_imports_under_one_name_at_the_same_instant_get_the_next_two_versions(pair, tmp_path):
    kpis = tmp_path / "kpi.csv"
    kpis.write_text("month;revenue\n2024-01-01;10\n2024-02-01;12\n", encoding="utf-8")
    mapping = KpiMapping(period="month", kpis=("revenue",))
    with open_workspace(pair.folder, pair.url) as workspace:
        project_id = workspace.create_project("Datasets")
        failed = []
        for round_ in range(DATASET_ROUNDS):
            staged = [workspace.datasets.stage(project_id, kpis, mapping) for _worker in range(2)]
            outcome = pair.run(*((commit, (staged[w].token, "KPIs")) for w in range(2)))
            listed = workspace.datasets.list(project_id)
            files = {p.name for p in (pair.folder / "datasets").iterdir()}
            if sorted(value for status, value in outcome if status == "ok") != [2 * round_ + 1, 2 * round_ + 2] \
                    or [d.version for d in listed] != list(range(2 * round_ + 2, 0, -1)) \
                    or {d.path.name for d in listed} != files:
                failed.append(summary(round_, outcome))
        assert not failed, f"{len(failed)} of {DATASET_ROUNDS} rounds went wrong, e.g. {failed[:3]}"


def test_two_appends_to_one_version_at_the_same_instant_never_both_win(pair, small_journey, tmp_path):
    """An append holds the answers of the version it extends: the one that commits second would drop the first's
    answers, so it must be refused, and the next version hold the winner's answers and everyone's before."""
    mapping = SurveyMapping(ts="date", touchpoint="step", csat="csat", response_id="id")

    def answers(name: str, ids: list[str]) -> Path:
        path = tmp_path / f"{name}.csv"
        path.write_text("id,date,step,csat\n" + "".join(f"{i},2026-03-02,web,4\n" for i in ids), encoding="utf-8")
        return path

    with open_workspace(pair.folder, pair.url) as workspace:
        project_id = workspace.create_project("Appends")
        journey_id = workspace.create_journey(project_id, small_journey)
        latest = workspace.datasets.import_file(project_id, answers("base", ["base"]), mapping, "Waves",
                                                journey_id=journey_id)
        expected, failed = {"base"}, []
        for round_ in range(DATASET_ROUNDS):
            ids = [[f"{round_}-{worker}-{i}" for i in range(3)] for worker in range(2)]
            staged = [workspace.datasets.stage(project_id, answers(f"{round_}-{worker}", ids[worker]), mapping,
                                               append_to=latest.id) for worker in range(2)]
            outcome = pair.run(*((commit, (staged[w].token, None)) for w in range(2)))
            winner = one_winner(outcome)
            latest = workspace.datasets.survey_for(project_id, journey_id)
            stored = set(pq.read_table(latest.path)["response_id"].to_pylist())
            expected |= set(ids[winner]) if winner is not None else set()
            if winner is None or latest.version != round_ + 2 or stored != expected \
                    or "changed meanwhile" not in outcome[1 - winner][1]:
                failed.append(summary(round_, outcome))
                break
        assert not failed, f"{len(failed)} of {DATASET_ROUNDS} rounds went wrong, e.g. {failed[:3]}"


def test_two_processes_writing_at_once_never_fail_and_lose_nothing(pair, small_journey):
    """Every write reads first (a card's place at the bottom of its column, a free name, the journey it belongs to):
    its reads and its write must be one turn, or two cards made at one instant share a place."""
    with open_workspace(pair.folder, pair.url) as workspace:
        project_id = workspace.create_project("Hammered")
        journey_id = workspace.create_journey(project_id, small_journey)
        version = workspace.journey(journey_id).version
        outcome = pair.run(*((hammer, (project_id, journey_id, small_journey, HAMMER_OPERATIONS)) for _ in range(2)))
        assert [status for status, _failed in outcome] == ["ok", "ok"], outcome
        failed = outcome[0][1] + outcome[1][1]
        assert not failed, f"{len(failed)} writes failed, e.g. {sorted(set(failed))[:3]}"
        cards = workspace.actions.list(project_id)
        assert sorted(card.title for card in cards) == sorted(f"worker {w} card {i}" for w in range(2)
                                                              for i in range(HAMMER_OPERATIONS))
        assert sorted(card.position for card in cards) == list(range(2 * HAMMER_OPERATIONS)), "places shared"
        made = {j.name for j in workspace.journeys(project_id)} - {small_journey.name}
        assert made == {f"worker {w} {i}" for w in range(2) for i in range(2, HAMMER_OPERATIONS, 4)}
        assert len(workspace.benchmarks(journey_id)) == 1
        assert workspace.journey(journey_id).version == version + HAMMER_OPERATIONS // 2


def test_two_writers_taking_one_name_at_the_same_instant_never_both_get_it(pair, small_journey):
    """Names are unique ignoring case, which no constraint checks: the check and the write must be one turn."""
    with open_workspace(pair.folder, pair.url) as workspace:
        home = workspace.create_project("Names")
        failed = []
        for round_ in range(NAME_ROUNDS):
            names = [f"Taken {round_}", f"TAKEN {round_}"]
            if round_ % 3 == 0:
                tasks = [(create_project, (name,)) for name in names]
            elif round_ % 3 == 1:
                projects = [workspace.create_project(f"Renamed {round_} {w}") for w in range(2)]
                tasks = [(rename_project, (projects[w], names[w])) for w in range(2)]
            else:
                tasks = [(create_journey, (home, dataclasses.replace(small_journey, name=name))) for name in names]
            outcome = pair.run(*tasks)
            taken = [p.name for p in workspace.projects()] + [j.name for j in workspace.journeys(home)]
            if sorted(status for status, _value in outcome) != ["ok", "refused"] \
                    or sum(name.casefold() == names[0].casefold() for name in taken) != 1:
                failed.append(summary(round_, outcome))
        assert not failed, f"{len(failed)} of {NAME_ROUNDS} rounds went wrong, e.g. {failed[:3]}"


def alternate(workspace: Workspace, who: str, journey_id: int, journeys: tuple, saves: int) -> int:
    """Save the two journeys in turn, ``saves`` times."""
    for i in range(saves):
        workspace.save_journey(journey_id, journeys[i % 2], who)
    return saves


def read_back(workspace: Workspace, _who: str, journey_id: int, journeys: tuple, reads: int) -> list[str]:
    """Read the journey ``reads`` times: each read must be one of the saved journeys whole, never a mix."""
    mixed = []
    for _ in range(reads):
        read = workspace.journey(journey_id).journey
        if read not in journeys:
            mixed.append(", ".join(tp.name for tp in read.touchpoints))
    return mixed


def test_a_journey_read_while_another_process_saves_is_one_saved_state(pair, small_journey):
    renamed = dataclasses.replace(small_journey, touchpoints=tuple(
        dataclasses.replace(tp, name=f"{tp.name} (new)", x=float(i), y=1.0) for i, tp in enumerate(small_journey.touchpoints)),
        edges=small_journey.edges[:2])
    with open_workspace(pair.folder, pair.url) as workspace:
        journey_id = workspace.create_journey(workspace.create_project("Reads"), small_journey)
        first = workspace.journey(journey_id).journey
        journeys = (first, workspace.save_journey(journey_id, renamed, "setup").journey)  # each as stored
    outcome = pair.run((alternate, (journey_id, journeys, 150)), (read_back, (journey_id, journeys, 400)))
    assert outcome[0] == ("ok", 150)
    assert outcome[1] == ("ok", []), outcome[1][1][:3]  # each read took the rows of one save
