"""Integration: each real survey-tool export in tests/data (sources in its README) through `cxwb inspect` and
`cxwb import` — the Data page's code path (ingest.read_source → guesses → stage) — checked against the source file:
rows, excluded preview/test responses, dates and spot values."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from workbench.cli import main
from workbench.core.journey import Edge, Journey, Owner, Stage, Touchpoint
from workbench.features.workspace import open_workspace

DATA = Path(__file__).parent / "data"
CHARACTERS = ("Han Solo", "Luke Skywalker", "Princess Leia Organa", "Anakin Skywalker", "Obi Wan Kenobi",
              "Emperor Palpatine", "Darth Vader", "Lando Calrissian", "Boba Fett", "C-3P0", "R2 D2", "Jar Jar Binks",
              "Padme Amidala", "Yoda")
FAN = "Do you consider yourself to be a fan of the Star Wars film franchise?"


def workspace_with(tmp_path: Path, names: tuple[str, ...]) -> str:
    """A workspace with project "Client" and a journey whose touchpoints are ``names``; its folder."""
    keys = [f"t{i}" for i in range(len(names))]
    journey = Journey(name="Journey", stages=(Stage("all", "All"),), owners=(Owner("Team"),),
                      touchpoints=tuple(Touchpoint(k, n, "all", "web", "Team", entry=i == 0)
                                        for i, (k, n) in enumerate(zip(keys, names))),
                      edges=tuple(Edge(a, b) for a, b in zip(keys, keys[1:])))
    folder = tmp_path / "ws"
    with open_workspace(folder) as workspace:
        workspace.create_journey(workspace.create_project("Client"), journey)
    return str(folder)


def inspect(capsys, path: Path, folder: str) -> dict:
    assert main(["inspect", str(path), "--workspace", folder, "--project", "Client"]) == 0
    return json.loads(capsys.readouterr().out)


def run_import(capsys, tmp_path: Path, folder: str, path: Path, mapping: dict, *extra: str) -> tuple[int, str]:
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps(mapping), encoding="utf-8")
    code = main(["import", str(path), "--project", "Client", "--name", "Survey", "--mapping", str(mapping_file),
                 "--workspace", folder, *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def stored(folder: str):
    with open_workspace(folder) as workspace:
        info = workspace.datasets.list(workspace.projects()[0].id)[0]
        return info, pq.read_table(info.path)


def source_rows(name: str, header_rows: int, encoding: str = "utf-8") -> list[list[str]]:
    with (DATA / name).open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle))[header_rows:]


def test_qualtrics_matrix_test_responses_are_excluded_then_imported_when_kept(tmp_path, capsys):
    name = "qualtricstools_Single_Answer_Matrix_Questions__Insights_.csv"
    folder = workspace_with(tmp_path, ("Statement 1", "Statement 2", "Statement 3"))
    found = inspect(capsys, DATA / name, folder)
    assert (found["layout"], found["header_rows"], found["rows_read"]) == ("qualtrics", 3, 5)
    assert found["date_format"] == "yyyy-mm-dd hh:mm:ss[.fff]"
    assert {"name": "Q2_1", "question": "Click to write the question text-Click to write Statement 1"} in \
        found["columns"]
    mapping = found["mapping"]
    # The statements are matched through the question texts of the export's second header row.
    assert {(w["column"], w["touchpoint"]) for w in mapping["wide"]} >= {("Q2_1", "t0"), ("Q2_2", "t1"), ("Q2_3", "t2")}
    assert mapping["exclude"]["Status"][:2] == ["Survey Preview", "Survey Test"]
    # Every response of this sample is a Qualtrics test response (Status 2): excluded by default, said, nothing kept.
    code, out = run_import(capsys, tmp_path, folder, DATA / name, mapping)
    assert code == 2 and "5 rows read, 0 valid" in out and "excluded: a preview, test" in out and "Nothing imported" in out
    # The user keeps them (the page's tick, here the mapping's "exclude" emptied): the five rows are imported.
    code, out = run_import(capsys, tmp_path, folder, DATA / name, {**mapping, "exclude": {}})
    assert code == 0 and "5 rows read, 5 valid" in out and "Dates read as yyyy-mm-dd hh:mm:ss[.fff]." in out
    info, table = stored(folder)
    truth = source_rows(name, 3)
    assert info.meta["layout"] == "qualtrics" and info.meta["dialect"]["header_rows"] == 3
    rows = table.to_pylist()
    q2_1 = sorted((r["respondent_id"], r.get("csat") or r.get("rating")) for r in rows if r["touchpoint"] == "t0")
    assert q2_1 == sorted((row[0], float(row[11])) for row in truth)
    ends = {r["respondent_id"]: r["ts"] for r in rows}
    assert ends[truth[-1][0]] == dt.datetime(2016, 5, 27, 11, 33, 35)  # EndDate of the last response


def test_surveymonkey_favourability_words_with_a_wave_and_a_yes_no_outcome(tmp_path, capsys):
    name = "fivethirtyeight_StarWars.csv"
    folder = workspace_with(tmp_path, CHARACTERS)
    found = inspect(capsys, DATA / name, folder)
    assert (found["layout"], found["header_rows"], found["rows_read"]) == ("surveymonkey", 2, 1186)
    assert found["date_format"] is None and any("No column reads as dates" in w for w in found["warnings"])
    mapping = found["mapping"]
    assert mapping["respondent_id"] == "RespondentID"
    han = next(w for w in mapping["wide"] if w["column"].endswith("– Han Solo"))
    assert han["touchpoint"] == "t0"
    words = mapping["value_labels"][han["column"]]
    assert words["Very favorably"] > words["Somewhat favorably"] > words["Very unfavorably"]
    assert words["Unfamiliar (N/A)"] is None
    # What the user adds on the page: the fan question as the yes/no outcome, and the fieldwork month.
    mapping["wide"].append({"column": FAN, "touchpoint": "_overall", "metric": "rating", "scale": [0, 1]})
    mapping["value_labels"][FAN] = {"Yes": 1, "No": 0}
    mapping["outcome_label"] = "Fan"
    code, out = run_import(capsys, tmp_path, folder, DATA / name, mapping, "--wave", "2014-06")
    assert code == 0, out
    assert "1\u00a0186 rows read" in out and "No dates: every answer belongs to the wave 2014-06." in out
    info, table = stored(folder)
    truth = source_rows(name, 2, "cp1252")
    rows = table.to_pylist()
    fans = {r["respondent_id"]: r["rating"] for r in rows if r["touchpoint"] == "_overall"}
    assert sum(fans.values()) == sum(row[2] == "Yes" for row in truth)
    assert len(fans) == sum(row[2] in ("Yes", "No") for row in truth)
    first = truth[0]  # 3292879998: Han Solo "Very favorably", Lando Calrissian "Unfamiliar (N/A)"
    han_rows = {r["respondent_id"]: r for r in rows if r["touchpoint"] == "t0"}
    assert han_rows[first[0]]["csat"] == words["Very favorably"]
    assert not any(r["respondent_id"] == first[0] and r["touchpoint"] == "t7" for r in rows)  # N/A: no answer
    assert {r["ts"] for r in rows} == {dt.datetime(2014, 6, 1)}
    assert info.meta["outcome"]["label"] == "Fan" and info.meta["outcome"]["binary"]


def test_google_forms_timestamps_are_read_month_first_and_a_file_without_scores_is_refused(tmp_path, capsys):
    name = "googleforms_cs50_favorites.csv"
    folder = workspace_with(tmp_path, ("Title",))
    found = inspect(capsys, DATA / name, folder)
    assert (found["layout"], found["rows_read"], found["date_format"]) == ("google-forms", 490, "mm/dd/yyyy hh:mm:ss")
    assert found["mapping"]["ts"] == "Timestamp"
    code, out = run_import(capsys, tmp_path, folder, DATA / name, found["mapping"])
    assert code == 2 and "rating columns to touchpoints" in out and "Traceback" not in out
    with open_workspace(folder) as workspace:
        assert workspace.datasets.list(workspace.projects()[0].id) == []


def test_qualtrics_new_export_keeps_its_real_response_with_the_german_question_texts(tmp_path, capsys):
    name = "qualtRics_sample.csv"
    folder = workspace_with(tmp_path, ("Multiple choice",))
    found = inspect(capsys, DATA / name, folder)
    assert (found["layout"], found["header_rows"], found["rows_read"]) == ("qualtrics", 3, 1)
    assert {"name": "StartDate", "question": "Anfangsdatum"} in found["columns"]
    mapping = {**found["mapping"], "respondent_id": "ResponseId", "comment": "Q2",
               "wide": [{"column": "Q1", "touchpoint": "t0", "metric": "rating", "scale": [1, 5]}]}
    code, out = run_import(capsys, tmp_path, folder, DATA / name, mapping)
    assert code == 0 and "1 row read, 1 valid" in out, out  # Status 0, channel "anonymous": a real response
    _info, table = stored(folder)
    row = table.to_pylist()[0]
    assert (row["respondent_id"], row["rating"], row["comment"]) == ("R_2YPOQ602ER1jkf1", 2.0, "Hello World!")
    assert row["ts"] == dt.datetime(2017, 7, 18, 8, 28, 48)  # RecordedDate


@pytest.mark.parametrize("name", ["qualtricstools_Better_Sample_Survey.csv",
                                  "qualtricstools_Test_Survey_for_Coded_Comments.csv"])
def test_older_qualtrics_exports_are_recognised_and_their_test_responses_counted(tmp_path, capsys, name):
    found = inspect(capsys, DATA / name, workspace_with(tmp_path, ("Fruit",)))
    truth = source_rows(name, 3)
    assert (found["layout"], found["header_rows"], found["rows_read"]) == ("qualtrics", 3, len(truth))
    assert found["mapping"]["ts"] == "EndDate" and found["mapping"]["respondent_id"] == "ResponseID"
    status = [row[10] for row in truth]
    assert set(status) == {"2"}  # all are test responses: the exclusion rule the import proposes covers them
    assert "2" in found["mapping"]["exclude"]["Status"]


def test_spss_file_with_value_labels_and_question_texts(tmp_path, capsys):
    name = "pyreadstat_sample.sav"
    folder = workspace_with(tmp_path, ("Ordinal",))
    found = inspect(capsys, DATA / name, folder)
    assert (found["kind"], found["layout"], found["rows_read"]) == ("spss", "spss", 5)
    assert {"name": "myord", "question": "ordinal"} in found["columns"]
    mapping = {**found["mapping"], "ts": "mydate", "segments": ["mychar"],
               "wide": [{"column": "myord", "touchpoint": "t0", "metric": "rating", "scale": [1, 3]}]}
    code, out = run_import(capsys, tmp_path, folder, DATA / name, mapping)
    assert code == 0, out
    _info, table = stored(folder)
    rows = sorted(table.to_pylist(), key=lambda r: r["mychar"])
    assert [r["mychar"] for r in rows][:2] == ["a", "b"] and rows[0]["rating"] == 1.0
    assert rows[0]["ts"] == dt.datetime(2018, 5, 6)
