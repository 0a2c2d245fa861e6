"""The findings as an editable 16:9 PowerPoint deck: native shapes, tables and charts, provenance in the notes.

Nothing is a picture except the client's logo: the journey map is rounded rectangles joined by connectors, the
matrix a table with filled cells, the drivers native charts, so the client edits the deck like their own.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from workbench.analysis import heatmap
from workbench.core import formatting, i18n, limits, metrics
from workbench.core import journey as jm
from workbench.core.i18n import N_, Labels, ngettext
from workbench.core.i18n import gettext as _
from workbench.core.safecells import xml_safe
from workbench.export import figures, maplayout
from workbench.features.export import BENCHMARK_NAMES, MATRIX_COLUMNS, QUADRANT_NAMES, Findings
from workbench.features.heatmap import matrix_rows

TEXT, MUTED, GRID = "212529", "6C757D", "DEE2E6"
DARK_FILLS = {heatmap.PALETTE[0], heatmap.PALETTE[6]}  # white text reads better on the palette's two ends
KIND_NAMES = Labels(
    {
        "segment": N_("Segment below the rest"),
        "step": N_("Step drop"),
        "target": N_("Below target"),
        "decline": N_("Decline"),
    }
)
STATUS_NAMES = Labels(
    {
        "backlog": N_("Backlog"),
        "planned": N_("Planned"),
        "in_progress": N_("In progress"),
        "done": N_("Done"),
        "verified": N_("Verified"),
    }
)
# The language tag of every run, so that PowerPoint's spelling checks the deck in its own language.
LANGUAGE_TAGS = {"en": "en-GB", "cs": "cs-CZ", "pl": "pl-PL"}
# A chart's numbers are written by the program showing it, in its own locale unless the number format names one:
# Excel's locale prefix (a Windows LCID) makes PowerPoint and LibreOffice write 4,1 and 33,2 % in a Czech deck.
NUMBER_LOCALES = {"cs": "[$-405]", "pl": "[$-415]"}
TABLE_ROWS = {"matrix": 13, "breaks": 7, "actions": 12}  # rows per slide that keep 10-point text legible


@dataclass(frozen=True)
class Style:
    """The client's look: a brand colour (hex) for titles and headers, and a logo image (PNG or JPEG bytes)."""

    brand: str = "#0D6EFD"
    logo: bytes | None = None

    def __post_init__(self):
        text = self.brand.lstrip("#")
        if len(text) != 6 or any(c not in "0123456789abcdefABCDEF" for c in text):
            raise ValueError(_("The brand colour '{colour}' is not a colour like #0D6EFD.").format(colour=self.brand))
        if self.logo is not None:
            limits.check_size(len(self.logo), limits.DOCUMENT_BYTES, _("The logo"))
            _logo_size(self.logo)

    @property
    def hex(self) -> str:
        return self.brand.lstrip("#").upper()


def build(findings: Findings, style: Style = Style()) -> bytes:
    """The deck as .pptx bytes, with the slides ``findings.request.slides`` names, in that order, every word and
    number in the request's language (``findings.request.language``; the current one when it names none)."""
    with i18n.language(findings.request.speaks()):
        return _build(findings, style)


def _build(findings: Findings, style: Style) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(maplayout.SLIDE_WIDTH), Inches(maplayout.SLIDE_HEIGHT)
    deck.core_properties.title = xml_safe(f"{findings.provenance.project} · {findings.journey.name}")
    deck.core_properties.author = "CX Journey Workbench"
    deck.core_properties.language = LANGUAGE_TAGS.get(i18n.current(), "en-GB")
    makers = {
        "title": _title_slide,
        "map": _map_slides,
        "lanes": _lanes_slides,
        "matrix": _matrix_slides,
        "breaks": _break_slides,
        "drivers": _driver_slides,
        "roi": _roi_slides,
        "actions": _action_slides,
    }
    for name in findings.request.slides:
        makers[name](deck, findings, style)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------ building blocks


def _inches(value: float):
    from pptx.util import Inches

    return Inches(value)


def _rgb(hex_colour: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _slide(deck, findings: Findings, style: Style, title: str, notes: Sequence[str] = ()):
    """A blank slide with its title, the logo in the corner, and speaker notes with the data's provenance."""
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    _text(slide, title, 0.4, 0.3, maplayout.SLIDE_WIDTH - 2.4, 0.6, size=24, bold=True, colour=style.hex)
    subtitle = (
        f"{metrics.NAMES[findings.provenance.metric]} · {findings.provenance.period()} · {findings.provenance.filters}"
    )
    _text(slide, subtitle, 0.4, 0.88, maplayout.SLIDE_WIDTH - 2.4, 0.32, size=11, colour=MUTED)
    if style.logo:
        _logo(slide, style.logo, maplayout.SLIDE_WIDTH - 1.75, 0.3, 1.35, 0.6)
    _notes(slide, [*notes, "", _("Provenance"), *findings.provenance.lines()])
    return slide


def _notes(slide, lines: Sequence[str]) -> None:
    """The slide's speaker notes, a paragraph a line."""
    slide.notes_slide.notes_text_frame.text = xml_safe("\n".join(lines))


def _text(
    slide,
    text: str | Sequence[str],
    left: float,
    top: float,
    width: float,
    height: float,
    *,
    size: float = 12,
    bold: bool = False,
    colour: str = TEXT,
    align=None,
    anchor=None,
):
    """A text box; a sequence of strings becomes one paragraph each."""
    from pptx.enum.text import MSO_AUTO_SIZE

    box = slide.shapes.add_textbox(_inches(left), _inches(top), _inches(width), _inches(height))
    frame = box.text_frame
    frame.word_wrap, frame.auto_size = True, MSO_AUTO_SIZE.NONE
    frame.margin_left = frame.margin_right = 0  # the box's width is the text's
    if anchor is not None:
        frame.vertical_anchor = anchor
    for i, line in enumerate([text] if isinstance(text, str) else text):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        _run(paragraph, line, size, bold, colour)
    return box


def _run(paragraph, text: str, size: float, bold: bool = False, colour: str = TEXT):
    """Add a run in the deck's font; written as XML because python-pptx's font setters cost a millisecond a run.

    Every text on a slide (boxes, table cells, tiles) is a run: characters XML cannot hold are replaced here.
    """
    from lxml import etree
    from pptx.oxml.ns import qn

    run = getattr(paragraph, "_p", paragraph).add_r()  # a python-pptx paragraph or its a:p element
    run.t.text = xml_safe(text)
    properties = run.get_or_add_rPr()
    properties.set("lang", LANGUAGE_TAGS.get(i18n.current(), "en-GB"))
    properties.set("sz", str(round(size * 100)))
    properties.set("b", "1" if bold else "0")
    etree.SubElement(etree.SubElement(properties, qn("a:solidFill")), qn("a:srgbClr")).set(
        "val", colour.lstrip("#").upper()
    )  # '#dc3545' would break the file: the schema wants 6 hex digits
    etree.SubElement(properties, qn("a:latin")).set("typeface", maplayout.FONT)
    return run


def _logo_size(logo: bytes) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(logo)) as image:
            if image.format not in ("PNG", "JPEG", "GIF"):
                raise ValueError(_("The logo is a {format} image; use PNG or JPEG.").format(format=image.format))
            width, height = image.size
    except (UnidentifiedImageError, OSError):
        raise ValueError(_("The logo is not an image; use PNG or JPEG.")) from None
    except Image.DecompressionBombError:  # PIL refuses before we can read the size ourselves
        width, height = limits.LOGO_PIXELS, 2
    if width * height > limits.LOGO_PIXELS:
        raise limits.LimitError(
            _("The logo"),
            ngettext("has {n} pixel", "has {n} pixels", width * height).format(n=formatting.count(width * height)),
            formatting.count(limits.LOGO_PIXELS),
        )
    return width, height


def _logo(slide, logo: bytes, left: float, top: float, width: float, height: float) -> None:
    """The logo scaled into the box, keeping its proportions, aligned right."""
    pixels_wide, pixels_high = _logo_size(logo)
    scale = min(width / pixels_wide, height / pixels_high)
    shown_width, shown_height = pixels_wide * scale, pixels_high * scale
    slide.shapes.add_picture(
        io.BytesIO(logo), _inches(left + width - shown_width), _inches(top), _inches(shown_width), _inches(shown_height)
    )


def _arrowhead(connector) -> None:
    """An arrow at the connector's end (python-pptx has no API for line ends)."""
    from pptx.oxml.ns import qn
    from pptx.oxml.xmlchemy import OxmlElement

    line = connector.line._get_or_add_ln()
    tail = OxmlElement("a:tailEnd")
    tail.set("type", "triangle")
    tail.set("w", "med")
    tail.set("len", "med")
    for old in line.findall(qn("a:tailEnd")):
        line.remove(old)
    line.append(tail)


def _table(
    slide,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    top: float,
    style: Style,
    *,
    fills: Sequence[Sequence[str | None]] | None = None,
    size: float = 10,
    row_height: float = 0.36,
    left: float = 0.4,
    small: Sequence[int] = (),
):
    """A native table: a brand-coloured header row, then ``rows``; ``fills`` colours cells (None: white).

    A cell's first line is at ``size`` points and further lines 2 points smaller; columns in ``small`` are
    smaller throughout.
    """
    shape = slide.shapes.add_table(
        len(rows) + 1,
        len(header),
        _inches(left),
        _inches(top),
        _inches(sum(widths)),
        _inches(row_height * (len(rows) + 1)),
    )
    table = shape.table
    for c, width in enumerate(widths):
        table.columns[c].width = _inches(width)
    for r in range(len(rows) + 1):
        table.rows[r].height = _inches(row_height)
    for c, text in enumerate(header):
        _cell(table.cell(0, c), text, size, style.hex, "FFFFFF", bold=True)
    for r, row in enumerate(rows, 1):
        for c, text in enumerate(row):
            fill = fills[r - 1][c] if fills else None
            _cell(
                table.cell(r, c),
                text,
                size,
                fill or "FFFFFF",
                "FFFFFF" if fill and f"#{fill}".upper() in {f.upper() for f in DARK_FILLS} else TEXT,
                uniform=c in small,
            )
    return table


def _cell(cell, text: str, size: float, fill: str, colour: str, bold: bool = False, uniform: bool = False) -> None:
    """Fill a table cell, written as XML for speed (a deck has hundreds of cells)."""
    from lxml import etree
    from pptx.oxml.ns import qn
    from pptx.util import Inches

    tc = cell._tc
    properties = tc.get_or_add_tcPr()
    for side, margin in (("marL", 0.05), ("marR", 0.05), ("marT", 0.02), ("marB", 0.02)):
        properties.set(side, str(Inches(margin)))
    etree.SubElement(etree.SubElement(properties, qn("a:solidFill")), qn("a:srgbClr")).set(
        "val", fill.lstrip("#").upper()
    )
    body = tc.get_or_add_txBody()
    body.find(qn("a:bodyPr")).set("wrap", "square")
    paragraph = body.find(qn("a:p"))
    for i, line in enumerate(text.split("\n")):
        if i:
            paragraph = body.add_p()
        _run(paragraph, line, size - 2 if i or uniform else size, bold, colour)


def _pages(items: Sequence, size: int) -> list[Sequence]:
    """``items`` on as few slides of at most ``size`` as they need, shared out evenly: a table never leaves one
    row alone on its last slide (14 rows of 13 a slide are 7 and 7, not 13 and 1)."""
    count = max(1, math.ceil(len(items) / size))
    bounds = [round(i * len(items) / count) for i in range(count + 1)]
    return [items[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]


def _numbered(title: str, page: int, pages: int) -> str:
    return title if pages == 1 else f"{title} ({page}/{pages})"


# ------------------------------------------------------------------ slides


def _title_slide(deck, findings: Findings, style: Style) -> None:
    from pptx.enum.shapes import MSO_SHAPE

    facts = findings.provenance
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, _inches(0.35), _inches(maplayout.SLIDE_HEIGHT))
    band.fill.solid()
    band.fill.fore_color.rgb = _rgb(style.hex)
    band.line.fill.background()
    _text(slide, facts.project, 0.9, 2.0, 11.0, 0.9, size=36, bold=True, colour=style.hex)
    _text(slide, facts.journey, 0.9, 2.9, 11.0, 0.7, size=24)
    _text(
        slide,
        [
            _("{metric} · data from {period}").format(metric=metrics.NAMES[facts.metric], period=facts.period()),
            _("Filters: {filters}").format(filters=facts.filters),
            ngettext(
                "{dataset}, version {version} · {n} answer", "{dataset}, version {version} · {n} answers", facts.answers
            ).format(dataset=facts.dataset, version=facts.dataset_version, n=formatting.count(facts.answers)),
            _("Prepared {date}").format(date=formatting.date(facts.created.date())),
        ],
        0.9,
        3.8,
        11.0,
        1.6,
        size=14,
        colour=MUTED,
    )
    if style.logo:
        _logo(slide, style.logo, maplayout.SLIDE_WIDTH - 3.4, 0.5, 2.9, 1.2)
    _notes(slide, [_("Provenance"), *facts.lines()])


def _map_slides(deck, findings: Findings, style: Style) -> None:
    from pptx.enum.dml import MSO_LINE
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN

    journey, metric = findings.journey, findings.provenance.metric
    scored = {row.touchpoint: row for row in findings.scores.itertuples()}
    broken = {b.touchpoint for b in findings.breaks}
    drops = {(s.source, s.target): s for s in findings.steps.itertuples() if s.drop}
    names = {tp.key: tp.name for tp in journey.touchpoints}
    pages = maplayout.plan(journey)
    for number, page in enumerate(pages, 1):
        title = _numbered(
            _("Journey map: {metric} at every touchpoint").format(metric=metrics.NAMES[metric]), number, len(pages)
        )
        notes = [f"{names[key]}: {_score_text(scored[key], metric)}" for key in (b.key for b in page.boxes)]
        slide = _slide(deck, findings, style, title, notes)
        for band in page.stages:
            rect = slide.shapes.add_shape(
                MSO_SHAPE.RECTANGLE,
                _inches(band.left),
                _inches(maplayout.MAP_TOP),
                _inches(band.width),
                _inches(maplayout.MAP_BOTTOM - maplayout.MAP_TOP),
            )
            rect.fill.solid()
            rect.fill.fore_color.rgb = _rgb("F4F6F8")
            rect.line.fill.background()
            rect.name = f"Stage {band.key}"
            label = _("{stage} (continued)").format(stage=band.name) if band.continued else band.name
            header = _text(
                slide,
                maplayout.shorten(label, band.width - 0.1, 11, bold=True),
                band.left,
                maplayout.MAP_TOP,
                band.width,
                maplayout.STAGE_HEADER,
                size=11,
                bold=True,
                colour=style.hex,
                align=PP_ALIGN.CENTER,
                anchor=MSO_ANCHOR.MIDDLE,
            )
            header.name = f"Stage header {band.key}"
        shapes = {}
        for box in page.boxes:
            row = scored[box.key]
            shape = slide.shapes.add_shape(
                MSO_SHAPE.ROUNDED_RECTANGLE,
                _inches(box.left),
                _inches(box.top),
                _inches(box.width),
                _inches(box.height),
            )
            shape.name = f"Touchpoint {box.key}"
            shape.adjustments[0] = maplayout.CORNER
            shape.fill.solid()
            shape.fill.fore_color.rgb = _rgb(row.colour)
            shape.line.color.rgb = _rgb("B02A37" if box.key in broken else "6C757D")
            shape.line.width = _inches(0.035 if box.key in broken else 0.01)
            if row.status == "low_n":
                shape.line.dash_style = MSO_LINE.DASH
            _box_text(
                shape,
                box_lines(
                    journey.touchpoint(box.key), row, metric, box.key in broken, findings.open_actions.get(box.key, 0)
                ),
                row.colour,
            )
            shapes[box.key] = shape
        for source, target in page.edges:  # behind the boxes: a line passing a box never hides its text
            connector = _connect(slide, shapes, page, source, target, drops.get((source, target)))
            shapes[page.boxes[0].key]._element.addprevious(connector._element)
        footnote = [
            _("{source} → {target} (next slides)").format(source=names[s], target=names[t]) for s, t in page.outgoing
        ]
        footnote += [
            _("{source} (earlier slide) → {target}").format(source=names[s], target=names[t]) for s, t in page.incoming
        ]
        loops = [f"{names[s]} → {names[t]}" for s, t in page.loops]
        lines = ([_("Continues: {edges}").format(edges="; ".join(footnote))] if footnote else []) + (
            [_("Loops back: {edges}").format(edges="; ".join(loops))] if loops else []
        )
        if lines:
            _text(
                slide, [maplayout.shorten(line, 12.5, 9) for line in lines], 0.4, 6.58, 12.5, 0.36, size=8, colour=MUTED
            )
        _legend(slide, metric, drops_shown=bool(drops))


LANE_COLUMNS = 6  # touchpoints side by side on a lanes slide: more would shrink the text below legibility
CELL_CHARACTERS = 140  # a lane's text in one cell; the whole text is in the speaker notes
CURVE_COLOURS = tuple("".join(f"{int(c):02X}" for c in rgb.split(",")) for rgb in figures.CURVE_COLOURS)  # as drawn
LANE_FILLS = {"pains": "FFF5F5", "opportunities": "F3FAF6", "backstage": "F1F3F5"}


def _lanes_slides(deck, findings: Findings, style: Style) -> None:
    """The journey map as a workshop draws it: the personas and the measured experience curve along the main path,
    then the lanes under the touchpoints in stage order, each with its measured score."""
    from workbench.features import journeymaps

    journey, metric = findings.journey, findings.provenance.metric
    _curve_slide(deck, findings, style)
    scored = {row.touchpoint: row for row in findings.scores.itertuples()}
    lanes = [
        lane
        for lane in (*jm.BUILT_IN_LANES, *journey.lanes)
        if any(journeymaps.cell(journey, tp.key, lane) for tp in journey.touchpoints)
    ]
    if not lanes:
        return
    path = set(jm.main_path(journey))
    flow = jm.flow_order(journey)
    order = journey.stage_index()
    shown = [
        tp
        for tp in sorted(journey.touchpoints, key=lambda t: (order[t.stage], flow[t.key]))
        if tp.key in path or not tp.lanes.empty()
    ]
    stages = {s.key: s.name for s in journey.stages}
    pages = _pages(shown, LANE_COLUMNS)
    for number, members in enumerate(pages, 1):
        notes = [
            f"{tp.name}: "
            + " · ".join(
                f"{journeymaps.lane_title(lane, journey)}: {'; '.join(journeymaps.cell(journey, tp.key, lane))}"
                for lane in lanes
                if journeymaps.cell(journey, tp.key, lane)
            )
            for tp in members
        ]
        slide = _slide(deck, findings, style, _numbered(_("Journey lanes"), number, len(pages)), notes)
        header = [""] + [f"{tp.name}\n{stages[tp.stage]}" for tp in members]
        rows = [[metrics.NAMES[metric]] + [_score_text(scored[tp.key], metric) for tp in members]]
        fills: list[list[str | None]] = [["F8F9FA"] + [scored[tp.key].colour.lstrip("#") for tp in members]]
        for lane in lanes:
            rows.append(
                [journeymaps.lane_title(lane, journey)]
                + [_cell_text(journeymaps.cell(journey, tp.key, lane), lane) for tp in members]
            )
            fill: list[str | None] = ["F8F9FA"]
            fills.append(fill + [LANE_FILLS.get(lane) for _tp in members])
        width = (maplayout.SLIDE_WIDTH - 0.8 - 1.6) / LANE_COLUMNS
        _table(
            slide,
            header,
            rows,
            [1.6] + [width] * len(members),
            1.35,
            style,
            fills=fills,
            size=11,
            row_height=5.6 / (len(rows) + 1),
            small=range(len(members) + 1),
        )  # fmt: skip  (a cell's lines alike at 9 points; a header's stage under its touchpoint)


def _cell_text(lines: Sequence[str], lane: str) -> str:
    """A lane's lines in a table cell: bulleted when they are a list, cut to what a cell holds."""
    text = (
        "\n".join(f"• {line}" for line in lines) if lane not in jm.TEXT_LANES and len(lines) > 1 else "\n".join(lines)
    )
    return text if len(text) <= CELL_CHARACTERS else text[: CELL_CHARACTERS - 1].rstrip() + "…"


def _curve_slide(deck, findings: Findings, style: Style) -> None:
    """The measured experience curve (a native line chart: everyone, each persona, the designed curve dashed) beside
    the personas and their segment rules."""
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.enum.dml import MSO_LINE
    from pptx.util import Pt

    from workbench.export.chartdata import CategoryChartData
    from workbench.features import journeymaps

    found, journey, metric = findings.curves, findings.journey, findings.provenance.metric
    if found is None:
        return
    drawn = [curve for curve in found.curves if curve.points]
    notes = [found.summary, *(c.note for c in found.curves if c.note)]
    for curve in drawn:
        notes.append(f"{curve.name}: " + "; ".join(f"{p.name} {_point_text(p, metric)}" for p in curve.points))
    slide = _slide(deck, findings, style, _("Experience curve: {metric} along the journey").format(
        metric=metrics.NAMES[metric]), notes)  # fmt: skip
    if drawn:
        points = drawn[0].points
        data = CategoryChartData()
        data.categories = [maplayout.shorten(p.name, 1.2, 8) for p in points]
        for curve in drawn:
            data.add_series(
                curve.name, [round(p.value, 2) if p.n > 0 and not math.isnan(p.value) else None for p in curve.points]
            )
        targets = [p.target for p in points]
        if any(t is not None for t in targets):
            data.add_series(_("designed (target)"), targets)
        chart = _chart(slide, XL_CHART_TYPE.LINE_MARKERS, (0.4, 1.35, 8.9, 5.4), data, found.summary)
        chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(10)
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(9)
        low, high = figures.curve_span(found)
        step = 0.5 if metric in ("csat", "ces") else 10
        chart.value_axis.minimum_scale = math.floor(low / step) * step
        chart.value_axis.maximum_scale = math.ceil(high / step) * step
        chart.value_axis.tick_labels.font.size = Pt(9)
        chart.value_axis.tick_labels.number_format = _format("0.0" if metric in ("csat", "ces") else "0")
        chart.value_axis.tick_labels.number_format_is_linked = False
        chart.category_axis.tick_labels.font.size = Pt(8)
        for i, series in enumerate(chart.plots[0].series):
            colour = CURVE_COLOURS[i % len(CURVE_COLOURS)] if i < len(drawn) else "6C757D"
            series.format.line.color.rgb = _rgb(colour)
            series.format.line.width = Pt(2.5 if i < len(drawn) else 1.5)
            series.smooth = False
            series.marker.format.fill.solid()
            series.marker.format.fill.fore_color.rgb = _rgb(colour)
            if i >= len(drawn):
                series.format.line.dash_style = MSO_LINE.DASH
    else:
        _text(slide, " ".join(notes), 0.4, 1.5, 8.9, 1.0, size=12, colour=MUTED)
    personas = journey.personas
    _text(slide, _("Personas") if personas else _("No personas on this journey yet."), 9.5, 1.35, 3.4, 0.35,
          size=12, bold=True, colour=style.hex)  # fmt: skip
    for i, persona in enumerate(personas[: journeymaps.MAX_CURVES - 1]):
        top = 1.8 + i * 1.2
        _text(slide, maplayout.shorten(persona.name, 3.4, 11, bold=True), 9.5, top, 3.4, 0.3, size=11, bold=True)
        rule = journeymaps.rule_text(persona.segment) or _("no segment rule")
        details = [maplayout.shorten(persona.description, 3.4, 9)] if persona.description else []
        _text(slide, [*details, maplayout.shorten(rule, 3.4, 9)], 9.5, top + 0.3, 3.4, 0.8, size=9, colour=MUTED)


def _point_text(point, metric: str) -> str:
    """A curve point's score as a map box's score is written (:func:`_score_text`)."""
    status = "no_data" if point.n == 0 or math.isnan(point.value) else "low_n" if point.low_n else "judged"
    return _score_words(point.value, (point.high - point.low) / 2, point.low, point.high, point.n, status, metric)


def _score_text(row, metric: str) -> str:
    """'4.21 ± 0.04 (n 2 230)', or why there is no judged score."""
    return _score_words(row.value, row.margin, row.low, row.high, row.n, row.status, metric)


def _score_words(value: float, margin: float, low: float, high: float, n: int, status: str, metric: str) -> str:
    if status == "no_data":
        return _("no answers")
    shown = formatting.score(value, margin, metric, low, high)
    count = formatting.count(int(n))
    if status == "low_n":
        return _("{score} (n {n}) — low n, not judged").format(score=shown, n=count)
    return f"{shown} (n {count})"


def box_lines(tp, row, metric: str, broken: bool, open_actions: int) -> maplayout.BoxText:
    """A map box's text: the name, then score ± margin, n, owner and open actions, fitted to the box."""
    if row.status == "no_data":
        details = [_("no answers")]
    else:
        n = formatting.count(int(row.n))
        details = [
            formatting.score(row.value, row.margin, metric, row.low, row.high),
            _("n {n} · low n").format(n=n) if row.status == "low_n" else f"n {n}",
        ]
    tail = " · ".join(x for x in (tp.owner or "", f"⚑ {open_actions}" if open_actions else "") if x)
    if tail:
        details.append(tail)
    return maplayout.fit_box(("⚠ " if broken else "") + tp.name, details)


def _box_text(shape, text: maplayout.BoxText, fill: str) -> None:
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN

    frame = shape.text_frame
    frame.word_wrap, frame.auto_size, frame.vertical_anchor = True, MSO_AUTO_SIZE.NONE, MSO_ANCHOR.MIDDLE
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = _inches(maplayout.INSET)
    colour = "FFFFFF" if fill.upper() in {f.upper() for f in DARK_FILLS} else TEXT
    lines = [(line, text.name_size, True) for line in text.name]
    lines += [(line, maplayout.DETAIL_SIZE, False) for line in text.details]
    for i, (line, size, bold) in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = PP_ALIGN.CENTER
        paragraph.line_spacing = maplayout.LINE_SPACING * 0.833  # PowerPoint's single spacing is 1.2 × the size
        _run(paragraph, line, size, bold, colour)


def _connect(slide, shapes: dict, page: maplayout.MapPage, source: str, target: str, drop):
    """A connector with an arrowhead from one box to the next: right to left side, or down a column."""
    from pptx.enum.shapes import MSO_CONNECTOR

    boxes = {box.key: box for box in page.boxes}
    a, b = boxes[source], boxes[target]
    if abs(a.left - b.left) < 1e-6:  # same column: bottom to top (or top to bottom going up)
        begin, end = (2, 0) if b.top > a.top else (0, 2)
    else:
        begin, end = (3, 1) if b.left > a.left else (1, 3)
    connector = slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, 0, 0, 0, 0)
    connector.begin_connect(shapes[source], begin)
    connector.end_connect(shapes[target], end)
    connector.name = f"Edge {source} → {target}"
    connector.line.color.rgb = _rgb("DC3545" if drop is not None else "6C757D")
    connector.line.width = _inches(0.03 if drop is not None else 0.015)
    _arrowhead(connector)
    return connector


def _legend(slide, metric: str, drops_shown: bool) -> None:
    from pptx.enum.shapes import MSO_SHAPE

    left, top = 0.4, 6.95
    _text(
        slide,
        _("{metric} against target:").format(metric=metrics.NAMES[metric]),
        left,
        top - 0.05,
        2.2,
        0.3,
        size=9,
        bold=True,
    )
    left += 2.2
    for colour, label in heatmap.legend(metric):
        swatch = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, _inches(left), _inches(top), _inches(0.18), _inches(0.18))
        swatch.fill.solid()
        swatch.fill.fore_color.rgb = _rgb(colour)
        swatch.line.color.rgb = _rgb("ADB5BD")
        width = maplayout.text_width(label, 9) + 0.12
        _text(slide, label, left + 0.2, top - 0.05, width + 0.1, 0.3, size=9)
        left += 0.3 + width
    marks = (
        _(
            "⚠ break listed (red border) · dashed border: low n · red arrow: significant drop · "
            "score ± margin of error ({level}), n answers"
        )
        if drops_shown
        else _("⚠ break listed (red border) · dashed border: low n · score ± margin of error ({level}), n answers")
    )
    _text(slide, marks.format(level=formatting.percent(95)), 0.4, 7.18, 12.5, 0.28, size=9, colour=MUTED)


def _matrix_slides(deck, findings: Findings, style: Style) -> None:
    if findings.matrix is None:
        return
    metric, long, column = findings.provenance.metric, findings.matrix, findings.matrix_column
    marks = [label for label in BENCHMARK_NAMES if label in set(long["segment"])]
    segments = long[~long["segment"].isin(["(network)", *marks])]
    sizes = segments.groupby("segment")["n"].sum().sort_values(ascending=False)
    shown = list(sizes.index[:MATRIX_COLUMNS])
    left_out = len(sizes) - len(shown)
    cells = {(row.touchpoint, row.segment): row for row in long.itertuples()}
    pages = _pages(matrix_rows(findings.journey, long), TABLE_ROWS["matrix"])  # the rows the page shows
    name_width = 2.6
    mark_widths = [maplayout.text_width(BENCHMARK_NAMES[m], 10, bold=True) + 0.14 for m in marks]  # never cut
    value_width = min(1.3, (12.5 - name_width - sum(mark_widths)) / (len(shown) + 1))
    for number, page in enumerate(pages, 1):
        title = _numbered(
            _("{metric} by {column}").format(metric=metrics.NAMES[metric], column=column), number, len(pages)
        )
        columns = ngettext(
            "Columns: the whole selection, then the {n} {column} value with the most answers.",
            "Columns: the whole selection, then the {n} {column} values with the most answers.",
            len(shown),
        ).format(n=formatting.count(len(shown)), column=column)
        if left_out:
            columns += " " + ngettext(
                "{n} smaller one is left out.", "{n} smaller ones are left out.", left_out
            ).format(n=formatting.count(left_out))
        notes = [
            columns,
            _(
                "Cells are coloured against the touchpoint's score over the whole selection; grey cells have "
                "too few answers to judge."
            ),
        ]
        if "(benchmark)" in marks:
            notes.append(_("Whole network: the touchpoint's score without the filters, for reference."))
        if "(external)" in marks:
            notes.append(
                _("Benchmark: the values imported from {source}.").format(source=findings.benchmark_source)
                if findings.benchmark_source
                else _("Benchmark: the values imported from a file.")
            )
        slide = _slide(deck, findings, style, title, notes)
        rows, fills = [], []
        for tp in page:
            row, fill = [maplayout.shorten(tp.name, name_width - 0.12, 10)], [None]
            for segment in ["(network)", *marks, *shown]:
                cell = cells.get((tp.key, segment))
                if cell is not None and segment == "(external)":  # an imported value has no count
                    row.append(formatting.value(cell.value, metric))
                    fill.append(cell.colour.lstrip("#"))
                    continue
                if cell is None or cell.n == 0:
                    row.append("–")
                    fill.append(None)
                    continue
                row.append(f"{formatting.value(cell.value, metric)}\nn {formatting.count(int(cell.n))}")
                fill.append(cell.colour.lstrip("#"))
            rows.append(row)
            fills.append(fill)
        header = [
            _("Touchpoint"),
            _("Total"),
            *(BENCHMARK_NAMES[m] for m in marks),
            *(maplayout.shorten(str(s), value_width - 0.12, 10, bold=True) for s in shown),
        ]
        _table(
            slide,
            header,
            rows,
            [name_width, value_width, *mark_widths] + [value_width] * len(shown),
            1.35,
            style,
            fills=fills,
            row_height=0.4,
        )
        _text(
            slide,
            _("Coloured against the touchpoint's total: red below, blue above; grey: low n, not judged."),
            0.4,
            7.05,
            12.5,
            0.3,
            size=9,
            colour=MUTED,
        )


def _break_slides(deck, findings: Findings, style: Style) -> None:
    metric = findings.provenance.metric
    names = {tp.key: tp.name for tp in findings.journey.touchpoints}
    if not findings.breaks:
        slide = _slide(deck, findings, style, _("Where it breaks"))
        _text(
            slide,
            _("No break: nothing is significantly worse by at least the smallest difference that matters."),
            0.4,
            1.6,
            12.5,
            0.5,
            size=16,
        )
        return
    pages = _pages(findings.breaks, TABLE_ROWS["breaks"])
    widths = [0.4, 2.3, 1.6, 1.6, 1.7, 0.8, 4.1]
    start = 0
    for number, page in enumerate(pages, 1):
        slide = _slide(
            deck,
            findings,
            style,
            _numbered(_("Where it breaks"), number, len(pages)),
            [f"{start + i}. {b.sentence}" for i, b in enumerate(page, 1)]
            + [_("Ranked by size in index points; q is the Benjamini–Hochberg adjusted p-value.")],
        )
        rows = []
        for i, b in enumerate(page, start + 1):
            where = names.get(b.touchpoint, b.touchpoint) + (f"\n{b.column} {b.segment}" if b.column else "")
            rows.append(
                [
                    str(i),
                    where,
                    KIND_NAMES[b.kind],
                    _("{value} vs {reference}").format(
                        value=formatting.value(b.value, metric), reference=formatting.value(b.reference, metric)
                    ),
                    f"{formatting.value(b.delta, metric, signed=True)}\n"
                    f"[{formatting.value(b.low, metric, signed=True)}; "
                    f"{formatting.value(b.high, metric, signed=True)}]",
                    formatting.count(b.n),
                    _sentence(b.sentence, widths[-1]),
                ]
            )
        _table(
            slide,
            [
                "#",
                _("Where"),
                _("What"),
                _("Score"),
                _("Difference [{level}]").format(level=formatting.percent(95)),
                "n",
                _("In words"),
            ],
            rows,
            widths,
            1.35,
            style,
            size=10,
            row_height=0.72,
            small=(6,),
        )
        start += len(page)


def _sentence(text: str, width: float) -> str:
    """A sentence wrapped to at most three lines of the cell, cut with '…' beyond."""
    lines = maplayout.wrap(text, width - 0.12, 8)
    if len(lines) > 3:
        lines = lines[:2] + [maplayout.shorten(" ".join(lines[2:]), width - 0.12, 8)]
    return "\n".join(lines)


SCATTER = (0.4, 1.35, 6.6, 5.0)  # the priority matrix chart on its slide: left, top, width, height (inches)
PLOT = (0.8, 0.5, 5.55, 3.7)  # its plot area inside the chart, fixed so that labels can be placed beside the dots
DOT = 10  # points, a dot's size
LABEL_POINTS = 8


def _driver_slides(deck, findings: Findings, style: Style) -> None:
    from pptx.enum.chart import XL_CHART_TYPE, XL_MARKER_STYLE
    from pptx.util import Pt

    from workbench.export.chartdata import CategoryChartData, XyChartData
    from workbench.export.figures import QUADRANT_COLOURS, matrix_ranges
    from workbench.features import drivers

    if findings.drivers is None or findings.priorities is None:  # no outcome to name: the slide says why
        slide = _slide(
            deck,
            findings,
            style,
            _("Key drivers"),
            [_("The model said: {detail}").format(detail=findings.drivers_detail)] if findings.drivers_detail else [],
        )
        _text(slide, findings.drivers_error or _("No driver model for this selection."), 0.4, 1.6, 12.5, 0.8, size=16)
        return
    result, ranked = findings.drivers, findings.priorities.sort_values("priority")
    names = {tp.key: tp.name for tp in findings.journey.touchpoints}
    metric = result.driver_metric
    notes = [
        _(
            "{rank}. {name}: {quadrant}, {share} of explained variance [{low}–{high}], performance {performance} "
            "(n {n}); {verdict}. {reason}"
        ).format(
            rank=r.priority,
            name=names.get(r.touchpoint, r.touchpoint),
            quadrant=QUADRANT_NAMES.get(r.quadrant, r.quadrant),
            share=formatting.percent(r.share * 100, 1),
            low=formatting.number(r.share_low * 100, 1),
            high=formatting.number(r.share_high * 100, 1),
            performance=formatting.value(r.performance, metric),
            n=formatting.count(int(r.answers)),
            verdict=drivers.verdict(r.matters, r.p_adjusted),
            reason=r.reason,
        )
        for r in ranked.itertuples()
    ]
    notes.append(
        _("Model: {note} R² = {r2} [{low}–{high}], n = {n}. {method}").format(
            note=result.note,
            r2=formatting.number(result.r2, 2),
            low=formatting.number(result.r2_low, 2),
            high=formatting.number(result.r2_high, 2),
            n=formatting.count(result.n),
            method=drivers.method_note(result),
        )
    )
    slide = _slide(deck, findings, style, findings.outcome.what_drives(), notes)
    scatter = XyChartData()
    series = scatter.add_series(_("Touchpoints"))
    for row in ranked.itertuples():
        series.add_data_point(float(row.performance), float(row.share * 100))
    chart = _chart(slide, XL_CHART_TYPE.XY_SCATTER, SCATTER, scatter, _("Priority matrix: importance × performance"))
    plotted = chart.plots[0].series[0]
    plotted.format.line.fill.background()
    plotted.marker.style, plotted.marker.size = XL_MARKER_STYLE.CIRCLE, DOT
    for point, row in zip(plotted.points, ranked.itertuples(), strict=False):
        colour = QUADRANT_COLOURS[row.quadrant]
        point.marker.format.fill.solid()
        point.marker.format.fill.fore_color.rgb = _rgb(colour)
        point.marker.format.line.fill.background()
        _invisible_line(point, colour)
    key = slide.shapes.add_textbox(_inches(0.4), _inches(6.38), _inches(6.6), _inches(0.3)).text_frame
    for quadrant, colour in QUADRANT_COLOURS.items():
        _run(key.paragraphs[0], "● ", 11, colour=colour)
        _run(key.paragraphs[0], f"{QUADRANT_NAMES.get(quadrant, quadrant)}   ", 10)
    _axis_titles(
        chart,
        _("Performance (mean {metric})").format(metric=metrics.NAMES[metric]),
        _("Importance (share of explained variance, %)"),
    )
    x_range, y_range = matrix_ranges(ranked)
    for axis, (low, high) in ((chart.category_axis, x_range), (chart.value_axis, y_range)):
        axis.minimum_scale, axis.maximum_scale = low, high
    _plot_area(chart, PLOT, SCATTER)
    _scatter_labels(slide, ranked, names, x_range, y_range)
    bars = CategoryChartData()
    ordered = ranked.sort_values("share")
    bars.categories = [maplayout.shorten(names.get(k, k), 2.0, 9) for k in ordered["touchpoint"]]
    bars.add_series(_("Share of explained variance (%)"), [round(float(v) * 100, 1) for v in ordered["share"]])
    chart = _chart(
        slide,
        XL_CHART_TYPE.BAR_CLUSTERED,
        (7.2, 1.35, 5.7, 5.3),
        bars,
        _("Importance (share of explained variance, %)"),
    )
    plot = chart.plots[0]
    plot.has_data_labels = True
    percent_sign = formatting.percent(0).removeprefix("0")  # ' %' or, in Polish, '%'
    plot.data_labels.number_format, plot.data_labels.number_format_is_linked = _format(f'0.0"{percent_sign}"'), False
    plot.data_labels.font.size = Pt(9)
    chart.category_axis.tick_labels.font.size = Pt(9)
    chart.value_axis.tick_labels.font.size = Pt(9)
    chart.value_axis.tick_labels.number_format = _format("General")
    chart.value_axis.tick_labels.number_format_is_linked = False
    for point, quadrant in zip(plot.series[0].points, ordered["quadrant"], strict=False):
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = _rgb(QUADRANT_COLOURS[quadrant])
    _text(
        slide,
        _(
            "Relative importance (LMG) on the respondent level · R² = {r2} · n = {n} · fix first: important and "
            "below the average performance"
        ).format(r2=formatting.number(result.r2, 2), n=formatting.count(result.n)),
        0.4,
        6.8,
        12.5,
        0.3,
        size=9,
        colour=MUTED,
    )


def _invisible_line(point, colour: str) -> None:
    """A scatter point's line in its colour but fully transparent: LibreOffice colours a scatter point's marker
    by its line (blue by default), PowerPoint by the marker's fill, and neither draws a transparent line."""
    from lxml import etree
    from pptx.oxml.ns import qn

    line = point.format.line
    line.fill.solid()
    line.fill.fore_color.rgb = _rgb(colour)
    shade = line._get_or_add_ln().find(qn("a:solidFill")).find(qn("a:srgbClr"))
    etree.SubElement(shade, qn("a:alpha")).set("val", "0")


def _plot_area(chart, plot: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> None:
    """Fix the chart's plot area (inside the axes) at ``plot`` inches within the chart ``box``."""
    from lxml import etree
    from pptx.oxml.ns import qn

    area = chart._chartSpace.chart.plotArea
    for old in area.findall(qn("c:layout")):
        area.remove(old)
    layout = etree.Element(qn("c:layout"))
    manual = etree.SubElement(layout, qn("c:manualLayout"))
    left, top, width, height = plot
    for tag, value in (
        ("layoutTarget", "inner"),
        ("xMode", "edge"),
        ("yMode", "edge"),
        ("x", left / box[2]),
        ("y", top / box[3]),
        ("w", width / box[2]),
        ("h", height / box[3]),
    ):
        etree.SubElement(manual, qn(f"c:{tag}")).set("val", f"{value:.4f}" if isinstance(value, float) else value)
    area.insert(0, layout)


def _scatter_labels(slide, ranked, names: dict[str, str], x_range: list[float], y_range: list[float]) -> None:
    """Each dot's name as a text box beside it where it overlaps no other name or dot, with a leader line when it
    had to go farther; cut to one line, or its priority number, when even that finds no room (the notes list
    every name)."""
    from pptx.enum.shapes import MSO_CONNECTOR
    from pptx.enum.text import MSO_AUTO_SIZE, PP_ALIGN

    from workbench.export.figures import Label, label_lines, place_tiers

    left, top = SCATTER[0] + PLOT[0], SCATTER[1] + PLOT[1]
    width, height = PLOT[2], PLOT[3]
    points = [
        (
            width * (x - x_range[0]) / (x_range[1] - x_range[0]),
            height * (1 - (y * 100 - y_range[0]) / (y_range[1] - y_range[0])),
        )
        for x, y in zip(ranked["performance"], ranked["share"], strict=True)
    ]

    def measured(text: str, inches: float = 1.6, lines: int = 2) -> Label:  # label_lines measures CSS pixels
        found = label_lines(text, inches * 96, LABEL_POINTS * 96 / 72, lines)
        return Label(found.lines, found.width / 96, found.height / 96)

    full = [names.get(k, k) for k in ranked["touchpoint"]]
    tiers = [
        [measured(name) for name in full],
        [measured(name, 1.15, 1) for name in full],
        [measured(str(number)) for number in ranked["priority"]],
    ]
    radius = DOT / 72 / 2
    texts, places = place_tiers(
        points,
        tiers,
        (width, height),
        radius,
        gap=0.02,
        step=0.12,
        slack=(0.0, 0.0, SCATTER[2] - PLOT[0] - PLOT[2], 0.0),
    )
    for key, (x, y), text, place in zip(ranked["touchpoint"], points, texts, places, strict=False):
        if place is None:
            continue
        dx, dy, leader = place
        box = _text(
            slide,
            list(text.lines),
            left + x + dx - text.width / 2,
            top + y + dy - text.height / 2,
            text.width,
            text.height,
            size=LABEL_POINTS,
            align=PP_ALIGN.CENTER,
        )
        frame = box.text_frame
        frame.margin_top = frame.margin_bottom = 0
        frame.word_wrap, frame.auto_size = False, MSO_AUTO_SIZE.NONE
        box.name = f"Label {key}"
        if leader:  # from the dot's edge to the label's edge
            reach = math.hypot(dx, dy)
            inner = min(text.width / 2 / abs(dx) if dx else math.inf, text.height / 2 / abs(dy) if dy else math.inf)
            line = slide.shapes.add_connector(
                MSO_CONNECTOR.STRAIGHT,
                _inches(left + x + dx * radius / reach),
                _inches(top + y + dy * radius / reach),
                _inches(left + x + dx * (1 - inner)),
                _inches(top + y + dy * (1 - inner)),
            )
            line.line.color.rgb = _rgb(MUTED)
            line.line.width = _inches(0.01)
            line.name = f"Leader {key}"


def _chart(slide, kind, box: tuple[float, float, float, float], data, title: str):
    """A native chart without a legend, titled at 12 points."""
    from pptx.util import Pt

    left, top, width, height = box
    chart = slide.shapes.add_chart(kind, _inches(left), _inches(top), _inches(width), _inches(height), data).chart
    chart.has_legend = False
    chart.has_title = True
    chart.chart_title.text_frame.text = title
    chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(12)
    return chart


def _format(code: str) -> str:
    """A chart's number format in the deck's language (its decimal mark and thousands separator)."""
    return NUMBER_LOCALES.get(i18n.current(), "") + code


def _axis_titles(chart, x_title: str, y_title: str) -> None:
    from pptx.util import Pt

    for axis, title in ((chart.category_axis, x_title), (chart.value_axis, y_title)):
        axis.has_title = True
        axis.axis_title.text_frame.text = title
        axis.axis_title.text_frame.paragraphs[0].runs[0].font.size = Pt(10)
        axis.tick_labels.font.size = Pt(9)
        axis.tick_labels.number_format, axis.tick_labels.number_format_is_linked = _format("General"), False
        axis.has_major_gridlines = axis is chart.value_axis


# A scenario verdict's banner (fill, text) as the ROI page colours it: green pays, amber uncertain, red otherwise.
_VERDICT_COLOURS = {
    "pays": ("D1E7DD", "0F5132"),
    "uncertain": ("FFF3CD", "664D03"),
    "unsupported": ("F8D7DA", "842029"),
}


def _roi_slides(deck, findings: Findings, style: Style) -> None:
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Pt

    from workbench.export.chartdata import CategoryChartData
    from workbench.features import roi as roi_feature

    if not findings.scenarios:
        slide = _slide(deck, findings, style, _("What it is worth"))
        _text(
            slide, _("No saved ROI scenario for this journey: build one on the ROI page."), 0.4, 1.6, 12.5, 0.5, size=16
        )
        return
    names = {tp.key: tp.name for tp in findings.journey.touchpoints}
    for item in findings.scenarios:
        if item.outcome is None or item.evidence is None:
            slide = _slide(
                deck,
                findings,
                style,
                maplayout.shorten(_("What it is worth: {name}").format(name=item.name), 10.5, 24, True),
                [_("The model said: {detail}").format(detail=item.detail)] if item.detail else [],
            )
            _text(slide, item.error, 0.4, 1.6, 12.5, 1.0, size=16)
            continue
        outcome, scenario, found = item.outcome, item.scenario, item.evidence
        assumed = scenario.assumptions
        notes = [
            _("Link: {sentence}").format(sentence=found.link.sentence),
            _("From {survey} and {kpi}.").format(survey=found.survey, kpi=found.kpi_source),
            _(
                "The links are observational: they show what went together in the data, not proof that the "
                "change causes the gain."
            ),
            *outcome.doubts,
        ]
        slide = _slide(
            deck,
            findings,
            style,
            maplayout.shorten(_("What it is worth: {name}").format(name=item.name), 10.5, 24, True),
            notes,
        )
        verdict = roi_feature.verdict(outcome)  # the page's verdict: green only for a supported scenario that pays
        fill, ink = _VERDICT_COLOURS.get(verdict.kind, _VERDICT_COLOURS["unsupported"])
        banner = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, _inches(0.4), _inches(1.35), _inches(12.5), _inches(0.45))
        banner.fill.solid()
        banner.fill.fore_color.rgb = _rgb(fill)
        banner.line.fill.background()
        banner.name = "Verdict"
        frame = banner.text_frame
        frame.word_wrap = True
        _run(frame.paragraphs[0], maplayout.shorten(verdict.text, 12.3, 12), 12, True, ink)
        p10, _p50, p90 = outcome.roi_range
        payback = (
            _("not within the horizon")
            if outcome.payback is None
            else ngettext("{n} month", "{n} months", int(outcome.payback)).format(n=formatting.count(outcome.payback))
        )
        late = outcome.payback_range[2]
        tiles = [
            (
                "ROI",
                "ROI",
                formatting.percent(outcome.roi),
                _("P10–P90: {low} to {high}").format(low=formatting.percent(p10), high=formatting.percent(p90)),
            ),
            (
                "NPV",
                "NPV",
                roi_feature.money(outcome.npv, scenario),
                _("P10–P90: {low} to {high}").format(
                    low=roi_feature.money(outcome.npv_range[0], scenario),
                    high=roi_feature.money(outcome.npv_range[2], scenario),
                ),
            ),
            (
                "Payback",
                _("Payback"),
                payback,
                ngettext(
                    "P10–P90: {low} to {high} month",
                    "P10–P90: {low} to {high} months",
                    5 if math.isinf(late) else round(late),
                ).format(low=_months(outcome.payback_range[0]), high=_months(late)),
            ),
            (
                "Chance of ROI > 0",
                _("Chance of ROI > 0"),
                formatting.percent(outcome.p_roi_positive * 100),
                _("overall NPS {change} [{low}; {high}]").format(
                    change=formatting.value(outcome.nps_change, "nps"),
                    low=formatting.value(outcome.nps_range[0], "nps"),
                    high=formatting.value(outcome.nps_range[2], "nps"),
                ),
            ),
        ]
        for i, (key, label, value, spread) in enumerate(tiles):
            left = 0.4 + i * 3.16
            tile = slide.shapes.add_shape(
                MSO_SHAPE.ROUNDED_RECTANGLE, _inches(left), _inches(1.95), _inches(3.0), _inches(1.15)
            )
            tile.fill.solid()
            tile.fill.fore_color.rgb = _rgb("F8F9FA")
            tile.line.color.rgb = _rgb(GRID)
            tile.name = f"Figure {key}"
            frame = tile.text_frame
            frame.word_wrap = True
            _run(frame.paragraphs[0], label, 10, colour=MUTED)
            _run(frame.add_paragraph(), value, 20, True)
            _run(frame.add_paragraph(), maplayout.shorten(spread, 2.85, 9), 9, colour=MUTED)
        link = (
            ngettext(
                "{kpi} ({dataset}), percent-change link, lag {lag} month",
                "{kpi} ({dataset}), percent-change link, lag {lag} months",
                scenario.lag,
            )
            if scenario.log_kpi
            else ngettext(
                "{kpi} ({dataset}), linear link, lag {lag} month",
                "{kpi} ({dataset}), linear link, lag {lag} months",
                scenario.lag,
            )
        )
        horizon = ngettext("{months} month · {rate} a year", "{months} months · {rate} a year", assumed.months)
        rows = [
            ["KPI", link.format(kpi=scenario.kpi, dataset=scenario.kpi_dataset, lag=formatting.count(scenario.lag))],
            [_("Cost"), roi_feature.money(assumed.cost, scenario)],
            [_("Value per KPI unit"), formatting.shortest(assumed.value_per_unit)],
            [
                _("Horizon · discount"),
                horizon.format(
                    months=formatting.count(assumed.months),
                    rate=formatting.percent(assumed.discount * 100, formatting.decimals(assumed.discount * 100)),
                ),
            ],
            [
                _("Score changes"),
                maplayout.shorten(
                    ", ".join(
                        f"{names.get(k, k)} {formatting.shortest(v, signed=True)}" for k, v in assumed.changes.items()
                    )
                    or _("overall NPS {change}").format(
                        change=formatting.shortest(assumed.overall_change, signed=True)
                    ),
                    4.3,
                    10,
                ),
            ],
        ]
        _table(slide, [_("Assumption"), _("Value")], rows, [1.9, 4.5], 3.35, style, row_height=0.34)
        contributions = [
            (names.get(k, _("Overall NPS change") if k == "overall" else k), v) for k, v in outcome.contributions
        ]
        data = CategoryChartData()
        data.categories = [maplayout.shorten(label, 1.6, 9) for label, _v in contributions] + [_("Cost"), "NPV"]
        data.add_series(
            _("Discounted value"), [round(v, 2) for _l, v in contributions] + [-assumed.cost, round(outcome.npv, 2)]
        )
        chart = _chart(
            slide,
            XL_CHART_TYPE.COLUMN_CLUSTERED,
            (7.1, 3.3, 5.8, 3.6),
            data,
            _("From the score change to NPV (discounted)"),
        )
        chart.category_axis.tick_labels.font.size = Pt(9)
        chart.value_axis.tick_labels.font.size = Pt(9)
        chart.value_axis.tick_labels.number_format = _format("#,##0")
        chart.value_axis.tick_labels.number_format_is_linked = False
        values = [v for _l, v in contributions] + [-assumed.cost, outcome.npv]
        for i, (point, amount) in enumerate(zip(chart.plots[0].series[0].points, values, strict=False)):
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = _rgb(
                "0D6EFD" if i == len(values) - 1 else ("198754" if amount >= 0 else "DC3545")
            )
        _text(
            slide,
            _("Observational links: what went together in the data, not proof of cause. Details in the speaker notes."),
            0.4,
            7.05,
            12.5,
            0.3,
            size=9,
            colour=MUTED,
        )


def _months(value: float) -> str:
    return _("never") if math.isinf(value) else formatting.number(value)


def _action_slides(deck, findings: Findings, style: Style) -> None:
    from workbench.repos.actions import STATUSES

    names = {tp.key: tp.name for tp in findings.journey.touchpoints}
    cards = sorted(findings.actions, key=lambda a: (STATUSES.index(a.status), a.position, a.id))
    if not cards:
        slide = _slide(deck, findings, style, _("Action plan"))
        _text(slide, _("No improvement actions yet for this journey."), 0.4, 1.6, 12.5, 0.5, size=16)
        return
    pages = _pages(cards, TABLE_ROWS["actions"])
    widths = [3.6, 2.7, 1.7, 1.1, 1.2, 1.1, 1.1]
    today = findings.provenance.created.date()
    for number, page in enumerate(pages, 1):
        notes = [f"{a.title}: {a.description}" for a in page if a.description]
        slide = _slide(deck, findings, style, _numbered(_("Action plan"), number, len(pages)), notes)
        rows = []
        for a in page:
            effect = (
                ""
                if a.expected_change is None
                else f"{formatting.value(a.expected_change, a.metric, signed=True)} {metrics.NAMES[a.metric]}"
            )
            due = formatting.date(a.due) if a.due else ""
            rows.append(
                [
                    maplayout.shorten(a.title, widths[0] - 0.12, 10),
                    maplayout.shorten(", ".join(names.get(k, k) for k in a.touchpoints), widths[1] - 0.12, 10),
                    maplayout.shorten(a.owner, widths[2] - 0.12, 10),
                    _("{date} (late)").format(date=due) if due and a.overdue(today) else due,
                    "" if a.cost is None else formatting.money(a.cost),
                    effect,
                    STATUS_NAMES[a.status],
                ]
            )
        _table(
            slide,
            [_("Action"), _("Touchpoints"), _("Owner"), _("Due"), _("Cost"), _("Expected"), _("Status")],
            rows,
            widths,
            1.35,
            style,
            row_height=0.4,
        )
