"""Demo content so a new workspace shows something real at once."""

from __future__ import annotations

from workbench.templates import load_template
from workbench.workspace import Workspace

DEMO_PROJECT = "Demo: Parcel Express"
DEMO_TEMPLATE = "ecommerce-delivery"


def seed_demo(workspace: Workspace) -> int:
    """Create the demo project with the e-commerce delivery journey (once); return its id."""
    for project in workspace.projects():
        if project.name == DEMO_PROJECT:
            return project.id
    project_id = workspace.create_project(DEMO_PROJECT, "An online retailer with own couriers and external carriers.")
    workspace.create_journey(project_id, load_template(DEMO_TEMPLATE))
    return project_id
