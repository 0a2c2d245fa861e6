"""CSV/XLSX export: every table of the findings, text that would start a formula neutralised, numbers exact;
and ``cxwb export`` writing decks, workbooks and backups from the command line."""

from __future__ import annotations

import csv
import io
import math
import zipfile

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation

from workbench import cli
from workbench.core.safecells import restore
from workbench.export import tables
from workbench.features import export as findings

HOSTILE = ["=HYPERLINK(\"http://evil\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "'=quoted", "plain",
           "Brno-Líšeň"]


def hostile_frame() -> pd.DataFrame:
    return pd.DataFrame({"=name": HOSTILE, "value": [1.0, math.nan, -2.5, 1 / 3, 0.0, 2.0, 3.0, 4.0],
                         "n": list(range(8)), "day": pd.to_datetime(["2026-03-01"] * 8).date})


def test_csv_neutralises_every_formula_start_and_keeps_numbers_exact():
    rows = list(csv.reader(io.StringIO(tables.to_csv(hostile_frame()).decode("utf-8-sig"))))
    assert rows[0] == ["'=name", "value", "n", "day"]
    texts = [row[0] for row in rows[1:]]
    assert texts[:6] == ["'=HYPERLINK(\"http://evil\",\"click\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\t=1", "''=quoted"]
    assert texts[6:] == ["plain", "Brno-Líšeň"]
    assert [restore(t) for t in texts] == HOSTILE
    assert rows[2][1] == "" and float(rows[4][1]) == 1 / 3 and rows[3][1] == "-2.5"  # numbers are never quoted
    assert rows[1][3] == "2026-03-01"


def test_xlsx_writes_text_never_formulas():
    book = openpyxl.load_workbook(io.BytesIO(tables.to_xlsx({"hostile": hostile_frame()})))
    sheet = book["hostile"]
    assert sheet["A1"].value == "'=name"
    cells = [sheet.cell(row=r, column=1) for r in range(2, 10)]
    assert all(cell.data_type == "s" for cell in cells)  # strings, not formulas ("f")
    assert [restore(cell.value) for cell in cells] == HOSTILE
    assert sheet["B2"].value == 1.0 and sheet["B3"].value is None and sheet["B5"].value == pytest.approx(1 / 3)
    assert sheet["C9"].value == 7 and sheet["D2"].value.year == 2026


def test_every_table_of_the_demo_in_both_formats(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    found = findings.gather(workspace, findings.Request(project_id=project_id, journey_id=journey_id))
    frames = tables.frames(found)
    assert set(frames) == {"touchpoint-scores", "steps", "matrix-by-region", "breaks", "drivers", "roi-scenarios",
                           "actions"}
    assert len(frames["touchpoint-scores"]) == len(found.journey.touchpoints)
    assert len(frames["breaks"]) == len(found.breaks) and len(frames["actions"]) == len(found.actions)
    book = openpyxl.load_workbook(io.BytesIO(tables.to_xlsx(frames)))
    assert book.sheetnames == list(frames)
    scores = frames["touchpoint-scores"]
    sheet = book["touchpoint-scores"]
    assert sheet.max_row == len(scores) + 1
    assert sheet.cell(row=2, column=5).value == pytest.approx(scores.iloc[0]["csat"])
    with zipfile.ZipFile(io.BytesIO(tables.csv_archive(frames))) as bundle:
        assert sorted(bundle.namelist()) == sorted(f"{name}.csv" for name in frames)
        rows = list(csv.reader(io.StringIO(bundle.read("breaks.csv").decode("utf-8-sig"))))
        assert len(rows) == len(found.breaks) + 1 and rows[1][-1] == found.breaks[0].sentence


def test_one_dispatch_renders_each_kind_of_file(seeded_demo):
    from workbench.export import files

    workspace, project_id, journey_id, _effects = seeded_demo
    found = findings.gather(workspace, findings.Request(project_id=project_id, journey_id=journey_id,
                                                        slides=("title", "matrix")))
    book = openpyxl.load_workbook(io.BytesIO(files.render(found, "xlsx")))
    assert book.sheetnames == list(tables.frames(found)) and "matrix-by-region" in book.sheetnames
    with zipfile.ZipFile(io.BytesIO(files.render(found, "csv"))) as bundle:
        assert sorted(bundle.namelist()) == sorted(f"{name}.csv" for name in tables.frames(found))
    assert files.render(found, "deck")[:2] == b"PK"  # a .pptx is a zip archive
    assert [files.file_name("Shop-csat", kind) for kind in files.KINDS] == [
        "Shop-csat.pptx", "Shop-csat-pictures.zip", "Shop-csat-tables.xlsx", "Shop-csat-tables.zip"]
    with pytest.raises(ValueError, match="Unknown export 'pdf'"):
        files.render(found, "pdf")


def test_cli_exports_a_filtered_deck_and_a_workbook(seeded_demo, tmp_path, capsys):
    workspace, project_id, journey_id, _effects = seeded_demo
    project = next(p.name for p in workspace.projects() if p.id == project_id)
    deck = tmp_path / "deck.pptx"
    assert cli.main(["export", "--workspace", str(workspace.folder), "--project", project, "-o", str(deck),
                     "--slides", "title,map", "--filter", "region=Praha", "--metric", "nps", "--brand",
                     "#123456"]) == 0
    slides = list(Presentation(deck).slides)
    assert "region Praha" in slides[0].notes_slide.notes_text_frame.text
    assert "NPS" in slides[1].shapes[0].text_frame.text
    assert not list(tmp_path.glob("*.part"))
    book = tmp_path / "tables.xlsx"
    assert cli.main(["export", "--workspace", str(workspace.folder), "--project", project, "-o", str(book)]) == 0
    assert "actions" in openpyxl.load_workbook(book).sheetnames
    assert cli.main(["export", "--workspace", str(workspace.folder), "--project", project, "-o",
                     str(tmp_path / "x.pptx"), "--slides", "title,nope"]) == 2
    assert "Unknown slide 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "x.pptx").exists()


def test_cli_backup_and_restore(seeded_demo, tmp_path, capsys):
    workspace, project_id, _journey_id, _effects = seeded_demo
    project = next(p.name for p in workspace.projects() if p.id == project_id)
    saved = tmp_path / "p.cxwb.zip"
    assert cli.main(["backup", "--workspace", str(workspace.folder), "--project", project, "-o", str(saved)]) == 0
    other = tmp_path / "other"
    assert cli.main(["restore", "--workspace", str(other), str(saved)]) == 0
    assert cli.main(["restore", "--workspace", str(other), str(saved)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["restore", "--workspace", str(other), str(saved), "--name", "Copy"]) == 0
