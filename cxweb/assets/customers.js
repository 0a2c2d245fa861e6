// The Comments page's link from a comment to its customer's card (/customer?project=…&id=…, built and URL-encoded
// by the server). A React element with a text child: the label is never read as HTML, and only a path of this app
// becomes a link.
var customerfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
customerfuncs.CustomerLink = function (props) {
    var href = props.value;
    if (typeof href !== "string" || href.indexOf("/customer?") !== 0) {
        return null;
    }
    return React.createElement("a", {href: href, className: "cm-customer-link"}, props.label);
};
