"""External benchmark values per touchpoint (a sector study, another client's network): reading and checking a
file of ``touchpoint; metric; value`` rows against a journey."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workbench.analysis import guesses
from workbench.core import formatting, limits, metrics
from workbench.core.errors import IngestError
from workbench.core.folding import fold
from workbench.core.i18n import gettext as _
from workbench.core.journey import Journey
from workbench.data import ingest

if TYPE_CHECKING:
    import pandas

SCALES = metrics.RANGES  # a benchmark is a score: NPS −100…100, CSAT 1–5, index 0–100
COLUMNS = ("touchpoint", "metric", "value")


def read(path: str | Path, journey: Journey) -> pandas.DataFrame:
    """The file's benchmarks as (touchpoint key, metric, value); any bad cell raises naming its row and column.

    Touchpoints are matched on key or name (case and accents ignored); values may use a decimal comma.
    """
    import pandas as pd

    limits.check_size(Path(path).stat().st_size, limits.DOCUMENT_BYTES, Path(path).name)  # a few rows per touchpoint
    source = ingest.read_source(path)
    by_name = {fold(name): name for name in source.table.column_names}
    missing = [c for c in COLUMNS if c not in by_name]
    if missing:
        raise IngestError(
            _("The benchmark file needs the columns {columns}; missing: {missing}.").format(
                columns=", ".join(COLUMNS), missing=", ".join(missing)
            )
        )
    rows = {
        c: [None if v is None else str(v).strip() for v in source.table.column(by_name[c]).to_pylist()] for c in COLUMNS
    }
    keys = guesses.match_touchpoints(
        sorted({v for v in rows["touchpoint"] if v}), {tp.key: tp.name for tp in journey.touchpoints}, one_to_one=False
    )
    found: list[tuple[str, str, float]] = []
    seen: dict[tuple[str, str], int] = {}
    for index, (label, metric, text) in enumerate(zip(*(rows[c] for c in COLUMNS), strict=True)):
        row = index + 2  # the header is row 1
        key = keys.get(label) if label else None
        if key is None:
            raise IngestError(
                _("Row {row}, column {column}: '{text}' is not a touchpoint of the journey.").format(
                    row=row, column="touchpoint", text=label or ""
                )
            )
        metric = (metric or "").lower()
        if metric not in SCALES:
            raise IngestError(
                _("Row {row}, column {column}: '{text}' is not one of {known}.").format(
                    row=row, column="metric", text=metric, known=", ".join(SCALES)
                )
            )
        try:
            value = formatting.decimal(text or "")
        except ValueError:
            raise IngestError(
                _("Row {row}, column {column}: '{text}' is not a number.").format(
                    row=row, column="value", text=text or ""
                )
            ) from None
        low, high = SCALES[metric]
        if not low <= value <= high:
            raise IngestError(
                _("Row {row}, column {column}: {text} is outside the {metric} scale {low}…{high}.").format(
                    row=row,
                    column="value",
                    text=text,
                    metric=metric.upper(),
                    low=formatting.number(low, 0 if low == int(low) else 2),
                    high=formatting.number(high, 0 if high == int(high) else 2),
                )
            )
        if (key, metric) in seen:
            raise IngestError(
                _("Row {row}: {metric} of '{name}' is given twice (also row {other}).").format(
                    row=row, metric=metric.upper(), name=label, other=seen[key, metric]
                )
            )
        seen[key, metric] = row
        found.append((key, metric, value))
    if not found:
        raise IngestError(_("The benchmark file has no rows."))
    return pd.DataFrame(found, columns=list(COLUMNS))
