// Keyboard shortcuts of the journey editor: Delete removes the selection, Ctrl+Z / Ctrl+Y undo and redo.
// They click the editor's own buttons, so the shortcut and the button run the same callback.
document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (typing || document.querySelector(".modal.show")) {
        return;
    }
    var id = null;
    var key = event.key.toLowerCase();
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
