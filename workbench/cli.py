"""Command line: ``cxwb serve | demo | templates | journey import/export``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


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

    commands.add_parser("demo", parents=[common], help="create the demo project")
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
    except (ValueError, FileNotFoundError) as exc:
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


if __name__ == "__main__":
    sys.exit(main())
