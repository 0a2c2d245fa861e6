"""Scoped members of a project (``core.access.Scope``): the query layer reads only their rows from every dataset
file (segment values, their owners' touchpoints), caches never serve one member's rows to another, and the store
shows them only their alerts and action cards; on SQLite and PostgreSQL.

The truth each scoped result is checked against is the same question asked by an administrator with the scope
written out as filters, so the test holds for any data; the data is random, with branches nested in regions."""

from __future__ import annotations

import datetime
from dataclasses import replace

import numpy as np
import pandas
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core import access
from workbench.core.access import AccessRefused, Scope
from workbench.core.alerting import Alert
from workbench.core.errors import WorkspaceError
from workbench.data import query, respondents
from workbench.repos.actions import Draft
from workbench.repos.backup import write_backup

BACKENDS = ("sqlite", "postgresql")
PASSWORD = "correct horse battery"
REGIONS = {"Brno": "Morava", "Ostrava": "Morava", "Jihlava": "Morava", "Praha": "Čechy", "Plzeň": "Čechy",
           "Liberec": "Čechy"}  # fmt: skip
TOUCHPOINTS = ("web", "cart", "delivery")


def survey(seed: int, answers: int = 1500) -> pa.Table:
    """Random answers over six branches in two regions, three touchpoints and half a year, a comment naming the
    branch on every fifth, and repeated respondents."""
    rng = np.random.default_rng(seed)
    branches = rng.choice(list(REGIONS), answers, p=[0.3, 0.2, 0.1, 0.2, 0.1, 0.1])
    start = datetime.datetime(2026, 1, 1)
    return pa.table({
        "response_id": [f"r{seed}-{i}" for i in range(answers)],
        "respondent_id": [f"c{seed}-{i}" for i in rng.integers(0, answers // 3, answers)],
        "ts": [start + datetime.timedelta(hours=int(h)) for h in rng.integers(0, 24 * 180, answers)],
        "touchpoint": rng.choice(TOUCHPOINTS, answers).tolist(),
        "nps": pa.array(rng.integers(0, 11, answers), pa.int8()),
        "csat": pa.array(rng.integers(1, 6, answers), pa.int8()),
        "ces": pa.array(rng.integers(1, 8, answers), pa.int8()),
        "comment": [f"said in {b}" if i % 5 == 0 else None for i, b in enumerate(branches)],
        "branch": branches.tolist(),
        "region": [REGIONS[b] for b in branches],
    })  # fmt: skip


@pytest.fixture
def network(workspace, small_journey):
    """Project Net (a survey, cards, alerts) and project Other (a survey); members: brno (branch Brno), moravia
    (region Morava), couriers (the touchpoints Couriers own), whole (a viewer of all of Net), and outsider (Other)."""
    net = workspace.create_project("Net")
    journey = workspace.create_journey(net, small_journey)
    data = workspace.datasets.add_table(net, survey(1), "Answers", "survey", journey_id=journey)
    other = workspace.create_project("Other")
    other_data = workspace.datasets.add_table(other, survey(2), "Answers", "survey")
    workspace.datasets.settle()
    for owner in ("Brno", "Ostrava", "Couriers", ""):
        workspace.actions.create(net, Draft(f"Card of {owner or 'nobody'}", owner=owner), "setup", journey_id=journey)
    found = [alert("delivery", "branch", "Brno"), alert("delivery", "branch", "Ostrava"), alert("web", "", ""),
             alert("web", "region", "Morava"), alert("delivery", "", "")]  # fmt: skip
    workspace.alerts.add(net, journey, found, {"delivery": "Couriers"}, datetime.date(2026, 6, 28))
    members = {
        "brno": Scope((("branch", ("Brno",)),)),
        "moravia": Scope((("region", ("Morava",)),)),
        "couriers": Scope(owners=("couriers",)),  # owner names match ignoring case
        "whole": None,
    }
    for name, scope in members.items():
        workspace.users.add(name, PASSWORD)
        workspace.users.grant(name, net, "viewer", scope)
    workspace.users.add("outsider", PASSWORD)
    workspace.users.grant("outsider", other, "viewer")
    return {"net": net, "journey": journey, "data": data, "other": other, "other_data": other_data}


def alert(touchpoint: str, segment: str, value: str) -> Alert:
    day = datetime.date(2026, 6, 28)
    return Alert(f"drop|{touchpoint}|{segment}|{value}", "drop", "drop", "csat", touchpoint, segment, value, day, day,
                 day, day, 40, 3.1, 3.9, -0.8, 0.001, 2.8, 3.4, "", "", "CSAT fell")  # fmt: skip


def as_user(workspace, name):
    """The access of ``name`` as a logged-in request gets it."""
    [user] = [u for u in workspace.users.list() if u.name == name]
    return access.acting(workspace.users.access(user))


def truth(query_: query.Query, scope_filters) -> object:
    """What an administrator gets for ``query_`` with the scope written out as filters (intersected)."""
    filters = dict(query_.filters)
    for column, values in scope_filters:
        filters[column] = tuple(v for v in filters[column] if v in values) if column in filters else values
    return query.aggregate(query.Query(**{**query_.__dict__, "filters": tuple(filters.items())}))


SCOPES = {"brno": (("branch", ("Brno",)),), "moravia": (("region", ("Morava",)),),
          "couriers": (("touchpoint", ("delivery",)),)}  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    member=st.sampled_from(sorted(SCOPES)),
    by=st.sampled_from([("touchpoint",), ("touchpoint", "branch"), ("region",), ("touchpoint", "period"), ()]),
    forged=st.dictionaries(
        st.sampled_from(["branch", "region", "touchpoint"]),
        st.lists(st.sampled_from([*REGIONS, "Morava", "Čechy", *TOUCHPOINTS]), max_size=3).map(tuple),
        max_size=2,
    ),  # fmt: skip
    whole_months=st.booleans(),
)
def test_a_scoped_member_s_aggregates_are_the_filtered_truth_whatever_they_ask(
    workspace, network, member, by, forged, whole_months
):
    sources = (str(network["data"].path),)
    start, end = (datetime.date(2026, 2, 1), datetime.date(2026, 4, 30)) if whole_months else (
        datetime.date(2026, 2, 3), datetime.date(2026, 5, 17))  # fmt: skip
    asked = query.Query(sources, by=by, date_from=start, date_to=end, filters=tuple(forged.items()))
    expected = truth(asked, SCOPES[member])  # the administrator's own (unscoped) access
    cache = workspace.cache
    query.aggregate(asked, cache)  # an administrator's result in the cache first: it must not be served
    with as_user(workspace, member):
        found = query.aggregate(asked, cache)
        again = query.aggregate(asked, cache)
    pandas.testing.assert_frame_equal(found, expected)
    pandas.testing.assert_frame_equal(again, expected)


def test_answers_comments_values_and_distributions_are_the_scope_s(workspace, network):
    sources = (str(network["data"].path),)
    everyone = query.Query(sources, by=("touchpoint", "branch"))
    with as_user(workspace, "brno"):
        assert query.segment_values(sources, "branch") == ["Brno"]
        assert query.segment_values(sources, "region") == ["Morava"]
        raw = query.answers(everyone, ["comment", "region"])
        said = query.comments(everyone, limit=10_000)
        spread = query.distribution(query.Query(sources, by=("branch",)), "nps")
        forged = query.answers(query.Query(sources, by=(), filters=(("branch", ("Praha", "Ostrava")),)))
    assert set(raw["branch"]) == {"Brno"} and set(raw["region"]) == {"Morava"}
    assert len(raw) == sum(1 for b in network_table(workspace, network)["branch"] if b == "Brno")
    assert set(said["branch"]) == {"Brno"} and all(c == "said in Brno" for c in said["comment"])
    assert set(spread["branch"]) == {"Brno"} and forged.empty
    with as_user(workspace, "couriers"):
        assert query.segment_values(sources, "touchpoint") == ["delivery"]
        assert set(query.answers(everyone)["touchpoint"]) == {"delivery"}
    with as_user(workspace, "whole"):
        assert query.segment_values(sources, "branch") == sorted(REGIONS)


def network_table(workspace, network):
    import pyarrow.parquet as pq

    return pq.read_table(network["data"].path).to_pydict()


def test_an_owner_scope_follows_the_journey_s_owners_now(workspace, network):
    sources = (str(network["data"].path),)
    state = workspace.journey(network["journey"])
    touchpoints = tuple(replace(t, owner="Couriers") if t.key == "web" else t for t in state.journey.touchpoints)
    changed = replace(state.journey, touchpoints=touchpoints)
    workspace.save_journey(network["journey"], changed, "web to the couriers", state.version)
    with as_user(workspace, "couriers"):
        assert query.segment_values(sources, "touchpoint") == ["delivery", "web"]


def test_the_file_s_counts_report_and_backup_are_not_a_scoped_member_s(workspace, network, tmp_path):
    with as_user(workspace, "brno"):
        info = workspace.datasets.get(network["data"].id)
        assert info.rows is None and info.report.rows_read == 0 and "respondents" not in info.meta
        assert respondents.load(info.path, "csat") is None  # its rows are everyone's: the answers serve
        with pytest.raises(AccessRefused):
            write_backup(workspace, network["net"], tmp_path / "net.cxwb.zip")
        with pytest.raises(AccessRefused):  # no rule says which rows of two projects' files together
            query.aggregate(query.Query((str(network["data"].path), str(network["other_data"].path))))
    with as_user(workspace, "whole"):
        assert workspace.datasets.get(network["data"].id).rows == 1500


def test_a_scoped_member_sees_their_alerts_and_cards_only(workspace, network):
    net = network["net"]
    seen = {}
    for member in ("brno", "moravia", "couriers", "whole", "outsider"):
        with as_user(workspace, member):
            seen[member] = (
                sorted((a.alert.touchpoint, a.alert.segment, a.alert.value) for a in workspace.alerts.list(net)),
                sorted(card.title for card in workspace.actions.list(net)),
                sum(workspace.alerts.counts(net).values()),
            )
    everything = sorted((a.alert.touchpoint, a.alert.segment, a.alert.value) for a in workspace.alerts.list(net))
    assert len(everything) > 5  # the planted ones and those the import's own check raised
    for member, inside, cards in (
        ("brno", lambda tp, segment, value: (segment, value) == ("branch", "Brno"), ["Card of Brno"]),
        ("moravia", lambda tp, segment, value: (segment, value) == ("region", "Morava"), []),
        ("couriers", lambda tp, segment, value: tp == "delivery", ["Card of Couriers"]),
    ):
        alerts, titles, counted = seen[member]
        assert alerts == [a for a in everything if inside(*a)] and counted == len(alerts), member
        assert titles == cards, member
    assert ("delivery", "branch", "Brno") in seen["brno"][0] and ("delivery", "", "") in seen["couriers"][0]
    assert seen["whole"][0] == everything and len(seen["whole"][1]) == 4
    assert seen["outsider"] == ([], [], 0)
    with as_user(workspace, "whole"):
        other_card = next(c for c in workspace.actions.list(net) if c.title == "Card of Ostrava")
        other_alert = next(a for a in workspace.alerts.list(net) if a.alert.value == "Ostrava")
    with as_user(workspace, "brno"):
        for read in (lambda: workspace.actions.get(other_card.id), lambda: workspace.alerts.get(other_alert.id)):
            with pytest.raises(WorkspaceError):
                read()
        assert workspace.actions.history(other_card.id) == []


def test_only_a_viewer_is_scoped_and_a_scope_round_trips(workspace, network):
    with pytest.raises(WorkspaceError, match="Only a viewer"):
        workspace.users.grant("brno", network["net"], "analyst", Scope((("branch", ("Brno",)),)))
    [brno] = [u for u in workspace.users.list() if u.name == "brno"]
    assert workspace.users.scopes(brno.id) == {network["net"]: Scope((("branch", ("Brno",)),))}
    workspace.users.grant("brno", network["net"], "viewer")  # the scope withdrawn: the whole project
    assert workspace.users.scopes(brno.id) == {}
    assert Scope.from_dict(Scope((("b", ("x",)),), ("O",)).to_dict()) == Scope((("b", ("x",)),), ("O",))


def test_the_network_benchmark_is_one_line_over_everyone_and_a_ranking_hides_the_others_names(workspace, network):
    sources = (str(network["data"].path),)
    line = query.Query(sources, by=("touchpoint", "period"), network=True)
    everyone = query.aggregate(replace(line, network=False))
    by_branch = query.aggregate(query.Query(sources, by=("branch",)))
    with as_user(workspace, "brno"):
        pandas.testing.assert_frame_equal(query.aggregate(line), everyone)  # every branch's answers, one line
        ranked = query.aggregate(query.Query(sources, by=("branch", "respondent_id"), network=True), workspace.cache)
        ranked = query.rollup(ranked, ["branch"])  # as a leaderboard ranks, each respondent one cluster
        for refused in (replace(line, by=("touchpoint", "region")), replace(line, filters=(("branch", ("Praha",)),)),
                        replace(line, by=("touchpoint", "respondent_id"))):  # fmt: skip
            with pytest.raises(AccessRefused):
                query.aggregate(refused)
        with pytest.raises(AccessRefused):  # only the aggregate masks: no answers of the network
            query.answers(query.Query(sources, by=("branch",), network=True))
    with as_user(workspace, "couriers"):  # an owner's network: everyone's answers at their touchpoints only
        pandas.testing.assert_frame_equal(query.aggregate(line), everyone[everyone["touchpoint"] == "delivery"]
                                          .reset_index(drop=True))  # fmt: skip
    with as_user(workspace, "moravia"), pytest.raises(AccessRefused, match="too few region values"):
        query.aggregate(replace(line, by=("touchpoint",)))  # two regions: the network would show the other
    names = list(ranked["branch"])
    assert "Brno" in names and not set(names) & (set(REGIONS) - {"Brno"}) and len(set(names)) == len(REGIONS)
    assert all(n == "Brno" or n.startswith("another branch · ") for n in names)
    assert sorted(ranked["answers"]) == sorted(by_branch["answers"])
    assert ranked.loc[ranked["branch"] == "Brno", "csat"].item() == by_branch.loc[by_branch["branch"] == "Brno",
                                                                                   "csat"].item()  # fmt: skip


def test_a_scorecard_is_the_reader_s_rows_beside_the_network(workspace, network, small_journey):
    from workbench.analysis import heatmap
    from workbench.features.scorecard import scorecard
    from workbench.features.selection import Selection

    sources = (str(network["data"].path),)
    chosen = Selection(project_id=network["net"], journey=small_journey, sources=sources, metric="csat",
                       date_from=datetime.date(2026, 1, 1), date_to=datetime.date(2026, 6, 30), filters=(),
                       journey_id=network["journey"])  # fmt: skip
    expected = heatmap.scores(small_journey, truth(chosen.query(), SCOPES["brno"]), "csat")
    with as_user(workspace, "brno"):
        found = scorecard(workspace, chosen)
    assert found.scope == "branch Brno"
    pandas.testing.assert_frame_equal(found.scores, expected[expected["n"] > 0].reset_index(drop=True))
    assert [line.name for line in found.trend.lines] == ["your answers", "whole network"]
    assert found.comments and all(c.text.startswith("said in Brno") for c in found.comments)
    assert [card.title for card in found.actions] == ["Card of Brno"]
    assert sum(found.against_targets.values()) == 1  # delivery, the one touchpoint with a target
    with as_user(workspace, "whole"):
        everything = scorecard(workspace, chosen)
    assert everything.scope == "all customers" and [line.name for line in everything.trend.lines] == ["your answers"]
    assert len(everything.actions) == 4


def test_partner_portals_are_a_scoped_login_per_partner_made_by_an_administrator(workspace, network):
    from workbench.features import users

    net = network["net"]
    admin = workspace.users.add("boss", PASSWORD, admin=True)
    [viewer] = [u for u in workspace.users.list() if u.name == "whole"]
    with pytest.raises(WorkspaceError, match="Only an administrator"):
        users.invite(workspace, viewer, net, ["Ostrava"])
    assert users.portals(workspace, admin, net).column is None
    with pytest.raises(WorkspaceError, match="no column partner"):
        users.set_portal(workspace, admin, net, "partner")
    found = users.set_portal(workspace, admin, net, "branch")
    assert found.partners == sorted(REGIONS) and found.logins == {"Brno": "brno"}  # brno's scope is one branch
    with pytest.raises(WorkspaceError, match="No partner Wien"):
        users.invite(workspace, admin, net, ["Wien"])
    [ostrava] = users.invite(workspace, admin, net, ["Ostrava", "Brno"])  # Brno has a login already
    assert (ostrava.partner, ostrava.name) == ("Ostrava", "ostrava") and len(ostrava.password) >= 16
    assert ostrava.password.isalnum()  # nothing a spreadsheet would take for a formula in the CSV handed over
    user = workspace.users.authenticate("ostrava", ostrava.password)
    assert user.shown == "Ostrava" and workspace.users.scopes(user.id) == {net: Scope((("branch", ("Ostrava",)),))}
    with access.acting(workspace.users.access(user)):
        assert query.segment_values((str(network["data"].path),), "branch") == ["Ostrava"]
    rest = users.invite(workspace, admin, net, [p for p in sorted(REGIONS) if p not in ("Brno", "Ostrava")])
    assert [i.name for i in rest] == ["jihlava", "liberec", "plzen", "praha"]
    assert set(users.portals(workspace, admin, net).logins) == set(REGIONS)


def test_an_unhappy_answer_is_a_case_of_the_partner_who_handles_it_and_escalates_when_overdue(workspace, small_journey):
    from workbench.features import alerts

    project = workspace.create_project("Cases")
    journey = workspace.create_journey(project, small_journey)
    for name, branch in (("brno", "Brno"), ("ostrava", "Ostrava")):
        workspace.users.add(name, PASSWORD, f"Partner {branch}")
    answers = survey(5, 600)
    workspace.set_portal(project, "branch")
    workspace.datasets.add_table(project, answers.slice(0, 10), "Seed", "survey")  # a column to scope on
    for name, branch in (("brno", "Brno"), ("ostrava", "Ostrava")):
        workspace.users.grant(name, project, "viewer", Scope((("branch", (branch,)),)))
    workspace.datasets.add_table(project, answers, "Answers", "survey", journey_id=journey)
    workspace.datasets.settle()
    today = datetime.date.today()
    cases = [item for item in workspace.alerts.list(project) if item.alert.kind == "answer"]
    assert cases and all(item.alert.segment == "branch" and item.due == today + datetime.timedelta(days=2)
                         for item in cases)  # fmt: skip
    owners = {item.alert.value: item.owner for item in cases}
    assert owners.get("Brno") == "Partner Brno" and owners.get("Ostrava") == "Partner Ostrava"
    assert {owner for value, owner in owners.items() if value not in ("Brno", "Ostrava")} <= {"Web team", "Couriers",
                                                                                              ""}  # fmt: skip
    later = today + datetime.timedelta(days=3)
    with as_user(workspace, "brno"):
        mine = alerts.inbox(workspace, project, journey, "open", "answer", today=later)
        assert mine.rows and {row.item.alert.value for row in mine.rows} == {"Brno"}
        assert all(row.overdue and row.moves == ("acknowledged", "closed") for row in mine.rows)
        first = mine.rows[0].item
        alerts.set_status(workspace, first.id, "acknowledged", "Partner Brno", expected_version=first.version)
        overdue = alerts.inbox(workspace, project, journey, "overdue", today=later)
        assert first.id not in {row.item.id for row in overdue.rows} and len(overdue.rows) == len(mine.rows) - 1
        other = next(item for item in cases if item.alert.value == "Ostrava")
        with pytest.raises(WorkspaceError):  # not theirs: not even found
            alerts.set_status(workspace, other.id, "closed", "Partner Brno", expected_version=other.version)
        with pytest.raises(AccessRefused):  # a case's other fields are not the partner's to change
            workspace.alerts.link_action(first.id, project, 1, "Partner Brno")
    handled = workspace.alerts.get(first.id)
    assert handled.status == "acknowledged" and handled.history[-1]["who"] == "Partner Brno"
    assert workspace.alerts.get(other.id).status == "new"
    with access.acting(access.Access(frozenset({project}), frozenset())):
        viewer = alerts.inbox(workspace, project, journey, "open", "answer", today=later)
        assert viewer.rows and all(row.moves == () for row in viewer.rows)  # a plain viewer handles nothing


def test_the_network_is_each_reader_s_own_and_never_shows_a_thin_cell(workspace, network):
    sources = (str(network["data"].path),)
    net = network["net"]
    for name, scope in (("praha", Scope((("branch", ("Praha",)),))),
                        ("brno-morava", Scope((("branch", ("Brno",)), ("region", ("Morava",)))))):  # fmt: skip
        workspace.users.add(name, PASSWORD)
        workspace.users.grant(name, net, "viewer", scope)
    ranked = query.Query(sources, by=("branch",), network=True)
    with as_user(workspace, "praha"):
        seen_by_praha = query.aggregate(ranked, workspace.cache)
    with as_user(workspace, "brno"):  # the same question, asked second: not Praha's answer from the cache
        seen_by_brno = query.aggregate(ranked, workspace.cache)
    assert "Praha" in set(seen_by_praha["branch"]) and "Brno" not in set(seen_by_praha["branch"])
    assert "Brno" in set(seen_by_brno["branch"]) and "Praha" not in set(seen_by_brno["branch"])
    with as_user(workspace, "brno-morava"), pytest.raises(AccessRefused):  # by branch alone: Brno's row would
        query.aggregate(ranked)  # hold Brno's answers outside Morava too (none here, but a rule is a rule)
    day = datetime.date(2026, 3, 3)
    thin = query.Query(sources, by=("branch",), date_from=day, date_to=day, network=True)
    with as_user(workspace, "brno"), pytest.raises(AccessRefused, match="too few answered values"):
        query.aggregate(thin)  # a day's answers: every other branch under 30
    line = query.Query(sources, by=("touchpoint", "period"), period="week", network=True)
    split = query.aggregate(replace(line, by=("touchpoint", "period", "branch"), network=False))
    members = split[split["answers"] > 0].groupby(["touchpoint", "period"])["branch"].nunique()
    assert (members < 5).any() and (members >= 5).any()  # weeks where fewer than five branches answered
    with as_user(workspace, "brno"):
        shown = query.aggregate(line)
    cells = set(zip(shown["touchpoint"], shown["period"], strict=True))
    assert cells == set(members[members >= 5].index)  # the line leaves out every thin week


def test_a_scoped_member_reads_no_file_to_import_and_no_check_made_on_everyone(workspace, network, tmp_path):
    from workbench.features import data

    drop = tmp_path / "imports"
    drop.mkdir()
    (drop / "export.csv").write_text("branch;csat\nOstrava;2\n", encoding="utf-8")
    [card] = [c for c in workspace.actions.list(network["net"]) if c.title == "Card of Brno"]
    checked = {"verdict": "improved", "sentence": "CSAT +0.4 against +0.11 elsewhere (n 1 500)"}
    card = workspace.actions.move(card.id, "done", who="analyst", expected_version=card.version)
    card = workspace.actions.record(card.id, checked, "analyst", expected_version=card.version)
    with as_user(workspace, "brno"):
        for read in (lambda: data.open_path(str(drop / "export.csv"), [drop]),
                     lambda: data.source_path({"path": str(drop / "export.csv")}, [drop]),
                     lambda: data.open_upload(workspace, "data:text/csv;base64,YQ==", "a.csv")):  # fmt: skip
            with pytest.raises(AccessRefused):
                read()
        seen = workspace.actions.get(card.id)
        assert seen.verification is None and seen.title == "Card of Brno"  # the card, not the network's scores
        assert all("verification" not in event.changes for event in workspace.actions.history(card.id))
    assert workspace.actions.get(card.id).verification == checked
    assert any("verification" in event.changes for event in workspace.actions.history(card.id))


def test_an_owner_scope_reads_each_journey_s_survey_by_that_journey_s_owners(workspace, network, small_journey):
    other = replace(small_journey, name="Shop two", touchpoints=tuple(
        replace(tp, owner="Web team") if tp.key == "delivery" else tp for tp in small_journey.touchpoints))
    journey = workspace.create_journey(network["net"], other)  # "delivery" again, owned by the web team here
    second = workspace.datasets.add_table(network["net"], survey(3), "Shop two answers", "survey", journey_id=journey)
    with as_user(workspace, "couriers"):
        assert query.segment_values((str(network["data"].path),), "touchpoint") == ["delivery"]
        assert query.segment_values((str(second.path),), "touchpoint") == []  # not the couriers' there
