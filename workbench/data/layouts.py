"""Survey-tool export layouts recognised on sight from a file's first rows.

=================  ===========================================================================================
layout             how it is recognised, and what the importer does
=================  ===========================================================================================
``qualtrics``      ``ResponseId``/``ResponseID`` with ``StartDate`` or ``Status`` in row 1; row 2 holds question
                   texts (kept as column descriptions), row 3 ``{"ImportId": …}`` (dropped). Preview, test and
                   spam responses (``Status``, ``DistributionChannel``) are excluded by default and counted.
``surveymonkey``   blanks in row 1 for the sub-answers of a question and ``Response`` / sub-answer labels in
                   row 2: the two rows become one name per column, ``Question – Sub-answer``.
``limesurvey``     ``submitdate`` (or ``Date submitted``) with ``lastpage``/``startlanguage``: incomplete
                   responses (no submit date) are excluded by default and counted.
``google-forms``   a first column ``Timestamp`` (or its Czech, Polish, German, French, Spanish name).
``plain``          anything else: one header row.
=================  ===========================================================================================
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from workbench.core.folding import fold
from workbench.core.i18n import N_, Labels

# The tools' own names stay as they are; a plain table is named in the reader's language.
LAYOUT_NAMES = Labels(
    {
        "qualtrics": "Qualtrics",
        "surveymonkey": "SurveyMonkey",
        "limesurvey": "LimeSurvey",
        "google-forms": "Google Forms",
        "plain": N_("plain table"),
        "spss": "SPSS",
    }
)
# Qualtrics' Status codes (numeric exports) and labels (text exports) of responses that are not real answers.
QUALTRICS_EXCLUDE = {
    "Status": ("Survey Preview", "Survey Test", "Spam", "Preview Spam", "Offline Preview", "1", "2", "8", "9", "17"),
    "DistributionChannel": ("preview", "test"),
}
GOOGLE_TIMESTAMPS = {
    "timestamp",
    "casova znacka",
    "sygnatura czasowa",
    "zeitstempel",
    "horodateur",
    "marca temporal",
    "horodatage",
}
SUB_ANSWER_BLANKS = {"", "response", "open-ended response"}
DASH = " – "


@dataclass(frozen=True)
class Layout:
    """What the first rows of a file say: the tool that wrote it, how many header rows, the column names,
    question texts per column, and rows to exclude by default (column → values; ``""`` means blank)."""

    name: str = "plain"
    header_rows: int = 1
    names: tuple[str, ...] = ()
    descriptions: dict[str, str] = field(default_factory=dict)
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The layout as people name it."""
        return LAYOUT_NAMES.get(self.name, self.name)


def detect(rows: Sequence[Sequence[str]], header_rows: int | None = None) -> Layout:
    """The layout of a file from its first parsed rows (a few are enough); ``header_rows`` overrides the count."""
    rows = [list(row) for row in rows]
    if not rows:
        return Layout()
    first = [cell.strip() for cell in rows[0]]
    folded = {cell.casefold() for cell in first}
    # A CRM export may have a ResponseId and a Status too: Qualtrics only with its second or third header row.
    if _is_qualtrics(folded) and (header_rows or _qualtrics_rows(rows)) > 1:
        count = header_rows or _qualtrics_rows(rows)
        descriptions = {}
        if count >= 2 and len(rows) > 1:
            descriptions = {
                name: text.strip()
                for name, text in zip(first, rows[1])
                if text.strip() and text.strip() != name and not _is_import_id(text)
            }
        exclude = {column: values for column, values in QUALTRICS_EXCLUDE.items() if column in first}
        return Layout("qualtrics", count, _unique(first, suffix_twice=True), descriptions, exclude)
    if header_rows in (None, 2) and len(rows) > 1 and _is_surveymonkey(first, rows[1]):
        names = _combined(first, rows[1])
        return Layout("surveymonkey", 2, names, {}, {})
    count = header_rows or 1
    names = _unique(rows[0]) if count == 1 else _combined(first, rows[1] if len(rows) > 1 else [])
    if {"lastpage", "startlanguage"} & folded or {"last page", "start language"} & folded:
        submitted = next((c for c in first if c.casefold() in ("submitdate", "date submitted")), None)
        return Layout("limesurvey", count, names, {}, {submitted: ("",)} if submitted else {})
    if first and first[0].casefold() in GOOGLE_TIMESTAMPS | _folded(GOOGLE_TIMESTAMPS):
        return Layout("google-forms", count, names)
    return Layout("plain", count, names)


def _folded(words: set[str]) -> set[str]:
    return {fold(w) for w in words}


def _is_qualtrics(folded: set[str]) -> bool:
    return "responseid" in folded and bool({"startdate", "status", "recordeddate"} & folded)


def _is_import_id(cell: str) -> bool:
    """A Qualtrics third-row cell: ``{"ImportId":"QID1"}`` (JSON) or ``{'ImportId': 'QID1'}`` (older exports)."""
    text = cell.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return False
    try:
        return "ImportId" in json.loads(text)
    except ValueError:
        return bool(re.match(r"^\{\s*'ImportId'\s*:", text))


def _qualtrics_rows(rows: Sequence[Sequence[str]]) -> int:
    """3 when row 3 is the ImportId row; 2 when row 2 is question text (no ``R_`` response id in it); else 1."""
    if len(rows) > 2 and sum(_is_import_id(c) for c in rows[2]) >= max(1, len([c for c in rows[2] if c]) // 2):
        return 3
    if len(rows) > 1:
        index = next((i for i, c in enumerate(rows[0]) if c.strip().casefold() == "responseid"), None)
        cell = rows[1][index].strip() if index is not None and index < len(rows[1]) else ""
        if cell and not re.match(r"^(R_\w+|\d+)$", cell) and _mostly_words(rows[1]):
            return 2
    return 1


def _mostly_words(row: Sequence[str]) -> bool:
    """A header row of question texts or labels, not a record: at most a quarter of its cells are numbers."""
    cells = [cell.strip() for cell in row if cell.strip()]
    numbers = sum(bool(re.match(r"^[-+]?\d+(?:[.,]\d+)?$", cell)) for cell in cells)
    return bool(cells) and numbers <= len(cells) / 4


def _is_surveymonkey(first: Sequence[str], second: Sequence[str]) -> bool:
    """Blanks in the first row after a question, and sub-answer labels or ``Response`` in the second."""
    blanks = any(not cell and first[index - 1] for index, cell in enumerate(first) if index)
    labels = [cell.strip().casefold() for cell in second]
    return blanks and _mostly_words(second) and any(label in ("response", "open-ended response") for label in labels)


def _combined(first: list[str], second: Sequence[str]) -> tuple[str, ...]:
    """Two header rows as one name per column: the question (carried over blanks) and its sub-answer."""
    names, question = [], ""
    for index, cell in enumerate(first):
        question = cell or question
        sub = second[index].strip() if index < len(second) else ""
        if not question:
            names.append(sub or f"column {index + 1}")
        elif sub.casefold() in SUB_ANSWER_BLANKS or sub == question:
            names.append(question)
        else:
            names.append(f"{question}{DASH}{sub}")
    return _unique(names, suffix_twice=True)


def _unique(names: Sequence[str], suffix_twice: bool = False) -> tuple[str, ...]:
    """Blank names numbered; with ``suffix_twice`` a name given again suffixed ``(2)``, ``(3)``… (a tool's own
    repeats, such as a question over two sub-answer rows). A plain file's repeated name stays, to be refused."""
    seen: Counter[str] = Counter()
    result = []
    for index, name in enumerate(names):
        # A name stays as written (a saved mapping names it so); a combined one is built with single spaces.
        name = (
            (" ".join(str(name).split()) if suffix_twice else str(name)) if str(name).strip() else f"column {index + 1}"
        )
        seen[name] += 1
        result.append(name if seen[name] == 1 or not suffix_twice else f"{name} ({seen[name]})")
    return tuple(result)
