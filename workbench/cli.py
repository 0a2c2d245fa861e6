"""Command line: ``cxwb serve | demo | import | inspect | export | backup | restore | templates | journey import/export``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from workbench.core import formatting, metrics
from workbench.core.errors import IngestError
from workbench.data.ingest import ENCODINGS
from workbench.features.export import SLIDES


def main(argv: list[str] | None = None) -> int:
    """Run the ``cxwb`` command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", help="workspace folder (default: $CXWB_WORKSPACE or ./workspace)")
    parser = argparse.ArgumentParser(prog="cxwb", description="CX journey workbench")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve", parents=[common], help="run the web app (seeds the demo project in a new workspace)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8050)
    serve.add_argument("--debug", action="store_true", help="Dash debug mode with hot reload")
    serve.add_argument(
        "--data-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder whose files may be imported by typing their path (repeatable; the workspace "
        "and its imports/ folder always may)",
    )
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name the server answers to besides its address (repeatable; e.g. behind a reverse proxy)",
    )
    serve.add_argument("--no-browser", action="store_true", help="do not open the browser")
    serve.add_argument("--no-demo", action="store_true", help="do not create the demo project in an empty workspace")

    commands.add_parser("demo", parents=[common], help="create the demo project with generated survey and KPI data")

    load_data = commands.add_parser(
        "import",
        parents=[common],
        help="import a survey or KPI file as a dataset version",
        description="Uses --mapping FILE (a mapping as JSON, e.g. from `cxwb inspect`), "
        "--saved NAME, or the mapping saved for files with the same columns; "
        "says which, and refuses one whose values look wrong for it "
        "unless --force.",
    )
    load_data.add_argument("file", type=Path)
    load_data.add_argument("--project", required=True, help="project name")
    load_data.add_argument("--name", required=True, help="dataset name; an existing name gets a new version")
    load_data.add_argument(
        "--journey", help="journey whose touchpoints survey answers are about (default: the only one)"
    )
    load_data.add_argument("--mapping", type=Path, help="column mapping as JSON (the form `cxwb inspect` prints)")
    load_data.add_argument("--saved", metavar="NAME", help="a mapping saved in the project, by name")
    load_data.add_argument("--sheet", help="XLSX sheet (default: the first)")
    load_data.add_argument("--header-row", type=int, metavar="N", help="XLSX: the header's row (default: detected)")
    load_data.add_argument(
        "--header-rows",
        type=int,
        metavar="N",
        choices=range(1, 6),
        help="CSV: how many header rows, 1–5 (default: detected from the layout)",
    )
    load_data.add_argument("--encoding", choices=ENCODINGS, help="CSV encoding (default: detected)")
    load_data.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="how dates are written, e.g. dd/mm/yyyy or %%m/%%d/%%Y (default: the one reading "
        "that fits the whole column)",
    )
    load_data.add_argument(
        "--wave",
        metavar="PERIOD",
        help="a survey without dates: its fieldwork month, day or range (2026-03, 2026-03-15, 2026-03-01..2026-03-20)",
    )
    load_data.add_argument(
        "--append",
        action="store_true",
        help="append the file to the dataset --name (its latest version and this file become one new version)",
    )
    load_data.add_argument(
        "--force", action="store_true", help="import although the check of the values against the mapping warns"
    )
    load_data.add_argument("--dry-run", action="store_true", help="check and report, keep nothing")

    inspect = commands.add_parser(
        "inspect",
        parents=[common],
        help="print what a file is and a proposed mapping as JSON",
        description="Prints the detected layout, encoding, delimiter, header rows, "
        'date format and the proposed column mapping; its "mapping" is what '
        "`cxwb import --mapping` takes.",
    )
    inspect.add_argument("file", type=Path)
    inspect.add_argument("--project", help="project whose journey the touchpoints are matched to")
    inspect.add_argument("--journey", help="journey name (default: the project's only one)")
    inspect.add_argument("--sheet", help="XLSX sheet (default: the first)")
    inspect.add_argument("--header-row", type=int, metavar="N", help="XLSX: the header's row (default: detected)")
    inspect.add_argument("--encoding", choices=ENCODINGS, help="CSV encoding (default: detected)")
    commands.add_parser("templates", help="list the journey templates")

    export = commands.add_parser(
        "export", parents=[common], help="write a journey's findings as a PowerPoint deck, images or tables"
    )
    export.add_argument("--project", required=True, help="project name")
    export.add_argument("--journey", help="journey name (default: the only one)")
    export.add_argument(
        "--dataset",
        metavar="NAME[@VERSION]",
        help="survey dataset, e.g. Survey or Survey@2 (default: the journey's latest survey)",
    )
    export.add_argument(
        "--matrix-column",
        metavar="COLUMN",
        help="segment column spread across the matrix slide (default: region, else the first)",
    )
    export.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="file to write: .pptx (deck), .xlsx (tables), .zip (CSV tables, or images with --images)",
    )
    export.add_argument("--images", action="store_true", help="with a .zip output: PNG and SVG pictures")
    export.add_argument("--metric", default="csat", choices=metrics.METRICS)
    export.add_argument("--from", dest="date_from", type=_date, help="first answer day (default: last 3 months)")
    export.add_argument("--to", dest="date_to", type=_date, help="last answer day")
    export.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="COLUMN=VALUE[,VALUE]",
        help="segment filter, e.g. region=Praha (repeatable)",
    )
    export.add_argument("--slides", help="comma-separated slides (default: all): " + ", ".join(SLIDES))
    export.add_argument("--brand", default="#0D6EFD", help="brand colour for titles and headers")
    export.add_argument("--logo", type=Path, help="logo image (PNG or JPEG) for every slide")

    backup = commands.add_parser("backup", parents=[common], help="write a whole project to one .cxwb.zip file")
    backup.add_argument("--project", required=True, help="project name")
    backup.add_argument("-o", "--output", type=Path, required=True)
    restore = commands.add_parser("restore", parents=[common], help="add a project from a .cxwb.zip backup")
    restore.add_argument("file", type=Path)
    restore.add_argument("--name", help="project name to use (when the backup's is taken)")

    journey = commands.add_parser("journey", help="import or export journey YAML files")
    journey_commands = journey.add_subparsers(dest="journey_command", required=True)
    load = journey_commands.add_parser("import", parents=[common], help="import a journey YAML file into a project")
    load.add_argument("file", type=Path)
    load.add_argument("--project", required=True, help="project name (created if missing)")
    dump = journey_commands.add_parser("export", parents=[common], help="write a journey as YAML")
    dump.add_argument("--project", required=True)
    dump.add_argument("--journey", required=True, help="journey name")
    dump.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (ValueError, OSError) as exc:  # a refused input or a file that cannot be opened: its message says why
        print(f"cxwb: {_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cxwb: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a fault no check foresaw: one line, the traceback only when asked for
        if os.environ.get("CXWB_DEBUG"):
            raise
        print(
            f"cxwb: unexpected error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]} "
            "(set CXWB_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1


def _message(exc: Exception) -> str:
    """An error as the user reads it: an OS error names its file first."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc).strip()


def _run(args: argparse.Namespace) -> int:
    from workbench.core import journeyfile
    from workbench.core.journey import used_owners
    from workbench.data import templates
    from workbench.features import demo
    from workbench.features.workspace import open_workspace

    if args.command == "templates":
        for template in templates.list_templates():
            print(f"{template.key:24} {template.name} ({template.touchpoints} touchpoints, {template.stages} stages)")
        return 0
    workspace = open_workspace(args.workspace)
    if args.command == "serve":
        from cxweb import app

        if not args.no_demo and not workspace.projects():
            demo.seed_demo(workspace)
        app.serve(
            workspace,
            host=args.host,
            port=args.port,
            debug=args.debug,
            allow_hosts=args.allow_host,
            data_dirs=args.data_dir,
            open_browser=not args.no_browser,
        )
    elif args.command == "demo":
        print(f"Demo project id {demo.seed_demo(workspace)} in {workspace.folder}")
    elif args.command == "import":
        return _import(workspace, args)
    elif args.command == "inspect":
        return _inspect(workspace, args)
    elif args.command == "export":
        return _export(workspace, args)
    elif args.command == "backup":
        from workbench.repos import backup

        summary = backup.write_backup(workspace, _project_id(workspace, args.project), args.output)
        print(f"Wrote “{summary.project}” to {args.output} ({formatting.count(summary.bytes)} bytes).")
    elif args.command == "restore":
        from workbench.repos import backup

        summary = backup.read_backup(workspace, args.file, name=args.name)
        print(f"Restored “{summary.project}” as project {summary.project_id}.")
    elif args.journey_command == "import":
        journey = journeyfile.load(args.file)
        projects = {p.name: p.id for p in workspace.projects()}
        project_id = projects.get(args.project) or workspace.create_project(args.project)
        journey_id = workspace.create_journey(project_id, journey)
        print(f"Imported “{journey.name}” ({len(journey.touchpoints)} touchpoints) as journey {journey_id}.")
    else:
        found = {p.name: p.id for p in workspace.projects()}.get(args.project)
        journeys = {j.name: j.id for j in workspace.journeys(found)} if found else {}
        if args.journey not in journeys:
            raise ValueError(f"No journey “{args.journey}” in project “{args.project}”.")
        text = journeyfile.dumps(used_owners(workspace.journey(journeys[args.journey]).journey))
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    return 0


def _date(text: str):
    import datetime

    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-03-31") from None


def _project_id(workspace, name: str) -> int:
    project_id = {p.name: p.id for p in workspace.projects()}.get(name)
    if project_id is None:
        raise ValueError(f"No project “{name}”.")
    return project_id


def _export(workspace, args: argparse.Namespace) -> int:
    from workbench.core import limits
    from workbench.export import deck, files
    from workbench.features import export as findings

    project_id = _project_id(workspace, args.project)
    journeys = {j.name: j.id for j in workspace.journeys(project_id)}
    if args.journey and args.journey not in journeys:
        raise ValueError(f"No journey “{args.journey}” in project “{args.project}”.")
    if not args.journey and len(journeys) != 1:
        raise ValueError(f"Project “{args.project}” has {len(journeys)} journeys: name one with --journey.")
    filters = []
    for item in args.filter:
        column, sep, values = item.partition("=")
        if not sep or not values:
            raise ValueError(f"--filter {item}: write COLUMN=VALUE[,VALUE].")
        filters.append((column.strip(), tuple(v.strip() for v in values.split(","))))
    suffix = args.output.suffix.lower()
    slides = tuple(s.strip() for s in args.slides.split(",")) if args.slides else findings.SLIDES
    if suffix != ".pptx":  # tables and images need every analysis, whichever slides a deck would have
        slides = findings.SLIDES
    request = findings.Request(
        project_id=project_id,
        journey_id=journeys.get(args.journey) or next(iter(journeys.values())),
        dataset_id=_survey_id(workspace, project_id, args.project, args.dataset),
        metric=args.metric,
        date_from=args.date_from,
        date_to=args.date_to,
        filters=tuple(filters),
        matrix_column=args.matrix_column,
        slides=slides,
    )
    if suffix not in (".pptx", ".xlsx", ".zip"):
        raise ValueError("The output must end in .pptx, .xlsx or .zip.")
    found = findings.gather(workspace, request)
    kind = {".pptx": "deck", ".xlsx": "xlsx"}.get(suffix) or ("pictures" if args.images else "csv")
    style = (
        deck.Style(brand=args.brand, logo=limits.read_file(args.logo) if args.logo else None)
        if kind == "deck"
        else None
    )
    content = files.render(found, kind, style)
    temporary = args.output.with_name(args.output.name + ".part")
    temporary.write_bytes(content)
    temporary.replace(args.output)
    facts = found.provenance
    print(f"Used the survey “{facts.dataset}” version {facts.dataset_version}.")
    print(f"Wrote {args.output} ({formatting.count(len(content))} bytes).")
    return 0


def _survey_id(workspace, project_id: int, project: str, spec: str | None) -> int | None:
    """The survey dataset version ``NAME[@VERSION]`` names (its latest version without one); None: the default."""
    if spec is None:
        return None
    surveys = workspace.datasets.list(project_id, "survey")  # newest version first within each name
    name, at, version = spec.rpartition("@")
    if not at or not version.isdigit() or any(d.name == spec for d in surveys):  # an "@" of the name itself
        name, version = spec, ""
    versions = {d.version: d.id for d in surveys if d.name == name}
    if not versions:
        names = dict.fromkeys(d.name for d in surveys)
        available = (
            "; ".join(f"{n} (versions {', '.join(str(d.version) for d in surveys if d.name == n)})" for n in names)
            or "none"
        )
        raise ValueError(f"No survey dataset “{name}” in project “{project}”; it has: {available}.")
    if version and int(version) not in versions:
        raise ValueError(
            f"The survey “{name}” has no version {version}; it has versions {', '.join(str(v) for v in versions)}."
        )
    return versions[int(version) if version else max(versions)]


def _read_options(args: argparse.Namespace):
    """The CSV dialect (detected, then what the user gave) and the XLSX header row of ``args.file``."""
    import dataclasses

    from workbench.data import ingest

    dialect = None
    if ingest.file_kind(args.file) == "csv":
        dialect = ingest.sniff_file(args.file)
        if args.encoding:
            dialect = dataclasses.replace(dialect, encoding=args.encoding)
        if getattr(args, "header_rows", None) is not None:
            dialect = dataclasses.replace(dialect, header_rows=args.header_rows)
    return dialect, args.header_row


def _journey(workspace, project_id: int, project: str, name: str | None) -> int | None:
    """The journey ``name`` of the project, or its only journey."""
    journeys = {j.name: j.id for j in workspace.journeys(project_id)}
    if name and name not in journeys:
        raise ValueError(f"No journey “{name}” in project “{project}”.")
    return journeys[name] if name else (next(iter(journeys.values())) if len(journeys) == 1 else None)


def _describe_file(source, path: Path) -> str:
    """A line saying what the file was read as."""
    parts = [f"{path.name}: {source.layout.title}"]
    if source.dialect is not None:
        delimiter = {"\t": "tab"}.get(source.dialect.delimiter, source.dialect.delimiter)
        parts.append(
            f"encoding {source.dialect.encoding}, delimiter {delimiter!r}, decimal {source.dialect.decimal!r}, "
            f"{source.dialect.header_rows} header row(s)"
        )
    if source.sheet:
        parts.append(f"sheet “{source.sheet}”, header in row {source.header_row}")
    return "; ".join(parts) + "."


def _inspect(workspace, args: argparse.Namespace) -> int:
    import json

    from workbench.analysis import guesses
    from workbench.data import dates, ingest

    dialect, header_row = _read_options(args)
    source = ingest.read_source(args.file, dialect, args.sheet, rows=guesses.SAMPLE_ROWS, header_row=header_row)
    touchpoints: dict[str, str] = {}
    if args.project:
        project_id = _project_id(workspace, args.project)
        journey_id = _journey(workspace, project_id, args.project, args.journey)
        if journey_id is not None:
            touchpoints = {tp.key: tp.name for tp in workspace.journey(journey_id).journey.touchpoints}
    proposal = guesses.propose(source.table, touchpoints, source.descriptions, source.decimal)
    mapping = guesses.as_mapping(proposal, exclude=source.layout.exclude)
    found = {
        "file": args.file.name,
        "kind": source.kind,
        "layout": source.layout.name,
        "encoding": source.dialect.encoding if source.dialect else None,
        "delimiter": source.dialect.delimiter if source.dialect else None,
        "decimal": source.dialect.decimal if source.dialect else None,
        "header_rows": source.dialect.header_rows if source.dialect else None,
        "sheet": source.sheet,
        "header_row": source.header_row if source.kind == "xlsx" else None,
        "rows_read": source.table.num_rows,
        "date_format": dates.readable(proposal.date.format) if proposal.date and proposal.date.format else None,
        "columns": [
            {"name": name, **({"question": source.descriptions[name]} if name in source.descriptions else {})}
            for name in source.table.column_names
        ],
        "warnings": list(proposal.warnings) + guesses.check_mapping(source.table, mapping),
        "reasons": guesses.reasons(proposal),
        "mapping": ingest.mapping_to_dict(mapping),
    }
    print(json.dumps(found, ensure_ascii=False, indent=2))
    return 0


def _import(workspace, args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from workbench.analysis import guesses
    from workbench.core import limits
    from workbench.data import dates, ingest

    project_id = {p.name: p.id for p in workspace.projects()}.get(args.project)
    if project_id is None:
        raise ValueError(f"No project “{args.project}”.")
    dialect, header_row = _read_options(args)

    def first_rows():
        return ingest.read_source(args.file, dialect, args.sheet, rows=guesses.SAMPLE_ROWS, header_row=header_row)

    sample = None
    if args.mapping:
        try:
            data = limits.load_json(limits.read_file(args.mapping), args.mapping.name)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise IngestError(f"{args.mapping.name} is not a JSON mapping: {exc}") from None
        # `cxwb inspect` prints the file's facts around the mapping: its "mapping" is taken.
        mapping = ingest.mapping_from_dict(data["mapping"] if isinstance(data, dict) and "mapping" in data else data)
        used = f"Mapping: {args.mapping.name}."
    else:
        sample = first_rows()
        columns = sample.table.column_names
        saved = (
            workspace.mappings.named(project_id, args.saved, columns)
            if args.saved
            else workspace.mappings.best(project_id, columns)
        )
        if saved is None:
            raise ValueError(
                "No mapping saved for a file with these columns: run `cxwb inspect` for a proposed "
                "mapping and pass it with --mapping FILE, give --saved NAME, or map one like it on the "
                "Data page."
            )
        mapping = saved.mapping
        used = f"Mapping: the saved mapping {saved.describe()}."
    if isinstance(mapping, ingest.SurveyMapping):
        changes: dict[str, Any] = {}
        if args.date_format:
            changes["date_format"] = _date_format(args.date_format)
        if args.wave:
            changes |= {"wave": args.wave, "ts": None}
        mapping = dataclasses.replace(mapping, **changes) if changes else mapping
    journey_id = _journey(workspace, project_id, args.project, args.journey)
    target = workspace.datasets.append_target(project_id, args.name) if args.append else None
    # The whole file is read first: its reader names the row and column of anything wrong in it.
    staged = workspace.datasets.stage(
        project_id,
        args.file,
        mapping,
        journey_id=journey_id,
        dialect=dialect,
        sheet=args.sheet,
        header_row=header_row,
        append_to=target,
    )
    try:
        sample = sample or first_rows()
        warnings = guesses.check_mapping(sample.table, mapping) if isinstance(mapping, ingest.SurveyMapping) else []
    except BaseException:
        workspace.datasets.discard(staged)
        raise
    print(_describe_file(sample, args.file))
    print(used)
    for warning in warnings:
        print(f"  warning: {warning}")
    if warnings and not args.force:
        workspace.datasets.discard(staged)
        print(
            "Nothing imported: the values look wrong for this mapping (see the warnings); fix the mapping, or pass "
            "--force to import anyway."
        )
        return 2
    report = staged.report
    print(f"{report.rows_read} rows read, {report.rows_valid} valid, {report.rows_read - report.rows_valid} skipped.")
    if report.date_format:
        zone = f", times with an offset converted to {report.date_zone} wall time" if report.date_zone else ""
        print(f"Dates read as {dates.readable(report.date_format)}{zone}.")
    elif report.wave:
        print(f"No dates: every answer belongs to the wave {report.wave}.")
    for issue in report.issues:
        more = " …" if issue.count > len(issue.rows) else ""
        print(
            f"  {issue.message} [{issue.column}]: {issue.count} row(s), first {', '.join(map(str, issue.rows))}{more}"
        )
    if args.dry_run or not report.rows_valid:
        workspace.datasets.discard(staged)
        print("Nothing imported." if not report.rows_valid else "Dry run: nothing imported.")
        return 0 if args.dry_run and report.rows_valid else 2
    try:
        info = workspace.datasets.commit(staged, args.name)
    except BaseException:
        workspace.datasets.discard(staged)
        raise
    verb = "Appended; now" if target is not None else "Imported"
    print(f"{verb} {info.rows} rows as “{info.name}” version {info.version}; mapping saved as “{info.name}”.")
    return 0


def _date_format(text: str) -> str:
    """A date format given as ``dd/mm/yyyy`` or ``%d/%m/%Y``, as the importer's code."""
    from workbench.data import dates

    for code, readable in dates.choices():
        if text in (code, readable):
            return code
    raise ValueError(f"Unknown date format “{text}”; use one of: {', '.join(r for _c, r in dates.choices())}.")


if __name__ == "__main__":
    sys.exit(main())
