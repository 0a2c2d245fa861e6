"""End-to-end: a consultant exports the demo journey as a deck with a brand colour, a logo and chosen slides,
filtered to one region, downloads pictures and tables, backs the project up and restores it under a new name."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from PIL import Image
from playwright.sync_api import expect
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

pytestmark = pytest.mark.e2e


def download(page, button: str, timeout: float = 60_000):
    with page.expect_download(timeout=timeout) as info:
        page.click(button)
    return info.value


def test_deck_with_brand_logo_and_filter_then_tables(demo_server, page, screenshot, tmp_path):
    page.goto(demo_server.at("/export"))
    expect(page.locator("#ex-matrix-column")).to_have_value("region", timeout=30_000)
    page.click("#ex-segments")
    page.keyboard.type("Praha")
    page.click("[role=option] >> text=region: Praha")
    page.keyboard.press("Escape")
    page.uncheck("#ex-slides input[value=roi]")
    page.uncheck("#ex-slides input[value=drivers]")
    page.locator("#ex-brand").fill("#7b2d8e")
    logo = tmp_path / "logo.png"
    Image.new("RGB", (240, 80), (123, 45, 142)).save(logo)
    page.set_input_files("#ex-logo-upload input[type=file]", str(logo))
    expect(page.locator("#ex-logo-name")).to_have_text("logo.png")
    deck = download(page, "#ex-deck")
    assert deck.suggested_filename == "E-commerce-order-delivery-csat.pptx"
    expect(page.locator("#ex-message")).to_contain_text("is downloading")
    screenshot(page, "export-page")
    slides = list(Presentation(deck.path()).slides)
    assert "Demo: Parcel Express" in [shape.text_frame.text for shape in slides[0].shapes if shape.has_text_frame]
    titles = [s.shapes[0].text_frame.text for s in slides[1:]]
    assert not any("drives" in t or "worth" in t for t in titles)
    assert any(t.startswith("Journey map") for t in titles) and any(t.startswith("Action plan") for t in titles)
    assert "region Praha" in slides[0].notes_slide.notes_text_frame.text
    title_run = slides[1].shapes[0].text_frame.paragraphs[0].runs[0]
    assert str(title_run.font.color.rgb) == "7B2D8E"
    assert any(shape.shape_type == MSO_SHAPE_TYPE.PICTURE for shape in slides[1].shapes)

    book = openpyxl.load_workbook(io.BytesIO(download(page, "#ex-xlsx").path().read_bytes()))
    assert {"touchpoint-scores", "breaks", "actions", "matrix-by-region"} <= set(book.sheetnames)
    assert book["touchpoint-scores"]["A1"].value == "touchpoint"
    with zipfile.ZipFile(download(page, "#ex-csv").path()) as bundle:
        assert "actions.csv" in bundle.namelist()


def test_pictures_of_the_map_and_charts(demo_server, page):
    page.goto(demo_server.at("/export"))
    expect(page.locator("#ex-matrix-column")).to_have_value("region", timeout=30_000)
    with zipfile.ZipFile(download(page, "#ex-images", timeout=120_000).path()) as bundle:
        names = set(bundle.namelist())
        assert {"journey-map.png", "journey-map.svg", "priority-matrix.png", "driver-importance.svg"} <= names
        picture = Image.open(io.BytesIO(bundle.read("journey-map.png")))
        assert picture.width > 2 * picture.height  # all stages side by side
        assert b"Shopping cart" in bundle.read("journey-map.svg")


def test_backup_and_restore_under_a_new_name(demo_server, page, tmp_path):
    page.goto(demo_server.at("/export"))
    expect(page.locator("#ex-matrix-column")).to_have_value("region", timeout=30_000)
    saved = tmp_path / "demo.cxwb.zip"
    download(page, "#ex-backup").save_as(saved)
    page.set_input_files("#ex-restore input[type=file]", str(saved))
    expect(page.locator("#ex-message")).to_contain_text("already exists")
    page.fill("#ex-restore-name", "Parcel Express (copy)")
    page.set_input_files("#ex-restore input[type=file]", str(saved))  # the same file again, now with a name
    expect(page.locator("#ex-message")).to_contain_text("Restored “Parcel Express (copy)”")
    expect(page.locator("#ex-project option:checked")).to_have_text("Parcel Express (copy)")
    page.set_input_files("#ex-restore input[type=file]", str(tmp_path / "demo.cxwb.zip"))
    expect(page.locator("#ex-message")).to_contain_text("already exists")
    assert not page.errors
