"""The findings' tables as CSV and XLSX, every text cell XML- and formula-safe (:func:`safecells.text_cell`).

Sheet and file names and column headers are in the export's language (English: the column keys themselves, which
scripts reading the files rely on); the client's own names (segments, touchpoints, scenarios) stay as they are.
"""

from __future__ import annotations

import io
import zipfile

import pandas

from workbench.core import i18n, metrics
from workbench.core.i18n import N_, Labels
from workbench.core.i18n import gettext as _
from workbench.core.journey import slugify
from workbench.core.safecells import cell, csv_bytes, text_cell
from workbench.features.export import QUADRANT_NAMES, Findings

SHEET_NAME_LIMIT = 31  # Excel's limit
SHEETS = Labels(
    {
        "touchpoint-scores": N_("touchpoint-scores"),
        "steps": N_("steps"),
        "breaks": N_("breaks"),
        "drivers": N_("drivers"),
        "roi-scenarios": N_("roi-scenarios"),
        "actions": N_("actions"),
    }
)
# A column's header by its key (a key not here, such as the metric's code or a segment value, is its own header).
HEADERS = Labels(
    {
        "touchpoint": N_("touchpoint"),
        "name": N_("name"),
        "stage": N_("stage"),
        "owner": N_("owner"),
        "value": N_("value"),
        "se": N_("se"),
        "low": N_("low"),
        "high": N_("high"),
        "low_n": N_("low_n"),
        "target": N_("target"),
        "reference": N_("reference"),
        "reference_kind": N_("reference_kind"),
        "p_value": N_("p_value"),
        "q_value": N_("q_value"),
        "status": N_("status"),
        "source": N_("source"),
        "delta": N_("delta"),
        "drop": N_("drop"),
        "source_name": N_("source_name"),
        "target_name": N_("target_name"),
        "total": N_("total"),
        "n total": N_("n total"),
        "whole network": N_("whole network"),
        "n whole network": N_("n whole network"),
        "benchmark": N_("benchmark"),
        "rank": N_("rank"),
        "kind": N_("kind"),
        "column": N_("column"),
        "segment": N_("segment"),
        "since": N_("since"),
        "sentence": N_("sentence"),
        "importance": N_("importance"),
        "share": N_("share"),
        "share_low": N_("share_low"),
        "share_high": N_("share_high"),
        "performance": N_("performance"),
        "performance_reference": N_("performance_reference"),
        "gap": N_("gap"),
        "quadrant": N_("quadrant"),
        "priority": N_("priority"),
        "reason": N_("reason"),
        "answers": N_("answers"),
        "matters": N_("matters"),
        "p_adjusted": N_("p_adjusted"),
        "measure": N_("measure"),
        "id": N_("id"),
        "title": N_("title"),
        "touchpoints": N_("touchpoints"),
        "due": N_("due"),
        "cost": N_("cost"),
        "metric": N_("metric"),
        "expected_change": N_("expected_change"),
        "description": N_("description"),
        "done_on": N_("done_on"),
    }
)
_DATA_COLUMNS = ("matrix", "roi-scenarios")  # tables whose other columns are named by the client's data


def frames(findings: Findings) -> dict[str, pandas.DataFrame]:
    """Every table the deck and the pages show, by name: scores, steps, matrix, breaks, drivers, ROI, actions; names
    and headers in the request's language."""
    with i18n.language(findings.request.speaks()):
        shown = {}
        for key, frame in _frames(findings).items():
            if key.startswith(_DATA_COLUMNS):  # only the table's own columns; a segment named 'owner' stays
                own = {"touchpoint", "name", "total", "n total", "whole network", "n whole network", "benchmark"}
                headers = {c: HEADERS[c] for c in frame.columns if c in own | {"measure"}}
            else:
                headers = {c: HEADERS[c] for c in frame.columns if isinstance(c, str) and c in HEADERS}
            name = (
                _("matrix-by-{column}").format(column=key.removeprefix("matrix-by-"))
                if key.startswith("matrix-by-")
                else SHEETS[key]
            )
            shown[name] = frame.rename(columns=headers)
        return shown


def _frames(findings: Findings) -> dict[str, pandas.DataFrame]:
    names = {tp.key: tp.name for tp in findings.journey.touchpoints}
    metric = findings.provenance.metric
    scores = findings.scores[
        [
            "touchpoint",
            "name",
            "stage",
            "owner",
            "value",
            "se",
            "low",
            "high",
            "n",
            "low_n",
            "target",
            "reference",
            "reference_kind",
            "p_value",
            "status",
        ]
    ]
    shown = {
        "touchpoint-scores": scores.rename(columns={"value": metric}),
        "steps": findings.steps.assign(
            source_name=findings.steps["source"].map(names), target_name=findings.steps["target"].map(names)
        ),
    }
    if findings.matrix is not None and findings.matrix_column is not None:
        wide = findings.matrix.pivot_table(index="touchpoint", columns="segment", values="value", sort=False)
        counts = findings.matrix.pivot_table(index="touchpoint", columns="segment", values="n", sort=False)
        wide = wide.join(counts.add_prefix("n "), how="left").reset_index()
        wide.insert(1, "name", wide["touchpoint"].map(names))
        # The column is named by the client's file: as a slug it is a valid sheet name and a plain file name.
        # The reference columns named as on the page; an imported benchmark value has no count.
        wide = wide.drop(columns=["n (external)"], errors="ignore").rename(
            columns={
                "(network)": "total",
                "n (network)": "n total",
                "(benchmark)": "whole network",
                "n (benchmark)": "n whole network",
                "(external)": "benchmark",
            }
        )
        shown[f"matrix-by-{slugify(findings.matrix_column)}"] = wide
    shown["breaks"] = pandas.DataFrame(
        [
            {
                "rank": i,
                "kind": b.kind,
                "touchpoint": b.touchpoint,
                "name": names.get(b.touchpoint, b.touchpoint),
                "column": b.column or "",
                "segment": b.segment or "",
                "since": b.since,
                "value": b.value,
                "reference": b.reference,
                "delta": b.delta,
                "low": b.low,
                "high": b.high,
                "n": b.n,
                "p_value": b.p_value,
                "q_value": b.q_value,
                "sentence": b.sentence,
            }
            for i, b in enumerate(findings.breaks, 1)
        ],
        columns=[
            "rank",
            "kind",
            "touchpoint",
            "name",
            "column",
            "segment",
            "since",
            "value",
            "reference",
            "delta",
            "low",
            "high",
            "n",
            "p_value",
            "q_value",
            "sentence",
        ],
    )
    if findings.priorities is not None:
        shown["drivers"] = findings.priorities.assign(
            name=findings.priorities["touchpoint"].map(names),
            quadrant=findings.priorities["quadrant"].map(lambda q: QUADRANT_NAMES.get(q, q)),
        )
    if findings.scenarios:
        from workbench.features import roi

        runs = [(item.scenario, item.outcome) for item in findings.scenarios if item.outcome]
        shown["roi-scenarios"] = roi.compare(runs).rename_axis("measure").reset_index()
    shown["actions"] = pandas.DataFrame(
        [
            {
                "id": a.id,
                "title": a.title,
                "status": a.status,
                "touchpoints": ", ".join(names.get(k, k) for k in a.touchpoints),
                "owner": a.owner,
                "due": a.due,
                "cost": a.cost,
                "metric": metrics.NAMES.get(a.metric, a.metric),
                "expected_change": a.expected_change,
                "segment": a.segment or "",
                "description": a.description,
                "done_on": a.done_on,
            }
            for a in findings.actions
        ],
        columns=[
            "id",
            "title",
            "status",
            "touchpoints",
            "owner",
            "due",
            "cost",
            "metric",
            "expected_change",
            "segment",
            "description",
            "done_on",
        ],
    )
    return shown


def to_csv(frame: pandas.DataFrame) -> bytes:
    """The table as UTF-8 CSV with a byte-order mark (so Excel reads the accents), numbers with every digit."""
    return csv_bytes(frame.columns, frame.itertuples(index=False))


def to_xlsx(tables: dict[str, pandas.DataFrame]) -> bytes:
    """The tables as one workbook, a sheet each; text is written as text, never as a formula."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True}
    )
    bold = book.add_format({"bold": True})
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, frame in tables.items():
        sheet = book.add_worksheet(_sheet_name(name, book))
        for c, column in enumerate(frame.columns):
            sheet.write_string(0, c, text_cell(str(column)), bold)
        for r, row in enumerate(frame.itertuples(index=False), 1):
            for c, value in enumerate(row):
                found = cell(value)
                if found is None:
                    continue
                if isinstance(found, str):
                    sheet.write_string(r, c, found)
                elif hasattr(found, "year"):
                    sheet.write_datetime(r, c, pandas.Timestamp(found).to_pydatetime(), dates)
                elif isinstance(found, bool):
                    sheet.write_boolean(r, c, found)
                else:
                    sheet.write_number(r, c, found)
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def _sheet_name(name: str, book) -> str:
    taken = {sheet.get_name() for sheet in book.worksheets()}
    base = name[:SHEET_NAME_LIMIT]
    candidate, i = base, 2
    while candidate in taken:
        candidate = f"{base[: SHEET_NAME_LIMIT - 3]}-{i}"
        i += 1
    return candidate


def csv_archive(tables: dict[str, pandas.DataFrame]) -> bytes:
    """A ZIP with one CSV per table."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, frame in tables.items():
            bundle.writestr(f"{name}.csv", to_csv(frame))
    return buffer.getvalue()
