"""The journey model: stages, touchpoints with owners, edges; graph checks, layout and edits.

Everything here is pure: functions take a :class:`Journey` and return a new one (or plain data).
Persistence lives in :mod:`workbench.repos.workspace`, files in :mod:`workbench.core.journeyfile`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from workbench.core import formatting, metrics
from workbench.core.i18n import N_, Labels, ngettext
from workbench.core.i18n import gettext as _

if TYPE_CHECKING:
    import networkx as nx

KINDS = ("touchpoint", "decision", "outcome")
STATES = ("", "as-is", "to-be")  # a journey version's role; "" is a journey not marked either way
MAX_PERSONAS, MAX_LANES = 20, 10  # a journey's personas and free lanes: what a map and a slide can still show
MAX_LANE_LINES = 20  # pain points, opportunities or backstage processes of one touchpoint
MAX_LANE_TEXT = 4000  # characters of one text of the map (as the page's boxes allow)
TEXT_LANES = ("does", "thinks", "feels")  # what the customer does, thinks and feels at a touchpoint
LIST_LANES = ("pains", "opportunities")  # pain points and opportunities, one line each
BUILT_IN_LANES = (*TEXT_LANES, *LIST_LANES, "backstage")
OWNER_KINDS = ("team", "person")
METRIC_RANGES: dict[str, tuple[float, float]] = metrics.RANGES  # a target is a score on its metric's scale
MAX_VOLUME = 1e12
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Auto-layout geometry (model coordinates, pixels at zoom 1); nodes are drawn 150 x 62.
NODE_SPACING_X = 180.0
LANE_HEIGHT = 95.0
STAGE_GAP = 60.0
CELL_COLUMNS = 2


class JourneyError(ValueError):
    """An edit or a journey definition that breaks the model's rules."""


@dataclass(frozen=True)
class Stage:
    """One ordered phase of the journey (a column on the map)."""

    key: str
    name: str


@dataclass(frozen=True)
class Owner:
    """A team or person accountable for touchpoints."""

    name: str
    kind: str = "team"


@dataclass(frozen=True)
class Persona:
    """A customer type the journey is for; ``segment`` picks its rows in the data (column -> value)."""

    key: str
    name: str
    description: str = ""
    segment: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Support:
    """A backstage process behind a touchpoint (the service blueprint's lower lanes), with who runs it."""

    text: str
    owner: str = ""


@dataclass(frozen=True)
class Lanes:
    """What the journey map shows under a touchpoint: the customer's side, pains, opportunities, backstage."""

    does: str = ""
    thinks: str = ""
    feels: str = ""
    pains: tuple[str, ...] = ()
    opportunities: tuple[str, ...] = ()
    backstage: tuple[Support, ...] = ()
    custom: Mapping[str, str] = field(default_factory=dict)  # the journey's own lanes, by name

    def empty(self) -> bool:
        """True when no lane holds anything."""
        return not (
            any(getattr(self, name) for name in TEXT_LANES + LIST_LANES) or self.backstage or any(self.custom.values())
        )


@dataclass(frozen=True)
class Touchpoint:
    """A node of the journey: a moment where the customer meets the company."""

    key: str
    name: str
    stage: str
    channel: str = ""
    owner: str | None = None
    kind: str = "touchpoint"
    entry: bool = False
    targets: Mapping[str, float] = field(default_factory=dict)
    x: float | None = None
    y: float | None = None
    notes: str = ""
    lanes: Lanes = field(default_factory=Lanes)


@dataclass(frozen=True)
class Edge:
    """A move of customers from one touchpoint to another, with optional share/volume."""

    source: str
    target: str
    share: float | None = None
    volume: float | None = None


@dataclass(frozen=True)
class Journey:
    """A whole journey: ordered stages, the owners it uses, touchpoints and edges."""

    name: str
    description: str = ""
    stages: tuple[Stage, ...] = ()
    owners: tuple[Owner, ...] = ()
    touchpoints: tuple[Touchpoint, ...] = ()
    edges: tuple[Edge, ...] = ()
    personas: tuple[Persona, ...] = ()
    lanes: tuple[str, ...] = ()  # names of the free lanes the user added, in order
    state: str = ""  # one of STATES
    based_on: str = ""  # the name of the journey a to-be version was drawn from

    def touchpoint(self, key: str) -> Touchpoint:
        """Return the touchpoint with this key."""
        for tp in self.touchpoints:
            if tp.key == key:
                return tp
        raise JourneyError(_("No touchpoint with key '{key}'.").format(key=key))

    def stage_index(self) -> dict[str, int]:
        """Map stage key to its position in the stage order."""
        return {stage.key: i for i, stage in enumerate(self.stages)}


@dataclass(frozen=True)
class JourneyWarning:
    """A problem of the journey's shape shown to the user (the journey is still valid)."""

    code: str
    message: str
    keys: tuple[str, ...] = ()


# ---------------------------------------------------------------- keys


KEY_LENGTH = 60  # a key made from a name is cut here: keys are stored in 100 characters, with room for '-2'


def slugify(text: str) -> str:
    """Turn a name into a lowercase ASCII key (diacritics folded, words joined by '-', at most KEY_LENGTH long)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:KEY_LENGTH].rstrip("-") or "item"


def unique_key(name: str, taken: Iterable[str]) -> str:
    """Return a slug of ``name`` that is not in ``taken`` (suffixing -2, -3, … if needed)."""
    taken = set(taken)
    base = slugify(name)
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


# ---------------------------------------------------------------- validation


def validate(journey: Journey) -> None:
    """Raise :class:`JourneyError` listing every rule the journey breaks."""
    problems: list[str] = []
    if not journey.name.strip():
        problems.append(_("The journey needs a name."))
    stage_keys = [s.key for s in journey.stages]
    problems += [_("Duplicate stage key '{value}'.").format(value=v) for v in _duplicates(stage_keys)]
    for stage in journey.stages:
        if not KEY_PATTERN.match(stage.key):
            problems.append(_("Stage key '{key}' must be lowercase letters, digits and dashes.").format(key=stage.key))
        if not stage.name.strip():
            problems.append(_("Stage '{key}' needs a name.").format(key=stage.key))
    owner_names = [o.name for o in journey.owners]
    problems += [_("Duplicate owner '{value}'.").format(value=v) for v in _duplicates(owner_names)]
    for owner in journey.owners:
        if owner.kind not in OWNER_KINDS:
            problems.append(
                _("Owner '{name}' has kind '{kind}'; use one of {kinds}.").format(
                    name=owner.name, kind=owner.kind, kinds=", ".join(OWNER_KINDS)
                )
            )
        if not owner.name.strip():
            problems.append(_("An owner needs a name."))
    tp_keys = [t.key for t in journey.touchpoints]
    problems += [_("Duplicate touchpoint key '{value}'.").format(value=v) for v in _duplicates(tp_keys)]
    for tp in journey.touchpoints:
        problems += [
            _("Touchpoint '{key}': {problem}").format(key=tp.key, problem=p)
            for p in touchpoint_problems(tp, stage_keys, owner_names)
        ]
    known = set(tp_keys)
    pairs = [(e.source, e.target) for e in journey.edges]
    problems += [_("Duplicate edge '{value}'.").format(value=v) for v in _duplicates([f"{s} → {t}" for s, t in pairs])]
    for edge in journey.edges:
        problems += [
            _("Edge {source} → {target}: {problem}").format(source=edge.source, target=edge.target, problem=p)
            for p in edge_problems(edge, known)
        ]
    problems += map_problems(journey)
    if problems:
        raise JourneyError("\n".join(problems))


def map_problems(journey: Journey) -> list[str]:
    """Return what is wrong with the journey map's personas, lanes and version state (empty list if nothing)."""
    problems: list[str] = []
    if journey.state not in STATES:
        problems.append(
            _("The version state '{state}' is not one of {states}.").format(
                state=journey.state, states=", ".join(s for s in STATES if s)
            )
        )
    problems += [
        _("Duplicate persona key '{value}'.").format(value=v) for v in _duplicates([p.key for p in journey.personas])
    ]
    for persona in journey.personas:
        if not KEY_PATTERN.match(persona.key):
            problems.append(
                _("Persona key '{key}' must be lowercase letters, digits and dashes.").format(key=persona.key)
            )
        if not persona.name.strip():
            problems.append(_("Persona '{key}' needs a name.").format(key=persona.key))
        if any(not str(column).strip() or not str(value).strip() for column, value in persona.segment.items()):
            problems.append(_("Persona '{key}': each segment rule needs a column and a value.").format(key=persona.key))
    problems += [_("Duplicate lane '{value}'.").format(value=v) for v in _duplicates(list(journey.lanes))]
    # A free lane may not take a built-in lane's key or English title: the same in every language, so a journey
    # valid for one reader is valid for all (a translated title is only a confusing name, not an error).
    reserved = {name.casefold() for name in BUILT_IN_LANES} | {LANE_TITLES.source(n).casefold() for n in BUILT_IN_LANES}
    for lane in journey.lanes:
        if not lane.strip():
            problems.append(_("A lane needs a name."))
        elif lane.casefold() in reserved:
            problems.append(_("The lane '{name}' is one of the built-in lanes.").format(name=lane))
    if len(journey.personas) > MAX_PERSONAS or len(journey.lanes) > MAX_LANES:
        problems.append(
            _("A journey holds at most {personas} personas and {lanes} lanes of its own.").format(
                personas=MAX_PERSONAS, lanes=MAX_LANES
            )
        )
    texts, known = [journey.based_on, *journey.lanes], set(journey.lanes)
    texts += [t for p in journey.personas for t in (p.name, p.description, *p.segment, *p.segment.values())]
    for tp in journey.touchpoints:
        lanes = tp.lanes
        texts += [lanes.does, lanes.thinks, lanes.feels, *lanes.pains, *lanes.opportunities, *lanes.custom.values()]
        texts += [t for s in lanes.backstage for t in (s.text, s.owner)]
        if max(len(lanes.pains), len(lanes.opportunities), len(lanes.backstage)) > MAX_LANE_LINES:
            problems.append(
                _("Touchpoint '{key}': a lane holds at most {n} lines.").format(key=tp.key, n=MAX_LANE_LINES)
            )
        problems += _lane_problems(tp, known)
    if any(len(text) > MAX_LANE_TEXT for text in texts):
        problems.append(
            _("A text of the journey map is longer than {n} characters.").format(n=formatting.count(MAX_LANE_TEXT))
        )
    return problems


def _lane_problems(tp: Touchpoint, known: set[str]) -> list[str]:
    """What is wrong with one touchpoint's lanes: a lane the journey does not have, an empty line."""
    problems = []
    for lane in tp.lanes.custom:
        if lane not in known:
            problems.append(
                _("Touchpoint '{key}': the lane '{lane}' is not one of the journey's lanes.").format(
                    key=tp.key, lane=lane
                )
            )
    if any(not line.strip() for line in tp.lanes.pains + tp.lanes.opportunities):
        problems.append(_("Touchpoint '{key}': a pain point or opportunity is empty.").format(key=tp.key))
    if any(not item.text.strip() for item in tp.lanes.backstage):
        problems.append(_("Touchpoint '{key}': a backstage process needs a description.").format(key=tp.key))
    return problems


LANE_TITLES = Labels(
    {
        "does": N_("Customer does"),
        "thinks": N_("Customer thinks"),
        "feels": N_("Customer feels"),
        "pains": N_("Pain points"),
        "opportunities": N_("Opportunities"),
        "backstage": N_("Backstage"),
    }
)


def touchpoint_problems(tp: Touchpoint, stage_keys: Iterable[str], owner_names: Iterable[str]) -> list[str]:
    """Return what is wrong with one touchpoint's fields (empty list if nothing)."""
    problems = []
    if not KEY_PATTERN.match(tp.key):
        problems.append(_("key must be lowercase letters, digits and dashes."))
    if not tp.name.strip():
        problems.append(_("needs a name."))
    if tp.stage not in set(stage_keys):
        problems.append(_("stage '{stage}' is not one of the journey's stages.").format(stage=tp.stage))
    if tp.owner is not None and tp.owner not in set(owner_names):
        problems.append(_("owner '{owner}' is not one of the listed owners.").format(owner=tp.owner))
    if tp.kind not in KINDS:
        problems.append(_("kind '{kind}' is not one of {kinds}.").format(kind=tp.kind, kinds=", ".join(KINDS)))
    for metric, value in tp.targets.items():
        if metric not in METRIC_RANGES:
            problems.append(
                _("target metric '{metric}' is not one of {metrics}.").format(
                    metric=metric, metrics=", ".join(METRIC_RANGES)
                )
            )
            continue
        low, high = METRIC_RANGES[metric]
        if not _is_number(value) or not low <= value <= high:
            problems.append(
                _("target {metric} = {value} is outside {low}..{high}.").format(
                    metric=metric, value=_figure(value), low=_figure(low), high=_figure(high)
                )
            )
    for axis, coordinate in (("x", tp.x), ("y", tp.y)):
        if coordinate is not None and not (_is_number(coordinate) and math.isfinite(coordinate)):
            problems.append(
                _("position {axis} = {value} is not a finite number.").format(axis=axis, value=_figure(coordinate))
            )
    return problems


def edge_problems(edge: Edge, touchpoint_keys: set[str]) -> list[str]:
    """Return what is wrong with one edge (empty list if nothing)."""
    problems = []
    for end in (edge.source, edge.target):
        if end not in touchpoint_keys:
            problems.append(_("touchpoint '{key}' does not exist.").format(key=end))
    if edge.source == edge.target:
        problems.append(_("a touchpoint cannot lead to itself; model a repeat through another touchpoint."))
    if edge.share is not None and not (_is_number(edge.share) and 0.0 <= edge.share <= 1.0):
        problems.append(_("share {share} must be between 0 and 1.").format(share=_figure(edge.share)))
    if edge.volume is not None and not (_is_number(edge.volume) and 0 <= edge.volume <= MAX_VOLUME):
        problems.append(
            _("volume {volume} must be a number from 0 to {most}.").format(
                volume=_figure(edge.volume), most=formatting.number(MAX_VOLUME)
            )
        )
    return problems


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def _figure(value: object) -> str:
    """A number as given, every digit kept, in the reader's marks (4.25 is '4,25' in Czech); else its repr."""
    if not _is_number(value) or not math.isfinite(value):  # type: ignore[arg-type]
        return repr(value)
    return formatting.shortest(value, 12)  # type: ignore[arg-type]


def _duplicates(values: list[str]) -> list[str]:
    seen: set[str] = set()
    repeated = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


# ---------------------------------------------------------------- graph and checks


def to_graph(journey: Journey) -> nx.DiGraph:
    """Return the journey as a ``networkx.DiGraph`` with touchpoint fields as node attributes."""
    import networkx as nx

    graph = nx.DiGraph(name=journey.name)
    order = journey.stage_index()
    for tp in journey.touchpoints:
        graph.add_node(
            tp.key,
            name=tp.name,
            stage=tp.stage,
            stage_index=order.get(tp.stage, -1),
            channel=tp.channel,
            owner=tp.owner,
            kind=tp.kind,
            entry=tp.entry,
        )
    for edge in journey.edges:
        graph.add_edge(edge.source, edge.target, share=edge.share, volume=edge.volume)
    return graph


def entries(journey: Journey) -> list[str]:
    """Keys where customers enter: flagged entries, else sources of the earliest stage, else all sources."""
    flagged = [tp.key for tp in journey.touchpoints if tp.entry]
    if flagged:
        return flagged
    if not journey.touchpoints:
        return []
    has_incoming = {e.target for e in journey.edges if e.source != e.target}
    order = journey.stage_index()
    sources = [tp for tp in journey.touchpoints if tp.key not in has_incoming]
    if sources:
        first = min(order.get(tp.stage, 0) for tp in sources)
        return [tp.key for tp in sources if order.get(tp.stage, 0) == first]
    return [journey.touchpoints[0].key]


def is_backward(journey: Journey, edge: Edge) -> bool:
    """True if the edge leads to an earlier stage (a loop back across stages)."""
    order = journey.stage_index()
    stage_of = {tp.key: tp.stage for tp in journey.touchpoints}
    return order[stage_of[edge.target]] < order[stage_of[edge.source]]


def check(journey: Journey) -> list[JourneyWarning]:
    """Return the shape warnings: unreachable, dead ends, backward edges, shares over 100 %, duplicate names, no owner."""
    import networkx as nx

    graph = to_graph(journey)
    names = {tp.key: tp.name for tp in journey.touchpoints}
    warnings: list[JourneyWarning] = []

    starts = entries(journey)
    reachable: set[str] = set(starts)
    for start in starts:
        reachable |= nx.descendants(graph, start)
    for tp in journey.touchpoints:
        if tp.key not in reachable:
            warnings.append(
                JourneyWarning(
                    "unreachable",
                    _("“{name}” cannot be reached from the journey's entry.").format(name=tp.name),
                    (tp.key,),
                )
            )
    for tp in journey.touchpoints:
        leaves = [t for t in graph.successors(tp.key) if t != tp.key]
        if not leaves and tp.kind != "outcome":
            warnings.append(
                JourneyWarning(
                    "dead_end",
                    _("“{name}” is a dead end but not marked as an outcome.").format(name=tp.name),
                    (tp.key,),
                )
            )
    for edge in journey.edges:
        if is_backward(journey, edge):
            warnings.append(
                JourneyWarning(
                    "backward_edge",
                    _("“{source}” → “{target}” goes back to an earlier stage (a loop).").format(
                        source=names[edge.source], target=names[edge.target]
                    ),
                    (edge.source, edge.target),
                )
            )
    shares: dict[str, float] = {}
    for edge in journey.edges:
        shares[edge.source] = shares.get(edge.source, 0.0) + (edge.share or 0.0)
    for key, total in shares.items():
        if total > 1.0 + 1e-9:
            warnings.append(
                JourneyWarning(
                    "shares_over_100",
                    _("The shares leaving “{name}” add up to {total}, more than {limit}.").format(
                        name=names[key], total=formatting.percent(total * 100), limit=formatting.percent(100)
                    ),
                    (key,),
                )
            )
    by_name: dict[str, list[str]] = {}
    for tp in journey.touchpoints:
        by_name.setdefault(" ".join(tp.name.casefold().split()), []).append(tp.key)
    for keys in by_name.values():
        if len(keys) > 1:
            warnings.append(
                JourneyWarning(
                    "duplicate_name",
                    ngettext(
                        "{n} touchpoint is named “{name}”.", "{n} touchpoints are named “{name}”.", len(keys)
                    ).format(n=formatting.count(len(keys)), name=names[keys[0]]),
                    tuple(keys),
                )
            )
    for tp in journey.touchpoints:
        if tp.owner is None and tp.kind != "outcome":
            warnings.append(JourneyWarning("no_owner", _("“{name}” has no owner.").format(name=tp.name), (tp.key,)))
    return warnings


# ---------------------------------------------------------------- layout


def channel_lanes(journey: Journey) -> list[str]:
    """Channels in the order they first appear along the stages (one lane each; '' last)."""
    order = journey.stage_index()
    lanes: list[str] = []
    for tp in sorted(journey.touchpoints, key=lambda t: order.get(t.stage, 0)):
        if tp.channel not in lanes:
            lanes.append(tp.channel)
    if "" in lanes:
        lanes.remove("")
        lanes.append("")
    return lanes


def auto_layout(journey: Journey) -> Journey:
    """Place touchpoints with stages as columns and channels as lanes, in flow order within a cell.

    A cell (stage × channel) holds at most ``CELL_COLUMNS`` nodes side by side and wraps onto more
    rows, so a long run of web steps does not stretch the map sideways.
    """
    lanes = channel_lanes(journey)
    lane_of = {channel: i for i, channel in enumerate(lanes)}
    flow = flow_order(journey)
    cells: dict[tuple[str, int], list[Touchpoint]] = {}
    for tp in sorted(journey.touchpoints, key=lambda t: flow[t.key]):
        cells.setdefault((tp.stage, lane_of[tp.channel]), []).append(tp)
    rows = [
        max((math.ceil(len(v) / CELL_COLUMNS) for (_, lane), v in cells.items() if lane == i), default=1)
        for i in range(len(lanes))
    ]
    lane_top = [sum(rows[:i]) * LANE_HEIGHT for i in range(len(lanes))]
    positions: dict[str, tuple[float, float]] = {}
    left = 0.0
    for stage in journey.stages:
        width = min(CELL_COLUMNS, max((len(v) for (s, _), v in cells.items() if s == stage.key), default=1))
        for (stage_key, lane), members in cells.items():
            if stage_key != stage.key:
                continue
            for i, tp in enumerate(members):
                row, column = divmod(i, CELL_COLUMNS)
                in_row = min(CELL_COLUMNS, len(members) - row * CELL_COLUMNS)
                x = left + (column + (width - in_row) / 2) * NODE_SPACING_X
                positions[tp.key] = (x, lane_top[lane] + row * LANE_HEIGHT)
        left += width * NODE_SPACING_X + STAGE_GAP
    return move_touchpoints(journey, positions)


NODE_WIDTH, NODE_HEIGHT = 150.0, 62.0  # a touchpoint as drawn, in model coordinates
EDGE_CLEARANCE = 10.0  # pixels a bent edge keeps from a box it passes
MAX_BEND = 1200.0  # the farthest a control point is moved from the straight line
BEND_STEP = 15.0
BEND_BATCH = 16  # candidate bends tried at once
BEND_LIMIT = 120  # touchpoints up to which edges are bent (about 0.1 s of a redraw at 60 touchpoints, 117 edges)
CURVE_SAMPLES = 40


def edge_bends(journey: Journey) -> dict[tuple[str, str], float]:
    """How far to bend each edge that would pass through an unrelated touchpoint on its straight way: the signed
    distance of a quadratic curve's control point from the straight line's middle (cytoscape's unbundled-bezier,
    weight 0.5; positive to the left of the direction of travel in model coordinates, y pointing down).

    The curve is drawn as cytoscape draws it (from box border to box border through the control point) and bent by
    the least that passes through the fewest other boxes, each widened by :data:`EDGE_CLEARANCE`: none, where any
    bend up to :data:`MAX_BEND` finds a way. Edges whose ends are not placed, and edges with nothing in their way,
    are left out.
    """
    import numpy as np

    placed = {t.key: (t.x, t.y) for t in journey.touchpoints if t.x is not None and t.y is not None}
    if not 3 <= len(placed) <= BEND_LIMIT:  # beyond the limit the map is drawn straight: a redraw stays quick
        return {}
    keys = list(placed)
    centres = np.array([placed[k] for k in keys], dtype=float)
    candidates = np.concatenate(
        [[0.0], np.arange(BEND_STEP, MAX_BEND + 1, BEND_STEP).repeat(2) * np.tile([1, -1], int(MAX_BEND // BEND_STEP))]
    )
    t = np.linspace(0, 1, CURVE_SAMPLES + 2)[1:-1][None, :]  # one row of samples per candidate bend
    bends: dict[tuple[str, str], float] = {}
    for edge in journey.edges:
        if edge.source == edge.target or edge.source not in placed or edge.target not in placed:
            continue
        (x0, y0), (x1, y1) = placed[edge.source], placed[edge.target]
        length = math.hypot(x1 - x0, y1 - y0)
        if length < 1:
            continue
        nx, ny = (y1 - y0) / length, -(x1 - x0) / length  # the left normal, y pointing down
        boxes = centres[[k not in (edge.source, edge.target) for k in keys]]
        fewest, best = len(boxes) + 1, 0.0
        # The straight line first (most edges), then bends from the smallest outwards, a batch at a time.
        for batch in [candidates[:1]] + [candidates[i : i + BEND_BATCH] for i in range(1, len(candidates), BEND_BATCH)]:
            cx = (x0 + x1) / 2 + batch * nx
            cy = (y0 + y1) / 2 + batch * ny
            sx, sy = _border(x0, y0, cx, cy)
            tx, ty = _border(x1, y1, cx, cy)
            cx, cy, sx, sy, tx, ty = (v[:, None] for v in (cx, cy, sx, sy, tx, ty))
            xs = (1 - t) ** 2 * sx + 2 * t * (1 - t) * cx + t**2 * tx
            ys = (1 - t) ** 2 * sy + 2 * t * (1 - t) * cy + t**2 * ty
            inside = (np.abs(xs[:, :, None] - boxes[None, None, :, 0]) < NODE_WIDTH / 2 + EDGE_CLEARANCE) & (
                np.abs(ys[:, :, None] - boxes[None, None, :, 1]) < NODE_HEIGHT / 2 + EDGE_CLEARANCE
            )
            crossed = inside.any(axis=1).sum(axis=1)  # boxes met, per candidate bend
            first = int(np.argmin(crossed))  # the first of the fewest
            if crossed[first] < fewest:
                fewest, best = int(crossed[first]), float(batch[first])
            if fewest == 0:
                break
        if best:
            bends[(edge.source, edge.target)] = best
    return bends


def _border(x: float, y: float, towards_x, towards_y):
    """Where lines from a node's centre (x, y) towards points (arrays) leave the node's box."""
    import numpy as np

    dx, dy = towards_x - x, towards_y - y
    with np.errstate(divide="ignore"):
        scale = np.minimum(NODE_WIDTH / 2 / np.abs(dx), NODE_HEIGHT / 2 / np.abs(dy))
    scale = np.minimum(scale, 1.0)
    return x + scale * dx, y + scale * dy


def compact_layout(journey: Journey, rows: int = 5) -> Journey:
    """Place touchpoints in stage columns only (no channel lanes), in flow order, wrapping after ``rows``.

    A wide journey then fits a screen or a slide at a readable size; the drawn layout stays the editor's.
    """
    flow = flow_order(journey)
    positions: dict[str, tuple[float, float]] = {}
    left = 0.0
    for stage in journey.stages:
        members = sorted((tp for tp in journey.touchpoints if tp.stage == stage.key), key=lambda t: flow[t.key])
        columns = max(1, math.ceil(len(members) / rows))
        for i, tp in enumerate(members):
            column, row = divmod(i, rows)
            positions[tp.key] = (left + column * NODE_SPACING_X, row * LANE_HEIGHT)
        left += columns * NODE_SPACING_X + STAGE_GAP
    return move_touchpoints(journey, positions)


def stage_at(journey: Journey, key: str, x: float) -> str | None:
    """The stage whose column (the span of its other touchpoints) contains ``x``, if any."""
    for stage in journey.stages:
        xs = [t.x for t in journey.touchpoints if t.stage == stage.key and t.key != key and t.x is not None]
        if xs and min(xs) - NODE_SPACING_X / 2 <= x <= max(xs) + NODE_SPACING_X / 2:
            return stage.key
    return None


def stage_column_x(journey: Journey, stage_key: str) -> float:
    """The x where a new touchpoint of this stage goes: its members' mean, else after the last stage."""
    xs = [tp.x for tp in journey.touchpoints if tp.stage == stage_key and tp.x is not None]
    if xs:
        return sum(xs) / len(xs)
    placed = [(journey.stage_index()[tp.stage], tp.x) for tp in journey.touchpoints if tp.x is not None]
    index = journey.stage_index()[stage_key]
    before = [x for i, x in placed if i < index]
    after = [x for i, x in placed if i > index]
    if before:
        return max(before) + NODE_SPACING_X + STAGE_GAP
    if after:
        return min(after) - NODE_SPACING_X - STAGE_GAP
    return index * (NODE_SPACING_X + STAGE_GAP)


def _free_spot(journey: Journey, stage: str, channel: str) -> tuple[float, float]:
    """Where a new touchpoint goes: its stage's column, its channel's lane (a new lane below all)."""
    x = stage_column_x(journey, stage)
    placed = [(t.x, t.y, t.channel) for t in journey.touchpoints if t.y is not None]
    lane = [ty for _, ty, tc in placed if tc == channel]
    y = min(lane) if lane else (max(ty for _, ty, _ in placed) + LANE_HEIGHT if placed else 0.0)
    taken = [(tx, ty) for tx, ty, _ in placed if tx is not None]
    while any(abs(tx - x) < NODE_SPACING_X and abs(ty - y) < LANE_HEIGHT for tx, ty in taken):
        y += LANE_HEIGHT
    return x, y


def flow_order(journey: Journey) -> dict[str, int]:
    """Rank touchpoints by breadth-first order from the entries, unreached ones last."""
    successors: dict[str, list[str]] = {tp.key: [] for tp in journey.touchpoints}
    for edge in journey.edges:
        successors[edge.source].append(edge.target)
    rank: dict[str, int] = {}
    queue = list(entries(journey))
    while queue:
        key = queue.pop(0)
        if key in rank:
            continue
        rank[key] = len(rank)
        queue += successors[key]
    for tp in journey.touchpoints:
        rank.setdefault(tp.key, len(rank))
    return rank


# ---------------------------------------------------------------- edits


def add_stage(journey: Journey, name: str, after: str | None = None) -> tuple[Journey, str]:
    """Add a stage (at the end, or after stage ``after``); return the journey and the new key."""
    name = _clean_name(name, "stage")
    _require_new_stage_name(journey, name, None)
    key = unique_key(name, (s.key for s in journey.stages))
    stages = list(journey.stages)
    index = len(stages) if after is None else [s.key for s in stages].index(after) + 1
    stages.insert(index, Stage(key, name))
    return replace(journey, stages=tuple(stages)), key


def rename_stage(journey: Journey, key: str, name: str) -> Journey:
    """Give a stage a new display name (its key stays)."""
    name = _clean_name(name, "stage")
    _require_stage(journey, key)
    _require_new_stage_name(journey, name, key)
    return replace(journey, stages=tuple(Stage(s.key, name) if s.key == key else s for s in journey.stages))


def move_stage(journey: Journey, key: str, offset: int) -> Journey:
    """Move a stage ``offset`` places earlier (negative) or later (positive) in the order."""
    _require_stage(journey, key)
    stages = list(journey.stages)
    index = [s.key for s in stages].index(key)
    target = max(0, min(len(stages) - 1, index + offset))
    stages.insert(target, stages.pop(index))
    return replace(journey, stages=tuple(stages))


def delete_stage(journey: Journey, key: str) -> Journey:
    """Remove an empty stage; a stage that still holds touchpoints is refused."""
    stage = _require_stage(journey, key)
    held = [tp.name for tp in journey.touchpoints if tp.stage == key]
    if held:
        raise JourneyError(
            ngettext(
                "Stage “{name}” still holds {n} touchpoint; move or delete it first.",
                "Stage “{name}” still holds {n} touchpoints; move or delete them first.",
                len(held),
            ).format(name=stage.name, n=formatting.count(len(held)))
        )
    return replace(journey, stages=tuple(s for s in journey.stages if s.key != key))


def add_touchpoint(journey: Journey, name: str, stage: str, **fields: object) -> tuple[Journey, str]:
    """Add a touchpoint to a stage (placed at the bottom of its column); return journey and key."""
    name = _clean_name(name, "touchpoint")
    _require_stage(journey, stage)
    key = str(fields.pop("key", "") or unique_key(name, (t.key for t in journey.touchpoints)))
    if any(t.key == key for t in journey.touchpoints):
        raise JourneyError(_("A touchpoint with key '{key}' already exists.").format(key=key))
    if "x" not in fields or fields["x"] is None:
        fields["x"], fields["y"] = _free_spot(journey, stage, str(fields.get("channel", "")))
    journey = _with_owner(journey, fields.get("owner"))  # type: ignore[arg-type]
    tp = Touchpoint(key=key, name=name, stage=stage, **fields)  # type: ignore[arg-type]
    _raise_touchpoint_problems(name, touchpoint_problems(tp, journey.stage_index(), (o.name for o in journey.owners)))
    return replace(journey, touchpoints=journey.touchpoints + (tp,)), key


def update_touchpoint(journey: Journey, key: str, **changes: object) -> Journey:
    """Change fields of one touchpoint (a new owner name is added to the journey's owners)."""
    current = journey.touchpoint(key)
    if "name" in changes:
        changes["name"] = _clean_name(str(changes["name"]), "touchpoint")
    journey = _with_owner(journey, changes.get("owner", current.owner))  # type: ignore[arg-type]
    if changes.get("stage", current.stage) != current.stage and "x" not in changes:
        _require_stage(journey, str(changes["stage"]))
        others = replace(journey, touchpoints=tuple(t for t in journey.touchpoints if t.key != key))
        changes["x"], changes["y"] = _free_spot(
            others, str(changes["stage"]), str(changes.get("channel", current.channel))
        )
    updated = replace(current, **changes)  # type: ignore[arg-type]
    _raise_touchpoint_problems(
        updated.name, touchpoint_problems(updated, journey.stage_index(), (o.name for o in journey.owners))
    )
    return replace(journey, touchpoints=tuple(updated if t.key == key else t for t in journey.touchpoints))


def delete_touchpoints(journey: Journey, keys: Iterable[str]) -> Journey:
    """Remove touchpoints and every edge that touches them."""
    gone = set(keys)
    missing = gone - {t.key for t in journey.touchpoints}
    if missing:
        raise JourneyError(_("No touchpoint with key {keys}.").format(keys=", ".join(sorted(missing))))
    return replace(
        journey,
        touchpoints=tuple(t for t in journey.touchpoints if t.key not in gone),
        edges=tuple(e for e in journey.edges if e.source not in gone and e.target not in gone),
    )


def add_edge(
    journey: Journey, source: str, target: str, share: float | None = None, volume: float | None = None
) -> Journey:
    """Connect two touchpoints; a second edge between the same pair is refused."""
    if any(e.source == source and e.target == target for e in journey.edges):
        raise JourneyError(
            _("“{source}” is already connected to “{target}”.").format(
                source=journey.touchpoint(source).name, target=journey.touchpoint(target).name
            )
        )
    edge = Edge(source, target, share, volume)
    _raise_edge_problems(edge_problems(edge, {t.key for t in journey.touchpoints}))
    return replace(journey, edges=journey.edges + (edge,))


def update_edge(journey: Journey, source: str, target: str, share: float | None, volume: float | None) -> Journey:
    """Set an edge's share and volume."""
    _require_edge(journey, source, target)
    edge = Edge(source, target, share, volume)
    _raise_edge_problems(edge_problems(edge, {t.key for t in journey.touchpoints}))
    return replace(journey, edges=tuple(edge if (e.source, e.target) == (source, target) else e for e in journey.edges))


def delete_edges(journey: Journey, pairs: Iterable[tuple[str, str]]) -> Journey:
    """Remove the edges given as (source, target) pairs."""
    gone = set(pairs)
    for source, target in gone:
        _require_edge(journey, source, target)
    return replace(journey, edges=tuple(e for e in journey.edges if (e.source, e.target) not in gone))


def move_touchpoints(journey: Journey, positions: Mapping[str, tuple[float, float]]) -> Journey:
    """Set canvas positions of the given touchpoints."""
    return replace(
        journey,
        touchpoints=tuple(
            replace(t, x=float(positions[t.key][0]), y=float(positions[t.key][1])) if t.key in positions else t
            for t in journey.touchpoints
        ),
    )


def drop_touchpoints(journey: Journey, positions: Mapping[str, tuple[float, float]]) -> Journey:
    """Move touchpoints as dragged; one dropped into another stage's column joins that stage."""
    moved = move_touchpoints(journey, positions)
    for key, (x, _y) in positions.items():
        stage = stage_at(moved, key, x)
        if stage is not None and stage != moved.touchpoint(key).stage:
            moved = replace(
                moved, touchpoints=tuple(replace(t, stage=stage) if t.key == key else t for t in moved.touchpoints)
            )
    return moved


def set_lanes(journey: Journey, key: str, lanes: Lanes) -> Journey:
    """Put ``lanes`` under one touchpoint (lines trimmed, empty lines dropped)."""
    current = journey.touchpoint(key)
    clean = Lanes(
        does=lanes.does.strip(),
        thinks=lanes.thinks.strip(),
        feels=lanes.feels.strip(),
        pains=_lines(lanes.pains),
        opportunities=_lines(lanes.opportunities),
        backstage=tuple(
            Support(item.text.strip(), item.owner.strip()) for item in lanes.backstage if item.text.strip()
        ),
        custom={name: text.strip() for name, text in lanes.custom.items() if text.strip()},
    )
    updated = replace(
        journey, touchpoints=tuple(replace(t, lanes=clean) if t is current else t for t in journey.touchpoints)
    )
    _raise_map_problems(updated)
    return updated


def add_lane(journey: Journey, name: str) -> Journey:
    """Add a free lane (after the others) that every touchpoint can fill."""
    name = _clean_name(name, "lane")
    if name.casefold() in {lane.casefold() for lane in journey.lanes}:
        raise JourneyError(_("There is already a lane named '{name}'.").format(name=name))
    updated = replace(journey, lanes=(*journey.lanes, name))
    _raise_map_problems(updated)
    return updated


def delete_lane(journey: Journey, name: str) -> Journey:
    """Remove a free lane and what the touchpoints wrote in it."""
    if name not in journey.lanes:
        raise JourneyError(_("No lane named '{name}'.").format(name=name))
    return replace(
        journey,
        lanes=tuple(lane for lane in journey.lanes if lane != name),
        touchpoints=tuple(
            replace(t, lanes=replace(t.lanes, custom={k: v for k, v in t.lanes.custom.items() if k != name}))
            if name in t.lanes.custom
            else t
            for t in journey.touchpoints
        ),
    )


def set_persona(
    journey: Journey, name: str, description: str, segment: Mapping[str, str], key: str | None = None
) -> tuple[Journey, str]:
    """Add a persona (``key`` None) or change one; return the journey and the persona's key."""
    name = _clean_name(name, "persona")
    if key is None:
        key = unique_key(name, (p.key for p in journey.personas))
        personas = (*journey.personas, Persona(key, name, description.strip(), dict(segment)))
    else:
        if key not in {p.key for p in journey.personas}:
            raise JourneyError(_("No persona with key '{key}'.").format(key=key))
        personas = tuple(
            Persona(key, name, description.strip(), dict(segment)) if p.key == key else p for p in journey.personas
        )
    updated = replace(journey, personas=personas)
    _raise_map_problems(updated)
    return updated, key


def delete_persona(journey: Journey, key: str) -> Journey:
    """Remove a persona."""
    if key not in {p.key for p in journey.personas}:
        raise JourneyError(_("No persona with key '{key}'.").format(key=key))
    return replace(journey, personas=tuple(p for p in journey.personas if p.key != key))


def set_state(journey: Journey, state: str, based_on: str = "") -> Journey:
    """Mark the journey as the as-is or to-be version (``based_on``: the journey a to-be was drawn from)."""
    updated = replace(journey, state=state, based_on=based_on.strip() if state == "to-be" else "")
    _raise_map_problems(updated)
    return updated


def main_path(journey: Journey) -> list[str]:
    """The journey's main path, the one its experience curve is drawn along: from the first entry to an end, the
    path that goes through the most stages (the whole journey, not a drop-out), and among those the one most
    customers take (the product of the edges' shares; an edge without a share takes an equal part of what its
    siblings' shares leave). Loops back are not followed. A journey without edges is read in stage order.
    """
    if not journey.touchpoints:
        return []
    flow = flow_order(journey)
    order = journey.stage_index()
    if not journey.edges:
        return [t.key for t in sorted(journey.touchpoints, key=lambda t: (order.get(t.stage, 0), flow[t.key]))]
    rank = {t.key: (order.get(t.stage, 0), flow[t.key]) for t in journey.touchpoints}
    out: dict[str, list[Edge]] = {}
    for edge in journey.edges:
        if rank[edge.target] > rank[edge.source]:  # forward only: the path cannot loop
            out.setdefault(edge.source, []).append(edge)
    best: dict[str, tuple[int, float, list[str]]] = {}
    for key in sorted(rank, key=rank.__getitem__, reverse=True):  # targets before their sources
        options = [
            (
                best[e.target][0] + (rank[e.target][0] != rank[key][0]),
                best[e.target][1] + math.log(max(_share(e, out[key]), 1e-9)),
                -flow[e.target],
                best[e.target][2],
            )
            for e in out.get(key, [])
        ]
        if options:
            stages, weight, _first, rest = max(options, key=lambda o: o[:3])
            best[key] = (stages, weight, [key, *rest])
        else:
            best[key] = (0, 0.0, [key])
    return best[min(entries(journey), key=lambda k: flow[k])][2]


@dataclass(frozen=True)
class Comparison:
    """How a to-be version differs from its as-is journey, by touchpoint key."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: Mapping[str, tuple[str, ...]]  # key -> names of the fields that differ
    edges_added: tuple[tuple[str, str], ...]
    edges_removed: tuple[tuple[str, str], ...]


COMPARED_FIELDS = ("name", "stage", "channel", "owner", "kind", "targets", "lanes")


def compare(before: Journey, after: Journey) -> Comparison:
    """What ``after`` adds, removes and changes against ``before`` (touchpoints matched by key)."""
    old = {t.key: t for t in before.touchpoints}
    new = {t.key: t for t in after.touchpoints}
    changed = {
        key: fields
        for key in new
        if key in old and (fields := tuple(f for f in COMPARED_FIELDS if getattr(old[key], f) != getattr(new[key], f)))
    }
    old_edges = [(e.source, e.target) for e in before.edges]
    new_edges = [(e.source, e.target) for e in after.edges]
    old_set, new_set = set(old_edges), set(new_edges)
    return Comparison(
        added=tuple(k for k in new if k not in old),
        removed=tuple(k for k in old if k not in new),
        changed=changed,
        edges_added=tuple(p for p in new_edges if p not in old_set),
        edges_removed=tuple(p for p in old_edges if p not in new_set),
    )


def _share(edge: Edge, siblings: list[Edge]) -> float:
    """An edge's share of its source's customers; an edge without one gets an equal part of what the others leave."""
    if edge.share is not None:
        return edge.share
    given = sum(e.share for e in siblings if e.share is not None)
    return max(0.0, 1.0 - given) / sum(1 for e in siblings if e.share is None)


def _lines(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.strip() for v in values if v.strip())


def _raise_map_problems(journey: Journey) -> None:
    problems = map_problems(journey)
    if problems:
        raise JourneyError("\n".join(problems))


def used_owners(journey: Journey) -> Journey:
    """Keep only the owners some touchpoint refers to."""
    used = {t.owner for t in journey.touchpoints}
    return replace(journey, owners=tuple(o for o in journey.owners if o.name in used))


def _with_owner(journey: Journey, owner: str | None) -> Journey:
    if owner is None or any(o.name == owner for o in journey.owners):
        return journey
    if not str(owner).strip():
        raise JourneyError(_("An owner needs a name."))
    return replace(journey, owners=journey.owners + (Owner(str(owner)),))


_NAMELESS = Labels(
    {
        "stage": N_("The stage needs a name."),
        "touchpoint": N_("The touchpoint needs a name."),
        "lane": N_("A lane needs a name."),
        "persona": N_("The persona needs a name."),
    }
)


def _clean_name(name: str, what: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise JourneyError(_NAMELESS[what])
    return name


def _require_stage(journey: Journey, key: str) -> Stage:
    for stage in journey.stages:
        if stage.key == key:
            return stage
    raise JourneyError(_("No stage with key '{key}'.").format(key=key))


def _require_new_stage_name(journey: Journey, name: str, key: str | None) -> None:
    if any(s.name.casefold() == name.casefold() and s.key != key for s in journey.stages):
        raise JourneyError(_("A stage named “{name}” already exists.").format(name=name))


def _require_edge(journey: Journey, source: str, target: str) -> None:
    if not any(e.source == source and e.target == target for e in journey.edges):
        raise JourneyError(_("No edge {source} → {target}.").format(source=source, target=target))


def _raise_touchpoint_problems(name: str, problems: list[str]) -> None:
    if problems:
        raise JourneyError(
            "\n".join(_("Touchpoint “{name}”: {problem}").format(name=name, problem=p) for p in problems)
        )


def _raise_edge_problems(problems: list[str]) -> None:
    if problems:
        raise JourneyError("\n".join(_("Edge: {problem}").format(problem=p) for p in problems))
