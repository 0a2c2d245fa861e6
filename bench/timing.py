"""Timing helper shared by the benchmarks."""

import statistics
import time


def median_seconds(action, runs: int = 15) -> float:
    """Median wall time of ``runs`` calls of ``action``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
