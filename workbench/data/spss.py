"""SPSS data files (``.sav``, ``.zsav``, what fieldwork agencies deliver) read with pyreadstat: the values, the
question texts (variable labels), the value labels and the user-defined missing codes.

The file's dictionary is read first and the file refused by what it declares (columns, values, text of a ``.zsav``)
before any data is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from workbench.core import formatting, limits
from workbench.core.errors import IngestError
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.core.limits import LimitError

if TYPE_CHECKING:
    import pyarrow as pa

# Values (rows × variables): pyreadstat holds about 20 bytes for each while it reads (21 M values took 400 MB), the
# import then about 40 bytes for each, as for Parquet.
SAV_CELLS = 20_000_000
# Text a .zsav's string variables may hold, rows × their declared widths: zlib packs repeated text 1000:1, so a
# small file could unpack to gigabytes. A .sav's own compression writes at most 8 bytes for each byte of the file.
ZSAV_TEXT_BYTES = 512 * limits.MB
# Seconds from SPSS's day zero, 1582-10-14 (the first day of the Gregorian calendar), to 1970-01-01.
SPSS_EPOCH_SECONDS = 12_219_379_200
# Format types of date and date-time variables, stored as seconds since day zero (a format is its type, width and
# decimals: EDATE10, DATETIME20). TIME, DTIME and MTIME are durations and stay seconds; WKDAY and MONTH are numbers.
DATE_FORMATS = frozenset({"DATE", "ADATE", "EDATE", "JDATE", "SDATE", "QYR", "MOYR", "WKYR", "DATETIME", "YMDHMS"})
ZSAV_MAGIC = b"$FL3"  # a .sav starts with $FL2


@dataclass(frozen=True)
class SpssFile:
    """An SPSS file's values (codes, not their labels), question texts, value labels and user-missing codes.

    ``missing`` holds each variable's user-defined missing values as SPSS declares them: a code, or a
    ``(low, high)`` range of numeric codes. Those values are null in ``table``.
    """

    table: pa.Table
    descriptions: dict[str, str]
    value_labels: dict[str, dict[float | str, str]]
    missing: dict[str, tuple[float | str | tuple[float, float], ...]]


def read_sav(path: str | Path, rows: int | None = None) -> SpssFile:
    """Read an SPSS ``.sav`` or ``.zsav`` file, or its first ``rows`` rows (a preview), refused first by its
    dictionary: numbers as float64, text as strings (blank as null), dates and date-times as timestamp[ms]."""
    import pyreadstat

    path = Path(path)
    try:
        # user_missing=True only here: the dictionary then lists the missing codes, which the data read makes null.
        _frame, meta = pyreadstat.read_sav(path, metadataonly=True, user_missing=True)
        meta = cast(Any, meta)  # its stubs type the missing ranges and value labels narrower than they are
        most = _check_dictionary(path, meta, rows)
        # pyreadstat reads every row for a row_limit of 0.
        wanted = most + 1 if rows is None else min(max(rows, 1), most + 1)
        frame, _meta = pyreadstat.read_sav(path, row_limit=wanted, disable_datetime_conversion=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
        raise IngestError(_("The file cannot be read as SPSS: {problem}").format(problem=exc)) from None
    if len(frame) > most:  # a file whose header does not say how many rows it has
        raise _too_many_values(path.name, most, meta.number_columns or 0, more=True)
    return SpssFile(
        table=_table(frame, meta),
        descriptions={name: label for name, label in meta.column_names_to_labels.items() if label},
        value_labels={name: dict(labels) for name, labels in meta.variable_value_labels.items()},
        missing={
            name: tuple(_missing_code(declared) for declared in ranges) for name, ranges in meta.missing_ranges.items()
        },
    )


def _check_dictionary(path: Path, meta: Any, rows: int | None) -> int:
    """Refuse a file by what its dictionary declares; return how many rows may be read."""
    columns = meta.number_columns
    if columns > limits.COLUMNS:
        raise LimitError(
            path.name,
            ngettext(
                "the file has {columns} column; the limit is {limit}.",
                "the file has {columns} columns; the limit is {limit}.",
                columns,
            ).format(columns=formatting.count(columns), limit=formatting.count(limits.COLUMNS)),
        )
    most = SAV_CELLS // max(columns, 1)
    found = meta.number_rows  # None when the header does not say
    if found is not None and found > most:
        raise _too_many_values(path.name, found, columns)
    read = min(x for x in (found, rows, most) if x is not None)
    width = sum(
        meta.variable_storage_width[name] for name, kind in meta.readstat_variable_types.items() if kind == "string"
    )
    with path.open("rb") as handle:
        zsav = handle.read(len(ZSAV_MAGIC)) == ZSAV_MAGIC
    if zsav and read * width > ZSAV_TEXT_BYTES:
        raise LimitError(
            path.name,
            _(
                "its text variables are declared to hold up to {size} (rows × widths; saved as .sav it can be "
                "read); the limit is {limit}."
            ).format(size=formatting.size(read * width), limit=formatting.size(ZSAV_TEXT_BYTES)),
        )
    return most


def _too_many_values(where: str, rows: int, columns: int, more: bool = False) -> LimitError:
    """The file has ``rows`` rows (``more`` than that, when its header does not say) of ``columns`` columns."""
    counts = {
        "rows": limits.counted("rows", rows),
        "columns": limits.counted("columns", columns),
        "limit": limits.counted("values", SAV_CELLS),
    }
    if more:
        return LimitError(where, _("the file has more than {rows} × {columns}; the limit is {limit}.").format(**counts))
    return LimitError(where, _("the file has {rows} × {columns}; the limit is {limit}.").format(**counts))


def _table(frame: Any, meta: Any) -> pa.Table:
    """The values read by pyreadstat (dates as SPSS seconds) as an Arrow table of the documented types."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = {}
    for name in frame.columns:
        if meta.readstat_variable_types[name] == "string":
            text = pa.array(frame[name], pa.string(), from_pandas=True)
            # SPSS text has no missing value: a blank is an unanswered question, as an empty CSV field is.
            columns[name] = pc.if_else(pc.equal(text, ""), None, text)
            continue
        number = pa.array(frame[name].to_numpy(dtype="float64"), pa.float64(), from_pandas=True)
        if _format_type(meta.original_variable_types[name]) in DATE_FORMATS:
            # Converted here, in one vectorised step: pyreadstat makes Python objects of dates, one by one, and
            # knows only some widths of each format (DATETIME20 but not DATETIME22).
            milliseconds = pc.round(pc.multiply(pc.subtract(number, SPSS_EPOCH_SECONDS), 1000))
            try:
                number = milliseconds.cast(pa.int64()).cast(pa.timestamp("ms"))
            except pa.ArrowInvalid:
                message = _("The file cannot be read as SPSS: variable '{variable}' has a date out of range.")
                raise IngestError(message.format(variable=name)) from None
        columns[name] = number
    return pa.table(columns)


def _format_type(spss_format: str) -> str:
    """The type of an SPSS display format: ``EDATE`` of ``EDATE10``, ``F`` of ``F8.2``."""
    return re.sub(r"[^A-Z].*", "", spss_format.upper(), flags=re.S)


def _missing_code(declared: dict) -> float | str | tuple[float, float]:
    """A user-missing declaration as pyreadstat gives it (``{"lo": 2000, "hi": 3000}``): a code or a range."""
    low, high = declared["lo"], declared["hi"]
    return low if low == high else (low, high)
