"""Every input limit of workbench/limits.py: a hostile file for each, built here, is refused in seconds and under
500 MB (measured in a child process: its own peak resident memory from wait4), with a message that names the file
and the limit, and the workspace keeps every row and file as it was (nothing in datasets/, nothing left in tmp/)."""

import json
import random
import sqlite3
import textwrap
import zipfile
from pathlib import Path

import bombs
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workbench.core import formatting, limits
from workbench.features.workspace import open_workspace

PEAK_MB = 500
SECONDS = 20  # the refusals take 1–3 s, Python's start included; the margin is for a busy machine
COLUMNS = f"the limit is {formatting.count(limits.COLUMNS)}."
DOCUMENT = f"the limit is {formatting.size(limits.DOCUMENT_BYTES)}."
NESTING = f"nested more than {limits.NESTING} levels deep; the limit is {limits.NESTING} levels."
ALIASES = f"the YAML expands to more than {formatting.count(limits.YAML_VALUES)} values through its aliases"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A folder with a workspace (project "Bomb", the e-commerce journey, one dataset), the survey mapping and a
    backup of the project."""
    folder = tmp_path_factory.mktemp("limits")
    workspace, mapping, backup = bombs.seeded_workspace(folder)
    return folder, workspace, mapping, backup


def refused(seeded, args: list[str], *expected: str) -> str:
    """Run ``args`` in a child, check it fails fast and small with every ``expected`` text in its one-line message,
    and that the workspace is unchanged; return the message."""
    folder, workspace = seeded[0], seeded[1]
    before = _state(workspace)
    run = bombs.run(args, timeout=60, cwd=folder)
    assert run.returncode not in (0, None), run.outcome
    assert run.seconds < SECONDS and run.peak_mb < PEAK_MB, (run.seconds, run.peak_mb, run.outcome)
    message = run.stderr.strip()
    print(f"{run.seconds:.1f} s, {run.peak_mb:.0f} MB: {message}")  # shown with -s, and when a test fails
    assert "Traceback" not in message and len(message.splitlines()) == 1, message
    for text in expected:
        assert text in message
    assert _state(workspace) == before
    assert not [path for path in (workspace / "tmp").rglob("*") if path.is_file()]
    return message


def _state(workspace: Path) -> tuple:
    """The workspace's files (but the database and the cache) and the row count of every table."""
    with sqlite3.connect(workspace / "workbench.db") as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}
    files = sorted(str(path.relative_to(workspace)) for path in workspace.rglob("*")
                   if path.is_file() and not path.name.startswith("workbench.db") and "cache" not in path.parts)
    return files, counts


def cxwb_import(seeded, path: Path, *extra) -> list[str]:
    return bombs.cxwb("import", path, "--project", bombs.PROJECT, "--name", "Bomb", *extra, "--workspace", seeded[1])


def python(code: str, *argv) -> list[str]:
    """A child running ``code``; a refusal (any ValueError) exits with its message as the one line on stderr."""
    body = textwrap.indent(textwrap.dedent(code).strip(), "    ")
    return ["-c", f"import sys\ntry:\n{body}\nexcept ValueError as error:\n    sys.exit(str(error))\n", *map(str, argv)]


CODEBOOK = python("""
    from pathlib import Path
    from workbench.repos import text
    path = Path(sys.argv[1])
    text.load_codebook(path.read_text(encoding="utf-8"), path.suffix.lstrip("."), path.name)
""")


# ------------------------------------------------------------------ data files


@pytest.mark.parametrize("kind", ["csv", "xlsx", "parquet"])
def test_columns(seeded, kind):
    folder = seeded[0]
    if kind == "csv":  # 1.3 MB; the duplicate-name check was quadratic and took over a minute
        path, expected = bombs.csv_columns(folder / "columns.csv", 100_000), "columns.csv: the file has 100\u00a0000 columns"
    elif kind == "xlsx":  # 2 kB asking the reader for a 1 048 576 × 16 384 grid (it aborted the process)
        path, expected = bombs.xlsx_far_cell(folder / "wide.xlsx"), "wide.xlsx, sheet 'Data': the sheet has 16\u00a0384"
    else:
        path = folder / "wide.parquet"
        pq.write_table(pa.table({f"c{i}": [1] for i in range(limits.COLUMNS + 1)}), path)
        expected = f"wide.parquet: the file has {formatting.count(limits.COLUMNS + 1)} columns"
    refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]), expected, COLUMNS)


@pytest.mark.parametrize("mapped", [True, False], ids=["import", "preview"])
def test_field_length(seeded, mapped):
    path = bombs.csv_long_field(seeded[0] / "field.csv", 200_000)
    limit = f"the limit is {formatting.count(limits.FIELD_CHARS)}."
    if mapped:  # read by Arrow: the row and column are known
        refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]),
                "field.csv, row 2, column 'Komentář': the field has 200\u00a0000 characters", limit)
    else:  # the first rows, read by Python's csv module (which raised its own error)
        refused(seeded, cxwb_import(seeded, path), "field.csv, line 2: a field has more than 131\u00a0072 characters", limit)


@pytest.mark.parametrize("tag", ["<c r='{}'>", '<c\n  r = "{}">', '<x:c r="{}">'], ids=["quotes", "spaces", "prefix"])
def test_xlsx_columns_however_the_cell_is_written(seeded, tag):
    path = bombs.xlsx_far_cell(seeded[0] / "spelled.xlsx", tag=tag)
    refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]), "spelled.xlsx, sheet 'Data': the sheet has "
            "16\u00a0384 columns", COLUMNS)


def test_header_size(seeded):
    path = seeded[0] / "one-line.csv"
    path.write_bytes(b"a;" * limits.HEADER_BYTES)  # 2 MB without a line break
    refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]), "one-line.csv: the header row is longer than "
            f"{formatting.size(limits.HEADER_BYTES)}")


def test_xlsx_cells(seeded):
    path = bombs.xlsx_far_cell(seeded[0] / "far.xlsx", "D2000000")  # 2 M rows × 4 columns from two rows of cells
    refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]),
            "far.xlsx, sheet 'Data': the sheet spans 2\u00a0000\u00a0000 rows × 4 columns or more",
            f"the limit is {formatting.count(limits.XLSX_CELLS)} cells")


def test_xlsx_part_size(seeded):
    path = bombs.xlsx_big_part(seeded[0] / "strings.xlsx", limits.XLSX_PART_BYTES + 1)  # 0.5 MB on disk
    refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]),
            "strings.xlsx, part xl/sharedStrings.xml: it unpacks to more than 512 MB; the limit is 512 MB.")


def test_xlsx_part_size_is_counted_not_taken_from_the_zip(seeded):
    path = bombs.xlsx_big_part(seeded[0] / "liar.xlsx", limits.XLSX_PART_BYTES + 1)
    bombs.understate(path, "xl/sharedStrings.xml", 1024)  # the directory claims 1 kB
    refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]),
            "liar.xlsx, part xl/sharedStrings.xml: it unpacks to more than 512 MB; the limit is 512 MB.")


@pytest.mark.parametrize("layout", ["quotes", "padded", "elsewhere", "parent"])
def test_xlsx_sheet_wherever_the_workbook_keeps_it(seeded, layout):
    # 1.5–4.6 kB. The check read only double quotes and sheet lists under 2 MB, looked for the sheet under
    # xl/ and xl/worksheets/ alone (calamine aborted the process: "memory allocation of 549755813888 bytes failed"),
    # and failed with a KeyError on "../x.xml" (which calamine looks up as "xl/../x.xml").
    path = bombs.xlsx_far_cell(seeded[0] / f"{layout}.xlsx", layout=layout)
    refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]),
            f"{layout}.xlsx, sheet 'Data': the sheet has 16\u00a0384 columns", COLUMNS)


@pytest.mark.parametrize("kind", ["less-than", "x:r", "long tag", "rows in rows"])
def test_xlsx_range_however_the_sheet_is_written(seeded, kind):
    """calamine's XML reader takes what the scan did not: a "<" in a quoted value (the scan split the tag there),
    "x:r" for no reference (the scan read it as "r"), a tag longer than the scan carried over between its chunks,
    rows inside rows (calamine counts a row at each end tag). The first three aborted the process."""
    folder = seeded[0]
    path, expected = {
        "less-than": lambda: (bombs.xlsx_far_cell(folder / "lt.xlsx", tag='<c a="<c" r="{}">', row="<row>"),
                              "lt.xlsx, sheet 'Data': “<c a=\"” is not a plain XML tag"),
        "x:r": lambda: (bombs.xlsx_unnumbered_cells(folder / "x-r.xlsx", limits.COLUMNS + 1),
                        f"x-r.xlsx, sheet 'Data': the sheet has {formatting.count(limits.COLUMNS + 5)} columns"),
        "long tag": lambda: (bombs.xlsx_far_cell(folder / "long.xlsx", tag=f'<c a="{"x" * (3 << 20)}" r="{{}}">',
                                                 row=f'<row a="{"x" * (3 << 20)}" r="{{}}">'),
                             "long.xlsx, sheet 'Data': it holds a tag, or a tag and a text, of more than 1 MB"),
        "rows in rows": lambda: (bombs.xlsx_rows_in_rows(folder / "nested.xlsx", 10),
                                 "nested.xlsx, sheet 'Data': the sheet has rows inside rows"),
    }[kind]()
    refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]), expected)


def test_xlsx_sheet_list_size(seeded):
    # 17 MB, 18 kB packed: calamine keeps each entry (4 M entries took it 1.5 GB)
    path = bombs.xlsx_many_sheets(seeded[0] / "sheets.xlsx", 600_000)
    refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]),
            "sheets.xlsx, part xl/workbook.xml: it unpacks to 17 MB; the limit is 16 MB.")


@pytest.mark.parametrize("declared", [None, 10 ** 11], ids=["strings", "declared"])
def test_xlsx_shared_strings(seeded, declared):
    # 85 MB of <si> in 90 kB, read whole when the workbook opens (512 MB took 8 s and 1.76 GB for a preview); or
    # one string and uniqueCount="100000000000", for which calamine reserved 2.4 TB and aborted the process.
    strings = 1 if declared else limits.XLSX_CELLS + 1
    path = bombs.xlsx_shared_strings(seeded[0] / "sst.xlsx", strings, declared)
    found = f"declares {formatting.count(declared)}" if declared else f"holds more than {formatting.count(limits.XLSX_CELLS)}"
    refused(seeded, cxwb_import(seeded, path), f"sst.xlsx, part xl/sharedStrings.xml: it {found} shared strings; "
            f"the limit is {formatting.count(limits.XLSX_CELLS)}.")


def test_xlsx_parts_read_together(seeded):
    # three 400 MB parts of the names calamine reads when it opens a workbook (in any folder), 1.2 MB packed
    path = bombs.xlsx_parts(seeded[0] / "parts.xlsx", {name: 400 * limits.MB for name in (
        "xl/sharedStrings.xml", "xl/styles.xml", "other/styles.xml")})
    refused(seeded, cxwb_import(seeded, path), "parts.xlsx: the parts read unpack to more than 1\u00a0024 MB together; "
            "the limit is 1\u00a0024 MB.")


def test_xlsx_pictures_are_never_unpacked(tmp_path):
    """The reader never opens a workbook's pictures, so the check does not unpack them either (eight of 512 MB
    took 2.7 s): a damaged one, which the check refused, leaves the file readable."""
    from workbench.data import ingest

    path = bombs.understate(bombs.xlsx_media(tmp_path / "pictures.xlsx", 2, limits.MB), "xl/media/image1.png", 10)
    assert ingest.read_source(path, rows=20).table.column_names == list(bombs.SURVEY_HEADER)


def test_parquet_rows(seeded):
    path = bombs.parquet_rows(seeded[0] / "rows.parquet", limits.PARQUET_CELLS // 4 + 1)  # 0.3 MB on disk
    refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]),
            f"rows.parquet: the file has {formatting.count(limits.PARQUET_CELLS // 4 + 1)} rows × 4 columns, "
            f"{formatting.count(limits.PARQUET_CELLS + 4)} values; the limit is {formatting.count(limits.PARQUET_CELLS)} values.")


def test_parquet_values(seeded):
    # 4 001 rows × 5 000 columns passed both the row and the column limit (so did 20 M × 5 000)
    path = bombs.parquet_wide(seeded[0] / "wide.parquet", 4_001, limits.COLUMNS)
    refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]),
            f"wide.parquet: the file has 4\u00a0001 rows × 5\u00a0000 columns, 20\u00a0005\u00a0000 values; the limit is "
            f"{formatting.count(limits.PARQUET_CELLS)} values.")


@pytest.mark.parametrize("dictionary", [True, False], ids=["dictionary", "plain"])
def test_parquet_decoded_size(seeded, dictionary):
    # A 1 MB comment in each of 2 000 rows, stored once in a dictionary (1 kB: read, it took 6.2 s and 4.2 GB before
    # the field limit refused it), or 600 rows of 1 MB stored plain (35 kB), its size in the footer.
    rows = 2_000 if dictionary else 600
    path = bombs.parquet_long_value(seeded[0] / "long.parquet", rows, limits.MB, dictionary)
    refused(seeded, cxwb_import(seeded, path, "--mapping", seeded[2]),
            f"long.parquet: its values decode to {formatting.size(rows * limits.MB)}" if dictionary else
            "long.parquet: its values decode to 600 MB", f"the limit is {formatting.size(limits.PARQUET_BYTES)}.")


@pytest.mark.parametrize("lines", [1, 8])
@pytest.mark.parametrize("quote", ['"', "'"])
def test_csv_dialect_guess_time(tmp_path, lines, quote):
    """csv.Sniffer's regexes take time quadratic in a line's length: one 64 kB first line of ," or ,' took 19 s,
    eight lines of 8 kB 15 s."""
    import time

    from workbench.data import ingest

    path = tmp_path / "quotes.csv"
    first, other = ("," + quote) * (32_768 // lines), ("," + quote) * 4_096  # 64 kB, or 8 kB lines
    path.write_text("\n".join([first] + [other] * (lines - 1) + ["1"]) + "\n", encoding="utf-8")
    start = time.perf_counter()
    dialect = ingest.sniff_file(path)
    assert time.perf_counter() - start < 1 and dialect.delimiter == ","


def test_upload_size(seeded):
    code = python("""
        from workbench.core import limits
        from workbench.features.workspace import open_workspace
        with open_workspace(sys.argv[1]) as workspace:
            workspace.datasets.receive("big.csv", bytes(limits.UPLOAD_BYTES + 1))
    """, seeded[1])
    refused(seeded, code, "big.csv: the file is more than 100 MB; the limit is 100 MB.")


# ------------------------------------------------------------------ documents


@pytest.mark.parametrize("kind", ["mapping", "journey", "codebook", "benchmark", "logo"])
def test_document_size(seeded, kind):
    folder, workspace = seeded[0], seeded[1]
    name = {"mapping": "big.json", "journey": "big.yaml", "codebook": "big.yaml", "benchmark": "big.csv",
            "logo": "big.png"}[kind]
    path = folder / name
    path.write_bytes(b" " * (limits.DOCUMENT_BYTES + 1))
    args = {
        "mapping": lambda: cxwb_import(seeded, bombs.csv_long_field(folder / "plain.csv", 10), "--mapping", path),
        "journey": lambda: bombs.cxwb("journey", "import", path, "--project", bombs.PROJECT, "--workspace", workspace),
        "codebook": lambda: [*CODEBOOK, path],
        "benchmark": lambda: python("""
            from workbench.analysis import benchmarks
            from workbench.data.templates import load_template
            benchmarks.read(sys.argv[1], load_template("ecommerce-delivery"))
        """, path),
        "logo": lambda: bombs.cxwb("export", "--project", bombs.PROJECT, "-o", folder / "deck.pptx", "--logo", path,
                                   "--workspace", workspace),
    }[kind]()
    refused(seeded, args, f"{name}: the file is more than 2 MB", DOCUMENT)
    assert not (folder / "deck.pptx").exists()


def test_uploaded_documents(tmp_path):
    """The Journeys page had its own 5 MB limit and message (a 3 MB file passed it, then the YAML check refused it);
    a logo uploaded on the Export page had none. Both are checked before they are decoded, as the CLI checks them."""
    import base64

    from cxweb.app import create_app
    from workbench.core.journey import JourneyError
    from workbench.export import deck

    def upload(size: int) -> str:
        return "data:application/octet-stream;base64," + base64.b64encode(bytes(size)).decode()

    big, over = upload(3 * limits.MB), f"the limit is {formatting.size(limits.DOCUMENT_BYTES)}."
    with open_workspace(tmp_path / "ws") as workspace:
        create_app(workspace)  # registers the pages
        from cxweb.pages import export
        from workbench.features import journeys

        with pytest.raises(JourneyError, match=f"^big.yaml: the file is 3 MB; {over}$"):
            journeys.read_upload(big, "big.yaml")
        for name, where in (("big.png", "big.png"), (None, "The logo")):
            with pytest.raises(limits.LimitError, match=f"^{where}: the file is 3 MB; {over}$"):
                export._logo_bytes(big, name)
        with pytest.raises(limits.LimitError, match=f"^The logo: the file is more than 2 MB; {over}$"):
            deck.Style(logo=bytes(limits.DOCUMENT_BYTES + 1))
        assert len(journeys.read_upload(upload(limits.DOCUMENT_BYTES))) == limits.DOCUMENT_BYTES
        for size in (limits.DOCUMENT_BYTES - 1, limits.DOCUMENT_BYTES - 2):  # other paddings
            assert len(export._logo_bytes(upload(size))) == size
        with pytest.raises(JourneyError, match=f"^The file is more than 2 MB; {over}$"):
            journeys.read_upload(upload(limits.DOCUMENT_BYTES + 1))


# ------------------------------------------------------------------ backups


def test_backup_tables_size(seeded):
    folder, workspace, _mapping, backup = seeded
    bomb = bombs.backup_bomb(backup, folder / "tables.cxwb.zip", tables_bytes=limits.BACKUP_TABLES_BYTES + 1)
    # 65 MB in 64 kB; it took 8.4 GB of memory when it was 2 GB in 2 MB
    refused(seeded, bombs.cxwb("restore", bomb, "--name", "R", "--workspace", workspace),
            "tables.cxwb.zip, tables.json: it unpacks to more than 64 MB; the limit is 64 MB.")


def test_backup_tables_values(seeded):
    folder, workspace, _mapping, backup = seeded
    bomb = bombs.backup_bomb(backup, folder / "dicts.cxwb.zip", tables_bytes=limits.BACKUP_TABLES_BYTES - 1024,
                             unit=b"{},")
    # 64 MB of {},{},… in 67 kB, under the size limit: parsed, it took 31 s and 3.2 GB before it was refused
    refused(seeded, bombs.cxwb("restore", bomb, "--name", "R", "--workspace", workspace),
            f"dicts.cxwb.zip, tables.json: the JSON has more than {formatting.count(limits.JSON_VALUES)} values; the limit is "
            f"{formatting.count(limits.JSON_VALUES)}.")


def test_a_backup_that_could_not_be_restored_is_not_written(seeded, monkeypatch):
    from workbench.repos.backup import write_backup

    monkeypatch.setattr(limits, "BACKUP_TABLES_BYTES", 1000)  # the seeded project's rows take about 30 kB
    target = seeded[0] / "refused.cxwb.zip"
    with open_workspace(seeded[1]) as workspace, pytest.raises(limits.LimitError, match=r"^Project “Bomb”: tables.json "
                                                                                  r"would be \d+ kB; the limit is 1 kB"):
        write_backup(workspace, workspace.projects()[0].id, target)
    assert not list(seeded[0].glob("refused.cxwb.zip*"))


def test_a_backup_with_too_many_values_is_not_written(seeded, monkeypatch):
    from workbench.repos.backup import write_backup

    monkeypatch.setattr(limits, "JSON_VALUES", 1000)  # the seeded project's rows hold about 1 500
    target = seeded[0] / "refused.cxwb.zip"
    with open_workspace(seeded[1]) as workspace, pytest.raises(limits.LimitError, match=r"^Project “Bomb”: tables.json "
                                                                                  r"would have more than 1\u00a0000 values"):
        write_backup(workspace, workspace.projects()[0].id, target)
    assert not list(seeded[0].glob("refused.cxwb.zip*"))


def test_backup_dataset_ratio(seeded):
    folder, workspace, _mapping, backup = seeded
    bomb = bombs.backup_bomb(backup, folder / "entry.cxwb.zip", dataset_bytes=64 * limits.MB)
    run_message = refused(seeded, bombs.cxwb("restore", bomb, "--name", "R", "--workspace", workspace),
                          "entry.cxwb.zip, datasets/1.parquet: it unpacks to 64 MB from",
                          f"the limit is {limits.ZIP_RATIO} times its packed size.")
    assert "kB" in run_message  # 64 MB of zeros pack into about 64 kB


def test_backup_dataset_longer_than_claimed_stops_at_the_claim(seeded):
    """A dataset entry whose zip directory and manifest both understate it is cut off where they say it ends."""
    folder, workspace, _mapping, backup = seeded
    liar = folder / "liar.cxwb.zip"
    with zipfile.ZipFile(backup) as original, zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = json.loads(original.read("manifest.json"))
        entry = next(iter(manifest["files"]))
        manifest["files"][entry]["bytes"] = limits.MB
        for info in original.infolist():
            content = {entry: random.Random(1).randbytes(4 * limits.MB),
                       "manifest.json": json.dumps(manifest).encode()}.get(info.filename) or original.read(info)
            archive.writestr(info.filename, content)
    bombs.understate(liar, entry, limits.MB)
    refused(seeded, bombs.cxwb("restore", liar, "--name", "R", "--workspace", workspace),
            f"The backup is damaged: {entry} is not the file it was written with.")


# ------------------------------------------------------------------ nesting and aliases


@pytest.mark.parametrize("kind", ["mapping", "backup", "journey", "codebook"])
def test_nesting(seeded, kind):
    folder, workspace, _mapping, backup = seeded
    if kind == "mapping":  # Python's json raised RecursionError
        args = cxwb_import(seeded, bombs.csv_long_field(folder / "plain.csv", 10), "--mapping",
                           bombs.deep_json(folder / "deep.json", 100_000))
        expected = "deep.json: the JSON is " + NESTING
    elif kind == "backup":
        deep = b'{"projects": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        bomb = bombs.backup_bomb(backup, folder / "deep.cxwb.zip", tables=deep)
        args, expected = bombs.cxwb("restore", bomb, "--name", "R", "--workspace", workspace), \
            "deep.cxwb.zip, tables.json: the JSON is " + NESTING
    elif kind == "journey":
        path = bombs.deep_yaml(folder / "deep.yaml", limits.NESTING + 1)
        args = bombs.cxwb("journey", "import", path, "--project", bombs.PROJECT, "--workspace", workspace)
        expected = "deep.yaml: the YAML is " + NESTING
    else:
        path = folder / "deep-codebook.yaml"
        path.write_text("themes: " + "[" * 100 + "]" * 100 + "\n", encoding="utf-8")
        args, expected = [*CODEBOOK, path], "deep-codebook.yaml: the YAML is " + NESTING
    refused(seeded, args, expected)


@pytest.mark.parametrize("kind", ["journey", "codebook"])
def test_yaml_aliases(seeded, kind):
    folder, workspace = seeded[0], seeded[1]
    path = bombs.laughing_yaml(folder / f"laughs-{kind}.yaml")  # 9 levels of 9 aliases: 387 M values expanded
    args = bombs.cxwb("journey", "import", path, "--project", bombs.PROJECT, "--workspace", workspace) \
        if kind == "journey" else [*CODEBOOK, path]
    refused(seeded, args, f"laughs-{kind}.yaml: {ALIASES}", f"the limit is {formatting.count(limits.YAML_VALUES)}.")


# ------------------------------------------------------------------ codebooks


def test_pattern_length():
    from workbench.repos import text

    pattern = "(" * 300 + "a" + ")" * 300  # Python's regex parser recursed past its limit on 500 nested groups
    codebook = f"themes:\n  - {{key: deep, name: Deep, patterns: ['{pattern}']}}\n"
    with pytest.raises(text.CodebookError, match=f"has 601 characters; the limit is {limits.PATTERN_CHARS}"):
        text.load_codebook(codebook, "yaml")


def test_keyword_wildcards_run_in_linear_time(seeded):
    book, word = bombs.wildcard_codebook(20)  # Python's re took 22 s with ten wildcards, minutes with twelve
    code = python("""
        import pandas as pd
        from workbench.analysis import coding
        from workbench.repos import text
        found = coding.tag(pd.Series([sys.argv[2], sys.argv[2] + "b"]), text.load_codebook(sys.argv[1], "yaml"))
        print(found["slow"].tolist())
    """, book, word)
    run = bombs.run(code, timeout=60, cwd=seeded[0])
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().lower()) == [False, True]
    assert run.seconds < SECONDS and run.peak_mb < PEAK_MB


@pytest.mark.parametrize("side", [6_000, 40_000])
def test_logo_pixels(side):
    import struct
    import zlib

    from workbench.export import deck

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # A 100-byte PNG whose header claims side × side pixels: decoding it would take side² × 4 bytes.
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b""))
    with pytest.raises(limits.LimitError, match=f"The logo: has .* pixels; the limit is {formatting.count(limits.LOGO_PIXELS)}"):
        deck.Style(logo=png)
