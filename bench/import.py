"""Benchmark: import of a Czech survey CSV (cp1250, ';', decimal commas, dd.mm.yyyy) vs bare pyarrow.

Ours: the whole import of the Data page and ``cxwb import`` — sniff, typed read, label mapping, validation
(dates, scales, duplicate ids), Parquet written sorted by time to a temporary file, renamed and registered; the
files the pages read instead of the answers (``workbench.data.beside``: the summary, and the respondent table when
the file has respondent ids) are written after that in the background and timed apart.
Reference, in the same process: ``pyarrow.csv.read_csv`` with explicit column types + ``pyarrow.parquet.write_table``
of the same file (the least any importer must do).
Two files: answers in time order (as survey tools export them) and shuffled (the import sorts them by time).
Run: ``.venv/bin/python bench/import.py [--rows N] [--runs N]``; the last line is ``ratio_vs_pyarrow_csv: X``
for the file in time order.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from timing import median_seconds  # noqa: E402

from workbench.core.journey import Journey, Stage, Touchpoint  # noqa: E402
from workbench.data.ingest import SurveyMapping  # noqa: E402
from workbench.features.workspace import open_workspace

LABELS = {"Web": "web", "Kurýr": "courier", "Pobočka": "branch", "Call centrum": "call-centre", "Aplikace": "app"}
MAPPING = SurveyMapping(touchpoint="Kontaktní bod", ts="Datum", nps="NPS", csat="CSAT", response_id="ID",
                        segments=("Pobočka",), touchpoint_values=LABELS)


def make_file(path: Path, rows: int, chronological: bool) -> None:
    """Answers over one year; survey tools export them in time order, a hand-merged file may not be."""
    rng = random.Random(7)
    labels = list(LABELS)
    days = sorted(rng.randrange(336) for _ in range(rows)) if chronological else [rng.randrange(336) for _ in range(rows)]
    with path.open("w", encoding="cp1250", newline="") as handle:
        handle.write("ID;Datum;Kontaktní bod;NPS;CSAT;Pobočka\n")
        for i, day in enumerate(days):
            handle.write(f"r{i};{day % 28 + 1:02d}.{day // 28 + 1:02d}.2024 {8 + i * 11 // rows:02d}:15;"
                         f"{rng.choice(labels)};{rng.randint(0, 10)};{rng.randint(1, 5)},0;Pobočka {rng.randint(1, 50)}\n")


def reference(path: Path, out: Path) -> None:
    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding="cp1250"),
                           parse_options=pacsv.ParseOptions(delimiter=";"),
                           convert_options=pacsv.ConvertOptions(
                               column_types={"ID": pa.string(), "Datum": pa.timestamp("s"), "Kontaktní bod": pa.string(),
                                             "NPS": pa.int8(), "CSAT": pa.float64(), "Pobočka": pa.string()},
                               timestamp_parsers=["%d.%m.%Y %H:%M"], decimal_point=","))
    pq.write_table(table, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ratios = {}
    with tempfile.TemporaryDirectory() as folder:
        workspace = open_workspace(Path(folder) / "ws")
        project = workspace.create_project("Bench")
        journey = workspace.create_journey(project, Journey("Bench", stages=(Stage("all", "All"),), touchpoints=tuple(
            Touchpoint(key, key, "all") for key in LABELS.values())))
        source = Path(folder) / "survey.csv"  # the same file for both orders, rewritten by each
        for chronological in (False, True):
            make_file(source, args.rows, chronological)
            summaries = []  # the precomputed files are written after the commit, in the background: timed apart

            def settle() -> None:
                start = time.perf_counter()
                workspace.datasets.settle()
                summaries.append(time.perf_counter() - start)

            ours = median_seconds(lambda: workspace.datasets.import_file(project, source, MAPPING, "Survey",
                                                                         journey_id=journey), args.runs, settle)
            info = workspace.datasets.list(project)[0]
            assert info.rows == args.rows and not info.report.issues, info.report
            bare = median_seconds(lambda: reference(source, Path(folder) / "bare.parquet"), args.runs)
            order = "in time order" if chronological else "in random order (sorted on import)"
            print(f"import {args.rows:,} rows {order}: {ours:5.2f} s   bare pyarrow read+write: {bare:5.2f} s   "
                  f"ratio {ours / bare:4.2f}   (median of {args.runs}); then its precomputed files in the background: "
                  f"{statistics.median(summaries):4.2f} s more")
            ratios[chronological] = ours / bare
        workspace.close()
    print(f"ratio_vs_pyarrow_csv: {ratios[True]:.2f}")


if __name__ == "__main__":
    main()
