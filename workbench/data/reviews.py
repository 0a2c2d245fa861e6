"""Online review exports in (Google, Facebook, app stores, Heureka…): CSV, XLSX or JSON read into the reviews contract.

One row of the result is one public review about one touchpoint: ``response_id``, ``ts``, ``touchpoint``, ``stars``
(1–5), ``comment`` (the review's text), ``reply`` and ``reply_ts`` (the company's answer), and the text segments
``branch`` (the location) and ``platform``. The columns are found by their names in English, Czech or Polish
(:data:`HEADERS`); CSV files are read as the survey importer reads them (encoding, delimiter and decimal mark
sniffed), dates as :mod:`workbench.data.dates` reads them. A review's ``response_id`` is ``<platform>:<id>`` when the
export has an id, else ``<platform>:`` and the first 16 hex digits of the SHA-1 of location, time, author and text:
the same review has the same id in every export, so a re-import adds only the new ones. A bad row (no date, stars
not 1–5…) is left out and named by file, row and column in :attr:`Reviews.problems`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core import formatting, limits
from workbench.core.errors import IngestError
from workbench.core.folding import fold
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.data import dates, ingest

if TYPE_CHECKING:
    import pyarrow as pa

# Each field's column names, folded (lower case, no accents; "_", "-" and "." read as spaces), in English, Czech
# and Polish, and as Google's and the app stores' own exports name them.
HEADERS: dict[str, tuple[str, ...]] = {
    "ts": (
        "date", "review date", "created", "created at", "createtime", "time", "datum", "datum recenze",
        "datum hodnoceni", "data", "data opinii", "data recenzji", "data dodania",
    ),
    "platform": ("platform", "source", "site", "portal", "platforma", "zdroj", "zrodlo", "serwis"),
    "location": (
        "location", "branch", "store", "place", "location name", "pobocka", "provozovna", "prodejna", "misto",
        "oddzial", "placowka", "sklep", "lokalizacja",
    ),
    "stars": (
        "rating", "stars", "star rating", "starrating", "score", "hodnoceni", "hvezdicky", "pocet hvezdicek",
        "ocena", "gwiazdki", "liczba gwiazdek",
    ),
    "text": (
        "text", "review", "review text", "comment", "content", "recenze", "text recenze", "komentar", "opinia",
        "tresc", "tresc opinii", "recenzja",
    ),
    "reply": (
        "reply", "response", "owner reply", "reply text", "reviewreply comment", "odpoved", "odpoved firmy",
        "odpovedi", "odpowiedz", "odpowiedz firmy",
    ),
    "reply_ts": (
        "reply date", "response date", "reply time", "replied at", "reviewreply updatetime", "datum odpovedi",
        "data odpowiedzi",
    ),
    "id": ("id", "review id", "reviewid", "id recenze", "id hodnoceni", "id opinii", "name"),
    "author": ("author", "reviewer", "user", "user name", "reviewer displayname", "autor", "jmeno", "uzivatel"),
}  # fmt: skip
REQUIRED = ("ts", "stars")
FIELD_NAMES = {
    "ts": "date",
    "platform": "platform",
    "location": "location",
    "stars": "rating",
    "text": "text",
    "reply": "reply",
    "reply_ts": "reply date",
    "id": "id",
    "author": "author",
}  # how a message names a field the file lacks (the first of its English names)
FILE_KINDS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}
JSON_LISTS = ("reviews", "recenze", "opinie", "items", "data")  # an object holding the list of reviews under a key
STAR_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}  # Google's API writes starRating as FOUR
_FILLED, _EMPTY = "★⭐", "☆"
_OUT_OF = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:/|z|ze|of|out of|na)\s*(\d+(?:[.,]\d+)?)$")
_WITH_WORD = re.compile(r"^(\d+(?:[.,]\d+)?)\s*[^\d\s/.,].*$")  # "4 stars", "4 hvězdičky", "4 gwiazdki"
PROBLEMS_KEPT = 20  # bad rows named one by one in a report; the rest are counted
COLUMNS = (
    "response_id", "ts", "touchpoint", "stars", "comment", "reply", "reply_ts", "branch", "platform",
)  # fmt: skip


@dataclass(frozen=True)
class Route:
    """Reviews whose platform or location matches ``pattern`` (any case and accents; ``*`` and ``?`` as
    wildcards; a plain word matches anywhere in it) go to touchpoint ``touchpoint``."""

    pattern: str
    touchpoint: str

    def matches(self, platform: str | None, location: str | None) -> bool:
        """Whether the review's platform or location matches."""
        wanted = f"*{fold(self.pattern)}*"
        return any(value and fnmatch.fnmatchcase(fold(value), wanted) for value in (platform, location))


@dataclass(frozen=True)
class Problem:
    """A row left out: its row number in the file, the column and what is wrong."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class Reviews:
    """An export read: the valid reviews in the contract and what was left out."""

    file: str
    table: pa.Table
    rows_read: int
    refused: int  # rows left out for a problem
    repeated: int  # rows with the id of a later row of the same file (the later one is kept)
    problems: tuple[Problem, ...]  # the first PROBLEMS_KEPT of the refused rows

    def problem_lines(self) -> list[str]:
        """Each named problem as a sentence: 'reviews.csv, row 7, column 'hodnocení': stars not 1–5 (“7”).'"""
        return [
            _("{file}, row {row}, column '{column}': {problem}").format(
                file=self.file, row=p.row, column=p.column, problem=p.message
            )
            for p in self.problems
        ]


def parse_routes(text: str) -> tuple[Route, ...]:
    """Routing rules written one a line as 'platform or location = touchpoint key' (blank lines and lines starting
    with # skipped); a ValueError names a line that is not a rule."""
    routes = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pattern, equals, touchpoint = line.rpartition("=")
        if not equals or not pattern.strip() or not touchpoint.strip():
            raise ValueError(
                _("Rule line {line} (“{text}”) is not 'platform or location = touchpoint'.").format(
                    line=number, text=line[: limits.NAME_CHARS]
                )
            )
        routes.append(Route(pattern.strip(), touchpoint.strip()))
    return tuple(routes)


def check_routes(routes: Sequence[Route], default: str, keys: Sequence[str]) -> None:
    """Refuse a route or default touchpoint that is not a key of the journey (ValueError naming it)."""
    for key in (default, *(route.touchpoint for route in routes)):
        if key not in keys:
            raise ValueError(
                _("“{key}” is not a touchpoint of the journey; use one of: {keys}.").format(
                    key=key, keys=", ".join(keys)
                )
            )


def route(routes: Sequence[Route], default: str, platform: str | None, location: str | None) -> str:
    """The touchpoint of a review: the first matching route's, else the default."""
    return next((r.touchpoint for r in routes if r.matches(platform, location)), default)


def read(
    path: str | Path,
    routes: Sequence[Route],
    default: str,
    keys: Sequence[str],
    platform: str | None = None,
    name: str | None = None,
) -> Reviews:
    """Read a review export into the reviews contract, each review routed to a touchpoint of ``keys``.

    ``platform`` names the platform of a file without a platform column (a Google export); ``name`` is the file's
    name in messages (an upload's, stored under another). An unreadable file, a missing date or rating column, an
    unknown touchpoint or an export over the limits raises an :class:`IngestError` or a ``LimitError``.
    """
    check_routes(routes, default, keys)
    path = Path(path)
    name = name or path.name
    columns, first_row = _columns(path, name)
    found = find_columns(list(columns), name)
    if "platform" not in found and not (platform or "").strip():
        raise IngestError(
            _("{file}: no platform column ({words}); name the platform the reviews come from.").format(
                file=name, words=", ".join(HEADERS["platform"][:4])
            )
        )
    return _reviews(columns, found, first_row, name, routes, default, (platform or "").strip())


def find_columns(names: Sequence[str], file: str) -> dict[str, str]:
    """Field → the file's column for it, found by the names of :data:`HEADERS`; an IngestError when the date or
    the rating is missing."""
    folded = {column: " ".join(re.sub(r"[_\-.]", " ", fold(column)).split()) for column in names}
    found: dict[str, str] = {}
    for field, words in HEADERS.items():
        column = next((c for c, f in folded.items() if f in words and c not in found.values()), None)
        if column is not None:
            found[field] = column
    missing = [field for field in REQUIRED if field not in found]
    if missing:
        field = missing[0]
        raise IngestError(
            _("{file}: no {field} column (looked for: {words}); the file has: {names}.").format(
                file=file, field=FIELD_NAMES[field], words=", ".join(HEADERS[field][:8]), names=", ".join(names)
            )
        )
    return found


def parse_stars(value: Any) -> int | None:
    """A star rating as exports write it: 4, 4.0, '4,0', '4/5', '4 z 5', '★★★★☆', '4 stars', 'FOUR'; None when it
    is no whole number of stars from 1 to 5."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = " ".join(str(value).split()).lower()
        if text and all(c in _FILLED + _EMPTY + " " for c in text):
            number = float(sum(c in _FILLED for c in text))
        elif text in STAR_WORDS:
            number = float(STAR_WORDS[text])
        elif matched := _OUT_OF.match(text):
            if _number(matched.group(2)) != 5:
                return None
            number = _number(matched.group(1))
        elif matched := _WITH_WORD.match(text):
            number = _number(matched.group(1))
        else:
            number = _number(text)
    if math.isnan(number) or number != int(number) or not 1 <= number <= 5:
        return None
    return int(number)


def review_id(
    platform: str, given: str | None, location: str | None, ts: datetime, author: str | None, text: str | None
) -> str:
    """The review's stable id: '<platform>:<the export's id>', else '<platform>:' and a hash of what it says."""
    prefix = fold(platform).replace(" ", "-")
    if given:
        return f"{prefix}:{given}"
    key = "|".join(part or "" for part in (location, ts.isoformat(), author, text))
    return f"{prefix}:{hashlib.sha1(key.encode()).hexdigest()[:16]}"


# ------------------------------------------------------------------ internals


def _number(text: str) -> float:
    """A number as the one formatter reads typed numbers ('4,0', '4.0'); NaN for none."""
    try:
        return formatting.decimal(text)
    except ValueError:
        return math.nan


def _columns(path: Path, name: str) -> tuple[dict[str, list], int]:
    """The file's columns as lists of values (text, numbers, datetimes) and the row number of the first record."""
    kind = FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        raise IngestError(_("“{file}” is not a CSV, XLSX or JSON file.").format(file=name))
    limits.check_size(path.stat().st_size, limits.UPLOAD_BYTES, name)
    if kind == "json":
        return _json_columns(limits.read_file(path, limits.UPLOAD_BYTES), name), 1
    if kind == "xlsx":
        table, _sheet, header_row, layout = ingest.read_xlsx(path)
        first_row = header_row + layout.header_rows
    else:
        table, dialect = ingest.read_csv(path)
        first_row = dialect.header_rows + 1
    _check_rows(table.num_rows, name)
    return {column: table[column].to_pylist() for column in table.column_names}, first_row


def _json_columns(data: bytes, name: str) -> dict[str, list]:
    """A JSON export's reviews (a list of objects, or an object holding it under 'reviews') as columns; an object's
    object is flattened ('reviewReply.comment')."""
    value = limits.load_json(data, name, limits.UPLOAD_BYTES)
    if isinstance(value, dict):
        value = next((v for k, v in value.items() if fold(k) in JSON_LISTS and isinstance(v, list)), None)
    if not isinstance(value, list):
        raise IngestError(
            _("{file}: the JSON is not a list of reviews (nor an object with one under 'reviews').").format(file=name)
        )
    _check_rows(len(value), name)
    rows = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise IngestError(_("{file}, review {row}: not an object of fields.").format(file=name, row=number))
        rows.append(_flat(item, name, number))
    names = list(dict.fromkeys(key for row in rows for key in row))
    ingest._check_width(len(names), name)
    return {column: [row.get(column) for row in rows] for column in names}


def _flat(item: Mapping, name: str, number: int, prefix: str = "") -> dict[str, Any]:
    """One review object's fields, nested objects' fields under 'parent.child'; a list or a text over
    FIELD_CHARS is refused, naming the review and field."""
    flat: dict[str, Any] = {}
    for key, value in item.items():
        field = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= _flat(value, name, number, f"{field}.")
        elif isinstance(value, list):
            raise IngestError(
                _("{file}, review {row}, field '{field}': a list, not a number, date or text.").format(
                    file=name, row=number, field=field
                )
            )
        else:
            if isinstance(value, str) and len(value) > limits.FIELD_CHARS:
                raise limits.LimitError(
                    _("{file}, review {row}, field '{field}'").format(file=name, row=number, field=field),
                    ngettext(
                        "the field has {characters} character; the limit is {limit}.",
                        "the field has {characters} characters; the limit is {limit}.",
                        len(value),
                    ).format(characters=formatting.count(len(value)), limit=formatting.count(limits.FIELD_CHARS)),
                )
            flat[field] = value
    return flat


def _check_rows(rows: int, name: str) -> None:
    if rows > limits.REVIEW_ROWS:
        raise limits.LimitError(
            name,
            _("the export has {rows}; the limit is {limit}.").format(
                rows=limits.counted("rows", rows), limit=formatting.count(limits.REVIEW_ROWS)
            ),
        )
    if rows == 0:
        raise IngestError(_("{file}: the export holds no reviews.").format(file=name))


def _texts(values: list) -> list[str | None]:
    """Cells as stripped text (None for blank); whole numbers without '.0' (an XLSX id)."""
    texts: list[str | None] = []
    for value in values:
        if value is None:
            texts.append(None)
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        texts.append(text or None)
    return texts


def _times(values: list, column: str, file: str) -> list[datetime | None]:
    """A column of dates (datetimes from a workbook, else text read by :mod:`dates`); None where unreadable."""
    import pyarrow as pa

    if all(v is None or isinstance(v, datetime) for v in values):
        return [None if v is None else v.replace(tzinfo=None) for v in values]
    raw = pa.array(_texts([v.isoformat(sep=" ") if isinstance(v, datetime) else v for v in values]), pa.string())
    try:
        reading = dates.read(raw, column)
    except dates.AmbiguousDates as exc:
        raise IngestError(f"{file}: {exc}") from None
    return reading.values.to_pylist()


def _reviews(
    columns: dict[str, list],
    found: dict[str, str],
    first_row: int,
    name: str,
    routes: Sequence[Route],
    default: str,
    platform: str,
) -> Reviews:
    """The contract table of the file's valid rows, with the problems of the others."""
    import pyarrow as pa

    rows = len(next(iter(columns.values())))
    cells = {field: _texts(columns[column]) for field, column in found.items()}
    cells |= {field: [None] * rows for field in HEADERS if field not in found}
    times = _times(columns[found["ts"]], found["ts"], name)
    replied = _times(columns[found["reply_ts"]], found["reply_ts"], name) if "reply_ts" in found else [None] * rows
    stars = [parse_stars(v) for v in columns[found["stars"]]]
    kept: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    refused = repeated = 0
    for index in range(rows):
        row = {field: values[index] for field, values in cells.items()}
        where = row["platform"] or platform
        problem = _problem(row, times[index], replied[index], stars[index], where)
        if problem is not None:
            refused += 1
            if len(problems) < PROBLEMS_KEPT:
                problems.append(Problem(first_row + index, found.get(problem[0], problem[0]), problem[1]))
            continue
        ts = times[index]
        assert ts is not None and where  # checked by _problem
        key = review_id(where, row["id"], row["location"], ts, row["author"], row["text"])
        repeated += key in kept
        kept.pop(key, None)  # the later row wins, and stands where it stands in the file
        kept[key] = {
            "response_id": key,
            "ts": ts,
            "touchpoint": route(routes, default, where, row["location"]),
            "stars": stars[index],
            "comment": row["text"],
            "reply": row["reply"],
            "reply_ts": replied[index] if row["reply"] else None,
            "branch": row["location"],
            "platform": where,
        }
    types = {"ts": pa.timestamp("ms"), "reply_ts": pa.timestamp("ms"), "stars": pa.int8()}
    table = pa.table(
        {column: pa.array([r[column] for r in kept.values()], types.get(column, pa.string())) for column in COLUMNS}
    )
    return Reviews(name, table, rows, refused, repeated, tuple(problems))


def _problem(
    row: Mapping[str, str | None], ts: datetime | None, replied: datetime | None, stars: int | None, platform: str
) -> tuple[str, str] | None:
    """The field and the problem that leave a row out (its cells as text, its dates and stars read), or None."""
    if ts is None:
        shown = row["ts"]
        return "ts", _("no readable date (“{value}”)").format(value=shown) if shown else _("date missing")
    if stars is None:
        shown = row["stars"]
        return "stars", _("not 1–5 stars (“{value}”)").format(value=shown[:40]) if shown else _("rating missing")
    if not platform:
        return "platform", _("platform missing")
    if row["reply"] and row["reply_ts"]:
        if replied is None:
            return "reply_ts", _("no readable date (“{value}”)").format(value=row["reply_ts"])
        if replied < ts:
            return "reply_ts", _("the reply is dated before the review")
    return None
