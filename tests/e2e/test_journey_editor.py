"""End-to-end: a consultant builds, edits and reloads journeys in the editor, in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.serving import wait_for, wait_settled
from workbench.data.templates import list_templates
from workbench.features.workspace import open_workspace

pytestmark = pytest.mark.e2e

TOUCHPOINT_COUNT = "() => window.cy ? window.cy.nodes('[type = \"touchpoint\"]').length : -1"


def wait_for_touchpoints(page, count: int) -> None:
    wait_for(page, f"({TOUCHPOINT_COUNT})() === {count}")


def open_editor(page, server) -> None:
    """Load the editor on the demo journey and wait until its callbacks have settled (map drawn and fitted)."""
    page.goto(server.at())
    wait_for(page, f"({TOUCHPOINT_COUNT})() > 0")
    wait_settled(page)


def save(page, button: str, expected_message: str) -> None:
    """Click a save button and see the message."""
    page.click(button)
    expect(page.locator("#je-message")).to_contain_text(expected_message)


def node_center(page, key: str) -> tuple[float, float]:
    """Where a node is drawn on the screen."""
    box = page.locator("#je-graph").bounding_box()
    pos = page.evaluate(f"() => window.cy.getElementById({key!r}).renderedPosition()")
    return box["x"] + pos["x"], box["y"] + pos["y"]


def model_position(page, key: str) -> tuple[float, float]:
    pos = page.evaluate(f"() => window.cy.getElementById({key!r}).position()")
    return round(pos["x"], 1), round(pos["y"], 1)


def select_node(page, key: str, name: str) -> None:
    page.mouse.click(*node_center(page, key))
    wait_for(page, f"() => document.querySelector('#je-tp-name').value === {name!r}")


def open_tab(page, label: str) -> None:
    page.click(f"#je-tabs .nav-link:text-is('{label}')")


def choose_source(page, label: str) -> None:
    """Pick where a new journey comes from, once the dialog has finished opening."""
    expect(page.locator("#je-new-modal")).to_be_visible()
    radio = page.get_by_label(label, exact=True)
    radio.click()
    expect(radio).to_be_checked()


def add_touchpoint(page, name: str, stage: str, channel: str, owner: str, expected: int) -> None:
    page.fill("#je-new-name", name)
    page.select_option("#je-new-stage", label=stage)
    page.fill("#je-new-channel", channel)
    page.fill("#je-new-owner", owner)
    page.click("#je-new-add")
    wait_for_touchpoints(page, expected)


def test_build_a_journey_from_scratch_and_find_it_after_reload(empty_server, page, screenshot):
    page.goto(empty_server.at())
    page.wait_for_selector("#je-graph")
    expect(page.locator("#je-empty")).to_contain_text("create one")

    # A project, then an empty journey in it.
    page.click("#je-project-new")
    page.fill("#je-name-input", "Client <b>Alpha</b> 🚚")
    page.click("#je-name-ok")
    wait_for(page, "() => document.querySelector('#je-project').selectedOptions[0]?.text === 'Client <b>Alpha</b> 🚚'")
    page.click("#je-journey-new")
    choose_source(page, "Empty")
    page.fill("#je-new-journey-name", "Onboarding")
    page.click("#je-new-ok")
    wait_for(page, "() => document.querySelector('#je-journey').selectedOptions[0]?.text.startsWith('Onboarding')")

    # Two stages.
    open_tab(page, "Stages")
    for stage in ("Sign-up", "Use"):
        page.fill("#je-stage-name", stage)
        page.click("#je-stage-add")
        wait_for(page, f"() => [...document.querySelectorAll('#je-stage-list input')].some(i => i.value === {stage!r})")

    # A third stage: renamed, moved first, then deleted again (it is empty).
    page.fill("#je-stage-name", "Temp")
    page.click("#je-stage-add")
    rename = page.locator("#je-stage-list input").nth(2)
    expect(rename).to_have_value("Temp")
    rename.fill("Later")
    rename.press("Enter")
    expect(page.locator("#je-message")).to_contain_text("Saved: Rename stage to “Later”")
    page.locator("#je-stage-list .input-group").nth(2).locator("button").nth(0).click()  # move earlier
    expect(page.locator("#je-stage-list input").nth(1)).to_have_value("Later")
    page.locator("#je-stage-list .input-group").nth(1).locator("button").nth(2).click()  # delete
    expect(page.locator("#je-stage-list input")).to_have_count(2)
    assert [page.locator("#je-stage-list input").nth(i).input_value() for i in range(2)] == ["Sign-up", "Use"]

    # Four touchpoints with owners.
    open_tab(page, "Touchpoint")
    add_touchpoint(page, "Web form", "Sign-up", "web", "Web team", 1)
    add_touchpoint(page, "Call centre", "Sign-up", "phone", "Support", 2)
    add_touchpoint(page, "<script>alert(1)</script>", "Use", "app", "Product", 3)
    add_touchpoint(page, "Welcome call", "Use", "phone", "Support", 4)
    page.evaluate("() => { window.cy.fit(); }")

    # Edit a touchpoint in the side panel: owner and kind.
    select_node(page, "welcome-call", "Welcome call")
    page.fill("#je-tp-owner", "Jana Nováková")
    page.select_option("#je-tp-kind", "outcome")
    page.fill("#je-tp-target-csat", "4.5")
    page.click("#je-tp-save")
    wait_for(page, "() => window.cy.getElementById('welcome-call').data('owner') === 'Jana Nováková'")

    # Connect: web form → app, call centre → app, app → welcome call.
    for source, name, target in (("web-form", "Web form", "script-alert-1-script"),
                                 ("call-centre", "Call centre", "script-alert-1-script"),
                                 ("script-alert-1-script", "<script>alert(1)</script>", "welcome-call")):
        select_node(page, source, name)
        page.select_option("#je-connect-target", target)
        page.click("#je-connect")
        wait_for(page, f"() => window.cy.getElementById('edge:{source}:{target}').length === 1")
    assert page.evaluate("() => window.cy.edges().length") == 3

    # Move a node by dragging it; undo puts it back, redo moves it again.
    before = model_position(page, "call-centre")
    x, y = node_center(page, "call-centre")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 90, steps=12)
    page.mouse.up()
    wait_for(page, "() => !document.querySelector('#je-undo').disabled && "
                           "document.querySelector('#je-undo').title.startsWith('Undo: Move')")
    moved = model_position(page, "call-centre")
    assert moved != before
    page.click("#je-undo")
    wait_for(page, f"() => Math.abs(window.cy.getElementById('call-centre').position().y - {before[1]}) < 1")
    assert model_position(page, "call-centre") == before
    page.click("#je-redo")
    wait_for(page, f"() => Math.abs(window.cy.getElementById('call-centre').position().y - {moved[1]}) < 1")
    screenshot(page, "editor-built-from-scratch")

    # The <script> name and the HTML-looking project name are shown as text, nothing ran.
    assert page.evaluate("() => window.cy.getElementById('script-alert-1-script').data('label')").startswith("<script>")
    assert page.locator("#je-project option", has_text="Client <b>Alpha</b>").count() == 1
    assert page.errors == []

    # Reload: everything is still there, and the workspace on disk says the same.
    page.reload()
    wait_for_touchpoints(page, 4)
    wait_for(page, "() => window.cy.edges().length === 3")
    assert model_position(page, "call-centre") == moved
    workspace = open_workspace(empty_server.workspace)
    project = workspace.projects()[0]
    state = workspace.journey(workspace.journeys(project.id)[0].id)
    workspace.close()
    journey = state.journey
    assert [s.name for s in journey.stages] == ["Sign-up", "Use"]
    assert {tp.name: tp.owner for tp in journey.touchpoints} == {
        "Web form": "Web team", "Call centre": "Support", "<script>alert(1)</script>": "Product",
        "Welcome call": "Jana Nováková"}
    assert journey.touchpoint("welcome-call").kind == "outcome"
    assert journey.touchpoint("welcome-call").targets == {"csat": 4.5}
    assert (journey.touchpoint("call-centre").x, journey.touchpoint("call-centre").y) == pytest.approx(moved, abs=0.2)
    assert len(journey.edges) == 3


def test_delete_key_asks_first_and_undo_brings_it_back(demo_server, page):
    open_editor(page, demo_server)
    count = page.evaluate(TOUCHPOINT_COUNT)
    key = page.evaluate("() => window.cy.nodes('[type = \"touchpoint\"]')[0].id()")
    name = page.evaluate(f"() => document.querySelector('#je-tp-name') && window.cy.getElementById({key!r}).data('label')")
    page.mouse.click(*node_center(page, key))
    page.wait_for_selector("#je-tp-card", state="visible")
    page.locator("#je-graph").focus()
    page.keyboard.press("Delete")
    page.wait_for_selector("#je-confirm-modal", state="visible")
    assert "Delete 1 touchpoint: " in page.inner_text("#je-confirm-text")
    page.click("#je-confirm-cancel")
    page.wait_for_selector("#je-confirm-modal", state="hidden")
    assert page.evaluate(TOUCHPOINT_COUNT) == count

    page.keyboard.press("Delete")
    page.click("#je-confirm-ok")
    wait_for_touchpoints(page, count - 1)
    page.keyboard.press("Control+z")
    wait_for_touchpoints(page, count)
    assert page.evaluate(f"() => window.cy.getElementById({key!r}).data('label')") == name


@pytest.mark.parametrize("template", list_templates(), ids=lambda t: t.key)
def test_new_journey_from_each_template(demo_server, page, template, screenshot):
    open_editor(page, demo_server)
    page.click("#je-journey-new")
    page.select_option("#je-new-template", template.key)
    page.fill("#je-new-journey-name", f"{template.name} (workshop)")
    page.click("#je-new-ok")
    wait_for(page, f"() => document.querySelector('#je-journey').selectedOptions[0]?.text"
                           f".startsWith({template.name + ' (workshop)'!r})")
    wait_for_touchpoints(page, template.touchpoints)
    page.wait_for_timeout(300)
    # Readable: after auto-layout no two touchpoint boxes overlap, and every label fits its box.
    overlaps = page.evaluate("""() => {
        const nodes = window.cy.nodes('[type = "touchpoint"]');
        let hits = 0;
        nodes.forEach((a, i) => nodes.forEach((b, j) => {
            if (j <= i) return;
            const p = a.boundingBox({includeLabels: false}), q = b.boundingBox({includeLabels: false});
            if (p.x1 < q.x2 && q.x1 < p.x2 && p.y1 < q.y2 && q.y1 < p.y2) hits++;
        }));
        return hits;
    }""")
    assert overlaps == 0
    overflowing = page.evaluate("""() => window.cy.nodes('[type = "touchpoint"]').filter(n => {
        const only = {includeNodes: false, includeEdges: false, includeOverlays: false};
        const label = n.boundingBox({...only, includeLabels: true});
        const box = n.boundingBox({includeLabels: false, includeOverlays: false});
        return label.x1 < box.x1 || label.x2 > box.x2 || label.y1 < box.y1 || label.y2 > box.y2;
    }).map(n => n.id())""")
    assert overflowing == []
    screenshot(page, f"template-{template.key}")
    assert page.errors == []


def test_bad_yaml_names_the_line_and_creates_nothing(demo_server, page, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("format: 1\nname: Broken\nstages:\n  - {key: a, name: A}\ntouchpoints:\n"
                   "  - {key: x, name: X, stage: nowhere}\n", encoding="utf-8")
    open_editor(page, demo_server)
    journeys_before = page.locator("#je-journey option").count()
    page.click("#je-journey-new")
    choose_source(page, "From a YAML file")
    page.set_input_files("#je-new-upload input[type=file]", str(bad))
    page.wait_for_selector("text=File: broken.yaml")
    page.click("#je-new-ok")
    expect(page.locator("#je-new-error")).to_contain_text("line 6: touchpoint 'x' is in stage 'nowhere'")
    page.click("#je-new-cancel")
    assert page.locator("#je-journey option").count() == journeys_before
    assert "Traceback" not in page.content()


def test_a_stale_tab_gets_a_clear_conflict_message(demo_server, browser):
    context = browser.new_context(viewport={"width": 1500, "height": 900})
    first, second = context.new_page(), context.new_page()
    for tab in (first, second):
        open_editor(tab, demo_server)
    first.click("#je-autolayout")  # lays out again: a new version, even if nothing moves much
    first.wait_for_selector("#je-message", state="visible")
    open_tab(second, "Stages")
    second.fill("#je-stage-name", "Loyalty")
    second.click("#je-stage-add")
    expect(second.locator("#je-message")).to_contain_text("changed in another window")
    context.close()


def test_rename_and_delete_journeys_and_projects(demo_server, page):
    open_editor(page, demo_server)
    page.click("#je-journey-rename")
    page.fill("#je-name-input", "Parcel journey 2027")
    page.click("#je-name-ok")
    expect(page.locator("#je-journey option:not(:empty)")).to_have_text(["Parcel journey 2027"])
    page.click("#je-undo")  # a rename is an edit like any other
    expect(page.locator("#je-message")).to_contain_text("Undone: Rename journey")

    page.click("#je-project-rename")
    page.fill("#je-name-input", "Parcel Express s.r.o.")
    page.click("#je-name-ok")
    expect(page.locator("#je-project option:not(:empty)")).to_have_text(["Parcel Express s.r.o."])
    page.click("#je-project-new")
    page.fill("#je-name-input", "Parcel Express s.r.o.")
    page.click("#je-name-ok")
    expect(page.locator("#je-name-error")).to_contain_text("already exists")
    page.click("#je-name-cancel")

    page.click("#je-journey-delete")
    expect(page.locator("#je-confirm-text")).to_contain_text("Delete the journey")
    page.click("#je-confirm-ok")
    expect(page.locator("#je-journey option:not(:empty)")).to_have_count(0)
    expect(page.locator("#je-empty")).to_contain_text("create one")
    page.click("#je-project-delete")
    expect(page.locator("#je-confirm-text")).to_contain_text("Parcel Express s.r.o.")
    page.click("#je-confirm-ok")
    expect(page.locator("#je-project option:not(:empty)")).to_have_count(0)
    workspace = open_workspace(demo_server.workspace)
    assert workspace.projects() == []
    workspace.close()


def stored_journey(server):
    workspace = open_workspace(server.workspace)
    try:
        project = workspace.projects()[0]
        return workspace.journey(workspace.journeys(project.id)[0].id).journey
    finally:
        workspace.close()


def test_panel_values_are_checked_and_never_silently_dropped(demo_server, page):
    open_editor(page, demo_server)
    select_node(page, "product-page", "Product page")
    expect(page.locator("#je-tp-target-index")).to_have_value("75")
    page.fill("#je-tp-target-csat", "4,25")  # a Czech decimal comma
    save(page, "#je-tp-save", "Saved: Edit “Product page”")
    assert stored_journey(demo_server).touchpoint("product-page").targets == {"csat": 4.25, "index": 75.0}

    page.fill("#je-tp-target-nps", "1000")
    save(page, "#je-tp-save", "target nps = 1\u00a0000 is outside −100..100")
    page.fill("#je-tp-target-nps", "lots")
    save(page, "#je-tp-save", "NPS: “lots” is not a number")
    assert stored_journey(demo_server).touchpoint("product-page").targets == {"csat": 4.25, "index": 75.0}
    assert page.locator("#je-connect-target option[value='product-page']").count() == 0  # never to itself

    # A connection: a bad share is refused with a message, a decimal-comma share is stored.
    box = page.locator("#je-graph").bounding_box()
    mid = page.evaluate("() => window.cy.getElementById('edge:product-page:cart').renderedMidpoint()")
    page.mouse.click(box["x"] + mid["x"], box["y"] + mid["y"])
    expect(page.locator("#je-edge-title")).to_have_text("Product page → Shopping cart")
    page.fill("#je-edge-share", "-20")
    save(page, "#je-edge-save", "share −0.2 must be between 0 and 1")
    page.fill("#je-edge-share", "12,5")
    save(page, "#je-edge-save", "Saved: Edit connection")
    edge = next(e for e in stored_journey(demo_server).edges if (e.source, e.target) == ("product-page", "cart"))
    assert edge.share == 0.125

    # Moving a touchpoint to another stage in the panel moves it into that stage's column.
    select_node(page, "product-page", "Product page")
    page.select_option("#je-tp-stage", label="Cart & checkout")
    page.click("#je-tp-save")
    wait_for(page, "() => Math.abs(window.cy.getElementById('product-page').position().x - "
                           "window.cy.getElementById('cart').position().x) < 200")
    assert stored_journey(demo_server).touchpoint("product-page").stage == "purchase"


def test_name_errors_show_in_the_dialog(demo_server, page):
    open_editor(page, demo_server)
    page.click("#je-project-new")
    page.fill("#je-name-input", "   ")
    page.click("#je-name-ok")
    expect(page.locator("#je-name-error")).to_contain_text("The project needs a name.")
    expect(page.locator("#je-name-modal")).to_be_visible()


# Every edge as drawn: sampled along its curve (cytoscape's own control points), with the boxes of the touchpoints
# it does not join; a sample inside such a box (shrunk by 2 px for anti-aliasing) is an edge drawn through a node.
EDGES_THROUGH_NODES = """(straight) => {
    const boxes = window.cy.nodes('[type = "touchpoint"]').map((n) => [n.id(), n.boundingBox({includeLabels: false})]);
    const crossing = [];
    window.cy.edges().forEach((e) => {
        const s = e.sourceEndpoint(), t = e.targetEndpoint();
        const c = e.controlPoints();
        const at = (u) => c && c.length === 1 && !straight
            ? {x: (1-u)*(1-u)*s.x + 2*u*(1-u)*c[0].x + u*u*t.x, y: (1-u)*(1-u)*s.y + 2*u*(1-u)*c[0].y + u*u*t.y}
            : {x: s.x + u*(t.x - s.x), y: s.y + u*(t.y - s.y)};
        for (const [id, b] of boxes) {
            if (id === e.source().id() || id === e.target().id()) continue;
            for (let i = 1; i < 50; i++) {
                const p = at(i / 50);
                if (p.x > b.x1 + 2 && p.x < b.x2 - 2 && p.y > b.y1 + 2 && p.y < b.y2 - 2) {
                    crossing.push(e.id() + ' through ' + id); break;
                }
            }
        }
    });
    return crossing;
}"""


def test_edges_are_bent_around_the_touchpoints_they_do_not_join(demo_server, page, screenshot):
    """Drawn straight, the demo's edges would pass through 10 touchpoints they do not join; bent as drawn, at most
    the few a single curve cannot avoid in its tight grid (a decision right above its neighbour's box)."""
    open_editor(page, demo_server)
    assert page.evaluate("() => window.cy.edges('[bend]').length") >= 5
    straight, drawn = page.evaluate(EDGES_THROUGH_NODES, True), page.evaluate(EDGES_THROUGH_NODES, False)
    assert len(straight) >= 10 and len(drawn) <= len(straight) // 5, (straight, drawn)
    screenshot(page, "editor-bent-edges")
