"""A codebook: the themes comments are coded with, each recognised by keywords and regex patterns, and the checks
that say what is wrong with one. How the rules match is in :mod:`workbench.analysis.coding`; how codebooks are stored
and read from files is in :mod:`workbench.repos.text`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from workbench.core import formatting, limits
from workbench.core.folding import fold
from workbench.core.i18n import gettext as _
from workbench.core.journey import KEY_PATTERN, unique_key

SENTIMENTS = ("", "negative", "positive")
THEME_FIELDS = ("key", "name", "sentiment", "keywords", "patterns")
_KEYWORD_WORD = re.compile(r"[\w*]+")
_ESCAPES = re.compile(r"\\N\{[^}]*\}|\\.|\(\?P[<=]\w+>?")  # \N{NAME}, \W and the like, (?P<name> and (?P=name)


class CodebookError(ValueError):
    """A codebook that cannot be used or read; the message names the theme, or the line/row and field."""


@dataclass(frozen=True)
class Theme:
    """One code of the codebook: what a comment is about, recognised by keywords and regex patterns."""

    key: str
    name: str
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    sentiment: str = ""  # "negative", "positive" or "" (a topic): for display only


@dataclass(frozen=True)
class Codebook:
    """The themes comments are coded with, in display order."""

    themes: tuple[Theme, ...]


# ------------------------------------------------------------------ checking


def validate(codebook: Codebook) -> list[str]:
    """Every problem of the codebook, each naming its theme (empty when the codebook can be used)."""
    return [
        _("Theme '{key}': {problem}").format(key=codebook.themes[index].key, problem=message)
        if codebook.themes[index].key
        else _("Theme {number}: {problem}").format(number=index + 1, problem=message)
        for index, _field, message in problems_by_field(codebook)
    ]


def problems_by_field(codebook: Codebook) -> list[tuple[int, str, str]]:
    """(theme index, field, message) of every problem, so files can say where each one is."""
    problems = []
    seen: set[str] = set()
    for index, theme in enumerate(codebook.themes):
        if not theme.key.strip():
            problems.append((index, "key", _("the key is empty.")))
        elif not KEY_PATTERN.match(theme.key):
            problems.append(
                (index, "key", _("the key '{key}' must be lowercase letters, digits and dashes.").format(key=theme.key))
            )
        elif theme.key in seen:
            problems.append((index, "key", _("the key '{key}' is used by another theme.").format(key=theme.key)))
        seen.add(theme.key)
        if not theme.name.strip():
            problems.append((index, "name", _("the name is empty.")))
        if theme.sentiment not in SENTIMENTS:
            problems.append(
                (
                    index,
                    "sentiment",
                    _("the sentiment '{sentiment}' must be negative, positive or empty.").format(
                        sentiment=theme.sentiment
                    ),
                )
            )
        if not theme.keywords and not theme.patterns:
            problems.append((index, "keywords", _("the theme has no keywords and no patterns.")))
        problems += [(index, "keywords", message) for message in map(_keyword_problem, theme.keywords) if message]
        pattern_problems = [message for message in map(_pattern_problem, theme.patterns) if message]
        problems += [(index, "patterns", message) for message in pattern_problems]
        if theme.patterns and not pattern_problems:
            try:
                re.compile(pattern_regex(theme.patterns))
            except re.error as exc:
                problems.append(
                    (index, "patterns", _("the patterns cannot be combined into one: {error}.").format(error=exc.msg))
                )
    return problems


def _keyword_problem(keyword: str) -> str | None:
    if not keyword.strip():
        return _("a keyword is empty.")
    if not any(word.strip("*") for word in keyword_words(keyword)):
        return _("the keyword '{keyword}' has no letters or digits.").format(keyword=keyword)
    return None


def _pattern_problem(pattern: str) -> str | None:
    if not pattern.strip():
        return _("a pattern is empty (it would match every comment).")
    if len(pattern) > limits.PATTERN_CHARS:
        return _("the pattern '{pattern}…' has {n} characters; the limit is {limit}.").format(
            pattern=pattern[:30], n=formatting.count(len(pattern)), limit=formatting.count(limits.PATTERN_CHARS)
        )
    try:
        re.compile(pattern)
    except re.error as exc:
        return _("invalid regex '{pattern}': {error}.").format(pattern=pattern, error=exc.msg)
    import pyarrow as pa  # loaded when a pattern is checked, not when the vocabulary is imported
    import pyarrow.compute as pc

    try:
        pc.match_substring_regex(pa.array([""]), pattern)
    except pa.ArrowInvalid:
        return _(
            "the pattern '{pattern}' uses a backreference or a lookaround, which the linear-time regex "
            "engine comments are matched with does not support."
        ).format(pattern=pattern)
    # Patterns see folded comments, so a capital or a diacritic outside an escape or group name never matches.
    # (Matching case-insensitively instead would cost sre its fast literal scan, about 3x the time.)
    literal = _ESCAPES.sub("", pattern)
    if fold(literal) != " ".join(literal.split()):
        return _(
            "the pattern '{pattern}' has capitals or diacritics, but patterns see comments in lower case without them."
        ).format(pattern=pattern)
    return None


def keyword_words(keyword: str) -> list[str]:
    """A keyword's words, folded: runs of letters, digits and ``*``."""
    return _KEYWORD_WORD.findall(fold(keyword))


def pattern_regex(patterns: Sequence[str]) -> str:
    """One RE2 expression for a theme's patterns: RE2 runs in linear time, so no pattern can hang the app."""
    return "|".join(f"(?:{pattern})" for pattern in patterns)


def theme_document(theme: Theme) -> dict:
    """A theme as plain fields (stored, written to files)."""
    return {
        "key": theme.key,
        "name": theme.name,
        "sentiment": theme.sentiment,
        "keywords": list(theme.keywords),
        "patterns": list(theme.patterns),
    }


# ------------------------------------------------------------------ editing


def theme_from_form(codebook: Codebook, key: str | None, name: str, keywords: str, patterns: str) -> Theme:
    """A theme as typed in a form: comma-separated keywords, one pattern per line; a new one gets a fresh key."""
    name = " ".join(name.split())
    current = next((theme for theme in codebook.themes if theme.key == key), None)
    if key is None or current is None:
        key = unique_key(name or "theme", [theme.key for theme in codebook.themes])
    theme = Theme(
        key=key,
        name=name,
        sentiment=current.sentiment if current else "",
        keywords=tuple(word.strip() for word in keywords.split(",") if word.strip()),
        patterns=tuple(line.strip() for line in patterns.splitlines() if line.strip()),
    )
    problems = validate(Codebook((theme,)))
    if problems:
        raise CodebookError(" ".join(problems))
    return theme


def with_theme(codebook: Codebook, theme: Theme) -> Codebook:
    """The codebook with ``theme`` in place of the one with its key, or added at the end."""
    keys = [t.key for t in codebook.themes]
    if theme.key in keys:
        return Codebook(tuple(theme if t.key == theme.key else t for t in codebook.themes))
    return Codebook((*codebook.themes, theme))


def without_theme(codebook: Codebook, key: str) -> Codebook:
    """The codebook without the theme ``key``."""
    return Codebook(tuple(theme for theme in codebook.themes if theme.key != key))
