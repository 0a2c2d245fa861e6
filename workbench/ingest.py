"""Survey files in: detect the CSV dialect, read, map columns, validate, and write typed Parquet atomically.

The steps are separate pure functions so the Data page can preview and map before anything is written:
``sniff`` → ``read_csv`` (all columns as text) → ``prepare_survey`` (typed table + report) → ``write_parquet``.
Row numbers in reports are the file's line numbers (the header is line 1).
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.metrics import SCALES

if TYPE_CHECKING:
    import pyarrow as pa

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ";,\t|"
# Bytes for Š š Ť ť Ž ž Ś ś Ź ź: cp1250 puts them at 0x8A–0x9F, ISO-8859-2 at 0xA6–0xBF.
_CP1250_ONLY = set(b"\x8a\x8c\x8d\x8e\x8f\x9a\x9c\x9d\x9e\x9f")
_ISO_8859_2_ONLY = set(b"\xa6\xa9\xab\xac\xae\xb6\xb9\xbb\xbc\xbe")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
                "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y")
FIRST_ROWS = 5
ROW_GROUP_SIZE = 256 * 1024


class IngestError(ValueError):
    """A file that cannot be imported at all (empty, unreadable, mapped columns missing)."""


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written: text encoding, field delimiter and decimal mark."""

    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."


@dataclass(frozen=True)
class SurveyMapping:
    """Which file column holds which field of the survey contract.

    Parameters
    ----------
    touchpoint : column with the touchpoint label or key.
    ts : column with the answer date/time.
    nps, csat, ces : columns with those scores (any may be None).
    respondent_id, response_id, comment : optional columns.
    segments : columns kept as text segments (branch, region, channel…), under their own names.
    touchpoint_values : file label → journey touchpoint key; labels not listed must already be keys.
    na_codes : per score field, values meaning "not applicable" (stored as missing, not as errors).
    """

    touchpoint: str
    ts: str
    nps: str | None = None
    csat: str | None = None
    ces: str | None = None
    respondent_id: str | None = None
    response_id: str | None = None
    comment: str | None = None
    segments: tuple[str, ...] = ()
    touchpoint_values: Mapping[str, str] = field(default_factory=dict)
    na_codes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def columns(self) -> list[str]:
        """Every file column the mapping uses."""
        named = [self.touchpoint, self.ts, self.nps, self.csat, self.ces, self.respondent_id, self.response_id,
                 self.comment, *self.segments]
        return [c for c in named if c]


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


# ------------------------------------------------------------------ reading


def sniff(sample: bytes) -> CsvDialect:
    """Guess encoding, delimiter and decimal mark from the first bytes of a CSV file."""
    if not sample.strip():
        raise IngestError("The file is empty.")
    encoding = _encoding(sample)
    text = sample.decode(encoding, errors="replace")
    lines = [line for line in text.splitlines() if line.strip()][:50]
    if len(lines) > 2 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may have cut the last line
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = max(DELIMITERS, key=lambda d: lines[0].count(d))
    decimal = "," if delimiter != "," and _has_decimal_commas(lines[1:], delimiter) else "."
    return CsvDialect(encoding, delimiter, decimal)


def _encoding(sample: bytes) -> str:
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # only a character cut at the end of the sample
            return "utf-8"
    high = set(sample) - set(range(128))
    return "iso-8859-2" if high & _ISO_8859_2_ONLY and not high & _CP1250_ONLY else "cp1250"


def _has_decimal_commas(lines: Sequence[str], delimiter: str) -> bool:
    import re

    number = re.compile(r"^\s*-?\d+,\d+\s*$")
    return any(number.match(cell) for line in lines for cell in line.split(delimiter))


def read_csv(path: str | Path, dialect: CsvDialect | None = None) -> tuple[pa.Table, CsvDialect]:
    """Read a CSV file with every column as text (typing happens in :func:`prepare_survey`)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    if dialect is None:
        with path.open("rb") as handle:
            dialect = sniff(handle.read(SAMPLE_BYTES))
    with path.open("rb") as handle:
        header = handle.readline().decode(dialect.encoding, errors="replace")
    names = next(csv.reader([header.strip("\r\n")], delimiter=dialect.delimiter), [])
    if not any(n.strip() for n in names):
        raise IngestError("The file has no header row.")
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=dialect.encoding, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        raise IngestError(f"The file cannot be read as CSV: {_first_bad_line(path, dialect, len(names)) or exc}") from None
    return table, dialect


def _first_bad_line(path: Path, dialect: CsvDialect, expected: int) -> str | None:
    """Name the first line whose field count differs from the header's (Arrow does not say which)."""
    with path.open(encoding=dialect.encoding, errors="replace", newline="") as handle:
        for line, row in enumerate(csv.reader(handle, delimiter=dialect.delimiter), start=1):
            if row and len(row) != expected:
                return f"line {line} has {len(row)} fields, the header has {expected}."
    return None


# ------------------------------------------------------------------ validating


def prepare_survey(table: pa.Table, mapping: SurveyMapping, touchpoint_keys: Sequence[str],
                   decimal: str = ".", source: str = "file") -> tuple[pa.Table, ImportReport]:
    """Type and check survey rows; return the valid rows in the survey contract and the report."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if table.num_rows == 0:
        raise IngestError("The file has a header but no rows.")
    missing = [c for c in mapping.columns() if c not in table.column_names]
    if missing:
        raise IngestError(f"Column(s) not in the file: {', '.join(missing)}. "
                          f"The file has: {', '.join(table.column_names)}.")
    lines = pa.array(range(2, table.num_rows + 2), pa.int64())
    bad = pa.array([False] * table.num_rows)
    issues: list[Issue] = []

    def flag(mask: pa.Array, code: str, column: str, message: str) -> None:
        nonlocal bad
        mask = pc.fill_null(mask, False)
        count = pc.sum(mask).as_py() or 0
        if count:
            rows = tuple(pc.filter(lines, mask).slice(0, FIRST_ROWS).to_pylist())
            issues.append(Issue(code, column, count, rows, message))
            bad = pc.or_(bad, mask)

    columns: dict[str, pa.Array] = {}

    # Date/time: the format that reads the most rows wins.
    raw_ts = _text(table[mapping.ts])
    date_format, ts = _best_date_format(raw_ts)
    flag(pc.is_null(ts), "bad_date", mapping.ts,
         f"date/time not readable{f' as {date_format}' if date_format else ''}")
    columns["ts"] = ts

    # Touchpoint: file labels mapped to journey keys.
    raw_tp = _text(table[mapping.touchpoint])
    labels = {**{k: k for k in touchpoint_keys}, **dict(mapping.touchpoint_values)}
    positions = pc.index_in(raw_tp, value_set=pa.array(list(labels), pa.string()))
    keys = pc.take(pa.array(list(labels.values()), pa.string()), positions)
    flag(pc.is_null(raw_tp), "missing_touchpoint", mapping.touchpoint, "touchpoint missing")
    flag(pc.and_(pc.invert(pc.is_null(raw_tp)), pc.is_null(keys)), "unknown_touchpoint", mapping.touchpoint,
         "touchpoint not in the journey (map it to one)")
    columns["touchpoint"] = keys

    for metric, (low, high) in SCALES.items():
        column = getattr(mapping, metric)
        if not column:
            continue
        raw = _text(table[column])
        na = pc.is_in(raw, value_set=pa.array(list(mapping.na_codes.get(metric, ())), pa.string()))
        raw = pc.if_else(na, pa.scalar(None, pa.string()), raw)
        numeric = pc.match_substring_regex(raw, r"^-?\d+(?:[.,]0+)?$" if decimal == "," else r"^-?\d+(?:\.0+)?$")
        flag(pc.and_(pc.invert(pc.is_null(raw)), pc.invert(numeric)), f"bad_{metric}", column,
             f"{metric.upper()} is not a whole number")
        values = pc.cast(pc.if_else(numeric, pc.replace_substring(raw, ",", "."), pa.scalar(None, pa.string())),
                         pa.float64())
        flag(pc.or_(pc.less(values, low), pc.greater(values, high)), f"range_{metric}", column,
             f"{metric.upper()} outside {low}–{high}")
        in_range = pc.and_(pc.greater_equal(values, low), pc.less_equal(values, high))
        columns[metric] = pc.cast(pc.if_else(in_range, values, None), pa.int8())

    scored = [columns[m] for m in SCALES if m in columns]
    if not scored:
        raise IngestError("Map at least one score column (NPS, CSAT or CES).")
    no_score = pc.is_null(scored[0])
    for values in scored[1:]:
        no_score = pc.and_(no_score, pc.is_null(values))
    flag(pc.and_(no_score, pc.invert(bad)), "no_score", ", ".join(getattr(mapping, m) for m in SCALES
                                                                  if getattr(mapping, m)), "no score in the row")

    if mapping.response_id:
        ids = _text(table[mapping.response_id])
        flag(pc.is_null(ids), "missing_id", mapping.response_id, "response id missing")
        counts = pc.value_counts(ids)
        repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
        flag(pc.is_in(ids, value_set=repeated), "duplicate_id", mapping.response_id, "response id appears more than once")
        columns["response_id"] = ids
    else:
        columns["response_id"] = pc.binary_join_element_wise(source, pc.cast(lines, pa.string()), ":")
    if mapping.respondent_id:
        columns["respondent_id"] = _text(table[mapping.respondent_id])
    if mapping.comment:
        columns["comment"] = table[mapping.comment].combine_chunks()
    for segment in mapping.segments:
        columns[segment] = _text(table[segment])

    order = ["response_id", "respondent_id", "ts", "touchpoint", "nps", "csat", "ces", "comment", *mapping.segments]
    typed = pa.table({name: columns[name] for name in order if name in columns})
    valid = typed.filter(pc.invert(bad))
    return valid, ImportReport(table.num_rows, valid.num_rows, tuple(issues), date_format)


def _text(column) -> pa.Array:
    """Trimmed text with blanks as missing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _best_date_format(raw: pa.Array, sample: int = 2000) -> tuple[str | None, pa.Array]:
    """Pick the format that reads the most of a sample of the values, then parse the whole column with it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    present = raw.drop_null().slice(0, sample)
    best, best_count = None, 0
    for date_format in DATE_FORMATS:
        parsed = pc.strptime(present, format=date_format, unit="s", error_is_null=True)
        if len(parsed) - parsed.null_count > best_count:
            best, best_count = date_format, len(parsed) - parsed.null_count
    if best is None:
        return None, pa.nulls(len(raw), pa.timestamp("s"))
    return best, pc.strptime(raw, format=best, unit="s", error_is_null=True)


# ------------------------------------------------------------------ writing


def write_parquet(table: pa.Table, path: str | Path) -> Path:
    """Write sorted by time in ~256 k-row groups to a temporary file, then rename: all or nothing."""
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if "ts" in table.column_names:
        table = table.sort_by("ts")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        pq.write_table(table, temporary, row_group_size=ROW_GROUP_SIZE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
