"""Text cells that spreadsheets open as text: a cell that would start a formula is written with a leading quote.

Excel, LibreOffice and Google Sheets run a cell beginning with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) as a formula, so a comment or keyword a client typed could run in the reader's spreadsheet. Every
CSV/XLSX the app writes goes through :func:`neutralise`; files the app reads back use :func:`restore`.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: str) -> str:
    """``value`` with a leading quote if a spreadsheet would take it for a formula (or it starts with the quote)."""
    return QUOTE + value if value.startswith((*FORMULA_STARTS, QUOTE)) else value


def restore(value: str) -> str:
    """The text :func:`neutralise` was given."""
    return value[1:] if value.startswith(QUOTE) and value[1:].startswith((*FORMULA_STARTS, QUOTE)) else value
