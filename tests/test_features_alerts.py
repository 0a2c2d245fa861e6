"""The alert status machine as a domain rule, and the Alerts screen's features without a browser."""

from __future__ import annotations

BACKENDS = ("sqlite", "postgresql")  # the metadata database of every workspace these tests open

import dataclasses
import datetime as dt
import re

import pytest

from workbench.analysis.alertrules import Allocation
from workbench.core.alerting import MOVES, STATUSES, Alert, Rule, default_rules, move_problem
from workbench.core.errors import ConflictError, WorkspaceError
from workbench.features import alerts
from workbench.features.actions import Draft

DAY = dt.date(2025, 3, 2)


def answer_alert(response: str, touchpoint: str = "delivery", value: str = "") -> Alert:
    return Alert(f"low|{response}", "low", "answer", "csat", touchpoint, "region" if value else "", value, DAY, DAY,
                 DAY, DAY, 1, 1.0, None, None, None, None, None, response, "late", f"A low score ({response})")


@pytest.fixture
def inbox(workspace, small_journey):
    """A project whose journey's inbox holds three new alerts: workspace, project id, journey id, the items."""
    project_id = workspace.create_project("Alerts")
    journey_id = workspace.create_journey(project_id, small_journey)
    found = [answer_alert("r1"), answer_alert("r2", value="Praha"), answer_alert("r3", touchpoint="gone")]
    assert workspace.alerts.add(project_id, journey_id, found, {"delivery": "Couriers"}, DAY, "Setup") == 3
    return workspace, project_id, journey_id, workspace.alerts.list(project_id, journey_id)


# ------------------------------------------------------------------ the status machine


def test_the_moves_by_hand_are_the_inbox_buttons_and_lead_to_known_statuses():
    assert MOVES == {"new": ("acknowledged", "closed"), "acknowledged": ("closed",), "action": ("closed",),
                     "closed": ("new",)}
    assert set(MOVES) == set(STATUSES) and all(set(moves) <= set(STATUSES) for moves in MOVES.values())


@pytest.mark.parametrize("old, new", [("new", "acknowledged"), ("new", "closed"), ("acknowledged", "closed"),
                                      ("action", "closed"), ("closed", "new"), ("new", "new")])
def test_allowed_moves_have_no_problem(old, new):
    assert move_problem(old, new) is None


def test_a_refused_move_says_where_the_alert_can_go():
    assert move_problem("closed", "acknowledged") == (
        "An alert that is “Closed” cannot be moved to “Acknowledged”; it can go to: New.")
    assert move_problem("acknowledged", "new") == (
        "An alert that is “Acknowledged” cannot be moved to “New”; it can go to: Closed.")
    assert "creating a card" in move_problem("new", "action")
    assert move_problem("new", "gone") == "Unknown alert status “gone”."


def test_set_status_enforces_the_machine_and_a_refusal_changes_nothing(inbox):
    workspace, _project_id, _journey_id, items = inbox
    closed = workspace.alerts.set_status(items[0].id, "closed", "Eva", expected_version=items[0].version)
    with pytest.raises(WorkspaceError, match="cannot be moved to “Acknowledged”"):
        workspace.alerts.set_status(closed.id, "acknowledged", "Eva", expected_version=closed.version)
    with pytest.raises(WorkspaceError, match="creating a card"):
        workspace.alerts.set_status(items[1].id, "action", "Eva", expected_version=items[1].version)
    assert workspace.alerts.get(closed.id) == closed  # same status, version and history
    reopened = alerts.set_status(workspace, closed.id, "new", "Jan", expected_version=closed.version)
    assert (reopened.status, reopened.history[-1]["what"]) == ("new", "Closed → New")
    with pytest.raises(ConflictError):  # the version is checked before the move
        workspace.alerts.set_status(closed.id, "acknowledged", expected_version=closed.version)


def test_a_card_from_an_alert_turns_it_into_an_action_even_when_closed(inbox):
    workspace, project_id, journey_id, items = inbox
    closed = workspace.alerts.set_status(items[0].id, "closed", expected_version=items[0].version)
    card = workspace.actions.create(project_id, Draft("Call back", origin={"kind": "alert", "ref": str(closed.id)}),
                                    "Eva", journey_id=journey_id)
    linked = workspace.alerts.get(closed.id)
    assert (linked.status, linked.action_id, linked.history[-1]["what"]) == (
        "action", card.id, "Closed → Turned into an action")
    other = workspace.create_project("Other")
    workspace.actions.create(other, Draft("Not mine", origin={"kind": "alert", "ref": str(items[1].id)}))
    assert workspace.alerts.get(items[1].id).action_id is None  # an alert of another project is left alone


# ------------------------------------------------------------------ checking


def test_runnable_names_the_rules_a_survey_cannot_run():
    rules = [Rule("a", "Calls", "answer"), Rule("s", "Share", "share", segment="region"),
             Rule("d", "Drop", "drop"), Rule("off", "Off", "drop", enabled=False)]
    run, skipped = alerts.runnable(rules, {"touchpoint", "csat"}, one_wave=False)
    assert [r.key for r in run] == ["a", "d"] and skipped == {"Share": "the data has no column “region”"}
    run, skipped = alerts.runnable(rules, {"region"}, one_wave=True)
    assert [r.key for r in run] == ["a"]
    assert skipped == {"Share": "the survey is one wave without dates, so it has no trend",
                       "Drop": "the survey is one wave without dates, so it has no trend"}


def test_the_first_check_looks_back_a_year_and_later_ones_recheck_four_weeks():
    first, until = dt.date(2023, 1, 1), dt.date(2025, 6, 30)
    assert alerts.ranges(first, until, None) == (dt.date(2024, 7, 1), dt.date(2025, 6, 16))
    assert alerts.ranges(first, until, dt.date(2025, 6, 29)) == (dt.date(2025, 6, 2), dt.date(2025, 6, 16))
    assert alerts.ranges(dt.date(2025, 6, 20), until, None) == (dt.date(2025, 6, 20), dt.date(2025, 6, 20))
    assert alerts.week_end(dt.date(2025, 6, 30)) == dt.date(2025, 6, 29)  # a Monday: the Sunday before
    assert alerts.week_end(dt.date(2025, 6, 29)) == dt.date(2025, 6, 29)


def test_a_journey_without_a_survey_checks_nothing(workspace, small_journey):
    journey_id = workspace.create_journey(workspace.create_project("Empty"), small_journey)
    assert alerts.check(workspace, journey_id) == alerts.Checked(0, {})


def test_the_inbox_remembers_how_far_it_checked(inbox):
    workspace, _project_id, journey_id, _items = inbox
    assert workspace.alerts.checked_until(journey_id) == DAY
    workspace.alerts.add(1, journey_id, [], {}, DAY - dt.timedelta(weeks=1))
    assert workspace.alerts.checked_until(journey_id) == DAY  # an earlier week end never moves it back


# ------------------------------------------------------------------ the inbox


def test_the_inbox_lists_each_alert_with_its_moves_and_the_card_it_may_become(inbox):
    workspace, project_id, journey_id, items = inbox
    shown = alerts.inbox(workspace, project_id, journey_id)
    assert shown.total == 3 and len(shown.rows) == 3
    row = next(r for r in shown.rows if r.item.alert.response_id == "r2")
    assert (row.where, row.when, row.moves) == ("Delivery · Praha", "2025-03-02", ("acknowledged", "closed"))
    assert (row.draft.title, row.draft.touchpoints, row.draft.segment, row.draft.treated) == (
        "Act on: Delivery · Praha", ("delivery",), "region", ("Praha",))
    assert row.draft.origin == {"kind": "alert", "label": "A low score (r2)", "ref": row.item.id}
    unknown = next(r for r in shown.rows if r.item.alert.response_id == "r3")
    assert unknown.draft.touchpoints == ()  # a touchpoint the journey no longer has is not put on the card
    closed = workspace.alerts.set_status(row.item.id, "closed", expected_version=row.item.version)
    assert [r.item.id for r in alerts.inbox(workspace, project_id, journey_id, "closed").rows] == [closed.id]
    assert alerts.row(closed, {}).draft is None and alerts.row(closed, {}).moves == ("new",)
    assert alerts.inbox(workspace, project_id, journey_id).total == 2  # "open": new and acknowledged
    assert alerts.inbox(workspace, project_id, journey_id, "all", "trend").total == 0
    assert alerts.inbox(workspace, project_id, journey_id, "all", "answer").total == 3
    assert alerts.new_count(workspace) == 2


def test_statuses_shown_and_when_an_alert_can_become_a_card(inbox):
    _workspace, _project_id, _journey_id, items = inbox
    assert alerts.statuses_shown("open") == ("new", "acknowledged")
    assert alerts.statuses_shown("all") is None and alerts.statuses_shown("closed") == ("closed",)
    item = items[0]
    assert alerts.can_become_action(item)
    assert alerts.can_become_action(_with(item, status="action", action_id=None))
    assert not alerts.can_become_action(_with(item, status="action", action_id=7))
    assert not alerts.can_become_action(_with(item, status="closed"))


def _with(item, **changes):
    import dataclasses

    return dataclasses.replace(item, **changes)


# ------------------------------------------------------------------ rules


def test_rules_are_added_switched_and_deleted_with_their_version(workspace, small_journey):
    journey_id = workspace.create_journey(workspace.create_project("Rules"), small_journey)
    version = alerts.add_rule(workspace, journey_id, kind="share", metric="ces", touchpoint="delivery",
                              threshold=0.2, window_weeks=None, min_n=None)
    view = alerts.rules_view(workspace, None, journey_id)
    rule, description = view.rules[-1]
    assert view.version == version and len(view.rules) == 4 and view.segments == []
    assert (rule.name, rule.touchpoints, rule.window_weeks, rule.min_n) == (
        "Negative share over a threshold", ("delivery",), 4, 30)
    assert description.endswith("· Delivery") and view.touchpoints["delivery"] == "Delivery"
    assert alerts.switch_rule(workspace, journey_id, rule.key, True, expected_version=version) is None
    switched = alerts.switch_rule(workspace, journey_id, rule.key, False, expected_version=version)
    assert switched == version + 1 and not workspace.alerts.rules(journey_id)[0][-1].enabled
    with pytest.raises(ConflictError):
        alerts.delete_rule(workspace, journey_id, rule.key, expected_version=version)
    alerts.delete_rule(workspace, journey_id, rule.key, expected_version=switched)
    assert rule.key not in [r.key for r in workspace.alerts.rules(journey_id)[0]]
    with pytest.raises(WorkspaceError, match="smallest drop"):
        alerts.add_rule(workspace, journey_id, kind="drop", metric="csat", threshold=-1)


# ------------------------------------------------------------------ the false-alarm budget


def test_the_budget_note_says_the_false_alarms_the_series_and_the_level():
    drop = default_rules()[2]
    network = Allocation("csat-drop", 160, 8320.0, 1 / 8320, 1.0, {}, {}, 52)
    assert alerts.budget_note([network], [drop]) == (
        "By chance alone the drop rules raise at most about 1 false alarm a year for these 160 series checked "
        "weekly (8\u00a0320 tests a year, each at p < 0.00012).")
    wobbly = dataclasses.replace(network, wobble={"r1": 0.004, "r2": 0.0})
    assert alerts.budget_note([wobbly], [drop]).endswith(
        "A series' usual movement from one window to the next (a branch's good and bad months) is measured over the "
        "past year and not taken for a drop.")
    # Two rules: one on its budget of 1, one at a fixed α of 0.001 over 1 500 tests (1.5 expected).
    fixed = Allocation("nps-drop", 30, 1500.0, 0.001, 1.5, {}, {}, 52)
    assert alerts.budget_note([network, fixed], [drop, dataclasses.replace(drop, key="nps-drop", alpha=0.001)]) == (
        "By chance alone the drop rules raise at most about 2.5 false alarms a year for these 190 series checked "
        "weekly (9\u00a0820 tests a year, each at p < 0.00012 to 0.001).")
    untested = Allocation("csat-drop", 3, 0.0, 1.0, 0.0, {}, {}, 52)  # every window under its minimum n
    assert alerts.budget_note([untested], [drop]).startswith("No drop rule has enough answers in its windows")
    assert alerts.budget_note([], [drop]).startswith(
        "By chance alone the drop rules raise at most about 1 false alarm a year: each test's level is that budget")
    assert alerts.budget_note([], [dataclasses.replace(drop, alpha=0.001)]) == (
        "The drop rules test at fixed levels: their false alarms a year show once there are answers.")


def test_the_budget_is_spread_over_the_drop_rules(workspace, small_journey):
    journey_id = workspace.create_journey(workspace.create_project("Budget"), small_journey)
    rules, version = workspace.alerts.rules(journey_id)
    extra = Rule("nps-drop", "NPS drop", "drop", "nps", alpha=0.001)
    version = workspace.alerts.save_rules(journey_id, [*rules, extra], expected_version=version)
    view = alerts.rules_view(workspace, None, journey_id)
    assert view.budget == 2 and view.budget_note is not None  # the starter's 1 and the new rule's default 1
    version = alerts.set_budget(workspace, journey_id, 3, expected_version=version)
    drops = [rule for rule in workspace.alerts.rules(journey_id)[0] if rule.kind == "drop"]
    assert [(rule.budget, rule.alpha) for rule in drops] == [(1.5, None), (1.5, None)]
    assert alerts.rules_view(workspace, None, journey_id).budget == 3
    with pytest.raises(WorkspaceError, match="above zero"):
        alerts.set_budget(workspace, journey_id, 0, expected_version=version)
    with pytest.raises(ConflictError):
        alerts.set_budget(workspace, journey_id, 2, expected_version=version - 1)


def test_the_demo_journey_shows_its_budget_on_its_survey(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    view = alerts.rules_view(workspace, project_id, journey_id)
    assert view.budget == 1
    assert re.fullmatch(
        r"By chance alone the drop rules raise at most about 1 false alarm a year for these \d+ series checked weekly "
        r"\([\d\u00a0]+ tests a year, each at p < 0\.000\d+\)\. A series' usual movement .*", view.budget_note)


def test_the_budget_reads_a_year_and_its_windows_and_equals_it_on_the_whole_history(seeded_demo):
    """The drop rules' allocations from the answers the rules need (a year of comparisons and their windows, no
    texts) are those of the survey's whole history."""
    from workbench.analysis import alertrules
    from workbench.data import query

    workspace, project_id, journey_id, _effects = seeded_demo
    survey = workspace.datasets.survey_for(project_id, journey_id)
    rules = workspace.alerts.rules(journey_id)[0]
    segments = sorted({rule.segment for rule in rules if rule.segment})
    everything = query.answers(query.Query((str(survey.path),), by=()), ("touchpoint", *segments))
    last = query.date_bounds((str(survey.path),))[1]
    assert alertrules.first_day_needed(rules, last, last) > everything["ts"].min().date()  # less is read
    found, expected = alerts._allocations(survey, rules), alertrules.allocations(everything, rules, last)
    assert found and len(found) == len(expected)
    for mine, whole in zip(found, expected, strict=True):  # cumulated from another first week: the last bits differ
        assert (mine.rule_key, mine.series, mine.tests, mine.weeks) == (whole.rule_key, whole.series, whole.tests,
                                                                       whole.weeks)
        assert (mine.alpha, mine.expected) == (pytest.approx(whole.alpha, rel=1e-12), whole.expected)
        assert mine.wobble == pytest.approx(whole.wobble, rel=1e-12)
        assert mine.series_wobble == pytest.approx(whole.series_wobble, rel=1e-12)


def share_alert(key: str, first: dt.date, last: dt.date, score: float, rule: str = "busy") -> Alert:
    return Alert(key, rule, "share", "csat", "delivery", "region", "Praha", first, last, first, last, 40, score, None,
                 None, None, None, None, None, None, f"Share {score}")


def test_a_later_check_extends_a_stored_episode_and_adds_what_is_new_once(workspace, small_journey):
    """What a check stores: an alert it already has is not added again (a single answer or an episode), one found
    twice in a check is added once, a window alert continuing a stored episode extends that row, and one of
    another rule or after a gap of more than a week is a new alert."""
    project_id = workspace.create_project("Episodes")
    journey_id = workspace.create_journey(project_id, small_journey)
    week = dt.timedelta(weeks=1)
    first = [answer_alert("r1"), share_alert("busy|1", DAY, DAY + week, 0.3)]
    assert workspace.alerts.add(project_id, journey_id, first, {}, DAY + week) == 2
    later = [answer_alert("r1"), answer_alert("r2"), answer_alert("r2"),
             share_alert("busy|2", DAY + 2 * week, DAY + 3 * week, 0.5),  # continues busy|1, and is worse
             share_alert("other|1", DAY + 2 * week, DAY + 2 * week, 0.4, rule="other"),
             share_alert("busy|3", DAY + 6 * week, DAY + 6 * week, 0.2)]  # after a gap: a new episode
    assert workspace.alerts.add(project_id, journey_id, later, {}, DAY + 6 * week) == 3
    stored = {item.alert.key: item.alert for item in workspace.alerts.list(project_id, journey_id)}
    assert sorted(stored) == ["busy|1", "busy|3", "low|r1", "low|r2", "other|1"]
    assert (stored["busy|1"].first_seen, stored["busy|1"].last_seen, stored["busy|1"].score) == (
        DAY, DAY + 3 * week, 0.5)


def test_a_check_on_the_same_data_reads_its_alerts_back_and_anything_else_reads_the_answers(seeded_demo, tmp_path,
                                                                                            monkeypatch):
    """The alerts of a check are kept per survey version, rules, range, touchpoint names and language: the same check
    again gives the same alerts without reading an answer; another range, rule, language or file version reads."""
    import os

    import diskcache

    from workbench.core import i18n
    from workbench.data import query

    workspace, project_id, journey_id, _effects = seeded_demo
    survey = workspace.datasets.survey_for(project_id, journey_id)
    sources = (str(survey.path),)
    rules = workspace.alerts.rules(journey_id)[0]
    last = query.date_bounds(sources)[1]
    since = last - dt.timedelta(weeks=8)
    names = {tp.key: tp.name for tp in workspace.journey(journey_id).journey.touchpoints}
    fresh = alerts._evaluated(None, sources, rules, since, last, names)
    assert fresh
    cache = diskcache.Cache(str(tmp_path / "cache"))
    assert alerts._evaluated(cache, sources, rules, since, last, names) == fresh  # computed, and kept

    def no_reading(*_args, **_kwargs):
        raise AssertionError("the answers were read")

    monkeypatch.setattr(alerts, "_rule_answers", no_reading)
    assert alerts._evaluated(cache, sources, rules, since, last, names) == fresh  # read back
    stricter = [dataclasses.replace(rule, min_n=rule.min_n + 1) for rule in rules]
    others = [(rules, since - dt.timedelta(weeks=1), names), (stricter, since, names),
              (rules, since, {**names, "x": "y"})]  # fmt: skip
    for changed_rules, start, named in others:
        with pytest.raises(AssertionError, match="the answers were read"):
            alerts._evaluated(cache, sources, changed_rules, start, last, named)
    with i18n.language("cs"), pytest.raises(AssertionError, match="the answers were read"):
        alerts._evaluated(cache, sources, rules, since, last, names)  # the same check, worded in Czech
    stat = os.stat(sources[0])
    os.utime(sources[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # another version of the file
    with pytest.raises(AssertionError, match="the answers were read"):
        alerts._evaluated(cache, sources, rules, since, last, names)
