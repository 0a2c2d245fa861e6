"""While a page computes: a spinner over the previous result, kept visible and greyed, never a blank space."""

from __future__ import annotations

from dash import dcc

# Dash's default hides the children while they update (visibility: hidden), which blanks a page for the seconds a
# large survey takes; the previous result stays readable instead, greyed so it is not taken for the new one, and
# does not take clicks: a link or button in a result being replaced would act on what is no longer there.
KEPT = {"visibility": "visible", "opacity": 0.45, "filter": "grayscale(60%)", "pointerEvents": "none"}
DELAY_MS = 300  # a callback faster than this shows no spinner at all: no flicker on every click


def busy(children, **extra) -> dcc.Loading:
    """``children`` under a spinner shown while a callback updates them, the previous result greyed meanwhile."""
    return dcc.Loading(children, **{"delay_show": DELAY_MS, "overlay_style": KEPT, **extra})
