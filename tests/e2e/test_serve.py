"""Serving: `cxwb serve` from any folder, bound to loopback, with every asset served locally (offline), opened with
the address and token it prints."""

import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.serving import free_port

CXWB = Path(sys.executable).with_name("cxwb")


def test_cxwb_serve_works_offline_from_any_folder(tmp_path):
    port = free_port()
    process = subprocess.Popen([str(CXWB if CXWB.exists() else shutil.which("cxwb")), "serve", "--workspace",
                                str(tmp_path / "ws"), "--port", str(port), "--no-browser"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        printed = process.stdout.readline()  # the server prints its address with the token before it listens
        address = re.search(r"(http://127\.0\.0\.1:\d+/)\?token=([\w-]+)", printed)
        assert address, printed
        token = address.group(2)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        deadline = time.monotonic() + 60
        while True:
            try:  # as a browser: the printed address sets the cookie and moves on to the page without the token
                response = opener.open(urllib.request.Request(address.group(0), headers={"Accept": "text/html"}),
                                       timeout=2)
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert "content='0;url=/'" in response.read().decode()
        response = opener.open(f"http://127.0.0.1:{port}/", timeout=5)
        assert "Server" not in response.headers  # neither Werkzeug's development server nor its version
        index = response.read().decode()
        links = re.findall(r'(?:href|src)="([^"]+)"', index)
        assert links and not [link for link in links if "//" in link], links  # nothing from another host
        for link in links:
            assert opener.open(f"http://127.0.0.1:{port}{link}", timeout=5).status == 200, link
        css = opener.open(f"http://127.0.0.1:{port}/vendor/fontawesome/css/all.min.css").read().decode()
        font = re.search(r'url\(\.\./(webfonts/[^)]+\.woff2)\)', css).group(1)
        assert opener.open(f"http://127.0.0.1:{port}/vendor/fontawesome/{font}").status == 200
        assert (tmp_path / "ws" / "workbench.db").exists()
        assert token not in "".join(links)
    finally:
        process.terminate()
        process.communicate(timeout=10)
