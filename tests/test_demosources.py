"""The demo's reviews and mystery-shopping audits: their contracts and the planted effect (a branch whose compliance
fell and whose reviews fell with it), checked on the generated tables with plain pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.data import demodata, demosources
from workbench.data.templates import load_template


@pytest.fixture(scope="module")
def demo():
    return demodata.generate(load_template("ecommerce-delivery", translated=False), answers=60_000)


def test_the_survey_does_not_move_when_the_sources_are_added(demo):
    """The sources have generators of their own: the survey's first answers are those of a generator without them."""
    again = demodata.generate(load_template("ecommerce-delivery", translated=False), answers=60_000)
    assert demo.survey.equals(again.survey)
    assert demo.sources.reviews.equals(again.sources.reviews)
    assert demo.sources.audits.equals(again.sources.audits)


def test_reviews_follow_the_reviews_contract(demo):
    reviews = demo.sources.reviews.to_pandas()
    assert list(reviews.columns) == [
        "response_id", "ts", "touchpoint", "stars", "comment", "branch", "region", "platform", "reply", "reply_ts"
    ]  # fmt: skip
    assert reviews.response_id.is_unique
    assert reviews.response_id.str.match(r"^[a-z-]+:[0-9a-f]{16}$").all()
    assert reviews.stars.between(1, 5).all() and str(reviews.stars.dtype) == "int8"
    assert set(reviews.touchpoint) == {"pickup-point", "product-page"}
    assert set(reviews.platform) == {"Google", "Heureka", "Ceneo", "Google Play", "App Store"}
    replied = reviews.reply.notna()
    assert replied.equals(reviews.reply_ts.notna())
    assert (reviews.reply_ts[replied] > reviews.ts[replied]).all()
    assert 0.5 < replied.mean() < 0.75
    assert reviews.ts.is_monotonic_increasing


def test_audits_follow_the_mystery_shopping_contract(demo):
    audits = demo.sources.audits.to_pandas()
    assert list(audits.columns) == [
        "visit_id", "ts", "branch", "region", "auditor", "section", "item", "touchpoint", "points", "max_points"
    ]  # fmt: skip
    assert (audits.points >= 0).all() and (audits.points <= audits.max_points).all()
    assert set(audits.max_points) == {1.0, 5.0}
    assert set(audits.touchpoint) == {"pickup-point", "return-shipment"}
    per_visit = audits.groupby("visit_id").agg(branch=("branch", "nunique"), ts=("ts", "nunique"))
    assert (per_visit == 1).all().all()  # a visit is one branch on one day
    items = sum(len(listed) for _s, _r, listed in demosources.CHECKLIST)
    assert audits.groupby("visit_id").size().max() <= items  # not-applicable items are left out


def _share(frame: pd.DataFrame) -> float:
    return frame.points.sum() / frame.max_points.sum()


def test_the_falling_branch_loses_compliance_and_stars_together(demo):
    """Over the last six months the planted branch drops ~0.25 of its checklist and ~1 star; the others stay."""
    audits, reviews = demo.sources.audits.to_pandas(), demo.sources.reviews.to_pandas()
    cut = pd.Timestamp(demodata.month_start(demodata.DEMO_START, demodata.DEMO_MONTHS - demosources.FALL_MONTHS))
    falling = demosources.FALLING_BRANCH
    late_a, late_r = audits.ts >= cut, reviews.ts >= cut
    mine_a, mine_r = audits.branch == falling, reviews.branch == falling
    drop = _share(audits[mine_a & ~late_a]) - _share(audits[mine_a & late_a])
    others = _share(audits[~mine_a & ~late_a]) - _share(audits[~mine_a & late_a])
    assert 0.15 < drop < 0.4 and abs(others) < 0.03
    star_drop = reviews[mine_r & ~late_r].stars.mean() - reviews[mine_r & late_r].stars.mean()
    other_stars = reviews[~mine_r & reviews.branch.notna() & ~late_r].stars.mean()
    assert star_drop > 0.7 and abs(other_stars - reviews[~mine_r & reviews.branch.notna() & late_r].stars.mean()) < 0.1


def test_branches_that_comply_more_have_better_reviews(demo):
    """Both follow the branch's standing: across branches, compliance and mean stars correlate."""
    audits, reviews = demo.sources.audits.to_pandas(), demo.sources.reviews.to_pandas()
    compliance = audits.groupby("branch").apply(_share, include_groups=False)
    stars = reviews.groupby("branch").stars.mean()
    assert compliance.corr(stars) > 0.3


def test_the_crm_columns_are_there(demo):
    customers = demo.kpi_customer.to_pandas()
    assert {"name", "email", "account_manager", "products", "referrals"} <= set(customers.columns)
    assert customers.email.is_unique and customers.email.str.match(r"^[a-z.]+\.\d+@example\.(cz|pl)$").all()
    business = customers.account_manager.notna()
    assert 0.1 < business.mean() < 0.2  # business customers only
    assert (customers.products >= 1).all()
