"""E-mail to the people new alerts and cases are assigned to, on a team server with an SMTP server.

A check that stores new alerts says so (``core.events.AlertsRaised``); this module, subscribed when the workspace
is opened with ``CXWB_SMTP_URL`` set, writes one message per person: the alerts whose owner is their name (a
partner's case) or one of the owners their scope names (a department's touchpoints). Plain text, sent through the
configured server; a failure is logged and loses nothing (the alerts are in the inbox either way).
"""

from __future__ import annotations

import email.message
import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from workbench.core import access, formatting
from workbench.core.events import AlertsRaised
from workbench.core.i18n import gettext as _
from workbench.core.i18n import ngettext

if TYPE_CHECKING:
    from workbench.repos.alerts import Item
    from workbench.repos.users import User
    from workbench.repos.workspace import Workspace

log = logging.getLogger(__name__)
TIMEOUT = 20  # seconds to wait for the mail server


@dataclass(frozen=True)
class Mailer:
    """Where and how messages are sent: ``smtp://user:password@host:587?starttls`` (``smtps://`` for TLS from the
    start, no query for a local relay), the sender, and the app's address for the link in each message."""

    host: str
    port: int
    user: str
    password: str
    security: str  # "starttls", "ssl" or "none"
    sender: str
    app_url: str = ""


def mailer(environ: Mapping[str, str]) -> Mailer | None:
    """The mailer ``CXWB_SMTP_URL``, ``CXWB_MAIL_FROM`` and ``CXWB_APP_URL`` describe (None without a server)."""
    url = environ.get("CXWB_SMTP_URL", "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(
            _("CXWB_SMTP_URL is smtp://user:password@host:port or smtps://…, not “{url}”.").format(url=url)
        )
    security = "ssl" if parts.scheme == "smtps" else "starttls" if "starttls" in parse_qs(parts.query, True) else "none"
    return Mailer(
        host=parts.hostname,
        port=parts.port or (465 if security == "ssl" else 25),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        security=security,
        sender=environ.get("CXWB_MAIL_FROM", "").strip() or f"cx-workbench@{parts.hostname}",
        app_url=environ.get("CXWB_APP_URL", "").strip().rstrip("/"),
    )


def messages(workspace: Workspace, event: AlertsRaised, sender: Mailer) -> list[email.message.EmailMessage]:
    """One message per enabled user with an address who owns some of the new alerts (by name, or by their scope's
    owners), of those they may read: each recipient's alerts are read with their own access, so a name shared by
    chance or an owner named in a scope never carries another project's or another branch's alert."""
    project = workspace.project(event.project_id)
    names = {tp.key: tp.name for tp in workspace.journey(event.journey_id).journey.touchpoints}
    raised, scopes, found = set(event.alert_ids), workspace.users.scopes_in(event.project_id), []
    for user in workspace.users.list():
        if user.disabled or not user.email:
            continue
        with access.acting(workspace.users.access(user)):
            visible = [item for item in workspace.alerts.list(event.project_id) if item.id in raised]
        owned = _owned_by(user, scopes.get(user.id), visible)
        if owned:
            found.append(_message(user, owned, project.name if project is not None else "", names, sender))
    return found


def send(workspace: Workspace, sender: Mailer, event: AlertsRaised) -> int:
    """Send the messages of ``event``; how many were sent."""
    found = messages(workspace, event, sender)
    if not found:
        return 0
    connect = smtplib.SMTP_SSL if sender.security == "ssl" else smtplib.SMTP
    with connect(sender.host, sender.port, timeout=TIMEOUT) as server:
        if sender.security == "starttls":
            server.starttls()
        if sender.user:
            server.login(sender.user, sender.password)
        for message in found:
            server.send_message(message)
    log.info("sent %d alert notifications for project %d", len(found), event.project_id)
    return len(found)


def _owned_by(user: User, scope, items: list[Item]) -> list[Item]:
    """The alerts owned by ``user``'s name, or by an owner their scope in the project names."""
    names = {user.shown.casefold(), user.name.casefold(), *(o.casefold() for o in (scope.owners if scope else ()))}
    return [item for item in items if item.owner and item.owner.casefold() in names]


def _message(
    user: User, owned: list[Item], project: str, names: Mapping[str, str], sender: Mailer
) -> email.message.EmailMessage:
    """A plain-text message listing ``owned`` (user text stays text: no HTML part)."""
    message = email.message.EmailMessage()
    message["From"] = sender.sender
    message["To"] = user.email
    message["Subject"] = ngettext(
        "{n} new alert for you in {project}", "{n} new alerts for you in {project}", len(owned)
    ).format(n=formatting.count(len(owned)), project=" ".join(project.split())[:120])
    lines = [_("Hello {name},").format(name=user.shown), ""]
    for item in owned:
        where = names.get(item.alert.touchpoint, item.alert.touchpoint) + (
            f" · {item.alert.value}" if item.alert.value else ""
        )
        due = " " + _("(due {day})").format(day=formatting.date(item.due)) if item.due else ""
        lines.append(f"- {where}: {' '.join(item.alert.message.split())}{due}")
    if sender.app_url:
        lines += ["", _("Open your inbox: {url}").format(url=f"{sender.app_url}/alerts")]
    message.set_content("\n".join(lines))
    return message
