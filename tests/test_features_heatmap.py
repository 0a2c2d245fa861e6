"""The Heatmap screen's features without a browser: the default matrix column, the inputs' rules, the map, the
matrix the page and the deck share (cell by cell, benchmarks included), and a survey without segment columns."""

from __future__ import annotations

import io
import math
from dataclasses import replace

import pandas as pd
import pytest

from workbench.core import formatting
from workbench.features import heatmap as features
from workbench.features import selection
from workbench.features.export import Request, gather

SEGMENTS = ("region", "branch", "channel", "employee", "customer_type")  # the demo survey's segment columns
PERIOD = {"from": "2026-06-01", "to": "2026-08-31"}


# ------------------------------------------------------------------ rules


@pytest.mark.parametrize(("columns", "current", "shown"), [
    (["branch", "region", "channel"], None, "region"),
    (["branch", "region", "channel"], "channel", "channel"),
    (["branch", "channel"], "region", "branch"),
    (["channel"], None, "channel"),
    ([], None, None),
    ([], "region", None),
])
def test_the_matrix_spreads_region_first_else_the_first_column_and_none_without_segments(columns, current, shown):
    assert features.default_column(columns, current) == shown


@pytest.mark.parametrize(("typed", "minimum"), [(30, 30), ("12", 12), (1, 2), (-5, 2), (None, 30), ("x", 30)])
def test_min_n_is_a_whole_number_of_at_least_two(typed, minimum):
    assert features.min_n(typed) == minimum


def test_break_settings_keep_a_sensible_rate_and_the_typed_smallest_difference():
    settings = features.break_settings("nps", "40", 0.2, 5, ["segment", "step"])
    assert (settings.alpha, settings.min_n, settings.kinds) == (0.2, 40, ("segment", "step"))
    assert settings.min_delta["nps"] == 5.0 and settings.min_delta["csat"] == features.MIN_DELTA["csat"]
    for alpha in (0, 1, 1.5, None):
        assert features.break_settings("csat", 30, alpha, None, []).alpha == features.DEFAULT_ALPHA
    assert features.break_settings("csat", 30, 0.05, -1, None).min_delta == features.MIN_DELTA
    assert features.break_settings("csat", 30, 0.05, None, None).kinds == ()


def test_the_filter_bar_parses_segments_into_filters():
    sep = selection.SEPARATOR
    assert selection.parse_segments([f"region{sep}North", f"branch{sep}B 1", f"region{sep}South, east"]) == (
        ("region", ("North", "South, east")), ("branch", ("B 1",)))
    assert selection.parse_segments(None) == ()


def test_matrix_rows_are_the_answered_touchpoints_in_journey_order_or_lowest_first(small_journey):
    cells = pd.DataFrame([
        ("web", features.NETWORK, 4.0, 100, False), ("web", "North", 4.4, 60, False),
        ("cart", features.NETWORK, 3.0, 80, False), ("cart", "North", 3.9, 10, True),
        ("abandon", features.NETWORK, math.nan, 0, True),
        ("delivery", features.NETWORK, 3.5, 90, False), ("delivery", "North", 3.1, 50, False),
    ], columns=["touchpoint", "segment", "value", "n", "low_n"])

    def rows(sort: str = features.JOURNEY_ORDER) -> list[str]:
        return [tp.key for tp in features.matrix_rows(small_journey, cells, sort)]

    assert rows() == ["web", "cart", "delivery"]
    assert rows(features.NETWORK) == ["cart", "delivery", "web"]
    assert rows("North") == ["delivery", "web", "cart"]  # low n last
    assert rows("South") == ["web", "cart", "delivery"]


# ------------------------------------------------------------------ on the demo


@pytest.fixture(scope="module")
def demo(seeded_demo):
    workspace, project_id, journey_id, effects = seeded_demo
    dataset_id = workspace.datasets.survey_for(project_id, journey_id).id
    data = {"project": project_id, "journey": journey_id, "dataset": dataset_id, "metric": "csat", **PERIOD,
            "segments": []}
    return workspace, data, effects


def chosen(workspace, data, **changes):
    return selection.resolve(workspace, {**data, **changes})


def test_the_map_colours_every_touchpoint_and_counts_the_answers(demo):
    workspace, data, _effects = demo
    picked = chosen(workspace, data)
    drawn = features.journey_map(workspace, picked, minimum=30, broken={"checkout"})
    keys = {tp.key for tp in picked.journey.touchpoints}
    assert set(drawn.nodes) == keys
    assert drawn.answers > 10_000 and formatting.count(drawn.answers) in drawn.summary
    assert drawn.nodes["checkout"]["broken"] and drawn.nodes["checkout"]["label"].startswith("⚠ ")
    assert all(node["fill"].startswith("#") for node in drawn.nodes.values())
    assert not drawn.comparing and drawn.legend[0][0] != drawn.legend[-1][0]
    # The demo's open actions are marked on their touchpoints.
    assert any("⚑" in node["label"] for node in drawn.nodes.values())
    before = features.journey_map(workspace, picked, compare="previous", minimum=30)
    assert before.comparing


def test_an_empty_map_says_why(demo):
    workspace, data, _effects = demo
    drawn = features.journey_map(workspace, chosen(workspace, data, **{"from": "2001-01-01", "to": "2001-01-31"}))
    assert drawn.answers == 0 and drawn.summary.endswith(features.no_answers("csat", {}))
    assert features.no_answers("csat", {"metrics": ["nps"]}) == "no CSAT answers here; this survey holds NPS."
    assert features.no_answers("csat", {"metrics": ["nps", "csat"]}) == "no answers in this selection."


def test_the_breaks_each_carry_the_action_they_would_open(demo):
    workspace, data, effects = demo
    picked = chosen(workspace, data)
    found = features.find_breaks(workspace, picked, features.break_settings("csat", 30, 0.05, None,
                                                                             features.BREAK_KINDS))
    assert found and all(f.draft.touchpoints == (f.item.touchpoint,) for f in found)
    assert any(f.item.touchpoint == effects.break_touchpoint and f.item.segment == effects.break_region
               for f in found)


def test_a_touchpoints_detail(demo):
    workspace, data, effects = demo
    picked = chosen(workspace, data)
    card = features.touchpoint_card(picked, "checkout")
    assert card.columns == list(SEGMENTS) and card.column == "region" and card.no_trend == ""
    assert features.touchpoint_card(picked, "nowhere") is None
    trend = features.trend(workspace, picked, "checkout", 30, "region", effects.break_region)
    assert [line.name for line in trend.lines] == ["everyone else", f"region {effects.break_region}"]
    assert all(len(line.series) > 3 for line in trend.lines)
    shown = features.distribution(picked, "checkout")
    assert shown.scores == [1, 2, 3, 4, 5] and sum(shown.answers) > 0 and len(shown.colours) == 5
    split = features.breakdown(workspace, picked, "checkout", "region", 30)
    assert len(split.values) >= 2 and not math.isnan(split.reference)
    assert list(split.values["value"]) == sorted(split.values["value"])
    said = features.comments(picked, "checkout", limit=5)
    assert 0 < len(said) <= 5 and all(item.text for item in said)


# ------------------------------------------------------------------ the deck equals the screen


@pytest.fixture
def benchmarked(demo):
    workspace, data, _effects = demo
    journey = workspace.journey(data["journey"]).journey
    values = {tp.key: 3.5 + 0.1 * i for i, tp in enumerate(journey.touchpoints[:6])}
    workspace.replace_benchmarks(data["journey"], [(k, "csat", v) for k, v in values.items()], "industry.csv")
    yield values
    workspace.replace_benchmarks(data["journey"], [], "")


def test_the_deck_matrix_is_the_page_matrix_cell_by_cell_benchmarks_included(demo, benchmarked):
    """One selection (a region filtered, so the whole network sits beside it, and an imported benchmark): the
    page's matrix callback and the deck's gather give the same cells."""
    from dash import html

    from cxweb.app import create_app

    workspace, data, effects = demo
    region = effects.break_region
    segments = [f"region{selection.SEPARATOR}{region}"]
    picked = chosen(workspace, data, segments=segments)
    screen = features.segment_matrix(workspace, picked, "branch", 30)
    found = gather(workspace, Request(project_id=data["project"], journey_id=data["journey"],
                                      dataset_id=data["dataset"], metric="csat", date_from=picked.date_from,
                                      date_to=picked.date_to, filters=picked.filters, matrix_column="branch",
                                      slides=("matrix",), min_n=30))
    pd.testing.assert_frame_equal(screen.cells, found.matrix)
    assert found.matrix_column == "branch" and found.benchmark_source == screen.external_source == "industry.csv"
    marks = set(found.matrix["segment"])
    assert {features.NETWORK, features.WHOLE_NETWORK, features.EXTERNAL} <= marks
    external = found.matrix[found.matrix["segment"] == features.EXTERNAL].set_index("touchpoint")["value"]
    assert external.to_dict() == pytest.approx(benchmarked)

    # What the page draws from that call: every cell's text is the deck's value.
    app = create_app(workspace)
    from cxweb.pages import heatmap as page  # registered with the app

    with app.server.app_context():
        table = page._matrix_table(picked.journey, screen, "journey")  # the matrix callback's rendering
    columns = screen.columns
    assert columns[:3] == [features.NETWORK, features.WHOLE_NETWORK, features.EXTERNAL]
    rows = [row for row in table.children.children[1].children if len(row.children) > 1]
    names = {tp.name: tp.key for tp in picked.journey.touchpoints}
    deck = {(row.touchpoint, row.segment): row for row in found.matrix.itertuples()}
    compared = 0
    for row in rows:
        key = names[row.children[0].children]
        for column, cell in zip(columns, row.children[1:], strict=True):
            expected = deck.get((key, column))
            if expected is None or math.isnan(expected.value):
                assert cell.children == ""
                continue
            value, count = cell.children
            assert isinstance(value, html.Div) and value.children == formatting.value(expected.value, "csat")
            assert count.children == (f"n {formatting.count(expected.n)}" if expected.n else "")
            assert cell.style["background"] == expected.colour
            compared += 1
    assert compared > 3 * len(rows)
    shown = {names[row.children[0].children]: row.children[1:] for row in rows}
    imported = [key for key in benchmarked if key in shown]
    assert len(imported) >= 4
    for key in imported:
        assert shown[key][2].children[0].children == formatting.value(benchmarked[key], "csat")

    # The deck's matrix slide shows the same reference columns with the same values.
    from pptx import Presentation

    from workbench.export import deck as decks

    slides = Presentation(io.BytesIO(decks.build(found))).slides
    tables = [shape.table for slide in slides for shape in slide.shapes if shape.has_table]
    assert tables
    by_name = {tp.name: tp.key for tp in picked.journey.touchpoints}
    checked = 0
    for table in tables:
        header = [cell.text for cell in table.rows[0].cells]
        assert header[1:4] == ["Total", "Whole network", "Benchmark"]
        for row in list(table.rows)[1:]:
            cells = [cell.text for cell in row.cells]
            key = by_name.get(cells[0])
            if key is None:  # a long name shortened on the slide
                continue
            for position, column in enumerate(columns[:3], 1):
                expected = deck[(key, column)] if (key, column) in deck else None
                if expected is None or math.isnan(expected.value):
                    continue
                on_slide = cells[position].split("\n")[0]
                assert on_slide == formatting.value(expected.value, "csat")
                assert on_slide == shown[key][position - 1].children[0].children  # the page's cell
                checked += 1
    assert checked >= 3 * 5


def test_the_deck_map_and_breaks_are_the_pages(demo):
    workspace, data, _effects = demo
    segments = [f"channel{selection.SEPARATOR}app"]
    picked = chosen(workspace, data, segments=segments)
    found = gather(workspace, Request(project_id=data["project"], journey_id=data["journey"],
                                      dataset_id=data["dataset"], metric="csat", date_from=picked.date_from,
                                      date_to=picked.date_to, filters=picked.filters, slides=("map", "breaks")))
    pd.testing.assert_frame_equal(found.scores, features.scores(workspace, picked, 30))
    drawn = features.journey_map(workspace, picked)
    assert found.provenance.answers == drawn.answers > 0
    page = features.find_breaks(workspace, picked, features.break_settings("csat", 30, None, None,
                                                                            features.BREAK_KINDS))
    assert [b.sentence for b in found.breaks] == [f.item.sentence for f in page] and page


# ------------------------------------------------------------------ a survey without segment columns


@pytest.fixture(scope="module")
def bare(seeded_demo, tmp_path_factory):
    """The demo survey's answers without any segment column, as a second project."""
    from workbench.data import demodata
    from workbench.data.templates import load_template

    workspace, *_ = seeded_demo
    journey = load_template("ecommerce-delivery")
    table = demodata.generate(journey, answers=3_000).survey.drop(list(SEGMENTS))
    project_id = workspace.create_project("No segments")
    journey_id = workspace.create_journey(project_id, journey)
    info = workspace.datasets.add_table(project_id, table, "Survey", "survey", journey_id=journey_id)
    return workspace, {"project": project_id, "journey": journey_id, "dataset": info.id, "metric": "csat",
                       "from": None, "to": None, "segments": []}


def test_a_survey_without_segment_columns_has_a_map_and_no_matrix(bare):
    workspace, data = bare
    picked = chosen(workspace, data)
    assert picked.segment_columns() == []
    assert features.matrix_columns(workspace, data["dataset"]) == ([], None)
    assert features.journey_map(workspace, picked).answers > 0
    card = features.touchpoint_card(picked, "checkout")
    assert card.columns == [] and card.column is None
    assert all(item.where == "" for item in features.comments(picked, "checkout"))
    found = gather(workspace, Request(project_id=data["project"], journey_id=data["journey"],
                                      dataset_id=data["dataset"]))
    assert found.matrix is None and found.matrix_column is None
    with pytest.raises(ValueError, match="no segment column 'region'"):
        gather(workspace, Request(project_id=data["project"], journey_id=data["journey"],
                                  dataset_id=data["dataset"], matrix_column="region", slides=("matrix",)))


def test_the_map_marks_drops_by_the_lists_smallest_difference_and_says_how_a_break_was_clustered():
    from workbench.analysis import breaks

    assert features.smallest_difference("nps") == breaks.MIN_DELTA["nps"] == 10.0
    assert features.smallest_difference("csat", 0.1) == 0.1 and features.smallest_difference("csat", -1) == 0.25
    item = breaks.Break("segment", "nps", "t", -5.0, 10.0, -15.0, -25.0, -5.0, 80, 0.001, 0.01, 7.5, "",
                        clustering="branch × month", clusters=147, design_effect=1.4213)
    assert features.clustering_note(item) == "×1.42 · 147 clusters (branch × month)"
    assert features.clustering_note(replace(item, clustering="", clusters=0, design_effect=None)) == (
        "independent answers")
    found = [features.FoundBreak(item, None)]
    assert features.interval_label(found) == "95\u00a0% interval"
    assert features.interval_label([features.FoundBreak(replace(item, confidence=0.9), None)]) == "90\u00a0% interval"


def test_a_node_shows_a_lopsided_nps_interval_as_its_bounds_not_a_margin():
    from workbench.core import metrics
    from workbench.features.heatmap import score_line

    every_one_a_promoter = metrics.nps(metrics.NpsCounts(promoters=30))
    line = score_line(every_one_a_promoter.value, every_one_a_promoter.margin, 30, "nps",
                      every_one_a_promoter.low, every_one_a_promoter.high)  # fmt: skip
    assert line == "+100 (+77…+100) · n 30"
    assert score_line(4.214, 0.0449, 2230, "csat", 4.1691, 4.2589) == "4.21 ± 0.04 · n 2\u00a0230"
