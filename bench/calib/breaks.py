"""Breaks: the break list's error rates on simulated networks, through the real ``breaks.find`` on Parquet files.

The network is bench/calib/sim.py's (20 touchpoints in a line, 50 branches in 8 regions, ~8 000 answers a month),
written as a survey file the query engine reads (ts, response_id, respondent_id, touchpoint, region, branch, the
three scales); the list is searched in the app's default view, the last three months, with the period before for
declines. Touchpoints share one level (``touchpoint_spread`` 0) so that under the global null every test of the list
is null: steps, declines and segments alike.

Rows: the family-wise error rate of the list under the global null (share of runs listing any break) for NPS and
CSAT, without and with branch effects re-drawn monthly (ICC 0.05); with planted breaks the false share of the list
(false / listed, averaged over runs: the FDR the list states) and the power for the planted ones; dating: the share
of false breaks that carry a date — few false breaks are listed, so the rule is also run on the many false breaks of
lists searched as if every answer were independent (``BreakSettings(clustered=False)``) under branch effects — and
the planted region break dated to within a month of its start.

A listed break is *true* when the latent means (the simulation's truth, branch effects left out as noise) of its two
sides differ in the direction reported.
"""

from __future__ import annotations

import datetime
import math
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from calib import sim
from calib.report import Row, share_row
from workbench.analysis import breaks
from workbench.core.journey import Edge, Journey, Stage, Touchpoint

AREA = "breaks"
WINDOW = 3  # months: the heatmap's default view
PLANTED_REGION, PLANTED_REGION_TP = 2, 4  # region 2 at touchpoint 4, from the middle of the year (dated)
PLANTED_BRANCH_TP = 12  # the largest branch at touchpoint 12, over the year
PLANTED_STEP_TP = 15  # touchpoint 15 lower everywhere in the window (a step and a decline)


def journey(touchpoints: int) -> Journey:
    """Touchpoints t00 … t19 in one line, no targets."""
    keys = [f"t{i:02d}" for i in range(touchpoints)]
    return Journey(
        name="Network",
        stages=(Stage("s", "S"),),
        touchpoints=tuple(Touchpoint(k, k, "s") for k in keys),
        edges=tuple(Edge(a, b) for a, b in zip(keys, keys[1:], strict=False)),
    )


def planted(network: sim.Network, seed: int) -> tuple[sim.Effect, ...]:
    """A region break from the middle of the year (to be dated), the largest branch worse over the whole year, a
    touchpoint falling everywhere in the window; about −50, −60 and −20 NPS points (CSAT −0.8, −1.0, −0.3)."""
    largest = int(np.argmax(np.random.default_rng(seed).lognormal(0.0, 0.5, network.branches)))  # sim's first draw
    return (
        sim.Effect(-0.8, touchpoint=PLANTED_REGION_TP, region=PLANTED_REGION, from_month=network.months // 2),
        sim.Effect(-1.0, touchpoint=PLANTED_BRANCH_TP, branch=largest),
        sim.Effect(-0.3, touchpoint=PLANTED_STEP_TP, from_month=network.months - WINDOW),
    )


def write(frame: pd.DataFrame, path: Path) -> str:
    """The simulated answers as a survey file in the answer contract."""
    table = pa.table(
        {
            "ts": pa.array(frame["ts"].to_numpy().astype("datetime64[s]"), pa.timestamp("s")),
            "response_id": pa.array(frame["response_id"].astype(str), pa.string()),
            "respondent_id": pa.array(frame["respondent_id"].astype(str), pa.string()),
            "touchpoint": pa.array(frame["touchpoint"], pa.string()),
            "region": pa.array(frame["region"], pa.string()),
            "branch": pa.array(frame["branch"], pa.string()),
            **{m: pa.array(frame[m].to_numpy(), pa.int8()) for m in ("nps", "csat", "ces")},
        }
    )
    pq.write_table(table, path)
    return str(path)


def month_start(network: sim.Network, month: int) -> datetime.date:
    index = network.start.year * 12 + network.start.month - 1 + month
    return datetime.date(index // 12, index % 12 + 1, 1)


def window(network: sim.Network) -> tuple[datetime.date, datetime.date]:
    """The last ``WINDOW`` months."""
    return month_start(network, network.months - WINDOW), month_start(network, network.months) - datetime.timedelta(1)


def is_true(item: breaks.Break, frame: pd.DataFrame, network: sim.Network) -> bool:
    """The break's two sides differ in the latent truth the way it says (worse)."""
    start, end = window(network)
    ts = frame["ts"].dt.date
    inside = (ts >= start) & (ts <= end)
    at = frame["touchpoint"] == item.touchpoint
    truth = frame["truth_mean"]
    if item.kind == "segment":
        mine = inside & at & (frame[item.column].astype(str) == item.segment)
        rest = inside & at & ~(frame[item.column].astype(str) == item.segment)
        return truth[mine].mean() < truth[rest].mean() - 1e-9
    if item.kind == "step":
        source = inside & (frame["touchpoint"] == item.source)
        return truth[inside & at].mean() < truth[source].mean() - 1e-9
    if item.kind == "decline":
        before_start = month_start(network, network.months - 2 * WINDOW)
        before = (ts >= before_start) & (ts < start) & at
        return truth[inside & at].mean() < truth[before].mean() - 1e-9
    return False  # no targets in this journey


def search(
    network: sim.Network, seed: int, folder: Path, stress: bool = False
) -> tuple[dict[str, list[breaks.Break]], pd.DataFrame]:
    """Simulate and write one network, search its NPS and CSAT breaks in the default view; the lists and answers.

    ``stress`` adds the lists searched as if every answer were independent ("nps!", "csat!"), which under branch
    effects holds many false breaks: the dating rule is then tested on plenty of them.
    """
    frame = sim.simulate(network, seed)
    path = write(frame, folder / f"survey-{seed}.parquet")
    start, end = window(network)
    settings = [("", breaks.BreakSettings())] + ([("!", breaks.BreakSettings(clustered=False))] if stress else [])
    found = {
        metric + mark: breaks.find(
            journey(network.touchpoints), [path], metric, date_from=start, date_to=end, settings=chosen
        )
        for mark, chosen in settings
        for metric in ("nps", "csat")
    }
    Path(path).unlink()
    return found, frame


def planted_hits(found: list[breaks.Break], network: sim.Network) -> dict[str, bool | None]:
    """Which planted breaks the list holds; for the region break, whether it is dated within a month of its start."""
    branch_effect = next(e for e in network.effects if e.branch is not None)
    branch = f"b{branch_effect.branch:02d}"
    at_region, at_branch = f"t{PLANTED_REGION_TP:02d}", f"t{PLANTED_BRANCH_TP:02d}"
    region = [
        b
        for b in found
        if (b.kind, b.touchpoint, b.column, b.segment) == ("segment", at_region, "region", f"r{PLANTED_REGION}")
    ]
    # a branch folded into its region's break counts as found
    branches = [
        b for b in found if b.touchpoint == at_branch and (b.segment == branch or f"branch {branch}" in b.within)
    ]
    step = [b for b in found if b.touchpoint == f"t{PLANTED_STEP_TP:02d}" and b.kind in ("step", "decline")]
    dated = None
    if region:
        since, start = region[0].since, month_start(network, network.months // 2)
        dated = since is not None and abs((since.year - start.year) * 12 + since.month - start.month) <= 1
    return {"region": bool(region), "branch": bool(branches), "step": bool(step), "dated": dated}


def rows(quick: bool, seed: int) -> list[Row]:
    """The break list's FWER under the null, its false share and power with planted breaks, its dating."""
    # quick: 16 touchpoints over six months, fewer answers; two null runs a row (one chance false break must not
    # fail the test suite: 50 % ± 35)
    if quick:
        base = sim.Network(touchpoints=16, months=6, respondents_per_month=1000, touchpoint_spread=0.0)
    else:
        base = sim.Network(touchpoint_spread=0.0)
    null_runs, planted_runs, stress_runs = (2, 2, 0) if quick else (60, 40, 40)
    out: list[Row] = []
    false_dated = false_total = stressed = stressed_dated = 0
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        for icc in (0.0, 0.05):
            network = replace(base, icc=icc, wobble=True)
            listed = {"nps": 0, "csat": 0}
            for r in range(null_runs):
                stress = icc > 0 and r < stress_runs
                found, _ = search(network, seed + 1000 * r + round(icc * 100), folder, stress)
                for key, items in found.items():
                    if key.endswith("!"):  # the independent-answers lists: every break false
                        stressed += len(items)
                        stressed_dated += sum(b.since is not None for b in items)
                        continue
                    listed[key] += bool(items)
                    false_total += len(items)
                    false_dated += sum(b.since is not None for b in items)
            for metric in ("nps", "csat"):
                out.append(
                    share_row(AREA, f"{metric.upper()} list FWER, global null, ICC {icc:g}", listed[metric],
                              null_runs, -math.inf, 5.0)
                )  # fmt: skip
        shares: dict[str, list[float]] = {"nps": [], "csat": []}
        hits = {(m, k): 0 for m in ("nps", "csat") for k in ("region", "branch", "step", "dated", "found")}
        for r in range(planted_runs):
            run_seed = seed + 500_000 + 1000 * r
            network = replace(base, icc=0.05, wobble=True, effects=planted(base, run_seed))
            found, frame = search(network, run_seed, folder)
            for metric, items in found.items():
                false = [b for b in items if not is_true(b, frame, network)]
                shares[metric].append(len(false) / len(items) if items else 0.0)
                false_total += len(false)
                false_dated += sum(b.since is not None for b in false)
                found_planted = planted_hits(items, network)
                for key in ("region", "branch", "step"):
                    hits[(metric, key)] += bool(found_planted[key])
                if found_planted["dated"] is not None:
                    hits[(metric, "found")] += 1
                    hits[(metric, "dated")] += bool(found_planted["dated"])
        for metric in ("nps", "csat"):
            name, fdp = metric.upper(), shares[metric]
            mc = float(np.std(fdp, ddof=1) / math.sqrt(len(fdp)))
            out.append(
                Row(AREA, f"{name} list false share (FDR), planted breaks, ICC 0.05", 100 * float(np.mean(fdp)),
                    100 * mc, -math.inf, 5.0, "%", planted_runs)
            )  # fmt: skip
            for key, label in (("region", "region −0.8 SD"), ("branch", "largest branch −1 SD"),
                               ("step", "touchpoint −0.3 SD")):  # fmt: skip
                out.append(share_row(AREA, f"{name} power, planted {label}", hits[(metric, key)], planted_runs,
                                     -math.inf, 100.0))  # fmt: skip
            out.append(
                share_row(AREA, f"{name} planted region break dated within a month", hits[(metric, "dated")],
                          hits[(metric, "found")], -math.inf, 100.0)
            )  # fmt: skip
    claim = "false breaks dated (all runs, NPS and CSAT)"
    if false_total:
        out.append(share_row(AREA, claim, false_dated, false_total, -math.inf, 10.0))
    else:  # no false break listed at all: none was dated
        out.append(Row(AREA, claim, 0.0, 0.0, -math.inf, 10.0, "%", 0))
    claim = "false breaks dated, lists as if answers independent, ICC 0.05"
    out.append(
        share_row(AREA, claim, stressed_dated, stressed, -math.inf, 10.0)
        if stressed
        else Row(AREA, claim, 0.0, 0.0, -math.inf, 10.0, "%", 0)
    )
    return out
