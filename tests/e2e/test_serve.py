"""Serving: `cxwb serve` from any folder, bound to loopback, with every asset served locally (offline)."""

import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import free_port

CXWB = Path(sys.executable).with_name("cxwb")


def test_cxwb_serve_works_offline_from_any_folder(tmp_path):
    port = free_port()
    process = subprocess.Popen([str(CXWB if CXWB.exists() else shutil.which("cxwb")), "serve", "--workspace",
                                str(tmp_path / "ws"), "--port", str(port)], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                index = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        links = re.findall(r'(?:href|src)="([^"]+)"', index)
        assert links and not [link for link in links if "//" in link], links  # nothing from another host
        for link in links:
            assert urllib.request.urlopen(f"http://127.0.0.1:{port}{link}", timeout=5).status == 200, link
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/vendor/fontawesome/css/all.min.css").read().decode()
        font = re.search(r'url\(\.\./(webfonts/[^)]+\.woff2)\)', css).group(1)
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/vendor/fontawesome/{font}").status == 200
        assert (tmp_path / "ws" / "workbench.db").exists()
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert f"http://127.0.0.1:{port}/" in output
