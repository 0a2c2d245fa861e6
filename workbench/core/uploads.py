"""The one decoder of files uploaded in the browser (a base64 data URL), with one error behaviour: a
:class:`UploadError` whose message names the file and says what to do, never a traceback."""

from __future__ import annotations

import base64
import binascii

from workbench.core import limits
from workbench.core.i18n import gettext as _


class UploadError(ValueError):
    """An upload that cannot be read: missing, over its size limit, not base64, or not the text it should be."""


def decode(contents: str | None, filename: str | None, limit: int = limits.UPLOAD_BYTES) -> bytes:
    """The uploaded file's bytes, refused over ``limit`` before they are decoded (a :class:`limits.LimitError`, which
    is a ValueError naming the file as an UploadError does)."""
    if not contents:
        raise UploadError(_("Choose a file first."))
    encoded = contents.partition(",")[2]
    limits.check_size(len(encoded) // 4 * 3 - encoded[-2:].count("="), limit, filename or "")
    try:
        return base64.b64decode(encoded)
    except binascii.Error:
        raise UploadError(
            _("{name}: the upload could not be read; choose the file again.").format(name=_named(filename))
        ) from None


def text(contents: str | None, filename: str | None, limit: int = limits.DOCUMENT_BYTES) -> str:
    """An uploaded text file (a journey, codebook or mapping) as UTF-8 text; a byte order mark is dropped."""
    try:
        return decode(contents, filename, limit).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError(_("{name} is not UTF-8 text; save it as UTF-8.").format(name=_named(filename))) from None


def _named(filename: str | None) -> str:
    """The file as a message names it."""
    return filename or _("The uploaded file")
