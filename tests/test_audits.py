"""Reading mystery-shopping exports: both shapes, three languages, result words, not-applicable items, bad rows
named, limits; the shipped samples against numbers computed from the files by hand (csv and openpyxl)."""

from __future__ import annotations

import csv
from collections import defaultdict

import openpyxl
import pytest

from tests.test_compliance import by_hand
from workbench.analysis import compliance
from workbench.core import limits
from workbench.core.errors import IngestError
from workbench.data import audits
from workbench.repos.datasets import SAMPLE_FOLDER

TOUCHPOINTS = {"pickup-point": "Pick-up point collection", "support-contact": "Support chat or call",
               "return-request": "Return request"}
CZECH = SAMPLE_FOLDER / "mystery-shopping-cs-cp1250.csv"
ENGLISH = SAMPLE_FOLDER / "mystery-shopping-en.xlsx"
CZECH_MAPPING = {"Výdejní místo": "pickup-point", "Zákaznická linka": "support-contact",
                 "Vrácení zboží": "return-request"}


def czech_by_hand() -> dict[str, dict[str, list[tuple[float, float]]]]:
    """The Czech sample's items per branch and visit, read with the csv module: ano 1/1, ne 0/1, points out of
    the row's max ("2,5" is 2.5), nehodnoceno left out."""
    branches: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    with CZECH.open(encoding="cp1250", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            result, ceiling = row["Výsledek"], row["Max. body"]
            if result == "nehodnoceno":
                continue
            pair = (float(result == "ano"), 1.0) if not ceiling else (float(result.replace(",", ".")), float(ceiling))
            branches[row["Pobočka"]][row["Návštěva"]].append(pair)
    return branches


def test_the_czech_sample_is_read_in_its_long_shape_with_its_report():
    found = audits.read(CZECH, TOUCHPOINTS, CZECH_MAPPING)
    assert (found.shape, found.rows_read, found.visits, found.table.num_rows) == ("long", 760, 40, 735)
    assert (found.not_applicable, found.date_format, found.unmapped) == (25, "%d.%m.%Y", ("Vzhled prodejny",))
    table = found.table.to_pandas()
    assert table["ts"].min().date().isoformat() == "2026-06-02" and table["ts"].max().month == 11
    assert set(table.loc[table["section"] == "Zákaznická linka", "touchpoint"]) == {"support-contact"}
    assert table.loc[table["section"] == "Vzhled prodejny", "touchpoint"].isna().all()
    assert table["points"].mod(1).eq(0.5).any()  # "2,5" points read with the decimal comma


def test_the_czech_samples_branch_shares_and_intervals_match_the_hand_computation():
    data = compliance.frame(audits.read(CZECH, TOUCHPOINTS, CZECH_MAPPING).table)
    branches = compliance.by(data, "branch").set_index("branch")
    hand = czech_by_hand()
    assert set(branches.index) == set(hand) and len(hand) == 5
    for branch, visits in hand.items():
        share, low, high = by_hand(visits)
        assert tuple(branches.loc[branch, ["share", "low", "high"]]) == pytest.approx((share, low, high))
        assert branches.loc[branch, "visits"] == len(visits)
    # Praha-Smíchov, written down once: 8 visits, 150 items, 88.3 % (80.6–93.1 %).
    assert tuple(branches.loc["Praha-Smíchov", ["share", "low", "high", "items", "visits"]]) == pytest.approx(
        (0.8826, 0.8063, 0.9314, 150, 8), abs=5e-5)
    assert branches["low_n"].all()  # 7–10 visits a branch, under the 30 a judgement needs


def test_the_english_sample_is_read_in_its_wide_shape_with_the_maximum_from_the_header():
    found = audits.read(ENGLISH, TOUCHPOINTS, {"Pick-up point": "pickup-point", "Support line": "support-contact",
                                              "Returns": "return-request"})
    assert (found.shape, found.rows_read, found.visits, found.not_applicable) == ("wide", 20, 20, 5)
    assert (found.extra, found.unmapped) == (("Region",), ("Store",))
    table = found.table.to_pandas()
    assert set(table["section"]) == {"Pick-up point", "Support line", "Returns", "Store"}
    clean = table[table["item"] == "Cleanliness"]
    assert clean["max_points"].eq(5).all() and len(clean) == 20
    assert table.loc[table["item"] == "Call answered within 60 s", "touchpoint"].eq("support-contact").all()
    # By hand with openpyxl: the Query resolved item's points out of 3 across the 20 visits.
    sheet = openpyxl.load_workbook(ENGLISH).active
    header = [cell.value for cell in sheet[1]]
    column = header.index("Support line – Query resolved (max 3)")
    points = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    items = compliance.by(compliance.frame(table), "item").set_index("item")
    assert items.loc["Query resolved", "share"] == pytest.approx(sum(points) / 60)
    assert items.loc["Query resolved", "visits"] == 20


def write(tmp_path, text: str, name: str = "audit.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


POLISH = ("wizyta;oddział;data;audytor;sekcja;pytanie;wynik;max\n"
          "W1;Kraków-Podgórze;2026-03-02;Anna;Kasa;Powitanie;tak;\n"
          "W1;Kraków-Podgórze;2026-03-02;Anna;Kasa;Paragon;nie;\n"
          "W1;Kraków-Podgórze;2026-03-02;Anna;Kasa;Uprzejmość;4,5;5\n"
          "W1;Kraków-Podgórze;2026-03-02;Anna;Kasa;Torba;nie dotyczy;\n"
          "W2;Gliwice;2026-03-09;Ewa;Kasa;Powitanie;TAK;\n")


def test_polish_headers_and_words(tmp_path):
    found = audits.read(write(tmp_path, POLISH), {"checkout": "Kasa"})
    table = found.table.to_pandas()
    assert table[["points", "max_points"]].values.tolist() == [[1, 1], [0, 1], [4.5, 5], [1, 1]]
    assert (found.visits, found.not_applicable) == (2, 1)
    assert table["touchpoint"].eq("checkout").all()  # the section is the touchpoint's very name


@pytest.mark.parametrize(("word", "points"), [
    ("yes", 1), ("No", 0), ("ano", 1), ("ne", 0), ("tak", 1), ("nie", 0), ("pass", 1), ("FAIL", 0),
    ("splněno", 1), ("nesplněno", 0), ("1", 1), ("0", 0), ("Splneno", 1),
])
def test_result_words_in_three_languages(tmp_path, word, points):
    path = write(tmp_path, f"visit,branch,date,section,item,result\nV1,Kladno,2026-01-05,Shop,Greeting,{word}\n")
    assert audits.read(path, {}).table["points"].to_pylist() == [points]


@pytest.mark.parametrize("word", ["n/a", "N/A", "nehodnoceno", "nie dotyczy", "-", ""])
def test_not_applicable_words_drop_the_item_and_are_counted(tmp_path, word):
    path = write(tmp_path, "visit,branch,date,section,item,result\n"
                           f"V1,Kladno,2026-01-05,Shop,Greeting,yes\nV1,Kladno,2026-01-05,Shop,Bag,{word}\n")
    found = audits.read(path, {})
    assert (found.table.num_rows, found.not_applicable) == (1, 1)


HEAD = "Návštěva;Pobočka;Datum;Sekce;Bod;Výsledek;Max\n"


@pytest.mark.parametrize(("rows", "where", "says"), [
    ("V1;Kladno;05.01.2026;S;A;ano;\nV1;Kladno;05.01.2026;S;B;možná;\n", "row 3, column 'Výsledek'", "možná"),
    ("V1;Kladno;05.01.2026;S;A;6;5\n", "row 2, column 'Výsledek'", "outside 0 to 5"),
    ("V1;Kladno;05.01.2026;S;A;3;\n", "row 2, column 'Výsledek'", "no maximum"),
    ("V1;Kladno;05.01.2026;S;A;ano;0\n", "row 2, column 'Max'", "above 0"),
    ("V1;Kladno;05.01.2026;S;A;ano;\nV1;Kladno;31.02.2026;S;B;ne;\n", "row 3, column 'Datum'", "31.02.2026"),
    ("V1;Kladno;05.01.2026;S;A;ano;\nV1;Kolín;05.01.2026;S;B;ne;\n", "row 3, column 'Pobočka'", "Kolín"),
    ("V1;;05.01.2026;S;A;ano;\n", "row 2, column 'Pobočka'", "empty"),
])
def test_a_bad_row_is_refused_naming_file_row_and_column(tmp_path, rows, where, says):
    path = write(tmp_path, HEAD + rows, "audit.csv", "cp1250")
    with pytest.raises(IngestError) as refused:
        audits.read(path, {})
    assert f"audit.csv, {where}" in str(refused.value) and says in str(refused.value)


def test_missing_columns_unknown_touchpoints_and_other_files_are_refused(tmp_path):
    with pytest.raises(IngestError, match="no column for branch"):
        audits.read(write(tmp_path, "visit;date;section;item;result\nV1;2026-01-05;S;A;yes\n"), {})
    with pytest.raises(IngestError, match="no checklist columns"):
        audits.read(write(tmp_path, "branch;date;comment\nKladno;2026-01-05;fine\n"), {})
    with pytest.raises(IngestError, match="No touchpoint “nowhere”"):
        audits.read(write(tmp_path, POLISH), {"checkout": "Kasa"}, {"Kasa": "nowhere"})
    with pytest.raises(IngestError, match="not a CSV or XLSX"):
        audits.read(write(tmp_path, "x", "audit.sav"), {})


def test_limits_a_too_large_file_and_a_too_long_name(tmp_path, monkeypatch):
    long_name = "K" * (limits.NAME_CHARS + 1)
    with pytest.raises(IngestError, match="row 2, column 'branch'"):
        audits.read(write(tmp_path, f"visit,branch,date,section,item,result\nV1,{long_name},2026-01-05,S,A,yes\n"),
                    {})
    monkeypatch.setattr(limits, "UPLOAD_BYTES", 100)
    with pytest.raises(limits.LimitError, match="audit.csv"):
        audits.read(write(tmp_path, POLISH), {})


def test_a_wide_file_without_visit_ids_numbers_its_visits_by_row(tmp_path):
    text = ("Branch,Date,Greeting: Smiled,Greeting – Eye contact (max 2)\n"
            "Kladno,2026-01-05,yes,2\nKolín,2026-01-06,no,n/a\n")
    found = audits.read(write(tmp_path, text), {})
    table = found.table.to_pandas()
    assert table["visit_id"].tolist() == ["audit.csv:2", "audit.csv:2", "audit.csv:3"]
    assert table[["section", "item", "points", "max_points"]].values.tolist() == [
        ["Greeting", "Smiled", 1, 1], ["Greeting", "Eye contact", 2, 2], ["Greeting", "Smiled", 0, 1]]
