"""Value labels: answers written as words ("Very satisfied", "Spíše souhlasím", "Nie dotyczy") read as numbers.

Survey tools export closed questions as their labels. :func:`propose_values` matches a column's distinct values to a
known ordered label set in English, Czech or Polish and proposes a number for each (1…k low to high, or 0/1 for a
yes/no set, saying which value is the "yes"); not-applicable answers ("Don't know", "Nevím", "Nie dotyczy") become
None. :func:`from_spss` turns SPSS value labels (code → label) into the same label → number form. Everything here is
a proposal for the user to confirm, never applied silently.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from workbench.core.folding import fold
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _

# A set is proposed only when more than this share of the column's distinct answers (not-applicable ones aside)
# are its labels, and at least two of its points are seen.
MATCH_SHARE = 0.5
MAX_VALUES = 60  # more distinct answers than this are free text or codes, never a label set


@dataclass(frozen=True)
class LabelSet:
    """An ordered set of answer labels, lowest point first; each point lists its wordings (any language, form).

    Parameters
    ----------
    name : stable identifier (``satisfaction-5``), kept with a mapping.
    title : what the set is called to the user, in English (marked with ``N_``: translate it where it is shown).
    points : per point, low to high, its wordings; gender and case forms are matched without listing them.
    binary : a yes/no set: its points are 0 and 1 (the second is the "yes"), else 1…k.
    """

    name: str
    title: str
    points: tuple[tuple[str, ...], ...]
    binary: bool = False

    def number(self, point: int) -> float:
        """The value stored for the point at ``point`` (0-based)."""
        return float(point if self.binary else point + 1)

    @property
    def scale(self) -> tuple[float, float]:
        return (0.0, 1.0) if self.binary else (1.0, float(len(self.points)))


@dataclass(frozen=True)
class LabelProposal:
    """Numbers proposed for a column's text answers.

    Parameters
    ----------
    name, title : the label set matched (see :class:`LabelSet`).
    values : each answer as given → its number; not-applicable answers → None.
    unmatched : answers that are no label of the set (left for the user to place or to report).
    scale : lowest and highest number of the set.
    binary : a yes/no set (numbers 0 and 1).
    positive : yes/no sets: the answer, as given, that is 1 ("satisfied", "Ano").
    reason : why, in a short sentence.
    """

    name: str
    title: str
    values: Mapping[str, float | None]
    unmatched: tuple[str, ...]
    scale: tuple[float, float]
    binary: bool
    positive: str | None
    reason: str
    guess: bool = True

    def to_dict(self) -> dict:
        """JSON-ready."""
        return {
            **asdict(self),
            "values": dict(self.values),
            "unmatched": list(self.unmatched),
            "scale": list(self.scale),
        }


def _set(name: str, title: str, *points: str, binary: bool = False) -> LabelSet:
    """A label set from one string per point, its wordings separated by ``|``."""
    return LabelSet(name, title, tuple(tuple(w.strip() for w in point.split("|")) for point in points), binary)


# Points low → high. Wordings are English, Czech, Polish; gender forms (spokojen/spokojený/spokojená/spokojen(a),
# zadowolony/zadowolona) and word order ("nie zgadzam się" / "się nie zgadzam") need not be listed: see _words.
SETS: tuple[LabelSet, ...] = (
    _set(
        "agreement-5",
        N_("agreement (5 points)"),
        "strongly disagree|completely disagree|totally disagree|rozhodně nesouhlasím|zcela nesouhlasím|"
        "naprosto nesouhlasím|úplně nesouhlasím|zdecydowanie się nie zgadzam|całkowicie się nie zgadzam",
        "disagree|somewhat disagree|tend to disagree|mostly disagree|spíše nesouhlasím|nesouhlasím|"
        "raczej się nie zgadzam|nie zgadzam się",
        "neither agree nor disagree|neither agree or disagree|neutral|neither|ani souhlasím, ani nesouhlasím|"
        "ani souhlas, ani nesouhlas|neutrální|ani się zgadzam, ani się nie zgadzam|ani się zgadzam, ani nie",
        "agree|somewhat agree|tend to agree|mostly agree|spíše souhlasím|souhlasím|raczej się zgadzam|zgadzam się",
        "strongly agree|completely agree|totally agree|rozhodně souhlasím|zcela souhlasím|naprosto souhlasím|"
        "úplně souhlasím|zdecydowanie się zgadzam|całkowicie się zgadzam",
    ),
    _set(
        "agreement-7",
        N_("agreement (7 points)"),
        "strongly disagree|completely disagree|rozhodně nesouhlasím|zdecydowanie się nie zgadzam",
        "disagree|nesouhlasím|nie zgadzam się",
        "somewhat disagree|spíše nesouhlasím|raczej się nie zgadzam",
        "neither agree nor disagree|neither agree or disagree|neutral|ani souhlasím, ani nesouhlasím|"
        "ani się zgadzam, ani się nie zgadzam",
        "somewhat agree|spíše souhlasím|raczej się zgadzam",
        "agree|souhlasím|zgadzam się",
        "strongly agree|completely agree|rozhodně souhlasím|zdecydowanie się zgadzam",
    ),
    _set(
        "satisfaction-5",
        N_("satisfaction (5 points)"),
        "very dissatisfied|extremely dissatisfied|very unsatisfied|completely dissatisfied|highly dissatisfied|"
        "velmi nespokojen|zcela nespokojen|naprosto nespokojen|úplně nespokojen|rozhodně nespokojen|"
        "bardzo niezadowolony|zdecydowanie niezadowolony|całkowicie niezadowolony",
        "dissatisfied|somewhat dissatisfied|unsatisfied|fairly dissatisfied|nespokojen|spíše nespokojen|"
        "niezadowolony|raczej niezadowolony",
        "neither satisfied nor dissatisfied|neither satisfied or dissatisfied|neutral|"
        "ani spokojen, ani nespokojen|neutrální|ani zadowolony, ani niezadowolony",
        "satisfied|somewhat satisfied|fairly satisfied|spokojen|spíše spokojen|zadowolony|raczej zadowolony",
        "very satisfied|extremely satisfied|completely satisfied|highly satisfied|velmi spokojen|zcela spokojen|"
        "naprosto spokojen|úplně spokojen|rozhodně spokojen|bardzo zadowolony|zdecydowanie zadowolony|"
        "całkowicie zadowolony",
    ),
    _set(
        "likelihood-5",
        N_("likelihood (5 points)"),
        "very unlikely|extremely unlikely|not at all likely|highly unlikely|velmi nepravděpodobné|"
        "zcela nepravděpodobné|bardzo mało prawdopodobne|bardzo nieprawdopodobne|zdecydowanie nieprawdopodobne",
        "unlikely|somewhat unlikely|not very likely|fairly unlikely|nepravděpodobné|spíše nepravděpodobné|"
        "málo pravděpodobné|mało prawdopodobne|raczej mało prawdopodobne|nieprawdopodobne|"
        "raczej nieprawdopodobne",
        "neither likely nor unlikely|neither likely or unlikely|neutral|ani pravděpodobné, ani nepravděpodobné|"
        "ani prawdopodobne, ani nieprawdopodobne|ani prawdopodobne, ani mało prawdopodobne",
        "likely|somewhat likely|fairly likely|pravděpodobné|spíše pravděpodobné|prawdopodobne|raczej prawdopodobne",
        "very likely|extremely likely|highly likely|velmi pravděpodobné|bardzo prawdopodobne|"
        "zdecydowanie prawdopodobne",
    ),
    _set(
        "quality-5",
        N_("quality (5 points)"),
        "very poor|very bad|terrible|awful|velmi špatné|hrozné|bardzo źle|bardzo zły|bardzo słabo|bardzo słaby|"
        "fatalnie|fatalny",
        "poor|bad|špatné|spíše špatné|źle|zły|słabo|słaby|raczej źle",
        "fair|average|ok|okay|acceptable|neutral|průměrné|ucházející|přijatelné|ani dobré, ani špatné|"
        "przeciętnie|przeciętny|średnio|ani dobrze, ani źle|ani dobry, ani zły",
        "good|dobré|spíše dobré|dobrze|dobry|raczej dobrze",
        "excellent|very good|outstanding|výborné|vynikající|velmi dobré|bardzo dobrze|bardzo dobry|doskonale|"
        "doskonały|znakomicie|świetnie",
    ),
    _set(
        "quality-5b",
        N_("quality (poor … excellent)"),
        "poor|nedostatečné|nedostatečně",
        "fair|dostatečné|dostatečně",
        "good|dobré|dobře",
        "very good|velmi dobré|chvalitebně|chvalitebné",
        "excellent|výborné|výborně",
    ),
    _set(
        "ease-5",
        N_("ease (5 points)"),
        "very difficult|extremely difficult|very hard|velmi obtížné|velmi složité|velmi náročné|bardzo trudno|"
        "bardzo trudne",
        "difficult|somewhat difficult|hard|obtížné|spíše obtížné|složité|náročné|trudno|trudne|raczej trudno",
        "neither easy nor difficult|neither easy or difficult|neutral|ani snadné, ani obtížné|"
        "ani łatwo, ani trudno|ani łatwe, ani trudne",
        "easy|somewhat easy|snadné|spíše snadné|jednoduché|łatwo|łatwe|raczej łatwo",
        "very easy|extremely easy|velmi snadné|velmi jednoduché|bardzo łatwo|bardzo łatwe",
    ),
    _set(
        "importance-5",
        N_("importance (5 points)"),
        "not at all important|not important at all|zcela nedůležité|vůbec nedůležité|zupełnie nieważne|"
        "całkowicie nieistotne",
        "slightly important|not very important|spíše nedůležité|nedůležité|mało ważne|raczej nieważne",
        "moderately important|somewhat important|ani důležité, ani nedůležité|středně důležité|"
        "ani ważne, ani nieważne|średnio ważne",
        "very important|important|důležité|spíše důležité|ważne|raczej ważne",
        "extremely important|velmi důležité|nesmírně důležité|bardzo ważne|niezwykle ważne",
    ),
    _set(
        "favourability-5",
        N_("favourability (5 points)"),
        "very unfavorably|very unfavourably|very unfavorable|very unfavourable",
        "somewhat unfavorably|somewhat unfavourably|unfavorable|unfavourable|unfavorably",
        "neither favorably nor unfavorably|neither favorably nor unfavorably (neutral)|"
        "neither favourably nor unfavourably|neutral",
        "somewhat favorably|somewhat favourably|favorable|favourable|favorably",
        "very favorably|very favourably|very favorable|very favourable",
    ),
    _set(
        "certainty-4",
        N_("definitely not … definitely yes (4 points)"),
        "definitely not|definitely no|certainly not|rozhodně ne|určitě ne|zdecydowanie nie|na pewno nie",
        "probably not|rather not|spíše ne|asi ne|raczej nie",
        "probably yes|probably|rather yes|spíše ano|asi ano|raczej tak",
        "definitely yes|definitely|certainly|rozhodně ano|určitě ano|zdecydowanie tak|na pewno tak",
    ),
    _set(
        "certainty-5",
        N_("definitely not … definitely yes (5 points)"),
        "definitely not|definitely no|certainly not|rozhodně ne|určitě ne|zdecydowanie nie|na pewno nie",
        "probably not|rather not|spíše ne|asi ne|raczej nie",
        "might or might not|maybe|ani ano, ani ne|možná|ani tak, ani nie|może",
        "probably yes|probably|rather yes|spíše ano|asi ano|raczej tak",
        "definitely yes|definitely|certainly|rozhodně ano|určitě ano|zdecydowanie tak|na pewno tak",
    ),
    _set("yes-no", N_("yes / no"), "no|ne|nie|n", "yes|ano|tak|y", binary=True),
    _set("true-false", N_("true / false"), "false|nepravda|fałsz", "true|pravda|prawda", binary=True),
    _set(
        "satisfied",
        N_("satisfied / not satisfied"),
        "dissatisfied|neutral or dissatisfied|neutral/dissatisfied|not satisfied|unsatisfied|nespokojen|"
        "nejsem spokojen|niezadowolony|nie jestem zadowolony",
        "satisfied|spokojen|jsem spokojen|zadowolony|jestem zadowolony",
        binary=True,
    ),
    _set(
        "recommend",
        N_("would recommend / would not"),
        "would not recommend|not recommend|nedoporučil bych|nedoporučím|nie poleciłbym|nie polecę",
        "would recommend|recommend|doporučil bych|doporučím|poleciłbym|polecę",
        binary=True,
    ),
)

# Answers that mean "no answer on the scale": stored as missing, never as a low score.
NOT_APPLICABLE = (
    "n/a",
    "na",
    "n.a.",
    "not applicable",
    "does not apply",
    "doesn't apply",
    "don't know",
    "do not know",
    "dont know",
    "dk",
    "not sure",
    "unsure",
    "can't say",
    "cannot say",
    "can't tell",
    "prefer not to say",
    "prefer not to answer",
    "rather not say",
    "no answer",
    "no opinion",
    "did not use",
    "didn't use",
    "not used",
    "unfamiliar",
    "unfamiliar (n/a)",
    "nevím",
    "nevím, nedokážu posoudit",
    "nedokážu posoudit",
    "nelze posoudit",
    "nemohu posoudit",
    "neumím posoudit",
    "netýká se",
    "netýká se mě",
    "neaplikovatelné",
    "nerelevantní",
    "bez odpovědi",
    "nechci odpovídat",
    "nechci uvést",
    "nevyužil jsem",
    "nepoužil jsem",
    "nie wiem",
    "nie dotyczy",
    "trudno powiedzieć",
    "nie mam zdania",
    "wolę nie odpowiadać",
    "odmowa",
    "brak odpowiedzi",
    "nie korzystałem",
    "nie korzystałam",
    "nie umiem powiedzieć",
)

_LEADING_CODE = re.compile(r"^[-+]?\d+(?:[.,]\d+)?\s*(?:[-–—=:.)]\s*|\s+)(?=[^\d\s])")
_TRAILING_CODE = re.compile(r"\s*[(\[]\s*[-+]?\d+\s*[)\]]$")
# A gender ending written after the word: spokojen(a), spokojený/á, zadowolony/a, satisfied (-a).
_GENDER = re.compile(r"(?<=[a-z]{3})\s*(?:\(\s*-?(?:a|y|i|e|na)\s*\)|/-?(?:a|y|e|na)\b)")


@functools.lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    """An answer as a set of comparable words: folded, without a leading or trailing code ("1 - ", "(5)"),
    gender endings and apostrophes, each word without its last vowel (spokojený/spokojená, dobry/dobra match)."""
    folded = fold(text).replace("'", "").replace("\u2019", "")
    folded = _TRAILING_CODE.sub("", _LEADING_CODE.sub("", folded))
    folded = _GENDER.sub("", folded)
    words = re.findall(r"[a-z0-9]+", folded)
    return frozenset(w[:-1] if len(w) >= 5 and w[-1] in "aeiouy" else w for w in words)


@functools.lru_cache(maxsize=1)
def _index() -> tuple[dict[frozenset[str], int], ...]:
    """Per label set: each wording's words → its point."""
    return tuple(
        {_words(wording): point for point, wordings in enumerate(s.points) for wording in wordings} for s in SETS
    )


@functools.lru_cache(maxsize=1)
def _not_applicable() -> frozenset[frozenset[str]]:
    return frozenset(_words(word) for word in NOT_APPLICABLE)


def is_not_applicable(value: str) -> bool:
    """Whether an answer means "not applicable / don't know" in English, Czech or Polish."""
    return _words(str(value)) in _not_applicable()


def propose_values(values: Sequence[str]) -> LabelProposal | None:
    """Numbers for a column's distinct text answers from the known label set they match; None if none fits most.

    Parameters
    ----------
    values : the distinct answers of one column, as written in the file (blanks are ignored).

    The set chosen is the one that places the most distinct answers on distinct points; between equals, the one with
    fewest points never seen (so "satisfied / dissatisfied" is a yes/no, not two points of a 5-point scale).
    """
    given = list(dict.fromkeys(str(v) for v in values if v is not None and str(v).strip()))
    if not given or len(given) > MAX_VALUES:
        return None
    missing = _not_applicable()
    words = {value: _words(value) for value in given}
    answers = [value for value in given if words[value] not in missing]
    if not answers:
        return None
    best, best_rank, best_points = None, None, {}
    for number, index in enumerate(_index()):
        points = {value: index[words[value]] for value in answers if words[value] in index}
        seen = len(set(points.values()))
        rank = (seen, len(points), -(len(SETS[number].points) - seen))
        if seen >= 2 and len(points) > MATCH_SHARE * len(answers) and (best_rank is None or rank > best_rank):
            best, best_rank, best_points = SETS[number], rank, points
    if best is None:
        return None
    numbers: dict[str, float | None] = {value: None for value in given if words[value] in missing}
    numbers |= {value: best.number(point) for value, point in best_points.items()}
    numbers = {value: numbers[value] for value in given if value in numbers}  # in the file's order
    unmatched = tuple(value for value in answers if value not in best_points)
    positive = next((value for value, point in best_points.items() if point == 1), None) if best.binary else None
    low = min(best_points, key=best_points.__getitem__)
    high = max(best_points, key=best_points.__getitem__)
    if best.binary:
        reason = _("answers read as {title}: “{yes}” = 1, “{no}” = 0").format(title=_(best.title), yes=high, no=low)
    else:
        reason = _("answers read as {title}: “{low}” = {low_n:g} … “{high}” = {high_n:g}").format(
            title=_(best.title), low=low, low_n=numbers[low], high=high, high_n=numbers[high]
        )
    return LabelProposal(best.name, best.title, numbers, unmatched, best.scale, best.binary, positive, reason)


def from_spss(value_labels: Mapping[float, str]) -> dict[str, float | None]:
    """SPSS value labels (code → label) as label → number: the code, or None where the label means "not applicable"
    (e.g. 9 = "Don't know"), so a file read with its labels maps back to the codes the survey used."""
    return {str(label): None if is_not_applicable(label) else float(code) for code, label in value_labels.items()}
