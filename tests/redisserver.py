"""A Redis server of the test's own (``redis-server`` from Debian's package, which ``.ci/run`` installs) on a free
loopback port, kept in memory only, for the team stack's tests: the one ``make team`` starts (``cxweb.stack``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cxweb.stack import start_redis


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A running Redis (its URL) for the block; skipped where ``redis-server`` is missing, except in CI (fails)."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: CI runs the team stack's tests (.ci/run installs it)")
        pytest.skip("no redis-server to run the team stack on")
    url, process = start_redis(folder)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
