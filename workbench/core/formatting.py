"""The one place numbers, amounts, p-values and dates become text, for screens, slides, tables and messages.

Thousands are separated by a no-break space (``4 210``: it reads in English, Czech and Polish and never wraps), minus
signs are the typographic ``−``, and a missing value is ``–``. Every function is pure, so a locale parameter can be
added in one place when the Czech and Polish formats arrive.
"""

from __future__ import annotations

import datetime
import math

from workbench.core.i18n import gettext as _
from workbench.core.metrics import DECIMALS

THOUSANDS = "\u00a0"  # no-break space
MINUS = "−"
NONE = "–"
MB = 1024 * 1024
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, digits: int = 0, signed: bool = False) -> str:
    """``1542628.4`` as ``1 542 628`` (``digits`` decimals, ``+`` on positives if ``signed``); '–' for none."""
    if _missing(value):
        return NONE
    text = f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"
    return text.replace(",", THOUSANDS).replace("-", MINUS)


def count(n: int) -> str:
    """4210 as '4 210'."""
    return number(n)


def percent(value: float | None, digits: int = 0) -> str:
    """A value already in percent, as '42 %'; '–' for none."""
    return NONE if _missing(value) else f"{number(value, digits)}{THOUSANDS}%"


def value(score: float | None, metric: str, signed: bool = False) -> str:
    """A score as shown to a client: CSAT 4.21, NPS +32, index 78; '–' when there is none."""
    if _missing(score):
        return NONE
    digits = DECIMALS[metric]
    text = f"{score:+.{digits}f}" if signed or metric == "nps" else f"{score:.{digits}f}"
    return text.replace("-", MINUS)


def score(
    estimate: float | None, margin: float | None, metric: str, low: float | None = None, high: float | None = None
) -> str:
    """A score with its margin of error, '4.21 ± 0.04', or with its interval, '+90 (+77…+100)', where the interval
    (``low``, ``high``) is lopsided at the shown precision (an NPS near ±100); the margin left out where undefined."""
    text = value(estimate, metric)
    if not (_missing(low) or _missing(high) or _missing(estimate)):
        below, above = (round(x, DECIMALS[metric]) for x in (estimate - low, high - estimate))  # type: ignore[operator]
        if below != above:
            return f"{text} ({value(low, metric)}…{value(high, metric)})"
    if _missing(margin):
        return text
    return text + " ± " + value(margin, metric).lstrip("+")


def p_value(p: float | None, symbol: str = "q") -> str:
    """'q < 0.001' or 'q = 0.012' (a BH-adjusted p-value by default; ``symbol="p"`` for a plain one)."""
    if p is None or math.isnan(p):
        return _("{symbol} not defined").format(symbol=symbol)
    return f"{symbol} < 0.001" if p < 0.001 else f"{symbol} = {p:.3f}"


def money(amount: float | None) -> str:
    """An amount as a slide shows it: 950, 45.6 k, −1.23 M, 2.1 bn (three significant digits); '–' for none."""
    if amount is None or math.isnan(amount):
        return NONE
    if amount == 0:
        return "0"  # not "−0" for a negative zero
    if math.isinf(amount):
        return "∞" if amount > 0 else "−∞"
    size_ = float(f"{abs(amount):.3g}")  # 999 999 rounds to 1.00 M, not 1000 k
    limit, suffix = next(
        ((at, unit) for at, unit in ((1e9, " bn"), (1e6, " M"), (1e3, " k")) if size_ >= at), (1.0, "")
    )
    scaled = math.copysign(size_, amount) / limit
    digits = max(0, 2 - math.floor(math.log10(abs(scaled)))) if scaled else 0
    return f"{scaled:.{digits}f}{suffix}".replace("-", MINUS)


def size(n_bytes: int) -> str:
    """Bytes for a message: ``64 MB``, ``1.5 MB``, ``19 kB``."""
    if n_bytes < MB:
        return f"{max(1, round(n_bytes / 1024))} kB"
    megabytes = n_bytes / MB
    return f"{number(megabytes)} MB" if megabytes >= 10 else f"{megabytes:.2g} MB"


def month(day: datetime.date) -> str:
    """'March 2026'."""
    return f"{_(_MONTHS[day.month - 1])} {day.year}"


def decimal(text: str | float) -> float:
    """A number typed the way the user writes it: '1 234,5', '1,234.5', '−3' or '0.25'; ValueError if it is none."""
    cleaned = "".join(str(text).split()).replace("\u00a0", "").replace("\u202f", "").replace(MINUS, "-")
    if "," in cleaned and "." in cleaned:  # the later mark is the decimal one
        cleaned = (
            cleaned.replace(",", "")
            if cleaned.rfind(".") > cleaned.rfind(",")
            else cleaned.replace(".", "").replace(",", ".")
        )
    else:
        cleaned = cleaned.replace(",", ".")
    return float(cleaned)
