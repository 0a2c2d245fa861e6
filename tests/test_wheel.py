"""Installable anywhere: the wheel built from the source, installed (not editable) into a fresh virtual environment
outside the repository, runs ``cxwb demo`` and ``cxwb serve`` from another folder on what it carries alone.

The new environment gets the workbench only from the wheel; its dependencies (pandas, Dash, …) it borrows from the
environment running the tests through a ``.pth`` line, which adds that folder to ``sys.path`` without running its
own ``.pth`` files, so the editable install of the repository there stays switched off.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.serving import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "workbench", "cxweb")  # what the build reads
TIMEOUT = 120


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment, outside the repository, with the workbench's wheel installed in it."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # a copy: pip builds in the source folder, and the tests never write into the repository
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--quiet",
        "--wheel-dir", str(base / "dist"), str(source), cwd=base)
    [wheel] = (base / "dist").glob("cx_journey_workbench-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert {name.split("/")[0] for name in names if ".dist-info/" not in name} == {"workbench", "cxweb"}, names

    venv = base / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=base)
    python = venv / "bin" / "python"
    site = Path(run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=base).strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet",
        str(wheel), cwd=base)
    return venv


def run(*command: str, cwd: Path) -> str:
    """Run ``command`` in ``cwd``, without a path to the repository in the environment; its output (it must succeed)."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "CXWB_TOKEN", "VIRTUAL_ENV")}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_carries_its_files_and_imports_from_the_new_environment(installed, tmp_path):
    found = run(str(installed / "bin" / "python"), "-c", "import workbench, cxweb; print(workbench.__file__); "
                "print(cxweb.__file__)", cwd=tmp_path).split()
    assert all(Path(path).is_relative_to(installed) for path in found), found
    site = Path(found[0]).parents[1]
    assert sorted(p.name for p in (site / "workbench" / "resources" / "journeys").glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "workbench" / "resources" / "journeys").glob("*.yaml"))
    assert {p.name for p in (site / "workbench" / "resources" / "datasets").iterdir()} >= {
        "codebook.yaml", "parcel-express-answers-cp1250.csv", "parcel-express-kpi-cp1250.csv"}
    assert (site / "cxweb" / "assets").is_dir() and list((site / "workbench" / "data" / "migrations" / "versions").glob(
        "0001_*.py"))
    samples = run(str(installed / "bin" / "python"), "-c", "from workbench.repos.datasets import sample_files; "
                  "print(*[p.name for p in sample_files()])", cwd=tmp_path).split()
    assert "parcel-express-kpi-cp1250.csv" in samples
    templates = run(str(installed / "bin" / "cxwb"), "templates", cwd=tmp_path)
    assert "ecommerce-delivery" in templates and len(templates.splitlines()) == 9  # every template is in the wheel


def test_cxwb_demo_then_serve_from_another_folder(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cxwb = str(installed / "bin" / "cxwb")
    printed = run(cxwb, "demo", "--workspace", str(tmp_path / "ws"), cwd=elsewhere)
    assert re.match(r"Demo project id 1 in ", printed), printed

    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "CXWB_TOKEN", "VIRTUAL_ENV")}
    process = subprocess.Popen([cxwb, "serve", "--workspace", str(tmp_path / "ws"), "--port", str(port),
                                "--no-browser"], cwd=elsewhere, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        line = process.stdout.readline()  # the address with this start's token, printed before the server listens
        address = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", line)
        assert address, line
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        deadline = time.monotonic() + 60
        while True:
            try:  # the printed address sets the cookie; then the first page as a browser asks for it
                opener.open(urllib.request.Request(address.group(0), headers={"Accept": "text/html"}), timeout=2)
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        page = opener.open(f"http://127.0.0.1:{port}/", timeout=10)
        index = page.read().decode()
        assert page.status == 200 and "<title>CX Journey Workbench</title>" in index
        links = re.findall(r'(?:href|src)="(/assets/[^"]+)"', index)
        assert links, index
        for link in links:  # the app's own stylesheets and scripts, from the installed package
            assert opener.open(f"http://127.0.0.1:{port}{link}", timeout=10).status == 200, link
        layout = json.loads(opener.open(f"http://127.0.0.1:{port}/_dash-layout", timeout=30).read())
        assert layout["type"] and layout["props"]  # the pages' layout, built by the installed app
    finally:
        process.terminate()
        process.communicate(timeout=10)
