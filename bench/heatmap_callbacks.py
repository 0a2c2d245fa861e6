"""Benchmark: the heatmap and leaderboard callbacks on the demo data, first (cold) call and cached repeats.

The page callbacks are called as the server calls them (inside the app's context, over a demo workspace with the
query cache), so the figures are the server's answer time without the browser's drawing. The reference, run in
the same process, is DuckDB computing the map's touchpoint aggregate from the same Parquet file.
Run: `.venv/bin/python bench/heatmap_callbacks.py [--runs K]`; the last line is `slowest_cached_ms: X`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from timing import demo_app, demo_selection, median_seconds, parse_runs, time_cases  # noqa: E402


def main() -> None:
    runs = parse_runs(__doc__.splitlines()[0])

    import duckdb

    workspace, project, app = demo_app()
    from cxweb.pages import heatmap, leaderboards

    journey, dataset, base = demo_selection(workspace, project)
    region = {**base, "segments": ["region\u241fJižní Morava"]}
    nps = {**base, "metric": "nps"}
    drilled = [{"column": "region", "value": "Jižní Morava"}]
    courier = {"key": "own-courier", "column": "region", "segment": "Jižní Morava"}
    cases = [
        ("map: default view", lambda: heatmap.draw_map(base, "none", None, 30, [], "compact")),
        ("map: metric NPS", lambda: heatmap.draw_map(nps, "none", None, 30, [], "compact")),
        ("map: region filter + previous period", lambda: heatmap.draw_map(region, "previous", None, 30, [], "compact")),
        ("break list (CSAT)", lambda: heatmap.list_breaks(base, 30, 0.05, None, ["segment", "step", "target", "decline"])),
        ("break list (NPS)", lambda: heatmap.list_breaks(nps, 30, 0.05, None, ["segment", "step", "target", "decline"])),
        ("touchpoint detail (trend, answers, comments)", lambda: heatmap.show_detail(courier, base, 30)),
        ("segment breakdown", lambda: heatmap.show_breakdown("region", courier, base, 30)),
        ("matrix: regions", lambda: heatmap.draw_matrix(base, "region", "journey", 30, "matrix", 0, [])),
        ("matrix: drill to branches", lambda: heatmap.draw_matrix(base, "branch", "journey", 30, "matrix", 0, drilled)),
        ("leaderboard: employees at own courier",
         lambda: leaderboards.show_board(base, "employee", "own-courier", "score")),
    ]
    print(f"demo: {dataset.rows:,} answers; runs per case: {runs}")
    # The matrix callback asks what triggered it: call it as a change of the selection would.
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "hm-selection.data", "value": base}]))
    with app.server.app_context():
        slowest = max(time_cases(cases, runs).values())  # repeats are served from the query cache
        path = str(dataset.path)
        connection = duckdb.connect()
        sql = (f"SELECT touchpoint, count(*), count(csat), sum(csat), sum(csat*csat) FROM read_parquet('{path}') "
               "WHERE ts >= '2026-08-01' AND ts < '2026-11-01' GROUP BY touchpoint")
        reference = median_seconds(lambda: connection.execute(sql).fetchall(), runs)
        ours = median_seconds(cases[0][1], runs)
        print(f"reference: DuckDB touchpoint aggregate {reference * 1000:.0f} ms; "
              f"cached map callback / DuckDB = {ours / reference:.2f}")
    workspace.close()
    print(f"slowest_cached_ms: {slowest * 1000:.0f}")


if __name__ == "__main__":
    main()
