"""Integration: files appended to a survey dataset become its next version, holding every file's answers once."""

import pyarrow.parquet as pq
import pytest

from tests.test_datasets import CZECH_LONG, LONG, snapshot
from workbench.core.contract import OVERALL
from workbench.core.errors import Cancelled, ConflictError, IngestError, WorkspaceError
from workbench.data import waves
from workbench.data.ingest import KpiMapping, SurveyMapping, WideColumn

BACKENDS = ("sqlite", "postgresql")  # the metadata database of every workspace these tests open

RATINGS = (WideColumn("Overall", OVERALL, "nps"), WideColumn("Web", "web", "csat"),
           WideColumn("Delivery", "delivery", "csat"))
MARCH = SurveyMapping(wave="2026-03", respondent_id="id", segments=("region",), wide=RATINGS)
APRIL = SurveyMapping(wave="2026-04", respondent_id="id", comment="comment", segments=("branch",), wide=RATINGS)


@pytest.fixture
def project(workspace, small_journey):
    project_id = workspace.create_project("Client")
    return project_id, workspace.create_journey(project_id, small_journey)


@pytest.fixture
def files(tmp_path):
    march, april = tmp_path / "march.csv", tmp_path / "april.csv"
    march.write_text("id,region,Overall,Web,Delivery\nr1,North,9,5,4\nr2,South,3,2,\nr3,North,10,4,5\n",
                     encoding="utf-8")
    april.write_text("id,branch,Overall,Web,Delivery,comment\n"
                     "r3,B1,8,4,4,again\n"  # r3 answered in March: the row is left out
                     "r4,B2,6,3,3,late\n"
                     "r5,B1,10,5,5,\n"
                     "r6,B2,12,,,\n", encoding="utf-8")  # NPS 12: left out for that, not counted twice
    return march, april


def test_an_appended_wave_becomes_the_next_version_with_both_files_answers(workspace, project, files):
    project_id, journey_id = project
    march, april = files
    first = workspace.datasets.import_file(project_id, march, MARCH, "Survey", journey_id=journey_id)
    assert waves.single_wave(first.meta) == waves.parse("2026-03")
    staged = workspace.datasets.stage(project_id, april, APRIL, append_to=first.id)
    report = staged.report
    assert (report.rows_read, report.rows_valid, report.answers) == (4, 2, 6)
    assert [(i.code, i.column, i.count, i.rows) for i in report.issues] == [
        ("range_nps", "Overall", 1, (5,)), ("duplicate_across_files", "id", 1, (2,))]
    info = workspace.datasets.commit(staged)
    assert (info.name, info.version, info.rows, info.journey_id) == ("Survey", 2, 14, journey_id)
    assert info.source == "march.csv + april.csv" and info.report == report
    assert [w["label"] for w in info.meta["waves"]] == ["2026-03", "2026-04"] and info.meta["dated"] is False
    assert waves.single_wave(info.meta) is None  # two waves: the pages compare them
    assert info.meta["segments"] == ["region", "branch"] and info.meta["respondents"] == 5
    assert info.meta["outcome"]["metric"] == "nps"
    stored = pq.read_table(info.path).to_pandas()
    assert sorted(stored["response_id"]) == sorted(f"r{r}:{tp}" for r in range(1, 6)
                                                   for tp in (OVERALL, "web", "delivery") if (r, tp) != (2, "delivery"))
    assert stored.loc[stored["respondent_id"] == "r3", "nps"].dropna().tolist() == [10]  # March's answer stays
    assert stored.loc[stored["respondent_id"] == "r4", "region"].isna().all()
    assert stored.loc[stored["respondent_id"] == "r1", "branch"].isna().all()
    assert [(d.version, d.latest) for d in workspace.datasets.list(project_id)] == [(2, True), (1, False)]
    assert first.path.exists()  # the first version is kept as it was


def test_a_file_without_ids_appended_under_the_same_name_keeps_every_answer(workspace, project, tmp_path):
    project_id, journey_id = project
    path = tmp_path / "export.csv"
    path.write_bytes(CZECH_LONG.encode("cp1250"))
    unnamed = SurveyMapping(**{**LONG.__dict__, "response_id": None})
    first = workspace.datasets.import_file(project_id, path, unnamed, "Survey", journey_id=journey_id)
    second = workspace.datasets.import_file(project_id, path, unnamed, None, append_to=first.id)
    third = workspace.datasets.import_file(project_id, path, unnamed, "survey", append_to=second.id)
    assert not second.report.issues[1:] and third.rows == 9
    ids = pq.read_table(third.path)["response_id"].to_pylist()
    assert len(set(ids)) == 9 and {i.rsplit(":", 1)[0] for i in ids} == {"export", "export@2", "export@3"}
    assert third.meta["dated"] is True and "waves" not in third.meta


def test_an_answer_id_already_in_the_dataset_is_reported_and_not_kept(workspace, project, tmp_path):
    project_id, journey_id = project
    path = tmp_path / "export.csv"
    path.write_bytes(CZECH_LONG.encode("cp1250"))
    first = workspace.datasets.import_file(project_id, path, LONG, "Survey", journey_id=journey_id)
    again = workspace.datasets.stage(project_id, path, LONG, append_to=first.id)
    duplicate = again.report.issues[-1]
    assert (duplicate.code, duplicate.column, duplicate.count, duplicate.rows) == ("duplicate_across_files", "ID", 3,
                                                                                    (2, 3, 4))
    assert again.report.rows_valid == 0
    with pytest.raises(WorkspaceError, match="No valid rows"):
        workspace.datasets.commit(again)


def test_a_dated_file_appended_to_a_wave_makes_the_dataset_dated(workspace, project, files, tmp_path):
    project_id, journey_id = project
    march, _april = files
    first = workspace.datasets.import_file(project_id, march, MARCH, "Survey", journey_id=journey_id)
    dated = tmp_path / "may.csv"
    dated.write_text("id,date,Overall,Web,Delivery\nr7,2026-05-04,9,5,5\n", encoding="utf-8")
    info = workspace.datasets.import_file(project_id, dated, SurveyMapping(ts="date", respondent_id="id", wide=RATINGS),
                                          None, append_to=first.id)
    assert info.meta["dated"] is True and [w["label"] for w in info.meta["waves"]] == ["2026-03"]
    assert waves.single_wave(info.meta) is None
    assert (info.meta["date_from"], info.meta["date_to"]) == ("2026-03-01T00:00:00", "2026-05-04T00:00:00")


def test_a_refused_or_cancelled_append_leaves_the_workspace_unchanged(workspace, project, files, tmp_path):
    project_id, journey_id = project
    march, april = files
    first = workspace.datasets.import_file(project_id, march, MARCH, "Survey", journey_id=journey_id)
    before = snapshot(workspace)
    satisfied = SurveyMapping(**{**APRIL.__dict__, "wide": (WideColumn("Overall", OVERALL, "csat"), *RATINGS[1:])})
    with pytest.raises(IngestError, match="overall outcome is CSAT .* the dataset's NPS"):
        workspace.datasets.stage(project_id, april, satisfied, append_to=first.id)
    with pytest.raises(IngestError, match="Only survey answers"):
        workspace.datasets.stage(project_id, april, KpiMapping(period="id", kpis=("Web",)), append_to=first.id)
    with pytest.raises(IngestError, match="another journey"):
        workspace.datasets.stage(project_id, april, APRIL, append_to=first.id, journey_id=journey_id + 1)
    with pytest.raises(Cancelled):
        workspace.datasets.stage(project_id, april, APRIL, append_to=first.id, cancelled=lambda: True)
    staged = workspace.datasets.stage(project_id, april, APRIL, append_to=first.id)
    with pytest.raises(WorkspaceError, match="cannot be named otherwise"):
        workspace.datasets.commit(staged, "Other")
    workspace.datasets.discard(staged)
    assert snapshot(workspace) == before

    second = workspace.datasets.import_file(project_id, april, APRIL, None, append_to=first.id)
    with pytest.raises(IngestError, match="version 1 is not its latest"):
        workspace.datasets.stage(project_id, april, APRIL, append_to=first.id)
    assert second.version == 2


def test_an_append_to_a_version_that_is_no_longer_the_latest_is_refused_at_commit(workspace, project, files):
    project_id, journey_id = project
    march, april = files
    first = workspace.datasets.import_file(project_id, march, MARCH, "Survey", journey_id=journey_id)
    one, other = (workspace.datasets.stage(project_id, april, APRIL, append_to=first.id) for _ in range(2))
    kept = workspace.datasets.commit(one)
    files_before, rows_before = snapshot(workspace)
    with pytest.raises(ConflictError, match="changed meanwhile"):
        workspace.datasets.commit(other.token)
    assert not other.temp_file.exists()  # staged with version 1's answers: it must be checked again
    with pytest.raises(WorkspaceError, match="no longer waiting"):
        workspace.datasets.commit(other.token)
    waiting = {f"tmp/{other.token}.json", f"tmp/{other.token}.parquet"}
    assert snapshot(workspace) == ({k: v for k, v in files_before.items() if k not in waiting}, rows_before)
    assert [(d.version, d.rows) for d in workspace.datasets.list(project_id)] == [(2, kept.rows), (1, first.rows)]
