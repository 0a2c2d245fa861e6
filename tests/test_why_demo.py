"""Integration: on the demo survey (import → store → query), key-driver analysis finds the planted drivers, and
verbatims are coded with a stored codebook that a rule change or a person's correction changes at once."""

import pytest

from workbench.analysis import drivers
from workbench.core.codebook import Codebook, CodebookError, Theme, theme_from_form, with_theme
from workbench.core.errors import ConflictError
from workbench.data.query import Query
from workbench.features import comments
from workbench.repos import text


@pytest.mark.parametrize("method", drivers.METHODS)
def test_the_two_planted_drivers_come_out_on_top(demo_survey, method):
    _journey, sources, effects, cache = demo_survey
    result = drivers.analyse_query(Query(sources), cache, method=method)
    assert result.model == "respondent"
    assert set(result.table["touchpoint"][:2]) == set(effects.driver_touchpoints)
    assert set(result.table["touchpoint"]) <= set(effects.core_touchpoints)  # rarely rated extras are left out
    assert result.excluded and all("respondents" in reason for reason in result.excluded.values())
    assert result.table["importance"].sum() == pytest.approx(result.r2)
    planted = result.table[result.table["touchpoint"].isin(effects.driver_touchpoints)]
    others = result.table[~result.table["touchpoint"].isin(effects.driver_touchpoints)]
    assert planted["low"].min() > others["high"].max()  # separated beyond the bootstrap intervals
    assert drivers.analyse_query(Query(sources), cache, method=method).to_dict() == result.to_dict()  # cached


def test_the_planted_drivers_also_lead_the_promoter_model(demo_survey):
    _journey, sources, effects, cache = demo_survey
    result = drivers.analyse_query(Query(sources), cache, binary_threshold=9)
    assert set(result.table["touchpoint"][:2]) == set(effects.driver_touchpoints)
    assert 0 < result.r2 < 1


def test_transactional_answers_alone_fall_back_to_branch_months_with_a_note(demo_survey):
    _journey, sources, effects, cache = demo_survey
    from workbench.data import query

    answers = query.answers(Query(sources), ("touchpoint", "branch"))  # no respondent ids: nothing links answers
    result = drivers.analyse(answers, reps=30)
    assert result.model == "segment-period"
    assert "branch-month" in result.note and "association between groups" in result.note


def test_verbatims_are_coded_with_the_stored_codebook_and_a_rule_change_recodes_them(demo_survey, workspace):
    _journey, sources, _effects, _cache = demo_survey
    project = workspace.create_project("Client")
    source = Query(sources)
    assert workspace.verbatims.codebook(project) == (Codebook(()), 0)
    version = workspace.verbatims.save_codebook(project, text.default_codebook(), "Eva", expected_version=0)
    frame, tags = comments.coded(workspace, project, source)
    assert len(frame) > 40_000 and frame["comment"].str.strip().ne("").all()
    attitude = int(tags["attitude"].sum())
    codebook, _ = workspace.verbatims.codebook(project)
    wider = with_theme(codebook, theme_from_form(
        codebook, "attitude", "Courier and staff attitude", "rude, nepříjemn, kuryr, kurier, courier", ""))
    with pytest.raises(ConflictError, match="Eva"):
        workspace.verbatims.save_codebook(project, wider, "Jan", expected_version=0)
    workspace.verbatims.save_codebook(project, wider, "Jan", expected_version=version)
    frame, tags = comments.coded(workspace, project, source)
    assert int(tags["attitude"].sum()) > 5 * attitude
    with pytest.raises(CodebookError, match="regex|pattern"):
        theme_from_form(wider, None, "Broken", "", "opozd(")


def test_a_person_corrects_the_coding_of_one_comment(demo_survey, workspace):
    _journey, sources, _effects, _cache = demo_survey
    project = workspace.create_project("Client")
    codebook = Codebook((Theme("late", "Late", ("late", "pozd", "opozd", "spozn")),
                         Theme("price", "Price", ("price",))))
    workspace.verbatims.save_codebook(project, codebook, expected_version=0)
    frame, tags = comments.coded(workspace, project, Query(sources))
    row = frame.index[tags["late"]][0]
    response, comment = frame.at[row, "response_id"], frame.at[row, "comment"]
    comments.retag(workspace, project, response, comment, {"price"}, "Eva")
    assert workspace.verbatims.overrides(project) == {response: {"late": False, "price": True}}
    _frame, corrected = comments.coded(workspace, project, Query(sources))
    assert (corrected.at[row, "late"], corrected.at[row, "price"]) == (False, True)
    assert int(corrected["late"].sum()) == int(tags["late"].sum()) - 1
    comments.retag(workspace, project, response, comment, {"late"}, "Eva")  # back to what the rules say
    assert workspace.verbatims.overrides(project) == {}

