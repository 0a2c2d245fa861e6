"""The Reviews screen's features: importing review exports onto a journey (de-duplicated on every re-import) and
the reply KPIs per branch and platform.

A project's reviews are one survey dataset (``meta["source"] == "reviews"``, default name "Reviews") whose stars are
the registry's ``stars`` metric: the heatmap, matrix, trend, Comments page and codebook read it as any survey. Each
import merges the export with the dataset's latest version (a review already there is replaced by its newer row: an
edited text, a reply added) and writes the next version; an import that fails writes nothing.
"""

from __future__ import annotations

import re
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core import access, metrics
from workbench.core.errors import WorkspaceError
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.data import query, reviews
from workbench.data.ingest import ImportReport, Issue

if TYPE_CHECKING:
    import polars
    import pyarrow as pa

    from workbench.repos.datasets import DatasetInfo
    from workbench.repos.workspace import Workspace

DEFAULT_NAME = N_("Reviews")
SOURCE = "reviews"  # meta["source"] of a reviews dataset
# What tells one version of a review from another: a row whose every one of these is the same is unchanged.
_COMPARED = ("ts", "touchpoint", "stars", "comment", "reply", "reply_ts", "branch", "platform")
LEVELS = ("branch", "platform")  # what the reply KPIs are grouped by
APP_STORES = ("App Store", "Google Play")  # the platforms suggested for the app's touchpoint
# A touchpoint taken for the branch visit or the app by its key or name (English, Czech, Polish), else its channel.
_VISIT = (
    re.compile(
        r"pick-?up.point|branch|visit|store|showroom|pobo[čc]k|provozov|v[ýy]dejn|oddzia|plac[oó]wk|sklep|odbior"
    ),
    ("branch", "store", "in person", "showroom"),
)
# A shop without an app of its own: its app-store reviews are about ordering online, on the product pages.
_APP = (re.compile(r"\bapp\b|aplikac|mobile|product.page|e-?shop|online.(?:shop|store|order)"), ("app",))


@dataclass(frozen=True)
class ImportResult:
    """What an import did: reviews read, new, updated (same id, changed), unchanged duplicates, refused rows (with
    the first few named), the dataset version written (None when nothing changed) and its size."""

    read: int
    new: int
    updated: int
    unchanged: int
    refused: int
    repeated: int  # rows of the file repeating a review of the same file
    problems: tuple[str, ...]
    dataset: DatasetInfo | None
    total: int


@dataclass(frozen=True)
class ReplyKpi:
    """One branch's or platform's replies: reviews, replied, the reply rate in % with its Wilson interval (and n,
    low-n flag), and the median time to a reply in hours (None without dated replies)."""

    group: str
    reviews: int
    replied: int
    rate: metrics.Estimate
    median_hours: float | None
    timed: int  # replies with a date (the median's n)


@dataclass(frozen=True)
class Routing:
    """What the import form offers for a journey: its touchpoints as (name, key), the default touchpoint suggested
    (the branch visit) and the rules suggested (the app stores to the app), as a rules text."""

    touchpoints: list[tuple[str, str]]
    default: str | None
    rules: str


def routing(workspace: Workspace, journey_id: int) -> Routing:
    """The journey's touchpoints with the routing suggested for its reviews."""
    touchpoints = workspace.journey(int(journey_id)).journey.touchpoints

    def find(pattern: re.Pattern, channels: tuple[str, ...]) -> str | None:
        named = (tp.key for tp in touchpoints if pattern.search(f"{tp.key} {tp.name}".lower()))
        return next(named, None) or next((tp.key for tp in touchpoints if tp.channel in channels), None)

    app = find(*_APP)
    default = find(*_VISIT) or (touchpoints[0].key if touchpoints else None)
    rules = "\n".join(f"{store} = {app}" for store in APP_STORES) if app and app != default else ""
    return Routing([(tp.name, tp.key) for tp in touchpoints], default, rules)


def reviews_datasets(workspace: Workspace, project_id: int) -> list[DatasetInfo]:
    """The project's reviews datasets (latest versions), newest first."""
    found = [
        d for d in workspace.datasets.list(int(project_id), "survey") if d.latest and d.meta.get("source") == SOURCE
    ]
    return sorted(found, key=lambda d: d.created_at, reverse=True)


def import_reviews(
    workspace: Workspace,
    project_id: int,
    journey_id: int,
    source: str | Path | bytes,
    routes: Sequence[reviews.Route] | str,
    default_touchpoint: str,
    *,
    filename: str | None = None,
    name: str | None = None,
    platform: str | None = None,
) -> ImportResult:
    """Import a review export (a path, or an upload's bytes with its ``filename``) into the project's reviews dataset
    ``name`` (default "Reviews"), each review routed by ``routes`` (rules, or their text 'platform or location =
    touchpoint' a line) else to ``default_touchpoint``; the newer row of a review already there wins.

    Refused (nothing written) for one who does not change the project, a scoped member (the merge reads every row),
    an unknown touchpoint, a dataset of that name that is no reviews dataset, or a file without valid reviews.
    """
    project_id, journey_id = int(project_id), int(journey_id)
    current = access.current()
    if not current.writes(project_id) or current.scoped(project_id):
        raise access.refused()
    name = " ".join((name or _(DEFAULT_NAME)).split())
    rules = reviews.parse_routes(routes) if isinstance(routes, str) else tuple(routes)
    keys = [tp.key for tp in workspace.journey(journey_id).journey.touchpoints]
    with tempfile.TemporaryDirectory(prefix="cxwb-reviews-") as folder:
        if isinstance(source, bytes):
            path = Path(folder) / Path(filename or "reviews.csv").name
            path.write_bytes(source)
        else:
            path = Path(source)
        found = reviews.read(path, rules, default_touchpoint, keys, platform, name=filename or path.name)
    if not found.table.num_rows:
        raise WorkspaceError(
            "\n".join([_("{file}: no review could be imported.").format(file=found.file), *found.problem_lines()])
        )
    previous = _previous(workspace, project_id, name)
    merged, new, updated = _merge(previous[1] if previous else None, found.table)
    unchanged = found.table.num_rows - new - updated
    dataset = None
    if new or updated:
        dataset = workspace.datasets.add_table(
            project_id,
            merged,
            previous[0].name if previous else name,
            "survey",
            journey_id=journey_id,
            source=found.file,
            meta={"source": SOURCE},
            report=_report(found, merged.num_rows),
        )
    return ImportResult(
        found.rows_read,
        new,
        updated,
        unchanged,
        found.refused,
        found.repeated,
        tuple(found.problem_lines()),
        dataset,
        merged.num_rows,
    )


@dataclass(frozen=True)
class ReplyOverview:
    """A reviews dataset's reply KPIs per branch and per platform."""

    branches: list[ReplyKpi]
    platforms: list[ReplyKpi]
    min_n: int  # fewer reviews than this: the rate is flagged


def reply_overview(workspace: Workspace, dataset_id: int, min_n: int = metrics.DEFAULT_MIN_N) -> ReplyOverview:
    """The reply KPIs the Reviews tab shows: per branch, then per platform."""
    branches, platforms = (reply_kpis(workspace, dataset_id, by, min_n) for by in LEVELS)
    return ReplyOverview(branches, platforms, min_n)


def reply_kpis(
    workspace: Workspace, dataset_id: int, by: str = "branch", min_n: int = metrics.DEFAULT_MIN_N
) -> list[ReplyKpi]:
    """Reply rate (Wilson interval) and median reply time per value of ``by`` (branch or platform) of a reviews
    dataset's reviews the reader may see, largest groups first; reviews without a value of ``by`` (an app store's
    have no branch) are left out."""
    if by not in LEVELS:
        raise ValueError(_("Reply KPIs are by branch or platform, not “{by}”.").format(by=by))
    info = workspace.datasets.get(int(dataset_id))
    path = str(info.path)
    if "reply" not in query.columns([path]) or by not in query.columns([path]):
        return []
    rows = query.answers(query.Query((path,), by=(by,)), ("reply", "reply_ts"))
    found = []
    for group, part in rows[rows[by].notna()].groupby(by, sort=False):
        answered = part["reply"].notna() & (part["reply"].astype("string").str.strip() != "")
        delays = (part.loc[answered, "reply_ts"] - part.loc[answered, "ts"]).dropna()
        hours = [delay.total_seconds() / 3600 for delay in delays]
        replied = int(answered.sum())
        found.append(
            ReplyKpi(
                str(group),
                len(part),
                replied,
                metrics.share(replied, len(part), min_n=min_n),
                statistics.median(hours) if hours else None,
                len(hours),
            )
        )
    return sorted(found, key=lambda k: (-k.reviews, k.group))


# ------------------------------------------------------------------ internals


def _previous(workspace: Workspace, project_id: int, name: str) -> tuple[DatasetInfo, pa.Table] | None:
    """The latest version of dataset ``name`` and its rows, or None; a WorkspaceError for another kind of data."""
    import pyarrow as pa

    same = [d for d in workspace.datasets.list(project_id) if d.latest and d.name.casefold() == name.casefold()]
    if not same:
        return None
    info = same[0]
    if info.kind != "survey" or info.meta.get("source") != SOURCE:
        raise WorkspaceError(
            _("“{name}” holds other data than reviews; import the reviews under another name.").format(name=info.name)
        )
    names = query.columns([str(info.path)])
    return info, pa.Table.from_pandas(query.table(str(info.path), names), preserve_index=False)


def _merge(previous: pa.Table | None, table: pa.Table) -> tuple[pa.Table, int, int]:
    """The reviews of ``previous`` with those of ``table`` (a review in both: the new row, keeping the columns only
    the old one has), sorted by time; and how many of ``table`` were new and how many changed."""
    import polars as pl

    fresh = pl.from_arrow(table)
    assert isinstance(fresh, pl.DataFrame)
    if previous is None:
        return _sorted(fresh).to_arrow(), table.num_rows, 0
    old = pl.from_arrow(previous)
    assert isinstance(old, pl.DataFrame)
    old = old.cast({c: fresh.schema[c] for c in fresh.columns if c in old.columns}, strict=False)
    both = fresh.join(old, on="response_id", how="inner", suffix="_old")
    changed = pl.any_horizontal(
        ~pl.col(c).eq_missing(pl.col(f"{c}_old")) for c in _COMPARED if c in old.columns and c in fresh.columns
    )
    updated = both.filter(changed).height
    extra = [c for c in old.columns if c not in fresh.columns]
    fresh = fresh.join(old.select("response_id", *extra), on="response_id", how="left") if extra else fresh
    kept = old.filter(~pl.col("response_id").is_in(fresh["response_id"].implode()))
    merged = pl.concat(
        [kept, fresh.select(kept.columns + [c for c in fresh.columns if c not in kept.columns])], how="diagonal_relaxed"
    )
    return _sorted(merged).to_arrow(), table.num_rows - both.height, updated


def _sorted(frame: polars.DataFrame) -> polars.DataFrame:
    return frame.sort(["ts", "response_id"])


def _report(found: reviews.Reviews, rows: int) -> ImportReport:
    """The import report stored with the version: the file's rows, those kept, each named problem."""
    issues = tuple(Issue("bad_review", p.column, 1, (p.row,), p.message) for p in found.problems)
    return ImportReport(found.rows_read, found.rows_read - found.refused, issues, answers=rows)
