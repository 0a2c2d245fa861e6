"""Key-driver analysis: how much of the overall outcome each touchpoint's rating explains (relative importance).

The importance of a driver is its share of the outcome's R² in a linear regression on all drivers. Two methods:

- **LMG** (Lindeman, Merenda & Gold; the Shapley value of R²): a driver's R² increment averaged over every order in
  which the drivers can enter the model. Computed exactly from the correlation matrix for up to ``EXACT_LIMIT``
  drivers; beyond that from sampled orders.
- **Johnson's relative weights** (Johnson 2000): the drivers are replaced by their closest orthogonal counterparts,
  the outcome is regressed on those, and each counterpart's share is handed back to the drivers it is made of.

Both split R² exactly and agree closely in practice; neither is a causal effect. Intervals are percentile
bootstrap intervals (Efron & Tibshirani 1993, ch. 13): of a share, the percentiles of the replicates' own shares
(importance over the replicate's R²), so that the interval is the share's; when whole branches are resampled,
widened for their number (see :func:`bootstrap`). From long survey answers,
:func:`analyse` builds one row per respondent (their overall score and their rating of each touchpoint) when
respondents rated enough touchpoints, and otherwise one row per segment × period cell of averages.

**Does a touchpoint matter at all?** A share cannot say: LMG and Johnson's weights are never negative, and a
touchpoint that adds nothing still gets a positive share when it correlates with touchpoints that matter (the halo
of a respondent's ratings) — Grömping (2007, "Estimators of relative importance in linear regression based on
variance decomposition", The American Statistician 61, 139–147) names the property they lack *exclusion*. So their
intervals never reach 0. The question is asked of the touchpoint's *unique contribution* instead: the increase in
R² when it enters the model last (its squared semipartial correlation), which is 0 exactly when its coefficient in
the regression on all touchpoints is 0; the F-test of that increase is the square of the coefficient's t-test
(Cohen, Cohen, West & Aiken 2003, §5.5). Here the coefficient's standard error is the bootstrap's — the spread of
the standardised coefficient over the same replicates as the intervals (Efron & Tibshirani 1993, ch. 6) — and
z = β / SE is read against the normal: the replicates carry the pairwise gaps, the correlation repair, the
whole-branch resampling and a yes/no outcome's unequal variances, which the textbook t-test ignores. The p-values
are Holm-adjusted across the model's touchpoints (Holm 1979, Scandinavian Journal of Statistics 6, 65–70): the page
makes one claim per touchpoint and the priorities act on every one, so the chance that any touchpoint that adds
nothing is shown as mattering stays within 1 − confidence; Holm rather than Bonferroni, being uniformly more
powerful and valid, like it, under any dependence between the tests (the halo correlates them). A touchpoint whose
adjusted p-value is not below 1 − confidence is flagged "no evidence it matters" (``matters`` False). Tonidandel,
LeBreton & Johnson (2009, Psychological Methods 14, 387–399) test a relative weight against an added random
variable's instead; a touchpoint correlated with the drivers beats a random variable even when it adds nothing, so
that test answers another question. Calibration (``bench/calib/drivers.py``, 2 000 simulated surveys of 2 000
respondents in 50 branches, ratings correlated by a halo, 30 % of touchpoints skipped): a touchpoint that adds
nothing was flagged "matters" in 1.7 % of cases (either of two such in 3.5 % of surveys), a moderate driver
(standardised β = 0.20) in 100 %, a small one (β = 0.10) in 69 %; the 95 % share intervals covered the true LMG
and Johnson shares in 93.2 % and 93.3 % of cases.

**Missing answers.** Journey respondents skip touchpoints that did not apply to them. Both methods need only the
correlation matrix, so by default (``missing="pairwise"``) each correlation is taken over the rows that answered
both of its variables, and a respondent who skipped one touchpoint still counts for all the others. Correlations
from different rows need not fit together (the matrix can have a negative eigenvalue), so the matrix is replaced
by the nearest correlation matrix (:func:`nearest_correlation`). Under answers missing completely at random this
is consistent; the bootstrap resamples whole rows with their gaps and repeats both steps, so the intervals carry
the pairwise estimator's own uncertainty. ``missing="listwise"`` keeps only the rows that answered everything.

**A yes/no outcome** (0/1) is explained the same way: its correlations with the ratings are point-biserial, and the
R² they give is that of the linear probability model, which LMG and Johnson split exactly. A logistic model's
dominance analysis would need a fit for each of the 2^15 subsets of 15 drivers per bootstrap replicate (minutes,
not a second) for an ordering that agrees with the linear one unless probabilities sit near 0 or 1; the shares
here read as "share of the explained variance of the yes/no answer".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from workbench.core import formatting, i18n, metrics
from workbench.core.codes import distinct
from workbench.core.contract import OVERALL
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _

if TYPE_CHECKING:
    import diskcache

    from workbench.core.metrics import Estimate
    from workbench.data.query import Query

METHODS = ("lmg", "johnson")
MISSING = ("pairwise", "listwise")
EXACT_LIMIT = 15  # 2^15 subsets take tens of milliseconds; each further driver doubles the work
SAMPLED_REPS = 40  # bootstrap resamples when LMG is sampled (more than EXACT_LIMIT drivers)
PERMUTATIONS = 2000
PERIODS = {"week": "W-SUN", "month": "M", "quarter": "Q"}  # pandas periods; W-SUN weeks start on Monday (ISO)
TABLE_COLUMNS = (
    "touchpoint",
    "importance",
    "low",
    "high",
    "share",
    "share_low",
    "share_high",
    "unique",
    "p_value",
    "p_adjusted",
    "matters",
    "performance",
    "answers",
    "base",
    "rank",
)
_FLOATS = ("importance", "low", "high", "share", "share_low", "share_high", "unique", "p_value", "p_adjusted")
# In the order they are worked on. The values are keys (the table's column, the chart's colours) and English labels:
# marked for the catalogues, shown as _(quadrant).
QUADRANTS = (N_("Fix first"), N_("Improve later"), N_("Keep it up"), N_("Maintain"))
_REDUNDANT = 1e-10  # a driver with less of its variance left unexplained by the ones before it adds nothing
_BLOCK_ROWS = 4096  # rows per cross-product block in the bootstrap: the block's products stay in cache
# Resampling units of the row bootstrap on a large table: its rows are dealt at random into this many blocks and the
# blocks are drawn (see _units). 4096 iid units give the rows' bootstrap distribution to well within its Monte Carlo
# error, and 200 replicates then cost one small matrix product instead of a pass over every row per replicate.
_UNITS = 4096
_CHUNK_REPS = 8  # bootstrap replicates per exact-LMG batch: keeps its subset arrays near 5 MB for 15 drivers
_PSD_TOLERANCE = 1e-10  # a smallest eigenvalue above −this is rounding: the matrix is a correlation matrix already
_REPAIR_ITERATIONS = 200  # Higham's projections converge linearly; sampling-noise repairs need a few dozen
MIN_CLUSTERS = 20  # fewer clusters than this and a cluster bootstrap's intervals are themselves too narrow


def lmg(
    correlation: np.ndarray, exact_limit: int = EXACT_LIMIT, permutations: int = PERMUTATIONS, seed: int = 0
) -> np.ndarray:
    """LMG (Shapley) shares of R² per driver from a correlation or covariance matrix, outcome first.

    Up to ``exact_limit`` drivers the shares are exact: R² of every subset of drivers comes from one pass of
    Schur complements over the subset tree, and each driver gets its R² increments weighted by
    |S|! (p − |S| − 1)! / p!. Beyond it they are a Monte-Carlo estimate: ``permutations`` random orders (seeded
    by ``seed``), each adding the drivers one at a time, averaged. Each order's increments add up to the full
    model's R², so the estimates sum to R² exactly; their error shrinks with 1/√permutations (about 0.001 for
    2000 orders). Drivers that are linear combinations of others are handled as least squares does: they add
    nothing once the others are in.
    """
    matrix = _standardise(np.asarray(correlation, dtype=float))
    if matrix.shape[-1] - 1 > exact_limit:
        return _sampled_lmg(matrix, permutations, seed)
    return _exact_lmg(matrix[None])[0]


def johnson(correlation: np.ndarray) -> np.ndarray:
    """Johnson's relative weights per driver from a correlation or covariance matrix, outcome first; they sum to R²."""
    return _johnson(_standardise(np.asarray(correlation, dtype=float))[None])[0]


def nearest_correlation(
    matrix: np.ndarray, tolerance: float = 1e-9, iterations: int = _REPAIR_ITERATIONS
) -> np.ndarray:
    """The nearest correlation matrix (positive semidefinite, unit diagonal) to each symmetric matrix of a stack.

    Higham's (2002) alternating projections with Dykstra's correction: onto the positive-semidefinite matrices
    (negative eigenvalues set to zero) and onto the unit-diagonal ones, until an iteration changes the matrix by
    less than ``tolerance`` (relative, Frobenius norm) or after ``iterations``; a last eigenvalue clip and rescale
    makes the result a correlation matrix even then. Higham rather than a single clip-and-rescale: the rescaling
    moves every correlation, the well-estimated ones too, and its result is not the nearest, whereas Higham's
    changes the observed correlations as little as any valid matrix can. A matrix that is a correlation matrix
    already (smallest eigenvalue above −1e-10) comes back unchanged.
    """
    given = np.asarray(matrix, dtype=float)
    size = given.shape[-1]
    stack = given.reshape(-1, size, size).copy()
    broken = np.linalg.eigvalsh(stack)[:, 0] < -_PSD_TOLERANCE
    if broken.any():
        stack[broken] = _higham(stack[broken], tolerance, iterations)
    return stack.reshape(given.shape)


def relative_importance(
    frame: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    method: str = "lmg",
    weights: str | None = None,
    missing: str = "pairwise",
) -> pd.Series:
    """Each driver's share of the outcome's R², named "importance"; missing values handled as ``missing`` says.

    ``weights`` names a column of frequency weights (a row with weight 3 counts as three rows). A 0/1 outcome
    gives the R² of a linear probability model. ``attrs`` holds r2, n (rows used) and method. On rows without
    gaps, pairwise and listwise are the same.
    """
    _check_method(method)
    values, frequency, _kept = _usable(frame, outcome, drivers, weights, missing)
    shares = _importance(nearest_correlation(_observed(values, frequency))[None], method)[0]
    series = pd.Series(shares, index=pd.Index(list(drivers), name="driver"), name="importance")
    series.attrs = {"r2": float(shares.sum()), "n": len(values), "method": method}
    return series


def bootstrap(
    frame: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    method: str = "lmg",
    reps: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    weights: str | None = None,
    missing: str = "pairwise",
    clusters: str | Sequence | None = None,
) -> pd.DataFrame:
    """Importance per driver with percentile bootstrap intervals, and whether it adds anything beyond the others.

    Columns: driver, importance with its interval (low, high), share (of R²) with its interval (share_low,
    share_high: percentiles of each replicate's importance over its own R²), unique (the R² the driver adds when
    it enters last), p_value (its standardised coefficient's two-sided z-test on the replicates' standard error),
    p_adjusted (Holm's, across the drivers) and matters (p_adjusted below 1 − ``confidence``); see the module's
    docstring for the test and its references.

    Rows are resampled with multinomial counts (with ``weights``, a row is a cluster of that many answers and is
    drawn whole; pairwise, a row is drawn with its gaps and each replicate's correlations are taken pairwise and
    repaired again). ``clusters`` (a column of ids, or the ids, one per row; a row without one is its own
    cluster) resamples whole clusters with their rows instead: respondents of one branch share its conditions,
    so they are not independent draws, and resampling them one by one gives too narrow intervals (in simulations
    with a branch effect, 95 % intervals covered the truth 74–91 % of the time that way, 92–94 % with whole
    branches: ``tests/test_drivers_missing.py``); it needs about ``MIN_CLUSTERS`` clusters or more. With G clusters
    the intervals' half-widths are widened by √(G/(G − 1)) · t(G − 1)/z and the test reads t on G − 1 degrees of
    freedom, the small-sample correction of cluster-robust inference (Cameron & Miller 2015, "A practitioner's
    guide to cluster-robust inference", Journal of Human Resources 50, 317–372, §VI): a bootstrap over 50
    branches is otherwise as narrow as a z-interval on an estimated variance (``bench/calib/drivers.py``: 92.5 %
    of 95 % share intervals covered the truth without it).

    ``attrs`` holds r2 with its interval (r2_low, r2_high), n (rows used), reps, effective_n (the fewest rows any
    correlation rests on: n when listwise), base (per driver, the rows that rated it and have the outcome),
    repair (the largest change the nearest correlation matrix made to a correlation) and clusters (how many were
    resampled, or None). With the default 200 replicates each end of a 95 % interval is good to about 5 % of the
    interval's width (its Monte-Carlo error); all replicates share one pass over the data, so 130 000 rows × 15
    drivers take about a second listwise and two to four pairwise (three times the sums per row).
    """
    _check_method(method)
    if reps < 2:
        raise ValueError(_("A bootstrap needs at least two replicates."))
    values, frequency, kept = _usable(frame, outcome, drivers, weights, missing)
    groups = None
    if clusters is not None:
        ids = frame[clusters] if isinstance(clusters, str) else pd.Series(list(clusters), index=frame.index)
        codes = pd.factorize(ids)[0]
        codes[codes < 0] = codes.max() + 1 + np.arange((codes < 0).sum())  # a row without an id: its own cluster
        groups = pd.factorize(codes[kept])[0]
    rng = np.random.default_rng(seed)
    if np.isnan(values).any():  # the observed matrix comes from the same pass over the rows as the replicates'
        both = _resampled_pairwise(values, frequency, reps, rng, groups, with_observed=True)
        observed, resampled = both[0], nearest_correlation(both[1:])
    else:
        observed = _observed(values, frequency)
        resampled = _resampled_covariances(values, frequency, reps, rng, groups)
    correlation = nearest_correlation(observed)
    point = _importance(correlation[None], method)[0]
    replicates = _importance(resampled, method)
    tail = (1 - confidence) / 2
    drawn = None if groups is None else int(groups.max()) + 1
    widen = _few_clusters(drawn, confidence)
    r2 = float(point.sum())
    low, high = widen(point, *np.quantile(replicates, [tail, 1 - tail], axis=0))
    totals = replicates.sum(axis=1)
    r2_low, r2_high = widen(r2, *np.quantile(totals, [tail, 1 - tail]))
    # Each replicate's shares of its own R²: the interval of the share, not the importance's over the point R².
    shares = np.divide(replicates, totals[:, None], out=np.full_like(replicates, np.nan), where=totals[:, None] > 0)
    share = point / r2 if r2 > 0 else np.full_like(point, np.nan)
    share_low, share_high = widen(share, *np.nanquantile(shares, [tail, 1 - tail], axis=0))
    beta, unique = _coefficients(correlation[None])
    p_value = _wald(beta[0], _coefficients(_standardise(resampled))[0], drawn)
    p_adjusted = metrics.holm(p_value)
    answered = ~np.isnan(values)
    together = answered.T.astype(float) @ answered
    table = pd.DataFrame(
        {
            "driver": list(drivers),
            "importance": point,
            "low": np.clip(low, 0, None),
            "high": high,
            "share": share,
            "share_low": np.clip(share_low, 0, 1),
            "share_high": np.clip(share_high, 0, 1),
            "unique": unique[0],
            "p_value": p_value,
            "p_adjusted": p_adjusted,
            "matters": p_adjusted < 1 - confidence,
        }
    )
    table.attrs = {
        "r2": r2,
        "r2_low": float(np.clip(r2_low, 0, 1)),
        "r2_high": float(np.clip(r2_high, 0, 1)),
        "n": len(values),
        "reps": reps,
        "effective_n": int(together.min()),
        "base": dict(zip(drivers, together[0, 1:].astype(int).tolist(), strict=True)),
        "repair": float(np.abs(correlation - observed).max()),
        "clusters": None if groups is None else int(groups.max()) + 1,
    }
    return table


def respondent_table(
    answers: pd.DataFrame,
    outcome: str = "nps",
    driver_metric: str = "csat",
    outcome_touchpoint: str = OVERALL,
    binary_threshold: float | None = None,
) -> pd.DataFrame:
    """One row per respondent_id: "outcome" and one column per touchpoint with their mean ``driver_metric`` score.

    The outcome is the respondent's ``outcome`` score at ``outcome_touchpoint`` (their mean if they answered more
    than once). With ``binary_threshold`` it is 1.0 for a score at or above it and 0.0 below (e.g. promoter:
    NPS ≥ 9); a respondent who answered more than once gets the share of such answers. Missing is NaN.
    """
    _check_columns(answers, ["respondent_id", "touchpoint", outcome, driver_metric])
    coded = _encode(answers, outcome, driver_metric, outcome_touchpoint, binary_threshold)
    people, ids = pd.factorize(answers["respondent_id"])
    return _table(coded, people, pd.Index(ids, name="respondent_id"))


@dataclass(frozen=True, eq=False)
class DriverResult:
    """A key-driver analysis: the touchpoints' importance with intervals and performance, and how it was made.

    ``n`` rows (respondents or cells) are used; ``effective_n`` is the fewest of them any correlation rests on (n
    when listwise) and the table's ``base`` the rows each touchpoint's correlation with the outcome rests on.
    ``outcome_answers`` and ``outcome_mean`` describe the outcome's answers in the selection (the share of 1s for
    a 0/1 outcome).
    """

    table: pd.DataFrame
    r2: float
    r2_low: float
    r2_high: float
    n: int
    dropped: int
    excluded: dict[str, str]
    model: str
    method: str
    outcome: str
    driver_metric: str
    note: str
    missing: str
    effective_n: int
    outcome_answers: int
    outcome_mean: float
    confidence: float
    reps: int

    def to_dict(self) -> dict:
        """JSON-safe fields: the table as a list of records, NaN as None."""
        data = {field.name: getattr(self, field.name) for field in fields(self)}
        data["table"] = [{name: _plain(value) for name, value in row.items()} for row in self.table.to_dict("records")]
        return {name: _plain(value) for name, value in data.items()}

    @classmethod
    def from_dict(cls, data: dict) -> DriverResult:
        """The result stored by :meth:`to_dict`."""
        data = dict(data)
        table = pd.DataFrame.from_records(data["table"], columns=list(TABLE_COLUMNS))
        data["table"] = table.astype({**{name: float for name in (*_FLOATS, "performance")}, "matters": bool})
        for name in ("r2", "r2_low", "r2_high", "outcome_mean"):
            data[name] = math.nan if data[name] is None else data[name]
        return cls(**data)

    def outcome_share(self, confidence: float = 0.95) -> Estimate:
        """The share (in %) of a 0/1 outcome's answers that are 1, with its Wilson interval."""
        from workbench.core import metrics

        answers = self.outcome_answers
        return metrics.share(round(self.outcome_mean * answers) if answers else 0, answers, confidence)


def analyse_query(source: Query, cache: diskcache.Cache | None = None, **options) -> DriverResult:
    """:func:`analyse` of the answers a query selects (its grouping is ignored), cached under the query's key."""
    import json

    from workbench.data import query

    # The key names the missing-answer method even when it is the default, so no listwise result stored before
    # the choice existed is read back as a pairwise one.
    options = {"missing": "pairwise", **options}
    # "drivers2": results stored before the share intervals and the unique-contribution test had neither.
    # The language too: the result's notes and reasons are words in it.
    key = f"drivers2:{i18n.current()}:{source.key()}:{json.dumps(options, sort_keys=True, default=str)}"
    if cache is not None and (hit := cache.get(key)) is not None:
        return DriverResult.from_dict(hit)
    segment = options.get("segment", "branch")
    extra = ["respondent_id", "touchpoint", *([segment] if segment in query.columns(source.sources) else [])]
    result = analyse(query.answers(replace(source, by=()), extra), **options)
    if cache is not None:
        cache.set(key, result.to_dict())
    return result


@dataclass(frozen=True, eq=False)
class Rows:
    """The rows a driver model is fitted on: one per respondent (or segment-period cell), the kept touchpoints,
    the outcome's number of answers and mean over the answers given, and for respondents the segment value of
    their outcome answer (``clusters``, None without a segment column or for cells)."""

    rows: pd.DataFrame
    kept: list[str]
    excluded: dict[str, str]
    model: str
    weights: str | None
    note: str
    performance: pd.Series
    counts: pd.Series
    outcome_answers: int
    outcome_mean: float
    clusters: pd.Series | None


def model_rows(
    answers: pd.DataFrame,
    outcome: str = "nps",
    driver_metric: str = "csat",
    touchpoints: Sequence[str] | None = None,
    min_coverage: float = 0.5,
    min_respondents: int = 100,
    segment: str = "branch",
    period: str = "month",
    binary_threshold: float | None = None,
    outcome_touchpoint: str = OVERALL,
    missing: str = "listwise",
) -> Rows:
    """The respondent-level rows when enough respondents support the kept touchpoints, else ``segment`` ×
    ``period`` cells of averages; touchpoints rated too rarely or always alike are left out.

    Enough means at least ``min_respondents``: listwise, respondents who rated every kept touchpoint; pairwise,
    respondents behind every correlation (each touchpoint, and each pair of touchpoints: of two touchpoints
    rarely rated together, as in a journey that branches, the less rated one is left out). Listwise is the
    default here because these rows also feed regressions on complete answers
    (:func:`workbench.analysis.roi.score_model`); :func:`analyse` defaults to pairwise. See :func:`analyse` for the
    other parameters.
    """
    if period not in PERIODS:
        raise ValueError(
            _("Unknown period '{period}'; use one of {periods}.").format(period=period, periods=", ".join(PERIODS))
        )
    _check_missing(missing)
    if (
        outcome not in answers.columns
        or "touchpoint" not in answers.columns
        or not (answers["touchpoint"].eq(outcome_touchpoint) & answers[outcome].notna()).any()
    ):
        raise ValueError(
            _(
                "This dataset has no overall outcome to explain: map a column as the overall outcome "
                "when importing the survey."
            )
        )
    _check_columns(answers, [driver_metric])
    coded = _encode(answers, outcome, driver_metric, outcome_touchpoint, binary_threshold)
    performance, counts = _performance(coded)
    given = coded.scores[~np.isnan(coded.scores)]
    outcome_answers, outcome_mean = len(given), float(given.mean())
    candidates = list(touchpoints) if touchpoints is not None else [key for key in performance.index if key != OVERALL]
    clusters = None
    if "respondent_id" in answers.columns:
        people, ids = pd.factorize(answers["respondent_id"])
        rows = _table(coded, people, pd.Index(ids, name="respondent_id"))
        if segment in answers.columns:
            # A respondent's segment is that of their first outcome answer; found by code, not by id lookups.
            at_outcome = np.flatnonzero((people >= 0) & ~np.isnan(coded.scores))
            persons, first = np.unique(people[at_outcome], return_index=True)
            home = np.full(len(ids), None, dtype=object)
            home[persons] = answers[segment].take(at_outcome[first]).to_numpy()
            clusters = pd.Series(home, index=rows.index)
    else:
        rows = pd.DataFrame({"outcome": []})
    found = respondent_rows(rows, candidates, driver_metric, min_coverage, min_respondents, missing)
    if found is not None:
        return Rows(
            found.rows,
            found.kept,
            found.excluded,
            "respondent",
            None,
            found.note,
            performance,
            counts,
            outcome_answers,
            outcome_mean,
            None if clusters is None else clusters[found.chosen],
        )
    if segment not in answers.columns or "ts" not in answers.columns:
        raise ValueError(
            _(
                "Respondents rated too few touchpoints for a respondent-level model, and the answers "
                "have no '{segment}' and 'ts' columns for a model across {segment}-{period} cells."
            ).format(segment=segment, period=period)
        )
    rows = _cells(answers, coded, segment, period)
    kept, excluded, support = _select(rows, candidates, min_coverage, _("cells"), driver_metric, missing, 0)
    if not kept or support < len(kept) + 2:
        words = {
            "segment": segment,
            "period": period,
            "support": formatting.count(support),
            "kept": formatting.count(len(kept)),
            "needed": formatting.count(len(kept) + 2),
        }
        raise ValueError(
            _(
                "Too few {segment}-{period} cells for a driver analysis: {support} cells have all {kept} "
                "touchpoints rated, and at least {needed} are needed."
            ).format(**words)
            if missing == "listwise"
            else _(
                "Too few {segment}-{period} cells for a driver analysis: {support} cells back the least-rated "
                "pair of the {kept} touchpoints, and at least {needed} are needed."
            ).format(**words)
        )
    return Rows(
        rows,
        kept,
        excluded,
        "segment-period",
        "weight",
        _cells_note(segment, period, support, len(excluded), missing),
        performance,
        counts,
        outcome_answers,
        outcome_mean,
        None,
    )


@dataclass(frozen=True, eq=False)
class Respondents:
    """The respondents a respondent-level model rests on: ``rows`` (those of the table with an outcome who rated two
    or more candidates, marked by ``chosen``), the kept touchpoints, the others with why, and the note saying so."""

    rows: pd.DataFrame
    chosen: np.ndarray
    kept: list[str]
    excluded: dict[str, str]
    note: str


def respondent_rows(
    table: pd.DataFrame,
    candidates: Sequence[str],
    driver_metric: str = "csat",
    min_coverage: float = 0.5,
    min_respondents: int = 100,
    missing: str = "listwise",
    scored: int | None = None,
) -> Respondents | None:
    """The respondents of ``table`` (one row each: "outcome" and their mean rating per touchpoint, as
    :func:`respondent_table` makes) that a model of the ``candidates`` rests on, or None when too few support
    them; ``scored`` counts the respondents with an outcome when ``table`` leaves some out (else its own rows with
    one are counted). See :func:`model_rows` for the other parameters."""
    outcome = table["outcome"].notna().to_numpy()
    total = int(outcome.sum()) if scored is None else scored
    # Journey-survey respondents rate several touchpoints; pulse respondents rate one and cannot say which of
    # several touchpoints matters, so coverage is judged among those who rated two or more.
    several = outcome & (table.reindex(columns=candidates).notna().sum(axis=1) >= 2).to_numpy()
    rows = table[several]
    kept, excluded, support = _select(
        rows, candidates, min_coverage, _("respondents"), driver_metric, missing, min_respondents
    )
    if not kept or support < max(min_respondents, len(kept) + 2):
        return None
    note = (
        _respondent_note(support, len(rows), total, len(excluded))
        if missing == "listwise"
        else _pairwise_note(int(rows[kept].notna().any(axis=1).sum()), support, len(rows), total, len(excluded))
    )
    return Respondents(rows, several, kept, excluded, note)


def analyse(
    answers: pd.DataFrame,
    outcome: str = "nps",
    driver_metric: str = "csat",
    method: str = "lmg",
    touchpoints: Sequence[str] | None = None,
    min_coverage: float = 0.5,
    min_respondents: int = 100,
    reps: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    segment: str = "branch",
    period: str = "month",
    binary_threshold: float | None = None,
    outcome_touchpoint: str = OVERALL,
    missing: str = "pairwise",
    clustered: bool = True,
) -> DriverResult:
    """Which touchpoints' ratings explain the overall ``outcome`` (a metric column: nps, csat, ces or rating, a
    0/1 rating being a yes/no outcome), from long survey answers.

    A respondent-level model when at least ``min_respondents`` respondents with an outcome support the
    touchpoints that ``min_coverage`` of them rated (see :func:`model_rows`; ``missing`` "pairwise" keeps the
    respondents who skipped a touchpoint, "listwise" only those who rated every one); otherwise (transactional
    surveys, no respondent_id) a model across ``segment`` × ``period`` cells of averages, each cell weighted by
    its number of outcome answers. Touchpoints rated too rarely or always alike are left out, with the reason in
    ``excluded``. ``binary_threshold`` turns the outcome into 1 at or above it, else 0 (promoter: NPS ≥ 9).
    ``clustered``: respondents of one ``segment`` value (their outcome answer's) share its conditions, so when
    there are at least ``MIN_CLUSTERS`` such values the bootstrap resamples them whole (see :func:`bootstrap`).
    """
    _check_method(method)
    chosen = model_rows(
        answers,
        outcome,
        driver_metric,
        touchpoints,
        min_coverage,
        min_respondents,
        segment,
        period,
        binary_threshold,
        outcome_touchpoint,
        missing,
    )
    kept, note = chosen.kept, chosen.note
    if method == "lmg" and len(kept) > EXACT_LIMIT and reps > SAMPLED_REPS:
        # Each resample of a sampled LMG costs ~0.1 s: fewer resamples keep the page responsive.
        reps = SAMPLED_REPS
        note += " " + _(
            "With more than {limit} touchpoints, LMG is estimated from sampled orders and its "
            "intervals from {reps} resamples."
        ).format(limit=formatting.count(EXACT_LIMIT), reps=formatting.count(reps))
    clusters = chosen.clusters
    if not clustered or clusters is None or clusters.nunique() < MIN_CLUSTERS:
        clusters = None
    estimates = bootstrap(
        chosen.rows, "outcome", kept, method, reps, confidence, seed, chosen.weights, missing, clusters
    )
    attrs = estimates.attrs
    if clusters is not None:
        note += " " + _(
            "The intervals resample respondents a whole {segment} at a time ({count} of them): "
            "respondents of one {segment} share its conditions, so they are not independent "
            "draws; the intervals are widened for their number, as cluster-robust inference does with few clusters."
        ).format(segment=segment, count=formatting.count(attrs["clusters"]))
    if attrs["repair"] > 0.005:  # below that, the repair is far inside the intervals and not worth a sentence
        note += " " + _(
            "The pairwise correlations did not quite fit together; the nearest consistent set moved "
            "them by at most {change}."
        ).format(change=formatting.number(attrs["repair"], 2))
    table = estimates.rename(columns={"driver": "touchpoint"}).assign(
        performance=chosen.performance.reindex(kept).to_numpy(),
        answers=chosen.counts.reindex(kept, fill_value=0).to_numpy(),
        base=[attrs["base"][key] for key in kept],
    )
    table = table.sort_values("importance", ascending=False, ignore_index=True, kind="stable")
    table["rank"] = np.arange(1, len(table) + 1)
    table.attrs = {}  # the result's fields hold R² and n, so a result read back from a cache is the same
    return DriverResult(
        table=table,
        r2=attrs["r2"],
        r2_low=attrs["r2_low"],
        r2_high=attrs["r2_high"],
        n=attrs["n"],
        dropped=len(chosen.rows) - attrs["n"],
        excluded=chosen.excluded,
        model=chosen.model,
        method=method,
        outcome=outcome,
        driver_metric=driver_metric,
        note=note,
        missing=missing,
        effective_n=attrs["effective_n"],
        outcome_answers=chosen.outcome_answers,
        outcome_mean=chosen.outcome_mean,
        confidence=confidence,
        reps=reps,
    )


def priorities(
    table: pd.DataFrame, targets: Mapping[str, float] | None = None, names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The touchpoints in the order to work on them, by importance × performance quadrant, each with a reason.

    Importance is high when a touchpoint's share of R² is above the average share (1/k of k touchpoints);
    performance is low when below the touchpoint's target, or below the mean performance of the table's
    touchpoints when it has none. Adds reference, gap (reference − performance), quadrant, priority (1 = first)
    and reason; "Fix first" is ordered by importance × gap, the other quadrants by importance. ``attrs`` holds
    performance_reference, the mean performance. ``names`` (touchpoint key → name) words the reasons; with a
    ``matters`` column (:func:`bootstrap`), the reason of a touchpoint without evidence that it matters says so.
    """
    targets, names = targets or {}, names or {}
    result = table.copy()
    average = float(result["performance"].mean())
    result["reference"] = [targets.get(key, average) for key in result["touchpoint"]]
    result["gap"] = result["reference"] - result["performance"]
    important = result["share"] > 1 / len(result)
    low = result["performance"] < result["reference"]
    result["quadrant"] = np.select([important & low, ~important & low, important], QUADRANTS[:3], QUADRANTS[3])
    urgency = np.where(result["quadrant"] == "Fix first", result["importance"] * result["gap"], result["importance"])
    order = np.lexsort((-urgency, result["quadrant"].map(QUADRANTS.index).to_numpy()))
    result = result.iloc[order].reset_index(drop=True)
    result["priority"] = np.arange(1, len(result) + 1)
    result["reason"] = [
        _reason(row, names.get(row.touchpoint, row.touchpoint), row.touchpoint in targets)
        for row in result.itertuples()
    ]
    result.attrs = {"performance_reference": average}
    return result


def ranked(result: DriverResult, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`priorities` of a result (quadrants split at the mean performance), each share with its interval."""
    return priorities(result.table, None, names)


def _standardise(moments: np.ndarray) -> np.ndarray:
    """Correlation matrices of a stack of covariance matrices; a constant variable's row and column are zero."""
    spread = np.sqrt(np.clip(np.diagonal(moments, axis1=-2, axis2=-1), 0, None))
    scale = np.divide(1, spread, out=np.zeros_like(spread), where=spread > 0)
    return moments * scale[..., :, None] * scale[..., None, :]


def _importance(moments: np.ndarray, method: str) -> np.ndarray:
    """Importance per driver for a stack of outcome-first covariance matrices: shape (stack, drivers)."""
    correlations = _standardise(moments)
    if method == "johnson":
        return _johnson(correlations)
    if correlations.shape[-1] - 1 > EXACT_LIMIT:
        # One seed for every replicate: the sampling error is common to all, so it does not widen the interval.
        return np.stack([_sampled_lmg(matrix, PERMUTATIONS, 0) for matrix in correlations])
    return _exact_lmg(correlations)


def _exact_lmg(correlations: np.ndarray) -> np.ndarray:
    """Exact LMG shares for a stack of outcome-first correlation matrices."""
    weights = _shapley_weights(correlations.shape[-1] - 1)
    return np.concatenate(
        [
            _subset_r2(correlations[start : start + _CHUNK_REPS]) @ weights
            for start in range(0, len(correlations), _CHUNK_REPS)
        ]
    )


def _subset_r2(correlations: np.ndarray) -> np.ndarray:
    """R² of the outcome on every subset of drivers, shape (stack, 2^p); bit j of the column index = driver j in.

    Drivers are eliminated one at a time by Schur complement: each subset's block is split into the subsets
    without driver k (the block minus k) and with it (the block with k partialled out), so the outcome's residual
    variance given every subset costs O(2^p) small updates instead of 2^p separate solves. The subsets form the
    last axis so every update is one long vectorised operation.
    """
    stack, size = correlations.shape[0], correlations.shape[-1]
    order = [*range(1, size), 0]  # outcome last: it is never eliminated, so it stays in every block
    block = np.moveaxis(correlations[:, order][:, :, order], 0, -1)
    for remaining in range(size - 1, 0, -1):
        pivot, column, rest = block[0, 0], block[1:, 0], block[1:, 1:]
        # A driver already explained by the ones in the subset adds nothing, as in least squares.
        scale = np.divide(1, pivot, out=np.zeros_like(pivot), where=pivot > _REDUNDANT)
        width = pivot.shape[-1]
        block = np.empty((remaining, remaining, 2 * width))
        block[..., :width] = rest
        swept = block[..., width:]
        np.multiply(column[:, None], column * scale, out=swept)
        np.subtract(rest, swept, out=swept)
    residual = block[0, 0].reshape(-1, stack).T
    return correlations[:, 0, :1] - residual


def _shapley_weights(p: int) -> np.ndarray:
    """Matrix (2^p, p) turning subset R² into Shapley values: +w(|S| − 1) where j ∈ S, −w(|S|) where j ∉ S."""
    members = (np.arange(2**p)[:, None] >> np.arange(p)) & 1
    size = members.sum(axis=1)
    weight = np.array([1 / (p * math.comb(p - 1, s)) for s in range(p)])  # s! (p − s − 1)! / p!
    entering, absent = np.r_[0, weight][size], np.r_[weight, 0][size]
    return np.where(members == 1, entering[:, None], -absent[:, None])


def _sampled_lmg(correlation: np.ndarray, permutations: int, seed: int) -> np.ndarray:
    """LMG shares averaged over random driver orders; each order's increments sum to the full R²."""
    p = correlation.shape[-1] - 1
    orders = np.random.default_rng(seed).permuted(np.tile(np.arange(1, p + 1), (permutations, 1)), axis=1)
    block = np.tile(correlation, (permutations, 1, 1))
    shares = np.zeros((permutations, p + 1))
    rows = np.arange(permutations)
    for step in range(p):
        entering = orders[:, step]
        column = block[rows, :, entering]
        pivot = column[rows, entering]
        scale = np.divide(1, pivot, out=np.zeros_like(pivot), where=pivot > _REDUNDANT)
        shares[rows, entering] = column[:, 0] ** 2 * scale
        block -= (column * scale[:, None])[:, :, None] * column[:, None, :]
    return shares[:, 1:].mean(axis=0)


def _johnson(correlations: np.ndarray) -> np.ndarray:
    """Johnson's relative weights for a stack of outcome-first correlation matrices."""
    values, vectors = np.linalg.eigh(correlations[:, 1:, 1:])
    root = np.sqrt(np.clip(values, 0, None))
    # A zero eigenvalue (collinear drivers) gets no weight: the pseudo-inverse, as least squares would.
    inverse = np.divide(1, root, out=np.zeros_like(root), where=root > math.sqrt(_REDUNDANT))
    transposed = vectors.swapaxes(-1, -2)
    half = (vectors * root[:, None, :]) @ transposed
    beta = ((vectors * inverse[:, None, :]) @ transposed @ correlations[:, 1:, :1])[..., 0]
    return (half**2 @ (beta**2)[..., None])[..., 0]


def _coefficients(correlations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a stack of outcome-first correlation matrices: the standardised coefficients of the outcome's regression
    on all drivers, and each driver's unique contribution (the R² it adds entering last: β_j² / (R⁻¹)_jj)."""
    # The pseudo-inverse gives a driver that is a linear combination of the others no weight, as least squares does.
    inverse = np.linalg.pinv(correlations[:, 1:, 1:], hermitian=True)
    beta = (inverse @ correlations[:, 1:, :1])[..., 0]
    diagonal = np.diagonal(inverse, axis1=-2, axis2=-1)
    return beta, np.divide(beta**2, diagonal, out=np.zeros_like(beta), where=diagonal > _REDUNDANT)


def _wald(beta: np.ndarray, replicates: np.ndarray, clusters: int | None = None) -> np.ndarray:
    """Two-sided p-values of z = β / SE, SE the replicates' standard deviation (a zero SE: 0 unless β is 0); with
    ``clusters`` resampled, SE × √(G/(G − 1)) and z read on t with G − 1 degrees of freedom."""
    from scipy.stats import t

    se = replicates.std(axis=0, ddof=1) * (1.0 if clusters is None else math.sqrt(clusters / (clusters - 1)))
    z = np.divide(np.abs(beta), se, out=np.where(beta == 0, 0.0, np.inf), where=se > 0)
    return 2 * (t.sf(z, clusters - 1) if clusters is not None else t.sf(z, np.inf))


def _few_clusters(clusters: int | None, confidence: float) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """A function widening a percentile interval's two half-widths around its point estimate for ``clusters``
    resampled whole: by √(G/(G − 1)) · t(G − 1)/z, the small-sample correction of cluster-robust inference
    (Cameron & Miller 2015, §VI); unchanged without clusters."""
    from scipy.stats import norm, t

    factor = 1.0
    if clusters is not None and clusters > 1:
        quantile = 0.5 + confidence / 2
        factor = math.sqrt(clusters / (clusters - 1)) * t.ppf(quantile, clusters - 1) / norm.ppf(quantile)

    def widen(point: np.ndarray | float, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return point - factor * (point - low), point + factor * (high - point)

    return widen


def _covariance(values: np.ndarray, frequency: np.ndarray | None) -> np.ndarray:
    """Covariance matrix of the rows, each counted ``frequency`` times."""
    centred = values - np.average(values, axis=0, weights=frequency)
    weighted = centred if frequency is None else centred * frequency[:, None]
    return centred.T @ weighted / (len(values) if frequency is None else frequency.sum())


def _observed(values: np.ndarray, frequency: np.ndarray | None) -> np.ndarray:
    """The rows' correlation matrix; with gaps (NaN), each pair's over the rows that have both."""
    if np.isnan(values).any():
        return _resampled_pairwise(values, frequency, 0, None)[0]
    return _standardise(_covariance(values, frequency))


def _resampled_covariances(
    values: np.ndarray,
    frequency: np.ndarray | None,
    reps: int,
    rng: np.random.Generator,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Covariance matrices of ``reps`` bootstrap resamples of the rows (or of the clusters ``groups`` codes them
    into), shape (reps, columns, columns).

    All replicates share one pass over the data (:func:`_products`); a row of ones gives counts and sums.
    """
    n, width = values.shape
    # Centred rows keep the sums of products small, so subtracting the squared mean loses no precision.
    rows = np.vstack([np.ones(n), (values - values.mean(axis=0)).T])
    first, second = np.triu_indices(width + 1)
    segments = [(row, row, width + 1) for row in range(width + 1)]  # each row × itself and every later row
    unit, units = _units(n, rng, groups)
    totals = _products(rows, segments, frequency, unit, _draws(units, reps, rng))
    moments = np.empty((reps, width + 1, width + 1))
    moments[:, first, second] = moments[:, second, first] = totals
    mean = moments[:, 0, 1:] / moments[:, :1, 0]
    return moments[:, 1:, 1:] / moments[:, :1, :1] - mean[:, :, None] * mean[:, None, :]


def _resampled_pairwise(
    values: np.ndarray,
    frequency: np.ndarray | None,
    reps: int,
    rng: np.random.Generator | None,
    groups: np.ndarray | None = None,
    with_observed: bool = False,
) -> np.ndarray:
    """Pairwise correlation matrices of ``reps`` bootstrap resamples of the rows with their gaps (NaN) (or of the
    clusters ``groups`` codes them into), shape (reps, columns, columns); ``reps`` 0 gives the rows' own matrix, and
    ``with_observed`` puts it first, before the replicates, from the same pass over the rows.

    A pair's correlation is Pearson's over the rows that answered both, with that pair's own means and spreads,
    so it lies in [−1, 1]. Its sums come from products of rows of answered flags, values and squared values (zero
    where missing): flag_j·flag_k counts the pair's rows, value_j·flag_k and value_j²·flag_k sum j over them,
    value_j·value_k their cross-products. A pair too thin to vary (fewer than two rows, or one of the two alike on
    all of them) shows no association: correlation 0.
    """
    width = values.shape[1]
    answered = ~np.isnan(values)
    # Standardised over the answers given, so the sums stay small and a spread is compared with 1.
    spread = np.nanstd(values, axis=0)
    scaled = np.where(answered, (values - np.nanmean(values, axis=0)) / np.where(spread > 0, spread, 1), 0.0)
    rows = np.vstack([answered.T.astype(float), scaled.T, scaled.T**2])
    segments = (
        [(j, j, width) for j in range(width)]
        + [(width + j, 0, width) for j in range(width)]
        + [(2 * width + j, 0, width) for j in range(width)]
        + [(width + j, width + j, 2 * width) for j in range(width)]
    )
    if reps and rng is not None:
        unit, units = _units(len(values), rng, groups)
        counts = _draws(units, reps, rng)
        if with_observed:  # every unit once: the rows themselves
            counts = np.vstack([np.ones((1, units), dtype=counts.dtype), counts])
        totals = _products(rows, segments, frequency, unit, counts)
    else:
        totals = _products(rows, segments, frequency)
    stack, first, second = len(totals), *np.triu_indices(width)
    pairs, square = len(first), width * width
    count, cross = np.empty((2, stack, width, width))
    count[:, first, second] = count[:, second, first] = totals[:, :pairs]
    cross[:, first, second] = cross[:, second, first] = totals[:, pairs + 2 * square :]
    sums = totals[:, pairs : pairs + square].reshape(stack, width, width)  # [j, k]: Σ value_j over the pair's rows
    squares = totals[:, pairs + square : pairs + 2 * square].reshape(stack, width, width)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sums / count
        variance = squares / count - mean**2
        other = variance.swapaxes(-1, -2)
        correlation = (cross / count - mean * mean.swapaxes(-1, -2)) / np.sqrt(variance * other)
    defined = (count > 1) & (variance > _REDUNDANT) & (other > _REDUNDANT)
    correlation = np.where(defined, np.clip(correlation, -1, 1), 0.0)
    correlation[:, np.arange(width), np.arange(width)] = 1.0
    return correlation


def _units(n: int, rng: np.random.Generator, groups: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Each of ``n`` rows' resampling unit (codes 0…u−1) and the number u of units.

    With ``groups`` (cluster codes per row) a unit is a cluster, drawn whole: exactly the cluster bootstrap. Without,
    a table of at most ``_UNITS`` rows has a unit per row: exactly the row bootstrap. A larger one is dealt at random
    into ``_UNITS`` blocks of equal size (±1 row): the blocks are iid draws of that many rows, so drawing ``_UNITS``
    of them with replacement resamples as many rows with the same mean and variance of every sum as drawing rows
    (the bootstrap of block sums; Efron & Tibshirani 1993, §8.5, applied to iid blocks), while the sums of products
    are taken once per block.
    """
    if groups is not None:
        return groups, int(groups.max()) + 1
    if n <= _UNITS:
        return np.arange(n), n
    return rng.permutation(n) % _UNITS, _UNITS


def _draws(units: int, reps: int, rng: np.random.Generator) -> np.ndarray:
    """Multinomial resample counts of ``units`` units for ``reps`` replicates, shape (reps, units)."""
    # A unit drawn more than 255 times in as many draws is impossible in practice (about units / 256!).
    counts = np.empty((reps, units), dtype=np.uint8)
    for rep in range(reps):
        counts[rep] = np.bincount(rng.integers(0, units, units), minlength=units)
    return counts


def _products(
    rows: np.ndarray,
    segments: Sequence[tuple[int, int, int]],
    frequency: np.ndarray | None,
    unit: np.ndarray | None = None,
    counts: np.ndarray | None = None,
) -> np.ndarray:
    """Per replicate, the sums over the data's rows (the columns of ``rows``) of the products rows[left] ×
    rows[start:stop] of each (left, start, stop) segment, each row weighted by its ``frequency`` and counted as often
    as the replicate drew its ``unit`` (``counts``, shape (reps, units)); without units, one replicate of every row
    once. Returns shape (replicates, products).

    The products are summed once per unit, a block of rows at a time (rows sorted by unit, so a block's units are
    runs that ``np.add.reduceat`` sums), and every replicate is then one row of ``counts @ unit sums``.
    """
    n = rows.shape[1]
    width = sum(stop - start for _left, start, stop in segments)
    if unit is None:
        unit = np.zeros(n, dtype=np.intp)
    if counts is None:
        counts = np.ones((1, int(unit.max()) + 1))
    order = np.argsort(unit, kind="stable")
    rows, unit = rows[:, order], unit[order]
    weight = None if frequency is None else frequency[order]
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])  # where each unit's run of rows begins
    sums = np.zeros((counts.shape[1], width))
    products = np.empty((width, min(n, _BLOCK_ROWS)))
    for begin in range(0, n, _BLOCK_ROWS):
        block = rows[:, begin : begin + _BLOCK_ROWS]
        size, offset = block.shape[1], 0
        for left, start, stop in segments:
            np.multiply(block[start:stop], block[left], out=products[offset : offset + stop - start, :size])
            offset += stop - start
        if weight is not None:
            products[:, :size] *= weight[begin : begin + size]
        # The runs in this block: the one it starts inside and every run that begins in it.
        bounds = np.r_[0, starts[(starts > begin) & (starts < begin + size)] - begin]
        np.add.at(sums, unit[begin + bounds], np.add.reduceat(products[:, :size], bounds, axis=1).T)
    return counts.astype(float) @ sums


def _higham(stack: np.ndarray, tolerance: float, iterations: int) -> np.ndarray:
    """Higham's alternating projections for a stack of symmetric matrices, then a clip and rescale to make sure."""
    diagonal = np.arange(stack.shape[-1])
    current, correction = stack.copy(), np.zeros_like(stack)
    for _step in range(iterations):
        residual = current - correction
        projected = _clipped(residual)
        correction = projected - residual  # Dykstra: the cone projection's step is taken back next time
        previous, current = current, projected.copy()
        current[:, diagonal, diagonal] = 1.0
        change = np.linalg.norm(current - previous, axis=(-2, -1)) / np.linalg.norm(current, axis=(-2, -1))
        if change.max() < tolerance:
            break
    clipped = _clipped(current)
    scale = 1 / np.sqrt(np.diagonal(clipped, axis1=-2, axis2=-1))
    result = clipped * scale[:, :, None] * scale[:, None, :]
    return (result + result.swapaxes(-1, -2)) / 2


def _clipped(stack: np.ndarray) -> np.ndarray:
    """The nearest positive-semidefinite matrix of each symmetric matrix: its negative eigenvalues set to 0."""
    values, vectors = np.linalg.eigh(stack)
    return (vectors * np.clip(values, 0, None)[:, None, :]) @ vectors.swapaxes(-1, -2)


def _usable(
    frame: pd.DataFrame, outcome: str, drivers: Sequence[str], weights: str | None, missing: str
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The rows a model uses as a float matrix, outcome first, their weights, and which of the frame's rows they
    are: listwise the rows with every value, pairwise the rows with two or more (NaN where missing); a row needs a
    positive weight."""
    _check_missing(missing)
    if not drivers:
        raise ValueError(_("Name at least one driver."))
    if len(set(drivers)) < len(drivers) or outcome in drivers:
        raise ValueError(_("Each driver must be named once and must not be the outcome."))
    _check_columns(frame, [outcome, *drivers, *([weights] if weights else [])])
    names = [outcome, *drivers]
    values = frame[names].to_numpy(dtype=float, na_value=np.nan)
    keep = np.ones(len(values), dtype=bool)
    frequency = None
    if weights:
        frequency = frame[weights].to_numpy(dtype=float, na_value=np.nan)
        if (frequency < 0).any():
            raise ValueError(_("The weights in '{weights}' must not be negative.").format(weights=weights))
        keep = frequency > 0
    answered = ~np.isnan(values)
    # Without gaps pairwise is listwise, and the listwise words ("complete rows") are the exact ones.
    complete = missing == "listwise" or answered[keep].all()
    keep &= answered.all(axis=1) if complete else answered.sum(axis=1) >= 2
    values, frequency = values[keep], None if frequency is None else frequency[keep]
    if complete and len(values) < len(drivers) + 2:
        raise ValueError(
            _("Only {rows} complete rows for {drivers} drivers; at least {needed} are needed.").format(
                rows=formatting.count(len(values)),
                drivers=formatting.count(len(drivers)),
                needed=formatting.count(len(drivers) + 2),
            )
        )
    if not complete:
        together = answered[keep].T.astype(float) @ answered[keep]
        np.fill_diagonal(together, np.inf)
        first, second = np.unravel_index(np.argmin(together), together.shape)
        if together[first, second] < len(drivers) + 2:
            raise ValueError(
                _(
                    "Only {rows} rows answer both '{first}' and '{second}'; with {drivers} drivers at least "
                    "{needed} are needed."
                ).format(
                    rows=formatting.count(round(together[first, second])),
                    first=names[first],
                    second=names[second],
                    drivers=formatting.count(len(drivers)),
                    needed=formatting.count(len(drivers) + 2),
                )
            )
    constant = [name for name, column in zip(names, values.T, strict=True) if np.nanmin(column) == np.nanmax(column)]
    if constant:
        sentences = {
            (True, True): _(
                "The outcome '{name}' has the same value in every complete row, so it cannot explain or be explained."
            ),
            (True, False): _(
                "The outcome '{name}' has the same value in every row that answers it, so it cannot explain or be "
                "explained."
            ),
            (False, True): _(
                "The driver '{name}' has the same value in every complete row, so it cannot explain or be explained."
            ),
            (False, False): _(
                "The driver '{name}' has the same value in every row that answers it, so it cannot explain or be "
                "explained."
            ),
        }
        raise ValueError(sentences[constant[0] == outcome, bool(complete)].format(name=constant[0]))
    return values, frequency, keep


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(
            _("Unknown method '{method}'; use one of {methods}.").format(method=method, methods=", ".join(METHODS))
        )


def _check_missing(missing: str) -> None:
    if missing not in MISSING:
        raise ValueError(
            _("Unknown way to treat missing answers '{missing}'; use one of {ways}.").format(
                missing=missing, ways=", ".join(MISSING)
            )
        )


def _check_columns(frame: pd.DataFrame, names: Sequence[str]) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValueError(_("Column '{column}' is not in the data.").format(column=missing[0]))


@dataclass(frozen=True)
class _Coded:
    """Long answers as arrays: touchpoint codes (into ``keys``), outcome scores (NaN on other touchpoints' rows) and
    driver ratings (NaN on the outcome touchpoint's rows)."""

    spots: np.ndarray
    keys: pd.Index
    scores: np.ndarray
    ratings: np.ndarray


def _encode(
    answers: pd.DataFrame, outcome: str, driver_metric: str, outcome_touchpoint: str, binary_threshold: float | None
) -> _Coded:
    """The answers' touchpoints as codes, their outcome scores (1/0 with a threshold) and driver ratings."""
    spots, keys = pd.factorize(answers["touchpoint"], sort=True)
    # −2 matches no row when nobody answered at the outcome touchpoint (−1 is a missing touchpoint).
    at_outcome = spots == (keys.get_loc(outcome_touchpoint) if outcome_touchpoint in keys else -2)
    scores = answers[outcome].to_numpy(dtype=float, na_value=np.nan)
    if binary_threshold is not None:
        scores = np.where(np.isnan(scores), np.nan, (scores >= binary_threshold).astype(float))
    ratings = np.where(at_outcome, np.nan, answers[driver_metric].to_numpy(dtype=float, na_value=np.nan))
    return _Coded(spots, keys, np.where(at_outcome, scores, np.nan), ratings)


def _table(coded: _Coded, groups: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """Per group: the mean outcome score ("outcome") and one column of mean ratings per rated touchpoint."""
    # One grid, the outcome in column 0 and touchpoint k in column k + 1: a row carries an outcome score or a
    # rating, never both (see _encode), and a grid-sized array costs more than its sums on a cold call.
    scored = ~np.isnan(coded.scores)
    columns = np.where(scored, 0, np.where(coded.spots >= 0, coded.spots + 1, -1))
    grid = _means(groups, columns, np.where(scored, coded.scores, coded.ratings), len(index), len(coded.keys) + 1)
    rated = np.concatenate([[True], ~np.isnan(grid[:, 1:]).all(axis=0)])
    return pd.DataFrame(
        grid if rated.all() else grid[:, rated], columns=["outcome", *coded.keys[rated[1:]]], index=index, copy=False
    )


def _means(groups: np.ndarray, columns: np.ndarray, values: np.ndarray, n_groups: int, n_columns: int) -> np.ndarray:
    """Mean of ``values`` per (group, column) over the rows with a group and a value; NaN where none."""
    use = (groups >= 0) & (columns >= 0) & ~np.isnan(values)
    cell = groups[use].astype(np.int64) * n_columns + columns[use]
    means = np.full(n_groups * n_columns, np.nan)
    # Summed over the occupied cells only: the grid of 300 000 respondents × 23 touchpoints is mostly empty, and
    # each grid-sized array is memory the system must hand over page by page on a cold call (0.4 s of it).
    occupied, inverse = distinct(cell)
    counts = np.bincount(inverse, minlength=len(occupied))
    means[occupied] = np.bincount(inverse, weights=values[use], minlength=len(occupied)) / counts
    return means.reshape(n_groups, n_columns)


def _performance(coded: _Coded) -> tuple[pd.Series, pd.Series]:
    """Mean rating and number of ratings per rated touchpoint, over all answers."""
    rated = ~np.isnan(coded.ratings) & (coded.spots >= 0)  # an answer without a touchpoint rates none
    counts = np.bincount(coded.spots[rated], minlength=len(coded.keys))
    totals = np.bincount(coded.spots[rated], weights=coded.ratings[rated], minlength=len(coded.keys))
    index = pd.Index(coded.keys[counts > 0], name="touchpoint")
    return pd.Series(totals[counts > 0] / counts[counts > 0], index=index), pd.Series(counts[counts > 0], index=index)


def _cells(answers: pd.DataFrame, coded: _Coded, segment: str, period: str) -> pd.DataFrame:
    """One row per segment × period cell with an outcome: its mean ("outcome"), its number of outcome answers
    ("weight") and each touchpoint's mean rating."""
    starts = pd.to_datetime(answers["ts"]).dt.to_period(PERIODS[period]).dt.start_time
    segments, segment_values = pd.factorize(answers[segment], sort=True)
    periods, period_values = pd.factorize(starts, sort=True)
    # An answer without a segment value or a date belongs to no cell (NaN → code −1).
    pair = np.where((segments >= 0) & (periods >= 0), segments * float(len(period_values)) + periods, np.nan)
    cells, labels = pd.factorize(pair, sort=True)
    labels = labels.astype(np.int64)
    index = pd.MultiIndex.from_arrays(
        [segment_values[labels // len(period_values)], period_values[labels % len(period_values)]],
        names=[segment, "period"],
    )
    table = _table(coded, cells, index)
    answered = (cells >= 0) & ~np.isnan(coded.scores)
    table["weight"] = np.bincount(cells[answered], minlength=len(index)).astype(float)
    return table[table["outcome"].notna()]


def _select(
    rows: pd.DataFrame,
    candidates: Sequence[str],
    min_coverage: float,
    unit: str,
    driver_metric: str,
    missing: str,
    floor: int,
) -> tuple[list[str], dict[str, str], int]:
    """The candidates rated by at least ``min_coverage`` of the rows and not all alike (pairwise, also rated
    together with each other kept one by enough rows: see :func:`_rated_together`); the others with a reason; and
    how many rows support the model: listwise those that rated every kept one, pairwise the fewest behind any
    correlation (every row has the outcome)."""
    excluded, covered = {}, []
    for key in candidates:
        coverage = rows[key].notna().mean() if key in rows.columns and len(rows) else 0.0
        if key not in rows.columns or coverage == 0:
            excluded[key] = _("no {metric} ratings").format(metric=driver_metric.upper())
        elif coverage < min_coverage:
            excluded[key] = _("rated by {share} of {unit} (< {limit})").format(
                share=_percent(coverage * 100), unit=unit, limit=_percent(min_coverage * 100)
            )
        else:
            covered.append(key)
    # Listwise, a touchpoint must vary among the rows that are used: those that rated every one.
    # Numpy masks and columns: each pandas mask or dropna on a frame indexed by 300 000 respondent ids looks the
    # array protocol's names up in that index (~4 ms a call).
    used = rows[covered].notna().all(axis=1).to_numpy() if missing == "listwise" else np.ones(len(rows), dtype=bool)
    kept = []
    for key in covered:
        values = rows[key].to_numpy(dtype=float)[used]
        values = values[~np.isnan(values)]
        if len(values) and values.min() == values.max():
            excluded[key] = _("every rating was {value}, so it cannot explain differences").format(
                value=_figure(values.min())
            )
        else:
            kept.append(key)
    if not kept:
        return kept, excluded, 0
    if missing == "listwise":
        return kept, excluded, int(rows[kept].notna().all(axis=1).sum())
    kept = _rated_together(rows, kept, excluded, unit, floor)
    answered = rows[kept].notna().to_numpy(dtype=float)
    return kept, excluded, int((answered.T @ answered).min())


def _rated_together(
    rows: pd.DataFrame, kept: Sequence[str], excluded: dict[str, str], unit: str, floor: int
) -> list[str]:
    """The touchpoints left when, of each pair rated together by fewer than max(``floor``, k + 2) rows, the less
    rated one is left out (its reason added to ``excluded``): in a journey that branches (pick up in store or have
    it delivered) two touchpoints can each be rated often but hardly ever by the same respondent. Stops when a
    touchpoint is rated too rarely on its own, which no pair is to blame for."""
    kept = list(kept)
    while len(kept) > 1:
        answered = rows[kept].notna().to_numpy(dtype=float)
        together = answered.T @ answered
        needed, rated = max(floor, len(kept) + 2), np.diag(together).copy()
        np.fill_diagonal(together, np.inf)
        first, second = np.unravel_index(np.argmin(together), together.shape)
        if rated.min() < needed or together[first, second] >= needed:
            break
        drop, other = (first, second) if rated[first] < rated[second] else (second, first)
        excluded[kept[drop]] = _("rated together with {other} by only {count} {unit} (fewer than {needed})").format(
            other=kept[other],
            count=formatting.count(round(together[first, second])),
            unit=unit,
            needed=formatting.count(needed),
        )
        del kept[drop]
    return kept


def _respondent_note(complete: int, several: int, total: int, left_out: int) -> str:
    return _(
        "{complete} of the {several} respondents who rated two or more touchpoints (of {total} with an "
        "outcome score) answered every kept touchpoint; the others (a touchpoint skipped or not applicable to "
        "them) are left out rather than guessed, and so are those who rated a single touchpoint."
    ).format(
        complete=formatting.count(complete), several=formatting.count(several), total=formatting.count(total)
    ) + _left_out(left_out)


def _pairwise_note(used: int, least: int, several: int, total: int, left_out: int) -> str:
    return _(
        "{used} of the {several} respondents who rated two or more touchpoints (of {total} with an outcome "
        "score) count, each for the touchpoints they rated: a touchpoint someone skipped is left out of their "
        "answers rather than guessed, and each correlation rests on the respondents who answered both (at "
        "least {least}). Respondents who rated a single touchpoint are left out."
    ).format(
        used=formatting.count(used),
        several=formatting.count(several),
        total=formatting.count(total),
        least=formatting.count(least),
    ) + _left_out(left_out)


def _cells_note(segment: str, period: str, cells: int, left_out: int, missing: str) -> str:
    support = (
        _("{cells} cells with every kept touchpoint rated")
        if missing == "listwise"
        else _("each correlation over the cells with both averages, at least {cells}")
    ).format(cells=formatting.count(cells))
    return _(
        "Too few respondents rated every touchpoint (or the answers carry no respondent ids) for a "
        "respondent-level model, so each row is a {segment}-{period} cell ({support}, each weighted by its "
        "number of outcome answers): the importance says which touchpoints' averages move with the outcome's "
        "average across cells — an association between groups, coarser than a respondent-level model."
    ).format(segment=segment, period=period, support=support) + _left_out(left_out)


def _left_out(count: int) -> str:
    return (
        " "
        + ngettext(
            "{count} touchpoint was left out: rated too rarely or always alike.",
            "{count} touchpoints were left out: rated too rarely or always alike.",
            count,
        ).format(count=formatting.count(count))
        if count
        else ""
    )


def _reason(row, name: str, has_target: bool) -> str:
    """'Checkout explains 31 % of the explained variance and scores 3.6 against a target of 4.0.', and for a
    touchpoint without evidence that it matters, a sentence saying so."""
    words = {
        "touchpoint": name,
        "share": _percent(row.share * 100),
        "performance": formatting.number(row.performance, 1),
        "reference": formatting.number(row.reference, 1),
    }
    reason = (
        _(
            "{touchpoint} explains {share} of the explained variance and scores {performance} against a target "
            "of {reference}."
        ).format(**words)
        if has_target
        else _(
            "{touchpoint} explains {share} of the explained variance and scores {performance} against an "
            "average of {reference}."
        ).format(**words)
    )
    if getattr(row, "matters", True):
        return reason
    # Its share is credit borrowed from the touchpoints it correlates with: say so where the card will quote it.
    return (
        reason
        + " "
        + _("But there is no evidence it matters once the other touchpoints are known ({p}).").format(
            p=formatting.p_value(row.p_adjusted, "p")
        )
    )


def _percent(value: float) -> str:
    """A whole percent in a sentence: '31 %' (Polish '31%'), with a plain space where the language has one, so the
    sentence may wrap there (and "% of" stays out of the message, where babel would read it as a printf format)."""
    return formatting.percent(value).replace(formatting.THOUSANDS + "%", " %")


def _figure(value: float) -> str:
    """A rating as typed: 5, 4.5 (Czech 4,5)."""
    if float(value).is_integer():
        return formatting.number(value)
    return formatting.number(value, 2).rstrip("0").rstrip(",.")


def _plain(value):
    """A JSON-safe scalar: numpy numbers as Python numbers, NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value
