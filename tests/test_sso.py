"""Single sign-on through OpenID Connect (``cxweb.sso`` behind ``cxweb.logins``) against a local provider
(``tests/oidcprovider.py``): the whole code flow at the WSGI level, and every way its answer can be wrong."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from cxweb import logins, sso
from tests.oidcprovider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.test_logins import HOST, PASSWORD, PORT, guarded, header

BACKENDS = ("sqlite", "postgresql")  # the user a provider names is read from the metadata database


@pytest.fixture
def provider():
    running = Provider()
    yield running
    running.stop()


@pytest.fixture
def server(workspace, provider, monkeypatch):
    """A team server's guard on ``workspace`` (users jana and the disabled petr) signing on with ``provider``."""
    monkeypatch.setenv("CXWB_OIDC_ISSUER", provider.issuer)
    monkeypatch.setenv("CXWB_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("CXWB_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("CXWB_OIDC_NAME", "Firma ID")
    workspace.users.add("jana", PASSWORD, "Jana Nováková", admin=True)
    workspace.users.add("petr", PASSWORD, "Petr")
    workspace.users.set_disabled("petr", True)
    send, app = guarded(workspace)

    def call(path, query="", cookie=None):  # a browser's navigation: a GET without an Origin
        return send("GET", path, query=query, cookie=cookie, origin=None)

    return call, app


def cookie_named(answer, name: str) -> str:
    [found] = [c.split(";")[0] for c in header(answer, "Set-Cookie") if c.startswith(f"{name}=")]
    return found


def round_trip(call, target="/actions", state=None):
    """Click the login page's button, log in at the provider, come back: the callback's answer."""
    started = call(sso.START_PATH, urlencode({"next": target}))
    assert started["status"] == "303 See Other", started["body"]
    state_cookie = cookie_named(started, sso.STATE_COOKIE)
    at_provider = requests.get(header(started, "Location")[0], allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"http://{HOST}{sso.CALLBACK_PATH}"
    query = back.query if state is None else urlencode({**{k: v[0] for k, v in parse_qs(back.query).items()},
                                                        "state": state})  # fmt: skip
    return call(back.path, query, state_cookie)


def test_the_login_page_offers_the_provider_and_sends_the_browser_there_with_pkce_state_and_nonce(server, provider):
    call, _app = server
    page = call(logins.LOGIN_PATH, "next=/heatmap")
    assert "Log in with Firma ID" in page["body"] and f"href='{sso.START_PATH}?next=/heatmap'" in page["body"]
    started = call(sso.START_PATH, "next=/heatmap")
    target = urlsplit(header(started, "Location")[0])
    asked = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.issuer}/authorize"
    assert asked["client_id"] == CLIENT_ID and asked["code_challenge_method"] == "S256"
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32 and "code_verifier" not in asked
    [cookie] = [c for c in header(started, "Set-Cookie") if c.startswith(sso.STATE_COOKIE)]
    for flag in ("HttpOnly", "SameSite=Lax", "Secure", f"Path={sso.START_PATH}", f"Max-Age={sso.STATE_SECONDS}"):
        assert flag in cookie


def test_a_person_the_provider_names_is_logged_in_as_that_workbench_user(server):
    call, app = server
    back = round_trip(call, "/actions")
    assert back["status"] == "200 OK" and "url=/actions" in back["body"]  # a page of this site goes on
    session = cookie_named(back, logins.COOKIE_PREFIX + str(PORT))
    assert [c for c in header(back, "Set-Cookie") if c.startswith(f"{sso.STATE_COOKIE}=;")]  # the state forgotten
    assert call("/actions", cookie=session)["status"] == "200 OK"
    assert app.users[-1].name == "jana"


def test_the_provider_s_name_must_be_an_enabled_workbench_user(server, provider):
    call, app = server
    for name, said in (("nobody", "who has no login here"), ("petr", "This user is disabled")):
        provider.login_as = name
        back = round_trip(call)
        assert back["status"] == "401 Unauthorized" and said in back["body"]
        assert not [c for c in header(back, "Set-Cookie") if c.startswith(logins.COOKIE_PREFIX)]
    provider.login_as = None  # the person cancels at the provider
    assert "did not log you in" in round_trip(call)["body"]
    assert app.users == []


@pytest.mark.parametrize("tamper", ["audience", "issuer", "nonce", "expired", "key", "unsigned"])
def test_an_id_token_wrong_in_any_way_logs_nobody_in(server, provider, tamper):
    call, app = server
    provider.tamper = tamper
    back = round_trip(call)
    assert back["status"] == "401 Unauthorized" and "could not be verified" in back["body"]
    assert not [c for c in header(back, "Set-Cookie") if c.startswith(logins.COOKIE_PREFIX)]
    assert app.users == []


def test_an_answer_for_another_browser_or_replayed_is_refused(server, provider):
    call, app = server
    back = round_trip(call, state="a state this browser was not sent with")
    assert back["status"] == "401 Unauthorized" and "does not belong to this browser" in back["body"]
    assert provider.token_requests == 0  # refused before the code is used
    # Without the state cookie (another browser following a stolen link), likewise.
    started = call(sso.START_PATH)
    at_provider = requests.get(header(started, "Location")[0], allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    assert "does not belong to this browser" in call(back.path, back.query)["body"]
    assert app.users == []


def test_verified_claims_checks_the_times_with_a_minute_of_leeway(provider):
    chosen = sso.Provider(provider.issuer, CLIENT_ID, CLIENT_SECRET)
    token = provider.id_token({"name": "jana", "nonce": "n"})
    keys = requests.get(f"{provider.issuer}/jwks", timeout=10).json()
    assert sso.verified_claims(token, keys, chosen, "n")["preferred_username"] == "jana"
    assert sso.verified_claims(token, keys, chosen, "n", now=time.time() + 300 + 30)  # 30 s late: accepted
    with pytest.raises(Exception):  # noqa: B017 (joserfc's own error class)
        sso.verified_claims(token, keys, chosen, "n", now=time.time() + 300 + 120)


def test_the_configuration_is_whole_or_absent():
    assert sso.provider({}) is None
    with pytest.raises(ValueError, match="needs CXWB_OIDC_ISSUER"):
        sso.provider({"CXWB_OIDC_ISSUER": "https://id.firma.cz"})
    with pytest.raises(ValueError, match="https://"):
        sso.provider({"CXWB_OIDC_ISSUER": "http://id.firma.cz", "CXWB_OIDC_CLIENT_ID": "a",
                      "CXWB_OIDC_CLIENT_SECRET": "b"})  # fmt: skip
    found = sso.provider({"CXWB_OIDC_ISSUER": "https://id.firma.cz/", "CXWB_OIDC_CLIENT_ID": "a",
                          "CXWB_OIDC_CLIENT_SECRET": "b", "CXWB_OIDC_CLAIM": "email"})  # fmt: skip
    assert (found.issuer, found.claim, found.name) == ("https://id.firma.cz", "email", "single sign-on")


def test_an_unreachable_provider_leaves_the_password_login(server, provider):
    call, _app = server
    provider.stop()
    sso._discovery.cache_clear()
    page = call(sso.START_PATH)
    assert page["status"] == "502 Bad Gateway" and "cannot be reached" in page["body"] and "id=\"password\"" in page["body"]
