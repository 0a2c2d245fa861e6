"""Journey maps (personas, lanes, as-is/to-be) through the workspace, its undo history and project backups."""

import io
import json
import zipfile

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
