"""The customer view (a CRM's customer card): customers found by id, name or e-mail, and everything that touches one
customer, newest first: their survey answers with scores and comments, their customer-KPI rows, the alerts raised on
their answers and the action cards that name them.

Answers are read through :mod:`workbench.data.query` and KPI rows through ``query.table``, so a scoped member finds
and sees only the customers of their own rows: a customer of another branch is not found, and has no card. Alerts
and cards come from the store, which shows a scoped member only theirs, and are matched to the answers they can see.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.analysis.breaks import segment_columns
from workbench.analysis.coding import SCORE_LIMITS
from workbench.core import formatting, metrics
from workbench.core.contract import METRICS, OVERALL
from workbench.core.errors import WorkspaceError
from workbench.core.folding import fold
from workbench.core.i18n import gettext as _
from workbench.data import query

if TYPE_CHECKING:
    import pandas

    from workbench.repos.datasets import DatasetInfo
    from workbench.repos.workspace import Workspace

SEARCH_CHARS = 100  # the longest search text: an id, a name or an e-mail address
FOUND_ROWS = 20  # customers a search lists
SECTION_ROWS = 50  # entries of each kind (answers, KPI rows, alerts, cards) a card shows; the rest are counted
NAME_COLUMNS = ("name", "customer_name", "full_name")  # a customer-KPI column holding the customer's name
EMAIL_COLUMNS = ("email", "e-mail", "mail")


class SearchRefused(WorkspaceError):
    """A search text the customer view does not take (too long)."""


@dataclass(frozen=True)
class Found:
    """A customer a search found: their id, name and e-mail when the KPI data has them, and their last answer."""

    customer_id: str
    name: str
    email: str
    last: str  # the day of their newest answer ('' without answers)
    answers: int


@dataclass(frozen=True)
class Score:
    """One score of an answer: the metric's name, the score as text and its group (negative, neutral, positive;
    '' for a scale without groups), and for a header's latest score the day it was given."""

    metric: str
    label: str
    text: str
    group: str
    date: str = ""


@dataclass(frozen=True)
class Entry:
    """One line of a customer's timeline: an answer, an alert or an action card (``kind``), or a KPI row."""

    kind: str
    at: datetime.datetime | None
    date: str
    title: str
    scores: tuple[Score, ...] = ()
    comment: str = ""
    details: tuple[tuple[str, str], ...] = ()  # (label, value) pairs: dataset, segments, KPI columns, status…
    action_id: int | None = None


@dataclass(frozen=True)
class Card:
    """A customer's card: who they are, their latest score per metric, their timeline newest first, their KPI rows,
    and how many entries of each kind were left out (``more``: (kind, count), the kinds "answer", "kpi", "alert" and "action")."""

    customer_id: str
    name: str
    email: str
    answers: int
    latest: tuple[Score, ...]
    timeline: tuple[Entry, ...]
    kpis: tuple[Entry, ...]
    more: tuple[tuple[str, int], ...]


# ------------------------------------------------------------------ search


def search(workspace: Workspace, project_id: int, text: str | None, limit: int = FOUND_ROWS) -> list[Found]:
    """The customers whose id, name or e-mail contains ``text`` (any case; names and e-mails with or without
    accents), newest answer first, at most ``limit``; none for a blank text."""
    typed = checked_text(text)
    if not typed:
        return []
    wanted, folded = typed.casefold(), fold(typed)
    activities = [_activity(workspace, info) for info in _surveys(workspace, project_id)]
    matched = {
        c
        for activity in activities
        for c in activity.index[activity.index.str.casefold().str.contains(wanted, regex=False)]
    }
    people: dict[str, tuple[str, str]] = {}
    for info in _kpi_datasets(workspace, project_id):
        for customer, name, email, words in _identities(workspace, str(info.path)):
            if folded in words:
                matched.add(customer)
            known = people.get(customer, ("", ""))
            people[customer] = (known[0] or name, known[1] or email)
    last: dict[str, datetime.datetime] = {}
    counts = dict.fromkeys(matched, 0)
    for activity in activities:
        for customer, when, n in activity.loc[
            activity.index.intersection(list(matched)), ["last", "answers"]
        ].itertuples():
            last[customer] = max(last.get(customer, when), when)
            counts[customer] += int(n)
    ordered = sorted(counts, key=lambda c: (c not in last, -last[c].timestamp() if c in last else 0.0, c))
    return [
        Found(
            customer,
            *people.get(customer, ("", "")),
            formatting.date(last[customer].date()) if customer in last else "",
            counts[customer],
        )
        for customer in ordered[:limit]
    ]


def checked_text(text: str | None) -> str:
    """A search text stripped; :class:`SearchRefused` when it is longer than :data:`SEARCH_CHARS`."""
    text = (text or "").strip()
    if len(text) > SEARCH_CHARS:
        raise SearchRefused(
            _("Search for at most {limit} characters: an id, a name or an e-mail address.").format(
                limit=formatting.count(SEARCH_CHARS)
            )
        )
    return text


# ------------------------------------------------------------------ the card


def card(workspace: Workspace, project_id: int, customer_id: str | None, rows: int = SECTION_ROWS) -> Card | None:
    """Everything that touches the customer, newest first (at most ``rows`` entries of each kind, the rest counted);
    None when the reader sees nothing of them (an unknown id, or a customer outside a scoped member's rows)."""
    customer = checked_text(customer_id)
    if not customer:
        return None
    answers = [(info, frame) for info in _surveys(workspace, project_id) if len(frame := _answers(info, customer))]
    kpis = _kpi_rows(workspace, project_id, customer)
    if not answers and not kpis:
        return None
    entries = [entry for info, frame in answers for entry in _answer_entries(workspace, info, frame)]
    entries.sort(key=lambda e: e.at or datetime.datetime.min, reverse=True)
    responses = {
        str(r): t.to_pydatetime()
        for _info, frame in answers
        for r, t in zip(frame["response_id"], frame["ts"], strict=True)
    }
    alerts = _alert_entries(workspace, project_id, responses)
    actions = _action_entries(workspace, project_id, customer)
    people = [(name, email) for name, email in (_identity(frame) for frame in kpis.values()) if name or email]
    name, email = people[0] if people else ("", "")
    kpi_entries = [entry for dataset, frame in kpis.items() for entry in _kpi_entries(dataset, frame)]
    sections = {"answer": entries, "kpi": kpi_entries, "alert": alerts, "action": actions}
    timeline = sorted(
        [e for kind in ("answer", "alert", "action") for e in sections[kind][:rows]],
        key=lambda e: e.at or datetime.datetime.min,
        reverse=True,
    )
    return Card(
        customer,
        name,
        email,
        len(entries),
        _latest(entries),
        tuple(timeline),
        tuple(kpi_entries[:rows]),
        tuple((kind, len(found) - rows) for kind, found in sections.items() if len(found) > rows),
    )


def customer_href(customer_id: str, project_id: int | None = None) -> str:
    """The address of a customer's card (the id URL-encoded)."""
    from urllib.parse import urlencode

    return "/customer?" + urlencode({**({"project": project_id} if project_id is not None else {}), "id": customer_id})


# ------------------------------------------------------------------ internals


def _surveys(workspace: Workspace, project_id: int) -> list[DatasetInfo]:
    """The latest version of each survey of the project that carries respondent ids."""
    return [
        info
        for info in workspace.datasets.list(project_id, "survey")
        if info.latest and "respondent_id" in query.columns((str(info.path),))
    ]


def _activity(workspace: Workspace, info: DatasetInfo) -> pandas.DataFrame:
    """Each respondent's newest answer time and number of answers in one survey version, as the reader sees them
    (cached under the query's key, which holds the file's version and the reader's scope)."""
    asked = query.Query((str(info.path),), by=())
    key = f"customers:{asked.key()}"
    found = workspace.cache.get(key)
    if found is None:
        frame = query.answers(asked, ["respondent_id"], categories=("respondent_id",))
        found = frame.groupby("respondent_id", observed=True)["ts"].agg(last="max", answers="size")
        found.index = found.index.astype(str)
        workspace.cache.set(key, found)
    return found


def _answers(info: DatasetInfo, customer: str) -> pandas.DataFrame:
    """The customer's answers in one survey version that the reader may see, newest first."""
    sources = (str(info.path),)
    asked = query.Query(sources, by=(), filters=(("respondent_id", (customer,)),))
    frame = query.answers(asked, ["response_id", "touchpoint", "comment", *segment_columns(sources)])
    return frame.iloc[::-1].reset_index(drop=True)


def _answer_entries(workspace: Workspace, info: DatasetInfo, frame: pandas.DataFrame) -> list[Entry]:
    """A survey version's answers of the customer as timeline entries, with the journey's touchpoint names."""
    names = {OVERALL: _("Overall")}
    if info.journey_id is not None:
        names.update({tp.key: tp.name for tp in workspace.journey(info.journey_id).journey.touchpoints})
    segments = [c for c in segment_columns((str(info.path),)) if c in frame.columns]
    measured = [m for m in METRICS if m in frame.columns]
    entries = []
    for row in frame.to_dict("records"):
        touchpoint = row.get("touchpoint")
        details = ((_("Dataset"), info.name),) + tuple(
            (column, str(row[column])) for column in segments if _present(row[column])
        )
        entries.append(
            Entry(
                "answer",
                row["ts"].to_pydatetime() if _present(row["ts"]) else None,
                formatting.date(row["ts"].date()) if _present(row["ts"]) else "",
                names.get(touchpoint, touchpoint) if _present(touchpoint) else _("No touchpoint"),
                tuple(_score(m, row[m]) for m in measured if _present(row[m])),
                row["comment"].strip() if isinstance(row.get("comment"), str) else "",
                details,
            )
        )
    return entries


def _score(metric: str, value: float, date: str = "") -> Score:
    """One answer's score in ``metric``, as text with its group (detractor, passive, promoter and the like)."""
    value = float(value)
    limits = SCORE_LIMITS.get(metric)
    group = (
        ""
        if limits is None
        else ("negative" if value <= limits[0] else "neutral" if value <= limits[1] else "positive")
    )
    text = formatting.number(value, 0 if value == int(value) else 1)
    return Score(metric, metrics.NAMES.get(metric, _("rating")), text, group, date)


def _latest(entries: Sequence[Entry]) -> tuple[Score, ...]:
    """The newest score of each metric over the customer's answers (``entries`` newest first), dated."""
    latest: dict[str, Score] = {}
    for entry in entries:
        for score in entry.scores:
            latest.setdefault(score.metric, Score(score.metric, score.label, score.text, score.group, entry.date))
    return tuple(latest[m] for m in METRICS if m in latest)


def _kpi_datasets(workspace: Workspace, project_id: int) -> list[DatasetInfo]:
    return [info for info in workspace.datasets.list(project_id, "kpi_customer") if info.latest]


def _kpi_rows(workspace: Workspace, project_id: int, customer: str) -> dict[str, pandas.DataFrame]:
    """The customer's rows of each customer-KPI dataset (by its name) that the reader may see (``query.table``)."""
    found = {}
    for info in _kpi_datasets(workspace, project_id):
        path = str(info.path)
        names = query.columns((path,))
        if "respondent_id" not in names:
            continue
        table = query.table(path, names)
        rows = table[table["respondent_id"].astype(str) == customer]
        if len(rows):
            found[info.name] = rows.reset_index(drop=True)
    return found


def _identities(workspace: Workspace, path: str) -> list[tuple[str, str, str, str]]:
    """(id, name, e-mail, the three folded for a search) of each row of a customer-KPI file the reader may see, cached per version of the file
    and reader (a search reads them for every key typed)."""
    names = query.columns((path,))
    if "respondent_id" not in names:
        return []
    stat = os.stat(path)
    key = f"customers-named:{path}:{stat.st_size}:{stat.st_mtime_ns}:{query.scope_key((path,))}"
    found = workspace.cache.get(key)
    if found is None:
        name, email = _column(names, NAME_COLUMNS), _column(names, EMAIL_COLUMNS)
        table = query.table(path, ["respondent_id", *(c for c in (name, email) if c)])
        found = [
            (customer, who, address, fold(f"{customer}\n{who}\n{address}"))
            for customer, who, address in zip(
                table["respondent_id"].astype(str).tolist(),
                [_text(v) for v in table[name]] if name else [""] * len(table),
                [_text(v) for v in table[email]] if email else [""] * len(table),
                strict=True,
            )
        ]
        workspace.cache.set(key, found)
    return found


def _column(names: Sequence[str], wanted: Sequence[str]) -> str | None:
    """The first of ``names`` that is one of ``wanted`` ignoring case."""
    return next((name for name in names if name.casefold() in wanted), None)


def _identity(frame: pandas.DataFrame) -> tuple[str, str]:
    """The name and e-mail in a customer's KPI rows ('' where absent)."""
    name, email = _column(list(frame.columns), NAME_COLUMNS), _column(list(frame.columns), EMAIL_COLUMNS)
    first = frame.iloc[0]
    return (_text(first[name]) if name else "", _text(first[email]) if email else "")


def _kpi_entries(dataset: str, frame: pandas.DataFrame) -> list[Entry]:
    """A customer-KPI dataset's rows of the customer: each column and its value."""
    return [
        Entry(
            "kpi",
            None,
            "",
            dataset,
            details=tuple((column, _value_text(value)) for column, value in row.items() if column != "respondent_id"),
        )
        for row in frame.to_dict("records")
    ]


def _alert_entries(workspace: Workspace, project_id: int, responses: Mapping[str, datetime.datetime]) -> list[Entry]:
    """The single-answer alerts raised on the customer's answers (``responses``: response id → its time, where the
    alert is placed), newest first; the store shows a scoped member only their alerts."""
    if not responses:
        return []
    from workbench.core.alerting import STATUS_NAMES

    found = []
    for item in workspace.alerts.list(project_id):
        alert = item.alert
        if alert.kind != "answer" or alert.response_id not in responses:
            continue
        found.append(
            Entry(
                "alert",
                responses[alert.response_id],
                formatting.date(alert.last_seen),
                alert.message,
                details=((_("Status"), STATUS_NAMES[item.status]), (_("Owner"), item.owner or "–")),
                action_id=item.action_id,
            )
        )
    return found


def _action_entries(workspace: Workspace, project_id: int, customer: str) -> list[Entry]:
    """The action cards made for the customer (an origin ref '<rule id>:<customer id>', as the CRM rules' cards
    have, or the id itself) or whose description names their id as a whole word (C0001 is not C00012), newest
    first."""
    from workbench.repos.actions import STATUS_NAMES

    named = re.compile(rf"(?<![\w]){re.escape(customer)}(?![\w])")
    found = []
    for action in workspace.actions.list(project_id):
        ref = str((action.origin or {}).get("ref", ""))
        if not (ref.rsplit(":", 1)[-1] == customer or named.search(action.description or "")):
            continue
        found.append(
            Entry(
                "action",
                action.created_at,
                formatting.date(action.created_at.date()) if action.created_at else "",
                action.title,
                details=((_("Column"), STATUS_NAMES[action.status]), (_("Owner"), action.owner or "–")),
                action_id=action.id,
            )
        )
    found.sort(key=lambda e: e.at or datetime.datetime.min, reverse=True)
    return found


def _present(value) -> bool:
    """Whether a cell holds a value (not None, NaN, NaT or NA)."""
    import pandas as pd

    return not (value is None or (pd.api.types.is_scalar(value) and pd.isna(value)))


def _text(value) -> str:
    return str(value).strip() if _present(value) else ""


def _value_text(value) -> str:
    """A KPI cell as shown: numbers through the formatter, text as it is, a missing one as '–'."""
    if not _present(value):
        return formatting.NONE
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return formatting.shortest(float(value))
    return str(value)
