"""PPTX deck: the demo's findings as native shapes, tables and charts with provenance in the notes, and a
60-touchpoint map laid out without overlaps, its text measured to fit and checked in LibreOffice's rendering; a
file name per scenario picture."""

from __future__ import annotations

import datetime
import io
import itertools
import math
import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from lxml import etree
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE, MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from pptx.util import Emu

from workbench.analysis import heatmap
from workbench.core import formatting, metrics
from workbench.core.journey import Edge, Journey, Owner, Stage, Touchpoint, main_path
from workbench.export import deck, maplayout
from workbench.export.figures import QUADRANT_COLOURS
from workbench.features.export import Findings, Provenance, Request, gather

NOW = datetime.datetime(2026, 11, 2, 9, 30)
EPS = 1e-4  # inches: shapes are placed in whole EMUs


def inches(value: int) -> float:
    return Emu(value).inches


def title(slide) -> str:
    """A content slide's title: its first text box."""
    return slide.shapes[0].text_frame.text


def texts(slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


def slides_titled(presentation, start: str) -> list:
    return [s for s in list(presentation.slides)[1:] if title(s).startswith(start)]


def runs(shape) -> list[tuple[str, float, bool]]:
    """(text, size in points, bold) of each paragraph of a shape, from its first run."""
    found = []
    for paragraph in shape.text_frame.paragraphs:
        run = paragraph.runs[0]._r
        properties = run.find(qn("a:rPr"))
        found.append((paragraph.text, int(properties.get("sz")) / 100, properties.get("b") == "1"))
    return found


def fill_of(shape) -> str:
    return str(shape.fill.fore_color.rgb).upper()


def touchpoint_shapes(slide) -> dict:
    return {s.name.removeprefix("Touchpoint "): s for s in slide.shapes if s.name.startswith("Touchpoint ")}


# ------------------------------------------------------------------ the demo's deck


@pytest.fixture(scope="module")
def demo_findings(seeded_demo) -> Findings:
    workspace, project_id, journey_id, _effects = seeded_demo
    return gather(workspace, Request(project_id, journey_id), now=NOW)


@pytest.fixture(scope="module")
def demo_deck(demo_findings):
    return Presentation(io.BytesIO(deck.build(demo_findings)))


def test_demo_deck_is_16_9_and_opens_with_the_selection(demo_deck, demo_findings):
    assert inches(demo_deck.slide_width) == pytest.approx(13.333, abs=1e-3)
    assert inches(demo_deck.slide_height) == pytest.approx(7.5, abs=1e-6)
    facts = demo_findings.provenance
    assert facts.project == "Demo: Parcel Express" and facts.filters == "all customers"
    shown = "\n".join(texts(demo_deck.slides[0]))
    for part in (facts.project, facts.journey, facts.period(), "all customers",
                 f"{facts.dataset}, version {facts.dataset_version}", f"{formatting.count(facts.answers)} answers"):
        assert part in shown, part
    assert facts.period() == f"{facts.date_from} – {facts.date_to}"


def test_demo_map_has_every_touchpoint_once_coloured_and_scored(demo_deck, demo_findings):
    journey, metric = demo_findings.journey, demo_findings.provenance.metric
    pages = maplayout.plan(journey)
    map_slides = slides_titled(demo_deck, "Journey map")
    assert len(map_slides) == len(pages) >= 2
    scored = demo_findings.scores.set_index("touchpoint")
    broken = {b.touchpoint for b in demo_findings.breaks}
    seen = Counter()
    for slide, page in zip(map_slides, pages):
        shapes = touchpoint_shapes(slide)
        assert set(shapes) == {box.key for box in page.boxes}
        for box in page.boxes:
            shape, row = shapes[box.key], scored.loc[box.key]
            seen[box.key] += 1
            assert shape.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE
            assert shape.auto_shape_type == MSO_SHAPE.ROUNDED_RECTANGLE
            assert (inches(shape.left), inches(shape.top)) == (pytest.approx(box.left, abs=1e-4),
                                                               pytest.approx(box.top, abs=1e-4))
            assert fill_of(shape) == row["colour"].lstrip("#").upper()
            lines = runs(shape)
            name = " ".join(text for text, _size, bold in lines if bold)
            assert name == ("⚠ " if box.key in broken else "") + row["name"]
            details = [text for text, _size, bold in lines if not bold]
            if row["status"] == "no_data":
                assert details[0] == "no answers"
            else:
                assert details[0] == (f"{formatting.value(row['value'], metric)} ± "
                                      f"{formatting.value(row['margin'], metric)}")
                assert details[1].startswith(f"n {formatting.count(int(row['n']))}")
    assert seen == Counter({tp.key: 1 for tp in journey.touchpoints})
    assert broken and any(n >= 1000 for n in scored["n"])  # the ⚠ and the no-break space were both shown


def connections(slide) -> list[tuple[tuple[int, int], tuple[int, int], etree._Element]]:
    """Each connector: the ids of the shapes its begin and end are glued to, and the connection sites used."""
    found = []
    for connector in slide.shapes._spTree.iter(qn("p:cxnSp")):
        glue = connector.find(qn("p:nvCxnSpPr")).find(qn("p:cNvCxnSpPr"))
        begin, end = glue.find(qn("a:stCxn")), glue.find(qn("a:endCxn"))
        found.append(((int(begin.get("id")), int(end.get("id"))), (int(begin.get("idx")), int(end.get("idx"))),
                      connector))
    return found


def test_demo_map_connectors_are_glued_to_their_boxes_with_arrowheads(demo_deck, demo_findings):
    pages = maplayout.plan(demo_findings.journey)
    names = {tp.key: tp.name for tp in demo_findings.journey.touchpoints}
    edges = loops = 0
    for slide, page in zip(slides_titled(demo_deck, "Journey map"), pages):
        ids = {key: shape.shape_id for key, shape in touchpoint_shapes(slide).items()}
        found = connections(slide)
        glued = {pair: (sites, connector) for pair, sites, connector in found}
        assert len(found) == len(glued) == len(page.edges)
        order = {element: i for i, element in enumerate(slide.shapes._spTree)}
        bands = [order[s._element] for s in slide.shapes if s.name.startswith("Stage ")]
        boxes = [order[s._element] for s in touchpoint_shapes(slide).values()]
        assert all(max(bands) < order[c] < min(boxes) for *_g, c in found)  # above the bands, behind the boxes
        boxed = {box.key: box for box in page.boxes}
        for source, target in page.edges:
            sites, connector = glued[(ids[source], ids[target])]
            a, b = boxed[source], boxed[target]  # right side to left side, or bottom to top down a column
            assert sites == ((3, 1) if b.left > a.left + EPS else (2, 0) if b.top > a.top else (0, 2))
            tail = connector.find(qn("p:spPr")).find(qn("a:ln")).find(qn("a:tailEnd"))
            assert tail is not None and tail.get("type") == "triangle"
            edges += 1
        loop_text = [t for t in texts(slide) if "Loops back: " in t]
        if page.loops:
            assert len(loop_text) == 1
            for source, target in page.loops:
                assert f"{names[source]} → {names[target]}" in loop_text[0]
            loops += len(page.loops)
        else:
            assert not loop_text
        shown = texts(slide)
        for _colour, label in heatmap.legend(demo_findings.provenance.metric):
            assert label in shown
    assert edges >= 20 and loops >= 2  # the demo's map has both


def test_demo_matrix_cells_are_coloured_like_the_heatmap_matrix(demo_deck, demo_findings):
    metric, column, long = demo_findings.provenance.metric, demo_findings.matrix_column, demo_findings.matrix
    assert column == "region"
    cells = {(row.touchpoint, row.segment): row for row in long.itertuples()}
    keys = {tp.name: tp.key for tp in demo_findings.journey.touchpoints}
    checked = Counter()
    for slide in slides_titled(demo_deck, f"{metrics.NAMES[metric]} by {column}"):
        table = next(s for s in slide.shapes if s.has_table).table
        header = [cell.text for cell in table.rows[0].cells]
        assert header[:2] == ["Touchpoint", "Total"]
        values = set(long["segment"]) - {"(network)"}
        segments = ["(network)"]  # a long segment name is shortened with '…' in the header
        for shown in header[2:]:
            (segment,) = [v for v in values if v == shown or shown.endswith("…") and v.startswith(shown[:-1])]
            segments.append(segment)
        for row in list(table.rows)[1:]:
            key = keys[row.cells[0].text]
            for cell, segment in zip(list(row.cells)[1:], segments):
                expected = cells[(key, segment)]
                fill = cell._tc.tcPr.find(qn("a:solidFill")).find(qn("a:srgbClr")).get("val")
                assert fill.upper() == expected.colour.lstrip("#").upper()
                assert cell.text.split("\n")[0] == formatting.value(expected.value, metric)
                checked[fill.upper()] += 1
    assert sum(checked.values()) >= 50 and len(checked) >= 3  # many cells, not all of one colour


def test_demo_drivers_are_native_scatter_and_bar_charts(demo_deck, demo_findings):
    assert demo_findings.outcome.what_drives() == "What drives NPS"  # the demo's overall question is an NPS
    (slide,) = slides_titled(demo_deck, "What drives NPS")
    charts = {frame.chart.chart_type: frame.chart for frame in slide.shapes if frame.has_chart}
    assert set(charts) == {XL_CHART_TYPE.XY_SCATTER, XL_CHART_TYPE.BAR_CLUSTERED}
    ranked = demo_findings.priorities
    assert len(ranked) >= 3
    scatter = charts[XL_CHART_TYPE.XY_SCATTER].plots[0].series[0]
    assert list(scatter.values) == pytest.approx([float(s * 100) for s in ranked["share"]])
    key = next(s for s in slide.shapes if s.has_text_frame and "Fix first" in s.text_frame.text)
    colours = [str(run.font.color.rgb) for run in key.text_frame.paragraphs[0].runs if run.text == "● "]
    assert colours == [c.lstrip("#").upper() for c in QUADRANT_COLOURS.values()] and len(colours) == 4
    bars = charts[XL_CHART_TYPE.BAR_CLUSTERED].plots[0].series[0]
    assert len(list(bars.values)) == len(ranked)
    assert list(bars.values) == pytest.approx(sorted(round(float(s) * 100, 1) for s in ranked["share"]))


def test_demo_deck_writes_every_colour_as_six_hex_digits(demo_deck):
    parts = [p for p in demo_deck.part.package.iter_parts() if "/slides/" in p.partname or "/charts/" in p.partname]
    values = [c.get("val") for part in parts for c in part._element.iter(qn("a:srgbClr"))]
    assert len(parts) >= 12 and len(values) >= 500
    assert [v for v in values if not re.fullmatch("[0-9A-Fa-f]{6}", v)] == []  # '#dc3545' makes PowerPoint repair


def test_demo_roi_slide_per_saved_scenario_with_its_verdict(demo_deck, demo_findings, seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    saved = [s for s in workspace.scenarios.list(project_id) if s.scenario.journey_id == journey_id]
    roi_slides = slides_titled(demo_deck, "What it is worth: ")
    assert len(roi_slides) == len(saved) == len(demo_findings.scenarios) >= 2
    for slide, item in zip(roi_slides, demo_findings.scenarios):
        assert item.outcome is not None, item.error
        assert item.name[:20] in title(slide)
        (verdict,) = [s for s in slide.shapes if s.name == "Verdict"]
        assert verdict.text_frame.text.startswith("Supported by the data" if item.outcome.supported
                                                  else "Not supported by the data")
        assert {s.name for s in slide.shapes} >= {"Figure ROI", "Figure NPV", "Figure Payback"}


@pytest.mark.parametrize(("npv_range", "p_positive", "starts", "fill"), [
    ((-9e5, -5e5, -1e5), 0.0, "The links are significant, but the scenario does not pay", "F8D7DA"),
    ((-1e5, 2e5, 5e5), 0.7, "The links are significant, but whether the scenario pays is uncertain", "FFF3CD"),
    ((1e5, 2e5, 5e5), 1.0, "Supported by the data", "D1E7DD"),
])
def test_a_roi_slides_banner_is_the_pages_verdict_green_only_when_the_scenario_pays(
        demo_findings, npv_range, p_positive, starts, fill):
    from workbench.features import roi as roi_feature

    item = next(i for i in demo_findings.scenarios if i.outcome is not None and i.outcome.supported)
    outcome = replace(item.outcome, npv_range=npv_range, p_roi_positive=p_positive)
    findings = replace(demo_findings, scenarios=[replace(item, outcome=outcome)],
                       request=replace(demo_findings.request, slides=("roi",)))
    slides = Presentation(io.BytesIO(deck.build(findings))).slides
    (banner,) = [s for slide in slides for s in slide.shapes if s.name == "Verdict"]
    assert banner.text_frame.text.startswith(starts)
    assert roi_feature.verdict(outcome).text.startswith(banner.text_frame.text.removesuffix("…"))
    assert str(banner.fill.fore_color.rgb) == fill



def test_pictures_of_scenarios_whose_names_slug_alike_each_get_their_own_file(demo_findings):
    from workbench.export import images

    item = demo_findings.scenarios[0]
    names = ("Faster checkout!", "faster  checkout", "Faster checkout 2", "Zrychlení", "结账", "", "x" * 100)
    charts = images.charts(replace(demo_findings, scenarios=tuple(replace(item, name=n) for n in names)))
    stems = [name.removesuffix("-waterfall") for name in charts if name.endswith("-waterfall")]
    assert stems == ["roi-faster-checkout", "roi-faster-checkout-2", "roi-faster-checkout-2-2", "roi-zrychleni",
                     "roi", "roi-2", "roi-" + "x" * 40]  # none dropped: one picture pair per scenario
    assert [name for name in charts if name.endswith("-tornado")] == [f"{stem}-tornado" for stem in stems]


def test_demo_action_plan_lists_the_journeys_actions(demo_deck, demo_findings, seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    cards = workspace.actions.list(project_id, journey_id)
    tables = [next(s for s in slide.shapes if s.has_table).table for slide in slides_titled(demo_deck, "Action plan")]
    rows = [row for table in tables for row in list(table.rows)[1:]]
    assert len(rows) == len(cards) >= 3
    assert sorted(row.cells[0].text for row in rows) == sorted(
        maplayout.shorten(card.title, 3.6 - 0.12, 10) for card in cards)
    assert {row.cells[6].text for row in rows} <= set(deck.STATUS_NAMES.values())


def test_demo_every_slide_has_provenance_notes(demo_deck, demo_findings):
    facts = demo_findings.provenance
    assert len(demo_deck.slides) >= 10
    for slide in demo_deck.slides:
        assert slide.has_notes_slide
        notes = slide.notes_slide.notes_text_frame.text
        assert "Provenance" in notes and f"{facts.dataset}, version {facts.dataset_version}" in notes
        assert f"period {facts.period()}" in notes


# ------------------------------------------------------------------ style and slide choice


def png(width: int = 240, height: int = 80) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "#FFFFFF")
    ImageDraw.Draw(image).rectangle((10, 10, width - 10, height - 10), fill="#8A2BE2")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_style_brand_colours_titles_and_logo_is_a_picture(demo_findings):
    logo = png()
    chosen = replace(demo_findings, request=replace(demo_findings.request, slides=("title", "matrix", "actions")))
    presentation = Presentation(io.BytesIO(deck.build(chosen, deck.Style(brand="#8a2be2", logo=logo))))
    assert len(presentation.slides) >= 3
    for i, slide in enumerate(presentation.slides):
        heading = slide.shapes[1 if i == 0 else 0]  # the title slide opens with its brand band
        assert runs(heading)[0][0] == (demo_findings.provenance.project if i == 0 else title(slide))
        assert heading.text_frame.paragraphs[0].runs[0].font.color.rgb == deck._rgb("8A2BE2")
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1 and pictures[0].image.blob == logo
        picture = pictures[0]
        assert inches(picture.width) / inches(picture.height) == pytest.approx(3.0, rel=1e-3)
        assert inches(picture.left + picture.width) <= 13.333 and inches(picture.top) >= 0
    header = next(s for s in presentation.slides[1].shapes if s.has_table).table.cell(0, 0)
    assert header._tc.tcPr.find(qn("a:solidFill")).find(qn("a:srgbClr")).get("val") == "8A2BE2"
    band = presentation.slides[0].shapes[0]
    assert fill_of(band) == "8A2BE2"


@pytest.mark.parametrize("brand", ["blue", "#12345", "#12345G", "0D6EFD0"])
def test_style_refuses_a_bad_colour(brand):
    with pytest.raises(ValueError, match="not a colour"):
        deck.Style(brand=brand)


def test_style_refuses_a_logo_that_is_no_picture():
    from PIL import Image

    with pytest.raises(ValueError, match="not an image"):
        deck.Style(logo=b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    bitmap = io.BytesIO()
    Image.new("RGB", (4, 4)).save(bitmap, "BMP")
    with pytest.raises(ValueError, match="use PNG or JPEG"):
        deck.Style(logo=bitmap.getvalue())
    assert deck.Style(brand="0d6efd", logo=png()).hex == "0D6EFD"


@pytest.mark.parametrize("slides", [("title", "actions"), ("actions", "title"), ("title",)])
def test_only_the_slides_asked_for_in_their_order(seeded_demo, slides):
    workspace, project_id, journey_id, _effects = seeded_demo
    found = gather(workspace, Request(project_id, journey_id, slides=slides), now=NOW)
    assert found.matrix is None and found.drivers is None and not found.scenarios and not found.breaks
    presentation = Presentation(io.BytesIO(deck.build(found)))
    assert len(presentation.slides) == len(slides)
    for slide, name in zip(presentation.slides, slides):
        if name == "title":
            assert found.provenance.project in texts(slide) and not any(s.has_table for s in slide.shapes)
        else:
            assert title(slide) == "Action plan" and any(s.has_table for s in slide.shapes)


# ------------------------------------------------------------------ a long journey: 60 touchpoints, 8 stages

NAMES = {
    "Discover": [["Search engine result for parcel delivery comparison", "Social media advert with spring offer"],
                 ["Price comparison site listing", "Friend's recommendation in a group chat",
                  "Influencer video review"],
                 ["Landing page with delivery options explained"]],
    "Explore": [["Product detail page with size guide"],
                ["Customer reviews and questions section", "Live chat with a sales advisor",
                 "Delivery cost calculator"],
                ["Wish list", "Comparison of three similar products side by side"]],
    "Order": [["Shopping cart"], ["Sign-in or guest checkout decision"],
              ["Address entry with postcode lookup", "Delivery slot selection", "Gift wrapping and message"],
              ["Voucher code", "Loyalty points redemption"], ["Order summary review"]],
    "Pay": [["Payment method choice"],
            ["Card payment with 3-D Secure verification", "Bank transfer", "Buy now, pay later instalments",
             "Digital wallet", "Payment failed and retry page"],
            ["Payment confirmation screen"]],
    "Fulfil": [["Confirmation e-mail with delivery window and tracking link"], ["Warehouse picking", "Backorder notice"],
               ["Quality check"], ["Packing with recyclable materials", "Split shipment notice"],
               ["Customs declaration"], ["Handover to carrier"], ["Sorting hub scan"], ["Regional depot arrival"],
               ["Tracking page with live map", "SMS dispatch notification"]],
    "Deliver": [["Out-for-delivery notification", "Delivery reschedule request"],
                ["Courier doorstep delivery", "Parcel locker pick-up", "Pick-up point collection",
                 "Safe place delivery with photo proof"],
                ["Failed delivery card through the letterbox", "Second delivery attempt"],
                ["Delivery confirmation"]],
    "Use": [["Unboxing and first impression"],
            ["Setting up the product with the quick start guide", "Warranty registration"],
            ["Satisfaction survey invitation", "Product review request"]],
    "Support": [["Customer service hotline with queue callback", "E-mail complaint form"],
                ["Return label self-service portal", "Refund status enquiry"],
                ["Refund issued to the original payment method", "Exchange for another size",
                 "Complaint escalation to a team leader"]],
}
OWNERS = ("Marketing", "E-commerce platform team", "Customer Operations & Logistics Partnerships",
          "Payments", "Warehouse", "Last-mile delivery partners", "Customer care")


def long_journey() -> Journey:
    """8 stages of steps of parallel touchpoints: each step's first touchpoint branches to the whole next step,
    the others run straight on; three loops back (two within a stage, one to a stage slides earlier)."""
    stages, touchpoints, edges, previous = [], [], [], []
    for s, (stage_name, steps) in enumerate(NAMES.items()):
        stages.append(Stage(f"s{s}", stage_name))
        for step in steps:
            keys = [f"tp{len(touchpoints) + i:02d}" for i in range(len(step))]
            for i, (key, name) in enumerate(zip(keys, step)):
                touchpoints.append(Touchpoint(key, name, f"s{s}", "web", OWNERS[(s + i) % len(OWNERS)],
                                              entry=not previous))
            if previous:
                edges += [Edge(previous[0], key) for key in keys]
                edges += [Edge(source, keys[min(i, len(keys) - 1)]) for i, source in enumerate(previous) if i]
            previous = keys
    by_name = {tp.name: tp.key for tp in touchpoints}
    for source, target in (("Payment failed and retry page", "Payment method choice"),
                           ("Second delivery attempt", "Out-for-delivery notification"),
                           ("Complaint escalation to a team leader", "Shopping cart")):
        edges.append(Edge(by_name[source], by_name[target]))
    return Journey("Order to delivery, end to end", stages=tuple(stages),
                   owners=tuple(Owner(o) for o in OWNERS), touchpoints=tuple(touchpoints), edges=tuple(edges))


def long_scores(journey: Journey) -> pd.DataFrame:
    """A frame shaped like ``heatmap.scores``: every colour of the palette, low n, no data, five-digit n."""
    rows = []
    for i, tp in enumerate(journey.touchpoints):
        value = 3.4 + (i * 7 % 13) * 0.1
        n = (0 if i in (17, 44) else 12 if i % 11 == 5 else 18_000 + i * 1_234 if i % 4 == 0 else 200 + i * 37)
        status = "no_data" if n == 0 else "low_n" if n < 30 else ("below", "on", "above")[i % 3]
        colour = (heatmap.NO_DATA_COLOUR if status == "no_data" else heatmap.LOW_N_COLOUR if status == "low_n"
                  else heatmap.PALETTE[i % 7])
        margin = math.nan if n == 0 else 1.96 * 0.9 / math.sqrt(n)
        rows.append({"touchpoint": tp.key, "name": tp.name, "stage": tp.stage, "owner": tp.owner or "",
                     "value": math.nan if n == 0 else value, "se": margin / 1.96, "low": value - margin,
                     "high": value + margin, "margin": margin, "n": n, "low_n": n < 30, "target": 4.2,
                     "reference": 4.2, "reference_kind": "target", "gap": value - 4.2, "p_value": 0.01,
                     "status": status, "colour": colour})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def long_findings() -> Findings:
    journey = long_journey()
    scored = long_scores(journey)
    provenance = Provenance(project="Parcel Express", journey=journey.name, dataset="Survey answers",
                            dataset_version=3, dataset_id=7, dataset_rows=250_000, metric="csat",
                            date_from=datetime.date(2026, 8, 1), date_to=datetime.date(2026, 10, 31),
                            filters="all customers", answers=int(scored["n"].sum()), created=NOW)
    keys = [tp.key for tp in journey.touchpoints]
    broken = [SimpleNamespace(touchpoint=key) for key in keys[::6]]  # the map reads only which touchpoint broke
    return Findings(request=Request(1, 1, slides=("map",)), journey=journey, provenance=provenance, scores=scored,
                    steps=heatmap.steps(journey, scored), open_actions={key: 1 + i % 3 for i, key in
                                                                        enumerate(keys[::4])}, breaks=broken)


@pytest.fixture(scope="module")
def long_deck(long_findings) -> bytes:
    return deck.build(long_findings)


def test_long_journey_has_what_it_should():
    journey = long_journey()
    assert len(journey.touchpoints) == 60 and len(journey.stages) == 8
    assert len({tp.key for tp in journey.touchpoints}) == 60
    assert max(len(tp.name) for tp in journey.touchpoints) >= 55


def test_long_map_boxes_never_overlap_and_stay_in_their_slide_and_stage(long_deck, long_findings):
    pages = maplayout.plan(long_findings.journey)
    presentation = Presentation(io.BytesIO(long_deck))
    assert len(presentation.slides) == len(pages) >= 2
    capacity = maplayout.rows_per_column() * maplayout._columns_that_fit(maplayout.SLIDE_WIDTH - 2 * maplayout.MARGIN)
    stage_of = {tp.key: tp.stage for tp in long_findings.journey.touchpoints}
    counted = Counter()
    for slide in presentation.slides:
        boxes = touchpoint_shapes(slide)
        assert 0 < len(boxes) <= capacity
        counted.update(boxes.keys())
        bands = {s.name.removeprefix("Stage "): s for s in slide.shapes
                 if s.name.startswith("Stage ") and not s.name.startswith("Stage header ")}
        rectangles = {key: (inches(s.left), inches(s.top), inches(s.left + s.width), inches(s.top + s.height))
                      for key, s in boxes.items()}
        for key, (left, top, right, bottom) in rectangles.items():
            assert 0 <= left and right <= maplayout.SLIDE_WIDTH and 0 <= top and bottom <= maplayout.SLIDE_HEIGHT
            band = bands[stage_of[key]]  # below its header, inside its stage's band
            assert inches(band.left) - EPS <= left and right <= inches(band.left + band.width) + EPS, key
            assert maplayout.MAP_TOP + maplayout.STAGE_HEADER - EPS <= top, key
            assert bottom <= inches(band.top + band.height) + EPS, key
            assert inches(band.top + band.height) == pytest.approx(maplayout.MAP_BOTTOM, abs=EPS)
        ordered = sorted(rectangles.items())
        for i, (a, (al, at, ar, ab)) in enumerate(ordered):
            for b, (bl, bt, br, bb) in ordered[i + 1:]:
                assert ar <= bl + EPS or br <= al + EPS or ab <= bt + EPS or bb <= at + EPS, (a, b)
        band_edges = sorted((inches(b.left), inches(b.left + b.width)) for b in bands.values())
        assert all(right <= left + EPS for (_l, right), (left, _r) in itertools.pairwise(band_edges))
        assert band_edges[0][0] >= maplayout.MARGIN - EPS
        assert band_edges[-1][1] <= maplayout.SLIDE_WIDTH - maplayout.MARGIN + EPS
    assert counted == Counter({tp.key: 1 for tp in long_findings.journey.touchpoints})
    assert any(band.continued for page in pages for band in page.stages)  # a stage too wide for one slide split
    assert sum(len(page.loops) for page in pages) == 3


def test_long_map_text_fits_its_boxes_measured(long_deck, long_findings):
    presentation = Presentation(io.BytesIO(long_deck))
    names = {tp.key: tp.name for tp in long_findings.journey.touchpoints}
    whole = 0
    for slide in presentation.slides:
        for key, shape in touchpoint_shapes(slide).items():
            frame = shape.text_frame
            margins = [inches(m) for m in (frame.margin_left, frame.margin_right, frame.margin_top,
                                           frame.margin_bottom)]
            assert margins == pytest.approx([maplayout.INSET] * 4)
            width, height = inches(shape.width), inches(shape.height)
            corner = min(width, height) * shape.adjustments[0] * 0.29289  # roundRect's text rectangle inset
            assert corner > 0.02
            inner_width = width - 2 * corner - margins[0] - margins[1]
            inner_height = height - 2 * corner - margins[2] - margins[3]
            lines = runs(shape)
            for text, size, bold in lines:
                assert maplayout.text_width(text, size, bold) <= inner_width + 1e-9, (key, text, size)
            assert sum(maplayout.LINE_SPACING * size / 72 for _t, size, _b in lines) <= inner_height + 1e-9, key
            name = " ".join(text for text, _size, bold in lines if bold).removeprefix("⚠ ")
            whole += name == names[key]
            assert name == names[key] or name.endswith("…"), (key, name)
            assert all(size >= 7 for _t, size, _b in lines)
    assert whole >= 50  # most names shown whole; only the longest lose their end


# ------------------------------------------------------------------ the long map rendered by LibreOffice


def render(pptx: bytes, folder: Path) -> Path:
    """The deck as PDF through headless LibreOffice, with a private profile so parallel runs don't clash."""
    source = folder / "deck.pptx"
    source.write_bytes(pptx)
    subprocess.run(["libreoffice", f"-env:UserInstallation=file://{folder / 'profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                   check=True, capture_output=True, timeout=120)
    return folder / "deck.pdf"


def pdf_words(pdf: Path) -> list[list[tuple[str, float, float, float, float]]]:
    """Per page, each word with its box (x0, y0, x1, y1) in points from the top left."""
    html = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True,
                          timeout=30).stdout
    root = etree.fromstring(html, etree.XMLParser(recover=True))
    pages = []
    for page in root.iter("{*}page"):
        assert (float(page.get("width")), float(page.get("height"))) == pytest.approx((960, 540), abs=0.5)
        pages.append([(word.text or "", *(float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
                      for word in page.iter("{*}word")])
    return pages


def compact(text: str) -> str:
    return "".join(text.split())


def rendered_lines(words: list[tuple[str, float, float, float, float]]) -> dict[str, float]:
    """A box's rendered words grouped into lines by their vertical centre: each line's text (without spaces) and
    its width in points."""
    lines: list[list[tuple]] = []
    for word in sorted(words, key=lambda w: (w[2] + w[4]) / 2):
        if lines and abs((word[2] + word[4]) / 2 - (lines[-1][0][2] + lines[-1][0][4]) / 2) < 3:
            lines[-1].append(word)
        else:
            lines.append([word])
    return {compact("".join(w[0] for w in sorted(line, key=lambda w: w[1]))):
            max(w[3] for w in line) - min(w[1] for w in line) for line in lines}


def test_long_map_rendered_by_libreoffice_keeps_every_word_in_its_box(long_deck, long_findings, tmp_path,
                                                                       screenshots):
    if shutil.which("libreoffice") is None or shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice and poppler-utils must be installed in CI to check the rendered deck.")
        pytest.skip("LibreOffice or poppler-utils not installed")
    pdf = render(long_deck, tmp_path)
    for old in screenshots.glob("deck-map-*.png"):  # a folder set by CXWB_SCREENSHOTS may hold an earlier run's
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(screenshots / "deck-map")], check=True,
                   timeout=60)
    pages = maplayout.plan(long_findings.journey)
    presentation = Presentation(io.BytesIO(long_deck))
    words = pdf_words(pdf)
    assert len(words) == len(pages) == len(list(screenshots.glob("deck-map-*.png")))
    map_top, map_bottom = (maplayout.MAP_TOP + maplayout.STAGE_HEADER) * 72, maplayout.MAP_BOTTOM * 72
    for number, (slide, page_words) in enumerate(zip(presentation.slides, words), 1):
        rectangles = {key: (inches(s.left) * 72, inches(s.top) * 72, inches(s.left + s.width) * 72,
                            inches(s.top + s.height) * 72) for key, s in touchpoint_shapes(slide).items()}
        inside: dict[str, list[tuple]] = {key: [] for key in rectangles}
        for text, x0, y0, x1, y1 in page_words:
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            owner = [k for k, (left, top, right, bottom) in rectangles.items()
                     if left <= cx <= right and top <= cy <= bottom]
            if not owner:  # nothing but boxes is written in the map's area: a word here spilled out of one
                assert not (map_top <= cy <= map_bottom), (number, text, (x0, y0, x1, y1))
                continue
            left, top, right, bottom = rectangles[owner[0]]
            assert left - 1 <= x0 and x1 <= right + 1 and top - 1 <= y0 and y1 <= bottom + 1, (
                number, owner[0], text, (x0, y0, x1, y1), rectangles[owner[0]])
            inside[owner[0]].append((text, x0, y0, x1, y1))
        for key, shape in touchpoint_shapes(slide).items():
            name = [word for text, _size, bold in runs(shape) if bold for word in text.split()]
            assert not Counter(name) - Counter(w[0] for w in inside[key]), (number, key, name, inside[key])
            rendered = rendered_lines(inside[key])
            for text, size, bold in runs(shape):  # each paragraph is one rendered line, no wider than measured
                width = rendered.pop(compact(text), None)
                assert width is not None, (number, key, text, rendered)
                measured = maplayout.text_width(text, size, bold) * 72  # ⚠ and ⚑ come from a fallback font
                assert 0.95 * measured <= width <= measured + 1, (number, key, text, size, width, measured)
            assert not rendered, (number, key, rendered)


# ------------------------------------------------------------------ data a slide does not fit, and widows


@pytest.mark.parametrize("size", [7, 12, 13])
def test_tables_are_shared_out_evenly_and_never_leave_one_row_alone(size):
    for count in range(0, 5 * size):
        items = list(range(count))
        pages = deck._pages(items, size)
        assert [i for page in pages for i in page] == items
        assert len(pages) == max(1, math.ceil(count / size)) and all(len(page) <= size for page in pages)
        if len(pages) > 1:
            assert min(len(page) for page in pages) >= size // 2  # 14 rows of 13 a slide: 7 and 7, not 13 and 1


@pytest.fixture(scope="module")
def unfit(tmp_path_factory):
    """A workspace whose projects' data does not fit every slide: "Bare" (no overall score, no comments, no
    KPIs), "Satisfied" (its overall outcome is a 1–5 satisfaction) and "One branch" (KPIs of one branch only),
    each with a saved ROI scenario."""
    import pyarrow.compute as pc

    from tests.test_empty_states import add_project, survey
    from workbench.analysis import roi
    from workbench.data.templates import load_template
    from workbench.features.workspace import open_workspace
    from workbench.repos import scenarios

    journey = load_template("ecommerce-delivery")
    workspace = open_workspace(tmp_path_factory.mktemp("unfit"))
    projects = {"Bare": add_project(workspace, "Bare", journey, overall=False, comments=False, kpis=False,
                                    answers=4_000),
                "Satisfied": add_project(workspace, "Satisfied", journey, satisfied=True),
                "One branch": add_project(workspace, "One branch", journey, kpis=False, answers=4_000)}
    kpis = survey(journey, answers=4_000)[1].kpi_period
    workspace.datasets.add_table(projects["One branch"][0], kpis.filter(pc.equal(kpis["branch"], kpis["branch"][0])),
                                 "KPIs", "kpi_period")
    for project_id, journey_id in projects.values():
        workspace.scenarios.save(project_id, scenarios.Scenario(
            name="Faster checkout", journey_id=journey_id, kpi_dataset="KPIs", kpi="revenue", segment="branch",
            assumptions=roi.Assumptions(changes={"checkout": 0.2})), "tester")
    yield workspace, projects
    workspace.close()


def slide_texts(presentation) -> list[str]:
    """Every text of every slide (boxes, table cells, chart titles), one string per slide."""
    found = []
    for slide in presentation.slides:
        parts = texts(slide)
        for shape in slide.shapes:
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
            if shape.has_chart and shape.chart.has_title:
                parts.append(shape.chart.chart_title.text_frame.text)
        found.append("\n".join(parts))
    return found


def test_a_survey_without_an_overall_score_gets_plain_sentences_never_the_analysis_message(unfit):
    workspace, projects = unfit
    project_id, journey_id = projects["Bare"]
    found = gather(workspace, Request(project_id, journey_id, slides=("title", "drivers", "roi")), now=NOW)
    assert found.drivers is None and found.drivers_error.startswith("The survey has no overall score to explain")
    presentation = Presentation(io.BytesIO(deck.build(found)))
    shown = slide_texts(presentation)
    assert len(shown) == 3
    assert title(presentation.slides[1]) == "Key drivers" and found.drivers_error in shown[1]
    assert "The ROI chain starts from an overall NPS question, and it has no overall question." in shown[2]
    everything = "\n".join(shown + [s.notes_slide.notes_text_frame.text for s in presentation.slides])
    for internal in ("_overall", "touchpoint '", "Traceback", "parameters"):
        assert internal not in everything


def test_the_key_driver_slide_names_the_outcome_as_mapped(unfit):
    workspace, projects = unfit
    project_id, journey_id = projects["Satisfied"]
    found = gather(workspace, Request(project_id, journey_id, slides=("drivers", "roi")), now=NOW)
    assert found.outcome.label == "Satisfied" and found.drivers is not None, found.drivers_detail
    presentation = Presentation(io.BytesIO(deck.build(found)))
    drivers_slide, roi_slide = presentation.slides
    assert title(drivers_slide) == "What drives Satisfied"
    assert "NPS" not in slide_texts(presentation)[0]
    assert "NPS" not in drivers_slide.notes_slide.notes_text_frame.text
    assert ("The ROI chain starts from an overall NPS question, and its overall outcome is Satisfied."
            in slide_texts(presentation)[1])


def test_a_scenario_the_data_cannot_carry_says_so_plainly_with_the_model_in_the_notes(unfit):
    workspace, projects = unfit
    project_id, journey_id = projects["One branch"]
    found = gather(workspace, Request(project_id, journey_id, slides=("roi",)), now=NOW)
    (item,) = found.scenarios
    assert item.outcome is None and item.detail.startswith("Too few rows to link revenue")
    presentation = Presentation(io.BytesIO(deck.build(found)))
    (slide,) = presentation.slides
    (shown,) = slide_texts(presentation)
    assert "This scenario cannot run on today's data: too few branch-months link revenue to the NPS." in shown
    assert "Too few rows to link revenue" not in shown
    assert f"The model said: {item.detail}" in slide.notes_slide.notes_text_frame.text


def test_the_matrix_slide_has_the_benchmark_columns_the_heatmap_page_shows(unfit):
    workspace, projects = unfit
    project_id, journey_id = projects["Satisfied"]
    journey = workspace.journey(journey_id).journey
    values = {tp.key: 3.5 + i * 0.1 for i, tp in enumerate(journey.touchpoints)}
    workspace.replace_benchmarks(journey_id, [(k, "csat", v) for k, v in values.items()], "industry.csv")
    try:
        found = gather(workspace, Request(project_id, journey_id, filters=(("channel", ("web",)),),
                                          slides=("matrix",)), now=NOW)
    finally:
        workspace.replace_benchmarks(journey_id, [], "")
    slides = list(Presentation(io.BytesIO(deck.build(found))).slides)
    names = {tp.name: tp.key for tp in journey.touchpoints}
    network = gather(workspace, Request(project_id, journey_id, slides=()), now=NOW).scores.set_index("touchpoint")
    rows = 0
    for slide in slides:
        table = next(s for s in slide.shapes if s.has_table).table
        header = [cell.text for cell in table.rows[0].cells]
        assert header[:4] == ["Touchpoint", "Total", "Whole network", "Benchmark"]
        for row in list(table.rows)[1:]:
            key = names[row.cells[0].text]
            assert row.cells[3].text == formatting.value(values[key], "csat")  # an imported value, no count
            assert row.cells[2].text.split("\n")[0] == formatting.value(network.loc[key, "value"], "csat")
            rows += 1
        notes = slide.notes_slide.notes_text_frame.text
        assert "Benchmark: the values imported from industry.csv." in notes and "Whole network" in notes
    assert rows == (network["n"] > 0).sum() >= 10


# ------------------------------------------------------------------ a crowded priority matrix with long names


@pytest.fixture(scope="module")
def crowded_findings(demo_findings) -> Findings:
    """The demo's findings with the long journey's names and 14 touchpoints bunched together in the matrix."""
    from tests.test_empty_states import crowded

    journey = long_journey()
    ranked, _names = crowded(count=14, seed=1)
    keys = [tp.key for tp in journey.touchpoints[::4]][:14]
    ranked = ranked.assign(touchpoint=keys, answers=900, reason="Important and below the average.")
    ranked.attrs = {"performance_reference": float(ranked["performance"].mean())}
    result = SimpleNamespace(driver_metric="csat", note="Respondent-level model.", r2=0.4, r2_low=0.35, r2_high=0.45,
                             n=2_400, confidence=0.95, reps=200, table=ranked, method="lmg")
    return replace(demo_findings, journey=journey, drivers=result, priorities=ranked,
                   request=replace(demo_findings.request, slides=("drivers",)))


def label_rectangles(slide) -> dict[str, tuple[float, float, float, float]]:
    return {s.name.removeprefix("Label "): (inches(s.left), inches(s.top), inches(s.left + s.width),
                                            inches(s.top + s.height))
            for s in slide.shapes if s.name.startswith("Label ")}


def test_crowded_long_names_on_the_priority_matrix_never_overlap_nor_cover_a_dot(crowded_findings):
    (slide,) = Presentation(io.BytesIO(deck.build(crowded_findings))).slides
    ranked = crowded_findings.priorities
    boxes = label_rectangles(slide)
    assert set(boxes) == set(ranked["touchpoint"])  # every dot labelled
    for (a, one), (b, other) in itertools.combinations(boxes.items(), 2):
        assert one[2] <= other[0] or other[2] <= one[0] or one[3] <= other[1] or other[3] <= one[1], (a, b)
    chart = next(s for s in slide.shapes if s.has_chart and s.chart.chart_type == XL_CHART_TYPE.XY_SCATTER).chart
    (x0, x1), (y0, y1) = ((a.minimum_scale, a.maximum_scale) for a in (chart.category_axis, chart.value_axis))
    left, top = deck.SCATTER[0] + deck.PLOT[0], deck.SCATTER[1] + deck.PLOT[1]
    radius = deck.DOT / 72 / 2
    for row in ranked.itertuples():
        x = left + deck.PLOT[2] * (row.performance - x0) / (x1 - x0)
        y = top + deck.PLOT[3] * (1 - (row.share * 100 - y0) / (y1 - y0))
        for key, (l, t, r, b) in boxes.items():
            assert r <= x - radius or x + radius <= l or b <= y - radius or y + radius <= t, (row.touchpoint, key)
    named = [s for s in slide.shapes if s.name.startswith("Label ") and not s.text_frame.text.isdigit()]
    assert len(named) >= len(ranked) // 2
    names = {tp.key: tp.name for tp in crowded_findings.journey.touchpoints}
    for shape in named:  # a name's start, wrapped or cut, never another's
        first = shape.text_frame.paragraphs[0].text.removesuffix("…")
        assert names[shape.name.removeprefix("Label ")].startswith(first)


def test_crowded_priority_matrix_rendered_by_libreoffice_puts_axes_and_labels_where_they_were_placed(
        crowded_findings, tmp_path, screenshots):
    if shutil.which("libreoffice") is None or shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice and poppler-utils must be installed in CI to check the rendered deck.")
        pytest.skip("LibreOffice or poppler-utils not installed")
    pptx = deck.build(crowded_findings)
    pdf = render(pptx, tmp_path)
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-singlefile", str(pdf), str(screenshots / "deck-drivers")],
                   check=True, timeout=60)
    (slide,) = Presentation(io.BytesIO(pptx)).slides
    (words,) = pdf_words(pdf)
    chart = next(s for s in slide.shapes if s.has_chart and s.chart.chart_type == XL_CHART_TYPE.XY_SCATTER).chart
    x0, x1 = chart.category_axis.minimum_scale, chart.category_axis.maximum_scale
    left, width = (deck.SCATTER[0] + deck.PLOT[0]) * 72, deck.PLOT[2] * 72
    bottom = (deck.SCATTER[1] + deck.PLOT[1] + deck.PLOT[3]) * 72
    ticks = [(float(text), (a + c) / 2) for text, a, b, c, _d in words  # the numbers under the scatter's plot
             if re.fullmatch(r"\d\.\d+", text) and bottom < b < bottom + 20 and left - 20 < a < left + width]
    assert len(ticks) >= 3
    for value, centre in ticks:  # the plot area is where the labels were placed from
        assert centre == pytest.approx(left + width * (value - x0) / (x1 - x0), abs=2.5), (value, centre)
    for key, (l, t, r, b) in label_rectangles(slide).items():
        lines = [p.text for p in next(s for s in slide.shapes if s.name == f"Label {key}").text_frame.paragraphs]
        inside = [w for w in words if l * 72 - 1 <= w[1] and w[3] <= r * 72 + 1 and t * 72 - 1 <= w[2]
                  and w[4] <= b * 72 + 1]
        assert compact("".join(w[0] for w in inside)) == compact("".join(lines)), (key, lines, inside)


def test_the_matrix_table_export_names_the_reference_columns_as_the_page_does(unfit):
    from workbench.export import tables

    workspace, projects = unfit
    project_id, journey_id = projects["Satisfied"]
    journey = workspace.journey(journey_id).journey
    workspace.replace_benchmarks(journey_id, [(tp.key, "csat", 4.0) for tp in journey.touchpoints], "industry.csv")
    try:
        found = gather(workspace, Request(project_id, journey_id, filters=(("channel", ("web",)),),
                                          slides=("matrix",)), now=NOW)
    finally:
        workspace.replace_benchmarks(journey_id, [], "")
    wide = tables.frames(found)["matrix-by-region"]
    assert {"total", "n total", "whole network", "n whole network", "benchmark"} <= set(wide.columns)
    assert not [c for c in wide.columns if "(" in str(c)]
    assert (wide["benchmark"].dropna() == 4.0).all() and wide["benchmark"].notna().sum() >= 10


# ------------------------------------------------------------------ personas, lanes and the experience curve


@pytest.fixture(scope="module")
def lanes_findings(demo_folder, tmp_path_factory) -> Findings:
    """The demo's journey with two personas (one named like a formula), a free lane and lanes on eight touchpoints."""
    from tests.serving import copy_workspace
    from workbench.core import journey as jm
    from workbench.features.workspace import open_workspace

    folder = copy_workspace(demo_folder, tmp_path_factory.mktemp("lanes") / "ws")
    with open_workspace(folder) as workspace:
        project_id = workspace.projects()[0].id
        journey_id = workspace.journeys(project_id)[0].id
        journey = workspace.journey(journey_id).journey
        journey = replace(journey, personas=(), lanes=(),  # the template's own map left out: these are known
                          touchpoints=tuple(replace(tp, lanes=jm.Lanes()) for tp in journey.touchpoints))
        journey, _key = jm.set_persona(journey, "Small business", "Ships 20 parcels a week",
                                       {"customer_type": "business"})
        journey, _key = jm.set_persona(journey, "=1+2 <b>new</b>", "", {"customer_type": "new"})
        journey = jm.add_lane(journey, "Systems")
        for i, tp in enumerate(journey.touchpoints[:8]):
            journey = jm.set_lanes(journey, tp.key, jm.Lanes(
                does=f"Step {i} done", feels="Worried" if i % 2 else "Calm", pains=(f"Pain {i}", "No date"),
                opportunities=(f"Idea {i}",), backstage=(jm.Support(f"Process {i}", "Marketing"),),
                custom={"Systems": f"System {i}"}))
        workspace.save_journey(journey_id, journey, "Fill the lanes")
        return gather(workspace, Request(project_id, journey_id, slides=("lanes",)), now=NOW)


def test_the_curve_slide_is_a_native_line_chart_of_every_group_and_the_design(lanes_findings):
    presentation = Presentation(io.BytesIO(deck.build(lanes_findings)))
    curve = presentation.slides[0]
    assert title(curve) == "Experience curve: CSAT along the journey"
    chart = next(s for s in curve.shapes if s.has_chart).chart
    assert chart.chart_type == XL_CHART_TYPE.LINE_MARKERS
    series = list(chart.plots[0].series)
    assert [s.name for s in series] == ["All customers", "Small business", "=1+2 <b>new</b>", "designed (target)"]
    drawn = lanes_findings.curves.curves
    for line, found in zip(series, drawn, strict=False):
        assert list(line.values) == [round(p.value, 2) if p.n else None for p in found.points]
    assert [p.key for p in drawn[0].points] == main_path(lanes_findings.journey)
    words = " ".join(texts(curve))
    assert "Small business" in words and "customer_type = business" in words and "Ships 20 parcels a week" in words


def test_the_lanes_slides_hold_every_lane_under_its_touchpoint_with_its_score(lanes_findings):
    presentation = Presentation(io.BytesIO(deck.build(lanes_findings)))
    pages = slides_titled(presentation, "Journey lanes")
    assert len(pages) >= 2
    cells = {}
    for slide in pages:
        table = next(s for s in slide.shapes if s.has_table).table
        header = [table.cell(0, c).text.split("\n")[0] for c in range(len(table.columns))]
        lanes = [table.cell(r, 0).text for r in range(len(table.rows))]
        assert lanes[1:] == ["CSAT", "Customer does", "Customer feels", "Pain points", "Opportunities", "Backstage",
                             "Systems"]
        for c, name in enumerate(header[1:], 1):
            cells[name] = {lanes[r]: table.cell(r, c).text for r in range(1, len(table.rows))}
    scored = lanes_findings.scores.set_index("touchpoint")
    for i, tp in enumerate(lanes_findings.journey.touchpoints[:8]):
        column = cells[tp.name]
        assert column["Customer does"] == f"Step {i} done"
        assert column["Pain points"] == f"• Pain {i}\n• No date"
        assert column["Backstage"] == f"Marketing: Process {i}" and column["Systems"] == f"System {i}"
        n = int(scored.at[tp.key, "n"])
        assert n == 0 or formatting.count(n) in column["CSAT"]


def test_the_lanes_slides_rendered_by_libreoffice_show_the_map(lanes_findings, tmp_path, screenshots):
    if shutil.which("libreoffice") is None or shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice and poppler-utils must be installed in CI to check the rendered deck.")
        pytest.skip("LibreOffice or poppler-utils not installed")
    pdf = render(deck.build(lanes_findings), tmp_path)
    for old in screenshots.glob("deck-lanes-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(screenshots / "deck-lanes")], check=True,
                   timeout=60)
    pages = pdf_words(pdf)
    first = " ".join(w[0] for w in pages[0])
    assert "Small business" in first and "customer_type" in first and "All customers" in first
    later = " ".join(w[0] for page in pages[1:] for w in page)
    for expected in ("Pain", "Idea", "Marketing:", "System", "Backstage"):
        assert expected in later
    for page in pages:  # nothing is drawn off the slide
        assert all(0 <= x0 and x1 <= 960 and 0 <= y0 and y1 <= 540 for _t, x0, y0, x1, y1 in page)
