"""Logins of a team server (``cxwb serve --team``): the login page, the signed session cookie, and who is logged in.

The guard (:mod:`cxweb.guard`) sends every request through :func:`respond` instead of its token check: ``/login``
shows the form and checks a name and password (``repos.users``: argon2 hashes, a name locked after repeated
failures, counted in the database so that every worker counts the same), ``/logout`` ends the session, and any
other request needs a session cookie signed with the workspace's key (itsdangerous, Flask's own signer). The
cookie holds the user's id and the version of their credentials, so a new password or disabling ends every
session at once; it is HttpOnly and SameSite=Strict (Secure over HTTPS), and the guard accepts a state change only
from the app's own origin: together, the cross-site request forgery defence (OWASP's origin verification).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from cxweb import sso
from workbench.core import access
from workbench.core.errors import LoginRefused
from workbench.core.i18n import gettext as _

LOGIN_PATH, LOGOUT_PATH = "/login", "/logout"
SCOPED_HOME = "/scorecard"  # where a scoped member lands after logging in
USER_KEY = "cxwb.user"  # the logged-in user (``repos.users.User``) in a request's WSGI environ
COOKIE_PREFIX = "cxwb-session-"  # one cookie per port, as the token's
MAX_AGE = 12 * 3600  # seconds a session lasts: a working day, then log in again
FORM_BYTES = 4096  # a login form is a name and a password; a larger body is refused unread
_SALT = "cxwb-session"


@dataclass(frozen=True)
class Accounts:
    """What logins need from the workspace: check a name and password (a user, or :class:`LoginRefused`), find a
    user by id (None if gone), what a user may read and change (``core.access.Access``), and the key sessions are
    signed with."""

    authenticate: Callable[..., Any]  # (name, password, client=address)
    user: Callable[[int], Any]
    access: Callable[[Any], access.Access]
    secret: bytes
    trusted_proxies: frozenset[str] = frozenset()  # addresses of reverse proxies whose X-Forwarded-For is believed
    sso: sso.Provider | None = None  # single sign-on (``cxweb.sso``)
    signed_on: Callable[[str], Any] | None = None  # the enabled user a provider's name is, else LoginRefused


def respond(environ: dict, start_response: Callable, app: Callable, accounts: Accounts, cookie: str):
    """Answer a request of a team server: the login page and its form, the logout, or ``app`` for a logged-in
    user (``environ[USER_KEY]``); a browser without a session goes to the login page, anything else is refused."""
    path = environ.get("PATH_INFO", "/")
    method = environ.get("REQUEST_METHOD", "GET").upper()
    if path == LOGIN_PATH:
        if method == "POST":
            return _log_in(environ, start_response, accounts, cookie)
        return _page(start_response, "200 OK", _next(environ), sign_on=accounts.sso)
    if accounts.sso is not None and method == "GET" and path in (sso.START_PATH, sso.CALLBACK_PATH):
        return _sign_on(environ, start_response, accounts, cookie, path == sso.START_PATH)
    if path == LOGOUT_PATH and method == "POST":
        return _redirect(start_response, LOGIN_PATH, _cookie(cookie, "", max_age=0))
    user = session_user(environ, accounts, cookie)
    if user is None:
        if method == "GET" and "text/html" in environ.get("HTTP_ACCEPT", ""):
            here = quote(environ.get("SCRIPT_NAME", "") + path) + (
                f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else ""
            )
            return _redirect(start_response, f"{LOGIN_PATH}?{urlencode({'next': here})}")
        return plain(start_response, "401 Unauthorized", _("Log in first."))
    environ[USER_KEY] = user
    # Everything below runs with the user's projects only: the store refuses the others (``core.access``); a
    # background job started here inherits it.
    with access.acting(accounts.access(user)):
        return app(environ, start_response)


def cookie_values(environ: dict, name: str) -> list[str]:
    """The values a request's cookies give ``name`` (empty ones left out). Split by hand as browsers do:
    SimpleCookie stops at the first cookie it cannot parse, and other apps on localhost set such cookies (a JSON
    value, a space in a name) that would then hide ours."""
    found = []
    for pair in environ.get("HTTP_COOKIE", "").split(";"):
        key, _equals, value = pair.strip().partition("=")
        if key == name and value:
            found.append(value.strip('"'))
    return found


def sign(user, secret: bytes) -> str:
    """A session cookie's value for ``user``: their id and credentials' version, signed and dated."""
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt=_SALT).dumps({"u": user.id, "c": user.credentials})


def session_user(environ: dict, accounts: Accounts, cookie: str):
    """The user a request's session cookie names, if it is genuine, younger than :data:`MAX_AGE`, and the user is
    enabled with the same credentials as when it was signed; else None."""
    from itsdangerous import BadSignature, URLSafeTimedSerializer

    serializer = URLSafeTimedSerializer(accounts.secret, salt=_SALT)
    for value in cookie_values(environ, cookie):
        try:
            data = serializer.loads(value, max_age=MAX_AGE)
        except BadSignature:  # forged, altered, from another workspace's key, or expired
            continue
        if not isinstance(data, dict) or not isinstance(data.get("u"), int):
            continue
        user = accounts.user(data["u"])
        if user is not None and not user.disabled and user.credentials == data.get("c"):
            return user
    return None


def _log_in(environ: dict, start_response: Callable, accounts: Accounts, cookie: str):
    """Check the posted name and password: on success a session cookie and on to where the user was going."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = FORM_BYTES + 1
    if length > FORM_BYTES:
        return plain(start_response, "413 Content Too Large", _("A login form is a name and a password."))
    form = dict(parse_qsl(environ["wsgi.input"].read(length).decode("utf-8", "replace"), keep_blank_values=True))
    target = _safe_target(form.get("next", "/"))
    try:
        client = client_address(environ, accounts.trusted_proxies)
        user = accounts.authenticate(form.get("name", ""), form.get("password", ""), client=client)
    except LoginRefused as refused:
        return _page(start_response, "401 Unauthorized", target, str(refused), form.get("name", ""))
    return _redirect(start_response, _landing(user, target, accounts), _session(cookie, user, accounts))


def _landing(user, target: str, accounts: Accounts) -> str:
    """Where a user goes once logged in: ``target``, but a partner's or a branch's home is their scorecard."""
    return SCOPED_HOME if target == "/" and accounts.access(user).scopes else target


def _session(cookie: str, user, accounts: Accounts) -> str:
    """The session cookie of a user who has just logged in, by password or single sign-on."""
    return _cookie(cookie, sign(user, accounts.secret), MAX_AGE)


def _sign_on(environ: dict, start_response: Callable, accounts: Accounts, cookie: str, starting: bool):
    """Off to the single sign-on provider, or back from it: a session for the user it names, then a page that
    goes on to where they were going (a page of this site: the session cookie, SameSite=Strict, is not sent on
    the provider's cross-site redirect itself, so a redirect straight on would find no session)."""
    chosen = accounts.sso
    assert chosen is not None and accounts.signed_on is not None
    if starting:
        target = _next(environ)
        started = sso.start(environ, start_response, chosen, accounts.secret, target)
        if started is None:
            message = _("The single sign-on provider cannot be reached; log in with your password or try later.")
            return _page(start_response, "502 Bad Gateway", target, message, sign_on=chosen)
        return started
    try:
        user, target = sso.finish(
            environ, cookie_values(environ, sso.STATE_COOKIE), chosen, accounts.secret, accounts.signed_on
        )
    except LoginRefused as refused:
        return _page(start_response, "401 Unauthorized", "/", str(refused), sign_on=chosen)
    forget = f"{sso.STATE_COOKIE}=; Path={sso.START_PATH}; Max-Age=0; HttpOnly; SameSite=Lax; Secure"
    landing = _landing(user, _safe_target(target), accounts)
    return onward(start_response, landing, [_session(cookie, user, accounts), forget])


def onward(start_response: Callable, location: str, cookies: list[str]):
    """A page that sets ``cookies`` and moves on to ``location`` by itself: a SameSite=Strict cookie is not sent
    along a redirect of a navigation that another site (or a local file) began, but is on this page's own."""
    target = html.escape(location, quote=True)
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' content='0;url={target}'>"
        f"</head><body><a href='{target}'>{html.escape(_('Continue'))}</a></body></html>"
    ).encode()
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
    start_response("200 OK", headers + [("Set-Cookie", c) for c in cookies] + [("Content-Length", str(len(body)))])
    return [body]


def client_address(environ: dict, trusted: frozenset[str]) -> str:
    """The address a login comes from: the connection's, or behind ``trusted`` reverse proxies the nearest address
    in ``X-Forwarded-For`` that is not one of them (a client can write anything further left)."""
    address = environ.get("REMOTE_ADDR", "")
    if address not in trusted:
        return address
    hops = [hop.strip() for hop in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return address


def _next(environ: dict) -> str:
    return _safe_target(dict(parse_qsl(environ.get("QUERY_STRING", ""))).get("next", "/"))


def safe_target(target: str | None) -> str:
    """Where a redirect of this app may lead: a path of this server only, else "/". Never ``//other.site``, a full
    address, a backslash, or a control character or space, which browsers drop from an address (``/<TAB>/site``
    would become ``//site``)."""
    target = target or "/"
    if any(ord(character) <= 0x20 or ord(character) == 0x7F for character in target) or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return "/"
    return target


def _safe_target(target: str) -> str:
    """Where to go after logging in (:func:`safe_target`), never back to the login page."""
    target = safe_target(target)
    return "/" if urlsplit(target).path == LOGIN_PATH else target


def _cookie(name: str, value: str, max_age: int) -> str:
    # Secure always: browsers keep it over HTTPS and on this computer (localhost is a secure context), and a
    # server reached over plain HTTP from another computer, whose session anyone on the way could copy, gets none.
    return f"{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict; Secure"


def _redirect(start_response: Callable, location: str, cookie: str | None = None):
    headers = [("Location", location), ("Cache-Control", "no-store"), ("Content-Length", "0")]
    start_response("303 See Other", headers + ([("Set-Cookie", cookie)] if cookie else []))
    return [b""]


def plain(start_response: Callable, status: str, message: str):
    """A short plain-text answer (a refusal), never cached."""
    body = (message + "\n").encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")]
    start_response(status, headers + [("Content-Length", str(len(body)))])
    return [body]


def _page(
    start_response: Callable,
    status: str,
    target: str,
    message: str = "",
    name: str = "",
    sign_on: sso.Provider | None = None,
):
    """The login form (plain HTML, no script: the Content-Security-Policy allows none inline)."""
    escape = html.escape
    error = f"<p class='error' role='alert'>{escape(message)}</p>" if message else ""
    body = f"""<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(_("Log in"))} · CX Journey Workbench</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f3f4f6; display: flex; justify-content: center;
       align-items: center; min-height: 100vh; margin: 0; }}
form {{ background: #fff; padding: 2rem; border-radius: .5rem; box-shadow: 0 1px 4px #0002; width: 20rem; }}
h1 {{ font-size: 1.25rem; margin: 0 0 1.25rem; }}
label {{ display: block; margin: .75rem 0 .25rem; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box; padding: .5rem;
       border: 1px solid #ccc; border-radius: .25rem; font-size: 1rem; }}
button {{ margin-top: 1.25rem; width: 100%; padding: .6rem; background: #0d6efd; color: #fff; border: 0;
         border-radius: .25rem; font-size: 1rem; cursor: pointer; }}
.sso {{ display: block; margin-top: .75rem; text-align: center; padding: .55rem; border: 1px solid #0d6efd;
        border-radius: .25rem; color: #0d6efd; text-decoration: none; }}
.error {{ color: #b02a37; background: #f8d7da; padding: .5rem; border-radius: .25rem; }}
</style></head>
<body><form method="post" action="{LOGIN_PATH}" id="login">
<h1>CX Journey Workbench</h1>{error}
<input type="hidden" name="next" value="{escape(target, quote=True)}">
<label for="name">{escape(_("Name"))}</label>
<input type="text" id="name" name="name" value="{escape(name, quote=True)}" autocomplete="username" required
 maxlength="64" autofocus>
<label for="password">{escape(_("Password"))}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="256">
<button type="submit">{escape(_("Log in"))}</button>
{sso.button(sign_on, target)}
</form></body></html>""".encode()
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
    start_response(status, headers + [("Content-Length", str(len(body)))])
    return [body]
