"""XLSX files checked as zip streams before the reader opens them.

calamine unpacks whole each part it reads (the shared strings when it opens a workbook, a sheet when it is asked
for one) and holds a sheet's used range as a dense grid, so a file of a few kB can ask it for terabytes (one cell
at XFD1048576) and abort the process. So each part is unpacked here first as a stream, its bytes counted rather
than taken from the zip's directory, and a sheet's cell references are scanned for the range they span.
A damaged zip raises ``zipfile.BadZipFile`` or ``zlib.error`` for the caller to word.
"""

from __future__ import annotations

import functools
import html
import re
import zipfile
from pathlib import Path

from workbench import limits
from workbench.limits import LimitError

CHUNK = 2 << 20  # larger chunks scan no faster and hold more memory (8 MB: +70 MB at the peak)
_ATTRIBUTE = re.compile(rb'([\w:.-]+)\s*=\s*"([^"]*)"')
# What follows "<c" or "<row" (or "<x:c", "<x:row" with a namespace prefix) in a cell's or row's tag, with its
# reference as calamine reads it: either quote, spaces around "=", lower-case letters. A tag without one gives "".
_CELL_REFERENCE = r"""^[\s/>](?:[^>]*?\br\s*=\s*["'](?P<column>[A-Za-z]{1,3})(?P<row>\d{1,20})["'])?"""
_ROW_REFERENCE = r"""^[\s/>](?:[^>]*?\br\s*=\s*["'](?P<row>\d{1,20})["'])?"""
_LONGEST_TAG = 64 << 10  # a tag cut by a chunk's end waits for the next chunk, up to this length


def check(path: Path, sheet: str | None = None) -> None:
    """Refuse a workbook whose parts read when it opens (or, given ``sheet``, that sheet) break a limit."""
    stat = path.stat()
    _check(path, stat.st_size, stat.st_mtime_ns, sheet)


@functools.lru_cache(maxsize=32)  # the Data page reads a file up to three times: preview, labels, import
def _check(path: Path, _size: int, _modified: int, sheet: str | None) -> None:
    import pyarrow as pa

    with zipfile.ZipFile(path) as archive:
        sheets = _sheet_parts(archive)
        if sheet is None:
            for info in archive.infolist():
                if info.filename not in sheets.values() and not info.is_dir():
                    _scan(archive, info, f"{path.name}, part {info.filename}")
            return
        parts = [sheets[sheet]] if sheet in sheets else \
            [name for name in archive.namelist() if name.startswith("xl/worksheets/")]  # the reader knows better
        for part in parts:
            _scan(archive, archive.getinfo(part), f"{path.name}, sheet '{sheet}'", extent=_Extent())
    pa.default_memory_pool().release_unused()  # Arrow keeps what the scan freed; the reader needs it next


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part, from the workbook's sheet list and relationships (empty if they cannot be read)."""
    try:
        infos = [archive.getinfo(name) for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")]
    except KeyError:
        return {}
    if any(info.file_size > limits.DOCUMENT_BYTES for info in infos):  # lists of a few sheets: never this big
        return {}
    book, links = (archive.read(info) for info in infos)
    targets = {}
    for tag in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", links):
        attributes = dict(_ATTRIBUTE.findall(tag))
        target = html.unescape(attributes.get(b"Target", b"").decode("utf-8", "replace"))
        targets[attributes.get(b"Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    parts = {}
    for tag in re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", book):
        attributes = dict(_ATTRIBUTE.findall(tag))
        link = next((value for key, value in attributes.items() if key.endswith(b":id")), None)
        if link in targets:
            parts[html.unescape(attributes.get(b"name", b"").decode("utf-8", "replace"))] = targets[link]
    return parts


def _scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, extent: _Extent | None = None) -> None:
    """Unpack one part as a stream, counting its bytes and (for a sheet) the range its cells span."""
    tail = b""
    for chunk in limits.zip_chunks(archive, info, limits.XLSX_PART_BYTES, where, CHUNK):
        if extent is not None:
            text = tail + chunk
            cut = text.rfind(b"<")
            text, tail = (text[:cut], text[cut:]) if 0 <= cut and len(text) - cut <= _LONGEST_TAG else (text, b"")
            extent.add(text, where)
    if extent is not None:
        extent.add(tail, where)


class _Extent:
    """The rows and columns a sheet's cells span so far, refused past ``COLUMNS`` or ``XLSX_CELLS``."""

    def __init__(self):
        self.last_row = self.last_column = self.rows_unnumbered = self.cells_unnumbered = 0

    def add(self, text: bytes, where: str) -> None:
        import pyarrow.compute as pc

        text = text.decode("utf-8", "replace")
        cells, rows = _references(text, "c", _CELL_REFERENCE), _references(text, "row", _ROW_REFERENCE)
        letters = pc.max(pc.utf8_lpad(pc.utf8_upper(cells.field("column")), 3, "@")).as_py()  # "@" < "A"
        self.last_column = max(self.last_column, _column_number((letters or "").lstrip("@")))
        for found in (cells, rows):
            self.last_row = max(self.last_row, int(pc.max(pc.utf8_lpad(found.field("row"), 20, "0")).as_py() or 0))
        # A cell or row without a reference follows the one before it, so each can only widen the range by one.
        self.cells_unnumbered += pc.sum(pc.equal(cells.field("column"), "")).as_py() or 0
        self.rows_unnumbered += pc.sum(pc.equal(rows.field("row"), "")).as_py() or 0
        height, width = self.last_row + self.rows_unnumbered, self.last_column + self.cells_unnumbered
        if width > limits.COLUMNS:
            raise LimitError(where, f"the sheet has {limits.count(width)} columns", limits.count(limits.COLUMNS))
        if height * width > limits.XLSX_CELLS:
            raise LimitError(where, f"the sheet spans {limits.count(height)} rows × {limits.count(width)} columns "
                             "or more", f"{limits.count(limits.XLSX_CELLS)} cells (save it as CSV to import more)")


def _references(text: str, name: str, reference: str):
    """What ``reference`` finds right after each tag named ``name`` (any namespace prefix) in ``text``: a reference,
    or "" for a tag without one. Split and searched by Arrow in C++ (RE2), five times faster than ``re.findall``;
    at a literal "<name" (whose other words, such as "<col", the reference leaves out) unless a prefix is in use,
    as a pattern is four times slower still."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array([text])
    if pc.match_substring_regex(array, rf"<[^\s<>/:!?]+:{name}\b")[0].as_py():
        pieces = pc.split_pattern_regex(array, rf"<(?:[^\s<>/:!?]+:)?{name}\b")
    else:
        pieces = pc.split_pattern(array, f"<{name}")
    return pc.extract_regex(pc.list_flatten(pieces).slice(1), reference).drop_null()


def _column_number(letters: str) -> int:
    """``A`` → 1, ``XFD`` → 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number
