"""Journey templates: the YAML files shipped in ``workbench/resources/journeys/``, read in the reader's language.

The files are English (the source); their words are in the gettext catalogue (:mod:`workbench.core.catalogue`), so
a template is listed and loaded in the current language with the same keys in every language.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from workbench.core import catalogue, journeyfile, resources
from workbench.core.i18n import gettext as _
from workbench.core.journey import Journey, slugify


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
    """All templates in the folder, by name (in the current language)."""
    found = []
    for path in sorted((folder or templates_folder()).glob("*.yaml")):
        journey = catalogue.translate_journey(journeyfile.load(path))
        found.append(
            Template(path.stem, journey.name, journey.description, len(journey.touchpoints), len(journey.stages))
        )
    return sorted(found, key=lambda t: (slugify(t.name), t.name))


def load_template(key: str, folder: Path | None = None, translated: bool = True) -> Journey:
    """The journey of one template, by its file name without ``.yaml``: in the current language, or as written
    (English, the source) when not ``translated``."""
    path = (folder or templates_folder()) / f"{key}.yaml"
    if path.name != f"{key}.yaml" or not path.is_file():
        raise FileNotFoundError(_("No journey template '{key}'.").format(key=key))
    journey = journeyfile.load(path)
    return catalogue.translate_journey(journey) if translated else journey
