"""Honest first guesses of what a survey file's columns are, for the Data page and ``cxwb inspect`` to propose.

:func:`propose` reads the first rows of a file (a pyarrow table, text or typed columns) and proposes the file's
shape (long: a touchpoint column; wide: a rating column per touchpoint), its date, respondent id and comment
columns, each rating column's scale from the values seen (0 as "not applicable" when it is rare on a 0–5 scale,
NPS only when a 0–10 column's name says so, answers written as words read through :mod:`workbench.data.labels`), which
column rates which touchpoint (whole words, one column per touchpoint), the overall outcome and the segments.
Every guess says why and carries ``guess=True``: nothing here is applied without the user seeing it. A column is
a date only when its values read as dates (a rating column named "…time…" never is); a touchpoint gets a column
only when every word of its name is in the column's name or question.

:func:`suspicious` checks a mapped score column's values against its scale (two values on a 0–10 scale, values
outside it or on one end of it), before an import and on a saved mapping reused for a new file.

Speed, measured on the test suite's airline file widened to 2 000 rows × 200 columns (ratings, ids, segments,
numbers, two date columns, a comment, labelled answers) against a 30-touchpoint journey: 0.11 s of CPU time as text
columns (a CSV preview), 0.07 s typed (Parquet, XLSX), median of 7 runs on a 2-core machine; the first call in a
process also imports scipy and polars (0.4 s).
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from workbench.core import formatting, metrics
from workbench.core.contract import MISSING_WORDS, OVERALL
from workbench.core.folding import fold
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.core.metrics import SCALES
from workbench.data import dates, labels
from workbench.data.ingest import SurveyMapping, WideColumn

if TYPE_CHECKING:
    import pyarrow as pa

SAMPLE_ROWS = 2000
DATE_SHARE = 0.9  # a date column: this share of its present values read as dates with one format
ID_SHARE = 0.98  # a respondent id: this share of its values are distinct
NA_ZERO_SHARE = 0.15  # on a 0–5 or 0–7 column, a 0 this rare is "not applicable", not a score
MAX_SEGMENT_VALUES = 50
STRAY_SHARE = 0.02  # answers off any scale this rare are typos the import reports, not a sign of no scale
MIN_ROWS = 20  # fewer rows than this: distributions say little
ID_ROWS = 100  # fewer rows than this: a column unique in them is an id only if its name says so
DATE_SAMPLE = 500  # distinct values of a text column tried as dates
_DATE_LIKE = re.compile(r"^\d{1,4}[-./]\s?\d{1,2}(?:[-./]\s?\d{1,4}|$)")
_NUMBER = {".": r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$", ",": r"^[-+]?\d+(?:,\d+)?$"}
# "1 - Very poor", "5 = Excellent", "1. Strongly agree", "Very satisfied (5)": a code written with its label.
_CODED = re.compile(r"^([-+]?\d+)\s*(?:[-–—=:.)]\s*|\s+)[^\d\s]|\(\s*([-+]?\d+)\s*\)\s*$")
# Codes that stand for "no answer" when the other values sit on a scale well below (or above) them.
_NA_NUMBERS = (-99.0, -9.0, -1.0, 98.0, 99.0, 999.0)

_DATE_WORDS = {
    "recorded": 4,
    "submitted": 4,
    "timestamp": 4,
    "completed": 4,
    "end": 3,
    "date": 2,
    "datum": 2,
    "data": 2,
    "time": 2,
    "cas": 2,
    "czas": 2,
    "created": 2,
    "period": 2,
    "month": 2,
    "mesic": 2,
    "miesiac": 2,
    "start": 1,
}
_ID_WORDS = (
    "id",
    "respondent",
    "responseid",
    "respondentid",
    "uuid",
    "guid",
    "customer",
    "zakaznik",
    "client",
    "klient",
    "record",
    "caseid",
    "ident",
)
_COMMENT_WORDS = re.compile(
    r"\b(?:comment|komentar|poznamk|uwag|verbatim|feedback|why\b|proc\b|dlaczego|remark|"
    r"suggest|free text|open.?ended|otevren|otwart)"
)
_TOUCHPOINT_WORDS = re.compile(
    r"\b(?:touch ?points?|kontaktni bod|punkt (?:styku|kontaktu)|steps?|krok|interactions?|"
    r"interakce|interakcja|stages?|etap)\b"
)
_NPS_WORDS = re.compile(r"\b(?:nps|recommend|doporuc|polec|rekomend)[a-z]*")
_EFFORT_WORDS = re.compile(r"\b(?:ces|effort|usili|namah|narocn|wysil)")
# A question that asks to pick or order: its numbers are choices, not points of a scale.
_CHOICE_WORDS = re.compile(
    r"\b(?:rank|select|choose|which|pick|specify|order of preference|vyber|zvol|ktery|"
    r"ktera|ktere|seradte|poradi|wybierz|wybrac|ktory|ktora|ktore|uszereguj|kolejnosc)"
)
_RATING_WORDS = re.compile(
    r"\b(?:rate|rating|scale|satisf|agree|likely|hodnot|ohodnot|skal|spokojen|souhlas|ocen|"
    r"zadowol|zgadza)"
)
_OVERALL_WORDS = re.compile(r"\b(?:overall|celkov|ogoln)[a-z]*")
_OUTCOME_WORDS = re.compile(
    r"\b(?:overall|celkov|ogoln|nps|recommend|doporuc|polec|rekomend|satisf|spokojen|"
    r"zadowol)[a-z]*"
)
# Survey tools' own columns (Qualtrics, SurveyMonkey, Google Forms), never a score or a segment.
_METADATA = frozenset(
    {
        "startdate",
        "enddate",
        "status",
        "ipaddress",
        "progress",
        "durationinseconds",
        "finished",
        "recordeddate",
        "responseid",
        "responseset",
        "recipientlastname",
        "recipientfirstname",
        "recipientemail",
        "externalreference",
        "externaldatareference",
        "locationlatitude",
        "locationlongitude",
        "locationaccuracy",
        "distributionchannel",
        "userlanguage",
        "collectorid",
        "respondentid",
        "emailaddress",
        "firstname",
        "lastname",
        "customdata1",
        "timestamp",
        "useragent",
        "browser",
        "version",
        "operatingsystem",
        "resolution",
    }
)
# Words that say nothing about which touchpoint a column rates.
_STOP = frozenset(
    "a an the and or of to for with in on at by from your our my how what was were is are be you did do does please "
    "rate rating score satisfied satisfaction q "
    "jak jste byl byla byli bylo je jsou s se z ze na v ve do i o u od po pri k ke jsi vas vasi vase spokojenost "
    "w we przy oraz lub jest sa pan pani panstwo czy jestes zadowolenie ocena ocen hodnoceni".split()
)
_ENDING = re.compile(r"[aeiouy]{0,2}(?:m|s|ch|mi|ow)?")  # an inflection: services/service, obsluga/obslugi


@dataclass(frozen=True)
class Guess:
    """A column proposed for one field (date, respondent id, comment, touchpoint labels, a segment) or left out.

    Parameters
    ----------
    column : the file's column.
    reason : why, in a short sentence.
    format : dates: the strptime format that reads the values (None for typed dates).
    guess : True until the user confirms it (False for what the caller fixed).
    """

    column: str
    reason: str
    format: str | None = None
    guess: bool = True


@dataclass(frozen=True)
class Shape:
    """Long (one row per answer, a touchpoint column) or wide (one row per respondent, a column per touchpoint)."""

    kind: str
    reason: str
    guess: bool = True


@dataclass(frozen=True)
class ScoreGuess:
    """A column proposed as a score: metric and scale from its values, and the touchpoint it rates.

    Parameters
    ----------
    column : the file's column.
    metric : ``nps``, ``csat``, ``ces`` or ``rating`` (any other scale; 0–1 is a yes/no).
    scale : lowest and highest valid value.
    reason : why this scale, in a short sentence.
    na_codes : values meaning "not applicable" (stored as missing), e.g. ``("0",)`` on a 1–5 scale.
    value_labels : answers written as words → number (None: not applicable), for the mapping's ``value_labels``.
    label_set : the :mod:`workbench.data.labels` set those words matched.
    positive : yes/no columns: the answer that is 1 (e.g. "satisfied").
    touchpoint : wide files: the journey touchpoint key it rates, ``OVERALL`` for the outcome, None if not imported.
    match : how closely the name fits that touchpoint (0–1; 1 for the outcome and fixed columns).
    match_reason : why that touchpoint, or why none.
    """

    column: str
    metric: str
    scale: tuple[float, float]
    reason: str
    na_codes: tuple[str, ...] = ()
    value_labels: Mapping[str, float | None] = field(default_factory=dict)
    label_set: str | None = None
    positive: str | None = None
    touchpoint: str | None = None
    match: float = 0.0
    match_reason: str = ""
    guess: bool = True

    @property
    def binary(self) -> bool:
        """A yes/no score (0/1)."""
        return self.metric == "rating" and tuple(self.scale) == (0.0, 1.0)


@dataclass(frozen=True)
class Proposal:
    """What :func:`propose` guessed about a file, JSON-ready through :meth:`to_dict`.

    Parameters
    ----------
    shape : long or wide.
    date : the answer date/time column; None when no column reads as dates (the import asks for a wave).
    respondent_id : wide files: a column unique per row (or nearly) that is no score.
    response_id : long files: that column, which identifies an answer (a respondent answers on several rows).
    comment : the free-text column with the longest, most varied answers.
    touchpoint : long files: the column of touchpoint labels.
    touchpoint_values : long files: each label of that column → journey key (``OVERALL``; None: no match).
    scores : score columns, each with scale, labels and (wide files) touchpoint; the outcome's touchpoint is
        ``OVERALL``.
    outcome : the column of the overall outcome (wide files), one of ``scores``.
    segments : text columns with 2–50 values that are nothing of the above.
    skipped : columns left out, each with why.
    conflicts : touchpoint key → the columns mapped to it when more than one is (only through ``fixed``).
    missing_touchpoints : journey touchpoints no column (wide) or label (long) was matched to.
    warnings : what to check before importing (suspicious values, unread labels, conflicts, a small sample).
    rows : rows the guesses rest on.
    """

    shape: Shape
    date: Guess | None
    respondent_id: Guess | None
    response_id: Guess | None
    comment: Guess | None
    touchpoint: Guess | None
    touchpoint_values: Mapping[str, str | None]
    scores: tuple[ScoreGuess, ...]
    outcome: str | None
    segments: tuple[Guess, ...]
    skipped: tuple[Guess, ...]
    conflicts: Mapping[str, tuple[str, ...]]
    missing_touchpoints: tuple[str, ...]
    warnings: tuple[str, ...]
    rows: int
    guess: bool = True

    def score(self, column: str) -> ScoreGuess | None:
        """The score guess of one column."""
        return next((s for s in self.scores if s.column == column), None)

    def to_dict(self) -> dict:
        """Plain JSON data (lists for tuples), as a page keeps it in a store."""
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, data: Mapping) -> Proposal:
        """The inverse of :meth:`to_dict`."""

        def guess(item):
            return None if item is None else Guess(**item)

        scores = tuple(
            ScoreGuess(**{**s, "scale": tuple(s["scale"]), "na_codes": tuple(s["na_codes"])}) for s in data["scores"]
        )
        return cls(
            Shape(**data["shape"]),
            guess(data["date"]),
            guess(data["respondent_id"]),
            guess(data["response_id"]),
            guess(data["comment"]),
            guess(data["touchpoint"]),
            dict(data["touchpoint_values"]),
            scores,
            data["outcome"],
            tuple(Guess(**g) for g in data["segments"]),
            tuple(Guess(**g) for g in data["skipped"]),
            {k: tuple(v) for k, v in data["conflicts"].items()},
            tuple(data["missing_touchpoints"]),
            tuple(data["warnings"]),
            data["rows"],
            data.get("guess", True),
        )


# ------------------------------------------------------------------ columns profiled


@dataclass(frozen=True)
class _Column:
    """What the sample shows of one column."""

    name: str
    text: str  # folded name and question, for words
    present: int
    kind: str  # empty, number, date, text, other
    values: tuple[str, ...] = ()  # text: distinct values, most frequent first
    counts: Mapping[float, int] = field(default_factory=dict)  # number: value → answers
    coded: Mapping[str, float] = field(default_factory=dict)  # number: "1 - Very poor" → 1
    na_words: tuple[str, ...] = ()  # number: answers meaning "not applicable"
    distinct: int = 0
    mean_length: float = 0.0
    mean_words: float = 0.0
    date_format: str | None = None
    date_note: str = ""
    labels: labels.LabelProposal | None = None
    spss: Mapping[float, str] = field(default_factory=dict)  # SPSS value labels of its numeric codes

    @property
    def unique(self) -> float:
        """Share of present values that are distinct."""
        return self.distinct / self.present if self.present else 0.0

    @property
    def metadata(self) -> bool:
        key = re.sub(r"[^a-z0-9]", "", fold(self.name))
        return key in _METADATA or key.startswith("q_")


def _profile(name: str, column, description: str, decimal: str, value_labels: Mapping | None = None) -> _Column:
    """Profile one column of the sample: numbers, dates, labels or text, and how its values vary."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = fold(f"{name} {description}")
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.dictionary_decode(), kind.value_type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        present = len(column) - column.null_count
        return _Column(name, text, present, "date" if present else "empty", distinct=present)
    if pa.types.is_boolean(kind):
        column, kind = pc.cast(column, pa.int8()), pa.int8()
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        values = pc.cast(column, pa.float64(), safe=False).drop_null()  # ids past 2**53 lose digits, not the read
        values = pc.filter(values, pc.invert(pc.is_nan(values)))
        counts = pc.value_counts(values)
        numbers = dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))
        codes = {
            number: str(label) for c, label in (value_labels or {}).items() if (number := _as_number(c)) is not None
        }
        return _Column(
            name, text, len(values), "number" if numbers else "empty", counts=numbers, distinct=len(numbers), spss=codes
        )
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return _Column(name, text, len(column) - column.null_count, "other")
    # Distinct values first: a rating column of 2 000 rows has a handful, and each is looked at once.
    found = pc.value_counts(column)
    trimmed = pc.utf8_trim_whitespace(found.field("values"))
    missing = pc.or_(pc.is_null(trimmed), pc.is_in(pc.utf8_lower(trimmed), value_set=pa.array(["", *MISSING_WORDS])))
    kept = pa.table(
        {"value": pc.filter(trimmed, pc.invert(missing)), "count": pc.filter(found.field("counts"), pc.invert(missing))}
    )
    if not kept.num_rows:
        return _Column(name, text, 0, "empty")
    if len(pc.unique(kept["value"])) < kept.num_rows:  # " 5" and "5" are one value
        kept = kept.group_by("value").aggregate([("count", "sum")]).rename_columns(["value", "count"])
    kept = kept.sort_by([("count", "descending")])
    distinct, frequency = kept["value"].combine_chunks(), kept["count"].combine_chunks()
    present = pc.sum(frequency).as_py()
    mean_length = pc.sum(pc.multiply(pc.utf8_length(distinct), frequency)).as_py() / present
    spaces = pc.count_substring_regex(distinct, r"\s+")
    mean_words = pc.sum(pc.multiply(spaces, frequency)).as_py() / present + 1
    common = dict(
        name=name, text=text, present=present, distinct=len(distinct), mean_length=mean_length, mean_words=mean_words
    )
    numeric = _numbers(distinct, frequency, decimal)
    if numeric is not None:
        numbers, coded, na_words = numeric
        return _Column(kind="number", counts=numbers, coded=coded, na_words=na_words, **common)
    date_format, share, note = _date_format(
        distinct.slice(0, DATE_SAMPLE), frequency.slice(0, DATE_SAMPLE).to_pylist(), name
    )
    if share >= DATE_SHARE:
        return _Column(kind="date", date_format=date_format, date_note=note, **common)
    values = tuple(distinct.to_pylist())
    proposal = labels.propose_values(values) if len(values) <= labels.MAX_VALUES else None
    return _Column(kind="text", values=values, labels=proposal, **common)


def _numbers(
    distinct: pa.Array, frequency: pa.Array, decimal: str
) -> tuple[dict[float, int], dict[str, float], tuple[str, ...]] | None:
    """A text column's answers as numbers (codes written with labels too), if every answer is one or means
    "not applicable"; None otherwise."""
    import pyarrow.compute as pc

    bare = pc.replace_substring_regex(distinct, "[\\s\u00a0\u202f]", "")
    is_number = pc.match_substring_regex(bare, _NUMBER[decimal])
    if pc.all(is_number).as_py():
        text = pc.replace_substring(bare, ",", ".") if decimal == "," else bare
        return dict(zip(pc.cast(text, "float64").to_pylist(), frequency.to_pylist(), strict=True)), {}, ()
    if (
        len(distinct) > labels.MAX_VALUES
        or not pc.any(is_number).as_py()
        and not pc.any(pc.match_substring_regex(distinct, _CODED.pattern)).as_py()
    ):
        return None
    numbers: Counter = Counter()
    coded, na_words = {}, []
    for value, plain, number, count in zip(
        distinct.to_pylist(), bare.to_pylist(), is_number.to_pylist(), frequency.to_pylist(), strict=True
    ):
        found = _CODED.search(value)
        if number:
            numbers[formatting.decimal(plain)] += count
        elif found:
            coded[value] = float(found.group(1) or found.group(2))
            numbers[coded[value]] += count
        elif labels.is_not_applicable(value):
            na_words.append(value)
        else:
            return None
    return (dict(numbers), coded, tuple(na_words)) if numbers else None


def _date_format(values: pa.Array, counts: Sequence[int], name: str) -> tuple[str | None, float, str]:
    """The format :mod:`workbench.data.dates` reads these distinct values with, the share of answers it reads (weighted
    by ``counts``), and the question to ask when day and month cannot be told apart (format None then)."""
    total = sum(counts)
    like = sum(c for v, c in zip(values.to_pylist(), counts, strict=True) if _DATE_LIKE.match(v))
    if not total or like < DATE_SHARE * total:
        return None, 0.0, ""
    try:
        reading = dates.read(values, name, zone="UTC")  # the zone only converts offsets; the share is the same
    except dates.AmbiguousDates as exc:
        return None, like / total, str(exc)
    read = reading.values.is_valid().to_numpy(zero_copy_only=False)
    share = sum(c for ok, c in zip(read, counts, strict=True) if ok) / total
    return reading.format, share, ""


# ------------------------------------------------------------------ scales


def _scale(column: _Column) -> tuple[str, tuple[float, float], tuple[str, ...], str] | str:
    """Metric, scale, not-applicable codes and why, from a number column's values; or why it is no score."""
    counts = column.counts
    if len(counts) == 1:
        return _("one value only ({value})").format(value=formatting.shortest(next(iter(counts))))
    if any(not float(v).is_integer() for v in counts):
        return _("decimal values ({low}–{high}): not a rating scale").format(
            low=formatting.shortest(min(counts)), high=formatting.shortest(max(counts))
        )
    if _CHOICE_WORDS.search(column.text):
        return _("the question asks to choose or rank: its numbers are codes, not a scale")
    codes = [v for v in counts if v in _NA_NUMBERS]
    rest = {v: c for v, c in counts.items() if v not in _NA_NUMBERS}
    if len(rest) > 2 and 9.0 in rest and max(set(rest) - {9.0}) <= 7:  # 1–5 and 9: 9 is "don't know"
        codes, rest = [*codes, 9.0], {v: c for v, c in rest.items() if v != 9.0}
    stray = {v: c for v, c in rest.items() if not 0 <= v <= 10}
    if stray and sum(stray.values()) <= STRAY_SHARE * sum(rest.values()):
        # A typo or two (an 11 among 0–10 answers) does not make a column no scale: the import reports those rows.
        rest = {v: c for v, c in rest.items() if v not in stray}
    else:
        stray = {}
    if len(rest) < 2 or min(rest) < 0 or max(rest) > 10:
        return _("values {low}–{high}: not on a rating scale").format(
            low=formatting.shortest(min(counts)), high=formatting.shortest(max(counts))
        )
    low, high = min(rest), max(rest)
    if set(rest) == {0.0, 1.0}:
        return "rating", (0.0, 1.0), tuple(f"{c:g}" for c in sorted(codes)), _("values 0 and 1: a yes/no")
    if len(rest) == 2:
        return _("two values only ({a}, {b}): codes, not a scale").format(
            a=formatting.shortest(low), b=formatting.shortest(high)
        )
    if high <= 3 and not _RATING_WORDS.search(column.text):
        return _("values {low}–{high}: codes or a 3-point scale; choose by hand").format(
            low=formatting.shortest(low), high=formatting.shortest(high)
        )
    top = 10.0 if high in (8.0, 9.0) else high  # a 0–10 or 1–10 scale whose top answers are not in the sample
    na = [f"{c:g}" for c in sorted(codes)]
    said = _("values {low}–{high}").format(low=formatting.shortest(low), high=formatting.shortest(high))
    zeros = rest.get(0.0, 0) / sum(rest.values())
    scale = (0.0 if low == 0 else 1.0, top)
    if low == 0 and top <= 7:
        if zeros <= NA_ZERO_SHARE:
            scale, na = (1.0, top), ["0", *na]
            said = _("values 0–{high}; 0 appears in {share} of answers — probably “not applicable”").format(
                high=formatting.shortest(top), share=_percent(zeros)
            )
        else:
            said = _("values 0–{high}; 0 appears in {share} of answers, so it stays a score").format(
                high=formatting.shortest(top), share=_percent(zeros)
            )
    if codes:
        said = ngettext(
            "{values}; {codes} probably means “no answer”", "{values}; {codes} probably mean “no answer”", len(codes)
        ).format(values=said, codes=", ".join(formatting.shortest(c) for c in sorted(codes)))
    if stray:
        n = sum(stray.values())
        said = ngettext(
            "{said}; {n} answer outside it ({values}) will be reported",
            "{said}; {n} answers outside it ({values}) will be reported",
            n,
        ).format(said=said, n=formatting.count(n), values=", ".join(formatting.shortest(v) for v in sorted(stray)))
    codes_na = tuple(na)
    if top == 10 and (word := _NPS_WORDS.search(column.text)):
        return (
            "nps",
            (0.0, 10.0),
            codes_na,
            _("{values} and its name or question says “{word}”: NPS 0–10").format(values=said, word=word.group(0)),
        )
    if scale == (1.0, 5.0):
        return "csat", scale, codes_na, _("{values}: CSAT 1–5").format(values=said)
    if scale == (1.0, 7.0) and _EFFORT_WORDS.search(column.text):
        return "ces", scale, codes_na, _("{values} and the question says effort: CES 1–7").format(values=said)
    return (
        "rating",
        scale,
        codes_na,
        _("{values}: a rating {low}–{high}").format(
            values=said, low=formatting.shortest(scale[0]), high=formatting.shortest(scale[1])
        ),
    )


def _percent(share: float) -> str:
    """A share of answers as the reader writes percents ('<1 %' when some but under half a percent); an ordinary
    space before '%' where the language has one, as the reasons are sentences that may wrap."""
    text = "<" + formatting.percent(1) if 0 < share < 0.005 else formatting.percent(round(share * 100))
    return text.replace("\u00a0", " ")


def _score(column: _Column) -> ScoreGuess | str:
    """A score guess for a column, or why it is none."""
    if column.kind == "number":
        # SPSS codes labelled "Don't know" are no answers, whatever their number.
        missing = {float(c) for c, label in column.spss.items() if labels.is_not_applicable(label)}
        counted = replace(column, counts={v: n for v, n in column.counts.items() if v not in missing})
        found = _scale(counted) if counted.counts else _("only codes labelled “not applicable”")
        if isinstance(found, str):
            return found
        metric, scale, na, reason = found
        na = (*na, *(f"{c:g}" for c in sorted(missing) if c in column.counts))
        proposal = labels.propose_values([label for c, label in column.spss.items() if float(c) not in missing])
        if proposal:
            reason += "; " + _("its SPSS labels read as {title}").format(title=_(proposal.title))
        value_labels = {**dict(column.coded), **{w: None for w in column.na_words}}
        return ScoreGuess(column.name, metric, scale, reason, na, value_labels, proposal.name if proposal else None)
    proposal = column.labels
    if column.kind != "text" or proposal is None:
        return _("no numbers or known answer labels")
    points = int(proposal.scale[1])
    if proposal.binary:
        metric = "rating"
    elif points == 5:
        metric = "csat"
    elif points == 7 and _EFFORT_WORDS.search(column.text):
        metric = "ces"
    else:
        metric = "rating"
    return ScoreGuess(
        column.name,
        metric,
        proposal.scale,
        proposal.reason,
        (),
        dict(proposal.values),
        proposal.name,
        proposal.positive,
    )


# ------------------------------------------------------------------ touchpoint names


@dataclass(frozen=True)
class _Name:
    """A name as words: its content words (hyphenated parts joined), the forms it can be found by (words, parts,
    two neighbours written as one) with the content words each covers, and all its words as one."""

    words: tuple[str, ...]
    forms: Mapping[str, frozenset[int]]
    joined: str


@functools.lru_cache(maxsize=16384)
def _name(text: str) -> _Name:
    raw = re.findall(r"[a-z0-9]+(?:[-'\u2019][a-z0-9]+)*", fold(text).replace("&", " and "))
    words: list[str] = []
    position: list[int | None] = []
    forms: dict[str, set[int]] = {}
    merged = []
    for word in raw:
        pieces = re.split(r"[-'\u2019]", word)
        merged.append("".join(pieces))
        if merged[-1] in _STOP:
            position.append(None)
            continue
        at = len(words)
        position.append(at)
        words.append(merged[-1])
        for form in {merged[-1], *pieces} - _STOP:
            forms.setdefault(form, set()).add(at)
    for a in range(len(raw) - 1):  # "Leg room" is "Legroom", "Check in" is "Check-in"
        covered = {p for p in (position[a], position[a + 1]) if p is not None}
        if covered:
            forms.setdefault(merged[a] + merged[a + 1], set()).update(covered)
    return _Name(tuple(words), {form: frozenset(at) for form, at in forms.items()}, "".join(merged))


def _similar(a: str, b: str) -> bool:
    """Two words that differ only in an ending (services/service, obsługa/obsługi), at least four letters alike."""
    if a[:4] != b[:4]:
        return False
    common = len(os.path.commonprefix([a, b]))
    return (
        common >= 4
        and len(a) - common <= 3
        and len(b) - common <= 3
        and bool(_ENDING.fullmatch(a[common:]))
        and bool(_ENDING.fullmatch(b[common:]))
    )


def _fit(column: _Name, touchpoint: _Name) -> float:
    """How much of a column's name a touchpoint's name explains (0–1, characters weighted, a word that differs in
    its ending counts 0.8), if every word of the touchpoint is in the column; else 0."""
    if not touchpoint.words or not column.words:
        return 0.0
    covered: dict[int, float] = {}
    whole = column.forms.get(touchpoint.joined)
    if whole is not None:
        covered = dict.fromkeys(whole, 1.0)
    else:
        for word in touchpoint.words:
            at, weight = column.forms.get(word), 1.0
            if at is None:
                at = next((where for form, where in column.forms.items() if _similar(form, word)), None)
                weight = 0.8
            if at is None:
                return 0.0
            for i in at:
                covered[i] = max(covered.get(i, 0.0), weight)
    total = sum(len(w) for w in column.words)
    return sum(len(column.words[i]) * weight for i, weight in covered.items()) / total


def _fit_any(texts: Sequence[str], touchpoint: Sequence[_Name]) -> float:
    """The best fit of a touchpoint (by name or key) to a column's texts (name, question, its last part)."""
    best = 0.0
    for number, text in enumerate(texts):
        weight = 1.0 if number == 0 else 0.9  # the name itself before its question
        column = _name(text)
        for name in touchpoint:
            exact = column.joined == name.joined  # the touchpoint's very name wins over a name it explains as well
            best = max(best, weight * _fit(column, name) * (1.0 if exact else 0.999))
    return best


def _texts(column: str, description: str | None) -> tuple[str, ...]:
    """A column's name, question and the question's last part (a matrix row: "How satisfied… - Check-in")."""
    texts = [column]
    if description and description.strip() and description.strip() != column:
        texts.append(description)
        last = re.split(r"\s[-–—]\s|(?<=\S)-(?=[A-Z])", description)[-1]
        if last.strip() and last != description:
            texts.append(last)
    return tuple(texts)


def _fits(columns: Sequence[str], touchpoints: Mapping[str, str], descriptions: Mapping[str, str]) -> list[list[float]]:
    """Per column, per touchpoint: how well its name fits."""
    names = [(_name(name), _name(key.replace("_", " "))) for key, name in touchpoints.items()]
    return [[_fit_any(_texts(column, descriptions.get(column)), pair) for pair in names] for column in columns]


def _assign(fits: Sequence[Sequence[float]]) -> dict[int, int]:
    """Column → touchpoint, one to one, the total fit as high as it can be (Hungarian method)."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    matrix = np.asarray(fits, dtype=float)
    if not matrix.size or not matrix.any():
        return {}
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if matrix[r, c] > 0}


def match_touchpoints(
    names: Sequence[str],
    touchpoints: Mapping[str, str],
    descriptions: Mapping[str, str] | None = None,
    one_to_one: bool = True,
) -> dict[str, str | None]:
    """Name → journey touchpoint key whose every word is in the name (or its question); None if none is.

    Parameters
    ----------
    names : column names (wide files) or touchpoint labels (long files).
    touchpoints : journey touchpoint key → name.
    descriptions : name → question text, matched too.
    one_to_one : each touchpoint to one name at most, the closest fits winning (wide files); else each name takes
        its closest touchpoint (labels of a long file, where "Parcel locker" and "Parcel lockers" are one).
    """
    keys = list(touchpoints)
    fits = _fits(names, touchpoints, descriptions or {})
    if one_to_one:
        chosen = _assign(fits)
    else:
        chosen = {i: max(range(len(keys)), key=lambda k: row[k]) for i, row in enumerate(fits) if any(row)}
    return {name: keys[chosen[i]] if i in chosen else None for i, name in enumerate(names)}


def conflicts(assignment: Mapping[str, str | None]) -> dict[str, tuple[str, ...]]:
    """Touchpoint → its columns, where a mapping (column → touchpoint key) gives one touchpoint several columns."""
    columns: dict[str, list[str]] = {}
    for column, touchpoint in assignment.items():
        if touchpoint:
            columns.setdefault(touchpoint, []).append(column)
    return {touchpoint: tuple(sorted(found)) for touchpoint, found in columns.items() if len(found) > 1}


# ------------------------------------------------------------------ suspicious values


def suspicious(
    values: Iterable[float | int | str | None], metric: str, scale: tuple[float, float] | None, column: str
) -> list[str]:
    """What looks wrong with a column's values mapped as ``metric`` on ``scale``, each message naming the column.

    Parameters
    ----------
    values : the column's answers (numbers, number text, or None for no answer).
    metric : ``nps``, ``csat``, ``ces`` or ``rating``.
    scale : lowest and highest valid value (NPS, CSAT and CES use their own).
    column : the column's name, as the messages give it.
    """
    counts: Counter = Counter()
    for value in values:
        number = _as_number(value)
        if number is not None:
            counts[number] += 1
    return _suspicious(counts, metric, scale, column)


def _as_number(value) -> float | None:
    """A value as a finite number (text with a decimal comma too), or None."""
    try:
        number = formatting.decimal(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _suspicious(counts: Mapping[float, int], metric: str, scale: tuple[float, float] | None, column: str) -> list[str]:
    low, high = (float(v) for v in SCALES.get(metric, scale or (1.0, 10.0)))
    answers = sum(counts.values())
    if not answers:
        return []
    named = _("{metric} {low}–{high}").format(
        metric=metrics.NAMES.get(metric, _("rating")), low=formatting.shortest(low), high=formatting.shortest(high)
    )
    found = []
    outside = sorted(v for v in counts if not low <= v <= high)
    if outside:
        n = sum(counts[v] for v in outside)
        found.append(
            ngettext(
                "“{column}”: {n} answer(s) outside {scale} (e.g. {values}).",
                "“{column}”: {n} answer(s) outside {scale} (e.g. {values}).",
                n,
            ).format(
                column=column,
                n=formatting.count(n),
                scale=named,
                values=", ".join(formatting.shortest(v) for v in outside[:3]),
            )
        )
    inside = sorted(v for v in counts if low <= v <= high)
    if not inside or high - low <= 1 or answers < MIN_ROWS:
        return found
    span = high - low
    if len(inside) <= 2:
        shown = (
            _("{a} and {b}").format(a=formatting.shortest(inside[0]), b=formatting.shortest(inside[1]))
            if len(inside) == 2
            else formatting.shortest(inside[0])
        )
        message = _("“{column}” holds only {values} but is mapped as {scale}: a yes/no column?").format(
            column=column, values=shown, scale=named
        )
        if metric == "nps" and inside[0] <= 6:
            message += " " + _("Every {value} would count as a detractor.").format(value=formatting.shortest(inside[0]))
        found.append(message)
    elif inside[-1] <= low + span / 2:
        found.append(
            _("“{column}”: every answer is between {a} and {b}, the lower half of {scale}: a smaller scale?").format(
                column=column, a=formatting.shortest(inside[0]), b=formatting.shortest(inside[-1]), scale=named
            )
        )
    elif inside[0] >= high - span / 4:
        found.append(
            _("“{column}”: every answer is between {a} and {b}, at the top of {scale}: check the scale.").format(
                column=column, a=formatting.shortest(inside[0]), b=formatting.shortest(inside[-1]), scale=named
            )
        )
    return found


# ------------------------------------------------------------------ the proposal


def _date(columns: Sequence[_Column], taken: set[str]) -> Guess | None:
    """The date column: values read as dates, the name ranking equals (recorded before end before start)."""

    def rank(column: _Column) -> tuple:
        name = re.sub(r"[^a-z]", "", fold(column.name))
        weight = 1 if "start" in name else max((w for word, w in _DATE_WORDS.items() if word in name), default=0)
        return weight, column.present, -columns.index(column)

    dated = [c for c in columns if c.kind == "date" and c.present and c.name not in taken]
    if not dated:
        return None
    best = max(dated, key=rank)
    if best.date_format:
        reason = _("its values read as dates ({format})").format(format=dates.readable(best.date_format))
    elif best.date_note:
        reason = _("its values are dates, but day and month cannot be told apart: choose the date format")
    else:
        reason = _("a date column of the file")
    if len(dated) > 1:
        reason += "; " + _("other date columns: {others}").format(
            others=", ".join(f"“{c.name}”" for c in dated if c is not best)
        )
    return Guess(best.name, reason, best.date_format)


def _id_named(column: _Column) -> bool:
    tokens = re.findall(r"[a-z0-9]+", fold(column.name))
    joined = "".join(tokens)
    return (
        any(t in _ID_WORDS for t in tokens)
        or joined.endswith("id")
        and len(joined) <= 14
        or any(w in joined for w in ("respondent", "responseid", "uuid"))
    )


def _respondent_id(columns: Sequence[_Column], rows: int, taken: set[str]) -> Guess | None:
    """A column unique per row (or nearly) that is neither a score, a date nor free text; its name ranks equals."""

    def candidate(column: _Column) -> bool:
        if column.name in taken or column.kind not in ("number", "text") or column.present < 0.9 * rows:
            return False
        if column.unique < ID_SHARE or column.distinct < 2:
            return False
        if column.kind == "number" and any(not float(v).is_integer() for v in column.counts):
            return False
        if column.kind == "text" and (column.mean_words > 2 or column.mean_length > 64 or column.labels):
            return False
        # Without a name saying id, uniqueness must mean something: enough rows, and numbers never repeating
        # (distances or amounts are nearly unique in a small sample).
        return _id_named(column) or rows >= ID_ROWS and (column.kind == "text" or column.unique == 1.0)

    found = [c for c in columns if candidate(c)]
    if not found:
        return None
    best = max(found, key=lambda c: (_id_named(c), c.kind == "text", -columns.index(c)))
    share, n = _percent(best.unique), best.present
    if _id_named(best):
        said = ngettext(
            "{share} of its {n} value is distinct and its name says id",
            "{share} of its {n} values are distinct and its name says id",
            n,
        )
    else:
        said = ngettext("{share} of its {n} value is distinct", "{share} of its {n} values are distinct", n)
    return Guess(best.name, said.format(share=share, n=formatting.count(n)))


def _comment(columns: Sequence[_Column], taken: set[str]) -> Guess | None:
    """The free-text column with long, varied answers (its name ranks equals)."""

    def named(column: _Column) -> bool:
        return bool(_COMMENT_WORDS.search(column.text))

    found = [
        c
        for c in columns
        if c.name not in taken
        and c.kind == "text"
        and not c.labels
        and c.present
        and (
            c.mean_words >= 3
            and c.mean_length >= 15
            and c.unique >= 0.5
            or
            # a column named as comments holds them even when many repeat ("Vše v pořádku, děkuji")
            named(c)
            and c.mean_length >= 8
            and (c.unique >= 0.5 or c.mean_words >= 2)
        )
    ]
    if not found:
        return None
    best = max(found, key=lambda c: (named(c), c.mean_length * min(c.present, 50)))
    return Guess(
        best.name,
        ngettext(
            "free text: {words} word on average, {share} of answers distinct",
            "free text: {words} words on average, {share} of answers distinct",
            round(best.mean_words),
        ).format(words=formatting.number(best.mean_words), share=_percent(best.unique)),
    )


def _outcome(
    scores: Sequence[ScoreGuess], columns: Mapping[str, _Column], fits: Mapping[str, float]
) -> ScoreGuess | None:
    """The overall outcome: a score that rates no touchpoint (or says overall) whose name or question says overall
    or recommend, or whose short name says satisfaction ("satisfaction", "Spokojenost celkem"; every question of a
    survey may ask how satisfied). Explicit "overall" first, then recommendation, then satisfaction."""

    def says(score: ScoreGuess) -> re.Match | None:
        strong = _OVERALL_WORDS.search(columns[score.column].text) or _NPS_WORDS.search(columns[score.column].text)
        name = fold(score.column)
        return strong or (_OUTCOME_WORDS.search(name) if len(name.split()) <= 3 else None)

    def rank(score: ScoreGuess) -> tuple:
        text = columns[score.column].text
        return (
            bool(_OVERALL_WORDS.search(text)),
            bool(_NPS_WORDS.search(text)),
            score.metric == "nps",
            -list(columns).index(score.column),
        )

    found = [s for s in scores if says(s) and (_OVERALL_WORDS.search(columns[s.column].text) or not fits.get(s.column))]
    if not found:
        return None
    best = max(found, key=rank)
    word = says(best)
    if word is None:  # found holds only columns whose words say it
        return None
    reason = _("its name or question says “{word}”").format(word=word.group(0))
    if best.positive:
        reason += "; " + _("“{positive}” counts as the outcome").format(positive=best.positive)
    return replace(best, touchpoint=OVERALL, match=1.0, match_reason=reason)


def _touchpoint_column(
    columns: Sequence[_Column], taken: set[str], touchpoints: Mapping[str, str]
) -> tuple[_Column, dict[str, str | None], int, bool] | None:
    """A text column whose values are the journey's touchpoints (or whose name says so): the column, its labels
    matched (labels saying overall → ``OVERALL``), how many matched, and whether its name says touchpoint."""
    vocabulary = {w for name in touchpoints.values() for w in _name(name).forms} | {
        w for key in touchpoints for w in _name(key.replace("_", " ")).forms
    }
    best = None
    for column in columns:
        if column.name in taken or column.kind != "text" or column.labels or not 1 <= column.distinct <= 200:
            continue
        named = bool(_TOUCHPOINT_WORDS.search(column.text))
        head = column.values[:60]
        if not named and sum(bool(set(_name(v).forms) & vocabulary) for v in head) < 0.5 * len(head):
            continue  # a cheap look first: most text columns share no word with the journey
        matched = match_touchpoints(head, touchpoints, one_to_one=False)
        matched |= {label: OVERALL for label in head if _OVERALL_WORDS.search(fold(label))}
        hits = sum(v is not None for v in matched.values())
        if (named or hits >= 2 and hits >= 0.5 * len(head)) and (best is None or (hits, named) > best[2:]):
            best = (column, matched, hits, named)
    return best


def propose(
    table: pa.Table,
    touchpoints: Mapping[str, str],
    descriptions: Mapping[str, str] | None = None,
    decimal: str = ".",
    fixed: Mapping[str, str | None] | None = None,
    value_labels: Mapping[str, Mapping[float | str, str]] | None = None,
) -> Proposal:
    """Guess what each column of a survey file's first rows is, saying why, for the user to confirm.

    Parameters
    ----------
    table : the file's first rows (up to ``SAMPLE_ROWS`` are read), text or typed columns.
    touchpoints : the journey's touchpoint key → name.
    descriptions : column → question text (Qualtrics' second header row, SPSS variable labels), matched as well.
    decimal : the decimal mark of numbers written as text.
    fixed : column → touchpoint key (``OVERALL``, or None for "not imported") the user chose; kept as chosen, the
        other columns are matched around them, and two chosen for one touchpoint are listed in ``conflicts``.
    value_labels : SPSS value labels, column → code → label: codes labelled "don't know" are not-applicable codes,
        and codes that run from best to worst are warned about.
    """
    descriptions = dict(descriptions or {})
    value_labels = dict(value_labels or {})
    fixed = dict(fixed or {})
    table = table.slice(0, SAMPLE_ROWS)
    profiles: dict[str, _Column] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if name not in profiles:  # a name given twice: the import refuses the file, the first is profiled
            profiles[name] = _profile(
                name, column.combine_chunks(), descriptions.get(name) or "", decimal, value_labels.get(name)
            )
    columns = list(profiles.values())
    skipped: dict[str, str] = {}

    chosen = {name for name, touchpoint in fixed.items() if touchpoint}  # chosen as ratings: nothing else
    taken = set(chosen)
    date = _date(columns, taken)
    taken |= {date.column} if date else set()
    respondent = _respondent_id(columns, table.num_rows, taken)
    taken |= {respondent.column} if respondent else set()
    comment = _comment(columns, taken)
    taken |= {comment.column} if comment else set()
    candidates = _candidates(columns, taken - chosen, fixed, date, skipped)
    scores, outcome = _wide(candidates, profiles, touchpoints, descriptions, fixed)

    rated = sum(s.touchpoint not in (None, OVERALL) for s in scores.values())
    labelled = _touchpoint_column(columns, taken | set(fixed), touchpoints)
    named_in: Guess | None = None  # the column naming each answer's touchpoint, in a long file
    touchpoint_values: dict[str, str | None] = {}
    # Long when a column's labels name more touchpoints than the columns' names do.
    if labelled and (labelled[2] > rated or labelled[3] and not rated):
        column, touchpoint_values, hits, named = labelled
        reason = ngettext(
            "{hits} of its {n} value is a touchpoint of the journey",
            "{hits} of its {n} values are touchpoints of the journey",
            len(touchpoint_values),
        ).format(hits=formatting.count(hits), n=formatting.count(len(touchpoint_values)))
        named_in = Guess(
            column.name, _("its name says touchpoint; {reason}").format(reason=reason) if named else reason
        )
        taken.add(column.name)
        shape = Shape("long", _("“{column}” names the touchpoint of each answer").format(column=column.name))
        scores, outcome = _long_scores(scores, profiles, skipped), None
    elif scores:
        shape = Shape(
            "wide",
            ngettext(
                "{n} rating column, {rated} named after touchpoints of the journey",
                "{n} rating columns, {rated} named after touchpoints of the journey",
                len(scores),
            ).format(n=formatting.count(len(scores)), rated=formatting.count(rated)),
        )
    else:
        shape = Shape("wide", _("no touchpoint column and no rating columns found: choose the columns by hand"))
    if shape.kind == "wide":  # a yes/no or labelled text column rating no touchpoint is a segment
        scores = {n: s for n, s in scores.items() if s.touchpoint is not None or profiles[n].kind != "text"}

    segments = _segments(columns, taken | set(scores), comment, skipped)
    found_conflicts = conflicts({s.column: s.touchpoint for s in scores.values()})
    used = set(touchpoint_values.values()) if named_in else {s.touchpoint for s in scores.values()}
    order = list(profiles)
    return Proposal(
        shape=shape,
        date=date,
        respondent_id=None if shape.kind == "long" else respondent,
        response_id=respondent if shape.kind == "long" else None,
        comment=comment,
        touchpoint=named_in,
        touchpoint_values=touchpoint_values,
        scores=tuple(sorted(scores.values(), key=lambda s: order.index(s.column))),
        outcome=outcome.column if outcome else None,
        segments=tuple(segments),
        skipped=tuple(Guess(name, skipped[name]) for name in order if name in skipped),
        conflicts=found_conflicts,
        missing_touchpoints=tuple(k for k in touchpoints if k not in used),
        warnings=tuple(_warnings(profiles, scores, found_conflicts, touchpoints, date, table.num_rows)),
        rows=table.num_rows,
    )


def _candidates(
    columns: Sequence[_Column],
    taken: set[str],
    fixed: Mapping[str, str | None],
    date: Guess | None,
    skipped: dict[str, str],
) -> dict[str, ScoreGuess]:
    """Every column whose values make a score (and every column the user chose as one); why the others do not go
    into ``skipped`` (text columns may still be segments)."""
    candidates: dict[str, ScoreGuess] = {}
    for column in columns:
        if column.name in taken:
            continue
        if column.kind == "empty":
            skipped[column.name] = _("no values in the rows read")
        elif column.kind == "date" and date:
            skipped[column.name] = _("dates too; “{date}” is proposed as the answer date").format(date=date.column)
        elif column.metadata and column.name not in fixed:
            skipped[column.name] = _("a survey tool's own column")
        else:
            found = _score(column)
            if isinstance(found, ScoreGuess):
                candidates[column.name] = found
            elif column.name in fixed and fixed[column.name]:  # chosen by hand: its values' range as a rating
                candidates[column.name] = _forced(column)
            elif column.kind != "text":
                skipped[column.name] = found
    return candidates


def _wide(
    candidates: Mapping[str, ScoreGuess],
    profiles: Mapping[str, _Column],
    touchpoints: Mapping[str, str],
    descriptions: Mapping[str, str],
    fixed: Mapping[str, str | None],
) -> tuple[dict[str, ScoreGuess], ScoreGuess | None]:
    """The score columns with their touchpoints: fixed ones as chosen, the outcome, then the rest one to one."""
    names = [c for c in candidates if c not in fixed]
    fits = dict(zip(names, _fits(names, touchpoints, descriptions), strict=True))
    outcome = None
    if OVERALL not in fixed.values():
        outcome = _outcome([candidates[n] for n in names], profiles, {n: max(f, default=0.0) for n, f in fits.items()})
    scores = {outcome.column: outcome} if outcome else {}
    for name, touchpoint in fixed.items():
        if name in candidates:
            scores[name] = replace(
                candidates[name], touchpoint=touchpoint, match=1.0, guess=False, match_reason=_("as chosen")
            )
    outcome = outcome or next((s for s in scores.values() if s.touchpoint == OVERALL), None)
    keys = list(touchpoints)
    free = [k for k in keys if k not in fixed.values()]
    pool = [n for n in names if n not in scores]
    pool_fits = [[fits[n][keys.index(k)] for k in free] for n in pool]
    chosen = _assign(pool_fits)
    for i, name in enumerate(pool):
        scores[name] = _matched(candidates[name], i, chosen, pool, pool_fits, free, touchpoints)
    return scores, outcome


def _segments(
    columns: Sequence[_Column], used: set[str], comment: Guess | None, skipped: dict[str, str]
) -> list[Guess]:
    """Short text columns with 2–50 repeated values not used otherwise; why the others are not, into ``skipped``."""
    segments = []
    for column in columns:
        if column.name in used or column.name in skipped:
            continue
        if (
            column.kind == "text"
            and not column.metadata
            and 2 <= column.distinct <= MAX_SEGMENT_VALUES
            and column.distinct <= max(2, column.present // 2)
            and column.mean_length <= 80
        ):
            segments.append(
                Guess(
                    column.name,
                    ngettext("{n} different value", "{n} different values", column.distinct).format(
                        n=formatting.count(column.distinct)
                    ),
                )
            )
        elif column.kind != "text":
            skipped[column.name] = _("not a score, date or text")
        elif column.metadata:
            skipped[column.name] = _("a survey tool's own column")
        elif column.distinct < 2:
            skipped[column.name] = _("one value only (“{value}”)").format(value=column.values[0])
        elif comment and column.mean_words >= 3:
            skipped[column.name] = _("free text; “{comment}” is proposed as the comment").format(comment=comment.column)
        else:
            skipped[column.name] = ngettext(
                "{n} different value in {rows} rows: too many for a segment",
                "{n} different values in {rows} rows: too many for a segment",
                column.distinct,
            ).format(n=formatting.count(column.distinct), rows=formatting.count(column.present))
    return segments


def _warnings(
    profiles: Mapping[str, _Column],
    scores: Mapping[str, ScoreGuess],
    found_conflicts: Mapping[str, tuple[str, ...]],
    touchpoints: Mapping[str, str],
    date: Guess | None,
    rows: int,
) -> list[str]:
    """What to check before importing: conflicts, suspicious values, answers no label matched, dates, few rows."""
    warnings = [profiles[date.column].date_note] if date and profiles[date.column].date_note else []
    for key, both in found_conflicts.items():
        warnings.append(
            _("{columns} are all mapped to “{touchpoint}”: keep one.").format(
                columns=", ".join(f"“{c}”" for c in both), touchpoint=touchpoints.get(key, key)
            )
        )
    for score in scores.values():
        warnings.extend(
            _suspicious(_with_codes(profiles[score.column], score), score.metric, score.scale, score.column)
        )
        warnings.extend(_reversed(profiles[score.column]))
        proposal = profiles[score.column].labels
        if proposal and proposal.unmatched:
            warnings.append(
                ngettext(
                    "“{column}”: {n} answer is no label of {title}: {values}",
                    "“{column}”: {n} answers are no label of {title}: {values}",
                    len(proposal.unmatched),
                ).format(
                    column=score.column,
                    n=formatting.count(len(proposal.unmatched)),
                    title=_(proposal.title),
                    values=", ".join(f"“{v}”" for v in proposal.unmatched[:3]),
                )
            )
    if date is None:
        warnings.append(
            _("No column reads as dates: the import will ask for the survey's wave (its fieldwork month or days).")
        )
    if rows < MIN_ROWS:
        warnings.append(
            ngettext(
                "Only {n} row read: these guesses rest on little data.",
                "Only {n} rows read: these guesses rest on little data.",
                rows,
            ).format(n=formatting.count(rows))
        )
    return warnings


def _reversed(column: _Column) -> list[str]:
    """A warning when a column's SPSS codes run from best to worst (1 = "Very satisfied"): the import stores codes."""
    answers = {c: label for c, label in column.spss.items() if not labels.is_not_applicable(label)}
    proposal = labels.propose_values(list(answers.values())) if len(answers) > 1 else None
    if proposal is None or proposal.binary:
        return []
    low, high = min(answers), max(answers)
    if (proposal.values.get(answers[low]) or 0) <= (proposal.values.get(answers[high]) or 0):
        return []
    return [
        _(
            "“{column}”: its codes run from best to worst ({low} = “{low_label}”, {high} = "
            "“{high_label}”): reverse them before the import, or scores read backwards."
        ).format(
            column=column.name,
            low=formatting.shortest(low),
            low_label=answers[low],
            high=formatting.shortest(high),
            high_label=answers[high],
        )
    ]


def _forced(column: _Column) -> ScoreGuess:
    """A score for a column the user mapped although its values make none: its values' range as a rating."""
    values = list(column.counts) or [1.0, 10.0]
    low, high = min(values), max(values)
    return ScoreGuess(
        column.name,
        "rating",
        (low, high if high > low else low + 1),
        _("chosen by hand; its values are no rating scale"),
    )


def _with_codes(column: _Column, score: ScoreGuess) -> Mapping[float, int]:
    """A column's numbers without its not-applicable codes, as the import will read them."""
    if column.kind != "number":
        return {}
    codes = {_as_number(c) for c in score.na_codes}
    return {v: c for v, c in column.counts.items() if v not in codes}


def _matched(
    score: ScoreGuess,
    i: int,
    chosen: Mapping[int, int],
    pool: Sequence[str],
    fits: Sequence[Sequence[float]],
    keys: Sequence[str],
    touchpoints: Mapping[str, str],
) -> ScoreGuess:
    """A score with the touchpoint assigned to it and why (or why none: no name fits, or a closer column won)."""
    row = fits[i]
    if i in chosen:
        key = keys[chosen[i]]
        reason = _("every word of “{touchpoint}” is in its name or question (fit {fit})").format(
            touchpoint=touchpoints[key], fit=formatting.number(row[chosen[i]], 2)
        )
        return replace(score, touchpoint=key, match=round(row[chosen[i]], 3), match_reason=reason)
    fitting = [k for k, fit in enumerate(row) if fit > 0]
    if not fitting:
        return replace(score, match_reason=_("no touchpoint of the journey has all its words in its name"))
    best = max(fitting, key=lambda k: row[k])
    winner = next((pool[c] for c, k in chosen.items() if k == best), None)
    return replace(
        score,
        match_reason=_("fits “{touchpoint}” too, but “{winner}” fits it more closely").format(
            touchpoint=touchpoints[keys[best]], winner=winner
        ),
    )


def _long_scores(
    scores: Mapping[str, ScoreGuess], profiles: Mapping[str, _Column], skipped: dict[str, str]
) -> dict[str, ScoreGuess]:
    """Long files: a score column per metric, no touchpoints. Of two columns read as one metric, the one named after
    it (a column "NPS") is kept, else the first; yes/no text columns are segments."""
    kept: dict[str, ScoreGuess] = {}
    for name, score in scores.items():
        if score.binary and profiles[name].kind == "text":
            continue
        metric = metrics.NAMES.get(score.metric, _("rating"))
        rival = next((other for other in kept if kept[other].metric == score.metric), None)
        if rival is not None and score.metric in fold(name) and score.metric not in fold(rival):
            del kept[rival]
            skipped[rival] = _("“{column}” is proposed as the {metric} column").format(column=name, metric=metric)
        elif rival is not None:
            skipped[name] = _("“{column}” is proposed as the {metric} column").format(column=rival, metric=metric)
            continue
        kept[name] = replace(score, touchpoint=None, match=0.0, match_reason="")
    return kept


# ------------------------------------------------------------------ from a proposal to a mapping


def as_mapping(proposal: Proposal, exclude: Mapping[str, Sequence[str]] | None = None) -> SurveyMapping:
    """The import mapping the proposal amounts to, for the user to confirm (the Data page's form, ``cxwb inspect``).

    Parameters
    ----------
    proposal : what :func:`propose` guessed.
    exclude : the layout's rows to leave out (column → values, see :mod:`workbench.data.layouts`).

    "Not applicable" codes are kept per metric; each column applies those that are no valid answer on its own scale
    (0 is "not applicable" on 1–7 ratings but an answer of a 0/1 outcome). Dates are left for the import to read
    with the one format that fits; a yes/no outcome is named after its "yes" answer ("Satisfied").
    """
    scores = list(proposal.scores)
    words = {s.column: dict(s.value_labels) for s in scores if s.value_labels}
    ratings = [tuple(s.scale) for s in scores if s.metric == "rating"]
    rating_scale = ratings[0] if ratings else (1.0, 10.0)
    # Per metric, every column's codes: each column keeps those outside its own scale when it is read.
    na_codes = {
        metric: codes
        for metric in sorted({s.metric for s in scores})
        if (codes := tuple(sorted({c for s in scores if s.metric == metric for c in s.na_codes})))
    }
    outcome = proposal.score(proposal.outcome) if proposal.outcome else None
    label = None
    if outcome is not None:
        label = outcome.positive.strip().capitalize() if outcome.binary and outcome.positive else outcome.column
    common: dict[str, Any] = dict(
        ts=proposal.date.column if proposal.date else None,
        comment=_column(proposal.comment),
        segments=tuple(g.column for g in proposal.segments),
        rating_scale=rating_scale,
        na_codes=na_codes,
        value_labels=words,
        outcome_label=label,
        exclude={c: tuple(v) for c, v in (exclude or {}).items()},
    )
    if proposal.shape.kind == "long" and proposal.touchpoint is not None:
        by_metric: dict[str, str] = {}
        for score in scores:
            by_metric.setdefault(score.metric, score.column)
        return SurveyMapping(
            touchpoint=proposal.touchpoint.column,
            response_id=_column(proposal.response_id),
            respondent_id=_column(proposal.respondent_id),
            touchpoint_values={k: v for k, v in proposal.touchpoint_values.items() if v},
            nps=by_metric.get("nps"),
            csat=by_metric.get("csat"),
            ces=by_metric.get("ces"),
            rating=by_metric.get("rating"),
            **common,
        )
    wide = tuple(
        WideColumn(s.column, s.touchpoint, s.metric, (s.scale[0], s.scale[1]) if s.metric == "rating" else None)
        for s in scores
        if s.touchpoint
    )
    return SurveyMapping(wide=wide, respondent_id=_column(proposal.respondent_id), **common)


def _column(guess: Guess | None) -> str | None:
    return guess.column if guess is not None else None


def check_mapping(table: pa.Table, mapping: SurveyMapping) -> list[str]:
    """The suspicious-distribution check of every score column a mapping reads, on a file's first rows: values
    outside the scale are left to the import's report; two values on a longer scale, or all on one end, are said."""
    found: list[str] = []
    for column, metric in mapping.number_columns().items():
        if column not in table.column_names:
            continue
        low, high = mapping.column_scale(column)
        words = {fold(k): v for k, v in (mapping.value_labels.get(column) or {}).items()}
        skip = {fold(c) for c in (*mapping.column_na_codes(column), *MISSING_WORDS)}
        values = []
        for value in table[column].to_pylist():
            if value is None or fold(str(value)) in skip:
                continue
            number = words.get(fold(str(value)), value) if words else value
            number = _as_number(number)
            if number is not None and low <= number <= high:
                values.append(number)
        found += suspicious(values, metric, (low, high), column)
    return found


def reasons(proposal: Proposal) -> dict:
    """Why each guess was made, JSON-ready: field → reason, score column → reason, column left out → why."""
    fields = {
        name: getattr(proposal, name) for name in ("date", "respondent_id", "response_id", "comment", "touchpoint")
    }
    return {
        "shape": proposal.shape.reason,
        **{name: {"column": g.column, "why": g.reason} for name, g in fields.items() if g is not None},
        "scores": {s.column: "; ".join(t for t in (s.reason, s.match_reason) if t) for s in proposal.scores},
        "segments": {g.column: g.reason for g in proposal.segments},
        "left_out": {g.column: g.reason for g in proposal.skipped},
    }
