"""Benchmark: the heatmap query (touchpoint × month, one region, all metrics with SE) vs the same query in DuckDB.

Ours: workbench.data.query.aggregate (polars scan + metrics.estimate_frame), uncached, then the cached repeat.
Reference, in the same process: DuckDB computes the same sufficient statistics in SQL over read_parquet, and the
same estimate_frame turns them into estimates; both results must agree or the benchmark aborts.
Run: `.venv/bin/python bench/heatmap.py [--rows N] [--runs K]`; the last line is `ratio_vs_duckdb: X`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import diskcache
import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from timing import median_seconds  # noqa: E402

from workbench.core import metrics  # noqa: E402
from workbench.data import query

TOUCHPOINTS, MONTHS, REGIONS, BRANCHES, CHANNELS = 28, 24, 8, 50, 4
REGION = "region-3"


def make_file(path: Path, rows: int) -> None:
    """``rows`` answers in the survey contract, written like the importer (sorted by ts, 256 k-row groups)."""
    rng = np.random.default_rng(7)
    start = np.datetime64("2023-01-01T00:00:00", "s")
    seconds = np.sort(rng.integers(0, (np.datetime64("2025-01-01", "s") - start).astype(int), rows))

    def labels(prefix: str, count: int) -> pa.Array:
        names = pa.array([f"{prefix}-{i}" for i in range(count)])
        return names.take(pa.array(rng.integers(0, count, rows)))

    def scores(low: int, high: int, missing: float) -> pa.Array:
        return pa.array(rng.integers(low, high + 1, rows, dtype=np.int8), mask=rng.random(rows) < missing)

    table = pa.table({
        "response_id": pa.array(np.arange(rows)).cast(pa.string()),
        "ts": pa.array(start + seconds, pa.timestamp("s")),
        "touchpoint": labels("tp", TOUCHPOINTS),
        "nps": scores(0, 10, 0.1), "csat": scores(1, 5, 0.2), "ces": scores(1, 7, 0.3),
        "region": labels("region", REGIONS), "branch": labels("branch", BRANCHES),
        "channel": labels("channel", CHANNELS),
    })
    pq.write_table(table, path, row_group_size=256 * 1024)


def heatmap_query(path: Path) -> query.Query:
    return query.Query((str(path),), by=("touchpoint", "period"), period="month", filters=(("region", (REGION,)),))


def duckdb_heatmap(connection: duckdb.DuckDBPyConnection, path: Path) -> pd.DataFrame:
    """The same statistics in SQL, then the same estimates."""
    def scale(name: str, top: int) -> str:
        return (f"count({name}) AS {name}_n, coalesce(sum({name}), 0) AS {name}_sum, "
                f"coalesce(sum({name}::INTEGER * {name}), 0) AS {name}_sumsq, count_if({name} >= {top}) AS {name}_top")

    def cross(a: str, b: str) -> str:  # the index's cross-products over the rows that answered both
        score = {"nps": "100 * ((nps >= 9)::INTEGER - (nps <= 6)::INTEGER)", "csat": "csat::INTEGER",
                 "ces": "ces::INTEGER"}
        n, total_a, total_b, product = metrics.cross_columns(a, b)
        return (f"count_if({a} IS NOT NULL AND {b} IS NOT NULL) AS {n}, "
                f"coalesce(sum(CASE WHEN {b} IS NOT NULL THEN {score[a]} END), 0) AS {total_a}, "
                f"coalesce(sum(CASE WHEN {a} IS NOT NULL THEN {score[b]} END), 0) AS {total_b}, "
                f"coalesce(sum(({score[a]}) * ({score[b]})), 0) AS {product}")

    stats = connection.execute(f"""
        SELECT touchpoint, date_trunc('month', ts)::DATE AS period, count(*) AS answers, count(nps) AS nps_n,
               count_if(nps >= 9) AS promoters, count_if(nps BETWEEN 7 AND 8) AS passives,
               count_if(nps <= 6) AS detractors, {scale("csat", metrics.CSAT_TOP)}, {scale("ces", metrics.CES_TOP)},
               0 AS stars_n, 0 AS stars_sum, 0 AS stars_sumsq, 0 AS stars_top,  -- a survey without review stars
               {", ".join(cross(a, b) for a, b in metrics.CROSS_PAIRS)}
        FROM read_parquet(?) WHERE region IN (?) GROUP BY ALL ORDER BY touchpoint, period
    """, [str(path), REGION]).df()
    stats["period"] = stats["period"].dt.date
    return metrics.estimate_frame(stats)


def check_agreement(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Abort loudly unless both engines found the same groups, counts and estimates."""
    problems = []
    if list(ours.columns) != list(theirs.columns) or len(ours) != len(theirs):
        problems.append(f"shapes differ: {ours.shape} vs {theirs.shape}")
    else:
        for column in ours.columns:
            a, b = ours[column].to_numpy(), theirs[column].to_numpy()
            if a.dtype.kind == "f" or b.dtype.kind == "f":
                same = np.allclose(a.astype(float), b.astype(float), rtol=0, atol=1e-9, equal_nan=True)
            else:
                same = (a == b).all()
            if not same:
                problems.append(f"column {column} differs")
    if problems:
        sys.exit("HEATMAP RESULTS DISAGREE WITH DUCKDB: " + "; ".join(problems))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "survey.parquet"
        make_file(path, args.rows)
        heatmap = heatmap_query(path)
        connection = duckdb.connect()
        ours, theirs = query.aggregate(heatmap), duckdb_heatmap(connection, path)
        check_agreement(ours, theirs)
        mine = median_seconds(lambda: query.aggregate(heatmap), args.runs)
        reference = median_seconds(lambda: duckdb_heatmap(connection, path), args.runs)
        with diskcache.Cache(Path(folder) / "cache") as cache:
            query.aggregate(heatmap, cache)
            start = time.perf_counter()
            cached = query.aggregate(heatmap, cache)
            cached_ms = (time.perf_counter() - start) * 1000
            check_agreement(cached, ours)
        print(f"heatmap {args.rows:,} answers, {len(ours)} cells (touchpoint × month, 1 region, all metrics with SE)")
        print(f"ours (polars): {mine:6.3f} s   duckdb: {reference:6.3f} s   (median of {args.runs})")
        print(f"cached repeat: {cached_ms:6.1f} ms")
        print(f"ratio_vs_duckdb: {mine / reference:.2f}")


if __name__ == "__main__":
    main()
