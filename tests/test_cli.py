"""The cxwb command: templates, demo, journey import and export."""

import json
import re

from workbench.cli import main
from workbench.core import journeyfile
from workbench.data.templates import load_template
from workbench.repos.datasets import SAMPLE_FOLDER


def test_import_then_export_gives_the_same_journey(tmp_path, capsys):
    source = tmp_path / "claim.yaml"
    source.write_text(journeyfile.dumps(load_template("insurance-claim")), encoding="utf-8")
    workspace = str(tmp_path / "ws")
    assert main(["journey", "import", str(source), "--project", "Acme", "--workspace", workspace]) == 0
    assert "24 touchpoints" in capsys.readouterr().out
    out = tmp_path / "out.yaml"
    assert main(["journey", "export", "--project", "Acme", "--journey", "Insurance claim", "-o", str(out),
                 "--workspace", workspace]) == 0
    exported = journeyfile.load(out)
    original = load_template("insurance-claim")
    assert [(t.key, t.name, t.owner, t.stage) for t in exported.touchpoints] == \
        [(t.key, t.name, t.owner, t.stage) for t in original.touchpoints]
    assert exported.edges == original.edges
    assert {o.name for o in exported.owners} == {o.name for o in original.owners}


def test_errors_are_one_line_messages(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    assert main(["journey", "import", str(bad), "--project", "P", "--workspace", str(tmp_path / "ws")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cxwb: line 2") and "Traceback" not in err
    assert main(["journey", "export", "--project", "Nope", "--journey", "X", "--workspace", str(tmp_path / "ws")]) == 2
    assert "No journey “X” in project “Nope”" in capsys.readouterr().err


def test_templates_and_demo(tmp_path, capsys):
    assert main(["templates"]) == 0
    assert "heat-pump-sales" in capsys.readouterr().out
    assert main(["demo", "--workspace", str(tmp_path / "ws")]) == 0
    assert "Demo project id 1" in capsys.readouterr().out


def test_import_uses_the_saved_mapping_or_a_mapping_file(tmp_path, capsys):
    import json

    from workbench.data import ingest
    from workbench.data.ingest import KpiMapping

    samples = SAMPLE_FOLDER  # the sample files shipped in the package
    workspace = str(tmp_path / "ws")
    (tmp_path / "j.yaml").write_text(journeyfile.dumps(load_template("ecommerce-delivery")), encoding="utf-8")
    assert main(["journey", "import", str(tmp_path / "j.yaml"), "--project", "Acme", "--workspace", workspace]) == 0
    kpi = samples / "parcel-express-kpi-cp1250.csv"
    assert main(["import", str(kpi), "--project", "Acme", "--name", "KPIs", "--workspace", workspace]) == 2
    assert "No mapping saved for a file with these columns" in capsys.readouterr().err

    mapping = tmp_path / "kpi-mapping.json"
    mapping.write_text(json.dumps(ingest.mapping_to_dict(KpiMapping(
        period="Měsíc", segments=("Region", "Pobočka"), kpis=("Tržby (CZK)", "Objednávky")))), encoding="utf-8")
    assert main(["import", str(kpi), "--project", "Acme", "--name", "KPIs", "--mapping", str(mapping),
                 "--dry-run", "--workspace", workspace]) == 0
    assert "Dry run: nothing imported." in capsys.readouterr().out
    assert main(["import", str(kpi), "--project", "Acme", "--name", "KPIs", "--mapping", str(mapping),
                 "--workspace", workspace]) == 0
    out = capsys.readouterr().out
    assert "Mapping: kpi-mapping.json." in out and "Dates read as dd.mm.yyyy." in out
    assert "Imported 45 rows as “KPIs” version 1; mapping saved as “KPIs”." in out
    # The next month's file of the same shape needs no mapping: the one used is saved for its shape, and said.
    assert main(["import", str(kpi), "--project", "Acme", "--name", "KPIs", "--workspace", workspace]) == 0
    out = capsys.readouterr().out
    assert re.search(r"Mapping: the saved mapping “KPIs” saved on \d{4}-\d\d-\d\d \d\d:\d\d\.", out), out
    assert "“KPIs” version 2" in out


def _two_survey_versions(folder) -> str:
    """A workspace with the ecommerce journey and two versions of a small demo survey; its folder."""
    from workbench.data import demodata
    from workbench.features.workspace import open_workspace

    journey = load_template("ecommerce-delivery")
    with open_workspace(folder) as workspace:
        project_id = workspace.create_project("Acme")
        journey_id = workspace.create_journey(project_id, journey)
        for seed in (1, 2):
            data = demodata.generate(journey, seed=seed, answers=2_000)
            workspace.datasets.add_table(project_id, data.survey, "Survey answers", "survey", journey_id=journey_id)
    return str(folder)


def test_export_uses_the_named_dataset_version_and_matrix_column_and_says_which(tmp_path, capsys):
    import io

    from pptx import Presentation

    workspace = _two_survey_versions(tmp_path / "ws")
    deck = tmp_path / "deck.pptx"
    base = ["export", "--project", "Acme", "-o", str(deck), "--slides", "title,matrix", "--workspace", workspace]
    assert main(base) == 0
    assert "Used the survey “Survey answers” version 2." in capsys.readouterr().out  # the latest by default
    assert main([*base, "--dataset", "Survey answers@1", "--matrix-column", "channel"]) == 0
    assert "Used the survey “Survey answers” version 1." in capsys.readouterr().out
    slides = list(Presentation(io.BytesIO(deck.read_bytes())).slides)
    assert "Survey answers, version 1" in "\n".join(s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
    assert slides[1].shapes[0].text_frame.text.startswith("CSAT by channel")


def test_export_refuses_an_unknown_dataset_or_version_listing_the_ones_there_are(tmp_path, capsys):
    workspace = _two_survey_versions(tmp_path / "ws")
    base = ["export", "--project", "Acme", "-o", str(tmp_path / "deck.pptx"), "--workspace", workspace]
    assert main([*base, "--dataset", "Survey"]) == 2
    err = capsys.readouterr().err
    assert err == "cxwb: No survey dataset “Survey” in project “Acme”; it has: Survey answers (versions 2, 1).\n"
    assert main([*base, "--dataset", "Survey answers@3"]) == 2
    assert capsys.readouterr().err == "cxwb: The survey “Survey answers” has no version 3; it has versions 2, 1.\n"
    assert main([*base, "--matrix-column", "planet"]) == 2
    assert "no segment column 'planet'" in capsys.readouterr().err
    assert not (tmp_path / "deck.pptx").exists()


def test_a_saved_mapping_whose_values_look_wrong_is_refused_unless_forced(tmp_path, capsys):
    """The issue's case: a column saved as NPS 0–10 now holds 0/1; every respondent would become a detractor."""
    from workbench.core.contract import OVERALL
    from workbench.data import ingest
    from workbench.data.ingest import SurveyMapping, WideColumn

    workspace = str(tmp_path / "ws")
    (tmp_path / "j.yaml").write_text(journeyfile.dumps(load_template("ecommerce-delivery")), encoding="utf-8")
    assert main(["journey", "import", str(tmp_path / "j.yaml"), "--project", "Acme", "--workspace", workspace]) == 0
    mapping = SurveyMapping(ts="date", respondent_id="id", wide=(WideColumn("overall", OVERALL, "nps"),
                                                                 WideColumn("checkout", "checkout", "csat")))
    (tmp_path / "m.json").write_text(json.dumps(ingest.mapping_to_dict(mapping)), encoding="utf-8")
    march = tmp_path / "march.csv"
    march.write_text("id,date,overall,checkout\n" + "".join(f"{i},2026-03-{1 + i % 28:02d},{i % 11},{1 + i % 5}\n"
                                                            for i in range(60)), encoding="utf-8")
    assert main(["import", str(march), "--project", "Acme", "--name", "Pulse", "--mapping", str(tmp_path / "m.json"),
                 "--workspace", workspace]) == 0
    capsys.readouterr()
    april = tmp_path / "april.csv"  # the same columns: the saved mapping applies; the overall column is now 0/1
    april.write_text("id,date,overall,checkout\n" + "".join(f"{i},2026-04-{1 + i % 28:02d},{i % 2},{1 + i % 5}\n"
                                                            for i in range(60)), encoding="utf-8")
    args = ["import", str(april), "--project", "Acme", "--name", "Pulse", "--workspace", workspace]
    assert main(args) == 2
    out = capsys.readouterr().out
    assert re.search(r"Mapping: the saved mapping “Pulse” saved on \d{4}-\d\d-\d\d", out)
    assert "“overall” holds only 0 and 1 but is mapped as NPS 0–10" in out and "Every 0 would count as a detractor" in out
    assert "Nothing imported" in out and "--force" in out
    assert main(args + ["--force"]) == 0
    assert "“Pulse” version 2" in capsys.readouterr().out
