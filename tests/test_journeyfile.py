"""Journey YAML: lossless round trip (property test), templates, and errors that name the line."""

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.core import journeyfile
from workbench.core.journey import (
    KINDS,
    METRIC_RANGES,
    OWNER_KINDS,
    STATES,
    Edge,
    Journey,
    Lanes,
    Owner,
    Persona,
    Stage,
    Support,
    Touchpoint,
    validate,
)
from workbench.core.journeyfile import JourneyFileError
from workbench.data.templates import list_templates, load_template

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).filter(str.strip)
keys = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=8)
coordinates = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False))


optional = st.one_of(st.just(""), text)
lines = st.lists(text, max_size=3).map(tuple)


@st.composite
def lanes(draw, custom: list[str]) -> Lanes:
    """A touchpoint's lanes; ``custom``: the journey's free lanes it may fill."""
    return Lanes(
        does=draw(optional), thinks=draw(optional), feels=draw(optional), pains=draw(lines),
        opportunities=draw(lines), backstage=tuple(draw(st.lists(st.builds(Support, text, optional), max_size=2))),
        custom={name: draw(text) for name in draw(st.lists(st.sampled_from(custom), unique=True))} if custom else {},
    )


@st.composite
def journeys(draw) -> Journey:
    custom = draw(st.lists(text.filter(lambda v: v.strip().casefold() not in {"backstage", "pain points",
                                       "opportunities", "customer does", "customer thinks", "customer feels"}),
                           max_size=3, unique_by=str.casefold))
    personas = draw(st.lists(st.builds(Persona, keys, text, optional, st.dictionaries(text, text, max_size=2)),
                             max_size=3, unique_by=lambda p: p.key))
    stage_keys = draw(st.lists(keys, min_size=1, max_size=5, unique=True))
    owners = draw(st.lists(st.builds(Owner, text, st.sampled_from(OWNER_KINDS)), max_size=4, unique_by=lambda o: o.name))
    tp_keys = draw(st.lists(keys, max_size=8, unique=True))
    touchpoints = []
    for key in tp_keys:
        metrics = draw(st.lists(st.sampled_from(sorted(METRIC_RANGES)), max_size=2, unique=True))
        touchpoints.append(Touchpoint(
            key=key, name=draw(text), stage=draw(st.sampled_from(stage_keys)),
            channel=draw(st.one_of(st.just(""), text)),
            owner=draw(st.one_of(st.none(), st.sampled_from([o.name for o in owners]))) if owners else None,
            kind=draw(st.sampled_from(KINDS)), entry=draw(st.booleans()),
            targets={m: draw(st.floats(*METRIC_RANGES[m])) for m in metrics},
            x=draw(coordinates), y=draw(coordinates), notes=draw(st.one_of(st.just(""), st.text(max_size=80))),
            lanes=draw(lanes(custom)),
        ))
    pairs = draw(st.lists(st.tuples(st.sampled_from(tp_keys), st.sampled_from(tp_keys)).filter(lambda p: p[0] != p[1]),
                          max_size=10, unique=True)) if len(tp_keys) > 1 else []
    edges = [Edge(a, b, draw(st.one_of(st.none(), st.floats(0, 1))), draw(st.one_of(st.none(), st.floats(0, 1e12))))
             for a, b in pairs]
    return Journey(name=draw(text), description=draw(st.one_of(st.just(""), st.text(max_size=100))),
                   stages=tuple(Stage(k, draw(text)) for k in stage_keys), owners=tuple(owners),
                   touchpoints=tuple(touchpoints), edges=tuple(edges), personas=tuple(personas), lanes=tuple(custom),
                   state=draw(st.sampled_from(STATES)), based_on=draw(optional))


@settings(max_examples=200, deadline=None)
@given(journeys())
def test_yaml_and_json_round_trips_are_lossless(journey):
    validate(journey)
    assert journeyfile.loads(journeyfile.dumps(journey)) == journey
    assert journeyfile.from_json(journeyfile.to_json(journey)) == journey


def test_files_of_format_1_are_still_read():
    old = journeyfile.loads(GOOD)
    assert old.personas == () and old.lanes == () and old.state == ""
    assert all(tp.lanes == Lanes() for tp in old.touchpoints)
    assert journeyfile.dumps(old).startswith("format: 1\n")  # no map: still a file of format 1
    assert journeyfile.loads(journeyfile.dumps(old)) == old


def test_a_journey_map_reads_from_its_file():
    text = GOOD.replace("format: 1", "format: 2") + """\
personas:
  - {key: fleet, name: Fleet manager, description: Runs 40 vans, segment: {customer_type: business}}
lanes: [Systems]
state: to-be
based_on: Tiny today
"""
    text = text.replace(
        "  - {key: one, name: One, stage: a, owner: Team, kind: touchpoint}",
        "  - key: one\n    name: One\n    stage: a\n    owner: Team\n    lanes:\n      does: Calls us\n"
        "      feels: Worried\n      pains: [Long wait, Repeats the story]\n      opportunities: [Call-back]\n"
        "      backstage: [{text: Triage in CRM, owner: Team}]\n      custom: {Systems: CRM}\n",
    )
    journey = journeyfile.loads(text)
    one = journey.touchpoint("one")
    assert one.lanes == Lanes(does="Calls us", feels="Worried", pains=("Long wait", "Repeats the story"),
                              opportunities=("Call-back",), backstage=(Support("Triage in CRM", "Team"),),
                              custom={"Systems": "CRM"})
    assert journey.personas == (Persona("fleet", "Fleet manager", "Runs 40 vans", {"customer_type": "business"}),)
    assert (journey.lanes, journey.state, journey.based_on) == (("Systems",), "to-be", "Tiny today")


def test_templates_are_real_journeys():
    templates = list_templates()
    assert {t.key for t in templates} >= {"insurance-claim", "ecommerce-delivery", "used-car-dealer",
                                          "heat-pump-sales", "partner-installation", "retail-bank-account-opening",
                                          "broadband-onboarding", "utility-customer-move", "hospital-outpatient-visit"}
    for template in templates:
        journey = load_template(template.key)
        assert 10 <= len(journey.touchpoints) <= 30, template.key
        assert all(tp.owner for tp in journey.touchpoints), template.key
        assert any(tp.kind == "decision" for tp in journey.touchpoints), template.key
        assert journeyfile.loads(journeyfile.dumps(journey)) == journey
    mapped = ("ecommerce-delivery", "retail-bank-account-opening", "broadband-onboarding", "utility-customer-move",
              "hospital-outpatient-visit")
    for key in mapped:  # the journey-map templates: personas with a rule on the data, lanes filled
        journey = load_template(key)
        assert len(journey.personas) >= 2 and all(p.segment and p.description for p in journey.personas), key
        filled = [tp for tp in journey.touchpoints if not tp.lanes.empty()]
        assert 2 * len(filled) >= len(journey.touchpoints), key
        assert any(tp.lanes.pains and tp.lanes.opportunities and tp.lanes.backstage for tp in filled), key
        assert journey.lanes and any(tp.lanes.custom for tp in filled), key


GOOD = """\
format: 1
name: Tiny
stages:
  - {key: a, name: A}
owners:
  - {name: Team, kind: team}
touchpoints:
  - {key: one, name: One, stage: a, owner: Team, kind: touchpoint}
  - {key: two, name: Two, stage: a, owner: Team, kind: outcome}
edges:
  - {from: one, to: two}
"""


@pytest.mark.parametrize("broken, message", [
    (GOOD + "lanes: [Systems]\nstate: later\n", "The version state 'later' is not one of as-is, to-be."),
    (GOOD.replace("kind: outcome}", "kind: outcome, lanes: {hopes: x}}"), "line 9: unknown lane 'hopes'"),
    (GOOD.replace("kind: outcome}", "kind: outcome, lanes: {custom: {Systems: x}}}"),
     "Touchpoint 'two': the lane 'Systems' is not one of the journey's lanes."),
    (GOOD.replace("kind: outcome}", "kind: outcome, lanes: {pains: [' ']}}"), "a pain point or opportunity is empty"),
    (GOOD + "personas:\n  - {key: Big Firms, name: B}\n", "Persona key 'Big Firms' must be lowercase"),
    (GOOD + "personas:\n  - {key: b, name: B, segment: [x]}\n", "line 13: 'segment' must be a mapping"),
    (GOOD.replace("  - {key: a, name: A}", "  - {key: a, name: A"), "line 5, column 7: invalid YAML"),
    (GOOD.replace("stage: a, owner: Team, kind: outcome", "stage: zz, owner: Team, kind: outcome"),
     "line 9: touchpoint 'two' is in stage 'zz', which is not listed under stages"),
    (GOOD.replace("key: two, name: Two, stage: a, owner: Team", "key: two, name: Two, stage: a, owner: Boss"),
     "line 9: touchpoint 'two' has owner 'Boss', which is not listed under owners"),
    (GOOD.replace("key: two", "key: one"), "line 9: duplicate touchpoint key 'one'"),
    (GOOD.replace("{from: one, to: two}", "{from: one, to: three}"), "line 11: edge to 'three'"),
    (GOOD.replace("kind: outcome}", "kind: outcome, colour: red}"), "line 9: unknown touchpoint field 'colour'"),
    (GOOD.replace("name: Tiny", "name: Tiny\nname: Again"), "line 3: the key 'name' appears twice"),
    (GOOD.replace("format: 1", "format: 7"), "line 1: format 7 is not supported"),
    ("", "The file is empty."),
    ("- just\n- a list\n", "line 1: a journey file must be a mapping"),
])
def test_bad_files_name_the_line_and_the_problem(broken, message):
    with pytest.raises(JourneyFileError) as err:
        journeyfile.loads(broken)
    assert message in str(err.value)


def test_script_and_emoji_names_survive_as_text():
    journey = journeyfile.loads(GOOD.replace("name: One", "name: \"<script>alert(1)</script> 🚚\""))
    assert journey.touchpoint("one").name == "<script>alert(1)</script> 🚚"
