"""Comments page: the codebook of themes, theme counts and shares, which themes unhappy customers talk about,
and a comment browser where a person can correct the automatic coding."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from cxweb.pages import _busy, _empty, _filters
from cxweb.pages._context import author, workspace
from cxweb.pages._filters import group
from cxweb.pages._pickers import user_box
from workbench.core import formatting, i18n, metrics
from workbench.core.codebook import Codebook, Theme
from workbench.core.errors import WorkspaceError
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _
from workbench.export import figures
from workbench.features import comments, customers

dash.register_page(
    __name__,
    path="/comments",
    name=N_("Comments"),
    order=5,
    icon="fa-comments",
    title=lambda **_path: _("Comments · CX Journey Workbench"),
)

SCORE_METRICS = tuple(metrics.SCALES)  # NPS, CSAT, CES
ANY = "__any__"
NEW = "__new__"
GROUP_NAMES = i18n.Labels({"negative": N_("unhappy"), "neutral": N_("neutral"), "positive": N_("happy")})
GROUP_COLOURS = {"negative": "#dc3545", "neutral": "#adb5bd", "positive": "#198754"}
GROUPS_SHOWN = 8  # columns of the theme share table: the groups with the most comments
RULES_SHOWN = 6  # keywords listed per theme; the full list is in the tooltip and the form


def layout(**_query) -> html.Div:
    """Filter bar; codebook and counts side by side; themes by score; the comment browser."""

    return html.Div(
        [
            dcc.Store(id="cm-refresh", data=0),
            dcc.Download(id="cm-download"),
            dcc.Store(id="cm-codebook-version"),
            _filters.filter_bar("cm", metric=False),
            html.Div(id="cm-empty"),
            html.Div(
                [
                    group(
                        _("Score"),
                        dbc.Select(
                            id="cm-metric",
                            value="nps",
                            options=[{"label": metrics.NAMES[m], "value": m} for m in SCORE_METRICS],
                        ),
                    ),
                    group(
                        _("You are"),
                        user_box("cm-user"),
                        "15rem",
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            dbc.Alert(id="cm-message", is_open=False, dismissable=True, color="info", className="py-2 small"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Div(
                                [
                                    html.H5(_("Themes"), className="me-auto mb-0"),
                                    dbc.Button(_("New theme"), id="cm-new", size="sm", color="primary", outline=True),
                                    dcc.Upload(
                                        dbc.Button(_("Import"), size="sm", color="secondary", outline=True),
                                        id="cm-import",
                                        accept=".yaml,.yml,.csv",
                                    ),
                                    dbc.Button(
                                        _("YAML"),
                                        id="cm-export-yaml",
                                        size="sm",
                                        color="secondary",
                                        outline=True,
                                        title=_("Download the codebook as YAML"),
                                    ),
                                    dbc.Button(
                                        _("CSV"),
                                        id="cm-export-csv",
                                        size="sm",
                                        color="secondary",
                                        outline=True,
                                        title=_("Download the codebook as CSV"),
                                    ),
                                ],
                                className="d-flex align-items-center gap-1 mb-2",
                            ),
                            _theme_form(),
                            _busy.busy(html.Div(id="cm-themes"), delay_show=300),
                        ],
                        lg=6,
                    ),
                    dbc.Col(
                        [
                            _busy.busy(
                                dcc.Graph(
                                    id="cm-by-score",
                                    config={"displaylogo": False},
                                    style={"height": "380px"},
                                    figure=figures.empty(),
                                ),
                                delay_show=300,
                            ),
                            dbc.InputGroup(
                                [
                                    dbc.InputGroupText(_("Compare by")),
                                    dbc.Select(id="cm-compare", value="touchpoint", options=[]),
                                ],
                                size="sm",
                                className="w-auto mb-1",
                            ),
                            html.Div(id="cm-by-touchpoint"),
                        ],
                        lg=6,
                    ),
                ]
            ),
            html.H5(_("Comments"), className="mt-3"),
            html.Div(
                [
                    group(_("Touchpoint"), dbc.Select(id="cm-f-touchpoint", value=ANY, options=[]), "14rem"),
                    group(_("Theme"), dbc.Select(id="cm-f-theme", value=ANY, options=[]), "14rem"),
                    group(
                        _("Score"),
                        dbc.Select(
                            id="cm-f-score",
                            value=ANY,
                            options=[
                                {"label": _("any"), "value": ANY},
                                *[{"label": label, "value": key} for key, label in GROUP_NAMES.items()],
                            ],
                        ),
                    ),
                    html.Span(id="cm-found", className="small text-muted"),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            dag.AgGrid(
                id="cm-grid",
                rowData=[],
                getRowId="params.data.response_id",
                columnDefs=[
                    {"field": "date", "headerName": _("Date"), "width": 110},
                    {"field": "touchpoint", "headerName": _("Touchpoint"), "width": 170},
                    {"field": "score", "headerName": _("Score"), "width": 80},
                    {"field": "comment", "headerName": _("Comment"), "flex": 1, "wrapText": True, "autoHeight": True},
                    {"field": "themes", "headerName": _("Themes"), "width": 230, "wrapText": True, "autoHeight": True},
                    {
                        "field": "customer_href",
                        "headerName": _("Customer"),
                        "width": 130,
                        "cellRenderer": "CustomerLink",  # assets/customers.js: a link, its text never markup
                        "cellRendererParams": {"label": _("Customer card")},
                    },
                ],
                dashGridOptions={
                    "rowSelection": "single",
                    # AG Grid's own words, its screen-reader sentences included
                    "localeText": {
                        "noRowsToShow": _("No comments"),
                        "ariaRowSelect": _("Press Space to select this row"),
                        "ariaRowDeselect": _("Press Space to deselect this row"),
                        "ariaRowToggleSelection": _("Press Space to toggle the row's selection"),
                    },
                },
                className="ag-theme-alpine",
                style={"height": "420px"},
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(id="cm-retag-comment", className="small fst-italic mb-1 hm-comment"),
                        dbc.Checklist(id="cm-retag-themes", options=[], value=[], inline=True, className="small"),
                        dbc.Button(
                            _("Save the coding of this comment"),
                            id="cm-retag-save",
                            size="sm",
                            color="primary",
                            className="mt-1",
                        ),
                    ]
                ),
                id="cm-retag",
                className="mt-2",
                style={"display": "none"},
            ),
            dcc.Store(id="cm-retag-target"),
        ]
    )


def _theme_form() -> dbc.Collapse:
    return dbc.Collapse(
        dbc.Card(
            dbc.CardBody(
                [
                    dcc.Store(id="cm-edit-key"),
                    dbc.Row(
                        [
                            dbc.Col(
                                [dbc.Label(_("Name"), className="small mb-0"), dbc.Input(id="cm-edit-name", size="sm")],
                                md=5,
                            ),
                            dbc.Col(
                                [
                                    dbc.Label(
                                        _("Keywords (comma-separated; a word start matches, accents optional)"),
                                        className="small mb-0",
                                    ),
                                    dbc.Input(id="cm-edit-keywords", size="sm"),
                                ],
                                md=7,
                            ),
                        ],
                        className="g-2",
                    ),
                    dbc.Label(
                        _("Patterns (regular expressions, one per line; they see lower case text without accents)"),
                        className="small mb-0 mt-1",
                    ),
                    dbc.Textarea(id="cm-edit-patterns", size="sm", rows=2),
                    html.Div(
                        [
                            dbc.Button(_("Save theme"), id="cm-edit-save", size="sm", color="primary"),
                            dbc.Button(_("Delete theme"), id="cm-edit-delete", size="sm", color="danger", outline=True),
                            dbc.Button(_("Cancel"), id="cm-edit-cancel", size="sm", color="secondary", outline=True),
                        ],
                        className="d-flex gap-1 mt-2",
                    ),
                ]
            ),
            className="mb-2",
        ),
        id="cm-editor",
        is_open=False,
    )


_filters.register("cm")


@callback(
    Output("cm-themes", "children"),
    Output("cm-by-score", "figure"),
    Output("cm-by-touchpoint", "children"),
    Output("cm-f-touchpoint", "options"),
    Output("cm-f-theme", "options"),
    Output("cm-compare", "options"),
    Output("cm-codebook-version", "data"),
    Output("cm-empty", "children"),
    Input("cm-selection", "data"),
    Input("cm-metric", "value"),
    Input("cm-compare", "value"),
    Input("cm-refresh", "data"),
)
def show_counts(selection, metric, compare, _refresh):
    """Each theme's mentions and share of the comments, by score group and by touchpoint or segment; a survey
    without comments says what to import instead."""
    chosen = _filters.resolve(selection)
    if chosen is None:
        return "", figures.empty(), "", [], [], [], None, ""
    found = comments.themes(workspace(), chosen, metric, compare)
    codebook, names = found.codebook, found.names
    touchpoint_options = [{"label": _("any"), "value": ANY}] + [
        {"label": names.get(key, key), "value": key} for key in found.touchpoints
    ]
    theme_options = [{"label": _("any"), "value": ANY}] + [{"label": t.name, "value": t.key} for t in codebook.themes]
    compare_options = [{"label": _("touchpoint"), "value": "touchpoint"}] + [
        {"label": c, "value": c} for c in found.segments
    ]
    notice, chart = "", None  # a selection without comments draws no chart, and says why
    if found.empty:
        notice = _empty.notice(_empty.NO_COMMENTS, "cm-no-comments") if found.empty == "survey" else ""
        chart = figures.empty(
            _("No comments in this survey")
            if found.empty == "survey"
            else _("No comments in this period and selection")
        )
    if not codebook.themes:
        return (
            html.P(
                _("The codebook is empty: add a theme, or import a codebook (YAML or CSV)."), className="text-muted"
            ),
            chart if chart is not None else figures.empty(_("No themes yet")),
            "",
            touchpoint_options,
            theme_options,
            compare_options,
            found.version,
            notice,
        )
    return (
        _theme_table(codebook, found.totals),
        chart if chart is not None else _score_chart(codebook, found.by_score, metric),
        _group_table(codebook, found.by_group, found.compare, names if found.compare == "touchpoint" else {}),
        touchpoint_options,
        theme_options,
        compare_options,
        found.version,
        notice,
    )


def _rules_text(theme: Theme) -> str:
    rules = [*theme.keywords, *theme.patterns]
    more = len(rules) - RULES_SHOWN
    shown = ", ".join(rules[:RULES_SHOWN])
    if more <= 0:
        return shown
    return ngettext("{rules} … +{n} more", "{rules} … +{n} more", more).format(rules=shown, n=formatting.count(more))


def _theme_table(codebook: Codebook, totals) -> html.Div:
    counts = totals.set_index("theme")
    total = int(totals["comments"].max()) if len(totals) else 0
    rows = []
    for theme in codebook.themes:
        found = counts.loc[theme.key] if theme.key in counts.index else None
        mentions = int(found["mentions"]) if found is not None else 0
        share = (
            _("{share} [{low}–{high}]").format(
                share=formatting.percent(found["share"] * 100, 1),
                low=formatting.number(found["low"] * 100, 1),
                high=formatting.number(found["high"] * 100, 1),
            )
            if found is not None and total
            else formatting.NONE
        )
        rows.append(
            html.Tr(
                [
                    html.Td(
                        html.A(theme.name, id={"type": "cm-theme", "key": theme.key}, href="#", className="cm-theme")
                    ),
                    html.Td(
                        _rules_text(theme), title=", ".join([*theme.keywords, *theme.patterns]), className="text-muted"
                    ),
                    html.Td(formatting.count(mentions), className="text-end cm-mentions", **{"data-theme": theme.key}),
                    html.Td(share, className="text-end text-nowrap"),
                ]
            )
        )
    header = html.Thead(
        html.Tr([html.Th(_("Theme")), html.Th(_("Rules")), html.Th(_("Mentions")), html.Th(_("Share of comments"))])
    )
    return html.Div(
        [
            html.Div(
                ngettext("{n} comment in the selection", "{n} comments in the selection", total).format(
                    n=formatting.count(total)
                ),
                className="small text-muted",
            ),
            html.Div(
                dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, className="small", id="cm-theme-table"),
                style={"maxHeight": "520px", "overflowY": "auto"},
            ),
        ]
    )


def _score_chart(codebook: Codebook, by_score, metric: str):
    import plotly.graph_objects as go

    names = {t.key: t.name for t in codebook.themes}
    shown = by_score[by_score["mentions"] > 0].iloc[::-1]
    if shown.empty:
        return figures.empty(
            _("No theme is mentioned in the comments with a {metric} score").format(metric=metrics.NAMES[metric])
        )
    full = [names.get(k, k) for k in shown["theme"]]
    keys = [figures.label(k) for k in shown["theme"]]  # unique on the axis; the names are its tick labels
    figure = go.Figure(
        [
            go.Bar(
                y=keys,
                x=shown[f"{group}_share"] * 100,
                customdata=[figures.label(n) for n in full],
                orientation="h",
                name=GROUP_NAMES[group],
                marker_color=GROUP_COLOURS[group],
                hovertemplate="%{customdata}: %{x:.0f} %<extra>" + GROUP_NAMES[group] + "</extra>",
            )
            for group in GROUP_NAMES
        ]
    )
    figure.update_layout(
        barmode="stack",
        margin={"l": 10, "r": 10, "t": 30, "b": 30},
        plot_bgcolor="white",
        separators=formatting.plotly_separators(),
        legend={"orientation": "h", "y": -0.1},
        title={
            "text": _("Who mentions each theme ({metric} of the answer)").format(metric=metrics.NAMES[metric]),
            "font": {"size": 14},
        },
        xaxis={"range": [0, 100], "ticksuffix": " %"},  # a title there would sit on the legend
        yaxis={
            "automargin": True,
            "tickvals": keys,
            "ticktext": figures.tick_labels(full),
            "tickfont": {"family": figures.LABEL_FONT},
        },
    )
    return figure


def _group_table(codebook: Codebook, by_group, column: str, names: dict[str, str]) -> html.Div:
    if by_group.empty:
        return ""
    wide = by_group.pivot_table(index="theme", columns=column, values="share", aggfunc="first")
    counts = by_group.groupby(column)["comments"].max().sort_values(ascending=False)
    columns = list(counts.index[:GROUPS_SHOWN])
    header = html.Thead(
        html.Tr(
            [html.Th(_("Theme"))]
            + [
                html.Th(
                    [names.get(key, key), html.Div(f"n = {formatting.count(int(counts[key]))}", className="hm-n")],
                    className="text-end",
                )
                for key in columns
            ]
        )
    )
    rows = []
    for theme in codebook.themes:
        if theme.key not in wide.index:
            continue
        cells = []
        for key in columns:
            value = wide.at[theme.key, key] if key in wide.columns else float("nan")
            shade = 0 if value != value else min(value, 0.6) / 0.6
            cells.append(
                html.Td(
                    "" if value != value else formatting.percent(value * 100),
                    className="text-end",
                    style={"backgroundColor": f"rgba(13, 110, 253, {shade * 0.45:.2f})"},
                )
            )
        rows.append(html.Tr([html.Td(theme.name)] + cells))
    return html.Div(
        [
            html.Div(
                (
                    _("Share of each touchpoint's comments mentioning the theme (the {n} with the most comments)")
                    if column == "touchpoint"
                    else _("Share of each {column}'s comments mentioning the theme (the {n} with the most comments)")
                ).format(column=column, n=formatting.count(len(columns))),
                className="small text-muted",
            ),
            html.Div(
                dbc.Table([header, html.Tbody(rows)], size="sm", className="small hm-table"),
                style={"overflowX": "auto"},
            ),
        ]
    )


@callback(
    Output("cm-grid", "rowData"),
    Output("cm-found", "children"),
    Input("cm-selection", "data"),
    Input("cm-metric", "value"),
    Input("cm-f-touchpoint", "value"),
    Input("cm-f-theme", "value"),
    Input("cm-f-score", "value"),
    Input("cm-refresh", "data"),
)
def browse(selection, metric, touchpoint, theme, score, _refresh):
    """The newest comments matching the browser's filters."""
    chosen = _filters.resolve(selection)
    if chosen is None:
        return [], ""
    found = comments.comments(
        workspace(),
        chosen,
        metric,
        touchpoint=None if touchpoint in (None, ANY) else touchpoint,
        theme=None if theme in (None, ANY) else theme,
        score_group=None if score in (None, ANY) else score,
    )
    rows = [
        {
            "response_id": r.response_id,
            "date": r.date,
            "touchpoint": r.touchpoint,
            "score": "" if r.score is None else formatting.number(r.score, 0 if r.score == int(r.score) else 1),
            "comment": r.comment,
            "themes": r.themes,
            "theme_keys": r.theme_keys,
            "customer_href": customers.customer_href(r.customer_id, chosen.project_id) if r.customer_id else "",
        }
        for r in found
    ]
    return rows, _("newest {shown} of the matching comments").format(shown=formatting.count(len(rows)))


@callback(
    Output("cm-retag", "style"),
    Output("cm-retag-comment", "children"),
    Output("cm-retag-themes", "options"),
    Output("cm-retag-themes", "value"),
    Output("cm-retag-target", "data"),
    Input("cm-grid", "selectedRows"),
    State("cm-selection", "data"),
    prevent_initial_call=True,
)
def choose_comment(selected, selection):
    """Open the coding of the selected comment: each theme ticked as it is now."""
    chosen = _filters.resolve(selection)
    if not selected or chosen is None:
        return {"display": "none"}, "", [], [], None
    row = selected[0]
    codebook = comments.codebook(workspace(), chosen.project_id)[0]
    current = [key for key in row["theme_keys"].split(",") if key]
    return (
        {},
        _("“{comment}”").format(comment=row["comment"]),
        [{"label": t.name, "value": t.key} for t in codebook.themes],
        current,
        {"response_id": row["response_id"], "comment": row["comment"]},
    )


@callback(
    Output("cm-refresh", "data"),
    Output("cm-message", "children"),
    Output("cm-message", "is_open"),
    Output("cm-message", "color"),
    Input("cm-retag-save", "n_clicks"),
    State("cm-retag-target", "data"),
    State("cm-retag-themes", "value"),
    State("cm-selection", "data"),
    State("cm-user", "value"),
    State("cm-refresh", "data"),
    prevent_initial_call=True,
)
def retag(_clicks, target, wanted, selection, user, refresh):
    """Keep a person's coding of one comment; the automatic rules no longer decide for it."""
    chosen = _filters.resolve(selection)
    if not target or chosen is None:
        return no_update, no_update, no_update, no_update
    comments.retag(
        workspace(), chosen.project_id, target["response_id"], target["comment"], set(wanted or ()), author(user)
    )
    return (refresh or 0) + 1, _("Coding saved for this comment."), True, "info"


# ------------------------------------------------------------------ the codebook


@callback(
    Output("cm-editor", "is_open"),
    Output("cm-edit-key", "data"),
    Output("cm-edit-name", "value"),
    Output("cm-edit-keywords", "value"),
    Output("cm-edit-patterns", "value"),
    Input("cm-new", "n_clicks"),
    Input({"type": "cm-theme", "key": dash.ALL}, "n_clicks"),
    Input("cm-edit-cancel", "n_clicks"),
    Input("cm-refresh", "data"),
    State("cm-selection", "data"),
    prevent_initial_call=True,
)
def edit_theme(_new, clicked, _cancel, _refresh, selection):
    """Open the theme form empty, or filled with a clicked theme; close it on cancel or after a save."""
    trigger = ctx.triggered_id
    chosen = _filters.resolve(selection)
    if trigger == "cm-new":
        return True, NEW, "", "", ""
    if isinstance(trigger, dict) and chosen is not None and any(clicked):
        theme = comments.theme(workspace(), chosen.project_id, trigger["key"])
        if theme is not None:
            return True, theme.key, theme.name, ", ".join(theme.keywords), "\n".join(theme.patterns)
        return no_update, no_update, no_update, no_update, no_update
    if trigger in ("cm-edit-cancel", "cm-refresh"):
        return False, None, no_update, no_update, no_update
    return no_update, no_update, no_update, no_update, no_update


@callback(
    Output("cm-refresh", "data", allow_duplicate=True),
    Output("cm-message", "children", allow_duplicate=True),
    Output("cm-message", "is_open", allow_duplicate=True),
    Output("cm-message", "color", allow_duplicate=True),
    Input("cm-edit-save", "n_clicks"),
    Input("cm-edit-delete", "n_clicks"),
    Input("cm-import", "contents"),
    State("cm-import", "filename"),
    State("cm-edit-key", "data"),
    State("cm-edit-name", "value"),
    State("cm-edit-keywords", "value"),
    State("cm-edit-patterns", "value"),
    State("cm-selection", "data"),
    State("cm-user", "value"),
    State("cm-codebook-version", "data"),
    State("cm-refresh", "data"),
    prevent_initial_call=True,
)
def change_codebook(_save, _delete, contents, filename, key, name, keywords, patterns, selection, user, shown, refresh):
    """Save or delete a theme, or replace the codebook with an imported file; comments are coded again at once."""
    chosen = _filters.resolve(selection)
    trigger = ctx.triggered_id
    if chosen is None or trigger is None:
        return no_update, no_update, no_update, no_update
    ws, project_id = workspace(), chosen.project_id
    try:
        if trigger == "cm-import":
            if not contents:
                return no_update, no_update, no_update, no_update
            codebook = comments.import_codebook(ws, project_id, contents, filename or "", author(user), shown)
            done = ngettext(
                "Imported {n} theme from {file}.", "Imported {n} themes from {file}.", len(codebook.themes)
            ).format(n=formatting.count(len(codebook.themes)), file=filename)
        elif trigger == "cm-edit-delete":
            comments.delete_theme(ws, project_id, key, author(user), shown)
            done = _("Theme deleted.")
        else:
            theme = comments.save_theme(
                ws,
                project_id,
                None if key == NEW else key,
                name or "",
                keywords or "",
                patterns or "",
                author(user),
                shown,
            )
            done = _("Theme “{name}” saved; the comments were coded again.").format(name=theme.name)
    except (WorkspaceError, ValueError, UnicodeDecodeError) as error:
        return (refresh or 0) + 1, str(error), True, "danger"  # the page reloads the codebook as it is now
    return (refresh or 0) + 1, done, True, "info"


@callback(
    Output("cm-download", "data"),
    Input("cm-export-yaml", "n_clicks"),
    Input("cm-export-csv", "n_clicks"),
    State("cm-selection", "data"),
    prevent_initial_call=True,
)
def export(_yaml, _csv, selection):
    """The codebook as a file to share or to edit elsewhere."""
    chosen = _filters.resolve(selection)
    if chosen is None:
        return no_update
    content, filename = comments.export_codebook(
        workspace(), chosen.project_id, "csv" if ctx.triggered_id == "cm-export-csv" else "yaml"
    )
    return {"content": content, "filename": filename}
