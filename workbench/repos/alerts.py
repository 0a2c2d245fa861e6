"""Red alerts: rules that watch the survey answers, and the alerts they raise.

Three kinds of rule:

- **answer** — one answer at or below a negative score (by default NPS 0–6, CSAT 1–2, CES 1–3; CES 7 = very
  easy), optionally only when it carries a comment: someone to call back. One alert per answer.
- **share** — the share of negative answers in a rolling window of weeks is above a limit, with n ≥ ``min_n``.
- **drop** — the score in a rolling window (NPS, or the mean CSAT or CES) is lower than in the window of the same
  length just before, by at least a minimum size, significant in a one-sided z-test at ``alpha`` and with
  n ≥ ``min_n`` in both windows.

Window rules are evaluated at every week end (weeks run Monday to Sunday) in the evaluated range, per scope
group: a touchpoint, or a touchpoint and one value of a segment column. Consecutive week ends on which a rule
fires for one group form one *episode*, raised as one alert with the worst window's figures, so a lasting
problem is one alert, not one a week. The answers are aggregated once to sufficient statistics per group and
ISO week, and every window is a difference of cumulative sums, so a whole history is evaluated at once.

Evaluation is pure and the caller stores alerts by key. To keep an episode that spans two evaluations (two
imports) as one alert, evaluate from the last evaluated week end on and fold each new alert into the stored
alert it :func:`continues` with :func:`merge`.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import func, select

from workbench.analysis import heatmap
from workbench.core import formatting, metrics
from workbench.core.contract import OVERALL
from workbench.core.errors import ConflictError, WorkspaceError, person
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.data import waves
from workbench.data.store import AlertRow, AlertSettingsRow, JourneyRow, claim

if TYPE_CHECKING:
    import pandas

    from workbench.repos.workspace import Workspace

KINDS = ("answer", "share", "drop")
NEGATIVE_AT = {"nps": metrics.DETRACTOR_AT, "csat": 2, "ces": 3}  # an answer at or below this score is negative
MIN_DROP = {"nps": 10.0, "csat": 0.3, "ces": 0.3}  # default smallest drop worth an alert, in metric points
SHARE_LIMIT = 0.25  # default share of negative answers above which a share rule fires
_EPOCH = datetime.date(1970, 1, 1)  # day 0 of numpy's datetime64[D], a Thursday
_TOLERANCE = 1e-9  # a drop of exactly the minimum size counts despite float rounding
_DATES = ("first_seen", "last_seen", "window_start", "window_end")


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
    alpha : significance level of the one-sided test of a drop.
    need_comment : answer — only answers with a non-blank comment raise an alert.
    enabled : a disabled rule is kept but not evaluated.
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
    alpha: float = 0.01
    need_comment: bool = True
    enabled: bool = True

    def to_dict(self) -> dict:
        """JSON-safe fields: tuples as lists."""
        return {**dataclasses.asdict(self), "touchpoints": list(self.touchpoints), "values": list(self.values)}

    @classmethod
    def from_dict(cls, data: Mapping) -> Rule:
        """The rule stored by :meth:`to_dict`."""
        return cls(**{**data, "touchpoints": tuple(data.get("touchpoints", ())),
                      "values": tuple(data.get("values", ()))})


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
        problems.append(_("Unknown metric '{metric}'; use one of {metrics}.").format(
            metric=rule.metric, metrics=", ".join(NEGATIVE_AT)))
    elif rule.kind in KINDS and rule.threshold is not None:
        problems.extend(_threshold_problems(rule))
    if rule.values and not rule.segment:
        problems.append(_("Segment values need the segment column they belong to."))
    if rule.window_weeks < 1:
        problems.append(_("The window needs at least one week."))
    if rule.min_n < 1:
        problems.append(_("The minimum number of answers must be at least 1."))
    if not 0 < rule.alpha < 1:
        problems.append(_("The significance level must be between 0 and 1."))
    return problems


def _threshold_problems(rule: Rule) -> list[str]:
    low, high = metrics.SCALES[rule.metric]
    threshold, metric = rule.threshold, heatmap.METRIC_NAMES[rule.metric]
    if rule.kind == "answer" and not low <= threshold < high:
        # The top of the scale would make every answer negative.
        return [_("A negative {metric} answer must be a score from {low} to {top}.").format(
            metric=metric, low=low, top=high - 1)]
    if rule.kind == "share" and not 0 <= threshold < 1:
        return [_("The share of negative answers must be between 0 and 1 (0.25 = 25 %).")]
    if rule.kind == "drop" and not threshold > 0:
        return [_("The smallest drop must be above zero.")]
    return []


def default_rules() -> list[Rule]:
    """Starter rules over every touchpoint: a detractor's comment, a high negative CSAT share, a CSAT drop.

    The drop rule tests every touchpoint × region every week (about 50 well-sampled series in a network of 8
    regions), so it tests at alpha 0.001, not 0.01 (on the demo data's two years: 6 false alarms instead of 41).
    """
    return [
        Rule("detractor-comment", _("Detractor with a comment"), "answer", "nps"),
        Rule("csat-negative-share", _("Negative CSAT share over 25 % in 4 weeks, per region"), "share", "csat",
             segment="region", threshold=SHARE_LIMIT),
        Rule("csat-drop", _("Significant CSAT drop vs previous 4 weeks, per region"), "drop", "csat",
             segment="region", threshold=MIN_DROP["csat"], alpha=0.001),
    ]


# ------------------------------------------------------------------ evaluation


def evaluate(answers: pandas.DataFrame, rules: Sequence[Rule], since: datetime.date, until: datetime.date,
             names: Mapping[str, str] | None = None) -> list[Alert]:
    """The alerts the enabled rules raise from ``since`` to ``until`` (both inclusive), rule by rule, by date.

    Answer rules check the answers dated in the range; window rules check the windows ending at each Sunday in
    the range (earlier answers fill those windows). ``names`` (touchpoint key → name) words the messages. To go
    on from an earlier evaluation, start at its last evaluated week end (or the day after) and fold each alert
    into the stored one it :func:`continues` with :func:`merge`: an episode spanning both stays one alert.
    """
    if since > until:
        raise ValueError(f"The evaluated range starts ({since}) after it ends ({until}).")
    active = [rule for rule in rules if rule.enabled]
    problems = [f"{rule.name or rule.key}: {problem}" for rule in active for problem in validate(rule)]
    missing = sorted({rule.segment for rule in active if rule.segment and rule.segment not in answers})
    problems += [_("The answers have no segment column '{column}'.").format(column=column) for column in missing]
    if problems:
        raise ValueError(" ".join(problems))
    names = names or {}
    day = answers["ts"].to_numpy().astype("datetime64[D]").astype(np.int64)
    week = _week(day)
    first_end, last_end = _week(_day(since)), _week(_day(until) - 6)  # the first and the last Sunday in range
    windowed = [rule for rule in active if rule.kind != "answer"]
    # The axis of weeks reaches back far enough for the longest drop's previous window.
    first_week = first_end - 2 * max((rule.window_weeks for rule in windowed), default=0) + 1
    # Each column is coded once and each metric × segment aggregated once, however many rules use them.
    codes = {column: _codes(answers, column) for column in {"touchpoint", *(rule.segment for rule in windowed)}}
    weekly: dict[tuple[str, str], _Weekly] = {}
    alerts: list[Alert] = []
    for rule in active:
        if rule.kind == "answer":
            alerts += _answer_alerts(answers, day, rule, _day(since), _day(until), names)
        elif first_end <= last_end:
            if (rule.metric, rule.segment) not in weekly:
                scores = answers[rule.metric].to_numpy(dtype=float, na_value=np.nan)
                weekly[rule.metric, rule.segment] = _weekly(scores, rule.metric, week, codes["touchpoint"],
                                                            codes[rule.segment], first_week, last_end)
            alerts += _window_alerts(weekly[rule.metric, rule.segment], rule, first_end, last_end, names)
    return alerts


def continues(existing: Alert, new: Alert) -> bool:
    """Whether ``new``, from a later evaluation, is the same answer or continues ``existing``'s episode."""
    if existing.kind == "answer" or new.kind == "answer":
        return existing.key == new.key
    same = ((existing.rule_key, existing.kind, existing.touchpoint, existing.segment, existing.value)
            == (new.rule_key, new.kind, new.touchpoint, new.segment, new.value))
    return same and existing.first_seen <= new.first_seen <= existing.last_seen + datetime.timedelta(weeks=1)


def merge(existing: Alert, new: Alert) -> Alert:
    """``existing`` extended by ``new``, which continues it: the episode spans both; figures of the worse window."""
    if not continues(existing, new):
        raise ValueError(f"Alert {new.key} does not continue {existing.key}.")
    worst = new if _severity(new) > _severity(existing) else existing  # a tie keeps the earlier window, as evaluate
    return dataclasses.replace(worst, key=existing.key, first_seen=existing.first_seen,
                               last_seen=max(existing.last_seen, new.last_seen))


def _severity(alert: Alert) -> float:
    """How bad an alert's window is: the larger, the worse."""
    return -alert.change if alert.kind == "drop" else alert.score if alert.kind == "share" else 0.0


def _day(day: datetime.date) -> int:
    return (day - _EPOCH).days


def _week(day):
    """ISO week number (Monday to Sunday) of day numbers, counted from the week of 1970-01-01."""
    return (day + 3) // 7


def _sunday(week: int) -> datetime.date:
    return _EPOCH + datetime.timedelta(days=7 * int(week) + 3)


def _subject(touchpoint: str, value: str, names: Mapping[str, str]) -> str:
    name = names.get(touchpoint, touchpoint)
    return _("{touchpoint} in {value}").format(touchpoint=name, value=value) if value else name


def _answer_alerts(answers: pandas.DataFrame, day: np.ndarray, rule: Rule, since: int, until: int,
                   names: Mapping[str, str]) -> list[Alert]:
    """One alert per negative answer in the rule's scope dated from ``since`` to ``until`` (day numbers)."""
    scores = answers[rule.metric].to_numpy(dtype=float, na_value=np.nan)
    keep = ((scores <= threshold_of(rule)) & (day >= since) & (day <= until)
            & _in_scope(answers["touchpoint"], answers[rule.segment] if rule.segment else None, rule).to_numpy())
    if rule.need_comment:
        keep &= (answers["comment"].fillna("").str.strip() != "").to_numpy()
    columns = ["response_id", "touchpoint", rule.metric, "comment", *([rule.segment] if rule.segment else [])]
    found = answers.loc[keep, columns].assign(_day=day[keep]).sort_values(["_day", "response_id"])
    touchpoints = found["touchpoint"].tolist()
    values = found[rule.segment].astype(str).tolist() if rule.segment else [""] * len(found)
    subjects = {pair: _subject(*pair, names) for pair in set(zip(touchpoints, values))}
    metric = heatmap.METRIC_NAMES[rule.metric]
    # Translated once: thousands of answers may match over a long range.
    line, quoted = _("{subject}: {metric} {score:g} on {date}, response {response}"), _("{text}: “{comment}”")
    alerts = []
    for response, touchpoint, value, score, comment, number in zip(
            found["response_id"].astype(str).tolist(), touchpoints, values, found[rule.metric].tolist(),
            found["comment"].tolist(), found["_day"].tolist()):
        date = _EPOCH + datetime.timedelta(days=number)
        comment = comment.strip() if isinstance(comment, str) else ""
        text = line.format(subject=subjects[touchpoint, value], metric=metric, score=score, date=date.isoformat(),
                           response=response)
        alerts.append(Alert(
            key=f"{rule.key}|{response}", rule_key=rule.key, kind=rule.kind, metric=rule.metric,
            touchpoint=touchpoint, segment=rule.segment, value=value, first_seen=date, last_seen=date,
            window_start=date, window_end=date, n=1, score=float(score), previous=None, change=None, p=None,
            low=None, high=None, response_id=response, comment=comment,
            message=quoted.format(text=text, comment=comment) if comment else text + "."))
    return alerts


def _in_scope(touchpoint: pandas.Series, value: pandas.Series | None, rule: Rule) -> pandas.Series:
    """Which rows (answers or groups) the rule watches."""
    inside = touchpoint.isin(rule.touchpoints) if rule.touchpoints else touchpoint != OVERALL
    if value is not None:
        # A row without the segment's value cannot be placed in one of its groups.
        inside &= value.isin(rule.values) if rule.values else value.notna()
    return inside


@dataclass(frozen=True)
class _Weekly:
    """Sufficient statistics per scope group (``groups``: touchpoint, value), cumulated over consecutive weeks.

    ``sums[name][g, k]`` is the sum over group g's answers in the first k weeks from ``first_week`` on.
    """

    groups: pandas.DataFrame
    first_week: int
    sums: dict[str, np.ndarray]


def _codes(answers: pandas.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A column's values as integer codes (−1 where missing) and the values coded; no column: all one value ""."""
    import pandas as pd

    if not column:
        return np.zeros(len(answers), dtype=np.int64), np.array([""], dtype=object)
    codes, values = pd.factorize(answers[column])
    return codes, np.asarray(values, dtype=object)


def _weekly(scores: np.ndarray, metric: str, week: np.ndarray, touchpoint_coding: tuple[np.ndarray, np.ndarray],
            value_coding: tuple[np.ndarray, np.ndarray], first_week: int, last_week: int) -> _Weekly:
    """The metric's weekly sufficient statistics per touchpoint and segment value (both coded by ``_codes``)."""
    import pandas as pd

    (touchpoint_codes, touchpoints), (value_codes, values) = touchpoint_coding, value_coding
    keep = (~np.isnan(scores) & (week >= first_week) & (week <= last_week) & (touchpoint_codes >= 0)
            & (value_codes >= 0))
    pairs, group = np.unique(touchpoint_codes[keep] * len(values) + value_codes[keep], return_inverse=True)
    weeks = last_week - first_week + 1
    cell = group * weeks + week[keep] - first_week
    x = scores[keep]
    if metric == "nps":
        parts = {"negatives": x <= NEGATIVE_AT[metric], "promoters": x >= metrics.PROMOTER_AT,
                 "detractors": x <= metrics.DETRACTOR_AT}
    else:
        parts = {"negatives": x <= NEGATIVE_AT[metric], "total": x, "total_sq": x * x}
    sums = {}
    for name, weights in {"n": None, **parts}.items():
        counts = np.bincount(cell, weights, minlength=len(pairs) * weeks).reshape(len(pairs), weeks)
        sums[name] = np.concatenate([np.zeros((len(pairs), 1)), np.cumsum(counts, axis=1)], axis=1)
    groups = pd.DataFrame({"touchpoint": touchpoints[pairs // len(values)], "value": values[pairs % len(values)]})
    return _Weekly(groups, first_week, sums)


def _window_alerts(weekly: _Weekly, rule: Rule, first_end: int, last_end: int,
                   names: Mapping[str, str]) -> list[Alert]:
    """One alert per episode of the share or drop rule firing on consecutive week ends of a scope group."""
    scope = _in_scope(weekly.groups["touchpoint"], weekly.groups["value"] if rule.segment else None,
                      rule).to_numpy()
    touchpoints, values = (weekly.groups[column].to_numpy()[scope] for column in ("touchpoint", "value"))
    sums = {name: cumulative[scope] for name, cumulative in weekly.sums.items()}
    weeks = rule.window_weeks
    ends = np.arange(first_end, last_end + 1) - weekly.first_week + 1  # cumulative-sum columns of the week ends
    now = {name: cumulative[:, ends] - cumulative[:, ends - weeks] for name, cumulative in sums.items()}
    limit = threshold_of(rule)
    with np.errstate(divide="ignore", invalid="ignore"):  # empty windows give NaN, which never fires
        if rule.kind == "share":
            figures = {"score": now["negatives"] / now["n"]}
            fires = (now["n"] >= rule.min_n) & (figures["score"] > limit)
            severity = figures["score"]
        else:
            before = {name: cumulative[:, ends - weeks] - cumulative[:, ends - 2 * weeks]
                      for name, cumulative in sums.items()}
            (score, se), (previous, previous_se) = _value_se(now, rule.metric), _value_se(before, rule.metric)
            change = score - previous
            z = change / np.hypot(se, previous_se)
            figures = {"score": score, "previous": previous, "change": change, "p": _lower_p(z),
                       "n_before": before["n"]}
            needed = max(rule.min_n, 2)  # a standard error needs two answers
            fires = ((now["n"] >= needed) & (before["n"] >= needed) & (change <= -limit + _TOLERANCE)
                     & (figures["p"] < rule.alpha))
            severity = -change
    edges = np.diff(np.pad(fires, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    alerts = []
    # Row-major order pairs every episode's start with its stop.
    for group, start, stop in zip(*np.nonzero(edges == 1), np.nonzero(edges == -1)[1]):
        worst = start + int(np.argmax(severity[group, start:stop]))  # the first of equally bad windows
        window = {name: float(array[group, worst]) for name, array in (now | figures).items()}
        alerts.append(_window_alert(rule, touchpoints[group], values[group],
                                    first_end + start, first_end + stop - 1, first_end + worst, window, names))
    return alerts


def _value_se(window: dict[str, np.ndarray], metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The metric (NPS, or the mean) and its standard error in every window, as metrics.nps and metrics.mean."""
    n = window["n"]
    if metric == "nps":
        promoters, detractors = window["promoters"] / n, window["detractors"] / n
        return 100 * (promoters - detractors), 100 * np.sqrt(
            np.maximum(0.0, promoters + detractors - (promoters - detractors) ** 2) / n)
    mean = window["total"] / n
    return mean, np.sqrt(np.maximum(0.0, (window["total_sq"] - n * mean * mean) / (n - 1)) / n)


def _lower_p(z: np.ndarray) -> np.ndarray:
    """One-sided p-value of a fall: the chance of a z this low or lower when nothing changed."""
    from scipy.special import ndtr

    return ndtr(z)


def _window_alert(rule: Rule, touchpoint: str, value: str, first: int, last: int, worst: int,
                  window: dict[str, float], names: Mapping[str, str]) -> Alert:
    """The alert of one episode (first, last and worst window end as week numbers) with its worst window."""
    end = _sunday(worst)
    start = end - datetime.timedelta(days=7 * rule.window_weeks - 1)
    n = int(window["n"])
    if rule.kind == "share":
        estimate = metrics.share(int(window["negatives"]), n)
        figures = {"score": window["score"], "previous": None, "change": None, "p": None,
                   "low": estimate.low / 100, "high": estimate.high / 100}
    else:
        if rule.metric == "nps":
            promoters, detractors = int(window["promoters"]), int(window["detractors"])
            estimate = metrics.nps(metrics.NpsCounts(promoters, n - promoters - detractors, detractors))
        else:
            estimate = metrics.mean(metrics.ScaleSums(n, window["total"], window["total_sq"]))
        figures = {name: window[name] for name in ("score", "previous", "change", "p")}
        figures |= {"low": estimate.low, "high": estimate.high}
    alert = Alert(key=f"{rule.key}|{touchpoint}|{value}|{_sunday(first).isoformat()}", rule_key=rule.key,
                  kind=rule.kind, metric=rule.metric, touchpoint=touchpoint, segment=rule.segment, value=value,
                  first_seen=_sunday(first), last_seen=_sunday(last), window_start=start, window_end=end, n=n,
                  response_id="", comment="", message="", **figures)
    return dataclasses.replace(alert, message=_message(alert, rule, window, names))


def _message(alert: Alert, rule: Rule, window: dict[str, float], names: Mapping[str, str]) -> str:
    """The worst window of a share or drop episode in one plain sentence."""
    metric = heatmap.METRIC_NAMES[alert.metric]
    subject = _subject(alert.touchpoint, alert.value, names)
    period = ngettext("in the week to {end}", "in the {weeks} weeks to {end}", rule.window_weeks).format(
        weeks=rule.window_weeks, end=alert.window_end.isoformat())
    if alert.kind == "share":
        return _("{subject}: {share} of {metric} answers were {cut} or lower (95 % CI {low} to {high}, n = {n}), "
                 "above the {limit} limit, {period}.").format(
            subject=subject, share=_percent(alert.score), metric=metric, cut=NEGATIVE_AT[alert.metric],
            low=_percent(alert.low), high=_percent(alert.high), n=formatting.count(alert.n),
            limit=_percent(threshold_of(rule)), period=period)

    def value(x: float, signed: bool = False) -> str:
        return formatting.value(x, alert.metric, signed)

    return _("{subject}: {metric} fell from {previous} to {score} ({change}, {p}; n = {before} before, {n} now) "
             "{period}.").format(
        subject=subject, metric=metric, previous=value(alert.previous), score=value(alert.score),
        change=value(alert.change, True), p=formatting.p_value(alert.p, "p"),
        before=formatting.count(int(window["n_before"])), n=formatting.count(alert.n), period=period)


def _percent(share: float) -> str:
    """0.2667 as '26.7 %', 0.25 as '25 %'."""
    return f"{100 * share:.1f}".removesuffix(".0") + " %"


def describe(rule: Rule, names: Mapping[str, str] | None = None) -> str:
    """The rule in words: 'CSAT drop of at least 0.3, p < 0.001, 4 vs the 4 weeks before, n ≥ 30 · per region'."""
    names = names or {}
    metric = heatmap.METRIC_NAMES[rule.metric]
    limit = threshold_of(rule)
    if rule.kind == "answer":
        what = _("one answer with {metric} ≤ {limit:g}").format(metric=metric, limit=limit) + (
            _(" and a comment") if rule.need_comment else "")
    elif rule.kind == "share":
        what = _("share of {metric} ≤ {negative} over {limit} in {weeks} weeks, n ≥ {n}").format(
            metric=metric, negative=NEGATIVE_AT[rule.metric], limit=_percent(limit), weeks=rule.window_weeks,
            n=rule.min_n)
    else:
        what = _("{metric} drop of at least {limit:g}, p < {alpha:g}, {weeks} weeks vs the {weeks} before, "
                 "n ≥ {n}").format(metric=metric, limit=limit, alpha=rule.alpha, weeks=rule.window_weeks,
                                   n=rule.min_n)
    where = ", ".join(names.get(key, key) for key in rule.touchpoints) if rule.touchpoints else \
        _("every touchpoint")
    scope = [where]
    if rule.segment:
        scope.append(_("per {segment}").format(segment=rule.segment)
                     + (f" ({', '.join(rule.values)})" if rule.values else ""))
    return f"{what} · {' · '.join(scope)}"


def new_key(rules: Sequence[Rule]) -> str:
    """A fresh rule key: never one a deleted rule had, so a new rule cannot continue an old rule's alerts."""
    import uuid

    taken = {rule.key for rule in rules}
    while (key := f"rule-{uuid.uuid4().hex[:8]}") in taken:
        pass
    return key


# ------------------------------------------------------------------ the inbox (storage)

STATUSES = ("new", "acknowledged", "action", "closed")
STATUS_NAMES = {"new": _("New"), "acknowledged": _("Acknowledged"), "action": _("Turned into an action"),
                "closed": _("Closed")}
FIRST_LOOKBACK_WEEKS = 52  # a journey's first evaluation looks back a year, not over its whole history
RECHECK_WEEKS = 4  # later evaluations look at the weeks checked last time again: answers may arrive late
ANSWER_LOOKBACK_DAYS = 14  # a single unhappy answer older than two weeks is no longer "hot"


@dataclass(frozen=True)
class Checked:
    """What one evaluation did: how many alerts it raised, and which rules it could not run (name → why)."""

    added: int
    skipped: Mapping[str, str]


@dataclass(frozen=True)
class Item:
    """An alert in a journey's inbox and how it is being handled."""

    id: int
    project_id: int
    journey_id: int
    alert: Alert
    status: str
    owner: str
    action_id: int | None
    history: tuple[dict, ...]
    version: int


class Inbox:
    """The alert rules and raised alerts of a workspace's journeys."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.sessions = workspace.sessions

    def rules(self, journey_id: int) -> tuple[list[Rule], int]:
        """The journey's rules (the starter rules until the journey's settings are first stored) and their version."""
        with self.sessions() as session:
            return _stored_rules(session.get(AlertSettingsRow, journey_id))

    def save_rules(self, journey_id: int, rules: Sequence[Rule], *, expected_version: int) -> int:
        """Store the journey's rules unless someone saved others since ``expected_version``; the new version."""
        problems = [f"{rule.name or rule.key}: {problem}" for rule in rules for problem in validate(rule)]
        keys = [rule.key for rule in rules]
        if len(set(keys)) != len(keys):
            problems.append(_("Two rules share one key."))
        if problems:
            raise WorkspaceError(" ".join(problems))
        with self.sessions.begin() as session:  # writers take turns: the first save finds no row to claim
            row = self._settings(session, journey_id)
            if row.version != expected_version:
                raise ConflictError(_("The rules were changed in another window; yours were not saved. "
                                      "The page now shows the latest rules."))
            row.rules = [rule.to_dict() for rule in rules]
            row.version += 1
            return row.version

    def evaluate(self, journey_id: int, until: datetime.date | None = None, who: str = "") -> Checked:
        """Run the rules on the journey's latest survey from where the last run stopped: new alerts, rules skipped
        (the share and drop rules of a survey that is one wave without dates: it has no weeks to compare).

        Window rules look at the complete weeks since the last run plus the ``RECHECK_WEEKS`` before it (late
        answers), a year back on the first run; single answers are checked over the last two weeks. Alerts already
        stored are not raised again, and an episode that goes on extends its alert.
        """
        from workbench.data import query

        journey_state = self.workspace.journey(journey_id)
        with self.sessions() as session:
            project_id = session.get(JourneyRow, journey_id).project_id
            settings = session.get(AlertSettingsRow, journey_id)
            rules, _version = _stored_rules(settings)
            evaluated = settings.evaluated_until if settings is not None else None
        survey = self.workspace.datasets.survey_for(project_id, journey_id)
        bounds = query.date_bounds((str(survey.path),)) if survey is not None else None
        if bounds is None:
            return Checked(0, {})
        sources = (str(survey.path),)
        until = min(until or bounds[1], bounds[1])
        available = set(query.columns(sources))
        cannot = [rule for rule in rules if rule.enabled and rule.segment and rule.segment not in available]
        skipped = {rule.name: _("the data has no column “{column}”").format(column=rule.segment) for rule in cannot}
        if waves.single_wave(survey.meta) is not None:  # every answer carries the wave's day: no weeks to watch
            timeless = [rule for rule in rules if rule.enabled and rule.kind != "answer" and rule not in cannot]
            skipped |= {rule.name: _("the survey is one wave without dates, so it has no trend") for rule in timeless}
            cannot += timeless
        rules = [rule for rule in rules if rule.enabled and rule not in cannot]
        if evaluated:
            first_window = evaluated - datetime.timedelta(weeks=RECHECK_WEEKS) + datetime.timedelta(days=1)
        else:
            first_window = until - datetime.timedelta(weeks=FIRST_LOOKBACK_WEEKS)
        first_window = max(bounds[0], first_window)
        first_answer = max(bounds[0], until - datetime.timedelta(days=ANSWER_LOOKBACK_DAYS))
        segments = sorted({rule.segment for rule in rules if rule.segment})
        answers = query.answers(query.Query(sources, by=()), ("response_id", "touchpoint", "comment", *segments))
        names = {tp.key: tp.name for tp in journey_state.journey.touchpoints}
        found = []
        for kinds, since in ((("share", "drop"), first_window), (("answer",), first_answer)):
            chosen = [rule for rule in rules if rule.kind in kinds]
            if chosen and since <= until:
                found += evaluate(answers, chosen, since, until, names=names)
        owners = {tp.key: tp.owner or "" for tp in journey_state.journey.touchpoints}
        last_week_end = until - datetime.timedelta(days=(until.weekday() + 1) % 7)
        with self.sessions.begin() as session:  # writers take turns: two runs at once would add the same alerts
            added = self._store(session, project_id, journey_id, found, owners, who)
            settings = self._settings(session, journey_id)
            settings.evaluated_until = max(last_week_end, evaluated) if evaluated else last_week_end
        return Checked(added, skipped)

    def list(self, project_id: int, journey_id: int | None = None,
             statuses: Sequence[str] | None = None) -> list[Item]:
        """The project's alerts (of one journey, in some statuses if given), newest first."""
        with self.sessions() as session:
            statement = select(AlertRow).where(AlertRow.project_id == project_id)
            if journey_id is not None:
                statement = statement.where(AlertRow.journey_id == journey_id)
            if statuses:
                statement = statement.where(AlertRow.status.in_(list(statuses)))
            rows = session.scalars(statement.order_by(AlertRow.last_seen.desc(), AlertRow.id.desc()))
            return [_item(row) for row in rows]

    def get(self, alert_id: int) -> Item:
        """One alert."""
        with self.sessions() as session:
            row = session.get(AlertRow, alert_id)
            if row is None:
                raise WorkspaceError(_("No alert with id {id}.").format(id=alert_id))
            return _item(row)

    def counts(self, project_id: int | None = None) -> dict[str, int]:
        """How many alerts are in each status (of one project, or the whole workspace)."""
        with self.sessions() as session:
            statement = select(AlertRow.status, func.count()).group_by(AlertRow.status)
            if project_id is not None:
                statement = statement.where(AlertRow.project_id == project_id)
            found = dict(session.execute(statement).all())
        return {status: int(found.get(status, 0)) for status in STATUSES}

    def set_status(self, alert_id: int, status: str, who: str = "", *, expected_version: int) -> Item:
        """Move an alert to ``status`` unless someone changed it since ``expected_version``."""
        if status not in STATUSES:
            raise WorkspaceError(_("Unknown alert status “{status}”.").format(status=status))
        with self.sessions.begin() as session:
            claimed = claim(session, AlertRow.id, alert_id, expected_version)
            row = session.get(AlertRow, alert_id)
            if row is None:
                raise WorkspaceError(_("No alert with id {id}.").format(id=alert_id))
            if not claimed:
                last = (row.history or [{}])[-1]
                raise ConflictError(_("This alert was changed in another window ({who}, {what}); your change was "
                                      "not applied.").format(who=last.get("who", ""), what=last.get("what", "")))
            _change(row, status, who)
            return _item(row)

    # ------------------------------------------------------------ internals

    @staticmethod
    def _settings(session, journey_id: int) -> AlertSettingsRow:
        row = session.get(AlertSettingsRow, journey_id)
        if row is None:
            row = AlertSettingsRow(journey_id=journey_id, rules=[rule.to_dict() for rule in default_rules()],
                                   version=0)
            session.add(row)
        return row

    @staticmethod
    def _store(session, project_id: int, journey_id: int, found: Sequence[Alert], owners: Mapping[str, str],
               who: str) -> int:
        if not found:
            return 0
        since = min(alert.first_seen for alert in found) - datetime.timedelta(days=7)
        rows = session.scalars(select(AlertRow).where(AlertRow.journey_id == journey_id,
                                                      AlertRow.last_seen >= since)).all()
        by_key = {row.key: row for row in rows}
        episodes = {}
        for row in rows:
            if row.body.get("kind") != "answer":
                episodes.setdefault((row.rule_key, row.touchpoint, row.body.get("value", "")), []).append(row)
        added = 0
        for alert in found:
            if alert.key in by_key:
                continue
            ongoing = next((row for row in episodes.get((alert.rule_key, alert.touchpoint, alert.value), ())
                            if continues(Alert.from_dict(row.body), alert)), None)
            if ongoing is not None:
                merged = merge(Alert.from_dict(ongoing.body), alert)
                ongoing.body, ongoing.last_seen = merged.to_dict(), merged.last_seen
                continue
            row = AlertRow(project_id=project_id, journey_id=journey_id, key=alert.key, rule_key=alert.rule_key,
                           touchpoint=alert.touchpoint, last_seen=alert.last_seen, body=alert.to_dict(),
                           status="new", owner=owners.get(alert.touchpoint, ""), history=[], version=1)
            _note(row, who, _("Raised"))
            session.add(row)
            by_key[alert.key] = row
            if alert.kind != "answer":
                episodes.setdefault((alert.rule_key, alert.touchpoint, alert.value), []).append(row)
            added += 1
        return added


def _stored_rules(row: AlertSettingsRow | None) -> tuple[list[Rule], int]:
    """A journey's rules and their version from its settings row (the starter rules until it has one)."""
    if row is None:
        return default_rules(), 0
    return [Rule.from_dict(rule) for rule in row.rules], row.version


def link_action(session, project_id: int, alert_id: int, action_id: int, who: str) -> None:
    """Mark an alert of the project as turned into the action (inside the session creating the action)."""
    claim(session, AlertRow.id, alert_id, None)  # a status change in another window waits, then sees this one
    row = session.get(AlertRow, alert_id)
    if row is not None and row.project_id == project_id:
        row.action_id = action_id
        _change(row, "action", who)


def _change(row: AlertRow, status: str, who: str) -> None:
    if row.status != status:
        _note(row, who, _("{old} → {new}").format(old=STATUS_NAMES[row.status], new=STATUS_NAMES[status]))
        row.status = status
        row.version += 1


def _note(row: AlertRow, who: str, what: str) -> None:
    at = datetime.datetime.now().replace(microsecond=0).isoformat(sep=" ")
    row.history = [*(row.history or []), {"at": at, "who": person(who), "what": what}]


def _item(row: AlertRow) -> Item:
    return Item(id=row.id, project_id=row.project_id, journey_id=row.journey_id, alert=Alert.from_dict(row.body),
                status=row.status, owner=row.owner, action_id=row.action_id, history=tuple(row.history or ()),
                version=row.version)
