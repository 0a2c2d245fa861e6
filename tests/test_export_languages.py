"""The demo's deck, tables and CLI messages in Czech and Polish: every word on a slide (titles, text boxes, table
cells, charts, speaker notes) in the deck's language, with the decimal comma and local dates, rendered by LibreOffice;
the language chosen per export, apart from the screen's.

The English source messages are read from the code with Babel: a slide showing one that its translation changes
means a text bypassed gettext (or the catalogue lacks it)."""

from __future__ import annotations

import datetime
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from workbench import cli
from workbench.core import formatting, i18n
from workbench.export import deck, files, tables
from workbench.features.export import Request, gather

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime.datetime(2026, 11, 2, 9, 30)
LANGUAGES = ("cs", "pl")
# Where the words of a deck, its pictures and tables come from: the export's own modules, and the analyses and
# features whose sentences, legends and verdicts the slides show.
SOURCES = (
    *sorted((ROOT / "workbench/export").glob("*.py")),
    ROOT / "workbench/features/export.py",
    ROOT / "workbench/analysis/heatmap.py",
    ROOT / "workbench/analysis/breaks.py",
    ROOT / "workbench/analysis/drivers.py",
    ROOT / "workbench/features/drivers.py",
    ROOT / "workbench/features/roi.py",
    ROOT / "workbench/data/outcome.py",
    ROOT / "workbench/core/metrics.py",
)
MIN_LETTERS = 4  # a message whose own words are shorter ('n', 'vs', ' · ') proves nothing when found
PLACEHOLDER = re.compile(r"\{\w*\}")
POINT_DECIMAL = re.compile(r"(?<![\d.,])\d+\.\d+(?![\d.])")  # 4.21, not the Polish date 2.11.2026
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def english_messages() -> set[str]:
    """Every message (each plural form too) the sources hand to gettext."""
    found: set[str] = set()
    for path in SOURCES:
        if not path.exists():
            continue
        for _line, message, _comments, _context in extract_from_file("python", path, keywords=DEFAULT_KEYWORDS):
            found.update(message if isinstance(message, tuple) else (message,))
    return {m for m in found if m}


def translated(message: str, language: str) -> bool:
    """Whether ``message`` reads differently in ``language`` (a name like 'Benchmark' or 'Logo' may not)."""
    with i18n.language(language):
        forms = {i18n.gettext(message), *(i18n.ngettext(message, message, n) for n in (1, 2, 5))}
    return forms != {message}


def pattern(message: str) -> re.Pattern | None:
    """A message's English words with anything standing for its placeholders; None when they are too few."""
    pieces = PLACEHOLDER.split(message)
    if sum(c.isalpha() for c in "".join(pieces)) < MIN_LETTERS:
        return None
    body = ".*?".join(re.escape(piece) for piece in pieces)
    return re.compile(rf"(?<!\w){body}(?!\w)" if message[:1].isalnum() and message[-1:].isalnum() else body)


def shape_texts(shape) -> list[str]:
    """The texts a shape shows: its paragraphs, a table's cells, a chart's title, axis titles, categories, series."""
    found: list[str] = []
    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        for inner in shape.shapes:
            found += shape_texts(inner)
    if shape.has_text_frame:
        found += [p.text for p in shape.text_frame.paragraphs]
    if getattr(shape, "has_table", False) and shape.has_table:
        for row in shape.table.rows:
            for cell in row.cells:
                found += [p.text for p in cell.text_frame.paragraphs]
    if getattr(shape, "has_chart", False) and shape.has_chart:
        chart = shape.chart
        if chart.has_title:
            found.append(chart.chart_title.text_frame.text)
        for name in ("category_axis", "value_axis"):
            try:
                axis = getattr(chart, name)
            except ValueError:  # a chart without that axis
                continue
            if axis.has_title:
                found.append(axis.axis_title.text_frame.text)
        plot = chart.plots[0]
        found += [str(c) for c in plot.categories]
        found += [series.name for series in plot.series]
    return [text for text in found if text.strip()]


def data_names(found) -> list[str]:
    """The client's own words on the slides (touchpoints, stages, owners, datasets, scenarios, actions, segments):
    data, never translated, so masked before the slides are searched for English messages."""
    journey, facts = found.journey, found.provenance
    names = {
        journey.name,
        facts.project,
        facts.journey,
        facts.dataset,
        found.matrix_column or "",
        found.benchmark_source,
    }
    names |= {tp.name for tp in journey.touchpoints} | {tp.owner or "" for tp in journey.touchpoints}
    names |= {stage.name for stage in journey.stages}
    names |= {p.name for p in journey.personas} | {p.description for p in journey.personas} | set(journey.lanes)
    for tp in journey.touchpoints:  # the journey map's texts, as typed in the workshop
        lanes = tp.lanes
        names |= {lanes.does, lanes.thinks, lanes.feels, *lanes.pains, *lanes.opportunities}
        names |= {s.text for s in lanes.backstage} | {s.owner for s in lanes.backstage} | set(lanes.custom.values())
    for item in found.scenarios:
        names |= {item.name, item.scenario.kpi, item.scenario.kpi_dataset}
        if item.evidence is not None:
            names |= {item.evidence.survey, item.evidence.kpi_source}
    for action in found.actions:
        names |= {action.title, action.description or "", action.owner or ""}
    if found.matrix is not None:
        names |= {str(s) for s in found.matrix["segment"]}
    return sorted((n for n in names if n and len(n) > 2), key=len, reverse=True)


def masked(text: str, names: list[str]) -> str:
    for name in names:
        text = text.replace(name, "◆")
    return text


def slide_texts(presentation) -> list[list[str]]:
    """Per slide, every text on it and in its speaker notes."""
    shown = []
    for slide in presentation.slides:
        texts = [text for shape in slide.shapes for text in shape_texts(shape)]
        if slide.has_notes_slide:
            texts += [p.text for p in slide.notes_slide.notes_text_frame.paragraphs if p.text.strip()]
        shown.append(texts)
    return shown


@pytest.fixture(scope="module")
def decks(seeded_demo) -> dict[str, tuple]:
    """The demo's findings and deck in each language, made while the screen's language is English."""
    workspace, project_id, journey_id, _effects = seeded_demo
    made = {}
    for language in LANGUAGES:
        found = gather(workspace, Request(project_id, journey_id, language=language), now=NOW)
        made[language] = (found, deck.build(found))
    return made


@pytest.fixture(scope="module")
def messages() -> set[str]:
    return english_messages()


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_message_is_left_on_any_slide_or_note(decks, messages, language):
    found, content = decks[language]
    names = data_names(found)
    shown = [[masked(text, names) for text in texts] for texts in slide_texts(Presentation(io.BytesIO(content)))]
    checks = [(m, p) for m in sorted(messages) if translated(m, language) and (p := pattern(m)) is not None]
    assert len(checks) > 100, "the catalogue translates the deck's messages"
    left = sorted(
        {
            f"slide {i}: {message!r} in {text!r}"
            for i, texts in enumerate(shown, 1)
            for text in texts
            for message, found in checks
            if found.search(text)
        }
    )
    assert not left, f"English on a {language} slide:\n" + "\n".join(left[:60])


@pytest.mark.parametrize("language", LANGUAGES)
def test_scores_have_the_decimal_comma_and_dates_the_local_form(decks, language):
    found, content = decks[language]
    presentation = Presentation(io.BytesIO(content))
    shown = slide_texts(presentation)
    everything = "\n".join(text for texts in shown for text in texts)
    scored = found.scores[found.scores["status"] != "no_data"].iloc[0]
    csat = formatting.value(scored["value"], "csat", locale=language)
    assert re.fullmatch(r"\d,\d\d", csat), csat  # CSAT '4,21'
    assert csat in everything
    assert any(re.search(r"\b\d,\d\d ± \d,\d\d\b", text) for text in everything.splitlines())  # the map's boxes
    lines = [masked(line, data_names(found)) for line in everything.splitlines()]  # a scenario named '+0.3 CSAT'
    points = [line for line in lines if POINT_DECIMAL.search(line)]
    assert not points, points
    iso = [line for line in lines if ISO_DATE.search(line)]
    assert not iso, iso
    title = "\n".join(shown[0])
    facts = found.provenance
    local = {"cs": "2. 11. 2026", "pl": "2.11.2026"}[language]
    assert formatting.date(NOW.date(), locale=language) == local and local in title
    assert formatting.date(facts.date_from, locale=language) in title
    assert formatting.date(facts.date_to, locale=language) in title
    with i18n.language(language):
        assert facts.period() in title and i18n.gettext("Journey map") != "Journey map"
    # every text run is tagged with the deck's language, so PowerPoint's spelling checks it in that language
    tags = set(re.findall(rb'lang="([a-zA-Z-]+)"', zipfile.ZipFile(io.BytesIO(content)).read("ppt/slides/slide2.xml")))
    assert tags == {deck.LANGUAGE_TAGS[language].encode()}


def test_the_deck_language_is_the_requests_not_the_screens(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    request = Request(project_id, journey_id, slides=("title",), language="pl")
    with i18n.language("cs"):  # a Czech consultant's screen
        content = deck.build(gather(workspace, request, now=NOW))
        assert i18n.current() == "cs"
    title = "\n".join(slide_texts(Presentation(io.BytesIO(content)))[0])
    with i18n.language("pl"):
        assert i18n.gettext("Prepared {date}").format(date="2.11.2026") in title
    with i18n.language("cs"):  # no language asked for: the current one
        assert Request(project_id, journey_id).speaks() == "cs"


@pytest.mark.parametrize("language", LANGUAGES)
def test_table_sheets_and_headers_are_in_the_language(decks, language):
    found, _content = decks[language]
    with i18n.language("en"):  # whatever the screen speaks, the request's language names the tables
        shown = tables.frames(found)
    with i18n.language(language):
        expected = i18n.gettext("touchpoint-scores")
        header = i18n.gettext("touchpoint")
    assert expected != "touchpoint-scores" and expected in shown
    assert header in shown[expected].columns and "touchpoint" not in shown[expected].columns
    workbook = files.render(found, "xlsx")
    assert expected.encode() in zipfile.ZipFile(io.BytesIO(workbook)).read("xl/workbook.xml")


# ------------------------------------------------------------------ rendered by LibreOffice


def render(pptx: bytes, folder: Path) -> Path:
    """The deck as PDF through headless LibreOffice, with a private profile so parallel runs don't clash."""
    source = folder / "deck.pptx"
    source.write_bytes(pptx)
    subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return folder / "deck.pdf"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_deck_rendered_by_libreoffice_reads_in_its_language(decks, language, tmp_path):
    if shutil.which("libreoffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or pdftotext is not installed")
    found, content = decks[language]
    pdf = render(content, tmp_path)
    pages = (
        subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, timeout=60)
        .stdout.decode("utf-8")
        .split("\f")
    )
    slides = Presentation(io.BytesIO(content)).slides
    assert len([p for p in pages if p.strip()]) == len(slides)
    rendered = " ".join(" ".join(page.split()) for page in pages)
    with i18n.language(language):
        plan, drivers = i18n.gettext("Action plan"), found.outcome.what_drives()
        map_title = i18n.gettext("Journey map: {metric} at every touchpoint").split("{")[0].strip()
    assert map_title and map_title in rendered
    assert plan in rendered and drivers in rendered
    for english in ("Journey map", "Where it breaks", "Action plan", "What it is worth", "Touchpoint", "Owner"):
        assert english not in rendered, english
    scored = found.scores[found.scores["status"] != "no_data"].iloc[0]
    assert formatting.value(scored["value"], "csat", locale=language) in rendered
    # the charts' numbers too (data labels, axes), which LibreOffice writes itself: the formats name the locale
    assert not POINT_DECIMAL.findall(masked(rendered, data_names(found))), "a chart number with a decimal point"


# ------------------------------------------------------------------ the command line


def test_cxwb_export_lang_writes_a_polish_deck_and_says_so_in_polish(seeded_demo, tmp_path, capsys):
    workspace, _project_id, _journey_id, _effects = seeded_demo
    output = tmp_path / "deck.pptx"
    code = cli.main(
        [
            "export",
            "--workspace",
            str(workspace.folder),
            "--project",
            "Demo: Parcel Express",
            "--slides",
            "title,actions",
            "-o",
            str(output),
            "--lang",
            "pl",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "Zapisano" in out and "Wrote" not in out
    title = "\n".join(slide_texts(Presentation(output))[0])
    assert "Przygotowano" in title
    assert "Prepared" not in title


def test_cxwb_help_and_errors_follow_lang(seeded_demo, capsys, monkeypatch):
    workspace, _project_id, _journey_id, _effects = seeded_demo
    monkeypatch.delenv("CXWB_LANG", raising=False)
    with pytest.raises(SystemExit):
        cli.main(["--lang", "cs", "export", "--help"])
    helped = capsys.readouterr().out
    assert "soubor k zápisu" in helped and "file to write" not in helped
    monkeypatch.setenv("CXWB_LANG", "pl")  # the default language of every command
    assert cli.main(["export", "--workspace", str(workspace.folder), "--project", "Nope", "-o", "x.pptx"]) == 2
    assert "Nie ma projektu „Nope”." in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["export", "--lang", "xx", "--project", "p", "-o", "x.pptx"])
    assert "nie jest językiem aplikacji" in capsys.readouterr().err


@pytest.mark.parametrize("language", LANGUAGES)
def test_roi_amounts_carry_the_scenarios_currency_as_the_language_writes_it(decks, language):
    from workbench.features import roi

    found, content = decks[language]
    everything = "\n".join(text for texts in slide_texts(Presentation(io.BytesIO(content))) for text in texts)
    shown = [item for item in found.scenarios if item.outcome is not None]
    assert shown, "the demo's scenarios run"
    with i18n.language(language):
        for item in shown:
            npv = roi.money(item.outcome.npv, item.scenario)
            assert npv in everything and formatting.with_currency("", item.scenario.currency).strip() in npv
