"""Red-alert rules evaluated over survey answers: which alerts the rules of :mod:`workbench.core.alerting` raise.

Window rules are evaluated at every week end (weeks run Monday to Sunday) in the evaluated range, per scope
group: a touchpoint, or a touchpoint and one value of a segment column. Consecutive week ends on which a rule
fires for one group form one *episode*, raised as one alert with the worst window's figures, so a lasting
problem is one alert, not one a week. The answers are aggregated once to sufficient statistics per group and
ISO week, and every window is a difference of cumulative sums, so a whole history is evaluated at once.

A drop rule's level is its share of the **false-alarm budget** (``alerting.alpha_for``): its budget of false
alarms a year divided by its tests a year, the (series, week end) pairs with enough answers in both windows over
the year up to the last evaluated week end (scaled to 52 weeks when the data are younger). A Bonferroni
allocation bounds the expected number of weeks a rule fires by chance, and so its false alarms (consecutive weeks
are one alert), by the budget whatever the correlation between the tests (Hochberg & Tamhane 1987, §1.2).

The variance of a drop has a second part besides sampling: real but meaningless movement of a series between
windows (a branch's good and bad months move its region's scores, the *wobble*). It is estimated from the rule's
own year of comparisons by the method of moments — the mean of (change² − sampling variance) over every tested
pair of a segment value, pooled over its touchpoints (a branch's month moves all of them) but leaving out the
series tested (so a lasting real drop does not hide itself), at least the rule's pooled one, floored at 0 (the
between-study variance estimator of DerSimonian & Laird 1986, *Controlled Clinical Trials* 7, 177–188; in
process control, Laney 2002, *Quality Engineering* 14(4), 531–537, widens limits by the between-subgroup
variation the same way) — and added to the change's variance. It needs half a year of comparisons; with less,
the changes are tested on their sampling variance alone. A change is then tested with Welch's t (``_lower_p``).

Evaluation is pure and the caller stores alerts by key. To keep an episode that spans two evaluations (two
imports) as one alert, evaluate from the last evaluated week end on and fold each new alert into the stored
alert it continues (``alerting.continues`` and ``alerting.merge``).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from workbench.core import formatting, metrics
from workbench.core.alerting import (
    NEGATIVE_AT,
    WEEKS_A_YEAR,
    Alert,
    Rule,
    alpha_for,
    percent_text,
    plain,
    threshold_of,
    validate,
)
from workbench.core.codes import distinct
from workbench.core.contract import OVERALL
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext

if TYPE_CHECKING:
    import pandas

_EPOCH = datetime.date(1970, 1, 1)  # day 0 of numpy's datetime64[D], a Thursday
_TOLERANCE = 1e-9  # a drop of exactly the minimum size counts despite float rounding
_WOBBLE_WEEKS = 26  # week ends of comparisons needed before the between-window wobble is estimated


@dataclass(frozen=True)
class Allocation:
    """How a drop rule tests: its series, its tests a year, the level of each test and the wobble allowed for.

    ``expected`` is the false alarms a year the rule may raise by chance: its budget, or α × tests with a fixed
    α (or the budget's cap). ``wobble`` is the between-window variance of a change beyond sampling per segment
    value ("" without a segment), in squared metric points (empty when not estimated); ``series_wobble`` the one
    each (touchpoint, value) series is tested with, from the other series; ``weeks`` the week ends of the year
    the figures come from.
    """

    rule_key: str
    series: int
    tests: float
    alpha: float
    expected: float
    wobble: dict[str, float]
    series_wobble: dict[tuple[str, str], float]
    weeks: int


def evaluate(
    answers: pandas.DataFrame,
    rules: Sequence[Rule],
    since: datetime.date,
    until: datetime.date,
    names: Mapping[str, str] | None = None,
) -> list[Alert]:
    """The alerts the enabled rules raise from ``since`` to ``until`` (both inclusive), rule by rule, by date.

    Answer rules check the answers dated in the range; window rules check the windows ending at each Sunday in
    the range (earlier answers fill those windows). ``names`` (touchpoint key → name) words the messages. To go
    on from an earlier evaluation, start at its last evaluated week end (or the day after) and fold each alert
    into the stored one it ``alerting.continues`` with ``alerting.merge``: an episode spanning both stays one alert.
    """
    if since > until:
        raise ValueError(
            _("The evaluated range starts ({since}) after it ends ({until}).").format(
                since=formatting.date(since), until=formatting.date(until)
            )
        )
    active = [rule for rule in rules if rule.enabled]
    problems = [f"{rule.name or rule.key}: {problem}" for rule in active for problem in validate(rule)]
    missing = sorted({rule.segment for rule in active if rule.segment and rule.segment not in answers})
    problems += [_("The answers have no segment column '{column}'.").format(column=column) for column in missing]
    if problems:
        raise ValueError(" ".join(problems))
    names = names or {}
    day = answers["ts"].to_numpy().astype("datetime64[D]").astype(np.int64)
    first_end, last_end = _week(_day(since)), _week(_day(until) - 6)  # the first and the last Sunday in range
    windowed = [rule for rule in active if rule.kind != "answer"]
    aggregates = _Aggregates(answers, day, windowed, first_end, last_end) if windowed else None
    alerts: list[Alert] = []
    for rule in active:
        if rule.kind == "answer":
            alerts += _answer_alerts(answers, day, rule, _day(since), _day(until), names)
        elif aggregates is not None and first_end <= last_end:
            weekly = aggregates.of(rule)
            allocation = _allocation(weekly, rule, last_end, aggregates.data_start) if rule.kind == "drop" else None
            alerts += _window_alerts(weekly, rule, first_end, last_end, names, allocation)
    return alerts


def first_day_needed(rules: Sequence[Rule], since: datetime.date, until: datetime.date) -> datetime.date:
    """The first day whose answers :func:`evaluate` reads for ``rules`` from ``since`` to ``until``: the Monday of
    the first week on the window rules' axis (their longest previous window before the first evaluated week end
    and before the year of comparisons), or ``since`` itself for answer rules. Earlier answers change nothing, so
    a check reads 14 months of a 3-year survey rather than all of it."""
    windowed = [rule for rule in rules if rule.enabled and rule.kind != "answer"]
    if not windowed:
        return since
    first_end, last_end = _week(_day(since)), _week(_day(until) - 6)
    longest = max(rule.window_weeks for rule in windowed)
    first_week = min(first_end, last_end - WEEKS_A_YEAR + 1) - 2 * longest + 1
    return min(since, _EPOCH + datetime.timedelta(days=7 * first_week - 3))


def allocations(answers: pandas.DataFrame, rules: Sequence[Rule], until: datetime.date) -> list[Allocation]:
    """How each enabled drop rule tests on the answers up to ``until``: its series, tests a year, level, wobble."""
    drops = [rule for rule in rules if rule.enabled and rule.kind == "drop" and not validate(rule)]
    drops = [rule for rule in drops if not rule.segment or rule.segment in answers]
    last_end = _week(_day(until) - 6)
    if not drops or answers.empty:
        return []
    day = answers["ts"].to_numpy().astype("datetime64[D]").astype(np.int64)
    aggregates = _Aggregates(answers, day, drops, last_end, last_end)
    return [_allocation(aggregates.of(rule), rule, last_end, aggregates.data_start) for rule in drops]


class _Aggregates:
    """The window rules' weekly sufficient statistics, each metric × segment aggregated once however many rules
    use it, on an axis of weeks reaching back far enough for the longest drop's previous window of the first
    evaluated week end and of the year of comparisons before the last."""

    def __init__(
        self, answers: pandas.DataFrame, day: np.ndarray, rules: Sequence[Rule], first_end: int, last_end: int
    ):
        self.answers, self.week, self.last_end = answers, _week(day), last_end
        longest = max(rule.window_weeks for rule in rules)
        self.first_week = min(first_end, last_end - WEEKS_A_YEAR + 1) - 2 * longest + 1
        self.codes = {column: _codes(answers, column) for column in {"touchpoint", *(rule.segment for rule in rules)}}
        self.data_start = int(self.week.min()) if len(self.week) else last_end
        self.weekly: dict[tuple[str, str], _Weekly] = {}

    def of(self, rule: Rule) -> _Weekly:
        """The rule's metric per touchpoint × segment value and week."""
        if (rule.metric, rule.segment) not in self.weekly:
            scores = self.answers[rule.metric].to_numpy(dtype=float, na_value=np.nan)
            self.weekly[rule.metric, rule.segment] = _weekly(
                scores,
                rule.metric,
                self.week,
                self.codes["touchpoint"],
                self.codes[rule.segment],
                self.first_week,
                self.last_end,
            )
        return self.weekly[rule.metric, rule.segment]


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


def _answer_alerts(
    answers: pandas.DataFrame, day: np.ndarray, rule: Rule, since: int, until: int, names: Mapping[str, str]
) -> list[Alert]:
    """One alert per negative answer in the rule's scope dated from ``since`` to ``until`` (day numbers)."""
    scores = answers[rule.metric].to_numpy(dtype=float, na_value=np.nan)
    keep = (
        (scores <= threshold_of(rule))
        & (day >= since)
        & (day <= until)
        & _in_scope(answers["touchpoint"], answers[rule.segment] if rule.segment else None, rule).to_numpy()
    )
    if rule.need_comment:
        keep &= (answers["comment"].fillna("").str.strip() != "").to_numpy()
    columns = ["response_id", "touchpoint", rule.metric, "comment", *([rule.segment] if rule.segment else [])]
    found = answers.loc[keep, columns].assign(_day=day[keep]).sort_values(["_day", "response_id"])
    touchpoints = found["touchpoint"].tolist()
    values = found[rule.segment].astype(str).tolist() if rule.segment else [""] * len(found)
    subjects = {pair: _subject(*pair, names) for pair in set(zip(touchpoints, values, strict=True))}
    metric = metrics.NAMES[rule.metric]
    # Translated once: thousands of answers may match over a long range.
    line = _("{subject}: {metric} {score} on {date}, response {response}.")
    quoted = _("{subject}: {metric} {score} on {date}, response {response}: “{comment}”")
    alerts = []
    for response, touchpoint, value, score, comment, number in zip(
        found["response_id"].astype(str).tolist(),
        touchpoints,
        values,
        found[rule.metric].tolist(),
        found["comment"].tolist(),
        found["_day"].tolist(),
        strict=True,
    ):
        date = _EPOCH + datetime.timedelta(days=number)
        comment = comment.strip() if isinstance(comment, str) else ""
        text = (quoted if comment else line).format(
            subject=subjects[touchpoint, value],
            metric=metric,
            score=plain(score),
            date=formatting.date(date),
            response=response,
            comment=comment,
        )
        alerts.append(
            Alert(
                key=f"{rule.key}|{response}",
                rule_key=rule.key,
                kind=rule.kind,
                metric=rule.metric,
                touchpoint=touchpoint,
                segment=rule.segment,
                value=value,
                first_seen=date,
                last_seen=date,
                window_start=date,
                window_end=date,
                n=1,
                score=float(score),
                previous=None,
                change=None,
                p=None,
                low=None,
                high=None,
                response_id=response,
                comment=comment,
                message=text,
            )
        )
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


def _weekly(
    scores: np.ndarray,
    metric: str,
    week: np.ndarray,
    touchpoint_coding: tuple[np.ndarray, np.ndarray],
    value_coding: tuple[np.ndarray, np.ndarray],
    first_week: int,
    last_week: int,
) -> _Weekly:
    """The metric's weekly sufficient statistics per touchpoint and segment value (both coded by ``_codes``)."""
    import pandas as pd

    (touchpoint_codes, touchpoints), (value_codes, values) = touchpoint_coding, value_coding
    keep = ~np.isnan(scores) & (week >= first_week) & (week <= last_week) & (touchpoint_codes >= 0) & (value_codes >= 0)
    pairs, group = distinct(touchpoint_codes[keep] * len(values) + value_codes[keep], len(touchpoints) * len(values))
    weeks = last_week - first_week + 1
    cell = group * weeks + week[keep] - first_week
    x = scores[keep]
    if metric == "nps":
        parts = {
            "negatives": x <= NEGATIVE_AT[metric],
            "promoters": x >= metrics.PROMOTER_AT,
            "detractors": x <= metrics.DETRACTOR_AT,
        }
    else:
        parts = {"negatives": x <= NEGATIVE_AT[metric], "total": x, "total_sq": x * x}
    sums = {}
    for name, weights in {"n": None, **parts}.items():
        counts = np.bincount(cell, weights, minlength=len(pairs) * weeks).reshape(len(pairs), weeks)
        sums[name] = np.concatenate([np.zeros((len(pairs), 1)), np.cumsum(counts, axis=1)], axis=1)
    groups = pd.DataFrame({"touchpoint": touchpoints[pairs // len(values)], "value": values[pairs % len(values)]})
    return _Weekly(groups, first_week, sums)


def _window_alerts(
    weekly: _Weekly,
    rule: Rule,
    first_end: int,
    last_end: int,
    names: Mapping[str, str],
    allocation: Allocation | None,
) -> list[Alert]:
    """One alert per episode of the share or drop rule firing on consecutive week ends of a scope group (a drop
    tested as its ``allocation`` says)."""
    scope = _in_scope(weekly.groups["touchpoint"], weekly.groups["value"] if rule.segment else None, rule).to_numpy()
    touchpoints, values = (weekly.groups[column].to_numpy()[scope] for column in ("touchpoint", "value"))
    now, before = _windows(weekly, scope, rule.window_weeks, np.arange(first_end, last_end + 1))
    limit = threshold_of(rule)
    with np.errstate(divide="ignore", invalid="ignore"):  # empty windows give NaN, which never fires
        if rule.kind == "share":
            figures = {"score": now["negatives"] / now["n"]}
            fires = (now["n"] >= rule.min_n) & (figures["score"] > limit)
            severity = figures["score"]
        else:
            assert allocation is not None  # every drop is evaluated with its allocation
            score, previous, change, variances = _change(now, before, rule.metric)
            figures = {
                "score": score,
                "previous": previous,
                "change": change,
                "p": _lower_p(change, variances, (now["n"], before["n"]), _wobbles(allocation, touchpoints, values)),
                "n_before": before["n"],
            }
            fires = _testable(now, before, rule) & (change <= -limit + _TOLERANCE) & (figures["p"] < allocation.alpha)
            severity = -change
    edges = np.diff(np.pad(fires, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    alerts = []
    # Row-major order pairs every episode's start with its stop.
    for group, start, stop in zip(*np.nonzero(edges == 1), np.nonzero(edges == -1)[1], strict=True):
        worst = start + int(np.argmax(severity[group, start:stop]))  # the first of equally bad windows
        window = {name: float(array[group, worst]) for name, array in (now | figures).items()}
        alerts.append(
            _window_alert(
                rule,
                touchpoints[group],
                values[group],
                first_end + start,
                first_end + stop - 1,
                first_end + worst,
                window,
                names,
            )
        )
    return alerts


def _windows(
    weekly: _Weekly, scope: np.ndarray, weeks: int, ends: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The sums of the groups in scope (rows) in the window of ``weeks`` ending at each week end (columns), and in
    the window of the same length just before."""
    columns = ends - weekly.first_week + 1  # cumulative-sum columns of the week ends
    sums = {name: cumulative[scope] for name, cumulative in weekly.sums.items()}
    now = {name: cumulative[:, columns] - cumulative[:, columns - weeks] for name, cumulative in sums.items()}
    before = {
        name: cumulative[:, columns - weeks] - cumulative[:, columns - 2 * weeks] for name, cumulative in sums.items()
    }
    return now, before


def _testable(now: dict[str, np.ndarray], before: dict[str, np.ndarray], rule: Rule) -> np.ndarray:
    """Where both windows have the rule's fewest answers (and two, which a standard error needs)."""
    needed = max(rule.min_n, 2)
    return (now["n"] >= needed) & (before["n"] >= needed)


def _change(
    now: dict[str, np.ndarray], before: dict[str, np.ndarray], metric: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The score now and before, the change, and the sampling variances of the score now and before."""
    (score, se), (previous, previous_se) = _value_se(now, metric), _value_se(before, metric)
    return score, previous, score - previous, (se * se, previous_se * previous_se)


def _allocation(weekly: _Weekly, rule: Rule, last_end: int, data_start: int) -> Allocation:
    """How the drop rule tests, from its year of comparisons up to ``last_end`` (week numbers; ``data_start`` is
    the first week with answers): its tests a year, their level from its budget, and the wobble."""
    weeks = rule.window_weeks
    ends = np.arange(max(last_end - WEEKS_A_YEAR + 1, data_start + 2 * weeks - 1), last_end + 1)
    scope = _in_scope(weekly.groups["touchpoint"], weekly.groups["value"] if rule.segment else None, rule).to_numpy()
    now, before = _windows(weekly, scope, weeks, ends)
    testable = _testable(now, before, rule)
    tests = float(testable.sum()) * WEEKS_A_YEAR / len(ends) if len(ends) else 0.0
    alpha = rule.alpha if rule.alpha is not None else alpha_for(rule.budget, tests)
    wobble: dict[str, float] = {}
    series_wobble: dict[tuple[str, str], float] = {}
    if len(ends) >= _WOBBLE_WEEKS and testable.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            _score, _previous, change, (now_variance, before_variance) = _change(now, before, rule.metric)
        excess = np.where(testable, change * change - now_variance - before_variance, 0.0).sum(axis=1)
        pairs = testable.sum(axis=1)
        touchpoints, values = (weekly.groups[column].to_numpy()[scope] for column in ("touchpoint", "value"))
        # Per segment value, pooled over its touchpoints: a branch's good or bad month moves all of them.
        total = {value: (excess[values == value].sum(), pairs[values == value].sum()) for value in set(values)}
        wobble = {str(value): max(0.0, float(e / p)) for value, (e, p) in total.items() if p}
        # A series is tested against the wobble of the other touchpoints of its value, so a lasting real drop does
        # not widen its own test, or of all the rule's other series when that is larger: a value's estimate rests
        # on few months of its branches, and one too low lets them raise false alarms.
        for touchpoint, value, own, own_pairs in zip(touchpoints, values, excess, pairs, strict=True):
            others = (
                (total[value][0] - own, total[value][1] - own_pairs),
                (excess.sum() - own, pairs.sum() - own_pairs),
            )
            series_wobble[str(touchpoint), str(value)] = max([0.0, *(float(e / p) for e, p in others if p)])
    expected = alpha * tests if tests else 0.0
    series = int(testable.any(axis=1).sum())
    return Allocation(rule.key, series, tests, alpha, expected, wobble, series_wobble, len(ends))


def _value_se(window: dict[str, np.ndarray], metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The metric (NPS, or the mean) and its standard error in every window, as metrics.nps and metrics.mean."""
    n = window["n"]
    if metric == "nps":
        promoters, detractors = window["promoters"] / n, window["detractors"] / n
        return 100 * (promoters - detractors), 100 * np.sqrt(
            np.maximum(0.0, promoters + detractors - (promoters - detractors) ** 2) / n
        )
    mean = window["total"] / n
    return mean, np.sqrt(np.maximum(0.0, (window["total_sq"] - n * mean * mean) / (n - 1)) / n)


def _wobbles(allocation: Allocation, touchpoints: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The wobble each group is tested with, as a column to add to its changes' variances."""
    return np.array(
        [
            allocation.series_wobble.get((str(tp), str(value)), 0.0)
            for tp, value in zip(touchpoints, values, strict=True)
        ]
    ).reshape(-1, 1)


def _lower_p(
    change: np.ndarray,
    variances: tuple[np.ndarray, np.ndarray],
    counts: tuple[np.ndarray, np.ndarray],
    wobble: np.ndarray,
) -> np.ndarray:
    """One-sided p-value of a fall: the chance of a change this low or lower when nothing changed.

    Welch's t with Satterthwaite's degrees of freedom (Welch 1947, *Biometrika* 34, 28–35), the wobble taken as
    known: at the small levels a budget gives (0.0001), the normal tail makes a studentised change of two windows
    of 50 answers look 1.7 times rarer than it is.
    """
    from scipy.special import stdtr

    variance = variances[0] + variances[1] + wobble
    spread = variances[0] ** 2 / (counts[0] - 1) + variances[1] ** 2 / (counts[1] - 1)
    df = np.where(spread > 0, variance * variance / np.where(spread > 0, spread, 1.0), np.inf)
    return stdtr(df, change / np.sqrt(variance))


def _window_alert(
    rule: Rule,
    touchpoint: str,
    value: str,
    first: int,
    last: int,
    worst: int,
    window: dict[str, float],
    names: Mapping[str, str],
) -> Alert:
    """The alert of one episode (first, last and worst window end as week numbers) with its worst window."""
    end = _sunday(worst)
    start = end - datetime.timedelta(days=7 * rule.window_weeks - 1)
    n = int(window["n"])
    if rule.kind == "share":
        estimate = metrics.share(int(window["negatives"]), n)
        figures: dict[str, float | None] = {
            "score": window["score"],
            "previous": None,
            "change": None,
            "p": None,
            "low": estimate.low / 100,
            "high": estimate.high / 100,
        }
    else:
        if rule.metric == "nps":
            promoters, detractors = int(window["promoters"]), int(window["detractors"])
            estimate = metrics.nps(metrics.NpsCounts(promoters, n - promoters - detractors, detractors))
        else:
            estimate = metrics.mean(
                metrics.ScaleSums(n, window["total"], window["total_sq"]), scale=metrics.SCALES.get(rule.metric)
            )
        figures = {name: window[name] for name in ("score", "previous", "change", "p")}
        figures |= {"low": estimate.low, "high": estimate.high}
    alert = Alert(
        key=f"{rule.key}|{touchpoint}|{value}|{_sunday(first).isoformat()}",
        rule_key=rule.key,
        kind=rule.kind,
        metric=rule.metric,
        touchpoint=touchpoint,
        segment=rule.segment,
        value=value,
        first_seen=_sunday(first),
        last_seen=_sunday(last),
        window_start=start,
        window_end=end,
        n=n,
        score=window["score"],
        previous=figures["previous"],
        change=figures["change"],
        p=figures["p"],
        low=figures["low"],
        high=figures["high"],
        response_id="",
        comment="",
        message="",
    )
    return dataclasses.replace(alert, message=_message(alert, rule, window, names))


def _message(alert: Alert, rule: Rule, window: dict[str, float], names: Mapping[str, str]) -> str:
    """The worst window of a share or drop episode in one plain sentence."""
    metric = metrics.NAMES[alert.metric]
    subject = _subject(alert.touchpoint, alert.value, names)
    period = ngettext("in the week to {end}", "in the {weeks} weeks to {end}", rule.window_weeks).format(
        weeks=rule.window_weeks, end=formatting.date(alert.window_end)
    )
    if alert.kind == "share":
        return _(
            "{subject}: {share} of {metric} answers were {cut} or lower (95 % CI {low} to {high}, n = {n}), "
            "above the {limit} limit, {period}."
        ).format(
            subject=subject,
            share=percent_text(alert.score),
            metric=metric,
            cut=NEGATIVE_AT[alert.metric],
            low=percent_text(alert.low),
            high=percent_text(alert.high),
            n=formatting.count(alert.n),
            limit=percent_text(threshold_of(rule)),
            period=period,
        )

    def value(x: float | None, signed: bool = False) -> str:
        return formatting.value(x, alert.metric, signed)

    return _(
        "{subject}: {metric} fell from {previous} to {score} ({change}, {p}; n = {before} before, {n} now) {period}."
    ).format(
        subject=subject,
        metric=metric,
        previous=value(alert.previous),
        score=value(alert.score),
        change=value(alert.change, True),
        p=formatting.p_value(alert.p, "p"),
        before=formatting.count(int(window["n_before"])),
        n=formatting.count(alert.n),
        period=period,
    )
