"""Reading a column of dates without guessing wrong: a format is chosen only when it is the one reading that fits.

Rules (the README's "Dates" section states them for users):

* every format below is tried on the column; the format that reads the most values wins;
* day-first (``03/05/2026`` = 3 May) and month-first (``03/05/2026`` = 5 March) are both tried; when both read
  the same values (no day above 12 decides) or each reads values the other cannot (a file mixing both), nothing
  is chosen: :class:`AmbiguousDates` asks the user for the format (page: *Date format*, CLI: ``--date-format``);
* ISO 8601 with ``T``, ``Z`` and offsets (``+02:00``) is read and converted to this computer's wall time;
* a year before 1900 or after 2100 is no reading (``3/5/26`` is not the year 26).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.i18n import gettext as _

if TYPE_CHECKING:
    import pyarrow as pa

# (strptime format as polars reads it, order of day and month: "ymd", "dmy" or "mdy")
FORMATS: tuple[tuple[str, str], ...] = (
    ("%Y-%m-%dT%H:%M:%S%.f%#z", "ymd"),
    ("%Y-%m-%dT%H:%M:%S%.f", "ymd"),
    ("%Y-%m-%dT%H:%M", "ymd"),
    ("%Y-%m-%d %H:%M:%S%.f", "ymd"),
    ("%Y-%m-%d %H:%M", "ymd"),
    ("%Y-%m-%d", "ymd"),
    ("%Y/%m/%d %H:%M:%S", "ymd"),
    ("%Y/%m/%d %H:%M", "ymd"),
    ("%Y/%m/%d", "ymd"),
    ("%Y-%m", "ymd"),
    ("%d.%m.%Y %H:%M:%S", "dmy"),
    ("%d.%m.%Y %H:%M", "dmy"),
    ("%d.%m.%Y", "dmy"),
    ("%d/%m/%Y %H:%M:%S", "dmy"),
    ("%d/%m/%Y %H:%M", "dmy"),
    ("%d/%m/%Y", "dmy"),
    ("%d-%m-%Y %H:%M:%S", "dmy"),
    ("%d-%m-%Y %H:%M", "dmy"),
    ("%d-%m-%Y", "dmy"),
    ("%d.%m.%y", "dmy"),
    ("%d/%m/%y %H:%M", "dmy"),
    ("%d/%m/%y", "dmy"),
    ("%m/%d/%Y %H:%M:%S", "mdy"),
    ("%m/%d/%Y %H:%M", "mdy"),
    ("%m/%d/%Y", "mdy"),
    ("%m-%d-%Y %H:%M:%S", "mdy"),
    ("%m-%d-%Y %H:%M", "mdy"),
    ("%m-%d-%Y", "mdy"),
    ("%m/%d/%y %H:%M", "mdy"),
    ("%m/%d/%y", "mdy"),
)
ORDER = dict(FORMATS)
OFFSET_FORMATS = {f for f, _order in FORMATS if f.endswith("%#z")}
SAMPLE = 2000
YEARS = (1900, 2100)


class AmbiguousDates(ValueError):
    """Both day-first and month-first read the column; the user must say which."""

    def __init__(self, message: str, formats: Sequence[str]):
        super().__init__(message)
        self.formats = tuple(formats)


@dataclass(frozen=True)
class Reading:
    """A column read as dates: the values (timestamp[ms], null where unreadable), the format and the time zone
    that offsets were converted to (None when the values had none)."""

    values: pa.Array
    format: str | None
    zone: str | None = None


def readable(date_format: str) -> str:
    """A format as people write it: ``%d.%m.%Y %H:%M`` → ``dd.mm.yyyy hh:mm``; offsets as ``±hh:mm``."""
    for code, text in (
        ("%.f", "[.fff]"),
        ("%#z", "±hh:mm"),
        ("%d", "dd"),
        ("%m", "mm"),
        ("%Y", "yyyy"),
        ("%y", "yy"),
        ("%H", "hh"),
        ("%M", "mm"),
        ("%S", "ss"),
    ):
        date_format = date_format.replace(code, text)
    return date_format


def choices() -> list[tuple[str, str]]:
    """Every format the user may choose: (format, how it reads)."""
    return [(f, readable(f)) for f, _order in FORMATS]


def local_zone() -> str:
    """This computer's time zone as an IANA name (``TZ``, else ``/etc/localtime``), UTC when unknown."""
    from zoneinfo import available_timezones

    named = os.environ.get("TZ", "").lstrip(":")
    if not named:
        try:
            target = str(Path("/etc/localtime").resolve())
            named = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
        except OSError:
            named = ""
    return named if named in available_timezones() else "UTC"


def read(raw: pa.Array, column: str, date_format: str | None = None, zone: str | None = None) -> Reading:
    """Read a text column as dates with ``date_format``, or with the one format that fits the whole column.

    Raises :class:`AmbiguousDates` when day-first and month-first both fit (or each fits part of the column).
    ``zone`` is the wall time that offsets are converted to (default :func:`local_zone`).
    """
    import polars as pl
    import pyarrow as pa

    values = pl.Series(pl.from_arrow(raw))
    sample = values.drop_nulls().head(SAMPLE)
    if sample.str.contains(r"^\s|\s$").any():  # the import trims its text; other callers may not
        values = values.str.strip_chars()
        sample = values.drop_nulls().head(SAMPLE)
    if sample.str.contains(r"(?i)\dz$").any():  # "Z" is UTC, which the offset format reads as +00:00
        values = values.str.replace(r"(?i)z$", "+00:00")
        sample = values.drop_nulls().head(SAMPLE)
    if date_format is not None:
        if date_format not in ORDER:
            raise ValueError(
                _("Unknown date format “{format}”; use one of: {choices}.").format(
                    format=date_format, choices=", ".join(readable(f) for f, _order in FORMATS)
                )
            )
        return _reading(_parse(values, date_format), date_format, zone)
    if sample.is_empty():
        return Reading(pa.nulls(len(raw), pa.timestamp("ms")), None)
    tried = [f for f, _order in FORMATS if _parse(sample, f).null_count() < len(sample)]
    if not tried:
        return Reading(pa.nulls(len(raw), pa.timestamp("ms")), None)
    # The whole column decides: a day above 12 may first appear in its last row.
    orders = {ORDER[f] for f in tried}
    tried += [
        f
        for f, order in FORMATS
        if order in {"dmy", "mdy"} - orders and orders & {"dmy", "mdy"} and _same_shape(f, tried)
    ]
    readings = {f: _parse(values, f) for f in dict.fromkeys(tried)}
    counts = {f: len(values) - parsed.null_count() for f, parsed in readings.items()}
    best = max(counts, key=lambda f: counts[f])
    if ORDER[best] in ("dmy", "mdy"):
        other = {"dmy": "mdy", "mdy": "dmy"}[ORDER[best]]
        rivals = [f for f in counts if ORDER[f] == other and counts[f]]
        read_best = readings[best].is_not_null()
        for rival in rivals:
            if counts[rival] == counts[best] or (readings[rival].is_not_null() & ~read_best).any():
                raise AmbiguousDates(_ambiguous_message(column, values, best, rival, readings), (best, rival))
    return _reading(readings[best], best, zone)


def _same_shape(candidate: str, tried: Sequence[str]) -> bool:
    """Whether ``candidate`` writes dates with the separators of a format already tried (its other order)."""
    shape = candidate.replace("%d", "D").replace("%m", "D")
    return any(f.replace("%d", "D").replace("%m", "D") == shape for f in tried)


def _ambiguous_message(column: str, values, best: str, rival: str, readings: dict) -> str:
    both = readings[best].is_not_null() & readings[rival].is_not_null()
    example = values.filter(both).head(1).to_list() or values.drop_nulls().head(1).to_list()
    only_rival = values.filter(readings[rival].is_not_null() & readings[best].is_null()).head(1).to_list()
    found = {"column": column, "a": readable(best), "b": readable(rival), "example": example[0] if example else ""}
    if only_rival:
        return _(
            "Dates in column '{column}' read both as {a} and as {b} (e.g. “{example}”); some only as {b} "
            "(e.g. “{value}”), so the column mixes both. Choose the date format."
        ).format(value=only_rival[0], **found)
    return _(
        "Dates in column '{column}' read both as {a} and as {b} (e.g. “{example}”). Choose the date format."
    ).format(**found)


def _parse(values, date_format: str):
    import polars as pl

    kind = pl.Datetime("ms", "UTC") if date_format in OFFSET_FORMATS else pl.Datetime("ms")
    parsed = values.str.strptime(kind, date_format, strict=False)
    year = parsed.dt.year()
    return parsed.set((year < YEARS[0]) | (year > YEARS[1]), None)


def _reading(parsed, date_format: str, zone: str | None) -> Reading:
    """A parsed column as the importer keeps it: offsets converted to ``zone``'s wall time."""
    if date_format in OFFSET_FORMATS:
        zone = zone or local_zone()
        return Reading(parsed.dt.convert_time_zone(zone).dt.replace_time_zone(None).to_arrow(), date_format, zone)
    return Reading(parsed.to_arrow(), date_format)
