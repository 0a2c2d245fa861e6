"""The Journeys screen's features without a browser: the view of a journey, typed numbers and targets, drops,
deletions, new journeys and the YAML download."""

import base64

import pytest

from workbench.core import journeyfile
from workbench.core.errors import ConflictError
from workbench.core.journey import JourneyError, auto_layout
from workbench.features import journeys as feature


@pytest.fixture
def stored(workspace, small_journey):
    project = workspace.create_project("Client")
    return project, workspace.create_journey(project, auto_layout(small_journey))


def test_the_view_holds_checks_lists_and_stage_sizes(workspace, stored):
    project, journey_id = stored
    shown = feature.view(workspace, journey_id)
    assert shown.journey.name == "Shop" and shown.stage_counts == {"find": 1, "buy": 2, "get": 1}
    assert shown.owners == ["Couriers", "Jana Nováková", "Web team"] and shown.channels == ["courier", "web"]
    assert [w.code for w in shown.warnings] == ["backward_edge"] and shown.hint == ""
    assert shown.undo_label is None and shown.redo_label is None
    assert feature.journey_choices(workspace, project) == [("Shop", journey_id)]
    assert feature.journey_choices(workspace, None) == [] and feature.project_name(workspace, project) == "Client"


def test_an_edit_is_saved_undoably_and_a_stale_version_is_refused(workspace, stored):
    _project, journey_id = stored
    version = feature.view(workspace, journey_id).version
    feature.save(workspace, journey_id, version, "Rename journey", feature.renamed("Eshop"))
    shown = feature.view(workspace, journey_id)
    assert shown.journey.name == "Eshop" and shown.undo_label == "Rename journey"
    with pytest.raises(ConflictError):
        feature.save(workspace, journey_id, version, "Rename journey", feature.renamed("Other"))


@pytest.mark.parametrize(("typed", "number"), [("4,25", 4.25), (" 1 000 ", 1000.0), ("−5", -5.0), ("", None),
                                               (None, None), (3, 3.0)])
def test_a_typed_number_takes_a_decimal_comma_and_blank_is_none(typed, number):
    assert feature.parse_number(typed, "CSAT") == number


def test_a_bad_number_names_its_field():
    with pytest.raises(JourneyError, match="^NPS: “lots” is not a number.$"):
        feature.parse_targets({"nps": "lots"})
    with pytest.raises(JourneyError, match="is not a finite number"):
        feature.parse_number("inf", "Volume")
    assert feature.parse_targets({"csat": "4,5", "nps": "", "index": "75"}) == {"csat": 4.5, "index": 75.0}
    assert feature.shown(4.0) == "4" and feature.shown(None) == "" and feature.shown(4.25) == "4.25"


def test_a_drop_is_a_move_only_away_from_where_the_node_is(small_journey):
    journey = auto_layout(small_journey)
    web = journey.touchpoint("web")
    assert feature.moves(journey, {"web": (web.x + 0.4, web.y)}) is None  # a click, not a drag
    assert feature.moves(journey, {"ghost": (1.0, 1.0)}) is None
    delivery = journey.touchpoint("delivery")
    changed, label, restaged = feature.moves(journey, {"web": (web.x, web.y + 80)})
    assert changed == {"web": (web.x, web.y + 80)} and label == "Move Web" and not restaged
    changed, label, restaged = feature.moves(journey, {"web": (delivery.x, web.y)})
    assert restaged and label == "Move Web; “Web” now in stage “Get”"


def test_deleting_says_what_goes_and_takes_the_connections_along(small_journey):
    assert feature.deletion_text(small_journey, ["cart"], []) == \
        "Delete 1 touchpoint: Cart? Their connections go too. Undo brings everything back."
    assert feature.deletion_text(small_journey, [], [("web", "cart"), ("cart", "abandon")]) == \
        "Delete 2 connections? Undo brings it back."
    after = feature.delete_selection(["abandon"], [["web", "cart"], ["cart", "abandon"]])(small_journey)
    assert {tp.key for tp in after.touchpoints} == {"web", "cart", "delivery"}
    assert {(e.source, e.target) for e in after.edges} == {("cart", "delivery"), ("delivery", "cart")}


def test_a_new_journey_from_nothing_a_template_or_a_file(small_journey):
    assert feature.new_journey("empty", " Onboarding ").name == "Onboarding"
    choices = feature.template_choices()
    assert choices and all(" touchpoints, " in label for label, _key in choices)
    assert feature.new_journey("template", "", choices[0][1]).touchpoints
    upload = "data:application/x-yaml;base64," + base64.b64encode(journeyfile.dumps(small_journey).encode()).decode()
    assert feature.new_journey("file", "Copy", contents=upload, filename="shop.yaml").name == "Copy"
    with pytest.raises(JourneyError, match="^Choose a YAML file first.$"):
        feature.new_journey("file", "", contents=None)
    with pytest.raises(JourneyError, match="^shop.yaml is not UTF-8 text"):
        feature.read_upload("data:;base64," + base64.b64encode("name: x".encode("utf-16")).decode(), "shop.yaml")


def test_the_yaml_download_reads_back_as_the_journey(workspace, stored):
    _project, journey_id = stored
    content, filename = feature.yaml_file(workspace, journey_id)
    assert filename == "shop.yaml" and journeyfile.loads(content, filename).name == "Shop"


def test_touchpoint_edits_clean_what_was_typed(small_journey):
    added = feature.add_touchpoint("Call centre", "get", "  phone ", "  Care   team ")(small_journey)
    new = added.touchpoints[-1]
    assert (new.name, new.stage, new.channel, new.owner) == ("Call centre", "get", "phone", "Care team")
    change = feature.update_touchpoint("web", name="Website", stage="find", channel=" web ", owner=" ",
                                       kind="touchpoint", entry=1, typed_targets={"csat": "4,2", "nps": ""}, notes=None)
    web = change(small_journey).touchpoint("web")
    assert (web.name, web.channel, web.owner, web.entry, web.targets, web.notes) == \
        ("Website", "web", None, True, {"csat": 4.2}, "")
    with pytest.raises(JourneyError, match="^CES: “x” is not a number.$"):
        feature.update_touchpoint("web", name="Web", stage="find", channel="", owner="", kind="touchpoint",
                                  entry=False, typed_targets={"ces": "x"}, notes="")
    assert feature.same_stage_name(small_journey, "find", "  Find ") and not feature.same_stage_name(
        small_journey, "find", "Search")


def test_a_touchpoints_connections_and_where_it_can_go_next(small_journey):
    found = feature.connections(small_journey, "cart")
    assert found.outgoing == [("abandon", "→ Abandoned (30%)"), ("delivery", "→ Delivery (70%)")]
    assert found.choices == [("Web", "web")]
    assert feature.connections(small_journey, "web").outgoing == [("cart", "→ Cart")]


def test_undo_and_redo_name_the_edit_stepped_over(workspace, stored):
    _project, journey_id = stored
    version = feature.view(workspace, journey_id).version
    feature.save(workspace, journey_id, version, "Rename journey", feature.renamed("Eshop"))
    version = feature.view(workspace, journey_id).version
    assert feature.undo_redo(workspace, journey_id, version, undo=True) == "Rename journey"
    assert feature.stored(workspace, journey_id).name == "Shop"
    version = feature.view(workspace, journey_id).version
    assert feature.undo_redo(workspace, journey_id, version, undo=False) == "Rename journey"
    assert feature.stored(workspace, journey_id).name == "Eshop"


def test_projects_and_journeys_are_created_renamed_and_deleted(workspace, small_journey):
    project = feature.create_project(workspace, "  Client ")
    feature.rename_project(workspace, project, "Client B")
    assert feature.project_name(workspace, project) == "Client B"
    journey_id = feature.create_journey(workspace, project, small_journey)
    assert feature.journey_choices(workspace, project) == [("Shop", journey_id)]
    feature.delete_journey(workspace, journey_id)
    assert feature.journey_choices(workspace, project) == []
    feature.delete_project(workspace, project)
    assert feature.project_name(workspace, project) == ""


def test_the_journey_shown_after_a_project_change():
    choices = [("Onboarding", 3), ("Shop", 7)]
    assert feature.chosen_journey(choices, 7) == 7 and feature.chosen_journey(choices, "7") == 7
    assert feature.chosen_journey(choices, 9) == 3 and feature.chosen_journey(choices, None) == 3
    assert feature.chosen_journey([], 7) is None


def test_a_connections_share_is_typed_in_percent(small_journey):
    edge = next(e for e in feature.update_edge("cart", "delivery", "65,5", "1 200")(small_journey).edges
                if (e.source, e.target) == ("cart", "delivery"))
    assert (edge.share, edge.volume) == (pytest.approx(0.655), 1200.0)
    edge = next(e for e in feature.update_edge("cart", "delivery", "", "")(small_journey).edges
                if (e.source, e.target) == ("cart", "delivery"))
    assert (edge.share, edge.volume) == (None, None)
    with pytest.raises(JourneyError, match="^Share: “lots” is not a number.$"):
        feature.update_edge("cart", "delivery", "lots", "")
