"""The app finds what the demo's sources plant (workbench.data.demosources): a branch whose mystery-shopping
compliance fell and whose public reviews fell with it, through the feature functions the pages call."""

from __future__ import annotations

from workbench.data import demosources
from workbench.features import audits, heatmap, selection

LAST_QUARTER = ("2026-08-01", "2026-10-31")  # the demo's last three months: the fall's months


def _datasets(workspace, project_id):
    reviews = next(d for d in workspace.datasets.list(project_id, "survey") if d.meta.get("source") == "reviews")
    audit = next(d for d in workspace.datasets.list(project_id, "audit"))
    return reviews, audit


def test_the_reviews_break_at_the_falling_branch(seeded_demo):
    """Stars over the last quarter: the one break the heatmap lists is the branch visit at the planted branch."""
    workspace, project_id, journey_id, _effects = seeded_demo
    reviews, _audit = _datasets(workspace, project_id)
    chosen = selection.resolve(
        workspace,
        {"project": project_id, "journey": journey_id, "dataset": reviews.id, "metric": "stars",
         "from": LAST_QUARTER[0], "to": LAST_QUARTER[1]},
    )  # fmt: skip
    found = [f.item for f in heatmap.find_breaks(workspace, chosen)]
    assert found, "no break found in the reviews"
    first = found[0]
    assert (first.touchpoint, first.segment) == ("pickup-point", demosources.FALLING_BRANCH)
    assert first.metric == "stars" and first.delta < -0.5


def test_the_audits_name_the_falling_branch_first(seeded_demo):
    workspace, project_id, _journey_id, _effects = seeded_demo
    _reviews, audit = _datasets(workspace, project_id)
    view = audits.view(workspace, audit.id)
    assert [f.branch for f in view.falling] == [demosources.FALLING_BRANCH]  # at a 5 % FDR over 50 branches


def test_the_survey_is_still_the_journeys_survey(seeded_demo):
    """Reviews are a source of their own: the heatmap, alerts and drivers keep the survey as the journey's."""
    workspace, project_id, journey_id, _effects = seeded_demo
    chosen = workspace.datasets.survey_for(project_id, journey_id)
    assert chosen is not None and chosen.meta.get("source") != "reviews"


def test_branches_that_comply_have_happier_reviewers(seeded_demo):
    """Across branches, compliance and mean stars go together (both follow the branch's standing)."""
    workspace, project_id, _journey_id, _effects = seeded_demo
    reviews, audit = _datasets(workspace, project_id)
    link = audits.branch_link(workspace, audit.id, reviews.id, "stars")
    assert link.correlation is not None and link.correlation.branches >= 10
    assert link.correlation.low > 0, link.text
