"""From score to money: how a KPI moves with NPS or CSAT, what a retained customer is worth, and what a lift pays.

Panel link: a KPI per segment-period (revenue, churn per branch-month) regressed on the score with segment fixed
effects (and period effects), so only the score's movement *within* a segment over time identifies the link;
standard errors are cluster-robust by segment (CR1) with a t-distribution on G − 1 degrees of freedom.
Customer link: a value (revenue, retention) per NPS group, and a logistic model of retention on the score.
Money: the customer lifetime value, NPV of monthly flows, payback and ROI, and a Monte Carlo of a scenario's
NPV and ROI over the sampling uncertainty of the link. The links are observational: evidence, not proof of cause.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench import breaks, heatmap, metrics
from workbench.i18n import gettext as _

if TYPE_CHECKING:
    import numpy
    import pandas

NPS_GROUPS = ("promoter", "passive", "detractor")
_LINK_FLOATS = ("coefficient", "se", "low", "high", "p", "r2_within")  # NaN is stored as None


@dataclass(frozen=True)
class Link:
    """An estimated KPI-per-score-point link with its interval, p-value, sample and a verdict in words.

    ``coefficient`` is the KPI change per score point, or with ``log_kpi`` the change of log(KPI) (a
    semi-elasticity: ×100 ≈ % per point); ``n`` counts rows, ``groups`` segments (the clusters); ``lag`` is how
    many periods the score leads the KPI.
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

    def to_dict(self) -> dict:
        """JSON-safe fields, NaN as None."""
        data = dataclasses.asdict(self)
        return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: dict) -> Link:
        """The link stored by :meth:`to_dict`."""
        data = dict(data)
        for name in _LINK_FLOATS:
            data[name] = math.nan if data[name] is None else data[name]
        return cls(**data)


@dataclass(frozen=True)
class LogisticLink:
    """Log-odds of a 0/1 outcome per score point (logit P = intercept + coefficient·score), Wald interval and test."""

    outcome: str
    score: str
    intercept: float
    coefficient: float
    se: float
    low: float
    high: float
    p: float
    n: int
    confidence: float
    supported: bool
    sentence: str

    def probability(self, score: float | numpy.ndarray) -> float | numpy.ndarray:
        """Predicted probability of the outcome at ``score`` (a number or an array)."""
        from scipy.special import expit

        return expit(self.intercept + self.coefficient * score)


@dataclass(frozen=True)
class Simulation:
    """Monte Carlo percentiles (P10, P50, P90) of a scenario's discounted gain, NPV and ROI %, and P(ROI > 0)."""

    gain: tuple[float, float, float]
    npv: tuple[float, float, float]
    roi: tuple[float, float, float]
    p_roi_positive: float
    supported: bool


# ------------------------------------------------------------------ panel link


def panel_link(panel: pandas.DataFrame, kpi: str, score: str = "nps", segment: str = "branch",
               period: str = "period", *, lag: int = 0, log_kpi: bool = False, period_effects: bool = True,
               confidence: float = metrics.DEFAULT_CONFIDENCE, alpha: float = 0.05) -> Link:
    """The KPI's change per score point within segments over time, with a segment-clustered interval.

    Parameters
    ----------
    panel : one row per segment and period with the KPI and the score; rows missing either are dropped.
    lag : the score of ``lag`` periods earlier (in the panel's sorted periods) explains the KPI.
    log_kpi : regress log(KPI), so the coefficient is a semi-elasticity (KPI must be positive).
    period_effects : add a dummy per period (common shocks such as season); segment effects are always in.
    """
    import numpy as np
    import pandas as pd
    from scipy import stats

    missing = [c for c in (kpi, score, segment, period) if c not in panel.columns]
    if missing:
        raise ValueError(f"The panel has no column {', '.join(repr(c) for c in missing)}.")
    if lag < 0:
        raise ValueError("The lag must be zero or more periods.")
    data = panel[[segment, period, kpi, score]].dropna(subset=[segment, period])
    if lag:
        # Lag by period position, not by row, so a month missing for a segment never shifts its other months.
        order = {p: i for i, p in enumerate(sorted(data[period].unique()))}
        position = data[period].map(order)
        earlier = pd.DataFrame({segment: data[segment], "_position": position + lag, "_lagged": data[score]})
        data = data.assign(_position=position).merge(earlier, on=[segment, "_position"], how="left")
        data = data.drop(columns=[score, "_position"]).rename(columns={"_lagged": score})
    data = data.dropna(subset=[kpi, score])
    y = data[kpi].to_numpy(dtype=float)
    if log_kpi:
        if (y <= 0).any():
            raise ValueError(f"log({kpi}) needs a positive {kpi} in every row.")
        y = np.log(y)
    x = data[score].to_numpy(dtype=float)
    segments = pd.factorize(data[segment])[0]
    dummies = [pd.get_dummies(data[segment]).to_numpy(dtype=float)]
    if period_effects:
        dummies.append(pd.get_dummies(data[period], drop_first=True).to_numpy(dtype=float))
    effects = np.hstack(dummies)
    n, groups = len(y), int(segments.max() + 1) if len(y) else 0
    k = np.linalg.matrix_rank(effects) + 1 if n else 0
    if groups < 2 or n <= k:
        raise ValueError(f"Too few rows to link {kpi} to {score}: {n} rows in {groups} segments for {k} "
                         "parameters (at least two segments and one more row than parameters).")

    # Frisch–Waugh: partialling the dummies out of y and x gives the full dummy regression's slope and residuals.
    def within(values: np.ndarray) -> np.ndarray:
        return values - effects @ np.linalg.lstsq(effects, values, rcond=None)[0]

    x_within, y_within = within(x), within(y)
    sxx = float(x_within @ x_within)
    if sxx <= 1e-12 * max(1.0, float(x @ x)):
        raise ValueError(f"{score} does not vary within segments over time, so its link cannot be estimated.")
    coefficient = float(x_within @ y_within) / sxx
    residual = y_within - coefficient * x_within
    # CR1 sandwich for the slope: Σ_g (Σ_{i∈g} x̃_i u_i)² / (x̃'x̃)², times G/(G−1)·(n−1)/(n−k). The segment
    # dummies are nested in the clusters, so they do not count in k (as in Stata's xtreg fe and reghdfe);
    # counting them makes the interval too wide (85 % instead of 80 % coverage of a P10–P90 in simulation).
    k_counted = 1 + (k - 1 - groups if period_effects else 0)
    scores = np.bincount(segments, weights=x_within * residual, minlength=groups)
    correction = groups / (groups - 1) * (n - 1) / (n - k_counted)
    se = math.sqrt(correction * float(scores @ scores)) / sxx
    t_stat = coefficient / se if se > 0 else math.copysign(math.inf, coefficient)
    p = float(2 * stats.t.sf(abs(t_stat), groups - 1))
    margin = float(stats.t.ppf(0.5 + confidence / 2, groups - 1)) * se
    segment_mean = pd.Series(y).groupby(segments).transform("mean").to_numpy()
    total_within = float(((y - segment_mean) ** 2).sum())
    r2_within = 1 - float(residual @ residual) / total_within if total_within > 0 else math.nan
    link = Link(kpi=kpi, score=score, coefficient=coefficient, se=se, low=coefficient - margin,
                high=coefficient + margin, p=p, n=n, groups=groups, r2_within=r2_within, log_kpi=log_kpi, lag=lag,
                confidence=confidence, supported=p < alpha, sentence="")
    return dataclasses.replace(link, sentence=_link_sentence(link, f"{segment}-{period}"))


def _link_sentence(link: Link, unit: str) -> str:
    """'Revenue rises 0.40 % per NPS point (95 % CI 0.33 % to 0.47 %, p < 0.001; 1 200 branch-period rows).'"""
    if link.log_kpi:
        # A semi-elasticity reads as the exact % change per point.
        value, low, high = (100 * math.expm1(v) for v in (link.coefficient, link.low, link.high))
        suffix = " %"
    else:
        value, low, high, suffix = link.coefficient, link.low, link.high, ""
    # Two significant digits of the interval's width: enough to read it, no false precision.
    width = high - low
    digits = max(0, 1 - math.floor(math.log10(width))) if width > 0 else 2

    def number(v: float) -> str:
        return f"{v:.{digits}f}{suffix}"

    kpi = link.kpi.replace("_", " ").capitalize()
    moves = _("rises") if value >= 0 else _("falls")
    point = _("per {score} point").format(score=heatmap.METRIC_NAMES.get(link.score, link.score))
    if link.lag:
        point += " " + _("{lag} period(s) earlier").format(lag=link.lag)
    evidence = _("{level} % CI {low} to {high}, {p}; {n} {unit} rows").format(
        level=f"{link.confidence * 100:g}", low=number(low), high=number(high), p=breaks.format_p(link.p, "p"),
        n=breaks.format_count(link.n), unit=unit)
    text = f"{kpi} {moves} {number(abs(value))} {point} ({evidence})"
    if link.supported:
        return text + "."
    return text + ": " + _("not significant, not supported by the data.")


# ------------------------------------------------------------------ panel from survey answers


def branch_month_scores(answers: pandas.DataFrame, score: str = "nps", touchpoint: str = "_overall",
                        segment: str = "branch") -> pandas.DataFrame:
    """NPS (or the mean CSAT/CES) and n per segment and month from long survey answers.

    Returns columns ``segment``, ``period`` (the month start, as a timestamp), ``score`` and ``n``; answers
    without a score or a segment are left out, and months are those of ``ts``.
    """
    import pandas as pd

    missing = [c for c in ("ts", "touchpoint", score, segment) if c not in answers.columns]
    if missing:
        raise ValueError(f"The answers have no column {', '.join(repr(c) for c in missing)}.")
    rows = answers.loc[answers["touchpoint"] == touchpoint, [segment, "ts", score]].dropna()
    rows = rows.assign(period=pd.to_datetime(rows["ts"]).dt.to_period("M").dt.to_timestamp())
    grouped = rows.groupby([segment, "period"])[score]
    if score == "nps":
        values = grouped.agg(n="size", _promoters=lambda s: (s >= metrics.PROMOTER_AT).sum(),
                             _detractors=lambda s: (s <= metrics.DETRACTOR_AT).sum())
        values[score] = 100 * (values["_promoters"] - values["_detractors"]) / values["n"]
    else:
        values = grouped.agg(n="size", **{score: "mean"})
    return values.reset_index()[[segment, "period", score, "n"]]


def join_panel(scores: pandas.DataFrame, kpis: pandas.DataFrame, segment: str = "branch",
               period: str = "period") -> pandas.DataFrame:
    """The KPI rows with the score of their segment and month (both periods taken to their month start).

    ``scores`` is :func:`branch_month_scores`' result; KPI rows without a score are dropped; the result keeps
    ``kpis``' columns, its ``period`` as a month-start timestamp, and adds the score and its ``n``.
    """
    import pandas as pd

    def month(values: pandas.Series) -> pandas.Series:
        return pd.to_datetime(values).dt.to_period("M").dt.to_timestamp()

    scores = scores.rename(columns={"period": period}).assign(**{period: lambda f: month(f[period])})
    clash = (set(scores.columns) & set(kpis.columns)) - {segment, period}
    if clash:
        raise ValueError(f"The KPI table already has column {', '.join(sorted(clash))}.")
    return kpis.assign(**{period: month(kpis[period])}).merge(scores, on=[segment, period], how="inner")


# ------------------------------------------------------------------ customer level


def nps_group(scores: pandas.Series) -> pandas.Series:
    """'promoter' (9–10), 'passive' (7–8) or 'detractor' (0–6) per answer; missing stays missing."""
    import numpy as np
    import pandas as pd

    values = scores.to_numpy(dtype=float)
    group = np.where(values >= metrics.PROMOTER_AT, "promoter",
                     np.where(values > metrics.DETRACTOR_AT, "passive", "detractor"))
    return pd.Series(np.where(np.isnan(values), None, group), index=scores.index, dtype=object)


def by_group(customers: pandas.DataFrame, value: str, score: str = "nps",
             confidence: float = metrics.DEFAULT_CONFIDENCE) -> pandas.DataFrame:
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


def logistic_link(customers: pandas.DataFrame, outcome: str = "retained", score: str = "nps",
                  confidence: float = metrics.DEFAULT_CONFIDENCE, alpha: float = 0.05) -> LogisticLink:
    """Logistic regression of a 0/1 outcome on the score (maximum likelihood), with a Wald interval and test."""
    import numpy as np
    from scipy.special import expit

    missing = [c for c in (outcome, score) if c not in customers.columns]
    if missing:
        raise ValueError(f"The customers have no column {', '.join(repr(c) for c in missing)}.")
    rows = customers[[outcome, score]].dropna()
    y = rows[outcome].to_numpy(dtype=float)
    x = rows[score].to_numpy(dtype=float)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"{outcome} must be 0/1 (or true/false) for a logistic link.")
    if len(y) < 3 or y.min() == y.max() or x.min() == x.max():
        raise ValueError(f"Too few rows or no variation to link {outcome} to {score}.")
    design = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    not_converged = ValueError(f"The logistic fit of {outcome} on {score} did not converge (the score may "
                               "separate the outcomes perfectly).")
    for _iteration in range(100):  # Newton–Raphson; the log-likelihood is concave, so it converges fast
        p = expit(design @ beta)
        information = design.T @ (design * (p * (1 - p))[:, None])
        try:
            step = np.linalg.solve(information, design.T @ (y - p))
        except np.linalg.LinAlgError:
            raise not_converged from None  # separation: the fitted probabilities reach 0 and 1
        beta = beta + step
        if np.abs(step).max() < 1e-10:
            break
    else:
        raise not_converged
    p = expit(design @ beta)
    information = design.T @ (design * (p * (1 - p))[:, None])
    se = float(math.sqrt(np.linalg.inv(information)[1, 1]))
    coefficient = float(beta[1])
    margin = metrics.z_value(confidence) * se
    p_value = float(metrics.two_sided_p(coefficient / se))
    link = LogisticLink(outcome=outcome, score=score, intercept=float(beta[0]), coefficient=coefficient, se=se,
                        low=coefficient - margin, high=coefficient + margin, p=p_value, n=len(y),
                        confidence=confidence, supported=p_value < alpha, sentence="")
    return dataclasses.replace(link, sentence=_logistic_sentence(link))


def _logistic_sentence(link: LogisticLink) -> str:
    """'The odds of retained rise 14.2 % per NPS point (95 % CI 13.0 % to 15.4 %, p < 0.001; 40 000 customers).'"""
    value, low, high = (100 * math.expm1(v) for v in (link.coefficient, link.low, link.high))
    moves = _("rise") if value >= 0 else _("fall")
    text = _("The odds of {outcome} {moves} {size} % per {score} point ({level} % CI {low} % to {high} %, {p}; "
             "{n} customers)").format(
        outcome=link.outcome.replace("_", " "), moves=moves, size=f"{abs(value):.1f}",
        score=heatmap.METRIC_NAMES.get(link.score, link.score), level=f"{link.confidence * 100:g}",
        low=f"{low:.1f}", high=f"{high:.1f}", p=breaks.format_p(link.p, "p"), n=breaks.format_count(link.n))
    if link.supported:
        return text + "."
    return text + ": " + _("not significant, not supported by the data.")


# ------------------------------------------------------------------ money


def clv(margin: float, retention: float, discount: float, years: int | None = None) -> float:
    """Lifetime value of a customer retained today: the discounted margins of the years they stay.

    Convention: the customer stays each year with probability ``retention`` and, if still there, brings
    ``margin`` at the end of that year, so year t counts m·r^t/(1+d)^t. Infinite horizon (``years`` None):
    m·r/(1 + d − r); finite: Σ_{t=1..years} m·r^t/(1+d)^t.
    """
    if not 0 <= retention <= 1:
        raise ValueError("Retention is a probability between 0 and 1.")
    if discount <= -1 or (years is None and retention >= 1 + discount):
        raise ValueError("The discount rate must be above −1, and above retention − 1 for an infinite horizon.")
    if years is None:
        return margin * retention / (1 + discount - retention)
    if years < 0:
        raise ValueError("The horizon must be zero or more years.")
    ratio = retention / (1 + discount)
    return margin * sum(ratio ** t for t in range(1, years + 1))


def npv(rate_per_year: float, flows_per_month: Sequence[float]) -> float:
    """Present value of monthly flows at the end of months 1, 2, …, discounted at the equivalent monthly rate.

    The monthly rate is (1 + rate_per_year)^(1/12) − 1, so twelve months discount exactly one year.
    """
    if rate_per_year <= -1:
        raise ValueError("The discount rate must be above −1.")
    monthly = (1 + rate_per_year) ** (1 / 12)
    return float(sum(flow / monthly ** month for month, flow in enumerate(flows_per_month, start=1)))


def payback_months(cost: float, monthly_gains: Sequence[float]) -> int | None:
    """Months until the cumulative (undiscounted) gains first reach the cost; None if not within the horizon."""
    if cost <= 0:
        return 0
    total = 0.0
    for month, gain in enumerate(monthly_gains, start=1):
        total += gain
        if total >= cost:
            return month
    return None


def roi_percent(gain: float, cost: float) -> float:
    """Return on investment in %: 100·(gain − cost)/cost."""
    if cost <= 0:
        raise ValueError("ROI needs a positive cost.")
    return 100 * (gain - cost) / cost


def simulate(link: Link, score_change: float, base_value: float, customers: int, margin: float, cost: float,
             months: int, discount: float, draws: int = 10_000, seed: int = 0) -> Simulation:
    """P10/P50/P90 of a score lift's discounted gain, NPV and ROI, drawing the link from its sampling distribution.

    Parameters
    ----------
    link : a KPI-per-score-point link; the coefficient is drawn from N(coefficient, se²).
    score_change : the expected change of the score (points).
    base_value : the KPI per customer per month today, in money (e.g. revenue); a log link moves it by
        base·(exp(b·Δ) − 1), a linear link by b·Δ.
    customers, margin : customers affected and the share of the KPI change that is profit.
    cost, months, discount : the investment today, the horizon of gains and the yearly discount rate (see
        :func:`npv`).
    """
    import numpy as np

    if draws < 1 or months < 1:
        raise ValueError("The simulation needs at least one draw and one month.")
    rng = np.random.default_rng(seed)
    coefficient = rng.normal(link.coefficient, link.se, draws)
    change = base_value * np.expm1(coefficient * score_change) if link.log_kpi else coefficient * score_change
    # Every month brings the same gain, so the NPV of the stream is the gain times a one-month annuity factor.
    annuity = npv(discount, [1.0] * months)
    gain = customers * margin * change * annuity
    net = gain - cost
    roi = 100 * net / cost if cost > 0 else np.full(draws, math.nan)

    def percentiles(values: np.ndarray) -> tuple[float, float, float]:
        return tuple(float(v) for v in np.percentile(values, (10, 50, 90)))  # type: ignore[return-value]

    return Simulation(gain=percentiles(gain), npv=percentiles(net), roi=percentiles(roi),
                      p_roi_positive=float(np.mean(net > 0)), supported=link.supported)
