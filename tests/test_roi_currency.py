"""The ROI page's amounts carry a currency: the reader's by default (CZK in Czech, PLN in Polish, EUR in English),
or the one chosen and stored with the scenario; a scenario stored before scenarios had a currency still opens."""

from __future__ import annotations

from workbench.analysis import roi as analysis
from workbench.core import i18n
from workbench.core.scenario import Assumptions, Scenario
from workbench.data.store import ScenarioRow
from workbench.features import roi

NBSP = "\u00a0"


def evidence() -> analysis.Evidence:
    link = analysis.Link("revenue", "nps", 0.004, 0.0005, 0.003, 0.005, 0.001, 1200, 50, 0.4, True, 0, 0.95, True, "")
    return analysis.Evidence(link, None, "", 1_000_000.0, 50.0, "Survey · v1", "KPIs · v1")


def form(currency: str | None) -> Scenario:
    return roi.scenario_from_form(
        evidence(),
        name="Faster checkout",
        journey_id=1,
        kpi_dataset="KPIs",
        kpi="revenue",
        segment="branch",
        lag=0,
        driver_metric="csat",
        changes={},
        overall=2.0,
        base=None,
        value=0.3,
        cost=100_000,
        months=24,
        discount_percent=8,
        defaults=Assumptions(),
        currency=currency,
    )


def test_amounts_in_czech_read_in_korunas_with_the_default_currency():
    with i18n.language("cs"):
        scenario = form(None)
        assert scenario.currency == "CZK"
        assert roi.money(45_600, scenario) == f"45,6{NBSP}tis.{NBSP}Kč"
        assert roi.money(-1_234_567, scenario) == f"−1,23{NBSP}mil.{NBSP}Kč"
    with i18n.language("pl"):
        assert form("").currency == "PLN" and roi.money(45_600, form(None)) == f"45,6{NBSP}tys.{NBSP}zł"
    with i18n.language("en"):
        assert form(None).currency == "EUR" and roi.money(45_600, form(None)).startswith(f"EUR{NBSP}45.6")


def test_a_chosen_or_typed_currency_is_kept_and_shown_in_the_reader_s_language():
    with i18n.language("cs"):
        assert form("eur").currency == "EUR" and roi.money(45_600, form("EUR")) == f"45,6{NBSP}tis.{NBSP}€"
        assert form("USD").currency == "USD"
        assert form("not a code").currency == "CZK"  # anything else is the reader's default
    assert Scenario.from_dict(form("PLN").to_dict()).currency == "PLN"


def test_the_comparison_names_each_scenario_s_currency():
    link = evidence().link
    items = [(form(code), analysis.evaluate(form(code).assumptions, link, draws=200)) for code in ("CZK", "EUR")]
    items[1] = (Scenario.from_dict({**items[1][0].to_dict(), "name": "Other"}), items[1][1])
    table = roi.compare(items)
    assert table.loc["Currency"].tolist() == ["CZK", "EUR"]


def test_an_old_stored_scenario_without_a_currency_still_opens(workspace):
    project = workspace.create_project("Client")
    saved = workspace.scenarios.save(project, Scenario("Old", 1, "KPIs", "revenue", currency="PLN"), "Eva")
    body = {key: value for key, value in saved.scenario.to_dict().items() if key != "currency"}
    with workspace.scenarios.sessions.begin() as session:  # as a version before currencies stored it
        session.get(ScenarioRow, saved.id).body = body
    with i18n.language("en"):
        opened = workspace.scenarios.get(saved.id).scenario
    assert opened.name == "Old" and opened.kpi == "revenue" and opened.currency == "EUR"
    with i18n.language("cs"):
        assert workspace.scenarios.get(saved.id).scenario.currency == "CZK"
        assert roi.money(45_600, workspace.scenarios.get(saved.id).scenario) == f"45,6{NBSP}tis.{NBSP}Kč"


def test_the_roi_page_shows_the_npv_in_the_scenario_s_currency(workspace):
    from cxweb.app import create_app

    create_app(workspace)
    from cxweb.pages import roi as page  # registers itself with the app: imported once the app exists

    link = evidence().link
    with i18n.language("cs"):
        scenario = form(None)
        outcome = analysis.evaluate(scenario.assumptions, link, draws=200)
        cards = str(page._figures(outcome, scenario))
    assert "Kč" in cards


def test_the_roi_charts_write_amounts_as_the_formatter_does_with_their_currency():
    from workbench.export import figures

    with i18n.language("cs"):
        axis = figures.money_axis([-2_000_000, 48_000_000, 51_000_000], "CZK")
        assert axis["title"] == "CZK" and f"40,0{NBSP}mil." in axis["ticktext"] and "0" in axis["ticktext"]
        assert all("M" not in text for text in axis["ticktext"])  # never plotly's English SI suffix
        assert axis["tickvals"][0] <= -2_000_000 and axis["tickvals"][-1] >= 51_000_000
    with i18n.language("pl"):
        assert f"40,0{NBSP}mln" in figures.money_axis([0, 51_000_000])["ticktext"]
