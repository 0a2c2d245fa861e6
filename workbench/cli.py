"""Command line: ``cxwb serve | demo | import | inspect | export | backup | restore | templates | journey import/export``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from workbench.core import formatting, i18n, metrics
from workbench.core.access import Scope
from workbench.core.errors import IngestError
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext
from workbench.data.ingest import ENCODINGS
from workbench.features.export import SLIDES


def main(argv: list[str] | None = None) -> int:
    """Run the ``cxwb`` command, its help and messages in the language ``--lang`` names (else ``CXWB_LANG``'s)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    language = _asked_language(argv)  # argparse's help is written before it parses: read --lang first
    with i18n.language(language or i18n.current()):
        return _main(argv, language)


def _asked_language(argv: list[str]) -> str | None:
    """The language ``--lang CODE`` (or ``--lang=CODE``) names anywhere on the command line, if it is one."""
    for i, item in enumerate(argv):
        if item == "--":
            break
        if item == "--lang" and i + 1 < len(argv):
            return i18n.supported(argv[i + 1])
        if item.startswith("--lang="):
            return i18n.supported(item.partition("=")[2])
    return None


def _language(text: str) -> str:
    """``--lang``'s value: a supported language ('cs', 'pl', 'en'; 'cs-CZ' is 'cs')."""
    code = i18n.supported(text)
    if code is None:
        raise argparse.ArgumentTypeError(
            _("“{code}” is not a language of the workbench; use one of {choices}.").format(
                code=text, choices=", ".join(i18n.LANGUAGES)
            )
        )
    return code


def _main(argv: list[str], language: str | None) -> int:
    languages = argparse.ArgumentParser(add_help=False)
    languages.add_argument(
        "--lang",
        type=_language,
        metavar="LANG",
        default=argparse.SUPPRESS,  # a subcommand's default would hide the one given before it
        help=_(
            "language of the messages, of an export's deck and tables and of the server's pages: {choices} "
            "(default: $CXWB_LANG or English)"
        ).format(choices=", ".join(i18n.LANGUAGES)),
    )
    common = argparse.ArgumentParser(add_help=False, parents=[languages])
    common.add_argument("--workspace", help=_("workspace folder (default: $CXWB_WORKSPACE or ./workspace)"))
    parser = argparse.ArgumentParser(prog="cxwb", description=_("CX journey workbench"), parents=[languages])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve", parents=[common], help=_("run the web app (seeds the demo project in a new workspace)")
    )
    serve.add_argument("--host", default="127.0.0.1", help=_("address to bind (default 127.0.0.1, this machine only)"))
    serve.add_argument("--port", type=int, default=8050)
    serve.add_argument("--debug", action="store_true", help=_("Dash debug mode with hot reload"))
    serve.add_argument(
        "--data-dir",
        action="append",
        default=[],
        metavar="DIR",
        help=_(
            "a folder whose files may be imported by typing their path (repeatable; the workspace "
            "and its imports/ folder always may)"
        ),
    )
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help=_("a host name the server answers to besides its address (repeatable; e.g. behind a reverse proxy)"),
    )
    serve.add_argument("--no-browser", action="store_true", help=_("do not open the browser"))
    serve.add_argument(
        "--team",
        action="store_true",
        help=_(
            "a server for a team: each person logs in with a name and password (see cxwb user) instead of the token"
        ),
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        choices=range(1, 65),
        metavar="N",
        help=_("with --team: N web worker processes under gunicorn, their jobs in `cxwb worker` through Redis"),
    )
    serve.add_argument("--redis", metavar="URL", help=_("the team stack's Redis (default: $CXWB_REDIS_URL)"))
    serve.add_argument("--no-demo", action="store_true", help=_("do not create the demo project in an empty workspace"))

    worker = commands.add_parser(
        "worker", parents=[common], help=_("run a job worker of a team server with several web workers (Celery)")
    )
    worker.add_argument("--redis", metavar="URL", help=_("the team stack's Redis (default: $CXWB_REDIS_URL)"))
    worker.add_argument(
        "--concurrency", type=int, default=1, choices=range(1, 65), metavar="N", help=_("jobs run at once (default 1)")
    )
    worker.add_argument(
        "--beat", action="store_true", help=_("also schedule the alert run (one worker of the stack does)")
    )

    commands.add_parser("demo", parents=[common], help=_("create the demo project with generated survey and KPI data"))

    load_data = commands.add_parser(
        "import",
        parents=[common],
        help=_("import a survey or KPI file as a dataset version"),
        description=_(
            "Uses --mapping FILE (a mapping as JSON, e.g. from `cxwb inspect`), "
            "--saved NAME, or the mapping saved for files with the same columns; "
            "says which, and refuses one whose values look wrong for it "
            "unless --force."
        ),
    )
    load_data.add_argument("file", type=Path)
    load_data.add_argument("--project", required=True, help=_("project name"))
    load_data.add_argument("--name", required=True, help=_("dataset name; an existing name gets a new version"))
    load_data.add_argument(
        "--journey", help=_("journey whose touchpoints survey answers are about (default: the only one)")
    )
    load_data.add_argument("--mapping", type=Path, help=_("column mapping as JSON (the form `cxwb inspect` prints)"))
    load_data.add_argument("--saved", metavar="NAME", help=_("a mapping saved in the project, by name"))
    load_data.add_argument("--sheet", help=_("XLSX sheet (default: the first)"))
    load_data.add_argument("--header-row", type=int, metavar="N", help=_("XLSX: the header's row (default: detected)"))
    load_data.add_argument(
        "--header-rows",
        type=int,
        metavar="N",
        choices=range(1, 6),
        help=_("CSV: how many header rows, 1–5 (default: detected from the layout)"),
    )
    load_data.add_argument("--encoding", choices=ENCODINGS, help=_("CSV encoding (default: detected)"))
    load_data.add_argument(
        "--date-format",
        metavar="FORMAT",
        help=_(
            "how dates are written, e.g. dd/mm/yyyy or %%m/%%d/%%Y (default: the one reading "
            "that fits the whole column)"
        ),
    )
    load_data.add_argument(
        "--wave",
        metavar="PERIOD",
        help=_(
            "a survey without dates: its fieldwork month, day or range (2026-03, 2026-03-15, 2026-03-01..2026-03-20)"
        ),
    )
    load_data.add_argument(
        "--append",
        action="store_true",
        help=_("append the file to the dataset --name (its latest version and this file become one new version)"),
    )
    load_data.add_argument(
        "--force", action="store_true", help=_("import although the check of the values against the mapping warns")
    )
    load_data.add_argument("--dry-run", action="store_true", help=_("check and report, keep nothing"))

    inspect = commands.add_parser(
        "inspect",
        parents=[common],
        help=_("print what a file is and a proposed mapping as JSON"),
        description=_(
            "Prints the detected layout, encoding, delimiter, header rows, "
            'date format and the proposed column mapping; its "mapping" is what '
            "`cxwb import --mapping` takes."
        ),
    )
    inspect.add_argument("file", type=Path)
    inspect.add_argument("--project", help=_("project whose journey the touchpoints are matched to"))
    inspect.add_argument("--journey", help=_("journey name (default: the project's only one)"))
    inspect.add_argument("--sheet", help=_("XLSX sheet (default: the first)"))
    inspect.add_argument("--header-row", type=int, metavar="N", help=_("XLSX: the header's row (default: detected)"))
    inspect.add_argument("--encoding", choices=ENCODINGS, help=_("CSV encoding (default: detected)"))
    commands.add_parser("templates", parents=[languages], help=_("list the journey templates"))

    export = commands.add_parser(
        "export", parents=[common], help=_("write a journey's findings as a PowerPoint deck, images or tables")
    )
    export.add_argument("--project", required=True, help=_("project name"))
    export.add_argument("--journey", help=_("journey name (default: the only one)"))
    export.add_argument(
        "--dataset",
        metavar="NAME[@VERSION]",
        help=_("survey dataset, e.g. Survey or Survey@2 (default: the journey's latest survey)"),
    )
    export.add_argument(
        "--matrix-column",
        metavar="COLUMN",
        help=_("segment column spread across the matrix slide (default: region, else the first)"),
    )
    export.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help=_("file to write: .pptx (deck), .xlsx (tables), .zip (CSV tables, or images with --images)"),
    )
    export.add_argument("--images", action="store_true", help=_("with a .zip output: PNG and SVG pictures"))
    export.add_argument("--metric", default="csat", choices=metrics.METRICS)
    export.add_argument("--from", dest="date_from", type=_date, help=_("first answer day (default: last 3 months)"))
    export.add_argument("--to", dest="date_to", type=_date, help=_("last answer day"))
    export.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="COLUMN=VALUE[,VALUE]",
        help=_("segment filter, e.g. region=Praha (repeatable)"),
    )
    export.add_argument(
        "--slides", help=_("comma-separated slides (default: all): {slides}").format(slides=", ".join(SLIDES))
    )
    export.add_argument("--brand", default="#0D6EFD", help=_("brand colour for titles and headers"))
    export.add_argument("--logo", type=Path, help=_("logo image (PNG or JPEG) for every slide"))

    backup = commands.add_parser("backup", parents=[common], help=_("write a whole project to one .cxwb.zip file"))
    backup.add_argument("--project", required=True, help=_("project name"))
    backup.add_argument("-o", "--output", type=Path, required=True)
    restore = commands.add_parser("restore", parents=[common], help=_("add a project from a .cxwb.zip backup"))
    restore.add_argument("file", type=Path)
    restore.add_argument("--name", help=_("project name to use (when the backup's is taken)"))

    user = commands.add_parser("user", parents=[languages], help=_("the people who log in to a team server"))
    user_commands = user.add_subparsers(dest="user_command", required=True)
    password_help = _("read the password from the first line of standard input instead of asking for it")
    add_user = user_commands.add_parser("add", parents=[common], help=_("add a user (asks for the password)"))
    add_user.add_argument("name", help=_("the login name: letters, digits and . _ @ -"))
    add_user.add_argument("--display-name", default="", help=_("the name the history shows (default: the login name)"))
    add_user.add_argument("--admin", action="store_true", help=_("may manage users"))
    add_user.add_argument("--password-stdin", action="store_true", help=password_help)
    reset_user = user_commands.add_parser("reset", parents=[common], help=_("give a user a new password"))
    reset_user.add_argument("name")
    reset_user.add_argument("--password-stdin", action="store_true", help=password_help)
    for verb, text in (("disable", _("stop a user logging in (ends their sessions)")), ("enable", _("let them again"))):
        user_commands.add_parser(verb, parents=[common], help=text).add_argument("name")
    user_commands.add_parser("list", parents=[common], help=_("list the users"))
    mail = user_commands.add_parser(
        "email", parents=[common], help=_("where a user's new alerts and cases are sent (with CXWB_SMTP_URL)")
    )
    mail.add_argument("name")
    mail.add_argument("address", help=_("an e-mail address, or '' for none"))
    grant = user_commands.add_parser(
        "grant", parents=[common], help=_("give a user a role in a project: viewer (reads it) or analyst (changes it)")
    )
    grant.add_argument("name")
    grant.add_argument("--project", required=True, help=_("project name"))
    grant.add_argument("--role", required=True, choices=["viewer", "analyst", "none"])
    grant.add_argument(
        "--segment",
        action="append",
        default=[],
        metavar="COLUMN=VALUE[,VALUE…]",
        help=_("a viewer reads only the answers whose column holds one of the values (repeat for more columns)"),
    )
    grant.add_argument(
        "--owner",
        action="append",
        default=[],
        help=_("a viewer reads only the touchpoints this owner owns (repeat for more owners)"),
    )

    journey = commands.add_parser("journey", parents=[languages], help=_("import or export journey YAML files"))
    journey_commands = journey.add_subparsers(dest="journey_command", required=True)
    load = journey_commands.add_parser("import", parents=[common], help=_("import a journey YAML file into a project"))
    load.add_argument("file", type=Path)
    load.add_argument("--project", required=True, help=_("project name (created if missing)"))
    dump = journey_commands.add_parser("export", parents=[common], help=_("write a journey as YAML"))
    dump.add_argument("--project", required=True)
    dump.add_argument("--journey", required=True, help=_("journey name"))
    dump.add_argument("-o", "--output", type=Path, help=_("file to write (default: standard output)"))

    args = parser.parse_args(argv)
    args.language = language
    try:
        return _run(args)
    except (ValueError, OSError) as exc:  # a refused input or a file that cannot be opened: its message says why
        print(_("cxwb: {error}").format(error=_message(exc)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(_("cxwb: interrupted"), file=sys.stderr)
        return 130
    except Exception as exc:  # a fault no check foresaw: one line, the traceback only when asked for
        if os.environ.get("CXWB_DEBUG"):
            raise
        print(
            _("cxwb: unexpected error: {kind}: {error} (set CXWB_DEBUG=1 for the traceback)").format(
                kind=type(exc).__name__, error=" ".join(str(exc).split())[:300]
            ),
            file=sys.stderr,
        )
        return 1


def _user(workspace, args: argparse.Namespace) -> int:
    """``cxwb user add|reset|disable|enable|list|grant|email``: what was done, one line."""
    users = workspace.users
    projects = {project.id: project.name for project in workspace.projects()}
    if args.user_command == "list":
        for user in users.list():
            roles = [_("admin")] * user.admin + [_("disabled")] * user.disabled
            scopes = users.scopes(user.id)
            roles += [
                f"{projects[project]}: {role}" + (f" ({scopes[project].describe()})" if project in scopes else "")
                for project, role in sorted(users.roles(user.id).items())
            ]
            print(f"{user.name:24} {user.shown:30} {', '.join(roles)}".rstrip())
        return 0
    if args.user_command == "grant":
        [project] = [key for key, name in projects.items() if name.casefold() == args.project.casefold()] or [None]
        if project is None:
            raise ValueError(_("There is no project named “{name}”.").format(name=args.project))
        users.grant(
            args.name, project, None if args.role == "none" else args.role, Scope.parse(args.segment, args.owner)
        )
        print(_("Roles of {name} saved.").format(name=args.name))
        return 0
    if args.user_command == "email":
        user = users.set_email(args.name, args.address)
        print(_("{name}'s alerts go to {email}.").format(name=user.name, email=user.email or _("nobody")))
        return 0
    if args.user_command in ("disable", "enable"):
        user = users.set_disabled(args.name, args.user_command == "disable")
        print((_("{name} is disabled.") if user.disabled else _("{name} may log in.")).format(name=user.name))
        return 0
    password = _password(args.password_stdin)
    if args.user_command == "add":
        user = users.add(args.name, password, args.display_name, admin=args.admin)
        print(_("Added {name}.").format(name=user.name))
    else:
        user = users.reset(args.name, password)
        print(_("{name} has a new password; their sessions have ended.").format(name=user.name))
    return 0


def _password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or typed twice at a prompt that does not show it."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass(_("Password: "))
    if getpass.getpass(_("The same password again: ")) != first:
        raise ValueError(_("The two passwords differ; nothing was changed."))
    return first


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
            touchpoints = ngettext("{n} touchpoint", "{n} touchpoints", template.touchpoints).format(
                n=formatting.count(template.touchpoints)
            )
            stages = ngettext("{n} stage", "{n} stages", template.stages).format(n=formatting.count(template.stages))
            print(
                _("{key} {name} ({touchpoints}, {stages})").format(
                    key=f"{template.key:24}", name=template.name, touchpoints=touchpoints, stages=stages
                )
            )
        return 0
    workspace = open_workspace(args.workspace)
    if args.command == "serve":
        from cxweb import app

        if args.language:  # the server's default language: a page in the language its reader did not choose
            os.environ["CXWB_LANG"] = args.language

        # An organisation's team server starts with its own projects only (`cxwb demo` adds the demo to one).
        if not args.no_demo and not args.team and not workspace.projects():
            demo.seed_demo(workspace)
        if args.workers > 1 or args.redis:
            return _serve_workers(workspace, args)
        app.serve(
            workspace,
            host=args.host,
            port=args.port,
            debug=args.debug,
            allow_hosts=args.allow_host,
            data_dirs=args.data_dir,
            open_browser=not args.no_browser,
            team=args.team,
        )
    elif args.command == "user":
        return _user(workspace, args)
    elif args.command == "worker":
        from cxweb import team

        team.work(workspace, team.redis_url(args.redis), args.concurrency, args.beat)
    elif args.command == "demo":
        print(_("Demo project id {id} in {folder}").format(id=demo.seed_demo(workspace), folder=workspace.folder))
    elif args.command == "import":
        return _import(workspace, args)
    elif args.command == "inspect":
        return _inspect(workspace, args)
    elif args.command == "export":
        return _export(workspace, args)
    elif args.command == "backup":
        from workbench.repos import backup

        summary = backup.write_backup(workspace, _project_id(workspace, args.project), args.output)
        print(
            ngettext(
                "Wrote “{project}” to {file} ({n} byte).", "Wrote “{project}” to {file} ({n} bytes).", summary.bytes
            ).format(project=summary.project, file=args.output, n=formatting.count(summary.bytes))
        )
    elif args.command == "restore":
        from workbench.repos import backup

        summary = backup.read_backup(workspace, args.file, name=args.name)
        print(_("Restored “{project}” as project {id}.").format(project=summary.project, id=summary.project_id))
    elif args.journey_command == "import":
        journey = journeyfile.load(args.file)
        projects = {p.name: p.id for p in workspace.projects()}
        project_id = projects.get(args.project) or workspace.create_project(args.project)
        journey_id = workspace.create_journey(project_id, journey)
        print(
            ngettext(
                "Imported “{journey}” ({n} touchpoint) as journey {id}.",
                "Imported “{journey}” ({n} touchpoints) as journey {id}.",
                len(journey.touchpoints),
            ).format(journey=journey.name, n=formatting.count(len(journey.touchpoints)), id=journey_id)
        )
    else:
        found = {p.name: p.id for p in workspace.projects()}.get(args.project)
        journeys = {j.name: j.id for j in workspace.journeys(found)} if found else {}
        if args.journey not in journeys:
            raise ValueError(
                _("No journey “{journey}” in project “{project}”.").format(journey=args.journey, project=args.project)
            )
        text = journeyfile.dumps(used_owners(workspace.journey(journeys[args.journey]).journey))
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    return 0


def _serve_workers(workspace, args: argparse.Namespace) -> int:
    """A team server's web side under gunicorn (``cxweb.team``)."""
    from cxweb import app, team

    if not args.team:
        raise ValueError(_("Several web workers serve a team server: add --team."))
    if args.debug:
        raise ValueError(_("--debug runs one process with hot reload: leave out --workers and --redis."))
    app.require_administrator(workspace)
    redis = team.redis_url(args.redis)
    print(
        _("CX Journey Workbench on {url}  (workspace: {folder})").format(
            url=f"http://{args.host}:{args.port}/", folder=workspace.folder.resolve()
        ),
        flush=True,
    )
    team.serve(
        workspace, redis, args.host, args.port, args.workers, allow_hosts=args.allow_host, data_dirs=args.data_dir
    )
    return 0


def _date(text: str):
    import datetime

    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("'{text}' is not a date like 2026-03-31").format(text=text)) from None


def _project_id(workspace, name: str) -> int:
    project_id = {p.name: p.id for p in workspace.projects()}.get(name)
    if project_id is None:
        raise ValueError(_("No project “{project}”.").format(project=name))
    return project_id


def _export(workspace, args: argparse.Namespace) -> int:
    from workbench.core import limits
    from workbench.export import deck, files
    from workbench.features import export as findings

    project_id = _project_id(workspace, args.project)
    journeys = {j.name: j.id for j in workspace.journeys(project_id)}
    if args.journey and args.journey not in journeys:
        raise ValueError(
            _("No journey “{journey}” in project “{project}”.").format(journey=args.journey, project=args.project)
        )
    if not args.journey and len(journeys) != 1:
        raise ValueError(
            ngettext(
                "Project “{project}” has {n} journey: name one with --journey.",
                "Project “{project}” has {n} journeys: name one with --journey.",
                len(journeys),
            ).format(project=args.project, n=formatting.count(len(journeys)))
        )
    filters = []
    for item in args.filter:
        column, sep, values = item.partition("=")
        if not sep or not values:
            raise ValueError(_("--filter {item}: write COLUMN=VALUE[,VALUE].").format(item=item))
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
        language=i18n.current(),  # --lang (else CXWB_LANG): the deck's words and numbers, as the messages'
    )
    if suffix not in (".pptx", ".xlsx", ".zip"):
        raise ValueError(_("The output must end in .pptx, .xlsx or .zip."))
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
    print(
        _("Used the survey “{dataset}” version {version}.").format(dataset=facts.dataset, version=facts.dataset_version)
    )
    print(
        ngettext("Wrote {file} ({n} byte).", "Wrote {file} ({n} bytes).", len(content)).format(
            file=args.output, n=formatting.count(len(content))
        )
    )
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
        available = "; ".join(
            _("{name} (versions {versions})").format(
                name=n, versions=", ".join(str(d.version) for d in surveys if d.name == n)
            )
            for n in names
        )
        raise ValueError(
            _("No survey dataset “{name}” in project “{project}”; it has: {available}.").format(
                name=name, project=project, available=available
            )
            if available
            else _("No survey dataset “{name}” in project “{project}”; it has none.").format(name=name, project=project)
        )
    if version and int(version) not in versions:
        raise ValueError(
            _("The survey “{name}” has no version {version}; it has versions {versions}.").format(
                name=name, version=version, versions=", ".join(str(v) for v in versions)
            )
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
        raise ValueError(_("No journey “{journey}” in project “{project}”.").format(journey=name, project=project))
    return journeys[name] if name else (next(iter(journeys.values())) if len(journeys) == 1 else None)


def _describe_file(source, path: Path) -> str:
    """A line saying what the file was read as."""
    parts = [f"{path.name}: {source.layout.title}"]
    if source.dialect is not None:
        delimiter = {"\t": "tab"}.get(source.dialect.delimiter, source.dialect.delimiter)
        parts.append(
            ngettext(
                "encoding {encoding}, delimiter {delimiter}, decimal {decimal}, {n} header row",
                "encoding {encoding}, delimiter {delimiter}, decimal {decimal}, {n} header rows",
                source.dialect.header_rows,
            ).format(
                encoding=source.dialect.encoding,
                delimiter=repr(delimiter),
                decimal=repr(source.dialect.decimal),
                n=source.dialect.header_rows,
            )
        )
    if source.sheet:
        parts.append(_("sheet “{sheet}”, header in row {row}").format(sheet=source.sheet, row=source.header_row))
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
        raise ValueError(_("No project “{project}”.").format(project=args.project))
    dialect, header_row = _read_options(args)

    def first_rows():
        return ingest.read_source(args.file, dialect, args.sheet, rows=guesses.SAMPLE_ROWS, header_row=header_row)

    sample = None
    if args.mapping:
        try:
            data = limits.load_json(limits.read_file(args.mapping), args.mapping.name)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise IngestError(
                _("{file} is not a JSON mapping: {error}").format(file=args.mapping.name, error=exc)
            ) from None
        # `cxwb inspect` prints the file's facts around the mapping: its "mapping" is taken.
        mapping = ingest.mapping_from_dict(data["mapping"] if isinstance(data, dict) and "mapping" in data else data)
        used = _("Mapping: {file}.").format(file=args.mapping.name)
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
                _(
                    "No mapping saved for a file with these columns: run `cxwb inspect` for a proposed "
                    "mapping and pass it with --mapping FILE, give --saved NAME, or map one like it on the "
                    "Data page."
                )
            )
        mapping = saved.mapping
        used = _("Mapping: the saved mapping {mapping}.").format(mapping=saved.describe())
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
        print("  " + _("warning: {warning}").format(warning=warning))
    if warnings and not args.force:
        workspace.datasets.discard(staged)
        print(
            _(
                "Nothing imported: the values look wrong for this mapping (see the warnings); fix the mapping, or "
                "pass --force to import anyway."
            )
        )
        return 2
    report = staged.report
    print(
        ngettext(
            "{read} row read, {valid} valid, {skipped} skipped.",
            "{read} rows read, {valid} valid, {skipped} skipped.",
            report.rows_read,
        ).format(
            read=formatting.count(report.rows_read),
            valid=formatting.count(report.rows_valid),
            skipped=formatting.count(report.rows_read - report.rows_valid),
        )
    )
    if report.date_format:
        readable = dates.readable(report.date_format)
        print(
            _("Dates read as {format}, times with an offset converted to {zone} wall time.").format(
                format=readable, zone=report.date_zone
            )
            if report.date_zone
            else _("Dates read as {format}.").format(format=readable)
        )
    elif report.wave:
        print(_("No dates: every answer belongs to the wave {wave}.").format(wave=report.wave))
    for issue in report.issues:
        more = " …" if issue.count > len(issue.rows) else ""
        print(
            "  "
            + ngettext(
                "{message} [{column}]: {n} row, first {rows}{more}",
                "{message} [{column}]: {n} rows, first {rows}{more}",
                issue.count,
            ).format(
                message=issue.message,
                column=issue.column,
                n=formatting.count(issue.count),
                rows=", ".join(map(str, issue.rows)),
                more=more,
            )
        )
    if args.dry_run or not report.rows_valid:
        workspace.datasets.discard(staged)
        print(_("Nothing imported.") if not report.rows_valid else _("Dry run: nothing imported."))
        return 0 if args.dry_run and report.rows_valid else 2
    try:
        info = workspace.datasets.commit(staged, args.name)
    except BaseException:
        workspace.datasets.discard(staged)
        raise
    said = (
        ngettext(
            "Appended; now {n} row as “{name}” version {version}; mapping saved as “{name}”.",
            "Appended; now {n} rows as “{name}” version {version}; mapping saved as “{name}”.",
            info.rows,
        )
        if target is not None
        else ngettext(
            "Imported {n} row as “{name}” version {version}; mapping saved as “{name}”.",
            "Imported {n} rows as “{name}” version {version}; mapping saved as “{name}”.",
            info.rows,
        )
    )
    print(said.format(n=formatting.count(info.rows), name=info.name, version=info.version))
    return 0


def _date_format(text: str) -> str:
    """A date format given as ``dd/mm/yyyy`` or ``%d/%m/%Y``, as the importer's code."""
    from workbench.data import dates

    for code, readable in dates.choices():
        if text in (code, readable):
            return code
    raise ValueError(
        _("Unknown date format “{format}”; use one of: {choices}.").format(
            format=text, choices=", ".join(r for _c, r in dates.choices())
        )
    )


if __name__ == "__main__":
    sys.exit(main())
