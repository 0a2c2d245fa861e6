// Keyboard shortcuts of the journey editor: Delete removes the selection, Ctrl+Z / Ctrl+Y undo and redo,
// C then a click connects the selected touchpoint to another.
// They click the editor's own buttons, so the shortcut and the button run the same callback.
document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && target.id === "je-quick-text" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();  // Ctrl+Enter in the quick-add list adds it, as the dialog's Add button does
        document.getElementById("je-quick-ok").click();
        return;
    }
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (typing || document.querySelector(".modal.show")) {
        return;
    }
    var key = event.key.toLowerCase();
    // C connects the selected touchpoint to the one clicked next, Esc cancels that (assets/journeymap.js).
    var map = window.cxJourneyMap;
    if (map && key === "c" && !(event.ctrlKey || event.metaKey || event.altKey) && map.startConnecting()) {
        event.preventDefault();
        return;
    }
    if (map && event.key === "Escape" && map.stopConnecting()) {
        return;
    }
    var id = null;
    if (event.key === "Delete" || event.key === "Backspace") {
        id = "je-delete";
    } else if ((event.ctrlKey || event.metaKey) && key === "z" && !event.shiftKey) {
        id = "je-undo";
    } else if ((event.ctrlKey || event.metaKey) && (key === "y" || (key === "z" && event.shiftKey))) {
        id = "je-redo";
    }
    var button = id && document.getElementById(id);
    if (button && !button.disabled) {
        event.preventDefault();
        button.click();
    }
});
