"""The cxwb command: templates, demo, journey import and export."""

from workbench import journeyfile
from workbench.cli import main
from workbench.templates import load_template


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
