"""The Data screen's features without a browser: a file opened, detected and previewed with its guesses, the form
filled from a mapping, a wide file's score rows, touchpoint labels, the check and the import."""

import base64

import pytest

from workbench.core import uploads
from workbench.core.contract import OVERALL
from workbench.core.errors import WorkspaceError
from workbench.data.ingest import CsvDialect, ImportReport, KpiMapping, SurveyMapping, WideColumn
from workbench.features import data as feature

LONG = ("date;channel;CSAT;note\n" + "".join(f"2026-03-{day:02d};{tp};{score};\n" for day, tp, score in
                                            [(d, ("Web", "Delivery", "Shop counter")[d % 3], 1 + d % 5)
                                             for d in range(1, 28)]))
WIDE = ("id;date;Web rating;Delivery rating;Happy\n" +
        "".join(f"{i};2026-03-{1 + i % 28:02d};{1 + i % 5};{1 + (i * 3) % 5};{('yes', 'no')[i % 2]}\n"
                for i in range(60)))


@pytest.fixture
def long_file(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(LONG, encoding="utf-8")
    return path


@pytest.fixture
def wide_file(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(WIDE, encoding="utf-8")
    return path


def test_a_file_is_opened_by_path_upload_or_sample(workspace, long_file, tmp_path):
    assert feature.open_path(str(long_file), (tmp_path,)) == {"path": str(long_file), "name": "long.csv",
                                                              "kind": "csv"}
    upload = "data:text/csv;base64," + base64.b64encode(LONG.encode()).decode()
    received = feature.open_upload(workspace, upload, "answers.csv")
    assert received["name"] == "answers.csv" and received["kind"] == "csv"
    assert open(received["path"], encoding="utf-8").read() == LONG
    with pytest.raises(uploads.UploadError, match="^Choose a file first.$"):
        feature.open_upload(workspace, None, "answers.csv")
    assert feature.open_sample("no such sample.csv") is None
    sample = feature.sample_files()[0]
    assert feature.open_sample(sample.name)["path"] == str(sample)


def test_a_csv_is_detected_and_its_reading_chosen(long_file):
    found = feature.detect(long_file, "csv")
    assert (found.encoding, found.delimiter, found.header_rows, found.sheets) == ("utf-8", ";", 1, ())
    assert feature.detect(long_file, "parquet") == feature.Detected()
    assert feature.dialect("csv", "utf-8", ";", ",", "2") == CsvDialect("utf-8", ";", ",", 2)
    assert feature.dialect("csv", "utf-8", ";", ",", "9").header_rows == feature.MAX_HEADER_ROWS
    assert feature.dialect("csv", "utf-8", None, ",", 1) is None
    assert feature.dialect("xlsx", "utf-8", ";", ",", 1) is None
    assert [feature.whole(v, 7) for v in ("3", 2.0, "0", "x", None, -1)] == [3, 2, 7, 7, 7, 7]


def test_the_preview_shows_the_first_rows_and_guesses_the_columns(long_file):
    shown = feature.preview(long_file, "csv", None, None, None, {"web": "Web", "delivery": "Delivery"})
    assert shown.names == ["date", "channel", "CSAT", "note"]
    assert len(shown.rows) == feature.PREVIEW_ROWS and shown.rows[0] == ["2026-03-01", "Delivery", "2", None]
    assert shown.note.startswith("Recognised: ")
    mapping, said = feature.start(None, shown.columns, feature.GUESS, None)
    assert said.startswith("Guessed from the column names") and isinstance(mapping, SurveyMapping)
    assert (mapping.ts, mapping.touchpoint, mapping.csat) == ("date", "channel", "CSAT")
    reasons = feature.guessed_reasons(mapping, feature.proposal(shown.columns))
    assert set(reasons) == {"ts", "touchpoint"} and all(reasons.values())
    filled = feature.form(mapping, shown.columns, guessed=True)
    assert filled.kind == "survey" and filled.fields["csat"] == "CSAT" and filled.fields["nps"] == feature.NONE
    assert filled.date_format != "" and filled.exclude is False  # a plain file has no exclusion rules


def test_the_form_of_a_kpi_mapping_shows_its_period_and_kpis():
    filled = feature.form(KpiMapping(kpis=("churn",), period="month", segments=("branch",)), {}, guessed=False)
    assert filled.kind == "kpi_period" and filled.fields["ts"] == "month"
    assert filled.fields["touchpoint"] == feature.NONE
    assert (filled.kpis, filled.segments) == (["churn"], ["branch"])
    assert feature.form(None, {}, guessed=True) is None


def test_a_wide_files_score_columns_with_their_touchpoints_and_scales(wide_file):
    shown = feature.preview(wide_file, "csv", None, None, None, {"web": "Web", "delivery": "Delivery"})
    rows = {row.column: row for row in feature.wide_rows(shown.columns, None, guessed=True)}
    assert {"Web rating", "Delivery rating", "Happy"} <= set(rows)
    assert (rows["Web rating"].metric, rows["Web rating"].scale) == ("csat", (1, 5))
    assert rows["Web rating"].note  # why it was guessed
    assert rows["Happy"].metric == "yesno" and rows["Happy"].scale == (0.0, 1.0) and rows["Happy"].words
    chosen = SurveyMapping(wide=(WideColumn("Web rating", "web", "rating", (0.0, 10.0)),), rating_scale=(0.0, 10.0))
    rows = {row.column: row for row in feature.wide_rows(shown.columns, chosen, guessed=False)}
    web = rows["Web rating"]
    assert (web.touchpoint, web.metric, web.scale, web.note) == ("web", "rating", (0.0, 10.0), "")


def test_two_columns_on_one_touchpoint_are_said(small_journey):
    assert feature.twice({"A": "web", "B": "cart", "C": feature.NONE, "D": None}) == ""
    assert feature.twice({"A": "web", "B": "web"}) == \
        "“A”, “B” are all mapped to “web”. Change one, or confirm that they rate the same touchpoint."


def test_touchpoint_labels_are_matched_by_name_or_as_saved(long_file, small_journey):
    found = dict(feature.touchpoint_labels(long_file, "channel", None, None, None, small_journey, None, False))
    assert found == {"Delivery": "delivery", "Shop counter": feature.NONE, "Web": "web"}
    saved = SurveyMapping(touchpoint="channel", touchpoint_values={"Shop counter": OVERALL, "Web": "gone"})
    found = dict(feature.touchpoint_labels(long_file, "channel", None, None, None, small_journey, saved, True))
    assert found["Shop counter"] == OVERALL and found["Web"] == "web"  # a saved key no longer in the journey: by name
    assert feature.unmatched_note(0) == ("Every label matched a touchpoint.", True)
    assert feature.unmatched_note(2)[1] is False


def test_a_checked_file_is_imported_and_listed(workspace, small_journey, long_file):
    project = workspace.create_project("Client")
    journey_id = workspace.create_journey(project, small_journey)
    fields = {name: feature.NONE for name in feature.FIELDS} | {"ts": "date", "touchpoint": "channel", "csat": "CSAT"}
    extra = {"date_format": feature.AUTO, "wave": "", "outcome": "", "twice_ok": False, "exclude": {}}
    mapping = feature.form_mapping("survey", fields, [], [], "", 1, 10, {}, {"Web": "web", "Delivery": "delivery",
                                                                              "Shop counter": feature.NONE}, {}, extra)
    steps = []
    checked = feature.check(workspace, project, long_file, mapping, journey_id=journey_id, chosen=None, sheet=None,
                            header_row=None, source="long.csv", token=workspace.datasets.new_token(), append=False,
                            name="March", progress=lambda fraction, step: steps.append(fraction))
    assert checked.answers == 18 and checked.staged.report.rows_read == 27 and steps
    assert feature.new_check(workspace, None) != checked.staged.token
    said = feature.commit(workspace, checked.staged.token, "March")
    assert said == "Imported 18 rows as “March” version 1; the mapping is saved as “March”."
    [row] = feature.dataset_rows(workspace, project)
    assert (row.name, row.version, row.latest, row.rows, row.skipped) == ("March", 1, True, "18", 9)
    assert row.period == "2026-03-01 – 2026-03-27" and row.kind == "Survey answers"
    assert feature.project_choices(workspace, project) == ([("Shop", journey_id)], ["March"])
    options, chosen = feature.saved_choices(workspace, project, ["date", "channel", "CSAT", "note"])
    assert chosen == "March" and options[0][1] == feature.GUESS and len(options) == 2
    assert feature.dataset_name(workspace, project, ["date", "channel", "CSAT", "note"], "other.csv") == "March"
    assert feature.dataset_name(workspace, project, ["x"], "other.csv") == "other"
    again = feature.check(workspace, project, long_file, mapping, journey_id=journey_id, chosen=None, sheet=None,
                          header_row=None, source="long.csv", token=workspace.datasets.new_token(), append=True,
                          name="March", progress=lambda fraction, step: None)
    feature.discard(workspace, again.staged.token)
    with pytest.raises(WorkspaceError, match="no longer waiting"):
        feature.commit(workspace, again.staged.token, "March")
    feature.delete_dataset(workspace, row.id)
    assert feature.dataset_rows(workspace, project) == []


def test_the_report_in_a_line():
    report = ImportReport(120, 100, answers=300, date_format="%d.%m.%Y", wave=None)
    assert feature.report_summary(report).startswith("120 rows read, 100 valid, 20 with problems (skipped). "
                                                      "They hold 300 answers. Dates read as ")
    assert feature.report_summary(ImportReport(5, 5, wave="2026-03")) == \
        "5 rows read, 5 valid, 0 with problems (skipped). No dates: every answer belongs to the wave 2026-03."


def test_exclusion_rules_in_a_line():
    assert feature.exclusion_rules({"Status": ["Survey Preview", ""], "Finished": ["0"]}) == \
        "Status: Survey Preview, (blank); Finished: 0"


def test_text_columns_of_known_answer_words_can_still_be_scores():
    import pyarrow as pa

    table = pa.table({"Happy": ["yes", "no", None, "yes"], "Branch": ["Brno", "Praha", "Ostrava", "Brno"],
                      "Q1": ["Very satisfied", "Dissatisfied", "Neutral", "Satisfied"],
                      "Scored": ["yes", "no", "no", "no"]})
    found = feature.labelled_columns(table, skip={"Scored"})
    assert set(found) == {"Happy", "Q1"}  # place names are no answer words; a column already a score is skipped
    assert found["Happy"]["binary"] and found["Happy"]["scale"] == [0.0, 1.0]
    assert found["Q1"]["values"]["Very satisfied"] > found["Q1"]["values"]["Dissatisfied"]


def test_rows_a_layouts_rules_leave_out_are_counted():
    import pyarrow as pa

    table = pa.table({"Status": ["IP Address", "Survey Preview", " Survey Preview ", None],
                      "Finished": ["1", "1", "0", "1"]})
    assert feature.excluded_count(table, {"Status": ["Survey Preview"], "Finished": ["0"]}) == 2
    assert feature.excluded_count(table, {"Status": [""]}) == 1  # a blank status
    assert feature.excluded_count(table, {}) == 0
