"""Builds the Dash app over a workspace and serves it: ``python app.py`` or ``cxwb serve``."""

from __future__ import annotations

import importlib.metadata
import os
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import abort, redirect, request, send_from_directory

from cxweb import guard, logins
from cxweb.jobs import CeleryJobs, ThreadJobManager, thread_jobs
from cxweb.pages import _locale
from workbench.core import folders, formatting, i18n, limits
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.features.data import SAMPLE_FOLDER

if TYPE_CHECKING:
    from workbench.repos.workspace import Workspace

ROOT = Path(__file__).resolve().parent
# Front-end assets come from Python packages and are served by the app itself: no CDN, works offline.
VENDOR = {
    "bootstrap": ("XStatic-Bootstrap", "xstatic/pkg/bootstrap/data"),
    "fontawesome": ("XStatic-Font-Awesome", "xstatic/pkg/font_awesome/data"),
}
STYLESHEETS = ["/vendor/bootstrap/css/bootstrap.min.css", "/vendor/fontawesome/css/all.min.css"]
ALERT_POLL_MS = 15_000  # the navigation bar's count of new alerts refreshes this often (and on every page change)
LANGUAGE_COOKIE_DAYS = 365


def vendor_folder(name: str) -> Path:
    """Folder of an installed front-end package, found without importing it."""
    distribution, subfolder = VENDOR[name]
    return Path(str(importlib.metadata.distribution(distribution).locate_file(subfolder)))


class Workbench(dash.Dash):
    """Dash with the page's language on its ``<html>`` element (screen readers, hyphenation, the browser's spelling)."""

    def interpolate_index(self, *args, **kwargs) -> str:
        return super().interpolate_index(*args, **kwargs).replace("<html>", f'<html lang="{i18n.current()}">', 1)


def create_app(
    workspace: Workspace,
    data_dirs: Iterable[str | Path] = (),
    team: bool = False,
    jobs: ThreadJobManager | CeleryJobs | None = None,
) -> dash.Dash:
    """The Dash app with every page, bound to ``workspace``; typed paths are read only inside the workspace (its
    ``imports/`` folder alone on a ``team`` server), the samples and ``data_dirs``; background callbacks in
    threads of this process unless ``jobs`` (``cxweb.jobs``) says otherwise."""
    jobs = jobs or thread_jobs(workspace)
    app = Workbench(
        "cxweb",
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        external_stylesheets=STYLESHEETS,
        external_scripts=[_locale.DATE_FNS_SCRIPT],
        suppress_callback_exceptions=True,
        title=_("CX Journey Workbench"),
        update_title=None,  # type: ignore[arg-type]  # None keeps the tab title while callbacks run (Dash documents it)
        on_error=_show_error,
        background_callback_manager=jobs,
    )
    jobs.server = app.server
    app.server.extensions["cxwb_workspace"] = workspace
    app.server.config["MAX_CONTENT_LENGTH"] = limits.REQUEST_BYTES
    app.server.extensions["cxwb_folders"] = folders.allowed_folders(workspace.folder, data_dirs, SAMPLE_FOLDER, team)
    vendors = {name: vendor_folder(name) for name in VENDOR}

    @app.server.route("/vendor/<name>/<path:filename>")
    def vendor(name: str, filename: str):
        if name not in vendors:
            abort(404)
        return send_from_directory(vendors[name], filename, max_age=86400)

    @app.server.route("/language/<code>")
    def choose_language(code: str):
        # The browser remembers its reader's language; the page they were on opens again in it.
        response = redirect(logins.safe_target(request.args.get("next")), code=303)  # never to another site
        chosen = i18n.supported(code)
        if chosen:
            response.set_cookie(
                i18n.COOKIE, chosen, max_age=LANGUAGE_COOKIE_DAYS * 86400, path="/", samesite="Strict", httponly=True
            )
        return response

    @app.server.route(_locale.DATE_FNS_SCRIPT)
    def date_fns_locale():
        # The date picker's month and day names in the reader's language; per browser, so never cached.
        return app.server.response_class(
            _locale.date_fns_script(i18n.current()),
            mimetype="text/javascript",
            headers={"Cache-Control": "no-store"},
        )

    @app.server.before_request
    def reader_language() -> None:
        # Every request (a page, a callback) answers in its browser's language, else the server's default.
        request.environ["cxwb.language"] = i18n.activate(request.cookies.get(i18n.COOKIE))

    @app.server.teardown_request
    def forget_language(_error: BaseException | None = None) -> None:
        token = request.environ.pop("cxwb.language", None)
        if token is not None:
            i18n.deactivate(token)

    app.layout = layout
    return app


def layout() -> html.Div:
    """The frame around every page, made per page load so it is in the reader's language; for a team server's user
    who may change no project, without the controls that change something (``cx-read-only`` in workbench.css)."""
    from workbench.core import access

    return html.Div(
        className="cx-read-only" if access.current().writable == frozenset() else None,
        children=[
            dbc.Navbar(
                dbc.Container(
                    [
                        dbc.NavbarBrand(
                            [
                                html.I(className="fa-solid fa-diagram-project me-2", title=_("CX Journey Workbench")),
                                html.Span(_("CX Journey Workbench"), className="cx-brand-name"),
                            ],
                            href="/",
                        ),
                        dbc.Nav(nav_links()),
                        language_menu(),
                        *signed_in(),
                    ],
                    fluid=True,
                ),
                color="dark",
                dark=True,
                className="mb-2 py-1",
            ),
            dbc.Alert(id="app-error", color="danger", is_open=False, dismissable=True, className="mx-3"),
            *scope_note(),
            dbc.Container(dash.page_container, fluid=True),
            dcc.Location(id="app-url"),
            dcc.Interval(id="nav-alerts-poll", interval=ALERT_POLL_MS),
        ],
    )


def signed_in() -> list:
    """On a team server, who is logged in and the button that logs them out (a form: logging out changes state,
    so it is a POST from this page, as the guard requires); nothing on a local workbench."""
    from cxweb.logins import LOGOUT_PATH
    from cxweb.pages._context import current_user

    user = current_user()
    if user is None:
        return []
    return [
        html.Span(
            [html.I(className="fa-solid fa-user me-1"), user.shown],
            id="nav-user",
            className="text-light small ms-3 text-nowrap",
        ),
        html.Form(
            html.Button(
                _("Log out"), type="submit", id="nav-logout", className="btn btn-sm btn-outline-light ms-2 text-nowrap"
            ),
            method="POST",
            action=LOGOUT_PATH,
            className="m-0",
        ),
    ]


def scope_note() -> list:
    """For a team server's scoped member, a line saying which rows they see in which project (every number on
    every page is of those rows alone); nothing for anyone else."""
    from cxweb.pages._context import workspace
    from workbench.core import access

    scopes = access.current().scopes
    if not scopes:
        return []
    names = {project.id: project.name for project in workspace().projects()}
    parts = [f"{names.get(project, project)}: {scope.describe()}" for project, scope in sorted(scopes.items())]
    return [
        html.Div(
            [
                html.I(className="fa-solid fa-filter me-1"),
                _("You see the answers of {scopes}.").format(scopes="; ".join(parts)),
            ],
            id="nav-scope",
            className="small text-muted mx-3 mb-1",
        )
    ]


def language_menu() -> dbc.DropdownMenu:
    """The reader's language: each choice reloads the page they are on in it (``language_links`` keeps the way)."""
    current = i18n.current()
    return dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem(
                name,
                id={"type": "nav-language", "code": code},
                href=f"/language/{code}",
                external_link=True,
                active=code == current,
            )
            for code, name in i18n.LANGUAGES.items()
        ],
        label=[html.I(className="fa-solid fa-language me-1"), i18n.LANGUAGES[current]],
        id="nav-language-menu",
        nav=False,
        in_navbar=True,
        align_end=True,
        color="dark",
        size="sm",
        className="ms-auto",
    )


@dash.callback(
    dash.Output({"type": "nav-language", "code": dash.ALL}, "href"),
    dash.Input("app-url", "pathname"),
    dash.State("app-url", "search"),
    dash.State({"type": "nav-language", "code": dash.ALL}, "id"),
)
def language_links(pathname: str | None, search: str | None, ids: list[dict]) -> list[str]:
    """Each language's link comes back to the page (and filters in its address) the reader is on."""
    from urllib.parse import quote

    here = quote((pathname or "/") + (search or ""), safe="/?=&")
    return [f"/language/{item['code']}?next={here}" for item in ids]


# Pages that belong together share one menu of the navigation bar (a page's ``group``), so the bar stays one line at
# 1366 pixels: each menu takes the place of its first page and is named as that page is.
NAV_GROUPS = i18n.Labels({"journeys": N_("Journeys"), "data": N_("Data"), "customers": N_("Customers")})


def nav_links() -> list:
    """A link to every registered page, in its registered order, with its icon and, where it asks for one, a badge
    (the alerts' count); pages of one ``group`` in one menu at their first page's place: the pages say where they are
    and what they are called, the bar only lists them. A page for administrators (``admins_only``) is listed only to
    a team server's administrator, a scoped member's home (``scoped_only``, their scorecard) only to scoped members:
    the bar stays one line."""
    from cxweb.pages._context import current_user
    from workbench.core import access

    user = current_user()
    admin = user is not None and user.admin
    scoped = bool(access.current().scopes)
    pages = sorted(
        (
            page
            for page in dash.page_registry.values()
            if (admin or not page.get("admins_only")) and (scoped or not page.get("scoped_only"))
        ),
        key=lambda page: page["order"],
    )
    items: list = []
    for page in pages:
        group = page.get("group")
        members = [p for p in pages if group and p.get("group") == group]
        if len(members) < 2:
            items.append(_nav_link(page))
        elif page is members[0]:
            items.append(
                dbc.DropdownMenu(
                    [
                        dbc.DropdownMenuItem(
                            [html.I(className=f"fa-solid {p.get('icon', 'fa-file')} me-2"), _(p["name"])],
                            href=p["relative_path"],
                        )
                        for p in members
                    ],
                    label=html.Span(
                        [html.I(className=f"fa-solid {page.get('icon', 'fa-file')} me-1"), NAV_GROUPS[group]]
                    ),
                    id={"type": "nav-group", "key": group},
                    nav=True,
                    in_navbar=True,
                    toggle_class_name="cx-nav-group",
                )
            )
    return items


def _nav_link(page: dict) -> dbc.NavLink:
    """One page's link in the bar: its icon, its name and the badge it asks for."""
    return dbc.NavLink(
        [
            html.I(className=f"fa-solid {page.get('icon', 'fa-file')} me-1"),
            _(page["name"]),
            *([dbc.Badge(id=page["badge"], color="danger", pill=True, className="ms-1")] if page.get("badge") else []),
        ],
        href=page["relative_path"],
        active="exact",
    )


@dash.callback(
    dash.Output({"type": "nav-group", "key": dash.ALL}, "toggle_class_name"),
    dash.Input("app-url", "pathname"),
    dash.State({"type": "nav-group", "key": dash.ALL}, "id"),
)
def active_group(pathname: str | None, ids: list[dict]) -> list[str]:
    """A menu shows as active while the reader is on one of its pages, as a page's own link does."""
    here = next((p.get("group") for p in dash.page_registry.values() if p["relative_path"] == (pathname or "/")), None)
    return ["cx-nav-group active" if item["key"] == here else "cx-nav-group" for item in ids]


BACKGROUND_PREFIX = "An error occurred inside a background callback: "  # dash._callback's wording


def _show_error(error: Exception) -> None:
    """Any unexpected callback error becomes a short message, never a traceback."""
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]  # never the traceback
    if isinstance(error, dash.exceptions.BackgroundCallbackError):  # a job's error, prefixed by Dash in English
        first_line = first_line.removeprefix(BACKGROUND_PREFIX) or type(error).__name__
    dash.set_props(
        "app-error",
        {
            "is_open": True,
            "children": _("Something went wrong: {error}. Nothing was changed.").format(error=first_line.rstrip(".")),
        },
    )


def protect(app: dash.Dash, policy: guard.Policy, accounts: logins.Accounts | None = None) -> dash.Dash:
    """Put the guard in front of every route: Host, Origin and token checks (logins on a team server, with
    ``accounts``), security headers."""
    # Hashed per response: Dash registers some inline scripts only while serving its first pages.
    app.server.wsgi_app = guard.Guard(
        app.server.wsgi_app, policy, lambda: guard.content_security_policy(app.csp_hashes()), accounts
    )
    return app


def accounts_of(workspace: Workspace) -> logins.Accounts:
    """What a team server's logins read from ``workspace``: its users and its signing key; the reverse proxies
    whose ``X-Forwarded-For`` names the client (``CXWB_TRUSTED_PROXIES``, addresses separated by commas); the
    single sign-on provider (``CXWB_OIDC_*``, ``cxweb.sso``)."""
    proxies = frozenset(p.strip() for p in os.environ.get("CXWB_TRUSTED_PROXIES", "").split(",") if p.strip())
    from cxweb import sso

    return logins.Accounts(
        workspace.users.authenticate,
        workspace.users.get,
        workspace.users.access,
        workspace.secret(),
        proxies,
        sso.provider(os.environ),
        workspace.users.signed_on,
    )


def require_administrator(workspace: Workspace) -> None:
    """Refuse to start a team server nobody can log in to (a ValueError saying how to add the first one)."""
    if not workspace.users.admins():
        raise ValueError(
            _("Nobody can log in to a team server yet: add an administrator first (cxwb user add NAME --admin).")
        )


def serve(
    workspace: Workspace,
    host: str = "127.0.0.1",
    port: int = 8050,
    debug: bool = False,
    *,
    token: str | None = None,
    allow_hosts: Iterable[str] = (),
    data_dirs: Iterable[str | Path] = (),
    open_browser: bool = False,
    team: bool = False,
) -> None:
    """Serve the app with waitress (by default only to this machine), behind the guard and its per-start token; a
    ``team`` server asks each person to log in instead (``cxwb user add`` makes the first admin)."""
    if debug and not guard.is_loopback(host):
        raise ValueError(_("--debug shows tracebacks and reloads code: it serves on this computer only."))
    if team:
        require_administrator(workspace)
    token = token or os.environ.get("CXWB_TOKEN") or guard.new_token()
    if not guard.is_loopback(host) and not team:
        print(
            _(
                "Warning: serving on {host}, reachable from other computers. Anyone with the address and its token "
                "can read and change every project; the traffic is not encrypted."
            ).format(host=host),
            file=sys.stderr,
            flush=True,
        )
    if team and not guard.is_loopback(host):
        print(
            _(
                "Warning: serving on {host} without encryption: put a TLS proxy in front of it (passwords and "
                "sessions would otherwise cross the network readable)."
            ).format(host=host),
            file=sys.stderr,
            flush=True,
        )
    policy = guard.policy_for(host, port, token, allow_hosts)
    app = protect(create_app(workspace, data_dirs, team), policy, accounts_of(workspace) if team else None)
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(host, f"[{host}]" if ":" in host else host)
    url = f"http://{shown}:{port}/" + ("" if team else f"?{guard.TOKEN_PARAMETER}={token}")
    print(
        _("CX Journey Workbench on {url}  (workspace: {folder})").format(url=url, folder=workspace.folder.resolve()),
        flush=True,
    )
    if debug:  # hot reload needs Werkzeug's development server; the guard stays in front of it
        os.environ["CXWB_TOKEN"] = token  # the reloader's child process serves with the same token
        app.run(host=host, port=port, debug=True, use_debugger=False)  # Werkzeug's debugger would sit outside the guard
        return
    import waitress

    # Few connections: one browser needs about six, and each may hold a request body of up to REQUEST_BYTES
    # (waitress keeps one over 512 kB in a temporary file). A team's browsers keep theirs open between clicks:
    # twenty people on sixteen connections left four unable to log in (bench/team_load.py).
    server = waitress.create_server(
        app.server,
        host=host,
        port=port,
        threads=8,
        ident="",
        connection_limit=TEAM_CONNECTIONS if team else 16,
        max_request_body_size=limits.REQUEST_BYTES,
    )
    if open_browser:
        threading.Timer(0.5, _open_browser, args=(url,)).start()
    # The first page needs none of the analysis libraries; they are imported while the user reads it.
    warming = threading.Timer(WARM_UP_AFTER, warm_up)
    warming.daemon = True
    warming.start()
    server.run()


TEAM_CONNECTIONS = 128  # a one-process team server's connections at once: about six per person
WARM_UP_AFTER = 2.0  # seconds after the start: the first page is served by then (about 1 s)
# What a first click would otherwise import (1–2 s together: scipy.stats alone is about 1 s).
WARM_UP_MODULES = (
    "polars",
    "scipy.stats",
    "scipy.special",
    "scipy.linalg",
    "plotly.graph_objects",
    "workbench.analysis.breaks",
    "workbench.analysis.drivers",
    "workbench.analysis.roi",
    "workbench.analysis.verify",
    "workbench.analysis.alertrules",
    "workbench.export.figures",
    "pptx",  # the deck's writer (0.1 s)
)


def warm_up(modules: Iterable[str] = WARM_UP_MODULES) -> None:
    """Import the analysis libraries and read the languages' data in the background, so that the first click on a
    page waits for none."""
    import importlib

    for name in modules:
        importlib.import_module(name)
    formatting.load_languages()


def _open_browser(url: str) -> None:
    """Open ``url`` through a file only this user can read: a browser's command line is visible to every user of
    the computer, the token in it would not be (Jupyter does the same)."""
    import atexit
    import html
    import tempfile
    import webbrowser

    handle, name = tempfile.mkstemp(prefix="cxwb-open-", suffix=".html")  # created readable by its owner only
    target = html.escape(url, quote=True)
    with os.fdopen(handle, "w", encoding="utf-8") as page:
        page.write(
            f"<!doctype html><meta charset='utf-8'><meta http-equiv='refresh' content='0;url={target}'>"
            f"<a href='{target}'>{html.escape(_('CX Journey Workbench'))}</a>"
        )
    atexit.register(Path(name).unlink, missing_ok=True)
    webbrowser.open(Path(name).as_uri())
    remove = threading.Timer(60, Path(name).unlink, kwargs={"missing_ok": True})  # also if the server is killed later
    remove.daemon = True
    remove.start()
