"""Benchmark: the Drivers, Comments and Alerts callbacks on the demo data, first (cold) call and repeats.

The page callbacks are called as the server calls them (inside the app's context, over a demo workspace with its
cache); "check now" calls the feature function the Alerts page's button calls (features.alerts.check). The
reference, run in the same process, is DuckDB reading the same answers the analyses start from (the last 3 months'
respondent ratings, or the comments) out of the same Parquet file.
Run: `.venv/bin/python bench/why_callbacks.py [--runs K]`; the last line is `slowest_repeated_ms: X`.
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
    from cxweb.pages import alerts, comments, drivers
    from workbench.features import alerts as alert_features

    journey, dataset, base = demo_selection(workspace, project)
    everything = {**base, "from": None, "to": None}
    cases = [
        ("drivers: LMG, last 3 months", lambda: drivers.analyse(base, "nps", "csat", "lmg")),
        ("drivers: Johnson, promoter, all data", lambda: drivers.analyse(everything, "promoter", "csat", "johnson")),
        ("comments: counts by score and touchpoint", lambda: comments.show_counts(base, "nps", "touchpoint", 0)),
        ("comments: counts by region", lambda: comments.show_counts(base, "nps", "region", 0)),
        ("comments: browser, one theme", lambda: comments.browse(base, "nps", "__any__", "delay", "negative", 0)),
        ("alerts: open inbox", lambda: alerts.show_inbox(project, str(journey), "open", "__any__", 0)),
        ("alerts: check now (nothing new)", lambda: alert_features.check(workspace, journey)),
    ]
    print(f"demo: {dataset.rows:,} answers; runs per case: {runs}")
    with app.server.app_context():
        medians = time_cases(cases, runs)
        path = str(dataset.path)
        connection = duckdb.connect()
        sql = (f"SELECT respondent_id, touchpoint, nps, csat FROM read_parquet('{path}') "
               "WHERE ts >= '2026-08-01' AND ts < '2026-11-01'")
        reference = median_seconds(lambda: connection.execute(sql).fetchall(), runs)
        print(f"reference: DuckDB reading the 3 months' ratings {reference * 1000:.0f} ms; "
              f"repeated LMG callback / DuckDB = {medians[cases[0][0]] / reference:.2f}")
    workspace.close()
    print(f"slowest_repeated_ms: {max(medians.values()) * 1000:.0f}")


if __name__ == "__main__":
    main()
