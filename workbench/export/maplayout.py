"""Where the journey map's stages and touchpoints go on 16:9 slides, and text measured to fit its boxes.

Stages are columns; a stage's touchpoints stack down the column in journey order and wrap into further
sub-columns when the column is full. Stages are packed onto a slide while they fit at a legible box size; a
longer journey continues on the next slide, and a stage wider than a slide is split there. Text is measured
with the metrics of the font the deck names (Arial, or the metric-compatible Liberation Sans), never guessed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench.core.journey import Journey, flow_order

SLIDE_WIDTH, SLIDE_HEIGHT = 13.333, 7.5  # inches, 16:9
MARGIN = 0.4
MAP_TOP, MAP_BOTTOM = 1.55, 6.55  # below the title and stage headers, above the legend
STAGE_HEADER = 0.4
BOX_WIDTH, BOX_HEIGHT = 1.45, 0.92
ROW_GAP, COLUMN_GAP, STAGE_GAP, STAGE_PAD = 0.2, 0.22, 0.12, 0.08
INSET = 0.05  # text frame margin inside a box, each side
CORNER = 0.12  # a box's corner radius as a share of its shorter side
SLACK = 1 / 72  # inches left free on a box's line: LibreOffice sets a line up to ~1 % (under a point) wider
LINE_SPACING = 1.2  # a line's height as a multiple of the font size
NAME_SIZES = (10.0, 9.0, 8.0, 7.0)  # points; the first at which the name fits in NAME_LINES lines
NAME_LINES = 2
DETAIL_SIZE = 8.0
FONT = "Arial"
_FONT_FILES = {  # metric-compatible with Arial first; DejaVu Sans is wider, so text that fits it fits Arial
    False: ("liberation/LiberationSans-Regular.ttf", "liberation2/LiberationSans-Regular.ttf", "dejavu/DejaVuSans.ttf"),
    True: ("liberation/LiberationSans-Bold.ttf", "liberation2/LiberationSans-Bold.ttf", "dejavu/DejaVuSans-Bold.ttf"),
}
_FALLBACK_FILES = {False: ("dejavu/DejaVuSans.ttf",), True: ("dejavu/DejaVuSans-Bold.ttf",)}  # for ⚠, ⚑
_FONT_FOLDERS = ("/usr/share/fonts/truetype", "/usr/local/share/fonts", "/Library/Fonts", "C:/Windows/Fonts")


@dataclass(frozen=True)
class Box:
    """A touchpoint's rectangle on a slide (inches from the top left)."""

    key: str
    left: float
    top: float
    width: float = BOX_WIDTH
    height: float = BOX_HEIGHT


@dataclass(frozen=True)
class StageBand:
    """A stage's column on a slide; ``continued`` when it started on an earlier slide."""

    key: str
    name: str
    left: float
    width: float
    continued: bool = False


@dataclass(frozen=True)
class MapPage:
    """One slide of the map: its stage columns, touchpoint boxes, and its edges as (source, target) pairs.

    ``edges`` run forward between boxes of this slide; ``outgoing`` and ``incoming`` run forward to or from
    another slide; ``loops`` go back from a box here to an earlier column (drawn, they would cross the boxes
    between, so the deck lists them).
    """

    stages: tuple[StageBand, ...]
    boxes: tuple[Box, ...]
    edges: tuple[tuple[str, str], ...]
    outgoing: tuple[tuple[str, str], ...]
    incoming: tuple[tuple[str, str], ...]
    loops: tuple[tuple[str, str], ...]


def rows_per_column(top: float = MAP_TOP, bottom: float = MAP_BOTTOM) -> int:
    """How many boxes stack in one column between ``top`` and ``bottom``."""
    return max(1, int((bottom - top - STAGE_HEADER + ROW_GAP) // (BOX_HEIGHT + ROW_GAP)))


def plan(journey: Journey, width: float = SLIDE_WIDTH - 2 * MARGIN) -> list[MapPage]:
    """The map's slides: stages packed left to right, each slide at most ``width`` inches of columns."""
    rows = rows_per_column()
    stages = [(stage, _stage_columns(journey, stage.key, rows)) for stage in journey.stages]
    pages: list[list[tuple]] = [[]]  # per slide: (stage, its columns here, continued)
    for stage, columns in stages:
        continued = False
        while columns:
            room = _columns_that_fit(width - _used(pages[-1]))
            if len(columns) <= room:
                pages[-1].append((stage, columns, continued))
                break
            if pages[-1] and len(columns) <= _columns_that_fit(width):  # fits whole on the next slide: no split
                pages.append([])
                continue
            if room:
                pages[-1].append((stage, columns[:room], continued))
                columns, continued = columns[room:], True
            pages.append([])
    pages = [page for page in pages if page]
    placed = [_place(page, width) for page in pages]
    where = {box.key: (i, box.left) for i, (_bands, boxes) in enumerate(placed) for box in boxes}
    parts: list[dict[str, list]] = [{"edges": [], "outgoing": [], "incoming": [], "loops": []} for _p in placed]
    for edge in journey.edges:
        pair = (edge.source, edge.target)
        (source_page, source_left), (target_page, target_left) = where[edge.source], where[edge.target]
        if (target_page, target_left) < (source_page, source_left - 1e-6):
            parts[source_page]["loops"].append(pair)
        elif source_page == target_page:
            parts[source_page]["edges"].append(pair)
        else:
            parts[source_page]["outgoing"].append(pair)
            parts[target_page]["incoming"].append(pair)
    return [
        MapPage(tuple(bands), tuple(boxes), **{name: tuple(pairs) for name, pairs in part.items()})
        for (bands, boxes), part in zip(placed, parts, strict=False)
    ]


def _band_width(columns: int) -> float:
    return columns * BOX_WIDTH + (columns - 1) * COLUMN_GAP + 2 * STAGE_PAD


def _used(page: list[tuple]) -> float:
    """The width a slide's stages take, with the gap before the next stage."""
    return sum(_band_width(len(columns)) + STAGE_GAP for _stage, columns, _c in page)


def _columns_that_fit(width: float) -> int:
    """How many columns a new stage band can have in ``width`` inches."""
    return max(0, int((width - 2 * STAGE_PAD + COLUMN_GAP + 1e-9) // (BOX_WIDTH + COLUMN_GAP)))


def _stage_columns(journey: Journey, stage: str, rows: int) -> list[list[str]]:
    """A stage's touchpoints in columns by their step within the stage, so its edges run left to right.

    A touchpoint's step is the longest path to it from the stage's first touchpoints (edges against the flow,
    loops back, are ignored); a column holds one step, top to bottom by the mean row of its predecessors, and
    wraps after ``rows``.
    """
    flow = flow_order(journey)
    members = sorted((tp.key for tp in journey.touchpoints if tp.stage == stage), key=flow.__getitem__)
    inside = set(members)
    forward = [
        (e.source, e.target)
        for e in journey.edges
        if e.source in inside and e.target in inside and flow[e.source] < flow[e.target]
    ]
    step = dict.fromkeys(members, 0)
    for key in members:
        for source, target in forward:
            if source == key:
                step[target] = max(step[target], step[key] + 1)
    columns: list[list[str]] = []
    row_of: dict[str, float] = {}
    for depth in sorted(set(step.values())):
        keys = [k for k in members if step[k] == depth]
        before = {k: [row_of[s] for s, t in forward if t == k and s in row_of] for k in keys}
        keys.sort(key=lambda k: (sum(before[k]) / len(before[k]) if before[k] else flow[k], flow[k]))
        for start in range(0, len(keys), rows):
            column = keys[start : start + rows]
            row_of.update({k: float(r) for r, k in enumerate(column)})
            columns.append(column)
    return columns or [[]]


def _place(page: list[tuple], width: float) -> tuple[list[StageBand], list[Box]]:
    """Stage bands and boxes of one slide, the whole centred horizontally."""
    widths = [_band_width(len(columns)) for _s, columns, _c in page]
    total = sum(widths) + STAGE_GAP * (len(page) - 1)
    left = MARGIN + max(0.0, (width - total) / 2)
    bands, boxes = [], []
    for (stage, columns, continued), band_width in zip(page, widths, strict=False):
        bands.append(StageBand(stage.key, stage.name, left, band_width, continued))
        for c, column in enumerate(columns):
            x = left + STAGE_PAD + c * (BOX_WIDTH + COLUMN_GAP)
            for r, key in enumerate(column):
                boxes.append(Box(key, x, MAP_TOP + STAGE_HEADER + r * (BOX_HEIGHT + ROW_GAP)))
        left += band_width + STAGE_GAP
    return bands, boxes


# ------------------------------------------------------------------ text measured to fit


@functools.lru_cache(maxsize=64)
def _font(size: float, bold: bool, fallback: bool = False):
    from PIL import ImageFont

    for folder in _FONT_FOLDERS:
        for name in (_FALLBACK_FILES if fallback else _FONT_FILES)[bold]:
            path = Path(folder) / name
            if path.exists():
                return ImageFont.truetype(str(path), size=round(size * 10))  # tenths of a point: finer metrics
    return ImageFont.load_default(size=round(size * 11))  # no system font: Pillow's own, scaled 10 % wider


@functools.lru_cache(maxsize=1024)
def _lacks(char: str, bold: bool) -> bool:
    """True if the deck's font has no glyph for ``char``: it draws the same box as for an unassigned code point."""
    font = _font(10.0, bold)
    drawn, missing = font.getmask(char), font.getmask("\U0010fffd")
    return drawn.size == missing.size and bytes(drawn) == bytes(missing)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` in inches at ``size`` points.

    A character the font lacks (⚠, ⚑) is drawn by the renderer from a fallback font, so it is measured in DejaVu
    Sans (LibreOffice's fallback, and wider than most) rather than as the narrow missing-glyph box.
    """
    lacking = [char for char in text if _lacks(char, bold)]
    kept = "".join(char for char in text if char not in lacking) if lacking else text
    return (_font(size, bold).getlength(kept) + sum(_font(size, bold, True).getlength(c) for c in lacking)) / 10 / 72


def text_area(width: float = BOX_WIDTH, height: float = BOX_HEIGHT) -> tuple[float, float]:
    """The width and height a box's text may fill: inside the rounded corners' text rectangle, less the inset."""
    corner = min(width, height) * CORNER * 0.29289  # DrawingML roundRect: the text rectangle is inset by il
    return width - 2 * (corner + INSET), height - 2 * (corner + INSET)


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` inches (a too-long word is cut with '…')."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(candidate, size, bold) <= width:
            lines[-1] = candidate
        else:
            lines.append(shorten(word, width, size, bold))
    return lines or [""]


def shorten(text: str, width: float, size: float, bold: bool = False) -> str:
    """``text`` cut with '…' so it is no wider than ``width`` inches."""
    if text_width(text, size, bold) <= width:
        return text
    while text and text_width(text + "…", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


@dataclass(frozen=True)
class BoxText:
    """A touchpoint box's text: the name's lines at ``name_size``, then detail lines at :data:`DETAIL_SIZE`."""

    name: tuple[str, ...]
    name_size: float
    details: tuple[str, ...]

    def height(self) -> float:
        """The text's height in inches."""
        return LINE_SPACING * (len(self.name) * self.name_size + len(self.details) * DETAIL_SIZE) / 72


def fit_box(name: str, details: Sequence[str], width: float = BOX_WIDTH, height: float = BOX_HEIGHT) -> BoxText:
    """The largest name size at which the name wraps into :data:`NAME_LINES` lines and everything fits the box.

    At the smallest size a name still too long loses its end to '…'; detail lines are cut to the width.
    """
    inner_width, inner_height = text_area(width, height)
    inner_width -= SLACK
    shown = tuple(shorten(line, inner_width, DETAIL_SIZE) for line in details)
    for size in NAME_SIZES:
        lines = wrap(name, inner_width, size, bold=True)
        text = BoxText(tuple(lines), size, shown)
        if len(lines) <= NAME_LINES and text.height() <= inner_height:
            return text
    size = NAME_SIZES[-1]
    room = max(1, math.floor((inner_height * 72 / LINE_SPACING - len(shown) * DETAIL_SIZE) / size))
    lines = wrap(name, inner_width, size, bold=True)
    if len(lines) > room:
        lines = lines[: room - 1] + [shorten(" ".join(lines[room - 1 :]), inner_width, size, bold=True)]
    return BoxText(tuple(lines), size, shown)
