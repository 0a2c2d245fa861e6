"""A draft journey made from a survey file before any journey exists: one touchpoint per touchpoint label (a long
file's touchpoint column) or per rating column (a wide file), all in one stage to be arranged later.

Pure: :func:`draft_journey` takes the names as the file gives them and returns the journey and which touchpoint each
name became; storing it is :func:`workbench.features.data.create_draft`'s.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from workbench.core import formatting, limits
from workbench.core import journey as jm
from workbench.core.i18n import N_, ngettext
from workbench.core.i18n import gettext as _
from workbench.core.journey import Journey, JourneyError, Stage, Touchpoint
from workbench.core.limits import LimitError

STAGE = N_("To arrange")  # the one stage of a draft: the consultant puts its touchpoints into stages afterwards
MIN_ROWS = 5  # a draft's touchpoints are laid out in a grid of at least this many rows (compact_layout's default)


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
    journey = jm.compact_layout(journey, rows=max(MIN_ROWS, math.ceil(math.sqrt(len(names)))))
    return journey, {label: keys[cleaned] for label, cleaned in by_label.items() if cleaned}


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
