"""The heatmap's charts in the reader's language: Czech number marks and month names on a trend's time axis."""

from __future__ import annotations

import datetime

import pandas as pd

from workbench.core import formatting, i18n
from workbench.export import figures
from workbench.features.heatmap import Distribution, Trend, TrendLine

MONTHS = [datetime.date(2026, month, 1) for month in range(1, 7)]


def trend() -> Trend:
    series = pd.DataFrame(
        {
            "period": pd.to_datetime(MONTHS),
            "value": [4.21, 4.18, 4.3, 4.05, 4.12, 4.25],
            "low": [4.1] * 6,
            "high": [4.4] * 6,
            "n": [1230, 1190, 25, 1310, 1280, 1302],
            "low_n": [False, False, True, False, False, False],
        }
    )
    return Trend("csat", [TrendLine("CSAT", "13,110,253", series)], 4.0, (MONTHS[3], MONTHS[5]))


def test_a_czech_trend_has_czech_separators_and_month_names_on_its_time_axis():
    with i18n.language("cs"):
        figure = figures.trend(trend())
        months = [formatting.month_short(day) for day in MONTHS]
    assert figure.layout.separators == ",\u00a0"
    assert list(figure.layout.xaxis.ticktext) == months
    assert months[0].startswith("led") and months[2].startswith("bře")  # leden, březen
    line = figure.data[-1]
    assert "%{x|" not in line.hovertemplate  # plotly's own date format is always English
    assert (
        line.customdata[0][0] == months[0] and line.customdata[0][1] == "4,21" and line.customdata[0][2] == "1\u00a0230"
    )


def test_english_stays_the_house_style_and_every_figure_follows_the_language():
    figure = figures.trend(trend())
    assert figure.layout.separators == ".\u00a0" and figure.layout.xaxis.ticktext[0] == "Jan 2026"
    with i18n.language("pl"):
        assert figures.distribution(Distribution("csat", [1, 2], [3, 1500], ["#fff", "#000"])).layout.separators == (
            ",\u00a0"
        )
        assert figures.empty("x").layout.separators == ",\u00a0"
