"""Integration: demo data → workspace → query → heatmap and break list recover the planted effects."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.analysis import breaks, heatmap, leaderboard
from workbench.data import query


def default_window(sources):
    return heatmap.default_window(query.date_bounds(sources))


@pytest.mark.parametrize("window", ["default", "all"])
def test_the_planted_break_tops_the_list_with_its_region_and_month(demo_survey, window):
    journey, sources, effects, cache = demo_survey
    start, end = default_window(sources) if window == "default" else (None, None)
    found = breaks.find(journey, sources, "csat", date_from=start, date_to=end, cache=cache)
    top = found[0]
    assert (top.kind, top.touchpoint, top.column, top.segment) == (
        "segment", effects.break_touchpoint, "region", effects.break_region)
    assert top.since == effects.break_from
    assert top.low <= -effects.break_csat_drop <= top.high  # the planted size is inside the reported interval
    assert top.q_value < 0.001
    assert "since March 2026" in top.sentence and effects.break_region in top.sentence
    # The region's branches are folded into it instead of filling the list.
    assert not [b for b in found if b.touchpoint == effects.break_touchpoint and b.column == "branch"
                and b.segment in " ".join(top.within)]


@pytest.mark.parametrize("metric", ["csat", "nps"])
def test_the_untouched_touchpoint_is_never_flagged_in_the_default_view(demo_survey, metric):
    journey, sources, effects, cache = demo_survey
    start, end = default_window(sources)
    found = breaks.find(journey, sources, metric, date_from=start, date_to=end, cache=cache)
    assert found, "the demo has breaks to find"
    assert [b.sentence for b in found if b.touchpoint == effects.untouched_touchpoint] == []
    assert not [b for b in found if b.kind == "decline"]  # nothing in the demo worsens in the last quarter


def test_the_heatmap_marks_the_break_when_filtered_to_its_region(demo_survey):
    journey, sources, effects, cache = demo_survey
    start, end = default_window(sources)
    region = (("region", (effects.break_region,)),)
    here = query.aggregate(query.Query(sources, date_from=start, date_to=end, filters=region), cache)
    elsewhere = query.aggregate(query.Query(sources, date_from=start, date_to=end), cache)
    scored = heatmap.scores(journey, here, "csat")
    courier = scored.set_index("touchpoint").loc[effects.break_touchpoint]
    assert courier["status"] == "below" and courier["colour"] == heatmap.PALETTE[0]
    compared = heatmap.compare(scored, heatmap.scores(journey, elsewhere, "csat")).set_index("touchpoint")
    assert compared.loc[effects.break_touchpoint, "direction"] == "down"
    assert compared.loc[effects.untouched_touchpoint, "direction"] == ""
    # Compare mode "the period before": the break's first quarter against the quarter before it.
    before = query.aggregate(query.Query(sources, date_from=dt.date(2025, 12, 1), date_to=dt.date(2026, 2, 28),
                                         filters=region), cache)
    after = query.aggregate(query.Query(sources, date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 5, 31),
                                        filters=region), cache)
    change = heatmap.compare(heatmap.scores(journey, after, "csat"),
                             heatmap.scores(journey, before, "csat")).set_index("touchpoint")
    assert change.loc[effects.break_touchpoint, "direction"] == "down"
    assert change.loc[effects.untouched_touchpoint, "direction"] == ""


def test_branch_leaderboard_ranks_only_sufficient_branches(demo_survey):
    journey, sources, effects, cache = demo_survey
    start, end = default_window(sources)
    courier = (("touchpoint", (effects.break_touchpoint,)),)
    current = query.aggregate(query.Query(sources, by=("branch",), date_from=start, date_to=end, filters=courier),
                              cache)
    board = leaderboard.rank(current, None, "branch", "csat")
    ranked = board[board["ranked"]]
    assert (ranked["n"] >= 30).all() and not board.loc[~board["ranked"], "rank"].notna().any()
    region_of = dict(query.aggregate(query.Query(sources, by=("branch", "region")), cache)[["branch", "region"]]
                     .itertuples(index=False))
    bottom = ranked.sort_values("rank").tail(3)["name"]
    assert all(region_of[name] == effects.break_region for name in bottom)  # the broken region's couriers
