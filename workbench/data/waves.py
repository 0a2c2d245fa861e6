"""Survey waves: a study whose answers carry no date is imported as one wave with its fieldwork date or range.

Every answer of a wave is stored at the wave's first day, so the period filter and the trend still work when
several waves are appended into one dataset. The import records ``meta["waves"]`` (a list of :class:`Wave`
dicts) and ``meta["dated"]`` (whether answers carry their own dates); :func:`single_wave` tells the pages that
need time that there is nothing over time to show.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from workbench.core import formatting
from workbench.core.i18n import gettext as _

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


class WaveError(ValueError):
    """A wave that is not a month, a day or a range of days."""


@dataclass(frozen=True)
class Wave:
    """A fieldwork period: its label as given, first and last day."""

    label: str
    start: dt.date
    end: dt.date

    def to_dict(self) -> dict:
        """JSON-ready, as kept in a dataset's meta."""
        return {"label": self.label, "from": self.start.isoformat(), "to": self.end.isoformat()}

    @classmethod
    def from_dict(cls, data: Mapping) -> Wave:
        """The inverse of :meth:`to_dict`."""
        return cls(data["label"], dt.date.fromisoformat(data["from"]), dt.date.fromisoformat(data["to"]))


def parse(text: str) -> Wave:
    """``2026-03`` (a month), ``2026-03-15`` (a day) or ``2026-03-01..2026-03-20`` (a range) as a wave."""
    text = " ".join(str(text or "").split())
    if ".." in text:
        first, _sep, last = text.partition("..")
        start, end = _day(first.strip(), text), _day(last.strip(), text)
        if end < start:
            raise WaveError(_("The wave “{text}” ends before it starts.").format(text=text))
        return Wave(text, start, end)
    month = _MONTH.match(text)
    if month:
        year, number = int(month[1]), int(month[2])
        if not 1 <= number <= 12:
            raise WaveError(_("“{text}” is not a month: write it as 2026-03.").format(text=text))
        return Wave(text, dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1]))
    day = _day(text, text)
    return Wave(text, day, day)


def _day(text: str, whole: str) -> dt.date:
    match = _DAY.match(text)
    try:
        if match:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise WaveError(
        _(
            "“{text}” is not a wave: give a month (2026-03), a day (2026-03-15) or a range of days "
            "(2026-03-01..2026-03-20)."
        ).format(text=whole)
    )


def single_wave(meta: Mapping | None) -> Wave | None:
    """The one wave of a dataset whose answers carry no dates of their own; None when time can be analysed."""
    meta = meta or {}
    waves = meta.get("waves") or []
    if meta.get("dated", True) or len(waves) != 1:
        return None
    return Wave.from_dict(waves[0])


def no_trend_message(wave: Wave) -> str:
    """What a page that needs time says about a one-wave dataset."""
    return _(
        "This dataset is one survey wave ({label}, {start} – {end}) without dates per answer: there is no "
        "trend or before/after to show. Append another wave on the Data page to compare waves."
    ).format(label=wave.label, start=formatting.date(wave.start), end=formatting.date(wave.end))
