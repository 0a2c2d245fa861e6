"""Real survey-tool exports and the file variants clients send: layout, encoding, header rows, dates."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from workbench.core import contract
from workbench.core.errors import IngestError
from workbench.data import dates, ingest, layouts
from workbench.data.ingest import CsvDialect, SurveyMapping, WideColumn

DATA = Path(__file__).parent / "data"


def source_rows(name: str, encoding: str = "utf-8") -> list[list[str]]:
    """The file's rows read independently with the csv module (the truth the importer is checked against)."""
    with (DATA / name).open(encoding=encoding, errors="replace", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("name, layout, header_rows, rows, columns", [
    ("qualtRics_sample.csv", "qualtrics", 3, 1, 20),
    ("qualtricstools_Better_Sample_Survey.csv", "qualtrics", 3, 10, 59),
    ("qualtricstools_Single_Answer_Matrix_Questions__Insights_.csv", "qualtrics", 3, 5, 30),
    ("qualtricstools_Test_Survey_for_Coded_Comments.csv", "qualtrics", 3, 10, 17),
    ("fivethirtyeight_StarWars.csv", "surveymonkey", 2, 1186, 38),
    ("googleforms_cs50_favorites.csv", "google-forms", 1, 490, 3),
])
def test_real_exports_are_recognised_and_read_whole(name, layout, header_rows, rows, columns):
    source = ingest.read_source(DATA / name)
    assert source.layout.name == layout
    assert source.dialect.header_rows == header_rows
    assert source.first_row == header_rows + 1
    assert (source.table.num_rows, source.table.num_columns) == (rows, columns)
    truth = source_rows(name, source.dialect.encoding)[header_rows:]
    assert len(truth) == rows
    # Spot values: the first and last record's first and last cells, as the csv module reads them.
    for record, row in ((0, truth[0]), (rows - 1, truth[-1])):
        for index in (0, len(row) - 1):
            value = source.table.column(index)[record].as_py()
            assert (value or "") == row[index].strip()
    preview = ingest.read_source(DATA / name, rows=ingest.PREVIEW_ROWS)
    assert preview.table.column_names == source.table.column_names
    assert preview.table.num_rows == min(rows, ingest.PREVIEW_ROWS)


def test_qualtrics_keeps_question_texts_and_drops_its_extra_header_rows():
    source = ingest.read_source(DATA / "qualtRics_sample.csv")
    assert source.descriptions["Q1"] == "This is a multiple choice question."
    assert source.descriptions["StartDate"] == "Anfangsdatum"
    assert source.table["ResponseId"].to_pylist() == ["R_2YPOQ602ER1jkf1"]
    assert not any(str(v).startswith('{"ImportId"') for v in source.table.to_pylist()[0].values())
    assert set(source.layout.exclude) == {"Status", "DistributionChannel"}


def test_surveymonkey_two_header_rows_become_one_name_per_column():
    names = ingest.read_source(DATA / "fivethirtyeight_StarWars.csv", rows=3).table.column_names
    assert names[0] == "RespondentID"
    assert names[3] == ("Which of the following Star Wars films have you seen? Please select all that apply. – "
                        "Star Wars: Episode I The Phantom Menace")
    assert names[9].endswith("– Star Wars: Episode I The Phantom Menace") and names[9].startswith("Please rank")
    assert len(set(names)) == len(names)


def qualtrics_wide(tmp_path: Path, statuses: list[str]) -> Path:
    """A Qualtrics export with a rating and an overall score, statuses as given."""
    lines = ["StartDate,Status,ResponseId,DistributionChannel,Q1,Q2",
             "Start Date,Response Type,Response ID,Distribution Channel,How satisfied were you with the delivery?,"
             "How likely are you to recommend us?",
             ",".join(['"{""ImportId"":""%s""}"' % key for key in ("startDate", "status", "_recordId",
                                                                     "distributionChannel", "QID1", "QID2")])]
    for index, status in enumerate(statuses):
        channel = "preview" if status == "Survey Preview" else "anonymous"
        lines.append(f"2026-03-0{index % 9 + 1} 10:00:00,{status},R_{index:04d},{channel},{index % 5 + 1},{index % 11}")
    path = tmp_path / "qualtrics.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_qualtrics_preview_and_test_responses_are_excluded_and_counted(tmp_path, workspace, small_journey):
    project_id = workspace.create_project("Client")
    journey_id = workspace.create_journey(project_id, small_journey)
    keys = [tp.key for tp in small_journey.touchpoints]
    path = qualtrics_wide(tmp_path, ["IP Address", "Survey Preview", "IP Address", "Survey Test", "IP Address"])
    source = ingest.read_source(path)
    mapping = SurveyMapping(ts="StartDate", respondent_id="ResponseId", exclude=source.layout.exclude,
                            wide=(WideColumn("Q1", keys[0], "csat"), WideColumn("Q2", contract.OVERALL, "nps")))
    staged = workspace.datasets.stage(project_id, path, mapping, journey_id=journey_id)
    report = staged.report
    excluded = [i for i in report.issues if i.code == "excluded"]
    assert len(excluded) == 1 and excluded[0].count == 2 and excluded[0].column == "Status, DistributionChannel"
    assert excluded[0].rows[0] == 5  # row 5 of the file: header rows 1–3, first answer row 4
    assert report.rows_valid == 3
    workspace.datasets.discard(staged)


def test_utf16_tab_text_from_excel(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes("Datum\tSpokojenost\tKomentář\n01.03.2026\t5\tVýborně, děkuji\n02.03.2026\t4\tŽádný\n"
                     .encode("utf-16"))
    source = ingest.read_source(path)
    assert source.dialect.encoding == "utf-16" and source.dialect.delimiter == "\t"
    assert source.table["Komentář"].to_pylist() == ["Výborně, děkuji", "Žádný"]
    assert ingest.read_source(path, rows=5).table.column_names == ["Datum", "Spokojenost", "Komentář"]


def test_western_european_text_is_read_as_cp1252(tmp_path):
    path = tmp_path / "french.csv"
    path.write_bytes("date;note;commentaire\n01/03/2026;5;très bien, à côté\n02/03/2026;4;déçu, façade\n"
                     .encode("cp1252"))
    source = ingest.read_source(path)
    assert source.dialect.encoding == "cp1252"
    assert source.table["commentaire"].to_pylist() == ["très bien, à côté", "déçu, façade"]


def test_czech_text_stays_cp1250(tmp_path):
    path = tmp_path / "czech.csv"
    path.write_bytes("datum;pobočka;komentář\n01.03.2026;Říčany;Příliš žluťoučký kůň, čekání\n".encode("cp1250"))
    assert ingest.read_source(path).table["komentář"].to_pylist() == ["Příliš žluťoučký kůň, čekání"]


def dated(tmp_path: Path, values: list[str], **mapping) -> tuple:
    path = tmp_path / "dates.csv"
    path.write_text("when;csat\n" + "".join(f"{v};4\n" for v in values), encoding="utf-8")
    table = ingest.read_source(path).table
    return ingest.prepare_survey(table, SurveyMapping(ts="when", touchpoint=None, wide=(WideColumn("csat", "a"),),
                                                      **mapping), ["a"])


def test_iso_dates_with_offsets_are_converted_to_local_wall_time(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Prague")
    table, report = dated(tmp_path, ["2026-03-01T10:00:00Z", "2026-03-01T10:00:00+02:00", "2026-07-01T10:00:00Z"])
    assert report.rows_valid == 3 and report.date_zone == "Europe/Prague"
    assert sorted(table["ts"].to_pylist()) == [dt.datetime(2026, 3, 1, 9), dt.datetime(2026, 3, 1, 11),
                                               dt.datetime(2026, 7, 1, 12)]  # summer time in July


def test_us_dates_are_read_month_first_when_a_value_decides(tmp_path):
    table, report = dated(tmp_path, ["10/28/2019 15:03:45", "03/05/2019 09:00:00"])
    assert report.date_format == "%m/%d/%Y %H:%M:%S"
    assert dt.datetime(2019, 3, 5, 9) in table["ts"].to_pylist()


def test_dates_no_value_decides_are_not_guessed(tmp_path):
    with pytest.raises(IngestError, match="read both as dd/mm/yyyy and as mm/dd/yyyy.*--date-format"):
        dated(tmp_path, ["03/05/2026", "04/05/2026"])
    table, report = dated(tmp_path, ["03/05/2026", "04/05/2026"], date_format="%m/%d/%Y")
    assert table["ts"].to_pylist()[0] == dt.datetime(2026, 3, 5)


def test_a_column_mixing_day_and_month_first_is_refused(tmp_path):
    with pytest.raises(IngestError, match="mixes both"):
        dated(tmp_path, ["03/05/2026", "25/05/2026", "05/25/2026"])


def test_unreadable_dates_name_the_row_and_the_formats_accepted(tmp_path):
    with pytest.raises(IngestError, match=r"row 2: “March the first”\). Accepted: yyyy-mm-dd.*mm/dd/yyyy"):
        dated(tmp_path, ["March the first"])


def test_wave_instead_of_dates(tmp_path):
    path = tmp_path / "wave.csv"
    path.write_text("csat\n4\n5\n", encoding="utf-8")
    table = ingest.read_source(path).table
    typed, report = ingest.prepare_survey(table, SurveyMapping(wave="2026-03", wide=(WideColumn("csat", "a"),)), ["a"])
    assert set(typed["ts"].to_pylist()) == {dt.datetime(2026, 3, 1)} and report.wave == "2026-03"
    with pytest.raises(IngestError, match="fieldwork wave"):
        ingest.prepare_survey(table, SurveyMapping(wide=(WideColumn("csat", "a"),)), ["a"])


def test_xlsx_header_below_merged_titles(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "Customer survey 2026 — results"
    sheet.merge_cells("A1:D1")
    sheet["A2"] = "Fieldwork: March"
    sheet.append(["Respondent", "Branch", "Satisfaction", "Comment"])
    sheet.append(["r1", "Brno", 4, "ok"])
    sheet.append(["r2", "Praha", 5, None])
    book.save(tmp_path / "titled.xlsx")
    source = ingest.read_source(tmp_path / "titled.xlsx")
    assert source.table.column_names == ["Respondent", "Branch", "Satisfaction", "Comment"]
    assert source.header_row == 3 and source.first_row == 4 and source.table.num_rows == 2
    overridden = ingest.read_source(tmp_path / "titled.xlsx", header_row=1)
    assert overridden.table.column_names[0] == "Customer survey 2026 — results"


def test_spss_files_come_with_question_texts_and_value_labels():
    source = ingest.read_source(DATA / "pyreadstat_sample.sav")
    assert source.kind == "spss" and source.first_row == 1
    assert source.descriptions["mychar"] == "character"
    assert source.value_labels  # the sample labels its codes


def test_limesurvey_incomplete_responses_are_proposed_for_exclusion():
    rows = [["id", "submitdate", "lastpage", "startlanguage", "seed", "Q1"], ["1", "2026-03-01 10:00:00", "3", "cs",
                                                                                "123", "5"]]
    found = layouts.detect(rows)
    assert found.name == "limesurvey" and found.exclude == {"submitdate": ("",)}


def test_dates_module_reads_every_listed_format():
    samples = {"%Y-%m-%d": "2026-03-25", "%d.%m.%Y": "25.03.2026", "%m/%d/%Y": "03/25/2026",
               "%d/%m/%Y %H:%M": "25/03/2026 10:30", "%Y-%m": "2026-03"}
    for date_format, text in samples.items():
        reading = dates.read(pa.array([text]), "d")
        assert reading.format == date_format, (text, reading.format)
        assert reading.values[0].as_py().month == 3
    assert dates.read(pa.array(["25. 03. 2026"]), "d").format == "%d.%m.%Y"  # Czech spacing


def test_surveymonkey_xlsx_two_header_rows_under_merged_question_cells(tmp_path):
    """The real Star Wars export saved as XLSX, as SurveyMonkey's Excel download lays it out: the question row has
    blanks over its sub-answers (merged cells), the second row the sub-answers."""
    openpyxl = pytest.importorskip("openpyxl")
    rows = source_rows("fivethirtyeight_StarWars.csv", ingest.sniff_file(DATA / "fivethirtyeight_StarWars.csv").encoding)
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows[:40]:
        sheet.append([int(cell) if cell.isdigit() else (cell or None) for cell in row])
    sheet.merge_cells(start_row=1, start_column=4, end_row=1, end_column=9)  # "Which … seen?" over six films
    book.save(tmp_path / "starwars.xlsx")
    csv_names = ingest.read_source(DATA / "fivethirtyeight_StarWars.csv", rows=3).table.column_names
    source = ingest.read_source(tmp_path / "starwars.xlsx")
    assert source.layout.name == "surveymonkey" and source.header_row == 1 and source.first_row == 3
    assert source.table.column_names == csv_names
    assert source.table.num_rows == 38
    assert source.table["RespondentID"].to_pylist()[0] == float(rows[2][0])


# Found in review: ordinary files that looked like a survey tool's, and readings that went wrong.

def test_a_crm_export_with_a_response_id_and_a_status_is_no_qualtrics_export(tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text("ResponseId,StartDate,Status,Satisfaction\n1,2026-03-01,2,4\n2,2026-03-02,1,5\n3,2026-03-03,8,3\n",
                    encoding="utf-8")
    source = ingest.read_source(path)
    assert source.layout.name == "plain" and source.table.num_rows == 3 and not source.layout.exclude


def test_a_blank_header_cell_and_a_record_saying_response_is_no_surveymonkey_export(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("id,,Status,Score\n1,x,Response,4\n2,y,Pending,5\n3,z,Response,3\n", encoding="utf-8")
    source = ingest.read_source(path)
    assert source.table.column_names == ["id", "column 2", "Status", "Score"] and source.table.num_rows == 3


def test_header_names_stay_as_written(tmp_path):
    path = tmp_path / "spaced.csv"
    path.write_text(" id , Score \n1,4\n", encoding="utf-8")
    assert ingest.read_source(path).table.column_names == [" id ", " Score "]


def test_header_rows_beyond_the_limit_are_refused_and_a_header_only_file_says_so(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("id,Score", encoding="utf-8")  # no line break after the header
    with pytest.raises(IngestError, match="header but no rows"):
        ingest.read_source(path)
    with pytest.raises(IngestError, match="1 to 5 header rows, not 1000"):
        ingest.read_source(path, CsvDialect(header_rows=1000))


def test_utf16_without_a_byte_order_mark(tmp_path):
    path = tmp_path / "le.txt"
    path.write_bytes("id\tSpokojenost\n1\t4\n2\t5\n".encode("utf-16-le"))
    source = ingest.read_source(path)
    assert source.dialect.encoding == "utf-16-le" and source.table.column_names == ["id", "Spokojenost"]


@pytest.mark.parametrize("text, encoding, expected", [
    ("fecha;comentario\n1;el niño, la señora\n", "cp1252", "cp1252"),
    ("id;Comment\n2;naïve\n", "cp1252", "cp1252"),
    ("data;uwagi\n1;Kurier spóźnił się, źle\n", "cp1250", "cp1250"),
    ("x;y\n1;Čekání na kurýra\n", "cp1250", "cp1250"),
])
def test_central_and_western_european_encodings_told_apart(tmp_path, text, encoding, expected):
    path = tmp_path / "text.csv"
    path.write_bytes(text.encode(encoding))
    assert ingest.sniff_file(path).encoding == expected


def test_us_dates_with_dashes_are_not_read_day_first(tmp_path):
    with pytest.raises(IngestError, match="dd-mm-yyyy and as mm-dd-yyyy"):
        dated(tmp_path, ["03-05-2026", "04-06-2026"])
    table, report = dated(tmp_path, ["03-15-2026", "04-06-2026"])
    assert report.date_format == "%m-%d-%Y" and dt.datetime(2026, 4, 6) in table["ts"].to_pylist()


def test_words_on_a_file_with_decimal_commas(tmp_path):
    path = tmp_path / "words.csv"
    path.write_text("id;Útrata;Check-in\n" + "".join(f"{i};{i},5;{w}\n" for i, w in enumerate(
        ["Very satisfied", "Satisfied", "Very dissatisfied"] * 5)), encoding="utf-8")
    source = ingest.read_source(path)
    assert source.decimal == ","
    mapping = SurveyMapping(wave="2026-03", respondent_id="id", wide=(WideColumn("Check-in", "a", "csat"),),
                            value_labels={"Check-in": {"Very satisfied": 5, "Satisfied": 4, "Very dissatisfied": 1}})
    typed, report = ingest.prepare_survey(source.table, mapping, ["a"], source.decimal)
    assert report.rows_valid == 15 and sorted(set(typed["csat"].to_pylist())) == [1, 4, 5]


def test_not_applicable_zero_on_ratings_beside_a_yes_no_outcome(tmp_path):
    """0 means "not applicable" on the 1–7 ratings and "no" in the 0/1 outcome: each column keeps its own."""
    path = tmp_path / "mixed.csv"
    path.write_text("id,Q1,recommend\n" + "".join(f"{i},{i % 8},{i % 2}\n" for i in range(40)), encoding="utf-8")
    table = ingest.read_source(path).table
    mapping = SurveyMapping(wave="2026-03", respondent_id="id", na_codes={"rating": ("0",)},
                            wide=(WideColumn("Q1", "a", "rating", (1.0, 7.0)),
                                  WideColumn("recommend", contract.OVERALL, "rating", (0.0, 1.0))))
    typed, report = ingest.prepare_survey(table, mapping, ["a"])
    assert report.rows_valid == 40
    rows = typed.to_pylist()
    assert sum(r["touchpoint"] == "a" for r in rows) == 35  # the five 0s are not applicable, not errors
    assert sorted({r["rating"] for r in rows if r["touchpoint"] == contract.OVERALL}) == [0.0, 1.0]


def test_ids_past_two_to_the_53_do_not_stop_the_guesses():
    from workbench.analysis import guesses

    table = pa.table({"customer_id": pa.array([2**53 + 1 + 2 * i for i in range(30)], pa.int64()),
                      "CSAT": [str(1 + i % 5) for i in range(30)]})
    assert guesses.propose(table, {}).score("CSAT").metric == "csat"


def test_qualtrics_tsv_in_utf16_as_its_excel_download_writes_it(tmp_path):
    """Qualtrics' "TSV" download is UTF-16 with a byte order mark and tabs: the real sample, written so."""
    rows = source_rows("qualtRics_sample.csv")
    path = tmp_path / "qualtrics.tsv"
    path.write_bytes("".join("\t".join(cell.replace("\t", " ") for cell in row) + "\r\n" for row in rows)
                     .encode("utf-16"))
    source = ingest.read_source(path)
    assert (source.dialect.encoding, source.dialect.delimiter, source.layout.name) == ("utf-16", "\t", "qualtrics")
    assert source.table.num_rows == 1 and source.table["ResponseId"].to_pylist() == ["R_2YPOQ602ER1jkf1"]
    assert source.descriptions["Q1"] == "This is a multiple choice question."
