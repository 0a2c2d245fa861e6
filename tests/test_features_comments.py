"""The Comments screen's features without a browser: coding with the stored codebook and people's corrections, the
theme counts, the comment browser, and the codebook edited, imported and exported against the version shown."""

from __future__ import annotations

import base64
import dataclasses
import datetime

import pyarrow as pa
import pytest

from workbench.analysis import coding
from workbench.core.codebook import Codebook, Theme
from workbench.core.errors import ConflictError
from workbench.features import comments
from workbench.features.selection import Selection
from workbench.repos import text as text_files

CODEBOOK = Codebook((Theme("late", "Late", ("late",)), Theme("price", "Price", ("price", "expensive"))))


@pytest.fixture
def survey(workspace, small_journey):
    """Six answers: four comments (one blank) at web and delivery, NPS 2, 9 and 10, two branches."""
    project = workspace.create_project("Client")
    journey_id = workspace.create_journey(project, small_journey)
    table = pa.table({
        "response_id": ["1", "2", "3", "4", "5", "6"], "respondent_id": ["a", "b", "c", "d", "e", "f"],
        "ts": [datetime.datetime(2026, 5, day) for day in (1, 2, 3, 4, 5, 6)],
        "touchpoint": ["web", "delivery", "delivery", "web", "web", "delivery"],
        "nps": [2, 9, 10, 5, 7, 3], "branch": ["Brno", "Praha", "Brno", "Praha", "Brno", "Praha"],
        "comment": ["Late and expensive", "late again", "great price", "  ", None, "fine"]})
    info = workspace.datasets.add_table(project, table, "Survey", "survey", journey_id=journey_id)
    chosen = Selection(project_id=project, journey=small_journey, sources=(str(info.path),), metric="nps",
                       date_from=None, date_to=None, filters=())
    return workspace, chosen


def test_corrections_keep_only_what_differs_from_the_rules():
    assert coding.corrections(CODEBOOK, "Late again", {"price"}) == {"late": False, "price": True}
    assert coding.corrections(CODEBOOK, "Late again", {"late"}) == {}
    assert coding.corrections(CODEBOOK, "", set()) == {}


def test_comments_are_coded_and_a_person_s_choice_wins(survey):
    workspace, chosen = survey
    workspace.verbatims.save_codebook(chosen.project_id, CODEBOOK, expected_version=0)
    frame, tags = comments.coded(workspace, chosen.project_id, chosen.query(by=()))
    assert frame["response_id"].tolist() == ["1", "2", "3", "6"]  # blank and missing comments are not comments
    assert tags["late"].tolist() == [True, True, False, False] and tags["price"].tolist() == [True, False, True, False]
    comments.retag(workspace, chosen.project_id, "6", "fine", {"price"}, "Eva")
    assert workspace.verbatims.overrides(chosen.project_id) == {"6": {"price": True}}
    _frame, corrected = comments.coded(workspace, chosen.project_id, chosen.query(by=()))
    assert corrected["price"].tolist() == [True, False, True, True]


def test_the_counts_by_theme_score_and_segment(survey):
    workspace, chosen = survey
    empty = comments.themes(workspace, chosen, "nps", "touchpoint")
    assert empty.totals is None and empty.version == 0 and empty.empty == ""
    workspace.verbatims.save_codebook(chosen.project_id, CODEBOOK, expected_version=0)
    found = comments.themes(workspace, chosen, "nps", "branch")
    assert found.compare == "branch" and found.segments == ["branch"] and found.version == 1
    assert found.touchpoints == ["delivery", "web"] and found.names["_overall"] == "Overall"
    totals = found.totals.set_index("theme")
    assert totals.loc["late", ["comments", "mentions"]].tolist() == [4, 2]
    assert totals.loc["late", "share"] == pytest.approx(0.5)
    by_branch = found.by_group.set_index(["branch", "theme"])
    assert by_branch.loc[("Brno", "price"), ["comments", "mentions"]].tolist() == [2, 2]
    by_score = found.by_score.set_index("theme")
    assert by_score.loc["late", ["negative", "positive"]].tolist() == [1, 1]  # NPS 2 and 9
    assert comments.themes(workspace, chosen, "nps", "nowhere").compare == "touchpoint"


def test_a_selection_without_comments_says_whether_the_survey_has_any(survey):
    workspace, chosen = survey
    later = Selection(**{**chosen.__dict__, "date_from": datetime.date(2027, 1, 1)})
    assert comments.themes(workspace, later, "nps", "touchpoint").empty == "selection"
    assert comments.has_comments(chosen.sources)


def test_the_browser_lists_the_newest_matching_comments_with_names(survey):
    workspace, chosen = survey
    workspace.verbatims.save_codebook(chosen.project_id, CODEBOOK, expected_version=0)
    rows = comments.comments(workspace, chosen, "nps", theme="late")
    assert [(r.response_id, r.date, r.touchpoint, r.score, r.themes) for r in rows] == [
        ("2", "2026-05-02", "Delivery", 9.0, "Late"), ("1", "2026-05-01", "Web", 2.0, "Late, Price")]
    assert [r.response_id for r in comments.comments(workspace, chosen, "nps", touchpoint="web")] == ["1"]
    assert [r.response_id for r in comments.comments(workspace, chosen, "nps", score_group="positive")] == ["3", "2"]


def test_the_codebook_is_edited_against_the_version_shown(survey):
    workspace, chosen = survey
    project = chosen.project_id
    with pytest.raises(ConflictError):  # a version shown that was never saved (the codebook is still empty)
        comments.save_theme(workspace, project, None, "Late", "late", "", "Eva", 3)
    saved = comments.save_theme(workspace, project, None, " Delivery  time ", "late, slow", "", "Eva", None)
    assert saved.key and saved.name == "Delivery time" and saved.keywords == ("late", "slow")
    assert comments.theme(workspace, project, saved.key) == saved
    with pytest.raises(ConflictError):
        comments.save_theme(workspace, project, saved.key, "Other", "x", "", "Jan", 0)  # saved since version 0
    comments.delete_theme(workspace, project, saved.key, "Eva", 1)
    assert comments.codebook(workspace, project) == (Codebook(()), 2)
    assert comments.theme(workspace, project, saved.key) is None


def test_a_codebook_file_is_imported_and_exported(survey):
    workspace, chosen = survey
    project = chosen.project_id
    text = "key;name;sentiment;keywords;patterns\nlate;Late;negative;late|slow;\n"
    upload = "data:text/csv;base64," + base64.b64encode(text.encode()).decode()
    loaded = comments.import_codebook(workspace, project, upload, "book.csv", "Eva", None)
    assert loaded == Codebook((Theme("late", "Late", ("late", "slow"), (), "negative"),))
    content, name = comments.export_codebook(workspace, project, "yaml")
    assert name == "codebook.yaml" and text_files.load_codebook(content, "yaml") == loaded


def test_the_counts_shown_again_are_read_back_and_anything_they_are_counted_from_counts_again(survey, monkeypatch):
    """The theme counts are kept under all they depend on: the same screen again reads them back; a person's
    choice, another codebook, metric, comparison, touchpoint name or language counts again."""
    from workbench.core import i18n

    workspace, chosen = survey
    workspace.verbatims.save_codebook(chosen.project_id, CODEBOOK, expected_version=0)
    first = comments.themes(workspace, chosen, "nps", "branch")
    counted = []
    real = comments._themes
    monkeypatch.setattr(comments, "_themes", lambda *args: counted.append(args[2:4]) or real(*args))
    again = comments.themes(workspace, chosen, "nps", "branch")
    assert counted == [] and again.totals.equals(first.totals) and again.by_group.equals(first.by_group)
    comments.themes(workspace, chosen, "csat", "branch")
    comments.themes(workspace, chosen, "nps", "touchpoint")
    with i18n.language("cs"):
        assert comments.themes(workspace, chosen, "nps", "branch").names["_overall"] != "Overall"
    first_touchpoint = dataclasses.replace(chosen.journey.touchpoints[0], name="Renamed")
    journey = dataclasses.replace(chosen.journey, touchpoints=(first_touchpoint, *chosen.journey.touchpoints[1:]))
    renamed = comments.themes(workspace, dataclasses.replace(chosen, journey=journey), "nps", "branch")
    assert "Renamed" in renamed.names.values() and len(counted) == 4
    comments.retag(workspace, chosen.project_id, "6", "fine", {"price"}, "Eva")
    after = comments.themes(workspace, chosen, "nps", "branch")
    assert len(counted) == 5 and after.totals.set_index("theme").loc["price", "mentions"] == 3
    workspace.verbatims.save_codebook(chosen.project_id, Codebook(CODEBOOK.themes[:1]), expected_version=1)
    assert list(comments.themes(workspace, chosen, "nps", "branch").totals["theme"]) == ["late"]
    assert len(counted) == 6
