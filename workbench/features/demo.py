"""Demo content so a new workspace shows something real at once: a journey with survey and KPI data.

The demo is created in the current language (``CXWB_LANG=cs`` gives a Czech project, journey, datasets, cards and
scenarios); its generated data is the same in every language: it is made from the template as written.
"""

from __future__ import annotations

import datetime

from workbench.core import formatting, i18n
from workbench.core.i18n import N_, Labels, ngettext
from workbench.core.i18n import gettext as _
from workbench.data.templates import load_template
from workbench.repos.workspace import Workspace

DEMO_PROJECT = N_("Demo: Parcel Express")  # the English name; the project is named in the language it is made in
DEMO_TEMPLATE = "ecommerce-delivery"
DEMO_DATASETS = Labels(
    {
        "survey": N_("Survey answers"),
        "kpi_period": N_("KPIs per branch and month"),
        "kpi_customer": N_("KPIs per customer"),
        "reviews": N_("Reviews"),
        "audit": N_("Mystery shopping"),
    }
)


def demo_project_names() -> set[str]:
    """The demo project's name in every language: a workspace seeded in Czech still has its demo in English."""
    names = set()
    for code in i18n.LANGUAGES:
        with i18n.language(code):
            names.add(_(DEMO_PROJECT))
    return names


def seed_demo(workspace: Workspace, answers: int = 200_000, months: int = 24, branch_copies: int = 1) -> int:
    """Create the demo project with the e-commerce journey and generated data (once, in the current language);
    return its id. ``answers``, ``months`` and ``branch_copies`` size the data (``demodata.generate``)."""
    from workbench.data import demodata
    from workbench.repos.text import default_codebook

    names = demo_project_names()
    for project in workspace.projects():
        if project.name in names:
            return project.id
    project_id = workspace.create_project(
        _(DEMO_PROJECT), _("An online retailer with own couriers and external carriers.")
    )
    journey = load_template(DEMO_TEMPLATE)
    journey_id = workspace.create_journey(project_id, journey)
    # The data comes from the template as written, so every language's demo has the same answers and effects
    # (the generator reads touchpoint names and channels); the keys are the same in the translated journey.
    # Longer data starts earlier: every size ends in the month the demo's two years end.
    start = demodata.month_start(demodata.DEMO_START, demodata.DEMO_MONTHS - months)
    data = demodata.generate(
        load_template(DEMO_TEMPLATE, translated=False),
        answers=answers,
        months=months,
        start=start,
        branch_copies=branch_copies,
    )
    workspace.datasets.add_table(project_id, data.survey, DEMO_DATASETS["survey"], "survey", journey_id=journey_id)
    workspace.datasets.add_table(project_id, data.kpi_period, DEMO_DATASETS["kpi_period"], "kpi_period")
    workspace.datasets.add_table(project_id, data.kpi_customer, DEMO_DATASETS["kpi_customer"], "kpi_customer")
    reviews, audits = data.sources.reviews, data.sources.audits
    workspace.datasets.add_table(
        project_id, reviews, DEMO_DATASETS["reviews"], "survey", journey_id=journey_id, meta={"source": "reviews"}
    )
    workspace.datasets.add_table(project_id, audits, DEMO_DATASETS["audit"], "audit", journey_id=journey_id)
    _seed_actions(workspace, project_id, journey_id, data.effects)
    _seed_scenarios(workspace, project_id, journey_id)
    workspace.verbatims.save_codebook(project_id, default_codebook(), _("Demo"), expected_version=0)
    from workbench.features import alerts

    alerts.check(workspace, journey_id, who=_("Demo"))
    return project_id


def _seed_actions(workspace: Workspace, project_id: int, journey_id: int, effects) -> None:
    """A few cards, among them the action behind the planted improvement, done and waiting for its check."""

    from workbench.repos.actions import Draft

    journey = workspace.journey(journey_id).journey
    name = {tp.key: tp.name for tp in journey.touchpoints}
    pilot = Draft(
        title=_("Pilot: better {touchpoint}").format(touchpoint=name[effects.improved_touchpoint]),
        touchpoints=(effects.improved_touchpoint,),
        description=_("Rolled out in the pilot regions first; the others follow after the check."),
        cost=180_000,
        expected_change=0.4,
        segment="region",
        treated=tuple(effects.improved_regions),
    )
    who = _("Demo")
    card = workspace.actions.create(project_id, pilot, who, journey_id=journey_id, status="done")
    workspace.actions.update(card.id, card.draft, who, expected_version=card.version, done_on=effects.improved_from)
    today = datetime.date.today()
    for status, draft in (
        (
            "in_progress",
            Draft(
                title=_("Coaching for {touchpoint} in {region}").format(
                    touchpoint=name[effects.break_touchpoint], region=effects.break_region
                ),
                touchpoints=(effects.break_touchpoint,),
                cost=95_000,
                expected_change=0.8,
                due=today - datetime.timedelta(days=10),
                segment="region",
                treated=(effects.break_region,),
            ),
        ),
        (
            "planned",
            Draft(
                title=_("Shorter checkout form"),
                touchpoints=("checkout",),
                cost=60_000,
                expected_change=0.2,
                due=today + datetime.timedelta(days=45),
            ),
        ),
        (
            "backlog",
            Draft(
                title=_("Photos of the parcel at the door"), touchpoints=("own-courier", "carrier-home"), cost=40_000
            ),
        ),
        (
            "backlog",
            Draft(
                title=ngettext("Refund within {n} day", "Refund within {n} days", 3).format(n=formatting.count(3)),
                touchpoints=("refund",),
                cost=25_000,
                expected_change=0.3,
            ),
        ),
    ):
        workspace.actions.create(project_id, draft, who, journey_id=journey_id, status=status)


def _seed_scenarios(workspace: Workspace, project_id: int, journey_id: int) -> None:
    """Two what-ifs to compare: a lift of the two key drivers on revenue, and courier coaching on churn."""
    from workbench.analysis.roi import churn_point_value
    from workbench.core.scenario import Assumptions, Scenario

    kpis = DEMO_DATASETS["kpi_period"]
    customers_per_branch = 20_000
    _clv, churn_point = churn_point_value(600, 0.8, 0.08, customers_per_branch)  # one churn point in one branch
    for scenario in (
        Scenario(
            name=_("Checkout and notifications {change} CSAT").format(change=formatting.number(0.3, 1, signed=True)),
            journey_id=journey_id,
            kpi_dataset=kpis,
            kpi="revenue",
            assumptions=Assumptions(
                changes={"checkout": 0.3, "delivery-notification": 0.3},
                value_per_unit=0.3,
                cost=2_500_000,
                months=24,
                discount=0.08,
            ),
            note=_("Margin {margin} of revenue.").format(margin=formatting.percent(30)),
        ),
        Scenario(
            name=_("Courier coaching, churn"),
            journey_id=journey_id,
            kpi_dataset=kpis,
            kpi="churn_rate",
            log_kpi=False,
            assumptions=Assumptions(
                changes={"own-courier": 0.2},
                value_per_unit=round(churn_point),
                cost=4_000_000,
                months=24,
                discount=0.08,
            ),
            note=_("{customers} customers per branch; CLV from {value} a year, {retention} retention.").format(
                customers=formatting.count(customers_per_branch),
                value=formatting.number(600),
                retention=formatting.percent(80),
            ),
        ),
    ):
        workspace.scenarios.save(project_id, scenario, _("Demo"))
