"""A team server's logins at the WSGI level (``cxweb.logins`` behind ``cxweb.guard``): the login page and form,
the session cookie and what ends it, where a login may lead, and what reaches the app; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest

from cxweb import guard, logins
from cxweb.app import accounts_of

BACKENDS = ("sqlite", "postgresql")  # the users are read from the metadata database on every request
PORT = 8123
HOST = f"127.0.0.1:{PORT}"
PASSWORD = "correct horse battery"


class Seen:
    """The app behind the guard: records the user of each request it is given."""

    def __init__(self):
        self.users = []

    def __call__(self, environ, start_response):
        self.users.append(environ.get(logins.USER_KEY))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"the app"]


@pytest.fixture
def server(workspace):
    """The guard of a team server on ``workspace`` with the user jana; (call, app, workspace)."""
    workspace.users.add("jana", PASSWORD, "Jana Nováková", admin=True)
    call, app = guarded(workspace)
    return call, app, workspace


def guarded(workspace):
    """A team server's guard on ``workspace`` in front of :class:`Seen`: a function sending it a request, and the
    app."""
    app = Seen()
    wrapped = guard.Guard(app, guard.policy_for("127.0.0.1", PORT, "unused-token"), lambda: "default-src 'self'",
                          accounts_of(workspace))

    def call(method="GET", path="/", body=b"", cookie=None, origin=f"http://{HOST}", html=True, scheme="http",
             query="", host=HOST, address="127.0.0.1"):
        environ = {
            "REMOTE_ADDR": address,
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": host,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": str(PORT), "wsgi.url_scheme": scheme,
            "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
        }
        if html:
            environ["HTTP_ACCEPT"] = "text/html"
        if origin:
            environ["HTTP_ORIGIN"] = origin
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers

        answer["body"] = b"".join(wrapped(environ, start_response)).decode()
        return answer

    return call, app


def header(answer, name):
    return [value for key, value in answer["headers"] if key.lower() == name.lower()]


def log_in(call, name="jana", password=PASSWORD, target="/actions", **options):
    return call("POST", logins.LOGIN_PATH, urlencode({"name": name, "password": password, "next": target}).encode(),
                **options)


def session_of(answer) -> str:
    [cookie] = header(answer, "Set-Cookie")
    return cookie.split(";")[0]


def test_without_a_session_a_browser_goes_to_the_login_page_and_a_script_is_refused(server):
    call, app, _workspace = server
    answer = call(path="/heatmap", query="journey=2")
    assert answer["status"].startswith("303") and header(answer, "Location") == [
        "/login?next=%2Fheatmap%3Fjourney%3D2"]
    page = call(path="/login", query="next=%2Fheatmap%3Fjourney%3D2")
    assert page["status"].startswith("200") and 'name="next" value="/heatmap?journey=2"' in page["body"]
    assert "<script" not in page["body"] and header(page, "Content-Security-Policy")
    assert call("POST", "/_dash-update-component", b"{}", html=False)["status"].startswith("401")
    assert call(path="/_dash-layout", html=False)["status"].startswith("401")
    assert app.users == []


def test_a_login_sets_a_strict_http_only_session_and_goes_on_where_the_user_was_going(server):
    call, app, _workspace = server
    answer = log_in(call)
    assert answer["status"].startswith("303") and header(answer, "Location") == ["/actions"]
    [cookie] = header(answer, "Set-Cookie")
    assert cookie.startswith(f"{logins.COOKIE_PREFIX}{PORT}=")
    assert {"HttpOnly", "SameSite=Strict", "Secure", f"Max-Age={logins.MAX_AGE}", "Path=/"} <= {
        part.strip() for part in cookie.split(";")}
    assert call(path="/actions", cookie=session_of(answer))["body"] == "the app"
    assert [user.name for user in app.users] == ["jana"]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil.example", "evil", "/login",
                                    "/\t/evil.example", "/\n/evil.example", " //evil.example", "/\x7f/evil",
                                    "/login?next=/", "javascript:alert(1)", "/%2F/ok-stays-a-path"])
def test_a_login_leads_only_to_a_page_of_this_server(server, target):
    call, _app, _workspace = server
    expected = ["/%2F/ok-stays-a-path"] if target == "/%2F/ok-stays-a-path" else ["/"]
    assert header(log_in(call, target=target), "Location") == expected


def test_a_wrong_password_shows_the_form_again_with_the_name_escaped_and_no_session(server):
    call, _app, _workspace = server
    answer = log_in(call, name="<img src=x onerror=alert(1)>", password="guess guess")
    assert answer["status"].startswith("401") and header(answer, "Set-Cookie") == []
    assert "Wrong name or password" in answer["body"]
    assert "<img" not in answer["body"] and "&lt;img src=x onerror=alert(1)&gt;" in answer["body"]


def test_a_login_posted_from_another_site_is_refused_and_not_counted(server):
    call, _app, workspace = server
    for _attempt in range(10):
        assert log_in(call, password="guess guess", origin="http://evil.example")["status"].startswith("403")
    assert log_in(call, origin=None)["status"].startswith("303")  # no Origin: the fetch metadata decide (absent)
    assert log_in(call)["status"].startswith("303")  # the ten did not lock the name


def test_the_fifth_wrong_password_locks_the_name_whatever_the_password(server):
    call, _app, _workspace = server
    for _attempt in range(5):
        assert "Wrong name or password" in log_in(call, password="guess guess")["body"]
    answer = log_in(call)
    assert answer["status"].startswith("401") and "too many failed logins: wait five minutes" in answer["body"]


def test_a_forged_altered_foreign_or_expired_session_is_no_session(server, monkeypatch, tmp_path):
    from itsdangerous import URLSafeTimedSerializer

    call, _app, workspace = server
    genuine = session_of(log_in(call))
    name, value = genuine.split("=", 1)
    user = workspace.users.list()[0]
    foreign = URLSafeTimedSerializer(b"another workspace's key!", salt="cxwb-session").dumps(
        {"u": user.id, "c": user.credentials})
    for cookie in (f"{name}={value[:-2]}xx", f"{name}={foreign}", f"{name}=", f"{name}={{}}", "other=1"):
        assert call(path="/actions", cookie=cookie, html=False)["status"].startswith("401"), cookie
    monkeypatch.setattr(logins, "MAX_AGE", -1)  # a day later
    assert call(path="/actions", cookie=genuine, html=False)["status"].startswith("401")


def test_a_new_password_or_disabling_ends_every_session_and_logging_out_clears_it(server):
    call, _app, workspace = server
    workspace.users.add("root", PASSWORD, admin=True)  # jana is not the last administrator, so she can be disabled
    first = session_of(log_in(call))
    workspace.users.reset("jana", "a brand new password")
    assert call(path="/actions", cookie=first, html=False)["status"].startswith("401")
    second = session_of(log_in(call, password="a brand new password"))
    assert call(path="/actions", cookie=second)["body"] == "the app"
    workspace.users.set_disabled("jana", True)
    assert call(path="/actions", cookie=second, html=False)["status"].startswith("401")
    workspace.users.set_disabled("jana", False)
    third = session_of(log_in(call, password="a brand new password"))
    out = call("POST", logins.LOGOUT_PATH, cookie=third)
    assert header(out, "Location") == [logins.LOGIN_PATH] and "Max-Age=0" in header(out, "Set-Cookie")[0]
    assert call("POST", logins.LOGOUT_PATH, cookie=third, origin="http://evil.example")["status"].startswith("403")


def test_an_oversized_login_form_is_refused_unread(server):
    call, _app, _workspace = server
    answer = call("POST", logins.LOGIN_PATH, b"name=jana&password=" + b"x" * logins.FORM_BYTES)
    assert answer["status"].startswith("413")


def test_the_host_check_still_comes_first(server):
    """A page on another name for this address (DNS rebinding) gets no login form and cannot log in."""
    call, _app, _workspace = server
    assert call(path="/login", host="evil.example:8123")["status"].startswith("400")
    assert log_in(call, host="evil.example:8123", origin="http://evil.example:8123")["status"].startswith("400")


def test_one_address_guessing_over_many_names_is_refused_for_a_while(server):
    from workbench.repos import users

    call, _app, _workspace = server
    for guess in range(users.MAX_CLIENT_FAILURES):
        assert log_in(call, name=f"user{guess}", password="summer2026 summer", address="10.0.0.9")["status"] == (
            "401 Unauthorized")  # fmt: skip
    assert "Wrong name or password" in log_in(call, address="10.0.0.9")["body"]  # the right password, refused
    assert log_in(call, address="10.0.0.7")["status"].startswith("303")  # another computer logs in


def test_the_client_behind_a_trusted_proxy_is_the_nearest_untrusted_forwarded_address():
    proxy = frozenset({"10.0.0.1"})
    assert logins.client_address({"REMOTE_ADDR": "192.0.2.5"}, proxy) == "192.0.2.5"
    forwarded = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.0.2.5"}
    assert logins.client_address(forwarded, proxy) == "192.0.2.5"  # what the client wrote further left is ignored
    assert logins.client_address(forwarded, frozenset()) == "10.0.0.1"  # an untrusted peer's header is not believed
    assert logins.client_address({"REMOTE_ADDR": "192.0.2.5", "HTTP_X_FORWARDED_FOR": "6.6.6.6"}, proxy) == "192.0.2.5"
