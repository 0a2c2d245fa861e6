"""The words third-party components write themselves (a dropdown's search box, a date picker's calendar), in the
reader's language."""

from __future__ import annotations

import json
from functools import lru_cache

import dash_bootstrap_components as dbc

from workbench.core import formatting, i18n
from workbench.core.i18n import gettext as _

# The date pickers' input (Dash's moment-style tokens) as each language writes a day, and the calendar's month
# header.
DATE_INPUT = {"en": "D MMM YYYY", "cs": "D. M. YYYY", "pl": "D.MM.YYYY"}
MONTH_HEADER = {"en": "MMMM YYYY", "cs": "MMMM YYYY", "pl": "MMMM YYYY"}
DATE_FNS_SCRIPT = "/locale/date-fns.js"

# A date-fns locale built from Babel's names: Dash's date picker formats its calendar with the first locale in
# window.dateFns.locale when none matches the browser's languages, so the page's language wins.
_DATE_FNS = """(function () {
  var data = %s;
  function pick(table, options, index) {
    var context = table[(options && options.context) || "formatting"] || table.formatting;
    return (context[(options && options.width) || "wide"] || context.wide)[index];
  }
  var none = function () { return null; };
  window.dateFns = window.dateFns || {};
  window.dateFns.locale = {};
  window.dateFns.locale[data.code] = {
    code: data.code,
    localize: {
      ordinalNumber: function (n) { return String(n) + "."; },
      era: function (i, o) { return pick(data.eras, o, i); },
      quarter: function (q) { return String(q); },
      month: function (i, o) { return pick(data.months, o, i); },
      day: function (i, o) { return pick(data.days, o, i); },
      dayPeriod: function (p) { return p; }
    },
    formatLong: {
      date: function () { return data.date; },
      time: function () { return "HH:mm"; },
      dateTime: function () { return "{{date}} {{time}}"; }
    },
    match: { ordinalNumber: none, era: none, quarter: none, month: none, day: none, dayPeriod: none },
    options: { weekStartsOn: 1, firstWeekContainsDate: 4 }
  };
})();
"""


def decimal_input(id_, value: float | None = None, **extra) -> dbc.Input:
    """A number field in the reader's convention ('0,4' in Czech): a text field, because a browser's
    ``<input type=number>`` may show '0.4' on a Czech page and read a typed '1,5' as 15. Read it with
    :func:`read_decimal`."""
    return dbc.Input(id=id_, type="text", value=formatting.editable(value), autoComplete="off", **extra)


def read_decimal(text: object) -> float | None:
    """What a person typed into a :func:`decimal_input` ('1,5', '1.5', '1 234,5', '−3'): None when empty;
    ValueError naming the text when it is not a number."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    try:
        return formatting.decimal(str(text))
    except ValueError:
        raise ValueError(_("“{text}” is not a number.").format(text=text)) from None


def decimal_or_none(text: object) -> float | None:
    """A typed number for a field that falls back to its default: None when empty or not a number."""
    try:
        return read_decimal(text)
    except ValueError:
        return None


def dropdown_labels() -> dict[str, str]:
    """``dcc.Dropdown(labels=…)``: the texts Dash's dropdown shows on its own."""
    return {
        "select_all": _("Select all"),
        "deselect_all": _("Deselect all"),
        "selected_count": _("{num_selected} selected"),
        "search": _("Search"),
        "clear_search": _("Clear search"),
        "clear_selection": _("Clear selection"),
        "no_options_found": _("No options found"),
    }


def date_picker() -> dict[str, object]:
    """Keyword arguments of a ``dcc.DatePickerRange`` for the reader's language."""
    code = i18n.current()
    return {
        "display_format": DATE_INPUT[code],
        "month_format": MONTH_HEADER[code],
        "first_day_of_week": 1,
        "start_date_placeholder_text": _("From"),
        "end_date_placeholder_text": _("To"),
    }


@lru_cache(maxsize=len(i18n.LANGUAGES))
def date_fns_script(code: str) -> str:
    """The script that gives Dash's date picker the month and day names of ``code`` (nothing for English, its own)."""
    if code == i18n.DEFAULT:
        return "window.dateFns = window.dateFns || {}; window.dateFns.locale = {};\n"
    from babel import Locale

    locale = Locale.parse(code)

    def names(table, first: int, count: int, shift=lambda i: i) -> dict:
        return {
            context: {
                width: [dict(table[context][width])[shift(i)] for i in range(first, first + count)]
                for width in table[context]
            }
            for context in ("format", "stand-alone")
        }

    months = names(locale.months, 1, 12)
    days = names(locale.days, 0, 7, lambda i: (i - 1) % 7)  # date-fns counts from Sunday, Babel from Monday
    data = {
        "code": code,
        # The picker names a month alone (its header, its month list), never inside a date: 'srpen', not 'srpna'.
        "months": {"formatting": months["stand-alone"], "standalone": months["stand-alone"]},
        "days": {"formatting": days["format"], "standalone": days["stand-alone"]},
        "eras": {"formatting": {width: [dict(names_)[0], dict(names_)[1]] for width, names_ in locale.eras.items()}},
        "date": DATE_INPUT[code].replace("D", "d").replace("YYYY", "yyyy"),
    }
    return _DATE_FNS % json.dumps(data, ensure_ascii=False)
