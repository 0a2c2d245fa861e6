"""The words of the bundled content in the reader's language: the journey templates' names, stages, owners,
touchpoints, notes and channels, and their journey maps' personas and lanes.

The template files stay English, the source language like the code's messages. ``make i18n`` extracts their words
into the same gettext catalogue (:func:`extract_template`, registered as the ``journey`` method in ``babel.cfg``),
each under the context ``journey template`` so a stage called "Delivery" is translated apart from a button of the
same English word. :func:`translate_journey` reads a loaded template in the current language; keys and personas'
segment rules (they match values in the data) stay as they are, an owner is renamed in the owners list, on every
touchpoint and on every backstage process it runs alike, and a free lane in the journey's lanes and under every
touchpoint alike. A journey once created in a project is the user's data and is never translated again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import IO, Any

import yaml

from workbench.core import i18n
from workbench.core.journey import LANE_TITLES, LIST_LANES, TEXT_LANES, Journey, Lanes, Support

TEMPLATE_CONTEXT = "journey template"
_LANE_NAME = "a free lane of the journey map (a row under the touchpoints); each touchpoint's text in it is below"
# What each translatable field is, by the list it is in (a comment for the translator in the catalogue).
_FIELDS: dict[tuple[str, str], str] = {
    ("", "name"): "journey name",
    ("", "description"): "journey description",
    ("stages", "name"): "stage name",
    ("owners", "name"): "owner: a team or a person; every touchpoint of the owner shows this name",
    ("touchpoints", "name"): "touchpoint name",
    ("touchpoints", "notes"): "touchpoint notes",
    ("touchpoints", "channel"): "channel, lowercase (a lane of the journey map)",
    ("personas", "name"): "persona name: a type of customer the journey is for",
    ("personas", "description"): "persona description",
    ("lanes", "does"): "journey map lane 'Customer does': what the customer does at the touchpoint",
    ("lanes", "thinks"): "journey map lane 'Customer thinks': the customer's thought at the touchpoint",
    ("lanes", "feels"): "journey map lane 'Customer feels': how the customer feels at the touchpoint",
    ("lanes", "pains"): "a pain point at the touchpoint, one line",
    ("lanes", "opportunities"): "an opportunity to improve the touchpoint, one line",
    ("backstage", "text"): "a backstage process behind the touchpoint (service blueprint)",
    ("backstage", "owner"): "the team running a backstage process; an owner's name is translated as the owner",
    ("custom", ""): "a touchpoint's text in a free lane of the journey map",
}
_STRING_TAG = "tag:yaml.org,2002:str"


def template_text(text: str) -> str:
    """One word or sentence of a template in the current language (itself when the catalogue lacks it)."""
    if not text:
        return text
    return i18n.pgettext(TEMPLATE_CONTEXT, text)


def translate_journey(journey: Journey) -> Journey:
    """A template's journey in the current language: every name, note, channel, persona and lane text translated,
    every key and segment rule kept."""
    text = template_text
    owners = _distinct(owner.name for owner in journey.owners)
    reserved = {LANE_TITLES[name].casefold() for name in (*TEXT_LANES, *LIST_LANES, "backstage")}
    lanes = _distinct((*journey.lanes, *(lane for tp in journey.touchpoints for lane in tp.lanes.custom)), reserved)

    def team(name: str) -> str:  # a backstage process's owner: the journey's owner as it is renamed, else a word
        return owners.get(name) or text(name)

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
                lanes=tp.lanes if tp.lanes.empty() else _translate_lanes(tp.lanes, lanes, team),
            )
            for tp in journey.touchpoints
        ),
        personas=tuple(
            replace(persona, name=text(persona.name), description=text(persona.description))
            for persona in journey.personas
        ),
        lanes=tuple(lanes[lane] for lane in journey.lanes),
    )


def _distinct(names: Iterable[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """Each name and its translation; the source names when two would read alike (owners or lanes would merge) or
    one would take a reserved name (a built-in lane's title)."""
    translated = {name: template_text(name) for name in names}
    folded = [value.casefold() for value in translated.values()]
    if len(set(folded)) < len(folded) or set(reserved) & set(folded):
        return {name: name for name in translated}
    return translated


def _translate_lanes(lanes: Lanes, names: dict[str, str], team: Callable[[str], str]) -> Lanes:
    text = template_text
    return replace(
        lanes,
        does=text(lanes.does),
        thinks=text(lanes.thinks),
        feels=text(lanes.feels),
        pains=tuple(text(line) for line in lanes.pains),
        opportunities=tuple(text(line) for line in lanes.opportunities),
        backstage=tuple(Support(text(item.text), team(item.owner)) for item in lanes.backstage),
        custom={names[name]: text(value) for name, value in lanes.custom.items()},
    )


def extract_template(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, list[str], list[str]]]:
    """Babel's extractor for a journey template: (line, 'pgettext', [context, text], [what it is]) per word.

    Registered in ``babel.cfg`` (``[extractors] journey = workbench.core.catalogue:extract_template``); the texts
    are the values a loaded template holds (a folded description as one line), so the lookup finds them. A
    persona's key and segment rule, and every other key, are not words.
    """
    root = yaml.compose(fileobj.read().decode("utf-8"), Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return
    for key, value in _pairs(root):
        if key in ("name", "description"):
            yield from _word(value, _FIELDS[("", key)])
        elif key == "lanes" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                yield from _word(item, _LANE_NAME)
        elif isinstance(value, yaml.SequenceNode):
            for item in value.value:
                yield from _item_texts(item, key)


def _item_texts(node: yaml.Node, section: str) -> Iterator[tuple[int, str, list[str], list[str]]]:
    """The words of one entry of stages, owners, touchpoints or personas."""
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in _pairs(node):
        what = _FIELDS.get((section, key))
        if what:
            yield from _word(value, what)
        elif section == "touchpoints" and key == "lanes" and isinstance(value, yaml.MappingNode):
            yield from _lane_texts(value)


def _lane_texts(node: yaml.MappingNode) -> Iterator[tuple[int, str, list[str], list[str]]]:
    """The words of a touchpoint's lanes: the texts and lines, the backstage processes and their teams, the free
    lanes' names and texts."""
    for key, value in _pairs(node):
        if key in TEXT_LANES:
            yield from _word(value, _FIELDS[("lanes", key)])
        elif key in LIST_LANES and isinstance(value, yaml.SequenceNode):
            for line in value.value:
                yield from _word(line, _FIELDS[("lanes", key)])
        elif key == "backstage" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                if isinstance(item, yaml.MappingNode):
                    for field, text in _pairs(item):
                        if ("backstage", field) in _FIELDS:
                            yield from _word(text, _FIELDS[("backstage", field)])
        elif key == "custom" and isinstance(value, yaml.MappingNode):
            for name_node, text in value.value:
                yield from _word(name_node, _LANE_NAME)
                yield from _word(text, _FIELDS[("custom", "")])


def _pairs(node: yaml.MappingNode) -> Iterator[tuple[str, yaml.Node]]:
    for key_node, value_node in node.value:
        yield str(key_node.value), value_node


def _word(node: yaml.Node, what: str) -> Iterator[tuple[int, str, list[str], list[str]]]:
    """A text scalar as a catalogue message (numbers, booleans and empty texts are not words)."""
    if isinstance(node, yaml.ScalarNode) and node.tag == _STRING_TAG and node.value.strip():
        yield node.start_mark.line + 1, "pgettext", [TEMPLATE_CONTEXT, node.value], [what]
