"""Ingest: dialect detection (cp1250, ISO-8859-2, BOM, ';', decimal comma), validation reports, atomic writes."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workbench.analysis import guesses
from workbench.core.errors import IngestError
from workbench.core.folding import fold
from workbench.data import ingest
from workbench.data.ingest import CsvDialect, SurveyMapping

KEYS = ["web", "courier", "support"]
CZECH = ("Datum;Kontaktní bod;NPS;CSAT;Komentář;Pobočka\n"
         "01.02.2024 10:15;Web;9;5;Vše v pořádku;Brno\n"
         "02.02.2024 11:00;Kurýr;3;2,0;Kurýr přišel pozdě, žádná omluva;Ostrava\n"
         "03.02.2024 09:30;support;10;;Děkuji!;Brno\n")
MAPPING = SurveyMapping(touchpoint="Kontaktní bod", ts="Datum", nps="NPS", csat="CSAT", comment="Komentář",
                        segments=("Pobočka",), touchpoint_values={"Web": "web", "Kurýr": "courier"})


def write(tmp_path, text: str, encoding: str, name: str = "survey.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_czech_excel_export_is_detected_and_typed(tmp_path):
    path = write(tmp_path, CZECH, "cp1250")
    table, dialect = ingest.read_csv(path)
    assert dialect == CsvDialect("cp1250", ";", ",")
    typed, report = ingest.prepare_survey(table, MAPPING, KEYS, dialect.decimal)
    assert (report.rows_read, report.rows_valid, report.issues) == (3, 3, ())
    assert report.date_format == "%d.%m.%Y %H:%M"
    assert typed["touchpoint"].to_pylist() == ["web", "courier", "support"]
    assert typed["nps"].type == pa.int8() and typed["nps"].to_pylist() == [9, 3, 10]
    assert typed["csat"].to_pylist() == [5, 2, None]
    assert typed["comment"].to_pylist()[1] == "Kurýr přišel pozdě, žádná omluva"
    assert typed["Pobočka"].to_pylist() == ["Brno", "Ostrava", "Brno"]
    assert str(typed["ts"][0]) == "2024-02-01 10:15:00"


@pytest.mark.parametrize("encoding, expected", [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"),
                                                ("iso-8859-2", "iso-8859-2"), ("cp1250", "cp1250")])
def test_encodings_are_told_apart(tmp_path, encoding, expected):
    text = "date,touchpoint,nps,comment\n2024-03-01,web,8,Przesyłka dotarła świetnie, źle spakowana\n"
    text = text.replace(",Przesyłka", ",\"Przesyłka").replace("spakowana\n", "spakowana\"\n")
    table, dialect = ingest.read_csv(write(tmp_path, text, encoding))
    assert dialect == CsvDialect(expected, ",", ".")
    assert table["comment"].to_pylist() == ["Przesyłka dotarła świetnie, źle spakowana"]


def test_the_report_names_rows_and_columns_of_every_problem(tmp_path):
    text = ("id;date;tp;nps;csat\n"
            "a;2024-01-05;web;11;4\n"           # line 2: NPS out of range
            "b;2024-13-45;web;8;4\n"            # line 3: no such date
            "c;2024-01-06;teleport;8;4\n"       # line 4: unknown touchpoint
            "d;2024-01-07;web;7;0\n"            # line 5: CSAT 0 = not applicable -> kept, no CSAT
            "d;2024-01-08;courier;x;4\n"        # line 6: duplicate id, NPS not a number
            "e;2024-01-09;courier;;\n"          # line 7: no score at all
            "f;2024-01-10;support;9;5\n")       # line 8: fine
    table, dialect = ingest.read_csv(write(tmp_path, text, "utf-8"))
    mapping = SurveyMapping(touchpoint="tp", ts="date", nps="nps", csat="csat", response_id="id",
                            na_codes={"csat": ("0",)})
    typed, report = ingest.prepare_survey(table, mapping, KEYS, dialect.decimal)
    found = {issue.code: (issue.column, issue.count, issue.rows) for issue in report.issues}
    assert found == {
        "range_nps": ("nps", 1, (2,)),
        "bad_date": ("date", 1, (3,)),
        "unknown_touchpoint": ("tp", 1, (4,)),
        "bad_nps": ("nps", 1, (6,)),
        "duplicate_id": ("id", 2, (5, 6)),
        "no_score": ("nps, csat", 1, (7,)),
    }
    assert (report.rows_read, report.rows_valid) == (7, 1)
    assert typed["response_id"].to_pylist() == ["f"]


def test_bad_files_get_clear_errors(tmp_path):
    with pytest.raises(IngestError, match="The file is empty"):
        ingest.read_csv(write(tmp_path, "", "utf-8"))
    table, dialect = ingest.read_csv(write(tmp_path, "date;tp;nps\n", "utf-8", "header.csv"))
    with pytest.raises(IngestError, match="no rows"):
        ingest.prepare_survey(table, SurveyMapping(touchpoint="tp", ts="date", nps="nps"), KEYS)
    with pytest.raises(IngestError, match="line 3 has 4 fields, the header has 3"):
        ingest.read_csv(write(tmp_path, "date;tp;nps\n2024-01-01;web;9\n2024-01-02;web;9;extra\n", "utf-8", "x.csv"))
    table, _ = ingest.read_csv(write(tmp_path, CZECH, "cp1250", "cz.csv"))
    with pytest.raises(IngestError, match="Column\\(s\\) not in the file: Score. The file has: Datum"):
        ingest.prepare_survey(table, SurveyMapping(touchpoint="Kontaktní bod", ts="Datum", nps="Score"), KEYS)


def test_parquet_is_written_sorted_and_atomically(tmp_path, monkeypatch):
    table, dialect = ingest.read_csv(write(tmp_path, CZECH, "cp1250"))
    typed, _ = ingest.prepare_survey(table, MAPPING, KEYS, dialect.decimal)
    target = tmp_path / "datasets" / "survey-v1.parquet"
    ingest.write_parquet(typed.take([2, 0, 1]), target)
    assert pq.read_table(target)["ts"].to_pylist() == sorted(typed["ts"].to_pylist())
    before = target.read_bytes()

    def fail(*_args, **_kwargs):
        raise OSError("disk full")

    import polars as pl

    monkeypatch.setattr(pl.DataFrame, "write_parquet", fail)
    with pytest.raises(OSError, match="disk full"):
        ingest.write_parquet(typed, target)
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["survey-v1.parquet"]  # no temporary file left


def test_a_day_past_the_end_of_its_month_is_not_a_date(tmp_path):
    text = "date;tp;nps\n31.01.2024;web;9\n31.02.2024;web;9\n29.02.2024;web;9\n2024-02-30;web;9\n"
    table, dialect = ingest.read_csv(write(tmp_path, text, "utf-8"))
    typed, report = ingest.prepare_survey(table, SurveyMapping(touchpoint="tp", ts="date", nps="nps"), KEYS)
    assert [(i.code, i.rows) for i in report.issues] == [("bad_date", (3, 5))]
    assert [str(t) for t in typed["ts"].to_pylist()] == ["2024-01-31 00:00:00", "2024-02-29 00:00:00"]


def test_typed_and_text_reads_give_the_same_answers(tmp_path):
    """A clean file is typed while read; one bad score sends it through text — the good rows must not differ."""
    rows = "".join(f"{d:02d}.03.2024;web;{d % 11};{d % 5 + 1},0\n" for d in range(1, 29))
    mapping = SurveyMapping(touchpoint="tp", ts="date", nps="nps", csat="csat")
    clean = ingest.load(write(tmp_path, "date;tp;nps;csat\n" + rows, "cp1250", "clean.csv"), mapping)
    dirty = ingest.load(write(tmp_path, "date;tp;nps;csat\n" + rows + "29.03.2024;web;x;1\n", "cp1250",
                              "dirty.csv"), mapping)
    assert clean.table["nps"].type == pa.float64() and dirty.table["nps"].type == pa.string()
    typed_clean, _ = ingest.prepare_survey(clean.table, mapping, KEYS, clean.decimal)
    typed_dirty, report = ingest.prepare_survey(dirty.table, mapping, KEYS, dirty.decimal)
    assert [(i.code, i.rows) for i in report.issues] == [("bad_nps", (30,))]
    assert typed_dirty.drop_columns("response_id").equals(typed_clean.drop_columns("response_id"))


def test_rating_on_another_scale_with_a_not_applicable_code(tmp_path):
    text = "date;tp;score\n2024-01-01;web;0\n2024-01-02;web;7,5\n2024-01-03;web;11\n"
    mapping = SurveyMapping(touchpoint="tp", ts="date", rating="score", rating_scale=(1, 10),
                            na_codes={"rating": ("0",)})
    source = ingest.load(write(tmp_path, text, "utf-8"), mapping)
    typed, report = ingest.prepare_survey(source.table, mapping, KEYS, source.decimal)
    assert [(i.code, i.rows) for i in report.issues] == [("range_rating", (4,)), ("no_score", (2,))]
    assert typed["rating"].to_pylist() == [7.5]


def test_header_words_and_values_guess_the_fields_in_czech_polish_and_english():
    rows = 40
    czech = pa.table({"ID odpovědi": [str(1000 + i) for i in range(rows)],
                      "Datum": [f"{1 + i % 28:02d}.03.2026 10:00" for i in range(rows)],
                      "Kontaktní bod": [("Kurýr", "Web", "Pokladna")[i % 3] for i in range(rows)],
                      "NPS": [str(i % 11) for i in range(rows)], "Spokojenost": [str(1 + i % 5) for i in range(rows)],
                      "Komentář": [("Vše v pořádku, děkuji", "Kurýr přišel pozdě", None)[i % 3] for i in range(rows)],
                      "Pobočka": [("Brno", "Praha")[i % 2] for i in range(rows)]})
    mapping = guesses.as_mapping(guesses.propose(czech, {"courier": "Kurýr", "web": "Web", "checkout": "Pokladna"}))
    assert (mapping.ts, mapping.touchpoint, mapping.nps, mapping.csat, mapping.response_id, mapping.comment,
            mapping.segments) == ("Datum", "Kontaktní bod", "NPS", "Spokojenost", "ID odpovědi", "Komentář",
                                  ("Pobočka",))
    assert dict(mapping.touchpoint_values) == {"Kurýr": "courier", "Web": "web", "Pokladna": "checkout"}
    polish = pa.table({"Data": [f"2026-03-{1 + i % 28:02d}" for i in range(rows)],
                       "Punkt styku": [("Kurier", "Strona")[i % 2] for i in range(rows)],
                       "Polecenie": [str(i % 11) for i in range(rows)], "Klient": [f"K{i}" for i in range(rows)],
                       "Uwagi": [("Wszystko w porządku, dziękuję", "Kurier spóźnił się", None)[i % 3]
                                 for i in range(rows)]})
    mapping = guesses.as_mapping(guesses.propose(polish, {"courier": "Kurier", "web": "Strona"}))
    assert (mapping.ts, mapping.touchpoint, mapping.nps, mapping.response_id, mapping.comment) == (
        "Data", "Punkt styku", "Polecenie", "Klient", "Uwagi")


def test_touchpoint_labels_match_keys_and_names_without_accents():
    touchpoints = {"own-courier": "Own courier", "parcel-locker": "Parcel locker", "refund": "Refund"}
    assert guesses.match_touchpoints(["OWN COURIER", "parcel-locker", "Parcel lockers", "Refund ", "Teleport"],
                                     touchpoints, one_to_one=False) == {
        "OWN COURIER": "own-courier", "parcel-locker": "parcel-locker", "Parcel lockers": "parcel-locker",
        "Refund ": "refund", "Teleport": None}
    assert fold("Łódź Kurýr") == "lodz kuryr"


def test_shape_ignores_order_case_and_accents_and_mappings_round_trip():
    assert ingest.shape(["Datum", "NPS"]) == ingest.shape(["nps", "datum"]) != ingest.shape(["Datum"])
    for mapping in (MAPPING, ingest.KpiMapping(kpis=("Tržby",), period="Měsíc", segments=("Pobočka",)),
                    SurveyMapping(ts="d", wide=(ingest.WideColumn("Q1", "web", "csat"),), na_codes={"csat": ("0",)})):
        assert ingest.mapping_from_dict(ingest.mapping_to_dict(mapping)) == mapping


def test_not_applicable_codes_only_where_they_cannot_be_a_score():
    assert ingest.na_codes_outside_scales(["0", "99", "n/a"], (0, 10)) == {
        "nps": ("99", "n/a"), "csat": ("0", "99", "n/a"), "ces": ("0", "99", "n/a"), "stars": ("0", "99", "n/a"),
        "rating": ("99", "n/a")}


def test_mappings_that_would_corrupt_the_contract_are_refused(tmp_path):
    table, _ = ingest.read_csv(write(tmp_path, "date;tp;nps;comment;note\n2024-01-01;web;9;ok;x\n", "utf-8"))
    with pytest.raises(IngestError, match="segment cannot be called comment"):
        ingest.prepare_survey(table, SurveyMapping(touchpoint="tp", ts="date", nps="nps", segments=("comment",)), KEYS)
    with pytest.raises(IngestError, match="not in the journey: gone"):
        ingest.prepare_survey(table, SurveyMapping(touchpoint="tp", ts="date", nps="nps",
                                                   touchpoint_values={"web": "gone"}), KEYS)
    branches = pa.table({"Branch ID": [f"B{i % 5}" for i in range(40)], "NPS": [str(i % 11) for i in range(40)]})
    assert guesses.propose(branches, {}).response_id is None  # an id column that repeats identifies no answer


def test_quoted_comments_may_hold_line_breaks(tmp_path):
    text = 'date;tp;nps;comment\n2024-01-01;web;9;"first line\nsecond line"\n2024-01-02;web;3;plain\n'
    table, _ = ingest.read_csv(write(tmp_path, text, "utf-8"))
    typed, report = ingest.prepare_survey(table, SurveyMapping(touchpoint="tp", ts="date", nps="nps",
                                                               comment="comment"), KEYS)
    assert typed["comment"].to_pylist() == ["first line\nsecond line", "plain"] and not report.issues


def test_spreadsheet_and_parquet_types_are_normalised(tmp_path):
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["id", "date", "tp", "nps"])
    book.active.append([123456789012345, dt.datetime(2024, 1, 1), "web", 9])
    book.save(tmp_path / "ids.xlsx")
    table, sheet, _header_row, _layout = ingest.read_xlsx(tmp_path / "ids.xlsx")
    assert sheet == "Sheet"
    typed, _ = ingest.prepare_survey(table, SurveyMapping(touchpoint="tp", ts="date", nps="nps", response_id="id"), KEYS)
    assert typed["response_id"].to_pylist() == ["123456789012345"]
    book.active.append(["id", "x", "y", "z"])
    book.active.insert_cols(5)
    book.active["E1"] = "nps"
    book.save(tmp_path / "twice.xlsx")
    with pytest.raises(IngestError, match="used twice in the header: nps"):
        ingest.read_xlsx(tmp_path / "twice.xlsx")

    path = tmp_path / "micro.parquet"
    pq.write_table(pa.table({"when": pa.array([dt.datetime(2024, 1, 1, 10, 0, 0, 123456)], pa.timestamp("us")),
                             "tp": pa.array(["web"], pa.large_string()), "nps": pa.array([7], pa.int64())}), path)
    source = ingest.read_source(path)
    typed, report = ingest.prepare_survey(source.table, SurveyMapping(touchpoint="tp", ts="when", nps="nps"), KEYS,
                                          first_row=source.first_row)
    assert str(typed["ts"][0]) == "2024-01-01 10:00:00.123000" and typed["nps"].to_pylist() == [7]
