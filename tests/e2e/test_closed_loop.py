"""End-to-end, the closed loop of issue 25 on the demo: a consultant saves the churn-risk rule on the CRM lists page,
imports the next survey wave on the Data page (appended to the survey), and finds the churn-risk cards the import
created on the Actions board, owned by the key accounts' manager, and on each customer's card."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest
from playwright.sync_api import expect

from tests.e2e.test_data_import import label_select
from tests.serving import wait_settled
from workbench.core.contract import OVERALL
from workbench.features.demo import DEMO_DATASETS
from workbench.features.workspace import open_workspace

pytestmark = pytest.mark.e2e

PRESET = "Churn risk: key account whose score fell"


def key_accounts(folder, count: int = 2) -> pd.DataFrame:
    """The demo's richest key accounts (revenue ≥ 100 000, with an account manager) who were promoters."""
    with open_workspace(folder) as workspace:
        project_id = workspace.projects()[0].id
        found = {d.name: d for d in workspace.datasets.list(project_id) if d.latest}
        kpis = pq.read_table(found[DEMO_DATASETS["kpi_customer"]].path).to_pandas()
        answers = pq.read_table(found[DEMO_DATASETS["survey"]].path, columns=["respondent_id", "touchpoint", "nps"])
    overall = answers.to_pandas().query("touchpoint == @OVERALL").drop_duplicates("respondent_id", keep="last")
    kpis["nps"] = kpis["respondent_id"].map(overall.set_index("respondent_id")["nps"])
    chosen = kpis[kpis["account_manager"].notna() & (kpis["revenue"] >= 100_000) & (kpis["nps"] >= 9)]
    return chosen.sort_values("revenue", ascending=False).head(count)


def test_an_import_creates_churn_risk_cards_for_the_account_manager(demo_server, page, screenshot, tmp_path):
    accounts = key_accounts(demo_server.workspace)
    assert len(accounts) == 2

    # 1. The rule: the preset as it is, saved for the project.
    page.goto(demo_server.at("/crm"))
    rule = page.locator("#crm-rule")
    option = rule.locator("option", has_text=PRESET)
    expect(option).to_have_count(1, timeout=30_000)
    rule.select_option(option.get_attribute("value"))
    expect(page.locator("#crm-name")).to_have_value(PRESET, timeout=20_000)
    wait_settled(page)
    page.click("#crm-save-new")
    expect(page.locator("#crm-message")).to_contain_text(f"Saved “{PRESET}”", timeout=20_000)

    # 2. The next wave: the two key accounts answer the relationship question with a 3, appended to the survey.
    wave = tmp_path / "follow-up-wave.csv"
    lines = ["Response ID;Customer ID;Date;Touchpoint;NPS"]
    lines += [f"F-{c};{c};10.11.2026 10:00;Celkově;3" for c in accounts["respondent_id"]]
    wave.write_text("\n".join(lines) + "\n", encoding="cp1250")
    page.goto(demo_server.at("/data"))
    expect(page.locator("#da-journey option:not(:empty)")).not_to_have_count(0)
    page.set_input_files("#da-upload input[type=file]", str(wave))
    expect(page.locator("#da-file-info")).to_contain_text(wave.name)
    wait_settled(page)
    page.select_option("#da-respondent_id", "Customer ID")
    page.select_option("#da-response_id", "Response ID")
    page.select_option("#da-nps", "NPS")
    label_select(page, "Celkově").select_option(OVERALL)  # the relationship question: the overall outcome
    page.fill("#da-name", DEMO_DATASETS["survey"])
    page.get_by_label("Append to this dataset", exact=False).check()
    page.click("#da-check")
    expect(page.locator("#da-report-body")).to_be_visible(timeout=60_000)
    page.click("#da-commit")
    expect(page.locator("#da-imported")).to_contain_text("Appended 2", timeout=120_000)

    # 3. The cards: on the board, one per key account, owned by their account manager, with the evidence.
    page.goto(demo_server.at("/actions"))
    for customer in accounts.itertuples():
        card = page.locator(".cx-card", has_text=customer.name)
        expect(card).to_have_count(1, timeout=30_000)
        expect(card).to_contain_text(customer.account_manager)
    screenshot(page, "closed-loop-board")

    # 4. The customer's card lists the churn-risk card beside the answer that raised it.
    first = accounts.iloc[0]
    page.goto(demo_server.at(f"/customer?id={first['respondent_id']}"))
    expect(page.locator("body")).to_contain_text(first["name"], timeout=30_000)
    expect(page.locator("body")).to_contain_text("Churn risk")
    screenshot(page, "closed-loop-customer")
    assert not page.errors, page.errors
