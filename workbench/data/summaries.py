"""Per dataset version, the answers' sufficient statistics per touchpoint × month × segment, kept beside the file.

A survey of 20 M answers has about 400 000 touchpoint × month × branch groups: a month-aligned query (the filter
bar's default window, the break search's history, the trend) sums those instead of scanning the answers. One
summary file ``<dataset>.summary.parquet`` holds a *level* per segment column (touchpoint, month, the column and
the coarser columns it nests in: branch with its region) and one of touchpoint × month alone. It records the
size and modification time of the file it summarises and is used only while they match; the query engine
writes it (``query.summarise``) when a survey is committed or, for a file without one (a restored backup, a
workspace from before summaries), when the first query that could use it comes.

The statistics are the query engine's own; they add up over any split of a group, so a
sum over the summary's rows gives the same integers as the scan (and ratings' float sums to rounding).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.metrics import RATINGS, statistic_names
from workbench.data import beside

if TYPE_CHECKING:
    import polars

    from workbench.data.query import Query

SUFFIX = beside.KINDS[0]
LEVEL = "_level"  # which segment column a summary row is grouped by ("" for touchpoint × month alone)
_LEVELS_KEY = b"cxwb.levels"  # JSON: each level and the segment columns its rows are grouped by
_NESTING_KEY = b"cxwb.nesting"  # JSON: the text segments' distinct values and the columns each nests in
# Every summary holds each rated metric's statistics (zero where the file lacks the metric): one written before a
# metric joined the registry (review stars) lacks its columns and is written again.
_STATISTICS = frozenset(name for metric in RATINGS for name in statistic_names(metric))


def path_for(source: str | Path) -> Path:
    """Where the summary of dataset file ``source`` is kept."""
    return beside.path_for(source, SUFFIX)


def write(
    source: str | Path,
    levels: dict[str, list[str]],
    frames: Sequence,
    nesting: tuple[dict[str, int], dict[str, list[str]]] = ({}, {}),
) -> Path:
    """Write the summary of ``source`` from its ``levels`` (level → its segment columns) and their statistics
    (polars frames, one per level, grouped by touchpoint, month and the level's columns), with the segments'
    ``nesting`` (distinct values, and the columns each nests in: ``query.parents`` reads it); return its path."""
    import polars as pl
    import pyarrow as pa

    segments = list(dict.fromkeys(column for columns in levels.values() for column in columns))
    labelled = [frame.select(pl.lit(level).alias(LEVEL), pl.all()) for level, frame in zip(levels, frames, strict=True)]
    groups = [LEVEL, "touchpoint", "period", *segments]
    # Sorted by level, touchpoint and month, so that a query's filters skip most row groups on their statistics.
    merged = pl.concat(labelled, how="diagonal_relaxed").sort([LEVEL, "touchpoint", "period"], maintain_order=True)
    table = merged.select(*groups, *(name for name in merged.columns if name not in groups)).to_arrow()
    for name in (LEVEL, "touchpoint", *segments):  # plain strings (polars hands over string views)
        table = table.set_column(table.column_names.index(name), name, table[name].cast(pa.string()))
    metadata = {_LEVELS_KEY: json.dumps(levels).encode(), _NESTING_KEY: json.dumps(nesting).encode()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    return beside.write(table, source, SUFFIX, row_group_size=16 * 1024)


def fits(asked: Query) -> bool:
    """Whether a query could be summed from summaries: it groups by month (or not by period) over whole months."""
    if "period" in asked.by and asked.period != "month":
        return False
    if asked.date_from is not None and asked.date_from.day != 1:
        return False
    return asked.date_to is None or (asked.date_to + datetime.timedelta(days=1)).day == 1


def statistics(asked: Query) -> polars.DataFrame | None:
    """The statistics of ``asked`` summed from the sources' summaries (a polars frame, one row per group, in no
    order: ``query.statistics_frame`` gives it the engine's shape), or None when the query does not fit them.

    It fits when it groups by month (or not by period), its dates are whole months, its group and filter
    columns besides the touchpoint are one segment column and the columns it nests in, and every source has a
    current summary (:func:`is_current`).
    """
    import polars as pl

    if not fits(asked):
        return None
    wanted = {name for name in asked.by if name not in ("touchpoint", "period")}
    wanted |= {column for column, _values in asked.filters if column != "touchpoint"}
    frames, statistic_columns = [], None
    for source in asked.sources:
        if (metadata := beside.metadata(source, SUFFIX)) is None:
            return None
        summary = str(path_for(source))
        levels, stats = _layout(summary, metadata)
        fitting = [level for level, columns in levels.items() if wanted <= {*columns}]
        if not fitting or statistic_columns not in (None, stats):
            return None
        statistic_columns = stats
        level = min(fitting, key=lambda name: len(levels[name]))  # the fewest groups: region before branch
        predicates = [pl.col(LEVEL) == level]
        predicates += [pl.col(column).is_in(list(values)) for column, values in asked.filters]
        if asked.date_from is not None:
            predicates.append(pl.col("period") >= asked.date_from)
        if asked.date_to is not None:
            predicates.append(pl.col("period") <= asked.date_to.replace(day=1))
        frames.append(pl.scan_parquet(summary).filter(*predicates).select([*asked.by, *_kept(stats, asked.metric)]))
    sums = [pl.col(name).sum() for name in _kept(statistic_columns or (), asked.metric)]
    data = pl.concat(frames, how="vertical_relaxed")
    return (data.group_by(list(asked.by)).agg(sums) if asked.by else data.select(sums)).collect()


def _kept(stats: Sequence[str], metric: str | None) -> list[str]:
    """The statistic columns a query of ``metric`` needs (all for None)."""
    return [name for name in stats if metric is None or name in statistic_names(metric)]


def writing(source: str | Path) -> bool:
    """Whether a running process is writing the summary of ``source`` now (its import has just committed)."""
    return beside.writing(source, SUFFIX)


def is_current(source: str | Path) -> bool:
    """Whether ``source`` has a summary of its present content with every rated metric's statistics."""
    return beside.metadata(source, SUFFIX) is not None and _STATISTICS <= set(beside.columns(path_for(source)))


def nesting(source: str | Path) -> tuple[dict[str, int], dict[str, list[str]]] | None:
    """The text segments' distinct values and the columns each nests in, as recorded in ``source``'s summary
    (None without a readable one); check :func:`is_current` first."""
    metadata = beside.metadata(source, SUFFIX)
    if metadata is None or _NESTING_KEY not in metadata:
        return None
    distinct, candidates = json.loads(metadata[_NESTING_KEY])
    return distinct, candidates


def _layout(summary: str, metadata: dict[bytes, bytes]) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """A current summary's levels with their segment columns, and its statistic columns (in the engine's order),
    from its path and metadata."""
    levels = {level: tuple(columns) for level, columns in json.loads(metadata[_LEVELS_KEY]).items()}
    groups = {LEVEL, "touchpoint", "period", *(column for columns in levels.values() for column in columns)}
    return levels, tuple(name for name in beside.columns(summary) if name not in groups)
