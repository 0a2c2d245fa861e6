"""No traceback from the command line: each broken input of a corpus, fed to ``cxwb import``, ``import --mapping``,
``journey import``, ``restore`` and ``export --logo``, ends with a non-zero exit and one line on stderr that says what
is wrong (never "unexpected error"); so do the real survey-tool exports in tests/data/. Run in-process through
``workbench.cli.main``, and a few through the installed ``cxwb`` entry point."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import bombs
import pytest

from workbench import cli

DATA = Path(__file__).parent / "data"
BINARY = bytes(range(256)) * 16
MISSING = object()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-errors")
    workspace, mapping, backup = bombs.seeded_workspace(folder)
    return folder, workspace, mapping, backup


def write(folder: Path, name: str, content) -> Path:
    """``content`` as a file (a folder for None, nothing for MISSING, a builder for a callable)."""
    path = folder / name
    if callable(content):
        return content(path)
    if content is None:
        path.mkdir(exist_ok=True)
    elif content is not MISSING:
        path.write_bytes(content)
    return path


def run(seeded, capsys, *argv) -> tuple[int, str]:
    code = cli.main([*map(str, argv), "--workspace", str(seeded[1])])
    return code, capsys.readouterr().err


def assert_one_line(code: int, err: str, *expected: str) -> None:
    assert code != 0
    assert err.startswith("cxwb: ") and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and "unexpected error" not in err, err
    for text in expected:
        assert text in err


def halved(path: Path) -> Path:
    """The file cut after its first half (a download that stopped)."""
    content = path.read_bytes()
    path.write_bytes(content[:len(content) // 2])
    return path


DATA_FILES = {
    "empty.csv": (b"", "The file is empty."),
    "binary.csv": (BINARY, ""),
    "utf16.csv": ("Datum;CSAT\n2026-01-15;4\n".encode("utf-16"), ""),
    "long-field.csv": (lambda path: bombs.csv_long_field(path, 200_000), "the limit is 131\u00a0072."),
    "columns.csv": (lambda path: bombs.csv_columns(path, 100_000), "the file has 100\u00a0000 columns; the limit is 5\u00a0000"),
    "list-score.parquet": (bombs.parquet_list_score, "Column 'CSAT' is a list, not a number"),
    "truncated.xlsx": (lambda path: halved(bombs.xlsx_rows(path, 1_000)), "cannot be read as XLSX"),
    "binary.xlsx": (BINARY, "cannot be read as XLSX"),
    "binary.parquet": (BINARY, "cannot be read as Parquet"),
    "folder.csv": (None, "Is a directory"),
    "missing.csv": (MISSING, "No such file or directory"),
}


@pytest.mark.parametrize("mapped", [False, True], ids=["saved-mapping", "mapping-file"])
@pytest.mark.parametrize("name", list(DATA_FILES))
def test_import(seeded, capsys, name, mapped):
    content, expected = DATA_FILES[name]
    path = write(seeded[0], name, content)
    mapping = ("--mapping", seeded[2]) if mapped else ()
    assert_one_line(*run(seeded, capsys, "import", path, "--project", bombs.PROJECT, "--name", "X", *mapping), expected)


MAPPINGS = {
    "empty.json": (b"", "empty.json is not a JSON mapping"),
    "binary.json": (BINARY, "binary.json is not a JSON mapping"),
    "deep.json": (lambda path: bombs.deep_json(path, 100_000), "deep.json: the JSON is nested more than 64 levels"),
    "list.json": (b"[1, 2]", "Not a column mapping"),
    "numbers.json": (b'{"kind": "survey", "ts": 5}', "every column it names must be text"),
    "folder.json": (None, "Is a directory"),
    "missing.json": (MISSING, "No such file or directory"),
}


@pytest.mark.parametrize("name", list(MAPPINGS))
def test_import_mapping(seeded, capsys, name):
    content, expected = MAPPINGS[name]
    plain = bombs.csv_long_field(seeded[0] / "plain.csv", 10)
    mapping = write(seeded[0], name, content)
    assert_one_line(*run(seeded, capsys, "import", plain, "--project", bombs.PROJECT, "--name", "X", "--mapping",
                         mapping), expected)


JOURNEYS = {
    "empty.yaml": (b"", "The file is empty."),
    "binary.yaml": (BINARY, "binary.yaml is not UTF-8 text"),
    "utf16.yaml": ("name: x\n".encode("utf-16"), "utf16.yaml is not UTF-8 text"),
    "nested.yaml": (lambda path: bombs.deep_yaml(path, 100), "nested.yaml: the YAML is nested more than 64 levels"),
    "aliased.yaml": (bombs.laughing_yaml, "aliased.yaml: the YAML expands to more than 100\u00a0000 values"),
    "list.yaml": (b"- 1\n- 2\n", "line 1: a journey file must be a mapping"),
    "folder.yaml": (None, "Is a directory"),
    "missing.yaml": (MISSING, "No such file or directory"),
}


@pytest.mark.parametrize("name", list(JOURNEYS))
def test_journey_import(seeded, capsys, name):
    content, expected = JOURNEYS[name]
    path = write(seeded[0], name, content)
    assert_one_line(*run(seeded, capsys, "journey", "import", path, "--project", bombs.PROJECT), expected)


def backups(source: Path) -> dict:
    """The corpus of broken backups, made from the backup ``source``."""
    return {
        "empty.cxwb.zip": (b"", "not a zip file"),
        "binary.cxwb.zip": (BINARY, "not a zip file"),
        "truncated.cxwb.zip": (lambda path: halved(Path(shutil.copyfile(source, path))), "not a zip file"),
        "bomb.cxwb.zip": (lambda path: bombs.backup_bomb(source, path, dataset_bytes=64 << 20),
                          "the limit is 100 times its packed size"),
        "tables.cxwb.zip": (lambda path: bombs.backup_bomb(source, path, tables_bytes=65 << 20),
                            "the limit is 64 MB"),
        "folder.cxwb.zip": (None, "Is a directory"),
        "missing.cxwb.zip": (MISSING, "No such file or directory"),
    }


@pytest.mark.parametrize("name", list(backups(Path())))
def test_restore(seeded, capsys, name):
    content, expected = backups(seeded[3])[name]
    path = write(seeded[0], name, content)
    assert_one_line(*run(seeded, capsys, "restore", path, "--name", "Restored"), expected)


LOGOS = {
    "empty.png": (b"", "The logo is not an image"),
    "binary.png": (BINARY, "The logo is not an image"),
    "big.png": (b" " * (3 << 20), "big.png: the file is 3 MB; the limit is 2 MB."),
    "folder.png": (None, "Is a directory"),
    "missing.png": (MISSING, "No such file or directory"),
}


@pytest.mark.parametrize("name", list(LOGOS))
def test_export_logo(seeded, capsys, name):
    content, expected = LOGOS[name]
    path = write(seeded[0], name, content)
    deck = seeded[0] / "deck.pptx"
    assert_one_line(*run(seeded, capsys, "export", "--project", bombs.PROJECT, "-o", deck, "--logo", path), expected)
    assert not deck.exists()


@pytest.mark.parametrize("path", sorted(DATA.glob("*.csv")), ids=lambda path: path.name)
def test_real_exports_give_a_report_or_a_message(seeded, capsys, path):
    """Qualtrics, SurveyMonkey and Google Forms exports, without a mapping and mapped as customer KPIs."""
    header = re.split("[,;]", path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace"))  # ";": a Czech export
    kpis = seeded[0] / "kpi.json"
    kpis.write_text(json.dumps({"kind": "kpi", "respondent_id": header[0], "kpis": [header[1]]}), encoding="utf-8")
    for mapping in ((), ("--mapping", kpis)):
        code, err = run(seeded, capsys, "import", path, "--project", bombs.PROJECT, "--name", "X", "--dry-run",
                        *mapping)
        assert code in (0, 2)
        assert "Traceback" not in err and "unexpected error" not in err and len(err.splitlines()) <= 1, err


def test_an_unforeseen_fault_is_one_line_unless_debugging(capsys, monkeypatch):
    def fail(_args):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(cli, "_run", fail)
    monkeypatch.delenv("CXWB_DEBUG", raising=False)
    assert cli.main(["templates"]) == 1
    assert capsys.readouterr().err == "cxwb: unexpected error: RuntimeError: disk on fire second line (set CXWB_DEBUG=1 for the " \
                  "traceback)\n"
    monkeypatch.setenv("CXWB_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["templates"])


@pytest.mark.parametrize("case", ["mapping", "restore", "parquet"])
def test_the_installed_command(seeded, case):
    """The console script itself: exit code 2, one line, no traceback (the RecursionError, the zip bomb and the
    Arrow cast error of the issue)."""
    folder, workspace, mapping, backup = seeded
    command = Path(sys.executable).with_name("cxwb")
    if not command.exists():
        pytest.skip("cxwb is not installed in this environment")
    args = {
        "mapping": ["import", bombs.csv_long_field(folder / "plain.csv", 10), "--project", bombs.PROJECT, "--name",
                    "X", "--mapping", bombs.deep_json(folder / "deep.json", 100_000)],
        "restore": ["restore", bombs.backup_bomb(backup, folder / "bomb.cxwb.zip", dataset_bytes=64 << 20)],
        "parquet": ["import", bombs.parquet_list_score(folder / "list.parquet"), "--project", bombs.PROJECT,
                    "--name", "X", "--mapping", mapping],
    }[case]
    done = subprocess.run([command, *map(str, args), "--workspace", str(workspace)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("cxwb: ") and len(done.stderr.splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
