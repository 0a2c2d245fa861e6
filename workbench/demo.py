"""Demo content so a new workspace shows something real at once: a journey with survey and KPI data."""

from __future__ import annotations

from workbench.templates import load_template
from workbench.workspace import Workspace

DEMO_PROJECT = "Demo: Parcel Express"
DEMO_TEMPLATE = "ecommerce-delivery"
DEMO_DATASETS = {"survey": "Survey answers", "kpi_period": "KPIs per branch and month",
                 "kpi_customer": "KPIs per customer"}


def seed_demo(workspace: Workspace, answers: int = 200_000) -> int:
    """Create the demo project with the e-commerce journey and generated data (once); return its id."""
    from workbench import demodata

    for project in workspace.projects():
        if project.name == DEMO_PROJECT:
            return project.id
    project_id = workspace.create_project(DEMO_PROJECT, "An online retailer with own couriers and external carriers.")
    journey = load_template(DEMO_TEMPLATE)
    journey_id = workspace.create_journey(project_id, journey)
    data = demodata.generate(journey, answers=answers)
    workspace.datasets.add_table(project_id, data.survey, DEMO_DATASETS["survey"], "survey", journey_id=journey_id)
    workspace.datasets.add_table(project_id, data.kpi_period, DEMO_DATASETS["kpi_period"], "kpi_period")
    workspace.datasets.add_table(project_id, data.kpi_customer, DEMO_DATASETS["kpi_customer"], "kpi_customer")
    return project_id
