"""Reviews & audits page: the sources beyond surveys, a tab each (online reviews; mystery shopping)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from cxweb.pages import _audits, _reviews
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _

dash.register_page(
    __name__,
    path="/sources",
    name=N_("Reviews & audits"),
    order=5.5,
    group="data",  # one menu of the navigation bar (cxweb.app.NAV_GROUPS)
    icon="fa-star-half-stroke",
    title=lambda **_path: _("Reviews & audits · CX Journey Workbench"),
)


def layout(**_query) -> html.Div:
    """The two sources' tabs: reviews first."""
    return html.Div(
        dbc.Tabs(
            [
                dbc.Tab(_reviews.layout(), label=_("Reviews"), tab_id="reviews"),
                dbc.Tab(_audits.layout(), label=_("Mystery shopping"), tab_id="audits"),
            ],
            id="so-tabs",
            active_tab="reviews",
            className="mb-3",
        )
    )
