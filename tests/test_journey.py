"""Unit tests of the journey model: validation, graph checks, layout, edits."""

from dataclasses import replace

import pytest

from workbench.core import journey as jm
from workbench.core.journey import Edge, JourneyError, Touchpoint


def codes(journey):
    return sorted((w.code, w.keys) for w in jm.check(journey))


def test_valid_journey_has_only_the_backward_loop_warning(small_journey):
    jm.validate(small_journey)
    assert codes(small_journey) == [("backward_edge", ("delivery", "cart"))]


def test_graph_carries_touchpoint_fields(small_journey):
    graph = jm.to_graph(small_journey)
    assert set(graph.nodes) == {"web", "cart", "abandon", "delivery"}
    assert graph.nodes["delivery"]["owner"] == "Couriers"
    assert graph.nodes["delivery"]["stage_index"] == 2
    assert graph.edges["cart", "abandon"]["share"] == 0.3
    assert graph.number_of_edges() == 4


def test_unreachable_dead_end_duplicate_name_and_missing_owner_are_found(small_journey):
    journey, _ = jm.add_touchpoint(small_journey, "Island", "get", channel="app")
    journey, _ = jm.add_touchpoint(journey, "web", "get", owner="Couriers")  # same name as "Web", other case
    found = codes(journey)
    assert ("unreachable", ("island",)) in found
    assert ("dead_end", ("island",)) in found
    assert ("no_owner", ("island",)) in found
    assert ("duplicate_name", ("web", "web-2")) in found
    assert ("dead_end", ("abandon",)) not in found  # an outcome may end the journey


def test_entries_default_to_sources_of_the_first_stage(small_journey):
    unflagged = replace(small_journey, touchpoints=tuple(replace(t, entry=False) for t in small_journey.touchpoints))
    assert jm.entries(unflagged) == ["web"]


def test_validate_lists_every_problem(small_journey):
    bad = replace(small_journey, touchpoints=small_journey.touchpoints + (
        Touchpoint("web", "Again", "nowhere", owner="Ghost", kind="blob", targets={"nps": 300}),),
        edges=small_journey.edges + (Edge("web", "missing", share=1.5),))
    with pytest.raises(JourneyError) as err:
        jm.validate(bad)
    message = str(err.value)
    for fragment in ("Duplicate touchpoint key 'web'", "stage 'nowhere'", "owner 'Ghost'", "kind 'blob'",
                     "target nps = 300", "touchpoint 'missing' does not exist", "share 1.5"):
        assert fragment in message


def test_auto_layout_puts_stages_in_columns_and_channels_in_lanes(small_journey):
    laid = jm.auto_layout(small_journey)
    pos = {t.key: (t.x, t.y) for t in laid.touchpoints}
    assert pos["web"][0] < pos["cart"][0] < pos["delivery"][0]          # stage order left to right
    assert pos["web"][1] == pos["cart"][1] == 0.0                      # web lane first
    assert pos["delivery"][1] == jm.LANE_HEIGHT                        # courier lane below
    assert pos["cart"][1] == pos["abandon"][1]                         # same stage and lane: side by side
    assert abs(pos["cart"][0] - pos["abandon"][0]) >= jm.NODE_SPACING_X


def test_auto_layout_never_overlaps_nodes_in_a_template():
    from workbench.data.templates import list_templates, load_template

    for template in list_templates():
        laid = jm.auto_layout(load_template(template.key))
        points = [(t.x, t.y) for t in laid.touchpoints]
        for i, (x1, y1) in enumerate(points):
            for x2, y2 in points[i + 1:]:
                assert abs(x1 - x2) >= jm.NODE_SPACING_X - 1e-9 or abs(y1 - y2) >= jm.LANE_HEIGHT - 1e-9, template.key


def test_stage_edits(small_journey):
    journey, key = jm.add_stage(small_journey, "Pay & Go", after="buy")
    assert key == "pay-go"
    assert [s.key for s in journey.stages] == ["find", "buy", "pay-go", "get"]
    journey = jm.move_stage(jm.rename_stage(journey, key, "Payment"), key, -2)
    assert [(s.key, s.name) for s in journey.stages][0] == ("pay-go", "Payment")
    assert [s.key for s in jm.delete_stage(journey, key).stages] == ["find", "buy", "get"]
    with pytest.raises(JourneyError, match="still holds 2 touchpoint"):
        jm.delete_stage(journey, "buy")


def test_touchpoint_edits_keep_keys_and_add_new_owners(small_journey):
    laid = jm.auto_layout(small_journey)
    journey, key = jm.add_touchpoint(laid, "  Parcel   locker ", "get", channel="locker", owner="Locker Co")
    tp = journey.touchpoint(key)
    assert (key, tp.name, tp.owner) == ("parcel-locker", "Parcel locker", "Locker Co")
    delivery = laid.touchpoint("delivery")
    assert (tp.x, tp.y) == (delivery.x, delivery.y + jm.LANE_HEIGHT)  # below the last node of its stage
    assert "Locker Co" in [o.name for o in journey.owners]
    journey = jm.update_touchpoint(journey, key, name="Locker", kind="outcome", targets={"ces": 6})
    assert journey.touchpoint(key).name == "Locker"
    with pytest.raises(JourneyError, match="target csat"):
        jm.update_touchpoint(journey, key, targets={"csat": 9})
    with pytest.raises(JourneyError, match="already exists"):
        jm.add_touchpoint(journey, "Whatever", "get", key="web")


def test_delete_touchpoint_removes_its_edges(small_journey):
    journey = jm.delete_touchpoints(small_journey, ["cart"])
    assert [t.key for t in journey.touchpoints] == ["web", "abandon", "delivery"]
    assert journey.edges == ()


def test_edge_edits(small_journey):
    journey = jm.add_edge(small_journey, "web", "delivery", share=0.1)
    with pytest.raises(JourneyError, match="already connected"):
        jm.add_edge(journey, "web", "delivery")
    journey = jm.update_edge(journey, "web", "delivery", share=0.2, volume=10)
    assert journey.edges[-1] == Edge("web", "delivery", 0.2, 10)
    assert len(jm.delete_edges(journey, [("web", "delivery")]).edges) == 4
    with pytest.raises(JourneyError, match="between 0 and 1"):
        jm.update_edge(journey, "web", "delivery", share=2, volume=None)


@pytest.mark.parametrize("name, slug", [("Doručení kurýrem", "doruceni-kuryrem"), ("Zwrot   towaru!", "zwrot-towaru"),
                                        ("🚚", "item"), ("<script>", "script")])
def test_slugify_folds_diacritics(name, slug):
    assert jm.slugify(name) == slug


def test_map_elements_carry_names_as_data_and_flag_problems(small_journey):
    from cxweb.pages._graph import elements, positions

    journey = jm.auto_layout(jm.update_touchpoint(small_journey, "web", name="<b>Web</b> 🚚"))
    journey, _ = jm.add_touchpoint(journey, "Island", "get", channel="app")
    drawn = elements(journey, jm.check(journey), owner="Couriers")
    nodes = {e["data"]["id"]: e["data"] for e in drawn if "source" not in e["data"]}
    assert nodes["web"]["label"] == "▶ <b>Web</b> 🚚\n— Web team"          # plain text, not markup
    assert nodes["island"]["warn"] and not nodes["web"]["warn"]             # unreachable dead end
    assert nodes["delivery"]["highlight"] and nodes["web"]["dim"]           # owner filter
    assert [nodes[f"band:{s.key}"]["label"] for s in journey.stages] == ["Find", "Buy", "Get"]
    edges = {e["data"]["id"]: e["data"] for e in drawn if "source" in e["data"]}
    assert edges["edge:delivery:cart"]["backward"] and edges["edge:cart:abandon"]["label"] == "30%"
    dragged = {"positions": {"web": [1.0, 2.0], "cart": [1, 2], "odd": ["1", 2], "short": [1]}, "at": 1}
    assert positions(dragged) == {"web": (1.0, 2.0), "cart": (1.0, 2.0)}  # what the browser sends is checked
    assert positions(None) == positions({}) == {}


def test_changing_stage_moves_the_node_into_that_column(small_journey):
    laid = jm.auto_layout(small_journey)
    moved = jm.update_touchpoint(laid, "abandon", stage="get")
    tp, delivery = moved.touchpoint("abandon"), moved.touchpoint("delivery")
    assert tp.stage == "get" and tp.x == delivery.x and tp.y != delivery.y


def test_stage_at_finds_the_column_a_node_was_dropped_into(small_journey):
    laid = jm.auto_layout(small_journey)
    delivery = laid.touchpoint("delivery")
    assert jm.stage_at(laid, "web", delivery.x + 20) == "get"
    assert jm.stage_at(laid, "web", delivery.x + 10 * jm.NODE_SPACING_X) is None


def test_self_loops_huge_volumes_and_duplicate_stage_names_are_refused(small_journey):
    with pytest.raises(JourneyError, match="cannot lead to itself"):
        jm.add_edge(small_journey, "web", "web")
    with pytest.raises(JourneyError, match="volume"):
        jm.add_edge(small_journey, "web", "delivery", volume=1e300)
    with pytest.raises(JourneyError, match="already exists"):
        jm.add_stage(small_journey, "find")
    with pytest.raises(JourneyError, match="already exists"):
        jm.rename_stage(small_journey, "get", "BUY")
    assert jm.rename_stage(small_journey, "get", "Get").stages[-1].name == "Get"


def test_shares_over_100_percent_are_flagged(small_journey):
    journey = jm.update_edge(small_journey, "cart", "abandon", share=0.5, volume=None)
    assert ("shares_over_100", ("cart",)) in codes(journey)
    assert not any(code == "shares_over_100" for code, _ in codes(small_journey))


def test_dropping_a_node_into_another_column_changes_its_stage(small_journey):
    laid = jm.auto_layout(small_journey)
    delivery = laid.touchpoint("delivery")
    dropped = jm.drop_touchpoints(laid, {"web": (delivery.x + 30, delivery.y + 200)})
    assert dropped.touchpoint("web").stage == "get"
    assert (dropped.touchpoint("web").x, dropped.touchpoint("web").y) == (delivery.x + 30, delivery.y + 200)
    nudged = jm.drop_touchpoints(laid, {"web": (laid.touchpoint("web").x + 5, 0.0)})
    assert nudged.touchpoint("web").stage == "find"
