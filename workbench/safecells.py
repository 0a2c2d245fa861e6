"""Text cells that spreadsheets open as text: a cell that would start a formula is written with a leading quote.

Excel, LibreOffice and Google Sheets run a cell beginning with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) as a formula. A spreadsheet may also trim whitespace before it reads a cell (LibreOffice's "trim
spaces" import option runs ``" =1+1"``), so a cell is quoted too when its first character after leading whitespace
(spaces, line breaks, no-break and other Unicode spaces) starts a formula. A comment or keyword a client typed thus
never runs in the reader's spreadsheet. Every CSV/XLSX the app writes goes through :func:`neutralise`; files the app
reads back use :func:`restore`.
"""

from __future__ import annotations

FORMULA_CHARACTERS = ("=", "+", "-", "@")
FORMULA_STARTS = (*FORMULA_CHARACTERS, "\t", "\r")  # no neutralised cell starts with one of these
QUOTE = "'"


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
