"""The one formatter, against hand-written expectations: thousands, signs, missing values, scores, money, dates,
and the one parser of numbers as users type them."""

import datetime
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.core import formatting as f
from workbench.core import i18n

NB = "\u00a0"  # the no-break space between thousands


def test_numbers_group_thousands_with_a_no_break_space_and_use_a_real_minus():
    assert f.number(1542628.4) == f"1{NB}542{NB}628"
    assert f.number(1542628.46, 1) == f"1{NB}542{NB}628.5"
    assert f.number(-1234) == f"−1{NB}234"
    assert f.number(999) == "999"
    assert f.number(12.5, signed=True) == "+12" and f.number(-3.0, signed=True) == "−3"
    assert f.number(None) == "–" and f.number(math.nan) == "–"
    assert f.count(4210) == f"4{NB}210" and f.count(0) == "0"


def test_percentages_keep_their_sign_away_from_the_number():
    assert f.percent(42.0) == f"42{NB}%"
    assert f.percent(4.25, 1) == f"4.2{NB}%"  # round half to even, as Python formats
    assert f.percent(None) == "–"


def test_a_score_is_shown_in_its_metrics_decimals_nps_signed():
    assert f.value(4.214, "csat") == "4.21"
    assert f.value(32.4, "nps") == "+32" and f.value(-8.95, "nps") == "−9"
    assert f.value(5.5, "ces") == "5.50" and f.value(78.4, "index") == "78"
    assert f.value(0.1, "csat", signed=True) == "+0.10"
    assert f.value(math.nan, "csat") == "–"
    assert f.score(4.214, 0.0449, "csat") == "4.21 ± 0.04"
    assert f.score(-8.95, 4.39, "nps") == "−9 ± 4"
    assert f.score(4.2, math.nan, "csat") == "4.20"


def test_a_lopsided_interval_is_shown_as_its_bounds_and_a_symmetric_one_as_a_margin():
    # All 30 answers promoters: Tango's interval is +77.3 to +100 (tests/test_intervals.py), not "+100 ± 11".
    assert f.score(100.0, 11.35, "nps", 77.297, 100.0) == "+100 (+77…+100)"
    assert f.score(90.0, 9.0, "nps", 78.2, 96.1) == "+90 (+78…+96)"
    # The published n = 1162 case: −13.32 to −4.55 rounds to 4 either side, so it stays a margin.
    assert f.score(-8.95, 4.385, "nps", -13.32, -4.55) == "−9 ± 4"
    assert f.score(4.214, 0.0449, "csat", 4.1691, 4.2589) == "4.21 ± 0.04"
    assert f.score(math.nan, math.nan, "nps", math.nan, math.nan) == "–"


def test_p_values_say_below_a_thousandth_and_undefined():
    assert f.p_value(0.0004) == "q < 0.001" and f.p_value(0.0123) == "q = 0.012"
    assert f.p_value(0.5, "p") == "p = 0.500"
    assert f.p_value(math.nan) == "q not defined" and f.p_value(None, "p") == "p not defined"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (950, "950"),
        (45_600, "45.6 k"),
        (-1_234_000, "−1.23 M"),
        (2_100_000_000, "2.10 bn"),
        (999_999, "1.00 M"),
        (0.0, "0"),
        (-0.0, "0"),
        (12.345, "12.3"),
        (math.inf, "∞"),
        (-math.inf, "−∞"),
        (None, "–"),
        (math.nan, "–"),
    ],
)
def test_money_has_three_significant_digits_and_a_unit(amount, shown):
    assert f.money(amount) == shown


def test_sizes_and_months():
    assert f.size(19 * 1024) == "19 kB" and f.size(10) == "1 kB"
    assert f.size(int(1.5 * f.MB)) == "1.5 MB" and f.size(64 * f.MB) == "64 MB"
    assert f.month(datetime.date(2026, 3, 15)) == "March 2026"


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("0.25", 0.25),
        ("0,25", 0.25),
        ("4,5", 4.5),
        ("−3", -3.0),
        ("-3", -3.0),
        (" 12 ", 12.0),
        ("1 234,5", 1234.5),
        (f"1{NB}234,5", 1234.5),
        ("1\u202f234.5", 1234.5),  # grouped with spaces
        ("1,234.5", 1234.5),
        ("1.234,5", 1234.5),  # both marks: the later one is the decimal mark
        ("1e3", 1000.0),
        (7, 7.0),
        (2.5, 2.5),
    ],
)
def test_decimal_reads_a_number_as_users_type_it(typed, number):
    assert f.decimal(typed) == number


@pytest.mark.parametrize("typed", ["", "lots", "1,2,3", "4.5 kg"])
def test_decimal_refuses_what_is_no_number(typed):
    with pytest.raises(ValueError):
        f.decimal(typed)


# ------------------------------------------------------------------ per language (Babel's locale data)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", ["1 542 628", "−3.46", "42.5 %", "4.21", "+32", "45.6 k", "2026-08-01", "March 2026", "q = 0.012"]),
        ("cs", ["1 542 628", "−3,46", "42,5 %", "4,21", "+32", "45,6 tis.", "1. 8. 2026", "březen 2026", "q = 0,012"]),
        ("pl", ["1 542 628", "−3,46", "42,5%", "4,21", "+32", "45,6 tys.", "1.08.2026", "marzec 2026", "q = 0,012"]),
    ],
)
def test_numbers_dates_and_months_in_each_language(code, expected):
    with i18n.language(code):
        shown = [
            f.number(1542628.4),
            f.number(-3.456, 2),
            f.percent(42.5, 1),
            f.value(4.213, "csat"),
            f.value(32, "nps"),
            f.money(45_600),
            f.date(datetime.date(2026, 8, 1)),
            f.month(datetime.date(2026, 3, 15)),
            f.p_value(0.0123),
        ]
    assert [text.replace(NBSP, " ") for text in shown] == expected


def test_thousands_are_no_break_spaces_and_the_locale_argument_wins():
    with i18n.language("cs"):
        assert f.number(4210) == f"4{NBSP}210" and f.number(4210.5, 1, locale="en") == f"4{NBSP}210.5"
    assert f.number(4210.5, 1, locale="pl") == f"4{NBSP}210,5"
    assert f.score(4.213, 0.041, "csat", 4.17, 4.25) == "4.21 ± 0.04"
    with i18n.language("pl"):
        assert f.score(4.213, 0.041, "csat", 4.17, 4.25) == "4,21 ± 0,04"
        assert f.score(90, 12, "nps", 77, 100) == "+90 (+77…+100)"


@pytest.mark.parametrize(
    ("code", "amounts"),
    [
        ("en", {"EUR": "EUR 45.6 k", "CZK": "CZK −1.23 M", "PLN": "PLN 950"}),
        ("cs", {"EUR": "45,6 tis. €", "CZK": "−1,23 mil. Kč", "PLN": "950 PLN"}),
        ("pl", {"EUR": "45,6 tys. €", "CZK": "−1,23 mln CZK", "PLN": "950 zł"}),
    ],
)
def test_amounts_carry_their_currency_where_the_language_writes_it(code, amounts):
    values = {"EUR": 45_600, "CZK": -1_234_000, "PLN": 950}
    with i18n.language(code):
        shown = {currency: f.money(values[currency], currency).replace(NBSP, " ") for currency in amounts}
        assert shown == amounts
        assert f.default_currency() == {"en": "EUR", "cs": "CZK", "pl": "PLN"}[code]


def test_month_names_on_chart_axes_and_plotly_separators():
    day = datetime.date(2026, 3, 1)
    assert [f.month_short(day, code) for code in ("en", "cs", "pl")] == ["Mar 2026", "bře 2026", "mar 2026"]
    assert [f.plotly_separators(code) for code in ("en", "cs", "pl")] == [f".{NBSP}", f",{NBSP}", f",{NBSP}"]
    assert f.month(datetime.date(2026, 8, 1), "pl") == "sierpień 2026" and f.month(day, "cs") == "březen 2026"


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.sampled_from(["en", "cs", "pl"]))
def test_a_number_shown_in_any_language_reads_back(value, code):
    shown = f.number(value, 2, locale=code)
    assert f.decimal(shown) == pytest.approx(round(value, 2), abs=0.006)


@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.sampled_from(["en", "cs", "pl"]),
)
def test_a_value_put_in_a_form_field_reads_back_exactly(value, code):
    shown = f.editable(value, code)
    assert f.decimal(shown) == value and NBSP not in shown


def test_form_fields_hold_the_languages_decimal_mark_and_no_grouping():
    assert [f.editable(x, "cs") for x in (0.4, 180_000, -3.25, 1e-05, None)] == [
        "0,4",
        "180000",
        "−3,25",
        "0,00001",
        "",
    ]
    assert f.editable(0.4, "en") == "0.4" and f.editable(8.0, "pl") == "8"


def test_a_number_with_only_the_decimals_it_has():
    assert [f.decimals(x) for x in (12.5, 8.0, 0.125, 1.5e6, 1e-05)] == [1, 0, 3, 0, 0]
    assert [f.shortest(x, locale="cs") for x in (12.5, 8.0, -0.125, None)] == ["12,5", "8", "−0,125", "–"]
    assert f.shortest(3, signed=True, locale="pl") == "+3" and f.shortest(1.5e6, locale="en") == f"1{NBSP}500{NBSP}000"
    assert f.shortest(12.345, 3, locale="en") == "12.3" and f.shortest(4.25, 12, locale="cs") == "4,25"
