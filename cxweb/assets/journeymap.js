// The journey editor's canvas. Cytoscape re-measures where it sits after each draw (the toolbar above it reflows
// when data arrive, and a click would land on stale coordinates). A drag is reported once, when the user lets go:
// dash-cytoscape also reports its elements whenever a redraw adds or removes one, with the positions of a node
// still under the mouse, and each such report was stored as a move of its own (one drag, several undo steps).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    journeymap: {
        drawn: function () {
            var cy = window.cy;
            if (!cy) {
                return null;
            }
            cy.resize();
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
