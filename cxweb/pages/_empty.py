"""Empty states: a page whose analysis does not apply to the data says in one sentence what to import, with a link
to the Data page, and draws no empty chart (:func:`workbench.export.figures.empty` in the charts' place)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc

from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _

DATA_PAGE = "{data_page}"  # where a sentence's link to the Data page goes
NO_SURVEY = N_("This project has no survey answers: import a survey on the {data_page}.")
NO_OVERALL = N_(
    "This survey has no overall score to explain: import it again on the {data_page} with its overall "
    "question (likelihood to recommend, satisfaction or a yes/no outcome) mapped."
)
NO_COMMENTS = N_(
    "This survey has no comments: import one with its open-answer column mapped as the comment on the {data_page}."
)
NO_KPIS = N_(
    "This project has no KPIs per period: import a KPI table, such as revenue per branch and month, on the "
    "{data_page} to put a value on a score change."
)
NO_SEGMENTS = N_(
    "This survey has no segment columns to spread across the matrix: import it again on the {data_page} "
    "with its region, branch or channel columns kept as segments."
)
NOT_NPS = N_(
    "The ROI chain starts from an overall likelihood-to-recommend (NPS) question, and this survey's overall "
    "outcome is {outcome}: import a survey with an NPS question on the {data_page}."
)


def notice(sentence: str, id_: str | None = None, **values: str) -> dbc.Alert:
    """``sentence`` (one of this module's, marked with N_ and translated here, or any with ``{data_page}`` in it) as
    an info box whose ``{data_page}`` is a link to the Data page; ``values`` fill its other fields (user text stays
    text)."""
    before, _sep, after = _(sentence).partition(DATA_PAGE)
    return dbc.Alert(
        [
            before.format(**values),
            dcc.Link(_("Data page"), href="/data", className="alert-link"),
            after.format(**values),
        ],
        color="info",
        className="py-2 cx-empty",
        **({"id": id_} if id_ else {}),
    )
