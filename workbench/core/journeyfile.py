"""Journey files: YAML in, YAML out, lossless; every error names its line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from workbench.core import limits
from workbench.core.i18n import N_, Labels
from workbench.core.i18n import gettext as _
from workbench.core.journey import (
    LIST_LANES,
    TEXT_LANES,
    Edge,
    Journey,
    JourneyError,
    Lanes,
    Owner,
    Persona,
    Stage,
    Support,
    Touchpoint,
    validate,
)
from workbench.core.limits import LimitError

FORMAT_VERSION = 2  # 2 added personas, lanes and as-is/to-be versions; files of format 1 are read as they are
READS = (1, 2)
_JOURNEY_KEYS = {
    "format", "name", "description", "stages", "owners", "touchpoints", "edges", "personas", "lanes", "state",
    "based_on",
}  # fmt: skip
_PERSONA_KEYS = {"key", "name", "description", "segment"}
_LANE_KEYS = {*TEXT_LANES, *LIST_LANES, "backstage", "custom"}
_SUPPORT_KEYS = {"text", "owner"}
_STAGE_KEYS = {"key", "name"}
_OWNER_KEYS = {"name", "kind"}
_TOUCHPOINT_KEYS = {
    "key",
    "name",
    "stage",
    "channel",
    "owner",
    "kind",
    "entry",
    "targets",
    "position",
    "notes",
    "lanes",
}
_EDGE_KEYS = {"from", "to", "share", "volume"}
_UNKNOWN_FIELD = Labels(
    {
        "journey": N_("unknown journey field '{key}' (expected one of: {fields})."),
        "stage": N_("unknown stage field '{key}' (expected one of: {fields})."),
        "owner": N_("unknown owner field '{key}' (expected one of: {fields})."),
        "touchpoint": N_("unknown touchpoint field '{key}' (expected one of: {fields})."),
        "edge": N_("unknown edge field '{key}' (expected one of: {fields})."),
        "persona": N_("unknown persona field '{key}' (expected one of: {fields})."),
        "lanes": N_("unknown lane '{key}' (expected one of: {fields})."),
        "backstage": N_("unknown backstage field '{key}' (expected one of: {fields})."),
    }
)


class JourneyFileError(JourneyError):
    """A journey file that cannot be read; the message names the line."""


class _Located(dict):
    """A YAML mapping that remembers the line of itself and of each value."""

    line: int = 0
    lines: dict[str, int]


# libyaml's C parser when PyYAML was built with it (about 5x faster); same behaviour either way.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Located:
    loader.flatten_mapping(node)
    mapping = _Located()
    mapping.line = node.start_mark.line + 1
    mapping.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise JourneyFileError(
                _("line {line}: {problem}").format(
                    line=key_node.start_mark.line + 1, problem=_("the key '{key}' appears twice.").format(key=key)
                )
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = value_node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class YamlDumper(_SafeDumper):
    """The YAML writer of journey files and codebooks: text with line separators comes back exactly."""


def _represent_str(dumper: YamlDumper, value: str) -> yaml.ScalarNode:
    # YAML 1.1 readers fold NEL and the Unicode line/paragraph separators in plain and block
    # scalars; double quotes escape them, so such text comes back exactly as written.
    style = '"' if any(c in value for c in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


YamlDumper.add_representer(str, _represent_str)


def loads(text: str, source: str = "") -> Journey:
    """Parse a journey from YAML text; raise :class:`JourneyFileError` naming the line of any problem (or the
    limit, for a document too big, too deep or expanding too far through aliases; ``source`` names it)."""
    try:
        limits.check_yaml(text, source, _SafeLoader)
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except LimitError as exc:
        raise JourneyFileError(str(exc)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context  # PyYAML's own words
        if mark:
            raise JourneyFileError(
                _("line {line}, column {column}: invalid YAML, {problem}.").format(
                    line=mark.line + 1, column=mark.column + 1, problem=problem
                )
            ) from None
        raise JourneyFileError(_("Invalid YAML, {problem}.").format(problem=problem)) from None
    except yaml.YAMLError as exc:
        raise JourneyFileError(_("invalid YAML: {problem}").format(problem=exc)) from None
    if doc is None:
        raise JourneyFileError(_("The file is empty."))
    return _build(doc)


def to_json(journey: Journey) -> str:
    """The journey's document as compact JSON (for undo snapshots: much faster than YAML)."""
    return json.dumps(to_document(journey), ensure_ascii=False, separators=(",", ":"))


def from_json(text: str) -> Journey:
    """Read a journey written by :func:`to_json`, checked like a file."""
    return _build(json.loads(text, object_pairs_hook=_located_pairs))


def _located_pairs(pairs: list[tuple[str, Any]]) -> _Located:
    mapping = _Located(pairs)
    mapping.lines = {key: 0 for key, _ in pairs}
    return mapping


def _build(doc: Any) -> Journey:
    _require(isinstance(doc, _Located), 1, _("a journey file must be a mapping with name, stages, touchpoints…"))
    _only_keys(doc, _JOURNEY_KEYS, "journey")
    if doc.get("format", FORMAT_VERSION) not in READS:
        _require(
            False,
            doc.lines["format"],
            _("format {format} is not supported (this version reads {version}).").format(
                format=repr(doc["format"]), version=", ".join(str(v) for v in READS)
            ),
        )
    _require("name" in doc, doc.line, _("the journey needs a 'name'."))

    stages = tuple(
        Stage(key=_text(item, "key"), name=_text(item, "name")) for item in _items(doc, "stages", _STAGE_KEYS, "stage")
    )
    owners = tuple(
        Owner(name=_text(item, "name"), kind=_text(item, "kind", "team"))
        for item in _items(doc, "owners", _OWNER_KEYS, "owner")
    )
    stage_keys = {s.key for s in stages}
    owner_names = {o.name for o in owners}
    touchpoints = []
    seen_keys: set[str] = set()
    for item in _items(doc, "touchpoints", _TOUCHPOINT_KEYS, "touchpoint"):
        tp = _touchpoint(item)
        _require(
            tp.key not in seen_keys,
            item.lines.get("key", item.line),
            _("duplicate touchpoint key '{key}'.").format(key=tp.key),
        )
        seen_keys.add(tp.key)
        _require(
            tp.stage in stage_keys,
            item.lines.get("stage", item.line),
            _("touchpoint '{key}' is in stage '{stage}', which is not listed under stages.").format(
                key=tp.key, stage=tp.stage
            ),
        )
        _require(
            tp.owner is None or tp.owner in owner_names,
            item.lines.get("owner", item.line),
            _("touchpoint '{key}' has owner '{owner}', which is not listed under owners.").format(
                key=tp.key, owner=tp.owner
            ),
        )
        touchpoints.append(tp)
    edges = []
    for item in _items(doc, "edges", _EDGE_KEYS, "edge"):
        edge = Edge(
            source=_text(item, "from"),
            target=_text(item, "to"),
            share=_number(item, "share"),
            volume=_number(item, "volume"),
        )
        for end in ("from", "to"):
            _require(
                item[end] in seen_keys,
                item.lines[end],
                _("edge {end} '{key}': no touchpoint has that key.").format(end=end, key=item[end]),
            )
        edges.append(edge)

    journey = Journey(
        name=_text(doc, "name"),
        description=_text(doc, "description", ""),
        stages=stages,
        owners=owners,
        touchpoints=tuple(touchpoints),
        edges=tuple(edges),
        **_map(doc),
    )
    try:
        validate(journey)
    except JourneyError as exc:
        raise JourneyFileError(str(exc)) from None
    return journey


def load(path: str | Path) -> Journey:
    """Read a journey from a YAML file."""
    path = Path(path)
    try:
        return loads(limits.read_file(path).decode("utf-8"), path.name)
    except LimitError as exc:
        raise JourneyFileError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise JourneyFileError(
            _("{name} is not UTF-8 text (byte {byte}); save it as UTF-8.").format(name=path.name, byte=exc.start + 1)
        ) from None


def dumps(journey: Journey) -> str:
    """Write a journey as YAML text (defaults left out, order kept)."""
    return yaml.dump(to_document(journey), Dumper=YamlDumper, sort_keys=False, allow_unicode=True, width=100)


def to_document(journey: Journey) -> dict[str, Any]:
    """The journey as the plain nested dict a journey file holds."""
    # Format 1 while the journey has no map: a file an older workbench can still read.
    mapped = bool(map_document(journey)) or any(not tp.lanes.empty() for tp in journey.touchpoints)
    doc: dict[str, Any] = {"format": FORMAT_VERSION if mapped else 1, "name": journey.name}
    if journey.description:
        doc["description"] = journey.description
    doc["stages"] = [{"key": s.key, "name": s.name} for s in journey.stages]
    doc["owners"] = [{"name": o.name, "kind": o.kind} for o in journey.owners]
    doc["touchpoints"] = [_touchpoint_doc(tp) for tp in journey.touchpoints]
    doc["edges"] = [_edge_doc(e) for e in journey.edges]
    return doc | map_document(journey)


def map_document(journey: Journey) -> dict[str, Any]:
    """The journey map's part of the document: personas, free lanes, as-is/to-be (empty parts left out)."""
    doc: dict[str, Any] = {}
    if journey.personas:
        doc["personas"] = [_persona_doc(p) for p in journey.personas]
    if journey.lanes:
        doc["lanes"] = list(journey.lanes)
    if journey.state:
        doc["state"] = journey.state
    if journey.based_on:
        doc["based_on"] = journey.based_on
    return doc


def read_map(doc: dict[str, Any]) -> dict[str, Any]:
    """The :class:`Journey` fields of a document written by :func:`map_document`."""
    return _map(_relocated(doc))


def _map(located: _Located) -> dict[str, Any]:
    lanes = located.get("lanes") or []
    _require(
        isinstance(lanes, list) and all(isinstance(v, str) for v in lanes),
        located.lines.get("lanes", located.line),
        _("'{section}' must be a list of names.").format(section="lanes"),
    )
    return {
        "personas": tuple(
            Persona(
                key=_text(item, "key"),
                name=_text(item, "name"),
                description=_text(item, "description", ""),
                segment=_text_map(item, "segment"),
            )
            for item in _items(located, "personas", _PERSONA_KEYS, "persona")
        ),
        "lanes": tuple(lanes),
        "state": _text(located, "state", ""),
        "based_on": _text(located, "based_on", ""),
    }


def lanes_document(lanes: Lanes) -> dict[str, Any]:
    """A touchpoint's lanes as the plain dict a journey file holds (empty lanes left out)."""
    return {} if lanes.empty() else _lanes_doc(lanes)


def read_lanes(doc: dict[str, Any]) -> Lanes:
    """The lanes of a document written by :func:`lanes_document`."""
    return _lanes(_relocated({"lanes": doc or None}))


def _relocated(doc: dict[str, Any]) -> _Located:
    return json.loads(json.dumps(doc), object_pairs_hook=_located_pairs)


def _persona_doc(persona: Persona) -> dict[str, Any]:
    item: dict[str, Any] = {"key": persona.key, "name": persona.name}
    if persona.description:
        item["description"] = persona.description
    if persona.segment:
        item["segment"] = dict(persona.segment)
    return item


def _lanes_doc(lanes: Lanes) -> dict[str, Any]:
    item: dict[str, Any] = {name: getattr(lanes, name) for name in TEXT_LANES if getattr(lanes, name)}
    item |= {name: list(getattr(lanes, name)) for name in LIST_LANES if getattr(lanes, name)}
    if lanes.backstage:
        item["backstage"] = [
            {"text": s.text, "owner": s.owner} if s.owner else {"text": s.text} for s in lanes.backstage
        ]
    if lanes.custom:
        item["custom"] = dict(lanes.custom)
    return item


def _touchpoint_doc(tp: Touchpoint) -> dict[str, Any]:
    item: dict[str, Any] = {"key": tp.key, "name": tp.name, "stage": tp.stage}
    if tp.channel:
        item["channel"] = tp.channel
    if tp.owner is not None:
        item["owner"] = tp.owner
    item["kind"] = tp.kind
    if tp.entry:
        item["entry"] = True
    if tp.targets:
        item["targets"] = dict(tp.targets)
    if tp.x is not None or tp.y is not None:
        item["position"] = {"x": tp.x, "y": tp.y}
    if tp.notes:
        item["notes"] = tp.notes
    if not tp.lanes.empty():
        item["lanes"] = _lanes_doc(tp.lanes)
    return item


def _edge_doc(edge: Edge) -> dict[str, Any]:
    item: dict[str, Any] = {"from": edge.source, "to": edge.target}
    if edge.share is not None:
        item["share"] = edge.share
    if edge.volume is not None:
        item["volume"] = edge.volume
    return item


def _touchpoint(item: _Located) -> Touchpoint:
    targets = item.get("targets") or {}
    _require(
        isinstance(targets, dict),
        item.lines.get("targets", item.line),
        _("targets must be a mapping like {example}.").format(example="{csat: 4.2}"),
    )
    for metric, value in targets.items():
        _require(
            isinstance(value, (int, float)) and not isinstance(value, bool),
            item.lines["targets"],
            _("target {metric} must be a number, not {value}.").format(metric=metric, value=repr(value)),
        )
    position = item.get("position") or {}
    _require(
        isinstance(position, dict) and set(position) <= {"x", "y"},
        item.lines.get("position", item.line),
        _("position must be a mapping with x and y."),
    )
    entry = item.get("entry", False)
    _require(isinstance(entry, bool), item.lines.get("entry", item.line), _("entry must be true or false."))
    owner = item.get("owner")
    return Touchpoint(
        key=_text(item, "key"),
        name=_text(item, "name"),
        stage=_text(item, "stage"),
        channel=_text(item, "channel", ""),
        owner=None if owner is None else _text(item, "owner"),
        kind=_text(item, "kind", "touchpoint"),
        entry=entry,
        targets={str(k): float(v) for k, v in targets.items()},
        x=_number(position, "x", item.lines.get("position")) if position else None,
        y=_number(position, "y", item.lines.get("position")) if position else None,
        notes=_text(item, "notes", ""),
        lanes=_lanes(item),
    )


def _lanes(item: _Located) -> Lanes:
    lanes = item.get("lanes")
    if lanes is None:
        return Lanes()
    at = item.lines.get("lanes", item.line)
    _require(isinstance(lanes, _Located), at, _("lanes must be a mapping like {example}.").format(example="{does: …}"))
    _only_keys(lanes, _LANE_KEYS, "lanes")
    lists = {}
    for name in LIST_LANES:
        values = lanes.get(name) or []
        _require(
            isinstance(values, list) and all(isinstance(v, (str, int, float)) for v in values),
            lanes.lines.get(name, at),
            _("'{section}' must be a list of lines.").format(section=name),
        )
        lists[name] = tuple(str(v) for v in values)
    backstage = []
    for support in _items(lanes, "backstage", _SUPPORT_KEYS, "backstage"):
        backstage.append(Support(text=_text(support, "text"), owner=_text(support, "owner", "")))
    return Lanes(
        does=_text(lanes, "does", ""),
        thinks=_text(lanes, "thinks", ""),
        feels=_text(lanes, "feels", ""),
        pains=lists["pains"],
        opportunities=lists["opportunities"],
        backstage=tuple(backstage),
        custom=_text_map(lanes, "custom"),
    )


def _text_map(item: _Located, key: str) -> dict[str, str]:
    """A mapping of names to texts (a persona's segment rule, a touchpoint's free lanes)."""
    value = item.get(key) or {}
    _require(
        isinstance(value, dict)
        and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value.values()),
        item.lines.get(key, item.line),
        _("'{key}' must be a mapping of names to text.").format(key=key),
    )
    return {str(k): str(v) for k, v in value.items()}


def _items(doc: _Located, section: str, allowed: set[str], what: str) -> list[_Located]:
    items = doc.get(section) or []
    _require(
        isinstance(items, list),
        doc.lines.get(section, doc.line),
        _("'{section}' must be a list.").format(section=section),
    )
    for item in items:
        _require(
            isinstance(item, _Located),
            doc.lines[section],
            _("each entry of '{section}' must be a mapping.").format(section=section),
        )
        _only_keys(item, allowed, what)
    return items


def _only_keys(item: _Located, allowed: set[str], what: str) -> None:
    for key in item:
        _require(
            key in allowed,
            item.lines[key],
            _UNKNOWN_FIELD[what].format(key=key, fields=", ".join(sorted(allowed))),
        )


def _text(item: _Located, key: str, default: str | None = None) -> str:
    if key not in item or item[key] is None:
        _require(default is not None, item.line, _("the field '{key}' is missing.").format(key=key))
        return default  # type: ignore[return-value]
    value = item[key]
    _require(
        isinstance(value, (str, int, float)) and not isinstance(value, bool),
        item.lines[key],
        _("'{key}' must be text, not {type}.").format(key=key, type=type(value).__name__),
    )
    return str(value)


def _number(item: dict, key: str, line: int | None = None) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    at = getattr(item, "lines", {}).get(key, line or 0)
    _require(
        isinstance(value, (int, float)) and not isinstance(value, bool),
        at,
        _("'{key}' must be a number, not {value}.").format(key=key, value=repr(value)),
    )
    return float(value)


def _require(condition: bool, line: int, message: str) -> None:
    if not condition:
        raise JourneyFileError(_("line {line}: {problem}").format(line=line, problem=message))
