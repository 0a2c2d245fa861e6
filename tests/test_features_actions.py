"""The Actions screen's features and the kanban's rules, without a browser."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.core.errors import ConflictError
from workbench.features import actions
from workbench.features.actions import Action, ActionError, Draft
from workbench.repos.actions import step, unsaved

TODAY = dt.date.today()


@pytest.fixture
def board(workspace, small_journey):
    """A project with the small journey; returns (workspace, project id, journey id)."""
    project = workspace.create_project("Client")
    return workspace, project, workspace.create_journey(project, small_journey)


# ------------------------------------------------------------------ pure rules


@pytest.mark.parametrize("status, position, direction, expected", [
    ("backlog", 0, "left", None), ("backlog", 0, "right", ("planned", None)),
    ("verified", 2, "right", None), ("done", 2, "left", ("in_progress", None)),
    ("planned", 0, "up", ("planned", 0)), ("planned", 3, "up", ("planned", 2)), ("planned", 3, "down", ("planned", 4)),
])
def test_a_move_button_steps_one_column_or_one_place(status, position, direction, expected):
    assert step(Action("x", status=status, position=position), direction) == expected


def test_an_unknown_move_is_refused():
    with pytest.raises(ValueError, match="sideways"):
        step(Action("x"), "sideways")


def test_unsaved_lists_the_fields_typed_differently_from_the_stored_card():
    latest = Draft("Checkout", cost=60_000, touchpoints=("cart",), origin={"kind": "manual"})
    typed = Draft("Checkout in one step", cost=60_000, touchpoints=("cart", "web"), origin={})
    assert unsaved(typed, latest) == [("title", "Checkout in one step"), ("touchpoints", ("cart", "web"))]
    assert unsaved(latest, latest) == []


def test_the_check_windows_are_clamped_to_what_the_check_allows():
    assert actions.windows_from(None, "", "x") == actions.verify.Windows(8, 8, 0)
    assert actions.windows_from(0, 500, -3) == actions.verify.Windows(1, 104, 0)
    assert actions.windows_from("6", 12.0, 2) == actions.verify.Windows(6, 12, 2)


@pytest.mark.parametrize("values", [("a,b", "c"), ("Brno, Praha",), ("", " "), ('["x"]', "ü & ?=")])
def test_list_values_with_commas_or_anything_survive_the_url(values):
    draft = Draft("x", touchpoints=values, segment="region", treated=values)
    assert Draft.from_params(draft.to_params()) == draft


def test_a_malformed_list_in_the_url_is_left_empty():
    assert Draft.from_params({"touchpoints": "a,b", "treated": '{"a": 1}'}).touchpoints == ()
    assert Draft.from_params({"treated": '{"a": 1}'}).treated == ()
    assert Draft.from_params({"touchpoints": "[1, 2]"}).touchpoints == ("1", "2")


def test_a_draft_from_a_key_driver():
    draft = actions.for_driver("cart", "Cart", "Big share, low score.", "nps")
    assert (draft.title, draft.description, draft.touchpoints, draft.metric) == (
        "Improve Cart (key driver)", "Big share, low score.", ("cart",), "nps")
    assert draft.origin == {"kind": "driver", "label": "Big share, low score."}


# ------------------------------------------------------------------ the board and a card


def test_the_board_filters_by_owner_stage_touchpoint_and_overdue(board):
    ws, project, journey = board
    late = actions.create(ws, project, Draft("Late", touchpoints=("web",), due=TODAY - dt.timedelta(days=1)),
                          journey_id=journey)
    actions.create(ws, project, Draft("Cart", touchpoints=("cart",), owner="Petr", cost=1500), journey_id=journey)
    actions.create(ws, project, Draft("Parcel", touchpoints=("delivery",)), journey_id=journey, status="done")

    def shown(**filters) -> list[str]:
        view = actions.board_view(ws, project, **filters)
        return [card.title for column in view.columns for card in column.cards]

    assert shown() == ["Late", "Cart", "Parcel"]
    assert shown(stage="buy") == ["Cart"] and shown(stage="buy", touchpoint="web") == []
    assert shown(touchpoint="delivery") == ["Parcel"] and shown(owner="Web team") == ["Late"]
    assert shown(overdue_on=TODAY) == ["Late"]
    view = actions.board_view(ws, project, journey)
    assert [column.count for column in view.columns] == [2, 0, 0, 1, 0] and view.columns[0].cost == 1500
    assert view.names["delivery"] == "Delivery" and view.owners == ["Couriers", "Jana Nováková", "Petr", "Web team"]
    found = actions.choices(ws, project, journey)
    assert found.journeys == {journey: "Shop"} and list(found.stages) == ["find", "buy", "get"]
    assert found.touchpoints["cart"] == "Cart" and late.owner == "Web team"


def test_the_buttons_move_a_card_and_stop_at_the_last_column(board):
    ws, project, journey = board
    first, second = (actions.create(ws, project, Draft(title), journey_id=journey) for title in ("A", "B"))
    moved = actions.step_card(ws, second.id, "up", "Eva", expected_version=second.version)
    assert [c.title for c in actions.board_view(ws, project).columns[0].cards] == ["B", "A"]
    moved = actions.step_card(ws, moved.id, "right", "Eva", expected_version=moved.version)
    assert (moved.status, moved.position) == ("planned", 0)
    with pytest.raises(ConflictError):
        actions.step_card(ws, first.id, "down", expected_version=first.version - 1)
    verified = Action("x", status="verified", id=first.id, version=first.version)
    assert step(verified, "right") is None


def test_a_conflicting_save_names_what_was_not_saved(board):
    ws, project, journey = board
    card = actions.create(ws, project, Draft("Checkout", cost=60_000), journey_id=journey)
    actions.update(ws, card.id, Draft("Checkout", cost=75_000), "Window one", expected_version=card.version)
    with pytest.raises(ConflictError):
        actions.update(ws, card.id, Draft("Checkout in one step", cost=60_000), expected_version=card.version)
    assert actions.conflict_note(ws, card.id, Draft("Checkout in one step", cost=75_000)) == (
        "Not saved: title “Checkout in one step”.")
    assert actions.conflict_note(ws, card.id, Draft("Checkout", cost=75_000)) == ""


def test_the_editor_of_a_new_and_of_a_stored_card(board):
    ws, project, journey = board
    new = actions.card_form(ws, project, journey, draft=Draft("From a link", touchpoints=("cart",)))
    assert new.action is None and new.draft.title == "From a link" and new.touchpoints["cart"] == "Cart"
    assert (new.has_survey, new.segments, new.segment_values, new.history) == (False, [], [], [])
    card = actions.create(ws, project, Draft("Stored", touchpoints=("web",)), "Eva", journey_id=journey)
    stored = actions.card_form(ws, project, None, card.id)
    assert stored.action == card and stored.journey_id == journey and stored.draft == card.draft
    assert [event.what for event in stored.history] == ["Created"]
    assert actions.segment_values(ws, project, journey, "region") == []
    actions.delete(ws, card.id, expected_version=card.version)
    assert actions.board_view(ws, project).columns[0].cards == ()


def test_the_check_needs_a_survey_a_touchpoint_and_a_done_date(board):
    ws, project, journey = board
    card = actions.create(ws, project, Draft("Done", touchpoints=("web",)), journey_id=journey, status="done")
    with pytest.raises(ActionError, match="needs survey data"):
        actions.check(ws, card.id, expected_version=card.version)


def test_saving_the_editor_keeps_the_cards_origin(board):
    ws, project, journey = board
    card = actions.create(ws, project, Draft("From a break", origin={"kind": "break", "label": "CSAT is low."}),
                          journey_id=journey)
    saved = actions.update(ws, card.id, Draft("Fix it", cost=500), "Eva", expected_version=card.version)
    assert (saved.title, saved.cost, saved.origin) == ("Fix it", 500, {"kind": "break", "label": "CSAT is low."})
