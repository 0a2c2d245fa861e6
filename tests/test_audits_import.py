"""Mystery shopping end to end without a browser: import → stored audit dataset → compliance views, the heatmap's
second layer, the link with a survey's branch scores; a refused import leaves the workspace as it was; a scoped
member reads their branch's audits only."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from tests.test_datasets import snapshot
from workbench.analysis import compliance
from workbench.core import access
from workbench.core.errors import IngestError, WorkspaceError
from workbench.data import audits as reader
from workbench.data.templates import load_template
from workbench.features import audits, selection
from workbench.features import heatmap as heatmap_features
from workbench.repos.datasets import KINDS, SAMPLE_FOLDER

CZECH = SAMPLE_FOLDER / "mystery-shopping-cs-cp1250.csv"
ENGLISH = SAMPLE_FOLDER / "mystery-shopping-en.xlsx"
MAPPING = {"Výdejní místo": "pickup-point", "Zákaznická linka": "support-contact", "Vrácení zboží": "return-request"}
# Each branch's customers' mean CSAT in the synthetic survey (40 answers a branch over the audits' months).
MEANS = {"Praha-Smíchov": 4.4, "Praha-Karlín": 4.0, "Kladno": 3.9, "Ostrava-Poruba": 3.5, "Brno-Líšeň": 3.6}


@pytest.fixture
def project(workspace):
    project_id = workspace.create_project("Mystery shopping")
    journey_id = workspace.create_journey(project_id, load_template("ecommerce-delivery"))
    return workspace, project_id, journey_id


def survey(workspace, project_id, journey_id):
    """A small survey whose branch means are :data:`MEANS` exactly (5s and 3s: 3 + 2 · share of 5s)."""
    rows = []
    for b, (branch, mean) in enumerate(MEANS.items()):
        for i in range(40):
            touchpoint = ("pickup-point", "support-contact", "return-request")[i % 3]
            answer = 5 if i < round((mean - 3) / 2 * 40) else 3
            rows.append((f"r{b}-{i}", dt.datetime(2026, 6 + i % 6, 10), touchpoint, answer, branch))
    table = pa.table({
        "response_id": pa.array([r[0] for r in rows]), "respondent_id": pa.array([r[0] for r in rows]),
        "ts": pa.array([r[1] for r in rows], pa.timestamp("s")), "touchpoint": pa.array([r[2] for r in rows]),
        "csat": pa.array([r[3] for r in rows], pa.int8()), "comment": pa.nulls(len(rows), pa.string()),
        "branch": pa.array([r[4] for r in rows]),
    })
    return workspace.datasets.add_table(project_id, table, "Survey", "survey", journey_id=journey_id)


def test_an_uploaded_czech_export_becomes_an_audit_dataset_with_its_report(project):
    workspace, project_id, journey_id = project
    info = audits.import_audits(workspace, project_id, journey_id, (CZECH.read_bytes(), CZECH.name), MAPPING)
    assert (info.kind, info.name, info.journey_id, info.source) == ("audit", "Mystery shopping", journey_id, CZECH.name)
    assert KINDS[info.kind] == "Mystery-shopping audits"
    assert (info.meta["visits"], info.meta["items"], len(info.meta["branches"])) == (40, 19, 5)
    assert (info.meta["date_from"][:10], info.meta["date_to"][:10]) == ("2026-06-02", "2026-11-27")
    assert info.meta["import"]["not_applicable"] == 25 and info.report.answers == 735
    assert audits.import_summary(info)[:2] == ["40 visits, 735 checklist items kept from 760 rows (a file with a row per item).",
                                               "25 items not applicable or not rated: left out."]
    assert not list((workspace.folder / "tmp" / "uploads").glob("*/*"))  # the upload is not kept
    # Surveys are listed without it: the filter bar, the heatmap, alerts and drivers never pick an audit.
    survey(workspace, project_id, journey_id)
    choices, chosen = selection.survey_choices(workspace, project_id, journey_id)
    assert [c.label for c in choices] == ["Survey · v1 (latest)"]
    assert workspace.datasets.survey_for(project_id, journey_id).name == "Survey"
    again = audits.import_audits(workspace, project_id, journey_id, ENGLISH, {"Returns": "return-request"})
    assert (again.name, again.version, again.meta["import"]["shape"]) == ("Mystery shopping", 2, "wide")


def test_the_views_show_compliance_tables_and_the_branch_whose_compliance_fell(project):
    workspace, project_id, journey_id = project
    info = audits.import_audits(workspace, project_id, journey_id, CZECH, MAPPING)
    shown = audits.view(workspace, info.id)
    assert [row.name for row in shown.tables["touchpoint"]] == ["Return request", "Pick-up point collection",
                                                                "Support chat or call"]
    hand = compliance.by(compliance.frame(reader.read(CZECH, audits.touchpoints(workspace, journey_id),
                                                      MAPPING).table), "branch")
    assert [row.value for row in shown.tables["branch"]] == pytest.approx(hand["share"].tolist())
    first = shown.tables["branch"][0]
    assert (first.name, first.share, first.interval, first.visits, first.low_n) == (
        "Brno-Líšeň", "71\xa0%", "57\xa0% – 82\xa0%", "10", True)
    assert len(shown.tables["item"]) == 19 and len(shown.tables["section"]) == 4
    assert [f.branch for f in shown.falling][0] == "Brno-Líšeň"  # the sample's planted fall (86 % → 57 %)
    assert shown.falling[0].change.startswith("−28")
    assert audits.audit_choices(workspace, project_id)[0].value == info.id


def test_branch_compliance_against_the_branch_customers_score(project):
    workspace, project_id, journey_id = project
    info = audits.import_audits(workspace, project_id, journey_id, CZECH, MAPPING)
    answers = survey(workspace, project_id, journey_id)
    surveys, metric_choices = audits.survey_choices(workspace, project_id)
    assert [c.value for c in surveys] == [answers.id] and [c.value for c in metric_choices] == ["csat"]
    link = audits.branch_link(workspace, info.id, answers.id, "csat")
    branches = compliance.by(compliance.frame(reader.stored(info.path)), "branch").set_index("branch")
    x = [branches.loc[b, "share"] for b in MEANS]
    r = float(np.corrcoef(x, list(MEANS.values()))[0, 1])
    assert link.correlation.branches == 5 and link.correlation.r == pytest.approx(r)
    assert link.points.set_index("branch")["score"].to_dict() == pytest.approx(MEANS)
    assert "Across 5 branches" in link.text and "not say that one causes the other" in link.text
    with pytest.raises(ValueError, match="no nps answers"):
        audits.branch_link(workspace, info.id, answers.id, "nps")


def test_the_heatmaps_second_layer_puts_compliance_under_each_audited_touchpoints_score(project):
    workspace, project_id, journey_id = project
    answers = survey(workspace, project_id, journey_id)
    picked = selection.resolve(workspace, {"project": project_id, "journey": journey_id, "dataset": answers.id,
                                           "metric": "csat", "from": "2026-06-01", "to": "2026-11-30",
                                           "segments": []})
    assert not audits.has_audits(workspace, project_id)
    assert audits.layer(workspace, project_id, journey_id) == {}
    audits.import_audits(workspace, project_id, journey_id, CZECH, MAPPING)
    assert audits.has_audits(workspace, project_id)
    layer = audits.layer(workspace, project_id, journey_id, dt.date(2026, 6, 1), dt.date(2026, 11, 30))
    drawn = heatmap_features.journey_map(workspace, picked, second_layer=True)
    assert f"✓ audits {layer['pickup-point'].text}" in drawn.nodes["pickup-point"]["label"]
    assert "✓ audits" not in drawn.nodes["cart"]["label"]  # no checklist item on it
    plain = heatmap_features.journey_map(workspace, picked)
    assert "✓ audits" not in plain.nodes["pickup-point"]["label"]
    # The selection's segment narrows the audits too, where they have its column.
    one = selection.resolve(workspace, {**picked.__dict__, "project": project_id, "journey": journey_id,
                                        "dataset": answers.id, "metric": "csat", "from": "2026-06-01",
                                        "to": "2026-11-30", "segments": [f"branch{selection.SEPARATOR}Kladno"]})
    kladno = audits.layer(workspace, project_id, journey_id, one.date_from, one.date_to, one.filters)
    assert {cell.visits for cell in kladno.values()} == {7}


def test_a_refused_import_leaves_the_workspace_as_it_was(project, tmp_path):
    workspace, project_id, journey_id = project
    survey(workspace, project_id, journey_id)
    before = snapshot(workspace)
    bad = CZECH.read_bytes().replace("ano".encode("cp1250"), "možná".encode("cp1250"), 1)
    with pytest.raises(IngestError, match="row 2, column 'Výsledek'"):
        audits.import_audits(workspace, project_id, journey_id, (bad, "bad.csv"), MAPPING)
    with pytest.raises(IngestError, match="No touchpoint “nowhere”"):
        audits.import_audits(workspace, project_id, journey_id, CZECH, {"Vrácení zboží": "nowhere"})
    with pytest.raises(WorkspaceError, match="holds survey answers"):  # the name is a survey's: refused at commit
        audits.import_audits(workspace, project_id, journey_id, (CZECH.read_bytes(), CZECH.name), MAPPING, "Survey")
    assert snapshot(workspace) == before


def test_a_scoped_member_reads_their_branchs_audits_only(project):
    workspace, project_id, journey_id = project
    info = audits.import_audits(workspace, project_id, journey_id, CZECH, MAPPING)
    scope = access.Scope(segments=(("branch", ("Kladno",)),))
    member = access.Access(frozenset({project_id}), frozenset(), {project_id: scope},
                           {info.path.name: scope.filters(journey_id)})
    with access.acting(member):
        shown = audits.view(workspace, info.id)
        assert [row.name for row in shown.tables["branch"]] == ["Kladno"]
        assert {cell.visits for cell in audits.layer(workspace, project_id, journey_id).values()} == {7}
    region = access.Scope(segments=(("region", ("Praha",)),))  # the audits have no region column: nothing
    with access.acting(access.Access(frozenset({project_id}), frozenset(), {project_id: region},
                                     {info.path.name: region.filters(journey_id)})):
        assert audits.view(workspace, info.id).tables["branch"] == []


def test_a_typed_mapping_names_touchpoints_by_key_or_name_and_a_wrong_line_by_number(project):
    workspace, _project_id, journey_id = project
    journey = audits.touchpoints(workspace, journey_id)
    typed = "Výdejní místo = pick-up point collection\n\n  Zákaznická linka=support-contact \nA = B = refund"
    assert audits.parse_mapping(typed, journey) == {"Výdejní místo": "pickup-point",
                                                    "Zákaznická linka": "support-contact", "A = B": "refund"}
    assert audits.parse_mapping(None, journey) == {}
    with pytest.raises(ValueError, match="Mapping line 2: .*“Sekce = nikde”"):
        audits.parse_mapping("Výdejní místo = refund\nSekce = nikde", journey)
    found = audits.choices(workspace, _project_id)
    assert [c.value for c in found.journeys] == [journey_id] and found.audits == [] and found.surveys == []
