"""The Alerts screen's features: checking a journey's rules, the inbox of raised alerts, and editing the rules.

A check evaluates the rules (:mod:`workbench.analysis.alertrules`) on the journey's latest survey and stores what
it found in the inbox (:mod:`workbench.repos.alerts`); it runs on "Check now" and whenever a survey version is
committed (:func:`raise_alerts`). A card created from an alert turns the alert into an action (:func:`link_card`).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from workbench.analysis import alertrules
from workbench.analysis.breaks import segment_columns
from workbench.core import access, formatting
from workbench.core.alerting import (
    KIND_NAMES,
    MOVES,
    OPEN_STATUSES,
    Alert,
    Rule,
    describe,
    false_alarms,
    new_key,
    significant,
)
from workbench.core.errors import WorkspaceError
from workbench.core.events import ActionCreated, DatasetCommitted
from workbench.core.i18n import current
from workbench.core.i18n import gettext as _
from workbench.data import query, waves
from workbench.features import actions

if TYPE_CHECKING:
    import diskcache
    import pandas

    from workbench.repos.alerts import Item
    from workbench.repos.workspace import Workspace

FIRST_LOOKBACK_WEEKS = 52  # a journey's first check looks back a year, not over its whole history
RECHECK_WEEKS = 4  # later checks look at the weeks checked last time again: answers may arrive late
ANSWER_LOOKBACK_DAYS = 14  # a single unhappy answer older than two weeks is no longer "hot"
LIMIT = 50  # alerts listed at once (each row brings its own buttons); the count says how many more there are


@dataclass(frozen=True)
class Checked:
    """What one check did: how many alerts it raised, and which rules it could not run (name → why)."""

    added: int
    skipped: dict[str, str]


@dataclass(frozen=True)
class Row:
    """One alert of the inbox as listed: where, when, the status changes offered and the card it may become."""

    item: Item
    where: str
    when: str
    moves: tuple[str, ...]
    draft: actions.Draft | None
    due: str = ""  # a case's due day in words ('' for a trend alert)
    overdue: bool = False  # an open case past its due day: escalated


@dataclass(frozen=True)
class InboxView:
    """The newest alerts shown (at most ``LIMIT``) of ``total`` in the chosen statuses and kind."""

    rows: list[Row]
    total: int


@dataclass(frozen=True)
class RulesView:
    """A journey's rules with their wording, their version, the choices of a new rule's scope, and what the drop
    rules may cost in false alarms (``budget``: their yearly budgets added up; ``budget_note``: in words, on the
    journey's survey, or None without drop rules)."""

    rules: list[tuple[Rule, str]]
    version: int
    touchpoints: dict[str, str]
    segments: list[str]
    budget: float = 0.0
    budget_note: str | None = None


# ------------------------------------------------------------------ checking


def runnable(rules: Sequence[Rule], columns: Collection[str], one_wave: bool) -> tuple[list[Rule], dict[str, str]]:
    """The enabled rules the survey can run, and the others by name with why not (a missing segment column; a
    share or drop rule on a survey that is one wave without dates has no weeks to compare)."""
    run, skipped = [], {}
    for rule in (rule for rule in rules if rule.enabled):
        if rule.segment and rule.segment not in columns:
            skipped[rule.name] = _("the data has no column “{column}”").format(column=rule.segment)
        elif one_wave and rule.kind != "answer":
            skipped[rule.name] = _("the survey is one wave without dates, so it has no trend")
        else:
            run.append(rule)
    return run, skipped


def ranges(
    first: datetime.date, until: datetime.date, checked_until: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    """The first day of the windows checked and of the single answers checked, in data from ``first`` to ``until``.

    Window rules look at the complete weeks since the last check plus the ``RECHECK_WEEKS`` before it (late
    answers), a year back on the first check; single answers are checked over the last two weeks.
    """
    if checked_until:
        windows = checked_until - datetime.timedelta(weeks=RECHECK_WEEKS) + datetime.timedelta(days=1)
    else:
        windows = until - datetime.timedelta(weeks=FIRST_LOOKBACK_WEEKS)
    return max(first, windows), max(first, until - datetime.timedelta(days=ANSWER_LOOKBACK_DAYS))


def week_end(day: datetime.date) -> datetime.date:
    """The last Sunday on or before ``day``: the last complete week a check reached."""
    return day - datetime.timedelta(days=(day.weekday() + 1) % 7)


def check(
    workspace: Workspace,
    journey_id: int,
    until: datetime.date | None = None,
    who: str = "",
    today: datetime.date | None = None,
) -> Checked:
    """Run the journey's rules on its latest survey from where the last check stopped and keep the new alerts.

    Alerts already stored are not raised again, and an episode that goes on extends its alert. A single unhappy
    answer becomes a case of whoever answers for it (``repos.alerts.Inbox.add``), due some days after ``today``.
    """
    state = workspace.journey(journey_id)
    survey = workspace.datasets.survey_for(state.project_id, journey_id)
    if survey is None:
        return Checked(0, {})
    sources = (str(survey.path),)
    bounds = query.date_bounds(sources)
    if bounds is None:
        return Checked(0, {})
    until = min(until or bounds[1], bounds[1])
    columns = set(query.columns(sources))
    rules, skipped = runnable(
        _with_portal(workspace.alerts.rules(journey_id)[0], _portal(workspace, state.project_id), columns),
        columns,
        waves.single_wave(survey.meta) is not None,
    )
    first_window, first_answer = ranges(bounds[0], until, workspace.alerts.checked_until(journey_id))
    checks = [
        (chosen, since)
        for kinds, since in ((("share", "drop"), first_window), (("answer",), first_answer))
        if (chosen := [rule for rule in rules if rule.kind in kinds]) and since <= until
    ]
    touchpoints = state.journey.touchpoints
    names = {tp.key: tp.name for tp in touchpoints}
    found = []
    for chosen, since in checks:
        found += _evaluated(workspace.cache, sources, chosen, since, until, names)
    owners = {tp.key: tp.owner or "" for tp in touchpoints}
    responsible = _responsible(workspace, state.project_id)
    added = workspace.alerts.add(state.project_id, journey_id, found, owners, week_end(until), who, responsible, today)
    return Checked(added, skipped)


def _portal(workspace: Workspace, project_id: int) -> str | None:
    """The project's partner column (its portals), if it has one."""
    project = workspace.project(project_id)
    return project.portal if project is not None else None


def _with_portal(rules: Sequence[Rule], portal: str | None, columns: Collection[str]) -> list[Rule]:
    """The rules as run: in a project with partner portals, a single-answer rule over all answers is run per
    partner, so each unhappy answer becomes a case of the partner it was given to."""
    if not portal or portal not in columns:
        return list(rules)
    return [replace(rule, segment=portal) if rule.kind == "answer" and not rule.segment else rule for rule in rules]


def _responsible(workspace: Workspace, project_id: int) -> dict[tuple[str, str], str]:
    """Who answers for each segment value of the project: the member scoped to it (column, value) → their name. A
    member scoped to some owners' touchpoints too answers for none: a case elsewhere would be one they cannot see
    (their owners' own cases reach them by the touchpoint's owner)."""
    found: dict[tuple[str, str], str] = {}
    scopes = workspace.users.scopes_in(project_id)
    for user in workspace.users.list():
        scope = scopes.get(user.id)
        if user.disabled or scope is None or scope.owners:
            continue
        for column, values in scope.segments:
            for value in values:
                found.setdefault((column, value), user.shown)
    return found


def raise_alerts(workspace: Workspace, event: DatasetCommitted) -> None:
    """Run the alert rules of every journey whose survey the newly committed dataset version now is."""
    if event.kind != "survey":
        return
    for journey in workspace.journeys(event.project_id):
        survey = workspace.datasets.survey_for(event.project_id, journey.id)
        if survey is not None and survey.id == event.dataset_id:
            check(workspace, journey.id)  # rules it cannot run are named on "Check now"


def check_all(workspace: Workspace, today: datetime.date | None = None) -> int:
    """Run every journey's rules on its latest survey (a team server's scheduled run): the new alerts' count."""
    added = 0
    for project in workspace.projects():
        for journey in workspace.journeys(project.id):
            added += check(workspace, journey.id, today=today).added
    return added


def link_card(workspace: Workspace, event: ActionCreated) -> None:
    """A card created from an alert turns that alert (of the card's project) into an action."""
    ref = str(event.origin.get("ref", ""))
    if event.origin.get("kind") == "alert" and ref.isdigit():
        workspace.alerts.link_action(int(ref), event.project_id, event.action_id, event.who)


def wave_note(workspace: Workspace, project_id: int, journey_id: int) -> str | None:
    """What the inbox says when the journey's survey is one wave without dates (None when it has a trend)."""
    survey = workspace.datasets.survey_for(project_id, journey_id)
    wave = waves.single_wave(survey.meta) if survey is not None else None
    if wave is None:
        return None
    return f"{waves.no_trend_message(wave)} {_('Only the rules on single answers run on it.')}"


# ------------------------------------------------------------------ the inbox


def statuses_shown(shown: str) -> tuple[str, ...] | None:
    """The statuses behind the inbox's filter: "open" (new and acknowledged), "overdue" (new), "all" (None), or
    one status."""
    return {"open": OPEN_STATUSES, "overdue": ("new",), "all": None}.get(shown, (shown,))


def can_become_action(item: Item) -> bool:
    """Whether the inbox offers to create a card from the alert: while it is open, or marked without a card."""
    return item.status in OPEN_STATUSES or (item.status == "action" and item.action_id is None)


def row(item: Item, names: dict[str, str], today: datetime.date | None = None) -> Row:
    """How the inbox lists an alert (``names``: touchpoint key → name); a case with its due day, overdue after
    ``today``."""
    alert = item.alert
    where = names.get(alert.touchpoint, alert.touchpoint) + (f" · {alert.value}" if alert.value else "")
    when = (
        formatting.date(alert.window_end)
        if alert.first_seen == alert.last_seen
        else f"{formatting.date(alert.first_seen)} – {formatting.date(alert.last_seen)}"
    )
    writes = access.current().writes(item.project_id)
    draft = actions.for_alert(item, where, names) if can_become_action(item) and writes else None
    moves = MOVES[item.status] if access.current().handles_cases(item.project_id) else ()
    due = _("due {day}").format(day=formatting.date(item.due)) if item.due else ""
    return Row(item, where, when, moves, draft, due, item.overdue(today or datetime.date.today()))


def inbox(
    workspace: Workspace,
    project_id: int,
    journey_id: int,
    shown: str = "open",
    kind: str | None = None,
    today: datetime.date | None = None,
) -> InboxView:
    """The journey's alerts in the statuses ``shown`` ("overdue": the new cases past their due day, escalated),
    newest first; ``kind`` "answer" or "trend" narrows them."""
    today = today or datetime.date.today()
    items = [
        item
        for item in workspace.alerts.list(project_id, journey_id, statuses_shown(shown))
        if (kind not in ("answer", "trend") or (item.alert.kind == "answer") == (kind == "answer"))
        and (shown != "overdue" or item.overdue(today))
    ]
    names = {tp.key: tp.name for tp in workspace.journey(journey_id).journey.touchpoints} if items else {}
    return InboxView([row(item, names, today) for item in items[:LIMIT]], len(items))


def set_status(workspace: Workspace, alert_id: int, status: str, who: str = "", *, expected_version: int) -> Item:
    """Acknowledge, close or reopen an alert (a move ``alerting.MOVES`` does not allow is refused)."""
    return workspace.alerts.set_status(alert_id, status, who, expected_version=expected_version)


def new_count(workspace: Workspace) -> int:
    """How many new alerts wait in the whole workspace."""
    return workspace.alerts.counts()["new"]


# ------------------------------------------------------------------ rules


def rules_view(workspace: Workspace, project_id: int | None, journey_id: int) -> RulesView:
    """The journey's rules in words, with the touchpoints and segment columns a new rule may watch, and what the
    drop rules may cost in false alarms a year on the journey's survey."""
    rules, version = workspace.alerts.rules(journey_id)
    names = {tp.key: tp.name for tp in workspace.journey(journey_id).journey.touchpoints}
    survey = workspace.datasets.survey_for(project_id, journey_id) if project_id else None
    columns = segment_columns((str(survey.path),)) if survey is not None else []
    drops = [rule for rule in rules if rule.enabled and rule.kind == "drop"]
    note = None
    if drops:
        note = budget_note(_allocations(survey, drops) if survey is not None else [], drops)
    return RulesView(
        [(rule, describe(rule, names)) for rule in rules],
        version,
        names,
        columns,
        sum(rule.budget for rule in drops),
        note,
    )


def _allocations(survey, rules: Sequence[Rule]) -> list[alertrules.Allocation]:
    """How the drop rules test on the survey's answers up to its last day (none on a survey without weeks)."""
    sources = (str(survey.path),)
    bounds = query.date_bounds(sources)
    if bounds is None:
        return []
    run, _skipped = runnable(rules, set(query.columns(sources)), waves.single_wave(survey.meta) is not None)
    if not run:
        return []
    # The year of comparisons and its windows, without texts: not the whole history with every comment.
    answers = _rule_answers(sources, run, alertrules.first_day_needed(run, bounds[1], bounds[1]))
    return alertrules.allocations(answers, run, bounds[1])


def _evaluated(
    cache: diskcache.Cache | None,
    sources: tuple[str, ...],
    rules: Sequence[Rule],
    since: datetime.date,
    until: datetime.date,
    names: Mapping[str, str],
) -> list[Alert]:
    """The alerts ``rules`` raise on the survey from ``since`` to ``until``, kept in ``cache`` for the survey's
    version, the rules, the range, the names and the language: a check run again on the same data (after the first,
    each check of a journey without new answers covers the same weeks) reads them back instead of the answers."""
    key = (
        "alerts:"
        + hashlib.sha256(
            repr(
                (query.Query(sources, by=()).key(), list(rules), since, until, sorted(names.items()), current())
            ).encode()
        ).hexdigest()
    )
    found = cache.get(key) if cache is not None else None
    if found is None:
        # Only the answers the rules read: the window rules a year and two windows back, not the survey's whole
        # history, and no texts; the single-answer rules their two weeks, with the response ids and comments.
        texts = ("response_id", "comment") if any(rule.kind == "answer" for rule in rules) else ()
        answers = _rule_answers(sources, rules, alertrules.first_day_needed(rules, since, until), texts)
        found = alertrules.evaluate(answers, rules, since, until, names=names)
        if cache is not None:
            cache.set(key, found)
    return found


def _rule_answers(
    sources: tuple[str, ...], rules: Sequence[Rule], start: datetime.date, texts: Sequence[str] = ()
) -> pandas.DataFrame:
    """The answers from ``start`` that ``rules`` read: the touchpoint and the rules' segments (as categories, which
    a year of answers groups by far faster than by text), the metrics and the ``texts`` columns."""
    groups = ("touchpoint", *sorted({rule.segment for rule in rules if rule.segment}))
    return query.answers(query.Query(sources, by=(), date_from=start), (*groups, *texts), categories=groups)


def budget_note(found: Sequence[alertrules.Allocation], drops: Sequence[Rule]) -> str:
    """The drop rules' false-alarm budget in words: how many false alarms a year chance alone may raise, over how
    many series and tests, at which level (``found``: their allocations on the survey; none before data)."""
    budgeted = sum(rule.budget for rule in drops if rule.alpha is None)
    if not found and not budgeted:
        return _("The drop rules test at fixed levels: their false alarms a year show once there are answers.")
    if not found:
        return _(
            "By chance alone the drop rules raise at most about {alarms} a year: each test's level is that budget "
            "divided by the tests a year, once there are answers."
        ).format(alarms=false_alarms(budgeted))
    expected = sum(allocation.expected for allocation in found)
    levels = sorted({allocation.alpha for allocation in found if allocation.tests})
    if not levels:  # too few answers in every window (a small survey, a partner's own rows)
        return _("No drop rule has enough answers in its windows to test yet: it raises no alarm, false or true.")
    if len(levels) == 1:
        level = significant(levels[0])
    else:
        level = _("{low} to {high}").format(low=significant(levels[0]), high=significant(levels[-1]))
    text = _(
        "By chance alone the drop rules raise at most about {alarms} a year for these {series} series checked "
        "weekly ({tests} tests a year, each at p < {level})."
    ).format(
        alarms=false_alarms(expected),
        series=formatting.count(sum(allocation.series for allocation in found)),
        tests=formatting.count(round(sum(allocation.tests for allocation in found))),
        level=level,
    )
    if any(allocation.wobble for allocation in found):
        text += " " + _(
            "A series' usual movement from one window to the next (a branch's good and bad months) is measured "
            "over the past year and not taken for a drop."
        )
    return text


def set_budget(workspace: Workspace, journey_id: int, total: float | None, *, expected_version: int) -> int:
    """Spread ``total`` false alarms a year evenly over the journey's enabled drop rules (a fixed level gives way
    to the budget); the rules' new version."""
    if total is None or not total > 0:
        raise WorkspaceError(_("The false alarms a year must be above zero."))
    rules, _version = workspace.alerts.rules(journey_id)
    drops = [rule.key for rule in rules if rule.enabled and rule.kind == "drop"]
    if not drops:
        raise WorkspaceError(_("There is no drop rule to give the budget to."))
    changed = [
        dataclasses.replace(rule, budget=total / len(drops), alpha=None) if rule.key in drops else rule
        for rule in rules
    ]
    return workspace.alerts.save_rules(journey_id, changed, expected_version=expected_version)


def add_rule(
    workspace: Workspace,
    journey_id: int,
    *,
    kind: str,
    metric: str,
    name: str = "",
    touchpoint: str | None = None,
    segment: str = "",
    threshold: float | None = None,
    window_weeks: int | None = None,
    min_n: int | None = None,
) -> int:
    """Add a rule to the journey's rules (named after its kind when unnamed); the rules' new version."""
    rules, version = workspace.alerts.rules(journey_id)
    rule = Rule(
        key=new_key(rules),
        name=name.strip() or KIND_NAMES.get(kind, kind),
        kind=kind,
        metric=metric,
        touchpoints=(touchpoint,) if touchpoint else (),
        segment=segment or "",
        threshold=threshold,
        window_weeks=int(window_weeks or 4),
        min_n=int(min_n or 30),
    )
    return workspace.alerts.save_rules(journey_id, [*rules, rule], expected_version=version)


def switch_rule(workspace: Workspace, journey_id: int, key: str, enabled: bool, *, expected_version: int) -> int | None:
    """Switch a rule on or off; the rules' new version, or None when it already was."""
    rules, _version = workspace.alerts.rules(journey_id)
    if all(rule.enabled == enabled for rule in rules if rule.key == key):
        return None
    changed = [dataclasses.replace(rule, enabled=enabled) if rule.key == key else rule for rule in rules]
    return workspace.alerts.save_rules(journey_id, changed, expected_version=expected_version)


def delete_rule(workspace: Workspace, journey_id: int, key: str, *, expected_version: int) -> int:
    """Delete a rule (its alerts stay in the inbox); the rules' new version."""
    rules, _version = workspace.alerts.rules(journey_id)
    return workspace.alerts.save_rules(
        journey_id, [rule for rule in rules if rule.key != key], expected_version=expected_version
    )
