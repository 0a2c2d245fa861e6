"""Benchmark: hostile inputs (issue 17, "Safe by default"), each imported by ``cxwb`` in a child process.

Each bomb is built in a temporary folder at the size the issue reports, then run with a timeout and a memory cap;
the table gives the wall time of the child (Python start and imports included, about 1.5 s), its peak resident
memory (``ru_maxrss`` from ``wait4``, also for a child stopped at the timeout or the cap), the most bytes seen in
the workspace's ``tmp/`` folder, and the last line the command printed.
Run: ``.venv/bin/python bench/bombs.py [--timeout 60] [--cap-mb 10000] [--only NAME]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
import bombs  # noqa: E402  (tests/bombs.py: the same files the tests build, at full size)


def cases(folder: Path, workspace: Path, mapping: Path, backup: Path):
    """(name, builder returning the child's arguments) of every bomb."""
    ws = ("--workspace", workspace)
    load = ("--project", bombs.PROJECT, "--name", "Bomb")

    def imported(path: Path, *extra):
        return bombs.cxwb("import", path, *load, *extra, *ws)

    wildcard_code = ("import pandas as pd; from workbench.analysis import coding; from workbench.repos import text; "
                     "book, word = __import__('bombs').wildcard_codebook(12); "
                     "print(coding.tag(pd.Series([word]), text.load_codebook(book, 'yaml')).sum().to_dict())")
    return [
        ("CSV, 100 000 columns (1.3 MB)",
         lambda: imported(bombs.csv_columns(folder / "columns.csv", 100_000), "--mapping", mapping)),
        ("CSV, a 200 000-character comment (no mapping: preview read)",
         lambda: imported(bombs.csv_long_field(folder / "field.csv", 200_000))),
        ("XLSX inflating to 3 M rows",
         lambda: imported(bombs.xlsx_rows(folder / "rows.xlsx", 3_000_000), "--mapping", mapping)),
        ("XLSX, one cell at XFD1048576 (2 kB)",
         lambda: imported(bombs.xlsx_far_cell(folder / "far.xlsx"), "--mapping", mapping)),
        ("Parquet, 100 M identical rows",
         lambda: imported(bombs.parquet_rows(folder / "rows.parquet", 100_000_000), "--mapping", mapping)),
        ("Parquet, list-typed CSAT column",
         lambda: imported(bombs.parquet_list_score(folder / "list.parquet"), "--mapping", mapping)),
        ("--mapping JSON nested 100 000 deep",
         lambda: imported(bombs.csv_long_field(folder / "plain.csv", 10), "--mapping",
                          bombs.deep_json(folder / "deep.json", 100_000))),
        ("Backup, tables.json 2 MB compressed (2 GB)",
         lambda: bombs.cxwb("restore", bombs.backup_bomb(backup, folder / "tables.cxwb.zip", tables_bytes=2 << 30),
                            "--name", "R1", *ws)),
        ("Backup, 4 MB dataset entry (4 GB)",
         lambda: bombs.cxwb("restore", bombs.backup_bomb(backup, folder / "entry.cxwb.zip", dataset_bytes=4 << 30),
                            "--name", "R2", *ws)),
        ("Journey YAML, billion laughs (9 levels of 9)",
         lambda: bombs.cxwb("journey", "import", bombs.laughing_yaml(folder / "laughs.yaml"), "--project",
                            bombs.PROJECT, *ws)),
        ("Codebook keyword with 12 wildcards, one 40-letter word",
         lambda: ["-c", wildcard_code]),
        # Found in review: ways round the XLSX guard, the backup's values, Parquet cells and csv.Sniffer.
        *((f"XLSX, sheet {where}, cell at XFD1048576",
           lambda layout=layout: imported(bombs.xlsx_far_cell(folder / f"{layout}.xlsx", layout=layout), "--mapping",
                                          mapping))
          for layout, where in [("quotes", "in xl/sheets/, linked in single quotes"),
                                ("padded", "in xl/sheets/, sheet list padded to 3 MB"),
                                ("elsewhere", "in y/, as _rels/.rels says"), ("parent", "linked as ../x.xml")]),
        ("XLSX, cell a=\"<c\" r=\"XFD1048576\" in an unnumbered row",
         lambda: imported(bombs.xlsx_far_cell(folder / "lt.xlsx", tag='<c a="<c" r="{}">', row="<row>"), "--mapping",
                          mapping)),
        ("XLSX, far cell and row padded with 3 MB attributes",
         lambda: imported(bombs.xlsx_far_cell(folder / "long-tag.xlsx", tag=f'<c a="{"x" * (3 << 20)}" r="{{}}">',
                                              row=f'<row a="{"x" * (3 << 20)}" r="{{}}">'), "--mapping", mapping)),
        ("XLSX, 16 385 cells <c x:r=\"A2\"> in row 1048576",
         lambda: imported(bombs.xlsx_unnumbered_cells(folder / "x-r.xlsx", 16_385, 1_048_576), "--mapping", mapping)),
        ("XLSX, 4 M rows nested in rows, then a cell",
         lambda: imported(bombs.xlsx_rows_in_rows(folder / "nested.xlsx", 4_000_000), "--mapping", mapping)),
        ("XLSX, shared strings declaring uniqueCount 10^11",
         lambda: imported(bombs.xlsx_shared_strings(folder / "unique.xlsx", 1, 10 ** 11))),
        ("XLSX, 512 MB of shared strings <si><t>a</t></si> (preview)",
         lambda: imported(bombs.xlsx_shared_strings(folder / "sst.xlsx", (512 << 20) // 17 - 10))),
        ("XLSX, 8 pictures of 512 MB each (preview)",
         lambda: imported(bombs.xlsx_media(folder / "media.xlsx", 8, 512 << 20))),
        ("XLSX, sheet list of 4 M sheets (116 MB)",
         lambda: imported(bombs.xlsx_many_sheets(folder / "sheets.xlsx", 4_000_000))),
        ("Backup, tables.json of 64 MB of {},{},…",
         lambda: bombs.cxwb("restore", bombs.backup_bomb(backup, folder / "dicts.cxwb.zip", unit=b"{},",
                                                         tables_bytes=(64 << 20) - 1024), "--name", "R3", *ws)),
        ("Parquet, 19 M identical rows",
         lambda: imported(bombs.parquet_rows(folder / "rows19.parquet", 19_000_000), "--mapping", mapping)),
        ("Parquet, 40 000 rows × 5 000 columns",
         lambda: imported(bombs.parquet_wide(folder / "wide.parquet", 40_000, 5_000), "--mapping", mapping)),
        ("Parquet, one 1 MB comment in 2 000 rows (a 1 kB file)",
         lambda: imported(bombs.parquet_long_value(folder / "long.parquet", 2_000, 1 << 20), "--mapping", mapping)),
        *((f"CSV, a 64 kB first line of {unit}",
           lambda unit=unit: imported(bombs.csv_quotes(folder / f"quotes-{ord(unit[1])}.csv", unit=unit)))
          for unit in (',"', ",'")),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--cap-mb", type=float, default=10_000, help="stop a child using more memory than this")
    parser.add_argument("--only", help="run the bombs whose name contains this text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT) as temporary:  # beside the repository: /tmp may be a small tmpfs
        folder = Path(temporary)
        workspace, mapping, backup = bombs.seeded_workspace(folder)
        print(f"{'bomb':62} {'seconds':>8} {'peak MB':>8} {'tmp/ MB':>8}  outcome")
        for name, build in cases(folder, workspace, mapping, backup):
            if args.only and args.only.lower() not in name.lower():
                continue
            child_args = build()
            result = bombs.run(child_args, timeout=args.timeout, cap_mb=args.cap_mb, watch=workspace / "tmp",
                               cwd=folder)
            print(f"{name:62} {result.seconds:8.1f} {result.peak_mb:8.0f} {result.watched_peak_bytes / 2**20:8.0f}  "
                  f"{result.outcome[:160]}", flush=True)


if __name__ == "__main__":
    main()
