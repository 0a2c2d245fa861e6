"""User-interface text through gettext, so Czech and Polish catalogues can be dropped in later."""

from __future__ import annotations

import gettext as _gettext
import os
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"


@lru_cache(maxsize=8)
def _translation(language: str) -> _gettext.NullTranslations:
    return _gettext.translation("cxwb", localedir=LOCALE_DIR, languages=[language], fallback=True)


def gettext(message: str) -> str:
    """Translate a UI message into ``CXWB_LANG`` (English, the source language, when no catalogue exists)."""
    return _translation(os.environ.get("CXWB_LANG", "en")).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message whose form depends on a count (Czech and Polish have three forms)."""
    return _translation(os.environ.get("CXWB_LANG", "en")).ngettext(singular, plural, n)
