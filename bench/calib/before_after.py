"""Before/after checks of actions: false verdicts and interval coverage of the difference in differences.

An action is done on 2026-03-01 at three touchpoints in some branches; the check compares 8 weeks before with
8 weeks after, treated branches against the others, through the workbench's own ``verify.verify`` on a Parquet
file of simulated answers (bench/calib/sim.py). With no planted effect every "improved" or "worse" is false and the
interval should cover 0; with a planted effect it should cover the effect's population value. About 400 answers a
week about the action's touchpoints, network-wide; the action reached 15 of 50 branches (segment ``branch``), or 3 of
8 in the few-clusters row. Branch effects are re-drawn monthly (``wobble``), so a branch's good and bad months are
noise the DiD must not mistake for the action. In the respondents' row every respondent rates all three of the
action's touchpoints, the file has no branch column and the pilot is half the regions: the clusters are respondents.
"""

from __future__ import annotations

import datetime
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from calib import sim
from calib.report import Row, share_row
from workbench.analysis import verify

AREA = "before/after"
DONE = datetime.date(2026, 3, 1)  # the simulation starts on 1 January: two months before, two after
ACTION = (0, 1, 2)  # the action's touchpoints


@dataclass(frozen=True)
class Case:
    """One simulated setting: the network, the treated branches (None: treated regions, clustered by respondent)."""

    claim: str
    network: sim.Network
    treated_branches: tuple[int, ...] | None = None
    shift: float = 0.0  # planted latent shift at the action's touchpoints in the treated units, from DONE
    metric: str = "csat"


def _network(**changes) -> sim.Network:
    # 6 touchpoints rated 1–6 at a time: 1.75 answers about the action's 3 per respondent, 1 000 respondents a month
    # give ~400 answers a week about the action's touchpoints.
    base = sim.Network(touchpoints=6, months=4, respondents_per_month=1000, icc=0.05, wobble=True)
    return replace(base, **changes)


TREATED = tuple(range(15))  # 15 of the 50 branches
CASES = {
    "icc05": Case("CSAT, ICC 0.05 monthly", _network(), TREATED),
    "icc05nps": Case("NPS, ICC 0.05 monthly", _network(), TREATED, metric="nps"),
    "icc02": Case("CSAT, ICC 0.02 monthly", _network(icc=0.02), TREATED),
    "icc0": Case("CSAT, ICC 0", _network(icc=0.0), TREATED),
    # Every respondent rates the action's three touchpoints; no branch column, so clusters are respondents.
    "respondent": Case(
        "respondents rate its 3 touchpoints", _network(touchpoints=3, rated=(3, 3), icc=0.0, respondents_per_month=580)
    ),
    "few": Case("8 branches (3 treated), ICC 0.05", _network(branches=8, regions=2), (0, 1, 2)),
    "power": Case("CSAT +0.15 SD planted, ICC 0.05", _network(), TREATED, shift=0.15),
}


def run(case: Case, seed: int, folder: Path) -> tuple[verify.Verification, float]:
    """One simulated survey checked by the workbench: its verification and the true effect (CSAT points)."""
    if case.treated_branches is None:
        regions = tuple(range(case.network.regions // 2))
        effects = tuple(sim.Effect(case.shift, touchpoint=t, region=r, from_month=2) for t in ACTION for r in regions)
    else:
        regions = ()
        effects = tuple(
            sim.Effect(case.shift, touchpoint=t, branch=b, from_month=2) for t in ACTION for b in case.treated_branches
        )
    network = replace(case.network, effects=effects if case.shift else ())
    answers = sim.simulate(network, seed)
    frame = pd.DataFrame(
        {
            "ts": answers["ts"].astype("datetime64[s]"),
            "response_id": answers["response_id"].astype(str),
            "respondent_id": answers["respondent_id"].astype(str),
            "touchpoint": answers["touchpoint"],
            "region": answers["region"],
            **({"branch": answers["branch"]} if case.treated_branches is not None else {}),
            case.metric: answers[case.metric],
        }
    )
    path = folder / f"s{seed}.parquet"
    frame.to_parquet(path, index=False)
    if case.treated_branches is None:
        segment, treated = "region", tuple(f"r{r}" for r in regions)
    else:
        segment, treated = "branch", tuple(f"b{b:02d}" for b in case.treated_branches)
    found = verify.verify(
        [str(path)], [f"t{t:02d}" for t in ACTION], DONE, metric=case.metric, segment=segment, treated=treated
    )
    path.unlink()
    return found, _truth(answers, case, segment, treated)


def _truth(answers: pd.DataFrame, case: Case, segment: str, treated: tuple[str, ...]) -> float:
    """The planted effect's population value: the metric's expected change over the treated answers after DONE."""
    shift = case.shift
    if not shift:
        return 0.0
    after = answers[(answers["ts"] >= pd.Timestamp(DONE)) & answers[segment].isin(treated)]
    after = after[after["touchpoint"].isin([f"t{t:02d}" for t in ACTION])]
    means = after["truth_mean"].round(9).value_counts()
    gain = [sim.expected(case.metric, m) - sim.expected(case.metric, m - shift) for m in means.index]
    return float(np.average(gain, weights=means.to_numpy()))


def measure(case: Case, runs: int, seed: int) -> tuple[int, int, int, int]:
    """False (or true) verdicts, interval hits and decided runs over ``runs`` replicates."""
    false = hits = decided = 0
    with tempfile.TemporaryDirectory() as folder:
        for i in range(runs):
            found, truth = run(case, seed + i, Path(folder))
            if found.effect is None:
                continue  # insufficient or no control: counted as neither a verdict nor an interval
            decided += 1
            false += found.verdict in ("improved", "worse") if not case.shift else found.verdict == "improved"
            hits += found.effect_low <= truth <= found.effect_high
    return false, hits, decided, runs


def rows(quick: bool, seed: int) -> list[Row]:
    """False verdicts and coverage at ICC 0.05, 0.02 and 0, with respondents' repeated answers, with few clusters,
    the power to find a planted effect, and the leaderboard's false trends."""
    full = {"icc05": 500, "icc05nps": 300, "icc02": 300, "icc0": 300, "respondent": 300, "few": 400, "power": 300}
    found = []
    for offset, (key, case) in enumerate(CASES.items()):
        runs = 16 if quick else full[key]
        verdicts, hits, decided, _ = measure(case, runs, seed + 1000 * offset)
        if case.shift:
            found.append(share_row(AREA, f"DiD power ('improved'), {case.claim}", verdicts, decided, 0, 100))
            found.append(
                share_row(AREA, f"DiD interval covers the planted effect, {case.claim}", hits, decided, 93, 100)
            )
        else:
            found.append(share_row(AREA, f"DiD false verdicts, {case.claim}", verdicts, decided, -np.inf, 6))
            found.append(share_row(AREA, f"DiD interval covers 0, {case.claim}", hits, decided, 93, 100))
    flagged, runs = board_runs(3 if quick else 200, seed + 99_000)
    found.append(share_row(AREA, "leaderboard: boards with a false ▲/▼, NPS, 50 branches", flagged, runs, -np.inf, 5))
    return found


def board_runs(runs: int, seed: int, metric: str = "nps") -> tuple[int, int]:
    """Leaderboards of the 50 branches over all touchpoints, this month against the last, nothing changed (branch
    effects fixed): boards showing any ▲/▼ (all false), through ``leaderboard.rank`` as the Leaderboards screen
    calls it (aggregated by branch and respondent)."""
    from workbench.analysis import leaderboard
    from workbench.data import query

    network = sim.Network(months=2, icc=0.05, wobble=False)
    flagged = 0
    with tempfile.TemporaryDirectory() as folder:
        for i in range(runs):
            answers = sim.simulate(network, seed + i)
            path = Path(folder) / f"b{seed + i}.parquet"
            frame = answers[["touchpoint", "branch", metric]].assign(
                ts=answers["ts"].astype("datetime64[s]"), respondent_id=answers["respondent_id"].astype(str)
            )
            frame.to_parquet(path, index=False)
            windows = [
                query.aggregate(
                    query.Query((str(path),), by=("branch", "respondent_id"), date_from=start, date_to=end)
                )
                for start, end in ((datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)),
                                   (datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)))
            ]  # fmt: skip
            board = leaderboard.rank(*windows, "branch", metric, cluster="respondent_id")
            flagged += bool((board["trend"] != "").any())
            path.unlink()
    return flagged, runs
