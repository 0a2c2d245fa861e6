"""Single sign-on for a team server through OpenID Connect: the authorization code flow with PKCE, ``state`` and
``nonce`` (Authlib's OAuth 2 client), the ID token's signature and claims checked against the provider's published
keys (joserfc). The provider says who someone is; the workbench says what they may do: a person logs in only as an
enabled workbench user of the same name (an administrator adds them and gives their roles first).

Configured by the environment: ``CXWB_OIDC_ISSUER`` (the provider's issuer URL; its
``/.well-known/openid-configuration`` is read), ``CXWB_OIDC_CLIENT_ID``, ``CXWB_OIDC_CLIENT_SECRET``, optionally
``CXWB_OIDC_NAME`` (the login button's label), ``CXWB_OIDC_CLAIM`` (the claim holding the user's name, default
``preferred_username``) and ``CXWB_APP_URL`` (the public address the provider sends people back to).
"""

from __future__ import annotations

import functools
import html
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from workbench.core.errors import LoginRefused
from workbench.core.i18n import gettext as _

if TYPE_CHECKING:
    from joserfc.jwk import KeySetSerialization

START_PATH, CALLBACK_PATH = "/login/oidc", "/login/oidc/callback"
STATE_COOKIE = "cxwb-oidc"
STATE_SECONDS = 600  # a login at the provider must come back within ten minutes
LEEWAY = 60  # seconds of clock difference with the provider accepted on the ID token's times
TIMEOUT = 10  # seconds to wait for the provider's discovery document, keys and token endpoint
_SALT = "cxwb-oidc-state"


@dataclass(frozen=True)
class Provider:
    """An OpenID Connect provider and this server's registration with it."""

    issuer: str
    client_id: str
    client_secret: str
    name: str = "single sign-on"
    claim: str = "preferred_username"
    app_url: str = ""  # the public address; else the request's own (its Host was checked by the guard)


def provider(environ: Mapping[str, str]) -> Provider | None:
    """The provider the environment configures (``CXWB_OIDC_*``), or None; a clear error if half configured."""
    issuer = environ.get("CXWB_OIDC_ISSUER", "").rstrip("/")
    client = environ.get("CXWB_OIDC_CLIENT_ID", "")
    secret = environ.get("CXWB_OIDC_CLIENT_SECRET", "")
    if not (issuer or client or secret):
        return None
    if not (issuer and client and secret):
        raise ValueError(_("Single sign-on needs CXWB_OIDC_ISSUER, CXWB_OIDC_CLIENT_ID and CXWB_OIDC_CLIENT_SECRET."))
    if not issuer.startswith("https://") and not issuer.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError(_("CXWB_OIDC_ISSUER must be an https:// address."))
    return Provider(
        issuer,
        client,
        secret,
        environ.get("CXWB_OIDC_NAME") or _("single sign-on"),
        environ.get("CXWB_OIDC_CLAIM") or "preferred_username",
        environ.get("CXWB_APP_URL", "").rstrip("/"),
    )


@functools.lru_cache(maxsize=4)
def _discovery(issuer: str) -> dict:
    """The provider's discovery document (read once per process), checked to name the configured issuer."""
    import requests

    found = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT).json()
    if found.get("issuer", "").rstrip("/") != issuer:
        raise LoginRefused(_("The single sign-on provider names another issuer."))
    return found


def _session(chosen: Provider, redirect_uri: str):
    from authlib.integrations.requests_client import OAuth2Session

    return OAuth2Session(
        chosen.client_id,
        chosen.client_secret,
        scope="openid profile email",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def _redirect_uri(chosen: Provider, environ: dict) -> str:
    base = chosen.app_url or f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
    return base + CALLBACK_PATH


def start(environ: dict, start_response: Callable, chosen: Provider, secret: bytes, target: str):
    """Send the browser to the provider, remembering ``state``, ``nonce``, the PKCE verifier and where to go after,
    in a signed cookie that lives ten minutes (``SameSite=Lax``: it must come back with the provider's redirect)."""
    from itsdangerous import URLSafeTimedSerializer

    try:
        endpoint = _discovery(chosen.issuer)["authorization_endpoint"]
    except Exception:  # noqa: BLE001 (the provider is down or answers nonsense: say so, show no traceback)
        return None
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    url, _state = _session(chosen, _redirect_uri(chosen, environ)).create_authorization_url(
        endpoint, state=state, nonce=nonce, code_verifier=verifier
    )
    remembered = URLSafeTimedSerializer(secret, salt=_SALT).dumps({"s": state, "n": nonce, "v": verifier, "t": target})
    cookie = f"{STATE_COOKIE}={remembered}; Path={START_PATH}; Max-Age={STATE_SECONDS}; HttpOnly; SameSite=Lax; Secure"
    headers = [("Location", url), ("Cache-Control", "no-store"), ("Content-Length", "0"), ("Set-Cookie", cookie)]
    start_response("303 See Other", headers)
    return [b""]


def finish(environ: dict, cookies: list[str], chosen: Provider, secret: bytes, user_named: Callable[[str], Any]):
    """The user the provider's answer names, and where they were going: the ``state`` must be the one this browser
    was sent with, the code is exchanged with the PKCE verifier, the ID token must be signed by the provider's keys
    and be for this client, fresh, and carry the ``nonce``; else :class:`LoginRefused`."""
    from itsdangerous import BadSignature, URLSafeTimedSerializer

    query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    remembered = None
    for value in cookies:
        try:
            remembered = URLSafeTimedSerializer(secret, salt=_SALT).loads(value, max_age=STATE_SECONDS)
            break
        except BadSignature:
            continue
    if not isinstance(remembered, dict) or not secrets.compare_digest(str(query.get("state", "")), remembered["s"]):
        raise LoginRefused(_("The single sign-on answer does not belong to this browser's login; try again."))
    if "error" in query or not query.get("code"):
        raise LoginRefused(_("The single sign-on provider did not log you in."))
    try:
        found = _discovery(chosen.issuer)
        token = _session(chosen, _redirect_uri(chosen, environ)).fetch_token(
            found["token_endpoint"], code=query["code"], code_verifier=remembered["v"], timeout=TIMEOUT
        )
        claims = verified_claims(token.get("id_token", ""), _keys(found["jwks_uri"]), chosen, remembered["n"])
    except LoginRefused:
        raise
    except Exception:  # noqa: BLE001 (a refused code, an unreachable provider, a forged or stale token)
        raise LoginRefused(_("The single sign-on provider's answer could not be verified; try again.")) from None
    name = claims.get(chosen.claim)
    if not isinstance(name, str) or not name:
        raise LoginRefused(_("The single sign-on provider did not say who you are."))
    return user_named(name), remembered.get("t") or "/"


def verified_claims(
    id_token: str, keys: KeySetSerialization, chosen: Provider, nonce: str, now: float | None = None
) -> dict:
    """The claims of an ID token signed by one of ``keys`` (a JWK set) with RS256 or ES256, issued by the provider
    for this client, not expired, and carrying ``nonce``."""
    from joserfc import jwt
    from joserfc.jwk import KeySet

    decoded = jwt.decode(id_token, KeySet.import_key_set(keys), algorithms=["RS256", "ES256"])
    registry = jwt.JWTClaimsRegistry(
        now=int(now if now is not None else time.time()),
        leeway=LEEWAY,
        iss={"essential": True, "value": chosen.issuer},
        aud={"essential": True, "value": chosen.client_id},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    registry.validate(decoded.claims)
    return dict(decoded.claims)


def _keys(uri: str) -> KeySetSerialization:
    import requests

    return requests.get(uri, timeout=TIMEOUT).json()


def button(chosen: Provider | None, target: str) -> str:
    """The login page's link to the provider (HTML), or nothing."""
    if chosen is None:
        return ""
    from urllib.parse import quote

    label = html.escape(_("Log in with {provider}").format(provider=chosen.name))
    return f"<a class='sso' id='sso' href='{START_PATH}?next={html.escape(quote(target, safe='/'), quote=True)}'>{label}</a>"
