"""Folding text for matching: names typed with or without accents, in any case, match."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without diacritics, for matching names typed with or without accents."""
    text = str(text)
    if text.isascii():  # most comments and names: nothing to decompose
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())
