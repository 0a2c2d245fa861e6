"""Stored codebooks and people's coding: each project's codebook with its version, the themes a person set or
cleared on one comment, and codebook files (YAML, CSV) to share or edit elsewhere."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import yaml
from sqlalchemy import delete, select

from workbench.core import limits, resources
from workbench.core.codebook import (
    THEME_FIELDS,
    Codebook,
    CodebookError,
    Theme,
    problems_by_field,
    theme_document,
    validate,
)
from workbench.core.errors import ConflictError, person
from workbench.core.folding import fold
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.core.journeyfile import YamlDumper
from workbench.core.safecells import neutralise, restore
from workbench.data.store import CodebookRow, CommentTagRow, Sessions

CODEBOOK_FILE = resources.shipped("datasets", "codebook.yaml")
FORMATS = ("yaml", "csv")
# A CSV list cell: items split by "|"; "\|" and "\\" stand for a literal bar and backslash.
_LIST_TOKEN = re.compile(r"\\[\\|]|\||[^\\|]+|\\")
_YAML_NULL = "tag:yaml.org,2002:null"
# libyaml's C parser when PyYAML was built with it; same behaviour either way.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# The theme names of the bundled codebook (``datasets/codebook.yaml``), marked for the catalogues: a new project's
# default codebook names its themes in the current language. Keys and keywords are the same in every language.
DEFAULT_THEME_NAMES = frozenset(
    {
        N_("Late or cancelled"),
        N_("Courier and staff attitude"),
        N_("Nobody let me know"),
        N_("Waiting time and reachability"),
        N_("Damaged goods or poor packaging"),
        N_("Payment and checkout problems"),
        N_("App and website problems"),
        N_("Quality or not as described"),
        N_("Tracking and notifications"),
        N_("Refunds and returns"),
        N_("Price"),
        N_("Disappointment and churn risk"),
        N_("Praise for speed"),
        N_("Praise for helpful staff"),
    }
)


# ------------------------------------------------------------------ files


def load_codebook(text: str, format: str, source: str = "") -> Codebook:
    """Read a codebook from YAML or CSV text; raise :class:`CodebookError` naming the line/row and field of problems,
    or :class:`workbench.core.limits.LimitError` naming the limit (``source`` names the file) of one too big or deep."""
    _check_format(format)
    limits.check_text(text, source)
    if not text.lstrip("\ufeff").strip():
        raise CodebookError(_("The file is empty."))
    return _load_yaml(text, source) if format == "yaml" else _load_csv(text, source)


def dump_codebook(codebook: Codebook, format: str) -> str:
    """Write a codebook as YAML or CSV text that reads back the same.

    CSV: ``;``-separated, one row per theme, list items split by ``|``, cells that a spreadsheet would run as a
    formula quoted (:mod:`workbench.core.safecells`); a ``|`` inside an item (a regex
    alternation, say) is written ``\\|``, and a backslash before a ``|``, another backslash or the cell's end ``\\\\``.
    """
    _check_format(format)
    if format == "yaml":
        doc = {
            "themes": [
                {field: value for field, value in theme_document(theme).items() if value or field in ("key", "name")}
                for theme in codebook.themes
            ]
        }
        return yaml.dump(
            doc, Dumper=YamlDumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None
        )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(THEME_FIELDS)
    for theme in codebook.themes:
        writer.writerow(
            [neutralise(_join(value) if isinstance(value, list) else value) for value in theme_document(theme).values()]
        )
    return out.getvalue()


def default_codebook() -> Codebook:
    """The sample codebook for the demo data (``datasets/codebook.yaml``), its theme names in the current language.

    The keywords stay as they are: they match Czech, Polish and English comments whatever the reader's language.
    """
    codebook = load_codebook(CODEBOOK_FILE.read_text(encoding="utf-8"), "yaml")
    return Codebook(tuple(replace(t, name=_(t.name)) if t.name in DEFAULT_THEME_NAMES else t for t in codebook.themes))


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise CodebookError(_("Unknown codebook format '{format}' (use yaml or csv).").format(format=format))


def _checked(codebook: Codebook, where: Callable[[int, str], str]) -> Codebook:
    """The codebook, or a :class:`CodebookError` listing its problems, each located by ``where(theme, field)``."""
    problems = [
        _("{where}: {problem}").format(where=where(index, field), problem=message)
        for index, field, message in problems_by_field(codebook)
    ]
    if problems:
        raise CodebookError("\n".join(problems))
    return codebook


def _load_yaml(text: str, source: str) -> Codebook:
    try:
        limits.check_yaml(text, source, _SafeLoader)
        root = yaml.compose(text, Loader=_SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context
        raise CodebookError(
            _("line {line}, column {column}: invalid YAML, {problem}.").format(
                line=mark.line + 1, column=mark.column + 1, problem=problem
            )
            if mark
            else _("invalid YAML, {problem}.").format(problem=problem)
        ) from None
    if root is None:
        raise CodebookError(_("The file is empty."))
    top = _yaml_fields(root, ("themes",), "codebook")
    _yaml_require("themes" in top, root, _("the codebook needs a list of 'themes'."))
    items = top["themes"]
    _yaml_require(isinstance(items, yaml.SequenceNode), items, _("'themes' must be a list of themes."))
    themes, lines = [], []
    for item in items.value:
        fields = _yaml_fields(item, THEME_FIELDS, "theme")
        themes.append(
            Theme(
                key=_yaml_text(fields, "key", item),
                name=_yaml_text(fields, "name", item),
                sentiment=_yaml_text(fields, "sentiment", item),
                keywords=_yaml_texts(fields, "keywords"),
                patterns=_yaml_texts(fields, "patterns"),
            )
        )
        lines.append((item.start_mark.line + 1, {field: node.start_mark.line + 1 for field, node in fields.items()}))
    return _checked(
        Codebook(tuple(themes)),
        lambda index, field: _("line {line}, field '{field}'").format(
            line=lines[index][1].get(field, lines[index][0]), field=field
        ),
    )


def _yaml_fields(node: yaml.Node, allowed: Sequence[str], what: str) -> dict[str, yaml.Node]:
    """A mapping node's values by key, refusing unknown and repeated keys."""
    _yaml_require(
        isinstance(node, yaml.MappingNode),
        node,
        (
            _("a codebook must be a mapping of {fields}.")
            if what == "codebook"
            else _("a theme must be a mapping of {fields}.")
        ).format(fields=", ".join(allowed)),
    )
    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        _yaml_require(
            key in allowed,
            key_node,
            (
                _("unknown codebook field '{key}' (expected one of: {fields}).")
                if what == "codebook"
                else _("unknown theme field '{key}' (expected one of: {fields}).")
            ).format(key=key, fields=", ".join(allowed)),
        )
        _yaml_require(key not in fields, key_node, _("the key '{key}' appears twice.").format(key=key))
        fields[key] = value_node
    return fields


def _yaml_text(fields: dict[str, yaml.Node], key: str, item: yaml.Node) -> str:
    # Every field is text: take scalars as written, so keys like 2024 or keywords like "no" stay text.
    node = fields.get(key)
    if node is None:
        _yaml_require(key == "sentiment", item, _("the field '{key}' is missing.").format(key=key))
        return ""
    _yaml_require(isinstance(node, yaml.ScalarNode), node, _("'{key}' must be text.").format(key=key))
    return "" if node.tag == _YAML_NULL else node.value


def _yaml_texts(fields: dict[str, yaml.Node], key: str) -> tuple[str, ...]:
    node = fields.get(key)
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _YAML_NULL):
        return ()
    _yaml_require(
        isinstance(node, yaml.SequenceNode), node, _("'{key}' must be a list like [late, delay].").format(key=key)
    )
    for value in node.value:
        _yaml_require(
            isinstance(value, yaml.ScalarNode), value, _("each entry of '{key}' must be text.").format(key=key)
        )
    return tuple("" if value.tag == _YAML_NULL else value.value for value in node.value)


def _yaml_require(condition: bool, node: yaml.Node, message: str) -> None:
    if not condition:
        raise CodebookError(_("line {line}: {problem}").format(line=node.start_mark.line + 1, problem=message))


def _load_csv(text: str, source: str) -> Codebook:
    text = text.removeprefix("\ufeff")  # Excel writes one before UTF-8 CSV
    first_line = text.partition("\n")[0]
    # The header holds only the column names, so whichever separator it uses more is the delimiter.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = limits.csv_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), source)
    header = [fold(cell) for cell in next(rows)]
    for name in header:
        if name not in THEME_FIELDS or header.count(name) > 1:
            raise CodebookError(
                _("row 1: the column '{name}' is unknown or repeated (expected {fields}).").format(
                    name=name, fields=delimiter.join(THEME_FIELDS)
                )
            )
    for name in ("key", "name"):
        if name not in header:
            raise CodebookError(
                _("row 1: the column '{name}' is missing (expected {fields}).").format(
                    name=name, fields=delimiter.join(THEME_FIELDS)
                )
            )
    themes, numbers = [], []
    for number, row in enumerate(rows, start=2):
        if not "".join(row).strip():
            continue
        if len(row) > len(header):
            raise CodebookError(
                _("row {row}: {cells} cells, but the header names {columns} columns.").format(
                    row=number, cells=len(row), columns=len(header)
                )
            )
        cells = {name: restore(cell) for name, cell in zip(header, row, strict=False)}  # short rows: blanks
        themes.append(
            Theme(
                key=cells["key"],
                name=cells["name"],
                sentiment=cells.get("sentiment", ""),
                keywords=_split(cells.get("keywords", "")),
                patterns=_split(cells.get("patterns", "")),
            )
        )
        numbers.append(number)
    return _checked(
        Codebook(tuple(themes)),
        lambda index, field: _("row {row}, column '{field}'").format(row=numbers[index], field=field),
    )


def _join(items: Sequence[str]) -> str:
    """List items in one CSV cell: split by '|', a literal '|' written '\\|' and a backslash before one '\\\\'."""
    return "|".join(re.sub(r"\\(?=[\\|]|$)", r"\\\\", item).replace("|", r"\|") for item in items)


def _split(cell: str) -> tuple[str, ...]:
    """The items of a CSV list cell written by :func:`_join` (or by hand)."""
    if not cell:
        return ()
    items = [""]
    for token in _LIST_TOKEN.findall(cell):
        if token == "|":
            items.append("")
        else:
            items[-1] += token[1] if token in ("\\\\", "\\|") else token
    return tuple(items)


# ------------------------------------------------------------------ storage


class Verbatims:
    """The projects' codebooks and people's corrections of the coding."""

    def __init__(self, sessions: Sessions):
        self.sessions = sessions  # sessions() reads; sessions.begin() writes, one writer at a time

    def codebook(self, project_id: int) -> tuple[Codebook, int]:
        """The project's codebook and its version (an empty codebook, version 0, until one is saved)."""
        with self.sessions() as session:
            row = session.scalar(select(CodebookRow).where(CodebookRow.project_id == project_id))
            if row is None:
                return Codebook(()), 0
            return Codebook(
                tuple(
                    Theme(**{**data, "keywords": tuple(data["keywords"]), "patterns": tuple(data["patterns"])})
                    for data in row.themes
                )
            ), row.version

    def save_codebook(self, project_id: int, codebook: Codebook, who: str = "", *, expected_version: int) -> int:
        """Store the codebook unless someone saved another since ``expected_version``; the new version."""
        found = validate(codebook)
        if found:
            raise CodebookError(" ".join(found))
        with self.sessions.begin() as session:  # writers take turns: the first codebook has no row to claim
            row = session.scalar(select(CodebookRow).where(CodebookRow.project_id == project_id))
            if (row.version if row is not None else 0) != expected_version:
                raise ConflictError(
                    _(
                        "The codebook was changed in another window ({who}); yours was not saved. "
                        "The page now shows the latest codebook."
                    ).format(who=row.updated_by if row is not None else "")
                )
            if row is None:
                row = CodebookRow(project_id=project_id, version=0)
                session.add(row)
            row.themes = [theme_document(theme) for theme in codebook.themes]
            row.version += 1
            row.updated_by = person(who)
            row.updated_at = datetime.datetime.now().replace(microsecond=0)
            return row.version

    def overrides(self, project_id: int) -> dict[str, dict[str, bool]]:
        """People's coding choices: response_id → {theme key: mentioned or not}."""
        with self.sessions() as session:
            rows = session.scalars(select(CommentTagRow).where(CommentTagRow.project_id == project_id))
            found: dict[str, dict[str, bool]] = {}
            for row in rows:
                found.setdefault(row.response_id, {})[row.theme] = row.value
            return found

    def keep_choices(self, project_id: int, response_id: str, choices: Mapping[str, bool], who: str = "") -> None:
        """Store a person's coding of one comment (theme key → mentioned or not) in place of the one stored."""
        now = datetime.datetime.now().replace(microsecond=0)
        with self.sessions.begin() as session:
            session.execute(
                delete(CommentTagRow).where(
                    CommentTagRow.project_id == project_id, CommentTagRow.response_id == response_id
                )
            )
            for key, mentioned in choices.items():
                session.add(
                    CommentTagRow(
                        project_id=project_id,
                        response_id=response_id,
                        theme=key,
                        value=bool(mentioned),
                        who=person(who),
                        at=now,
                    )
                )
