"""Quick add: a pasted list of touchpoints, one a line, turned into stages, touchpoints and connections in one go.

A line is ``Stage: Touchpoint; owner; channel`` (owner and channel optional), or two to four TAB-separated cells as
Excel pastes them (stage, touchpoint, owner, channel). A line without a stage goes into the stage of the line
before (the journey's last stage for the first lines). Both steps are pure: :func:`parse` turns the text into
:class:`Row` s that keep their line numbers, :func:`apply` puts them into a :class:`Journey` and returns a new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from workbench.core import formatting, limits
from workbench.core import journey as jm
from workbench.core.i18n import N_, Labels, ngettext
from workbench.core.i18n import gettext as _
from workbench.core.journey import Journey, JourneyError

MAX_ROWS = 200  # touchpoints one paste may list
NAME_CHARS = limits.NAME_CHARS  # a stage's, touchpoint's or owner's name (the editor's fields hold as many)
CHANNEL_CHARS = 100
MAX_CHARS = MAX_ROWS * 1000  # the whole text: room for 200 full lines, refused before it is split
MAX_ERRORS = 10  # problems listed at once; the rest are counted
LAYOUT_TOLERANCE = 0.5  # a node this close to where auto-layout puts it was not moved by hand

LINE_BREAK = re.compile(r"\r\n|\r|\n")
TOO_LONG = Labels(
    {
        "stage": N_("Line {line}: the stage's name is longer than {limit} characters."),
        "name": N_("Line {line}: the touchpoint's name is longer than {limit} characters."),
        "owner": N_("Line {line}: the owner's name is longer than {limit} characters."),
        "channel": N_("Line {line}: the channel is longer than {limit} characters."),
    }
)


@dataclass(frozen=True)
class Row:
    """One listed touchpoint: the line it is on (1 for the first), its stage as typed ("" for the journey's last
    stage), its name, owner (None for none) and channel ("" for none)."""

    line: int
    stage: str
    name: str
    owner: str | None = None
    channel: str = ""


@dataclass(frozen=True)
class Summary:
    """What applying a list does: the touchpoints it names (distinct, with those already in the journey) in how
    many stages, the new stages and the new connections."""

    touchpoints: int
    stages: int
    new_touchpoints: int
    new_stages: int
    connections: int


def folded(name: str) -> str:
    """A name as two names are compared: blanks collapsed, case folded ("Web  Form" is "web form")."""
    return " ".join(name.split()).casefold()


# ---------------------------------------------------------------- parsing


def parse(text: str) -> list[Row]:
    """The rows of a pasted list; blank lines are skipped. A JourneyError lists every line that is wrong."""
    if len(text) > MAX_CHARS:
        raise JourneyError(
            _("The list is longer than {limit} characters; add it in parts.").format(limit=formatting.count(MAX_CHARS))
        )
    rows: list[Row] = []
    problems: list[str] = []
    stage = ""
    listed = 0
    for number, line in enumerate(LINE_BREAK.split(text), start=1):
        if not line.strip():
            continue
        listed += 1
        if listed > MAX_ROWS:
            problems.append(
                _("Line {line}: a list adds at most {limit} touchpoints at once; add the rest in another one.").format(
                    line=number, limit=formatting.count(MAX_ROWS)
                )
            )
            break
        cells, problem = _cells(line, number)
        if problem:
            problems.append(problem)
            continue
        typed_stage, name, owner, channel = (_clean(cell) for cell in cells)
        stage = typed_stage or stage
        found = _problems(number, stage, name, owner, channel)
        problems += found
        if not found:
            rows.append(Row(number, stage, name, owner or None, channel))
    if problems:
        raise JourneyError("\n".join(_shortened(problems)))
    return rows


def _cells(line: str, number: int) -> tuple[tuple[str, str, str, str], str]:
    """A line's stage, touchpoint, owner and channel as typed, or the problem with the line."""
    if "\t" in line:
        cells = [_unquoted(cell) for cell in line.split("\t")]
        while cells and not cells[-1].strip():  # Excel pastes the empty cells at a row's end too
            cells.pop()
        if len(cells) > 4:
            return ("", "", "", ""), _("Line {line}: more columns than stage, touchpoint, owner and channel.").format(
                line=number
            )
        stage, name, owner, channel = (*cells, "", "", "", "")[:4] if len(cells) > 1 else ("", *cells, "", "", "")[:4]
        return (stage, name, owner, channel), ""
    stage, colon, rest = line.partition(":")
    if not colon:
        stage, rest = "", line
    parts = rest.split(";")
    if len(parts) > 3:
        return ("", "", "", ""), _("Line {line}: more parts than “stage: touchpoint; owner; channel”.").format(
            line=number
        )
    name, owner, channel = (*parts, "", "")[:3]
    return (stage, name, owner, channel), ""


def _unquoted(cell: str) -> str:
    """An Excel cell as pasted: one holding a quote or a line break comes in quotes, its quotes doubled."""
    if len(cell) >= 2 and cell.startswith('"') and cell.endswith('"'):
        return cell[1:-1].replace('""', '"')
    return cell


def _clean(text: str) -> str:
    return " ".join(text.split())


def _problems(number: int, stage: str, name: str, owner: str, channel: str) -> list[str]:
    problems = []
    if not name:
        problems.append(_("Line {line}: the touchpoint needs a name.").format(line=number))
    bounds = (("stage", stage, NAME_CHARS), ("name", name, NAME_CHARS), ("owner", owner, NAME_CHARS))
    for what, value, limit in (*bounds, ("channel", channel, CHANNEL_CHARS)):
        if len(value) > limit:
            problems.append(TOO_LONG[what].format(line=number, limit=formatting.count(limit)))
    return problems


def _shortened(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_ERRORS:
        return problems
    more = len(problems) - MAX_ERRORS
    return problems[:MAX_ERRORS] + [
        ngettext("… and {n} more problem.", "… and {n} more problems.", more).format(n=formatting.count(more))
    ]


# ---------------------------------------------------------------- applying


def apply(journey: Journey, rows: list[Row], connect: bool = True) -> tuple[Journey, Summary]:
    """Put the rows into the journey: stages matched by name (case aside) or added, touchpoints matched by name
    within their stage or added, and with ``connect`` each stage's touchpoints connected in the order listed and
    each listed stage's last one to the next listed stage's first. An existing touchpoint keeps its fields, only
    an owner or channel it lacks is filled in; no edge is added twice. New touchpoints are laid out with the rest
    when nothing was placed by hand (else they go to free spots of their stage). Returns the new journey and what
    changed; a JourneyError names the line it cannot place."""
    relayout = _laid_out(journey)
    journey, stage_keys, new_stages = _with_stages(journey, rows)
    keys: list[str] = []  # each row's touchpoint key
    new_keys: list[str] = []
    for row in rows:
        journey, key, new = _with_touchpoint(journey, row, stage_keys[row.line], relayout)
        keys.append(key)
        if new:
            new_keys.append(key)
    journey, connections = _connected(journey, rows, keys, stage_keys) if connect else (journey, 0)
    if new_keys and relayout:
        journey = jm.auto_layout(journey)
    summary = Summary(
        touchpoints=len(set(keys)),
        stages=len(set(stage_keys.values())),
        new_touchpoints=len(new_keys),
        new_stages=new_stages,
        connections=connections,
    )
    return journey, summary


def _with_stages(journey: Journey, rows: list[Row]) -> tuple[Journey, dict[int, str], int]:
    """The journey with the rows' new stages, each row's stage key by line, and how many stages were added.

    A new stage goes after the stage listed before it; the first listed goes before the next existing one listed
    (else at the end), so a list in journey order keeps that order.
    """
    last = journey.stages[-1].key if journey.stages else None  # where the lines before any stage go
    listed: dict[str, str] = {}  # folded name -> name as first typed, in the order listed
    for row in rows:
        if row.stage:
            listed.setdefault(folded(row.stage), row.stage)
    existing = {folded(s.name): s.key for s in journey.stages}
    keys: dict[str, str] = {}
    names = list(listed)
    for i, name in enumerate(names):
        if name in existing:
            keys[name] = existing[name]
            continue
        journey, keys[name] = jm.add_stage(journey, listed[name], keys[names[i - 1]] if i else None)
        following = next((existing[n] for n in names[i + 1 :] if n in existing), None)
        if not i and following is not None:
            order = [s.key for s in journey.stages]
            journey = jm.move_stage(journey, keys[name], order.index(following) - order.index(keys[name]))
    by_line: dict[int, str] = {}
    for row in rows:
        stage = keys[folded(row.stage)] if row.stage else last
        if stage is None:
            raise JourneyError(
                _("Line {line}: say which stage the touchpoint is in (“Stage: Touchpoint”).").format(line=row.line)
            )
        by_line[row.line] = stage
    return journey, by_line, sum(name not in existing for name in names)


def _with_touchpoint(journey: Journey, row: Row, stage: str, relayout: bool) -> tuple[Journey, str, bool]:
    """The journey with the row's touchpoint, its key, and whether it is new. One of the same name in the stage is
    reused (an owner or channel it lacks filled in); owners and channels are written as the journey spells them.
    A new one is placed later (``relayout``: the whole map is laid out again) or at its stage's free spot now."""
    owner = _spelled(row.owner, (o.name for o in journey.owners)) if row.owner else None
    channel = _spelled(row.channel, (t.channel for t in journey.touchpoints if t.channel))
    same = folded(row.name)
    found = next((t for t in journey.touchpoints if t.stage == stage and folded(t.name) == same), None)
    try:
        if found is None:
            journey, key = jm.add_touchpoint(
                journey, row.name, stage, channel=channel, owner=owner, **_placeholder(relayout)
            )
            return journey, key, True
        filled = {
            **({"owner": owner} if owner and found.owner is None else {}),
            **({"channel": channel} if channel and not found.channel else {}),
        }
        return (jm.update_touchpoint(journey, found.key, **filled) if filled else journey), found.key, False
    except JourneyError as exc:
        raise JourneyError(_("Line {line}: {problem}").format(line=row.line, problem=exc)) from None


def _spelled(name: str, known) -> str:
    """``name`` as the journey already spells it (case aside), else as typed."""
    same = folded(name)
    return next((k for k in known if folded(k) == same), name)


def _placeholder(relayout: bool) -> dict[str, float]:
    """A new touchpoint's position before the map is laid out again (finding a free spot for each of 200 nodes
    would cost seconds); ``{}`` lets the model find its stage's free spot."""
    return {"x": 0.0, "y": 0.0} if relayout else {}


def _laid_out(journey: Journey) -> bool:
    """No touchpoint was placed by hand (each is unplaced or where auto-layout puts it): the map may be laid out
    again."""
    auto = {t.key: (t.x, t.y) for t in jm.auto_layout(journey).touchpoints}

    def in_place(tp: jm.Touchpoint) -> bool:
        if tp.x is None or tp.y is None:
            return True
        x, y = auto[tp.key]
        return abs(tp.x - (x or 0.0)) <= LAYOUT_TOLERANCE and abs(tp.y - (y or 0.0)) <= LAYOUT_TOLERANCE

    return all(in_place(tp) for tp in journey.touchpoints)


def _connected(journey: Journey, rows: list[Row], keys: list[str], stage_keys: dict[int, str]) -> tuple[Journey, int]:
    """The journey with each stage's listed touchpoints connected in order and each listed stage's last to the next
    listed stage's first (stages in the journey's order); edges it already has are left as they are."""
    chains: dict[str, list[str]] = {}
    for row, key in zip(rows, keys, strict=True):
        chain = chains.setdefault(stage_keys[row.line], [])
        if key not in chain:  # a touchpoint listed again is the same one, not a loop back to it
            chain.append(key)
    ordered = [chains[s.key] for s in journey.stages if s.key in chains]
    pairs: list[tuple[str, str]] = []  # along the flow: through a stage, then on to the next one
    for chain, following in zip(ordered, [*ordered[1:], []], strict=True):
        pairs += zip(chain, chain[1:], strict=False)
        pairs += [(chain[-1], following[0])] if following else []
    have = {(e.source, e.target) for e in journey.edges}
    added = 0
    for source, target in pairs:
        if source != target and (source, target) not in have:
            journey = replace(journey, edges=(*journey.edges, jm.Edge(source, target)))
            have.add((source, target))
            added += 1
    return journey, added


def describe(summary: Summary, connect: bool = True) -> str:
    """What a list adds, in a line: '12 touchpoints in 4 stages, 2 new stages, 11 connections'."""
    parts = [
        _("{touchpoints} {stages}").format(
            touchpoints=ngettext("{n} touchpoint", "{n} touchpoints", summary.touchpoints).format(
                n=formatting.count(summary.touchpoints)
            ),
            stages=ngettext("in {n} stage", "in {n} stages", summary.stages).format(n=formatting.count(summary.stages)),
        )
    ]
    reused = summary.touchpoints - summary.new_touchpoints
    if reused:
        parts.append(
            ngettext("{n} of them already in the journey", "{n} of them already in the journey", reused).format(
                n=formatting.count(reused)
            )
        )
    if summary.new_stages:
        parts.append(
            ngettext("{n} new stage", "{n} new stages", summary.new_stages).format(
                n=formatting.count(summary.new_stages)
            )
        )
    if connect:
        parts.append(
            ngettext("{n} connection", "{n} connections", summary.connections).format(
                n=formatting.count(summary.connections)
            )
        )
    return ", ".join(parts)
