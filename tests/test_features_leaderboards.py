"""The Leaderboards screen's features without a browser: what can be ranked, and the ranked boards."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.features import leaderboards as features
from workbench.features import selection


@pytest.fixture(scope="module")
def demo(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    dataset_id = workspace.datasets.survey_for(project_id, journey_id).id
    data = {"project": project_id, "journey": journey_id, "dataset": dataset_id, "metric": "nps",
            "from": "2026-06-01", "to": "2026-08-31", "segments": []}
    return workspace, data


def test_branches_are_ranked_first_and_a_level_chosen_stays(demo):
    workspace, data = demo
    chosen = selection.resolve(workspace, data)
    found = features.levels(chosen)
    assert found.level == "branch"
    assert [c.value for c in found.levels] == [features.OWNER, *chosen.segment_columns()]
    assert features.levels(chosen, "channel").level == "channel"
    assert features.levels(chosen, "gone").level == "branch"
    assert [c.value for c in found.touchpoints] == [features.ALL_TOUCHPOINTS,
                                                    *(tp.key for tp in chosen.journey.touchpoints)]


def test_without_a_branch_column_the_owners_are_ranked(demo):
    workspace, data = demo
    chosen = selection.resolve(workspace, data)
    no_columns = features.levels(_without_columns(chosen))
    assert [c.value for c in no_columns.levels] == [features.OWNER] and no_columns.level == features.OWNER


def _without_columns(chosen):
    """The selection as if its survey had no segment columns."""
    class Bare(type(chosen)):
        def segment_columns(self) -> list[str]:
            return []

    return Bare(**chosen.__dict__)


def test_a_board_by_score_and_by_trend(demo):
    workspace, data = demo
    chosen = selection.resolve(workspace, data)
    by_score = features.board(workspace, chosen, "region")
    assert by_score.trend and by_score.order == "score" and by_score.metric == "nps"
    ranked = by_score.rows[by_score.rows["ranked"]]
    assert list(ranked["rank"]) == sorted(ranked["rank"]) and len(ranked) >= 3
    assert ranked["previous"].notna().all()  # the period before is compared
    by_trend = features.board(workspace, chosen, "region", order="trend")
    trend_ranks = by_trend.rows["trend_rank"].dropna()
    assert list(trend_ranks) == sorted(trend_ranks)
    assert set(by_trend.rows["name"]) == set(by_score.rows["name"])
    assert "Benjamini–Hochberg" in by_score.note


def test_owners_at_one_touchpoint(demo):
    workspace, data = demo
    chosen = selection.resolve(workspace, data)
    owner = chosen.journey.touchpoints[2]
    found = features.board(workspace, chosen, features.OWNER, owner.key)
    assert list(found.rows["name"]) == [owner.owner]
    everywhere = features.board(workspace, chosen, features.OWNER, features.ALL_TOUCHPOINTS)
    owners = set(everywhere.rows["name"])
    assert owner.owner in owners and len(owners) > 3
    assert owners <= {tp.owner for tp in chosen.journey.touchpoints if tp.owner}
    assert int(everywhere.rows["n"].sum()) > int(found.rows["n"].sum())


def test_a_one_wave_survey_is_ranked_by_score_without_the_change(demo):
    from workbench.data import waves

    workspace, data = demo
    chosen = selection.resolve(workspace, data)
    one = type(chosen)(**{**chosen.__dict__, "wave": waves.parse("2026-07")})
    found = features.board(workspace, one, "region", order="trend")
    assert not found.trend and found.order == "score"
    assert waves.no_trend_message(one.wave) in found.note


def test_the_change_counts_a_respondents_answers_as_one(demo):
    from workbench.analysis import breaks, leaderboard
    from workbench.data import query

    workspace, data = demo
    chosen = selection.resolve(workspace, data)
    found = features.board(workspace, chosen, "region")
    assert "a respondent who rated several touchpoints is not several independent opinions" in found.note
    # The same board with every answer counted as independent: same scores and changes, other p-values.
    filters = chosen.filters + (("touchpoint", tuple(tp.key for tp in chosen.journey.touchpoints)),)

    def plain(start, end):
        return query.aggregate(chosen.query(by=("region",), date_from=start, date_to=end, filters=filters))

    independent = leaderboard.rank(plain(chosen.date_from, chosen.date_to),
                                   plain(*breaks.previous_window(chosen.date_from, chosen.date_to)), "region", "nps")
    clustered, naive = found.rows.set_index("name"), independent.set_index("name")
    assert clustered["change"].to_dict() == pytest.approx(naive.loc[clustered.index, "change"].to_dict())
    judged = clustered["change_p"].notna()
    assert judged.sum() >= 3
    assert not np.allclose(clustered.loc[judged, "change_p"], naive.loc[clustered.index[judged], "change_p"])
