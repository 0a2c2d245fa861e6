"""Improvement actions: cards, moves with order, history, version conflicts, pre-filled drafts."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.analysis.breaks import Break
from workbench.core import metrics
from workbench.core.errors import ConflictError
from workbench.features.actions import for_break, for_touchpoint
from workbench.repos import actions
from workbench.repos.actions import Action, ActionError, Draft

BACKENDS = ("sqlite", "postgresql")  # the metadata database of every workspace these tests open

TODAY = datetime.date.today()


@pytest.fixture
def board(workspace, small_journey):
    """A project with the small journey; returns (workspace, project id, journey id)."""
    project = workspace.create_project("Client")
    return workspace, project, workspace.create_journey(project, small_journey)


def titles(ws, project, status):
    return [a.title for a in ws.actions.list(project) if a.status == status]


def test_a_card_is_created_with_its_touchpoints_owner_as_default(board, small_journey):
    ws, project, journey = board
    owned = next(tp for tp in small_journey.touchpoints if tp.owner)
    card = ws.actions.create(project, Draft("  Train   couriers ", touchpoints=(owned.key,), cost=1200,
                                            due=TODAY), "Jana", journey_id=journey)
    assert card.title == "Train couriers" and card.owner == owned.owner
    assert (card.status, card.position, card.version) == ("backlog", 0, 2)
    assert ws.actions.get(card.id) == card
    [event] = ws.actions.history(card.id)
    assert (event.who, event.what) == ("Jana", "Created")


@pytest.mark.parametrize("draft, message", [
    (Draft(" "), "needs a title"),
    (Draft("x", cost=-5), "cannot be negative"),
    (Draft("x", touchpoints=("nowhere",)), "no touchpoint “nowhere”"),
    (Draft("x", metric="foo"), "Unknown metric"),
    (Draft("x", treated=("Praha",)), "segment column"),
])
def test_bad_cards_are_refused_with_a_reason(board, draft, message):
    ws, project, journey = board
    with pytest.raises(ActionError, match=message):
        ws.actions.create(project, draft, journey_id=journey)
    assert ws.actions.list(project) == []


def test_moves_keep_the_order_of_both_columns(board):
    ws, project, _journey = board
    cards = [ws.actions.create(project, Draft(name)) for name in "ABCD"]
    moved = ws.actions.move(cards[1].id, "planned", 0, "Petr", expected_version=cards[1].version)
    assert titles(ws, project, "backlog") == ["A", "C", "D"] and titles(ws, project, "planned") == ["B"]
    assert [a.position for a in ws.actions.list(project) if a.status == "backlog"] == [0, 1, 2]
    ws.actions.move(cards[3].id, "planned", 0, expected_version=cards[3].version)
    assert titles(ws, project, "planned") == ["D", "B"]
    ws.actions.move(moved.id, "planned", 0, expected_version=moved.version)
    assert titles(ws, project, "planned") == ["B", "D"]
    ws.actions.move(cards[0].id, "backlog", 99, expected_version=cards[0].version)
    assert titles(ws, project, "backlog") == ["C", "A"]
    assert [e.what for e in ws.actions.history(moved.id)] == ["Moved within Planned", "Moved from Backlog to Planned",
                                                             "Created"]


def test_done_sets_the_date_verified_needs_a_verdict_and_reopening_clears_both(board):
    ws, project, _journey = board
    card = ws.actions.create(project, Draft("Fix it"))
    done = ws.actions.move(card.id, "done", expected_version=card.version)
    assert done.done_on == TODAY
    with pytest.raises(ActionError, match="only with a before/after verdict"):
        ws.actions.move(card.id, "verified", expected_version=done.version)
    insufficient = ws.actions.record(card.id, {"verdict": "insufficient"}, expected_version=done.version)
    with pytest.raises(ActionError, match="verdict"):
        ws.actions.move(card.id, "verified", expected_version=insufficient.version)
    checked = ws.actions.record(card.id, {"verdict": "improved", "change": 0.4, "effect": 0.38},
                                expected_version=insufficient.version)
    assert checked.realised_change == 0.38
    verified = ws.actions.move(card.id, "verified", expected_version=checked.version)
    assert verified.status == "verified" and verified.verdict == "improved"
    reopened = ws.actions.move(card.id, "in_progress", expected_version=verified.version)
    assert reopened.done_on is None and reopened.verification is None
    kept = ws.actions.history(card.id)[0].changes
    assert kept["verification"] == ["improved", None] and kept["done_on"] == [TODAY.isoformat(), None]


def test_only_done_cards_can_be_checked(board):
    ws, project, _journey = board
    card = ws.actions.create(project, Draft("Early"))
    with pytest.raises(ActionError, match="Only a card in Done"):
        ws.actions.record(card.id, {"verdict": "improved"}, expected_version=card.version)


def test_a_second_writer_gets_a_conflict_and_nothing_is_lost(board):
    ws, project, _journey = board
    card = ws.actions.create(project, Draft("Shared card", cost=100))
    first = ws.actions.update(card.id, Draft("Shared card", cost=250), "Window one", expected_version=card.version)
    with pytest.raises(ConflictError, match=r"changed in another window or tab \(Window one, .*Edited cost\)"):
        ws.actions.update(card.id, Draft("Overwritten title"), "Window two", expected_version=card.version)
    with pytest.raises(ConflictError):
        ws.actions.move(card.id, "planned", expected_version=card.version)
    with pytest.raises(ConflictError):
        ws.actions.delete(card.id, expected_version=card.version)
    stored = ws.actions.get(card.id)
    assert stored == first and (stored.title, stored.cost, stored.status) == ("Shared card", 250, "backlog")
    assert ws.actions.history(card.id)[0].changes == {"cost": [100, 250]}


def test_an_edit_records_each_changed_field_and_a_no_op_records_nothing(board):
    ws, project, _journey = board
    card = ws.actions.create(project, Draft("Old", due=TODAY))
    edited = ws.actions.update(card.id, Draft("New", due=TODAY + datetime.timedelta(days=7), description="why"),
                               "Eva", expected_version=card.version)
    event = ws.actions.history(card.id)[0]
    assert event.what == "Edited title, description, due date"
    assert event.changes["due"] == [TODAY.isoformat(), (TODAY + datetime.timedelta(days=7)).isoformat()]
    same = ws.actions.update(card.id, edited.draft, "Eva", expected_version=edited.version)
    assert same.version == edited.version and len(ws.actions.history(card.id)) == 2


def test_delete_removes_the_card_and_its_history(board):
    ws, project, _journey = board
    card = ws.actions.create(project, Draft("Gone"))
    ws.actions.delete(card.id, expected_version=card.version)
    assert ws.actions.list(project) == [] and ws.actions.history(card.id) == []
    with pytest.raises(ActionError, match="No card"):
        ws.actions.get(card.id)


def test_deleting_the_project_deletes_its_cards(board):
    ws, project, _journey = board
    card = ws.actions.create(project, Draft("Gone with the project"))
    ws.delete_project(project)
    with pytest.raises(ActionError):
        ws.actions.get(card.id)


def test_board_counts_costs_filters_and_open_counts(small_journey):
    keys = [tp.key for tp in small_journey.touchpoints]
    cards = [Action("a", touchpoints=(keys[0],), cost=100, owner="Eva", status="backlog", due=TODAY, id=1),
             Action("b", touchpoints=(keys[0], keys[1]), cost=50.5, owner="Petr", status="backlog", position=-1,
                    due=TODAY - datetime.timedelta(days=1), id=2),
             Action("c", touchpoints=(keys[1],), owner="Eva", status="done", due=TODAY - datetime.timedelta(days=9),
                    id=3)]
    columns = actions.board(cards)
    assert [c.status for c in columns] == list(actions.STATUSES)
    assert [a.title for a in columns[0].cards] == ["b", "a"] and columns[0].count == 2 and columns[0].cost == 150.5
    assert columns[3].cost == 0 and columns[1].count == 0
    assert [a.title for a in actions.choose(cards, owner="Eva")] == ["a", "c"]
    assert [a.title for a in actions.choose(cards, touchpoints=[keys[1]])] == ["b", "c"]
    assert actions.choose(cards, touchpoints=[]) == []  # a filter nothing passes (a stage without touchpoints)
    assert [a.title for a in actions.choose(cards, overdue_on=TODAY)] == ["b"]  # c is done, a is due today
    assert actions.open_counts(cards) == {keys[0]: 2, keys[1]: 1}
    stage = small_journey.touchpoints[0].stage
    assert actions.stage_touchpoints(small_journey, stage) == [tp.key for tp in small_journey.touchpoints
                                                                 if tp.stage == stage]


def test_drafts_from_a_touchpoint_and_a_break(small_journey):
    tp = next(t for t in small_journey.touchpoints if t.owner)
    draft = for_touchpoint(small_journey, tp.key)
    assert (draft.touchpoints, draft.owner, draft.origin["kind"]) == ((tp.key,), tp.owner, "touchpoint")
    found = Break(kind="segment", metric="csat", touchpoint=tp.key, value=3.1, reference=3.9, delta=-0.8, low=-1.0,
                  high=-0.6, n=400, p_value=1e-9, q_value=1e-8, severity=20.0, sentence="CSAT is low in Praha.",
                  column="region", segment="Praha")
    draft = for_break(small_journey, found)
    assert draft.title.endswith("(region Praha)") and draft.expected_change == 0.8
    assert (draft.segment, draft.treated, draft.metric) == ("region", ("Praha",), "csat")
    assert draft.origin == {"kind": "break", "label": "CSAT is low in Praha."}


@given(st.builds(Draft, title=st.text(), description=st.text(),
                 touchpoints=st.lists(st.text(), unique=True).map(tuple),
                 owner=st.text(), due=st.one_of(st.none(), st.dates()),
                 cost=st.one_of(st.none(), st.floats(0, 1e7, allow_nan=False).map(lambda x: round(x, 2))),
                 metric=st.sampled_from(metrics.METRICS),
                 expected_change=st.one_of(st.none(), st.floats(-100, 100).map(lambda x: round(x, 3))),
                 segment=st.one_of(st.none(), st.text(min_size=1)),
                 treated=st.lists(st.text(), unique=True).map(tuple),
                 origin=st.one_of(st.just({}), st.fixed_dictionaries(
                     {"kind": st.sampled_from(sorted(actions.ORIGIN_KINDS)), "label": st.text()},
                     optional={"ref": st.text(min_size=1)}))))
def test_a_draft_survives_the_url_round_trip(draft):
    params = draft.to_params()
    back = Draft.from_params(params)
    assert back == draft


def test_malformed_url_values_are_left_empty():
    draft = Draft.from_params({"title": "x", "due": "31.02.2026", "cost": "lots", "metric": "<b>", "origin": "evil"})
    assert (draft.due, draft.cost, draft.metric, draft.origin) == (None, None, "csat", {})
    assert Draft.from_params({"cost": "1 200,5".replace(" ", "")}).cost == 1200.5
