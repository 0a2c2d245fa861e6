"""Benchmark: import of a 1 M-row Czech survey CSV (cp1250, ';', decimal commas, dd.mm.yyyy) vs bare pyarrow.

Ours: sniff + read_csv (text) + prepare_survey (typing, label mapping, validation) + write_parquet.
Reference, in the same process: pyarrow.csv.read_csv with explicit column types + pyarrow.parquet.write_table.
Run: `.venv/bin/python bench/bench_ingest.py [rows]`.
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from timing import median_seconds  # noqa: E402
from workbench import ingest  # noqa: E402
from workbench.ingest import SurveyMapping  # noqa: E402

RUNS = 3
LABELS = ["Web", "Kurýr", "Pobočka", "Call centrum", "Aplikace"]


def make_file(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="cp1250", newline="") as handle:
        handle.write("ID;Datum;Kontaktní bod;NPS;CSAT;Pobočka\n")
        for i in range(rows):
            handle.write(f"r{i};{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2024 {rng.randint(8, 19):02d}:15;"
                         f"{rng.choice(LABELS)};{rng.randint(0, 10)};{rng.randint(1, 5)},0;Pobočka {rng.randint(1, 50)}\n")


def ours(path: Path, out: Path) -> None:
    table, dialect = ingest.read_csv(path)
    mapping = SurveyMapping(touchpoint="Kontaktní bod", ts="Datum", nps="NPS", csat="CSAT", response_id="ID",
                            segments=("Pobočka",), touchpoint_values={label: f"tp{i}" for i, label in enumerate(LABELS)})
    typed, _ = ingest.prepare_survey(table, mapping, [f"tp{i}" for i in range(len(LABELS))], dialect.decimal)
    ingest.write_parquet(typed, out)


def reference(path: Path, out: Path) -> None:
    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding="cp1250"),
                           parse_options=pacsv.ParseOptions(delimiter=";"),
                           convert_options=pacsv.ConvertOptions(
                               column_types={"ID": pa.string(), "Datum": pa.timestamp("s"), "Kontaktní bod": pa.string(),
                                             "NPS": pa.int8(), "CSAT": pa.float64(), "Pobočka": pa.string()},
                               timestamp_parsers=["%d.%m.%Y %H:%M"], decimal_point=","))
    pq.write_table(table, out)



def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "survey.csv"
        make_file(source, rows)
        mine = median_seconds(lambda: ours(source, Path(folder) / "ours.parquet"), RUNS)
        bare = median_seconds(lambda: reference(source, Path(folder) / "bare.parquet"), RUNS)
        print(f"import {rows:,} rows (cp1250, ';', decimal comma, validation): {mine:6.2f} s   "
              f"bare pyarrow read+write: {bare:6.2f} s   ratio {mine / bare:4.2f}x   (median of {RUNS})")


if __name__ == "__main__":
    main()
