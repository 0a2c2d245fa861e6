"""Benchmark: every page's main callbacks at a real client's size, cold (fresh process, empty cache) and warm.

Workspaces of 1.5 M and 20 M answers (50 M when asked for: the generator holds a whole survey in memory, 11 GB at
20 M, so 50 M needs about 28 GB, more than the 24 GB machine the figures come from) are built once with the demo
generator at that size: 36
months, the demo's 50 branches each split in ten (500 branches in 8 regions, ~1 500 employees), 22 touchpoints with
the overall answers, a respondent rating ~5 touchpoints (so 1.5 M answers are ~300 000 respondents). They are kept in
``--folder`` (default: the system's temp folder) and reused while the generator's code is unchanged.

Each case runs in a fresh Python process over the workspace with its query cache emptied: the page is imported and
its layout built (as the browser opens it first), the analysis libraries are imported as `cxwb serve` does in the
background 2 s after its start (``cxweb.app.warm_up``), then the callback is timed once (cold) and repeated
(warm, median), and the process's peak memory is read. A reference runs in the same process where one exists: DuckDB
for aggregates over the same Parquet file, a bare least-squares fit for the drivers. ``--runs`` fresh processes per
case (default 3); the table gives medians. Run: `.venv/bin/python bench/scale.py [--sizes 1.5M,20M] [--runs 3]`.

Before each case 2 GB are used and freed in another process (``CXWB_BENCH_PRETOUCH=0`` skips it): on the virtual
machine the figures come from, the host backs memory lazily and a page's first use after a while costs ~2 ms per MB
(0.55 s for 256 MB, against 0.05 s once backed), which made the same cold call vary between 1.9 and 4.4 s.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

SIZES = {"1.5M": 1_500_000, "20M": 20_000_000, "50M": 50_000_000}
FROM, TO = "2026-08-01", "2026-10-31"  # the filter bar's last three months
CASES = (
    "map",
    "map for a branch member",
    "matrix",
    "matrix drilled to branches",
    "break list",
    "touchpoint detail",
    "leaderboard",
    "drivers with intervals",
    "comments",
    "alerts check",
    "actions board",
    "before/after check",
    "ROI evidence",
    "ROI result",
    "deck",
)


def build(folder: Path, answers: int) -> float:
    """The workspace of ``answers`` answers in ``folder`` (built unless already there); seconds it took to build."""
    from workbench.features.demo import seed_demo
    from workbench.features.workspace import open_workspace

    stamp = _generator_stamp(answers)
    ready = folder / "READY"
    if ready.exists() and ready.read_text() == stamp:
        return 0.0
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    workspace = open_workspace(folder)
    seed_demo(workspace, answers=answers, months=36, branch_copies=10)
    workspace.close()
    seconds = time.perf_counter() - start
    ready.write_text(stamp)
    return seconds


def _generator_stamp(answers: int) -> str:
    """The generator's code with the size: a change rebuilds the workspace."""
    digest = hashlib.sha256(str(answers).encode())
    for name in ("data/demodata.py", "features/demo.py"):
        digest.update((ROOT / "workbench" / name).read_bytes())
    return digest.hexdigest()


def child(folder: Path, case: str, warm: int) -> dict:
    """One case in this fresh process: cold call, warm median, reference, peak memory."""
    shutil.rmtree(folder / "cache", ignore_errors=True)
    from cxweb.app import create_app, warm_up
    from workbench.features.workspace import open_workspace

    workspace = open_workspace(folder)
    app = create_app(workspace)
    project = workspace.projects()[0].id
    journey = workspace.journeys(project)[0].id
    survey = workspace.datasets.list(project, "survey")[0]
    base = {"project": project, "journey": journey, "dataset": survey.id, "metric": "csat", "from": FROM, "to": TO,
            "segments": []}
    with app.server.app_context():
        call, reference = _case(case, workspace, project, journey, survey, base)
        if importlib.util.find_spec("duckdb") is None:  # `make bench` installs it; without it, no reference column
            reference = None
        warm_up()  # what `cxwb serve` imports in the background while the user reads the first page
        start = time.perf_counter()
        call()
        cold = time.perf_counter() - start
        times = []
        for _ in range(warm):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    ref = None
    if reference is not None:
        reference()  # the engine's own first call (imports, file metadata) is not counted
        ref = statistics.median(_timed(reference) for _ in range(warm))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workspace.close()
    return {"cold": cold, "warm": statistics.median(times), "reference": ref, "peak_mb": peak, "rows": survey.rows}


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _case(case: str, workspace, project: int, journey: int, survey, base: dict):
    """The callback of ``case`` as the server calls it, and its reference (or None)."""
    path = str(survey.path)
    duck = _duckdb()

    def aggregate(by: str, where: str = "TRUE") -> object:
        sql = (f"SELECT {by}, count(*), count(csat), sum(csat), sum(csat * csat), count_if(csat >= 4) "
               f"FROM read_parquet('{path}') WHERE ts >= DATE '{FROM}' AND ts < DATE '{TO}' + 1 AND {where} "
               "GROUP BY ALL")
        return lambda: duck.execute(sql).fetchall()

    courier = {"key": "own-courier", "column": "region", "segment": "Jižní Morava"}
    if case == "map":
        from cxweb.pages import heatmap

        heatmap.layout()
        return lambda: heatmap.draw_map(base, "none", None, 30, [], "compact"), aggregate("touchpoint")
    if case == "map for a branch member":  # a team server's viewer scoped to one branch (issue 23)
        from cxweb.pages import heatmap
        from workbench.core import access

        heatmap.layout()
        branch, member = _branch_member(workspace, project, path)

        def scoped_map() -> None:
            with access.acting(member):
                heatmap.draw_map(base, "none", None, 30, [], "compact")

        return scoped_map, aggregate("touchpoint", f"branch = '{branch}'")
    if case in ("matrix", "matrix drilled to branches"):
        from dash._callback_context import context_value
        from dash._utils import AttributeDict

        from cxweb.pages import heatmap

        heatmap.layout()
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "hm-selection.data", "value": base}]))
        if case == "matrix":
            return (lambda: heatmap.draw_matrix(base, "region", "journey", 30, "matrix", 0, []),
                    aggregate("touchpoint, region"))
        drilled = [{"column": "region", "value": "Jižní Morava"}]
        return (lambda: heatmap.draw_matrix(base, "branch", "journey", 30, "matrix", 0, drilled),
                aggregate("touchpoint, branch"))
    if case == "break list":
        from cxweb.pages import heatmap

        heatmap.layout()
        return (lambda: heatmap.list_breaks(base, 30, 0.05, None, ["segment", "step", "target", "decline"]),
                aggregate("touchpoint, region, branch, date_trunc('month', ts)"))
    if case == "touchpoint detail":
        from cxweb.pages import heatmap

        heatmap.layout()
        return lambda: heatmap.show_detail(courier, base, 30), aggregate("date_trunc('month', ts)")
    if case == "leaderboard":
        from cxweb.pages import leaderboards

        from dash._callback_context import context_value
        from dash._utils import AttributeDict

        leaderboards.layout()
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "lb-level.value", "value": "employee"}]))
        return lambda: leaderboards.show_board(base, "employee", "own-courier", "score", 1), aggregate("employee")
    if case == "drivers with intervals":
        from cxweb.pages import drivers

        drivers.layout()
        return lambda: drivers.analyse(base, "nps", "csat", "lmg"), _least_squares(duck, path)
    if case == "comments":
        from cxweb.pages import comments

        comments.layout()
        sql = (f"SELECT touchpoint, count(comment) FROM read_parquet('{path}') WHERE ts >= DATE '{FROM}' "
               f"AND ts < DATE '{TO}' + 1 GROUP BY ALL")
        return lambda: comments.show_counts(base, "nps", "touchpoint", 0), lambda: duck.execute(sql).fetchall()
    if case == "alerts check":
        from cxweb.pages import alerts
        from workbench.features import alerts as features

        alerts.layout()
        return lambda: features.check(workspace, journey), aggregate("touchpoint, region, date_trunc('week', ts)")
    if case == "actions board":
        from cxweb.pages import actions

        actions.layout()
        return lambda: actions.draw_board(project, actions.ANY, actions.ANY, actions.ANY, actions.ANY, [], "", 0), None
    if case == "before/after check":
        from cxweb.pages import actions
        from workbench.analysis.verify import Windows
        from workbench.features import actions as features

        actions.layout()
        pilot = next(a for a in workspace.actions.list(project) if a.status == "done")
        state = {"version": pilot.version}

        def check() -> None:
            checked = features.check(workspace, pilot.id, Windows(8, 8), "Bench", expected_version=state["version"])
            state["version"] = checked.version

        regions = "', '".join(pilot.treated)
        sql = (f"SELECT region IN ('{regions}'), ts >= DATE '{pilot.done_on}', branch, count(csat), avg(csat), "
               f"var_samp(csat) FROM read_parquet('{path}') WHERE touchpoint = '{pilot.touchpoints[0]}' "
               f"AND ts >= DATE '{pilot.done_on}' - INTERVAL 56 DAY AND ts < DATE '{pilot.done_on}' + INTERVAL 56 DAY "
               "GROUP BY ALL")
        return check, lambda: duck.execute(sql).fetchall()
    if case in ("ROI evidence", "ROI result"):
        from cxweb.pages import roi as page
        from workbench.features import roi as scenarios

        page.layout()
        saved = workspace.scenarios.list(project)[0].scenario
        if case == "ROI evidence":
            return lambda: page._changes_table(scenarios.evidence(workspace, project, saved), {}, {}, "csat"), None
        found = scenarios.evidence(workspace, project, saved).to_dict()
        changes = dict(saved.assumptions.changes)
        ids = [{"type": "roi-change", "tp": key} for key in changes]
        form = (found, list(changes.values()), 0, None, "0,3", "2500000", 24, 8, "CZK", ids, "x", journey,
                saved.kpi_dataset, "revenue", "branch", "log", 0, "csat")
        return lambda: page.show(*form), None
    if case == "deck":
        from cxweb.pages import export
        from workbench.export import deck
        from workbench.features import export as findings

        export.layout()
        request = findings.Request(project_id=project, journey_id=journey)
        return lambda: deck.build(findings.gather(workspace, request)), None
    raise SystemExit(f"unknown case {case!r}")


def _branch_member(workspace, project: int, path: str):
    """The first branch of the survey and the access of a viewer scoped to it (added to the workspace once)."""
    import pyarrow.parquet as pq

    from workbench.core.access import Scope

    branch = min(pq.ParquetFile(path).read_row_group(0, columns=["branch"]).column(0).to_pylist())  # not all rows
    user = next((u for u in workspace.users.list() if u.name == "bench-branch"), None)
    if user is None:
        user = workspace.users.add("bench-branch", "bench password long", "Branch")
        workspace.users.grant("bench-branch", project, "viewer", Scope((("branch", (branch,)),)))
    [(_column, (scoped,))] = workspace.users.scopes(user.id)[project].segments  # as granted by an earlier run
    return scoped, workspace.users.access(user)


def _duckdb():
    try:
        import duckdb
    except ImportError:  # the reference is dropped in `child`
        return None
    return duckdb.connect()


def _least_squares(duck, path: str):
    """The reference of the drivers: read the respondents' ratings (DuckDB), pivot, one bare least-squares fit."""
    import numpy as np

    sql = (f"PIVOT (SELECT respondent_id, touchpoint, csat FROM read_parquet('{path}') WHERE ts >= DATE '{FROM}' "
           f"AND ts < DATE '{TO}' + 1 AND csat IS NOT NULL) ON touchpoint USING first(csat) GROUP BY respondent_id")
    outcome = (f"SELECT respondent_id, first(nps) FROM read_parquet('{path}') WHERE touchpoint = '_overall' "
               f"AND ts >= DATE '{FROM}' AND ts < DATE '{TO}' + 1 GROUP BY ALL")

    def fit() -> None:
        ratings = duck.execute(sql).df().set_index("respondent_id").astype(float)
        y = duck.execute(outcome).df().set_index("respondent_id").iloc[:, 0].astype(float)
        joined = ratings.join(y, how="inner").fillna(ratings.mean())
        x = np.column_stack([np.ones(len(joined)), joined.iloc[:, :-1].to_numpy(float)])
        np.linalg.lstsq(x, joined.iloc[:, -1].to_numpy(float), rcond=None)

    return fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1.5M", help="comma-separated: " + ", ".join(SIZES))
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per case")
    parser.add_argument("--warm", type=int, default=5, help="warm repeats per process")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "cxwb-scale")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--build", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.folder, args.child, args.warm)))
        return
    if args.build:
        if build(args.folder / args.build, SIZES[args.build]):
            (args.folder / args.build / "BUILT").touch()
        return
    print(f"this machine: a fresh process's first use of 256 MB: {_fresh_memory():.2f} s; each cold call runs after "
          "2 GB were used and freed (CXWB_BENCH_PRETOUCH=0: not), so it pays the page faults a laptop pays")
    for size in args.sizes.split(","):
        folder = args.folder / size
        # Built in a process of its own: a child forked from a parent holding the generated survey (11 GB at
        # 20 M) would report the parent's memory as its own peak.
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--build", size, "--folder", str(args.folder)], check=True)
        built = time.perf_counter() - started if (folder / "BUILT").exists() else 0.0
        (folder / "BUILT").unlink(missing_ok=True)
        if built:
            print(f"{size}: workspace built in {built:.0f} s")
        print(f"{size} answers; medians of {args.runs} fresh processes, warm = median of {args.warm} repeats")
        print(f"{'case':30s} {'cold s':>7s} {'warm ms':>8s} {'reference ms':>13s} {'warm/ref':>9s} {'peak MB':>8s}")
        for case in args.cases.split(","):
            results = [_run_child(folder, case, args.warm) for _ in range(args.runs)]
            if any(r is None for r in results):
                print(f"{case:30s} failed")
                continue
            cold, warm = (statistics.median(r[k] for r in results) for k in ("cold", "warm"))
            peak = max(r["peak_mb"] for r in results)
            refs = [r["reference"] for r in results if r["reference"] is not None]
            ref = statistics.median(refs) if refs else None
            ratio = f"{warm / ref:9.2f}" if ref else f"{'':9s}"
            ref_text = f"{ref * 1000:13.0f}" if ref else f"{'—':>13s}"
            print(f"{case:30s} {cold:7.2f} {warm * 1000:8.0f} {ref_text} {ratio} {peak:8.0f}", flush=True)


def _pretouch(megabytes: int = 2048) -> None:
    """Fill and free ``megabytes`` of memory in a process of its own: a virtual machine whose host backs the
    guest's memory lazily makes the first use of each page several times slower than a laptop does (see
    :func:`_fresh_memory`), which would count the host's bookkeeping in a cold call; the pages used here are backed
    when the next process uses them."""
    code = f"import numpy; numpy.ones({megabytes * 2**20 // 8}).sum()"
    subprocess.run([sys.executable, "-c", code], check=True)


def _fresh_memory() -> float:
    """Median seconds a fresh process takes to fill 256 MB it has just allocated: the page faults a cold call pays.
    On a virtual machine whose host hands memory over lazily this is many times a laptop's (0.02-0.05 s)."""
    code = ("import time, numpy; s = time.perf_counter(); numpy.full(32 * 2**20, 1.0); "
            "print(time.perf_counter() - s)")
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(3)]
    return statistics.median(runs)


def _run_child(folder: Path, case: str, warm: int) -> dict | None:
    if os.environ.get("CXWB_BENCH_PRETOUCH", "1") == "1":
        _pretouch()
    done = subprocess.run(
        [sys.executable, __file__, "--child", case, "--folder", str(folder), "--warm", str(warm)],
        capture_output=True, text=True, env={**os.environ, "CXWB_LANG": "en"},
    )
    if done.returncode:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
