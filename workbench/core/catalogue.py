"""The words of the bundled content in the reader's language: the journey templates' names, stages, owners,
touchpoints, notes and channels.

The template files stay English, the source language like the code's messages. ``make i18n`` extracts their words
into the same gettext catalogue (:func:`extract_template`, registered as the ``journey`` method in ``babel.cfg``),
each under the context ``journey template`` so a stage called "Delivery" is translated apart from a button of the
same English word. :func:`translate_journey` reads a loaded template in the current language; keys stay as they are,
and an owner is renamed in the owners list and on every touchpoint alike. A journey once created in a project is
the user's data and is never translated again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import IO, Any

import yaml

from workbench.core import i18n
from workbench.core.journey import Journey

TEMPLATE_CONTEXT = "journey template"
# What each translatable field is, by the list it is in (a comment for the translator in the catalogue).
_FIELDS: dict[tuple[str, str], str] = {
    ("", "name"): "journey name",
    ("", "description"): "journey description",
    ("stages", "name"): "stage name",
    ("owners", "name"): "owner: a team or a person; every touchpoint of the owner shows this name",
    ("touchpoints", "name"): "touchpoint name",
    ("touchpoints", "notes"): "touchpoint notes",
    ("touchpoints", "channel"): "channel, lowercase (a lane of the journey map)",
}
_STRING_TAG = "tag:yaml.org,2002:str"


def template_text(text: str) -> str:
    """One word or sentence of a template in the current language (itself when the catalogue lacks it)."""
    if not text:
        return text
    return i18n.pgettext(TEMPLATE_CONTEXT, text)


def translate_journey(journey: Journey) -> Journey:
    """A template's journey in the current language: every name, note and channel translated, every key kept."""
    text = template_text
    owners = {owner.name: text(owner.name) for owner in journey.owners}
    if len(set(owners.values())) < len(owners):  # two owners translated alike would merge: keep the source names
        owners = {name: name for name in owners}
    return replace(
        journey,
        name=text(journey.name),
        description=text(journey.description),
        stages=tuple(replace(stage, name=text(stage.name)) for stage in journey.stages),
        owners=tuple(replace(owner, name=owners[owner.name]) for owner in journey.owners),
        touchpoints=tuple(
            replace(
                tp,
                name=text(tp.name),
                notes=text(tp.notes),
                channel=text(tp.channel),
                owner=None if tp.owner is None else owners.get(tp.owner, tp.owner),
            )
            for tp in journey.touchpoints
        ),
    )


def extract_template(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, list[str], list[str]]]:
    """Babel's extractor for a journey template: (line, 'pgettext', [context, text], [what it is]) per word.

    Registered in ``babel.cfg`` (``[extractors] journey = workbench.core.catalogue:extract_template``); the texts
    are the values a loaded template holds (a folded description as one line), so the lookup finds them.
    """
    root = yaml.compose(fileobj.read().decode("utf-8"), Loader=yaml.SafeLoader)
    yield from _texts(root, "")


def _texts(node: yaml.Node | None, section: str) -> Iterator[tuple[int, str, list[str], list[str]]]:
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _texts(item, section)
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            what = _FIELDS.get((section, key))
            if what and isinstance(value_node, yaml.ScalarNode) and value_node.tag == _STRING_TAG:
                if value_node.value.strip():
                    yield value_node.start_mark.line + 1, "pgettext", [TEMPLATE_CONTEXT, value_node.value], [what]
            elif section == "" and isinstance(value_node, yaml.SequenceNode):
                yield from _texts(value_node, key)
