"""Journey maps (personas, lanes, as-is/to-be) through the workspace, its undo history and project backups."""

import io
import json
import zipfile
from dataclasses import replace

from hypothesis import HealthCheck, given, settings

from tests.test_journeyfile import journeys
from workbench.core import journeyfile
from workbench.core.journey import Lanes, Persona, Support, add_lane, set_lanes, set_persona, set_state
from workbench.repos.backup import MANIFEST, TABLES, read_backup, write_backup


def mapped(journey):
    """The small journey with a persona, a free lane and every lane of one touchpoint filled."""
    journey, _key = set_persona(journey, "Fleet manager", "Runs 40 vans", {"customer_type": "business"})
    journey = add_lane(journey, "Systems")
    journey = set_lanes(journey, "delivery", Lanes(
        does="Waits at home", thinks="Will it come today?", feels="Anxious", pains=("No time slot",),
        opportunities=("Two-hour window",), backstage=(Support("Route planning", "Couriers"),), custom={"Systems": "TMS"},
    ))
    return set_state(journey, "as-is")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(journey=journeys())
def test_a_workspace_gives_back_the_map_it_was_given(workspace, journey):
    project = workspace.create_project(f"P {len(workspace.projects())}")
    journey_id = workspace.create_journey(project, journey)
    stored = workspace.journey(journey_id).journey
    assert journeyfile.map_document(stored) == journeyfile.map_document(journey)
    assert [tp.lanes for tp in stored.touchpoints] == [tp.lanes for tp in journey.touchpoints]


def test_undo_and_redo_carry_the_map(workspace, small_journey):
    project = workspace.create_project("Maps")
    journey_id = workspace.create_journey(project, small_journey)
    workspace.save_journey(journey_id, mapped(small_journey), "Fill the lanes")
    assert workspace.undo(journey_id).journey.personas == ()
    again = workspace.redo(journey_id).journey
    assert journeyfile.map_document(again) == journeyfile.map_document(mapped(small_journey))
    assert again.state == "as-is"
    assert again.touchpoint("delivery").lanes.backstage == (Support("Route planning", "Couriers"),)
    assert again.personas == (Persona("fleet-manager", "Fleet manager", "Runs 40 vans", {"customer_type": "business"}),)


def test_a_backup_carries_the_map(workspace, small_journey):
    project = workspace.create_project("Maps")
    journey_id = workspace.create_journey(project, mapped(small_journey))
    out = io.BytesIO()
    write_backup(workspace, project, out)
    out.seek(0)
    summary = read_backup(workspace, out, name="Maps again")
    copy = workspace.journeys(summary.project_id)[0]
    restored = workspace.journey(copy.id).journey
    assert restored == workspace.journey(journey_id).journey


def test_a_backup_written_before_maps_still_opens(workspace, small_journey):
    """A backup of schema 0011 has no map or lanes columns; its journeys come back with empty maps."""
    project = workspace.create_project("Old")
    workspace.create_journey(project, small_journey)
    out = io.BytesIO()
    write_backup(workspace, project, out)
    old = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as source, zipfile.ZipFile(old, "w") as target:
        for info in source.infolist():
            data = json.loads(source.read(info)) if info.filename in (MANIFEST, TABLES) else source.read(info)
            if info.filename == MANIFEST:
                data["schema"] = "0011"
            if info.filename == TABLES:
                for row in data["journeys"]:
                    del row["map"]
                for row in data["touchpoints"]:
                    del row["lanes"]
            target.writestr(info, json.dumps(data).encode() if info.filename in (MANIFEST, TABLES) else data)
    old.seek(0)
    summary = read_backup(workspace, old, name="Old again")
    restored = workspace.journey(workspace.journeys(summary.project_id)[0].id).journey
    assert restored.personas == () and all(tp.lanes == Lanes() for tp in restored.touchpoints)
    assert [tp.key for tp in restored.touchpoints] == [tp.key for tp in small_journey.touchpoints]


# ------------------------------------------------------------------ the model's map edits


def test_the_main_path_runs_through_the_most_stages_then_the_most_customers(small_journey):
    from dataclasses import replace

    from workbench.core.journey import Edge, main_path

    # cart → abandon (30 %) or delivery (70 %): delivery reaches a later stage either way.
    assert main_path(small_journey) == ["web", "cart", "delivery"]
    # With the abandonment in the last stage too, the share decides; an edge without a share takes what is left.
    moved = replace(small_journey, touchpoints=tuple(replace(t, stage="get") if t.key == "abandon" else t
                                                     for t in small_journey.touchpoints),
                    edges=(Edge("web", "cart"), Edge("cart", "abandon", share=0.6), Edge("cart", "delivery"),
                           Edge("delivery", "cart")))
    assert main_path(moved) == ["web", "cart", "abandon"]
    assert main_path(replace(moved, edges=())) == ["web", "cart", "abandon", "delivery"]  # stage order


def test_compare_lists_what_a_to_be_adds_removes_and_changes(small_journey):
    from workbench.core.journey import add_touchpoint, compare, delete_touchpoints, update_touchpoint

    to_be, key = add_touchpoint(small_journey, "Parcel locker", "get", channel="locker")
    to_be = delete_touchpoints(to_be, ["abandon"])
    to_be = update_touchpoint(to_be, "cart", owner="Couriers")
    to_be = set_lanes(to_be, "web", Lanes(pains=("Slow",)))
    found = compare(small_journey, to_be)
    assert found.added == (key,) and found.removed == ("abandon",)
    assert found.changed == {"cart": ("owner",), "web": ("lanes",)}
    assert found.edges_removed == (("cart", "abandon"),) and found.edges_added == ()


def test_lane_edits_trim_and_refuse_what_breaks_the_map(small_journey):
    import pytest

    from workbench.core.journey import JourneyError, delete_lane, delete_persona

    journey = add_lane(small_journey, "  Systems ")
    assert journey.lanes == ("Systems",)
    journey = set_lanes(journey, "web", Lanes(does=" Browses ", pains=("", " Slow ", "  "), custom={"Systems": "CMS"},
                                              backstage=(Support(" SEO ", " Web team "), Support("  "))))
    assert journey.touchpoint("web").lanes == Lanes(does="Browses", pains=("Slow",), custom={"Systems": "CMS"},
                                                    backstage=(Support("SEO", "Web team"),))
    with pytest.raises(JourneyError, match="already a lane"):
        add_lane(journey, "systems")
    with pytest.raises(JourneyError, match="built-in"):
        add_lane(journey, "Pain points")
    with pytest.raises(JourneyError, match="not one of the journey's lanes"):
        set_lanes(journey, "web", Lanes(custom={"KPIs": "x"}))
    assert delete_lane(journey, "Systems").touchpoint("web").lanes.custom == {}
    journey, key = set_persona(journey, "Fleet", "", {"customer_type": "business"})
    journey, again = set_persona(journey, "Fleet", "", {})
    assert (key, again) == ("fleet", "fleet-2")
    assert [p.key for p in delete_persona(journey, key).personas] == ["fleet-2"]
    with pytest.raises(JourneyError, match="segment rule needs a column and a value"):
        set_persona(journey, "Empty rule", "", {"customer_type": " "})


def test_a_segment_rule_is_typed_as_column_equals_value():
    import pytest

    from workbench.core.journey import JourneyError
    from workbench.features.journeymaps import parse_rule, rule_text

    assert parse_rule("customer_type = business; region=Praha ") == {"customer_type": "business", "region": "Praha"}
    assert parse_rule("  ") == {}
    assert rule_text({"customer_type": "business", "region": "Praha"}) == "customer_type = business; region = Praha"
    with pytest.raises(JourneyError, match="“region” is not"):
        parse_rule("customer_type = business; region")


def test_the_lane_form_reads_back_what_it_shows(small_journey):
    from workbench.features.journeymaps import form_values, lanes_from_form

    journey = set_lanes(add_lane(mapped(small_journey), "KPIs"), "delivery", Lanes(
        does="Waits", pains=("No slot", "No call"), backstage=(Support("Route planning", "Couriers"), Support("Pick")),
        custom={"Systems": "TMS", "KPIs": "OTIF"}))
    values = form_values(journey, "delivery")
    assert values["backstage"] == "Couriers: Route planning\nPick"
    assert lanes_from_form(journey, values) == journey.touchpoint("delivery").lanes


# ------------------------------------------------------------------ the curve on the demo


def test_the_curve_is_the_map_s_score_along_the_main_path_per_persona(seeded_demo):
    import math
    from dataclasses import replace

    from workbench.core.journey import main_path
    from workbench.features import heatmap, journeymaps, selection

    workspace, project_id, journey_id, _effects = seeded_demo
    dataset_id = workspace.datasets.survey_for(project_id, journey_id).id
    data = {"project": project_id, "journey": journey_id, "dataset": dataset_id, "metric": "csat",
            "from": "2026-06-01", "to": "2026-08-31", "segments": []}
    picked = selection.resolve(workspace, data)
    journey, business = set_persona(picked.journey, "Business", "", {"customer_type": "business"})
    journey, nowhere = set_persona(journey, "Members", "", {"loyalty_tier": "gold"})
    picked = replace(picked, journey=journey)
    found = journeymaps.curves(workspace, picked, ["", business, nowhere], minimum=30)
    everyone, persona, missing = found.curves
    path = main_path(journey)
    assert [p.key for p in everyone.points] == path and [p.key for p in persona.points] == path
    whole = heatmap.scores(workspace, picked, 30).set_index("touchpoint")
    for point in everyone.points:
        assert point.n == whole.at[point.key, "n"]
        assert point.n == 0 or math.isclose(point.value, whole.at[point.key, "value"])
    # The persona's curve is the map of its segment; a filter on the same column in the bar is replaced, not added.
    only = selection.resolve(workspace, {**data, "segments": [f"customer_type{selection.SEPARATOR}new"]})
    again = journeymaps.curves(workspace, replace(only, journey=journey), [business], minimum=30).curves[0]
    segment = heatmap.scores(workspace, selection.resolve(
        workspace, {**data, "segments": [f"customer_type{selection.SEPARATOR}business"]}), 30).set_index("touchpoint")
    for point, repeated in zip(persona.points, again.points, strict=True):
        assert point.n == segment.at[point.key, "n"] == repeated.n
        assert 0 < point.n < (everyone.points[path.index(point.key)].n or 1) or point.n == 0
    assert missing.points == () and "loyalty_tier" in missing.note
    assert "CSAT" in found.summary


def test_a_persona_in_the_filter_bar_stands_for_its_segment_rule():
    from workbench.features.selection import PERSONA, SEPARATOR, parse_segments

    personas = (Persona("fleet", "Fleet", "", {"customer_type": "business", "region": "North"}),
                Persona("new", "New", "", {"customer_type": "new"}))
    chosen = [f"{PERSONA}{SEPARATOR}fleet", f"region{SEPARATOR}South", f"{PERSONA}{SEPARATOR}new",
              f"{PERSONA}{SEPARATOR}gone"]
    assert parse_segments(chosen, personas) == (("customer_type", ("business", "new")), ("region", ("North", "South")))
    assert parse_segments([f"{PERSONA}{SEPARATOR}fleet"], ()) == ()  # a persona removed since: no filter


def test_the_filter_bar_offers_the_personas_the_survey_can_apply(demo_folder, tmp_path):
    from tests.serving import copy_workspace
    from workbench.features import selection
    from workbench.features.workspace import open_workspace

    with open_workspace(copy_workspace(demo_folder, tmp_path / "ws")) as workspace:
        project_id = workspace.projects()[0].id
        journey_id = workspace.journeys(project_id)[0].id
        journey = workspace.journey(journey_id).journey
        journey = replace(journey, personas=(Persona("biz", "Business", "", {"customer_type": "business"}),
                                             Persona("gold", "Gold members", "", {"loyalty": "gold"})))
        workspace.save_journey(journey_id, journey, "Personas")
        dataset_id = workspace.datasets.survey_for(project_id, journey_id).id
        found = selection.dataset_choices(workspace, dataset_id, "3", journey_id)
        assert found.segments[0].label == "Persona: Business"
        assert "Gold members" not in [c.label for c in found.segments]  # the survey has no loyalty column
        picked = selection.resolve(workspace, {"project": project_id, "journey": journey_id, "dataset": dataset_id,
                                               "metric": "csat", "segments": [found.segments[0].value]})
        assert picked.filters == (("customer_type", ("business",)),)
        assert [c.label for c in selection.dataset_choices(workspace, dataset_id, "3").segments][0] != \
            "Persona: Business"


def test_an_edge_is_bent_around_a_touchpoint_in_its_way_and_only_then():
    import math

    from workbench.core.journey import (
        EDGE_CLEARANCE,
        NODE_HEIGHT,
        NODE_WIDTH,
        Edge,
        Journey,
        Stage,
        Touchpoint,
        edge_bends,
    )

    row = Journey("Row", stages=(Stage("s", "S"),), touchpoints=(
        Touchpoint("a", "A", "s", x=0.0, y=0.0), Touchpoint("b", "B", "s", x=180.0, y=0.0),
        Touchpoint("c", "C", "s", x=360.0, y=0.0), Touchpoint("d", "D", "s", x=180.0, y=95.0)),
        edges=(Edge("a", "b"), Edge("a", "c"), Edge("b", "d")))
    bends = edge_bends(row)
    assert set(bends) == {("a", "c")}  # a → b and b → d have nothing in their way
    bend = bends[("a", "c")]
    assert bend > 0  # to the left of travel (up, y pointing down): d sits below the row
    # The curve as drawn, border to border through the control point, clears b's box by the clearance.
    control = (180.0, -bend)
    scale = min(NODE_WIDTH / 2 / 180.0, NODE_HEIGHT / 2 / bend)  # where the line to the control point leaves a
    start, end = (180.0 * scale, -bend * scale), (360 - 180.0 * scale, -bend * scale)
    for i in range(1, 40):
        t = i / 40
        x = (1 - t) ** 2 * start[0] + 2 * t * (1 - t) * control[0] + t * t * end[0]
        y = (1 - t) ** 2 * start[1] + 2 * t * (1 - t) * control[1] + t * t * end[1]
        assert abs(x - 180) >= NODE_WIDTH / 2 + EDGE_CLEARANCE or abs(y) >= NODE_HEIGHT / 2 + EDGE_CLEARANCE, (t, x, y)
    assert not math.isnan(bend)


def test_a_key_made_from_a_long_name_fits_the_key_column():
    from workbench.core.journey import KEY_LENGTH, KEY_PATTERN, Journey, Stage, add_touchpoint, unique_key

    name = "Velmi dlouhý název kontaktního bodu " * 6  # 216 characters: a whole sentence pasted as a name
    key = unique_key(name, [])
    assert len(key) <= KEY_LENGTH and KEY_PATTERN.match(key)
    journey, first = add_touchpoint(Journey("J", stages=(Stage("s", "S"),)), name[:200], "s")
    journey, second = add_touchpoint(journey, name[:200], "s")
    assert second == f"{first}-2" and len(second) <= 100


def test_review_fixes_of_the_map_edits(small_journey):
    import pytest

    from workbench.core import i18n
    from workbench.core.journey import MAX_PERSONAS, JourneyError, validate
    from workbench.features.journeymaps import form_values, lanes_from_form

    # A backstage line with a colon that names no owner (an address, a time) stays one text.
    journey = set_lanes(small_journey, "web", Lanes(backstage=(Support("Check status at https://x.example"),
                                                               Support("Batch at 10:00", "Ops"))))
    values = form_values(journey, "web")
    assert lanes_from_form(journey, values) == journey.touchpoint("web").lanes
    # A free lane may not take a built-in lane's key or English title, whatever the reader's language.
    for name in ("pains", "Backstage", "customer feels"):
        with pytest.raises(JourneyError, match="built-in"):
            add_lane(small_journey, name)
    with i18n.language("cs"):
        czech = add_lane(small_journey, "Zákulisí")  # the Czech title is only a name: valid in every language
    validate(czech)
    # Limits on what a map holds.
    many = small_journey
    for i in range(MAX_PERSONAS):
        many, _key = set_persona(many, f"P{i}", "", {})
    with pytest.raises(JourneyError, match="at most"):
        set_persona(many, "One too many", "", {})
    with pytest.raises(JourneyError, match="longer than"):
        set_lanes(small_journey, "web", Lanes(does="x" * 4001))


def test_a_renamed_as_is_keeps_its_to_be_versions(workspace, small_journey):
    import pytest

    from workbench.core.errors import WorkspaceError
    from workbench.features import journeymaps
    from workbench.features import journeys as editing

    project = workspace.create_project("Versions")
    as_is = workspace.create_journey(project, small_journey)
    with pytest.raises(WorkspaceError):  # a taken name: nothing changes, the original is not marked
        journeymaps.new_version(workspace, project, as_is, "Shop")
    assert workspace.journey(as_is).journey.state == ""
    to_be = journeymaps.new_version(workspace, project, as_is, "Shop 2027")
    assert workspace.journey(as_is).journey.state == "as-is"
    state = workspace.journey(as_is)
    editing.save(workspace, as_is, state.version, "Rename", editing.renamed("Shop today"))
    assert editing.follow_rename(workspace, project, "Shop", "Shop today") == 1
    assert journeymaps.as_is_of(workspace, project, to_be) == as_is


def test_the_heatmap_compares_with_a_persona(seeded_demo):
    from dataclasses import replace as replaced

    from workbench.features import heatmap, selection

    workspace, project_id, journey_id, _effects = seeded_demo
    dataset_id = workspace.datasets.survey_for(project_id, journey_id).id
    picked = selection.resolve(workspace, {"project": project_id, "journey": journey_id, "dataset": dataset_id,
                                           "metric": "csat", "from": "2026-06-01", "to": "2026-08-31",
                                           "segments": []})
    journey, key = set_persona(picked.journey, "Business", "", {"customer_type": "business"})
    picked = replaced(picked, journey=journey)
    by_persona = heatmap.journey_map(workspace, picked, compare="segment",
                                     compare_segment=f"{selection.PERSONA}{selection.SEPARATOR}{key}", minimum=30)
    by_value = heatmap.journey_map(workspace, picked, compare="segment",
                                   compare_segment=f"customer_type{selection.SEPARATOR}business", minimum=30)
    assert by_persona.nodes == by_value.nodes and by_persona.comparing
