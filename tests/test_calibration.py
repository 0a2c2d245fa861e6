"""The calibration suite's quick mode: every stated coverage, error rate and verdict, held to its target on
simulated networks with known truth (bench/calibration.py; the full run's figures are in the README)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import calibration  # noqa: E402


@pytest.mark.parametrize("area", calibration.AREAS)
def test_every_claim_of_the_area_holds_on_simulated_data(area):
    lines: list[str] = []
    rows = calibration.run((area,), quick=True, out=lines.append)
    assert rows, f"{area} measured nothing"
    failing = [row.line() for row in rows if not row.holds]
    assert not failing, "\n".join([lines[0], *failing])
