"""The one place numbers, amounts, p-values and dates become text, for screens, slides, tables and messages.

Every function writes in the current language (``i18n.current()``, or ``locale`` when given) with Babel's locale
data: Czech and Polish get the decimal comma and month names, ``1. 8. 2026`` / ``1.08.2026`` dates and ``Kč``/``zł``
after the amount. Rounding is Python's own in every language, so a Czech and an English deck show the same figures.
English keeps the house style: a no-break space between thousands (``4 210``: it reads in every language and never
wraps), ISO dates. Minus signs are the typographic ``−``; a missing value is ``–``.
"""

from __future__ import annotations

import datetime
import math
from functools import lru_cache

from workbench.core import i18n
from workbench.core.i18n import gettext as _
from workbench.core.metrics import DECIMALS

THOUSANDS = "\u00a0"  # no-break space
MINUS = "−"
NONE = "–"
MB = 1024 * 1024
ENGLISH_SCALES = (" k", " M", " bn")  # the house style's thousands, millions, billions
# A currency a project's money is in, by the language its reader most likely works in (the ROI page can change it).
CURRENCIES = {"en": "EUR", "cs": "CZK", "pl": "PLN"}


@lru_cache(maxsize=8)
def _symbols(locale: str) -> tuple[str, str, str, tuple[str, str, str]]:
    """Decimal mark, thousands separator, percent spacing and compact scale words of a language."""
    if locale == "en":
        return ".", THOUSANDS, THOUSANDS, ENGLISH_SCALES
    from babel import Locale, numbers

    group = numbers.get_group_symbol(locale).replace("\u202f", THOUSANDS).replace(" ", THOUSANDS)
    percent_pattern = Locale.parse(locale).percent_formats[None].pattern
    spacing = THOUSANDS if "\u00a0%" in percent_pattern or " %" in percent_pattern else ""
    scales = tuple(
        THOUSANDS + numbers.format_compact_decimal(10**power, locale=locale).lstrip("1").strip().replace(" ", THOUSANDS)
        for power in (3, 6, 9)
    )
    return numbers.get_decimal_symbol(locale), group, spacing, scales  # type: ignore[return-value]


def _locale(locale: str | None) -> str:
    return i18n.supported(locale) or i18n.current()


def _local(text: str, locale: str | None) -> str:
    """Python's ``1,234.5`` in the language's marks, with the typographic minus."""
    decimal_mark, group, _spacing, _scales = _symbols(_locale(locale))
    return text.replace(",", "\0").replace(".", decimal_mark).replace("\0", group).replace("-", MINUS)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, digits: int = 0, signed: bool = False, locale: str | None = None) -> str:
    """``1542628.4`` as ``1 542 628`` (``digits`` decimals, ``+`` on positives if ``signed``); '–' for none."""
    if _missing(value):
        return NONE
    return _local(f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}", locale)


def decimals(value: float, significant: int = 6) -> int:
    """The decimals ``value`` has at ``significant`` significant digits without trailing zeros (Python's ``:g``):
    12.5 has one, 8.0 none; a value ``:g`` would write with an exponent has none (it is written out whole)."""
    text = f"{value:.{significant}g}"
    return 0 if "e" in text else len(text.partition(".")[2])


def shortest(value: float | None, significant: int = 6, signed: bool = False, locale: str | None = None) -> str:
    """A number with only the decimals it has, at most ``significant`` significant digits, in the language's marks:
    a typed 12.5 as '12,5' in Czech, 8.0 as '8'; '–' for none."""
    if value is None or math.isnan(value):
        return NONE
    return number(value, decimals(value, significant), signed, locale)


def count(n: int | None, locale: str | None = None) -> str:
    """4210 as '4 210'; '–' for none."""
    return number(n, locale=locale)


def percent(value: float | None, digits: int = 0, locale: str | None = None) -> str:
    """A value already in percent, as '42 %' (Polish '42%'); '–' for none."""
    if _missing(value):
        return NONE
    return f"{number(value, digits, locale=locale)}{_symbols(_locale(locale))[2]}%"


def value(score: float | None, metric: str, signed: bool = False, locale: str | None = None) -> str:
    """A score as shown to a client: CSAT 4.21 (Czech 4,21), NPS +32, index 78; '–' when there is none."""
    if _missing(score):
        return NONE
    digits = DECIMALS[metric]
    return _local(f"{score:+.{digits}f}" if signed or metric == "nps" else f"{score:.{digits}f}", locale)


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
    return f"{symbol} < {_local('0.001', None)}" if p < 0.001 else f"{symbol} = {_local(f'{p:.3f}', None)}"


def money(amount: float | None, currency: str | None = None, locale: str | None = None) -> str:
    """An amount as a slide shows it: 950, 45.6 k, −1.23 M, 2.1 bn (three significant digits; Czech '45,6 tis.'),
    with ``currency``'s symbol where the language puts it ('45,6 tis. Kč', 'EUR 45.6 k'); '–' for none."""
    if amount is None or math.isnan(amount):
        return NONE
    if amount == 0:
        text = "0"  # not "−0" for a negative zero
    elif math.isinf(amount):
        text = "∞" if amount > 0 else "−∞"
    else:
        size_ = float(f"{abs(amount):.3g}")  # 999 999 rounds to 1.00 M, not 1000 k
        scales = _symbols(_locale(locale))[3]
        limit, suffix = next(((at, unit) for at, unit in zip((1e9, 1e6, 1e3), scales[::-1]) if size_ >= at), (1.0, ""))
        scaled = math.copysign(size_, amount) / limit
        digits = max(0, 2 - math.floor(math.log10(abs(scaled)))) if scaled else 0
        text = _local(f"{scaled:.{digits}f}", locale) + suffix
    return text if not currency else with_currency(text, currency, locale)


def with_currency(text: str, currency: str, locale: str | None = None) -> str:
    """An amount's text with its currency where the language writes it: 'EUR 950' in English, '950 Kč' in Czech."""
    code = _locale(locale)
    from babel import Locale, numbers

    symbol = numbers.get_currency_symbol(currency, locale=code) if code != "en" else currency
    before = Locale.parse(code).currency_formats["standard"].pattern.lstrip().startswith("¤")
    return f"{symbol}{THOUSANDS}{text}" if before else f"{text}{THOUSANDS}{symbol}"


def default_currency(locale: str | None = None) -> str:
    """The currency a reader of this language most likely counts in (CZK, PLN; EUR otherwise)."""
    return CURRENCIES[_locale(locale)]


def size(n_bytes: int) -> str:
    """Bytes for a message: ``64 MB``, ``1.5 MB`` (Czech ``1,5 MB``), ``19 kB``."""
    if n_bytes < MB:
        return f"{count(max(1, round(n_bytes / 1024)))} kB"
    megabytes = n_bytes / MB
    return f"{number(megabytes) if megabytes >= 10 else _local(f'{megabytes:.2g}', None)} MB"


def date(day: datetime.date | None, locale: str | None = None) -> str:
    """A day: '2026-08-01' in English, '1. 8. 2026' in Czech, '1.08.2026' in Polish; '–' for none."""
    if day is None:
        return NONE
    code = _locale(locale)
    if code == "en":
        return day.isoformat()[:10] if isinstance(day, datetime.datetime) else day.isoformat()
    from babel import dates

    return dates.format_date(day, "medium" if code == "cs" else "short", locale=code)


def moment(at: datetime.datetime | None, locale: str | None = None) -> str:
    """A day and time to the minute: '2026-08-01 14:05', '1. 8. 2026 14:05'; '–' for none."""
    if at is None:
        return NONE
    return f"{date(at, locale)} {at:%H:%M}"


def month(day: datetime.date, locale: str | None = None) -> str:
    """'March 2026', 'březen 2026', 'marzec 2026'."""
    from babel import dates

    return dates.format_skeleton("yMMMM", day, locale=_locale(locale))


def month_short(day: datetime.date, locale: str | None = None) -> str:
    """A month on a chart's axis: 'Mar 2026', 'bře 2026', 'mar 2026'."""
    from babel import dates

    return dates.format_date(day, "LLL y", locale=_locale(locale))


def load_languages() -> None:
    """Read every product language's number and calendar data now: babel reads a language's data on its first
    use (~0.1 s), which would otherwise fall on a user's first click."""
    for code in i18n.LANGUAGES:
        number(1234.5, 1, locale=code)
        date(datetime.date(2000, 1, 31), code)
        month(datetime.date(2000, 1, 31), code)
        month_short(datetime.date(2000, 1, 31), code)


def plotly_separators(locale: str | None = None) -> str:
    """A plotly figure's ``separators`` (decimal mark, then thousands) for the language."""
    decimal_mark, group, _spacing, _scales = _symbols(_locale(locale))
    return decimal_mark + group


def editable(value: float | None, locale: str | None = None) -> str:
    """A number as a form field holds it for editing: every digit it has, no thousands separator, the language's
    decimal mark (Czech '0,4', English '0.4'); '' for none. :func:`decimal` reads it back exactly."""
    if value is None or math.isnan(value):
        return ""
    import decimal as exact

    text = repr(float(value))  # the shortest text that is this float
    if "e" in text:  # 1e-05: a person types 0.00001
        text = format(exact.Decimal(text), "f")
    text = text.removesuffix(".0")
    return text.replace(".", _symbols(_locale(locale))[0]).replace("-", MINUS)


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
