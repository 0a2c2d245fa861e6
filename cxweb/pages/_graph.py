"""Cytoscape elements and stylesheet for drawing a journey (used by the editor, later by the heatmap)."""

from __future__ import annotations

from statistics import mean

from workbench.core import formatting
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.core.journey import (
    NODE_HEIGHT,
    NODE_WIDTH,
    Journey,
    JourneyWarning,
    channel_lanes,
    edge_bends,
    is_backward,
)

BAND_PAD_X, BAND_PAD_TOP, BAND_PAD_BOTTOM = 24, 56, 30
LANE_LABEL_OFFSET = 100
# An edge label's short scales (Czech '12,3 tis.', Polish '12,3 tys.'), translated where a label is drawn.
# (from, unit, label): 12 300 is 12.3k; below 10 000 the number is written out.
COMPACT = ((1e9, 1e9, N_("{number}G")), (1e6, 1e6, N_("{number}M")), (1e4, 1e3, N_("{number}k")))

STYLESHEET = [
    {
        "selector": "node[type = 'touchpoint']",
        "style": {
            "shape": "round-rectangle",
            "width": NODE_WIDTH,
            "height": NODE_HEIGHT,
            "label": "data(label)",
            "text-wrap": "wrap",
            "text-max-width": NODE_WIDTH - 12,
            "text-valign": "center",
            "text-halign": "center",
            "font-size": 12,
            "font-family": "system-ui, sans-serif",
            "color": "#212529",
            "background-color": "#ffffff",
            "border-width": 2,
            "border-color": "#0d6efd",
            "z-index": 10,
        },
    },
    {
        "selector": "node[kind = 'decision']",
        "style": {"shape": "cut-rectangle", "background-color": "#fff3cd", "border-color": "#b98900"},
    },
    {
        "selector": "node[kind = 'outcome']",
        "style": {"shape": "ellipse", "background-color": "#d1e7dd", "border-color": "#198754"},
    },
    {"selector": "node[?warn]", "style": {"border-style": "dashed", "border-color": "#dc3545"}},
    {"selector": "node[?highlight]", "style": {"border-width": 5, "border-color": "#d63384"}},
    {"selector": "node[?dim]", "style": {"opacity": 0.25}},
    {
        "selector": "node[type = 'touchpoint']:selected",
        "style": {"border-width": 5, "border-color": "#6f42c1", "background-color": "#efe7fb"},
    },
    {
        "selector": "node[type = 'band']",
        "style": {
            "shape": "round-rectangle",
            "width": "data(width)",
            "height": "data(height)",
            "label": "data(label)",
            "text-valign": "top",
            "text-halign": "center",
            "text-margin-y": 30,
            "font-size": 17,
            "font-weight": "bold",
            "color": "#495057",
            "background-color": "#e9ecef",
            "background-opacity": 0.6,
            "border-width": 0,
            "events": "no",
            "z-index": 0,
        },
    },
    {
        "selector": "node[type = 'lane']",
        "style": {
            "shape": "rectangle",
            "width": 120,
            "height": 24,
            "label": "data(label)",
            "text-valign": "center",
            "text-halign": "center",
            "font-size": 13,
            "font-style": "italic",
            "color": "#6c757d",
            "background-opacity": 0,
            "events": "no",
        },
    },
    {
        "selector": "edge",
        "style": {
            "curve-style": "bezier",
            "target-arrow-shape": "triangle",
            "width": 2,
            "line-color": "#adb5bd",
            "target-arrow-color": "#adb5bd",
            "label": "data(label)",
            "font-size": 11,
            "color": "#495057",
            "z-index": 5,
        },
    },
    {
        "selector": "edge[label != '']",
        "style": {"text-background-color": "#ffffff", "text-background-opacity": 0.9, "text-background-padding": 2},
    },
    {
        "selector": "edge[?backward]",
        "style": {"line-style": "dashed", "line-color": "#fd7e14", "target-arrow-color": "#fd7e14"},
    },
    {
        # An edge that would pass through an unrelated touchpoint is bent around it (journey.edge_bends).
        "selector": "edge[bend]",
        "style": {
            "curve-style": "unbundled-bezier",
            "control-point-distances": "data(bend)",
            "control-point-weights": 0.5,
        },
    },
    {"selector": "edge[?dim]", "style": {"opacity": 0.2}},
    {"selector": "edge:selected", "style": {"width": 4, "line-color": "#6f42c1", "target-arrow-color": "#6f42c1"}},
]


def compact_number(value: float) -> str:
    """12 300 as 12.3k, 4 500 000 as 4.5M: short enough for an edge label (three digits, the reader's marks)."""
    for limit, unit, scaled in COMPACT:
        if abs(value) >= limit:
            return _(scaled).format(number=formatting.shortest(value / unit, 3))
    return formatting.number(value)


def touchpoint_label(name: str, owner: str | None, entry: bool) -> str:
    """Node text: the name (▶ for an entry) and the owner below it."""
    return ("▶ " if entry else "") + name + (f"\n— {owner}" if owner else "")


def elements(journey: Journey, warnings: list[JourneyWarning] = (), owner: str | None = None) -> list[dict]:
    """Cytoscape elements: stage bands, lane labels, touchpoints and edges (styled by data, not classes)."""
    warned = {key for w in warnings if w.code in ("unreachable", "dead_end") for key in w.keys}
    placed = [tp for tp in journey.touchpoints if tp.x is not None and tp.y is not None]
    result: list[dict] = []
    if placed:
        top = min(tp.y for tp in placed) - NODE_HEIGHT / 2 - BAND_PAD_TOP
        bottom = max(tp.y for tp in placed) + NODE_HEIGHT / 2 + BAND_PAD_BOTTOM
        for stage in journey.stages:
            xs = [tp.x for tp in placed if tp.stage == stage.key]
            if not xs:
                continue
            left, right = min(xs) - NODE_WIDTH / 2 - BAND_PAD_X, max(xs) + NODE_WIDTH / 2 + BAND_PAD_X
            result.append(
                {
                    "data": {
                        "id": f"band:{stage.key}",
                        "type": "band",
                        "label": stage.name,
                        "width": right - left,
                        "height": bottom - top,
                    },
                    "position": {"x": (left + right) / 2, "y": (top + bottom) / 2},
                    "selectable": False,
                    "grabbable": False,
                }
            )
        left_edge = min(tp.x for tp in placed) - NODE_WIDTH / 2 - BAND_PAD_X - LANE_LABEL_OFFSET / 2 - 10
        lanes: dict[int, list[str]] = {}  # channels drawn at the same height share one label
        for channel in channel_lanes(journey):
            ys = [tp.y for tp in placed if tp.channel == channel]
            if channel and ys:
                lanes.setdefault(round(mean(ys)), []).append(channel)
        for y, channels in lanes.items():
            result.append(
                {
                    "data": {"id": f"lane:{y}", "type": "lane", "label": " / ".join(channels)},
                    "position": {"x": left_edge, "y": y},
                    "selectable": False,
                    "grabbable": False,
                }
            )
    for tp in journey.touchpoints:
        node = {
            "data": {
                "id": tp.key,
                "type": "touchpoint",
                "kind": tp.kind,
                "owner": tp.owner or "",
                "label": touchpoint_label(tp.name, tp.owner, tp.entry),
                "warn": tp.key in warned,
                "dim": owner is not None and tp.owner != owner,
                "highlight": owner is not None and tp.owner == owner,
            }
        }
        if tp.x is not None and tp.y is not None:
            node["position"] = {"x": tp.x, "y": tp.y}
        result.append(node)
    bends = edge_bends(journey)
    for edge in journey.edges:
        label = f"{formatting.number(edge.share * 100)}%" if edge.share is not None else ""
        if edge.volume is not None:
            label = f"{label} · {compact_number(edge.volume)}".strip(" ·")
        ends = (journey.touchpoint(edge.source).owner, journey.touchpoint(edge.target).owner)
        dim = owner is not None and owner not in ends
        result.append(
            {
                "data": {
                    "id": f"edge:{edge.source}:{edge.target}",
                    "source": edge.source,
                    "target": edge.target,
                    "label": label,
                    "backward": is_backward(journey, edge),
                    "dim": dim,
                    # cytoscape measures a control point's distance along the other normal than edge_bends
                    **({"bend": -bends[(edge.source, edge.target)]} if (edge.source, edge.target) in bends else {}),
                }
            }
        )
    return result


def positions(dragged: dict | None) -> dict[str, tuple[float, float]]:
    """Touchpoint positions the browser reports when the user lets go of a drag (assets/journeymap.js)."""
    found = (dragged or {}).get("positions") or {}
    return {
        str(key): (float(xy[0]), float(xy[1]))
        for key, xy in found.items()
        if isinstance(xy, list) and len(xy) == 2 and all(isinstance(v, (int, float)) for v in xy)
    }


HEATMAP_STYLESHEET = [
    *STYLESHEET,
    {
        "selector": "node[fill]",
        "style": {"background-color": "data(fill)", "border-color": "#495057", "border-width": 1.5, "font-size": 11.5},
    },
    {
        "selector": "node[?lown]",
        "style": {"border-style": "dashed", "border-color": "#6c757d", "border-width": 2, "color": "#6c757d"},
    },
    {"selector": "node[?nodata]", "style": {"border-style": "dotted", "color": "#adb5bd", "border-color": "#adb5bd"}},
    {"selector": "node[?broken]", "style": {"border-width": 4, "border-color": "#b02a37", "border-style": "solid"}},
    {
        "selector": "node[change = 'up']",
        "style": {"underlay-color": "#0d6efd", "underlay-padding": 7, "underlay-opacity": 0.55},
    },
    {
        "selector": "node[change = 'down']",
        "style": {"underlay-color": "#dc3545", "underlay-padding": 7, "underlay-opacity": 0.55},
    },
    {
        "selector": "edge[?drop]",
        "style": {
            "line-color": "#dc3545",
            "target-arrow-color": "#dc3545",
            "width": 4,
            "color": "#b02a37",
            "font-weight": "bold",
        },
    },
    {"selector": "edge[?rise]", "style": {"line-color": "#74add1", "target-arrow-color": "#74add1", "width": 3}},
    {"selector": "node[type = 'touchpoint']:selected", "style": {"border-width": 5, "border-color": "#6f42c1"}},
]


def heatmap_elements(
    journey: Journey, nodes: dict[str, dict], edges: dict[tuple[str, str], dict], lanes: bool = True
) -> list[dict]:
    """The journey's elements with heatmap data merged in: per touchpoint key and per (source, target) edge."""
    result = [e for e in elements(journey) if lanes or e["data"].get("type") != "lane"]
    for element in result:
        data = element["data"]
        if data.get("type") == "touchpoint":
            data.update(nodes.get(data["id"], {}))
        elif "source" in data:
            data.update(edges.get((data["source"], data["target"]), {}))
    return result
