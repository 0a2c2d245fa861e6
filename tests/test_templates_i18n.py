"""The journey templates and the demo in Czech and Polish: the words translated, the keys the same in every language,
the template files English (the catalogue holds their words, extracted by the `journey` method of babel.cfg)."""

import io

import pytest

from workbench.core import catalogue, i18n, journeyfile
from workbench.core import journey as jm
from workbench.data.templates import list_templates, load_template, templates_folder

LANGUAGES = ("cs", "pl")
KEYS = sorted(t.key for t in list_templates())


def shape(journey):
    """Everything but the words: keys, kinds, stages of touchpoints, edges, targets, entries."""
    return (
        [s.key for s in journey.stages],
        [(tp.key, tp.stage, tp.kind, tp.entry, dict(tp.targets), tp.owner is None) for tp in journey.touchpoints],
        journey.edges,
        [o.kind for o in journey.owners],
        [(p.key, dict(p.segment)) for p in journey.personas],  # a rule matches data values: never translated
        [(len(tp.lanes.pains), len(tp.lanes.opportunities), len(tp.lanes.backstage), len(tp.lanes.custom))
         for tp in journey.touchpoints],
        len(journey.lanes),
    )


def lane_words(journey) -> list[str]:
    """Every text of the journey map, in order: personas, free lanes, each touchpoint's lanes."""
    words = [p.name for p in journey.personas] + [p.description for p in journey.personas] + list(journey.lanes)
    for tp in journey.touchpoints:
        lanes = tp.lanes
        words += [lanes.does, lanes.thinks, lanes.feels, *lanes.pains, *lanes.opportunities]
        words += [s.text for s in lanes.backstage] + list(lanes.custom.values())
    return [w for w in words if w]


def test_the_demo_template_reads_in_czech_and_polish_with_the_same_keys():
    english = load_template("ecommerce-delivery")
    with i18n.language("cs"):
        czech = load_template("ecommerce-delivery")
    with i18n.language("pl"):
        polish = load_template("ecommerce-delivery")
    assert english.name == "E-commerce order & delivery"
    assert czech.name == "Objednávka a doručení v e-shopu" and polish.name == "Zamówienie i dostawa w e-sklepie"
    stage = {
        j: {s.key: s.name for s in journey.stages} for j, journey in (("en", english), ("cs", czech), ("pl", polish))
    }
    assert (stage["en"]["delivery"], stage["cs"]["delivery"], stage["pl"]["delivery"]) == (
        "Delivery",
        "Doručení",
        "Dostawa",
    )
    assert czech.touchpoint("payment").name == "Platba" and polish.touchpoint("payment").name == "Płatność"
    assert czech.touchpoint("payment").owner == "Platební brána"  # the owner as the owners list names it
    assert polish.touchpoint("parcel-locker").channel == "paczkomat"
    assert shape(czech) == shape(polish) == shape(english)


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("key", KEYS)
def test_every_template_is_translated_and_still_a_valid_journey(key, code):
    english = load_template(key)
    with i18n.language(code):
        translated = load_template(key)
        warnings = [w.code for w in jm.check(translated)]
    jm.validate(translated)
    assert shape(translated) == shape(english)
    assert translated.name != english.name and translated.description != english.description
    words = [(a.name, b.name) for a, b in zip(english.stages, translated.stages, strict=True)]
    words += [(a.name, b.name) for a, b in zip(english.touchpoints, translated.touchpoints, strict=True)]
    words += [(a.notes, b.notes) for a, b in zip(english.touchpoints, translated.touchpoints, strict=True) if a.notes]
    words += list(zip(lane_words(english), lane_words(translated), strict=True))
    untranslated = [source for source, text in words if source == text and not source.isupper()]  # 'NPS' stays
    assert not untranslated, untranslated
    assert all(set(tp.lanes.custom) <= set(translated.lanes) for tp in translated.touchpoints)
    backstage = {s.owner for tp in translated.touchpoints for s in tp.lanes.backstage if s.owner}
    english_owners = {o.name for o in english.owners}
    named = {s.owner for tp in english.touchpoints for s in tp.lanes.backstage if s.owner in english_owners}
    assert len(named) == 0 or backstage & {o.name for o in translated.owners}  # a journey owner, named alike
    owners = [o.name for o in translated.owners]
    assert len(set(owners)) == len(owners) and {tp.owner for tp in translated.touchpoints} <= set(owners)
    assert len({s.name.casefold() for s in translated.stages}) == len(translated.stages)  # rename_stage's rule
    assert warnings == [w.code for w in jm.check(english)]  # no two touchpoints named alike by the translation
    assert journeyfile.loads(journeyfile.dumps(translated)) == translated


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_template_list_is_in_the_language_with_the_same_keys(code):
    english = {t.key: t for t in list_templates()}
    with i18n.language(code):
        translated = {t.key: t for t in list_templates()}
        assert load_template("insurance-claim", translated=False) == load_template("insurance-claim", translated=False)
    assert set(translated) == set(english)
    for key, template in translated.items():
        assert template.name != english[key].name
        assert (template.touchpoints, template.stages) == (english[key].touchpoints, english[key].stages)


def test_the_files_stay_english_and_untranslated_loading_reads_them_as_written():
    with i18n.language("cs"):
        source = load_template("used-car-dealer", translated=False)
    assert source == journeyfile.load(templates_folder() / "used-car-dealer.yaml")
    assert source.name == "Used-car dealer"


def test_the_extractor_yields_every_word_a_loaded_template_holds():
    path = templates_folder() / "heat-pump-sales.yaml"
    found = list(catalogue.extract_template(io.BytesIO(path.read_bytes()), None, [], {}))
    texts = {messages[1] for _line, funcname, messages, _comments in found}
    assert all(
        funcname == "pgettext" and messages[0] == catalogue.TEMPLATE_CONTEXT
        for _line, funcname, messages, _comments in found
    )
    journey = journeyfile.load(path)
    expected = {
        journey.name,
        journey.description,
        *(s.name for s in journey.stages),
        *(o.name for o in journey.owners),
        *(tp.name for tp in journey.touchpoints),
        *(tp.notes for tp in journey.touchpoints if tp.notes),
        *(tp.channel for tp in journey.touchpoints if tp.channel),
    }
    assert texts == expected  # a folded description is one line, as loaded


def test_the_extractor_yields_the_words_of_a_journey_map():
    path = templates_folder() / "broadband-onboarding.yaml"
    found = list(catalogue.extract_template(io.BytesIO(path.read_bytes()), None, [], {}))
    texts = {messages[1] for _line, _funcname, messages, _comments in found}
    journey = journeyfile.load(path)
    assert set(lane_words(journey)) <= texts
    assert not {value for p in journey.personas for value in p.segment.values()} & texts - set(lane_words(journey))


def test_the_demo_seeded_in_czech_is_czech_and_found_again_in_english(tmp_path):
    from workbench.features.demo import DEMO_DATASETS, DEMO_PROJECT, demo_project_names, seed_demo
    from workbench.features.workspace import open_workspace

    workspace = open_workspace(tmp_path / "ws")
    try:
        with i18n.language("cs"):
            project_id = seed_demo(workspace, answers=20_000)
            datasets = dict(DEMO_DATASETS)
        [project] = workspace.projects()
        assert project.name == "Ukázkový projekt: Parcel Express" and project.name in demo_project_names()
        assert DEMO_PROJECT in demo_project_names()
        [journey] = workspace.journeys(project_id)
        assert journey.name == "Objednávka a doručení v e-shopu"
        assert {d.name for d in workspace.datasets.list(project_id)} == set(datasets.values())
        assert "Odpovědi z průzkumu" in datasets.values()
        titles = {a.title for a in workspace.actions.list(project_id)}
        assert "Kratší objednávkový formulář" in titles and "Vrácení peněz do 3 dnů" in titles
        assert {s.scenario.name for s in workspace.scenarios.list(project_id)} >= {"Koučink kurýrů, odchod zákazníků"}
        assert seed_demo(workspace, answers=20_000) == project_id  # in English it is the same demo: nothing added
        assert len(workspace.projects()) == 1
    finally:
        workspace.close()
