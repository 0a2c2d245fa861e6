"""The Data page's form → mapping (features.data.form_mapping), without a browser: what the user sees is what is
imported; and the page's layout."""

from __future__ import annotations

import pytest

from cxweb.app import create_app
from workbench.core.contract import OVERALL
from workbench.core.errors import IngestError
from workbench.features.data import form_mapping

FIELDS = ("ts", "touchpoint", "respondent_id", "response_id", "nps", "csat", "ces", "rating", "comment")


@pytest.fixture
def page(workspace):
    app = create_app(workspace)
    from cxweb.pages import (
        data,  # registers itself with the app: imported once the app exists
    )

    with app.server.app_context():
        yield data


def form(**chosen):
    return {name: chosen.get(name, "__none__") for name in FIELDS}


EXTRA = {"date_format": "__auto__", "wave": "2026-03", "outcome": "Satisfied", "twice_ok": False, "exclude": {}}


def test_a_hidden_field_of_another_kind_neither_maps_nor_takes_a_ticked_segment(page):
    """The issue's case: the long-file touchpoint field still held "Branch" when the file became wide."""
    fields = form(touchpoint="Branch", nps="Branch", respondent_id="id")
    wide = {"Q1": ("web", "csat", 1, 5), "happy": (OVERALL, "yesno", 0, 1)}
    mapping = form_mapping("wide", fields, ["Branch"], [], "0", 1, 10, wide, {}, {"happy": {"yes": 1, "no": 0}},
                            EXTRA)
    assert mapping.segments == ("Branch",) and mapping.touchpoint is None and mapping.nps is None
    assert [(w.column, w.metric, w.scale) for w in mapping.wide] == [("Q1", "csat", None), ("happy", "rating", (0, 1))]
    assert mapping.column_na_codes("Q1") == ("0",) and mapping.column_na_codes("happy") == ()
    assert (mapping.wave, mapping.ts, mapping.outcome_label) == ("2026-03", None, "Satisfied")


def test_two_columns_on_one_touchpoint_wait_for_the_users_word(page):
    wide = {"Onboard service": ("onboard", "csat", 1, 5), "Onboard wifi service": ("onboard", "csat", 1, 5)}
    with pytest.raises(IngestError, match="mapped to one touchpoint"):
        form_mapping("wide", form(respondent_id="id"), [], [], "", 1, 10, wide, {}, {}, EXTRA)
    mapping = form_mapping("wide", form(respondent_id="id"), [], [], "", 1, 10, wide, {}, {},
                            {**EXTRA, "twice_ok": True})
    assert len(mapping.wide) == 2


def test_no_date_and_no_wave_asks_for_either_and_a_wave_is_checked_before_the_file_is_read(page):
    with pytest.raises(IngestError, match="fieldwork wave"):
        form_mapping("wide", form(), [], [], "", 1, 10, {"Q1": ("web", "csat", 1, 5)}, {}, {}, {**EXTRA, "wave": ""})
    with pytest.raises(ValueError, match="not a month"):
        form_mapping("wide", form(), [], [], "", 1, 10, {"Q1": ("web", "csat", 1, 5)}, {}, {},
                      {**EXTRA, "wave": "2026-13"})


def test_the_page_lays_out_with_every_encoding_named(page, workspace):
    from workbench.data import ingest

    assert set(page.ENCODING_LABELS) == set(ingest.ENCODINGS)
    workspace.create_project("Client")
    assert page.layout() is not None
