"""Benchmark of the journey editor's hot paths, with reference engines run in the same process.

Prints the median of several runs for:
- one editor edit on a 60-touchpoint journey: workspace.save_journey (SQLAlchemy, keeps row ids, writes the
  undo snapshot) vs. the same rows written with bare sqlite3 (delete + executemany, no history);
- one edit of a workshop-sized journey (14 touchpoints) the way the editor saves it, features.journeys.save (read,
  change, workspace.save_journey), and a quick add of 12 lines (parse, apply, one save), each vs. bare sqlite3
  writing the same rows (issue 24 asks for an edit under 200 ms);
- reading it back for drawing: workspace.journey + journey.check + the Cytoscape elements;
- a YAML round trip (our line-numbered, validating loader and dumper) vs. PyYAML's plain libyaml load/dump;
- app start: seconds from launching `app.py` until the first page's layout is served.

Run: `make bench` (or `.venv/bin/python bench/bench_journey.py`).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import median_seconds  # noqa: E402

from cxweb.pages._graph import elements  # noqa: E402
from workbench.core import journey as jm  # noqa: E402
from workbench.core import journeyfile, quickadd  # noqa: E402
from workbench.core.journey import Edge, Journey, Owner, Stage, Touchpoint  # noqa: E402
from workbench.features import journeys as feature  # noqa: E402
from workbench.features.workspace import open_workspace  # noqa: E402


def big_journey(n: int = 60) -> Journey:
    """A journey of n touchpoints over 6 stages and 5 channels, each linked to the next two."""
    stages = tuple(Stage(f"s{i}", f"Stage {i}") for i in range(6))
    owners = tuple(Owner(f"Team {i}") for i in range(8))
    channels = ["web", "app", "phone", "branch", "courier"]
    touchpoints = tuple(Touchpoint(f"t{i}", f"Touchpoint number {i}", f"s{i * 6 // n}", channels[i % 5],
                                   f"Team {i % 8}", "outcome" if i == n - 1 else "touchpoint", entry=i == 0,
                                   targets={"csat": 4.2}) for i in range(n))
    edges = tuple(Edge(f"t{i}", f"t{j}", 0.5) for i in range(n) for j in (i + 1, i + 2) if j < n)
    return jm.auto_layout(Journey("Benchmark", "", stages, owners, touchpoints, edges))



def bare_sqlite_write(path: Path, journey: Journey) -> None:
    """Reference: the same touchpoint and edge rows with plain sqlite3, replaced wholesale."""
    with sqlite3.connect(path) as db:
        db.execute("create table if not exists tp (key text primary key, name text, stage text, channel text, "
                   "owner text, kind text, x real, y real)")
        db.execute("create table if not exists edge (source text, target text, share real)")
        db.execute("delete from edge")
        db.execute("delete from tp")
        db.executemany("insert into tp values (?,?,?,?,?,?,?,?)",
                       [(t.key, t.name, t.stage, t.channel, t.owner, t.kind, t.x, t.y) for t in journey.touchpoints])
        db.executemany("insert into edge values (?,?,?)", [(e.source, e.target, e.share) for e in journey.edges])


def app_start_seconds(folder: str) -> float:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.perf_counter()
    token = "bench-token"
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--workspace", folder, "--port", str(port),
                                "--no-browser"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "CXWB_TOKEN": token})
    try:
        while True:
            try:
                for path in ("/", "/_dash-layout"):
                    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={
                        "Authorization": f"token {token}"}), timeout=2).read()
                return time.perf_counter() - start
            except OSError:
                time.sleep(0.05)
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    journey = big_journey()
    with tempfile.TemporaryDirectory() as folder:
        workspace = open_workspace(Path(folder) / "ws")
        project = workspace.create_project("Bench")
        journey_id = workspace.create_journey(project, journey)
        moves = iter(range(10_000))

        def edit() -> None:
            state = workspace.journey(journey_id)
            i = next(moves)
            workspace.save_journey(journey_id, jm.move_touchpoints(state.journey, {"t5": (float(i), 0.0)}), "Move",
                                   state.version)

        ours = median_seconds(edit)
        reference = median_seconds(lambda: bare_sqlite_write(Path(folder) / "bare.db",
                                                             jm.move_touchpoints(journey, {"t5": (1.0, 0.0)})))
        print(f"edit + undo snapshot, 60 touchpoints: {ours * 1000:7.1f} ms   bare sqlite3 rewrite: "
              f"{reference * 1000:6.1f} ms   ratio {ours / reference:5.1f}x")

        # The editor's save path on a journey the size of a workshop's: the version comes from the browser, so it
        # is read after each save, untimed.
        workshop = replace(big_journey(14), name="Workshop")
        workshop_id = workspace.create_journey(project, workshop)
        version = {"now": workspace.journey(workshop_id).version}

        def save() -> None:
            i = next(moves)
            feature.save(workspace, workshop_id, version["now"], "Move",
                         lambda j: jm.move_touchpoints(j, {"t5": (float(i), 0.0)}))

        ours = median_seconds(save, after=lambda: version.update(now=workspace.journey(workshop_id).version))
        reference = median_seconds(lambda: bare_sqlite_write(Path(folder) / "bare.db", workshop))
        print(f"editor save, 14 touchpoints:          {ours * 1000:7.1f} ms   bare sqlite3 rewrite: "
              f"{reference * 1000:6.1f} ms   ratio {ours / reference:5.1f}x")

        pasted = "\n".join(f"Stage {i // 3}: Touchpoint {i}; Team {i % 4}; web" for i in range(12))
        empties = iter(range(10_000))

        def empty() -> dict:  # a new journey to paste into, made untimed
            new = workspace.create_journey(project, Journey(f"Empty {next(empties)}"))
            return {"id": new, "version": workspace.journey(new).version}

        target = empty()
        ours = median_seconds(lambda: feature.quick_add(workspace, target["id"], target["version"], pasted, True),
                              after=lambda: target.update(empty()))
        added, _summary = quickadd.apply(Journey("Pasted"), quickadd.parse(pasted))
        reference = median_seconds(lambda: bare_sqlite_write(Path(folder) / "bare.db", added))
        print(f"quick add of 12 lines (new journey):  {ours * 1000:7.1f} ms   bare sqlite3 rewrite: "
              f"{reference * 1000:6.1f} ms   ratio {ours / reference:5.1f}x")

        def draw() -> None:
            state = workspace.journey(journey_id)
            elements(state.journey, jm.check(state.journey))

        print(f"read + check + draw, 60 touchpoints:  {median_seconds(draw) * 1000:7.1f} ms")
        print(f"undo + redo:                          {median_seconds(lambda: workspace.redo(workspace.undo(journey_id).id)) * 1000:7.1f} ms")
        workspace.close()

    text = journeyfile.dumps(journey)
    ours = median_seconds(lambda: journeyfile.loads(journeyfile.dumps(journey)))
    plain = yaml.load(text, Loader=yaml.CSafeLoader)
    reference = median_seconds(lambda: yaml.load(yaml.dump(plain, Dumper=yaml.CSafeDumper, sort_keys=False),
                                                 Loader=yaml.CSafeLoader))
    print(f"YAML round trip, 60 touchpoints:      {ours * 1000:7.1f} ms   PyYAML (libyaml) load+dump: "
          f"{reference * 1000:6.1f} ms   ratio {ours / reference:5.1f}x")
    with tempfile.TemporaryDirectory() as folder:
        first = app_start_seconds(folder)  # a new workspace: the demo project and its 200 k answers are generated
        starts = [app_start_seconds(folder) for _ in range(5)]
    print(f"app start to first page served:       {statistics.median(starts):7.2f} s  (median of 5; "
          f"first start of a new workspace, generating the demo data: {first:.2f} s)")


if __name__ == "__main__":
    main()
