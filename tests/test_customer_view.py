"""The customer view (issue 25, ``features.customers``): a customer's card from two surveys, customer KPIs, an alert
on one of their answers and the cards made for them, newest first; the search by id, name and e-mail; the limits;
and a scoped member, who finds and sees only the customers of their own rows."""

from __future__ import annotations

import datetime

import pyarrow as pa
import pytest

from tests.test_scopes import PASSWORD, as_user
from workbench.core.access import Scope
from workbench.core.alerting import Alert
from workbench.features import comments, customers, selection
from workbench.repos.actions import Draft

DAY = datetime.datetime(2026, 3, 1, 10)


def at(days: int) -> datetime.datetime:
    return DAY + datetime.timedelta(days=days)


@pytest.fixture
def net(workspace, small_journey):
    """Project Net: a journey survey (C1 and C10 of Brno, C2 of Ostrava), a second survey (C1 again, newest), customer
    KPIs with names and e-mails, an unhappy-answer alert on C1's cart answer, a churn-risk card for C1 and a card
    that names C10; the member brno sees branch Brno only."""
    project = workspace.create_project("Net")
    journey = workspace.create_journey(project, small_journey)
    first = pa.table({
        "response_id": ["a1", "a2", "a3", "b1", "b2", "c1"],
        "respondent_id": ["C1", "C1", "C1", "C2", "C2", "C10"],
        "ts": [at(0), at(5), at(9), at(1), at(6), at(2)],
        "touchpoint": ["web", "cart", "delivery", "web", "cart", "web"],
        "nps": pa.array([9, 3, 7, 10, 8, 6], pa.int8()),
        "csat": pa.array([5, 1, None, 4, 4, 3], pa.int8()),
        "comment": ["Quick site", "Cart lost my items", None, "Fine", "<b>bold</b>", "meh"],
        "branch": ["Brno", "Brno", "Brno", "Ostrava", "Ostrava", "Brno"],
        "employee": ["Eva", None, "Jan", "Ota", "Ota", "Eva"],
    })  # fmt: skip
    workspace.datasets.add_table(project, first, "Journey survey", "survey", journey_id=journey)
    second = pa.table({
        "response_id": ["z1", "z2"],
        "respondent_id": ["C1", "C2"],
        "ts": [at(20), at(21)],
        "touchpoint": ["_overall", "_overall"],
        "nps": pa.array([2, 10], pa.int8()),
        "comment": ["Never again", None],
        "branch": ["Brno", "Ostrava"],
    })  # fmt: skip
    workspace.datasets.add_table(project, second, "Relationship survey", "survey")
    kpis = pa.table({
        "respondent_id": ["C1", "C2", "C10"],
        "name": ["Jana Dvořáková", "Petr Novák", None],
        "email": ["jana@example.com", "petr@example.org", None],
        "branch": ["Brno", "Ostrava", "Brno"],
        "revenue": [1200.5, 300.0, 10.0],
    })  # fmt: skip
    workspace.datasets.add_table(project, kpis, "Customers", "kpi_customer")
    workspace.datasets.settle()
    # The import's own check raised "detractor-comment" alerts on a2 and c1 (over every branch: no segment); two
    # more of a rule per branch, on a3 (Brno) and b2 (Ostrava).
    day = at(9).date()
    passive = Alert("callback|a3", "callback", "answer", "nps", "delivery", "branch", "Brno", day, day, day, day, 1,
                    7.0, None, None, None, None, None, "a3", "", "Delivery: NPS 7, response a3")  # fmt: skip
    other = Alert("callback|b2", "callback", "answer", "nps", "cart", "branch", "Ostrava", day, day, day, day, 1, 8.0,
                  None, None, None, None, None, "b2", "", "Cart: NPS 8, response b2")  # fmt: skip
    workspace.alerts.add(project, journey, [passive, other], {}, day)
    churn = workspace.actions.create(
        project, Draft("Churn risk: Jana", owner="Brno", origin={"kind": "churn_risk", "ref": "7:C1"}), "crm",
        journey_id=journey,
    )  # fmt: skip
    named = workspace.actions.create(project, Draft("Call C10 back", description="Customer C10 asked for a call",
                                                    owner="Brno"), "me", journey_id=journey)  # fmt: skip
    workspace.actions.create(project, Draft("Unrelated", description="C100 and XC1", owner="Brno"), "me")
    workspace.users.add("brno", PASSWORD)
    workspace.users.grant("brno", project, "viewer", Scope((("branch", ("Brno",)),)))
    return {"project": project, "journey": journey, "churn": churn.id, "named": named.id}


def test_a_card_holds_every_answer_kpi_row_alert_and_card_newest_first(workspace, net):
    card = customers.card(workspace, net["project"], "C1")
    assert (card.customer_id, card.name, card.email, card.answers) == ("C1", "Jana Dvořáková", "jana@example.com", 4)
    assert [(s.metric, s.text, s.group, s.date) for s in card.latest] == [
        ("nps", "2", "negative", "2026-03-21"), ("csat", "1", "negative", "2026-03-06")
    ]  # fmt: skip
    assert [(e.kind, e.date, e.title) for e in card.timeline] == [
        ("action", datetime.date.today().isoformat(), "Churn risk: Jana"),  # made now: the newest
        ("answer", "2026-03-21", "Overall"),  # the second survey, not linked to a journey: the overall question
        ("answer", "2026-03-10", "Delivery"),
        ("alert", "2026-03-10", "Delivery: NPS 7, response a3"),  # placed at its answer
        ("answer", "2026-03-06", "Cart"),
        ("alert", "2026-03-06", "Cart: NPS 3 on 2026-03-06, response a2: “Cart lost my items”"),
        ("answer", "2026-03-01", "Web"),
    ]
    cart = card.timeline[4]
    assert [(s.label, s.text, s.group) for s in cart.scores] == [("NPS", "3", "negative"), ("CSAT", "1", "negative")]
    assert cart.comment == "Cart lost my items"
    assert ("Dataset", "Journey survey") in cart.details and ("branch", "Brno") in cart.details
    assert ("employee", "Jan") in card.timeline[2].details
    assert card.timeline[1].details[0] == ("Dataset", "Relationship survey")
    assert card.timeline[0].action_id == net["churn"]
    [kpi] = card.kpis
    assert (
        kpi.title == "Customers"
        and ("revenue", "1\u00a0200.5") in kpi.details
        and ("name", "Jana Dvořáková") in kpi.details
    )
    assert card.more == ()


def test_a_card_is_sorted_newest_first_and_names_only_its_customer_s_cards(workspace, net):
    card = customers.card(workspace, net["project"], "C10")
    assert [e.kind for e in card.timeline] == ["action", "answer", "alert"]  # the card was made now
    assert card.timeline[0].action_id == net["named"]
    stamps = [e.at for e in customers.card(workspace, net["project"], "C1").timeline]
    assert stamps == sorted(stamps, reverse=True)
    assert customers.card(workspace, net["project"], "C100") is None  # named in a description, but not a customer
    assert customers.card(workspace, net["project"], "  ") is None


def test_each_section_shows_at_most_its_rows_and_counts_the_rest(workspace, net):
    card = customers.card(workspace, net["project"], "C1", rows=1)
    assert [e.kind for e in card.timeline] == ["action", "answer", "alert"]
    assert card.more == (("answer", 3), ("alert", 1))
    assert card.answers == 4


def test_search_finds_ids_names_and_e_mails_newest_first(workspace, net):
    project = net["project"]
    assert [f.customer_id for f in customers.search(workspace, project, "c1")] == ["C1", "C10"]  # C1 answered last
    assert [f.customer_id for f in customers.search(workspace, project, "dvorakova")] == ["C1"]  # without accents
    assert [f.customer_id for f in customers.search(workspace, project, "EXAMPLE.ORG")] == ["C2"]
    [found] = customers.search(workspace, project, "jana@")
    assert (found.name, found.email, found.last, found.answers) == ("Jana Dvořáková", "jana@example.com",
                                                                    "2026-03-21", 4)  # fmt: skip
    assert customers.search(workspace, project, "") == [] and customers.search(workspace, project, "nobody") == []
    assert len(customers.search(workspace, project, "c", limit=2)) == 2
    with pytest.raises(customers.SearchRefused, match="100"):
        customers.search(workspace, project, "x" * 101)


def test_a_scoped_member_finds_and_sees_only_their_branch_s_customers(workspace, net):
    project = net["project"]
    with as_user(workspace, "brno"):
        assert customers.search(workspace, project, "C2") == []
        assert customers.search(workspace, project, "petr") == []
        assert customers.search(workspace, project, "example.org") == []
        assert customers.card(workspace, project, "C2") is None  # not even a "found"
        assert [f.customer_id for f in customers.search(workspace, project, "C")] == ["C1", "C10"]
        card = customers.card(workspace, project, "C1")
    assert card.answers == 4 and card.name == "Jana Dvořáková"
    # Their branch's alert on a3, not the one over every branch on a2; the card assigned to Brno.
    assert [e.title for e in card.timeline if e.kind == "alert"] == ["Delivery: NPS 7, response a3"]
    assert [e.action_id for e in card.timeline if e.kind == "action"] == [net["churn"]]
    # The administrator's cache of C2 is never served to the member, nor the member's to the administrator.
    assert customers.card(workspace, project, "C2").answers == 3
    with as_user(workspace, "brno"):
        assert customers.card(workspace, project, "C2") is None


def test_a_comment_names_its_customer_for_the_link(workspace, net):
    data = {"project": net["project"], "journey": net["journey"],
            "dataset": workspace.datasets.survey_for(net["project"], net["journey"]).id, "metric": "nps"}  # fmt: skip
    rows = comments.comments(workspace, selection.resolve(workspace, data), "nps")
    assert {r.response_id: r.customer_id for r in rows}["a2"] == "C1"
    assert customers.customer_href("C 1&x=ü", 3) == "/customer?project=3&id=C+1%26x%3D%C3%BC"
