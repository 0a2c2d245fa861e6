"""The respondent table kept beside a survey version (``workbench.data.respondents``): the same rows, counts and
score model as computing them from the answers, on surveys with repeated answers, respondents without ids,
answers without a touchpoint, touchpoints rated only by anonymous answers, and a stale or missing table."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.analysis import drivers, roi
from workbench.core.contract import OVERALL
from workbench.core.metrics import nps_points
from workbench.core.scenario import Scenario
from workbench.data import beside, respondents

TOUCHPOINTS = [f"tp{k:02d}" for k in range(9)]


def survey(path, people: int = 600, seed: int = 0, ids: bool = True) -> str:
    """Journey answers: each respondent rates a few touchpoints (some twice), most answer the overall NPS (some
    twice); anonymous answers, answers without a touchpoint, a touchpoint only anonymous answers rate, and
    missing scores in every metric."""
    rng = np.random.default_rng(seed)
    rows = []
    for person in range(people):
        who = f"p{rng.integers(0, people * 2)}"  # ids in no order, and a few people twice under one id
        taste = rng.normal(0, 1)
        for touchpoint in rng.choice(TOUCHPOINTS[:-1], rng.integers(1, 9), replace=False):
            for _repeat in range(1 + int(rng.random() < 0.1)):
                rows.append((who, touchpoint, None, *_ratings(rng, taste)))
        for _repeat in range(int(rng.random() < 0.85) + int(rng.random() < 0.05)):
            rows.append((who, OVERALL, int(np.clip(round(8 + 1.5 * taste + rng.normal(0, 1.5)), 0, 10)), None, None,
                         None))
    for _anonymous in range(people // 10):
        rows.append((None, rng.choice(TOUCHPOINTS), None, *_ratings(rng, 0.0)))  # the last touchpoint: only here
        rows.append((None, OVERALL, int(rng.integers(0, 11)), None, None, None))
        rows.append((f"p{rng.integers(0, people * 2)}", None, None, *_ratings(rng, 0.0)))  # no touchpoint
    frame = pd.DataFrame(rows, columns=["respondent_id", "touchpoint", "nps_overall", "csat", "ces", "rating"])
    nps = frame["nps_overall"].astype("Int8")
    table = pa.table({
        "respondent_id": pa.array(frame["respondent_id"] if ids else [None] * len(frame), pa.string()),
        "touchpoint": pa.array(frame["touchpoint"], pa.string()),
        "nps": pa.array(nps.to_numpy(dtype=float, na_value=np.nan), pa.float64(), from_pandas=True).cast(pa.int8()),
        "csat": pa.array(frame["csat"], pa.int8()),
        "ces": pa.array(frame["ces"], pa.int8()),
        "rating": pa.array(frame["rating"], pa.float64()),
    })
    pq.write_table(table, path)
    return str(path)


def _ratings(rng, taste: float) -> tuple:
    """A CSAT, a CES and a 0–10 rating leaning on the respondent's taste, each missing now and then."""
    csat = int(np.clip(round(3.8 + 0.8 * taste + rng.normal(0, 0.8)), 1, 5)) if rng.random() > 0.1 else None
    ces = int(np.clip(round(5 + taste + rng.normal(0, 1)), 1, 7)) if rng.random() > 0.1 else None
    rating = round(float(rng.normal(7 + taste, 2)), 1) if rng.random() > 0.2 else None
    return csat, ces, rating


def from_answers(path: str, metric: str) -> pd.DataFrame:
    """``drivers.respondent_table`` of the survey's NPS points: what the ROI model built from the answers."""
    answers = pd.read_parquet(path)
    points = answers.assign(_points=nps_points(answers["nps"].to_numpy(dtype=float, na_value=np.nan)))
    return drivers.respondent_table(points, "_points", metric)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), people=st.integers(40, 400))
def test_the_table_holds_the_answers_respondents_who_rated_two_or_more(tmp_path, seed, people):
    """Row for row (in id order), the respondents with an outcome who rated two or more touchpoints in some
    metric, with the same NPS points and mean ratings per touchpoint as the table made from the answers; the
    columns of a metric are the touchpoints anyone rated in it; ``scored`` counts everyone with an outcome."""
    path = survey(tmp_path / f"s{seed}-{people}.parquet", people, seed)
    assert respondents.write(path) is not None
    expected = {metric: from_answers(path, metric) for metric in ("csat", "ces")}  # nps: overall answers only
    outcome = next(iter(expected.values()))["outcome"]
    several = np.zeros(len(outcome), dtype=bool)
    for table in expected.values():
        several |= table.drop(columns="outcome").notna().sum(axis=1).to_numpy() >= 2
    answers = pd.read_parquet(path)
    for metric, table in expected.items():
        found = respondents.read(path, metric)
        assert found.scored == int(outcome.notna().sum())
        rated = answers[answers[metric].notna() & answers["touchpoint"].notna() & (answers["touchpoint"] != OVERALL)]
        assert list(found.rows.columns) == ["outcome", *sorted(rated["touchpoint"].unique())]
        wanted = table[several & outcome.notna().to_numpy()].sort_index().reindex(columns=found.rows.columns)
        np.testing.assert_allclose(found.rows.to_numpy(), wanted.to_numpy(), rtol=1e-15, atol=0, equal_nan=True)


@pytest.mark.parametrize("metric", ["csat", "ces"])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_score_model_from_the_table_is_the_one_from_the_answers(tmp_path, metric, seed):
    """Slopes, covariance, reach, n, R² and the note: what the ROI page shows is the same either way."""
    path = survey(tmp_path / "survey.parquet", 3000, seed)
    respondents.write(path)
    answers = pd.read_parquet(path).assign(branch="b1")
    scenario = Scenario(name="s", journey_id=1, kpi_dataset="k", kpi="revenue", segment="branch",
                        driver_metric=metric)
    model, note = roi.fit_score_model(answers, scenario)
    table = respondents.read(path, metric)
    found = roi.fit_respondents(table.rows, metric, table.scored)
    assert model is not None and found is not None
    stored, stored_note = found
    assert stored_note == note
    assert (stored.touchpoints, stored.n) == (model.touchpoints, model.n)
    np.testing.assert_allclose(stored.slopes, model.slopes, rtol=1e-10)
    np.testing.assert_allclose(stored.covariance, model.covariance, rtol=1e-9)
    np.testing.assert_allclose(stored.reach, model.reach, rtol=1e-12)
    assert stored.r2 == pytest.approx(model.r2, rel=1e-10)


def test_too_few_respondents_in_the_table_leave_the_answers_to_say_why(tmp_path):
    path = survey(tmp_path / "survey.parquet", 40)
    respondents.write(path)
    table = respondents.read(path, "csat")
    assert roi.fit_respondents(table.rows, "csat", table.scored) is None  # fewer than 100 complete respondents


def test_a_survey_without_ids_or_overall_answers_has_no_table(tmp_path):
    assert respondents.write(survey(tmp_path / "anonymous.parquet", ids=False)) is None
    path = tmp_path / "no-overall.parquet"
    answers = pq.read_table(survey(tmp_path / "all.parquet"))
    pq.write_table(answers.filter(pa.compute.not_equal(answers["touchpoint"], OVERALL)), path)
    assert respondents.write(path) is None
    assert respondents.read(path, "csat") is None


def test_a_table_of_another_version_of_the_file_is_not_read(tmp_path):
    path = survey(tmp_path / "survey.parquet", 200, seed=3)
    respondents.write(path)
    assert respondents.read(path, "csat") is not None
    survey(tmp_path / "survey.parquet", 220, seed=4)  # the file replaced under the same name
    assert respondents.read(path, "csat") is None
    respondents.write(path)
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # touched: same size, another time
    assert respondents.read(path, "csat") is None
    assert beside.path_for(path, respondents.SUFFIX).exists()  # kept until swept or rewritten, never read


def test_a_survey_without_a_table_gets_one_on_load_unless_it_is_being_written(tmp_path):
    """A restored backup or a workspace from before these tables: the first load writes the table; while a live
    process writes it, load leaves it to that process and the answers serve."""
    path = survey(tmp_path / "survey.parquet", 300, seed=5)
    writer = tmp_path / f".survey{respondents.SUFFIX}.{os.getpid()}.1.tmp"
    writer.write_bytes(b"being written")
    assert respondents.load(path, "csat") is None
    assert not beside.path_for(path, respondents.SUFFIX).exists()
    writer.unlink()
    loaded = respondents.load(path, "csat")
    assert loaded is not None and beside.path_for(path, respondents.SUFFIX).exists()
    pd.testing.assert_frame_equal(loaded.rows, respondents.read(path, "csat").rows)

