"""End-to-end: pages on data their analysis does not fit say in one sentence what to import, with a link to the
Data page, and draw no empty axes; long touchpoint names stay legible; no table is cut off on a 1366 × 768
screen."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_roi_page import pick
from tests.serving import Server, copy_workspace, screenshots_folder, wait_for, wait_settled
from tests.test_empty_states import bare_workspace

pytestmark = pytest.mark.e2e

AXES = ".xtick, .ytick, .xaxislayer-above path, .yaxislayer-above path"  # what plotly draws of an axis


@pytest.fixture(scope="module")
def unfit(tmp_path_factory):
    """The app on projects whose data does not fit every page (see tests.test_empty_states.bare_workspace)."""
    folder = tmp_path_factory.mktemp("unfit") / "ws"
    bare_workspace(folder)
    server = Server(folder, demo=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_folder):
    server = Server(copy_workspace(demo_folder, tmp_path_factory.mktemp("demo") / "ws"), demo=True)
    yield server
    server.stop()


def shoot(page, name: str) -> None:
    """A screenshot for a person to look at."""
    wait_settled(page)
    page.screenshot(path=str(screenshots_folder() / f"{name}.png"), full_page=True, animations="disabled")


ONE_SENTENCE = re.compile(r"^(?!.*\. ).*\.$", re.S)  # ends with "." and holds no ". " (as the text is shown)


def choose_project(page, select: str, name: str) -> None:
    page.select_option(select, label=name)


def expect_notice(page, selector: str, words: str) -> None:
    """One sentence with a link to the Data page."""
    notice = page.locator(selector)
    expect(notice).to_be_visible(timeout=30_000)
    expect(notice).to_contain_text(words)
    expect(notice.locator("a[href='/data']")).to_have_text("Data page")
    # One sentence: it ends with a full stop and holds no other. Polled, as the page may draw the notice again
    # (the project picker restores its choice) between the checks above and a single read.
    expect(notice).to_have_text(ONE_SENTENCE, use_inner_text=True)


def expect_no_axes(page, graph: str) -> None:
    """The graph is drawn (its plot exists) without a tick, a tick label or an axis line."""
    expect(page.locator(f"{graph} .main-svg").first).to_be_attached(timeout=20_000)
    assert page.locator(graph).locator(AXES).count() == 0, graph


def test_comments_without_comments_say_what_to_import(unfit, page):
    page.goto(unfit.at("/comments"))
    expect_notice(page, "#cm-no-comments", "This survey has no comments")
    expect(page.locator("#cm-by-score")).to_contain_text("No comments in this survey")
    expect_no_axes(page, "#cm-by-score")
    shoot(page, "comments-no-comments")
    page.click("#cm-no-comments a[href='/data']")
    expect(page).to_have_url(re.compile(r"/data(\?|$)"))
    assert not page.errors


@pytest.mark.parametrize("project, notice, words", [
    ("Bare", "#roi-no-overall", "This survey has no overall score to explain"),
    ("No KPIs", "#roi-no-kpis", "This project has no KPIs per period"),
    ("Satisfied", "#roi-not-nps", "this survey's overall outcome is Satisfied"),
])
def test_roi_without_the_data_its_chain_needs_says_what_to_import(unfit, page, project, notice, words):
    page.goto(unfit.at("/roi"))
    expect(page.locator("#roi-project option", has_text=project)).to_be_attached(timeout=30_000)
    choose_project(page, "#roi-project", project)
    expect_notice(page, notice, words)
    expect(page.locator("#roi-result")).to_be_hidden()
    for graph in ("#roi-waterfall", "#roi-tornado"):
        expect_no_axes(page, graph)
    shoot(page, f"roi-{project.lower().replace(' ', '-')}")
    assert not page.errors


def test_drivers_without_an_overall_score_say_what_to_import(unfit, page):
    page.goto(unfit.at("/drivers"))
    try:
        expect_notice(page, ".cx-empty", "This survey has no overall score to explain")
        for graph in ("#dr-matrix", "#dr-bars"):
            expect_no_axes(page, graph)
    finally:
        shoot(page, "drivers-no-overall")


def rectangles(page, selector: str) -> list[dict]:
    return page.evaluate(f"""() => [...document.querySelectorAll({selector!r})].map(e => {{
        const r = e.getBoundingClientRect(); return {{left: r.left, top: r.top, right: r.right, bottom: r.bottom}};
    }})""")


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080)])
def test_long_touchpoint_names_on_the_priority_matrix_do_not_overlap(unfit, page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(unfit.at("/drivers"))
    expect(page.locator("#dr-project option", has_text="Long names")).to_be_attached(timeout=30_000)
    choose_project(page, "#dr-project", "Long names")
    points = page.locator("#dr-matrix .scatterlayer .point")
    expect(points).to_have_count(7, timeout=60_000)
    wait_for(page, "document.querySelectorAll('#dr-matrix .annotation-text-g').length === 7")
    labels = rectangles(page, "#dr-matrix .annotation-text-g")
    dots = rectangles(page, "#dr-matrix .scatterlayer .point")
    assert len(labels) == 7 and all(r["right"] > r["left"] for r in labels)
    for a, b in itertools.combinations(labels, 2):  # as the browser drew them, in its fonts
        assert a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or \
            b["bottom"] <= a["top"], (a, b)
    for label, dot in itertools.product(labels, dots):
        assert label["right"] <= dot["left"] or dot["right"] <= label["left"] or label["bottom"] <= dot["top"] or \
            dot["bottom"] <= label["top"], (label, dot)
    page.locator("#dr-matrix").scroll_into_view_if_needed()
    shoot(page, f"drivers-long-names-{width}")
    assert not page.errors


# ------------------------------------------------------------------ wide tables on a 1366 × 768 screen

FITS = """(selector) => [...document.querySelectorAll(selector)].map(table => {
    const room = document.documentElement.clientWidth;
    let box = table.parentElement;
    while (box && box !== document.body) {  // the nearest ancestor that scrolls sideways
        const style = getComputedStyle(box);
        if (['auto', 'scroll'].includes(style.overflowX)) break;
        box = box.parentElement;
    }
    const scroller = box && box !== document.body ? box.getBoundingClientRect() : null;
    const own = table.getBoundingClientRect();
    return {selector, fits: own.left >= 0 && own.right <= room, scrolls: !!scroller && scroller.left >= 0
            && scroller.right <= room, width: own.width, room};
})"""


def check_tables(page, *selectors: str) -> None:
    """Every table is inside the window, or inside a box that scrolls sideways and is inside the window."""
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    for selector in selectors:
        found = page.evaluate(FITS, selector)
        assert found, selector
        for table in found:
            assert table["fits"] or table["scrolls"], table


def test_no_table_is_cut_off_on_a_1366_by_768_screen(demo, page):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(demo.at("/heatmap"))
    page.click("a.nav-link:text-is('Matrix')")
    expect(page.locator("#hm-matrix-table th").filter(has_text="Jižní Morava")).to_be_visible(timeout=30_000)
    check_tables(page, "#hm-matrix-table")
    shoot(page, "1366-heatmap-matrix")

    page.goto(demo.at("/drivers"))
    expect(page.locator("#dr-table tbody tr")).to_have_count(7, timeout=60_000)
    check_tables(page, "#dr-table")
    shoot(page, "1366-drivers")

    page.goto(demo.at("/comments"))
    expect(page.locator("#cm-theme-table tbody tr")).to_have_count(14, timeout=30_000)
    page.select_option("#cm-compare", "branch")
    expect(page.locator("#cm-by-touchpoint")).to_contain_text("Share of each branch's comments", timeout=20_000)
    check_tables(page, "#cm-theme-table", "#cm-by-touchpoint table")
    shoot(page, "1366-comments")

    page.goto(demo.at("/roi"))
    expect(page.locator("#roi-changes-table tbody tr")).to_have_count(7, timeout=30_000)
    names = page.eval_on_selector_all("#roi-open option", "os => os.filter(o => o.value).map(o => o.text)")
    for name in names[:2]:
        pick(page, "#roi-compare-pick", name)
    expect(page.locator("#roi-compare-table thead th")).to_have_count(3, timeout=30_000)  # two scenarios side by side
    check_tables(page, "#roi-changes-table", "#roi-compare-table")
    shoot(page, "1366-roi")
    assert not page.errors
