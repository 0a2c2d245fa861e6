"""The scope-leak suite: a scoped member of a team server logs in and calls every callback of every page (exports
and downloads among them) as their browser would, then again with each input and state forged: other projects'
ids, other segment values, another project in the address, buttons clicked. No answer may carry a name, a text or a
count from outside their scope (other branches, other touchpoints' comments, other people's cards and alerts,
another project's names, the whole file's count); on SQLite and PostgreSQL.

Callbacks are called over HTTP through the guard and the login, so the access every answer is computed with is
the one a real session gets (``tests.dashcalls``). A callback may refuse (an error, nothing shown): that is no leak.
"""

from __future__ import annotations

import datetime
import json
import re

import dash
import numpy as np
import pyarrow as pa
import pytest

from cxweb import guard
from cxweb.app import accounts_of, create_app, protect
from tests.dashcalls import Browser
from tests.test_scopes import REGIONS, alert, survey
from workbench.core.access import Scope
from workbench.repos.actions import Draft

BACKENDS = ("sqlite", "postgresql")
PASSWORD = "correct horse battery"
BASE = "http://127.0.0.1:8050"
ANSWERS = 1613  # the whole file's count: a number no scoped page may show


@pytest.fixture
def team(workspace, small_journey):
    """Net (journey, survey, KPIs, cards, alerts) and Hidden Co (journey, survey, card); members brno (branch
    Brno) and couriers (touchpoints Couriers own) of Net; the ids to forge with."""
    net = workspace.create_project("Net")
    journey = workspace.create_journey(net, small_journey)
    answers = survey(1, ANSWERS)
    said = [None if c is None else f"{c} about {tp}" for c, tp in zip(answers["comment"].to_pylist(),
                                                                       answers["touchpoint"].to_pylist())]  # fmt: skip
    answers = answers.set_column(answers.column_names.index("comment"), "comment", pa.array(said))
    data = workspace.datasets.add_table(net, answers, "Answers", "survey", journey_id=journey)
    workspace.datasets.add_table(net, kpis(), "Branch KPIs", "kpi_period")
    hidden = workspace.create_project("Hidden Co")
    hidden_journey = workspace.create_journey(hidden, small_journey.__class__(**{**small_journey.__dict__,
                                                                               "name": "Secret journey"}))  # fmt: skip
    hidden_data = workspace.datasets.add_table(hidden, survey(7, 300), "Secret answers", "survey")
    workspace.datasets.settle()
    cards = {owner: workspace.actions.create(net, Draft(f"Card of {owner}", owner=owner), "setup", journey_id=journey)
             for owner in ("Brno", "Ostrava", "Couriers", "nobody")}  # fmt: skip
    hidden_card = workspace.actions.create(hidden, Draft("Secret card"), "setup", journey_id=hidden_journey)
    workspace.alerts.add(net, journey, [alert("delivery", "branch", "Brno"), alert("delivery", "branch", "Ostrava"),
                                        alert("web", "region", "Čechy"), alert("cart", "", "")],
                         {"delivery": "Couriers"}, datetime.date(2026, 6, 28))  # fmt: skip
    workspace.users.add("admin", PASSWORD, admin=True)
    for name, scope in (("brno", Scope((("branch", ("Brno",)),))), ("couriers", Scope(owners=("Couriers",)))
                        , ("whole", None)):  # fmt: skip
        workspace.users.add(name, PASSWORD)
        workspace.users.grant(name, net, "viewer", scope)
    alerts = {a.alert.value or a.alert.touchpoint: a.id for a in workspace.alerts.list(net)}
    ids = {net, journey, data.id, hidden, hidden_journey, hidden_data.id, hidden_card.id,
           *(c.id for c in cards.values()), *alerts.values()}  # fmt: skip
    return {"net": net, "hidden": hidden, "hidden_data": hidden_data.id, "ids": sorted(ids)}


def kpis() -> pa.Table:
    """Monthly revenue per branch of Net."""
    rng = np.random.default_rng(3)
    months = [datetime.date(2026, m, 1) for m in range(1, 7)]
    rows = [(month, branch) for month in months for branch in REGIONS]
    return pa.table({"period": [m for m, _b in rows], "branch": [b for _m, b in rows],
                     "revenue": rng.normal(100_000, 10_000, len(rows))})  # fmt: skip


OUTSIDE = {
    # Names, texts and counts the member must never get: other branches and their region, other touchpoints'
    # comments, cards that are not theirs, the other project, and the whole file's count. A name counts only when
    # the request did not send it (an error quoting a forged value back is no leak); a comment's text always does.
    "brno": ["Ostrava", "Praha", "Plzeň", "Jihlava", "Liberec", "Čechy", "said in Ostrava", "said in Praha",
             "said in Plzeň", "Card of Couriers", "Card of nobody"],
    "couriers": ["about web", "about cart", "Card of Brno", "Card of Ostrava", "Card of nobody"],
}  # fmt: skip
EVERYONE_OUTSIDE = ["Hidden Co", "Secret"]
WHOLE_COUNT = re.compile(r"(?<![\w.,])1[ ,\u00a0\u202f]?613(?![\w])")  # not inside a number or a hash


def forged_values(value, team_ids: list[int], hidden: int, hidden_data: int) -> list:
    """What a forger sends instead of ``value``: ids of everything (their own and not), other segment values, an
    address naming the other project."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return [*team_ids, str(hidden)]
    if isinstance(value, str) and value.startswith("?"):
        return [f"?project={hidden}&dataset={hidden_data}", "?branch=Ostrava&segment=branch&value=Praha"]
    if isinstance(value, str) or value is None:
        return ["Ostrava", "branch", hidden]
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return [["Ostrava", "Praha"], [hidden, hidden_data]]
    return []


@pytest.mark.parametrize("member", ["brno", "couriers"])
def test_a_scoped_member_gets_nothing_outside_their_scope_from_any_callback(workspace, team, member):
    leaks, answered, called = drive(workspace, team, member, [*OUTSIDE[member], *EVERYONE_OUTSIDE, WHOLE_COUNT])
    assert not leaks, "\n".join(leaks[:20])
    assert answered > 1000 and len(called) > 60  # the pages were really driven, not refused at the door


def test_the_suite_sees_what_a_viewer_of_the_whole_project_gets(workspace, team):
    """The control: the same drive as a viewer of all of Net finds the other branches' names and comments, the
    other cards and the whole file's count (so the suite can find a leak), and still nothing of Hidden Co."""
    leaks, _answered, _called = drive(workspace, team, "whole", [*OUTSIDE["brno"], *OUTSIDE["couriers"], WHOLE_COUNT])
    seen = " ".join(leaks)
    for word in ("'Ostrava'", "'said in Praha'", "'about web'", "'Card of nobody'", "1\u00a0613"):
        assert word in seen, word
    assert not drive(workspace, team, "whole", EVERYONE_OUTSIDE)[0]


def drive(workspace, team, member: str, forbidden: list) -> tuple[list[str], int, set[str]]:
    """Log in as ``member``, open every page, call every callback with the page's values and then with each input
    and state forged; the answers that carry a ``forbidden`` word (or match a forbidden pattern), how many
    answered, and which callbacks were called."""
    app = protect(create_app(workspace, team=True), guard.policy_for("127.0.0.1", 8050, "t"), accounts_of(workspace))
    client = app.server.test_client()
    logged_in = client.post(f"{BASE}/login", data={"name": member, "password": PASSWORD, "next": "/"},
                            headers={"Origin": BASE})  # fmt: skip
    assert logged_in.status_code == 303
    browser = Browser(client, BASE)
    leaks, answered, called = [], 0, set()
    for path in [page["path"] for page in dash.page_registry.values()]:
        browser.load()
        for answer in browser.open(path):
            answered += answer.status == 200
            called.add(answer.output)
            leaks += _leaks(answer, forbidden, path)
            if "Something went wrong" in answer.text or answer.status >= 500:  # a page that fails for its reader
                leaks.append(f"{path} {answer.output[:80]} failed: {_around(answer.text, ['Something went wrong'])}")
        opened = browser.snapshot()
        for dependency in browser.callable():
            for (kind, n), value in list(browser.slots(dependency)):
                trigger = n if kind == "inputs" else 0
                prop = dependency[kind][n]["property"]
                values = [1] if prop == "n_clicks" else forged_values(value, team["ids"], team["hidden"],
                                                                       team["hidden_data"])  # fmt: skip
                for forged in values:
                    answer = browser.call(dependency, {(kind, n): forged}, trigger)
                    answered += answer.status == 200
                    called.add(answer.output)
                    leaks += _leaks(answer, forbidden, path)
                    browser.restore(opened)  # the next forgery starts from the page as it was
    return leaks, answered, called


def _leaks(answer, forbidden: list, path: str) -> list[str]:
    sent = json.dumps(answer.sent, ensure_ascii=False)
    found = [word for word in forbidden if isinstance(word, str) and word in answer.text
             and (word not in sent or " " in word)]  # fmt: skip
    found += [match.group() for pattern in forbidden if isinstance(pattern, re.Pattern)
              if (match := pattern.search(answer.text))]  # fmt: skip
    if not found:
        return []
    return [f"{path} {answer.output[:80]} ← {answer.sent!r:.300}: {found} in {_around(answer.text, found)}"]


def _around(text: str, found: list) -> str:
    at = max(0, min(text.find(word) for word in found if word in text) - 120) if any(w in text for w in found) else 0
    return text[at : at + 300]
