"""One way to turn findings into the file a user asked for: the deck, the pictures, the tables as a workbook or as
CSV files. The Export page and ``cxwb export`` both call :func:`render`."""

from __future__ import annotations

from workbench.core import i18n
from workbench.core.i18n import gettext as _
from workbench.features.export import Findings

KINDS = ("deck", "pictures", "xlsx", "csv")
ENDINGS = {"deck": ".pptx", "pictures": "-pictures.zip", "xlsx": "-tables.xlsx", "csv": "-tables.zip"}


def render(found: Findings, kind: str, style=None) -> bytes:
    """The file of ``kind`` (one of :data:`KINDS`) as bytes; a deck in ``style`` (:class:`deck.Style`, default look
    when None); every word and number in the export's language (``found.request.language``)."""
    with i18n.language(found.request.speaks()):
        return _render(found, kind, style)


def _render(found: Findings, kind: str, style) -> bytes:
    from workbench.export import deck, images, tables

    if kind == "deck":
        return deck.build(found, style or deck.Style())
    if kind == "pictures":
        return images.archive(found)
    if kind == "xlsx":
        return tables.to_xlsx(tables.frames(found))
    if kind == "csv":
        return tables.csv_archive(tables.frames(found))
    raise ValueError(_("Unknown export '{kind}'; use one of {choices}.").format(kind=kind, choices=", ".join(KINDS)))


def file_name(stem: str, kind: str) -> str:
    """The download's name: the stem and the ending of ``kind`` ('Parcel-csat-tables.xlsx')."""
    return f"{stem}{ENDINGS[kind]}"
