"""Before/after verification of an action on tiny survey files whose numbers are worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.survey_files import write
from workbench.analysis.verify import VERDICTS, Verification, Windows, verify

DONE = dt.date(2024, 3, 4)
BEFORE = dt.datetime(2024, 2, 12, 10)  # inside the 8-week window before DONE
AFTER = dt.datetime(2024, 3, 20, 10)   # inside the 8-week window after it
Z95 = NormalDist().inv_cdf(0.975)


def survey(path: Path, before: list[int], after: list[int], metric: str = "csat") -> str:
    """A file of answers about "chat": ``before`` dated BEFORE, ``after`` dated AFTER."""
    return write(path, ts=[BEFORE] * len(before) + [AFTER] * len(after),
                 touchpoint=["chat"] * (len(before) + len(after)), **{metric: before + after})


def rows(spec: list[tuple[dt.datetime, str, str | None, int]]) -> dict[str, list]:
    """Columns ts, touchpoint, region, csat from (ts, touchpoint, region, csat) tuples."""
    return dict(zip(("ts", "touchpoint", "region", "csat"), map(list, zip(*spec))))


def p_of(z: float) -> float:
    return 2 * (1 - NormalDist().cdf(abs(z)))


def test_before_after_matches_the_hand_computed_z_test(tmp_path):
    path = survey(tmp_path / "s.parquet", [3, 3, 4], [4, 5, 5])
    result = verify([path], ["chat"], DONE, min_n=1)
    # Means 10/3 and 14/3; both samples have variance 1/3, so SE = √(1/9 + 1/9).
    se = math.sqrt((1 / 3) / 3 + (1 / 3) / 3)
    assert (result.before, result.after) == (pytest.approx(10 / 3), pytest.approx(14 / 3))
    assert (result.n_before, result.n_after) == (3, 3)
    assert result.change == pytest.approx(4 / 3)
    assert result.low == pytest.approx(4 / 3 - Z95 * se) and result.high == pytest.approx(4 / 3 + Z95 * se)
    assert result.p_value == pytest.approx(p_of(4 / 3 / se))  # 0.0047
    assert (result.verdict, result.method, result.segment, result.treated) == ("improved", "before_after", None, ())
    assert result.effect is None and result.control_change is None
    assert result.sentence == ("CSAT at chat rose by 1.33, from 3.33 to 4.67 (95 % CI 0.41 to 2.26, p = 0.005; "
                               "n = 3 before, 3 after): improved.")


def test_a_fall_is_worse_on_any_metric(tmp_path):
    path = survey(tmp_path / "s.parquet", [10] * 6 + [0] * 2, [10] * 2 + [0] * 6, metric="nps")
    result = verify([path], ["chat"], DONE, metric="nps", min_n=1, names={"chat": "Support chat"})
    # NPS +50 and −50; each SE = 100·√((0.75 + 0.25 − 0.5²)/8).
    se = 100 * math.sqrt(0.75 / 8)
    assert (result.before, result.after, result.change) == (pytest.approx(50), pytest.approx(-50),
                                                            pytest.approx(-100))
    assert result.p_value == pytest.approx(p_of(-100 / math.hypot(se, se)))  # 0.021
    assert result.verdict == "worse"
    assert result.sentence.startswith("NPS at Support chat fell by 100, from +50 to −50 (95 % CI −185 to −15, ")
    assert result.sentence.endswith(": worse.")


def test_no_significant_difference_is_no_change(tmp_path):
    path = survey(tmp_path / "s.parquet", [3, 4, 5, 4], [4, 3, 5, 4])
    result = verify([path], ["chat"], DONE, min_n=1)
    assert result.change == 0 and result.p_value == pytest.approx(1)
    assert result.verdict == "no_change"
    assert "hardly changed, from 4.00 to 4.00" in result.sentence and "no detectable change" in result.sentence


def test_too_few_answers_are_insufficient_and_say_how_many(tmp_path):
    path = survey(tmp_path / "s.parquet", [3, 3, 4], [4, 5, 5])
    result = verify([path], ["chat"], DONE)
    assert result.verdict == "insufficient" and (result.n_before, result.n_after) == (3, 3)
    assert result.sentence == ("CSAT at chat cannot be verified: n = 3 before and n = 3 after the action; "
                               "at least 30 needed in each window.")
    # One answer has no spread to test, whatever the minimum.
    single = verify([survey(tmp_path / "one.parquet", [3], [5, 5])], ["chat"], DONE, min_n=1)
    assert single.verdict == "insufficient" and "at least 2 needed" in single.sentence


def test_a_window_without_answers_is_insufficient_and_stays_json_safe(tmp_path):
    path = survey(tmp_path / "s.parquet", [], [4, 5, 5])
    result = verify([path], ["chat"], DONE, min_n=1)
    assert result.verdict == "insufficient" and result.n_before == 0 and math.isnan(result.before)
    stored = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert stored["before"] is None
    assert Verification.from_dict(stored).to_dict() == result.to_dict()


def test_difference_in_differences_removes_a_rise_everyone_had(tmp_path):
    treated = [(BEFORE, "chat", "A", x) for x in [3, 3, 4] * 2] + [(AFTER, "chat", "A", x) for x in [4, 4, 5] * 2]
    control = [(BEFORE, "chat", "B", x) for x in [2, 2, 3] * 2] + [(AFTER, "chat", "B", x) for x in [3, 3, 4] * 2]
    path = write(tmp_path / "s.parquet", **rows(treated + control))
    plain = verify([path], ["chat"], DONE, segment="region", treated=["A"], min_n=1)
    assert plain.method == "difference_in_differences" and (plain.segment, plain.treated) == ("region", ("A",))
    assert plain.change == pytest.approx(1) and plain.p_value < 0.05  # alone, the treated rise looks real
    assert plain.control_change == pytest.approx(1) and plain.effect == pytest.approx(0)
    # Four samples of variance 4/15 and n = 6: SE of the effect = √(4 · (4/15)/6).
    se = math.sqrt(4 * (4 / 15) / 6)
    assert plain.effect_high == pytest.approx(Z95 * se) and plain.effect_low == pytest.approx(-Z95 * se)
    assert plain.effect_p == pytest.approx(1)
    assert plain.verdict == "no_change"
    assert plain.sentence.startswith("CSAT at chat rose by 1.00 in A (from 3.33 to 4.33) against +1.00 elsewhere: "
                                     "an effect of ")
    only_a = verify([path], ["chat"], DONE, filters=(("region", ("A",)),), min_n=1)
    assert only_a.verdict == "improved" and only_a.method == "before_after"


def test_difference_in_differences_finds_a_rise_only_the_treated_had(tmp_path):
    spec = ([(BEFORE, "chat", region, x) for region in ("A", "B", "C") for x in [3, 3, 4] * 5]
            + [(AFTER, "chat", "A", x) for x in [4, 4, 5] * 5]
            + [(AFTER, "chat", region, x) for region in ("B", "C") for x in [3, 3, 4] * 5]
            + [(AFTER, "chat", None, 1)] * 10)  # no region: neither treated nor control
    path = write(tmp_path / "s.parquet", **rows(spec))
    result = verify([path], ["chat"], DONE, segment="region", treated=["A"], min_n=10)
    assert result.change == pytest.approx(1) and result.control_change == pytest.approx(0)
    # [3, 3, 4] repeated k times has 6k/9 squared deviations: variance (30/9)/14 for the treated (n = 15),
    # (60/9)/29 for the control (n = 30).
    treated_variance, control_variance = (30 / 9) / 14, (60 / 9) / 29
    se = math.sqrt(2 * treated_variance / 15 + 2 * control_variance / 30)
    assert result.effect == pytest.approx(1) and result.effect_p == pytest.approx(p_of(1 / se))
    assert result.effect_low == pytest.approx(1 - Z95 * se)
    assert result.verdict == "improved" and result.method == "difference_in_differences"


def test_a_thin_control_falls_back_to_before_after_and_says_so(tmp_path):
    spec = ([(BEFORE, "chat", "A", x) for x in [3, 3, 4]] + [(AFTER, "chat", "A", x) for x in [4, 5, 5]]
            + [(BEFORE, "chat", "B", 3), (AFTER, "chat", "B", 3), (AFTER, "chat", "B", 4)])
    path = write(tmp_path / "s.parquet", **rows(spec))
    result = verify([path], ["chat"], DONE, segment="region", treated=["A"], min_n=3)
    assert (result.method, result.verdict) == ("before_after", "improved")
    assert (result.segment, result.treated) == ("region", ("A",)) and result.effect is None
    assert result.sentence.startswith("CSAT at chat in A rose by 1.33, from 3.33 to 4.67")
    assert result.sentence.endswith("Too few answers elsewhere to compare with the rest of region "
                                    "(n = 1 before, 2 after; 3 needed).")


def test_window_boundaries(tmp_path):
    day = dt.timedelta(days=1)
    start = dt.datetime.combine(DONE, dt.time())
    spec = [(start - 8 * 7 * day, "chat", None, 5),                # first day of the before window
            (start - 8 * 7 * day - dt.timedelta(seconds=1), "chat", None, 1),  # the day before it
            (start - dt.timedelta(seconds=1), "chat", None, 4),     # done − 1, last moment: before
            (start, "chat", None, 3),                               # the done day: after (gap 0), skipped (gap 1)
            (start + 6 * day, "chat", None, 3),                     # still inside a one-week gap
            (start + 7 * day, "chat", None, 4),                     # first day after a one-week gap
            (start + 8 * 7 * day - dt.timedelta(seconds=1), "chat", None, 5),  # last moment of the 8-week after
            (start + 9 * 7 * day - dt.timedelta(seconds=1), "chat", None, 2)]  # last moment after gap + 8 weeks
    path = write(tmp_path / "s.parquet", **rows(spec))
    plain = verify([path], ["chat"], DONE, min_n=1)
    assert (plain.before_from, plain.before_to) == (DONE - 56 * day, DONE - day)
    assert (plain.after_from, plain.after_to) == (DONE, DONE + 55 * day)
    assert (plain.n_before, plain.n_after) == (2, 4) and plain.before == 4.5 and plain.after == 15 / 4
    gap = verify([path], ["chat"], DONE, windows=Windows(gap_weeks=1), min_n=1)
    assert (gap.after_from, gap.after_to) == (DONE + 7 * day, DONE + 62 * day)
    assert (gap.n_before, gap.n_after) == (2, 3) and gap.after == 11 / 3
    short = verify([path], ["chat"], DONE, windows=Windows(before_weeks=1, after_weeks=1), min_n=1)
    assert (short.before_from, short.after_to) == (DONE - 7 * day, DONE + 6 * day)
    assert (short.n_before, short.n_after) == (1, 2)


def test_several_touchpoints_are_pooled(tmp_path):
    spec = ([(BEFORE, "chat", None, x) for x in (3, 3)] + [(AFTER, "chat", None, x) for x in (4, 4)]
            + [(BEFORE, "call", None, x) for x in (4, 4)] + [(AFTER, "call", None, x) for x in (5, 5)]
            + [(BEFORE, "web", None, 1), (AFTER, "web", None, 5)])
    path = write(tmp_path / "s.parquet", **rows(spec))
    result = verify([path], ["chat", "call"], DONE, min_n=1, names={"chat": "Chat", "call": "Call"})
    # 3, 3, 4, 4 then 4, 4, 5, 5: both samples have variance 1/3 and n = 4.
    assert (result.before, result.after, result.n_before, result.n_after) == (3.5, 4.5, 4, 4)
    assert result.p_value == pytest.approx(p_of(1 / math.sqrt(2 * (1 / 3) / 4)))
    assert result.touchpoints == ("chat", "call") and result.sentence.startswith("CSAT at Chat, Call rose by 1.00")


def test_the_record_survives_a_json_round_trip(tmp_path):
    spec = ([(BEFORE, "chat", r, x) for r in ("A", "B") for x in (3, 3, 4)]
            + [(AFTER, "chat", r, x) for r in ("A", "B") for x in (4, 5, 5)])
    path = write(tmp_path / "s.parquet", **rows(spec))
    result = verify([path], ["chat"], DONE, segment="region", treated=["A"], min_n=1)
    stored = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert stored["done"] == "2024-03-04" and stored["treated"] == ["A"]
    assert Verification.from_dict(stored) == result
    assert result.verdict in VERDICTS


def test_invalid_requests_are_refused(tmp_path):
    path = survey(tmp_path / "s.parquet", [3, 3, 4], [4, 5, 5])
    with pytest.raises(ValueError, match="Unknown metric"):
        verify([path], ["chat"], DONE, metric="rating")
    with pytest.raises(ValueError, match="touchpoint"):
        verify([path], [], DONE)
    with pytest.raises(ValueError, match="segment"):
        verify([path], ["chat"], DONE, treated=["A"])
    with pytest.raises(ValueError, match="week"):
        Windows(after_weeks=0)


@settings(max_examples=25)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=12), st.lists(st.integers(1, 5), min_size=2, max_size=12))
def test_swapping_before_and_after_negates_the_change_and_keeps_p(first, second):
    with tempfile.TemporaryDirectory() as folder:
        forward = verify([survey(Path(folder) / "a.parquet", first, second)], ["chat"], DONE, min_n=1)
        backward = verify([survey(Path(folder) / "b.parquet", second, first)], ["chat"], DONE, min_n=1)
    assert backward.change == pytest.approx(-forward.change, abs=1e-12)
    assert (backward.before, backward.after) == (pytest.approx(forward.after), pytest.approx(forward.before))
    assert backward.p_value == pytest.approx(forward.p_value, nan_ok=True)
    flipped = {"improved": "worse", "worse": "improved", "no_change": "no_change"}
    assert backward.verdict == flipped[forward.verdict]


def clustered_rows(spec: list[tuple[dt.datetime, str, str, int]]) -> dict[str, list]:
    """Columns ts, touchpoint, branch, respondent_id, csat from (ts, branch, respondent, csat) tuples at "chat"."""
    ts, branch, respondent, csat = map(list, zip(*spec))
    return {"ts": ts, "touchpoint": ["chat"] * len(ts), "branch": branch, "respondent_id": respondent, "csat": csat}


def test_a_branch_column_clusters_the_did_by_branch_and_a_branchs_bad_month_is_no_effect(tmp_path):
    from workbench.core import clustered

    rng = np.random.default_rng(4)
    spec, cells, labels, scores = [], [], [], []
    shock = {"A1": 1, "A2": 0, "A3": 0, "B1": 0, "B2": 0, "B3": 0, "B4": 0}  # A1 has a good month after the done date
    for branch, lift in shock.items():
        for when, cell_after in ((BEFORE, 0), (AFTER, 1)):
            for i in range(12):
                x = int(np.clip(3 + rng.integers(-1, 2) + (lift if cell_after else 0), 1, 5))
                spec.append((when, branch, f"{branch}-{when:%m}-{i}", x))
                cells.append((0 if branch < "B" else 2) + (0 if cell_after else 1))
                labels.append(branch)
                scores.append(x)
    path = write(tmp_path / "s.parquet", **clustered_rows(spec))
    result = verify([path], ["chat"], DONE, segment="branch", treated=["A1", "A2", "A3"], min_n=10)
    x = np.array(scores, float)
    expected = clustered.contrast(cells, labels, np.ones(len(x)), x, x * x, weights=[1, -1, -1, 1], method="CR2")
    assert (result.cluster, result.clusters, result.method) == ("branch", 7, "difference_in_differences")
    assert result.effect == pytest.approx(expected.difference) and result.effect_p == pytest.approx(expected.p_value)
    assert (result.effect_low, result.effect_high) == (pytest.approx(expected.low), pytest.approx(expected.high))
    assert result.df == pytest.approx(expected.df) and result.design_effect == pytest.approx(expected.design_effect)
    assert result.verdict == ("improved" if expected.p_value < 0.05 else "no_change")
    assert result.detail.startswith("Answers clustered by branch (7 clusters), as answers from the same branch move "
                                    "together: design effect ")
    assert "Student's t on " in result.detail and "(CR2, Bell & McCaffrey)." in result.detail
    # The same answers counted as independent: one branch's good month is an "effect".
    unclustered = write(tmp_path / "u.parquet", **{k: v for k, v in clustered_rows(spec).items()
                                                  if k not in ("branch", "respondent_id")},
                        region=[b for _, b, _, _ in spec])
    naive = verify([unclustered], ["chat"], DONE, segment="region", treated=["A1", "A2", "A3"], min_n=10)
    assert naive.effect == pytest.approx(result.effect) and naive.effect_p < result.effect_p
    assert naive.cluster is None and naive.detail.startswith("Answers counted as independent")


def test_without_a_branch_the_answers_of_one_respondent_are_one_cluster(tmp_path):
    from workbench.core import clustered

    # Each respondent rates chat and call in the same visit: their two answers share the mood.
    spec, cells, labels, scores = [], [], [], []
    moods = [1, 1, 0, -1, 0, 1, -1, 0, 0, 1, -1, -1]
    for when, cell, lift in ((BEFORE, 1, 0), (AFTER, 0, 1)):
        for i, mood in enumerate(moods):
            for touchpoint, own in (("chat", 0), ("call", i % 2)):
                x = 3 + mood + own * (1 - 2 * (i % 3 == 0)) + lift * (i % 2)
                spec.append((when, touchpoint, f"{when:%m}-{i}", x))
                cells.append(cell)
                labels.append(f"{when:%m}-{i}")
                scores.append(x)
    ts, touchpoint, respondent, csat = map(list, zip(*spec))
    path = write(tmp_path / "s.parquet", ts=ts, touchpoint=touchpoint, respondent_id=respondent, csat=csat)
    result = verify([path], ["chat", "call"], DONE, min_n=10)
    x = np.array(scores, float)
    expected = clustered.contrast(cells, labels, np.ones(len(x)), x, x * x, weights=[1, -1], method="CR2")
    assert (result.cluster, result.clusters, result.method) == ("respondent_id", 24, "before_after")
    assert result.change == pytest.approx(expected.difference) and result.p_value == pytest.approx(expected.p_value)
    assert (result.low, result.high) == (pytest.approx(expected.low), pytest.approx(expected.high))
    assert result.design_effect > 1.2  # two answers with one mood: the sample is smaller than 48 independent ones
    assert "clustered by respondent (24 clusters)" in result.detail


def test_an_action_in_one_branch_is_clustered_by_respondent_and_says_why(tmp_path):
    spec = ([(BEFORE, b, f"{b}{i}", x) for b in ("A", "B", "C") for i, x in enumerate([3, 3, 4] * 4)]
            + [(AFTER, b, f"{b}{i}'", x) for b in ("A", "B", "C") for i, x in enumerate([3, 4, 4] * 4)])
    path = write(tmp_path / "s.parquet", **clustered_rows(spec))
    result = verify([path], ["chat"], DONE, segment="branch", treated=["A"], min_n=10)
    assert result.method == "difference_in_differences" and result.cluster == "respondent_id"
    assert result.clusters == 72 and result.verdict in ("no_change", "improved")
    assert result.detail.endswith("One side of the comparison (the action's answers or the others') comes from a "
                                  "single branch, so that branch's own ups and downs cannot be told apart from the "
                                  "action's effect; the test only counts the sampling of answers.")


def test_a_record_stored_before_clustering_still_loads(tmp_path):
    path = survey(tmp_path / "s.parquet", [3, 3, 4], [4, 5, 5])
    stored = verify([path], ["chat"], DONE, min_n=1).to_dict()
    for name in ("cluster", "clusters", "design_effect", "df", "detail"):
        stored.pop(name)
    loaded = Verification.from_dict(stored)
    assert loaded.cluster is None and loaded.detail == "" and loaded.verdict == "improved"
