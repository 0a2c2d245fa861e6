"""From score to money: how a KPI moves with NPS or CSAT, what a retained customer is worth, and what a lift pays.

Panel link: a KPI per segment-period (revenue, churn per branch-month) regressed on the score with segment fixed
effects (and period effects), so only the score's movement *within* a segment over time identifies the link. A
score measured from a few dozen answers a cell carries sampling noise that attenuates the slope; the link divides it
out with the known SE² of each cell (Fuller's errors-in-variables moment estimator) and takes its standard error from
the delete-one-segment jackknife (CV3) with a t on G − 1 degrees of freedom, which holds at few segments (see
:mod:`workbench.analysis.panelfit`).
Customer link: a value (revenue, retention) per NPS group.
Money: the customer lifetime value, NPV of monthly flows, payback and ROI, and a Monte Carlo of a scenario's
NPV and ROI over the sampling uncertainty of the link. A scenario chains them: touchpoint rating changes → the
overall NPS (a respondent-level model of NPS points per rating point) → the KPI (the panel link) → money over a
horizon. The links are observational: evidence, not proof of cause.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core import formatting, metrics
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.core.scenario import DRIVER_METRICS, Assumptions, Scenario

if TYPE_CHECKING:
    import pandas

NPS_GROUPS = ("promoter", "passive", "detractor")
BASELINE_MONTHS = 12  # the KPI today: the mean month of the last year
_LINK_FLOATS = ("coefficient", "se", "low", "high", "p", "r2_within", "reliability")  # NaN is stored as None
NOISE = "sampling_variance"  # branch_month_scores' column: each score's SE², the noise panel_link corrects for
# A corrected link needs the score's true movement within segments to stand out from its sampling noise: its
# estimated sum of squares must be this many standard deviations of a pure-noise sum of squares above zero.
SEPARABLE = 2.0


@dataclass(frozen=True)
class Link:
    """An estimated KPI-per-score-point link with its interval, p-value, sample and a verdict in words.

    ``coefficient`` is the KPI change per score point, or with ``log_kpi`` the change of log(KPI) (a
    semi-elasticity: ×100 ≈ % per point); ``n`` counts rows, ``groups`` segments (the clusters); ``lag`` is how
    many periods the score leads the KPI; ``reliability`` is the share of the score's movement within segments that
    is not sampling noise (1: a score taken as exact), the attenuation the coefficient is corrected for.
    """

    kpi: str
    score: str
    coefficient: float
    se: float
    low: float
    high: float
    p: float
    n: int
    groups: int
    r2_within: float
    log_kpi: bool
    lag: int
    confidence: float
    supported: bool
    sentence: str
    reliability: float = 1.0

    def to_dict(self) -> dict:
        """JSON-safe fields, NaN as None."""
        data = dataclasses.asdict(self)
        return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: dict) -> Link:
        """The link stored by :meth:`to_dict`."""
        data = dict(data)
        for name in _LINK_FLOATS:
            if name in data:  # a link stored before a field was added takes its default
                data[name] = math.nan if data[name] is None else data[name]
        return cls(**data)


# ------------------------------------------------------------------ panel link


def panel_link(
    panel: pandas.DataFrame,
    kpi: str,
    score: str = "nps",
    segment: str = "branch",
    period: str = "period",
    *,
    noise: str | None = None,
    lag: int = 0,
    log_kpi: bool = False,
    period_effects: bool = True,
    confidence: float = metrics.DEFAULT_CONFIDENCE,
    alpha: float = 0.05,
) -> Link:
    """The KPI's change per score point within segments over time, with a segment-clustered interval.

    Parameters
    ----------
    panel : one row per segment and period with the KPI and the score; rows missing either are dropped.
    noise : the column with each row's sampling variance of the score (its SE², e.g. :data:`NOISE` from
        :func:`branch_month_scores`): the slope is corrected for the attenuation that noise causes (see
        :mod:`workbench.analysis.panelfit`). None: the score is taken as measured without error.
    lag : the score of ``lag`` periods earlier explains the KPI (calendar months when periods are dates, else
        positions in the panel's sorted periods).
    log_kpi : regress log(KPI), so the coefficient is a semi-elasticity (KPI must be positive).
    period_effects : add a dummy per period (common shocks such as season); segment effects are always in.
    """
    import numpy as np
    import pandas as pd
    from scipy import stats

    from workbench.analysis import panelfit

    columns = [segment, period, kpi, score] + ([noise] if noise else [])
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise ValueError(_("The panel has no column {columns}.").format(columns=_quoted(missing)))
    if lag < 0:
        raise ValueError(_("The lag must be zero or more periods."))
    data = panel[columns].dropna(subset=[segment, period])
    lagged = [score] + ([noise] if noise else [])
    if lag:
        # Lag by period position, not by row, so a month missing for a segment never shifts its other months;
        # dates count calendar months, so a month missing from the whole panel is not skipped either.
        if pd.api.types.is_datetime64_any_dtype(data[period]):
            dates = data[period].dt
            position = dates.year * 12 + dates.month
        else:
            order = {p: i for i, p in enumerate(sorted(data[period].unique()))}
            position = data[period].map(order)
        earlier = data[[segment, *lagged]].assign(_position=position + lag)
        data = data.drop(columns=lagged).assign(_position=position).merge(earlier, on=[segment, "_position"])
        data = data.drop(columns="_position")
    data = data.dropna(subset=[kpi, *lagged])
    y = data[kpi].to_numpy(dtype=float)
    if log_kpi:
        if (y <= 0).any():
            raise ValueError(_("log({kpi}) needs a positive {kpi} in every row.").format(kpi=kpi))
        y = np.log(y)
    x = data[score].to_numpy(dtype=float)
    variance = data[noise].to_numpy(dtype=float) if noise else np.zeros(len(x))
    segments = pd.factorize(data[segment])[0]
    periods = pd.factorize(data[period])[0] if period_effects else None
    n = len(y)
    within = panelfit.fit(segments, periods, x, y, variance) if n else None
    groups, k = (within.groups, within.rank + 1) if within else (0, 1)
    if within is None or groups < 2 or n <= k:
        raise ValueError(
            _(
                "Too few rows to link {kpi} to {score}: {n} rows in {groups} segments for {k} "
                "parameters (at least two segments and one more row than parameters)."
            ).format(
                kpi=kpi, score=score, n=formatting.count(n), groups=formatting.count(groups), k=formatting.count(k)
            )
        )
    if within.sxx <= 1e-12 * max(1.0, float(x @ x)):
        raise ValueError(
            _("{score} does not vary within segments over time, so its link cannot be estimated.").format(score=score)
        )
    if noise and within.signal < SEPARABLE * within.noise_sd:
        # The score's movement within segments is mostly its sampling noise: a corrected slope would divide by
        # almost nothing, so no number is better than a huge one.
        name = metrics.NAMES.get(score, score)
        raise ValueError(
            _(
                "The link of {kpi} to {score} cannot be separated from the sampling noise of the {score} per "
                "{unit}: only {share} of its movement within segments is more than noise. More answers per "
                "{unit} or more periods are needed."
            ).format(
                kpi=kpi.replace("_", " "),
                score=name,
                unit=f"{segment}-{period}",
                share=formatting.percent(100 * max(within.reliability, 0.0)),
            )
        )
    coefficient, se = within.slope, within.se
    # A zero SE (the effects explain the KPI exactly) gives no evidence: p is undefined, the link unsupported.
    p = float(2 * stats.t.sf(abs(coefficient / se), groups - 1)) if se > 0 else math.nan
    margin = float(stats.t.ppf(0.5 + confidence / 2, groups - 1)) * se
    link = Link(
        kpi=kpi,
        score=score,
        coefficient=coefficient,
        se=se,
        low=coefficient - margin,
        high=coefficient + margin,
        p=p,
        n=n,
        groups=groups,
        r2_within=within.r2_within,
        log_kpi=log_kpi,
        lag=lag,
        confidence=confidence,
        supported=p < alpha,
        sentence="",
        reliability=within.reliability,
    )
    return dataclasses.replace(link, sentence=_link_sentence(link, f"{segment}-{period}"))


def _link_sentence(link: Link, unit: str) -> str:
    """'Revenue rises 0.40 % per NPS point (95 % CI 0.33 % to 0.47 %, p < 0.001; 1 200 branch-period rows).'"""
    if link.log_kpi:
        # A semi-elasticity reads as the exact % change per point.
        value, low, high = (100 * math.expm1(v) for v in (link.coefficient, link.low, link.high))
    else:
        value, low, high = link.coefficient, link.low, link.high
    # Two significant digits of the interval's width: enough to read it, no false precision.
    width = high - low
    digits = max(0, 1 - math.floor(math.log10(width))) if width > 0 else 2

    def number(v: float) -> str:
        if not link.log_kpi:
            return formatting.number(v, digits)
        # The language's percent ('0.40 %', Polish '0,40%'), with a plain space where it has one: the sentence wraps.
        return formatting.percent(v, digits).replace(formatting.THOUSANDS + "%", " %")

    kpi = link.kpi.replace("_", " ").capitalize()
    score = metrics.NAMES.get(link.score, link.score)
    level = formatting.number(link.confidence * 100, 0 if (link.confidence * 100).is_integer() else 1)
    rows = formatting.count(link.n)
    low_text, high_text, p = number(low), number(high), formatting.p_value(link.p, "p")
    if link.reliability < 1:
        evidence = ngettext(
            "{level} % CI {low} to {high}, {p}; {n} {unit} row; corrected for the sampling noise of the {score} per "
            "{unit}, reliability {value}",
            "{level} % CI {low} to {high}, {p}; {n} {unit} rows; corrected for the sampling noise of the {score} per "
            "{unit}, reliability {value}",
            link.n,
        ).format(
            level=level,
            low=low_text,
            high=high_text,
            p=p,
            n=rows,
            unit=unit,
            score=score,
            value=formatting.number(link.reliability, 2),
        )
    else:
        evidence = ngettext(
            "{level} % CI {low} to {high}, {p}; {n} {unit} row",
            "{level} % CI {low} to {high}, {p}; {n} {unit} rows",
            link.n,
        ).format(level=level, low=low_text, high=high_text, p=p, n=rows, unit=unit)
    per = (
        _("per {score} point {lag} period(s) earlier").format(score=score, lag=formatting.count(link.lag))
        if link.lag
        else _("per {score} point").format(score=score)
    )
    words = {"kpi": kpi, "value": number(abs(value)), "per": per, "evidence": evidence}
    if value >= 0:
        if link.supported:
            return _("{kpi} rises {value} {per} ({evidence}).").format(**words)
        return _("{kpi} rises {value} {per} ({evidence}): not significant, not supported by the data.").format(**words)
    if link.supported:
        return _("{kpi} falls {value} {per} ({evidence}).").format(**words)
    return _("{kpi} falls {value} {per} ({evidence}): not significant, not supported by the data.").format(**words)


def _quoted(names) -> str:
    """Column names for a message: 'revenue', 'branch'."""
    return ", ".join(repr(name) for name in names)


# ------------------------------------------------------------------ panel from survey answers


def branch_month_scores(
    answers: pandas.DataFrame, score: str = "nps", touchpoint: str = "_overall", segment: str = "branch"
) -> pandas.DataFrame:
    """NPS (or the mean CSAT/CES), n and the score's sampling variance per segment and month from long answers.

    Returns columns ``segment``, ``period`` (the month start, as a timestamp), ``score``, ``n`` and :data:`NOISE`
    (the score's SE²: the answers' variance with n − 1 in the denominator over n, so it is unbiased; the NPS counts
    an answer as +100, 0 or −100; a cell of one answer takes the cells' pooled variance); answers without a score or
    a segment are left out, and months are those of ``ts``.
    """
    import numpy as np
    import pandas as pd

    missing = [c for c in ("ts", "touchpoint", score, segment) if c not in answers.columns]
    if missing:
        raise ValueError(_("The answers have no column {columns}.").format(columns=_quoted(missing)))
    rows = answers.loc[answers["touchpoint"] == touchpoint, [segment, "ts", score]].dropna()
    rows = rows.assign(period=pd.to_datetime(rows["ts"]).dt.to_period("M").dt.to_timestamp())
    if score == "nps":
        rows = rows.assign(**{score: metrics.nps_points(rows[score].to_numpy(dtype=float, na_value=np.nan))})
    grouped = rows.groupby([segment, "period"])[score]
    values = grouped.agg(n="size", **{score: "mean"}, _spread="var")
    pooled = float((values["_spread"] * (values["n"] - 1)).sum() / max(int((values["n"] - 1).sum()), 1))
    values[NOISE] = np.where(values["n"] > 1, values["_spread"], pooled) / values["n"]
    return values.reset_index()[[segment, "period", score, "n", NOISE]]


def join_panel(
    scores: pandas.DataFrame, kpis: pandas.DataFrame, segment: str = "branch", period: str = "period"
) -> pandas.DataFrame:
    """The KPI rows with the score of their segment and month (both periods taken to their month start).

    ``scores`` is :func:`branch_month_scores`' result; KPI rows without a score are dropped; the result keeps
    ``kpis``' columns, its ``period`` as a month-start timestamp, and adds the score, its ``n`` and its sampling
    variance :data:`NOISE`.
    """
    import pandas as pd

    def month(values: pandas.Series) -> pandas.Series:
        return pd.to_datetime(values).dt.to_period("M").dt.to_timestamp()

    scores = scores.rename(columns={"period": period}).assign(**{period: lambda f: month(f[period])})
    clash = (set(scores.columns) & set(kpis.columns)) - {segment, period}
    if clash:
        raise ValueError(_("The KPI table already has column {columns}.").format(columns=", ".join(sorted(clash))))
    return kpis.assign(**{period: month(kpis[period])}).merge(scores, on=[segment, period], how="inner")


# ------------------------------------------------------------------ customer level


def nps_group(scores: pandas.Series) -> pandas.Series:
    """'promoter' (9–10), 'passive' (7–8) or 'detractor' (0–6) per answer; missing stays missing."""
    import numpy as np
    import pandas as pd

    values = scores.to_numpy(dtype=float)
    group = np.where(
        values >= metrics.PROMOTER_AT, "promoter", np.where(values > metrics.DETRACTOR_AT, "passive", "detractor")
    )
    return pd.Series(np.where(np.isnan(values), np.array(None, dtype=object), group), index=scores.index, dtype=object)


def by_group(
    customers: pandas.DataFrame, value: str, score: str = "nps", confidence: float = metrics.DEFAULT_CONFIDENCE
) -> pandas.DataFrame:
    """Per NPS group: n, the mean of ``value`` with its SE and interval (a 0/1 value: the rate, Wilson interval).

    One row per group in the order promoter, passive, detractor (index ``group``); a group without customers
    has n = 0 and NaN elsewhere.
    """
    import numpy as np
    import pandas as pd
    from scipy import stats

    rows = customers[[score, value]].dropna()
    values = rows[value].astype(float)
    binary = bool(values.isin((0.0, 1.0)).all())
    z = metrics.z_value(confidence)
    table = []
    for group in NPS_GROUPS:
        chosen = values[nps_group(rows[score]).to_numpy() == group].to_numpy()
        n = len(chosen)
        if n == 0:
            table.append((group, 0, math.nan, math.nan, math.nan, math.nan))
        elif binary:
            rate, se, low, high = (float(v) / 100 for v in metrics.wilson_formula(chosen.sum(), n, z))
            table.append((group, n, rate, se, low, high))
        else:
            mean = float(chosen.mean())
            se = float(chosen.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
            margin = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * se if n > 1 else math.nan
            table.append((group, n, mean, se, mean - margin, mean + margin))
    frame = pd.DataFrame(table, columns=["group", "n", "mean", "se", "low", "high"]).set_index("group")
    return frame.astype({"n": np.int64})


# ------------------------------------------------------------------ money


def clv(margin: float, retention: float, discount: float, years: int | None = None) -> float:
    """Lifetime value of a customer retained today: the discounted margins of the years they stay.

    Convention: the customer stays each year with probability ``retention`` and, if still there, brings
    ``margin`` at the end of that year, so year t counts m·r^t/(1+d)^t. Infinite horizon (``years`` None):
    m·r/(1 + d − r); finite: Σ_{t=1..years} m·r^t/(1+d)^t.
    """
    if not 0 <= retention <= 1:
        raise ValueError(_("Retention is a probability between 0 and 1."))
    if discount <= -1 or (years is None and retention >= 1 + discount):
        raise ValueError(_("The discount rate must be above −1, and above retention − 1 for an infinite horizon."))
    if years is None:
        return margin * retention / (1 + discount - retention)
    if years < 0:
        raise ValueError(_("The horizon must be zero or more years."))
    ratio = retention / (1 + discount)
    return margin * sum(ratio**t for t in range(1, years + 1))


def churn_point_value(margin: float, retention: float, discount: float, customers: float) -> tuple[float, float]:
    """(CLV, value of one churn point per segment): a churn rate in % per segment loses, per point, 1 % of the
    segment's ``customers``, each worth the lifetime value :func:`clv` (``discount`` per year), so −CLV × customers
    / 100."""
    lifetime = clv(margin, retention, discount)
    return lifetime, -lifetime * customers / 100


def npv(rate_per_year: float, flows_per_month: Sequence[float]) -> float:
    """Present value of monthly flows at the end of months 1, 2, …, discounted at the equivalent monthly rate.

    The monthly rate is (1 + rate_per_year)^(1/12) − 1, so twelve months discount exactly one year.
    """
    if rate_per_year <= -1:
        raise ValueError(_("The discount rate must be above −1."))
    monthly = (1 + rate_per_year) ** (1 / 12)
    return float(sum(flow / monthly**month for month, flow in enumerate(flows_per_month, start=1)))


# ------------------------------------------------------------------ touchpoint ratings to the overall NPS


@dataclass(frozen=True)
class ScoreModel:
    """Overall NPS points per rating point at each touchpoint (respondent-level OLS, HC1 covariance), and reach.

    A respondent's overall answer counts +100 as a promoter, 0 as a passive and −100 as a detractor, so the mean
    is the NPS and a slope is NPS points per rating point. ``reach`` is the share of respondents with an overall
    answer who rated the touchpoint, among those who rated two or more: a touchpoint few customers meet moves the
    overall NPS less.
    """

    driver_metric: str
    touchpoints: tuple[str, ...]
    slopes: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    reach: tuple[float, ...]
    n: int
    r2: float
    confidence: float = metrics.DEFAULT_CONFIDENCE

    def index(self, touchpoint: str) -> int:
        """The touchpoint's position in the model (a clear error if it is not in it)."""
        if touchpoint not in self.touchpoints:
            raise ValueError(
                _("'{touchpoint}' is not in the driver model (it has {touchpoints}).").format(
                    touchpoint=touchpoint, touchpoints=", ".join(self.touchpoints)
                )
            )
        return self.touchpoints.index(touchpoint)

    def slope(self, touchpoint: str) -> float:
        """NPS points per rating point at the touchpoint."""
        return self.slopes[self.index(touchpoint)]

    def se(self, touchpoint: str) -> float:
        """The slope's standard error."""
        i = self.index(touchpoint)
        return math.sqrt(self.covariance[i][i])

    def interval(self, touchpoint: str) -> tuple[float, float]:
        """The slope's normal confidence interval."""
        margin = metrics.z_value(self.confidence) * self.se(touchpoint)
        return self.slope(touchpoint) - margin, self.slope(touchpoint) + margin

    def p(self, touchpoint: str) -> float:
        """Two-sided p-value of the slope."""
        se = self.se(touchpoint)
        return float(metrics.two_sided_p(self.slope(touchpoint) / se)) if se > 0 else math.nan

    def to_dict(self) -> dict:
        """JSON-safe fields."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ScoreModel:
        """The model stored by :meth:`to_dict`."""
        fields: dict[str, Any] = {
            k: tuple(tuple(r) for r in v) if k == "covariance" else tuple(v) if isinstance(v, list) else v
            for k, v in data.items()
        }
        return cls(**fields)


def score_model(
    answers: pandas.DataFrame,
    touchpoints: Sequence[str],
    driver_metric: str = "csat",
    outcome_touchpoint: str = "_overall",
    confidence: float = metrics.DEFAULT_CONFIDENCE,
) -> ScoreModel:
    """Regress each respondent's overall NPS contribution (+100/0/−100) on their touchpoint ratings.

    ``touchpoints`` are the driver model's (see :func:`workbench.analysis.drivers.model_rows`); respondents who
    rated all of them and answered the overall question are the rows.
    """
    from workbench.analysis import drivers

    missing = [c for c in ("respondent_id", "touchpoint", "nps", driver_metric) if c not in answers.columns]
    if missing:
        raise ValueError(_("The answers have no column {columns}.").format(columns=_quoted(missing)))
    table = drivers.respondent_table(
        answers.assign(_nps_points=metrics.nps_points(answers["nps"].to_numpy(dtype=float, na_value=math.nan))),
        "_nps_points",
        driver_metric,
        outcome_touchpoint,
    )
    return _fitted_scores(table, touchpoints, driver_metric, confidence)


def _fitted_scores(
    table: pandas.DataFrame, touchpoints: Sequence[str], driver_metric: str, confidence: float
) -> ScoreModel:
    """:func:`score_model` on a respondent table of NPS points ("outcome") and mean ratings per touchpoint."""
    import numpy as np

    if not touchpoints:
        raise ValueError(_("Name at least one touchpoint for the driver model."))
    unrated = [t for t in touchpoints if t not in table.columns]
    if unrated:
        raise ValueError(
            _("No {metric} ratings of {touchpoints} from respondents with an overall NPS.").format(
                metric=driver_metric.upper(), touchpoints=", ".join(unrated)
            )
        )
    columns = list(touchpoints)
    # Rows chosen by numpy masks: a frame indexed by 4 M respondent ids hashes its index on every pandas mask, and
    # a copy of the table without its outcome is a grid of 0.7 GB.
    rated = table.notna().to_numpy()
    at = [table.columns.get_loc(name) for name in ("outcome", *columns)]
    scored = rated[:, at[0]]
    # Pulse respondents rate one touchpoint by the survey's design, not because it is the only one they met.
    journey_raters = scored & (rated.sum(axis=1) - rated[:, at[0]] >= 2)
    reach = {
        name: float(rated[journey_raters, position].mean()) if journey_raters.any() else math.nan
        for name, position in zip(columns, at[1:], strict=True)
    }
    complete = scored & rated[:, at[1:]].all(axis=1)
    n, k = int(complete.sum()), len(columns) + 1
    if n < k + 2:
        raise ValueError(
            _("Only {n} respondents rated all {count} touchpoints; at least {needed} are needed.").format(
                n=formatting.count(n), count=formatting.count(len(columns)), needed=formatting.count(k + 2)
            )
        )
    x = np.column_stack([np.ones(n), table[columns].to_numpy(dtype=float)[complete]])
    y = table["outcome"].to_numpy(dtype=float)[complete]
    beta, *_rest = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ beta
    bread = np.linalg.pinv(x.T @ x)
    meat = (x * residual[:, None] ** 2).T @ x
    covariance = n / (n - k) * bread @ meat @ bread  # HC1: the ratings' noise is not the same for everyone
    total = float(((y - y.mean()) ** 2).sum())
    return ScoreModel(
        driver_metric=driver_metric,
        touchpoints=tuple(columns),
        slopes=tuple(float(b) for b in beta[1:]),
        covariance=tuple(tuple(float(v) for v in row[1:]) for row in covariance[1:]),
        reach=tuple(reach[t] for t in columns),
        n=n,
        r2=1 - float(residual @ residual) / total if total > 0 else math.nan,
        confidence=confidence,
    )


# ------------------------------------------------------------------ scenario: the chain from a lift to money


@dataclass(frozen=True)
class Outcome:
    """A scenario's chain at the point estimates, its Monte Carlo percentiles (P10, P50, P90) and its evidence.

    Money is discounted to today except ``monthly_gain``; ``payback`` counts months until undiscounted gains
    reach the cost (None: not within the horizon; in the percentiles, infinity). ``contributions`` splits the
    discounted gain by touchpoint in proportion to its share of the NPS change. ``supported``: the scenario assumes
    a change of the NPS and every link of its chain is significant; ``doubts`` say what is missing otherwise.
    """

    nps_change: float
    kpi_change: float
    monthly_gain: float
    gain: float
    npv: float
    roi: float
    payback: int | None
    nps_range: tuple[float, float, float]
    npv_range: tuple[float, float, float]
    roi_range: tuple[float, float, float]
    payback_range: tuple[float, float, float]
    p_roi_positive: float
    contributions: tuple[tuple[str, float], ...]
    supported: bool
    doubts: tuple[str, ...]


def _kpi_change(link: Link, base: float, coefficient, nps_change):
    """The KPI's change per month for an NPS change (arrays or numbers)."""
    import numpy as np

    return base * np.expm1(coefficient * nps_change) if link.log_kpi else base * coefficient * nps_change


def _money(assumptions: Assumptions, lag: int, monthly_gain):
    """(discounted gain, NPV, ROI %, payback months with inf for never) of a constant monthly gain after the lag."""
    import numpy as np

    months = assumptions.months
    annuity = npv(assumptions.discount, [0.0] * min(lag, months) + [1.0] * max(months - lag, 0))
    gain = monthly_gain * annuity
    net = gain - assumptions.cost
    roi = 100 * net / assumptions.cost if assumptions.cost > 0 else np.full_like(np.asarray(net, float), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.where(
            np.asarray(monthly_gain) > 0,
            lag + np.ceil(assumptions.cost / np.asarray(monthly_gain, dtype=float)),
            np.inf,
        )
    payback = np.where(assumptions.cost <= 0, 0, np.where(needed <= months, needed, np.inf))
    return gain, net, roi, payback


def _nps_change(assumptions: Assumptions, model: ScoreModel | None, slopes=None) -> tuple:
    """The overall NPS change and each touchpoint's part (slope × change × reach)."""
    import numpy as np

    if not assumptions.changes:
        return assumptions.overall_change, ()
    if model is None:
        raise ValueError(
            _("Touchpoint changes need a respondent-level driver model; enter the overall NPS change instead.")
        )
    keys = list(assumptions.changes)
    index = [model.index(key) for key in keys]
    weights = np.array([assumptions.changes[k] * model.reach[i] for k, i in zip(keys, index, strict=True)])
    slopes = np.array([model.slopes[i] for i in index]) if slopes is None else slopes
    parts = slopes * weights
    return parts.sum(axis=-1), tuple(zip(keys, parts.T, strict=True))


def evaluate(
    assumptions: Assumptions,
    link: Link,
    model: ScoreModel | None = None,
    draws: int = 10_000,
    seed: int = 0,
    alpha: float = 0.05,
    names: Mapping[str, str] | None = None,
) -> Outcome:
    """The chain touchpoint ratings → overall NPS → KPI → money, with a seeded Monte Carlo of its uncertainty.

    The Monte Carlo draws the touchpoint slopes from their joint normal distribution and the KPI link from
    b + se·t(G − 1); the assumptions themselves stay fixed (see :func:`tornado` for them).
    """
    import numpy as np

    if draws < 1 or assumptions.months < 1:
        raise ValueError(_("The simulation needs at least one draw and one month."))
    if assumptions.cost < 0:
        raise ValueError(_("The cost must not be negative."))
    nps_change, parts = _nps_change(assumptions, model)
    kpi_change = float(_kpi_change(link, assumptions.base, link.coefficient, nps_change))
    monthly = assumptions.value_per_unit * kpi_change
    gain, net, roi, payback = (float(v) for v in _money(assumptions, link.lag, monthly))
    rng = np.random.default_rng(seed)
    if parts and model is not None:  # touchpoint changes: _nps_change refused them without a model
        index = [model.index(key) for key in assumptions.changes]
        covariance = np.asarray(model.covariance)[np.ix_(index, index)]
        slopes = rng.multivariate_normal(np.asarray(model.slopes)[index], covariance, draws, method="eigh")
        nps_draws, _parts = _nps_change(assumptions, model, slopes)
    else:
        nps_draws = np.full(draws, float(nps_change))
    coefficient = link.coefficient + link.se * rng.standard_t(max(link.groups - 1, 1), draws)
    monthly_draws = assumptions.value_per_unit * _kpi_change(link, assumptions.base, coefficient, nps_draws)
    _gain, net_draws, roi_draws, payback_draws = _money(assumptions, link.lag, monthly_draws)

    def percentiles(values, method: Any = "linear") -> tuple[float, float, float]:
        low, middle, high = (float(v) for v in np.percentile(values, (10, 50, 90), method=method))
        return low, middle, high

    doubts = []
    if nps_change == 0:
        # Nothing to support: without a change of the NPS the chain has no gain, whatever its links say.
        doubts.append(_("The scenario assumes no change of the NPS: it has a cost and no gain."))
    if not link.supported:
        doubts.append(_("The link of {kpi} to NPS is not significant.").format(kpi=link.kpi.replace("_", " ")))
    if model is not None:  # touchpoint changes: _nps_change refused them without a model
        doubts += [
            _("The effect of {touchpoint} on the overall NPS is not significant.").format(
                touchpoint=(names or {}).get(key, key)
            )
            for key in assumptions.changes
            if not model.p(key) < alpha
        ]  # an undefined p (zero SE) is no evidence either
    share = gain / nps_change if nps_change else 0.0
    return Outcome(
        nps_change=float(nps_change),
        kpi_change=kpi_change,
        monthly_gain=monthly,
        gain=gain,
        npv=net,
        roi=roi,
        payback=None if math.isinf(payback) else int(payback),
        nps_range=percentiles(nps_draws),
        npv_range=percentiles(net_draws),
        roi_range=percentiles(roi_draws) if assumptions.cost > 0 else (math.nan,) * 3,
        payback_range=percentiles(payback_draws, "inverted_cdf"),  # whole months or inf: no interpolation
        p_roi_positive=float(np.mean(net_draws > 0)),
        contributions=tuple((key, float(part) * share) for key, part in parts) or (("overall", gain),),
        supported=not doubts,
        doubts=tuple(doubts),
    )


def tornado(
    assumptions: Assumptions, link: Link, model: ScoreModel | None = None, names: Mapping[str, str] | None = None
) -> pandas.DataFrame:
    """How far the NPV swings when each assumption or estimate moves to a low and a high value, widest first.

    Estimates move to their confidence bounds; a touchpoint change, the overall change and the horizon to half and
    one and a half times; the KPI base, the value per unit and the cost by ±20 %; the discount rate by ±5 points.
    Columns: assumption, low, high (the values tried), npv_low, npv_high, swing.
    """
    import pandas as pd

    _nps_change(assumptions, model)  # the same clear error as evaluate() when changes have no model
    names = names or {}

    def net(changed: Assumptions, chosen: Link = link, chosen_model: ScoreModel | None = model) -> float:
        nps_change, _parts = _nps_change(changed, chosen_model)
        monthly = changed.value_per_unit * _kpi_change(chosen, changed.base, chosen.coefficient, nps_change)
        return float(_money(changed, chosen.lag, monthly)[1])

    rows = []

    def vary(label: str, low, high, build) -> None:
        rows.append((label, low, high, build(low), build(high)))

    if model is not None:  # touchpoint changes: _nps_change refused them without a model
        for key in assumptions.changes:
            name = names.get(key, key)
            i = model.index(key)
            low, high = model.interval(key)

            def with_slope(value: float, i: int = i, fitted: ScoreModel = model) -> float:
                slopes = list(fitted.slopes)
                slopes[i] = value
                return net(assumptions, chosen_model=dataclasses.replace(fitted, slopes=tuple(slopes)))

            vary(_("{touchpoint} → NPS (points per rating point)").format(touchpoint=name), low, high, with_slope)
            change = assumptions.changes[key]
            vary(
                _("Change at {touchpoint}").format(touchpoint=name),
                change / 2,
                change * 1.5,
                lambda v, key=key: net(dataclasses.replace(assumptions, changes={**assumptions.changes, key: v})),
            )
    if not assumptions.changes:
        vary(
            _("Overall NPS change"),
            assumptions.overall_change / 2,
            assumptions.overall_change * 1.5,
            lambda v: net(dataclasses.replace(assumptions, overall_change=v)),
        )
    vary(
        _("NPS → {kpi}").format(kpi=link.kpi.replace("_", " ")),
        link.low,
        link.high,
        lambda v: net(assumptions, chosen=dataclasses.replace(link, coefficient=v)),
    )
    for field, label in (("base", _("KPI today")), ("value_per_unit", _("Value per KPI unit")), ("cost", _("Cost"))):
        value = getattr(assumptions, field)
        vary(
            label, value * 0.8, value * 1.2, lambda v, field=field: net(dataclasses.replace(assumptions, **{field: v}))
        )
    vary(
        _("Discount rate"),
        max(assumptions.discount - 0.05, 0.0),
        assumptions.discount + 0.05,
        lambda v: net(dataclasses.replace(assumptions, discount=v)),
    )
    vary(
        _("Horizon (months)"),
        max(1, round(assumptions.months / 2)),
        round(assumptions.months * 1.5),
        lambda v: net(dataclasses.replace(assumptions, months=int(v))),
    )
    frame = pd.DataFrame(rows, columns=["assumption", "low", "high", "npv_low", "npv_high"])
    frame["swing"] = (frame["npv_high"] - frame["npv_low"]).abs()
    return frame.sort_values("swing", ascending=False, ignore_index=True, kind="stable")


# ------------------------------------------------------------------ a scenario's evidence


@dataclass(frozen=True)
class Evidence:
    """The estimated links a scenario rests on, and the KPI today.

    ``model`` is None when the survey has no respondent-level driver model (``model_note`` says why); then only an
    overall NPS change can be assumed. ``kpi_per_month`` is the KPI's mean monthly total over the last
    :data:`BASELINE_MONTHS` months, ``rows_per_month`` the mean number of segment rows per month.
    """

    link: Link
    model: ScoreModel | None
    model_note: str
    kpi_per_month: float
    rows_per_month: float
    survey: str
    kpi_source: str

    def base(self, log_kpi: bool) -> float:
        """What the assumptions' ``base`` is for this link: the KPI per month, or the segment rows per month."""
        return self.kpi_per_month if log_kpi else self.rows_per_month

    def to_dict(self) -> dict:
        """JSON-safe fields."""
        return {
            "link": self.link.to_dict(),
            "model": self.model.to_dict() if self.model else None,
            "model_note": self.model_note,
            "kpi_per_month": self.kpi_per_month,
            "rows_per_month": self.rows_per_month,
            "survey": self.survey,
            "kpi_source": self.kpi_source,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> Evidence:
        """The evidence stored by :meth:`to_dict`."""
        return cls(
            **{
                **data,
                "link": Link.from_dict(data["link"]),
                "model": ScoreModel.from_dict(data["model"]) if data["model"] else None,
            }
        )


def evidence(
    answers: pandas.DataFrame,
    kpis: pandas.DataFrame,
    scenario: Scenario,
    survey: str,
    kpi_source: str,
    fitted: tuple[ScoreModel | None, str] | None = None,
) -> Evidence:
    """The scenario's links from the survey's answers and its KPI table (``survey`` and ``kpi_source`` name them):
    the NPS → KPI panel link, the touchpoints → NPS model (unless ``fitted`` gives it and its note) and the KPI
    today."""
    if scenario.driver_metric not in DRIVER_METRICS:
        raise ValueError(
            _("Unknown rating '{metric}'; use one of {metrics}.").format(
                metric=scenario.driver_metric, metrics=", ".join(DRIVER_METRICS)
            )
        )
    scores = branch_month_scores(answers, "nps", segment=scenario.segment)
    panel = join_panel(scores, kpis[[scenario.segment, "period", scenario.kpi]], scenario.segment)
    link = panel_link(
        panel, scenario.kpi, "nps", scenario.segment, noise=NOISE, lag=scenario.lag, log_kpi=scenario.log_kpi
    )
    model, note = fitted if fitted is not None else fit_score_model(answers, scenario)
    monthly = kpis.groupby("period")[scenario.kpi].agg(["sum", "count"]).sort_index().tail(BASELINE_MONTHS)
    return Evidence(
        link=link,
        model=model,
        model_note=note,
        kpi_per_month=float(monthly["sum"].mean()),
        rows_per_month=float(monthly["count"].mean()),
        survey=survey,
        kpi_source=kpi_source,
    )


def fit_score_model(answers: pandas.DataFrame, scenario: Scenario) -> tuple[ScoreModel | None, str]:
    """The touchpoints → overall NPS model on the rows the Drivers model keeps, or None and why not."""
    from workbench.analysis import drivers

    try:
        # The rows' outcome is the NPS points the model regresses: which rows and touchpoints are kept does not
        # depend on the outcome's values, and the respondent table is built once.
        points = (
            answers.assign(_nps_points=metrics.nps_points(answers["nps"].to_numpy(dtype=float, na_value=math.nan)))
            if "nps" in answers.columns
            else answers
        )
        rows = drivers.model_rows(points, "_nps_points", scenario.driver_metric, segment=scenario.segment)
        if rows.model != "respondent":
            raise ValueError(
                _(
                    "Respondents rated too few touchpoints each for a model of the overall NPS by "
                    "touchpoint; assume the overall NPS change instead."
                )
            )
        return _fitted_scores(rows.rows, rows.kept, scenario.driver_metric, metrics.DEFAULT_CONFIDENCE), rows.note
    except ValueError as error:
        return None, str(error)


def fit_respondents(
    table: pandas.DataFrame, driver_metric: str, scored: int | None = None
) -> tuple[ScoreModel | None, str] | None:
    """The touchpoints → overall NPS model from a respondent table of NPS points ("outcome") and mean
    ``driver_metric`` ratings per touchpoint (``data.respondents``; ``scored`` respondents have an outcome when it
    leaves some out), on the rows the Drivers model keeps; None when too few respondents support a
    respondent-level model (the answers then tell why: see :func:`fit_score_model`)."""
    from workbench.analysis import drivers

    candidates = [c for c in table.columns if c != "outcome"]
    found = drivers.respondent_rows(table, candidates, driver_metric, scored=scored)
    if found is None:
        return None
    try:
        return _fitted_scores(found.rows, found.kept, driver_metric, metrics.DEFAULT_CONFIDENCE), found.note
    except ValueError as error:
        return None, str(error)


def with_base(scenario: Scenario, found: Evidence) -> Scenario:
    """The scenario with its assumptions' base taken from the evidence when ``base_from_data`` says so."""
    if not scenario.base_from_data:
        return scenario
    return dataclasses.replace(
        scenario, assumptions=dataclasses.replace(scenario.assumptions, base=found.base(scenario.log_kpi))
    )


# ------------------------------------------------------------------ score → repeat purchase

REPEAT_NPS_GROUPS = ("promoter", "passive", "detractor")
REPEAT_BOX_GROUPS = ("top", "rest")


@dataclass(frozen=True)
class RepeatGroup:
    """One score group's customers and how many of them bought again: the rate (0–1) with its Wilson interval."""

    group: str
    n: int
    repeats: int
    rate: float
    low: float
    high: float


@dataclass(frozen=True)
class RepeatLink:
    """The repeat-purchase rate per score group after a touchpoint, and the difference between the best and the worst
    group (promoters − detractors, or top box − the rest) with Newcombe's interval (Newcombe 1998, method 10: the
    two Wilson intervals combined). ``customers`` counts the customers compared (each once), ``dropped`` those
    left out (no purchase data, or a follow-up window not yet over). An association, not an effect."""

    metric: str
    groups: tuple[RepeatGroup, ...]
    difference: float
    low: float
    high: float
    customers: int
    dropped: int
    confidence: float

    @property
    def compared(self) -> tuple[str, str]:
        """The two groups the difference compares: (best, worst)."""
        return (self.groups[0].group, self.groups[-1].group)


def repeat_group_keys(metric: str) -> tuple[str, ...]:
    """The score groups a repeat rate is shown for: NPS promoters, passives, detractors; a rating's top box and
    the rest (:class:`ValueError` for a metric without a top box)."""
    if metric == "nps":
        return REPEAT_NPS_GROUPS
    if metric not in metrics.TOP_BOX:
        raise ValueError(_("The metric '{metric}' has no top box to group customers by.").format(metric=metric))
    return REPEAT_BOX_GROUPS


def first_answers(answers: pandas.DataFrame, metric: str) -> pandas.DataFrame:
    """Each customer's first answer with a score in ``metric`` (columns respondent_id, ts and the score): a customer
    who answered several times counts once, so the groups' customers are independent."""
    rows = answers.loc[answers["respondent_id"].notna() & answers[metric].notna(), ["respondent_id", "ts", metric]]
    rows = rows.sort_values(["ts", "respondent_id"], kind="stable")
    return rows.drop_duplicates("respondent_id", keep="first").reset_index(drop=True)


def repeats_from_counts(firsts: pandas.DataFrame, kpis: pandas.DataFrame, column: str) -> pandas.DataFrame:
    """``firsts`` with ``repeat`` from a customer-KPI column that counts or flags repeat purchases (count ≥ 1, or
    true); customers without a value in it are left out."""
    import pandas as pd

    values = kpis[["respondent_id", column]].dropna().drop_duplicates("respondent_id")
    joined = firsts.merge(values, on="respondent_id", how="inner")
    flags = joined[column]
    repeat = flags.astype(bool) if pd.api.types.is_bool_dtype(flags) else pd.to_numeric(flags, errors="coerce") >= 1
    return joined.drop(columns=[column]).assign(repeat=repeat.to_numpy(bool))


def repeats_from_purchases(
    firsts: pandas.DataFrame, purchases: pandas.DataFrame, column: str, months: int
) -> pandas.DataFrame:
    """``firsts`` with ``repeat``: a purchase (a row of ``purchases`` with the customer's id and a date in
    ``column``) after the day of the answer and within ``months`` months of it. A customer absent from the
    purchases bought nothing; a customer whose window ends after the last purchase date in the data is left out
    (their window is not over: counted as not buying, they would pull every rate down)."""
    import pandas as pd

    if months < 1:
        raise ValueError(_("The window must be at least one month."))
    bought = purchases[["respondent_id", column]].dropna()
    bought = bought.assign(day=pd.to_datetime(bought[column]).dt.normalize())
    if bought.empty:
        return firsts.iloc[0:0].assign(repeat=pd.Series(dtype=bool))
    answered = firsts.assign(day=pd.to_datetime(firsts["ts"]).dt.normalize())
    answered = answered.assign(until=answered["day"] + pd.DateOffset(months=months))
    answered = answered[answered["until"] <= bought["day"].max()]
    pairs = answered[["respondent_id", "day", "until"]].merge(bought[["respondent_id", "day"]], on="respondent_id",
                                                             suffixes=("", "_bought"))  # fmt: skip
    inside = pairs[(pairs["day_bought"] > pairs["day"]) & (pairs["day_bought"] <= pairs["until"])]
    repeat = answered["respondent_id"].isin(inside["respondent_id"])
    return answered.drop(columns=["day", "until"]).assign(repeat=repeat.to_numpy(bool)).reset_index(drop=True)


def repeat_link(
    customers: pandas.DataFrame, metric: str, dropped: int = 0, confidence: float = metrics.DEFAULT_CONFIDENCE
) -> RepeatLink:
    """The repeat rate per score group of ``customers`` (one row each: the score in ``metric`` and ``repeat``) and
    the difference between the first and the last group with Newcombe's hybrid score interval."""
    import numpy as np

    keys = repeat_group_keys(metric)
    scores = customers[metric].to_numpy(dtype=float)
    if metric == "nps":
        codes = np.where(scores >= metrics.PROMOTER_AT, 0, np.where(scores > metrics.DETRACTOR_AT, 1, 2))
    else:
        codes = np.where(scores >= metrics.TOP_BOX[metric], 0, 1)
    repeat = customers["repeat"].to_numpy(bool)
    z = metrics.z_value(confidence)
    groups = []
    for code, key in enumerate(keys):
        chosen = repeat[codes == code]
        n, hits = len(chosen), int(chosen.sum())
        if n == 0:
            groups.append(RepeatGroup(key, 0, 0, math.nan, math.nan, math.nan))
            continue
        rate, _se, low, high = (float(v) / 100 for v in metrics.wilson_formula(hits, n, z))
        groups.append(RepeatGroup(key, n, hits, rate, low, high))
    best, worst = groups[0], groups[-1]
    difference, low, high = newcombe(best.rate, best.low, best.high, worst.rate, worst.low, worst.high)
    return RepeatLink(metric, tuple(groups), difference, low, high, len(customers), dropped, confidence)


def newcombe(
    rate_a: float, low_a: float, high_a: float, rate_b: float, low_b: float, high_b: float
) -> tuple[float, float, float]:
    """Difference a − b of two independent proportions and its interval from each one's (Wilson) interval:
    Newcombe's method 10 (MOVER)."""
    difference = rate_a - rate_b
    low = difference - math.sqrt((rate_a - low_a) ** 2 + (high_b - rate_b) ** 2)
    high = difference + math.sqrt((high_a - rate_a) ** 2 + (rate_b - low_b) ** 2)
    return difference, low, high


def repeat_sentence(link: RepeatLink, names: Mapping[str, str], touchpoint: str, window: str) -> str:
    """The link in words: each group's rate and n, the difference with its interval, and that it is an association."""
    if any(group.n == 0 for group in (link.groups[0], link.groups[-1])):
        return _("Too few customers in the groups compared to tell a difference.")
    rates = "; ".join(
        _("{group}: {rate} bought again ({low}–{high}, n = {n})").format(
            group=names[g.group],
            rate=formatting.percent(100 * g.rate),
            low=formatting.percent(100 * g.low),
            high=formatting.percent(100 * g.high),
            n=formatting.count(g.n),
        )
        for g in link.groups
        if g.n
    )
    best, worst = link.compared
    difference = _("{best} − {worst}: {difference} percentage points ({level} % CI {low} to {high}).").format(
        best=names[best],
        worst=names[worst],
        difference=formatting.number(100 * link.difference, 1, signed=True),
        level=formatting.number(100 * link.confidence),
        low=formatting.number(100 * link.low, 1, signed=True),
        high=formatting.number(100 * link.high, 1, signed=True),
    )
    return " ".join(
        [
            _("After {touchpoint}, {window}: {rates}.").format(touchpoint=touchpoint, window=window, rates=rates),
            difference,
            _(
                "An association, not an effect: customers who rate higher may differ in other ways (a longer "
                "relationship, a richer segment) that make them buy again."
            ),
        ]
    )
