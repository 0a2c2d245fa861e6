"""Per survey version, one row per respondent with an overall NPS answer who rated two or more touchpoints in a
metric, kept beside the file: their NPS points (+100 promoter, 0 passive, −100 detractor; the mean if they answered
more than once) and their mean rating of each touchpoint in each rating metric; and how many respondents have an
overall NPS answer at all.

The ROI page's model of the overall NPS by touchpoint regresses these rows over the whole history. From the
answers, coding the respondent ids and averaging per respondent took 12 of the 16 s a cold ROI evidence took at
20 M answers; this table is read instead. It is written after a survey's commit, with the summary
(``Datasets._precompute``), by whichever process commits it, and read only while the survey file is unchanged
(``data.beside``); until it is there, the answers are read as before, and a survey without one (a restored
backup, a workspace from before these tables) gets it on the first read (:func:`load`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core import access
from workbench.core.contract import OVERALL
from workbench.core.metrics import RATINGS, nps_points
from workbench.data import beside

if TYPE_CHECKING:
    import pandas

SUFFIX = beside.KINDS[1]
OUTCOME = "outcome"  # the respondent's NPS points, the column every table has
_TOUCHPOINTS_KEY = b"cxwb.touchpoints"  # JSON: per metric, the touchpoints of its columns in order
_SCORED_KEY = b"cxwb.scored"  # how many respondents have an overall NPS answer (the file keeps fewer)


@dataclass(frozen=True, eq=False)
class Table:
    """A survey's respondents for a model by touchpoint: ``rows``, one per respondent who rated two or more
    touchpoints in some metric ("outcome": their NPS points; a column of mean ratings per touchpoint anyone rated in
    the metric asked for, NaN where they did not), and ``scored``, how many respondents have an outcome at all."""

    rows: pandas.DataFrame
    scored: int


def write(source: str | Path) -> Path | None:
    """Write the respondent table of survey file ``source``; return its path, or None when the survey has no
    respondent ids or no overall NPS answers to make one from."""
    import numpy as np
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = set(pq.read_schema(source).names)
    if not {"respondent_id", "touchpoint", "nps"} <= names:
        return None
    metrics = [metric for metric in RATINGS if metric in names]
    answers = pl.scan_parquet(source)
    overall = (
        answers.filter((pl.col("touchpoint") == OVERALL) & pl.col("nps").is_not_null())
        .select("respondent_id", "nps")
        .collect()
    )
    points = overall.select(
        pl.col("respondent_id"), pl.Series(OUTCOME, nps_points(overall["nps"].to_numpy().astype(float)))
    )
    # Sorted by id: the rows' order is the same whichever way polars groups them.
    scored = (
        points.filter(pl.col("respondent_id").is_not_null())
        .group_by("respondent_id")
        .agg(pl.col(OUTCOME).mean())
        .sort("respondent_id")
        .with_row_index("row")
    )
    if not len(scored):  # no overall NPS answer with a respondent id
        return None
    ratings = answers.filter(pl.col("touchpoint").is_not_null() & (pl.col("touchpoint") != OVERALL))
    # A touchpoint is a column of a metric when anyone rated it in that metric, with an id or without: as the
    # Drivers model's candidates are found (``drivers.model_rows``), so that its notes count the same.
    rated = (
        ratings.group_by("touchpoint").agg(pl.col(metric).is_not_null().any() for metric in metrics).collect()
    ).sort("touchpoint")
    means = (
        ratings.filter(pl.col("respondent_id").is_not_null())
        .group_by("respondent_id", "touchpoint")
        .agg(pl.col(metric).cast(pl.Float64).mean() for metric in metrics)
        .join(scored.lazy().select("respondent_id", "row"), on="respondent_id", how="inner")
        .collect()
    )
    # Only respondents who rated two or more touchpoints in a metric: a model by touchpoint learns nothing from the
    # others (``drivers.respondent_rows``), who are counted instead (4 M respondents of 20 M answers, 2.3 M kept).
    several = np.zeros(len(scored), dtype=bool)
    for metric in metrics:
        several |= np.bincount(means.filter(pl.col(metric).is_not_null())["row"], minlength=len(scored)) >= 2
    renumbered, kept = np.cumsum(several) - 1, int(several.sum())
    arrays, columns = {OUTCOME: pa.array(scored[OUTCOME].to_numpy()[several])}, {}
    for metric in metrics:
        touchpoints = rated.filter(pl.col(metric))["touchpoint"].to_list()
        codes = {name: code for code, name in enumerate(touchpoints)}
        given = means.filter(pl.col(metric).is_not_null()).select(
            "row", pl.col("touchpoint").replace_strict(codes, return_dtype=pl.Int32), metric
        )
        spots = given["touchpoint"].to_numpy()
        order = np.argsort(spots, kind="stable")
        rows, values, spots = given["row"].to_numpy()[order], given[metric].to_numpy()[order], spots[order]
        keep = several[rows]  # the table's respondents only, renumbered
        rows, values, spots = renumbered[rows[keep]], values[keep], spots[keep]
        ends = np.searchsorted(spots, np.arange(1, len(touchpoints) + 1))
        for code, (start, end) in enumerate(zip(np.r_[0, ends][:-1], ends, strict=True)):
            # One column at a time: a respondent × touchpoint grid of 20 M answers' respondents is 0.7 GB.
            grid = np.full(kept, np.nan)
            grid[rows[start:end]] = values[start:end]
            # NaN, not null, where a respondent did not rate it: a mostly-NaN column is dictionary-encoded as small
            # as nulls, and is read back without filling nulls (0.2 s against 1.2 s for 4 M × 23 values).
            arrays[f"{metric}:{code}"] = pa.array(grid)
        columns[metric] = touchpoints
    metadata = {_TOUCHPOINTS_KEY: json.dumps(columns).encode(), _SCORED_KEY: str(len(scored)).encode()}
    table = pa.table(arrays).replace_schema_metadata(metadata)
    return beside.write(table, source, SUFFIX)


def read(source: str | Path, metric: str) -> Table | None:
    """The respondent table of survey file ``source`` with the ratings of ``metric``; None when the survey has no
    current one (not written yet, or made from another version of the file), and for a scoped member, whose rows
    only the answers give (``query.limited``)."""
    import pandas as pd
    import polars as pl

    if access.current().filters(str(source)) is not None:
        return None
    metadata = beside.metadata(source, SUFFIX)
    if metadata is None:
        return None
    touchpoints = json.loads(metadata[_TOUCHPOINTS_KEY]).get(metric, [])
    stored = [OUTCOME, *(f"{metric}:{code}" for code in range(len(touchpoints)))]
    try:
        table = pl.read_parquet(beside.path_for(source, SUFFIX), columns=stored)
    except OSError:  # replaced or removed since its metadata was read: the answers serve
        return None
    # One grid in Fortran order: the frame is a single block its row masks take from at once (polars reads and
    # lays out 2.3 M × 22 values in 0.3 s, pyarrow's read and a copy per column took 0.5-0.6 s).
    grid = table.to_numpy(order="fortran")
    return Table(pd.DataFrame(grid, columns=[OUTCOME, *touchpoints], copy=False), int(metadata[_SCORED_KEY]))


def load(source: str | Path, metric: str) -> Table | None:
    """:func:`read`, writing the table first when the survey has none yet and no process is writing it (a restored
    backup, a workspace from before these tables): writing it costs about what reading the answers would, once.
    None when it cannot be had now (no respondent ids or overall answers, a read-only folder, or being written) or
    is not for the current reader (a scoped member)."""
    if access.current().filters(str(source)) is not None:
        return None
    if (found := read(source, metric)) is not None or beside.writing(source, SUFFIX):
        return found
    try:
        return read(source, metric) if write(source) is not None else None
    except OSError:  # a folder it cannot be written to: the answers serve
        return None
