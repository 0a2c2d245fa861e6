"""Red-alert rules evaluated over survey answers: which alerts the rules of :mod:`workbench.core.alerting` raise.

Window rules are evaluated at every week end (weeks run Monday to Sunday) in the evaluated range, per scope
group: a touchpoint, or a touchpoint and one value of a segment column. Consecutive week ends on which a rule
fires for one group form one *episode*, raised as one alert with the worst window's figures, so a lasting
problem is one alert, not one a week. The answers are aggregated once to sufficient statistics per group and
ISO week, and every window is a difference of cumulative sums, so a whole history is evaluated at once.

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
from workbench.core.alerting import NEGATIVE_AT, Alert, Rule, percent_text, threshold_of, validate
from workbench.core.contract import OVERALL
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext

if TYPE_CHECKING:
    import pandas

_EPOCH = datetime.date(1970, 1, 1)  # day 0 of numpy's datetime64[D], a Thursday
_TOLERANCE = 1e-9  # a drop of exactly the minimum size counts despite float rounding


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
                weekly[rule.metric, rule.segment] = _weekly(
                    scores, rule.metric, week, codes["touchpoint"], codes[rule.segment], first_week, last_end
                )
            alerts += _window_alerts(weekly[rule.metric, rule.segment], rule, first_end, last_end, names)
    return alerts


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
    line, quoted = _("{subject}: {metric} {score:g} on {date}, response {response}"), _("{text}: “{comment}”")
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
        text = line.format(
            subject=subjects[touchpoint, value], metric=metric, score=score, date=date.isoformat(), response=response
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
                message=quoted.format(text=text, comment=comment) if comment else text + ".",
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
    pairs, group = np.unique(touchpoint_codes[keep] * len(values) + value_codes[keep], return_inverse=True)
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


def _window_alerts(weekly: _Weekly, rule: Rule, first_end: int, last_end: int, names: Mapping[str, str]) -> list[Alert]:
    """One alert per episode of the share or drop rule firing on consecutive week ends of a scope group."""
    scope = _in_scope(weekly.groups["touchpoint"], weekly.groups["value"] if rule.segment else None, rule).to_numpy()
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
            before = {
                name: cumulative[:, ends - weeks] - cumulative[:, ends - 2 * weeks] for name, cumulative in sums.items()
            }
            (score, se), (previous, previous_se) = _value_se(now, rule.metric), _value_se(before, rule.metric)
            change = score - previous
            z = change / np.hypot(se, previous_se)
            figures = {
                "score": score,
                "previous": previous,
                "change": change,
                "p": _lower_p(z),
                "n_before": before["n"],
            }
            needed = max(rule.min_n, 2)  # a standard error needs two answers
            fires = (
                (now["n"] >= needed)
                & (before["n"] >= needed)
                & (change <= -limit + _TOLERANCE)
                & (figures["p"] < rule.alpha)
            )
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


def _lower_p(z: np.ndarray) -> np.ndarray:
    """One-sided p-value of a fall: the chance of a z this low or lower when nothing changed."""
    from scipy.special import ndtr

    return ndtr(z)


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
            estimate = metrics.mean(metrics.ScaleSums(n, window["total"], window["total_sq"]))
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
        weeks=rule.window_weeks, end=alert.window_end.isoformat()
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
