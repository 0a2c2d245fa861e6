"""Unit: cells a spreadsheet would run as formulas are written quoted, and read back as they were."""

import csv
import io

from hypothesis import given, strategies as st

from workbench import text
from workbench.safecells import neutralise, restore
from workbench.text import Codebook, Theme


def test_formula_starts_get_a_quote_and_plain_text_does_not():
    assert [neutralise(v) for v in ("=1+1", "+420 123", "-5", "@SUM(A1)", "\tx", "'quoted", "late", "")] == [
        "'=1+1", "'+420 123", "'-5", "'@SUM(A1)", "'\tx", "''quoted", "late", ""]


@given(st.text())
def test_restore_undoes_neutralise(value):
    assert restore(neutralise(value)) == value
    assert not neutralise(value).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_an_exported_codebook_csv_carries_no_formula_and_reads_back_the_same():
    hostile = Codebook((Theme("calc", "=HYPERLINK(\"http://evil\",\"click\")", keywords=("=cmd|' /C calc'!A0",),
                              patterns=("-?\\d+", "@x")),
                        Theme("fine", "'quoted name", keywords=("+1", "late"))))
    written = text.dump_codebook(hostile, "csv")
    cells = [cell for row in csv.reader(io.StringIO(written), delimiter=";") for cell in row]
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert text.load_codebook(written, "csv") == hostile
