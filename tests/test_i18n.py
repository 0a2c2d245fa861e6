"""The catalogues are complete and right, and no text in the code escapes them.

What fails here: a message in the code that a catalogue lacks, an untranslated or fuzzy entry, a translation that
drops or renames a placeholder, a compiled .mo older than its .po, a ``_()`` run at import (frozen in one language),
a reader-facing literal that bypasses gettext, a wrong plural rule.
"""

from __future__ import annotations

import ast
import gettext
import io
import re
import string

import pytest
from babel.messages import extract, frontend
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests import i18n_source
from workbench.core import i18n

LANGUAGES = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]
SOURCES = i18n_source.sources()


@pytest.mark.parametrize("path", SOURCES, ids=i18n_source.relative)
def test_static_no_translation_runs_at_import(path):
    """A module-level label is marked with N_ and translated where it is used, so each reader gets their language."""
    found = [
        f"{i18n_source.relative(path)}:{call.lineno}: {ast.unparse(call)[:70]}"
        for call in i18n_source.import_time_translations(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not found, "translated at import (use N_ and translate on use):\n" + "\n".join(found)


@pytest.mark.parametrize("path", SOURCES, ids=i18n_source.relative)
def test_static_no_reader_text_bypasses_gettext(path):
    """A component's text, a CLI line or a raised message is written through _() or ngettext()."""
    found = [
        f"{i18n_source.relative(path)}:{line}: {text}"
        for line, text in i18n_source.bypasses(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not found, "reader-facing text outside gettext:\n" + "\n".join(found)


def _code_messages() -> dict[tuple[str | None, str], object]:
    """Every message the code and the bundled content hold, as `make i18n` extracts them (babel.cfg), by
    (context, source text): a template's word has the context "journey template"."""
    method_map, options_map = frontend.parse_mapping_cfg(
        io.StringIO((i18n_source.ROOT / "babel.cfg").read_text(encoding="utf-8"))
    )
    found: dict[tuple[str | None, str], object] = {}
    for _file, _line, message, _comments, context in extract.extract_from_dir(
        str(i18n_source.ROOT), method_map, options_map, keywords=extract.DEFAULT_KEYWORDS
    ):
        found[(context, message if isinstance(message, str) else message[0])] = message
    return found


@pytest.fixture(scope="module")
def code_messages() -> dict[tuple[str | None, str], object]:
    return _code_messages()


def _catalogue(code: str):
    with open(i18n.LOCALE_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.po", "rb") as file:
        return read_po(file, locale=code)


@pytest.mark.parametrize("code", LANGUAGES)
def test_catalogue_holds_every_message_translated(code, code_messages):
    catalogue = _catalogue(code)
    assert not catalogue.fuzzy, f"{code}: the catalogue's header is marked fuzzy (pybabel compile would skip it)"
    held = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalogue if m.id}
    missing = sorted(set(code_messages) - held, key=str)
    assert not missing, f"{code}: {len(missing)} messages not in the catalogue (run `make i18n`): {missing[:10]}"
    untranslated = [
        m.id for m in catalogue if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not untranslated, f"{code}: {len(untranslated)} untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{code}: {len(fuzzy)} fuzzy: {fuzzy[:10]}"
    obsolete = sorted(held - set(code_messages), key=str)
    assert not obsolete, f"{code}: {len(obsolete)} entries no code uses (run `make i18n`): {obsolete[:10]}"


def _fields(text: str) -> list[str]:
    return sorted(name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None)


@pytest.mark.parametrize("code", LANGUAGES)
def test_translations_keep_every_placeholder(code):
    """'{n} answers' must not become '{count} odpovědí' or lose its {n}: .format() would fail or say nothing."""
    wrong = []
    for message in _catalogue(code):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(_fields(sources[-1])) | set(_fields(sources[0]))
        # A plural's count may be spelled out in a form ('in the week' for 1): what only the plural names is optional.
        optional = set(_fields(sources[-1])) - set(_fields(sources[0])) if len(sources) > 1 else set()
        for target in targets:
            try:
                got = set(_fields(target))
            except ValueError as error:
                wrong.append(f"{sources[0]!r}: {error}")
                continue
            if got - expected or (expected - got - optional - ({"n"} if len(sources) > 1 else set())):
                wrong.append(f"{sources[0]!r} → {target!r}")
    assert not wrong, f"{code}: placeholders differ:\n" + "\n".join(wrong[:20])


def _key(message) -> tuple:
    return message.context, tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id


def _texts(text) -> tuple:
    return tuple(text) if isinstance(text, (list, tuple)) else (text,)


@pytest.mark.parametrize("code", LANGUAGES)
def test_compiled_catalogue_is_the_po(code):
    """The .mo the app reads says what the .po says (`make i18n` compiles it)."""
    with open(i18n.LOCALE_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo", "rb") as file:
        compiled = {_key(m): _texts(m.string) for m in read_mo(file) if m.id}
    written = {_key(m): _texts(m.string) for m in _catalogue(code) if m.id and not m.fuzzy}
    assert compiled == written


# Which of three forms each count takes: Czech 1 / 2–4 / other; Polish 1 / 2–4 but not 12–14 / other.
PLURALS = {
    "cs": {0: 2, 1: 0, 2: 1, 3: 1, 4: 1, 5: 2, 12: 2, 22: 2, 112: 2},
    "pl": {0: 2, 1: 0, 2: 1, 4: 1, 5: 2, 12: 2, 13: 2, 22: 1, 24: 1, 25: 2, 112: 2, 122: 1},
}


@pytest.mark.parametrize("code", LANGUAGES)
def test_plural_rule_of_the_catalogue(code):
    catalogue = _catalogue(code)
    assert catalogue.num_plurals == 3
    rule = gettext.c2py(catalogue.plural_expr)
    assert {n: rule(n) for n in PLURALS[code]} == PLURALS[code]


def test_source_messages_are_whole_sentences(code_messages):
    """A message is never a fragment glued to another ('No ' + _('answers')): its word order is the language's."""
    fragments = [m for _c, m in code_messages if re.match(r"^\s|.*\s$", m) and not m.strip().endswith(":")]
    assert not fragments, fragments[:10]


ROWS = {
    "cs": {0: "0 řádků", 1: "1 řádek", 2: "2 řádky", 5: "5 řádků", 12: "12 řádků", 22: "22 řádků", 112: "112 řádků"},
    "pl": {
        0: "0 wierszy",
        1: "1 wiersz",
        2: "2 wiersze",
        5: "5 wierszy",
        12: "12 wierszy",
        22: "22 wiersze",
        112: "112 wierszy",
    },
    "en": {0: "0 rows", 1: "1 row", 2: "2 rows", 5: "5 rows", 12: "12 rows", 22: "22 rows", 112: "112 rows"},
}


@pytest.mark.parametrize("code", [*LANGUAGES, "en"])
def test_a_counted_noun_takes_its_languages_form(code):
    """The compiled catalogue through the app's own ngettext: Czech 22 řádků but Polish 22 wiersze."""
    with i18n.language(code):
        shown = {n: i18n.ngettext("{n} row", "{n} rows", n).format(n=n) for n in ROWS[code]}
    assert shown == ROWS[code]


# The glossary's terms (workbench/core/locale/GLOSSARY.md) as stems each translation of a message naming the term must
# hold: a new message that says "touchpoint" is written with "kontaktní bod" / "punkt styku", never a synonym.
GLOSSARY_STEMS = {
    r"touchpoints?": (r"kontaktn", r"punkt|punkci"),
    r"drivers?": (r"faktor", r"czynnik"),
    r"branch(es)?": (r"poboč", r"oddzia"),
    r"journeys?": (r"cest", r"ścież"),
    r"stages?": (r"fáz", r"etap"),
    r"owners?": (r"vlastní", r"właściciel"),
    r"respondents?": (r"respondent", r"responden"),
    r"alerts?": (r"upozorněn", r"alert"),
    r"surveys?": (r"průzkum|dotazník", r"badani|ankiet"),
    r"datasets?": (r"datov\w* sad", r"zbi\w* danych"),
    r"scenarios?": (r"scénář", r"scenariusz"),
    r"waves?": (r"vln", r"fal"),
}
# Where the English word is not the glossary's term: the product's name, a journey file's YAML keys, and one CLI help
# line that reads better with the answers as its subject.
NOT_THE_TERM = re.compile(r"CX Journey Workbench|name, stages, touchpoints|touchpoints survey answers are about")


@pytest.mark.parametrize("code", LANGUAGES)
def test_translations_use_the_glossarys_terms(code):
    column = LANGUAGES.index(code)
    astray = []
    for message in _catalogue(code):
        if not message.id or message.context:  # a template's words are names, not terms
            continue
        source = message.id if isinstance(message.id, str) else message.id[-1]
        target = " ".join(message.string) if isinstance(message.string, tuple) else message.string
        words = NOT_THE_TERM.sub("", re.sub(r"\{[^}]*\}", "", source))
        for english, stems in GLOSSARY_STEMS.items():
            if re.search(rf"\b{english}\b", words, re.I) and not re.search(stems[column], target, re.I):
                astray.append(f"{english}: {source!r} → {target!r}")
    assert not astray, f"{code}: the glossary's term is missing:\n" + "\n".join(astray[:20])
