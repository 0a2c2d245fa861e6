// The journey editor's canvas. Cytoscape re-measures where it sits after each draw (the toolbar above it reflows
// when data arrive, and a click would land on stale coordinates). A drag is reported once, when the user lets go:
// dash-cytoscape also reports its elements whenever a redraw adds or removes one, with the positions of a node
// still under the mouse, and each such report was stored as a move of its own (one drag, several undo steps).

// Connecting two touchpoints on the map. Either way, the pair goes to Dash through the je-linked store and a
// server callback stores the edge as one undoable edit (the same checks and messages as the Connect button).
function link(source, target) {
    dash_clientside.set_props("je-linked", {data: {source: source, target: target, at: Date.now()}});
}

// The touchpoint drawn at (x, y), in pixels from the map's top left corner; null over anything else.
function touchpointAt(cy, x, y) {
    var hit = null;
    cy.nodes('[type = "touchpoint"]').forEach(function (node) {
        var box = node.renderedBoundingBox({includeLabels: false, includeOverlays: false});
        if (x >= box.x1 && x <= box.x2 && y >= box.y1 && y <= box.y2) {
            hit = node;
        }
    });
    return hit;
}

// Drag to connect: hovering a touchpoint shows a round handle at its right edge (#je-connect-handle, an HTML element
// over the canvas, so dash-cytoscape never reports it as an element); dragging it draws a dashed line
// (#je-connect-line) and letting go over another touchpoint connects the two. Let go anywhere else: nothing.
function connectByHandle(cy) {
    var handle = document.getElementById("je-connect-handle");
    var line = document.getElementById("je-connect-line");
    if (!handle || !line) {
        return;
    }
    var box = handle.parentElement;  // the canvas box (position: relative) the handle and the line are placed in
    var source = null;  // the touchpoint the handle is shown at
    var start = null;  // where the drag began, in pixels from the canvas box's corner
    var hiding = null;
    function corner() {  // the map's top left corner within the canvas box
        var map = cy.container().getBoundingClientRect(), outer = box.getBoundingClientRect();
        return {x: map.left - outer.left, y: map.top - outer.top};
    }
    function hide() {
        clearTimeout(hiding);
        handle.classList.remove("je-show");
    }
    function hideSoon() {  // time for the mouse to move from the node onto the handle
        clearTimeout(hiding);
        hiding = setTimeout(function () { if (!start) { hide(); } }, 400);
    }
    cy.on("mouseover", 'node[type = "touchpoint"]', function (event) {
        if (start || cy.__cxConnectFrom) {
            return;
        }
        clearTimeout(hiding);
        source = event.target;
        var box = source.renderedBoundingBox({includeLabels: false, includeOverlays: false}), at = corner();
        handle.style.left = (at.x + box.x2) + "px";
        handle.style.top = (at.y + (box.y1 + box.y2) / 2) + "px";
        handle.classList.add("je-show");
    });
    cy.on("mouseout", 'node[type = "touchpoint"]', hideSoon);
    cy.on("viewport grab remove", hide);  // the node or the map moves away from under the handle, or is gone
    handle.addEventListener("pointerenter", function () { clearTimeout(hiding); });
    handle.addEventListener("pointerleave", hideSoon);
    handle.addEventListener("pointerdown", function (event) {
        if (!source || event.button !== 0) {
            return;
        }
        event.preventDefault();
        handle.setPointerCapture(event.pointerId);  // the moves and the release come here, wherever the mouse is
        start = {x: parseFloat(handle.style.left), y: parseFloat(handle.style.top)};  // the handle's centre
        drawLine(event);
    });
    function drawLine(event) {
        var outer = box.getBoundingClientRect();
        var dx = event.clientX - outer.left - start.x, dy = event.clientY - outer.top - start.y;
        line.style.left = start.x + "px";
        line.style.top = start.y + "px";
        line.style.width = Math.sqrt(dx * dx + dy * dy) + "px";
        line.style.transform = "rotate(" + Math.atan2(dy, dx) + "rad)";
        line.style.display = "block";
    }
    handle.addEventListener("pointermove", function (event) {
        if (start) {
            drawLine(event);
        }
    });
    function finish(event, cancelled) {
        if (!start) {
            return;
        }
        start = null;
        line.style.display = "none";
        hide();
        var map = cy.container().getBoundingClientRect();
        var target = cancelled ? null : touchpointAt(cy, event.clientX - map.left, event.clientY - map.top);
        if (target && target.id() !== source.id()) {
            link(source.id(), target.id());
        }
    }
    handle.addEventListener("pointerup", function (event) { finish(event, false); });
    handle.addEventListener("pointercancel", function (event) { finish(event, true); });
}

// The C key (assets/keyboard.js): with one touchpoint selected, C and then a click on another connects the two;
// Esc or a click anywhere else cancels. The canvas box shows the hint #je-connect-hint meanwhile.
function connectByKey(cy) {
    var box = cy.container().closest(".je-canvas");
    function stop() {
        cy.__cxConnectFrom = null;
        if (box) {
            box.classList.remove("je-connecting");
        }
    }
    cy.__cxStartConnecting = function () {
        var chosen = cy.nodes('[type = "touchpoint"]:selected');
        if (chosen.length !== 1 || !box || document.querySelector(".cx-read-only")) {  // a reader changes nothing
            return false;
        }
        cy.__cxConnectFrom = chosen.id();
        box.classList.add("je-connecting");
        return true;
    };
    cy.__cxStopConnecting = stop;
    cy.on("tap", function (event) {
        var from = cy.__cxConnectFrom, target = event.target;
        if (!from) {
            return;
        }
        stop();
        if (target !== cy && target.isNode() && target.data("type") === "touchpoint" && target.id() !== from) {
            link(from, target.id());
        }
    });
}
window.cxJourneyMap = {
    startConnecting: function () {
        var cy = window.cy;
        return Boolean(cy && cy.__cxStartConnecting && document.getElementById("je-graph") && cy.__cxStartConnecting());
    },
    stopConnecting: function () {
        var cy = window.cy;
        var connecting = Boolean(cy && cy.__cxConnectFrom);
        if (connecting) {
            cy.__cxStopConnecting();
        }
        return connecting;
    }
};

// A fit (a journey opened, laid out or quick-added) never zooms out so far that the 12 px labels are drawn below
// 9 px: at most to READABLE_ZOOM, showing the journey's start (its left end); the user pans or zooms for the rest.
var READABLE_ZOOM = 0.75;
var FIT_PADDING = 40;  // the layout's padding (PRESET in cxweb/pages/journeys.py)
function keepReadable(cy) {
    function floor() {
        if (cy.zoom() >= READABLE_ZOOM || cy.elements().empty()) {
            return;
        }
        var box = cy.elements().boundingBox(), zoom = READABLE_ZOOM;
        var tall = box.h * zoom + 2 * FIT_PADDING > cy.height();
        cy.viewport({
            zoom: zoom,
            pan: {
                x: FIT_PADDING - box.x1 * zoom,
                y: tall ? FIT_PADDING - box.y1 * zoom : (cy.height() - box.h * zoom) / 2 - box.y1 * zoom
            }
        });
    }
    cy.on("layoutstop", floor);
    floor();  // the first layout may have run before this was set up
}

window.dash_clientside = Object.assign({}, window.dash_clientside, {
    journeymap: {
        drawn: function () {
            var cy = window.cy;
            if (!cy) {
                return null;
            }
            cy.resize();
            if (!cy.__cxConnects) {
                cy.__cxConnects = true;
                connectByHandle(cy);
                connectByKey(cy);
                keepReadable(cy);
            }
            if (!cy.__cxDrags) {
                cy.__cxDrags = true;
                var freed = {};
                var timer = null;
                cy.on("dragfree", "node", function (event) {
                    var node = event.target;
                    if (node.data("type") !== "touchpoint") {
                        return;
                    }
                    var at = node.position();
                    freed[node.id()] = [at.x, at.y];
                    clearTimeout(timer);  // the nodes of one selection are let go together: one report
                    timer = setTimeout(function () {
                        dash_clientside.set_props("je-dragged", {data: {positions: freed, at: Date.now()}});
                        freed = {};
                    }, 50);
                });
            }
            return null;
        }
    }
});
