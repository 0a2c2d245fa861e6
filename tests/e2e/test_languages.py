"""End-to-end: the whole app in Czech and in Polish (issue 21), and the navigation bar's language switch.

For each language a server starts with ``CXWB_LANG`` on a new workspace, so the demo is seeded in that language.
The test opens every page of the navigation bar, every tab and every dialog a click opens on the demo, reads what a
reader sees (tests/e2e/visible_text.py) and fails with a worklist: each English message of the code found on screen,
and each line that reads as English though the catalogue lacks it, with the page, tab or dialog and the element
where it was seen. A screenshot of every view is saved as ``lang-<language>-<view>.png`` (in
``tests.serving.screenshots_folder()``: ``CXWB_SCREENSHOTS=tests/e2e/screenshots`` keeps them beside the tests).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import expect

from tests.e2e import visible_text
from tests.serving import SETTLED, Server, copy_workspace, screenshots_folder, wait_for
from workbench.core import i18n

pytestmark = pytest.mark.e2e

LANGUAGES = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]
TOUCHPOINTS = "() => window.cy ? window.cy.nodes('[type = \"touchpoint\"]').length : 0"
LOCALES = {"cs": "cs-CZ", "pl": "pl-PL"}
TABS = {"journeys": ["touchpoint", "stages", "checks"], "heatmap": ["map", "matrix", "breaks"]}


@pytest.fixture(scope="module")
def code_messages() -> dict[str, object]:
    """The English messages of the code, extracted as `make i18n` extracts them (tests/test_i18n.py)."""
    from tests.test_i18n import _code_messages

    return _code_messages()


@pytest.fixture(scope="module", params=LANGUAGES)
def language_server(request, tmp_path_factory):
    """The app started with ``CXWB_LANG=<language>`` on an empty workspace: it seeds the demo in that language."""
    code = request.param
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CXWB_LANG", code)
        server = Server(tmp_path_factory.mktemp(f"lang-{code}") / "ws", demo=True)
    yield code, server
    server.stop()


@pytest.fixture(scope="module")
def english_server(tmp_path_factory, demo_folder):
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("CXWB_LANG", raising=False)
        server = Server(copy_workspace(demo_folder, tmp_path_factory.mktemp("lang-en") / "ws"), demo=True)
    yield server
    server.stop()


@pytest.fixture
def reader(browser, language_server):
    """A page in a browser set to the language, as a Czech or Polish reader's is (native date fields, Accept-Language);
    like conftest's ``page``, it keeps the page's errors and fails on anything the Content-Security-Policy blocks."""
    code, _server = language_server
    context = browser.new_context(viewport={"width": 1500, "height": 900}, locale=LOCALES[code])
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield page
    context.close()
    assert not blocked, blocked


def settle(page, timeout: float = 30) -> None:
    """Wait until the callbacks have run and the text stays the same for a moment (at most ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    before = None
    while time.monotonic() < deadline:
        try:
            page.wait_for_load_state("networkidle", timeout=max(1, deadline - time.monotonic()) * 1000)
            wait_for(page, SETTLED, timeout=max(0.1, deadline - time.monotonic()) * 1000)
        except Exception:  # noqa: BLE001 - a page still busy is read as it is, and said so
            return
        now = page.evaluate("() => document.body.innerText")
        if now == before:
            return
        before = now
        time.sleep(0.4)


@dataclass
class Tour:
    """One language's walk through the app: what was read in each view, what went wrong on the way."""

    code: str
    server: Server
    page: object
    finder: visible_text.EnglishFinder
    views: list[tuple[str, str]] = field(default_factory=list)  # (screenshot name, where)
    found: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # message → [(view, element)]
    other: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # English line → [(view, element)]
    problems: list[str] = field(default_factory=list)

    def open(self, path: str, ready: str | None = None) -> None:
        self.page.goto(self.server.at(path))
        if ready:
            expect(self.page.locator(ready).first).to_be_visible(timeout=30_000)
        settle(self.page)

    def look(self, name: str, where: str) -> None:
        """Read the view (its folded details unfolded) and take its screenshot."""
        settle(self.page)
        if self.page.evaluate(
            "() => [...document.querySelectorAll('details:not([open])')].map(d => d.open = true).length"
        ):
            settle(self.page)
        items = visible_text.collect(self.page)
        found = self.finder.find(items)
        for english, shown in found.items():
            self.found.setdefault(english, []).append((where, _places(shown)))
        for item in visible_text.english_lines(self.finder, items, found):
            self.other.setdefault(item.text, []).append((where, item.where))
        path = screenshots_folder() / f"lang-{self.code}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True, animations="disabled")
        self.views.append((name, where))

    def step(self, where: str, action: Callable[[], None]) -> None:
        """Run one part of the walk; a failure is noted and the walk goes on with the next part."""
        try:
            action()
        except Exception as error:  # noqa: BLE001 - the report lists every view that could not be opened
            self.problems.append(f"{where}: {type(error).__name__}: {str(error).splitlines()[0][:300]}")

    def report(self) -> str:
        lines = []
        if self.found:
            lines.append(f"{len(self.found)} English messages of the catalogue on screen in {self.code}:")
            lines += _grouped(self.found)
        if self.other:
            lines.append(f"{len(self.other)} English lines that are not in the catalogue (bypassing gettext?):")
            lines += _grouped(self.other)
        if self.problems:
            lines.append("Views that could not be opened or read:")
            lines += [f"  {problem}" for problem in self.problems]
        if self.page.errors:
            lines.append("Browser errors:")
            lines += [f"  {error[:300]}" for error in dict.fromkeys(self.page.errors)]
        return "\n".join(lines)


def _places(shown: list[visible_text.Item]) -> str:
    return ", ".join(
        dict.fromkeys(f"{item.where}" + ("" if item.kind in ("text", "line") else f" [{item.kind}]") for item in shown)
    )


def _grouped(texts: dict[str, list[tuple[str, str]]]) -> list[str]:
    """Each text once, under the first view that showed it (with the element), then the other views it is on."""
    by_view: dict[str, list[str]] = {}
    for text, seen in texts.items():
        (view, element), *more = seen
        also = list(dict.fromkeys(v for v, _e in more if v != view))
        suffix = f"  (also: {'; '.join(also[:4])}{' …' if len(also) > 4 else ''})" if also else ""
        by_view.setdefault(view, []).append(f"    {text!r}  at {element}{suffix}")
    return [line for view, shown in by_view.items() for line in (f"  {view}:", *sorted(shown))]


# ------------------------------------------------------------------ the walk, page by page


def _close_modal(page, modal: str, cancel: str | None = None) -> None:
    if cancel:
        page.click(cancel)
    else:
        page.keyboard.press("Escape")
    expect(page.locator(modal)).to_be_hidden(timeout=10_000)


def _dialog(tour: Tour, button: str, modal: str, name: str, where: str, cancel: str | None = None) -> None:
    page = tour.page
    page.click(button)
    expect(page.locator(modal)).to_be_visible(timeout=20_000)
    tour.look(name, where)
    _close_modal(page, modal, cancel)


def _tabs(tour: Tour, page_name: str, label: str, tabs: str, first: Callable[[], None] | None = None) -> None:
    """Every tab of ``tabs`` (a dbc.Tabs id), the first one after ``first`` (which may open a panel in it)."""
    links = tour.page.locator(f"#{tabs} .nav-link")
    names = TABS.get(page_name, [])
    for index in range(links.count()):
        tab = names[index] if index < len(names) else f"tab{index + 1}"
        where = f"{label} › {tab} tab"

        def show(index=index, tab=tab, where=where) -> None:
            links.nth(index).click()
            tour.look(f"{page_name}-{tab}", where)

        tour.step(where, show)
        if index == 0 and first:
            first()


def journeys(tour: Tour, label: str) -> None:
    page = tour.page
    tour.open("/")
    wait_for(page, f"({TOUCHPOINTS})() > 0")
    settle(page)
    tour.look("journeys", label)

    def touchpoint() -> None:
        box = page.locator("#je-graph").bounding_box()
        at = page.evaluate("() => window.cy.nodes('[type = \"touchpoint\"]')[0].renderedPosition()")
        page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
        expect(page.locator("#je-tp-card")).to_be_visible(timeout=20_000)
        tour.look("journeys-touchpoint-selected", f"{label} › a touchpoint selected")

    def connection() -> None:
        box = page.locator("#je-graph").bounding_box()
        at = page.evaluate("() => window.cy.edges()[0].renderedMidpoint()")
        page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
        expect(page.locator("#je-edge-card")).to_be_visible(timeout=20_000)
        tour.look("journeys-connection", f"{label} › a connection selected")

    _tabs(
        tour,
        "journeys",
        label,
        "je-tabs",
        first=lambda: (
            tour.step(f"{label} › a touchpoint", touchpoint),
            tour.step(f"{label} › a connection", connection),
        ),
    )
    page.locator("#je-tabs .nav-link").first.click()
    dialogs = [
        ("#je-project-new", "#je-name-modal", "#je-name-cancel", "new-project", "New project dialog"),
        ("#je-project-rename", "#je-name-modal", "#je-name-cancel", "rename-project", "Rename project dialog"),
        ("#je-project-delete", "#je-confirm-modal", "#je-confirm-cancel", "delete-project", "Delete project dialog"),
        ("#je-journey-rename", "#je-name-modal", "#je-name-cancel", "rename-journey", "Rename journey dialog"),
        ("#je-journey-delete", "#je-confirm-modal", "#je-confirm-cancel", "delete-journey", "Delete journey dialog"),
        ("#je-quick-open", "#je-quick-modal", "#je-quick-cancel", "quick-add", "Quick add dialog"),
    ]
    for button, modal, cancel, name, what in dialogs:
        tour.step(
            f"{label} › {what}",
            lambda b=button, m=modal, c=cancel, n=name, w=what: _dialog(
                tour, b, m, f"journeys-{n}", f"{label} › {w}", c
            ),
        )

    def new_journey() -> None:
        page.click("#je-journey-new")
        expect(page.locator("#je-new-modal")).to_be_visible(timeout=20_000)
        tour.look("journeys-new-journey", f"{label} › New journey dialog (template)")
        sources = page.locator("#je-new-source label")
        for index, name in ((1, "empty"), (2, "file")):
            sources.nth(index).click()
            tour.look(f"journeys-new-journey-{name}", f"{label} › New journey dialog ({name})")
        _close_modal(page, "#je-new-modal", "#je-new-cancel")

    tour.step(f"{label} › New journey dialog", new_journey)


def data(tour: Tour, label: str) -> None:
    page = tour.page
    tour.open("/data", "#da-datasets table")
    tour.look("data", label)
    tour.step(
        f"{label} › import report dialog",
        lambda: _dialog(
            tour,
            '[id*=\'"type":"da-show-report"\']',
            "#da-kept-modal",
            "data-report",
            f"{label} › a dataset's import report",
        ),
    )
    tour.step(
        f"{label} › delete dialog",
        lambda: _dialog(
            tour,
            '[id*=\'"type":"da-delete"\']',
            "#da-delete-modal",
            "data-delete",
            f"{label} › Delete dataset dialog",
            "#da-delete-cancel",
        ),
    )
    samples = [value for value in page.locator("#da-sample option").evaluate_all("o => o.map(x => x.value)") if value]
    for index, sample in enumerate(samples):
        where = f"{label} › import of the sample {sample}"

        def open_sample(index=index, sample=sample, where=where) -> None:
            page.select_option("#da-sample", sample)
            page.click("#da-open")
            expect(page.locator("#da-file-info")).to_contain_text(sample, timeout=30_000)
            expect(page.locator("#da-mapping")).to_be_visible(timeout=30_000)
            tour.look(f"data-import-{index + 1}", where)
            if index == 0:
                page.click("#da-check")
                expect(page.locator("#da-report-body")).to_be_visible(timeout=60_000)
                tour.look("data-import-check", f"{where} › checked")
                page.click("#da-discard")
                expect(page.locator("#da-decision")).to_be_hidden(timeout=20_000)
                tour.look("data-import-cancelled", f"{where} › import cancelled")
            if index == len(samples) - 1:  # the kinds of file the last sample did not choose
                kinds = page.locator("#da-kind label")
                for kind in range(kinds.count()):
                    kinds.nth(kind).click()
                    tour.look(f"data-import-kind{kind + 1}", f"{label} › import, file kind {kind + 1}")

        tour.step(where, open_sample)


def heatmap(tour: Tour, label: str) -> None:
    page = tour.page
    tour.open("/heatmap", "#hm-break-list .list-group-item")

    def detail() -> None:
        page.locator("#hm-break-list .list-group-item").first.click()
        expect(page.locator("#hm-detail-card")).to_be_visible(timeout=30_000)
        expect(page.locator("#hm-trend .js-plotly-plot")).to_be_visible(timeout=30_000)
        tour.look("heatmap-map-detail", f"{label} › a break's detail")

    _tabs(tour, "heatmap", label, "hm-tabs", first=lambda: tour.step(f"{label} › a break's detail", detail))

    def compare() -> None:
        page.locator("#hm-tabs .nav-link").first.click()
        page.select_option("#hm-compare", "previous")
        tour.look("heatmap-compare", f"{label} › compared with the period before")

    tour.step(f"{label} › compare", compare)


def leaderboards(tour: Tour, label: str) -> None:
    tour.open("/leaderboards", "#lb-table table")
    tour.look("leaderboards", label)

    def trend() -> None:
        tour.page.locator("#lb-order label").nth(1).click()
        tour.look("leaderboards-trend", f"{label} › by trend")

    tour.step(f"{label} › by trend", trend)


def drivers(tour: Tour, label: str) -> None:
    tour.open("/drivers", "#dr-table tbody tr")
    tour.look("drivers", label)

    def other_method() -> None:
        tour.page.select_option("#dr-method", index=1)
        tour.look("drivers-method2", f"{label} › the second method")

    tour.step(f"{label} › the second method", other_method)


def comments(tour: Tour, label: str) -> None:
    page = tour.page
    tour.open("/comments", "#cm-theme-table tbody tr")
    tour.look("comments", label)

    def editor(button: str, name: str, where: str) -> None:
        page.locator(button).first.click()
        expect(page.locator("#cm-editor")).to_be_visible(timeout=20_000)
        tour.look(name, where)
        page.click("#cm-edit-cancel")
        expect(page.locator("#cm-editor")).to_be_hidden(timeout=20_000)

    tour.step(f"{label} › New theme form", lambda: editor("#cm-new", "comments-new-theme", f"{label} › New theme form"))
    tour.step(
        f"{label} › theme form", lambda: editor("#cm-theme-table a", "comments-theme", f"{label} › a theme's form")
    )

    def coding() -> None:
        page.locator("#cm-grid .ag-center-cols-container .ag-row [col-id='comment']").first.click()
        expect(page.locator("#cm-retag")).to_be_visible(timeout=20_000)
        tour.look("comments-coding", f"{label} › a comment's coding")

    tour.step(f"{label} › a comment's coding", coding)

    def compare() -> None:
        page.select_option("#cm-compare", index=1)
        tour.look("comments-compare", f"{label} › compared by the second segment")

    tour.step(f"{label} › compare", compare)


def alerts(tour: Tour, label: str) -> None:
    tour.open("/alerts", "#al-inbox tbody tr")
    tour.look("alerts", label)

    def every_status() -> None:
        tour.page.locator("#al-status label").last.click()
        tour.look("alerts-all", f"{label} › all statuses")

    tour.step(f"{label} › all statuses", every_status)


def actions(tour: Tour, label: str) -> None:
    page = tour.page
    tour.open("/actions", "#act-grid-done .ag-row")
    tour.look("actions", label)
    tour.step(
        f"{label} › New action dialog",
        lambda: _dialog(tour, "#act-new", "#act-editor", "actions-new", f"{label} › New action dialog"),
    )

    def card() -> None:
        page.locator("#act-grid-done .ag-center-cols-container .ag-row .cx-card").first.click()
        expect(page.locator("#act-editor")).to_be_visible(timeout=20_000)
        tour.look("actions-card", f"{label} › a done card's dialog")
        if page.locator("#act-check").is_visible():
            page.click("#act-check")
            expect(page.locator("#act-verdict")).not_to_be_empty(timeout=60_000)
            tour.look("actions-check", f"{label} › a done card's check")
        _close_modal(page, "#act-editor")

    tour.step(f"{label} › a card's dialog", card)


def roi(tour: Tour, label: str) -> None:
    page = tour.page
    tour.open("/roi", "#roi-changes-table tbody tr")
    tour.look("roi", label)

    def scenario() -> None:
        page.select_option("#roi-open", index=1)
        settle(page)
        tour.look("roi-scenario", f"{label} › a saved scenario")

    tour.step(f"{label} › a saved scenario", scenario)

    def compare() -> None:
        page.click("#roi-compare-pick")
        page.locator("[role=option]").first.click()
        page.keyboard.press("Escape")
        expect(page.locator("#roi-compare table")).to_be_visible(timeout=30_000)
        tour.look("roi-compare", f"{label} › scenarios compared")

    tour.step(f"{label} › scenarios compared", compare)


def export(tour: Tour, label: str) -> None:
    tour.open("/export", "#ex-slides input")
    tour.look("export", label)


def journey_map(tour: Tour, label: str) -> None:
    page = tour.page
    tour.open("/map", ".jm-table .jm-tp")
    expect(page.locator("#jm-curve .legendtext").first).to_be_visible(timeout=30_000)
    tour.look("journey-map", label)

    def lanes() -> None:
        page.locator(".jm-tp").first.click()
        expect(page.locator("#jm-lanes-modal")).to_be_visible(timeout=20_000)
        tour.look("journey-map-lanes", f"{label} › a touchpoint's lanes")
        _close_modal(page, "#jm-lanes-modal", "#jm-lanes-cancel")

    def compare() -> None:
        page.click("#jm-compare")
        expect(page.locator("#jm-comparison")).not_to_be_empty(timeout=20_000)
        tour.look("journey-map-compare", f"{label} › compared with the as-is")

    tour.step(f"{label} › lanes", lanes)
    tour.step(f"{label} › compare", compare)


def sources(tour: Tour, label: str) -> None:
    page = tour.page
    tour.open("/sources", "#rv-kpis table")
    tour.look("sources-reviews", label)

    def audits() -> None:
        page.locator("#so-tabs .nav-link").nth(1).click()
        expect(page.locator("#au-view table").first).to_be_visible(timeout=30_000)
        expect(page.locator("#au-scatter .scatterlayer .point").first).to_be_attached(timeout=30_000)
        tour.look("sources-audits", f"{label} › mystery shopping")

    tour.step(f"{label} › mystery shopping", audits)


def customer(tour: Tour, label: str) -> None:
    page = tour.page
    tour.open("/customer?id=C000001", "#cu-timeline")
    tour.look("customer", label)

    def search() -> None:
        page.fill("#cu-search", "C00001")
        expect(page.locator("#cu-results a").first).to_be_visible(timeout=20_000)
        tour.look("customer-search", f"{label} › search")

    tour.step(f"{label} › search", search)


def crm(tour: Tour, label: str) -> None:
    page = tour.page
    tour.open("/crm", "#crm-rule")
    presets = page.locator("#crm-rule option[value^='preset:']")
    expect(presets.first).to_be_attached(timeout=30_000)
    page.select_option("#crm-rule", presets.nth(4).get_attribute("value"))  # the churn-risk task rule
    settle(page)
    page.click("#crm-run")
    expect(page.locator("#crm-summary")).to_be_visible(timeout=60_000)
    tour.look("crm", label)


PAGES: dict[str, Callable[[Tour, str], None]] = {
    "/": journeys,
    "/map": journey_map,
    "/data": data,
    "/sources": sources,
    "/customer": customer,
    "/crm": crm,
    "/heatmap": heatmap,
    "/leaderboards": leaderboards,
    "/drivers": drivers,
    "/comments": comments,
    "/alerts": alerts,
    "/actions": actions,
    "/roi": roi,
    "/export": export,
}


def test_every_page_tab_and_dialog_is_in_the_language(language_server, code_messages, reader):
    code, server = language_server
    page = reader
    tour = Tour(code, server, page, visible_text.EnglishFinder(code, code_messages))
    page.goto(server.at("/"))
    # A page's link, or one in a menu of pages (not the language menu's links).
    links = page.locator(".navbar a.nav-link[href^='/'], .navbar .dropdown:has(.cx-nav-group) a.dropdown-item")
    expect(page.locator(".navbar a.nav-link[href='/heatmap']")).to_be_visible(timeout=30_000)
    own_text = "a => [...a.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim()"
    navbar = [(link.get_attribute("href"), link.evaluate(own_text)) for link in links.all()]  # without the badge
    menus = page.locator(".navbar .cx-nav-group")
    navbar += [(None, menu.evaluate("a => a.textContent.trim()")) for menu in menus.all()]
    assert menus.count() == 3, "the Journeys, Data and Customers menus"
    unknown = [href for href, _name in navbar if href is not None and href not in PAGES]
    assert not unknown, f"pages of the navigation bar this test does not open yet: {unknown}"
    menus = sorted(name for href, name in navbar if href is None)
    expected = sorted(
        (visible_text.catalogue(code).get((None, m)) or (m,))[0] for m in ("Journeys", "Data", "Customers")
    )
    assert menus == expected, f"{code}: the menus are named {menus}, not {expected}"
    for href, name in navbar:
        if href is None:
            continue
        label = f"{name} ({href})"
        tour.step(label, lambda visit=PAGES[href], label=label: visit(tour, label))
    names = ", ".join(name for name, _where in tour.views)
    print(
        f"\n{code}: {len(tour.views)} views read: {names}; screenshots and the report lang-{code}-* in {screenshots_folder()}"
    )
    report = tour.report()
    (screenshots_folder() / f"lang-{code}-report.txt").write_text(report or "No English found.\n", encoding="utf-8")
    assert not report, f"{code}: English on screen (message · element · other views)\n{report}"


# ------------------------------------------------------------------ the language switch


def _czech(message: str) -> str:
    """The Czech catalogue's translation of ``message`` (the English text itself when it has none yet)."""
    return (visible_text.catalogue("cs").get((None, message)) or ("",))[0] or message


def test_the_language_menu_switches_the_page_and_is_remembered(english_server, page):
    server = english_server
    heatmap_link = page.locator(".navbar a.nav-link[href='/heatmap']")
    menu = page.locator("#nav-language-menu")
    page.goto(server.at("/heatmap"))
    expect(heatmap_link).to_have_text("Heatmap", timeout=30_000)
    expect(menu.locator(".dropdown-toggle")).to_have_text("English")
    settle(page)

    menu.locator(".dropdown-toggle").click()
    expect(menu.locator(".dropdown-item", has_text="Čeština")).to_have_attribute(
        "href", re.compile(r"^/language/cs\?next=/heatmap")
    )
    menu.locator(".dropdown-item", has_text="Čeština").click()
    expect(menu.locator(".dropdown-toggle")).to_have_text("Čeština", timeout=30_000)
    assert page.url.split("?")[0] == f"{server.url}/heatmap"  # the same page, now in Czech
    assert {c["name"]: c["value"] for c in page.context.cookies()}.get(i18n.COOKIE) == "cs"
    czech = _czech("Heatmap")
    assert czech != "Heatmap", "the cs catalogue does not translate the page name 'Heatmap' yet"
    expect(heatmap_link).to_have_text(czech)
    expect(page.locator("html")).to_have_attribute("lang", "cs")

    page.reload()  # the browser remembers the choice
    expect(menu.locator(".dropdown-toggle")).to_have_text("Čeština", timeout=30_000)
    expect(heatmap_link).to_have_text(czech)
    page.locator(".navbar a.nav-link[href='/drivers']").click()  # and keeps it on another page
    expect(page).to_have_url(f"{server.url}/drivers")
    expect(page.locator(".navbar a.nav-link[href='/drivers']")).to_have_text(_czech("Drivers"))
    page.goto(f"{server.url}/drivers")  # a new page load, with the cookie only
    expect(menu.locator(".dropdown-toggle")).to_have_text("Čeština", timeout=30_000)
    settle(page)

    menu.locator(".dropdown-toggle").click()
    menu.locator(".dropdown-item", has_text="English").click()
    expect(menu.locator(".dropdown-toggle")).to_have_text("English", timeout=30_000)
    assert page.url.split("?")[0] == f"{server.url}/drivers"
    expect(page.locator(".navbar a.nav-link[href='/drivers']")).to_have_text("Drivers")
    expect(heatmap_link).to_have_text("Heatmap")
    assert not page.errors


def test_amounts_are_typed_and_shown_with_the_languages_decimal_mark(language_server, reader):
    """A Czech or Polish consultant types '0,5': the ROI form reads it as a half (a number field would read 5), and
    shows its own values with the decimal comma."""
    code, server = language_server
    page = reader
    page.goto(server.at("/roi"))
    expect(page.locator("#roi-changes-table tbody tr")).to_have_count(7, timeout=30_000)
    expect(page.locator("#roi-value")).to_have_value("0,3")
    change = page.locator("#roi-changes-table tbody tr").first.locator("input")

    def result_for(typed: str) -> str:
        change.fill(typed)
        change.press("Enter")
        settle(page)
        return page.locator("#roi-figures").inner_text()

    comma, point, five = result_for("0,5"), result_for("0.5"), result_for("5")
    assert comma == point != five
    expect(change).to_have_value("5")
    result_for("pět")
    expect(page.locator("#roi-verdict")).to_contain_text("„pět“" if code == "cs" else "„pět”")


def test_an_action_cards_amounts_round_trip_with_the_decimal_comma(language_server, reader):
    """The demo's pilot card expects +0.4: a Czech or Polish reader sees '0,4', types '0,6' and gets 0.6 back."""
    _code, server = language_server
    page = reader
    page.goto(server.at("/actions"))
    card = page.locator("#act-grid-done .ag-center-cols-container .ag-row .cx-card").first
    card.click()
    expect(page.locator("#act-f-change")).to_have_value("0,4", timeout=20_000)
    page.fill("#act-f-change", "0,6")
    page.fill("#act-f-cost", "180 000")  # typed with a thousands space, as a person writes it
    page.click("#act-save")
    expect(page.locator("#act-editor")).not_to_be_visible(timeout=20_000)
    card.click()
    expect(page.locator("#act-f-change")).to_have_value("0,6", timeout=20_000)
    expect(page.locator("#act-f-cost")).to_have_value("180000")
