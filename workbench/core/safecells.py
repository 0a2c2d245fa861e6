"""Text cells that spreadsheets open as text: a cell that would start a formula is written with a leading quote.

Excel, LibreOffice and Google Sheets run a cell beginning with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) as a formula. A spreadsheet may also trim whitespace before it reads a cell (LibreOffice's "trim
spaces" import option runs ``" =1+1"``), so a cell is quoted too when its first character after leading whitespace
(spaces, line breaks, no-break and other Unicode spaces) starts a formula. A comment or keyword a client typed thus
never runs in the reader's spreadsheet. Every CSV/XLSX the app writes goes through :func:`neutralise`; files the app
reads back use :func:`restore`.

Every file the app writes as XML (the deck's runs, table cells, notes and chart data, XLSX cells, the pictures'
SVG) takes its text through :func:`xml_safe` (:func:`text_cell` for a spreadsheet cell): a control character, a
lone surrogate or U+FFFE in a name, a segment value or a comment would otherwise make the writer fail ("All strings
must be XML compatible") or write a file that does not open.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence

FORMULA_CHARACTERS = ("=", "+", "-", "@")
FORMULA_STARTS = (*FORMULA_CHARACTERS, "\t", "\r")  # no neutralised cell starts with one of these
QUOTE = "'"
REPLACEMENT = "\ufffd"
# What XML 1.0 cannot hold: C0 controls but tab, line feed and carriage return; lone surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _quoted(value: str) -> bool:
    """Whether :func:`neutralise` quotes ``value``: a formula, maybe after whitespace; a tab or carriage return
    first (as OWASP advises); or a leading quote (so that :func:`restore` is exact)."""
    return value.startswith((*FORMULA_STARTS, QUOTE)) or value.lstrip().startswith(FORMULA_CHARACTERS)


def neutralise(value: str) -> str:
    """``value`` with a leading quote if a spreadsheet would take it for a formula (or it starts with the quote)."""
    return QUOTE + value if _quoted(value) else value


def restore(value: str) -> str:
    """The text :func:`neutralise` was given."""
    return value[1:] if value.startswith(QUOTE) and _quoted(value[1:]) else value


def xml_safe(value: str) -> str:
    """``value`` with every character XML cannot hold replaced, one for one: a whitespace control (vertical tab,
    form feed, the separators U+001C–U+001F) by a space, any other by U+FFFD, the replacement character."""
    return _NOT_XML.sub(_replacement, value) if _NOT_XML.search(value) else value


def _replacement(match: re.Match) -> str:
    return " " if match.group().isspace() else REPLACEMENT


def text_cell(value: str) -> str:
    """A spreadsheet cell's text: XML-safe (the same text in CSV and XLSX), then neutralised."""
    return neutralise(xml_safe(value))


def cell(value):
    """A value as a spreadsheet cell: text XML-safe and neutralised, a missing value None, numpy scalars as Python's,
    the rest as it is."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or type(value).__name__ == "NaTType":
        return None
    if isinstance(value, str):
        return text_cell(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def csv_bytes(header: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    """A table as UTF-8 CSV with a byte-order mark (so Excel reads the accents), every cell through :func:`cell`,
    numbers with every digit."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([text_cell(str(c)) for c in header])
    for row in rows:
        writer.writerow(
            ["" if (found := cell(v)) is None else repr(found) if isinstance(found, float) else found for v in row]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
