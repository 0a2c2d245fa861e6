"""The Journeys screen: a project's journeys, one journey with its checks and lists, undoable edits in the user's
words, a new journey from a template, a file or nothing, and its YAML download."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from workbench.core import formatting, journeyfile, limits, metrics, quickadd, uploads
from workbench.core import journey as jm
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.core.journey import Journey, JourneyError, JourneyWarning
from workbench.data import templates
from workbench.repos.workspace import rename_journey

if TYPE_CHECKING:
    from workbench.repos.workspace import Workspace

TARGETS = metrics.METRICS  # a touchpoint has a target per metric, in the registry's order
MOVED = 0.5  # a drop this far (in canvas pixels) from the stored position is a move, not a click


@dataclass(frozen=True)
class JourneyView:
    """What the editor shows of one journey: the journey, its checks, undo/redo and the lists built from it."""

    journey: Journey
    version: int
    warnings: list[JourneyWarning]
    undo_label: str | None
    redo_label: str | None
    owners: list[str]
    channels: list[str]
    stage_counts: dict[str, int]
    hint: str
    undo_by: str = ""  # who made the edit undo would take back (a team server's user; "" otherwise)
    redo_by: str = ""


def journey_choices(workspace: Workspace, project_id: int | None) -> list[tuple[str, int]]:
    """The project's journeys as (name, id), by name; none without a project."""
    return [(j.name, j.id) for j in workspace.journeys(int(project_id))] if project_id else []


def chosen_journey(choices: list[tuple[str, int]], current: object) -> int | None:
    """The journey shown after the project changed: the current one if the project has it, else its first."""
    ids = [id_ for _name, id_ in choices]
    if current is not None and str(current).isdigit() and int(str(current)) in ids:
        return int(str(current))
    return ids[0] if ids else None


def project_name(workspace: Workspace, project_id: int) -> str:
    """The project's name ('' when it is gone)."""
    project = workspace.project(int(project_id))
    return project.name if project is not None else ""


def stored(workspace: Workspace, journey_id: int) -> Journey:
    """The journey as stored now."""
    return workspace.journey(int(journey_id)).journey


def view(workspace: Workspace, journey_id: int) -> JourneyView:
    """The stored journey with its checks, undo/redo labels, owners, channels, stage sizes and the next step's hint."""
    state = workspace.journey(int(journey_id))
    journey = state.journey
    counts = {s.key: 0 for s in journey.stages}
    for tp in journey.touchpoints:
        counts[tp.stage] += 1
    hint = ""
    if not journey.stages:
        hint = _("Start by adding a stage (Stages tab), then touchpoints into it.")
    elif not journey.touchpoints:
        hint = _("Add touchpoints with the form on the right.")
    return JourneyView(
        journey,
        state.version,
        jm.check(journey),
        state.undo_label,
        state.redo_label,
        sorted({o.name for o in journey.owners}),
        sorted({tp.channel for tp in journey.touchpoints if tp.channel}),
        counts,
        hint,
        state.undo_by,
        state.redo_by,
    )


def save(
    workspace: Workspace,
    journey_id: int,
    version: int | None,
    label: str,
    change: Callable[[Journey], Journey],
    who: str = "",
) -> None:
    """One undoable edit of the stored journey by ``who`` (ConflictError when someone saved it since ``version``)."""
    state = workspace.journey(int(journey_id))
    workspace.save_journey(state.id, change(state.journey), label, version, who)


def quick_preview(journey: Journey, text: str | None, connect: bool) -> tuple[str, str]:
    """What a typed or pasted list would add to the journey, in a line, and the connections it would make as
    chains of names ("A → B → C"); both empty without text. A JourneyError names the lines that are wrong."""
    rows = quickadd.parse(text or "")
    if not rows:
        return "", ""
    after, summary = quickadd.apply(journey, rows, connect)
    return quickadd.describe(summary, connect), chains(after, after.edges[len(journey.edges) :])


def quick_add(
    workspace: Workspace, journey_id: int, version: int | None, text: str | None, connect: bool, who: str = ""
) -> str:
    """Add a typed or pasted list to the stored journey as one undoable edit; the edit's label, or "" when the
    journey has everything on the list already (nothing is saved). ConflictError when someone saved it since
    ``version``; a JourneyError names the lines that are wrong."""
    rows = quickadd.parse(text or "")
    if not rows:
        raise JourneyError(_("Type or paste the touchpoints first, one a line."))
    state = workspace.journey(int(journey_id))
    journey, summary = quickadd.apply(state.journey, rows, connect)
    if journey == state.journey:  # everything listed is there already (a filled-in owner or channel is a change)
        return ""
    label = _("Quick add: {summary}").format(summary=quickadd.describe(summary, connect))
    workspace.save_journey(state.id, journey, label, version, who)
    return label


def chains(journey: Journey, edges: Iterable[jm.Edge], most: int = 40) -> str:
    """Edges as chains of touchpoint names: "A → B → C; D → E" (a chain goes on while each edge starts where the
    last one ended), cut with "…" after ``most`` names."""
    names = {tp.key: tp.name for tp in journey.touchpoints}
    runs: list[list[str]] = []
    for edge in edges:
        if runs and runs[-1][-1] == edge.source:
            runs[-1].append(edge.target)
        else:
            runs.append([edge.source, edge.target])
    text, shown = [], 0
    for run in runs:
        if shown + len(run) > most:
            room = most - shown
            text.append(" → ".join(names[k] for k in run[:room]) + " → …" if room > 1 else "…")
            break
        text.append(" → ".join(names[k] for k in run))
        shown += len(run)
    return "; ".join(text)


def undo_redo(workspace: Workspace, journey_id: int, version: int | None, undo: bool) -> str:
    """Step back (``undo``) or forward through the journey's edits; the label of the edit stepped over."""
    state = (workspace.undo if undo else workspace.redo)(int(journey_id), version)
    return (state.redo_label if undo else state.undo_label) or ""


def create_project(workspace: Workspace, name: str | None) -> int:
    """A new project (its name checked); its id."""
    return workspace.create_project(name or "")


def rename_project(workspace: Workspace, project_id: int, name: str | None) -> None:
    """Rename a project."""
    workspace.rename_project(int(project_id), name or "")


def delete_project(workspace: Workspace, project_id: int) -> None:
    """Delete a project with all its journeys."""
    workspace.delete_project(int(project_id))


def delete_journey(workspace: Workspace, journey_id: int) -> None:
    """Delete a journey with its history."""
    workspace.delete_journey(int(journey_id))


def create_journey(workspace: Workspace, project_id: int, journey: Journey) -> int:
    """Store a new journey in the project; its id."""
    return workspace.create_journey(int(project_id), journey)


def parse_number(text: object, what: str) -> float | None:
    """A number typed by a user: blank is none, a decimal comma is fine, anything else is a JourneyError."""
    typed = str(text if text is not None else "").strip()
    if not typed:
        return None
    try:
        value = formatting.decimal(typed)
    except ValueError:
        raise JourneyError(_("{what}: “{text}” is not a number.").format(what=what, text=typed)) from None
    if not math.isfinite(value):
        raise JourneyError(_("{what}: “{text}” is not a finite number.").format(what=what, text=typed))
    return value


def parse_targets(typed: Mapping[str, object]) -> dict[str, float]:
    """A touchpoint's targets as typed per metric, blanks left out; a JourneyError names the metric of a bad one."""
    found = {key: parse_number(typed.get(key), metrics.NAMES[key]) for key in TARGETS}
    return {key: value for key, value in found.items() if value is not None}


def update_edge(source: str, target: str, share: object, volume: object) -> Callable[[Journey], Journey]:
    """The edit storing a connection's share (typed in percent) and volume (a JourneyError names a bad number)."""
    percent, count = parse_number(share, _("Share")), parse_number(volume, _("Volume"))
    return lambda journey: jm.update_edge(journey, source, target, None if percent is None else percent / 100, count)


def owner_name(typed: str | None) -> str | None:
    """An owner as typed, blanks collapsed; None for none."""
    return " ".join((typed or "").split()) or None


def add_touchpoint(
    name: str | None, stage: str, channel: str | None, owner: str | None
) -> Callable[[Journey], Journey]:
    """The edit adding a touchpoint into ``stage``."""
    return lambda journey: jm.add_touchpoint(
        journey, name or "", stage, channel=(channel or "").strip(), owner=owner_name(owner)
    )[0]


def update_touchpoint(
    key: str,
    *,
    name: str | None,
    stage: str,
    channel: str | None,
    owner: str | None,
    kind: str,
    entry: bool,
    typed_targets: Mapping[str, object],
    notes: str | None,
) -> Callable[[Journey], Journey]:
    """The edit storing the side panel's fields on a touchpoint (a JourneyError names a target that is no number)."""
    fields = dict(
        name=name or "",
        stage=stage,
        channel=(channel or "").strip(),
        kind=kind,
        entry=bool(entry),
        owner=owner_name(owner),
        targets=parse_targets(typed_targets),
        notes=notes or "",
    )
    return lambda journey: jm.update_touchpoint(journey, key, **fields)


def same_stage_name(journey: Journey, key: str, name: str | None) -> bool:
    """The stage already has this name (blanks collapsed): a rename that changes nothing."""
    return any(s.key == key and s.name == " ".join(str(name or "").split()) for s in journey.stages)


@dataclass(frozen=True)
class Connections:
    """A touchpoint's connections as its panel lists them, and where it can be connected next."""

    outgoing: list[tuple[str, str]]  # (target key, "→ Delivery (70%)")
    choices: list[tuple[str, str]]  # (name, key) of touchpoints not yet connected from it


def connections(journey: Journey, key: str) -> Connections:
    """The touchpoint's outgoing connections with their shares, and the touchpoints it could connect to."""
    names = {tp.key: tp.name for tp in journey.touchpoints}
    outgoing = [e for e in journey.edges if e.source == key]
    linked = {e.target for e in outgoing}
    return Connections(
        [
            (
                e.target,
                f"→ {names[e.target]}"
                if e.share is None
                else _("→ {name} ({share})").format(name=names[e.target], share=share_text(e.share)),
            )
            for e in outgoing
        ],
        [(tp.name, tp.key) for tp in journey.touchpoints if tp.key not in linked and tp.key != key],
    )


def share_text(share: float) -> str:
    """A connection's share, short for a map or a list: 0.3 as '30%' (the reader's digits, the sign kept close)."""
    return f"{formatting.number(share * 100)}%"


def shown(value: float | None) -> str:
    """A stored number as the side panel shows it (4.0 as 4)."""
    return "" if value is None else f"{value:.12g}"


def moves(journey: Journey, dropped: Mapping[str, tuple[float, float]]) -> tuple[dict, str, bool] | None:
    """Touchpoints dropped away from where they are stored, the edit's label, and whether any changed stage;
    None when nothing moved."""
    stored = {tp.key: (tp.x, tp.y) for tp in journey.touchpoints}
    changed = {key: xy for key, xy in dropped.items() if key in stored and (_away(stored[key], xy))}
    if not changed:
        return None
    names = ", ".join(journey.touchpoint(k).name for k in list(changed)[:3])
    after = jm.drop_touchpoints(journey, changed)
    restaged = [tp for tp in after.touchpoints if tp.stage != journey.touchpoint(tp.key).stage]
    stage_names = {s.key: s.name for s in journey.stages}
    if not restaged:
        return changed, _("Move {names}").format(names=names), False
    joined = "; ".join(
        _("“{name}” now in stage “{stage}”").format(name=tp.name, stage=stage_names[tp.stage]) for tp in restaged
    )
    return changed, _("Move {names}; {restaged}").format(names=names, restaged=joined), True


def _away(stored: tuple[float | None, float | None], dropped: tuple[float, float]) -> bool:
    """A drop away from the stored position (a touchpoint never placed is always moved)."""
    x, y = stored
    return x is None or y is None or abs(x - dropped[0]) > MOVED or abs(y - dropped[1]) > MOVED


def deletion_text(journey: Journey, keys: list[str], pairs: list[tuple[str, str]]) -> str:
    """What deleting these touchpoints and connections would delete, in a sentence that asks."""
    names = {tp.key: tp.name for tp in journey.touchpoints}
    touchpoints = ngettext("{n} touchpoint: {names}", "{n} touchpoints: {names}", len(keys)).format(
        n=formatting.count(len(keys)), names=", ".join(names.get(k, k) for k in keys)
    )
    connections = ngettext("{n} connection", "{n} connections", len(pairs)).format(n=formatting.count(len(pairs)))
    if keys and pairs:
        return _(
            "Delete {touchpoints} and {connections}? Their connections go too. Undo brings everything back."
        ).format(touchpoints=touchpoints, connections=connections)
    if keys:
        return _("Delete {touchpoints}? Their connections go too. Undo brings everything back.").format(
            touchpoints=touchpoints
        )
    return _("Delete {connections}? Undo brings it back.").format(connections=connections)


def delete_selection(keys: Iterable[str], pairs: Iterable[tuple[str, str]]) -> Callable[[Journey], Journey]:
    """The edit deleting touchpoints (with their connections) and connections."""
    keys = list(keys)
    remaining = [(p[0], p[1]) for p in pairs if p[0] not in keys and p[1] not in keys]
    return lambda journey: jm.delete_touchpoints(jm.delete_edges(journey, remaining), keys)


def renamed(name: str) -> Callable[[Journey], Journey]:
    """The edit giving the journey a new name."""
    return lambda journey: rename_journey(journey, name or "")


def follow_rename(workspace: Workspace, project_id: int, old: str, new: str, who: str = "") -> int:
    """Point the project's to-be versions drawn from the journey once named ``old`` at its new name (each an undoable
    edit of its own); how many there were."""
    followed = 0
    for info in workspace.journeys(int(project_id)):
        state = workspace.journey(info.id)
        if old != new and state.journey.based_on == old:
            label = _("Drawn from “{name}”").format(name=new)
            workspace.save_journey(info.id, replace(state.journey, based_on=new), label, state.version, who)
            followed += 1
    return followed


def template_choices() -> list[tuple[str, str]]:
    """The journey templates as (what the list shows, key), by name."""
    return [
        (
            _("{name} — {touchpoints}, {stages}").format(
                name=t.name,
                touchpoints=ngettext("{n} touchpoint", "{n} touchpoints", t.touchpoints).format(
                    n=formatting.count(t.touchpoints)
                ),
                stages=ngettext("{n} stage", "{n} stages", t.stages).format(n=formatting.count(t.stages)),
            ),
            t.key,
        )
        for t in templates.list_templates()
    ]


def read_upload(contents: str | None, filename: str | None = None) -> str:
    """An uploaded journey file's text, refused before it is decoded when it is over the journey file limit (as
    ``cxwb journey import`` refuses it); a JourneyError says what is wrong."""
    if not contents:
        raise JourneyError(_("Choose a YAML file first."))
    try:
        return uploads.text(contents, filename or "", limits.DOCUMENT_BYTES)
    except ValueError as exc:  # over the limit, unreadable, or not UTF-8: said by the one decoder
        raise JourneyError(str(exc)) from None


def new_journey(
    source: str,
    name: str | None,
    template_key: str | None = None,
    contents: str | None = None,
    filename: str | None = None,
) -> Journey:
    """A journey from a template, an uploaded YAML file or nothing, under ``name`` when one is given."""
    if source == "template":
        journey = templates.load_template(template_key or "")
    elif source == "file":
        journey = journeyfile.loads(read_upload(contents, filename), filename or "")
    else:
        journey = Journey(name=name or "")
    return rename_journey(journey, name) if name and name.strip() else journey


def yaml_file(workspace: Workspace, journey_id: int) -> tuple[str, str]:
    """The journey as a YAML document (only owners it uses) and its file name."""
    journey = jm.used_owners(stored(workspace, journey_id))
    return journeyfile.dumps(journey), f"{jm.slugify(journey.name)}.yaml"
