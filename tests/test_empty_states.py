"""Empty states and legible labels: a figure with nothing to draw has no axes, a page's notice says what to import
with a link to the Data page, and the priority matrix's names never overlap, however crowded and long.

The workspace builders here (a survey without an overall score or comments, without KPIs, with an overall
outcome that is not NPS, with long touchpoint names) serve the deck tests and the browser tests too.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.data.templates import load_template
from workbench.export import figures

OUTCOME = "Satisfied"


# ------------------------------------------------------------------ workspaces


def long_journey():
    """The demo journey with every touchpoint named at length, as real journeys are."""
    journey = load_template("ecommerce-delivery")
    return replace(journey, touchpoints=tuple(
        replace(tp, name=f"{tp.name} — the customer's experience of this step in every channel")
        for tp in journey.touchpoints))


def survey(journey, *, overall: bool = True, comments: bool = True, satisfied: bool = False, answers: int = 20_000):
    """Generated demo answers; without the overall answers or the comment column, or with the overall answer a
    1–5 satisfaction instead of a 0–10 likelihood to recommend."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from workbench.data import demodata

    data = demodata.generate(journey, answers=answers)
    table = data.survey
    is_overall = pc.equal(table["touchpoint"], "_overall")
    if not overall:
        table = table.filter(pc.invert(is_overall))
    if not comments:
        table = table.drop(["comment"])
    if satisfied:
        rating = pc.round(pc.add(pc.multiply(pc.cast(table["nps"], pa.float64()), 0.4), 1.0))
        table = table.set_column(table.column_names.index("csat"), "csat",
                                 pc.cast(pc.if_else(is_overall, rating, table["csat"]), table["csat"].type))
        table = table.set_column(table.column_names.index("nps"), "nps",
                                 pc.if_else(is_overall, pa.nulls(len(table), table["nps"].type), table["nps"]))
    return table, data


def add_project(workspace, name: str, journey, *, kpis: bool = True, satisfied: bool = False, **options) -> tuple:
    """A project with the journey, its survey (see :func:`survey`) and the KPIs per branch and month unless told
    not to; its id and the journey's."""
    from workbench.data.outcome import describe
    from workbench.data.store import DatasetRow

    project_id = workspace.create_project(name)
    journey_id = workspace.create_journey(project_id, journey)
    table, data = survey(journey, satisfied=satisfied, **options)
    info = workspace.datasets.add_table(project_id, table, "Survey", "survey", journey_id=journey_id)
    if satisfied:  # as the import records an overall outcome mapped with its label
        with workspace.sessions.begin() as session:
            row = session.get(DatasetRow, info.id)
            row.meta = {**row.meta, "outcome": describe("csat", OUTCOME, (1, 5)).to_dict()}
    if kpis:
        workspace.datasets.add_table(project_id, data.kpi_period, "KPIs", "kpi_period")
    return project_id, journey_id


def bare_workspace(folder: Path) -> None:
    """Projects whose data does not fit an analysis: "Bare" (no overall score, no comments, no KPIs), "No KPIs"
    (a full survey, no KPIs), "Satisfied" (its overall outcome is not NPS) and "Long names"."""
    from workbench.features.workspace import open_workspace

    journey = load_template("ecommerce-delivery")
    with open_workspace(folder) as workspace:
        add_project(workspace, "Bare", journey, overall=False, comments=False, kpis=False, answers=4_000)
        add_project(workspace, "No KPIs", journey, kpis=False, answers=4_000)
        add_project(workspace, "Satisfied", journey, satisfied=True)
        add_project(workspace, "Long names", long_journey())


# ------------------------------------------------------------------ the empty figure and the notice


def test_an_empty_figure_draws_no_axes_and_says_why():
    figure = figures.empty("No comments in <b>this</b> survey")
    layout = figure.to_plotly_json()["layout"]
    assert layout["xaxis"]["visible"] is False and layout["yaxis"]["visible"] is False
    assert not figure.data
    (note,) = layout["annotations"]
    assert (note["x"], note["y"], note["xref"], note["yref"]) == (0.5, 0.5, "paper", "paper")
    assert note["text"] == "No comments in &lt;b&gt;this&lt;/b&gt; survey"  # shown as typed, never as markup
    assert figures.empty().to_plotly_json()["layout"].get("annotations", []) == []


def test_a_notice_is_one_sentence_with_a_link_to_the_data_page():
    from dash import dcc

    from cxweb.pages import _empty

    for sentence in (_empty.NO_OVERALL, _empty.NO_COMMENTS, _empty.NO_KPIS, _empty.NO_SURVEY, _empty.NO_SEGMENTS):
        alert = _empty.notice(sentence, "x")
        before, link, after = alert.children
        assert isinstance(link, dcc.Link) and link.href == "/data"
        text = f"{before}{link.children}{after}"
        assert text.count(". ") == 0 and text.endswith(".") and "{" not in text
    before, _link, after = _empty.notice(_empty.NOT_NPS, outcome="<i>Satisfied</i>").children
    assert "outcome is <i>Satisfied</i>: import" in before  # text in a Dash component, never parsed as HTML


# ------------------------------------------------------------------ labels that never overlap


def crowded(count: int = 14, seed: int = 3, spread: float = 0.12) -> tuple[pd.DataFrame, dict[str, str]]:
    """A ranked frame like drivers.ranked gives, its dots bunched together, and long names."""
    rng = np.random.default_rng(seed)
    share = rng.dirichlet(np.ones(count) * 6)
    performance = 4.0 + rng.normal(0, spread, count)
    frame = pd.DataFrame({"touchpoint": [f"tp{i}" for i in range(count)], "performance": performance,
                          "share": share, "share_low": share * 0.8, "share_high": share * 1.2})
    reference = performance.mean()
    important = share > 1 / count
    frame["quadrant"] = np.where(performance < reference, np.where(important, "Fix first", "Improve later"),
                                 np.where(important, "Keep it up", "Maintain"))
    frame["priority"] = frame["share"].rank(ascending=False, method="first").astype(int)
    frame["p_adjusted"] = np.where(important, 0.0005, 0.4)  # the unique-contribution test drivers.ranked carries
    frame["matters"] = important
    frame.attrs["performance_reference"] = reference
    names = {f"tp{i}": f"Step {i}: delivery notification by text message and e-mail, with tracking link"
             for i in range(count)}
    return frame, names


def label_boxes(figure, width: float, height: float) -> list[tuple[float, float, float, float]]:
    """Each annotation's box (left, top, right, bottom) in pixels of a plot area ``width`` × ``height``, its size
    estimated from the text: every line measured in the label font, plus plotly's padding."""
    from workbench.export import maplayout

    layout = figure.layout
    (x0, x1), (y0, y1) = layout.xaxis.range, layout.yaxis.range
    boxes = []
    for note in layout.annotations:
        lines = note.text.split("<br>")
        wide = max(maplayout.text_width(line, figures.LABEL_SIZE * 0.75) for line in lines) * 96 + 2
        high = len(lines) * figures.LABEL_SIZE * 1.3 + 2
        x = width * (note.x - x0) / (x1 - x0) + note.ax
        y = height * (1 - (note.y - y0) / (y1 - y0)) + note.ay
        boxes.append((x - wide / 2, y - high / 2, x + wide / 2, y + high / 2))
    return boxes


def overlapping(boxes) -> list[tuple[int, int]]:
    return [(i, j) for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2)
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_priority_matrix_labels_never_overlap_at_any_size_the_page_or_a_picture_draws(seed):
    ranked, names = crowded(seed=seed)
    figure = figures.priority_matrix(ranked, names, "csat")
    notes = figure.layout.annotations
    assert len(notes) == len(ranked)  # every dot labelled: by its name, or by its priority number where crowded
    named = [n for n in notes if not n.text.isdigit()]
    assert len(named) >= len(ranked) // 2
    assert {int(n.text) for n in notes if n.text.isdigit()} <= set(ranked["priority"])
    for note in named:  # wrapped into two lines at most (or cut to one), the full name in the hover
        assert note.text.count("<br>") <= 1 and note.hovertext in names.values()
        assert note.hovertext.startswith(note.text.split("<br>")[0].removesuffix("…"))
    base_width, base_height = figures.PLOT_AREA
    for width, height in itertools.product((base_width, base_width * 1.5, base_width * 2.2),
                                           (base_height, base_height * 1.6)):
        boxes = label_boxes(figure, width, height)
        assert overlapping(boxes) == [], (width, height)
        dots = [(width * (x - figure.layout.xaxis.range[0]) / np.ptp(figure.layout.xaxis.range),
                 height * (1 - y / figure.layout.yaxis.range[1]))
                for x, y in zip(ranked["performance"], ranked["share"] * 100)]
        radius = figures.MARKER_SIZE / 2
        for box in boxes:  # no label covers a dot
            assert not any(box[0] < x + radius and x - radius < box[2] and box[1] < y + radius and y - radius < box[3]
                           for x, y in dots)


def test_a_few_short_names_sit_right_by_their_dots():
    ranked, _names = crowded(count=4, spread=0.5)
    figure = figures.priority_matrix(ranked, {k: k.upper() for k in ranked["touchpoint"]}, "csat")
    assert sorted(n.text for n in figure.layout.annotations) == ["TP0", "TP1", "TP2", "TP3"]
    assert all(abs(n.ax) < 40 and abs(n.ay) < 30 for n in figure.layout.annotations)


def test_place_labels_reports_no_room_rather_than_overlapping():
    label = figures.Label(("A name",), 60.0, 16.0)
    places = figures.place_labels([(50.0, 50.0)] * 3, [label] * 3, (100.0, 100.0), 5.0)
    assert places[0] is not None and None in places


def test_matrix_axes_end_on_round_numbers_and_hold_every_interval():
    ranked, _names = crowded()
    (x0, x1), (y0, y1) = figures.matrix_ranges(ranked)
    assert x0 < ranked["performance"].min() and x1 > ranked["performance"].max()
    assert y0 == 0 and y1 >= ranked["share_high"].max() * 100
    assert all(round(v * 100) == pytest.approx(v * 100) for v in (x0, x1, y1))


def test_bar_charts_cut_long_names_keep_every_bar_and_hover_the_full_name():
    from workbench.export import maplayout

    ranked, _names = crowded(count=4)
    ranked = ranked.assign(importance=ranked["share"])
    names = {key: "Delivery notification by text message and e-mail, with a tracking link, " + key
             for key in ranked["touchpoint"]}  # alike for their first 70 characters
    figure = figures.importance_bars(ranked, names)
    (bars,) = figure.data
    assert len(set(bars.y)) == 4 and list(figure.layout.yaxis.tickvals) == list(bars.y)
    for text in figure.layout.yaxis.ticktext:
        assert text.endswith("…") and "<br>" not in text
        assert maplayout.text_width(text, figures.TICK_SIZE * 0.75) * 96 <= figures.TICK_WIDTH
    assert sorted(bars.customdata) == sorted(names.values())
    assert figure.layout.yaxis.tickfont.family == figures.LABEL_FONT  # the font the labels are measured in


def test_a_word_longer_than_a_line_is_broken_where_the_line_is_full_not_cut():
    address = "https://track.example/CZ0123456789"
    shown = figures.label_lines(f"Tracking page {address}")
    assert "".join(shown.lines[1:]) and "…" not in "".join(shown.lines)
    assert " ".join(shown.lines[:1]) + "".join(shown.lines[1:]) == f"Tracking page {address}"
    assert figures.label_lines("Tracking page " + "x" * 200).lines[-1].endswith("…")  # beyond two lines: cut
