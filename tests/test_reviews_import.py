"""Review imports end to end (``workbench.features.reviews``): stored as a reviews survey, stars on the heatmap, matrix
and trend with n, SE and interval computed by hand, re-imports de-duplicated, reply KPIs, texts through the codebook
on the Comments page, and a failed import that leaves the workspace as it was."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core import access
from workbench.core.codebook import Codebook, Theme
from workbench.core.errors import WorkspaceError
from workbench.core.journey import Journey, Stage, Touchpoint
from workbench.features import comments, heatmap
from workbench.features import reviews as features
from workbench.features.selection import Selection
from workbench.features.workspace import open_workspace
from workbench.repos.datasets import SAMPLE_FOLDER

DATA = Path(__file__).parent / "data"
ROUTES = "Facebook = online\nApp Store = app\nGoogle Play = app"
# Seven reviews: five about the branch visit (5, 4, 4, 2, 5 stars), replies after 2, 10 and 30 hours at Kolín.
EXPORT = """id,date,platform,branch,stars,text,reply,reply date
1,2026-03-02 10:00,Google,Kolín,5,Quick pickup,Thanks,2026-03-02 12:00
2,2026-03-05 09:00,Google,Kolín,4,Fine,Thanks,2026-03-05 19:00
3,2026-03-09 08:00,Google,Kolín,4,Queue was long,Sorry,2026-03-10 14:00
4,2026-03-12 16:00,Google,Kolín,2,Rude staff,,
5,2026-03-15 11:00,Google,Kladno,5,Great,,
6,2026-03-20 11:00,Facebook,Kladno,1,Parcel lost,,
7,2026-03-21 11:00,App Store,,3,App crashes,,
"""
JOURNEY = Journey(
    name="Pickup",
    stages=(Stage("get", "Get"),),
    touchpoints=(
        Touchpoint("online", "Online", "get", "web"),
        Touchpoint("app", "App", "get", "app"),
        Touchpoint("visit", "Branch visit", "get", "branch"),
    ),
)


@pytest.fixture
def project(workspace):
    project_id = workspace.create_project("Reviews")
    return workspace, project_id, workspace.create_journey(project_id, JOURNEY)


def imported(project, content: str | bytes = EXPORT, filename: str = "reviews.csv", **options):
    workspace, project_id, journey_id = project
    data = content.encode() if isinstance(content, str) else content
    return features.import_reviews(workspace, project_id, journey_id, data, ROUTES, "visit", filename=filename,
                                   **options)


def chosen(project, dataset) -> Selection:
    workspace, project_id, journey_id = project
    return Selection(project_id, workspace.journey(journey_id).journey, (str(dataset.path),), "stars", None, None, (),
                     journey_id=journey_id, dataset_id=dataset.id)


def test_an_export_is_stored_as_a_reviews_survey_whose_stars_the_heatmap_shows_with_hand_computed_intervals(project):
    result = imported(project)
    assert (result.read, result.new, result.updated, result.unchanged, result.refused, result.total) == (7, 7, 0, 0,
                                                                                                       0, 7)
    dataset = result.dataset
    assert dataset.name == "Reviews" and dataset.kind == "survey" and dataset.meta["source"] == "reviews"
    assert dataset.meta["metrics"] == ["stars"] and dataset.meta["segments"] == ["branch", "platform"]
    selection = chosen(project, dataset)
    scores = heatmap.scores(project[0], selection, minimum=5).set_index("touchpoint")
    visit = scores.loc["visit"]
    # 5, 4, 4, 2, 5: mean 4, s² = 6/4, SE = √(1.5/5); t(0.975, 4) = 2.776445; the top cut at 5 stars.
    assert (visit["value"], visit["n"]) == (4.0, 5)
    assert visit["se"] == pytest.approx(math.sqrt(1.5 / 5), abs=1e-12)
    assert (visit["low"], visit["high"]) == (pytest.approx(4 - 2.7764451051977934 * math.sqrt(0.3), abs=1e-9), 5.0)
    assert visit["status"] != "low_n" and scores.loc["online", "n"] == 1 and scores.loc["app", "value"] == 3.0
    trend = heatmap.trend(project[0], selection, "visit", minimum=5).lines[0].series
    assert trend[["value", "n"]].values.tolist() == [[4.0, 5]]
    assert trend["low"].iloc[0] == pytest.approx(visit["low"])
    cells = heatmap.segment_matrix(project[0], selection, "branch", minimum=1).cells
    kolin = cells[(cells["touchpoint"] == "visit") & (cells["segment"] == "Kolín")].iloc[0]
    assert (kolin["value"], kolin["n"]) == (3.75, 4)  # 5, 4, 4, 2
    drawn = heatmap.journey_map(project[0], selection, minimum=5)
    assert drawn.answers == 7 and "4.00" in drawn.nodes["visit"]["label"]


def test_reply_kpis_per_branch_and_platform_by_hand(project):
    dataset = imported(project).dataset
    by_branch = {k.group: k for k in features.reply_kpis(project[0], dataset.id, "branch", min_n=4)}
    assert list(by_branch) == ["Kolín", "Kladno"]  # the app store's review has no branch
    kolin = by_branch["Kolín"]
    assert (kolin.reviews, kolin.replied, kolin.timed, kolin.median_hours) == (4, 3, 3, 10.0)  # 2, 10, 30 hours
    # Wilson for 3 of 4 at 95 %: centre (p + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p(1−p)/n + z²/4n²).
    assert kolin.rate.value == 75.0 and not kolin.rate.low_n
    assert (kolin.rate.low, kolin.rate.high) == (pytest.approx(30.064184258, abs=1e-6), pytest.approx(95.441273919,
                                                                                                      abs=1e-6))
    kladno = by_branch["Kladno"]
    assert (kladno.reviews, kladno.replied, kladno.median_hours, kladno.rate.value, kladno.rate.low_n) == (
        2, 0, None, 0.0, True)
    by_platform = {k.group: (k.reviews, k.replied) for k in features.reply_kpis(project[0], dataset.id, "platform")}
    assert by_platform == {"Google": (5, 3), "Facebook": (1, 0), "App Store": (1, 0)}
    with pytest.raises(ValueError, match="by branch or platform"):
        features.reply_kpis(project[0], dataset.id, "author")


def test_a_re_import_adds_only_new_reviews_and_replaces_changed_ones(project):
    sample = (SAMPLE_FOLDER / "reviews-cs-cp1250.csv").read_bytes()
    first = imported(project, sample, "reviews-cs-cp1250.csv")
    assert (first.new, first.total) == (120, 120)
    # The later export: its newest 60 again (two of them now answered) and 15 new ones.
    later = imported(project, (DATA / "reviews-cs-later.csv").read_bytes(), "reviews-cs-later.csv")
    assert (later.read, later.new, later.updated, later.unchanged, later.total) == (75, 15, 2, 58, 135)
    assert later.dataset.version == 2 and later.dataset.rows == 135
    again = imported(project, (DATA / "reviews-cs-later.csv").read_bytes(), "reviews-cs-later.csv")
    assert (again.new, again.updated, again.unchanged, again.dataset) == (0, 0, 75, None)  # no version written
    workspace, project_id, _journey = project
    assert [d.version for d in features.reviews_datasets(workspace, project_id)] == [2]
    # An export with ids: the review edited since (text and stars) replaces its old row.
    edited = EXPORT.replace("2,Rude staff,,", "3,Rude staff (they called me back),Sorry,2026-03-13 09:00")
    result = imported(project, edited, name="Shop reviews")
    assert result.new == 7
    result = imported(project, EXPORT, name="Shop reviews")
    assert (result.new, result.updated, result.unchanged, result.total) == (0, 1, 6, 7)
    rows = {r["response_id"]: r for r in pq.read_table(result.dataset.path).to_pylist()}
    assert rows["google:4"]["comment"] == "Rude staff" and rows["google:4"]["reply"] is None


def test_review_texts_go_through_the_codebook_on_the_comments_page(project):
    dataset = imported(project).dataset
    workspace, project_id, _journey = project
    codebook = Codebook((Theme("queue", "Queue", ("queue",)), Theme("staff", "Staff", ("staff", "rude"))))
    workspace.verbatims.save_codebook(project_id, codebook, expected_version=0)
    selection = chosen(project, dataset)
    rows = comments.comments(workspace, selection, "stars")
    assert [r.comment for r in rows][:2] == ["App crashes", "Parcel lost"]  # newest first
    rude = next(r for r in rows if r.comment == "Rude staff")
    assert (rude.score, rude.themes, rude.touchpoint) == (2.0, "Staff", "Branch visit")
    negative = comments.comments(workspace, selection, "stars", score_group="negative")
    assert {r.comment for r in negative} == {"Rude staff", "Parcel lost"}  # 1–2 stars
    found = comments.themes(workspace, selection, "stars", "branch")
    assert found.compare == "branch" and set(found.segments) == {"branch", "platform"}  # the reply is no segment
    assert int(found.totals.set_index("theme").loc["queue", "mentions"]) == 1


def _files(folder: Path) -> dict[str, int]:
    """The workspace's files but its database and query cache, with their sizes."""
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*")
            if p.is_file() and not p.name.startswith("workbench.db") and "cache" not in p.parts}


def test_a_failed_import_leaves_the_workspace_exactly_as_it_was(project, monkeypatch):
    workspace, project_id, _journey = project
    imported(project)
    workspace.datasets.settle()
    before = (_files(workspace.datasets.root), workspace.datasets.list(project_id))

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(workspace.datasets, "commit", broken)
        with pytest.raises(OSError, match="disk full"):
            imported(project, (DATA / "reviews-cs-later.csv").read_bytes(), "later.csv")
    with pytest.raises(WorkspaceError, match="bad.csv: no review could be imported.\nbad.csv, row 2, column 'stars'"):
        imported(project, "id,date,platform,stars\n1,2026-01-01,Google,9\n", "bad.csv")
    with pytest.raises(ValueError, match="“shop” is not a touchpoint"):
        features.import_reviews(workspace, project_id, _journey, EXPORT.encode(), "Google = shop", "visit",
                                filename="x.csv")
    workspace.datasets.settle()
    assert (_files(workspace.datasets.root), workspace.datasets.list(project_id)) == before


def test_a_survey_of_the_same_name_and_a_scoped_member_are_refused(project):
    workspace, project_id, journey_id = project
    survey = pa.table({"response_id": ["a"], "ts": pa.array([0], pa.timestamp("ms")), "touchpoint": ["visit"],
                       "csat": pa.array([4], pa.int8())})
    workspace.datasets.add_table(project_id, survey, "Survey", "survey")
    with pytest.raises(WorkspaceError, match="“Survey” holds other data than reviews"):
        imported(project, name="Survey")
    reader = access.Access(None, frozenset())
    with access.acting(reader), pytest.raises(access.AccessRefused):
        imported(project)


REVIEWS = json.loads((SAMPLE_FOLDER / "reviews-en.json").read_text())["reviews"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sets(st.integers(0, len(REVIEWS) - 1), min_size=1, max_size=25), min_size=1, max_size=4))
def test_re_importing_any_subsets_and_supersets_never_duplicates_a_review(exports):
    """Whatever overlapping exports come in whatever order, the dataset holds each review once: the union."""
    with tempfile.TemporaryDirectory() as folder:
        workspace = open_workspace(Path(folder) / "ws")
        try:
            project_id = workspace.create_project("P")
            journey_id = workspace.create_journey(project_id, JOURNEY)
            seen: set[int] = set()
            for chosen_reviews in exports:
                content = json.dumps([REVIEWS[i] for i in sorted(chosen_reviews)]).encode()
                result = features.import_reviews(workspace, project_id, journey_id, content, ROUTES, "visit",
                                                 filename="export.json")
                assert result.new == len(chosen_reviews - seen) and result.updated == 0
                seen |= chosen_reviews
                assert result.total == len(seen)
            [latest] = features.reviews_datasets(workspace, project_id)
            ids = pq.read_table(latest.path)["response_id"].to_pylist()
            assert len(ids) == len(set(ids)) == len(seen)
        finally:
            workspace.close()
