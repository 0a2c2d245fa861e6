"""In the browser: the Data page reads typed paths only inside the allowed folders, and the very request it sends
to read one, replayed from another origin, another host name or without the token, is refused (issue 17)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.serving import Server

pytestmark = pytest.mark.e2e

CSV = "Datum;Kontaktní bod;NPS\n01.03.2026;Kurýr;9\n"


@pytest.fixture
def server(tmp_path):
    data = tmp_path / "client-data"
    data.mkdir()
    (data / "allowed.csv").write_text(CSV, encoding="utf-8")
    running = Server(tmp_path / "ws", demo=False, extra=("--data-dir", str(data)))
    running.data = data
    yield running
    running.stop()


def replay(server: Server, target: str, body: bytes, *, host: str | None = None, origin: str | None = None,
           cookie: bool = True) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest("POST", target, skip_host=True)
    headers = {"Host": host or f"127.0.0.1:{server.port}", "Content-Type": "application/json",
               "Origin": origin or server.url, "Content-Length": str(len(body))}
    if cookie:
        headers["Cookie"] = f"cxwb-token-{server.port}={server.token}"
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders(body)
    response = connection.getresponse()
    return response.status, response.read().decode()


def type_path(page, path: str) -> None:
    page.fill("#da-path", path)
    page.press("#da-path", "Enter")


def test_typed_paths_stay_inside_the_allowed_folders_and_the_request_cannot_be_replayed(server, page, screenshot):
    page.goto(server.at("/data"))
    expect(page.locator("#da-path")).to_be_visible()
    with page.expect_request(lambda r: "/_dash-update-component" in r.url and '"da-path"' in (r.post_data or "")
                             ) as captured:
        type_path(page, str(server.data / "allowed.csv"))
    expect(page.locator("#da-file-info")).to_contain_text("allowed.csv")
    expect(page.locator("#da-preview")).to_contain_text("Kurýr")
    body = captured.value.post_data.encode()
    target = urlsplit(captured.value.url)
    target = f"{target.path}?{target.query}"

    # The page's own request, sent again as the app sends it, works: the replay below differs only in what it names.
    status, answer = replay(server, target, body)
    assert status == 200 and "allowed.csv" in answer
    # The same request from a page on another site, through a rebinding name, or without the token: refused.
    assert replay(server, target, body, origin="http://evil.example")[0] == 403
    assert replay(server, target, body, host=f"evil.example:{server.port}", origin=f"http://evil.example:{server.port}")[0] == 400
    assert replay(server, target, body, cookie=False)[0] == 403

    # With the app's own origin and token, a path outside the allowed folders is refused, and the answer is the same
    # whether or not the file exists.
    def outside(path: str) -> str:
        status, answer = replay(server, target, body.replace(json.dumps(str(server.data / "allowed.csv"))[1:-1].encode(),
                                                     path.encode()))
        assert status == 200 and '"path"' not in answer
        return answer

    assert outside("/etc/hostname") == outside("/etc/no-such-file.csv")
    assert "--data-dir" in outside("/etc/passwd")

    type_path(page, "/etc/passwd")
    expect(page.locator("#da-message")).to_contain_text("reads typed paths only inside")
    expect(page.locator("#da-message")).not_to_contain_text("root:")
    screenshot(page, "security-typed-path-refused")

    # The sample list names shipped samples only: its values are names, not paths the browser could change.
    values = page.locator("#da-sample option").evaluate_all("options => options.map(o => o.value)")
    assert values and all("/" not in v for v in values if v)
    page.select_option("#da-sample", "parcel-express-kpi-cp1250.csv")
    page.click("#da-open")
    expect(page.locator("#da-file-info")).to_contain_text("parcel-express-kpi-cp1250.csv")
