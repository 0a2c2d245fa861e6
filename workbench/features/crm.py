"""The CRM lists screen's features: run a customer rule on the project's survey and customer KPIs, the list's
rows as a CRM imports them, the chance count and back-test in words, the cards a task rule creates, and re-running
every saved rule when a dataset version arrives (:func:`rerun`, subscribed in :mod:`workbench.features.workspace`).

Answers are read through :mod:`workbench.data.query`, so a scoped member's list holds only their customers.
"""

from __future__ import annotations

import datetime
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.analysis import customers
from workbench.core import customerrules, formatting, metrics
from workbench.core.alerting import false_alarms, significant
from workbench.core.contract import OVERALL
from workbench.core.customerrules import CustomerList, Rule
from workbench.core.errors import WorkspaceError
from workbench.core.events import DatasetCommitted
from workbench.core.i18n import N_, Labels, ngettext
from workbench.core.i18n import gettext as _
from workbench.core.journey import slugify
from workbench.core.safecells import csv_bytes
from workbench.data import query
from workbench.features import actions
from workbench.repos.customerrules import Run, Saved

if TYPE_CHECKING:
    import pandas

    from workbench.repos.datasets import DatasetInfo
    from workbench.repos.workspace import Workspace

CRM_FOLDER = "crm"  # the workspace folder the saved lists are written to after each import
PREVIEW = 50  # rows the page shows; the files hold them all
MAX_TASKS = 100  # cards one run of a task rule creates at most (the largest falls first)
CONTACT = ("name", "email")  # a CRM's contact columns, taken from the data when it has them
# The list's columns as a CRM imports them (keys stay English in every language: importers map them once).
COLUMNS = ("customer_id", *CONTACT, "score", "date", "touchpoint", "comment", "previous_score", "previous_date",
           "change")  # fmt: skip
TASK_TITLES = {"churn_risk": N_("Churn risk: {customer}"), "opportunity": N_("Opportunity: {customer}")}


@dataclass(frozen=True)
class Result:
    """One run of a rule: the list (every matched customer, :data:`COLUMNS` then the rule's KPI and segment
    columns, the owner of a task rule and the matched condition in words), the data it ran on, what it could not
    find, the chance count of a fall and the back-test."""

    rule: Rule
    table: pandas.DataFrame
    dataset: str
    dataset_id: int | None
    journey_id: int | None
    as_of: datetime.date | None
    problems: tuple[str, ...]
    chance: customers.Chance | None
    backtest: customers.Backtest | None

    @property
    def count(self) -> int:
        return len(self.table)


# ------------------------------------------------------------------ the data a rule runs on


def survey(workspace: Workspace, project_id: int) -> DatasetInfo | None:
    """The newest survey version with customer ids (reviews have none), or None."""
    found = [
        d
        for d in workspace.datasets.list(project_id, "survey")
        if d.latest and d.meta.get("source") != "reviews" and "respondent_id" in query.columns((str(d.path),))
    ]
    return max(found, key=lambda d: (d.created_at, d.id), default=None)


def kpi_table(workspace: Workspace, project_id: int) -> DatasetInfo | None:
    """The newest version of a KPIs-per-customer dataset, or None."""
    found = [d for d in workspace.datasets.list(project_id, "kpi_customer") if d.latest]
    return max(found, key=lambda d: (d.created_at, d.id), default=None)


def rule_columns(workspace: Workspace, project_id: int) -> dict[str, list[str]]:
    """The columns a rule may name: "kpi" (numeric KPI columns), "segment" (the survey's and the KPI table's
    text columns) and "owner" (text columns that may name a person)."""
    found = survey(workspace, project_id)
    kpis = kpi_table(workspace, project_id)
    segments = set(found.meta.get("segments", ())) if found is not None else set()
    numbers: list[str] = []
    if kpis is not None:
        numbers = [c for c in kpis.meta.get("kpis", ()) if c != "respondent_id"]
        segments |= {c for c in query.columns((str(kpis.path),)) if c not in numbers and c != "respondent_id"}
    owners = sorted(segments - {"comment"}, key=str.casefold)
    return {"kpi": sorted(numbers, key=str.casefold), "segment": owners, "owner": owners}


def run(workspace: Workspace, project_id: int, rule: Rule) -> Result:
    """The rule's list on the project's newest survey and customer KPIs (as far as the reader may read them)."""
    if problems := customerrules.validate(rule):
        raise WorkspaceError(" ".join(problems))
    found = survey(workspace, project_id)
    if found is None:
        raise WorkspaceError(_("The project has no survey answers with customer ids; import a survey first."))
    kpis = kpi_table(workspace, project_id)
    journey_id = found.journey_id or next((j.id for j in workspace.journeys(project_id)), None)
    names = _touchpoint_names(workspace, journey_id)
    table = _customers(found, kpis, rule)
    problems = [
        _("The data has no column '{column}'; the condition on it matches nobody.").format(column=c)
        for c in customers.missing_columns(table, rule)
    ]
    if table.empty:
        problems.append(
            _("No customer answered {metric} in “{name}”.").format(metric=metrics.NAMES[rule.metric], name=found.name)
        )
    end = customers.as_of(table)
    hit = customers.matches(table, rule, end)
    chance = customers.chance(table, rule.drop, rule.days, end) if rule.drop is not None else None
    return Result(
        rule,
        _rows(table[hit], rule, names),
        f"{found.name} · v{found.version}",
        found.id,
        journey_id,
        end,
        tuple(problems),
        chance,
        customers.backtest(table, hit),
    )


def _customers(found: DatasetInfo, kpis: DatasetInfo | None, rule: Rule) -> pandas.DataFrame:
    """Each customer's latest and previous answer with their KPI row (:func:`customers.joined`)."""
    sources = (str(found.path),)
    present = set(query.columns(sources))
    wanted = [c for c in (*CONTACT, *customerrules.columns_in(rule)) if c in present and c not in _ANSWER]
    answers = query.answers(query.Query(sources, by=()), ["respondent_id", "touchpoint", "comment", *wanted])
    if rule.metric not in answers.columns:
        answers[rule.metric] = None
    kpi_rows = None
    if kpis is not None:
        kpi_rows = query.table(str(kpis.path), query.columns((str(kpis.path),)))
        kpi_rows["respondent_id"] = kpi_rows["respondent_id"].astype("string")
    answers["respondent_id"] = answers["respondent_id"].astype("string")
    return customers.joined(customers.latest(answers, rule.metric, rule.touchpoint), kpi_rows)


_ANSWER = {"respondent_id", "touchpoint", "comment", "ts", "response_id"}


def _touchpoint_names(workspace: Workspace, journey_id: int | None) -> dict[str, str]:
    names = {OVERALL: _("Overall")}
    if journey_id is None:
        return names
    return names | {tp.key: tp.name for tp in workspace.journey(journey_id).journey.touchpoints}


def _rows(matched: pandas.DataFrame, rule: Rule, names: Mapping[str, str]) -> pandas.DataFrame:
    """The CRM's rows of the matched customers, the largest fall (else the lowest score) first."""
    import pandas as pd

    matched = matched.sort_values(["change", "score"], na_position="last", kind="stable")
    extra = [c for c in customerrules.columns_in(rule) if c in matched.columns and c not in (*CONTACT, "owner")]
    table = pd.DataFrame(
        {
            "customer_id": matched.index.astype("object"),
            **{c: (matched[c].astype("object") if c in matched.columns else None) for c in CONTACT},
            "score": matched["score"].to_numpy(),
            "date": matched["ts"].dt.date.to_numpy(),
            "touchpoint": [names.get(t, t) for t in matched["touchpoint"]],
            "comment": matched["comment"].astype("object").to_numpy(),
            "previous_score": matched["previous"].to_numpy(),
            "previous_date": [None if pd.isna(t) else t.date() for t in matched["previous_ts"]],
            "change": matched["change"].to_numpy(),
            **{c: matched[c].to_numpy() for c in extra if c != rule.owner_column},
        }
    )
    if not any(c in matched.columns for c in CONTACT):
        table = table.drop(columns=list(CONTACT))
    else:
        table = table.drop(columns=[c for c in CONTACT if c not in matched.columns])
    if rule.is_task:
        owner = matched[rule.owner_column] if rule.owner_column in matched.columns else None
        table["owner"] = [] if matched.empty else (owner.astype("object").to_numpy() if owner is not None else None)
        table["touchpoint_key"] = matched["visit"].astype("object").to_numpy()
    table["matched"] = [_evidence(rule, row, names) for row in matched.itertuples()]
    return table.where(table.notna(), None).reset_index(drop=True)


def _evidence(rule: Rule, row, names: Mapping[str, str]) -> str:
    """Why a customer matched, in words: 'NPS 3 (detractors) on 1 Mar 2026 at Delivery · previous 9 on 10 Jan 2026
    (−6) · revenue 150 000'."""
    metric = metrics.NAMES[rule.metric]
    group = customerrules.groups_of(rule.metric)[customerrules.group(rule.metric, row.score)]
    parts = [
        _("{metric} {score} ({group}) on {date} at {touchpoint}").format(
            metric=metric,
            score=formatting.shortest(row.score),
            group=group,
            date=formatting.date(row.ts.date()),
            touchpoint=names.get(row.touchpoint, row.touchpoint),
        )
    ]
    if row.previous == row.previous:  # not NaN: there was an earlier occasion
        parts.append(
            _("previous {score} on {date} ({change})").format(
                score=formatting.shortest(row.previous),
                date=formatting.date(row.previous_ts.date()),
                change=formatting.shortest(row.change, signed=True),
            )
        )
    values = row._asdict()
    parts += [f"{t.column} {formatting.shortest(_number(values.get(t.column)))}" for t in rule.thresholds]
    parts += [f"{s.column} {values.get(s.column)}" for s in rule.segments]
    return " · ".join(parts)


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------------ the list as files


def frame(result: Result) -> pandas.DataFrame:
    """The list as the CSV and XLSX files hold it (a task rule's touchpoint key left out)."""
    return result.table.drop(columns=["touchpoint_key"], errors="ignore")


def customer_list(result: Result, ran_at: datetime.datetime | None = None) -> CustomerList:
    """The list for :func:`workbench.core.customerrules.to_json` (an integration's file)."""
    shown = frame(result)
    at = ran_at or datetime.datetime.now().replace(microsecond=0)
    return CustomerList(
        result.rule.name,
        result.rule.kind,
        customerrules.describe(result.rule),
        result.dataset,
        at.isoformat(),
        tuple(shown.columns),
        tuple(shown.itertuples(index=False, name=None)),
    )


def file_name(rule: Rule, suffix: str) -> str:
    """The list's file name: the rule's name as a slug ('detractors-in-the-last-30-days.csv')."""
    return f"{slugify(rule.name)}.{suffix}"


def write_files(folder: Path, result: Result) -> list[Path]:
    """Write the list as CSV and JSON into ``folder`` (each whole or not at all: a CRM picking the file up never
    reads half of it); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    shown = frame(result)
    contents = {
        "csv": csv_bytes(shown.columns, shown.itertuples(index=False)),
        "json": customerrules.to_json(customer_list(result)),
    }
    written = []
    for suffix, content in contents.items():
        target = folder / file_name(result.rule, suffix)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            temporary.write_bytes(content)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        written.append(target)
    return written


def crm_folder(workspace: Workspace, project_id: int) -> Path:
    """Where the project's saved lists are written after each import."""
    return workspace.folder / CRM_FOLDER / str(project_id)


# ------------------------------------------------------------------ task rules: cards on the Actions board


def create_tasks(workspace: Workspace, project_id: int, rule_id: int, result: Result, who: str = "") -> list[int]:
    """A card on the Actions board for each matched customer of a task rule who has no open card from the rule
    yet (at most :data:`MAX_TASKS`, the largest falls first); the new cards' ids."""
    if not result.rule.is_task or result.table.empty:
        return []
    kind = result.rule.kind
    open_refs = {
        str(a.origin.get("ref"))
        for a in workspace.actions.list(project_id)
        if a.is_open and a.origin.get("kind") == kind
    }
    keys = set(_touchpoint_names(workspace, result.journey_id)) - {OVERALL}
    made: list[int] = []
    for row in result.table.to_dict("records"):
        ref = f"{rule_id}:{row['customer_id']}"
        if ref in open_refs:
            continue
        if len(made) >= MAX_TASKS:
            break
        customer = f"{row['name']} ({row['customer_id']})" if row.get("name") else str(row["customer_id"])
        draft = actions.Draft(
            title=_(TASK_TITLES[kind]).format(customer=customer)[:300],
            description=_task_text(result, row),
            touchpoints=(row["touchpoint_key"],) if row["touchpoint_key"] in keys else (),
            owner=str(row.get("owner") or ""),
            metric=result.rule.metric if result.rule.metric in metrics.METRICS else "csat",
            origin={"kind": kind, "ref": ref, "label": result.rule.name},
        )
        made.append(workspace.actions.create(project_id, draft, who, journey_id=result.journey_id).id)
    return made


def _task_text(result: Result, row: Mapping) -> str:
    """A card's evidence: the rule, why the customer matched, their comment and the data it ran on."""
    lines = [
        _("Rule: {name} ({conditions}).").format(name=result.rule.name, conditions=customerrules.describe(result.rule)),
        _("Evidence: {evidence}.").format(evidence=row["matched"]),
    ]
    if row.get("email"):
        lines.append(_("E-mail: {email}").format(email=row["email"]))
    if row.get("comment"):
        lines.append(_("Comment: “{comment}”").format(comment=row["comment"]))
    lines.append(
        _("Data: {dataset}, answers up to {date}.").format(dataset=result.dataset, date=formatting.date(result.as_of))
    )
    return "\n".join(lines)


def cards(workspace: Workspace, project_id: int, rule_id: int) -> list[actions.Action]:
    """The cards a task rule created, newest first."""
    prefix = f"{rule_id}:"
    found = [
        a
        for a in workspace.actions.list(project_id)
        if a.origin.get("kind") in customerrules.TASK_KINDS and str(a.origin.get("ref", "")).startswith(prefix)
    ]
    return sorted(found, key=lambda a: a.id, reverse=True)


# ------------------------------------------------------------------ saved rules: running them


def run_saved(
    workspace: Workspace, project_id: int, rule_id: int, who: str = "", files: bool = False
) -> tuple[Result, int]:
    """Run a saved rule: its list, the cards of a task rule, its last run kept; with ``files`` a list is written
    to the workspace's CRM folder. The result and the number of cards created."""
    saved = workspace.customer_rules.get(rule_id, project_id)
    result = run(workspace, project_id, saved.rule)
    made = create_tasks(workspace, project_id, rule_id, result, who)
    if files and not saved.rule.is_task:
        write_files(crm_folder(workspace, project_id), result)
    at = datetime.datetime.now().replace(microsecond=0)
    workspace.customer_rules.record_run(project_id, rule_id, Run(at, result.dataset_id, result.count, len(made)))
    return result, len(made)


def rerun(workspace: Workspace, event: DatasetCommitted) -> None:
    """Re-run the project's saved rules when a survey or customer-KPI version arrives: lists are counted and
    written to the CRM folder, task rules make their cards."""
    if event.kind not in ("survey", "kpi_customer"):
        return
    for saved in workspace.customer_rules.list(event.project_id):
        try:
            run_saved(workspace, event.project_id, saved.id, files=True)
        except (WorkspaceError, ValueError):
            continue  # a rule that cannot run on this data says why when run on its page


def saved_rules(workspace: Workspace, project_id: int) -> list[Saved]:
    """The project's saved rules (lists first)."""
    return workspace.customer_rules.list(project_id)


def save(
    workspace: Workspace, project_id: int, rule: Rule, who: str, rule_id: int | None, expected_version: int | None
) -> Saved:
    """Store a rule (a new one, or ``rule_id`` still at ``expected_version``)."""
    return workspace.customer_rules.save(project_id, rule, who, rule_id=rule_id, expected_version=expected_version)


def preset_rules(workspace: Workspace, project_id: int) -> list[Rule]:
    """The presets, the passives' list starting with the first branch of the survey (if it has branches)."""
    found = survey(workspace, project_id)
    column = "branch"
    values = (
        query.segment_values((str(found.path),), column)
        if found is not None and column in found.meta.get("segments", ())
        else []
    )
    return customerrules.presets(column, values[0] if values else "")


# ------------------------------------------------------------------ in words


def chance_text(chance: customers.Chance | None) -> str:
    """The chance count of a fall in words ('' without a fall condition or customers seen twice)."""
    if chance is None:
        return ""
    return _(
        "Chance alone: of {eligible} customers with an earlier answer, about {expected} are flagged in a run when "
        "nothing changed for them (in 19 runs of 20: {low} to {high}), {per_year} in a year of answers. Estimated from "
        "{rises} of {pairs} customers whose score rose by {drop} or more (answers vary by ±{noise} points from "
        "one occasion to the next)."
    ).format(
        eligible=formatting.count(chance.eligible),
        expected=false_alarms(chance.expected),
        low=formatting.count(chance.low),
        high=formatting.count(chance.high),
        per_year=false_alarms(chance.per_year),
        rises=formatting.count(chance.rises),
        pairs=formatting.count(chance.pairs),
        drop=formatting.shortest(chance.drop),
        noise=significant(chance.noise),
    )


def backtest_text(found: customers.Backtest | None) -> str:
    """The back-test in words ('' without a retained column)."""
    if found is None:
        return ""
    return ngettext(
        "Back-test: of {n} flagged customer with a known outcome, {retained} stayed; {left} left "
        "({low}–{high}), against {base} of all {customers} customers.",
        "Back-test: of {n} flagged customers with a known outcome, {retained} stayed; {left} left "
        "({low}–{high}), against {base} of all {customers} customers.",
        found.flagged,
    ).format(
        n=formatting.count(found.flagged),
        retained=formatting.count(found.retained),
        left=formatting.percent(100 * found.left_share),
        low=formatting.percent(100 * found.left_low),
        high=formatting.percent(100 * found.left_high),
        base=formatting.percent(100 * found.base_share),
        customers=formatting.count(found.customers),
    )


# ------------------------------------------------------------------ the page


HEADERS = Labels(
    {
        "customer_id": N_("Customer"),
        "name": N_("Name"),
        "email": N_("E-mail"),
        "score": N_("Score"),
        "date": N_("Date"),
        "touchpoint": N_("Touchpoint"),
        "comment": N_("Comment"),
        "previous_score": N_("Previous score"),
        "previous_date": N_("Previous date"),
        "change": N_("Change"),
        "owner": N_("Owner"),
        "matched": N_("Why"),
    }
)
PRESET = "preset:"
SAVED = "saved:"


@dataclass(frozen=True)
class Choice:
    """A rule the page offers: a saved one (its id and version) or a preset."""

    value: str
    label: str
    rule: Rule
    rule_id: int | None = None
    version: int | None = None
    run: Run | None = None

    @property
    def last_run(self) -> str:
        """When a saved rule last ran, in words ('' for a preset or a rule not run yet)."""
        return last_run_text(self.run)


def last_run_text(run: Run | None) -> str:
    """A rule's last run in words: 'Last run 2026-11-10 10:05: 42 matched, 3 new cards.'"""
    if run is None:
        return ""
    return ngettext(
        "Last run {when}: {count} matched, {n} new card.",
        "Last run {when}: {count} matched, {n} new cards.",
        run.tasks,
    ).format(when=formatting.moment(run.at), count=formatting.count(run.count), n=formatting.count(run.tasks))


@dataclass(frozen=True)
class View:
    """What the page shows of a run: the count in words, what could not be found, the first rows (each cell as
    text) under their headers, the chance count and back-test in words, and a saved task rule's cards."""

    count: int
    summary: str
    problems: tuple[str, ...]
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    chance: str
    backtest: str
    cards: tuple[tuple[int, str, str], ...]
    last_run: str = ""


def choices(workspace: Workspace, project_id: int) -> list[Choice]:
    """The project's saved rules, then the presets (named "preset: …"), as the page offers them."""
    saved = [
        Choice(f"{SAVED}{s.id}", f"{s.rule.name} · {customerrules.KINDS[s.rule.kind]}", s.rule, s.id, s.version, s.run)
        for s in workspace.customer_rules.list(project_id)
    ]
    presets = [
        Choice(f"{PRESET}{rule.preset}", _("Preset: {name}").format(name=rule.name), rule)
        for rule in preset_rules(workspace, project_id)
    ]
    return saved + presets


def run_now(workspace: Workspace, project_id: int, rule: Rule, rule_id: int | None, who: str = "") -> View:
    """Run the rule as the form holds it: a saved rule unchanged runs as saved (its run kept, a task rule's cards
    made); any other is a preview."""
    saved = workspace.customer_rules.get(rule_id, project_id) if rule_id else None
    if saved is not None and saved.rule == rule:
        result, made = run_saved(workspace, project_id, saved.id, who)
    else:
        result, made = run(workspace, project_id, rule), 0
    found = (
        ngettext("{n} customer matches", "{n} customers match", result.count).format(n=formatting.count(result.count))
        + f": {customerrules.describe(rule)}. "
        + _("Data: {dataset}, answers up to {date}.").format(dataset=result.dataset, date=formatting.date(result.as_of))
    )
    if rule.is_task:
        found += " " + (
            ngettext("{n} new card on the Actions board.", "{n} new cards on the Actions board.", made).format(
                n=formatting.count(made)
            )
            if saved is not None and saved.rule == rule
            else _("Save the rule to create its cards; they are created on each import too.")
        )
    shown = frame(result).head(PREVIEW)
    cards_made = cards(workspace, project_id, saved.id) if saved is not None else []
    return View(
        result.count,
        found,
        result.problems,
        tuple(HEADERS.get(c, c) for c in shown.columns),
        tuple(tuple(_text(v) for v in row) for row in shown.itertuples(index=False)),
        chance_text(result.chance),
        backtest_text(result.backtest),
        tuple((a.id, a.title, a.owner) for a in cards_made[:PREVIEW]),
        last_run_text(workspace.customer_rules.get(saved.id).run) if saved is not None else "",
    )


def _text(value) -> str:
    """A cell of the preview as text: numbers and dates in the reader's language, nothing as ''."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, datetime.date):
        return formatting.date(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return formatting.shortest(float(value), signed=False)
    return str(value)


def delete(workspace: Workspace, project_id: int, rule_id: int, version: int) -> None:
    """Remove a saved rule (its cards stay on the board)."""
    workspace.customer_rules.delete(project_id, rule_id, expected_version=version)
