"""Review exports read into the reviews contract (``workbench.data.reviews``): every format, headers in English,
Czech and Polish, star formats, routing, stable ids, bad rows named by file, row and column, and the limits."""

from __future__ import annotations

import datetime
import json

import pytest

from workbench.core import limits
from workbench.core.errors import IngestError
from workbench.data import reviews
from workbench.data.reviews import Route
from workbench.repos.datasets import SAMPLE_FOLDER

KEYS = ["visit", "app", "online"]
APP = (Route("app store", "app"), Route("google play", "app"))


def read(path, routes=APP, default="visit", **options):
    return reviews.read(path, routes, default, KEYS, **options)


@pytest.mark.parametrize(
    ("value", "stars"),
    [
        (4, 4), (4.0, 4), ("4", 4), ("4,0", 4), ("4.0", 4), (" 5 ", 5), ("4/5", 4), ("4 / 5", 4), ("4 z 5", 4),
        ("4 out of 5", 4), ("★★★★☆", 4), ("★☆☆☆☆", 1), ("⭐⭐⭐", 3), ("4 stars", 4), ("4 hvězdičky", 4),
        ("5 gwiazdek", 5), ("FOUR", 4), ("one", 1),
        (0, None), (6, None), ("4,5", None), ("8/10", None), ("☆☆☆☆☆", None), ("", None), (None, None),
        ("great", None), (True, None), (float("nan"), None),
    ],
)  # fmt: skip
def test_star_ratings_in_every_format_exports_write(value, stars):
    assert reviews.parse_stars(value) == stars


def test_the_czech_sample_reads_in_cp1250_with_semicolons_decimal_commas_and_day_first_dates():
    found = read(SAMPLE_FOLDER / "reviews-cs-cp1250.csv", routes=(Route("facebook", "online"),))
    table = found.table
    assert (found.rows_read, found.refused, found.repeated, table.num_rows) == (120, 0, 0, 120)
    assert table.column_names == list(reviews.COLUMNS)
    assert set(table["branch"].to_pylist()) == {"Praha-Smíchov", "Praha-Karlín", "Brno-Líšeň", "Ostrava-Poruba",
                                                "Olomouc"}
    first = table.slice(0, 1).to_pylist()[0]  # the export's first line, 28.09.2026 15:10, "4,0"
    assert first["ts"] == datetime.datetime(2026, 9, 28, 15, 10) and first["stars"] == 4
    assert first["response_id"].startswith("google:") and len(first["response_id"]) == len("google:") + 16
    routed = dict(zip(table["platform"].to_pylist(), table["touchpoint"].to_pylist(), strict=True))
    assert routed == {"Google": "visit", "Facebook": "online"}
    replied = [r for r in table.to_pylist() if r["reply"]]
    assert replied and all(r["reply_ts"] >= r["ts"] for r in replied)
    assert any("ř" in (r["comment"] or "") for r in table.to_pylist())  # decoded as cp1250


def test_the_english_json_sample_keeps_the_exports_ids_and_routes_app_stores_to_the_app():
    found = read(SAMPLE_FOLDER / "reviews-en.json")
    table = found.table
    assert (found.rows_read, table.num_rows) == (80, 80)
    rows = table.to_pylist()
    assert all(r["touchpoint"] == ("visit" if r["platform"] == "Google" else "app") for r in rows)
    assert all(r["branch"] is None for r in rows if r["platform"] != "Google")
    source = json.loads((SAMPLE_FOLDER / "reviews-en.json").read_text())["reviews"]
    ids = {f"{s['platform'].lower().replace(' ', '-')}:{s['id']}" for s in source}
    assert set(table["response_id"].to_pylist()) == ids


@pytest.mark.parametrize(
    "header",
    [
        "date,platform,branch,rating,review,reply,reply date,author",
        "Datum,Platforma,Provozovna,Hvězdičky,Text recenze,Odpověď,Datum odpovědi,Autor",
        "Data,Platforma,Oddział,Ocena,Treść opinii,Odpowiedź,Data odpowiedzi,Autor",
        "data,platforma,pobočka,gwiazdki,opinia,odpowiedź firmy,data odpowiedzi,autor",
    ],
)
def test_headers_in_english_czech_and_polish(tmp_path, header):
    path = tmp_path / "export.csv"
    path.write_text(f"{header}\n2026-03-02,Google,Kladno,5,Super,Díky,2026-03-03,Jana\n", encoding="utf-8")
    [row] = read(path).table.to_pylist()
    assert (row["branch"], row["stars"], row["comment"], row["reply"]) == ("Kladno", 5, "Super", "Díky")
    assert row["reply_ts"] == datetime.datetime(2026, 3, 3) and row["platform"] == "Google"


def test_an_xlsx_export_reads_typed_cells(tmp_path):
    import openpyxl

    path = tmp_path / "reviews.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Review ID", "Date", "Source", "Location", "Stars", "Review text"])
    sheet.append([1001, datetime.datetime(2026, 4, 1, 12, 30), "Google", "Kolín", 4.0, "Fine"])
    sheet.append([1002, datetime.datetime(2026, 4, 2, 9, 0), "App Store", None, "★★☆☆☆", "Crashes"])
    book.save(path)
    rows = read(path).table.to_pylist()
    assert [(r["response_id"], r["touchpoint"], r["stars"]) for r in rows] == [
        ("google:1001", "visit", 4), ("app-store:1002", "app", 2)]
    assert rows[0]["ts"] == datetime.datetime(2026, 4, 1, 12, 30)


def test_a_json_object_with_nested_replies_as_googles_api_writes_them(tmp_path):
    path = tmp_path / "google.json"
    path.write_text(json.dumps({"reviews": [{
        "reviewId": "abc", "createTime": "2026-05-01T08:00:00", "starRating": "FOUR", "comment": "Quick",
        "reviewer": {"displayName": "Ann"}, "reviewReply": {"comment": "Thanks", "updateTime": "2026-05-02T08:00:00"},
    }]}))
    [row] = read(path, platform="Google").table.to_pylist()
    assert (row["response_id"], row["stars"], row["reply"]) == ("google:abc", 4, "Thanks")
    assert row["reply_ts"] - row["ts"] == datetime.timedelta(days=1)


def test_an_id_is_the_hash_of_what_the_review_says_when_the_export_has_none(tmp_path):
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.write_text("date;platform;branch;stars;text;author\n02.03.2026;Google;Kolín;5;Top;Eva\n", encoding="utf-8")
    two.write_text("author,stars,text,branch,date,platform\nEva,5,Top,Kolín,2026-03-02,google\n", encoding="utf-8")
    [first], [second] = read(one).table.to_pylist(), read(two).table.to_pylist()
    assert first["response_id"] == second["response_id"] == "google:" + reviews.review_id(
        "Google", None, "Kolín", datetime.datetime(2026, 3, 2), "Eva", "Top").split(":")[1]


def test_a_review_twice_in_one_export_is_kept_once_the_later_row_winning(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("id,date,platform,stars,text\n7,2026-01-05,Google,2,Slow\n7,2026-01-05,Google,4,Slow (edited)\n"
                    "8,2026-01-06,Google,5,Nice\n", encoding="utf-8")
    found = read(path)
    assert (found.repeated, found.table["stars"].to_pylist()) == (1, [4, 5])


def test_bad_rows_are_left_out_and_named_by_file_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "Datum;Platforma;Pobočka;Hodnocení;Text;Odpověď;Datum odpovědi\n"
        "01.03.2026;Google;Kolín;5;ok;;\n"
        "32.03.2026;Google;Kolín;5;bad date;;\n"
        "02.03.2026;Google;Kolín;7;too many stars;;\n"
        "02.03.2026;;Kolín;4;no platform;;\n"
        "03.03.2026;Google;Kolín;;no stars;;\n"
        "05.03.2026;Google;Kolín;2;replied too early;Sorry;04.03.2026\n",
        encoding="utf-8",
    )
    found = read(path)
    assert (found.rows_read, found.refused, found.table.num_rows) == (6, 5, 1)
    assert found.problem_lines() == [
        "bad.csv, row 3, column 'Datum': no readable date (“32.03.2026”)",
        "bad.csv, row 4, column 'Hodnocení': not 1–5 stars (“7”)",
        "bad.csv, row 5, column 'Platforma': platform missing",
        "bad.csv, row 6, column 'Hodnocení': rating missing",
        "bad.csv, row 7, column 'Datum odpovědi': the reply is dated before the review",
    ]


def test_files_that_cannot_be_imported_say_why(tmp_path):
    no_stars = tmp_path / "no-stars.csv"
    no_stars.write_text("date,platform,text\n2026-01-01,Google,Hi\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"no-stars.csv: no rating column \(looked for: rating, stars"):
        read(no_stars)
    no_platform = tmp_path / "google.csv"
    no_platform.write_text("date,stars\n2026-01-01,5\n", encoding="utf-8")
    with pytest.raises(IngestError, match="google.csv: no platform column"):
        read(no_platform)
    assert read(no_platform, platform="Google").table["platform"].to_pylist() == ["Google"]
    with pytest.raises(IngestError, match="not a CSV, XLSX or JSON file"):
        read(tmp_path / "reviews.pdf")
    nested = tmp_path / "nested.json"
    nested.write_text('[{"date": "2026-01-01", "stars": 5, "platform": "Google", "photos": [1, 2]}]')
    with pytest.raises(IngestError, match=r"nested.json, review 1, field 'photos': a list"):
        read(nested)
    not_list = tmp_path / "object.json"
    not_list.write_text('{"count": 3}')
    with pytest.raises(IngestError, match="not a list of reviews"):
        read(not_list)


def test_routes_and_default_must_name_touchpoints_of_the_journey(tmp_path):
    assert reviews.parse_routes("# app stores\nApp Store = app\n\n Google* = visit ") == (
        Route("App Store", "app"), Route("Google*", "visit"))
    with pytest.raises(ValueError, match="Rule line 2 .* is not 'platform or location = touchpoint'"):
        reviews.parse_routes("App Store = app\nGoogle Play")
    with pytest.raises(ValueError, match="“shop” is not a touchpoint of the journey; use one of: visit, app"):
        reviews.check_routes((Route("x", "shop"),), "visit", KEYS)
    with pytest.raises(ValueError, match="“nowhere” is not a touchpoint"):
        read(SAMPLE_FOLDER / "reviews-en.json", default="nowhere")
    assert reviews.route(APP, "visit", "Apple App Store", None) == "app"
    assert reviews.route((Route("praha*", "online"),), "visit", "Google", "Praha-Smíchov") == "online"
    assert reviews.route((Route("praha*", "online"),), "visit", "Google", "Kladno") == "visit"


def test_limits_rows_text_length_and_json_depth(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "REVIEW_ROWS", 2)
    many = tmp_path / "many.csv"
    many.write_text("date,platform,stars\n" + "2026-01-01,Google,5\n" * 3, encoding="utf-8")
    with pytest.raises(limits.LimitError, match="many.csv: the export has 3 rows; the limit is 2"):
        read(many)
    monkeypatch.setattr(limits, "FIELD_CHARS", 10)
    long = tmp_path / "long.json"
    long.write_text(json.dumps([{"date": "2026-01-01", "platform": "G", "stars": 5, "text": "x" * 11}]))
    with pytest.raises(limits.LimitError, match=r"long.json, review 1, field 'text': the field has 11 characters"):
        read(long)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * (limits.NESTING + 1) + "]" * (limits.NESTING + 1))
    with pytest.raises(limits.LimitError, match="deep.json: the JSON is nested more than 64 levels deep"):
        read(deep)
