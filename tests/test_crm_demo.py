"""CRM rules on the demo: a follow-up wave of the demo's customers, imported as the survey's next version, gives a
churn-risk card to the account manager of each key account whose NPS fell, once; the saved list is written to the
workspace's CRM folder; the chance count and back-test read the demo's data."""

from __future__ import annotations

import datetime
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from workbench.core.contract import OVERALL
from workbench.core.customerrules import Rule, Threshold, presets
from workbench.features import crm
from workbench.features.demo import DEMO_DATASETS

FOLLOW_UP = datetime.datetime(2026, 11, 10, 10)


@pytest.fixture(scope="module")
def demo(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    [survey] = [d for d in workspace.datasets.list(project_id, "survey") if d.name == DEMO_DATASETS["survey"]]
    [kpis] = workspace.datasets.list(project_id, "kpi_customer")
    return workspace, project_id, journey_id, pq.read_table(survey.path), pq.read_table(kpis.path).to_pandas()


def follow_up(answers: pa.Table, scores: dict[str, int]) -> pa.Table:
    """The demo's answers and one overall NPS answer on 10 November for each customer in ``scores``."""
    last = (
        answers.filter(pc.equal(answers["touchpoint"], OVERALL))
        .to_pandas()
        .drop_duplicates("respondent_id", keep="last")
    )
    rows = last[last["respondent_id"].isin(scores)].copy()
    rows["response_id"] = ["F" + r for r in rows["respondent_id"]]
    rows["ts"] = FOLLOW_UP
    rows["nps"] = rows["respondent_id"].map(scores).astype("int8")
    rows["comment"] = None
    more = pa.Table.from_pandas(rows[answers.column_names], schema=answers.schema, preserve_index=False)
    return pa.concat_tables([answers, more])


def test_a_follow_up_wave_gives_each_falling_key_account_one_card(demo):
    workspace, project_id, journey_id, answers, kpis = demo
    overall = answers.filter(pc.equal(answers["touchpoint"], OVERALL)).to_pandas()
    first = overall.drop_duplicates("respondent_id", keep="last").set_index("respondent_id")["nps"]
    keys = kpis[kpis["account_manager"].notna() & kpis["respondent_id"].map(first).ge(5)]
    keys = keys.sort_values("revenue", ascending=False)
    falling, steady = keys.iloc[:6], keys.iloc[6:10]
    threshold = float(keys.iloc[:10]["revenue"].min())
    small = kpis[kpis["revenue"].lt(threshold) & kpis["respondent_id"].map(first).ge(5)].iloc[:8]
    scores = {c: int(first[c]) - 5 for c in [*falling["respondent_id"], *small["respondent_id"]]}
    scores |= {c: int(first[c]) for c in steady["respondent_id"]}
    rule = Rule(
        "Key accounts falling",
        kind="churn_risk",
        days=30,
        drop=3.0,
        thresholds=(Threshold("revenue", ">=", threshold),),
        owner_column="account_manager",
    )
    saved = workspace.customer_rules.save(project_id, rule, "Jana")
    workspace.customer_rules.save(project_id, presets()[0], "Jana")  # detractors in the last 30 days
    before = {a.id for a in workspace.actions.list(project_id)}
    for _time in range(2):
        workspace.datasets.add_table(
            project_id, follow_up(answers, scores), DEMO_DATASETS["survey"], "survey", journey_id=journey_id
        )
        workspace.datasets.settle()
        made = [a for a in workspace.actions.list(project_id) if a.id not in before]
        assert sorted(a.origin["ref"] for a in made) == sorted(f"{saved.id}:{c}" for c in falling["respondent_id"])
    owners = dict(zip(falling["respondent_id"], falling["account_manager"], strict=True))
    for card in made:
        customer = card.origin["ref"].split(":")[1]
        assert card.owner == owners[customer] and card.origin["kind"] == "churn_risk"
        assert f"NPS {first[customer] - 5} (" in card.description and "on 2026-11-10 at Overall" in card.description
        assert f"previous {first[customer]} on " in card.description and "(−5)" in card.description
    result = crm.run(workspace, project_id, rule)
    assert result.count == 6 and result.chance.pairs == len(scores) and result.chance.rises == 0
    assert crm.backtest_text(result.backtest).startswith("Back-test: of 6 flagged customers with a known outcome")
    written = json.loads((crm.crm_folder(workspace, project_id) / "detractors-in-the-last-30-days.json").read_text())
    detractors = {c["customer_id"] for c in written["customers"]}
    assert {c for c, s in scores.items() if s <= 6} <= detractors and written["count"] == len(detractors)
    assert {"name", "email"} <= set(written["customers"][0])
    assert np.all([c["score"] <= 6 for c in written["customers"]])
