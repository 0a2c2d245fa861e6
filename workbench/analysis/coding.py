"""Comment coding: which themes of a codebook each comment mentions, people's corrections, and counts of them.

Matching ignores case and diacritics: comments and keywords are both folded with :func:`workbench.core.folding.fold`,
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

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.core import i18n, metrics
from workbench.core.codebook import Codebook, CodebookError, Theme, keyword_words, pattern_regex, validate
from workbench.core.folding import fold
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _

SCORE_GROUPS = ("negative", "neutral", "positive")
# The highest negative and the highest neutral score of each metric (CES: 7 = very easy, so low is negative).
SCORE_LIMITS = {
    "nps": (metrics.DETRACTOR_AT, metrics.PROMOTER_AT - 1),
    "csat": (2, 3),
    "ces": (3, 5),
    "stars": (2, 3),  # a review's stars read as CSAT's 1–5
}
SCORE_GROUP_NAMES = {
    "nps": i18n.Labels(
        dict(zip(SCORE_GROUPS, (N_("Detractors (0–6)"), N_("Passives (7–8)"), N_("Promoters (9–10)")), strict=True))
    ),
    "csat": i18n.Labels(
        dict(zip(SCORE_GROUPS, (N_("Dissatisfied (1–2)"), N_("Neutral (3)"), N_("Satisfied (4–5)")), strict=True))
    ),
    "ces": i18n.Labels(
        dict(zip(SCORE_GROUPS, (N_("Difficult (1–3)"), N_("Neutral (4–5)"), N_("Easy (6–7)")), strict=True))
    ),
    "stars": i18n.Labels(dict(zip(SCORE_GROUPS, (N_("1–2 stars"), N_("3 stars"), N_("4–5 stars")), strict=True))),
}


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
            words = keyword_words(keyword)
            ranges = [_word_range(vocab, word, whole=i < len(words) - 1) for i, word in enumerate(words)]
            hits[text_of[_keyword_starts(ranges, codes, text_of, by_code, first)], column] = True
        if theme.patterns:
            found = pc.match_substring_regex(pa.array(folded, pa.string()), pattern_regex(theme.patterns))
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


def _keyword_starts(
    ranges: Sequence[tuple[int, int, np.ndarray | None]],
    codes: np.ndarray,
    text_of: np.ndarray,
    by_code: np.ndarray,
    first: np.ndarray,
) -> np.ndarray:
    """Positions in the word list where consecutive words of one text match the ranges in order."""
    start, stop, mask = ranges[0]
    at = by_code[first[start] : first[stop]]
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


def apply_overrides(
    tags: pd.DataFrame, response_ids: pd.Series, overrides: Mapping[str, Mapping[str, bool]]
) -> pd.DataFrame:
    """The tags with manual choices (response_id → {theme key: mentioned?}) applied; unknown themes ignored."""
    result = tags.copy()
    columns = {key: position for position, key in enumerate(tags.columns)}
    for row in np.flatnonzero(response_ids.isin(list(overrides)).to_numpy(bool)):
        for key, mentioned in overrides[response_ids.iloc[row]].items():
            if key in columns:
                result.iloc[row, columns[key]] = bool(mentioned)
    return result


def corrections(codebook: Codebook, comment: str, wanted: Collection[str]) -> dict[str, bool]:
    """A person's coding of one comment as what differs from the rules: theme key → mentioned or not, for the
    themes whose choice in ``wanted`` is not what :func:`tag` finds (empty when the rules agree)."""
    automatic = tag(pd.Series([comment]), codebook).iloc[0]
    return {
        theme.key: theme.key in wanted
        for theme in codebook.themes
        if (theme.key in wanted) != bool(automatic[theme.key])
    }


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


def theme_counts(
    frame: pd.DataFrame,
    tags: pd.DataFrame,
    by: Sequence[str] = ("touchpoint",),
    *,
    confidence: float = metrics.DEFAULT_CONFIDENCE,
    min_n: int = metrics.DEFAULT_MIN_N,
) -> pd.DataFrame:
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
    share, _se, low, high = metrics.wilson_formula(
        result["mentions"].to_numpy(float), result["comments"].to_numpy(float), metrics.z_value(confidence)
    )
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
        result = pd.DataFrame(
            {
                "theme": tags.columns,
                "mentions": mentions,
                "mean_mentioning": scores @ mentioned / mentions,
                "mean_other": scores @ ~mentioned / (~mentioned).sum(axis=0),
                **counts,
                **{f"{group}_share": count / mentions for group, count in counts.items()},
            }
        )
    return result.sort_values(["negative", "negative_share"], ascending=False, kind="stable").reset_index(drop=True)


def browse(
    frame: pd.DataFrame,
    tags: pd.DataFrame,
    touchpoints: Sequence[str] | None = None,
    themes: Sequence[str] | None = None,
    score_groups: Sequence[str] | None = None,
    metric: str = "nps",
    filters: Mapping[str, Sequence[str]] | None = None,
    limit: int = 200,
) -> pd.DataFrame:
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
        raise ValueError(_("The tags do not belong to these answers: tag frame['comment'] to get them."))
