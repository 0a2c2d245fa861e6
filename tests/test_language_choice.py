"""Choosing the language without a browser: the route that remembers a reader's choice, the per-request language
the page frame and the <html> element follow, and the server default (the clicks are in tests/e2e)."""

from __future__ import annotations

import pytest

from cxweb.app import create_app
from workbench.core import i18n


@pytest.fixture
def client(workspace, monkeypatch):
    monkeypatch.delenv("CXWB_LANG", raising=False)
    app = create_app(workspace)
    return app.server.test_client()


def _frame_text(client) -> str:
    return client.get("/_dash-layout").get_data(as_text=True)


def test_the_choice_is_a_strict_cookie_and_leads_back_to_the_page(client):
    response = client.get("/language/cs?next=/heatmap%3Fmetric%3Dnps")
    assert response.status_code == 303 and response.headers["Location"] == "/heatmap?metric=nps"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("cxwb_lang=cs;") and "SameSite=Strict" in cookie and "HttpOnly" in cookie
    assert "Max-Age=31536000" in cookie


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x",
                                    "/\t/evil.example", "/\n/evil.example", " //evil.example"])  # browsers drop these
def test_it_never_leads_to_another_site(client, target):
    assert client.get("/language/pl", query_string={"next": target}).headers["Location"] == "/"


def test_an_unknown_language_changes_nothing(client):
    response = client.get("/language/xx?next=/roi")
    assert response.headers["Location"] == "/roi" and "Set-Cookie" not in response.headers


def test_each_request_answers_in_its_browsers_language_and_forgets_it_after(client):
    english = _frame_text(client)
    client.set_cookie(i18n.COOKIE, "cs")
    czech = _frame_text(client)
    assert "English" in english and "\\u010ce\\u0161tina" in czech  # the menu shows the chosen language
    assert 'lang="cs"' in client.get("/").get_data(as_text=True)
    assert i18n.current() == "en"  # the request's language did not leak into this thread afterwards
    client.set_cookie(i18n.COOKIE, "xx")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_the_server_default_is_cxwb_lang(workspace, monkeypatch):
    monkeypatch.setenv("CXWB_LANG", "pl")
    client = create_app(workspace).server.test_client()
    assert 'lang="pl"' in client.get("/").get_data(as_text=True)
    client.set_cookie(i18n.COOKIE, "en")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("code", "expected"), [("cs-CZ", "cs"), ("PL", "pl"), ("pl_PL", "pl"), ("de", None), (3, None)]
)
def test_language_codes_are_read_leniently(code, expected):
    assert i18n.supported(code) == expected


def test_a_block_produces_text_in_its_language_and_restores_the_previous(monkeypatch):
    monkeypatch.delenv("CXWB_LANG", raising=False)
    with i18n.language("pl"):
        assert i18n.current() == "pl"
        with i18n.language("cs"):
            assert i18n.current() == "cs"
        assert i18n.current() == "pl"
    assert i18n.current() == "en"
    labels = i18n.Labels({"a": i18n.N_("Heatmap")})
    assert dict(labels) == {"a": "Heatmap"} and len(labels) == 1 and list(labels) == ["a"]


def test_the_date_pickers_calendar_gets_the_readers_month_and_day_names(client):
    import json
    import re

    client.set_cookie(i18n.COOKIE, "pl")
    response = client.get("/locale/date-fns.js")
    assert response.headers["Cache-Control"] == "no-store" and response.mimetype == "text/javascript"
    data = json.loads(re.search(r"var data = (\{.*\});", response.get_data(as_text=True)).group(1))
    assert data["code"] == "pl" and data["months"]["formatting"]["wide"][7] == "sierpień"
    assert data["days"]["formatting"]["wide"][0] == "niedziela"
    client.set_cookie(i18n.COOKIE, "cs")
    data = json.loads(re.search(r"var data = (\{.*\});", client.get("/locale/date-fns.js").get_data(as_text=True)).group(1))
    assert data["days"]["formatting"]["wide"][:2] == ["neděle", "pondělí"]  # date-fns counts from Sunday
    assert data["months"]["standalone"]["wide"][2] == "březen" and data["date"] == "d. M. yyyy"
    client.set_cookie(i18n.COOKIE, "en")
    assert "var data" not in client.get("/locale/date-fns.js").get_data(as_text=True)  # date-fns' own English
