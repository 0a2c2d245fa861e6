"""Did an action work? The touchpoint's score before and after the action's done date, with its evidence.

The answers about the action's touchpoints in a window before the done date are compared with those in a window
after it (optionally skipping a few weeks while the action beds in). When the action reached only some values of a
segment (a pilot in two regions), the other values are the control: the treated change minus the control's change
(a difference-in-differences) removes season and any network-wide drift, and the verdict rests on that effect.
Higher is better for every metric (CES 7 = very easy).

Answers are not independent. A branch has good and bad months (its staff, its queue), so a DiD that counts every
answer as independent reads a branch's swing as the action's effect; a respondent who rates three of the action's
touchpoints carries one mood into all three. Where the data have a ``branch`` column the answers are clustered by
branch: the shocks live at branch-month level, but a branch's months are not independent either (a manager stays),
and clustering at the coarser, nested level is valid for fixed, monthly and persistent branch effects alike, and for
respondents (who belong to one branch) too (Cameron & Miller 2015, §IV: cluster at the broadest level of
correlation). Without a branch column they are clustered by ``respondent_id``; without either, they are independent
and the test is the z-test of the two windows' standard errors. The cluster-robust test is CR2 with Bell–McCaffrey
degrees of freedom (Bell & McCaffrey 2002; Imbens & Kolesár 2016, REStat 98(4)), see
:mod:`workbench.core.clustered`: a network of 50 branches where the action reached 15, or only 8 branches, is
exactly where CR1 with G − 1 degrees of freedom is too sure (MacKinnon & Webb 2017, J. Applied Econometrics 32(2)).
When the action's answers all come from one branch, a branch's swing cannot be told apart from the action: the test
then clusters by respondent and the detail says so.
The sentence names the touchpoints by ``names`` (key → name) when given, else by their keys. A survey that is one
wave without dates has no before and after: its verification says so (``wave``).
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.core import clustered, formatting, i18n, metrics
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.data import query, waves

if TYPE_CHECKING:
    import diskcache
    import pandas

VERDICTS = ("improved", "no_change", "worse", "insufficient")
VERDICT_NAMES = i18n.Labels(
    {
        "improved": N_("improved"),
        "no_change": N_("no detectable change"),
        "worse": N_("worse"),
        "insufficient": N_("too few answers"),
    }
)
_DATES = ("done", "before_from", "before_to", "after_from", "after_to")
CLUSTERS = ("branch", "respondent_id")  # what answers share, broadest first: a branch's months, a respondent's mood
CLUSTER_NAMES = i18n.Labels({"branch": N_("branch"), "respondent_id": N_("respondent")})
_FLOATS = ("before", "after", "change", "low", "high", "p_value")  # NaN (no answers) is stored as None


@dataclass(frozen=True)
class Windows:
    """Weeks before and after the done date compared, and weeks skipped right after it while the action beds in."""

    before_weeks: int = 8
    after_weeks: int = 8
    gap_weeks: int = 0

    def __post_init__(self) -> None:
        if self.before_weeks < 1 or self.after_weeks < 1 or self.gap_weeks < 0:
            raise ValueError(_("The windows need at least one week before and after, and a gap of zero weeks or more."))


@dataclass(frozen=True)
class Verification:
    """An action's verdict with its evidence: after − before of the treated answers and, with a control, the DiD."""

    verdict: str
    metric: str
    touchpoints: tuple[str, ...]
    done: datetime.date
    before_from: datetime.date
    before_to: datetime.date
    after_from: datetime.date
    after_to: datetime.date
    before: float
    after: float
    n_before: int
    n_after: int
    change: float
    low: float
    high: float
    p_value: float
    method: str
    segment: str | None
    treated: tuple[str, ...]
    control_change: float | None
    effect: float | None
    effect_low: float | None
    effect_high: float | None
    effect_p: float | None
    sentence: str
    cluster: str | None = None  # the column the answers were clustered by; None: independent answers
    clusters: int | None = None
    design_effect: float | None = None  # variance against independent answers, of the tested comparison
    df: float | None = None  # the t-test's degrees of freedom
    detail: str = ""  # how the answers were counted, in words

    def to_dict(self) -> dict:
        """JSON-safe fields: dates as ISO strings, tuples as lists, NaN as None."""
        data = dataclasses.asdict(self)
        for name, value in data.items():
            if isinstance(value, datetime.date):
                data[name] = value.isoformat()
            elif isinstance(value, tuple):
                data[name] = list(value)
            elif isinstance(value, float) and math.isnan(value):
                data[name] = None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Verification:
        """The verification stored by :meth:`to_dict`."""
        data = dict(data)
        for name in _DATES:
            data[name] = datetime.date.fromisoformat(data[name])
        for name in ("touchpoints", "treated"):
            data[name] = tuple(data[name])
        for name in _FLOATS:
            data[name] = math.nan if data[name] is None else data[name]
        return cls(**data)


def _windows(done: datetime.date, windows: Windows) -> tuple[datetime.date, ...]:
    """First and last day of the before window and of the after window around ``done``."""
    day, week = datetime.timedelta(days=1), datetime.timedelta(weeks=1)
    after_from = done + windows.gap_weeks * week
    return done - windows.before_weeks * week, done - day, after_from, after_from + windows.after_weeks * week - day


def verify(
    sources: Sequence[str],
    touchpoints: Sequence[str],
    done: datetime.date,
    *,
    metric: str = "csat",
    windows: Windows = Windows(),
    segment: str | None = None,
    treated: Sequence[str] = (),
    filters: tuple = (),
    alpha: float = 0.05,
    min_n: int = metrics.DEFAULT_MIN_N,
    confidence: float = metrics.DEFAULT_CONFIDENCE,
    cache: diskcache.Cache | None = None,
    names: Mapping[str, str] | None = None,
    wave: waves.Wave | None = None,
) -> Verification:
    """The effect of an action done on ``done`` at ``touchpoints``: before/after, and a DiD against untreated segments.

    ``wave`` is the survey's one wave when its answers carry no dates (:func:`workbench.data.waves.single_wave`): the
    verdict is then "insufficient", with the sentence saying why.
    """
    if metric not in metrics.METRICS:
        raise ValueError(
            _("Unknown metric '{metric}'; use one of {metrics}.").format(
                metric=metric, metrics=", ".join(metrics.METRICS)
            )
        )
    if not touchpoints:
        raise ValueError(_("An action needs at least one touchpoint to verify."))
    if treated and segment is None:
        raise ValueError(_("Treated values need the segment column they belong to."))
    treated = tuple(treated)
    segment = segment if treated else None
    before_from, before_to, after_from, after_to = _windows(done, windows)
    if wave is not None:  # every answer carries the wave's first day: "before" and "after" mean nothing
        return Verification(
            verdict="insufficient",
            metric=metric,
            touchpoints=tuple(touchpoints),
            done=done,
            before_from=before_from,
            before_to=before_to,
            after_from=after_from,
            after_to=after_to,
            before=math.nan,
            after=math.nan,
            n_before=0,
            n_after=0,
            change=math.nan,
            low=math.nan,
            high=math.nan,
            p_value=math.nan,
            method="before_after",
            segment=segment,
            treated=treated,
            control_change=None,
            effect=None,
            effect_low=None,
            effect_high=None,
            effect_p=None,
            sentence=waves.no_trend_message(wave),
        )
    scope = (*filters, ("touchpoint", tuple(touchpoints)))
    present = set(query.columns(sources))
    levels = [name for name in CLUSTERS if name in present]

    def cells(start: datetime.date, end: datetime.date, cluster: str | None) -> list[pandas.DataFrame]:
        """The window's statistics per cluster: the treated rows and, with a segment, the untreated values' rows."""
        by = tuple(dict.fromkeys(name for name in (segment, cluster) if name))  # a pilot by branch, clustered by it
        result = query.aggregate(
            query.Query(tuple(sources), by=by, date_from=start, date_to=end, filters=scope),
            cache,
            min_n=min_n,
            confidence=confidence,
        )
        if segment is None:
            return [result]
        inside = result[segment].isin(list(treated))
        # Answers without a segment value are neither: nobody knows whether the action reached them.
        return [result[inside], result[~inside & result[segment].notna()]]

    def estimate(rows: pandas.DataFrame) -> metrics.Estimate:
        return _estimate(query.rollup(rows, [], min_n=min_n, confidence=confidence), metric)

    needed = max(min_n, 2)  # a test needs a spread, and one answer has none
    fallback = None
    robust: clustered.ClusteredComparison | None = None
    for cluster in (*levels, None):
        windows_cells = cells(before_from, before_to, cluster), cells(after_from, after_to, cluster)
        before, after = estimate(windows_cells[0][0]), estimate(windows_cells[1][0])
        controls = (estimate(windows_cells[0][1]), estimate(windows_cells[1][1])) if segment else None
        sufficient = min(before.n, after.n) >= needed
        did = sufficient and controls is not None and min(controls[0].n, controls[1].n) >= needed
        if cluster is None:
            change, control, effect = _independent((before, after), controls if did else None, confidence)
            robust = None
            break
        change, control, effect, robust = _robust(*windows_cells, did, metric, cluster, confidence)
        # One branch (or respondent) holds a side of the comparison: its error is unmeasured at that level.
        if not sufficient or not math.isnan(robust.se):
            break
        fallback = fallback or cluster
    tested = effect or change
    verdict = _verdict(tested.difference, tested.p_value, alpha) if sufficient else "insufficient"
    result = Verification(
        verdict=verdict,
        metric=metric,
        touchpoints=tuple(touchpoints),
        done=done,
        before_from=before_from,
        before_to=before_to,
        after_from=after_from,
        after_to=after_to,
        before=before.value,
        after=after.value,
        n_before=before.n,
        n_after=after.n,
        change=float(change.difference),
        low=float(change.low),
        high=float(change.high),
        p_value=float(change.p_value),
        method="difference_in_differences" if did else "before_after",
        segment=segment,
        treated=treated,
        control_change=float(control.difference) if control else None,
        effect=float(effect.difference) if effect else None,
        effect_low=float(effect.low) if effect else None,
        effect_high=float(effect.high) if effect else None,
        effect_p=float(effect.p_value) if effect else None,
        sentence="",
        cluster=cluster if robust is not None else None,
        clusters=robust.clusters if robust is not None else None,
        design_effect=_number(robust.design_effect) if robust is not None else None,
        df=_number(robust.df) if robust is not None else None,
    )
    control_n = (controls[0].n, controls[1].n) if controls else None
    return dataclasses.replace(
        result,
        sentence=_sentence(result, names or {}, confidence, needed, control_n),
        detail=_detail(result, fallback) if sufficient else "",
    )


def _independent(
    windows: tuple[metrics.Estimate, metrics.Estimate],
    controls: tuple[metrics.Estimate, metrics.Estimate] | None,
    confidence: float,
) -> tuple[metrics.Comparison, metrics.Comparison | None, metrics.Comparison | None]:
    """Treated change, control change and their difference, as z-tests of independent answers."""
    change = metrics.compare(windows[1], windows[0], confidence)
    if controls is None:
        return change, None, None
    control = metrics.compare(controls[1], controls[0], confidence)
    return change, control, _difference(change, control, confidence)


def _robust(
    before: list[pandas.DataFrame],
    after: list[pandas.DataFrame],
    did: bool,
    metric: str,
    cluster: str,
    confidence: float,
) -> tuple[metrics.Comparison, metrics.Comparison | None, metrics.Comparison | None, clustered.ClusteredComparison]:
    """Treated change, control change and the DiD, clustered by ``cluster``, with the tested comparison's details."""
    tested = _clustered([after[0], before[0]], (1, -1), metric, cluster, confidence)
    change = _comparison(tested)
    if not did:
        return change, None, None, tested
    control = _comparison(_clustered([after[1], before[1]], (1, -1), metric, cluster, confidence))
    tested = _clustered([after[0], before[0], after[1], before[1]], (1, -1, -1, 1), metric, cluster, confidence)
    return change, control, _comparison(tested), tested


def _clustered(
    cells: Sequence[pandas.DataFrame], weights: Sequence[float], metric: str, cluster: str, confidence: float
) -> clustered.ClusteredComparison:
    """The contrast of the cells' means, clustered by the ``cluster`` column of their per-cluster statistics (CR2)."""
    import pandas as pd

    rows = pd.concat([frame.assign(_cell=i) for i, frame in enumerate(cells)], ignore_index=True)
    n, total, total_sq = clustered.moments(rows, metric)
    return clustered.contrast(rows["_cell"], rows[cluster], n, total, total_sq, weights, confidence, method="CR2")


def _comparison(found: clustered.ClusteredComparison) -> metrics.Comparison:
    return metrics.Comparison(
        found.difference, found.se, found.t, found.p_value, found.low, found.high, found.confidence
    )


def _number(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else float(value)


def _detail(item: Verification, fallback: str | None) -> str:
    """How the answers were counted: the clusters, the design effect and the test, in words."""
    if item.cluster is None:
        text = _(
            "Answers counted as independent: the data have no branch or respondent column to group them by "
            "(z-test on the two windows' standard errors)."
        )
    else:
        text = _(
            "Answers clustered by {cluster} ({clusters} clusters), as answers from the same {cluster} move "
            "together: design effect {effect}, so the interval is {wider}× as wide as if every answer were "
            "independent; Student's t on {df} degrees of freedom (CR2, Bell & McCaffrey)."
        ).format(
            cluster=CLUSTER_NAMES[item.cluster],
            clusters=formatting.count(item.clusters or 0),
            effect=formatting.number(item.design_effect, 2),
            wider=formatting.number(math.sqrt(item.design_effect) if item.design_effect else None, 2),
            df=formatting.number(item.df, 1),
        )
    if fallback is not None:
        text += " " + _(
            "One side of the comparison (the action's answers or the others') comes from a single {level}, so "
            "that {level}'s own ups and downs cannot be told apart from the action's effect; the test only counts "
            "the sampling of answers."
        ).format(level=CLUSTER_NAMES[fallback])
    return text


def _estimate(result: pandas.DataFrame, metric: str) -> metrics.Estimate:
    """The metric's estimate in the one row of an aggregate result (no row: no answers)."""
    if not len(result):
        return metrics.Estimate(math.nan, math.nan, math.nan, math.nan, 0, True)
    row = result.iloc[0]
    return metrics.Estimate(
        float(row[metric]),
        float(row[f"{metric}_se"]),
        float(row[f"{metric}_low"]),
        float(row[f"{metric}_high"]),
        int(row[metrics.n_column(metric)]),
        bool(row[f"{metric}_low_n"]),
    )


def _difference(treated: metrics.Comparison, control: metrics.Comparison, confidence: float) -> metrics.Comparison:
    """Treated change − control change; the four windows are independent samples, so their variances add."""
    difference = treated.difference - control.difference
    se = math.hypot(treated.se, control.se)
    z = difference / se if se > 0 else math.nan
    p_value = float(metrics.two_sided_p(z)) if se > 0 else math.nan
    margin = metrics.z_value(confidence) * se
    return metrics.Comparison(difference, se, z, p_value, difference - margin, difference + margin, confidence)


def _verdict(difference: float, p_value: float, alpha: float) -> str:
    if p_value < alpha:
        return "improved" if difference > 0 else "worse"
    return "no_change"


def _sentence(
    item: Verification, names: Mapping[str, str], confidence: float, needed: int, control_n: tuple[int, int] | None
) -> str:
    """The verdict in plain words with the numbers behind it."""
    metric = item.metric

    def value(x: float | None, signed: bool = False) -> str:
        return formatting.value(x, metric, signed)

    words = {
        "subject": _("{metric} at {touchpoints}").format(
            metric=metrics.NAMES[metric], touchpoints=", ".join(names.get(k, k) for k in item.touchpoints)
        ),
        "values": ", ".join(item.treated),
        "before": value(item.before),
        "after": value(item.after),
        "size": value(abs(item.change)).lstrip("+"),
        "level": formatting.number(confidence * 100, 0 if (confidence * 100).is_integer() else 1),
        "counts": _("n = {before} before, {after} after").format(
            before=formatting.count(item.n_before), after=formatting.count(item.n_after)
        ),
        "verdict": VERDICT_NAMES[item.verdict],
    }
    if item.verdict == "insufficient":
        counted = {
            "before": formatting.count(item.n_before),
            "after": formatting.count(item.n_after),
            "needed": formatting.count(needed),
        }
        if item.treated:
            return _(
                "{subject} in {values} cannot be verified: n = {before} before and n = {after} after the action; "
                "at least {needed} needed in each window."
            ).format(**{**words, **counted})
        return _(
            "{subject} cannot be verified: n = {before} before and n = {after} after the action; "
            "at least {needed} needed in each window."
        ).format(**{**words, **counted})
    # Judged on the shown digits, so a change that rounds to zero never reads "rose by 0".
    moved = "none" if formatting.decimal(words["size"]) == 0 else "up" if item.change > 0 else "down"
    if item.method == "difference_in_differences":
        words.update(
            control=value(item.control_change, True),
            effect=value(item.effect, True),
            low=value(item.effect_low),
            high=value(item.effect_high),
            p=formatting.p_value(item.effect_p, "p"),
        )
        return {
            "up": _(
                "{subject} rose by {size} in {values} (from {before} to {after}) against {control} elsewhere: an "
                "effect of {effect} ({level} % CI {low} to {high}, {p}; {counts}): {verdict}."
            ),
            "down": _(
                "{subject} fell by {size} in {values} (from {before} to {after}) against {control} elsewhere: an "
                "effect of {effect} ({level} % CI {low} to {high}, {p}; {counts}): {verdict}."
            ),
            "none": _(
                "{subject} hardly changed in {values} (from {before} to {after}) against {control} elsewhere: an "
                "effect of {effect} ({level} % CI {low} to {high}, {p}; {counts}): {verdict}."
            ),
        }[moved].format(**words)
    words.update(low=value(item.low), high=value(item.high), p=formatting.p_value(item.p_value, "p"))
    if item.treated:
        sentence = {
            "up": _(
                "{subject} in {values} rose by {size}, from {before} to {after} ({level} % CI {low} to {high}, {p}; "
                "{counts}): {verdict}."
            ),
            "down": _(
                "{subject} in {values} fell by {size}, from {before} to {after} ({level} % CI {low} to {high}, {p}; "
                "{counts}): {verdict}."
            ),
            "none": _(
                "{subject} in {values} hardly changed, from {before} to {after} ({level} % CI {low} to {high}, {p}; "
                "{counts}): {verdict}."
            ),
        }[moved]
    else:
        sentence = {
            "up": _(
                "{subject} rose by {size}, from {before} to {after} ({level} % CI {low} to {high}, {p}; {counts}): "
                "{verdict}."
            ),
            "down": _(
                "{subject} fell by {size}, from {before} to {after} ({level} % CI {low} to {high}, {p}; {counts}): "
                "{verdict}."
            ),
            "none": _(
                "{subject} hardly changed, from {before} to {after} ({level} % CI {low} to {high}, {p}; {counts}): "
                "{verdict}."
            ),
        }[moved]
    text = sentence.format(**words)
    if control_n is not None:
        text += " " + _(
            "Too few answers elsewhere to compare with the rest of {segment} (n = {before} before, "
            "{after} after; {needed} needed)."
        ).format(
            segment=item.segment,
            before=formatting.count(control_n[0]),
            after=formatting.count(control_n[1]),
            needed=formatting.count(needed),
        )
    return text
