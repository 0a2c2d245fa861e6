"""Customer rules: which customers go on a CRM list, or get a churn-risk or opportunity task, by their answers.

A rule looks at each customer's latest answer on one metric (at the overall touchpoint when the survey has one, else
at any touchpoint, or at the touchpoint it names) and at their previous answer on an earlier day. Its conditions
all hold for a customer it matches: the latest answer's group (NPS detractors, passives, promoters; the low or high
box of another scale) within the last N days; a fall of at least X points since the previous answer; thresholds on
the customer's KPI columns (revenue ≥ 100 000, products ≤ 1, referrals = 0); segment values (branch =
Praha-Centrum). A list rule makes a list for the CRM; a task rule (churn risk, opportunity) makes a card on the
Actions board for the owner named in a column of the data, else the touchpoint's owner.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace

from workbench.core import formatting, metrics
from workbench.core.i18n import N_, Labels
from workbench.core.i18n import gettext as _

KINDS = Labels({"list": N_("CRM list"), "churn_risk": N_("Churn-risk task"), "opportunity": N_("Opportunity task")})
TASK_KINDS = ("churn_risk", "opportunity")  # the kinds whose matches become cards on the Actions board
NPS_GROUPS = Labels({"detractor": N_("detractors"), "passive": N_("passives"), "promoter": N_("promoters")})
BOX_GROUPS = Labels({"low": N_("low box"), "middle": N_("middle"), "high": N_("high box")})
OPERATORS = (">=", "<=", "=")
OPERATOR_SIGNS = {">=": "≥", "<=": "≤", "=": "="}
MAX_DAYS = 3660  # ten years: a longer window is any time
MAX_CONDITIONS = 10  # thresholds or segment conditions of one rule
NAME_LIMIT = 200
ANY_TIME = 0  # days = 0: the latest answer may be of any date


def groups_of(metric: str) -> Labels:
    """The groups an answer of ``metric`` falls into: NPS detractors/passives/promoters, else low/middle/high box."""
    return NPS_GROUPS if metric == "nps" else BOX_GROUPS


def group(metric: str, score: float) -> str:
    """The group of one answer: NPS 0–6 detractor, 7–8 passive, 9–10 promoter; another scale's two lowest answers
    are its low box, its top box (CSAT 4–5) its high box, the rest the middle."""
    if metric == "nps":
        return (
            "detractor" if score <= metrics.DETRACTOR_AT else "promoter" if score >= metrics.PROMOTER_AT else "passive"
        )
    low, _high = metrics.SCALES[metric]
    return "low" if score <= low + 1 else "high" if score >= metrics.TOP_BOX[metric] else "middle"


@dataclass(frozen=True)
class Threshold:
    """A condition on one of the customer's KPI columns: ``column`` ``operator`` ``value`` (revenue >= 100000)."""

    column: str
    operator: str
    value: float

    def holds(self, found: float | None) -> bool:
        """Whether a customer's KPI value passes (a missing value never does)."""
        if found is None or (isinstance(found, float) and math.isnan(found)):
            return False
        if self.operator == ">=":
            return found >= self.value
        if self.operator == "<=":
            return found <= self.value
        return found == self.value

    def words(self) -> str:
        """'revenue ≥ 100 000'."""
        return f"{self.column} {OPERATOR_SIGNS.get(self.operator, self.operator)} {formatting.shortest(self.value)}"


@dataclass(frozen=True)
class Segment:
    """A condition on a segment column of the latest answer or the KPI row: its value is one of ``values``."""

    column: str
    values: tuple[str, ...]

    def words(self) -> str:
        """'branch = Praha-Centrum, Brno-Střed'."""
        return f"{self.column} = {', '.join(self.values)}"


@dataclass(frozen=True)
class Rule:
    """A customer rule (see the module's text).

    Parameters
    ----------
    name : as the page and the file names show it.
    kind : "list", "churn_risk" or "opportunity" (:data:`KINDS`).
    metric : the rated metric whose answers count (NPS, CSAT, CES, stars…).
    touchpoint : the touchpoint whose answers count; "" takes the overall answers when the survey has them, else
        every touchpoint's.
    days : the latest answer is at most this many days older than the survey's newest answer (0: any date).
    groups : the latest answer is in one of these groups (:func:`groups_of`); empty: any group.
    drop : the latest answer is at least this many points below the previous one; None: no such condition.
    thresholds : conditions on the customer's KPI columns, all of which hold.
    segments : conditions on segment columns, all of which hold.
    owner_column : a task rule's owner: this column of the KPI row or the answer (an account manager); "" or an
        empty cell takes the owner of the latest answer's touchpoint.
    preset : the preset the rule was made from ("" for a rule of one's own).
    """

    name: str
    kind: str = "list"
    metric: str = "nps"
    touchpoint: str = ""
    days: int = 30
    groups: tuple[str, ...] = ()
    drop: float | None = None
    thresholds: tuple[Threshold, ...] = ()
    segments: tuple[Segment, ...] = ()
    owner_column: str = ""
    preset: str = ""

    @property
    def is_task(self) -> bool:
        return self.kind in TASK_KINDS

    def to_dict(self) -> dict:
        """JSON-safe fields."""
        data = asdict(self)
        data["groups"] = list(self.groups)
        data["thresholds"] = [asdict(t) for t in self.thresholds]
        data["segments"] = [{"column": s.column, "values": list(s.values)} for s in self.segments]
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> Rule:
        """The rule stored by :meth:`to_dict` (unknown fields ignored)."""
        known = set(cls.__dataclass_fields__)
        fields_ = {k: v for k, v in data.items() if k in known}
        fields_["groups"] = tuple(data.get("groups") or ())
        fields_["thresholds"] = tuple(
            Threshold(str(t["column"]), str(t["operator"]), float(t["value"])) for t in data.get("thresholds") or ()
        )
        fields_["segments"] = tuple(
            Segment(str(s["column"]), tuple(str(v) for v in s.get("values") or ())) for s in data.get("segments") or ()
        )
        return cls(**fields_)


def validate(rule: Rule) -> list[str]:
    """What is wrong with a rule, in words (empty when it can run)."""
    problems = []
    if not " ".join(rule.name.split()):
        problems.append(_("The rule needs a name."))
    elif len(rule.name) > NAME_LIMIT:
        problems.append(_("A rule's name has at most {n} characters.").format(n=NAME_LIMIT))
    if rule.kind not in KINDS:
        problems.append(
            _("Unknown kind of rule '{kind}'; use one of {kinds}.").format(kind=rule.kind, kinds=", ".join(KINDS))
        )
    if rule.metric not in metrics.SCALES:
        problems.append(
            _("Unknown metric '{metric}'; use one of {metrics}.").format(
                metric=rule.metric, metrics=", ".join(metrics.SCALES)
            )
        )
        return problems
    if not 0 <= rule.days <= MAX_DAYS:
        problems.append(
            _("The number of days is between 1 and {most} (0: any date); {days} is not.").format(
                most=formatting.count(MAX_DAYS), days=rule.days
            )
        )
    unknown = [g for g in rule.groups if g not in groups_of(rule.metric)]
    if unknown:
        problems.append(
            _("{metric} answers have no group {group}; use {groups}.").format(
                metric=metrics.NAMES[rule.metric], group=", ".join(unknown), groups=", ".join(groups_of(rule.metric))
            )
        )
    low, high = metrics.SCALES[rule.metric]
    if rule.drop is not None and not 0 < rule.drop <= high - low:
        problems.append(
            _("A fall is between 1 and {most} points of {metric}; {drop} is not.").format(
                most=high - low, metric=metrics.NAMES[rule.metric], drop=formatting.shortest(rule.drop)
            )
        )
    if len(rule.thresholds) + len(rule.segments) > MAX_CONDITIONS:
        problems.append(_("A rule has at most {n} KPI and segment conditions.").format(n=MAX_CONDITIONS))
    for threshold in rule.thresholds:
        if not threshold.column.strip():
            problems.append(_("A KPI condition needs its column."))
        if threshold.operator not in OPERATORS:
            problems.append(
                _("A KPI condition compares with ≥, ≤ or =; '{operator}' is none of them.").format(
                    operator=threshold.operator
                )
            )
        if not math.isfinite(threshold.value):
            problems.append(_("The KPI condition on {column} needs a number.").format(column=threshold.column))
    for segment in rule.segments:
        if not segment.column.strip():
            problems.append(_("A segment condition needs its column."))
        elif not segment.values:
            problems.append(_("Choose at least one value of {column}.").format(column=segment.column))
    if not (rule.groups or rule.drop is not None or rule.thresholds or rule.segments):
        problems.append(_("A rule needs at least one condition: a group, a fall, a KPI or a segment."))
    return problems


def describe(rule: Rule, touchpoint_name: str = "") -> str:
    """The rule's conditions in words: 'NPS detractors · latest answer in the last 30 days · revenue ≥ 100 000'."""
    metric = metrics.NAMES[rule.metric] if rule.metric in metrics.NAMES else rule.metric
    parts = []
    if rule.groups:
        names = groups_of(rule.metric)
        parts.append(f"{metric} {', '.join(names.get(g, g) for g in rule.groups)}")
    if rule.drop is not None:
        parts.append(
            _("{metric} fell by {drop} points or more since the previous answer").format(
                metric=metric, drop=formatting.shortest(rule.drop)
            )
        )
    if not parts:
        parts.append(_("latest {metric} answer").format(metric=metric))
    if rule.days:
        parts.append(_("latest answer in the last {days} days").format(days=formatting.count(rule.days)))
    if rule.touchpoint:
        parts.append(_("at {touchpoint}").format(touchpoint=touchpoint_name or rule.touchpoint))
    parts += [t.words() for t in rule.thresholds]
    parts += [s.words() for s in rule.segments]
    return " · ".join(parts)


# ------------------------------------------------------------------ presets

PRESET_NAMES = Labels(
    {
        "detractors": N_("Detractors in the last 30 days"),
        "promoters-no-referral": N_("Promoters with no referral yet"),
        "fell": N_("Customers whose latest score fell by 3 or more"),
        "branch-passives": N_("Passives of a branch"),
        "churn-risk": N_("Churn risk: key account whose score fell"),
        "opportunity": N_("Opportunity: happy customer with few products"),
    }
)


def presets(branch_column: str = "branch", branch: str = "") -> list[Rule]:
    """The issue's four lists and two task rules, named in the current language; ``branch`` is the value the
    passives' list starts with (the first of the data's, say)."""
    made = [
        Rule(PRESET_NAMES["detractors"], metric="nps", days=30, groups=("detractor",)),
        Rule(
            PRESET_NAMES["promoters-no-referral"],
            metric="nps",
            days=90,
            groups=("promoter",),
            thresholds=(Threshold("referrals", "=", 0.0),),
        ),
        Rule(PRESET_NAMES["fell"], metric="nps", days=90, drop=3.0),
        Rule(
            PRESET_NAMES["branch-passives"],
            metric="nps",
            days=90,
            groups=("passive",),
            segments=(Segment(branch_column, (branch,) if branch else ()),),
        ),
        Rule(
            PRESET_NAMES["churn-risk"],
            kind="churn_risk",
            metric="nps",
            days=30,
            drop=3.0,
            thresholds=(Threshold("revenue", ">=", 100_000.0),),
            owner_column="account_manager",
        ),
        Rule(
            PRESET_NAMES["opportunity"],
            kind="opportunity",
            metric="nps",
            days=30,
            groups=("promoter",),
            thresholds=(Threshold("products", "<=", 1.0),),
            owner_column="account_manager",
        ),
    ]
    return [replace(rule, preset=key) for rule, key in zip(made, PRESET_NAMES, strict=True)]


# ------------------------------------------------------------------ the list as a file for an integration


@dataclass(frozen=True)
class CustomerList:
    """A rule's result as handed to the CRM: the rule, when it ran on which data, the columns and the rows."""

    rule: str
    kind: str
    conditions: str
    dataset: str
    ran_at: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...] = field(default=())


def to_json(found: CustomerList) -> bytes:
    """The list as a UTF-8 JSON file: the rule and its run, then one object per customer (column → value; text kept
    exactly as in the data, dates as ISO text, a missing value as null)."""
    customers = [dict(zip(found.columns, (_json_value(v) for v in row), strict=True)) for row in found.rows]
    document = {
        "format": "cxwb-crm-list",
        "version": 1,
        "rule": found.rule,
        "kind": found.kind,
        "conditions": found.conditions,
        "dataset": found.dataset,
        "ran_at": found.ran_at,
        "count": len(customers),
        "customers": customers,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _json_value(value):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _json_value(value.item())
    if isinstance(value, (str, int, float, bool)):
        return value
    return None if value != value else str(value)  # NaT and other missing values are not equal to themselves


def columns_in(rule: Rule) -> list[str]:
    """Every KPI, segment and owner column the rule names, in the order it names them (the list's column order)."""
    named = [t.column for t in rule.thresholds] + [s.column for s in rule.segments] + [rule.owner_column]
    return [c for c in dict.fromkeys(named) if c]


_CONDITION = re.compile(r"^\s*(.+?)\s*(>=|<=|≥|≤|=)\s*(.*?)\s*$")
_SIGNS = {"≥": ">=", "≤": "<=", ">=": ">=", "<=": "<=", "=": "="}


def parse_thresholds(text: str) -> tuple[tuple[Threshold, ...], list[str]]:
    """KPI conditions typed one a line, 'revenue >= 100 000' (≥ and ≤ too, a decimal comma allowed): the
    conditions and the problems of the lines that are none, naming the line."""
    found, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _CONDITION.match(line)
        try:
            value = formatting.decimal(match.group(3)) if match else None
        except ValueError:
            value = None
        if match is None or value is None:
            problems.append(
                _("KPI conditions, line {n}: write a column, ≥, ≤ or = and a number, e.g. revenue >= 100000.").format(
                    n=number
                )
            )
            continue
        found.append(Threshold(match.group(1), _SIGNS[match.group(2)], value))
    return tuple(found), problems


def parse_segments(text: str) -> tuple[tuple[Segment, ...], list[str]]:
    """Segment conditions typed one a line, 'branch = Praha-Centrum, Brno-Střed': the conditions and the problems
    of the lines that are none, naming the line."""
    found, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        column, equals, values = line.partition("=")
        if not equals or not column.strip():
            problems.append(
                _("Segment conditions, line {n}: write a column, = and its values, e.g. branch = North, South.").format(
                    n=number
                )
            )
            continue
        found.append(Segment(column.strip(), tuple(v.strip() for v in values.split(",") if v.strip())))
    return tuple(found), problems


def thresholds_text(rule: Rule) -> str:
    """The rule's KPI conditions as :func:`parse_thresholds` reads them."""
    return "\n".join(f"{t.column} {t.operator} {formatting.editable(t.value)}" for t in rule.thresholds)


def segments_text(rule: Rule) -> str:
    """The rule's segment conditions as :func:`parse_segments` reads them."""
    return "\n".join(f"{s.column} = {', '.join(s.values)}" for s in rule.segments)
