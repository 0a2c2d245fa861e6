"""Who may talk to a running workbench: Host and Origin checks, the per-start access token, security headers.

A local app on a laptop is reachable by every web page the user opens (DNS rebinding: a page on a domain that
resolves to 127.0.0.1 sends requests with its own ``Host``) and by every other user of the machine. So, as
Jupyter Server does, only requests whose ``Host`` names the address the app is bound to are answered, a state
change (any method but GET/HEAD/OPTIONS) must come from the app's own origin, and every request must carry the
secret token printed when the server started (once in the address, then as a SameSite=Strict cookie).
:class:`Guard` is a plain WSGI middleware, so it sits in front of every route: Dash's, the assets', Flask's 404s.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from cxweb import logins
from workbench.core.i18n import gettext as _

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_PARAMETER = "token"
COOKIE_PREFIX = "cxwb-token-"  # one cookie per port: two workbenches on one machine keep their own sessions

HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    # The address never leaves for another site; a page's own forms (a team server's log in and log out) still
    # send their Origin, which "no-referrer" turns into "null", and a state change needs it (same_origin).
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


@dataclass(frozen=True)
class Policy:
    """What the guard lets through.

    Parameters
    ----------
    port : the port the server listens on; a loopback or bound-address ``Host`` must name it.
    token : the secret every request must carry (cookie, ``?token=`` or ``Authorization: token …``).
    hosts : host names or addresses (lowercase, no port) accepted in ``Host`` with ``port``.
    any_address : also accept any IP address in ``Host`` (a wildcard bind such as 0.0.0.0): DNS rebinding needs
        the attacker's domain name in ``Host``, never a bare address.
    names : further host names accepted on any port (``--allow-host``, e.g. behind a reverse proxy).
    """

    port: int
    token: str
    hosts: frozenset[str] = LOOPBACK_NAMES
    any_address: bool = False
    names: frozenset[str] = field(default_factory=frozenset)

    @property
    def cookie(self) -> str:
        return f"{COOKIE_PREFIX}{self.port}"

    @property
    def session_cookie(self) -> str:
        """The cookie of a team server's logged-in session (``cxweb.logins``)."""
        return f"{logins.COOKIE_PREFIX}{self.port}"


def new_token() -> str:
    """A fresh secret for one start of the server."""
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the app on this machine."""
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def policy_for(host: str, port: int, token: str, allow_hosts: Iterable[str] = ()) -> Policy:
    """The policy for a server bound to ``host``:``port``."""
    bound = host.strip("[]").lower()
    names = frozenset(name.strip().lower() for name in allow_hosts if name.strip())
    if is_loopback(bound):
        return Policy(port, token, LOOPBACK_NAMES | {bound}, names=names)
    wildcard = bound in ("0.0.0.0", "::", "")
    machine = {socket.gethostname().lower(), socket.getfqdn().lower()}
    return Policy(port, token, LOOPBACK_NAMES | machine | {bound}, any_address=wildcard, names=names)


def split_host(header: str) -> tuple[str, int | None] | None:
    """``Host`` header → (lowercase name or address, port or None); None when it cannot be a host."""
    header = header.strip().lower()
    if header.startswith("["):
        name, _bracket, rest = header[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            return None
    else:
        name, _colon, port_text = header.partition(":")
        port_text = port_text or None
    if not name:
        return None
    if port_text is None:
        return name, None
    return (name, int(port_text)) if port_text.isdigit() and len(port_text) <= 5 else None


def host_allowed(header: str, policy: Policy) -> bool:
    """Whether a request's ``Host`` names this server (the DNS-rebinding defence)."""
    parts = split_host(header or "")
    if parts is None:
        return False
    name, port = parts
    if name in policy.names:
        return True
    if port != policy.port:
        return False
    if name in policy.hosts:
        return True
    if policy.any_address:
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return False
    return False


def same_origin(environ: dict) -> bool:
    """Whether a state-changing request comes from the app's own pages (Origin, else Referer, else fetch metadata)."""
    host = environ.get("HTTP_HOST", "").lower()
    origin = environ.get("HTTP_ORIGIN")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc.lower() == host
    referer = environ.get("HTTP_REFERER")
    if referer:
        return urlsplit(referer).netloc.lower() == host
    return environ.get("HTTP_SEC_FETCH_SITE", "same-origin") in ("same-origin", "none")


def presented_tokens(environ: dict, policy: Policy) -> list[str]:
    """The tokens a request carries: in the address, an ``Authorization: token …`` header or its cookie.

    The address comes first: a cookie left by an earlier start must not hide the new token just opened.
    """
    found = [value for key, value in parse_qsl(environ.get("QUERY_STRING", "")) if key == TOKEN_PARAMETER]
    scheme, _space, value = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "token" and value.strip():
        found.append(value.strip())
    return found + logins.cookie_values(environ, policy.cookie)


def token_valid(tokens: Iterable[str], policy: Policy) -> bool:
    """Whether any presented token is the server's (compared in constant time)."""
    return any(hmac.compare_digest(token.encode(), policy.token.encode()) for token in tokens)


def content_security_policy(script_hashes: Iterable[str]) -> str:
    """The CSP for Dash: scripts only from the app and its hashed inline bootstrap, no framing, no plugins."""
    scripts = " ".join(["'self'", *dict.fromkeys(script_hashes)])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            # React sets style attributes and plotly adds <style> elements: styles must allow inline, scripts never.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class Guard:
    """WSGI middleware: refuses foreign hosts, cross-origin state changes and requests without the token; adds
    security headers to every response.

    Parameters
    ----------
    app : the WSGI application behind the guard.
    policy : what to let through.
    accounts : a team server's logins (``cxweb.logins``): a logged-in session instead of the token.
    csp : called once per response to give the Content-Security-Policy (Dash knows its inline script hashes
        only once every page is imported).
    """

    def __init__(self, app: Callable, policy: Policy, csp: Callable[[], str], accounts: logins.Accounts | None = None):
        self.app, self.policy, self.csp, self.accounts = app, policy, csp, accounts

    def __call__(self, environ: dict, start_response: Callable):
        def with_headers(status: str, headers: list, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != "server"]
            return start_response(status, headers + list(HEADERS) + [("Content-Security-Policy", self.csp())], exc_info)

        if not host_allowed(environ.get("HTTP_HOST", ""), self.policy):
            return logins.plain(
                with_headers, "400 Bad Request", _("This server answers only requests addressed to it.")
            )
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method not in SAFE_METHODS and not same_origin(environ):
            return logins.plain(
                with_headers, "403 Forbidden", _("Changes are accepted only from the workbench's own pages.")
            )
        if self.accounts is not None:  # a team server: people log in instead of carrying the token
            return logins.respond(environ, with_headers, self.app, self.accounts, self.policy.session_cookie)
        browser = method == "GET" and "text/html" in environ.get("HTTP_ACCEPT", "")
        if not token_valid(presented_tokens(environ, self.policy), self.policy):
            if browser:
                return _login_page(with_headers)
            return logins.plain(with_headers, "403 Forbidden", _("This request needs the workbench's access token."))
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if browser and any(key == TOKEN_PARAMETER for key, _value in query):
            return self._remember(environ, with_headers, query)
        return self.app(environ, with_headers)

    def _remember(self, environ: dict, start_response: Callable, query: list[tuple[str, str]]):
        """Keep the token in a cookie and go on to the address without it (out of history and bookmarks).

        A page that moves on by itself rather than a redirect: a SameSite=Strict cookie is not sent along a
        redirect of a navigation that another site (or a local file, as the browser opened at start) began.
        """
        rest = urlencode([(k, v) for k, v in query if k != TOKEN_PARAMETER])
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/")
        location = quote(path.encode("latin-1")) + (f"?{rest}" if rest else "")  # WSGI paths are latin-1 bytes
        cookie = f"{self.policy.cookie}={self.policy.token}; Path=/; HttpOnly; SameSite=Strict"
        return logins.onward(start_response, location, [cookie])


def _login_page(start_response: Callable):
    """A page without scripts telling the user where the address with the token is."""
    title = _("CX Journey Workbench")
    text = _(
        "Open the workbench with the address printed where it was started (it ends in ?token=…). "
        "The token keeps other web pages and other users of this computer out."
    )
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body style='font-family:sans-serif;margin:3em'><h1>{title}</h1><p>{text}</p></body></html>"
    ).encode()
    start_response(
        "403 Forbidden",
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]
