"""Key-driver analysis: how much of the overall score each touchpoint's rating explains (relative importance).

The importance of a driver is its share of the outcome's R² in a linear regression on all drivers. Two methods:

- **LMG** (Lindeman, Merenda & Gold; the Shapley value of R²): a driver's R² increment averaged over every order in
  which the drivers can enter the model. Computed exactly from the correlation matrix for up to ``EXACT_LIMIT``
  drivers; beyond that from sampled orders.
- **Johnson's relative weights** (Johnson 2000): the drivers are replaced by their closest orthogonal counterparts,
  the outcome is regressed on those, and each counterpart's share is handed back to the drivers it is made of.

Both split R² exactly and agree closely in practice; neither is a causal effect. Intervals are percentile
bootstrap intervals. From long survey answers, :func:`analyse` builds one row per respondent (their overall score
and their rating of each touchpoint) when respondents rated enough touchpoints, and otherwise one row per
segment × period cell of averages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from workbench.i18n import gettext as _
from workbench.i18n import ngettext
from workbench.ingest import OVERALL

if TYPE_CHECKING:
    import diskcache

    from workbench.query import Query

METHODS = ("lmg", "johnson")
EXACT_LIMIT = 15  # 2^15 subsets take tens of milliseconds; each further driver doubles the work
SAMPLED_REPS = 40  # bootstrap resamples when LMG is sampled (more than EXACT_LIMIT drivers)
PERMUTATIONS = 2000
PERIODS = {"week": "W-SUN", "month": "M", "quarter": "Q"}  # pandas periods; W-SUN weeks start on Monday (ISO)
TABLE_COLUMNS = ("touchpoint", "importance", "low", "high", "share", "performance", "answers", "rank")
QUADRANTS = ("Fix first", "Improve later", "Keep it up", "Maintain")  # in the order they are worked on
_REDUNDANT = 1e-10  # a driver with less of its variance left unexplained by the ones before it adds nothing
_BLOCK_ROWS = 4096  # rows per cross-product block in the bootstrap: the block's products stay in cache
_CHUNK_REPS = 8  # bootstrap replicates per exact-LMG batch: keeps its subset arrays near 5 MB for 15 drivers


def lmg(correlation: np.ndarray, exact_limit: int = EXACT_LIMIT, permutations: int = PERMUTATIONS,
        seed: int = 0) -> np.ndarray:
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


def relative_importance(frame: pd.DataFrame, outcome: str, drivers: Sequence[str], method: str = "lmg",
                        weights: str | None = None) -> pd.Series:
    """Each driver's share of the outcome's R² on the frame's complete rows, named "importance".

    ``weights`` names a column of frequency weights (a row with weight 3 counts as three rows). A 0/1 outcome
    gives the R² of a linear probability model. ``attrs`` holds r2, n (rows used) and method.
    """
    _check_method(method)
    values, frequency = _complete(frame, outcome, drivers, weights)
    shares = _importance(_covariance(values, frequency)[None], method)[0]
    series = pd.Series(shares, index=pd.Index(list(drivers), name="driver"), name="importance")
    series.attrs = {"r2": float(shares.sum()), "n": len(values), "method": method}
    return series


def bootstrap(frame: pd.DataFrame, outcome: str, drivers: Sequence[str], method: str = "lmg", reps: int = 200,
              confidence: float = 0.95, seed: int = 0, weights: str | None = None) -> pd.DataFrame:
    """Importance per driver with percentile bootstrap intervals: driver, importance, low, high, share (of R²).

    Rows are resampled with multinomial counts (with ``weights``, a row is a cluster of that many answers and is
    drawn whole). ``attrs`` holds r2 with its interval (r2_low, r2_high), n and reps. With the default 200
    replicates each end of a 95 % interval is good to about 5 % of the interval's width (its Monte-Carlo error);
    all replicates share one pass over the data, so 130 000 rows × 15 drivers take about a second.
    """
    _check_method(method)
    if reps < 2:
        raise ValueError("A bootstrap needs at least two replicates.")
    values, frequency = _complete(frame, outcome, drivers, weights)
    point = _importance(_covariance(values, frequency)[None], method)[0]
    rng = np.random.default_rng(seed)
    replicates = _importance(_resampled_covariances(values, frequency, reps, rng), method)
    tail = (1 - confidence) / 2
    low, high = np.quantile(replicates, [tail, 1 - tail], axis=0)
    r2_low, r2_high = np.quantile(replicates.sum(axis=1), [tail, 1 - tail])
    r2 = float(point.sum())
    table = pd.DataFrame({"driver": list(drivers), "importance": point, "low": low, "high": high,
                          "share": point / r2 if r2 > 0 else np.nan})
    table.attrs = {"r2": r2, "r2_low": float(r2_low), "r2_high": float(r2_high), "n": len(values), "reps": reps}
    return table


def respondent_table(answers: pd.DataFrame, outcome: str = "nps", driver_metric: str = "csat",
                     outcome_touchpoint: str = OVERALL, binary_threshold: float | None = None) -> pd.DataFrame:
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
    """A key-driver analysis: the touchpoints' importance with intervals and performance, and how it was made."""

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

    def to_dict(self) -> dict:
        """JSON-safe fields: the table as a list of records, NaN as None."""
        data = {field.name: getattr(self, field.name) for field in fields(self)}
        data["table"] = [{name: _plain(value) for name, value in row.items()}
                         for row in self.table.to_dict("records")]
        return {name: _plain(value) for name, value in data.items()}

    @classmethod
    def from_dict(cls, data: dict) -> DriverResult:
        """The result stored by :meth:`to_dict`."""
        data = dict(data)
        table = pd.DataFrame.from_records(data["table"], columns=list(TABLE_COLUMNS))
        data["table"] = table.astype({name: float for name in ("importance", "low", "high", "share", "performance")})
        for name in ("r2", "r2_low", "r2_high"):
            data[name] = math.nan if data[name] is None else data[name]
        return cls(**data)


def analyse_query(source: Query, cache: diskcache.Cache | None = None, **options) -> DriverResult:
    """:func:`analyse` of the answers a query selects (its grouping is ignored), cached under the query's key."""
    import json

    from workbench import query

    key = f"drivers:{source.key()}:{json.dumps(options, sort_keys=True, default=str)}"
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
    """The rows a driver model is fitted on: one per respondent (or segment-period cell), the kept touchpoints."""

    rows: pd.DataFrame
    kept: list[str]
    excluded: dict[str, str]
    model: str
    weights: str | None
    note: str
    performance: pd.Series
    counts: pd.Series


def model_rows(answers: pd.DataFrame, outcome: str = "nps", driver_metric: str = "csat",
               touchpoints: Sequence[str] | None = None, min_coverage: float = 0.5, min_respondents: int = 100,
               segment: str = "branch", period: str = "month", binary_threshold: float | None = None,
               outcome_touchpoint: str = OVERALL) -> Rows:
    """The respondent-level rows when at least ``min_respondents`` respondents rated every kept touchpoint, else
    ``segment`` × ``period`` cells of averages; touchpoints rated too rarely or always alike are left out.

    See :func:`analyse` for the parameters.
    """
    if period not in PERIODS:
        raise ValueError(f"Unknown period '{period}'; use one of {', '.join(PERIODS)}.")
    _check_columns(answers, ["touchpoint", outcome, driver_metric])
    if not (answers["touchpoint"].eq(outcome_touchpoint) & answers[outcome].notna()).any():
        raise ValueError(f"The answers have no overall {outcome.upper()} (touchpoint '{outcome_touchpoint}') to "
                         f"explain: map an overall score column when importing the survey.")
    coded = _encode(answers, outcome, driver_metric, outcome_touchpoint, binary_threshold)
    performance, counts = _performance(coded)
    candidates = list(touchpoints) if touchpoints is not None else [
        key for key in performance.index if key != OVERALL]
    if "respondent_id" in answers.columns:
        people, ids = pd.factorize(answers["respondent_id"])
        rows = _table(coded, people, pd.Index(ids, name="respondent_id"))
    else:
        rows = pd.DataFrame({"outcome": []})
    rows = rows[rows["outcome"].notna()]
    # Journey-survey respondents rate several touchpoints; pulse respondents rate one and cannot say which of
    # several touchpoints matters, so coverage is judged among those who rated two or more.
    total = len(rows)
    rows = rows[rows.reindex(columns=candidates).notna().sum(axis=1) >= 2]
    kept, excluded, complete = _select(rows, candidates, min_coverage, _("respondents"), driver_metric)
    if kept and complete >= max(min_respondents, len(kept) + 2):
        return Rows(rows, kept, excluded, "respondent", None, _respondent_note(complete, len(rows), total,
                                                                              len(excluded)), performance, counts)
    if segment not in answers.columns or "ts" not in answers.columns:
        raise ValueError(f"Respondents rated too few touchpoints for a respondent-level model, and the answers "
                         f"have no '{segment}' and 'ts' columns for a model across {segment}-{period} cells.")
    rows = _cells(answers, coded, segment, period)
    kept, excluded, complete = _select(rows, candidates, min_coverage, _("cells"), driver_metric)
    if not kept or complete < len(kept) + 2:
        raise ValueError(f"Too few {segment}-{period} cells for a driver analysis: {complete} cells have all "
                         f"{len(kept)} touchpoints rated, and at least {len(kept) + 2} are needed.")
    return Rows(rows, kept, excluded, "segment-period", "weight", _cells_note(segment, period, complete, len(excluded)),
                performance, counts)


def analyse(answers: pd.DataFrame, outcome: str = "nps", driver_metric: str = "csat", method: str = "lmg",
            touchpoints: Sequence[str] | None = None, min_coverage: float = 0.5, min_respondents: int = 100,
            reps: int = 200, confidence: float = 0.95, seed: int = 0, segment: str = "branch",
            period: str = "month", binary_threshold: float | None = None,
            outcome_touchpoint: str = OVERALL) -> DriverResult:
    """Which touchpoints' ratings explain the overall ``outcome`` score, from long survey answers.

    A respondent-level model when at least ``min_respondents`` respondents with an outcome rated every touchpoint
    that ``min_coverage`` of them rated; otherwise (transactional surveys, no respondent_id) a model across
    ``segment`` × ``period`` cells of averages, each cell weighted by its number of outcome answers. Touchpoints
    rated too rarely or always alike are left out, with the reason in ``excluded``.
    """
    _check_method(method)
    chosen = model_rows(answers, outcome, driver_metric, touchpoints, min_coverage, min_respondents, segment, period,
                        binary_threshold, outcome_touchpoint)
    kept, note = chosen.kept, chosen.note
    if method == "lmg" and len(kept) > EXACT_LIMIT and reps > SAMPLED_REPS:
        # Each resample of a sampled LMG costs ~0.1 s: fewer resamples keep the page responsive.
        reps = SAMPLED_REPS
        note += " " + _("With more than {limit} touchpoints, LMG is estimated from sampled orders and its "
                        "intervals from {reps} resamples.").format(limit=EXACT_LIMIT, reps=reps)
    estimates = bootstrap(chosen.rows, "outcome", kept, method, reps, confidence, seed, chosen.weights)
    attrs = estimates.attrs
    table = estimates.rename(columns={"driver": "touchpoint"}).assign(
        performance=chosen.performance.reindex(kept).to_numpy(),
        answers=chosen.counts.reindex(kept, fill_value=0).to_numpy())
    table = table.sort_values("importance", ascending=False, ignore_index=True, kind="stable")
    table["rank"] = np.arange(1, len(table) + 1)
    table.attrs = {}  # the result's fields hold R² and n, so a result read back from a cache is the same
    return DriverResult(table=table, r2=attrs["r2"], r2_low=attrs["r2_low"], r2_high=attrs["r2_high"],
                        n=attrs["n"], dropped=len(chosen.rows) - attrs["n"], excluded=chosen.excluded,
                        model=chosen.model, method=method, outcome=outcome, driver_metric=driver_metric, note=note)


def priorities(table: pd.DataFrame, targets: Mapping[str, float] | None = None,
               names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The touchpoints in the order to work on them, by importance × performance quadrant, each with a reason.

    Importance is high when a touchpoint's share of R² is above the average share (1/k of k touchpoints);
    performance is low when below the touchpoint's target, or below the mean performance of the table's
    touchpoints when it has none. Adds reference, gap (reference − performance), quadrant, priority (1 = first)
    and reason; "Fix first" is ordered by importance × gap, the other quadrants by importance. ``attrs`` holds
    performance_reference, the mean performance. ``names`` (touchpoint key → name) words the reasons.
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
    result["reason"] = [_reason(row, names.get(row.touchpoint, row.touchpoint), row.touchpoint in targets)
                        for row in result.itertuples()]
    result.attrs = {"performance_reference": average}
    return result


def ranked(result: DriverResult, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`priorities` of a result (quadrants split at the mean performance), with each share's interval."""
    r2 = result.r2 or 1.0
    ranking = priorities(result.table, None, names)
    return ranking.assign(share_low=ranking["low"] / r2, share_high=ranking["high"] / r2)


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
    return np.concatenate([_subset_r2(correlations[start:start + _CHUNK_REPS]) @ weights
                           for start in range(0, len(correlations), _CHUNK_REPS)])


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
    members = (np.arange(2 ** p)[:, None] >> np.arange(p)) & 1
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
    return (half ** 2 @ (beta ** 2)[..., None])[..., 0]


def _covariance(values: np.ndarray, frequency: np.ndarray | None) -> np.ndarray:
    """Covariance matrix of the rows, each counted ``frequency`` times."""
    centred = values - np.average(values, axis=0, weights=frequency)
    weighted = centred if frequency is None else centred * frequency[:, None]
    return centred.T @ weighted / (len(values) if frequency is None else frequency.sum())


def _resampled_covariances(values: np.ndarray, frequency: np.ndarray | None, reps: int,
                           rng: np.random.Generator) -> np.ndarray:
    """Covariance matrices of ``reps`` bootstrap resamples of the rows, shape (reps, columns, columns).

    All replicates share one pass over the data: per block of rows, the rows' pairwise products (a row of ones
    gives counts and sums) are multiplied by the block's resample counts of every replicate in one matrix product.
    """
    n, width = values.shape
    # A row drawn more than 255 times in n draws is impossible in practice (probability about n / 256!).
    counts = np.empty((reps, n), dtype=np.uint8)
    for rep in range(reps):
        counts[rep] = np.bincount(rng.integers(0, n, n), minlength=n)
    # Centred rows keep the sums of products small, so subtracting the squared mean loses no precision.
    rows = np.vstack([np.ones(n), (values - values.mean(axis=0)).T])
    first, second = np.triu_indices(width + 1)
    totals = np.zeros((len(first), reps))
    products = np.empty((len(first), _BLOCK_ROWS))
    for start in range(0, n, _BLOCK_ROWS):
        block = rows[:, start:start + _BLOCK_ROWS]
        size, offset = block.shape[1], 0
        for row in range(width + 1):  # row × itself and every later row, in np.triu_indices order
            np.multiply(block[row:], block[row], out=products[offset:offset + width + 1 - row, :size])
            offset += width + 1 - row
        drawn = counts[:, start:start + _BLOCK_ROWS].T.astype(float)
        if frequency is not None:
            drawn *= frequency[start:start + _BLOCK_ROWS, None]
        totals += products[:, :size] @ drawn
    moments = np.empty((reps, width + 1, width + 1))
    moments[:, first, second] = moments[:, second, first] = totals.T
    mean = moments[:, 0, 1:] / moments[:, :1, 0]
    return moments[:, 1:, 1:] / moments[:, :1, :1] - mean[:, :, None] * mean[:, None, :]


def _complete(frame: pd.DataFrame, outcome: str, drivers: Sequence[str],
              weights: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """The rows with the outcome and every driver (and a positive weight) as a float matrix, outcome first."""
    if not drivers:
        raise ValueError("Name at least one driver.")
    if len(set(drivers)) < len(drivers) or outcome in drivers:
        raise ValueError("Each driver must be named once and must not be the outcome.")
    _check_columns(frame, [outcome, *drivers, *([weights] if weights else [])])
    values = frame[[outcome, *drivers]].to_numpy(dtype=float, na_value=np.nan)
    keep = ~np.isnan(values).any(axis=1)
    frequency = None
    if weights:
        frequency = frame[weights].to_numpy(dtype=float, na_value=np.nan)
        if (frequency < 0).any():
            raise ValueError(f"The weights in '{weights}' must not be negative.")
        keep &= frequency > 0
        frequency = frequency[keep]
    values = values[keep]
    if len(values) < len(drivers) + 2:
        raise ValueError(f"Only {len(values)} complete rows for {len(drivers)} drivers; at least "
                         f"{len(drivers) + 2} are needed.")
    constant = [name for name, column in zip([outcome, *drivers], values.T) if column.min() == column.max()]
    if constant:
        role = "outcome" if constant[0] == outcome else "driver"
        raise ValueError(f"The {role} '{constant[0]}' has the same value in every complete row, so it cannot "
                         "explain or be explained.")
    return values, frequency


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"Unknown method '{method}'; use one of {', '.join(METHODS)}.")


def _check_columns(frame: pd.DataFrame, names: Sequence[str]) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValueError(f"Column '{missing[0]}' is not in the data.")


@dataclass(frozen=True)
class _Coded:
    """Long answers as arrays: touchpoint codes (into ``keys``), outcome scores (NaN on other touchpoints' rows) and
    driver ratings (NaN on the outcome touchpoint's rows)."""

    spots: np.ndarray
    keys: pd.Index
    scores: np.ndarray
    ratings: np.ndarray


def _encode(answers: pd.DataFrame, outcome: str, driver_metric: str, outcome_touchpoint: str,
            binary_threshold: float | None) -> _Coded:
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
    outcome = _means(groups, np.zeros(len(groups), dtype=np.intp), coded.scores, len(index), 1)
    means = _means(groups, coded.spots, coded.ratings, len(index), len(coded.keys))
    rated = ~np.isnan(means).all(axis=0)
    return pd.DataFrame(np.column_stack([outcome, means[:, rated]]), columns=["outcome", *coded.keys[rated]],
                        index=index)


def _means(groups: np.ndarray, columns: np.ndarray, values: np.ndarray, n_groups: int,
           n_columns: int) -> np.ndarray:
    """Mean of ``values`` per (group, column) over the rows with a group and a value; NaN where none."""
    use = (groups >= 0) & (columns >= 0) & ~np.isnan(values)
    cell = groups[use].astype(np.int64) * n_columns + columns[use]
    totals = np.bincount(cell, weights=values[use], minlength=n_groups * n_columns)
    counts = np.bincount(cell, minlength=n_groups * n_columns)
    means = np.divide(totals, counts, out=np.full(len(totals), np.nan), where=counts > 0)
    return means.reshape(n_groups, n_columns)


def _performance(coded: _Coded) -> tuple[pd.Series, pd.Series]:
    """Mean rating and number of ratings per rated touchpoint, over all answers."""
    rated = ~np.isnan(coded.ratings)
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
    index = pd.MultiIndex.from_arrays([segment_values[labels // len(period_values)],
                                       period_values[labels % len(period_values)]], names=[segment, "period"])
    table = _table(coded, cells, index)
    answered = (cells >= 0) & ~np.isnan(coded.scores)
    table["weight"] = np.bincount(cells[answered], minlength=len(index)).astype(float)
    return table[table["outcome"].notna()]


def _select(rows: pd.DataFrame, candidates: Sequence[str], min_coverage: float, unit: str,
            driver_metric: str) -> tuple[list[str], dict[str, str], int]:
    """The candidates rated by at least ``min_coverage`` of the rows and not all alike; the others with a reason;
    and the number of rows that rated every kept one."""
    excluded, covered = {}, []
    for key in candidates:
        coverage = rows[key].notna().mean() if key in rows.columns and len(rows) else 0.0
        if key not in rows.columns or coverage == 0:
            excluded[key] = _("no {metric} ratings").format(metric=driver_metric.upper())
        elif coverage < min_coverage:
            excluded[key] = _("rated by {share:.0f} % of {unit} (< {limit:.0f} %)").format(
                share=coverage * 100, unit=unit, limit=min_coverage * 100)
        else:
            covered.append(key)
    complete = rows[covered].notna().all(axis=1)
    kept = []
    for key in covered:
        values = rows.loc[complete, key]
        if len(values) and values.min() == values.max():
            excluded[key] = _("every rating was {value:g}, so it cannot explain differences").format(
                value=values.min())
        else:
            kept.append(key)
    return kept, excluded, int(rows[kept].notna().all(axis=1).sum()) if kept else 0


def _respondent_note(complete: int, several: int, total: int, left_out: int) -> str:
    return _("{complete} of the {several} respondents who rated two or more touchpoints (of {total} with an "
             "outcome score) answered every kept touchpoint; the others (a touchpoint skipped or not applicable to "
             "them) are left out rather than guessed, and so are those who rated a single touchpoint.").format(
        complete=complete, several=several, total=total) + _left_out(left_out)


def _cells_note(segment: str, period: str, cells: int, left_out: int) -> str:
    return _("Too few respondents rated every touchpoint (or the answers carry no respondent ids) for a "
             "respondent-level model, so each row is a {segment}-{period} cell ({cells} cells with every kept touchpoint rated, each weighted by its number "
             "of outcome answers): the importance says which touchpoints' averages move with the outcome's average "
             "across cells — an association between groups, coarser than a respondent-level model.").format(
        segment=segment, period=period, cells=cells) + _left_out(left_out)


def _left_out(count: int) -> str:
    return " " + ngettext("{count} touchpoint was left out: rated too rarely or always alike.",
                          "{count} touchpoints were left out: rated too rarely or always alike.",
                          count).format(count=count) if count else ""


def _reason(row, name: str, has_target: bool) -> str:
    """'Checkout explains 31 % of the explained variance and scores 3.6 against a target of 4.0.'"""
    against = _("a target of {value:.1f}") if has_target else _("an average of {value:.1f}")
    return _("{touchpoint} explains {share:.0f} % of the explained variance and scores {performance:.1f} against "
             "{reference}.").format(touchpoint=name, share=row.share * 100, performance=row.performance,
                                    reference=against.format(value=row.reference))


def _plain(value):
    """A JSON-safe scalar: numpy numbers as Python numbers, NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value
