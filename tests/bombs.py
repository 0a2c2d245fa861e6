"""Hostile input files (huge headers, zip bombs, dense spreadsheets, deep nesting) and a measured run of a command
in a child process, shared by tests/test_limits.py, tests/test_cli_errors.py and bench/bombs.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 1 << 20
# A survey file's columns as the mapping below reads them; the bombs keep them so the import gets to the bomb.
SURVEY_HEADER = ("Datum", "Kontaktní bod", "CSAT", "Komentář")
SURVEY_MAPPING = {"kind": "survey", "ts": "Datum", "touchpoint": "Kontaktní bod", "csat": "CSAT",
                  "comment": "Komentář"}
TOUCHPOINT = "checkout"  # a touchpoint key of the e-commerce template
PROJECT = "Bomb"


# ------------------------------------------------------------------ measured runs


@dataclass(frozen=True)
class Run:
    """How a child process ended: seconds, peak resident memory (MB), exit code (None: stopped at the timeout or
    the memory cap), its output, and the most bytes seen at once in the watched folder."""

    seconds: float
    peak_mb: float
    returncode: int | None
    stdout: str
    stderr: str
    watched_peak_bytes: int = 0

    @property
    def outcome(self) -> str:
        if self.returncode is None:
            return self.stderr
        lines = [line for line in (self.stderr or self.stdout).splitlines() if line.strip()]
        return lines[-1] if lines else f"exit {self.returncode}"


def run(args: list[str | Path], *, timeout: float = 60, cap_mb: float | None = None, watch: Path | None = None,
        cwd: Path | None = None) -> Run:
    """Run ``python args…`` and measure it; stop it at ``timeout`` seconds or ``cap_mb`` of memory.

    Peak memory is the child's own ``ru_maxrss`` from ``wait4``, also when it was stopped. Linux counts the peak of
    the process that spawns a child in the child's, so a small launcher (``python -S`` of this file, about 10 MB)
    starts it, not the caller. ``watch`` is a folder whose total file size is sampled (what an import put in ``tmp/``).
    """
    folder = Path(cwd or ROOT)
    # Output goes to files, not pipes: a child writing much would block on a full pipe while it is polled.
    stem = folder / f".run-{os.getpid()}-{time.monotonic_ns()}"
    config = {"args": [sys.executable, *map(str, args)], "timeout": timeout, "cap_mb": cap_mb, "cwd": str(folder),
              "watch": str(watch) if watch else None, "out": str(stem) + ".out", "err": str(stem) + ".err"}
    launched = subprocess.run([sys.executable, "-S", __file__, json.dumps(config)], capture_output=True, text=True,
                              check=True)
    result = json.loads(launched.stdout)
    texts = []
    for name in ("out", "err"):
        texts.append(Path(config[name]).read_text(encoding="utf-8", errors="replace"))
        Path(config[name]).unlink()
    return Run(result["seconds"], result["peak_mb"], None if result["stopped"] else result["returncode"], texts[0],
               result["stopped"] or texts[1], result["watched"])


def _launch(config: dict) -> dict:
    """Run one child as ``config`` says and measure it (the launcher's side of :func:`run`)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    start = time.perf_counter()
    with open(config["out"], "wb") as stdout, open(config["err"], "wb") as stderr:
        child = subprocess.Popen(config["args"], stdout=stdout, stderr=stderr, cwd=config["cwd"], env=env)
    stopped, watched = None, 0
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if config["watch"]:
            watched = max(watched, _folder_bytes(Path(config["watch"])))
        if time.perf_counter() - start > config["timeout"]:
            stopped = f"over {config['timeout']:g} s at the timeout"
        elif config["cap_mb"] is not None and _rss_mb(child.pid) > config["cap_mb"]:
            stopped = f"over {config['cap_mb']:g} MB at the memory cap"
        if stopped:
            os.kill(child.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(child.pid, 0)
            break
        time.sleep(0.02)
    child.returncode = os.waitstatus_to_exitcode(status)  # already reaped: Popen must not wait for it again
    return {"seconds": time.perf_counter() - start, "peak_mb": usage.ru_maxrss / 1024, "stopped": stopped,
            "returncode": child.returncode, "watched": watched}


def cxwb(*argv: str | Path) -> list[str]:
    """The arguments that run the ``cxwb`` command in a child Python."""
    return ["-c", "import sys; from workbench.cli import main; sys.exit(main(sys.argv[1:]))", *map(str, argv)]


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)


def _folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*") if folder.exists() else ():
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:  # removed while we looked
            pass
    return total


# ------------------------------------------------------------------ files


def seeded_workspace(folder: Path) -> tuple[Path, Path, Path]:
    """A workspace with project "Bomb", the e-commerce journey and one small dataset; the JSON mapping of the survey
    files below; a backup of the project. Returns the three paths."""
    from workbench.data import ingest
    from workbench.data.templates import load_template
    from workbench.features.workspace import open_workspace
    from workbench.repos.backup import write_backup

    mapping = mapping_file(folder / "mapping.json")
    with open_workspace(folder / "ws") as workspace:
        project = workspace.create_project(PROJECT)
        journey = workspace.create_journey(project, load_template("ecommerce-delivery"))
        workspace.datasets.import_file(project, csv_long_field(folder / "small.csv", characters=10),
                                       ingest.mapping_from_dict(SURVEY_MAPPING), "Small", journey_id=journey)
        write_backup(workspace, project, folder / "source.cxwb.zip")
    return folder / "ws", mapping, folder / "source.cxwb.zip"


def csv_columns(path: Path, columns: int) -> Path:
    """A CSV whose header names ``columns`` columns (the survey's four first), with one row."""
    names = [*SURVEY_HEADER, *(f"q{i:06d}" for i in range(columns - len(SURVEY_HEADER)))]
    row = ["2026-01-15", TOUCHPOINT, "4", "ok", *(["1"] * (columns - len(SURVEY_HEADER)))]
    path.write_text(";".join(names) + "\n" + ";".join(row) + "\n", encoding="utf-8")
    return path


def csv_long_field(path: Path, characters: int, rows: int = 30) -> Path:
    """A survey CSV whose first row has a comment of ``characters`` letters."""
    lines = [";".join(SURVEY_HEADER)]
    lines += [f"2026-01-{1 + i % 28:02d};{TOUCHPOINT};4;{'x' * characters if i == 0 else 'ok'}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def mapping_file(path: Path) -> Path:
    """The JSON mapping of the survey files above."""
    path.write_text(json.dumps(SURVEY_MAPPING), encoding="utf-8")
    return path


def deep_json(path: Path, depth: int) -> Path:
    """A JSON mapping nested ``depth`` lists deep."""
    path.write_text('{"kind": "survey", "ts": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    return path


def laughing_yaml(path: Path, levels: int = 9, width: int = 9) -> Path:
    """A journey file with a "billion laughs": each list holds ``width`` aliases of the one before."""
    lines = ["format: 1", "name: Laughs", "stages: [{key: a, name: A}]",
             "touchpoints:", "  - key: tp", "    name: TP", "    stage: a", "    notes: x",
             "    position: {x: 0, y: 0}", "description: &l0 [" + ", ".join(["lol"] * width) + "]"]
    path.write_text("\n".join(lines) + "\n" + "\n".join(
        f"x{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * width) + "]" for n in range(1, levels)) + "\n", encoding="utf-8")
    return path


def deep_yaml(path: Path, depth: int) -> Path:
    """A journey file whose name is nested ``depth`` lists deep."""
    path.write_text("format: 1\nname: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    return path


def wildcard_codebook(stars: int) -> tuple[str, str]:
    """A codebook (YAML text) with a keyword of ``stars`` wildcards, and the 40-letter word it is matched on."""
    keyword = "a" + "*a" * stars + "*b"
    return f"themes:\n  - {{key: slow, name: Slow, keywords: ['{keyword}']}}\n", "a" * 40


XLSX_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
    'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
    'org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}
_SHEET_START = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                'spreadsheetml/2006/main"><sheetData>')


def xlsx_rows(path: Path, rows: int) -> Path:
    """A workbook of the survey's columns with ``rows`` answers, written as a stream (small on disk)."""
    def body():
        yield f'<row r="1">{_header_cells()}</row>'
        for n in range(2, rows + 2):
            yield (f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>2026-01-15</t></is></c><c r="B{n}" t="inlineStr">'
                   f'<is><t>{TOUCHPOINT}</t></is></c><c r="C{n}"><v>4</v></c></row>')
    return _xlsx(path, body())


def xlsx_far_cell(path: Path, cell: str = "XFD1048576", tag: str = '<c r="{}">', *, row: str = '<row r="{}">',
                  layout: str = "plain") -> Path:
    """A tiny workbook with a header in A1:D1 and one more cell far away (by default the sheet's last), its tag
    written as ``tag`` (any spelling the reader accepts: other quotes, spaces, a namespace prefix) in a row
    written as ``row``; the sheet stored as ``layout`` says (see :data:`XLSX_LAYOUTS`)."""
    number = cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    start = tag.format(cell)
    end = "</x:c>" if start.startswith("<x:") else "</c>"
    return _xlsx(path, iter([f'<row r="1">{_header_cells()}</row>', f'{row.format(number)}{start}<v>1</v>{end}</row>']),
                 **XLSX_LAYOUTS[layout])


def xlsx_rows_in_rows(path: Path, depth: int) -> Path:
    """A header row, then ``depth`` rows numbered 1 each inside the one before, then one cell without a reference
    after them: the reader counts a row for each end tag, so the cell lands on row ``depth`` + 1."""
    return _xlsx(path, iter([f'<row r="1">{_header_cells()}</row>', '<row r="1">' * depth, "</row>" * depth,
                             "<c><v>1</v></c>"]))


def xlsx_unnumbered_cells(path: Path, cells: int, row: int = 2) -> Path:
    """A header row and row ``row`` of ``cells`` cells written ``<c x:r="A2">``: the reader takes ``x:r`` for
    another attribute than ``r``, so it places them one after the other."""
    return _xlsx(path, iter([f'<row r="1">{_header_cells()}</row>', f'<row r="{row}">',
                             '<c x:r="A2"><v>1</v></c>' * cells, "</row>"]))


def xlsx_shared_strings(path: Path, strings: int, unique_count: int | None = None) -> Path:
    """A workbook whose shared strings part holds ``strings`` one-letter strings (17 bytes each), its ``sst`` tag
    declaring ``unique_count`` of them when given (the reader reserves room for that many)."""
    declared = "" if unique_count is None else f' uniqueCount="{unique_count}"'
    return _xlsx(path, iter([f'<row r="1">{_header_cells()}</row>']), parts={"xl/sharedStrings.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        f'main"{declared}>', b"<si><t>a</t></si>", strings, "</sst>")})


def xlsx_parts(path: Path, parts: dict[str, int]) -> Path:
    """A small workbook with more parts, each of the given number of bytes (spaces)."""
    return _xlsx(path, iter([f'<row r="1">{_header_cells()}</row>']),
                 parts={name: ("", b" ", size, "") for name, size in parts.items()})


def xlsx_many_sheets(path: Path, sheets: int) -> Path:
    """A workbook whose sheet list names ``sheets`` sheets, all of them the one part (the reader keeps each)."""
    return _xlsx(path, iter([f'<row r="1">{_header_cells()}</row>']), parts={"xl/workbook.xml": (
        XLSX_PARTS["xl/workbook.xml"].split("<sheets>")[0] + "<sheets>", b'<sheet name="a" r:id="rId1"/>', sheets,
        "</sheets></workbook>")})


def xlsx_media(path: Path, parts: int, unpacked: int) -> Path:
    """A small workbook with ``parts`` pictures (``xl/media/``) of ``unpacked`` bytes each: the reader never
    opens them."""
    return _xlsx(path, iter([f'<row r="1">{_header_cells()}</row>']),
                 parts={f"xl/media/image{n}.png": ("", b"\0", unpacked, "") for n in range(1, parts + 1)})


def _header_cells() -> str:
    return "".join(f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>' for col, name in zip("ABCD", SURVEY_HEADER))


def xlsx_big_part(path: Path, unpacked: int) -> Path:
    """A small workbook whose shared strings part unpacks to ``unpacked`` bytes (spaces)."""
    return _xlsx(path, iter([f'<row r="1">{_header_cells()}</row>']), shared_strings=unpacked)


def _xlsx(path: Path, rows, shared_strings: int = 0, sheet: str = "xl/worksheets/sheet1.xml",
          parts: dict | None = None) -> Path:
    """Write a workbook: :data:`XLSX_PARTS` with ``parts`` over them (a text, None to leave one out, or
    (start, unit, count, end) written as a stream), the sheet of ``rows`` at ``sheet``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in {**XLSX_PARTS, **(parts or {})}.items():
            if isinstance(text, tuple):
                start, unit, count, end = text
                _stream(archive, name, unit, count, start.encode(), end.encode())
            elif text is not None:
                archive.writestr(name, text)
        if shared_strings:
            _stream(archive, "xl/sharedStrings.xml", b" ", shared_strings)
        with archive.open(sheet, "w", force_zip64=True) as part:
            part.write(_SHEET_START.encode())
            buffer = []
            for row in rows:
                buffer.append(row)
                if len(buffer) == 10_000:
                    part.write("".join(buffer).encode())
                    buffer = []
            part.write(("".join(buffer) + "</sheetData></worksheet>").encode())
    return path


_SHEET_LINK = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
               'package/2006/relationships"><Relationship Id={q}rId1{q} Type="http://schemas.openxmlformats.org/'
               'officeDocument/2006/relationships/worksheet" Target={q}{target}{q}/></Relationships>')
# Where a workbook keeps its sheet, all read by calamine but "parent", which it looks up as "xl/../x.xml".
XLSX_LAYOUTS = {
    "plain": {},
    # the sheet outside xl/worksheets/, its relationship written in single quotes
    "quotes": {"sheet": "xl/sheets/s1.xml", "parts": {
        "xl/_rels/workbook.xml.rels": _SHEET_LINK.format(q="'", target="sheets/s1.xml")}},
    # the same, the sheet list padded past the 2 MB the check read before
    "padded": {"sheet": "xl/sheets/s1.xml", "parts": {
        "xl/_rels/workbook.xml.rels": _SHEET_LINK.format(q='"', target="sheets/s1.xml"),
        "xl/workbook.xml": XLSX_PARTS["xl/workbook.xml"].replace("<sheets>", f"<!--{' ' * (3 << 20)}--><sheets>")}},
    # a target out of xl/
    "parent": {"sheet": "x.xml", "parts": {
        "xl/_rels/workbook.xml.rels": _SHEET_LINK.format(q='"', target="../x.xml")}},
    # the workbook in another folder than xl/, as the package's relationships say
    "elsewhere": {"sheet": "y/worksheets/sheet1.xml", "parts": {
        "_rels/.rels": XLSX_PARTS["_rels/.rels"].replace("xl/workbook.xml", "y/workbook.xml"),
        "xl/workbook.xml": None, "xl/_rels/workbook.xml.rels": None,
        "y/workbook.xml": XLSX_PARTS["xl/workbook.xml"],
        "y/_rels/workbook.xml.rels": XLSX_PARTS["xl/_rels/workbook.xml.rels"]}},
}


def parquet_rows(path: Path, rows: int) -> Path:
    """A Parquet survey file of ``rows`` identical answers: a few kB on disk, ``rows`` × 4 values in memory."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    group = min(rows, 1_000_000)
    same = pa.array(np.zeros(group, np.int32))  # one dictionary word repeated: cheap to build and to store

    def text(value: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(same, pa.array([value]))

    batch = pa.table({"Datum": text("2026-01-15"), "Kontaktní bod": text(TOUCHPOINT),
                      "CSAT": pa.array(np.full(group, 4, np.int8)), "Komentář": text("ok")})
    with pq.ParquetWriter(path, batch.schema, compression="zstd") as writer:
        for start in range(0, rows, group):
            writer.write_table(batch.slice(0, min(group, rows - start)))
    return path


def parquet_wide(path: Path, rows: int, columns: int) -> Path:
    """A Parquet file of ``rows`` × ``columns`` zeros (int8)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    zeros = pa.array(np.zeros(rows, np.int8))
    pq.write_table(pa.table({f"c{n}": zeros for n in range(columns)}), path, compression="zstd")
    return path


def parquet_long_value(path: Path, rows: int, characters: int, dictionary: bool = True) -> Path:
    """A Parquet survey file whose comment is one value of ``characters`` letters in every one of ``rows`` rows:
    stored once in the column's dictionary, so the file stays under a kB; or, not ``dictionary``, in every row
    (zstd packs it about 10 000 to one). Read, it is ``rows`` × ``characters``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    step = rows if dictionary else min(rows, max(1, (64 << 20) // characters))  # plain pages: 64 MB at a time
    same = pa.array(np.zeros(step, np.int32))

    def text(value: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(same, pa.array([value]))

    batch = pa.table({"Datum": text("2026-01-15"), "Kontaktní bod": text(TOUCHPOINT),
                      "CSAT": pa.array(np.full(step, 4, np.int8)), "Komentář": text("x" * characters)})
    with pq.ParquetWriter(path, batch.schema, compression="zstd", use_dictionary=dictionary,
                          store_schema=False) as writer:  # no Arrow schema: read as plain text
        for start in range(0, rows, step):
            writer.write_table(batch.slice(0, min(step, rows - start)))
    return path


def csv_quotes(path: Path, characters: int = 64 << 10, unit: str = ',"') -> Path:
    """A CSV whose first line is ``unit`` repeated over ``characters`` characters (csv.Sniffer's regexes
    backtrack on it)."""
    path.write_text(unit * (characters // len(unit)) + "\n" + "1\n", encoding="utf-8")
    return path


def parquet_list_score(path: Path) -> Path:
    """A Parquet survey file whose CSAT column holds lists of numbers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"Datum": ["2026-01-15"] * 3, "Kontaktní bod": [TOUCHPOINT] * 3,
                             "CSAT": pa.array([[4], [5, 3], []], pa.list_(pa.int64())), "Komentář": ["a", "b", "c"]}),
                   path)
    return path


def backup_bomb(source: Path, target: Path, *, tables_bytes: int | None = None, tables: bytes | None = None,
                dataset_bytes: int | None = None, unit: bytes = b"0,") -> Path:
    """A copy of the backup ``source`` with ``tables.json`` replaced by a list of ``tables_bytes`` bytes (``unit``
    repeated: ``0,`` or ``{},``) or by ``tables``, or its first dataset entry by ``dataset_bytes`` zero bytes that
    the manifest claims (with the original hash, so only a complete write would notice)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = json.loads(original.read("manifest.json"))
        replaced = next(iter(manifest["files"])) if dataset_bytes else None
        if replaced:
            manifest["files"][replaced]["bytes"] = dataset_bytes
        for entry in original.infolist():
            if entry.filename == "tables.json" and tables_bytes:
                last = unit.rstrip(b",") + b"]"
                _stream(archive, entry.filename, unit, (tables_bytes - 1 - len(last)) // len(unit), start=b"[",
                        end=last)
            elif entry.filename == "tables.json" and tables:
                archive.writestr(entry.filename, tables)
            elif entry.filename == replaced:
                _stream(archive, entry.filename, b"\0", dataset_bytes)
            elif entry.filename == "manifest.json":
                archive.writestr(entry.filename, json.dumps(manifest))
            else:
                archive.writestr(entry.filename, original.read(entry))
    return target


def _stream(archive: zipfile.ZipFile, name: str, unit: bytes, count: int, start: bytes = b"", end: bytes = b"") -> None:
    """Write an entry of ``start``, ``unit`` repeated ``count`` times, ``end``; never all of it in memory."""
    per_chunk = max(1, CHUNK // len(unit))
    with archive.open(name, "w", force_zip64=len(start) + len(unit) * count + len(end) >= 1 << 31) as entry:
        entry.write(start)
        for done in range(0, count, per_chunk):
            entry.write(unit * min(per_chunk, count - done))
        entry.write(end)


def understate(path: Path, member: str, size: int) -> Path:
    """Make the zip's central directory claim that ``member`` unpacks to ``size`` bytes (a lie; the data stay)."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + name_length] == member.encode():
            data[at + 24:at + 28] = size.to_bytes(4, "little")  # a 32-bit size: not for ZIP64 members
        at = data.find(b"PK\x01\x02", at + 46)
    path.write_bytes(bytes(data))
    return path


if __name__ == "__main__":
    print(json.dumps(_launch(json.loads(sys.argv[1]))))
