"""Fast filtered aggregation of survey answers (Parquet dataset versions) into per-group statistics and estimates.

polars scans the files lazily, so only the needed columns are read and the filters run inside the scan; the raw
answers become sufficient statistics per group in one pass, and ``metrics.estimate_frame`` turns the small result
into estimates. Results can be cached under a key that includes every file's size and mtime.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from workbench.core import access, metrics
from workbench.core.contract import (
    METRICS,  # the answer table's scores: NPS, CSAT, CES, stars, rating
    REPLY_COLUMNS,
    SURVEY_COLUMNS,
)
from workbench.core.i18n import gettext as _
from workbench.data import summaries

if TYPE_CHECKING:
    import diskcache
    import pandas

PERIODS = {"week": "1w", "month": "1mo", "quarter": "1q"}  # polars truncation: weeks start on Monday (ISO)
_NOT_GROUPS = {"ts", "response_id", "comment", *REPLY_COLUMNS, *METRICS}  # never a group or a filter


@dataclass(frozen=True)
class Query:
    """Which answers to aggregate (files, date range, filters) and how to group them."""

    sources: tuple[str, ...]
    by: tuple[str, ...] = ("touchpoint",)
    period: str = "month"
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # One metric (NPS, a mean or the rating) whose statistics and estimates alone are wanted; None for all and the
    # index. A break search over 400 000 branch × month groups reads and estimates a fifth of the columns.
    metric: str | None = None
    # The whole network as a benchmark beyond a scoped reader's own rows (see :func:`limited`): one line by
    # touchpoint and period, never split by a segment, of a network large enough that it hides each member.
    network: bool = False

    def __post_init__(self) -> None:
        if self.metric is not None and self.metric not in METRICS:
            raise ValueError(
                _("Unknown metric '{metric}'; use one of {metrics}.").format(
                    metric=self.metric, metrics=", ".join(METRICS)
                )
            )
        if self.period not in PERIODS:
            raise ValueError(
                _("Unknown period '{period}'; use one of {periods}.").format(
                    period=self.period, periods=", ".join(PERIODS)
                )
            )
        if not self.sources:
            raise ValueError(_("A query needs at least one dataset file."))

    def key(self) -> str:
        """Stable cache key; it includes each file's size and mtime so a replaced file is never served stale, and
        the scope of the person asking (``core.access``), so no cache serves one member's rows to another."""
        spec = {
            "sources": [_signature(path) for path in self.sources],
            "by": list(self.by),
            "period": self.period,
            "from": str(self.date_from),
            "to": str(self.date_to),
            "filters": sorted([column, sorted(values)] for column, values in limited(_checked(self)).filters),
            "metric": self.metric,
            "network": self.network,
            # The reader's own scope too: a network query's rows are everyone's, but what is built from them (a
            # leaderboard names the reader's own value and no other) differs from one reader to the next.
            "reader": scope_key(self.sources),
        }
        return hashlib.sha256(json.dumps(spec).encode()).hexdigest()


def aggregate(
    query: Query,
    cache: diskcache.Cache | None = None,
    *,
    min_n: int = metrics.DEFAULT_MIN_N,
    confidence: float = metrics.DEFAULT_CONFIDENCE,
    weights: Mapping[str, float] | None = None,
) -> pandas.DataFrame:
    """One row per group (sorted): group columns, answers, sufficient statistics and every metric's estimate.

    A scoped member's :attr:`Query.network` query may group by their scope's segment columns (a leaderboard's
    network): every row is read, and the values outside their scope come back under pseudonyms (:func:`_masked`).
    """
    masked = _masked_columns(query) if query.network else ()
    if masked:
        allowed = dict(access.current().filters(query.sources[0]) or ())
        whole = replace(limited(_checked(query)), by=query.by, network=False)
        with access.acting(replace(access.current(), rows={})):  # every row read, to be masked just below
            found = aggregate(whole, cache, min_n=min_n, confidence=confidence, weights=weights)
        return _masked(found, masked, allowed, min_n)
    if query.network and scoped_columns(query.sources):
        return _hidden_line(query, cache, min_n=min_n, confidence=confidence, weights=weights)
    # The key holds the reader's limits (Query.key) and _statistics reads within them (limited): not narrowed here.
    if cache is not None:
        key = f"aggregate:{query.key()}:{min_n}:{confidence!r}:{json.dumps(weights and sorted(weights.items()))}"
        hit = cache.get(key)
        if hit is not None:
            return hit
    result = metrics.estimate_frame(_statistics(query), confidence, min_n, weights, only=query.metric)
    if cache is not None and len(result) <= CACHED_ROWS:
        cache.set(key, result)
    return result


# Larger results (a break search's touchpoint × month × branch statistics: 400 000 rows at 1.5 M answers) take
# longer to pickle into the cache and read back than to aggregate again; what is built from them is cached.
CACHED_ROWS = 200_000


def limited(query: Query) -> Query:
    """``query`` narrowed to the rows of its files the current access may read (a scoped member's, see
    ``core.access.Scope``): the scope's filters intersected with the query's own. Every read of answers passes
    here, so a page, an export or a forged filter gets no row outside the scope.

    A :attr:`Query.network` query of a scoped member keeps only their touchpoints (an owner scope's) and reads every
    segment value: it is refused unless it is one line by touchpoint and period, unfiltered by segment, over at
    least :data:`NETWORK_MEMBERS` values of each scoped column (a network of two branches would show the other's).
    """
    current = access.current()
    if not current.rows:
        return query
    found = {current.filters(path) for path in query.sources}
    if found == {None}:
        return query
    if len(found) > 1:  # files of a scoped and another project, or of two scopes: no single rule to apply
        raise access.AccessRefused(_("These datasets cannot be read together."))
    [scope] = found
    scope = scope or ()
    if query.network:
        if set(query.by) - _NETWORK_GROUPS or any(column != "touchpoint" for column, _v in query.filters):
            raise access.AccessRefused(_("The network benchmark is one line, by touchpoint and period only."))
        for column, _values in scope:
            if column != "touchpoint" and len(_all_values(query.sources, column)) < NETWORK_MEMBERS:
                raise access.AccessRefused(
                    _("The network has too few {column} values to show it without showing others.").format(
                        column=column
                    )
                )
        scope = tuple((column, values) for column, values in scope if column == "touchpoint")
    filters = {column: tuple(values) for column, values in query.filters}
    for column, allowed in scope:
        filters[column] = tuple(v for v in filters[column] if v in allowed) if column in filters else tuple(allowed)
    return replace(query, filters=tuple(filters.items()))


NETWORK_MEMBERS = 5  # the fewest values of a scoped column a network benchmark is shown over
_NETWORK_GROUPS = {"touchpoint", "period"}
_PSEUDONYM_KEY = secrets.token_bytes(16)  # per process: a pseudonym cannot be computed from a guessed name


def _masked_columns(query: Query) -> tuple[str, ...]:
    """The columns of a network query's grouping that are a scoped reader's segment columns (with the respondent,
    for a cluster-robust test), which :func:`aggregate` masks; () when there are none or the reader is unscoped."""
    filters = access.current().filters(query.sources[0])
    scoped = {column for column, _values in filters or () if column != "touchpoint"}
    if not scoped or not scoped <= set(query.by):  # grouped by one column of two, a named row would hold others'
        return ()
    return tuple(c for c in query.by if c in scoped or c == "respondent_id")


def _checked(query: Query) -> Query:
    """What :func:`limited` checks of a query: a network query that :func:`aggregate` masks without its masked
    columns (as a benchmark line), any other as it is."""
    if not query.network or not (masked := _masked_columns(query)):
        return query
    return replace(query, by=tuple(c for c in query.by if c not in masked))


def _masked(
    found: pandas.DataFrame, columns: Sequence[str], allowed: Mapping[str, Sequence[str]], min_n: int
) -> pandas.DataFrame:
    """The rows of a network aggregate with every value outside the reader's scope under a pseudonym: 'another
    branch · 4f0c' (a keyed hash: the same within this process, not computable from a name); respondents outside
    the scope likewise. Another value with fewer than ``min_n`` answers in the query is left out (one customer's
    score would show), and the whole is refused when fewer than :data:`NETWORK_MEMBERS` others remain."""
    found = found.copy()
    groups = [c for c in columns if c in allowed]  # the scope's columns: never empty (_masked_columns)
    inside = found[groups].isin({column: list(allowed[column]) for column in groups}).all(axis=1)
    totals = found.groupby(groups, dropna=False)["answers"].transform("sum")
    kept = inside | (totals >= min_n)
    others = found.loc[kept & ~inside, groups].drop_duplicates()
    if len(others) < NETWORK_MEMBERS:
        raise access.AccessRefused(_("The network has too few answered values here to show it without showing others."))
    found, inside = found[kept].reset_index(drop=True), inside[kept].reset_index(drop=True)
    for column in columns:
        label = _("another {column}").format(column=column)
        found[column] = [
            value if keep or value is None else f"{label} · {_pseudonym(str(value))}"
            for value, keep in zip(found[column].astype("object"), inside, strict=True)
        ]
    return found


def _hidden_line(query: Query, cache, **options) -> pandas.DataFrame:
    """A scoped reader's network line (:func:`aggregate` of a network query not grouped by their segments): every
    row, each group (a touchpoint, a month) left out unless at least :data:`NETWORK_MEMBERS` values of each scoped
    column answered in it, so no cell of the line is another branch's alone."""
    scoped = sorted(scoped_columns(query.sources))
    whole = replace(limited(query), network=False)
    with access.acting(replace(access.current(), rows={})):  # every row read; the thin groups are left out below
        found = aggregate(whole, cache, **options)
        split = aggregate(replace(whole, by=(*whole.by, *scoped), metric=None), cache, **options)
    split = split[split["answers"] > 0]
    keys = list(whole.by)
    if not keys:
        wide = all(split[column].nunique() >= NETWORK_MEMBERS for column in scoped)
        return found if wide else found.iloc[0:0]
    members = split.groupby(keys, dropna=False)[scoped].nunique()
    wide = members[(members >= NETWORK_MEMBERS).all(axis=1)].reset_index()[keys]
    return found.merge(wide, on=keys, how="inner")


def _pseudonym(value: str) -> str:
    return hmac.new(_PSEUDONYM_KEY, value.encode(), "sha256").hexdigest()[:6]


def is_scoped(sources: Sequence[str]) -> bool:
    """Whether the current reader sees only part of these files' rows (a scoped member)."""
    current = access.current()
    return any(current.filters(path) is not None for path in sources)


def scoped_columns(sources: Sequence[str]) -> set[str]:
    """The segment columns the current reader's scope limits in these files (none for a reader of every row)."""
    current = access.current()
    return {column for path in sources for column, _values in current.filters(path) or () if column != "touchpoint"}


def _all_values(sources: Sequence[str], column: str) -> list[str]:
    """The values of a column over every row of the files, whoever reads: only counted (:func:`limited`)."""
    return sorted({v for path in sources for v in _file_values(*_signature(path), column, ())})


def scope_key(sources: Sequence[str]) -> str:
    """The current access's row filters of ``sources`` as text, for a cache key of what is built from them without
    a :class:`Query` ('' when they are read whole)."""
    current = access.current()
    return json.dumps([current.filters(path) for path in sources]) if current.rows else ""


def describe_filters(filters: Sequence[tuple[str, Sequence[str]]]) -> str:
    """Segment filters in words: 'region Praha, Mazowsze · channel web' ('' for none)."""
    return " · ".join(f"{column} {', '.join(values)}" for column, values in filters)


def columns(sources: Sequence[str]) -> list[str]:
    """Column names over the files in first-seen order, from the Parquet schemas only."""
    names: dict[str, None] = {}
    for path in sources:
        names.update(dict.fromkeys(_schema(*_signature(path))))
    return list(names)


def date_bounds(sources: Sequence[str]) -> tuple[datetime.date, datetime.date] | None:
    """First and last answer day over the files (Parquet statistics), or None when they hold no answers."""
    bounds = [b for b in (_file_bounds(*_signature(path)) for path in sources) if b is not None]
    if not bounds:
        return None
    return min(low for low, _high in bounds), max(high for _low, high in bounds)


def segment_values(sources: Sequence[str], column: str) -> list[str]:
    """Sorted distinct non-null values of a segment (or touchpoint) column over the files."""
    if column not in columns(sources):
        raise ValueError(
            _("Unknown column '{column}'; the data has: {columns}.").format(
                column=column, columns=", ".join(columns(sources))
            )
        )
    values: set[str] = set()
    current = access.current()
    for path in sources:
        values.update(_file_values(*_signature(path), column, current.filters(path) or ()))
    return sorted(values)


def statistic_columns(result: pandas.DataFrame) -> list[str]:
    """The sufficient-statistic columns of an aggregate result (they add up over any split of a group)."""
    return [name for name in result.columns if name in _ADDITIVE]


def rollup(
    result: pandas.DataFrame,
    by: Sequence[str],
    *,
    min_n: int = metrics.DEFAULT_MIN_N,
    confidence: float = metrics.DEFAULT_CONFIDENCE,
    weights: Mapping[str, float] | None = None,
) -> pandas.DataFrame:
    """An aggregate result summed to coarser groups ``by`` (no group: one total row), with fresh estimates (of its
    metric alone for a one-metric query's result)."""
    import pandas as pd

    stats = statistic_columns(result)
    if by:
        summed = result.groupby(list(by), sort=True, dropna=False)[stats].sum().reset_index()
    else:  # one total row (none for no rows): plain column sums, a fraction of a groupby's cost for a change point
        summed = pd.DataFrame({name: result[name].to_numpy().sum(keepdims=True) for name in stats})[: len(result)]
    return metrics.estimate_frame(summed, confidence, min_n, weights, only=_one_metric(result))


def _one_metric(result: pandas.DataFrame) -> str | None:
    """The metric of a one-metric query's result (``Query.metric``); None for a full one, which has the index."""
    found = [name for name in METRICS if name in result.columns]
    return found[0] if len(found) == 1 and "index" not in result.columns else None


def rest(
    result: pandas.DataFrame,
    totals: pandas.DataFrame,
    on: Sequence[str],
    *,
    min_n: int = metrics.DEFAULT_MIN_N,
    confidence: float = metrics.DEFAULT_CONFIDENCE,
    weights: Mapping[str, float] | None = None,
    only: str | None = None,
) -> pandas.DataFrame:
    """Everyone else than each group of ``result`` within its ``totals`` row (matched on ``on``), estimated
    (``only``: one metric's estimates, see ``metrics.estimate_frame``).

    ``result`` and ``totals`` are aggregate results (group columns first, then the statistics); the answer has
    the group columns of ``result`` and the statistics of the total minus the group.
    """
    stats = statistic_columns(result)
    groups = list(result.columns[: list(result.columns).index("answers")])
    total = result[list(on)].merge(totals[[*on, *stats]], on=list(on), how="left")
    import pandas as pd

    differences = pd.DataFrame(
        {name: total[name].to_numpy() - result[name].to_numpy() for name in stats}, index=result.index
    )
    return metrics.estimate_frame(
        pd.concat([result[groups], differences], axis=1), confidence, min_n, weights, only=only or _one_metric(result)
    )


def distribution(query: Query, metric: str) -> pandas.DataFrame:
    """How many answers gave each score of ``metric``, per group of the query (period grouping allowed)."""
    import polars as pl

    if metric not in METRICS:
        raise ValueError(
            _("Unknown metric '{metric}'; use one of {metrics}.").format(metric=metric, metrics=", ".join(METRICS))
        )
    data, measured = _scan(query)
    if metric not in measured:
        return _empty_frame([*query.by, "score", "answers"])
    keys = [*query.by, "score"]
    frame = (
        data.filter(pl.col(metric).is_not_null())
        .with_columns(pl.col(metric).alias("score"))
        .group_by(keys)
        .agg(pl.len().alias("answers"))
        .sort(keys)
        .collect()
    )
    result = frame.with_columns(pl.col("answers").cast(pl.Int64)).to_pandas()
    if "period" in query.by:
        result["period"] = _dates(result["period"])
    return result


def comments(query: Query, limit: int = 20) -> pandas.DataFrame:
    """The newest answers with a comment (newest first): time, group columns, scores and the comment."""
    names = set(columns(query.sources))
    if "comment" not in names:
        return _empty_frame(["ts", *query.by, *METRICS, "comment"])
    data, measured = _scan(query, ("ts", "comment"))
    frame = _commented(data).sort("ts", descending=True).head(limit).collect()
    keep = ["ts", *[name for name in query.by if name != "period"], *measured, "comment"]
    return frame.select(keep).to_pandas()


def answers(
    query: Query, extra: Sequence[str] = (), *, with_comment: bool = False, categories: Sequence[str] = ()
) -> pandas.DataFrame:
    """The filtered raw answers, oldest first: the query's group columns, the metrics and the ``extra`` columns.

    For analyses that need respondent- or answer-level rows (drivers, verbatims, alerts); columns a file lacks
    come back as nulls, and ``with_comment`` keeps only answers with a non-blank comment. The ``categories``
    columns come back as pandas categories in sorted order (codes then sort as the texts do): a million texts of a
    few dozen values are read and grouped in a fraction of the time.
    """
    import polars as pl

    data, _measured = _scan(query, list(dict.fromkeys(("ts", *extra, *(("comment",) if with_comment else ())))))
    if with_comment:
        data = _commented(data)
    if categories:
        data = data.with_columns(pl.col(list(categories)).cast(pl.Categorical))
    frame = data.sort("ts", maintain_order=True).collect().to_pandas()
    for name in categories:
        frame[name] = frame[name].cat.reorder_categories(sorted(frame[name].cat.categories))
    return frame


def table(path: str, names: Sequence[str]) -> pandas.DataFrame:
    """The named columns of every row of one dataset file as stored (a KPI table), those of a scoped member's rows
    only (none when the file lacks a column of their scope)."""
    import polars as pl

    frame = _within(pl.scan_parquet(path), _schema(*_signature(path)), access.current().filters(path) or ())
    return frame.select(list(names)).collect().to_pandas()


def parents(sources: Sequence[str], names: Sequence[str]) -> dict[str, str]:
    """Segment nesting found in the data: each column that determines a coarser one (branch → region) and it.

    A column *A* is the parent of *B* when every value of *B* occurs with exactly one value of *A* and *A* has
    fewer values; of several such columns the one with the most values (the nearest level) is the parent. Kept per
    dataset version (the files' signatures) in this process: it reads the whole of every segment column.
    """
    present = [name for name in names if name in set(columns(sources))]
    if len(present) < 2:
        return {}
    known = summaries.nesting(sources[0]) if len(sources) == 1 and summaries.is_current(sources[0]) else None
    if known is None or not set(present) <= set(known[0]):  # a summary holds the answer for its text segments
        known = _nesting(tuple(_signature(path) for path in sources), tuple(present))
    return _nearest(present, *known)


def _nearest(present: Sequence[str], distinct: Mapping[str, int], candidates: Mapping[str, list[str]]) -> dict:
    """Each column's parent among ``present``: of the columns it nests in, the one with the most values."""
    result = {}
    for child in present:
        fitting = [parent for parent in candidates.get(child, ()) if parent in present]
        if fitting:
            result[child] = max(fitting, key=lambda name: distinct[name])
    return result


@lru_cache(maxsize=64)
def _nesting(
    signatures: tuple[tuple[str, int, int], ...], present: tuple[str, ...]
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """The distinct values of each column and, for each, the columns it nests in (each of its values occurs with
    one value of the other, which has fewer, at least two): what :func:`parents` chooses from. Whether a column
    nests in another depends on those two columns only, so the answer for any subset of ``present`` is in it."""
    import polars as pl

    sources = [path for path, _size, _mtime in signatures]
    frames = []
    for path in sources:
        schema = _schema(*_signature(path))
        frames.append(
            pl.scan_parquet(path).select(
                [pl.col(n).cast(pl.String) if n in schema else pl.lit(None, pl.String).alias(n) for n in present]
            )
        )
    pairs = pl.concat(frames).unique().collect()
    distinct = {name: pairs[name].drop_nulls().n_unique() for name in present}
    candidates: dict[str, list[str]] = {}
    for child in present:
        for parent in present:
            if parent == child or distinct[parent] >= distinct[child] or distinct[parent] < 2:
                continue
            known = pairs.filter(pl.col(child).is_not_null() & pl.col(parent).is_not_null())
            if known.height and known.group_by(child).agg(pl.col(parent).n_unique().alias("k"))["k"].max() == 1:
                candidates.setdefault(child, []).append(parent)
    return distinct, candidates


# ------------------------------------------------------------------ internals


_ADDITIVE = {
    "answers",
    "nps_n",
    "promoters",
    "passives",
    "detractors",
    *(f"{m}_{s}" for m in (*metrics.MEANS, "rating") for s in ("n", "sum", "sumsq", "top")),
    *(name for pair in metrics.CROSS_PAIRS for name in metrics.cross_columns(*pair)),  # the index's covariances
}


def _empty_frame(names: Sequence[str]) -> pandas.DataFrame:
    import pandas as pd

    return pd.DataFrame({name: [] for name in names})


def _signature(path: str) -> tuple[str, int, int]:
    """Absolute path, size and mtime: what identifies one version of a file."""
    stat = os.stat(path)
    return os.path.abspath(path), stat.st_size, stat.st_mtime_ns


# The per-file helpers take the signature, so a replaced file misses the memo instead of serving stale answers.
@lru_cache(maxsize=512)
def _schema(path: str, size: int, mtime_ns: int) -> dict:
    import polars as pl

    return dict(pl.read_parquet_schema(path))


@lru_cache(maxsize=512)
def _file_bounds(path: str, size: int, mtime_ns: int) -> tuple[datetime.date, datetime.date] | None:
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(path)
    index = metadata.schema.names.index("ts")
    lows, highs = [], []
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        statistics = row_group.column(index).statistics
        if row_group.num_rows == 0:
            continue
        if statistics is None or not statistics.has_min_max:
            return _scanned_bounds(path)  # a writer left out statistics: read the column instead
        lows.append(statistics.min)
        highs.append(statistics.max)
    return (min(lows).date(), max(highs).date()) if lows else None


def _scanned_bounds(path: str) -> tuple[datetime.date, datetime.date] | None:
    import polars as pl

    low, high = pl.scan_parquet(path).select(pl.col("ts").min(), pl.col("ts").max()).collect().row(0)
    return None if low is None else (low.date(), high.date())


@lru_cache(maxsize=512)
def _file_values(path: str, size: int, mtime_ns: int, column: str, filters: access.Filters) -> tuple[str, ...]:
    """The distinct values of ``column`` in a file, among the rows passing ``filters`` (a scope's)."""
    import polars as pl

    schema = _schema(path, size, mtime_ns)
    if column not in schema:
        return ()
    frame = _within(pl.scan_parquet(path), schema, filters)
    return tuple(frame.select(pl.col(column).drop_nulls().unique().cast(pl.String)).collect().to_series().to_list())


def _within(frame, schema: Mapping, filters: access.Filters):
    """A lazy frame of one file narrowed to the rows passing a scope's ``filters``; none when the file lacks one of
    their columns (a file without the scope's column holds no row of it)."""
    import polars as pl

    if any(column not in schema for column, _values in filters):
        return frame.head(0)
    return frame.filter(*(pl.col(c).cast(pl.String).is_in(list(values)) for c, values in filters)) if filters else frame


def _commented(data):
    """The answers of a lazy frame whose comment is not blank."""
    import polars as pl

    return data.filter(pl.col("comment").is_not_null() & (pl.col("comment").str.strip_chars() != ""))


def _scan(query: Query, extra: Sequence[str] = ()):
    """The filtered answers of all sources as one lazy frame: group keys, metrics and ``extra`` columns."""
    import polars as pl

    query = limited(query)
    schemas = [_schema(*_signature(path)) for path in query.sources]
    available = {name for schema in schemas for name in schema}
    for role, names in (("group", query.by), ("filter", [column for column, _values in query.filters])):
        for name in names:
            if (name not in available or name in _NOT_GROUPS) and not (role == "group" and name == "period"):
                known = ", ".join(sorted(available - _NOT_GROUPS))
                raise ValueError(
                    _("Unknown group column '{column}'; the data has: {columns} and 'period'.").format(
                        column=name, columns=known
                    )
                    if role == "group"
                    else _("Unknown filter column '{column}'; the data has: {columns}.").format(
                        column=name, columns=known
                    )
                )
    keys = [name for name in query.by if name != "period"]
    measured = [m for m in METRICS if m != "rating" or "rating" in available]
    extra = [name for name in extra if name not in keys and name not in measured]
    frames = []
    for path, schema in zip(query.sources, schemas):
        if any(column not in schema for column, _values in query.filters):
            continue  # a version without a filtered column has no answers that pass the filter
        predicates = [pl.col(column).is_in(list(values)) for column, values in query.filters]
        if query.date_from is not None:
            predicates.append(pl.col("ts") >= datetime.datetime.combine(query.date_from, datetime.time()))
        if query.date_to is not None:
            end = datetime.datetime.combine(query.date_to + datetime.timedelta(days=1), datetime.time())
            predicates.append(pl.col("ts") < end)
        frame = pl.scan_parquet(path)
        # Versions may lack a metric or segment column: typed nulls (as tall as the file) keep the union aligned.
        missing = [pl.lit(None, pl.String).alias(name) for name in keys + extra if name not in schema]
        missing += [
            pl.lit(None, pl.Float64 if m == "rating" else pl.Int8).alias(m) for m in measured if m not in schema
        ]
        selected: list[str | pl.Expr] = [*keys, *measured, *extra]
        if "period" in query.by:
            selected.append(pl.col("ts").dt.truncate(PERIODS[query.period]).dt.date().alias("period"))
        frame = frame.filter(*predicates) if predicates else frame
        frames.append((frame.with_columns(missing) if missing else frame).select(selected))
    return pl.concat(frames, how="vertical_relaxed"), measured  # never empty: every filter column is in some file


def _statistics(query: Query) -> pandas.DataFrame:
    """Sufficient statistics per group: summed from the dataset versions' summaries when the query fits them
    (whole months, one segment column and its parents), else scanned from the answers."""
    query = limited(query)
    if not summaries.fits(query):
        return scanned_statistics(query)
    for path in query.sources:
        if summaries.is_current(path):
            continue
        if summaries.writing(path):  # just imported: its summary is on the way, and one writer is enough
            return scanned_statistics(query)
        try:  # a file from before summaries, or restored: summarised once, then read
            if summarise(path) is None:  # nothing to summarise (no touchpoints or times)
                return scanned_statistics(query)
        except OSError:  # a read-only folder: the scan answers
            return scanned_statistics(query)
    summed = summaries.statistics(query)
    return statistics_frame(summed, query.by) if summed is not None else scanned_statistics(query)


def summarise(path: str | os.PathLike) -> str | None:
    """Write the summary of survey file ``path`` (``workbench.data.summaries``): statistics per touchpoint × month,
    alone and per text segment column with the columns it nests in; return the summary's path (None for a file
    without touchpoints and times, which has nothing to summarise)."""
    import polars as pl
    import pyarrow.parquet as pq

    path = str(path)
    schema = pq.read_schema(path)
    if "touchpoint" not in schema.names or "ts" not in schema.names:
        return None
    # Text segments only: a numeric one would come back as text; and none named as the summary's own columns (a
    # client's "period" column): the scan serves those.
    own = {*SURVEY_COLUMNS, "period", summaries.LEVEL}
    segments = [name for name in schema.names if name not in own and _is_text(schema.field(name).type)]
    found = _nesting((_signature(path),), tuple(segments)) if segments else ({}, {})
    nesting = _nearest(segments, *found)
    levels = {"": [], **{column: _chain(column, nesting) for column in segments}}
    # One plan per level, run together: polars shares the work between them (six levels of 1.5 M answers: 1.3 s;
    # one after another 1.5 s; summing the levels out of the finest groups 3.6 s).
    plans = [
        grouped_statistics(Query((path,), by=("touchpoint", "period", *columns), period="month"))
        for columns in levels.values()
    ]
    return str(summaries.write(path, levels, pl.collect_all(plans), found))


def _chain(column: str, nesting: Mapping[str, str]) -> list[str]:
    """``column`` and the coarser columns it nests in (branch, region)."""
    chain = [column]
    while chain[-1] in nesting and nesting[chain[-1]] not in chain:
        chain.append(nesting[chain[-1]])
    return chain


def _is_text(kind) -> bool:
    """Whether an Arrow type holds text."""
    import pyarrow as pa

    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind)


def scanned_statistics(query: Query) -> pandas.DataFrame:
    """Sufficient statistics per group, computed by polars in one pass over the answers' needed columns."""
    return statistics_frame(grouped_statistics(query).collect(), query.by)


def grouped_statistics(query: Query):
    """The polars plan (a LazyFrame) of :func:`scanned_statistics`: statistics per group, unsorted."""
    data, measured = _scan(query)
    aggregations = _aggregations("rating" in measured, {m for m in metrics.MEANS if m not in columns(query.sources)})
    if query.metric is not None:
        wanted = metrics.statistic_names(query.metric)
        aggregations = [a for a in aggregations if a.meta.output_name() in wanted]
    return data.group_by(list(query.by)).agg(aggregations) if query.by else data.select(aggregations)


def statistics_frame(frame, by: Sequence[str]) -> pandas.DataFrame:
    """A polars frame of statistics per group as the engine returns it: sorted by ``by``, counts as Int64,
    periods as dates."""
    import polars as pl

    if by:
        frame = frame.sort(list(by), nulls_last=True)
    counts = [name for name, dtype in frame.schema.items() if dtype.is_integer()]
    frame = frame.with_columns(pl.col(counts).cast(pl.Int64)).to_pandas()
    if "period" in by:
        frame["period"] = _dates(frame["period"])
    return frame


def _dates(stamps: pandas.Series):
    """Timestamps as date objects (NaT stays NaT), one object per distinct day: a frame of 300 000 rows over 36
    months then pickles into the cache in a tenth of the time (pickle writes a repeated object once)."""
    import numpy as np
    import pandas as pd

    codes, days = pd.factorize(stamps)
    return np.append(np.asarray(days.date, dtype=object), [pd.NaT])[codes]  # code −1 (NaT) takes the last


def _aggregations(rating: bool, absent: set[str] | frozenset[str] = frozenset()) -> list:
    """Counts, sums and sums of squares per metric and cross-products per pair of metrics; comparisons of a null
    answer are null and so never counted. The statistics of the ``absent`` metrics (no file has them: a survey's
    review stars) are zeros, written without a pass over a column of nulls."""
    import polars as pl

    zero = pl.lit(0, pl.Int64)

    nps = pl.col("nps")
    aggregations = [
        pl.len().alias("answers"),
        nps.count().alias("nps_n"),
        (nps >= metrics.PROMOTER_AT).sum().alias("promoters"),
        nps.is_between(metrics.DETRACTOR_AT + 1, metrics.PROMOTER_AT - 1).sum().alias("passives"),
        (nps <= metrics.DETRACTOR_AT).sum().alias("detractors"),
    ]
    for metric, top in ((m, metrics.TOP_BOX[m]) for m in metrics.MEANS):
        if metric in absent:
            aggregations += [zero.alias(f"{metric}_{part}") for part in ("n", "sum", "sumsq", "top")]
            continue
        score = pl.col(metric).cast(pl.Int16)  # int8 squares would overflow beyond 11
        aggregations += [
            score.count().alias(f"{metric}_n"),
            score.sum().alias(f"{metric}_sum"),
            (score * score).sum().alias(f"{metric}_sumsq"),
            (score >= top).sum().alias(f"{metric}_top"),
        ]
    # Cross-products of each pair of metrics over the rows that answered both: the index's covariances.
    scores = {m: pl.col(m).cast(pl.Int64) for m in metrics.MEANS}
    scores["nps"] = 100 * ((nps >= metrics.PROMOTER_AT).cast(pl.Int64) - (nps <= metrics.DETRACTOR_AT).cast(pl.Int64))
    answered = {m: score.is_not_null().cast(pl.Int64) for m, score in scores.items()}
    for a, b in metrics.CROSS_PAIRS:
        n, total_a, total_b, product = metrics.cross_columns(a, b)
        if {a, b} & absent:
            aggregations += [zero.alias(name) for name in (n, total_a, total_b, product)]
            continue
        # A product with a null answer is null, which sum() skips: so each sum runs over the rows answering both.
        aggregations += [
            (answered[a] * answered[b]).sum().alias(n),
            (scores[a] * answered[b]).sum().alias(total_a),
            (scores[b] * answered[a]).sum().alias(total_b),
            (scores[a] * scores[b]).sum().alias(product),
        ]
    if rating:
        score = pl.col("rating")
        aggregations += [
            score.count().alias("rating_n"),
            score.sum().alias("rating_sum"),
            (score * score).sum().alias("rating_sumsq"),
        ]
    return aggregations
