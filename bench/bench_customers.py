"""Benchmark of the customer view (issue 25) on the demo (200 000 answers), with a reference engine in the process.

Prints the first call and the median of several runs of:
- features.customers.card for the customer with the most answers (answers, KPI rows, alerts, cards), read as an
  administrator and as a member scoped to the customer's branch; issue 25's budget is 300 ms warm;
- features.customers.search for an id prefix and for a text that matches nothing;
- the reference: a bare polars filter of the same Parquet file on the respondent id, the columns the card shows.

Run: `.venv/bin/python bench/bench_customers.py [--runs K]`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import parse_runs, time_cases  # noqa: E402

from workbench.core import access  # noqa: E402
from workbench.core.access import Scope  # noqa: E402
from workbench.features import customers  # noqa: E402
from workbench.features.demo import seed_demo  # noqa: E402
from workbench.features.workspace import open_workspace  # noqa: E402


def main() -> None:
    import polars as pl

    runs = parse_runs(__doc__.splitlines()[0])
    workspace = open_workspace(Path(tempfile.mkdtemp(prefix="cxwb-bench-customers-")))
    project = seed_demo(workspace)
    [path] = [str(d.path) for d in workspace.datasets.list(project, "survey") if d.meta.get("source") != "reviews"]
    answers = pl.read_parquet(path, columns=["respondent_id", "branch"])
    most = answers.group_by("respondent_id").len().sort("len", descending=True).row(0)
    customer, count = most
    branch = answers.filter(pl.col("respondent_id") == customer)["branch"][0]
    print(f"demo: {len(answers):,} answers; customer {customer} with {count} answers, branch {branch}")
    shown = ["response_id", "respondent_id", "ts", "touchpoint", "nps", "csat", "ces", "comment", "region", "branch",
             "channel", "employee", "customer_type"]  # fmt: skip

    def reference():
        return pl.scan_parquet(path).filter(pl.col("respondent_id") == customer).select(shown).sort("ts").collect()

    workspace.users.add("member", "correct horse battery")
    workspace.users.grant("member", project, "viewer", Scope((("branch", (branch,)),)))
    [member] = [u for u in workspace.users.list() if u.name == "member"]
    scoped = workspace.users.access(member)

    def scoped_card():
        with access.acting(scoped):
            return customers.card(workspace, project, customer)

    medians = time_cases(
        [
            ("reference: bare polars filter on the id", reference),
            ("customers.card (administrator)", lambda: customers.card(workspace, project, customer)),
            ("customers.card (scoped to the branch)", scoped_card),
            ("customers.search 'C0001'", lambda: customers.search(workspace, project, "C0001")),
            ("customers.search (no match)", lambda: customers.search(workspace, project, "zzz-nobody")),
        ],
        runs,
    )
    card = medians["customers.card (administrator)"]
    print(f"card / reference: {card / medians['reference: bare polars filter on the id']:.1f}×; budget 300 ms warm")
    workspace.close()


if __name__ == "__main__":
    main()
