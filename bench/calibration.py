"""The calibration suite: every interval, error rate and verdict the workbench states, measured on simulated
networks with known truth (bench/calib/sim.py), each figure with its Monte Carlo error and its target.

    python bench/calibration.py            # the full table (README figures)
    python bench/calibration.py --quick    # a few replicates per row, under a minute (run by the tests)
    python bench/calibration.py --only breaks

Exits 1 when a row misses its target by more than two Monte Carlo errors.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calib.report import HEADER  # noqa: E402

# Each module has rows(quick: bool, seed: int) -> list[Row].
AREAS = ("intervals", "breaks", "before_after", "drivers", "roi", "alerts")


def run(areas=AREAS, quick: bool = False, seed: int = 20261203, out=print) -> list:
    """Run the areas' simulations; print and return their rows."""
    rows = []
    out(HEADER)
    for area in areas:
        start = time.perf_counter()
        module = importlib.import_module(f"calib.{area}")
        found = module.rows(quick=quick, seed=seed)
        for row in found:
            out(row.line())
        out(f"{'':14s} ({area}: {time.perf_counter() - start:.1f} s)")
        rows += found
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few replicates per row (the tests' mode)")
    parser.add_argument("--only", choices=AREAS, action="append", help="run only these areas")
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args()
    rows = run(tuple(args.only or AREAS), quick=args.quick, seed=args.seed)
    failing = [row for row in rows if not row.holds]
    print(f"\n{len(rows) - len(failing)} of {len(rows)} claims hold.")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
