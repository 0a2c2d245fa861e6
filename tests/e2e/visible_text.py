"""What a reader sees on a page of the app, and which of it is English (the Czech and Polish browser test, issue 21).

``collect(page)`` reads the page as a reader sees it: visible text nodes, the rendered lines of each block (a sentence
with markup inside is one line), the options of visible selects, the title and placeholder attributes, plotly's SVG
text and hover templates, the journey map's labels (cytoscape draws on a canvas) and the tab's title.
``EnglishFinder`` compares those texts with the English messages of the code: a message found on a Czech or Polish
page was not translated. ``english_lines`` flags English the catalogue does not hold (text that bypasses gettext).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field

from babel.messages.pofile import read_po

from workbench.core import i18n

SHORT = 25  # a message shorter than this counts only as a whole line or text node; a longer one as a substring
# Data, not interface: the verbatims of comments (the heatmap's detail, the comment browser, the coding card, the
# customer card), the rows of a file being imported and of a CRM list. Plotly's own toolbar is not the app's text.
DATA = ", ".join(
    [
        "#hm-detail-card .hm-comment",
        "#cm-retag-comment",
        "#cm-grid [col-id='comment']",
        "#da-preview",
        "#cm-theme-table td:nth-child(2)",  # a theme's keywords
        "#cu-kpis td:first-child, .cu-comment",  # a customer's KPI columns as the file names them, their comments
        "#crm-table td, #crm-columns-note",  # a CRM list's rows; the columns a rule may name, as the data names them
        "#da-segments label, #da-kpis label, #da-wide-table tbody td:first-child",  # the file's column names
        ".modebar-container",
    ]
)
# Words that cannot be Czech or Polish (no 'to', 'do', 'on', 'by', 'a', 'i', 'data', 'import', 'segment', 'trend',
# 'benchmark', 'dataset': those are words or usual loanwords there). Two of them on one line is English.
ENGLISH_WORDS = frozenset(
    """the and with of your this that these those answers answer touchpoint touchpoints score scores select show
    shows save delete not is are was were for from all new has have will be been can cannot should would there their
    which what when where who how than then into each every more less only about after before between without here
    click choose file files rows row column columns value values name journey journeys stage stages owner action
    actions comment comments theme themes rule rules alert alerts drivers driver customer customers survey month
    months week weeks year years open close add remove download upload check checked or an it its in at no none you
    we our any some other first last see use used per""".split()
)
# Words English shares with Czech or Polish: a message whose only words they are ('{low} to {high}') proves nothing.
AMBIGUOUS = frozenset("to by do on a i o u w z na po za".split())
_QUOTED = re.compile(r"„[^“”]*[“”]|“[^”]*”|\"[^\"]*\"|«[^»]*»")  # a quoted name or verbatim inside a line is data
_WORDS = re.compile(r"[^\W\d_]+")
_LETTERS = re.compile(r"[A-Za-z]{2,}")

COLLECT = r"""
(data) => {
    const items = [];
    const seen = new Set();
    const add = (kind, text, el, where) => {
        for (let line of String(text || '').split(/\n+/)) {
            line = line.replace(/\s+/g, ' ').trim();
            const place = where || (el && el.closest('[id]') ? '#' + el.closest('[id]').id : 'body');
            const key = kind + '\u0000' + line + '\u0000' + place;
            if (line && !seen.has(key)) { seen.add(key); items.push([kind, line, place]); }
        }
    };
    const visible = (el) => {  // drawn, and larger than the 1 px boxes of screen-reader-only text
        const box = el.getBoundingClientRect();
        return box.width > 1 && box.height > 1 && el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
    };
    const isData = (el) => !!el.closest(data);
    const blocks = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!el || !node.textContent.trim() || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
        if (el.closest('svg') || isData(el)) continue;
        if (el.tagName === 'OPTION') {
            const select = el.closest('select');
            // an option whose value is its text is a column or a segment of the data ('branch'), not a label
            if (select && visible(select) && el.value !== el.textContent.trim()) add('option', node.textContent, select);
            continue;
        }
        if (!visible(el)) continue;
        add('text', node.textContent, el);
        let block = el;  // the nearest block around the text: its rendered lines join inline markup
        while (block !== document.body && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
        blocks.add(block);
    }
    for (const block of blocks) {
        if (block === document.body) continue;
        if (block.querySelector(data)) continue;  // its own text is read node by node, without the data
        let text = block.innerText;
        for (const inner of block.querySelectorAll('select')) {  // a select's options are read one by one
            if (inner.innerText) text = text.split(inner.innerText).join(' ');
        }
        add('line', text, block);
    }
    for (const el of document.querySelectorAll('[title], [placeholder]')) {
        if (isData(el) || el.closest('svg') || !visible(el)) continue;
        if (el.getAttribute('title')) add('title', el.getAttribute('title'), el);
        if (el.getAttribute('placeholder')) add('placeholder', el.getAttribute('placeholder'), el);
    }
    for (const el of document.querySelectorAll('.main-svg text')) {
        if (!isData(el) && visible(el.closest('.js-plotly-plot') || el)) add('chart', el.textContent, el);
    }
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {  // what a reader sees on hovering a point
        if (!visible(plot)) continue;
        for (const trace of plot.data || []) {
            for (const template of [].concat(trace.hovertemplate || [])) {
                if (typeof template !== 'string') continue;
                const text = template.replace(/<extra>.*?<\/extra>/g, '').replace(/%\{[^}]*\}/g, '\u2026')
                    .replace(/<br\s*\/?>/gi, '\n').replace(/<[^>]*>/g, '');
                add('hover', text, plot, '#' + (plot.closest('[id]') || plot).id + ' (hover)');
            }
        }
    }
    if (window.cy && typeof window.cy.elements === 'function') {  // the map's labels are drawn on a canvas
        const host = window.cy.container();
        if (host && visible(host)) {
            const where = '#' + (host.closest('[id]') || host).id + ' (map)';
            window.cy.elements().forEach((e) => {
                const label = e.data('label');
                if (typeof label === 'string') add('map', label, host, where);
            });
        }
    }
    add('title', document.title, null, 'document.title');
    return items;
}
"""


@dataclass(frozen=True)
class Item:
    kind: str  # text, line, option, title, placeholder, chart, hover, map
    text: str
    where: str  # the nearest element id around it


def collect(page) -> list[Item]:
    """Everything a reader can read on the page right now (see the module's docstring)."""
    return [Item(*row) for row in page.evaluate(COLLECT, DATA)]


def catalogue(code: str) -> dict[tuple[str | None, str], tuple[str, ...]]:
    """The language's catalogue as written (.po): (context, msgid or a plural's singular) → its translations
    ('' where there is none)."""
    with open(i18n.LOCALE_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.po", "rb") as file:
        messages = read_po(file, locale=code)
    return {
        (m.context, m.id if isinstance(m.id, str) else m.id[0]): (
            m.string if isinstance(m.string, tuple) else (m.string,)
        )
        for m in messages
        if m.id
    }


def _pattern(message: str) -> str:
    """A message as a regular expression: each ``{placeholder}`` stands for some text."""
    parts = []
    for literal, name, _spec, _conversion in string.Formatter().parse(message):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(".+?")
    return "".join(parts)


def _literal(message: str) -> str:
    try:
        return "".join(literal for literal, *_rest in string.Formatter().parse(message))
    except ValueError:
        return message


@dataclass
class Found:
    """An English text on a page: the message (or line) and where it was seen."""

    text: str
    places: list[str] = field(default_factory=list)


class EnglishFinder:
    """Finds the code's English messages among a page's texts, for one language.

    Checked: every form of every message whose translation differs from it. Left out: messages translated
    identically ('NPS'), English that is also a translation of another message (seeing it proves nothing),
    and messages without a word of their own ('{name} ({n})').
    """

    def __init__(self, code: str, messages: dict[str, object]):
        translations = catalogue(code)
        shown_in_language = {text for forms in translations.values() for text in forms if text}
        self.plain: list[str] = []
        self.patterns: list[tuple[str, re.Pattern]] = []
        for key, message in messages.items():
            forms = (message,) if isinstance(message, str) else tuple(message)
            translated = translations.get(key if isinstance(key, tuple) else (None, key), ())
            for english in dict.fromkeys(forms):
                words = {word.lower() for word in _WORDS.findall(_literal(english))}
                if not _LETTERS.search(_literal(english)) or english in shown_in_language or words <= AMBIGUOUS:
                    continue
                if translated and all(t == english for t in translated if t) and any(translated):
                    continue  # translated as itself
                short = len(english) < SHORT
                try:
                    fields = any(name is not None for _l, name, _s, _c in string.Formatter().parse(english))
                except ValueError:
                    fields = False
                if not fields:
                    self.plain.append(english)
                else:
                    body = _pattern(english)
                    self.patterns.append((english, re.compile(f"^{body}$" if short else body, re.M)))

    def find(self, items: Iterable[Item]) -> dict[str, list[Item]]:
        """The English messages among ``items``: message → the items showing it."""
        items = list(items)
        exact: dict[str, list[Item]] = {}
        for item in items:
            exact.setdefault(item.text, []).append(item)
        joined = "\n".join(item.text for item in items)
        # A short message with placeholders ('{a} and {b}') is looked for outside quotes: “Fast and friendly.” is data.
        unquoted = "\n".join(_QUOTED.sub("“…”", item.text) for item in items)
        found: dict[str, list[Item]] = {}
        for english in self.plain:
            if len(english) < SHORT:
                if english in exact:
                    found[english] = exact[english]
            elif english in joined:
                found[english] = [item for item in items if english in item.text]
        for english, pattern in self.patterns:
            quoted = len(english) < SHORT and not _QUOTED.search(english)
            if pattern.search(unquoted if quoted else joined):
                found[english] = [
                    item for item in items if pattern.search(_QUOTED.sub("“…”", item.text) if quoted else item.text)
                ]
        return found


def english_lines(finder: EnglishFinder, items: Iterable[Item], found: dict[str, list[Item]]) -> list[Item]:
    """Lines with two or more words that cannot be Czech or Polish, besides the messages already found in them
    (quoted names and verbatims left out): English that bypasses the catalogue."""
    known = [english for english in found if english in finder.plain and len(english) > 2]
    patterns = [pattern for english, pattern in finder.patterns if english in found]
    flagged = []
    for item in items:
        if item.kind == "text":  # a text node is part of a line: the line is judged
            continue
        text = _QUOTED.sub(" ", item.text)
        words = {word.lower() for word in _WORDS.findall(text)} & ENGLISH_WORDS
        if len(words) < 2:
            continue
        for english in sorted(known, key=len, reverse=True):
            text = text.replace(english, " ")
        for pattern in patterns:
            text = re.sub(pattern.pattern.strip("^$"), " ", text)
        if len({word.lower() for word in _WORDS.findall(text)} & ENGLISH_WORDS) >= 2:
            flagged.append(item)
    return flagged
