"""Integration: demo data → workspace → verification recovers the planted improvement and leaves the control alone."""

from __future__ import annotations

import pytest

from workbench.analysis.verify import Windows, verify

EIGHT_WEEKS = Windows(before_weeks=8, after_weeks=8)


@pytest.fixture
def demo(demo_survey):
    """Sources, planted effects, touchpoint names and the cache of the shared demo survey."""
    journey, sources, effects, cache = demo_survey
    return sources, effects, {tp.key: tp.name for tp in journey.touchpoints}, cache


def test_the_pilot_regions_improvement_is_found_and_sized(demo):
    sources, effects, names, cache = demo
    result = verify(sources, [effects.improved_touchpoint], effects.improved_from, windows=EIGHT_WEEKS,
                    segment="region", treated=effects.improved_regions, cache=cache, names=names)
    assert (result.verdict, result.method) == ("improved", "difference_in_differences")
    assert result.effect_low <= effects.improvement_csat <= result.effect_high
    assert result.effect_p < 0.05 and min(result.n_before, result.n_after) >= 30
    assert result.sentence.startswith(f"CSAT at {names[effects.improved_touchpoint]} rose by ")
    assert result.sentence.endswith(": improved.") and "elsewhere" in result.sentence


def test_the_improvement_shows_without_a_control_too(demo):
    sources, effects, _, cache = demo
    result = verify(sources, [effects.improved_touchpoint], effects.improved_from, windows=EIGHT_WEEKS, cache=cache)
    assert (result.verdict, result.method, result.effect) == ("improved", "before_after", None)


@pytest.mark.parametrize("scoped", [True, False])
def test_the_untouched_touchpoint_shows_no_change(demo, scoped):
    sources, effects, _, cache = demo
    scope = {"segment": "region", "treated": effects.improved_regions} if scoped else {}
    result = verify(sources, [effects.untouched_touchpoint], effects.improved_from, windows=EIGHT_WEEKS, cache=cache,
                    **scope)
    assert result.verdict == "no_change"
    assert result.method == ("difference_in_differences" if scoped else "before_after")
    assert min(result.n_before, result.n_after) >= 30
