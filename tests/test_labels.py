"""Value labels: answers written as words in English, Czech and Polish proposed as numbers, not-applicable as None."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.data import labels


def numbers(values):
    proposal = labels.propose_values(values)
    assert proposal is not None, values
    return proposal.name, dict(proposal.values)


def test_satisfaction_in_three_languages_with_gender_forms_and_not_applicable():
    assert numbers(["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied", "Don't know"]) == (
        "satisfaction-5", {"Very dissatisfied": 1, "Dissatisfied": 2, "Neutral": 3, "Satisfied": 4,
                           "Very satisfied": 5, "Don't know": None})
    assert numbers(["Velmi nespokojen(a)", "Spíše nespokojená", "Ani spokojen, ani nespokojen", "Spokojený",
                    "Velmi spokojená", "Nevím"])[1] == {
        "Velmi nespokojen(a)": 1, "Spíše nespokojená": 2, "Ani spokojen, ani nespokojen": 3, "Spokojený": 4,
        "Velmi spokojená": 5, "Nevím": None}
    assert numbers(["Zdecydowanie niezadowolony", "Raczej niezadowolona", "Zadowolona", "Bardzo zadowolony",
                    "Nie dotyczy"])[1] == {"Zdecydowanie niezadowolony": 1, "Raczej niezadowolona": 2,
                                           "Zadowolona": 4, "Bardzo zadowolony": 5, "Nie dotyczy": None}


def test_quality_agreement_and_likelihood_sets():
    assert numbers(["Velmi špatné", "Špatné", "Průměrné", "Dobré", "Výborné"]) == (
        "quality-5", {"Velmi špatné": 1, "Špatné": 2, "Průměrné": 3, "Dobré": 4, "Výborné": 5})
    assert numbers(["Bardzo źle", "Źle", "Przeciętnie", "Dobrze", "Bardzo dobrze"])[0] == "quality-5"
    assert numbers(["Very poor", "Poor", "Fair", "Good", "Excellent"])[1]["Excellent"] == 5
    # "Poor … Excellent" with "Very good" fourth is another set: each answer on its own point.
    assert numbers(["Poor", "Fair", "Good", "Very good", "Excellent"]) == (
        "quality-5b", {"Poor": 1, "Fair": 2, "Good": 3, "Very good": 4, "Excellent": 5})
    # Polish word order differs between wordings of one point.
    assert numbers(["Zdecydowanie się zgadzam", "Raczej się zgadzam", "Nie zgadzam się",
                    "Zdecydowanie nie zgadzam się"])[1] == {
        "Zdecydowanie się zgadzam": 5, "Raczej się zgadzam": 4, "Nie zgadzam się": 2,
        "Zdecydowanie nie zgadzam się": 1}
    assert numbers(["Not at all likely", "Unlikely", "Likely", "Very likely"])[0] == "likelihood-5"
    assert numbers(["Rozhodně ano", "Spíše ano", "Spíše ne", "Rozhodně ne"]) == (
        "certainty-4", {"Rozhodně ano": 4, "Spíše ano": 3, "Spíše ne": 2, "Rozhodně ne": 1})


def test_codes_written_with_their_labels():
    assert numbers(["1 - Very dissatisfied", "2 - Dissatisfied", "3 - Neutral", "4 - Satisfied",
                    "5 - Very satisfied"])[1]["5 - Very satisfied"] == 5
    assert numbers(["Strongly agree (5)", "Agree (4)", "Disagree (2)"])[1]["Agree (4)"] == 4


def test_yes_no_sets_say_which_answer_is_yes():
    airline = labels.propose_values(["neutral or dissatisfied", "satisfied"])
    assert (airline.name, airline.binary, airline.positive, airline.scale) == ("satisfied", True, "satisfied", (0, 1))
    assert dict(airline.values) == {"neutral or dissatisfied": 0, "satisfied": 1}
    assert "“satisfied” = 1" in airline.reason
    # Two points of the five-point set would fit as well; the yes/no leaves no point unseen.
    assert labels.propose_values(["satisfied", "dissatisfied"]).name == "satisfied"
    for yes, no in (("Yes", "No"), ("Ano", "Ne"), ("Tak", "Nie"), ("TRUE", "false"), ("Y", "N")):
        proposal = labels.propose_values([no, yes, "N/A"])
        assert proposal.positive == yes and dict(proposal.values) == {no: 0, yes: 1, "N/A": None}


def test_unmatched_answers_are_listed_and_unknown_columns_give_none():
    proposal = labels.propose_values(["Very satisfied", "Satisfied", "Dissatisfied", "Meh"])
    assert proposal.name == "satisfaction-5" and proposal.unmatched == ("Meh",) and "Meh" not in proposal.values
    assert labels.propose_values(["Male", "Female"]) is None
    assert labels.propose_values(["Brno", "Praha", "Yes"]) is None  # one label of three is not most
    assert labels.propose_values(["Nevím", "N/A"]) is None
    assert labels.propose_values(["1", "2", "3"]) is None
    assert labels.propose_values([]) is None


@pytest.mark.parametrize("word", ["N/A", "Not applicable", "Don't know", "Nevím", "Nie wiem", "Neaplikovatelné",
                                  "Nie dotyczy", "Prefer not to say", "netýká se", "Trudno powiedzieć"])
def test_not_applicable_words(word):
    assert labels.is_not_applicable(word)


def test_spss_value_labels_as_label_numbers():
    assert labels.from_spss({1.0: "Very dissatisfied", 5.0: "Very satisfied", 9.0: "Don't know"}) == {
        "Very dissatisfied": 1.0, "Very satisfied": 5.0, "Don't know": None}


@given(st.lists(st.text(max_size=30), max_size=80))
def test_any_answers_give_a_proposal_or_none(values):
    proposal = labels.propose_values(values)
    if proposal is not None:
        assert set(proposal.values) <= set(values)
        assert all(v is None or proposal.scale[0] <= v <= proposal.scale[1] for v in proposal.values.values())
        assert proposal.to_dict()["name"] == proposal.name
