"""Quick add: a typed or pasted list of touchpoints (``Stage: Touchpoint; owner; channel`` or Excel's TAB columns)
becomes stages, touchpoints and connections, as one undoable edit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.core import quickadd
from workbench.core.journey import Journey, JourneyError, Stage, Touchpoint, auto_layout, move_touchpoints, validate
from workbench.core.quickadd import Row
from workbench.features import journeys as feature

WORKSHOP = """Awareness: Online ad; Marketing; web
Search result; Marketing; web

Consideration: Product page; E-commerce team; web
Reviews
Purchase: Checkout; E-commerce team; web
Payment; Payment provider
Delivery: Dispatch notice; CRM team; email
Courier delivery; Couriers; courier
"""


def pairs(journey: Journey) -> list[tuple[str, str]]:
    return [(e.source, e.target) for e in journey.edges]


# ---------------------------------------------------------------- parsing


def test_a_line_is_stage_touchpoint_owner_and_channel_and_a_stage_carries_on():
    rows = quickadd.parse(WORKSHOP)
    assert rows[:3] == [
        Row(1, "Awareness", "Online ad", "Marketing", "web"),
        Row(2, "Awareness", "Search result", "Marketing", "web"),
        Row(4, "Consideration", "Product page", "E-commerce team", "web"),  # line 3 is blank: skipped, still counted
    ]
    assert rows[3] == Row(5, "Consideration", "Reviews", None, "")
    assert rows[5] == Row(7, "Purchase", "Payment", "Payment provider", "")
    assert len(rows) == 8


def test_blanks_are_tidied_and_a_name_may_hold_a_colon():
    assert quickadd.parse("  Use :   Call  centre ;  ;  phone \n Use: Web: help") == [
        Row(1, "Use", "Call centre", None, "phone"),
        Row(2, "Use", "Web: help"),
    ]
    assert quickadd.parse(": No stage yet") == [Row(1, "", "No stage yet")]  # the journey's last stage, later


def test_excel_columns_pasted_with_crlf_line_ends():
    pasted = (
        "Nákup\tObjednávka přes e-shop\tJana Nováková\r\n"
        "\tPlatba kartou\t\t\r\n"  # a merged stage cell comes empty; trailing empty cells too
        'Doručení\t"Kurýr ""Expres"""\tKurýři\tcourier\r\n'
        "\r\n"
    )
    assert quickadd.parse(pasted) == [
        Row(1, "Nákup", "Objednávka přes e-shop", "Jana Nováková"),
        Row(2, "Nákup", "Platba kartou"),
        Row(3, "Doručení", 'Kurýr "Expres"', "Kurýři", "courier"),
    ]
    assert quickadd.parse("Zakup\tPłatność BLIK\rDostawa\tPaczkomat\r") == [
        Row(1, "Zakup", "Płatność BLIK"),
        Row(2, "Dostawa", "Paczkomat"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Use: \n", "Line 1: the touchpoint needs a name."),
        ("A: ok\nB: ;Owner\n", "Line 2: the touchpoint needs a name."),
        ("A: " + "x" * 201, "Line 1: the touchpoint's name is longer than 200 characters."),
        ("A" * 201 + ": x", "Line 1: the stage's name is longer than 200 characters."),
        ("A: x; " + "o" * 201, "Line 1: the owner's name is longer than 200 characters."),
        ("A: x; o; " + "c" * 101, "Line 1: the channel is longer than 100 characters."),
        ("A: x; o; c; d", "Line 1: more parts than “stage: touchpoint; owner; channel”."),
        ("A\tx\to\tc\td", "Line 1: more columns than stage, touchpoint, owner and channel."),
        ("\n".join(f"A: t{i}" for i in range(200)) + "\n\nA: one too many", "Line 202: a list adds at most 200"),
        ("x" * (quickadd.MAX_CHARS + 1), "The list is longer than 200"),
    ],
)
def test_a_wrong_line_is_named(text, message):
    with pytest.raises(JourneyError) as caught:
        quickadd.parse(text)
    assert message in str(caught.value)


def test_every_wrong_line_is_listed_at_once_up_to_ten():
    with pytest.raises(JourneyError) as caught:
        quickadd.parse("A: ok\nB: \nC: \n" + "D: \n" * 20)
    lines = str(caught.value).splitlines()
    assert lines[:2] == ["Line 2: the touchpoint needs a name.", "Line 3: the touchpoint needs a name."]
    assert len(lines) == 11 and lines[-1] == "… and 12 more problems."


def test_two_hundred_lines_are_fine():
    assert len(quickadd.parse("\n".join(f"A: t{i}" for i in range(200)))) == 200


# ---------------------------------------------------------------- applying


def test_an_empty_journey_gets_stages_touchpoints_and_connections_in_order():
    journey, summary = quickadd.apply(Journey("Workshop"), quickadd.parse(WORKSHOP))
    validate(journey)
    assert [s.name for s in journey.stages] == ["Awareness", "Consideration", "Purchase", "Delivery"]
    assert [t.name for t in journey.touchpoints] == [
        "Online ad",
        "Search result",
        "Product page",
        "Reviews",
        "Checkout",
        "Payment",
        "Dispatch notice",
        "Courier delivery",
    ]
    assert journey.touchpoint("payment").owner == "Payment provider"
    assert journey.touchpoint("courier-delivery").channel == "courier"
    assert {o.name for o in journey.owners} >= {"Marketing", "E-commerce team", "Couriers"}
    assert pairs(journey) == [
        ("online-ad", "search-result"),
        ("search-result", "product-page"),
        ("product-page", "reviews"),
        ("reviews", "checkout"),
        ("checkout", "payment"),
        ("payment", "dispatch-notice"),
        ("dispatch-notice", "courier-delivery"),
    ]
    assert summary == quickadd.Summary(touchpoints=8, stages=4, new_touchpoints=8, new_stages=4, connections=7)
    assert journey == auto_layout(journey)  # laid out like the Auto-layout button does


def test_without_connecting_no_edge_is_made():
    journey, summary = quickadd.apply(Journey("W"), quickadd.parse(WORKSHOP), connect=False)
    assert journey.edges == () and summary.connections == 0
    assert quickadd.describe(summary, connect=False) == "8 touchpoints in 4 stages, 4 new stages"


def test_the_preview_line_counts_what_is_new():
    journey, _summary = quickadd.apply(Journey("W"), quickadd.parse("Awareness: Ad\nConsideration: Page"))
    text = "\n".join(
        f"{stage}: {stage} step {i}" for stage in ("awareness", "Consideration", "Buy", "Use") for i in range(3)
    )
    _after, summary = quickadd.apply(journey, quickadd.parse(text))
    assert quickadd.describe(summary) == "12 touchpoints in 4 stages, 2 new stages, 11 connections"
    _after, summary = quickadd.apply(journey, quickadd.parse("Awareness: AD\nAwareness: New one"))
    assert quickadd.describe(summary) == "2 touchpoints in 1 stage, 1 of them already in the journey, 1 connection"


def test_stages_and_touchpoints_are_matched_by_name_and_reused():
    journey, _ = quickadd.apply(Journey("W"), quickadd.parse("Nákup: Objednávka; Web team\nNákup: Platba"))
    again, summary = quickadd.apply(
        journey, quickadd.parse("NÁKUP: objednávka;  web TEAM ; web\nnákup: Potvrzení\nnákup:  PLATBA ")
    )
    assert [s.name for s in again.stages] == ["Nákup"]
    assert [t.name for t in again.touchpoints] == ["Objednávka", "Platba", "Potvrzení"]
    assert again.touchpoint("objednavka").channel == "web"  # a channel it lacked is filled in …
    assert again.touchpoint("objednavka").owner == "Web team"  # … the owner as the journey spells it
    assert pairs(again) == [("objednavka", "platba"), ("objednavka", "potvrzeni"), ("potvrzeni", "platba")]
    assert summary.new_touchpoints == 1 and summary.new_stages == 0 and summary.connections == 2


def test_an_existing_owner_is_never_replaced():
    journey, _ = quickadd.apply(Journey("W"), quickadd.parse("A: Web; Web team"))
    again, summary = quickadd.apply(journey, quickadd.parse("A: Web; Couriers"))
    assert again.touchpoint("web").owner == "Web team" and again == journey
    assert (summary.new_touchpoints, summary.new_stages, summary.connections) == (0, 0, 0)


def test_a_touchpoint_listed_twice_is_one_and_makes_no_loop():
    journey, summary = quickadd.apply(Journey("W"), quickadd.parse("A: One\nA: Two\nA: one\nB: Three"))
    assert [t.key for t in journey.touchpoints] == ["one", "two", "three"]
    assert pairs(journey) == [("one", "two"), ("two", "three")] and summary.touchpoints == 3


def test_a_touchpoint_of_the_same_name_in_another_stage_is_another_one():
    journey, _ = quickadd.apply(Journey("W"), quickadd.parse("Buy: Call centre\nUse: Call centre"))
    assert [(t.key, t.stage) for t in journey.touchpoints] == [("call-centre", "buy"), ("call-centre-2", "use")]


def test_new_stages_go_where_the_list_puts_them():
    journey, _ = quickadd.apply(Journey("W"), quickadd.parse("Awareness: Ad\nPurchase: Checkout"))
    after, _ = quickadd.apply(journey, quickadd.parse("Need: Friend asks\nAwareness: Ad\nCompare: Prices\nPurchase: X"))
    assert [s.name for s in after.stages] == ["Need", "Awareness", "Compare", "Purchase"]
    after, _ = quickadd.apply(journey, quickadd.parse("Loyalty: Newsletter"))
    assert [s.name for s in after.stages] == ["Awareness", "Purchase", "Loyalty"]


def test_lines_without_a_stage_go_to_the_last_stage_or_are_refused():
    journey = Journey("W", stages=(Stage("a", "A"), Stage("b", "B")))
    after, _ = quickadd.apply(journey, quickadd.parse("Alpha\nBeta\nA: Gamma"))
    assert [(t.name, t.stage) for t in after.touchpoints] == [("Alpha", "b"), ("Beta", "b"), ("Gamma", "a")]
    assert pairs(after) == [("gamma", "alpha"), ("alpha", "beta")]  # A's chain leads on to B's
    with pytest.raises(JourneyError, match="^Line 2: say which stage the touchpoint is in"):
        quickadd.apply(Journey("W"), quickadd.parse("\nAlpha\nA: Beta"))


def test_a_map_arranged_by_hand_keeps_its_places_and_new_nodes_find_free_spots():
    journey, _ = quickadd.apply(Journey("W"), quickadd.parse(WORKSHOP))
    arranged = move_touchpoints(journey, {"reviews": (900.0, 700.0)})
    after, _ = quickadd.apply(arranged, quickadd.parse("Consideration: Comparison site\nLoyalty: Newsletter"))
    kept = {t.key: (t.x, t.y) for t in arranged.touchpoints}
    assert {t.key: (t.x, t.y) for t in after.touchpoints if t.key in kept} == kept
    spots = [(t.x, t.y) for t in after.touchpoints]
    assert len(set(spots)) == len(spots) and None not in {x for x, _y in spots}


def test_an_unarranged_map_is_laid_out_again_with_the_new_nodes():
    unplaced = Journey("W", stages=(Stage("a", "A"),), touchpoints=(Touchpoint("one", "One", "a"),))
    after, _ = quickadd.apply(unplaced, quickadd.parse("A: Two"))
    assert after == auto_layout(after)


# ---------------------------------------------------------------- properties

# Names as people type them in Czech and Polish workshops: the letters of cp1250 (Windows' Central European
# code page, in which Excel hands such sheets around), digits, spaces and a little punctuation.
LETTERS = st.characters(codec="cp1250", categories=("Lu", "Ll", "Nd")) | st.sampled_from(" -–.,()&/'!?")
NAMES = st.text(LETTERS, min_size=1, max_size=30).filter(lambda name: name.strip() and any(c.isalnum() for c in name))
LISTS = st.lists(
    st.tuples(st.sampled_from(["Fáze nákupu", "FÁZE NÁKUPU", "Doručení", "Płatność", "Dostawa"]), NAMES),
    min_size=1,
    max_size=25,
)


def typed(rows: list[tuple[str, str]]) -> str:
    return "\n".join(f"{stage}: {name}" for stage, name in rows)


def excel(rows: list[tuple[str, str]]) -> str:
    return "".join(f"{stage}\t{name}\r\n" for stage, name in rows)


@settings(max_examples=150)
@given(LISTS, st.booleans())
def test_every_listed_line_becomes_exactly_one_touchpoint(listed, connect):
    rows = quickadd.parse(typed(listed))
    assert [r.line for r in rows] == list(range(1, len(listed) + 1))
    journey, summary = quickadd.apply(Journey("Workshop"), rows, connect)
    validate(journey)
    stage_of = {quickadd.folded(s.name): s.key for s in journey.stages}
    for row in rows:
        found = [
            t
            for t in journey.touchpoints
            if t.stage == stage_of[quickadd.folded(row.stage)] and quickadd.folded(t.name) == quickadd.folded(row.name)
        ]
        assert len(found) == 1, row
    distinct = {(quickadd.folded(stage), quickadd.folded(name)) for stage, name in listed}
    assert len(journey.touchpoints) == summary.touchpoints == summary.new_touchpoints == len(distinct)
    assert len(journey.stages) == len({quickadd.folded(stage) for stage, _name in listed})
    assert summary.connections == (len(distinct) - 1 if connect else 0) == len(journey.edges)


@settings(max_examples=100)
@given(LISTS, LISTS)
def test_applying_a_list_again_duplicates_nothing(first, second):
    rows = quickadd.parse(typed(first + second))
    once, _ = quickadd.apply(Journey("Workshop"), quickadd.parse(typed(first)))
    once, _ = quickadd.apply(once, rows)
    twice, summary = quickadd.apply(once, rows)
    assert twice == once and (summary.new_touchpoints, summary.new_stages, summary.connections) == (0, 0, 0)


@settings(max_examples=100)
@given(LISTS)
def test_excel_columns_with_crlf_read_as_the_typed_lines(listed):
    assert quickadd.parse(excel(listed)) == quickadd.parse(typed(listed))


# ---------------------------------------------------------------- one undoable edit


@pytest.fixture
def empty_journey(workspace):
    return workspace.create_journey(workspace.create_project("Client"), Journey("Workshop"))


def test_a_paste_is_one_undo_step(workspace, empty_journey):
    version = workspace.journey(empty_journey).version
    label = feature.quick_add(workspace, empty_journey, version, WORKSHOP, connect=True)
    assert label == "Quick add: 8 touchpoints in 4 stages, 4 new stages, 7 connections"
    state = workspace.journey(empty_journey)
    assert len(state.journey.touchpoints) == 8 and state.undo_label == label
    undone = workspace.undo(empty_journey, state.version)
    assert undone.journey.touchpoints == () and undone.journey.stages == () and undone.undo_label is None


def test_a_paste_that_adds_nothing_saves_nothing(workspace, empty_journey):
    feature.quick_add(workspace, empty_journey, workspace.journey(empty_journey).version, WORKSHOP, True)
    version = workspace.journey(empty_journey).version
    assert feature.quick_add(workspace, empty_journey, version, WORKSHOP.upper(), True) == ""
    assert workspace.journey(empty_journey).version == version
    with pytest.raises(JourneyError, match="Type or paste the touchpoints first"):
        feature.quick_add(workspace, empty_journey, version, " \n ", True)


def test_a_paste_that_only_fills_in_an_owner_is_saved(workspace, empty_journey):
    feature.quick_add(workspace, empty_journey, workspace.journey(empty_journey).version, "Purchase: Checkout", True)
    version = workspace.journey(empty_journey).version
    assert feature.quick_add(workspace, empty_journey, version, "Purchase: Checkout; Ecom team; web", True) != ""
    checkout = workspace.journey(empty_journey).journey.touchpoint("checkout")
    assert (checkout.owner, checkout.channel) == ("Ecom team", "web")


def test_the_preview_says_what_and_what_it_connects():
    assert feature.quick_preview(Journey("W"), "", True) == ("", "")
    line, connections = feature.quick_preview(Journey("W"), "A: One\nTwo\nB: Three\nC: Four; x", True)
    assert line == "4 touchpoints in 3 stages, 3 new stages, 3 connections"
    assert connections == "One → Two → Three → Four"
    journey, _ = quickadd.apply(Journey("W"), quickadd.parse("A: One\nTwo"))
    assert feature.quick_preview(journey, "A: Zero\nA: One\nB: Three", True)[1] == "Zero → One → Three"
    journey, _ = quickadd.apply(Journey("W"), quickadd.parse("A: Y\nB: P"))  # Y → P is there already
    assert feature.quick_preview(journey, "A: X\nA: Y\nB: P\nB: Q", True)[1] == "X → Y; P → Q"
    assert feature.chains(journey, journey.edges * 30, most=5) == "Y → P; Y → P; …"
    journey, _ = quickadd.apply(Journey("W"), quickadd.parse("\n".join(f"A: T{i}" for i in range(50))))
    assert feature.chains(journey, journey.edges, most=4) == "T0 → T1 → T2 → T3 → …"
