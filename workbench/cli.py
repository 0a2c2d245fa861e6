"""Command line: ``cxwb serve | demo | import | templates | journey import/export``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.ingest import ENCODINGS


def main(argv: list[str] | None = None) -> int:
    """Run the ``cxwb`` command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", help="workspace folder (default: $CXWB_WORKSPACE or ./workspace)")
    parser = argparse.ArgumentParser(prog="cxwb", description="CX journey workbench")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", parents=[common], help="run the web app (seeds the demo project in a new workspace)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8050)
    serve.add_argument("--debug", action="store_true", help="Dash debug mode with hot reload")
    serve.add_argument("--no-demo", action="store_true", help="do not create the demo project in an empty workspace")

    commands.add_parser("demo", parents=[common], help="create the demo project with generated survey and KPI data")

    load_data = commands.add_parser("import", parents=[common], help="import a survey or KPI file as a dataset version",
                                    description="Uses the mapping saved for files with the same columns (set up once on "
                                                "the Data page), or --mapping FILE with a mapping as JSON.")
    load_data.add_argument("file", type=Path)
    load_data.add_argument("--project", required=True, help="project name")
    load_data.add_argument("--name", required=True, help="dataset name; an existing name gets a new version")
    load_data.add_argument("--journey", help="journey whose touchpoints survey answers are about (default: the only one)")
    load_data.add_argument("--mapping", type=Path, help="column mapping as JSON (default: the one saved for this shape)")
    load_data.add_argument("--sheet", help="XLSX sheet (default: the first)")
    load_data.add_argument("--encoding", choices=ENCODINGS,
                           help="CSV encoding (default: detected)")
    load_data.add_argument("--dry-run", action="store_true", help="check and report, keep nothing")
    commands.add_parser("templates", help="list the journey templates")

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
    except (ValueError, OSError) as exc:
        print(f"cxwb: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from workbench import demo, journeyfile, templates
    from workbench.journey import used_owners
    from workbench.workspace import Workspace

    if args.command == "templates":
        for template in templates.list_templates():
            print(f"{template.key:24} {template.name} ({template.touchpoints} touchpoints, {template.stages} stages)")
        return 0
    workspace = Workspace(args.workspace)
    if args.command == "serve":
        import app

        if not args.no_demo and not workspace.projects():
            demo.seed_demo(workspace)
        app.serve(workspace, host=args.host, port=args.port, debug=args.debug)
    elif args.command == "demo":
        print(f"Demo project id {demo.seed_demo(workspace)} in {workspace.folder}")
    elif args.command == "import":
        return _import(workspace, args)
    elif args.journey_command == "import":
        journey = journeyfile.load(args.file)
        projects = {p.name: p.id for p in workspace.projects()}
        project_id = projects.get(args.project) or workspace.create_project(args.project)
        journey_id = workspace.create_journey(project_id, journey)
        print(f"Imported “{journey.name}” ({len(journey.touchpoints)} touchpoints) as journey {journey_id}.")
    else:
        project_id = {p.name: p.id for p in workspace.projects()}.get(args.project)
        journeys = {j.name: j.id for j in workspace.journeys(project_id)} if project_id else {}
        if args.journey not in journeys:
            raise ValueError(f"No journey “{args.journey}” in project “{args.project}”.")
        text = journeyfile.dumps(used_owners(workspace.journey(journeys[args.journey]).journey))
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    return 0


def _import(workspace, args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from workbench import ingest

    project_id = {p.name: p.id for p in workspace.projects()}.get(args.project)
    if project_id is None:
        raise ValueError(f"No project “{args.project}”.")
    dialect = None
    if ingest.file_kind(args.file) == "csv":
        dialect = ingest.sniff_file(args.file)
        if args.encoding:
            dialect = dataclasses.replace(dialect, encoding=args.encoding)
    if args.mapping:
        mapping = ingest.mapping_from_dict(json.loads(args.mapping.read_text(encoding="utf-8")))
    else:
        columns = ingest.read_source(args.file, dialect, args.sheet, rows=1).table.column_names
        mapping = workspace.datasets.saved_mapping(project_id, columns)
        if mapping is None:
            raise ValueError("No mapping saved for a file with these columns: map one like it once on the Data page, "
                             "or pass --mapping FILE.")
    journeys = {j.name: j.id for j in workspace.journeys(project_id)}
    journey_id = journeys.get(args.journey) if args.journey else (next(iter(journeys.values())) if len(journeys) == 1 else None)
    if args.journey and journey_id is None:
        raise ValueError(f"No journey “{args.journey}” in project “{args.project}”.")
    staged = workspace.datasets.stage(project_id, args.file, mapping, journey_id=journey_id, dialect=dialect,
                                      sheet=args.sheet)
    report = staged.report
    print(f"{report.rows_read} rows read, {report.rows_valid} valid, {report.rows_read - report.rows_valid} skipped.")
    for issue in report.issues:
        more = " …" if issue.count > len(issue.rows) else ""
        print(f"  {issue.message} [{issue.column}]: {issue.count} row(s), first {', '.join(map(str, issue.rows))}{more}")
    if args.dry_run or not report.rows_valid:
        workspace.datasets.discard(staged)
        print("Nothing imported." if not report.rows_valid else "Dry run: nothing imported.")
        return 0 if args.dry_run and report.rows_valid else 2
    try:
        info = workspace.datasets.commit(staged, args.name)
    except BaseException:
        workspace.datasets.discard(staged)
        raise
    print(f"Imported {info.rows} rows as “{info.name}” version {info.version}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
