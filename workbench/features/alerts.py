"""The Alerts screen's features: what the inbox does when new answers arrive."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.core.events import DatasetCommitted

if TYPE_CHECKING:
    from workbench.repos.workspace import Workspace


def raise_alerts(workspace: Workspace, event: DatasetCommitted) -> None:
    """Run the alert rules of every journey whose survey the newly committed dataset version now is."""
    if event.kind != "survey":
        return
    for journey in workspace.journeys(event.project_id):
        survey = workspace.datasets.survey_for(event.project_id, journey.id)
        if survey is not None and survey.id == event.dataset_id:
            workspace.alerts.evaluate(journey.id)  # rules it cannot run are named on "Check now"
