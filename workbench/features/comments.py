"""The Comments screen's features: the chosen answers' comments coded with the project's codebook (rules, then
people's corrections), the themes' counts, the comment browser, one comment coded by hand, and the codebook
edited, imported and exported."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from workbench.analysis import coding
from workbench.analysis.breaks import segment_columns
from workbench.core import formatting, limits, uploads
from workbench.core.codebook import Codebook, Theme, theme_document, theme_from_form, with_theme, without_theme
from workbench.core.contract import OVERALL
from workbench.core.i18n import current
from workbench.core.i18n import gettext as _
from workbench.data import query
from workbench.repos import text

if TYPE_CHECKING:
    import pandas

    from workbench.data.query import Query
    from workbench.features.selection import Selection
    from workbench.repos.workspace import Workspace

COMMENT_ROWS = 300  # the browser shows the newest this many matching comments


@dataclass(frozen=True)
class Themes:
    """What the counts part of the screen shows for a selection.

    ``empty`` says why there are no comments: "survey" (the survey has none at all), "selection" (none in this
    period and selection) or "" (there are some). ``compare`` is the column the groups table spreads across
    (touchpoint, or a segment column the survey has); the frames are None when the codebook has no themes.
    """

    codebook: Codebook
    version: int
    names: dict[str, str]
    touchpoints: list[str]
    segments: list[str]
    compare: str
    empty: str
    totals: pandas.DataFrame | None = None
    by_score: pandas.DataFrame | None = None
    by_group: pandas.DataFrame | None = None


@dataclass(frozen=True)
class CommentRow:
    """One comment of the browser, with its touchpoint's and themes' names."""

    response_id: str
    date: str
    touchpoint: str
    score: float | None
    comment: str
    themes: str
    theme_keys: str
    customer_id: str = ""  # the answer's respondent id, when the survey has them: a link to their card


def coded(workspace: Workspace, project_id: int, source: Query) -> tuple[pandas.DataFrame, pandas.DataFrame]:
    """The answers with a comment that ``source`` selects, and their themes (rules, then people's choices).

    Coding runs again whenever the comments or the codebook change: both are in the cache key.
    """
    codebook, _version = workspace.verbatims.codebook(project_id)
    fingerprint = hashlib.sha256(json.dumps([theme_document(t) for t in codebook.themes]).encode()).hexdigest()
    everyone = replace(source, by=())
    # The respondent too where the survey has one: each comment links to its customer's card.
    respondent = ("respondent_id",) if "respondent_id" in query.columns(source.sources) else ()
    key = f"coded:{everyone.key()}:{fingerprint}:{','.join(respondent)}"
    found = workspace.cache.get(key)
    if found is None:
        frame = query.answers(
            everyone, ("response_id", *respondent, "touchpoint", *segment_columns(source.sources)), with_comment=True
        )
        found = (frame, coding.tag(frame["comment"], codebook))
        workspace.cache.set(key, found)
    frame, tags = found
    return frame, coding.apply_overrides(tags, frame["response_id"], workspace.verbatims.overrides(project_id))


def touchpoint_names(selection: Selection) -> dict[str, str]:
    """Touchpoint key → name in the selection's journey, the overall question included."""
    return {OVERALL: _("Overall"), **{tp.key: tp.name for tp in selection.journey.touchpoints}}


def themes(workspace: Workspace, selection: Selection, metric: str, compare: str) -> Themes:
    """Each theme's mentions and share of the selection's comments, by score group and by ``compare`` (touchpoint
    or a segment column; touchpoint when the survey has no such column).

    Kept in the query cache under everything they are counted from — the selection's answers, the codebook and its
    version, people's choices, the touchpoints' names, the metric, the comparison and the language — so the screen
    shown again reads them back instead of counting half a million comments again (20 M answers, three months).
    """
    codebook, version = workspace.verbatims.codebook(selection.project_id)
    names = touchpoint_names(selection)
    choices = workspace.verbatims.overrides(selection.project_id)
    key = "themes:" + hashlib.sha256(
        json.dumps([
            selection.query(by=()).key(), version, [theme_document(theme) for theme in codebook.themes],
            sorted((response, sorted(chosen.items())) for response, chosen in choices.items()),
            sorted(names.items()), metric, compare, current(),
        ]).encode()
    ).hexdigest()  # fmt: skip
    found = workspace.cache.get(key)
    if found is None:
        found = _themes(workspace, selection, metric, compare, codebook, version, names)
        workspace.cache.set(key, found)
    return found


def _themes(
    workspace: Workspace,
    selection: Selection,
    metric: str,
    compare: str,
    codebook: Codebook,
    version: int,
    names: dict[str, str],
) -> Themes:
    """:func:`themes` counted afresh."""
    frame, tags = coded(workspace, selection.project_id, selection.query(by=()))
    # The distinct touchpoints found in the column, not by a Python pass over its half a million comments.
    touchpoints = sorted(frame["touchpoint"].dropna().unique(), key=lambda key: names.get(key, key))
    segments = segment_columns(selection.sources)
    empty = ("survey" if not has_comments(selection.sources) else "selection") if frame.empty else ""
    compare = compare if compare in segments else "touchpoint"
    shown = Themes(codebook, version, names, touchpoints, segments, compare, empty)
    if not codebook.themes:
        return shown
    return replace(
        shown,
        totals=coding.theme_counts(frame, tags, by=()),
        by_score=coding.theme_by_score(frame, tags, metric),
        by_group=coding.theme_counts(frame, tags, by=(compare,)),
    )


def has_comments(sources: tuple[str, ...]) -> bool:
    """Whether the survey holds any comment at all, in any period or segment."""
    return (
        "comment" in query.columns(sources) and not query.answers(query.Query(sources, by=()), with_comment=True).empty
    )


def comments(
    workspace: Workspace,
    selection: Selection,
    metric: str,
    touchpoint: str | None = None,
    theme: str | None = None,
    score_group: str | None = None,
) -> list[CommentRow]:
    """The newest comments (:data:`COMMENT_ROWS`) of the selection at the touchpoint, mentioning the theme, with a
    score in the group (None: any), with the names of their touchpoints and themes."""
    frame, tags = coded(workspace, selection.project_id, selection.query(by=()))
    found = coding.browse(
        frame,
        tags,
        touchpoints=None if touchpoint is None else [touchpoint],
        themes=None if theme is None else [theme],
        score_groups=None if score_group is None else [score_group],
        metric=metric,
        limit=COMMENT_ROWS,
    )
    names = touchpoint_names(selection)
    theme_names = {t.key: t.name for t in workspace.verbatims.codebook(selection.project_id)[0].themes}
    customers = _customers(frame, found["response_id"])
    return [
        CommentRow(
            r.response_id,
            formatting.date(r.ts.date()),
            names.get(r.touchpoint, r.touchpoint),
            None if r.score != r.score else float(r.score),
            r.comment,
            ", ".join(theme_names.get(k, k) for k in r.themes.split(",") if k),
            r.themes,
            customers.get(r.response_id, ""),
        )
        for r in found.itertuples()
    ]


def _customers(frame: pandas.DataFrame, responses: pandas.Series) -> dict[str, str]:
    """The respondent id of each of the ``responses`` shown (none when the survey has no respondent ids)."""
    if "respondent_id" not in frame.columns:
        return {}
    rows = frame.loc[frame["response_id"].isin(responses), ["response_id", "respondent_id"]].dropna()
    return dict(zip(rows["response_id"].astype(str), rows["respondent_id"].astype(str), strict=True))


def retag(
    workspace: Workspace, project_id: int, response_id: str, comment: str, wanted: Collection[str], who: str = ""
) -> None:
    """Code one comment by hand: ``wanted`` are its themes; only choices that differ from the rules are kept."""
    codebook, _version = workspace.verbatims.codebook(project_id)
    workspace.verbatims.keep_choices(project_id, response_id, coding.corrections(codebook, comment, wanted), who)


# ------------------------------------------------------------------ the codebook


def codebook(workspace: Workspace, project_id: int) -> tuple[Codebook, int]:
    """The project's codebook and its version."""
    return workspace.verbatims.codebook(project_id)


def theme(workspace: Workspace, project_id: int, key: str) -> Theme | None:
    """The project's theme ``key``, or None when it is gone."""
    return next((t for t in workspace.verbatims.codebook(project_id)[0].themes if t.key == key), None)


def save_theme(
    workspace: Workspace,
    project_id: int,
    key: str | None,
    name: str,
    keywords: str,
    patterns: str,
    who: str,
    expected_version: int | None,
) -> Theme:
    """Save a theme as typed in the form (``key`` None: a new one) against the codebook version the screen showed."""
    current, version = workspace.verbatims.codebook(project_id)
    saved = theme_from_form(current, key, name, keywords, patterns)
    _save(workspace, project_id, with_theme(current, saved), who, expected_version, version)
    return saved


def delete_theme(workspace: Workspace, project_id: int, key: str, who: str, expected_version: int | None) -> None:
    """Remove the theme ``key`` from the codebook version the screen showed."""
    current, version = workspace.verbatims.codebook(project_id)
    _save(workspace, project_id, without_theme(current, key), who, expected_version, version)


def import_codebook(
    workspace: Workspace, project_id: int, contents: str, filename: str, who: str, expected_version: int | None
) -> Codebook:
    """Replace the codebook with an uploaded file (a data URL; CSV by its name, else YAML)."""
    data = uploads.decode(contents, filename, limits.DOCUMENT_BYTES)
    kind = "csv" if filename.lower().endswith(".csv") else "yaml"
    loaded = text.load_codebook(data.decode("utf-8-sig"), kind)
    _current, version = workspace.verbatims.codebook(project_id)
    _save(workspace, project_id, loaded, who, expected_version, version)
    return loaded


def export_codebook(workspace: Workspace, project_id: int, kind: str) -> tuple[str, str]:
    """The codebook as a file's text and name (``kind`` yaml or csv)."""
    return text.dump_codebook(workspace.verbatims.codebook(project_id)[0], kind), f"codebook.{kind}"


def _save(workspace: Workspace, project_id: int, changed: Codebook, who: str, shown: int | None, version: int) -> None:
    # Saved against the version the screen showed, so a change made meanwhile in another window is not lost.
    workspace.verbatims.save_codebook(project_id, changed, who, expected_version=version if shown is None else shown)
