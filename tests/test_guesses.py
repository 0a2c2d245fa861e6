"""Column guesses: the airline-style wide file of issue 18 (ratings 0–5 with 0 = not applicable, touchpoint names
close but not identical), a long Czech file, the real exports in tests/data, and suspicious distributions."""

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.analysis import guesses
from workbench.analysis.guesses import Proposal
from workbench.core.contract import OVERALL

DATA = Path(__file__).parent / "data"
RATINGS = ("Inflight wifi service", "Departure/Arrival time convenient", "Ease of Online booking", "Gate location",
           "Food and drink", "Online boarding", "Seat comfort", "Inflight entertainment", "On-board service",
           "Leg room service", "Baggage handling", "Checkin service", "Inflight service", "Cleanliness")
JOURNEY = {"wifi": "Wi-fi", "booking": "Online booking", "checkin": "Check-in", "gate": "Gate", "boarding": "Boarding",
           "seat": "Seat comfort", "legroom": "Legroom", "food": "Food & drink", "entertainment": "Entertainment",
           "onboard": "Onboard service", "onboard-wifi": "Onboard wifi", "baggage": "Baggage",
           "clean": "Cleanliness", "lounge": "Lounge"}
EXPECTED = {"Inflight wifi service": "wifi", "Ease of Online booking": "booking", "Gate location": "gate",
            "Food and drink": "food", "Online boarding": "boarding", "Seat comfort": "seat",
            "Inflight entertainment": "entertainment", "On-board service": "onboard", "Leg room service": "legroom",
            "Baggage handling": "baggage", "Checkin service": "checkin", "Cleanliness": "clean"}


def airline(rows: int = 600, text: bool = True) -> pa.Table:
    """The Kaggle airline-satisfaction layout: one row per passenger, ratings 0–5 where 0 (about 3 %) is N/A."""
    rng = np.random.default_rng(18)

    def column(values):
        return pa.array([None if v is None else str(v) for v in values]) if text else pa.array(values)

    data = {"id": column(rng.permutation(np.arange(1, 130_000))[:rows].tolist()),
            "Gender": column(rng.choice(["Female", "Male"], rows).tolist()),
            "Customer Type": column(rng.choice(["Loyal Customer", "disloyal Customer"], rows).tolist()),
            "Age": column(rng.integers(7, 86, rows).tolist()),
            "Type of Travel": column(rng.choice(["Business travel", "Personal Travel"], rows).tolist()),
            "Class": column(rng.choice(["Eco", "Eco Plus", "Business"], rows).tolist()),
            "Flight Distance": column(rng.integers(31, 4984, rows).tolist())}
    for name in RATINGS:
        values = rng.integers(1, 6, rows)
        values[rng.random(rows) < 0.03] = 0
        data[name] = column(values.tolist())
    delays = rng.exponential(15, rows).astype(int) * (rng.random(rows) < 0.5)
    data["Departure Delay in Minutes"] = column(delays.tolist())
    data["Arrival Delay in Minutes"] = column([None if i % 300 == 7 else int(d) + 1 for i, d in enumerate(delays)])
    data["satisfaction"] = column(rng.choice(["neutral or dissatisfied", "satisfied"], rows, p=[0.57, 0.43]).tolist())
    return pa.table(data)


def touchpoints_of(proposal: Proposal) -> dict[str, str]:
    return {s.column: s.touchpoint for s in proposal.scores if s.touchpoint not in (None, OVERALL)}


@pytest.mark.parametrize("text", [True, False], ids=["csv-text", "typed"])
def test_airline_wide_file(text):
    proposal = guesses.propose(airline(text=text), JOURNEY)
    assert proposal.shape.kind == "wide"
    # "Departure/Arrival time convenient" is a rating whose name says time: no column reads as dates.
    assert proposal.date is None and any("wave" in w for w in proposal.warnings)
    assert proposal.score("Departure/Arrival time convenient").scale == (1, 5)
    assert proposal.respondent_id.column == "id" and proposal.response_id is None

    seat = proposal.score("Seat comfort")
    assert (seat.metric, seat.scale, seat.na_codes, seat.guess) == ("csat", (1, 5), ("0",), True)
    assert "probably “not applicable”" in seat.reason and " % of answers" in seat.reason

    assert touchpoints_of(proposal) == EXPECTED
    assert proposal.score("Inflight service").touchpoint is None
    assert proposal.missing_touchpoints == ("onboard-wifi", "lounge") and proposal.conflicts == {}

    outcome = proposal.score("satisfaction")
    assert proposal.outcome == "satisfaction" and outcome.touchpoint == OVERALL and outcome.binary
    assert (outcome.metric, outcome.scale, outcome.positive) == ("rating", (0, 1), "satisfied")
    assert dict(outcome.value_labels) == {"neutral or dissatisfied": 0, "satisfied": 1}

    skipped = {g.column: g.reason for g in proposal.skipped}
    for column in ("Age", "Flight Distance", "Departure Delay in Minutes", "Arrival Delay in Minutes"):
        assert proposal.score(column) is None and "not on a rating scale" in skipped[column]
    assert [g.column for g in proposal.segments] == ["Gender", "Customer Type", "Type of Travel", "Class"]
    assert not [w for w in proposal.warnings if "wave" not in w]
    assert Proposal.from_dict(proposal.to_dict()) == proposal


def test_a_closer_column_keeps_its_touchpoint():
    table = airline().select(["id", "Seat comfort", "On-board service"])
    wifi = table.append_column("Onboard wifi service", table["Seat comfort"])
    proposal = guesses.propose(wifi, {"onboard": "Onboard service", "seat": "Seat comfort"})
    assert touchpoints_of(proposal) == {"Seat comfort": "seat", "On-board service": "onboard"}
    assert "“On-board service” fits it more closely" in proposal.score("Onboard wifi service").match_reason
    # With a touchpoint of its own, the wifi column takes it.
    proposal = guesses.propose(wifi, {"onboard": "Onboard service", "onboard-wifi": "Onboard wifi"})
    assert touchpoints_of(proposal) == {"On-board service": "onboard", "Onboard wifi service": "onboard-wifi"}


def test_columns_forced_onto_one_touchpoint_are_conflicts():
    fixed = {"Inflight service": "onboard", "On-board service": "onboard"}
    proposal = guesses.propose(airline(), JOURNEY, fixed=fixed)
    assert proposal.conflicts == {"onboard": ("Inflight service", "On-board service")}
    assert any("“Inflight service”, “On-board service” are all mapped to “Onboard service”" in w
               for w in proposal.warnings)
    assert not proposal.score("On-board service").guess
    assert touchpoints_of(proposal) == {**EXPECTED, **fixed}
    assert guesses.conflicts({"a": "x", "b": "y", "c": "x", "d": None}) == {"x": ("a", "c")}
    # The outcome chosen by hand is the outcome; nothing else is guessed as one.
    chosen = guesses.propose(airline(), JOURNEY, fixed={"Cleanliness": OVERALL})
    assert chosen.outcome == "Cleanliness" and chosen.score("satisfaction") is None


def test_a_real_date_beside_a_time_rating_and_question_texts():
    table = airline(rows=100).select(["id", "Departure/Arrival time convenient", "satisfaction"])
    table = table.append_column("Q5_1", table["Departure/Arrival time convenient"])
    table = table.append_column("Submitted", pa.array([f"2026-03-{1 + i % 28:02d}T10:{i % 60:02d}:00Z"
                                                       for i in range(100)]))
    proposal = guesses.propose(table, {"checkin": "Check-in", "time": "Departure time"},
                               {"Q5_1": "How satisfied were you with each part of your trip? - Check-in"})
    assert proposal.date.column == "Submitted" and proposal.date.format
    # Matched by its question's last part; the rating named "…time…" rates the touchpoint whose words it has.
    assert touchpoints_of(proposal) == {"Q5_1": "checkin", "Departure/Arrival time convenient": "time"}


def test_long_czech_file():
    rng = np.random.default_rng(5)
    rows = 300
    table = pa.table({
        "Datum": [f"{1 + i % 28:02d}.0{1 + i % 9}.2024 10:15" for i in range(rows)],
        "Kontaktní bod": rng.choice(["Web", "Kurýr", "Výdejní místo", "Celkově", "Vrácení zboží", "Podpora"],
                                    rows).tolist(),
        "NPS": [str(v) for v in rng.integers(0, 11, rows)],
        "Spokojenost": [str(v) for v in rng.integers(1, 6, rows)],
        "Komentář": [" ".join(rng.choice(["kurýr", "přišel", "pozdě", "super"], 5)) for _ in range(rows)],
        "Pobočka": rng.choice(["Brno", "Praha", "Ostrava"], rows).tolist(),
        "ID odpovědi": [f"R{i}" for i in range(rows)]})
    journey = {"web": "Web", "courier": "Kurýr", "support": "Zákaznická podpora", "pickup": "Výdejní místa",
               "returns": "Vrácení"}
    proposal = guesses.propose(table, journey)
    assert proposal.shape.kind == "long" and proposal.touchpoint.column == "Kontaktní bod"
    assert dict(proposal.touchpoint_values) == {"Web": "web", "Kurýr": "courier", "Výdejní místo": "pickup",
                                                "Celkově": OVERALL, "Vrácení zboží": "returns", "Podpora": None}
    assert (proposal.date.column, proposal.date.format) == ("Datum", "%d.%m.%Y %H:%M")
    assert proposal.response_id.column == "ID odpovědi" and proposal.respondent_id is None
    assert {s.column: (s.metric, s.touchpoint) for s in proposal.scores} == {"NPS": ("nps", None),
                                                                              "Spokojenost": ("csat", None)}
    assert proposal.comment.column == "Komentář" and [g.column for g in proposal.segments] == ["Pobočka"]
    assert proposal.missing_touchpoints == ("support",)


def test_ratings_given_as_words_and_codes():
    rows = 60
    words = ["Velmi nespokojen", "Nespokojen", "Ani spokojen, ani nespokojen", "Spokojen", "Velmi spokojen", "Nevím"]
    table = pa.table({"Check-in": [words[i % 6] for i in range(rows)],
                      "Boarding": [["1 - Very poor", "2", "3", "4", "5 - Excellent", "Don't know"][i % 6]
                                   for i in range(rows)],
                      "Likelihood to recommend": [str(i % 11) for i in range(rows)],
                      "Ease": [str(1 + i % 7) for i in range(rows)],
                      "Effort": [str(1 + i % 7) for i in range(rows)]})
    proposal = guesses.propose(table, {"checkin": "Check-in", "boarding": "Boarding"})
    checkin = proposal.score("Check-in")
    assert (checkin.metric, checkin.label_set, checkin.touchpoint) == ("csat", "satisfaction-5", "checkin")
    assert checkin.value_labels["Velmi spokojen"] == 5 and checkin.value_labels["Nevím"] is None
    boarding = proposal.score("Boarding")
    assert (boarding.metric, boarding.scale, boarding.touchpoint) == ("csat", (1, 5), "boarding")
    assert dict(boarding.value_labels) == {"1 - Very poor": 1, "5 - Excellent": 5, "Don't know": None}
    assert proposal.outcome == "Likelihood to recommend"
    assert (proposal.score("Likelihood to recommend").metric, proposal.score("Effort").metric,
            proposal.score("Ease").metric) == ("nps", "ces", "rating")


def read_export(name: str, skip: tuple[int, ...] = (), encoding: str = "utf-8", questions: int | None = None
                ) -> tuple[pa.Table, dict[str, str]]:
    """A CSV export as text columns with the csv module, dropping file rows ``skip`` (1 is the header); question
    texts from row ``questions`` or, under a blank header cell, the question before it (SurveyMonkey)."""
    with (DATA / name).open(encoding=encoding, errors="replace", newline="") as handle:
        rows = list(csv.reader(handle))
    names, descriptions, question = [], {}, ""
    for i, header in enumerate(rows[0]):
        names.append(header.strip() or f"column {i + 1}")
        question = header.strip() or question
        if not header.strip() and question:
            descriptions[names[-1]] = question
    if questions:
        descriptions.update(zip(names, rows[questions - 1]))
    body = [row for number, row in enumerate(rows[1:], start=2) if number not in skip and any(row)]
    table = pa.table({n: pa.array([(row[i] if i < len(row) else "") or None for row in body], pa.string())
                      for i, n in enumerate(names)})
    return table, descriptions


def test_google_forms_timestamp_is_the_date():
    proposal = guesses.propose(read_export("googleforms_cs50_favorites.csv")[0], {"web": "Web"})
    assert (proposal.date.column, proposal.date.format) == ("Timestamp", "%m/%d/%Y %H:%M:%S")
    assert proposal.scores == () and proposal.comment is None and proposal.segments == ()


def test_surveymonkey_star_wars():
    table, questions = read_export("fivethirtyeight_StarWars.csv", skip=(2,), encoding="cp1252")
    proposal = guesses.propose(table, {"web": "Web"}, questions)
    assert proposal.date is None and proposal.respondent_id.column == "RespondentID"
    assert proposal.scores == () and proposal.outcome is None
    skipped = {g.column: g.reason for g in proposal.skipped}
    assert "rank" in skipped["column 11"]  # films ranked 1–6: codes, not a rating
    segments = [g.column for g in proposal.segments]
    assert {"Gender", "Age", "Education", "Household Income", "Location (Census Region)"} <= set(segments)


@pytest.mark.parametrize("name, date, respondent, comment", [
    ("qualtRics_sample.csv", "RecordedDate", None, "Q2"),
    ("qualtricstools_Better_Sample_Survey.csv", "EndDate", "ResponseID", "q5_position"),
    ("qualtricstools_Single_Answer_Matrix_Questions__Insights_.csv", "EndDate", "ResponseID",
     "matrix_question_five_question_two_TEXT"),
    ("qualtricstools_Test_Survey_for_Coded_Comments.csv", "EndDate", "ResponseID", "Q2"),
])
def test_qualtrics_exports(name, date, respondent, comment):
    table, questions = read_export(name, skip=(2, 3), questions=2)
    proposal = guesses.propose(table, {"web": "Web"}, questions)
    assert proposal.date.column == date and proposal.date.format
    assert (proposal.respondent_id.column if proposal.respondent_id else None) == respondent
    assert proposal.comment.column == comment
    used = {s.column for s in proposal.scores} | {g.column for g in proposal.segments}
    assert not used & {"Status", "Finished", "Progress", "LocationLatitude", "ResponseSet", "StartDate"}
    for score in proposal.scores:  # Q4's recoded 10–13 and Q10's -1 are no rating scale
        assert 0 <= score.scale[0] < score.scale[1] <= 10


def test_suspicious_distributions_name_the_column():
    binary = [0, 1] * 40
    found = guesses.suspicious(binary, "nps", None, "Recommend")
    assert len(found) == 1 and "“Recommend” holds only 0 and 1" in found[0] and "detractor" in found[0]
    assert "lower half" in guesses.suspicious([1, 2, 3, 4, 5] * 10, "rating", (0, 10), "Q7")[0]
    assert "at the top" in guesses.suspicious([9, 10] * 10 + [8] * 5, "nps", None, "NPS")[0]
    outside = guesses.suspicious(["0", "3", "4", "9", None, "n/a"], "csat", None, "Q1")
    assert outside == ["“Q1”: 2 answer(s) outside CSAT 1–5 (e.g. 0, 9)."]
    assert guesses.suspicious(list(range(11)) * 5, "nps", None, "NPS") == []
    assert guesses.suspicious([0, 1] * 30, "rating", (0, 1), "Churned") == []


@given(st.dictionaries(st.text(max_size=12), st.lists(st.one_of(st.none(), st.text(max_size=20),
                                                               st.sampled_from(["0", "5", "10", "Yes", "N/A",
                                                                                "2024-01-02", "1 - Poor"])),
                                                     min_size=3, max_size=3), max_size=6),
       st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=15), max_size=4))
def test_any_text_table_gives_a_proposal(columns, touchpoints):
    proposal = guesses.propose(pa.table({n: pa.array(v, pa.string()) for n, v in columns.items()}), touchpoints)
    assert Proposal.from_dict(proposal.to_dict()) == proposal
    assert set(touchpoints_of(proposal).values()) <= set(touchpoints)


WORDS = st.sampled_from(["online", "booking", "check-in", "checkin", "seat", "service", "onboard", "on-board", "wifi",
                         "leg", "room", "legroom", "food", "&", "drink", "gate"])


@given(st.lists(st.lists(WORDS, min_size=1, max_size=4).map(" ".join), max_size=12, unique=True),
       st.lists(st.lists(WORDS, min_size=1, max_size=3).map(" ".join), max_size=8, unique=True))
def test_matching_is_one_to_one(names, touchpoint_names):
    touchpoints = {f"tp{i}": name for i, name in enumerate(touchpoint_names)}
    matched = [key for key in guesses.match_touchpoints(names, touchpoints).values() if key]
    assert len(matched) == len(set(matched))


def test_spss_codes_labelled_dont_know_and_codes_running_backwards():
    table = pa.table({"Q1": pa.array([1.0, 2, 3, 4, 5, 6, 5, 4] * 5), "Q2": pa.array([1.0, 2, 3, 4, 5] * 8),
                      "Q3": pa.array([1.0, 2, 3, 4, 5] * 8)})
    spss = {"Q1": {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neutral", 4: "Satisfied", 5: "Very satisfied",
                   6: "Don't know"},
            "Q2": {1.0: "Very satisfied", 5.0: "Very dissatisfied"}}
    proposal = guesses.propose(table, {"lounge": "Lounge"}, {"Q3": "How satisfied were you with the parking?"},
                               value_labels=spss)
    q1 = proposal.score("Q1")
    assert (q1.metric, q1.scale, q1.na_codes, q1.label_set) == ("csat", (1, 5), ("6",), "satisfaction-5")
    assert [w for w in proposal.warnings if "best to worst" in w] == [
        "“Q2”: its codes run from best to worst (1 = “Very satisfied”, 5 = “Very dissatisfied”): reverse "
        "them before the import, or scores read backwards."]
    # Any question may ask how satisfied: a long one rating no touchpoint is not the outcome.
    assert proposal.outcome is None
