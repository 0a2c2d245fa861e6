"""workbench.core.codes: distinct values and each row's place among them, as np.unique gives them."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from workbench.core import codes


def expected(values):
    uniques, inverse = np.unique(values, return_inverse=True)
    return uniques, inverse.reshape(-1)


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(st.sampled_from([np.int64, np.int32, np.uint32]), st.integers(0, 60),
                  elements=st.integers(0, 200)))
def test_small_and_wide_codes_come_back_as_np_unique_gives_them(values):
    """Counted (a range no wider than the rows) or sorted (wider): the same distinct values and places."""
    uniques, inverse = codes.distinct(values)
    want_uniques, want_inverse = expected(values)
    assert np.array_equal(uniques, want_uniques) and np.array_equal(inverse, want_inverse)
    assert uniques.dtype == values.dtype


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 60), elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_negative_and_fractional_values_are_sorted_as_np_unique_sorts_them(values):
    uniques, inverse = codes.distinct(values)
    want_uniques, want_inverse = expected(values)
    assert np.array_equal(uniques, want_uniques) and np.array_equal(inverse, want_inverse)


def test_a_known_bound_counts_codes_up_to_it():
    values = np.array([4, 0, 4, 2])
    uniques, inverse = codes.distinct(values, size=5)
    assert uniques.tolist() == [0, 2, 4] and inverse.tolist() == [2, 0, 2, 1]


@given(st.lists(st.integers(0, 40), max_size=60), st.integers(0, 40))
def test_codes_under_a_known_bound_are_counted_or_sorted_as_np_unique_gives_them(values, extra):
    """A bound within the rows counts (the alert rules' touchpoint × segment pairs), a wider one sorts."""
    values = np.array(values, dtype=np.int64)
    size = int(values.max(initial=-1)) + 1 + extra
    uniques, inverse = codes.distinct(values, size)
    want_uniques, want_inverse = expected(values)
    assert uniques.tolist() == want_uniques.tolist() and inverse.tolist() == want_inverse.tolist()


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.int64, st.integers(0, 60), elements=st.integers(0, 10_000)))
def test_first_rows_are_np_unique_s_first_indices(values):
    uniques, inverse = codes.distinct(values)
    _want, want_first = np.unique(values, return_index=True)
    assert codes.first_rows(inverse, len(uniques)).tolist() == want_first.tolist()
