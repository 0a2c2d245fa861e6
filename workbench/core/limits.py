"""Limits on every input (files, uploads, backups, documents), the error that names the one exceeded, and the checks
that several readers share: sizes, JSON and YAML nesting and alias expansion, CSV fields.

Each limit is checked while the input is read (before the next step builds on it), so a hostile file costs at most
the limit, and the message says which file broke which limit: ``survey.csv: the file has 100 000 columns; the limit
is 5 000.``
"""

from __future__ import annotations

import copy
import csv
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.core import formatting
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _

MB = 1 << 20

COLUMNS = 5_000  # columns of a data file (CSV, XLSX, Parquet)
# Characters in one field: Python's csv module's own default limit, so every reader refuses the same fields.
FIELD_CHARS = 131_072
HEADER_BYTES = 1 * MB  # the header line of a CSV file
XLSX_CELLS = 5_000_000  # rows × columns of the sheet read: the reader holds all of them (about 250 bytes each)
XLSX_PART_BYTES = 512 * MB  # each part of an XLSX file (a zip member), unpacked
# The workbook's list of sheets and its relationships, unpacked: the reader keeps every entry (about 8 bytes for
# each byte); a workbook of a thousand sheets needs 100 kB.
XLSX_BOOK_BYTES = 16 * MB
XLSX_BYTES = 1024 * MB  # the parts read to open an XLSX file, or to read one sheet, unpacked together
# Values of a Parquet file (rows × columns, each value in a list counted), whose compression makes many values
# cheap on disk: an import holds about 40 bytes for each (4 M rows × 4 columns: 1.1 GB).
PARQUET_CELLS = 20_000_000
PARQUET_BYTES = 512 * MB  # a Parquet file's values decoded (text repeated from a dictionary: at its length each time)
UPLOAD_BYTES = 100 * MB  # a file uploaded in the browser; bigger files are opened by path
# A request carrying an upload: base64 makes 4 bytes of 3, plus the callback's other inputs.
REQUEST_BYTES = UPLOAD_BYTES * 4 // 3 + 1 * MB
DOCUMENT_BYTES = 2 * MB  # a journey file, codebook, column mapping, benchmark file or logo
BACKUP_TABLES_BYTES = 64 * MB  # the rows of a project in a backup (tables.json), unpacked
# Values of a JSON document, counted (as its commas and opening brackets) before it is parsed: Python holds 40–130
# bytes for each (64 MB of "{}," took 3.2 GB); a project's rows take about 20 bytes of JSON a value.
JSON_VALUES = 4_000_000
# A backup's dataset file may unpack to this many times its packed size (Parquet packs about 2:1 in a zip;
# a zip bomb of zeros, 1000:1); files unpacking to at most ZIP_SMALL_BYTES are always allowed.
ZIP_RATIO = 100
ZIP_SMALL_BYTES = 1 * MB
NESTING = 64  # levels of lists and mappings in a JSON or YAML document (journey files use 4)
YAML_VALUES = 100_000  # values of a YAML document counted with every alias expanded (a "billion laughs")
LOGO_PIXELS = 25_000_000  # a deck logo's width × height: decoding it takes 4 bytes a pixel
PATTERN_CHARS = 500  # a codebook regex pattern (Python's parser recurses on nested groups)
NAME_CHARS = 200  # a journey's, stage's or touchpoint's name taken from a file (the editor's fields hold as many)
# Touchpoints of a draft journey made from a file's touchpoint labels or rating columns: a map of more is no
# longer read, and a column of more distinct values is no touchpoint column (answer texts, ids).
DRAFT_TOUCHPOINTS = 200
# Reviews in one export: a chain's ten years on every platform are a few hundred thousand; each is read row by row.
REVIEW_ROWS = 1_000_000


# The sentences of a size over its limit (as found, and when it rounds to the limit: "more than"), by what is measured.
SIZE_MESSAGES = {
    "file": (
        N_("the file is {size}; the limit is {limit}."),
        N_("the file is more than {size}; the limit is {limit}."),
    ),
    "unpacked": (
        N_("it unpacks to {size}; the limit is {limit}."),
        N_("it unpacks to more than {size}; the limit is {limit}."),
    ),
    "written": (
        N_("{file} would be {size}; the limit is {limit}."),
        N_("{file} would be more than {size}; the limit is {limit}."),
    ),
}


class LimitError(ValueError):
    """An input over one of the limits; the message names the input (and row or column), what it has, the limit.

    ``message`` is one translated sentence saying what was found and the limit (``"the file has 6 000 columns; the
    limit is 5 000."``); ``where`` names the input before it, or is empty for a text without a name (a form's
    upload): the message then starts with the sentence, capitalised. The older form ``(where, found, limit)`` (what
    was found and the limit apart, joined by a sentence of their own) still reads.
    """

    def __init__(self, where: str, message: str, limit: str | None = None):
        if limit is not None:
            message = _("{found}; the limit is {limit}.").format(found=message, limit=limit)
        super().__init__(f"{where}: {message}" if where else message[:1].upper() + message[1:])


def counted(what: str, n: int) -> str:
    """``n`` things as a message counts them, in the reader's language ("4 001 rows"): ``what`` is ``rows``,
    ``columns``, ``values`` or ``cells``."""
    shown = formatting.count(n)
    if what == "rows":
        return ngettext("{n} row", "{n} rows", n).format(n=shown)
    if what == "columns":
        return ngettext("{n} column", "{n} columns", n).format(n=shown)
    if what == "values":
        return ngettext("{n} value", "{n} values", n).format(n=shown)
    if what == "cells":
        return ngettext("{n} cell", "{n} cells", n).format(n=shown)
    raise KeyError(what)


def check_size(found: int, limit: int, where: str, what: str = "file", **names: str) -> None:
    """Refuse ``found`` bytes over ``limit``; ``what`` is measured (a key of ``SIZE_MESSAGES``: the file, what it
    unpacks to, what would be written as ``names["file"]``)."""
    if found > limit:
        shown, most = formatting.size(found), formatting.size(limit)
        exact, more = SIZE_MESSAGES[what]
        message = more if shown == most else exact  # rounded alike: say which is more
        raise LimitError(where, _(message).format(size=shown, limit=most, **names))


def read_file(path: str | Path, limit: int = DOCUMENT_BYTES) -> bytes:
    """A file's bytes, refused before reading when it is over ``limit``."""
    path = Path(path)
    check_size(path.stat().st_size, limit, path.name)
    with path.open("rb") as handle:
        data = handle.read(limit + 1)  # the file may have grown since
    check_size(len(data), limit, path.name)
    return data


def check_text(text: str, where: str, limit: int = DOCUMENT_BYTES) -> None:
    """Refuse a document over ``limit`` bytes as UTF-8."""
    check_size(len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass")), limit, where)


def load_json(data: str | bytes | bytearray, where: str, limit: int = DOCUMENT_BYTES) -> Any:
    """Parse JSON of at most ``limit`` bytes nested at most ``NESTING`` levels; invalid JSON raises ValueError."""
    import json

    if isinstance(data, (bytes, bytearray)):
        check_size(len(data), limit, where)
    else:
        check_text(data, where, limit)
    check_json_values(json_values(data), where)
    try:
        value = json.loads(data)
    except RecursionError:  # nested deeper than Python's stack allows, so far deeper than NESTING
        raise _too_deep(where, "JSON") from None
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > NESTING:
            raise _too_deep(where, "JSON")
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return value


def json_values(data: str | bytes | bytearray) -> int:
    """How many values JSON text holds at most: each is the first in its document, list or object, or follows a
    comma (commas and brackets inside strings are counted too, so this never counts less). Counted in C, at
    gigabytes a second."""
    if isinstance(data, str):
        return data.count(",") + data.count("[") + data.count("{")
    return data.count(b",") + data.count(b"[") + data.count(b"{")


def check_json_values(found: int, where: str, written: str | None = None) -> None:
    """Refuse JSON of more than ``JSON_VALUES`` values, ``found`` counted by :func:`json_values` (streamed text can
    be counted chunk by chunk and refused before it is all read); ``written`` names a file about to be written."""
    if found > JSON_VALUES:
        values, limit = formatting.count(JSON_VALUES), formatting.count(JSON_VALUES)
        if written is None:
            message = ngettext(
                "the JSON has more than {values} value; the limit is {limit}.",
                "the JSON has more than {values} values; the limit is {limit}.",
                JSON_VALUES,
            ).format(values=values, limit=limit)
        else:
            message = ngettext(
                "{file} would have more than {values} value; the limit is {limit}.",
                "{file} would have more than {values} values; the limit is {limit}.",
                JSON_VALUES,
            ).format(file=written, values=values, limit=limit)
        raise LimitError(where, message)


def check_yaml(text: str, where: str, loader: type) -> None:
    """Refuse a YAML document over ``DOCUMENT_BYTES``, nested deeper than ``NESTING`` or expanding to more than
    ``YAML_VALUES`` values through its aliases; scanned as events, before anything is built from it.
    Invalid YAML raises the parser's own error."""
    import yaml

    check_text(text, where)
    expanded: dict[str, int] = {}  # anchor → values of its node, every alias in it expanded
    open_nodes: list[list] = []  # [anchor, values so far] of each collection still open
    total = 0
    for event in yaml.parse(text, Loader=loader):
        anchor, values = None, 0
        if isinstance(event, yaml.CollectionStartEvent):
            open_nodes.append([event.anchor, 1])
            total += 1
            if len(open_nodes) > NESTING:
                raise _too_deep(where, "YAML")
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, values = open_nodes.pop()
        elif isinstance(event, yaml.ScalarEvent):
            anchor, values = event.anchor, 1
            total += 1
        elif isinstance(event, yaml.AliasEvent):
            values = expanded.get(event.anchor, 1)  # an alias of a node still open is a cycle the loader refuses
            total += values
        if anchor:
            expanded[anchor] = values
        if values and open_nodes:
            open_nodes[-1][1] += values
        if total > YAML_VALUES:
            raise LimitError(
                where,
                ngettext(
                    "the YAML expands to more than {values} value through its aliases; the limit is {limit}.",
                    "the YAML expands to more than {values} values through its aliases; the limit is {limit}.",
                    YAML_VALUES,
                ).format(values=formatting.count(YAML_VALUES), limit=formatting.count(YAML_VALUES)),
            )


def zip_chunks(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, where: str, chunk: int = 1 * MB
) -> Iterator[bytes]:
    """A zip member unpacked as a stream, refused as soon as more than ``limit`` bytes come out.

    The bytes are counted, not taken from the zip's directory; one that unpacks to another length than the
    directory says raises ``zipfile.BadZipFile`` at its end.
    """
    check_size(info.file_size, limit, where, "unpacked")
    probe = copy.copy(info)
    probe.file_size = 1 << 62  # zipfile would stop at the claimed length (and fail its CRC check): we stop instead
    unpacked = 0
    with archive.open(probe) as stream:
        while piece := stream.read(chunk):
            unpacked += len(piece)
            if unpacked > limit:
                most = formatting.size(limit)
                raise LimitError(
                    where, _("it unpacks to more than {size}; the limit is {limit}.").format(size=most, limit=most)
                )
            yield piece
    if unpacked != info.file_size:
        raise zipfile.BadZipFile(
            _("{entry} unpacks to another length than the zip's directory says").format(entry=info.filename)
        )


def csv_rows(reader: Iterator[list[str]], where: str) -> Iterator[list[str]]:
    """The rows of a ``csv.reader``; a field over ``FIELD_CHARS`` raises :class:`LimitError` naming its line, any
    other error of the csv module a ValueError naming its line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # A line number is where the file is, as an editor shows it: no thousands separator.
            line = _("{file}, line {line}").format(file=where, line=reader.line_num)  # type: ignore[attr-defined]
            if "field limit" in str(error):
                raise LimitError(
                    line,
                    ngettext(
                        "a field has more than {characters} character; the limit is {limit}.",
                        "a field has more than {characters} characters; the limit is {limit}.",
                        FIELD_CHARS,
                    ).format(characters=formatting.count(FIELD_CHARS), limit=formatting.count(FIELD_CHARS)),
                ) from None
            raise ValueError(_("{line}: not readable as CSV ({error}).").format(line=line, error=error)) from None
        yield row


def _too_deep(where: str, kind: str) -> LimitError:
    """``kind`` is the format's name (JSON, YAML)."""
    return LimitError(
        where,
        ngettext(
            "the {kind} is nested more than {levels} level deep; the limit is {levels} level.",
            "the {kind} is nested more than {levels} levels deep; the limit is {levels} levels.",
            NESTING,
        ).format(kind=kind, levels=formatting.count(NESTING)),
    )
