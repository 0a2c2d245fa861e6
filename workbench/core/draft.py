"""A draft journey made from a survey file before any journey exists: one touchpoint per touchpoint label (a long
file's touchpoint column) or per rating column (a wide file), all in one stage to be arranged later.

Pure: :func:`draft_journey` takes the names as the file gives them and returns the journey and which touchpoint each
name became; storing it is :func:`workbench.features.data.create_draft`'s.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

from workbench.core import formatting, limits
from workbench.core import journey as jm
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _
from workbench.core.journey import Journey, JourneyError, Stage, Touchpoint
from workbench.core.limits import LimitError

STAGE = N_("To arrange")  # the one stage of a draft: the consultant puts its touchpoints into stages afterwards
MIN_ROWS = 5  # a draft's touchpoints are laid out in a grid of at least this many rows (compact_layout's default)
# A touchpoint is drawn 150 × 62 with its name wrapped at 138 px in 12 px type (cxweb.pages._graph): about 19
# characters a line, 15 px a line. A name of more lines than the box holds spills over it, so a row of the draft's
# grid is as high as its longest name needs.
NODE_HEIGHT = jm.NODE_HEIGHT
LINE_CHARS = 19
LINE_HEIGHT = 15.0
ROW_GAP = jm.LANE_HEIGHT - NODE_HEIGHT


def clean_name(text: object) -> str:
    """A name as a draft takes it from a file: blanks (line breaks, tabs, runs of spaces) collapsed to one space,
    cut at :data:`~workbench.core.limits.NAME_CHARS` characters; "" for a blank one."""
    return " ".join(str(text).split())[: limits.NAME_CHARS].rstrip()


def draft_journey(
    name: str, labels: Iterable[str], *, where: str = "", what: str = "labels"
) -> tuple[Journey, dict[str, str]]:
    """A journey named ``name`` of one stage ("To arrange") with a touchpoint for each distinct name among
    ``labels`` (in their order; blank ones skipped, names cleaned by :func:`clean_name`, keys slugs made unique),
    no edges, laid out in a grid that stays readable however many there are; and each non-blank label's key.

    More than :data:`~workbench.core.limits.DRAFT_TOUCHPOINTS` distinct names raise :class:`LimitError` naming
    ``where`` (the file and its column); none at all, or a blank journey name, :class:`JourneyError`. ``what`` says
    what the names are, "labels" or "columns", in that message.
    """
    by_label = {label: clean_name(label) for label in labels}
    names = list(dict.fromkeys(cleaned for cleaned in by_label.values() if cleaned))
    if len(names) > limits.DRAFT_TOUCHPOINTS:
        n, most = len(names), limits.DRAFT_TOUCHPOINTS
        if what == "columns":
            found = ngettext("{n} rating column", "{n} rating columns", n)
        else:
            found = ngettext("{n} different label", "{n} different labels", n)
        raise LimitError(
            where,
            ngettext(
                "{found}; a draft journey takes at most {limit} touchpoint.",
                "{found}; a draft journey takes at most {limit} touchpoints.",
                most,
            ).format(found=found.format(n=formatting.count(n)), limit=formatting.count(most)),
        )
    if not names:
        message = _("no label to make a touchpoint of.") if what != "columns" else _("no rating column.")
        raise JourneyError(f"{where}: {message}" if where else message[:1].upper() + message[1:])
    stage_name = _(STAGE)
    stage = Stage(jm.slugify(stage_name), stage_name)
    keys: dict[str, str] = {}
    for tp_name in names:
        keys[tp_name] = jm.unique_key(tp_name, keys.values())
    journey = Journey(
        name=clean_name(name), stages=(stage,), touchpoints=tuple(Touchpoint(keys[n], n, stage.key) for n in names)
    )
    jm.validate(journey)  # a blank name; nothing else can be wrong
    journey = _rows_fit_names(jm.compact_layout(journey, rows=max(MIN_ROWS, math.ceil(math.sqrt(len(names))))))
    return journey, {label: keys[cleaned] for label, cleaned in by_label.items() if cleaned}


def _lines(name: str) -> int:
    """Lines a name takes wrapped at word breaks, about :data:`LINE_CHARS` characters a line."""
    lines, used = 1, 0
    for word in name.split():
        if used and used + 1 + len(word) > LINE_CHARS:
            lines, used = lines + 1, 0
        used += (1 if used else 0) + len(word)
        while used > LINE_CHARS:  # a word longer than a line runs on
            lines, used = lines + 1, used - LINE_CHARS
    return lines


def _rows_fit_names(journey: Journey) -> Journey:
    """The grid's rows (compact_layout's) moved apart so that no touchpoint's name reaches into the next row."""
    rows: dict[float, float] = {}  # a row's y → the height its longest name needs
    for tp in journey.touchpoints:
        assert tp.y is not None  # compact_layout placed every one
        rows[tp.y] = max(rows.get(tp.y, NODE_HEIGHT), _lines(tp.name) * LINE_HEIGHT + 8)
    placed: dict[float, float] = {}
    bottom = None
    for y in sorted(rows):
        placed[y] = 0.0 if bottom is None else bottom + ROW_GAP + rows[y] / 2
        bottom = placed[y] + rows[y] / 2
    return jm.move_touchpoints(journey, {tp.key: (tp.x or 0.0, placed[tp.y or 0.0]) for tp in journey.touchpoints})


# Where a matrix question's text ends and its row begins: "How satisfied were you … – Check-in" (SurveyMonkey's two
# header rows joined), "How satisfied…-Check-in" (Qualtrics); the split guesses.match_touchpoints reads too.
MATRIX_ROW = re.compile(r"\s[-–—]\s|(?<=\S)-(?=[A-Z])")


def matrix_names(texts: Mapping[str, str]) -> dict[str, str]:
    """Each column's touchpoint name (``texts``: column → its question text or name): the row of a matrix question
    whose text two columns or more share ("Han Solo" of "Please state whether you view … – Han Solo"), so that the
    map shows what tells them apart; the whole text where there is no such row, or where two rows would be one."""
    parts = {column: MATRIX_ROW.split(text) for column, text in texts.items()}
    shared: dict[str, int] = {}
    for pieces in parts.values():
        if len(pieces) > 1:
            shared[clean_name(" ".join(pieces[:-1]))] = shared.get(clean_name(" ".join(pieces[:-1])), 0) + 1
    rows = {
        column: clean_name(pieces[-1])
        for column, pieces in parts.items()
        if len(pieces) > 1 and clean_name(pieces[-1]) and shared[clean_name(" ".join(pieces[:-1]))] > 1
    }
    whole = {clean_name(text) for column, text in texts.items() if column not in rows}
    counted: dict[str, int] = {}
    for row in rows.values():
        counted[row] = counted.get(row, 0) + 1
    return {
        column: rows[column] if column in rows and counted[rows[column]] == 1 and rows[column] not in whole else text
        for column, text in texts.items()
    }


def draft_name(stem: str, taken: Iterable[str]) -> str:
    """A draft journey's name from a file's name (without its extension), "stem (2)", "stem (3)"… when a journey of
    the project already has it (compared as the workspace compares names: case aside)."""
    base = clean_name(stem) or _("Draft journey")
    used = {n.casefold() for n in taken}
    found, n = base, 2
    while found.casefold() in used:
        suffix = f" ({n})"
        found, n = base[: limits.NAME_CHARS - len(suffix)].rstrip() + suffix, n + 1
    return found
