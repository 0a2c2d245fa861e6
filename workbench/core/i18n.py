"""User-interface text in the reader's language: English (the source), Czech or Polish.

The language is the one active in this context: a web request activates its browser's choice, a deck export the
language asked for, the CLI ``--lang``; otherwise ``CXWB_LANG`` or English. A context variable (not a parameter
through every call) because text is translated at every level, like Django's ``translation.activate``.

Text shown to a reader is translated when it is used, never at import: a module-level label is marked with ``N_``
(extracted, not translated) and read through ``_``/``Labels`` when a page, slide or message is made.
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext as _gettext
import os
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "cxwb"
DEFAULT = "en"
# Each language's own name (an autonym is never translated: a reader finds their language by it).
LANGUAGES: dict[str, str] = {"en": "English", "cs": "Čeština", "pl": "Polski"}
COOKIE = "cxwb_lang"

_active: contextvars.ContextVar[str | None] = contextvars.ContextVar("cxwb_language", default=None)


def supported(code: object) -> str | None:
    """``code`` as a supported language ('cs', 'cs-CZ' and 'CS' are 'cs'), or None."""
    if not isinstance(code, str):
        return None
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def default_language() -> str:
    """The server's language: ``CXWB_LANG`` when it names a supported one, else English."""
    return supported(os.environ.get("CXWB_LANG")) or DEFAULT


def current() -> str:
    """The language text is produced in right now."""
    return _active.get() or default_language()


def activate(code: str | None) -> contextvars.Token:
    """Make ``code`` (or the default, when unsupported) the current language; undo with ``deactivate(token)``."""
    return _active.set(supported(code))


def deactivate(token: contextvars.Token) -> None:
    """Restore the language active before ``activate`` returned ``token``."""
    _active.reset(token)


@contextlib.contextmanager
def language(code: str | None) -> Iterator[str]:
    """Produce text in ``code`` inside the block (a deck in the client's language), then restore the previous one."""
    token = activate(code)
    try:
        yield current()
    finally:
        deactivate(token)


@lru_cache(maxsize=8)
def _translation(code: str) -> _gettext.NullTranslations:
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[code], fallback=True)


def gettext(message: str) -> str:
    """``message`` in the current language (English, the source language, when there is no translation)."""
    return _translation(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for a count ``n``: the catalogue's plural rule (Czech and Polish have three forms)."""
    return _translation(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language as meant in ``context`` (a journey template's word vs the same UI word)."""
    return _translation(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues without translating it (a label defined at import, translated on use)."""
    return message


class Labels(Mapping[str, str]):
    """Labels marked with ``N_`` that read in the current language: ``STATUSES["done"]`` is 'Hotovo' in Czech."""

    def __init__(self, source: Mapping[str, str]):
        self._source = dict(source)

    def __getitem__(self, key: str) -> str:
        return gettext(self._source[key])

    def source(self, key: str) -> str:
        """The label as the code writes it (English), whatever the current language."""
        return self._source[key]

    def __iter__(self):
        return iter(self._source)

    def __len__(self) -> int:
        return len(self._source)

    def __repr__(self) -> str:
        return f"Labels({self._source!r})"
