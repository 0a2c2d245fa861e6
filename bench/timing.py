"""Helpers shared by the benchmarks: timing, and the app over a fresh demo workspace."""

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def parse_runs(description: str, default: int = 7) -> int:
    """The ``--runs K`` option every benchmark script takes (repeats per case)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=default)
    return parser.parse_args().runs


def median_seconds(action, runs: int = 15, after=None) -> float:
    """Median wall time of ``runs`` calls of ``action`` (``after``, untimed, follows each: what it left running)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
        if after is not None:
            after()
    return statistics.median(times)


def time_cases(cases, runs: int, width: int = 48) -> dict[str, float]:
    """Print each case's first call and its median over ``runs``; return the medians (seconds) by name."""
    medians = {}
    for name, call in cases:
        start = time.perf_counter()
        call()
        cold = time.perf_counter() - start
        medians[name] = median_seconds(call, runs)
        print(f"{name:{width}s} first {cold * 1000:7.0f} ms   median {medians[name] * 1000:6.0f} ms")
    return medians


def demo_app():
    """A fresh demo workspace, its project id and the Dash app over it (pages imported, callbacks registered)."""
    from cxweb.app import create_app
    from workbench.features.demo import seed_demo
    from workbench.features.workspace import open_workspace

    workspace = open_workspace(Path(tempfile.mkdtemp(prefix="cxwb-bench-")))
    project = seed_demo(workspace)
    return workspace, project, create_app(workspace)


def demo_selection(workspace, project: int):
    """The demo's first journey id, its survey dataset, and the filter bar's selection of the last 3 months (CSAT)."""
    journey = workspace.journeys(project)[0].id
    dataset = workspace.datasets.list(project, "survey")[0]
    base = {"project": project, "journey": journey, "dataset": dataset.id, "metric": "csat",
            "from": "2026-08-01", "to": "2026-10-31", "segments": []}
    return journey, dataset, base
