// The actions kanban: each column is an AG Grid whose rows are cards. A card is dragged within its column
// (rowDragEnd) or into another column (AG Grid's row drop zones between grids). The browser only reports the
// drop, {card, version, status, index}, into the store "act-drop"; the server stores the move and redraws the
// board, so what the user sees is always what was saved.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    kanban: {
        connect: function () {
            var ids = Array.prototype.slice.call(arguments);
            Promise.all(ids.map(function (id) { return dash_ag_grid.getApiAsync(id); })).then(function (apis) {
                apis.forEach(function (source, i) {
                    if (source.__cxKanban) {
                        return;
                    }
                    source.__cxKanban = true;
                    source.addEventListener("rowDragEnd", function (event) { report(event, ids[i], apis[i]); });
                    apis.forEach(function (target, j) {
                        if (i !== j) {
                            source.addRowDropZone(target.getRowDropZoneParams({
                                onDragStop: function (event) { report(event, ids[j], target); }
                            }));
                        }
                    });
                });
            });
            return true;
        }
    }
});

var reported = {key: null, at: 0};

function report(event, gridId, api) {
    var node = event.node || (event.nodes && event.nodes[0]);
    // A drop on another column fires both that grid's rowDragEnd and the drop zone's onDragStop at once: report
    // it once. Only for a quarter second (both fire on the same mouse-up), so the same card can be dragged again
    // at once after the server refused a move: a one-second window swallowed a quick second try.
    var key = node && node.data && node.data.id + ":" + node.data.version;
    if (!key || (key === reported.key && Date.now() - reported.at < 250)) {
        return;
    }
    reported = {key: key, at: Date.now()};
    var index = event.overIndex;
    if (index === undefined || index === null || index < 0) {
        index = api.getDisplayedRowCount();  // dropped below the last card
    }
    dash_clientside.set_props("act-drop", {data: {
        card: node.data.id, version: node.data.version, status: gridId.replace("act-grid-", ""), index: index,
        at: Date.now()
    }});
}

// The card inside a grid row: title, touchpoints, owner, due date, cost, verdict. Text nodes only (React escapes
// them), so a title or an owner typed by a user is never read as HTML.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
dagcomponentfuncs.KanbanCard = function (props) {
    var d = props.data || {};
    var h = React.createElement;
    var facts = [];
    if (d.owner) {
        facts.push(h("span", {key: "o", className: "me-2"}, [h("i", {key: "i", className: "fa-solid fa-user me-1"}), d.owner]));
    }
    if (d.due) {
        facts.push(h("span", {key: "d", className: "me-2" + (d.overdue ? " text-danger fw-bold" : ""),
                             title: d.overdue ? d.overdue_text : ""},
                     [h("i", {key: "i", className: "fa-regular fa-calendar me-1"}), d.due,
                      d.overdue ? h("i", {key: "w", className: "fa-solid fa-triangle-exclamation ms-1"}) : null]));
    }
    if (d.cost_text) {
        facts.push(h("span", {key: "c"}, [h("i", {key: "i", className: "fa-solid fa-coins me-1"}), d.cost_text]));
    }
    return h("div", {className: "cx-card" + (d.verdict ? " cx-card-" + d.verdict : ""), "data-card": d.id}, [
        h("div", {key: "t", className: "cx-card-title"}, d.title),
        h("div", {key: "p", className: "cx-card-where"}, d.where),
        h("div", {key: "f", className: "cx-card-facts"}, facts),
        d.verdict_text ? h("div", {key: "v", className: "cx-card-verdict"}, d.verdict_text) : null
    ]);
};
