"""Benchmark: exporting the demo project's full deck, its tables and a project backup.

The full deck is timed cold (a fresh workspace object with an empty query cache: every analysis runs) and warm
(cached analyses, as on the Export page after the other pages). References run in the same process: the same
tables written by pandas' ``to_excel`` (openpyxl), and the project's folder zipped as-is with ``shutil``.
Run: `.venv/bin/python bench/export.py [--runs K]`; the last line is `full_deck_cold_s: X`.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from timing import median_seconds, parse_runs  # noqa: E402


def main() -> None:
    runs = parse_runs(__doc__.splitlines()[0], default=5)
    import pandas as pd

    from workbench.export import deck, tables
    from workbench.features import export as findings
    from workbench.features.demo import seed_demo
    from workbench.features.workspace import open_workspace
    from workbench.repos import backup

    folder = Path(tempfile.mkdtemp(prefix="cxwb-bench-"))
    workspace = open_workspace(folder)
    project = seed_demo(workspace)
    journey = workspace.journeys(project)[0].id
    request = findings.Request(project_id=project, journey_id=journey)

    def cold() -> bytes:
        fresh = open_workspace(folder)
        fresh.cache.clear()
        try:
            return deck.build(findings.gather(fresh, request))
        finally:
            fresh.close()

    start = time.perf_counter()
    content = cold()
    print(f"first full deck (imports included)        {time.perf_counter() - start:6.2f} s, {len(content):,} bytes, "
          f"{len(__import__('pptx').Presentation(io.BytesIO(content)).slides)} slides")
    cold_s = median_seconds(cold, runs)
    found = findings.gather(workspace, request)
    warm_s = median_seconds(lambda: deck.build(findings.gather(workspace, request)), runs)
    build_s = median_seconds(lambda: deck.build(found), runs)
    print(f"full deck, cold (every analysis runs)      {cold_s:6.2f} s")
    print(f"full deck, warm (analyses cached)          {warm_s:6.2f} s")
    print(f"  of which building the slides             {build_s:6.2f} s")

    frames = tables.frames(found)
    ours = median_seconds(lambda: tables.to_xlsx(frames), runs)

    def pandas_excel() -> bytes:
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            for name, frame in frames.items():
                frame.to_excel(writer, sheet_name=name[:31], index=False)
        return buffer.getvalue()

    reference = median_seconds(pandas_excel, runs)
    print(f"tables to XLSX (formula-safe)              {ours * 1000:6.0f} ms   pandas.to_excel/openpyxl "
          f"{reference * 1000:6.0f} ms   ratio {ours / reference:4.2f}")

    written = median_seconds(lambda: backup.write_backup(workspace, project, io.BytesIO()), runs)
    plain = median_seconds(lambda: shutil.make_archive(str(folder.parent / "plain"), "zip", folder / "datasets"),
                           runs)
    buffer = io.BytesIO()
    backup.write_backup(workspace, project, buffer)

    def restore() -> None:
        with open_workspace(Path(tempfile.mkdtemp(prefix="cxwb-bench-restore-"))) as target:
            backup.read_backup(target, io.BytesIO(buffer.getvalue()))

    read = median_seconds(restore, runs)
    print(f"project backup, write                      {written:6.2f} s   zip of the dataset files alone "
          f"{plain:6.2f} s   ratio {written / plain:4.2f}   ({len(buffer.getvalue()):,} bytes)")
    print(f"project backup, restore into a new workspace {read:6.2f} s")
    print(f"full_deck_cold_s: {cold_s:.2f}")


if __name__ == "__main__":
    main()
