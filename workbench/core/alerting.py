"""Red alerts, the vocabulary: the rules that watch survey answers, the alerts they raise, and how an alert is handled.

Three kinds of rule:

- **answer** — one answer at or below a negative score (by default NPS 0–6, CSAT 1–2, CES 1–3; CES 7 = very
  easy), optionally only when it carries a comment: someone to call back. One alert per answer.
- **share** — the share of negative answers in a rolling window of weeks is above a limit, with n ≥ ``min_n``.
- **drop** — the score in a rolling window (NPS, or the mean CSAT or CES) is lower than in the window of the same
  length just before, by at least a minimum size, significant in a one-sided z-test and with n ≥ ``min_n`` in both
  windows. The test's level comes from the rule's **false-alarm budget**: ``budget`` false alarms a year when
  nothing changes, spread evenly over the rule's tests a year (series × weekly checks), so each test runs at
  ``alpha_for(budget, tests)`` — a Bonferroni allocation of a per-family error rate (Tukey 1953; Hochberg & Tamhane
  1987, *Multiple Comparison Procedures*, §1.2): the expected number of false alarms of a rule set is the sum of
  its rules' budgets. A rule may instead fix its ``alpha``.

Rules are evaluated by :mod:`workbench.analysis.alertrules`; alerts are kept in a journey's inbox
(:mod:`workbench.repos.alerts`). An alert found by a later evaluation that :func:`continues` a stored one is folded
into it with :func:`merge`, so a lasting problem stays one alert. A stored alert moves through ``STATUSES`` only
along ``MOVES`` (by hand) or into "action" when a card is created from it (:func:`move_problem` says why not).
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workbench.core import formatting, i18n, metrics
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _

KINDS = ("answer", "share", "drop")
# An answer at or below this score is negative (a review of 1–2 stars as a CSAT of 1–2).
NEGATIVE_AT = {"nps": metrics.DETRACTOR_AT, "csat": 2, "ces": 3, "stars": 2}
# The default smallest drop worth an alert, in metric points.
MIN_DROP = {"nps": 10.0, "csat": 0.3, "ces": 0.3, "stars": 0.3}
SHARE_LIMIT = 0.25  # default share of negative answers above which a share rule fires
BUDGET = 1.0  # default false alarms a year a drop rule may raise when nothing changes
WEEKS_A_YEAR = 52  # a window rule checks each series at every week end
LOOSEST_ALPHA = 0.05  # a rule with few tests a year never tests looser than the usual 5 % level
_DATES = ("first_seen", "last_seen", "window_start", "window_end")

STATUSES = ("new", "acknowledged", "action", "closed")
STATUS_NAMES = i18n.Labels(
    {
        "new": N_("New"),
        "acknowledged": N_("Acknowledged"),
        "action": N_("Turned into an action"),
        "closed": N_("Closed"),
    }
)
OPEN_STATUSES = ("new", "acknowledged")  # still waiting for someone to handle them
CASE_DAYS = 2  # a single unhappy answer is a case for its owner, to be answered within this many days
_KIND_NAMES = {
    "answer": N_("Single unhappy answer"),
    "share": N_("Negative share over a threshold"),
    "drop": N_("Significant drop vs the previous window"),
}
KIND_NAMES = i18n.Labels(_KIND_NAMES)
# The starter rules' names, by key. A rule named with one of these or with a kind's name (an unnamed new rule) is
# stored in English and read in the reader's language; a name a person typed is kept as typed.
STARTER_NAMES = {
    "detractor-comment": N_("Detractor with a comment"),
    # "(" after '%': "% i" would read as a printf conversion to the catalogue tools.
    "csat-negative-share": N_("Negative CSAT share over 25 % (4 weeks, per region)"),
    "csat-drop": N_("Significant CSAT drop vs previous 4 weeks, per region"),
}
_RENAMED = {"Negative CSAT share over 25 % in 4 weeks, per region": STARTER_NAMES["csat-negative-share"]}
_MARKED_NAMES = (*STARTER_NAMES.values(), *_KIND_NAMES.values())
# Where a person may move an alert from each status. "action" is missing on purpose: an alert is turned into an
# action by creating a card from it (from any status), so it always points to the card that handles it.
MOVES = {"new": ("acknowledged", "closed"), "acknowledged": ("closed",), "action": ("closed",), "closed": ("new",)}


@dataclass(frozen=True)
class Rule:
    """When to raise a red alert.

    Parameters
    ----------
    key : stable id, used in the alerts' keys.
    kind : one of ``KINDS``.
    metric : "nps", "csat" or "ces".
    touchpoints : the touchpoints watched; empty watches every touchpoint but the overall one.
    segment : a segment column evaluated per value ("region"); empty takes all answers together.
    values : the segment values watched; empty watches every value.
    threshold : answer — the highest negative score (default ``NEGATIVE_AT``); share — the share of negative
        answers (0–1) above which the rule fires (default ``SHARE_LIMIT``); drop — the smallest drop in metric
        points (default ``MIN_DROP``).
    window_weeks : length of the rolling window (share, drop).
    min_n : fewest answers in a window (share) or in each of the two windows (drop).
    alpha : a fixed significance level of each one-sided test of a drop; None takes it from ``budget``.
    need_comment : answer — only answers with a non-blank comment raise an alert.
    enabled : a disabled rule is kept but not evaluated.
    budget : drop — false alarms a year the rule may raise when nothing changes (used when ``alpha`` is None).
    """

    key: str
    name: str
    kind: str
    metric: str = "nps"
    touchpoints: tuple[str, ...] = ()
    segment: str = ""
    values: tuple[str, ...] = ()
    threshold: float | None = None
    window_weeks: int = 4
    min_n: int = 30
    alpha: float | None = None
    need_comment: bool = True
    enabled: bool = True
    budget: float = BUDGET

    def to_dict(self) -> dict:
        """JSON-safe fields: tuples as lists."""
        return {**dataclasses.asdict(self), "touchpoints": list(self.touchpoints), "values": list(self.values)}

    @classmethod
    def from_dict(cls, data: Mapping) -> Rule:
        """The rule stored by :meth:`to_dict`."""
        return cls(
            **{**data, "touchpoints": tuple(data.get("touchpoints", ())), "values": tuple(data.get("values", ()))}
        )


@dataclass(frozen=True)
class Alert:
    """A raised alert: one answer, or one episode of a window rule firing on consecutive week ends.

    ``first_seen`` and ``last_seen`` are the episode's first and last window ends (the answer's date for the
    answer kind); the window, n, score, previous, change, p and the interval (low, high) are the worst window's.
    A share is a fraction (0–1); ``previous`` and ``change`` are only a drop's, ``p`` is its one-sided p-value.
    """

    key: str
    rule_key: str
    kind: str
    metric: str
    touchpoint: str
    segment: str
    value: str
    first_seen: datetime.date
    last_seen: datetime.date
    window_start: datetime.date
    window_end: datetime.date
    n: int
    score: float
    previous: float | None
    change: float | None
    p: float | None
    low: float | None
    high: float | None
    response_id: str
    comment: str
    message: str

    def to_dict(self) -> dict:
        """JSON-safe fields: dates as ISO strings."""
        data = dataclasses.asdict(self)
        return {**data, **{name: data[name].isoformat() for name in _DATES}}

    @classmethod
    def from_dict(cls, data: Mapping) -> Alert:
        """The alert stored by :meth:`to_dict`."""
        return cls(**{**data, **{name: datetime.date.fromisoformat(data[name]) for name in _DATES}})


def threshold_of(rule: Rule) -> float:
    """The rule's threshold, or its kind's default for the metric when it has none."""
    if rule.threshold is not None:
        return rule.threshold
    if rule.kind == "share":
        return SHARE_LIMIT
    return (NEGATIVE_AT if rule.kind == "answer" else MIN_DROP)[rule.metric]


def validate(rule: Rule) -> list[str]:
    """Plain-language problems that keep the rule from being evaluated (none: it is fine)."""
    problems = []
    if not rule.key.strip():
        problems.append(_("The rule needs a key."))
    elif "|" in rule.key:
        problems.append(_("The rule's key cannot contain '|': alert keys use it as a separator."))
    if not rule.name.strip():
        problems.append(_("The rule needs a name."))
    if rule.kind not in KINDS:
        problems.append(_("Unknown kind '{kind}'; use one of {kinds}.").format(kind=rule.kind, kinds=", ".join(KINDS)))
    if rule.metric not in NEGATIVE_AT:
        problems.append(
            _("Unknown metric '{metric}'; use one of {metrics}.").format(
                metric=rule.metric, metrics=", ".join(NEGATIVE_AT)
            )
        )
    elif rule.kind in KINDS and rule.threshold is not None:
        problems.extend(_threshold_problems(rule))
    if rule.values and not rule.segment:
        problems.append(_("Segment values need the segment column they belong to."))
    if rule.window_weeks < 1:
        problems.append(_("The window needs at least one week."))
    if rule.min_n < 1:
        problems.append(_("The minimum number of answers must be at least 1."))
    if rule.alpha is not None and not 0 < rule.alpha < 1:
        problems.append(_("The significance level must be between 0 and 1."))
    if not rule.budget > 0:
        problems.append(_("The false alarms a year must be above zero."))
    return problems


def alpha_for(budget: float, tests: float) -> float:
    """Each test's level when ``budget`` false alarms a year are spread over ``tests`` tests a year (Bonferroni).

    A rule with few tests a year is capped at ``LOOSEST_ALPHA``; with none, nothing is tested (NaN).
    """
    if tests <= 0:
        return math.nan
    return min(LOOSEST_ALPHA, budget / tests)


def _threshold_problems(rule: Rule) -> list[str]:
    scale = metrics.SCALES[rule.metric]  # every alert metric is answered on a scale
    threshold, metric = threshold_of(rule), metrics.NAMES[rule.metric]
    if rule.kind == "answer" and scale is not None and not scale[0] <= threshold < scale[1]:
        # The top of the scale would make every answer negative.
        return [
            _("A negative {metric} answer must be a score from {low} to {top}.").format(
                metric=metric, low=scale[0], top=scale[1] - 1
            )
        ]
    if rule.kind == "share" and not 0 <= threshold < 1:
        return [_("The share of negative answers must be between 0 and 1 (0.25 = 25 %).")]
    if rule.kind == "drop" and not threshold > 0:
        return [_("The smallest drop must be above zero.")]
    return []


def default_rules() -> list[Rule]:
    """Starter rules over every touchpoint: a detractor's comment, a high negative CSAT share, a CSAT drop.

    The drop rule tests every touchpoint × region every week, so its level is its budget of one false alarm a year
    spread over all those tests (160 series of a 20-touchpoint × 8-region network: 8 320 tests a year at 0.00012).
    """
    return [
        Rule("detractor-comment", _(STARTER_NAMES["detractor-comment"]), "answer", "nps"),
        Rule(
            "csat-negative-share",
            _(STARTER_NAMES["csat-negative-share"]),
            "share",
            "csat",
            segment="region",
            threshold=SHARE_LIMIT,
        ),
        Rule(
            "csat-drop",
            _(STARTER_NAMES["csat-drop"]),
            "drop",
            "csat",
            segment="region",
            threshold=MIN_DROP["csat"],
        ),
    ]


def stored_name(rule: Rule) -> Rule:
    """The rule as stored: a starter rule's or a kind's name in English (the source), whichever language it reads in."""
    english = next((name for name in _MARKED_NAMES if _canonical(rule.name) in (name, _(name))), None)
    return rule if english is None or english == rule.name else dataclasses.replace(rule, name=english)


def shown_name(rule: Rule) -> Rule:
    """The stored rule as read: a starter rule's or a kind's name in the current language."""
    name = _canonical(rule.name)
    return dataclasses.replace(rule, name=_(name)) if name in _MARKED_NAMES else rule


def _canonical(name: str) -> str:
    """A stored rule name, with a starter name stored before the names were translated in today's words."""
    return _RENAMED.get(name, name)


def continues(existing: Alert, new: Alert) -> bool:
    """Whether ``new``, from a later evaluation, is the same answer or continues ``existing``'s episode."""
    if existing.kind == "answer" or new.kind == "answer":
        return existing.key == new.key
    same = (existing.rule_key, existing.kind, existing.touchpoint, existing.segment, existing.value) == (
        new.rule_key,
        new.kind,
        new.touchpoint,
        new.segment,
        new.value,
    )
    return same and existing.first_seen <= new.first_seen <= existing.last_seen + datetime.timedelta(weeks=1)


def merge(existing: Alert, new: Alert) -> Alert:
    """``existing`` extended by ``new``, which continues it: the episode spans both; figures of the worse window."""
    if not continues(existing, new):
        raise ValueError(_("Alert {new} does not continue {old}.").format(new=new.key, old=existing.key))
    worst = new if _severity(new) > _severity(existing) else existing  # a tie keeps the earlier window, as evaluate
    return dataclasses.replace(
        worst, key=existing.key, first_seen=existing.first_seen, last_seen=max(existing.last_seen, new.last_seen)
    )


def _severity(alert: Alert) -> float:
    """How bad an alert's window is: the larger, the worse."""
    if alert.kind == "drop" and alert.change is not None:
        return -alert.change
    return alert.score if alert.kind == "share" else 0.0


def percent_text(share: float | None) -> str:
    """0.2667 as '26.7 %', 0.25 as '25 %' (Czech '26,7 %', Polish '26,7%')."""
    if share is None:
        return formatting.NONE
    tenths = round(1000 * share)
    # A plain space before '%' as the messages have always had (none in Polish).
    return formatting.percent(tenths / 10, 0 if tenths % 10 == 0 else 1).replace("\u00a0%", " %")


def plain(x: float) -> str:
    """A rule's figure as typed, in the reader's format: 6, 0.3, 0.001 (Czech 0,3)."""
    text = f"{x:g}"
    if "e" in text or not math.isfinite(x):
        return text
    return formatting.number(x, len(text.partition(".")[2]))


def false_alarms(expected: float) -> str:
    """1 as '1 false alarm', 2.5 as '2.5 false alarms', 0.043 as '0.043 false alarms' (two significant digits)."""
    text = significant(expected)
    # A fraction takes the form of many ("2,5 planých poplachů", "0,5 fałszywych alarmów").
    whole = expected == round(expected) and math.isfinite(expected)
    return ngettext("{n} false alarm", "{n} false alarms", int(expected) if whole else 5).format(n=text)


def significant(x: float) -> str:
    """A small figure with two significant digits and no trailing zeros: 0.00012, 0.5, 2.5, 8 320."""
    if x == round(x) or not math.isfinite(x):
        return formatting.number(x)
    digits = max(0, 1 - math.floor(math.log10(abs(x))))
    text = formatting.number(x, digits)
    return text.rstrip("0").rstrip(".") if digits else text  # 0.50 reads as 0.5


def describe(rule: Rule, names: Mapping[str, str] | None = None) -> str:
    """The rule in words: 'CSAT drop of at least 0.3, at most 1 false alarm a year by chance, 4 weeks vs the 4
    before, n ≥ 30 · every touchpoint · per region' (a fixed level reads 'p < 0.001')."""
    names = names or {}
    metric = metrics.NAMES[rule.metric]
    limit = threshold_of(rule)
    weeks, n = rule.window_weeks, formatting.count(rule.min_n)
    if rule.kind == "answer":
        what = (
            _("one answer with {metric} ≤ {limit} and a comment")
            if rule.need_comment
            else _("one answer with {metric} ≤ {limit}")
        ).format(metric=metric, limit=plain(limit))
    elif rule.kind == "share":
        what = ngettext(
            "share of {metric} ≤ {negative} over {limit} in {weeks} week, n ≥ {n}",
            "share of {metric} ≤ {negative} over {limit} in {weeks} weeks, n ≥ {n}",
            weeks,
        ).format(metric=metric, negative=NEGATIVE_AT[rule.metric], limit=percent_text(limit), weeks=weeks, n=n)
    elif rule.alpha is not None:
        what = ngettext(
            "{metric} drop of at least {limit}, p < {alpha}, {weeks} week vs the week before, n ≥ {n}",
            "{metric} drop of at least {limit}, p < {alpha}, {weeks} weeks vs the {weeks} before, n ≥ {n}",
            weeks,
        ).format(metric=metric, limit=plain(limit), alpha=plain(rule.alpha), weeks=weeks, n=n)
    else:
        what = ngettext(
            "{metric} drop of at least {limit}, at most {budget} a year by chance, {weeks} week vs the week before, "
            "n ≥ {n}",
            "{metric} drop of at least {limit}, at most {budget} a year by chance, {weeks} weeks vs the {weeks} "
            "before, n ≥ {n}",
            weeks,
        ).format(metric=metric, limit=plain(limit), budget=false_alarms(rule.budget), weeks=weeks, n=n)
    where = ", ".join(names.get(key, key) for key in rule.touchpoints) if rule.touchpoints else _("every touchpoint")
    scope = [where]
    if rule.segment:
        scope.append(
            _("per {segment} ({values})").format(segment=rule.segment, values=", ".join(rule.values))
            if rule.values
            else _("per {segment}").format(segment=rule.segment)
        )
    return " · ".join([what, *scope])


def new_key(rules: Sequence[Rule]) -> str:
    """A fresh rule key: never one a deleted rule had, so a new rule cannot continue an old rule's alerts."""
    import uuid

    taken = {rule.key for rule in rules}
    while (key := f"rule-{uuid.uuid4().hex[:8]}") in taken:
        pass
    return key


def move_problem(old: str, new: str) -> str | None:
    """Why a person cannot move an alert from status ``old`` to ``new`` (None: the move is allowed)."""
    if new not in STATUSES:
        return _("Unknown alert status “{status}”.").format(status=new)
    if new == old or new in MOVES[old]:
        return None
    if new == "action":
        return _("An alert is turned into an action by creating a card from it (“+ action”).")
    return _("An alert that is “{old}” cannot be moved to “{new}”; it can go to: {allowed}.").format(
        old=STATUS_NAMES[old], new=STATUS_NAMES[new], allowed=", ".join(STATUS_NAMES[s] for s in MOVES[old])
    )
