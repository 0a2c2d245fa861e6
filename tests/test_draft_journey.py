"""A journey from data (issue 24): a survey file's touchpoint labels (long file) or rating columns (wide file) become
a draft journey of one stage, the form then maps every label to its touchpoint. The pure part
(``workbench.core.draft``), the Data screen's feature functions, and real exports of tests/data imported into an
empty project through them."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.core import access, draft, limits
from workbench.core.access import AccessRefused
from workbench.core.errors import IngestError, WorkspaceError
from workbench.core.journey import KEY_PATTERN, JourneyError, validate
from workbench.core.limits import LimitError
from workbench.data import ingest
from workbench.features import data as feature

DATA = Path(__file__).parent / "data"
BOOTCAMP = DATA / "googleforms_psu_r_bootcamp_survey.csv"  # Google Forms: a day of the week and a 1–10 rating a row
DAY = "Favorite day of the week"
GOT = "Your enthusiasm for Game of Thrones"


# ------------------------------------------------------------------ the pure part


def test_each_distinct_label_becomes_one_touchpoint_in_one_stage_in_the_files_order():
    journey, keys = draft.draft_journey("Client survey", ["Delivery", "Checkout", "Delivery", "Web", "Checkout"])
    assert journey.name == "Client survey"
    assert [(s.key, s.name) for s in journey.stages] == [("to-arrange", "To arrange")]
    assert [(t.key, t.name, t.stage) for t in journey.touchpoints] == [
        ("delivery", "Delivery", "to-arrange"), ("checkout", "Checkout", "to-arrange"), ("web", "Web", "to-arrange")]
    assert keys == {"Delivery": "delivery", "Checkout": "checkout", "Web": "web"}
    assert journey.edges == () and journey.owners == ()
    assert all(t.x is not None and t.y is not None for t in journey.touchpoints)
    validate(journey)


def test_czech_and_polish_names_are_kept_and_their_keys_folded_to_ascii():
    labels = ["Doručení zásilky", "Obsługa klienta", "Vrácení zboží", "Zákaznická podpora", "Płatność kartą"]
    journey, keys = draft.draft_journey("Průzkum", labels)
    assert [t.name for t in journey.touchpoints] == labels
    assert keys["Doručení zásilky"] == "doruceni-zasilky" and keys["Vrácení zboží"] == "vraceni-zbozi"
    assert all(KEY_PATTERN.match(key) for key in keys.values())
    assert len(set(keys.values())) == len(labels)


def test_blank_labels_are_skipped_and_names_cleaned():
    journey, keys = draft.draft_journey("  Client \n survey ", ["", "   ", "\t", "  Home   delivery\n", "Home delivery"])
    assert journey.name == "Client survey"
    assert [t.name for t in journey.touchpoints] == ["Home delivery"]
    assert keys == {"  Home   delivery\n": "home-delivery", "Home delivery": "home-delivery"}  # one touchpoint
    long = "x" * (limits.NAME_CHARS + 50)
    [touchpoint] = draft.draft_journey("Long", [long])[0].touchpoints
    assert touchpoint.name == "x" * limits.NAME_CHARS


def test_names_colliding_as_slugs_get_unique_keys():
    journey, keys = draft.draft_journey("Slugs", ["Delivery", "delivery!", "DELIVERY", "配送", "支付"])
    assert [t.name for t in journey.touchpoints] == ["Delivery", "delivery!", "DELIVERY", "配送", "支付"]
    assert list(keys.values()) == ["delivery", "delivery-2", "delivery-3", "item", "item-2"]
    validate(journey)


def test_names_are_kept_as_text_whatever_they_look_like():
    hostile = "<img src=x onerror=alert(1)>"
    journey, keys = draft.draft_journey("<b>Survey</b>", [hostile, "=HYPERLINK(\"http://x\")"])
    assert journey.name == "<b>Survey</b>" and journey.touchpoints[0].name == hostile
    assert all(KEY_PATTERN.match(key) for key in keys.values())


def test_too_many_labels_are_refused_naming_the_file_and_column():
    labels = [f"Touchpoint {i}" for i in range(limits.DRAFT_TOUCHPOINTS)]
    assert len(draft.draft_journey("Most", labels)[0].touchpoints) == limits.DRAFT_TOUCHPOINTS
    where = "survey.csv, column “Touchpoint”"
    with pytest.raises(LimitError, match=r"^survey.csv, column “Touchpoint”: 201 different labels; a draft journey "
                                         r"takes at most 200 touchpoints.$"):
        draft.draft_journey("Too many", [*labels, "One more", "One more"], where=where)
    with pytest.raises(LimitError, match=r"^wide.csv: 201 rating columns; a draft journey takes at most 200"):
        draft.draft_journey("Too many", [*labels, "One more"], where="wide.csv", what="columns")


def test_no_label_or_no_name_is_refused():
    with pytest.raises(JourneyError, match="^survey.csv, column “Channel”: no label to make a touchpoint of.$"):
        draft.draft_journey("Survey", ["", "  "], where="survey.csv, column “Channel”")
    with pytest.raises(JourneyError, match="^The journey needs a name.$"):
        draft.draft_journey("   ", ["Web"])


def test_many_touchpoints_are_laid_out_in_a_grid_that_stays_on_a_screen():
    journey, _keys = draft.draft_journey("Big", [f"Step {i}" for i in range(limits.DRAFT_TOUCHPOINTS)])
    xs = sorted({t.x for t in journey.touchpoints})
    ys = sorted({t.y for t in journey.touchpoints})
    assert len(xs) <= 15 and len(ys) <= 15  # about square: neither a 40-wide row nor a 100-high column
    assert len({(t.x, t.y) for t in journey.touchpoints}) == limits.DRAFT_TOUCHPOINTS  # none on another
    small, _keys = draft.draft_journey("Small", ["A", "B", "C"])
    assert [(t.x, t.y) for t in small.touchpoints] == [(0.0, 0.0), (0.0, 95.0), (0.0, 190.0)]


def test_a_matrix_questions_columns_take_the_rows_that_tell_them_apart():
    texts = {"Q1": "Please state whether you view them favorably – Han Solo",
             "Q2": "Please state whether you view them favorably – Yoda", "Q3": "Have you seen the films?",
             "Q4": "How satisfied were you-Check-in", "Q5": "How satisfied were you-Room service",
             "Q6": "One of its kind – Alone"}
    assert draft.matrix_names(texts) == {"Q1": "Han Solo", "Q2": "Yoda", "Q3": "Have you seen the films?",
                                         "Q4": "Check-in", "Q5": "Room service", "Q6": "One of its kind – Alone"}
    # Two matrices of the same rows: the rows alone would be one touchpoint, so the whole texts stay.
    twice = {"A1": "Speed – Web", "A2": "Speed – Shop", "B1": "Price – Web", "B2": "Price – Shop"}
    assert draft.matrix_names(twice) == twice
    assert draft.matrix_names({"A": "Web", "B": "Satisfaction – Web", "C": "Satisfaction – Shop"}) == {
        "A": "Web", "B": "Satisfaction – Web", "C": "Shop"}


def test_a_draft_name_is_the_files_numbered_when_taken():
    assert draft.draft_name("client-export", []) == "client-export"
    assert draft.draft_name("client-export", ["Client-Export", "client-export (2)"]) == "client-export (3)"
    assert draft.draft_name("   ", []) == "Draft journey"
    assert len(draft.draft_name("y" * 300, ["y" * 200])) == limits.NAME_CHARS


@given(st.lists(st.text(max_size=30), max_size=60))
def test_every_distinct_label_is_exactly_one_touchpoint_of_its_name(labels):
    names = {" ".join(label.split()) for label in labels} - {""}
    if not names:
        with pytest.raises(JourneyError):
            draft.draft_journey("Survey", labels)
        return
    journey, keys = draft.draft_journey("Survey", labels)
    validate(journey)
    assert sorted(t.name for t in journey.touchpoints) == sorted(names)
    assert len({t.key for t in journey.touchpoints}) == len(journey.touchpoints)
    assert all(KEY_PATTERN.match(t.key) for t in journey.touchpoints)
    by_key = {t.key: t.name for t in journey.touchpoints}
    assert {label: by_key[key] for label, key in keys.items()} == {
        label: " ".join(label.split()) for label in labels if label.strip()}


# ------------------------------------------------------------------ the Data screen's functions


LONG = "date;channel;CSAT\n" + "".join(
    f"2026-03-{day:02d};{('Doručení  zásilky', 'Obsługa klienta', 'delivery!', 'Delivery')[day % 4]};{1 + day % 5}\n"
    for day in range(1, 21))


@pytest.fixture
def long_file(tmp_path):
    path = tmp_path / "Klient březen.csv"
    path.write_text(LONG, encoding="utf-8")
    return path


def test_labels_are_read_in_the_files_order_and_each_matched_to_its_draft_touchpoint(workspace, long_file):
    project = workspace.create_project("Client")
    labels = feature.file_labels(long_file, "channel", None, None, None)
    assert list(labels) == ["Obsługa klienta", "delivery!", "Delivery", "Doručení  zásilky"]  # as first in the file
    assert feature.draft_name(workspace, project, long_file.name) == "Klient březen"
    made = feature.create_draft(workspace, project, "Klient březen", labels, "Klient březen.csv, column “channel”",
                                "labels")
    assert made.message == ("Draft journey “Klient březen” created with 4 touchpoints: arrange them into stages on the "
                            "Journeys page.")
    assert made.keys == {"Obsługa klienta": "obsuga-klienta", "delivery!": "delivery", "Delivery": "delivery-2",
                         "Doručení  zásilky": "doruceni-zasilky"}
    assert feature.project_choices(workspace, project)[0] == [("Klient březen", made.journey_id)]
    assert feature.draft_name(workspace, project, long_file.name) == "Klient březen (2)"
    journey = feature.journey(workspace, made.journey_id)
    matched = feature.touchpoint_labels(long_file, "channel", None, None, None, journey, None, False)
    assert dict(matched) == made.keys  # "Delivery" and "delivery!" each to its own, by the very name
    assert not feature.draft_offer(matched)
    assert feature.draft_offer([(label, feature.NONE) for label in labels])
    assert not feature.draft_offer([])


def test_a_reader_of_the_project_may_not_create_a_draft(workspace, long_file):
    project = workspace.create_project("Client")
    labels = feature.file_labels(long_file, "channel", None, None, None)
    with access.acting(access.Access(readable=frozenset({project}), writable=frozenset())):
        with pytest.raises(AccessRefused, match="may read this project but not change it"):
            feature.create_draft(workspace, project, "Draft", labels, "x.csv", "labels")
    assert workspace.journeys(project) == []
    with pytest.raises(IngestError, match="Create a project"):
        feature.create_draft(workspace, None, "Draft", labels, "x.csv", "labels")


def test_a_taken_journey_name_is_said(workspace, long_file):
    project = workspace.create_project("Client")
    labels = feature.file_labels(long_file, "channel", None, None, None)
    feature.create_draft(workspace, project, "Draft", labels, "x.csv", "labels")
    with pytest.raises(WorkspaceError, match="^A journey named “draft” already exists in this project.$"):
        feature.create_draft(workspace, project, "draft", labels, "x.csv", "labels")
    assert len(workspace.journeys(project)) == 1


def test_a_wide_files_rating_columns_take_their_question_texts(tmp_path):
    name = "qualtricstools_Single_Answer_Matrix_Questions__Insights_.csv"
    found = feature.detect(DATA / name, "csv")
    chosen = feature.dialect("csv", found.encoding, found.delimiter, found.decimal, found.header_rows)
    columns = feature.preview(DATA / name, "csv", chosen, None, None, {}).columns
    labels = feature.wide_labels(columns, ["EndDate", "ResponseID", feature.NONE, None])
    assert list(labels) == ["Q2_1", "Q2_2", "Q2_3", "Q3_question_one", "Q3_question_two", "Q3_question_three"]
    assert labels["Q2_1"] == "Click to write the question text-Click to write Statement 1"
    journey, keys = draft.draft_journey(name, labels.values(), what="columns")
    assert len(journey.touchpoints) == 6 and len(set(keys.values())) == 6


# ------------------------------------------------------------------ real exports into an empty project


def check_and_commit(workspace, project, path, mapping, journey_id, chosen, name):
    checked = feature.check(workspace, project, path, mapping, journey_id=journey_id, chosen=chosen, sheet=None,
                            header_row=None, source=path.name, token=workspace.datasets.new_token(), append=False,
                            name=name, progress=lambda fraction, step: None)
    said = feature.commit(workspace, checked.staged.token, name)
    [info] = [d for d in workspace.datasets.list(project) if d.name == name]
    return checked.staged.report, said, info


def test_a_real_google_forms_export_is_imported_into_an_empty_project_through_a_draft_journey(workspace):
    """psu-psychology/r-bootcamp's survey (Google Forms, 38 answers and the blank first row the sheet kept): one row
    per answer about a day of the week, rated 1–10. No journey yet: the days become one."""
    project = workspace.create_project("Client")
    assert feature.project_choices(workspace, project) == ([], [])
    found = feature.detect(BOOTCAMP, "csv")
    chosen = feature.dialect("csv", found.encoding, found.delimiter, found.decimal, found.header_rows)
    # Without a journey every label is unmatched: the form offers the draft.
    empty = feature.journey_touchpoints(workspace, None)
    assert empty == {}
    labels = feature.file_labels(BOOTCAMP, DAY, chosen, None, None)
    with BOOTCAMP.open(encoding="utf-8", newline="") as handle:
        truth = list(csv.DictReader(handle))
    assert list(labels) == list(dict.fromkeys(row[DAY] for row in truth))  # in the file's order, the "NA" row's first
    made = feature.create_draft(workspace, project, feature.draft_name(workspace, project, BOOTCAMP.name), labels,
                                f"{BOOTCAMP.name}, column “{DAY}”", "labels")
    assert made.name == "googleforms_psu_r_bootcamp_survey"
    journey = feature.journey(workspace, made.journey_id)
    assert [t.name for t in journey.touchpoints] == list(labels)
    matched = feature.touchpoint_labels(BOOTCAMP, DAY, chosen, None, None, journey, None, False)
    assert all(key != feature.NONE for _label, key in matched) and dict(matched) == made.keys

    fields = {name: feature.NONE for name in feature.FIELDS} | {"ts": "Timestamp", "touchpoint": DAY, "rating": GOT}
    extra = {"date_format": feature.AUTO, "wave": "", "outcome": "", "twice_ok": False, "exclude": {}}
    mapping = feature.form_mapping("survey", fields, [], [], "", 1, 10, {}, dict(matched), {}, extra)
    report, said, info = check_and_commit(workspace, project, BOOTCAMP, mapping, made.journey_id, chosen, "Bootcamp")
    assert said.startswith("Imported 38 rows as “Bootcamp” version 1")
    # The one row skipped is the sheet's blank first row ("NA" in every cell: no date, no rating), never a label
    # without a touchpoint.
    assert report.rows_read == 39 and report.rows_valid == 38
    assert not [issue for issue in report.issues if "journey" in issue.message or issue.column == DAY]
    rows = pq.read_table(info.path).to_pylist()
    assert len(rows) == 38 and {r["touchpoint"] for r in rows} <= set(made.keys.values())
    by_key = {t.key: t.name for t in journey.touchpoints}
    answers = [(row[DAY], float(row[GOT])) for row in truth if row["Timestamp"] != "NA"]
    assert sorted((by_key[r["touchpoint"]], r["rating"]) for r in rows) == sorted(answers)


def test_a_real_surveymonkey_exports_rating_columns_become_a_draft_and_every_one_is_imported(workspace):
    """fivethirtyeight's Star Wars survey (SurveyMonkey, one row per respondent): its columns become touchpoints,
    each named as the file names it, and the wide import maps each column onto its own."""
    name = "fivethirtyeight_StarWars.csv"
    project = workspace.create_project("Client")
    found = feature.detect(DATA / name, "csv")
    chosen = feature.dialect("csv", found.encoding, found.delimiter, found.decimal, found.header_rows)
    columns = feature.preview(DATA / name, "csv", chosen, None, None, {}).columns
    mapping, _said = feature.start(workspace, columns, feature.GUESS, project)
    labels = feature.wide_labels(columns, [mapping.respondent_id, mapping.ts])
    assert "RespondentID" not in labels and len(labels) == 25
    made = feature.create_draft(workspace, project, "Star Wars", labels, name, "columns")
    assert set(made.keys) == set(labels) and len(set(made.keys.values())) == 25
    han = next(column for column in labels if column.endswith("– Han Solo"))
    journey = feature.journey(workspace, made.journey_id)
    assert journey.touchpoint(made.keys[han]).name == "Han Solo"  # the row of the matrix question, not its text
    assert [t.name for t in journey.touchpoints][:4] == [
        "Have you seen any of the 6 films in the Star Wars franchise?",
        "Do you consider yourself to be a fan of the Star Wars film franchise?",
        "Star Wars: Episode I The Phantom Menace", "Star Wars: Episode II Attack of the Clones"]
    rows = {row.column: row for row in feature.wide_rows(columns, mapping, True)}
    wide = {column: (made.keys[column], rows[column].metric, *rows[column].scale) for column in labels}
    words = {column: rows[column].words for column in labels if rows[column].words}
    fields = {f: feature.NONE for f in feature.FIELDS} | {"respondent_id": "RespondentID"}
    extra = {"date_format": feature.AUTO, "wave": "2014-06", "outcome": "", "twice_ok": False, "exclude": {}}
    mapping = feature.form_mapping("wide", fields, [], [], "", 1, 10, wide, {}, words, extra)
    report, _said, info = check_and_commit(workspace, project, DATA / name, mapping, made.journey_id, chosen, "SW")
    assert report.rows_read == 1186
    assert set(info.meta["touchpoints"]) <= set(made.keys.values())
    assert not [issue for issue in report.issues if "journey" in issue.message]


def test_a_real_column_of_more_labels_than_a_journey_holds_is_refused_by_name(workspace):
    """The Google Forms export of CS50's favourite shows: its 264 titles are no touchpoint column."""
    name = "googleforms_cs50_favorites.csv"
    project = workspace.create_project("Client")
    labels = feature.file_labels(DATA / name, "title", None, None, None)
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        titles = {" ".join(row["title"].split()) for row in csv.DictReader(handle)} - {""}
    assert len(labels) == len(titles) == 264
    with pytest.raises(LimitError, match=r"^googleforms_cs50_favorites.csv, column “title”: 264 different labels; "
                                         r"a draft journey takes at most 200 touchpoints.$"):
        feature.create_draft(workspace, project, "Favourites", labels, f"{name}, column “title”", "labels")
    assert workspace.journeys(project) == []
    genres = feature.file_labels(DATA / name, "genres", None, None, None)
    assert len(feature.create_draft(workspace, project, "Genres", genres, name, "labels").keys) == len(genres)


def test_column_values_in_the_files_order(tmp_path):
    path = tmp_path / "order.csv"
    path.write_text("tp\nb\na\na\nc\na\nc\n", encoding="utf-8")
    assert ingest.column_values(path, "tp") == ["a", "c", "b"]
    assert ingest.column_values(path, "tp", by_count=False) == ["b", "a", "c"]


# ------------------------------------------------------------------ the Data page's offer


@pytest.fixture
def data_page(workspace):
    from cxweb.app import create_app

    app = create_app(workspace)
    from cxweb.pages import data  # registers itself with the app: imported once the app exists

    with app.server.app_context():
        yield data


def texts(component) -> list:
    """Every text child of a Dash component tree, in order."""
    found: list = []
    children = component if isinstance(component, list) else getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if isinstance(child, str):
            found.append(child)
        elif child is not None:
            found += texts(child)
    return found


def test_the_offer_lists_the_labels_as_text_where_the_list_would_be(data_page, workspace, tmp_path):
    project = workspace.create_project("Client")
    path = workspace.folder / "export.csv"  # where the page reads files from
    path.write_text("date;tp;CSAT\n2026-03-01;<img src=x onerror=alert(1)>;5\n2026-03-02;Web;4\n", encoding="utf-8")
    file = {"path": str(path), "name": "hostile <b>export.csv", "kind": "csv"}  # as uploaded
    columns = feature.preview(path, "csv", None, None, None, {}).columns
    args = ("survey", "tp", None, file, "utf-8", ";", ".", 1, None, None, project, columns, feature.GUESS)
    offer = data_page.value_form(*args)
    shown = texts(offer)
    assert "No journey yet for the file's 2 touchpoint labels: make one of them, one touchpoint each." in shown
    assert "<img src=x onerror=alert(1)>" in shown  # a text child: Dash never renders it as HTML
    assert "Create a draft journey from these" in shown
    [name] = [c for c in offer.children[1].children if getattr(c, "id", None) == {"type": "da-draft-name",
                                                                                     "kind": "survey"}]
    assert name.value == "hostile <b>export" and name.maxLength == limits.NAME_CHARS
    # A journey none of whose touchpoints the labels name: the offer stands over the list.
    other, _keys = draft.draft_journey("Other", ["Shop"])
    journey_id = workspace.create_journey(project, other)
    listed = data_page.value_form(*args[:2], journey_id, *args[3:])
    assert "Create a draft journey from these" in texts(listed[0]) and "None of these labels" in texts(listed[0])[0]
    # Without a project there is nothing to put a journey in: no offer.
    assert data_page.value_form(*args[:10], None, *args[11:]) is None
