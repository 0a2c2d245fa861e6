"""Mystery-shopping audit exports in: one checklist item of one visit per row of the dataset (kind "audit").

A file is read by :func:`workbench.data.ingest.read_source` (CSV encoding, delimiter and decimal comma sniffed;
XLSX), in one of two shapes, told apart by its header:

* **long**: one row per visit × item, with columns visit, branch, date, auditor, section, item, result and an
  optional max points column;
* **wide**: one row per visit, a column per item headed "Section: Item" or "Section – Item", optionally with the
  item's maximum in the header: "Greeting: Smiled (max 5)".

Headers are recognised in English, Czech and Polish (:data:`ROLES`). A result is a yes/no word (yes/no, ano/ne,
tak/nie, pass/fail, splněno/nesplněno, 1/0), or points ("3", "2,5") out of the row's or header's maximum; a pass
scores its item's maximum. A not-applicable word (n/a, nehodnoceno, nie dotyczy, -) or a blank drops the item and
is counted. A section or item is put on a journey touchpoint by the user's mapping ({section or item → touchpoint
key}; an item's entry wins over its section's), else by a touchpoint of its very name or key.

Every refusal is an :class:`~workbench.core.errors.IngestError` naming the file, row and column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core import access, formatting, limits
from workbench.core.errors import IngestError
from workbench.core.folding import fold
from workbench.core.i18n import gettext as _
from workbench.data import dates, ingest

if TYPE_CHECKING:
    import pandas
    import pyarrow as pa

# Each column's role and the header words (folded: no accents, lower case) that name it.
ROLES: dict[str, tuple[str, ...]] = {
    "visit": ("visit", "visit id", "navsteva", "id navstevy", "cislo navstevy", "wizyta", "id wizyty", "nr wizyty"),
    "branch": ("branch", "store", "location", "pobocka", "prodejna", "oddzial", "placowka", "sklep"),
    "date": ("date", "visit date", "datum", "datum navstevy", "data", "data wizyty"),
    "auditor": ("auditor", "shopper", "mystery shopper", "hodnotitel", "auditor", "audytor", "kontroler"),
    "section": ("section", "area", "category", "sekce", "oblast", "kategorie", "sekcja", "obszar"),
    "item": ("item", "question", "criterion", "bod", "otazka", "kriterium", "pytanie", "punkt", "kryterium"),
    "result": ("result", "answer", "vysledek", "odpoved", "hodnoceni", "wynik", "odpowiedz", "ocena"),
    "points": ("points", "score", "body", "pocet bodu", "punkty", "liczba punktow"),
    "max": (
        "max",
        "max points",
        "maximum",
        "max body",
        "max. body",
        "maximum bodu",
        "maks",
        "max punkty",
        "maks. punkty",
    ),
}
PASS_WORDS = {"yes", "y", "pass", "passed", "true", "ok", "ano", "a", "splneno", "tak", "t", "spelnione", "1"}
FAIL_WORDS = {"no", "n", "fail", "failed", "false", "ne", "nesplneno", "nie", "niespelnione", "0"}
NA_WORDS = {
    "n/a", "na", "n.a.", "-", "–", "not applicable", "not rated", "nehodnoceno", "netyka se", "nerelevantni",
    "nie dotyczy", "nd", "n/d", "brak oceny",
}  # fmt: skip
# "Section: Item", "Section – Item" or "Section - Item", with an optional "(max 5)" / "(max. 2,5)" at the end.
_WIDE_HEADER = re.compile(
    r"^(?P<section>.+?)\s*(?::|\s[–—-]\s)\s*(?P<item>.+?)(?:\s*\((?:max|maks)\.?\s*(?P<max>[\d.,]+)\))?$"
)
# The contract's own columns, which an extra column may not take.
RESERVED = {"visit_id", "ts", "branch", "auditor", "section", "item", "touchpoint", "points", "max_points"}
EXTRA_COLUMNS = 20  # text columns kept beside the checklist (region, format…)


@dataclass(frozen=True)
class AuditFile:
    """A file read as audit items: the contract table and what the import report says about it."""

    table: pa.Table
    shape: str  # "long" or "wide"
    rows_read: int
    visits: int
    not_applicable: int
    date_format: str | None
    unmapped: tuple[str, ...]  # sections (or "section: item") on no touchpoint
    unused: tuple[str, ...] = ()  # mapping entries naming no section or item of the file
    extra: tuple[str, ...] = field(default=())

    def report(self) -> dict:
        """The import report as JSON-ready data (kept in the dataset's meta)."""
        return {
            "shape": self.shape,
            "rows_read": self.rows_read,
            "visits": self.visits,
            "items": self.table.num_rows,
            "not_applicable": self.not_applicable,
            "date_format": self.date_format,
            "unmapped": list(self.unmapped),
            "unused": list(self.unused),
            "extra": list(self.extra),
        }


def read(
    path: str | Path,
    touchpoints: Mapping[str, str],
    mapping: Mapping[str, str] | None = None,
    *,
    date_format: str | None = None,
    name: str | None = None,
) -> AuditFile:
    """Read an audit export (CSV or XLSX, long or wide) onto the journey's ``touchpoints`` (key → name).

    ``mapping`` puts sections or items on touchpoint keys; a key the journey lacks is refused. ``name`` is the file
    as messages name it (default: the file's name).
    """
    path = Path(path)
    where = name or path.name
    if ingest.file_kind(path) not in ("csv", "xlsx"):
        raise IngestError(_("“{file}” is not a CSV or XLSX file.").format(file=where))
    limits.check_size(path.stat().st_size, limits.UPLOAD_BYTES, where)
    targets = _targets(touchpoints, mapping or {})
    try:
        source = ingest.read_source(path)
    except IngestError as error:
        raise IngestError(f"{where}: {error}") from None
    columns = _roles(source.table.column_names)
    first_row = source.first_row
    long = "item" in columns and ("result" in columns or "points" in columns)
    reader = _Reader(where, source.table, columns, first_row, source.decimal)
    rows = reader.long() if long else reader.wide()
    if not rows:
        raise IngestError(_("{file}: no checklist item has a result.").format(file=where))
    stamps, used_format = reader.dates(rows, date_format)
    table, unmapped, used = _table(rows, stamps, targets, reader.extra)
    unused = tuple(entry for entry in (mapping or {}) if fold(entry) not in used)
    return AuditFile(
        table,
        "long" if long else "wide",
        source.table.num_rows,
        len({row.visit for row in rows}),
        reader.not_applicable,
        used_format,
        unmapped,
        unused,
        tuple(reader.extra),
    )


@dataclass
class _Row:
    """One item's result while the file is read (``line`` is the file's row)."""

    line: int
    visit: str
    branch: str
    date: object
    auditor: str | None
    section: str
    item: str
    points: float
    max_points: float
    extra: tuple[str | None, ...]


def _roles(names: Sequence[str]) -> dict[str, str]:
    """Each role's column (the first whose header names it)."""
    found: dict[str, str] = {}
    for column in names:
        text = fold(column).strip(" :.")
        for role, words in ROLES.items():
            if text in words and role not in found:
                found[role] = column
                break
    if "result" not in found and "points" in found:
        found["result"] = found.pop("points")
    return found


class _Reader:
    """The rows of one file as items, refusing a bad cell with its file, row and column."""

    def __init__(self, where: str, table: pa.Table, columns: dict[str, str], first_row: int, decimal: str):
        self.where, self.columns, self.first_row, self.decimal = where, columns, first_row, decimal
        self.values = {name: table[name].to_pylist() for name in table.column_names}
        self.rows = table.num_rows
        self.not_applicable = 0
        self.extra: list[str] = []

    def _at(self, index: int, column: str) -> str:
        return _("{file}, row {row}, column '{column}'").format(
            file=self.where, row=index + self.first_row, column=column
        )

    def _text(self, index: int, role: str, required: bool = True) -> str | None:
        column = self.columns.get(role)
        value = self.values[column][index] if column else None
        text = None if value is None else " ".join(_cell(value).split()) or None
        if text is None and required:
            raise IngestError(_("{where}: the cell is empty.").format(where=self._at(index, column or role)))
        if text is not None and len(text) > limits.NAME_CHARS:
            raise IngestError(
                _("{where}: the text is longer than {limit} characters.").format(
                    where=self._at(index, column or role), limit=formatting.count(limits.NAME_CHARS)
                )
            )
        return text

    def _required(self, *roles: str) -> None:
        missing = [role for role in roles if role not in self.columns]
        if missing:
            raise IngestError(
                _("{file}: no column for {roles} (headers such as {examples}).").format(
                    file=self.where,
                    roles=", ".join(missing),
                    examples=", ".join(f"“{ROLES[role][0]}”" for role in missing),
                )
            )

    def _extras(self, taken: set[str]) -> list[str]:
        self.extra = [name for name in self.values if name not in taken and fold(name) not in RESERVED][:EXTRA_COLUMNS]
        return self.extra

    def long(self) -> list[_Row]:
        """One row per visit × item."""
        self._required("branch", "date", "section", "item", "result")
        self._extras(set(self.columns.values()))
        found = []
        for index in range(self.rows):
            ceiling = self._number(index, self.columns["max"]) if "max" in self.columns else None
            scored = self._score(index, self.columns["result"], ceiling)
            if scored is None:
                continue
            branch, date = self._text(index, "branch"), self._date_cell(index)
            auditor = self._text(index, "auditor", required=False)
            visit = self._text(index, "visit", required=False) or f"{branch}|{date}|{auditor or ''}"
            found.append(
                _Row(
                    index, visit, str(branch), date, auditor, str(self._text(index, "section")),
                    str(self._text(index, "item")), *scored, self._extra_cells(index),
                )
            )  # fmt: skip
        self._check_visits(found)
        return found

    def wide(self) -> list[_Row]:
        """One row per visit, a column per item."""
        self._required("branch", "date")
        items = {}
        for name in self.values:
            if name in self.columns.values():
                continue
            matched = _WIDE_HEADER.match(" ".join(name.split()))
            if matched:
                ceiling = formatting.decimal(matched["max"]) if matched["max"] else None
                items[name] = (matched["section"], matched["item"], ceiling)
        if not items:
            raise IngestError(
                _(
                    "{file}: no checklist columns. A file with a row per visit heads each item's column "
                    "“Section: Item”; a file with a row per item has columns item and result."
                ).format(file=self.where)
            )
        self._extras(set(self.columns.values()) | set(items))
        found = []
        for index in range(self.rows):
            branch, date = self._text(index, "branch"), self._date_cell(index)
            auditor = self._text(index, "auditor", required=False)
            visit = self._text(index, "visit", required=False) or f"{self.where}:{index + self.first_row}"
            extra = self._extra_cells(index)
            for column, (section, item, ceiling) in items.items():
                scored = self._score(index, column, ceiling)
                if scored is not None:
                    found.append(_Row(index, visit, str(branch), date, auditor, section, item, *scored, extra))
        return found

    def _extra_cells(self, index: int) -> tuple[str | None, ...]:
        return tuple(None if self.values[c][index] is None else _cell(self.values[c][index]) for c in self.extra)

    def _date_cell(self, index: int) -> object:
        value = self.values[self.columns["date"]][index]
        if value is None or (isinstance(value, str) and not value.strip()):
            raise IngestError(_("{where}: the cell is empty.").format(where=self._at(index, self.columns["date"])))
        return value

    def _number(self, index: int, column: str) -> float | None:
        value = self.values[column][index]
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = value if isinstance(value, (int, float)) else formatting.decimal(str(value))
        except ValueError:
            raise IngestError(
                _("{where}: “{value}” is not a number.").format(where=self._at(index, column), value=value)
            ) from None
        if not number > 0:
            raise IngestError(
                _("{where}: the maximum must be above 0, not {value}.").format(
                    where=self._at(index, column), value=value
                )
            )
        return float(number)

    def _score(self, index: int, column: str, ceiling: float | None) -> tuple[float, float] | None:
        """(points, max points) of a result cell; None for a not-applicable one (counted)."""
        value = self.values[column][index]
        text = "" if value is None else fold(_cell(value)).strip()
        if text in NA_WORDS or not text:
            self.not_applicable += 1
            return None
        if text in PASS_WORDS and not (ceiling and text == "1"):
            return (ceiling or 1.0), (ceiling or 1.0)
        if text in FAIL_WORDS and not (ceiling and text == "0"):
            return 0.0, (ceiling or 1.0)
        try:
            points = float(value) if isinstance(value, (int, float)) else formatting.decimal(text)
        except ValueError:
            raise IngestError(
                _(
                    "{where}: “{value}” is not a result; write yes/no (ano/ne, tak/nie, pass/fail), points, "
                    "or n/a for an item that does not apply."
                ).format(where=self._at(index, column), value=value)
            ) from None
        if ceiling is None:
            raise IngestError(
                _(
                    "{where}: {value} points, but no maximum: add a max points column, or “(max 5)” to the "
                    "item's header."
                ).format(where=self._at(index, column), value=value)
            )
        if not 0 <= points <= ceiling:
            raise IngestError(
                _("{where}: {value} points is outside 0 to {most}.").format(
                    where=self._at(index, column), value=value, most=formatting.shortest(ceiling)
                )
            )
        return points, ceiling

    def _check_visits(self, rows: list[_Row]) -> None:
        """A visit is at one branch on one day: a row saying otherwise is refused."""
        seen: dict[str, _Row] = {}
        for row in rows:
            first = seen.setdefault(row.visit, row)
            for role, mine, theirs in (("branch", row.branch, first.branch), ("date", row.date, first.date)):
                if mine != theirs:
                    raise IngestError(
                        _("{where}: visit {visit} was at “{first}” in row {row}, here “{other}”.").format(
                            where=self._at(row.line, self.columns[role]),
                            visit=row.visit,
                            first=theirs,
                            row=first.line + self.first_row,
                            other=mine,
                        )
                    )

    def dates(self, rows: list[_Row], date_format: str | None) -> tuple[list[dt.datetime], str | None]:
        """The rows' visit dates, read with the one format that fits the column (``data.dates``)."""
        import pyarrow as pa

        column = self.columns["date"]
        if all(isinstance(row.date, (dt.date, dt.datetime)) for row in rows):
            return [_as_datetime(row.date) for row in rows], None
        raw = pa.array([_cell(row.date).strip() for row in rows], pa.string())
        try:
            reading = dates.read(raw, column, date_format)
        except ValueError as error:  # ambiguous dates, an unknown format: said with the file's name
            raise IngestError(f"{self.where}: {error}") from None
        values = reading.values.to_pylist()
        for row, value in zip(rows, values, strict=True):
            if value is None:
                raise IngestError(
                    _("{where}: “{value}” is not a date{format}.").format(
                        where=self._at(row.line, column),
                        value=_cell(row.date),
                        format=f" ({dates.readable(reading.format)})" if reading.format else "",
                    )
                )
        return values, reading.format


def _cell(value: object) -> str:
    """A cell as text; a whole float (a spreadsheet's number) without ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_datetime(value) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)


def _targets(touchpoints: Mapping[str, str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Folded section or item name → touchpoint key: the mapping's entries over the touchpoints' names and keys."""
    unknown = sorted({str(key) for key in mapping.values() if key not in touchpoints})
    if unknown:
        raise IngestError(
            _("No touchpoint {keys} in the journey; its touchpoints: {known}.").format(
                keys=", ".join(f"“{key}”" for key in unknown), known=", ".join(sorted(touchpoints))
            )
        )
    names = {fold(name): key for key, name in touchpoints.items()} | {fold(key): key for key in touchpoints}
    return names | {fold(entry): key for entry, key in mapping.items()}


def _table(
    rows: list[_Row], stamps: list[dt.datetime], targets: Mapping[str, str], extra: Sequence[str]
) -> tuple[pa.Table, tuple[str, ...], set[str]]:
    """The contract table, the sections (or items) on no touchpoint, and the folded names that found one."""
    import pyarrow as pa

    used: set[str] = set()
    unmapped: Counter[str] = Counter()
    keys = []
    for row in rows:
        item, section = fold(row.item), fold(row.section)
        folded = f"{section}: {item}"
        hit = next((name for name in (folded, item, section) if name in targets), None)
        if hit is None:
            unmapped[row.section] += 1
        else:
            used.add(hit)
        keys.append(targets.get(hit) if hit else None)
    table = pa.table(
        {
            "visit_id": pa.array([row.visit for row in rows], pa.string()),
            "ts": pa.array(stamps, pa.timestamp("ms")),
            "branch": pa.array([row.branch for row in rows], pa.string()),
            "auditor": pa.array([row.auditor for row in rows], pa.string()),
            "section": pa.array([row.section for row in rows], pa.string()),
            "item": pa.array([row.item for row in rows], pa.string()),
            "touchpoint": pa.array(keys, pa.string()),
            "points": pa.array([row.points for row in rows], pa.float64()),
            "max_points": pa.array([row.max_points for row in rows], pa.float64()),
            **{name: pa.array([row.extra[i] for row in rows], pa.string()) for i, name in enumerate(extra)},
        }
    )
    return table, tuple(sorted(unmapped)), used


def stored(path: str | Path) -> pandas.DataFrame:
    """A stored audit version's items, narrowed to a scoped member's rows (``core.access``) as survey answers are
    (``data.query``): a file without one of the scope's columns holds none of its rows."""
    import polars as pl

    frame = pl.scan_parquet(path)
    filters = access.current().filters(str(path)) or ()
    names = frame.collect_schema().names()
    if any(column not in names for column, _values in filters):
        frame = frame.head(0)
    elif filters:
        frame = frame.filter(*(pl.col(c).cast(pl.String).is_in(list(values)) for c, values in filters))
    return frame.collect().to_pandas()
