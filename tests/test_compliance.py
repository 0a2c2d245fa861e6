"""Compliance shares, intervals, trends and the branch correlation, against numbers computed by hand."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from scipy.stats import t as student

from workbench.analysis import compliance
from workbench.core import metrics


def by_hand(visits: dict[str, list[tuple[float, float]]]) -> tuple[float, float, float]:
    """Share and the Korn–Graubard Wilson interval, written out: ratio, CR1 variance over visits, deff ≥ 1,
    n_eff · (z / t_{G−1})², Wilson."""
    items = [pair for pairs in visits.values() for pair in pairs]
    big_p, big_m = sum(p for p, _m in items), sum(m for _p, m in items)
    share = big_p / big_m
    g = len(visits)
    residuals = [sum(p for p, _m in pairs) - share * sum(m for _p, m in pairs) for pairs in visits.values()]
    variance = g / (g - 1) * sum(r * r for r in residuals) / big_m**2
    n = len(items)
    deff = max(1.0, variance / (share * (1 - share) / n))
    z = 1.959963984540054
    effective = n / deff * (z / student.ppf(0.975, g - 1)) ** 2
    centre = (share + z * z / (2 * effective)) / (1 + z * z / effective)
    half = z / (1 + z * z / effective) * math.sqrt(share * (1 - share) / effective + z * z / (4 * effective**2))
    return share, centre - half, centre + half


def test_a_share_is_points_over_max_with_the_visit_clustered_wilson_interval():
    visits = {"a": [(1, 1), (1, 1), (4, 5)], "b": [(0, 1), (0, 1), (2, 5)], "c": [(1, 1), (0, 1), (5, 5)],
              "d": [(1, 1), (1, 1), (3, 5)]}
    rows = [(v, p, m) for v, pairs in visits.items() for p, m in pairs]
    found = compliance.share(*zip(*rows, strict=True))
    share, low, high = by_hand(visits)
    assert found.share == pytest.approx(19 / 28)
    assert (found.share, found.low, found.high) == pytest.approx((share, low, high))
    assert (found.visits, found.items, found.low_n) == (4, 12, True)


def test_pass_fail_items_one_per_visit_get_plain_wilson_and_one_visit_counts_as_one_observation():
    found = compliance.share(["a", "b", "c", "d", "e"], [1, 1, 1, 0, 1], [1] * 5)
    _share, _se, low, high = metrics.wilson_formula(4, 5, metrics.z_value())
    assert (found.low, found.high, found.design_effect) == pytest.approx((low / 100, high / 100, 1.0))
    single = compliance.share(["a"] * 10, [1] * 8 + [0] * 2, [1] * 10)
    _share, _se, low, high = metrics.wilson_formula(0.8, 1, metrics.z_value())
    assert (single.share, single.low, single.high) == pytest.approx((0.8, low / 100, high / 100))


def audit(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["visit_id", "ts", "branch", "section", "item", "touchpoint", "points",
                                        "max_points"])
    return compliance.frame(frame)


def test_tables_by_item_section_branch_touchpoint_and_month_lowest_first():
    rows = []
    for month in range(1, 7):
        for branch, fails in (("Kladno", 0), ("Kolín", 1)):
            visit = f"{branch}-{month}"
            day = dt.datetime(2026, month, 10)
            rows += [(visit, day, branch, "Pokladna", "Pozdrav", "checkout", 1, 1),
                     (visit, day, branch, "Pokladna", "Účtenka", "checkout", 0 if fails else 1, 1),
                     (visit, day, branch, "Prodejna", "Čistota", None, 3, 5)]
    data = audit(rows)
    branches = compliance.by(data, "branch")
    assert list(branches["branch"]) == ["Kolín", "Kladno"]
    assert branches["share"].tolist() == pytest.approx([(6 + 18) / 42, (12 + 18) / 42])
    assert branches["visits"].tolist() == [6, 6]
    items = compliance.by(data, "item")
    assert items[["item", "share"]].values.tolist() == [["Účtenka", 0.5], ["Čistota", 0.6], ["Pozdrav", 1.0]]
    assert compliance.by(data, "touchpoint")["items"].tolist() == [24]  # items on no touchpoint left out
    assert len(compliance.by(data, "month")) == 6 and len(compliance.by(data, "section")) == 2


def test_a_branch_whose_compliance_fell_in_its_last_three_months_is_found():
    rows = []
    for month in range(1, 7):
        for branch in ("Kladno", "Kolín"):
            for k in range(4):
                visit, day = f"{branch}-{month}-{k}", dt.datetime(2026, month, 3 + k)
                fell = branch == "Kolín" and month > 3
                passes = (3, 4, 5, 4)[k] if fell else (7, 8, 6, 7)[k]
                rows += [(visit, day, branch, "S", f"i{i}", None, float(i < passes), 1.0) for i in range(8)]
    trends = compliance.trends(audit(rows))
    assert [t.branch for t in trends] == ["Kolín", "Kladno"]
    fell, steady = trends
    assert fell.falling and not steady.falling
    assert (fell.recent, fell.before, fell.change) == pytest.approx((0.5, 0.875, -0.375))
    assert (fell.visits_recent, fell.visits_before) == (12, 12)
    assert fell.high < 0 < steady.high


def test_the_correlation_across_branches_with_its_fisher_z_interval():
    x, y = [0.6, 0.7, 0.75, 0.8, 0.9, 0.95], [6.0, 7.1, 7.0, 8.2, 8.5, 9.3]
    found = compliance.correlation(x, y)
    r = pd.Series(x).corr(pd.Series(y))
    half = 1.959963984540054 / math.sqrt(3)
    assert (found.r, found.low, found.high, found.branches) == pytest.approx(
        (r, math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half), 6))
    assert math.isnan(compliance.correlation(x[:3], y[:3]).r)
