"""Breaks: planted effects in seeded synthetic survey files are found, dated, folded and worded; a null world is quiet.

CSAT answers are drawn with numpy's seeded generator from fixed distributions (BASE has mean 4.0, LOW 3.2), so each
planted effect has a known size; where a number is checked exactly, it is recomputed by hand from the answers written.
"""

import datetime as dt
import itertools
import math
from statistics import NormalDist

import diskcache
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import t as student

from workbench.analysis import breaks
from workbench.analysis.breaks import BreakSettings
from workbench.core import formatting, metrics
from workbench.core.journey import Edge, Journey, Stage, Touchpoint

BASE = (0.05, 0.05, 0.15, 0.35, 0.40)  # P(1) … P(5): mean 4.0
LOW = (0.10, 0.20, 0.25, 0.30, 0.15)  # mean 3.2: 0.8 lower
SLIGHTLY_LOW = (0.05, 0.05, 0.20, 0.40, 0.30)  # mean 3.85: 0.15 lower
LOWER_BY_04 = (0.05, 0.10, 0.30, 0.30, 0.25)  # mean 3.6
SCORES = np.arange(1, 6)
Z95 = NormalDist().inv_cdf(0.975)


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("CXWB_LANG", "en")


def month(i: int) -> dt.date:
    """The first day of the i-th month from January 2025."""
    return dt.date(2025 + i // 12, i % 12 + 1, 1)


class Survey:
    """Answers collected cell by cell, then written as one Parquet file in the survey contract."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.columns: dict[str, list] = {"ts": [], "touchpoint": [], "csat": []}

    def add(self, touchpoint: str, month_index: int, n: int, probabilities=BASE, **segments) -> None:
        start = dt.datetime.combine(month(month_index), dt.time(8))
        days, hours = self.rng.integers(0, 28, n), self.rng.integers(0, 12, n)
        self.columns["ts"] += [start + dt.timedelta(days=int(d), hours=int(h)) for d, h in zip(days, hours)]
        self.columns["touchpoint"] += [touchpoint] * n
        self.columns["csat"] += self.rng.choice(SCORES, n, p=probabilities).tolist()
        for name in segments:  # a segment column new in this cell is empty for the rows before
            self.columns.setdefault(name, [None] * (len(self.columns["ts"]) - n))
        for name in self.columns:
            if name not in ("ts", "touchpoint", "csat"):
                self.columns[name] += [segments.get(name)] * n

    def write(self, path) -> str:
        rows = len(self.columns["ts"])
        types = {"ts": pa.timestamp("s"), "csat": pa.int8()}
        table = {"response_id": [f"r{i}" for i in range(rows)], **self.columns}
        pq.write_table(pa.table({name: pa.array(values, types.get(name, pa.string()))
                                 for name, values in table.items()}), path)
        return str(path)

    def answers(self, touchpoint: str, start: dt.date | None = None, end: dt.date | None = None, **segments):
        """The CSAT answers written for one touchpoint (and segment), optionally within [start, end)."""
        picked = []
        for i, ts in enumerate(self.columns["ts"]):
            if self.columns["touchpoint"][i] != touchpoint:
                continue
            if start is not None and ts.date() < start or end is not None and ts.date() >= end:
                continue
            if all(self.columns[name][i] == value for name, value in segments.items()):
                picked.append(self.columns["csat"][i])
        return np.array(picked, dtype=float)


def se_of(answers) -> float:
    return float(np.std(answers, ddof=1) / math.sqrt(len(answers)))


def bell_mccaffrey_df(a, b) -> float:
    """Bell–McCaffrey degrees of freedom of mean(a) − mean(b) for independent answers: Welch–Satterthwaite's formula
    under the working model of one variance for both (so it depends on the sizes only)."""
    na, nb = len(a), len(b)
    return (1 / na + 1 / nb) ** 2 / (1 / (na**2 * (na - 1)) + 1 / (nb**2 * (nb - 1)))


def line(*keys: str, targets=None) -> Journey:
    """Touchpoints in one stage, each leading to the next; names are the keys capitalised."""
    targets = targets or {}
    return Journey(name="Line", stages=(Stage("s", "S"),),
                   touchpoints=tuple(Touchpoint(k, k.capitalize(), "s", targets=targets.get(k, {})) for k in keys),
                   edges=tuple(Edge(a, b) for a, b in itertools.pairwise(keys)))


def only(found, kind: str):
    return [b for b in found if b.kind == kind]


# ------------------------------------------------------------------ small helpers


def test_rated_steps_pass_over_decisions_and_ignore_loops_back(small_journey):
    # web → cart (decision) → delivery; delivery → cart goes back to an earlier stage
    assert breaks.rated_steps(small_journey, {"web", "delivery"}) == [("web", "delivery")]
    assert breaks.rated_steps(small_journey, {"web", "cart", "delivery"}) == [("web", "cart"), ("cart", "delivery")]
    assert breaks.rated_steps(small_journey, {"web", "abandon", "delivery"}) == [
        ("web", "abandon"), ("web", "delivery")]
    assert breaks.rated_steps(small_journey, {"delivery"}) == []
    assert breaks.rated_steps(small_journey, set()) == []


def test_rated_steps_through_a_chain_of_unrated_nodes():
    journey = Journey(
        name="Loop", stages=(Stage("one", "One"), Stage("two", "Two")),
        touchpoints=(Touchpoint("a", "A", "one"), Touchpoint("d1", "D1", "one", kind="decision"),
                     Touchpoint("d2", "D2", "two", kind="decision"), Touchpoint("b", "B", "two"),
                     Touchpoint("c", "C", "two")),
        edges=(Edge("a", "d1"), Edge("d1", "d2"), Edge("d2", "b"), Edge("b", "c"), Edge("c", "d1"),
               Edge("c", "a")))
    assert breaks.rated_steps(journey, {"a", "b", "c"}) == [("a", "b"), ("b", "c")]


def test_previous_window_has_the_same_length_and_ends_the_day_before():
    assert breaks.previous_window(dt.date(2025, 4, 1), dt.date(2025, 6, 30)) == (
        dt.date(2024, 12, 31), dt.date(2025, 3, 31))  # 91 days each
    assert breaks.previous_window(dt.date(2024, 3, 1), dt.date(2024, 3, 31)) == (
        dt.date(2024, 1, 30), dt.date(2024, 2, 29))  # 31 days back over a leap February
    assert breaks.previous_window(dt.date(2025, 1, 1), dt.date(2025, 1, 1)) == (
        dt.date(2024, 12, 31), dt.date(2024, 12, 31))


def test_format_p_count_and_month():
    assert formatting.p_value(0.0004) == "q < 0.001"
    assert formatting.p_value(0.001) == "q = 0.001"
    assert formatting.p_value(0.0123) == "q = 0.012"
    assert formatting.p_value(0.5) == "q = 0.500"
    assert formatting.count(4210) == "4\u00a0210"
    assert formatting.count(1234567) == "1\u00a0234\u00a0567"
    assert formatting.count(999) == "999"
    assert formatting.month(dt.date(2025, 3, 1)) == "March 2025"
    assert formatting.month(dt.date(2026, 12, 31)) == "December 2026"
    assert formatting.month(dt.date(2024, 1, 15)) == "January 2024"


def test_an_unknown_metric_is_refused(tmp_path):
    survey = Survey(0)
    survey.add("a", 0, 5)
    with pytest.raises(ValueError, match="Unknown metric 'rating'"):
        breaks.find(line("a"), [survey.write(tmp_path / "s.parquet")], "rating")


# ------------------------------------------------------------------ segment breaks


def planted_survey() -> Survey:
    """Three touchpoints × four regions × six months (Jan–Jun 2025), 60 answers a cell; region S at b is LOW
    from March on."""
    survey = Survey(1)
    for m in range(6):
        for touchpoint in "abc":
            for region in "NSEW":
                bad = touchpoint == "b" and region == "S" and m >= 2
                survey.add(touchpoint, m, 60, LOW if bad else BASE, region=region)
    return survey


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    survey = planted_survey()
    return survey, survey.write(tmp_path_factory.mktemp("planted") / "s.parquet")


def test_a_planted_segment_break_is_found_dated_and_worded(planted):
    survey, path = planted
    found = breaks.find(line("a", "b", "c"), [path], "csat")
    assert len(found) == 1  # b's overall fall (0.8 · 240/1440 ≈ 0.13) is below min_delta: no step break
    top = found[0]
    assert (top.kind, top.metric, top.touchpoint, top.column, top.segment) == ("segment", "csat", "b", "region", "S")
    assert top.since == dt.date(2025, 3, 1)
    # Re-measured since March: S's 4 · 60 answers against the other regions' since March
    since = survey.answers("b", start=dt.date(2025, 3, 1), region="S")
    rest = np.concatenate([survey.answers("b", start=dt.date(2025, 3, 1), region=r) for r in "NEW"])
    assert top.n == len(since) == 240
    assert top.value == pytest.approx(since.mean()) and top.reference == pytest.approx(rest.mean())
    assert top.delta == pytest.approx(since.mean() - rest.mean())
    # Welch's t-test (independent answers: no branch column), its 95 % interval whatever the FDR
    se, df = math.hypot(se_of(since), se_of(rest)), bell_mccaffrey_df(since, rest)
    assert (top.high - top.low) / 2 == pytest.approx(student.ppf(0.975, df) * se)
    assert top.confidence == 0.95 and top.clustering == "" and top.design_effect is None
    assert abs(top.delta + 0.8) < 3 * se
    assert top.p_value == pytest.approx(2 * student.sf(abs(top.delta) / se, df), rel=1e-6)
    assert top.q_value < 0.05
    assert top.severity == pytest.approx(abs(top.delta) * 25)  # CSAT points → index points
    assert top.within == () and top.source is None and top.planned == 0.0
    assert top.sentence.startswith("B: CSAT is ")
    assert "region S" in top.sentence and "since March 2025" in top.sentence
    assert top.sentence.endswith("(q < 0.001, n = 240).")


def test_the_segment_scan_can_be_switched_off_or_filtered_away(planted):
    _, path = planted
    journey = line("a", "b", "c")
    assert breaks.find(journey, [path], "csat", settings=BreakSettings(kinds=("step", "target"))) == []
    assert breaks.find(journey, [path], "csat", settings=BreakSettings(segments=())) == []
    # a filtered column is not scanned; within regions S and N, b's fall (0.8 · 240/720) is now a step break
    filtered = breaks.find(journey, [path], "csat", filters=(("region", ("S", "N")),))
    assert [(b.kind, b.source, b.touchpoint) for b in filtered] == [("step", "a", "b")]


def test_a_null_world_raises_no_segment_alarm_thanks_to_bh(tmp_path, monkeypatch):
    survey = Survey(3)
    for m in range(6):
        for touchpoint in "abc":
            for region in "NSEW":
                for branch in range(3):
                    survey.add(touchpoint, m, 15, BASE, region=region, branch=f"{region}{branch}")
    path = survey.write(tmp_path / "null.parquet")
    tested, adjust = [], metrics.benjamini_hochberg

    def spy(p_values):
        p_values = list(p_values)
        tested.extend(p_values)
        return adjust(p_values)

    monkeypatch.setattr(metrics, "benjamini_hochberg", spy)
    found = breaks.find(line("a", "b", "c"), [path], "csat", settings=BreakSettings(min_delta={"csat": 0.0}))
    # 3 touchpoints × (4 regions + 12 branches) segment tests + 2 steps, several "significant" on their own …
    assert len(tested) == 50
    assert sum(p < 0.05 for p in tested) >= 3
    # … yet none survives the false-discovery control (min_delta is 0 here, so BH alone keeps it quiet)
    assert only(found, "segment") == []
    assert found == []


def test_a_significant_difference_below_min_delta_is_not_reported(tmp_path):
    survey = Survey(4)
    for m in range(3):
        survey.add("a", m, 100, BASE, region="N")
        for region in "NEW":
            survey.add("b", m, 350, BASE, region=region)
        survey.add("b", m, 350, SLIGHTLY_LOW, region="S")  # 0.15 lower: real, but under min_delta 0.25
    path = survey.write(tmp_path / "small.parquet")
    journey = line("a", "b")
    assert only(breaks.find(journey, [path], "csat"), "segment") == []
    looser = only(breaks.find(journey, [path], "csat", settings=BreakSettings(min_delta={"csat": 0.1})), "segment")
    assert [(b.touchpoint, b.segment) for b in looser] == [("b", "S")]
    assert looser[0].q_value < 0.05 and -0.25 < looser[0].delta < -0.1
    assert looser[0].since is None  # the gap never moved: no date


def test_branches_of_a_bad_region_are_folded_into_its_break(tmp_path):
    survey = Survey(5)
    # Six months of 20 answers a branch and touchpoint: a branch's side of its test is clustered by month (its
    # good and bad months are the noise its level is judged against), so it needs months of evidence.
    for m in range(6):
        for touchpoint in "abc":
            for region in "NSEW":
                for branch in range(3):
                    bad = touchpoint == "b" and region == "S"
                    survey.add(touchpoint, m, 20, LOW if bad else BASE, region=region, branch=f"{region}{branch}")
    path = survey.write(tmp_path / "nested.parquet")
    found = breaks.find(line("a", "b", "c"), [path], "csat")
    at_b = [b for b in only(found, "segment") if b.touchpoint == "b"]
    assert [(b.column, b.segment) for b in at_b] == [("region", "S")]  # no separate branch breaks at b
    region = at_b[0]
    assert found[0] == region  # the largest break
    assert sorted(region.within) == ["branch S0", "branch S1", "branch S2"]
    assert "; lowest within it: branch S" in region.sentence
    assert region.n == 360 and abs(region.delta + 0.8) < 3 * (region.high - region.low) / (2 * Z95)
    # without the region column, the branches are breaks of their own
    alone = [b for b in breaks.find(line("a", "b", "c"), [path], "csat", settings=BreakSettings(segments=("branch",)))
             if b.touchpoint == "b"]
    assert all(b.kind == "segment" and b.column == "branch" and b.within == () and b.since is None for b in alone)
    # the same three, and ``within`` lists them worst first
    assert [f"branch {b.segment}" for b in sorted(alone, key=lambda b: b.delta)] == list(region.within)


# ------------------------------------------------------------------ step, target and decline breaks


def test_a_step_is_a_break_only_beyond_the_fall_the_targets_plan(tmp_path):
    survey = Survey(6)
    for m in range(3):
        survey.add("p", m, 200, BASE)
        survey.add("q", m, 200, LOW)  # falls 0.8, as planned: 4.0 → 3.2
        survey.add("r", m, 200, BASE)
        survey.add("s", m, 200, LOW)  # falls 0.8 where the plan is 0.4
    path = survey.write(tmp_path / "steps.parquet")
    targets = {"p": {"csat": 4.0}, "q": {"csat": 3.2}, "r": {"csat": 4.0}, "s": {"csat": 3.6}}
    journey = line("p", "q", "r", "s", targets=targets)
    steps = only(breaks.find(journey, [path], "csat", settings=BreakSettings(kinds=("step",))), "step")
    assert [(b.source, b.touchpoint) for b in steps] == [("r", "s")]
    step = steps[0]
    r, s = survey.answers("r"), survey.answers("s")
    assert step.planned == pytest.approx(-0.4)
    assert step.value == pytest.approx(s.mean()) and step.reference == pytest.approx(r.mean() - 0.4)
    assert step.delta == pytest.approx(s.mean() - r.mean() + 0.4) and abs(step.delta + 0.4) < 3 * math.hypot(
        se_of(r), se_of(s))
    assert step.n == 600 and step.q_value < 0.05
    assert step.sentence.startswith("R → S: CSAT falls ") and "more than the targets plan" in step.sentence
    # without targets the planned fall p → q is a break as well
    unplanned = only(breaks.find(line("p", "q", "r", "s"), [path], "csat"), "step")
    assert sorted((b.source, b.touchpoint) for b in unplanned) == [("p", "q"), ("r", "s")]
    assert all(b.planned == 0.0 for b in unplanned)


def test_a_touchpoint_below_its_target_by_more_than_min_delta(tmp_path):
    survey = Survey(7)
    for m in range(3):
        survey.add("far", m, 500, LOWER_BY_04)  # 0.4 under its target 4.0
        survey.add("near", m, 700, SLIGHTLY_LOW)  # 0.15 under its target 4.0: significant, but small
    path = survey.write(tmp_path / "targets.parquet")
    journey = Journey(name="Targets", stages=(Stage("s", "S"),),
                      touchpoints=(Touchpoint("far", "Far", "s", targets={"csat": 4.0}),
                                   Touchpoint("near", "Near", "s", targets={"csat": 4.0})))
    found = breaks.find(journey, [path], "csat")
    assert [(b.kind, b.touchpoint) for b in found] == [("target", "far")]
    far, answers = found[0], survey.answers("far")
    assert far.value == pytest.approx(answers.mean()) and far.reference == 4.0
    assert far.delta == pytest.approx(answers.mean() - 4.0) and far.n == 1500
    df = len(answers) - 1  # one-sample t-test against the target
    assert (far.high - far.low) / 2 == pytest.approx(student.ppf(0.975, df) * se_of(answers))
    assert far.p_value == pytest.approx(2 * student.sf(abs(far.delta) / se_of(answers), df), rel=1e-6)
    assert far.sentence == (f"Far: CSAT {answers.mean():.2f} is {abs(far.delta):.2f} points below its target 4.00 "
                            "(q < 0.001, n = 1\u00a0500).")
    # "near" is significantly under its target: only min_delta keeps it out
    looser = breaks.find(journey, [path], "csat", settings=BreakSettings(min_delta={"csat": 0.05}))
    assert sorted(b.touchpoint for b in looser) == ["far", "near"]


def test_a_decline_against_the_window_before(tmp_path):
    survey = Survey(8)
    for m in range(6):  # January–June 2025; b falls from April on
        survey.add("a", m, 150, BASE)
        survey.add("b", m, 150, LOW if m >= 3 else BASE)
    path = survey.write(tmp_path / "decline.parquet")
    journey = line("a", "b")
    april, july = dt.date(2025, 4, 1), dt.date(2025, 7, 1)
    found = breaks.find(journey, [path], "csat", date_from=april, date_to=dt.date(2025, 6, 30))
    declines = only(found, "decline")
    assert [b.touchpoint for b in declines] == ["b"]
    now, before = survey.answers("b", april, july), survey.answers("b", dt.date(2024, 12, 31), april)
    decline = declines[0]
    assert decline.n == len(now) == 450
    assert decline.value == pytest.approx(now.mean()) and decline.reference == pytest.approx(before.mean())
    assert abs(decline.delta + 0.8) < 3 * math.hypot(se_of(now), se_of(before))
    assert "against the period before" in decline.sentence
    assert only(found, "step") and only(found, "step")[0].touchpoint == "b"  # in the window b is also below a
    # no window, no period before: no decline is looked for
    assert only(breaks.find(journey, [path], "csat"), "decline") == []


# ------------------------------------------------------------------ caching


def test_a_cached_search_is_served_without_searching_again(planted, tmp_path, monkeypatch):
    _, path = planted
    journey = line("a", "b", "c")
    calls = []
    search = breaks._find

    def counted(*args):
        calls.append(args[2])
        return search(*args)

    monkeypatch.setattr(breaks, "_find", counted)
    with diskcache.Cache(tmp_path / "cache") as cache:
        first = breaks.find(journey, [path], "csat", cache=cache)
        second = breaks.find(journey, [path], "csat", cache=cache)
        assert len(calls) == 1
        assert second == first and len(first) == 1 and first[0].segment == "S"
        assert breaks.find(journey, [path], "csat", cache=cache, settings=BreakSettings(min_delta={"csat": 1.0})) == []
        assert len(calls) == 2  # other settings: another search
        assert breaks.find(journey, [path], "index", cache=cache)[0].touchpoint == "b"
        assert len(calls) == 3


def test_a_small_nps_cell_is_tested_by_the_pooled_score_test_with_its_mover_interval(tmp_path):
    # 40 answers in region S (NPS −10) against 480 elsewhere (NPS +35), no branch column: independent answers
    rng = np.random.default_rng(11)
    s = np.repeat([10, 8, 3], [10, 16, 14])  # 10 promoters, 16 passives, 14 detractors
    rest = np.repeat([9, 7, 5], [220, 208, 52])  # 220 promoters, 208 passives, 52 detractors
    scores = np.concatenate([s, rest])
    regions = ["S"] * len(s) + [rng.choice(["N", "E", "W"]) for _ in rest]
    ts = [dt.datetime(2025, 1, 1 + i % 28, 9) for i in range(len(scores))]
    table = pa.table({"ts": pa.array(ts, pa.timestamp("s")), "response_id": [f"r{i}" for i in range(len(scores))],
                      "touchpoint": ["a"] * len(scores), "region": regions, "nps": pa.array(scores, pa.int8())})
    pq.write_table(table, tmp_path / "nps.parquet")
    found = breaks.find(line("a"), [str(tmp_path / "nps.parquet")], "nps")
    [item] = [b for b in found if b.segment == "S"]
    expected = metrics.compare_nps(metrics.NpsCounts(10, 16, 14), metrics.NpsCounts(220, 208, 52))
    assert item.delta == pytest.approx(-10 - 35) == pytest.approx(expected.difference)
    assert item.p_value == pytest.approx(expected.p_value, rel=1e-9)
    assert (item.low, item.high) == (pytest.approx(expected.low), pytest.approx(expected.high))
    assert item.confidence == 0.95 and item.clustering == ""


def test_one_branchs_bad_month_is_no_break_when_answers_are_clustered_by_branch_and_month(tmp_path):
    terrible = (0.40, 0.40, 0.10, 0.05, 0.05)  # mean 1.95
    survey = Survey(21)
    for m in range(6):  # January–June 2025; the window is April–June
        for touchpoint in "abc":
            for region in "NSEW":
                for branch in range(3):
                    bad_month = touchpoint == "b" and region == "S" and branch == 0 and m == 5
                    bad_region = touchpoint == "c" and region == "W"
                    cell = terrible if bad_month else LOW if bad_region else BASE
                    survey.add(touchpoint, m, 60, cell, region=region, branch=f"{region}{branch}")
    path = survey.write(tmp_path / "wobble.parquet")
    window = {"date_from": dt.date(2025, 4, 1), "date_to": dt.date(2025, 6, 30)}

    def search(clustered: bool):
        settings = BreakSettings(min_delta={"csat": 0.1}, clustered=clustered)
        return only(breaks.find(line("a", "b", "c"), [path], "csat", settings=settings, **window), "segment")

    clustered = search(True)
    # Region W at c is worse in every branch and month: a break, with the clustering it was judged under.
    assert [(b.touchpoint, b.column, b.segment) for b in clustered] == [("c", "region", "W")]
    region = clustered[0]
    assert region.clustering == "branch × month" and region.clusters == 12 * 3
    # its design effect is the network's branch-month wobble (here all of it S0's June) or its own, the larger
    assert region.design_effect is not None and region.design_effect > 1
    # Within one branch its shocks are everyone's: steps are then tested on independent answers (no respondents)
    alone = breaks.find(line("a", "b", "c"), [path], "csat", filters=(("branch", ("W1",)),), **window)
    assert [(b.kind, b.source, b.touchpoint, b.clustering) for b in alone] == [("step", "b", "c", "")]
    # As if every answer were independent, S0's one terrible month makes region S a break at b.
    independent = {(b.touchpoint, b.segment): b for b in search(False)}
    assert ("b", "S") in independent and independent[("b", "S")].within == ("branch S0",)
    assert independent[("b", "S")].clustering == "" and independent[("b", "S")].design_effect is None


def test_dating_accounts_for_the_window_that_listed_the_break():
    # Twelve months of null gaps (no shift ever); a "break" is listed when the last three months' mean is low by
    # chance. Dated on the same months without the selection, most such breaks would get a date (the window's low
    # months against the earlier ones); conditional on it, about alpha of them may.
    rng = np.random.default_rng(20)
    variance, omega = np.ones(12), np.r_[np.zeros(9), np.ones(3) / 3]
    bar = -1.64 / math.sqrt(3)  # the window's mean 1.64 SE below 0
    naive = adjusted = listed = 0
    for gap in rng.normal(0.0, 1.0, (12_000, 12)):
        window = float(omega @ gap)
        if window > bar:
            continue
        listed += 1
        naive += breaks._selected_shift(gap, variance, np.zeros(12), 0.0)[1] < 0.05
        adjusted += breaks._selected_shift(gap, variance, omega, bar - window)[1] < 0.05
    assert listed > 400
    assert naive / listed > 0.15  # the finding: false breaks dated (20 % here, 43 of 54 in the issue)
    assert adjusted / listed < 0.05 + 2 * math.sqrt(0.05 * 0.95 / listed)


def test_a_real_shift_is_dated_at_its_month_despite_the_selection():
    gap = np.r_[np.zeros(6), np.full(6, -4.0)]  # the gap fell by 4 SE in month 7 and stayed there
    omega = np.r_[np.zeros(9), np.ones(3) / 3]
    bar = -3 / math.sqrt(3)  # listed: the window's mean at least 3 SE below 0 (it is 4 / (1/√3) ≈ 6.9 SE below)
    best, p = breaks._selected_shift(gap, np.ones(12), omega, bar - float(omega @ gap))
    assert best == 6 and p < 1e-6
    # just at the bar, the window's low months are all that was seen: no evidence left to date it with
    assert breaks._selected_shift(gap, np.ones(12), omega, 0.0)[1] == pytest.approx(1.0)
    assert breaks._selected_shift(np.zeros(12), np.ones(12), omega, 0.0)[1] == 1.0  # no shift: nothing to date


def kish_by_definition(frame: pd.DataFrame, member: list) -> dict:
    """_network_design written out answer-group by answer-group: the pooled ANOVA ρ of branch-months within
    branches, then per (touchpoint, segment) each side's Σ n_c² over its clusters (a segment's part of a
    branch-month; an answer without a branch is a cluster of one), Kish's effects and the clusters counted."""
    rows = [(tp, m, None if pd.isna(b) else b, p, n, t, q) for (tp, b, p, n, t, q), m in zip(
        frame[["touchpoint", "branch", "period", "n", "total", "squares"]].itertuples(index=False), member)
        if n > 0]
    months: dict = {}
    for tp, _m, b, p, n, t, q in rows:
        if b is not None:
            cell = months.setdefault((tp, b, p), [0.0, 0.0, 0.0])
            cell[0], cell[1], cell[2] = cell[0] + n, cell[1] + t, cell[2] + q
    branches: dict = {}
    for (tp, b, _p), cell in months.items():
        branches.setdefault((tp, b), []).append(cell)
    w = dw = between_ss = df = weight = 0.0
    for cells in branches.values():
        if len(cells) < 2:
            continue
        big_n, big_t = sum(c[0] for c in cells), sum(c[1] for c in cells)
        w += sum(c[2] - c[1] ** 2 / c[0] for c in cells)
        dw += sum(c[0] - 1 for c in cells)
        between_ss += sum(c[1] ** 2 / c[0] for c in cells) - big_t**2 / big_n
        df += len(cells) - 1
        weight += big_n - sum(c[0] ** 2 for c in cells) / big_n
    within = w / dw if dw > 0 else 0.0
    between = max(0.0, (between_ss - df * within) / weight) if weight > 0 else 0.0
    rho = between / (between + within) if between + within > 0 else 0.0
    found = {}
    for tp, m in {(row[0], row[1]) for row in rows if row[1] is not None}:
        mine = [row for row in rows if row[0] == tp and row[1] == m]
        others = [row for row in rows if row[0] == tp and row[1] != m]
        parts: dict = {}
        for _tp, _m, b, p, n, _t, _q in mine:
            if b is not None:
                parts[b, p] = parts.get((b, p), 0.0) + n
        rest = {(b, p): cell[0] - parts.get((b, p), 0.0) for (t_, b, p), cell in months.items() if t_ == tp}
        lone_s = sum(row[4] for row in mine if row[2] is None)
        lone_r = sum(row[4] for row in others if row[2] is None)
        n_s, n_r = sum(row[4] for row in mine), sum(row[4] for row in others)
        effect_s = 1 + ((sum(v**2 for v in parts.values()) + lone_s) / n_s - 1) * rho
        effect_r = 1 + ((sum(v**2 for v in rest.values()) + lone_r) / n_r - 1) * rho if n_r else math.nan
        effect = (effect_s / n_s + effect_r / n_r) / (1 / n_s + 1 / n_r) if n_r else math.nan
        clusters = len(parts) + lone_s + sum(v > 0 for v in rest.values()) + lone_r
        found[tp, m] = (effect, clusters)
    return found


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from(["b0", "b1", "b2", None]),
                          st.sampled_from([dt.date(2025, 1, 1), dt.date(2025, 2, 1), None]),
                          st.sampled_from(["x", "y", None]), st.integers(0, 6), st.integers(0, 30)),
                min_size=1, max_size=40))
def test_the_network_design_effect_is_its_definition_on_any_rows(rows):
    """Rows with and without a branch, a segment or a month, empty rows, a segment that splits a branch-month."""
    frame = pd.DataFrame([(tp, b, p, n, float(s), s * s / max(n, 1) + n) for tp, b, p, _m, n, s in rows],
                         columns=["touchpoint", "branch", "period", "n", "total", "squares"])
    member = [m for *_rest, m, _n, _s in rows]
    effect, clusters = breaks._network_design(frame, pd.Series(member, dtype=object), "branch",
                                              frame["n"].to_numpy(float), frame["total"].to_numpy(float),
                                              frame["squares"].to_numpy(float))
    expected = kish_by_definition(frame, member)
    assert set(effect.index) == set(expected)
    for key, (value, count) in expected.items():
        assert effect.loc[key] == pytest.approx(value, rel=1e-9, nan_ok=True)
        assert clusters.loc[key] == count


def month_spread_by_definition(cells: pd.DataFrame, others: pd.DataFrame) -> float:
    """_month_spread written out series by series: each (touchpoint, segment)'s monthly gaps to the rest with
    variances from the series' pooled spread on each side, then DerSimonian–Laird's between-month variance pooled
    over the series with three usable months or more."""
    series: dict = {}
    for cell, other in zip(cells.itertuples(index=False), others.itertuples(index=False), strict=True):
        series.setdefault((cell.touchpoint, cell.segment), []).append(
            ((cell.csat_n, cell.csat_sum, cell.csat_sumsq), (other.csat_n, other.csat_sum, other.csat_sumsq)))
    q = df = weight = 0.0
    for months in series.values():
        spreads = []
        for side in (0, 1):
            n, t, s = (sum(month[side][i] for month in months) for i in range(3))
            spreads.append((s - t * t / n) / (n - 1) if n > 1 else math.nan)
        points = []
        for mine, rest in months:
            if mine[0] == 0 or rest[0] == 0:
                continue
            v = spreads[0] / mine[0] + spreads[1] / rest[0]
            if math.isfinite(v) and v > 0:
                points.append((mine[1] / mine[0] - rest[1] / rest[0], 1 / v))
        if len(points) < 3:
            continue
        w = sum(p[1] for p in points)
        mean = sum(p[0] * p[1] for p in points) / w
        q += sum(p[1] * (p[0] - mean) ** 2 for p in points)
        df += len(points) - 1
        weight += w - sum(p[1] ** 2 for p in points) / w
    return max(0.0, (q - df) / weight) if weight > 0 else 0.0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from(["x", "y", "z"]), st.integers(0, 8),
                          st.integers(0, 40), st.integers(0, 20), st.integers(0, 80)), min_size=1, max_size=40))
def test_the_month_spread_is_dersimonian_laird_by_definition_on_any_cells(rows):
    """Series of any length, empty months on either side, a side with one answer (no spread)."""
    def side(n, total):
        return n, float(total), total * total / max(n, 1) + 0.5 * n

    cells = pd.DataFrame([(tp, seg, *side(n, t)) for tp, seg, n, t, _rn, _rt in rows],
                         columns=["touchpoint", "segment", "csat_n", "csat_sum", "csat_sumsq"])
    others = pd.DataFrame([side(rn, rt) for *_cell, rn, rt in rows], columns=["csat_n", "csat_sum", "csat_sumsq"])
    found = breaks._month_spread(cells, others, breaks._series(cells, "segment"), "csat")
    assert found == pytest.approx(month_spread_by_definition(cells, others), rel=1e-9, abs=1e-12)


def test_the_month_spread_finds_the_planted_month_to_month_wobble():
    # 60 series of 12 months, 40 answers N(level + wobble, 1) a month against a rest of 2 000 N(level, 1): each
    # month's gap wobbles by N(0, 0.2²) beyond the answers' noise, so the spread is about 0.04.
    rng = np.random.default_rng(11)
    cells, others = [], []
    for touchpoint in "abc":
        for segment in range(20):
            level = rng.normal(3.5, 0.3)
            for _month in range(12):
                x, y = level + rng.normal(0, 0.2) + rng.normal(0, 1, 40), level + rng.normal(0, 1, 2000)
                cells.append((touchpoint, f"s{segment}", 40, x.sum(), (x * x).sum()))
                others.append((2000, y.sum(), (y * y).sum()))
    cells = pd.DataFrame(cells, columns=["touchpoint", "segment", "csat_n", "csat_sum", "csat_sumsq"])
    others = pd.DataFrame(others, columns=["csat_n", "csat_sum", "csat_sumsq"])
    found = breaks._month_spread(cells, others, breaks._series(cells, "segment"), "csat")
    assert found == pytest.approx(0.04, rel=0.25)
    assert found == pytest.approx(month_spread_by_definition(cells, others), rel=1e-9)


def test_the_network_design_effect_is_kish_with_the_pooled_branch_month_correlation():
    # 40 branches × 3 months × 2 touchpoints, 50 answers a cell; each branch-month shifted by N(0, 0.3²), answers
    # N(0, 1) around it: ρ = 0.09 / 1.09, so a side made of whole cells of 50 has design effect 1 + 49ρ ≈ 5.0.
    rng = np.random.default_rng(4)
    rows, n = [], 50
    for touchpoint in "ab":
        for branch in range(40):
            level = rng.normal(0, 0.5)  # a branch's persistent level: not noise, so not in ρ
            for month in range(3):
                x = level + rng.normal(0, 0.3) + rng.normal(0, 1, n)
                rows.append((touchpoint, f"b{branch}", dt.date(2025, month + 1, 1), n, x.sum(), (x * x).sum()))
    frame = pd.DataFrame(rows, columns=["touchpoint", "branch", "period", "n", "total", "squares"])
    member = frame["branch"].where(frame["branch"] == "b0", None)
    effect, clusters = breaks._network_design(frame, member, "branch", frame["n"].to_numpy(float),
                                              frame["total"].to_numpy(float), frame["squares"].to_numpy(float))
    rho = 0.09 / 1.09
    side = 1 + (n - 1) * rho  # both sides are whole branch-months of 50
    assert effect.loc[("a", "b0")] == pytest.approx(side, rel=0.3)
    assert clusters.loc[("a", "b0")] == 3 + 39 * 3


@pytest.mark.parametrize("metric", ["csat", "nps"])
def test_one_segment_against_the_rest_is_its_row_of_all_segments_against_the_rest(metric):
    """The re-measure since a change point compares one value alone (the others unnamed, counted in the rest): the
    same numbers as its row when every value is compared, for a column that splits branch-months (channel)."""
    rng = np.random.default_rng(3)
    rows = []
    for touchpoint in "ab":
        for branch in range(6):
            for month in (1, 2, 3):
                for channel in ("web", "shop", "app"):
                    n = int(rng.integers(0, 9))
                    scores = rng.integers(1, 6, n).astype(float)
                    promoters, detractors = int(rng.integers(0, n + 1)), 0
                    detractors = int(rng.integers(0, n - promoters + 1))
                    rows.append((touchpoint, f"b{branch}", dt.date(2025, month, 1), channel, n, scores.sum(),
                                 (scores**2).sum(), n, promoters, n - promoters - detractors, detractors))
    frame = pd.DataFrame(rows, columns=["touchpoint", "branch", "period", "channel", "csat_n", "csat_sum",
                                        "csat_sumsq", "nps_n", "promoters", "passives", "detractors"])
    every = breaks._against_rest(frame, "channel", metric, "branch").set_index(["family", "member"])
    for touchpoint, channel in [("a", "web"), ("b", "app")]:
        one = breaks._against_rest(frame, "channel", metric, "branch", only=channel)
        assert list(zip(one["family"], one["member"], strict=True)) == [("a", channel), ("b", channel)]
        mine, theirs = one.set_index(["family", "member"]).loc[(touchpoint, channel)], every.loc[(touchpoint, channel)]
        for name in ("difference", "se", "df", "p_value", "low", "high", "design_effect", "clusters"):
            assert mine[name] == pytest.approx(theirs[name], rel=1e-12), name
