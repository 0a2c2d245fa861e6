"""Unit: cells a spreadsheet would run as formulas are written quoted, and read back as they were; text that XML
cannot hold is made writable."""

import csv
import io

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from workbench.core.safecells import (
    FORMULA_STARTS,
    neutralise,
    restore,
    text_cell,
    xml_safe,
)
from workbench.repos import text
from workbench.repos.text import Codebook, Theme

# Whitespace a spreadsheet may trim before it reads a formula (LibreOffice's "trim spaces" import option).
SPACES = (" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1f", "\u00a0", "\u2003", "\u3000")


def test_formula_starts_get_a_quote_and_plain_text_does_not():
    assert [neutralise(v) for v in ("=1+1", "+420 123", "-5", "@SUM(A1)", "\tx", "'quoted", "late", "")] == [
        "'=1+1", "'+420 123", "'-5", "'@SUM(A1)", "'\tx", "''quoted", "late", ""]


def test_a_formula_after_leading_whitespace_is_quoted_too():
    for value in (" =1+1", "  +1", "\n=1+1", "\r\n@SUM(1)", "\u00a0=1+1", "\u2003-2+3", " \t=cmd|' /C calc'!A0"):
        assert neutralise(value) == "'" + value, repr(value)
        assert restore(neutralise(value)) == value
    for value in (" late", "\u00a0x", " 'quoted", "a =1"):  # spaces before plain text or a quote stay as they are
        assert neutralise(value) == value and restore(value) == value


def test_an_old_file_reads_back_as_before():
    # Written before leading whitespace counted: those cells were not quoted, and read back unchanged.
    assert [restore(v) for v in (" =1", "'=1", "''x", "'x", "' x")] == [" =1", "=1", "'x", "'x", "' x"]


formula_like = st.builds(lambda spaces, start, rest: spaces + start + rest,
                         st.text(st.sampled_from(SPACES), max_size=3), st.sampled_from(("=", "+", "-", "@", "'", "")),
                         st.text(max_size=5))


@given(st.one_of(st.text(), formula_like))
def test_restore_undoes_neutralise(value):
    written = neutralise(value)
    assert restore(written) == value
    assert not written.startswith(FORMULA_STARTS)
    assert not written.lstrip().startswith(("=", "+", "-", "@"))  # trimmed, it is still no formula


def test_an_exported_codebook_csv_carries_no_formula_and_reads_back_the_same():
    hostile = Codebook((Theme("calc", "=HYPERLINK(\"http://evil\",\"click\")", keywords=("=cmd|' /C calc'!A0",),
                              patterns=(" =1+1", "-?\\d+", "@x")),
                        Theme("fine", "'quoted name", keywords=("\u00a0@SUM(1)", "+1", "late"))))
    written = text.dump_codebook(hostile, "csv")
    cells = [cell for row in csv.reader(io.StringIO(written), delimiter=";") for cell in row]
    assert all(not cell.lstrip().startswith(("=", "+", "-", "@")) for cell in cells)
    assert text.load_codebook(written, "csv") == hostile


# ------------------------------------------------------------------ text XML can hold


def test_xml_safe_replaces_what_xml_cannot_hold():
    assert xml_safe("Check\x01out") == "Check\ufffdout"
    assert xml_safe("nul\x00 and \x1b[31m") == "nul\ufffd and \ufffd[31m"
    assert xml_safe("line\x0bbreak\x0cpage\x1cfile\x1funit") == "line break page file unit"  # whitespace: a space
    assert xml_safe("half \ud83d emoji \udfff") == "half \ufffd emoji \ufffd"
    assert xml_safe("no\ufffech\uffffar") == "no\ufffdch\ufffdar"
    kept = "tab\tnew\nline\rcr ž € 😀 \u007f\u0085 \ud7ff\ue000\ufffd"
    assert xml_safe(kept) == kept


@given(st.text(st.characters(exclude_categories=()), max_size=30))
def test_every_text_made_xml_safe_goes_into_xml(value):
    safe = xml_safe(value)
    assert len(safe) == len(value)
    element = etree.Element("t")
    element.text = safe  # lxml refuses any character XML 1.0 cannot hold
    assert etree.fromstring(etree.tostring(element, encoding="utf-8")).text in (safe, None)
    assert xml_safe(safe) == safe


def test_a_text_cell_is_xml_safe_then_neutralised():
    assert text_cell("\x0b=1+1") == "' =1+1"  # the vertical tab becomes a space: still a formula, so quoted
    assert text_cell("\x01=1+1") == "\ufffd=1+1"
    assert restore(text_cell("=a\x02")) == "=a\ufffd"
