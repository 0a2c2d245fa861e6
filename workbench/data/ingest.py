"""Survey and KPI files in: read CSV/XLSX/Parquet, map columns, validate, and write typed Parquet atomically.

The steps are separate pure functions so the Data page can preview and map before anything is written:
``read_source`` (with ``rows`` for a preview) → a mapping (proposed by :mod:`workbench.analysis.guesses`) → ``load`` (typed read)
→ ``prepare_survey`` / ``prepare_kpi`` (contract table + report) → ``write_parquet``.
Row numbers in reports are the file's row numbers: for CSV and XLSX the header is row 1, for Parquet the first
record is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core import formatting, limits
from workbench.core.contract import (
    FALSE_WORDS,
    METRICS,
    MISSING_WORDS,
    OVERALL,
    SURVEY_COLUMNS,
    TRUE_WORDS,
)
from workbench.core.errors import IngestError
from workbench.core.folding import fold
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.core.limits import LimitError
from workbench.core.metrics import SCALES
from workbench.data import dates, layouts, waves, xlsxguard

if TYPE_CHECKING:
    import pyarrow as pa

SAMPLE_BYTES = 64 * 1024
# csv.Sniffer's regexes take time quadratic in the text it is given (64 kB of ," took 19 s, 16 kB 1.2 s): it sees
# the sample's first lines up to this many characters together (at worst 0.3 s); a longer first line is counted.
SNIFF_CHARS = 8192
DELIMITERS = ";,\t|"
ENCODINGS = ("utf-8", "utf-8-sig", "cp1250", "iso-8859-2", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-16-be")
# Bytes for Š š Ť ť Ž ž Ś ś Ź ź: cp1250 puts them at 0x8A–0x9F, ISO-8859-2 at 0xA6–0xBF.
_CP1250_ONLY = set(b"\x8a\x8c\x8d\x8e\x8f\x9a\x9c\x9d\x9e\x9f")
_ISO_8859_2_ONLY = set(b"\xa6\xa9\xab\xac\xae\xb6\xb9\xbb\xbc\xbe")
# How often a letter appears in Czech and Polish text (cp1250) and in French, Spanish, German and Portuguese text
# (cp1252), per thousand letters, roughly: each high byte of a sample adds the logarithm of the letter it makes in
# each encoding, so "à" (a Western 3, "ŕ" a Central 0.01) decides and "é" (the same byte in both) does not.
_CENTRAL_FREQUENCY = {
    "á": 8,
    "č": 5,
    "ď": 0.2,
    "é": 6,
    "ě": 8,
    "í": 8,
    "ň": 0.4,
    "ó": 4,
    "ř": 6,
    "š": 4,
    "ť": 0.3,
    "ú": 1,
    "ů": 3,
    "ý": 5,
    "ž": 5,
    "ą": 5,
    "ć": 2,
    "ę": 5,
    "ł": 8,
    "ń": 1,
    "ś": 3,
    "ź": 0.5,
    "ż": 4,
    "ľ": 0.3,
    "ô": 0.1,
    "ä": 0.1,
}
_CENTRAL_ONLY = set("ěřůčłąśżźćťň")
_WESTERN_FREQUENCY = {
    "é": 10,
    "è": 3,
    "ê": 1,
    "à": 3,
    "â": 0.5,
    "ç": 1,
    "ô": 0.5,
    "î": 0.3,
    "ï": 0.1,
    "ë": 0.1,
    "û": 0.3,
    "ù": 0.2,
    "ñ": 2,
    "á": 2,
    "í": 2,
    "ó": 2,
    "ú": 1,
    "ü": 3,
    "ö": 2,
    "ä": 3,
    "ß": 1,
    "ã": 1,
    "õ": 0.5,
    "ø": 0.5,
    "å": 0.5,
    "æ": 0.2,
    "œ": 0.2,
    "ì": 0.1,
    "ò": 0.2,
    "š": 0.01,
    "ž": 0.01,
}
FILE_KINDS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".sav": "spss",
    ".zsav": "spss",
}
MAX_HEADER_ROWS = 5  # survey tools write up to three (Qualtrics)
HEADER_SCAN = 30  # an XLSX sheet's header is looked for in its first rows (titles may sit above it)
FIRST_ROWS = 5
PREVIEW_ROWS = 20
ROW_GROUP_SIZE = 256 * 1024


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written: text encoding, field delimiter and decimal mark."""

    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."
    header_rows: int = 1


@dataclass(frozen=True)
class Source:
    """A file read into a table, with what was detected about it."""

    table: pa.Table
    kind: str
    dialect: CsvDialect | None = None
    sheet: str | None = None
    layout: layouts.Layout = field(default_factory=layouts.Layout)
    header_row: int = 1
    value_labels: Mapping[str, Mapping] = field(default_factory=dict)

    @property
    def first_row(self) -> int:
        """Row number of the first record (after the header rows for CSV and XLSX)."""
        if self.kind in ("parquet", "spss"):
            return 1
        if self.dialect is not None:
            return self.dialect.header_rows + 1
        return self.header_row + self.layout.header_rows

    @property
    def descriptions(self) -> Mapping[str, str]:
        """Question text per column, where the file gives it (Qualtrics' second row, SPSS variable labels)."""
        return self.layout.descriptions

    @property
    def decimal(self) -> str:
        return self.dialect.decimal if self.dialect else "."


@dataclass(frozen=True)
class WideColumn:
    """In a one-row-per-respondent file: a rating column, the touchpoint it rates and its metric."""

    column: str
    touchpoint: str
    metric: str = "csat"
    scale: tuple[float, float] | None = None  # a "rating" column's own scale (else the mapping's rating_scale)


@dataclass(frozen=True)
class SurveyMapping:
    """Which file column holds which field of the survey contract.

    Parameters
    ----------
    ts : column with the answer date/time; None for a survey without dates, imported as one ``wave``.
    touchpoint : long files (one row per answer): column with the touchpoint label or key.
    nps, csat, ces, stars, rating : long files: columns with those scores (any may be None).
    wide : wide files (one row per respondent): rating columns, each with its touchpoint and metric;
        use touchpoint ``OVERALL`` for an overall score.
    rating_scale : lowest and highest value of the ``rating`` metric (any scale other than NPS/CSAT/CES).
    respondent_id, response_id, comment : optional columns.
    segments : columns kept as text segments (branch, region, channel…), under their own names.
    touchpoint_values : file label → journey touchpoint key; labels not listed must already be keys.
    na_codes : per metric, values meaning "not applicable" (stored as missing, not as errors).
    wave : the fieldwork month, day or range (``2026-03``, ``2026-03-15``, ``2026-03-01..2026-03-20``) of a survey
        without a date column (see :mod:`workbench.data.waves`); every answer is stored at its first day.
    date_format : the strptime format of ``ts`` when the user chose it (else the single reading that fits all).
    value_labels : per file column, text label → number (None: not applicable), for ratings given as words.
    outcome_label : the name of the overall outcome as the client calls it (e.g. "Satisfied").
    exclude : per file column, values whose rows are not answers (a survey tool's preview and test responses,
        incomplete responses: ``""`` is a blank cell); excluded rows are counted in the report.
    """

    ts: str | None = None
    touchpoint: str | None = None
    nps: str | None = None
    csat: str | None = None
    ces: str | None = None
    stars: str | None = None
    rating: str | None = None
    wide: tuple[WideColumn, ...] = ()
    rating_scale: tuple[float, float] = (1.0, 10.0)
    respondent_id: str | None = None
    response_id: str | None = None
    comment: str | None = None
    segments: tuple[str, ...] = ()
    touchpoint_values: Mapping[str, str] = field(default_factory=dict)
    na_codes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    wave: str | None = None
    date_format: str | None = None
    value_labels: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    outcome_label: str | None = None
    exclude: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def columns(self) -> list[str]:
        """Every file column the mapping uses."""
        named = [
            self.touchpoint,
            self.ts,
            *(getattr(self, m) for m in METRICS),
            *(w.column for w in self.wide),
            self.respondent_id,
            self.response_id,
            self.comment,
            *self.segments,
            *self.exclude,
        ]
        return list(dict.fromkeys(c for c in named if c))

    def scales(self) -> dict[str, tuple[float, float]]:
        """Lowest and highest valid value of each metric."""
        low, high = self.rating_scale
        return {**SCALES, "rating": (low, high)}

    def number_columns(self) -> dict[str, str]:
        """File column → metric of every score column."""
        if self.wide:
            return {w.column: w.metric for w in self.wide}
        return {getattr(self, m): m for m in METRICS if getattr(self, m)}

    def column_scale(self, column: str) -> tuple[float, float]:
        """Lowest and highest valid value of one score column."""
        metric = self.number_columns()[column]
        own = next((w.scale for w in self.wide if w.column == column and w.scale), None)
        return (own[0], own[1]) if metric == "rating" and own else self.scales()[metric]

    def column_na_codes(self, column: str) -> tuple[str, ...]:
        """The "not applicable" codes of a score column's metric that are no valid answer on its own scale (0 is
        not applicable on a 1–7 rating, but an answer of a 0/1 outcome of the same metric)."""
        low, high = self.column_scale(column)
        codes = self.na_codes.get(self.number_columns()[column], ())
        return tuple(c for c in codes if not _is_number(c) or not low <= formatting.decimal(c) <= high)

    def outcome(self) -> tuple[str, tuple[float, float]] | None:
        """Metric and scale of the overall outcome (wide files: the column mapped to ``OVERALL``), if mapped."""
        overall = next((w for w in self.wide if w.touchpoint == OVERALL), None)
        if overall is not None:
            return overall.metric, self.column_scale(overall.column)
        if self.touchpoint and OVERALL in self.touchpoint_values.values():
            metric = next((m for m in METRICS if getattr(self, m)), "nps")
            return metric, self.scales()[metric]
        return None


@dataclass(frozen=True)
class KpiMapping:
    """Which columns of a KPI file are the period or customer id, the segments and the KPIs.

    Parameters
    ----------
    kpis : numeric columns (decimal commas, spaces as thousands separators and yes/no words are read).
    period : period files: column with the month or week (any date in it; stored as given).
    respondent_id : customer-level files: the customer id that joins to the survey's ``respondent_id``.
    segments : text columns such as branch or region, named as in the survey data.
    """

    kpis: tuple[str, ...]
    period: str | None = None
    respondent_id: str | None = None
    segments: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "kpi_period" if self.period else "kpi_customer"

    def columns(self) -> list[str]:
        """Every file column the mapping uses."""
        return list(dict.fromkeys(c for c in (self.period, self.respondent_id, *self.segments, *self.kpis) if c))


@dataclass(frozen=True)
class Issue:
    """One kind of problem: how many rows have it and the first of them."""

    code: str
    column: str
    count: int
    rows: tuple[int, ...]
    message: str


@dataclass(frozen=True)
class ImportReport:
    """What validation found; ``rows_valid`` rows are the ones an import keeps."""

    rows_read: int
    rows_valid: int
    issues: tuple[Issue, ...] = ()
    date_format: str | None = None
    answers: int | None = None
    date_zone: str | None = None
    wave: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> ImportReport:
        issues = tuple(Issue(**{**i, "rows": tuple(i["rows"])}) for i in data.get("issues", ()))
        return cls(
            data["rows_read"],
            data["rows_valid"],
            issues,
            data.get("date_format"),
            data.get("answers"),
            data.get("date_zone"),
            data.get("wave"),
        )


# ------------------------------------------------------------------ reading


def file_kind(path: str | Path) -> str:
    """``csv``, ``xlsx`` or ``parquet`` from the file name."""
    kind = FILE_KINDS.get(Path(path).suffix.lower())
    if kind is None:
        raise IngestError(_("“{file}” is not a CSV, XLSX, Parquet or SPSS (.sav) file.").format(file=Path(path).name))
    return kind


def sniff(sample: bytes) -> CsvDialect:
    """Guess encoding, delimiter, decimal mark and header rows (a survey tool's layout) from a CSV file's first
    bytes."""
    if not sample.strip(b"\x00\xff\xfe\r\n\t "):
        raise IngestError(_("The file is empty."))
    encoding = _encoding(sample)
    text = sample.decode(encoding, errors="replace")
    lines = [line for line in text.splitlines() if line.strip()][:50]
    if len(lines) > 2 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may have cut the last line
    sniffed, length = [], 0
    for line in lines:
        length += len(line) + 1
        if length > SNIFF_CHARS:
            break
        sniffed.append(line)
    try:
        if not sniffed:
            raise csv.Error  # the first line is long: caught below
        delimiter = csv.Sniffer().sniff("\n".join(sniffed), delimiters=DELIMITERS).delimiter
    except csv.Error:  # the delimiter most frequent in the first line, outside quotes
        unquoted = re.sub(r'"[^"]*"', "", lines[0])
        delimiter = max(DELIMITERS, key=unquoted.count)
    rows = _parse_rows(text, delimiter, 5)
    layout = layouts.detect(rows)
    data = [delimiter.join(row) for row in rows[layout.header_rows :]]
    decimal = "," if delimiter != "," and _has_decimal_commas(data or lines[1:], delimiter) else "."
    return CsvDialect(encoding, delimiter, decimal, layout.header_rows)


def _parse_rows(text: str, delimiter: str, count: int) -> list[list[str]]:
    """The first ``count`` rows of CSV text (a row cut by the end of a sample is dropped)."""
    import io
    import itertools

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [row for row in itertools.islice(reader, count)]
    except csv.Error:
        return []


def _encoding(sample: bytes) -> str:
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"  # Excel's "Unicode text"
    pairs = sample[: len(sample) // 2 * 2]
    if pairs and pairs[1::2].count(0) > 0.3 * len(pairs) / 2:  # ASCII letters with a zero byte after each
        return "utf-16-le"
    if pairs and pairs[0::2].count(0) > 0.3 * len(pairs) / 2:
        return "utf-16-be"
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # only a character cut at the end of the sample
            return "utf-8"
    high = set(sample) - set(range(128))
    if high & _ISO_8859_2_ONLY and not high & _CP1250_ONLY:
        return "iso-8859-2"
    # Only bytes the two encodings read differently tell them apart (é, á, š are the same byte in both).
    letters = [
        (bytes([b]).decode("cp1250", "replace").lower(), bytes([b]).decode("cp1252", "replace").lower(), n)
        for b, n in Counter(b for b in sample if b > 127).items()
    ]
    letters = [(central, western, n) for central, western, n in letters if central != western]
    if not any(central in _CENTRAL_ONLY for central, _western, _n in letters) and any(
        western in _WESTERN_FREQUENCY for _central, western, _n in letters
    ):
        return "cp1252"  # Czech or Polish text of any length has ě, ř, ů, č, ł, ą, ś or ż; this has none
    central = sum(n * math.log(_CENTRAL_FREQUENCY.get(c, 0.005)) for c, _w, n in letters)
    western = sum(n * math.log(_WESTERN_FREQUENCY.get(w, 0.005)) for _c, w, n in letters)
    return "cp1252" if western > central else "cp1250"  # a tie is Central European: our clients' files


def _has_decimal_commas(lines: Sequence[str], delimiter: str) -> bool:
    number = re.compile(r"^\s*-?\d+,\d+\s*$")
    return any(number.match(cell) for line in lines for cell in line.split(delimiter))


def sniff_file(path: str | Path) -> CsvDialect:
    """The dialect of a CSV file, from its first bytes."""
    with Path(path).open("rb") as handle:
        return sniff(handle.read(SAMPLE_BYTES))


def _header(path: Path, dialect: CsvDialect) -> list[str]:
    """The column names of a CSV file, its header rows combined as its layout says."""
    return list(csv_layout(path, dialect)[0].names)


def csv_layout(path: str | Path, dialect: CsvDialect) -> tuple[layouts.Layout, int]:
    """The layout of a CSV file (names, question texts, rows to exclude) and how many lines its header rows take
    (a quoted question text may hold line breaks)."""
    import io
    import itertools

    path = Path(path)
    if not 1 <= dialect.header_rows <= MAX_HEADER_ROWS:
        raise IngestError(
            _("A file has 1 to {most} header rows, not {rows}.").format(most=MAX_HEADER_ROWS, rows=dialect.header_rows)
        )
    size = limits.HEADER_BYTES * dialect.header_rows + SAMPLE_BYTES
    with path.open("rb") as handle:
        head = handle.read(size + 1)
    text = head[:size].decode(dialect.encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter)
    rows = list(itertools.islice(limits.csv_rows(reader, path.name), dialect.header_rows))
    lines = reader.line_num
    rows += list(itertools.islice(_safe_rows(reader), max(0, 3 - len(rows))))
    if len(head) > size and len(rows) < dialect.header_rows + 1 and "\n" not in text[-SAMPLE_BYTES:]:
        most = formatting.size(limits.HEADER_BYTES)
        raise LimitError(
            path.name, _("the header row is longer than {size}; the limit is {limit}.").format(size=most, limit=most)
        )
    if not rows or not any(n.strip() for n in rows[0]):
        raise IngestError(_("The file has no header row."))
    layout = layouts.detect(rows, dialect.header_rows)
    _check_width(len(layout.names), path.name)
    _refuse_twice([n for n in layout.names])
    return layout, lines


def _safe_rows(reader):
    """Rows of a reader until one it cannot parse (the rows read to recognise a layout only; the preview and
    the import read them again and say what is wrong)."""
    try:
        yield from reader
    except csv.Error:
        return


def _check_width(columns: int, where: str) -> None:
    if columns > limits.COLUMNS:
        raise LimitError(
            where,
            ngettext(
                "the file has {columns} column; the limit is {limit}.",
                "the file has {columns} columns; the limit is {limit}.",
                columns,
            ).format(columns=formatting.count(columns), limit=formatting.count(limits.COLUMNS)),
        )


def _refuse_twice(names: Sequence[str]) -> None:
    """A column name given twice would make the mapping ambiguous."""
    twice = sorted(name for name, times in Counter(names).items() if times > 1)
    if twice:
        blank = _("(blank)")
        raise IngestError(
            _("Column name(s) used twice in the header: {names}.").format(
                names=", ".join(name or blank for name in twice)
            )
        )


def read_csv(
    path: str | Path,
    dialect: CsvDialect | None = None,
    types: Mapping[str, pa.DataType] | None = None,
    columns: Sequence[str] | None = None,
) -> tuple[pa.Table, CsvDialect]:
    """Read a CSV file (or only ``columns`` of it); columns not in ``types`` are text (typed in ``prepare_*``)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    dialect = dialect or sniff_file(path)
    layout, lines = csv_layout(path, dialect)
    names = list(layout.names)
    missing = [c for c in columns or () if c not in names]
    if missing:
        raise IngestError(_("Column(s) not in the file: {columns}.").format(columns=", ".join(missing)))
    column_types = {n: pa.string() for n in names} | dict(types or {})
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=dialect.encoding, block_size=8 << 20, skip_rows=lines, column_names=names
            ),
            parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter, newlines_in_values=_quoted(path)),
            convert_options=pacsv.ConvertOptions(
                column_types=column_types,
                strings_can_be_null=True,
                null_values=[""],
                decimal_point=dialect.decimal,
                include_columns=list(columns or ()),
            ),
        )
    except pa.ArrowInvalid as exc:
        if types:
            raise
        if "skip initial" in str(exc):  # Arrow's words for a file that ends within its header rows
            raise IngestError(_("The file has a header but no rows.")) from None
        raise IngestError(
            _("The file cannot be read as CSV: {problem}").format(
                problem=_first_bad_line(path, dialect, len(names)) or exc
            )
        ) from None
    except UnicodeDecodeError as exc:
        raise IngestError(
            _("The file is not {encoding} text ({reason}); choose its encoding.").format(
                encoding=dialect.encoding, reason=exc.reason
            )
        ) from None
    _check_fields(table, path.name, first_row=dialect.header_rows + 1)
    return table, dialect


def _check_fields(table: pa.Table, where: str, first_row: int) -> None:
    """Refuse a text field over ``FIELD_CHARS`` characters, naming its row and column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in table.column_names:
        column = table[name]
        if not pa.types.is_string(column.type):
            continue
        # Bytes come from the offsets alone; characters are counted only where the bytes allow a field too long.
        if (pc.max(pc.binary_length(column)).as_py() or 0) <= limits.FIELD_CHARS:
            continue
        lengths = pc.utf8_length(column)
        longest = pc.max(lengths).as_py()
        if longest > limits.FIELD_CHARS:
            row = pc.index(lengths, longest).as_py() + first_row
            raise LimitError(
                _("{file}, row {row}, column '{column}'").format(file=where, row=row, column=name),
                ngettext(
                    "the field has {characters} character; the limit is {limit}.",
                    "the field has {characters} characters; the limit is {limit}.",
                    longest,
                ).format(characters=formatting.count(longest), limit=formatting.count(limits.FIELD_CHARS)),
            )


def _quoted(path: Path) -> bool:
    """Whether the file quotes fields, so a comment may hold line breaks (the slower parser handles those)."""
    with path.open("rb") as handle:
        return b'"' in handle.read(SAMPLE_BYTES)


def _first_bad_line(path: Path, dialect: CsvDialect, expected: int) -> str | None:
    """Name the first line whose field count differs from the header's (Arrow does not say which)."""
    with path.open(encoding=dialect.encoding, errors="replace", newline="") as handle:
        for line, row in enumerate(
            limits.csv_rows(csv.reader(handle, delimiter=dialect.delimiter), path.name), start=1
        ):
            if row and len(row) != expected:
                return ngettext(
                    "line {line} has {fields} field, the header has {expected}.",
                    "line {line} has {fields} fields, the header has {expected}.",
                    len(row),
                ).format(line=line, fields=formatting.count(len(row)), expected=formatting.count(expected))
    return None


def _workbook(path: str | Path):
    from python_calamine import CalamineWorkbook

    _check_workbook(Path(path))
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every kind of broken file
        raise IngestError(_("The file cannot be read as XLSX: {problem}").format(problem=exc)) from None


def _check_workbook(path: Path, sheet: str | None = None) -> None:
    """The parts of a workbook the reader unpacks when it opens it, or one sheet, within the limits."""
    import zipfile
    import zlib

    try:
        xlsxguard.check(path, sheet)
    except (zipfile.BadZipFile, zlib.error, EOFError, xlsxguard.XlsxError) as exc:
        raise IngestError(_("The file cannot be read as XLSX: {problem}").format(problem=exc)) from None


def sheet_names(path: str | Path) -> list[str]:
    """The worksheets of an XLSX file."""
    return list(_workbook(path).sheet_names)


def read_xlsx(
    path: str | Path, sheet: str | None = None, rows: int | None = None, header_row: int | None = None
) -> tuple[pa.Table, str, int, layouts.Layout]:
    """Read one worksheet (the first by default); return it, its name, its header row (``header_row``, 1 = the
    first non-empty row, or the one detected below titles: see :func:`header_index`) and its layout (a survey
    tool's export may have two or three header rows: see :mod:`workbench.data.layouts`)."""
    workbook = _workbook(path)
    names = list(workbook.sheet_names)
    if not names:
        raise IngestError(_("The workbook has no sheets."))
    if sheet is not None and sheet not in names:
        raise IngestError(
            _("No sheet “{sheet}” in the workbook; it has: {sheets}.").format(sheet=sheet, sheets=", ".join(names))
        )
    sheet = sheet or names[0]
    _check_workbook(Path(path), sheet)
    wanted = None if rows is None else rows + (header_row or HEADER_SCAN) + 3
    data = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=True, nrows=wanted)
    data = [row for row in data if any(cell not in ("", None) for cell in row)]
    if not data:
        raise IngestError(_("The sheet is empty."))
    index = header_index(data) if header_row is None else header_row - 1
    if not 0 <= index < len(data):
        raise IngestError(
            ngettext(
                "The sheet has no row {row} to read the header from (it has {rows} row with values).",
                "The sheet has no row {row} to read the header from (it has {rows} rows with values).",
                len(data),
            ).format(row=header_row, rows=formatting.count(len(data)))
        )

    def texts(first: int) -> list[list[str]]:
        return [[_cell_text(c).strip() if c not in ("", None) else "" for c in row] for row in data[first : first + 4]]

    # SurveyMonkey's question row has blanks over its sub-answers, so the widest row found is the one below it.
    if header_row is None and index > 0 and layouts.detect(texts(index - 1)).name == "surveymonkey":
        index -= 1
    layout = layouts.detect(texts(index))
    if not any(layout.names):
        raise IngestError(_("The sheet has no header row."))
    _refuse_twice(layout.names)
    start = index + layout.header_rows
    body = data[start:] if rows is None else data[start : start + rows]
    table = _columns_table(list(layout.names), body)
    _check_fields(table, Path(path).name, first_row=start + 1)
    return table, sheet, index + 1, layout


def header_index(data: Sequence[Sequence]) -> int:
    """The header row of a sheet's non-empty rows: the first of its first rows that is as wide as the table
    below it and all text (titles above a table fill one cell, often merged across)."""
    scan = [[cell for cell in row if cell not in ("", None)] for row in data[:HEADER_SCAN]]
    widest = max(len(cells) for cells in scan)
    for index, cells in enumerate(scan):
        if len(cells) >= max(2, widest * 0.6) and all(isinstance(c, str) for c in cells):
            return index
    return 0


def _columns_table(header: list[str], rows: list[list]) -> pa.Table:
    """Spreadsheet cells to a table: all-number columns as float, all-date columns as timestamps, else text."""
    import datetime as dt

    import pyarrow as pa

    columns = {}
    for index, name in enumerate(header):
        name = name or f"column {index + 1}"
        cells = [row[index] if index < len(row) and row[index] != "" else None for row in rows]
        present = [c for c in cells if c is not None]
        if present and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in present):
            columns[name] = pa.array(cells, pa.float64())
        elif present and all(isinstance(c, (dt.date, dt.datetime)) for c in present):
            columns[name] = pa.array(
                [c if c is None or isinstance(c, dt.datetime) else dt.datetime(c.year, c.month, c.day) for c in cells],
                pa.timestamp("s"),
            )
        else:
            columns[name] = pa.array([None if c is None else _cell_text(c) for c in cells], pa.string())
    return pa.table(columns)


def _cell_text(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def read_parquet(path: str | Path, rows: int | None = None) -> pa.Table:
    """Read a Parquet file (dictionary columns decoded), refused first by what its footer says it holds, then by
    what its text decodes to, measured before it is decoded."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        with pq.ParquetFile(path) as parquet:
            texts = _parquet_footer(parquet, path.name)
        # Text is read as dictionaries, as stored: a value repeated in many rows is read once, measured below.
        with pq.ParquetFile(path, read_dictionary=texts) as parquet:
            if rows is not None:
                batch = next(parquet.iter_batches(batch_size=rows), None)
                table = pa.Table.from_batches([batch]) if batch is not None else parquet.schema_arrow.empty_table()
            else:
                table = parquet.read()
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(_("The file cannot be read as Parquet: {problem}").format(problem=exc)) from None
    decoded = sum(_decoded_bytes(chunk) for column in table.columns for chunk in column.chunks)
    if decoded > limits.PARQUET_BYTES:
        raise _decoded_too_big(path.name, decoded)
    table = table.cast(pa.schema([f.with_type(_plain_type(f.type)) for f in table.schema]), safe=False)
    _check_fields(table, path.name, first_row=1)
    return table


def _parquet_footer(parquet, where: str) -> list[str]:
    """Refuse a Parquet file by what its footer says: columns, values, and their size decoded (fixed-width values
    by their width, text by its size stored uncompressed, measured again after the read); return the paths of its
    text columns. Compression makes values cheap on disk: a few kB hold 100 M equal rows."""

    meta = parquet.metadata
    _check_width(meta.num_columns, where)
    widths = {"BOOLEAN": 1, "INT32": 4, "FLOAT": 4, "INT64": 8, "DOUBLE": 8, "INT96": 12}
    columns = [parquet.schema.column(i) for i in range(meta.num_columns)]
    values = decoded = 0
    for group in range(meta.num_row_groups):
        for i, column in enumerate(columns):
            chunk = meta.row_group(group).column(i)
            values += chunk.num_values
            if column.physical_type == "BYTE_ARRAY":
                decoded += chunk.total_uncompressed_size
            else:  # fixed width, fixed-length byte arrays by their length
                decoded += chunk.num_values * (widths.get(column.physical_type) or column.length)
    if values > limits.PARQUET_CELLS:
        raise LimitError(
            where,
            _("the file has {rows} × {columns}, {values}; the limit is {limit}.").format(
                rows=limits.counted("rows", meta.num_rows),
                columns=limits.counted("columns", meta.num_columns),
                values=limits.counted("values", values),
                limit=limits.counted("values", limits.PARQUET_CELLS),
            ),
        )
    if decoded > limits.PARQUET_BYTES:
        raise _decoded_too_big(where, decoded)
    texts = [
        column.path
        for column in columns
        if column.physical_type == "BYTE_ARRAY" and column.logical_type.type != "DECIMAL"
    ]
    for column in parquet.schema_arrow:
        if _has_map(column.type) and any(text.split(".")[0] == column.name for text in texts):
            raise IngestError(
                _("Column '{column}' is a map of text, which cannot be read here.").format(column=column.name)
            )
    return texts


def _decoded_too_big(where: str, decoded: int) -> LimitError:
    return LimitError(
        where,
        _("its values decode to {size}; the limit is {limit}.").format(
            size=formatting.size(decoded), limit=formatting.size(limits.PARQUET_BYTES)
        ),
    )


def _has_map(kind: pa.DataType) -> bool:
    import pyarrow as pa

    if pa.types.is_map(kind):
        return True
    return any(_has_map(kind.field(i).type) for i in range(kind.num_fields)) if pa.types.is_nested(kind) else False


def _decoded_bytes(array: pa.Array) -> int:
    """The bytes ``array`` takes with its dictionaries decoded: each value of a dictionary taken at its length."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = array.type
    if pa.types.is_dictionary(kind):
        return (pc.sum(pc.take(pc.binary_length(array.dictionary), array.indices)).as_py() or 0) + 4 * len(array)
    if pa.types.is_struct(kind):
        return sum(_decoded_bytes(field) for field in array.flatten())
    if pa.types.is_nested(kind):  # lists: their values
        return 8 * len(array) + _decoded_bytes(array.flatten())
    return array.nbytes


def _plain_type(kind: pa.DataType) -> pa.DataType:
    """Dictionary and large text as plain text; timestamps in ms, time-zone-aware ones as their zone's clock;
    dictionaries inside lists and records as their values."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pa.string()
    if pa.types.is_timestamp(kind):
        return pa.timestamp("ms")
    return _undictionary(kind)


def _undictionary(kind: pa.DataType) -> pa.DataType:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        return kind.value_type
    if pa.types.is_struct(kind):
        return pa.struct([field.with_type(_undictionary(field.type)) for field in kind])
    if pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(_undictionary(kind.value_type)))
    if pa.types.is_large_list(kind):
        return pa.large_list(kind.value_field.with_type(_undictionary(kind.value_type)))
    if pa.types.is_fixed_size_list(kind):
        return pa.list_(kind.value_field.with_type(_undictionary(kind.value_type)), kind.list_size)
    return kind


def read_source(
    path: str | Path,
    dialect: CsvDialect | None = None,
    sheet: str | None = None,
    rows: int | None = None,
    header_row: int | None = None,
) -> Source:
    """Read any supported file; ``rows`` limits it to its first records (for a preview); ``header_row`` is an
    XLSX sheet's header row (1 = the first; default: detected)."""
    path = Path(path)
    kind = file_kind(path)
    if kind == "xlsx":
        table, sheet, header_row, layout = read_xlsx(path, sheet, rows, header_row)
        return Source(table, kind, sheet=sheet, layout=layout, header_row=header_row)
    if kind == "parquet":
        table = read_parquet(path, rows)
        return Source(table, kind, layout=layouts.Layout(names=tuple(table.column_names)))
    if kind == "spss":
        from workbench.data import spss

        found = spss.read_sav(path, rows)
        layout = layouts.Layout("spss", 0, tuple(found.table.column_names), dict(found.descriptions))
        return Source(found.table, kind, layout=layout, value_labels=found.value_labels)
    dialect = dialect or sniff_file(path)
    layout, _lines = csv_layout(path, dialect)
    if rows is None:
        table, dialect = read_csv(path, dialect)
        return Source(table, kind, dialect, layout=layout)
    return Source(_csv_head(path, dialect, rows, layout), kind, dialect, layout=layout)


def _csv_head(path: Path, dialect: CsvDialect, rows: int, layout: layouts.Layout) -> pa.Table:
    """The header and first rows of a CSV file as text, read with the csv module (no full read)."""
    import io
    import itertools

    import pyarrow as pa

    names = layout.names
    with path.open("rb") as handle:
        text = handle.read(SAMPLE_BYTES * 4 + limits.HEADER_BYTES * dialect.header_rows).decode(
            dialect.encoding, errors="replace"
        )
    reader = limits.csv_rows(csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter), path.name)
    body = [row for row in itertools.islice(reader, dialect.header_rows, dialect.header_rows + rows) if row]
    columns = {
        name: [(row[i].strip() or None) if i < len(row) else None for row in body] for i, name in enumerate(names)
    }
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


def na_codes_outside_scales(codes: Sequence[str], rating_scale: tuple[float, float]) -> dict[str, tuple[str, ...]]:
    """Per metric, the given "not applicable" codes that cannot be a valid answer on its scale.

    ``0`` then means "not applicable" for CSAT and CES (1–5, 1–7) but stays a detractor's answer for NPS; a rating
    column with its own scale keeps, of these, those outside it (:meth:`SurveyMapping.column_na_codes`).
    """
    scales = {**SCALES, "rating": rating_scale}
    found = {}
    for metric, (low, high) in scales.items():
        kept = tuple(c for c in codes if not _is_number(c) or not low <= formatting.decimal(c) <= high)
        if kept:
            found[metric] = kept
    return found


def numeric_columns(table: pa.Table, decimal: str = ".") -> list[str]:
    """Columns whose values present are all numbers (candidates for scores and KPIs)."""
    import pyarrow as pa

    found = []
    for name in table.column_names:
        column = _array(table[name])
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            found.append(name)
        elif pa.types.is_string(column.type):
            checks = _Checks(len(column), 1)
            values = checks.numbers(column, name, decimal)
            if not checks.issues and values.null_count < len(values):
                found.append(name)
    return found


def column_values(
    path: str | Path,
    column: str,
    dialect: CsvDialect | None = None,
    sheet: str | None = None,
    limit: int = 500,
    header_row: int | None = None,
    by_count: bool = True,
) -> list[str]:
    """The distinct values of one column of a whole file (e.g. its touchpoint labels), most frequent first (or, not
    ``by_count``, in the order they first come in the file)."""
    import pyarrow.compute as pc

    path = Path(path)
    if file_kind(path) == "csv":
        table, _dialect = read_csv(path, dialect, columns=[column])
    else:
        table = read_source(path, dialect, sheet, header_row=header_row).table
    if column not in table.column_names:
        raise IngestError(_("Column not in the file: {column}.").format(column=column))
    _refuse_nested(table, [column])
    counts = pc.value_counts(_text(_array(table[column])).drop_null())
    pairs = list(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()))  # as first found
    if by_count:
        pairs.sort(key=lambda p: -p[1])
    return [value for value, _count in pairs[:limit]]


def load(
    path: str | Path,
    mapping: SurveyMapping | KpiMapping,
    dialect: CsvDialect | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
) -> Source:
    """Read a file for import: a CSV with clean score and date columns is typed while it is read (fast);
    one with any unreadable value is read as text so validation can name the rows."""
    import pyarrow as pa

    path = Path(path)
    if file_kind(path) != "csv" or not isinstance(mapping, SurveyMapping):
        return read_source(path, dialect, sheet, header_row=header_row)
    dialect = dialect or sniff_file(path)
    if all(_is_number(code) for codes in mapping.na_codes.values() for code in codes):
        if not set(mapping.columns()) - set(_header(path, dialect)):
            # Dates stay text: Arrow's parser rolls 31.02. over into March, so they are checked in prepare_*.
            types = {column: pa.float64() for column in mapping.number_columns()}
            try:
                table, dialect = read_csv(path, dialect, types)
                return Source(table, "csv", dialect, layout=csv_layout(path, dialect)[0])
            except pa.ArrowInvalid:
                pass
    table, dialect = read_csv(path, dialect)
    return Source(table, "csv", dialect, layout=csv_layout(path, dialect)[0])


def _is_number(text: str) -> bool:
    """A code is a number as a user writes one (a decimal comma too)."""
    try:
        formatting.decimal(text)
        return True
    except ValueError:
        return False


# ------------------------------------------------------------------ validating


class _Checks:
    """Collects row problems of one file: which rows are bad, and an Issue per kind of problem."""

    def __init__(self, rows: int, first_row: int):
        import numpy as np
        import pyarrow as pa

        self.lines = pa.array(np.arange(first_row, rows + first_row, dtype=np.int64))
        self.bad = pa.array(np.zeros(rows, dtype=bool))
        self.issues: list[Issue] = []

    def flag(self, mask: pa.Array, code: str, column: str, message: str) -> None:
        import pyarrow.compute as pc

        mask = pc.fill_null(mask, False)
        count = pc.sum(mask).as_py() or 0
        if count:
            rows = tuple(pc.filter(self.lines, mask).slice(0, FIRST_ROWS).to_pylist())
            self.issues.append(Issue(code, column, count, rows, message))
            self.bad = pc.or_(self.bad, mask)

    def timestamps(self, column: pa.ChunkedArray, name: str, date_format: str | None = None) -> dates.Reading:
        """Dates/times of a column, typed or text (see :mod:`workbench.data.dates`); unreadable ones are flagged."""
        import pyarrow as pa
        import pyarrow.compute as pc

        column = _array(column)
        if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            reading = dates.Reading(pc.cast(column, pa.timestamp("ms")), None)
            self.flag(pc.is_null(reading.values), "bad_date", name, _("date/time missing"))
            return reading
        raw = _text(column)
        try:
            reading = dates.read(raw, name, date_format)
        except dates.AmbiguousDates as exc:
            raise IngestError(
                _("{problem} (Data page: Date format; command line: --date-format)").format(problem=exc)
            ) from None
        present = pc.indices_nonzero(pc.invert(pc.is_null(raw)))
        if reading.format is None and len(present):
            first = present[0].as_py()
            raise IngestError(
                _(
                    "Column '{column}' holds no date in a format this importer reads (row {row}: “{value}”). "
                    "Accepted: {formats}; or give the survey's wave instead of a date column."
                ).format(
                    column=name,
                    row=self.lines[first].as_py(),
                    value=raw[first].as_py(),
                    formats=", ".join(dates.readable(f) for f, _o in dates.FORMATS),
                )
            )
        message = (
            _("date/time missing or not readable as {format}").format(format=dates.readable(reading.format))
            if reading.format
            else _("date/time missing or not readable")
        )
        self.flag(pc.is_null(reading.values), "bad_date", name, message)
        return reading

    def numbers(
        self, column: pa.ChunkedArray, name: str, decimal: str, na_codes: Sequence[str] = (), words: bool = False
    ) -> pa.Array:
        """Numbers of a column, typed or text (decimal comma, spaces in thousands, yes/no words if asked)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        column = _array(column)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            raw = _text(column)
            missing = [*na_codes, *MISSING_WORDS]
            raw = pc.if_else(
                pc.is_in(pc.utf8_lower(raw), value_set=pa.array([m.lower() for m in missing])),
                pa.scalar(None, pa.string()),
                raw,
            )
            raw = pc.replace_substring_regex(raw, "[\\s\u00a0\u202f]", "")
            if words:
                lowered = pc.utf8_lower(raw)
                raw = pc.if_else(
                    pc.is_in(lowered, value_set=pa.array(sorted(TRUE_WORDS))),
                    "1",
                    pc.if_else(pc.is_in(lowered, value_set=pa.array(sorted(FALSE_WORDS))), "0", raw),
                )
            pattern = r"^[-+]?\d+(?:,\d+)?$" if decimal == "," else r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$"
            numeric = pc.match_substring_regex(raw, pattern)
            self.flag(pc.and_(pc.invert(pc.is_null(raw)), pc.invert(numeric)), "bad_number", name, _("not a number"))
            text = pc.if_else(numeric, raw, pa.scalar(None, pa.string()))
            return pc.cast(pc.replace_substring(text, ",", ".") if decimal == "," else text, pa.float64())
        values = pc.cast(column, pa.float64())
        if na_codes:
            values = pc.if_else(
                pc.is_in(values, value_set=pa.array([formatting.decimal(c) for c in na_codes])),
                pa.scalar(None, pa.float64()),
                values,
            )
        return values

    def labelled(
        self, column: pa.ChunkedArray, name: str, labels: Mapping[str, float | None], decimal: str = "."
    ) -> pa.Array:
        """Ratings given as words: each label (any case) as its number, written with the file's ``decimal`` mark
        for :meth:`score` to read; "not applicable" labels as missing; a label not in ``labels`` is flagged.
        Numbers already in the column stay."""
        import pyarrow as pa
        import pyarrow.compute as pc

        raw = _text(_array(column))
        folded = {fold(label): value for label, value in labels.items()}
        keys = pa.array(list(folded), pa.string())
        numbers = pa.array(
            [None if v is None else f"{float(v):g}".replace(".", decimal) for v in folded.values()], pa.string()
        )
        position = pc.index_in(_fold_array(raw), value_set=keys)
        known = pc.invert(pc.is_null(position))
        numeric = pc.match_substring_regex(raw, r"^\s*[-+]?\d+([.,]\d+)?\s*$")
        self.flag(
            pc.and_(pc.invert(pc.is_null(raw)), pc.and_(pc.invert(known), pc.invert(pc.fill_null(numeric, False)))),
            "unknown_label",
            name,
            _("label not mapped to a number"),
        )
        return pc.if_else(known, pc.take(numbers, position), pc.if_else(numeric, raw, pa.scalar(None, pa.string())))

    def score(
        self,
        column: pa.ChunkedArray,
        name: str,
        metric: str,
        scale: tuple[float, float],
        na_codes: Sequence[str],
        decimal: str,
    ) -> pa.Array:
        """A metric's answers: numbers on its scale, whole numbers for NPS/CSAT/CES."""
        import pyarrow as pa
        import pyarrow.compute as pc

        label = metric.upper()
        before = len(self.issues)
        values = self.numbers(column, name, decimal, na_codes)
        if len(self.issues) > before:  # say which metric was not a number
            issue = self.issues[-1]
            message = (
                _("{metric} is not a number").format(metric=label) if metric in SCALES else _("rating is not a number")
            )
            self.issues[-1] = Issue(f"bad_{metric}", name, issue.count, issue.rows, message)
        low, high = scale
        shown = {"low": _scale_end(low), "high": _scale_end(high)}
        self.flag(
            pc.or_(pc.less(values, low), pc.greater(values, high)),
            f"range_{metric}",
            name,
            _("{metric} outside {low}–{high}").format(metric=label, **shown)
            if metric in SCALES
            else _("rating outside {low}–{high}").format(**shown),
        )
        values = pc.if_else(pc.and_(pc.greater_equal(values, low), pc.less_equal(values, high)), values, None)
        if metric == "rating":
            return values
        self.flag(
            pc.not_equal(values, pc.floor(values)),
            f"bad_{metric}",
            name,
            _("{metric} is not a whole number").format(metric=label),
        )
        whole = pc.if_else(pc.equal(values, pc.floor(values)), values, None)
        return pc.cast(whole, pa.int8())

    def ids(self, column: pa.ChunkedArray, name: str) -> pa.Array:
        """Ids that must be present and unique."""
        import pyarrow.compute as pc

        ids = _text(_array(column))
        self.flag(pc.is_null(ids), "missing_id", name, _("id missing"))
        self.flag(_duplicated(ids), "duplicate_id", name, _("id appears more than once"))
        return ids


def _scale_end(value: float) -> str:
    """An end of a scale as few digits as it has (1, 10, 0.5), in the reader's number format."""
    text = f"{value:g}"
    return text if "e" in text else formatting.number(value, len(text.partition(".")[2]))


def _duplicated(values: pa.Array) -> pa.Array:
    """True where a non-null value occurs more than once."""
    import numpy as np
    import polars as pl
    import pyarrow as pa

    series = pl.Series(pl.from_arrow(values))
    if series.n_unique() == len(series):  # the usual case, and a cheaper test than marking duplicates
        return pa.array(np.zeros(len(series), dtype=bool))
    return (series.is_duplicated() & series.is_not_null()).to_arrow()


def _refuse_reserved(segments: Sequence[str], reserved: Sequence[str]) -> None:
    """A segment may not take the name of a stored column (``ts``, ``comment``…): it would replace it."""
    taken = sorted(s for s in segments if s.casefold() in {r.casefold() for r in reserved})
    if taken:
        raise IngestError(
            _(
                "A segment cannot be called {names}: the name is taken by the data itself. Rename the column in "
                "the file."
            ).format(names=", ".join(taken))
        )


def _check_columns(table: pa.Table, wanted: Sequence[str]) -> None:
    if table.num_rows == 0:
        raise IngestError(_("The file has a header but no rows."))
    missing = [c for c in wanted if c not in table.column_names]
    if missing:
        raise IngestError(
            _("Column(s) not in the file: {columns}. The file has: {names}.").format(
                columns=", ".join(missing), names=", ".join(table.column_names)
            )
        )
    _refuse_nested(table, wanted)


def _refuse_nested(table: pa.Table, columns: Sequence[str]) -> None:
    """A column of lists or records (Parquet can hold them) is no score, date or text."""
    import pyarrow as pa

    for name in columns:
        kind = table.schema.field(name).type
        if pa.types.is_nested(kind):
            if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
                raise IngestError(_("Column '{column}' is a list, not a number, date or text.").format(column=name))
            raise IngestError(
                _("Column '{column}' is of type {type}, not a number, date or text.").format(column=name, type=kind)
            )


def prepare_survey(
    table: pa.Table,
    mapping: SurveyMapping,
    touchpoint_keys: Sequence[str],
    decimal: str = ".",
    source: str = "file",
    first_row: int = 2,
) -> tuple[pa.Table, ImportReport]:
    """Type and check survey rows; return the valid answers in the survey contract and the report.

    A wide file (``mapping.wide``) becomes one answer per rating given, with the respondent's id kept.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    _check_columns(table, mapping.columns())
    if bool(mapping.touchpoint) == bool(mapping.wide):
        raise IngestError(
            _(
                "Map either a touchpoint column (one row per answer) or rating columns to touchpoints "
                "(one row per respondent)."
            )
        )
    if not mapping.number_columns():
        raise IngestError(_("Map at least one score column (NPS, CSAT, CES or another rating)."))
    unknown = sorted(
        ({w.touchpoint for w in mapping.wide} | set(mapping.touchpoint_values.values()))
        - set(touchpoint_keys)
        - {OVERALL}
    )
    if unknown:
        raise IngestError(
            _("Mapped to touchpoints not in the journey: {touchpoints}. Map them again.").format(
                touchpoints=", ".join(unknown)
            )
        )
    _refuse_reserved(mapping.segments, SURVEY_COLUMNS)
    checks = _Checks(table.num_rows, first_row)
    if mapping.exclude:  # one flag for all the columns: a preview response is often marked in two of them
        masks = [
            pc.is_in(
                pc.fill_null(_text(_array(table[column])), ""),
                value_set=pa.array([str(v).strip() for v in values], pa.string()),
            )
            for column, values in mapping.exclude.items()
        ]
        checks.flag(
            functools.reduce(pc.or_, masks),
            "excluded",
            ", ".join(mapping.exclude),
            _("excluded: a preview, test, spam or incomplete response"),
        )
    if mapping.ts:
        reading = checks.timestamps(table[mapping.ts], mapping.ts, mapping.date_format)
    elif mapping.wave:
        wave = waves.parse(mapping.wave)
        start = pa.scalar(dt.datetime.combine(wave.start, dt.time()), pa.timestamp("ms"))
        reading = dates.Reading(pa.array([start.as_py()] * table.num_rows, pa.timestamp("ms")), None)
    else:
        raise IngestError(
            _(
                "Choose the date / time column, or give the survey's fieldwork wave (e.g. 2026-03) if "
                "the answers have no dates."
            )
        )
    ts = reading.values
    scores = {}
    for column, metric in mapping.number_columns().items():
        values = table[column]
        if column in mapping.value_labels:
            values = checks.labelled(values, column, mapping.value_labels[column], decimal)
        scores[column] = checks.score(
            values, column, metric, mapping.column_scale(column), mapping.column_na_codes(column), decimal
        )
    no_score = functools.reduce(pc.and_, [pc.is_null(values) for values in scores.values()])
    columns: dict[str, pa.Array] = {"ts": ts}
    lines = pc.cast(checks.lines, pa.string())
    if mapping.response_id:
        columns["response_id"] = checks.ids(table[mapping.response_id], mapping.response_id)
    elif mapping.wide and mapping.respondent_id:
        columns["response_id"] = checks.ids(table[mapping.respondent_id], mapping.respondent_id)
    else:
        columns["response_id"] = pc.binary_join_element_wise(source, lines, ":")
    if mapping.respondent_id:
        columns["respondent_id"] = _text(_array(table[mapping.respondent_id]))
    elif mapping.wide:
        columns["respondent_id"] = columns["response_id"]
    if mapping.comment:
        columns["comment"] = _as_string(_array(table[mapping.comment]))
    segments = {s: _text(_array(table[s])) for s in mapping.segments}

    if mapping.touchpoint:
        raw_tp = _text(_array(table[mapping.touchpoint]))
        labels = {**{k: k for k in touchpoint_keys}, **dict(mapping.touchpoint_values)}
        positions = pc.index_in(raw_tp, value_set=pa.array(list(labels), pa.string()))
        keys = pc.take(pa.array(list(labels.values()), pa.string()), positions)
        checks.flag(pc.is_null(raw_tp), "missing_touchpoint", mapping.touchpoint, _("touchpoint missing"))
        checks.flag(
            pc.and_(pc.invert(pc.is_null(raw_tp)), pc.is_null(keys)),
            "unknown_touchpoint",
            mapping.touchpoint,
            _("touchpoint not in the journey (map it to one)"),
        )
        checks.flag(pc.and_(no_score, pc.invert(checks.bad)), "no_score", ", ".join(scores), _("no score in the row"))
        columns["touchpoint"] = keys
        for column, metric in mapping.number_columns().items():
            columns[metric] = scores[column]
        keep = pc.invert(checks.bad)
        typed = _contract(
            {name: pc.filter(values, keep) for name, values in columns.items()},
            {s: pc.filter(v, keep) for s, v in segments.items()},
        )
    else:
        checks.flag(pc.and_(no_score, pc.invert(checks.bad)), "no_score", ", ".join(scores), _("no rating in the row"))
        typed = _melt(columns, segments, scores, mapping, pc.invert(checks.bad))
    rows_valid = table.num_rows - (pc.sum(checks.bad).as_py() or 0)
    report = ImportReport(
        table.num_rows,
        rows_valid,
        tuple(checks.issues),
        reading.format,
        typed.num_rows,
        reading.zone,
        mapping.wave if not mapping.ts else None,
    )
    return typed, report


def _melt(columns: dict, segments: dict, scores: dict, mapping: SurveyMapping, keep: pa.Array) -> pa.Table:
    """Wide rows → one answer per rating given; the comment goes with the first answer (overall first)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    order = sorted(mapping.wide, key=lambda w: w.touchpoint != OVERALL)
    commented = pa.array([False] * len(keep))
    pieces = []
    for wide in order:
        given = pc.and_(keep, pc.invert(pc.is_null(scores[wide.column])))
        piece = {name: pc.filter(values, given) for name, values in columns.items() if name != "comment"}
        piece["response_id"] = pc.binary_join_element_wise(piece["response_id"], wide.touchpoint, ":")
        piece["touchpoint"] = pa.array([wide.touchpoint] * len(piece["ts"]), pa.string())
        piece[wide.metric] = pc.filter(scores[wide.column], given)
        if "comment" in columns:
            first = pc.and_(given, pc.invert(commented))
            piece["comment"] = pc.filter(pc.if_else(first, columns["comment"], pa.scalar(None, pa.string())), given)
            commented = pc.or_(commented, given)
        pieces.append((piece, {s: pc.filter(v, given) for s, v in segments.items()}))
    metrics = {w.metric for w in mapping.wide}
    tables = []
    for piece, piece_segments in pieces:
        for metric in metrics - set(piece):
            piece[metric] = pa.nulls(len(piece["ts"]), pa.float64() if metric == "rating" else pa.int8())
        tables.append(_contract(piece, piece_segments))
    return pa.concat_tables(tables)


def _contract(columns: dict, segments: dict) -> pa.Table:
    import pyarrow as pa

    return pa.table({**{name: columns[name] for name in SURVEY_COLUMNS if name in columns}, **segments})


def prepare_kpi(
    table: pa.Table, mapping: KpiMapping, decimal: str = ".", first_row: int = 2
) -> tuple[pa.Table, ImportReport]:
    """Type and check KPI rows (per period × segments, or per customer); KPI columns get snake_case names."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _check_columns(table, mapping.columns())
    if bool(mapping.period) == bool(mapping.respondent_id):
        raise IngestError(
            _("Map either a period column (KPIs per month or week) or a customer id column (KPIs per customer).")
        )
    if not mapping.kpis:
        raise IngestError(_("Map at least one KPI column."))
    _refuse_reserved(mapping.segments, ("period", "respondent_id", *kpi_names(mapping.kpis).values()))
    checks = _Checks(table.num_rows, first_row)
    columns: dict[str, pa.Array] = {}
    date_format = None
    if mapping.period:
        reading = checks.timestamps(table[mapping.period], mapping.period)
        date_format = reading.format
        columns["period"] = pc.cast(reading.values, pa.date32())
    else:
        columns["respondent_id"] = checks.ids(table[mapping.respondent_id], str(mapping.respondent_id))
    for segment in mapping.segments:
        columns[segment] = _text(_array(table[segment]))
    for column, name in kpi_names(mapping.kpis).items():
        columns[name] = checks.numbers(table[column], column, decimal, words=True)
    if mapping.period:
        keys = [pc.cast(columns["period"], pa.string()), *(pc.fill_null(columns[s], "") for s in mapping.segments)]
        joined = pc.binary_join_element_wise(*keys, "\x1f")
        checks.flag(
            _duplicated(joined),
            "duplicate_key",
            ", ".join([mapping.period, *mapping.segments]),
            _("the same period and segments appear more than once"),
        )
    keep = pc.invert(checks.bad)
    typed = pa.table({name: pc.filter(values, keep) for name, values in columns.items()})
    return typed, ImportReport(table.num_rows, typed.num_rows, tuple(checks.issues), date_format, typed.num_rows)


def kpi_names(columns: Sequence[str]) -> dict[str, str]:
    """File column → snake_case KPI name (``Tržby (CZK)`` → ``trzby_czk``), unique."""
    names: dict[str, str] = {}
    for column in columns:
        base = re.sub(r"[^a-z0-9]+", "_", fold(column)).strip("_") or "kpi"
        name, number = base, 2
        while name in names.values():
            name, number = f"{base}_{number}", number + 1
        names[column] = name
    return names


def _array(column) -> pa.Array:
    import pyarrow as pa

    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _text(column: pa.Array) -> pa.Array:
    """Trimmed text with blanks as missing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(_as_string(column))
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _fold_array(column: pa.Array) -> pa.Array:
    """:func:`fold` of each value, computed once per distinct value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    distinct = pc.unique(column)
    folded = pa.array([None if v is None else fold(v) for v in distinct.to_pylist()], pa.string())
    return pc.take(folded, pc.index_in(column, value_set=distinct))


def _as_string(column: pa.Array) -> pa.Array:
    """Any column as text; whole floats (ids from spreadsheets) without ``.0`` or exponent."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string(column.type):
        return column
    if pa.types.is_floating(column.type):
        present = column.drop_null()
        if (
            len(present)
            and pc.all(pc.equal(present, pc.floor(present))).as_py()
            and pc.max(pc.abs(present)).as_py() < 2**53
        ):
            column = pc.cast(column, pa.int64())
    return pc.cast(column, pa.string())


# ------------------------------------------------------------------ mapping helpers


def shape(columns: Sequence[str]) -> str:
    """A fingerprint of a file's columns (names, ignoring order, case and accents) for reusing its mapping."""
    return hashlib.sha1("\n".join(sorted(fold(c) for c in columns)).encode()).hexdigest()[:16]


def mapping_to_dict(mapping: SurveyMapping | KpiMapping) -> dict:
    """A mapping as plain JSON-ready data."""
    import json

    kind = "survey" if isinstance(mapping, SurveyMapping) else "kpi"
    return json.loads(json.dumps({"kind": kind, **asdict(mapping)}))  # lists, as read back from JSON


def mapping_from_dict(data: Mapping) -> SurveyMapping | KpiMapping:
    """The inverse of :func:`mapping_to_dict`."""
    if not isinstance(data, Mapping):
        raise IngestError(
            _("Not a column mapping: it must be an object like {example}.").format(
                example='{"kind": "survey", "ts": …}'
            )
        )
    try:
        mapping = _mapping_from_dict(dict(data))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise IngestError(_("Not a column mapping: {problem}.").format(problem=exc)) from None
    if not all(isinstance(column, str) for column in mapping.columns()):
        raise IngestError(_("Not a column mapping: every column it names must be text."))
    return mapping


def _mapping_from_dict(data: dict) -> SurveyMapping | KpiMapping:
    if data.pop("kind") == "kpi":
        return KpiMapping(
            kpis=tuple(data["kpis"]),
            period=data.get("period"),
            respondent_id=data.get("respondent_id"),
            segments=tuple(data.get("segments", ())),
        )
    data["wide"] = tuple(
        WideColumn(**{**w, "scale": tuple(w["scale"]) if w.get("scale") else None}) for w in data.get("wide", ())
    )
    data["value_labels"] = {column: dict(labels) for column, labels in data.get("value_labels", {}).items()}
    data["exclude"] = {column: tuple(values) for column, values in data.get("exclude", {}).items()}
    data["segments"] = tuple(data.get("segments", ()))
    data["rating_scale"] = tuple(data.get("rating_scale", (1.0, 10.0)))
    data["na_codes"] = {metric: tuple(codes) for metric, codes in data.get("na_codes", {}).items()}
    return SurveyMapping(**data)


# ------------------------------------------------------------------ writing


def write_parquet(table: pa.Table, path: str | Path, temp_folder: str | Path | None = None) -> Path:
    """Write sorted by time in ~256 k-row groups to a temporary file, then rename: all or nothing."""
    import polars as pl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pl.DataFrame(pl.from_arrow(table))
    if "ts" in frame.columns and not frame["ts"].is_sorted():
        frame = frame.sort("ts")
    folder = Path(temp_folder) if temp_folder else path.parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=folder)
    os.close(handle)
    try:
        frame.write_parquet(temporary, compression="snappy", row_group_size=ROW_GROUP_SIZE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
