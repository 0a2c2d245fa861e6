"""Journey templates: the YAML files shipped in ``workbench/resources/journeys/``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from workbench.core import journeyfile, resources
from workbench.core.journey import Journey


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    description: str
    touchpoints: int
    stages: int


def templates_folder() -> Path:
    """Where templates live: ``CXWB_TEMPLATES`` if set, else the package's ``resources/journeys/``."""
    return Path(os.environ.get("CXWB_TEMPLATES") or resources.shipped("journeys"))


def list_templates(folder: Path | None = None) -> list[Template]:
    """All templates in the folder, by name."""
    found = []
    for path in sorted((folder or templates_folder()).glob("*.yaml")):
        journey = journeyfile.load(path)
        found.append(
            Template(path.stem, journey.name, journey.description, len(journey.touchpoints), len(journey.stages))
        )
    return sorted(found, key=lambda t: t.name)


def load_template(key: str, folder: Path | None = None) -> Journey:
    """The journey of one template, by its file name without ``.yaml``."""
    path = (folder or templates_folder()) / f"{key}.yaml"
    if path.name != f"{key}.yaml" or not path.is_file():
        raise FileNotFoundError(f"No journey template '{key}'.")
    return journeyfile.load(path)
