"""The Mystery shopping tab of the Reviews & audits page (``cxweb/pages/sources.py``): its layout and callbacks."""

from __future__ import annotations

from dash import html


def layout() -> html.Div:
    """The tab's content."""
    return html.Div(id="audits-tab")
