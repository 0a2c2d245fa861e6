"""The Data screen: a project's survey versions, and importing a file (the file → its preview and guesses → the
mapping made in the form → the check → the import).

The form's values come in as the page holds them (column names, ``NONE`` for a field left empty, numbers as typed);
everything that decides what a column means or what is imported is here, so it is tested without a browser.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.analysis import guesses
from workbench.core import access, draft, folders, formatting, metrics, uploads
from workbench.core.contract import OVERALL
from workbench.core.errors import IngestError
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.data import dates, ingest, labels, waves
from workbench.data.ingest import CsvDialect, ImportReport, KpiMapping, SurveyMapping, WideColumn
from workbench.repos.datasets import KINDS, SAMPLE_DESCRIPTIONS, SAMPLE_FOLDER, sample_files

if TYPE_CHECKING:
    import pyarrow as pa

    from workbench.core.journey import Journey
    from workbench.repos.datasets import DatasetInfo, StagedImport
    from workbench.repos.workspace import Workspace

__all__ = ["KINDS", "SAMPLE_FOLDER", "sample_files"]

ENCODINGS = ingest.ENCODINGS
MAX_HEADER_ROWS = ingest.MAX_HEADER_ROWS
PREVIEW_ROWS = ingest.PREVIEW_ROWS
NONE = "__none__"  # a field of the form left empty
AUTO = "__auto__"  # the date format detected
GUESS = "__guess__"  # the form starts from the guesses rather than a saved mapping
FIELDS = ("ts", "touchpoint", "respondent_id", "response_id", *metrics.SCALES, "rating", "comment")
KIND_FIELDS = {  # the fields each kind of file has; the others are hidden and never read
    "survey": set(FIELDS),
    "wide": {"ts", "respondent_id", "response_id", "comment"},
    "kpi_period": {"ts"},
    "kpi_customer": {"respondent_id"},
}
AnyMapping = SurveyMapping | KpiMapping


# ------------------------------------------------------------------ the datasets list


@dataclass(frozen=True)
class DatasetRow:
    """One dataset version as the list shows it."""

    id: int
    name: str
    version: int
    latest: bool
    kind: str
    rows: str
    period: str
    skipped: int


def dataset_rows(workspace: Workspace, project_id: int) -> list[DatasetRow]:
    """The project's dataset versions: rows, kind, the period (or waves of undated answers), rows skipped."""
    found = []
    for d in workspace.datasets.list(int(project_id)):
        period = " – ".join(_day(v) for v in (d.meta.get("date_from"), d.meta.get("date_to")) if v)
        if not d.meta.get("dated", True) and d.meta.get("waves"):  # answers without dates: their waves
            period = _("wave {labels}").format(labels=", ".join(w["label"] for w in d.meta["waves"]))
        found.append(
            DatasetRow(
                d.id,
                d.name,
                d.version,
                d.latest,
                KINDS.get(d.kind, d.kind),
                formatting.count(d.rows),
                period,
                d.report.rows_read - d.report.rows_valid,
            )
        )
    return found


def _day(stamp: str) -> str:
    """A dataset's first or last date (kept as ISO text) as the reader writes dates."""
    try:
        return formatting.date(datetime.date.fromisoformat(stamp[:10]))
    except ValueError:
        return stamp[:10]


def project_choices(workspace: Workspace, project_id: int) -> tuple[list[tuple[str, int]], list[str]]:
    """The project's journeys as (name, id) — answers are mapped to one of them — and its dataset names."""
    return ([(j.name, j.id) for j in workspace.journeys(int(project_id))], workspace.datasets.names(int(project_id)))


def delete_dataset(workspace: Workspace, dataset_id: int) -> None:
    """Delete one dataset version with its file."""
    workspace.datasets.delete(int(dataset_id))


def dataset(workspace: Workspace, dataset_id: int) -> DatasetInfo:
    """One dataset version with its import report."""
    return workspace.datasets.get(int(dataset_id))


# ------------------------------------------------------------------ step 1: the file


def open_upload(workspace: Workspace, contents: str | None, filename: str) -> dict:
    """An uploaded file kept in the workspace, as the page holds it: path, name, kind."""
    _require_importer()
    path = workspace.datasets.receive(filename, uploads.decode(contents, filename))
    return {"path": str(path), "name": filename, "kind": ingest.file_kind(path)}


def open_path(typed: str, readable: Sequence[Path]) -> dict:
    """A file typed by its path, read where it is (only inside ``readable`` folders; only for someone who imports:
    a drop folder holds whole exports, every branch's rows)."""
    _require_importer()
    path = folders.typed_file(typed, readable)
    return {"path": str(path), "name": path.name, "kind": ingest.file_kind(path)}


def open_sample(name: str) -> dict | None:
    """One of the sample files by name, or None."""
    path = {p.name: p for p in sample_files()}.get(name)
    return None if path is None else {"path": str(path), "name": path.name, "kind": ingest.file_kind(path)}


def sample_choices(source: str | None = None) -> list[tuple[str, str]]:
    """The sample files (the Data page's, or with ``source`` those of "reviews" or "audit") as (name, what it holds
    in the reader's language; '' when nothing is said of it)."""
    return [(p.name, SAMPLE_DESCRIPTIONS.get(p.name, "")) for p in sample_files(source)]


def sample_path(name: str | None, source: str) -> Path | None:
    """The path of ``source``'s sample file ``name`` (None for no or another name)."""
    return {p.name: p for p in sample_files(source)}.get(name or "")


def source_path(file: Mapping, readable: Sequence[Path]) -> Path:
    """The chosen file's path, checked again: the browser holds it between steps and could send back another."""
    _require_importer()
    return folders.typed_file(file["path"], readable)


def _require_importer(project_id: int | None = None) -> None:
    """Refuse a reader who changes no project (or not ``project_id``): files are read here to be imported."""
    current = access.current()
    if current.writable == frozenset() or (project_id is not None and not current.writes(project_id)):
        raise access.refused()


@dataclass(frozen=True)
class Detected:
    """What was detected about a file's format; the user may override it."""

    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    header_rows: int | None = None
    sheets: tuple[str, ...] = ()


def detect(path: Path, kind: str) -> Detected:
    """A CSV's encoding, delimiter, decimal mark and header rows, or an XLSX's sheets."""
    if kind == "csv":
        found = ingest.sniff_file(path)
        return Detected(found.encoding, found.delimiter, found.decimal, found.header_rows)
    if kind == "xlsx":
        return Detected(sheets=tuple(ingest.sheet_names(path)))
    return Detected()


def whole(value: object, default: int | None) -> int | None:
    """A number typed in a field as a positive whole number, else ``default``."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default
    return number if number >= 1 else default


def dialect(
    kind: str | None, encoding: str | None, delimiter: str | None, decimal: str | None, header_rows: object
) -> CsvDialect | None:
    """A CSV's reading as chosen in the form (None for other files, or before every choice is made)."""
    if kind != "csv" or not (encoding and delimiter and decimal):
        return None
    return CsvDialect(encoding, delimiter, decimal, min(whole(header_rows, 1) or 1, MAX_HEADER_ROWS))


@dataclass(frozen=True)
class Preview:
    """A file's first rows as they will be read, what its columns are guessed to be, and its layout in a line.

    ``columns`` is what the page keeps for the next steps (names, number columns, labelled text columns, question
    texts, the layout's exclusion rules, the guesses).
    """

    names: list[str]
    rows: list[list]
    descriptions: dict[str, str]
    columns: dict
    note: str


def preview(
    path: Path,
    file_kind: str,
    chosen: CsvDialect | None,
    sheet: str | None,
    header_row: int | None,
    touchpoints: Mapping[str, str],
) -> Preview:
    """The first rows of the file, its layout, and guesses of its columns against the journey's ``touchpoints``."""
    source = ingest.read_source(path, chosen, sheet, rows=guesses.SAMPLE_ROWS, header_row=header_row)
    table = source.table
    shown = table.slice(0, PREVIEW_ROWS)
    descriptions = dict(source.descriptions)
    proposal = guesses.propose(
        table, touchpoints, descriptions, source.decimal, value_labels=source.value_labels
    ).to_dict()
    excluded = excluded_count(table, source.layout.exclude)
    scored = {score["column"] for score in proposal["scores"]}
    columns = {
        "columns": table.column_names,
        "numeric": ingest.numeric_columns(shown, source.decimal),
        "descriptions": descriptions,
        "labelled": labelled_columns(table, scored),
        "exclude": source.layout.exclude,
        "excluded": excluded,
        "proposal": proposal,
        "layout": source.layout.name,
        "header_row": source.header_row if file_kind == "xlsx" else None,
    }
    rows = [[_cell(v) for v in row.values()] for row in shown.to_pylist()]
    return Preview(table.column_names, rows, descriptions, columns, layout_note(source, excluded, len(table)))


def _cell(value) -> str | float | None:
    """Preview cells as plain text or numbers (the grid never renders HTML)."""
    if value is None or isinstance(value, (int, float)):
        return value
    return str(value)


def labelled_columns(table: pa.Table, skip: set[str]) -> dict[str, dict]:
    """Text columns (other than ``skip``) whose answers are a known label set: any of them can still be mapped as a
    score or the outcome (a yes/no question rating no touchpoint is proposed as a segment)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = {}
    for name in table.column_names:
        column = table[name]
        if name in skip or not pa.types.is_string(column.type):
            continue
        distinct = pc.unique(column.drop_null())
        if len(distinct) > labels.MAX_VALUES:
            continue
        proposal = labels.propose_values(distinct.to_pylist())
        if proposal is not None:
            found[name] = {"values": dict(proposal.values), "scale": list(proposal.scale), "binary": proposal.binary}
    return found


def excluded_count(table: pa.Table, exclude: Mapping[str, Sequence[str]]) -> int:
    """Rows of the sample a layout's exclusion rules would leave out."""
    rows = table.to_pylist() if exclude else []
    return sum(any(str(row.get(column) or "").strip() in values for column, values in exclude.items()) for row in rows)


def layout_note(source: ingest.Source, excluded: int, sampled: int) -> str:
    """What was recognised about the file, in a line."""
    parts = [_("Recognised: {layout}.").format(layout=source.layout.title)]
    if source.dialect is not None and source.dialect.header_rows > 1:
        n = source.dialect.header_rows
        parts.append(ngettext("{n} header row read as one.", "{n} header rows read as one.", n).format(n=n))
    if source.kind == "xlsx" and source.header_row > 1:
        parts.append(_("The header is row {row} (titles above it are skipped).").format(row=source.header_row))
    if source.descriptions:
        parts.append(_("Question texts show over the column names."))
    if source.layout.exclude:
        parts.append(
            ngettext(
                "{n} of the first {rows} rows is a preview, test or incomplete response.",
                "{n} of the first {rows} rows are preview, test or incomplete responses.",
                excluded,
            ).format(n=formatting.count(excluded), rows=formatting.count(sampled))
        )
    return " ".join(parts)


# ------------------------------------------------------------------ step 2: the mapping


def journey_touchpoints(workspace: Workspace, journey_id: int | None) -> dict[str, str]:
    """The journey's touchpoints by key → name (none without a journey)."""
    if not journey_id:
        return {}
    return {tp.key: tp.name for tp in workspace.journey(int(journey_id)).journey.touchpoints}


def journey(workspace: Workspace, journey_id: int) -> Journey:
    """The journey answers are mapped to."""
    return workspace.journey(int(journey_id)).journey


def saved_choices(workspace: Workspace, project_id: int, columns: Sequence[str]) -> tuple[list[tuple[str, str]], str]:
    """What the form can start from — the guesses, or a saved mapping that fits the file — as (label, value), and
    the one chosen first: the mapping made for these very columns, else the guesses."""
    fitting = workspace.mappings.fitting(int(project_id), list(columns))
    options = [(_("guesses from the columns and their values"), GUESS)] + [
        (_("mapping {saved}").format(saved=m.describe()), m.name) for m in fitting
    ]
    return options, fitting[0].name if fitting and fitting[0].same_shape else GUESS


def proposal(columns: Mapping) -> guesses.Proposal | None:
    """The guesses kept with the preview."""
    return guesses.Proposal.from_dict(columns["proposal"]) if columns.get("proposal") else None


def start(
    workspace: Workspace, columns: Mapping, saved: str | None, project_id: int | None
) -> tuple[AnyMapping | None, str | None]:
    """The mapping the form starts from (a saved one, or the guesses) and the line that says which."""
    if saved and saved != GUESS and project_id:
        found = workspace.mappings.named(int(project_id), saved, columns["columns"])
        return found.mapping, _("Using the mapping {saved}.").format(saved=found.describe())
    guessed = proposal(columns)
    if guessed is not None:
        return guesses.as_mapping(guessed), ngettext(
            "Guessed from the column names and the values of the first {n} row: check each field marked “guess”.",
            "Guessed from the column names and the values of the first {n} rows: check each field marked “guess”.",
            guessed.rows,
        ).format(n=formatting.count(guessed.rows))
    return None, None


def dataset_name(workspace: Workspace, project_id: int, columns: Sequence[str], filename: str) -> str:
    """The name the import is proposed under: the dataset last imported from these columns, else the file's."""
    return workspace.datasets.last_name_for(int(project_id), list(columns)) or Path(filename).stem


def guessed_reasons(mapping: AnyMapping | None, guessed: guesses.Proposal | None) -> dict[str, str]:
    """Fields whose column is the guessed one, with why it was guessed (the form marks them "guess")."""
    if guessed is None:
        return {}
    found = {
        "ts": guessed.date,
        "respondent_id": guessed.respondent_id,
        "comment": guessed.comment,
        "touchpoint": guessed.touchpoint,
    }
    return {
        name: guess.reason
        for name, guess in found.items()
        if guess is not None and getattr(mapping, name, None) == guess.column
    }


@dataclass(frozen=True)
class Form:
    """A mapping as the form's fields show it."""

    fields: dict[str, str]
    kind: str
    segments: list[str]
    kpis: list[str]
    na: str = ""
    rating_scale: tuple[float, float] = (1, 10)
    date_format: str = AUTO
    wave: str = ""
    outcome: str = ""
    exclude: bool = False


def form(mapping: AnyMapping | None, columns: Mapping, guessed: bool) -> Form | None:
    """The form's values for a mapping (``guessed``: it came from the guesses, so a layout's exclusions are on)."""
    if isinstance(mapping, KpiMapping):
        values = {"ts": mapping.period or NONE, "respondent_id": mapping.respondent_id or NONE}
        return Form({f: values.get(f, NONE) for f in FIELDS}, mapping.kind, list(mapping.segments), list(mapping.kpis))
    if isinstance(mapping, SurveyMapping):
        na = sorted({code for codes in mapping.na_codes.values() for code in codes})
        kpis = [c for c in columns["numeric"] if c not in mapping.columns()]
        return Form(
            {f: getattr(mapping, f) or NONE for f in FIELDS},
            "wide" if mapping.wide else "survey",
            list(mapping.segments),
            kpis if not set(columns["numeric"]).isdisjoint(kpis) else [],
            ", ".join(na),
            mapping.rating_scale,
            mapping.date_format or AUTO,
            mapping.wave or "",
            mapping.outcome_label or "",
            bool(columns["exclude"]) and (bool(mapping.exclude) or guessed),
        )
    return None


def exclusion_rules(exclude: Mapping[str, Sequence[str]]) -> str:
    """A layout's exclusion rules in a line: 'Status: Survey Preview; Finished: 0'."""
    blank = _("(blank)")
    return "; ".join(f"{c}: {', '.join(v or blank for v in values)}" for c, values in exclude.items())


@dataclass(frozen=True)
class WideRow:
    """One score column of a one-row-per-respondent file as the form proposes it."""

    column: str
    description: str
    touchpoint: str
    metric: str  # csat, nps, ces, rating (another scale) or yesno (a 0/1 rating)
    scale: tuple[float, float]
    note: str  # why it was guessed, when it was
    words: dict[str, float | None] = field(default_factory=dict)  # answers written as words → numbers


def wide_rows(columns: Mapping, mapping: AnyMapping | None, guessed: bool) -> list[WideRow]:
    """The file's score columns (chosen, guessed, numbers or rating words), each with its touchpoint and scale."""
    mapping = mapping if isinstance(mapping, SurveyMapping) else SurveyMapping()
    chosen = {w.column: w for w in mapping.wide}
    found = proposal(columns)
    proposed = {s.column: s for s in found.scores} if found else {}
    labelled = columns.get("labelled") or {}
    descriptions = columns.get("descriptions") or {}
    rows = []
    for column in columns["columns"]:
        if not (column in chosen or column in proposed or column in columns["numeric"] or column in labelled):
            continue
        wide, score, words_seen = chosen.get(column), proposed.get(column), labelled.get(column)
        metric = wide.metric if wide else (score.metric if score else "csat")
        if wide is not None and wide.scale:
            scale = _pair(wide.scale)
        elif score is not None and score.scale:
            scale = _pair(score.scale)
        else:
            scale = _pair(metrics.SCALES.get(metric, mapping.rating_scale))
        if not wide and not score and words_seen:  # answers as words: the scale of their label set
            scale = _pair(words_seen["scale"])
            metric = "rating" if words_seen["binary"] or scale != (1.0, 5.0) else "csat"
        if metric == "rating" and tuple(scale) == (0.0, 1.0):
            metric = "yesno"
        note = "; ".join(t for t in (score.reason, score.match_reason) if t) if guessed and score is not None else ""
        words = dict(
            mapping.value_labels.get(column)
            or (score.value_labels if score else {})
            or (words_seen or {}).get("values")
            or {}
        )
        rows.append(
            WideRow(
                column, descriptions.get(column) or "", wide.touchpoint if wide else NONE, metric, scale, note, words
            )
        )
    return rows


def _pair(scale: Sequence[float]) -> tuple[float, float]:
    """A scale's two ends."""
    low, high = scale
    return float(low), float(high)


def twice(assignment: Mapping[str, str | None]) -> str:
    """Columns mapped to one touchpoint, in sentences ('' when none are)."""
    found = guesses.conflicts({column: tp for column, tp in assignment.items() if tp not in (None, "", NONE)})
    if not found:
        return ""
    text = " ".join(
        _("{columns} are all mapped to “{touchpoint}”.").format(
            columns=", ".join(f"“{c}”" for c in columns), touchpoint=key
        )
        for key, columns in found.items()
    )
    return text + " " + _("Change one, or confirm that they rate the same touchpoint.")


def touchpoint_labels(
    path: Path,
    column: str,
    chosen: CsvDialect | None,
    sheet: str | None,
    header_row: int | None,
    journey_: Journey,
    mapping: AnyMapping | None,
    use_saved: bool,
) -> list[tuple[str, str]]:
    """Each touchpoint label in the file's ``column`` with the journey touchpoint it is matched to (as saved, else
    by name; ``NONE`` when none fits)."""
    found = ingest.column_values(path, column, chosen, sheet, header_row=header_row)
    known = dict(mapping.touchpoint_values) if isinstance(mapping, SurveyMapping) and use_saved else {}
    matched = guesses.match_touchpoints(found, {tp.key: tp.name for tp in journey_.touchpoints}, one_to_one=False)
    # A touchpoint of the label's very name first ("Delivery" and "delivery!" are two touchpoints of a draft journey,
    # which the words of their names would not tell apart).
    named: dict[str, str] = {}
    for tp in journey_.touchpoints:
        named.setdefault(draft.clean_name(tp.name), tp.key)
    keys = {tp.key for tp in journey_.touchpoints} | {OVERALL}
    return [
        (
            label,
            known[label]
            if known.get(label) in keys
            else (named.get(draft.clean_name(label)) or matched[label] or NONE),
        )
        for label in found
    ]


# ------------------------------------------------------------------ a draft journey from the file


@dataclass(frozen=True)
class Draft:
    """A draft journey made from a file: its id and name, and the touchpoint each label or column became."""

    journey_id: int
    name: str
    keys: dict[str, str]  # the file's label (long file) or column (wide file) → the touchpoint's key
    message: str


def draft_name(workspace: Workspace, project_id: int | None, filename: str) -> str:
    """The name a draft journey is proposed under: the file's (without its extension), numbered when taken."""
    taken = [j.name for j in workspace.journeys(int(project_id))] if project_id else []
    return draft.draft_name(Path(filename or "").stem, taken)


def file_labels(
    path: Path, column: str, chosen: CsvDialect | None, sheet: str | None, header_row: int | None
) -> dict[str, str]:
    """A long file's touchpoint labels in the order they first come in the file, each as its own name."""
    found = ingest.column_values(path, column, chosen, sheet, limit=sys.maxsize, header_row=header_row, by_count=False)
    return {label: label for label in found}


def wide_labels(columns: Mapping, taken: Sequence[str | None]) -> dict[str, str]:
    """A wide file's rating columns, each with the name its touchpoint takes: its question text when it has one,
    else its name (of a matrix question's columns, the row that tells them apart: ``draft.matrix_names``). The
    columns guessed as scores when there are any, else every column the form lists; never one ``taken`` by another
    field (the date, an id, the comment) or by the file's rules for test responses."""
    found = proposal(columns)
    outcome = found.outcome if found is not None else None
    skip = {c for c in taken if c and c != NONE} | set(columns.get("exclude") or ()) | {outcome}
    scores = [s.column for s in found.scores] if found is not None else []
    listed = scores or [row.column for row in wide_rows(columns, None, False)]
    descriptions = columns.get("descriptions") or {}
    return draft.matrix_names({column: descriptions.get(column) or column for column in listed if column not in skip})


def create_draft(
    workspace: Workspace, project_id: int | None, name: str | None, labels: Mapping[str, str], where: str, what: str
) -> Draft:
    """Store a draft journey in the project, one touchpoint per distinct name of ``labels`` (label or column → the
    name its touchpoint takes; see :func:`workbench.core.draft.draft_journey`); ``where`` names the file (and its
    column) in a message over the limit, ``what`` is "labels" or "columns". Only someone who changes the project
    may: the workspace refuses anyone else."""
    if not project_id:
        raise IngestError(_("Create a project on the Journeys page first."))
    if not access.current().writes(int(project_id)):
        raise access.refused()
    journey_, by_name = draft.draft_journey(name or "", labels.values(), where=where, what=what)
    journey_id = workspace.create_journey(int(project_id), journey_)
    keys = {source: by_name[label] for source, label in labels.items() if label in by_name}
    n = len(journey_.touchpoints)
    message = ngettext(
        "Draft journey “{name}” created with {n} touchpoint: arrange it into a stage on the Journeys page.",
        "Draft journey “{name}” created with {n} touchpoints: arrange them into stages on the Journeys page.",
        n,
    ).format(name=journey_.name, n=formatting.count(n))
    return Draft(journey_id, journey_.name, keys, message)


def draft_offer(labels: Sequence[tuple[str, str]]) -> bool:
    """Whether the form offers a draft journey: none of the file's labels or columns (with the touchpoint each is
    mapped to) has a touchpoint of the journey."""
    return bool(labels) and all(key in (None, "", NONE) for _label, key in labels)


def unmatched_note(unmatched: int) -> tuple[str, bool]:
    """What to say about labels without a touchpoint, and whether all are matched."""
    if not unmatched:
        return _("Every label matched a touchpoint."), True
    return (
        ngettext(
            "{n} label(s) not matched: choose their touchpoint, or leave them out (their rows are reported and "
            "skipped).",
            "{n} label(s) not matched: choose their touchpoint, or leave them out (their rows are reported and "
            "skipped).",
            unmatched,
        ).format(n=formatting.count(unmatched)),
        False,
    )


def form_mapping(
    kind: str | None,
    fields: Mapping[str, str | None],
    segments: Sequence[str] | None,
    kpis: Sequence[str] | None,
    na_text: str | None,
    rating_min,
    rating_max,
    wide: Mapping[str, tuple],
    labels_: Mapping[str, str | None],
    words: Mapping[str, dict],
    extra: Mapping,
) -> AnyMapping:
    """The form's values as a mapping of the file's columns (``extra``: date format, wave, outcome name,
    exclusion rules, whether two columns on one touchpoint were confirmed)."""
    # A hidden field of another kind of file may still hold a column: it must neither map nor take a segment.
    pick = {
        name: value if value and value != NONE and name in KIND_FIELDS[kind or "survey"] else None
        for name, value in fields.items()
    }
    if kind in ("kpi_period", "kpi_customer"):
        return KpiMapping(
            kpis=tuple(kpis or ()),
            period=pick["ts"] if kind == "kpi_period" else None,
            respondent_id=pick["respondent_id"] if kind == "kpi_customer" else None,
            segments=tuple(segments or ()),
        )
    wave = (extra["wave"] or "").strip() or None
    if not pick["ts"] and not wave:
        raise IngestError(
            _(
                "Choose the date / time column, or give the survey's fieldwork wave (e.g. 2026-03) if the "
                "answers have no dates."
            )
        )
    if wave:
        waves.parse(wave)  # a wave that is no month, day or range is said here, before the file is read
    scale = (
        1.0 if rating_min in (None, "") else float(rating_min),
        10.0 if rating_max in (None, "") else float(rating_max),
    )
    if scale[0] >= scale[1]:
        raise IngestError(_("The other rating's scale must go from a lower to a higher value."))
    codes = tuple(code.strip() for code in (na_text or "").split(",") if code.strip())
    common = dict(
        ts=pick["ts"],
        respondent_id=pick["respondent_id"],
        response_id=pick["response_id"],
        comment=pick["comment"],
        segments=tuple(s for s in segments or () if s not in pick.values()),
        rating_scale=scale,
        wave=None if pick["ts"] else wave,
        date_format=extra["date_format"] if pick["ts"] and extra["date_format"] != AUTO else None,
        exclude=extra["exclude"],
        outcome_label=(extra["outcome"] or "").strip() or None,
    )
    if kind == "wide":
        return _wide_mapping(wide, scale, codes, words, extra, common)
    if not pick["touchpoint"]:
        raise IngestError(_("Choose the touchpoint column."))
    return SurveyMapping(
        touchpoint=pick["touchpoint"],
        nps=pick["nps"],
        csat=pick["csat"],
        ces=pick["ces"],
        rating=pick["rating"],
        touchpoint_values={k: v for k, v in labels_.items() if v and v != NONE},
        na_codes=ingest.na_codes_outside_scales(codes, scale),
        **common,
    )


def _wide_mapping(
    wide: Mapping[str, tuple],
    scale: tuple[float, float],
    codes: tuple[str, ...],
    words: Mapping[str, dict],
    extra: Mapping,
    common: dict,
) -> SurveyMapping:
    """A one-row-per-respondent file's mapping: each rating column on its touchpoint and scale."""
    columns = []
    for column, (touchpoint, metric, low, high) in wide.items():
        if not touchpoint or touchpoint == NONE:
            continue
        own = None
        if metric == "yesno":
            metric, own = "rating", (0.0, 1.0)
        elif metric == "rating":
            own = (float(low), float(high)) if low not in (None, "") and high not in (None, "") else scale
            if own[0] >= own[1]:
                raise IngestError(
                    _("“{column}”: the scale must go from a lower to a higher value.").format(column=column)
                )
        columns.append(WideColumn(column, touchpoint, metric, own))
    if not columns:
        raise IngestError(_("Map at least one rating column to a touchpoint."))
    found = guesses.conflicts({w.column: w.touchpoint for w in columns})
    if found and not extra["twice_ok"]:
        raise IngestError(
            _(
                "Two or more columns are mapped to one touchpoint ({touchpoints}): change one, or confirm it above."
            ).format(touchpoints=", ".join(found))
        )
    used = {w.column for w in columns}
    value_labels = {column: labelled for column, labelled in words.items() if column in used}
    # Each rating column keeps the codes outside its own scale: 0 stays an answer of a 0/1 outcome.
    na_codes = {**ingest.na_codes_outside_scales(codes, scale), **({"rating": codes} if codes else {})}
    return SurveyMapping(wide=tuple(columns), value_labels=value_labels, na_codes=na_codes, **common)


# ------------------------------------------------------------------ step 3: check, then import or cancel


@dataclass(frozen=True)
class Checked:
    """A file read and validated in full: its valid rows wait for the user's decision."""

    staged: StagedImport
    warnings: list[str]

    @property
    def answers(self) -> int:
        """Answers ready to import (rows for a file of one answer per row)."""
        report = self.staged.report
        return report.answers if report.answers is not None else report.rows_valid


def check(
    workspace: Workspace,
    project_id: int,
    path: Path,
    mapping: AnyMapping,
    *,
    journey_id: int | None,
    chosen: CsvDialect | None,
    sheet: str | None,
    header_row: int | None,
    source: str,
    token: str,
    append: bool,
    name: str,
    progress: Callable[[float, str], None],
) -> Checked:
    """Read and validate the whole file into a staging area; what to check about the mapping, from its sample."""
    _require_importer(int(project_id))  # a check reads (and an append merges) the project's whole dataset
    datasets = workspace.datasets
    target = datasets.append_target(int(project_id), name or "") if append else None
    staged = datasets.stage(
        int(project_id),
        path,
        mapping,
        journey_id=int(journey_id) if journey_id else None,
        dialect=chosen,
        sheet=sheet,
        header_row=header_row,
        source=source,
        token=token,
        append_to=target,
        progress=progress,
    )
    warnings: list[str] = []
    if isinstance(mapping, SurveyMapping):
        sample = ingest.read_source(path, chosen, sheet, rows=guesses.SAMPLE_ROWS, header_row=header_row)
        warnings = guesses.check_mapping(sample.table, mapping)
    return Checked(staged, warnings)


def new_check(workspace: Workspace, waiting: str | None) -> str:
    """A token for a new check of the file; an import still waiting for the user's word is dropped."""
    if waiting:
        workspace.datasets.discard(waiting)
    return workspace.datasets.new_token()


def stop_check(workspace: Workspace, token: str) -> None:
    """Ask a running check to stop (it removes what it wrote)."""
    workspace.datasets.cancel(token)


def discard(workspace: Workspace, token: str) -> None:
    """Drop the checked rows: nothing is imported."""
    workspace.datasets.discard(token)


def commit(workspace: Workspace, token: str, name: str) -> str:
    """Keep the staged rows as a new dataset version; what was imported, in a sentence."""
    datasets = workspace.datasets
    staged = datasets.staged(token)
    info = datasets.commit(staged, name or "")
    assert info.rows is not None  # whoever imports changes the project, so reads all of it (no scope)
    if staged.extends is not None:
        appended = staged.report.answers or staged.report.rows_valid
        return ngettext(
            "Appended {rows} answer: “{name}” version {version} holds {total}; the mapping is saved as “{mapping}”.",
            "Appended {rows} answers: “{name}” version {version} holds {total}; the mapping is saved as “{mapping}”.",
            appended,
        ).format(
            rows=formatting.count(appended),
            name=info.name,
            version=info.version,
            total=ngettext("{n} answer", "{n} answers", info.rows).format(n=formatting.count(info.rows)),
            mapping=info.name,
        )
    return ngettext(
        "Imported {rows} row as “{name}” version {version}; the mapping is saved as “{mapping}”.",
        "Imported {rows} rows as “{name}” version {version}; the mapping is saved as “{mapping}”.",
        info.rows,
    ).format(rows=formatting.count(info.rows), name=info.name, version=info.version, mapping=info.name)


def report_summary(report: ImportReport) -> str:
    """The validation report in a line: rows read and kept, answers, how dates were read, the wave."""
    skipped = report.rows_read - report.rows_valid
    summary = ngettext(
        "{read} row read, {valid} valid, {skipped} with problems (skipped).",
        "{read} rows read, {valid} valid, {skipped} with problems (skipped).",
        report.rows_read,
    ).format(
        read=formatting.count(report.rows_read),
        valid=formatting.count(report.rows_valid),
        skipped=formatting.count(skipped),
    )
    if report.answers is not None and report.answers != report.rows_valid:
        summary += " " + ngettext("They hold {n} answer.", "They hold {n} answers.", report.answers).format(
            n=formatting.count(report.answers)
        )
    if report.date_format:
        summary += " " + _("Dates read as {format}.").format(format=dates.readable(report.date_format))
    if report.date_zone:
        summary += " " + _("Times with an offset were converted to {zone} wall time.").format(zone=report.date_zone)
    if report.wave:
        summary += " " + _("No dates: every answer belongs to the wave {wave}.").format(wave=report.wave)
    return summary


def date_choices() -> list[tuple[str, str]]:
    """The date formats a user may choose, as (code, text)."""
    return dates.choices()
