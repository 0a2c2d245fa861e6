"""The Journey map screen's features: the lanes under each touchpoint in stage columns, the personas with their
segment rules, the measured experience curve along the main path (per persona), and as-is/to-be versions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from workbench.core import formatting, metrics
from workbench.core import journey as jm
from workbench.core.errors import ConflictError
from workbench.core.i18n import gettext as _
from workbench.core.journey import Journey, Lanes, Support
from workbench.features import actions
from workbench.features import journeys as editing

if TYPE_CHECKING:
    from workbench.features.selection import Selection
    from workbench.repos.actions import Action
    from workbench.repos.workspace import Workspace

ALL_CUSTOMERS = ""  # the curve of everyone chosen in the filter bar (no persona rule on top)
MAX_CURVES = 5  # everyone and four personas: more lines would not be told apart on a slide
BACKSTAGE_SEPARATOR = ": "  # "Owner: process" on a line of the backstage box (a colon alone, as in 10:00, is text)


# ------------------------------------------------------------------ the grid


@dataclass(frozen=True)
class Column:
    """One stage of the grid with its touchpoints in flow order."""

    key: str
    name: str
    touchpoints: tuple[str, ...]


@dataclass(frozen=True)
class MapView:
    """The journey map as shown: the stored journey (its personas and version state with it) and version, its stage
    columns, the lanes' rows (built-in first, then the journey's own), the main path's touchpoints, the project's
    other journeys a to-be can be drawn from, and a to-be's touchpoints new or changed against its as-is."""

    journey: Journey
    version: int
    columns: tuple[Column, ...]
    lanes: tuple[str, ...]
    main_path: tuple[str, ...]
    others: tuple[str, ...]
    changed: Mapping[str, str]  # key -> 'added' or 'changed'


def view(workspace: Workspace, project_id: int, journey_id: int) -> MapView:
    """The stored journey as a map: stages as columns (touchpoints in flow order), every lane a row; a to-be version
    with what it changes against the journey it was drawn from."""
    state = workspace.journey(int(journey_id))
    journey = state.journey
    flow = jm.flow_order(journey)
    in_flow = sorted(journey.touchpoints, key=lambda t: flow[t.key])
    columns = tuple(
        Column(stage.key, stage.name, tuple(t.key for t in in_flow if t.stage == stage.key)) for stage in journey.stages
    )
    others = versions(workspace, project_id, journey_id)
    as_is = _drawn_from(journey, others) if journey.state == "to-be" else None
    changed = (
        {}
        if as_is is None
        else {
            row.key: row.change
            for row in _differences(workspace.journey(as_is).journey, journey)
            if row.change in ("added", "changed")
        }
    )
    return MapView(
        journey,
        state.version,
        columns,
        (*jm.BUILT_IN_LANES, *journey.lanes),
        tuple(jm.main_path(journey)),
        tuple(name for name, _id in others),
        changed,
    )


def lane_title(lane: str, journey: Journey) -> str:
    """A lane's row title: a built-in lane's translated name, a free lane's own name."""
    return lane if lane in journey.lanes else jm.LANE_TITLES[lane]


def cell(journey: Journey, key: str, lane: str) -> list[str]:
    """What one touchpoint's lane holds, as lines to show (a backstage process as 'owner: process')."""
    lanes = journey.touchpoint(key).lanes
    if lane in jm.TEXT_LANES:
        value = getattr(lanes, lane)
        return [value] if value else []
    if lane in jm.LIST_LANES:
        return list(getattr(lanes, lane))
    if lane == "backstage":
        return [f"{s.owner}{BACKSTAGE_SEPARATOR}{s.text}" if s.owner else s.text for s in lanes.backstage]
    value = lanes.custom.get(lane, "")
    return [value] if value else []


# ------------------------------------------------------------------ edits (each one undoable step)


def lanes_from_form(journey: Journey, typed: Mapping[str, object]) -> Lanes:
    """The lanes as typed in the edit form: text boxes for does/thinks/feels and free lanes, one line per pain point,
    opportunity and backstage process ('owner: process' names the team that runs it)."""

    def text(name: str) -> str:
        value = typed.get(name)
        return str(value) if value is not None else ""

    backstage = []
    for line in text("backstage").splitlines():
        owner, found, process = line.partition(BACKSTAGE_SEPARATOR)
        backstage.append(
            Support(process.strip(), owner.strip()) if found and process.strip() else Support(line.strip())
        )
    return Lanes(
        does=text("does"),
        thinks=text("thinks"),
        feels=text("feels"),
        pains=tuple(text("pains").splitlines()),
        opportunities=tuple(text("opportunities").splitlines()),
        backstage=tuple(backstage),
        custom={lane: text(f"lane:{lane}") for lane in journey.lanes},
    )


def form_values(journey: Journey, key: str) -> dict[str, str]:
    """A touchpoint's lanes as the edit form shows them (the inverse of :func:`lanes_from_form`)."""
    lanes = journey.touchpoint(key).lanes
    values = {name: getattr(lanes, name) for name in jm.TEXT_LANES}
    values |= {name: "\n".join(getattr(lanes, name)) for name in jm.LIST_LANES}
    values["backstage"] = "\n".join(cell(journey, key, "backstage"))
    values |= {f"lane:{lane}": lanes.custom.get(lane, "") for lane in journey.lanes}
    return values


def save_lanes(
    workspace: Workspace, journey_id: int, version: int | None, key: str, typed: Mapping[str, object], who: str = ""
) -> None:
    """Store what was typed in a touchpoint's lanes as one undoable edit."""
    state = workspace.journey(int(journey_id))
    name = state.journey.touchpoint(key).name
    editing.save(
        workspace,
        journey_id,
        version,
        _("Edit the lanes of “{name}”").format(name=name),
        lambda j: jm.set_lanes(j, key, lanes_from_form(j, typed)),
        who,
    )


def add_lane(workspace: Workspace, journey_id: int, version: int | None, name: str | None, who: str = "") -> None:
    """Add a free lane to the journey's map."""
    editing.save(
        workspace,
        journey_id,
        version,
        _("Add the lane “{name}”").format(name=" ".join((name or "").split())),
        lambda j: jm.add_lane(j, name or ""),
        who,
    )


def delete_lane(workspace: Workspace, journey_id: int, version: int | None, name: str, who: str = "") -> None:
    """Remove a free lane with what it holds."""
    editing.save(
        workspace,
        journey_id,
        version,
        _("Remove the lane “{name}”").format(name=name),
        lambda j: jm.delete_lane(j, name),
        who,
    )


def parse_rule(text: str | None) -> dict[str, str]:
    """A persona's segment rule typed as 'column = value; column = value' (an empty text: no rule)."""
    rule: dict[str, str] = {}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        column, found, value = part.partition("=")
        if not found or not column.strip() or not value.strip():
            raise jm.JourneyError(
                _("Write the segment rule as “column = value”, e.g. {example}; “{part}” is not.").format(
                    example="customer_type = business", part=part.strip()
                )
            )
        rule[column.strip()] = value.strip()
    return rule


def rule_text(segment: Mapping[str, str]) -> str:
    """A persona's segment rule as typed ('column = value; …')."""
    return "; ".join(f"{column} = {value}" for column, value in segment.items())


def save_persona(
    workspace: Workspace,
    journey_id: int,
    version: int | None,
    name: str | None,
    description: str | None,
    rule: str | None,
    key: str | None = None,
    who: str = "",
) -> None:
    """Add a persona (``key`` None) or change one, its segment rule typed as 'column = value; …'."""
    segment = parse_rule(rule)
    label = _("Add the persona “{name}”") if key is None else _("Edit the persona “{name}”")
    editing.save(
        workspace,
        journey_id,
        version,
        label.format(name=" ".join((name or "").split())),
        lambda j: jm.set_persona(j, name or "", description or "", segment, key)[0],
        who,
    )


def delete_persona(workspace: Workspace, journey_id: int, version: int | None, key: str, who: str = "") -> None:
    """Remove a persona from the journey."""
    editing.save(workspace, journey_id, version, _("Remove a persona"), lambda j: jm.delete_persona(j, key), who)


def set_state(
    workspace: Workspace, journey_id: int, version: int | None, state: str | None, based_on: str | None, who: str = ""
) -> bool:
    """Mark the journey as the as-is or the to-be version (a to-be names the journey it was drawn from); False when
    it is marked so already (nothing is saved)."""
    journey = workspace.journey(int(journey_id)).journey
    if (journey.state, journey.based_on) == (state or "", based_on or "" if state == "to-be" else ""):
        return False
    editing.save(
        workspace,
        journey_id,
        version,
        _("Mark the version"),
        lambda j: jm.set_state(j, state or "", based_on or ""),
        who,
    )
    return True


def opportunity_card(
    workspace: Workspace, project_id: int, journey_id: int, key: str, index: int, version: int | None, who: str = ""
) -> Action:
    """An action card in the backlog from a touchpoint's opportunity (by its place in the lane, as the map of
    ``version`` showed it): the opportunity as the title, the touchpoint's owner. ConflictError when the journey
    was changed since."""
    state = workspace.journey(int(journey_id))
    if version is not None and state.version != version:
        raise ConflictError(_("The map was changed meanwhile; it is shown again."))
    opportunity = state.journey.touchpoint(key).lanes.opportunities[index]
    return _card(
        workspace,
        project_id,
        journey_id,
        state.journey,
        key,
        opportunity,
        _("Opportunity at “{touchpoint}” on the journey map.").format(touchpoint=state.journey.touchpoint(key).name),
        opportunity,
        who,
    )


def _card(
    workspace: Workspace,
    project_id: int,
    journey_id: int,
    journey: Journey,
    key: str,
    title: str,
    description: str,
    origin: str,
    who: str,
) -> Action:
    """An action card in the backlog for one touchpoint (its owner), named ``title``, coming from ``origin``."""
    draft = replace(
        actions.for_touchpoint(journey, key),
        title=title,
        description=description,
        origin={"kind": "touchpoint", "label": origin},
    )
    return actions.create(workspace, project_id, draft, who, journey_id=int(journey_id))


# ------------------------------------------------------------------ the measured curve


@dataclass(frozen=True)
class CurvePoint:
    """One touchpoint of the main path: its measured score with interval and n, and the designed (target) score."""

    key: str
    name: str
    stage: str
    value: float
    low: float
    high: float
    n: int
    low_n: bool
    target: float | None


@dataclass(frozen=True)
class Curve:
    """The experience curve of one group (everyone chosen, or a persona) along the main path."""

    persona: str  # the persona's key, ALL_CUSTOMERS for everyone
    name: str
    points: tuple[CurvePoint, ...]
    note: str = ""  # why a persona has no curve (its rule names a column the survey does not have)


@dataclass(frozen=True)
class Curves:
    """The curves asked for, the metric, and the sentence under the chart."""

    metric: str
    curves: tuple[Curve, ...]
    summary: str


def curves(
    workspace: Workspace,
    chosen: Selection,
    personas: Sequence[str] = (ALL_CUSTOMERS,),
    minimum: int = metrics.DEFAULT_MIN_N,
) -> Curves:
    """The measured score of every touchpoint on the journey's main path, for everyone chosen and for each persona
    asked for (its segment rule added to the filter bar's filters, replacing a filter on the same column)."""
    from workbench.analysis import heatmap
    from workbench.data import query

    journey = chosen.journey
    path = jm.main_path(journey)
    on_path = {t.key: t for t in journey.touchpoints}
    columns = set(chosen.segment_columns())
    by_key = {p.key: p for p in journey.personas}
    found = []
    for persona_key in list(personas)[:MAX_CURVES]:
        persona = by_key.get(persona_key)
        if persona_key != ALL_CUSTOMERS and persona is None:
            continue
        name = persona.name if persona is not None else _("All customers")
        filters = chosen.filters
        if persona is not None:
            missing = [column for column in persona.segment if column not in columns]
            if missing:
                note = _("The survey has no column “{column}” for the persona “{name}”.").format(
                    column=missing[0], name=persona.name
                )
                found.append(Curve(persona_key, name, (), note))
                continue
            filters = tuple(f for f in filters if f[0] not in persona.segment) + tuple(
                (column, (value,)) for column, value in persona.segment.items()
            )
        result = query.aggregate(chosen.query(filters=filters), workspace.cache, min_n=minimum)
        scored = heatmap.scores(journey, result, chosen.metric).set_index("touchpoint")
        points = tuple(
            CurvePoint(
                key,
                on_path[key].name,
                on_path[key].stage,
                float(scored.at[key, "value"]),
                float(scored.at[key, "low"]),
                float(scored.at[key, "high"]),
                int(scored.at[key, "n"]),
                bool(scored.at[key, "low_n"]),
                heatmap.target(on_path[key], chosen.metric),
            )
            for key in path
        )
        found.append(Curve(persona_key, name, points))
    measured = sum(1 for p in (found[0].points if found else ()) if not math.isnan(p.value))
    summary = _("{metric} at {measured} of the {total} touchpoints on the main path, {who}.").format(
        metric=metrics.NAMES[chosen.metric],
        measured=formatting.count(measured),
        total=formatting.count(len(path)),
        who=chosen.filter_text(),
    )
    return Curves(chosen.metric, tuple(found), summary)


# ------------------------------------------------------------------ as-is and to-be


@dataclass(frozen=True)
class Difference:
    """One row of the as-is/to-be comparison: what happens to a touchpoint or a connection."""

    change: str  # 'added', 'removed', 'changed', 'connection added', 'connection removed'
    what: str  # the touchpoint's name (or 'from → to')
    detail: str  # the fields that changed, in words
    key: str = ""  # the touchpoint's key in the to-be version (an action card can point at it)


def versions(workspace: Workspace, project_id: int, journey_id: int) -> list[tuple[str, int]]:
    """The project's other journeys a to-be version can be compared with, (name, id), by name."""
    return [(j.name, j.id) for j in workspace.journeys(int(project_id)) if j.id != int(journey_id)]


def comparison(workspace: Workspace, project_id: int, journey_id: int) -> list[Difference] | None:
    """What the to-be version adds, removes and changes against the journey it was drawn from (None when it names
    none, or one that is gone)."""
    as_is = as_is_of(workspace, project_id, journey_id)
    if as_is is None:
        return None
    return _differences(workspace.journey(as_is).journey, workspace.journey(int(journey_id)).journey)


def _differences(before: Journey, after: Journey) -> list[Difference]:
    """The comparison's rows, in words of the reader's language."""
    found = jm.compare(before, after)
    names = {t.key: t.name for t in before.touchpoints} | {t.key: t.name for t in after.touchpoints}
    words = {
        "name": _("name"),
        "stage": _("stage"),
        "channel": _("channel"),
        "owner": _("owner"),
        "kind": _("kind"),
        "targets": _("targets"),
        "lanes": _("lanes"),
    }
    rows = [Difference("added", names[k], "", k) for k in found.added]
    rows += [Difference("removed", names[k], "") for k in found.removed]
    rows += [
        Difference("changed", names[k], ", ".join(words[f] for f in fields), k) for k, fields in found.changed.items()
    ]
    rows += [Difference("connection added", f"{names[s]} → {names[t]}", "", t) for s, t in found.edges_added]
    rows += [Difference("connection removed", f"{names[s]} → {names[t]}", "") for s, t in found.edges_removed]
    return rows


def as_is_of(workspace: Workspace, project_id: int, journey_id: int) -> int | None:
    """The id of the journey a to-be version was drawn from (None when it names none, or one that is gone)."""
    return _drawn_from(workspace.journey(int(journey_id)).journey, versions(workspace, project_id, journey_id))


def _drawn_from(journey: Journey, others: list[tuple[str, int]]) -> int | None:
    return dict(others).get(journey.based_on) if journey.based_on else None


def change_card(workspace: Workspace, project_id: int, journey_id: int, key: str, who: str = "") -> Action:
    """An action card in the backlog to make one change of the to-be version happen (its touchpoint and owner)."""
    journey = workspace.journey(int(journey_id)).journey
    return _card(
        workspace,
        project_id,
        journey_id,
        journey,
        key,
        _("To-be: {touchpoint}").format(touchpoint=journey.touchpoint(key).name),
        _("A change of the to-be journey “{journey}”.").format(journey=journey.name),
        _("to-be version {journey}").format(journey=journey.name),
        who,
    )


def new_version(workspace: Workspace, project_id: int, journey_id: int, name: str | None, who: str = "") -> int:
    """A to-be copy of the journey, drawn from it; then the original, when it is not marked yet, is marked as-is
    (nothing is changed when the copy cannot be made, e.g. its name is taken)."""
    state = workspace.journey(int(journey_id))
    original = state.journey
    copy = replace(original, name=" ".join((name or "").split()), state="to-be", based_on=original.name)
    created = workspace.create_journey(int(project_id), copy)
    if not original.state:
        editing.save(
            workspace, journey_id, state.version, _("Mark the version"), lambda j: jm.set_state(j, "as-is"), who
        )
    return created
