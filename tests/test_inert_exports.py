"""Every text leaving the app is inert: in a workspace whose every name is a formula or an HTML tag, the deck's
chart workbooks hold neutralised strings only, every chart shows the tags as text, and the tables are
formula-safe. In a workspace whose names hold control characters, every export is written, its text XML-safe."""

from __future__ import annotations

import csv
import datetime
import io
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import replace

import openpyxl
import pandas as pd
import pytest
from lxml import etree
from pptx import Presentation

from tests import hostile
from workbench.core.journey import slugify
from workbench.core.safecells import (
    FORMULA_CHARACTERS,
    FORMULA_STARTS,
    restore,
    xml_safe,
)
from workbench.export import deck, figures, images, tables
from workbench.features.export import Request, gather
from workbench.features.workspace import open_workspace

NOW = datetime.datetime(2026, 11, 2, 9, 30)
SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile") / "ws"
    ids = hostile.build(folder)
    with open_workspace(folder) as workspace:
        yield workspace, ids


@pytest.fixture(scope="module")
def found(built):
    workspace, ids = built
    return gather(workspace, Request(ids.project_id, ids.journey_id, matrix_column=hostile.COLUMN), now=NOW)


@pytest.fixture(scope="module")
def pptx(found) -> bytes:
    return deck.build(found)


def test_every_slide_and_chart_has_content(found):
    assert found.breaks and found.matrix is not None and len(found.actions) == 3
    assert found.drivers is not None, found.drivers_error
    assert len(found.scenarios) == 2 and all(item.outcome is not None for item in found.scenarios)
    assert found.provenance.project.startswith(hostile.PAYLOADS)


# ------------------------------------------------------------------ the deck


def package_parts(pptx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(pptx)) as package:
        return {name: package.read(name) for name in package.namelist()}


def workbook_parts(book: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(book)) as package:
        return {name: package.read(name) for name in package.namelist()}


def shared_strings(parts: dict[str, bytes]) -> list[str]:
    if "xl/sharedStrings.xml" not in parts:
        return []
    root = etree.fromstring(parts["xl/sharedStrings.xml"])
    return ["".join(item.itertext()) for item in root.iter(f"{SHEET}si")]


def test_no_embedded_chart_workbook_holds_a_formula_or_a_link(pptx, found):
    books = {name: workbook_parts(blob) for name, blob in package_parts(pptx).items()
             if name.startswith("ppt/embeddings/") and name.endswith(".xlsx")}
    # the experience curve, the two driver charts and each scenario's waterfall
    assert len(books) == 1 + 2 + len(found.scenarios)
    for name, parts in books.items():
        sheets = [etree.fromstring(xml) for part, xml in parts.items() if re.match(r"xl/worksheets/[^/]+\.xml$", part)]
        assert sheets, name
        cells = [cell for sheet in sheets for cell in sheet.iter(f"{SHEET}c")]
        assert not [f for sheet in sheets for f in sheet.iter(f"{SHEET}f")], name  # no formula anywhere
        assert not [link for sheet in sheets for link in sheet.iter(f"{SHEET}hyperlink")], name
        assert not any(HYPERLINK_TYPE.encode() in xml for part, xml in parts.items() if part.endswith(".rels"))
        types = {cell.get("t") for cell in cells}
        assert types <= {None, "n", "s", "inlineStr"}, (name, types)  # text only as shared or inline strings
        texts = shared_strings(parts) + ["".join(c.itertext()) for c in cells if c.get("t") == "inlineStr"]
        assert texts and not [t for t in texts if t.startswith(FORMULA_STARTS)], name


def test_chart_labels_read_as_typed_and_the_workbook_quotes_them(pptx):
    labels_seen = []
    for slide in Presentation(io.BytesIO(pptx)).slides:
        for shape in slide.shapes:
            if not shape.has_chart:
                continue
            chart = shape.chart
            cached = {v.text for v in chart._chartSpace.xpath(".//c:strCache/c:pt/c:v")}
            book = workbook_parts(chart.part.chart_workbook.xlsx_part.blob)
            assert {restore(text) for text in shared_strings(book)} == cached
            labels_seen += cached
    assert any(label.startswith(("=", "+", "-", "@")) for label in labels_seen)  # as the user typed them
    assert any(label.startswith("<") for label in labels_seen)


def test_slide_text_and_notes_are_plain_text_without_links(pptx):
    parts = package_parts(pptx)
    xml = {name: blob for name, blob in parts.items() if name.endswith(".xml")}
    assert not [name for name, blob in xml.items() if b"hlinkClick" in blob or b"hlinkHover" in blob]
    assert not [name for name, blob in parts.items() if name.endswith(".rels") and HYPERLINK_TYPE.encode() in blob]
    presentation = Presentation(io.BytesIO(pptx))
    notes = "\n".join(slide.notes_slide.notes_text_frame.text for slide in presentation.slides)
    cells = "\n".join(cell.text for slide in presentation.slides for shape in slide.shapes if shape.has_table
                      for row in shape.table.rows for cell in row.cells)
    for payload in hostile.PAYLOADS:  # python-pptx writes text runs: the names read exactly as typed
        assert payload in notes, payload
    assert hostile.LINK in cells and hostile.PAYLOADS[0] in cells


# ------------------------------------------------------------------ the tables


def test_xlsx_tables_write_text_never_formulas(found):
    frames = tables.frames(found)
    assert f"matrix-by-{slugify(hostile.COLUMN)}" in frames  # a valid sheet and file name
    book = openpyxl.load_workbook(io.BytesIO(tables.to_xlsx(frames)))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert not [t for t in texts if t.startswith(FORMULA_STARTS)]
    assert set(hostile.PAYLOADS) <= {restore(t) for t in texts}


def test_csv_tables_neutralise_every_text_cell(found):
    with zipfile.ZipFile(io.BytesIO(tables.csv_archive(tables.frames(found)))) as bundle:
        assert all("/" not in name and "\\" not in name for name in bundle.namelist())
        cells = [cell for name in bundle.namelist()
                 for row in csv.reader(io.StringIO(bundle.read(name).decode("utf-8-sig"))) for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS) and not _is_number(c)]
    assert set(hostile.PAYLOADS) <= {restore(c) for c in cells}


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# ------------------------------------------------------------------ the charts


def strings(value) -> Iterator[str]:
    """Every string inside a figure's plotly JSON (dicts, lists and arrays)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        for item in (value.tolist() if hasattr(value, "tolist") else value):
            yield from strings(item)


def assert_inert(named_figures: dict[str, object]) -> None:
    """No figure carries a user's tag unescaped; the escaped names did arrive."""
    shown = {name: list(strings(figure.to_plotly_json())) for name, figure in named_figures.items()}
    for name, texts in shown.items():
        for text in texts:
            assert "<a " not in text and "<img" not in text, (name, text)
            assert not [tag for tag in hostile.TAGS if tag in text], (name, text)
    everything = "\n".join(text for texts in shown.values() for text in texts)
    assert figures.label(hostile.LINK) in everything and figures.label("<b>x</b>") in everything


def test_picture_figures_escape_every_name(found):
    charts = images.charts(found)
    assert {"journey-map", "experience-curve", "priority-matrix", "driver-importance"} <= set(charts)
    assert len([name for name in charts if name.startswith("roi-")]) == 2 * len(found.scenarios)
    assert_inert(charts)
    curves = [trace.name for trace in charts["experience-curve"].data if trace.name]
    assert figures.label(found.journey.personas[0].name) in curves
    notes = "".join(note.text for note in charts["journey-map"].layout.annotations)
    assert f"<b>{figures.label('<b>x</b>')}" in notes  # our own markup (a stage header) around the escaped name


def test_page_figures_escape_every_name(built):
    from dash import dcc

    from cxweb.app import create_app

    workspace, ids = built
    app = create_app(workspace)
    from cxweb.pages import comments, drivers, heatmap, journeymap

    selection = {"project": ids.project_id, "journey": ids.journey_id, "dataset": ids.dataset_id, "metric": "csat",
                 "from": "2026-08-01", "to": "2026-10-31", "segments": []}
    courier = {"key": "own-courier", "column": "region", "segment": hostile.LINK}
    with app.server.app_context():
        detail = heatmap.show_detail(courier, selection, 30)
        shown = {f"detail-{graph.id}": graph.figure for graph in detail._traverse()
                 if isinstance(graph, dcc.Graph) and getattr(graph, "figure", None) is not None}
        shown["breakdown-region"] = heatmap.show_breakdown("region", courier, selection, 30)
        shown["breakdown-branch"] = heatmap.show_breakdown("branch", courier, selection, 30)
        shown["breakdown-column"] = heatmap.show_breakdown(hostile.COLUMN, courier, selection, 30)
        _summary, shown["drivers-matrix"], shown["drivers-bars"], _table = drivers.analyse(selection, "nps", "csat",
                                                                                           "lmg")
        shown["themes"] = comments.show_counts(selection, "nps", "touchpoint", 0)[1]
        personas = ["", *(p.key for p in workspace.journey(ids.journey_id).journey.personas)]
        shown["experience-curve"] = journeymap.curve(selection, personas, 0)[0]
    assert {"detail-hm-trend", "detail-hm-distribution"} <= set(shown)
    assert_inert(shown)
    legend = [trace.name for trace in shown["detail-hm-trend"].data if trace.name]
    assert figures.label(f"region {hostile.LINK}") in legend


@pytest.mark.skipif(shutil.which("chromium") is None, reason="kaleido draws with Debian's chromium")
def test_rendered_pictures_show_tags_as_text(found):
    charts = images.charts(found)
    drawn = images.render({name: charts[name] for name in ("journey-map", "driver-importance")}, ("svg",))
    for name, svg in drawn.items():
        text = svg.decode("utf-8")
        assert re.search(r"(&lt;|&#60;)a href", text), name  # the name is drawn as text …
        assert not re.search(r"<a[\s>]|<[^<>]*href=\"https://evil", text), name  # … never as a link


# ------------------------------------------------------------------ characters XML cannot hold


@pytest.fixture(scope="module")
def controlled(tmp_path_factory):
    """The findings of the same workspace named with control characters (and U+FFFE) instead of formulas."""
    folder = tmp_path_factory.mktemp("controls") / "ws"
    ids = hostile.build(folder, hostile.CONTROLS, hostile.CONTROL_COLUMN)
    with open_workspace(folder) as workspace:
        return gather(workspace, Request(ids.project_id, ids.journey_id, matrix_column=hostile.CONTROL_COLUMN),
                      now=NOW)


def xml_safe_everywhere(texts) -> list[str]:
    """The texts that still hold a character XML cannot (or xlsxwriter's _xHHHH_ escape of one)."""
    return [t for t in texts if xml_safe(t) != t or re.search("_x00[01][0-9A-F]_", t)]


def test_control_characters_in_names_never_crash_the_deck(controlled):
    assert controlled.breaks and controlled.matrix is not None and len(controlled.scenarios) == 2
    assert any("\x01" in b.segment for b in controlled.breaks)  # a segment value reaches the slides as it was read
    pptx = deck.build(controlled)
    parts = package_parts(pptx)
    for name, blob in parts.items():
        if name.endswith((".xml", ".rels")):
            etree.fromstring(blob)  # every part is well-formed XML
    presentation = Presentation(io.BytesIO(pptx))
    texts = [presentation.core_properties.title]
    for slide in presentation.slides:
        texts.append(slide.notes_slide.notes_text_frame.text)
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
            if shape.has_chart:
                texts += [v.text for v in shape.chart._chartSpace.xpath(".//c:v | .//a:t")]
                book = workbook_parts(shape.chart.part.chart_workbook.xlsx_part.blob)
                assert not xml_safe_everywhere(shared_strings(book))
                assert not [t for t in shared_strings(book) if t.lstrip().startswith(FORMULA_CHARACTERS)]
    assert not xml_safe_everywhere(texts)
    everything = "\n".join(texts)
    assert "Check\ufffdout" in everything and "line break" in everything and "not\ufffdchar" in everything
    assert "unit sep" in everything and "esc\ufffd[31mred" in everything


def test_control_characters_in_names_never_crash_the_tables(controlled):
    frames = tables.frames(controlled)
    book = openpyxl.load_workbook(io.BytesIO(tables.to_xlsx(frames)))
    cells = [cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str)]
    with zipfile.ZipFile(io.BytesIO(tables.csv_archive(frames))) as bundle:
        cells_csv = [cell for name in bundle.namelist()
                     for row in csv.reader(io.StringIO(bundle.read(name).decode("utf-8-sig"))) for cell in row]
    for texts in (cells, cells_csv):  # the same text in both formats: XML-safe, formula-safe
        assert not xml_safe_everywhere(texts)
        assert "Check\ufffdout" in texts and "' =1+1" in texts  # a vertical tab before '=1+1' became a space
        assert not [t for t in texts if t.lstrip().startswith(FORMULA_CHARACTERS) and not _is_number(t)]


def test_control_characters_in_names_never_reach_a_picture(controlled):
    charts = images.charts(controlled)
    assert len([name for name in charts if name.startswith("roi-")]) == 2 * len(controlled.scenarios)
    texts = [text for figure in charts.values() for text in strings(figure.to_plotly_json())]
    assert not xml_safe_everywhere(texts)
    assert any("Check\ufffdout" in text for text in texts)
    if shutil.which("chromium") is not None:  # kaleido's SVG of a control character would not parse as XML
        drawn = images.render({name: charts[name] for name in ("journey-map", "driver-importance")}, ("svg",))
        for name, svg in drawn.items():
            etree.fromstring(svg)


def test_lone_surrogates_never_crash_an_export(found):
    """A lone surrogate cannot be stored (SQLite and Arrow refuse it, so pandas' text columns too), but text in
    memory can hold one: the deck, the pictures and the table writers replace it."""
    half = "\ud83d"
    provenance = replace(found.provenance, project=f"project {half}", filters=f"region {half}")
    broken = replace(found, journey=replace(found.journey, name=f"journey {half}"), provenance=provenance,
                     breaks=[replace(b, sentence=b.sentence + half) for b in found.breaks],
                     scenarios=[replace(s, name=s.name + half) for s in found.scenarios],
                     actions=[replace(a, title=a.title + half, description=half) for a in found.actions])
    presentation = Presentation(io.BytesIO(deck.build(broken)))
    notes = "\n".join(slide.notes_slide.notes_text_frame.text for slide in presentation.slides)
    assert "project \ufffd" in notes and presentation.core_properties.title.endswith("journey \ufffd")
    texts = [text for figure in images.charts(broken).values() for text in strings(figure.to_plotly_json())]
    assert not xml_safe_everywhere(texts) and any(text.endswith("\ufffd") for text in texts)
    frame = pd.DataFrame({"name": pd.Series([f"={half}1", f"x{half}"], dtype=object)})
    sheet = openpyxl.load_workbook(io.BytesIO(tables.to_xlsx({"t": frame})))["t"]
    assert [sheet["A2"].value, sheet["A3"].value] == ["'=\ufffd1", "x\ufffd"]
    assert tables.to_csv(frame).decode("utf-8-sig").splitlines()[1:] == ["'=\ufffd1", "x\ufffd"]
