"""Local mode refuses what a hostile web page or another user of the machine would send (issue 17).

The guard is tested as pure functions and then against the real server (waitress in a subprocess), with the
requests an attacker can make: a foreign ``Host`` (DNS rebinding), a foreign ``Origin`` on a callback, no token
or a wrong one. Replaying a real callback that reads a file, captured in the browser, is in
``tests/e2e/test_security_browser.py``.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

# ------------------------------------------------------------------ the guard's rules
from cxweb import guard
from tests.serving import ROOT, Server, free_port
from workbench.core import folders
from workbench.features.workspace import open_workspace

POLICY = guard.Policy(port=8050, token="s3cret-token")


@pytest.mark.parametrize("header", ["127.0.0.1:8050", "localhost:8050", "LOCALHOST:8050", "[::1]:8050"])
def test_loopback_hosts_with_the_port_are_served(header):
    assert guard.host_allowed(header, POLICY)


@pytest.mark.parametrize("header", ["evil.example:8050", "evil.example", "127.0.0.1:8051", "127.0.0.1", "localhost",
                                    "127.0.0.1.evil.example:8050", "localhost.:8050", "", "[::1", "[::1]x:8050",
                                    "127.0.0.1:80a", "127.0.0.1:8050:1", "10.0.0.5:8050", "0.0.0.0:8050"])
def test_other_hosts_are_not(header):
    assert not guard.host_allowed(header, POLICY)


def test_a_wildcard_bind_answers_addresses_and_named_hosts_but_not_other_names():
    policy = guard.policy_for("0.0.0.0", 8050, "t", allow_hosts=["cx.example.com"])
    assert guard.host_allowed("192.168.1.20:8050", policy)
    assert guard.host_allowed("cx.example.com", policy)  # behind a reverse proxy, on its port
    assert guard.host_allowed(f"{socket.gethostname()}:8050", policy)
    assert not guard.host_allowed("evil.example:8050", policy)  # a rebinding attacker's name never passes
    assert not guard.host_allowed("192.168.1.20:9999", policy)


def test_loopback_binds_are_recognised():
    assert all(guard.is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"))
    assert not any(guard.is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.2", "example.com"))


@pytest.mark.parametrize("headers, same", [
    ({"HTTP_ORIGIN": "http://127.0.0.1:8050"}, True),
    ({"HTTP_ORIGIN": "http://evil.example:8050"}, False),
    ({"HTTP_ORIGIN": "http://127.0.0.1:8051"}, False),
    ({"HTTP_ORIGIN": "null"}, False),
    ({"HTTP_REFERER": "http://127.0.0.1:8050/data"}, True),
    ({"HTTP_REFERER": "http://evil.example/page"}, False),
    ({"HTTP_SEC_FETCH_SITE": "cross-site"}, False),
    ({"HTTP_SEC_FETCH_SITE": "same-site"}, False),
    ({}, True),  # a script without browser headers: the token decides
])
def test_a_state_change_must_come_from_the_apps_own_origin(headers, same):
    assert guard.same_origin({"HTTP_HOST": "127.0.0.1:8050", **headers}) is same


def test_the_address_token_wins_over_an_old_cookie():
    environ = {"QUERY_STRING": "token=s3cret-token", "HTTP_COOKIE": "cxwb-token-8050=old-start"}
    assert guard.token_valid(guard.presented_tokens(environ, POLICY), POLICY)
    assert not guard.token_valid(guard.presented_tokens({"HTTP_COOKIE": "cxwb-token-8050=old"}, POLICY), POLICY)
    assert not guard.token_valid(guard.presented_tokens({"HTTP_COOKIE": "cxwb-token-8051=s3cret-token"}, POLICY),
                                 POLICY)  # another port's cookie is another server's
    assert not guard.token_valid(guard.presented_tokens({"HTTP_COOKIE": 'x="\\'}, POLICY), POLICY)
    # Other apps' cookies on localhost that a strict parser gives up on do not hide ours.
    for other in ('ui={"theme": "dark"}', "a=é", "a b=c", 'x="\\', "=", ";;"):
        environ = {"HTTP_COOKIE": f"{other}; cxwb-token-8050=s3cret-token; after=1"}
        assert guard.token_valid(guard.presented_tokens(environ, POLICY), POLICY), other


def test_the_csp_allows_only_the_apps_scripts_and_no_framing():
    csp = guard.content_security_policy(["'sha256-abc='", "'sha256-abc='"])
    directives = dict(part.split(" ", 1) for part in csp.split("; "))
    assert directives["script-src"] == "'self' 'sha256-abc='"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in directives["script-src"] and directives["default-src"] == "'self'"


# ------------------------------------------------------------------ typed paths


def test_typed_paths_are_read_only_inside_the_allowed_folders(tmp_path):
    workspace, data, outside = tmp_path / "ws", tmp_path / "client-data", tmp_path / "elsewhere"
    for folder in (data, outside):
        folder.mkdir()
    (data / "survey.csv").write_text("a;b\n1;2\n")
    (outside / "secret.csv").write_text("a;b\n1;2\n")
    allowed = folders.allowed_folders(workspace, [data])
    assert (workspace / folders.IMPORTS_FOLDER).is_dir()
    (workspace / folders.IMPORTS_FOLDER / "big.csv").write_text("a\n1\n")
    assert folders.typed_file(str(data / "survey.csv"), allowed) == (data / "survey.csv").resolve()
    assert folders.typed_file(f"  {workspace / 'imports' / 'big.csv'} ", allowed).name == "big.csv"

    def refusal(text: str) -> str:
        with pytest.raises(folders.FolderError) as error:
            folders.typed_file(text, allowed)
        return str(error.value)

    # Outside, the message is the same whether or not the file exists: nothing is learnt about the machine.
    messages = {refusal(str(outside / "secret.csv")), refusal(str(outside / "missing.csv")), refusal("/etc/passwd"),
                refusal("/nonexistent/x.csv"), refusal(f"{data}/../elsewhere/secret.csv"), refusal("")}
    assert len(messages) == 1 and "--data-dir" in messages.pop()
    (data / "link.csv").symlink_to(outside / "secret.csv")  # a link inside that leads out is outside
    assert "--data-dir" in refusal(str(data / "link.csv"))
    assert "No file at" in refusal(str(data / "missing.csv"))  # inside an allowed folder, saying so is fine


def test_a_team_server_reads_typed_paths_only_in_the_workspace_imports_folder(tmp_path):
    """Every project's datasets, the metadata database and the sessions' signing key are in the workspace: on a team
    server one user's typed path reaches none of them, only the shared imports/ folder (and --data-dir folders)."""
    workspace = tmp_path / "ws"
    allowed = folders.allowed_folders(workspace, [], None, team=True)
    with open_workspace(workspace) as opened:  # an uploaded file is read from where the upload keeps it
        uploaded = opened.datasets.receive("export.csv", b"a;b\n1;2\n")
    assert folders.typed_file(str(uploaded), allowed) == uploaded.resolve()
    (workspace / "datasets").mkdir()
    for name in ("secret.key", "datasets/other-project.parquet"):
        (workspace / name).write_bytes(b"not yours")
    (workspace / folders.IMPORTS_FOLDER / "survey.csv").write_text("a;b\n1;2\n")
    assert folders.typed_file(str(workspace / "imports" / "survey.csv"), allowed).name == "survey.csv"
    assert folders.imports_folder(allowed) == (workspace / "imports").resolve()
    for name in ("secret.key", "workbench.db", "datasets/other-project.parquet", "imports/../secret.key"):
        with pytest.raises(folders.FolderError, match="--data-dir") as refused:
            folders.typed_file(str(workspace / name), allowed)
        assert f"Copy the file into {(workspace / 'imports').resolve()}," in str(refused.value)


# ------------------------------------------------------------------ the real server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("security") / "ws", demo=False)
    yield running
    running.stop()


def request(server: Server, method: str, path: str, *, host: str | None = None, headers: dict | None = None,
            body: bytes | None = None, token: bool = True) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", host if host is not None else f"127.0.0.1:{server.port}")
    for name, value in ({"Cookie": f"cxwb-token-{server.port}={server.token}"} if token else {}).items():
        connection.putheader(name, value)
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


CALLBACK = json.dumps({"output": "nav-alerts-count.children", "outputs": {"id": "nav-alerts-count",
                       "property": "children"}, "inputs": [{"id": "app-url", "property": "pathname", "value": "/"},
                       {"id": "nav-alerts-poll", "property": "n_intervals", "value": 1}],
                       "changedPropIds": ["app-url.pathname"], "state": []}).encode()
JSON = {"Content-Type": "application/json"}


def test_a_callback_from_the_apps_page_with_the_token_is_answered(server):
    response = request(server, "POST", "/_dash-update-component", body=CALLBACK,
                       headers={**JSON, "Origin": server.url})
    assert response.status == 200


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1.nip.io:{port}",
                                  "127.0.0.1:{other}", "localhost"])
def test_a_foreign_host_is_refused_on_every_route(server, host):
    host = host.format(port=server.port, other=server.port + 1)
    for method, path, body in [("GET", "/", None), ("GET", "/_dash-layout", None), ("GET", "/data", None),
                               ("POST", "/_dash-update-component", CALLBACK), ("GET", "/nothing-here", None)]:
        response = request(server, method, path, host=host, body=body, headers={**JSON, "Origin": f"http://{host}"})
        assert response.status == 400, (host, path)


def test_a_request_without_a_host_is_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert sock.recv(100).split(b"\r\n")[0].endswith(b" 400 Bad Request")


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example:{port}"}, {"Origin": "http://evil.example"},
                                     {"Origin": "null"}, {"Referer": "http://evil.example/attack.html"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_a_callback_from_another_origin_is_refused_even_with_the_token(server, headers):
    headers = {k: v.format(port=server.port) for k, v in headers.items()}
    response = request(server, "POST", "/_dash-update-component", body=CALLBACK, headers={**JSON, **headers})
    assert response.status == 403


@pytest.mark.parametrize("path", ["/", "/data", "/_dash-layout", "/_dash-dependencies", "/assets/kanban.js",
                                  "/vendor/bootstrap/css/bootstrap.min.css"])
def test_nothing_is_served_without_the_token(server, path):
    assert request(server, "GET", path, token=False).status == 403
    assert request(server, "GET", path, token=False, headers={"Cookie": f"cxwb-token-{server.port}=guess"}).status == 403
    assert request(server, "GET", path, token=False,
                   headers={"Authorization": f"token {server.token}"}).status in (200, 304)


def test_no_callback_runs_without_the_token(server):
    response = request(server, "POST", "/_dash-update-component", body=CALLBACK, token=False,
                       headers={**JSON, "Origin": server.url})
    assert response.status == 403


def test_a_browser_without_the_token_gets_a_page_that_says_where_it_is(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/heatmap", headers={"Accept": "text/html"})
    response = connection.getresponse()
    page = response.read().decode()
    assert response.status == 403 and "?token=" in page and "<script" not in page


def test_the_printed_address_sets_a_strict_cookie_and_drops_the_token_from_the_address(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", f"/heatmap?metric=nps&token={server.token}", headers={
        "Accept": "text/html", "Cookie": f"cxwb-token-{server.port}=from-an-old-start"})
    response = connection.getresponse()
    page = response.read().decode()
    # The page moves on by itself to the address without the token: a redirect would not carry a Strict cookie
    # when the navigation began elsewhere (the file the browser is opened with, a link in another app).
    assert response.status == 200 and "content='0;url=/heatmap?metric=nps'" in page and server.token not in page
    cookie = response.getheader("Set-Cookie")
    assert cookie.startswith(f"cxwb-token-{server.port}={server.token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


@pytest.mark.parametrize("method, path, token, host", [
    ("GET", "/", True, None), ("GET", "/_dash-layout", True, None), ("GET", "/nothing-here", True, None),
    ("GET", "/", False, None), ("GET", "/", True, "evil.example"), ("POST", "/_dash-update-component", True, None)])
def test_every_response_carries_the_security_headers(server, method, path, token, host):
    response = request(server, method, path, token=token, host=host, body=CALLBACK if method == "POST" else None,
                       headers={**JSON, "Origin": "http://evil.example"} if method == "POST" else {})
    csp = response.getheader("Content-Security-Policy") or ""
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in \
        csp.split("script-src", 1)[1].split(";")[0]
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "same-origin"
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("Server") is None  # no Werkzeug, no version


def test_an_oversized_request_is_refused_before_it_is_read(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest("POST", "/_dash-update-component", skip_host=True)
    for name, value in {"Host": f"127.0.0.1:{server.port}", "Origin": server.url, **JSON,
                        "Cookie": f"cxwb-token-{server.port}={server.token}",
                        "Content-Length": str(10 * 2**30)}.items():
        connection.putheader(name, value)
    connection.endheaders()
    assert connection.getresponse().status == 413


def test_serving_beyond_loopback_warns(tmp_path):
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--workspace", str(tmp_path / "ws"), "--no-demo",
                                "--no-browser", "--host", "0.0.0.0", "--port", str(port)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        warning = process.stderr.readline()
        printed = process.stdout.readline()
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert warning.startswith("Warning: serving on 0.0.0.0") and "token" in warning
    assert "?token=" in printed


def test_a_script_sends_the_token_in_a_header(server):
    assert server.get("/_dash-layout").status == 200


def test_the_browser_is_opened_without_the_token_on_its_command_line(monkeypatch):
    import webbrowser

    from cxweb import app

    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    app._open_browser("http://127.0.0.1:8050/?token=s3cret-token")
    assert len(opened) == 1 and "s3cret-token" not in opened[0]  # `ps` shows every user the browser's arguments
    page = Path(opened[0].removeprefix("file://"))
    assert page.stat().st_mode & 0o777 == 0o600  # the file with the token is this user's alone
    assert "url=http://127.0.0.1:8050/?token=s3cret-token" in page.read_text()
    page.unlink()


def test_debug_mode_stays_on_this_computer(tmp_path, capsys):
    from workbench.cli import main

    assert main(["serve", "--workspace", str(tmp_path / "ws"), "--no-demo", "--debug", "--host", "0.0.0.0"]) == 2
    assert "--debug" in capsys.readouterr().err
