"""Integration: files of every supported kind → ingest → workspace datasets → stored Parquet; atomic failures."""

import datetime as dt
import hashlib
import sqlite3

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workbench.core.contract import OVERALL
from workbench.core.errors import Cancelled, IngestError
from workbench.data.ingest import CsvDialect, KpiMapping, SurveyMapping, WideColumn
from workbench.data import beside

BACKENDS = ("sqlite", "postgresql")  # the metadata database of every workspace these tests open

CZECH_LONG = ("ID;Datum;Kontaktní bod;NPS;Spokojenost;Komentář;Pobočka\n"
              "1;01.02.2024 10:15;Web;9;5;Vše v pořádku;Brno\n"
              "2;02.02.2024 11:00;Kurýr;3;2;Kurýr přišel pozdě, žádná omluva;Ostrava\n"
              "3;03.02.2024 09:30;Doručení;10;;Děkuji!;Brno\n"
              "4;31.02.2024 09:30;Web;8;4;;Brno\n")
LONG = SurveyMapping(ts="Datum", touchpoint="Kontaktní bod", nps="NPS", csat="Spokojenost", response_id="ID",
                     comment="Komentář", segments=("Pobočka",), touchpoint_values={"Web": "web", "Kurýr": "delivery",
                                                                                   "Doručení": "delivery"})
WIDE = SurveyMapping(ts="date", respondent_id="customer", comment="comment", segments=("region",),
                     wide=(WideColumn("Overall NPS", OVERALL, "nps"), WideColumn("Web rating", "web", "csat"),
                           WideColumn("Delivery rating", "delivery", "csat")))


def snapshot(workspace) -> tuple:
    """Every file in the workspace folder with a hash of its content, and the database's rows (once the summaries
    of earlier commits, written in the background, have landed)."""
    workspace.datasets.settle()
    files = {str(p.relative_to(workspace.folder)): hashlib.sha1(p.read_bytes()).hexdigest()
             for p in sorted(workspace.folder.rglob("*")) if p.is_file() and not p.name.startswith("workbench.db")}
    with sqlite3.connect(workspace.folder / "workbench.db") as db:
        rows = tuple(db.iterdump())
    return files, rows


@pytest.fixture
def project(workspace, small_journey):
    project_id = workspace.create_project("Client")
    return project_id, workspace.create_journey(project_id, small_journey)


def test_a_czech_csv_is_imported_with_a_report_kept_with_the_dataset(workspace, project, tmp_path):
    project_id, journey_id = project
    path = tmp_path / "export.csv"
    path.write_bytes(CZECH_LONG.encode("cp1250"))
    info = workspace.datasets.import_file(project_id, path, LONG, "Survey", journey_id=journey_id)
    assert (info.name, info.version, info.kind, info.rows, info.source) == ("Survey", 1, "survey", 3, "export.csv")
    assert [(i.code, i.column, i.rows) for i in info.report.issues] == [("bad_date", "Datum", (5,))]
    stored = pq.read_table(info.path)
    assert stored["touchpoint"].to_pylist() == ["web", "delivery", "delivery"]
    assert stored["csat"].to_pylist() == [5, 2, None]
    assert stored["Pobočka"].to_pylist() == ["Brno", "Ostrava", "Brno"]
    assert stored["comment"].to_pylist()[1] == "Kurýr přišel pozdě, žádná omluva"
    assert info.meta["dialect"] == {"encoding": "cp1250", "delimiter": ";", "decimal": ".", "header_rows": 1}
    assert (info.meta["date_from"], info.meta["date_to"]) == ("2024-02-01T10:15:00", "2024-02-03T09:30:00")
    assert workspace.datasets.get(info.id).report == info.report


def test_the_encoding_can_be_overridden(workspace, project, tmp_path):
    project_id, journey_id = project
    path = tmp_path / "export.csv"
    path.write_bytes(CZECH_LONG.encode("iso-8859-2"))
    info = workspace.datasets.import_file(project_id, path, LONG, "Survey", journey_id=journey_id,
                                          dialect=CsvDialect("iso-8859-2", ";", ","))
    assert pq.read_table(info.path)["comment"].to_pylist()[1] == "Kurýr přišel pozdě, žádná omluva"


def write_xlsx(path, sheets: dict[str, list[list]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)


def test_a_wide_xlsx_sheet_is_melted_into_answers_with_respondents_kept(workspace, project, tmp_path):
    project_id, journey_id = project
    path = tmp_path / "survey.xlsx"
    write_xlsx(path, {"Notes": [["nothing here"]], "Answers": [
        ["customer", "date", "region", "Overall NPS", "Web rating", "Delivery rating", "comment"],
        ["c1", dt.datetime(2024, 5, 1, 9, 0), "South", 9, 5, 4, "Great"],
        ["c2", dt.datetime(2024, 5, 2, 9, 0), "North", 4, None, 1, "Late again"],
        ["c3", dt.datetime(2024, 5, 3, 9, 0), "North", 12, 3, 3, None],       # row 4: NPS 12
        ["c4", dt.datetime(2024, 5, 4, 9, 0), "South", None, None, None, "?"],  # row 5: nothing rated
    ]})
    info = workspace.datasets.import_file(project_id, path, WIDE, "Wide", journey_id=journey_id, sheet="Answers")
    assert {(i.code, i.rows) for i in info.report.issues} == {("range_nps", (4,)), ("no_score", (5,))}
    assert (info.report.rows_read, info.report.rows_valid, info.rows) == (4, 2, 5)
    stored = pq.read_table(info.path).sort_by([("respondent_id", "ascending"), ("touchpoint", "ascending")])
    assert stored["respondent_id"].to_pylist() == ["c1", "c1", "c1", "c2", "c2"]
    assert stored["touchpoint"].to_pylist() == [OVERALL, "delivery", "web", OVERALL, "delivery"]
    assert stored["nps"].to_pylist() == [9, None, None, 4, None]
    assert stored["csat"].to_pylist() == [None, 4, 5, None, 1]
    assert stored["comment"].to_pylist() == ["Great", None, None, "Late again", None]
    assert stored["response_id"].to_pylist()[0] == f"c1:{OVERALL}"


def test_a_typed_parquet_file_is_imported(workspace, project, tmp_path):
    project_id, journey_id = project
    path = tmp_path / "answers.parquet"
    pq.write_table(pa.table({"when": pa.array([dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)], pa.timestamp("ms")),
                             "step": pa.array(["web", "cart"]).dictionary_encode(),
                             "score": pa.array([8.0, 10.0])}), path)
    mapping = SurveyMapping(ts="when", touchpoint="step", nps="score")
    info = workspace.datasets.import_file(project_id, path, mapping, "From BI", journey_id=journey_id)
    stored = pq.read_table(info.path)
    assert stored["nps"].type == pa.int8() and stored["nps"].to_pylist() == [8, 10]
    assert stored["response_id"].to_pylist() == ["answers:1", "answers:2"]


def test_kpi_files_per_period_and_per_customer(workspace, project, tmp_path):
    project_id, _ = project
    period = tmp_path / "kpi.csv"
    period.write_bytes(("Měsíc;Pobočka;Tržby (CZK);Churn %\n"
                        "01.01.2024;Brno;1 234 567,50;2,5\n"
                        "01.01.2024;Ostrava;987 000;3,1\n"
                        "01.02.2024;Brno;1 300 000;abc\n"
                        "01.03.2024;Brno;1 300 000;n/a\n"
                        "01.01.2024;Brno;5;5\n").encode("cp1250"))
    info = workspace.datasets.import_file(project_id, period, KpiMapping(period="Měsíc", segments=("Pobočka",),
                                                                         kpis=("Tržby (CZK)", "Churn %")), "KPIs")
    assert info.kind == "kpi_period" and info.meta["kpis"] == {"Tržby (CZK)": "trzby_czk", "Churn %": "churn"}
    found = {(i.code, i.rows) for i in info.report.issues}
    assert found == {("bad_number", (4,)), ("duplicate_key", (2, 6))}
    stored = pq.read_table(info.path)
    assert stored["period"].to_pylist() == [dt.date(2024, 1, 1), dt.date(2024, 3, 1)]
    assert stored["trzby_czk"].to_pylist() == [987000.0, 1300000.0]
    assert stored["churn"].to_pylist() == [3.1, None]

    customers = tmp_path / "customers.xlsx"
    write_xlsx(customers, {"Sheet1": [["Klient", "Obrat", "Aktivní"], ["c1", 1200.5, "ano"], ["c2", 80, "ne"]]})
    info = workspace.datasets.import_file(project_id, customers, KpiMapping(respondent_id="Klient",
                                                                            kpis=("Obrat", "Aktivní")), "Customers")
    stored = pq.read_table(info.path)
    assert info.kind == "kpi_customer" and stored["aktivni"].to_pylist() == [1.0, 0.0]
    assert stored["obrat"].to_pylist() == [1200.5, 80.0]


def test_reimporting_a_name_adds_a_version_and_keeps_the_old(workspace, project, tmp_path):
    project_id, journey_id = project
    path = tmp_path / "export.csv"
    path.write_bytes(CZECH_LONG.encode("cp1250"))
    first = workspace.datasets.import_file(project_id, path, LONG, "Survey", journey_id=journey_id)
    second = workspace.datasets.import_file(project_id, path, LONG, "survey", journey_id=journey_id)
    listed = workspace.datasets.list(project_id)
    assert [(d.name, d.version, d.latest) for d in listed] == [("Survey", 2, True), ("Survey", 1, False)]
    assert first.path != second.path and first.path.exists() and second.path.exists()
    workspace.datasets.delete(first.id)
    assert not first.path.exists() and [d.id for d in workspace.datasets.list(project_id)] == [second.id]


def test_the_mapping_is_saved_and_found_for_a_file_of_the_same_shape(workspace, project, tmp_path):
    project_id, journey_id = project
    path = tmp_path / "export.csv"
    path.write_bytes(CZECH_LONG.encode("cp1250"))
    columns = ["ID", "Datum", "Kontaktní bod", "NPS", "Spokojenost", "Komentář", "Pobočka"]
    assert workspace.mappings.best(project_id, columns) is None
    workspace.datasets.import_file(project_id, path, LONG, "Survey", journey_id=journey_id)
    saved = workspace.mappings.best(project_id, list(reversed(columns)))
    assert (saved.mapping, saved.name, saved.same_shape) == (LONG, "Survey", True)
    assert workspace.datasets.last_name_for(project_id, columns) == "Survey"
    assert workspace.mappings.best(project_id, columns[:-1]) is None
    assert workspace.mappings.fitting(project_id, [*columns, "Extra"])[0].same_shape is False


def test_a_cancelled_import_leaves_the_workspace_unchanged(workspace, project, tmp_path):
    project_id, journey_id = project
    path = tmp_path / "export.csv"
    path.write_bytes(CZECH_LONG.encode("cp1250"))
    workspace.datasets.import_file(project_id, path, LONG, "Survey", journey_id=journey_id)
    before = snapshot(workspace)
    steps = []

    def cancel_after_writing() -> bool:
        return len(steps) >= 3

    with pytest.raises(Cancelled):
        workspace.datasets.stage(project_id, path, LONG, journey_id=journey_id,
                                 progress=lambda fraction, text: steps.append(text), cancelled=cancel_after_writing)
    assert steps == ["Reading the file", "Checking the rows", "Writing the valid rows"]
    assert snapshot(workspace) == before

    token = workspace.datasets.new_token()
    workspace.datasets.cancel(token)  # as the Cancel button does, from another process
    with pytest.raises(Cancelled):
        workspace.datasets.stage(project_id, path, LONG, journey_id=journey_id, token=token)
    assert snapshot(workspace) == before

    staged = workspace.datasets.stage(project_id, path, LONG, journey_id=journey_id)
    assert workspace.datasets.staged(staged.token) == staged
    workspace.datasets.discard(staged.token)
    assert snapshot(workspace) == before


def test_a_failed_import_leaves_the_workspace_unchanged(workspace, project, tmp_path, monkeypatch):
    project_id, journey_id = project
    path = tmp_path / "export.csv"
    path.write_bytes(CZECH_LONG.encode("cp1250"))
    workspace.datasets.import_file(project_id, path, LONG, "Survey", journey_id=journey_id)
    before = snapshot(workspace)

    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"ID;Datum;Kontaktni bod\n1;01.02.2024;Web;extra\n")
    with pytest.raises(IngestError, match="line 2 has 4 fields, the header has 3"):
        workspace.datasets.import_file(project_id, broken, LONG, "Survey", journey_id=journey_id)
    narrow = tmp_path / "narrow.csv"
    narrow.write_bytes(b"ID;Datum;Kontaktn\xed bod\n1;01.02.2024;Web\n")
    with pytest.raises(IngestError, match="not in the file: NPS, Spokojenost"):
        workspace.datasets.import_file(project_id, narrow, LONG, "Survey", journey_id=journey_id)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="empty"):
        workspace.datasets.import_file(project_id, empty, LONG, "Survey", journey_id=journey_id)

    staged = workspace.datasets.stage(project_id, path, LONG, journey_id=journey_id)
    from workbench.data import store

    def fail(*_args, **_kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(store.DatasetRow, "__init__", fail)
    with pytest.raises(RuntimeError, match="locked"):
        workspace.datasets.commit(staged, "Survey")
    monkeypatch.undo()
    workspace.datasets.discard(staged)
    assert snapshot(workspace) == before


def test_an_import_whose_commit_fails_still_waits_and_is_committed_on_the_next_try(workspace, project, tmp_path):
    import sqlite3

    from sqlalchemy import event

    project_id, journey_id = project
    path = tmp_path / "export.csv"
    path.write_bytes(CZECH_LONG.encode("cp1250"))
    staged = workspace.datasets.stage(project_id, path, LONG, journey_id=journey_id)
    failures = []

    def fail_once(_connection):  # the database refuses the COMMIT itself, after the file has been moved
        if not failures:
            failures.append("COMMIT")
            raise sqlite3.OperationalError("database is locked")

    event.listen(workspace.engine, "commit", fail_once)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            workspace.datasets.commit(staged.token, "Survey")
    finally:
        event.remove(workspace.engine, "commit", fail_once)
    assert failures == ["COMMIT"]
    assert list((workspace.folder / "datasets").glob("*")) == []
    assert workspace.datasets.list(project_id) == []
    assert workspace.datasets.staged(staged.token) == staged and staged.temp_file.exists()

    info = workspace.datasets.commit(staged.token, "Survey")  # "Import" again: the import still waits
    workspace.datasets.settle()
    assert (info.name, info.version, info.rows) == ("Survey", 1, 3)
    # The dataset's file and its summary (workbench.data.beside), nothing else: without respondent ids the survey
    # has no respondent table.
    assert sorted(p.name for p in (workspace.folder / "datasets").glob("*")) == sorted(
        [info.path.name, beside.path_for(info.path, ".summary.parquet").name]
    )
    assert [p.name for p in workspace.datasets.temp_folder.glob(f"{staged.token}*")] == []


def test_deleting_a_project_removes_its_dataset_files(workspace, project, tmp_path):
    project_id, journey_id = project
    path = tmp_path / "export.csv"
    path.write_bytes(CZECH_LONG.encode("cp1250"))
    info = workspace.datasets.import_file(project_id, path, LONG, "Survey", journey_id=journey_id)
    workspace.delete_project(project_id)
    assert not info.path.exists()


def test_imported_answers_are_queried_by_touchpoint_and_segment(workspace, project, tmp_path):
    from workbench.data import query
    from workbench.data.query import Query

    project_id, journey_id = project
    path = tmp_path / "export.csv"
    path.write_bytes(CZECH_LONG.encode("cp1250"))
    info = workspace.datasets.import_file(project_id, path, LONG, "Survey", journey_id=journey_id)
    frame = query.aggregate(Query(sources=(str(info.path),), by=("touchpoint", "Pobočka")))
    cells = {(r.touchpoint, r.Pobočka): (r.nps_n, r.promoters, r.detractors, r.csat_n) for r in frame.itertuples()}
    assert cells == {("web", "Brno"): (1, 1, 0, 1), ("delivery", "Ostrava"): (1, 0, 1, 1),
                     ("delivery", "Brno"): (1, 1, 0, 0)}


def test_a_new_version_must_hold_the_same_kind_of_data(workspace, project, tmp_path):
    from workbench.core.errors import WorkspaceError

    project_id, journey_id = project
    path = tmp_path / "export.csv"
    path.write_bytes(CZECH_LONG.encode("cp1250"))
    workspace.datasets.import_file(project_id, path, LONG, "Survey", journey_id=journey_id)
    kpi = tmp_path / "kpi.csv"
    kpi.write_text("month;revenue\n2024-01-01;5\n", encoding="utf-8")
    before = snapshot(workspace)
    with pytest.raises(WorkspaceError, match="holds survey answers"):
        workspace.datasets.import_file(project_id, kpi, KpiMapping(period="month", kpis=("revenue",)), "survey")
    assert snapshot(workspace) == before
