"""Benchmark: the actions kanban on a busy project and the before/after check on the demo data.

The page callbacks are called as the server calls them (inside the app's context); a move calls the actions
repository and the check the feature function (features.actions.check) the page's callbacks call. References run
in the same process: a bare sqlite3 read of the same cards and a bare UPDATE for a move, and DuckDB computing the
check's four window aggregates (treated/rest × before/after) from the same Parquet file.
Run: `.venv/bin/python bench/actions.py [--cards N] [--runs K]`; the last line is `slowest_ms: X`.
"""

from __future__ import annotations

import argparse
import datetime
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from timing import demo_app, median_seconds, time_cases  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    import duckdb

    from workbench.analysis.verify import Windows
    from workbench.features import actions as features
    from workbench.repos.actions import STATUSES, Draft

    workspace, project, app = demo_app()
    from cxweb.pages import actions as page

    journey = workspace.journey(workspace.journeys(project)[0].id).journey
    journey_id = workspace.journeys(project)[0].id
    keys = [tp.key for tp in journey.touchpoints]
    start = time.perf_counter()
    for i in range(args.cards):
        workspace.actions.create(project, Draft(f"Action {i}", touchpoints=(keys[i % len(keys)],), cost=1000 + i,
                                                due=datetime.date.today() + datetime.timedelta(days=i % 90 - 30)),
                                 "Bench", journey_id=journey_id, status=STATUSES[i % 4])
    created = (time.perf_counter() - start) / args.cards
    cards = workspace.actions.list(project)
    print(f"{len(cards)} cards in one project (created in {created * 1000:.1f} ms each); runs per case: {args.runs}")

    pilot = next(a for a in cards if a.title.startswith("Pilot"))
    moving = cards[len(cards) // 2]
    state = {"version": moving.version, "status": 0}

    def move() -> None:
        state["status"] = (state["status"] + 1) % 3
        moved = workspace.actions.move(moving.id, STATUSES[state["status"]], 0, "Bench",
                                       expected_version=state["version"])
        state["version"] = moved.version

    check_version = {"version": pilot.version}

    def check() -> None:
        checked = features.check(workspace, pilot.id, Windows(8, 8), "Bench", expected_version=check_version["version"])
        check_version["version"] = checked.version

    cases = [
        ("board: all cards", lambda: page.draw_board(project, page.ANY, page.ANY, page.ANY, page.ANY, [], "", 0)),
        ("board: overdue filter", lambda: page.draw_board(project, page.ANY, page.ANY, page.ANY, page.ANY,
                                                          ["overdue"], "", 0)),
        ("open a card (form + history)", lambda: page.show_card({"id": pilot.id}, project)),
        ("move a card (renumber both columns)", move),
        ("before/after check (8 + 8 weeks, DiD)", check),
    ]
    with app.server.app_context():
        timings = time_cases(cases, args.runs)
    slowest = max(timings.values())

    database = sqlite3.connect(workspace.folder / "workbench.db")
    read = median_seconds(lambda: database.execute("SELECT * FROM actions WHERE project_id = ? "
                                                   "ORDER BY position, id", (project,)).fetchall(), args.runs)

    def bare_update() -> None:
        database.execute("UPDATE actions SET position = position WHERE project_id = ? AND status = 'planned'",
                         (project,))
        database.commit()

    update = median_seconds(bare_update, args.runs)
    survey = workspace.datasets.survey_for(project, journey_id)
    effects_from = pilot.done_on
    regions = "', '".join(pilot.treated)
    sql = (f"SELECT region IN ('{regions}') AS treated, ts >= DATE '{effects_from}' AS after, count(csat), "
           f"avg(csat), var_samp(csat) FROM read_parquet('{survey.path}') WHERE touchpoint = '{pilot.touchpoints[0]}' "
           f"AND ts >= DATE '{effects_from}' - INTERVAL 56 DAY AND ts < DATE '{effects_from}' + INTERVAL 56 DAY "
           "GROUP BY ALL")
    connection = duckdb.connect()
    windows = median_seconds(lambda: connection.execute(sql).fetchall(), args.runs)
    print(f"reference: sqlite3 read of the cards {read * 1000:.1f} ms; board callback / read = "
          f"{timings['board: all cards'] / read:.0f}")
    print(f"reference: sqlite3 bare UPDATE + commit {update * 1000:.1f} ms; move / bare update = "
          f"{timings['move a card (renumber both columns)'] / update:.1f}")
    print(f"reference: DuckDB four window aggregates {windows * 1000:.1f} ms; check / DuckDB = "
          f"{timings['before/after check (8 + 8 weeks, DiD)'] / windows:.1f}")
    workspace.close()
    print(f"slowest_ms: {slowest * 1000:.0f}")


if __name__ == "__main__":
    main()
