"""Verbatim coding: a codebook of themes, which themes each comment mentions, and counts of them.

Matching ignores case and diacritics: comments and keywords are both folded with :func:`workbench.data.ingest.fold`,
so "Zásilka přišla pozdě", "zasilka prisla pozde" and the keyword "pozdě" or "pozde" all meet. A comment's
*words* are its runs of letters and digits; punctuation and spaces only separate them.

- A **keyword** matches at the start of a word: ``opozd`` matches "opozdilo", ``late`` matches "late" and
  "later" but not "chocolate".
- A keyword of several words is a **phrase**: its words must follow one another in the comment (whatever
  punctuation lies between); all but the last must be whole words, the last is a word start as above. So
  ``late deliv`` matches "late delivery" and "late, delivered" but not "later delivery". Punctuation inside a
  keyword separates words too: ``e-mail`` is the phrase "e mail".
- ``*`` in a keyword stands for any letters within one word: ``zpo*d`` matches "zpozdeni", and ``vyhodil* chyb``
  matches "vyhodilo chybu" (a word that is only ``*`` stands for any one word).
- A **pattern** is a regular expression searched in the *folded* comment (lower case, no diacritics, single
  spaces), so it is written that way: ``zpozd``, not ``Zpožd``. Patterns run on RE2 (through pyarrow), whose time
  is linear in the text, so no pattern can hang the app; RE2 has no backreferences or lookarounds. Keywords cost
  next to nothing; a pattern is run on every distinct comment.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from sqlalchemy import delete, select

from workbench.core import formatting, limits, metrics
from workbench.core.errors import ConflictError, person
from workbench.core.folding import fold
from workbench.core.i18n import gettext as _
from workbench.core.journey import KEY_PATTERN, unique_key
from workbench.core.journeyfile import YamlDumper
from workbench.core.safecells import neutralise, restore
from workbench.data.store import CodebookRow, CommentTagRow

if TYPE_CHECKING:
    from workbench.data.query import Query
    from workbench.repos.workspace import Workspace

CODEBOOK_FILE = Path(__file__).resolve().parents[2] / "datasets" / "codebook.yaml"
FORMATS = ("yaml", "csv")
SENTIMENTS = ("", "negative", "positive")
THEME_FIELDS = ("key", "name", "sentiment", "keywords", "patterns")
SCORE_GROUPS = ("negative", "neutral", "positive")
# The highest negative and the highest neutral score of each metric (CES: 7 = very easy, so low is negative).
SCORE_LIMITS = {"nps": (metrics.DETRACTOR_AT, metrics.PROMOTER_AT - 1), "csat": (2, 3), "ces": (3, 5)}
SCORE_GROUP_NAMES = {
    "nps": dict(zip(SCORE_GROUPS, (_("Detractors (0–6)"), _("Passives (7–8)"), _("Promoters (9–10)")))),
    "csat": dict(zip(SCORE_GROUPS, (_("Dissatisfied (1–2)"), _("Neutral (3)"), _("Satisfied (4–5)")))),
    "ces": dict(zip(SCORE_GROUPS, (_("Difficult (1–3)"), _("Neutral (4–5)"), _("Easy (6–7)")))),
}
_KEYWORD_WORD = re.compile(r"[\w*]+")
_ESCAPES = re.compile(r"\\N\{[^}]*\}|\\.|\(\?P[<=]\w+>?")  # \N{NAME}, \W and the like, (?P<name> and (?P=name)
# A CSV list cell: items split by "|"; "\|" and "\\" stand for a literal bar and backslash.
_LIST_TOKEN = re.compile(r"\\[\\|]|\||[^\\|]+|\\")
_YAML_NULL = "tag:yaml.org,2002:null"
# libyaml's C parser when PyYAML was built with it; same behaviour either way.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    return [f"Theme '{codebook.themes[index].key}': {message}" if codebook.themes[index].key
            else f"Theme {index + 1}: {message}" for index, _field, message in _problems(codebook)]


def _problems(codebook: Codebook) -> list[tuple[int, str, str]]:
    """(theme index, field, message) of every problem, so files can say where each one is."""
    problems = []
    seen: set[str] = set()
    for index, theme in enumerate(codebook.themes):
        if not theme.key.strip():
            problems.append((index, "key", "the key is empty."))
        elif not KEY_PATTERN.match(theme.key):
            problems.append((index, "key", f"the key '{theme.key}' must be lowercase letters, digits and dashes."))
        elif theme.key in seen:
            problems.append((index, "key", f"the key '{theme.key}' is used by another theme."))
        seen.add(theme.key)
        if not theme.name.strip():
            problems.append((index, "name", "the name is empty."))
        if theme.sentiment not in SENTIMENTS:
            problems.append((index, "sentiment",
                             f"the sentiment '{theme.sentiment}' must be negative, positive or empty."))
        if not theme.keywords and not theme.patterns:
            problems.append((index, "keywords", "the theme has no keywords and no patterns."))
        problems += [(index, "keywords", message) for message in map(_keyword_problem, theme.keywords) if message]
        pattern_problems = [message for message in map(_pattern_problem, theme.patterns) if message]
        problems += [(index, "patterns", message) for message in pattern_problems]
        if theme.patterns and not pattern_problems:
            try:
                re.compile(_pattern_regex(theme.patterns))
            except re.error as exc:
                problems.append((index, "patterns", f"the patterns cannot be combined into one: {exc.msg}."))
    return problems


def _keyword_problem(keyword: str) -> str | None:
    if not keyword.strip():
        return "a keyword is empty."
    if not any(word.strip("*") for word in _keyword_words(keyword)):
        return f"the keyword '{keyword}' has no letters or digits."
    return None


def _pattern_problem(pattern: str) -> str | None:
    if not pattern.strip():
        return "a pattern is empty (it would match every comment)."
    if len(pattern) > limits.PATTERN_CHARS:
        return (f"the pattern '{pattern[:30]}…' has {formatting.count(len(pattern))} characters; the limit is "
                f"{limits.PATTERN_CHARS}.")
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"invalid regex '{pattern}': {exc.msg}."
    try:
        pc.match_substring_regex(pa.array([""]), pattern)
    except pa.ArrowInvalid:
        return (f"the pattern '{pattern}' uses a backreference or a lookaround, which the linear-time regex "
                "engine comments are matched with does not support.")
    # Patterns see folded comments, so a capital or a diacritic outside an escape or group name never matches.
    # (Matching case-insensitively instead would cost sre its fast literal scan, about 3x the time.)
    literal = _ESCAPES.sub("", pattern)
    if fold(literal) != " ".join(literal.split()):
        return (f"the pattern '{pattern}' has capitals or diacritics, "
                "but patterns see comments in lower case without them.")
    return None


# ------------------------------------------------------------------ tagging


def tag(comments: pd.Series, codebook: Codebook) -> pd.DataFrame:
    """Which themes each comment mentions: one boolean column per theme key, all False for blank comments."""
    problems = validate(codebook)
    if problems:
        raise CodebookError("\n".join(problems))
    # Answers repeat the same comments, so each distinct text is folded and matched once.
    codes, uniques = pd.factorize(comments)
    hits = _hits([fold(text) for text in uniques], codebook.themes)
    found = np.vstack([hits, np.zeros((1, len(codebook.themes)), bool)])[codes]  # code -1 (null) → the False row
    return pd.DataFrame(found, index=comments.index, columns=[theme.key for theme in codebook.themes])


def _hits(folded: Sequence[str], themes: Sequence[Theme]) -> np.ndarray:
    """texts × themes: whether each folded text mentions each theme."""
    text_of, codes, vocab = _words(folded)
    # Codes are ranks in the sorted vocabulary, so the words starting with a stem are a range of codes and their
    # occurrences one slice of the occurrences sorted by code: a keyword costs what it finds, not a regex per text.
    by_code = np.argsort(codes)
    first = np.searchsorted(codes[by_code], np.arange(len(vocab) + 1))
    hits = np.zeros((len(folded), len(themes)), bool)
    present = np.fromiter((bool(text) for text in folded), bool, len(folded))  # "x*" matches a blank too
    for column, theme in enumerate(themes):
        for keyword in theme.keywords:
            words = _keyword_words(keyword)
            ranges = [_word_range(vocab, word, whole=i < len(words) - 1) for i, word in enumerate(words)]
            hits[text_of[_keyword_starts(ranges, codes, text_of, by_code, first)], column] = True
        if theme.patterns:
            found = pc.match_substring_regex(pa.array(folded, pa.string()), _pattern_regex(theme.patterns))
            hits[:, column] |= found.to_numpy(zero_copy_only=False).astype(bool) & present
    return hits


def _words(folded: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every word of the texts in order: the text it is in, its rank in the sorted vocabulary; and the vocabulary."""
    # Arrow splits and encodes in C++, about 3x faster than re.findall and pandas.factorize; its RE2 class
    # [\p{L}\p{N}_] is what Python's \w matches in text.
    lists = pc.split_pattern_regex(pa.array(folded, pa.string()), r"[^\p{L}\p{N}_]+")
    words, text_of = pc.list_flatten(lists), pc.list_parent_indices(lists)
    present = pc.not_equal(words, "")  # splitting leaves "" before leading and after trailing punctuation
    encoded = words.filter(present).dictionary_encode()
    order = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    vocab = np.asarray(encoded.dictionary.take(order).to_numpy(zero_copy_only=False), dtype=str)
    return text_of.filter(present).to_numpy(), rank[encoded.indices.to_numpy()], vocab


def _keyword_words(keyword: str) -> list[str]:
    return _KEYWORD_WORD.findall(fold(keyword))


def _word_range(vocab: np.ndarray, word: str, whole: bool) -> tuple[int, int, np.ndarray | None]:
    """The codes a keyword word matches (whole or as a word start): a range, and a mask of it if a wildcard thins it."""
    stem = word.split("*", 1)[0]
    start = int(np.searchsorted(vocab, stem))
    if "*" not in word and whole:
        return start, start + int(start < len(vocab) and vocab[start] == word), None
    stop = int(np.searchsorted(vocab, stem + "\U0010ffff"))  # past the last word starting with the stem
    if "*" not in word:
        return start, stop, None
    # On RE2, whose time is linear in the word: Python's re backtracks, and took minutes for one 40-letter word
    # against a keyword of ten wildcards. The parts are letters, digits and "_" only, so they need no escaping.
    regex = "^" + r"[\p{L}\p{N}_]*".join(word.split("*")) + ("$" if whole else "")
    found = pc.match_substring_regex(pa.array(vocab[start:stop], pa.string()), regex)
    return start, stop, found.to_numpy(zero_copy_only=False).astype(bool)


def _keyword_starts(ranges: Sequence[tuple[int, int, np.ndarray | None]], codes: np.ndarray, text_of: np.ndarray,
                    by_code: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Positions in the word list where consecutive words of one text match the ranges in order."""
    start, stop, mask = ranges[0]
    at = by_code[first[start]:first[stop]]
    if mask is not None:
        at = at[mask[codes[at] - start]]
    for offset, (start, stop, mask) in enumerate(ranges[1:], start=1):
        at = at[at + offset < len(codes)]
        following = codes[at + offset]
        keep = (text_of[at + offset] == text_of[at]) & (following >= start) & (following < stop)
        at, following = at[keep], following[keep]
        if mask is not None:
            at = at[mask[following - start]]
    return at


def _pattern_regex(patterns: Sequence[str]) -> str:
    """One RE2 expression for a theme's patterns: RE2 runs in linear time, so no pattern can hang the app."""
    return "|".join(f"(?:{pattern})" for pattern in patterns)


def apply_overrides(tags: pd.DataFrame, response_ids: pd.Series,
                    overrides: Mapping[str, Mapping[str, bool]]) -> pd.DataFrame:
    """The tags with manual choices (response_id → {theme key: mentioned?}) applied; unknown themes ignored."""
    result = tags.copy()
    columns = {key: position for position, key in enumerate(tags.columns)}
    for row in np.flatnonzero(response_ids.isin(list(overrides)).to_numpy(bool)):
        for key, mentioned in overrides[response_ids.iloc[row]].items():
            if key in columns:
                result.iloc[row, columns[key]] = bool(mentioned)
    return result


# ------------------------------------------------------------------ counting


def score_group(scores: pd.Series, metric: str) -> pd.Series:
    """Each score's group: 'negative', 'neutral' or 'positive' (NPS detractor, passive, promoter); None if missing."""
    groups = np.array([*SCORE_GROUPS, None], dtype=object)[_group_codes(scores, metric)]  # code -1: None
    return pd.Series(groups, index=scores.index, dtype=object)


def _group_codes(scores: pd.Series, metric: str) -> np.ndarray:
    """0, 1, 2 for negative, neutral and positive scores; -1 for missing ones."""
    negative, neutral = SCORE_LIMITS[metric]
    values = scores.to_numpy(float, na_value=np.nan)
    return np.where(np.isnan(values), -1, (values > negative).astype(int) + (values > neutral))


def theme_counts(frame: pd.DataFrame, tags: pd.DataFrame, by: Sequence[str] = ("touchpoint",), *,
                 confidence: float = metrics.DEFAULT_CONFIDENCE, min_n: int = metrics.DEFAULT_MIN_N) -> pd.DataFrame:
    """Per group and theme: answers with a comment, how many mention the theme, and that share (0–1) with interval."""
    _check_aligned(frame, tags)
    commented = _commented(frame)
    keys = [frame.loc[commented, column] for column in by] or [np.zeros(commented.sum(), int)]
    grouped = tags[commented].astype("int64").groupby(keys, sort=True, dropna=False)
    mentions, comments = grouped.sum(), grouped.size()
    groups = mentions.index.to_frame(index=False) if by else pd.DataFrame(index=range(len(mentions)))
    themes = len(tags.columns)
    result = groups.loc[groups.index.repeat(themes)].reset_index(drop=True)
    result["theme"] = np.tile(tags.columns.to_numpy(), len(mentions))
    result["comments"] = np.repeat(comments.to_numpy(), themes)
    result["mentions"] = mentions.to_numpy().ravel()
    # The vectorised form of metrics.share(): same Wilson interval, one call for the whole table (in %, hence / 100).
    share, _se, low, high = metrics.wilson_formula(result["mentions"].to_numpy(float),
                                                   result["comments"].to_numpy(float), metrics.z_value(confidence))
    return result.assign(share=share / 100, low=low / 100, high=high / 100, low_n=result["comments"] < min_n)


def theme_by_score(frame: pd.DataFrame, tags: pd.DataFrame, metric: str = "nps") -> pd.DataFrame:
    """Per theme: mentions, mean score with and without it, mentions by score group; what unhappy answers cite first.

    Counts answers with a comment and a ``metric`` score. ``negative``/``neutral``/``positive`` count the theme's
    mentions in each score group (:data:`SCORE_GROUP_NAMES`), the ``*_share`` columns give them as shares (0–1) of
    its mentions; sorted by negative mentions, i.e. the themes negative answers talk about most come first.
    """
    _check_aligned(frame, tags)
    groups = _group_codes(frame[metric], metric)
    rows = _commented(frame) & (groups >= 0)
    mentioned = tags.to_numpy(bool)[rows]
    scores, groups = frame[metric].to_numpy(float, na_value=np.nan)[rows], groups[rows]
    mentions = mentioned.sum(axis=0)
    counts = {group: mentioned[groups == code].sum(axis=0) for code, group in enumerate(SCORE_GROUPS)}
    with np.errstate(invalid="ignore", divide="ignore"):  # a theme never (or always) mentioned: NaN
        result = pd.DataFrame({
            "theme": tags.columns, "mentions": mentions,
            "mean_mentioning": scores @ mentioned / mentions,
            "mean_other": scores @ ~mentioned / (~mentioned).sum(axis=0),
            **counts, **{f"{group}_share": count / mentions for group, count in counts.items()},
        })
    return result.sort_values(["negative", "negative_share"], ascending=False, kind="stable").reset_index(drop=True)


def browse(frame: pd.DataFrame, tags: pd.DataFrame, touchpoints: Sequence[str] | None = None,
           themes: Sequence[str] | None = None, score_groups: Sequence[str] | None = None, metric: str = "nps",
           filters: Mapping[str, Sequence[str]] | None = None, limit: int = 200) -> pd.DataFrame:
    """Answers with a comment, newest first, with the themes found in each; None means no filter, [] lets none pass.

    Columns: response_id, ts, touchpoint, score (the ``metric``'s), comment and themes (keys joined by ","). ``themes``
    keeps comments mentioning any of them, ``score_groups`` those whose score is in one of the groups, ``filters``
    maps segment columns to the values kept.
    """
    _check_aligned(frame, tags)
    keep = _commented(frame)
    if touchpoints is not None:
        keep &= frame["touchpoint"].isin(list(touchpoints)).to_numpy(bool)
    if themes is not None:
        keep &= tags[tags.columns.intersection(list(themes))].any(axis=1).to_numpy(bool)
    if score_groups is not None:
        keep &= score_group(frame[metric], metric).isin(list(score_groups)).to_numpy(bool)
    for column, values in (filters or {}).items():
        keep &= frame[column].isin(list(values)).to_numpy(bool)
    rows, found = frame[keep], tags[keep]
    newest = rows["ts"].reset_index(drop=True).sort_values(ascending=False, kind="stable").index[:limit]
    result = rows[["response_id", "ts", "touchpoint", metric, "comment"]].iloc[newest].reset_index(drop=True)
    result = result.rename(columns={metric: "score"})
    result["themes"] = [",".join(tags.columns[row]) for row in found.iloc[newest].to_numpy(bool)]
    return result


def _commented(frame: pd.DataFrame) -> np.ndarray:
    return (frame["comment"].astype("string").str.strip() != "").to_numpy(bool, na_value=False)


def _check_aligned(frame: pd.DataFrame, tags: pd.DataFrame) -> None:
    if not tags.index.equals(frame.index):
        raise ValueError("The tags do not belong to these answers: tag frame['comment'] to get them.")


# ------------------------------------------------------------------ files


def load_codebook(text: str, format: str, source: str = "") -> Codebook:
    """Read a codebook from YAML or CSV text; raise :class:`CodebookError` naming the line/row and field of problems,
    or :class:`workbench.core.limits.LimitError` naming the limit (``source`` names the file) of one too big or deep."""
    _check_format(format)
    limits.check_text(text, source)
    if not text.lstrip("\ufeff").strip():
        raise CodebookError("The file is empty.")
    return _load_yaml(text, source) if format == "yaml" else _load_csv(text, source)


def dump_codebook(codebook: Codebook, format: str) -> str:
    """Write a codebook as YAML or CSV text that reads back the same.

    CSV: ``;``-separated, one row per theme, list items split by ``|``, cells that a spreadsheet would run as a
    formula quoted (:mod:`workbench.core.safecells`); a ``|`` inside an item (a regex
    alternation, say) is written ``\\|``, and a backslash before a ``|``, another backslash or the cell's end ``\\\\``.
    """
    _check_format(format)
    if format == "yaml":
        doc = {"themes": [{field: value for field, value in _theme_document(theme).items()
                           if value or field in ("key", "name")} for theme in codebook.themes]}
        return yaml.dump(doc, Dumper=YamlDumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(THEME_FIELDS)
    for theme in codebook.themes:
        writer.writerow([neutralise(_join(value) if isinstance(value, list) else value)
                         for value in _theme_document(theme).values()])
    return out.getvalue()


def default_codebook() -> Codebook:
    """The sample codebook for the demo data (``datasets/codebook.yaml``)."""
    return load_codebook(CODEBOOK_FILE.read_text(encoding="utf-8"), "yaml")


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise CodebookError(f"Unknown codebook format '{format}' (use {' or '.join(FORMATS)}).")


def _theme_document(theme: Theme) -> dict:
    return {"key": theme.key, "name": theme.name, "sentiment": theme.sentiment, "keywords": list(theme.keywords),
            "patterns": list(theme.patterns)}


def _checked(codebook: Codebook, where: Callable[[int, str], str]) -> Codebook:
    """The codebook, or a :class:`CodebookError` listing its problems, each located by ``where(theme, field)``."""
    problems = [f"{where(index, field)}: {message}" for index, field, message in _problems(codebook)]
    if problems:
        raise CodebookError("\n".join(problems))
    return codebook


def _load_yaml(text: str, source: str) -> Codebook:
    try:
        limits.check_yaml(text, source, _SafeLoader)
        root = yaml.compose(text, Loader=_SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise CodebookError(f"{where}: invalid YAML, {exc.problem or exc.context}.") from None
    if root is None:
        raise CodebookError("The file is empty.")
    top = _yaml_fields(root, ("themes",), "codebook")
    _yaml_require("themes" in top, root, "the codebook needs a list of 'themes'.")
    items = top["themes"]
    _yaml_require(isinstance(items, yaml.SequenceNode), items, "'themes' must be a list of themes.")
    themes, lines = [], []
    for item in items.value:
        fields = _yaml_fields(item, THEME_FIELDS, "theme")
        themes.append(Theme(key=_yaml_text(fields, "key", item), name=_yaml_text(fields, "name", item),
                            sentiment=_yaml_text(fields, "sentiment", item),
                            keywords=_yaml_texts(fields, "keywords"), patterns=_yaml_texts(fields, "patterns")))
        lines.append((item.start_mark.line + 1, {field: node.start_mark.line + 1 for field, node in fields.items()}))
    return _checked(Codebook(tuple(themes)),
                    lambda index, field: f"line {lines[index][1].get(field, lines[index][0])}, field '{field}'")


def _yaml_fields(node: yaml.Node, allowed: Sequence[str], what: str) -> dict[str, yaml.Node]:
    """A mapping node's values by key, refusing unknown and repeated keys."""
    _yaml_require(isinstance(node, yaml.MappingNode), node,
                  f"a {what} must be a mapping of {', '.join(allowed)}.")
    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        _yaml_require(key in allowed, key_node,
                      f"unknown {what} field '{key}' (expected one of: {', '.join(allowed)}).")
        _yaml_require(key not in fields, key_node, f"the key '{key}' appears twice.")
        fields[key] = value_node
    return fields


def _yaml_text(fields: dict[str, yaml.Node], key: str, item: yaml.Node) -> str:
    # Every field is text: take scalars as written, so keys like 2024 or keywords like "no" stay text.
    node = fields.get(key)
    if node is None:
        _yaml_require(key == "sentiment", item, f"the field '{key}' is missing.")
        return ""
    _yaml_require(isinstance(node, yaml.ScalarNode), node, f"'{key}' must be text.")
    return "" if node.tag == _YAML_NULL else node.value


def _yaml_texts(fields: dict[str, yaml.Node], key: str) -> tuple[str, ...]:
    node = fields.get(key)
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _YAML_NULL):
        return ()
    _yaml_require(isinstance(node, yaml.SequenceNode), node, f"'{key}' must be a list like [late, delay].")
    for value in node.value:
        _yaml_require(isinstance(value, yaml.ScalarNode), value, f"each entry of '{key}' must be text.")
    return tuple("" if value.tag == _YAML_NULL else value.value for value in node.value)


def _yaml_require(condition: bool, node: yaml.Node, message: str) -> None:
    if not condition:
        raise CodebookError(f"line {node.start_mark.line + 1}: {message}")


def _load_csv(text: str, source: str) -> Codebook:
    text = text.removeprefix("\ufeff")  # Excel writes one before UTF-8 CSV
    first_line = text.partition("\n")[0]
    # The header holds only the column names, so whichever separator it uses more is the delimiter.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = limits.csv_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), source)
    header = [fold(cell) for cell in next(rows)]
    for name in header:
        if name not in THEME_FIELDS or header.count(name) > 1:
            raise CodebookError(f"row 1: the column '{name}' is unknown or repeated "
                                f"(expected {delimiter.join(THEME_FIELDS)}).")
    for name in ("key", "name"):
        if name not in header:
            raise CodebookError(f"row 1: the column '{name}' is missing (expected {delimiter.join(THEME_FIELDS)}).")
    themes, numbers = [], []
    for number, row in enumerate(rows, start=2):
        if not "".join(row).strip():
            continue
        if len(row) > len(header):
            raise CodebookError(f"row {number}: {len(row)} cells, but the header names {len(header)} columns.")
        cells = {name: restore(cell) for name, cell in zip(header, row)}
        themes.append(Theme(key=cells["key"], name=cells["name"], sentiment=cells.get("sentiment", ""),
                            keywords=_split(cells.get("keywords", "")), patterns=_split(cells.get("patterns", ""))))
        numbers.append(number)
    return _checked(Codebook(tuple(themes)), lambda index, field: f"row {numbers[index]}, column '{field}'")


def _join(items: Sequence[str]) -> str:
    """List items in one CSV cell: split by '|', a literal '|' written '\\|' and a backslash before one '\\\\'."""
    return "|".join(re.sub(r"\\(?=[\\|]|$)", r"\\\\", item).replace("|", r"\|") for item in items)


def _split(cell: str) -> tuple[str, ...]:
    """The items of a CSV list cell written by :func:`_join` (or by hand)."""
    if not cell:
        return ()
    items = [""]
    for token in _LIST_TOKEN.findall(cell):
        if token == "|":
            items.append("")
        else:
            items[-1] += token[1] if token in ("\\\\", "\\|") else token
    return tuple(items)


# ------------------------------------------------------------------ editing


def theme_from_form(codebook: Codebook, key: str | None, name: str, keywords: str, patterns: str) -> Theme:
    """A theme as typed in a form: comma-separated keywords, one pattern per line; a new one gets a fresh key."""
    name = " ".join(name.split())
    current = next((theme for theme in codebook.themes if theme.key == key), None)
    if key is None or current is None:
        key = unique_key(name or "theme", [theme.key for theme in codebook.themes])
    theme = Theme(key=key, name=name, sentiment=current.sentiment if current else "",
                  keywords=tuple(word.strip() for word in keywords.split(",") if word.strip()),
                  patterns=tuple(line.strip() for line in patterns.splitlines() if line.strip()))
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


# ------------------------------------------------------------------ storage


class Verbatims:
    """The projects' codebooks, people's corrections of the coding, and coded comments of a query."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.sessions = workspace.sessions

    def codebook(self, project_id: int) -> tuple[Codebook, int]:
        """The project's codebook and its version (an empty codebook, version 0, until one is saved)."""
        with self.sessions() as session:
            row = session.scalar(select(CodebookRow).where(CodebookRow.project_id == project_id))
            if row is None:
                return Codebook(()), 0
            return Codebook(tuple(Theme(**{**data, "keywords": tuple(data["keywords"]),
                                           "patterns": tuple(data["patterns"])}) for data in row.themes)), row.version

    def save_codebook(self, project_id: int, codebook: Codebook, who: str = "", *, expected_version: int) -> int:
        """Store the codebook unless someone saved another since ``expected_version``; the new version."""
        problems = validate(codebook)
        if problems:
            raise CodebookError(" ".join(problems))
        with self.sessions.begin() as session:  # writers take turns: the first codebook has no row to claim
            row = session.scalar(select(CodebookRow).where(CodebookRow.project_id == project_id))
            if (row.version if row is not None else 0) != expected_version:
                raise ConflictError(_("The codebook was changed in another window ({who}); yours was not saved. "
                                      "The page now shows the latest codebook.").format(who=row.updated_by))
            if row is None:
                row = CodebookRow(project_id=project_id, version=0)
                session.add(row)
            row.themes = [_theme_document(theme) for theme in codebook.themes]
            row.version += 1
            row.updated_by = person(who)
            row.updated_at = datetime.datetime.now().replace(microsecond=0)
            return row.version

    def overrides(self, project_id: int) -> dict[str, dict[str, bool]]:
        """People's coding choices: response_id → {theme key: mentioned or not}."""
        with self.sessions() as session:
            rows = session.scalars(select(CommentTagRow).where(CommentTagRow.project_id == project_id))
            found: dict[str, dict[str, bool]] = {}
            for row in rows:
                found.setdefault(row.response_id, {})[row.theme] = row.value
            return found

    def retag(self, project_id: int, response_id: str, comment: str, wanted: Collection[str], who: str = "") -> None:
        """Code one comment by hand: ``wanted`` are its themes; only choices that differ from the rules are kept."""
        codebook, _version = self.codebook(project_id)
        automatic = tag(pd.Series([comment]), codebook).iloc[0]
        now = datetime.datetime.now().replace(microsecond=0)
        with self.sessions.begin() as session:
            session.execute(delete(CommentTagRow).where(CommentTagRow.project_id == project_id,
                                                        CommentTagRow.response_id == response_id))
            for theme in codebook.themes:
                if (theme.key in wanted) != bool(automatic[theme.key]):
                    session.add(CommentTagRow(project_id=project_id, response_id=response_id, theme=theme.key,
                                              value=theme.key in wanted, who=person(who), at=now))

    def coded(self, project_id: int, source: Query) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The answers with a comment that ``source`` selects, and their themes (rules, then people's choices).

        Coding runs again whenever the comments or the codebook change: both are in the cache key.
        """
        import hashlib
        import json

        from workbench.analysis.breaks import segment_columns
        from workbench.data import query

        codebook, _version = self.codebook(project_id)
        fingerprint = hashlib.sha256(json.dumps([_theme_document(t) for t in codebook.themes]).encode()).hexdigest()
        key = f"coded:{replace(source, by=()).key()}:{fingerprint}"
        cache = self.workspace.cache
        found = cache.get(key)
        if found is None:
            frame = query.answers(replace(source, by=()), ("response_id", "touchpoint",
                                                           *segment_columns(source.sources)),
                                  with_comment=True)
            found = (frame, tag(frame["comment"], codebook))
            cache.set(key, found)
        frame, tags = found
        return frame, apply_overrides(tags, frame["response_id"], self.overrides(project_id))
