"""Does a touchpoint matter at all: its unique contribution, the z-test of its coefficient on the bootstrap's standard
error with Holm's adjustment, and the share intervals taken from each replicate's own shares — checked against
ordinary least squares by hand, R's p.adjust and the replicates themselves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from workbench.analysis import drivers
from workbench.core import formatting, metrics

NAMES = ["x0", "x1", "x2", "x3"]


def halo(seed: int, n: int, effects=(0.5, 0.3, 0.0, 0.0)) -> pd.DataFrame:
    """Four drivers sharing a common factor (correlation 0.5); y depends on the first two only."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1)) + rng.normal(size=(n, len(effects)))
    y = x @ np.array(effects) + rng.normal(size=n) * 1.5
    return pd.DataFrame({"y": y, **dict(zip(NAMES, x.T, strict=True))})


def ols(frame: pd.DataFrame, names: list[str]) -> tuple[np.ndarray, np.ndarray, float]:
    """Coefficients, their classical t statistics and R² of an ordinary least-squares fit with an intercept."""
    x = np.column_stack([np.ones(len(frame)), frame[names].to_numpy()])
    y = frame["y"].to_numpy()
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ coef
    sigma2 = residual @ residual / (len(y) - x.shape[1])
    se = np.sqrt(np.diag(np.linalg.inv(x.T @ x)) * sigma2)
    return coef[1:], (coef / se)[1:], 1 - residual @ residual / ((y - y.mean()) @ (y - y.mean()))


def test_holm_as_r_p_adjust():
    # p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") → 0.05 0.08 0.09 0.09 0.09
    assert metrics.holm([0.03, 0.01, 0.05, 0.02, 0.04]) == pytest.approx([0.09, 0.05, 0.09, 0.08, 0.09])
    # p.adjust(c(0.2, NA, 0.001, 0.6), "holm") → 0.4 NA 0.003 0.6
    adjusted = metrics.holm([0.2, np.nan, 0.001, 0.6])
    assert adjusted[[0, 2, 3]] == pytest.approx([0.4, 0.003, 0.6]) and np.isnan(adjusted[1])
    assert metrics.holm([]).size == 0


@settings(max_examples=30)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_holm_never_lowers_a_p_value_and_keeps_their_order(p):
    adjusted = metrics.holm(p)
    assert (adjusted >= np.array(p) - 1e-15).all() and (adjusted <= 1).all()
    order = np.argsort(p, kind="stable")
    assert (np.diff(adjusted[order]) >= -1e-15).all()


def test_the_unique_contribution_is_the_r_squared_a_driver_adds_entering_last():
    frame = halo(1, 500)
    table = drivers.bootstrap(frame, "y", NAMES, reps=20)
    _coef, _t, full = ols(frame, NAMES)
    expected = [full - ols(frame, [other for other in NAMES if other != name])[2] for name in NAMES]
    assert table["unique"].to_numpy() == pytest.approx(expected, abs=1e-10)
    assert (table["unique"] < table["importance"]).all()  # the halo's common part is credited by LMG, not here


def test_the_z_test_on_the_bootstrap_standard_error_agrees_with_the_classical_t_test():
    """Complete rows, one common factor, no clusters, small effects: the bootstrap's SE of a standardised
    coefficient is the classical one up to its Monte Carlo error (about 1/√(2 · 400) = 3.5 % with 400 replicates).
    Far from 0 they part (the sample's spreads vary too and enter through β), but a test asks near 0."""
    frame = halo(2, 3000, effects=(0.12, 0.06, 0.0, 0.0))
    table = drivers.bootstrap(frame, "y", NAMES, reps=400, seed=5)
    _coef, t, _r2 = ols(frame, NAMES)
    z = stats.norm.isf(table["p_value"].to_numpy() / 2)
    assert (np.abs(z - np.abs(t)) < 0.1 + 0.05 * np.abs(t)).all()
    assert table["p_adjusted"].to_numpy() == pytest.approx(metrics.holm(table["p_value"]))
    assert list(table["matters"]) == list(table["p_adjusted"] < 0.05)


def test_a_zero_driver_gets_a_share_above_zero_but_no_evidence_that_it_matters():
    table = drivers.bootstrap(halo(3, 2000), "y", NAMES, reps=200, seed=1)
    zero = table.iloc[2:]
    assert (zero["share_low"] > 0).all()  # LMG credits it through the common factor: its interval stays off 0 …
    assert not zero["matters"].any() and (zero["p_adjusted"] > 0.05).all()  # … yet it adds nothing
    assert table["matters"].iloc[:2].all()


def test_the_share_interval_is_the_percentiles_of_each_replicate_s_own_shares():
    frame = halo(4, 300)
    for method in drivers.METHODS:
        table = drivers.bootstrap(frame, "y", NAMES, method, reps=50, seed=9)
        values = frame[["y", *NAMES]].to_numpy()
        replicates = drivers._importance(drivers._resampled_covariances(values, None, 50, np.random.default_rng(9)),
                                         method)
        shares = replicates / replicates.sum(axis=1, keepdims=True)
        low, high = np.quantile(shares, [0.025, 0.975], axis=0)
        assert table["share_low"].to_numpy() == pytest.approx(low, abs=1e-12)
        assert table["share_high"].to_numpy() == pytest.approx(high, abs=1e-12)
        assert (table["share_low"] <= table["share"]).all() and (table["share"] <= table["share_high"]).all()
        # Not the importance's interval over the point R² (the old, wrong way): that is another interval.
        r2 = table["importance"].sum()
        assert table["share_low"].to_numpy() != pytest.approx((table["low"] / r2).to_numpy(), abs=1e-6)


def test_a_wider_confidence_widens_the_interval_and_raises_the_bar():
    frame = halo(5, 600)
    narrow = drivers.bootstrap(frame, "y", NAMES, reps=200, seed=2, confidence=0.8)
    wide = drivers.bootstrap(frame, "y", NAMES, reps=200, seed=2, confidence=0.99)
    assert (wide["share_high"] - wide["share_low"] > narrow["share_high"] - narrow["share_low"]).all()
    assert narrow["p_value"].to_numpy() == pytest.approx(wide["p_value"].to_numpy())
    assert list(narrow["matters"]) == list(narrow["p_adjusted"] < 0.2)
    assert list(wide["matters"]) == list(wide["p_adjusted"] < 0.01)


def test_the_reason_says_when_there_is_no_evidence_that_a_touchpoint_matters():
    table = pd.DataFrame({"touchpoint": ["checkout", "web"], "importance": [0.3, 0.1], "share": [0.75, 0.25],
                          "performance": [3.6, 4.4], "matters": [True, False], "p_adjusted": [0.0001, 0.4123]})
    reasons = drivers.priorities(table).set_index("touchpoint")["reason"]
    assert reasons["checkout"] == ("checkout explains 75 % of the explained variance and scores 3.6 against an "
                                   "average of 4.0.")
    assert reasons["web"] == ("web explains 25 % of the explained variance and scores 4.4 against an average of "
                              "4.0. But there is no evidence it matters once the other touchpoints are known "
                              f"({formatting.p_value(0.4123, 'p')}).")
