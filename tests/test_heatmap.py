"""Heatmap: targets, formatting, colours, judged scores, steps along edges, comparisons and segment matrices.

Every expected number is computed by hand from the answers written (means, sample SEs, z-tests).
"""

import math
from statistics import NormalDist

import pandas as pd
import pytest

from tests.survey_files import write
from workbench.analysis import heatmap
from workbench.analysis.heatmap import LOW_N_COLOUR, NO_DATA_COLOUR, PALETTE
from workbench.core import formatting, metrics
from workbench.core.journey import Edge, Journey, Stage, Touchpoint
from workbench.data import query


def p_two_sided(z: float) -> float:
    return 2 * (1 - NormalDist().cdf(abs(z)))


def sample_se(answers) -> float:
    """s/√n with the n − 1 sample variance, by hand."""
    n = len(answers)
    mean = sum(answers) / n
    return math.sqrt(sum((x - mean) ** 2 for x in answers) / (n - 1) / n)


def row(frame: pd.DataFrame, **keys) -> pd.Series:
    selected = frame
    for column, value in keys.items():
        selected = selected[selected[column] == value]
    assert len(selected) == 1, keys
    return selected.iloc[0]


# ------------------------------------------------------------------ target, format_value, colour


def test_target_is_explicit_or_the_index_of_the_other_targets():
    tp = Touchpoint("t", "T", "s", targets={"csat": 4.2})
    assert heatmap.target(tp, "csat") == 4.2
    assert heatmap.target(tp, "nps") is None
    assert heatmap.target(tp, "index") == pytest.approx(80.0)  # (4.2 − 1) / 4 · 100
    both = Touchpoint("t", "T", "s", targets={"csat": 4.2, "nps": 40})
    assert heatmap.target(both, "index") == pytest.approx(75.0)  # mean of 80 and (40 + 100) / 2 = 70
    assert heatmap.target(both, "nps") == 40.0
    assert heatmap.target(Touchpoint("t", "T", "s", targets={"csat": 4.2, "index": 60}), "index") == 60.0
    with_ces = Touchpoint("t", "T", "s", targets={"ces": 5.5})
    assert heatmap.target(with_ces, "index") == pytest.approx(75.0)  # (5.5 − 1) / 6 · 100
    none = Touchpoint("t", "T", "s")
    assert heatmap.target(none, "csat") is None and heatmap.target(none, "index") is None


def test_format_value_per_metric():
    minus = "\u2212"
    assert formatting.value(4.216, "csat") == "4.22"
    assert formatting.value(4.2, "csat") == "4.20"
    assert formatting.value(5.5, "ces") == "5.50"
    assert formatting.value(32.4, "nps") == "+32"
    assert formatting.value(-5.2, "nps") == f"{minus}5"
    assert formatting.value(78.4, "index") == "78"
    assert formatting.value(-0.25, "csat", signed=True) == f"{minus}0.25"
    assert formatting.value(0.25, "csat", signed=True) == "+0.25"
    assert formatting.value(-3.0, "index") == f"{minus}3"
    assert "-" not in formatting.value(-7.0, "nps")  # never the ASCII hyphen
    assert formatting.value(math.nan, "csat") == "\u2013"
    assert formatting.value(None, "nps") == "\u2013"


def test_colour_steps_from_red_below_to_blue_above():
    assert heatmap.colour(4.2, 4.2, "csat") == PALETTE[3]  # on target: the middle
    assert heatmap.colour(3.0, 4.2, "csat") == PALETTE[0]  # 1.2 below, beyond the 0.5 span
    assert heatmap.colour(5.0, 4.2, "csat") == PALETTE[-1]
    assert heatmap.colour(4.1, 4.2, "csat") == PALETTE[2]  # −0.1 / 0.5 · 3 = −0.6 → one step down
    assert heatmap.colour(47, 40, "nps") == PALETTE[4]  # 7 / 20 · 3 = 1.05 → one step up
    assert heatmap.colour(-20, 40, "nps") == PALETTE[0]
    assert heatmap.colour(math.nan, 4.2, "csat") == NO_DATA_COLOUR
    assert heatmap.colour(4.0, None, "csat") == PALETTE[3]


# ------------------------------------------------------------------ scores


A = [5, 4, 4, 3] * 10  # mean 4.0, n 40
B = [5, 4, 4] * 10  # mean 13/3, n 30
C = [2, 3] * 5  # mean 2.5, n 10 (low n)
OVERALL_ANSWERS = [1] * 20


def scored_journey() -> Journey:
    return Journey(
        name="Scores", stages=(Stage("one", "One"), Stage("two", "Two")),
        touchpoints=(
            Touchpoint("a", "Apply", "one", targets={"csat": 4.5}),
            Touchpoint("e", "Explain", "one", targets={"csat": 4.1}),
            Touchpoint("x", "Choice", "one", kind="decision"),
            Touchpoint("b", "Book", "two"),
            Touchpoint("c", "Call", "two", targets={"csat": 4.0}),
            Touchpoint("d", "Deliver", "two"),
        ),
        edges=(Edge("a", "e"), Edge("e", "x"), Edge("x", "b"), Edge("b", "c"), Edge("c", "d")),
    )


@pytest.fixture
def scores_result(tmp_path):
    touchpoint = ["a"] * len(A) + ["e"] * len(A) + ["b"] * len(B) + ["c"] * len(C) + ["_overall"] * 20
    path = write(tmp_path / "s.parquet", touchpoint=touchpoint, csat=A + A + B + C + OVERALL_ANSWERS)
    return query.aggregate(query.Query((path,)))


def test_scores_judge_against_targets_or_the_journey_average(scores_result):
    scored = heatmap.scores(scored_journey(), scores_result, "csat")
    assert list(scored["touchpoint"]) == ["a", "e", "x", "b", "c", "d"]  # journey order, not data order
    by = scored.set_index("touchpoint")
    se_a = sample_se(A)
    assert se_a == pytest.approx(math.sqrt(1 / 78))  # s² = 20/39

    a = by.loc["a"]
    assert (a["value"], a["n"], a["low_n"]) == (pytest.approx(4.0), 40, False)
    assert a["se"] == pytest.approx(se_a)
    assert (a["reference"], a["reference_kind"], a["target"]) == (4.5, "target", 4.5)
    assert a["gap"] == pytest.approx(-0.5)
    assert a["p_value"] == pytest.approx(p_two_sided(-0.5 / se_a))  # z ≈ −4.4
    assert a["status"] == "below" and a["colour"] == PALETTE[0]
    assert a["name"] == "Apply" and a["stage"] == "one" and a["owner"] == ""

    e = by.loc["e"]  # same answers, target 4.1: 0.1 under, z ≈ −0.88, not significant
    assert e["gap"] == pytest.approx(-0.1) and e["p_value"] == pytest.approx(p_two_sided(-0.1 / se_a))
    assert e["p_value"] > 0.3
    assert e["status"] == "on" and e["colour"] == PALETTE[2]

    # Journey average: all touchpoint answers pooled (the 20 overall 1s excluded): (160 + 160 + 130 + 25) / 120.
    average = (sum(A) * 2 + sum(B) + sum(C)) / 120
    assert average == pytest.approx(3.958333, abs=1e-6)
    b = by.loc["b"]
    assert b["reference_kind"] == "average" and b["reference"] == pytest.approx(average)
    assert math.isnan(b["target"])
    assert b["value"] == pytest.approx(13 / 3) and b["n"] == 30 and not b["low_n"]
    assert b["se"] == pytest.approx(sample_se(B))
    assert b["p_value"] == pytest.approx(p_two_sided((13 / 3 - average) / sample_se(B)))
    assert b["status"] == "above" and b["colour"] == PALETTE[5]  # 0.375 / 0.5 · 3 = 2.25 → two steps up

    c = by.loc["c"]  # 1.5 under its target, but n = 10 is never judged
    assert (c["value"], c["n"], c["low_n"]) == (pytest.approx(2.5), 10, True)
    assert c["status"] == "low_n" and c["colour"] == LOW_N_COLOUR

    for key in ("d", "x"):
        empty = by.loc[key]
        assert empty["status"] == "no_data" and empty["colour"] == NO_DATA_COLOUR
        assert empty["n"] == 0 and math.isnan(empty["value"]) and empty["low_n"]
    assert by.loc["d"]["reference_kind"] == "average"


def test_scores_interval_is_the_student_t_one(scores_result):
    from scipy.stats import t

    a = heatmap.scores(scored_journey(), scores_result, "csat").set_index("touchpoint").loc["a"]
    margin = t.ppf(0.975, 39) * sample_se(A)
    assert (a["low"], a["high"], a["margin"]) == (pytest.approx(4 - margin), pytest.approx(4 + margin),
                                                  pytest.approx(margin))


def test_scores_with_a_benchmark_reference_and_a_stricter_alpha(scores_result):
    journey = scored_journey()
    benchmark = [4.2, 4.0, 4.0, 4.0, 4.0, 4.0]
    scored = heatmap.scores(journey, scores_result, "csat", reference=benchmark).set_index("touchpoint")
    assert (scored["reference_kind"] == "benchmark").all()
    assert scored.loc["a"]["reference"] == 4.2 and scored.loc["a"]["target"] == 4.5  # the target stays shown
    assert scored.loc["a"]["status"] == "on"  # 0.2 under: z ≈ −1.77
    assert scored.loc["b"]["status"] == "above"  # 1/3 over: z ≈ 3.8
    # z ≈ −1.77 is significant at alpha 0.1, not at 0.05
    assert heatmap.scores(journey, scores_result, "csat", alpha=0.1,
                          reference=benchmark).set_index("touchpoint").loc["a"]["status"] == "below"


# ------------------------------------------------------------------ steps


def scored_frame(rows) -> pd.DataFrame:
    """The columns of a ``scores`` frame that steps and compare read; a sixth field is the target (else none)."""
    rows = [(*r, math.nan) if len(r) == 5 else r for r in rows]
    return pd.DataFrame(rows, columns=["touchpoint", "value", "se", "n", "low_n", "target"])


def test_steps_z_test_and_drops_only_after_benjamini_hochberg():
    journey = Journey(
        name="Steps", stages=(Stage("s", "S"),),
        touchpoints=tuple(Touchpoint(k, k.upper(), "s") for k in ("a", "b", "c", "d", "e")),
        edges=(Edge("a", "b"), Edge("b", "c"), Edge("c", "d"), Edge("c", "e")))
    scored = scored_frame([("a", 4.5, 0.1, 200, False), ("b", 4.0, 0.1, 150, False), ("c", 3.71, 0.1, 120, False),
                           ("d", 1.0, 0.2, 12, True), ("e", 3.75, 0.1, 100, False)])
    found = heatmap.steps(journey, scored)
    assert list(zip(found["source"], found["target"])) == [("a", "b"), ("b", "c"), ("c", "d"), ("c", "e")]
    se = math.hypot(0.1, 0.1)
    z = metrics.z_value(0.95)

    ab, bc, cd, ce = (found.iloc[i] for i in range(4))
    assert ab["delta"] == pytest.approx(-0.5) and ab["se"] == pytest.approx(se)
    assert (ab["low"], ab["high"]) == (pytest.approx(-0.5 - z * se), pytest.approx(-0.5 + z * se))
    assert ab["n"] == 150
    p_ab, p_bc, p_ce = p_two_sided(-0.5 / se), p_two_sided(-0.29 / se), p_two_sided(0.04 / se)
    assert (ab["p_value"], bc["p_value"], ce["p_value"]) == (
        pytest.approx(p_ab), pytest.approx(p_bc), pytest.approx(p_ce))
    assert p_bc < 0.05  # b → c is significant on its own (z ≈ −2.05) …
    # … but BH over the three judged tests lifts it to 3/2 · p ≈ 0.06 (c → d has low n: no test)
    assert bc["q_value"] == pytest.approx(p_bc * 3 / 2) and bc["q_value"] > 0.05
    assert ab["q_value"] == pytest.approx(p_ab * 3)
    assert ce["q_value"] == pytest.approx(p_ce)
    assert math.isnan(cd["p_value"]) and math.isnan(cd["q_value"]) and cd["n"] == 12
    assert cd["delta"] == pytest.approx(-2.71)
    assert list(found["drop"]) == [True, False, False, False]
    assert not found["rise"].any()
    assert (found["planned"] == 0).all()  # no targets: nothing planned


def test_steps_test_the_change_beyond_the_planned_step_and_skip_loops_back():
    journey = Journey(
        name="Plan", stages=(Stage("one", "One"), Stage("two", "Two")),
        touchpoints=(Touchpoint("a", "A", "one"), Touchpoint("b", "B", "two"), Touchpoint("c", "C", "two"),
                     Touchpoint("d", "D", "two")),
        edges=(Edge("a", "b"), Edge("b", "a"), Edge("b", "c"), Edge("c", "d")))
    scored = scored_frame([("a", 4.5, 0.05, 300, False, 4.5), ("b", 4.0, 0.05, 300, False, 4.0),
                           ("c", 4.4, 0.05, 300, False, 4.4), ("d", 3.8, 0.05, 300, False, 4.2)])
    found = heatmap.steps(journey, scored)
    # b → a goes back to an earlier stage: not a step
    assert list(zip(found["source"], found["target"])) == [("a", "b"), ("b", "c"), ("c", "d")]
    se = math.hypot(0.05, 0.05)
    assert found["planned"].tolist() == pytest.approx([-0.5, 0.4, -0.2])
    assert found["delta"].tolist() == pytest.approx([-0.5, 0.4, -0.6])
    # a → b falls 0.5 as planned (z = 0); c → d falls 0.4 more than planned
    assert found["p_value"].tolist() == pytest.approx([1.0, 1.0, p_two_sided(-0.4 / se)])
    assert list(found["drop"]) == [False, False, True] and not found["rise"].any()


def test_steps_flag_a_significant_rise():
    journey = Journey(name="Up", stages=(Stage("s", "S"),),
                      touchpoints=(Touchpoint("a", "A", "s"), Touchpoint("b", "B", "s")), edges=(Edge("a", "b"),))
    found = heatmap.steps(journey, scored_frame([("a", 3.0, 0.1, 100, False), ("b", 3.6, 0.1, 100, False)]))
    assert list(found["rise"]) == [True] and list(found["drop"]) == [False]


# ------------------------------------------------------------------ compare


def test_compare_directions_follow_the_bh_q_values():
    current = scored_frame([("a", 4.5, 0.1, 100, False), ("b", 3.5, 0.1, 100, False), ("c", 4.05, 0.1, 100, False),
                            ("d", 2.0, 0.3, 10, True), ("e", 4.29, 0.1, 100, False)])
    baseline = scored_frame([("a", 4.0, 0.1, 100, False), ("b", 4.0, 0.1, 100, False), ("c", 4.0, 0.1, 100, False),
                             ("d", 4.0, 0.1, 100, False), ("e", 4.0, 0.1, 100, False)])
    found = heatmap.compare(current, baseline).set_index("touchpoint")
    se = math.hypot(0.1, 0.1)
    deltas = {"a": 0.5, "b": -0.5, "c": 0.05, "e": 0.29}
    raw = [p_two_sided(deltas[k] / se) if k in deltas else math.nan for k in "abcde"]
    assert found["delta"].tolist() == pytest.approx([0.5, -0.5, 0.05, -2.0, 0.29])
    assert found["delta_se"].tolist() == pytest.approx([se, se, se, math.hypot(0.3, 0.1), se])
    assert found["p_value"].tolist() == pytest.approx(raw, nan_ok=True)
    assert found["q_value"].tolist() == pytest.approx(metrics.benjamini_hochberg(raw), nan_ok=True)
    assert raw[4] < 0.05 < found.loc["e"]["q_value"]  # significant alone, not in the family of four
    assert found["direction"].tolist() == ["up", "down", "", "", ""]


# ------------------------------------------------------------------ matrix


def test_matrix_cells_network_and_benchmark_columns(tmp_path):
    journey = Journey(name="Matrix", stages=(Stage("s", "S"),),
                      touchpoints=(Touchpoint("visit", "Visit", "s"), Touchpoint("apply", "Apply", "s")),
                      edges=(Edge("visit", "apply"),))
    visit_n, visit_s, visit_none = [5, 4] * 20, [3] * 5 + [2] * 5, [4] * 3
    apply_n, apply_s = [4] * 20 + [3] * 15, [5] * 30 + [4] * 5
    answers = [("visit", "N", x) for x in visit_n] + [("visit", "S", x) for x in visit_s] + [
        ("visit", None, x) for x in visit_none] + [("apply", "N", x) for x in apply_n] + [
        ("apply", "S", x) for x in apply_s] + [("elsewhere", "N", 1)] * 40
    touchpoint, region, csat = map(list, zip(*answers))
    path = write(tmp_path / "m.parquet", touchpoint=touchpoint, region=region, csat=csat)
    cells = query.aggregate(query.Query((path,), by=("touchpoint", "region")))
    totals = query.aggregate(query.Query((path,)))
    benchmark = pd.DataFrame({"touchpoint": ["apply", "visit", "elsewhere"], "value": [4.0, 4.3, 1.0]})

    found = heatmap.matrix(journey, cells, totals, "region", "csat", benchmarks={"(benchmark)": benchmark})
    assert list(zip(found["touchpoint"], found["segment"])) == [
        ("visit", "(benchmark)"), ("visit", "(network)"), ("visit", "N"), ("visit", "S"), ("visit", "\u2013"),
        ("apply", "(benchmark)"), ("apply", "(network)"), ("apply", "N"), ("apply", "S")]

    visit_mean = (sum(visit_n) + sum(visit_s) + sum(visit_none)) / 53
    apply_mean = (sum(apply_n) + sum(apply_s)) / 70
    network = row(found, touchpoint="visit", segment="(network)")
    assert network["value"] == pytest.approx(visit_mean) and network["n"] == 53 and not network["low_n"]
    assert network["se"] == pytest.approx(sample_se(visit_n + visit_s + visit_none))
    scored = heatmap.scores(journey, totals, "csat").set_index("touchpoint")
    for key in ("visit", "apply"):
        whole = row(found, touchpoint=key, segment="(network)")
        assert (whole["value"], whole["n"], whole["colour"]) == (
            pytest.approx(scored.loc[key]["value"]), scored.loc[key]["n"], scored.loc[key]["colour"])

    north = row(found, touchpoint="visit", segment="N")
    assert north["value"] == pytest.approx(4.5) and north["n"] == 40 and not north["low_n"]
    assert north["se"] == pytest.approx(sample_se(visit_n))
    assert north["colour"] == PALETTE[5]  # (4.5 − 4.094) / 0.5 · 3 ≈ 2.4 → two steps up
    south = row(found, touchpoint="visit", segment="S")
    assert south["value"] == pytest.approx(2.5) and south["n"] == 10 and south["low_n"]
    assert south["colour"] == LOW_N_COLOUR  # far below the network, but n = 10 is not coloured as reliable
    assert row(found, touchpoint="visit", segment="\u2013")["colour"] == LOW_N_COLOUR

    assert row(found, touchpoint="apply", segment="N")["value"] == pytest.approx(125 / 35)
    assert row(found, touchpoint="apply", segment="N")["colour"] == PALETTE[0]  # 0.64 below the network's 4.21
    assert row(found, touchpoint="apply", segment="S")["colour"] == PALETTE[-1]
    assert row(found, touchpoint="apply", segment="(network)")["value"] == pytest.approx(apply_mean)

    mark = row(found, touchpoint="visit", segment="(benchmark)")
    assert mark["value"] == 4.3 and mark["n"] == 0 and not mark["low_n"] and math.isnan(mark["se"])
    assert row(found, touchpoint="apply", segment="(benchmark)")["value"] == 4.0
    assert "elsewhere" not in set(found["touchpoint"])

    plain = heatmap.matrix(journey, cells, totals, "region", "csat")
    assert "(benchmark)" not in set(plain["segment"]) and len(plain) == 7
    assert list(plain["segment"][:4]) == ["(network)", "N", "S", "\u2013"]


def test_a_significant_step_or_change_smaller_than_the_smallest_difference_is_not_marked():
    # 25 000 answers a touchpoint: a fall of 0.02 is significant (z ≈ −3.5) yet no one's business
    journey = Journey(name="Big", stages=(Stage("s", "S"),),
                      touchpoints=(Touchpoint("a", "A", "s"), Touchpoint("b", "B", "s"), Touchpoint("c", "C", "s")),
                      edges=(Edge("a", "b"), Edge("b", "c")))
    scored = scored_frame([("a", 4.02, 0.004, 25_000, False), ("b", 4.0, 0.004, 25_000, False),
                           ("c", 3.6, 0.004, 25_000, False)])
    everything = heatmap.steps(journey, scored)
    assert list(everything["drop"]) == [True, True] and everything["q_value"].max() < 0.001
    marked = heatmap.steps(journey, scored, min_delta=0.25)
    assert list(marked["drop"]) == [False, True] and not marked["rise"].any()
    # the interval is a 95 % one whatever the false-discovery rate
    loose = heatmap.steps(journey, scored, alpha=0.2)
    assert loose["high"].iloc[0] - loose["delta"].iloc[0] == pytest.approx(metrics.z_value(0.95) * math.hypot(0.004, 0.004))
    baseline = scored_frame([("a", 4.0, 0.004, 25_000, False), ("b", 4.0, 0.004, 25_000, False),
                             ("c", 4.0, 0.004, 25_000, False)])
    assert heatmap.compare(scored, baseline)["direction"].tolist() == ["up", "", "down"]
    assert heatmap.compare(scored, baseline, min_delta=0.25)["direction"].tolist() == ["", "", "down"]
