"""End-to-end: a consultant imports the client's survey and KPI exports on the Data page, in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.serving import wait_settled
from workbench.features.workspace import open_workspace
from workbench.repos.datasets import SAMPLE_FOLDER

pytestmark = pytest.mark.e2e

SAMPLES = SAMPLE_FOLDER  # the sample files shipped in the package
CZECH_CSV = SAMPLES / "parcel-express-answers-cp1250.csv"
LABELS = {"Objednávka na webu": "product-page", "Pokladna": "checkout", "Platba kartou": "payment",
          "Kurýr": "own-courier", "Výdejní box": "parcel-locker", "Vrácení zboží": "return-request",
          "Zákaznická podpora": "support-contact", "Refundace": "refund"}


def upload(page, server, path: Path) -> None:
    page.goto(server.at("/data"))
    expect(page.locator("#da-journey option:not(:empty)")).not_to_have_count(0)
    page.set_input_files("#da-upload input[type=file]", str(path))
    expect(page.locator("#da-file-info")).to_contain_text(path.name)
    # The form is filled from the guesses by a chain of callbacks after the file's name shows, and is out of reach
    # until then (see the test below); the checks of a test start from the filled form.
    wait_settled(page)


def row_select(page, box: str, first_cell: str):
    """The first select of the row whose first cell is ``first_cell``."""
    return page.locator(f"{box} tr").filter(has=page.locator(f"td:first-child:text-is('{first_cell}')")).locator(
        "select").first


def label_select(page, label: str):
    return row_select(page, "#da-values-box", label)


def check_file(page) -> None:
    page.click("#da-check")
    expect(page.locator("#da-report-body")).to_be_visible(timeout=30_000)


def dataset_rows(page):
    return page.locator("#da-table tbody tr")


def test_a_czech_csv_is_mapped_checked_imported_and_its_mapping_reused(demo_server, page, screenshot):
    upload(page, demo_server, CZECH_CSV)
    expect(page.locator("#da-encoding")).to_have_value("cp1250")
    expect(page.locator("#da-delimiter")).to_have_value(";")
    expect(page.locator("#da-preview")).to_contain_text("Kurýr")  # decoded as cp1250, not mojibake
    expect(page.locator("#da-ts")).to_have_value("Datum")
    expect(page.locator("#da-touchpoint")).to_have_value("Kontaktní bod")
    expect(page.locator("#da-nps")).to_have_value("NPS")
    page.select_option("#da-ces", "Náročnost")
    expect(page.locator("#da-unmatched")).to_contain_text("9 label(s) not matched")
    for label, key in LABELS.items():
        label_select(page, label).select_option(key)
    expect(page.locator("#da-unmatched")).to_contain_text("1 label(s) not matched")
    expect(label_select(page, "Kurýr")).not_to_have_class(re.compile(r"\bis-invalid\b"))
    expect(label_select(page, "Teleport")).to_have_class(re.compile(r"\bis-invalid\b"))
    page.fill("#da-name", "Parcel survey")
    check_file(page)
    report = page.locator("#da-report-body")
    expect(report).to_contain_text("400 rows read, 397 valid, 3 with problems")
    expect(report).to_contain_text("Dates read as dd.mm.yyyy hh:mm")
    expect(report.locator("tr", has_text="outside 0–10")).to_contain_text("43")
    expect(report.locator("tr", has_text="not readable")).to_contain_text("18")
    expect(report.locator("tr", has_text="not in the journey")).to_contain_text("100")
    screenshot(page, "data-report")
    page.click("#da-commit")
    expect(page.locator("#da-imported")).to_contain_text("Imported 397 rows as “Parcel survey” version 1")
    row = dataset_rows(page).filter(has_text="Parcel survey")
    expect(row).to_contain_text("397")
    expect(row).to_contain_text("3 skipped")
    row.get_by_role("button", name="3 skipped").click()
    expect(page.locator("#da-kept-modal")).to_contain_text("parcel-express-answers-cp1250.csv")
    expect(page.locator("#da-kept-modal")).to_contain_text("NPS outside 0–10")
    screenshot(page, "data-kept-report")
    page.keyboard.press("Escape")

    # The next month's export has the same columns: the saved mapping is used as it is.
    upload(page, demo_server, CZECH_CSV)
    expect(page.locator("#da-reused")).to_contain_text(re.compile(r"Using the mapping “Parcel survey” saved on \d{4}"))
    expect(page.locator("#da-saved")).to_have_value("Parcel survey")
    expect(page.locator("#da-ces")).to_have_value("Náročnost")
    expect(page.locator("#da-name")).to_have_value("Parcel survey")
    expect(label_select(page, "Kurýr")).to_have_value("own-courier")
    expect(page.locator("#da-unmatched")).to_contain_text("1 label(s) not matched")
    check_file(page)
    page.click("#da-commit")
    expect(page.locator("#da-imported")).to_contain_text("version 2")
    expect(dataset_rows(page).filter(has_text="Parcel survey")).to_have_count(2)
    assert not page.errors

    with open_workspace(demo_server.workspace) as workspace:
        project = workspace.projects()[0].id
        versions = [d for d in workspace.datasets.list(project) if d.name == "Parcel survey"]
        assert [(d.version, d.rows, d.latest) for d in versions] == [(2, 397, True), (1, 397, False)]


def test_a_checked_import_can_be_cancelled_and_nothing_is_kept(demo_server, page):
    with open_workspace(demo_server.workspace) as workspace:
        before = [d.id for d in workspace.datasets.list(workspace.projects()[0].id)]
    upload(page, demo_server, SAMPLES / "parcel-express-kpi-cp1250.csv")
    page.get_by_label("KPIs per period (month or week × branch, region…)").check()
    expect(page.locator("#da-ts")).to_have_value("Měsíc")
    kpis = page.locator("#da-kpis")
    for kpi in ("Tržby (CZK)", "Objednávky", "Odchod zákazníků %", "Stížnosti"):
        expect(kpis.get_by_label(kpi, exact=True)).to_be_checked()
    kpis.get_by_label("Stížnosti", exact=True).uncheck()
    check_file(page)
    expect(page.locator("#da-report-body")).to_contain_text("45 rows read, 45 valid")
    page.click("#da-discard")
    expect(page.locator("#da-report")).to_contain_text("Import cancelled; nothing was changed.")
    with open_workspace(demo_server.workspace) as workspace:
        assert [d.id for d in workspace.datasets.list(workspace.projects()[0].id)] == before
        assert not list((demo_server.workspace / "tmp").glob("*.parquet"))


def test_a_wide_xlsx_sheet_becomes_answers_per_touchpoint(demo_server, page, screenshot):
    upload(page, demo_server, SAMPLES / "parcel-express-respondents.xlsx")
    expect(page.locator("#da-sheet")).to_have_value("Odpovědi")
    page.get_by_label("Survey — one row per respondent (a rating column per touchpoint)").check()
    expect(row_select(page, "#da-wide-box", "Celková spokojenost NPS")).to_have_value("_overall")
    expect(row_select(page, "#da-wide-box", "Own courier")).to_have_value("own-courier")
    expect(row_select(page, "#da-wide-box", "Checkout")).to_have_value("checkout")
    page.select_option("#da-respondent_id", "Zákazník")
    page.fill("#da-name", "Respondents")
    check_file(page)
    expect(page.locator("#da-report-body")).to_contain_text("150 rows read, 150 valid")
    screenshot(page, "data-wide")
    page.click("#da-commit")
    expect(page.locator("#da-imported")).to_contain_text("as “Respondents” version 1")
    with open_workspace(demo_server.workspace) as workspace:
        info = next(d for d in workspace.datasets.list(workspace.projects()[0].id) if d.name == "Respondents")
        assert set(info.meta["touchpoints"]) == {"_overall", "checkout", "own-courier", "parcel-locker", "refund"}
        assert info.meta["respondents"] == 150


def test_the_form_is_out_of_reach_until_the_guesses_fill_it_and_a_choice_then_sticks(demo_server, page, screenshot):
    """A consultant who picks the file's kind while the guesses are on their way used to see the choice put back
    to the guess when they arrived: now the form is greyed and out of reach until it is filled. The callback
    that fills it is held back here, so the moment in between lasts as long as the test needs."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    held = []

    def hold_the_filling(route):
        if "da-reused.children" in (route.request.post_data or ""):  # fill_mapping: the form from the guesses
            held.append(route)
        else:
            route.continue_()

    callbacks = re.compile(r"/_dash-update-component")
    page.route(callbacks, hold_the_filling)
    page.goto(demo_server.at("/data"))
    expect(page.locator("#da-journey option:not(:empty)")).not_to_have_count(0)
    page.set_input_files("#da-upload input[type=file]", str(SAMPLES / "parcel-express-kpi-cp1250.csv"))
    expect(page.locator("#da-file-info")).to_contain_text("parcel-express-kpi-cp1250.csv")
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the form was never asked to be filled"
    mapping = page.locator("#da-mapping")
    expect(mapping).to_be_visible()
    expect(mapping).to_have_css("pointer-events", "none")
    screenshot(page, "data-form-while-filled")
    kpi = page.get_by_label("KPIs per period (month or week × branch, region…)")
    with pytest.raises(PlaywrightTimeout):
        kpi.check(timeout=1_000)
    held.pop().continue_()
    page.unroute(callbacks)
    expect(mapping).to_have_css("pointer-events", "auto")
    wait_settled(page)
    expect(page.get_by_label("Survey answers — one row per answer (a touchpoint column)")).to_be_checked()  # guess
    kpi.check()
    wait_settled(page)
    expect(kpi).to_be_checked()
    expect(page.locator("#da-ts")).to_have_value("Měsíc")
