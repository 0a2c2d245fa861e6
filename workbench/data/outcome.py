"""The overall outcome of a survey dataset: which metric holds it, what it is called, and whether it is a yes/no.

A survey's overall (relationship) answers sit at touchpoint ``_overall``. They may be NPS 0–10, CSAT, CES, any
numeric scale ("rating"), or a yes/no outcome (stored as ``rating`` 0/1, e.g. *satisfied* = 1). The import
records it in the dataset's ``meta["outcome"]`` (see :func:`describe`); pages, the deck and the CLI read it back
with :func:`from_meta` so that every title names the outcome as mapped, never "NPS" unless it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from workbench.core import formatting
from workbench.core.i18n import gettext as _

NPS_LABEL = "NPS"


@dataclass(frozen=True)
class Outcome:
    """The overall outcome: stored ``metric``, display ``label``, its ``scale``, and for a yes/no outcome the
    name of its "yes" value (``positive``)."""

    metric: str = "nps"
    label: str = NPS_LABEL
    scale: tuple[float, float] = (0.0, 10.0)
    binary: bool = False
    positive: str | None = None

    def to_dict(self) -> dict:
        """JSON-ready, as kept in a dataset's meta."""
        return {**asdict(self), "scale": list(self.scale)}

    def what_drives(self) -> str:
        """A chart title: "What drives Satisfied" / "What drives NPS"."""
        return _("What drives {outcome}").format(outcome=self.label)

    def measure(self) -> str:
        """What the outcome's number is: "share Satisfied", "NPS", "mean Overall rating (1–10)"."""
        if self.binary:
            return _("share {positive}").format(positive=self.positive or self.label)
        if self.metric == "nps":
            return self.label
        return _("mean {outcome} ({low}–{high})").format(
            outcome=self.label, low=_scale_end(self.scale[0]), high=_scale_end(self.scale[1])
        )


def _scale_end(value: float) -> str:
    """An end of a scale with as few digits as it has (1, 10, 0.5), in the reader's number format."""
    text = f"{value:g}"
    return text if "e" in text else formatting.number(value, len(text.partition(".")[2]))


def describe(metric: str, label: str | None, scale: tuple[float, float], positive: str | None = None) -> Outcome:
    """The outcome of an import: a 0–1 ``rating`` is a yes/no outcome; the label defaults to the metric's name."""
    from workbench.core.metrics import NAMES, SCALES

    scale = (float(scale[0]), float(scale[1]))
    binary = metric == "rating" and scale == (0.0, 1.0)
    default = NAMES[metric] if metric in SCALES else _("Overall rating")
    low, high = SCALES.get(metric, scale)
    return Outcome(metric, (label or "").strip() or default, (low, high), binary, positive if binary else None)


def from_meta(meta: Mapping | None) -> Outcome:
    """The outcome recorded with a dataset; datasets imported before outcomes were recorded hold NPS."""
    data = (meta or {}).get("outcome")
    if not data:
        return Outcome()
    return Outcome(data["metric"], data["label"], tuple(data["scale"]), bool(data.get("binary")), data.get("positive"))
