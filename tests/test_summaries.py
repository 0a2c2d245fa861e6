"""Dataset summaries (``workbench.data.summaries``): a query summed from a summary gives what the scan of the
answers gives, for every query that fits one; stale, missing and foreign summaries are never read; a committed
survey gets its summary, and a deleted one loses it."""

from __future__ import annotations

import datetime
import os
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.data import query, respondents, summaries

REGIONS = {"north": ["n1", "n2", "n3"], "south": ["s1", "s2"], "east": ["e1", "e2", "e3", "e4"]}
BRANCHES = [b for bs in REGIONS.values() for b in bs]
REGION_OF = {b: r for r, bs in REGIONS.items() for b in bs}
TOUCHPOINTS = ["web", "delivery", "support", "_overall"]


def survey(path, rows: int = 4000, seed: int = 1, rating: bool = True) -> str:
    """Answers in the contract over 14 months: branches nested in regions, a channel that is not, a numeric
    segment, missing segment values and scores, and a float rating."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-01-01T00:00:00", "s")
    seconds = np.sort(rng.integers(0, 425 * 86400, rows))
    branch = rng.choice(BRANCHES, rows)
    region = np.array([REGION_OF[b] for b in branch], dtype=object)
    branch = np.where(rng.random(rows) < 0.03, None, branch)  # an answer without its branch keeps its region
    columns = {
        "response_id": [f"r{i}" for i in range(rows)],
        "respondent_id": [f"p{i // 3}" for i in range(rows)],
        "ts": pa.array(start + seconds, pa.timestamp("s")),
        "touchpoint": rng.choice(TOUCHPOINTS, rows),
        "nps": pa.array(rng.integers(0, 11, rows), pa.int8(), mask=rng.random(rows) < 0.3),
        "csat": pa.array(rng.integers(1, 6, rows), pa.int8(), mask=rng.random(rows) < 0.2),
        "ces": pa.array(rng.integers(1, 8, rows), pa.int8(), mask=rng.random(rows) < 0.5),
        "region": region,
        "branch": branch,
        "channel": np.where(rng.random(rows) < 0.05, None, rng.choice(["web", "app", "phone"], rows)),
        "store_size": rng.integers(1, 4, rows),  # a numeric segment: the scan serves it
    }
    if rating:
        columns["rating"] = pa.array(rng.normal(7, 2, rows).round(1), pa.float64(), mask=rng.random(rows) < 0.4)
    pq.write_table(pa.table(columns), path)
    return str(path)


def same(summed: pd.DataFrame, scanned: pd.DataFrame) -> None:
    """Equal frames: the same columns, groups and counts exactly; float sums (the rating's) to rounding."""
    assert list(summed.columns) == list(scanned.columns)
    assert len(summed) == len(scanned)
    for name in scanned.columns:
        if pd.api.types.is_float_dtype(scanned[name]):
            np.testing.assert_allclose(summed[name].to_numpy(float), scanned[name].to_numpy(float), rtol=1e-12)
        else:
            assert summed[name].tolist() == scanned[name].tolist(), name


def summed(asked: query.Query) -> pd.DataFrame | None:
    """The query's statistics from the summaries, shaped as the engine returns them (None when they do not fit)."""
    frame = summaries.statistics(asked)
    return None if frame is None else query.statistics_frame(frame, asked.by)


MONTHS = [datetime.date(2025, m, 1) for m in range(1, 13)] + [datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)]


def month_end(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


@st.composite
def fitting_queries(draw):
    """Month-aligned queries grouped and filtered by one segment column's chain (and the touchpoint)."""
    chain = draw(st.sampled_from([(), ("region",), ("branch",), ("branch", "region"), ("channel",)]))
    by = [name for name in ("touchpoint", "period", *chain) if draw(st.booleans())]
    filters = []
    if chain and draw(st.booleans()):
        column = draw(st.sampled_from(chain))
        values = {"region": list(REGIONS), "branch": BRANCHES, "channel": ["web", "app", "phone"]}[column]
        filters.append((column, tuple(draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)))))
    if draw(st.booleans()):
        filters.append(("touchpoint", tuple(draw(st.lists(st.sampled_from(TOUCHPOINTS), min_size=1, unique=True)))))
    start = draw(st.none() | st.sampled_from(MONTHS))
    end = draw(st.none() | st.sampled_from(MONTHS).map(month_end))
    return query.Query(("SOURCE",), by=tuple(by), date_from=start, date_to=end, filters=tuple(filters))


@pytest.fixture(scope="module")
def summarised(tmp_path_factory):
    path = survey(tmp_path_factory.mktemp("summaries") / "survey.parquet")
    query.summarise(path)
    return path


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(asked=fitting_queries())
def test_a_fitting_query_sums_the_summary_to_what_the_scan_counts(summarised, asked):
    asked = query.Query((summarised,), asked.by, "month", asked.date_from, asked.date_to, asked.filters)
    found = summed(asked)
    assert found is not None  # it fits, so the summary answered
    same(found, query.scanned_statistics(asked))


@pytest.mark.parametrize(
    "asked",
    [
        query.Query(("S",), by=("touchpoint", "period"), period="week"),  # weeks are not months
        query.Query(("S",), by=("touchpoint",), date_from=datetime.date(2025, 3, 15)),  # a window in a month
        query.Query(("S",), by=("touchpoint",), date_to=datetime.date(2025, 3, 30)),
        query.Query(("S",), by=("region", "channel")),  # two columns that do not nest
        query.Query(("S",), by=("store_size",)),  # a number, not text
        query.Query(("S",), by=("respondent_id",)),  # not a segment
    ],
)
def test_a_query_that_does_not_fit_is_scanned_and_answered_the_same(summarised, asked):
    asked = query.Query((summarised,), asked.by, asked.period, asked.date_from, asked.date_to, asked.filters)
    assert summaries.statistics(asked) is None
    same(query._statistics(asked), query.scanned_statistics(asked))


def test_aggregate_gives_the_same_estimates_from_the_summary(summarised):
    asked = query.Query((summarised,), by=("touchpoint", "region"), date_from=MONTHS[2], date_to=month_end(MONTHS[7]))
    from workbench.core import metrics

    from_summary = metrics.estimate_frame(summed(asked))
    scanned = metrics.estimate_frame(query.scanned_statistics(asked))
    pd.testing.assert_frame_equal(from_summary, scanned, check_exact=False, rtol=1e-12)


def test_a_replaced_file_is_never_answered_from_its_old_summary(tmp_path):
    path = survey(tmp_path / "s.parquet", seed=1)
    query.summarise(path)
    asked = query.Query((path,), by=("touchpoint", "branch"))
    before = query._statistics(asked)
    time.sleep(0.01)
    survey(path, seed=2)  # the same path, other answers
    assert not summaries.is_current(path)
    assert summaries.statistics(asked) is None
    after = query._statistics(asked)  # summarised again on the way
    same(after, query.scanned_statistics(asked))
    assert not before.equals(after)
    assert summaries.is_current(path)


def test_a_file_without_a_summary_gets_one_from_the_first_query_that_fits(tmp_path):
    path = survey(tmp_path / "s.parquet")
    assert not summaries.is_current(path)
    asked = query.Query((path,), by=("touchpoint", "period"))
    same(query._statistics(asked), query.scanned_statistics(asked))
    assert summaries.is_current(path)


def test_a_summary_from_before_review_stars_is_written_again_and_the_file_still_queries(tmp_path):
    """A workspace's summary written before the stars metric lacks its statistics: it is no longer current, the
    first query that fits writes it again, and stars come back empty (n 0) for a file without a stars column."""
    import pyarrow.parquet as pq

    path = survey(tmp_path / "s.parquet")
    summary = query.summarise(path)
    old = pq.read_table(summary)
    old = old.drop_columns([name for name in old.column_names if name.startswith("stars_")])
    pq.write_table(old, summary)  # the same metadata (the file's signature): as an older version wrote it
    assert summaries.beside.metadata(path, summaries.SUFFIX) is not None and not summaries.is_current(path)
    asked = query.Query((path,), by=("touchpoint", "period"))
    found = query.aggregate(asked)
    assert summaries.is_current(path)
    same(query._statistics(asked), query.scanned_statistics(asked))
    assert (found["stars_n"] == 0).all() and found["stars"].isna().all() and (found["csat_n"] > 0).all()


def test_two_versions_are_summed_together_even_when_one_lacks_a_column(tmp_path):
    first = survey(tmp_path / "a.parquet", seed=1)
    second = survey(tmp_path / "b.parquet", seed=3, rating=False)
    for path in (first, second):
        query.summarise(path)
    same_stats = query.Query((first, survey(tmp_path / "c.parquet", seed=4)), by=("region", "period"))
    query.summarise(same_stats.sources[1])
    assert summaries.statistics(same_stats) is not None
    same(summed(same_stats), query.scanned_statistics(same_stats))
    mixed = query.Query((first, second), by=("region",))  # one has a rating, the other not: the scan serves
    assert summaries.statistics(mixed) is None
    same(query._statistics(mixed), query.scanned_statistics(mixed))


def test_a_summary_is_written_whole_or_not_at_all(tmp_path):
    path = survey(tmp_path / "s.parquet")
    query.summarise(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.parquet", "s.summary.parquet"]  # no temporary left
    summary = summaries.path_for(path)
    summary.write_bytes(summary.read_bytes()[:100])  # a damaged summary is not read
    assert not summaries.is_current(path)


def test_a_summary_that_cannot_be_written_leaves_the_scan_to_answer(tmp_path, monkeypatch):
    path = survey(tmp_path / "s.parquet")

    def refuse(*_args):
        raise PermissionError("read-only folder")

    monkeypatch.setattr(summaries, "write", refuse)
    asked = query.Query((path,), by=("touchpoint",))
    same(query._statistics(asked), query.scanned_statistics(asked))
    assert not summaries.is_current(path)


def test_a_committed_survey_has_its_summary_and_a_deleted_one_loses_it(workspace):
    from workbench.data import demodata
    from workbench.data.templates import load_template

    project = workspace.create_project("Client")
    data = demodata.generate(load_template("ecommerce-delivery", translated=False), answers=5_000, months=6)
    survey_info = workspace.datasets.add_table(project, data.survey, "Survey", "survey")
    kpis = workspace.datasets.add_table(project, data.kpi_period, "KPIs", "kpi_period")
    workspace.datasets.settle()  # written beside the commit, not in it
    assert summaries.is_current(survey_info.path)
    assert not summaries.path_for(kpis.path).exists()  # a KPI table has no answers to summarise
    workspace.datasets.delete(survey_info.id)
    assert not survey_info.path.exists() and not summaries.path_for(survey_info.path).exists()


def test_the_sweep_removes_orphan_precomputed_files_and_dead_writers_halves(tmp_path):
    import subprocess
    import sys

    from workbench.data import beside

    kept = survey(tmp_path / "kept.parquet")
    gone = survey(tmp_path / "gone.parquet")
    for path in (kept, gone):
        query.summarise(path)
        respondents.write(path)
    (tmp_path / "gone.parquet").unlink()  # killed between deleting the dataset file and its precomputed files
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    for suffix in beside.KINDS:
        (tmp_path / f".kept{suffix}.{dead.stdout.strip()}.1.tmp").write_bytes(b"half")
    (tmp_path / f".kept{summaries.SUFFIX}.{os.getpid()}.1.tmp").write_bytes(b"being written")
    beside.sweep(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f".kept{summaries.SUFFIX}.{os.getpid()}.1.tmp",
        "kept.parquet",
        "kept.respondents.parquet",
        "kept.summary.parquet",
    ]
    assert summaries.is_current(kept)
    assert respondents.read(kept, "csat") is not None


def test_segment_nesting_is_read_from_the_summary_as_the_scan_finds_it(tmp_path):
    """query.parents of any set of segment columns: from the summary's record, the same as from the answers."""
    import itertools

    rows = 3000
    rng = np.random.default_rng(9)
    path = survey(tmp_path / "s.parquet", rows=rows)
    table = pq.read_table(path)
    branch = table["branch"].to_pylist()
    employee = [None if b is None else f"{b}-{rng.integers(3)}" for b in branch]  # employees nest in branches
    pq.write_table(table.append_column("employee", pa.array(employee)), path)
    columns = ["region", "branch", "channel", "employee"]
    scanned = {
        subset: query.parents([path], list(subset))
        for size in range(2, 5)
        for subset in itertools.combinations(columns, size)
    }
    assert scanned[("region", "branch")] == {"branch": "region"}
    assert scanned[("region", "employee")] == {"employee": "region"}  # the nearest present level
    assert scanned[("region", "branch", "channel", "employee")] == {"branch": "region", "employee": "branch"}
    query.summarise(path)
    assert summaries.nesting(path) is not None
    for subset, expected in scanned.items():
        assert query.parents([path], list(subset)) == expected, subset


@pytest.mark.parametrize("name", ["period", summaries.LEVEL])
def test_a_segment_named_as_a_summary_column_is_left_to_the_scan(tmp_path, name):
    """A client's survey may have a segment called "period": the survey is summarised without it, and queries
    on it are scanned."""
    path = survey(tmp_path / "s.parquet", rows=600)
    table = pq.read_table(path)
    pq.write_table(table.append_column(name, pa.array(["x", "y", None] * 200)), path)
    assert query.summarise(path) is not None
    for asked in (
        query.Query((path,), by=("touchpoint", "period")),
        query.Query((path,), by=("region",), filters=((name, ("x",)),)),
    ):
        same(query._statistics(asked), query.scanned_statistics(asked))
    assert summaries.statistics(query.Query((path,), by=("region",), filters=((name, ("x",)),))) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(asked=fitting_queries(), metric=st.sampled_from(["nps", "csat", "ces", "rating"]), scanned=st.booleans())
def test_a_one_metric_query_gives_that_metrics_columns_of_the_full_one(summarised, asked, metric, scanned):
    """``Query.metric`` reads and estimates one metric: the same numbers, summary or scan, and its rollups too."""
    full = query.Query((summarised,), asked.by, "month", asked.date_from, asked.date_to, asked.filters)
    one = query.Query((summarised,), asked.by, "month", asked.date_from, asked.date_to, asked.filters, metric)
    if scanned:  # a week makes the same months' query unfit for the summary
        full, one = (
            query.Query(q.sources, q.by, "week", q.date_from, q.date_to, q.filters, q.metric) for q in (full, one)
        )
    whole, alone = query.aggregate(full), query.aggregate(one)
    group = list(asked.by)
    estimates = [metric, f"{metric}_se", f"{metric}_low", f"{metric}_high", f"{metric}_low_n"]
    statistics = [name for name in query.statistic_columns(whole) if name.startswith(("answers", metric))]
    if metric == "nps":
        statistics += ["promoters", "passives", "detractors"]
    assert sorted(query.statistic_columns(alone)) == sorted(statistics)
    assert "index" not in alone.columns and not {"nps", "csat", "ces", "rating"} - {metric} & {*alone.columns}
    columns = [*group, *statistics, *estimates]
    pd.testing.assert_frame_equal(alone[columns], whole[columns], check_exact=False, rtol=1e-12)
    for by in (group[:1], []):
        pd.testing.assert_frame_equal(
            query.rollup(alone, by)[[*by, *statistics, *estimates]],
            query.rollup(whole, by)[[*by, *statistics, *estimates]],
            check_exact=False,
            rtol=1e-12,
        )


def test_a_query_of_an_unknown_metric_is_refused():
    with pytest.raises(ValueError, match="Unknown metric 'likes'"):
        query.Query(("S",), metric="likes")


def test_while_a_summary_is_being_written_queries_scan_instead_of_writing_another(tmp_path, monkeypatch):
    """A survey just committed has its summary written in the background: a query meanwhile scans the answers
    (the same result) rather than write it a second time; a dead process's half file is not a writer."""
    import subprocess
    import sys

    path = survey(tmp_path / "survey.parquet")
    asked = query.Query((path,), by=("touchpoint", "region"))
    expected = query.scanned_statistics(asked)
    target = summaries.path_for(path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    half = target.with_name(f".{target.name}.{dead.stdout.strip()}.1.tmp")
    half.write_bytes(b"PAR1")
    assert not summaries.writing(path)  # its writer died: the first query writes the summary
    half.unlink()
    live = target.with_name(f".{target.name}.{os.getpid()}.1.tmp")
    live.write_bytes(b"PAR1")
    assert summaries.writing(path)
    monkeypatch.setattr(query, "summarise", lambda _path: pytest.fail("a second writer"))
    same(query._statistics(asked), expected)
    assert not target.exists()
    live.unlink()
    monkeypatch.undo()
    same(query._statistics(asked), expected)
    assert summaries.is_current(path)  # no writer left: the query wrote it


def test_a_summary_that_fails_to_write_leaves_no_half_file(tmp_path, monkeypatch):
    import pyarrow.parquet as parquet

    path = survey(tmp_path / "survey.parquet")

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(parquet, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        query.summarise(path)
    assert not summaries.writing(path) and not list(tmp_path.glob(".*.tmp"))


def test_two_surveys_committed_at_once_both_get_their_summary(workspace):
    """Two imports committing together (the app runs imports as background jobs): settle() waits for both."""
    import threading

    from workbench.data import demodata
    from workbench.data.templates import load_template

    project = workspace.create_project("Client")
    data = demodata.generate(load_template("ecommerce-delivery", translated=False), answers=3_000, months=6)
    found = {}

    def add(name: str) -> None:
        found[name] = workspace.datasets.add_table(project, data.survey, name, "survey")

    threads = [threading.Thread(target=add, args=(name,)) for name in ("North", "South")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    workspace.datasets.settle()
    assert sorted(found) == ["North", "South"]
    assert all(summaries.is_current(info.path) for info in found.values())
    assert workspace.datasets.writers == []
